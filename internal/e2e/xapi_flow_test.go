package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../xapi/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type partRow struct {
	State   string
	Credits float64
	Source  string
	Lines   string
}

func (w lrsWorld) participation(t *testing.T, edID, profID int64) (partRow, bool) {
	t.Helper()
	var p partRow
	err := w.env.M.DB.Read.QueryRow(`SELECT state, credits, source, lines_moved FROM participations WHERE edition_id = $1 AND professional_id = $2`, edID, profID).
		Scan(&p.State, &p.Credits, &p.Source, &p.Lines)
	return p, err == nil
}

func (w lrsWorld) ledger(t *testing.T, edID, profID int64) float64 {
	t.Helper()
	var c float64
	if err := w.env.M.DB.Read.QueryRow(`SELECT COALESCE(SUM(ce.credits), 0) FROM credit_entries ce JOIN participations p ON p.id = ce.participation_id
		WHERE p.edition_id = $1 AND p.professional_id = $2`, edID, profID).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Moodle logstore_xapi: a recorded 30-statement batch (1.0.3, JSON array, Basic, no ids) answers
// exactly 200; with one bad statement it answers 400 naming it, and Moodle's halving (as
// resendfailedbatches does) isolates it; the course completion of the mapped learner becomes a
// participation with credits and evidence, the unmapped learner's is recorded as unknown;
// voiding the completion withdraws it with an audit entry.
func TestXAPIMoodleBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := startLRSWorld(t, d)
		raw := readFixture(t, "moodle_batch.json")
		var batch []map[string]any
		if err := json.Unmarshal(raw, &batch); err != nil || len(batch) != 30 {
			t.Fatalf("fixture: %v, %d statements", err, len(batch))
		}
		send := func(sts []map[string]any) xres {
			b, _ := json.Marshal(sts)
			return w.do(t, "POST", "/xapi/statements", "1.0.3", w.basic, bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}})
		}
		// One bad statement (17th): the timestamp Moodle would never send, a plugin bug.
		bad := make([]map[string]any, 30)
		for i := range batch {
			bad[i] = clone(batch[i])
		}
		bad[16]["timestamp"] = "2026-11-20 09:15:02"
		before := w.count(t, "xapi_statements")
		r := send(bad)
		if r.Status != 400 || !strings.Contains(r.Body, "statement 17 of 30") || !strings.Contains(r.Body, "timestamp") {
			t.Fatalf("bad batch: %d %s", r.Status, r.Body)
		}
		if w.count(t, "xapi_statements") != before {
			t.Fatal("a refused batch stored statements")
		}
		// Moodle's halving: re-send halves of a failed batch until only the bad one fails.
		var failed []map[string]any
		var halve func(sts []map[string]any)
		halve = func(sts []map[string]any) {
			r := send(sts)
			switch {
			case r.Status == 200:
			case r.Status == 400 && len(sts) == 1:
				failed = append(failed, sts[0])
			case r.Status == 400:
				halve(sts[:len(sts)/2])
				halve(sts[len(sts)/2:])
			default:
				t.Fatalf("Moodle treats %d as a failure: %s", r.Status, r.Body)
			}
		}
		halve(bad)
		if len(failed) != 1 || failed[0]["timestamp"] != "2026-11-20 09:15:02" {
			t.Fatalf("halving isolated %d statements, want the one bad", len(failed))
		}
		if n := w.count(t, "xapi_statements") - before; n != 29 {
			t.Fatalf("after halving %d statements stored, want 29", n)
		}
		// The good batch (Moodle's next run): exactly 200 with 30 ids.
		r = send(batch)
		var ids []string
		r.json(t, &ids)
		if r.Status != 200 || len(ids) != 30 {
			t.Fatalf("good batch: %d %s", r.Status, r.Body)
		}
		// Learner 42 (registered → the demo professional) completed the mapped course.
		p, ok := w.participation(t, w.edID, w.pw.profID)
		if !ok || p.State != "completed" || p.Credits <= 0 || p.Source != "xapi" {
			t.Fatalf("participation from Moodle: %+v (found %v)", p, ok)
		}
		if w.ledger(t, w.edID, w.pw.profID) != p.Credits {
			t.Errorf("credits ledger %v, participation %v", w.ledger(t, w.edID, w.pw.profID), p.Credits)
		}
		if p.Lines == "" || w.pw.levels(t, w.pw.profID) == "" {
			t.Errorf("no competence evidence: lines %q levels %q", p.Lines, w.pw.levels(t, w.pw.profID))
		}
		// Idempotent by statement id: the halving and the full batch assigned different ids,
		// yet one participation; re-posting a stored statement writes nothing more.
		var nproj int
		w.env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM xapi_projections WHERE outcome = 'projected'`).Scan(&nproj)
		var stID string
		w.env.M.DB.Read.QueryRow(`SELECT statement_id FROM xapi_projections WHERE outcome = 'projected' AND professional_id = $1 ORDER BY statement_seq DESC LIMIT 1`, w.pw.profID).Scan(&stID)
		var stored map[string]any
		w.do(t, "GET", "/xapi/statements?statementId="+stID, "1.0.3", w.basic, nil, nil).json(t, &stored)
		for _, k := range []string{"authority", "stored", "version"} {
			delete(stored, k)
		}
		if r := w.post(t, "1.0.3", w.basic, stored); r.Status != 200 {
			t.Fatalf("re-post: %d %s", r.Status, r.Body)
		}
		var nproj2 int
		w.env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM xapi_projections WHERE outcome = 'projected'`).Scan(&nproj2)
		if nproj2 != nproj {
			t.Errorf("re-posting a stored statement projected again: %d → %d", nproj, nproj2)
		}
		// Learner 43 is not registered: recorded as unknown, nothing written for anyone.
		var unknown int
		w.env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM xapi_projections WHERE outcome = 'unknown_learner'`).Scan(&unknown)
		if unknown == 0 {
			t.Error("the unregistered learner's completion is not recorded as unknown")
		}
		// The professional sees it on their page, with the platform.
		var profID int64 = w.pw.profID
		page := w.pw.prof.Get(fmt.Sprintf("/professionals/%d/xapi", profID))
		if page.Status != 200 || !strings.Contains(page.Body, "XAPI-FAD-1") || !strings.Contains(page.Body, stID) {
			t.Fatalf("professional's page: %d %.800s", page.Status, page.Body)
		}
		// Voiding withdraws the participation and its credits, with an audit entry.
		var seqs []string
		rows, _ := w.env.M.DB.Read.Query(`SELECT statement_id FROM xapi_projections WHERE outcome = 'projected' AND professional_id = $1`, profID)
		for rows.Next() {
			var s string
			rows.Scan(&s)
			seqs = append(seqs, s)
		}
		rows.Close()
		for _, s := range seqs {
			void := map[string]any{"actor": map[string]any{"mbox": "mailto:fad@provider-demo.example.it"}, "verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"},
				"object": map[string]any{"objectType": "StatementRef", "id": s}}
			if r := w.post(t, "1.0.3", w.basic, void); r.Status != 200 {
				t.Fatalf("void: %d %s", r.Status, r.Body)
			}
		}
		p, _ = w.participation(t, w.edID, profID)
		if p.State != "withdrawn" || w.ledger(t, w.edID, profID) != 0 {
			t.Errorf("after voiding: %+v, ledger %v", p, w.ledger(t, w.edID, profID))
		}
		var audits int
		w.env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'void' AND entity = 'xapi_statement'`).Scan(&audits)
		if audits != len(seqs) {
			t.Errorf("%d void audit entries, want %d", audits, len(seqs))
		}
		if page := w.pw.prof.Get(fmt.Sprintf("/professionals/%d/xapi", profID)); !strings.Contains(page.Body, "ritirato") {
			t.Errorf("the page does not show the withdrawal: %.600s", page.Body)
		}
	})
}

