package assess

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// Evidence sources.
const (
	SourceSelf       = "self_assessment" // a self-rating without knowledge questions
	SourceKnowledge  = "knowledge_test"  // a line scored with knowledge questions
	SourceTraining   = "training"        // a completed training event that develops the line
	SourceValidation = "validation"      // a supervisor's validation
	SourceImport     = "import"          // imported from another system
)

// Sources lists the evidence sources in display order.
var Sources = []string{SourceSelf, SourceKnowledge, SourceTraining, SourceValidation, SourceImport}

// Level rules: how the current level of a line follows from its evidence.
const (
	RuleLatest   = "latest"   // the most recent evidence
	RuleHighest  = "highest"  // the highest level ever evidenced
	RuleWeighted = "weighted" // the weighted mean of the latest evidence of each source
)

// Evidence is one row of the append-only ledger.
type Evidence struct {
	ID             int64     `json:"id"`
	ProfessionalID int64     `json:"professional_id"`
	LineCode       string    `json:"line"`
	LineID         int64     `json:"line_id,omitempty"`
	Level          int       `json:"level"`
	Source         string    `json:"source"`
	ObservedAt     time.Time `json:"observed_at"`
	RecordedAt     time.Time `json:"recorded_at"`
	Pointer        string    `json:"pointer,omitempty"`
	RecordedBy     string    `json:"recorded_by,omitempty"`
	Note           string    `json:"note,omitempty"`
}

// LevelRule is the configured rule with the weights of the sources (for RuleWeighted).
type LevelRule struct {
	Rule    string             `json:"rule"`
	Weights map[string]float64 `json:"weights"`
}

// DefaultRule: the latest evidence counts; the weights apply when the rule is "weighted".
var DefaultRule = LevelRule{Rule: RuleLatest, Weights: map[string]float64{
	SourceSelf: 1, SourceKnowledge: 2, SourceTraining: 2, SourceValidation: 3, SourceImport: 1}}

// ComputeLevel is the current level of one line under the rule: a pure function of the
// evidence, returning the ids of the evidence it used. No evidence is level 0.
func ComputeLevel(r LevelRule, ev []Evidence) (int, []int64) {
	if len(ev) == 0 {
		return 0, nil
	}
	later := func(a, b Evidence) bool { // a after b
		if !a.ObservedAt.Equal(b.ObservedAt) {
			return a.ObservedAt.After(b.ObservedAt)
		}
		return a.ID > b.ID
	}
	switch r.Rule {
	case RuleHighest:
		best := ev[0]
		for _, e := range ev[1:] {
			if e.Level > best.Level || (e.Level == best.Level && later(e, best)) {
				best = e
			}
		}
		return best.Level, []int64{best.ID}
	case RuleWeighted:
		latest := map[string]Evidence{}
		for _, e := range ev {
			if cur, ok := latest[e.Source]; !ok || later(e, cur) {
				latest[e.Source] = e
			}
		}
		var sum, wsum float64
		var ids []int64
		for src, e := range latest {
			w, ok := r.Weights[src]
			if !ok {
				w = 1
			}
			if w <= 0 {
				continue
			}
			sum += w * float64(e.Level)
			wsum += w
			ids = append(ids, e.ID)
		}
		if wsum > 0 {
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			return int(math.Round(sum / wsum)), ids
		}
	}
	best := ev[0]
	for _, e := range ev[1:] {
		if later(e, best) {
			best = e
		}
	}
	return best.Level, []int64{best.ID}
}

// Rule returns the configured level rule.
func (s *Service) Rule(ctx context.Context) (LevelRule, error) {
	return s.rule(ctx, s.DB.Read)
}

