package e2e

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"esd/internal/apptest"
	"esd/internal/db"
)

// The "FSE indicators stand beside training", in a real browser: on a small national
// dataset (so that several regions have training figures) with the demo, the national user
// follows the link from the monitor dashboard, imports an indicator file saved by Excel-IT
// (Windows-1252, ';', CRLF, decimal commas) with the upload form, reads the report, and sees
// the FSE indicators of Toscana beside its training figures, before/after, and the correlation
// across regions with r, n, the scatter chart, its table and the causation warning; the page
// fits a phone's width.
func TestIndicatorsJourney(t *testing.T) {
	ctx := newBrowser(t)
	env := apptest.Start(t, db.SQLite)
	if out, err := runCLI(t, env, "seed", "--size", "S", "--professionals", "400", "--history", ""); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	if err := env.M.LoadDemo(env.Sys()); err != nil {
		t.Fatal(err)
	}
	file, err := filepath.Abs("../indicators/testdata/excel_it_1252.csv")
	if err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, env.URL, "demo.nazionale", "esd-demo-nazionale")
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%s: %v\n%.3000s", sel, err, html)
		}
		return s
	}
	// From the monitor dashboard to the indicators, then to the import page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/monitor"),
		chromedp.WaitVisible(chromedp.CSS("#monitor-indicators-link a")),
		chromedp.Click(chromedp.CSS("#monitor-indicators-link a")),
		chromedp.WaitVisible(chromedp.CSS("#ind-filters")),
		chromedp.Click(chromedp.CSS(`a[href="/indicators/import"]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-form")),
		chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}),
		chromedp.Click(chromedp.CSS(`#import-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-ok")),
	); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("import through the page: %v\n%.3000s", err, html)
	}
	screenshot(t, ctx, "indicators-import")
	report := text("#import-ok")
	// 7 rows: the demo had synthetic values for 6 of them (replaced), the value per
	// organisation and month is new.
	if !strings.Contains(report, "7 righe lette (Windows-1252, separatore «;»): 1 nuovi valori, 6 sostituiti, 0 invariati") {
		t.Fatalf("import report: %q", report)
	}
	if replaced := text("#import-replaced"); !strings.Contains(replaced, "fse_consenso") || !strings.Contains(replaced, "58.4") {
		t.Errorf("replaced values: %q", replaced)
	}
	// Toscana in the first quarter of 2025, against the same quarter of 2024, and the
	// correlation of consent with the mean level in the FSE ambito.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/indicators"),
		chromedp.WaitVisible(chromedp.CSS("#ind-filters")),
		chromedp.SetValue(chromedp.CSS("#f-region"), "90"),
		chromedp.SetValue(chromedp.CSS("#f-period"), "2025-Q1"),
		chromedp.SetValue(chromedp.CSS("#f-before"), "2024-Q1"),
		chromedp.SetValue(chromedp.CSS("#f-x"), "fse_consenso"),
		chromedp.SetValue(chromedp.CSS("#f-y"), "level:D2.A1"),
		chromedp.Click(chromedp.CSS(`#ind-filters button[type="submit"]`)),
	); err != nil {
		t.Fatalf("choose region and periods: %v", err)
	}
	// The page before the submit has its own #ind-corr: wait for the answer to the filters,
	// whose heading names Toscana and the chosen quarter, before reading anything.
	waitPage(t, ctx, "choose region and periods", `location.search.includes("period=2025-Q1") && document.querySelector("#ind-corr") !== null && (document.querySelector("#h-adoption")?.textContent ?? "").includes("Toscana")`)
	screenshot(t, ctx, "indicators-view")
	adoption := text("#ind-adoption")
	for _, want := range []string{"Cittadini con consenso alla consultazione del FSE", "58,4 %", "Regione Toscana", "sintetico", "Pazienti assistiti in telemedicina", "punti"} {
		if !strings.Contains(adoption, want) {
			t.Errorf("adoption table lacks %q:\n%s", want, adoption)
		}
	}
	if h := text("#h-adoption"); !strings.Contains(h, "Toscana") || !strings.Contains(h, "1º trimestre 2025") {
		t.Errorf("adoption heading: %q", h)
	}
	training := text("#ind-training")
	for _, want := range []string{"Professionisti valutati", "2025", "Livello medio in D2.A1"} {
		if !strings.Contains(training, want) {
			t.Errorf("training table lacks %q:\n%s", want, training)
		}
	}
	if !strings.Contains(text("#ind-synthetic"), "sintetico") {
		t.Error("no synthetic banner")
	}
	if !strings.Contains(text("#ind-causation"), "Correlazione non significa causalità") {
		t.Error("no causation warning")
	}
	r := text("#ind-corr-r")
	i := strings.Index(r, "n = ")
	if i < 0 {
		t.Fatalf("correlation: %q", r)
	}
	n, _ := strconv.Atoi(strings.Fields(r[i+4:])[0])
	if n < 5 || !strings.Contains(r, "Pearson r = ") {
		t.Fatalf("correlation over %d regions: %q", n, r)
	}
	points, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('#ind-corr svg circle').length"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('#ind-corr-table tbody tr').length"))
	if err != nil {
		t.Fatal(err)
	}
	if points != n || rows != n {
		t.Errorf("n = %d but %d points and %d table rows", n, points, rows)
	}
	// A regional referent sees their own region only: one region to choose, their training
	// figures, and no correlation across regions (other regions' training is not theirs).
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#f-username")),
	); err != nil {
		t.Fatalf("logout: %v", err)
	}
	browserLogin(t, ctx, env.URL, "demo.regione", "esd-demo-regione")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/indicators?period=2025-Q1"),
		chromedp.WaitVisible(chromedp.CSS("#ind-corr-scoped")),
	); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("regional view: %v\n%.3000s", err, html)
	}
	regions, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.querySelectorAll('#f-region option').length"))
	if err != nil || regions != 1 {
		t.Errorf("a regional referent can choose %d regions (%v)", regions, err)
	}
	if h := text("#h-training"); !strings.Contains(h, "Toscana") {
		t.Errorf("regional training heading: %q", h)
	}
	if main := text("main"); strings.Contains(main, "Veneto") || strings.Contains(main, "Lombardia") {
		t.Error("the regional page names another region")
	}
	screenshot(t, ctx, "indicators-regional")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#f-username"))); err != nil {
		t.Fatalf("logout: %v", err)
	}
	browserLogin(t, ctx, env.URL, "demo.nazionale", "esd-demo-nazionale")
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/indicators?region=90&period=2025-Q1&y=level:D2.A1"), chromedp.WaitVisible(chromedp.CSS("#ind-corr-r"))); err != nil {
		t.Fatal(err)
	}
	// The page's content fits 1024 and 390 px: wide tables scroll in their own box. (The
	// shared header is not this page's: at 390 px its slim bar is wider than the screen.)
	for _, w := range []int64{1024, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			t.Fatal(err)
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-responsive') && !e.closest('svg')).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(' | ')`))
		if err != nil {
			t.Fatal(err)
		}
		if wide != "" {
			t.Errorf("at %d px the content is wider than the screen: %s", w, wide)
		}
		svgOver, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("document.querySelector('#ind-corr svg').getBoundingClientRect().right > window.innerWidth + 1"))
		if err != nil || svgOver {
			t.Errorf("at %d px the scatter chart is wider than the screen (%v)", w, err)
		}
		screenshot(t, ctx, "indicators-view-"+strconv.FormatInt(w, 10))
	}
}
