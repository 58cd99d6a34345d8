package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"esd/internal/audit"
	"esd/internal/auth"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/idkeys"
)

// Key purposes of the relying party in idkeys.
const (
	KeySign = "oidc-rp-sig"
	KeyEnc  = "oidc-rp-enc"
)

// stateTTL is how long a login may take between our redirect and the broker's callback.
const stateTTL = 10 * time.Minute

// Service is the relying party.
type Service struct {
	DB   *db.DB
	Auth *auth.Service
	Keys *idkeys.Store
	// BaseURL is our public origin (https://esd.salute.gov.it): redirect URIs and our JWKS
	// are under it. Empty means "the address the request came to" (see WithBaseURL).
	BaseURL string
	// HTTP is the client for talking to brokers; nil means one with a 10 s timeout.
	HTTP *http.Client
	// Now is the clock (tests move it to expire tokens).
	Now func() time.Time

	mu        sync.Mutex
	providers map[int64]*provider
	logouts   map[string]pending
}

type provider struct {
	p          *gooidc.Provider
	jwksURI    string
	endSession string
	userinfo   string
	keys       *gooidc.RemoteKeySet
	issuer     string
	at         time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) client() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (s *Service) forget(id int64) {
	s.mu.Lock()
	delete(s.providers, id)
	s.mu.Unlock()
}

type baseKey struct{}

// WithBaseURL puts the request's origin in the context, used when BaseURL is empty.
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, strings.TrimRight(base, "/"))
}

func (s *Service) base(ctx context.Context) string {
	if s.BaseURL != "" {
		return strings.TrimRight(s.BaseURL, "/")
	}
	b, _ := ctx.Value(baseKey{}).(string)
	return b
}

// RedirectURI is our callback URL.
func (s *Service) RedirectURI(ctx context.Context) string {
	return s.base(ctx) + "/login/oidc/callback"
}

// JWKSURI is where our public keys are published.
func (s *Service) JWKSURI(ctx context.Context) string { return s.base(ctx) + "/.well-known/jwks.json" }

// LoginError is a failed login: Reason is a stable code (shown translated, recorded in the
// audit trail), Detail what exactly was wrong.
type LoginError struct {
	Reason string
	Detail string
}

func (e *LoginError) Error() string { return "oidc login failed: " + e.Reason + ": " + e.Detail }

// Reasons of failed logins.
const (
	ReasonUnknownBroker = "unknown_broker"
	ReasonBrokerDown    = "broker_down"
	ReasonState         = "state"
	ReasonBrokerError   = "broker_error"
	ReasonToken         = "token"
	ReasonIDToken       = "id_token"
	ReasonNonce         = "nonce"
	ReasonACR           = "acr"
	ReasonUserInfo      = "userinfo"
	ReasonSubMismatch   = "sub_mismatch"
	ReasonNoFiscalCode  = "no_fiscal_code"
	ReasonBadFiscalCode = "bad_fiscal_code"
	ReasonNotRegistered = "not_registered"
	ReasonRole          = "role"
	ReasonIdentity      = "identity_conflict"
	ReasonDisabled      = "disabled"
)

// Reasons lists every reason (the message catalogue has one text per reason).
var Reasons = []string{ReasonUnknownBroker, ReasonBrokerDown, ReasonState, ReasonBrokerError, ReasonToken, ReasonIDToken, ReasonNonce,
	ReasonACR, ReasonUserInfo, ReasonSubMismatch, ReasonNoFiscalCode, ReasonBadFiscalCode, ReasonNotRegistered, ReasonRole, ReasonIdentity, ReasonDisabled}