func (s *Service) rule(ctx context.Context, q db.Querier) (LevelRule, error) {
	r := LevelRule{Rule: DefaultRule.Rule, Weights: map[string]float64{}}
	for k, v := range DefaultRule.Weights {
		r.Weights[k] = v
	}
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM assess_settings WHERE key IN ('level_rule', 'level_weights')`)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return r, err
		}
		switch k {
		case "level_rule":
			r.Rule = v
		case "level_weights":
			for _, kv := range strings.Split(v, ",") {
				name, val, ok := strings.Cut(kv, "=")
				if f, err := strconv.ParseFloat(val, 64); ok && err == nil {
					r.Weights[name] = f
				}
			}
		}
	}
	return r, rows.Err()
}

// SetRule changes the level rule (national governance) and starts the background job that
// recomputes every stored level under it; it returns the job id (0 without a job runner, in
// which case the recomputation ran before returning).
func (s *Service) SetRule(ctx context.Context, r LevelRule) (int64, error) {
	if _, err := requireNational(ctx); err != nil {
		return 0, err
	}
	if r.Rule != RuleLatest && r.Rule != RuleHighest && r.Rule != RuleWeighted {
		return 0, domain.Invalid("rule", "rule must be latest, highest or weighted")
	}
	var parts []string
	for _, src := range Sources {
		w, ok := r.Weights[src]
		if !ok {
			w = DefaultRule.Weights[src]
		}
		if w < 0 || w > 100 || math.IsNaN(w) {
			return 0, domain.Invalid("weight_"+src, "a weight must be between 0 and 100")
		}
		parts = append(parts, src+"="+strconv.FormatFloat(w, 'f', -1, 64))
	}
	for k := range r.Weights {
		if !validSource(k) {
			return 0, domain.Invalid("weights", "unknown evidence source %q", k)
		}
	}
	before, _ := s.rule(ctx, s.DB.Read)
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a := domain.ActorFrom(ctx)
		now := s.now()
		for k, v := range map[string]string{"level_rule": r.Rule, "level_weights": strings.Join(parts, ",")} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO assess_settings (key, value, updated_at, updated_by) VALUES ($1,$2,$3,$4)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				k, v, now, a.Username); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "assess_level_rule", EntityID: "level_rule", Before: before, After: r})
	})
	if err != nil {
		return 0, err
	}
	if s.Jobs == nil {
		_, err := s.RecomputeLevels(ctx, true)
		return 0, err
	}
	return s.Jobs.Start(ctx, "recompute_levels", func(ctx context.Context, p jobs.Progress) (any, error) {
		return s.recomputeLevels(ctx, true, p)
	})
}

func validSource(src string) bool {
	for _, s := range Sources {
		if s == src {
			return true
		}
	}
	return false
}

// appendEvidence adds rows to the ledger inside tx and recomputes the stored level of every
// line they touch; objectives whose target the new level reaches become achieved.
func (s *Service) appendEvidence(ctx context.Context, tx *sql.Tx, evs []Evidence) ([]int64, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	now := s.now()
	a := domain.ActorFrom(ctx)
	by := a.Username
	var ids []int64
	touched := map[int64]map[string]bool{}
	for _, e := range evs {
		var lid any
		if e.LineID != 0 {
			lid = e.LineID
		}
		if e.ObservedAt.IsZero() {
			e.ObservedAt = now
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO competence_evidence (professional_id, line_code, line_id, level, source, observed_at, recorded_at, pointer, recorded_by, note)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
			e.ProfessionalID, e.LineCode, lid, e.Level, e.Source, e.ObservedAt.UTC(), now, e.Pointer, by, e.Note).Scan(&id); err != nil {
			return nil, db.MapError(err)
		}
		ids = append(ids, id)
		if touched[e.ProfessionalID] == nil {
			touched[e.ProfessionalID] = map[string]bool{}
		}
		touched[e.ProfessionalID][e.LineCode] = true
	}
	r, err := s.rule(ctx, tx)
	if err != nil {
		return nil, err
	}
	for prof, lines := range touched {
		ev, err := loadEvidence(ctx, tx, prof, "")
		if err != nil {
			return nil, err
		}
		byLine := map[string][]Evidence{}
		for _, e := range ev {
			if lines[e.LineCode] {
				byLine[e.LineCode] = append(byLine[e.LineCode], e)
			}
		}
		for code, list := range byLine {
			level, used := ComputeLevel(r, list)
			if err := s.storeLevel(ctx, tx, prof, code, level, r.Rule, used); err != nil {
				return nil, err
			}
			if err := s.achieveObjectives(ctx, tx, prof, code, level); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

func (s *Service) storeLevel(ctx context.Context, q db.Querier, prof int64, code string, level int, rule string, used []int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO competence_levels (professional_id, line_code, level, rule, evidence_ids, computed_at) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT (professional_id, line_code) DO UPDATE SET level = excluded.level, rule = excluded.rule, evidence_ids = excluded.evidence_ids, computed_at = excluded.computed_at`,
		prof, code, level, rule, joinIDs(used), s.now())
	return err
}

