// Package e2e holds the end-to-end tests: the whole platform on a real database (SQLite, and
// PostgreSQL when configured) driven over HTTP, the permission matrix, and browser journeys.
package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/jobs"
)

func TestLoginLogoutAndHeaders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		c := env.Client()
		res := c.Get("/")
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("anonymous home: %d %s", res.Status, res.Header.Get("Location"))
		}
		res = c.Get("/login")
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "X-Request-ID"} {
			if res.Header.Get(h) == "" {
				t.Errorf("missing header %s", h)
			}
		}
		if !strings.Contains(res.Body, `lang="it"`) || !strings.Contains(res.Body, "Accedi") {
			t.Fatalf("login page is not Italian: %.200s", res.Body)
		}
		bad := c.PostForm("/login", url.Values{"username": {"admin"}, "password": {"wrong"}})
		if bad.Status != http.StatusUnauthorized || !strings.Contains(bad.Body, "errati") {
			t.Fatalf("bad login: %d", bad.Status)
		}
		c.Login("admin", apptest.AdminPassword)
		home := c.Get("/")
		if home.Status != 200 || !strings.Contains(home.Body, "Governo nazionale") {
			t.Fatalf("home: %d %.300s", home.Status, home.Body)
		}
		en := c.Get("/?lang=en")
		if !strings.Contains(en.Body, `lang="en"`) || !strings.Contains(en.Body, "National governance") {
			t.Fatal("English switch did not work")
		}
		c.PostForm("/logout", nil)
		if res := c.Get("/"); res.Status != http.StatusSeeOther {
			t.Fatalf("after logout: %d", res.Status)
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	c := env.Client()
	for i := 0; i < 5; i++ {
		c.PostForm("/login", url.Values{"username": {"admin"}, "password": {"nope"}})
	}
	res := c.PostForm("/login", url.Values{"username": {"admin"}, "password": {apptest.AdminPassword}})
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures the right password should be throttled, got %d", res.Status)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	c := env.Client().Login("admin", apptest.AdminPassword)
	res := c.Do("POST", "/account/tokens", strings.NewReader("name=x"), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	if res.Status != http.StatusForbidden {
		t.Fatalf("forged cross-site post: got %d", res.Status)
	}
	ok := c.Do("POST", "/account/tokens", strings.NewReader("name=x"), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {env.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if ok.Status != 200 || !strings.Contains(ok.Body, "esd_") {
		t.Fatalf("same-origin post: %d", ok.Status)
	}
}

func TestOversizedBodyAndMalformedJSON(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	c := env.Client().Login("admin", apptest.AdminPassword)
	big := strings.Repeat("x", 2<<20)
	res := c.Do("POST", "/api/v1/users", strings.NewReader(`{"username":"`+big+`"}`), http.Header{"Content-Type": {"application/json"}})
	if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", res.Status)
	}
	if !strings.Contains(res.Header.Get("Content-Type"), "problem+json") || !strings.Contains(res.Body, "too large") {
		t.Fatalf("oversized body should be a problem naming the size: %s", res.Body)
	}
	res = c.Do("POST", "/api/v1/users", strings.NewReader(`{"username": 5`), http.Header{"Content-Type": {"application/json"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "JSON") {
		t.Fatalf("malformed JSON: %d %s", res.Status, res.Body)
	}
	if res := c.Get("/api/v1/me"); res.Status != 200 {
		t.Fatalf("server stopped serving: %d", res.Status)
	}
}

func TestExpiredSessionRedirectsToLogin(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	c := env.Client().Login("admin", apptest.AdminPassword)
	env.M.Auth.Now = func() time.Time { return time.Now().Add(3 * time.Hour) }
	defer func() { env.M.Auth.Now = nil }()
	res := c.Get("/audit")
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "expired=1") {
		t.Fatalf("expired session: %d %s", res.Status, res.Header.Get("Location"))
	}
}

func TestFirstLoginMustChangePasswordAndAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		admin := env.Client().Login("admin", apptest.AdminPassword)
		res := admin.SendJSON("POST", "/api/v1/users", map[string]any{"username": "analista", "password": "initial-pass-1", "role": "analyst"})
		if res.Status != http.StatusCreated {
			t.Fatalf("create user: %d %s", res.Status, res.Body)
		}
		u := env.Client().Login("analista", "initial-pass-1")
		if res := u.Get("/"); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account/password" {
			t.Fatalf("first login should force a password change: %d %s", res.Status, res.Header.Get("Location"))
		}
		res = u.PostForm("/account/password", url.Values{"old_password": {"initial-pass-1"}, "new_password": {"short"}, "confirm_password": {"short"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="e-new_password"`) {
			t.Fatalf("short password should be refused beside the field: %d", res.Status)
		}
		res = u.PostForm("/account/password", url.Values{"old_password": {"initial-pass-1"}, "new_password": {"a-much-better-pass"}, "confirm_password": {"a-much-better-pass"}})
		if res.Status != 200 || !strings.Contains(res.Body, "pw-done") {
			t.Fatalf("password change: %d", res.Status)
		}
		if res := u.Get("/"); res.Status != 200 {
			t.Fatalf("after change: %d", res.Status)
		}
		var entries []struct {
			Action string `json:"action"`
			Entity string `json:"entity"`
		}
		res = admin.Get("/api/v1/audit?entity=user")
		res.JSON(t, &entries)
		if len(entries) < 2 {
			t.Fatalf("audit should have the user creation and the password change: %s", res.Body)
		}
		if !strings.Contains(res.Body, `"action": "password_change"`) || !strings.Contains(res.Body, `"request_id"`) {
			t.Fatalf("audit entries incomplete: %s", res.Body)
		}
	})
}

func TestAPITokenActsWithItsUsersScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		admin := env.Client().Login("admin", apptest.AdminPassword)
		res := admin.PostForm("/account/tokens", url.Values{"name": {"sistema"}})
		i := strings.Index(res.Body, `id="token-secret">`)
		if i < 0 {
			t.Fatalf("no secret shown: %d", res.Status)
		}
		secret := res.Body[i+len(`id="token-secret">`):]
		secret = secret[:strings.Index(secret, "<")]
		api := env.Client()
		api.Token = secret
		var me map[string]any
		r := api.Get("/api/v1/me")
		r.JSON(t, &me)
		if me["role"] != string(domain.RoleNational) {
			t.Fatalf("token actor: %v", me)
		}
		api.Token = secret + "x"
		if r := api.Get("/api/v1/me"); r.Status != http.StatusUnauthorized {
			t.Fatalf("bad token: %d", r.Status)
		}
	})
}

func TestOpenAPIAndHealth(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	c := env.Client()
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/static/bootstrap-italia/css/bootstrap-italia.min.css"} {
		if r := c.Get(p); r.Status != 200 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	var doc map[string]any
	c.Get("/api/v1/openapi.json").JSON(t, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi version %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	for _, op := range env.M.Server.Ops() {
		if _, ok := paths[op.Path]; !ok {
			t.Errorf("operation %s %s missing from the document", op.Method, op.Path)
		}
	}
	if r := c.Get("/metrics"); !strings.Contains(r.Body, "esd_http_requests_total") {
		t.Fatal("metrics lack request counter")
	}
}

func TestJobProgressPageAndAPI(t *testing.T) {
	env := apptest.Start(t, db.SQLite)
	admin := env.Client().Login("admin", apptest.AdminPassword)
	users, err := env.M.Auth.ListUsers(env.Sys())
	if err != nil || len(users) == 0 {
		t.Fatal(users, err)
	}
	ctx := domain.WithActor(env.Sys(), domain.Actor{UserID: users[0].ID, Username: "admin", Role: domain.RoleNational})
	release := make(chan struct{})
	reported := make(chan struct{})
	id, err := env.M.Jobs.Start(ctx, "test", func(ctx context.Context, p jobs.Progress) (any, error) {
		p(3, 10)
		close(reported)
		<-release
		return map[string]int{"rows": 10}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	<-reported
	page := admin.Get(fmt.Sprintf("/jobs/%d", id))
	if page.Status != 200 || !strings.Contains(page.Body, `data-state="running"`) || !strings.Contains(page.Body, "3 / 10") {
		t.Fatalf("running job page: %d %s", page.Status, page.Body)
	}
	close(release)
	env.M.Jobs.Wait()
	var v struct {
		Job     struct{ State string }
		Percent int
	}
	admin.Get(fmt.Sprintf("/api/v1/jobs/%d", id)).JSON(t, &v)
	if v.Job.State != "done" || v.Percent != 100 {
		t.Fatalf("finished job: %+v", v)
	}
	other := env.Client()
	u, pw := env.CreateUser("someone", domain.RoleAnalyst, 0, 0, 0)
	other.Login(u, pw)
	if r := other.Get(fmt.Sprintf("/api/v1/jobs/%d", id)); r.Status != http.StatusNotFound {
		t.Fatalf("another user's job: %d", r.Status)
	}
}
