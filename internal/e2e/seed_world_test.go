package e2e

import (
	"net/http"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/bench"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/seed"
)

// TestSeedTinyWorldThroughServices seeds a tiny dataset with `esd seed` (professionals
// through the registry's CSV import, personas through the persona re-assignment, one account
// per role, objectives through the assessment service, events through the catalogue's bulk
// load) and checks the counts, that every professional has a rule-based profile, that
// the import left its audit trail, that the seeded accounts log in and see their data, that
// a second run does nothing again, and that the capability scenarios of `esd bench` run on it.
func TestSeedTinyWorldThroughServices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		const n = 300
		out, err := runCLI(t, env, "seed", "--size", "S", "--professionals", "300", "--history", "")
		if err != nil {
			t.Fatalf("seed: %v\n%s", err, out)
		}
		if !strings.Contains(out, "dataset S ready") {
			t.Fatalf("seed output:\n%s", out)
		}
		count := func(q string) int64 {
			t.Helper()
			var c int64
			if err := env.M.DB.Read.QueryRow(q).Scan(&c); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return c
		}
		if got := count(`SELECT COUNT(*) FROM professionals`); got != n {
			t.Errorf("professionals = %d, want %d", got, n)
		}
		if got := count(`SELECT COUNT(DISTINCT cf) FROM professionals`); got != n {
			t.Errorf("distinct codici fiscali = %d, want %d", got, n)
		}
		if got := count(`SELECT COUNT(DISTINCT region_id) FROM professionals`); got < 10 {
			t.Errorf("professionals in %d regions only", got)
		}
		// Every professional has a profile with a persona on the current framework version.
		if got := count(`SELECT COUNT(*) FROM professionals pr WHERE NOT EXISTS (SELECT 1 FROM profiles pf
			WHERE pf.professional_id = pr.id AND pf.persona_id IS NOT NULL)`); got != 0 {
			t.Errorf("%d professionals without a persona", got)
		}
		if got := count(`SELECT COUNT(DISTINCT persona_id) FROM profiles`); got < 3 {
			t.Errorf("only %d distinct personas assigned", got)
		}
		// Events through the catalogue's bulk path, by providers registered in the registry.
		if got := count(`SELECT COUNT(*) FROM events WHERE code LIKE 'SEED-%'`); got != int64(seed.SizeS.Events) {
			t.Errorf("events = %d, want %d", got, seed.SizeS.Events)
		}
		if got := count(`SELECT COUNT(DISTINCT e.provider_id) FROM events e JOIN organisations o ON o.id = e.provider_id WHERE o.kind = 'provider'`); got < 5 {
			t.Errorf("events from %d providers", got)
		}
		// Assessments through the assessment service's bulk simulation: one finished sitting
		// per professional, with its answers, its evidence and the stored levels.
		if got := count(`SELECT COUNT(*) FROM assessments WHERE state = 'finished' AND results <> ''`); got != n {
			t.Errorf("finished assessments = %d, want %d", got, n)
		}
		if got := count(`SELECT COUNT(*) FROM assessment_answers`); got < 20*n {
			t.Errorf("answers = %d, want at least 20 per assessment", got)
		}
		if got := count(`SELECT COUNT(*) FROM competence_levels`); got != n {
			t.Errorf("professionals with stored levels = %d, want %d", got, n)
		}
		if got := count(`SELECT COUNT(*) FROM competence_evidence WHERE source <> 'training'`); got < n || got > 2*n {
			t.Errorf("evidence rows = %d, want one or two per assessment", got)
		}
		// Objectives from the gaps: nearly everyone has some (a professional already at every
		// target has none).
		if got := count(`SELECT COUNT(DISTINCT professional_id) FROM objectives`); got < n*9/10 || got > n {
			t.Errorf("professionals with objectives = %d of %d", got, n)
		}
		if got := count(`SELECT COUNT(*) FROM audit_log`); got < 1 {
			t.Error("the import left no audit trail")
		}
		if got := count(`SELECT COUNT(*) FROM users WHERE username LIKE 'seed.%'`); got != int64(len(seed.SeedLogins)) {
			t.Errorf("seed accounts = %d, want %d", got, len(seed.SeedLogins))
		}
		ds, err := seed.Current(env.Sys(), env.M.DB)
		if err != nil || ds.Size != "S" || ds.Professionals != n {
			t.Fatalf("dataset %+v %v", ds, err)
		}

		// The seeded accounts log in: the national one sees the list, the professional their page.
		pw := seed.SeedPassword(seed.DefaultSeed)
		nat := env.Client().Login(seed.UserNational, pw)
		if r := nat.Get("/professionals"); r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/logout"`) {
			t.Errorf("national /professionals: %d", r.Status)
		}
		if r := nat.Get("/personas/heatmap"); r.Status != http.StatusOK {
			t.Errorf("national /personas/heatmap: %d", r.Status)
		}
		pro := env.Client().Login(seed.UserProfessional, pw)
		r := pro.Get("/professionals/me")
		if r.Status == http.StatusSeeOther {
			r = pro.Get(r.Header.Get("Location"))
		}
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/logout"`) {
			t.Errorf("professional's own page: %d", r.Status)
		}

		// A second run of the same seed finds every step done.
		if out, err := runCLI(t, env, "seed", "--size", "S", "--professionals", "300", "--history", ""); err != nil {
			t.Fatalf("second seed: %v\n%s", err, out)
		}
		if got := count(`SELECT COUNT(*) FROM professionals`); got != n {
			t.Errorf("after a second run: professionals = %d, want %d", got, n)
		}

		// The capability scenarios run on the seeded world with sane figures and ratios.
		out, err = runCLI(t, env, "bench", "--quick", "--require-sane", "--history", "",
			"--scenario", "registry.import,persona.reassign,catalogue.search,assess.gaps,http.professionals")
		if err != nil {
			t.Fatalf("bench: %v\n%s", err, out)
		}
		seen := map[string]bool{}
		for _, r := range benchRecords(t, out) {
			seen[r.Scenario+"/"+r.Metric] = true
			if r.BaselineMetric != "" && (r.Ratio == nil || !bench.Sane(*r.Ratio)) {
				t.Errorf("record without a sane ratio: %+v", r)
			}
		}
		for _, k := range []string{"registry.import/rows_per_s", "persona.reassign/first_rate", "catalogue.search/p95_ms", "assess.gaps/p99_ms", "http.professionals/p95_ms"} {
			if !seen[k] {
				t.Errorf("no figure %s:\n%s", k, out)
			}
		}
		if got := count(`SELECT COUNT(*) FROM professionals pr WHERE NOT EXISTS (SELECT 1 FROM profiles pf
			WHERE pf.professional_id = pr.id AND pf.persona_id IS NOT NULL)`); got != 0 {
			t.Errorf("after the persona benchmark: %d professionals without a persona", got)
		}
	})
}
