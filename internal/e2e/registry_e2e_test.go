package e2e

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/registry"
)

func countRows(t *testing.T, env *apptest.Env, q string, args ...any) int {
	t.Helper()
	var n int
	if err := env.M.DB.Read.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func wantIn(t *testing.T, res apptest.Response, status int, parts ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %.600s", res.Status, status, res.Body)
	}
	for _, p := range parts {
		if !strings.Contains(res.Body, p) {
			t.Fatalf("response lacks %q: %.1500s", p, res.Body)
		}
	}
}

func TestRegistryPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		nat := w.Clients[domain.RoleNational]
		p := w.ID(t, "professional.A")
		wantIn(t, nat.Get("/professionals"), 200, `id="professionals-table"`, "Rossi Mario", "Bortolazzi Mario", "<caption")
		wantIn(t, nat.Get("/professionals?q=bortolazzi"), 200, "Bortolazzi")
		wantIn(t, nat.Get("/professionals/"+itoa(p)), 200, "RSSMRA85T10A562S", "1985-12-10", "San Giuliano Terme", "AZIENDA USL TOSCANA CENTRO", "Infermiere")
		wantIn(t, nat.Get("/professionals/new"), 200, `id="choose-region"`)
		wantIn(t, nat.Get("/professionals/new?region_id=90"), 200, `id="professional-form"`, "AZIENDA USL TOSCANA CENTRO", `optgroup label="14 – Infermiere"`)
		wantIn(t, nat.Get("/professionals/"+itoa(p)+"/edit"), 200, `value="RSSMRA85T10A562S"`, `value="14.85" selected`)
		wantIn(t, nat.Get("/professionals/import"), 200, `id="import-file"`, `id="import-submit"`, "codice_fiscale", "Windows-1252")
		wantIn(t, nat.Get("/organisations?q=careggi"), 200, "CAREGGI", "Azienda ospedaliero-universitaria")
		wantIn(t, nat.Get("/organisations/"+itoa(w.ID(t, "org.A"))), 200, "090201", "Strutture collegate", "MEYER", `id="organisation-staff"`)
		wantIn(t, nat.Get("/organisations/new"), 200, `id="organisation-form"`)
		wantIn(t, nat.Get("/organisations/"+itoa(w.ID(t, "provider.A"))+"/edit"), 200, `value="WORLD-P-A"`)
		wantIn(t, nat.Get("/reference"), 200, "PA Bolzano/Bozen", "IT-BZ", "Medicina generale (medici di famiglia)", "sanità digitale")
		wantIn(t, nat.Get("/reference?objectives=2"), 200, "Elenco 2018")
		// The menu shows each role its entries.
		wantIn(t, w.Clients[domain.RoleProfessional].Get("/"), 200, `href="/professionals/me"`)
		if res := w.Clients[domain.RoleAnalyst].Get("/"); strings.Contains(res.Body, `href="/professionals"`) || !strings.Contains(res.Body, `href="/organisations"`) {
			t.Fatal("analyst menu")
		}
		// The organisation's office sees its staff only; the professional is sent to their record.
		org := w.Clients[domain.RoleOrganisation]
		res := org.Get("/professionals")
		wantIn(t, res, 200, "Rossi Mario")
		if strings.Contains(res.Body, "Niccolai") {
			t.Fatal("the organisation sees a GP of another organisation")
		}
		res = w.Clients[domain.RoleProfessional].Get("/professionals/me")
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/professionals/"+itoa(p) {
			t.Fatalf("me: %d %s", res.Status, res.Header.Get("Location"))
		}
		if res := w.Clients[domain.RoleProfessional].Get("/professionals/" + itoa(p)); strings.Contains(res.Body, `id="edit-professional"`) {
			t.Fatal("a professional is offered to edit their registry record")
		}
		// Forms: every problem beside its field; a good post redirects to the record.
		res = nat.PostForm("/professionals", url.Values{"codice_fiscale": {"RSSMRA85T10A562T"}, "family_name": {"=1+1"}, "given_name": {"Anna"},
			"region_id": {"90"}, "employment": {"dipendente"}, "care_setting": {"ospedale"}})
		wantIn(t, res, 422, `id="e-codice_fiscale"`, "carattere di controllo errato", `id="e-family_name"`, "formula", `id="e-professions"`, `aria-invalid="true"`, `id="form-error"`)
		code := freshCF()
		res = nat.PostForm("/professionals", url.Values{"codice_fiscale": {code}, "family_name": {"Dell'Acqua"}, "given_name": {"Niccolò"},
			"region_id": {"90"}, "organisation_id": {itoa(w.ID(t, "hospital.A"))}, "pair_1": {"1.58"}, "pair_2": {"14.85"},
			"employment": {"convenzionato"}, "care_setting": {"territorio"}, "job_role": {"formatore"}})
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/professionals/") {
			t.Fatalf("create: %d %.500s", res.Status, res.Body)
		}
		wantIn(t, nat.Get(res.Header.Get("Location")), 200, "Dell&#39;Acqua", "Niccolò", "Medicina generale", "Formatore")
		reg := w.Clients[domain.RoleRegional]
		res = reg.PostForm("/organisations", url.Values{"kind": {"provider"}, "code": {"REG-P-1"}, "name": {"Provider regionale"}, "region_id": {"90"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("create organisation: %d %.500s", res.Status, res.Body)
		}
		res = reg.PostForm("/organisations", url.Values{"kind": {"castello"}, "code": {""}, "name": {"X"}, "region_id": {"90"}})
		wantIn(t, res, 422, `id="e-kind"`, `id="e-code"`)
		// English (the switch sets a cookie: last).
		wantIn(t, nat.Get("/professionals/"+itoa(p)+"?lang=en"), 200, "Employee", "Hospital", `lang="en"`, "Professions and disciplines")
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestRegistryAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		nat := w.Clients[domain.RoleNational]
		var regions []registry.Region
		nat.Get("/api/v1/regions").JSON(t, &regions)
		if len(regions) != 21 || regions[9].ID != 90 || regions[9].ISOCode != "IT-52" {
			t.Fatalf("regions: %+v", regions)
		}
		var profs []registry.Profession
		nat.Get("/api/v1/professions").JSON(t, &profs)
		if len(profs) != 30 {
			t.Fatalf("professions: %d", len(profs))
		}
		org := w.Clients[domain.RoleOrganisation]
		res := org.SendJSON("POST", "/api/v1/professionals", map[string]any{"codice_fiscale": freshCF(), "family_name": "Api", "given_name": "Prova",
			"professions": []map[string]int{{"profession": 14}}, "employment": "dipendente", "care_setting": "ospedale"})
		wantIn(t, res, 201, `"organisation_id"`)
		var p registry.Professional
		res.JSON(t, &p)
		if p.OrganisationID != w.ID(t, "org.A") || p.RegionID != 90 || p.Professions[0].Discipline != 85 {
			t.Fatalf("created %+v", p)
		}
		// A bad input is a problem+json listing every field.
		res = org.SendJSON("POST", "/api/v1/professionals", map[string]any{"codice_fiscale": "RSSMRA85T10A562T", "family_name": "@x", "given_name": "",
			"professions": []map[string]int{{"profession": 14, "discipline": 58}}, "employment": "?", "care_setting": "ospedale"})
		wantIn(t, res, 422, `"code":"invalid"`, `"field":"codice_fiscale"`, `"field":"family_name"`, `"field":"given_name"`, `"field":"professions"`, `"field":"employment"`)
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("content type %s", ct)
		}
		// Unknown fields and duplicates.
		wantIn(t, org.SendJSON("POST", "/api/v1/professionals", map[string]any{"nonsense": 1}), 422, "unknown field")
		res = nat.SendJSON("POST", "/api/v1/professionals", map[string]any{"codice_fiscale": "rssmra85t10a562s", "family_name": "Rossi", "given_name": "Mario",
			"region_id": 90, "professions": []map[string]int{{"profession": 14}}, "employment": "dipendente", "care_setting": "ospedale"})
		wantIn(t, res, 409, `"field":"codice_fiscale"`)
		// Search, paging, update.
		var pg registry.ProfessionalPage
		nat.Get("/api/v1/professionals?q=rossi&per_page=1").JSON(t, &pg)
		if len(pg.Items) != 1 || pg.Items[0].CF != "RSSMRA85T10A562S" {
			t.Fatalf("search: %+v", pg)
		}
		in := map[string]any{"codice_fiscale": p.CF, "family_name": "Api", "given_name": "Prova", "email": "prova@example.it", "region_id": 90,
			"organisation_id": p.OrganisationID, "professions": []map[string]int{{"profession": 14}, {"profession": 1, "discipline": 58}},
			"employment": "dipendente", "care_setting": "territorio"}
		wantIn(t, org.SendJSON("PUT", "/api/v1/professionals/"+itoa(p.ID), in), 200, `"care_setting": "territorio"`, `"discipline": 58`)
		var orgs registry.OrganisationPage
		nat.Get("/api/v1/organisations?region_id=90&kind=asl").JSON(t, &orgs)
		if len(orgs.Items) != 3 {
			t.Fatalf("Tuscan ASL: %+v", orgs)
		}
		// The OpenAPI document has the registry's operations.
		wantIn(t, nat.Get("/api/v1/openapi.json"), 200, `"/api/v1/professionals/import"`, `"text/csv"`, `"/api/v1/organisations/{id}"`, "registry_ProfessionalInput")
	})
}

