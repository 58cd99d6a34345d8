package xapi

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the LRS at /xapi/, the provider's LRS page, the professional's record of what
// platforms reported, and the JSON API that manages credentials and mints cmi5 sessions.
type WebModule struct {
	S   *Service
	LRS *LRS
}

// Register plugs the module into the server.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	lrs := m.LRS
	if lrs == nil {
		lrs = &LRS{S: m.S}
	}
	// The LRS authenticates every request with Basic credentials and never reads the session
	// cookie, so browser content launched from another origin (cmi5) may call it.
	r.ExemptCrossOrigin("/xapi/")
	r.Handle("/xapi/", lrs)
	r.Nav(web.NavItem{Key: "xapi.nav", Desc: "xapi.nav.desc", Path: "/lrs", Roles: []domain.Role{domain.RoleProvider, domain.RoleNational}, Order: 58, Secondary: true, Group: web.NavGroupTraining})

	r.Page("GET /lrs", m.lrsHome)
	r.Page("GET /organisations/{id}/xapi", m.providerPage)
	r.Page("POST /organisations/{id}/xapi/credentials", m.createPost)
	r.Page("POST /organisations/{id}/xapi/credentials/{cid}/revoke", m.revokePost)
	r.Page("POST /organisations/{id}/xapi/homepages", m.homePagePost)
	r.Page("POST /organisations/{id}/xapi/learners", m.learnerPost)
	r.Page("POST /organisations/{id}/xapi/activities", m.activityPost)
	r.Page("GET /professionals/{id}/xapi", m.professionalPage)

	tag := "xapi"
	mgr := []string{"provider", "national"}
	r.API("GET /api/v1/providers/{id}/xapi", web.Op{Summary: "A provider's LRS: credentials (without secrets), account homePages, mapped activities, counts", Tag: tag, Response: Overview{}, Roles: mgr},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.ProviderOverview(c.Context(), id)
		})
	r.API("POST /api/v1/providers/{id}/xapi/credentials", web.Op{Summary: "Issue a Basic key and secret for the provider's platform (the secret is shown once)", Tag: tag,
		Request: CredentialInput{}, Response: Issued{}, Roles: mgr, Created: true}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in CredentialInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.CreateCredential(c.Context(), id, in)
	})
	r.API("DELETE /api/v1/providers/{id}/xapi/credentials/{cid}", web.Op{Summary: "Revoke a credential at once", Tag: tag, Roles: mgr}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		cid, err := c.PathInt64("cid")
		if err != nil {
			return nil, err
		}
		return nil, m.S.RevokeCredential(c.Context(), id, cid)
	})
	r.API("POST /api/v1/providers/{id}/xapi/homepages", web.Op{Summary: "Register how the platform names learners: account.homePage whose name is the codice fiscale (cf) or a registered id", Tag: tag,
		Request: HomePageInput{}, Roles: mgr}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in HomePageInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return nil, m.S.SetHomePage(c.Context(), id, in)
	})
	r.API("POST /api/v1/providers/{id}/xapi/learners", web.Op{Summary: "Map a learner id of the platform to a professional by codice fiscale", Tag: tag,
		Request: LearnerInput{}, Roles: mgr}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in LearnerInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return nil, m.S.RegisterLearner(c.Context(), id, in)
	})
	r.API("POST /api/v1/providers/{id}/xapi/activities", web.Op{Summary: "Map an activity IRI to an edition of the provider's event, with the verbs and minimum score that complete it", Tag: tag,
		Request: ActivityInput{}, Roles: mgr}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in ActivityInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return nil, m.S.MapActivity(c.Context(), id, in)
	})
	r.API("POST /api/v1/xapi/sessions", web.Op{Summary: "Mint a short-lived credential for one cmi5 launch (actor, registration, activity; no voiding); its auth-token is what the provider's fetch URL returns", Tag: tag,
		Request: SessionInput{}, Response: Issued{}, Roles: []string{"provider"}, Created: true}, func(c *web.Ctx) (any, error) {
		var in SessionInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.MintSession(c.Context(), in)
	})
	r.API("GET /api/v1/professionals/{id}/xapi", web.Op{Summary: "What providers' platforms reported for a professional through xAPI: participations and credits, and what was withdrawn", Tag: tag,
		Response: []Record{}, Roles: []string{"national", "regional", "organisation", "professional"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		return m.S.ProfessionalRecords(c.Context(), id)
	})
}

