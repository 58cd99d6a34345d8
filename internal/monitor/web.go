package monitor

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"strconv"

	"esd/internal/chart"
	"esd/internal/domain"
	"esd/internal/tabular"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the web surface of monitoring: the dashboard with the map, its CSV exports and
// the JSON API.
type WebModule struct{ S *Service }

var viewers = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst}

// Register plugs the pages, API operations, templates, menu entry and messages in.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(Messages)
	r.Nav(web.NavItem{Key: "nav.monitor", Desc: "nav.monitor.desc", Path: "/monitor", Roles: viewers, Order: 60, Group: web.NavGroupMonitoring})
	r.Home(m.homePanel())
	r.Page("GET /monitor", m.dashboard)
	r.Page("GET /monitor/export.csv", m.exportCSV)
	r.Page("GET /monitor/export.xlsx", m.exportXLSX)
	m.registerAPI(r)
}

// crumb is one step of the breadcrumb.
type crumb struct {
	Label, URL string
}

// barRow is a visible row of the main table for the bar chart.
func barChart(id, title, desc string, t Table, lang string) template.HTML {
	var cats []string
	var vals []float64
	for _, r := range t.Rows {
		if r.Hidden || r.Empty {
			continue
		}
		cats = append(cats, r.Label)
		vals = append(vals, r.Value)
	}
	if len(cats) == 0 {
		return ""
	}
	b := chart.Bar{ID: id, Title: title, Desc: desc, Categories: cats, Series: []chart.Series{{Name: msg(lang, "monitor.ind."+t.Query.Indicator), Values: vals}}}
	return template.HTML(b.SVG()) //nolint:gosec // the chart package escapes every label
}

// mainBreakdown is what the main table of a scope breaks down by.
func mainBreakdown(a domain.Actor, q Query) string {
	switch {
	case q.Organisation != 0 || a.Role == domain.RoleOrganisation:
		return "profession"
	case q.Region != 0 || a.Role == domain.RoleRegional:
		return "organisation"
	}
	return "region"
}

func (m WebModule) dashboard(c *web.Ctx) error {
	m.S.Start()
	ctx, lang := c.Context(), c.Lang
	a, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	q, err := ParseQuery(c.R.URL.Query())
	if err != nil {
		return err
	}
	by := mainBreakdown(a, q)
	main, err := m.S.Table(ctx, q, by, lang)
	if err != nil {
		return err
	}
	q = main.Query
	data := map[string]any{"Q": q, "Main": main, "By": by, "Credit": GeoCredit, "Threshold": main.Threshold}

	// The breadcrumb: Italy (for the national viewers) → region → organisation.
	var crumbs []crumb
	top := q
	top.Region, top.Organisation = 0, 0
	if a.Role == domain.RoleNational || a.Role == domain.RoleAnalyst || a.Role == domain.RoleSystem {
		crumbs = append(crumbs, crumb{msg(lang, "monitor.italy"), top.URL("/monitor")})
	}
	lb, err := m.S.labels(ctx)
	if err != nil {
		return err
	}
	if q.Region != 0 {
		rq := q
		rq.Organisation = 0
		name := ""
		for _, r := range lb.regions {
			if r.ID == q.Region {
				name = r.Name
			}
		}
		if a.Role != domain.RoleOrganisation {
			crumbs = append(crumbs, crumb{name, rq.URL("/monitor")})
		}
	}
	if q.Organisation != 0 {
		names, err := m.S.orgNames(ctx, []int64{q.Organisation})
		if err != nil {
			return err
		}
		crumbs = append(crumbs, crumb{names[q.Organisation], q.URL("/monitor")})
	}
	if len(crumbs) > 0 {
		crumbs[len(crumbs)-1].URL = ""
	}
	data["Crumbs"] = crumbs

	// Drill-down links of the main table's rows.
	links := map[int64]string{}
	for _, r := range main.Rows {
		switch by {
		case "region":
			d := q
			d.Region = r.ID
			links[r.ID] = d.URL("/monitor")
		case "organisation":
			if r.ID > 0 {
				d := q
				d.Organisation = r.ID
				links[r.ID] = d.URL("/monitor")
			}
		}
	}
	data["Links"] = links
	title := msg(lang, "monitor.ind."+q.Indicator)
	data["Chart"] = barChart("monitor-bars", msg(lang, "monitor.compare."+by)+": "+title, msg(lang, "monitor.chart.desc"), main, lang)

	// The map: every region for the national viewers, the referent's own region otherwise.
	if a.Role != domain.RoleOrganisation {
		g, err := ItalyMap()
		if err != nil {
			return err
		}
		mq := q
		mq.Organisation = 0
		if by == "region" {
			mq.Region = 0
		}
		regions := main
		if by != "region" {
			if regions, err = m.S.Table(ctx, mq, "region", lang); err != nil {
				return err
			}
		}
		data["Map"] = template.HTML(MapSVG(g, regions.Rows, q.Indicator, lang, msg(lang, "monitor.map.title")+": "+title, func(r Row) string { //nolint:gosec // MapSVG escapes
			d := mq
			d.Region, d.Organisation = r.ID, 0
			return d.URL("/monitor")
		}))
		var legend []map[string]string
		for i := range shades {
			f, t := ShadeColours(i)
			legend = append(legend, map[string]string{"Fill": f, "Text": t, "Label": msg(lang, fmt.Sprintf("monitor.shade%d", i))})
		}
		data["Legend"] = legend
	}
	pers, err := m.S.Table(ctx, q, "persona", lang)
	if err != nil {
		return err
	}
	data["Personas"] = pers
	hm, err := m.S.Heatmap(ctx, q, lang)
	if err != nil {
		return err
	}
	data["Heat"] = heatView(hm, lang)
	lines, note, err := m.S.BeforeAfter(ctx, q, lang)
	if err != nil {
		return err
	}
	data["Lines"], data["LinesNote"] = lines, note
	data["LinesChart"] = beforeAfterChart(lines, lang)
	opts, err := m.S.FilterOptions(ctx, lang)
	if err != nil {
		return err
	}
	data["Options"] = opts
	data["CSV"], data["XLSX"] = exportURLs(q)
	data["Report"] = reportURL(q)
	return c.Render("monitor_dashboard", msg(lang, "monitor.title"), data)
}

