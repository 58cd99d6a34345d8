package participation

import (
	"context"
	"database/sql"

	"esd/internal/audit"
	"esd/internal/domain"
)

// SourceXAPI marks participations written from xAPI statements of a provider's platform.
const SourceXAPI = "xapi"

// External is one completion a provider's platform reported outside a rapporto evento (an
// xAPI statement): the participant passed (credits by the event's rules) or not.
type External struct {
	EditionID      int64
	ProfessionalID int64
	Passed         bool
	CompletedOn    string   // YYYY-MM-DD
	Score          *float64 // share 0–1 when the platform gave one
	Note           string   // what wrote it, for the audit entry (e.g. the statement id)
}

// RecordExternal writes one completion inside the caller's transaction through the same path
// as a report or the API (apply: participation row, competence evidence, credits pending
// until the report certifies them). The caller must be the event's provider, national
// governance or the system. It returns the participation and the credits it carries.
func (s *Service) RecordExternal(ctx context.Context, tx *sql.Tx, in External) (int64, float64, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return 0, 0, err
	}
	ed, err := s.loadEdition(ctx, tx, `ed.id = $1`, in.EditionID)
	if err != nil {
		return 0, 0, err
	}
	if !ed.canManage(a) {
		return 0, 0, domain.Forbidden("edition %d belongs to provider %s", ed.ID, ed.ProviderCode)
	}
	p, err := s.person(ctx, tx, in.ProfessionalID)
	if err != nil {
		return 0, 0, err
	}
	done := true
	c := Completion{ProfessionalID: p.ID, Role: RoleParticipant, State: StateFailed, CompletedOn: in.CompletedOn, TestScore: in.Score, FADCompleted: &done}
	if in.Passed {
		c.State = StateCompleted
		c.Credits, _ = s.RoleRule(RoleInput{Type: ed.Type, SubType: ed.SubType, Hours: ed.Hours, EventCredits: ed.Credits, Role: RoleParticipant})
	}
	out, err := s.apply(ctx, tx, ed, map[int64]person{p.ID: p}, []Completion{c}, SourceXAPI, 0, false)
	if err != nil {
		return 0, 0, err
	}
	id := out[0].ParticipationID
	if err := audit.Record(ctx, tx, audit.Change{Action: "complete", Entity: "participation", EntityID: id, RegionID: p.RegionID,
		After: map[string]any{"state": c.State, "credits": round1(c.Credits), "source": SourceXAPI, "by": in.Note}}); err != nil {
		return 0, 0, err
	}
	return id, round1(c.Credits), nil
}

// WithdrawExternal withdraws a participation an external record wrote (its statement was
// voided): the row becomes withdrawn and its credits leave the ledger, as when a corrected
// report drops a participant. The competence evidence stays, the ledger being append-only.
func (s *Service) WithdrawExternal(ctx context.Context, tx *sql.Tx, participationID int64, note string) error {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return err
	}
	var edID int64
	var x Participation
	var regionID int64
	if err := tx.QueryRowContext(ctx, `SELECT edition_id, professional_id, role, region_id FROM participations WHERE id = $1`, participationID).
		Scan(&edID, &x.ProfessionalID, &x.Role, &regionID); err != nil {
		if err == sql.ErrNoRows {
			return domain.NotFound("participation")
		}
		return err
	}
	x.ID = participationID
	ed, err := s.loadEdition(ctx, tx, `ed.id = $1`, edID)
	if err != nil {
		return err
	}
	if !ed.canManage(a) {
		return domain.Forbidden("edition %d belongs to provider %s", ed.ID, ed.ProviderCode)
	}
	if err := s.withdraw(ctx, tx, ed, []Participation{x}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Change{Action: "withdraw", Entity: "participation", EntityID: participationID, RegionID: regionID,
		After: map[string]any{"state": StateWithdrawn, "source": SourceXAPI, "by": note}})
}
