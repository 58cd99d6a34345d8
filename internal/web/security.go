package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"esd/internal/auth"
	"esd/internal/domain"
)

// RouteInfo is one registered route, for the tests that must cover every route (the
// permission matrix, security headers, cross-origin refusal).
type RouteInfo struct {
	Pattern string // as registered, e.g. "GET /professionals/{id}"
	Method  string // "" for a pattern without a method (a sub-tree handler such as "/xapi/")
	Path    string
	// Kind is "page" (Routes.Page), "api" (Routes.API) or "handler" (Routes.Handle: static
	// files, streams and sub-trees that authenticate on their own).
	Kind string
	// Public reports a page or API route declared reachable without login; a handler's
	// access is its own business, so it is always false.
	Public   bool
	MaxBytes int64
}

// Routes returns every registered route, in registration order.
func (s *Server) Routes() []RouteInfo { return append([]RouteInfo(nil), s.routes...) }

func (s *Server) addRoute(kind, pattern string, public bool, maxBytes int64) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	if maxBytes == 0 && kind != "handler" {
		maxBytes = 1 << 20
	}
	s.routes = append(s.routes, RouteInfo{Pattern: pattern, Method: method, Path: path, Kind: kind, Public: public, MaxBytes: maxBytes})
}

// ---- API tokens: scopes and expiry -------------------------------------------------------

// tokenActor authenticates a bearer token and checks that its scopes allow the request's
// method: an unknown, revoked or expired token is 401, a read-only token on a state-changing
// request 403.
func (s *Server) tokenActor(r *http.Request, secret string) (domain.Actor, error) {
	g, err := s.Auth.TokenGrantOf(r.Context(), secret)
	if err != nil {
		return domain.Actor{}, err
	}
	if !g.Allows(r.Method) {
		return domain.Actor{}, domain.Forbidden("the API token's scopes (%s) do not allow %s requests", strings.Join(g.Scopes, ", "), r.Method)
	}
	return g.Actor, nil
}

// ---- Rate limit of the public endpoints that do work -------------------------------------

// publicLimited are the routes anybody may call without login that cost real work (signature
// checks, file streams, token exchanges): each address gets PublicRateBurst requests at once
// and then PublicRatePerMinute a minute per route, so one client cannot hog them.
var publicLimited = []string{
	"GET /verifica/{code}",
	"GET /api/v1/verify/{code}",
	"POST /verifica-badge",
	"POST /api/v1/badges/verify",
	"GET /open-badge/{token}",
	"GET /opendata/{file}",
	"GET /api/v1/opendata/{file}",
	"GET /login/oidc/callback",
}

// PublicLimited returns the patterns of the rate-limited public routes.
func PublicLimited() []string { return append([]string(nil), publicLimited...) }

// Default public rate: a person checking certificates by hand never gets near it; a script
// scraping codes does.
const (
	defaultPublicRatePerMinute = 120
	defaultPublicRateBurst     = 120
)

