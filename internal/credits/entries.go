package credits

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// EntryInput is a manual ledger entry: individual training, self-training, an exemption, a
// dossier bonus, or credits moved between trienni.
type EntryInput struct {
	ProfessionalID int64   `json:"professional_id"`
	Kind           string  `json:"kind"`
	Credits        float64 `json:"credits"`
	EarnedOn       string  `json:"earned_on"`
	// Triennium is the start year the entry counts in; 0 = the triennium of EarnedOn. For
	// moved credits it is where they go, FromTriennium where they leave.
	Triennium     int    `json:"triennium,omitempty"`
	FromTriennium int    `json:"from_triennium,omitempty"`
	Title         string `json:"title"`
	Note          string `json:"note,omitempty"`
	// Status is pending or certified (default certified; always pending when a professional
	// declares their own).
	Status string `json:"status,omitempty"`
}

// ManualKinds are the kinds AddEntry accepts (participations come from participation).
var ManualKinds = []string{KindIndividual, KindSelfTraining, KindExemption, KindDossierBonus, KindMoved}

// AddEntry records a manual entry and recomputes the professional's balances, audited in
// the same transaction. National governance may add to anyone's ledger, a regional referent
// in their region, an organisation's office to its staff's; a professional may declare their
// own individual training or self-training, recorded as pending. Moved credits make two
// entries: minus in FromTriennium, plus in Triennium.
func (s *Service) AddEntry(ctx context.Context, in EntryInput) ([]Entry, error) {
	a, err := domain.Require(ctx, individualRoles...)
	if err != nil {
		return nil, err
	}
	p, err := s.professional(ctx, s.DB.Read, in.ProfessionalID)
	if err != nil {
		return nil, err
	}
	if !a.CanSeeIndividual(target(p)) {
		return nil, domain.NotFound("professional")
	}
	in.Kind = strings.TrimSpace(in.Kind)
	if a.Role == domain.RoleProfessional {
		if in.Kind != KindIndividual && in.Kind != KindSelfTraining {
			return nil, domain.Forbidden("a professional may declare only individual training and self-training")
		}
		in.Status = StatusPending
	}
	rules := s.Rules()
	var ps []domain.Problem
	bad := func(field, reason, value string) {
		ps = append(ps, domain.Problem{Field: field, Reason: reason, Value: value})
	}
	if !slices.Contains(ManualKinds, in.Kind) {
		bad("kind", "kind must be one of individual, self_training, exemption, dossier_bonus, moved", in.Kind)
	}
	if in.Status == "" {
		in.Status = StatusCertified
	}
	if in.Status != StatusPending && in.Status != StatusCertified {
		bad("status", "status must be pending or certified", in.Status)
	}
	if in.Kind == KindMoved && in.Status != StatusCertified {
		bad("status", "moved credits are certified moves", in.Status)
	}
	if math.IsNaN(in.Credits) || in.Credits <= 0 || in.Credits > 1000 {
		bad("credits", "credits must be more than 0 and at most 1000", num(in.Credits))
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		bad("title", "a title saying what the credits are for is required", "")
	}
	if len(in.Title) > 300 || len(in.Note) > 2000 {
		bad("title", "title (300) or note (2000 characters) too long", "")
	}
	if in.EarnedOn == "" {
		in.EarnedOn = s.today().Format(time.DateOnly)
	}
	tri, terr := rules.TrienniumOf(in.EarnedOn)
	if terr != nil {
		bad("earned_on", domain.ErrorMessage(terr), in.EarnedOn)
	} else if d, _ := time.Parse(time.DateOnly, in.EarnedOn); d.After(s.today().AddDate(0, 0, 1)) {
		bad("earned_on", "the date is in the future", in.EarnedOn)
	}
	if in.Triennium == 0 {
		in.Triennium = tri
	} else if _, ok := rules.TrienniumByStart(in.Triennium); !ok {
		bad("triennium", "no rules for this triennium", num(float64(in.Triennium)))
	}
	if in.Kind == KindMoved {
		if _, ok := rules.TrienniumByStart(in.FromTriennium); !ok {
			bad("from_triennium", "the triennium the credits leave is required and must be in the rules", num(float64(in.FromTriennium)))
		} else if in.FromTriennium == in.Triennium {
			bad("from_triennium", "credits must move to another triennium", num(float64(in.FromTriennium)))
		}
	}
	if len(ps) > 0 {
		return nil, &domain.Error{Code: domain.EINVALID, Field: ps[0].Field, Message: ps[0].Reason, Details: ps}
	}
	base := Entry{ProfessionalID: p.ID, RegionID: p.RegionID, OrganisationID: p.OrganisationID, Triennium: in.Triennium, Kind: in.Kind,
		Credits: round2(in.Credits), Status: in.Status, EarnedOn: in.EarnedOn, Title: in.Title, Note: strings.TrimSpace(in.Note), CreatedBy: a.Username}
	var out []Entry
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ins := func(e Entry) (Entry, error) {
			now := db.Now()
			row := entryRow(e, now)
			err := tx.QueryRowContext(ctx, `INSERT INTO credit_entries (`+strings.Join(insertCols, ", ")+`) VALUES (`+db.Placeholders(1, len(insertCols))+`) RETURNING id`, row...).Scan(&e.ID)
			e.CreatedAt = now
			return e, err
		}
		first, err := ins(base)
		if err != nil {
			return err
		}
		out = append(out, first)
		if in.Kind == KindMoved {
			minus := base
			minus.Triennium, minus.Credits, minus.LinkedID = in.FromTriennium, -base.Credits, first.ID
			second, err := ins(minus)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE credit_entries SET linked_id = $1 WHERE id = $2`, second.ID, first.ID); err != nil {
				return err
			}
			out[0].LinkedID = second.ID
			out = append(out, second)
		}
		for _, e := range out {
			if err := audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "credit_entry", EntityID: e.ID, RegionID: e.RegionID, After: e}); err != nil {
				return err
			}
		}
		return s.recompute(ctx, tx, rules, []int64{p.ID})
	})
	return out, err
}

// DeleteEntry removes a manual entry (and the other half of a move), audited, and
// recomputes the professional's balances. Participation entries change only through
// participation. Professionals may withdraw their own pending declarations.
func (s *Service) DeleteEntry(ctx context.Context, id int64) error {
	a, err := domain.Require(ctx, individualRoles...)
	if err != nil {
		return err
	}
	e, err := scanEntry(s.DB.Read.QueryRowContext(ctx, `SELECT `+entryCols+` FROM credit_entries WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound("credit entry")
	}
	if err != nil {
		return err
	}
	p, err := s.professional(ctx, s.DB.Read, e.ProfessionalID)
	if err != nil {
		return err
	}
	if !a.CanSeeIndividual(target(p)) {
		return domain.NotFound("credit entry")
	}
	if a.Role == domain.RoleProfessional && (e.Status != StatusPending || e.Kind == KindParticipation) {
		return domain.Forbidden("a professional may withdraw only their own pending declarations")
	}
	if e.Kind == KindParticipation {
		return domain.Invalid("kind", "this entry comes from a participation: change the participation instead")
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ids := []int64{e.ID}
		if e.LinkedID != 0 {
			ids = append(ids, e.LinkedID)
		}
		for _, x := range ids {
			old, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+entryCols+` FROM credit_entries WHERE id = $1`, x))
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM credit_entries WHERE id = $1`, x); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Change{Action: "delete", Entity: "credit_entry", EntityID: x, RegionID: old.RegionID, Before: old}); err != nil {
				return err
			}
		}
		return s.recompute(ctx, tx, s.Rules(), []int64{e.ProfessionalID})
	})
}
