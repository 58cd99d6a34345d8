package seed

import (
	"context"
	"fmt"

	"esd/internal/persona"
)

// PersonasStep assigns every seeded professional a Digital Persona through the persona
// service's re-assignment (the same streaming pass a national decision triggers), on the
// current published portfolio version, as the system actor. It checks afterwards that no
// professional is left without a profile.
func PersonasStep(svc *persona.Service) Step {
	return Step{
		Name:  "personas",
		Total: func(w *World) int64 { return int64(w.Size.Professionals) },
		Run: func(ctx context.Context, w *World, p *Progress) (int64, error) {
			if _, err := svc.EnsureDefaults(ctx); err != nil {
				return 0, err
			}
			res, err := svc.Reassign(ctx, 0, func(done, total int64) { p.Set(done, total) })
			if err != nil {
				return 0, err
			}
			var missing int64
			err = w.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals pr
				WHERE NOT EXISTS (SELECT 1 FROM profiles pf WHERE pf.professional_id = pr.id AND pf.framework_id = $1)`,
				res.FrameworkID).Scan(&missing)
			if err != nil {
				return 0, err
			}
			if missing > 0 {
				return 0, fmt.Errorf("%d professionals have no persona after the re-assignment (%d matched no rule)", missing, res.Unmatched)
			}
			return res.Professionals, nil
		},
	}
}
