package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// World is the fixture of the permission matrix: two regions, A (where every test user's
// scope lies) and B (out of everybody's scope but national governance's), each with a
// health organisation, a provider and professionals. Capabilities add their own data for
// both sides through worldHooks and record ids in IDs under "name.A" / "name.B".
type World struct {
	Env              *apptest.Env
	RegionA, RegionB int64
	IDs              map[string]int64
	// Markers are strings that identify side-B individual data (e.g. a codice fiscale);
	// they must never appear in a response to a user scoped to side A, unless national.
	Markers []string
	Clients map[domain.Role]*apptest.Client
}

// ID returns a fixture id, failing the test if a hook did not set it.
func (w *World) ID(t testing.TB, key string) int64 {
	t.Helper()
	v, ok := w.IDs[key]
	if !ok {
		t.Fatalf("world has no id %q", key)
	}
	return v
}

// worldHooks build the world, in order: the registry's base hook first (regions,
// organisations, professionals), then each capability's.
var worldHooks []func(t *testing.T, w *World)

// lateWorldHooks run after every worldHook. Init functions run in file-name order, so a
// capability whose file sorts before the base hook's (world_base_test.go) registers here to
// find the regions, organisations and professionals already there.
var lateWorldHooks []func(t *testing.T, w *World)

// Case is one row of the permission matrix: a page or endpoint, called once for a target in
// side A and once for side B (if the path has a {side} placeholder), by every role.
type Case struct {
	Name   string
	Method string
	// Path may contain {key} placeholders: {side} becomes A or B, and {name} becomes
	// IDs["name.A"] or IDs["name.B"] for the side being tested.
	Path string
	// JSON is the request body for API calls, built for a side; nil for none.
	JSON func(w *World, side string) any
	// Form is the body of a form post, built for a side; nil for none.
	Form func(w *World, side string) url.Values
	// Raw is any other body (e.g. a text/csv upload): its content type and bytes; nil for none.
	Raw func(w *World, side string) (string, []byte)
	// Allow says whether role may do this on side.
	Allow func(role domain.Role, side string) bool
	// Sides lists the sides to test; default both if Path has a placeholder, else only A.
	Sides []string
}

var cases []Case

// Helpers for Allow.
func roles(rs ...domain.Role) func(domain.Role, string) bool {
	return func(r domain.Role, _ string) bool {
		for _, x := range rs {
			if x == r {
				return true
			}
		}
		return false
	}
}

// inScope allows the listed roles on side A and only national governance on side B.
func inScope(rs ...domain.Role) func(domain.Role, string) bool {
	return func(r domain.Role, side string) bool {
		if r == domain.RoleNational {
			return true
		}
		if side != "A" {
			return false
		}
		for _, x := range rs {
			if x == r {
				return true
			}
		}
		return false
	}
}

func everyone(domain.Role, string) bool { return true }

func (c Case) path(w *World, side string) string {
	p := strings.ReplaceAll(c.Path, "{side}", side)
	for strings.Contains(p, "{") {
		i := strings.Index(p, "{")
		j := strings.Index(p[i:], "}") + i
		key := p[i+1 : j]
		p = p[:i] + fmt.Sprint(w.IDs[key+"."+side]) + p[j+1:]
	}
	return p
}

func buildWorld(t *testing.T, d db.Dialect) *World {
	env := apptest.Start(t, d)
	w := &World{Env: env, IDs: map[string]int64{}, Clients: map[domain.Role]*apptest.Client{}}
	for _, h := range worldHooks {
		h(t, w)
	}
	for _, h := range lateWorldHooks {
		h(t, w)
	}
	if w.RegionA == 0 {
		t.Fatal("no world base hook set RegionA")
	}
	scope := map[domain.Role][3]int64{
		domain.RoleNational:     {},
		domain.RoleRegional:     {w.RegionA},
		domain.RoleOrganisation: {0, w.IDs["org.A"]},
		domain.RoleProvider:     {0, w.IDs["provider.A"]},
		domain.RoleProfessional: {0, 0, w.IDs["professional.A"]},
		domain.RoleAnalyst:      {},
	}
	for _, r := range domain.Roles {
		s := scope[r]
		u, pw := env.CreateUser("m_"+string(r), r, s[0], s[1], s[2])
		w.Clients[r] = env.Client().Login(u, pw)
	}
	return w
}

func TestPermissionMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		anon := w.Env.Client()
		for _, c := range cases {
			checkCase(t, w, anon, c, nil)
		}
	})
}

