package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/persona"
)

// personaPeople writes, with SQL while the registry is not merged, a region with an
// organisation and three professionals: a GP, a hospital nurse and a family nurse.
type personaPeople struct {
	region, org          int64
	gp, nurse, community int64
}

func personaRegistry(t *testing.T, x *db.DB) personaPeople {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := x.Write.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	one := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := x.Write.QueryRowContext(ctx, q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	exec(`INSERT INTO professions (code, name) VALUES (1, 'Medico chirurgo'), (14, 'Infermiere') ON CONFLICT (code) DO NOTHING`)
	exec(`INSERT INTO disciplines (code, profession_code, name) VALUES (58, 1, 'Medicina generale'), (85, 14, 'Infermiere') ON CONFLICT (code) DO NOTHING`)
	var p personaPeople
	// Lazio comes from the registry's reference data.
	p.region = one(`SELECT id FROM regions WHERE minsal_code = '120'`)
	now := db.Now()
	p.org = one(`INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at) VALUES ('asl', 'RM1', 'ASL Roma 1', 'asl roma 1', $1, $2, $2) RETURNING id`, p.region, now)
	prof := func(cf, setting string, profession, discipline int) int64 {
		id := one(`INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment, care_setting,
			created_at, updated_at) VALUES ($1, $1, 'Anna', 'Bianchi', 'bianchi anna', $2, $3, 'dipendente', $4, $5, $5) RETURNING id`, cf, p.region, p.org, setting, now)
		exec(`INSERT INTO professional_disciplines (professional_id, profession_code, discipline_code) VALUES ($1, $2, $3)`, id, profession, discipline)
		return id
	}
	p.gp = prof("BNCNNA70A41H501X", "territorio", 1, 58)
	p.nurse = prof("BNCNNA80A41H501Y", "ospedale", 14, 85)
	p.community = prof("BNCNNA90A41H501Z", "Territorio", 14, 85)
	return p
}

func TestPersonaJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		ctx := env.Sys()
		s := env.M.Persona
		// The real illustrative default portfolio (6/16/140) is published at start-up, and the
		// default personas are loaded on it by the persona start-up step.
		cur, err := s.CurrentFramework(ctx)
		if err != nil || cur.Code != persona.DefaultFrameworkCode {
			t.Fatalf("current framework: %+v %v", cur, err)
		}
		fid := cur.ID
		tree, err := s.Tree(ctx, fid)
		if err != nil {
			t.Fatal(err)
		}
		lines := map[string]int64{}
		for _, l := range tree.Lines() {
			lines[l.Code] = l.ID
		}
		_, otherLines := personaFramework(t, env.M.DB, "ESD-OTHER", "1.0", "draft")
		people := personaRegistry(t, env.M.DB)
		// The demo step: defaults are loaded and every professional profiled; running it again changes nothing.
		if err := env.M.LoadDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
		var n int
		env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM profiles WHERE framework_id = $1 AND professional_id IN ($2, $3, $4)`,
			fid, people.gp, people.nurse, people.community).Scan(&n)
		if n != 3 {
			t.Fatalf("demo should profile the 3 professionals, got %d", n)
		}
		if res, err := s.Reassign(ctx, 0, nil); err != nil || res.Changed != 0 {
			t.Fatalf("after the demo nothing is left to change: %+v %v", res, err)
		}
		admin := env.Client().Login("admin", apptest.AdminPassword)
		ru, rpw := env.CreateUser("ref_lazio", domain.RoleRegional, people.region, 0, 0)
		reg := env.Client().Login(ru, rpw)
		ou, opw := env.CreateUser("uf_rm1", domain.RoleOrganisation, 0, people.org, 0)
		org := env.Client().Login(ou, opw)
		pu, ppw := env.CreateUser("anna", domain.RoleProfessional, 0, 0, people.nurse)
		pro := env.Client().Login(pu, ppw)
		for _, c := range []*apptest.Client{reg, org, pro} {
			// Accounts created by CreateUser need no password change; make sure the home page answers.
			if r := c.Get("/"); r.Status != 200 {
				t.Fatalf("home: %d", r.Status)
			}
		}
		personaID := func(code string) int64 {
			var id int64
			if err := env.M.DB.Read.QueryRow(`SELECT id FROM personas WHERE framework_id = $1 AND code = $2`, fid, code).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		ifec, mmg := personaID("IFEC"), personaID("MMG-PLS")

		// Browsing: list, heat map, persona page, all labelled illustrative.
		res := pro.Get("/personas")
		if res.Status != 200 || !strings.Contains(res.Body, "MMG-PLS") || !strings.Contains(res.Body, `data-illustrative="true"`) || strings.Count(res.Body, `<a href="/personas/`) < 11 {
			t.Fatalf("persona list: %d %.300s", res.Status, res.Body)
		}
		res = pro.Get("/personas/heatmap")
		if res.Status != 200 || !strings.Contains(res.Body, `id="heatmap"`) || !strings.Contains(res.Body, "<caption>") || !strings.Contains(res.Body, `id="heatmap-numbers"`) {
			t.Fatalf("heat map: %d", res.Status)
		}
		var hm persona.Heatmap
		pro.Get("/api/v1/personas/heatmap").JSON(t, &hm)
		if len(hm.Rows) < 11 || len(hm.Areas) != 16 {
			t.Fatalf("heat map api: %d rows %d areas", len(hm.Rows), len(hm.Areas))
		}
		for i, a := range hm.Areas {
			for _, r := range hm.Rows {
				if r.Code == "IFEC" && a.Code == "D3.A2" && !strings.Contains(res.Body, r.Cells[i].Label("it")) {
					t.Fatalf("the page should show IFEC's telemonitoring mean %s", r.Cells[i].Label("it"))
				}
			}
		}
		res = pro.Get(fmt.Sprintf("/personas/%d?lang=en", ifec))
		if res.Status != 200 || !strings.Contains(res.Body, "Family and community nurse") || !strings.Contains(res.Body, "D3.A2.L06") {
			t.Fatalf("persona page in English: %d", res.Status)
		}
		pro.Get("/?lang=it")

		// National target editor: off-scale refused beside nothing saved, then a good save.
		line := lines["D3.A1.L03"] // conducting a televisit
		res = admin.PostForm(fmt.Sprintf("/personas/%d/targets", ifec), url.Values{fmt.Sprintf("min_%d", line): {"9"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "not on the scale") || !strings.Contains(res.Body, `id="problems"`) {
			t.Fatalf("off-scale target: %d %.200s", res.Status, res.Body)
		}
		var p persona.Persona
		admin.Get(fmt.Sprintf("/api/v1/personas/%d", ifec)).JSON(t, &p)
		if len(p.Targets) != 140 {
			t.Fatalf("refused form changed the targets: %+v", p.Targets)
		}
		form := url.Values{}
		for _, t := range p.Targets {
			if t.Required {
				form.Set(fmt.Sprintf("min_%d", t.LineID), fmt.Sprint(t.Min))
				if t.Max != t.Min {
					form.Set(fmt.Sprintf("max_%d", t.LineID), fmt.Sprint(t.Max))
				}
			}
		}
		form.Set(fmt.Sprintf("min_%d", line), "2")
		form.Set(fmt.Sprintf("max_%d", line), "3")
		form.Set(fmt.Sprintf("allow_%d", lines["D2.A1.L01"]), "1")
		if res := admin.PostForm(fmt.Sprintf("/personas/%d/targets", ifec), form); res.Status != http.StatusSeeOther {
			t.Fatalf("targets form: %d %.300s", res.Status, res.Body)
		}
		admin.Get(fmt.Sprintf("/api/v1/personas/%d", ifec)).JSON(t, &p)
		for _, tg := range p.Targets {
			if tg.LineID == line && (tg.Min != 2 || tg.Max != 3) {
				t.Fatalf("saved target: %+v", tg)
			}
			if tg.LineID == lines["D2.A1.L01"] && !tg.AllowLower {
				t.Fatalf("allow_lower not saved: %+v", tg)
			}
		}
		// A line of another version, through the API: refused with the reason.
		res = admin.SendJSON("PUT", fmt.Sprintf("/api/v1/personas/%d/targets", ifec), []map[string]any{{"line_id": otherLines["L1.2.1"], "required": true, "level": 2}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "belongs to framework version ESD-OTHER") {
			t.Fatalf("line of another version: %d %s", res.Status, res.Body)
		}
		for _, page := range []string{fmt.Sprintf("/personas/%d/edit", ifec), "/personas/new", "/assignment/run", "/assignment/rules"} {
			if r := admin.Get(page); r.Status != 200 {
				t.Fatalf("%s: %d", page, r.Status)
			}
		}

		// Regional overlay: raising is fine, lowering the national minimum is refused.
		tele := lines["D3.A2.L06"] // telecare by the health professions
		res = reg.SendJSON("PUT", fmt.Sprintf("/api/v1/personas/%d/overlays", ifec), map[string]any{"region_id": people.region,
			"targets": []map[string]any{{"line_id": tele, "required": true, "level": 1}, {"line_code": "D4.A3.L01", "required": true, "level": 5}}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "below the national minimum") || !strings.Contains(res.Body, "level 5 is not on the scale") {
			t.Fatalf("lowering overlay: %d %s", res.Status, res.Body)
		}
		if r := reg.Get(fmt.Sprintf("/personas/%d/overlay", ifec)); r.Status != 200 || !strings.Contains(r.Body, "Lazio") {
			t.Fatalf("overlay editor: %d", r.Status)
		}
		res = reg.PostForm(fmt.Sprintf("/personas/%d/overlay", ifec), url.Values{"region_id": {fmt.Sprint(people.region)},
			fmt.Sprintf("min_%d", lines["D4.A3.L01"]): {"3"}, "note": {"piano operativo regionale"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("overlay form: %d %.300s", res.Status, res.Body)
		}
		if r := pro.Get(fmt.Sprintf("/personas/%d", ifec)); !strings.Contains(r.Body, "piano operativo regionale") {
			t.Fatal("the persona page should list the regional overlay")
		}

		// Rules: the tester explains, a new rule re-assigns in the background.
		var x persona.Explanation
		org.SendJSON("POST", "/api/v1/assignment/test", map[string]any{"professional_id": people.community}).JSON(t, &x)
		if x.Persona == nil || x.Persona.Code != "IFEC" || x.Winner == nil || x.Winner.ProfessionCode != 14 || x.Winner.CareSetting != "territorio" {
			t.Fatalf("tester: %+v", x.Winner)
		}
		winners := 0
		for _, c := range x.Checks {
			if c.Winner {
				winners++
			}
		}
		if winners != 1 || len(x.Checks) < 20 {
			t.Fatalf("tester checks: %d winners of %d", winners, len(x.Checks))
		}
		res = reg.Get(fmt.Sprintf("/assignment/test?run=1&professional_id=%d", people.gp))
		if res.Status != 200 || !strings.Contains(res.Body, `id="tester-checks"`) || !strings.Contains(res.Body, "MMG-PLS") {
			t.Fatalf("tester page: %d", res.Status)
		}
		res = admin.PostForm("/assignment/rules", url.Values{"framework_id": {fmt.Sprint(fid)}, "persona_id": {fmt.Sprint(mmg)},
			"profession_code": {"14"}, "care_setting": {"ospedale"}, "priority": {"50"}, "note": {"prova"}})
		if res.Status != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "job=") {
			t.Fatalf("rule form: %d %s", res.Status, res.Header.Get("Location"))
		}
		env.M.Jobs.Wait()
		var pr persona.ProfileDetail
		org.Get(fmt.Sprintf("/api/v1/professionals/%d/profile", people.nurse)).JSON(t, &pr)
		if pr.Profile.PersonaCode != "MMG-PLS" || !pr.Profile.Stored {
			t.Fatalf("the rule change should have re-assigned the hospital nurse: %+v", pr.Profile)
		}
		ruleID := pr.Profile.RuleID
		if r := admin.Get(fmt.Sprintf("/assignment/rules/%d", ruleID)); r.Status != 200 || !strings.Contains(r.Body, "prova") {
			t.Fatalf("rule edit page: %d", r.Status)
		}
		if r := admin.PostForm(fmt.Sprintf("/assignment/rules/%d/delete", ruleID), nil); r.Status != http.StatusSeeOther {
			t.Fatalf("delete rule: %d", r.Status)
		}
		env.M.Jobs.Wait()

		// The re-assignment trigger shows the job's progress page.
		res = admin.PostForm("/assignment/run", url.Values{"framework_id": {fmt.Sprint(fid)}})
		loc := res.Header.Get("Location")
		if res.Status != http.StatusSeeOther || !regexp.MustCompile(`^/jobs/\d+$`).MatchString(loc) {
			t.Fatalf("run: %d %s", res.Status, loc)
		}
		env.M.Jobs.Wait()
		if r := admin.Get(loc); r.Status != 200 || !strings.Contains(r.Body, `data-state="done"`) {
			t.Fatalf("job page: %d %.500s", r.Status, r.Body)
		}
		var job struct {
			Job struct {
				State  string                   `json:"state"`
				Result []persona.ReassignResult `json:"result"`
			} `json:"job"`
		}
		admin.Get("/api/v1"+loc).JSON(t, &job)
		if job.Job.State != "done" || len(job.Job.Result) != 1 || job.Job.Result[0].Professionals < 3 {
			t.Fatalf("job result: %+v", job)
		}

		// The profile: explanation, effective targets with the regional overlay, override by the organisation.
		res = org.Get(fmt.Sprintf("/professionals/%d/profile", people.nurse))
		if res.Status != 200 || !strings.Contains(res.Body, "INF-OSP") || !strings.Contains(res.Body, `id="override-form"`) || !strings.Contains(res.Body, "BNCNNA80A41H501Y") {
			t.Fatalf("profile page: %d", res.Status)
		}
		res = org.PostForm(fmt.Sprintf("/professionals/%d/profile/override", people.nurse), url.Values{"persona_id": {fmt.Sprint(ifec)}, "reason": {""}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="e-reason"`) {
			t.Fatalf("override without reason: %d", res.Status)
		}
		res = org.PostForm(fmt.Sprintf("/professionals/%d/profile/override", people.nurse), url.Values{"persona_id": {fmt.Sprint(ifec)}, "reason": {"lavora in Casa della Comunità"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("override: %d %.300s", res.Status, res.Body)
		}
		org.Get(fmt.Sprintf("/api/v1/professionals/%d/profile", people.nurse)).JSON(t, &pr)
		if !pr.Profile.Manual || pr.Profile.PersonaCode != "IFEC" || pr.Profile.Author != "uf_rm1" {
			t.Fatalf("override stored: %+v", pr.Profile)
		}
		eff := map[string]persona.Target{}
		for _, tg := range pr.Targets {
			eff[tg.LineCode] = tg
		}
		if tg := eff["D4.A3.L01"]; tg.Min != 3 || tg.Source != "region" {
			t.Fatalf("regional overlay in the effective targets: %+v", tg)
		}
		if tg := eff["D3.A1.L03"]; tg.Min != 2 || tg.Max != 3 || tg.Source != "national" {
			t.Fatalf("national target in the effective targets: %+v", tg)
		}
		// The service API the assessment capability calls gives the same.
		ts, prof, err := s.EffectiveTargets(ctx, people.nurse)
		if err != nil || prof.PersonaCode != "IFEC" || len(ts) != len(pr.Targets) {
			t.Fatalf("EffectiveTargets: %d %+v %v", len(ts), prof, err)
		}
		if res, _ := s.Reassign(ctx, 0, nil); res.KeptManual != 1 {
			t.Fatalf("re-assignment must keep the override: %+v", res)
		}
		var entries []map[string]any
		admin.Get(fmt.Sprintf("/api/v1/audit?entity=profile&entity_id=%d", people.nurse)).JSON(t, &entries)
		if len(entries) != 1 || entries[0]["action"] != "override" || !strings.Contains(fmt.Sprint(entries[0]["after"]), "Casa della Comunit") {
			t.Fatalf("override audit: %+v", entries)
		}
		// The professional sees their own profile, without the override form.
		res = pro.Get("/profile")
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/professionals/%d/profile", people.nurse) {
			t.Fatalf("my profile: %d %s", res.Status, res.Header.Get("Location"))
		}
		res = pro.Get(res.Header.Get("Location"))
		if res.Status != 200 || strings.Contains(res.Body, `id="override-form"`) || !strings.Contains(res.Body, "lavora in Casa della Comunità") {
			t.Fatalf("own profile: %d", res.Status)
		}
		if r := pro.Get(fmt.Sprintf("/professionals/%d/profile", people.gp)); r.Status != http.StatusNotFound {
			t.Fatalf("another professional's profile: %d", r.Status)
		}
		if r := org.PostForm(fmt.Sprintf("/professionals/%d/profile/clear", people.nurse), nil); r.Status != http.StatusSeeOther {
			t.Fatalf("clear: %d", r.Status)
		}

		// The CLI command does the same pass.
		cmd, args, ok := app.FindCommand([]string{"persona", "reassign"})
		if !ok {
			t.Fatal("no persona reassign command")
		}
		out := env.Out.Len()
		if err := cmd.Run(app.System(context.Background()), env.M, args); err != nil {
			t.Fatal(err)
		}
		if got := env.Out.String()[out:]; !regexp.MustCompile(`Riassegnati \d+ professionisti`).MatchString(got) {
			t.Fatalf("cli output: %q", got)
		}
	})
}
