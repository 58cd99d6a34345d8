package app_test

import (
	"strings"
	"testing"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/participation"
	"esd/internal/seed"
)

// TestSeedParticipations seeds a small world with `esd seed` and checks the training history
// the participations step wrote through the participation, credits and assessment services:
// about seven completed participations per professional in past editions of the seeded
// catalogue whose audience fits them, within capacity, completed on the edition's last day,
// mostly as participants; one credit entry per participation with credits and balances that
// add them up in both trienni; competence evidence and the lines it moved; enrolments in
// upcoming editions; one audit entry per batch; and a rerun that writes nothing. Then the
// new benchmark scenarios run on it with sane figures, and the benchmark report leaves no
// participation behind.
func TestSeedParticipations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		const n = 300
		c, rest, _ := app.FindCommand([]string{"seed", "--size", "S", "--professionals", "300", "--history", ""})
		env.Out.Reset()
		if err := c.Run(env.Sys(), env.M, rest); err != nil {
			t.Fatalf("seed: %v\n%s", err, env.Out.String())
		}
		if out := env.Out.String(); !strings.Contains(out, "seed: participations") {
			t.Fatalf("seed output has no participations step:\n%s", out)
		}
		count := func(q string, args ...any) int64 {
			t.Helper()
			var v int64
			if err := env.M.DB.Read.QueryRow(q, args...).Scan(&v); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return v
		}
		done := count(`SELECT COUNT(*) FROM participations WHERE source = 'seed' AND state = 'completed'`)
		if done < n*5 || done > n*9 {
			t.Errorf("completed participations = %d, want about %d", done, n*seed.ParticipationsPerProfessional)
		}
		if got := count(`SELECT COUNT(DISTINCT professional_id) FROM participations WHERE source = 'seed'`); got < n*9/10 {
			t.Errorf("only %d of %d professionals have a training history", got, n)
		}
		// Dates: completed on the edition's last day, in the two trienni, not in the future.
		if got := count(`SELECT COUNT(*) FROM participations pa JOIN event_editions ed ON ed.id = pa.edition_id
			WHERE pa.state = 'completed' AND (pa.completed_on <> ed.end_date OR pa.completed_on < '2023-01-01' OR pa.completed_on > $1)`,
			db.Now().Format("2006-01-02")); got != 0 {
			t.Errorf("%d completed participations dated outside their edition or the trienni", got)
		}
		if got := count(`SELECT COUNT(*) FROM participations WHERE state = 'completed' AND completed_on < '2026-01-01'`); got == 0 {
			t.Error("no participation in the previous triennium")
		}
		// Audience: every participation of an event with an audience matches one of its rows.
		if got := count(`SELECT COUNT(*) FROM participations pa JOIN events e ON e.id = pa.event_id
			WHERE e.audience_all = $1 AND EXISTS (SELECT 1 FROM event_audience a WHERE a.event_id = e.id)
			AND NOT EXISTS (SELECT 1 FROM event_audience a JOIN professional_disciplines d ON d.professional_id = pa.professional_id
				AND d.profession_code = a.profession_code AND (a.discipline_code = 0 OR a.discipline_code = d.discipline_code)
				WHERE a.event_id = e.id)`, false); got != 0 {
			t.Errorf("%d participations outside their event's audience", got)
		}
		// Capacity.
		if got := count(`SELECT COUNT(*) FROM (SELECT pa.edition_id, COUNT(*) AS k, MAX(e.participants) AS cap FROM participations pa
			JOIN events e ON e.id = pa.event_id GROUP BY pa.edition_id) x WHERE x.cap > 0 AND x.k > x.cap`); got != 0 {
			t.Errorf("%d editions over capacity", got)
		}
		// Roles: mostly participants, some teachers, tutors or speakers.
		if p := count(`SELECT COUNT(*) FROM participations WHERE state = 'completed' AND role = 'P'`); p < done*9/10 || p == done {
			t.Errorf("participants %d of %d completed: want mostly P with a few D/T/R", p, done)
		}
		// Participants passed the test and filled in the questionnaire; FAD courses completed.
		if got := count(`SELECT COUNT(*) FROM participations WHERE state = 'completed' AND role = 'P' AND (test_score IS NULL OR test_score < 0.75 OR questionnaire = $1)`, false); got != 0 {
			t.Errorf("%d participants completed without the test or the questionnaire", got)
		}
		if got := count(`SELECT COUNT(*) FROM participations pa JOIN events e ON e.id = pa.event_id
			WHERE pa.state = 'completed' AND pa.role = 'P' AND e.type = 'FAD' AND pa.fad_completed = $1`, false); got != 0 {
			t.Errorf("%d FAD participants without the course completed", got)
		}
		// Credits: one ledger entry per participation with credits, balances adding them up.
		withCredits := count(`SELECT COUNT(*) FROM participations WHERE source = 'seed' AND credits > 0`)
		if withCredits == 0 {
			t.Fatal("no participation earned credits")
		}
		if got := count(`SELECT COUNT(*) FROM credit_entries ce JOIN participations pa ON pa.id = ce.participation_id
			WHERE ce.kind = 'participation' AND ce.credits = pa.credits AND ce.earned_on = pa.completed_on AND ce.professional_id = pa.professional_id`); got != withCredits {
			t.Errorf("matching credit entries = %d, want %d", got, withCredits)
		}
		if got := count(`SELECT COUNT(DISTINCT triennium) FROM credit_balances`); got < 2 {
			t.Errorf("balances in %d trienni, want the current and the previous one", got)
		}
		if got := count(`SELECT COUNT(*) FROM credit_balances b WHERE ABS(b.earned - COALESCE((SELECT SUM(ce.credits) FROM credit_entries ce
			WHERE ce.professional_id = b.professional_id AND ce.triennium = b.triennium), 0)) > 0.01`); got != 0 {
			t.Errorf("%d stored balances do not add up their entries", got)
		}
		// Evidence: training moved levels, and the participations say which.
		if got := count(`SELECT COUNT(*) FROM competence_evidence WHERE source = 'training'`); got == 0 {
			t.Error("no training evidence")
		}
		if got := count(`SELECT COUNT(*) FROM participations WHERE lines_moved <> ''`); got == 0 {
			t.Error("no participation moved a line")
		}
		// Enrolments in upcoming editions.
		if got := count(`SELECT COUNT(*) FROM participations pa JOIN event_editions ed ON ed.id = pa.edition_id
			WHERE pa.state = 'enrolled' AND ed.start_date > $1`, db.Now().Format("2006-01-02")); got == 0 {
			t.Error("no enrolment in an upcoming edition")
		}
		if got := count(`SELECT COUNT(*) FROM participations WHERE state = 'enrolled'`); got > n/5 {
			t.Errorf("%d enrolments: want a small share", got)
		}
		if got := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'seed' AND entity = 'participations'`); got < 1 || got > n {
			t.Errorf("audit entries of the seeded participations = %d, want one per batch", got)
		}
		if got := count(`SELECT COUNT(*) FROM seed_runs WHERE step = 'participations' AND finished_at IS NOT NULL`); got != 1 {
			t.Errorf("seed_runs has %d finished participations steps", got)
		}

		// A rerun skips every professional who has a history.
		before := count(`SELECT COUNT(*) FROM participations`)
		rep, err := env.M.Participation.SimulateParticipations(env.Sys(), participation.SimOptions{Seed: seed.DefaultSeed}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Participations != 0 || rep.Skipped < n*9/10 {
			t.Errorf("rerun: %+v, want nothing written and the professionals skipped", rep)
		}
		if got := count(`SELECT COUNT(*) FROM participations`); got != before {
			t.Errorf("rerun changed the participations: %d, was %d", got, before)
		}
		// Only the system seeds.
		if _, err := env.M.Participation.SimulateParticipations(t.Context(), participation.SimOptions{}, nil); err == nil {
			t.Error("SimulateParticipations without the system actor succeeded")
		}

		// The scenarios run with sane figures; the report scenario removes its report.
		c, rest, _ = app.FindCommand([]string{"bench", "--quick", "--require-sane", "--history", "",
			"--scenario", "participation.report,credits.balance.seeded,credits.compliance.seeded,credits.recompute.seeded"})
		env.Out.Reset()
		if err := c.Run(env.Sys(), env.M, rest); err != nil {
			t.Fatalf("bench: %v\n%s", err, env.Out.String())
		}
		for _, k := range []string{`"scenario":"participation.report"`, `"scenario":"credits.balance.seeded"`,
			`"scenario":"credits.compliance.seeded"`, `"scenario":"credits.recompute.seeded"`} {
			if !strings.Contains(env.Out.String(), k) {
				t.Errorf("no figure %s in:\n%s", k, env.Out.String())
			}
		}
		if got := count(`SELECT COUNT(*) FROM participations`); got != before {
			t.Errorf("after the report benchmark: %d participations, was %d", got, before)
		}
		if got := count(`SELECT COUNT(*) FROM participation_reports`); got != 0 {
			t.Errorf("after the report benchmark: %d reports left", got)
		}
		if got := count(`SELECT COUNT(*) FROM credit_entries ce WHERE NOT EXISTS (SELECT 1 FROM participations pa WHERE pa.id = ce.participation_id)`); got != 0 {
			t.Errorf("after the report benchmark: %d credit entries without their participation", got)
		}
	})
}
