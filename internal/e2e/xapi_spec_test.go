package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/registry"
)

// The xAPI specification suite over real HTTP against the running platform, on SQLite and
// PostgreSQL. Test names carry the requirement they check: the section of the xAPI 2.0.0 /
// 1.0.3 specification (Data §…, Communication §…) and, where the ADL conformance suite's id is
// known (XAPI-00333 versioning, XAPI-00335 authentication), that id.

// lrsWorld is the demo world with an FAD edition of the demo provider mapped to activities,
// an all-scopes credential and the Moodle and cmi5 learner naming registered.
type lrsWorld struct {
	pw       partWorld
	env      *apptest.Env
	provID   int64
	edID     int64
	basic    string // Authorization of the all-scopes credential
	credID   int64
	moodle   string // homePage of the Moodle site
	course   string // Moodle course activity mapped to the edition
	cmi5AU   string // cmi5 AU mapped to a second edition
	cmi5EdID int64
}

func startLRSWorld(t *testing.T, d db.Dialect) lrsWorld {
	pw := startPartWorld(t, d)
	w := lrsWorld{pw: pw, env: pw.env, moodle: "https://fad.provider-demo.example.it", course: "https://fad.provider-demo.example.it/course/view.php?id=5",
		cmi5AU: "https://lms.provider-demo.example.it/cmi5/fse-infermiere/au/1"}
	if err := w.env.M.DB.Read.QueryRow(`SELECT id FROM organisations WHERE code = $1`, pw.providerC).Scan(&w.provID); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC()
	w.edID = pw.newEdition(t, "XAPI-FAD-1", 100, today.AddDate(0, 0, -10).Format("2006-01-02"), today.AddDate(0, 0, 30).Format("2006-01-02"), 12)
	w.cmi5EdID = pw.newEdition(t, "XAPI-CMI5-1", 100, today.AddDate(0, 0, -10).Format("2006-01-02"), today.AddDate(0, 0, 30).Format("2006-01-02"), 6)
	is := w.issue(t, []string{"all"})
	w.basic, w.credID = is.Basic, is.ID
	base := fmt.Sprintf("/api/v1/providers/%d/xapi", w.provID)
	for _, c := range []struct {
		path string
		body any
	}{
		{"/homepages", map[string]any{"home_page": w.moodle, "mode": "registered"}},
		{"/learners", map[string]any{"home_page": w.moodle, "name": "42", "codice_fiscale": pw.profCF}},
		{"/homepages", map[string]any{"home_page": "https://lms.provider-demo.example.it", "mode": "cf"}},
		{"/activities", map[string]any{"activity_id": w.course, "event_code": "XAPI-FAD-1", "edition": 1, "verbs": []string{"http://adlnet.gov/expapi/verbs/completed"}}},
		{"/activities", map[string]any{"activity_id": w.cmi5AU, "event_code": "XAPI-CMI5-1", "edition": 1, "min_score": 0.8}},
	} {
		if res := pw.provider.SendJSON("POST", base+c.path, c.body); res.Status != http.StatusNoContent {
			t.Fatalf("POST %s: %d %s", c.path, res.Status, res.Body)
		}
	}
	return w
}

type issued struct {
	ID     int64  `json:"id"`
	Key    string `json:"key"`
	Secret string `json:"secret"`
	Basic  string `json:"basic"`
	Token  string `json:"auth-token"`
}

func (w lrsWorld) issue(t *testing.T, scopes []string) issued {
	t.Helper()
	res := w.pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/providers/%d/xapi/credentials", w.provID), map[string]any{"label": "Moodle " + strings.Join(scopes, "+"), "scopes": scopes})
	if res.Status != http.StatusCreated {
		t.Fatalf("issue credential: %d %s", res.Status, res.Body)
	}
	var is issued
	res.JSON(t, &is)
	if is.Secret == "" || !strings.HasPrefix(is.Basic, "Basic ") {
		t.Fatalf("issued credential without secret: %+v", is)
	}
	return is
}

type xres struct {
	Status int
	Header http.Header
	Body   string
}

func (r xres) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("response %d is not JSON: %v: %.300s", r.Status, err, r.Body)
	}
}

