package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"esd/internal/db"
)

// The in-run baselines every scenario is compared with (performance.md): what this machine
// does, right now, on the simplest version of each kind of work.
const (
	// BaselineHTTP is a trivial JSON handler's capacity on loopback, closed loop over 64
	// connections, in requests/s.
	BaselineHTTP = "http_trivial_rps"
	// BaselineHTTPP50, …P95 and …P99 are the same handler's latency percentiles under the
	// open-loop rate used for the pages, in ms.
	BaselineHTTPP50 = "http_trivial_p50_ms"
	BaselineHTTPP95 = "http_trivial_p95_ms"
	BaselineHTTPP99 = "http_trivial_p99_ms"
	// BaselineInsert is a prepared multi-row batch insert into an unindexed table, 1,000 rows
	// per transaction, in rows/s.
	BaselineInsert = "raw_insert_rows_per_s"
	// BaselineScan is a full scan computing count and sum in SQL, in rows/s.
	BaselineScan = "raw_scan_rows_per_s"
	// BaselineStream is a full scan reading every row into Go, in rows/s: the floor of any
	// streaming pass (persona re-assignment, aggregate recompute).
	BaselineStream = "raw_stream_rows_per_s"
)

// BaselineConfig sizes the baselines.
type BaselineConfig struct {
	Rate         float64       // open-loop rate for the latency baseline (the pages' rate)
	HTTPDuration time.Duration // per repetition, per HTTP measurement
	Conns        int           // closed-loop connections; default 64
	InsertRows   int           // rows inserted per repetition
	ScanRows     int           // rows the scans read (the table is filled up to this)
	// InProcessLoad runs the load generator in this process instead of a child.
	InProcessLoad bool
}

// DefaultBaselineConfig is the configuration of a full run; quick is the CI smoke one.
func DefaultBaselineConfig(quick bool) BaselineConfig {
	if quick {
		return BaselineConfig{Rate: 100, HTTPDuration: 700 * time.Millisecond, Conns: 64, InsertRows: 20_000, ScanRows: 100_000}
	}
	return BaselineConfig{Rate: 100, HTTPDuration: 4 * time.Second, Conns: 64, InsertRows: 100_000, ScanRows: 1_000_000}
}

// Load runs a load configuration in a child process, or in this one when asked.
func (c BaselineConfig) Load(ctx context.Context, lc LoadConfig) (LoadResult, error) {
	if c.InProcessLoad {
		return RunLoad(ctx, lc)
	}
	return RunLoadProcess(ctx, lc)
}

// BaselineScenarioFor builds the baseline scenario on database d (its bench_scratch table,
// created by the 0400 migration and emptied afterwards).
func BaselineScenarioFor(d *db.DB, cfg BaselineConfig) Scenario {
	if cfg.Conns <= 0 {
		cfg.Conns = 64
	}
	var srv *http.Server
	var base string
	return Scenario{
		Name:  BaselineScenario,
		About: "in-run baselines: trivial HTTP handler, raw batch insert, raw full scans",
		Specs: []Spec{
			{Metric: BaselineHTTP, Unit: "req/s", Better: Higher},
			{Metric: BaselineHTTPP50, Unit: "ms", Better: Lower},
			{Metric: BaselineHTTPP95, Unit: "ms", Better: Lower},
			{Metric: BaselineHTTPP99, Unit: "ms", Better: Lower},
			{Metric: BaselineInsert, Unit: "rows/s", Better: Higher},
			{Metric: BaselineScan, Unit: "rows/s", Better: Higher},
			{Metric: BaselineStream, Unit: "rows/s", Better: Higher},
		},
		NoMemory: true,
		Setup: func(ctx context.Context) error {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			srv = &http.Server{Handler: trivialHandler(), ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = srv.Serve(ln) }()
			base = "http://" + ln.Addr().String()
			return ClearScratch(ctx, d)
		},
		Teardown: func(ctx context.Context) error {
			if srv != nil {
				_ = srv.Close()
			}
			return ClearScratch(context.WithoutCancel(ctx), d)
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			out := map[string]float64{}
			closed, err := cfg.Load(ctx, LoadConfig{URL: base + "/", Conns: cfg.Conns, Duration: cfg.HTTPDuration})
			if err != nil {
				return nil, err
			}
			if closed.ErrorRate() > 0.01 {
				return nil, fmt.Errorf("trivial handler: %d errors of %d (%s)", closed.Errors, closed.Scheduled, closed.FirstError)
			}
			out[BaselineHTTP] = closed.Throughput
			open, err := cfg.Load(ctx, LoadConfig{URL: base + "/", Rate: cfg.Rate, Duration: cfg.HTTPDuration})
			if err != nil {
				return nil, err
			}
			if open.ErrorRate() > 0.01 {
				return nil, fmt.Errorf("trivial handler under open load: %d errors, %d dropped (%s)", open.Errors, open.Dropped, open.FirstError)
			}
			out[BaselineHTTPP50], out[BaselineHTTPP95], out[BaselineHTTPP99] = open.P50, open.P95, open.P99
			rate, err := RawInsert(ctx, d, cfg.InsertRows)
			if err != nil {
				return nil, fmt.Errorf("raw insert: %w", err)
			}
			out[BaselineInsert] = rate
			if err := fillScratch(ctx, d, cfg.ScanRows); err != nil {
				return nil, err
			}
			if out[BaselineScan], err = RawScan(ctx, d); err != nil {
				return nil, fmt.Errorf("raw scan: %w", err)
			}
			if out[BaselineStream], err = RawStream(ctx, d); err != nil {
				return nil, fmt.Errorf("raw stream: %w", err)
			}
			return out, nil
		},
	}
}

func trivialHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"service":"esd-bench-trivial"}`))
	})
}

// ClearScratch empties the bench_scratch table of the raw baselines.
func ClearScratch(ctx context.Context, d *db.DB) error {
	q := `DELETE FROM bench_scratch`
	if d.IsPostgres() {
		q = `TRUNCATE bench_scratch`
	}
	_, err := d.Write.ExecContext(ctx, q)
	return err
}

// rawBatch is the number of rows per insert statement of the raw insert: 3 parameters per
// row keeps it well under both databases' parameter limits.
const rawBatch = 100

// RawInsert inserts n rows into the unindexed bench_scratch table with a prepared
// multi-row statement, 1,000 rows per transaction, and returns rows per second.
func RawInsert(ctx context.Context, d *db.DB, n int) (float64, error) {
	var q strings.Builder
	q.WriteString(`INSERT INTO bench_scratch (k, name, v) VALUES `)
	for i := 0; i < rawBatch; i++ {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + db.Placeholders(i*3+1, 3) + ")")
	}
	stmt, err := d.Write.PrepareContext(ctx, q.String())
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	args := make([]any, rawBatch*3)
	start := time.Now()
	done := 0
	for done < n {
		tx, err := d.Write.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		st := tx.StmtContext(ctx, stmt)
		for b := 0; b < 1000/rawBatch && done < n; b++ {
			for i := 0; i < rawBatch; i++ {
				row := int64(done + i)
				args[i*3] = (row * 2654435761) % 1_000_000_007
				args[i*3+1] = "riga di prova " + strconv.FormatInt(row, 10)
				args[i*3+2] = row
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				_ = tx.Rollback()
				return 0, err
			}
			done += rawBatch
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(done) / time.Since(start).Seconds(), nil
}

func scratchCount(ctx context.Context, d *db.DB) (int64, error) {
	var n int64
	err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM bench_scratch`).Scan(&n)
	return n, err
}

func fillScratch(ctx context.Context, d *db.DB, want int) error {
	n, err := scratchCount(ctx, d)
	if err != nil {
		return err
	}
	if missing := int64(want) - n; missing > 0 {
		_, err = RawInsert(ctx, d, int(missing))
	}
	return err
}

// minScanTime is how long a scan measurement repeats its query, so a small table still
// gives a stable rate.
const minScanTime = 300 * time.Millisecond

// RawScan counts and sums the whole bench_scratch table in SQL, repeatedly for at least
// minScanTime, and returns rows per second.
func RawScan(ctx context.Context, d *db.DB) (float64, error) {
	var rows int64
	start := time.Now()
	for rows == 0 || time.Since(start) < minScanTime {
		var n, sum int64
		if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(v), 0) FROM bench_scratch`).Scan(&n, &sum); err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, fmt.Errorf("bench_scratch is empty")
		}
		rows += n
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

// RawStream reads every row of bench_scratch into Go, repeatedly for at least
// minScanTime, and returns rows per second.
func RawStream(ctx context.Context, d *db.DB) (float64, error) {
	var rows int64
	start := time.Now()
	for rows == 0 || time.Since(start) < minScanTime {
		rs, err := d.Read.QueryContext(ctx, `SELECT k, name, v FROM bench_scratch`)
		if err != nil {
			return 0, err
		}
		var k, v int64
		var name string
		n := int64(0)
		for rs.Next() {
			if err := rs.Scan(&k, &name, &v); err != nil {
				rs.Close()
				return 0, err
			}
			n++
		}
		if err := rs.Close(); err != nil {
			return 0, err
		}
		if err := rs.Err(); err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, fmt.Errorf("bench_scratch is empty")
		}
		rows += n
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}
