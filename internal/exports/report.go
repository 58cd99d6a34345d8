package exports

import (
	"context"
	"fmt"
	"strconv"

	"esd/internal/domain"
	"esd/internal/monitor"
	"esd/internal/pdfdoc"
)

// ReportQuery selects a report: a region (0: Italy, for the national viewers), a period (a
// year, or "" for the whole time) and the indicator of the comparisons ("assessed" when "").
type ReportQuery struct {
	Region    int64
	Period    string
	Indicator string
}

// Report is a written PDF report.
type Report struct {
	PDF      []byte
	Filename string
}

// cellText is a cell as the dashboard prints it: its value, "dato protetto" or "nessun dato".
func cellText(ind string, c monitor.Cell, lang string) string {
	switch {
	case c.Hidden:
		return msg(lang, "monitor.suppressed")
	case c.Empty:
		return msg(lang, "monitor.no_data")
	}
	return monitor.Format(ind, c, lang)
}

func popText(c monitor.Cell) string {
	if c.Hidden || c.Empty {
		return ""
	}
	return strconv.FormatInt(c.Pop, 10)
}

// bars are a table's rows as chart bars; suppressed rows stay in the chart without a bar.
func bars(t monitor.Table, lang string) []pdfdoc.Bar {
	var out []pdfdoc.Bar
	for _, r := range t.Rows {
		if r.Empty {
			continue
		}
		out = append(out, pdfdoc.Bar{Label: r.Label, Value: r.Value, Text: cellText(t.Query.Indicator, r.Cell, lang), Missing: r.Hidden})
	}
	return out
}

// scale is the top of a chart's axis: 100 for a share, 4 for a level on the 0–4 scale, the
// largest value otherwise.
func scale(ind string) float64 {
	switch monitor.Unit(ind) {
	case "%":
		return 100
	case "level":
		return 4
	}
	return 0
}

