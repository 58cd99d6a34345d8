package app

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"

	"esd/internal/bench"
	"esd/internal/db"
	"esd/internal/persona"
	"esd/internal/registry"
	"esd/internal/seed"
)

// capabilityScenarios are the benchmarks each merged capability exports, run through the
// harness so they get the in-run baselines, ratios, memory and history like the rest.
func capabilityScenarios(m *Main, ds seed.Dataset, quick bool) []bench.Scenario {
	return []bench.Scenario{registryImportScenario(m, quick), personaReassignScenario(m, ds)}
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
	n := scratchSeq.Add(1)
	var dsn string
	var drop func()
	if m.DB.IsPostgres() {
		u, err := url.Parse(m.DB.URL)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("esd_bench_scratch_%d_%d", os.Getpid(), n)
		if _, err := m.DB.Write.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			return fmt.Errorf("scratch database: %w", err)
		}
		drop = func() {
			_, _ = m.DB.Write.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		}
		u.Path = "/" + name
		dsn = u.String()
	} else {
		dir, err := os.MkdirTemp("", "esd-bench-scratch-")
		if err != nil {
			return err
		}
		drop = func() { _ = os.RemoveAll(dir) }
		dsn = filepath.Join(dir, "scratch.db")
	}
	defer drop()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		return err
	}
	return fn(d)
}
