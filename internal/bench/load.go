package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// LoadConfig is one load run against one loopback URL. With Rate > 0 the load is open-loop:
// requests are sent at a constant arrival rate whatever the server does, and each latency
// is measured from the moment the request was due, so a slow server cannot hide its
// slowness by slowing the client down (coordinated omission). With Rate == 0 the load is
// closed-loop over Conns connections, which measures capacity (requests/s), not latency.
type LoadConfig struct {
	URL         string        `json:"url"`
	Paths       []string      `json:"paths,omitempty"` // rotated in order, appended to URL (e.g. search queries)
	Header      http.Header   `json:"header,omitempty"`
	Rate        float64       `json:"rate"`
	Conns       int           `json:"conns"`
	Duration    time.Duration `json:"duration"`
	MaxRequests int           `json:"max_requests"`
	Timeout     time.Duration `json:"timeout"`
	MaxInFlight int           `json:"max_in_flight"`
	// Warm is the number of requests sent (and not counted) before measuring, so the first
	// measured requests do not pay for dialling connections; default 8, -1 for none.
	Warm int `json:"warm"`
}

// LoadResult is what a load run measured. Latencies are in milliseconds.
type LoadResult struct {
	Mode       string      `json:"mode"` // open or closed
	Rate       float64     `json:"rate,omitempty"`
	Scheduled  int         `json:"scheduled"`
	Completed  int         `json:"completed"`
	OK         int         `json:"ok"`
	Errors     int         `json:"errors"`
	Dropped    int         `json:"dropped"` // due but not sent: MaxInFlight requests were outstanding
	Status     map[int]int `json:"status"`
	FirstError string      `json:"first_error,omitempty"`
	ElapsedS   float64     `json:"elapsed_s"`
	Throughput float64     `json:"throughput_rps"` // successful responses per second
	P50        float64     `json:"p50_ms"`
	P90        float64     `json:"p90_ms"`
	P95        float64     `json:"p95_ms"`
	P99        float64     `json:"p99_ms"`
	Max        float64     `json:"max_ms"`
	Mean       float64     `json:"mean_ms"`
	Histogram  []Bucket    `json:"histogram"`
	// CPU used by the load generator itself during the run (user+system seconds) and as a
	// share of one core, so a reader sees how much of the machine the client took.
	LoadCPUS       float64 `json:"load_cpu_s"`
	LoadCPUPercent float64 `json:"load_cpu_percent"`
	// SeparateProcess is true when the generator ran in its own process, so LoadCPUS is its
	// own CPU only; false when it shared the process with the server.
	SeparateProcess bool `json:"separate_process"`
	// ServerCPUS is the CPU of the calling process (the server) during the run, when the
	// generator ran in a separate process.
	ServerCPUS float64 `json:"server_cpu_s,omitempty"`
}

// ErrorRate is the share of scheduled requests that failed or were dropped.
func (r LoadResult) ErrorRate() float64 {
	if r.Scheduled == 0 {
		return 1
	}
	return float64(r.Errors+r.Dropped) / float64(r.Scheduled)
}

// Bucket is one bar of the latency histogram: responses with latency below UpToMs (and at
// or above the previous bucket's bound).
type Bucket struct {
	UpToMs float64 `json:"le_ms"`
	Count  int     `json:"count"`
}

// Limits that keep a load run bounded whatever the configuration says.
const (
	maxLoadRequests = 2_000_000
	maxLoadDuration = 10 * time.Minute
)