// Report writes the PDF report of a region (or of Italy) and period: the headline figures,
// the comparison of the regions or of the region's organisations (an organisation's
// referent: its professions), the personas, the persona × ambito matrix and the per-line
// before/after, each chart followed by its numbers. Every figure comes from the monitoring
// queries, so the scope is enforced and small cells suppressed exactly as on the dashboard:
// a regional referent asking for another region gets ENOTFOUND and no file.
func (s *Service) Report(ctx context.Context, rq ReportQuery, lang string) (*Report, error) {
	a := domain.ActorFrom(ctx)
	if _, err := domain.Require(ctx, viewerRoles...); err != nil {
		return nil, err
	}
	s.Monitor.Start()
	ind := rq.Indicator
	if ind == "" {
		ind = "assessed"
	}
	q := monitor.Query{Indicator: ind, Period: rq.Period, Region: rq.Region}
	// The main table scopes the query first (a forged region fails here, before anything is
	// written) and fills in the caller's own region or organisation.
	mainBy := "region"
	switch {
	case a.Role == domain.RoleOrganisation:
		mainBy = "profession"
	case rq.Region != 0 || a.Role == domain.RoleRegional:
		mainBy = "organisation"
	}
	main, err := s.Monitor.Table(ctx, q, mainBy, lang)
	if err != nil {
		return nil, err
	}
	q = main.Query
	scopeName := msg(lang, "exp.report.italy")
	slug := "italia"
	if q.Region != 0 {
		r, err := s.regionByID(ctx, q.Region)
		if err != nil {
			return nil, err
		}
		scopeName, slug = r.Name, fmt.Sprintf("%03d", r.ID)
	}
	if a.Role == domain.RoleOrganisation {
		// The organisation's own name is the first row's scope; the query holds its id.
		var name string
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, q.Organisation).Scan(&name); err == nil {
			scopeName = name
		}
		slug = fmt.Sprintf("org%d", q.Organisation)
	}
	period := q.Period
	if period == "" {
		period = msg(lang, "exp.report.period.all")
	}
	title := msg(lang, "exp.report.title") + " – " + scopeName
	now := s.now()
	d := pdfdoc.New(pdfdoc.Options{Title: title, Footer: title + " · " + period, Lang: lang, Created: now})
	d.Heading(title, 1)
	d.Field(msg(lang, "exp.report.scope"), scopeName)
	d.Field(msg(lang, "exp.report.period"), period)
	d.Field(msg(lang, "exp.report.generated"), now.Format("02/01/2006 15:04"))
	d.Field(msg(lang, "exp.report.threshold"), msg(lang, "exp.report.threshold.v", main.Threshold))
	d.Gap(3)

	// Headline figures: every indicator's total over the scope.
	d.Heading(msg(lang, "exp.report.headline"), 2)
	var head [][]string
	var headBars []pdfdoc.Bar
	for _, k := range monitor.Indicators {
		hq := q
		hq.Indicator = k
		t, err := s.Monitor.Table(ctx, hq, "persona", lang)
		if err != nil {
			return nil, err
		}
		head = append(head, []string{msg(lang, "monitor.ind."+k), popText(t.Total), cellText(k, t.Total, lang)})
		if monitor.Unit(k) == "%" && !t.Total.Empty {
			headBars = append(headBars, pdfdoc.Bar{Label: msg(lang, "monitor.ind."+k), Value: t.Total.Value, Text: cellText(k, t.Total, lang), Missing: t.Total.Hidden})
		}
	}
	if len(headBars) > 0 {
		d.Bars(msg(lang, "exp.report.headline")+" (%)", headBars, 100)
	}
	d.Table([]float64{5, 2, 2}, []string{msg(lang, "exp.report.indicator"), msg(lang, "exp.report.population"), msg(lang, "exp.report.value")}, head)

	// The comparison the dashboard's main table shows, then the personas.
	for _, t := range []monitor.Table{main, {}} {
		if t.By == "" {
			if t, err = s.Monitor.Table(ctx, q, "persona", lang); err != nil {
				return nil, err
			}
		}
		name := msg(lang, "monitor.compare."+t.By) + ": " + msg(lang, "monitor.ind."+ind)
		d.Heading(name, 2)
		if b := bars(t, lang); len(b) > 0 {
			d.Bars("", b, scale(ind)) // the heading above is its title
			d.Small(msg(lang, "exp.report.chart.note"))
		}
		rows := make([][]string, 0, len(t.Rows)+1)
		for _, r := range t.Rows {
			if !r.Empty {
				rows = append(rows, []string{r.Label, popText(r.Cell), cellText(ind, r.Cell, lang)})
			}
		}
		rows = append(rows, []string{msg(lang, "monitor.total"), popText(t.Total), cellText(ind, t.Total, lang)})
		d.Table([]float64{5, 2, 2}, []string{msg(lang, "monitor.by."+t.By), msg(lang, "exp.report.population"), msg(lang, "exp.report.value")}, rows)
	}

	// Persona × ambito: the mean level, as the heat map shows it, with its numbers.
	h, err := s.Monitor.Heatmap(ctx, q, lang)
	if err != nil {
		return nil, err
	}
	if len(h.Rows) > 0 && len(h.Areas) > 0 {
		d.Heading(msg(lang, "exp.report.heat"), 2)
		d.Small(msg(lang, "exp.report.heat.note"))
		widths := []float64{4}
		header := []string{msg(lang, "monitor.persona")}
		for _, ar := range h.Areas {
			widths = append(widths, 1.1)
			header = append(header, ar.Code)
		}
		var rows [][]string
		for _, r := range h.Rows {
			row := []string{r.Label}
			for _, c := range r.Cells {
				switch {
				case c.Hidden:
					row = append(row, "•")
				case c.Empty:
					row = append(row, "–")
				default:
					row = append(row, monitor.Format(h.Query.Indicator, c, lang))
				}
			}
			rows = append(rows, row)
		}
		d.Table(widths, header, rows)
		key := "• = " + msg(lang, "monitor.suppressed") + "; – = " + msg(lang, "monitor.no_data") + ". "
		for i, ar := range h.Areas {
			if i > 0 {
				key += "; "
			}
			key += ar.Code + " " + ar.Label
		}
		d.Small(key)
		d.Gap(2)
	}

	// Before and after, per line (kept per region and persona only).
	if q.Organisation == 0 {
		lines, _, err := s.Monitor.BeforeAfter(ctx, q, lang)
		if err != nil {
			return nil, err
		}
		d.Heading(msg(lang, "exp.report.lines"), 2)
		if len(lines) == 0 {
			d.Paragraph(msg(lang, "exp.report.lines.none"))
		} else {
			var lb []pdfdoc.Bar
			var rows [][]string
			for _, l := range lines {
				if l.Before.Hidden {
					lb = append(lb, pdfdoc.Bar{Label: l.Code + " " + l.Label, Text: msg(lang, "monitor.suppressed"), Missing: true})
					rows = append(rows, []string{l.Code, l.Label, "", msg(lang, "monitor.suppressed"), msg(lang, "monitor.suppressed")})
					continue
				}
				lb = append(lb, pdfdoc.Bar{Label: l.Code + " " + l.Label, Value: l.After.Value,
					Text: monitor.Format("level", l.Before, lang) + " → " + monitor.Format("level", l.After, lang)})
				rows = append(rows, []string{l.Code, l.Label, popText(l.Before), cellText("level", l.Before, lang), cellText("level", l.After, lang)})
			}
			d.Bars(msg(lang, "exp.report.lines")+" ("+msg(lang, "monitor.after")+")", lb, 4)
			d.Table([]float64{1.2, 5, 1.6, 1.4, 1.4}, []string{msg(lang, "monitor.line"), msg(lang, "monitor.csv.label"), msg(lang, "exp.report.population"),
				msg(lang, "monitor.before"), msg(lang, "monitor.after")}, rows)
		}
	}
	d.Small(msg(lang, "exp.report.source"))
	b, err := d.Bytes()
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("rapporto-monitoraggio-%s-%s.pdf", slug, periodSlug(q.Period))
	return &Report{PDF: b, Filename: name}, nil
}

func periodSlug(p string) string {
	if p == "" {
		return "tutto"
	}
	return p
}
