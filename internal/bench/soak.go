package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// SoakClass is one kind of request of the mixed soak workload (a page of a role, an API read,
// an API write, an import, a re-assignment).
type SoakClass struct {
	Name   string
	Weight int // share of the arrivals, relative to the other classes
	// P99 is the class's target for its 99th percentile latency, in ms (0: none).
	P99 float64
	// Do sends one request with client and returns the status. State a sequence needs (the
	// id of the enrolment to cancel, an answer's revision) lives in the closure.
	Do func(ctx context.Context, c *http.Client) (int, error)
	// Expect tells the statuses that count as success; nil means any 2xx.
	Expect func(status int) bool
	// Serial classes send one request at a time (a revisioned answer must see the previous
	// one's result): a due request waits for the previous and the wait counts in its
	// latency, as a user behind a slow server would wait.
	Serial bool
}

// SoakConfig sizes a soak run.
type SoakConfig struct {
	Rate     float64       // arrivals per second of the main phase
	Duration time.Duration // main phase
	// Overload > 0 runs the main phase at Rate×Overload and checks graceful degradation
	// instead of zero errors: 429 is then an expected answer, a 5xx or a timeout never is.
	Overload float64
	// Warmup is the start of the main phase left out of the memory growth (default a tenth
	// of the duration, at most 2 minutes).
	Warmup      time.Duration
	Sample      time.Duration // memory, goroutine and WAL sampling period; default 1 s
	WALPath     string        // the SQLite -wal file ("" on PostgreSQL)
	WALBoundMB  float64       // the bound the WAL must stay under
	Timeout     time.Duration // per request; default 10 s
	MaxInFlight int           // default 512: beyond it a due request is dropped (an error)
	Out         io.Writer     // the human table (nil: none)
	Log         io.Writer     // progress (nil: none)
}

// The soak's overall metrics (each class adds <class>.count, .errors, .p50_ms, .p95_ms,
// .p99_ms and .p99_vs_low_rate).
const (
	SoakRequests     = "requests"
	SoakErrors       = "errors"
	Soak5xx          = "server_errors_5xx"
	SoakShed         = "shed_429"
	SoakDropped      = "dropped"
	SoakRate         = "arrival_rate_rps"
	SoakRSSFirst     = "rss_first_mb"
	SoakRSSLast      = "rss_last_mb"
	SoakRSSGrowth    = "rss_growth_pct"
	SoakHeapFirst    = "heap_first_mb"
	SoakHeapLast     = "heap_last_mb"
	SoakHeapGrowth   = "heap_growth_pct"
	SoakWALMax       = "wal_max_mb"
	SoakWALEnd       = "wal_end_mb"
	SoakGoStart      = "goroutines_start"
	SoakGoEnd        = "goroutines_end"
	SoakGoGrowth     = "goroutine_growth"
	soakGoroutineTol = 5 // database/sql openers, timers and the HTTP server's own come and go
)

