package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/registry"
)

// TestGovernanceMatrix drives every governance page and endpoint as each demo role: who gets
// in, a regional referent forging another region's target or approving a national phase, a
// forged drill-down to another scope, and that nothing of another scope is in the responses.
func TestGovernanceMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		ctx := env.Sys()
		w, err := registry.DemoIDs(ctx, env.M.DB)
		if err != nil {
			t.Fatal(err)
		}
		var venetoASL int64
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM organisations WHERE region_id = 50 AND kind = 'asl' ORDER BY id LIMIT 1`).Scan(&venetoASL); err != nil {
			t.Fatal(err)
		}
		var tosc, persona int64
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM governance_targets WHERE parent_id IS NULL AND region_id = 90`).Scan(&tosc); err != nil {
			t.Fatalf("demo target: %v", err)
		}
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM governance_targets WHERE measure = 'persona'`).Scan(&persona); err != nil {
			t.Fatal(err)
		}
		// A Veneto target (national), which Toscana's users must never see.
		const venetoTitle = "Veneto-only target XYZ"
		nat := env.Client().Login("demo.nazionale", "esd-demo-nazionale")
		r := nat.SendJSON("POST", "/api/v1/governance/targets", map[string]any{"title": venetoTitle, "region_id": 50, "measure": "assessed", "threshold": 40, "deadline": "2027-06-30"})
		if r.Status != 201 {
			t.Fatalf("national sets a Veneto target: %d %s", r.Status, r.Body)
		}
		var veneto struct {
			ID int64 `json:"id"`
		}
		r.JSON(t, &veneto)

		clients := demoClients(env)
		clients["national"] = nat // the session that set the world up
		type want map[string]int
		ok := func(extra want) want {
			m := want{"national": 200, "regional": 200, "organisation": 200, "analyst": 200, "provider": 403, "professional": 403}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		all := want{"national": 200, "regional": 200, "organisation": 200, "analyst": 200, "provider": 200, "professional": 200}
		cases := []struct {
			path string
			want want
			api  bool
		}{
			{"/governance", ok(nil), false},
			{"/governance/targets", ok(nil), false},
			{fmt.Sprintf("/governance/targets/%d", tosc), ok(nil), false},
			{fmt.Sprintf("/governance/targets/%d?region=90", tosc), ok(nil), false},
			{fmt.Sprintf("/governance/targets/%d?region=50", persona), ok(want{"regional": 404, "organisation": 404}), false},
			{fmt.Sprintf("/governance/targets/%d?org=%d", persona, venetoASL), ok(want{"regional": 404, "organisation": 404}), false},
			{fmt.Sprintf("/governance/targets/%d?org=%d", persona, w.ASLID), ok(nil), false},
			{fmt.Sprintf("/governance/targets/%d", veneto.ID), ok(want{"regional": 404, "organisation": 404}), false},
			{fmt.Sprintf("/governance/targets/%d?region=x", tosc), ok(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), false},
			{"/governance/targets/999999", ok(want{"national": 404, "regional": 404, "organisation": 404, "analyst": 404}), false},
			{"/notifications", all, false},
			{"/api/v1/governance/cycle", ok(nil), true},
			{"/api/v1/governance/targets", ok(nil), true},
			{fmt.Sprintf("/api/v1/governance/targets/%d", tosc), ok(nil), true},
			{fmt.Sprintf("/api/v1/governance/targets/%d?region=50", persona), ok(want{"regional": 404, "organisation": 404}), true},
			{fmt.Sprintf("/api/v1/governance/targets/%d", veneto.ID), ok(want{"regional": 404, "organisation": 404}), true},
			{"/api/v1/notifications", all, true},
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
				if (role == "regional" || role == "organisation") && strings.Contains(r.Body, venetoTitle) {
					t.Errorf("%s as %s: the response shows the Veneto target", tc.path, role)
				}
			}
		}
		// Writes: who may approve what, and set or refine which target.
		post := func(role, path string, body map[string]any) int {
			return clients[role].SendJSON("POST", path, body).Status
		}
		if s := post("regional", "/api/v1/governance/approvals", map[string]any{"region_id": 0, "note": "forged national approval"}); s != 403 {
			t.Errorf("regional approves a national phase: %d, want 403", s)
		}
		if s := post("regional", "/api/v1/governance/approvals", map[string]any{"region_id": 50, "note": "forged Veneto approval"}); s != 403 {
			t.Errorf("regional approves Veneto's phase: %d, want 403", s)
		}
		for _, role := range []string{"organisation", "provider", "professional", "analyst"} {
			if s := post(role, "/api/v1/governance/approvals", map[string]any{"region_id": 90, "note": "not mine"}); s != 403 {
				t.Errorf("%s approves: %d, want 403", role, s)
			}
		}
		// Toscana is in Pianificazione like the nation: it cannot move ahead.
		if s := post("regional", "/api/v1/governance/approvals", map[string]any{"region_id": 90, "phase": "pianificazione", "note": "piano regionale"}); s != 409 {
			t.Errorf("regional moves ahead of the nation: %d, want 409", s)
		}
		if s := post("regional", "/api/v1/governance/targets", map[string]any{"parent_id": veneto.ID, "title": "x", "threshold": 50}); s != 422 {
			t.Errorf("regional refines a Veneto target it cannot see: %d, want 422", s)
		}
		if s := post("regional", "/api/v1/governance/targets", map[string]any{"parent_id": persona, "region_id": 50, "title": "x", "threshold": 90}); s != 403 {
			t.Errorf("regional sets a target for Veneto: %d, want 403", s)
		}
		if s := post("regional", "/api/v1/governance/targets", map[string]any{"title": "x", "measure": "assessed", "threshold": 50, "deadline": "2027-01-01"}); s != 403 {
			t.Errorf("regional sets a national target: %d, want 403", s)
		}
		if s := post("organisation", "/api/v1/governance/targets", map[string]any{"parent_id": persona, "organisation_id": venetoASL, "threshold": 90}); s != 403 {
			t.Errorf("organisation sets another organisation's target: %d, want 403", s)
		}
		for _, role := range []string{"provider", "professional", "analyst"} {
			if s := post(role, "/api/v1/governance/targets", map[string]any{"parent_id": persona, "threshold": 90}); s != 403 {
				t.Errorf("%s sets a target: %d, want 403", role, s)
			}
		}
		r = clients["regional"].SendJSON("POST", "/api/v1/governance/targets", map[string]any{"parent_id": persona, "threshold": 50})
		if r.Status != 422 || !strings.Contains(r.Body, "lower than") {
			t.Errorf("regional lowers a national target: %d %s", r.Status, r.Body)
		}
		if s := post("organisation", "/api/v1/governance/targets", map[string]any{"parent_id": persona, "threshold": 85}); s != 201 {
			t.Errorf("organisation refines a national target upwards: %d", s)
		}
		// The page forms go through the same checks: a forged national approval and a forged
		// Veneto target from Toscana's referent are refused, and nothing is written.
		var approvals, targets int
		count := func() (int, int) {
			var a, b int
			_ = env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM governance_approvals`).Scan(&a)
			_ = env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM governance_targets`).Scan(&b)
			return a, b
		}
		approvals, targets = count()
		if r := clients["regional"].PostForm("/governance/approve", url.Values{"region_id": {"0"}, "note": {"forged"}}); r.Status != 403 {
			t.Errorf("page: regional approves the nation's phase: %d", r.Status)
		}
		if r := clients["regional"].PostForm("/governance/targets", url.Values{"parent_id": {fmt.Sprint(persona)}, "region_id": {"50"}, "threshold": {"90"}}); r.Status != 403 {
			t.Errorf("page: regional sets a Veneto target: %d", r.Status)
		}
		if r := clients["analyst"].PostForm("/governance/targets", url.Values{"parent_id": {fmt.Sprint(persona)}, "threshold": {"90"}}); r.Status != 403 {
			t.Errorf("page: analyst sets a target: %d", r.Status)
		}
		if a, b := count(); a != approvals || b != targets {
			t.Errorf("refused forms wrote: approvals %d→%d, targets %d→%d", approvals, a, targets, b)
		}
		// The demo has an off-track target, shown with its alert, and the monitoring dashboard
		// links to the targets.
		var offTrack int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM governance_targets WHERE state = 'off_track'`).Scan(&offTrack); err != nil || offTrack == 0 {
			t.Errorf("the demo has no off-track target (%v)", err)
		}
		if page := clients["national"].Get(fmt.Sprintf("/governance/targets/%d", tosc)); !strings.Contains(page.Body, `data-state="off_track"`) {
			t.Errorf("the demo's Tuscan target is not shown off track")
		}
		if page := clients["regional"].Get("/monitor"); !strings.Contains(page.Body, `href="/governance/targets"`) {
			t.Errorf("the monitoring dashboard does not link to the targets")
		}
		// The cycle page: the nation's and every region's phase, the approval form only where the
		// viewer may approve.
		cyc := clients["regional"].Get("/governance")
		if !strings.Contains(cyc.Body, `id="track-nation"`) || strings.Contains(cyc.Body, `id="approve-0"`) || strings.Contains(cyc.Body, `id="approve-50"`) || !strings.Contains(cyc.Body, `data-code="09"`) {
			t.Errorf("regional cycle page: forms or map wrong")
		}
		if cyc := clients["national"].Get("/governance"); !strings.Contains(cyc.Body, `id="approve-0"`) {
			t.Errorf("national cycle page lacks the national approval form")
		}
		// Notifications belong to their account.
		var nid int64
		if err := env.M.DB.Read.QueryRow(`SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'demo.nazionale' ORDER BY n.id LIMIT 1`).Scan(&nid); err != nil {
			t.Fatalf("the demo has no notification for demo.nazionale: %v", err)
		}
		if s := post("regional", fmt.Sprintf("/api/v1/notifications/%d/read", nid), map[string]any{}); s != 404 {
			t.Errorf("regional marks national's notification read: %d, want 404", s)
		}
		if s := post("national", fmt.Sprintf("/api/v1/notifications/%d/read", nid), map[string]any{}); s != 200 && s != 204 {
			t.Errorf("national marks own notification read: %d", s)
		}
	})
}
