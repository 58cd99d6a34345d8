package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Measures of a target.
const (
	MeasureLevel    = "level"    // share at level ≥ Level in Item (a line, ambito or dimension)
	MeasureAssessed = "assessed" // share with current competence levels (assessed)
	MeasurePersona  = "persona"  // share with a Digital Persona
)

// Measures lists the measures in display order.
var Measures = []string{MeasureLevel, MeasureAssessed, MeasurePersona}

// OrganisationKinds are the health organisation kinds a target can be restricted to.
var OrganisationKinds = []string{"asl", "ao", "aou", "irccs", "presidio", "classified", "private"}

// CareSettings are the registry's care settings (registry.CareSettings).
var CareSettings = []string{"ospedale", "territorio", "prevenzione", "farmacia", "direzione", "emergenza", "residenziale", "altro"}

// TargetInput sets a target. Zero filters mean "any". A regional or organisational target
// must refine a ParentID; its unset filters, measure, item and level come from the parent.
type TargetInput struct {
	ParentID         int64   `json:"parent_id,omitempty"`
	Cycle            string  `json:"cycle,omitempty"`
	Title            string  `json:"title"`
	RegionID         int64   `json:"region_id,omitempty"`
	OrganisationID   int64   `json:"organisation_id,omitempty"`
	OrganisationKind string  `json:"organisation_kind,omitempty"`
	ProfessionCode   int     `json:"profession_code,omitempty"`
	PersonaID        int64   `json:"persona_id,omitempty"`
	CareSetting      string  `json:"care_setting,omitempty"`
	Measure          string  `json:"measure"`
	Item             string  `json:"item,omitempty"`
	Level            int     `json:"level,omitempty"`
	Threshold        float64 `json:"threshold"`
	Deadline         string  `json:"deadline"`
}

// Target is a stored target.
type Target struct {
	ID                  int64     `json:"id"`
	ParentID            int64     `json:"parent_id,omitempty"`
	Title               string    `json:"title"`
	OwnerRegionID       int64     `json:"owner_region_id,omitempty"`
	OwnerOrganisationID int64     `json:"owner_organisation_id,omitempty"`
	RegionID            int64     `json:"region_id,omitempty"`
	OrganisationID      int64     `json:"organisation_id,omitempty"`
	OrganisationKind    string    `json:"organisation_kind,omitempty"`
	ProfessionCode      int       `json:"profession_code,omitempty"`
	PersonaID           int64     `json:"persona_id,omitempty"`
	CareSetting         string    `json:"care_setting,omitempty"`
	Measure             string    `json:"measure"`
	Item                string    `json:"item,omitempty"`
	Level               int       `json:"level,omitempty"`
	Threshold           float64   `json:"threshold"`
	Deadline            string    `json:"deadline"`
	State               string    `json:"state"`
	CreatedBy           string    `json:"created_by"`
	CreatedAt           time.Time `json:"created_at"`
	// Owner is "national", "regional" or "organisation".
	Owner string `json:"owner"`
}

const targetCols = `id, COALESCE(parent_id, 0), title, owner_region_id, owner_organisation_id, region_id, organisation_id, organisation_kind,
	profession_code, persona_id, care_setting, measure, item, level, threshold, deadline, state, created_by, created_at`

func scanTarget(r interface{ Scan(...any) error }) (Target, error) {
	var t Target
	var dl any
	err := r.Scan(&t.ID, &t.ParentID, &t.Title, &t.OwnerRegionID, &t.OwnerOrganisationID, &t.RegionID, &t.OrganisationID, &t.OrganisationKind,
		&t.ProfessionCode, &t.PersonaID, &t.CareSetting, &t.Measure, &t.Item, &t.Level, &t.Threshold, &dl, &t.State, &t.CreatedBy, &t.CreatedAt)
	t.Deadline = dateString(dl)
	switch {
	case t.OwnerOrganisationID != 0:
		t.Owner = OwnerOrganisation
	case t.OwnerRegionID != 0:
		t.Owner = OwnerRegional
	default:
		t.Owner = OwnerNational
	}
	return t, err
}

