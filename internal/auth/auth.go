package auth

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Session lifetimes: idle sessions end after two hours, any session after twelve.
const (
	SessionIdle     = 2 * time.Hour
	SessionAbsolute = 12 * time.Hour
	// Throttling: this many failed logins for one username, or from one address, within the
	// window lock further attempts until the window passes.
	maxFailsPerUser   = 5
	maxFailsPerRemote = 30
	throttleWindow    = 15 * time.Minute
)

// User is a local account with its grant.
type User struct {
	ID                 int64       `json:"id"`
	Username           string      `json:"username"`
	DisplayName        string      `json:"display_name"`
	Role               domain.Role `json:"role"`
	RegionID           int64       `json:"region_id,omitempty"`
	OrganisationID     int64       `json:"organisation_id,omitempty"`
	ProfessionalID     int64       `json:"professional_id,omitempty"`
	MustChangePassword bool        `json:"must_change_password"`
	Disabled           bool        `json:"disabled"`
	Lang               string      `json:"lang"`
	CreatedAt          time.Time   `json:"created_at"`
	// LockedUntil is set while the account is locked after repeated failed logins.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Username       string
	DisplayName    string
	Password       string
	Role           domain.Role
	RegionID       int64
	OrganisationID int64
	ProfessionalID int64
	MustChange     bool
}

// Service manages accounts, sessions and tokens.
type Service struct {
	DB *db.DB
	// Now is the clock; tests move it to expire sessions.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return db.Now()
}

// Actor builds the domain actor of a user; an organisation's region becomes the actor's
// region so regional rules can apply to organisation users too.
func (s *Service) actor(ctx context.Context, u User) domain.Actor {
	a := domain.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, RegionID: u.RegionID,
		OrganisationID: u.OrganisationID, ProfessionalID: u.ProfessionalID}
	if a.RegionID == 0 && a.OrganisationID != 0 {
		var r sql.NullInt64
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1`, a.OrganisationID).Scan(&r)
		a.RegionID = r.Int64
	}
	return a
}

// userCols are the columns scanUser reads; queries alias the users table as u.
const userCols = `u.id, u.username, u.display_name, u.role, COALESCE(u.region_id, 0), COALESCE(u.organisation_id, 0),
	COALESCE(u.professional_id, 0), u.must_change_password, u.disabled, u.lang, u.created_at, u.locked_until`

func scanUser(row interface{ Scan(...any) error }, u *User, extra ...any) error {
	return row.Scan(append([]any{&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.RegionID, &u.OrganisationID,
		&u.ProfessionalID, &u.MustChangePassword, &u.Disabled, &u.Lang, &u.CreatedAt, &u.LockedUntil}, extra...)...)
}

func nullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// validateGrant checks that the scope fits the role: exactly the scope the role needs.
func validateGrant(u NewUser) error {
	if !u.Role.Valid() {
		return domain.Invalid("role", "unknown role %q", u.Role)
	}
	need := map[domain.Role]string{domain.RoleRegional: "region", domain.RoleOrganisation: "organisation",
		domain.RoleProvider: "organisation", domain.RoleProfessional: "professional"}[u.Role]
	switch need {
	case "region":
		if u.RegionID == 0 {
			return domain.Invalid("region", "a regional referent needs a region")
		}
	case "organisation":
		if u.OrganisationID == 0 {
			return domain.Invalid("organisation", "role %s needs an organisation", u.Role)
		}
	case "professional":
		if u.ProfessionalID == 0 {
			return domain.Invalid("professional", "a professional account needs a professional record")
		}
	}
	return nil
}

// CreateUser creates an account. National governance (and the system) may create any
// account; a regional referent only accounts scoped inside their region.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (User, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return User{}, err
	}
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	if in.Username == "" || strings.ContainsAny(in.Username, " \t/") {
		return User{}, domain.Invalid("username", "must be a single word")
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	if err := ValidatePassword(in.Username, in.Password); err != nil {
		return User{}, policyInvalid("password", err)
	}
	if err := validateGrant(in); err != nil {
		return User{}, err
	}
	if a.Role == domain.RoleRegional {
		if in.Role == domain.RoleNational || in.Role == domain.RoleAnalyst {
			return User{}, domain.Forbidden("a regional referent cannot create %s accounts", in.Role)
		}
		if r := s.scopeRegion(ctx, in); r != a.RegionID {
			return User{}, domain.Forbidden("the account's scope is outside your region")
		}
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	var u User
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (username, display_name, password_hash, role, region_id, organisation_id,
			professional_id, must_change_password, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) RETURNING id`,
			in.Username, in.DisplayName, hash, string(in.Role), nullID(in.RegionID), nullID(in.OrganisationID),
			nullID(in.ProfessionalID), in.MustChange, now).Scan(&u.ID)
		if err != nil {
			return err
		}
		u = User{ID: u.ID, Username: in.Username, DisplayName: in.DisplayName, Role: in.Role, RegionID: in.RegionID,
			OrganisationID: in.OrganisationID, ProfessionalID: in.ProfessionalID, MustChangePassword: in.MustChange,
			Lang: "it", CreatedAt: now}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "user", EntityID: u.ID,
			RegionID: s.scopeRegion(ctx, in), After: u})
	})
	if domain.ErrorCode(err) == domain.ECONFLICT {
		return User{}, domain.Invalid("username", "%q is taken", in.Username)
	}
	return u, err
}

