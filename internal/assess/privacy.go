package assess

import (
	"context"
	"database/sql"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// What a viewer asks to see of a professional. Answers are never in this list: only the
// professional sees them (requireSelf).
type viewKind int

const (
	viewCompletion viewKind = iota // whether and when they took an assessment, their progress
	viewObjectives                 // their objectives and dossier
	viewLevels                     // their levels, gaps and evidence: subject to the policy
)

// checkView decides whether the caller may see this kind of data about a professional:
//   - the professional: everything of their own;
//   - national governance: completion, objectives and levels of everyone;
//   - regional referents and organisation training offices: completion and objectives of the
//     professionals in their region or organisation, and levels only when the policy of the
//     professional's organisation (or region, for those without one) allows it;
//   - providers and analysts: no individual data.
//
// Out of scope is ENOTFOUND (existence is not revealed); a policy refusal is EFORBIDDEN.
func (s *Service) checkView(ctx context.Context, profID int64, what viewKind) (Professional, error) {
	a, err := domain.Require(ctx, domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational)
	if err != nil {
		return Professional{}, err
	}
	p, err := s.professional(ctx, s.DB.Read, profID)
	if err != nil {
		return p, err
	}
	if !a.CanSeeIndividual(p.target()) {
		return Professional{}, domain.NotFound("professional")
	}
	if what == viewLevels && (a.Role == domain.RoleOrganisation || a.Role == domain.RoleRegional) {
		ok, err := s.showLevels(ctx, s.DB.Read, p)
		if err != nil {
			return p, err
		}
		if !ok {
			return p, domain.Forbidden("the privacy policy of this professional's organisation shares completion and objectives, not levels")
		}
	}
	return p, nil
}

// canSeeLevels is checkView(viewLevels) as a yes/no for pages that show what they may.
func (s *Service) canSeeLevels(ctx context.Context, p Professional) bool {
	a := domain.ActorFrom(ctx)
	switch a.Role {
	case domain.RoleSystem, domain.RoleNational:
		return true
	case domain.RoleProfessional:
		return a.ProfessionalID == p.ID
	case domain.RoleOrganisation, domain.RoleRegional:
		ok, err := s.showLevels(ctx, s.DB.Read, p)
		return err == nil && ok && a.CanSeeIndividual(p.target())
	}
	return false
}

// Policy is what an organisation (or a region, for professionals without an organisation)
// shares with its training office and regional referents beyond completion and objectives.
type Policy struct {
	OrganisationID int64      `json:"organisation_id,omitempty"`
	RegionID       int64      `json:"region_id,omitempty"`
	ShowLevels     bool       `json:"show_levels"`
	Default        bool       `json:"default"`
	UpdatedAt      *time.Time `json:"updated_at,omitempty"`
	UpdatedBy      string     `json:"updated_by,omitempty"`
}

// showLevels applies the policy of p's organisation, or of p's region when p has none.
func (s *Service) showLevels(ctx context.Context, q db.Querier, p Professional) (bool, error) {
	var pol Policy
	var err error
	if p.OrganisationID != 0 {
		pol, err = loadPolicy(ctx, q, p.OrganisationID, 0)
	} else {
		pol, err = loadPolicy(ctx, q, 0, p.RegionID)
	}
	return pol.ShowLevels, err
}

func loadPolicy(ctx context.Context, q db.Querier, orgID, regionID int64) (Policy, error) {
	pol := Policy{OrganisationID: orgID, RegionID: regionID, Default: true}
	var show bool
	var at sql.NullTime
	var by string
	var err error
	if orgID != 0 {
		err = q.QueryRowContext(ctx, `SELECT show_levels, updated_at, updated_by FROM assess_policies WHERE organisation_id = $1`, orgID).Scan(&show, &at, &by)
	} else {
		err = q.QueryRowContext(ctx, `SELECT show_levels, updated_at, updated_by FROM assess_policies WHERE region_id = $1`, regionID).Scan(&show, &at, &by)
	}
	if err == sql.ErrNoRows {
		return pol, nil
	}
	if err != nil {
		return pol, err
	}
	pol.ShowLevels, pol.Default, pol.UpdatedAt, pol.UpdatedBy = show, false, nullTime(at), by
	return pol, nil
}

// orgRegion returns the region of an organisation (ENOTFOUND if it does not exist).
func orgRegion(ctx context.Context, q db.Querier, orgID int64) (int64, error) {
	var r sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1`, orgID).Scan(&r)
	if err == sql.ErrNoRows {
		return 0, domain.NotFound("organisation")
	}
	return r.Int64, err
}

// checkPolicyScope lets national governance, the region's referent and the organisation's own
// training office read and change the policy of an organisation (or a region).
func checkPolicyScope(ctx context.Context, q db.Querier, orgID, regionID int64) (int64, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation)
	if err != nil {
		return 0, err
	}
	if orgID != 0 {
		reg, err := orgRegion(ctx, q, orgID)
		if err != nil {
			return 0, err
		}
		if !a.CanSeeIndividual(domain.Target{RegionID: reg, OrganisationID: orgID}) {
			return 0, domain.NotFound("organisation")
		}
		return reg, nil
	}
	if regionID == 0 {
		return 0, domain.Invalid("region_id", "an organisation or a region is required")
	}
	if a.Role == domain.RoleOrganisation {
		return 0, domain.Forbidden("an organisation sets only its own policy")
	}
	if a.Role == domain.RoleRegional && a.RegionID != regionID {
		return 0, domain.NotFound("region")
	}
	return regionID, nil
}

// Policy returns the policy of an organisation (orgID) or of a region (regionID, for its
// professionals without an organisation).
func (s *Service) Policy(ctx context.Context, orgID, regionID int64) (Policy, error) {
	if _, err := checkPolicyScope(ctx, s.DB.Read, orgID, regionID); err != nil {
		return Policy{}, err
	}
	if orgID != 0 {
		regionID = 0
	}
	return loadPolicy(ctx, s.DB.Read, orgID, regionID)
}

// SetPolicy changes whether levels are shared. National governance, the regional referent of
// the region and the organisation's training office may change it.
func (s *Service) SetPolicy(ctx context.Context, orgID, regionID int64, showLevels bool) (Policy, error) {
	reg, err := checkPolicyScope(ctx, s.DB.Read, orgID, regionID)
	if err != nil {
		return Policy{}, err
	}
	if orgID != 0 {
		regionID = 0
	}
	before, err := loadPolicy(ctx, s.DB.Read, orgID, regionID)
	if err != nil {
		return Policy{}, err
	}
	a := domain.ActorFrom(ctx)
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		var org, region any
		conflict := "organisation_id"
		if orgID != 0 {
			org = orgID
		} else {
			region, conflict = regionID, "region_id"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assess_policies (organisation_id, region_id, show_levels, updated_at, updated_by) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (`+conflict+`) DO UPDATE SET show_levels = excluded.show_levels, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			org, region, showLevels, now, a.Username); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "assess_policy", EntityID: map[string]int64{"organisation_id": orgID, "region_id": regionID},
			RegionID: reg, Before: before, After: map[string]bool{"show_levels": showLevels}})
	})
	if err != nil {
		return Policy{}, err
	}
	return loadPolicy(ctx, s.DB.Read, orgID, regionID)
}
