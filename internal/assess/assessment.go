package assess

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Assessment states.
const (
	StateInProgress = "in_progress"
	StateFinished   = "finished"
	// StateSuperseded marks an open assessment whose framework version was retired and that was
	// replaced by a new one on the current version (its answers were carried over and are kept).
	StateSuperseded = "superseded"
)

// Assessment kinds.
const (
	KindInitial  = "initial"
	KindFollowUp = "followup"
)

// Assessment is one sitting of a professional.
type Assessment struct {
	ID              int64      `json:"id"`
	ProfessionalID  int64      `json:"professional_id"`
	FrameworkID     int64      `json:"framework_id"`
	FrameworkState  string     `json:"framework_state"`
	BankID          int64      `json:"bank_id"`
	PersonaID       int64      `json:"persona_id,omitempty"`
	PersonaCode     string     `json:"persona_code,omitempty"`
	PersonaName     string     `json:"persona_name,omitempty"`
	Kind            string     `json:"kind"`
	PreviousID      int64      `json:"previous_id,omitempty"`
	State           string     `json:"state"`
	Revision        int        `json:"revision"`
	Position        int        `json:"position"`
	Questions       int        `json:"questions"`
	Needed          int        `json:"needed"`
	Answered        int        `json:"answered"`
	Lines           int        `json:"lines"`
	Areas           int        `json:"areas"`
	ExpectedSeconds int        `json:"expected_seconds"`
	RemainingSecs   int        `json:"remaining_seconds"`
	SupersededBy    int64      `json:"superseded_by,omitempty"`
	StartedAt       time.Time  `json:"started_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	PausedAt        *time.Time `json:"paused_at,omitempty"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
}

// Percent is the share of needed questions answered.
func (a Assessment) Percent() int {
	if a.Needed == 0 {
		return 0
	}
	return a.Answered * 100 / a.Needed
}

// ExpectedMinutes rounds the expected duration up to whole minutes.
func (a Assessment) ExpectedMinutes() int { return (a.ExpectedSeconds + 59) / 60 }

// RemainingMinutes rounds the remaining time up to whole minutes.
func (a Assessment) RemainingMinutes() int { return (a.RemainingSecs + 59) / 60 }

// Question is one page of an assessment: the self-rating of a line, or a knowledge question.
type Question struct {
	Position  int      `json:"question"`
	LineID    int64    `json:"line_id"`
	LineCode  string   `json:"line"`
	LineTitle string   `json:"line_title"`
	LineDesc  string   `json:"line_description,omitempty"`
	Area      string   `json:"area"`
	Dimension string   `json:"dimension"`
	Kind      string   `json:"kind"`
	ItemID    int64    `json:"item_id,omitempty"`
	Level     int      `json:"level,omitempty"`
	Text      string   `json:"text"`
	Choices   []Choice `json:"choices"`
	Answer    *int     `json:"answer,omitempty"`
	// Skipped: a knowledge question of a line rated "not yet" is not asked.
	Skipped bool `json:"skipped,omitempty"`
	// LineNumber and AreaNumber are the 1-based indexes of the line among the assessment's
	// line questions and of the ambito among its ambito questions (0 before the first).
	LineNumber int `json:"line_number"`
	AreaNumber int `json:"area_number,omitempty"`
}

// Choice is one answer a question offers: a level (self-rating) or an option (knowledge).
type Choice struct {
	Value int    `json:"value"`
	Text  string `json:"text"`
	Label string `json:"label,omitempty"` // the level's name, for self-ratings
	// Checked marks the stored answer, for the page.
	Checked bool `json:"-"`
}

// AnswerInput is one answer as posted: the question's position (or, for knowledge questions,
// its item id), the choice and the revision of the assessment the page was rendered at
// (0 = do not check).
type AnswerInput struct {
	Question int   `json:"question"`
	ItemID   int64 `json:"item_id,omitempty"`
	Choice   int   `json:"choice"`
	Revision int   `json:"revision"`
}

// AnswerResult says what happened to an answer.
type AnswerResult struct {
	Assessment Assessment `json:"assessment"`
	// Duplicate is true when the same answer was already stored: nothing was written.
	Duplicate bool `json:"duplicate"`
	// Next is the position of the next question to show (0 when all are answered).
	Next int `json:"next"`
}

// Question kinds of a sitting: the overall rating of an ambito, the self-rating of a line, a
// knowledge question.
const (
	QArea      = "area"
	QSelf      = ItemSelf
	QKnowledge = ItemKnowledge
)

// plannedQ is one question chosen for a sitting.
type plannedQ struct {
	kind   string
	line   *Node // the line; for an area question, the ambito
	area   *Node // the line's ambito (nil for lines directly under a dimension)
	itemID int64
	level  int
	target int
}

type requiredLine struct {
	line   *Node
	target int
}

// requiredLines are the lines of f the targets require (level ≥ 1), in portfolio order, each
// with its highest target.
func requiredLines(f *Framework, targets []Target) []requiredLine {
	tgt := map[int64]int{}
	var out []requiredLine
	for _, tg := range targets {
		l := f.Line(tg.LineID)
		if l == nil || tg.Level < 1 {
			continue
		}
		if _, dup := tgt[l.ID]; !dup {
			out = append(out, requiredLine{line: l})
		}
		tgt[l.ID] = max(tgt[l.ID], tg.Level)
	}
	for i := range out {
		out[i].target = tgt[out[i].line.ID]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].line.Index < out[j].line.Index })
	return out
}

