package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"esd/internal/assess"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/participation"
)

// An organisation's achievement rule: the office says that completing a given event achieves
// the objectives in one of its lines; the course's evidence alone would not reach the target
// level, the rule does, and the objective says why. The other line's objective, which the
// rule does not name, stays open; a retired rule achieves nothing more.
func TestObjectiveAchievedByOrganisationRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		pw := startPartWorld(t, d)
		env := pw.env
		day := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
		ed := pw.newEdition(t, "PART-RULE-1", 10, day, day, 8)
		var lines [2]string
		var fw int64
		var lineIDs [2]int64
		rows, err := env.M.DB.Read.Query(`SELECT fi.code, fi.id, fi.framework_id FROM framework_items fi JOIN framework_versions f ON f.id = fi.framework_id
			WHERE fi.kind = 'line' AND f.state = 'published' ORDER BY fi.code LIMIT 2`)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; rows.Next(); i++ {
			if err := rows.Scan(&lines[i], &lineIDs[i], &fw); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		// Two agreed objectives at the top level, which an 8-hour course's evidence cannot reach.
		now := time.Now().UTC()
		tri := fmt.Sprintf("%d-%d", 2026, 2028)
		var objIDs [2]int64
		for i := range lines {
			if _, err := env.M.DB.Write.Exec(`DELETE FROM objectives WHERE professional_id = $1 AND line_code = $2`, pw.profID, lines[i]); err != nil {
				t.Fatal(err)
			}
			if err := env.M.DB.Write.QueryRow(`INSERT INTO objectives (professional_id, triennium, framework_id, line_id, line_code, target_level, due_date, priority, state, source, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, 4, '2028-12-31', 1, 'agreed', 'test', $6, $6) RETURNING id`, pw.profID, tri, fw, lineIDs[i], lines[i], now).Scan(&objIDs[i]); err != nil {
				t.Fatal(err)
			}
		}
		office := env.Client().Login("demo.azienda", "esd-demo-azienda")
		// Bad input names the field; nothing is stored.
		res := office.SendJSON("POST", "/api/v1/objective-rules", map[string]any{"organisation_id": pw.aslID, "line_code": "ZZ.NOPE", "event_code": "NOPE-1", "min_credits": 200})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "line_code") || !strings.Contains(res.Body, "event_code") || !strings.Contains(res.Body, "min_credits") {
			t.Fatalf("bad rule: %d %s", res.Status, res.Body)
		}
		// A professional may not set rules, nor see them.
		if res := pw.prof.SendJSON("POST", "/api/v1/objective-rules", map[string]any{"organisation_id": pw.aslID, "line_code": lines[0]}); res.Status != http.StatusForbidden && res.Status != http.StatusNotFound {
			t.Fatalf("professional creating a rule: %d", res.Status)
		}
		res = office.SendJSON("POST", "/api/v1/objective-rules", map[string]any{"organisation_id": pw.aslID, "line_code": strings.ToLower(lines[0]),
			"event_code": "PART-RULE-1", "min_credits": 4, "note": "corso aziendale obbligatorio"})
		if res.Status != http.StatusCreated {
			t.Fatalf("create rule: %d %s", res.Status, res.Body)
		}
		var rule assess.ObjectiveRule
		res.JSON(t, &rule)
		if !rule.Active || rule.LineCode != lines[0] {
			t.Fatalf("rule %+v", rule)
		}

		// The professional attends and completes the course.
		res = pw.prof.SendJSON("POST", fmt.Sprintf("/api/v1/editions/%d/enrolments", ed), map[string]any{})
		var mine participation.Participation
		res.JSON(t, &mine)
		good := 0.9
		pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/outcome", mine.ID), participation.OutcomeInput{TestScore: &good})
		res = pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/complete", mine.ID), participation.CompleteInput{Role: "P"})
		if res.Status != http.StatusOK || !strings.Contains(res.Body, participation.StateCompleted) {
			t.Fatalf("complete: %d %s", res.Status, res.Body)
		}
		state := func(id int64) (string, int64) {
			var st string
			var r int64
			if err := env.M.DB.Read.QueryRow(`SELECT state, COALESCE(achieved_rule_id, 0) FROM objectives WHERE id = $1`, id).Scan(&st, &r); err != nil {
				t.Fatal(err)
			}
			return st, r
		}
		if st, r := state(objIDs[0]); st != assess.ObjAchieved || r != rule.ID {
			t.Errorf("objective in %s: %s by rule %d, want achieved by rule %d", lines[0], st, r, rule.ID)
		}
		if st, r := state(objIDs[1]); st != assess.ObjAgreed || r != 0 {
			t.Errorf("objective in %s, which the rule does not name: %s by rule %d", lines[1], st, r)
		}
		// The professional's page says why; the office's page counts it.
		page := pw.prof.Get(fmt.Sprintf("/professionals/%d/objectives", pw.profID))
		if !strings.Contains(page.Body, "per regola dell'organizzazione") && !strings.Contains(page.Body, "per regola dell&#39;organizzazione") {
			t.Errorf("objectives page does not say the rule achieved it")
		}
		var listed []assess.ObjectiveRule
		office.Get(fmt.Sprintf("/api/v1/organisations/%d/objective-rules", pw.aslID)).JSON(t, &listed)
		if len(listed) != 1 || listed[0].Achieved != 1 {
			t.Fatalf("rules: %+v", listed)
		}
		if p := office.Get("/assessment/rules"); p.Status != 200 || !strings.Contains(p.Body, "corso aziendale obbligatorio") {
			t.Fatalf("rules page: %d", p.Status)
		}
		// Retired: the next completion of the course achieves nothing more.
		res = office.SendJSON("POST", fmt.Sprintf("/api/v1/objective-rules/%d/retire", rule.ID), nil)
		var retired assess.ObjectiveRule
		res.JSON(t, &retired)
		if res.Status != http.StatusOK || retired.Active || retired.RetiredAt == nil {
			t.Fatalf("retire: %d %s", res.Status, res.Body)
		}
		if _, err := env.M.DB.Write.Exec(`UPDATE objectives SET state = 'agreed', achieved_rule_id = NULL, achieved_at = NULL WHERE id = $1`, objIDs[0]); err != nil {
			t.Fatal(err)
		}
		res = pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/complete", mine.ID), participation.CompleteInput{Role: "P"})
		if res.Status != http.StatusOK {
			t.Fatalf("complete again: %d %s", res.Status, res.Body)
		}
		if st, _ := state(objIDs[0]); st != assess.ObjAgreed {
			t.Errorf("a retired rule achieved an objective: %s", st)
		}
	})
}
