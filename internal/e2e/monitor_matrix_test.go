package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/registry"
)

// TestMonitorMatrix drives every monitoring page and endpoint as each demo role: who gets in,
// what a forged drill-down to another scope answers, and that nothing of the other scope is in
// the response.
func TestMonitorMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		ctx := env.Sys()
		w, err := registry.DemoIDs(ctx, env.M.DB)
		if err != nil {
			t.Fatal(err)
		}
		var otherASL, venetoASL int64
		for _, id := range w.ASLIDs {
			if id != w.ASLID {
				otherASL = id
			}
		}
		var venetoName string
		if err := env.M.DB.Read.QueryRow(`SELECT id, name FROM organisations WHERE region_id = 50 AND kind = 'asl' ORDER BY id LIMIT 1`).Scan(&venetoASL, &venetoName); err != nil {
			t.Fatal(err)
		}
		clients := demoClients(env)
		type want map[string]int
		ok := func(extra want) want {
			m := want{"national": 200, "regional": 200, "organisation": 200, "analyst": 200, "provider": 403, "professional": 403}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		cases := []struct {
			path string
			want want
			api  bool
		}{
			{"/monitor", ok(nil), false},
			{"/monitor?ind=level", ok(nil), false},
			{"/monitor?region=90&ind=persona", ok(nil), false}, // an organisation sees its own figures in its region
			{fmt.Sprintf("/monitor?org=%d", w.ASLID), ok(nil), false},
			{fmt.Sprintf("/monitor?org=%d", otherASL), ok(want{"organisation": 404}), false},
			{"/monitor?region=50", ok(want{"regional": 404, "organisation": 404}), false},
			{fmt.Sprintf("/monitor?org=%d", venetoASL), ok(want{"regional": 404, "organisation": 404}), false},
			{"/monitor?region=abc", ok(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), false},
			{"/monitor/export.csv?table=main", ok(nil), false},
			{"/monitor/export.csv?table=heatmap&region=50", ok(want{"regional": 404, "organisation": 404}), false},
			{"/api/v1/monitor/table?by=region", ok(want{"organisation": 403}), true},
			{"/api/v1/monitor/table?by=organisation&region=90", ok(want{"organisation": 403}), true},
			{"/api/v1/monitor/table?by=profession&region=50", ok(want{"regional": 404, "organisation": 404}), true},
			{"/api/v1/monitor/heatmap", ok(nil), true},
			{"/api/v1/monitor/lines", ok(nil), true},
			{"/api/v1/monitor/options", ok(nil), true},
			{"/api/v1/monitor/status", ok(nil), true},
			{"/api/v1/monitor/export.csv?table=persona", ok(nil), true},
		}
		for _, tc := range cases {
			for role, c := range clients {
				r := c.Get(tc.path)
				exp := tc.want[role]
				if role == "anonymous" {
					exp = 401
					if !tc.api {
						exp = 303 // to the login page
					}
				}
				if r.Status != exp && !(role == "anonymous" && (r.Status == 302 || r.Status == 401 || r.Status == 200 && strings.Contains(r.Body, "password"))) {
					t.Errorf("%s as %s: %d, want %d", tc.path, role, r.Status, exp)
				}
				if role == "regional" || role == "organisation" {
					if strings.Contains(r.Body, venetoName) {
						t.Errorf("%s as %s: the response names %s", tc.path, role, venetoName)
					}
				}
			}
		}
		// Rebuild: national governance only.
		for role, c := range clients {
			r := c.SendJSON("POST", "/api/v1/monitor/rebuild", map[string]any{})
			exp := 403
			switch role {
			case "national":
				exp = 200
			case "anonymous":
				exp = 401
			}
			if r.Status != exp {
				t.Errorf("rebuild as %s: %d, want %d (%s)", role, r.Status, exp, r.Body)
			}
		}
		// The national dashboard shows the map with its credit and a link per region; the demo
		// world has data in Toscana.
		page := clients["national"].Get("/monitor")
		for _, s := range []string{"ISTAT, Openpolis", `data-code="09"`, `data-code="021"`, `data-code="022"`, `href="/monitor?ind=assessed&amp;region=90"`, "monitor-main", "monitor-heat"} {
			if !strings.Contains(page.Body, s) {
				t.Errorf("national dashboard lacks %q", s)
			}
		}
		// The demo world is counted: Toscana's organisations, with small ones suppressed.
		var tb struct {
			Total struct {
				Pop    int64 `json:"population"`
				Hidden bool  `json:"suppressed"`
			} `json:"total"`
			Rows []struct {
				Label  string `json:"label"`
				Pop    int64  `json:"population"`
				Hidden bool   `json:"suppressed"`
				Text   string `json:"text"`
			} `json:"rows"`
		}
		clients["regional"].Get("/api/v1/monitor/table?by=organisation&ind=persona").JSON(t, &tb)
		hidden := 0
		for _, r := range tb.Rows {
			if r.Hidden {
				hidden++
			}
		}
		if tb.Total.Hidden || tb.Total.Pop < 300 || len(tb.Rows) < 2 {
			t.Fatalf("Toscana by organisation: %+v", tb)
		}
		t.Logf("Toscana: %d professionals, %d organisations, %d suppressed: %+v", tb.Total.Pop, len(tb.Rows), hidden, tb.Rows)
		// Kept current: a professional added through the registry is counted by the background
		// refresher (started by the first monitoring request) within seconds.
		before := tb.Total.Pop
		if _, err := env.M.Registry.CreateProfessional(ctx, registry.ProfessionalInput{CF: "RSSMRA80A01D612Y", FamilyName: "Rossi", GivenName: "Mario",
			Professions: []registry.Pair{{Profession: 3, Discipline: 66}}, RegionID: 90, Employment: "dipendente", CareSetting: "ospedale"}); err != nil {
			t.Fatalf("create a professional: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			clients["regional"].Get("/api/v1/monitor/table?by=organisation&ind=persona").JSON(t, &tb)
			if tb.Total.Pop == before+1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if tb.Total.Pop != before+1 {
			t.Errorf("after adding a professional Toscana counts %d, want %d", tb.Total.Pop, before+1)
		}
		csv := clients["regional"].Get("/monitor/export.csv?table=main")
		if !strings.HasPrefix(csv.Body, "\ufeff") || !strings.Contains(csv.Body, ";") {
			t.Errorf("CSV without BOM or ';': %.80q", csv.Body)
		}
	})
}
