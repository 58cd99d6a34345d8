package persona

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
	"esd/internal/textnorm"
)

// ReassignResult reports one re-assignment pass.
type ReassignResult struct {
	FrameworkID   int64            `json:"framework_id"`
	Professionals int64            `json:"professionals"`
	Changed       int64            `json:"changed"`
	Unchanged     int64            `json:"unchanged"`
	KeptManual    int64            `json:"kept_manual"`
	CarriedManual int64            `json:"carried_manual"`
	Unmatched     int64            `json:"unmatched"`
	ByPersona     map[string]int64 `json:"by_persona"`
	Millis        int64            `json:"ms"`
}

// Tunables of the streaming pass; the benchmark shows where they matter.
const (
	reassignChunk    = 50_000 // professionals read per query
	reassignTxRows   = 50_000 // changed profiles written per transaction
	reassignStmtRows = 500    // rows per multi-row upsert (6 parameters each)
)

type streamedProfessional struct {
	id    int64
	care  string // folded
	role  string // folded, padded with spaces
	pairs []Pair
}

type existingProfile struct {
	persona, rule int64
	manual        bool
}

type profileWrite struct {
	professional, persona, rule int64
	manual                      bool
	reason, author              string
}

// Reassign recomputes the rule-based profile of every professional for a framework version
// (0 = current) in one streaming pass: professionals are read in id order in chunks with
// their disciplines (one query each per chunk, merged in Go: no query per professional),
// the rules are evaluated in memory, and only profiles that changed are written, in large
// batched transactions. Manual overrides are kept; an override made under another version
// is carried over when its persona code exists in this one and the professional has no
// profile here yet. A version without personas first adopts those of the newest earlier
// version of the same framework (AdoptVersion). progress (may be nil) is called after each
// chunk. National governance and the system only.
func (s *Service) Reassign(ctx context.Context, frameworkID int64, progress jobs.Progress) (ReassignResult, error) {
	a, err := requireNational(ctx)
	if err != nil {
		return ReassignResult{}, err
	}
	s.streamMu.Lock()
	defer s.streamMu.Unlock()
	start := time.Now()
	f, err := s.resolveFramework(ctx, s.DB.Read, frameworkID)
	if err != nil {
		return ReassignResult{}, err
	}
	// A newly published version without personas takes those of its predecessor first.
	if _, err := s.AdoptVersion(ctx, f.ID); err != nil {
		return ReassignResult{}, err
	}
	res := ReassignResult{FrameworkID: f.ID, ByPersona: map[string]int64{}}
	rules, err := s.rules(ctx, s.DB.Read, f.ID)
	if err != nil {
		return res, err
	}
	personas, err := s.listPersonas(ctx, s.DB.Read, f.ID)
	if err != nil {
		return res, err
	}
	codeOf := map[int64]string{}
	byCode := map[string]int64{}
	for _, p := range personas {
		codeOf[p.ID], byCode[p.Code] = p.Code, p.ID
	}
	carry, err := s.foreignOverrides(ctx, f.ID, byCode)
	if err != nil {
		return res, err
	}
	var total int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&total); err != nil {
		return res, err
	}
	if progress != nil {
		progress(0, total)
	}
	author := a.Username
	now := db.Now()
	folded := map[string]string{} // raw care setting or role → folded, so Fold runs once per distinct value
	fold := func(s string, pad bool) string {
		if s == "" {
			return ""
		}
		key := s
		if pad {
			key = "\x00" + s
		}
		if v, ok := folded[key]; ok {
			return v
		}
		v := textnorm.Fold(s)
		if pad && v != "" {
			v = " " + v + " "
		}
		folded[key] = v
		return v
	}
	var pending []profileWrite
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := writeProfiles(ctx, s.DB, f.ID, pending, now)
		pending = pending[:0]
		return err
	}
	batch := make([]streamedProfessional, 0, reassignChunk)
	var last int64
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch = batch[:0]
		rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, care_setting, job_role FROM professionals WHERE id > $1 ORDER BY id LIMIT $2`, last, reassignChunk)
		if err != nil {
			return res, err
		}
		for rows.Next() {
			var p streamedProfessional
			var care, role string
			if err := rows.Scan(&p.id, &care, &role); err != nil {
				rows.Close()
				return res, err
			}
			p.care, p.role = fold(care, false), fold(role, true)
			batch = append(batch, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
		if len(batch) == 0 {
			break
		}
		lo, hi := last, batch[len(batch)-1].id
		if err := s.attachPairs(ctx, batch, lo, hi); err != nil {
			return res, err
		}
		existing, err := s.existingProfiles(ctx, f.ID, lo, hi)
		if err != nil {
			return res, err
		}
		for i := range batch {
			p := &batch[i]
			res.Professionals++
			ex, has := existing[p.id]
			if has && ex.manual {
				res.KeptManual++
				res.ByPersona[codeOf[ex.persona]]++
				continue
			}
			if !has {
				if c, ok := carry[p.id]; ok {
					pending = append(pending, c)
					res.CarriedManual++
					res.ByPersona[codeOf[c.persona]]++
					continue
				}
			}
			var persona, rule int64
			for j := range rules {
				if rules[j].matches(p.pairs, p.care, p.role) {
					persona, rule = rules[j].PersonaID, rules[j].ID
					break
				}
			}
			if persona == 0 {
				res.Unmatched++
			} else {
				res.ByPersona[codeOf[persona]]++
			}
			if has && ex.persona == persona && ex.rule == rule {
				res.Unchanged++
				continue
			}
			res.Changed++
			pending = append(pending, profileWrite{professional: p.id, persona: persona, rule: rule, author: author})
		}
		last = hi
		if len(pending) >= reassignTxRows {
			if err := flush(); err != nil {
				return res, err
			}
		}
		if progress != nil {
			progress(res.Professionals, total)
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	res.Millis = time.Since(start).Milliseconds()
	if res.Changed == 0 {
		// Nothing was written, so there is nothing to audit: a run that changes nothing
		// (a restart, a repeated demo load) leaves the trail as it was.
		return res, nil
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, audit.Change{Action: "reassign", Entity: "profiles", EntityID: f.ID, After: res})
	})
	return res, err
}

// attachPairs reads the disciplines of professionals (lo, hi] in id order and attaches them.
func (s *Service) attachPairs(ctx context.Context, batch []streamedProfessional, lo, hi int64) error {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT professional_id, profession_code, discipline_code FROM professional_disciplines
		WHERE professional_id > $1 AND professional_id <= $2 ORDER BY professional_id`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	// One backing array per chunk keeps the allocations to a handful.
	pool := make([]Pair, 0, len(batch)+len(batch)/4)
	for rows.Next() {
		var id int64
		var pr Pair
		if err := rows.Scan(&id, &pr.Profession, &pr.Discipline); err != nil {
			return err
		}
		for i < len(batch) && batch[i].id < id {
			i++
		}
		if i == len(batch) {
			break
		}
		if batch[i].id != id {
			continue
		}
		p := &batch[i]
		if p.pairs == nil {
			pool = append(pool, pr)
			p.pairs = pool[len(pool)-1 : len(pool) : len(pool)]
		} else {
			p.pairs = append(p.pairs, pr)
		}
	}
	return rows.Err()
}