// scopeRegion returns the region a grant's scope lies in.
func (s *Service) scopeRegion(ctx context.Context, in NewUser) int64 {
	if in.RegionID != 0 {
		return in.RegionID
	}
	var r sql.NullInt64
	if in.OrganisationID != 0 {
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1`, in.OrganisationID).Scan(&r)
	} else if in.ProfessionalID != 0 {
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT region_id FROM professionals WHERE id = $1`, in.ProfessionalID).Scan(&r)
	}
	return r.Int64
}

// ListUsers lists accounts: all for national governance, those scoped in the region for a
// regional referent.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+userCols+` FROM users u ORDER BY u.username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := scanUser(rows, &u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if a.Role == domain.RoleRegional {
		kept := out[:0]
		for _, u := range out {
			if s.scopeRegion(ctx, NewUser{RegionID: u.RegionID, OrganisationID: u.OrganisationID, ProfessionalID: u.ProfessionalID}) == a.RegionID {
				kept = append(kept, u)
			}
		}
		out = kept
	}
	return out, nil
}

// ErrBadLogin is returned for a wrong username or password, without saying which.
var ErrBadLogin = &domain.Error{Code: domain.EUNAUTHORIZED, Message: "wrong username or password"}

// Login checks the credentials and, on success, opens a session and returns its token (to
// be set as a cookie). Failed attempts are counted per username and per remote address: they
// throttle further attempts for a while, and lock the account after lockAfter failures within
// lockWindow (see security.go). A locked or throttled username gets the same answer whether
// the account exists or not.
func (s *Service) Login(ctx context.Context, username, password, remote string) (string, User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	now := s.now()
	st, err := s.loginState(ctx, username)
	if err != nil {
		return "", User{}, err
	}
	if n, _ := s.failuresSince(ctx, st, username, now.Add(-lockWindow)); n >= lockAfter {
		return "", User{}, ErrLocked
	}
	byUser, _ := s.failuresSince(ctx, st, username, now.Add(-throttleWindow))
	var byRemote int
	_ = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_attempts WHERE remote = $1 AND ok = FALSE AND at > $2`, remote, now.Add(-throttleWindow)).Scan(&byRemote)
	if byUser >= maxFailsPerUser || byRemote >= maxFailsPerRemote {
		return "", User{}, ErrThrottled
	}
	u, hash := st.user, st.hash
	ok := st.exists && !u.Disabled && CheckPassword(hash, password)
	if !st.exists {
		// Spend the same time as a real check so timing does not reveal which usernames exist.
		CheckPassword("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", password)
	}
	if _, err := s.DB.Write.ExecContext(ctx, `INSERT INTO login_attempts (username, remote, ok, at) VALUES ($1, $2, $3, $4)`,
		username, remote, ok, now); err != nil {
		return "", User{}, err
	}
	if !ok {
		if err := s.maybeLock(ctx, st, username, now); err != nil {
			return "", User{}, err
		}
		return "", User{}, ErrBadLogin
	}
	if s.passwordOff(ctx, s.DB.Read, u.Role) {
		return "", User{}, ErrPasswordOff
	}
	tok := NewSecret(32)
	if _, err := s.DB.Write.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $3, $4)`, hashToken(tok), u.ID, now, now.Add(SessionAbsolute)); err != nil {
		return "", User{}, err
	}
	return tok, u, nil
}

