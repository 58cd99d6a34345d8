package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/privacy"
	"esd/internal/xapi"
)

// privacyWorld is the demo world plus, for the demo professional, a certificate of their
// completed course and a notification, and the id of another professional with data of
// their own whose traces must never appear in the archive.
type privacyWorld struct {
	env          *apptest.Env
	prof, other  int64
	profCF       string
	otherCF      string
	otherName    string
	certificates int
}

func buildPrivacyWorld(t *testing.T, d db.Dialect) privacyWorld {
	env := apptest.Start(t, d, apptest.Options{Demo: true})
	w := privacyWorld{env: env}
	q := env.M.DB.Read
	if err := q.QueryRow(`SELECT p.id, p.cf FROM professionals p JOIN users u ON u.professional_id = p.id WHERE u.username = 'demo.professionista'`).Scan(&w.prof, &w.profCF); err != nil {
		t.Fatal(err)
	}
	// Another professional of the same ASL with participations of their own.
	if err := q.QueryRow(`SELECT p.id, p.cf, p.family_name FROM professionals p WHERE p.id <> $1 AND EXISTS (SELECT 1 FROM participations x WHERE x.professional_id = p.id) ORDER BY p.id LIMIT 1`, w.prof).
		Scan(&w.other, &w.otherCF, &w.otherName); err != nil {
		t.Fatal(err)
	}
	var part int64
	if err := q.QueryRow(`SELECT id FROM participations WHERE professional_id = $1 AND state = 'completed' ORDER BY id LIMIT 1`, w.prof).Scan(&part); err != nil {
		t.Fatalf("demo professional has no completed participation: %v", err)
	}
	if _, err := env.M.Certificates.Issue(env.Sys(), part); err != nil {
		t.Fatal(err)
	}
	if err := q.QueryRow(`SELECT COUNT(*) FROM certificates WHERE professional_id = $1`, w.prof).Scan(&w.certificates); err != nil {
		t.Fatal(err)
	}
	if _, err := env.M.DB.Write.Exec(`INSERT INTO notifications (user_id, kind, subject_it, subject_en, body_it, body_en, link, dedup, created_at)
		SELECT id, 'test', 'Promemoria', 'Reminder', 'Corso in scadenza', 'Course due', '/my-training', 'privacy-test', $1 FROM users WHERE username = 'demo.professionista'`, db.Now()); err != nil {
		t.Fatal(err)
	}
	// An xAPI statement by the professional, through the demo provider's LRS credential, on a
	// homePage whose account names are codici fiscali.
	var prov int64
	if err := q.QueryRow(`SELECT id FROM organisations WHERE kind = 'provider' AND code = 'TOS-DEMO-01'`).Scan(&prov); err != nil {
		t.Fatal(err)
	}
	const hp = "https://lms.example.it"
	if err := env.M.XAPI.SetHomePage(env.Sys(), prov, xapi.HomePageInput{HomePage: hp, Mode: "cf"}); err != nil {
		t.Fatal(err)
	}
	is, err := env.M.XAPI.CreateCredential(env.Sys(), prov, xapi.CredentialInput{Label: "privacy", Scopes: []string{xapi.ScopeAll}})
	if err != nil {
		t.Fatal(err)
	}
	st := fmt.Sprintf(`{"actor":{"objectType":"Agent","account":{"homePage":%q,"name":%q}},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced"},"object":{"id":"https://lms.example.it/course/privacy-1"}}`, hp, w.profCF)
	req, _ := http.NewRequest("POST", env.URL+"/xapi/statements", strings.NewReader(st))
	req.Header.Set("Authorization", is.Basic)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("xAPI statement: %d", res.StatusCode)
	}
	// The archive and the counts compared with it must describe the same data.
	waitBadgeQueue(t, env)
	return w
}