// existingProfiles reads the stored profiles of professionals (lo, hi] for a framework.
func (s *Service) existingProfiles(ctx context.Context, frameworkID, lo, hi int64) (map[int64]existingProfile, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT professional_id, COALESCE(persona_id, 0), COALESCE(rule_id, 0), manual FROM profiles
		WHERE professional_id > $1 AND professional_id <= $2 AND framework_id = $3`, lo, hi, frameworkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]existingProfile, reassignChunk)
	for rows.Next() {
		var id int64
		var e existingProfile
		if err := rows.Scan(&id, &e.persona, &e.rule, &e.manual); err != nil {
			return nil, err
		}
		out[id] = e
	}
	return out, rows.Err()
}

// foreignOverrides returns the manual overrides made under other framework versions whose
// persona code exists in this one, newest first wins; they are few (hand-made).
func (s *Service) foreignOverrides(ctx context.Context, frameworkID int64, byCode map[string]int64) (map[int64]profileWrite, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT f.professional_id, p.code, f.reason, f.author FROM profiles f
		JOIN personas p ON p.id = f.persona_id WHERE f.manual = TRUE AND f.framework_id <> $1 ORDER BY f.assigned_at, f.framework_id`, frameworkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]profileWrite{}
	for rows.Next() {
		var id int64
		var code, reason, author string
		if err := rows.Scan(&id, &code, &reason, &author); err != nil {
			return nil, err
		}
		if pid, ok := byCode[code]; ok {
			out[id] = profileWrite{professional: id, persona: pid, manual: true, reason: reason, author: author}
		}
	}
	return out, rows.Err()
}