func postCSV(c *apptest.Client, path, body string) apptest.Response {
	return c.Do("POST", path, strings.NewReader(body), http.Header{"Content-Type": {"text/csv; charset=utf-8"}})
}

func TestRegistryImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		env := w.Env
		reg := w.Clients[domain.RoleRegional]
		head := "codice_fiscale;cognome;nome;email;professione;disciplina;regione;azienda;rapporto;setting;ruolo\n"
		good1, good2 := freshCF(), freshCF()
		rows := good1 + ";Bianchi;Anna;anna@example.it;14;85;090;090201;dipendente;ospedale;\n" +
			good2 + ";Verdi;Luca;;1.58:14.85;;Toscana;;convenzionato;territorio;clinico\n"
		before := countRows(t, env, `SELECT COUNT(*) FROM professionals`)
		audits := countRows(t, env, `SELECT COUNT(*) FROM audit_log`)
		// A bad row: a report with every problem, and nothing written.
		bad := head + rows + "RSSMRA85T10A562T;=Rossi;Mario;;14;85;090;;dipendente;ospedale;\n"
		res := postCSV(reg, "/api/v1/professionals/import", bad)
		wantIn(t, res, 422, `"line":4`, `"field":"codice_fiscale"`, `"field":"cognome"`, "formula", "non è stato importato nulla")
		if countRows(t, env, `SELECT COUNT(*) FROM professionals`) != before || countRows(t, env, `SELECT COUNT(*) FROM audit_log`) != audits {
			t.Fatal("a failed import wrote something")
		}
		// Rows of another region are errors for a regional referent.
		res = postCSV(reg, "/api/v1/professionals/import", head+freshCF()+";Zanin;Bepi;;14;85;050;;dipendente;ospedale;\n")
		wantIn(t, res, 422, "fuori dalla tua regione")
		// Dry run, then the import, then the same file again: nothing changes the second time.
		res = postCSV(reg, "/api/v1/professionals/import?dry_run=1", head+rows)
		wantIn(t, res, 200, `"created": 2`, `"applied": false`)
		res = postCSV(reg, "/api/v1/professionals/import", head+rows)
		wantIn(t, res, 200, `"created": 2`, `"applied": true`, `"encoding": "UTF-8"`)
		if countRows(t, env, `SELECT COUNT(*) FROM professionals`) != before+2 {
			t.Fatal("import did not write")
		}
		audits = countRows(t, env, `SELECT COUNT(*) FROM audit_log`)
		res = postCSV(reg, "/api/v1/professionals/import", head+rows)
		wantIn(t, res, 200, `"unchanged": 2`, `"created": 0`, `"updated": 0`)
		if countRows(t, env, `SELECT COUNT(*) FROM audit_log`) != audits {
			t.Fatal("re-import wrote audit entries")
		}
		// The audit trail has the rows, searchable by the regional referent.
		wantIn(t, reg.Get("/api/v1/audit?entity=professional&action=create"), 200, good1)
		// A 10 MB line is refused with a clear error; so is a body over the limit.
		res = postCSV(reg, "/api/v1/professionals/import", head+freshCF()+";"+strings.Repeat("A", 10<<20)+"\n")
		wantIn(t, res, 422, "più lunga di")
		// A body over the API's limit is refused as too large, whatever it holds.
		huge := head + strings.Repeat("\n", registry.MaxImportBytes+10)
		wantIn(t, postCSV(reg, "/api/v1/professionals/import", huge), 413, "too large")
		// Providers and analysts cannot import.
		for _, r := range []domain.Role{domain.RoleProvider, domain.RoleAnalyst, domain.RoleProfessional} {
			if res := postCSV(w.Clients[r], "/api/v1/professionals/import", head+rows); res.Status != 403 {
				t.Fatalf("%s import: %d", r, res.Status)
			}
		}

		// The same through the page: an upload with a bad row shows the problems table.
		upload := func(c *apptest.Client, body string, extra map[string]string) apptest.Response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", "personale.csv")
			fw.Write([]byte(body))
			for k, v := range extra {
				mw.WriteField(k, v)
			}
			mw.Close()
			return c.Do("POST", "/professionals/import", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
		}
		n := countRows(t, env, `SELECT COUNT(*) FROM professionals`)
		res = upload(reg, bad, nil)
		wantIn(t, res, 422, `id="problems"`, "<td>4</td>", "formula", `id="import-file"`)
		if countRows(t, env, `SELECT COUNT(*) FROM professionals`) != n {
			t.Fatal("failed upload wrote")
		}
		good3 := freshCF()
		// Windows-1252, comma-separated, as an older Excel saves it.
		latin := []byte("Codice Fiscale,Cognome,Nome,Professione,Disciplina,Regione,Rapporto,Setting\r\n" + good3 + ",Nard\xf2,Nicol\xf2,14,85,090,dipendente,ospedale\r\n")
		res = upload(reg, string(latin), nil)
		wantIn(t, res, 200, `id="import-result"`, "Windows-1252", "separatore «,»")
		var fam string
		if err := env.M.DB.Read.QueryRow(`SELECT family_name FROM professionals WHERE cf = $1`, good3).Scan(&fam); err != nil || fam != "Nardò" {
			t.Fatalf("decoded %q %v", fam, err)
		}
		// In the background: the page redirects to the job's progress page, which ends with
		// the report.
		res = upload(reg, bad, map[string]string{"background": "1"})
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/jobs/") {
			t.Fatalf("background: %d %.300s", res.Status, res.Body)
		}
		job := waitJob(t, reg, res.Header.Get("Location"))
		wantIn(t, job, 200, `data-state="failed"`, `id="problems"`, "formula")
		res = upload(reg, head+freshCF()+";Gialli;Ada;;14;85;090;;dipendente;ospedale;\n", map[string]string{"background": "1"})
		job = waitJob(t, reg, res.Header.Get("Location"))
		wantIn(t, job, 200, `data-state="done"`, `&#34;created&#34;:1`)
		// And from the API, asynchronously.
		res = postCSV(reg, "/api/v1/professionals/import?async=1", head+freshCF()+";Neri;Ugo;;14;85;090;;dipendente;ospedale;\n")
		wantIn(t, res, 200, `"job_id"`)
		var jb registry.ImportJob
		res.JSON(t, &jb)
		waitJob(t, reg, jb.Page)
		var jv struct {
			Job struct {
				State  string                `json:"state"`
				Result registry.ImportResult `json:"result"`
			} `json:"job"`
		}
		reg.Get(jb.API).JSON(t, &jv)
		if jv.Job.State != "done" || jv.Job.Result.Created != 1 {
			t.Fatalf("async job: %+v", jv)
		}
		// Someone else's job is not found.
		if res := w.Clients[domain.RoleOrganisation].Get(jb.Page); res.Status != 404 {
			t.Fatalf("other's job: %d", res.Status)
		}

		// The command line: esd import professionals FILE.
		file := filepath.Join(t.TempDir(), "personale.csv")
		cliCF := freshCF()
		if err := os.WriteFile(file, []byte(head+cliCF+";Cli;Rosa;;14;85;090;090201;dipendente;ospedale;\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd, args, ok := app.FindCommand([]string{"import", "professionals", file, "--dry-run"})
		if !ok {
			t.Fatal("no import professionals command")
		}
		out := env.Out.Len()
		if err := cmd.Run(app.System(context.Background()), env.M, args); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(env.Out.String()[out:], "1 inseriti") || countRows(t, env, `SELECT COUNT(*) FROM professionals WHERE cf = $1`, cliCF) != 0 {
			t.Fatalf("dry run: %s", env.Out.String()[out:])
		}
		_, args, _ = app.FindCommand([]string{"import", "professionals", file})
		if err := cmd.Run(app.System(context.Background()), env.M, args); err != nil {
			t.Fatal(err)
		}
		if countRows(t, env, `SELECT COUNT(*) FROM professionals WHERE cf = $1`, cliCF) != 1 {
			t.Fatal("CLI import did not write")
		}
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		_, args, _ = app.FindCommand([]string{"import", "professionals", file})
		err := cmd.Run(app.System(context.Background()), env.M, args)
		if e := domain.AsError(err); e == nil || len(e.Details) < 2 || e.Details[0].Line != 4 {
			t.Fatalf("CLI bad file: %v", err)
		}
	})
}

