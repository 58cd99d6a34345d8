package e2e

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/registry"
	"esd/internal/web"
)

// concretePath turns a route pattern into a request path: placeholders become 1, sub-tree
// handlers get a known file below them.
func concretePath(r web.RouteInfo) string {
	switch r.Path {
	case "/static/":
		return "/static/esd.css"
	case "/xapi/":
		return "/xapi/about"
	}
	p := strings.TrimSuffix(placeholder.ReplaceAllString(r.Path, "1"), "{$}")
	if strings.HasSuffix(r.Path, "{$}") && p == "" {
		p = "/"
	}
	return p
}

func sessionOf(t *testing.T, env *apptest.Env, c *apptest.Client) string {
	t.Helper()
	u, _ := url.Parse(env.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "esd_session" {
			return ck.Value
		}
	}
	return ""
}

func withSession(env *apptest.Env, tok string) *apptest.Client {
	c := env.Client()
	u, _ := url.Parse(env.URL)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "esd_session", Value: tok, Path: "/"}})
	return c
}

// TestSecurityHeadersOnEveryRoute requests every registered route (GETs as national
// governance, anything else anonymously so nothing changes) and checks the security headers
// on each response, whatever its status.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	nat := env.Client().Login("admin", apptest.AdminPassword)
	anon := env.Client()
	want := map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
		"Referrer-Policy": "same-origin", "Permissions-Policy": "camera=()", "Cross-Origin-Opener-Policy": "same-origin",
	}
	n := 0
	for _, r := range env.M.Server.Routes() {
		method := r.Method
		if method == "" {
			method = "GET"
		}
		c := anon
		if method == "GET" {
			c = nat
		}
		res := c.Do(method, concretePath(r), nil, nil)
		n++
		for h, v := range want {
			if !strings.Contains(res.Header.Get(h), v) {
				t.Errorf("%s (%d): header %s = %q, want it to contain %q", r.Pattern, res.Status, h, res.Header.Get(h), v)
			}
		}
		if res.Header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no X-Request-ID", r.Pattern)
		}
	}
	if n < 300 {
		t.Fatalf("only %d routes checked", n)
	}
}

// TestCrossOriginRefusedOnEveryRoute sends every state-changing route a cross-site request
// riding national governance's session cookie: all are refused with 403 before any handler
// runs, except the exempted paths whose handlers take header credentials only.
func TestCrossOriginRefusedOnEveryRoute(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	nat := env.Client().Login("admin", apptest.AdminPassword)
	exempt := env.M.Server.CrossOriginExempt()
	if len(exempt) == 0 {
		t.Fatal("the xAPI LRS should be exempted")
	}
	forged := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}
	n := 0
	for _, r := range env.M.Server.Routes() {
		methods := []string{r.Method}
		if r.Method == "" {
			methods = []string{"POST", "PUT", "DELETE"}
		}
		for _, m := range methods {
			if m == "GET" || m == "HEAD" {
				continue
			}
			path := concretePath(r)
			if r.Path == "/xapi/" {
				path = "/xapi/statements"
			}
			res := nat.Do(m, path, strings.NewReader("name=x"), forged)
			isExempt := false
			for _, e := range exempt {
				if strings.HasPrefix(path, e) {
					isExempt = true
				}
			}
			refused := res.Status == 403 && strings.Contains(res.Body, "cross-origin request refused")
			switch {
			case isExempt && refused:
				t.Errorf("%s %s is exempted but was refused", m, path)
			case isExempt && res.Status < 400:
				t.Errorf("%s %s: an exempted path must still refuse a request without its own credentials, got %d", m, path, res.Status)
			case !isExempt && !refused:
				t.Errorf("%s %s: forged cross-site request got %d, want 403 cross-origin refusal", m, path, res.Status)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d state-changing routes checked", n)
	}
	// The session survived: nothing above reached a handler (not even /logout).
	if res := nat.Get("/api/v1/me"); res.Status != 200 {
		t.Fatalf("the session should be intact: %d", res.Status)
	}
}

// TestSessionFixation: a session id planted before login is worthless, a new login ends the
// browser's previous session, and a password change gives a new id and kills the old one.
func TestSessionFixation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		planted := "attacker-chosen-session-id-0123456789"
		victim := withSession(env, planted)
		victim.Login("admin", apptest.AdminPassword)
		got := sessionOf(t, env, victim)
		if got == "" || got == planted {
			t.Fatalf("login kept the planted session id %q", got)
		}
		if res := withSession(env, planted).Get("/"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("the planted id opened a session: %d", res.Status)
		}
		// Logging in again (as someone else) in the same browser ends the earlier session.
		u, pw := env.CreateUser("seconda.utenza", domain.RoleAnalyst, 0, 0, 0)
		first := got
		victim.Login(u, pw)
		second := sessionOf(t, env, victim)
		if second == first {
			t.Fatal("a new login must give a new session id")
		}
		if res := withSession(env, first).Get("/api/v1/me"); res.Status != http.StatusUnauthorized {
			t.Fatalf("the previous session still works after a new login: %d", res.Status)
		}
		// A privilege change (new password) rotates the id.
		res := victim.PostForm("/account/password", url.Values{"old_password": {pw}, "new_password": {"nuova-chiave-sicura-77"}, "confirm_password": {"nuova-chiave-sicura-77"}})
		if res.Status != 200 {
			t.Fatalf("password change: %d %.300s", res.Status, res.Body)
		}
		third := sessionOf(t, env, victim)
		if third == "" || third == second {
			t.Fatal("the session id must change with the password")
		}
		if res := withSession(env, second).Get("/api/v1/me"); res.Status != http.StatusUnauthorized {
			t.Fatalf("the pre-change session id still works: %d", res.Status)
		}
		if res := victim.Get("/api/v1/me"); res.Status != 200 {
			t.Fatalf("the rotated session should work: %d", res.Status)
		}
	})
}

