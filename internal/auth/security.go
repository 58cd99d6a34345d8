package auth

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/domain"
)

// Lockout sits on top of throttling: throttling slows guessing down for a quarter of an hour,
// the lockout stops an account being guessed at over longer periods. An account (or a
// username that does not exist, so the answer does not tell them apart) is locked once it has
// lockAfter failed logins within lockWindow, until those failures age out of the window or
// governance unlocks it.
const (
	lockAfter  = 10
	lockWindow = time.Hour
	// DefaultTokenLifetime is the expiry of a new API token when none is asked for, and
	// MaxTokenLifetime the longest one may ask: a leaked token stops working on its own.
	DefaultTokenLifetime = 90 * 24 * time.Hour
	MaxTokenLifetime     = 366 * 24 * time.Hour
)

// ErrLocked is the answer while an account is locked. It says the same whether the account
// exists or not.
var ErrLocked = &domain.Error{Code: domain.ETOOMANY, Message: "too many failed attempts: the account is locked for up to an hour; an administrator can unlock it"}

// ErrThrottled is the answer while failed logins for the username or from the address are
// being throttled.
var ErrThrottled = &domain.Error{Code: domain.ETOOMANY, Message: "too many failed attempts: try again in 15 minutes"}

// Token scopes. A read token may only call safe methods (GET, HEAD); write is needed for
// anything that changes state.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// loginState is what Login needs to know about a username before checking the password.
type loginState struct {
	exists  bool
	user    User
	hash    string
	resetAt time.Time
}

func (s *Service) loginState(ctx context.Context, username string) (loginState, error) {
	var st loginState
	var reset sql.NullTime
	err := scanUser(s.DB.Read.QueryRowContext(ctx, `SELECT `+userCols+`, u.password_hash, u.lock_reset_at FROM users u WHERE u.username = $1`, username),
		&st.user, &st.hash, &reset)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.exists, st.resetAt = true, reset.Time
	return st, nil
}

// failuresSince counts the failed logins of username after since (and after the account's
// last unlock).
func (s *Service) failuresSince(ctx context.Context, st loginState, username string, since time.Time) (int, time.Time) {
	if st.resetAt.After(since) {
		since = st.resetAt
	}
	var n int
	var oldest time.Time
	_ = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND ok = FALSE AND at > $2`,
		username, since).Scan(&n)
	if n > 0 {
		// Not MIN(at): SQLite returns an aggregate without the column's type, as text.
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT at FROM login_attempts WHERE username = $1 AND ok = FALSE AND at > $2 ORDER BY at LIMIT 1`,
			username, since).Scan(&oldest)
	}
	return n, oldest
}

// maybeLock locks an existing account that has just reached lockAfter failures, with an
// audit entry; locked_until is when the oldest counted failure leaves the window.
func (s *Service) maybeLock(ctx context.Context, st loginState, username string, now time.Time) error {
	n, oldest := s.failuresSince(ctx, st, username, now.Add(-lockWindow))
	if !st.exists || n < lockAfter {
		return nil
	}
	until := oldest.Add(lockWindow)
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until = $1 WHERE id = $2`, until, st.user.ID); err != nil {
			return err
		}
		actx := domain.WithActor(ctx, domain.SystemActor)
		return audit.Record(actx, tx, audit.Change{Action: "lock", Entity: "user", EntityID: st.user.ID,
			RegionID: s.scopeRegion(ctx, NewUser{RegionID: st.user.RegionID, OrganisationID: st.user.OrganisationID, ProfessionalID: st.user.ProfessionalID}),
			After:    map[string]any{"locked_until": until, "failures": n}})
	})
}

// Unlock ends the lockout of an account and forgives its earlier failed logins. National
// governance may unlock any account, a regional referent those scoped in their region.
func (s *Service) Unlock(ctx context.Context, userID int64) error {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return err
	}
	var u User
	if err := scanUser(s.DB.Read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u WHERE u.id = $1`, userID), &u); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("user")
		}
		return err
	}
	region := s.scopeRegion(ctx, NewUser{RegionID: u.RegionID, OrganisationID: u.OrganisationID, ProfessionalID: u.ProfessionalID})
	if a.Role == domain.RoleRegional && region != a.RegionID {
		return domain.NotFound("user")
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until = NULL, lock_reset_at = $1, updated_at = $1 WHERE id = $2`, now, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "unlock", Entity: "user", EntityID: userID, RegionID: region})
	})
}

// LockedUntil returns when the lock of an account ends, or the zero time if it is not locked.
func (s *Service) LockedUntil(ctx context.Context, userID int64) (time.Time, error) {
	var t sql.NullTime
	err := s.DB.Read.QueryRowContext(ctx, `SELECT locked_until FROM users WHERE id = $1`, userID).Scan(&t)
	if err != nil || !t.Valid || !t.Time.After(s.now()) {
		return time.Time{}, db0(err)
	}
	return t.Time, nil
}

func db0(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound("user")
	}
	return err
}

// policyInvalid turns a password policy violation into the EINVALID error of field, keeping
// the *PolicyError inside so the web layer can translate it.
func policyInvalid(field string, err error) error {
	return &domain.Error{Code: domain.EINVALID, Field: field, Message: err.Error(), Err: err}
}

// RotateSession replaces the session token tok with a new one for the same user (at a
// privilege change such as a new password), so a token captured earlier is useless. It
// returns the new token.
func (s *Service) RotateSession(ctx context.Context, tok string) (string, error) {
	now := s.now()
	nt := NewSecret(32)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var uid int64
		if err := tx.QueryRowContext(ctx, `SELECT user_id FROM sessions WHERE token_hash = $1`, hashToken(tok)).Scan(&uid); err != nil {
			return &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(tok)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $3, $4)`, hashToken(nt), uid, now, now.Add(SessionAbsolute))
		return err
	})
	if err != nil {
		return "", err
	}
	return nt, nil
}

