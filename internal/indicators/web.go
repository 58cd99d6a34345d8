package indicators

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"strconv"
	"strings"

	"esd/internal/chart"
	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the web surface of the indicators: the page beside training, the import page,
// the template download and the JSON API.
type WebModule struct{ S *Service }

var viewers = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst}

// Register plugs the pages, API operations, templates, menu entry and messages in.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(Messages)
	r.Nav(web.NavItem{Key: "ind.nav", Desc: "ind.nav.desc", Path: "/indicators", Roles: viewers, Order: 61, Secondary: true, Group: web.NavGroupMonitoring})
	r.Page("GET /indicators", m.page)
	r.Page("GET /indicators/import", m.importPage)
	r.Page("POST /indicators/import", m.importPost, web.PageOpts{MaxBytes: MaxImportBytes + 1<<20})
	r.Page("GET /indicators/template.csv", m.template)
	m.registerAPI(r)
}

func (m WebModule) template(c *web.Ctx) error {
	if !c.Actor.Authenticated() {
		return &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	return c.WriteDownload(&web.Download{ContentType: "text/csv; charset=utf-8", Filename: "modello_indicatori.csv", Body: TemplateCSV()})
}

func queryInt(c *web.Ctx, name string) (int64, error) {
	s := strings.TrimSpace(c.R.URL.Query().Get(name))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, domain.Invalid(name, "%s: not a valid id: %q", name, s)
	}
	return n, nil
}

// canImport is whether the actor may import (the service checks again, per row).
func canImport(a domain.Actor) bool {
	return a.Role == domain.RoleNational || a.Role == domain.RoleRegional
}

func (m WebModule) page(c *web.Ctx) error {
	if m.S.Monitor != nil {
		m.S.Monitor.Start()
	}
	ctx, lang := c.Context(), c.Lang
	if _, err := requireViewer(ctx); err != nil {
		return err
	}
	regionID, err := queryInt(c, "region")
	if err != nil {
		return err
	}
	q := c.R.URL.Query()
	v, err := m.S.Beside(ctx, regionID, q.Get("period"), q.Get("before"), lang)
	if err != nil {
		return err
	}
	x, y := q.Get("x"), q.Get("y")
	if x == "" {
		x = "fse_consenso"
	}
	if y == "" {
		y = "assessed"
	}
	data := map[string]any{"V": v, "X": x, "Y": y, "Catalogue": Catalogue, "TrainingKeys": TrainingKeys, "CanImport": canImport(c.Actor),
		"Families": Families, "Scoped": c.Actor.Role == domain.RoleRegional || c.Actor.Role == domain.RoleOrganisation}
	rs, err := m.S.regions(ctx)
	if err != nil {
		return err
	}
	var regions []region
	for _, r := range rs {
		if c.Actor.Role == domain.RoleRegional || c.Actor.Role == domain.RoleOrganisation {
			if r.ID != v.RegionID {
				continue
			}
		}
		regions = append(regions, r)
	}
	data["Regions"] = regions
	ps, err := m.S.Periods(ctx)
	if err != nil {
		return err
	}
	type opt struct{ Value, Label string }
	var periods []opt
	for _, p := range ps {
		periods = append(periods, opt{p.Code, p.Label(lang)})
	}
	data["Periods"] = periods
	var tk []opt
	for _, k := range TrainingKeys {
		tk = append(tk, opt{k, msg(lang, "ind.tr."+k)})
	}
	data["TrainingOpts"] = tk
	if v.Period != "" {
		corr, err := m.S.Correlate(ctx, x, y, v.Period, lang)
		if err != nil {
			return err
		}
		data["Corr"] = corr
		if len(corr.Points) > 0 {
			pts := make([]chart.ScatterPoint, len(corr.Points))
			for i, p := range corr.Points {
				pts[i] = chart.ScatterPoint{Label: p.Region, X: p.X, Y: p.Y}
			}
			sc := chart.Scatter{ID: "ind-scatter", Title: msg(lang, "ind.corr.title") + ": " + corr.XName + " / " + corr.YName,
				Desc: msg(lang, "ind.corr.chart.desc"), XLabel: corr.XName, YLabel: corr.YName, Points: pts}
			data["Scatter"] = template.HTML(sc.SVG()) //nolint:gosec // the chart package escapes every label
		}
	}
	return c.Render("indicators", msg(lang, "ind.title"), data)
}

type importView struct {
	Result *ImportResult
	OK     bool
	MaxMB  int
	Defs   []Def
}

func (m WebModule) importPage(c *web.Ctx) error {
	if _, err := requireImporter(c.Context()); err != nil {
		return err
	}
	return c.Render("indicators_import", msg(c.Lang, "ind.import.title"), importView{MaxMB: MaxImportBytes >> 20, Defs: Catalogue})
}

