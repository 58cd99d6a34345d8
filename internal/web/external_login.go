package web

// LoginOption is one more way to log in, shown on the login page beside the password form
// (a SPID/CIE broker).
type LoginOption struct {
	Label string // already translated
	Path  string // local path that starts the login
}

// LoginOptions registers a function that lists the extra login options of a request.
func (r *Routes) LoginOptions(f func(c *Ctx) []LoginOption) {
	r.s.loginOptions = append(r.s.loginOptions, f)
}

// OnLogout registers a function called at logout, before the local session ends, with the
// session token; a non-empty result is the local path the browser goes to next (a page that
// sends it on to a broker's logout: the CSP's form-action 'self' forbids redirecting the
// logout form's POST to another origin).
func (r *Routes) OnLogout(f func(c *Ctx, sessionToken string) string) {
	r.s.onLogout = append(r.s.onLogout, f)
}

// StartSession sets the session cookie of a session opened by a module (an OIDC login).
func (c *Ctx) StartSession(tok string, maxAge int) { c.s.setCookie(c.W, sessionCookie, tok, maxAge) }

// SessionToken returns the request's session token, or "".
func (c *Ctx) SessionToken() string {
	if ck, err := c.R.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

// Status renders a page with an HTTP status other than 200 (a failed external login).
func (c *Ctx) Status(status int, name, title string, data any) error {
	return c.s.render(c, status, name, title, data, nil)
}

func (s *Server) loginOptionsFor(c *Ctx) []LoginOption {
	var out []LoginOption
	for _, f := range s.loginOptions {
		out = append(out, f(c)...)
	}
	return out
}

func (s *Server) logoutHooks(c *Ctx, tok string) string {
	next := ""
	for _, f := range s.onLogout {
		if u := f(c, tok); u != "" && next == "" {
			next = u
		}
	}
	return next
}
