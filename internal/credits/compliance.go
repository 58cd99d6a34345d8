package credits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"esd/internal/domain"
)

// MinGroup is the smallest group whose counts are shown; smaller ones are suppressed.
const MinGroup = 5

// ComplianceQuery selects the compliance view: a triennium (0 = current) and, for callers
// who see more, a region or an organisation to narrow to.
type ComplianceQuery struct {
	Triennium      int   `json:"triennium"`
	RegionID       int64 `json:"region_id,omitempty"`
	OrganisationID int64 `json:"organisation_id,omitempty"`
}

// Group is one row of the compliance view. Suppressed groups show no counts.
type Group struct {
	Key            int64   `json:"key"`
	Label          string  `json:"label"`
	Suppressed     bool    `json:"suppressed"`
	Professionals  int     `json:"professionals"`
	Compliant      int     `json:"compliant"`
	OnTrack        int     `json:"on_track"`
	Behind         int     `json:"behind"`
	CompliantShare float64 `json:"compliant_share"`
	OnTrackShare   float64 `json:"on_track_share"`
	BehindShare    float64 `json:"behind_share"`
}

// ComplianceView counts professionals who are compliant (certified credits cover what is
// due), on track (not yet, but the linear forecast reaches it) and behind, by profession
// and by unit (an organisation's office: its own organisation; a region: its
// organisations; national: the regions), from the stored balances.
type ComplianceView struct {
	Triennium      int     `json:"triennium"`
	Label          string  `json:"label"`
	Scope          string  `json:"scope"` // national, region, organisation
	RegionID       int64   `json:"region_id,omitempty"`
	OrganisationID int64   `json:"organisation_id,omitempty"`
	ScopeName      string  `json:"scope_name"`
	UnitKind       string  `json:"unit_kind"` // region, organisation
	Total          Group   `json:"total"`
	ByProfession   []Group `json:"by_profession"`
	ByUnit         []Group `json:"by_unit"`
	MinGroup       int     `json:"min_group"`
}

// Compliance returns the compliance view of the caller's scope. National governance and
// analysts see the country by region (or narrow to a region or an organisation), a regional
// referent their region by organisation, an organisation's office its own organisation;
// providers and professionals are refused. Groups under MinGroup professionals are
// suppressed, and when one group alone would be, the next smallest is too, so no
// suppressed count can be derived from the total.
func (s *Service) Compliance(ctx context.Context, q ComplianceQuery) (ComplianceView, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst)
	if err != nil {
		return ComplianceView{}, err
	}
	rules := s.Rules()
	if q.Triennium == 0 {
		q.Triennium = rules.CurrentTriennium(s.today())
	}
	tri, ok := rules.TrienniumByStart(q.Triennium)
	if !ok {
		return ComplianceView{}, domain.Invalid("triennium", "no rules for the triennium starting in %d", q.Triennium)
	}
	asked := q.RegionID
	switch a.Role {
	case domain.RoleRegional:
		if q.RegionID != 0 && q.RegionID != a.RegionID {
			return ComplianceView{}, domain.Forbidden("outside your region")
		}
		q.RegionID = a.RegionID
	case domain.RoleOrganisation:
		if q.OrganisationID != 0 && q.OrganisationID != a.OrganisationID {
			return ComplianceView{}, domain.Forbidden("outside your organisation")
		}
		q.OrganisationID = a.OrganisationID
	}
	v := ComplianceView{Triennium: q.Triennium, Label: tri.Label(), MinGroup: MinGroup}
	rd := s.DB.Read
	if q.OrganisationID != 0 {
		var region sql.NullInt64
		err := rd.QueryRowContext(ctx, `SELECT region_id, name FROM organisations WHERE id = $1`, q.OrganisationID).Scan(&region, &v.ScopeName)
		if errors.Is(err, sql.ErrNoRows) {
			return v, domain.NotFound("organisation")
		}
		if err != nil {
			return v, err
		}
		if a.Role == domain.RoleRegional && region.Int64 != a.RegionID {
			return v, domain.NotFound("organisation")
		}
		if asked != 0 && asked != region.Int64 {
			return v, domain.Forbidden("the organisation is not in region %d", asked)
		}
		q.RegionID = region.Int64
		v.Scope, v.UnitKind, v.RegionID, v.OrganisationID = "organisation", "organisation", q.RegionID, q.OrganisationID
	} else if q.RegionID != 0 {
		err := rd.QueryRowContext(ctx, `SELECT name FROM regions WHERE id = $1`, q.RegionID).Scan(&v.ScopeName)
		if errors.Is(err, sql.ErrNoRows) {
			return v, domain.NotFound("region")
		}
		if err != nil {
			return v, err
		}
		v.Scope, v.UnitKind, v.RegionID = "region", "organisation", q.RegionID
	} else {
		v.Scope, v.UnitKind, v.ScopeName = "national", "region", "Italia"
	}
	// One grouped pass over the covering index per breakdown. The organisation filter
	// always comes with its region so the index's leading columns are used.
	where := `WHERE triennium = $1`
	args := []any{q.Triennium}
	if q.RegionID != 0 {
		where += ` AND region_id = $2`
		args = append(args, q.RegionID)
		if q.OrganisationID != 0 {
			where += ` AND organisation_id = $3`
			args = append(args, q.OrganisationID)
		}
	}
	unitCol := "region_id"
	if v.UnitKind == "organisation" {
		unitCol = "COALESCE(organisation_id, 0)"
	}
	byProf, err := s.groups(ctx, `SELECT profession_code, `+counts+` FROM credit_balances `+where+` GROUP BY profession_code`, args)
	if err != nil {
		return v, err
	}
	byUnit, err := s.groups(ctx, `SELECT `+unitCol+`, `+counts+` FROM credit_balances `+where+` GROUP BY `+unitCol, args)
	if err != nil {
		return v, err
	}
	for _, g := range byProf {
		v.Total.Professionals += g.Professionals
		v.Total.Compliant += g.Compliant
		v.Total.OnTrack += g.OnTrack
		v.Total.Behind += g.Behind
	}
	v.Total.Label = v.ScopeName
	if err := s.label(ctx, byProf, `SELECT code, name FROM professions`); err != nil {
		return v, err
	}
	unitSQL := `SELECT id, name FROM regions`
	if v.UnitKind == "organisation" {
		unitSQL = `SELECT id, name FROM organisations WHERE region_id = ` + fmt.Sprint(q.RegionID)
	}
	if err := s.label(ctx, byUnit, unitSQL); err != nil {
		return v, err
	}
	v.ByProfession, v.ByUnit = suppress(byProf), suppress(byUnit)
	tot := []Group{v.Total}
	tot = suppress(tot)
	v.Total = tot[0]
	return v, nil
}

