package monitor

import (
	"context"
	"fmt"
	"html"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/domain"
	"esd/internal/tabular"
)

// Values is the query as URL parameters (the filters a link keeps).
func (q Query) Values() url.Values {
	v := url.Values{}
	if q.Indicator != "" {
		v.Set("ind", q.Indicator)
	}
	if q.Period != "" {
		v.Set("period", q.Period)
	}
	if q.Region != 0 {
		v.Set("region", strconv.FormatInt(q.Region, 10))
	}
	if q.Organisation != 0 {
		v.Set("org", strconv.FormatInt(q.Organisation, 10))
	}
	if q.Profession != 0 {
		v.Set("profession", strconv.Itoa(q.Profession))
	}
	if q.Persona != 0 {
		v.Set("persona", strconv.FormatInt(q.Persona, 10))
	}
	if q.Area != "" {
		v.Set("area", q.Area)
	}
	return v
}

// URL is path with the query's parameters.
func (q Query) URL(path string) string {
	if e := q.Values().Encode(); e != "" {
		return path + "?" + e
	}
	return path
}

// ParseQuery reads a query from URL parameters; malformed numbers are EINVALID naming the
// parameter.
func ParseQuery(v url.Values) (Query, error) {
	q := Query{Indicator: strings.TrimSpace(v.Get("ind")), Period: strings.TrimSpace(v.Get("period")), Area: strings.TrimSpace(v.Get("area"))}
	num := func(name string) (int64, error) {
		s := strings.TrimSpace(v.Get(name))
		if s == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, invalidParam(name, s)
		}
		return n, nil
	}
	var err error
	if q.Region, err = num("region"); err != nil {
		return q, err
	}
	if q.Organisation, err = num("org"); err != nil {
		return q, err
	}
	p, err := num("profession")
	if err != nil {
		return q, err
	}
	q.Profession = int(p)
	if q.Persona, err = num("persona"); err != nil {
		return q, err
	}
	return q, nil
}

