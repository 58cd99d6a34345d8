package assess

import (
	"context"
	"database/sql"
	"sort"
	"strconv"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Finish scores a completed assessment: a level per line by the documented rule, stored with
// its inputs and the previous assessment's level (before/after); one evidence row per line in
// the ledger (which recomputes the current levels); and fresh draft objectives from the new
// gaps. Only one finish wins: a second one (another tab, a replay) gets ECONFLICT saying when
// it was finished. Unanswered needed questions are EINVALID, naming the first.
func (s *Service) Finish(ctx context.Context, id int64) (Assessment, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return a, err
	}
	p, err := s.professional(ctx, s.DB.Read, a.ProfessionalID)
	if err != nil {
		return a, err
	}
	// The targets are read before the transaction: the objectives are generated in it.
	targets, persona, terr := s.effectiveTargets(ctx, a.ProfessionalID)
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := scanAssessment(tx.QueryRowContext(ctx, `SELECT `+assessmentCols+` FROM assessments a JOIN framework_versions f ON f.id = a.framework_id WHERE a.id = $1`+s.lockOf("a"), id), &a); err != nil {
			return db.MapError(err)
		}
		switch a.State {
		case StateFinished:
			return errK(domain.ECONFLICT, "assessment", "assess.err.already_finished", "this assessment was already finished on %s (perhaps in another tab): its result is unchanged", a.FinishedAt.Format("02/01/2006 15:04"))
		case StateSuperseded:
			return errK(domain.ECONFLICT, "assessment", "assess.err.superseded", "this assessment was replaced by assessment %d on the current portfolio version, where your answers were carried over", a.SupersededBy)
		}
		if a.FrameworkState == FrameworkRetired {
			st, _ := s.progress(ctx, tx, id)
			return errK(domain.ECONFLICT, "assessment", "assess.err.retired", "the portfolio version of this assessment was retired: your %d answers are saved; start the assessment again to continue on the current version, where they are carried over", st.answered)
		}
		st, err := s.progress(ctx, tx, id)
		if err != nil {
			return err
		}
		if st.answered < st.needed {
			return errK(domain.EINVALID, "question", "assess.err.unanswered", "%d questions are still unanswered: the first is question %d", st.needed-st.answered, st.firstUnanswered)
		}
		f, err := s.framework(ctx, a.FrameworkID)
		if err != nil {
			return err
		}
		scores, err := s.score(ctx, tx, a, f)
		if err != nil {
			return err
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE assessments SET state = 'finished', finished_at = $1, updated_at = $1, paused_at = NULL, revision = revision + 1
			WHERE id = $2 AND state = 'in_progress'`, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errK(domain.ECONFLICT, "assessment", "assess.err.already_finished", "this assessment was already finished on %s (perhaps in another tab): its result is unchanged", now.Format("02/01/2006 15:04"))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assessments SET results = $1 WHERE id = $2`, packResults(scores), id); err != nil {
			return err
		}
		var evs []Evidence
		for _, sc := range scores {
			evs = append(evs, Evidence{ProfessionalID: a.ProfessionalID, LineCode: sc.LineCode, LineID: sc.LineID, Level: sc.Level, Source: sc.evidenceSource(),
				ObservedAt: now, Pointer: "assessment:" + strconv.FormatInt(id, 10)})
		}
		if _, err := s.appendEvidence(ctx, tx, evs); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Change{Action: "finish", Entity: "assessment", EntityID: id, RegionID: p.RegionID,
			After: map[string]any{"state": StateFinished, "lines": len(scores)}}); err != nil {
			return err
		}
		if terr == nil && persona.FrameworkID != 0 {
			g, err := s.computeGaps(ctx, tx, a.ProfessionalID, targets, persona, "it")
			if err != nil {
				return err
			}
			if _, err := s.generateFor(ctx, tx, p, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return a, err
	}
	if terr != nil {
		s.Log.Warn("assessment finished without objectives: targets unavailable", "assessment", id, "err", terr)
	}
	return s.assessment(ctx, s.DB.Read, id)
}

