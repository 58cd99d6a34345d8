package assess

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"sort"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Benchmarks of this capability, for `go test -bench` and for the platform's bench command.
// Each builds its own data in the given (empty, migrated) database: a portfolio shaped like
// the national one (6 dimensions, 16 ambiti, 140 lines), n professionals of 10 synthetic
// personas of 45 required lines each, and 10 stored levels per professional. The personas are
// served from memory by benchTargets, standing in for the personas service.

// BenchMetric is one measured figure with its in-run baseline, as performance.md asks.
type BenchMetric struct {
	Scenario string  `json:"scenario"`
	Dataset  string  `json:"dataset"`
	Metric   string  `json:"metric"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	BaseName string  `json:"baseline_metric,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	Target   string  `json:"target,omitempty"`
	Pass     *bool   `json:"pass,omitempty"`
	Env      string  `json:"environment"`
}

func benchEnv(d *db.DB) string {
	return fmt.Sprintf("nproc=%d go=%s db=%s", runtime.NumCPU(), runtime.Version(), d.Dialect)
}

// benchTargets serves the synthetic personas: persona k requires 45 lines at level 2 or 3.
type benchTargets struct {
	fw      int64
	lines   []int64
	first   int64
	n       int64
	targets [10][]Target
}

func (b *benchTargets) persona(prof int64) int { return int((prof - b.first) % 10) }

func (b *benchTargets) build(bump int) {
	for k := 0; k < 10; k++ {
		b.targets[k] = b.targets[k][:0]
		for i, l := range b.lines {
			if (i*7+k*13)%140 < 45 {
				lv := 2 + (i+k)%2
				if k == 3 && bump > 0 && i%3 == 0 {
					lv = min(4, lv+bump)
				}
				if k == 3 && bump > 1 && i%3 == 1 {
					lv = 1
				}
				b.targets[k] = append(b.targets[k], Target{LineID: l, Level: lv})
			}
		}
	}
}

func (b *benchTargets) info(k int) PersonaInfo {
	return PersonaInfo{ID: int64(k + 1), Code: fmt.Sprintf("P%d", k+1), Name: fmt.Sprintf("Persona %d", k+1), FrameworkID: b.fw}
}

func (b *benchTargets) EffectiveTargets(_ context.Context, prof int64) ([]Target, PersonaInfo, error) {
	if prof < b.first || prof >= b.first+b.n {
		return nil, PersonaInfo{}, domain.NotFound("persona")
	}
	k := b.persona(prof)
	return b.targets[k], b.info(k), nil
}

func (b *benchTargets) EachEffectiveTargets(_ context.Context, personaID int64, fn func(int64, []Target, PersonaInfo) error) error {
	for p := b.first; p < b.first+b.n; p++ {
		k := b.persona(p)
		if personaID != 0 && int64(k+1) != personaID {
			continue
		}
		if err := fn(p, b.targets[k], b.info(k)); err != nil {
			return err
		}
	}
	return nil
}