func loadEvidence(ctx context.Context, q db.Querier, prof int64, line string) ([]Evidence, error) {
	query := `SELECT id, professional_id, line_code, COALESCE(line_id, 0), level, source, observed_at, recorded_at, pointer, recorded_by, note
		FROM competence_evidence WHERE professional_id = $1`
	args := []any{prof}
	if line != "" {
		query += ` AND line_code = $2`
		args = append(args, line)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.ID, &e.ProfessionalID, &e.LineCode, &e.LineID, &e.Level, &e.Source, &e.ObservedAt, &e.RecordedAt, &e.Pointer, &e.RecordedBy, &e.Note); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CurrentLevel is the stored level of a line with the evidence it was computed from.
type CurrentLevel struct {
	LineCode   string     `json:"line"`
	LineTitle  string     `json:"line_title,omitempty"`
	Level      int        `json:"level"`
	Rule       string     `json:"rule"`
	Evidence   []Evidence `json:"evidence"`
	ComputedAt time.Time  `json:"computed_at"`
}

// storedLevels returns the stored levels of a professional by line code.
func storedLevels(ctx context.Context, q db.Querier, prof int64) (map[string]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT line_code, level FROM competence_levels WHERE professional_id = $1`, prof)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var c string
		var l int
		if err := rows.Scan(&c, &l); err != nil {
			return nil, err
		}
		m[c] = l
	}
	return m, rows.Err()
}

// Ledger returns the evidence of a professional and their current levels with the evidence
// each was computed from. Visible to the professional, and to organisation, regional and
// national users in scope when the levels policy allows.
func (s *Service) Ledger(ctx context.Context, profID int64) ([]Evidence, []CurrentLevel, error) {
	if _, err := s.checkView(ctx, profID, viewLevels); err != nil {
		return nil, nil, err
	}
	ev, err := loadEvidence(ctx, s.DB.Read, profID, "")
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]Evidence{}
	for _, e := range ev {
		byID[e.ID] = e
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT line_code, level, rule, evidence_ids, computed_at FROM competence_levels WHERE professional_id = $1 ORDER BY line_code`, profID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var cur []CurrentLevel
	for rows.Next() {
		var c CurrentLevel
		var ids string
		if err := rows.Scan(&c.LineCode, &c.Level, &c.Rule, &ids, &c.ComputedAt); err != nil {
			return nil, nil, err
		}
		for _, id := range splitIDs(ids) {
			c.Evidence = append(c.Evidence, byID[id])
		}
		cur = append(cur, c)
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].ID > ev[j].ID })
	return ev, cur, rows.Err()
}

// EvidenceInput is evidence recorded by a person or another capability.
type EvidenceInput struct {
	ProfessionalID int64     `json:"professional_id"`
	LineCode       string    `json:"line"`
	Level          int       `json:"level"`
	Source         string    `json:"source"`
	ObservedAt     time.Time `json:"observed_at,omitempty"`
	Pointer        string    `json:"pointer,omitempty"`
	Note           string    `json:"note,omitempty"`
}