// SoakSpecs lists the metrics a soak of these classes reports, with their targets. The
// per-class p99 is compared with the trivial handler's p99 of the baseline scenario.
func SoakSpecs(classes []SoakClass, cfg SoakConfig) []Spec {
	var out []Spec
	add := func(m, unit string, b Direction, base string, t ...Target) {
		out = append(out, Spec{Metric: m, Unit: unit, Better: b, Baseline: base, Targets: t})
	}
	overload := cfg.Overload > 0
	for _, c := range classes {
		add(c.Name+".count", "requests", Higher, "")
		add(c.Name+".errors", "requests", Lower, "", AtMost(0))
		add(c.Name+".p50_ms", "ms", Lower, "")
		add(c.Name+".p95_ms", "ms", Lower, "")
		var t []Target
		if c.P99 > 0 && !overload {
			t = append(t, AtMost(c.P99))
		}
		add(c.Name+".p99_ms", "ms", Lower, BaselineHTTPP99, t...)
		add(c.Name+".p99_vs_low_rate", "ratio", Lower, "")
	}
	add(SoakRequests, "requests", Higher, "")
	add(SoakErrors, "requests", Lower, "", AtMost(0))
	add(Soak5xx, "requests", Lower, "", AtMost(0))
	if overload {
		add(SoakShed, "requests", Higher, "", AtLeast(1)) // the overload must have been shed, not served late
	} else {
		add(SoakShed, "requests", Lower, "", AtMost(0))
	}
	add(SoakDropped, "requests", Lower, "", AtMost(0))
	add(SoakRate, "req/s", Higher, "")
	add(SoakRSSFirst, "MiB", Lower, "")
	add(SoakRSSLast, "MiB", Lower, "")
	add(SoakRSSGrowth, "%", Lower, "", AtMost(10))
	add(SoakHeapFirst, "MiB", Lower, "")
	add(SoakHeapLast, "MiB", Lower, "")
	add(SoakHeapGrowth, "%", Lower, "", AtMost(10))
	if cfg.WALPath != "" {
		add(SoakWALMax, "MiB", Lower, "", AtMost(cfg.WALBoundMB))
		add(SoakWALEnd, "MiB", Lower, "", AtMost(cfg.WALBoundMB))
	}
	add(SoakGoStart, "goroutines", Lower, "")
	add(SoakGoEnd, "goroutines", Lower, "")
	add(SoakGoGrowth, "goroutines", Lower, "", AtMost(soakGoroutineTol))
	return out
}

func (cfg *SoakConfig) defaults() {
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Minute
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 20
	}
	if cfg.Warmup <= 0 {
		cfg.Warmup = min(cfg.Duration/10, 2*time.Minute)
	}
	if cfg.Sample <= 0 {
		cfg.Sample = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 512
	}
	for _, w := range []*io.Writer{&cfg.Out, &cfg.Log} {
		if *w == nil {
			*w = io.Discard
		}
	}
}

// classStats is what one phase measured for one class.
type classStats struct {
	lat                    []float64 // ms from the due time, every answered request
	count, errs, e5xx, shd int
	status                 map[int]int
	firstErr               string
}

type soakPhase struct {
	classes []*classStats
	dropped int
	rate    float64
	elapsed time.Duration
}

func (p soakPhase) total() int {
	n := 0
	for _, c := range p.classes {
		n += c.count
	}
	return n
}

type soakSample struct {
	at         time.Duration
	rss, heap  float64 // MiB
	goroutines int
	wal        float64 // MiB
}

