package registry

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"esd/internal/domain"
	"esd/internal/web"
)

// ImportJob is the answer of an import started in the background.
type ImportJob struct {
	JobID int64  `json:"job_id"`
	Page  string `json:"page"` // the progress page
	API   string `json:"api"`  // the job's state as JSON
}

func (m Module) registerAPI(r *web.Routes) {
	everyone := []string{"national", "regional", "organisation", "provider", "professional", "analyst"}
	individual := []string{"national", "regional", "organisation", "professional"}
	editors := []string{"national", "regional", "organisation"}
	r.API("GET /api/v1/regions", web.Op{Summary: "The 21 Regions and autonomous provinces (id = Ministry of Health code) with ISTAT, Ministry and ISO codes",
		Tag: "reference", Response: []Region{}, Roles: everyone}, func(c *web.Ctx) (any, error) { return m.S.Regions(ctxOf(c)) })
	r.API("GET /api/v1/professions", web.Op{Summary: "The 30 ECM professions with their disciplines (Co.Ge.A.P.S. codes)", Tag: "reference",
		Response: []Profession{}, Roles: everyone}, func(c *web.Ctx) (any, error) { return m.S.Professions(ctxOf(c)) })
	r.API("GET /api/v1/ecm-objectives", web.Op{Summary: "National ECM training objectives; ?version=2 (2018) or 3 (2019, default all)", Tag: "reference",
		Response: []Objective{}, Roles: everyone}, func(c *web.Ctx) (any, error) {
		return m.S.Objectives(ctxOf(c), c.QueryInt("version", 0))
	})
	r.API("GET /api/v1/organisations", web.Op{Summary: "Health organisations and ECM providers; filters q, region_id, kind, parent_id; page, per_page",
		Tag: "registry", Response: OrganisationPage{}, Roles: everyone}, func(c *web.Ctx) (any, error) {
		q := c.R.URL.Query()
		return m.S.ListOrganisations(ctxOf(c), OrganisationFilter{Query: q.Get("q"), RegionID: queryInt64(c, "region_id"), Kind: q.Get("kind"),
			ParentID: queryInt64(c, "parent_id"), Page: c.QueryInt("page", 1), PerPage: c.QueryInt("per_page", 50)})
	})
	r.API("GET /api/v1/organisations/{id}", web.Op{Summary: "One organisation", Tag: "registry", Response: Organisation{}, Roles: everyone},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.Organisation(ctxOf(c), id)
		})
	r.API("POST /api/v1/organisations", web.Op{Summary: "Register an organisation (national; regional in their region)", Tag: "registry",
		Request: OrganisationInput{}, Response: Organisation{}, Created: true, Roles: []string{"national", "regional"}}, func(c *web.Ctx) (any, error) {
		var in OrganisationInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.CreateOrganisation(ctxOf(c), in)
	})
	r.API("PUT /api/v1/organisations/{id}", web.Op{Summary: "Change an organisation (national; regional in their region)", Tag: "registry",
		Request: OrganisationInput{}, Response: Organisation{}, Roles: []string{"national", "regional"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in OrganisationInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.UpdateOrganisation(ctxOf(c), id, in)
	})
	r.API("GET /api/v1/professionals", web.Op{Summary: "Professionals in the caller's scope; filters q (name or codice fiscale), region_id, organisation_id, profession; page, per_page",
		Tag: "registry", Response: ProfessionalPage{}, Roles: individual}, func(c *web.Ctx) (any, error) {
		return m.S.ListProfessionals(ctxOf(c), ProfessionalFilter{Query: c.R.URL.Query().Get("q"), RegionID: queryInt64(c, "region_id"),
			OrganisationID: queryInt64(c, "organisation_id"), Profession: c.QueryInt("profession", 0), Page: c.QueryInt("page", 1),
			PerPage: c.QueryInt("per_page", 50)})
	})
	r.API("GET /api/v1/professionals/{id}", web.Op{Summary: "One professional (out of scope: 404)", Tag: "registry", Response: Professional{}, Roles: individual},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.Professional(ctxOf(c), id)
		})
	r.API("POST /api/v1/professionals", web.Op{Summary: "Register a professional within the caller's scope", Tag: "registry",
		Request: ProfessionalInput{}, Response: Professional{}, Created: true, Roles: editors}, func(c *web.Ctx) (any, error) {
		var in ProfessionalInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.CreateProfessional(ctxOf(c), in)
	})
	r.API("PUT /api/v1/professionals/{id}", web.Op{Summary: "Change a professional within the caller's scope", Tag: "registry",
		Request: ProfessionalInput{}, Response: Professional{}, Roles: editors}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in ProfessionalInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.UpdateProfessional(ctxOf(c), id, in)
	})
	r.API("POST /api/v1/professionals/import", web.Op{Summary: "Import professionals from a CSV file (body text/csv; ?dry_run=1, ?partial=1, ?async=1 for a background job). All or nothing by default: bad rows come back as problem+json errors with line, field, reason and value",
		Tag: "registry", RawRequest: "text/csv", RawKinds: []web.UploadKind{web.UploadCSV}, Response: ImportResult{}, Roles: editors, MaxBytes: MaxImportBytes}, func(c *web.Ctx) (any, error) {
		q := c.R.URL.Query()
		opts := ImportOptions{DryRun: isTrue(q.Get("dry_run")), Partial: isTrue(q.Get("partial"))}
		if isTrue(q.Get("async")) && m.Jobs != nil {
			if !canEditProfessionals(c.Actor) {
				return nil, forbidden(ctxOf(c), "you may not import professionals")
			}
			body, err := readBody(c)
			if err != nil {
				return nil, err
			}
			id, err := m.startImportJob(ctxOf(c), body, opts)
			if err != nil {
				return nil, err
			}
			s := strconv.FormatInt(id, 10)
			return ImportJob{JobID: id, Page: "/jobs/" + s, API: "/api/v1/jobs/" + s}, nil
		}
		return m.S.ImportProfessionals(ctxOf(c), c.R.Body, opts)
	})
}

func isTrue(v string) bool { return v == "1" || v == "true" || v == "yes" }

// readBody reads a request body whole (its size is capped by the route's MaxBytes).
func readBody(c *web.Ctx) ([]byte, error) {
	b, err := io.ReadAll(c.R.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, err
	}
	if err != nil {
		return nil, domain.Invalid("body", "could not read the request body")
	}
	return b, nil
}