// clock is a settable time for the auth service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestLoginLockout: ten failures within the hour lock the account on top of throttling; the
// answer is the same for a username that does not exist; the lock is audited and ends by
// time or by a governance unlock (in scope only).
func TestLoginLockout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		ck := &clock{t: time.Now().UTC()}
		env.M.Auth.Now = ck.now
		w, _ := registry.DemoIDs(env.Sys(), env.M.DB)
		_ = w
		user, pw := env.CreateUser("da.bloccare", domain.RoleAnalyst, 0, 0, 0)
		attempt := func(u, p string) apptest.Response {
			return env.Client().PostForm("/login", url.Values{"username": {u}, "password": {p}})
		}
		fail := func(u string, n int) {
			for i := 0; i < n; i++ {
				if res := attempt(u, "sbagliata-"+fmt.Sprint(i)); res.Status != 401 {
					t.Fatalf("failure %d for %s: %d", i, u, res.Status)
				}
			}
		}
		for _, u := range []string{user, "non.esiste"} {
			fail(u, 5)
			if res := attempt(u, pw); res.Status != 429 || !strings.Contains(res.Body, "riprova tra 15 minuti") {
				t.Fatalf("%s: throttled after 5 failures: %d", u, res.Status)
			}
		}
		ck.add(16 * time.Minute)
		fail(user, 5)
		fail("non.esiste", 5)
		locked := attempt(user, pw)
		ghost := attempt("non.esiste", pw)
		for _, res := range []apptest.Response{locked, ghost} {
			if res.Status != 429 || !strings.Contains(res.Body, "l&#39;utenza è bloccata") {
				t.Fatalf("locked login: %d %.400s", res.Status, res.Body)
			}
		}
		if alert(locked.Body) != alert(ghost.Body) {
			t.Fatalf("the lock message tells existing and missing accounts apart:\n%s\n%s", alert(locked.Body), alert(ghost.Body))
		}
		en := env.Client().Do("POST", "/login?lang=en", strings.NewReader(url.Values{"username": {user}, "password": {pw}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if en.Status != 429 || !strings.Contains(en.Body, "the account is locked") {
			t.Fatalf("English lock message: %d", en.Status)
		}
		// Audited, shown to governance, unlocked by governance in scope only.
		admin := env.Client().Login("admin", apptest.AdminPassword)
		var id int64
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM users WHERE username = $1`, user).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if res := admin.Get("/api/v1/audit?action=lock"); !strings.Contains(res.Body, fmt.Sprintf(`"entity_id": "%d"`, id)) {
			t.Fatalf("the lock is not audited: %.500s", res.Body)
		}
		page := admin.Get("/admin/users")
		if !strings.Contains(page.Body, fmt.Sprintf(`action="/admin/users/%d/unlock"`, id)) || !strings.Contains(page.Body, "Bloccata fino") {
			t.Fatalf("the users page does not show the lock and its unlock button: %d %s", page.Status, page.Body)
		}
		ru, rpw := env.CreateUser("referente.lock", domain.RoleRegional, registry.DemoRegionID, 0, 0)
		reg := env.Client().Login(ru, rpw)
		if res := reg.SendJSON("POST", fmt.Sprintf("/api/v1/users/%d/unlock", id), nil); res.Status != 404 {
			t.Fatalf("a regional referent unlocked an account outside the region: %d", res.Status)
		}
		if res := admin.SendJSON("POST", fmt.Sprintf("/api/v1/users/%d/unlock", id), nil); res.Status != 204 {
			t.Fatalf("unlock: %d %s", res.Status, res.Body)
		}
		if res := attempt(user, pw); res.Status != http.StatusSeeOther {
			t.Fatalf("login after unlock: %d", res.Status)
		}
		if res := admin.Get("/api/v1/audit?action=unlock"); !strings.Contains(res.Body, fmt.Sprintf(`"entity_id": "%d"`, id)) {
			t.Fatal("the unlock is not audited")
		}
		// The username that does not exist stays locked until its failures age out.
		if res := attempt("non.esiste", pw); res.Status != 429 {
			t.Fatalf("ghost after the real account's unlock: %d", res.Status)
		}
		// Locked again, the lock ends by itself after the hour.
		fail(user, 5)
		ck.add(16 * time.Minute)
		fail(user, 5)
		if res := attempt(user, pw); res.Status != 429 {
			t.Fatalf("second lock: %d", res.Status)
		}
		ck.add(61 * time.Minute)
		if res := attempt(user, pw); res.Status != http.StatusSeeOther {
			t.Fatalf("the lock did not end by time: %d", res.Status)
		}
	})
}

// alert returns the text of a page's error summary, for comparing two answers.
func alert(body string) string {
	i := strings.Index(body, `role="alert"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</")
	return body[i : i+j]
}

// TestPasswordPolicy: at account creation (API and page) and at a change, a short, common or
// username-containing password is refused with the rule named in Italian or English.
func TestPasswordPolicy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		admin := env.Client().Login("admin", apptest.AdminPassword)
		for _, tc := range []struct{ pw, want string }{
			{"corta-1", "at least 12"},
			{"password1234", "most common"},
			{"Juventus1897!", "most common"},
			{"aaaaaaaaaaaaaaa", "most common"},
			{"io-sono-analista-7", "must not contain the username"},
		} {
			res := admin.SendJSON("POST", "/api/v1/users", map[string]any{"username": "analista", "password": tc.pw, "role": "analyst"})
			if res.Status != 422 || !strings.Contains(res.Body, tc.want) || !strings.Contains(res.Body, `"field":"password"`) {
				t.Errorf("API create with %q: %d %s", tc.pw, res.Status, res.Body)
			}
		}
		res := admin.PostForm("/admin/users", url.Values{"username": {"analista"}, "password": {"password123456"}, "role": {"analyst"}})
		if res.Status != 422 || !strings.Contains(res.Body, "tra le più usate") || !strings.Contains(res.Body, `id="e-password"`) {
			t.Fatalf("page create with a common password: %d", res.Status)
		}
		res = admin.Do("POST", "/admin/users?lang=en", strings.NewReader(url.Values{"username": {"analista"}, "password": {"short"}, "role": {"analyst"}}.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		if res.Status != 422 || !strings.Contains(res.Body, "at least 12 characters") {
			t.Fatalf("English page message: %d", res.Status)
		}
		if res := admin.SendJSON("POST", "/api/v1/users", map[string]any{"username": "analista", "password": "tre-parole-lunghe", "role": "analyst"}); res.Status != 201 {
			t.Fatalf("a good password refused: %d %s", res.Status, res.Body)
		}
		u := env.Client().Login("analista", "tre-parole-lunghe")
		for _, tc := range []struct{ pw, want string }{
			{"breve", "almeno 12 caratteri"},
			{"qwertyuiop123", "tra le più usate"},
			{"ANALISTA-nuova-pw", "non deve contenere il nome utente"},
		} {
			res := u.PostForm("/account/password", url.Values{"old_password": {"tre-parole-lunghe"}, "new_password": {tc.pw}, "confirm_password": {tc.pw}})
			if res.Status != 422 || !strings.Contains(res.Body, tc.want) || !strings.Contains(res.Body, `id="e-new_password"`) {
				t.Errorf("change to %q: %d, want %q", tc.pw, res.Status, tc.want)
			}
		}
	})
}

// TestAPITokenScopesAndExpiry: a read token may only read (403 on a write), a write token may
// write, an expired token is 401, and a lifetime beyond the limit is refused.
func TestAPITokenScopesAndExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		ck := &clock{t: time.Now().UTC()}
		env.M.Auth.Now = ck.now
		admin := env.Client().Login("admin", apptest.AdminPassword)
		create := func(v url.Values) (string, apptest.Response) {
			res := admin.PostForm("/account/tokens", v)
			i := strings.Index(res.Body, `id="token-secret">`)
			if i < 0 {
				return "", res
			}
			s := res.Body[i+len(`id="token-secret">`):]
			return s[:strings.Index(s, "<")], res
		}
		read, _ := create(url.Values{"name": {"lettura"}, "scope": {"read"}, "expires_days": {"30"}})
		write, page := create(url.Values{"name": {"scrittura"}, "scope": {"write"}})
		if read == "" || write == "" {
			t.Fatal("tokens not created")
		}
		if !strings.Contains(page.Body, "Solo lettura") || !strings.Contains(page.Body, "Lettura e scrittura") {
			t.Fatal("the tokens page does not show the scopes")
		}
		call := func(tok, method, path string, body any) apptest.Response {
			c := env.Client()
			c.Token = tok
			return c.SendJSON(method, path, body)
		}
		newUser := func(n string) map[string]any {
			return map[string]any{"username": n, "password": "tre-parole-lunghe", "role": "analyst"}
		}
		if res := call(read, "GET", "/api/v1/users", nil); res.Status != 200 {
			t.Fatalf("read token GET: %d", res.Status)
		}
		if res := call(read, "POST", "/api/v1/users", newUser("da.lettura")); res.Status != 403 || !strings.Contains(res.Body, "scopes") {
			t.Fatalf("read token POST: %d %s", res.Status, res.Body)
		}
		if res := call(write, "POST", "/api/v1/users", newUser("da.scrittura")); res.Status != 201 {
			t.Fatalf("write token POST: %d %s", res.Status, res.Body)
		}
		if _, res := create(url.Values{"name": {"eterno"}, "expires_days": {"400"}}); res.Status != 422 || !strings.Contains(res.Body, "366") {
			t.Fatalf("a 400-day token: %d", res.Status)
		}
		if _, res := create(url.Values{"name": {"strano"}, "scope": {"admin"}}); res.Status != 422 {
			t.Fatalf("an unknown scope: %d", res.Status)
		}
		// Thirty-one days on the read token has expired, the write token (90 days) has not.
		ck.add(31 * 24 * time.Hour)
		if res := call(read, "GET", "/api/v1/me", nil); res.Status != 401 || !strings.Contains(res.Body, "expired") {
			t.Fatalf("expired token: %d %s", res.Status, res.Body)
		}
		if res := call(write, "GET", "/api/v1/me", nil); res.Status != 200 {
			t.Fatalf("unexpired token: %d", res.Status)
		}
		ck.add(60 * 24 * time.Hour)
		if res := call(write, "GET", "/api/v1/me", nil); res.Status != 401 {
			t.Fatalf("the default lifetime is 90 days: %d", res.Status)
		}
	})
}