// waitBadgeQueue waits for the badge worker to issue what the world earned: it does so a
// second or so after the achieving transaction, with a notification and an audit entry, so a
// test that counts rows must let it finish first. Rows still queued after the wait have no
// origin to be issued from, and stay queued.
func waitBadgeQueue(t *testing.T, env *apptest.Env) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var n int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM badge_pending`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// readArchive opens the ZIP and returns its files.
func readArchive(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		out[f.Name] = b
	}
	return out
}

// checkArchive verifies the archive is complete for the world and holds nothing of the
// other professional.
func checkArchive(t *testing.T, w privacyWorld, files map[string][]byte) privacy.Document {
	t.Helper()
	var doc privacy.Document
	if err := json.Unmarshal(files["dati.json"], &doc); err != nil {
		t.Fatalf("dati.json: %v", err)
	}
	if doc.Professional.ID != w.prof || doc.Professional.CF != w.profCF {
		t.Errorf("archive of %+v, want %d", doc.Professional, w.prof)
	}
	q := w.env.M.DB.Read
	for _, src := range privacy.Sources {
		sec, ok := doc.Sections[src.Section]
		if !ok {
			t.Errorf("section %s missing", src.Section)
			continue
		}
		csv, ok := files["csv/"+src.Section+".csv"]
		if !ok || !bytes.HasPrefix(csv, []byte("\xef\xbb\xbf")) {
			t.Errorf("csv/%s.csv missing or without BOM", src.Section)
		}
		if len(sec.Columns) > 1 && !bytes.Contains(csv, []byte(";")) {
			t.Errorf("csv/%s.csv is not ;-separated", src.Section)
		}
		for _, r := range sec.Rows {
			if v, ok := r["professional_id"]; ok && fmt.Sprint(v) != fmt.Sprint(w.prof) {
				t.Errorf("section %s holds a row of professional %v", src.Section, v)
			}
			for _, o := range src.Omit {
				if _, ok := r[o]; ok {
					t.Errorf("section %s exports the secret column %s", src.Section, o)
				}
			}
		}
	}
	// Independent counts of what the world holds.
	for sec, query := range map[string]string{
		"participations":      `SELECT COUNT(*) FROM participations WHERE professional_id = $1`,
		"credit_entries":      `SELECT COUNT(*) FROM credit_entries WHERE professional_id = $1`,
		"assessments":         `SELECT COUNT(*) FROM assessments WHERE professional_id = $1`,
		"assessment_answers":  `SELECT COUNT(*) FROM assessment_answers a JOIN assessments s ON s.id = a.assessment_id WHERE s.professional_id = $1`,
		"certificates":        `SELECT COUNT(*) FROM certificates WHERE professional_id = $1`,
		"notifications":       `SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.professional_id = $1`,
		"accounts":            `SELECT COUNT(*) FROM users WHERE professional_id = $1`,
		"competence_evidence": `SELECT COUNT(*) FROM competence_evidence WHERE professional_id = $1`,
		"xapi_statements":     `SELECT COUNT(*) FROM xapi_statements WHERE $1 > 0 AND provider_id IN (SELECT id FROM organisations WHERE code = 'TOS-DEMO-01')`,
	} {
		var n int
		if err := q.QueryRow(query, w.prof).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if got := len(doc.Sections[sec].Rows); got != n {
			t.Errorf("section %s: %d rows, the database holds %d", sec, got, n)
		}
	}
	if sts := doc.Sections["xapi_statements"].Rows; len(sts) == 1 {
		if st, _ := sts[0]["statement"].(map[string]any); st == nil || !strings.Contains(fmt.Sprint(st["object"]), "privacy-1") {
			t.Errorf("the xAPI statement is not decoded: %v", sts[0])
		}
	}
	for _, must := range []string{"xapi_statements", "participations", "credit_entries", "assessment_answers", "certificates", "notifications", "accounts", "audit"} {
		if len(doc.Sections[must].Rows) == 0 {
			t.Errorf("section %s is empty for a world that has it", must)
		}
	}
	pdfs := 0
	for name, b := range files {
		if strings.HasPrefix(name, "attestati/") && bytes.HasPrefix(b, []byte("%PDF")) {
			pdfs++
		}
	}
	if pdfs != w.certificates || pdfs == 0 {
		t.Errorf("%d certificate PDFs, want %d", pdfs, w.certificates)
	}
	readme := string(files["README.txt"])
	for _, s := range []string{"Base giuridica", "Legal basis", "[participations]", "professional_search_tokens"} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.txt lacks %q", s)
		}
	}
	for name, b := range files {
		if bytes.Contains(b, []byte(w.otherCF)) {
			t.Errorf("%s holds the other professional's codice fiscale", name)
		}
	}
	return doc
}

// TestPrivacyExportAndErasure: the professional downloads their archive over the API, national
// governance too; others get 404; the request and execution of an erasure, the audit trail
// kept whole, the credits kept and the monitoring aggregates equal to a rebuild.
func TestPrivacyExportAndErasure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildPrivacyWorld(t, d)
		env := w.env
		me := env.Client().Login("demo.professionista", "esd-demo-professionista")
		r := me.Get("/api/v1/me/personal-data")
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("own archive: %d %s %.200s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		checkArchive(t, w, readArchive(t, []byte(r.Body)))

		nat := env.Client().Login("demo.nazionale", "esd-demo-nazionale")
		if r := nat.Get(fmt.Sprintf("/api/v1/professionals/%d/personal-data", w.prof)); r.Status != 200 {
			t.Errorf("national: %d", r.Status)
		}
		// Others: not found, whether the professional exists or not.
		for user, pw := range map[string]string{"demo.regione": "esd-demo-regione", "demo.azienda": "esd-demo-azienda", "demo.analista": "esd-demo-analista"} {
			c := env.Client().Login(user, pw)
			for _, id := range []int64{w.prof, 999999} {
				if r := c.Get(fmt.Sprintf("/api/v1/professionals/%d/personal-data", id)); r.Status != 404 {
					t.Errorf("%s on %d: %d, want 404", user, id, r.Status)
				}
			}
		}
		if r := me.Get(fmt.Sprintf("/api/v1/professionals/%d/personal-data", w.other)); r.Status != 404 {
			t.Errorf("professional on another professional: %d", r.Status)
		}
		if r := env.Client().Get(fmt.Sprintf("/api/v1/professionals/%d/personal-data", w.prof)); r.Status != 401 {
			t.Errorf("anonymous: %d", r.Status)
		}
		var exports int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND entity = 'personal_data' AND entity_id = $1`, fmt.Sprint(w.prof)).Scan(&exports); err != nil || exports != 2 {
			t.Errorf("audited exports: %d %v, want 2", exports, err)
		}

		// CLI export by codice fiscale: the same sections.
		out := filepath.Join(t.TempDir(), "a.zip")
		if _, err := runCLI(t, env, "privacy", "export", "--out", out, "--cf", w.profCF); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		checkArchive(t, w, readArchive(t, b))
		for _, args := range [][]string{{"privacy", "export", "--out", out}, {"privacy", "export", "--bogus"}, {"privacy", "erase"}} {
			_, err := runCLI(t, env, args...)
			var ec interface{ ExitCode() int }
			if !errors.As(err, &ec) || ec.ExitCode() != 2 {
				t.Errorf("%v: %v, want a usage error", args, err)
			}
		}

		// Erasure: requested by the professional with a reason, executed by national governance.
		if r := me.SendJSON("POST", fmt.Sprintf("/api/v1/professionals/%d/personal-data/erasure-requests", w.prof), privacy.RequestInput{}); r.Status != 400 && r.Status != 422 {
			t.Errorf("request without reason: %d", r.Status)
		}
		r = me.SendJSON("POST", fmt.Sprintf("/api/v1/professionals/%d/personal-data/erasure-requests", w.prof), privacy.RequestInput{Reason: "Non lavoro più in sanità"})
		if r.Status != 201 {
			t.Fatalf("request: %d %s", r.Status, r.Body)
		}
		var req privacy.Request
		r.JSON(t, &req)
		if r := me.SendJSON("POST", fmt.Sprintf("/api/v1/privacy/requests/%d/review", req.ID), privacy.ReviewInput{Decision: "execute"}); r.Status != 403 && r.Status != 404 {
			t.Errorf("professional executing: %d", r.Status)
		}
		reg := env.Client().Login("demo.regione", "esd-demo-regione")
		if r := reg.SendJSON("POST", fmt.Sprintf("/api/v1/privacy/requests/%d/review", req.ID), privacy.ReviewInput{Decision: "execute"}); r.Status != 403 && r.Status != 404 {
			t.Errorf("regional executing: %d", r.Status)
		}
		count := func(query string, args ...any) int {
			var n int
			if err := env.M.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return n
		}
		creditsBefore := count(`SELECT COUNT(*) FROM credit_entries WHERE professional_id = $1`, w.prof)
		partsBefore := count(`SELECT COUNT(*) FROM participations WHERE professional_id = $1`, w.prof)
		auditBefore := count(`SELECT COUNT(*) FROM audit_log`)
		otherAnswers := count(`SELECT COUNT(*) FROM assessment_answers a JOIN assessments s ON s.id = a.assessment_id WHERE s.professional_id = $1`, w.other)
		otherParts := count(`SELECT COUNT(*) FROM participations WHERE professional_id = $1`, w.other)
		var firstAudit string
		if err := env.M.DB.Read.QueryRow(`SELECT after_json FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)`).Scan(&firstAudit); err != nil {
			t.Fatal(err)
		}

		r = nat.SendJSON("POST", fmt.Sprintf("/api/v1/privacy/requests/%d/review", req.ID), privacy.ReviewInput{Decision: "execute", Note: "verificata"})
		if r.Status != 200 {
			t.Fatalf("execute: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &req)
		if req.State != "executed" || !strings.HasPrefix(req.Pseudonym, "PSEUDO-") {
			t.Errorf("request after execution: %+v", req)
		}
		if r := nat.SendJSON("POST", fmt.Sprintf("/api/v1/privacy/requests/%d/review", req.ID), privacy.ReviewInput{Decision: "execute"}); r.Status != 409 {
			t.Errorf("second execution: %d", r.Status)
		}
		// Erased.
		for what, query := range map[string]string{
			"answers":       `SELECT COUNT(*) FROM assessment_answers a JOIN assessments s ON s.id = a.assessment_id WHERE s.professional_id = $1`,
			"notifications": `SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.professional_id = $1`,
			"sessions":      `SELECT COUNT(*) FROM sessions x JOIN users u ON u.id = x.user_id WHERE u.professional_id = $1`,
			"tokens":        `SELECT COUNT(*) FROM professional_search_tokens WHERE professional_id = $1`,
			"email":         `SELECT COUNT(*) FROM professionals WHERE id = $1 AND email <> ''`,
			"names":         `SELECT COUNT(*) FROM professionals WHERE id = $1 AND given_name <> 'Pseudonimo'`,
			"login":         `SELECT COUNT(*) FROM users WHERE professional_id = $1 AND disabled = FALSE`,
			"xapi":          `SELECT COUNT(*) FROM xapi_statements WHERE $1 > 0`,
			"xapi keys":     `SELECT COUNT(*) FROM xapi_statement_keys k WHERE $1 > 0 AND NOT EXISTS (SELECT 1 FROM xapi_statements s WHERE s.seq = k.seq)`,
		} {
			if n := count(query, w.prof); n != 0 {
				t.Errorf("%s: %d left after erasure", what, n)
			}
		}
		// Kept: credits and participations, tied to the pseudonym and the codice fiscale.
		if n := count(`SELECT COUNT(*) FROM credit_entries WHERE professional_id = $1`, w.prof); n != creditsBefore || n == 0 {
			t.Errorf("credits %d after erasure, %d before", n, creditsBefore)
		}
		if n := count(`SELECT COUNT(*) FROM participations WHERE professional_id = $1`, w.prof); n != partsBefore {
			t.Errorf("participations %d after erasure, %d before", n, partsBefore)
		}
		if n := count(`SELECT COUNT(*) FROM professionals WHERE id = $1 AND cf = $2 AND family_name = $3`, w.prof, w.profCF, req.Pseudonym); n != 1 {
			t.Errorf("the record is not the pseudonym with the codice fiscale kept")
		}
		// The other professional is untouched.
		if count(`SELECT COUNT(*) FROM assessment_answers a JOIN assessments s ON s.id = a.assessment_id WHERE s.professional_id = $1`, w.other) != otherAnswers ||
			count(`SELECT COUNT(*) FROM participations WHERE professional_id = $1`, w.other) != otherParts ||
			count(`SELECT COUNT(*) FROM professionals WHERE id = $1 AND family_name = $2`, w.other, w.otherName) != 1 {
			t.Errorf("the erasure touched another professional")
		}
		// The audit trail: nothing removed or rewritten, the request and the execution added.
		if n := count(`SELECT COUNT(*) FROM audit_log`); n < auditBefore+1 {
			t.Errorf("audit entries %d after, %d before", n, auditBefore)
		}
		var again string
		if err := env.M.DB.Read.QueryRow(`SELECT after_json FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)`).Scan(&again); err != nil || again != firstAudit {
			t.Errorf("the first audit entry changed")
		}
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'privacy_request' AND action IN ('request', 'erase') AND entity_id = $1`, fmt.Sprint(req.ID)); n != 2 {
			t.Errorf("audited request and erasure: %d, want 2", n)
		}
		if _, err := env.M.DB.Write.Exec(`DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)`); err == nil {
			t.Errorf("the audit trail accepted a delete")
		}
		// The old login no longer works.
		if r := env.Client().Do("POST", "/login", strings.NewReader("username=demo.professionista&password=esd-demo-professionista"),
			map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}); strings.Contains(r.Body, "Chiara") {
			t.Errorf("the erased account still logs in")
		}
		// Monitoring: the kept aggregates (refreshed by the erasure) equal a full rebuild.
		kept := monitorCells(t, env)
		if _, err := env.M.Monitor.Rebuild(env.Sys()); err != nil {
			t.Fatal(err)
		}
		if rebuilt := monitorCells(t, env); !reflect.DeepEqual(kept, rebuilt) {
			t.Errorf("monitor cells after erasure differ from a rebuild: %d vs %d cells", len(kept), len(rebuilt))
		}
		// The export after erasure shows the pseudonym and the kept credits, and no answers.
		r = nat.Get(fmt.Sprintf("/api/v1/professionals/%d/personal-data", w.prof))
		if r.Status != 200 {
			t.Fatalf("export after erasure: %d", r.Status)
		}
		files := readArchive(t, []byte(r.Body))
		var doc privacy.Document
		_ = json.Unmarshal(files["dati.json"], &doc)
		if doc.Professional.FamilyName != req.Pseudonym || len(doc.Sections["assessment_answers"].Rows) != 0 || len(doc.Sections["credit_entries"].Rows) != creditsBefore {
			t.Errorf("archive after erasure: %+v, %d answers, %d credits", doc.Professional, len(doc.Sections["assessment_answers"].Rows), len(doc.Sections["credit_entries"].Rows))
		}
	})
}

// monitorCells reads every stored monitoring counter.
func monitorCells(t *testing.T, env *apptest.Env) map[string]string {
	t.Helper()
	rows, err := env.M.DB.Read.Query(`SELECT region_id, COALESCE(organisation_id, 0), profession_code, COALESCE(persona_id, 0), period, metric, item, n, total FROM monitor_cells`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var a, b, c, d, e, f, g, n, tot any
		if err := rows.Scan(&a, &b, &c, &d, &e, &f, &g, &n, &tot); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprint(a, "|", b, "|", c, "|", d, "|", e, "|", f, "|", g)] = fmt.Sprint(n, "|", tot)
	}
	return out
}
