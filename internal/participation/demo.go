package participation

import (
	"bytes"
	"context"
	"fmt"

	"esd/internal/db"
	"esd/internal/rapporto"
	"esd/internal/registry"
)

// Demo gives the demo world a training history through the real report path: for up to
// three past editions of the demo provider's events that develop portfolio lines, a rapporto
// evento with up to 25 Tuscan professionals of the event's audience (the demo professional
// among them when the audience allows, the first one as teacher) is written and imported;
// the demo professional is enrolled in an upcoming edition. It runs once: a database that
// has reports already is left alone. ctx carries the system actor.
func (s *Service) Demo(ctx context.Context) error {
	var n int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM participation_reports`).Scan(&n); err != nil || n > 0 {
		return err
	}
	w, err := registry.DemoIDs(ctx, s.DB)
	if err != nil || w.ProviderID == 0 {
		return nil // no registry demo world: nothing to attach a history to
	}
	today := s.today()
	ids, err := db.Int64s(ctx, s.DB.Read, `SELECT ed.id FROM event_editions ed JOIN events e ON e.id = ed.event_id
		WHERE e.provider_id = $1 AND e.state IN ('accredited', 'running', 'closed') AND ed.end_date < $2
		AND EXISTS (SELECT 1 FROM event_lines l WHERE l.event_id = e.id) ORDER BY ed.end_date DESC, ed.id LIMIT 3`, w.ProviderID, today)
	if err != nil {
		return err
	}
	for i, id := range ids {
		ed, err := s.edition(ctx, id)
		if err != nil {
			return err
		}
		people, err := s.people(ctx, s.DB.Read, `p.region_id = $1 AND p.status = 'active' ORDER BY CASE WHEN p.cf = $2 THEN 0 ELSE 1 END, p.id LIMIT 400`, w.RegionID, w.ProfessionalCF)
		if err != nil {
			return err
		}
		rep := rapporto.Report{Format: "xml", Event: &rapporto.Event{Code: ed.EventCode, Edition: ed.Number, ProviderCode: ed.ProviderCode, AccreditorCode: s.Config.AccreditorCode,
			Start: ed.Start, End: ed.End, Credits: ed.Credits, Hours: int(ed.Hours), Type: tipoForm[ed.Type], Audience: "E", Objective: ed.ObjectiveID,
			Participants: ed.Capacity, Subtype: ed.SubType}}
		for _, p := range people {
			if len(rep.Participants) >= 25 || !ed.inAudience(p.Pairs) {
				continue
			}
			role, credits := RoleParticipant, ed.Credits
			if len(rep.Participants) == 0 && p.CF != w.ProfessionalCF {
				role = RoleTeacher
				credits, _ = s.RoleRule(RoleInput{Type: ed.Type, SubType: ed.SubType, Hours: ed.Hours, EventCredits: ed.Credits, Role: role})
			}
			if credits <= 0 {
				continue
			}
			rep.Participants = append(rep.Participants, rapporto.Participant{CF: p.CF, GivenName: p.GivenName, FamilyName: p.FamilyName, Role: role,
				Employment: orL(libDip(p.Employment)), Credits: min(credits, 50), AcquiredOn: ed.End, Professions: groupPairs(p.Pairs)})
		}
		if len(rep.Participants) == 0 {
			continue
		}
		var b bytes.Buffer
		if err := rapporto.WriteXML(&b, rep); err != nil {
			return err
		}
		if _, err := s.ImportReport(ctx, ImportInput{Name: fmt.Sprintf("demo-rapporto-%d.xml", i+1), Body: &b}); err != nil {
			return fmt.Errorf("demo report of %s/%d: %w", ed.EventCode, ed.Number, err)
		}
	}
	next, err := db.Int64s(ctx, s.DB.Read, `SELECT ed.id FROM event_editions ed JOIN events e ON e.id = ed.event_id
		WHERE e.provider_id = $1 AND e.state IN ('accredited', 'running') AND ed.start_date > $2 ORDER BY ed.start_date, ed.id LIMIT 5`, w.ProviderID, today)
	if err != nil {
		return err
	}
	for _, id := range next {
		if _, err := s.Enrol(ctx, id, w.ProfessionalID); err == nil {
			break
		}
	}
	return nil
}

func orL(s string) string {
	if s == "" {
		return "L"
	}
	return s
}
