package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
)

func TestHistogramQuantiles(t *testing.T) {
	var xs []float64
	for i := 1; i <= 100; i++ {
		xs = append(xs, float64(i))
	}
	h := NewHistogram(xs)
	for q, want := range map[float64]float64{0.5: 50, 0.95: 95, 0.99: 99, 1: 100, 0: 1} {
		if got := h.Quantile(q); got != want {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
	total := 0
	for _, b := range h.Buckets() {
		total += b.Count
	}
	if total != 100 {
		t.Errorf("buckets hold %d samples, want 100", total)
	}
}

func TestLoadRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://10.0.0.1/", "http://example.org/", "ftp://127.0.0.1/"} {
		if _, err := RunLoad(context.Background(), LoadConfig{URL: u, Rate: 10, Duration: time.Second}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// TestOpenLoopIsOpen checks the generator keeps its arrival rate when the server is slow
// and counts latency from when each request was due: with a 50 ms handler at 200 req/s,
// a closed loop of one connection would send 20 req/s and report 50 ms.
func TestOpenLoopIsOpen(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res, err := RunLoad(context.Background(), LoadConfig{URL: srv.URL, Rate: 200, Duration: time.Second, MaxRequests: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scheduled < 180 || res.Scheduled > 201 {
		t.Errorf("scheduled %d requests in 1 s at 200/s", res.Scheduled)
	}
	if res.OK != res.Scheduled || res.Errors != 0 || res.Dropped != 0 {
		t.Errorf("ok %d errors %d dropped %d of %d", res.OK, res.Errors, res.Dropped, res.Scheduled)
	}
	if res.P50 < 45 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Errorf("percentiles p50 %v p99 %v max %v", res.P50, res.P99, res.Max)
	}
	if res.LoadCPUS <= 0 {
		t.Errorf("load CPU not recorded")
	}
}

func TestMaxRequestsBoundsTheRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	res, err := RunLoad(context.Background(), LoadConfig{URL: srv.URL, Rate: 1000, Duration: time.Minute, MaxRequests: 50})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scheduled != 50 || res.ElapsedS > 5 {
		t.Errorf("scheduled %d in %.1fs, want 50 quickly", res.Scheduled, res.ElapsedS)
	}
	res, err = RunLoad(context.Background(), LoadConfig{URL: srv.URL, Conns: 4, Duration: time.Minute, MaxRequests: 40})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scheduled != 40 || res.OK != 40 {
		t.Errorf("closed loop: scheduled %d ok %d, want 40", res.Scheduled, res.OK)
	}
}

func TestLoadCountsErrorsAndRotatesPaths(t *testing.T) {
	var paths pathCounter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.add(r.URL.RequestURI())
		if strings.Contains(r.URL.RawQuery, "bad") {
			http.Error(w, "no", 500)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res, err := RunLoad(context.Background(), LoadConfig{URL: srv.URL, Paths: []string{"/a?q=1", "/a?q=bad"}, Conns: 2, MaxRequests: 20, Duration: 10 * time.Second, Warm: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK != 10 || res.Errors != 10 || res.Status[500] != 10 || res.ErrorRate() != 0.5 {
		t.Errorf("ok %d errors %d status %v", res.OK, res.Errors, res.Status)
	}
	if paths.n("/a?q=1") != 10 {
		t.Errorf("paths not rotated: %v", paths.m)
	}
}

// TestLoadInChildProcess runs the generator in a child process of the test binary (the
// init hook) and checks it reports its own CPU and the server's separately.
func TestLoadInChildProcess(t *testing.T) {
	srv := httptest.NewServer(trivialHandler())
	defer srv.Close()
	res, err := RunLoadProcess(context.Background(), LoadConfig{URL: srv.URL, Rate: 300, Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.SeparateProcess || res.OK < 100 || res.LoadCPUS <= 0 || res.ServerCPUS <= 0 {
		t.Errorf("child result: %+v", res)
	}
}

func TestBaselineScenario(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		x := dbtest.Open(t, d)
		cfg := DefaultBaselineConfig(true)
		cfg.HTTPDuration = 300 * time.Millisecond
		cfg.InsertRows, cfg.ScanRows = 2000, 5000
		sc := BaselineScenarioFor(x, cfg)
		ctx := context.Background()
		if err := sc.Setup(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := sc.Rep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sp := range sc.Specs {
			if !Sane(got[sp.Metric]) {
				t.Errorf("%s = %v", sp.Metric, got[sp.Metric])
			}
		}
		if n, _ := scratchCount(ctx, x); n < 5000 {
			t.Errorf("scratch has %d rows, want at least the scan size", n)
		}
		if err := sc.Teardown(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := scratchCount(ctx, x); n != 0 {
			t.Errorf("scratch not emptied: %d rows", n)
		}
		env := DetectEnv(ctx, x)
		if env.SQLiteVersion == "" || env.NProc < 1 || env.CPUModel == "" || env.Database != string(d) {
			t.Errorf("env = %+v", env)
		}
		if d == db.Postgres && env.PostgresVersion == "" {
			t.Errorf("no PostgreSQL version")
		}
	})
}

type pathCounter struct {
	mu sync.Mutex
	m  map[string]int
}

func (s *pathCounter) add(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]int{}
	}
	s.m[k]++
}

func (s *pathCounter) n(k string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}
