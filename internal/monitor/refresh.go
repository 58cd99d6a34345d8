package monitor

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
)

const cellCols = "region_id, organisation_id, profession_code, persona_id, period, metric, item, n, total"

const upsertTail = ` ON CONFLICT (region_id, metric, period, organisation_id, profession_code, persona_id, item)
	DO UPDATE SET n = monitor_cells.n + excluded.n, total = monitor_cells.total + excluded.total`

// Refresh drains the dirty queue: each batch of professionals gets its facts re-derived and the
// counters moved by the difference from the facts last counted. It returns how many
// professionals it refreshed. When no full build was ever made it runs Rebuild instead.
func (s *Service) Refresh(ctx context.Context) (int, error) {
	s.mu.Lock()
	built, err := s.built(ctx)
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if !built {
		st, err := s.Rebuild(ctx)
		return st.Professionals, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for {
		n, err := s.refreshBatch(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func (s *Service) built(ctx context.Context) (bool, error) {
	var v string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT value FROM monitor_state WHERE key = 'built'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// refreshBatch handles one batch of dirty professionals. The ids leave the queue before their
// sources are read, so a write that lands meanwhile marks them dirty again and is counted by
// the next batch; if applying fails they go back into the queue.
func (s *Service) refreshBatch(ctx context.Context) (int, error) {
	ids, err := db.Int64s(ctx, s.DB.Read, `SELECT professional_id FROM monitor_dirty ORDER BY professional_id LIMIT $1`, s.batchSize())
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	in, args := inList(s.DB.IsPostgres(), ids)
	if err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM monitor_dirty WHERE professional_id IN (`+in+`)`, args...)
		return err
	}); err != nil {
		return 0, err
	}
	requeue := func(cause error) error {
		rerr := s.DB.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
			vals := make([]any, len(ids))
			for i, id := range ids {
				vals[i] = id
			}
			return db.ExecBatch(ctx, tx, s.DB.IsPostgres(), `INSERT INTO monitor_dirty (professional_id) VALUES `, 1, ` ON CONFLICT DO NOTHING`, vals, nil)
		})
		return errors.Join(cause, rerr)
	}
	d, err := s.newDeriver(ctx)
	if err != nil {
		return 0, requeue(err)
	}
	facts, err := d.derive(ctx, s.DB.Read, ids)
	if err != nil {
		return 0, requeue(err)
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.storedFacts(ctx, tx, in, args)
		if err != nil {
			return err
		}
		delta := newCounters()
		for _, id := range ids {
			if f := old[id]; f != nil {
				fw, err := s.framework(ctx, f.FW)
				if err != nil {
					return err
				}
				contribute(f, fw, -1, delta)
			}
			if f := facts[id]; f != nil {
				contribute(f, d.fw, +1, delta)
			}
		}
		if err := s.applyDelta(ctx, tx, delta.emit()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_facts WHERE professional_id IN (`+in+`)`, args...); err != nil {
			return err
		}
		return s.insertFacts(ctx, tx, ids, facts, now)
	})
	if err != nil {
		return 0, requeue(err)
	}
	s.gen.Add(1)
	return len(ids), nil
}

// storedFacts reads the facts last counted for the professionals of the IN list.
func (s *Service) storedFacts(ctx context.Context, q db.Querier, in string, args []any) (map[int64]*Facts, error) {
	rows, err := q.QueryContext(ctx, `SELECT professional_id, region_id, organisation_id, profession_code, persona_id, facts
		FROM monitor_facts WHERE professional_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]*Facts{}
	for rows.Next() {
		var id int64
		var raw string
		f := &Facts{}
		if err := rows.Scan(&id, &f.Region, &f.Org, &f.Profession, &f.Persona, &raw); err != nil {
			return nil, err
		}
		if err := decodeFacts(raw, f); err != nil {
			return nil, fmt.Errorf("professional %d: %w", id, err)
		}
		out[id] = f
	}
	return out, rows.Err()
}

func (s *Service) insertFacts(ctx context.Context, tx *sql.Tx, ids []int64, facts map[int64]*Facts, now time.Time) error {
	var args []any
	for _, id := range ids {
		if f := facts[id]; f != nil {
			args = factArgs(args, id, f, now)
		}
	}
	return s.writeFacts(ctx, tx, args)
}

// factArgs appends a monitor_facts row of professional id to args.
func factArgs(args []any, id int64, f *Facts, now time.Time) []any {
	return append(args, id, f.Region, f.Org, f.Profession, f.Persona, f.encode(), now)
}

// writeFacts inserts monitor_facts rows flattened by factArgs.
func (s *Service) writeFacts(ctx context.Context, tx *sql.Tx, args []any) error {
	return db.ExecBatch(ctx, tx, s.DB.IsPostgres(), `INSERT INTO monitor_facts (professional_id, region_id, organisation_id,
		profession_code, persona_id, facts, updated_at) VALUES `, 7, "", args, nil)
}

// writeCells adds counters flattened by cellArgs to monitor_cells (a key already there adds).
func (s *Service) writeCells(ctx context.Context, tx *sql.Tx, args []any) error {
	return db.ExecBatch(ctx, tx, s.DB.IsPostgres(), `INSERT INTO monitor_cells (`+cellCols+`) VALUES `, 9, upsertTail, args, nil)
}

// applyDelta adds the non-zero deltas to the counters. Counters that fall to zero stay as
// zero rows (queries skip them; a rebuild drops them): deleting them would cost a statement
// per key.
func (s *Service) applyDelta(ctx context.Context, tx *sql.Tx, delta map[cellKey]cellVal) error {
	return s.writeCells(ctx, tx, cellArgs(delta))
}

// cellArgs flattens the non-zero counters of m, in key order (see sortedKeys), as the
// arguments of a monitor_cells insert of cellCols.
func cellArgs(m map[cellKey]cellVal) []any {
	args := make([]any, 0, len(m)*9)
	for _, k := range sortedKeys(m) {
		v := m[k]
		if v.N == 0 && v.Total == 0 {
			continue
		}
		args = append(args, k.Region, k.Org, k.Profession, k.Persona, k.Period, k.Metric, k.Item, v.N, v.Total)
	}
	return args
}

// RebuildStats describes a full rebuild.
type RebuildStats struct {
	Professionals int           `json:"professionals"`
	Cells         int           `json:"cells"`
	Duration      time.Duration `json:"duration_ns"`
}

// Rebuild recomputes every counter and every professional's facts from the sources, in one
// transaction: readers see the old counters until it commits. Writes made meanwhile are
// marked dirty and counted by the next refresh. Only the system and national governance may
// run it.
//
// The professionals are walked in id order in chunks read by id range (a range scan of each
// source instead of an index probe per id). One goroutine derives the facts and counts them
// while the caller's goroutine writes what it produced, so that reading and writing overlap.
// The counters are kept in memory up to rebuildFlushCells keys, then added to the table (an
// upsert: a key met again in a later flush adds to the row), which bounds memory whatever the
// order of regions among the ids.
func (s *Service) Rebuild(ctx context.Context) (RebuildStats, error) {
	if _, err := requireRebuilder(ctx); err != nil {
		return RebuildStats{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	var st RebuildStats
	// Everything marked so far is covered by what this rebuild reads.
	if err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM monitor_dirty`)
		return err
	}); err != nil {
		return st, err
	}
	d, err := s.newDeriver(ctx)
	if err != nil {
		return st, err
	}
	ids, err := db.Int64s(ctx, s.DB.Read, `SELECT id FROM professionals ORDER BY id`)
	if err != nil {
		return st, err
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM monitor_cells`, `DELETE FROM monitor_facts`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		work := make(chan rebuildWork, 4)
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var perr error
		var counted int
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(work)
			counted, perr = s.produceRebuild(pctx, d, ids, now, work)
		}()
		var werr error
		for w := range work {
			if werr != nil {
				continue // drain so that the producer ends
			}
			if werr = s.writeFacts(ctx, tx, w.facts); werr == nil {
				werr = s.writeCells(ctx, tx, w.cells)
			}
			if werr != nil {
				cancel()
			}
		}
		<-done
		if werr != nil {
			return werr
		}
		if perr != nil {
			return perr
		}
		st.Professionals = counted
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM monitor_cells`).Scan(&st.Cells); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_state (key, value, updated_at) VALUES ('built', $1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, fmt.Sprintf("%d professionals, %d cells", st.Professionals, st.Cells), now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "rebuild", Entity: "aggregates", EntityID: "monitor",
			After: map[string]int{"professionals": st.Professionals, "cells": st.Cells}})
	})
	st.Duration = time.Since(start)
	s.gen.Add(1)
	return st, err
}

