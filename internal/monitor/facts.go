package monitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"esd/internal/assess"
	"esd/internal/db"
)

// Facts is what one professional contributes to the counters, derived from the source tables.
// The key columns (region, organisation, profession, persona) are kept beside it in
// monitor_facts; the rest is stored as JSON. Per-line values are strings with one character
// per line of the framework version FW in line order: '-' none, else '0'+level.
type Facts struct {
	Region     int64 `json:"-"`
	Org        int64 `json:"-"`
	Profession int   `json:"-"`
	Persona    int64 `json:"-"`

	FW           int64  `json:"fw,omitempty"`
	HasPersona   bool   `json:"p,omitempty"`
	Assessed     bool   `json:"a,omitempty"`
	AssessedYear string `json:"ay,omitempty"`
	ObjSet       int    `json:"os,omitempty"`
	ObjAchieved  int    `json:"oa,omitempty"`
	// AchievedYears counts achieved objectives by year of achievement.
	AchievedYears map[string]int `json:"oy,omitempty"`
	Dossier       bool           `json:"d,omitempty"`
	// Part is the completed participations by year of completion: count and credits in
	// hundredths.
	Part   map[string][2]int64 `json:"pt,omitempty"`
	Levels string              `json:"l,omitempty"`
	Gaps   string              `json:"g,omitempty"`
	Before string              `json:"b,omitempty"`
	After  string              `json:"f,omitempty"`
}

// encode is the stored JSON of the non-key facts.
func (f Facts) encode() string {
	b, _ := json.Marshal(f)
	return string(b)
}

