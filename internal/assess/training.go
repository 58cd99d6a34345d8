package assess

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// TrainingEvidence is what a completed training says about one professional: the lines the
// event develops, each at the level the participation evidences (the participation capability
// applies its role and type weights before calling).
type TrainingEvidence struct {
	ProfessionalID int64
	// Pointer names what produced the evidence, "participation:123".
	Pointer    string
	Note       string
	ObservedAt time.Time
	Lines      []LineLevel
}

// LineLevel is a line code at a level.
type LineLevel struct {
	Code  string `json:"line"`
	Level int    `json:"level"`
}

// LevelChange is the move of one professional's line that a training caused.
type LevelChange struct {
	ProfessionalID int64  `json:"professional_id"`
	Line           string `json:"line"`
	From           int    `json:"from"`
	To             int    `json:"to"`
}

// RecordTraining appends the evidence of completed trainings inside the caller's transaction
// (the participation import's), updates the stored levels of the professionals it touches and
// marks achieved the objectives whose target a line now reaches. Training only adds: a line is
// written only when the training evidences a level above the professional's current one, so
// attending a basic course never lowers a higher level reached elsewhere. It returns the
// changes, in input order.
//
// Why not appendEvidence: that re-reads each professional's whole ledger, one professional at a
// time. A report of 10,000 participants would cost 30,000 statements; here the current levels
// are read in chunks, and under the "latest" and "highest" rules a strictly higher, newest
// observation is the new level by definition, so the packed levels are updated in memory. The
// weighted rule needs the ledger and goes through appendEvidence.
func (s *Service) RecordTraining(ctx context.Context, tx *sql.Tx, evs []TrainingEvidence) ([]LevelChange, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	a := domain.ActorFrom(ctx)
	if a.Role != domain.RoleSystem && a.Role != domain.RoleNational && a.Role != domain.RoleProvider && a.Role != domain.RoleOrganisation && a.Role != domain.RoleRegional {
		return nil, domain.Forbidden("role %s may not record training evidence", a.Role)
	}
	r, err := s.rule(ctx, tx)
	if err != nil {
		return nil, err
	}
	var profs []int64
	seen := map[int64]bool{}
	for _, e := range evs {
		for _, l := range e.Lines {
			if !validPackedCode(l.Code) {
				return nil, domain.Invalid("line", "a line code cannot be empty or hold white space: %q", l.Code)
			}
			if l.Level < 1 {
				return nil, domain.Invalid("level", "training evidence needs a level of at least 1, not %d", l.Level)
			}
		}
		if !seen[e.ProfessionalID] && len(e.Lines) > 0 {
			seen[e.ProfessionalID] = true
			profs = append(profs, e.ProfessionalID)
		}
	}
	base, err := loadStoredLevels(ctx, tx, profs)
	if err != nil {
		return nil, err
	}
	// setLevel copies on write, so current can start as base and base stays as read; a
	// professional's levels are copied once, at the first change, and then changed in place
	// (a copy per change was a third of this function's time in the seed).
	current := make(map[int64][]storedLevel, len(base))
	for p, ls := range base {
		current[p] = ls
	}
	owned := make(map[int64]bool, len(base))
	now := s.now()
	var changes []LevelChange
	var add []Evidence
	for _, e := range evs {
		cur := current[e.ProfessionalID]
		for _, l := range e.Lines {
			from := 0
			if i, ok := findLevel(cur, l.Code); ok {
				from = cur[i].Level
			}
			if l.Level <= from {
				continue
			}
			obs := e.ObservedAt
			if obs.IsZero() {
				obs = now
			}
			add = append(add, Evidence{ProfessionalID: e.ProfessionalID, LineCode: l.Code, Level: l.Level, Source: SourceTraining,
				ObservedAt: obs, Pointer: e.Pointer, Note: e.Note})
			changes = append(changes, LevelChange{ProfessionalID: e.ProfessionalID, Line: l.Code, From: from, To: l.Level})
			// A later entry of the same call for the same line compares with this one.
			cur = putLevel(cur, storedLevel{Code: l.Code, Level: l.Level}, owned[e.ProfessionalID])
			owned[e.ProfessionalID] = true
		}
		current[e.ProfessionalID] = cur
	}
	if len(add) == 0 {
		return nil, nil
	}
	if r.Rule == RuleWeighted {
		if _, err := s.appendEvidence(ctx, tx, add); err != nil {
			return nil, err
		}
		return changes, nil
	}
	ids, err := s.insertEvidenceRows(ctx, tx, add)
	if err != nil {
		return nil, err
	}
	// Rebuild the stored levels of every touched professional from what was read, with the
	// new evidence ids, and write them in multi-row upserts.
	fresh := map[int64][]storedLevel{}
	reached := map[int64]map[string]int{}
	for i, e := range add {
		cur, mine := fresh[e.ProfessionalID]
		if !mine {
			cur = base[e.ProfessionalID]
		}
		fresh[e.ProfessionalID] = putLevel(cur, storedLevel{Code: e.LineCode, Level: e.Level, Evidence: []int64{ids[i]}}, mine)
		if reached[e.ProfessionalID] == nil {
			reached[e.ProfessionalID] = map[string]int{}
		}
		reached[e.ProfessionalID][e.LineCode] = e.Level
	}
	var rows [][]any
	order := make([]int64, 0, len(fresh))
	for p := range fresh {
		order = append(order, p)
	}
	slices.Sort(order)
	for _, p := range order {
		rows = append(rows, []any{p, r.Rule, now, packStoredLevels(fresh[p])})
	}
	pg := s.DB.IsPostgres()
	if err := db.ExecBatch(ctx, tx, pg, `INSERT INTO competence_levels (professional_id, rule, computed_at, levels) VALUES `, 4,
		` ON CONFLICT (professional_id) DO UPDATE SET rule = excluded.rule, computed_at = excluded.computed_at, levels = excluded.levels`,
		flatten(rows), nil); err != nil {
		return nil, err
	}
	if err := s.achieveObjectivesMany(ctx, tx, reached); err != nil {
		return nil, err
	}
	return changes, nil
}

