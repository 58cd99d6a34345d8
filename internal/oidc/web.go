package oidc

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"esd/internal/auth"
	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the relying party's web side: the login buttons, the login start and
// callback, the logout at the broker, our JWKS, and governance's page and API for brokers,
// staff links and password login per role.
type WebModule struct{ S *Service }

// Register plugs the module into the server.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "oidc.nav", Desc: "oidc.nav.desc", Path: "/admin/identity", Roles: []domain.Role{domain.RoleNational, domain.RoleRegional}, Order: 92, Group: web.NavGroupAdmin})
	r.LoginOptions(func(c *web.Ctx) []web.LoginOption {
		bs, err := m.S.LoginBrokers(c.Context())
		if err != nil {
			return nil
		}
		next := web.SafeNext(c.R.URL.Query().Get("next"))
		var out []web.LoginOption
		for _, b := range bs {
			p := "/login/oidc/" + b.Code
			if next != "/" {
				p += "?next=" + urlEscape(next)
			}
			out = append(out, web.LoginOption{Label: c.T("oidc.login.with", b.Name), Path: p})
		}
		return out
	})
	r.OnLogout(func(c *web.Ctx, tok string) string {
		ctx := WithBaseURL(c.Context(), baseOf(c.R))
		u := m.S.Logout(ctx, tok, m.S.base(ctx)+"/login")
		if u == "" {
			return ""
		}
		return "/logout/oidc/" + m.S.pendingLogout(u)
	})
	r.Page("GET /logout/oidc/{id}", m.brokerLogoutPage, web.PageOpts{Public: true})
	r.Page("GET /login/oidc/callback", m.callback, web.PageOpts{Public: true})
	r.Page("GET /login/oidc/{code}", m.begin, web.PageOpts{Public: true})
	r.Page("GET /admin/identity", m.adminPage)
	r.Page("POST /admin/identity/brokers", m.brokerPost)
	r.Page("POST /admin/identity/links", m.linkPost)
	r.Page("POST /admin/identity/password", m.passwordPost)
	r.Handle("GET /.well-known/jwks.json", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		set, err := m.S.JWKS(req.Context())
		if err != nil {
			http.Error(w, "keys unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_ = jsonEncode(w, set)
	}))

	tag := "identity"
	r.API("GET /api/v1/identity/brokers", web.Op{Summary: "The configured OIDC brokers (secrets masked)", Tag: tag, Response: []Broker{}, Roles: []string{"national"}},
		func(c *web.Ctx) (any, error) { return m.S.Brokers(c.Context()) })
	r.API("POST /api/v1/identity/brokers", web.Op{Summary: "Create or update (by code) an OIDC broker", Tag: tag, Request: Broker{}, Response: Broker{}, Roles: []string{"national"}},
		func(c *web.Ctx) (any, error) {
			var b Broker
			if err := c.DecodeJSON(&b); err != nil {
				return nil, err
			}
			b.Source = "ui"
			out, err := m.S.SaveBroker(c.Context(), b)
			out.ClientSecret = ""
			return out, err
		})
	r.API("GET /api/v1/identity/links", web.Op{Summary: "Staff accounts linked to a fiscal code, in scope", Tag: tag, Response: []Link{}, Roles: []string{"national", "regional"}},
		func(c *web.Ctx) (any, error) { return m.S.Links(c.Context()) })
	r.API("POST /api/v1/identity/links", web.Op{Summary: "Link a staff account to its owner's fiscal code (once)", Tag: tag, Request: LinkInput{}, Response: Link{}, Created: true, Roles: []string{"national", "regional"}},
		func(c *web.Ctx) (any, error) {
			var in LinkInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.LinkAccount(c.Context(), in.Username, in.CF)
		})
	r.API("POST /api/v1/identity/password-login", web.Op{Summary: "Switch password login on or off for a role", Tag: tag, Request: PasswordInput{}, Response: PasswordInput{}, Roles: []string{"national"}},
		func(c *web.Ctx) (any, error) {
			var in PasswordInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return in, m.S.SetPasswordLogin(c.Context(), domain.Role(in.Role), in.On)
		})
}

// LinkInput is the body of a link.
type LinkInput struct {
	Username string `json:"username"`
	CF       string `json:"cf"`
}

// PasswordInput switches password login of a role.
type PasswordInput struct {
	Role string `json:"role"`
	On   bool   `json:"on"`
}

func baseOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (m WebModule) begin(c *web.Ctx) error {
	ctx := WithBaseURL(c.Context(), baseOf(c.R))
	u, err := m.S.Begin(ctx, c.R.PathValue("code"), web.SafeNext(c.R.URL.Query().Get("next")), clientAddr(c.R))
	if err != nil {
		return m.failedPage(c, err)
	}
	http.Redirect(c.W, c.R, u, http.StatusSeeOther)
	return nil
}

