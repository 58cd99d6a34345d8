package catalogue

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// BenchmarkSearch runs BenchSearch on a throwaway SQLite database (PostgreSQL with
// ESD_BENCH_POSTGRES=1 and ESD_TEST_POSTGRES_URL set) with ESD_BENCH_EVENTS events
// (default 20000; the national figure is 600000); ESD_BENCH_DB keeps the database between
// runs:
//
//	ESD_BENCH_EVENTS=600000 go test ./internal/catalogue -run XXX -bench Search -benchtime 1x -timeout 60m
func BenchmarkSearch(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("ESD_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	dialect := db.SQLite
	if os.Getenv("ESD_BENCH_POSTGRES") == "1" {
		dialect = db.Postgres
	}
	var d *db.DB
	if path := os.Getenv("ESD_BENCH_DB"); path != "" {
		// A kept database (SQLite path or postgres:// URL), so repeated runs skip the load.
		var err error
		if d, err = db.Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		if err := d.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
	} else {
		d = dbtest.Open(b, dialect)
	}
	for b.Loop() {
		res, err := BenchSearch(context.Background(), d, n, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.P50ms, "p50-ms")
		b.ReportMetric(res.P95ms, "p95-ms")
		b.ReportMetric(res.P99ms, "p99-ms")
		b.ReportMetric(res.BaselineP95ms, "baseline-p95-ms")
		b.ReportMetric(res.RatioP95, "ratio-p95")
		b.ReportMetric(res.IndexBuildMs, "index-build-ms")
		b.Log(res.String())
		for _, q := range res.Slowest {
			b.Log("slow: ", q)
		}
		for _, l := range res.JSONLines() {
			b.Log(l)
		}
	}
}
