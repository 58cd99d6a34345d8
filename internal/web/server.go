// Package web is the HTTP adapter of ESD: the server-rendered Italian/English UI on
// Bootstrap Italia and the JSON API under /api/v1, on one stdlib ServeMux. It owns the
// middleware (request ids, logs, metrics, security headers, cross-origin protection, body
// limits, sessions and API tokens), rendering, i18n, problem+json errors and the OpenAPI
// document. Capabilities plug in as Modules that declare their routes, templates, menu
// entries and messages; their handlers call the capability services, which check
// permissions themselves.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"esd/internal/audit"
	"esd/internal/auth"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// Module is a capability's web surface. Register is called once at start-up.
type Module interface {
	Register(r *Routes)
}

// Server is the HTTP handler of the whole platform.
type Server struct {
	DB      *db.DB
	Auth    *auth.Service
	Audit   *audit.Service
	Jobs    *jobs.Runner
	Log     *slog.Logger
	Version string
	// SecureCookies sets the Secure flag on cookies; on by default, off only for plain-HTTP
	// development on localhost.
	SecureCookies bool
	// Admission bounds the requests served at once (admission.go); zero: the defaults and ESD_ADMISSION_*.
	Admission AdmissionConfig
	admissionFields
	// PublicRatePerMinute and PublicRateBurst tune the per-address rate limit of the public
	// routes that do work (security.go); 0 means the defaults.
	PublicRatePerMinute, PublicRateBurst int

	mux     *http.ServeMux
	handler http.Handler
	tmplFS  []fs.FS
	pages   map[string]*template.Template
	pick    pickers
	nav     []NavItem
	home    []HomePanel
	ops     []Op
	metrics *metrics
	once    sync.Once
	// Extra login options and logout hooks registered by modules (external_login.go).
	loginOptions []func(c *Ctx) []LoginOption
	onLogout     []func(c *Ctx, tok string) string
	// coExempt are path patterns whose handlers authenticate every request with header
	// credentials (never cookies), so cross-origin requests cannot ride a session.
	coExempt []string
	routes   []RouteInfo  // every registered route (security.go)
	limiter  *rateLimiter // the public routes' rate limit (security.go)
}

// NavItem is one entry of the main menu, shown to the listed roles.
type NavItem struct {
	Key   string        // i18n key of the label
	Desc  string        // i18n key of a one-line description for the home page (optional)
	Path  string        // link
	Roles []domain.Role // who sees it; empty = every authenticated user
	Order int
	// Secondary entries appear as cards on the home page and at the end of their group's
	// dropdown, after a separator, so the first lines of each group are the everyday ones.
	Secondary bool
	// Group is the menu dropdown the entry lands in (one of the NavGroup* constants); empty
	// means NavGroupMore, so an entry registered without one is still reachable.
	Group string
}

// HomePanel is what a capability tells a role on its home page: a few key figures and the
// next things to do. Build runs on every home page view of a role it names, so it must be
// cheap (stored figures, indexed counts); it returns ok=false to show nothing.
type HomePanel struct {
	Roles []domain.Role
	Order int
	Build func(c *Ctx) (HomeBlock, bool, error)
}

// HomeBlock is one panel of the home page.
type HomeBlock struct {
	Title   string       // already translated
	Figures []HomeFigure // the key numbers
	Actions []HomeAction // what to do next
	Note    string       // one sentence, already translated (optional)
}

// HomeFigure is one key number with its label and, optionally, where it comes from.
type HomeFigure struct {
	Label string
	Value string
	Link  string
}

// HomeAction is a next step: a link with its label; Primary marks the one to do first.
type HomeAction struct {
	Label   string
	Link    string
	Primary bool
}

// Routes is what a Module uses to plug into the server.
type Routes struct{ s *Server }

// PageFunc handles an HTML page. A returned error is rendered as an error page with the
// status its domain code maps to.
type PageFunc func(c *Ctx) error

