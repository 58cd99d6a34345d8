package assess

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// RegenReport is what a regeneration of objectives did, with its speed and memory.
type RegenReport struct {
	Professionals int64   `json:"professionals"`
	Changed       int64   `json:"professionals_changed"`
	Inserted      int64   `json:"objectives_inserted"`
	Deleted       int64   `json:"objectives_deleted"`
	Unchanged     int64   `json:"objectives_unchanged"`
	Batches       int64   `json:"batches"`
	Seconds       float64 `json:"seconds"`
	PerSecond     float64 `json:"professionals_per_second"`
	PeakHeapMB    float64 `json:"peak_heap_mb"`
}

var errRetry = fmt.Errorf("objectives changed during regeneration")

// regenBatch is how many professionals are regenerated per transaction.
const regenBatch = 2000

type regenItem struct {
	prof    int64
	targets []Target
	persona PersonaInfo
}

// StartRegenerate starts the background job that regenerates the draft objectives of every
// professional with persona personaID (0 = everyone), e.g. after a persona's targets changed.
// National governance only; it returns the job id.
func (s *Service) StartRegenerate(ctx context.Context, personaID int64) (int64, error) {
	if _, err := requireNational(ctx); err != nil {
		return 0, err
	}
	if _, err := s.targets(); err != nil {
		return 0, err
	}
	if s.Jobs == nil {
		return 0, &domain.Error{Code: domain.EINTERNAL, Message: "no job runner"}
	}
	return s.Jobs.Start(ctx, "regenerate_objectives", func(ctx context.Context, p jobs.Progress) (any, error) {
		return s.RegenerateObjectives(ctx, personaID, p)
	})
}