// Format renders a cell's value for the indicator: a percentage, a mean with two decimals, or
// credits with one; "" for a hidden or empty cell.
func Format(ind string, c Cell, lang string) string {
	if c.Hidden || c.Empty {
		return ""
	}
	var s string
	switch indicators[ind].Kind {
	case "rate":
		s = strconv.FormatFloat(c.Value, 'f', 1, 64) + " %"
	case "perhead":
		s = strconv.FormatFloat(c.Value, 'f', 1, 64)
	default:
		s = strconv.FormatFloat(c.Value, 'f', 2, 64)
	}
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Option is one choice of a filter.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Options are the choices of the dashboard filters.
type Options struct {
	Indicators  []Option `json:"indicators"`
	Periods     []Option `json:"periods"`
	Professions []Option `json:"professions"`
	Personas    []Option `json:"personas"`
	Areas       []Option `json:"areas"`
}

// FilterOptions lists the filter choices: the professions and personas that have counters, the
// ambiti of the current framework, and the years from 2024 to next year.
func (s *Service) FilterOptions(ctx context.Context, lang string) (Options, error) {
	if _, err := requireViewer(ctx); err != nil {
		return Options{}, err
	}
	lb, err := s.labels(ctx)
	if err != nil {
		return Options{}, err
	}
	var o Options
	for _, k := range Indicators {
		o.Indicators = append(o.Indicators, Option{k, msg(lang, "monitor.ind."+k)})
	}
	for y := 2024; y <= time.Now().Year()+1; y++ {
		o.Periods = append(o.Periods, Option{strconv.Itoa(y), strconv.Itoa(y)})
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT DISTINCT profession_code, persona_id FROM monitor_cells
		WHERE region_id IN (SELECT id FROM regions) AND metric = 'prof' AND period = '' AND organisation_id = -1 AND n > 0`)
	if err != nil {
		return o, err
	}
	profs, pers := map[int64]bool{}, map[int64]bool{}
	for rows.Next() {
		var p, q int64
		if err := rows.Scan(&p, &q); err != nil {
			rows.Close()
			return o, err
		}
		profs[p], pers[q] = true, true
	}
	rows.Close()
	for p := range profs {
		if p != 0 {
			o.Professions = append(o.Professions, Option{strconv.FormatInt(p, 10), lb.professionName(p, lang)})
		}
	}
	for p := range pers {
		if p != 0 {
			o.Personas = append(o.Personas, Option{strconv.FormatInt(p, 10), lb.personaName(p, lang)})
		}
	}
	sort.Slice(o.Professions, func(i, j int) bool { return o.Professions[i].Label < o.Professions[j].Label })
	sort.Slice(o.Personas, func(i, j int) bool { return o.Personas[i].Label < o.Personas[j].Label })
	for _, a := range lb.areas {
		o.Areas = append(o.Areas, Option{a.Code, a.Code + " " + a.title(lang)})
	}
	return o, nil
}

// Palette of the map and heat map: five steps of Bootstrap Italia's blue, light to dark, with
// the text colour that keeps contrast on each.
var shades = [5][2]string{{"#d9e6f2", "#17324d"}, {"#a6c6e5", "#17324d"}, {"#5c9ad6", "#000000"}, {"#0066cc", "#ffffff"}, {"#004080", "#ffffff"}}

// Shade is the class 0–4 of v between lo and hi.
func Shade(v, lo, hi float64) int {
	if hi <= lo {
		return 2
	}
	i := int((v - lo) / (hi - lo) * 5)
	return max(0, min(4, i))
}

// ShadeColours returns the fill and text colour of a class.
func ShadeColours(i int) (string, string) { return shades[i][0], shades[i][1] }

// MapSVG draws the map of Italy with each area coloured by its row's value (rows keyed by
// ISTAT code), linked to href(row) when href is not "". Areas without a row are outside the
// caller's scope: grey, not linked. Hidden cells are hatched. Every area has a <title> with
// its name and value, and the value is also printed on it, so colour is never the only cue.
func MapSVG(g *Geo, rows []Row, ind, lang, title string, href func(Row) string) string {
	byCode := map[string]Row{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		byCode[r.Code] = r
		if !r.Hidden && !r.Empty {
			lo, hi = math.Min(lo, r.Value), math.Max(hi, r.Value)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" class="esd-map w-100" role="group" aria-labelledby="map-title" style="max-width:%.0fpx">`, g.Width, g.Height, g.Width)
	fmt.Fprintf(&b, `<title id="map-title">%s</title>`, html.EscapeString(title))
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#5d7083" stroke-width="2"/></pattern></defs>`)
	for _, a := range g.Areas {
		r, ok := byCode[a.Code]
		fill := "#eef0f3"
		label := msg(lang, "monitor.out_of_scope")
		switch {
		case !ok:
		case r.Hidden:
			fill, label = "url(#hatch)", msg(lang, "monitor.suppressed")
		case r.Empty:
			fill, label = "#ffffff", msg(lang, "monitor.no_data")
		default:
			fill, _ = ShadeColours(Shade(r.Value, lo, hi))
			label = Format(ind, r.Cell, lang)
		}
		name := a.Name
		if ok {
			name = r.Label
		}
		link := ""
		if ok && href != nil {
			link = href(r)
		}
		t := html.EscapeString(name + ": " + label)
		if link != "" {
			fmt.Fprintf(&b, `<a href="%s" aria-label="%s">`, html.EscapeString(link), t)
		}
		fmt.Fprintf(&b, `<path d="%s" fill="%s" stroke="#17324d" stroke-width="0.6" data-code="%s"><title>%s</title></path>`, a.Path, fill, a.Code, t)
		if ok && !r.Hidden && !r.Empty {
			fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" text-anchor="middle" fill="%s" stroke="%s" stroke-width="2.5" paint-order="stroke" aria-hidden="true">%s</text>`,
				a.CX, a.CY+3, "#17324d", "#ffffff", html.EscapeString(Format(ind, r.Cell, lang)))
		}
		if link != "" {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// CSV writes text rows for Italian Excel through the one table writer (package tabular): a
// BOM, ';' separators, CRLF, and text cells a spreadsheet would run as a formula defused.
func CSV(header []string, rows [][]string) []byte {
	t := tabular.Table{}
	for _, h := range header {
		t.Columns = append(t.Columns, tabular.Column{Label: h})
	}
	for _, r := range rows {
		vals := make([]any, len(r))
		for i, c := range r {
			vals[i] = c
		}
		t.Rows = append(t.Rows, vals)
	}
	return t.CSV()
}

// TableCSV is a table as CSV: label, population, numerator, value (empty when suppressed) and
// a suppressed flag.
func TableCSV(t Table, lang string) []byte { return Tabular(t, lang).CSV() }

func invalidParam(name, v string) error {
	return domain.Invalid(name, "%q is not a valid id", v)
}
