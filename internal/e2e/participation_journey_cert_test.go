package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

var certCode = regexp.MustCompile(`/verifica/([0-9A-Z-]+)`)

// journeyCertificate: the professional asks for the attestato of the course on "my training",
// downloads the PDF (the accents are as written: read back with pdftotext), and its code
// verifies on the public page, opened by someone who is not logged in.
func journeyCertificate(t *testing.T, ctx context.Context, base string, pw partWorld) {
	t.Helper()
	var id string
	if err := pw.env.M.DB.Read.QueryRow(`SELECT pa.id FROM participations pa JOIN events e ON e.id = pa.event_id
		WHERE e.code = 'JOURNEY-REP-1' AND pa.professional_id = $1`, pw.profID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/training"),
		chromedp.WaitVisible(chromedp.CSS("#cert-"+id)),
		chromedp.Click(chromedp.CSS("#cert-"+id)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/pdf"]`)),
	); err != nil {
		t.Fatalf("ask for the certificate: %v", err)
	}
	page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	m := certCode.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no verification link on the certificate page: %.1500s", page)
	}
	code := m[1]
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	// The PDF, fetched with the professional's session (a browser download is a file, not a page).
	res := pw.prof.Get(strings.TrimPrefix(loc, base) + "/pdf")
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Body, "%PDF") {
		t.Fatalf("certificate PDF: %d %.100s", res.Status, res.Body)
	}
	if path, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "attestato.pdf")
		if err := os.WriteFile(f, []byte(res.Body), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(path, "-enc", "UTF-8", f, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		for _, want := range []string{"Chiara", "Lucchesi", "JOURNEY-REP-1", "Sanità", code} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF does not say %q: %.800s", want, text)
			}
		}
	} else if os.Getenv("ESD_TEST_REQUIRE_PDFTOTEXT") == "1" {
		t.Fatal("ESD_TEST_REQUIRE_PDFTOTEXT=1 but pdftotext is not installed")
	}
	// Anyone can verify the code, without logging in.
	anon := newBrowser(t)
	if err := chromedp.Do(anon, chromedp.Navigate(base+"/verifica/"+code), chromedp.WaitVisible(chromedp.CSS("#statement"))); err != nil {
		t.Fatalf("public verification: %v", err)
	}
	text, _ := chromedp.Run(anon, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "Lucchesi") || !strings.Contains(text, "JOURNEY-REP-1") || strings.Contains(text, pw.profCF) {
		t.Fatalf("verification page: %.1500s", text)
	}
}