// RunSoak runs the mixed open-loop workload: the unloaded baseline, then the main phase,
// sampling memory, goroutines and the WAL throughout, and returns the figures named by
// SoakSpecs. Arrivals follow a fixed schedule (slot i is due at start + i/rate and takes the
// class the weighted wheel gives it), whatever the server does, and each latency runs from
// the due time, so a stall shows in the percentiles instead of slowing the client down.
// The server must run in this process: its heap and goroutines are this process's.
func RunSoak(ctx context.Context, classes []SoakClass, cfg SoakConfig) (map[string]float64, error) {
	cfg.defaults()
	if len(classes) == 0 {
		return nil, fmt.Errorf("soak: no request classes")
	}
	wheel := soakWheel(classes)
	tr := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns: cfg.MaxInFlight, MaxIdleConnsPerHost: cfg.MaxInFlight, IdleConnTimeout: 30 * time.Second}
	client := &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	serial := make([]sync.Mutex, len(classes))

	goStart := settleGoroutines(ctx, -1)
	// The in-run baseline: one turn of the wheel (every class in its share) sent one request
	// at a time before the load, so each class's p99 under load has its unloaded p99 to be
	// divided by, measured by the same binary on the same data a moment before.
	fmt.Fprintf(cfg.Log, "soak: baseline, %d requests one at a time (%d goroutines)\n", len(wheel), goStart)
	base := runSoakPhase(ctx, classes, wheel, serial, client, 0, 0, cfg)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rate := cfg.Rate
	if cfg.Overload > 0 {
		rate *= cfg.Overload
	}
	// Sampling covers the main phase; the first sample after the warm-up is the reference of
	// the growth, taken after a collection so it is the live heap, as the last one is.
	var samples []soakSample
	var smu sync.Mutex
	var firstMem soakSample
	start := time.Now()
	sctx, stopSampling := context.WithCancel(ctx)
	var swg sync.WaitGroup
	swg.Add(1)
	go func() {
		defer swg.Done()
		t := time.NewTicker(cfg.Sample)
		defer t.Stop()
		warmed := false
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
			}
			at := time.Since(start)
			if !warmed && at >= cfg.Warmup {
				runtime.GC()
				warmed = true
				s := takeSample(at, cfg.WALPath)
				smu.Lock()
				firstMem = s
				samples = append(samples, s)
				smu.Unlock()
				continue
			}
			s := takeSample(at, cfg.WALPath)
			smu.Lock()
			samples = append(samples, s)
			smu.Unlock()
		}
	}()
	fmt.Fprintf(cfg.Log, "soak: main phase %.1f req/s for %s\n", rate, cfg.Duration)
	main := runSoakPhase(ctx, classes, wheel, serial, client, rate, cfg.Duration, cfg)
	stopSampling()
	swg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	runtime.GC()
	last := takeSample(time.Since(start), cfg.WALPath)
	tr.CloseIdleConnections()
	goEnd := settleGoroutines(ctx, goStart)
	if firstMem.rss == 0 { // a run shorter than its warm-up: compare with the end of the baseline
		firstMem = last
	}

	out := map[string]float64{}
	var total, errs, e5xx, shed int
	for i, c := range classes {
		st, bs := main.classes[i], base.classes[i]
		h := NewHistogram(st.lat)
		out[c.Name+".count"] = float64(st.count)
		out[c.Name+".errors"] = float64(st.errs)
		out[c.Name+".p50_ms"], out[c.Name+".p95_ms"], out[c.Name+".p99_ms"] = h.Quantile(0.5), h.Quantile(0.95), h.Quantile(0.99)
		bp99 := NewHistogram(bs.lat).Quantile(0.99)
		out[c.Name+".p99_vs_low_rate"] = out[c.Name+".p99_ms"] / bp99
		total += st.count
		errs += st.errs
		e5xx += st.e5xx
		shed += st.shd
	}
	out[SoakRequests], out[SoakErrors], out[Soak5xx], out[SoakShed] = float64(total), float64(errs), float64(e5xx), float64(shed)
	out[SoakDropped] = float64(main.dropped)
	out[SoakRate] = main.rate
	out[SoakRSSFirst], out[SoakRSSLast] = firstMem.rss, last.rss
	out[SoakRSSGrowth] = growthPct(firstMem.rss, last.rss)
	out[SoakHeapFirst], out[SoakHeapLast] = firstMem.heap, last.heap
	out[SoakHeapGrowth] = growthPct(firstMem.heap, last.heap)
	if cfg.WALPath != "" {
		walMax := last.wal
		for _, s := range samples {
			walMax = max(walMax, s.wal)
		}
		out[SoakWALMax], out[SoakWALEnd] = walMax, last.wal
	}
	out[SoakGoStart], out[SoakGoEnd] = float64(goStart), float64(goEnd)
	out[SoakGoGrowth] = float64(goEnd - goStart)
	writeSoakTable(cfg.Out, classes, base, main, out, cfg)
	return out, nil
}

func growthPct(first, last float64) float64 {
	if first <= 0 {
		return math.NaN()
	}
	return 100 * (last - first) / first
}

// soakWheel spreads the classes over a wheel by weight, shuffled with a fixed seed so two
// runs send the same sequence and no class comes in bursts.
func soakWheel(classes []SoakClass) []int {
	var w []int
	for i, c := range classes {
		for j := 0; j < max(c.Weight, 1); j++ {
			w = append(w, i)
		}
	}
	r := rand.New(rand.NewPCG(17, 3))
	r.Shuffle(len(w), func(i, j int) { w[i], w[j] = w[j], w[i] })
	return w
}

