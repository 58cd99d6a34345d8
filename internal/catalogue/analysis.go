package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"esd/internal/domain"
	"esd/internal/italian"
)

// DefaultKeywords are the words of the programme's extraction of 2023–2024 ECM events.
var DefaultKeywords = []string{"digitale", "fascicolo", "telemedicina", "sanità digitale"}

// AnalysisQuery selects what the catalogue analysis counts: published events whose first
// edition starts in [From, To], matched by keyword on the analysed title (and description
// with InDescription), so "digitali", "DIGITALE" and "sanita' digitale" all match.
type AnalysisQuery struct {
	Keywords      []string `json:"keywords"`
	From          string   `json:"from,omitempty"`
	To            string   `json:"to,omitempty"`
	InDescription bool     `json:"in_description,omitempty"`
}

// TypeCounts counts events by training type.
type TypeCounts struct {
	Total   int `json:"total"`
	RES     int `json:"res"`
	FAD     int `json:"fad"`
	FSC     int `json:"fsc"`
	Blended int `json:"blended"`
}

func (t *TypeCounts) add(typ string) {
	t.Total++
	switch typ {
	case TypeRES:
		t.RES++
	case TypeFAD:
		t.FAD++
	case TypeFSC:
		t.FSC++
	case TypeBlended:
		t.Blended++
	}
}

// Row is one row of an analysis table: a key, its label and the counts by type.
type Row struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	TypeCounts
	// Keyword counts, for lines and dimensions, how many of the events the keywords find.
	Keyword int `json:"keyword_matched"`
}

// Analysis is the catalogue analysis: the programme's keyword table, and the same events
// by year, provider, national-interest theme, portfolio dimension and line.
type Analysis struct {
	Query AnalysisQuery `json:"query"`
	// Events counts every published event in the period.
	Events TypeCounts `json:"events"`
	// Matched counts the events matching at least one keyword.
	Matched   TypeCounts `json:"matched"`
	ByKeyword []Row      `json:"by_keyword"`
	ByYear    []Row      `json:"by_year"` // matched events
	// ByYearAll counts every published event by year, for comparison.
	ByYearAll  []Row `json:"by_year_all"`
	ByProvider []Row `json:"by_provider"` // matched events, top 20
	// ByTheme counts every event in the period declared on a theme, by theme and year.
	ByTheme []Row `json:"by_theme"`
	// ByDimension and ByLine count every event in the period mapped to the portfolio; Keyword
	// says how many the keyword search finds, the rest it misses.
	ByDimension []Row `json:"by_dimension"`
	ByLine      []Row `json:"by_line"`
	// Mapped counts the events mapped to at least one line; MappedNotMatched those the
	// keyword search misses.
	Mapped           TypeCounts `json:"mapped"`
	MappedNotMatched TypeCounts `json:"mapped_not_matched"`
	Illustrative     bool       `json:"portfolio_illustrative"`
}