func (m WebModule) callback(c *web.Ctx) error {
	ctx := WithBaseURL(c.Context(), baseOf(c.R))
	res, err := m.S.Callback(ctx, c.R.URL.Query(), clientAddr(c.R))
	if err != nil {
		return m.failedPage(c, err)
	}
	c.StartSession(res.Token, int(auth.SessionAbsolute.Seconds()))
	return c.Redirect(web.SafeNext(res.Next))
}

// failedPage shows a failed login with its reason, and the way back to the login page
// (password login keeps working when a broker is down).
func (m WebModule) failedPage(c *web.Ctx, err error) error {
	var le *LoginError
	if !errors.As(err, &le) {
		return err
	}
	status := http.StatusUnauthorized
	switch le.Reason {
	case ReasonBrokerDown:
		status = http.StatusBadGateway
	case ReasonUnknownBroker:
		status = http.StatusNotFound
	}
	c.Actor = domain.Actor{}
	return c.Status(status, "oidc_failed", c.T("oidc.failed.title"), map[string]any{"Reason": le.Reason, "Text": c.T("oidc.fail." + le.Reason)})
}

func clientAddr(r *http.Request) string {
	h := r.RemoteAddr
	if i := strings.LastIndex(h, ":"); i > 0 {
		h = h[:i]
	}
	return h
}

func (m WebModule) adminData(c *web.Ctx) (map[string]any, error) {
	data := map[string]any{"Roles": domain.Roles}
	if c.Actor.Role == domain.RoleNational {
		bs, err := m.S.Brokers(c.Context())
		if err != nil {
			return nil, err
		}
		off, err := m.S.PasswordLoginOff(c.Context())
		if err != nil {
			return nil, err
		}
		offSet := map[string]bool{}
		for _, r := range off {
			offSet[string(r)] = true
		}
		data["Brokers"], data["Off"] = bs, offSet
	}
	ls, err := m.S.Links(c.Context())
	if err != nil {
		return nil, err
	}
	data["Links"] = ls
	return data, nil
}

func (m WebModule) adminPage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleNational, domain.RoleRegional); err != nil {
		return err
	}
	data, err := m.adminData(c)
	if err != nil {
		return err
	}
	data["Done"] = c.R.URL.Query().Get("done")
	return c.Render("oidc_admin", c.T("oidc.nav"), data)
}

func (m WebModule) renderAdmin(c *web.Ctx, err error) error {
	data, derr := m.adminData(c)
	if derr != nil {
		return derr
	}
	return c.RenderForm("oidc_admin", c.T("oidc.nav"), data, err)
}

func (m WebModule) brokerPost(c *web.Ctx) error {
	f := c.R.FormValue
	b := Broker{Code: f("code"), Name: f("name"), Issuer: f("issuer"), ClientID: f("client_id"), ClientSecret: f("client_secret"),
		AuthMethod: f("auth_method"), Scopes: strings.Fields(f("scopes")), ClaimFiscal: f("claim_fiscal_code"), Algs: strings.Fields(f("algs")),
		AllowHMAC: f("allow_hmac") == "on", Enabled: f("enabled") == "on"}
	b.MinLevel, _ = strconv.Atoi(f("min_level"))
	for _, r := range c.R.Form["roles"] {
		b.Roles = append(b.Roles, domain.Role(r))
	}
	if _, err := m.S.SaveBroker(c.Context(), b); err != nil {
		return m.renderAdmin(c, err)
	}
	return c.Redirect("/admin/identity?done=broker")
}

func (m WebModule) linkPost(c *web.Ctx) error {
	if _, err := m.S.LinkAccount(c.Context(), c.R.FormValue("username"), c.R.FormValue("cf")); err != nil {
		return m.renderAdmin(c, err)
	}
	return c.Redirect("/admin/identity?done=link")
}

func (m WebModule) passwordPost(c *web.Ctx) error {
	if err := m.S.SetPasswordLogin(c.Context(), domain.Role(c.R.FormValue("role")), c.R.FormValue("on") == "1"); err != nil {
		return m.renderAdmin(c, err)
	}
	return c.Redirect("/admin/identity?done=password")
}

// brokerLogoutPage sends the browser on to the broker's end-session endpoint with a meta
// refresh and a link (a navigation, not a form submission, so form-action does not apply).
func (m WebModule) brokerLogoutPage(c *web.Ctx) error {
	u, ok := m.S.takeLogout(c.R.PathValue("id"))
	if !ok {
		return c.Redirect("/login")
	}
	return c.Render("oidc_logout", c.T("oidc.logout.title"), map[string]any{"URL": u})
}