func (m WebModule) lrsHome(c *web.Ctx) error {
	a, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return err
	}
	if a.Role == domain.RoleProvider {
		return c.Redirect("/organisations/" + strconv.FormatInt(a.OrganisationID, 10) + "/xapi")
	}
	if code := strings.TrimSpace(c.R.URL.Query().Get("provider")); code != "" {
		var id int64
		if err := m.S.DB.Read.QueryRowContext(c.Context(), `SELECT id FROM organisations WHERE kind = 'provider' AND code = $1`, code).Scan(&id); err == nil {
			return c.Redirect("/organisations/" + strconv.FormatInt(id, 10) + "/xapi")
		}
		return c.RenderForm("xapi_home", c.T("xapi.nav"), map[string]any{"Code": code}, domain.Invalid("provider", "no provider %s", code))
	}
	return c.Render("xapi_home", c.T("xapi.nav"), map[string]any{})
}

func (m WebModule) providerPage(c *web.Ctx) error { return m.renderProvider(c, nil, nil) }

func (m WebModule) renderProvider(c *web.Ctx, issued *Issued, ferr error) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	o, err := m.S.ProviderOverview(c.Context(), id)
	if err != nil {
		return err
	}
	base := "https://" + c.R.Host
	if c.R.TLS == nil {
		base = "http://" + c.R.Host
	}
	data := map[string]any{"O": o, "Issued": issued, "Scopes": AllScopes, "Endpoint": base + "/xapi/", "Done": c.R.URL.Query().Get("done")}
	if ferr != nil {
		return c.RenderForm("xapi_provider", c.T("xapi.title"), data, ferr)
	}
	return c.Render("xapi_provider", c.T("xapi.title"), data)
}

func (m WebModule) back(c *web.Ctx, id int64, done string) error {
	return c.Redirect("/organisations/" + strconv.FormatInt(id, 10) + "/xapi?done=" + done)
}

func (m WebModule) createPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := c.R.ParseForm(); err != nil {
		return domain.Invalid("form", "unreadable form")
	}
	is, err := m.S.CreateCredential(c.Context(), id, CredentialInput{Label: c.R.PostForm.Get("label"), Scopes: c.R.PostForm["scope"], NoVoid: c.R.PostForm.Get("no_void") == "1"})
	if err != nil {
		return m.renderProvider(c, nil, err)
	}
	// The secret is shown on this response only: no redirect that would need to keep it.
	c.W.Header().Set("Cache-Control", "no-store")
	return m.renderProvider(c, &is, nil)
}

func (m WebModule) revokePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	cid, err := c.PathInt64("cid")
	if err != nil {
		return err
	}
	if err := m.S.RevokeCredential(c.Context(), id, cid); err != nil {
		return err
	}
	return m.back(c, id, "revoked")
}

func (m WebModule) homePagePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := m.S.SetHomePage(c.Context(), id, HomePageInput{HomePage: strings.TrimSpace(c.R.FormValue("home_page")), Mode: c.R.FormValue("mode")}); err != nil {
		return m.renderProvider(c, nil, err)
	}
	return m.back(c, id, "homepage")
}

func (m WebModule) learnerPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := m.S.RegisterLearner(c.Context(), id, LearnerInput{HomePage: strings.TrimSpace(c.R.FormValue("home_page")), Name: strings.TrimSpace(c.R.FormValue("name")),
		CF: c.R.FormValue("codice_fiscale")}); err != nil {
		return m.renderProvider(c, nil, err)
	}
	return m.back(c, id, "learner")
}

func (m WebModule) activityPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := ActivityInput{ActivityID: strings.TrimSpace(c.R.FormValue("activity_id")), EventCode: strings.TrimSpace(c.R.FormValue("event_code"))}
	if n, err := strconv.Atoi(strings.TrimSpace(c.R.FormValue("edition"))); err == nil {
		in.Edition = n
	} else if c.R.FormValue("edition") != "" {
		return m.renderProvider(c, nil, domain.Invalid("edition", "the edition is a number"))
	}
	if v := strings.TrimSpace(strings.ReplaceAll(c.R.FormValue("min_score"), ",", ".")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return m.renderProvider(c, nil, domain.Invalid("min_score", "the minimum score is a number from 0 to 1"))
		}
		in.MinScore = &f
	}
	if err := m.S.MapActivity(c.Context(), id, in); err != nil {
		return m.renderProvider(c, nil, err)
	}
	return m.back(c, id, "activity")
}

func (m WebModule) professionalPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	rs, err := m.S.ProfessionalRecords(c.Context(), id)
	if err != nil {
		return err
	}
	return c.Render("xapi_professional", c.T("xapi.prof.title"), map[string]any{"Rows": rs, "ID": id})
}

var _ = http.StatusOK
