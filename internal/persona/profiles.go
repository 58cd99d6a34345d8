package persona

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/domain"
)

// Profile is the persona a professional has for a framework version and how it was decided:
// by a rule (RuleID) or by a manual override of their organisation (Manual, Reason, Author).
type Profile struct {
	ProfessionalID int64     `json:"professional_id"`
	FrameworkID    int64     `json:"framework_id"`
	PersonaID      int64     `json:"persona_id,omitempty"`
	PersonaCode    string    `json:"persona_code,omitempty"`
	PersonaNameIT  string    `json:"persona_name_it,omitempty"`
	PersonaNameEN  string    `json:"persona_name_en,omitempty"`
	RuleID         int64     `json:"rule_id,omitempty"`
	Manual         bool      `json:"manual"`
	Reason         string    `json:"reason,omitempty"`
	Author         string    `json:"author,omitempty"`
	AssignedAt     time.Time `json:"assigned_at,omitzero"`
	// Stored is false when no re-assignment has written the profile yet: it was computed
	// from the rules just now.
	Stored bool `json:"stored"`
}

// PersonaName returns the persona's name in lang ("" when no rule matched).
func (p Profile) PersonaName(lang string) string {
	if lang == "en" && p.PersonaNameEN != "" {
		return p.PersonaNameEN
	}
	return p.PersonaNameIT
}

// Professional is what the profile pages show about the professional.
type Professional struct {
	ID             int64  `json:"id"`
	CF             string `json:"cf"`
	GivenName      string `json:"given_name"`
	FamilyName     string `json:"family_name"`
	RegionID       int64  `json:"region_id"`
	RegionName     string `json:"region_name"`
	OrganisationID int64  `json:"organisation_id,omitempty"`
	Organisation   string `json:"organisation,omitempty"`
	Attributes     Attributes
}

// loadProfessional reads a professional and their disciplines, and checks the actor may see
// them (ENOTFOUND otherwise, so existence is not revealed).
func (s *Service) loadProfessional(ctx context.Context, q db.Querier, id int64) (Professional, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return Professional{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	var p Professional
	err := q.QueryRowContext(ctx, `SELECT p.id, p.cf_display, p.given_name, p.family_name, p.region_id, COALESCE(r.name, ''),
		COALESCE(p.organisation_id, 0), COALESCE(o.name, ''), p.care_setting, p.job_role
		FROM professionals p LEFT JOIN regions r ON r.id = p.region_id LEFT JOIN organisations o ON o.id = p.organisation_id
		WHERE p.id = $1`, id).Scan(&p.ID, &p.CF, &p.GivenName, &p.FamilyName, &p.RegionID, &p.RegionName, &p.OrganisationID,
		&p.Organisation, &p.Attributes.CareSetting, &p.Attributes.JobRole)
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.NotFound("professional")
	}
	if err != nil {
		return p, err
	}
	if !a.CanSeeIndividual(domain.Target{RegionID: p.RegionID, OrganisationID: p.OrganisationID, ProfessionalID: p.ID}) {
		return Professional{}, domain.NotFound("professional")
	}
	rows, err := q.QueryContext(ctx, `SELECT profession_code, discipline_code FROM professional_disciplines
		WHERE professional_id = $1 ORDER BY profession_code, discipline_code`, id)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var pr Pair
		if err := rows.Scan(&pr.Profession, &pr.Discipline); err != nil {
			return p, err
		}
		p.Attributes.Pairs = append(p.Attributes.Pairs, pr)
	}
	p.Attributes.ProfessionalID, p.Attributes.RegionID, p.Attributes.OrganisationID = p.ID, p.RegionID, p.OrganisationID
	return p, rows.Err()
}

