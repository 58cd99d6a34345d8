package monitor_test

import (
	"context"
	"os"
	"testing"

	"esd/internal/db"
	"esd/internal/monitor"
)

// TestBenchOnFile measures on an existing seeded database named by ESD_MONITOR_BENCH_DB (skipped
// otherwise): the figures of the closing note.
func TestBenchOnFile(t *testing.T) {
	path := os.Getenv("ESD_MONITOR_BENCH_DB")
	if path == "" {
		t.Skip("ESD_MONITOR_BENCH_DB not set")
	}
	ctx := context.Background()
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rb, err := monitor.BenchRebuild(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	dr, err := monitor.BenchDashboard(ctx, d, 50, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(rb.Figures, dr.Figures...) {
		t.Logf("%s %s %.2f %s (baseline %.3f, ratio %.1f, target %.0f)", f.Scenario, f.Metric, f.Value, f.Unit, f.Baseline, f.Ratio, f.Target)
	}
	t.Logf("%d professionals, %d cells", rb.Professionals, rb.Cells)
}
