// Package oidc is ESD's OpenID Connect relying party for the regional brokers that front
// SPID and CIE (LoginFVG, MyID Veneto, IdPC Lombardia…): brokers configured by file or by
// national governance, Authorization Code with PKCE S256, ID tokens verified against an
// algorithm allow-list, UserInfo as JSON, JWS or JWE(JWS), the codice fiscale as identity key,
// the pairwise sub kept per issuer, logout at the broker, and every login and failure audited.
package oidc

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// SPID/CIE ACR values and their assurance levels.
const (
	SpidL1 = "https://www.spid.gov.it/SpidL1"
	SpidL2 = "https://www.spid.gov.it/SpidL2"
	SpidL3 = "https://www.spid.gov.it/SpidL3"
)

// Client authentication methods.
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
)

// DefaultAlgs are the ID-token signature algorithms accepted when a broker lists none: the
// asymmetric ones the SPID/CIE rules require or recommend.
var DefaultAlgs = []string{"RS256", "RS512", "PS256", "PS512", "ES256", "ES512"}

// allowedAlgs is every asymmetric algorithm a broker may be configured with. none never is;
// the HMAC ones (hmacAlgs) only for a broker whose configuration says allow_hmac: an HS*
// token is signed with the client secret, which the broker's other clients do not know but
// our own servers do, so it proves less than a broker's signature and is off by default.
var allowedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// hmacAlgs are the HMAC algorithms a broker may allow, keyed by its client secret only.
var hmacAlgs = []string{"HS256", "HS384", "HS512"}

// hmacBits is the smallest key RFC 7518 §3.2 allows for an HMAC algorithm: its hash's size.
func hmacBits(alg string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(alg, "HS"))
	return n
}

// isHMAC says whether alg is one of the HMAC algorithms.
func isHMAC(alg string) bool { return slices.Contains(hmacAlgs, alg) }

// Broker is one configured OIDC provider.
type Broker struct {
	ID           int64          `json:"id"`
	Code         string         `json:"code"`
	Name         string         `json:"name"`
	Issuer       string         `json:"issuer"`
	ClientID     string         `json:"client_id"`
	ClientSecret string         `json:"client_secret,omitempty"`
	AuthMethod   string         `json:"auth_method"`
	Scopes       []string       `json:"scopes"`
	ClaimFiscal  string         `json:"claim_fiscal_code"`
	ClaimGiven   string         `json:"claim_given_name"`
	ClaimFamily  string         `json:"claim_family_name"`
	ClaimEmail   string         `json:"claim_email"`
	ACRMap       map[string]int `json:"acr_levels"`
	MinLevel     int            `json:"min_level"`
	Roles        []domain.Role  `json:"roles"`
	Algs         []string       `json:"algs"`
	// AllowHMAC lets algs list HS256/384/512, verified with the client secret as the key
	// (and nothing else). The stored algs carry it: a broker whose algs list an HS* was
	// saved with it.
	AllowHMAC bool   `json:"allow_hmac,omitempty"`
	Enabled   bool   `json:"enabled"`
	Source    string `json:"source,omitempty"`
}

// withDefaults fills what a broker configuration may leave out.
func (b Broker) withDefaults() Broker {
	b.Code = strings.ToLower(strings.TrimSpace(b.Code))
	b.Issuer = strings.TrimRight(strings.TrimSpace(b.Issuer), "/")
	if b.AuthMethod == "" {
		b.AuthMethod = AuthSecretBasic
		if b.ClientSecret == "" {
			b.AuthMethod = AuthPrivateKeyJWT
		}
	}
	if len(b.Scopes) == 0 {
		b.Scopes = []string{"openid", "profile", "email"}
	}
	if b.ClaimFiscal == "" {
		b.ClaimFiscal = "https://attributes.eid.gov.it/fiscal_number"
	}
	if b.ClaimGiven == "" {
		b.ClaimGiven = "given_name"
	}
	if b.ClaimFamily == "" {
		b.ClaimFamily = "family_name"
	}
	if b.ClaimEmail == "" {
		b.ClaimEmail = "email"
	}
	if len(b.ACRMap) == 0 {
		b.ACRMap = map[string]int{SpidL1: 1, SpidL2: 2, SpidL3: 3}
	}
	if b.MinLevel == 0 {
		b.MinLevel = 2
	}
	if len(b.Roles) == 0 {
		b.Roles = []domain.Role{domain.RoleProfessional}
	}
	if len(b.Algs) == 0 {
		b.Algs = DefaultAlgs
	}
	return b
}

