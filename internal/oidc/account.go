package oidc

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"slices"
	"strings"

	"esd/internal/audit"
	"esd/internal/auth"
	"esd/internal/db"
	"esd/internal/domain"
)

// signIn finds or makes the account of a verified identity and opens its session. The
// codice fiscale is the key: a pairwise sub seen before must still carry the same code; a
// staff account linked by governance wins; else the professional of the registry with that
// code, whose account is made at the first login.
func (s *Service) signIn(ctx context.Context, b Broker, id identity, remote string) (Result, error) {
	var res Result
	var userID, region int64
	var role string
	var disabled bool
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var knownCF string
		err := tx.QueryRowContext(ctx, `SELECT cf, user_id FROM oidc_identities WHERE broker_id = $1 AND sub = $2`, b.ID, id.sub).Scan(&knownCF, &userID)
		switch {
		case err == nil && knownCF != id.cf:
			return fail(ReasonIdentity, "sub %q was %s, now %s", id.sub, knownCF, id.cf)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if userID == 0 {
			err = tx.QueryRowContext(ctx, `SELECT user_id FROM oidc_links WHERE cf = $1`, id.cf).Scan(&userID)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if userID == 0 {
			var profID int64
			err = tx.QueryRowContext(ctx, `SELECT id, region_id FROM professionals WHERE cf = $1`, id.cf).Scan(&profID, &region)
			if errors.Is(err, sql.ErrNoRows) {
				return fail(ReasonNotRegistered, "%s is not in the registry of professionals and no account is linked to it", id.cf)
			}
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE professional_id = $1 AND role = 'professional' ORDER BY id LIMIT 1`, profID).Scan(&userID)
			if errors.Is(err, sql.ErrNoRows) {
				if !slices.Contains(b.Roles, domain.RoleProfessional) {
					return fail(ReasonRole, "professionals may not log in through %s", b.Code)
				}
				userID, err = s.createProfessionalUser(ctx, tx, profID, region, id)
				res.Created = true
			}
			if err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT role, disabled FROM users WHERE id = $1`, userID).Scan(&role, &disabled); err != nil {
			return err
		}
		if disabled {
			return fail(ReasonDisabled, "account %d is disabled", userID)
		}
		if !slices.Contains(b.Roles, domain.Role(role)) {
			return fail(ReasonRole, "role %s may not log in through %s", role, b.Code)
		}
		now := db.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_identities (broker_id, sub, cf, user_id, created_at, last_login_at) VALUES ($1,$2,$3,$4,$5,$5)
			ON CONFLICT (broker_id, sub) DO UPDATE SET last_login_at = excluded.last_login_at`, b.ID, id.sub, id.cf, userID, now); err != nil {
			return err
		}
		actx := domain.WithActor(ctx, domain.Actor{UserID: userID, Role: domain.Role(role)})
		return audit.Record(actx, tx, audit.Change{Action: "oidc_login", Entity: "user", EntityID: userID, RegionID: region,
			After: map[string]any{"broker": b.Code, "sub": id.sub, "acr": id.acr, "level": id.level, "remote": remote, "account_created": res.Created}})
	})
	if err != nil {
		return Result{}, err
	}
	// The session is opened after the commit: on SQLite the transaction holds the only
	// write connection, which OpenSession needs.
	tok, u, err := s.Auth.OpenSession(ctx, userID)
	if err != nil {
		return Result{}, fail(ReasonDisabled, "%v", err)
	}
	if _, err := s.DB.Write.ExecContext(ctx, `INSERT INTO oidc_sessions (session_hash, broker_id, id_token, created_at) VALUES ($1,$2,$3,$4)`,
		auth.SessionHash(tok), b.ID, id.rawIDToken, db.Now()); err != nil {
		return Result{}, err
	}
	res.Token, res.User, res.BrokerID = tok, u, b.ID
	return res, nil
}

// createProfessionalUser makes the account of a registered professional at their first
// login: username the fiscal code in lower case, no usable password (the hash "!" never
// matches), the names the broker asserted only as display name.
func (s *Service) createProfessionalUser(ctx context.Context, tx *sql.Tx, profID, region int64, id identity) (int64, error) {
	var given, family string
	_ = tx.QueryRowContext(ctx, `SELECT given_name, family_name FROM professionals WHERE id = $1`, profID).Scan(&given, &family)
	name := strings.TrimSpace(given + " " + family)
	if name == "" {
		name = strings.TrimSpace(id.given + " " + id.family)
	}
	now := db.Now()
	var uid int64
	err := tx.QueryRowContext(ctx, `INSERT INTO users (username, display_name, password_hash, role, professional_id, created_at, updated_at)
		VALUES ($1,$2,'!','professional',$3,$4,$4) RETURNING id`, strings.ToLower(id.cf), name, profID, now).Scan(&uid)
	if err != nil {
		return 0, db.MapError(err)
	}
	actx := domain.WithActor(ctx, domain.SystemActor)
	return uid, audit.Record(actx, tx, audit.Change{Action: "create", Entity: "user", EntityID: uid, RegionID: region,
		After: map[string]any{"username": strings.ToLower(id.cf), "role": "professional", "professional_id": profID, "via": "oidc"}})
}

// Logout ends the broker session behind a local session token: it returns the broker's
// end-session URL (with the ID token as hint and our login page as the way back), or "" if
// the session did not come from a broker or the broker offers no end-session endpoint.
func (s *Service) Logout(ctx context.Context, tok, back string) string {
	var brokerID int64
	var idt string
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT broker_id, id_token FROM oidc_sessions WHERE session_hash = $1`, auth.SessionHash(tok)).Scan(&brokerID, &idt); err != nil {
		return ""
	}
	_, _ = s.DB.Write.ExecContext(ctx, `DELETE FROM oidc_sessions WHERE session_hash = $1`, auth.SessionHash(tok))
	b, err := s.broker(ctx, s.DB.Read, "id = $1", brokerID)
	if err != nil {
		return ""
	}
	_ = audit.Record(ctx, s.DB.Write, audit.Change{Action: "oidc_logout", Entity: "oidc_broker", EntityID: brokerID})
	p, err := s.provider(ctx, b)
	if err != nil || p.endSession == "" {
		return ""
	}
	v := url.Values{"id_token_hint": {idt}, "client_id": {b.ClientID}, "post_logout_redirect_uri": {back}}
	sep := "?"
	if strings.Contains(p.endSession, "?") {
		sep = "&"
	}
	return p.endSession + sep + v.Encode()
}

// Link is a staff account linked to a fiscal code.
type Link struct {
	CF       string `json:"cf"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	LinkedBy string `json:"linked_by"`
}

// LinkAccount links a staff account to the fiscal code its owner logs in with, once: a
// code or an account already linked is ECONFLICT. National governance links any account; a
// regional referent those scoped in their region. Professional accounts need no link.
func (s *Service) LinkAccount(ctx context.Context, username, code string) (Link, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return Link{}, err
	}
	n, err := NormaliseFiscalCode(code)
	if err != nil {
		return Link{}, domain.Invalid("cf", "%v", err)
	}
	var uid, region, org int64
	var role string
	err = s.DB.Read.QueryRowContext(ctx, `SELECT u.id, u.role, COALESCE(u.region_id, 0), COALESCE(u.organisation_id, 0) FROM users u WHERE u.username = $1`,
		strings.ToLower(strings.TrimSpace(username))).Scan(&uid, &role, &region, &org)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, domain.Invalid("username", "no account %q", username)
	}
	if err != nil {
		return Link{}, err
	}
	if region == 0 && org != 0 {
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(region_id, 0) FROM organisations WHERE id = $1`, org).Scan(&region)
	}
	if domain.Role(role) == domain.RoleProfessional {
		return Link{}, domain.Invalid("username", "professional accounts are found by their registry record, not linked")
	}
	if a.Role == domain.RoleRegional && (region != a.RegionID || domain.Role(role) == domain.RoleNational || domain.Role(role) == domain.RoleAnalyst) {
		return Link{}, domain.Forbidden("the account is outside your region")
	}
	l := Link{CF: n, UserID: uid, Username: strings.ToLower(username), Role: role, LinkedBy: a.Username}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_links (cf, user_id, linked_by, linked_at) VALUES ($1,$2,$3,$4)`, n, uid, a.Username, db.Now()); err != nil {
			return db.MapError(err)
		}
		return audit.Record(ctx, tx, audit.Change{Action: "oidc_link", Entity: "user", EntityID: uid, RegionID: region, After: l})
	})
	if domain.ErrorCode(err) == domain.ECONFLICT {
		return Link{}, &domain.Error{Code: domain.ECONFLICT, Message: "this fiscal code or this account is already linked (a link is made once)"}
	}
	return l, err
}

// Links lists the linked accounts in the caller's scope.
func (s *Service) Links(ctx context.Context) ([]Link, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT l.cf, l.user_id, u.username, u.role, l.linked_by,
		COALESCE(u.region_id, o.region_id, 0) FROM oidc_links l JOIN users u ON u.id = l.user_id
		LEFT JOIN organisations o ON o.id = u.organisation_id ORDER BY u.username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		var region int64
		if err := rows.Scan(&l.CF, &l.UserID, &l.Username, &l.Role, &l.LinkedBy, &region); err != nil {
			return nil, err
		}
		if a.Role == domain.RoleRegional && region != a.RegionID {
			continue
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