// SessionUser returns the user and actor of a session token, extending its idle deadline.
// Expired or unknown tokens give EUNAUTHORIZED.
func (s *Service) SessionUser(ctx context.Context, tok string) (User, domain.Actor, error) {
	if tok == "" {
		return User{}, domain.Actor{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	now := s.now()
	var u User
	var lastSeen, expires time.Time
	err := scanUser(s.DB.Read.QueryRowContext(ctx, `SELECT `+userCols+`, s.last_seen_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, hashToken(tok)), &u, &lastSeen, &expires)
	if err != nil || u.Disabled || now.After(expires) || now.Sub(lastSeen) > SessionIdle {
		if err == nil {
			_, _ = s.DB.Write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(tok))
		}
		return User{}, domain.Actor{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "session expired: please log in again"}
	}
	// Touch at most once a minute: a write per request would serialise every page view on
	// SQLite's single writer.
	if now.Sub(lastSeen) > time.Minute {
		_, _ = s.DB.Write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, hashToken(tok))
	}
	return u, s.actor(ctx, u), nil
}

// Logout ends the session of tok.
func (s *Service) Logout(ctx context.Context, tok string) error {
	_, err := s.DB.Write.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashToken(tok))
	return err
}

// ChangePassword changes the calling user's password after checking the old one, and ends
// their other sessions.
func (s *Service) ChangePassword(ctx context.Context, oldPW, newPW, keepToken string) error {
	a := domain.ActorFrom(ctx)
	if a.UserID == 0 {
		return &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	var hash, username string
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT password_hash, username FROM users WHERE id = $1`, a.UserID).Scan(&hash, &username); err != nil {
		return db.MapError(err)
	}
	if !CheckPassword(hash, oldPW) {
		return domain.Invalid("old_password", "the current password is wrong")
	}
	if err := ValidatePassword(username, newPW); err != nil {
		return policyInvalid("new_password", err)
	}
	if oldPW == newPW {
		return domain.Invalid("new_password", "must differ from the current password")
	}
	nh, err := HashPassword(newPW)
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = FALSE, updated_at = $2 WHERE id = $3`,
			nh, s.now(), a.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, a.UserID, hashToken(keepToken)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "password_change", Entity: "user", EntityID: a.UserID, RegionID: a.RegionID})
	})
}

// SetLang stores the calling user's preferred language (it or en).
func (s *Service) SetLang(ctx context.Context, lang string) error {
	a := domain.ActorFrom(ctx)
	if a.UserID == 0 || (lang != "it" && lang != "en") {
		return nil
	}
	_, err := s.DB.Write.ExecContext(ctx, `UPDATE users SET lang = $1 WHERE id = $2`, lang, a.UserID)
	return err
}

// Token is an API token's visible part.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Scopes are "read" and/or "write" (see ScopeRead); ExpiresAt is nil only for tokens
	// created before expiries existed.
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// CreateToken creates an API token with read and write scopes and the default lifetime; see
// CreateTokenWith.
func (s *Service) CreateToken(ctx context.Context, name string) (string, Token, error) {
	return s.CreateTokenWith(ctx, TokenInput{Name: name})
}

// CreateTokenWith creates an API token for the calling user, with the user's own role and
// scope narrowed to in.Scopes and an expiry, and returns its secret once; only its hash is
// stored.
func (s *Service) CreateTokenWith(ctx context.Context, in TokenInput) (string, Token, error) {
	name := in.Name
	a := domain.ActorFrom(ctx)
	if a.UserID == 0 {
		return "", Token{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	if a.TokenID != 0 {
		return "", Token{}, domain.Forbidden("an API token cannot create tokens")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Token{}, domain.Invalid("name", "a token needs a name")
	}
	scopes, err := normaliseScopes(in.Scopes)
	if err != nil {
		return "", Token{}, err
	}
	life := in.Lifetime
	if life == 0 {
		life = DefaultTokenLifetime
	}
	if life < 0 || life > MaxTokenLifetime {
		return "", Token{}, domain.Invalid("expires_days", "a token lasts between 1 and %d days", int(MaxTokenLifetime.Hours()/24))
	}
	secret := "esd_" + NewSecret(32)
	t := Token{Name: name, CreatedAt: s.now(), Scopes: strings.Fields(scopes)}
	exp := t.CreatedAt.Add(life)
	t.ExpiresAt = &exp
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at, scopes, expires_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`,
			a.UserID, name, hashToken(secret), t.CreatedAt, scopes, exp).Scan(&t.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "api_token", EntityID: t.ID, RegionID: a.RegionID, After: t})
	})
	return secret, t, err
}

// ListTokens lists the calling user's tokens.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	a := domain.ActorFrom(ctx)
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, name, created_at, last_used_at, revoked_at, scopes, expires_at FROM api_tokens WHERE user_id = $1 ORDER BY id`, a.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var scopes string
		if err := rows.Scan(&t.ID, &t.Name, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt, &scopes, &t.ExpiresAt); err != nil {
			return nil, err
		}
		t.Scopes = strings.Fields(scopes)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the calling user's tokens.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	a := domain.ActorFrom(ctx)
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL`, s.now(), id, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("token")
		}
		return audit.Record(ctx, tx, audit.Change{Action: "revoke", Entity: "api_token", EntityID: id, RegionID: a.RegionID})
	})
}

// TokenActor returns the actor of an API token secret (see TokenGrantOf, which also gives
// the scopes).
func (s *Service) TokenActor(ctx context.Context, secret string) (domain.Actor, error) {
	g, err := s.TokenGrantOf(ctx, secret)
	return g.Actor, err
}

// EnsureAdmin creates the first national governance account "admin" when no account exists.
// It returns the password it set (the given one, or a generated one-time password that must
// be changed at first login) and whether it created the account.
func (s *Service) EnsureAdmin(ctx context.Context, password string) (string, bool, error) {
	var n int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return "", false, err
	}
	if n > 0 {
		return "", false, nil
	}
	mustChange := password == ""
	if mustChange {
		password = NewSecret(12)
	}
	_, err := s.CreateUser(domain.WithActor(ctx, domain.SystemActor), NewUser{Username: "admin", DisplayName: "Amministratore nazionale",
		Password: password, Role: domain.RoleNational, MustChange: mustChange})
	if err != nil {
		return "", false, err
	}
	return password, true, nil
}