// Analyse runs the catalogue analysis. It reads the published events of the period in one
// streaming pass (and their lines in a second), so it stays linear in the catalogue.
func (s *Service) Analyse(ctx context.Context, q AnalysisQuery) (Analysis, error) {
	if _, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider, domain.RoleAnalyst); err != nil {
		return Analysis{}, err
	}
	var kws []string
	for _, k := range q.Keywords {
		for _, part := range strings.Split(k, ",") {
			if p := strings.TrimSpace(part); p != "" {
				kws = append(kws, p)
			}
		}
	}
	if len(kws) == 0 {
		kws = DefaultKeywords
	}
	q.Keywords = kws
	for _, d := range []*string{&q.From, &q.To} {
		if *d != "" {
			if p := parseDate(*d); len(p) != 10 || dayOf(p) == 0 {
				return Analysis{}, domain.Invalid("from", "data non valida: %s (AAAA-MM-GG)", *d)
			} else {
				*d = p
			}
		}
	}
	phrases := make([][]string, len(kws))
	for i, k := range kws {
		phrases[i] = italian.Analyze(k)
		if len(phrases[i]) == 0 {
			return Analysis{}, domain.Invalid("keywords", "la parola chiave «%s» è vuota dopo l'analisi (parola troppo comune)", k)
		}
	}
	an := Analysis{Query: q}
	where := "e.state IN ('accredited', 'running', 'closed')"
	var args []any
	if q.From != "" {
		args = append(args, q.From)
		where += fmt.Sprintf(" AND e.first_start >= $%d", len(args))
	}
	if q.To != "" {
		args = append(args, q.To)
		where += fmt.Sprintf(" AND e.first_start <= $%d", len(args))
	}
	type ev struct {
		typ, year string
		matched   bool
	}
	events := map[int64]ev{}
	byKw := make([]Row, len(kws))
	for i, k := range kws {
		byKw[i] = Row{Key: k, Label: k}
	}
	years, yearsAll, provs, themes := map[string]*Row{}, map[string]*Row{}, map[string]*Row{}, map[string]*Row{}
	bump := func(m map[string]*Row, key, label, typ string) {
		r := m[key]
		if r == nil {
			r = &Row{Key: key, Label: label}
			m[key] = r
		}
		r.add(typ)
	}
	err := scanAll(ctx, s.DB.Read, `SELECT e.id, e.type, e.first_start, e.search_title, e.search_body, o.code, o.name,
		COALESCE(t.code, ''), COALESCE(t.name_it, '')
		FROM events e JOIN organisations o ON o.id = e.provider_id LEFT JOIN ecm_themes t ON t.id = e.theme_id WHERE `+where, func(rs *sql.Rows) error {
		var id int64
		var typ, start, title, body, pcode, pname, tcode, tname string
		if err := rs.Scan(&id, &typ, &start, &title, &body, &pcode, &pname, &tcode, &tname); err != nil {
			return err
		}
		year := start[:min(4, len(start))]
		an.Events.add(typ)
		bump(yearsAll, year, year, typ)
		terms := strings.Fields(title)
		if q.InDescription {
			terms = append(append(terms, "\x00"), strings.Fields(body)...)
		}
		matched := false
		for i, p := range phrases {
			if italian.Contains(terms, p) {
				byKw[i].add(typ)
				matched = true
			}
		}
		if matched {
			an.Matched.add(typ)
			bump(years, year, year, typ)
			bump(provs, pcode, pname, typ)
		}
		if tcode != "" {
			bump(themes, tcode+" "+year, tname+" · "+year, typ)
		}
		events[id] = ev{typ, year, matched}
		return nil
	}, args...)
	if err != nil {
		return an, err
	}
	// Lines of those events.
	r := &refs{}
	if err := s.loadPortfolio(ctx, r); err != nil {
		return an, err
	}
	an.Illustrative = r.fw.Illustrative
	lines, dims := map[int64]*Row{}, map[int64]*Row{}
	mappedDims := map[int64]map[int64]bool{}
	mapped := map[int64]bool{}
	err = scanAll(ctx, s.DB.Read, `SELECT l.event_id, l.item_id FROM event_lines l JOIN events e ON e.id = l.event_id WHERE `+where, func(rs *sql.Rows) error {
		var eid, lid int64
		if err := rs.Scan(&eid, &lid); err != nil {
			return err
		}
		e, ok := events[eid]
		if !ok {
			return nil
		}
		lr := r.lines[lid]
		row := lines[lid]
		if row == nil {
			row = &Row{Key: lr.Code, Label: lr.Title}
			lines[lid] = row
		}
		row.add(e.typ)
		if e.matched {
			row.Keyword++
		}
		if mappedDims[eid] == nil {
			mappedDims[eid] = map[int64]bool{}
		}
		if !mappedDims[eid][lr.DimID] {
			mappedDims[eid][lr.DimID] = true
			d := dims[lr.DimID]
			if d == nil {
				d = &Row{Key: lr.DimCode, Label: lr.DimTitle}
				dims[lr.DimID] = d
			}
			d.add(e.typ)
			if e.matched {
				d.Keyword++
			}
		}
		if !mapped[eid] {
			mapped[eid] = true
			an.Mapped.add(e.typ)
			if !e.matched {
				an.MappedNotMatched.add(e.typ)
			}
		}
		return nil
	}, args...)
	if err != nil {
		return an, err
	}
	an.ByKeyword = byKw
	an.ByYear = sortedRows(years, byKey)
	an.ByYearAll = sortedRows(yearsAll, byKey)
	an.ByProvider = sortedRows(provs, byTotal)
	if len(an.ByProvider) > 20 {
		an.ByProvider = an.ByProvider[:20]
	}
	an.ByTheme = sortedRows(themes, byKey)
	an.ByDimension = sortedRowsID(dims, byKey)
	an.ByLine = sortedRowsID(lines, byTotal)
	return an, nil
}

