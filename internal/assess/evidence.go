package assess

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
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

// appendEvidence adds evidence to the ledger inside tx, one row per observation: the entries
// of one professional with the same source, observation time, pointer and note share a row
// (a finished assessment writes at most two: its self-assessed and its knowledge-tested
// lines). It then rewrites the stored levels of every professional touched, recomputing all
// their lines under the current rule from one read of their ledger, and marks achieved the
// objectives whose target a touched line now reaches. It returns each entry's row id.
func (s *Service) appendEvidence(ctx context.Context, tx *sql.Tx, evs []Evidence) ([]int64, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	now := s.now()
	by := domain.ActorFrom(ctx).Username
	type obsKey struct {
		prof          int64
		source        string
		observed      int64
		pointer, note string
	}
	type observation struct {
		first   Evidence
		lines   []lineLevel
		entries []int
	}
	var obs []*observation
	open := map[obsKey]*observation{}
	var profs []int64
	touched := map[int64]map[string]bool{}
	for i, e := range evs {
		if !validPackedCode(e.LineCode) {
			return nil, domain.Invalid("line", "a line code cannot be empty or hold white space: %q", e.LineCode)
		}
		if e.Level < 0 {
			return nil, domain.Invalid("level", "level must be on the scale, not %d", e.Level)
		}
		if e.ObservedAt.IsZero() {
			e.ObservedAt = now
		}
		k := obsKey{e.ProfessionalID, e.Source, e.ObservedAt.UnixNano(), e.Pointer, e.Note}
		o := open[k]
		// A line already given in this call goes to a new row, created after every row so
		// far, so the later entry stays the later evidence (ids break ties in time).
		if o == nil || touched[e.ProfessionalID][e.LineCode] {
			o = &observation{first: e}
			open[k] = o
			obs = append(obs, o)
		}
		o.lines = append(o.lines, lineLevel{e.LineCode, e.Level})
		o.entries = append(o.entries, i)
		if touched[e.ProfessionalID] == nil {
			touched[e.ProfessionalID] = map[string]bool{}
			profs = append(profs, e.ProfessionalID)
		}
		touched[e.ProfessionalID][e.LineCode] = true
	}
	ids := make([]int64, len(evs))
	for _, o := range obs {
		e := o.first
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO competence_evidence (professional_id, source, observed_at, recorded_at, pointer, recorded_by, note, lines)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
			e.ProfessionalID, e.Source, e.ObservedAt.UTC(), now, e.Pointer, by, e.Note, packLineLevels(o.lines)).Scan(&id); err != nil {
			return nil, db.MapError(err)
		}
		for _, i := range o.entries {
			ids[i] = id
		}
	}
	r, err := s.rule(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, prof := range profs {
		ev, err := loadEvidence(ctx, tx, prof, "")
		if err != nil {
			return nil, err
		}
		levels := levelsOf(r, ev)
		if err := s.storeLevels(ctx, tx, prof, r.Rule, packStoredLevels(levels)); err != nil {
			return nil, err
		}
		reached := map[string]int{}
		for _, l := range levels {
			if touched[prof][l.Code] {
				reached[l.Code] = l.Level
			}
		}
		if err := s.achieveObjectives(ctx, tx, prof, reached); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// levelsOf computes the current level of every line of a professional's evidence under the
// rule, sorted by line code.
func levelsOf(r LevelRule, ev []Evidence) []storedLevel {
	byLine := map[string][]Evidence{}
	for _, e := range ev {
		byLine[e.LineCode] = append(byLine[e.LineCode], e)
	}
	out := make([]storedLevel, 0, len(byLine))
	for code, list := range byLine {
		level, used := ComputeLevel(r, list)
		out = append(out, storedLevel{Code: code, Level: level, Evidence: used})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// storeLevels writes a professional's packed current levels.
func (s *Service) storeLevels(ctx context.Context, q db.Querier, prof int64, rule, packed string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO competence_levels (professional_id, rule, computed_at, levels) VALUES ($1,$2,$3,$4)
		ON CONFLICT (professional_id) DO UPDATE SET rule = excluded.rule, computed_at = excluded.computed_at, levels = excluded.levels`,
		prof, rule, s.now(), packed)
	return err
}

// loadEvidence reads a professional's ledger (only one line's entries when line is given),
// one Evidence per observed line, by row id then line code.
func loadEvidence(ctx context.Context, q db.Querier, prof int64, line string) ([]Evidence, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, source, observed_at, recorded_at, pointer, recorded_by, note, lines
		FROM competence_evidence WHERE professional_id = $1 ORDER BY id`, prof)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		e := Evidence{ProfessionalID: prof}
		var packed string
		if err := rows.Scan(&e.ID, &e.Source, &e.ObservedAt, &e.RecordedAt, &e.Pointer, &e.RecordedBy, &e.Note, &packed); err != nil {
			return nil, err
		}
		lines, err := unpackLineLevels(packed)
		if err != nil {
			return nil, fmt.Errorf("competence_evidence %d: %w", e.ID, err)
		}
		for _, l := range lines {
			if line == "" || l.Code == line {
				x := e
				x.LineCode, x.Level = l.Code, l.Level
				out = append(out, x)
			}
		}
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
	m := map[string]int{}
	var packed string
	err := q.QueryRowContext(ctx, `SELECT levels FROM competence_levels WHERE professional_id = $1`, prof).Scan(&packed)
	if err == sql.ErrNoRows {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := storedLevelMap(packed, m); err != nil {
		return nil, fmt.Errorf("competence_levels of professional %d: %w", prof, err)
	}
	return m, nil
}

// lineIDs maps line codes to the line of the newest published (else retired, else any)
// framework version that has them, as lineByCode does for one code.
func lineIDs(ctx context.Context, q db.Querier) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT fi.code, fi.id FROM framework_items fi JOIN framework_versions f ON f.id = fi.framework_id
		WHERE fi.kind = 'line' ORDER BY CASE f.state WHEN 'published' THEN 0 WHEN 'retired' THEN 1 ELSE 2 END, f.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			return nil, err
		}
		if _, ok := m[code]; !ok {
			m[code] = id
		}
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
	if len(ev) > 0 {
		ids, err := lineIDs(ctx, s.DB.Read)
		if err != nil {
			return nil, nil, err
		}
		for i := range ev {
			ev[i].LineID = ids[ev[i].LineCode]
		}
	}
	// The lines of one observation share its row id.
	type key struct {
		id   int64
		code string
	}
	byID := map[key]Evidence{}
	for _, e := range ev {
		byID[key{e.ID, e.LineCode}] = e
	}
	var rule, packed string
	var at time.Time
	err = s.DB.Read.QueryRowContext(ctx, `SELECT rule, computed_at, levels FROM competence_levels WHERE professional_id = $1`, profID).Scan(&rule, &at, &packed)
	if err != nil && err != sql.ErrNoRows {
		return nil, nil, err
	}
	levels, err := unpackStoredLevels(packed)
	if err != nil {
		return nil, nil, fmt.Errorf("competence_levels of professional %d: %w", profID, err)
	}
	var cur []CurrentLevel
	for _, l := range levels {
		c := CurrentLevel{LineCode: l.Code, Level: l.Level, Rule: rule, ComputedAt: at}
		for _, id := range l.Evidence {
			c.Evidence = append(c.Evidence, byID[key{id, l.Code}])
		}
		cur = append(cur, c)
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].ID > ev[j].ID })
	return ev, cur, nil
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
			x.LineID = e.LineID
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

// recomputeBatch is how many evidence lines are recomputed between reads of stored levels.
const recomputeBatch = 20000

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
	mismatch := func(format string, args ...any) {
		rep.Changed++
		if len(rep.Mismatches) < 20 {
			rep.Mismatches = append(rep.Mismatches, fmt.Sprintf(format, args...))
		}
	}
	type profEvidence struct {
		prof int64
		ev   []Evidence
	}
	var batch []profEvidence
	batchLines := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		lo, hi := batch[0].prof, batch[len(batch)-1].prof
		type storedRow struct{ rule, levels string }
		stored := map[int64]storedRow{}
		rows, err := s.DB.Read.QueryContext(ctx, `SELECT professional_id, rule, levels FROM competence_levels WHERE professional_id BETWEEN $1 AND $2`, lo, hi)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p int64
			var v storedRow
			if err := rows.Scan(&p, &v.rule, &v.levels); err != nil {
				rows.Close()
				return err
			}
			stored[p] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		type change struct {
			prof        int64
			old, packed string
			existed     bool
			reached     map[string]int
		}
		var changes []change
		for _, b := range batch {
			want := levelsOf(r, b.ev)
			rep.Professionals++
			rep.Lines += int64(len(want))
			old, existed := stored[b.prof]
			packed := packStoredLevels(want)
			if existed && old.levels == packed {
				if old.rule != r.Rule { // same levels, stored under another rule's name
					changes = append(changes, change{prof: b.prof, old: old.levels, packed: packed, existed: true})
				}
				continue
			}
			have := map[string]storedLevel{}
			if ls, err := unpackStoredLevels(old.levels); err != nil {
				mismatch("professional %d: %v", b.prof, err)
			} else {
				for _, l := range ls {
					have[l.Code] = l
				}
			}
			c := change{prof: b.prof, old: old.levels, packed: packed, existed: existed, reached: map[string]int{}}
			for _, w := range want {
				h, ok := have[w.Code]
				delete(have, w.Code)
				if ok && h.Level == w.Level && slices.Equal(h.Evidence, w.Evidence) {
					continue
				}
				mismatch("professional %d line %s: stored %d [%s], recomputed %d [%s]", b.prof, w.Code, h.Level, joinIDs(h.Evidence), w.Level, joinIDs(w.Evidence))
				c.reached[w.Code] = w.Level
			}
			for _, code := range slices.Sorted(maps.Keys(have)) {
				h := have[code]
				mismatch("professional %d line %s: stored %d [%s] without evidence", b.prof, code, h.Level, joinIDs(h.Evidence))
			}
			changes = append(changes, c)
		}
		if write && len(changes) > 0 {
			err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
				now := s.now()
				for _, c := range changes {
					// Compare and set: levels rewritten since they were read (new evidence
					// appended meanwhile) are newer than this recomputation and are kept.
					var res sql.Result
					var err error
					if c.existed {
						res, err = tx.ExecContext(ctx, `UPDATE competence_levels SET rule = $1, computed_at = $2, levels = $3 WHERE professional_id = $4 AND levels = $5`,
							r.Rule, now, c.packed, c.prof, c.old)
					} else {
						res, err = tx.ExecContext(ctx, `INSERT INTO competence_levels (professional_id, rule, computed_at, levels) VALUES ($1,$2,$3,$4)
							ON CONFLICT (professional_id) DO NOTHING`, c.prof, r.Rule, now, c.packed)
					}
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n == 1 && len(c.reached) > 0 {
						if err := s.achieveObjectives(ctx, tx, c.prof, c.reached); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if progress != nil {
			progress(rep.Professionals, max(total, rep.Professionals))
		}
		batch, batchLines = batch[:0], 0
		return nil
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, professional_id, source, observed_at, lines FROM competence_evidence ORDER BY professional_id, id`)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	var cur profEvidence
	for rows.Next() {
		var e Evidence
		var packed string
		if err := rows.Scan(&e.ID, &e.ProfessionalID, &e.Source, &e.ObservedAt, &packed); err != nil {
			return rep, err
		}
		lines, err := unpackLineLevels(packed)
		if err != nil {
			return rep, fmt.Errorf("competence_evidence %d: %w", e.ID, err)
		}
		// Cut batches only between professionals, so each is complete.
		if e.ProfessionalID != cur.prof {
			if cur.prof != 0 {
				batch = append(batch, cur)
				batchLines += len(cur.ev)
				if batchLines >= recomputeBatch {
					if err := flush(); err != nil {
						return rep, err
					}
				}
			}
			cur = profEvidence{prof: e.ProfessionalID}
		}
		for _, l := range lines {
			x := e
			x.LineCode, x.Level = l.Code, l.Level
			cur.ev = append(cur.ev, x)
		}
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if cur.prof != 0 {
		batch = append(batch, cur)
	}
	if err := flush(); err != nil {
		return rep, err
	}
	// Stored levels of a professional without any evidence should not exist: each line is a
	// mismatch, and writing removes them (no evidence is level 0).
	orows, err := s.DB.Read.QueryContext(ctx, `SELECT l.professional_id, l.levels FROM competence_levels l
		WHERE NOT EXISTS (SELECT 1 FROM competence_evidence e WHERE e.professional_id = l.professional_id)`)
	if err != nil {
		return rep, err
	}
	type orphan struct {
		prof   int64
		levels string
	}
	var orphans []orphan
	var orphanLines int64
	for orows.Next() {
		var o orphan
		if err := orows.Scan(&o.prof, &o.levels); err != nil {
			orows.Close()
			return rep, err
		}
		orphans = append(orphans, o)
		orphanLines += int64(max(1, strings.Count(o.levels, "\n")+1))
	}
	orows.Close()
	if err := orows.Err(); err != nil {
		return rep, err
	}
	if len(orphans) > 0 {
		rep.Changed += orphanLines
		rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("%d stored levels of %d professionals have no evidence", orphanLines, len(orphans)))
		if write {
			err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
				for _, o := range orphans {
					if _, err := tx.ExecContext(ctx, `DELETE FROM competence_levels WHERE professional_id = $1 AND levels = $2`, o.prof, o.levels); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return rep, err
			}
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}
