package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"esd/internal/db"
	"esd/internal/rapporto"
	"esd/internal/rapporto/rapportotest"
)

// The "done when", in a real browser on the demo: a provider uploads a rapporto
// evento on the edition page; the professional's credits and levels move; they see the
// triennium balance and the lines the course moved; the exported XML of the edition
// validates against the XSD.
func TestParticipationJourney(t *testing.T) {
	ctx := newBrowser(t)
	pw := startPartWorld(t, db.SQLite)
	env := pw.env
	day := time.Now().UTC().AddDate(0, 0, -15).Format("2006-01-02")
	ed := pw.newEdition(t, "JOURNEY-REP-1", 30, day, day, 8)
	var other struct{ cf, given, family string }
	if err := env.M.DB.Read.QueryRow(`SELECT p.cf, p.given_name, p.family_name FROM professionals p JOIN professional_disciplines d ON d.professional_id = p.id
		WHERE d.profession_code = 14 AND p.id <> $1 ORDER BY p.id LIMIT 1`, pw.profID).Scan(&other.cf, &other.given, &other.family); err != nil {
		t.Fatal(err)
	}
	nurse := []rapporto.Profession{{Code: 14, Disciplines: []int{85}}}
	xml := reportFor(t, pw, "JOURNEY-REP-1", day, 8, []rapporto.Participant{
		{CF: pw.profCF, GivenName: "Chiara", FamilyName: "Lucchesi", Role: "P", Employment: "D", Credits: 8, AcquiredOn: day, Professions: nurse},
		{CF: other.cf, GivenName: other.given, FamilyName: other.family, Role: "D", Employment: "D", Credits: 8, AcquiredOn: day, Professions: nurse},
	})
	file := filepath.Join(t.TempDir(), "rapporto_JOURNEY.xml")
	if err := os.WriteFile(file, xml, 0o600); err != nil {
		t.Fatal(err)
	}
	before := pw.levels(t, pw.profID)

	// The provider uploads the report on the edition page.
	browserLogin(t, ctx, env.URL, "demo.provider", "esd-demo-provider")
	edURL := env.URL + "/editions/" + itoa(ed)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(edURL),
		chromedp.WaitVisible(chromedp.CSS("#report-form")),
		chromedp.SetUploadFiles(chromedp.CSS("#r-file"), []string{file}),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-ok")),
	); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("provider uploads the report: %v\n%.2000s", err, html)
	}
	result, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#import-ok")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(result, "JOURNEY-REP-1") || !strings.Contains(result, "2 partecipanti") {
		t.Fatalf("import result: %q", result)
	}
	if after := pw.levels(t, pw.profID); after == before {
		t.Fatal("the professional's levels did not move")
	}
	// The participants list shows them.
	if err := chromedp.Do(ctx, chromedp.Navigate(edURL), chromedp.WaitVisible(chromedp.CSS("#participants"))); err != nil {
		t.Fatal(err)
	}
	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#participants")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "Lucchesi") || !strings.Contains(list, "Docente") {
		t.Fatalf("participants: %q", list)
	}
	// The export of that edition validates against the XSD.
	res := pw.provider.Get("/editions/" + itoa(ed) + "/rapporto.xml")
	if res.Status != http.StatusOK {
		t.Fatalf("export: %d", res.Status)
	}
	rapportotest.Xmllint(t, []byte(res.Body))

	// The professional sees the course with the lines it moved, and the balance.
	ctx2 := newBrowser(t)
	browserLogin(t, ctx2, env.URL, "demo.professionista", "esd-demo-professionista")
	if err := chromedp.Do(ctx2, chromedp.Navigate(env.URL+"/training"), chromedp.WaitVisible(chromedp.CSS("#training-done"))); err != nil {
		t.Fatalf("my training: %v", err)
	}
	done, _ := chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("#training-done")))
	if err := chromedp.Do(ctx2, chromedp.Navigate(env.URL+"/credits"), chromedp.WaitVisible(chromedp.CSS("#balance-entries"))); err != nil {
		t.Fatalf("balance: %v", err)
	}
	balance, _ := chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(done, "JOURNEY-REP-1") || !strings.Contains(done, "dal livello") {
		t.Fatalf("my training: %q", done)
	}
	if !strings.Contains(balance, "Telemonitoraggio e FSE per l'infermiere JOURNEY-REP-1") {
		t.Fatalf("balance page does not list the course: %.2000s", balance)
	}
	journeyCertificate(t, ctx2, env.URL, pw)
}