func (s *Service) loadTarget(ctx context.Context, q db.Querier, id int64) (Target, error) {
	t, err := scanTarget(q.QueryRowContext(ctx, `SELECT `+targetCols+` FROM governance_targets WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, domain.NotFound("target")
	}
	return t, err
}

// visible reports whether the viewer may see the target at all: national governance and
// analysts see every target; a region sees the targets whose population can include its
// professionals (national ones, and its own and its organisations'); an organisation sees
// those that can include its staff.
func visible(a domain.Actor, t Target) bool {
	switch a.Role {
	case domain.RoleSystem, domain.RoleNational, domain.RoleAnalyst:
		return true
	case domain.RoleRegional:
		return t.RegionID == 0 || t.RegionID == a.RegionID
	case domain.RoleOrganisation:
		if t.OrganisationID != 0 {
			return t.OrganisationID == a.OrganisationID
		}
		return t.RegionID == 0 || t.RegionID == a.RegionID
	}
	return false
}

// orgRegion is the region of an organisation (NotFound when it does not exist).
func orgRegion(ctx context.Context, q db.Querier, org int64) (int64, error) {
	var r sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1`, org).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.NotFound("organisation")
	}
	return r.Int64, err
}

// scale is the current framework's levels (min, max) and its item codes.
func (s *Service) scale(ctx context.Context, q db.Querier) (fw int64, lo, hi int, err error) {
	err = q.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE state = 'published' ORDER BY published_at DESC, id DESC LIMIT 1`).Scan(&fw)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, 0, errK(domain.EINVALID, "item", "gov.err.noframework", "no published competence framework: level targets need one")
	}
	if err != nil {
		return 0, 0, 0, err
	}
	var mn, mx sql.NullInt64
	if err = q.QueryRowContext(ctx, `SELECT MIN(level), MAX(level) FROM scale_levels WHERE framework_id = $1 AND level > 0`, fw).Scan(&mn, &mx); err != nil {
		return 0, 0, 0, err
	}
	return fw, int(mn.Int64), int(mx.Int64), nil
}

// CreateTarget validates and stores a target, records it in the audit trail, and measures
// it back in time from the dated evidence so that it has a trend from the start.
//
// Rules: national governance sets targets (refining another is allowed); a regional referent
// and an organisation's training office only refine a target they can see, for their own
// region or organisation; a refinement keeps the parent's population (it may only narrow
// it), measure and item, and may only raise the bar: a level and a threshold not lower, a
// deadline not later.
func (s *Service) CreateTarget(ctx context.Context, in TargetInput) (Target, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation)
	if err != nil {
		return Target{}, err
	}
	if (a.Role == domain.RoleRegional && a.RegionID == 0) || (a.Role == domain.RoleOrganisation && a.OrganisationID == 0) {
		return Target{}, domain.Forbidden("the grant has no scope")
	}
	in.Title = strings.TrimSpace(in.Title)
	in.Item = strings.TrimSpace(in.Item)
	var parent *Target
	if in.ParentID != 0 {
		p, err := s.loadTarget(ctx, s.DB.Read, in.ParentID)
		if err != nil || !visible(a, p) {
			return Target{}, errK(domain.EINVALID, "parent_id", "gov.err.parent", "target %d to refine does not exist or is not visible to you", in.ParentID)
		}
		parent = &p
	} else if a.Role != domain.RoleNational && a.Role != domain.RoleSystem {
		return Target{}, errK(domain.EFORBIDDEN, "parent_id", "gov.err.needparent", "targets are set nationally: a region or an organisation refines an existing target")
	}
	// Scope of the setter.
	switch a.Role {
	case domain.RoleRegional:
		if in.RegionID != 0 && in.RegionID != a.RegionID {
			return Target{}, errK(domain.EFORBIDDEN, "region_id", "gov.err.otherregion", "a regional referent cannot set another region's targets")
		}
		in.RegionID = a.RegionID
	case domain.RoleOrganisation:
		if in.OrganisationID != 0 && in.OrganisationID != a.OrganisationID {
			return Target{}, errK(domain.EFORBIDDEN, "organisation_id", "gov.err.otherorg", "an organisation cannot set another organisation's targets")
		}
		in.OrganisationID = a.OrganisationID
	}
	if parent != nil {
		if in.Measure == "" {
			in.Measure = parent.Measure
		}
		if in.Item == "" {
			in.Item = parent.Item
		}
		if in.Level == 0 {
			in.Level = parent.Level
		}
		if in.Deadline == "" {
			in.Deadline = parent.Deadline
		}
		if in.Title == "" {
			in.Title = parent.Title
		}
		inherit := func(child *int64, p int64) {
			if *child == 0 {
				*child = p
			}
		}
		inherit(&in.RegionID, parent.RegionID)
		inherit(&in.OrganisationID, parent.OrganisationID)
		inherit(&in.PersonaID, parent.PersonaID)
		if in.ProfessionCode == 0 {
			in.ProfessionCode = parent.ProfessionCode
		}
		if in.OrganisationKind == "" {
			in.OrganisationKind = parent.OrganisationKind
		}
		if in.CareSetting == "" {
			in.CareSetting = parent.CareSetting
		}
	}
	if in.Title == "" {
		return Target{}, errK(domain.EINVALID, "title", "gov.err.title", "a target needs a title")
	}
	if len(in.Title) > 300 {
		return Target{}, errK(domain.EINVALID, "title", "gov.err.titlelong", "the title is longer than 300 characters")
	}
	if !slices.Contains(Measures, in.Measure) {
		return Target{}, errK(domain.EINVALID, "measure", "gov.err.measure", "measure %q: use level, assessed or persona", in.Measure)
	}
	if math.IsNaN(in.Threshold) || in.Threshold <= 0 || in.Threshold > 100 {
		return Target{}, errK(domain.EINVALID, "threshold", "gov.err.threshold", "threshold %v: a share between 0 (excluded) and 100 %%", in.Threshold)
	}
	dl, err := time.Parse("2006-01-02", in.Deadline)
	if err != nil {
		return Target{}, errK(domain.EINVALID, "deadline", "gov.err.deadline", "deadline %q: a date as YYYY-MM-DD", in.Deadline)
	}
	if dl.Before(s.today()) {
		return Target{}, errK(domain.EINVALID, "deadline", "gov.err.past", "deadline %s is in the past", in.Deadline)
	}
	if in.Measure == MeasureLevel {
		fw, lo, hi, err := s.scale(ctx, s.DB.Read)
		if err != nil {
			return Target{}, err
		}
		if in.Level < lo || in.Level > hi || in.Level < 1 {
			return Target{}, errK(domain.EINVALID, "level", "gov.err.level", "level %d is outside the scale (%d–%d)", in.Level, lo, hi)
		}
		var kind string
		err = s.DB.Read.QueryRowContext(ctx, `SELECT kind FROM framework_items WHERE framework_id = $1 AND code = $2`, fw, in.Item).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return Target{}, errK(domain.EINVALID, "item", "gov.err.item", "%q is not a dimension, ambito or line of the current portfolio", in.Item)
		}
		if err != nil {
			return Target{}, err
		}
	} else {
		in.Item, in.Level = "", 0
	}
	// The population filters must name things that exist, and agree with each other.
	if in.OrganisationID != 0 {
		r, err := orgRegion(ctx, s.DB.Read, in.OrganisationID)
		if err != nil {
			return Target{}, errK(domain.EINVALID, "organisation_id", "gov.err.org", "organisation %d does not exist", in.OrganisationID)
		}
		if in.RegionID != 0 && r != in.RegionID {
			if a.Role == domain.RoleRegional {
				return Target{}, errK(domain.EFORBIDDEN, "organisation_id", "gov.err.orgregion", "organisation %d is not in region %d", in.OrganisationID, in.RegionID)
			}
			return Target{}, errK(domain.EINVALID, "organisation_id", "gov.err.orgregion", "organisation %d is not in region %d", in.OrganisationID, in.RegionID)
		}
		in.RegionID = r
	}
	if in.RegionID != 0 {
		var n int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM regions WHERE id = $1`, in.RegionID).Scan(&n); err != nil {
			return Target{}, err
		}
		if n == 0 {
			return Target{}, errK(domain.EINVALID, "region_id", "gov.err.region", "region %d does not exist", in.RegionID)
		}
	}
	if in.OrganisationKind != "" && !slices.Contains(OrganisationKinds, in.OrganisationKind) {
		return Target{}, errK(domain.EINVALID, "organisation_kind", "gov.err.kind", "organisation type %q: use one of %s", in.OrganisationKind, strings.Join(OrganisationKinds, ", "))
	}
	if in.CareSetting != "" && !slices.Contains(CareSettings, in.CareSetting) {
		return Target{}, errK(domain.EINVALID, "care_setting", "gov.err.setting", "care setting %q: use one of %s", in.CareSetting, strings.Join(CareSettings, ", "))
	}
	if in.ProfessionCode != 0 {
		var n int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professions WHERE code = $1`, in.ProfessionCode).Scan(&n); err != nil {
			return Target{}, err
		}
		if n == 0 {
			return Target{}, errK(domain.EINVALID, "profession_code", "gov.err.profession", "profession %d does not exist", in.ProfessionCode)
		}
	}
	if in.PersonaID != 0 {
		var n int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM personas WHERE id = $1`, in.PersonaID).Scan(&n); err != nil {
			return Target{}, err
		}
		if n == 0 {
			return Target{}, errK(domain.EINVALID, "persona_id", "gov.err.persona", "persona %d does not exist", in.PersonaID)
		}
	}
	if parent != nil {
		if err := refines(in, *parent); err != nil {
			return Target{}, err
		}
	}
	var cycleID any
	if c, err := s.cycleByCode(ctx, s.DB.Read, in.Cycle); err == nil {
		cycleID = c.ID
	} else if in.Cycle != "" {
		return Target{}, errK(domain.EINVALID, "cycle", "gov.err.cycle", "cycle %q does not exist", in.Cycle)
	}
	var ownerRegion, ownerOrg int64
	switch a.Role {
	case domain.RoleRegional:
		ownerRegion = a.RegionID
	case domain.RoleOrganisation:
		ownerOrg, ownerRegion = a.OrganisationID, in.RegionID
	}
	var parentID any
	if parent != nil {
		parentID = parent.ID
	}
	var id int64
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO governance_targets (cycle_id, parent_id, title, owner_region_id, owner_organisation_id, region_id, organisation_id,
			organisation_kind, profession_code, persona_id, care_setting, measure, item, level, threshold, deadline, state, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '', $17, $18) RETURNING id`,
			cycleID, parentID, in.Title, ownerRegion, ownerOrg, in.RegionID, in.OrganisationID, in.OrganisationKind, in.ProfessionCode, in.PersonaID,
			in.CareSetting, in.Measure, in.Item, in.Level, in.Threshold, in.Deadline, a.Username, now).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "governance_target", EntityID: id, RegionID: in.RegionID, After: in})
	})
	if err != nil {
		return Target{}, err
	}
	if err := s.Measure(ctx, id, true); err != nil {
		return Target{}, fmt.Errorf("measure target %d: %w", id, err)
	}
	return s.loadTarget(ctx, s.DB.Read, id)
}

// refines checks that a refinement only raises the bar of its parent.
func refines(in TargetInput, p Target) error {
	if in.Measure != p.Measure {
		return errK(domain.EINVALID, "measure", "gov.err.refmeasure", "a refinement keeps the measure of the target it refines (%s)", p.Measure)
	}
	if in.Item != p.Item {
		return errK(domain.EINVALID, "item", "gov.err.refitem", "a refinement keeps the item of the target it refines (%s)", p.Item)
	}
	if in.Level < p.Level {
		return errK(domain.EINVALID, "level", "gov.err.reflevel", "level %d is lower than level %d of the target it refines", in.Level, p.Level)
	}
	if in.Threshold < p.Threshold {
		return errK(domain.EINVALID, "threshold", "gov.err.lower", "the threshold %s %% is lower than the %s %% of the target it refines: targets are only raised", fmtNum(in.Threshold), fmtNum(p.Threshold))
	}
	if in.Deadline > p.Deadline {
		return errK(domain.EINVALID, "deadline", "gov.err.refdeadline", "the deadline %s is later than %s of the target it refines", in.Deadline, p.Deadline)
	}
	narrow := func(field string, child, parent any, zero any) error {
		if parent != zero && child != parent {
			return errK(domain.EINVALID, field, "gov.err.refpop", "the population must stay inside the one of the target it refines (%s)", field)
		}
		return nil
	}
	for _, e := range []error{
		narrow("region_id", in.RegionID, p.RegionID, int64(0)),
		narrow("organisation_id", in.OrganisationID, p.OrganisationID, int64(0)),
		narrow("organisation_kind", in.OrganisationKind, p.OrganisationKind, ""),
		narrow("profession_code", in.ProfessionCode, p.ProfessionCode, 0),
		narrow("persona_id", in.PersonaID, p.PersonaID, int64(0)),
		narrow("care_setting", in.CareSetting, p.CareSetting, ""),
	} {
		if e != nil {
			return e
		}
	}
	return nil
}

func fmtNum(v float64) string {
	return strings.Replace(strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), "."), ".", ",", 1)
}
