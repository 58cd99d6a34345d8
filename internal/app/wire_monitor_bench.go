package app

import (
	"context"
	"fmt"

	"esd/internal/bench"
	"esd/internal/monitor"
	"esd/internal/seed"
)

// monitorPanels are the dashboard panels monitor.BenchDashboard measures.
var monitorPanels = []string{"map_by_region", "region_by_organisation", "organisation_by_profession", "heatmap"}

// monitorRebuildScenario measures a full rebuild of the monitoring aggregates from the
// seeded sources (issue target: ≤ 120 s and ≤ 1 GiB at L), against a plain scan of the
// professionals and their levels in the same run.
func monitorRebuildScenario(m *Main, ds seed.Dataset) bench.Scenario {
	return bench.Scenario{
		Name:  "monitor.rebuild",
		About: fmt.Sprintf("full rebuild of the monitoring aggregates of the %d seeded professionals", ds.Professionals),
		Specs: []bench.Spec{
			{Metric: "rebuild_s", Unit: "s", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(120)}},
			{Metric: "ratio_to_source_scan", Unit: "ratio", Better: bench.Lower},
			{Metric: "heap_peak_mib", Unit: "MiB", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(1024)}},
		},
		NoWarmup: true,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			rep, err := monitor.BenchRebuild(ctx, m.DB)
			if err != nil {
				return nil, err
			}
			out := map[string]float64{}
			for _, f := range rep.Figures {
				switch f.Metric {
				case "duration":
					out["rebuild_s"], out["ratio_to_source_scan"] = f.Value, f.Ratio
				case "heap_peak":
					out["heap_peak_mib"] = f.Value
				}
			}
			return out, nil
		},
	}
}

// monitorDashboardScenario measures each dashboard panel as concurrent viewers ask it (50
// viewers, 5 in quick mode), p95 against one primary-key read of a counter (target ≤ 100 ms).
func monitorDashboardScenario(m *Main, quick bool) bench.Scenario {
	viewers, rounds := 50, 4
	if quick {
		viewers, rounds = 5, 1
	}
	var specs []bench.Spec
	for _, p := range monitorPanels {
		specs = append(specs, bench.Spec{Metric: p + "_p95_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(100)}},
			bench.Spec{Metric: p + "_ratio_to_pk", Unit: "ratio", Better: bench.Lower})
	}
	return bench.Scenario{
		Name:  "monitor.dashboard",
		About: fmt.Sprintf("dashboard panels with %d concurrent viewers, %d rounds each", viewers, rounds),
		Specs: specs,
		Rep: func(ctx context.Context) (map[string]float64, error) {
			rep, err := monitor.BenchDashboard(ctx, m.DB, viewers, rounds)
			if err != nil {
				return nil, err
			}
			out := map[string]float64{}
			for _, f := range rep.Figures {
				name := f.Scenario[len("dashboard_"):]
				out[name+"_p95_ms"], out[name+"_ratio_to_pk"] = f.Value, f.Ratio
			}
			return out, nil
		},
	}
}
