package assess

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"esd/internal/db"
	"esd/internal/domain"
)

// LineGap is the gap of one required line: effective target − current level (never below 0).
type LineGap struct {
	LineID    int64  `json:"line_id"`
	LineCode  string `json:"line"`
	Title     string `json:"title"`
	AreaCode  string `json:"area_code"`
	Area      string `json:"area"`
	Dimension string `json:"dimension"`
	Target    int    `json:"target"`
	MaxTarget int    `json:"max_target,omitempty"`
	Current   int    `json:"current"`
	Gap       int    `json:"gap"`
	index     int
}

// GroupGap rolls the gaps of the required lines of an ambito or a dimension up: mean target,
// mean current level and mean gap, and how many lines fall short.
type GroupGap struct {
	ID           int64   `json:"id"`
	Code         string  `json:"code"`
	Title        string  `json:"title"`
	Lines        int     `json:"lines"`
	LinesWithGap int     `json:"lines_with_gap"`
	Target       float64 `json:"mean_target"`
	Current      float64 `json:"mean_current"`
	Gap          float64 `json:"mean_gap"`
	position     int
}

// Gaps is a professional's gap analysis, the biggest gaps first.
type Gaps struct {
	ProfessionalID int64       `json:"professional_id"`
	Persona        PersonaInfo `json:"persona"`
	FrameworkID    int64       `json:"framework_id"`
	Framework      string      `json:"framework"`
	Illustrative   bool        `json:"illustrative"`
	MaxLevel       int         `json:"max_level"`
	Assessed       bool        `json:"assessed"`
	TotalGap       int         `json:"total_gap"`
	LinesWithGap   int         `json:"lines_with_gap"`
	Lines          []LineGap   `json:"lines"`
	Areas          []GroupGap  `json:"areas"`
	Dimensions     []GroupGap  `json:"dimensions"`
	// AreasInOrder are the ambiti in portfolio order, for the radar chart.
	AreasInOrder []GroupGap `json:"-"`
}

// Gaps computes the gap analysis of a professional: current levels (from the evidence
// ledger) against their effective targets, per line, ambito and dimension. The professional
// sees their own; organisation and regional users only when the levels policy allows.
func (s *Service) Gaps(ctx context.Context, profID int64, lang string) (Gaps, error) {
	a, err := domain.Require(ctx, domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational)
	if err != nil {
		return Gaps{}, err
	}
	// One round trip for the professional's scope and their stored levels (one packed row):
	// this is the hot path of the gap analysis.
	var p Professional
	var packed sql.NullString
	err = s.DB.Read.QueryRowContext(ctx, `SELECT p.region_id, COALESCE(p.organisation_id, 0), l.levels
		FROM professionals p LEFT JOIN competence_levels l ON l.professional_id = p.id WHERE p.id = $1`, profID).Scan(&p.RegionID, &p.OrganisationID, &packed)
	found := err == nil
	if err != nil && err != sql.ErrNoRows {
		return Gaps{}, err
	}
	p.ID = profID
	levels := map[string]int{}
	if found && packed.Valid {
		if err := storedLevelMap(packed.String, levels); err != nil {
			return Gaps{}, fmt.Errorf("competence_levels of professional %d: %w", profID, err)
		}
	}
	if !found || !a.CanSeeIndividual(p.target()) {
		return Gaps{}, domain.NotFound("professional")
	}
	if a.Role == domain.RoleOrganisation || a.Role == domain.RoleRegional {
		if ok, err := s.showLevels(ctx, s.DB.Read, p); err != nil {
			return Gaps{}, err
		} else if !ok {
			return Gaps{}, domain.Forbidden("the privacy policy of this professional's organisation shares completion and objectives, not levels")
		}
	}
	targets, persona, err := s.effectiveTargets(ctx, profID)
	if err != nil {
		return Gaps{}, err
	}
	f, err := s.framework(ctx, persona.FrameworkID)
	if err != nil {
		return Gaps{}, err
	}
	return gapsOf(f, profID, targets, persona, levels, lang), nil
}

// computeGaps is the gap computation itself, without permission checks: one indexed read of
// the stored levels plus the cached framework.
func (s *Service) computeGaps(ctx context.Context, q db.Querier, profID int64, targets []Target, persona PersonaInfo, lang string) (Gaps, error) {
	f, err := s.framework(ctx, persona.FrameworkID)
	if err != nil {
		return Gaps{}, err
	}
	levels, err := storedLevels(ctx, q, profID)
	if err != nil {
		return Gaps{}, err
	}
	return gapsOf(f, profID, targets, persona, levels, lang), nil
}