// cmi5: the LMS (the provider's own credential) writes LMS.LaunchData and launched, mints a
// session credential; the AU, with the auth-token, reads LaunchData (but cannot write it),
// sends initialized, passed (scaled 0.85 ≥ the mapping's 0.8), completed and terminated; it
// cannot void nor write another learner's statements; the session expires.
func TestXAPICmi5Session(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := startLRSWorld(t, d)
		raw := strings.ReplaceAll(string(readFixture(t, "cmi5_session.json")), "{{CF}}", w.pw.profCF)
		var fx struct {
			ActivityID    string           `json:"activity_id"`
			Registration  string           `json:"registration"`
			Actor         map[string]any   `json:"actor"`
			LaunchData    map[string]any   `json:"launch_data"`
			LMSStatements []map[string]any `json:"lms_statements"`
			AUStatements  []map[string]any `json:"au_statements"`
		}
		if err := json.Unmarshal([]byte(raw), &fx); err != nil {
			t.Fatal(err)
		}
		actorQ := urlQ(fx.Actor)
		state := "/xapi/activities/state?activityId=" + urlEsc(fx.ActivityID) + "&agent=" + actorQ + "&registration=" + fx.Registration + "&stateId=LMS.LaunchData"
		ld, _ := json.Marshal(fx.LaunchData)
		if r := w.do(t, "PUT", state, "1.0.3", w.basic, bytes.NewReader(ld), nil); r.Status != 204 {
			t.Fatalf("LMS writes LaunchData: %d %s", r.Status, r.Body)
		}
		if r := w.post(t, "1.0.3", w.basic, fx.LMSStatements); r.Status != 200 {
			t.Fatalf("launched: %d %s", r.Status, r.Body)
		}
		res := w.pw.provider.SendJSON("POST", "/api/v1/xapi/sessions", map[string]any{"actor": fx.Actor, "registration": fx.Registration, "activity_id": fx.ActivityID, "minutes": 30})
		if res.Status != 201 {
			t.Fatalf("mint session: %d %s", res.Status, res.Body)
		}
		var sess issued
		res.JSON(t, &sess)
		if sess.Token == "" {
			t.Fatalf("no auth-token: %s", res.Body)
		}
		au := "Basic " + sess.Token
		// The AU reads LaunchData, may not overwrite it.
		if r := w.do(t, "GET", state, "1.0.3", au, nil, nil); r.Status != 200 || !strings.Contains(r.Body, "masteryScore") {
			t.Fatalf("AU reads LaunchData: %d %s", r.Status, r.Body)
		}
		if r := w.do(t, "PUT", state, "1.0.3", au, strings.NewReader(`{}`), nil); r.Status != 403 {
			t.Errorf("AU writes LaunchData: %d", r.Status)
		}
		prefs := "/xapi/agents/profile?agent=" + actorQ + "&profileId=cmi5LearnerPreferences"
		if r := w.do(t, "PUT", prefs, "1.0.3", au, strings.NewReader(`{"languagePreference":"it-IT","audioPreference":"on"}`), http.Header{"If-None-Match": {"*"}}); r.Status != 204 {
			t.Errorf("AU writes its learner preferences: %d %s", r.Status, r.Body)
		}
		for _, st := range fx.AUStatements {
			id := st["id"].(string)
			b, _ := json.Marshal(st)
			if r := w.do(t, "PUT", "/xapi/statements?statementId="+id, "1.0.3", au, bytes.NewReader(b), http.Header{"Origin": {"https://lms.provider-demo.example.it"}}); r.Status != 204 {
				t.Fatalf("AU %v: %d %s", st["verb"], r.Status, r.Body)
			}
		}
		// No voiding, no other learner, not outside the registration.
		void := map[string]any{"actor": fx.Actor, "verb": map[string]any{"id": "http://adlnet.gov/expapi/verbs/voided"}, "object": map[string]any{"objectType": "StatementRef", "id": fx.AUStatements[1]["id"]}}
		if r := w.post(t, "1.0.3", au, void); r.Status != 403 {
			t.Errorf("AU voids: %d %s", r.Status, r.Body)
		}
		other := clone(fx.AUStatements[0])
		delete(other, "id")
		other["actor"] = map[string]any{"account": map[string]any{"homePage": "https://lms.provider-demo.example.it", "name": "RSSMRA85T10A562S"}}
		if r := w.post(t, "1.0.3", au, other); r.Status != 403 {
			t.Errorf("AU writes another learner: %d %s", r.Status, r.Body)
		}
		// Passed with 0.85 over the mapping's 0.8: the participation, with credits.
		p, ok := w.participation(t, w.cmi5EdID, w.pw.profID)
		if !ok || p.State != "completed" || p.Credits <= 0 {
			t.Fatalf("cmi5 participation: %+v (%v)", p, ok)
		}
		// Its own statements: the AU reads them (read/mine).
		if r := w.do(t, "GET", "/xapi/statements?registration="+fx.Registration, "1.0.3", au, nil, nil); r.Status != 200 || !strings.Contains(r.Body, fx.AUStatements[3]["id"].(string)) {
			t.Errorf("AU reads its statements: %d %.300s", r.Status, r.Body)
		}
		// Expired: 401.
		w.env.M.XAPI.Now = func() time.Time { return time.Now().Add(31 * time.Minute) }
		defer func() { w.env.M.XAPI.Now = nil }()
		if r := w.post(t, "1.0.3", au, fx.AUStatements[0]); r.Status != 401 || !strings.Contains(r.Body, "expired") {
			t.Errorf("expired session: %d %s", r.Status, r.Body)
		}
	})
}

