package seed

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"esd/internal/catalogue"
	"esd/internal/registry"
)

// eventsPerProvider sizes the seeded providers: about one provider per 300 events, as Italy
// has some 2,000 accredited providers for ~600,000 events in ten years.
const eventsPerProvider = 300

// EventsStep writes the training catalogue: ECM providers registered through the registry's
// organisation service, spread over the regions, then Size.Events events drawn by the
// catalogue's own generator (Italian titles on the portfolio's topics, the national type mix,
// editions, audiences, lines) and written through the catalogue's bulk path, with the same
// validation as an import and one audit entry per batch. Codes are deterministic, so a re-run
// continues where an interrupted one stopped.
func EventsStep(reg *registry.Service, cat *catalogue.Service) Step {
	return Step{
		Name:  "events",
		Total: func(w *World) int64 { return int64(w.Size.Events) },
		Run: func(ctx context.Context, w *World, p *Progress) (int64, error) {
			if w.Size.Events <= 0 || len(w.Ref.Regions) == 0 {
				return 0, nil
			}
			nprov := max(w.Size.Events/eventsPerProvider, 5)
			var gp []catalogue.GenProvider
			for i := 0; i < nprov; i++ {
				r := w.Ref.Regions[i%len(w.Ref.Regions)]
				code := fmt.Sprintf("SEED%05d", i+1)
				o, err := reg.CreateOrganisation(ctx, registry.OrganisationInput{Kind: registry.KindProvider, Code: code,
					Name: fmt.Sprintf("Provider ECM sintetico %d (%s)", i+1, r.Name), RegionID: r.ID})
				if err != nil {
					// A re-run: the provider was registered by the interrupted run.
					var id int64
					if e := w.DB.Read.QueryRowContext(ctx, `SELECT id FROM organisations WHERE kind = $1 AND code = $2`,
						registry.KindProvider, code).Scan(&id); e != nil {
						return 0, fmt.Errorf("provider %s: %w", code, err)
					}
					o.ID = id
				}
				gp = append(gp, catalogue.GenProvider{ID: o.ID, RegionID: r.ID})
			}
			g, err := cat.NewGenerator(ctx, uint64(w.Seed), gp)
			if err != nil {
				return 0, err
			}
			const batch = 2000
			// First editions spread from the start of the previous triennium to a year from
			// now, so the participations step finds past editions in both trienni and
			// upcoming ones to enrol in.
			from := time.Date(EventsFromYear, 1, 1, 0, 0, 0, 0, time.UTC)
			days := int(time.Now().UTC().AddDate(1, 0, 0).Sub(from).Hours() / 24)
			var total int64
			evs := make([]catalogue.EventInput, 0, batch)
			flush := func() error {
				n, err := cat.BulkLoad(ctx, evs, batch, nil)
				if err != nil {
					return err
				}
				total += int64(n)
				p.Add(int64(len(evs)))
				evs = evs[:0]
				return nil
			}
			for i := 0; i < w.Size.Events; i++ {
				evs = append(evs, g.Event(catalogue.Spec{Code: fmt.Sprintf("SEED-%07d", i+1), Start: eventStart(w.Seed, i, from, days)}))
				if len(evs) == batch {
					if err := flush(); err != nil {
						return total, err
					}
				}
			}
			if len(evs) > 0 {
				if err := flush(); err != nil {
					return total, err
				}
			}
			return total, nil
		},
	}
}

// EventsFromYear is the first year of the seeded editions: the start of the previous
// triennium (2023–2025), so balances have a previous triennium.
const EventsFromYear = 2023

// eventStart is the first day of event i: a deterministic day of the days from from.
func eventStart(seed int64, i int, from time.Time, days int) time.Time {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", seed, i)
	return from.AddDate(0, 0, int(h.Sum64()%uint64(max(1, days))))
}