// benchWorld writes the synthetic portfolio, professionals and levels.
func benchWorld(ctx context.Context, d *db.DB, n int) (*benchTargets, time.Duration, error) {
	start := time.Now()
	now := db.Now()
	bt := &benchTargets{n: int64(n)}
	one := func(q string, args ...any) (int64, error) {
		var id int64
		err := d.Write.QueryRowContext(ctx, q, args...).Scan(&id)
		return id, err
	}
	var err error
	code := fmt.Sprintf("BENCH-%d", now.UnixNano())
	bt.fw, err = one(`INSERT INTO framework_versions (code, version, title_it, state, illustrative, created_at) VALUES ($1,'1','Portfolio di benchmark','draft',TRUE,$2) RETURNING id`, code, now)
	if err != nil {
		return nil, 0, err
	}
	for lv, name := range []string{"Base", "Intermedio", "Avanzato", "Specialistico"} {
		if _, err := d.Write.ExecContext(ctx, `INSERT INTO scale_levels (framework_id, level, code, label_it) VALUES ($1,$2,$3,$4)`, bt.fw, lv+1, fmt.Sprint(lv+1), name); err != nil {
			return nil, 0, err
		}
	}
	line := 0
	for di := 0; di < 6; di++ {
		dim, err := one(`INSERT INTO framework_items (framework_id, kind, code, position, title_it) VALUES ($1,'dimension',$2,$3,$4) RETURNING id`,
			bt.fw, fmt.Sprintf("D%d", di+1), di+1, fmt.Sprintf("Dimensione %d", di+1))
		if err != nil {
			return nil, 0, err
		}
		areas := 3
		if di < 4 {
			areas = 2
		}
		if di == 0 {
			areas = 4
		}
		for ai := 0; ai < areas; ai++ {
			area, err := one(`INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it) VALUES ($1,'area',$2,$3,$4,$5) RETURNING id`,
				bt.fw, fmt.Sprintf("D%d.A%d", di+1, ai+1), dim, ai+1, fmt.Sprintf("Ambito %d.%d", di+1, ai+1))
			if err != nil {
				return nil, 0, err
			}
			for li := 0; li < 9 && line < 140; li++ {
				id, err := one(`INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it) VALUES ($1,'line',$2,$3,$4,$5) RETURNING id`,
					bt.fw, fmt.Sprintf("D%d.A%d.L%d", di+1, ai+1, li+1), area, li+1, fmt.Sprintf("Linea %d", line+1))
				if err != nil {
					return nil, 0, err
				}
				if _, err := d.Write.ExecContext(ctx, `INSERT INTO crosswalks (item_id, scheme, target_code, relation) VALUES ($1,'ecm',$2,'exact')`,
					id, []string{"17", "35"}[line%2]); err != nil {
					return nil, 0, err
				}
				bt.lines = append(bt.lines, id)
				line++
			}
		}
	}
	// Published once complete: the portfolio's triggers freeze published versions.
	if _, err := d.Write.ExecContext(ctx, `UPDATE framework_versions SET state = 'published', published_at = $1 WHERE id = $2`, now, bt.fw); err != nil {
		return nil, 0, err
	}
	var region int64
	if err := d.Read.QueryRowContext(ctx, `SELECT id FROM regions ORDER BY id LIMIT 1`).Scan(&region); err != nil {
		if region, err = one(`INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ('99','999','IT-XX','Regione benchmark') RETURNING id`); err != nil {
			return nil, 0, err
		}
	}
	org, err := one(`INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at) VALUES ('bench',$1,'Azienda benchmark','azienda benchmark',$2,$3,$3) RETURNING id`,
		code, region, now)
	if err != nil {
		return nil, 0, err
	}
	// Professionals and their levels, in multi-row inserts of 1000 professionals per transaction.
	rng := rand.New(rand.NewSource(42))
	const per = 1000
	codes := make([]string, len(bt.lines))
	rows, err := d.Read.QueryContext(ctx, `SELECT id, code FROM framework_items WHERE framework_id = $1 AND kind = 'line'`, bt.fw)
	if err != nil {
		return nil, 0, err
	}
	idx := map[int64]int{}
	for i, l := range bt.lines {
		idx[l] = i
	}
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			rows.Close()
			return nil, 0, err
		}
		codes[idx[id]] = c
	}
	rows.Close()
	pg := d.IsPostgres()
	for done := 0; done < n; done += per {
		m := min(per, n-done)
		tx, err := d.Write.BeginTx(ctx, nil)
		if err != nil {
			return nil, 0, err
		}
		rows := make([][]any, m)
		for i := range rows {
			cf := fmt.Sprintf("%s-%09d", code, done+i)
			rows[i] = []any{cf, cf, "Bench", "Persona", "bench persona", region, org, "dipendente", "ospedale", now, now}
		}
		if err := insertRows(ctx, tx, pg, "professionals", []string{"cf", "cf_display", "given_name", "family_name", "search_name", "region_id",
			"organisation_id", "employment", "care_setting", "created_at", "updated_at"}, rows); err != nil {
			tx.Rollback()
			return nil, 0, err
		}
		r, err := tx.QueryContext(ctx, `SELECT id FROM professionals WHERE cf BETWEEN $1 AND $2 ORDER BY id`,
			fmt.Sprintf("%s-%09d", code, done), fmt.Sprintf("%s-%09d", code, done+m-1))
		if err != nil {
			tx.Rollback()
			return nil, 0, err
		}
		var ids []int64
		for r.Next() {
			var id int64
			if err := r.Scan(&id); err != nil {
				r.Close()
				tx.Rollback()
				return nil, 0, err
			}
			ids = append(ids, id)
		}
		r.Close()
		if bt.first == 0 {
			bt.first = ids[0]
		}
		// One packed row of stored levels per professional (up to 10 lines, no evidence).
		lrows := make([][]any, 0, len(ids))
		for _, id := range ids {
			seen := map[int]bool{}
			var ls []storedLevel
			for j := 0; j < 10; j++ {
				li := rng.Intn(len(bt.lines))
				if !seen[li] {
					seen[li] = true
					ls = append(ls, storedLevel{Code: codes[li], Level: rng.Intn(4)})
				}
			}
			lrows = append(lrows, []any{id, "latest", now, packStoredLevels(ls)})
		}
		if err := insertRows(ctx, tx, pg, "competence_levels", []string{"professional_id", "rule", "computed_at", "levels"}, lrows); err != nil {
			tx.Rollback()
			return nil, 0, err
		}
		if err := tx.Commit(); err != nil {
			return nil, 0, err
		}
	}
	bt.build(0)
	return bt, time.Since(start), nil
}