// storedProfile reads the stored profile of a professional for a framework version.
func storedProfile(ctx context.Context, q db.Querier, professionalID, frameworkID int64) (Profile, bool, error) {
	var p Profile
	var persona, rule sql.NullInt64
	var code, nameIT, nameEN sql.NullString
	err := q.QueryRowContext(ctx, `SELECT f.professional_id, f.framework_id, f.persona_id, p.code, p.name_it, p.name_en, f.rule_id,
		f.manual, f.reason, f.author, f.assigned_at
		FROM profiles f LEFT JOIN personas p ON p.id = f.persona_id WHERE f.professional_id = $1 AND f.framework_id = $2`,
		professionalID, frameworkID).Scan(&p.ProfessionalID, &p.FrameworkID, &persona, &code, &nameIT, &nameEN, &rule, &p.Manual,
		&p.Reason, &p.Author, &p.AssignedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	p.PersonaID, p.RuleID = persona.Int64, rule.Int64
	p.PersonaCode, p.PersonaNameIT, p.PersonaNameEN = code.String, nameIT.String, nameEN.String
	p.Stored = true
	return p, true, nil
}

// Explanation says which persona a professional (or a set of hypothetical attributes)
// gets under a framework version's rules, and why: every rule considered in order, which
// matched, and which won. For an existing professional, Stored is their stored profile
// (which may be a manual override that takes precedence over the rules).
type Explanation struct {
	Framework    Framework     `json:"framework"`
	Professional *Professional `json:"professional,omitempty"`
	Attributes   Attributes    `json:"attributes"`
	Checks       []RuleCheck   `json:"checks"`
	Winner       *Rule         `json:"winner,omitempty"`
	Persona      *Persona      `json:"persona,omitempty"`
	Stored       *Profile      `json:"stored,omitempty"`
}

// TestInput asks the rule tester about an existing professional (ProfessionalID) or about
// hypothetical attributes.
type TestInput struct {
	FrameworkID    int64  `json:"framework_id,omitempty"`
	ProfessionalID int64  `json:"professional_id,omitempty"`
	Pairs          []Pair `json:"disciplines,omitempty"`
	CareSetting    string `json:"care_setting,omitempty"`
	JobRole        string `json:"job_role,omitempty"`
}

// TestAssignment runs the rule tester. Everyone authenticated may test hypothetical
// attributes; an existing professional follows registry scope (ENOTFOUND outside it).
func (s *Service) TestAssignment(ctx context.Context, in TestInput) (Explanation, error) {
	if _, err := requireReader(ctx); err != nil {
		return Explanation{}, err
	}
	if len(in.Pairs) > 20 || len(in.CareSetting) > 100 || len(in.JobRole) > 200 {
		return Explanation{}, domain.Invalid("body", "too many disciplines or too long text")
	}
	f, err := s.resolveFramework(ctx, s.DB.Read, in.FrameworkID)
	if err != nil {
		return Explanation{}, err
	}
	var x Explanation
	x.Framework = f
	if in.ProfessionalID != 0 {
		p, err := s.loadProfessional(ctx, s.DB.Read, in.ProfessionalID)
		if err != nil {
			return x, err
		}
		x.Professional, x.Attributes = &p, p.Attributes
		if st, ok, err := storedProfile(ctx, s.DB.Read, p.ID, f.ID); err != nil {
			return x, err
		} else if ok {
			x.Stored = &st
		}
	} else {
		for _, pr := range in.Pairs {
			if pr.Profession <= 0 || pr.Discipline < 0 {
				return x, domain.Invalid("disciplines", "each entry needs a positive profession_code")
			}
		}
		x.Attributes = Attributes{Pairs: in.Pairs, CareSetting: strings.TrimSpace(in.CareSetting), JobRole: strings.TrimSpace(in.JobRole)}
	}
	rules, err := s.rules(ctx, s.DB.Read, f.ID)
	if err != nil {
		return x, err
	}
	x.Checks = Explain(rules, x.Attributes)
	for i := range x.Checks {
		if x.Checks[i].Winner {
			r := x.Checks[i].Rule
			x.Winner = &r
			p, err := s.getPersona(ctx, s.DB.Read, r.PersonaID)
			if err != nil {
				return x, err
			}
			x.Persona = &p
		}
	}
	return x, nil
}

// ProfileDetail is everything the profile page of a professional shows.
type ProfileDetail struct {
	Professional Professional `json:"professional"`
	Profile      Profile      `json:"profile"`
	Explanation  Explanation  `json:"explanation"`
	Targets      []Target     `json:"targets"`
	// CanOverride tells the page whether to show the override form.
	CanOverride bool `json:"can_override"`
}

// ProfileOf returns the profile of a professional for the current framework version: the
// stored one, or, if none was stored yet, the one the rules give now (Stored false).
// Registry scope applies: national all, regional own region, organisation own staff,
// professional self; others get ENOTFOUND or EFORBIDDEN.
func (s *Service) ProfileOf(ctx context.Context, professionalID int64) (Profile, error) {
	if err := individualRole(ctx); err != nil {
		return Profile{}, err
	}
	p, err := s.loadProfessional(ctx, s.DB.Read, professionalID)
	if err != nil {
		return Profile{}, err
	}
	f, err := s.currentFramework(ctx, s.DB.Read)
	if err != nil {
		return Profile{}, err
	}
	return s.profileFor(ctx, s.DB.Read, p, f.ID)
}

func individualRole(ctx context.Context) error {
	_, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)
	return err
}