// RegenerateObjectives streams the effective targets of the professionals (of one persona, or
// all), computes each one's gaps from the stored levels and replaces their generated,
// unadjusted drafts where they differ, in batched transactions of regenBatch professionals.
// Agreed, started, achieved and adjusted objectives are kept. Memory stays bounded by the batch.
func (s *Service) RegenerateObjectives(ctx context.Context, personaID int64, progress jobs.Progress) (RegenReport, error) {
	var rep RegenReport
	if _, err := requireNational(ctx); err != nil {
		return rep, err
	}
	src, err := s.targets()
	if err != nil {
		return rep, err
	}
	start := time.Now()
	var total int64
	if progress != nil {
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&total)
	}
	var peak uint64
	var ms runtime.MemStats
	batch := make([]regenItem, 0, regenBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.regenerateBatch(ctx, batch, &rep); err != nil {
			return err
		}
		rep.Batches++
		batch = batch[:0]
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		if progress != nil {
			progress(rep.Professionals, max(total, rep.Professionals))
		}
		return nil
	}
	err = src.EachEffectiveTargets(domain.WithActor(ctx, domain.SystemActor), personaID, func(prof int64, ts []Target, p PersonaInfo) error {
		batch = append(batch, regenItem{prof, ts, p})
		if len(batch) >= regenBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	rep.Seconds = time.Since(start).Seconds()
	if rep.Seconds > 0 {
		rep.PerSecond = float64(rep.Professionals) / rep.Seconds
	}
	rep.PeakHeapMB = float64(peak) / (1 << 20)
	return rep, err
}

type existingObj struct {
	id                     int64
	line                   string
	state, source          string
	adjusted               bool
	from, target, priority int
	due                    string
}

func (s *Service) regenerateBatch(ctx context.Context, batch []regenItem, rep *RegenReport) error {
	lo, hi := batch[0].prof, batch[len(batch)-1].prof
	tri := s.triennium().String()
	// A dense batch (every professional, or most) is read by id range; a sparse one (one
	// persona's professionals) by id list (an array on PostgreSQL), so it does not read its
	// neighbours' rows.
	ids := make([]int64, len(batch))
	for i, it := range batch {
		ids[i] = it.prof
	}
	dense := hi-lo+1 <= int64(2*len(batch))
	byProfs := func(q db.Querier, query string, fn func(*sql.Rows) error) error {
		run := func(cond string, args []any) error {
			rows, err := q.QueryContext(ctx, strings.Replace(query, "$COND", cond, 1), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				if err := fn(rows); err != nil {
					return err
				}
			}
			return rows.Err()
		}
		if dense {
			return run("professional_id BETWEEN $1 AND $2", []any{lo, hi})
		}
		if s.DB.IsPostgres() {
			return run("professional_id = ANY($1)", []any{ids})
		}
		for start := 0; start < len(ids); start += 250 {
			end := min(start+250, len(ids))
			args := make([]any, 0, end-start)
			for _, id := range ids[start:end] {
				args = append(args, id)
			}
			if err := run("professional_id IN ("+db.Placeholders(1, len(args))+")", args); err != nil {
				return err
			}
		}
		return nil
	}
	levels := map[int64]map[string]int{}
	err := byProfs(s.DB.Read, `SELECT professional_id, levels FROM competence_levels WHERE $COND`, func(rows *sql.Rows) error {
		var p int64
		var packed string
		if err := rows.Scan(&p, &packed); err != nil {
			return err
		}
		m := make(map[string]int, strings.Count(packed, "\n")+1)
		if err := storedLevelMap(packed, m); err != nil {
			return fmt.Errorf("competence_levels of professional %d: %w", p, err)
		}
		levels[p] = m
		return nil
	})
	if err != nil {
		return err
	}
	// The objectives are read and replaced in one transaction, so a draft agreed meanwhile is
	// never deleted (and on PostgreSQL the guarded DELETE notices it and the batch retries).
	var changed, inserted, deleted, unchanged int
	for attempt := 0; ; attempt++ {
		changed, inserted, deleted, unchanged = 0, 0, 0, 0
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			existing := map[int64][]existingObj{}
			// The triennium is compared in Go: the id list fills the parameters.
			err := byProfs(tx, `SELECT id, professional_id, line_code, state, source, adjusted, from_level, target_level, priority, due_date, triennium
				FROM objectives WHERE $COND AND state <> 'expired'`, func(rows *sql.Rows) error {
				var e existingObj
				var p int64
				var tr string
				if err := rows.Scan(&e.id, &p, &e.line, &e.state, &e.source, &e.adjusted, &e.from, &e.target, &e.priority, &e.due, &tr); err != nil {
					return err
				}
				if tr == tri {
					existing[p] = append(existing[p], e)
				}
				return nil
			})
			if err != nil {
				return err
			}
			var del []int64
			var ins []Objective
			for _, it := range batch {
				if it.persona.FrameworkID == 0 {
					continue
				}
				f, err := s.framework(ctx, it.persona.FrameworkID)
				if err != nil {
					return err
				}
				lv := levels[it.prof]
				if lv == nil {
					lv = map[string]int{}
				}
				g := Gaps{ProfessionalID: it.prof, FrameworkID: f.ID, Lines: gapLines(f, it.targets, lv)}
				skip := map[string]bool{}
				keep := 0
				var drafts []existingObj
				for _, e := range existing[it.prof] {
					if e.state == ObjDraft && !e.adjusted && e.source == ObjGenerated {
						drafts = append(drafts, e)
						continue
					}
					skip[e.line] = true
					keep++
				}
				want := s.draftsFor(f, g, skip, keep)
				if sameDrafts(drafts, want) {
					unchanged += len(want)
					continue
				}
				changed++
				for _, e := range drafts {
					del = append(del, e.id)
				}
				ins = append(ins, want...)
			}
			if len(del) == 0 && len(ins) == 0 {
				return nil
			}
			for start := 0; start < len(del); start += 200 {
				end := min(start+200, len(del))
				args := make([]any, end-start)
				for i, id := range del[start:end] {
					args[i] = id
				}
				res, err := tx.ExecContext(ctx, `DELETE FROM objectives WHERE id IN (`+db.Placeholders(1, len(args))+`) AND state = 'draft' AND adjusted = FALSE`, args...)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); int(n) != len(args) {
					return errRetry
				}
			}
			if err := s.insertObjectives(ctx, tx, ins); err != nil {
				return err
			}
			inserted, deleted = len(ins), len(del)
			// One trail entry per batch: bulk work is recorded in bulk.
			return audit.Record(ctx, tx, audit.Change{Action: "regenerate", Entity: "objectives", EntityID: fmt.Sprintf("%d-%d", lo, hi),
				After: map[string]int{"professionals": len(batch), "changed": changed, "inserted": len(ins), "deleted": len(del)}})
		})
		if err == nil {
			break
		}
		if (err != errRetry && domain.ErrorCode(err) != domain.ECONFLICT) || attempt >= 2 {
			return err
		}
	}
	rep.Professionals += int64(len(batch))
	rep.Unchanged += int64(unchanged)
	rep.Changed += int64(changed)
	rep.Inserted += int64(inserted)
	rep.Deleted += int64(deleted)
	return nil
}

// sameDrafts reports whether the stored drafts already are the wanted ones.
func sameDrafts(have []existingObj, want []Objective) bool {
	if len(have) != len(want) {
		return false
	}
	key := func(line string, from, target, prio int, due string) string {
		return strings.Join([]string{line, fmt.Sprint(from), fmt.Sprint(target), fmt.Sprint(prio), due}, "|")
	}
	m := map[string]int{}
	for _, h := range have {
		m[key(h.line, h.from, h.target, h.priority, h.due)]++
	}
	for _, w := range want {
		k := key(w.LineCode, w.fromLevel, w.TargetLevel, w.Priority, w.DueDate)
		if m[k] == 0 {
			return false
		}
		m[k]--
	}
	return true
}
