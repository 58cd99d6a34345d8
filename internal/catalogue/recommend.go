package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"esd/internal/domain"
)

// Recommendations are the upcoming editions that develop the lines of a professional's
// open objectives, open to their profession, in their region or online, best first.
type Recommendations struct {
	ProfessionalID int64 `json:"professional_id"`
	// ObjectivesKnown is false while no objectives system is wired (or the professional has
	// none); Lines then holds the lines chosen by hand, if any.
	ObjectivesKnown bool `json:"objectives_known"`
	// Basis says where the lines came from: "objectives" (individual objectives), "persona"
	// (the targets of the professional's persona, while individual objectives are not
	// available), "chosen" (picked on the page) or "" (none).
	Basis       string      `json:"basis"`
	Objectives  []Objective `json:"objectives"`
	Lines       []EventLine `json:"lines"`
	Professions []int       `json:"professions"`
	RegionID    int64       `json:"region_id"`
	Hits        []Hit       `json:"hits"`
}

// Recommend returns the recommendations for a professional. The professional asks for
// their own; national governance, their region and their organisation may ask for them.
// chosen lines, when given, replace the objectives (the page lets a professional pick lines
// while the objectives system is not there).
func (s *Service) Recommend(ctx context.Context, professionalID int64, chosen []int64, limit int) (Recommendations, error) {
	a, err := domain.Require(ctx, domain.RoleProfessional, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation)
	if err != nil {
		return Recommendations{}, err
	}
	if a.Role == domain.RoleProfessional {
		professionalID = a.ProfessionalID
	}
	rec := Recommendations{ProfessionalID: professionalID}
	var org sql.NullInt64
	err = s.DB.Read.QueryRowContext(ctx, `SELECT region_id, organisation_id FROM professionals WHERE id = $1`, professionalID).Scan(&rec.RegionID, &org)
	if err == sql.ErrNoRows {
		return rec, domain.NotFound("professional")
	}
	if err != nil {
		return rec, err
	}
	if !a.CanSeeIndividual(domain.Target{RegionID: rec.RegionID, OrganisationID: org.Int64, ProfessionalID: professionalID}) {
		return rec, domain.NotFound("professional")
	}
	if err := scanAll(ctx, s.DB.Read, `SELECT DISTINCT profession_code FROM professional_disciplines WHERE professional_id = $1 ORDER BY profession_code`,
		func(rs *sql.Rows) error {
			var p int
			if err := rs.Scan(&p); err != nil {
				return err
			}
			rec.Professions = append(rec.Professions, p)
			return nil
		}, professionalID); err != nil {
		return rec, err
	}
	objs, known, err := s.Objectives.OpenObjectives(ctx, professionalID)
	if err != nil {
		return rec, err
	}
	rec.ObjectivesKnown = known && len(objs) > 0
	rec.Objectives = objs
	if rec.ObjectivesKnown {
		rec.Basis = "objectives"
		if b, ok := s.Objectives.(interface{ Basis() string }); ok {
			rec.Basis = b.Basis()
		}
		if objs[0].Basis != "" {
			rec.Basis = objs[0].Basis
		}
	}
	if len(chosen) > 0 {
		rec.Basis = "chosen"
		rec.Objectives = nil
		for i, id := range chosen {
			rec.Objectives = append(rec.Objectives, Objective{LineID: id, Priority: i + 1})
		}
	}
	lb := s.labels(ctx)
	for _, o := range rec.Objectives {
		if l, ok := lb.lines[o.LineID]; ok {
			rec.Lines = append(rec.Lines, EventLine{LineID: l.ID, Code: l.Code, Title: l.Title, TitleEN: l.TitleEN, Level: o.TargetLevel,
				DimensionCode: l.DimCode, Dimension: l.DimTitle})
		}
	}
	if len(rec.Objectives) == 0 {
		rec.Hits = []Hit{}
		return rec, nil
	}
	x, err := s.searchIndex(ctx)
	if err != nil {
		return rec, err
	}
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	today := dayOf(time.Now().UTC().Format(dateLayout))
	var profMask uint32
	for _, p := range rec.Professions {
		if p > 0 && p < 32 {
			profMask |= 1 << uint(p)
		}
	}
	x.mu.RLock()
	region := x.regionIdx[rec.RegionID]
	weight := map[uint16]float64{}
	for _, o := range rec.Objectives {
		li, ok := x.lineIdx[o.LineID]
		if !ok {
			continue
		}
		w := 1.0 / float64(max(o.Priority, 1))
		if w > weight[li] {
			weight[li] = w
		}
	}
	type cand struct {
		ord   uint32
		score float64
		why   []uint16
	}
	seen := map[uint32]bool{}
	var cands []cand
	for li := range weight {
		for _, ord := range x.linePostings[li] {
			if seen[ord] {
				continue
			}
			seen[ord] = true
			d := &x.docs[ord]
			if d.flags&flagDead != 0 || (d.state != stateCode[StateAccredited] && d.state != stateCode[StateRunning]) || d.start < today {
				continue
			}
			if profMask != 0 && d.flags&flagAllProfessions == 0 && d.profMask&profMask == 0 {
				continue
			}
			online := d.flags&flagOnline != 0
			if !online && (region == 0 || d.region != region) {
				continue
			}
			c := cand{ord: ord}
			for _, l := range x.linesOf(ord) {
				if w, ok := weight[l]; ok {
					c.score += w
					c.why = append(c.why, l)
				}
			}
			if !online {
				c.score += 0.2 // close to home beats online at equal fit
			}
			days := float64(d.start - today)
			if days < 180 {
				c.score += 0.3 * (1 - days/180)
			}
			c.score += float64(x.credits[ord]) / 100
			cands = append(cands, c)
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return x.docs[cands[i].ord].start < x.docs[cands[j].ord].start
	})
	if len(cands) > limit {
		cands = cands[:limit]
	}
	ids := make([]int64, len(cands))
	why := map[int64][]string{}
	scores := map[int64]float64{}
	for i, c := range cands {
		id := x.editionIDs[c.ord]
		ids[i] = id
		scores[id] = c.score
		for _, l := range c.why {
			ln := lb.lines[x.lineIDs[l]]
			why[id] = append(why[id], fmt.Sprintf("%s %s", ln.Code, ln.Title))
		}
	}
	x.mu.RUnlock()
	hits, err := s.hits(ctx, ids)
	if err != nil {
		return rec, err
	}
	for i := range hits {
		hits[i].Why = why[hits[i].EditionID]
		hits[i].Score = round(scores[hits[i].EditionID], 3)
	}
	rec.Hits = hits
	return rec, nil
}
