package governance

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"esd/internal/domain"
)

// SeriesPoint is one day of a target's progress in the viewer's cell.
type SeriesPoint struct {
	Day        string  `json:"day"`
	Population int64   `json:"population,omitempty"`
	Reached    int64   `json:"reached,omitempty"`
	Share      float64 `json:"share"`
	Suppressed bool    `json:"suppressed"`
	Source     string  `json:"source"`
}

// CellRow is one region or organisation of the drill-down below the viewer's cell.
type CellRow struct {
	RegionID       int64   `json:"region_id"`
	OrganisationID int64   `json:"organisation_id,omitempty"`
	ISTAT          string  `json:"istat_code,omitempty"`
	Label          string  `json:"label"`
	Population     int64   `json:"population,omitempty"`
	Reached        int64   `json:"reached,omitempty"`
	Share          float64 `json:"share"`
	Suppressed     bool    `json:"suppressed"`
}

// Progress is a target as one viewer sees it.
type Progress struct {
	Target   Target        `json:"target"`
	Scope    string        `json:"scope"`
	Region   int64         `json:"region_id"`
	Org      int64         `json:"organisation_id"`
	Current  SeriesPoint   `json:"current"`
	Series   []SeriesPoint `json:"series"`
	Forecast Forecast      `json:"forecast"`
	State    string        `json:"state"`
	// Rows breaks the viewer's cell down (regions for the whole, organisations for a region).
	Rows     []CellRow `json:"rows"`
	RowsKind string    `json:"rows_kind"`
	Parent   *Target   `json:"parent,omitempty"`
	Children []Target  `json:"refinements"`
}

