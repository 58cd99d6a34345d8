// Package seed generates the synthetic national dataset of performance.md (sizes S, M, L)
// into the configured database: a deterministic world drawn from a seed and the real
// reference data (regions weighted by population, the real ASL and hospitals, comuni as
// birthplaces, professions and disciplines in national proportions), written through the
// capabilities' own bulk services so every rule and the audit trail apply, with progress
// lines and its own speed reported.
package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// World is what the steps share while seeding.
type World struct {
	DB   *db.DB
	Size Size
	Seed int64
	Out  io.Writer
	Ref  *Reference
	Gen  *Generator
	// ProfessionalIDs maps each generated row index to the professional's id in the
	// database, filled by the professionals step for the steps after it.
	ProfessionalIDs []int64
}

// Step is one part of the world, written by one capability's service.
type Step struct {
	Name string
	// Total is the number of units the step writes (for progress and the rate); 0 = unknown.
	Total func(w *World) int64
	// Run writes the step's part of the world and returns the units it wrote.
	Run func(ctx context.Context, w *World, p *Progress) (int64, error)
}

// StepResult is how one step went.
type StepResult struct {
	Step    string
	Rows    int64
	Elapsed time.Duration
	Skipped bool // already done by an earlier run of the same seed
}

// Rate is rows per second.
func (r StepResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Rows) / r.Elapsed.Seconds()
}

// Seeder runs the steps in order, recording each in seed_runs so a second run of the same
// size and seed finishes what an interrupted one left (every step is idempotent) and a run
// with another size or seed is refused rather than mixed in.
type Seeder struct {
	DB    *db.DB
	Size  Size
	Seed  int64
	Out   io.Writer
	Steps []Step
}

// ErrSeeded reports a database already holding another dataset.
var ErrSeeded = errors.New("seed: the database already holds another dataset")

// Run seeds the world. ctx must carry the system actor.
func (s *Seeder) Run(ctx context.Context) ([]StepResult, error) {
	if s.Out == nil {
		s.Out = io.Discard
	}
	if a := domain.ActorFrom(ctx); a.Role != domain.RoleSystem {
		return nil, domain.Forbidden("only the system may seed a dataset")
	}
	done, err := s.check(ctx)
	if err != nil {
		return nil, err
	}
	ref, err := LoadReference(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	gen, err := NewGenerator(ref, s.Seed)
	if err != nil {
		return nil, err
	}
	w := &World{DB: s.DB, Size: s.Size, Seed: s.Seed, Out: s.Out, Ref: ref, Gen: gen}
	fmt.Fprintf(s.Out, "seed: dataset %s (seed %d): %s professionals, %s events, on %s\n", s.Size.Name, s.Seed,
		group(int64(s.Size.Professionals)), group(int64(s.Size.Events)), s.DB.Dialect)
	var results []StepResult
	for _, st := range s.Steps {
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
		if done[st.Name] {
			results = append(results, StepResult{Step: st.Name, Skipped: true})
			fmt.Fprintf(s.Out, "seed: %-14s already done\n", st.Name)
			continue
		}
		var total int64
		if st.Total != nil {
			total = st.Total(w)
		}
		runID, err := s.begin(ctx, st.Name)
		if err != nil {
			return results, err
		}
		p := NewProgress(s.Out, st.Name, total)
		rows, err := st.Run(ctx, w, p)
		if err != nil {
			return results, fmt.Errorf("seed step %s: %w", st.Name, err)
		}
		_, el, _ := p.Done()
		res := StepResult{Step: st.Name, Rows: rows, Elapsed: el}
		results = append(results, res)
		if err := s.finish(ctx, runID, res); err != nil {
			return results, err
		}
		// Each step leaves the log empty for the next, so none reads through a large one.
		if err := s.DB.Checkpoint(ctx); err != nil {
			fmt.Fprintf(s.Out, "seed: %s: %v\n", st.Name, err)
		}
		fmt.Fprintf(s.Out, "seed: %-14s %s in %.1fs (%s/s)\n", st.Name, group(rows), el.Seconds(), group(int64(res.Rate())))
	}
	return results, nil
}

// check returns the steps already finished for this size and seed, and refuses a database
// seeded with another dataset or holding professionals that no seed wrote.
func (s *Seeder) check(ctx context.Context) (map[string]bool, error) {
	done := map[string]bool{}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT size, seed, step, finished_at FROM seed_runs ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	any := false
	for rows.Next() {
		var size, step string
		var seed int64
		var fin sql.NullTime
		if err := rows.Scan(&size, &seed, &step, &fin); err != nil {
			return nil, err
		}
		any = true
		if size != s.Size.Name || seed != s.Seed {
			return nil, fmt.Errorf("%w (size %s, seed %d): seed an empty database", ErrSeeded, size, seed)
		}
		if fin.Valid {
			done[step] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !any {
		var n int64
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: it holds %d professionals not written by a seed; seed an empty database", ErrSeeded, n)
		}
	}
	return done, nil
}

func (s *Seeder) begin(ctx context.Context, step string) (int64, error) {
	var id int64
	err := s.DB.Write.QueryRowContext(ctx, `INSERT INTO seed_runs (size, seed, step, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		s.Size.Name, s.Seed, step, db.Now()).Scan(&id)
	return id, err
}

func (s *Seeder) finish(ctx context.Context, id int64, r StepResult) error {
	_, err := s.DB.Write.ExecContext(ctx, `UPDATE seed_runs SET rows = $1, seconds = $2, finished_at = $3 WHERE id = $4`,
		r.Rows, r.Elapsed.Seconds(), db.Now(), id)
	return err
}

// Professionals returns the database ids of the seeded professionals in row order: the
// professionals step inserts them in order into a database that held none, so id order is
// row order. Steps after it call this rather than relying on the professionals step having
// run in the same process (it may have finished in an earlier, interrupted run).
func (w *World) Professionals(ctx context.Context) ([]int64, error) {
	if len(w.ProfessionalIDs) > 0 {
		return w.ProfessionalIDs, nil
	}
	rows, err := w.DB.Read.QueryContext(ctx, `SELECT id FROM professionals ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, w.Size.Professionals)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	w.ProfessionalIDs = ids
	return ids, rows.Err()
}

// Dataset describes the dataset a database holds, for the benchmark environment.
type Dataset struct {
	Size          string
	Seed          int64
	Professionals int64
	Events        int64
}

// Current returns the dataset of the database (Size "" when it was never seeded).
func Current(ctx context.Context, d *db.DB) (Dataset, error) {
	var ds Dataset
	err := d.Read.QueryRowContext(ctx, `SELECT size, seed FROM seed_runs ORDER BY id LIMIT 1`).Scan(&ds.Size, &ds.Seed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ds, err
	}
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&ds.Professionals); err != nil {
		return ds, err
	}
	return ds, nil
}