// RecordEvidence appends evidence for one professional and line: a supervisor validation, a
// completed training (the catalogue records these with the system actor), or an import.
// Self-assessment and knowledge-test evidence come only from finished assessments. Allowed to
// national governance, and to regional and organisation users for professionals in scope.
func (s *Service) RecordEvidence(ctx context.Context, in EvidenceInput) (Evidence, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation)
	if err != nil {
		return Evidence{}, err
	}
	p, err := s.professional(ctx, s.DB.Read, in.ProfessionalID)
	if err != nil {
		return Evidence{}, err
	}
	if !a.CanSeeIndividual(p.target()) {
		return Evidence{}, domain.NotFound("professional")
	}
	e, err := s.validateEvidence(ctx, in)
	if err != nil {
		return Evidence{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := s.appendEvidence(ctx, tx, []Evidence{e})
		if err != nil {
			return err
		}
		e.ID = ids[0]
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "competence_evidence", EntityID: e.ID, RegionID: p.RegionID,
			After: map[string]any{"professional_id": e.ProfessionalID, "line": e.LineCode, "level": e.Level, "source": e.Source, "pointer": e.Pointer}})
	})
	if err != nil {
		return Evidence{}, err
	}
	ev, err := loadEvidence(ctx, s.DB.Read, e.ProfessionalID, e.LineCode)
	if err != nil {
		return e, err
	}
	for _, x := range ev {
		if x.ID == e.ID {
			return x, nil
		}
	}
	return e, nil
}

func (s *Service) validateEvidence(ctx context.Context, in EvidenceInput) (Evidence, error) {
	e := Evidence{ProfessionalID: in.ProfessionalID, LineCode: strings.TrimSpace(in.LineCode), Level: in.Level, Source: in.Source,
		ObservedAt: in.ObservedAt, Pointer: strings.TrimSpace(in.Pointer), Note: strings.TrimSpace(in.Note)}
	switch e.Source {
	case SourceTraining, SourceValidation, SourceImport:
	case SourceSelf, SourceKnowledge:
		return e, domain.Invalid("source", "self-assessment and knowledge-test evidence is recorded by finished assessments only")
	default:
		return e, domain.Invalid("source", "source must be training, validation or import")
	}
	lineID, maxLevel, err := s.lineByCode(ctx, e.LineCode)
	if err != nil {
		return e, err
	}
	e.LineID = lineID
	if e.Level < 0 || e.Level > maxLevel {
		return e, domain.Invalid("level", "level must be on the scale, 0 to %d", maxLevel)
	}
	if e.ObservedAt.IsZero() {
		e.ObservedAt = s.now()
	}
	if e.ObservedAt.After(s.now().Add(24 * time.Hour)) {
		return e, domain.Invalid("observed_at", "the evidence cannot be dated in the future")
	}
	if len(e.Pointer) > 500 || len(e.Note) > 2000 {
		return e, domain.Invalid("note", "pointer or note too long")
	}
	return e, nil
}

// lineByCode finds a line by its stable code in the newest published (else any) framework
// version that has it, with the top of that version's scale.
func (s *Service) lineByCode(ctx context.Context, code string) (int64, int, error) {
	if code == "" {
		return 0, 0, domain.Invalid("line", "line code is required")
	}
	var id, fw int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT fi.id, fi.framework_id FROM framework_items fi JOIN framework_versions f ON f.id = fi.framework_id
		WHERE fi.code = $1 AND fi.kind = 'line' ORDER BY CASE f.state WHEN 'published' THEN 0 WHEN 'retired' THEN 1 ELSE 2 END, f.id DESC LIMIT 1`, code).Scan(&id, &fw)
	if err == sql.ErrNoRows {
		return 0, 0, domain.Invalid("line", "no line with code %q in the portfolio", code)
	}
	if err != nil {
		return 0, 0, err
	}
	var max int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(level), 4) FROM scale_levels WHERE framework_id = $1`, fw).Scan(&max); err != nil {
		return 0, 0, err
	}
	return id, max, nil
}

// RecomputeReport is the outcome of recomputing the stored levels from the ledger.
type RecomputeReport struct {
	Professionals int64    `json:"professionals"`
	Lines         int64    `json:"lines"`
	Changed       int64    `json:"changed"`
	Mismatches    []string `json:"mismatches,omitempty"` // first differences found (at most 20)
	Seconds       float64  `json:"seconds"`
}