var jobState = regexp.MustCompile(`data-state="(\w+)"`)

// waitJob polls a job page until the job ends (the page's own script polls the API the
// same way) and returns the final page.
func waitJob(t *testing.T, c *apptest.Client, page string) apptest.Response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := c.Get(page)
		m := jobState.FindStringSubmatch(res.Body)
		if res.Status != 200 || m == nil {
			t.Fatalf("job page %s: %d %.300s", page, res.Status, res.Body)
		}
		if m[1] != "running" {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still running", page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRegistryDemo(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		out := env.Out.String()
		for _, u := range []string{"demo.nazionale", "demo.regione", "demo.azienda", "demo.provider", "demo.professionista", "demo.analista"} {
			if !strings.Contains(out, u) {
				t.Fatalf("demo login %s not printed: %s", u, out)
			}
		}
		ids, err := registry.DemoIDs(context.Background(), env.M.DB)
		if err != nil {
			t.Fatal(err)
		}
		if ids.RegionID != 90 || len(ids.ASLIDs) != 3 || len(ids.HospitalIDs) < 5 || ids.ProviderID == 0 || len(ids.ProfessionalIDs) != 300 {
			t.Fatalf("demo ids: %+v", ids)
		}
		// Professions in national proportions, with GPs and family paediatricians.
		nurses := countRows(t, env, `SELECT COUNT(*) FROM professional_disciplines WHERE profession_code = 14`)
		physicians := countRows(t, env, `SELECT COUNT(*) FROM professional_disciplines WHERE profession_code = 1`)
		gps := countRows(t, env, `SELECT COUNT(*) FROM professional_disciplines WHERE profession_code = 1 AND discipline_code IN (58, 60)`)
		if nurses < 75 || nurses > 135 || physicians < 65 || physicians > 130 || gps < 5 {
			t.Fatalf("demo mix: %d nurses, %d physicians, %d GPs/PLS", nurses, physicians, gps)
		}
		// Each demo role sees its own scope.
		login := func(u, pw string) *apptest.Client { return env.Client().Login(u, pw) }
		me := login("demo.professionista", "esd-demo-professionista")
		res := me.Get("/professionals/me")
		if res.Header.Get("Location") != "/professionals/"+itoa(ids.ProfessionalID) {
			t.Fatalf("demo professional: %d %s", res.Status, res.Header.Get("Location"))
		}
		wantIn(t, me.Get("/professionals/"+itoa(ids.ProfessionalID)), 200, "Lucchesi", ids.ProfessionalCF)
		var pg registry.ProfessionalPage
		login("demo.azienda", "esd-demo-azienda").Get("/api/v1/professionals?per_page=200").JSON(t, &pg)
		if len(pg.Items) == 0 {
			t.Fatal("demo.azienda sees nobody")
		}
		for _, p := range pg.Items {
			if p.OrganisationID != ids.ASLID {
				t.Fatalf("demo.azienda sees %+v", p)
			}
		}
		login("demo.regione", "esd-demo-regione").Get("/api/v1/professionals?per_page=200").JSON(t, &pg)
		if len(pg.Items) != 200 || !pg.HasMore {
			t.Fatalf("demo.regione: %d", len(pg.Items))
		}
		if res := login("demo.analista", "esd-demo-analista").Get("/api/v1/professionals"); res.Status != 403 {
			t.Fatalf("analyst: %d", res.Status)
		}
		if res := login("demo.provider", "esd-demo-provider").Get("/organisations/" + itoa(ids.ProviderID)); res.Status != 200 {
			t.Fatalf("provider: %d", res.Status)
		}
		wantIn(t, login("demo.nazionale", "esd-demo-nazionale").Get("/professionals"), 200, "Toscana")
		// Loading the demo again changes nothing (once the badges the demo earned are issued).
		waitBadgeQueue(t, env)
		audits := countRows(t, env, `SELECT COUNT(*) FROM audit_log`)
		if err := env.M.LoadDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
		if countRows(t, env, `SELECT COUNT(*) FROM audit_log`) != audits || countRows(t, env, `SELECT COUNT(*) FROM professionals`) != 300 {
			rows, _ := env.M.DB.Read.Query(`SELECT action, entity FROM audit_log ORDER BY id DESC LIMIT 5`)
			var got []string
			for rows != nil && rows.Next() {
				var a, e string
				_ = rows.Scan(&a, &e)
				got = append(got, a+" "+e)
			}
			if rows != nil {
				rows.Close()
			}
			t.Fatalf("second demo load wrote something; last audit entries: %v", got)
		}
	})
}