// rateLimiter is a token bucket per key (route and address), kept in memory: the limit is
// per process, which is what protects this process.
type rateLimiter struct {
	mu      sync.Mutex
	perSec  float64
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(perMinute, burst int) *rateLimiter {
	if perMinute <= 0 {
		perMinute = defaultPublicRatePerMinute
	}
	if burst <= 0 {
		burst = defaultPublicRateBurst
	}
	return &rateLimiter{perSec: float64(perMinute) / 60, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes one token from key's bucket; when there is none it returns how long until
// there will be.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	// Forget full buckets now and then, so addresses seen once do not pile up.
	if now.Sub(l.sweep) > time.Minute {
		for k, b := range l.buckets {
			if b.tokens+now.Sub(b.at).Seconds()*l.perSec >= l.burst {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSec)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
	return false, wait
}

// limitPublic answers 429 with Retry-After once an address exceeds the rate of a
// rate-limited public route.
func (s *Server) limitPublic(next http.Handler) http.Handler {
	limited := map[string]bool{}
	for _, p := range publicLimited {
		limited[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		if !limited[pattern] {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := s.limiter.allow(pattern + "|" + remoteAddr(r))
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		secs := int(math.Ceil(wait.Seconds()))
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		c := s.newCtx(w, r)
		err := &domain.Error{Code: domain.ETOOMANY, Message: c.T("security.rate_limited", secs)}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			s.writeError(w, r, err)
			return
		}
		s.renderError(c, err)
	})
}

// ---- Logs never carry secrets or fiscal codes --------------------------------------------

// RedactHandler wraps a slog handler so that no record carries a secret: attributes named
// like a secret (password, token, secret, cookie, authorization) lose their value, and in
// every other string (the message, paths, errors) codici fiscali, ESD API tokens and long
// random path segments (share and verification tokens) are masked. The platform's logger goes
// through it once (app.New), so every package's logs are covered.
func RedactHandler(h slog.Handler) slog.Handler { return redactHandler{h} }

type redactHandler struct{ h slog.Handler }

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, RedactString(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{r.h.WithAttrs(red)}
}

func (r redactHandler) WithGroup(name string) slog.Handler { return redactHandler{r.h.WithGroup(name)} }

var secretKey = regexp.MustCompile(`(?i)pass(word)?|secret|token|cookie|authorization|bearer|api[_-]?key|^cf$|codice_?fiscale|fiscal`)

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Group(a.Key, red...)
	}
	if secretKey.MatchString(a.Key) {
		return slog.String(a.Key, "[redacted]")
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, RedactString(v.String()))
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, RedactString(err.Error()))
		}
		return slog.String(a.Key, RedactString(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

var (
	// A codice fiscale, also with omocodia letters in the numeric positions.
	cfPattern = regexp.MustCompile(`(?i)\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b`)
	// ESD API tokens, and any long run of URL-safe random characters (session tokens,
	// share tokens, verification codes, OIDC codes and states).
	tokenPattern = regexp.MustCompile(`esd_[A-Za-z0-9_-]{16,}|[A-Za-z0-9_-]{24,}`)
	// key=value pairs in query strings or messages whose key names a secret.
	secretPair = regexp.MustCompile(`(?i)((?:password|passwd|secret|token|code|state|cf)=)[^&\s"]+`)
)

// RedactString masks codici fiscali, tokens and secret-named key=value pairs in s.
func RedactString(s string) string {
	s = cfPattern.ReplaceAllString(s, "[cf]")
	s = secretPair.ReplaceAllString(s, "${1}[redacted]")
	return tokenPattern.ReplaceAllStringFunc(s, func(m string) string {
		// Long runs of letters only or digits only are words or numbers, not secrets.
		if !strings.ContainsAny(m, "0123456789") || strings.Trim(m, "0123456789") == "" {
			return m
		}
		return "[redacted]"
	})
}

// ---- Uploads: size and type checked in one place -----------------------------------------

// UploadKind is an expected file type: its extensions and the content types that
// http.DetectContentType may sniff for it.
type UploadKind struct {
	Name  string
	Exts  []string
	Sniff []string // prefixes of the sniffed type
}

// The file kinds the platform accepts.
var (
	UploadCSV  = UploadKind{Name: "CSV", Exts: []string{".csv", ".txt"}, Sniff: []string{"text/plain", "text/csv", "application/octet-stream"}}
	UploadXML  = UploadKind{Name: "XML", Exts: []string{".xml"}, Sniff: []string{"text/xml", "application/xml", "text/plain"}}
	UploadJSON = UploadKind{Name: "JSON", Exts: []string{".json", ".jsonld"}, Sniff: []string{"text/plain", "application/json"}}
	UploadXLSX = UploadKind{Name: "XLSX", Exts: []string{".xlsx"}, Sniff: []string{"application/zip", "application/vnd.openxmlformats"}}
	UploadPNG  = UploadKind{Name: "PNG", Exts: []string{".png"}, Sniff: []string{"image/png"}}
	UploadJWT  = UploadKind{Name: "JWT", Exts: []string{".jwt", ".txt"}, Sniff: []string{"text/plain"}}
)

// UploadSpec says what an upload field accepts: at most MaxBytes (default 8 MiB) of one of
// Kinds.
type UploadSpec struct {
	MaxBytes int64
	Kinds    []UploadKind
}

// uploadStatus carries the HTTP status of a refused upload (413 or 415) inside the EINVALID
// error the user sees.
type uploadStatus struct{ status int }

func (u *uploadStatus) Error() string { return http.StatusText(u.status) }

// statusOfUpload returns the status of a refused upload, or 0.
func statusOfUpload(err error) int {
	var u *uploadStatus
	if errors.As(err, &u) {
		return u.status
	}
	return 0
}

// Upload reads the file of a multipart form field, refusing one larger than spec.MaxBytes
// (413) or whose extension and content are not of an expected kind (415), with a message in
// the user's language naming the field and the file. ok is false when no file was sent.
func (c *Ctx) Upload(field string, spec UploadSpec) (data []byte, hdr *multipart.FileHeader, ok bool, err error) {
	max := spec.MaxBytes
	if max == 0 {
		max = 8 << 20
	}
	f, hdr, err := c.R.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, nil, false, nil
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, false, c.uploadTooLarge(field, "", max)
		}
		return nil, nil, false, domain.Invalid(field, "%s", err)
	}
	defer f.Close()
	if hdr.Size > max {
		return nil, nil, false, c.uploadTooLarge(field, hdr.Filename, max)
	}
	data, err = io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, nil, false, err
	}
	if int64(len(data)) > max {
		return nil, nil, false, c.uploadTooLarge(field, hdr.Filename, max)
	}
	if len(data) == 0 {
		return nil, hdr, false, nil
	}
	if err := c.checkKind(field, hdr.Filename, data, spec.Kinds); err != nil {
		return nil, nil, false, err
	}
	return data, hdr, true, nil
}

