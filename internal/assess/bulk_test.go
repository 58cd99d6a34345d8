package assess

import (
	"testing"

	"esd/internal/domain"
)

// The bulk simulation writes what a real sitting writes: a finished assessment whose result
// explains every required line, levels equal to their recomputation from the ledger, gaps,
// objectives, and ids that leave interactive sittings and evidence working afterwards.
func TestSimulateAssessments(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		var profs []int64
		for i := 0; i < 30; i++ {
			p := fx.professional(i%2 == 1)
			fx.target(p)
			profs = append(profs, p)
		}
		// One professional already has a sitting of their own: the simulation leaves it alone.
		own := fx.as(domain.RoleProfessional, profs[0])
		if _, err := fx.s.Start(own, profs[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.SimulateAssessments(fx.as(domain.RoleRegional, 0), 1, nil); code(err) != domain.EFORBIDDEN {
			t.Fatalf("a regional referent simulated assessments: %v", err)
		}
		var calls int
		rep, err := fx.s.SimulateAssessments(fx.sys, 42, func(done, total int64) { calls++ })
		if err != nil {
			t.Fatal(err)
		}
		if rep.Assessments != 29 || rep.Skipped != 1 || rep.Professionals != 30 || calls == 0 {
			t.Fatalf("report %+v (progress calls %d): want 29 assessed, 1 skipped of 30", rep, calls)
		}
		if rep.Answers < 29*8 {
			t.Fatalf("%d answers for 29 sittings of 8 lines: want at least one per line", rep.Answers)
		}
		levelsSeen := map[int]bool{}
		for _, p := range profs[1:] {
			ctx := fx.as(domain.RoleProfessional, p)
			list, err := fx.s.List(ctx, p)
			if err != nil || len(list) != 1 || list[0].State != StateFinished || list[0].Kind != KindInitial {
				t.Fatalf("professional %d: assessments %+v, %v", p, list, err)
			}
			res, err := fx.s.Result(ctx, list[0].ID, "it")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Lines) != 8 {
				t.Fatalf("professional %d: %d result lines, want 8", p, len(res.Lines))
			}
			level := map[string]int{}
			for _, l := range res.Lines {
				level[l.LineCode] = l.Level
				if l.Explanation == "" || l.Level < 0 || l.Level > res.MaxLevel || l.Level > l.Self {
					t.Fatalf("professional %d line %s: %+v breaks the scoring rule", p, l.LineCode, l.LineScore)
				}
				levelsSeen[l.Level] = true
			}
			g, err := fx.s.Gaps(ctx, p, "it")
			if err != nil {
				t.Fatal(err)
			}
			for _, lg := range g.Lines {
				if lg.Current != level[lg.LineCode] {
					t.Fatalf("professional %d line %s: gap from level %d, the assessment gave %d", p, lg.LineCode, lg.Current, level[lg.LineCode])
				}
			}
		}
		if len(levelsSeen) < 3 {
			t.Fatalf("simulated levels %v: the population should spread over the scale", levelsSeen)
		}
		chk, err := fx.s.RecomputeLevels(fx.sys, false)
		if err != nil {
			t.Fatal(err)
		}
		if chk.Changed != 0 || chk.Lines != 29*8 {
			t.Fatalf("recomputation differs from the stored levels: %+v", chk)
		}
		// A second run finds everyone assessed and writes nothing.
		again, err := fx.s.SimulateAssessments(fx.sys, 42, nil)
		if err != nil || again.Assessments != 0 || again.Skipped != 30 {
			t.Fatalf("second run %+v, %v: want nothing written", again, err)
		}
		// Objectives follow from the simulated gaps.
		rg, err := fx.s.RegenerateObjectives(fx.sys, 0, nil)
		if err != nil || rg.Inserted == 0 {
			t.Fatalf("regeneration after simulation: %+v, %v", rg, err)
		}
		// Interactive work continues on the ids the bulk path used: a follow-up sitting and
		// new evidence get fresh ids (on PostgreSQL the identity sequences were advanced).
		ctx := fx.as(domain.RoleProfessional, profs[1])
		follow, err := fx.s.Start(ctx, profs[1])
		if err != nil || follow.Kind != KindFollowUp || follow.PreviousID == 0 {
			t.Fatalf("follow-up after simulation: %+v, %v", follow, err)
		}
		if _, err := fx.s.RecordEvidence(fx.sys, EvidenceInput{ProfessionalID: profs[2], LineCode: "L1", Level: 4, Source: SourceValidation}); err != nil {
			t.Fatalf("evidence after simulation: %v", err)
		}
	})
}