func (s *Service) profileFor(ctx context.Context, q db.Querier, p Professional, frameworkID int64) (Profile, error) {
	st, ok, err := storedProfile(ctx, q, p.ID, frameworkID)
	if err != nil || ok {
		return st, err
	}
	rules, err := s.rules(ctx, q, frameworkID)
	if err != nil {
		return Profile{}, err
	}
	pr := Profile{ProfessionalID: p.ID, FrameworkID: frameworkID}
	if i := Evaluate(rules, p.Attributes); i >= 0 {
		r := rules[i]
		pr.PersonaID, pr.PersonaCode, pr.PersonaNameIT, pr.PersonaNameEN, pr.RuleID = r.PersonaID, r.PersonaCode, r.PersonaNameIT, r.PersonaNameEN, r.ID
	}
	return pr, nil
}

// Detail returns a professional's profile with its explanation and effective targets, for
// the profile page and GET /api/v1/professionals/{id}/profile. Scope as ProfileOf.
func (s *Service) Detail(ctx context.Context, professionalID int64) (ProfileDetail, error) {
	if err := individualRole(ctx); err != nil {
		return ProfileDetail{}, err
	}
	var d ProfileDetail
	p, err := s.loadProfessional(ctx, s.DB.Read, professionalID)
	if err != nil {
		return d, err
	}
	f, err := s.currentFramework(ctx, s.DB.Read)
	if err != nil {
		return d, err
	}
	d.Professional = p
	if d.Profile, err = s.profileFor(ctx, s.DB.Read, p, f.ID); err != nil {
		return d, err
	}
	if d.Explanation, err = s.TestAssignment(ctx, TestInput{FrameworkID: f.ID, ProfessionalID: p.ID}); err != nil {
		return d, err
	}
	if d.Targets, err = s.effectiveFor(ctx, s.DB.Read, d.Profile.PersonaID, p.RegionID, p.OrganisationID); err != nil {
		return d, err
	}
	d.CanOverride = canOverride(domain.ActorFrom(ctx), p)
	return d, nil
}

// EffectiveTargets returns the effective targets of a professional under the current
// framework version (their persona's national targets with the overlays of their region and
// organisation applied, see Effective) and their profile. A professional without a persona
// (no rule matched) has no targets. Scope as ProfileOf. This is the entry point of the
// assessment capability.
func (s *Service) EffectiveTargets(ctx context.Context, professionalID int64) ([]Target, Profile, error) {
	if err := individualRole(ctx); err != nil {
		return nil, Profile{}, err
	}
	p, err := s.loadProfessional(ctx, s.DB.Read, professionalID)
	if err != nil {
		return nil, Profile{}, err
	}
	f, err := s.currentFramework(ctx, s.DB.Read)
	if err != nil {
		return nil, Profile{}, err
	}
	pr, err := s.profileFor(ctx, s.DB.Read, p, f.ID)
	if err != nil {
		return nil, pr, err
	}
	ts, err := s.effectiveFor(ctx, s.DB.Read, pr.PersonaID, p.RegionID, p.OrganisationID)
	return ts, pr, err
}

func (s *Service) effectiveFor(ctx context.Context, q db.Querier, personaID, regionID, orgID int64) ([]Target, error) {
	if personaID == 0 {
		return nil, nil
	}
	pe, err := s.getPersona(ctx, q, personaID)
	if err != nil {
		return nil, err
	}
	nat, err := s.nationalTargets(ctx, q, personaID)
	if err != nil {
		return nil, err
	}
	reg, err := s.overlayTargets(ctx, q, personaID, OverlayScope{RegionID: regionID})
	if err != nil {
		return nil, err
	}
	org, err := s.overlayTargets(ctx, q, personaID, OverlayScope{OrganisationID: orgID})
	if err != nil {
		return nil, err
	}
	return Effective(nat, pe.AllowLower, reg, org), nil
}