const counts = `COUNT(*), SUM(CASE WHEN compliant THEN 1 ELSE 0 END), SUM(CASE WHEN on_track AND NOT compliant THEN 1 ELSE 0 END)`

func (s *Service) groups(ctx context.Context, query string, args []any) ([]Group, error) {
	rows, err := s.DB.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.Key, &g.Professionals, &g.Compliant, &g.OnTrack); err != nil {
			return nil, err
		}
		g.Behind = g.Professionals - g.Compliant - g.OnTrack
		out = append(out, g)
	}
	return out, rows.Err()
}

// label names the groups: one query for the labels of the keys present.
func (s *Service) label(ctx context.Context, gs []Group, query string) error {
	if len(gs) == 0 {
		return nil
	}
	want := map[int64]int{}
	for i, g := range gs {
		want[g.Key] = i
	}
	rows, err := s.DB.Read.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return err
		}
		if i, ok := want[id]; ok {
			gs[i].Label = name
		}
	}
	for i := range gs {
		if gs[i].Label == "" {
			gs[i].Label = fmt.Sprint(gs[i].Key)
			if gs[i].Key == 0 {
				gs[i].Label = "—"
			}
		}
	}
	return rows.Err()
}

// suppress hides the counts of groups under MinGroup, plus the next smallest group when
// only one would be hidden (its count would be the total minus the others), then sorts by
// label and fills the shares.
func suppress(gs []Group) []Group {
	small := 0
	for i := range gs {
		if gs[i].Professionals < MinGroup {
			gs[i].Suppressed = true
			small++
		}
	}
	if small == 1 && len(gs) > 1 {
		best := -1
		for i := range gs {
			if !gs[i].Suppressed && (best < 0 || gs[i].Professionals < gs[best].Professionals) {
				best = i
			}
		}
		if best >= 0 {
			gs[best].Suppressed = true
		}
	}
	for i := range gs {
		g := &gs[i]
		if g.Suppressed {
			g.Professionals, g.Compliant, g.OnTrack, g.Behind = 0, 0, 0, 0
			continue
		}
		n := float64(g.Professionals)
		g.CompliantShare = float64(g.Compliant) / n
		g.OnTrackShare = float64(g.OnTrack) / n
		g.BehindShare = float64(g.Behind) / n
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].Label < gs[j].Label })
	return gs
}
