// Package oidctest is a local OpenID Connect provider for tests and the demo: it plays a
// regional broker in front of SPID/CIE (discovery, JWKS, an authorization page where the
// tester types a fiscal code, a token endpoint checking PKCE S256 and the client's
// authentication, UserInfo as JSON, JWS or JWE(JWS), end session). Knobs make it misbehave
// in exactly one way at a time, so every check of the relying party can be shown to fail.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FiscalClaim is the SPID/CIE attribute name of the fiscal code.
const FiscalClaim = "https://attributes.eid.gov.it/fiscal_number"

// Provider is the fake broker. Mount Handler under Issuer's path.
type Provider struct {
	// Issuer is the provider's identifier and the base of its endpoints (no trailing slash).
	Issuer string
	// ClientID and ClientSecret are the one client it knows; with ClientJWKSURL set it
	// accepts private_key_jwt assertions signed with a key published there instead.
	ClientID, ClientSecret string
	ClientJWKSURL          string
	// ACR is the acr claim put in ID tokens (default SpidL2).
	ACR string
	// UserInfoMode is "json" (default), "jws" or "jwe" (a JWS encrypted to the client's key).
	UserInfoMode string
	// Names maps fiscal codes to given and family names; unknown codes get "Test Utente".
	Names map[string][2]string

	// Knobs for negative tests, each applied when set.
	MutateIDToken  func(claims map[string]any) // change ID-token claims before signing
	MutateUserInfo func(claims map[string]any) // change UserInfo claims
	AlgNone        bool                        // send an unsigned ID token (alg "none")
	SignWithOther  bool                        // sign the ID token with a key not in the JWKS
	// HMACSecret, when set, signs the ID token with HS256 and this key (the client secret
	// for a broker allowed HMAC, anything else to forge one).
	HMACSecret string
	Down       bool // answer 503 to everything
	// OmitFiscal leaves the fiscal code out of UserInfo and the ID token.
	OmitFiscal bool

	Key, Other *rsa.PrivateKey
	mu         sync.Mutex
	codes      map[string]grant
	// EndSessions counts calls to the end-session endpoint.
	EndSessions int
	// LastAuthorize is the query of the last authorization request.
	LastAuthorize url.Values
}

type grant struct {
	cf, nonce, challenge, redirect, clientID string
	at                                       time.Time
}

// New returns a provider with fresh RSA keys.
func New(issuer, clientID, clientSecret string) *Provider {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	o, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &Provider{Issuer: strings.TrimRight(issuer, "/"), ClientID: clientID, ClientSecret: clientSecret, Key: k, Other: o,
		ACR: "https://www.spid.gov.it/SpidL2", codes: map[string]grant{}}
}

// Handler serves the provider's endpoints under prefix (the path of Issuer).
func (p *Provider) Handler(prefix string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET "+prefix+"/jwks", p.jwks)
	mux.HandleFunc("GET "+prefix+"/authorize", p.authorizeForm)
	mux.HandleFunc("POST "+prefix+"/authorize", p.authorizePost)
	mux.HandleFunc("POST "+prefix+"/token", p.token)
	mux.HandleFunc("GET "+prefix+"/userinfo", p.userinfo)
	mux.HandleFunc("GET "+prefix+"/logout", p.endSession)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.Down
		p.mu.Unlock()
		if down {
			http.Error(w, "broker down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": p.Issuer, "authorization_endpoint": p.Issuer + "/authorize", "token_endpoint": p.Issuer + "/token",
		"userinfo_endpoint": p.Issuer + "/userinfo", "jwks_uri": p.Issuer + "/jwks", "end_session_endpoint": p.Issuer + "/logout",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		"acr_values_supported":                  []string{"https://www.spid.gov.it/SpidL1", "https://www.spid.gov.it/SpidL2", "https://www.spid.gov.it/SpidL3"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.Key.PublicKey, KeyID: "op-1", Algorithm: "RS256", Use: "sig"}}})
}

