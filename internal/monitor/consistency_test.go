package monitor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"esd/internal/apptest"
	"esd/internal/assess"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/monitor"
	"esd/internal/persona"
	"esd/internal/registry"
)

// snapshot reads every non-zero counter as "key=n/total" lines, sorted.
func snapshot(t *testing.T, d *db.DB) []string {
	t.Helper()
	rows, err := d.Read.Query(`SELECT region_id, organisation_id, profession_code, persona_id, period, metric, item, n, total FROM monitor_cells WHERE n <> 0 OR total <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r, o, pr, pe, n, tot int64
		var period, metric, item string
		if err := rows.Scan(&r, &o, &pr, &pe, &period, &metric, &item, &n, &tot); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d|%d|%d|%d|%s|%s|%s=%d/%d", r, o, pr, pe, period, metric, item, n, tot))
	}
	sort.Strings(out)
	return out
}

func diff(a, b []string) []string {
	in := map[string]int{}
	for _, x := range a {
		in[x]++
	}
	for _, x := range b {
		in[x]--
	}
	var out []string
	for k, v := range in {
		if v != 0 {
			out = append(out, fmt.Sprintf("%+d %s", v, k))
		}
	}
	sort.Strings(out)
	if len(out) > 20 {
		out = out[:20]
	}
	return out
}

// TestIncrementalMatchesRebuild makes random writes through the real services (registry,
// personas, assessment) and participations, refreshes incrementally between rounds, and checks
// that the counters equal a full rebuild's.
func TestIncrementalMatchesRebuild(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		ctx := env.Sys()
		m := env.M
		svc := monitor.New(m.DB, nil)
		if _, err := svc.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		first := snapshot(t, m.DB)
		if len(first) == 0 {
			t.Fatal("the demo world gives no counters")
		}
		w, err := registry.DemoIDs(ctx, m.DB)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(13, uint64(len(d))))
		pros := w.ProfessionalIDs
		personas, err := db.Int64s(ctx, m.DB.Read, `SELECT id FROM personas WHERE framework_id = (SELECT id FROM framework_versions WHERE state = 'published' ORDER BY published_at DESC, id DESC LIMIT 1)`)
		if err != nil || len(personas) == 0 {
			t.Fatalf("personas: %v %v", personas, err)
		}
		var edition, event int64
		_ = m.DB.Read.QueryRowContext(ctx, `SELECT id, event_id FROM event_editions ORDER BY id LIMIT 1`).Scan(&edition, &event)

		for round := 0; round < 3; round++ {
			for i := 0; i < 12; i++ {
				id := pros[rng.IntN(len(pros))]
				switch rng.IntN(5) {
				case 0: // move to another organisation (or none) of the region
					p, err := m.Registry.Professional(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					in := registry.ProfessionalInput{CF: p.CF, FamilyName: p.FamilyName, GivenName: p.GivenName, Email: p.Email,
						Professions: p.Professions, RegionID: p.RegionID, Employment: p.Employment, CareSetting: p.CareSetting, JobRole: p.JobRole}
					if rng.IntN(3) > 0 && len(w.ASLIDs) > 0 {
						in.OrganisationID = w.ASLIDs[rng.IntN(len(w.ASLIDs))]
					}
					if _, err := m.Registry.UpdateProfessional(ctx, id, in); err != nil {
						t.Fatalf("update professional %d: %v", id, err)
					}
				case 1: // persona by hand
					if _, err := m.Persona.Override(ctx, id, persona.OverrideInput{PersonaID: personas[rng.IntN(len(personas))], Reason: "prova di coerenza"}); err != nil {
						t.Fatalf("override %d: %v", id, err)
					}
				case 2: // an assessment, answered at random and finished
					if err := sit(ctx, m.Assess, id, rng); err != nil {
						t.Logf("assessment of %d: %v", id, err)
					}
				case 3: // objectives agreed, one achieved
					if _, err := m.Assess.AgreeObjectives(ctx, id); err != nil {
						t.Logf("agree %d: %v", id, err)
					}
					var oid int64
					if err := m.DB.Read.QueryRowContext(ctx, `SELECT id FROM objectives WHERE professional_id = $1 AND state = 'agreed' ORDER BY id LIMIT 1`, id).Scan(&oid); err == nil {
						if _, err := m.Assess.MoveObjective(ctx, oid, assess.ObjInProgress); err != nil {
							t.Fatalf("move objective: %v", err)
						}
						if _, err := m.Assess.MoveObjective(ctx, oid, assess.ObjAchieved); err != nil {
							t.Fatalf("achieve objective: %v", err)
						}
					}
				case 4: // a completed participation (the participation service is not in this branch)
					if edition == 0 {
						continue
					}
					now := db.Now()
					if _, err := m.DB.Write.ExecContext(ctx, `INSERT INTO participations (edition_id, event_id, professional_id, region_id, state, credits, completed_on, source, created_at, updated_at)
						SELECT $1, $2, id, region_id, 'completed', $3, $4, 'api', $5, $5 FROM professionals WHERE id = $6 ON CONFLICT (edition_id, professional_id) DO UPDATE SET credits = excluded.credits`,
						edition, event, 1.5+float64(rng.IntN(20))/10, fmt.Sprintf("%d-0%d-15", 2025+rng.IntN(2), 1+rng.IntN(9)), now, id); err != nil {
						t.Fatal(err)
					}
				}
			}
			if round == 1 {
				// Everyone without an assessment gets one through the bulk path.
				if _, err := m.Assess.SimulateAssessments(ctx, 7, nil); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := svc.Refresh(ctx); err != nil || n == 0 {
				t.Fatalf("refresh round %d: %d %v", round, n, err)
			}
		}
		incremental := snapshot(t, m.DB)
		if pending, _ := svc.Pending(ctx); pending != 0 {
			t.Fatalf("%d still dirty after a refresh", pending)
		}
		if _, err := svc.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		full := snapshot(t, m.DB)
		if dd := diff(incremental, full); len(dd) > 0 {
			t.Fatalf("incremental and rebuilt counters differ (%d vs %d cells):\n%v", len(incremental), len(full), dd)
		}
		// A rebuild in small chunks that adds its counters to the table many times over (keys
		// met again in a later flush) gives the same counters.
		svc.RebuildChunk, svc.RebuildFlushCells = 7, 40
		if _, err := svc.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		svc.RebuildChunk, svc.RebuildFlushCells = 0, 0
		if dd := diff(full, snapshot(t, m.DB)); len(dd) > 0 {
			t.Fatalf("a rebuild flushing in small parts differs from one flushing once:\n%v", dd)
		}
		if dd := diff(first, full); len(dd) == 0 {
			t.Fatal("the writes changed no counter")
		}
		var assessed, before int64
		_ = m.DB.Read.QueryRow(`SELECT COALESCE(SUM(n), 0) FROM monitor_cells WHERE metric = 'assessed' AND period = '' AND organisation_id = -1`).Scan(&assessed)
		_ = m.DB.Read.QueryRow(`SELECT COUNT(*) FROM monitor_cells WHERE metric = 'lbefore'`).Scan(&before)
		if assessed < int64(len(pros))/2 {
			t.Fatalf("only %d assessed professionals counted", assessed)
		}
		t.Logf("%s: %d cells, %d assessed, %d before/after line cells", d, len(full), assessed, before)
	})
}

// sit starts (or resumes) an assessment, answers every question at random and finishes it.
func sit(ctx context.Context, a *assess.Service, prof int64, rng *rand.Rand) error {
	as, err := a.Start(ctx, prof)
	if err != nil {
		return err
	}
	_, qs, err := a.Questions(ctx, as.ID, "it")
	if err != nil {
		return err
	}
	for _, q := range qs {
		c := 1
		if len(q.Choices) > 0 {
			c = q.Choices[rng.IntN(len(q.Choices))].Value
		}
		if _, err := a.Answer(ctx, as.ID, assess.AnswerInput{Question: q.Position, Choice: c}); err != nil {
			return err
		}
	}
	_, err = a.Finish(ctx, as.ID)
	return err
}
