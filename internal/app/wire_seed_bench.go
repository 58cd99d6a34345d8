package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"

	"esd/internal/assess"
	"esd/internal/bench"
	"esd/internal/catalogue"
	"esd/internal/credits"
	"esd/internal/db"
	"esd/internal/persona"
	"esd/internal/registry"
	"esd/internal/seed"
)

// capabilityScenarios are the benchmarks each merged capability exports, run through the
// harness so they get the in-run baselines, ratios, memory and history like the rest.
func capabilityScenarios(m *Main, ds seed.Dataset, quick bool) []bench.Scenario {
	return []bench.Scenario{registryImportScenario(m, quick), personaReassignScenario(m, ds),
		catalogueSearchScenario(m, quick), seededCatalogueSearchScenario(m, ds),
		assessRegenerateScenario(m, quick), assessGapsScenario(m, quick), seededGapsScenario(m, ds, quick),
		participationReportScenario(m, ds, quick), seededBalanceScenario(m, ds, quick), seededComplianceScenario(m, ds, quick),
		seededRecomputeScenario(m, ds), monitorRebuildScenario(m, ds), monitorDashboardScenario(m, quick), xapiIngestScenario(m, quick)}
}

// participationReportScenario measures the import of a 10,000-participant rapporto evento
// (1,000 in quick mode) on the seeded database with participation.Service.BenchReport,
// against a raw insert of the same participation rows; the report is removed afterwards.
func participationReportScenario(m *Main, ds seed.Dataset, quick bool) bench.Scenario {
	n := 10_000
	if quick {
		n = 1_000
	}
	var rep atomic.Int64
	return bench.Scenario{
		Name:  "participation.report",
		About: fmt.Sprintf("import of a %d-participant rapporto evento XML for a seeded edition, as its provider (removed afterwards)", n),
		Specs: []bench.Spec{
			{Metric: "import_s", Unit: "s", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(2)}},
			{Metric: "ratio_to_raw_insert", Unit: "ratio", Better: bench.Lower},
			{Metric: "participants_per_s", Unit: "1/s", Better: bench.Higher},
			{Metric: "participants", Unit: "participants", Better: bench.Higher},
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			if ds.Size == "" || m.Participation == nil {
				return nil, fmt.Errorf("the database is not seeded: run esd seed first")
			}
			r, err := m.Participation.BenchReport(ctx, n, int(rep.Add(1)-1))
			if err != nil {
				return nil, err
			}
			return map[string]float64{"import_s": r.ImportSecs, "ratio_to_raw_insert": r.Ratio,
				"participants_per_s": float64(r.Participants) / r.ImportSecs, "participants": float64(r.Participants)}, nil
		},
	}
}

// creditFigures indexes credits benchmark figures by metric.
func creditFigures(fs []credits.BenchFigure) map[string]credits.BenchFigure {
	out := map[string]credits.BenchFigure{}
	for _, f := range fs {
		out[f.Metric] = f
	}
	return out
}

