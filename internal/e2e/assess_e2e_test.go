package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/assess"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/pdfdoc/pdftest"
)

var (
	reHidden   = regexp.MustCompile(`name="(q|rev|item)" value="(\d+)"`)
	reRadio    = regexp.MustCompile(`type="radio" name="choice" id="c-(\d+)" value="(\d+)"`)
	reDuration = regexp.MustCompile(`Durata prevista: circa (\d+) minuti`)
)

func hiddenFields(body string) map[string]string {
	m := map[string]string{}
	for _, x := range reHidden.FindAllStringSubmatch(body, -1) {
		m[x[1]] = x[2]
	}
	return m
}

func location(t *testing.T, res apptest.Response) string {
	t.Helper()
	if res.Status != http.StatusSeeOther {
		t.Fatalf("want a redirect, got %d: %.400s", res.Status, res.Body)
	}
	return res.Header.Get("Location")
}

// The journey of the "done when", in the browser's way (forms, no JavaScript): a
// professional takes, pauses, resumes and finishes an assessment, sees the result and the
// gaps, their organisation agrees the objectives, and the dossier is downloaded.
func TestAssessJourneyInTheBrowser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		fx := newAssessFix(t, env)
		_, org, prof := assessPlace(t, env, "09", "J1", "BNCGLI80A41H501X")
		fx.target(prof)
		pc := env.Client().Login(env.CreateUser("giulia", domain.RoleProfessional, 0, 0, prof))
		oc := env.Client().Login(env.CreateUser("ufficio", domain.RoleOrganisation, 0, org, 0))

		start := pc.Get("/assessment")
		m := reDuration.FindStringSubmatch(start.Body)
		if start.Status != 200 || m == nil {
			t.Fatalf("start page: %d %.600s", start.Status, start.Body)
		}
		if mins, _ := strconv.Atoi(m[1]); mins < 1 || mins >= 20 {
			t.Fatalf("expected duration %d minutes", mins)
		}
		if !strings.Contains(start.Body, `data-illustrative="true"`) {
			t.Error("the illustrative portfolio is not labelled on the start page")
		}
		loc := location(t, pc.PostForm("/assessment", nil))
		if !strings.HasPrefix(loc, "/assessments/") {
			t.Fatalf("start went to %s", loc)
		}
		id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/assessments/")
		page := pc.Get(loc)
		for _, want := range []string{"<fieldset", "<legend", `type="radio"`, `name="nav" value="next"`, `name="nav" value="pause"`, `role="progressbar"`} {
			if !strings.Contains(page.Body, want) {
				t.Fatalf("question page lacks %q", want)
			}
		}
		// Avanti without a choice on an unanswered question: the same page, with the error beside the group.
		h := hiddenFields(page.Body)
		res := pc.PostForm("/assessments/"+id+"/answer", url.Values{"q": {h["q"]}, "rev": {h["rev"]}, "nav": {"next"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Scegli una risposta") || !strings.Contains(res.Body, `aria-describedby="e-choice"`) {
			t.Fatalf("next without a choice: %d %.300s", res.Status, res.Body)
		}
		right := fx.rightAnswers()
		answer := func(loc, nav string) string {
			page := pc.Get(loc)
			h := hiddenFields(page.Body)
			radios := reRadio.FindAllStringSubmatch(page.Body, -1)
			if page.Status != 200 || len(radios) < 2 {
				t.Fatalf("question page %s: %d %.300s", loc, page.Status, page.Body)
			}
			choice := "2"
			if h["item"] != "" {
				item, _ := strconv.ParseInt(h["item"], 10, 64)
				choice = strconv.Itoa(right[item])
			}
			return location(t, pc.PostForm("/assessments/"+id+"/answer", url.Values{"q": {h["q"]}, "rev": {h["rev"]}, "item": {h["item"]}, "choice": {choice}, "nav": {nav}}))
		}
		for i := 0; i < 3; i++ {
			loc = answer(loc, "next")
		}
		// Pause on the fourth question: its answer is saved too, and the start page resumes after it.
		if next := answer(loc, "pause"); next != "/assessment?paused=1" {
			t.Fatalf("pause went to %s", next)
		}
		start = pc.Get("/assessment?paused=1")
		if !strings.Contains(start.Body, "sospesa") || !strings.Contains(start.Body, `href="/assessments/`+id+`?q=5"`) {
			t.Fatalf("resume link: %.800s", start.Body)
		}
		loc = "/assessments/" + id + "?q=5"
		for strings.Contains(loc, "?q=") && !strings.HasSuffix(loc, "q=-1") {
			loc = answer(loc, "next")
		}
		end := pc.Get(loc)
		if !strings.Contains(end.Body, "Hai risposto a tutte le domande") {
			t.Fatalf("end page: %.500s", end.Body)
		}
		// Two tabs: both show question 1 at the same revision; tab B changes it, tab A's stale answer is refused.
		tabA := hiddenFields(pc.Get("/assessments/" + id + "?q=1").Body)
		if res := pc.PostForm("/assessments/"+id+"/answer", url.Values{"q": {"1"}, "rev": {tabA["rev"]}, "choice": {"3"}, "nav": {"next"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("tab B: %d", res.Status)
		}
		res = pc.PostForm("/assessments/"+id+"/answer", url.Values{"q": {"1"}, "rev": {tabA["rev"]}, "choice": {"1"}, "nav": {"next"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "in un&#39;altra scheda") || !strings.Contains(res.Body, `id="c-3" value="3" checked`) {
			t.Fatalf("stale tab A: %d %.1200s", res.Status, res.Body)
		}
		// Finish, then finish again from the other tab.
		if loc := location(t, pc.PostForm("/assessments/"+id+"/finish", nil)); loc != "/assessments/"+id+"/result" {
			t.Fatalf("finish went to %s", loc)
		}
		result := pc.Get("/assessments/" + id + "/result")
		if result.Status != 200 || !strings.Contains(result.Body, "Livello 3 – Avanzato perché") || !strings.Contains(result.Body, "Livello 2 – Intermedio perché") ||
			!strings.Contains(result.Body, "Consultazione del FSE durante la presa in carico") {
			t.Fatalf("result: %d %.500s", result.Status, result.Body)
		}
		again := pc.PostForm("/assessments/"+id+"/finish", nil)
		if again.Status != 200 || !strings.Contains(again.Body, "già stata conclusa") {
			t.Fatalf("second finish: %d %.300s", again.Status, again.Body)
		}
		// Gaps: radar chart with its table.
		gaps := pc.Get(fmt.Sprintf("/professionals/%d/gaps", prof))
		for _, want := range []string{`<svg`, `role="img"`, `id="gaps-areas"`, `<caption>`, "Televisita e teleconsulto", "FSE 2.0 nella pratica professionale"} {
			if !strings.Contains(gaps.Body, want) {
				t.Fatalf("gaps page lacks %q: %.300s", want, gaps.Body)
			}
		}
		// The organisation sees the objectives but not the levels (default policy)…
		if res := oc.Get(fmt.Sprintf("/professionals/%d/gaps", prof)); res.Status != http.StatusForbidden {
			t.Fatalf("org sees gaps by default: %d", res.Status)
		}
		objs := oc.Get(fmt.Sprintf("/professionals/%d/objectives", prof))
		if objs.Status != 200 || !strings.Contains(objs.Body, `id="agree"`) || strings.Contains(objs.Body, " → 3") {
			t.Fatalf("org objectives page: %d %.500s", objs.Status, objs.Body)
		}
		// …and agrees them.
		location(t, oc.PostForm(fmt.Sprintf("/professionals/%d/objectives/agree", prof), nil))
		mine := pc.Get("/assessment/objectives")
		mine = pc.Get(location(t, mine))
		if !strings.Contains(mine.Body, "concordato") || strings.Contains(mine.Body, ">bozza<") {
			t.Fatalf("objectives after agreement: %.800s", mine.Body)
		}
		// The dossier: a printable page, a PDF and a CSV.
		pdf := pc.Get(fmt.Sprintf("/professionals/%d/dossier.pdf", prof))
		if pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Body, "%PDF-") || !strings.Contains(pdftest.Flat(pdftest.Text(t, []byte(pdf.Body))), "Dossier formativo individuale ESD") {
			t.Fatalf("dossier PDF: %s %.100s", pdf.Header.Get("Content-Type"), pdf.Body)
		}
		csv := oc.Get(fmt.Sprintf("/professionals/%d/dossier.csv", prof))
		if !strings.HasPrefix(csv.Body, "\ufefftriennio;obiettivo_ecm") || !strings.Contains(csv.Body, ";17;") || !strings.Contains(csv.Body, "concordato") {
			t.Fatalf("dossier CSV: %.400s", csv.Body)
		}
		if page := pc.Get(fmt.Sprintf("/professionals/%d/dossier", prof)); page.Status != 200 || !strings.Contains(page.Body, "Obiettivo formativo ECM 17") {
			t.Fatalf("dossier page: %d %.300s", page.Status, page.Body)
		}
		// With the policy changed, the organisation sees the levels.
		location(t, oc.PostForm("/assessment/policy", url.Values{"org": {fmt.Sprint(org)}, "show_levels": {"1"}}))
		if res := oc.Get(fmt.Sprintf("/professionals/%d/gaps", prof)); res.Status != 200 {
			t.Fatalf("org with the policy on: %d", res.Status)
		}
		staff := oc.Get("/assessment/staff")
		if !strings.Contains(staff.Body, "Bianchi Giulia") || !strings.Contains(staff.Body, "conclusa") {
			t.Fatalf("staff page: %.600s", staff.Body)
		}
		// The audit trail records that answers were given, never what they were.
		var n int
		env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'assessment' AND action = 'answer' AND after_json LIKE '%choice%'`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d audit entries hold answers", n)
		}
	})
}

// The same through the JSON API, with the bad inputs of the issue.
func TestAssessAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		fx := newAssessFix(t, env)
		_, org, prof := assessPlace(t, env, "09", "API1", "RSSLRA85M41F205Z")
		fx.target(prof)
		pc := env.Client().Login(env.CreateUser("laura", domain.RoleProfessional, 0, 0, prof))
		oc := env.Client().Login(env.CreateUser("ufficio2", domain.RoleOrganisation, 0, org, 0))
		var pv assess.Preview
		if res := pc.Get("/api/v1/assessments/preview"); res.Status != 200 {
			t.Fatalf("preview %d %s", res.Status, res.Body)
		} else {
			res.JSON(t, &pv)
		}
		var a assess.Assessment
		res := pc.SendJSON("POST", "/api/v1/assessments", nil)
		if res.Status != http.StatusCreated {
			t.Fatalf("start: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &a)
		if a.ExpectedSeconds != pv.ExpectedSeconds || a.Questions != pv.SelfQuestions+pv.Knowledge {
			t.Fatalf("assessment %+v vs preview %+v", a, pv)
		}
		var det assess.AssessmentDetail
		pc.Get(fmt.Sprintf("/api/v1/assessments/%d", a.ID)).JSON(t, &det)
		right := fx.rightAnswers()
		base := fmt.Sprintf("/api/v1/assessments/%d", a.ID)
		rev := 0
		for _, q := range det.Questions {
			c := 1
			if q.Kind == assess.ItemKnowledge {
				c = right[q.ItemID]
			}
			var ar assess.AnswerResult
			res := pc.SendJSON("POST", base+"/answers", assess.AnswerInput{Question: q.Position, ItemID: q.ItemID, Choice: c, Revision: rev})
			if res.Status != 200 {
				t.Fatalf("answer %d: %d %s", q.Position, res.Status, res.Body)
			}
			res.JSON(t, &ar)
			rev = ar.Assessment.Revision
		}
		// Bad input: a question or item that is not in the assessment; a replay; a stale revision.
		for _, in := range []assess.AnswerInput{{Question: 500, Choice: 1}, {ItemID: 99999, Choice: 1}, {Question: 1, Choice: 17}} {
			if res := pc.SendJSON("POST", base+"/answers", in); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Header.Get("Content-Type"), "problem+json") {
				t.Fatalf("bad answer %+v: %d %s", in, res.Status, res.Body)
			}
		}
		var ar assess.AnswerResult
		pc.SendJSON("POST", base+"/answers", assess.AnswerInput{Question: 1, Choice: 1, Revision: 1}).JSON(t, &ar)
		if !ar.Duplicate || ar.Assessment.Revision != rev {
			t.Fatalf("replay: %+v", ar)
		}
		if res := pc.SendJSON("POST", base+"/answers", assess.AnswerInput{Question: 1, Choice: 4, Revision: rev}); res.Status != 200 {
			t.Fatalf("change q1: %d", res.Status)
		}
		if res := pc.SendJSON("POST", base+"/answers", assess.AnswerInput{Question: 1, Choice: 2, Revision: rev}); res.Status != http.StatusConflict || !strings.Contains(res.Body, "another tab") {
			t.Fatalf("stale: %d %s", res.Status, res.Body)
		}
		// Another professional and the organisation cannot see or touch the answers.
		if res := oc.Get(base); res.Status != http.StatusForbidden && res.Status != http.StatusNotFound {
			t.Fatalf("org reads answers: %d", res.Status)
		}
		if res := pc.SendJSON("POST", base+"/finish", nil); res.Status != 200 {
			t.Fatalf("finish: %d %s", res.Status, res.Body)
		}
		if res := pc.SendJSON("POST", base+"/finish", nil); res.Status != http.StatusConflict || !strings.Contains(res.Body, "already finished") {
			t.Fatalf("second finish: %d %s", res.Status, res.Body)
		}
		var r assess.Result
		pc.Get(base+"/result").JSON(t, &r)
		if len(r.Lines) != 8 || r.Lines[0].Explanation == "" {
			t.Fatalf("result %+v", r)
		}
		var g assess.Gaps
		pc.Get(fmt.Sprintf("/api/v1/professionals/%d/gaps", prof)).JSON(t, &g)
		if g.TotalGap == 0 || g.Lines[0].Gap < g.Lines[len(g.Lines)-1].Gap || len(g.Areas) != 4 || len(g.Dimensions) != 3 {
			t.Fatalf("gaps %+v", g)
		}
		var ov assess.ObjectivesView
		pc.Get(fmt.Sprintf("/api/v1/professionals/%d/objectives", prof)).JSON(t, &ov)
		if len(ov.Individual) == 0 || ov.Individual[0].State != assess.ObjDraft {
			t.Fatalf("objectives %+v", ov)
		}
		first := ov.Individual[0]
		// The professional adjusts a draft; bad values are refused with the field named.
		if res := pc.SendJSON("PATCH", fmt.Sprintf("/api/v1/objectives/%d", first.ID), assess.ObjectiveInput{TargetLevel: 4, DueDate: "2031-01-01", Priority: 1}); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `"field":"due_date"`) {
			t.Fatalf("bad due date: %d %s", res.Status, res.Body)
		}
		var adj assess.Objective
		res = pc.SendJSON("PATCH", fmt.Sprintf("/api/v1/objectives/%d", first.ID), assess.ObjectiveInput{TargetLevel: 4, DueDate: "2027-06-30", Priority: 1, Note: "Corso regionale"})
		if res.Status != 200 {
			t.Fatalf("adjust: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &adj)
		if adj.TargetLevel != 4 || !adj.Adjusted {
			t.Fatalf("adjusted %+v", adj)
		}
		if res := oc.SendJSON("PATCH", fmt.Sprintf("/api/v1/objectives/%d", first.ID), assess.ObjectiveInput{TargetLevel: 2, DueDate: "2027-06-30", Priority: 1}); res.Status != http.StatusForbidden {
			t.Fatalf("org adjusts: %d", res.Status)
		}
		var cnt assess.Count
		oc.SendJSON("POST", fmt.Sprintf("/api/v1/professionals/%d/objectives/agree", prof), nil).JSON(t, &cnt)
		if cnt.Count != len(ov.Individual) {
			t.Fatalf("agreed %d of %d", cnt.Count, len(ov.Individual))
		}
		var moved assess.Objective
		pc.SendJSON("POST", fmt.Sprintf("/api/v1/objectives/%d/state", first.ID), assess.StateInput{State: "in_progress"}).JSON(t, &moved)
		if moved.State != assess.ObjInProgress {
			t.Fatalf("start objective: %+v", moved)
		}
		if res := pc.SendJSON("POST", fmt.Sprintf("/api/v1/objectives/%d/state", first.ID), assess.StateInput{State: "achieved"}); res.Status != http.StatusForbidden {
			t.Fatalf("professional confirms achievement: %d", res.Status)
		}
		// Evidence recorded by the organisation (a supervisor validation) reaches the target: achieved.
		ev := assess.EvidenceInput{LineCode: first.LineCode, Level: 4, Source: assess.SourceValidation, Pointer: "verbale 12/2027"}
		if res := oc.SendJSON("POST", fmt.Sprintf("/api/v1/professionals/%d/evidence", prof), ev); res.Status != http.StatusCreated {
			t.Fatalf("validation: %d %s", res.Status, res.Body)
		}
		pc.Get(fmt.Sprintf("/api/v1/professionals/%d/objectives", prof)).JSON(t, &ov)
		for _, o := range ov.Individual {
			if o.ID == first.ID && o.State != assess.ObjAchieved {
				t.Fatalf("objective after validation: %+v", o)
			}
		}
		var dos assess.Dossier
		oc.Get(fmt.Sprintf("/api/v1/professionals/%d/dossier", prof)).JSON(t, &dos)
		if dos.Total != len(ov.Individual) || len(dos.Sections) == 0 || dos.Triennium != "2026-2028" {
			t.Fatalf("dossier %+v", dos)
		}
		// A follow-up assessment measures the change.
		res = pc.SendJSON("POST", "/api/v1/assessments", nil)
		var b assess.Assessment
		res.JSON(t, &b)
		if b.Kind != assess.KindFollowUp || b.PreviousID != a.ID {
			t.Fatalf("follow-up %+v", b)
		}
		fx.answerAll(domain.WithActor(env.Sys(), domain.Actor{Role: domain.RoleProfessional, ProfessionalID: prof, Username: "laura"}), b.ID, 2)
		if res := pc.SendJSON("POST", fmt.Sprintf("/api/v1/assessments/%d/finish", b.ID), nil); res.Status != 200 {
			t.Fatalf("finish follow-up: %d %s", res.Status, res.Body)
		}
		var r2 assess.Result
		pc.Get(fmt.Sprintf("/api/v1/assessments/%d/result", b.ID)).JSON(t, &r2)
		if !r2.FollowUp || r2.Improved == 0 || r2.Lines[0].Previous == nil {
			t.Fatalf("follow-up result: improved %d, first %+v", r2.Improved, r2.Lines[0].LineScore)
		}
	})
}

// The item bank round-trips through CSV and JSON, and a bad file is refused whole with every
// bad row reported.
func TestAssessBankImportExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		fx := newAssessFix(t, env)
		nc := env.Client().Login("admin", apptest.AdminPassword)
		var banks []assess.Bank
		nc.Get("/api/v1/item-banks").JSON(t, &banks)
		if len(banks) != 1 || banks[0].FrameworkID != fx.fw || banks[0].State != assess.BankPublished || banks[0].SelfItems != 560 {
			t.Fatalf("the default bank of the default portfolio: %+v", banks)
		}
		csv := nc.Get(fmt.Sprintf("/assessment/bank/%d/export.csv", banks[0].ID))
		jsn := nc.Get(fmt.Sprintf("/api/v1/item-banks/%d/export", banks[0].ID))
		if csv.Status != 200 || jsn.Status != 200 {
			t.Fatalf("export: %d %d", csv.Status, jsn.Status)
		}
		var draft assess.Bank
		res := nc.SendJSON("POST", "/api/v1/item-banks", assess.BankInput{FrameworkID: fx.fw})
		if res.Status != http.StatusCreated {
			t.Fatalf("draft: %d %s", res.Status, res.Body)
		}
		res.JSON(t, &draft)
		total := draft.SelfItems + draft.KnowledgeItems
		for _, f := range []struct{ format, body, ct string }{{"csv", csv.Body, "text/csv"}, {"json", jsn.Body, "application/json"}} {
			var rep assess.ImportReport
			res := nc.Do("POST", fmt.Sprintf("/api/v1/item-banks/%d/import?format=%s", draft.ID, f.format), strings.NewReader(f.body), http.Header{"Content-Type": {f.ct}})
			if res.Status != 200 {
				t.Fatalf("import %s: %d %s", f.format, res.Status, res.Body)
			}
			res.JSON(t, &rep)
			if rep.Added != 0 || rep.Updated != 0 || rep.Unchanged != total {
				t.Fatalf("re-import of the export (%s) changed something: %+v of %d", f.format, rep, total)
			}
		}
		bad := strings.Join([]string{strings.Join(assess.CSVHeader, ","),
			"K-NEW-1," + fx.code("L1") + ",knowledge,2,Domanda nuova,,A,,B,,,,,,,,1,,",
			"K-BAD-1,NOPE,knowledge,2,Linea sconosciuta,,A,,B,,,,,,,,1,,",
			"K-BAD-2," + fx.code("L1") + ",quiz,9,,,A,,,,,,,,,,3,,",
			"K-NEW-1," + fx.code("L2") + ",knowledge,1,Codice ripetuto,,A,,B,,,,,,,,2,,",
		}, "\n")
		res = nc.Do("POST", fmt.Sprintf("/api/v1/item-banks/%d/import?format=csv", draft.ID), strings.NewReader(bad), http.Header{"Content-Type": {"text/csv"}})
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad file: %d %s", res.Status, res.Body)
		}
		for _, want := range []string{`"line":3`, "no line with this code", `"line":4`, "kind must be", "level must be on the scale", "the Italian text is required", `"line":5`, "code repeated"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("report lacks %q: %s", want, res.Body)
			}
		}
		var after assess.BankDetail
		nc.Get(fmt.Sprintf("/api/v1/item-banks/%d", draft.ID)).JSON(t, &after)
		if len(after.Items) != total {
			t.Fatalf("a refused import changed the bank: %d items, had %d", len(after.Items), total)
		}
		// Authoring in the UI: a new knowledge question, then publishing the version.
		res = nc.PostForm(fmt.Sprintf("/assessment/bank/%d/items", draft.ID), url.Values{"line": {fx.code("L7")}, "kind": {"knowledge"}, "level": {"2"},
			"text_it": {"Una collega ti chiede la password del sistema: che cosa fai?"}, "option_1_it": {"Gliela dico"}, "option_2_it": {"Non la comunico e la invito a chiedere un accesso suo"}, "correct": {"2"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("new item: %d %.500s", res.Status, res.Body)
		}
		res = nc.PostForm(fmt.Sprintf("/assessment/bank/%d/items", draft.ID), url.Values{"line": {fx.code("L7")}, "kind": {"knowledge"}, "level": {"2"}, "text_it": {"Senza risposta giusta"}, "option_1_it": {"A"}, "option_2_it": {"B"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "exactly one option") {
			t.Fatalf("item without a right answer: %d", res.Status)
		}
		if res := nc.SendJSON("POST", fmt.Sprintf("/api/v1/item-banks/%d/publish", draft.ID), nil); res.Status != 200 {
			t.Fatalf("publish: %d %s", res.Status, res.Body)
		}
		nc.Get("/api/v1/item-banks").JSON(t, &banks)
		if banks[0].State != assess.BankRetired || banks[1].State != assess.BankPublished || banks[1].KnowledgeItems != banks[0].KnowledgeItems+1 {
			t.Fatalf("after publishing: %+v", banks)
		}
		if res := nc.SendJSON("POST", fmt.Sprintf("/api/v1/item-banks/%d/items", draft.ID), assess.ItemInput{LineCode: fx.code("L1"), Kind: "self", Level: 1, TextIT: "x"}); res.Status != http.StatusConflict {
			t.Fatalf("editing a published bank: %d", res.Status)
		}
	})
}

// The demo: the demo professional resumes a half-finished assessment in the browser; the
// demo organisation sees colleagues who finished theirs, with objectives.
func TestAssessDemo(t *testing.T) {
	env := apptest.Start(t, db.SQLite, apptest.Options{Demo: true})
	pc := env.Client().Login("demo.professionista", "esd-demo-professionista")
	start := pc.Get("/assessment")
	if start.Status != 200 || !strings.Contains(start.Body, `id="resume"`) || !reDuration.MatchString(start.Body) {
		t.Fatalf("demo start page: %d %.800s", start.Status, start.Body)
	}
	m := regexp.MustCompile(`href="(/assessments/\d+\?q=\d+)" id="resume"`).FindStringSubmatch(start.Body)
	if m == nil {
		t.Fatal("no resume link")
	}
	loc := strings.ReplaceAll(m[1], "&amp;", "&")
	if q := pc.Get(loc); q.Status != 200 || !strings.Contains(q.Body, "<fieldset") {
		t.Fatalf("resumed question: %d", q.Status)
	}
	// Finish it through the forms: ambito ratings, line ratings, knowledge questions.
	id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/assessments/")
	for n := 0; strings.Contains(loc, "?q=") && !strings.HasSuffix(loc, "q=-1"); n++ {
		if n > 200 {
			t.Fatal("the assessment does not end")
		}
		page := pc.Get(loc)
		h := hiddenFields(page.Body)
		choice := "2"
		if h["item"] != "" {
			choice = "1"
		}
		loc = location(t, pc.PostForm("/assessments/"+id+"/answer", url.Values{"q": {h["q"]}, "rev": {h["rev"]}, "item": {h["item"]}, "choice": {choice}, "nav": {"next"}}))
	}
	location(t, pc.PostForm("/assessments/"+id+"/finish", nil))
	res := pc.Get("/assessments/" + id + "/result")
	if res.Status != 200 || !strings.Contains(res.Body, "per l&#39;intero ambito") || strings.Count(res.Body, "<tr><th scope=\"row\">") < 100 {
		t.Fatalf("demo result: %d %.600s", res.Status, res.Body)
	}
	var zeros int
	env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM assessment_answers an JOIN assessment_questions q ON q.assessment_id = an.assessment_id AND q.position = an.position
		WHERE q.kind = 'area' AND an.choice = 0`).Scan(&zeros)
	if zeros != 0 {
		t.Fatalf("the demo rated %d ambiti 0", zeros)
	}
	oc := env.Client().Login("demo.azienda", "esd-demo-azienda")
	staff := oc.Get("/assessment/staff")
	if staff.Status != 200 || strings.Count(staff.Body, ">conclusa ") < 4 || !strings.Contains(staff.Body, "in corso") {
		t.Fatalf("demo staff page: %d %.1500s", staff.Status, staff.Body)
	}
	var n int
	env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM objectives WHERE state IN ('agreed', 'in_progress')`).Scan(&n)
	if n == 0 {
		t.Fatal("the demo has no agreed objectives")
	}
}
