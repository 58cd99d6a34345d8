package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/registry"
)

// Outcome is what a role gets from a route: a class, or (when positive) an exact status.
type Outcome int

// Outcome classes of the route matrix.
const (
	// Allowed: through the permission check (a 2xx or 3xx that is not the login page, or a
	// 4xx about the input such as 422).
	Allowed Outcome = -1 - iota
	// Forbidden: 403.
	Forbidden
	// NotFound: 404, the answer for what is outside the caller's scope or does not exist.
	NotFound
	// Denied: 403 or 404.
	Denied
	// Login: sent to log in (303 to /login for a page, 401 for the API).
	Login
)

func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "allowed"
	case Forbidden:
		return "forbidden"
	case NotFound:
		return "not found"
	case Denied:
		return "denied (403/404)"
	case Login:
		return "redirect to login / 401"
	}
	return fmt.Sprint(int(o))
}

// matches reports whether a response is of outcome o.
func (o Outcome) matches(res apptest.Response) bool {
	toLogin := (res.Status == http.StatusSeeOther || res.Status == http.StatusFound) && strings.HasPrefix(res.Header.Get("Location"), "/login")
	switch o {
	case Allowed:
		return res.Status < 500 && !toLogin && res.Status != 401 && res.Status != 403 && res.Status != 404
	case Forbidden:
		return res.Status == 403
	case NotFound:
		return res.Status == 404
	case Denied:
		return res.Status == 403 || res.Status == 404
	case Login:
		return toLogin || res.Status == 401
	}
	return res.Status == int(o)
}

// RouteRow is a row of the route matrix for a route the side-A/B Case table does not cover:
// the request, with {key} placeholders filled from the demo world, and the outcome for each
// role (by domain.Role name, plus "anonymous").
type RouteRow struct {
	Method, Path string
	Form         url.Values // a form body, for POSTs of pages
	JSON         any        // a JSON body, for POSTs of the API
	Want         map[string]Outcome
	// Fresh sends the request from a newly logged-in client of each role (for requests that
	// end the session, such as logging out).
	Fresh bool
}

var demoRoles = []string{"national", "regional", "organisation", "provider", "professional", "analyst"}

// who builds a Want: the roles listed get in, the others get other, anonymous anon.
func who(anon, other Outcome, allowed ...string) map[string]Outcome {
	m := map[string]Outcome{"anonymous": anon}
	for _, r := range demoRoles {
		m[r] = other
	}
	for _, r := range allowed {
		m[r] = Allowed
	}
	return m
}

// same gives every role, and anonymous, the same outcome.
func same(o Outcome) map[string]Outcome { return who(o, o) }

// signedIn lets every logged-in role in and sends anonymous callers to log in.
func signedIn() map[string]Outcome { return who(Login, Forbidden, demoRoles...) }

// except gives every logged-in role o, anonymous callers the login page.
func except(o Outcome) map[string]Outcome { return who(Login, o) }

// viewersSee gives the monitoring viewers outcome o and refuses the others.
func viewersSee(o Outcome) map[string]Outcome {
	m := who(Login, Forbidden)
	for _, r := range monitorViewers {
		m[r] = o
	}
	return m
}

var (
	monitorViewers = []string{"national", "regional", "organisation", "analyst"}
	governance     = []string{"national", "regional"}
)

