package participation

import (
	"bytes"
	"embed"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is participation's web surface: "my training" for professionals, the edition page
// (enrolment, the participants in the caller's scope, attendance and completion for the
// provider, report upload and export), and the JSON API providers' systems post to.
type WebModule struct{ S *Service }

// Register implements web.Module.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "part.nav.mine", Path: "/training", Roles: []domain.Role{domain.RoleProfessional}, Order: 46, Group: web.NavGroupTraining})
	r.Nav(web.NavItem{Key: "part.nav.import", Path: "/reports/import", Roles: []domain.Role{domain.RoleProvider, domain.RoleNational}, Order: 47, Secondary: true, Group: web.NavGroupTraining})

	r.Home(m.homePanel())
	r.Page("GET /training", m.trainingPage)
	r.Page("GET /professionals/{id}/training", m.trainingPage)
	r.Page("GET /editions/{id}", m.editionPage)
	r.Page("POST /editions/{id}/enrol", m.enrolPost)
	r.Page("POST /participations/{id}/cancel", m.actionPost("cancel"))
	r.Page("POST /participations/{id}/session", m.actionPost("session"))
	r.Page("POST /participations/{id}/outcome", m.actionPost("outcome"))
	r.Page("POST /participations/{id}/complete", m.actionPost("complete"))
	r.Page("GET /reports/import", m.importPage)
	r.Page("POST /reports/import", m.importPost, web.PageOpts{MaxBytes: MaxReportBytes + 1<<20})
	r.Page("POST /editions/{id}/report", m.importPost, web.PageOpts{MaxBytes: MaxReportBytes + 1<<20})
	r.Page("GET /editions/{id}/rapporto.xml", m.exportDownload)

	tag := "participation"
	r.API("GET /api/v1/training", web.Op{Summary: "The calling professional's training: next and done", Tag: tag, Response: MyTraining{}, Roles: []string{"professional"}},
		func(c *web.Ctx) (any, error) { return m.S.Training(c.Context(), 0) })
	r.API("GET /api/v1/professionals/{id}/training", web.Op{Summary: "A professional's training (in scope)", Tag: tag, Response: MyTraining{}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.Training(c.Context(), id)
		})
	r.API("GET /api/v1/editions/{id}/participants", web.Op{Summary: "An edition's participants in the caller's scope, with its reports", Tag: tag, Response: EditionView{}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.Edition(c.Context(), id)
		})
	r.API("POST /api/v1/editions/{id}/enrolments", web.Op{Summary: "Enrol a professional (self, or staff in scope); a full edition puts them on the waiting list", Tag: tag,
		Request: enrolInput{}, Response: Participation{}, Created: true, Roles: []string{"professional", "organisation", "regional", "national"}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			var in enrolInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.Enrol(c.Context(), id, in.ProfessionalID)
		})
	r.API("GET /api/v1/participations/{id}", web.Op{Summary: "One participation (in scope)", Tag: tag, Response: Participation{}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.Get(c.Context(), id)
		})
	r.API("POST /api/v1/participations/{id}/cancel", web.Op{Summary: "Cancel an enrolment; the waiting list moves up", Tag: tag, Response: Participation{}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.Cancel(c.Context(), id)
		})
	r.API("POST /api/v1/participations/{id}/sessions", web.Op{Summary: "Record a day of attendance (the event's provider)", Tag: tag, Request: SessionInput{}, Response: Participation{},
		Roles: []string{"provider", "national"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in SessionInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.RecordSession(c.Context(), id, in)
	})
	r.API("POST /api/v1/participations/{id}/outcome", web.Op{Summary: "Record the learning test, questionnaire and FAD completion", Tag: tag, Request: OutcomeInput{}, Response: Participation{},
		Roles: []string{"provider", "national"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in OutcomeInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.RecordOutcome(c.Context(), id, in)
	})
	r.API("POST /api/v1/participations/{id}/complete", web.Op{Summary: "Complete a participation with a role: credits under the event's rules, or failed with the reason", Tag: tag,
		Request: CompleteInput{}, Response: completeResult{}, Roles: []string{"provider", "national"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in CompleteInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		p, why, err := m.S.Complete(c.Context(), id, in)
		return completeResult{Participation: p, Reason: why}, err
	})
	r.API("PUT /api/v1/editions/{id}/participations", web.Op{Summary: "Post participations of an edition from a provider's system: idempotent by edition and codice fiscale, all or nothing", Tag: tag,
		Request: []PostInput{}, Response: ImportResult{}, Roles: []string{"provider", "national"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in []PostInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.Post(c.Context(), id, in)
	})
	r.API("POST /api/v1/reports", web.Op{Summary: "Import a rapporto evento (XML; CSV with ?edition_id=), all or nothing; ?dry_run=1 only checks", Tag: tag,
		Response: ImportResult{}, RawRequest: "application/xml", RawKinds: []web.UploadKind{web.UploadXML, web.UploadCSV}, MaxBytes: MaxReportBytes + 1<<20, Roles: []string{"provider", "national"}},
		func(c *web.Ctx) (any, error) {
			q := c.R.URL.Query()
			ed, _ := strconv.ParseInt(q.Get("edition_id"), 10, 64)
			return m.S.ImportReport(c.Context(), ImportInput{Name: q.Get("name"), Body: c.R.Body, EditionID: ed, DryRun: q.Get("dry_run") == "1", Lang: c.Lang})
		})
	r.API("GET /api/v1/editions/{id}/report", web.Op{Summary: "The edition's rapporto evento XML from ESD's records (schema 1.16, ISO-8859-1)", Tag: tag,
		RawResponse: "application/xml", Roles: []string{"provider", "national"}}, func(c *web.Ctx) (any, error) {
		return m.exportFile(c)
	})
}

type enrolInput struct {
	ProfessionalID int64 `json:"professional_id,omitempty"`
}

type completeResult struct {
	Participation
	Reason string `json:"reason,omitempty"`
}

func (m WebModule) trainingPage(c *web.Ctx) error {
	var id int64
	if c.R.PathValue("id") != "" {
		var err error
		if id, err = c.PathInt64("id"); err != nil {
			return err
		}
	}
	v, err := m.S.Training(c.Context(), id)
	if err != nil {
		return err
	}
	return c.Render("participation_training", c.T("part.nav.mine"), map[string]any{"V": v, "Self": id == 0})
}

func (m WebModule) editionPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	v, err := m.S.Edition(c.Context(), id)
	if err != nil {
		return err
	}
	return c.Render("participation_edition", v.Title, map[string]any{"V": v, "Roles": Roles, "Done": doneKey(c.R.URL.Query().Get("done")), "Reason": c.R.URL.Query().Get("reason")})
}

func (m WebModule) enrolPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := c.R.ParseForm(); err != nil {
		return err
	}
	var prof int64
	if cf := strings.TrimSpace(c.R.FormValue("cf")); cf != "" {
		if prof, err = m.S.ProfessionalByCF(c.Context(), cf); err != nil {
			return m.renderEdition(c, id, err)
		}
	}
	p, err := m.S.Enrol(c.Context(), id, prof)
	if err != nil {
		return m.renderEdition(c, id, err)
	}
	return c.Redirect("/editions/" + strconv.FormatInt(id, 10) + "?done=" + p.State)
}

// renderEdition shows the edition page again with the error of a form on it.
func (m WebModule) renderEdition(c *web.Ctx, id int64, ferr error) error {
	v, err := m.S.Edition(c.Context(), id)
	if err != nil {
		return err
	}
	return c.RenderForm("participation_edition", v.Title, map[string]any{"V": v, "Roles": Roles}, ferr)
}

func (m WebModule) actionPost(action string) web.PageFunc {
	return func(c *web.Ctx) error {
		id, err := c.PathInt64("id")
		if err != nil {
			return err
		}
		if err := c.R.ParseForm(); err != nil {
			return err
		}
		x, err := m.S.Get(c.Context(), id)
		if err != nil {
			return err
		}
		reason := ""
		switch action {
		case "cancel":
			_, err = m.S.Cancel(c.Context(), id)
		case "session":
			h, perr := strconv.ParseFloat(strings.Replace(c.R.FormValue("hours"), ",", ".", 1), 64)
			if perr != nil {
				err = domain.Invalid("hours", "hours must be a number")
				break
			}
			_, err = m.S.RecordSession(c.Context(), id, SessionInput{Date: c.R.FormValue("date"), Hours: h})
		case "outcome":
			var in OutcomeInput
			if t := strings.TrimSpace(strings.TrimSuffix(c.R.FormValue("test"), "%")); t != "" {
				v, perr := strconv.ParseFloat(strings.Replace(t, ",", ".", 1), 64)
				if perr != nil || v < 0 || v > 100 {
					err = domain.Invalid("test", "the test result is a percentage from 0 to 100")
					break
				}
				v /= 100
				in.TestScore = &v
			}
			q := c.R.FormValue("questionnaire") == "1"
			in.Questionnaire = &q
			if x.Type == "FAD" {
				f := c.R.FormValue("fad") == "1"
				in.FADCompleted = &f
			}
			_, err = m.S.RecordOutcome(c.Context(), id, in)
		case "complete":
			_, reason, err = m.S.Complete(c.Context(), id, CompleteInput{Role: c.R.FormValue("role"), Date: c.R.FormValue("date")})
		}
		if err != nil {
			return m.renderEdition(c, x.EditionID, err)
		}
		if c.R.FormValue("back") == "training" {
			return c.Redirect("/training?done=" + action)
		}
		u := "/editions/" + strconv.FormatInt(x.EditionID, 10) + "?done=" + action
		if reason != "" {
			u += "&reason=" + urlQuery(reason)
		}
		return c.Redirect(u + "#p" + strconv.FormatInt(id, 10))
	}
}

func (m WebModule) importPage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational); err != nil {
		return err
	}
	return c.Render("participation_import", c.T("part.nav.import"), map[string]any{})
}