// rebuildChunk is how many professionals a rebuild derives at a time by default, and
// rebuildFlushCells how many counter keys it keeps in memory before adding them to the table
// (~200 bytes each).
const (
	rebuildChunk      = 4000
	rebuildFlushCells = 400_000
)

// rebuildWork is what the rebuild's producer hands to its writer: monitor_facts rows and
// monitor_cells rows, flattened as statement arguments.
type rebuildWork struct {
	facts []any
	cells []any
}

// produceRebuild derives the facts of ids (sorted) chunk by chunk, counts them and sends the
// rows to write; it returns how many professionals it counted.
func (s *Service) produceRebuild(ctx context.Context, d *deriver, ids []int64, now time.Time, work chan<- rebuildWork) (int, error) {
	counted := 0
	chunk, flushAt := cmp.Or(s.RebuildChunk, rebuildChunk), cmp.Or(s.RebuildFlushCells, rebuildFlushCells)
	acc := newCounters()
	send := func(w rebuildWork) error {
		select {
		case work <- w:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	flush := func() error {
		args := cellArgs(acc.emit())
		acc.reset()
		return send(rebuildWork{cells: args})
	}
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		facts, err := d.deriveRange(ctx, s.DB.Read, part[0], part[len(part)-1], len(part))
		if err != nil {
			return counted, err
		}
		rows := make([]any, 0, len(facts)*7)
		// In id order, as the ids came: professionals created meanwhile in the range are counted
		// too (they are marked dirty, and the refresh takes the facts stored here off first).
		keys := make([]int64, 0, len(facts))
		for id := range facts {
			keys = append(keys, id)
		}
		slices.Sort(keys)
		for _, id := range keys {
			f := facts[id]
			contribute(f, d.fw, +1, acc)
			counted++
			rows = factArgs(rows, id, f, now)
		}
		if err := send(rebuildWork{facts: rows}); err != nil {
			return counted, err
		}
		if acc.size() >= flushAt {
			if err := flush(); err != nil {
				return counted, err
			}
		}
	}
	return counted, flush()
}

// Pending is how many professionals wait in the dirty queue.
func (s *Service) Pending(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM monitor_dirty`).Scan(&n)
	return n, err
}

// Run refreshes the counters every interval (a second when 0) until ctx ends or the database
// is closed. Errors are logged and retried at the next tick.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Refresh(ctx); err != nil {
			if ctx.Err() != nil || errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "database is closed") {
				return
			}
			s.Log.Warn("monitor refresh", "err", err)
		}
	}
}

// Status reports how many professionals wait to be counted and the last full rebuild.
func (s *Service) Status(ctx context.Context) (Status, error) {
	if _, err := requireViewer(ctx); err != nil {
		return Status{}, err
	}
	var st Status
	var err error
	if st.Pending, err = s.Pending(ctx); err != nil {
		return st, err
	}
	var v string
	var at time.Time
	err = s.DB.Read.QueryRowContext(ctx, `SELECT value, updated_at FROM monitor_state WHERE key = 'built'`).Scan(&v, &at)
	if err == nil {
		st.Built = at.UTC().Format(time.RFC3339) + " (" + v + ")"
	} else if !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	return st, nil
}

// SetBackground gives the service the context its background refresher lives in (the
// platform's lifetime); Start uses it.
func (s *Service) SetBackground(ctx context.Context) {
	s.bgMu.Lock()
	s.bg = ctx
	s.bgMu.Unlock()
}

// Start launches the background refresher (every second) once; later calls do nothing. The
// web module calls it on every monitoring request, so a process that never serves (a CLI
// command, a bulk seed) never competes with its own writes: bulk loads are followed by a
// rebuild instead.
func (s *Service) Start() {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.started || s.bg == nil {
		return
	}
	s.started = true
	go s.Run(s.bg, time.Second)
}