// runCases checks the cases whose name starts with prefix (a capability's rows run alone)
// and returns how many there were. hide, when given, names the refusals that must be 404 so
// that a resource's existence is not revealed.
func runCases(t *testing.T, w *World, prefix string, hide func(Case, domain.Role) bool) int {
	t.Helper()
	anon := w.Env.Client()
	n := 0
	for _, c := range cases {
		if strings.HasPrefix(c.Name, prefix) {
			n++
			checkCase(t, w, anon, c, hide)
		}
	}
	return n
}

// checkCase sends one case on each side it names as anonymous and as every role: anonymous
// callers never get through, each role is let in or refused (401/403/404) as the case
// allows, and nobody but national governance is shown another scope's markers.
func checkCase(t *testing.T, w *World, anon *apptest.Client, c Case, hide func(Case, domain.Role) bool) {
	t.Helper()
	sides := c.Sides
	if sides == nil {
		sides = []string{"A"}
		if strings.Contains(c.Path, "{") {
			sides = []string{"A", "B"}
		}
	}
	for _, side := range sides {
		path := c.path(w, side)
		// Anonymous callers never get through (except public routes, not listed here).
		res := send(t, anon, c, w, side, path)
		if res.Status < 300 || (res.Status == http.StatusSeeOther && !strings.Contains(res.Header.Get("Location"), "/login")) {
			t.Errorf("%s %s %s: anonymous got %d", c.Name, c.Method, path, res.Status)
		}
		for _, r := range domain.Roles {
			res := send(t, w.Clients[r], c, w, side, path)
			allowed := c.Allow(r, side)
			ok := res.Status < 400 && !(res.Status == http.StatusSeeOther && strings.Contains(res.Header.Get("Location"), "/login"))
			switch {
			case allowed && !ok:
				t.Errorf("%s: %s %s %s: want allowed, got %d: %.300s", c.Name, r, c.Method, path, res.Status, res.Body)
			case !allowed && ok:
				t.Errorf("%s: %s %s %s: want refused, got %d (LEAK)", c.Name, r, c.Method, path, res.Status)
			case !allowed && hide != nil && hide(c, r) && res.Status != 404:
				t.Errorf("%s: %s %s %s: refused with %d, want 404 (existence not revealed)", c.Name, r, c.Method, path, res.Status)
			case !allowed && res.Status != 401 && res.Status != 403 && res.Status != 404:
				t.Errorf("%s: %s %s %s: refused with %d, want 401/403/404", c.Name, r, c.Method, path, res.Status)
			}
			if ok && r != domain.RoleNational {
				for _, m := range w.Markers {
					if m != "" && strings.Contains(res.Body, m) {
						t.Errorf("%s: %s %s %s: response shows out-of-scope data %q (LEAK)", c.Name, r, c.Method, path, m)
					}
				}
			}
		}
	}
}

func send(t *testing.T, cl *apptest.Client, c Case, w *World, side, path string) apptest.Response {
	t.Helper()
	switch {
	case c.JSON != nil:
		b, _ := json.Marshal(c.JSON(w, side))
		return cl.Do(c.Method, path, bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}})
	case c.Raw != nil:
		ct, b := c.Raw(w, side)
		return cl.Do(c.Method, path, bytes.NewReader(b), http.Header{"Content-Type": {ct}})
	case c.Form != nil:
		return cl.Do(c.Method, path, strings.NewReader(c.Form(w, side).Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	}
	return cl.Do(c.Method, path, nil, nil)
}

func init() {
	cases = append(cases,
		Case{Name: "home", Method: "GET", Path: "/", Allow: everyone},
		Case{Name: "me", Method: "GET", Path: "/api/v1/me", Allow: everyone},
		Case{Name: "tokens page", Method: "GET", Path: "/account/tokens", Allow: everyone},
		Case{Name: "users page", Method: "GET", Path: "/admin/users", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: "users api", Method: "GET", Path: "/api/v1/users", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: "audit page", Method: "GET", Path: "/audit", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: "audit api", Method: "GET", Path: "/api/v1/audit", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: "create user in region", Method: "POST", Path: "/api/v1/users", Sides: []string{"A", "B"},
			JSON: func(w *World, side string) any {
				reg := w.RegionA
				if side == "B" {
					reg = w.RegionB
				}
				return map[string]any{"username": fmt.Sprintf("new_%s_%d", side, len(w.IDs)+nextSeq()), "password": "long-enough-pw", "role": "regional", "region_id": reg}
			},
			Allow: inScope(domain.RoleRegional)},
	)
}

var seq int

func nextSeq() int { seq++; return seq }