// sittingLines are the required lines of a sitting as stored with the assessment.
func sittingLines(f *Framework, targets []Target) []sittingLine {
	req := requiredLines(f, targets)
	out := make([]sittingLine, len(req))
	for i, rl := range req {
		out[i] = sittingLine{LineID: rl.line.ID, Target: rl.target}
		if a := rl.line.Area(); a != nil {
			out[i].AreaID = a.ID
		}
	}
	return out
}

// planQuestions chooses the questions of an assessment within the time budget.
//
// When a self-rating of every required line fits (with at least one knowledge question for
// the lines that have them), the assessment is one self-rating per line, each followed by its
// knowledge questions (nearest to the line's target level, at most Timing.MaxKnowledge per
// line, added while the expected duration stays within the budget).
//
// When it does not (the default personas require all 140 lines: 35 minutes at 15 s each),
// the assessment goes by ambito: first an overall rating of each ambito with required lines,
// which stands for every line of it; then individual self-ratings of the lines that matter
// most — each ambito's lines with knowledge questions and highest targets first, taken in
// turns across ambiti — with their knowledge questions, as many as the budget allows. A line
// question is skipped when the ambito's rating already reaches the line's target (no gap can
// appear there), so the stated duration is an upper bound.
func planQuestions(f *Framework, items []Item, targets []Target, t Timing) []plannedQ {
	tgt := map[int64]int{}
	var lines []*Node
	for _, tg := range targets {
		l := f.Line(tg.LineID)
		if l == nil || tg.Level < 1 {
			continue
		}
		if _, dup := tgt[l.ID]; !dup {
			lines = append(lines, l)
		}
		tgt[l.ID] = max(tgt[l.ID], tg.Level)
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Index < lines[j].Index })
	know := map[int64][]Item{}
	for _, it := range items {
		if it.Kind == ItemKnowledge {
			know[it.LineID] = append(know[it.LineID], it)
		}
	}
	// The knowledge candidates of a line, nearest to its target first.
	cands := func(l *Node) []Item {
		c := append([]Item(nil), know[l.ID]...)
		target := tgt[l.ID]
		sort.SliceStable(c, func(i, j int) bool {
			di, dj := abs(c[i].Level-target), abs(c[j].Level-target)
			if di != dj {
				return di < dj
			}
			if c[i].Level != c[j].Level {
				return c[i].Level < c[j].Level
			}
			return c[i].Position < c[j].Position
		})
		return c
	}
	withKnowledge := 0
	for _, l := range lines {
		if len(know[l.ID]) > 0 {
			withKnowledge++
		}
	}
	asked := map[string]bool{} // the same question (by text) is never asked twice in one sitting
	chosen := map[int64][]Item{}
	// pickKnowledge adds the next knowledge question of l if it fits the budget.
	pickKnowledge := func(l *Node, total *int) bool {
		if len(chosen[l.ID]) >= t.MaxKnowledge || *total+t.KnowledgeSeconds > t.BudgetSeconds {
			return false
		}
		for _, it := range cands(l) {
			if asked[it.TextIT] || containsItem(chosen[l.ID], it.ID) {
				continue
			}
			// Prefer another level than the one already asked.
			if len(chosen[l.ID]) > 0 && it.Level == chosen[l.ID][0].Level {
				alt := false
				for _, o := range cands(l) {
					if !asked[o.TextIT] && !containsItem(chosen[l.ID], o.ID) && o.Level != chosen[l.ID][0].Level {
						alt = true
						break
					}
				}
				if alt {
					continue
				}
			}
			chosen[l.ID] = append(chosen[l.ID], it)
			asked[it.TextIT] = true
			*total += t.KnowledgeSeconds
			return true
		}
		return false
	}
	byArea := len(lines)*t.SelfSeconds+withKnowledge*t.KnowledgeSeconds > t.BudgetSeconds && t.AreaSeconds > 0
	selected := map[int64]bool{}
	var areas []*Node
	total := 0
	if !byArea {
		for _, l := range lines {
			selected[l.ID] = true
		}
		total = len(lines) * t.SelfSeconds
		for round := 0; round < t.MaxKnowledge; round++ {
			order := append([]*Node(nil), lines...)
			sort.SliceStable(order, func(i, j int) bool { return tgt[order[i].ID] > tgt[order[j].ID] })
			for _, l := range order {
				if len(chosen[l.ID]) == round {
					pickKnowledge(l, &total)
				}
			}
		}
	} else {
		perArea := map[*Node][]*Node{}
		for _, l := range lines {
			a := l.Area()
			if _, ok := perArea[a]; !ok {
				areas = append(areas, a)
			}
			perArea[a] = append(perArea[a], l)
		}
		total = len(areas) * t.AreaSeconds
		for _, a := range areas {
			ls := perArea[a]
			sort.SliceStable(ls, func(i, j int) bool {
				ki, kj := len(know[ls[i].ID]) > 0, len(know[ls[j].ID]) > 0
				if ki != kj {
					return ki
				}
				if tgt[ls[i].ID] != tgt[ls[j].ID] {
					return tgt[ls[i].ID] > tgt[ls[j].ID]
				}
				return ls[i].Index < ls[j].Index
			})
		}
		// Ambiti with knowledge questions and higher targets take their turn first.
		order := append([]*Node(nil), areas...)
		maxT := func(a *Node) int {
			m := 0
			for _, l := range perArea[a] {
				m = max(m, tgt[l.ID])
			}
			return m
		}
		hasK := func(a *Node) bool { return len(know[perArea[a][0].ID]) > 0 }
		sort.SliceStable(order, func(i, j int) bool {
			if hasK(order[i]) != hasK(order[j]) {
				return hasK(order[i])
			}
			return maxT(order[i]) > maxT(order[j])
		})
		for rank := 0; ; rank++ {
			progressed := false
			for _, a := range order {
				if rank >= len(perArea[a]) {
					continue
				}
				progressed = true
				l := perArea[a][rank]
				cost := t.SelfSeconds
				if len(know[l.ID]) > 0 {
					cost += t.KnowledgeSeconds
				}
				if total+cost > t.BudgetSeconds {
					continue
				}
				selected[l.ID] = true
				total += t.SelfSeconds
				pickKnowledge(l, &total)
			}
			if !progressed {
				break
			}
		}
	}
	var out []plannedQ
	emitted := map[*Node]bool{}
	for _, l := range lines {
		a := l.Area()
		if byArea && !emitted[a] {
			emitted[a] = true
			out = append(out, plannedQ{kind: QArea, line: a, area: a})
		}
		if !selected[l.ID] {
			continue
		}
		out = append(out, plannedQ{kind: QSelf, line: l, area: a, target: tgt[l.ID]})
		ks := chosen[l.ID]
		sort.SliceStable(ks, func(i, j int) bool { return ks[i].Level < ks[j].Level })
		for _, it := range ks {
			out = append(out, plannedQ{kind: QKnowledge, line: l, area: a, itemID: it.ID, level: it.Level, target: tgt[l.ID]})
		}
	}
	return out
}

