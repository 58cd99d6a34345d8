package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"esd/internal/audit"
	"esd/internal/auth"
	"esd/internal/domain"
)

//go:embed static
var staticFS embed.FS

// coreModule holds the platform's own pages and endpoints: login and account, users, API
// tokens, the audit trail, jobs, health, metrics, static files and the OpenAPI document.
type coreModule struct{}

func (coreModule) Register(r *Routes) {
	s := r.s
	r.Messages(coreMessages)
	r.Messages(navGroupMessages)
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	r.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, req)
	}))
	r.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "ok"})
	}))
	r.Handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := s.DB.Read.PingContext(req.Context()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
			return
		}
		writeJSON(w, 200, map[string]string{"status": "ready", "database": string(s.DB.Dialect)})
	}))
	r.Handle("GET /metrics", s.metrics.handler())
	r.Handle("GET /api/v1/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, 200, s.OpenAPI())
	}))

	r.Page("GET /{$}", home)
	r.Page("GET /login", loginPage, PageOpts{Public: true})
	r.Page("POST /login", loginPost, PageOpts{Public: true})
	r.Page("POST /logout", logout, PageOpts{Public: true})
	r.Page("GET /account/password", passwordPage)
	r.Page("POST /account/password", passwordPost)
	r.Page("GET /account/tokens", tokensPage)
	r.Page("POST /account/tokens", tokensPost)
	r.Page("POST /account/tokens/{id}/revoke", tokenRevoke)
	r.Page("GET /admin/users", usersPage)
	r.Page("POST /admin/users", usersPost)
	r.Page("POST /admin/users/{id}/unlock", unlockPost)
	r.Page("GET /audit", auditPage)
	r.Page("GET /jobs/{id}", jobPage)

	r.Nav(NavItem{Key: "nav.home", Path: "/", Order: 0})
	r.Nav(NavItem{Key: "nav.users", Desc: "nav.users.desc", Path: "/admin/users", Roles: []domain.Role{domain.RoleNational, domain.RoleRegional}, Order: 90, Group: NavGroupAdmin})
	r.Nav(NavItem{Key: "account.tokens", Desc: "account.tokens.desc", Path: "/account/tokens", Roles: []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider}, Order: 95, Secondary: true, Group: NavGroupAdmin})
	r.Nav(NavItem{Key: "nav.audit", Desc: "nav.audit.desc", Path: "/audit", Roles: []domain.Role{domain.RoleNational, domain.RoleRegional}, Order: 91, Group: NavGroupAdmin})

	r.API("GET /api/v1/me", Op{Summary: "The calling user and their grant", Tag: "account", Response: auth.User{}}, func(c *Ctx) (any, error) {
		return map[string]any{"username": c.Actor.Username, "role": c.Actor.Role, "region_id": c.Actor.RegionID,
			"organisation_id": c.Actor.OrganisationID, "professional_id": c.Actor.ProfessionalID}, nil
	})
	r.API("GET /api/v1/users", Op{Summary: "List accounts in scope", Tag: "account", Response: []auth.User{}, Roles: []string{"national", "regional"}},
		func(c *Ctx) (any, error) { return s.Auth.ListUsers(c.Context()) })
	r.API("POST /api/v1/users", Op{Summary: "Create an account with a role and scope", Tag: "account", Request: userInput{}, Response: auth.User{}, Created: true, Roles: []string{"national", "regional"}},
		func(c *Ctx) (any, error) {
			var in userInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.Auth.CreateUser(c.Context(), in.toNewUser())
		})
	r.API("POST /api/v1/users/{id}/unlock", Op{Summary: "Unlock an account locked after repeated failed logins", Tag: "account", Roles: []string{"national", "regional"}},
		func(c *Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return nil, s.Auth.Unlock(c.Context(), id)
		})
	r.API("GET /api/v1/audit", Op{Summary: "Search the audit trail (national: all; regional: own region)", Tag: "audit", Response: []audit.Entry{}, Roles: []string{"national", "regional"}},
		func(c *Ctx) (any, error) { return s.Audit.Search(c.Context(), auditFilter(c)) })
	r.API("GET /api/v1/jobs/{id}", Op{Summary: "State and progress of a background job", Tag: "jobs", Response: jobView{}}, func(c *Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		j, err := s.Jobs.Get(c.Context(), id)
		if err != nil {
			return nil, err
		}
		return jobView{Job: j, Percent: j.Percent()}, nil
	})
}

