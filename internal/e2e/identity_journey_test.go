package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"esd/internal/apptest"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/oidc"
	"esd/internal/oidc/oidctest"
)

// identityWorld starts the platform and a local SPID/CIE broker on its own server, and
// registers a Tuscan professional (who has no account yet) with one objective in progress.
func identityWorld(t *testing.T, d db.Dialect) (*apptest.Env, *oidctest.Provider, string, int64) {
	env := apptest.Start(t, d)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	op := oidctest.New(srv.URL+"/op", "esd-journey", "segreto-del-client-1234")
	op.UserInfoMode = "jws"
	mux.Handle("/op/", op.Handler("/op"))
	ctx := env.Sys()
	if _, err := env.M.OIDC.SaveBroker(ctx, oidc.Broker{Code: "regione", Name: "Login Regione (prova)", Issuer: op.Issuer, ClientID: op.ClientID,
		ClientSecret: op.ClientSecret, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	code, err := cf.Encode("Guidi", "Elena", time.Date(1984, 9, 12, 0, 0, 0, 0, time.UTC), "F", "D612")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var prof int64
	if err := env.M.DB.Write.QueryRowContext(ctx, `INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id, employment, care_setting, created_at, updated_at)
		VALUES ($1, $1, 'Elena', 'Guidi', 'guidi elena', 90, 'dipendente', 'ospedale', $2, $2) RETURNING id`, code, now).Scan(&prof); err != nil {
		t.Fatal(err)
	}
	var line, fw int64
	var lineCode string
	if err := env.M.DB.Read.QueryRowContext(ctx, `SELECT i.id, i.framework_id, i.code FROM framework_items i WHERE i.kind = 'line' ORDER BY i.id LIMIT 1`).Scan(&line, &fw, &lineCode); err != nil {
		t.Fatal(err)
	}
	if _, err := env.M.DB.Write.ExecContext(ctx, `INSERT INTO objectives (professional_id, triennium, framework_id, line_id, line_code, from_level, target_level, due_date,
		priority, state, source, created_at, updated_at) VALUES ($1, '2026-2028', $2, $3, $4, 1, 2, '2027-12-31', 1, 'in_progress', 'gap', $5, $5)`, prof, fw, line, lineCode, now); err != nil {
		t.Fatal(err)
	}
	return env, op, code, prof
}

// TestIdentityJourney is the demo in a real browser: a professional with no account
// logs in through the broker with their fiscal code, finishes an objective, finds the badge
// in the wallet, downloads it; logging out ends the broker session too; a visitor verifies
// the badge on the public page, and a tampered copy fails there.
func TestIdentityJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env, op, code, prof := identityWorld(t, d)
		ctx := newBrowser(t)
		base := env.URL
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`a[href^="/login/oidc/regione"]`)),
			chromedp.Click(chromedp.CSS(`a[href^="/login/oidc/regione"]`)),
			chromedp.WaitVisible(chromedp.CSS("#cf")),
			chromedp.SendKeys(chromedp.CSS("#cf"), strings.ToLower(code)),
			chromedp.Click(chromedp.CSS("#broker-login")),
			chromedp.WaitVisible(chromedp.CSS("#logout")),
		)
		if err != nil {
			page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			t.Fatalf("login through the broker: %v\n%.1500s", err, page)
		}
		// The account was made at the first login, for the registry's professional.
		var role string
		var pid int64
		if err := env.M.DB.Read.QueryRowContext(env.Sys(), `SELECT role, professional_id FROM users WHERE username = $1`, strings.ToLower(code)).Scan(&role, &pid); err != nil || role != "professional" || pid != prof {
			t.Fatalf("account: %s %d %v", role, pid, err)
		}
		// The professional finishes the objective (the assessment capability marks it achieved).
		if _, err := env.M.DB.Write.ExecContext(env.Sys(), `UPDATE objectives SET state = 'achieved', achieved_at = $1 WHERE professional_id = $2`, time.Now().UTC(), prof); err != nil {
			t.Fatal(err)
		}
		// The badge is pushed on achievement: it exists, with its notification, before the
		// wallet is ever opened.
		deadline := time.Now().Add(15 * time.Second)
		for {
			var n, notes int
			_ = env.M.DB.Read.QueryRowContext(env.Sys(), `SELECT COUNT(*) FROM badge_credentials WHERE professional_id = $1`, prof).Scan(&n)
			_ = env.M.DB.Read.QueryRowContext(env.Sys(), `SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id
				WHERE u.professional_id = $1 AND n.kind = 'badge_issued'`, prof).Scan(&notes)
			if n == 1 && notes == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no badge pushed on achievement: %d credentials, %d notifications", n, notes)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/badges"), chromedp.WaitVisible(chromedp.CSS("#badges tbody tr"))); err != nil {
			t.Fatalf("wallet: %v", err)
		}
		attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#badges tbody tr"), "data-badge"))
		if err != nil || attr.Value == "" {
			t.Fatalf("badge row: %v", err)
		}
		credJSON, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var x=new XMLHttpRequest();x.open('GET','/badges/`+attr.Value+`/json',false);x.send();return x.status==200?x.responseText:'HTTP '+x.status})()`))
		if err != nil || !strings.HasPrefix(credJSON, "{") {
			t.Fatalf("download: %v %.200s", err, credJSON)
		}
		if strings.Contains(credJSON, code) {
			t.Fatal("the downloaded badge carries the raw fiscal code")
		}
		// Logout ends the local session and the broker's.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#f-username"))); err != nil {
			t.Fatalf("logout: %v", err)
		}
		if n := op.EndSessionCount(); n != 1 {
			t.Fatalf("broker end-session calls: %d", n)
		}
		verify := func(text string) (string, string) {
			t.Helper()
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/verifica-badge"), chromedp.WaitVisible(chromedp.CSS("#f-credential")),
				chromedp.SetValue(chromedp.CSS("#f-credential"), text), chromedp.Submit(chromedp.CSS("#verify-form")),
				chromedp.WaitVisible(chromedp.CSS("#verify-result"))); err != nil {
				t.Fatalf("verify page: %v", err)
			}
			v, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#verify-result"), "data-valid"))
			proof, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`tr[data-step="proof"]`), "data-ok"))
			return v.Value, proof.Value
		}
		if valid, proof := verify(credJSON); valid != "true" || proof != "true" {
			page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			t.Fatalf("the visitor could not verify the badge: %s %s\n%.1500s", valid, proof, page)
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(credJSON), &m)
		m["name"] = "Badge contraffatto"
		tampered, _ := json.Marshal(m)
		if valid, proof := verify(string(tampered)); valid != "false" || proof != "false" {
			t.Fatalf("a tampered copy verified: %s %s", valid, proof)
		}
		screenshot(t, ctx, "identity-verify-tampered")
	})
}

// TestIdentityLoginFailuresOverHTTP: a broker that is down gives a clear page and password
// login still works; a callback with a foreign state logs nobody in; both are audited.
func TestIdentityLoginFailuresOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env, _, _, _ := identityWorld(t, d)
		if _, err := env.M.OIDC.SaveBroker(env.Sys(), oidc.Broker{Code: "giu", Name: "Broker spento", Issuer: "http://127.0.0.1:1/op", ClientID: "x",
			ClientSecret: "y", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		cl := env.Client()
		res := cl.Get("/login/oidc/giu")
		if res.Status != http.StatusBadGateway || !strings.Contains(res.Body, "non risponde") {
			t.Fatalf("broker down: %d %.300s", res.Status, res.Body)
		}
		res = cl.Get("/login/oidc/callback?" + url.Values{"state": {strings.Repeat("f", 64)}, "code": {"abc"}}.Encode())
		if res.Status != http.StatusUnauthorized || !strings.Contains(res.Body, `data-reason="state"`) {
			t.Fatalf("foreign state: %d %.300s", res.Status, res.Body)
		}
		if me := cl.Get("/api/v1/me"); me.Status != http.StatusUnauthorized {
			t.Fatalf("someone is logged in after failures: %d", me.Status)
		}
		var n int
		if err := env.M.DB.Read.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'oidc_login_failed'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("audited failures: %d %v", n, err)
		}
		if cl.Login("admin", apptest.AdminPassword).Get("/api/v1/me").Status != 200 {
			t.Fatal("password login broken while a broker is down")
		}
		// The login page offers the brokers and, in English, says so in English.
		page := env.Client().Get("/login?lang=en").Body
		if !strings.Contains(page, "Log in with SPID or CIE through Login Regione (prova)") {
			t.Fatalf("login page lacks the broker button: %.500s", page)
		}
		_ = domain.RoleProfessional
	})
}