// sniffBody checks that a raw request body is of one of kinds by its first 512 bytes (what
// http.DetectContentType reads), leaving the body whole for the handler. An empty body
// passes: the importer says it is empty, in its own words.
func (c *Ctx) sniffBody(kinds []UploadKind) error {
	br := bufio.NewReaderSize(c.R.Body, 512)
	head, err := br.Peek(512)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return c.uploadTooLarge("body", "", mbe.Limit)
		}
		return domain.Invalid("body", "%s", err)
	}
	c.R.Body = struct {
		io.Reader
		io.Closer
	}{br, c.R.Body}
	if len(head) == 0 {
		return nil
	}
	return c.checkKind("body", "", head, kinds)
}

// UploadReader is Upload returning a reader over the file.
func (c *Ctx) UploadReader(field string, spec UploadSpec) (io.Reader, *multipart.FileHeader, bool, error) {
	data, hdr, ok, err := c.Upload(field, spec)
	return bytes.NewReader(data), hdr, ok, err
}

func (c *Ctx) uploadTooLarge(field, name string, max int64) error {
	return &domain.Error{Code: domain.EINVALID, Field: field, Err: &uploadStatus{http.StatusRequestEntityTooLarge},
		Message: c.T("upload.too_large", fileLabel(field, name), humanBytes(max))}
}

// checkKind checks the file name's extension and its sniffed content against kinds; a file
// without an extension is judged on its content alone.
func (c *Ctx) checkKind(field, name string, data []byte, kinds []UploadKind) error {
	if len(kinds) == 0 {
		return nil
	}
	ext := strings.ToLower(filepath.Ext(name))
	sniffed := http.DetectContentType(data)
	var names []string
	for _, k := range kinds {
		names = append(names, k.Name)
		extOK := ext == ""
		for _, e := range k.Exts {
			if e == ext {
				extOK = true
			}
		}
		sniffOK := false
		for _, p := range k.Sniff {
			if strings.HasPrefix(sniffed, p) {
				sniffOK = true
			}
		}
		if extOK && sniffOK {
			return nil
		}
	}
	return &domain.Error{Code: domain.EINVALID, Field: field, Err: &uploadStatus{http.StatusUnsupportedMediaType},
		Message: c.T("upload.bad_type", fileLabel(field, name), strings.Join(names, ", "), strings.SplitN(sniffed, ";", 2)[0])}
}

func fileLabel(field, name string) string {
	if name == "" {
		return field
	}
	return field + " (" + filepath.Base(name) + ")"
}

func humanBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// ---- Passwords ---------------------------------------------------------------------------

// localisePassword replaces the English message of a password policy violation with the
// user's language; other errors pass unchanged.
func localisePassword(c *Ctx, err error) error {
	var pe *auth.PolicyError
	e := domain.AsError(err)
	if e == nil || !errors.As(err, &pe) {
		return err
	}
	cp := *e
	cp.Message = c.T("password.policy."+pe.Rule, auth.MinPasswordLen)
	return &cp
}

