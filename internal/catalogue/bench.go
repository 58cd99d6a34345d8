package catalogue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"esd/internal/catalogue/cattest"
	"esd/internal/db"
	"esd/internal/domain"
)

// BenchResult is what BenchSearch measured.
type BenchResult struct {
	Dialect       string  `json:"dialect"`
	Events        int     `json:"events"`
	Editions      int     `json:"editions"`
	Terms         int     `json:"terms"`
	LoadedEvents  int     `json:"loaded_events"`
	LoadPerSec    float64 `json:"load_events_per_s"`
	IndexBuildMs  float64 `json:"index_build_ms"`
	HeapMB        float64 `json:"heap_mb"`
	Queries       int     `json:"queries"`
	P50ms         float64 `json:"p50_ms"`
	P95ms         float64 `json:"p95_ms"`
	P99ms         float64 `json:"p99_ms"`
	MeanHits      float64 `json:"mean_total_hits"`
	BaselineP50ms float64 `json:"baseline_pk_p50_ms"`
	BaselineP95ms float64 `json:"baseline_pk_p95_ms"`
	RatioP95      float64 `json:"ratio_p95"`
	FacetOnlyP95  float64 `json:"facet_only_p95_ms"`
	// CPU time of the process per query (user + system, all threads): the work a query
	// costs, whatever the other load on the machine; wall times above include waiting.
	CPUP50ms    float64 `json:"cpu_p50_ms"`
	CPUP95ms    float64 `json:"cpu_p95_ms"`
	LoadAvg     string  `json:"load_average"`
	TargetP95ms float64 `json:"target_p95_ms"`
	// Slowest are the five slowest queries, to see what costs.
	Slowest []string `json:"slowest"`
}

