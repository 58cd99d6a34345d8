package seed

import (
	"context"
	"fmt"

	"esd/internal/participation"
)

// ParticipationsPerProfessional is the mean number of completed participations of a seeded
// professional over the two trienni: ~9 M for the 1.3 M professionals of size L, the
// national order of magnitude (domain.md §3.10).
const ParticipationsPerProfessional = 7

// ParticipationsStep gives the seeded professionals their training history through the
// participation service's bulk simulation (participation.Service.SimulateParticipations):
// completed participations in the seeded catalogue's past editions with their credits and
// balances (credits ledger) and their competence evidence (assessment), and enrolments in
// upcoming editions. It needs the professionals, the assessments (levels the evidence
// moves) and the events before it. A rerun resumes: professionals with seeded
// participations are skipped.
func ParticipationsStep(svc *participation.Service) Step {
	return Step{
		Name:  "participations",
		Total: func(w *World) int64 { return int64(w.Size.Professionals) * ParticipationsPerProfessional },
		Run: func(ctx context.Context, w *World, p *Progress) (int64, error) {
			rep, err := svc.SimulateParticipations(ctx, participation.SimOptions{Seed: w.Seed, PerProfessional: ParticipationsPerProfessional},
				func(done, total int64) { p.Set(done, total) })
			if err != nil {
				return 0, err
			}
			if rep.Professionals > 0 && rep.Editions > 0 && rep.Participations == 0 {
				return 0, fmt.Errorf("participations: %d professionals and %d past editions but no participation drawn", rep.Professionals, rep.Editions)
			}
			fmt.Fprintf(w.Out, "seed: participations %s completed (%s editions), %s enrolments, %s credits, %s lines moved, %s professionals (%s already done)\n",
				group(rep.Participations), group(int64(rep.Editions)), group(rep.Enrolments), group(int64(rep.Credits)), group(rep.LinesMoved),
				group(rep.Professionals), group(rep.Skipped))
			return rep.Participations + rep.Enrolments, nil
		},
	}
}