func fail(reason, format string, args ...any) *LoginError {
	return &LoginError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// provider returns the broker's discovered metadata, cached for an hour.
func (s *Service) provider(ctx context.Context, b Broker) (*provider, error) {
	s.mu.Lock()
	p := s.providers[b.ID]
	s.mu.Unlock()
	if p != nil && time.Since(p.at) < time.Hour {
		return p, nil
	}
	cctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, s.client()), 10*time.Second)
	defer cancel()
	op, err := gooidc.NewProvider(cctx, b.Issuer)
	if err != nil {
		return nil, fail(ReasonBrokerDown, "discovery at %s: %v", b.Issuer, err)
	}
	var meta struct {
		Issuer     string `json:"issuer"`
		JWKS       string `json:"jwks_uri"`
		EndSession string `json:"end_session_endpoint"`
		UserInfo   string `json:"userinfo_endpoint"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, fail(ReasonBrokerDown, "discovery document: %v", err)
	}
	// The key set outlives this request: it refreshes itself on an unknown kid.
	p = &provider{p: op, issuer: meta.Issuer, jwksURI: meta.JWKS, endSession: meta.EndSession, userinfo: meta.UserInfo, at: time.Now(),
		keys: gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), s.client()), meta.JWKS)}
	s.mu.Lock()
	if s.providers == nil {
		s.providers = map[int64]*provider{}
	}
	s.providers[b.ID] = p
	s.mu.Unlock()
	return p, nil
}

// random returns n random bytes as hex: 32 bytes give 64 alphanumeric characters, above
// the 32 the SPID rules ask of state and nonce.
func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Begin starts a login through the broker code and returns the broker's authorization URL.
// next is where to go after the login. A broker that is down gives a LoginError with
// reason broker_down (the page says so; password login still works).
func (s *Service) Begin(ctx context.Context, code, next, remote string) (string, error) {
	b, err := s.broker(ctx, s.DB.Read, "code = $1 AND enabled = TRUE", strings.ToLower(code))
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return "", s.failed(ctx, 0, remote, fail(ReasonUnknownBroker, "no enabled broker %q", code))
		}
		return "", err
	}
	p, err := s.provider(ctx, b)
	if err != nil {
		return "", s.failed(ctx, b.ID, remote, err)
	}
	state, nonce, verifier := random(32), random(32), oauth2.GenerateVerifier()
	if _, err := s.DB.Write.ExecContext(ctx, `DELETE FROM oidc_states WHERE created_at < $1`, s.now().UTC().Add(-stateTTL)); err != nil {
		return "", err
	}
	if _, err := s.DB.Write.ExecContext(ctx, `INSERT INTO oidc_states (state_hash, broker_id, nonce, verifier, next, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		hash(state), b.ID, nonce, verifier, next, s.now().UTC()); err != nil {
		return "", err
	}
	cfg := s.oauthConfig(ctx, b, p)
	// acr_values in order of preference: the minimum level first, higher ones accepted.
	var acrs []string
	for acr, l := range b.ACRMap {
		if l >= b.MinLevel {
			acrs = append(acrs, acr)
		}
	}
	slices.SortFunc(acrs, func(x, y string) int { return b.ACRMap[x] - b.ACRMap[y] })
	return cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce),
		oauth2.SetAuthURLParam("acr_values", strings.Join(acrs, " ")), oauth2.SetAuthURLParam("prompt", "login")), nil
}

func (s *Service) oauthConfig(ctx context.Context, b Broker, p *provider) *oauth2.Config {
	ep := p.p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	secret := b.ClientSecret
	switch b.AuthMethod {
	case AuthSecretPost:
		ep.AuthStyle = oauth2.AuthStyleInParams
	case AuthPrivateKeyJWT:
		ep.AuthStyle = oauth2.AuthStyleInParams
		secret = ""
	}
	return &oauth2.Config{ClientID: b.ClientID, ClientSecret: secret, Endpoint: ep, RedirectURL: s.RedirectURI(ctx), Scopes: b.Scopes}
}

// clientAssertion is the private_key_jwt assertion for the token endpoint: iss = sub =
// client_id, aud = the token endpoint, a fresh jti, valid a minute.
func (s *Service) clientAssertion(ctx context.Context, b Broker, tokenURL string) (string, error) {
	k, err := s.Keys.Current(ctx, KeySign, idkeys.RSA)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.Private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.KID))
	if err != nil {
		return "", err
	}
	now := s.now()
	body, _ := json.Marshal(map[string]any{"iss": b.ClientID, "sub": b.ClientID, "aud": tokenURL, "iat": now.Unix(),
		"exp": now.Add(time.Minute).Unix(), "jti": random(16)})
	o, err := signer.Sign(body)
	if err != nil {
		return "", err
	}
	return o.CompactSerialize()
}

// Result is a successful login.
type Result struct {
	Token    string // the local session token
	User     auth.User
	Next     string
	BrokerID int64
	Created  bool // the account was made at this first login
}