func (m WebModule) importPost(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational); err != nil {
		return err
	}
	var edition int64
	if c.R.PathValue("id") != "" {
		var err error
		if edition, err = c.PathInt64("id"); err != nil {
			return err
		}
	}
	body, hdr, ok, err := c.Upload("file", web.UploadSpec{MaxBytes: MaxReportBytes, Kinds: []web.UploadKind{web.UploadXML, web.UploadCSV}})
	if err != nil {
		return c.RenderForm("participation_import", c.T("part.nav.import"), map[string]any{"EditionID": edition}, err)
	}
	if !ok {
		return c.RenderForm("participation_import", c.T("part.nav.import"), map[string]any{"EditionID": edition},
			domain.Invalid("file", "choose the report file (XML or CSV)"))
	}
	res, err := m.S.ImportReport(c.Context(), ImportInput{Name: hdr.Filename, Body: bytes.NewReader(body), EditionID: edition, DryRun: c.R.FormValue("dry_run") == "1", Lang: c.Lang})
	return c.RenderForm("participation_import", c.T("part.nav.import"), map[string]any{"Result": res, "File": hdr.Filename, "EditionID": edition, "OK": err == nil}, err)
}

func (m WebModule) exportFile(c *web.Ctx) (*web.Download, error) {
	id, err := c.PathInt64("id")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	name, err := m.S.ExportReport(c.Context(), id, &b)
	if err != nil {
		return nil, err
	}
	return &web.Download{ContentType: "application/xml; charset=ISO-8859-1", Filename: name, Body: b.Bytes()}, nil
}

func (m WebModule) exportDownload(c *web.Ctx) error {
	d, err := m.exportFile(c)
	if err != nil {
		return err
	}
	return c.WriteDownload(d)
}

func urlQuery(s string) string { return url.QueryEscape(s) }

// doneKey keeps only the known notices, so a crafted URL cannot ask for any message.
func doneKey(s string) string {
	switch s {
	case StateEnrolled, StateWaitlisted, "cancel", "session", "outcome", "complete":
		return s
	}
	return ""
}
