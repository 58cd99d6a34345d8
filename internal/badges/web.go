package badges

import (
	"embed"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the badges' web side: the professional's wallet and downloads, revocation,
// the share link, the public verification page and API, and the issuer's public documents
// (profile, keys, achievements, status list) at stable URLs.
type WebModule struct{ S *Service }

func baseOf(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (m WebModule) ctx(c *web.Ctx) *web.Ctx {
	c.R = c.R.WithContext(WithBaseURL(c.Context(), baseOf(c.R)))
	return c
}

func (m WebModule) publicJSON(f func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(WithBaseURL(r.Context(), baseOf(r)))
		v, err := f(r)
		if err != nil {
			code := http.StatusInternalServerError
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				code = http.StatusNotFound
			}
			http.Error(w, http.StatusText(code), code)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if s, ok := v.(string); ok {
			w.Header().Set("Content-Type", "application/vc+jwt")
			_, _ = io.WriteString(w, s)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	})
}

// Register plugs the module into the server.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "badge.nav", Desc: "badge.nav.desc", Path: "/badges", Roles: []domain.Role{domain.RoleProfessional}, Order: 48, Group: web.NavGroupTraining})

	r.Page("GET /badges", m.walletPage)
	r.Page("GET /badges/clr", m.clrDownload)
	r.Page("GET /badges/{id}/json", m.download("json"))
	r.Page("GET /badges/{id}/jwt", m.download("jwt"))
	r.Page("GET /badges/{id}/png", m.download("png"))
	r.Page("GET /professionals/{id}/badges", m.professionalPage)
	r.Page("POST /badges/{id}/revoke", m.revokePost)
	r.Page("GET /open-badge/{token}", m.sharePage, web.PageOpts{Public: true})
	r.Page("GET /verifica-badge", m.verifyForm, web.PageOpts{Public: true})
	r.Page("POST /verifica-badge", m.verifyPost, web.PageOpts{Public: true, MaxBytes: 4 << 20})

	r.Handle("GET /badges/issuer", m.publicJSON(func(r *http.Request) (any, error) { return m.S.IssuerProfile(r.Context()), nil }))
	r.Handle("GET /badges/issuer/jwks", m.publicJSON(func(r *http.Request) (any, error) { return m.S.IssuerJWKS(r.Context()) }))
	r.Handle("GET /badges/issuer/multikey", m.publicJSON(func(r *http.Request) (any, error) { return m.S.ControllerDocument(r.Context()) }))
	r.Handle("GET /badges/issuer/keys/{kid}", m.publicJSON(func(r *http.Request) (any, error) {
		set, err := m.S.IssuerJWKS(r.Context())
		if err != nil {
			return nil, err
		}
		ks := set.Key(KeyURL(m.S.base(r.Context()), r.PathValue("kid")))
		if len(ks) == 0 {
			return nil, domain.NotFound("key")
		}
		return ks[0], nil
	}))
	r.Handle("GET /achievements/{id}", m.publicJSON(func(r *http.Request) (any, error) {
		var id int64
		for _, ch := range r.PathValue("id") {
			if ch < '0' || ch > '9' || id > 1e15 {
				return nil, domain.NotFound("achievement")
			}
			id = id*10 + int64(ch-'0')
		}
		return m.S.Achievement(r.Context(), id)
	}))
	r.Handle("GET /badges/status/1", m.publicJSON(func(r *http.Request) (any, error) {
		jwt, _, err := m.S.StatusList(r.Context())
		return jwt, err
	}))

	tag := "badges"
	r.API("GET /api/v1/badges", web.Op{Summary: "The calling professional's Open Badges (issuing any newly earned)", Tag: tag, Response: []Credential{}, Roles: []string{"professional"}},
		func(c *web.Ctx) (any, error) {
			c = m.ctx(c)
			if _, err := domain.Require(c.Context(), domain.RoleProfessional); err != nil {
				return nil, err
			}
			if _, err := m.S.Issue(c.Context(), c.Actor.ProfessionalID); err != nil {
				return nil, err
			}
			return m.S.List(c.Context(), c.Actor.ProfessionalID)
		})
	r.API("GET /api/v1/professionals/{id}/badges", web.Op{Summary: "A professional's Open Badges, in scope", Tag: tag, Response: []Credential{},
		Roles: []string{"national", "regional", "organisation", "professional"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		return m.S.List(m.ctx(c).Context(), id)
	})
	r.API("GET /api/v1/badges/{id}/jwt", web.Op{Summary: "A badge as VC-JWT (text/plain)", Tag: tag, RawResponse: "text/plain",
		Roles: []string{"national", "regional", "organisation", "professional"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		cr, err := m.S.Get(c.Context(), id)
		if err != nil {
			return nil, err
		}
		return &web.Download{ContentType: "text/plain; charset=utf-8", Body: []byte(cr.JWT)}, nil
	})
	r.API("POST /api/v1/badges/{id}/revoke", web.Op{Summary: "Revoke a badge with a reason (national governance, the holder's region)", Tag: tag,
		Request: RevokeInput{}, Response: Credential{}, Roles: []string{"national", "regional"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in RevokeInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.Revoke(c.Context(), id, in.Reason)
	})
	r.API("POST /api/v1/badges/issuer/rotate", web.Op{Summary: "Rotate the issuer's signing key; the old key stays published so issued badges keep verifying", Tag: tag,
		Response: map[string]string{}, Roles: []string{"national"}}, func(c *web.Ctx) (any, error) {
		kid, err := m.S.RotateKey(m.ctx(c).Context())
		return map[string]string{"kid": kid}, err
	})
	r.API("POST /api/v1/badges/verify", web.Op{Summary: "Verify a credential (VC-JWT as text/plain, JSON, or a baked PNG) step by step; no login", Tag: tag,
		RawRequest: "text/plain", RawKinds: []web.UploadKind{web.UploadJWT, web.UploadJSON, web.UploadPNG}, Response: Report{}, Public: true, MaxBytes: 4 << 20}, func(c *web.Ctx) (any, error) {
		body, err := io.ReadAll(c.R.Body)
		if err != nil {
			return nil, domain.Invalid("body", "%v", err)
		}
		return m.S.Verify(m.ctx(c).Context(), body), nil
	})
}

// RevokeInput is the body of a revocation.
type RevokeInput struct {
	Reason string `json:"reason"`
}

func (m WebModule) walletPage(c *web.Ctx) error {
	c = m.ctx(c)
	if _, err := domain.Require(c.Context(), domain.RoleProfessional); err != nil {
		return err
	}
	n, err := m.S.Issue(c.Context(), c.Actor.ProfessionalID)
	if err != nil {
		return err
	}
	list, err := m.S.List(c.Context(), c.Actor.ProfessionalID)
	if err != nil {
		return err
	}
	return c.Render("badge_wallet", c.T("badge.nav"), map[string]any{"Badges": list, "New": n, "Base": m.S.base(c.Context()), "Mine": true})
}

func (m WebModule) professionalPage(c *web.Ctx) error {
	c = m.ctx(c)
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	list, err := m.S.List(c.Context(), id)
	if err != nil {
		return err
	}
	return c.Render("badge_wallet", c.T("badge.of"), map[string]any{"Badges": list, "Base": m.S.base(c.Context()),
		"CanRevoke": c.Actor.Role == domain.RoleNational || c.Actor.Role == domain.RoleRegional})
}

func (m WebModule) download(kind string) web.PageFunc {
	return func(c *web.Ctx) error {
		c = m.ctx(c)
		id, err := c.PathInt64("id")
		if err != nil {
			return err
		}
		cr, err := m.S.Get(c.Context(), id)
		if err != nil {
			return err
		}
		name := "badge-" + cr.UUID
		switch kind {
		case "jwt":
			return c.WriteDownload(&web.Download{ContentType: "text/plain; charset=utf-8", Filename: name + ".jwt", Body: []byte(cr.JWT)})
		case "png":
			b, err := Bake(cr.JWT)
			if err != nil {
				return err
			}
			return c.WriteDownload(&web.Download{ContentType: "image/png", Filename: name + ".png", Body: b})
		}
		b, _ := json.MarshalIndent(cr.Body, "", "  ")
		return c.WriteDownload(&web.Download{ContentType: "application/json", Filename: name + ".json", Body: b})
	}
}

func (m WebModule) clrDownload(c *web.Ctx) error {
	c = m.ctx(c)
	if _, err := domain.Require(c.Context(), domain.RoleProfessional); err != nil {
		return err
	}
	jwt, clr, err := m.S.CLR(c.Context(), c.Actor.ProfessionalID)
	if err != nil {
		return err
	}
	if c.R.URL.Query().Get("format") == "jwt" {
		return c.WriteDownload(&web.Download{ContentType: "text/plain; charset=utf-8", Filename: "clr.jwt", Body: []byte(jwt)})
	}
	b, _ := json.MarshalIndent(clr, "", "  ")
	return c.WriteDownload(&web.Download{ContentType: "application/json", Filename: "clr.json", Body: b})
}

func (m WebModule) revokePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	cr, err := m.S.Revoke(c.Context(), id, c.R.FormValue("reason"))
	if err != nil {
		if domain.ErrorCode(err) == domain.EINVALID || domain.ErrorCode(err) == domain.ECONFLICT {
			cur, gerr := m.S.Get(c.Context(), id)
			if gerr != nil {
				return gerr
			}
			list, _ := m.S.List(m.ctx(c).Context(), cur.ProfessionalID)
			return c.RenderForm("badge_wallet", c.T("badge.of"), map[string]any{"Badges": list, "CanRevoke": true}, err)
		}
		return err
	}
	return c.Redirect("/professionals/" + itoa(cr.ProfessionalID) + "/badges")
}

func (m WebModule) sharePage(c *web.Ctx) error {
	c = m.ctx(c)
	cr, err := m.S.Shared(c.Context(), c.R.PathValue("token"))
	if err != nil {
		return err
	}
	rep := m.S.Verify(c.Context(), []byte(cr.JWT))
	return c.Render("badge_verify", c.T("badge.share.title"), map[string]any{"Report": rep, "Checked": true, "Shared": cr})
}

func (m WebModule) verifyForm(c *web.Ctx) error {
	return c.Render("badge_verify", c.T("badge.verify.title"), map[string]any{})
}

func (m WebModule) verifyPost(c *web.Ctx) error {
	c = m.ctx(c)
	in := []byte(strings.TrimSpace(c.R.FormValue("credential")))
	b, _, ok, err := c.Upload("file", web.UploadSpec{MaxBytes: 4 << 20, Kinds: []web.UploadKind{web.UploadJWT, web.UploadJSON, web.UploadPNG}})
	if err != nil {
		return c.RenderForm("badge_verify", c.T("badge.verify.title"), map[string]any{}, err)
	}
	if ok {
		in = b
	}
	if len(in) == 0 {
		return c.RenderForm("badge_verify", c.T("badge.verify.title"), map[string]any{}, domain.Invalid("credential", "%s", c.T("badge.verify.empty")))
	}
	rep := m.S.Verify(c.Context(), in)
	pasted := ""
	if len(in) < 64<<10 && in[0] != 0x89 {
		pasted = string(in)
	}
	return c.Render("badge_verify", c.T("badge.verify.title"), map[string]any{"Report": rep, "Checked": true, "Pasted": pasted})
}

func itoa(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
