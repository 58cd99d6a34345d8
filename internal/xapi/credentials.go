package xapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/domain"
)

// Scopes a credential may hold (xAPI 1.0.3 §4.2 names).
const (
	ScopeStatementsWrite    = "statements/write"
	ScopeStatementsRead     = "statements/read"
	ScopeStatementsReadMine = "statements/read/mine"
	ScopeState              = "state"
	ScopeProfile            = "profile"
	ScopeAll                = "all"
)

// AllScopes lists the scopes in display order.
var AllScopes = []string{ScopeStatementsWrite, ScopeStatementsRead, ScopeStatementsReadMine, ScopeState, ScopeProfile, ScopeAll}

// Credential is a provider's key for the LRS.
type Credential struct {
	ID                  int64          `json:"id"`
	ProviderID          int64          `json:"provider_id"`
	Kind                string         `json:"kind"` // basic or session
	Key                 string         `json:"key"`
	Label               string         `json:"label"`
	Scopes              []string       `json:"scopes"`
	Authority           map[string]any `json:"authority"`
	NoVoid              bool           `json:"no_void"`
	SessionActor        string         `json:"session_actor,omitempty"`
	SessionRegistration string         `json:"session_registration,omitempty"`
	SessionActivity     string         `json:"session_activity,omitempty"`
	ExpiresAt           string         `json:"expires_at,omitempty"`
	CreatedBy           string         `json:"created_by"`
	CreatedAt           string         `json:"created_at"`
	RevokedAt           string         `json:"revoked_at,omitempty"`
	secretHash          string
	actorKey            string // decoded session actor key
}

// Has reports whether the credential holds the scope (all holds every one).
func (c *Credential) Has(scope string) bool {
	for _, s := range c.Scopes {
		if s == scope || s == ScopeAll {
			return true
		}
		if scope == ScopeStatementsReadMine && s == ScopeStatementsRead {
			return true
		}
	}
	return false
}

// Issued is a new credential with its secret, shown once.
type Issued struct {
	Credential
	Secret string `json:"secret"`
	// Basic is the value of the Authorization header ("Basic …"), the cmi5 auth-token.
	Basic     string `json:"basic"`
	AuthToken string `json:"auth-token,omitempty"`
}

// CredentialInput creates a provider credential.
type CredentialInput struct {
	Label  string   `json:"label"`
	Scopes []string `json:"scopes"`
	NoVoid bool     `json:"no_void"`
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// manageProvider: the provider itself or national governance.
func manageProvider(ctx context.Context, providerID int64) (domain.Actor, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return a, err
	}
	if a.Role == domain.RoleProvider && a.OrganisationID != providerID {
		return a, domain.Forbidden("a provider manages only its own xAPI credentials")
	}
	return a, nil
}