// baselineInsert measures the raw insert rate into an unindexed table with the same bulk
// path (prepared single-row statements on SQLite, multi-row on PostgreSQL) and 1 000 rows per
// transaction, in rows per second.
func baselineInsert(ctx context.Context, d *db.DB, rows int) (float64, error) {
	if _, err := d.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_assess_baseline (a BIGINT NOT NULL, b BIGINT NOT NULL, c TEXT NOT NULL)`); err != nil {
		return 0, err
	}
	defer d.Write.ExecContext(ctx, `DROP TABLE IF EXISTS bench_assess_baseline`)
	start := time.Now()
	const per = 1000
	for done := 0; done < rows; done += per {
		m := min(per, rows-done)
		batch := make([][]any, m)
		for i := range batch {
			batch[i] = []any{done + i, i % 7, "2027-12-31"}
		}
		tx, err := d.Write.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if err := insertRows(ctx, tx, d.IsPostgres(), "bench_assess_baseline", []string{"a", "b", "c"}, batch); err != nil {
			tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

// BenchRegenerate builds a world of n professionals in d, then generates everyone's objectives
// (first run), changes the targets of one persona and regenerates everyone's again (the
// re-run after a persona change), reporting time, throughput and peak heap against a raw
// batch-insert baseline of the same database.
func BenchRegenerate(ctx context.Context, d *db.DB, n int) ([]BenchMetric, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	bt, setup, err := benchWorld(ctx, d, n)
	if err != nil {
		return nil, err
	}
	s := New(d, nil, nil)
	s.Targets = bt
	env := benchEnv(d)
	ds := fmt.Sprintf("synthetic-%d", n)
	out := []BenchMetric{{Scenario: "assess_regenerate", Dataset: ds, Metric: "setup_seconds", Value: setup.Seconds(), Unit: "s", Env: env}}
	base, err := baselineInsert(ctx, d, min(max(n*8, 20000), 2_000_000))
	if err != nil {
		return nil, err
	}
	// initial: everyone's objectives from nothing; after_persona_change: persona 4's targets
	// change and everyone is regenerated (the job without a persona filter); one_persona: they
	// change again and only persona 4's professionals are regenerated (the job with a filter).
	for _, run := range []struct {
		name    string
		bump    int
		persona int64
	}{{"initial", 0, 0}, {"after_persona_change", 1, 0}, {"one_persona", 2, 4}} {
		bt.build(run.bump)
		runtime.GC()
		rep, err := s.RegenerateObjectives(ctx, run.persona, nil)
		if err != nil {
			return nil, err
		}
		rowsPerSec := float64(rep.Inserted+rep.Deleted) / rep.Seconds
		out = append(out,
			BenchMetric{Scenario: "assess_regenerate_" + run.name, Dataset: ds, Metric: "seconds", Value: rep.Seconds, Unit: "s", Env: env},
			BenchMetric{Scenario: "assess_regenerate_" + run.name, Dataset: ds, Metric: "professionals_per_second", Value: rep.PerSecond, Unit: "1/s", Env: env},
			BenchMetric{Scenario: "assess_regenerate_" + run.name, Dataset: ds, Metric: "objective_rows_written_per_second", Value: rowsPerSec, Unit: "rows/s",
				Baseline: base, BaseName: "raw batch insert, unindexed table", Ratio: rowsPerSec / base, Env: env},
			BenchMetric{Scenario: "assess_regenerate_" + run.name, Dataset: ds, Metric: "peak_heap", Value: rep.PeakHeapMB, Unit: "MiB", Env: env},
			BenchMetric{Scenario: "assess_regenerate_" + run.name, Dataset: ds, Metric: "professionals_changed", Value: float64(rep.Changed), Unit: "count", Env: env},
			BenchMetric{Scenario: "assess_regenerate_" + run.name, Dataset: ds, Metric: "objectives_inserted", Value: float64(rep.Inserted), Unit: "count", Env: env},
		)
	}
	return out, nil
}

// BenchGaps builds a world of n professionals and times calls computations of one
// professional's gap analysis through the service (scope check, targets, stored levels,
// roll-ups), against the p99 of a primary-key lookup of a professional in the same run.
// Target: p99 ≤ 5 ms.
func BenchGaps(ctx context.Context, d *db.DB, n, calls int) ([]BenchMetric, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	bt, _, err := benchWorld(ctx, d, n)
	if err != nil {
		return nil, err
	}
	s := New(d, nil, nil)
	s.Targets = bt
	rng := rand.New(rand.NewSource(7))
	pick := func() int64 { return bt.first + rng.Int63n(bt.n) }
	return benchGapCalls(ctx, s, d, pick, calls, fmt.Sprintf("synthetic-%d", n))
}

// BenchGapsOn times calls gap analyses of professionals drawn from ids through s, the
// service of a world that already exists (the seeded national dataset: real personas,
// overlays and the levels of their simulated assessments), against a primary-key lookup.
func BenchGapsOn(ctx context.Context, s *Service, ids []int64, calls int, dataset string) ([]BenchMetric, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("no professionals to analyse")
	}
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	rng := rand.New(rand.NewSource(7))
	pick := func() int64 { return ids[rng.Intn(len(ids))] }
	return benchGapCalls(ctx, s, s.DB, pick, calls, dataset)
}

func benchGapCalls(ctx context.Context, s *Service, d *db.DB, pick func() int64, calls int, ds string) ([]BenchMetric, error) {
	// Warm up (framework cache, connections).
	for i := 0; i < 200; i++ {
		if _, err := s.Gaps(ctx, pick(), "it"); err != nil {
			return nil, err
		}
	}
	gap := make([]time.Duration, calls)
	pk := make([]time.Duration, calls)
	for i := 0; i < calls; i++ {
		id := pick()
		t0 := time.Now()
		var name string
		if err := d.Read.QueryRowContext(ctx, `SELECT given_name FROM professionals WHERE id = $1`, id).Scan(&name); err != nil {
			return nil, err
		}
		pk[i] = time.Since(t0)
		t0 = time.Now()
		if _, err := s.Gaps(ctx, id, "it"); err != nil {
			return nil, err
		}
		gap[i] = time.Since(t0)
	}
	q := func(ds []time.Duration, p float64) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[min(len(ds)-1, int(float64(len(ds))*p))].Microseconds()) / 1000
	}
	env := benchEnv(d)
	p99, b99 := q(gap, 0.99), q(pk, 0.99)
	pass := p99 <= 5
	return []BenchMetric{
		{Scenario: "assess_gap_one_professional", Dataset: ds, Metric: "p50", Value: q(gap, 0.5), Unit: "ms", Baseline: q(pk, 0.5), BaseName: "primary-key lookup p50", Ratio: q(gap, 0.5) / max(q(pk, 0.5), 0.001), Env: env},
		{Scenario: "assess_gap_one_professional", Dataset: ds, Metric: "p99", Value: p99, Unit: "ms", Baseline: b99, BaseName: "primary-key lookup p99", Ratio: p99 / max(b99, 0.001), Target: "<= 5 ms", Pass: &pass, Env: env},
	}, nil
}