// seededBalanceScenario measures a seeded professional's balance through the credits
// service (credits.BenchBalanceOn) against a primary-key lookup.
func seededBalanceScenario(m *Main, ds seed.Dataset, quick bool) bench.Scenario {
	calls := 3_000
	if quick {
		calls = 300
	}
	var w credits.SeededWorld
	return bench.Scenario{
		Name:  "credits.balance.seeded",
		About: fmt.Sprintf("ECM balance of one seeded professional (%d calls over the %d seeded)", calls, ds.Professionals),
		Specs: []bench.Spec{
			{Metric: "p50_ms", Unit: "ms", Better: bench.Lower},
			{Metric: "p99_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(5)}},
			{Metric: "p99_ratio_to_pk_lookup", Unit: "ratio", Better: bench.Lower},
		},
		Setup: func(ctx context.Context) (err error) {
			w, err = credits.LoadSeededWorld(ctx, m.DB)
			return err
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			fs, err := credits.BenchBalanceOn(ctx, m.Credits, w.IDs, calls)
			if err != nil {
				return nil, err
			}
			x := creditFigures(fs)
			return map[string]float64{"p50_ms": x["balance_p50_ms"].Value, "p99_ms": x["balance_p99_ms"].Value, "p99_ratio_to_pk_lookup": x["balance_p99_ms"].Ratio}, nil
		},
	}
}

// seededComplianceScenario measures the compliance view of the seeded organisation with the
// most staff, as its training office, through the credits service (the page renders what
// Service.Compliance returns; credits.BenchComplianceOn).
func seededComplianceScenario(m *Main, ds seed.Dataset, quick bool) bench.Scenario {
	calls := 200
	if quick {
		calls = 30
	}
	var w credits.SeededWorld
	return bench.Scenario{
		Name:  "credits.compliance.seeded",
		About: fmt.Sprintf("compliance of the seeded organisation with the most staff (%d calls)", calls),
		Specs: []bench.Spec{
			{Metric: "p50_ms", Unit: "ms", Better: bench.Lower},
			{Metric: "p95_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(200)}},
			{Metric: "p95_ratio_to_pk_lookup", Unit: "ratio", Better: bench.Lower},
			{Metric: "staff", Unit: "professionals", Better: bench.Higher},
		},
		Setup: func(ctx context.Context) (err error) {
			w, err = credits.LoadSeededWorld(ctx, m.DB)
			return err
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			fs, err := credits.BenchComplianceOn(ctx, m.Credits, w.Organisation, w.Region, w.IDs, calls)
			if err != nil {
				return nil, err
			}
			x := creditFigures(fs)
			return map[string]float64{"p50_ms": x["compliance_p50_ms"].Value, "p95_ms": x["compliance_p95_ms"].Value,
				"p95_ratio_to_pk_lookup": x["compliance_p95_ms"].Ratio, "staff": x["org_staff"].Value}, nil
		},
	}
}

// seededRecomputeScenario measures the recompute of every seeded balance (after a rule
// change) with credits.BenchRecomputeOn, against a scan of the whole ledger, and projects
// it to 1.3 M professionals.
func seededRecomputeScenario(m *Main, ds seed.Dataset) bench.Scenario {
	return bench.Scenario{
		Name:  "credits.recompute.seeded",
		About: fmt.Sprintf("recompute of every stored balance of the %d seeded professionals", ds.Professionals),
		Specs: []bench.Spec{
			{Metric: "recompute_s", Unit: "s", Better: bench.Lower},
			{Metric: "ratio_to_ledger_scan", Unit: "ratio", Better: bench.Lower},
			{Metric: "professionals_per_s", Unit: "1/s", Better: bench.Higher},
			{Metric: "projected_1_3M_s", Unit: "s", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(120)}},
		},
		NoWarmup: true,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			fs, _, err := credits.BenchRecomputeOn(ctx, m.Credits)
			if err != nil {
				return nil, err
			}
			x := creditFigures(fs)
			return map[string]float64{"recompute_s": x["recompute_s"].Value, "ratio_to_ledger_scan": x["recompute_s"].Ratio,
				"professionals_per_s": x["recompute_professionals_per_s"].Value, "projected_1_3M_s": x["recompute_projected_1_3M_s"].Value}, nil
		},
	}
}

// seededCatalogueSearchScenario measures the catalogue search over the seeded dataset's own
// events (600 k at size L), through a fresh catalogue service so the index build is timed
// too. It writes nothing.
func seededCatalogueSearchScenario(m *Main, ds seed.Dataset) bench.Scenario {
	return bench.Scenario{
		Name:  "catalogue.search.seeded",
		About: "catalogue search over the seeded dataset's events (index built from the database)",
		Specs: append(catalogueSearchSpecs(),
			bench.Spec{Metric: "index_heap_mb", Unit: "MiB", Better: bench.Lower},
			bench.Spec{Metric: "events", Unit: "events", Better: bench.Higher}),
		NoWarmup: true,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			if ds.Size == "" {
				return nil, fmt.Errorf("the database is not seeded: run esd seed first")
			}
			r, err := catalogue.BenchSearch(ctx, m.DB, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return nil, err
			}
			return map[string]float64{"p50_ms": r.P50ms, "p95_ms": r.P95ms, "p99_ms": r.P99ms, "ratio_p95_to_pk_lookup": r.RatioP95,
				"index_build_ms": r.IndexBuildMs, "index_heap_mb": r.HeapMB, "events": float64(r.Events)}, nil
		},
	}
}