func (s *Service) providerCode(ctx context.Context, id int64) (string, error) {
	var code string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT code FROM organisations WHERE id = $1 AND kind = 'provider'`, id).Scan(&code)
	if err == sql.ErrNoRows {
		return "", domain.NotFound("provider")
	}
	return code, err
}

// CreateCredential issues a Basic key and secret for a provider, with the authority agent
// the LRS stamps on its statements (an account on ESD's provider page).
func (s *Service) CreateCredential(ctx context.Context, providerID int64, in CredentialInput) (Issued, error) {
	if _, err := manageProvider(ctx, providerID); err != nil {
		return Issued{}, err
	}
	code, err := s.providerCode(ctx, providerID)
	if err != nil {
		return Issued{}, err
	}
	if len(in.Scopes) == 0 {
		return Issued{}, domain.Invalid("scopes", "choose at least one scope")
	}
	for _, sc := range in.Scopes {
		if !validScope(sc) {
			return Issued{}, domain.Invalid("scopes", "unknown scope %q (statements/write, statements/read, statements/read/mine, state, profile, all)", sc)
		}
	}
	in.Label = strings.TrimSpace(in.Label)
	if len(in.Label) > 200 {
		return Issued{}, domain.Invalid("label", "the label is at most 200 characters")
	}
	key := "esd-" + randomHex(10)
	auth := map[string]any{"objectType": "Agent", "name": code + " " + in.Label, "account": map[string]any{"homePage": "https://esd.salute.gov.it/providers/" + code, "name": key}}
	return s.insertCredential(ctx, providerID, "basic", key, in.Label, in.Scopes, auth, in.NoVoid, "", "", "", "")
}

func validScope(sc string) bool {
	for _, x := range AllScopes {
		if x == sc {
			return true
		}
	}
	return false
}

func (s *Service) insertCredential(ctx context.Context, providerID int64, kind, key, label string, scopes []string, auth map[string]any, noVoid bool, actor, reg, activity, expires string) (Issued, error) {
	secret := randomHex(32)
	authJSON, _ := json.Marshal(auth)
	now := fmtStored(s.now())
	by := domain.ActorFrom(ctx).Username
	c := Credential{ProviderID: providerID, Kind: kind, Key: key, Label: label, Scopes: scopes, Authority: auth, NoVoid: noVoid,
		SessionActor: actor, SessionRegistration: reg, SessionActivity: activity, ExpiresAt: expires, CreatedBy: by, CreatedAt: now}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO xapi_credentials (provider_id, kind, key, secret_sha256, label, scopes, authority_json, no_void,
			session_actor, session_registration, session_activity, expires_at, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id`,
			providerID, kind, key, sha256Hex([]byte(secret)), label, strings.Join(scopes, " "), string(authJSON), boolInt(noVoid), actor, reg, activity, expires, by, now).Scan(&c.ID); err != nil {
			return err
		}
		if kind == "session" {
			return nil // one per cmi5 launch: the audit trail records the minting credential's use instead
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "xapi_credential", EntityID: c.ID, After: map[string]any{"provider_id": providerID, "key": key, "scopes": scopes, "label": label}})
	})
	if err != nil {
		return Issued{}, err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(key + ":" + secret))
	out := Issued{Credential: c, Secret: secret, Basic: "Basic " + basic}
	if kind == "session" {
		out.AuthToken = basic
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SessionInput asks for a cmi5 launch's credential.
type SessionInput struct {
	Actor        map[string]any `json:"actor"`
	Registration string         `json:"registration"`
	ActivityID   string         `json:"activity_id"`
	// Minutes of validity (default 120, at most 1,440).
	Minutes int `json:"minutes,omitempty"`
}

// MintSession issues a short-lived credential for one cmi5 launch: it may write statements of
// that actor in that registration, read its own, and read and write that actor's state and
// agent profile, but never void; the provider's fetch URL returns its auth-token once.
func (s *Service) MintSession(ctx context.Context, in SessionInput) (Issued, error) {
	a, err := domain.Require(ctx, domain.RoleProvider)
	if err != nil {
		return Issued{}, err
	}
	v := &validator{}
	v.agent("actor", in.Actor, false)
	v.uuid("registration", in.Registration)
	v.iri("activity_id", in.ActivityID)
	if len(v.errs) > 0 {
		return Issued{}, domain.Invalid(strings.SplitN(v.errs[0], ":", 2)[0], "%s", v.errs[0])
	}
	if in.Minutes == 0 {
		in.Minutes = 120
	}
	if in.Minutes < 1 || in.Minutes > 1440 {
		return Issued{}, domain.Invalid("minutes", "a session credential lasts 1 to 1440 minutes")
	}
	code, err := s.providerCode(ctx, a.OrganisationID)
	if err != nil {
		return Issued{}, err
	}
	key := "cmi5-" + randomHex(10)
	auth := map[string]any{"objectType": "Agent", "name": code + " cmi5", "account": map[string]any{"homePage": "https://esd.salute.gov.it/providers/" + code, "name": key}}
	actorJSON, _ := json.Marshal(in.Actor)
	exp := fmtStored(s.now().Add(time.Duration(in.Minutes) * time.Minute))
	return s.insertCredential(ctx, a.OrganisationID, "session", key, "cmi5 session", []string{ScopeStatementsWrite, ScopeStatementsReadMine, ScopeState, ScopeProfile},
		auth, true, string(actorJSON), in.Registration, in.ActivityID, exp)
}

// Credentials lists a provider's Basic credentials (never their secrets).
func (s *Service) Credentials(ctx context.Context, providerID int64) ([]Credential, error) {
	if _, err := manageProvider(ctx, providerID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, credSelect+` WHERE provider_id = $1 AND kind = 'basic' ORDER BY id`, providerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Credential
	for rows.Next() {
		c, err := scanCred(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

const credSelect = `SELECT id, provider_id, kind, key, secret_sha256, label, scopes, authority_json, no_void, session_actor, session_registration,
	session_activity, expires_at, created_by, created_at, revoked_at FROM xapi_credentials`

func scanCred(r interface{ Scan(...any) error }) (*Credential, error) {
	var c Credential
	var scopes, auth string
	var noVoid int
	if err := r.Scan(&c.ID, &c.ProviderID, &c.Kind, &c.Key, &c.secretHash, &c.Label, &scopes, &auth, &noVoid, &c.SessionActor, &c.SessionRegistration,
		&c.SessionActivity, &c.ExpiresAt, &c.CreatedBy, &c.CreatedAt, &c.RevokedAt); err != nil {
		return nil, err
	}
	c.Scopes = strings.Fields(scopes)
	c.NoVoid = noVoid != 0
	_ = json.Unmarshal([]byte(auth), &c.Authority)
	if c.SessionActor != "" {
		var x any
		if x, _ = decodeJSON([]byte(c.SessionActor)); x != nil {
			c.actorKey = agentKey(x)
		}
	}
	return &c, nil
}

// RevokeCredential revokes a credential at once.
func (s *Service) RevokeCredential(ctx context.Context, providerID, id int64) error {
	if _, err := manageProvider(ctx, providerID); err != nil {
		return err
	}
	var key string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT key FROM xapi_credentials WHERE id = $1 AND provider_id = $2 AND revoked_at = ''`, id, providerID).Scan(&key)
		if err == sql.ErrNoRows {
			return domain.NotFound("credential")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE xapi_credentials SET revoked_at = $1 WHERE id = $2`, fmtStored(s.now()), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "revoke", Entity: "xapi_credential", EntityID: id, After: map[string]any{"key": key}})
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.creds, key)
	s.mu.Unlock()
	return nil
}

// Authenticate turns an Authorization header into a credential: 401 when it is missing,
// unknown, wrong, revoked or expired.
func (s *Service) Authenticate(ctx context.Context, header string) (*Credential, error) {
	const p = "Basic "
	if len(header) < len(p) || !strings.EqualFold(header[:len(p)], p) {
		return nil, statusErr(401, "HTTP Basic credentials required")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header[len(p):]))
	if err != nil {
		return nil, statusErr(401, "the Basic credentials are not base64")
	}
	key, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, statusErr(401, "the Basic credentials need key:secret")
	}
	s.mu.Lock()
	c := s.creds[key]
	s.mu.Unlock()
	if c == nil {
		c, err = scanCred(s.DB.Read.QueryRowContext(ctx, credSelect+` WHERE key = $1`, key))
		if err == sql.ErrNoRows {
			return nil, statusErr(401, "unknown or wrong credentials")
		}
		if err != nil {
			return nil, err
		}
		if c.RevokedAt == "" {
			s.mu.Lock()
			if len(s.creds) > 10000 {
				s.creds = map[string]*Credential{}
			}
			s.creds[key] = c
			s.mu.Unlock()
		}
	}
	if subtle.ConstantTimeCompare([]byte(sha256Hex([]byte(secret))), []byte(c.secretHash)) != 1 {
		return nil, statusErr(401, "unknown or wrong credentials")
	}
	if c.RevokedAt != "" {
		return nil, statusErr(401, "the credential was revoked")
	}
	if c.ExpiresAt != "" && fmtStored(s.now()) >= c.ExpiresAt {
		return nil, statusErr(401, "the credential expired at %s", c.ExpiresAt)
	}
	return c, nil
}
