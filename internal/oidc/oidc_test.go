package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"esd/internal/auth"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/idkeys"
	"esd/internal/oidc/oidctest"
)

const (
	cfNicolo = "DLSNCL80A01D612Z" // a registered professional in Toscana
	cfMaria  = "RSSMRA75B41F205Y" // a registered professional in Lombardia
)

type fixture struct {
	d   *db.DB
	svc *Service
	op  *oidctest.Provider
	srv *httptest.Server
	ctx context.Context
}

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Write.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// newFixture starts the fake broker and our JWKS on one local server, and configures the
// broker with method (client secret or private_key_jwt).
func newFixture(t *testing.T, dialect db.Dialect, method string) *fixture {
	d := dbtest.Open(t, dialect)
	now := time.Now().UTC()
	exec(t, d, `INSERT INTO regions (id, istat_code, minsal_code, iso_code, name) VALUES (90, '09', '090', 'IT-52', 'Toscana'), (30, '03', '030', 'IT-25', 'Lombardia')`)
	exec(t, d, `INSERT INTO professionals (id, cf, cf_display, given_name, family_name, search_name, region_id, employment, care_setting, created_at, updated_at)
		VALUES (10, $1, $1, 'Nicolò', 'D''Alessandro', 'dalessandro nicolo', 90, 'dipendente', 'ospedale', $3, $3),
		       (11, $2, $2, 'Maria', 'Rossi', 'rossi maria', 30, 'dipendente', 'ospedale', $3, $3)`, cfNicolo, cfMaria, now)
	f := &fixture{d: d, ctx: domain.WithActor(context.Background(), domain.SystemActor)}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.op = oidctest.New(f.srv.URL+"/op", "esd-test", "s3cret-s3cret")
	f.op.ClientJWKSURL = f.srv.URL + "/.well-known/jwks.json"
	mux.Handle("/op/", f.op.Handler("/op"))
	f.svc = &Service{DB: d, Auth: &auth.Service{DB: d}, Keys: &idkeys.Store{DB: d, KEK: bytes.Repeat([]byte{7}, 32)}, BaseURL: f.srv.URL}
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		set, err := f.svc.JWKS(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	b := Broker{Code: "test", Name: "Broker di prova", Issuer: f.op.Issuer, ClientID: "esd-test", Enabled: true,
		Roles: []domain.Role{domain.RoleProfessional, domain.RoleRegional}}
	if method == AuthPrivateKeyJWT {
		b.AuthMethod = AuthPrivateKeyJWT
		f.op.ClientSecret = ""
	} else {
		b.ClientSecret = "s3cret-s3cret"
	}
	if _, err := f.svc.SaveBroker(f.ctx, b); err != nil {
		t.Fatal(err)
	}
	return f
}

// login runs a whole login for code as the broker would, returning the callback query too.
func (f *fixture) login(t *testing.T, code string) (Result, url.Values, error) {
	t.Helper()
	authURL, err := f.svc.Begin(context.Background(), "test", "/after", "192.0.2.1")
	if err != nil {
		return Result{}, nil, err
	}
	cb, err := f.op.Authorize(authURL, code)
	if err != nil {
		t.Fatalf("broker refused our authorization request: %v", err)
	}
	u, _ := url.Parse(cb)
	res, err := f.svc.Callback(context.Background(), u.Query(), "192.0.2.1")
	return res, u.Query(), err
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.Read.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoginHappyPaths(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		for _, tc := range []struct{ method, userinfo string }{
			{AuthSecretBasic, "json"}, {AuthSecretBasic, "jws"}, {AuthPrivateKeyJWT, "jwe"},
		} {
			t.Run(tc.method+"/"+tc.userinfo, func(t *testing.T) {
				f := newFixture(t, dialect, tc.method)
				f.op.UserInfoMode = tc.userinfo
				res, _, err := f.login(t, strings.ToLower(cfNicolo))
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				if !res.Created || res.User.Role != domain.RoleProfessional || res.User.ProfessionalID != 10 || res.Next != "/after" {
					t.Fatalf("first login: %+v", res)
				}
				q := f.op.LastAuthorize
				if q.Get("code_challenge_method") != "S256" || len(q.Get("state")) < 32 || len(q.Get("nonce")) < 32 ||
					!strings.HasPrefix(q.Get("acr_values"), SpidL2) || strings.Contains(q.Get("acr_values"), SpidL1) {
					t.Fatalf("authorization request: %v", q)
				}
				if _, a, err := f.svc.Auth.SessionUser(context.Background(), res.Token); err != nil || a.ProfessionalID != 10 {
					t.Fatalf("session: %v %+v", err, a)
				}
				again, _, err := f.login(t, cfNicolo)
				if err != nil || again.Created || again.User.ID != res.User.ID {
					t.Fatalf("second login: %+v %v", again, err)
				}
				// One pairwise sub for this broker, kept with the normalised code.
				if n := f.count(t, `SELECT COUNT(*) FROM oidc_identities WHERE sub = $1 AND cf = $2 AND user_id = $3`, f.op.Sub(cfNicolo), cfNicolo, res.User.ID); n != 1 {
					t.Fatalf("pairwise subs kept: %d", n)
				}
				if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'oidc_login'`); n != 2 {
					t.Fatalf("audited logins: %d", n)
				}
				// Logout at the broker: its end-session URL with our ID token as hint.
				back := f.svc.Logout(context.Background(), res.Token, f.srv.URL+"/login")
				lu, err := url.Parse(back)
				if err != nil || !strings.HasPrefix(back, f.op.Issuer+"/logout?") || lu.Query().Get("id_token_hint") == "" {
					t.Fatalf("logout URL %q", back)
				}
				if again := f.svc.Logout(context.Background(), res.Token, "/"); again != "" {
					t.Fatalf("second logout still goes to the broker: %q", again)
				}
			})
		}
	})
}

func TestLoginNegativeCases(t *testing.T) {
	notRegistered, err := cf.Encode("Bianchi", "Luca", time.Date(1970, 3, 4, 0, 0, 0, 0, time.UTC), "M", "H501")
	if err != nil {
		t.Fatal(err)
	}
	badCheck := cfMaria[:15] + "A"
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		f := newFixture(t, dialect, AuthSecretBasic)
		for _, tc := range []struct {
			name, cf, reason string
			set              func(p *oidctest.Provider)
		}{
			{"wrong audience", cfNicolo, ReasonIDToken, func(p *oidctest.Provider) { p.MutateIDToken = func(c map[string]any) { c["aud"] = "someone-else" } }},
			{"expired token", cfNicolo, ReasonIDToken, func(p *oidctest.Provider) {
				p.MutateIDToken = func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }
			}},
			{"wrong issuer", cfNicolo, ReasonIDToken, func(p *oidctest.Provider) {
				p.MutateIDToken = func(c map[string]any) { c["iss"] = "https://evil.example" }
			}},
			{"alg none", cfNicolo, ReasonIDToken, func(p *oidctest.Provider) { p.AlgNone = true }},
			{"signed with another key", cfNicolo, ReasonIDToken, func(p *oidctest.Provider) { p.SignWithOther = true }},
			{"wrong nonce", cfNicolo, ReasonNonce, func(p *oidctest.Provider) {
				p.MutateIDToken = func(c map[string]any) { c["nonce"] = strings.Repeat("x", 40) }
			}},
			{"wrong at_hash", cfNicolo, ReasonIDToken, func(p *oidctest.Provider) {
				p.MutateIDToken = func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }
			}},
			{"low acr", cfNicolo, ReasonACR, func(p *oidctest.Provider) { p.ACR = SpidL1 }},
			{"unknown acr", cfNicolo, ReasonACR, func(p *oidctest.Provider) { p.ACR = "urn:unknown" }},
			{"sub mismatch", cfNicolo, ReasonSubMismatch, func(p *oidctest.Provider) { p.MutateUserInfo = func(c map[string]any) { c["sub"] = "another-sub" } }},
			{"missing fiscal code", cfNicolo, ReasonNoFiscalCode, func(p *oidctest.Provider) { p.OmitFiscal = true }},
			{"invalid fiscal code", badCheck, ReasonBadFiscalCode, nil},
			{"fiscal code not in the registry", notRegistered, ReasonNotRegistered, nil},
			{"userinfo jws signed with another key", cfNicolo, ReasonUserInfo, func(p *oidctest.Provider) {
				p.UserInfoMode = "jws"
				p.MutateUserInfo = func(c map[string]any) { c["aud"] = "someone-else" }
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.op.Set(func(p *oidctest.Provider) {
					p.MutateIDToken, p.MutateUserInfo, p.AlgNone, p.SignWithOther, p.OmitFiscal = nil, nil, false, false, false
					p.ACR, p.UserInfoMode = SpidL2, "json"
					if tc.set != nil {
						tc.set(p)
					}
				})
				sessions := f.count(t, `SELECT COUNT(*) FROM sessions`)
				failures := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'oidc_login_failed'`)
				_, _, err := f.login(t, tc.cf)
				le, ok := err.(*LoginError)
				if !ok || le.Reason != tc.reason {
					t.Fatalf("want reason %s, got %v", tc.reason, err)
				}
				if n := f.count(t, `SELECT COUNT(*) FROM sessions`); n != sessions {
					t.Fatalf("a session was opened (%d → %d)", sessions, n)
				}
				if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'oidc_login_failed' AND after_json LIKE $1`, "%\""+tc.reason+"\"%"); n == 0 {
					t.Fatalf("failure not audited with its reason")
				}
				if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'oidc_login_failed'`); n != failures+1 {
					t.Fatalf("audited failures %d → %d", failures, n)
				}
			})
		}
		f.op.Set(func(p *oidctest.Provider) {
			p.MutateIDToken, p.MutateUserInfo, p.AlgNone, p.SignWithOther, p.OmitFiscal = nil, nil, false, false, false
			p.ACR, p.UserInfoMode = SpidL2, "json"
		})
		t.Run("replayed state", func(t *testing.T) {
			_, q, err := f.login(t, cfNicolo)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.Callback(context.Background(), q, "192.0.2.1")
			if le, ok := err.(*LoginError); !ok || le.Reason != ReasonState {
				t.Fatalf("replay: %v", err)
			}
		})
		t.Run("foreign state", func(t *testing.T) {
			_, err := f.svc.Callback(context.Background(), url.Values{"state": {strings.Repeat("ab", 32)}, "code": {"x"}}, "192.0.2.1")
			if le, ok := err.(*LoginError); !ok || le.Reason != ReasonState {
				t.Fatalf("foreign state: %v", err)
			}
		})
		t.Run("stale state", func(t *testing.T) {
			authURL, err := f.svc.Begin(context.Background(), "test", "/", "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			cb, _ := f.op.Authorize(authURL, cfNicolo)
			u, _ := url.Parse(cb)
			f.svc.Now = func() time.Time { return time.Now().Add(stateTTL + time.Minute) }
			defer func() { f.svc.Now = nil }()
			_, err = f.svc.Callback(context.Background(), u.Query(), "192.0.2.1")
			if le, ok := err.(*LoginError); !ok || le.Reason != ReasonState {
				t.Fatalf("stale state: %v", err)
			}
		})
		t.Run("staff account linked once", func(t *testing.T) {
			if _, err := f.svc.Auth.CreateUser(f.ctx, auth.NewUser{Username: "ref.toscana", Password: "una-password-lunga-1", Role: domain.RoleRegional, RegionID: 90}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Auth.CreateUser(f.ctx, auth.NewUser{Username: "ref.lombardia", Password: "una-password-lunga-1", Role: domain.RoleRegional, RegionID: 30}); err != nil {
				t.Fatal(err)
			}
			staffCF, _ := cf.Encode("Verdi", "Anna", time.Date(1975, 5, 6, 0, 0, 0, 0, time.UTC), "F", "D612")
			lombardia := domain.WithActor(context.Background(), domain.Actor{UserID: 99, Username: "x", Role: domain.RoleRegional, RegionID: 30})
			if _, err := f.svc.LinkAccount(lombardia, "ref.toscana", staffCF); domain.ErrorCode(err) != domain.EFORBIDDEN {
				t.Fatalf("a Lombardy referent linked a Tuscan account: %v", err)
			}
			prof := domain.WithActor(context.Background(), domain.Actor{UserID: 98, Role: domain.RoleProfessional, ProfessionalID: 10})
			if _, err := f.svc.LinkAccount(prof, "ref.toscana", staffCF); domain.ErrorCode(err) != domain.EFORBIDDEN {
				t.Fatalf("a professional linked an account: %v", err)
			}
			if _, err := f.svc.LinkAccount(f.ctx, "ref.toscana", "TINIT-"+staffCF); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.LinkAccount(f.ctx, "ref.lombardia", staffCF); domain.ErrorCode(err) != domain.ECONFLICT {
				t.Fatalf("second link of the same code: %v", err)
			}
			res, _, err := f.login(t, staffCF)
			if err != nil || res.User.Username != "ref.toscana" || res.Created {
				t.Fatalf("staff login: %+v %v", res, err)
			}
			// A broker that admits only professionals refuses the referent.
			if _, err := f.svc.SaveBroker(f.ctx, Broker{Code: "test", Name: "Broker di prova", Issuer: f.op.Issuer, ClientID: "esd-test",
				Enabled: true, Roles: []domain.Role{domain.RoleProfessional}}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.login(t, staffCF); err == nil || err.(*LoginError).Reason != ReasonRole {
				t.Fatalf("role not allowed on the broker: %v", err)
			}
		})
		t.Run("broker down", func(t *testing.T) {
			fresh := &Service{DB: f.d, Auth: f.svc.Auth, Keys: f.svc.Keys, BaseURL: f.srv.URL}
			f.op.Set(func(p *oidctest.Provider) { p.Down = true })
			defer f.op.Set(func(p *oidctest.Provider) { p.Down = false })
			_, err := fresh.Begin(context.Background(), "test", "/", "192.0.2.1")
			if le, ok := err.(*LoginError); !ok || le.Reason != ReasonBrokerDown {
				t.Fatalf("broker down: %v", err)
			}
		})
		t.Run("password login switched off per role", func(t *testing.T) {
			if _, err := f.svc.Auth.CreateUser(f.ctx, auth.NewUser{Username: "p.rossi", Password: "una-password-lunga-1", Role: domain.RoleProfessional, ProfessionalID: 11}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.svc.Auth.Login(context.Background(), "p.rossi", "una-password-lunga-1", "192.0.2.9"); err != nil {
				t.Fatalf("password login before: %v", err)
			}
			if err := f.svc.SetPasswordLogin(f.ctx, domain.RoleProfessional, false); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.svc.Auth.Login(context.Background(), "p.rossi", "una-password-lunga-1", "192.0.2.9"); err != auth.ErrPasswordOff {
				t.Fatalf("password login after switching off: %v", err)
			}
			if _, _, err := f.svc.Auth.Login(context.Background(), "ref.lombardia", "una-password-lunga-1", "192.0.2.9"); err != nil {
				t.Fatalf("another role lost password login: %v", err)
			}
			if err := f.svc.SetPasswordLogin(f.ctx, domain.RoleNational, false); err == nil {
				t.Fatal("national governance switched itself off")
			}
		})
	})
}

func TestBrokerValidation(t *testing.T) {
	base := Broker{Code: "x", Name: "X", Issuer: "https://broker.example", ClientID: "c", ClientSecret: "s"}.withDefaults()
	for _, tc := range []struct {
		name  string
		edit  func(b *Broker)
		field string
	}{
		{"alg none", func(b *Broker) { b.Algs = []string{"RS256", "none"} }, "algs"},
		{"HS256 by default", func(b *Broker) { b.Algs = []string{"HS256"} }, "algs"},
		{"HS256 with a short secret", func(b *Broker) { b.Algs, b.AllowHMAC = []string{"HS256"}, true }, "client_secret"},
		{"HS256 without a client secret", func(b *Broker) {
			b.Algs, b.AllowHMAC, b.AuthMethod, b.ClientSecret = []string{"HS256"}, true, AuthPrivateKeyJWT, ""
		}, "algs"},
		{"plain http", func(b *Broker) { b.Issuer = "http://broker.example" }, "issuer"},
		{"no openid scope", func(b *Broker) { b.Scopes = []string{"profile"} }, "scopes"},
		{"level 4", func(b *Broker) { b.MinLevel = 4 }, "min_level"},
		{"secret method without secret", func(b *Broker) { b.ClientSecret = "" }, "client_secret"},
		{"unknown role", func(b *Broker) { b.Roles = []domain.Role{"admin"} }, "roles"},
	} {
		b := base
		tc.edit(&b)
		err := b.validate()
		de, ok := err.(*domain.Error)
		if !ok || len(de.Details) != 1 || de.Details[0].Field != tc.field {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if err := base.validate(); err != nil {
		t.Fatalf("good broker refused: %v", err)
	}
	hmac := base
	hmac.Algs, hmac.AllowHMAC, hmac.ClientSecret = []string{"RS256", "HS256"}, true, strings.Repeat("k", 32)
	if err := hmac.validate(); err != nil {
		t.Fatalf("a broker allowing HS256 with its secret refused: %v", err)
	}
}

// TestLoginHMAC: an ID token signed HS256 with the client secret is refused by a broker
// configured as usual; a broker whose configuration allows HMAC accepts it, keyed by its
// client secret only (a token signed with another secret fails), and still accepts RS256.
func TestLoginHMAC(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		f := newFixture(t, dialect, AuthSecretBasic)
		const secret = "a-client-secret-of-32-bytes-min!"
		if _, err := f.svc.SaveBroker(f.ctx, Broker{Code: "test", Name: "Broker di prova", Issuer: f.op.Issuer, ClientID: "esd-test", ClientSecret: secret,
			Enabled: true, Roles: []domain.Role{domain.RoleProfessional, domain.RoleRegional}}); err != nil {
			t.Fatal(err)
		}
		f.op.Set(func(p *oidctest.Provider) { p.ClientSecret, p.HMACSecret = secret, secret })
		if _, _, err := f.login(t, cfNicolo); err == nil || err.(*LoginError).Reason != ReasonIDToken {
			t.Fatalf("HS256 accepted by default: %v", err)
		}
		b := Broker{Code: "test", Name: "Broker di prova", Issuer: f.op.Issuer, ClientID: "esd-test", ClientSecret: secret, Enabled: true,
			Roles: []domain.Role{domain.RoleProfessional, domain.RoleRegional}, Algs: []string{"RS256", "HS256"}, AllowHMAC: true}
		if _, err := f.svc.SaveBroker(f.ctx, b); err != nil {
			t.Fatal(err)
		}
		bs, err := f.svc.Brokers(f.ctx)
		if err != nil || len(bs) != 1 || !bs[0].AllowHMAC {
			t.Fatalf("stored broker lost allow_hmac: %+v %v", bs, err)
		}
		res, _, err := f.login(t, cfNicolo)
		if err != nil || res.Token == "" {
			t.Fatalf("HS256 with the client secret refused by a broker allowing it: %+v %v", res, err)
		}
		f.op.Set(func(p *oidctest.Provider) { p.HMACSecret = "another-secret-entirely-32-bytes!!" })
		if _, _, err := f.login(t, cfNicolo); err == nil || err.(*LoginError).Reason != ReasonIDToken {
			t.Fatalf("HS256 with another secret accepted: %v", err)
		}
		f.op.Set(func(p *oidctest.Provider) { p.HMACSecret = "" })
		if _, _, err := f.login(t, cfNicolo); err != nil {
			t.Fatalf("RS256 refused by a broker also allowing HS256: %v", err)
		}
	})
}

func TestNormaliseFiscalCode(t *testing.T) {
	for in, want := range map[string]string{
		"TINIT-" + cfNicolo:                  cfNicolo,
		"tinit-" + strings.ToLower(cfNicolo): cfNicolo,
		"  " + cfNicolo + " ":                cfNicolo,
		"TINIT-" + cfMaria[:15] + "A":        "",
		"TINIT-12345678901":                  "",
		"":                                   "",
	} {
		got, err := NormaliseFiscalCode(in)
		if (want == "") != (err != nil) || got != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
}
