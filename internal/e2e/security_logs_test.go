package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/registry"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogsCarryNoSecrets runs a journey with the platform's logger captured (the demo
// world, every demo login, failed logins, an account and an API token created and used, a
// CSV import of professionals with good and bad fiscal codes, public verification and share
// links, a forged OIDC callback, paths naming a codice fiscale) and fails naming every log
// line that shows a password, token, session id or codice fiscale used.
func TestLogsCarryNoSecrets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		logs := &syncBuffer{}
		env := apptest.Start(t, d, apptest.Options{Demo: true, LogTo: logs})
		secrets := map[string]string{"admin password": apptest.AdminPassword, "demo professional cf": registry.DemoProfessionalCF()}
		for role, pw := range map[string]string{"national": "esd-demo-nazionale", "regional": "esd-demo-regione", "organisation": "esd-demo-azienda",
			"provider": "esd-demo-provider", "professional": "esd-demo-professionista", "analyst": "esd-demo-analista"} {
			secrets[role+" password"] = pw
		}
		clients := demoClients(env)
		for role, c := range clients {
			if tok := sessionOf(t, env, c); tok != "" {
				secrets[role+" session"] = tok
			}
		}
		wrong := "una-password-sbagliata-segreta"
		secrets["wrong password"] = wrong
		for i := 0; i < 3; i++ {
			env.Client().PostForm("/login", url.Values{"username": {"demo.regione"}, "password": {wrong}})
		}
		admin := env.Client().Login("admin", apptest.AdminPassword)
		newPW := "password-del-nuovo-utente"
		secrets["new user password"] = newPW
		admin.SendJSON("POST", "/api/v1/users", map[string]any{"username": "nuovo.utente", "password": newPW, "role": "analyst"})
		res := admin.PostForm("/account/tokens", url.Values{"name": {"registro"}})
		i := strings.Index(res.Body, `id="token-secret">`)
		if i < 0 {
			t.Fatalf("no token: %d", res.Status)
		}
		tok := res.Body[i+len(`id="token-secret">`):]
		tok = tok[:strings.Index(tok, "<")]
		secrets["api token"] = tok
		api := env.Client()
		api.Token = tok
		api.Get("/api/v1/me")
		api.Token = tok + "x" // a wrong token is logged no more than a right one
		api.Get("/api/v1/me")
		// A CSV import with fiscal codes, a good and a bad file.
		good1, good2 := freshCF(), freshCF()
		secrets["imported cf 1"], secrets["imported cf 2"] = good1, good2
		head := "codice_fiscale;cognome;nome;email;professione;disciplina;regione;azienda;rapporto;setting;ruolo\n"
		rows := good1 + ";Bianchi;Anna;anna@example.it;14;85;090;;dipendente;ospedale;\n" + good2 + ";Verdi;Luca;;14;85;090;;dipendente;territorio;\n"
		reg := clients["regional"]
		if res := postCSV(reg, "/api/v1/professionals/import", head+rows); res.Status >= 300 {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
		bad := "RSSMRA85T10A562S"
		secrets["bad cf"] = bad
		postCSV(reg, "/api/v1/professionals/import", head+bad+";Rossi;Mario;;14;85;090;;dipendente;ospedale;\n")
		// Paths and queries that carry a fiscal code or a token.
		reg.Get("/professionals?q=" + good1)
		reg.Get("/professionals/" + good2)
		reg.Get("/api/v1/professionals/" + registry.DemoProfessionalCF())
		share := "Zx9f3kQ0pL7mN2vB8cD4eF6gH1jK5"
		secrets["share token"] = share
		env.Client().Get("/open-badge/" + share)
		env.Client().Get("/verifica/" + share)
		env.Client().Get("/login/oidc/callback?state=" + share + "&code=" + share)
		env.Client().Do("GET", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + tok}, "Cookie": {"esd_session=" + secrets["national session"]}})

		out := logs.String()
		if strings.Count(out, "\n") < 30 || !strings.Contains(out, "msg=request") {
			t.Fatalf("the logs were not captured (%d bytes)", len(out))
		}
		// Each request line names who made it: the bearer token's user, and "-" for the
		// anonymous ones (never an empty user=).
		if !strings.Contains(out, "path=/api/v1/me status=200") {
			t.Error("the token's request to /api/v1/me was not logged as answered")
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "msg=request") && (strings.Contains(line, "user= ") || strings.HasSuffix(line, "user=")) {
				t.Errorf("a request line without its user: %s", line)
			}
			if strings.Contains(line, "path=/api/v1/me status=200") && strings.Contains(line, "user=-") {
				t.Errorf("the token's request is logged as anonymous: %s", line)
			}
		}
		if !strings.Contains(out, "user=-") {
			t.Error("no anonymous request logged with user=-")
		}
		if !strings.Contains(out, "[cf]") {
			t.Error("no codice fiscale was masked: the journey's paths with one were not logged")
		}
		for n, line := range strings.Split(out, "\n") {
			for what, s := range secrets {
				if s != "" && strings.Contains(strings.ToUpper(line), strings.ToUpper(s)) {
					t.Errorf("log line %d shows the %s: %s", n+1, what, line)
				}
			}
		}
	})
}