func (m WebModule) importPost(c *web.Ctx) error {
	if _, err := requireImporter(c.Context()); err != nil {
		return err
	}
	view := importView{MaxMB: MaxImportBytes >> 20, Defs: Catalogue}
	title := msg(c.Lang, "ind.import.title")
	body, _, ok, err := c.Upload("file", web.UploadSpec{MaxBytes: MaxImportBytes, Kinds: []web.UploadKind{web.UploadCSV}})
	if err != nil {
		return c.RenderForm("indicators_import", title, view, err)
	}
	if !ok {
		return c.RenderForm("indicators_import", title, view, domain.Invalid("file", "%s", msg(c.Lang, "ind.err.empty")))
	}
	res, err := m.S.Import(c.Context(), bytes.NewReader(body), ImportOptions{DryRun: c.R.FormValue("dry_run") != "", Lang: c.Lang})
	view.Result, view.OK = &res, err == nil
	return c.RenderForm("indicators_import", title, view, err)
}

func (m WebModule) registerAPI(r *web.Routes) {
	s := m.S
	all := []string{"national", "regional", "organisation", "provider", "professional", "analyst"}
	roles := []string{"national", "regional", "organisation", "analyst"}
	r.API("GET /api/v1/indicators/catalogue", web.Op{Summary: "The FSE 2.0 and telemedicine indicators: code, names, unit, valid range, family, source", Tag: "indicators", Response: []Def{}, Roles: all},
		func(c *web.Ctx) (any, error) {
			if !c.Actor.Authenticated() {
				return nil, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
			}
			return Catalogue, nil
		})
	r.API("GET /api/v1/indicators/values", web.Op{Summary: "Stored indicator values, public aggregates (?indicator=, region=, period=, organisations=1 for the values per organisation)", Tag: "indicators", Response: []Value{}, Roles: all},
		func(c *web.Ctx) (any, error) {
			region, err := queryInt(c, "region")
			if err != nil {
				return nil, err
			}
			q := c.R.URL.Query()
			return s.Values(c.Context(), Filter{Indicator: q.Get("indicator"), Region: region, Period: q.Get("period"), Organisations: q.Get("organisations") == "1"}, c.Lang)
		})
	r.API("GET /api/v1/indicators/view", web.Op{Summary: "For a region and period (?region=, period=, before=), the indicators beside the training figures of the caller's scope, small groups suppressed", Tag: "indicators", Response: View{}, Roles: roles},
		func(c *web.Ctx) (any, error) {
			if s.Monitor != nil {
				s.Monitor.Start()
			}
			region, err := queryInt(c, "region")
			if err != nil {
				return nil, err
			}
			q := c.R.URL.Query()
			return s.Beside(c.Context(), region, q.Get("period"), q.Get("before"), c.Lang)
		})
	r.API("GET /api/v1/indicators/correlation", web.Op{Summary: "An indicator (?x=) against a training figure (?y=) across regions for a period, with Pearson's r and n (national and analyst scope)", Tag: "indicators", Response: Correlation{}, Roles: roles},
		func(c *web.Ctx) (any, error) {
			if s.Monitor != nil {
				s.Monitor.Start()
			}
			q := c.R.URL.Query()
			x, y := q.Get("x"), q.Get("y")
			if x == "" {
				x = "fse_consenso"
			}
			if y == "" {
				y = "assessed"
			}
			return s.Correlate(c.Context(), x, y, q.Get("period"), c.Lang)
		})
	r.API("POST /api/v1/indicators/import", web.Op{Summary: "Import indicator values from CSV (; separator, UTF-8 or Windows-1252), all or nothing; ?dry_run=1 only checks", Tag: "indicators",
		Response: ImportResult{}, RawRequest: "text/csv", RawKinds: []web.UploadKind{web.UploadCSV}, MaxBytes: MaxImportBytes + 1<<20, Roles: []string{"national", "regional"}},
		func(c *web.Ctx) (any, error) {
			return s.Import(c.Context(), c.R.Body, ImportOptions{DryRun: c.R.URL.Query().Get("dry_run") == "1", Lang: c.Lang})
		})
	r.API("GET /api/v1/indicators/template.csv", web.Op{Summary: "The CSV template of an indicator file", Tag: "indicators", RawResponse: "text/csv", Roles: all},
		func(c *web.Ctx) (any, error) {
			if !c.Actor.Authenticated() {
				return nil, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
			}
			return &web.Download{ContentType: "text/csv; charset=utf-8", Filename: "modello_indicatori.csv", Body: TemplateCSV()}, nil
		})
}
