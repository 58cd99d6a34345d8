package exports

import (
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/monitor"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the web surface of the exports: the PDF report and the open-data page, its
// files and their API.
type WebModule struct{ S *Service }

// Register plugs the pages, API operations, templates, menu entry and messages in.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(Messages)
	r.Nav(web.NavItem{Key: "nav.opendata", Desc: "nav.opendata.desc", Path: "/opendata", Order: 62, Secondary: true, Group: web.NavGroupMonitoring})
	r.Page("GET /monitor/report.pdf", m.reportPage)
	r.Page("GET /opendata", m.openDataPage, web.PageOpts{Public: true})
	r.Page("GET /opendata/{file}", m.openDataFile, web.PageOpts{Public: true})
	viewers := []string{"national", "regional", "organisation", "analyst"}
	r.API("GET /api/v1/monitor/report.pdf", web.Op{Summary: "The PDF monitoring report of a region (?region=, default: the caller's scope; Italy for the national viewers) and period (?period=2026; the whole time when empty), small cells suppressed as on the dashboard",
		Tag: "exports", RawResponse: "application/pdf", Roles: viewers}, func(c *web.Ctx) (any, error) { return m.report(c) })
	r.API("GET /api/v1/opendata", web.Op{Summary: "The open-data release (?region= for one region's subset): its files, periods and threshold, no login needed",
		Tag: "exports", Response: Release{}, Public: true}, func(c *web.Ctx) (any, error) {
		rel, err := m.release(c)
		if err != nil {
			return nil, err
		}
		return rel, nil
	})
	r.API("GET /api/v1/opendata/{file}", web.Op{Summary: "One file of the open-data release: " + strings.Join([]string{FileCSV, FileParquet, FileDictCSV, FileDictJSON, FileRDF, FileTurtle}, ", "),
		Tag: "exports", RawResponse: "text/csv, application/vnd.apache.parquet, application/json, application/rdf+xml, text/turtle", Public: true},
		func(c *web.Ctx) (any, error) { return m.file(c) })
}

// viewerRoles see the aggregates and so the report.
var viewerRoles = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst}

// reportQuery reads ?region=, ?period= and ?ind= (malformed values are EINVALID naming the
// parameter; the scope is checked by the report itself).
func reportQuery(c *web.Ctx) (ReportQuery, error) {
	q, err := monitor.ParseQuery(c.R.URL.Query())
	if err != nil {
		return ReportQuery{}, err
	}
	return ReportQuery{Region: q.Region, Period: q.Period, Indicator: q.Indicator}, nil
}

func (m WebModule) report(c *web.Ctx) (*web.Download, error) {
	// Who may ask comes before what they asked: a provider learns nothing from a 422.
	if _, err := domain.Require(c.Context(), viewerRoles...); err != nil {
		return nil, err
	}
	q, err := reportQuery(c)
	if err != nil {
		return nil, err
	}
	r, err := m.S.Report(c.Context(), q, c.Lang)
	if err != nil {
		return nil, err
	}
	return &web.Download{ContentType: "application/pdf", Filename: r.Filename, Body: r.PDF}, nil
}

func (m WebModule) reportPage(c *web.Ctx) error {
	d, err := m.report(c)
	if err != nil {
		return err
	}
	return c.WriteDownload(d)
}

// releaseRegion reads ?region= of the open data (0: the whole country).
func releaseRegion(c *web.Ctx) (int64, error) {
	s := strings.TrimSpace(c.R.URL.Query().Get("region"))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, domain.Invalid("region", "%q is not a regional code", s)
	}
	return n, nil
}

func (m WebModule) release(c *web.Ctx) (*Release, error) {
	region, err := releaseRegion(c)
	if err != nil {
		return nil, err
	}
	return m.S.OpenData(c.Context(), region, c.Lang)
}

func (m WebModule) file(c *web.Ctx) (*web.Download, error) {
	rel, err := m.release(c)
	if err != nil {
		return nil, err
	}
	name := c.R.PathValue("file")
	f, ok := rel.FileNamed(name)
	if !ok {
		return nil, domain.NotFound("file " + name)
	}
	fn := f.Name
	if rel.Region != nil {
		fn = strings.Replace(fn, "esd-monitoraggio", fmt.Sprintf("esd-monitoraggio-%03d", rel.Region.ID), 1)
	}
	return &web.Download{ContentType: f.MediaType, Filename: fn, Body: f.Body}, nil
}

func (m WebModule) openDataFile(c *web.Ctx) error {
	d, err := m.file(c)
	if err != nil {
		return err
	}
	return c.WriteDownload(d)
}

func (m WebModule) openDataPage(c *web.Ctx) error {
	rel, err := m.release(c)
	if err != nil {
		return err
	}
	pub := m.S.publisher()
	suffix := ""
	if rel.Region != nil {
		suffix = fmt.Sprintf("?region=%d", rel.Region.ID)
	}
	return c.Render("exports_opendata", msg(c.Lang, "exp.od.title"), map[string]any{
		"R": rel, "Dict": Dictionary(rel.Threshold), "Suffix": suffix, "Publisher": pub, "En": c.Lang == "en",
		"Summary": msg(c.Lang, "exp.od.rows", len(rel.Rows), rel.Built.Format("02/01/2006 15:04"), pub.Name, pub.IPA),
	})
}