func exportURL(q Query, table, format string) string {
	v := q.Values()
	v.Set("table", table)
	return "/monitor/export." + format + "?" + v.Encode()
}

// reportURL is the link to the PDF report (package exports) of the dashboard's region and
// period.
func reportURL(q Query) string {
	v := url.Values{}
	if q.Region != 0 {
		v.Set("region", strconv.FormatInt(q.Region, 10))
	}
	if q.Period != "" {
		v.Set("period", q.Period)
	}
	v.Set("ind", q.Indicator)
	return "/monitor/report.pdf?" + v.Encode()
}

// exportURLs are the CSV and XLSX links of every dashboard table.
func exportURLs(q Query) (csv, xlsx map[string]string) {
	csv, xlsx = map[string]string{}, map[string]string{}
	for _, t := range ExportTables {
		csv[t], xlsx[t] = exportURL(q, t, "csv"), exportURL(q, t, "xlsx")
	}
	return csv, xlsx
}

// heatCell is a heat-map cell as the page shows it.
type heatCell struct {
	Text, Fill, Colour string
	Hidden, Empty      bool
}

func heatView(h Heatmap, lang string) map[string]any {
	var rows []map[string]any
	for _, r := range h.Rows {
		var cells []heatCell
		for _, c := range r.Cells {
			hc := heatCell{Hidden: c.Hidden, Empty: c.Empty}
			if !c.Hidden && !c.Empty {
				hc.Text = c.Text
				// Levels run 0–4 on the default scale; gaps likewise.
				hc.Fill, hc.Colour = ShadeColours(Shade(c.Value, 0, 4))
			}
			cells = append(cells, hc)
		}
		rows = append(rows, map[string]any{"Label": r.Label, "Cells": cells})
	}
	return map[string]any{"H": h, "Rows": rows}
}

func beforeAfterChart(lines []LineChange, lang string) template.HTML {
	var cats []string
	var before, after []float64
	for _, l := range lines {
		if l.Before.Hidden || l.Before.Empty {
			continue
		}
		cats = append(cats, l.Code)
		before = append(before, l.Before.Value)
		after = append(after, l.After.Value)
	}
	if len(cats) == 0 {
		return ""
	}
	b := chart.Bar{ID: "monitor-lines", Title: msg(lang, "monitor.lines.title"), Desc: msg(lang, "monitor.lines.desc"), Categories: cats,
		Series: []chart.Series{{Name: msg(lang, "monitor.before"), Values: before}, {Name: msg(lang, "monitor.after"), Values: after}}}
	return template.HTML(b.SVG()) //nolint:gosec // the chart package escapes every label
}

// exportCSV sends one of the dashboard's tables as CSV, suppressed as on the page.
func (m WebModule) exportCSV(c *web.Ctx) error {
	d, err := m.download(c, "csv")
	if err != nil {
		return err
	}
	return c.WriteDownload(d)
}

// exportXLSX sends one of the dashboard's tables as an XLSX workbook.
func (m WebModule) exportXLSX(c *web.Ctx) error {
	d, err := m.download(c, "xlsx")
	if err != nil {
		return err
	}
	return c.WriteDownload(d)
}