// writeProfiles upserts profiles in transactions of reassignTxRows rows, with multi-row
// statements of reassignStmtRows rows, leaving rows that became manual meanwhile untouched.
func writeProfiles(ctx context.Context, d *db.DB, frameworkID int64, ws []profileWrite, now time.Time) error {
	const cols = 8
	stmtFor := func(n int) string {
		var b strings.Builder
		b.WriteString(`INSERT INTO profiles (professional_id, framework_id, persona_id, rule_id, manual, reason, author, assigned_at) VALUES `)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(d, i*cols+1, cols) + ")")
		}
		b.WriteString(` ON CONFLICT (professional_id, framework_id) DO UPDATE SET persona_id = excluded.persona_id,
			rule_id = excluded.rule_id, manual = excluded.manual, reason = excluded.reason, author = excluded.author,
			assigned_at = excluded.assigned_at WHERE profiles.manual = FALSE`)
		return b.String()
	}
	full := stmtFor(reassignStmtRows)
	args := make([]any, 0, reassignStmtRows*cols)
	for start := 0; start < len(ws); start += reassignTxRows {
		part := ws[start:min(start+reassignTxRows, len(ws))]
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, full)
			if err != nil {
				return err
			}
			defer st.Close()
			for i := 0; i < len(part); i += reassignStmtRows {
				rows := part[i:min(i+reassignStmtRows, len(part))]
				args = args[:0]
				for _, w := range rows {
					args = append(args, w.professional, frameworkID, nullID(w.persona), nullID(w.rule), w.manual, w.reason, w.author, now)
				}
				if len(rows) == reassignStmtRows {
					_, err = st.ExecContext(ctx, args...)
				} else {
					_, err = tx.ExecContext(ctx, stmtFor(len(rows)), args...)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// placeholders is db.Placeholders for bulk statements: on SQLite it writes plain "?"
// parameters, because the modernc driver looks every "$N" parameter up by name in a list of
// all of them (sqlite3_bind_parameter_name), which makes binding quadratic in the number of
// parameters: a 4,000-parameter upsert spent 90 % of its time there. "?" parameters have no
// name and bind in constant time.
func placeholders(d *db.DB, from, n int) string {
	if d.IsPostgres() {
		return db.Placeholders(from, n)
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// StartReassign runs Reassign for a framework version (0 = current) as a background job and
// returns its id, for the progress page /jobs/{id}. If a re-assignment is already running,
// it is asked to make one more pass when it finishes and its job id is returned, so a burst
// of rule changes costs at most two passes. National governance only.
func (s *Service) StartReassign(ctx context.Context, frameworkID int64) (int64, error) {
	if _, err := requireNational(ctx); err != nil {
		return 0, err
	}
	f, err := s.resolveFramework(ctx, s.DB.Read, frameworkID)
	if err != nil {
		return 0, err
	}
	if s.Jobs == nil {
		return 0, domain.Errorf(domain.EINTERNAL, "no job runner")
	}
	s.run.Lock()
	defer s.run.Unlock()
	if s.run.running {
		if s.run.pending == nil {
			s.run.pending = map[int64]bool{}
		}
		s.run.pending[f.ID] = true
		return s.run.jobID, nil
	}
	s.run.running = true
	id, err := s.Jobs.Start(ctx, "persona_reassign", func(jctx context.Context, p jobs.Progress) (any, error) {
		var results []ReassignResult
		next := f.ID
		for {
			r, err := s.Reassign(jctx, next, p)
			results = append(results, r)
			s.run.Lock()
			if err != nil || len(s.run.pending) == 0 {
				s.run.running, s.run.pending = false, nil
				s.run.Unlock()
				return results, err
			}
			ids := make([]int64, 0, len(s.run.pending))
			for id := range s.run.pending {
				ids = append(ids, id)
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			next = ids[0]
			delete(s.run.pending, next)
			s.run.Unlock()
		}
	})
	if err != nil {
		s.run.running = false
		return 0, err
	}
	s.run.jobID = id
	return id, nil
}