// seededGapsScenario measures one professional's gap analysis on the seeded dataset through
// the platform's own assessment service: real personas and overlays, and the 140 packed
// levels each professional's simulated assessment left.
func seededGapsScenario(m *Main, ds seed.Dataset, quick bool) bench.Scenario {
	calls := 3_000
	if quick {
		calls = 300
	}
	return bench.Scenario{
		Name:  "assess.gaps.seeded",
		About: fmt.Sprintf("gap analysis of one seeded professional (%d calls over the %d seeded)", calls, ds.Professionals),
		Specs: []bench.Spec{
			{Metric: "p50_ms", Unit: "ms", Better: bench.Lower},
			{Metric: "p99_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(5)}},
			{Metric: "p99_ratio_to_pk_lookup", Unit: "ratio", Better: bench.Lower},
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			ids, err := db.Int64s(ctx, m.DB.Read, `SELECT professional_id FROM competence_levels`)
			if err != nil {
				return nil, err
			}
			ms, err := assess.BenchGapsOn(ctx, m.Assess, ids, calls, "seed-"+ds.Size)
			if err != nil {
				return nil, err
			}
			x := assessMetrics(ms)
			return map[string]float64{"p50_ms": x["assess_gap_one_professional/p50"].Value, "p99_ms": x["assess_gap_one_professional/p99"].Value,
				"p99_ratio_to_pk_lookup": x["assess_gap_one_professional/p99"].Ratio}, nil
		},
	}
}

// catalogueSearchSpecs are the figures of a catalogue search scenario.
func catalogueSearchSpecs() []bench.Spec {
	return []bench.Spec{
		{Metric: "p50_ms", Unit: "ms", Better: bench.Lower},
		{Metric: "p95_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(50)}},
		{Metric: "p99_ms", Unit: "ms", Better: bench.Lower},
		{Metric: "ratio_p95_to_pk_lookup", Unit: "ratio", Better: bench.Lower},
		{Metric: "index_build_ms", Unit: "ms", Better: bench.Lower},
	}
}

// catalogueSearchScenario measures the catalogue search with catalogue.BenchSearch: it loads
// a generated catalogue into a scratch database (once, in Setup: the search is what is
// measured), then times search queries as a professional against a primary-key lookup.
func catalogueSearchScenario(m *Main, quick bool) bench.Scenario {
	n := 20_000
	if quick {
		n = 2_000
	}
	var d *db.DB
	var drop func()
	return bench.Scenario{
		Name:  "catalogue.search",
		About: fmt.Sprintf("catalogue search over %d generated events on a scratch database", n),
		Specs: catalogueSearchSpecs(),
		Setup: func(ctx context.Context) error {
			var err error
			d, drop, err = openScratchDB(ctx, m)
			return err
		},
		Teardown: func(context.Context) error {
			if d != nil {
				d.Close()
			}
			if drop != nil {
				drop()
			}
			return nil
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			r, err := catalogue.BenchSearch(ctx, d, n, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return nil, err
			}
			return map[string]float64{"p50_ms": r.P50ms, "p95_ms": r.P95ms, "p99_ms": r.P99ms, "ratio_p95_to_pk_lookup": r.RatioP95,
				"index_build_ms": r.IndexBuildMs}, nil
		},
	}
}

// assessMetrics indexes assess benchmark figures by scenario/metric.
func assessMetrics(ms []assess.BenchMetric) map[string]assess.BenchMetric {
	out := map[string]assess.BenchMetric{}
	for _, x := range ms {
		out[x.Scenario+"/"+x.Metric] = x
	}
	return out
}

// assessRegenerateScenario measures the regeneration of everyone's objectives with
// assess.BenchRegenerate on a scratch database (it builds its own world of n professionals):
// the first generation and the re-run after a persona's targets change.
func assessRegenerateScenario(m *Main, quick bool) bench.Scenario {
	n := 10_000
	if quick {
		n = 1_000
	}
	return bench.Scenario{
		Name:  "assess.regenerate",
		About: fmt.Sprintf("objectives of %d professionals regenerated, on a scratch database", n),
		Specs: []bench.Spec{
			{Metric: "initial_professionals_per_s", Unit: "1/s", Better: bench.Higher},
			{Metric: "initial_rows_ratio_to_raw_insert", Unit: "ratio", Better: bench.Higher},
			{Metric: "change_professionals_per_s", Unit: "1/s", Better: bench.Higher},
			{Metric: "change_rows_ratio_to_raw_insert", Unit: "ratio", Better: bench.Higher},
			{Metric: "initial_peak_heap_mb", Unit: "MiB", Better: bench.Lower},
		},
		NoWarmup: true,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			var ms []assess.BenchMetric
			err := withScratchDB(ctx, m, func(d *db.DB) error {
				var err error
				ms, err = assess.BenchRegenerate(ctx, d, n)
				return err
			})
			if err != nil {
				return nil, err
			}
			x := assessMetrics(ms)
			return map[string]float64{
				"initial_professionals_per_s":      x["assess_regenerate_initial/professionals_per_second"].Value,
				"initial_rows_ratio_to_raw_insert": x["assess_regenerate_initial/objective_rows_written_per_second"].Ratio,
				"change_professionals_per_s":       x["assess_regenerate_after_persona_change/professionals_per_second"].Value,
				"change_rows_ratio_to_raw_insert":  x["assess_regenerate_after_persona_change/objective_rows_written_per_second"].Ratio,
				"initial_peak_heap_mb":             x["assess_regenerate_initial/peak_heap"].Value,
			}, nil
		},
	}
}

// assessGapsScenario measures one professional's gap analysis through the service with
// assess.BenchGaps on a scratch database, against a primary-key lookup in the same run.
func assessGapsScenario(m *Main, quick bool) bench.Scenario {
	n, calls := 10_000, 2_000
	if quick {
		n, calls = 1_000, 300
	}
	return bench.Scenario{
		Name:  "assess.gaps",
		About: fmt.Sprintf("gap analysis of one professional (%d calls, world of %d), on a scratch database", calls, n),
		Specs: []bench.Spec{
			{Metric: "p50_ms", Unit: "ms", Better: bench.Lower},
			{Metric: "p99_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(5)}},
			{Metric: "p99_ratio_to_pk_lookup", Unit: "ratio", Better: bench.Lower},
		},
		NoWarmup: true,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			var ms []assess.BenchMetric
			err := withScratchDB(ctx, m, func(d *db.DB) error {
				var err error
				ms, err = assess.BenchGaps(ctx, d, n, calls)
				return err
			})
			if err != nil {
				return nil, err
			}
			x := assessMetrics(ms)
			return map[string]float64{"p50_ms": x["assess_gap_one_professional/p50"].Value, "p99_ms": x["assess_gap_one_professional/p99"].Value,
				"p99_ratio_to_pk_lookup": x["assess_gap_one_professional/p99"].Ratio}, nil
		},
	}
}

// registryImportScenario measures the registry's CSV import of professionals (parsing,
// validation, audit, commit) with registry.BenchmarkImport. The import needs a database
// without professionals, so every repetition runs on a fresh scratch database of the same
// kind as the configured one (a temporary SQLite file, or a throwaway PostgreSQL database on
// the same server); the seeded dataset is not touched.
func registryImportScenario(m *Main, quick bool) bench.Scenario {
	n := 20_000
	if quick {
		n = 2_000
	}
	return bench.Scenario{
		Name:  "registry.import",
		About: fmt.Sprintf("CSV import of %d professionals through the registry service, on a scratch database", n),
		Specs: []bench.Spec{
			{Metric: "rows_per_s", Unit: "rows/s", Better: bench.Higher, Baseline: bench.BaselineInsert, Targets: []bench.Target{bench.AtLeast(20_000)}},
			{Metric: "ratio_to_own_raw_insert", Unit: "ratio", Better: bench.Higher, Targets: []bench.Target{bench.AtLeast(0.10)}},
			{Metric: "reimport_rows_per_s", Unit: "rows/s", Better: bench.Higher, Baseline: bench.BaselineInsert},
			{Metric: "cpu_s", Unit: "s", Better: bench.Lower},
		},
		NoWarmup: true,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			var res registry.BenchResult
			err := withScratchDB(ctx, m, func(d *db.DB) error {
				var err error
				res, err = registry.BenchmarkImport(ctx, d, n)
				return err
			})
			if err != nil {
				return nil, err
			}
			return map[string]float64{"rows_per_s": res.ImportRowsPerSec, "ratio_to_own_raw_insert": res.Ratio,
				"reimport_rows_per_s": res.ReimportRowsPerSec, "cpu_s": res.ImportCPUSeconds}, nil
		},
	}
}