// LoadEffectiveSet loads every persona target and overlay of a framework version (0 =
// current) for bulk work. System and national governance only (it is national policy, but
// the bulk loader is meant for background jobs).
func (s *Service) LoadEffectiveSet(ctx context.Context, frameworkID int64) (*EffectiveSet, error) {
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return nil, err
	}
	f, err := s.resolveFramework(ctx, s.DB.Read, frameworkID)
	if err != nil {
		return nil, err
	}
	e := &EffectiveSet{FrameworkID: f.ID, national: map[int64][]Target{}, allowLower: map[int64]bool{},
		regional: map[[2]int64][]Target{}, orgs: map[[2]int64][]Target{}, cache: map[[3]int64][]Target{}}
	ps, err := s.listPersonas(ctx, s.DB.Read, f.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		e.allowLower[p.ID] = p.AllowLower
		if e.national[p.ID], err = s.nationalTargets(ctx, s.DB.Read, p.ID); err != nil {
			return nil, err
		}
		os, err := s.overlays(ctx, s.DB.Read, p.ID, OverlayScope{})
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			if o.RegionID != 0 {
				k := [2]int64{p.ID, o.RegionID}
				e.regional[k] = append(e.regional[k], o.Target)
			} else {
				k := [2]int64{p.ID, o.OrganisationID}
				e.orgs[k] = append(e.orgs[k], o.Target)
			}
		}
	}
	return e, nil
}

// canOverride: national governance for anyone, an organisation's training office for its
// own staff.
func canOverride(a domain.Actor, p Professional) bool {
	switch a.Role {
	case domain.RoleSystem, domain.RoleNational:
		return true
	case domain.RoleOrganisation:
		return a.OrganisationID != 0 && a.OrganisationID == p.OrganisationID
	}
	return false
}

// OverrideInput sets a professional's persona by hand.
type OverrideInput struct {
	PersonaID int64  `json:"persona_id"`
	Reason    string `json:"reason"`
}

// Override sets a professional's persona by hand for the current framework version, with a
// recorded reason; re-assignments keep it until it is cleared. The organisation's training
// office (own staff) and national governance may do it.
func (s *Service) Override(ctx context.Context, professionalID int64, in OverrideInput) (Profile, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleOrganisation)
	if err != nil {
		return Profile{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	var out Profile
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.loadProfessional(ctx, tx, professionalID)
		if err != nil {
			return err
		}
		if !canOverride(a, p) {
			return domain.Forbidden("only the professional's organisation or national governance may override the persona")
		}
		f, err := s.currentFramework(ctx, tx)
		if err != nil {
			return err
		}
		if len(in.Reason) < 5 || len(in.Reason) > 2000 {
			return domain.Invalid("reason", "a reason of 5 to 2000 characters is required")
		}
		pe, err := s.getPersona(ctx, tx, in.PersonaID)
		if err != nil || pe.FrameworkID != f.ID {
			return domain.Invalid("persona_id", "%s", "choose a persona of the current framework version "+f.Code+" "+f.Version)
		}
		before, err := s.profileFor(ctx, tx, p, f.ID)
		if err != nil {
			return err
		}
		if err := upsertProfile(ctx, tx, p.ID, f.ID, pe.ID, 0, true, in.Reason, a.Username); err != nil {
			return err
		}
		if out, _, err = storedProfile(ctx, tx, p.ID, f.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "override", Entity: "profile", EntityID: p.ID, RegionID: p.RegionID,
			Before: profileAudit(before), After: profileAudit(out)})
	})
	return out, err
}