func (m WebModule) csv(c *web.Ctx) (*web.Download, error) { return m.download(c, "csv") }

// download is a dashboard table (?table=) in a format, through the one table writer.
func (m WebModule) download(c *web.Ctx, format string) (*web.Download, error) {
	m.S.Start()
	ctx, lang := c.Context(), c.Lang
	if _, err := requireViewer(ctx); err != nil {
		return nil, err
	}
	q, err := ParseQuery(c.R.URL.Query())
	if err != nil {
		return nil, err
	}
	table := c.R.URL.Query().Get("table")
	t, err := m.S.ExportTable(ctx, q, table, lang)
	if err != nil {
		return nil, err
	}
	if table == "" {
		table = "main"
	}
	name := "monitoraggio-" + table + "." + format
	if format == "xlsx" {
		b, err := t.XLSX()
		if err != nil {
			return nil, err
		}
		return &web.Download{ContentType: tabular.ContentTypeXLSX, Filename: name, Body: b}, nil
	}
	return &web.Download{ContentType: tabular.ContentTypeCSV, Filename: name, Body: t.CSV()}, nil
}

// Status is the state of the aggregates.
type Status struct {
	Pending int64  `json:"pending"`
	Built   string `json:"built,omitempty"`
}

func (m WebModule) registerAPI(r *web.Routes) {
	s := m.S
	roles := []string{"national", "regional", "organisation", "analyst"}
	query := func(c *web.Ctx) (Query, error) {
		s.Start()
		if _, err := requireViewer(c.Context()); err != nil {
			return Query{}, err
		}
		return ParseQuery(c.R.URL.Query())
	}
	r.API("GET /api/v1/monitor/table", web.Op{Summary: "An indicator broken down (?by=region|organisation|profession|persona|area|period, ?ind=, period, region, org, profession, persona, area), small cells suppressed", Tag: "monitor", Response: Table{}, Roles: roles},
		func(c *web.Ctx) (any, error) {
			q, err := query(c)
			if err != nil {
				return nil, err
			}
			by := c.R.URL.Query().Get("by")
			if by == "" {
				by = mainBreakdown(domain.ActorFrom(c.Context()), q)
			}
			return s.Table(c.Context(), q, by, c.Lang)
		})
	r.API("GET /api/v1/monitor/heatmap", web.Op{Summary: "Persona × ambito matrix of the mean level (or gap: ?ind=gap), suppressed", Tag: "monitor", Response: Heatmap{}, Roles: roles},
		func(c *web.Ctx) (any, error) {
			q, err := query(c)
			if err != nil {
				return nil, err
			}
			return s.Heatmap(c.Context(), q, c.Lang)
		})
	r.API("GET /api/v1/monitor/lines", web.Op{Summary: "Per line, the mean level before and after the latest re-assessment (region and persona filters), suppressed", Tag: "monitor", Response: []LineChange{}, Roles: roles},
		func(c *web.Ctx) (any, error) {
			q, err := query(c)
			if err != nil {
				return nil, err
			}
			lines, _, err := s.BeforeAfter(c.Context(), q, c.Lang)
			if lines == nil {
				lines = []LineChange{}
			}
			return lines, err
		})
	r.API("GET /api/v1/monitor/options", web.Op{Summary: "The choices of the dashboard filters", Tag: "monitor", Response: Options{}, Roles: roles},
		func(c *web.Ctx) (any, error) { return s.FilterOptions(c.Context(), c.Lang) })
	r.API("GET /api/v1/monitor/export.csv", web.Op{Summary: "A dashboard table as CSV for Italian Excel (?table=main|persona|heatmap|lines and the filters)", Tag: "monitor", RawResponse: "text/csv", Roles: roles},
		func(c *web.Ctx) (any, error) { return m.csv(c) })
	r.API("GET /api/v1/monitor/export.xlsx", web.Op{Summary: "A dashboard table as an XLSX workbook (?table=main|persona|heatmap|lines and the filters)", Tag: "monitor", RawResponse: tabular.ContentTypeXLSX, Roles: roles},
		func(c *web.Ctx) (any, error) { return m.download(c, "xlsx") })
	r.API("GET /api/v1/monitor/status", web.Op{Summary: "Professionals waiting to be counted and the last full rebuild", Tag: "monitor", Response: Status{}, Roles: roles},
		func(c *web.Ctx) (any, error) { return s.Status(c.Context()) })
	r.API("POST /api/v1/monitor/rebuild", web.Op{Summary: "Recompute every aggregate from the sources", Tag: "monitor", Response: RebuildStats{}, Roles: []string{"national"}},
		func(c *web.Ctx) (any, error) { return s.Rebuild(c.Context()) })
}
