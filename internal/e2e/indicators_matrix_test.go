package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
)

// TestIndicatorsMatrix drives every indicators page and endpoint as each demo role: who gets
// in, what a forged region answers, what the imports accept per scope, and that the training
// figures of another region never reach a regional or organisation user.
func TestIndicatorsMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		clients := demoClients(env)
		type want map[string]int
		viewers := func(extra want) want {
			m := want{"national": 200, "regional": 200, "organisation": 200, "analyst": 200, "provider": 403, "professional": 403}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		everyone := want{"national": 200, "regional": 200, "organisation": 200, "analyst": 200, "provider": 200, "professional": 200}
		importers := want{"national": 200, "regional": 200, "organisation": 403, "analyst": 403, "provider": 403, "professional": 403}
		cases := []struct {
			path string
			want want
			api  bool
		}{
			{"/indicators", viewers(nil), false},
			{"/indicators?region=90&period=2025-Q2&before=2024-Q2&x=tm_pazienti&y=level:D3.A2", viewers(nil), false},
			{"/indicators?region=50", viewers(want{"regional": 404, "organisation": 404}), false},
			{"/indicators?region=abc", viewers(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), false},
			{"/indicators?period=2025-Q9", viewers(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), false},
			{"/indicators?y=nonsense", viewers(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), false},
			{"/indicators/import", importers, false},
			{"/indicators/template.csv", everyone, false},
			{"/api/v1/indicators/catalogue", everyone, true},
			{"/api/v1/indicators/values?region=50&period=2025-Q1", everyone, true},
			{"/api/v1/indicators/values?indicator=boh", want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422, "provider": 422, "professional": 422}, true},
			{"/api/v1/indicators/template.csv", everyone, true},
			{"/api/v1/indicators/view?region=90", viewers(nil), true},
			{"/api/v1/indicators/view?region=50&period=2025-Q1", viewers(want{"regional": 404, "organisation": 404}), true},
			{"/api/v1/indicators/correlation?x=fse_consenso&y=assessed&period=2026-Q1", viewers(nil), true},
			{"/api/v1/indicators/correlation?x=boh", viewers(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), true},
		}
		for _, tc := range cases {
			for role, c := range clients {
				r := c.Get(tc.path)
				exp := tc.want[role]
				if role == "anonymous" {
					exp = 401
					if !tc.api {
						exp = 303
					}
				}
				if r.Status != exp && !(role == "anonymous" && (r.Status == 302 || r.Status == 401 || r.Status == 200 && strings.Contains(r.Body, "password"))) {
					t.Errorf("%s as %s: %d, want %d", tc.path, role, r.Status, exp)
				}
				if (role == "regional" || role == "organisation") && r.Status == 200 && !strings.Contains(tc.path, "values") && !strings.Contains(tc.path, "catalogue") &&
					strings.Contains(r.Body, "Veneto") {
					t.Errorf("%s as %s: the response names Veneto", tc.path, role)
				}
			}
		}
		// Imports through the API: national anywhere, a regional referent in their region only
		// (another region's row refuses the whole file), others not at all.
		own := "indicatore;regione;periodo;valore;fonte\nfse_consenso;090;2026-Q3;77,7;matrix-test\n"
		other := "indicatore;regione;periodo;valore;fonte\nfse_consenso;090;2026-Q3;77,8;matrix-test\nfse_consenso;050;2026-Q3;61;matrix-test\n"
		csvHeader := http.Header{"Content-Type": {"text/csv"}}
		for role, c := range clients {
			r := c.Do("POST", "/api/v1/indicators/import?dry_run=1", strings.NewReader(own), csvHeader)
			exp := importers[role]
			if role == "anonymous" {
				exp = 401
			}
			if r.Status != exp {
				t.Errorf("import own region as %s: %d, want %d (%s)", role, r.Status, exp, r.Body)
			}
		}
		r := clients["regional"].Do("POST", "/api/v1/indicators/import", strings.NewReader(other), csvHeader)
		if r.Status != 422 || !strings.Contains(r.Body, "ambito") && !strings.Contains(r.Body, "scope") || !strings.Contains(r.Body, `"line":3`) {
			t.Errorf("regional import of another region: %d %s", r.Status, r.Body)
		}
		var n int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM indicator_values WHERE source = 'matrix-test'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("refused or dry-run imports wrote %d values (%v)", n, err)
		}
		r = clients["national"].Do("POST", "/api/v1/indicators/import", strings.NewReader(other), csvHeader)
		var res struct {
			Updated  int `json:"updated"`
			Replaced []struct {
				Old, New float64
			} `json:"replaced"`
		}
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &res) != nil || res.Updated != 2 || len(res.Replaced) != 2 {
			t.Errorf("national import: %d %s", r.Status, r.Body)
		}
		// The view of a regional referent carries their region's training, counted by monitor.
		var v struct {
			RegionID int64 `json:"region_id"`
			Training []struct {
				Now struct {
					Key    string `json:"key"`
					Pop    int64  `json:"population"`
					Hidden bool   `json:"suppressed"`
				} `json:"now"`
			} `json:"training"`
			Adoption []struct {
				Value *struct {
					Synthetic bool `json:"synthetic"`
				} `json:"value"`
			} `json:"adoption"`
		}
		clients["regional"].Get("/api/v1/indicators/view?period=2026-Q2").JSON(t, &v)
		if v.RegionID != 90 || len(v.Training) == 0 || v.Training[0].Now.Key != "assessed" || v.Training[0].Now.Pop < 300 || len(v.Adoption) == 0 || v.Adoption[0].Value == nil || !v.Adoption[0].Value.Synthetic {
			t.Errorf("regional view: %+v", v)
		}
		// An organisation training office gets its own organisation's figures, the same as the
		// monitor's for that organisation, fewer people than the region's.
		regionalPop := v.Training[0].Now.Pop
		var ov struct {
			Own      bool `json:"own_organisation"`
			Training []struct {
				Now struct {
					Pop int64 `json:"population"`
				} `json:"now"`
			} `json:"training"`
		}
		clients["organisation"].Get("/api/v1/indicators/view?period=2026-Q2").JSON(t, &ov)
		var mt struct {
			Total struct {
				Pop int64 `json:"population"`
			} `json:"total"`
		}
		clients["organisation"].Get("/api/v1/monitor/table?by=profession&ind=assessed&period=2026").JSON(t, &mt)
		if !ov.Own || len(ov.Training) == 0 || ov.Training[0].Now.Pop == 0 || ov.Training[0].Now.Pop != mt.Total.Pop || ov.Training[0].Now.Pop >= regionalPop {
			t.Errorf("organisation view: %+v (monitor %d, region %d)", ov, mt.Total.Pop, regionalPop)
		}
		// The correlation: scoped (no points) below national level; national sees the regions
		// with a visible training figure (the demo has Toscana only, so n = 1 and no r).
		var corr struct {
			Scoped bool              `json:"scoped"`
			Points []json.RawMessage `json:"points"`
			N      int               `json:"n"`
			Note   string            `json:"note"`
		}
		clients["regional"].Get("/api/v1/indicators/correlation?period=2026-Q2").JSON(t, &corr)
		if !corr.Scoped || len(corr.Points) != 0 {
			t.Errorf("regional correlation: %+v", corr)
		}
		corr.Scoped, corr.Points = false, nil
		clients["national"].Get("/api/v1/indicators/correlation?period=2026-Q2&lang=en").JSON(t, &corr)
		if corr.Scoped || corr.N != 1 || !strings.Contains(strings.ToLower(corr.Note), "caus") {
			t.Errorf("national correlation on the demo: %+v", corr)
		}
		// The monitor dashboard links to the view.
		if page := clients["national"].Get("/monitor"); !strings.Contains(page.Body, `href="/indicators"`) {
			t.Error("the monitor dashboard does not link to /indicators")
		}
		// The OpenAPI document lists the endpoints.
		doc := clients["national"].Get("/api/v1/openapi.json")
		for _, p := range []string{"/api/v1/indicators/import", "/api/v1/indicators/view", "/api/v1/indicators/correlation", "/api/v1/indicators/values", "/api/v1/indicators/catalogue"} {
			if !strings.Contains(doc.Body, `"`+p+`"`) {
				t.Errorf("OpenAPI lacks %s", p)
			}
		}
	})
}