// ---- Sessions: a new id at login and at privilege change ---------------------------------

// endPreviousSession ends the session the browser held before this login (another user's,
// or a stale one), so a session cookie fixed before login is worth nothing afterwards.
func endPreviousSession(c *Ctx) {
	if ck, err := c.R.Cookie(sessionCookie); err == nil && ck.Value != "" {
		_ = c.s.Auth.Logout(c.Context(), ck.Value)
	}
}

// rotateSession gives the browser a new session id after a privilege change (a new
// password): the old id stops working at once.
func rotateSession(c *Ctx, tok string) error {
	if tok == "" {
		return nil
	}
	nt, err := c.s.Auth.RotateSession(c.Context(), tok)
	if err != nil {
		return err
	}
	c.s.setCookie(c.W, sessionCookie, nt, int(auth.SessionAbsolute.Seconds()))
	return nil
}

// ---- Accounts: lockout and API tokens in the pages ---------------------------------------

// lockedNow keeps LockedUntil only on accounts still locked, for the users page.
func lockedNow(c *Ctx, users []auth.User) []auth.User {
	now := time.Now()
	for i := range users {
		if users[i].LockedUntil != nil && !users[i].LockedUntil.After(now) {
			users[i].LockedUntil = nil
		}
	}
	return users
}

func unlockPost(c *Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := c.s.Auth.Unlock(c.Context(), id); err != nil {
		return err
	}
	return c.Redirect("/admin/users")
}

// tokenInput reads the token form: name, scope ("read" or "write", which includes read) and
// validity in days.
func tokenInput(c *Ctx) auth.TokenInput {
	in := auth.TokenInput{Name: c.R.FormValue("name")}
	switch c.R.FormValue("scope") {
	case "read":
		in.Scopes = []string{auth.ScopeRead}
	case "write", "":
		in.Scopes = []string{auth.ScopeRead, auth.ScopeWrite}
	default:
		in.Scopes = []string{c.R.FormValue("scope")}
	}
	if d := strings.TrimSpace(c.R.FormValue("expires_days")); d != "" {
		var n int
		if _, err := fmt.Sscan(d, &n); err != nil || n <= 0 {
			n = -1
		}
		in.Lifetime = time.Duration(n) * 24 * time.Hour
	}
	return in
}

var securityMessages = map[string][2]string{
	"security.rate_limited":    {"Troppe richieste da questo indirizzo: riprova tra %d secondi.", "Too many requests from this address: try again in %d seconds."},
	"upload.too_large":         {"Il file %s è troppo grande: il massimo è %s.", "The file %s is too large: the limit is %s."},
	"upload.bad_type":          {"Il file %s non è del tipo atteso (%s): il contenuto risulta %s.", "The file %s is not of the expected type (%s): its content is %s."},
	"password.policy.short":    {"La password deve avere almeno %d caratteri.", "The password must be at least %d characters long."},
	"password.policy.common":   {"La password è tra le più usate e facili da indovinare: scegline un'altra.", "The password is one of the most common and easiest to guess: choose another."},
	"password.policy.username": {"La password non deve contenere il nome utente.", "The password must not contain the username."},
	"login.locked":             {"Troppi tentativi falliti: l'utenza è bloccata per al massimo un'ora; un amministratore può sbloccarla.", "Too many failed attempts: the account is locked for up to an hour; an administrator can unlock it."},
	"users.locked":             {"Bloccata fino alle %s", "Locked until %s"},
	"users.unlock":             {"Sblocca", "Unlock"},
	"users.state":              {"Stato", "State"},
	"tokens.scopes":            {"Permessi", "Scopes"},
	"tokens.scope.read":        {"Solo lettura", "Read only"},
	"tokens.scope.write":       {"Lettura e scrittura", "Read and write"},
	"tokens.expires_days":      {"Validità in giorni (massimo 366)", "Valid for days (at most 366)"},
	"tokens.expires":           {"Scadenza", "Expires"},
	"tokens.expired":           {"Scaduto", "Expired"},
	"tokens.never":             {"Nessuna", "None"},
}

func init() { addMessages(securityMessages) }

// CrossOriginExempt returns the path patterns exempted from cross-origin protection (their
// handlers authenticate every request with header credentials).
func (s *Server) CrossOriginExempt() []string { return append([]string(nil), s.coExempt...) }