func (c *LoadConfig) validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("load: bad URL %q", c.URL)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("load: refusing non-loopback host %q: the generator only loads this machine", u.Hostname())
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		return fmt.Errorf("load: bad rate %v", c.Rate)
	}
	if c.Rate == 0 && c.Conns <= 0 {
		c.Conns = 16
	}
	if c.Duration <= 0 && c.MaxRequests <= 0 {
		return errors.New("load: give a duration or a maximum number of requests")
	}
	if c.Duration <= 0 || c.Duration > maxLoadDuration {
		c.Duration = maxLoadDuration
	}
	if c.MaxRequests <= 0 || c.MaxRequests > maxLoadRequests {
		c.MaxRequests = maxLoadRequests
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 256
	}
	if c.Warm == 0 {
		c.Warm = 8
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RunLoad runs the load in this process. Its CPU figure then includes whatever else the
// process does (an in-process server): use RunLoadProcess to measure the generator alone.
func RunLoad(ctx context.Context, cfg LoadConfig) (LoadResult, error) {
	if err := cfg.validate(); err != nil {
		return LoadResult{}, err
	}
	conns := cfg.Conns
	if cfg.Rate > 0 {
		conns = cfg.MaxInFlight
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Warm up concurrently over a few connections, so both modes start with connections open.
	if cfg.Warm > 0 {
		var wg sync.WaitGroup
		for i := 0; i < cfg.Warm; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, _ = do(ctx, client, &cfg, i)
			}(i)
		}
		wg.Wait()
	}
	cpu0 := cpuNow()
	var res LoadResult
	var err error
	if cfg.Rate > 0 {
		res, err = openLoop(ctx, client, cfg)
	} else {
		res, err = closedLoop(ctx, client, cfg)
	}
	res.LoadCPUS = cpuNow() - cpu0
	if res.ElapsedS > 0 {
		res.LoadCPUPercent = 100 * res.LoadCPUS / res.ElapsedS
	}
	return res, err
}

type recorder struct {
	mu       sync.Mutex
	lat      []float64
	status   map[int]int
	ok, errs int
	firstErr string
}

func (r *recorder) done(d time.Duration, status int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs++
		if r.firstErr == "" {
			r.firstErr = err.Error()
		}
		return
	}
	r.status[status]++
	r.lat = append(r.lat, float64(d.Microseconds())/1000)
	if status == http.StatusOK {
		r.ok++
	} else {
		r.errs++
		if r.firstErr == "" {
			r.firstErr = fmt.Sprintf("status %d", status)
		}
	}
}

func do(ctx context.Context, client *http.Client, cfg *LoadConfig, i int) (int, error) {
	u := cfg.URL
	if len(cfg.Paths) > 0 {
		u += cfg.Paths[i%len(cfg.Paths)]
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	for k, v := range cfg.Header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

func openLoop(ctx context.Context, client *http.Client, cfg LoadConfig) (LoadResult, error) {
	rec := &recorder{status: map[int]int{}}
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	var inflight atomic.Int64
	var wg sync.WaitGroup
	res := LoadResult{Mode: "open", Rate: cfg.Rate}
	start := time.Now()
	end := start.Add(cfg.Duration)
	for i := 0; i < cfg.MaxRequests; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(end) || ctx.Err() != nil {
			break
		}
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
			if ctx.Err() != nil {
				break
			}
		}
		res.Scheduled++
		if inflight.Load() >= int64(cfg.MaxInFlight) {
			res.Dropped++
			continue
		}
		inflight.Add(1)
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			defer inflight.Add(-1)
			st, err := do(ctx, client, &cfg, i)
			rec.done(time.Since(due), st, err)
		}(i, due)
	}
	wg.Wait()
	return rec.result(res, time.Since(start)), ctx.Err()
}

func closedLoop(ctx context.Context, client *http.Client, cfg LoadConfig) (LoadResult, error) {
	rec := &recorder{status: map[int]int{}}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	for c := 0; c < cfg.Conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1)) - 1
				if i >= cfg.MaxRequests {
					return
				}
				t := time.Now()
				st, err := do(ctx, client, &cfg, i)
				rec.done(time.Since(t), st, err)
			}
		}()
	}
	wg.Wait()
	res := rec.result(LoadResult{Mode: "closed"}, time.Since(start))
	res.Scheduled = res.OK + res.Errors // every attempt ends as a success or an error
	return res, ctx.Err()
}