// personaReassignScenario measures the persona re-assignment of every seeded professional
// with persona.BenchReassign: a first assignment (every profile written), a pass where
// nothing changes, and a rule change moving every nurse. It leaves every professional with
// the rule-based profile the seed gave them.
func personaReassignScenario(m *Main, ds seed.Dataset) bench.Scenario {
	return bench.Scenario{
		Name:  "persona.reassign",
		About: fmt.Sprintf("persona re-assignment of the %d seeded professionals", ds.Professionals),
		Specs: []bench.Spec{
			{Metric: "first_rate", Unit: "professionals/s", Better: bench.Higher, Baseline: bench.BaselineStream},
			{Metric: "first_s", Unit: "s", Better: bench.Lower},
			{Metric: "first_ratio_to_own_raw_scan", Unit: "ratio", Better: bench.Lower},
			{Metric: "no_change_rate", Unit: "professionals/s", Better: bench.Higher, Baseline: bench.BaselineStream},
			{Metric: "rule_change_rate", Unit: "professionals/s", Better: bench.Higher, Baseline: bench.BaselineStream},
			{Metric: "first_heap_peak_mb", Unit: "MiB", Better: bench.Lower},
		},
		NoWarmup: true,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			rep, err := persona.BenchReassign(ctx, m.DB, 0)
			if err != nil {
				return nil, err
			}
			fig := map[string]persona.BenchFigure{}
			for _, f := range rep.Figures {
				fig[f.Metric] = f
			}
			out := map[string]float64{
				"first_rate":                  fig["first_assignment_rate"].Value,
				"first_s":                     fig["first_assignment_time"].Value,
				"first_ratio_to_own_raw_scan": fig["first_assignment_time"].Ratio,
				"no_change_rate":              fig["no_change_rate"].Value,
				"rule_change_rate":            fig["rule_change_rate"].Value,
				"first_heap_peak_mb":          fig["first_assignment_heap_inuse_peak"].Value,
			}
			return out, nil
		},
	}
}

