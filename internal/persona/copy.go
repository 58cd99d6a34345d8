package persona

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// CopyResult reports what copying personas to a new framework version carried over and
// what it had to drop because a line code no longer exists.
type CopyResult struct {
	From            int64    `json:"from_framework_id"`
	To              int64    `json:"to_framework_id"`
	Personas        int      `json:"personas"`
	Targets         int      `json:"targets"`
	Rules           int      `json:"rules"`
	Overlays        int      `json:"overlays"`
	DroppedTargets  []string `json:"dropped_targets,omitempty"`  // persona:line codes with no line in the new version
	DroppedOverlays []string `json:"dropped_overlays,omitempty"` // persona:line codes of overlays dropped
	ClampedLevels   []string `json:"clamped_levels,omitempty"`   // persona:line codes whose level was off the new scale
}

// CopyPersonas copies every persona of one framework version to another (typically a new
// draft made from it), with their targets, overlays and rules, matching lines by code. Lines
// that no longer exist are reported and dropped; levels off the new scale are moved to the
// nearest level and reported. The target version must not have personas with the same
// codes. All or nothing. National governance only.
func (s *Service) CopyPersonas(ctx context.Context, fromID, toID int64) (CopyResult, error) {
	if _, err := requireNational(ctx); err != nil {
		return CopyResult{}, err
	}
	var res CopyResult
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if res, err = s.copyPersonas(ctx, tx, fromID, toID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO persona_defaults (framework_id, source, loaded_at) VALUES ($1, $2, $3)
			ON CONFLICT (framework_id) DO NOTHING`, toID, "copy:"+strconv.FormatInt(fromID, 10), db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "copy_personas", Entity: "personas", EntityID: toID, After: res})
	})
	return res, err
}

func nearestLevel(f Framework, v int) int {
	best, dist := 0, -1
	for _, l := range f.Levels {
		d := l.Level - v
		if d < 0 {
			d = -d
		}
		if dist < 0 || d < dist {
			best, dist = l.Level, d
		}
	}
	return best
}

func (s *Service) copyPersonas(ctx context.Context, tx *sql.Tx, fromID, toID int64) (CopyResult, error) {
	res := CopyResult{From: fromID, To: toID}
	if fromID == toID {
		return res, domain.Invalid("to_framework_id", "choose a different framework version to copy to")
	}
	from, err := s.tree(ctx, tx, fromID)
	if err != nil {
		return res, domain.Invalid("from_framework_id", "no such framework version")
	}
	to, err := s.tree(ctx, tx, toID)
	if err != nil {
		return res, domain.Invalid("to_framework_id", "no such framework version")
	}
	if err := writableFramework(to.Framework); err != nil {
		return res, err
	}
	ps, err := s.listPersonas(ctx, tx, fromID)
	if err != nil {
		return res, err
	}
	if len(ps) == 0 {
		return res, domain.Invalid("from_framework_id", "%s", "framework version "+from.Code+" "+from.Version+" has no personas")
	}
	existing, err := s.listPersonas(ctx, tx, toID)
	if err != nil {
		return res, err
	}
	taken := map[string]bool{}
	for _, p := range existing {
		taken[p.Code] = true
	}
	var clash []domain.Problem
	for _, p := range ps {
		if taken[p.Code] {
			clash = append(clash, domain.Problem{Field: "code", Value: p.Code, Reason: "a persona with this code already exists in " + to.Code + " " + to.Version})
		}
	}
	if len(clash) > 0 {
		return res, &domain.Error{Code: domain.ECONFLICT, Message: "personas already exist in the target version: nothing was copied", Details: clash}
	}
	mapTarget := func(pcode string, t Target) (Target, bool) {
		l := to.LineByCode(t.LineCode)
		if l == nil {
			return t, false
		}
		n := t
		n.LineID = l.ID
		if n.Required {
			lo, hi := n.Min, n.Max
			if !to.OnScale(lo) {
				lo = nearestLevel(to.Framework, lo)
			}
			if !to.OnScale(hi) {
				hi = nearestLevel(to.Framework, hi)
			}
			if lo != n.Min || hi != n.Max {
				res.ClampedLevels = append(res.ClampedLevels, pcode+":"+t.LineCode)
			}
			n.Min, n.Max = lo, max(lo, hi)
		}
		return n, true
	}
	ids := map[int64]int64{}
	for _, p := range ps {
		in := PersonaInput{Code: p.Code, NameIT: p.NameIT, NameEN: p.NameEN, DescriptionIT: p.DescriptionIT, DescriptionEN: p.DescriptionEN,
			ExampleRolesIT: p.ExampleRolesIT, ExampleRolesEN: p.ExampleRolesEN, AllowLower: p.AllowLower, Position: p.Position}
		id, err := s.insertPersona(ctx, tx, toID, in, p.Illustrative, p.ID)
		if err != nil {
			return res, err
		}
		ids[p.ID] = id
		res.Personas++
		nat, err := s.nationalTargets(ctx, tx, p.ID)
		if err != nil {
			return res, err
		}
		var keep []Target
		for _, t := range nat {
			if n, ok := mapTarget(p.Code, t); ok {
				keep = append(keep, n)
			} else {
				res.DroppedTargets = append(res.DroppedTargets, p.Code+":"+t.LineCode)
			}
		}
		if err := insertTargets(ctx, tx, id, keep); err != nil {
			return res, err
		}
		res.Targets += len(keep)
		os, err := s.overlays(ctx, tx, p.ID, OverlayScope{})
		if err != nil {
			return res, err
		}
		for _, o := range os {
			n, ok := mapTarget(p.Code, o.Target)
			if !ok {
				res.DroppedOverlays = append(res.DroppedOverlays, p.Code+":"+o.Target.LineCode)
				continue
			}
			var reg, org any
			if o.RegionID != 0 {
				reg = o.RegionID
			} else {
				org = o.OrganisationID
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO persona_overlays (persona_id, region_id, organisation_id, line_id, required,
				min_level, max_level, note, author, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				id, reg, org, n.LineID, n.Required, levelArg(n, n.Min), levelArg(n, n.Max), o.Note, o.Author, o.UpdatedAt); err != nil {
				return res, err
			}
			res.Overlays++
		}
	}
	rules, err := s.rules(ctx, tx, fromID)
	if err != nil {
		return res, err
	}
	for _, r := range rules {
		in := RuleInput{ProfessionCode: r.ProfessionCode, DisciplineCode: r.DisciplineCode, CareSetting: r.CareSetting, JobRole: r.JobRole,
			Priority: r.Priority, Note: r.Note}
		if _, err := insertRule(ctx, tx, toID, ids[r.PersonaID], in); err != nil {
			return res, err
		}
		res.Rules++
	}
	return res, nil
}

// AdoptVersion gives a framework version personas when it has none, by copying those of
// the newest other version of the same framework code that has some (see CopyPersonas). It
// is what happens when a new portfolio version is published: call it then (Reassign and the
// start-up step call it too). It reports whether it copied anything. National governance
// and the system only.
func (s *Service) AdoptVersion(ctx context.Context, frameworkID int64) (bool, error) {
	if _, err := requireNational(ctx); err != nil {
		return false, err
	}
	copied := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.resolveFramework(ctx, tx, frameworkID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM personas WHERE framework_id = $1`, f.ID).Scan(&n); err != nil || n > 0 {
			return err
		}
		var from int64
		err = tx.QueryRowContext(ctx, `SELECT v.id FROM framework_versions v WHERE v.code = $1 AND v.id <> $2
			AND EXISTS (SELECT 1 FROM personas p WHERE p.framework_id = v.id)
			ORDER BY v.published_at DESC NULLS LAST, v.id DESC LIMIT 1`, f.Code, f.ID).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) || f.State == StateRetired {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := s.copyPersonas(ctx, tx, from, f.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO persona_defaults (framework_id, source, loaded_at) VALUES ($1, $2, $3)
			ON CONFLICT (framework_id) DO NOTHING`, f.ID, "copy:"+strconv.FormatInt(from, 10), db.Now()); err != nil {
			return err
		}
		copied = true
		return audit.Record(ctx, tx, audit.Change{Action: "copy_personas", Entity: "personas", EntityID: f.ID, After: res})
	})
	return copied, err
}