// gapLines computes the gap of every required line (no titles), biggest first: the part of
// the analysis that objective generation needs, kept allocation-light for bulk regeneration.
func gapLines(f *Framework, targets []Target, levels map[string]int) []LineGap {
	seen := make([]bool, len(f.Lines))
	out := make([]LineGap, 0, len(targets))
	for _, t := range targets {
		l := f.Line(t.LineID)
		if l == nil || t.Level < 1 || seen[l.Index] {
			continue
		}
		seen[l.Index] = true
		cur := levels[l.Code]
		lg := LineGap{LineID: l.ID, LineCode: l.Code, Target: t.Level, Current: cur, index: l.Index}
		if t.MaxLevel > t.Level {
			lg.MaxTarget = t.MaxLevel
		}
		if cur < t.Level {
			lg.Gap = t.Level - cur
		}
		out = append(out, lg)
	}
	slices.SortStableFunc(out, func(a, b LineGap) int {
		if gapLess(a, b) {
			return -1
		}
		if gapLess(b, a) {
			return 1
		}
		return 0
	})
	return out
}

// gapsOf is the pure part of the gap analysis.
func gapsOf(f *Framework, profID int64, targets []Target, persona PersonaInfo, levels map[string]int, lang string) Gaps {
	g := Gaps{ProfessionalID: profID, Persona: persona, FrameworkID: f.ID, Framework: f.Title(lang) + " " + f.Version,
		Illustrative: f.Illustrative, MaxLevel: f.MaxLevel(), Assessed: len(levels) > 0}
	g.Lines = gapLines(f, targets, levels)
	type acc struct{ n, short, target, cur, gap int }
	as, ds := make([]acc, len(f.Areas)), make([]acc, len(f.Dimensions))
	bump := func(a *acc, lg LineGap) {
		a.n++
		a.target += lg.Target
		a.cur += lg.Current
		a.gap += lg.Gap
		if lg.Gap > 0 {
			a.short++
		}
	}
	for i := range g.Lines {
		lg := &g.Lines[i]
		l := f.Lines[lg.index]
		lg.Title = l.Title(lang)
		if l.AreaIdx >= 0 {
			a := f.Areas[l.AreaIdx]
			lg.AreaCode, lg.Area = a.Code, a.Title(lang)
			bump(&as[l.AreaIdx], *lg)
		}
		if l.DimIdx >= 0 {
			lg.Dimension = f.Dimensions[l.DimIdx].Title(lang)
			bump(&ds[l.DimIdx], *lg)
		}
		if lg.Gap > 0 {
			g.TotalGap += lg.Gap
			g.LinesWithGap++
		}
	}
	mk := func(n *Node, a acc, pos int) GroupGap {
		fn := float64(a.n)
		return GroupGap{ID: n.ID, Code: n.Code, Title: n.Title(lang), Lines: a.n, LinesWithGap: a.short,
			Target: round1(float64(a.target) / fn), Current: round1(float64(a.cur) / fn), Gap: round1(float64(a.gap) / fn), position: pos}
	}
	for i, n := range f.Areas {
		if as[i].n > 0 {
			g.AreasInOrder = append(g.AreasInOrder, mk(n, as[i], i))
		}
	}
	for i, n := range f.Dimensions {
		if ds[i].n > 0 {
			g.Dimensions = append(g.Dimensions, mk(n, ds[i], i))
		}
	}
	g.Areas = append([]GroupGap(nil), g.AreasInOrder...)
	byGap := func(x []GroupGap) {
		slices.SortStableFunc(x, func(a, b GroupGap) int {
			switch {
			case a.Gap > b.Gap:
				return -1
			case a.Gap < b.Gap:
				return 1
			}
			return a.position - b.position
		})
	}
	byGap(g.Areas)
	byGap(g.Dimensions)
	return g
}

// gapLess orders lines by gap (biggest first), then target (highest first), then the
// portfolio order: the priority order of the objectives.
func gapLess(a, b LineGap) bool {
	if a.Gap != b.Gap {
		return a.Gap > b.Gap
	}
	if a.Target != b.Target {
		return a.Target > b.Target
	}
	return a.index < b.index
}