var scratchSeq atomic.Int64

// withScratchDB runs fn on a fresh, migrated database of the configured kind and removes it
// afterwards.
func withScratchDB(ctx context.Context, m *Main, fn func(d *db.DB) error) error {
	d, drop, err := openScratchDB(ctx, m)
	if err != nil {
		return err
	}
	defer drop()
	defer d.Close()
	return fn(d)
}

// openScratchDB opens a fresh, migrated database of the configured kind (a temporary SQLite
// file, or a throwaway PostgreSQL database on the same server); drop removes it (close the
// database first).
func openScratchDB(ctx context.Context, m *Main) (d *db.DB, drop func(), err error) {
	n := scratchSeq.Add(1)
	var dsn string
	if m.DB.IsPostgres() {
		u, err := url.Parse(m.DB.URL)
		if err != nil {
			return nil, nil, err
		}
		name := fmt.Sprintf("esd_bench_scratch_%d_%d", os.Getpid(), n)
		if _, err := m.DB.Write.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			return nil, nil, fmt.Errorf("scratch database: %w", err)
		}
		drop = func() {
			_, _ = m.DB.Write.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		}
		u.Path = "/" + name
		dsn = u.String()
	} else {
		dir, err := os.MkdirTemp("", "esd-bench-scratch-")
		if err != nil {
			return nil, nil, err
		}
		drop = func() { _ = os.RemoveAll(dir) }
		dsn = filepath.Join(dir, "scratch.db")
	}
	d, err = db.Open(ctx, dsn)
	if err != nil {
		drop()
		return nil, nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		drop()
		return nil, nil, err
	}
	return d, drop, nil
}