// RecomputeLevels recomputes every stored level from the ledger under the current rule,
// streaming the evidence in professional order. With write, differing levels are corrected;
// without, they are only reported (a check that storage equals recomputation). National only.
func (s *Service) RecomputeLevels(ctx context.Context, write bool) (RecomputeReport, error) {
	if _, err := requireNational(ctx); err != nil {
		return RecomputeReport{}, err
	}
	return s.recomputeLevels(ctx, write, nil)
}

func (s *Service) recomputeLevels(ctx context.Context, write bool, progress jobs.Progress) (RecomputeReport, error) {
	start := time.Now()
	var rep RecomputeReport
	r, err := s.rule(ctx, s.DB.Read)
	if err != nil {
		return rep, err
	}
	var total int64
	if progress != nil {
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM competence_levels`).Scan(&total)
	}
	type key struct {
		prof int64
		line string
	}
	var batch []Evidence
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		lo, hi := batch[0].ProfessionalID, batch[len(batch)-1].ProfessionalID
		stored := map[key]struct {
			level int
			ids   string
		}{}
		rows, err := s.DB.Read.QueryContext(ctx, `SELECT professional_id, line_code, level, evidence_ids FROM competence_levels WHERE professional_id BETWEEN $1 AND $2`, lo, hi)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k key
			var v struct {
				level int
				ids   string
			}
			if err := rows.Scan(&k.prof, &k.line, &v.level, &v.ids); err != nil {
				rows.Close()
				return err
			}
			stored[k] = v
		}
		rows.Close()
		groups := map[key][]Evidence{}
		var order []key
		for _, e := range batch {
			k := key{e.ProfessionalID, e.LineCode}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], e)
		}
		type change struct {
			k     key
			level int
			ids   []int64
		}
		var changes []change
		profs := map[int64]bool{}
		for _, k := range order {
			level, ids := ComputeLevel(r, groups[k])
			rep.Lines++
			profs[k.prof] = true
			old, ok := stored[k]
			if ok && old.level == level && old.ids == joinIDs(ids) {
				continue
			}
			rep.Changed++
			if len(rep.Mismatches) < 20 {
				rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("professional %d line %s: stored %d [%s], recomputed %d [%s]", k.prof, k.line, old.level, old.ids, level, joinIDs(ids)))
			}
			changes = append(changes, change{k, level, ids})
		}
		rep.Professionals += int64(len(profs))
		if write && len(changes) > 0 {
			err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
				for _, c := range changes {
					if err := s.storeLevel(ctx, tx, c.k.prof, c.k.line, c.level, r.Rule, c.ids); err != nil {
						return err
					}
					if err := s.achieveObjectives(ctx, tx, c.k.prof, c.k.line, c.level); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if progress != nil {
			progress(rep.Lines, total)
		}
		batch = batch[:0]
		return nil
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, professional_id, line_code, level, source, observed_at FROM competence_evidence ORDER BY professional_id, line_code, id`)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	var pending []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.ID, &e.ProfessionalID, &e.LineCode, &e.Level, &e.Source, &e.ObservedAt); err != nil {
			return rep, err
		}
		// Cut batches only between professionals, so each is complete.
		if len(pending) > 0 && pending[len(pending)-1].ProfessionalID != e.ProfessionalID {
			batch = append(batch, pending...)
			pending = pending[:0]
			if len(batch) >= 20000 {
				if err := flush(); err != nil {
					return rep, err
				}
			}
		}
		pending = append(pending, e)
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	batch = append(batch, pending...)
	if err := flush(); err != nil {
		return rep, err
	}
	// A stored level without any evidence should not exist; count it as a mismatch.
	var orphans int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM competence_levels l WHERE NOT EXISTS
		(SELECT 1 FROM competence_evidence e WHERE e.professional_id = l.professional_id AND e.line_code = l.line_code)`).Scan(&orphans); err != nil {
		return rep, err
	}
	if orphans > 0 {
		rep.Changed += orphans
		rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("%d stored levels have no evidence", orphans))
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}