// authorizeForm is the broker's login page: in the real world SPID or CIE; here a field for
// the fiscal code to log in as.
func (p *Provider) authorizeForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.LastAuthorize = q
	p.mu.Unlock()
	if err := p.checkAuthorize(q); err != "" {
		http.Error(w, err, http.StatusBadRequest)
		return
	}
	var hidden strings.Builder
	for k, vs := range q {
		for _, v := range vs {
			fmt.Fprintf(&hidden, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="it"><head><meta charset="utf-8"><title>Broker di prova SPID/CIE</title></head>
<body><main><h1>Broker di prova SPID/CIE</h1><p>Identity provider locale per prove e demo: nessuna identità reale.</p>
<form method="post" action="%s/authorize">%s<label for="cf">Codice fiscale</label>
<input id="cf" name="cf" autocomplete="off" required><button type="submit" id="broker-login">Entra con SPID</button></form></main></body></html>`,
		html.EscapeString(p.Issuer), hidden.String())
}

func (p *Provider) checkAuthorize(q url.Values) string {
	switch {
	case q.Get("client_id") != p.ClientID:
		return "unknown client_id"
	case q.Get("response_type") != "code":
		return "response_type must be code"
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		return "PKCE S256 required"
	case len(q.Get("state")) < 32 || len(q.Get("nonce")) < 32:
		return "state and nonce must be at least 32 characters"
	case !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		return "scope openid required"
	}
	return ""
}

// Authorize performs the broker's side of a login for fiscal code cf on the authorization
// URL authURL without a browser and returns the callback URL the browser would be sent to.
func (p *Provider) Authorize(authURL, cf string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	p.mu.Lock()
	p.LastAuthorize = q
	p.mu.Unlock()
	if e := p.checkAuthorize(q); e != "" {
		return "", fmt.Errorf("authorize: %s", e)
	}
	return p.issueCode(q, cf), nil
}

func (p *Provider) authorizePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	if e := p.checkAuthorize(r.PostForm); e != "" {
		http.Error(w, e, http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, p.issueCode(r.PostForm, r.PostForm.Get("cf")), http.StatusSeeOther)
}

func (p *Provider) issueCode(q url.Values, cf string) string {
	code := randString(24)
	p.mu.Lock()
	p.codes[code] = grant{cf: strings.ToUpper(strings.TrimSpace(cf)), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
		redirect: q.Get("redirect_uri"), clientID: q.Get("client_id"), at: time.Now()}
	p.mu.Unlock()
	v := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {p.Issuer}}
	return q.Get("redirect_uri") + "?" + v.Encode()
}

func randString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sub is the pairwise subject of cf for this provider's client.
func (p *Provider) Sub(cf string) string {
	h := sha256.Sum256([]byte(p.Issuer + "|" + p.ClientID + "|" + cf))
	return base64.RawURLEncoding.EncodeToString(h[:16])
}

func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", err.Error())
		return
	}
	if !p.clientAuthenticated(r) {
		tokenError(w, "invalid_client", "client authentication failed")
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()
	if !ok || time.Since(g.at) > time.Minute {
		tokenError(w, "invalid_grant", "unknown or used code")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, "invalid_grant", "PKCE verification failed")
		return
	}
	if r.PostForm.Get("redirect_uri") != g.redirect {
		tokenError(w, "invalid_grant", "redirect_uri differs")
		return
	}
	access := "at-" + randString(24)
	ath := sha256.Sum256([]byte(access))
	now := time.Now()
	claims := map[string]any{"iss": p.Issuer, "aud": p.ClientID, "sub": p.Sub(g.cf), "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce, "acr": p.ACR, "jti": randString(12),
		"at_hash": base64.RawURLEncoding.EncodeToString(ath[:16])}
	p.mu.Lock()
	p.codes["at:"+access] = g
	mutate, none, other, hmacKey := p.MutateIDToken, p.AlgNone, p.SignWithOther, p.HMACSecret
	claims["acr"] = p.ACR
	if p.OmitFiscal {
		delete(claims, FiscalClaim)
	}
	p.mu.Unlock()
	if mutate != nil {
		mutate(claims)
	}
	var idt string
	var err error
	switch {
	case none:
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
		b, _ := json.Marshal(claims)
		idt = h + "." + base64.RawURLEncoding.EncodeToString(b) + "."
	case other:
		idt, err = sign(p.Other, "op-1", claims)
	case hmacKey != "":
		idt, err = signHMAC([]byte(hmacKey), claims)
	default:
		idt, err = sign(p.Key, "op-1", claims)
	}
	if err != nil {
		tokenError(w, "server_error", err.Error())
		return
	}
	writeJSON(w, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": idt})
}

func (p *Provider) clientAuthenticated(r *http.Request) bool {
	if id, secret, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		return p.ClientSecret != "" && id == p.ClientID && secret == p.ClientSecret
	}
	if r.PostForm.Get("client_secret") != "" {
		return p.ClientSecret != "" && r.PostForm.Get("client_id") == p.ClientID && r.PostForm.Get("client_secret") == p.ClientSecret
	}
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || p.ClientJWKSURL == "" {
		return false
	}
	keys, err := fetchJWKS(p.ClientJWKSURL)
	if err != nil {
		return false
	}
	jws, err := jose.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256})
	if err != nil || len(jws.Signatures) != 1 {
		return false
	}
	ks := keys.Key(jws.Signatures[0].Header.KeyID)
	if len(ks) == 0 {
		return false
	}
	payload, err := jws.Verify(ks[0])
	if err != nil {
		return false
	}
	var c struct {
		Iss, Sub, Jti string
		Aud           any
		Exp           int64
	}
	if json.Unmarshal(payload, &c) != nil {
		return false
	}
	aud, _ := c.Aud.(string)
	return c.Iss == p.ClientID && c.Sub == p.ClientID && aud == p.Issuer+"/token" && c.Exp > time.Now().Unix() && c.Jti != ""
}

func fetchJWKS(u string) (jose.JSONWebKeySet, error) {
	var ks jose.JSONWebKeySet
	resp, err := http.Get(u)
	if err != nil {
		return ks, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&ks)
	return ks, err
}

func signHMAC(key []byte, claims map[string]any) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	o, err := s.Sign(b)
	if err != nil {
		return "", err
	}
	return o.CompactSerialize()
}

func sign(k *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	o, err := s.Sign(b)
	if err != nil {
		return "", err
	}
	return o.CompactSerialize()
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	access := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	g, ok := p.codes["at:"+access]
	mode, mutate, omit := p.UserInfoMode, p.MutateUserInfo, p.OmitFiscal
	names := p.Names[g.cf]
	p.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid token", http.StatusUnauthorized)
		return
	}
	if names[0] == "" {
		names = [2]string{"Test", "Utente"}
	}
	claims := map[string]any{"sub": p.Sub(g.cf), "iss": p.Issuer, "aud": p.ClientID, "given_name": names[0], "family_name": names[1],
		"email": strings.ToLower(names[0]) + "@example.org"}
	if !omit {
		claims[FiscalClaim] = "TINIT-" + g.cf
	}
	if mutate != nil {
		mutate(claims)
	}
	switch mode {
	case "jws", "jwe":
		jwt, err := sign(p.Key, "op-1", claims)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if mode == "jwe" {
			jwt, err = p.encrypt(jwt)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Set("Content-Type", "application/jose")
		} else {
			w.Header().Set("Content-Type", "application/jwt")
		}
		_, _ = w.Write([]byte(jwt))
	default:
		writeJSON(w, claims)
	}
}

// encrypt wraps a signed JWT in a JWE for the client's encryption key (RSA-OAEP-256,
// A256CBC-HS512, cty JWT), as SPID/CIE OPs answer UserInfo.
func (p *Provider) encrypt(jwt string) (string, error) {
	keys, err := fetchJWKS(p.ClientJWKSURL)
	if err != nil {
		return "", err
	}
	var enc *jose.JSONWebKey
	for i, k := range keys.Keys {
		if k.Use == "enc" {
			enc = &keys.Keys[i]
		}
	}
	if enc == nil {
		return "", fmt.Errorf("client publishes no encryption key")
	}
	e, err := jose.NewEncrypter(jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: enc.Key, KeyID: enc.KeyID},
		(&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		return "", err
	}
	o, err := e.Encrypt([]byte(jwt))
	if err != nil {
		return "", err
	}
	return o.CompactSerialize()
}

func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.EndSessions++
	p.mu.Unlock()
	if u := r.URL.Query().Get("post_logout_redirect_uri"); u != "" {
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	fmt.Fprint(w, "logged out")
}

// EndSessionCount is how many times the end-session endpoint was called.
func (p *Provider) EndSessionCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.EndSessions
}

// Set changes knobs under the provider's lock (the handler runs on other goroutines).
func (p *Provider) Set(f func(p *Provider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}