func containsItem(items []Item, id int64) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func expectedSeconds(qs []plannedQ, t Timing) int {
	s := 0
	for _, q := range qs {
		switch q.kind {
		case QArea:
			s += t.AreaSeconds
		case QSelf:
			s += t.SelfSeconds
		default:
			s += t.KnowledgeSeconds
		}
	}
	return s
}

// Preview is what the start page shows before an assessment begins.
type Preview struct {
	Persona         PersonaInfo `json:"persona"`
	Framework       string      `json:"framework"`
	FrameworkState  string      `json:"framework_state"`
	Lines           int         `json:"lines"`
	Areas           int         `json:"area_questions"`
	SelfQuestions   int         `json:"self_questions"`
	Knowledge       int         `json:"knowledge_questions"`
	ExpectedSeconds int         `json:"expected_seconds"`
	AreaSeconds     int         `json:"seconds_per_area_rating"`
	SelfSeconds     int         `json:"seconds_per_self_rating"`
	KnowSeconds     int         `json:"seconds_per_knowledge_question"`
	Problem         string      `json:"problem,omitempty"`
}

// ExpectedMinutes rounds up.
func (p Preview) ExpectedMinutes() int { return (p.ExpectedSeconds + 59) / 60 }

// Preview computes the questions a new assessment of the professional would have, and how
// long it should take. Only the professional (or the system) may call it.
func (s *Service) Preview(ctx context.Context, profID int64) (Preview, error) {
	if err := s.requireSelf(ctx, profID); err != nil {
		return Preview{}, err
	}
	targets, persona, err := s.effectiveTargets(ctx, profID)
	if err != nil {
		return Preview{}, err
	}
	return s.preview(ctx, targets, persona)
}

func (s *Service) preview(ctx context.Context, targets []Target, persona PersonaInfo) (Preview, error) {
	t := s.timing()
	p := Preview{Persona: persona, AreaSeconds: t.AreaSeconds, SelfSeconds: t.SelfSeconds, KnowSeconds: t.KnowledgeSeconds}
	f, err := s.framework(ctx, persona.FrameworkID)
	if err != nil {
		return p, err
	}
	p.Framework = f.Title("it") + " " + f.Version
	state, _, err := s.frameworkState(ctx, s.DB.Read, f.ID)
	if err != nil {
		return p, err
	}
	p.FrameworkState = state
	bankID, err := s.bankFor(ctx, f.ID)
	if err != nil {
		return p, err
	}
	items, err := s.loadItems(ctx, s.DB.Read, bankID, 0)
	if err != nil {
		return p, err
	}
	qs := planQuestions(f, items, targets, t)
	for _, q := range qs {
		switch q.kind {
		case QArea:
			p.Areas++
		case QSelf:
			p.SelfQuestions++
		default:
			p.Knowledge++
		}
	}
	seen := map[int64]bool{}
	for _, tg := range targets {
		if l := f.Line(tg.LineID); l != nil && tg.Level >= 1 && !seen[l.ID] {
			seen[l.ID] = true
			p.Lines++
		}
	}
	p.ExpectedSeconds = expectedSeconds(qs, t)
	return p, nil
}

// requireSelf allows only the professional themselves (and the system): answers are private.
func (s *Service) requireSelf(ctx context.Context, profID int64) error {
	a, err := domain.Require(ctx, domain.RoleProfessional)
	if err != nil {
		return err
	}
	if a.Role == domain.RoleSystem {
		return nil
	}
	if a.ProfessionalID == 0 || a.ProfessionalID != profID {
		return domain.NotFound("professional")
	}
	return nil
}