func (r *recorder) result(res LoadResult, elapsed time.Duration) LoadResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	res.Status = r.status
	res.OK = r.ok
	res.Errors = r.errs
	res.FirstError = r.firstErr
	res.Completed = len(r.lat)
	res.ElapsedS = elapsed.Seconds()
	if res.ElapsedS > 0 {
		res.Throughput = float64(r.ok) / res.ElapsedS
	}
	h := NewHistogram(r.lat)
	res.P50, res.P90, res.P95, res.P99 = h.Quantile(0.50), h.Quantile(0.90), h.Quantile(0.95), h.Quantile(0.99)
	res.Max, res.Mean = h.Max(), h.Mean()
	res.Histogram = h.Buckets()
	return res
}

// Histogram holds latency samples (milliseconds). Runs are bounded in count, so it keeps
// every sample and its quantiles are exact; Buckets groups them for display.
type Histogram struct{ s []float64 }

// NewHistogram takes ownership of samples.
func NewHistogram(samples []float64) *Histogram {
	sort.Float64s(samples)
	return &Histogram{s: samples}
}

// Quantile returns the q-quantile (0..1) by the nearest-rank method; NaN when empty.
func (h *Histogram) Quantile(q float64) float64 {
	n := len(h.s)
	if n == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(q*float64(n))) - 1
	rank = max(0, min(n-1, rank))
	return h.s[rank]
}

// Max is the largest sample.
func (h *Histogram) Max() float64 {
	if len(h.s) == 0 {
		return math.NaN()
	}
	return h.s[len(h.s)-1]
}

// Mean is the average sample.
func (h *Histogram) Mean() float64 {
	if len(h.s) == 0 {
		return math.NaN()
	}
	var t float64
	for _, v := range h.s {
		t += v
	}
	return t / float64(len(h.s))
}

// Buckets counts samples in power-of-two millisecond buckets (< 0.125 ms, < 0.25 ms, …),
// omitting empty ones.
func (h *Histogram) Buckets() []Bucket {
	var out []Bucket
	bound := 0.125
	i := 0
	for i < len(h.s) {
		n := 0
		for i < len(h.s) && h.s[i] < bound {
			n++
			i++
		}
		if n > 0 {
			out = append(out, Bucket{UpToMs: bound, Count: n})
		}
		bound *= 2
	}
	return out
}

// cpuNow is the user+system CPU seconds of this process so far.
func cpuNow() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tv(ru.Utime) + tv(ru.Stime)
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// envLoadChild marks a process started by RunLoadProcess to act as the load generator.
const envLoadChild = "ESD_BENCH_LOADGEN"

// The load generator runs in a child process made from the same executable, so its CPU is
// measured apart from the server's. Any binary that links this package (esd, and the test
// binaries) turns into the generator when started with ESD_BENCH_LOADGEN=1: it reads a
// LoadConfig as JSON on stdin, writes a LoadResult as JSON on stdout and exits before main.
func init() {
	if os.Getenv(envLoadChild) != "1" {
		return
	}
	os.Exit(loadChild(os.Stdin, os.Stdout))
}

func loadChild(in io.Reader, out io.Writer) int {
	var cfg LoadConfig
	if err := json.NewDecoder(in).Decode(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 2
	}
	res, err := RunLoad(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		return 1
	}
	res.SeparateProcess = true
	if err := json.NewEncoder(out).Encode(res); err != nil {
		return 1
	}
	return 0
}

// RunLoadProcess runs the load in a child process of the same executable, and adds the CPU
// this process (the server) used meanwhile. If the executable cannot be found it falls back
// to RunLoad in this process.
func RunLoadProcess(ctx context.Context, cfg LoadConfig) (LoadResult, error) {
	if err := cfg.validate(); err != nil {
		return LoadResult{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return RunLoad(ctx, cfg)
	}
	in, err := json.Marshal(cfg)
	if err != nil {
		return LoadResult{}, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), envLoadChild+"=1")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cpu0 := cpuNow()
	if err := cmd.Run(); err != nil {
		return LoadResult{}, fmt.Errorf("load generator: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	server := cpuNow() - cpu0
	var res LoadResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return LoadResult{}, fmt.Errorf("load generator output: %w", err)
	}
	res.ServerCPUS = server
	return res, nil
}