// APIFunc handles a JSON API call: the result is encoded as JSON (nil = 204 No Content); a
// returned error becomes an application/problem+json response.
type APIFunc func(c *Ctx) (any, error)

// PageOpts tunes a page route.
type PageOpts struct {
	Public   bool  // reachable without login
	MaxBytes int64 // request body limit; default 1 MiB
}

// Page registers an HTML route, e.g. "GET /professionals/{id}". Unless opts.Public, the
// route requires a logged-in user and redirects to the login page otherwise.
func (r *Routes) Page(pattern string, h PageFunc, opts ...PageOpts) {
	var o PageOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	r.s.addRoute("page", pattern, o.Public, o.MaxBytes)
	r.s.mux.Handle(pattern, r.s.wrapPage(pattern, h, o))
}

// API registers a JSON route under /api/v1 and documents it in the OpenAPI document.
// op.Method and op.Path are filled from the pattern.
func (r *Routes) API(pattern string, op Op, h APIFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	op.Method, op.Path = method, path
	r.s.ops = append(r.s.ops, op)
	r.s.addRoute("api", pattern, op.Public, op.MaxBytes)
	r.s.mux.Handle(pattern, r.s.wrapAPI(pattern, h, op))
}

// Templates adds a module's templates: every *.html file is a page named after its file
// (without .html) unless its name starts with "_", in which case it is a partial available
// to every page. Page names must be unique across modules; prefix them with the module.
func (r *Routes) Templates(fsys fs.FS) { r.s.tmplFS = append(r.s.tmplFS, fsys) }

// Nav adds a menu entry.
func (r *Routes) Nav(item NavItem) { r.s.nav = append(r.s.nav, item) }

// Home adds a panel to the home page of the roles it names.
func (r *Routes) Home(p HomePanel) { r.s.home = append(r.s.home, p) }

// Messages adds i18n messages: key → {Italian, English}.
func (r *Routes) Messages(m map[string][2]string) { addMessages(m) }

// Handle registers a plain handler (static files, downloads that stream) without the page
// or API wrapping; security middleware still applies.
func (r *Routes) Handle(pattern string, h http.Handler) {
	r.s.addRoute("handler", pattern, false, 0)
	r.s.mux.Handle(pattern, h)
}

// ExemptCrossOrigin lets cross-origin state-changing requests reach pattern (e.g. "/xapi/"):
// only for handlers that ignore the session cookie and authenticate each request with its own
// header credentials, as the xAPI LRS that browser-launched cmi5 content calls does.
func (r *Routes) ExemptCrossOrigin(pattern string) { r.s.coExempt = append(r.s.coExempt, pattern) }

// Server returns the server, for modules that need its services.
func (r *Routes) Server() *Server { return r.s }

