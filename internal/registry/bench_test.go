package registry

import (
	"context"
	"os"
	"strconv"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// BenchmarkImport100k imports 100,000 generated professionals on SQLite (and PostgreSQL when
// configured) and reports rows/s next to a raw batch insert of the same run:
//
//	go test ./internal/registry/ -run '^$' -bench Import -benchtime 1x
//
// ESD_BENCH_ROWS changes the number of rows.
func BenchmarkImport100k(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("ESD_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	for _, d := range dbtest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				x := dbtest.Open(b, d)
				b.StartTimer()
				r, err := BenchmarkImport(context.Background(), x, n)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.ImportRowsPerSec, "rows/s")
				b.ReportMetric(r.RawRowsPerSec, "raw-rows/s")
				b.ReportMetric(r.Ratio, "ratio")
				b.ReportMetric(r.ReimportRowsPerSec, "reimport-rows/s")
				b.ReportMetric(r.ImportCPUSeconds, "import-cpu-s")
				b.ReportMetric(r.ImportSeconds, "import-wall-s")
				b.ReportMetric(r.RawCPUSeconds, "raw-cpu-s")
				b.Log("\n" + r.JSONLines())
			}
		})
	}
}

// The benchmark's machinery works (on a small file) in the normal test run.
func TestBenchmarkImportSmall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		r, err := BenchmarkImport(context.Background(), dbtest.Open(t, d), 500)
		if err != nil {
			t.Fatal(err)
		}
		if r.Rows != 500 || r.ImportRowsPerSec <= 0 || r.RawRowsPerSec <= 0 || r.AuditEntries != 501 {
			t.Fatalf("%+v", r)
		}
	})
}
