// Package apptest starts the whole platform (the same app.Main as cmd/esd) on a real,
// throwaway database and a random local port, and drives it over HTTP like a browser or an
// API client would. End-to-end, permission-matrix and browser tests build on it.
package apptest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"esd/internal/app"
	"esd/internal/auth"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// AdminPassword is the password of the first national account in test environments.
const AdminPassword = "national-gov-pw-123"

// Env is a running platform.
type Env struct {
	T       testing.TB
	M       *app.Main
	URL     string
	Dialect db.Dialect
	Out     *bytes.Buffer // what the platform printed for people
}

// Options tune Start.
type Options struct {
	Demo bool // load the demo world
	// LogTo receives the platform's log lines (text format) instead of discarding them,
	// for tests that read the logs.
	LogTo io.Writer
}

// Start runs the platform on a fresh database of dialect d until the test ends.
func Start(t testing.TB, d db.Dialect, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &bytes.Buffer{}
	logTo := o.LogTo
	if logTo == nil {
		logTo = io.Discard
	}
	m, err := app.New(ctx, app.Config{DatabaseURL: dbtest.URL(t, d), DataDir: t.TempDir(), AdminPassword: AdminPassword,
		Log: slog.New(slog.NewTextHandler(logTo, nil)), Out: out, Demo: o.Demo})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := m.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	if o.Demo {
		if err := m.LoadDemo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = m.Serve(ctx, ln)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		m.Close()
	})
	pageMu.Lock()
	for _, n := range m.Server.PageNames() {
		pageSet[n] = true
	}
	pageMu.Unlock()
	return &Env{T: t, M: m, URL: "http://" + ln.Addr().String(), Dialect: d, Out: out}
}

// Sys returns a context with the system actor, for setting up data through the services.
func (e *Env) Sys() context.Context { return app.System(context.Background()) }

// PasswordFor is the password CreateUser gives username: long, not common, and not
// containing the username, as the password policy asks.
func PasswordFor(username string) string {
	h := sha256.Sum256([]byte(username))
	return "pw-" + hex.EncodeToString(h[:6]) + "-Zq"
}

// CreateUser creates an account with the given grant and returns its username and password.
func (e *Env) CreateUser(username string, role domain.Role, regionID, orgID, profID int64) (string, string) {
	e.T.Helper()
	pw := PasswordFor(username)
	_, err := e.M.Auth.CreateUser(e.Sys(), auth.NewUser{Username: username, Password: pw, Role: role, RegionID: regionID,
		OrganisationID: orgID, ProfessionalID: profID})
	if err != nil {
		e.T.Fatalf("create user %s: %v", username, err)
	}
	return username, pw
}

// Client is an HTTP client with its own cookie jar, like one browser.
type Client struct {
	Env   *Env
	HTTP  *http.Client
	Token string // if set, sent as a bearer token
}

// Client returns a new client that does not follow redirects (tests look at them).
func (e *Env) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{Env: e, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Login logs in through the login form and fails the test if it does not succeed.
func (c *Client) Login(username, password string) *Client {
	c.Env.T.Helper()
	res := c.PostForm("/login", url.Values{"username": {username}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		c.Env.T.Fatalf("login %s: status %d: %s", username, res.Status, res.Body)
	}
	return c
}

// Response is a finished response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Do sends a request.
func (c *Client) Do(method, path string, body io.Reader, header http.Header) Response {
	c.Env.T.Helper()
	req, err := http.NewRequest(method, c.Env.URL+path, body)
	if err != nil {
		c.Env.T.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.Env.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// Get sends a GET.
func (c *Client) Get(path string) Response { return c.Do("GET", path, nil, nil) }

// PostForm posts a URL-encoded form.
func (c *Client) PostForm(path string, v url.Values) Response {
	return c.Do("POST", path, strings.NewReader(v.Encode()), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
}

// SendJSON sends v as a JSON body (nil = no body).
func (c *Client) SendJSON(method, path string, v any) Response {
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			c.Env.T.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	return c.Do(method, path, body, http.Header{"Content-Type": {"application/json"}})
}

var (
	pageMu  sync.Mutex
	pageSet = map[string]bool{}
)

// PageNames returns the page templates of every platform started in this process.
func PageNames() []string {
	pageMu.Lock()
	defer pageMu.Unlock()
	var out []string
	for n := range pageSet {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
