package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"esd/internal/apptest"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/participation"
	"esd/internal/rapporto"
	"esd/internal/rapporto/rapportotest"
	"esd/internal/registry"
)

// partWorld finds, in the demo world, an edition of the demo provider's events that develops
// portfolio lines, with the demo professional in its audience.
type partWorld struct {
	env       *apptest.Env
	provider  *apptest.Client
	prof      *apptest.Client
	profID    int64
	profCF    string
	providerC string
	aslID     int64
}

func startPartWorld(t *testing.T, d db.Dialect) partWorld {
	env := apptest.Start(t, d, apptest.Options{Demo: true})
	w, err := registry.DemoIDs(env.Sys(), env.M.DB)
	if err != nil {
		t.Fatal(err)
	}
	return partWorld{env: env, provider: env.Client().Login("demo.provider", "esd-demo-provider"),
		prof: env.Client().Login("demo.professionista", "esd-demo-professionista"), profID: w.ProfessionalID, profCF: w.ProfessionalCF,
		providerC: registry.DemoProviderCode, aslID: w.ASLID}
}

// newEdition creates through the catalogue an accredited event of the demo provider for
// nurses, with portfolio lines and one edition between from and to, and returns the edition.
func (pw partWorld) newEdition(t *testing.T, code string, capacity int, from, to string, credits float64) int64 {
	t.Helper()
	env := pw.env
	var provID, region int64
	if err := env.M.DB.Read.QueryRow(`SELECT id, region_id FROM organisations WHERE code = $1`, pw.providerC).Scan(&provID, &region); err != nil {
		t.Fatal(err)
	}
	var line1, line2 string
	rows, err := env.M.DB.Read.Query(`SELECT fi.code FROM framework_items fi JOIN framework_versions f ON f.id = fi.framework_id
		WHERE fi.kind = 'line' AND f.state = 'published' ORDER BY fi.code LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	rows.Scan(&line1)
	rows.Next()
	rows.Scan(&line2)
	rows.Close()
	res := pw.provider.SendJSON("POST", "/api/v1/events", map[string]any{"code": code, "title": "Telemonitoraggio e FSE per l'infermiere " + code,
		"type": "RES", "subtype": 1, "hours": 8, "participants": capacity, "objective": 17, "credits": credits,
		"audience": []map[string]any{{"profession": 14}, {"profession": 1}},
		"editions": []map[string]any{{"number": 1, "start_date": from, "end_date": to, "region_id": region}},
		"lines":    []map[string]any{{"line_code": line1, "level": 2}, {"line_code": line2, "level": 3}}})
	if res.Status != http.StatusCreated {
		t.Fatalf("create event: %d %s", res.Status, res.Body)
	}
	var ev struct {
		ID       int64 `json:"id"`
		Editions []struct {
			ID int64 `json:"id"`
		} `json:"editions"`
	}
	res.JSON(t, &ev)
	// Accreditation is the reviewers' job; tests move the state directly.
	if _, err := env.M.DB.Write.Exec(`UPDATE events SET state = 'accredited' WHERE id = $1`, ev.ID); err != nil {
		t.Fatal(err)
	}
	return ev.Editions[0].ID
}

func (pw partWorld) levels(t *testing.T, profID int64) string {
	var s string
	_ = pw.env.M.DB.Read.QueryRow(`SELECT levels FROM competence_levels WHERE professional_id = $1`, profID).Scan(&s)
	return s
}

// Enrolment, waiting list, promotion, outcome, completion with credits and evidence.
func TestParticipationEnrolAndComplete(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		pw := startPartWorld(t, d)
		env := pw.env
		day := time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")
		ed := pw.newEdition(t, "PART-ENR-1", 1, day, day, 8)

		// The edition has one place: the professional takes it, a colleague waits.
		res := pw.prof.SendJSON("POST", fmt.Sprintf("/api/v1/editions/%d/enrolments", ed), map[string]any{})
		if res.Status != http.StatusCreated {
			t.Fatalf("enrol: %d %s", res.Status, res.Body)
		}
		var mine participation.Participation
		res.JSON(t, &mine)
		if mine.State != participation.StateEnrolled {
			t.Fatalf("state %s, want enrolled", mine.State)
		}
		org := env.Client().Login("demo.azienda", "esd-demo-azienda")
		var other int64
		if err := env.M.DB.Read.QueryRow(`SELECT p.id FROM professionals p JOIN professional_disciplines d ON d.professional_id = p.id
			WHERE p.organisation_id = $2 AND p.id <> $1 AND d.profession_code IN (1, 14) ORDER BY p.id LIMIT 1`, pw.profID, pw.aslID).Scan(&other); err != nil {
			t.Fatal(err)
		}
		res = org.SendJSON("POST", fmt.Sprintf("/api/v1/editions/%d/enrolments", ed), map[string]any{"professional_id": other})
		var waiting participation.Participation
		res.JSON(t, &waiting)
		if res.Status != http.StatusCreated || waiting.State != participation.StateWaitlisted || waiting.WaitlistPos != 1 {
			t.Fatalf("second enrolment: %d %s", res.Status, res.Body)
		}
		// A professional cannot enrol someone else, nor see their enrolment.
		if res := pw.prof.SendJSON("POST", fmt.Sprintf("/api/v1/editions/%d/enrolments", ed), map[string]any{"professional_id": other}); res.Status != http.StatusNotFound {
			t.Fatalf("professional enrolling another: %d", res.Status)
		}
		if res := pw.prof.Get(fmt.Sprintf("/api/v1/participations/%d", waiting.ID)); res.Status != http.StatusNotFound {
			t.Fatalf("professional reading another's participation: %d", res.Status)
		}
		// The professional cancels: the colleague is promoted.
		if res := pw.prof.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/cancel", mine.ID), nil); res.Status != http.StatusOK {
			t.Fatalf("cancel: %d %s", res.Status, res.Body)
		}
		res = org.Get(fmt.Sprintf("/api/v1/participations/%d", waiting.ID))
		res.JSON(t, &waiting)
		if waiting.State != participation.StateEnrolled {
			t.Fatalf("waiting list not promoted: %s", res.Body)
		}

		// The provider records a failed test: the completion gives no credits and says why.
		before := pw.levels(t, other)
		low := 0.5
		if res := pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/outcome", waiting.ID), participation.OutcomeInput{TestScore: &low}); res.Status != http.StatusOK {
			t.Fatalf("outcome: %d %s", res.Status, res.Body)
		}
		res = pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/complete", waiting.ID), participation.CompleteInput{Role: "P"})
		var failed struct {
			State  string `json:"state"`
			Reason string `json:"reason"`
		}
		res.JSON(t, &failed)
		if res.Status != http.StatusOK || failed.State != participation.StateFailed || !strings.Contains(failed.Reason, "75%") {
			t.Fatalf("complete with a failed test: %d %s", res.Status, res.Body)
		}
		// Then the right score: completed with the event's credits, and the lines move.
		good := 0.8
		pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/outcome", waiting.ID), participation.OutcomeInput{TestScore: &good})
		res = pw.provider.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/complete", waiting.ID), participation.CompleteInput{Role: "P"})
		var done participation.Participation
		res.JSON(t, &done)
		if done.State != participation.StateCompleted || done.Credits != 8 {
			t.Fatalf("completion: %s", res.Body)
		}
		// Training only raises levels: each move goes up, to the event's level at most.
		if len(done.Moves) == 0 {
			t.Fatalf("no line moved: %s", res.Body)
		}
		for _, mv := range done.Moves {
			if mv.To <= mv.From || mv.To > 3 {
				t.Fatalf("move %+v", mv)
			}
		}
		if after := pw.levels(t, other); after == before {
			t.Fatalf("stored levels did not change: %q", after)
		}
		// The organisation sees it in the colleague's training; a provider does not.
		res = org.Get(fmt.Sprintf("/api/v1/professionals/%d/training", other))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "PART-ENR-1") {
			t.Fatalf("organisation training view: %d %s", res.Status, res.Body)
		}
		if res := pw.provider.Get(fmt.Sprintf("/api/v1/professionals/%d/training", other)); res.Status != http.StatusForbidden {
			t.Fatalf("provider reading a professional's training: %d", res.Status)
		}
	})
}

// reportFor builds a rapporto evento of an edition with the given participants.
func reportFor(t *testing.T, pw partWorld, code string, day string, credits float64, people []rapporto.Participant) []byte {
	t.Helper()
	rep := rapporto.Report{Format: "xml", Event: &rapporto.Event{Code: code, Edition: 1, ProviderCode: pw.providerC, AccreditorCode: "090",
		Start: day, End: day, Credits: credits, Hours: 8, Type: 3, Audience: "E", Objective: 17, Participants: 30, Subtype: 1}, Participants: people}
	var b bytes.Buffer
	if err := rapporto.WriteXML(&b, rep); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Reports: import with an unknown professional, re-import, correction with its difference,
// export validated by xmllint, and the bad inputs of the issue.
func TestParticipationReports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		pw := startPartWorld(t, d)
		env := pw.env
		day := time.Now().UTC().AddDate(0, 0, -20).Format("2006-01-02")
		ed := pw.newEdition(t, "PART-REP-1", 30, day, day, 8)
		var colleagues []struct {
			cf, given, family string
			id                int64
		}
		rows, err := env.M.DB.Read.Query(`SELECT p.id, p.cf, p.given_name, p.family_name FROM professionals p JOIN professional_disciplines d ON d.professional_id = p.id
			WHERE d.profession_code = 14 AND p.id <> $1 ORDER BY p.id LIMIT 3`, pw.profID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c struct {
				cf, given, family string
				id                int64
			}
			rows.Scan(&c.id, &c.cf, &c.given, &c.family)
			colleagues = append(colleagues, c)
		}
		rows.Close()
		unknown, err := cf.Encode("Bianchi", "Nicolò", time.Date(1985, 3, 12, 0, 0, 0, 0, time.UTC), "M", "G702")
		if err != nil {
			t.Fatal(err)
		}
		nurse := []rapporto.Profession{{Code: 14, Disciplines: []int{85}}}
		people := []rapporto.Participant{
			{CF: pw.profCF, GivenName: "Chiara", FamilyName: "Lucchesi", Role: "P", Employment: "D", Credits: 8, AcquiredOn: day, Professions: nurse},
			{CF: colleagues[0].cf, GivenName: colleagues[0].given, FamilyName: colleagues[0].family, Role: "P", Employment: "D", Credits: 8, AcquiredOn: day, Professions: nurse},
			{CF: colleagues[1].cf, GivenName: colleagues[1].given, FamilyName: colleagues[1].family, Role: "D", Employment: "D", Credits: 8, AcquiredOn: day, Professions: nurse},
			{CF: unknown, GivenName: "Nicolò", FamilyName: "Bianchi", Role: "P", Employment: "L", Credits: 8, AcquiredOn: day, Professions: nurse},
		}
		body := reportFor(t, pw, "PART-REP-1", day, 8, people)
		before := pw.levels(t, pw.profID)
		res := pw.provider.Do("POST", "/api/v1/reports?name=rapporto.xml", bytes.NewReader(body), http.Header{"Content-Type": {"application/xml"}})
		var r participation.ImportResult
		res.JSON(t, &r)
		if res.Status != http.StatusOK || r.Added != 4 || r.CreatedProfessionals != 1 || r.EditionID != ed || r.LinesMoved == 0 {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
		if after := pw.levels(t, pw.profID); after == before {
			t.Fatal("the professional's levels did not move")
		}
		var status string
		env.M.DB.Read.QueryRow(`SELECT status FROM professionals WHERE cf = $1`, unknown).Scan(&status)
		if status != "pending" {
			t.Fatalf("unknown professional status %q, want pending", status)
		}
		var audits int
		env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'participation_report' AND entity_id = $1`, fmt.Sprint(r.ReportID)).Scan(&audits)
		if audits != 1 {
			t.Fatalf("%d audit entries for the report, want 1", audits)
		}
		// The same file again changes nothing.
		res = pw.provider.Do("POST", "/api/v1/reports", bytes.NewReader(body), http.Header{"Content-Type": {"application/xml"}})
		res.JSON(t, &r)
		if !r.AlreadyImported {
			t.Fatalf("re-import: %s", res.Body)
		}
		// The professional sees the training with the lines it moved.
		res = pw.prof.Get("/api/v1/training")
		if !strings.Contains(res.Body, "PART-REP-1") || !strings.Contains(res.Body, `"lines_moved"`) {
			t.Fatalf("my training: %s", res.Body)
		}

		// Export: the edition's XML validates against the schema with a real validator.
		res = pw.provider.Get(fmt.Sprintf("/api/v1/editions/%d/report", ed))
		if res.Status != http.StatusOK {
			t.Fatalf("export: %d %s", res.Status, res.Body)
		}
		rapportotest.Xmllint(t, []byte(res.Body))
		if !strings.Contains(res.Body, `nome="Nicolo"`) || !strings.Contains(res.Body, "ISO-8859-1") {
			t.Fatalf("exported names are not transliterated: %s", res.Body)
		}

		// A corrected report: one participant dropped, one credit changed.
		people2 := []rapporto.Participant{people[0], people[1], people[3]}
		people2[1].Credits = 6
		body2 := reportFor(t, pw, "PART-REP-1", day, 8, people2)
		res = pw.provider.Do("POST", "/api/v1/reports", bytes.NewReader(body2), http.Header{"Content-Type": {"application/xml"}})
		res.JSON(t, &r)
		if res.Status != http.StatusOK || r.Changed != 1 || r.Removed != 1 || r.Unchanged != 2 || r.Replaced == 0 {
			t.Fatalf("correction: %s", res.Body)
		}
		var withdrawn string
		env.M.DB.Read.QueryRow(`SELECT pa.state FROM participations pa JOIN professionals p ON p.id = pa.professional_id WHERE pa.edition_id = $1 AND p.cf = $2`, ed, colleagues[1].cf).Scan(&withdrawn)
		if withdrawn != participation.StateWithdrawn {
			t.Fatalf("dropped participant state %q", withdrawn)
		}

		// Bad input: every problem with its line, nothing written.
		var count0 int
		env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM participations`).Scan(&count0)
		head := "cod_fisc;nome;cognome;ruolo;lib_dip;cred_acq;data_acq;part_reclutato;sponsor;cod_prof.disciplina\r\n"
		// Two stages: the file's format first (every format problem with its line), then, for
		// a well-formed file, the content against the registry and the event.
		badFormat := head +
			"RSSMRA80A01H501X;Mario;Rossi;P;D;8;" + day + ";0;;14.85\r\n" + // wrong check character
			colleagues[2].cf + ";A;B;P;D;8;" + day + ";0;;14.85\r\n" +
			colleagues[2].cf + ";A;B;P;D;8;" + day + ";0;;14.85\r\n" // twice
		badContent := head +
			colleagues[2].cf + ";A;B;P;D;12;" + day + ";0;;14.85\r\n" + // above the event's credits
			pw.profCF + ";C;L;P;D;8;2001-01-01;0;;14.85\r\n" + // date outside the edition
			colleagues[0].cf + ";A;B;P;D;8;" + day + ";0;;17.91\r\n" // outside the audience
		for _, c := range []struct {
			body string
			want []string
		}{{badFormat, []string{`"line":2,"field":"cod_fisc"`, `"line":4,"field":"cod_fisc"`}},
			{badContent, []string{`"line":2,"field":"cred_acq"`, `"line":3,"field":"data_acq"`, `"line":4,"field":"cod_prof"`}}} {
			res = pw.provider.Do("POST", fmt.Sprintf("/api/v1/reports?edition_id=%d&name=bad.csv", ed), strings.NewReader(c.body), http.Header{"Content-Type": {"text/csv"}})
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("bad report: %d %s", res.Status, res.Body)
			}
			for _, want := range c.want {
				if !strings.Contains(res.Body, want) {
					t.Errorf("bad report: no problem %s in %s", want, res.Body)
				}
			}
		}
		var count1 int
		env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM participations`).Scan(&count1)
		if count1 != count0 {
			t.Fatalf("a refused report wrote %d participations", count1-count0)
		}

		// Another provider cannot report on this event.
		other, err := env.M.Registry.CreateOrganisation(env.Sys(), registry.OrganisationInput{Kind: registry.KindProvider, Code: "ALTRO-01", Name: "Altro provider"})
		if err != nil {
			t.Fatal(err)
		}
		user, pass := env.CreateUser("altro.provider", domain.RoleProvider, 0, other.ID, 0)
		alt := env.Client().Login(user, pass)
		res = alt.Do("POST", "/api/v1/reports", bytes.NewReader(body), http.Header{"Content-Type": {"application/xml"}})
		if res.Status != http.StatusForbidden || !strings.Contains(res.Body, pw.providerC) {
			t.Fatalf("another provider's report: %d %s", res.Status, res.Body)
		}
		if res := alt.Get(fmt.Sprintf("/api/v1/editions/%d/report", ed)); res.Status != http.StatusNotFound {
			t.Fatalf("another provider exporting: %d", res.Status)
		}

		// The providers' CSV for the same edition (Windows-1252, accents).
		csv := "cod_fisc;nome;cognome;ruolo;lib_dip;cred_acq;data_acq;part_reclutato;sponsor;cod_prof.disciplina\r\n" +
			colleagues[2].cf + ";Nicol\xf2;D'Amico;P;D;8,0;" + day + ";0;;14.85\r\n"
		res = pw.provider.Do("POST", fmt.Sprintf("/api/v1/reports?edition_id=%d&name=rapporto.csv", ed), strings.NewReader(csv), http.Header{"Content-Type": {"text/csv"}})
		res.JSON(t, &r)
		if res.Status != http.StatusOK || r.Format != "csv" || r.Participants != 1 {
			t.Fatalf("CSV report: %d %s", res.Status, res.Body)
		}

		// An event the catalogue does not know is created from the report, inside the report's
		// transaction: a fault after the event is written (injected with a trigger refusing the
		// report row) leaves no event behind.
		inject := []string{`CREATE TRIGGER fail_reports BEFORE INSERT ON participation_reports BEGIN SELECT RAISE(ABORT, 'injected fault'); END`}
		drop := []string{`DROP TRIGGER fail_reports`}
		if env.M.DB.IsPostgres() {
			inject = []string{`CREATE FUNCTION fail_reports() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`,
				`CREATE TRIGGER fail_reports BEFORE INSERT ON participation_reports FOR EACH ROW EXECUTE FUNCTION fail_reports()`}
			drop = []string{`DROP TRIGGER fail_reports ON participation_reports`, `DROP FUNCTION fail_reports()`}
		}
		for _, q := range inject {
			if _, err := env.M.DB.Write.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		res = pw.provider.Do("POST", "/api/v1/reports", bytes.NewReader(reportFor(t, pw, "NEW-FROM-REP", day, 8, people[:1])), http.Header{"Content-Type": {"application/xml"}})
		if res.Status != http.StatusInternalServerError {
			t.Fatalf("report failing after its event was written: %d %s", res.Status, res.Body)
		}
		var left int
		if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM events WHERE code = 'NEW-FROM-REP'`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("a failed report left %d events behind (%v)", left, err)
		}
		for _, q := range drop {
			if _, err := env.M.DB.Write.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		// Without the fault, the event is created, marked as such.
		res = pw.provider.Do("POST", "/api/v1/reports", bytes.NewReader(reportFor(t, pw, "NEW-FROM-REP", day, 8, people[:1])), http.Header{"Content-Type": {"application/xml"}})
		res.JSON(t, &r)
		if res.Status != http.StatusOK || !r.CreatedEvent {
			t.Fatalf("report of an unknown event: %d %s", res.Status, res.Body)
		}
		var origin string
		env.M.DB.Read.QueryRow(`SELECT origin FROM events WHERE code = 'NEW-FROM-REP'`).Scan(&origin)
		if origin != "report" {
			t.Fatalf("event origin %q", origin)
		}
	})
}
