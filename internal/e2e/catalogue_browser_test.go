package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/registry"
)

// The catalogue end to end in a real browser, as its three users live it: the demo provider
// writes an event in the form, previews the credits the rules give and the portfolio lines
// suggested for it, keeps the telemonitoring suggestion, saves and submits it; national
// governance opens it from the review queue, accepts the suggested lines and accredits it;
// the demo professional, whose agreed objective is that line, finds it among the events for
// their objectives.
func TestBrowserCatalogueJourney(t *testing.T) {
	env := apptest.Start(t, db.SQLite, apptest.Options{Demo: true})
	ctx := newBrowser(t)
	run := func(what string, acts ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, acts...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%s: %v\n%.2000s", what, err, html)
		}
	}
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	var region int64
	if err := env.M.DB.Read.QueryRow(`SELECT region_id FROM organisations WHERE code = $1`, registry.DemoProviderCode).Scan(&region); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().AddDate(0, 2, 0).Format("2006-01-02")

	// The provider writes the event and previews it.
	browserLogin(t, ctx, env.URL, "demo.provider", "esd-demo-provider")
	byName := func(n string) string { return fmt.Sprintf(`[name="%s"]`, n) }
	run("new event form",
		chromedp.Navigate(env.URL+"/events/new"),
		chromedp.WaitVisible(chromedp.CSS(byName("code"))),
		chromedp.SendKeys(chromedp.CSS(byName("code")), "BJ-2027-01"),
		chromedp.SendKeys(chromedp.CSS(byName("title")), "Telemonitoraggio dei pazienti cronici nelle cure primarie"),
		chromedp.SendKeys(chromedp.CSS(byName("description")), "Selezione dei pazienti, gestione degli allarmi del telemonitoraggio e ruolo dell'infermiere di famiglia."),
		chromedp.SetValue(chromedp.CSS(byName("type")), "RES"),
		chromedp.SetValue(chromedp.CSS(byName("subtype")), "1"),
		chromedp.SetValue(chromedp.CSS(byName("hours")), "8"),
		chromedp.SetValue(chromedp.CSS(byName("participants")), "20"),
		chromedp.SetValue(chromedp.CSS(byName("objective")), "17"),
		chromedp.Evaluate[chromedp.Void](`for (const o of document.querySelectorAll('#f-profession option')) { o.selected = (o.value === '14' || o.value === '1'); } true`),
		chromedp.SetValue(chromedp.CSS(byName("editions.0.start_date")), start),
		chromedp.SetValue(chromedp.CSS(byName("editions.0.end_date")), start),
		chromedp.SetValue(chromedp.CSS(byName("editions.0.region_id")), fmt.Sprint(region)),
		chromedp.Click(chromedp.CSS("#btn-preview")),
		chromedp.WaitVisible(chromedp.CSS("#computed")),
	)
	computed := get("computed credits", chromedp.Text(chromedp.CSS("#computed")))
	suggestions := get("suggestions", chromedp.OuterHTML(chromedp.CSS("#suggestions")))
	if !strings.Contains(computed, "crediti") {
		t.Fatalf("preview without computed credits: %q", computed)
	}
	m := regexp.MustCompile(`name="line" value="(\d+)" id="(sg-\d+)"[^>]*>\s*<label[^>]*><code>([^<]+)</code> [^<]*Telemonitoraggio`).FindStringSubmatch(suggestions)
	if m == nil {
		t.Fatalf("no telemonitoring line suggested: %.1500s", suggestions)
	}
	lineID, lineCode := m[1], m[3]
	run("keep the suggestion and save",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function(){ const c = document.getElementById(%q); if (!c.checked) c.click(); return true })()`, m[2])),
		chromedp.Click(chromedp.CSS("#btn-save")),
		chromedp.WaitVisible(chromedp.CSS("#act-submit")),
	)
	loc := get("location", chromedp.Location())
	id := regexp.MustCompile(`/events/(\d+)`).FindStringSubmatch(loc)
	if id == nil {
		t.Fatalf("after saving, at %s", loc)
	}
	run("submit", chromedp.Click(chromedp.CSS("#act-submit")), chromedp.WaitNotPresent(chromedp.CSS("#act-submit")))
	run("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#f-username")))

	// National governance reviews it from the queue.
	browserLogin(t, ctx, env.URL, "demo.nazionale", "esd-demo-nazionale")
	run("review queue", chromedp.Navigate(env.URL+"/review/events"), chromedp.WaitVisible(chromedp.CSS(`a[href="/events/`+id[1]+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/events/`+id[1]+`"]`)), chromedp.WaitVisible(chromedp.CSS("#accept-lines button")),
		chromedp.Click(chromedp.CSS("#accept-lines button")), chromedp.WaitVisible(chromedp.CSS("#act-accredit")),
		chromedp.Click(chromedp.CSS("#act-accredit")), chromedp.WaitNotPresent(chromedp.CSS("#act-accredit")))
	// The click navigates: wait until the new page has loaded, or the node read can belong
	// to the page being replaced.
	waitPage(t, ctx, "accredited page", `document.querySelector("main") !== null && document.querySelector("#act-accredit") === null`)
	page := get("accredited", chromedp.OuterHTML(chromedp.CSS("main")))
	if !strings.Contains(page, "Accreditato") || !strings.Contains(page, lineCode) {
		t.Fatalf("after accreditation the page lacks the state or the line %s: %.1500s", lineCode, page)
	}
	run("logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#f-username")))

	// The professional's agreed objective is that line: the event is among theirs.
	w, err := registry.DemoIDs(env.Sys(), env.M.DB)
	if err != nil {
		t.Fatal(err)
	}
	var fw int64
	if err := env.M.DB.Read.QueryRow(`SELECT framework_id FROM framework_items WHERE id = $1`, lineID).Scan(&fw); err != nil {
		t.Fatal(err)
	}
	if _, err := env.M.DB.Write.Exec(`DELETE FROM objectives WHERE professional_id = $1 AND line_code = $2`, w.ProfessionalID, lineCode); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := env.M.DB.Write.Exec(`INSERT INTO objectives (professional_id, triennium, framework_id, line_id, line_code, target_level, due_date, priority, state, source, created_at, updated_at)
		VALUES ($1, '2026-2028', $2, $3, $4, 3, '2028-12-31', 1, 'agreed', 'test', $5, $5)`, w.ProfessionalID, fw, lineID, lineCode, now); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, env.URL, "demo.professionista", "esd-demo-professionista")
	run("events for my objectives", chromedp.Navigate(env.URL+"/catalogue/for-me"), chromedp.WaitVisible(chromedp.CSS("main")))
	forMe := get("events for my objectives", chromedp.OuterHTML(chromedp.CSS("main")))
	if !strings.Contains(forMe, "BJ-2027-01") {
		t.Fatalf("the professional does not find the event among those for their objectives: %.2000s", forMe)
	}
}