func runSoakPhase(ctx context.Context, classes []SoakClass, wheel []int, serial []sync.Mutex, client *http.Client,
	rate float64, d time.Duration, cfg SoakConfig) soakPhase {
	ph := soakPhase{classes: make([]*classStats, len(classes))}
	for i := range ph.classes {
		ph.classes[i] = &classStats{status: map[int]int{}}
	}
	var mu sync.Mutex
	one := func(ci int, due time.Time) {
		c := classes[ci]
		if c.Serial {
			serial[ci].Lock()
			defer serial[ci].Unlock()
		}
		status, err := c.Do(ctx, client)
		lat := float64(time.Since(due).Microseconds()) / 1000
		mu.Lock()
		defer mu.Unlock()
		ph.classes[ci].record(c, status, err, lat, cfg.Overload > 0)
	}
	start := time.Now()
	if rate <= 0 {
		// The baseline: one turn of the wheel, each request alone (the latency of every
		// class without contention).
		for _, ci := range wheel {
			if ctx.Err() != nil {
				break
			}
			one(ci, time.Now())
		}
		ph.elapsed = time.Since(start)
		ph.rate = float64(len(wheel)) / max(ph.elapsed.Seconds(), 1e-9)
		return ph
	}
	var inflight atomic.Int64
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	end := start.Add(d)
	scheduled := 0
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(end) || ctx.Err() != nil {
			break
		}
		if w := time.Until(due); w > 0 {
			t := time.NewTimer(w)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			if ctx.Err() != nil {
				break
			}
		}
		scheduled++
		if inflight.Load() >= int64(cfg.MaxInFlight) {
			mu.Lock()
			ph.dropped++
			mu.Unlock()
			continue
		}
		inflight.Add(1)
		wg.Add(1)
		go func(ci int, due time.Time) {
			defer wg.Done()
			defer inflight.Add(-1)
			one(ci, due)
		}(wheel[i%len(wheel)], due)
	}
	wg.Wait()
	ph.elapsed = time.Since(start)
	ph.rate = float64(scheduled) / d.Seconds()
	return ph
}

// record classifies one answer: a transport error, a 5xx or an unexpected status is an
// error; a 429 is shed, an error too unless the run is an overload one.
func (st *classStats) record(c SoakClass, status int, err error, lat float64, overload bool) {
	st.count++
	ok := func(s int) bool { return s >= 200 && s < 300 }
	if c.Expect != nil {
		ok = c.Expect
	}
	var fail string
	switch {
	case err != nil:
		fail = err.Error()
	case status == http.StatusTooManyRequests:
		st.shd++
		if overload {
			st.status[status]++
			return
		}
		fail = "status 429"
	case status >= 500:
		st.e5xx++
		fail = fmt.Sprintf("status %d", status)
	case !ok(status):
		fail = fmt.Sprintf("unexpected status %d", status)
	}
	if err == nil {
		st.status[status]++
	}
	if fail != "" {
		st.errs++
		if st.firstErr == "" {
			st.firstErr = fail
		}
		return
	}
	st.lat = append(st.lat, lat)
}

func takeSample(at time.Duration, walPath string) soakSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := soakSample{at: at, rss: float64(RSS()) / (1 << 20), heap: float64(ms.HeapAlloc) / (1 << 20), goroutines: runtime.NumGoroutine()}
	if walPath != "" {
		if fi, err := os.Stat(walPath); err == nil {
			s.wal = float64(fi.Size()) / (1 << 20)
		}
	}
	return s
}

// settleGoroutines returns the goroutine count once it stops falling (connections closed by
// the client take a moment to end on the server side), waiting at most 3 s; with want ≥ 0 it
// stops as soon as the count is at most want.
func settleGoroutines(ctx context.Context, want int) int {
	n := runtime.NumGoroutine()
	deadline := time.Now().Add(3 * time.Second)
	stable := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if want >= 0 && n <= want {
			return n
		}
		time.Sleep(100 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			stable++
			if want < 0 && stable >= 3 {
				return m
			}
		} else {
			stable = 0
		}
		n = m
	}
	return n
}

