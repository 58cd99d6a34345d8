package e2e

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/catalogue"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/registry"
)

type objectives []catalogue.Objective

func (o objectives) OpenObjectives(context.Context, int64) ([]catalogue.Objective, bool, error) {
	return o, true, nil
}

var eventLink = regexp.MustCompile(`/events/(\d+)\?done=saved`)

// The "done when": on the demo, a provider publishes an event with computed
// credits and suggested lines, a reviewer accredits it, a professional finds it from their
// objectives, and the analysis reproduces the programme's table (page, downloads, CLI).
func TestCatalogueJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		if !strings.Contains(env.Out.String(), "demo.provider") {
			t.Fatalf("demo logins not printed: %s", env.Out.String())
		}
		// The registry's demo accounts: its provider publishes part of the demo catalogue,
		// its regional referent (Toscana) reviews it, its professional is a nurse there.
		prov := env.Client().Login("demo.provider", "esd-demo-provider")
		rev := env.Client().Login("demo.regione", "esd-demo-regione")

		// The provider writes an event: the preview computes the credits step by step and
		// suggests the telemonitoring line with its score.
		start := time.Now().UTC().AddDate(0, 1, 0).Format("2006-01-02")
		var regionA int64
		if err := env.M.DB.Read.QueryRow(`SELECT region_id FROM organisations WHERE code = $1`, registry.DemoProviderCode).Scan(&regionA); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"code": {"J-2027-01"}, "title": {"Telemonitoraggio dei pazienti cronici nelle cure primarie"},
			"description": {"Selezione dei pazienti, gestione degli allarmi e ruolo dell'infermiere di famiglia."},
			"type":        {"RES"}, "subtype": {"1"}, "hours": {"7,5"}, "interactive_hours": {"2"}, "participants": {"20"}, "objective": {"17"},
			"profession": {"14", "1"}, "cost": {"0"}, "editions.0.start_date": {start}, "editions.0.end_date": {start},
			"editions.0.region_id": {fmt.Sprint(regionA)}, "action": {"preview"}}
		res := prov.PostForm("/events/new", form)
		if res.Status != 200 || !strings.Contains(res.Body, `id="computed"`) || !strings.Contains(res.Body, "7 ore intere") {
			t.Fatalf("preview: %d %s", res.Status, snippet(res.Body, "calc"))
		}
		// 7 whole hours × (1.0 + 0.3 small group + 0.3 interactive) = 11.2
		if !strings.Contains(res.Body, "11,2 crediti") {
			t.Fatalf("computed credits: %s", snippet(res.Body, "computed"))
		}
		m := regexp.MustCompile(`name="line" value="(\d+)" id="sg-\d+"[^>]*>\s*<label[^>]*><code>([^<]+)</code> ([^<]*Telemonitoraggio[^<]*)<`).FindStringSubmatch(res.Body)
		if m == nil {
			t.Fatalf("no telemonitoring suggestion: %s", snippet(res.Body, "suggestions"))
		}
		form.Set("action", "save")
		form.Set("credits", "20") // more than the rules allow: saved as a draft, flagged, refused on submit
		form.Add("line", m[1])
		form.Set("level."+m[1], "2")
		form.Set("score."+m[1], "0.5")
		res = prov.PostForm("/events/new", form)
		loc := res.Header.Get("Location")
		id := eventLink.FindStringSubmatch(loc)
		if res.Status != http.StatusSeeOther || id == nil {
			t.Fatalf("save: %d %s %s", res.Status, loc, snippet(res.Body, "form-error"))
		}
		page := prov.Get("/events/" + id[1])
		if !strings.Contains(page.Body, `id="credits-disagree"`) || !strings.Contains(page.Body, m[2]) || !strings.Contains(page.Body, "suggerita e accettata") {
			t.Fatalf("event page: %s", snippet(page.Body, "event-details"))
		}
		res = prov.PostForm("/events/"+id[1]+"/state", url.Values{"action": {"submit"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "superano quelli ammessi") {
			t.Fatalf("submit over the rules: %d %s", res.Status, snippet(res.Body, "form-error"))
		}
		// Fix the credits through the API (the computed value) and submit.
		var ev catalogue.EventView
		prov.Get("/api/v1/events/"+id[1]).JSON(t, &ev)
		in := map[string]any{"code": ev.Code, "title": ev.Title, "description": ev.Description, "type": ev.Type, "subtype": ev.SubType,
			"hours": ev.Hours, "interactive_hours": ev.InteractiveHours, "participants": ev.Participants, "objective": ev.ObjectiveCode,
			"audience": []map[string]int{{"profession": 14}, {"profession": 1}}, "credits": 0, "cost": 0,
			"editions": []map[string]any{{"start_date": start, "end_date": start, "region_id": regionA}},
			"lines":    []map[string]any{{"line_id": ev.Lines[0].LineID, "level": 2, "origin": "suggestion", "score": 0.5}}}
		if r := prov.SendJSON("PUT", "/api/v1/events/"+id[1], in); r.Status != 200 {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		if r := prov.PostForm("/events/"+id[1]+"/state", url.Values{"action": {"submit"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("submit: %d %s", r.Status, snippet(r.Body, "form-error"))
		}
		// The regional reviewer finds it in the queue, accepts the lines and accredits it.
		q := rev.Get("/review/events")
		if !strings.Contains(q.Body, "J-2027-01") {
			t.Fatalf("review queue lacks the event: %s", snippet(q.Body, "queue"))
		}
		if r := rev.PostForm("/events/"+id[1]+"/lines", url.Values{"accept": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("accept lines: %d", r.Status)
		}
		if r := rev.PostForm("/events/"+id[1]+"/state", url.Values{"action": {"accredit"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("accredit: %d %s", r.Status, r.Body)
		}
		page = rev.Get("/events/" + id[1])
		if !strings.Contains(page.Body, "Accreditato") || !strings.Contains(page.Body, "mappatura accettata") || !strings.Contains(page.Body, "demo.regione") {
			t.Fatalf("after accreditation: %s", snippet(page.Body, "event-state"))
		}
		en := rev.Get("/events/" + id[1] + "?lang=en")
		if !strings.Contains(en.Body, "Accredited") || !strings.Contains(en.Body, "whole hours") {
			t.Fatalf("English event page: %s", snippet(en.Body, "credit-steps"))
		}

		// The demo professional (a nurse of the region), whose open objective is that line,
		// finds it.
		pro := env.Client().Login("demo.professionista", "esd-demo-professionista")
		// The page says what the recommendations are based on: the individual objectives the
		// demo assessment produced (or the persona's required lines for someone without
		// objectives); then with an objective on the event's line the event comes first.
		fm := pro.Get("/catalogue/for-me")
		if !strings.Contains(fm.Body, `id="basis-objectives"`) && !strings.Contains(fm.Body, `id="basis-persona"`) {
			t.Fatalf("recommendations without a basis: %s", snippet(fm.Body, "main"))
		}
		env.M.Catalogue.Objectives = objectives{{LineID: ev.Lines[0].LineID, TargetLevel: 3, Priority: 1}}
		fm = pro.Get("/catalogue/for-me")
		if !strings.Contains(fm.Body, "J-2027-01") || !strings.Contains(fm.Body, `id="basis-objectives"`) {
			t.Fatalf("fits my objectives: %s", snippet(fm.Body, "hits"))
		}
		ch := pro.Get(fmt.Sprintf("/catalogue/for-me?line=%d", ev.Lines[0].LineID))
		if !strings.Contains(ch.Body, `id="basis-chosen"`) || !strings.Contains(ch.Body, "J-2027-01") {
			t.Fatalf("chosen lines: %s", snippet(ch.Body, "main"))
		}
		var rec catalogue.Recommendations
		pro.Get("/api/v1/catalogue/recommendations").JSON(t, &rec)
		if len(rec.Hits) == 0 || rec.Hits[0].Code != "J-2027-01" || len(rec.Hits[0].Why) == 0 {
			t.Fatalf("recommendations api: %+v", rec.Hits)
		}
		s := pro.Get("/catalogue?q=" + url.QueryEscape("telemonitoraggi pazienti cronici") + "&profession=14")
		if !strings.Contains(s.Body, "J-2027-01") {
			t.Fatalf("search: %s", snippet(s.Body, "s-total"))
		}

		// Every catalogue page renders without missing messages or formatting errors, in
		// both languages.
		admin := env.Client().Login("admin", apptest.AdminPassword)
		for _, c := range []struct {
			cl   *apptest.Client
			path string
		}{{prov, "/provider/events"}, {prov, "/events/new"}, {prov, "/events/" + id[1]}, {prov, "/catalogue/import"}, {rev, "/review/events"},
			{rev, "/events/" + id[1]}, {pro, "/catalogue?period=all"}, {pro, "/catalogue/for-me"}, {admin, "/catalogue/analysis"}, {admin, "/events/" + id[1] + "/edit"}} {
			for _, lang := range []string{"it", "en"} {
				r := c.cl.Get(c.path + sep(c.path) + "lang=" + lang)
				if r.Status != 200 || strings.Contains(r.Body, "%!") || regexp.MustCompile(`>\s*cat\.[a-z.]+\s*<|"cat\.[a-z]+\.[a-z.]+"`).MatchString(r.Body) {
					t.Fatalf("%s (%s): %d, missing message or format error: %s", c.path, lang, r.Status,
						regexp.MustCompile(`.{80}(%!|>\s*cat\.[a-z.]+|"cat\.[a-z]+\.[a-z.]+").{40}`).FindString(r.Body))
				}
			}
		}

		// The analysis reproduces the programme's table, on the page, in the files and the CLI.
		an := admin.Get("/catalogue/analysis?from=2023-01-01&to=2024-12-31")
		for _, want := range []string{"<td>622</td><td>440</td><td>106</td><td>71</td><td>5</td>", "Sanità digitale · 2024</th><td>19</td>", `role="img"`} {
			if !strings.Contains(an.Body, want) {
				t.Fatalf("analysis page lacks %q: %s", want, snippet(an.Body, "t-sintesi"))
			}
		}
		csv := admin.Get("/catalogue/analysis.csv?from=2023-01-01&to=2024-12-31")
		if !strings.Contains(csv.Body, "sintesi;keywords;") || !strings.Contains(csv.Body, ";622;440;106;71;5;") {
			t.Fatalf("analysis csv: %.400s", csv.Body)
		}
		xl := admin.Get("/catalogue/analysis.xlsx?from=2023-01-01&to=2024-12-31")
		if xl.Status != 200 || !strings.HasPrefix(xl.Body, "PK") {
			t.Fatalf("analysis xlsx: %d", xl.Status)
		}
		out := runCommand(t, env, "analyse", "catalogue", "--from", "2023-01-01", "--to", "2024-12-31")
		if !regexp.MustCompile(`parole chiave: digitale, fascicolo, telemedicina, sanità digitale\s+622\s+440\s+106\s+71\s+5`).MatchString(out) ||
			!regexp.MustCompile(`Sanità digitale · 2024\s+19`).MatchString(out) {
			t.Fatalf("CLI analysis:\n%s", out)
		}
	})
}

// Import and export from the UI, the API and the CLI: a bad file is refused whole with
// every bad row listed; a good one is imported; the export re-imports unchanged.
func TestCatalogueImportExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		prov := env.Client().Login("demo.provider", "esd-demo-provider")
		bad := "event_code;title;type;subtype;hours;participants;credits;start_date;end_date;region;professions;objective\n" +
			"UI-1;Televisita in cardiologia;RES;1;8;20;;2027-05-10;2027-05-10;090;1;17\n" +
			"UI-2;Troppi crediti;RES;1;8;20;40;2027-05-10;2027-05-10;090;1;17\n" +
			"UI-3;Professione ignota;RES;1;8;20;;2027-05-10;2027-05-10;090;77;17\n"
		res := upload(t, prov, "eventi.csv", bad)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="problems"`) ||
			!strings.Contains(res.Body, "<td>3</td>") || !strings.Contains(res.Body, "<td>4</td>") || strings.Contains(res.Body, "<td>2</td><td>") {
			t.Fatalf("bad upload: %d %s", res.Status, snippet(res.Body, "problems"))
		}
		var n int
		_ = env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM events WHERE code LIKE 'UI-%'`).Scan(&n)
		if n != 0 {
			t.Fatalf("bad upload wrote %d events", n)
		}
		good := strings.Join(strings.Split(bad, "\n")[:2], "\n") + "\n"
		res = upload(t, prov, "eventi.csv", good)
		if res.Status != 200 || !strings.Contains(res.Body, `id="import-ok"`) {
			t.Fatalf("good upload: %d %s", res.Status, snippet(res.Body, "main"))
		}
		// API: the same file again changes nothing.
		r := prov.Do("POST", "/api/v1/events/import", strings.NewReader(good), http.Header{"Content-Type": {"text/csv"}})
		var rep catalogue.ImportReport
		r.JSON(t, &rep)
		if r.Status != 200 || rep.Unchanged != 1 {
			t.Fatalf("api re-import: %d %+v", r.Status, rep)
		}
		// Export as the provider (own events in every state), re-import via the CLI: unchanged.
		exp := prov.Get("/catalogue/export.csv")
		if exp.Status != 200 || !strings.Contains(exp.Body, "UI-1;1;Televisita in cardiologia") {
			t.Fatalf("export: %.300s", exp.Body)
		}
		path := filepath.Join(t.TempDir(), "export.csv")
		if err := os.WriteFile(path, []byte(exp.Body), 0o600); err != nil {
			t.Fatal(err)
		}
		out := runCommand(t, env, "import", "events", path)
		if !strings.Contains(out, "0 creati, 0 aggiornati") {
			t.Fatalf("CLI re-import of the national export: %s", out)
		}
	})
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func upload(t *testing.T, c *apptest.Client, name, body string) apptest.Response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(body))
	mw.Close()
	return c.Do("POST", "/catalogue/import", &b, http.Header{"Content-Type": {mw.FormDataContentType()}})
}

// runCommand runs a registered CLI command on the running platform, as the system.
func runCommand(t *testing.T, env *apptest.Env, args ...string) string {
	t.Helper()
	cmd, rest, ok := app.FindCommand(args)
	if !ok {
		t.Fatalf("no command %v", args)
	}
	var out bytes.Buffer
	old := env.M.Out
	env.M.Out = &out
	defer func() { env.M.Out = old }()
	if err := cmd.Run(app.System(context.Background()), env.M, rest); err != nil {
		if e := domain.AsError(err); e != nil && len(e.Details) > 0 {
			t.Fatalf("%v: %v: %+v", args, err, e.Details[:min(5, len(e.Details))])
		}
		t.Fatalf("%v: %v", args, err)
	}
	return out.String()
}

// snippet returns the part of a page around an element id, for failure messages.
func snippet(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		if len(body) > 600 {
			return body[:600]
		}
		return body
	}
	return body[max(0, i-100):min(len(body), i+900)]
}