// visibleCell applies the suppression rule of the monitoring aggregates to a cell: hidden
// when its population is under the threshold or its numerator counts 1..k-1 professionals;
// then, among its siblings (the regions of the whole, or the organisations of a region),
// complementary suppression: while the hidden siblings are one cell or together too small,
// the smallest visible one is hidden too, so that the total minus the shown parts never
// reveals a hidden one. The rule depends only on the data, never on who asks.
func visibleCell(k int64, cs map[cell]count, c cell) bool {
	small := func(v count) bool { return v.Pop < k || (v.Reached > 0 && v.Reached < k) }
	if small(cs[c]) {
		return false
	}
	if c == whole {
		return true
	}
	var sibs []cell
	for x := range cs {
		if c.Org == -1 && x.Org == -1 && x.Region != -1 {
			sibs = append(sibs, x) // regions of the whole
		} else if c.Org != -1 && x.Region == c.Region && x.Org != -1 {
			sibs = append(sibs, x) // organisations of the region
		}
	}
	sort.Slice(sibs, func(i, j int) bool {
		a, b := cs[sibs[i]], cs[sibs[j]]
		if a.Pop != b.Pop {
			return a.Pop < b.Pop
		}
		if sibs[i].Region != sibs[j].Region {
			return sibs[i].Region < sibs[j].Region
		}
		return sibs[i].Org < sibs[j].Org
	})
	hidden := map[cell]bool{}
	for _, x := range sibs {
		if small(cs[x]) {
			hidden[x] = true
		}
	}
	for {
		var n int
		var sum count
		for x := range hidden {
			n++
			sum.Pop += cs[x].Pop
			sum.Reached += cs[x].Reached
		}
		if n == 0 || (n >= 2 && !small(sum)) {
			break
		}
		next := -1
		for i, x := range sibs {
			if !hidden[x] {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		hidden[sibs[next]] = true
	}
	return !hidden[c]
}

// viewerCell is the cell a viewer sees of a target: the whole for national governance and
// analysts (or the region / organisation they drill to), their region for a regional
// referent, their organisation for a training office. A drill-down outside the viewer's
// scope is not found, like any other record out of scope.
func (s *Service) viewerCell(ctx context.Context, a domain.Actor, region, org int64) (cell, error) {
	if org != 0 {
		r, err := orgRegion(ctx, s.DB.Read, org)
		if err != nil {
			return cell{}, err
		}
		if region != 0 && region != r {
			return cell{}, domain.NotFound("organisation")
		}
		region = r
	}
	switch a.Role {
	case domain.RoleRegional:
		if region != 0 && region != a.RegionID {
			return cell{}, domain.NotFound("region")
		}
		region = a.RegionID
	case domain.RoleOrganisation:
		if org != 0 && org != a.OrganisationID {
			return cell{}, domain.NotFound("organisation")
		}
		r, err := orgRegion(ctx, s.DB.Read, a.OrganisationID)
		if err != nil {
			return cell{}, err
		}
		if region != 0 && region != r {
			return cell{}, domain.NotFound("region")
		}
		return cell{r, a.OrganisationID}, nil
	}
	switch {
	case org != 0:
		return cell{region, org}, nil
	case region != 0:
		return cell{region, -1}, nil
	}
	return whole, nil
}

// measurements loads every stored day of a target: day → cells.
func (s *Service) measurements(ctx context.Context, id int64) ([]string, map[string]map[cell]count, map[string]string, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT day, region_id, organisation_id, population, reached, source FROM governance_measurements
		WHERE target_id = $1 ORDER BY day`, id)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	byDay := map[string]map[cell]count{}
	src := map[string]string{}
	var days []string
	for rows.Next() {
		var d any
		var c cell
		var v count
		var source string
		if err := rows.Scan(&d, &c.Region, &c.Org, &v.Pop, &v.Reached, &source); err != nil {
			return nil, nil, nil, err
		}
		day := dateString(d)
		if byDay[day] == nil {
			byDay[day] = map[cell]count{}
			days = append(days, day)
		}
		byDay[day][c] = v
		src[day] = source
	}
	return days, byDay, src, rows.Err()
}

func share(v count) float64 {
	if v.Pop == 0 {
		return 0
	}
	return float64(v.Reached) * 100 / float64(v.Pop)
}

// Progress returns a target's progress as the viewer sees it, in their cell (region and org
// drill down for those who may): the series of measurements with small groups suppressed,
// the forecast at the deadline from the least-squares trend with its 95 % prediction
// interval, the state, the breakdown one level down, the target it refines and its visible
// refinements.
func (s *Service) Progress(ctx context.Context, id, region, org int64) (Progress, error) {
	a, err := viewer(ctx)
	if err != nil {
		return Progress{}, err
	}
	t, err := s.loadTarget(ctx, s.DB.Read, id)
	if err != nil {
		return Progress{}, err
	}
	if !visible(a, t) {
		return Progress{}, domain.NotFound("target")
	}
	c, err := s.viewerCell(ctx, a, region, org)
	if err != nil {
		return Progress{}, err
	}
	days, byDay, src, err := s.measurements(ctx, id)
	if err != nil {
		return Progress{}, err
	}
	// Measuring is the background job's (and target creation's) work, not the request's: a
	// target is measured here only when it has never been.
	if len(days) == 0 {
		if err := s.Measure(domain.WithActor(ctx, domain.SystemActor), id, true); err != nil {
			return Progress{}, err
		}
		if days, byDay, src, err = s.measurements(ctx, id); err != nil {
			return Progress{}, err
		}
		if t, err = s.loadTarget(ctx, s.DB.Read, id); err != nil {
			return Progress{}, err
		}
	}
	p := Progress{Target: t, Region: c.Region, Org: c.Org, Children: []Target{}, Rows: []CellRow{}}
	k := int64(s.threshold())
	first, _ := time.Parse("2006-01-02", days[0])
	var pts []Point
	for _, d := range days {
		v := byDay[d][c]
		sp := SeriesPoint{Day: d, Source: src[d]}
		if visibleCell(k, byDay[d], c) {
			sp.Population, sp.Reached, sp.Share = v.Pop, v.Reached, share(v)
			at, _ := time.Parse("2006-01-02", d)
			pts = append(pts, Point{X: at.Sub(first).Hours() / 24, Y: sp.Share})
		} else {
			sp.Suppressed = true
		}
		p.Series = append(p.Series, sp)
	}
	p.Current = p.Series[len(p.Series)-1]
	dl, _ := time.Parse("2006-01-02", t.Deadline)
	p.State = StateUnknown
	if !p.Current.Suppressed {
		p.Forecast = Fit(pts, dl.Sub(first).Hours()/24)
		p.State = Assess(p.Current.Share, t.Threshold, p.Forecast)
	}
	if p.Scope, err = s.cellLabel(ctx, c); err != nil {
		return p, err
	}
	// One level down: regions of the whole, organisations of a region.
	last := byDay[days[len(days)-1]]
	if c.Org == -1 {
		names, err := s.cellNames(ctx)
		if err != nil {
			return p, err
		}
		for x, v := range last {
			if (c == whole && x.Org == -1 && x.Region != -1) || (c.Region != -1 && x.Region == c.Region && x.Org != -1) {
				row := CellRow{RegionID: x.Region, Label: names.region[x.Region], ISTAT: names.istat[x.Region]}
				if x.Org != -1 {
					row.OrganisationID, row.Label = x.Org, names.org[x.Org]
					if x.Org == 0 {
						row.Label = "—"
					}
				}
				if visibleCell(k, last, x) {
					row.Population, row.Reached, row.Share = v.Pop, v.Reached, share(v)
				} else {
					row.Suppressed = true
				}
				p.Rows = append(p.Rows, row)
			}
		}
		sort.Slice(p.Rows, func(i, j int) bool { return p.Rows[i].Label < p.Rows[j].Label })
		p.RowsKind = "region"
		if c != whole {
			p.RowsKind = "organisation"
		}
	}
	if t.ParentID != 0 {
		if pt, err := s.loadTarget(ctx, s.DB.Read, t.ParentID); err == nil && visible(a, pt) {
			p.Parent = &pt
		}
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+targetCols+` FROM governance_targets WHERE parent_id = $1 ORDER BY id`, id)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		ch, err := scanTarget(rows)
		if err != nil {
			return p, err
		}
		if visible(a, ch) {
			p.Children = append(p.Children, ch)
		}
	}
	return p, rows.Err()
}

type names struct {
	region map[int64]string
	istat  map[int64]string
	org    map[int64]string
}

func (s *Service) cellNames(ctx context.Context) (names, error) {
	n := names{region: map[int64]string{}, istat: map[int64]string{}, org: map[int64]string{}}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, name, istat_code FROM regions`)
	if err != nil {
		return n, err
	}
	for rows.Next() {
		var id int64
		var name, code string
		if err := rows.Scan(&id, &name, &code); err != nil {
			rows.Close()
			return n, err
		}
		n.region[id], n.istat[id] = name, code
	}
	rows.Close()
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT id, name FROM organisations WHERE kind <> 'provider'`)
	if err != nil {
		return n, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return n, err
		}
		n.org[id] = name
	}
	return n, rows.Err()
}

func (s *Service) cellLabel(ctx context.Context, c cell) (string, error) {
	var name string
	switch {
	case c == whole:
		return "Italia", nil
	case c.Org > 0:
		err := s.DB.Read.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, c.Org).Scan(&name)
		return name, err
	}
	err := s.DB.Read.QueryRowContext(ctx, `SELECT name FROM regions WHERE id = $1`, c.Region).Scan(&name)
	if err == sql.ErrNoRows {
		return fmt.Sprint(c.Region), nil
	}
	return name, err
}

// Summary is one line of the targets list: the target and its progress in the viewer's cell.
type Summary struct {
	Target   Target      `json:"target"`
	Current  SeriesPoint `json:"current"`
	Forecast Forecast    `json:"forecast"`
	State    string      `json:"state"`
	Scope    string      `json:"scope"`
}

// Targets lists the targets the viewer can see with their progress in the viewer's own
// cell, national ones first.
func (s *Service) Targets(ctx context.Context) ([]Summary, error) {
	a, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+targetCols+` FROM governance_targets ORDER BY COALESCE(parent_id, id), id`)
	if err != nil {
		return nil, err
	}
	var ts []Target
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if visible(a, t) {
			ts = append(ts, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Summary{}
	for _, t := range ts {
		p, err := s.Progress(ctx, t.ID, 0, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, Summary{Target: p.Target, Current: p.Current, Forecast: p.Forecast, State: p.State, Scope: p.Scope})
	}
	return out, nil
}

// evaluate updates the target's state from its whole population and, when it has just gone
// off track, notifies the target's owners.
func (s *Service) evaluate(ctx context.Context, t Target) error {
	sys := domain.WithActor(ctx, domain.SystemActor)
	days, byDay, _, err := s.measurements(sys, t.ID)
	if err != nil || len(days) == 0 {
		return err
	}
	k := int64(s.threshold())
	first, _ := time.Parse("2006-01-02", days[0])
	var pts []Point
	var cur count
	state := StateUnknown
	for _, d := range days {
		v := byDay[d][whole]
		if visibleCell(k, byDay[d], whole) {
			at, _ := time.Parse("2006-01-02", d)
			pts = append(pts, Point{X: at.Sub(first).Hours() / 24, Y: share(v)})
		}
		cur = v
	}
	if visibleCell(k, byDay[days[len(days)-1]], whole) {
		dl, _ := time.Parse("2006-01-02", t.Deadline)
		state = Assess(share(cur), t.Threshold, Fit(pts, dl.Sub(first).Hours()/24))
	}
	if state == t.State {
		return nil
	}
	return s.DB.Tx(sys, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(sys, `UPDATE governance_targets SET state = $1, state_at = $2 WHERE id = $3`, state, s.now(), t.ID); err != nil {
			return err
		}
		if state != StateOffTrack {
			return nil
		}
		return s.notifyTarget(sys, tx, t)
	})
}