// New builds the server and registers the core routes and then every module.
func New(s *Server, modules ...Module) (*Server, error) {
	s.mux = http.NewServeMux()
	s.metrics = newMetrics()
	s.limiter = newRateLimiter(s.PublicRatePerMinute, s.PublicRateBurst)
	if s.Log == nil {
		s.Log = slog.Default()
	}
	r := &Routes{s: s}
	coreModule{}.Register(r)
	for _, m := range modules {
		m.Register(r)
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	sort.SliceStable(s.nav, func(i, j int) bool { return s.nav[i].Order < s.nav[j].Order })
	s.handler = s.middleware(s.mux)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Ops returns the documented API operations.
func (s *Server) Ops() []Op { return s.ops }

// PageNames returns the names of all page templates (tests check each is rendered).
func (s *Server) PageNames() []string {
	var out []string
	for n := range s.pages {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

const (
	sessionCookie = "esd_session"
	langCookie    = "esd_lang"
)

type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets streaming handlers (progress) flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// middleware applies, outermost first: recovery, request id, logging and metrics, security
// headers, admission control (admission.go), cross-origin protection of every
// state-changing request, and authentication.
func (s *Server) middleware(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, domain.Forbidden("cross-origin request refused"))
	}))
	for _, p := range s.coExempt {
		cop.AddInsecureBypassPattern(p)
	}
	// Per-address limits on public work first, then the global admission bound.
	protected := s.limitPublic(s.admit(cop.Handler(s.authenticate(next))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-ID")
		if rid == "" || len(rid) > 64 {
			rid = newRequestID()
		}
		w.Header().Set("X-Request-ID", rid)
		ctx := domain.WithRequestID(r.Context(), rid)
		// The actor is known only inside authenticate, in a context this function never
		// sees: authenticate writes the user name here for the request log line.
		who := "-"
		ctx = context.WithValue(ctx, logUserKey{}, &who)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", "request_id", rid, "panic", fmt.Sprint(p), "path", r.URL.Path)
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			_, pattern := s.mux.Handler(r)
			s.metrics.observe(pattern, r.Method, sw.status, d)
			if r.URL.Path != "/healthz" && !strings.HasPrefix(r.URL.Path, "/static/") {
				s.Log.Info("request", "request_id", rid, "method", r.Method, "path", r.URL.Path,
					"status", sw.status, "bytes", sw.n, "ms", d.Milliseconds(), "user", who)
			}
		}()
		h := sw.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		protected.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// logUserKey holds, in a request's context, where authenticate writes the user name that
// the request log line shows ("-" when anonymous).
type logUserKey struct{}

// authenticate puts the actor of the session cookie or the bearer token into the context.
// It never refuses: the wrappers decide whether a route needs a login.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		defer func() {
			if p, ok := ctx.Value(logUserKey{}).(*string); ok {
				if a := domain.ActorFrom(ctx); a.Username != "" {
					*p = a.Username
				}
			}
		}()
		if strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			a, err := s.tokenActor(r, strings.TrimPrefix(h, "Bearer "))
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			ctx = domain.WithActor(ctx, a)
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			u, a, err := s.Auth.SessionUser(ctx, c.Value)
			if err == nil {
				ctx = domain.WithActor(ctx, a)
				ctx = context.WithValue(ctx, userKey{}, u)
			} else {
				ctx = context.WithValue(ctx, expiredKey{}, true)
				s.clearCookie(w, sessionCookie)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type userKey struct{}
type expiredKey struct{}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) { s.setCookie(w, name, "", -1) }

func (s *Server) wrapPage(pattern string, h PageFunc, o PageOpts) http.Handler {
	limit := o.MaxBytes
	if limit == 0 {
		limit = 1 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		c := s.newCtx(w, r)
		if !o.Public && !c.Actor.Authenticated() {
			next := r.URL.RequestURI()
			q := "?next=" + urlQueryEscape(next)
			if r.Context().Value(expiredKey{}) != nil {
				q += "&expired=1"
			}
			http.Redirect(w, r, "/login"+q, http.StatusSeeOther)
			return
		}
		if c.User.MustChangePassword && r.URL.Path != "/account/password" && r.URL.Path != "/logout" {
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return
		}
		if err := h(c); err != nil {
			s.renderError(c, err)
		}
	})
}

func (s *Server) wrapAPI(pattern string, h APIFunc, op Op) http.Handler {
	limit := op.MaxBytes
	if limit == 0 {
		limit = 1 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		c := s.newCtx(w, r)
		if !op.Public && !c.Actor.Authenticated() {
			s.writeError(w, r, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login or API token required"})
			return
		}
		if len(op.RawKinds) > 0 {
			if err := c.sniffBody(op.RawKinds); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		res, err := h(c)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if res == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if d, ok := res.(*Download); ok {
			d.write(w)
			return
		}
		status := http.StatusOK
		if r.Method == http.MethodPost && op.Created {
			status = http.StatusCreated
		}
		writeJSON(w, status, res)
	})
}