// score applies the rule to every required line of an assessment: its self-rating (its own
// answer, or its ambito's rating when it had no question of its own or the question was
// skipped), moderated by its answered knowledge questions.
func (s *Service) score(ctx context.Context, q db.Querier, a Assessment, f *Framework) ([]LineScore, error) {
	st, err := s.progress(ctx, q, a.ID)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT q.position, q.line_id, COALESCE(i.level, 0), an.correct
		FROM assessment_questions q JOIN assess_items i ON i.id = q.item_id
		JOIN assessment_answers an ON an.assessment_id = q.assessment_id AND an.position = q.position
		WHERE q.assessment_id = $1 AND q.kind = 'knowledge' ORDER BY q.position`, a.ID)
	if err != nil {
		return nil, err
	}
	know := map[int64][]KnowledgeAnswer{}
	for rows.Next() {
		var pos, level int
		var line int64
		var correct sql.NullBool
		if err := rows.Scan(&pos, &line, &level, &correct); err != nil {
			rows.Close()
			return nil, err
		}
		if !st.skipped[pos] {
			know[line] = append(know[line], KnowledgeAnswer{Level: level, Correct: correct.Bool})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var packed string
	if err := q.QueryRowContext(ctx, `SELECT lines FROM assessments WHERE id = $1`, a.ID).Scan(&packed); err != nil {
		return nil, err
	}
	lines, err := unpackSittingLines(packed)
	if err != nil {
		return nil, err
	}
	prev := map[string]int{}
	if a.PreviousID != 0 {
		if err := q.QueryRowContext(ctx, `SELECT results FROM assessments WHERE id = $1`, a.PreviousID).Scan(&packed); err != nil {
			return nil, err
		}
		old, err := unpackResults(packed)
		if err != nil {
			return nil, err
		}
		for _, r := range old {
			prev[r.LineCode] = r.Level
		}
	}
	return scoreLines(f, st, know, lines, prev), nil
}

// scoreLines applies the rule to every required line of a sitting, in portfolio order: its
// self-rating (its own answer, or its ambito's rating when it had no question of its own or
// the question was skipped), moderated by its answered knowledge questions; prev holds the
// previous assessment's levels by line code.
func scoreLines(f *Framework, st progressStats, know map[int64][]KnowledgeAnswer, lines []sittingLine, prev map[string]int) []LineScore {
	nodes := make([]*Node, 0, len(lines))
	areaOf := make(map[int64]int64, len(lines))
	for _, sl := range lines {
		if l := f.Line(sl.LineID); l != nil {
			nodes = append(nodes, l)
			areaOf[l.ID] = sl.AreaID
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Index < nodes[j].Index })
	out := make([]LineScore, 0, len(nodes))
	for _, l := range nodes {
		self, fromArea := st.selfOf[l.ID], st.fromArea[l.ID]
		if _, ok := st.selfOf[l.ID]; !ok {
			// A line without a question of its own takes its ambito's rating.
			if v, ok := st.areaAns[areaOf[l.ID]]; ok && areaOf[l.ID] != 0 {
				self, fromArea = v, true
			}
		}
		sc := ScoreLine(self, know[l.ID])
		sc.LineID, sc.LineCode, sc.FromArea = l.ID, l.Code, fromArea
		if v, ok := prev[l.Code]; ok {
			sc.Previous = &v
		}
		out = append(out, sc)
	}
	return out
}

// Result is a finished assessment explained: a level per line with its reason, rolled up to
// ambiti and dimensions, with the previous assessment's values for comparison.
type Result struct {
	Assessment   Assessment  `json:"assessment"`
	Framework    string      `json:"framework"`
	Illustrative bool        `json:"illustrative"`
	MaxLevel     int         `json:"max_level"`
	Lines        []ResultRow `json:"lines"`
	Areas        []Rollup    `json:"areas"`
	Dimensions   []Rollup    `json:"dimensions"`
	FollowUp     bool        `json:"follow_up"`
	Improved     int         `json:"lines_improved"`
	Worsened     int         `json:"lines_worsened"`
}

// ResultRow is one line of a result.
type ResultRow struct {
	LineScore
	Title      string `json:"title"`
	Area       string `json:"area"`
	LevelLabel string `json:"level_label"`
	Delta      *int   `json:"delta,omitempty"`
}

// HasPrev reports whether the line was in the previous assessment.
func (r ResultRow) HasPrev() bool { return r.Previous != nil }

// Prev is the previous level, 0 if none.
func (r ResultRow) Prev() int {
	if r.Previous == nil {
		return 0
	}
	return *r.Previous
}

// Change is the level minus the previous one.
func (r ResultRow) Change() int {
	if r.Delta == nil {
		return 0
	}
	return *r.Delta
}

// Result returns the explained result of a finished assessment. It refers to the answers
// ("you got the level-2 question wrong"), so only the professional sees it.
func (s *Service) Result(ctx context.Context, id int64, lang string) (Result, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return Result{}, err
	}
	if a.State != StateFinished {
		return Result{}, errK(domain.ECONFLICT, "", "assess.err.not_finished", "the assessment is not finished yet")
	}
	f, err := s.framework(ctx, a.FrameworkID)
	if err != nil {
		return Result{}, err
	}
	r := Result{Assessment: a, Framework: f.Title(lang) + " " + f.Version, Illustrative: f.Illustrative, MaxLevel: f.MaxLevel(), FollowUp: a.PreviousID != 0}
	var packed string
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT results FROM assessments WHERE id = $1`, id).Scan(&packed); err != nil {
		return r, err
	}
	scores, err := unpackResults(packed)
	if err != nil {
		return r, err
	}
	values, previous := map[int64]float64{}, map[int64]float64{}
	for _, sc := range scores {
		row := ResultRow{LineScore: sc}
		l := f.Line(row.LineID)
		if l == nil {
			continue
		}
		row.Title = l.Title(lang)
		if ar := l.Area(); ar != nil {
			row.Area = ar.Title(lang)
		}
		row.LevelLabel = f.LevelLabel(row.Level, lang)
		row.Explanation = row.LineScore.Explain(f, lang)
		values[row.LineID] = float64(row.Level)
		if sc.Previous != nil {
			v := *sc.Previous
			d := row.Level - v
			row.Delta = &d
			previous[row.LineID] = float64(v)
			if d > 0 {
				r.Improved++
			} else if d < 0 {
				r.Worsened++
			}
		}
		r.Lines = append(r.Lines, row)
	}
	sortSlice(r.Lines, func(x, y ResultRow) bool { return f.Line(x.LineID).Index < f.Line(y.LineID).Index })
	r.Areas, r.Dimensions = rollup(f, lang, values, previous)
	return r, nil
}
