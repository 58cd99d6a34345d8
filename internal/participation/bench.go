package participation

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/rapporto"
)

// ReportBench is what BenchReport measured.
type ReportBench struct {
	Edition      string  `json:"edition"`
	Participants int     `json:"participants"`
	Lines        int     `json:"lines"`
	LinesMoved   int     `json:"lines_moved"`
	Bytes        int     `json:"bytes"`
	ImportSecs   float64 `json:"import_s"`
	RawSecs      float64 `json:"raw_insert_s"`
	Ratio        float64 `json:"ratio"`
}

var errBenchRollback = errors.New("benchmark rollback")

// BenchReport imports, on the seeded database, a rapporto evento of up to n participants
// written with rapporto.WriteXML for a past edition of a seeded event open to every
// profession (the nth such edition, so every repetition reports a fresh one whose
// evidence is new), as the event's provider, through ImportReport (parsing, schema and field
// checks, the registry look-up, the difference, the participation rows, credits and
// balances, audit), and compares it with a raw multi-row insert of the same participation
// rows in a transaction rolled back. Afterwards the report's participations, credit entries
// (balances recomputed) and report row are removed; the competence evidence it wrote stays,
// as it does when a corrected report drops a participant (the ledger is append-only), so
// the levels of the reported professionals may have moved. ctx needs no actor.
func (s *Service) BenchReport(ctx context.Context, n, nth int) (ReportBench, error) {
	var out ReportBench
	sys := domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	today := s.today()
	var id int64
	err := s.DB.Read.QueryRowContext(sys, `SELECT ed.id FROM event_editions ed JOIN events e ON e.id = ed.event_id
		WHERE e.state IN ('accredited', 'running', 'closed') AND e.audience_all = $1 AND e.credits > 0 AND ed.end_date < $2
		AND NOT EXISTS (SELECT 1 FROM participation_reports r WHERE r.edition_id = ed.id)
		ORDER BY ed.id LIMIT 1 OFFSET $3`, true, today, nth).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return out, fmt.Errorf("no past edition number %d of an event open to every profession without a report: seed the catalogue first", nth+1)
	}
	if err != nil {
		return out, err
	}
	ed, err := s.edition(sys, id)
	if err != nil {
		return out, err
	}
	out.Edition = fmt.Sprintf("%s/%s/%d", ed.ProviderCode, ed.EventCode, ed.Number)
	out.Lines = len(ed.Lines)
	people, err := s.people(sys, s.DB.Read, `p.status = 'active' AND NOT EXISTS (SELECT 1 FROM participations x WHERE x.edition_id = $1 AND x.professional_id = p.id)
		ORDER BY p.id LIMIT `+fmt.Sprint(n), ed.ID)
	if err != nil {
		return out, err
	}
	credits, _ := s.RoleRule(RoleInput{Type: ed.Type, SubType: ed.SubType, Hours: ed.Hours, EventCredits: ed.Credits, Role: RoleParticipant})
	credits = min(credits, ed.Credits, 50)
	if credits <= 0 {
		return out, fmt.Errorf("edition %s gives no credits", out.Edition)
	}
	rep := rapporto.Report{Format: "xml", Event: &rapporto.Event{Code: ed.EventCode, Edition: ed.Number, ProviderCode: ed.ProviderCode, AccreditorCode: s.Config.AccreditorCode,
		Start: ed.Start, End: ed.End, Credits: ed.Credits, Hours: int(ed.Hours), Type: tipoForm[ed.Type], Audience: "E", Objective: ed.ObjectiveID,
		Participants: max(ed.Capacity, len(people)), Subtype: ed.SubType}}
	for _, p := range people {
		if len(p.Pairs) == 0 {
			continue
		}
		rep.Participants = append(rep.Participants, rapporto.Participant{CF: p.CF, GivenName: p.GivenName, FamilyName: p.FamilyName, Role: RoleParticipant,
			Employment: orL(libDip(p.Employment)), Credits: credits, AcquiredOn: ed.End, Professions: groupPairs(p.Pairs)})
	}
	out.Participants = len(rep.Participants)
	if out.Participants == 0 {
		return out, fmt.Errorf("no professional to report")
	}
	var body bytes.Buffer
	if err := rapporto.WriteXML(&body, rep); err != nil {
		return out, err
	}
	out.Bytes = body.Len()

	// Baseline: the same participation rows, inserted raw and rolled back.
	t0 := time.Now()
	err = s.DB.Tx(sys, func(tx *sql.Tx) error {
		now := s.now()
		rows := make([][]any, 0, len(people))
		for _, p := range people {
			rows = append(rows, []any{ed.ID, ed.EventID, p.ID, p.RegionID, nullID(p.OrganisationID), StateCompleted, RoleParticipant, credits, ed.End, SourceReport, now, now})
		}
		if err := db.InsertRows(sys, tx, s.DB.IsPostgres(), "participations", []string{"edition_id", "event_id", "professional_id", "region_id", "organisation_id",
			"state", "role", "credits", "completed_on", "source", "created_at", "updated_at"}, rows); err != nil {
			return err
		}
		return errBenchRollback
	})
	if err != nil && !errors.Is(err, errBenchRollback) {
		return out, err
	}
	out.RawSecs = time.Since(t0).Seconds()

	provider := domain.WithRequestID(domain.WithActor(ctx, domain.Actor{Role: domain.RoleProvider, Username: "bench.provider", OrganisationID: ed.ProviderID}), "bench")
	t0 = time.Now()
	res, err := s.ImportReport(provider, ImportInput{Name: "bench-rapporto.xml", Body: bytes.NewReader(body.Bytes())})
	out.ImportSecs = time.Since(t0).Seconds()
	if err != nil {
		return out, fmt.Errorf("importing the benchmark report: %w", err)
	}
	if res.Added != out.Participants {
		_ = s.removeReport(sys, ed, res.ReportID)
		return out, fmt.Errorf("the benchmark report added %d of %d participants", res.Added, out.Participants)
	}
	out.LinesMoved = res.LinesMoved
	out.Ratio = out.ImportSecs / max(out.RawSecs, 1e-9)
	return out, s.removeReport(sys, ed, res.ReportID)
}

// removeReport takes a benchmark report out again: its participations' credit entries
// (recomputing the balances), the participations and the report row, audited.
func (s *Service) removeReport(ctx context.Context, ed edition, reportID int64) error {
	ids, err := db.Int64s(ctx, s.DB.Read, `SELECT id FROM participations WHERE report_id = $1`, reportID)
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if s.Credits != nil {
			posts := make([]CreditPost, len(ids))
			for i, id := range ids {
				posts[i] = CreditPost{ParticipationID: id}
			}
			if err := s.Credits.PostParticipations(ctx, tx, posts); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM participations WHERE report_id = $1`, reportID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM participation_reports WHERE id = $1`, reportID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "delete", Entity: "participation_report", EntityID: reportID,
			After: map[string]any{"reason": "benchmark report removed", "edition": ed.ID, "participations": len(ids)}})
	})
}
