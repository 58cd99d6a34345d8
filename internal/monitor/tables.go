package monitor

import (
	"context"

	"esd/internal/domain"
	"esd/internal/tabular"
)

// ExportTables are the dashboard tables offered as downloads (?table=).
var ExportTables = []string{"main", "persona", "heatmap", "lines"}

// decimals is how many decimals an indicator's values show (as Format writes them).
func decimals(ind string) int {
	switch indicators[ind].Kind {
	case "rate", "perhead":
		return 1
	}
	return 2
}

// Unit names what an indicator's value measures: "%" for a share, "level" for a mean on the
// framework's 0–4 scale, "credits" for credits per head.
func Unit(ind string) string {
	switch indicators[ind].Kind {
	case "rate":
		return "%"
	case "perhead":
		return "credits"
	}
	return "level"
}

// valueCell is a cell's value for a download: nil when suppressed or empty, so a hidden
// figure never reaches a file.
func valueCell(c Cell) any {
	if c.Hidden || c.Empty {
		return nil
	}
	return c.Value
}

func yesNo(b bool, lang string) string {
	if b {
		return msg(lang, "monitor.yes")
	}
	return msg(lang, "monitor.no")
}

// Tabular is a table as a download: label, population, numerator, value (empty when
// suppressed) and a suppressed flag, with the total last.
func Tabular(t Table, lang string) tabular.Table {
	out := tabular.Table{Name: msg(lang, "monitor.by."+t.By), Lang: lang, Columns: []tabular.Column{
		{Key: "label", Label: msg(lang, "monitor.csv.label")},
		{Key: "population", Label: msg(lang, "monitor.csv.population"), Kind: tabular.Int},
		{Key: "numerator", Label: msg(lang, "monitor.csv.numerator"), Kind: tabular.Int},
		{Key: "value", Label: msg(lang, "monitor.ind."+t.Query.Indicator), Kind: tabular.Number, Decimals: decimals(t.Query.Indicator)},
		{Key: "suppressed", Label: msg(lang, "monitor.csv.suppressed")},
	}}
	add := func(label string, c Cell) {
		if c.Hidden {
			out.Add(label, nil, nil, nil, yesNo(true, lang))
			return
		}
		out.Add(label, c.Pop, c.Num, valueCell(c), yesNo(false, lang))
	}
	for _, r := range t.Rows {
		add(r.Label, r.Cell)
	}
	add(msg(lang, "monitor.total"), t.Total)
	return out
}

// HeatmapTabular is the persona × ambito matrix as a download, one row per cell that has
// data: persona, ambito, population, value (empty when suppressed) and the flag.
func HeatmapTabular(h Heatmap, lang string) tabular.Table {
	out := tabular.Table{Name: msg(lang, "monitor.heat.title"), Lang: lang, Columns: []tabular.Column{
		{Key: "persona", Label: msg(lang, "monitor.persona")}, {Key: "area", Label: msg(lang, "monitor.area")},
		{Key: "population", Label: msg(lang, "monitor.csv.population"), Kind: tabular.Int},
		{Key: "value", Label: msg(lang, "monitor.ind."+h.Query.Indicator), Kind: tabular.Number, Decimals: decimals(h.Query.Indicator)},
		{Key: "suppressed", Label: msg(lang, "monitor.csv.suppressed")},
	}}
	for _, r := range h.Rows {
		for i, c := range r.Cells {
			if c.Empty {
				continue
			}
			if c.Hidden {
				out.Add(r.Label, h.Areas[i].Code, nil, nil, yesNo(true, lang))
				continue
			}
			out.Add(r.Label, h.Areas[i].Code, c.Pop, c.Value, yesNo(false, lang))
		}
	}
	return out
}

// LinesTabular is the before/after per line as a download.
func LinesTabular(lines []LineChange, lang string) tabular.Table {
	out := tabular.Table{Name: msg(lang, "monitor.lines.title"), Lang: lang, Columns: []tabular.Column{
		{Key: "line", Label: msg(lang, "monitor.line")}, {Key: "label", Label: msg(lang, "monitor.csv.label")},
		{Key: "population", Label: msg(lang, "monitor.csv.population"), Kind: tabular.Int},
		{Key: "before", Label: msg(lang, "monitor.before"), Kind: tabular.Number, Decimals: 2},
		{Key: "after", Label: msg(lang, "monitor.after"), Kind: tabular.Number, Decimals: 2},
		{Key: "suppressed", Label: msg(lang, "monitor.csv.suppressed")},
	}}
	for _, l := range lines {
		if l.Before.Hidden {
			out.Add(l.Code, l.Label, nil, nil, nil, yesNo(true, lang))
			continue
		}
		out.Add(l.Code, l.Label, l.Before.Pop, valueCell(l.Before), valueCell(l.After), yesNo(false, lang))
	}
	return out
}

// ExportTable is one of the dashboard's tables (ExportTables, or a breakdown name) for the
// query, suppressed and scoped exactly as the page shows it.
func (s *Service) ExportTable(ctx context.Context, q Query, table, lang string) (tabular.Table, error) {
	switch table {
	case "main", "", "persona", "region", "organisation", "profession", "area", "period":
		by := table
		if table == "main" || table == "" {
			by = mainBreakdown(domain.ActorFrom(ctx), q)
		}
		t, err := s.Table(ctx, q, by, lang)
		if err != nil {
			return tabular.Table{}, err
		}
		return Tabular(t, lang), nil
	case "heatmap":
		h, err := s.Heatmap(ctx, q, lang)
		if err != nil {
			return tabular.Table{}, err
		}
		return HeatmapTabular(h, lang), nil
	case "lines":
		lines, _, err := s.BeforeAfter(ctx, q, lang)
		if err != nil {
			return tabular.Table{}, err
		}
		return LinesTabular(lines, lang), nil
	}
	return tabular.Table{}, domain.Invalid("table", "unknown table %q (main, persona, heatmap, lines)", table)
}

// Dated reports whether an indicator has figures per year (its period filter means
// something); the others are counted over the whole time only.
func Dated(ind string) bool { return indicators[ind].Dated }