// ClearOverride removes a manual override: the rules decide again, at once. Clearing a
// profile that is not overridden changes nothing and returns it.
func (s *Service) ClearOverride(ctx context.Context, professionalID int64) (Profile, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleOrganisation)
	if err != nil {
		return Profile{}, err
	}
	var out Profile
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.loadProfessional(ctx, tx, professionalID)
		if err != nil {
			return err
		}
		if !canOverride(a, p) {
			return domain.Forbidden("only the professional's organisation or national governance may clear the override")
		}
		f, err := s.currentFramework(ctx, tx)
		if err != nil {
			return err
		}
		before, ok, err := storedProfile(ctx, tx, p.ID, f.ID)
		if err != nil {
			return err
		}
		if !ok || !before.Manual {
			// Nothing to clear: DELETE is idempotent, and the rules already decide.
			out, err = s.profileFor(ctx, tx, p, f.ID)
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM profiles WHERE professional_id = $1 AND framework_id = $2`, p.ID, f.ID); err != nil {
			return err
		}
		computed, err := s.profileFor(ctx, tx, p, f.ID)
		if err != nil {
			return err
		}
		if err := upsertProfile(ctx, tx, p.ID, f.ID, computed.PersonaID, computed.RuleID, false, "", a.Username); err != nil {
			return err
		}
		if out, _, err = storedProfile(ctx, tx, p.ID, f.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "clear_override", Entity: "profile", EntityID: p.ID, RegionID: p.RegionID,
			Before: profileAudit(before), After: profileAudit(out)})
	})
	return out, err
}

// Refresh re-computes and stores the rule-based profile of some professionals under the
// current framework version (keeping overrides), e.g. right after the registry created or
// changed them. The caller must be allowed to edit them (or be the system).
func (s *Service) Refresh(ctx context.Context, professionalIDs ...int64) error {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.currentFramework(ctx, tx)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return nil // nothing published: nothing to assign yet
		}
		if err != nil {
			return err
		}
		rules, err := s.rules(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		for _, id := range professionalIDs {
			p, err := s.loadProfessional(ctx, tx, id)
			if err != nil {
				return err
			}
			if !a.CanEditIndividual(domain.Target{RegionID: p.RegionID, OrganisationID: p.OrganisationID, ProfessionalID: p.ID}) {
				return domain.NotFound("professional")
			}
			st, ok, err := storedProfile(ctx, tx, p.ID, f.ID)
			if err != nil {
				return err
			}
			if ok && st.Manual {
				continue
			}
			var persona, rule int64
			if i := Evaluate(rules, p.Attributes); i >= 0 {
				persona, rule = rules[i].PersonaID, rules[i].ID
			}
			if ok && st.PersonaID == persona && st.RuleID == rule {
				continue
			}
			if err := upsertProfile(ctx, tx, p.ID, f.ID, persona, rule, false, "", a.Username); err != nil {
				return err
			}
		}
		return nil
	})
}

func upsertProfile(ctx context.Context, tx *sql.Tx, professionalID, frameworkID, personaID, ruleID int64, manual bool, reason, author string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO profiles (professional_id, framework_id, persona_id, rule_id, manual, reason, author, assigned_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (professional_id, framework_id) DO UPDATE SET persona_id = excluded.persona_id, rule_id = excluded.rule_id,
		manual = excluded.manual, reason = excluded.reason, author = excluded.author, assigned_at = excluded.assigned_at`,
		professionalID, frameworkID, nullID(personaID), nullID(ruleID), manual, reason, author, db.Now())
	return err
}

func nullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func profileAudit(p Profile) map[string]any {
	return map[string]any{"framework_id": p.FrameworkID, "persona": p.PersonaCode, "rule_id": p.RuleID, "manual": p.Manual, "reason": p.Reason}
}

// professionalByCF returns the id of the professional with a codice fiscale (the rule
// tester's field takes one instead of an id). An unknown code is "professional not found",
// the answer the tester gives for a professional outside the viewer's scope, so the field
// cannot tell whether a code is registered elsewhere.
func (s *Service) professionalByCF(ctx context.Context, code string) (int64, error) {
	if _, err := requireReader(ctx); err != nil {
		return 0, err
	}
	n, err := cf.Normalise(code)
	if err != nil {
		return 0, domain.Invalid("professional_id", "%q is neither an id nor a valid codice fiscale: %s", code, err)
	}
	var id int64
	err = s.DB.Read.QueryRowContext(ctx, `SELECT id FROM professionals WHERE cf = $1`, n).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, domain.NotFound("professional")
	}
	return id, err
}