// TokenInput is what CreateTokenWith needs: a name, the scopes (default read and write) and
// the lifetime (default DefaultTokenLifetime, at most MaxTokenLifetime).
type TokenInput struct {
	Name     string
	Scopes   []string
	Lifetime time.Duration
}

// normaliseScopes checks and orders the scopes of a new token.
func normaliseScopes(in []string) (string, error) {
	if len(in) == 0 {
		return ScopeRead + " " + ScopeWrite, nil
	}
	var read, write bool
	for _, sc := range in {
		switch strings.ToLower(strings.TrimSpace(sc)) {
		case ScopeRead:
			read = true
		case ScopeWrite:
			write = true
		case "":
		default:
			return "", domain.Invalid("scopes", "unknown scope %q (read, write)", sc)
		}
	}
	switch {
	case read && write:
		return ScopeRead + " " + ScopeWrite, nil
	case write:
		return ScopeWrite, nil
	case read:
		return ScopeRead, nil
	}
	return "", domain.Invalid("scopes", "a token needs at least one scope (read, write)")
}

// TokenGrant is what an API token secret grants: the actor, its scopes and its expiry.
type TokenGrant struct {
	Actor     domain.Actor
	Scopes    []string
	ExpiresAt *time.Time
}

// Allows reports whether the token's scopes allow an HTTP method: safe methods need read
// (write implies it), the others write.
func (g TokenGrant) Allows(method string) bool {
	has := func(s string) bool {
		for _, x := range g.Scopes {
			if x == s {
				return true
			}
		}
		return false
	}
	if method == "GET" || method == "HEAD" || method == "OPTIONS" {
		return has(ScopeRead) || has(ScopeWrite)
	}
	return has(ScopeWrite)
}

// ErrTokenExpired is the answer to a token past its expiry.
var ErrTokenExpired = &domain.Error{Code: domain.EUNAUTHORIZED, Message: "the API token has expired: create a new one"}

// TokenGrantOf returns the grant of an API token secret: EUNAUTHORIZED if it is unknown,
// revoked, expired or its user is disabled. It records the token's last use at most once a
// minute.
func (s *Service) TokenGrantOf(ctx context.Context, secret string) (TokenGrant, error) {
	var u User
	var tid int64
	var scopes string
	var expires, lastUsed sql.NullTime
	err := scanUser(s.DB.Read.QueryRowContext(ctx, `SELECT `+userCols+`, t.id, t.scopes, t.expires_at, t.last_used_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, hashToken(secret)),
		&u, &tid, &scopes, &expires, &lastUsed)
	if err != nil || u.Disabled {
		return TokenGrant{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "invalid or revoked API token"}
	}
	now := s.now()
	if expires.Valid && !now.Before(expires.Time) {
		return TokenGrant{}, ErrTokenExpired
	}
	if !lastUsed.Valid || now.Sub(lastUsed.Time) > time.Minute {
		_, _ = s.DB.Write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, tid)
	}
	a := s.actor(ctx, u)
	a.TokenID = tid
	g := TokenGrant{Actor: a, Scopes: strings.Fields(scopes)}
	if expires.Valid {
		t := expires.Time
		g.ExpiresAt = &t
	}
	return g, nil
}
