package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Query selects the figures of a dashboard: an indicator, a period (a year, or "" for the
// whole time) and filters. Zero values mean "all".
type Query struct {
	Indicator    string `json:"indicator"`
	Period       string `json:"period,omitempty"`
	Region       int64  `json:"region,omitempty"`
	Organisation int64  `json:"organisation,omitempty"`
	Profession   int    `json:"profession,omitempty"`
	Persona      int64  `json:"persona,omitempty"`
	Area         string `json:"area,omitempty"`
}

// Row is one line of a table: what it stands for and its cell.
type Row struct {
	ID    int64  `json:"id,omitempty"`
	Code  string `json:"code,omitempty"`
	Label string `json:"label"`
	Cell
}

// Table is a breakdown of an indicator along one dimension, with the total it breaks down.
type Table struct {
	Query     Query  `json:"query"`
	By        string `json:"by"`
	Rows      []Row  `json:"rows"`
	Total     Cell   `json:"total"`
	Threshold int    `json:"threshold"`
	Note      string `json:"note,omitempty"`
}

// Breakdowns are the dimensions a table can be broken down by.
var Breakdowns = []string{"region", "organisation", "profession", "persona", "area", "period"}

var yearRE = regexp.MustCompile(`^20[0-9]{2}$`)

// scope checks the query against the caller's scope and fills the region of an organisation.
// Anything outside the scope is ENOTFOUND, as a forged URL should be.
func (s *Service) scope(ctx context.Context, a domain.Actor, q Query) (Query, error) {
	if _, ok := indicators[q.Indicator]; !ok || strings.HasPrefix(q.Indicator, "line_") {
		if q.Indicator == "" {
			q.Indicator = "assessed"
		} else {
			return q, domain.Invalid("indicator", "unknown indicator %q (one of %s)", q.Indicator, strings.Join(Indicators, ", "))
		}
	}
	if q.Period != "" && !yearRE.MatchString(q.Period) {
		return q, domain.Invalid("period", "period %q: want a year such as 2026, or nothing for the whole time", q.Period)
	}
	if q.Area != "" && !indicators[q.Indicator].Area {
		return q, domain.Invalid("area", "indicator %s has no ambito breakdown", q.Indicator)
	}
	switch a.Role {
	case domain.RoleRegional:
		if q.Region == 0 {
			q.Region = a.RegionID
		}
		if q.Region != a.RegionID {
			return q, domain.NotFound("region")
		}
	case domain.RoleOrganisation:
		if q.Organisation == 0 {
			q.Organisation = a.OrganisationID
		}
		if q.Organisation != a.OrganisationID {
			return q, domain.NotFound("organisation")
		}
	}
	if q.Region != 0 {
		var n int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM regions WHERE id = $1`, q.Region).Scan(&n); err != nil {
			return q, err
		}
		if n == 0 {
			return q, domain.NotFound("region")
		}
	}
	if q.Organisation != 0 {
		var region sql.NullInt64
		err := s.DB.Read.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1 AND kind <> 'provider'`, q.Organisation).Scan(&region)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !region.Valid) {
			return q, domain.NotFound("organisation")
		}
		if err != nil {
			return q, err
		}
		if q.Region != 0 && q.Region != region.Int64 {
			return q, domain.NotFound("organisation")
		}
		q.Region = region.Int64
		if a.Role == domain.RoleRegional && q.Region != a.RegionID {
			return q, domain.NotFound("organisation")
		}
	}
	return q, nil
}

func (q Query) sel() sel {
	s := sel{Region: anyV, Org: anyV, Prof: anyV, Persona: anyV, Item: "*", Period: q.Period}
	if q.Region != 0 {
		s.Region = q.Region
	}
	if q.Organisation != 0 {
		s.Org = q.Organisation
	}
	if q.Profession != 0 {
		s.Prof = int64(q.Profession)
	}
	if q.Persona != 0 {
		s.Persona = q.Persona
	}
	if q.Area != "" {
		s.Item = q.Area
	}
	return s
}

