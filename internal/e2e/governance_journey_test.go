package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"esd/internal/apptest"
	"esd/internal/db"
)

// TestGovernanceJourney, in a real browser on the demo world: national governance sets the
// issue's example target through the form and sees its forecast and alert; it approves the
// nation's phase with a note; Toscana's referent tries to refine the target downwards (refused
// with the message beside the field), refines it upwards, then approves the region's phase,
// which the cycle page shows with the note.
func TestGovernanceJourney(t *testing.T) {
	ctx := newBrowser(t)
	env := apptest.Start(t, db.SQLite, apptest.Options{Demo: true})
	browserLogin(t, ctx, env.URL, "demo.nazionale", "esd-demo-nazionale")
	fail := func(step string, err error) {
		t.Helper()
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("%s: %v\n%.3000s", step, err, html)
	}
	// 1. A national target through the form.
	err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/governance/targets"),
		chromedp.WaitVisible(chromedp.CSS("#target-form")),
		chromedp.SendKeys(chromedp.CSS("#f-title"), "Infermieri ospedalieri toscani in televisita (percorso)"),
		chromedp.SetValue(chromedp.CSS("#f-region_id"), "90"),
		chromedp.SetValue(chromedp.CSS("#f-profession_code"), "14"),
		chromedp.SetValue(chromedp.CSS("#f-care_setting"), "ospedale"),
		chromedp.SetValue(chromedp.CSS("#f-measure"), "level"),
		chromedp.SendKeys(chromedp.CSS("#f-item"), "D3.A1"),
		chromedp.SetValue(chromedp.CSS("#f-level"), "2"),
		chromedp.SendKeys(chromedp.CSS("#f-threshold"), "60"),
		chromedp.SetValue(chromedp.CSS("#f-deadline"), "2026-12-31"),
		chromedp.Click(chromedp.CSS("#target-save")),
		chromedp.WaitVisible(chromedp.CSS("#target-alert")),
	)
	if err != nil {
		fail("national sets a target", err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	alert, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#target-alert")))
	forecast, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#target-forecast")))
	series, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#series")))
	if !strings.Contains(alert, "fuori traiettoria") && !strings.Contains(alert, "a rischio") {
		t.Errorf("the target shows no alert: %q (forecast %q, series %q)", alert, forecast, series)
	}
	if !strings.Contains(forecast, "Previsione al 2026-12-31") || !strings.Contains(forecast, "intervallo al 95 %") {
		t.Errorf("forecast: %q", forecast)
	}
	if !strings.Contains(series, "ricalcolato dalle evidenze datate") || !strings.Contains(series, "livelli attuali") {
		t.Errorf("series: %q", series)
	}
	targetURL := loc
	// 2. The nation closes its current phase with a note.
	err = chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/governance"),
		chromedp.WaitVisible(chromedp.CSS("#approve-0")),
		chromedp.SendKeys(chromedp.CSS("#note-0"), "Obiettivi nazionali 2026 fissati (percorso)"),
		chromedp.Click(chromedp.CSS("#approve-0 button")),
		chromedp.WaitVisible(chromedp.CSS("#approved")),
	)
	if err != nil {
		fail("national approves", err)
	}
	nation, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#track-nation")))
	if !strings.Contains(nation, "Disegno") {
		t.Errorf("the nation after approving Pianificazione: %q", nation)
	}
	// 3. Toscana's referent refines the target: downwards refused, upwards kept.
	rctx := newBrowser(t)
	browserLogin(t, rctx, env.URL, "demo.regione", "esd-demo-regione")
	id := targetURL[strings.LastIndex(targetURL, "/")+1:]
	err = chromedp.Do(rctx,
		chromedp.Navigate(targetURL),
		chromedp.WaitVisible(chromedp.CSS("#refine-link")),
		chromedp.Click(chromedp.CSS("#refine-link")),
		chromedp.WaitVisible(chromedp.CSS("#target-form")),
		chromedp.SetValue(chromedp.CSS("#f-parent_id"), id),
		chromedp.SendKeys(chromedp.CSS("#f-threshold"), "50"),
		chromedp.Click(chromedp.CSS("#target-save")),
		chromedp.WaitVisible(chromedp.CSS("#e-threshold")),
	)
	if err != nil {
		html, _ := chromedp.Run(rctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("regional refines downwards: %v\n%.3000s", err, html)
	}
	msg, _ := chromedp.Run(rctx, chromedp.Text(chromedp.CSS("#e-threshold")))
	if !strings.Contains(msg, "più bassa del 60 %") {
		t.Errorf("the refusal says: %q", msg)
	}
	err = chromedp.Do(rctx,
		chromedp.SetValue(chromedp.CSS("#f-parent_id"), id),
		chromedp.SetValue(chromedp.CSS("#f-threshold"), "70"),
		chromedp.Click(chromedp.CSS("#target-save")),
		chromedp.WaitVisible(chromedp.CSS("#target-alert")),
	)
	if err != nil {
		html, _ := chromedp.Run(rctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("regional refines upwards: %v\n%.3000s", err, html)
	}
	facts, _ := chromedp.Run(rctx, chromedp.Text(chromedp.CSS("#target-facts")))
	if !strings.Contains(facts, "70,0 %") || !strings.Contains(facts, "Declina l'obiettivo") || !strings.Contains(facts, "Toscana") {
		t.Errorf("refined target: %q", facts)
	}
	// 4. Toscana follows the nation: it closes Pianificazione; the cycle shows the approval.
	err = chromedp.Do(rctx,
		chromedp.Navigate(env.URL+"/governance"),
		chromedp.WaitVisible(chromedp.CSS("#approve-90")),
		chromedp.SendKeys(chromedp.CSS("#note-90"), "Piano operativo regionale approvato"),
		chromedp.Click(chromedp.CSS("#approve-90 button")),
		chromedp.WaitVisible(chromedp.CSS("#approved")),
	)
	if err != nil {
		html, _ := chromedp.Run(rctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("regional approves: %v\n%.3000s", err, html)
	}
	approvals, _ := chromedp.Run(rctx, chromedp.Text(chromedp.CSS("#approvals-table")))
	steps, _ := chromedp.Run(rctx, chromedp.Text(chromedp.CSS("#phase-steps")))
	if !strings.Contains(approvals, "Piano operativo regionale approvato") || !strings.Contains(approvals, "demo.regione") || !strings.Contains(approvals, "Obiettivi nazionali 2026 fissati") {
		t.Errorf("approvals: %q", approvals)
	}
	for _, p := range []string{"Indirizzo", "Pianificazione", "Disegno", "Esecuzione", "Monitoraggio"} {
		if !strings.Contains(steps, p) {
			t.Errorf("the cycle lacks the phase %s: %q", p, steps)
		}
	}
	// The national account has been told that the new phase awaits it.
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/notifications"), chromedp.WaitVisible(chromedp.CSS("#notification-list"))); err != nil {
		fail("notifications", err)
	}
	list, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#notification-list")))
	if !strings.Contains(list, "Fase Disegno da approvare") {
		t.Errorf("notifications: %q", list)
	}
}