// routeRows cover, together with the Case table (matrix_test.go and the capabilities'
// *_matrix_test.go), every registered route; TestEveryRouteHasAMatrixRow fails naming any
// route neither covers.
var routeRows = []RouteRow{
	// Plumbing and public documents.
	{Method: "GET", Path: "/static/esd.css", Want: same(Allowed)},
	{Method: "GET", Path: "/healthz", Want: same(Allowed)},
	{Method: "GET", Path: "/readyz", Want: same(Allowed)},
	{Method: "GET", Path: "/metrics", Want: same(Allowed)},
	{Method: "GET", Path: "/api/v1/openapi.json", Want: same(Allowed)},
	{Method: "GET", Path: "/.well-known/jwks.json", Want: same(Allowed)},
	// Login and account.
	{Method: "GET", Path: "/login", Want: same(Allowed)},
	{Method: "POST", Path: "/login", Form: url.Values{"username": {"nobody"}, "password": {"wrong-password"}},
		// Five failures for one username throttle it: the sixth and seventh caller get 429.
		Want: map[string]Outcome{"anonymous": 401, "national": 401, "regional": 401, "organisation": 401, "provider": 401, "professional": 429, "analyst": 429}},
	{Method: "POST", Path: "/logout", Fresh: true, Want: same(Login)},
	{Method: "GET", Path: "/account/password", Want: signedIn()},
	{Method: "POST", Path: "/account/password", Form: url.Values{"old_password": {"not-the-password"}}, Want: signedIn()},
	{Method: "POST", Path: "/account/tokens", Form: url.Values{"name": {""}}, Want: signedIn()},
	{Method: "POST", Path: "/account/tokens/999999/revoke", Want: except(NotFound)},
	{Method: "POST", Path: "/admin/users", Form: url.Values{"username": {""}}, Want: who(Login, Forbidden, governance...)},
	{Method: "POST", Path: "/admin/users/{user.azienda}/unlock", Want: who(Login, Forbidden, governance...)},
	{Method: "POST", Path: "/api/v1/users/{user.azienda}/unlock", Want: who(Login, Forbidden, governance...)},
	{Method: "POST", Path: "/api/v1/users/{user.veneto}/unlock", Want: map[string]Outcome{"anonymous": Login, "national": Allowed, "regional": NotFound,
		"organisation": Forbidden, "provider": Forbidden, "professional": Forbidden, "analyst": Forbidden}},
	{Method: "GET", Path: "/jobs/999999", Want: except(Denied)},
	{Method: "GET", Path: "/api/v1/jobs/999999", Want: except(Denied)},
	// Participation.
	{Method: "POST", Path: "/participations/999999/cancel", Want: except(Denied)},
	{Method: "POST", Path: "/participations/999999/session", Want: except(Denied)},
	{Method: "POST", Path: "/participations/999999/complete", Want: except(Denied)},
	{Method: "POST", Path: "/reports/import", Form: url.Values{}, Want: who(Login, Forbidden, "provider", "national")},
	// Without a file the form is refused before the edition is looked up.
	{Method: "POST", Path: "/editions/999999/report", Form: url.Values{}, Want: who(Login, Denied, "provider", "national")},
	// Privacy: erasure requests without a reason, and reviews of a request that does not
	// exist, so that no row of the matrix erases anyone (privacy_matrix_test.go has the rest).
	{Method: "POST", Path: "/me/personal-data/erasure", Form: url.Values{"reason": {""}}, Want: map[string]Outcome{"anonymous": Login, "national": Denied,
		"regional": Denied, "organisation": Denied, "provider": Denied, "professional": 422, "analyst": Denied}},
	{Method: "POST", Path: "/professionals/999999/personal-data/erasure", Form: url.Values{"reason": {""}}, Want: except(Denied)},
	// The form is checked before the request is looked up: governance is told what is missing.
	{Method: "POST", Path: "/privacy/requests/999999/review", Form: url.Values{"decision": {"reject"}}, Want: map[string]Outcome{"anonymous": Login,
		"national": 422, "regional": Denied, "organisation": Denied, "provider": Denied, "professional": Denied, "analyst": Denied}},
	{Method: "POST", Path: "/api/v1/privacy/requests/999999/review", JSON: map[string]any{"decision": "reject", "note": "matrice"}, Want: except(Denied)},
	// Certificates: public verification.
	{Method: "GET", Path: "/verifica", Want: same(Allowed)},
	{Method: "GET", Path: "/verifica/NONESISTE", Want: same(NotFound)},
	{Method: "GET", Path: "/api/v1/verify/NONESISTE", Want: same(NotFound)},
	// Identity.
	{Method: "GET", Path: "/logout/oidc/unknown", Want: same(Login)},
	{Method: "GET", Path: "/login/oidc/callback?state=forged&code=forged", Want: same(401)},
	{Method: "GET", Path: "/login/oidc/unknown", Want: same(NotFound)},
	{Method: "POST", Path: "/admin/identity/brokers", Form: url.Values{}, Want: who(Login, Forbidden, "national")},
	{Method: "POST", Path: "/admin/identity/links", Form: url.Values{}, Want: who(Login, Forbidden, governance...)},
	{Method: "POST", Path: "/admin/identity/password", Form: url.Values{"role": {"nonsense"}}, Want: who(Login, Forbidden, "national")},
	// Badges.
	{Method: "POST", Path: "/badges/999999/revoke", Want: except(Denied)},
	{Method: "GET", Path: "/open-badge/forged-token", Want: same(NotFound)},
	{Method: "GET", Path: "/verifica-badge", Want: same(Allowed)},
	{Method: "POST", Path: "/verifica-badge", Form: url.Values{"credential": {"not-a-credential"}}, Want: same(Allowed)},
	{Method: "POST", Path: "/api/v1/badges/verify", JSON: "not-a-credential", Want: same(Allowed)},
	{Method: "GET", Path: "/badges/issuer", Want: same(Allowed)},
	{Method: "GET", Path: "/badges/issuer/jwks", Want: same(Allowed)},
	{Method: "GET", Path: "/badges/issuer/multikey", Want: same(Allowed)},
	{Method: "GET", Path: "/badges/issuer/keys/forged", Want: same(NotFound)},
	{Method: "GET", Path: "/achievements/999999", Want: same(NotFound)},
	{Method: "GET", Path: "/badges/status/1", Want: same(Allowed)},
	// Monitoring and exports.
	{Method: "GET", Path: "/monitor", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/monitor/export.csv?table=main", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/monitor/export.xlsx?table=main", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/monitor/report.pdf", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/table?by=profession", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/heatmap", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/lines", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/options", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/export.csv?table=persona", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/export.xlsx?table=persona", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/status", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/monitor/report.pdf?region=90", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "POST", Path: "/api/v1/monitor/rebuild", Want: who(Login, Forbidden, "national")},
	{Method: "GET", Path: "/opendata", Want: same(Allowed)},
	{Method: "GET", Path: "/opendata/esd-monitoraggio.csv", Want: same(Allowed)},
	{Method: "GET", Path: "/api/v1/opendata", Want: same(Allowed)},
	{Method: "GET", Path: "/api/v1/opendata/esd-monitoraggio.csv", Want: same(Allowed)},
	// Indicators.
	{Method: "GET", Path: "/indicators", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/indicators/import", Want: who(Login, Forbidden, governance...)},
	{Method: "POST", Path: "/indicators/import", Form: url.Values{}, Want: who(Login, Forbidden, governance...)},
	{Method: "GET", Path: "/indicators/template.csv", Want: signedIn()},
	{Method: "GET", Path: "/api/v1/indicators/catalogue", Want: signedIn()},
	{Method: "GET", Path: "/api/v1/indicators/values?region=90", Want: signedIn()},
	{Method: "GET", Path: "/api/v1/indicators/view?region=90", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "GET", Path: "/api/v1/indicators/correlation?x=fse_consenso&y=assessed&period=2026-Q1", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "POST", Path: "/api/v1/indicators/import", JSON: "", Want: who(Login, Forbidden, governance...)},
	{Method: "GET", Path: "/api/v1/indicators/template.csv", Want: signedIn()},
	// Governance.
	{Method: "GET", Path: "/governance", Want: who(Login, Forbidden, monitorViewers...)},
	// An empty approval or target is the nation's: only national governance gets through.
	{Method: "POST", Path: "/governance/approve", Form: url.Values{}, Want: who(Login, Forbidden, "national")},
	{Method: "GET", Path: "/governance/targets", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "POST", Path: "/governance/targets", Form: url.Values{}, Want: who(Login, Forbidden, "national")},
	{Method: "GET", Path: "/governance/targets/999999", Want: viewersSee(NotFound)},
	{Method: "GET", Path: "/notifications", Want: signedIn()},
	{Method: "POST", Path: "/notifications/read", Form: url.Values{}, Want: signedIn()},
	{Method: "POST", Path: "/notifications/email", Form: url.Values{}, Want: signedIn()},
	{Method: "GET", Path: "/api/v1/governance/cycle", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "POST", Path: "/api/v1/governance/approvals", JSON: map[string]any{}, Want: who(Login, Forbidden, "national")},
	{Method: "GET", Path: "/api/v1/governance/targets", Want: who(Login, Forbidden, monitorViewers...)},
	{Method: "POST", Path: "/api/v1/governance/targets", JSON: map[string]any{}, Want: who(Login, Forbidden, "national")},
	{Method: "GET", Path: "/api/v1/governance/targets/999999", Want: viewersSee(NotFound)},
	{Method: "GET", Path: "/api/v1/notifications", Want: signedIn()},
	{Method: "POST", Path: "/api/v1/notifications/999999/read", Want: except(NotFound)},
	// xAPI: the LRS authenticates with its own credentials, never the session.
	{Method: "GET", Path: "/xapi/about", Want: same(Allowed)},
	{Method: "POST", Path: "/organisations/{provider}/xapi/credentials/999999/revoke", Want: except(Denied)},
	{Method: "POST", Path: "/organisations/{provider}/xapi/learners", Form: url.Values{}, Want: who(Login, Denied, "provider", "national")},
	{Method: "POST", Path: "/organisations/{provider}/xapi/activities", Form: url.Values{}, Want: who(Login, Denied, "provider", "national")},
	{Method: "DELETE", Path: "/api/v1/providers/{provider}/xapi/credentials/999999", Want: except(Denied)},
	{Method: "POST", Path: "/api/v1/providers/{provider}/xapi/learners", JSON: map[string]any{}, Want: who(Login, Denied, "provider", "national")},
	{Method: "POST", Path: "/api/v1/providers/{provider}/xapi/activities", JSON: map[string]any{}, Want: who(Login, Denied, "provider", "national")},
}

// routePatterns maps a concrete request to the pattern of the registered route serving it.
func routePatterns(env *apptest.Env) (*http.ServeMux, []string) {
	mux := http.NewServeMux()
	var pats []string
	for _, r := range env.M.Server.Routes() {
		mux.Handle(r.Pattern, http.NotFoundHandler())
		pats = append(pats, r.Pattern)
	}
	return mux, pats
}

var placeholder = regexp.MustCompile(`\{[^}]*\}`)

func patternOf(mux *http.ServeMux, method, path string) string {
	p := placeholder.ReplaceAllString(path, "1")
	p, _, _ = strings.Cut(p, "?")
	req, _ := http.NewRequest(method, "http://esd.test"+p, nil)
	_, pat := mux.Handler(req)
	return pat
}

// TestEveryRouteHasAMatrixRow lists every registered route and fails naming each one that
// neither the Case table nor routeRows requests: a new route needs its permission row.
func TestEveryRouteHasAMatrixRow(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	mux, pats := routePatterns(env)
	covered := map[string]bool{}
	for _, c := range cases {
		covered[patternOf(mux, c.Method, c.Path)] = true
	}
	for _, r := range routeRows {
		pat := patternOf(mux, r.Method, r.Path)
		if pat == "" {
			t.Errorf("route row %s %s matches no registered route", r.Method, r.Path)
		}
		covered[pat] = true
	}
	var missing []string
	for _, p := range pats {
		if !covered[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	for _, p := range missing {
		t.Errorf("route %q has no row in the permission matrix (add a Case or a RouteRow)", p)
	}
	if len(pats) < 300 {
		t.Fatalf("only %d routes registered: Routes() lost some", len(pats))
	}
}

// TestRouteMatrix requests every route row as each demo role and anonymously, on SQLite and
// PostgreSQL, and checks the outcome class.
func TestRouteMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		w, err := registry.DemoIDs(env.Sys(), env.M.DB)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{"provider": w.ProviderID, "asl": w.ASLID}
		var venetoOrg int64
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM organisations WHERE region_id = 50 AND kind = 'asl' ORDER BY id LIMIT 1`).Scan(&venetoOrg); err != nil {
			t.Fatal(err)
		}
		env.CreateUser("veneto.azienda", domain.RoleOrganisation, 0, venetoOrg, 0)
		for key, user := range map[string]string{"user.azienda": "demo.azienda", "user.veneto": "veneto.azienda"} {
			var id int64
			if err := env.M.DB.Read.QueryRow(`SELECT id FROM users WHERE username = $1`, user).Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids[key] = id
		}
		clients := demoClients(env)
		for _, row := range routeRows {
			path := placeholder.ReplaceAllStringFunc(row.Path, func(m string) string {
				v, ok := ids[m[1:len(m)-1]]
				if !ok {
					t.Fatalf("route row %s: no demo id for %s", row.Path, m)
				}
				return fmt.Sprint(v)
			})
			for _, role := range append([]string{"anonymous"}, demoRoles...) {
				want, ok := row.Want[role]
				if !ok {
					t.Fatalf("%s %s: no outcome for %s", row.Method, row.Path, role)
				}
				c := clients[role]
				if row.Fresh && role != "anonymous" {
					c = demoClients(env)[role]
				}
				res := sendRow(c, row, path)
				if !want.matches(res) {
					t.Errorf("%s %s as %s: got %d (%s), want %s", row.Method, path, role, res.Status, res.Header.Get("Location"), want)
				}
			}
		}
	})
}

func sendRow(c *apptest.Client, row RouteRow, path string) apptest.Response {
	switch {
	case row.Form != nil:
		return c.Do(row.Method, path, strings.NewReader(row.Form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	case row.JSON != nil:
		return c.SendJSON(row.Method, path, row.JSON)
	}
	return c.Do(row.Method, path, nil, nil)
}
