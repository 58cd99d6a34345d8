package app

import (
	"context"
	"fmt"

	"esd/internal/bench"
)

// xapiIngestScenario measures the LRS through the whole server (issue 15 targets, SQLite):
// single-statement POSTs ≥ 2,500/s with p99 ≤ 100 ms, batches of 100 ≥ 6,000 statements/s,
// both ≥ 50 % of the no-validation floor of the same rows measured in the same run, a query
// by agent p95 ≤ 50 ms, ≤ 600 bytes stored per statement. 20,000 statements (2,000 quick),
// removed afterwards.
func xapiIngestScenario(m *Main, quick bool) bench.Scenario {
	n, clients := 10_000, 8
	if quick {
		n = 1_000
	}
	return bench.Scenario{
		Name:  "xapi.ingest",
		About: fmt.Sprintf("%d single-statement POSTs from %d clients and %d statements in batches of 100, through HTTP, then 200 queries by agent", n, clients, n),
		Specs: []bench.Spec{
			{Metric: "single_per_s", Unit: "1/s", Better: bench.Higher, Targets: []bench.Target{bench.AtLeast(2500)}},
			{Metric: "single_p99_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(100)}},
			{Metric: "single_ratio_to_floor", Unit: "ratio", Better: bench.Higher, Targets: []bench.Target{bench.AtLeast(0.5)}},
			{Metric: "batch_per_s", Unit: "1/s", Better: bench.Higher, Targets: []bench.Target{bench.AtLeast(6000)}},
			{Metric: "batch_ratio_to_floor", Unit: "ratio", Better: bench.Higher, Targets: []bench.Target{bench.AtLeast(0.5)}},
			{Metric: "query_agent_p95_ms", Unit: "ms", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(50)}},
			{Metric: "bytes_per_statement", Unit: "B", Better: bench.Lower, Targets: []bench.Target{bench.AtMost(600)}},
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			if m.XAPI == nil {
				return nil, fmt.Errorf("the LRS is not wired")
			}
			var provider int64
			if err := m.DB.Read.QueryRowContext(ctx, `SELECT id FROM organisations WHERE kind = 'provider' ORDER BY id LIMIT 1`).Scan(&provider); err != nil {
				return nil, fmt.Errorf("no provider in the database (run esd seed or --demo first): %w", err)
			}
			r, err := m.XAPI.Bench(ctx, m.Server, provider, n, clients)
			if err != nil {
				return nil, err
			}
			return map[string]float64{"single_per_s": r.SinglePerSec, "single_p99_ms": r.SingleP99ms, "single_ratio_to_floor": r.SinglePerSec / r.SingleFloorPerSec,
				"batch_per_s": r.BatchPerSec, "batch_ratio_to_floor": r.BatchPerSec / r.BatchFloorPerSec, "query_agent_p95_ms": r.QueryP95ms,
				"bytes_per_statement": r.BytesPerStatement}, nil
		},
	}
}