func urlEsc(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func urlQ(v any) string {
	b, _ := json.Marshal(v)
	return urlEsc(string(b))
}

// Retention: statements older than the configured period are purged (row, keys, projection
// record); newer ones stay.
func TestXAPIRetention(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := startLRSWorld(t, d)
		old, recent := newID(), newID()
		svc := w.env.M.XAPI
		svc.Now = func() time.Time { return time.Now().Add(-40 * 24 * time.Hour) }
		st := stmt("old@example.it", attempted, "http://example.it/retention")
		st["id"] = old
		if r := w.post(t, "2.0.0", w.basic, st); r.Status != 200 {
			t.Fatal(r.Status, r.Body)
		}
		svc.Now = nil
		st["id"] = recent
		if r := w.post(t, "2.0.0", w.basic, st); r.Status != 200 {
			t.Fatal(r.Status, r.Body)
		}
		svc.Retention = 30 * 24 * time.Hour
		defer func() { svc.Retention = 0 }()
		if _, err := svc.Purge(w.env.Sys()); err != nil {
			t.Fatal(err)
		}
		if r := w.do(t, "GET", "/xapi/statements?statementId="+old, "2.0.0", w.basic, nil, nil); r.Status != 404 {
			t.Errorf("a statement older than the retention is still there: %d", r.Status)
		}
		if r := w.do(t, "GET", "/xapi/statements?statementId="+recent, "2.0.0", w.basic, nil, nil); r.Status != 200 {
			t.Errorf("a recent statement was purged: %d", r.Status)
		}
		var keys int
		w.env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM xapi_statement_keys k WHERE NOT EXISTS (SELECT 1 FROM xapi_statements s WHERE s.seq = k.seq)`).Scan(&keys)
		if keys != 0 {
			t.Errorf("%d orphan keys after the purge", keys)
		}
	})
}
