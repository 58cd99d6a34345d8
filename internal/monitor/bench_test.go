package monitor_test

import (
	"context"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/monitor"
)

// TestBenchFunctions runs the benchmark entry points on a small world: they must measure
// every panel and the rebuild with their baselines.
func TestBenchFunctions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := newSmallWorld(t, d)
		rb, err := monitor.BenchRebuild(context.Background(), w.d)
		if err != nil {
			t.Fatal(err)
		}
		if rb.Professionals != 42 || rb.Cells == 0 || len(rb.Figures) != 2 || rb.Figures[0].Value <= 0 || rb.Figures[0].Baseline <= 0 {
			t.Fatalf("rebuild report: %+v", rb)
		}
		dr, err := monitor.BenchDashboard(context.Background(), w.d, 4, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(dr.Figures) != 4 {
			t.Fatalf("dashboard report: %+v", dr)
		}
		for _, f := range dr.Figures {
			if f.Value <= 0 || f.Baseline <= 0 {
				t.Errorf("figure %+v", f)
			}
		}
		t.Logf("%s: rebuild %+v; dashboard %+v", d, rb.Figures, dr.Figures)
	})
}