func writeSoakTable(w io.Writer, classes []SoakClass, base, main soakPhase, out map[string]float64, cfg SoakConfig) {
	mode := "soak"
	if cfg.Overload > 0 {
		mode = fmt.Sprintf("overload ×%.1f", cfg.Overload)
	}
	fmt.Fprintf(w, "\nsoak (%s): %.1f req/s for %s, after a baseline of %d requests one at a time (%.1f req/s)\n", mode, main.rate, cfg.Duration, base.total(), base.rate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "class\tcount\terrors\t429\tp50 ms\tp95 ms\tp99 ms\tp99 target\tlow-rate p99\tratio\tverdict\tfirst error")
	for i, c := range classes {
		st := main.classes[i]
		target, verdict := "", "ok"
		p99 := out[c.Name+".p99_ms"]
		if c.P99 > 0 {
			target = "≤ " + formatNum(c.P99)
			if cfg.Overload == 0 && !(p99 <= c.P99) {
				verdict = "SLOW"
			}
		}
		if st.errs > 0 {
			verdict = "ERRORS"
		}
		codes := make([]string, 0, len(st.status))
		for s, n := range st.status {
			codes = append(codes, fmt.Sprintf("%d×%d", n, s))
		}
		sort.Strings(codes)
		first := st.firstErr
		if first == "" {
			first = strings.Join(codes, " ")
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, st.count, st.errs, st.shd,
			formatNum(out[c.Name+".p50_ms"]), formatNum(out[c.Name+".p95_ms"]), formatNum(p99), target,
			formatNum(NewHistogram(append([]float64(nil), base.classes[i].lat...)).Quantile(0.99)), formatNum(out[c.Name+".p99_vs_low_rate"]), verdict, first)
	}
	tw.Flush()
	check := func(name string, ok bool, detail string) {
		v := "PASS"
		if !ok {
			v = "FAIL"
		}
		fmt.Fprintf(w, "  %-28s %s  %s\n", name, v, detail)
	}
	if cfg.Overload > 0 {
		check("no 5xx, no timeouts", out[Soak5xx] == 0 && out[SoakErrors] == 0, fmt.Sprintf("%v 5xx, %v other errors", out[Soak5xx], out[SoakErrors]))
		check("overload shed with 429", out[SoakShed] > 0, fmt.Sprintf("%v answered 429 (none means the rate did not overload the server)", out[SoakShed]))
	} else {
		check("zero errors", out[SoakErrors] == 0 && out[SoakDropped] == 0, fmt.Sprintf("%v errors (%v 5xx, %v 429), %v dropped", out[SoakErrors], out[Soak5xx], out[SoakShed], out[SoakDropped]))
	}
	check("RSS growth ≤ 10 %", out[SoakRSSGrowth] <= 10, fmt.Sprintf("%s → %s MiB (%s %%)", formatNum(out[SoakRSSFirst]), formatNum(out[SoakRSSLast]), formatNum(out[SoakRSSGrowth])))
	check("heap growth ≤ 10 %", out[SoakHeapGrowth] <= 10, fmt.Sprintf("%s → %s MiB live (%s %%)", formatNum(out[SoakHeapFirst]), formatNum(out[SoakHeapLast]), formatNum(out[SoakHeapGrowth])))
	if cfg.WALPath != "" {
		check(fmt.Sprintf("WAL ≤ %s MiB", formatNum(cfg.WALBoundMB)), out[SoakWALMax] <= cfg.WALBoundMB, fmt.Sprintf("max %s, end %s MiB", formatNum(out[SoakWALMax]), formatNum(out[SoakWALEnd])))
	}
	check("no goroutine growth", out[SoakGoGrowth] <= soakGoroutineTol, fmt.Sprintf("%v → %v (tolerance %d)", out[SoakGoStart], out[SoakGoEnd], soakGoroutineTol))
}
