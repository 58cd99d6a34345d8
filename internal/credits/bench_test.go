package credits

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// The benchmark functions run end to end (149 of the 300 work in the big organisation: i % 8 in 0, 5, 6, 7) on a small world (their figures are checked for
// sanity, not judged: the machine is shared).
func TestBenchFunctionsRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		d := dbtest.Open(t, dl)
		ctx := context.Background()
		b, err := BenchBalance(ctx, d, 300, 6, 200)
		if err != nil || b.Professionals != 300 || b.Figure("balance_p99_ms").Value <= 0 {
			t.Fatalf("balance: %+v %v", b, err)
		}
		c, err := BenchCompliance(ctx, d, 300, 6, 20)
		if err != nil || c.Figure("org_staff").Value != 149 || c.Figure("compliance_p95_ms").Value <= 0 {
			t.Fatalf("compliance: %+v %v", c, err)
		}
		r, err := BenchRecompute(ctx, d, 300, 6)
		if err != nil || r.Figure("recompute_s").Value <= 0 || r.Figure("report_10k_post_s").Value <= 0 {
			t.Fatalf("recompute: %+v %v", r, err)
		}
		var n int
		if err := d.Read.QueryRow(`SELECT COUNT(*) FROM credit_entries WHERE title = 'Convegno di benchmark'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("benchmark report left %d entries (%v)", n, err)
		}
	})
}

// BenchmarkCredits measures balance, compliance and recompute on a generated world of
// CREDITS_BENCH_N professionals (default 50,000) with CREDITS_BENCH_PER entries each
// (default 7, the national ~9 M / 1.3 M), on SQLite, on a throwaway PostgreSQL database
// (CREDITS_BENCH_PG=1 with ESD_TEST_POSTGRES_URL) or on CREDITS_BENCH_DB (a file path or
// postgres:// URL kept between runs). One JSON line per result:
//
//	CREDITS_BENCH_N=50000 go test ./internal/credits -run XXX -bench Credits -benchtime 1x -timeout 30m
func BenchmarkCredits(b *testing.B) {
	n, per := 50_000, 7
	if v, err := strconv.Atoi(os.Getenv("CREDITS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("CREDITS_BENCH_PER")); err == nil && v > 0 {
		per = v
	}
	ctx := context.Background()
	var d *db.DB
	if u := os.Getenv("CREDITS_BENCH_DB"); u != "" {
		var err error
		if d, err = db.Open(ctx, u); err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		if err := d.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
	} else if os.Getenv("CREDITS_BENCH_PG") == "1" {
		d = dbtest.Open(b, db.Postgres) // a throwaway database on ESD_TEST_POSTGRES_URL
	} else {
		d = dbtest.Open(b, db.SQLite)
	}
	for i := 0; i < b.N; i++ {
		for _, run := range []func() (BenchResult, error){
			func() (BenchResult, error) { return BenchRecompute(ctx, d, n, per) },
			func() (BenchResult, error) { return BenchBalance(ctx, d, n, per, 2000) },
			func() (BenchResult, error) { return BenchCompliance(ctx, d, n, per, 100) },
		} {
			r, err := run()
			if err != nil {
				b.Fatal(err)
			}
			js, _ := json.Marshal(r)
			b.Log(string(js))
		}
	}
}