func decodeFacts(s string, into *Facts) error {
	if err := json.Unmarshal([]byte(s), into); err != nil {
		return fmt.Errorf("monitor_facts: bad facts %q: %w", shorten(s), err)
	}
	return nil
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// Metric names of the counters. Dated metrics also have a cell per calendar year.
const (
	mProf     = "prof"     // professionals
	mPersona  = "persona"  // with a persona
	mAssessed = "assessed" // with current levels (dated: year of the levels)
	mObjSet   = "obj_set"  // with individual objectives (total: how many)
	mObjAch   = "obj_ach"  // with an achieved objective (dated; total: how many)
	mDossier  = "dossier"  // dossier adopted: an objective agreed, in progress or achieved
	mPart     = "part"     // with a completed participation (dated; total: how many)
	mCredits  = "credits"  // with credits earned (dated; total: credits × 100)
	mALevel   = "alevel"   // per ambito: total = the professional's mean level × 100
	mAGap     = "agap"     // per ambito: total = mean gap over the required lines × 100
	mLLevel   = "llevel"   // per line (region × persona only): total = level
	mLGap     = "lgap"     // per line, required lines: total = gap
	mLBefore  = "lbefore"  // per line, re-assessed: the level before
	mLAfter   = "lafter"   // per line, re-assessed: the level after
)

// cellKey is one counter.
type cellKey struct {
	Region     int64
	Org        int64
	Profession int
	Persona    int64
	Period     string
	Metric     string
	Item       string
}

type cellVal struct{ N, Total int64 }

// contribute adds to acc (with sign +1 or -1) what f contributes to the counters: each
// professional counts in their organisation's cells and in their region's (organisation All);
// per-line cells are counted per region and persona only.
func contribute(f *Facts, fw *framework, sign int64, acc *counters) {
	groups := [2]*groupVals{acc.group(groupKey{f.Region, f.Org, f.Profession, f.Persona, fw}), acc.group(groupKey{f.Region, All, f.Profession, f.Persona, fw})}
	fixed := func(slot int, total int64) {
		for _, g := range groups {
			g.fixed[slot].N += sign
			g.fixed[slot].Total += sign * total
		}
	}
	dated := func(period, metric string, total int64) {
		for _, org := range [2]int64{f.Org, All} {
			k := cellKey{f.Region, org, f.Profession, f.Persona, period, metric, ""}
			v := acc.cells[k]
			v.N += sign
			v.Total += sign * total
			acc.cells[k] = v
		}
	}
	fixed(slotProf, 0)
	if f.HasPersona {
		fixed(slotPersona, 0)
	}
	if f.Assessed {
		fixed(slotAssessed, 0)
		if f.AssessedYear != "" {
			dated(f.AssessedYear, mAssessed, 0)
		}
	}
	if f.ObjSet > 0 {
		fixed(slotObjSet, int64(f.ObjSet))
	}
	if f.ObjAchieved > 0 {
		fixed(slotObjAch, int64(f.ObjAchieved))
		for y, c := range f.AchievedYears {
			dated(y, mObjAch, int64(c))
		}
	}
	if f.Dossier {
		fixed(slotDossier, 0)
	}
	if len(f.Part) > 0 {
		var count, credits int64
		for y, pc := range f.Part {
			count += pc[0]
			credits += pc[1]
			if y == "" {
				continue // no completion date: counted in the whole time only
			}
			dated(y, mPart, pc[0])
			if pc[1] > 0 {
				dated(y, mCredits, pc[1])
			}
		}
		fixed(slotPart, count)
		if credits > 0 {
			fixed(slotCredits, credits)
		}
	}
	if fw == nil || len(fw.Lines) == 0 {
		return
	}
	// Per ambito: the professional's mean over the ambito's lines, in hundredths.
	type sum struct{ n, s, gn, gs int64 }
	var areaBuf [32]sum
	areas := areaBuf[:0]
	if len(fw.areaCodes) <= len(areaBuf) {
		areas = areaBuf[:len(fw.areaCodes)]
	} else {
		areas = make([]sum, len(fw.areaCodes))
	}
	lines := acc.lineSet(linesKey{f.Region, f.Persona, fw})
	line := func(metric, i int, total int64) {
		v := &lines.v[metric][i]
		v.N += sign
		v.Total += sign * total
	}
	for i := range fw.Lines {
		lv, gp := at(f.Levels, i), at(f.Gaps, i)
		if lv < 0 && gp < 0 {
			continue
		}
		a := &areas[fw.lineArea[i]]
		if lv >= 0 {
			a.n++
			a.s += int64(lv)
			line(lineLevel, i, int64(lv))
		}
		if gp >= 0 {
			a.gn++
			a.gs += int64(gp)
			line(lineGap, i, int64(gp))
		}
		if b, af := at(f.Before, i), at(f.After, i); b >= 0 && af >= 0 {
			line(lineBefore, i, int64(b))
			line(lineAfter, i, int64(af))
		}
	}
	for i, a := range areas {
		for _, g := range groups {
			if a.n > 0 {
				g.level[i].N += sign
				g.level[i].Total += sign * hundredths(a.s, a.n)
			}
			if a.gn > 0 {
				g.gap[i].N += sign
				g.gap[i].Total += sign * hundredths(a.gs, a.gn)
			}
		}
	}
}

// hundredths is s/n × 100 rounded half away from zero, in integers so that the incremental
// and the full computation agree to the unit.
func hundredths(s, n int64) int64 {
	return int64(math.Round(float64(s*100) / float64(n)))
}

// at is the value at position i of a per-line string, -1 when none.
func at(s string, i int) int {
	if i >= len(s) || s[i] == '-' {
		return -1
	}
	return int(s[i] - '0')
}

// lineString builds a per-line string from code → value.
func lineString(fw *framework, vals map[string]int) string {
	if len(vals) == 0 {
		return ""
	}
	b := []byte(strings.Repeat("-", len(fw.Lines)))
	any := false
	for code, v := range vals {
		if i, ok := fw.index[code]; ok && v >= 0 && v < 75 {
			b[i] = byte('0' + v)
			any = true
		}
	}
	if !any {
		return ""
	}
	return strings.TrimRight(string(b), "-")
}

// deriver reads the sources for a batch of professionals.
type deriver struct {
	s       *Service
	fw      *framework
	targets map[int64]map[string]int // persona → line code → minimum level (national targets)
}

func (s *Service) newDeriver(ctx context.Context) (*deriver, error) {
	id, err := currentFrameworkID(ctx, s.DB.Read)
	if err != nil {
		return nil, err
	}
	fw, err := s.framework(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &deriver{s: s, fw: fw, targets: map[int64]map[string]int{}}
	if id == 0 {
		return d, nil
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT t.persona_id, i.code, t.min_level FROM persona_targets t
		JOIN personas p ON p.id = t.persona_id JOIN framework_items i ON i.id = t.line_id
		WHERE p.framework_id = $1 AND t.required AND t.min_level IS NOT NULL AND t.min_level > 0`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p int64
		var code string
		var lv int
		if err := rows.Scan(&p, &code, &lv); err != nil {
			return nil, err
		}
		if d.targets[p] == nil {
			d.targets[p] = map[string]int{}
		}
		d.targets[p][code] = lv
	}
	return d, rows.Err()
}

func yearOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006")
}

// derive computes the facts of the professionals ids from the sources; a professional who no
// longer exists is absent from the result.
func (d *deriver) derive(ctx context.Context, q db.Querier, ids []int64) (map[int64]*Facts, error) {
	if len(ids) == 0 {
		return map[int64]*Facts{}, nil
	}
	in, args := inList(d.s.DB.IsPostgres(), ids)
	return d.deriveWhere(ctx, q, "IN ("+in+")", args, len(ids))
}

// deriveRange computes the facts of every professional whose id is in [lo, hi]: one range
// scan of each source's professional index instead of an index probe per id, for the full
// rebuild that walks all professionals in id order.
func (d *deriver) deriveRange(ctx context.Context, q db.Querier, lo, hi int64, hint int) (map[int64]*Facts, error) {
	cond := "BETWEEN ? AND ?"
	if d.s.DB.IsPostgres() {
		cond = "BETWEEN $1 AND $2"
	}
	return d.deriveWhere(ctx, q, cond, []any{lo, hi}, hint)
}

// deriveWhere is derive for the professionals whose id satisfies "id <cond>"; args are cond's
// only parameters.
func (d *deriver) deriveWhere(ctx context.Context, q db.Querier, cond string, args []any, hint int) (map[int64]*Facts, error) {
	out := make(map[int64]*Facts, hint)
	scan := func(query string, fn func(r *sql.Rows) error) error {
		rows, err := q.QueryContext(ctx, fmt.Sprintf(query, cond), args...)
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
	err := scan(`SELECT id, region_id, COALESCE(organisation_id, 0) FROM professionals WHERE id %s`, func(r *sql.Rows) error {
		var id int64
		f := &Facts{FW: d.fw.ID}
		if err := r.Scan(&id, &f.Region, &f.Org); err != nil {
			return err
		}
		out[id] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The profession of the aggregates is the professional's first (lowest-coded) one.
	err = scan(`SELECT professional_id, MIN(profession_code) FROM professional_disciplines WHERE professional_id %s GROUP BY professional_id`, func(r *sql.Rows) error {
		var id int64
		var p int
		if err := r.Scan(&id, &p); err != nil {
			return err
		}
		if f := out[id]; f != nil {
			f.Profession = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if d.fw.ID != 0 {
		// The framework id is a number of ours, written into the text: the condition's
		// arguments must be the only parameters (see inList).
		err = scan(`SELECT professional_id, persona_id FROM profiles WHERE professional_id %s AND framework_id = `+fmt.Sprint(d.fw.ID)+` AND persona_id IS NOT NULL`, func(r *sql.Rows) error {
			var id, p int64
			if err := r.Scan(&id, &p); err != nil {
				return err
			}
			if f := out[id]; f != nil {
				f.Persona, f.HasPersona = p, true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err = scan(`SELECT professional_id, levels, computed_at FROM competence_levels WHERE professional_id %s`, func(r *sql.Rows) error {
		var id int64
		var packed string
		var at time.Time
		if err := r.Scan(&id, &packed, &at); err != nil {
			return err
		}
		f := out[id]
		if f == nil {
			return nil
		}
		levels := map[string]int{}
		if err := assess.DecodeLevels(packed, levels); err != nil {
			return fmt.Errorf("competence_levels of professional %d: %w", id, err)
		}
		f.Levels = lineString(d.fw, levels)
		if f.Levels != "" {
			f.Assessed, f.AssessedYear = true, yearOf(at)
			gaps := map[string]int{}
			for code, min := range d.targets[f.Persona] {
				gaps[code] = max(0, min-levels[code])
			}
			f.Gaps = lineString(d.fw, gaps)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = scan(`SELECT professional_id, state, achieved_at FROM objectives WHERE professional_id %s AND state <> 'expired'`, func(r *sql.Rows) error {
		var id int64
		var state string
		var ach sql.NullTime
		if err := r.Scan(&id, &state, &ach); err != nil {
			return err
		}
		f := out[id]
		if f == nil {
			return nil
		}
		f.ObjSet++
		switch state {
		case assess.ObjAgreed, assess.ObjInProgress, assess.ObjAchieved:
			f.Dossier = true
		}
		if state == assess.ObjAchieved {
			f.ObjAchieved++
			if y := yearOf(ach.Time); ach.Valid && y != "" {
				if f.AchievedYears == nil {
					f.AchievedYears = map[string]int{}
				}
				f.AchievedYears[y]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = scan(`SELECT professional_id, completed_on, credits FROM participations WHERE professional_id %s AND state = 'completed'`, func(r *sql.Rows) error {
		var id int64
		var on string
		var credits float64
		if err := r.Scan(&id, &on, &credits); err != nil {
			return err
		}
		f := out[id]
		if f == nil {
			return nil
		}
		y := ""
		if len(on) >= 4 {
			y = on[:4]
		}
		if f.Part == nil {
			f.Part = map[string][2]int64{}
		}
		pc := f.Part[y]
		pc[0]++
		pc[1] += int64(math.Round(credits * 100))
		f.Part[y] = pc
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Before/after: the latest finished assessment's lines that have a previous level (only a
	// re-assessment, which names its previous one, has them; first sittings are not decoded).
	latest := map[int64]bool{}
	err = scan(`SELECT professional_id, results FROM assessments WHERE professional_id %s AND state = 'finished' AND results <> ''
		AND previous_id IS NOT NULL ORDER BY professional_id, finished_at DESC, id DESC`, func(r *sql.Rows) error {
		var id int64
		var packed string
		if err := r.Scan(&id, &packed); err != nil {
			return err
		}
		f := out[id]
		if f == nil || latest[id] {
			return nil
		}
		latest[id] = true
		res, err := assess.DecodeResults(packed)
		if err != nil {
			return fmt.Errorf("results of an assessment of professional %d: %w", id, err)
		}
		before, after := map[string]int{}, map[string]int{}
		for _, l := range res {
			if l.Previous != nil && *l.Previous >= 0 {
				before[l.LineCode], after[l.LineCode] = *l.Previous, l.Level
			}
		}
		f.Before, f.After = lineString(d.fw, before), lineString(d.fw, after)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// inList is "$1, $2, …" (PostgreSQL) or "?, ?, …" (SQLite, whose $N binding costs time
// quadratic in the number of parameters) and the ids as arguments; the statement must have
// no other parameter.
func inList(postgres bool, ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if !postgres {
		return db.AnonymousPlaceholders(len(ids)), args
	}
	return db.Placeholders(1, len(ids)), args
}

// sortedKeys orders counter keys so that every transaction touches rows in the same order
// (no deadlocks between PostgreSQL writers).
func sortedKeys(m map[cellKey]cellVal) []cellKey {
	keys := make([]cellKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		if a.Period != b.Period {
			return a.Period < b.Period
		}
		if a.Org != b.Org {
			return a.Org < b.Org
		}
		if a.Profession != b.Profession {
			return a.Profession < b.Profession
		}
		if a.Persona != b.Persona {
			return a.Persona < b.Persona
		}
		return a.Item < b.Item
	})
	return keys
}
