package seed

import (
	"context"
	"fmt"

	"esd/internal/assess"
)

// ObjectivesStep generates every seeded professional's individual objectives through the
// assessment service's bulk regeneration (the pass a persona change triggers): the gaps
// between each professional's persona targets and their stored levels become draft
// objectives. The seed writes no assessments: the assessment service has no bulk path for
// them (an assessment is answered question by question), so every level is still unknown
// and the objectives cover each persona's whole target.
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