func flatten(rows [][]any) []any {
	n := 0
	for _, r := range rows {
		n += len(r)
	}
	out := make([]any, 0, n)
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// insertEvidenceRows writes one ledger row per professional, observation and pointer (the
// lines of one participation share a row) and returns each entry's row id.
func (s *Service) insertEvidenceRows(ctx context.Context, tx *sql.Tx, evs []Evidence) ([]int64, error) {
	by := domain.ActorFrom(ctx).Username
	now := s.now()
	type key struct {
		prof     int64
		observed int64
		pointer  string
	}
	var keys []key
	groups := map[key][]int{}
	for i, e := range evs {
		k := key{e.ProfessionalID, e.ObservedAt.UnixNano(), e.Pointer}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	ids := make([]int64, len(evs))
	sameTime := true
	for _, k := range keys {
		sameTime = sameTime && k.observed == keys[0].observed
	}
	if sameTime {
		// One observation time (a report or completion recorded now): multi-row inserts, the
		// new ids matched back by professional and pointer, unique within one time.
		args := make([]any, 0, len(keys)*8)
		for _, k := range keys {
			idx := groups[k]
			lines := make([]lineLevel, 0, len(idx))
			for _, i := range idx {
				lines = append(lines, lineLevel{evs[i].LineCode, evs[i].Level})
			}
			e := evs[idx[0]]
			args = append(args, e.ProfessionalID, e.Source, e.ObservedAt.UTC(), now, e.Pointer, by, e.Note, packLineLevels(lines))
		}
		type pk struct {
			prof    int64
			pointer string
		}
		got := map[pk]int64{}
		err := db.ExecBatch(ctx, tx, s.DB.IsPostgres(), `INSERT INTO competence_evidence (professional_id, source, observed_at, recorded_at, pointer, recorded_by, note, lines) VALUES `, 8,
			` RETURNING id, professional_id, pointer`, args, func(r *sql.Rows) error {
				var id, prof int64
				var ptr string
				if err := r.Scan(&id, &prof, &ptr); err != nil {
					return err
				}
				got[pk{prof, ptr}] = id
				return nil
			})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			for _, i := range groups[k] {
				ids[i] = got[pk{k.prof, k.pointer}]
			}
		}
		return ids, nil
	}
	for _, k := range keys {
		idx := groups[k]
		lines := make([]lineLevel, 0, len(idx))
		for _, i := range idx {
			lines = append(lines, lineLevel{evs[i].LineCode, evs[i].Level})
		}
		e := evs[idx[0]]
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO competence_evidence (professional_id, source, observed_at, recorded_at, pointer, recorded_by, note, lines)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
			e.ProfessionalID, e.Source, e.ObservedAt.UTC(), now, e.Pointer, by, e.Note, packLineLevels(lines)).Scan(&id); err != nil {
			return nil, db.MapError(err)
		}
		for _, i := range idx {
			ids[i] = id
		}
	}
	return ids, nil
}

