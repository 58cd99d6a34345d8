package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/xapi"
)

// The LRS in the permission matrix. Each side's provider has an all-scopes credential and one
// stored statement whose learner's mailbox is a marker of side B. The provider's LRS pages and
// API are the provider's own and national governance's; the professional's page of what
// platforms reported follows the professional's scope. TestXAPIMatrix also runs the
// credential scopes against every resource and checks that a provider never reads another's
// statements.

const xapiCasePrefix = "xapi "

func init() {
	lateWorldHooks = append(lateWorldHooks, func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		for _, side := range []string{"A", "B"} {
			is, err := w.Env.M.XAPI.CreateCredential(ctx, w.IDs["provider."+side], xapi.CredentialInput{Label: "matrix " + side, Scopes: []string{xapi.ScopeAll}})
			if err != nil {
				t.Fatalf("xapi world: credential %s: %v", side, err)
			}
			w.IDs["xapicred."+side] = is.ID
			xapiBasic[w] = append(xapiBasic[w], is.Basic)
			c, err := w.Env.M.XAPI.Authenticate(ctx, is.Basic)
			if err != nil {
				t.Fatal(err)
			}
			st := map[string]any{"actor": map[string]any{"mbox": "mailto:xapi-learner-" + strings.ToLower(side) + "@example.it"},
				"verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": map[string]any{"id": "http://example.it/matrix/" + side}}
			ids, err := w.Env.M.XAPI.Store(ctx, c, xapi.V103, []any{st}, nil, "")
			if err != nil {
				t.Fatalf("xapi world: statement %s: %v", side, err)
			}
			if side == "B" {
				w.Markers = append(w.Markers, "xapi-learner-b@example.it", ids[0])
			}
		}
	})
	own := func(r domain.Role, side string) bool {
		return r == domain.RoleNational || r == domain.RoleProvider && side == "A"
	}
	person := inScope(domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional)
	cases = append(cases,
		Case{Name: xapiCasePrefix + "LRS home", Method: "GET", Path: "/lrs", Allow: roles(domain.RoleProvider, domain.RoleNational)},
		Case{Name: xapiCasePrefix + "provider page", Method: "GET", Path: "/organisations/{provider}/xapi", Allow: own},
		Case{Name: xapiCasePrefix + "create credential form", Method: "POST", Path: "/organisations/{provider}/xapi/credentials",
			Form: func(*World, string) url.Values { return url.Values{"label": {"form"}, "scope": {"statements/write"}} }, Allow: own},
		Case{Name: xapiCasePrefix + "homepage form", Method: "POST", Path: "/organisations/{provider}/xapi/homepages",
			Form: func(*World, string) url.Values {
				return url.Values{"home_page": {"https://moodle.example.it"}, "mode": {"cf"}}
			}, Allow: own},
		Case{Name: xapiCasePrefix + "overview api", Method: "GET", Path: "/api/v1/providers/{provider}/xapi", Allow: own},
		Case{Name: xapiCasePrefix + "create credential api", Method: "POST", Path: "/api/v1/providers/{provider}/xapi/credentials",
			JSON: func(*World, string) any {
				return map[string]any{"label": "api", "scopes": []string{"statements/write"}}
			}, Allow: own},
		Case{Name: xapiCasePrefix + "homepage api", Method: "POST", Path: "/api/v1/providers/{provider}/xapi/homepages",
			JSON: func(*World, string) any {
				return map[string]any{"home_page": "https://moodle.example.it", "mode": "registered"}
			}, Allow: own},
		Case{Name: xapiCasePrefix + "cmi5 session api", Method: "POST", Path: "/api/v1/xapi/sessions", JSON: func(*World, string) any {
			return map[string]any{"actor": map[string]any{"mbox": "mailto:au@example.it"}, "registration": "7c3a7b9e-4d1e-4f3a-9b2c-5e6f7a8b9c0d", "activity_id": "https://lms.example.it/au/1"}
		}, Allow: roles(domain.RoleProvider)},
		Case{Name: xapiCasePrefix + "professional's page", Method: "GET", Path: "/professionals/{professional}/xapi", Allow: person},
		Case{Name: xapiCasePrefix + "professional's api", Method: "GET", Path: "/api/v1/professionals/{professional}/xapi", Allow: person},
	)
}

// xapiBasic keeps the Basic headers of each world's credentials (A then B).
var xapiBasic = map[*World][]string{}

func TestXAPIMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		n := runCases(t, w, xapiCasePrefix, nil)
		if n != 10 {
			t.Fatalf("%d xapi cases, want 10", n)
		}

		// Credential scopes × resources, with provider A's credentials issued per scope.
		ctx := w.Env.Sys()
		base := w.Env.URL
		call := func(auth, method, path string, body string, h map[string]string) int {
			var rd *bytes.Reader
			if body != "" {
				rd = bytes.NewReader([]byte(body))
			} else {
				rd = bytes.NewReader(nil)
			}
			req, _ := http.NewRequest(method, base+path, rd)
			req.Header.Set("X-Experience-API-Version", "1.0.3")
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		agent := url.QueryEscape(`{"mbox":"mailto:xapi-learner-a@example.it"}`)
		st, _ := json.Marshal(map[string]any{"actor": map[string]any{"mbox": "mailto:xapi-learner-a@example.it"}, "verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/experienced"},
			"object": map[string]any{"id": "http://example.it/matrix/scopes"}})
		type op struct {
			name, method, path, body, scope string
			h                               map[string]string
		}
		ops := []op{
			{"POST statements", "POST", "/xapi/statements", string(st), "statements/write", nil},
			{"GET statements", "GET", "/xapi/statements?agent=" + agent, "", "statements/read/mine", nil},
			{"PUT state", "PUT", "/xapi/activities/state?activityId=http%3A%2F%2Fexample.it%2Fa&agent=" + agent + "&stateId=s", `{"a":1}`, "state", nil},
			{"GET state ids", "GET", "/xapi/activities/state?activityId=http%3A%2F%2Fexample.it%2Fa&agent=" + agent, "", "state", nil},
			{"PUT activity profile", "PUT", "/xapi/activities/profile?activityId=http%3A%2F%2Fexample.it%2Fa&profileId=p", `{"a":1}`, "profile", map[string]string{"If-None-Match": "*"}},
			{"GET agent profile ids", "GET", "/xapi/agents/profile?agent=" + agent, "", "profile", nil},
		}
		grants := map[string][]string{ // scope held → scopes it satisfies
			"statements/write":     {"statements/write"},
			"statements/read/mine": {"statements/read/mine"},
			"statements/read":      {"statements/read/mine"},
			"state":                {"state"},
			"profile":              {"profile"},
			"all":                  {"statements/write", "statements/read/mine", "state", "profile"},
		}
		for _, scope := range xapi.AllScopes {
			is, err := w.Env.M.XAPI.CreateCredential(ctx, w.IDs["provider.A"], xapi.CredentialInput{Label: "scope " + scope, Scopes: []string{scope}})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range ops {
				want := false
				for _, g := range grants[scope] {
					want = want || g == o.scope
				}
				got := call(is.Basic, o.method, o.path, o.body, o.h)
				if ok := got < 400; ok != want {
					t.Errorf("scope %s × %s: %d, want allowed=%v", scope, o.name, got, want)
				} else if !ok && got != 403 {
					t.Errorf("scope %s × %s: refused with %d, want 403", scope, o.name, got)
				}
				// Put the profile back so the next credential's create-only PUT is meaningful.
				if o.name == "PUT activity profile" && got < 400 {
					w.Env.M.DB.Write.Exec(`DELETE FROM xapi_documents WHERE kind = 'activity'`)
				}
			}
		}
		// A provider never reads another provider's statements: B's credential, A's data.
		bAuth := xapiBasic[w][1]
		var idA string
		w.Env.M.DB.Read.QueryRow(`SELECT id FROM xapi_statements WHERE provider_id = $1 ORDER BY seq LIMIT 1`, w.IDs["provider.A"]).Scan(&idA)
		if got := call(bAuth, "GET", "/xapi/statements?statementId="+idA, "", nil); got != 404 {
			t.Errorf("provider B reads A's statement: %d", got)
		}
		req, _ := http.NewRequest("GET", base+"/xapi/statements?agent="+agent, nil)
		req.Header.Set("X-Experience-API-Version", "2.0.0")
		req.Header.Set("Authorization", bAuth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sr struct{ Statements []any }
		json.NewDecoder(resp.Body).Decode(&sr)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(sr.Statements) != 0 {
			t.Errorf("provider B's query of A's learner: %d, %d statements", resp.StatusCode, len(sr.Statements))
		}
		if got := call(bAuth, "GET", "/xapi/activities/state?activityId=http%3A%2F%2Fexample.it%2Fa&agent="+agent+"&stateId=s", "", nil); got != 404 {
			t.Errorf("provider B reads A's state document: %d", got)
		}
		_ = fmt.Sprint
	})
}
