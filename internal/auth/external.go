package auth

import (
	"context"
	"database/sql"
	"errors"

	"esd/internal/db"
	"esd/internal/domain"
)

// ErrPasswordOff is returned when the account's role may not log in with a password
// (national governance switched it off: those users log in through SPID/CIE).
var ErrPasswordOff = &domain.Error{Code: domain.EUNAUTHORIZED, Message: "password login is switched off for this role: use SPID or CIE"}

// OpenSession opens a session for a user authenticated elsewhere (an OIDC broker) and
// returns its token. The caller has already proved who the user is; a disabled account gets
// EUNAUTHORIZED.
func (s *Service) OpenSession(ctx context.Context, userID int64) (string, User, error) {
	var u User
	err := scanUser(s.DB.Read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u WHERE u.id = $1`, userID), &u)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && u.Disabled) {
		return "", User{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "the account is disabled or gone"}
	}
	if err != nil {
		return "", User{}, err
	}
	now := s.now()
	tok := NewSecret(32)
	if _, err := s.DB.Write.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $3, $4)`, hashToken(tok), u.ID, now, now.Add(SessionAbsolute)); err != nil {
		return "", User{}, err
	}
	return tok, u, nil
}

// SessionHash is the stored form of a session token, for tables that hang data on a session.
func SessionHash(tok string) string { return hashToken(tok) }

// passwordOff reports whether password login is switched off for role.
func (s *Service) passwordOff(ctx context.Context, q db.Querier, role domain.Role) bool {
	var n int
	_ = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM password_login_off WHERE role = $1`, string(role)).Scan(&n)
	return n > 0
}
