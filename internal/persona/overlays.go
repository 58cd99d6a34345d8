package persona

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Overlay scopes.
const (
	ScopeRegion       = "region"
	ScopeOrganisation = "organisation"
)

// Overlay is a region's or an organisation's target on one line of a persona.
type Overlay struct {
	ID             int64     `json:"id"`
	PersonaID      int64     `json:"persona_id"`
	Scope          string    `json:"scope"`
	RegionID       int64     `json:"region_id,omitempty"`
	OrganisationID int64     `json:"organisation_id,omitempty"`
	ScopeName      string    `json:"scope_name"`
	Target         Target    `json:"target"`
	Note           string    `json:"note,omitempty"`
	Author         string    `json:"author"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// OverlayScope names whose overlay: exactly one of RegionID and OrganisationID.
type OverlayScope struct {
	RegionID       int64 `json:"region_id,omitempty"`
	OrganisationID int64 `json:"organisation_id,omitempty"`
}

// OverlayInput replaces the overlay of one scope on one persona.
type OverlayInput struct {
	OverlayScope
	Note    string        `json:"note,omitempty"`
	Targets []TargetInput `json:"targets"`
}

// Overlays returns every overlay on a persona, regional ones first. Overlays are policy, not
// individual data: everyone authenticated may read them.
func (s *Service) Overlays(ctx context.Context, personaID int64) ([]Overlay, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	if _, err := s.getPersona(ctx, s.DB.Read, personaID); err != nil {
		return nil, err
	}
	return s.overlays(ctx, s.DB.Read, personaID, OverlayScope{})
}

// overlays lists the overlays of a persona, all scopes or only one.
func (s *Service) overlays(ctx context.Context, q db.Querier, personaID int64, only OverlayScope) ([]Overlay, error) {
	query := `SELECT o.id, o.persona_id, COALESCE(o.region_id, 0), COALESCE(o.organisation_id, 0), COALESCE(r.name, g.name, ''),
		o.line_id, i.code, o.required, COALESCE(o.min_level, 0), COALESCE(o.max_level, 0), o.note, o.author, o.updated_at
		FROM persona_overlays o JOIN framework_items i ON i.id = o.line_id
		LEFT JOIN regions r ON r.id = o.region_id LEFT JOIN organisations g ON g.id = o.organisation_id
		WHERE o.persona_id = $1`
	args := []any{personaID}
	switch {
	case only.RegionID != 0:
		query += ` AND o.region_id = $2`
		args = append(args, only.RegionID)
	case only.OrganisationID != 0:
		query += ` AND o.organisation_id = $2`
		args = append(args, only.OrganisationID)
	}
	query += ` ORDER BY o.organisation_id NULLS FIRST, o.region_id NULLS FIRST, i.position, i.id`
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Overlay
	for rows.Next() {
		var o Overlay
		if err := rows.Scan(&o.ID, &o.PersonaID, &o.RegionID, &o.OrganisationID, &o.ScopeName, &o.Target.LineID, &o.Target.LineCode,
			&o.Target.Required, &o.Target.Min, &o.Target.Max, &o.Note, &o.Author, &o.UpdatedAt); err != nil {
			return nil, err
		}
		o.Scope, o.Target.Source = ScopeRegion, SourceRegion
		if o.OrganisationID != 0 {
			o.Scope, o.Target.Source = ScopeOrganisation, SourceOrganisation
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// overlayTargets returns the overlay of one scope as targets.
func (s *Service) overlayTargets(ctx context.Context, q db.Querier, personaID int64, sc OverlayScope) ([]Target, error) {
	if sc.RegionID == 0 && sc.OrganisationID == 0 {
		return nil, nil
	}
	os, err := s.overlays(ctx, q, personaID, sc)
	if err != nil {
		return nil, err
	}
	out := make([]Target, len(os))
	for i, o := range os {
		out[i] = o.Target
	}
	return out, nil
}

// CanEditOverlay reports whether the actor may edit the overlay of scope: national
// governance any; a regional referent their own region's; an organisation's training office
// their own organisation's.
func CanEditOverlay(a domain.Actor, sc OverlayScope) bool {
	switch a.Role {
	case domain.RoleSystem, domain.RoleNational:
		return true
	case domain.RoleRegional:
		return sc.OrganisationID == 0 && sc.RegionID != 0 && sc.RegionID == a.RegionID
	case domain.RoleOrganisation:
		return sc.RegionID == 0 && sc.OrganisationID != 0 && sc.OrganisationID == a.OrganisationID
	}
	return false
}

// SetOverlay replaces the overlay of one region or organisation on a persona, all or
// nothing. An overlay may raise targets or add lines; it may not lower a national minimum
// (nor, for an organisation, its region's) or drop a required line unless national
// governance allowed lowering on the persona or the line; every level must be on the scale
// of the persona's framework version. An empty list removes the overlay.
func (s *Service) SetOverlay(ctx context.Context, personaID int64, in OverlayInput) ([]Overlay, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation)
	if err != nil {
		return nil, err
	}
	sc := in.OverlayScope
	if (sc.RegionID == 0) == (sc.OrganisationID == 0) {
		return nil, domain.Invalid("region_id", "give exactly one of region_id and organisation_id")
	}
	if !CanEditOverlay(a, sc) {
		return nil, domain.Forbidden("you may edit only the overlays of your own region or organisation")
	}
	if len(in.Note) > 2000 {
		return nil, domain.Invalid("note", "the note is at most 2000 characters")
	}
	var out []Overlay
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.getPersona(ctx, tx, personaID)
		if err != nil {
			return err
		}
		tree, err := s.tree(ctx, tx, p.FrameworkID)
		if err != nil {
			return err
		}
		if err := writableFramework(tree.Framework); err != nil {
			return err
		}
		auditRegion := sc.RegionID
		if sc.RegionID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT id FROM regions WHERE id = $1`, sc.RegionID).Scan(new(int64)); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return domain.Invalid("region_id", "no such region")
				}
				return err
			}
		} else {
			var reg sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1`, sc.OrganisationID).Scan(&reg); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return domain.Invalid("organisation_id", "no such organisation")
				}
				return err
			}
			auditRegion = reg.Int64
		}
		ts, probs := resolveTargets(tree, in.Targets, s.explainStray(ctx, tx, tree))
		national, err := s.nationalTargets(ctx, tx, personaID)
		if err != nil {
			return err
		}
		var regional []Target
		if sc.OrganisationID != 0 && auditRegion != 0 {
			if regional, err = s.overlayTargets(ctx, tx, personaID, OverlayScope{RegionID: auditRegion}); err != nil {
				return err
			}
		}
		probs = append(probs, checkFloors(p, national, regional, ts, in.Targets)...)
		if len(probs) > 0 {
			return problemsError("overlay refused", probs)
		}
		before, err := s.overlayTargets(ctx, tx, personaID, sc)
		if err != nil {
			return err
		}
		if sc.RegionID != 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM persona_overlays WHERE persona_id = $1 AND region_id = $2`, personaID, sc.RegionID)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM persona_overlays WHERE persona_id = $1 AND organisation_id = $2`, personaID, sc.OrganisationID)
		}
		if err != nil {
			return err
		}
		now := db.Now()
		var reg, org any
		if sc.RegionID != 0 {
			reg = sc.RegionID
		} else {
			org = sc.OrganisationID
		}
		for _, t := range ts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO persona_overlays (persona_id, region_id, organisation_id, line_id, required,
				min_level, max_level, note, author, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				personaID, reg, org, t.LineID, t.Required, levelArg(t, t.Min), levelArg(t, t.Max), in.Note, a.Username, now); err != nil {
				return err
			}
		}
		out, err = s.overlays(ctx, tx, personaID, sc)
		if err != nil {
			return err
		}
		after := make([]Target, len(out))
		for i, o := range out {
			after[i] = o.Target
		}
		return audit.Record(ctx, tx, audit.Change{Action: "set_overlay", Entity: "persona_overlay",
			EntityID: overlayEntity(personaID, sc), RegionID: auditRegion, Before: compactTargets(before), After: compactTargets(after)})
	})
	return out, err
}

func overlayEntity(personaID int64, sc OverlayScope) string {
	if sc.RegionID != 0 {
		return strconv.FormatInt(personaID, 10) + "/region/" + strconv.FormatInt(sc.RegionID, 10)
	}
	return strconv.FormatInt(personaID, 10) + "/organisation/" + strconv.FormatInt(sc.OrganisationID, 10)
}

// checkFloors refuses overlay targets that lower what a wider layer requires, unless
// national governance allowed lowering on the persona or on the line.
func checkFloors(p Persona, national, regional, overlay []Target, in []TargetInput) []domain.Problem {
	nat := map[int64]Target{}
	for _, t := range national {
		nat[t.LineID] = t
	}
	reg := map[int64]Target{}
	for _, t := range regional {
		reg[t.LineID] = t
	}
	var probs []domain.Problem
	for i, r := range in {
		if r.AllowLower {
			probs = append(probs, domain.Problem{Line: i + 1, Field: "allow_lower", Reason: "only national governance sets allow_lower, on national targets", Value: r.LineCode})
		}
	}
	for _, t := range overlay {
		n, hasN := nat[t.LineID]
		allowed := p.AllowLower || (hasN && n.AllowLower)
		if allowed {
			continue
		}
		floor, what := 0, ""
		if hasN && n.Required {
			floor, what = n.Min, "the national minimum"
		}
		if g, ok := reg[t.LineID]; ok && g.Required && g.Min > floor {
			floor, what = g.Min, "the regional minimum"
		}
		if what == "" {
			continue
		}
		row := t.row
		if !t.Required {
			probs = append(probs, domain.Problem{Line: row, Field: "required", Value: t.LineCode,
				Reason: "would make a line not required although " + what + " is " + itoa(floor) + ", and national governance has not allowed lowering it"})
		} else if t.Min < floor {
			probs = append(probs, domain.Problem{Line: row, Field: "level", Value: t.LineCode,
				Reason: "level " + itoa(t.Min) + " is below " + what + " " + itoa(floor) + ", and national governance has not allowed lowering it"})
		}
	}
	return probs
}