type userInput struct {
	Username       string `json:"username"`
	DisplayName    string `json:"display_name"`
	Password       string `json:"password"`
	Role           string `json:"role"`
	RegionID       int64  `json:"region_id"`
	OrganisationID int64  `json:"organisation_id"`
	ProfessionalID int64  `json:"professional_id"`
}

func (u userInput) toNewUser() auth.NewUser {
	return auth.NewUser{Username: u.Username, DisplayName: u.DisplayName, Password: u.Password, Role: domain.Role(u.Role),
		RegionID: u.RegionID, OrganisationID: u.OrganisationID, ProfessionalID: u.ProfessionalID, MustChange: true}
}

// home shows the role's key figures and next actions from every capability's panels, then
// the cards of what the role can open. A panel that fails is logged and left out: one
// capability's trouble must not take the home page away.
func home(c *Ctx) error {
	var blocks []HomeBlock
	if c.Actor.Authenticated() {
		panels := append([]HomePanel(nil), c.s.home...)
		sort.SliceStable(panels, func(i, j int) bool { return panels[i].Order < panels[j].Order })
		for _, p := range panels {
			if !slices.Contains(p.Roles, c.Actor.Role) {
				continue
			}
			b, ok, err := p.Build(c)
			if err != nil {
				c.s.Log.Warn("home panel", "err", err, "request_id", domain.RequestIDFrom(c.Context()))
				continue
			}
			if ok {
				blocks = append(blocks, b)
			}
		}
	}
	return c.Render("home", c.T("nav.home"), map[string]any{"Panels": blocks})
}

func loginPage(c *Ctx) error {
	if c.Actor.Authenticated() {
		return c.Redirect("/")
	}
	msg := ""
	if c.R.URL.Query().Get("expired") == "1" {
		msg = c.T("login.expired")
	}
	return c.Render("login", c.T("login.title"), map[string]any{"Next": SafeNext(c.R.URL.Query().Get("next")), "Notice": msg,
		"Options": c.s.loginOptionsFor(c)})
}

func remoteAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i > 0 {
		host = host[:i]
	}
	return host
}

func loginPost(c *Ctx) error {
	s := c.s
	user, pw := c.R.FormValue("username"), c.R.FormValue("password")
	next := SafeNext(c.R.FormValue("next"))
	tok, _, err := s.Auth.Login(c.Context(), user, pw, remoteAddr(c.R))
	if err != nil {
		code := domain.ErrorCode(err)
		if code != domain.EUNAUTHORIZED && code != domain.ETOOMANY {
			return err
		}
		msg := c.T("login.failed")
		status := http.StatusUnauthorized
		if err == auth.ErrLocked {
			msg, status = c.T("login.locked"), http.StatusTooManyRequests
		} else if code == domain.ETOOMANY {
			msg, status = c.T("login.throttled"), http.StatusTooManyRequests
		} else if err == auth.ErrPasswordOff {
			msg = c.T("login.password_off")
		}
		c.Actor = domain.Actor{}
		return s.render(c, status, "login", c.T("login.title"), map[string]any{"Next": next, "Username": user, "Options": s.loginOptionsFor(c)},
			&domain.Error{Code: domain.EINVALID, Message: msg})
	}
	endPreviousSession(c)
	s.setCookie(c.W, sessionCookie, tok, int(auth.SessionAbsolute.Seconds()))
	return c.Redirect(next)
}

func logout(c *Ctx) error {
	next := "/login"
	if ck, err := c.R.Cookie(sessionCookie); err == nil {
		if u := c.s.logoutHooks(c, ck.Value); u != "" {
			next = u
		}
		_ = c.s.Auth.Logout(c.Context(), ck.Value)
	}
	c.s.clearCookie(c.W, sessionCookie)
	return c.Redirect(SafeNext(next))
}

func passwordPage(c *Ctx) error {
	return c.Render("account_password", c.T("account.password"), nil)
}