// Callback completes a login from the broker's redirect (the query of the callback URL).
// Any failure is a *LoginError, recorded in the audit trail; nothing is logged in.
func (s *Service) Callback(ctx context.Context, q url.Values, remote string) (Result, error) {
	state := q.Get("state")
	if len(state) < 32 {
		return Result{}, s.failed(ctx, 0, remote, fail(ReasonState, "missing or short state"))
	}
	var brokerID int64
	var nonce, verifier, next string
	var created time.Time
	// Delete-and-return makes the state single use even with two callbacks racing.
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT broker_id, nonce, verifier, next, created_at FROM oidc_states WHERE state_hash = $1`,
			hash(state)).Scan(&brokerID, &nonce, &verifier, &next, &created); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM oidc_states WHERE state_hash = $1`, hash(state))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Result{}, s.failed(ctx, 0, remote, fail(ReasonState, "unknown, used or foreign state"))
	}
	if err != nil {
		return Result{}, err
	}
	if s.now().UTC().Sub(created.UTC()) > stateTTL {
		return Result{}, s.failed(ctx, brokerID, remote, fail(ReasonState, "stale state (older than %s)", stateTTL))
	}
	b, err := s.broker(ctx, s.DB.Read, "id = $1", brokerID)
	if err != nil {
		return Result{}, err
	}
	if e := q.Get("error"); e != "" {
		return Result{}, s.failed(ctx, b.ID, remote, fail(ReasonBrokerError, "%s: %s", e, q.Get("error_description")))
	}
	if iss := q.Get("iss"); iss != "" && strings.TrimRight(iss, "/") != b.Issuer {
		return Result{}, s.failed(ctx, b.ID, remote, fail(ReasonBrokerError, "iss %q in the response is not the broker's (mix-up)", iss))
	}
	id, err := s.verify(ctx, b, q.Get("code"), verifier, nonce)
	if err != nil {
		return Result{}, s.failed(ctx, b.ID, remote, err)
	}
	res, err := s.signIn(ctx, b, id, remote)
	if err != nil {
		return Result{}, s.failed(ctx, b.ID, remote, err)
	}
	res.Next = next
	return res, nil
}

// identity is what a verified login tells us.
type identity struct {
	sub, acr, cf, given, family, email, rawIDToken string
	level                                          int
}

