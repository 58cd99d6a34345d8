package seed

import (
	"context"
	"fmt"

	"esd/internal/assess"
)

// AssessmentsStep gives every seeded professional one finished self-assessment through the
// assessment service's bulk simulation: questions planned for their persona, simulated
// answers, the scoring and level rules of a real sitting, the evidence and stored levels.
func AssessmentsStep(svc *assess.Service) Step {
	return Step{
		Name:  "assessments",
		Total: func(w *World) int64 { return int64(w.Size.Assessments) },
		Run: func(ctx context.Context, w *World, p *Progress) (int64, error) {
			rep, err := svc.SimulateAssessments(ctx, w.Seed, func(done, total int64) { p.Set(done, total) })
			if err != nil {
				return 0, err
			}
			if rep.Professionals > 0 && rep.Assessments+rep.Skipped == 0 {
				return 0, fmt.Errorf("assessments: %d professionals streamed but none assessed", rep.Professionals)
			}
			fmt.Fprintf(w.Out, "seed: assessments  %d finished, %d answers, %d skipped\n", rep.Assessments, rep.Answers, rep.Skipped)
			return rep.Assessments, nil
		},
	}
}

// ObjectivesStep generates every seeded professional's individual objectives through the
// assessment service's bulk regeneration (the pass a persona change triggers): the gaps
// between each professional's persona targets and the levels their assessment gave become
// draft objectives.
func ObjectivesStep(svc *assess.Service) Step {
	return Step{
		Name:  "objectives",
		Total: func(w *World) int64 { return int64(w.Size.Professionals) },
		Run: func(ctx context.Context, w *World, p *Progress) (int64, error) {
			rep, err := svc.RegenerateObjectives(ctx, 0, func(done, total int64) { p.Set(done, total) })
			if err != nil {
				return 0, err
			}
			if rep.Professionals > 0 && rep.Inserted+rep.Unchanged == 0 {
				return 0, fmt.Errorf("objectives: %d professionals but no objective generated", rep.Professionals)
			}
			fmt.Fprintf(w.Out, "seed: objectives   %d drafts for %d professionals\n", rep.Inserted+rep.Unchanged, rep.Professionals)
			return rep.Professionals, nil
		},
	}
}