// validate reports every bad field of b at once.
func (b Broker) validate() error {
	var ps []domain.Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, domain.Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if b.Code == "" || strings.ContainsAny(b.Code, " /?#") {
		add("code", "a single word without / ? #")
	}
	if strings.TrimSpace(b.Name) == "" {
		add("name", "required")
	}
	if u, err := url.Parse(b.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		add("issuer", "must be an https URL (http only on localhost)")
	}
	if b.ClientID == "" {
		add("client_id", "required")
	}
	switch b.AuthMethod {
	case AuthSecretBasic, AuthSecretPost:
		if b.ClientSecret == "" {
			add("client_secret", "required for %s", b.AuthMethod)
		}
	case AuthPrivateKeyJWT:
	default:
		add("auth_method", "must be client_secret_basic, client_secret_post or private_key_jwt")
	}
	if !slices.Contains(b.Scopes, "openid") {
		add("scopes", "must include openid")
	}
	for _, a := range b.Algs {
		switch {
		case isHMAC(a) && !b.AllowHMAC:
			add("algs", "%q needs allow_hmac in the broker's configuration (HMAC is refused by default)", a)
		case isHMAC(a) && b.ClientSecret == "":
			add("algs", "%q is verified with the client secret, and the broker has none", a)
		case isHMAC(a) && len(b.ClientSecret)*8 < hmacBits(a):
			add("client_secret", "%s needs a client secret of at least %d bytes (RFC 7518 §3.2)", a, hmacBits(a)/8)
		case !isHMAC(a) && !slices.Contains(allowedAlgs, a):
			add("algs", "%q is not accepted (none never is; HS* only with allow_hmac)", a)
		}
	}
	if b.MinLevel < 1 || b.MinLevel > 3 {
		add("min_level", "must be 1, 2 or 3")
	}
	for acr, l := range b.ACRMap {
		if l < 1 || l > 3 || acr == "" {
			add("acr_levels", "%q → %d: levels are 1 to 3", acr, l)
		}
	}
	for _, r := range b.Roles {
		if !r.Valid() {
			add("roles", "unknown role %q", r)
		}
	}
	if len(ps) > 0 {
		return &domain.Error{Code: domain.EINVALID, Message: "invalid broker configuration", Details: ps}
	}
	return nil
}