func (s *Service) verify(ctx context.Context, b Broker, code, verifier, nonce string) (identity, error) {
	var id identity
	p, err := s.provider(ctx, b)
	if err != nil {
		return id, err
	}
	hctx := context.WithValue(ctx, oauth2.HTTPClient, s.client())
	cfg := s.oauthConfig(ctx, b, p)
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
	if b.AuthMethod == AuthPrivateKeyJWT {
		a, err := s.clientAssertion(ctx, b, cfg.Endpoint.TokenURL)
		if err != nil {
			return id, err
		}
		opts = append(opts, oauth2.SetAuthURLParam("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
			oauth2.SetAuthURLParam("client_assertion", a), oauth2.SetAuthURLParam("client_id", b.ClientID))
	}
	tok, err := cfg.Exchange(hctx, code, opts...)
	if err != nil {
		return id, fail(ReasonToken, "token endpoint: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return id, fail(ReasonIDToken, "no id_token in the token response")
	}
	// go-oidc checks the signature against the broker's JWKS with only the allowed
	// algorithms (go-jose refuses "none" outright), then iss, aud and exp.
	v := gooidc.NewVerifier(p.issuer, brokerKeys{p.keys, b}, &gooidc.Config{ClientID: b.ClientID, SupportedSigningAlgs: b.Algs, Now: s.now})
	idt, err := v.Verify(gooidc.ClientContext(ctx, s.client()), raw)
	if err != nil {
		return id, fail(ReasonIDToken, "%v", err)
	}
	if idt.Nonce != nonce {
		return id, fail(ReasonNonce, "nonce differs from the one sent")
	}
	if idt.AccessTokenHash != "" {
		if err := verifyAtHash(raw, idt, tok.AccessToken); err != nil {
			return id, fail(ReasonIDToken, "at_hash: %v", err)
		}
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return id, fail(ReasonIDToken, "claims: %v", err)
	}
	id.sub, id.rawIDToken = idt.Subject, raw
	id.acr, _ = claims["acr"].(string)
	id.level = b.ACRMap[id.acr]
	if id.level < b.MinLevel {
		return id, fail(ReasonACR, "acr %q is level %d, the broker requires %d", id.acr, id.level, b.MinLevel)
	}
	info := map[string]any{}
	if p.userinfo != "" {
		info, err = s.userInfo(ctx, b, p, tok.AccessToken)
		if err != nil {
			return id, err
		}
		if sub, _ := info["sub"].(string); sub != id.sub {
			return id, fail(ReasonSubMismatch, "UserInfo sub %q is not the ID token's %q", sub, id.sub)
		}
	}
	pick := func(names ...string) string {
		for _, src := range []map[string]any{info, claims} {
			for _, n := range names {
				if v, ok := src[n].(string); ok && v != "" {
					return v
				}
			}
		}
		return ""
	}
	rawCF := pick(b.ClaimFiscal, "https://attributes.eid.gov.it/fiscal_number", "https://attributes.spid.gov.it/fiscal_number", "fiscal_number")
	if rawCF == "" {
		return id, fail(ReasonNoFiscalCode, "neither UserInfo nor the ID token carries %s", b.ClaimFiscal)
	}
	n, err := NormaliseFiscalCode(rawCF)
	if err != nil {
		return id, fail(ReasonBadFiscalCode, "%q: %v", rawCF, err)
	}
	id.cf = n
	id.given, id.family, id.email = pick(b.ClaimGiven), pick(b.ClaimFamily), pick(b.ClaimEmail)
	return id, nil
}

// NormaliseFiscalCode turns a SPID/CIE fiscal_number into the registry's key: the TINIT-
// prefix stripped, upper case, 16 characters with a right check character (omocodia undone).
func NormaliseFiscalCode(v string) (string, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	v = strings.TrimPrefix(v, "TINIT-")
	if len(v) != 16 {
		return "", fmt.Errorf("a personal fiscal code has 16 characters, this has %d", len(v))
	}
	return cf.Normalise(v)
}

// userInfo calls the UserInfo endpoint and decodes JSON, a JWS (application/jwt) or a
// JWE whose payload is a JWS (application/jose, or application/jwt with five parts).
func (s *Service) userInfo(ctx context.Context, b Broker, p *provider, access string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.userinfo, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := s.client().Do(req)
	if err != nil {
		return nil, fail(ReasonUserInfo, "%v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fail(ReasonUserInfo, "%v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fail(ReasonUserInfo, "status %d", resp.StatusCode)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	text := strings.TrimSpace(string(body))
	var payload []byte
	switch {
	case ct == "application/json":
		payload = body
	case ct == "application/jwt" || ct == "application/jose":
		if strings.Count(text, ".") == 4 {
			inner, err := s.decrypt(ctx, text)
			if err != nil {
				return nil, fail(ReasonUserInfo, "JWE: %v", err)
			}
			text = inner
		}
		if err := checkAlg(text, b.Algs); err != nil {
			return nil, fail(ReasonUserInfo, "%v", err)
		}
		payload, err = brokerKeys{p.keys, b}.VerifySignature(gooidc.ClientContext(ctx, s.client()), text)
		if err != nil {
			return nil, fail(ReasonUserInfo, "signature: %v", err)
		}
	default:
		return nil, fail(ReasonUserInfo, "unexpected content type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fail(ReasonUserInfo, "not a JSON object: %v", err)
	}
	if aud, ok := m["aud"]; ok && ct != "application/json" {
		if !audHas(aud, b.ClientID) {
			return nil, fail(ReasonUserInfo, "aud %v is not our client_id", aud)
		}
	}
	return m, nil
}

func audHas(aud any, id string) bool {
	switch a := aud.(type) {
	case string:
		return a == id
	case []any:
		for _, x := range a {
			if x == id {
				return true
			}
		}
	}
	return false
}

// verifyAtHash checks the ID token's at_hash (OIDC Core §3.1.3.6). go-oidc knows the hash
// of the asymmetric algorithms only; an HS* token's is the left half of SHA-256/384/512.
func verifyAtHash(raw string, idt *gooidc.IDToken, access string) error {
	h, _, _ := strings.Cut(raw, ".")
	hb, err := base64.RawURLEncoding.DecodeString(h)
	var head struct {
		Alg string `json:"alg"`
	}
	if err != nil || json.Unmarshal(hb, &head) != nil {
		return errors.New("unreadable header")
	}
	var sum []byte
	switch head.Alg {
	case "HS256":
		x := sha256.Sum256([]byte(access))
		sum = x[:]
	case "HS384":
		x := sha512.Sum384([]byte(access))
		sum = x[:]
	case "HS512":
		x := sha512.Sum512([]byte(access))
		sum = x[:]
	default:
		return idt.VerifyAccessToken(access)
	}
	if base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]) != idt.AccessTokenHash {
		return errors.New("access token hash does not match")
	}
	return nil
}

// brokerKeys verifies a broker's JWS: an HS* one with the client secret as the key, only
// when the broker allows HMAC (and its algs list that algorithm, which the caller checked
// first), never with a key from the JWKS; any other with the broker's published keys.
type brokerKeys struct {
	remote *gooidc.RemoteKeySet
	b      Broker
}

// VerifySignature implements gooidc.KeySet.
func (k brokerKeys) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	allowed := make([]jose.SignatureAlgorithm, len(k.b.Algs))
	for i, a := range k.b.Algs {
		allowed[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSigned(raw, allowed)
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("a JWS with one signature is expected")
	}
	if alg := jws.Signatures[0].Header.Algorithm; isHMAC(alg) {
		if !k.b.AllowHMAC || k.b.ClientSecret == "" {
			return nil, fmt.Errorf("%s is not allowed for this broker", alg)
		}
		return jws.Verify([]byte(k.b.ClientSecret))
	}
	return k.remote.VerifySignature(ctx, raw)
}

// checkAlg refuses a JWS whose alg is not allowed before any key is looked up.
func checkAlg(jws string, algs []string) error {
	allowed := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		allowed[i] = jose.SignatureAlgorithm(a)
	}
	_, err := jose.ParseSigned(jws, allowed)
	return err
}

// decrypt opens a JWE addressed to our encryption key (RSA-OAEP or RSA-OAEP-256; never
// RSA1_5, which the SPID/CIE rules forbid).
func (s *Service) decrypt(ctx context.Context, jwe string) (string, error) {
	o, err := jose.ParseEncrypted(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP, jose.RSA_OAEP_256},
		[]jose.ContentEncryption{jose.A128CBC_HS256, jose.A256CBC_HS512, jose.A128GCM, jose.A256GCM})
	if err != nil {
		return "", err
	}
	keys, err := s.Keys.All(ctx, KeyEnc)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if k.KID == o.Header.KeyID || o.Header.KeyID == "" {
			if rk, ok := k.Private.(*rsa.PrivateKey); ok {
				if b, err := o.Decrypt(rk); err == nil {
					return string(b), nil
				}
			}
		}
	}
	return "", errors.New("no key of ours opens it")
}

