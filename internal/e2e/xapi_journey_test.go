package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"esd/internal/db"
)

// TestBrowserXAPICredentials: the demo provider, in a real browser, opens its LRS page from the
// menu address, creates a credential for its Moodle by keyboard and mouse, reads the secret
// shown once; the recorded Moodle batch posted with that key and secret through real HTTP
// answers 200 and gives the demo professional the course's participation, which she sees on
// her page; the provider revokes the credential and Moodle's next call gets 401.
func TestBrowserXAPICredentials(t *testing.T) {
	ctx := newBrowser(t)
	w := startLRSWorld(t, db.SQLite)
	browserLogin(t, ctx, w.env.URL, "demo.provider", "esd-demo-provider")
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.env.URL+"/lrs"),
		chromedp.WaitVisible(chromedp.CSS("#cred-form")),
		chromedp.SendKeys(chromedp.CSS("#f-label"), "Moodle FAD"),
		chromedp.Click(chromedp.CSS("#cred-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#issued-secret")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "xapi_credential_issued")
	key, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#issued-key")))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#issued-secret")))
	if err != nil {
		t.Fatal(err)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(strings.TrimSpace(key)+":"+strings.TrimSpace(secret)))
	r := w.do(t, "POST", "/xapi/statements", "1.0.3", auth, bytes.NewReader(readFixture(t, "moodle_batch.json")), http.Header{"Content-Type": {"application/json"}})
	if r.Status != 200 {
		t.Fatalf("Moodle batch with the browser's credential: %d %s", r.Status, r.Body)
	}
	// The page lists it, without the secret; revoking it by its button.
	err = chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/organisations/%d/xapi", w.env.URL, w.provID)),
		chromedp.WaitVisible(chromedp.CSS("#xapi-creds")),
	)
	if err != nil {
		t.Fatal(err)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, strings.TrimSpace(key)) || strings.Contains(html, strings.TrimSpace(secret)) {
		t.Fatalf("the list shows the key and never the secret: %.1500s", html)
	}
	counts, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#xapi-counts")))
	if !strings.Contains(counts, "30") {
		t.Errorf("the page counts the 30 statements: %q", counts)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#xapi-creds tbody tr:last-child button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#xapi-done")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if r := w.do(t, "POST", "/xapi/statements", "1.0.3", auth, bytes.NewReader(readFixture(t, "moodle_batch.json")), nil); r.Status != 401 {
		t.Errorf("revoked credential: %d", r.Status)
	}
	// The professional sees the course and its credits on her page.
	pctx := newBrowser(t)
	browserLogin(t, pctx, w.env.URL, "demo.professionista", "esd-demo-professionista")
	err = chromedp.Do(pctx,
		chromedp.Navigate(fmt.Sprintf("%s/professionals/%d/xapi", w.env.URL, w.pw.profID)),
		chromedp.WaitVisible(chromedp.CSS("#xapi-records")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, pctx, "xapi_professional")
	table, _ := chromedp.Run(pctx, chromedp.Text(chromedp.CSS("#xapi-records")))
	p, _ := w.participation(t, w.edID, w.pw.profID)
	credits := strings.Replace(fmt.Sprintf("%.1f", p.Credits), ".", ",", 1)
	if !strings.Contains(table, "XAPI-FAD-1") || !strings.Contains(table, "completato") || !strings.Contains(table, credits) || p.Credits <= 0 {
		t.Fatalf("the professional's page: %q (participation %+v)", table, p)
	}
}