// xapiDo sends one request to the LRS; version "" sends no version header, auth "" none.
func (w lrsWorld) do(t *testing.T, method, path, version, auth string, body io.Reader, h http.Header) xres {
	t.Helper()
	req, err := http.NewRequest(method, w.env.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	if version != "" {
		req.Header.Set("X-Experience-API-Version", version)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return xres{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func (w lrsWorld) post(t *testing.T, version, auth string, v any) xres {
	t.Helper()
	b, _ := json.Marshal(v)
	return w.do(t, "POST", "/xapi/statements", version, auth, bytes.NewReader(b), nil)
}

func (w lrsWorld) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := w.env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func newID() string {
	var b [16]byte
	now := time.Now().UnixNano()
	for i := range b {
		b[i] = byte(now >> (i % 8 * 8))
		now = now*6364136223846793005 + 1442695040888963407
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func stmt(mbox, verb, activity string) map[string]any {
	return map[string]any{"actor": map[string]any{"objectType": "Agent", "name": "Tester", "mbox": "mailto:" + mbox},
		"verb":   map[string]any{"id": verb, "display": map[string]any{"it-IT": "ha provato", "en-US": "attempted"}},
		"object": map[string]any{"objectType": "Activity", "id": activity, "definition": map[string]any{"name": map[string]any{"it-IT": "Corso", "en-US": "Course"}}}}
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

const attempted = "http://adlnet.gov/expapi/verbs/attempted"

func TestXAPISpecification(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := startLRSWorld(t, d)
		auth := w.basic
		for _, v := range []string{"1.0.3", "2.0.0"} {
			t.Run(v, func(t *testing.T) { xapiVersionSuite(t, w, v, auth) })
		}
		t.Run("Communication§1.3 alternate request syntax: accepted under 1.0.3, refused under 2.0.0", func(t *testing.T) {
			id := newID()
			st := stmt("alt@example.it", attempted, "http://example.it/alt")
			b, _ := json.Marshal(st)
			form := url.Values{"Authorization": {auth}, "X-Experience-API-Version": {"1.0.3"}, "Content-Type": {"application/json"}, "statementId": {id}, "content": {string(b)}}
			r := w.do(t, "POST", "/xapi/statements?method=PUT", "", "", strings.NewReader(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			if r.Status != 204 {
				t.Fatalf("1.0.3 alternate PUT: %d %s", r.Status, r.Body)
			}
			if g := w.do(t, "GET", "/xapi/statements?statementId="+id, "1.0.3", auth, nil, nil); g.Status != 200 {
				t.Fatalf("alternate PUT did not store: %d", g.Status)
			}
			form.Set("X-Experience-API-Version", "2.0.0")
			form.Set("statementId", newID())
			r = w.do(t, "POST", "/xapi/statements?method=PUT", "", "", strings.NewReader(form.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			if r.Status != 400 || !strings.Contains(r.Body, "2.0.0") {
				t.Fatalf("2.0.0 alternate syntax: %d %s", r.Status, r.Body)
			}
		})
		t.Run("Data§2.4.6 contextAgents and contextGroups: 2.0.0 only, validated", func(t *testing.T) {
			st := stmt("ctx@example.it", attempted, "http://example.it/ctx")
			st["context"] = map[string]any{"contextAgents": []any{map[string]any{"objectType": "contextAgent", "agent": map[string]any{"mbox": "mailto:tutor@example.it"},
				"relevantTypes": []any{"https://example.it/types/tutor"}}},
				"contextGroups": []any{map[string]any{"objectType": "contextGroup", "group": map[string]any{"objectType": "Group", "member": []any{map[string]any{"mbox": "mailto:a@example.it"}}}}}}
			if r := w.post(t, "2.0.0", auth, st); r.Status != 200 {
				t.Fatalf("2.0.0 contextAgents: %d %s", r.Status, r.Body)
			}
			if r := w.post(t, "1.0.3", auth, st); r.Status != 400 || !strings.Contains(r.Body, "contextAgents: unknown property") {
				t.Fatalf("1.0.3 contextAgents must be refused: %d %s", r.Status, r.Body)
			}
			bad := clone(st)
			bad["context"].(map[string]any)["contextAgents"].([]any)[0].(map[string]any)["objectType"] = "Agent"
			if r := w.post(t, "2.0.0", auth, bad); r.Status != 400 || !strings.Contains(r.Body, "contextAgents[0].objectType") {
				t.Fatalf("bad contextAgent objectType: %d %s", r.Status, r.Body)
			}
			bad = clone(st)
			bad["context"].(map[string]any)["contextGroups"].([]any)[0].(map[string]any)["group"] = map[string]any{"mbox": "mailto:x@example.it"}
			if r := w.post(t, "2.0.0", auth, bad); r.Status != 400 || !strings.Contains(r.Body, "contextGroups[0].group.objectType") {
				t.Fatalf("contextGroup with an Agent: %d %s", r.Status, r.Body)
			}
		})
		t.Run("Data§2.4.7 timestamps: 2.0.0 converts offsets to UTC, 1.0.3 keeps them; -00:00 refused", func(t *testing.T) {
			for _, c := range []struct{ v, want string }{{"2.0.0", "2026-11-20T08:15:00Z"}, {"1.0.3", "2026-11-20T09:15:00+01:00"}} {
				id := newID()
				st := stmt("ts@example.it", attempted, "http://example.it/ts")
				st["id"], st["timestamp"] = id, "2026-11-20T09:15:00+01:00"
				if r := w.post(t, c.v, auth, st); r.Status != 200 {
					t.Fatalf("%s: %d %s", c.v, r.Status, r.Body)
				}
				var got map[string]any
				w.do(t, "GET", "/xapi/statements?statementId="+id, c.v, auth, nil, nil).json(t, &got)
				if got["timestamp"] != c.want {
					t.Errorf("%s: timestamp %v, want %s", c.v, got["timestamp"], c.want)
				}
			}
			st := stmt("ts@example.it", attempted, "http://example.it/ts")
			st["timestamp"] = "2026-11-20T09:15:00-00:00"
			if r := w.post(t, "2.0.0", auth, st); r.Status != 400 {
				t.Fatalf("-00:00: %d %s", r.Status, r.Body)
			}
		})
		t.Run("Communication§2.1.3 provider isolation: another provider's credential reads nothing of ours and cannot write our activities", func(t *testing.T) {
			// A second provider with its own credential, issued by national governance.
			org, err := w.env.M.Registry.CreateOrganisation(w.env.Sys(), registry.OrganisationInput{Kind: registry.KindProvider, Code: "XAPI-OTHER", Name: "Altro provider", RegionID: 90})
			if err != nil {
				t.Fatal(err)
			}
			other := org.ID
			u, p := w.env.CreateUser("xapi_nat", "national", 0, 0, 0)
			nat := w.env.Client().Login(u, p)
			res := nat.SendJSON("POST", fmt.Sprintf("/api/v1/providers/%d/xapi/credentials", other), map[string]any{"label": "altro", "scopes": []string{"all"}})
			if res.Status != 201 {
				t.Fatalf("national issues for another provider: %d %s", res.Status, res.Body)
			}
			var is issued
			res.JSON(t, &is)
			id := newID()
			st := stmt("iso@example.it", attempted, "http://example.it/iso")
			st["id"] = id
			if r := w.post(t, "1.0.3", auth, st); r.Status != 200 {
				t.Fatal(r.Status, r.Body)
			}
			if r := w.do(t, "GET", "/xapi/statements?statementId="+id, "1.0.3", is.Basic, nil, nil); r.Status != 404 {
				t.Errorf("another provider reads our statement: %d", r.Status)
			}
			var sr struct{ Statements []map[string]any }
			w.do(t, "GET", "/xapi/statements?agent="+url.QueryEscape(`{"mbox":"mailto:iso@example.it"}`), "1.0.3", is.Basic, nil, nil).json(t, &sr)
			if len(sr.Statements) != 0 {
				t.Errorf("another provider's query shows %d of our statements", len(sr.Statements))
			}
			// Writing a statement about our mapped course is refused, and nothing is stored.
			before := w.count(t, "xapi_statements")
			if r := w.post(t, "1.0.3", is.Basic, stmt("iso@example.it", "http://adlnet.gov/expapi/verbs/completed", w.course)); r.Status != 403 || !strings.Contains(r.Body, "another provider") {
				t.Errorf("writing another provider's activity: %d %s", r.Status, r.Body)
			}
			if w.count(t, "xapi_statements") != before {
				t.Error("a refused statement was stored")
			}
			// The provider's pages: our provider cannot open the other provider's.
			if res := w.pw.provider.Get(fmt.Sprintf("/organisations/%d/xapi", other)); res.Status != 403 {
				t.Errorf("provider opens another provider's LRS page: %d", res.Status)
			}
		})
		t.Run("Communication§4 scopes: statements/write cannot read, read/mine reads only its own, state needs state", func(t *testing.T) {
			wo := w.issue(t, []string{"statements/write"})
			mine := w.issue(t, []string{"statements/write", "statements/read/mine"})
			if r := w.do(t, "GET", "/xapi/statements", "1.0.3", wo.Basic, nil, nil); r.Status != 403 {
				t.Errorf("write-only reads: %d", r.Status)
			}
			st := stmt("mine@example.it", attempted, "http://example.it/mine")
			if r := w.post(t, "1.0.3", mine.Basic, st); r.Status != 200 {
				t.Fatal(r.Status, r.Body)
			}
			if r := w.post(t, "1.0.3", auth, st); r.Status != 200 { // same content, other credential: a new statement
				t.Fatal(r.Status, r.Body)
			}
			var sr struct{ Statements []map[string]any }
			w.do(t, "GET", "/xapi/statements?agent="+url.QueryEscape(`{"mbox":"mailto:mine@example.it"}`), "1.0.3", mine.Basic, nil, nil).json(t, &sr)
			if len(sr.Statements) != 1 {
				t.Errorf("read/mine sees %d statements, want its 1", len(sr.Statements))
			}
			w.do(t, "GET", "/xapi/statements?agent="+url.QueryEscape(`{"mbox":"mailto:mine@example.it"}`), "1.0.3", auth, nil, nil).json(t, &sr)
			if len(sr.Statements) != 2 {
				t.Errorf("all sees %d statements, want 2", len(sr.Statements))
			}
			if r := w.do(t, "GET", "/xapi/activities/state?activityId=http://example.it/a&agent="+url.QueryEscape(`{"mbox":"mailto:a@example.it"}`), "1.0.3", wo.Basic, nil, nil); r.Status != 403 {
				t.Errorf("state without state scope: %d", r.Status)
			}
			// Revoked: 401 at once.
			if res := w.pw.provider.Do("DELETE", fmt.Sprintf("/api/v1/providers/%d/xapi/credentials/%d", w.provID, mine.ID), nil, nil); res.Status != 204 {
				t.Fatal(res.Status, res.Body)
			}
			if r := w.post(t, "1.0.3", mine.Basic, st); r.Status != 401 {
				t.Errorf("revoked credential: %d", r.Status)
			}
		})
		t.Run("bad input: a 100 MB body is refused with 413 without being read", func(t *testing.T) {
			before := w.count(t, "xapi_statements")
			req, _ := http.NewRequest("POST", w.env.URL+"/xapi/statements", io.LimitReader(zeros{}, 100<<20))
			req.ContentLength = 100 << 20
			req.Header.Set("X-Experience-API-Version", "1.0.3")
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 413 {
				t.Errorf("100 MB body: %d", resp.StatusCode)
			}
			if w.count(t, "xapi_statements") != before {
				t.Error("stored something")
			}
		})
		t.Run("CORS: preflight allows the xAPI headers and a cross-origin POST reaches the LRS", func(t *testing.T) {
			r := w.do(t, "OPTIONS", "/xapi/statements", "", "", nil, http.Header{"Origin": {"https://content.example.org"}, "Access-Control-Request-Method": {"PUT"},
				"Access-Control-Request-Headers": {"authorization,x-experience-api-version,content-type"}})
			if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://content.example.org" ||
				!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "X-Experience-API-Version") ||
				!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "ETag") {
				t.Fatalf("preflight: %d %v", r.Status, r.Header)
			}
			b, _ := json.Marshal(stmt("cors@example.it", attempted, "http://example.it/cors"))
			r = w.do(t, "POST", "/xapi/statements", "1.0.3", auth, bytes.NewReader(b), http.Header{"Origin": {"https://content.example.org"}, "Sec-Fetch-Site": {"cross-site"}})
			if r.Status != 200 {
				t.Fatalf("cross-origin POST: %d %s", r.Status, r.Body)
			}
			// The platform's own pages still refuse cross-site form posts.
			res := w.pw.provider.Do("POST", fmt.Sprintf("/organisations/%d/xapi/credentials", w.provID), strings.NewReader("label=x&scope=all"),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example.org"}, "Sec-Fetch-Site": {"cross-site"}})
			if res.Status != 403 {
				t.Errorf("cross-site post to the provider page: %d", res.Status)
			}
		})
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// xapiVersionSuite runs the resource requirements under one version.
func xapiVersionSuite(t *testing.T, w lrsWorld, v, auth string) {
	agentQ := func(mbox string) string { return url.QueryEscape(`{"mbox":"mailto:` + mbox + `"}`) }
	tag := strings.ReplaceAll(v, ".", "")
	t.Run("Communication§2.8 about answers without auth or version and lists both versions", func(t *testing.T) {
		r := w.do(t, "GET", "/xapi/about", "", "", nil, nil)
		var about struct{ Version []string }
		r.json(t, &about)
		if r.Status != 200 || strings.Join(about.Version, ",") != "1.0.3,2.0.0" {
			t.Fatalf("about: %d %s", r.Status, r.Body)
		}
	})
	t.Run("XAPI-00333 the response echoes the request's version; a missing or unknown version is 400", func(t *testing.T) {
		r := w.do(t, "GET", "/xapi/statements?limit=1", v, auth, nil, nil)
		if r.Status != 200 || r.Header.Get("X-Experience-API-Version") != v {
			t.Fatalf("echo: %d %q", r.Status, r.Header.Get("X-Experience-API-Version"))
		}
		if r := w.do(t, "GET", "/xapi/statements", "", auth, nil, nil); r.Status != 400 {
			t.Errorf("no version: %d", r.Status)
		}
		if r := w.do(t, "GET", "/xapi/statements", "0.95", auth, nil, nil); r.Status != 400 {
			t.Errorf("0.95: %d", r.Status)
		}
	})
	t.Run("XAPI-00335 HTTP Basic: missing or wrong credentials are 401", func(t *testing.T) {
		if r := w.do(t, "GET", "/xapi/statements", v, "", nil, nil); r.Status != 401 {
			t.Errorf("no auth: %d", r.Status)
		}
		key, _, _ := strings.Cut(mustB64(t, strings.TrimPrefix(auth, "Basic ")), ":")
		if r := w.do(t, "GET", "/xapi/statements", v, "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":wrong")), nil, nil); r.Status != 401 {
			t.Errorf("wrong secret: %d", r.Status)
		}
	})
	mbox := "learner" + tag + "@example.it"
	act := "http://example.it/course/" + tag
	var putID string
	t.Run("Communication§2.1.1 PUT stores with 204; the LRS sets authority, stored, timestamp and version; GET by id returns it with Last-Modified", func(t *testing.T) {
		putID = newID()
		st := stmt(mbox, attempted, act)
		b, _ := json.Marshal(st)
		if r := w.do(t, "PUT", "/xapi/statements?statementId="+putID, v, auth, bytes.NewReader(b), nil); r.Status != 204 {
			t.Fatalf("PUT: %d %s", r.Status, r.Body)
		}
		r := w.do(t, "GET", "/xapi/statements?statementId="+putID, v, auth, nil, nil)
		var got map[string]any
		r.json(t, &got)
		au, _ := got["authority"].(map[string]any)
		acc, _ := au["account"].(map[string]any)
		if got["id"] != putID || acc["name"] == nil || got["stored"] == nil || got["timestamp"] != got["stored"] || got["version"] == nil {
			t.Fatalf("stored statement: %s", r.Body)
		}
		if r.Header.Get("Last-Modified") == "" || r.Header.Get("X-Experience-API-Consistent-Through") == "" {
			t.Errorf("headers: %v", r.Header)
		}
		// The same id again with the same content: 204, nothing changes; other content: 409.
		if r := w.do(t, "PUT", "/xapi/statements?statementId="+putID, v, auth, bytes.NewReader(b), nil); r.Status != 204 {
			t.Errorf("same PUT again: %d %s", r.Status, r.Body)
		}
		st["verb"] = map[string]any{"id": "http://adlnet.gov/expapi/verbs/experienced"}
		b2, _ := json.Marshal(st)
		if r := w.do(t, "PUT", "/xapi/statements?statementId="+putID, v, auth, bytes.NewReader(b2), nil); r.Status != 409 {
			t.Errorf("same id, other content: %d %s", r.Status, r.Body)
		}
		if r := w.do(t, "PUT", "/xapi/statements", v, auth, bytes.NewReader(b), nil); r.Status != 400 {
			t.Errorf("PUT without statementId: %d", r.Status)
		}
	})
	t.Run("Communication§2.1.2 POST single and batch answer 200 with the ids; a batch repeating an id is 400", func(t *testing.T) {
		r := w.post(t, v, auth, stmt(mbox, "http://adlnet.gov/expapi/verbs/experienced", act))
		var ids []string
		r.json(t, &ids)
		if r.Status != 200 || len(ids) != 1 {
			t.Fatalf("POST single: %d %s", r.Status, r.Body)
		}
		batch := []any{stmt(mbox, attempted, act+"/m1"), stmt(mbox, attempted, act+"/m2"), stmt(mbox, attempted, act+"/m3")}
		r = w.post(t, v, auth, batch)
		r.json(t, &ids)
		if r.Status != 200 || len(ids) != 3 {
			t.Fatalf("POST batch: %d %s", r.Status, r.Body)
		}
		id := newID()
		a, b := stmt(mbox, attempted, act), stmt(mbox, attempted, act)
		a["id"], b["id"] = id, id
		before := w.count(t, "xapi_statements")
		if r := w.post(t, v, auth, []any{a, b}); r.Status != 400 || !strings.Contains(r.Body, "repeats the id") {
			t.Errorf("repeated id: %d %s", r.Status, r.Body)
		}
		if w.count(t, "xapi_statements") != before {
			t.Error("a refused batch stored statements")
		}
	})
	t.Run("Data§2.2 strict validation: one clear message per error, nothing stored", func(t *testing.T) {
		base := stmt(mbox, attempted, act)
		mod := func(f func(m map[string]any)) map[string]any { c := clone(base); f(c); return c }
		cases := []struct {
			name string
			st   any
			want string
		}{
			{"Data§2.4.2.1 an Agent has exactly one IFI", mod(func(m map[string]any) { m["actor"].(map[string]any)["openid"] = "http://openid.example.it/x" }), "exactly one"},
			{"Data§2.4.2.3 mbox is a mailto IRI", mod(func(m map[string]any) { m["actor"].(map[string]any)["mbox"] = "learner@example.it" }), "actor.mbox"},
			{"Data§2.4.2.3 mbox_sha1sum is hex SHA-1", mod(func(m map[string]any) {
				delete(m["actor"].(map[string]any), "mbox")
				m["actor"].(map[string]any)["mbox_sha1sum"] = "xyz"
			}), "actor.mbox_sha1sum"},
			{"Data§2.4.2.4 account needs homePage and name", mod(func(m map[string]any) {
				delete(m["actor"].(map[string]any), "mbox")
				m["actor"].(map[string]any)["account"] = map[string]any{"name": "42"}
			}), "actor.account.homePage: required"},
			{"Data§2.4.3 verb id is an IRI", mod(func(m map[string]any) { m["verb"] = map[string]any{"id": "completed"} }), "verb.id"},
			{"Data§2.4.3 verb display is a language map", mod(func(m map[string]any) { m["verb"].(map[string]any)["display"] = map[string]any{"not a tag!": "x"} }), "RFC 5646"},
			{"Data§2.4.4 object id is an IRI", mod(func(m map[string]any) { m["object"].(map[string]any)["id"] = "not an iri" }), "object.id"},
			{"Data§2.4.4.1 interaction components need their interactionType", mod(func(m map[string]any) {
				m["object"].(map[string]any)["definition"].(map[string]any)["choices"] = []any{map[string]any{"id": "a"}}
			}), "not allowed"},
			{"Data§2.4.4.3 a SubStatement cannot nest a SubStatement", mod(func(m map[string]any) {
				m["object"] = map[string]any{"objectType": "SubStatement", "actor": base["actor"], "verb": base["verb"],
					"object": map[string]any{"objectType": "SubStatement", "actor": base["actor"], "verb": base["verb"], "object": base["object"]}}
			}), "cannot contain a SubStatement"},
			{"Data§2.4.5 scaled score within -1..1", mod(func(m map[string]any) { m["result"] = map[string]any{"score": map[string]any{"scaled": 1.5}} }), "result.score.scaled"},
			{"Data§2.4.5 raw within min..max", mod(func(m map[string]any) {
				m["result"] = map[string]any{"score": map[string]any{"raw": 12, "min": 0, "max": 10}}
			}), "result.score.raw"},
			{"Data§2.4.5 duration is ISO 8601", mod(func(m map[string]any) { m["result"] = map[string]any{"duration": "25 minutes"} }), "result.duration"},
			{"Data§2.4.5 success is a boolean", mod(func(m map[string]any) { m["result"] = map[string]any{"success": "yes"} }), "result.success"},
			{"Data§2.4.6 registration is a UUID", mod(func(m map[string]any) { m["context"] = map[string]any{"registration": "1234"} }), "context.registration"},
			{"Data§2.4.6 revision only with an Activity object", mod(func(m map[string]any) {
				m["object"] = map[string]any{"objectType": "Agent", "mbox": "mailto:x@example.it"}
				m["context"] = map[string]any{"revision": "2"}
			}), "context.revision"},
			{"Data§2.4.7 timestamp is ISO 8601", mod(func(m map[string]any) { m["timestamp"] = "20/11/2026 09:15" }), "timestamp"},
			{"Data§2.4.1 id is a UUID", mod(func(m map[string]any) { m["id"] = "not-a-uuid" }), "id"},
			{"Data§2.2 extra properties are refused", mod(func(m map[string]any) { m["comment"] = "x" }), "comment: unknown property"},
			{"Data§2.2 extra properties in nested objects are refused", mod(func(m map[string]any) { m["verb"].(map[string]any)["label"] = "x" }), "verb.label: unknown property"},
			{"Data§2.2 wrong types", mod(func(m map[string]any) { m["actor"] = "learner" }), "actor: must be a JSON object"},
			{"Data§2.4.11 attachments need usageType, display, contentType, length, sha2", mod(func(m map[string]any) { m["attachments"] = []any{map[string]any{"usageType": "http://example.it/u"}} }), "required"},
			{"Communication§2.1.2 voiding needs a StatementRef", mod(func(m map[string]any) { m["verb"] = map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"} }), "StatementRef"},
		}
		before := w.count(t, "xapi_statements")
		for _, c := range cases {
			r := w.post(t, v, auth, c.st)
			if r.Status != 400 || !strings.Contains(r.Body, c.want) {
				t.Errorf("%s: %d %s (want 400 naming %q)", c.name, r.Status, r.Body, c.want)
			}
		}
		r := w.do(t, "POST", "/xapi/statements", v, auth, strings.NewReader(`{"actor": `), nil)
		if r.Status != 400 || !strings.Contains(r.Body, "malformed JSON") {
			t.Errorf("malformed JSON: %d %s", r.Status, r.Body)
		}
		if w.count(t, "xapi_statements") != before {
			t.Error("invalid statements were stored")
		}
	})
	t.Run("Communication§2.1.3 GET filters: agent, verb, activity, registration, related_*, since/until, ascending, limit and more", func(t *testing.T) {
		who := "filter" + tag + "@example.it"
		reg := newID()
		start := time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano)
		var sts []any
		for i := 0; i < 7; i++ {
			s := stmt(who, attempted, fmt.Sprintf("http://example.it/filter/%s/%d", tag, i))
			s["context"] = map[string]any{"registration": reg, "instructor": map[string]any{"mbox": "mailto:tutor" + tag + "@example.it"},
				"contextActivities": map[string]any{"grouping": []any{map[string]any{"id": "http://example.it/filter/" + tag}}}}
			sts = append(sts, s)
		}
		other := stmt(who, "http://adlnet.gov/expapi/verbs/experienced", "http://example.it/filter/"+tag+"/x")
		sts = append(sts, other)
		if r := w.post(t, v, auth, sts); r.Status != 200 {
			t.Fatal(r.Status, r.Body)
		}
		get := func(q string) (int, []map[string]any, string) {
			r := w.do(t, "GET", "/xapi/statements?"+q, v, auth, nil, nil)
			var sr struct {
				Statements []map[string]any
				More       string
			}
			r.json(t, &sr)
			if r.Status != 200 {
				t.Fatalf("GET %s: %d %s", q, r.Status, r.Body)
			}
			return len(sr.Statements), sr.Statements, sr.More
		}
		for _, c := range []struct {
			q    string
			want int
		}{
			{"agent=" + agentQ(who), 8},
			{"agent=" + agentQ(who) + "&verb=" + url.QueryEscape(attempted), 7},
			{"activity=" + url.QueryEscape("http://example.it/filter/"+tag+"/3"), 1},
			{"activity=" + url.QueryEscape("http://example.it/filter/"+tag), 0},
			{"activity=" + url.QueryEscape("http://example.it/filter/"+tag) + "&related_activities=true", 7},
			{"registration=" + reg, 7},
			{"agent=" + agentQ("tutor"+tag+"@example.it"), 0},
			{"agent=" + agentQ("tutor"+tag+"@example.it") + "&related_agents=true", 7},
			{"agent=" + agentQ(who) + "&since=" + url.QueryEscape(start), 8},
			{"agent=" + agentQ(who) + "&until=" + url.QueryEscape(start), 0},
		} {
			if n, _, _ := get(c.q); n != c.want {
				t.Errorf("%s: %d statements, want %d", c.q, n, c.want)
			}
		}
		// limit and more: every statement once, newest first; ascending reverses.
		seen := map[string]bool{}
		n, page, more := get("agent=" + agentQ(who) + "&limit=3")
		pages := 1
		for _, s := range page {
			seen[s["id"].(string)] = true
		}
		for more != "" {
			r := w.do(t, "GET", strings.TrimPrefix(more, ""), v, auth, nil, nil)
			var sr struct {
				Statements []map[string]any
				More       string
			}
			r.json(t, &sr)
			for _, s := range sr.Statements {
				if seen[s["id"].(string)] {
					t.Errorf("more repeats %s", s["id"])
				}
				seen[s["id"].(string)] = true
			}
			n += len(sr.Statements)
			more = sr.More
			pages++
		}
		if n != 8 || pages != 3 {
			t.Errorf("limit 3 with more: %d statements over %d pages, want 8 over 3", n, pages)
		}
		_, desc, _ := get("agent=" + agentQ(who))
		_, asc, _ := get("agent=" + agentQ(who) + "&ascending=true")
		if desc[0]["id"] != asc[len(asc)-1]["id"] {
			t.Errorf("ascending is not the reverse order")
		}
		// format=ids keeps only identifiers; canonical keeps one language.
		_, ids, _ := get("agent=" + agentQ(who) + "&limit=1&format=ids")
		if _, has := ids[0]["actor"].(map[string]any)["name"]; has {
			t.Errorf("format=ids kept the actor's name: %v", ids[0]["actor"])
		}
		if _, has := ids[0]["object"].(map[string]any)["definition"]; has {
			t.Errorf("format=ids kept the definition")
		}
		r := w.do(t, "GET", "/xapi/statements?limit=1&format=canonical&agent="+agentQ(who), v, auth, nil, http.Header{"Accept-Language": {"it-IT"}})
		if !strings.Contains(r.Body, "ha provato") || strings.Contains(r.Body, "attempted\"") {
			t.Errorf("canonical in Italian: %s", r.Body)
		}
		// Consistent-Through on every GET, including 400s; statementId with other filters is 400.
		r = w.do(t, "GET", "/xapi/statements?statementId="+newID()+"&verb="+url.QueryEscape(attempted), v, auth, nil, nil)
		if r.Status != 400 || r.Header.Get("X-Experience-API-Consistent-Through") == "" {
			t.Errorf("statementId with verb: %d, consistent-through %q", r.Status, r.Header.Get("X-Experience-API-Consistent-Through"))
		}
		if r := w.do(t, "GET", "/xapi/statements?colour=blue", v, auth, nil, nil); r.Status != 400 {
			t.Errorf("unknown parameter: %d", r.Status)
		}
		if r := w.do(t, "HEAD", "/xapi/statements?limit=1", v, auth, nil, nil); r.Status != 200 || r.Body != "" {
			t.Errorf("HEAD: %d %q", r.Status, r.Body)
		}
	})
	t.Run("Communication§2.1.4 voiding hides the target except by voidedStatementId; a voiding statement cannot be voided", func(t *testing.T) {
		target := newID()
		st := stmt(mbox, attempted, act+"/void")
		st["id"] = target
		if r := w.post(t, v, auth, st); r.Status != 200 {
			t.Fatal(r.Status, r.Body)
		}
		voidID := newID()
		void := map[string]any{"id": voidID, "actor": st["actor"], "verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"},
			"object": map[string]any{"objectType": "StatementRef", "id": target}}
		if r := w.post(t, v, auth, void); r.Status != 200 {
			t.Fatal(r.Status, r.Body)
		}
		if r := w.do(t, "GET", "/xapi/statements?statementId="+target, v, auth, nil, nil); r.Status != 404 {
			t.Errorf("voided by statementId: %d", r.Status)
		}
		if r := w.do(t, "GET", "/xapi/statements?voidedStatementId="+target, v, auth, nil, nil); r.Status != 200 {
			t.Errorf("voided by voidedStatementId: %d", r.Status)
		}
		r := w.do(t, "GET", "/xapi/statements?activity="+url.QueryEscape(act+"/void"), v, auth, nil, nil)
		if strings.Contains(r.Body, target+`","object`) || strings.Contains(r.Body, `"id":"`+target+`","stored`) {
			t.Errorf("the query shows the voided statement: %s", r.Body)
		}
		if !strings.Contains(w.do(t, "GET", "/xapi/statements?agent="+agentQ(mbox), v, auth, nil, nil).Body, voidID) {
			t.Errorf("the voiding statement is not returned")
		}
		vv := map[string]any{"actor": st["actor"], "verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"}, "object": map[string]any{"objectType": "StatementRef", "id": voidID}}
		if r := w.post(t, v, auth, vv); r.Status != 400 || !strings.Contains(r.Body, "cannot be voided") {
			t.Errorf("voiding a voiding statement: %d %s", r.Status, r.Body)
		}
	})
	t.Run("Communication§2.1.2 attachments: multipart/mixed with SHA-2, stored once, returned with attachments=true; a wrong hash is 400", func(t *testing.T) {
		content := []byte("Attestato del corso FAD " + tag + " — contenuto binario \x00\x01")
		sum := sha256.Sum256(content)
		h := hex.EncodeToString(sum[:])
		mk := func(id string, hash string, extra bool) (string, []byte) {
			st := stmt(mbox, attempted, act+"/att")
			st["id"] = id
			st["attachments"] = []any{map[string]any{"usageType": "http://id.tincanapi.com/attachment/certificate-of-completion", "display": map[string]any{"it-IT": "Attestato"},
				"contentType": "application/octet-stream", "length": len(content), "sha2": h}}
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			jh := textproto.MIMEHeader{"Content-Type": {"application/json"}}
			pw, _ := mw.CreatePart(jh)
			json.NewEncoder(pw).Encode(st)
			ah := textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}, "Content-Transfer-Encoding": {"binary"}, "X-Experience-API-Hash": {hash}}
			pw, _ = mw.CreatePart(ah)
			pw.Write(content)
			if extra {
				other := []byte("altro")
				s := sha256.Sum256(other)
				pw, _ = mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain"}, "X-Experience-API-Hash": {hex.EncodeToString(s[:])}})
				pw.Write(other)
			}
			mw.Close()
			return "multipart/mixed; boundary=" + mw.Boundary(), buf.Bytes()
		}
		before := w.count(t, "xapi_attachments")
		id1, id2 := newID(), newID()
		for _, id := range []string{id1, id2} {
			ct, body := mk(id, h, false)
			if r := w.do(t, "POST", "/xapi/statements", v, auth, bytes.NewReader(body), http.Header{"Content-Type": {ct}}); r.Status != 200 {
				t.Fatalf("multipart POST: %d %s", r.Status, r.Body)
			}
		}
		if n := w.count(t, "xapi_attachments") - before; n > 1 {
			t.Errorf("the same attachment stored %d times", n)
		}
		r := w.do(t, "GET", "/xapi/statements?attachments=true&statementId="+id1, v, auth, nil, nil)
		mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if r.Status != 200 || mt != "multipart/mixed" {
			t.Fatalf("GET attachments=true: %d %s", r.Status, r.Header.Get("Content-Type"))
		}
		mr := multipart.NewReader(strings.NewReader(r.Body), mp["boundary"])
		mr.NextPart()
		p, err := mr.NextPart()
		if err != nil || p.Header.Get("X-Experience-API-Hash") != h {
			t.Fatalf("attachment part: %v %v", err, p)
		}
		got, _ := io.ReadAll(p)
		if !bytes.Equal(got, content) {
			t.Errorf("attachment content differs")
		}
		n0 := w.count(t, "xapi_statements")
		wrong := strings.Repeat("a", 64)
		ct, body := mk(newID(), wrong, false)
		if r := w.do(t, "POST", "/xapi/statements", v, auth, bytes.NewReader(body), http.Header{"Content-Type": {ct}}); r.Status != 400 || !strings.Contains(r.Body, "does not match") {
			t.Errorf("wrong hash: %d %s", r.Status, r.Body)
		}
		ct, body = mk(newID(), h, true)
		if r := w.do(t, "POST", "/xapi/statements", v, auth, bytes.NewReader(body), http.Header{"Content-Type": {ct}}); r.Status != 400 {
			t.Errorf("extra part: %d %s", r.Status, r.Body)
		}
		ct, body = mk(newID(), h, false)
		if r := w.do(t, "POST", "/xapi/statements", v, auth, bytes.NewReader(body), http.Header{"Content-Type": {strings.Replace(ct, "mixed", "form-data", 1)}}); r.Status != 400 {
			t.Errorf("multipart/form-data: %d %s", r.Status, r.Body)
		}
		st := stmt(mbox, attempted, act+"/att")
		st["attachments"] = []any{map[string]any{"usageType": "http://example.it/u", "display": map[string]any{"it": "x"}, "contentType": "text/plain", "length": 3, "sha2": h}}
		if r := w.post(t, v, auth, st); r.Status != 400 || !strings.Contains(r.Body, "no part") {
			t.Errorf("attachment without its part: %d %s", r.Status, r.Body)
		}
		if w.count(t, "xapi_statements") != n0 {
			t.Error("refused attachments stored statements")
		}
	})
	t.Run("Data§2.6 signed statements: JWS RS256/384/512 whose payload matches the statement, else 400 and nothing stored", func(t *testing.T) {
		signedStatementsSuite(t, w, v, auth, mbox, attempted, act)
	})
	t.Run("Communication§2.3 state: PUT, GET with ETag, POST merges JSON, list with since, delete all", func(t *testing.T) {
		q := "/xapi/activities/state?activityId=" + url.QueryEscape(act) + "&agent=" + agentQ(mbox)
		if r := w.do(t, "PUT", q+"&stateId=bookmark", v, auth, strings.NewReader(`{"page":3}`), nil); r.Status != 204 {
			t.Fatalf("PUT state: %d %s", r.Status, r.Body)
		}
		r := w.do(t, "GET", q+"&stateId=bookmark", v, auth, nil, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("ETag"), `"`) || !strings.Contains(r.Body, `"page":3`) {
			t.Fatalf("GET state: %d %v %s", r.Status, r.Header.Get("ETag"), r.Body)
		}
		if r := w.do(t, "POST", q+"&stateId=bookmark", v, auth, strings.NewReader(`{"score":7}`), nil); r.Status != 204 {
			t.Fatalf("POST merge: %d %s", r.Status, r.Body)
		}
		r = w.do(t, "GET", q+"&stateId=bookmark", v, auth, nil, nil)
		if !strings.Contains(r.Body, `"page":3`) || !strings.Contains(r.Body, `"score":7`) {
			t.Errorf("merged: %s", r.Body)
		}
		if r := w.do(t, "POST", q+"&stateId=bookmark", v, auth, strings.NewReader(`[1,2]`), nil); r.Status != 400 {
			t.Errorf("merge an array: %d", r.Status)
		}
		w.do(t, "PUT", q+"&stateId=notes", v, auth, strings.NewReader("testo"), http.Header{"Content-Type": {"text/plain"}})
		var ids []string
		w.do(t, "GET", q, v, auth, nil, nil).json(t, &ids)
		if strings.Join(ids, ",") != "bookmark,notes" {
			t.Errorf("state ids: %v", ids)
		}
		if r := w.do(t, "DELETE", q, v, auth, nil, nil); r.Status != 204 {
			t.Errorf("delete all: %d", r.Status)
		}
		w.do(t, "GET", q, v, auth, nil, nil).json(t, &ids)
		if len(ids) != 0 {
			t.Errorf("after delete: %v", ids)
		}
		if r := w.do(t, "GET", "/xapi/activities/state?activityId=not-an-iri&agent="+agentQ(mbox), v, auth, nil, nil); r.Status != 400 {
			t.Errorf("bad activityId: %d", r.Status)
		}
	})
	t.Run("Communication§3.1 concurrency on profiles: 409 without headers on an existing document, 412 on a wrong ETag, 428 for 2.0.0 POST without headers", func(t *testing.T) {
		for _, base := range []string{"/xapi/activities/profile?activityId=" + url.QueryEscape(act), "/xapi/agents/profile?agent=" + agentQ(mbox)} {
			q := base + "&profileId=prefs" + tag
			if r := w.do(t, "PUT", q, v, auth, strings.NewReader(`{"lang":"it"}`), http.Header{"If-None-Match": {"*"}}); r.Status != 204 {
				t.Fatalf("create %s: %d %s", q, r.Status, r.Body)
			}
			etag := w.do(t, "GET", q, v, auth, nil, nil).Header.Get("ETag")
			if r := w.do(t, "PUT", q, v, auth, strings.NewReader(`{"lang":"en"}`), nil); r.Status != 409 {
				t.Errorf("%s PUT without headers: %d", q, r.Status)
			}
			if r := w.do(t, "PUT", q, v, auth, strings.NewReader(`{"lang":"en"}`), http.Header{"If-Match": {`"0000"`}}); r.Status != 412 {
				t.Errorf("%s wrong If-Match: %d", q, r.Status)
			}
			if r := w.do(t, "PUT", q, v, auth, strings.NewReader(`{"lang":"en"}`), http.Header{"If-None-Match": {"*"}}); r.Status != 412 {
				t.Errorf("%s If-None-Match * on existing: %d", q, r.Status)
			}
			wantPost := 204
			if v == "2.0.0" {
				wantPost = 428
			}
			if r := w.do(t, "POST", q, v, auth, strings.NewReader(`{"x":1}`), nil); r.Status != wantPost {
				t.Errorf("%s POST without headers: %d, want %d", q, r.Status, wantPost)
			}
			etag = w.do(t, "GET", q, v, auth, nil, nil).Header.Get("ETag")
			if r := w.do(t, "PUT", q, v, auth, strings.NewReader(`{"lang":"en"}`), http.Header{"If-Match": {etag}}); r.Status != 204 {
				t.Errorf("%s right If-Match: %d %s", q, r.Status, r.Body)
			}
			if r := w.do(t, "DELETE", q, v, auth, nil, http.Header{"If-Match": {etag}}); r.Status != 412 {
				t.Errorf("%s DELETE with a stale ETag: %d", q, r.Status)
			}
			etag = w.do(t, "GET", q, v, auth, nil, nil).Header.Get("ETag")
			if r := w.do(t, "DELETE", q, v, auth, nil, http.Header{"If-Match": {etag}}); r.Status != 204 {
				t.Errorf("%s DELETE: %d", q, r.Status)
			}
			if r := w.do(t, "GET", q, v, auth, nil, nil); r.Status != 404 {
				t.Errorf("%s after DELETE: %d", q, r.Status)
			}
		}
	})
	t.Run("Communication§2.4 agents returns a Person with arrays; §2.5 activities returns the definition", func(t *testing.T) {
		r := w.do(t, "GET", "/xapi/agents?agent="+url.QueryEscape(`{"name":"Tester","mbox":"mailto:`+mbox+`"}`), v, auth, nil, nil)
		var p map[string]any
		r.json(t, &p)
		if p["objectType"] != "Person" || fmt.Sprint(p["mbox"]) != "[mailto:"+mbox+"]" || fmt.Sprint(p["name"]) != "[Tester]" {
			t.Errorf("person: %s", r.Body)
		}
		r = w.do(t, "GET", "/xapi/activities?activityId="+url.QueryEscape(act), v, auth, nil, nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"Corso"`) {
			t.Errorf("activity: %d %s", r.Status, r.Body)
		}
		if r := w.do(t, "GET", "/xapi/activities?activityId="+url.QueryEscape("http://example.it/never"), v, auth, nil, nil); r.Status != 404 {
			t.Errorf("unknown activity: %d", r.Status)
		}
	})
	_ = putID
}

func mustB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var _ = os.Getenv
