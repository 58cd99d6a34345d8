package assess

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// benchN is the number of professionals of the benchmarks: ESD_BENCH_N, default 20 000.
func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("ESD_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 20000
}

func report(b *testing.B, ms []BenchMetric) {
	for _, m := range ms {
		line, _ := json.Marshal(m)
		b.Log(string(line))
	}
}

// BenchmarkGaps: go test -run XXX -bench Gaps ./internal/assess/ (ESD_BENCH_N=…; on
// PostgreSQL too when ESD_TEST_POSTGRES_URL is set).
func BenchmarkGaps(b *testing.B) {
	for _, d := range dbtest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			x := dbtest.Open(b, d)
			ms, err := BenchGaps(context.Background(), x, benchN(), max(b.N, 2000))
			if err != nil {
				b.Fatal(err)
			}
			report(b, ms)
			b.ReportMetric(ms[1].Value, "p99_ms")
			b.ReportMetric(ms[1].Ratio, "p99_ratio_to_pk_lookup")
		})
	}
}

// BenchmarkRegenerate: go test -run XXX -bench Regenerate -benchtime 1x ./internal/assess/
func BenchmarkRegenerate(b *testing.B) {
	for _, d := range dbtest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				x := dbtest.Open(b, d)
				ms, err := BenchRegenerate(context.Background(), x, benchN())
				if err != nil {
					b.Fatal(err)
				}
				report(b, ms)
				for _, m := range ms {
					if m.Metric == "seconds" {
						b.ReportMetric(m.Value, m.Scenario[len("assess_regenerate_"):]+"_s")
					}
				}
			}
		})
	}
}

// The benchmarks' own code runs in the test suite on a small world, so it cannot rot.
func TestBenchFunctionsSmall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		x := dbtest.Open(t, d)
		ms, err := BenchRegenerate(context.Background(), x, 500)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, m := range ms {
			got[m.Scenario+"/"+m.Metric] = m.Value
		}
		if got["assess_regenerate_initial/objectives_inserted"] < 500 || got["assess_regenerate_initial/professionals_changed"] != 500 {
			t.Fatalf("initial run: %v", got)
		}
		// Only persona 4 (a tenth of the professionals) changed.
		if c := got["assess_regenerate_after_persona_change/professionals_changed"]; c < 1 || c > 50 {
			t.Fatalf("after the persona change %v professionals changed", c)
		}
		if c := got["assess_regenerate_one_persona/professionals_changed"]; c < 1 || c > 50 || got["assess_regenerate_one_persona/professionals_per_second"] == 0 {
			t.Fatalf("one persona: %v professionals changed", c)
		}
		x2 := dbtest.Open(t, d)
		gs, err := BenchGaps(context.Background(), x2, 300, 200)
		if err != nil || len(gs) != 2 || gs[1].Value <= 0 {
			t.Fatalf("gaps bench: %+v %v", gs, err)
		}
	})
}