// JSONLines returns one JSON line per metric in the format of performance.md.
func (r BenchResult) JSONLines() []string {
	env := map[string]any{"nproc": runtime.NumCPU(), "go": runtime.Version(), "dialect": r.Dialect, "events": r.Events, "editions": r.Editions}
	line := func(metric string, v float64, unit string, base, target float64) string {
		m := map[string]any{"scenario": "catalogue_search", "dataset": fmt.Sprintf("%d events", r.Events), "metric": metric, "value": v,
			"unit": unit, "environment": env}
		if base > 0 {
			m["baseline"], m["ratio"] = base, v/base
		}
		if target > 0 {
			m["target"], m["pass"] = target, v <= target
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	return []string{
		line("search_p50", r.P50ms, "ms", r.BaselineP50ms, 0),
		line("search_p95", r.P95ms, "ms", r.BaselineP95ms, r.TargetP95ms),
		line("search_p99", r.P99ms, "ms", 0, 0),
		line("search_facets_only_p95", r.FacetOnlyP95, "ms", r.BaselineP95ms, r.TargetP95ms),
		line("search_cpu_p95", r.CPUP95ms, "ms", 0, 0),
		line("index_build", r.IndexBuildMs, "ms", 0, 0),
		line("index_heap", r.HeapMB, "MB", 0, 0),
	}
}

// String is a short human summary.
func (r BenchResult) String() string {
	return fmt.Sprintf("catalogue search on %s: %d events (%d editions, %d terms); index built in %.0f ms, heap %.0f MB; "+
		"%d queries p50 %.2f ms p95 %.2f ms p99 %.2f ms (facets only p95 %.2f ms; CPU per query p50 %.2f p95 %.2f ms; baseline primary-key lookup p50 %.3f p95 %.3f ms; ratio p95 %.1f); target p95 ≤ %.0f ms; load average %s",
		r.Dialect, r.Events, r.Editions, r.Terms, r.IndexBuildMs, r.HeapMB, r.Queries, r.P50ms, r.P95ms, r.P99ms, r.FacetOnlyP95,
		r.CPUP50ms, r.CPUP95ms, r.BaselineP50ms, r.BaselineP95ms, r.RatioP95, r.TargetP95ms, r.LoadAvg)
}

// BenchSearch measures the catalogue search on d with at least nEvents events: it tops the
// catalogue up with generated events if needed (on an empty database it first loads the
// reference fixtures and a fixture portfolio), builds the index, then runs a mix of
// realistic queries (Italian words, facet filters, upcoming dates) through Service.Search,
// the path the pages and the API take, and a primary-key lookup of an event as the in-run
// baseline. The bench engineer calls it from `esd bench`; BenchmarkSearch wraps it.
func BenchSearch(ctx context.Context, d *db.DB, nEvents int, log *slog.Logger) (BenchResult, error) {
	ctx = domain.WithActor(ctx, domain.SystemActor)
	if log == nil {
		log = slog.Default()
	}
	s := New(d, log)
	res := BenchResult{Dialect: string(d.Dialect), TargetP95ms: 50}
	if err := prepareBench(ctx, s, nEvents, &res); err != nil {
		return res, err
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	x, err := s.searchIndex(ctx)
	if err != nil {
		return res, err
	}
	res.IndexBuildMs = float64(time.Since(start).Microseconds()) / 1000
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	res.HeapMB = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
	res.Editions, res.Terms = len(x.docs), len(x.postings)
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&res.Events); err != nil {
		return res, err
	}
	// A professional searches: as one, so the service's permission path is exercised.
	pctx := domain.WithActor(ctx, domain.Actor{Role: domain.RoleProfessional, Username: "bench", ProfessionalID: 1})
	queries := benchQueries(x, 1200)
	var ids []int64
	_ = scanAll(ctx, d.Read, `SELECT id FROM events ORDER BY id`, func(rs *sql.Rows) error {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	rng := rand.New(rand.NewPCG(7, 11))
	var lat, base, facetOnly, cpu []float64
	var hits int
	type timed struct {
		ms float64
		q  Query
		n  int
	}
	var all []timed
	for i, q := range queries {
		c0 := cpuTime()
		t0 := time.Now()
		r, err := s.Search(pctx, q)
		if err != nil {
			return res, err
		}
		ms := float64(time.Since(t0).Microseconds()) / 1000
		cms := float64((cpuTime() - c0).Microseconds()) / 1000
		// Baseline: fetch one event by primary key, interleaved with the searches.
		id := ids[rng.IntN(len(ids))]
		t1 := time.Now()
		var title string
		if err := d.Read.QueryRowContext(ctx, `SELECT title FROM events WHERE id = $1`, id).Scan(&title); err != nil {
			return res, err
		}
		bms := float64(time.Since(t1).Microseconds()) / 1000
		if i < 200 { // warm-up
			continue
		}
		lat = append(lat, ms)
		cpu = append(cpu, cms)
		all = append(all, timed{ms, q, r.Total})
		base = append(base, bms)
		if q.Text == "" {
			facetOnly = append(facetOnly, ms)
		}
		hits += r.Total
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ms > all[j].ms })
	for _, t := range all[:min(5, len(all))] {
		res.Slowest = append(res.Slowest, fmt.Sprintf("%.1f ms, %d hits: q=%q type=%v region=%v profession=%v line=%v cost=%q delivery=%q from=%q",
			t.ms, t.n, t.q.Text, t.q.Types, t.q.Regions, t.q.Professions, t.q.Lines, t.q.Cost, t.q.Delivery, t.q.From))
	}
	res.Queries = len(lat)
	res.P50ms, res.P95ms, res.P99ms = pct(lat, 50), pct(lat, 95), pct(lat, 99)
	res.BaselineP50ms, res.BaselineP95ms = pct(base, 50), pct(base, 95)
	res.FacetOnlyP95 = pct(facetOnly, 95)
	res.CPUP50ms, res.CPUP95ms = pct(cpu, 50), pct(cpu, 95)
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if res.BaselineP95ms > 0 {
		res.RatioP95 = round(res.P95ms/res.BaselineP95ms, 1)
	}
	if res.Queries > 0 {
		res.MeanHits = float64(hits) / float64(res.Queries)
	}
	return res, nil
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(float64(len(s)-1) * p / 100)
	return round(s[i], 3)
}

// prepareBench makes sure the database holds nEvents events.
func prepareBench(ctx context.Context, s *Service, nEvents int, res *BenchResult) error {
	d := s.DB
	var have int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&have); err != nil {
		return err
	}
	if have >= nEvents {
		return nil
	}
	var profs int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professions`).Scan(&profs); err != nil {
		return err
	}
	if profs == 0 {
		if err := cattest.EnsureReference(ctx, d); err != nil {
			return err
		}
	}
	if err := s.EnsureReference(ctx); err != nil {
		return err
	}
	if ok, err := cattest.HasPortfolio(ctx, d); err != nil {
		return err
	} else if !ok {
		if _, err := cattest.EnsurePortfolio(ctx, d); err != nil {
			return err
		}
	}
	// 2,000 providers, as many as Italy has (performance.md), seated across the regions.
	r, err := s.loadRefs(ctx)
	if err != nil {
		return err
	}
	var regions []int64
	for id := range r.regions {
		regions = append(regions, id)
	}
	sort.Slice(regions, func(i, j int) bool { return regions[i] < regions[j] })
	var provs []GenProvider
	for i := 0; i < 2000; i++ {
		reg := regions[i%len(regions)]
		id, err := cattest.Provider(ctx, d, fmt.Sprintf("BENCH-%04d", i+1), fmt.Sprintf("Provider sintetico %04d", i+1), reg)
		if err != nil {
			return err
		}
		provs = append(provs, GenProvider{ID: id, RegionID: reg})
	}
	g, err := s.NewGenerator(ctx, 42, provs)
	if err != nil {
		return err
	}
	// Ten years of events, as the L dataset: start dates spread from 9 years ago to next year.
	from := time.Now().UTC().AddDate(-9, 0, 0)
	span := 10 * 365
	start := time.Now()
	loaded := 0
	const chunk = 20000
	for n := 0; n < nEvents; n += chunk {
		var evs []EventInput
		for k := n; k < min(n+chunk, nEvents); k++ {
			topic := ""
			if g.chance(0.15) {
				topic = "other"
			}
			evs = append(evs, g.Event(Spec{Topic: topic, Start: from.AddDate(0, 0, g.pick(span)), Code: codeFor("B", k+1),
				Provider: &provs[g.pick(len(provs))]}))
		}
		w, err := s.BulkLoad(ctx, evs, 2000, nil)
		if err != nil {
			return err
		}
		loaded += w
		s.Log.Info("bench catalogue", "generated", min(n+chunk, nEvents), "of", nEvents)
	}
	res.LoadedEvents = loaded
	if el := time.Since(start).Seconds(); el > 0 {
		res.LoadPerSec = round(float64(loaded)/el, 0)
	}
	return nil
}

// benchQueries builds a deterministic mix: two thirds with one or two Italian words taken
// from event titles, one third facets only; filters on region, type, profession, line,
// cost, delivery and upcoming dates in realistic shares.
func benchQueries(x *index, n int) []Query {
	rng := rand.New(rand.NewPCG(3, 5))
	var words []string
	for _, t := range Topics {
		for _, tpl := range t.Titles {
			for _, w := range strings.FieldsFunc(tpl, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 'à' && r <= 'ù') }) {
				if len(w) > 4 {
					words = append(words, strings.ToLower(w))
				}
			}
		}
	}
	today := time.Now().UTC().Format(dateLayout)
	var out []Query
	for i := 0; i < n; i++ {
		var q Query
		if rng.IntN(3) > 0 {
			q.Text = words[rng.IntN(len(words))]
			if rng.IntN(2) == 0 {
				q.Text += " " + words[rng.IntN(len(words))]
			}
		}
		if rng.IntN(10) < 4 && len(x.regionIDs) > 1 {
			q.Regions = []int64{x.regionIDs[1+rng.IntN(len(x.regionIDs)-1)]}
		}
		if rng.IntN(10) < 3 {
			q.Types = []string{Types[rng.IntN(4)]}
		}
		if rng.IntN(4) == 0 {
			q.Professions = []int{[]int{1, 14, 3, 12, 27}[rng.IntN(5)]}
		}
		if rng.IntN(7) == 0 && len(x.lineIDs) > 0 {
			q.Lines = []int64{x.lineIDs[rng.IntN(len(x.lineIDs))]}
		}
		if rng.IntN(5) == 0 {
			q.Cost = "free"
		}
		if rng.IntN(7) == 0 {
			q.Delivery = "online"
		}
		if rng.IntN(2) == 0 {
			q.From = today
		}
		out = append(out, q)
	}
	return out
}

// cpuTime is the CPU time used by the process so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
