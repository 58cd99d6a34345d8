package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/privacy"
)

// The privacy pages are seeds of the layout crawl, so they are checked whatever the crawl's
// page bound leaves out.
func init() {
	layoutExtraPages[domain.RoleProfessional] = append(layoutExtraPages[domain.RoleProfessional], "/me/personal-data")
	layoutExtraPages[domain.RoleNational] = append(layoutExtraPages[domain.RoleNational], "/privacy/requests", "/professionals/{professional.A}/personal-data")
}

// TestBrowserPrivacyJourney is the professional's journey in a real browser: "I miei dati" is
// in their menu; the page downloads the archive (a ZIP with dati.json, README.txt, the CSV
// files); the erasure request with an empty reason is refused beside the field, with a
// reason it is recorded; national governance sees it on the requests page.
func TestBrowserPrivacyJourney(t *testing.T) {
	ctx := newBrowser(t)
	env := apptest.Start(t, db.SQLite, apptest.Options{Demo: true})
	var cf string
	if err := env.M.DB.Read.QueryRow(`SELECT LOWER(p.cf) FROM professionals p JOIN users u ON u.professional_id = p.id WHERE u.username = 'demo.professionista'`).Scan(&cf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	browserLogin(t, ctx, env.URL, "demo.professionista", "esd-demo-professionista")
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	inMenu, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('nav a[href="/me/personal-data"]')`))
	if err != nil || !inMenu {
		t.Fatalf("\"I miei dati\" is not in the professional's menu: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/me/personal-data"), chromedp.WaitVisible(chromedp.CSS("#download-archive"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#download-archive"))); err != nil {
		t.Fatal(err)
	}
	files := readArchive(t, waitDownload(t, dir, "dati-personali-"+cf+".zip"))
	var doc privacy.Document
	if err := json.Unmarshal(files["dati.json"], &doc); err != nil {
		t.Fatalf("dati.json: %v", err)
	}
	if strings.ToLower(doc.Professional.CF) != cf || len(doc.Sections["participations"].Rows) == 0 {
		t.Errorf("archive of %+v with %d participations", doc.Professional, len(doc.Sections["participations"].Rows))
	}
	for _, name := range []string{"README.txt", "csv/participations.csv", "csv/credit_entries.csv", "csv/audit.csv"} {
		if len(files[name]) == 0 {
			t.Errorf("the archive lacks %s", name)
		}
	}
	// An empty reason: the browser's required check is bypassed to see the server's answer.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#reason').removeAttribute('required'), true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#erasure-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#reason-err"))); err != nil {
		t.Fatalf("empty reason: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#reason"), "Ho cambiato lavoro"),
		chromedp.Click(chromedp.CSS(`#erasure-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`.alert-success`))); err != nil {
		t.Fatalf("request: %v", err)
	}
	nat := newBrowser(t)
	browserLogin(t, nat, env.URL, "demo.nazionale", "esd-demo-nazionale")
	if err := chromedp.Do(nat, chromedp.Navigate(env.URL+"/privacy/requests"), chromedp.WaitVisible(chromedp.CSS(`button[value="execute"]`))); err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(nat, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "Ho cambiato lavoro") {
		t.Errorf("the requests page lacks the request: %.500s", text)
	}
}