// JWKS is our published key set: the signing key for private_key_jwt and the encryption key
// for UserInfo, retired ones included.
func (s *Service) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if _, err := s.Keys.Current(ctx, KeySign, idkeys.RSA); err != nil {
		return set, err
	}
	if _, err := s.Keys.Current(ctx, KeyEnc, idkeys.RSA); err != nil {
		return set, err
	}
	for purpose, use := range map[string]string{KeySign: "sig", KeyEnc: "enc"} {
		keys, err := s.Keys.All(ctx, purpose)
		if err != nil {
			return set, err
		}
		for _, k := range keys {
			set.Keys = append(set.Keys, k.JWK(use))
		}
	}
	slices.SortFunc(set.Keys, func(a, b jose.JSONWebKey) int { return strings.Compare(a.Use+a.KeyID, b.Use+b.KeyID) })
	return set, nil
}

// failed records a failed login in the audit trail and returns err.
func (s *Service) failed(ctx context.Context, brokerID int64, remote string, err error) error {
	le, ok := err.(*LoginError)
	if !ok {
		le = &LoginError{Reason: ReasonIDToken, Detail: err.Error()}
	}
	_ = audit.Record(ctx, s.DB.Write, audit.Change{Action: "oidc_login_failed", Entity: "oidc_broker", EntityID: brokerID,
		After: map[string]string{"reason": le.Reason, "detail": le.Detail, "remote": remote}})
	return le
}
