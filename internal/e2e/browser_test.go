package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/domain"
)

// newBrowser starts headless Debian Chromium for a journey. Without Chromium the journeys
// are skipped, unless ESD_TEST_REQUIRE_BROWSER=1 (CI), where that is a failure.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserTimeout(t, 4*time.Minute)
}

// newBrowserTimeout is newBrowser with the whole session bounded by d.
func newBrowserTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("ESD_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal("ESD_TEST_REQUIRE_BROWSER=1 but chromium is not installed")
		}
		t.Skip("chromium not installed")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, d)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// browserLogin fills and submits the login form like a person would, by keyboard.
func browserLogin(t *testing.T, ctx context.Context, base, user, pw string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#f-username")),
		chromedp.SendKeys(chromedp.CSS("#f-username"), user),
		chromedp.SendKeys(chromedp.CSS("#f-password"), pw+"\r"),
	)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS("#logout"))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("login %s: no logout button after submitting (at %s): %v\n%.1500s", user, loc, err, html)
	}
}

// TestBrowserEachRoleSeesItsMenu logs in as each role in a real browser and checks the menu:
// what the role may use is there, what it may not is absent.
func TestBrowserEachRoleSeesItsMenu(t *testing.T) {
	ctx := newBrowser(t)
	w := buildWorld(t, db.SQLite)
	// Menu entries (Italian labels) that only some roles see.
	only := map[string][]domain.Role{
		"Utenze":            {domain.RoleNational, domain.RoleRegional},
		"Registro attività": {domain.RoleNational, domain.RoleRegional},
	}
	for k, v := range browserMenuExpectations {
		only[k] = v
	}
	for _, r := range domain.Roles {
		t.Run(string(r), func(t *testing.T) {
			bctx := ctx
			user := "m_" + string(r)
			browserLogin(t, bctx, w.Env.URL, user, apptest.PasswordFor(user))
			screenshot(t, bctx, "menu_"+string(r))
			// textContent, not the visible text: the entries sit in closed dropdowns.
			menu, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#main-menu').textContent`))
			if err != nil {
				t.Fatal(err)
			}
			who, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#whoami")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(who, w.Env.M.Server.RoleName("it", r)) {
				t.Errorf("header shows %q, want the role %s", who, r)
			}
			for label, rs := range only {
				want := false
				for _, x := range rs {
					want = want || x == r
				}
				if got := strings.Contains(menu, label); got != want {
					t.Errorf("role %s: menu entry %q present=%v, want %v (menu: %q)", r, label, got, want, menu)
				}
			}
			if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form"))); err != nil {
				t.Fatalf("logout: %v", err)
			}
		})
	}
}

// browserMenuExpectations lets capabilities add "menu label → roles that see it" from their
// own files.
var browserMenuExpectations = map[string][]domain.Role{}

// TestBrowserKeyboardSkipLink checks that the first Tab on a page reaches the skip link and
// that it leads to the main content.
func TestBrowserKeyboardSkipLink(t *testing.T) {
	ctx := newBrowser(t)
	w := buildWorld(t, db.SQLite)
	browserLogin(t, ctx, w.Env.URL, "m_national", apptest.PasswordFor("m_national"))
	if err := chromedp.Do(ctx, chromedp.Navigate(w.Env.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#main")), chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	active, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.activeElement.getAttribute('href')"))
	if err != nil {
		t.Fatal(err)
	}
	if active != "#main" {
		t.Fatalf("first Tab focuses %q, want the skip link to #main", active)
	}
}

// screenshot saves a PNG of the page to $ESD_SCREENSHOTS/name.png when that folder is set,
// so a person can look at what the journeys saw.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("ESD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(dir+"/"+name+".png", png, 0o644)
}

// TestBrowserImportWithBadRow uploads, in a real browser, an HR office's CSV with one bad
// row and reads the report: the page names the line, the field and the reason, and nothing
// from the file was written.
func TestBrowserImportWithBadRow(t *testing.T) {
	ctx := newBrowser(t)
	w := buildWorld(t, db.SQLite)
	csv := "codice_fiscale;cognome;nome;email;professione;disciplina;regione;azienda;rapporto;setting;ruolo\n" +
		"RSSMRA80D44D612R;Rossi;Maria;maria.rossi@example.it;14;85;090;;dipendente;ospedale;coordinatore\n" +
		"LCCNCL65R20E715X;Lucchesi;Niccolò;;1.58;;Toscana;;convenzionato;territorio;\n"
	file := t.TempDir() + "/personale.csv"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	var before int
	if err := w.Env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM professionals`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, ctx, w.Env.URL, "m_national", apptest.PasswordFor("m_national"))
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.Env.URL+"/professionals/import"),
		chromedp.WaitVisible(chromedp.CSS("#import-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}),
		chromedp.Click(chromedp.CSS("#import-submit")),
		chromedp.WaitVisible(chromedp.CSS("#problems")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "import_bad_row")
	report, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#problems")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report, "3") || !strings.Contains(strings.ToLower(report), "codice_fiscale") {
		t.Fatalf("the report should name line 3 and the codice_fiscale field: %q", report)
	}
	var after int
	if err := w.Env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM professionals`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("a failed import wrote %d professionals", after-before)
	}
}

// waitPage waits until cond, a JavaScript expression, is true on the page that a click has
// started loading. A plain WaitVisible can match the page before the navigation, and a Poll
// is cut off by the navigation itself, so this evaluates cond again and again, letting the
// "navigated" errors of the old page pass, until it holds or 30 seconds have gone.
func waitPage(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	js := `document.readyState === "complete" && (` + cond + `)`
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	t.Fatalf("%s: the page (at %s) never showed %s (last error: %v)", what, loc, cond, last)
}