const (
	byKey = iota
	byTotal
)

func sortRows(out []Row, order int) []Row {
	sort.Slice(out, func(i, j int) bool {
		if order == byTotal && out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func sortedRows(m map[string]*Row, order int) []Row {
	out := make([]Row, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	return sortRows(out, order)
}

func sortedRowsID(m map[int64]*Row, order int) []Row {
	out := make([]Row, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	return sortRows(out, order)
}

// Tables returns the analysis as named tables (for the text, CSV and XLSX outputs), each
// with its rows; the first table is the programme's summary.
func (an Analysis) Tables() []Table {
	sum := Table{Name: "sintesi", Title: "Eventi per tipologia", Rows: []Row{
		{Key: "keywords", Label: "Eventi trovati dalle parole chiave: " + strings.Join(an.Query.Keywords, ", "), TypeCounts: an.Matched},
		{Key: "mapped", Label: "Eventi mappati sulle linee del portfolio", TypeCounts: an.Mapped},
		{Key: "mapped_not_matched", Label: "… di cui non trovati dalle parole chiave", TypeCounts: an.MappedNotMatched},
		{Key: "all", Label: "Tutti gli eventi pubblicati nel periodo", TypeCounts: an.Events},
	}}
	return []Table{
		sum,
		{Name: "parole_chiave", Title: "Eventi per parola chiave", Rows: an.ByKeyword},
		{Name: "anni", Title: "Eventi trovati dalle parole chiave, per anno", Rows: an.ByYear},
		{Name: "anni_tutti", Title: "Tutti gli eventi pubblicati, per anno", Rows: an.ByYearAll},
		{Name: "provider", Title: "Eventi trovati dalle parole chiave, per provider (primi 20)", Rows: an.ByProvider},
		{Name: "tematiche", Title: "Eventi per tematica di interesse nazionale e anno", Rows: an.ByTheme},
		{Name: "dimensioni", Title: "Eventi per dimensione del portfolio", Rows: an.ByDimension, Keyword: true},
		{Name: "linee", Title: "Eventi per linea del portfolio", Rows: an.ByLine, Keyword: true},
	}
}

// Table is one table of the analysis.
type Table struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Rows    []Row  `json:"rows"`
	Keyword bool   `json:"keyword_column"` // show the keyword-matched column
}

// WriteText prints the analysis as aligned text tables (the CLI output).
func (an Analysis) WriteText(w io.Writer) error {
	period := "tutto il catalogo"
	if an.Query.From != "" || an.Query.To != "" {
		period = "dal " + orDash(an.Query.From) + " al " + orDash(an.Query.To)
	}
	fmt.Fprintf(w, "Analisi del catalogo (%s), parole chiave: %s\n", period, strings.Join(an.Query.Keywords, ", "))
	if an.Illustrative {
		fmt.Fprintln(w, "Nota: il portfolio delle linee è illustrativo.")
	}
	for _, t := range an.Tables() {
		fmt.Fprintf(w, "\n%s\n", t.Title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		head := "\tTotale\tRES\tFAD\tFSC\tBlended\t"
		if t.Keyword {
			head += "Con parole chiave\t"
		}
		fmt.Fprintln(tw, head)
		for _, r := range t.Rows {
			label := r.Label
			if r.Key != r.Label && t.Name != "sintesi" && t.Name != "tematiche" {
				label = r.Key + " " + r.Label
			}
			line := fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%d\t", label, r.Total, r.RES, r.FAD, r.FSC, r.Blended)
			if t.Keyword {
				line += fmt.Sprintf("%d\t", r.Keyword)
			}
			fmt.Fprintln(tw, line)
		}
		if len(t.Rows) == 0 {
			fmt.Fprintln(tw, "(nessun evento)\t")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "…"
	}
	return s
}