func isLoopback(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

const brokerCols = `id, code, name, issuer, client_id, client_secret, auth_method, scopes, claim_fiscal, claim_given, claim_family,
	claim_email, acr_map, min_level, roles, algs, enabled, source`

func scanBroker(row interface{ Scan(...any) error }) (Broker, error) {
	var b Broker
	var scopes, acr, roles, algs string
	if err := row.Scan(&b.ID, &b.Code, &b.Name, &b.Issuer, &b.ClientID, &b.ClientSecret, &b.AuthMethod, &scopes, &b.ClaimFiscal,
		&b.ClaimGiven, &b.ClaimFamily, &b.ClaimEmail, &acr, &b.MinLevel, &roles, &algs, &b.Enabled, &b.Source); err != nil {
		return b, err
	}
	b.Scopes = strings.Fields(scopes)
	b.Algs = strings.Fields(algs)
	b.AllowHMAC = slices.ContainsFunc(b.Algs, isHMAC)
	for _, r := range strings.Fields(roles) {
		b.Roles = append(b.Roles, domain.Role(r))
	}
	_ = json.Unmarshal([]byte(acr), &b.ACRMap)
	return b, nil
}

func (s *Service) broker(ctx context.Context, q db.Querier, where string, arg any) (Broker, error) {
	b, err := scanBroker(q.QueryRowContext(ctx, `SELECT `+brokerCols+` FROM oidc_brokers WHERE `+where, arg))
	if err == sql.ErrNoRows {
		return b, domain.NotFound("broker")
	}
	return b, err
}

// PublicBroker is what the login page shows of a broker.
type PublicBroker struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// LoginBrokers lists the enabled brokers for the login page (no login needed).
func (s *Service) LoginBrokers(ctx context.Context) ([]PublicBroker, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT code, name FROM oidc_brokers WHERE enabled = TRUE ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PublicBroker
	for rows.Next() {
		var b PublicBroker
		if err := rows.Scan(&b.Code, &b.Name); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Brokers lists every broker with its configuration (secrets blanked): national governance.
func (s *Service) Brokers(ctx context.Context) ([]Broker, error) {
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+brokerCols+` FROM oidc_brokers ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Broker
	for rows.Next() {
		b, err := scanBroker(rows)
		if err != nil {
			return nil, err
		}
		if b.ClientSecret != "" {
			b.ClientSecret = "********"
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// SaveBroker creates or updates (by code) a broker: national governance, or the system
// loading the configuration file. An empty or masked secret keeps the stored one.
func (s *Service) SaveBroker(ctx context.Context, b Broker) (Broker, error) {
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return Broker{}, err
	}
	if b.Source == "" {
		b.Source = "ui"
	}
	b = b.withDefaults()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.broker(ctx, tx, "code = $1", b.Code)
		exists := err == nil
		if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
			return err
		}
		if exists && (b.ClientSecret == "" || b.ClientSecret == "********") {
			b.ClientSecret = old.ClientSecret
			if b.AuthMethod == AuthPrivateKeyJWT && old.AuthMethod != AuthPrivateKeyJWT {
				b.ClientSecret = ""
			}
		}
		if err := b.validate(); err != nil {
			return err
		}
		now := db.Now()
		args := brokerRow(b, now)
		// Saving what is stored changes nothing (the configuration file is applied at every
		// start, the demo at every --demo): no write, no audit entry.
		if exists && reflect.DeepEqual(brokerRow(old.withDefaults(), now), args) {
			b.ID = old.ID
			return nil
		}
		if exists {
			b.ID = old.ID
			_, err = tx.ExecContext(ctx, `UPDATE oidc_brokers SET name=$1, issuer=$2, client_id=$3, client_secret=$4, auth_method=$5, scopes=$6,
				claim_fiscal=$7, claim_given=$8, claim_family=$9, claim_email=$10, acr_map=$11, min_level=$12, roles=$13, algs=$14, enabled=$15,
				source=$16, updated_at=$17 WHERE code=$18`, args...)
		} else {
			err = tx.QueryRowContext(ctx, `INSERT INTO oidc_brokers (name, issuer, client_id, client_secret, auth_method, scopes, claim_fiscal,
				claim_given, claim_family, claim_email, acr_map, min_level, roles, algs, enabled, source, created_at, updated_at, code)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$17,$18) RETURNING id`, args...).Scan(&b.ID)
		}
		if err != nil {
			return err
		}
		shown := b
		shown.ClientSecret = ""
		action := "create"
		if exists {
			action = "update"
		}
		return audit.Record(ctx, tx, audit.Change{Action: action, Entity: "oidc_broker", EntityID: b.ID, After: shown})
	})
	if err != nil {
		return Broker{}, err
	}
	s.forget(b.ID)
	return b, nil
}

// brokerRow is the stored columns of b, in the order of SaveBroker's statements.
func brokerRow(b Broker, now any) []any {
	acr, _ := json.Marshal(b.ACRMap)
	roles := make([]string, len(b.Roles))
	for i, r := range b.Roles {
		roles[i] = string(r)
	}
	return []any{b.Name, b.Issuer, b.ClientID, b.ClientSecret, b.AuthMethod, strings.Join(b.Scopes, " "), b.ClaimFiscal, b.ClaimGiven,
		b.ClaimFamily, b.ClaimEmail, string(acr), b.MinLevel, strings.Join(roles, " "), strings.Join(b.Algs, " "), b.Enabled, b.Source, now, b.Code}
}

// FileConfig is the JSON configuration file (ESD_OIDC_CONFIG).
type FileConfig struct {
	Brokers []Broker `json:"brokers"`
	// PasswordLoginOff lists roles that may not log in with a password.
	PasswordLoginOff []domain.Role `json:"password_login_off"`
}

// MaxConfigBytes bounds the configuration file: a few brokers take a few kilobytes.
const MaxConfigBytes = 1 << 20

// ParseFileConfig reads a configuration file's content, without applying it: unknown
// fields and trailing data are refused, and so is every broker that SaveBroker would
// refuse (the error names the broker and its field), so that a bad file changes nothing.
func ParseFileConfig(raw []byte) (FileConfig, error) {
	var fc FileConfig
	if len(raw) > MaxConfigBytes {
		return fc, fmt.Errorf("the file is larger than %d bytes", MaxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return fc, err
	}
	if dec.More() {
		return fc, errors.New("more data after the configuration object")
	}
	for i, b := range fc.Brokers {
		b = b.withDefaults()
		if b.ClientSecret == "" {
			b.ClientSecret = "********" // an empty secret keeps the stored one: SaveBroker decides
		}
		if err := b.validate(); err != nil {
			return fc, fmt.Errorf("brokers[%d] (%s): %w", i, b.Code, err)
		}
	}
	for _, r := range fc.PasswordLoginOff {
		if !r.Valid() {
			return fc, fmt.Errorf("password_login_off: unknown role %q", r)
		}
	}
	return fc, nil
}

// LoadFile applies a configuration file: its brokers are created or updated (source
// "file"), and the roles it lists lose password login. Problems name the broker.
func (s *Service) LoadFile(ctx context.Context, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fc, err := ParseFileConfig(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for i, b := range fc.Brokers {
		b.Source = "file"
		if _, err := s.SaveBroker(ctx, b); err != nil {
			return fmt.Errorf("%s: brokers[%d] (%s): %w", path, i, b.Code, err)
		}
	}
	for _, r := range fc.PasswordLoginOff {
		if err := s.SetPasswordLogin(ctx, r, false); err != nil {
			return fmt.Errorf("%s: password_login_off %q: %w", path, r, err)
		}
	}
	return nil
}

// SetPasswordLogin switches password login on or off for a role: national governance.
// National governance itself cannot be switched off, so that someone can always switch it back.
func (s *Service) SetPasswordLogin(ctx context.Context, role domain.Role, on bool) error {
	a, err := domain.Require(ctx, domain.RoleNational)
	if err != nil {
		return err
	}
	if !role.Valid() {
		return domain.Invalid("role", "unknown role %q", role)
	}
	if role == domain.RoleNational && !on {
		return domain.Invalid("role", "password login of national governance stays on")
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if on {
			_, err = tx.ExecContext(ctx, `DELETE FROM password_login_off WHERE role = $1`, string(role))
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO password_login_off (role, set_by, set_at) VALUES ($1,$2,$3) ON CONFLICT (role) DO NOTHING`,
				string(role), a.Username, db.Now())
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "password_login", Entity: "role", EntityID: string(role), After: map[string]bool{"on": on}})
	})
}

// PasswordLoginOff lists the roles without password login.
func (s *Service) PasswordLoginOff(ctx context.Context) ([]domain.Role, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT role FROM password_login_off ORDER BY role`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Role
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, domain.Role(r))
	}
	return out, rows.Err()
}