// Start begins an assessment for the calling professional on their persona's targets, or
// returns the open one (so a double click or a second tab resumes instead of starting over).
// An open assessment on a retired portfolio version is superseded by a new one on the
// persona's current version, carrying over every answer to the same line or question.
func (s *Service) Start(ctx context.Context, profID int64) (Assessment, error) {
	if err := s.requireSelf(ctx, profID); err != nil {
		return Assessment{}, err
	}
	if _, err := s.professional(ctx, s.DB.Read, profID); err != nil {
		return Assessment{}, err
	}
	if open, err := s.openAssessment(ctx, s.DB.Read, profID); err != nil {
		return Assessment{}, err
	} else if open != nil && open.FrameworkState != FrameworkRetired {
		return *open, nil
	}
	targets, persona, err := s.effectiveTargets(ctx, profID)
	if err != nil {
		return Assessment{}, err
	}
	f, err := s.framework(ctx, persona.FrameworkID)
	if err != nil {
		return Assessment{}, err
	}
	if _, err := s.bankFor(ctx, f.ID); err != nil && domain.ErrorCode(err) != domain.ECONFLICT {
		return Assessment{}, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		state, _, err := s.frameworkState(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		switch state {
		case FrameworkRetired:
			return errK(domain.ECONFLICT, "", "assess.err.persona_retired", "the Digital Persona still refers to portfolio version %s, which is retired: the persona must move to the current version before a new assessment can start", f.Version)
		case FrameworkDraft:
			return errK(domain.ECONFLICT, "", "assess.err.draft_version", "portfolio version %s is still a draft: assessments start on published versions only", f.Version)
		}
		open, err := s.openAssessment(ctx, tx, profID)
		if err != nil {
			return err
		}
		if open != nil && open.FrameworkState != FrameworkRetired {
			id = open.ID // started meanwhile
			return nil
		}
		bankID, err := publishedBank(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		items, err := s.loadItems(ctx, tx, bankID, 0)
		if err != nil {
			return err
		}
		qs := planQuestions(f, items, targets, s.timing())
		if len(qs) == 0 {
			return errK(domain.ECONFLICT, "", "assess.err.no_lines", "the Digital Persona requires no line of the portfolio: there is nothing to assess")
		}
		kind := KindInitial
		var prev any
		var prevID int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM assessments WHERE professional_id = $1 AND state = 'finished' ORDER BY finished_at DESC, id DESC LIMIT 1`, profID).Scan(&prevID)
		if err == nil {
			kind, prev = KindFollowUp, prevID
		} else if err != sql.ErrNoRows {
			return err
		}
		now := s.now()
		if open != nil {
			// Free the "one open assessment" slot before inserting the new one.
			if _, err := tx.ExecContext(ctx, `UPDATE assessments SET state = 'superseded', updated_at = $1 WHERE id = $2`, now, open.ID); err != nil {
				return err
			}
		}
		var pid any
		if persona.ID != 0 {
			pid = persona.ID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO assessments (professional_id, framework_id, bank_id, persona_id, persona_code, persona_name,
			kind, previous_id, state, revision, position, questions, expected_seconds, started_at, updated_at, lines)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'in_progress',0,1,$9,$10,$11,$11,$12) RETURNING id`,
			profID, f.ID, bankID, pid, persona.Code, persona.Name, kind, prev, len(qs), expectedSeconds(qs, s.timing()), now,
			packSittingLines(sittingLines(f, targets))).Scan(&id); err != nil {
			return db.MapError(err)
		}
		rows := make([][]any, len(qs))
		for i, q := range qs {
			var item, area any
			if q.itemID != 0 {
				item = q.itemID
			}
			if q.area != nil {
				area = q.area.ID
			}
			rows[i] = []any{id, i + 1, q.line.ID, q.kind, item, area, q.target}
		}
		if err := insertRows(ctx, tx, s.DB.IsPostgres(), "assessment_questions", []string{"assessment_id", "position", "line_id", "kind", "item_id", "area_id", "target_level"}, rows); err != nil {
			return err
		}
		carried := 0
		if open != nil {
			if carried, err = s.carryOver(ctx, tx, open.ID, id, qs); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE assessments SET superseded_by = $1 WHERE id = $2`, id, open.ID); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Change{Action: "supersede", Entity: "assessment", EntityID: open.ID,
				Before: map[string]any{"state": StateInProgress}, After: map[string]any{"state": StateSuperseded, "superseded_by": id, "answers_carried": carried}}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "start", Entity: "assessment", EntityID: id,
			After: map[string]any{"professional_id": profID, "framework_id": f.ID, "bank_id": bankID, "persona": persona.Code, "kind": kind, "questions": len(qs)}})
	})
	if err != nil {
		return Assessment{}, err
	}
	return s.assessment(ctx, s.DB.Read, id)
}

// carryOver copies the answers of a superseded assessment onto the new one: self-ratings by
// line code, knowledge answers by item code. It returns how many were carried.
func (s *Service) carryOver(ctx context.Context, tx *sql.Tx, oldID, newID int64, qs []plannedQ) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT fi.code, q.kind, COALESCE(i.code, ''), a.choice, a.correct
		FROM assessment_answers a JOIN assessment_questions q ON q.assessment_id = a.assessment_id AND q.position = a.position
		JOIN framework_items fi ON fi.id = q.line_id LEFT JOIN assess_items i ON i.id = q.item_id
		WHERE a.assessment_id = $1`, oldID)
	if err != nil {
		return 0, err
	}
	type old struct {
		choice  int
		correct sql.NullBool
	}
	self, know := map[string]old{}, map[string]old{}
	for rows.Next() {
		var line, kind, code string
		var o old
		if err := rows.Scan(&line, &kind, &code, &o.choice, &o.correct); err != nil {
			rows.Close()
			return 0, err
		}
		switch kind {
		case QSelf:
			self[line] = o
		case QArea:
			self["area:"+line] = o
		default:
			know[code] = o
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	codes := map[int64]string{}
	if len(know) > 0 {
		r2, err := tx.QueryContext(ctx, `SELECT i.id, i.code FROM assess_items i JOIN assessment_questions q ON q.item_id = i.id WHERE q.assessment_id = $1`, newID)
		if err != nil {
			return 0, err
		}
		for r2.Next() {
			var id int64
			var c string
			if err := r2.Scan(&id, &c); err != nil {
				r2.Close()
				return 0, err
			}
			codes[id] = c
		}
		r2.Close()
	}
	now := s.now()
	n := 0
	for i, q := range qs {
		var o old
		var ok bool
		switch q.kind {
		case QSelf:
			o, ok = self[q.line.Code]
		case QArea:
			o, ok = self["area:"+q.line.Code]
		default:
			o, ok = know[codes[q.itemID]]
		}
		if !ok {
			continue
		}
		var correct any
		if o.correct.Valid {
			correct = o.correct.Bool
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO assessment_answers (assessment_id, position, choice, correct, revision, answered_at) VALUES ($1,$2,$3,$4,0,$5)`,
			newID, i+1, o.choice, correct, now); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

const assessmentCols = `a.id, a.professional_id, a.framework_id, f.state, a.bank_id, COALESCE(a.persona_id, 0), a.persona_code, a.persona_name, a.kind,
	COALESCE(a.previous_id, 0), a.state, a.revision, a.position, a.questions, a.expected_seconds, COALESCE(a.superseded_by, 0),
	a.started_at, a.updated_at, a.paused_at, a.finished_at`

func scanAssessment(row interface{ Scan(...any) error }, a *Assessment) error {
	var paused, finished sql.NullTime
	if err := row.Scan(&a.ID, &a.ProfessionalID, &a.FrameworkID, &a.FrameworkState, &a.BankID, &a.PersonaID, &a.PersonaCode, &a.PersonaName, &a.Kind,
		&a.PreviousID, &a.State, &a.Revision, &a.Position, &a.Questions, &a.ExpectedSeconds, &a.SupersededBy,
		&a.StartedAt, &a.UpdatedAt, &paused, &finished); err != nil {
		return err
	}
	a.PausedAt, a.FinishedAt = nullTime(paused), nullTime(finished)
	return nil
}

func (s *Service) openAssessment(ctx context.Context, q db.Querier, profID int64) (*Assessment, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM assessments WHERE professional_id = $1 AND state = 'in_progress'`, profID).Scan(&id)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a, err := s.assessment(ctx, q, id)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// assessment loads an assessment with its progress counters (no permission check).
func (s *Service) assessment(ctx context.Context, q db.Querier, id int64) (Assessment, error) {
	var a Assessment
	err := scanAssessment(q.QueryRowContext(ctx, `SELECT `+assessmentCols+` FROM assessments a JOIN framework_versions f ON f.id = a.framework_id WHERE a.id = $1`, id), &a)
	if err == sql.ErrNoRows {
		return a, domain.NotFound("assessment")
	}
	if err != nil {
		return a, err
	}
	st, err := s.progress(ctx, q, id)
	if err != nil {
		return a, err
	}
	t := s.timing()
	a.Needed, a.Answered, a.Lines = st.needed, st.answered, st.lines
	for _, k := range st.kinds {
		if k == QArea {
			a.Areas++
		}
	}
	a.RemainingSecs = st.remainingArea*t.AreaSeconds + st.remainingSelf*t.SelfSeconds + st.remainingKnow*t.KnowledgeSeconds
	return a, nil
}

type progressStats struct {
	needed, answered, lines      int
	remainingArea                int
	remainingSelf, remainingKnow int
	firstUnanswered              int
	skipped                      map[int]bool
	answers                      map[int]int
	answerRev                    map[int]int
	kinds                        map[int]string
	lineOf                       map[int]int64
	// selfOf is the effective self-rating of each line with a question: its own answer, else
	// its ambito's; areaAns holds the ambito ratings, for the lines without a question.
	selfOf   map[int64]int
	fromArea map[int64]bool
	areaAns  map[int64]int
}

// progress counts needed and answered questions. A line's self-rating is not needed when the
// rating of its ambito already reaches the line's target; a knowledge question is not needed
// when its line's effective self-rating is "not yet" (0): the rule would not use it.
func (s *Service) progress(ctx context.Context, q db.Querier, id int64) (progressStats, error) {
	rows, err := q.QueryContext(ctx, `SELECT q.position, q.kind, q.line_id, COALESCE(q.area_id, 0), q.target_level, a.choice, COALESCE(a.revision, 0)
		FROM assessment_questions q LEFT JOIN assessment_answers a ON a.assessment_id = q.assessment_id AND a.position = q.position
		WHERE q.assessment_id = $1 ORDER BY q.position`, id)
	if err != nil {
		return progressStats{}, err
	}
	var order []questionState
	for rows.Next() {
		var r questionState
		var choice sql.NullInt64
		if err := rows.Scan(&r.pos, &r.kind, &r.line, &r.area, &r.target, &choice, &r.rev); err != nil {
			rows.Close()
			return progressStats{}, err
		}
		r.answered, r.choice = choice.Valid, int(choice.Int64)
		order = append(order, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return progressStats{}, err
	}
	return computeProgress(order), nil
}

// questionState is one question of a sitting, in position order, with its answer if any.
type questionState struct {
	pos, target int
	kind        string
	line, area  int64
	answered    bool
	choice, rev int
}

// computeProgress applies the skipping rules to the questions of a sitting and their answers:
// a pure function, shared by the interactive sitting and the bulk path.
func computeProgress(order []questionState) progressStats {
	st := progressStats{skipped: map[int]bool{}, answers: map[int]int{}, answerRev: map[int]int{}, kinds: map[int]string{}, lineOf: map[int]int64{},
		selfOf: map[int64]int{}, fromArea: map[int64]bool{}}
	areaAns := map[int64]int{}
	st.areaAns = areaAns
	lineAns := map[int64]int{}
	for _, r := range order {
		st.kinds[r.pos], st.lineOf[r.pos] = r.kind, r.line
		if r.answered {
			st.answers[r.pos], st.answerRev[r.pos] = r.choice, r.rev
			switch r.kind {
			case QArea:
				areaAns[r.line] = r.choice
			case QSelf:
				lineAns[r.line] = r.choice
			}
		}
		if r.kind == QSelf {
			st.lines++
		}
	}
	// Which line questions are skipped, then each line's effective self-rating.
	for _, r := range order {
		if r.kind != QSelf {
			continue
		}
		if v, ok := areaAns[r.area]; ok && r.area != 0 && r.target > 0 && v >= r.target {
			st.skipped[r.pos] = true
			continue
		}
		if v, ok := lineAns[r.line]; ok {
			st.selfOf[r.line] = v
		}
	}
	effective := func(line, area int64) (int, bool) {
		if v, ok := st.selfOf[line]; ok {
			return v, true
		}
		if v, ok := areaAns[area]; ok && area != 0 {
			return v, true
		}
		return 0, false
	}
	for _, r := range order {
		if r.kind == QArea {
			continue
		}
		if _, ok := st.selfOf[r.line]; !ok {
			if v, ok := areaAns[r.area]; ok && r.area != 0 {
				st.selfOf[r.line], st.fromArea[r.line] = v, true
			}
		}
		if r.kind == QKnowledge {
			if v, ok := effective(r.line, r.area); ok && v == 0 {
				st.skipped[r.pos] = true
			}
		}
	}
	for _, r := range order {
		if st.skipped[r.pos] {
			continue
		}
		st.needed++
		if _, ok := st.answers[r.pos]; ok {
			st.answered++
			continue
		}
		if st.firstUnanswered == 0 {
			st.firstUnanswered = r.pos
		}
		switch r.kind {
		case QArea:
			st.remainingArea++
		case QSelf:
			st.remainingSelf++
		default:
			st.remainingKnow++
		}
	}
	return st
}

// Get returns an assessment of the calling professional.
func (s *Service) Get(ctx context.Context, id int64) (Assessment, error) {
	a, err := s.assessment(ctx, s.DB.Read, id)
	if err != nil {
		return a, err
	}
	if err := s.requireSelf(ctx, a.ProfessionalID); err != nil {
		return Assessment{}, domain.NotFound("assessment")
	}
	return a, nil
}

// List returns the assessments of the calling professional, newest first.
func (s *Service) List(ctx context.Context, profID int64) ([]Assessment, error) {
	if err := s.requireSelf(ctx, profID); err != nil {
		return nil, err
	}
	ids, err := db.Int64s(ctx, s.DB.Read, `SELECT id FROM assessments WHERE professional_id = $1 ORDER BY id DESC`, profID)
	if err != nil {
		return nil, err
	}
	out := []Assessment{}
	for _, id := range ids {
		a, err := s.assessment(ctx, s.DB.Read, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Questions returns every question of an assessment of the calling professional, with their
// answers, texts in lang.
func (s *Service) Questions(ctx context.Context, id int64, lang string) (Assessment, []Question, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return a, nil, err
	}
	qs, err := s.questions(ctx, s.DB.Read, a, lang)
	return a, qs, err
}

func (s *Service) questions(ctx context.Context, q db.Querier, a Assessment, lang string) ([]Question, error) {
	f, err := s.framework(ctx, a.FrameworkID)
	if err != nil {
		return nil, err
	}
	items, err := s.loadItems(ctx, q, a.BankID, 0)
	if err != nil {
		return nil, err
	}
	byID := map[int64]Item{}
	selfText := map[int64]map[int]string{}
	for _, it := range items {
		byID[it.ID] = it
		if it.Kind == ItemSelf {
			if selfText[it.LineID] == nil {
				selfText[it.LineID] = map[int]string{}
			}
			selfText[it.LineID][it.Level] = it.Text(lang)
		}
	}
	st, err := s.progress(ctx, q, a.ID)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT position, line_id, kind, COALESCE(item_id, 0) FROM assessment_questions WHERE assessment_id = $1 ORDER BY position`, a.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Question
	lineNo, areaNo := 0, 0
	for rows.Next() {
		var qn Question
		if err := rows.Scan(&qn.Position, &qn.LineID, &qn.Kind, &qn.ItemID); err != nil {
			return nil, err
		}
		if qn.Kind == QArea {
			a := f.Node(qn.LineID)
			if a == nil {
				continue
			}
			areaNo++
			qn.AreaNumber = areaNo
			qn.LineCode, qn.LineTitle, qn.Area = a.Code, a.Title(lang), a.Title(lang)
			if d := a.Dimension(); d != nil {
				qn.Dimension = d.Title(lang)
			}
			var titles []string
			for _, l := range a.Children {
				if l.Kind == KindLine {
					titles = append(titles, l.Title(lang))
				}
			}
			qn.LineDesc = pick(lang == "en", "L'ambito comprende: %s.", "The area covers: %s.", strings.Join(titles, "; "))
			qn.Text = pick(lang == "en", "Nel complesso, quale affermazione descrive meglio quello che sai fare oggi in questo ambito?",
				"Overall, which statement best describes what you can do today in this area?")
			qn.Choices = append(qn.Choices, Choice{Value: 0, Label: f.LevelLabel(0, lang),
				Text: pick(lang == "en", "Non ho ancora esperienza in questo ambito.", "I have no experience in this area yet.")})
			for lv := 1; lv <= f.MaxLevel(); lv++ {
				qn.Choices = append(qn.Choices, Choice{Value: lv, Text: AreaStatement(f, lv, lang), Label: f.LevelLabel(lv, lang)})
			}
		} else {
			l := f.Line(qn.LineID)
			if l == nil {
				continue
			}
			qn.LineCode, qn.LineTitle = l.Code, l.Title(lang)
			qn.LineDesc = l.DescIT
			if lang == "en" && l.DescEN != "" {
				qn.LineDesc = l.DescEN
			}
			if a := l.Area(); a != nil {
				qn.Area = a.Title(lang)
			}
			if d := l.Dimension(); d != nil {
				qn.Dimension = d.Title(lang)
			}
			if qn.Kind == ItemSelf {
				lineNo++
				qn.Text = pick(lang == "en", "Quale affermazione descrive meglio quello che sai fare oggi?", "Which statement best describes what you can do today?")
				qn.Choices = append(qn.Choices, Choice{Value: 0, Label: f.LevelLabel(0, lang),
					Text: pick(lang == "en", "Non ho ancora esperienza su questo tema.", "I have no experience of this yet.")})
				for lv := 1; lv <= f.MaxLevel(); lv++ {
					txt := selfText[qn.LineID][lv]
					if txt == "" {
						txt, _ = SelfStatement(l, lv, f.MaxLevel())
					}
					qn.Choices = append(qn.Choices, Choice{Value: lv, Text: txt, Label: f.LevelLabel(lv, lang)})
				}
			} else {
				it := byID[qn.ItemID]
				qn.Level, qn.Text = it.Level, it.Text(lang)
				for i, o := range it.Options {
					qn.Choices = append(qn.Choices, Choice{Value: i + 1, Text: o.Text(lang)})
				}
			}
		}
		qn.LineNumber, qn.AreaNumber = lineNo, areaNo
		if v, ok := st.answers[qn.Position]; ok {
			v := v
			qn.Answer = &v
			for i := range qn.Choices {
				qn.Choices[i].Checked = qn.Choices[i].Value == v
			}
		}
		qn.Skipped = st.skipped[qn.Position]
		out = append(out, qn)
	}
	return out, rows.Err()
}

// Answer saves one answer, as given. It is idempotent (the same answer again is accepted and
// stored once) and guards against stale pages: when the posted revision is older than the
// last change of this question's answer (another tab changed it), the answer is refused with
// ECONFLICT and the stored one is kept. Answers to different questions never conflict.
func (s *Service) Answer(ctx context.Context, id int64, in AnswerInput) (AnswerResult, error) {
	var res AnswerResult
	var err error
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var a Assessment
		if err := scanAssessment(tx.QueryRowContext(ctx, `SELECT `+assessmentCols+` FROM assessments a JOIN framework_versions f ON f.id = a.framework_id WHERE a.id = $1`+s.lockOf("a"), id), &a); err != nil {
			if err == sql.ErrNoRows {
				return domain.NotFound("assessment")
			}
			return err
		}
		if err := s.requireSelf(ctx, a.ProfessionalID); err != nil {
			return domain.NotFound("assessment")
		}
		var qKind string
		var itemID, lineID int64
		err := tx.QueryRowContext(ctx, `SELECT kind, COALESCE(item_id, 0), line_id FROM assessment_questions WHERE assessment_id = $1 AND position = $2`,
			id, in.Question).Scan(&qKind, &itemID, &lineID)
		if err == sql.ErrNoRows && in.Question == 0 && in.ItemID != 0 {
			err = tx.QueryRowContext(ctx, `SELECT position, kind, COALESCE(item_id, 0), line_id FROM assessment_questions WHERE assessment_id = $1 AND item_id = $2`,
				id, in.ItemID).Scan(&in.Question, &qKind, &itemID, &lineID)
		}
		if err == sql.ErrNoRows {
			if in.ItemID != 0 {
				return errK(domain.EINVALID, "item_id", "assess.err.item_not_in", "item %d is not part of this assessment", in.ItemID)
			}
			return errK(domain.EINVALID, "question", "assess.err.not_in", "question %d is not part of this assessment (it has %d)", in.Question, a.Questions)
		}
		if err != nil {
			return err
		}
		if in.ItemID != 0 && in.ItemID != itemID {
			return errK(domain.EINVALID, "item_id", "assess.err.item_not_q", "item %d is not question %d of this assessment", in.ItemID, in.Question)
		}
		// The choice must be one the question offers.
		if qKind == QSelf || qKind == QArea {
			f, err := s.framework(ctx, a.FrameworkID)
			if err != nil {
				return err
			}
			if in.Choice < 0 || in.Choice > f.MaxLevel() {
				return errK(domain.EINVALID, "choice", "assess.err.bad_level", "choose a level from 0 to %d", f.MaxLevel())
			}
		}
		var correct any
		if qKind == ItemKnowledge {
			var ok sql.NullBool
			err := tx.QueryRowContext(ctx, `SELECT correct FROM assess_item_options WHERE item_id = $1 AND position = $2`, itemID, in.Choice).Scan(&ok)
			if err == sql.ErrNoRows {
				return errK(domain.EINVALID, "choice", "assess.err.bad_option", "option %d is not an answer of this question", in.Choice)
			}
			if err != nil {
				return err
			}
			correct = ok.Bool
		}
		var oldChoice, oldRev int
		err = tx.QueryRowContext(ctx, `SELECT choice, revision FROM assessment_answers WHERE assessment_id = $1 AND position = $2`, id, in.Question).Scan(&oldChoice, &oldRev)
		exists := err == nil
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if exists && oldChoice == in.Choice {
			// A replay or a double submission: accepted, stored once.
			res.Duplicate = true
			res.Assessment = a
			return nil
		}
		switch a.State {
		case StateFinished:
			return errK(domain.ECONFLICT, "assessment", "assess.err.finished", "this assessment was finished on %s: its answers can no longer change (start a follow-up assessment instead)", a.FinishedAt.Format("02/01/2006 15:04"))
		case StateSuperseded:
			return errK(domain.ECONFLICT, "assessment", "assess.err.superseded", "this assessment was replaced by assessment %d on the current portfolio version, where your answers were carried over", a.SupersededBy)
		}
		if a.FrameworkState == FrameworkRetired {
			st, _ := s.progress(ctx, tx, id)
			return errK(domain.ECONFLICT, "assessment", "assess.err.retired", "the portfolio version of this assessment was retired: your %d answers are saved; start the assessment again to continue on the current version, where they are carried over", st.answered)
		}
		if in.Revision < 0 || in.Revision > a.Revision {
			return errK(domain.EINVALID, "revision", "assess.err.revision", "unknown revision %d (the assessment is at %d)", in.Revision, a.Revision)
		}
		if exists && in.Revision > 0 && oldRev > in.Revision {
			return errK(domain.ECONFLICT, "question", "assess.err.stale", "this question was answered differently in another tab or window after this page was opened: the other answer is kept; reload the page to see it")
		}
		now := s.now()
		rev := a.Revision + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO assessment_answers (assessment_id, position, choice, correct, revision, changes, answered_at)
			VALUES ($1,$2,$3,$4,$5,0,$6) ON CONFLICT (assessment_id, position) DO UPDATE SET choice = excluded.choice, correct = excluded.correct,
			revision = excluded.revision, changes = assessment_answers.changes + 1, answered_at = excluded.answered_at`,
			id, in.Question, in.Choice, correct, rev, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assessments SET revision = $1, position = $2, updated_at = $3, paused_at = NULL WHERE id = $4`,
			rev, in.Question, now, id); err != nil {
			return err
		}
		// The trail records that an answer was given, never what it was: answers are private.
		return audit.Record(ctx, tx, audit.Change{Action: "answer", Entity: "assessment", EntityID: id, After: map[string]int{"question": in.Question, "revision": rev}})
	})
	if err != nil {
		return res, err
	}
	a, err := s.assessment(ctx, s.DB.Read, id)
	if err != nil {
		return res, err
	}
	res.Assessment = a
	res.Next = s.nextPosition(ctx, a, in.Question)
	return res, nil
}

func (s *Service) lockOf(table string) string {
	if s.DB.IsPostgres() {
		return " FOR UPDATE OF " + table
	}
	return ""
}

// nextPosition is the next question after pos that is not skipped (0 at the end).
func (s *Service) nextPosition(ctx context.Context, a Assessment, pos int) int {
	st, err := s.progress(ctx, s.DB.Read, a.ID)
	if err != nil {
		return 0
	}
	for p := pos + 1; p <= a.Questions; p++ {
		if !st.skipped[p] {
			return p
		}
	}
	return 0
}

// Navigate returns the position to show after pos in direction dir (+1 or −1), skipping
// questions that are not asked; 0 past the end.
func (s *Service) Navigate(ctx context.Context, id int64, pos, dir int) (int, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	st, err := s.progress(ctx, s.DB.Read, a.ID)
	if err != nil {
		return 0, err
	}
	for p := pos + dir; p >= 1 && p <= a.Questions; p += dir {
		if !st.skipped[p] {
			return p, nil
		}
	}
	if dir < 0 {
		return 1, nil
	}
	return 0, nil
}

// Pause records that the professional stopped at a question; answers are already saved.
func (s *Service) Pause(ctx context.Context, id int64, pos int) (Assessment, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return a, err
	}
	if a.State != StateInProgress {
		return a, nil
	}
	if pos < 1 || pos > a.Questions {
		pos = a.Position
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE assessments SET paused_at = $1, position = $2, updated_at = $1 WHERE id = $3 AND state = 'in_progress'`, now, pos, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "pause", Entity: "assessment", EntityID: id, After: map[string]int{"question": pos}})
	})
	if err != nil {
		return a, err
	}
	return s.assessment(ctx, s.DB.Read, id)
}

// ResumePosition is where the professional should continue: the last position when it is
// unanswered, else the first unanswered question.
func (s *Service) ResumePosition(ctx context.Context, a Assessment) int {
	st, err := s.progress(ctx, s.DB.Read, a.ID)
	if err != nil || st.firstUnanswered == 0 {
		return max(1, a.Position)
	}
	if _, answered := st.answers[a.Position]; !answered && !st.skipped[a.Position] && a.Position >= 1 {
		return a.Position
	}
	return st.firstUnanswered
}
