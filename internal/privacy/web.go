package privacy

import (
	"embed"
	"fmt"
	"io/fs"

	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the privacy capability's pages and API: "I miei dati" for the professional,
// the personal-data page of a professional for national governance, the review of requests.
type WebModule struct{ S *Service }

// Register plugs the module into the server.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "priv.nav", Desc: "priv.nav.desc", Path: "/me/personal-data", Roles: []domain.Role{domain.RoleProfessional}, Order: 95, Group: web.NavGroupAdmin})
	r.Nav(web.NavItem{Key: "priv.nav.requests", Desc: "priv.nav.requests.desc", Path: "/privacy/requests", Roles: []domain.Role{domain.RoleNational}, Order: 95, Group: web.NavGroupAdmin})

	r.Page("GET /me/personal-data", func(c *web.Ctx) error { return m.page(c, c.Actor.ProfessionalID, true, nil) })
	r.Page("GET /me/personal-data/archive", func(c *web.Ctx) error { return m.download(c, c.Actor.ProfessionalID) })
	r.Page("POST /me/personal-data/erasure", func(c *web.Ctx) error { return m.requestPost(c, c.Actor.ProfessionalID, true) })
	r.Page("GET /professionals/{id}/personal-data", func(c *web.Ctx) error {
		id, err := c.PathInt64("id")
		if err != nil {
			return err
		}
		return m.page(c, id, false, nil)
	})
	r.Page("GET /professionals/{id}/personal-data/archive", func(c *web.Ctx) error {
		id, err := c.PathInt64("id")
		if err != nil {
			return err
		}
		return m.download(c, id)
	})
	r.Page("POST /professionals/{id}/personal-data/erasure", func(c *web.Ctx) error {
		id, err := c.PathInt64("id")
		if err != nil {
			return err
		}
		return m.requestPost(c, id, false)
	})
	r.Page("GET /privacy/requests", m.requestsPage)
	r.Page("POST /privacy/requests/{id}/review", m.reviewPost)

	tag := "privacy"
	self := []string{"national", "professional"}
	r.API("GET /api/v1/me/personal-data", web.Op{Summary: "The caller's own personal-data archive (ZIP: dati.json, README.txt, CSV per section, certificates, credentials)", Tag: tag,
		Roles: []string{"professional"}, RawResponse: "application/zip"}, func(c *web.Ctx) (any, error) { return m.archive(c, c.Actor.ProfessionalID) })
	r.API("GET /api/v1/professionals/{id}/personal-data", web.Op{Summary: "A professional's personal-data archive (the person themself or national governance)", Tag: tag,
		Roles: self, RawResponse: "application/zip"}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		return m.archive(c, id)
	})
	r.API("POST /api/v1/professionals/{id}/personal-data/erasure-requests", web.Op{Summary: "Request the erasure or pseudonymisation of a professional's data, with a reason", Tag: tag,
		Roles: self, Request: RequestInput{}, Response: Request{}, Created: true}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in RequestInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.RequestErasure(c.Context(), id, in)
	})
	r.API("GET /api/v1/privacy/requests", web.Op{Summary: "Erasure requests (national governance: all, ?state=requested; a professional: their own)", Tag: tag,
		Roles: self, Response: []Request{}}, func(c *web.Ctx) (any, error) {
		return m.S.Requests(c.Context(), c.R.URL.Query().Get("state"))
	})
	r.API("POST /api/v1/privacy/requests/{id}/review", web.Op{Summary: "Execute or reject an erasure request (national governance)", Tag: tag,
		Roles: []string{"national"}, Request: ReviewInput{}, Response: Request{}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in ReviewInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.Review(c.Context(), id, in)
	})
}

func (m WebModule) archive(c *web.Ctx, id int64) (*web.Download, error) {
	if id == 0 {
		return nil, domain.NotFound("professional")
	}
	a, err := m.S.Export(c.Context(), id)
	if err != nil {
		return nil, err
	}
	return &web.Download{ContentType: "application/zip", Filename: a.Name, Body: a.ZIP}, nil
}

func (m WebModule) download(c *web.Ctx, id int64) error {
	d, err := m.archive(c, id)
	if err != nil {
		return err
	}
	return c.WriteDownload(d)
}

type pageData struct {
	Own      bool
	Subject  Subject
	Base     string // the page's path
	Requests []Request
	Open     bool
	Done     string
	Sections []string
}

func (m WebModule) page(c *web.Ctx, id int64, own bool, formErr error) error {
	if id == 0 {
		return domain.NotFound("professional")
	}
	p, err := m.S.subject(c.Context(), id)
	if err != nil {
		return err
	}
	d := pageData{Own: own, Subject: p, Done: c.R.URL.Query().Get("done"), Sections: SectionOrder()}
	if own {
		d.Base = "/me/personal-data"
	} else {
		d.Base = fmt.Sprintf("/professionals/%d/personal-data", id)
	}
	rs, err := m.S.requests(c.Context(), m.S.DB.Read, "professional_id = $1 ORDER BY id DESC", id)
	if err != nil {
		return err
	}
	d.Requests = rs
	for _, r := range rs {
		if r.State == "requested" {
			d.Open = true
		}
	}
	return c.RenderForm("privacy_page", c.T("priv.title"), d, formErr)
}

func (m WebModule) requestPost(c *web.Ctx, id int64, own bool) error {
	if _, err := m.S.RequestErasure(c.Context(), id, RequestInput{Reason: c.R.FormValue("reason")}); err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.page(c, id, own, err)
		}
		return err
	}
	if own {
		return c.Redirect("/me/personal-data?done=requested")
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/personal-data?done=requested", id))
}

type requestsData struct {
	Requests []Request
	Done     string
}

func (m WebModule) requestsPage(c *web.Ctx) error { return m.renderRequests(c, nil) }

func (m WebModule) renderRequests(c *web.Ctx, formErr error) error {
	if !c.Actor.IsNationalOrSystem() {
		return domain.Forbidden("only national governance reviews erasure requests")
	}
	rs, err := m.S.Requests(c.Context(), "")
	if err != nil {
		return err
	}
	return c.RenderForm("privacy_requests", c.T("priv.requests.title"), requestsData{Requests: rs, Done: c.R.URL.Query().Get("done")}, formErr)
}

func (m WebModule) reviewPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.Review(c.Context(), id, ReviewInput{Decision: c.R.FormValue("decision"), Note: c.R.FormValue("note")}); err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderRequests(c, err)
		}
		return err
	}
	return c.Redirect("/privacy/requests?done=" + c.R.FormValue("decision"))
}