// load reads the counters an engine needs: the region-wide counters of every region (the
// siblings of a region) and, when the query is about one region, its organisations' counters.
func (s *Service) load(ctx context.Context, ind indicator, q Query, allPeriods bool) (*engine, error) {
	metrics := []any{ind.Num}
	if ind.Den != "" {
		metrics = append(metrics, ind.Den)
	} else {
		metrics = append(metrics, mAssessed)
	}
	periodCond := ""
	args := append([]any(nil), metrics...)
	if !allPeriods {
		periods := []any{""}
		if q.Period != "" {
			periods = append(periods, q.Period)
		}
		periodCond = ` AND period IN (` + db.Placeholders(len(args)+1, len(periods)) + `)`
		args = append(args, periods...)
	}
	key := loadKey{fmt.Sprint(metrics...), fmt.Sprint(allPeriods, q.Period), q.Region}
	e := &engine{k: int64(s.threshold()), ind: ind, memo: map[memoKey]map[int64]bool{}}
	// One request loads a set; the others asking for it meanwhile wait for it.
	for {
		if c := s.cached(key); c != nil {
			e.rows, e.idx, e.itemIdx, e.orgRows = c.rows, c.idx, c.itemIdx, c.orgRows
			return e, nil
		}
		s.cacheMu.Lock()
		wait, busy := s.inflight[key]
		if !busy {
			if s.inflight == nil {
				s.inflight = map[loadKey]chan struct{}{}
			}
			done := make(chan struct{})
			s.inflight[key] = done
			defer func() {
				s.cacheMu.Lock()
				delete(s.inflight, key)
				s.cacheMu.Unlock()
				close(done)
			}()
		}
		s.cacheMu.Unlock()
		if !busy {
			break
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	gen := s.gen.Load()
	mIn := db.Placeholders(1, len(metrics))
	query := `SELECT region_id, organisation_id, profession_code, persona_id, period, metric, item, n, total FROM monitor_cells
		WHERE region_id IN (SELECT id FROM regions) AND metric IN (` + mIn + `)` + periodCond + ` AND organisation_id = -1 AND n <> 0`
	if err := scanCells(ctx, s.DB.Read, &e.rows, query, args...); err != nil {
		return nil, err
	}
	if q.Region != 0 {
		query := `SELECT region_id, organisation_id, profession_code, persona_id, period, metric, item, n, total FROM monitor_cells
			WHERE region_id = $` + fmt.Sprint(len(args)+1) + ` AND metric IN (` + mIn + `)` + periodCond + ` AND organisation_id <> -1 AND n <> 0`
		if err := scanCells(ctx, s.DB.Read, &e.rows, query, append(args, q.Region)...); err != nil {
			return nil, err
		}
	}
	e.index()
	s.store(key, gen, &rowSet{rows: e.rows, idx: e.idx, itemIdx: e.itemIdx, orgRows: e.orgRows})
	return e, nil
}

// The counters a query loads are kept in memory, shared by the requests that need the same
// ones (the 50 viewers of one dashboard), until the refresher or a rebuild of this process
// changes the counters, or for cacheTTL at most (a rebuild by another process).
const cacheTTL = 3 * time.Second

type loadKey struct {
	metrics, periods string
	region           int64
}

// rowSet is a loaded set of counters with its indexes, read-only once stored.
type rowSet struct {
	rows    []cellRow
	idx     map[bucket][]int32
	itemIdx map[itemBucket][]int32
	orgRows map[bucket][]int32
	gen     uint64
	at      time.Time
}

func (s *Service) cached(k loadKey) *rowSet {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	c := s.cache[k]
	if c == nil || c.gen != s.gen.Load() || time.Since(c.at) > cacheTTL {
		return nil
	}
	return c
}

func (s *Service) store(k loadKey, gen uint64, c *rowSet) {
	c.gen, c.at = gen, time.Now()
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.cache == nil || len(s.cache) > 256 {
		s.cache = map[loadKey]*rowSet{}
	}
	s.cache[k] = c
}

func scanCells(ctx context.Context, q db.Querier, into *[]cellRow, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r cellRow
		if err := rows.Scan(&r.Region, &r.Org, &r.Prof, &r.Persona, &r.Period, &r.Metric, &r.Item, &r.N, &r.Total); err != nil {
			return err
		}
		*into = append(*into, r)
	}
	return rows.Err()
}

// Table breaks the indicator of q down along by, suppressing small cells. Regional referents
// see their region, organisation training offices their organisation, national governance and
// analysts everything; the breakdown by region of a regional referent has their region only.
func (s *Service) Table(ctx context.Context, q Query, by, lang string) (Table, error) {
	a, err := requireViewer(ctx)
	if err != nil {
		return Table{}, err
	}
	if q, err = s.scope(ctx, a, q); err != nil {
		return Table{}, err
	}
	t := Table{Query: q, By: by, Threshold: s.threshold()}
	rk := resultKey{q, by, lang, t.Threshold}
	gen := s.gen.Load()
	if v, ok := s.result(rk); ok {
		return v.(Table), nil
	}
	ind := indicators[q.Indicator]
	switch by {
	case "region", "profession", "persona", "period":
	case "organisation":
		if q.Region == 0 {
			return t, domain.Invalid("by", "a breakdown by organisation needs a region")
		}
	case "area":
		if !ind.Area {
			return t, domain.Invalid("by", "indicator %s has no ambito breakdown", q.Indicator)
		}
	default:
		return t, domain.Invalid("by", "unknown breakdown %q (one of %s)", by, strings.Join(Breakdowns, ", "))
	}
	if a.Role == domain.RoleOrganisation && (by == "region" || by == "organisation") {
		return t, domain.Forbidden("an organisation sees its own figures only")
	}
	e, err := s.load(ctx, ind, q, by == "period")
	if err != nil {
		return t, err
	}
	lb, err := s.labels(ctx)
	if err != nil {
		return t, err
	}
	base := q.sel()
	t.Total = e.cell(base)
	switch by {
	case "region":
		for _, r := range lb.regions {
			if q.Region != 0 && r.ID != q.Region {
				continue
			}
			c := e.cell(base.with(dRegion, r.ID, ""))
			t.Rows = append(t.Rows, Row{ID: r.ID, Code: r.ISTAT, Label: r.Name, Cell: c})
		}
	case "organisation":
		orgs := presentValues(e, base, dOrg)
		names, err := s.orgNames(ctx, orgs)
		if err != nil {
			return t, err
		}
		if q.Organisation != 0 {
			orgs = []int64{q.Organisation}
		}
		for _, o := range orgs {
			label := names[o]
			if o == 0 {
				label = msg(lang, "monitor.no_org")
			}
			t.Rows = append(t.Rows, Row{ID: o, Label: label, Cell: e.cell(base.with(dOrg, o, ""))})
		}
		sort.SliceStable(t.Rows, func(i, j int) bool { return t.Rows[i].Label < t.Rows[j].Label })
	case "profession":
		for _, p := range presentValues(e, base, dProf) {
			t.Rows = append(t.Rows, Row{ID: p, Label: lb.professionName(p, lang), Cell: e.cell(base.with(dProf, p, ""))})
		}
	case "persona":
		for _, p := range presentValues(e, base, dPersona) {
			t.Rows = append(t.Rows, Row{ID: p, Label: lb.personaName(p, lang), Cell: e.cell(base.with(dPersona, p, ""))})
		}
	case "area":
		for _, ar := range lb.areas {
			c := e.cell(base.with(dItem, 0, ar.Code))
			t.Rows = append(t.Rows, Row{Code: ar.Code, Label: ar.Code + " " + ar.title(lang), Cell: c})
		}
	case "period":
		seen := map[string]bool{}
		for _, r := range e.rows {
			if r.Period != "" && r.Metric == ind.Num {
				seen[r.Period] = true
			}
		}
		var years []string
		for y := range seen {
			years = append(years, y)
		}
		sort.Strings(years)
		for _, y := range years {
			ps := base
			ps.Period = y
			t.Rows = append(t.Rows, Row{Code: y, Label: y, Cell: e.cell(ps)})
		}
	}
	t.Total.Text = Format(q.Indicator, t.Total, lang)
	for i := range t.Rows {
		t.Rows[i].Text = Format(q.Indicator, t.Rows[i].Cell, lang)
	}
	s.keepResult(rk, gen, t)
	return t, nil
}

// presentValues lists the values of d that have counters under base (any value of d).
func presentValues(e *engine, base sel, d dim) []int64 {
	parent := base.with(d, anyV, "*")
	seen := map[int64]bool{}
	for i := range e.rows {
		r := &e.rows[i]
		if (r.Metric == e.ind.Num || r.Metric == e.ind.Den) && parent.matches(r, d, true) {
			seen[rowValue(r, d)] = true
		}
	}
	out := make([]int64, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Heatmap is the persona × ambito matrix of an indicator (level or gap).
type Heatmap struct {
	Query     Query        `json:"query"`
	Areas     []Row        `json:"areas"`
	Rows      []HeatmapRow `json:"rows"`
	Threshold int          `json:"threshold"`
}

// HeatmapRow is one persona and its cells, one per ambito in column order.
type HeatmapRow struct {
	PersonaID int64  `json:"persona_id"`
	Label     string `json:"label"`
	Cells     []Cell `json:"cells"`
}

// Heatmap computes the persona × ambito matrix of q's indicator (level when q's is not per
// ambito), in the caller's scope, suppressed like every other table.
func (s *Service) Heatmap(ctx context.Context, q Query, lang string) (Heatmap, error) {
	a, err := requireViewer(ctx)
	if err != nil {
		return Heatmap{}, err
	}
	if !indicators[q.Indicator].Area {
		q.Indicator = "level"
	}
	q.Area, q.Persona = "", 0
	if q, err = s.scope(ctx, a, q); err != nil {
		return Heatmap{}, err
	}
	h := Heatmap{Query: q, Threshold: s.threshold()}
	rk := resultKey{q, "heatmap", lang, h.Threshold}
	gen := s.gen.Load()
	if v, ok := s.result(rk); ok {
		return v.(Heatmap), nil
	}
	e, err := s.load(ctx, indicators[q.Indicator], q, false)
	if err != nil {
		return h, err
	}
	lb, err := s.labels(ctx)
	if err != nil {
		return h, err
	}
	for _, ar := range lb.areas {
		h.Areas = append(h.Areas, Row{Code: ar.Code, Label: ar.title(lang)})
	}
	base := q.sel()
	for _, p := range presentValues(e, base, dPersona) {
		row := HeatmapRow{PersonaID: p, Label: lb.personaName(p, lang)}
		for _, ar := range lb.areas {
			c := e.cell(base.with(dPersona, p, "").with(dItem, 0, ar.Code))
			c.Text = Format(q.Indicator, c, lang)
			row.Cells = append(row.Cells, c)
		}
		h.Rows = append(h.Rows, row)
	}
	s.keepResult(rk, gen, h)
	return h, nil
}

// LineChange is the before/after of one line among the re-assessed professionals.
type LineChange struct {
	Code   string `json:"code"`
	Label  string `json:"label"`
	Area   string `json:"area"`
	Before Cell   `json:"before"`
	After  Cell   `json:"after"`
}

// BeforeAfter lists, per line, the mean level before and after the latest re-assessment, in a
// region (or nationally) and for a persona. Per-line counters are kept per region and persona
// only, so an organisation's or a profession's filter gives a note and no lines.
func (s *Service) BeforeAfter(ctx context.Context, q Query, lang string) ([]LineChange, string, error) {
	a, err := requireViewer(ctx)
	if err != nil {
		return nil, "", err
	}
	area := q.Area
	q.Indicator, q.Area = "level", ""
	if q, err = s.scope(ctx, a, q); err != nil {
		return nil, "", err
	}
	if q.Organisation != 0 || q.Profession != 0 {
		return nil, msg(lang, "monitor.lines_region_only"), nil
	}
	q.Period = ""
	eb, err := s.load(ctx, indicators["line_before"], q, false)
	if err != nil {
		return nil, "", err
	}
	ea, err := s.load(ctx, indicators["line_after"], q, false)
	if err != nil {
		return nil, "", err
	}
	lb, err := s.labels(ctx)
	if err != nil {
		return nil, "", err
	}
	base := q.sel()
	var out []LineChange
	for _, l := range lb.lines {
		if area != "" && l.Area != area {
			continue
		}
		b := eb.cell(base.with(dItem, 0, l.Code))
		af := ea.cell(base.with(dItem, 0, l.Code))
		if b.Empty && af.Empty {
			continue
		}
		if b.Hidden || af.Hidden {
			b, af = Cell{Hidden: true}, Cell{Hidden: true}
		}
		b.Text, af.Text = Format("level", b, lang), Format("level", af, lang)
		title := l.TitleIT
		if lang == "en" && l.TitleEN != "" {
			title = l.TitleEN
		}
		out = append(out, LineChange{Code: l.Code, Label: title, Area: l.Area, Before: b, After: af})
	}
	return out, "", nil
}

// labels are the names the tables show, cached for a minute.
type labels struct {
	regions     []regionLabel
	professions map[int64]string
	personas    map[int64][2]string
	areas       []areaLabel
	lines       []fwLine
}

type regionLabel struct {
	ID          int64
	ISTAT, Name string
}

type areaLabel struct{ Code, TitleIT, TitleEN string }

func (a areaLabel) title(lang string) string {
	if lang == "en" && a.TitleEN != "" {
		return a.TitleEN
	}
	return a.TitleIT
}

func (l *labels) professionName(code int64, lang string) string {
	if code == 0 {
		return msg(lang, "monitor.none")
	}
	if n, ok := l.professions[code]; ok {
		return n
	}
	return fmt.Sprint(code)
}

func (l *labels) personaName(id int64, lang string) string {
	if id == 0 {
		return msg(lang, "monitor.no_persona")
	}
	n, ok := l.personas[id]
	if !ok {
		return fmt.Sprint(id)
	}
	if lang == "en" && n[1] != "" {
		return n[1]
	}
	return n[0]
}

func (s *Service) labels(ctx context.Context) (*labels, error) {
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	if s.metaData != nil && time.Since(s.metaAt) < time.Minute {
		return s.metaData, nil
	}
	l := &labels{professions: map[int64]string{}, personas: map[int64][2]string{}}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, istat_code, name FROM regions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r regionLabel
		if err := rows.Scan(&r.ID, &r.ISTAT, &r.Name); err != nil {
			rows.Close()
			return nil, err
		}
		l.regions = append(l.regions, r)
	}
	rows.Close()
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT code, name FROM professions`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c int64
		var n string
		if err := rows.Scan(&c, &n); err != nil {
			rows.Close()
			return nil, err
		}
		l.professions[c] = n
	}
	rows.Close()
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT id, name_it, name_en FROM personas`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var it, en string
		if err := rows.Scan(&id, &it, &en); err != nil {
			rows.Close()
			return nil, err
		}
		l.personas[id] = [2]string{it, en}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fwID, err := currentFrameworkID(ctx, s.DB.Read)
	if err != nil {
		return nil, err
	}
	fw, err := s.framework(ctx, fwID)
	if err != nil {
		return nil, err
	}
	for _, a := range fw.Areas {
		l.areas = append(l.areas, areaLabel{a.Code, a.TitleIT, a.TitleEN})
	}
	l.lines = fw.Lines
	s.metaData, s.metaAt = l, time.Now()
	return l, nil
}

func (s *Service) orgNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	var real []int64
	for _, id := range ids {
		if id > 0 {
			real = append(real, id)
		}
	}
	if len(real) == 0 {
		return out, nil
	}
	in, args := inList(s.DB.IsPostgres(), real)
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, name FROM organisations WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// requireRebuilder lets the system and national governance rebuild the aggregates.
func requireRebuilder(ctx context.Context) (domain.Actor, error) {
	return domain.Require(ctx, domain.RoleNational)
}

// Results of Table and Heatmap are kept like the counters they come from (see cacheTTL): the
// 50 viewers of one dashboard panel share one computation. A result depends only on the
// scoped query, never on who asks, so sharing it cannot widen anyone's view. Callers treat
// them as read-only.
type resultKey struct {
	q         Query
	kind      string
	lang      string
	threshold int
}

type result struct {
	v   any
	gen uint64
	at  time.Time
}

func (s *Service) result(k resultKey) (any, bool) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	r, ok := s.results[k]
	if !ok || r.gen != s.gen.Load() || time.Since(r.at) > cacheTTL {
		return nil, false
	}
	return r.v, true
}

func (s *Service) keepResult(k resultKey, gen uint64, v any) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.results == nil || len(s.results) > 1024 {
		s.results = map[resultKey]result{}
	}
	s.results[k] = result{v, gen, time.Now()}
}
