package monitor

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// BenchFigure is one measured figure with its in-run baseline and their ratio (machines are
// shared and noisy: a ratio holds where a time does not).
type BenchFigure struct {
	Scenario string  `json:"scenario"`
	Metric   string  `json:"metric"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	Target   float64 `json:"target,omitempty"`
	Pass     *bool   `json:"pass,omitempty"`
}

// BenchReport is the outcome of BenchRebuild or BenchDashboard.
type BenchReport struct {
	Dialect       string        `json:"dialect"`
	Professionals int64         `json:"professionals"`
	Cells         int64         `json:"cells"`
	Figures       []BenchFigure `json:"figures"`
}

// Targets of issue 13 at national scale (1.3 M professionals) on SQLite.
const (
	BenchRebuildTargetSeconds = 120
	BenchRebuildTargetMiB     = 1024
	BenchPanelTargetMs        = 100
)

func pass(v, target float64) *bool { b := v <= target; return &b }

// heapPeak runs fn while sampling the heap in use every 20 ms.
func heapPeak(fn func() error) (time.Duration, uint64, error) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	peak := ms.HeapInuse
	done := make(chan struct{})
	var mu sync.Mutex
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				mu.Lock()
				peak = max(peak, m.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	start := time.Now()
	err := fn()
	d := time.Since(start)
	close(done)
	mu.Lock()
	defer mu.Unlock()
	return d, peak, err
}

func (r *BenchReport) count(ctx context.Context, d *db.DB) {
	_ = d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&r.Professionals)
	_ = d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM monitor_cells`).Scan(&r.Cells)
}

// BenchRebuild measures a full rebuild of the aggregates on what d holds, with its heap peak,
// against an in-run baseline: one streaming pass over the same source rows (professionals and
// their packed levels) doing nothing with them.
func BenchRebuild(ctx context.Context, d *db.DB) (BenchReport, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	s := New(d, nil)
	rep := BenchReport{Dialect: string(d.Dialect)}
	base, _, err := heapPeak(func() error {
		rows, err := d.Read.QueryContext(ctx, `SELECT p.id, p.region_id, COALESCE(l.levels, '') FROM professionals p LEFT JOIN competence_levels l ON l.professional_id = p.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, r int64
			var lv string
			if err := rows.Scan(&id, &r, &lv); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return rep, fmt.Errorf("baseline scan: %w", err)
	}
	dur, peak, err := heapPeak(func() error { _, err := s.Rebuild(ctx); return err })
	if err != nil {
		return rep, err
	}
	rep.count(ctx, d)
	secs := dur.Seconds()
	mib := float64(peak) / (1 << 20)
	rep.Figures = append(rep.Figures,
		BenchFigure{Scenario: "rebuild", Metric: "duration", Value: secs, Unit: "s", Baseline: base.Seconds(), Ratio: secs / max(base.Seconds(), 1e-9),
			Target: BenchRebuildTargetSeconds, Pass: pass(secs, BenchRebuildTargetSeconds)},
		BenchFigure{Scenario: "rebuild", Metric: "heap_peak", Value: mib, Unit: "MiB", Target: BenchRebuildTargetMiB, Pass: pass(mib, BenchRebuildTargetMiB)})
	return rep, nil
}

// BenchDashboard measures the dashboard panels as `viewers` concurrent viewers would ask them
// (each viewer asks every panel `rounds` times): the national map (by region), the largest
// region by organisation, its largest organisation by profession, and the national persona ×
// ambito heat map. The in-run baseline is one primary-key read of a counter under the same
// concurrency. The aggregates are rebuilt first if they never were.
func BenchDashboard(ctx context.Context, d *db.DB, viewers, rounds int) (BenchReport, error) {
	sys := domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	s := New(d, nil)
	rep := BenchReport{Dialect: string(d.Dialect)}
	if ok, err := s.built(sys); err != nil {
		return rep, err
	} else if !ok {
		if _, err := s.Rebuild(sys); err != nil {
			return rep, err
		}
	}
	rep.count(sys, d)
	var region, org int64
	_ = d.Read.QueryRowContext(sys, `SELECT region_id FROM professionals GROUP BY region_id ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&region)
	_ = d.Read.QueryRowContext(sys, `SELECT organisation_id FROM professionals WHERE region_id = $1 AND organisation_id IS NOT NULL GROUP BY organisation_id ORDER BY COUNT(*) DESC LIMIT 1`, region).Scan(&org)
	nat := domain.WithActor(ctx, domain.Actor{UserID: 1, Username: "bench", Role: domain.RoleNational})
	panels := []struct {
		name string
		fn   func() error
	}{
		{"map_by_region", func() error { _, err := s.Table(nat, Query{Indicator: "assessed"}, "region", "it"); return err }},
		{"region_by_organisation", func() error {
			_, err := s.Table(nat, Query{Indicator: "level", Region: region}, "organisation", "it")
			return err
		}},
		{"organisation_by_profession", func() error {
			_, err := s.Table(nat, Query{Indicator: "assessed", Organisation: org}, "profession", "it")
			return err
		}},
		{"heatmap", func() error { _, err := s.Heatmap(nat, Query{Indicator: "level"}, "it"); return err }},
	}
	run := func(fn func() error) ([]time.Duration, error) {
		var mu sync.Mutex
		var all []time.Duration
		var first error
		var wg sync.WaitGroup
		for v := 0; v < viewers; v++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					t := time.Now()
					err := fn()
					el := time.Since(t)
					mu.Lock()
					all = append(all, el)
					if err != nil && first == nil {
						first = err
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		return all, first
	}
	p95 := func(ds []time.Duration) float64 {
		if len(ds) == 0 {
			return 0
		}
		return float64(ds[min(len(ds)*95/100, len(ds)-1)].Microseconds()) / 1000
	}
	base, err := run(func() error {
		var n int64
		err := d.Read.QueryRowContext(sys, `SELECT COUNT(*) FROM monitor_cells WHERE region_id = $1 AND metric = 'prof' AND period = '' AND organisation_id = -1`, region).Scan(&n)
		return err
	})
	if err != nil {
		return rep, err
	}
	bp := p95(base)
	for _, p := range panels {
		ds, err := run(p.fn)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", p.name, err)
		}
		v := p95(ds)
		rep.Figures = append(rep.Figures, BenchFigure{Scenario: "dashboard_" + p.name, Metric: fmt.Sprintf("p95_%d_viewers", viewers), Value: v, Unit: "ms",
			Baseline: bp, Ratio: v / max(bp, 1e-3), Target: BenchPanelTargetMs, Pass: pass(v, BenchPanelTargetMs)})
	}
	return rep, nil
}