// TestPublicRateLimit: every rate-limited public route is registered, and an address that
// exceeds the burst gets 429 with Retry-After and a message in its language, per route.
func TestPublicRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		registered := map[string]bool{}
		for _, r := range env.M.Server.Routes() {
			registered[r.Pattern] = true
		}
		for _, p := range web.PublicLimited() {
			if !registered[p] {
				t.Errorf("rate-limited route %q is not registered", p)
			}
		}
		c := env.Client()
		hammer := func(path string) apptest.Response {
			var last apptest.Response
			for i := 0; i < 140; i++ {
				last = c.Get(path)
				if last.Status == 429 {
					// The certificate module keeps its own, lower limit (60) on its verification.
					if i < 50 {
						t.Fatalf("%s: limited after only %d requests", path, i)
					}
					return last
				}
			}
			return last
		}
		res := hammer("/api/v1/verify/NONESISTE")
		// The certificate module's own limiter answers here first (without Retry-After).
		if res.Status != 429 || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
			t.Fatalf("API verification not limited: %d %v", res.Status, res.Header)
		}
		// The page shares the certificate module's bucket, already empty: it answers 429 at once.
		if res := c.Get("/verifica/NONESISTE"); res.Status != 429 {
			t.Fatalf("page verification not limited: %d", res.Status)
		}
		if res := hammer("/opendata/esd-monitoraggio.csv"); res.Status != 429 || res.Header.Get("Retry-After") == "" {
			t.Fatalf("open data not limited: %d", res.Status)
		}
		if res := hammer("/login/oidc/callback?state=x&code=y"); res.Status != 429 {
			t.Fatalf("OIDC callback not limited: %d", res.Status)
		}
		// Routes outside the list are not limited.
		for i := 0; i < 40; i++ {
			if res := c.Get("/verifica"); res.Status != 200 {
				t.Fatalf("the verification form was limited: %d", res.Status)
			}
		}
	})
}

