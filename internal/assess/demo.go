package assess

import (
	"context"
	"database/sql"
	"fmt"

	"esd/internal/domain"
)

// DemoProfessionalUser is the registry's demo account of a professional: it gets a
// half-finished assessment to resume in the demo.
const DemoProfessionalUser = "demo.professionista"

// Demo loads the capability's demo data (idempotent): the demo professional has a
// half-finished assessment; a few colleagues of the same organisation have finished ones
// with objectives, some agreed and one started; the organisation has a telemedicine team with
// a group objective. It needs the demo professional account and personas; without them it
// does nothing and says why in the log.
func (s *Service) Demo(ctx context.Context) error {
	if _, err := requireNational(ctx); err != nil {
		return err
	}
	if s.Targets == nil {
		s.Log.Warn("assessment demo skipped: the Digital Personas service is not wired")
		return nil
	}
	var prof sql.NullInt64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT professional_id FROM users WHERE username = $1`, DemoProfessionalUser).Scan(&prof)
	if err == sql.ErrNoRows || (err == nil && !prof.Valid) {
		s.Log.Warn("assessment demo skipped: no demo professional account", "user", DemoProfessionalUser)
		return nil
	}
	if err != nil {
		return err
	}
	p, err := s.professional(ctx, s.DB.Read, prof.Int64)
	if err != nil {
		return err
	}
	var n int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM assessments WHERE professional_id = $1`, p.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil // loaded before
	}
	// Colleagues: other professionals of the same organisation (or region) with a persona.
	q := `SELECT id FROM professionals WHERE organisation_id = $1 AND id <> $2 ORDER BY id LIMIT 40`
	args := []any{p.OrganisationID, p.ID}
	if p.OrganisationID == 0 {
		q = `SELECT id FROM professionals WHERE region_id = $1 AND id <> $2 ORDER BY id LIMIT 40`
		args = []any{p.RegionID, p.ID}
	}
	rows, err := s.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	var others []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		others = append(others, id)
	}
	rows.Close()
	done := 0
	var finished []int64
	for _, id := range others {
		if done == 4 {
			break
		}
		if _, _, err := s.effectiveTargets(ctx, id); err != nil {
			continue
		}
		if err := s.demoAssessment(ctx, id, done, true); err != nil {
			return fmt.Errorf("demo assessment of professional %d: %w", id, err)
		}
		finished = append(finished, id)
		done++
	}
	// The first two colleagues' objectives are agreed; one of them has started one.
	for i, id := range finished {
		if i >= 2 {
			break
		}
		if _, err := s.AgreeObjectives(ctx, id); err != nil {
			return err
		}
		if i == 0 {
			var oid int64
			if err := s.DB.Read.QueryRowContext(ctx, `SELECT id FROM objectives WHERE professional_id = $1 AND state = 'agreed' ORDER BY priority LIMIT 1`, id).Scan(&oid); err == nil {
				if _, err := s.MoveObjective(ctx, oid, ObjInProgress); err != nil {
					return err
				}
			}
		}
	}
	if err := s.demoAssessment(ctx, p.ID, 0, false); err != nil {
		return fmt.Errorf("demo assessment of %s: %w", DemoProfessionalUser, err)
	}
	if p.OrganisationID != 0 {
		g, err := s.CreateGroup(ctx, GroupInput{OrganisationID: p.OrganisationID, Name: "Équipe di telemedicina", Description: "Infermieri e medici che seguono i pazienti in telemonitoraggio"})
		if err != nil && domain.ErrorCode(err) != domain.EINVALID {
			return err
		}
		if err == nil {
			for _, id := range append([]int64{p.ID}, finished...) {
				if err := s.AddMember(ctx, g.ID, id); err != nil {
					return err
				}
			}
			if line := s.demoGroupLine(ctx, p.ID); line != "" {
				if _, err := s.AddGroupObjective(ctx, g.ID, GroupObjectiveInput{Line: line, TargetLevel: 2, DueDate: fmt.Sprintf("%d-12-31", s.triennium().From+1),
					Note: "Protocollo condiviso di telemonitoraggio"}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// demoAssessment answers an assessment deterministically: self-ratings spread over the scale
// (seeded by variant), knowledge answers mostly right; finish finishes it, otherwise it stops
// halfway, paused.
func (s *Service) demoAssessment(ctx context.Context, prof int64, variant int, finish bool) error {
	a, err := s.Start(ctx, prof)
	if err != nil {
		return err
	}
	_, qs, err := s.Questions(ctx, a.ID, "it")
	if err != nil {
		return err
	}
	items, err := s.loadItems(ctx, s.DB.Read, a.BankID, 0)
	if err != nil {
		return err
	}
	right := map[int64]int{}
	for _, it := range items {
		right[it.ID] = it.CorrectOption()
	}
	limit := len(qs)
	if !finish {
		limit = len(qs) / 2
	}
	for i, q := range qs[:limit] {
		c := 0
		switch q.Kind {
		case QArea:
			c = 1 + (q.AreaNumber+variant)%3
		case QSelf:
			c = 1 + (q.LineNumber+variant)%3
		default:
			c = right[q.ItemID]
			if (i+variant)%4 == 3 {
				c = c%len(q.Choices) + 1 // a wrong answer now and then
			}
		}
		if _, err := s.Answer(ctx, a.ID, AnswerInput{Question: q.Position, Choice: c}); err != nil {
			return err
		}
	}
	if !finish {
		_, err := s.Pause(ctx, a.ID, limit+1)
		return err
	}
	_, err = s.Finish(ctx, a.ID)
	return err
}

// demoGroupLine picks a telemonitoring line (else the first knowledge ambito's first line) of
// the demo professional's framework.
func (s *Service) demoGroupLine(ctx context.Context, prof int64) string {
	_, p, err := s.effectiveTargets(ctx, prof)
	if err != nil {
		return ""
	}
	f, err := s.framework(ctx, p.FrameworkID)
	if err != nil {
		return ""
	}
	for _, a := range KnowledgeAreas(f) {
		if areaTopics(a)["tele"] {
			for _, l := range f.Lines {
				if l.Area() == a {
					return l.Code
				}
			}
		}
	}
	if len(f.Lines) > 0 {
		return f.Lines[0].Code
	}
	return ""
}