// loadStoredLevels reads the packed current levels of the professionals, in chunks.
func loadStoredLevels(ctx context.Context, q db.Querier, profs []int64) (map[int64][]storedLevel, error) {
	out := make(map[int64][]storedLevel, len(profs))
	const chunk = 500
	for i := 0; i < len(profs); i += chunk {
		part := profs[i:min(i+chunk, len(profs))]
		args := make([]any, len(part))
		for j, p := range part {
			args[j] = p
		}
		rows, err := q.QueryContext(ctx, `SELECT professional_id, levels FROM competence_levels WHERE professional_id IN (`+db.Placeholders(1, len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p int64
			var packed string
			if err := rows.Scan(&p, &packed); err != nil {
				rows.Close()
				return nil, err
			}
			ls, err := unpackStoredLevels(packed)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("competence_levels of professional %d: %w", p, err)
			}
			out[p] = ls
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findLevel finds a line in levels sorted by code.
func findLevel(ls []storedLevel, code string) (int, bool) {
	return slices.BinarySearchFunc(ls, code, func(l storedLevel, c string) int { return strings.Compare(l.Code, c) })
}

// putLevel is setLevel on a slice the caller owns (owned: changed in place) or shares
// (copied first).
func putLevel(ls []storedLevel, l storedLevel, owned bool) []storedLevel {
	if !owned {
		return setLevel(ls, l)
	}
	i, ok := findLevel(ls, l.Code)
	if ok {
		ls[i] = l
		return ls
	}
	return slices.Insert(ls, i, l)
}

// setLevel puts l into levels sorted by code, replacing the line's entry; it copies on write
// so a slice read from the database is never changed under another holder.
func setLevel(ls []storedLevel, l storedLevel) []storedLevel {
	i, ok := findLevel(ls, l.Code)
	out := make([]storedLevel, 0, len(ls)+1)
	out = append(out, ls[:i]...)
	out = append(out, l)
	if ok {
		i++
	}
	return append(out, ls[i:]...)
}

// achieveObjectivesMany is achieveObjectives for many professionals: their live objectives are
// read in chunks and the reached ones updated in one statement per chunk.
func (s *Service) achieveObjectivesMany(ctx context.Context, q db.Querier, reached map[int64]map[string]int) error {
	profs := make([]int64, 0, len(reached))
	for p := range reached {
		profs = append(profs, p)
	}
	slices.Sort(profs)
	now := s.now()
	const chunk = 500
	for i := 0; i < len(profs); i += chunk {
		part := profs[i:min(i+chunk, len(profs))]
		args := make([]any, len(part))
		for j, p := range part {
			args[j] = p
		}
		rows, err := q.QueryContext(ctx, `SELECT id, professional_id, line_code, target_level FROM objectives
			WHERE professional_id IN (`+db.Placeholders(1, len(part))+`) AND state IN ('agreed', 'in_progress')`, args...)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id, prof int64
			var code string
			var target int
			if err := rows.Scan(&id, &prof, &code, &target); err != nil {
				rows.Close()
				return err
			}
			if level, ok := reached[prof][code]; ok && target <= level {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			continue
		}
		if _, err := q.ExecContext(ctx, `UPDATE objectives SET state = 'achieved', achieved_at = $1, updated_at = $1
			WHERE id IN (`+db.Placeholders(2, len(ids))+`) AND state IN ('agreed', 'in_progress')`, append([]any{now}, ids...)...); err != nil {
			return err
		}
	}
	return nil
}