// TestUploadsLimitedInSizeAndType: an upload of the wrong type is 415 and one too large is
// 413, each with a message naming the field and the file, and nothing is imported.
func TestUploadsLimitedInSizeAndType(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		nat := env.Client().Login("demo.nazionale", "esd-demo-nazionale")
		upload := func(path, name string, body []byte) apptest.Response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write(body)
			mw.Close()
			return nat.Do("POST", path, &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
		}
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
		before := countRows(t, env, `SELECT COUNT(*) FROM professionals`)
		res := upload("/professionals/import", "personale.csv", png)
		if res.Status != 415 || !strings.Contains(res.Body, "personale.csv") || !strings.Contains(res.Body, "non è del tipo atteso") {
			t.Fatalf("PNG as CSV: %d", res.Status)
		}
		if res := upload("/professionals/import", "personale.png", []byte("codice_fiscale;cognome\n")); res.Status != 415 {
			t.Fatalf("CSV with a .png name: %d", res.Status)
		}
		if res := upload("/catalogue/import", "eventi.csv", []byte("PK\x03\x04"+strings.Repeat("\x00", 100))); res.Status != 415 {
			t.Fatalf("zip as a catalogue CSV: %d", res.Status)
		}
		big := bytes.Repeat([]byte("a;b;c\n"), (8<<20)/6+10)
		res = upload("/indicators/import", "indicatori.csv", big)
		if res.Status != 413 || !strings.Contains(res.Body, "troppo grande") || !strings.Contains(res.Body, "8 MiB") {
			t.Fatalf("oversized indicators file: %d", res.Status)
		}
		// The same through the API, where the file is the raw request body: every import
		// route sniffs the body and refuses an image, a ZIP or a PDF with 415 before the
		// importer reads it; a file of the right kind still gets through to the importer.
		events := countRows(t, env, `SELECT COUNT(*) FROM events`)
		pdf := []byte("%PDF-1.7\n" + strings.Repeat("x", 100))
		zip := []byte("PK\x03\x04" + strings.Repeat("\x00", 100))
		for _, tc := range []struct {
			path string
			body []byte
		}{
			{"/api/v1/professionals/import", png},
			{"/api/v1/professionals/import?async=1", zip},
			{"/api/v1/events/import", zip},
			{"/api/v1/reports", pdf},
			{"/api/v1/indicators/import", png},
			{"/api/v1/portfolio/import?format=case&filename=x.json", zip},
			{"/api/v1/badges/verify", pdf},
		} {
			res := nat.Do("POST", tc.path, bytes.NewReader(tc.body), http.Header{"Content-Type": {"text/csv"}})
			if res.Status != 415 || !strings.Contains(res.Body, "body") {
				t.Errorf("%s with a binary body: %d %.300s", tc.path, res.Status, res.Body)
			}
		}
		res = nat.Do("POST", "/api/v1/professionals/import?dry_run=1", strings.NewReader("codice_fiscale;cognome\n"), http.Header{"Content-Type": {"text/csv"}})
		if res.Status == 415 {
			t.Errorf("a CSV body refused as of the wrong type: %.300s", res.Body)
		}
		if countRows(t, env, `SELECT COUNT(*) FROM professionals`) != before || countRows(t, env, `SELECT COUNT(*) FROM events`) != events {
			t.Fatal("a refused upload imported something")
		}
	})
}