func passwordPost(c *Ctx) error {
	ck, _ := c.R.Cookie(sessionCookie)
	keep := ""
	if ck != nil {
		keep = ck.Value
	}
	if c.R.FormValue("new_password") != c.R.FormValue("confirm_password") {
		return c.RenderForm("account_password", c.T("account.password"), nil, domain.Invalid("confirm_password", "%s", c.T("account.mismatch")))
	}
	err := c.s.Auth.ChangePassword(c.Context(), c.R.FormValue("old_password"), c.R.FormValue("new_password"), keep)
	if err != nil {
		return c.RenderForm("account_password", c.T("account.password"), nil, localisePassword(c, err))
	}
	if err := rotateSession(c, keep); err != nil {
		return err
	}
	return c.Render("account_password", c.T("account.password"), map[string]any{"Done": true})
}

func tokensPage(c *Ctx) error {
	toks, err := c.s.Auth.ListTokens(c.Context())
	if err != nil {
		return err
	}
	return c.Render("account_tokens", c.T("account.tokens"), map[string]any{"Tokens": toks})
}

func tokensPost(c *Ctx) error {
	secret, _, err := c.s.Auth.CreateTokenWith(c.Context(), tokenInput(c))
	toks, lerr := c.s.Auth.ListTokens(c.Context())
	if lerr != nil {
		return lerr
	}
	return c.RenderForm("account_tokens", c.T("account.tokens"), map[string]any{"Tokens": toks, "Secret": secret}, err)
}

func tokenRevoke(c *Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := c.s.Auth.RevokeToken(c.Context(), id); err != nil {
		return err
	}
	return c.Redirect("/account/tokens")
}

func usersPage(c *Ctx) error {
	users, err := c.s.Auth.ListUsers(c.Context())
	if err != nil {
		return err
	}
	return c.Render("admin_users", c.T("nav.users"), map[string]any{"Users": lockedNow(c, users), "Roles": domain.Roles})
}

func usersPost(c *Ctx) error {
	in := userInput{Username: c.R.FormValue("username"), DisplayName: c.R.FormValue("display_name"), Password: c.R.FormValue("password"),
		Role: c.R.FormValue("role")}
	in.RegionID, _ = strconv.ParseInt(c.R.FormValue("region_id"), 10, 64)
	in.OrganisationID, _ = strconv.ParseInt(c.R.FormValue("organisation_id"), 10, 64)
	in.ProfessionalID, _ = strconv.ParseInt(c.R.FormValue("professional_id"), 10, 64)
	_, err := c.s.Auth.CreateUser(c.Context(), in.toNewUser())
	if err == nil {
		return c.Redirect("/admin/users")
	}
	users, lerr := c.s.Auth.ListUsers(c.Context())
	if lerr != nil {
		return lerr
	}
	return c.RenderForm("admin_users", c.T("nav.users"), map[string]any{"Users": lockedNow(c, users), "Roles": domain.Roles, "Form": in}, localisePassword(c, err))
}

func auditFilter(c *Ctx) audit.Filter {
	q := c.R.URL.Query()
	f := audit.Filter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), Action: q.Get("action"), Actor: q.Get("actor"), Limit: c.QueryInt("limit", 100)}
	f.BeforeID = int64(c.QueryInt("before", 0))
	f.RegionID = int64(c.QueryInt("region_id", 0))
	return f
}

func auditPage(c *Ctx) error {
	f := auditFilter(c)
	entries, err := c.s.Audit.Search(c.Context(), f)
	if err != nil {
		return err
	}
	var next int64
	if len(entries) == f.Limit && len(entries) > 0 {
		next = entries[len(entries)-1].ID
	}
	return c.Render("audit", c.T("nav.audit"), map[string]any{"Entries": entries, "Filter": f, "Next": next})
}

type jobView struct {
	Job     any `json:"job"`
	Percent int `json:"percent"`
}

func jobPage(c *Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	j, err := c.s.Jobs.Get(c.Context(), id)
	if err != nil {
		return err
	}
	// A job whose result lists problems (an import's bad rows) shows them as a table.
	var report struct {
		Problems []domain.Problem `json:"problems"`
	}
	_ = json.Unmarshal(j.Result, &report)
	return c.Render("job", c.T("job.title"), map[string]any{"Job": j, "Percent": j.Percent(), "Result": string(j.Result), "Problems": report.Problems})
}
