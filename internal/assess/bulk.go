package assess

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// SimulationReport is what a bulk simulation of assessments wrote, with its speed.
type SimulationReport struct {
	Professionals int64   `json:"professionals"` // professionals streamed
	Assessments   int64   `json:"assessments"`   // finished assessments written
	Answers       int64   `json:"answers"`
	Skipped       int64   `json:"skipped"` // already assessed, or nothing to assess
	Seconds       float64 `json:"seconds"`
	PerSecond     float64 `json:"assessments_per_second"`
}

// simBatch is how many professionals are simulated per transaction.
const simBatch = 1000

// SimulateAssessments gives every profiled professional who has never been assessed one
// finished self-assessment, as if they had sat it: the questions are planned for their
// effective persona targets by the same planner as an interactive sitting, the answers come
// from a simulated competence profile drawn deterministically from seed and the
// professional's id, the skipping rules, the scoring rule and the level rule are the ones a
// sitting uses, and the result, the answers, the evidence and the stored levels are written
// as Finish writes them, in batched transactions with one audit entry per batch. It is the
// bulk path of the synthetic national dataset (esd seed): objectives are generated
// afterwards from the new gaps by RegenerateObjectives. National governance (or the system)
// only; never run it on a database real people use.
func (s *Service) SimulateAssessments(ctx context.Context, seed int64, progress jobs.Progress) (SimulationReport, error) {
	var rep SimulationReport
	if _, err := requireNational(ctx); err != nil {
		return rep, err
	}
	src, err := s.targets()
	if err != nil {
		return rep, err
	}
	r, err := s.rule(ctx, s.DB.Read)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	var total int64
	if progress != nil {
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&total)
	}
	sim := &simulator{s: s, seed: uint64(seed), rule: r, banks: map[int64]*simBank{}, plans: map[string]*simPlan{}}
	// Three stages on their own goroutines, so the cores share the work: the targets are
	// streamed in batches, each batch is simulated, and the simulated batches are written in
	// order on the single write connection.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []regenItem, 1)
	outs := make(chan *simOut, 1)
	var streamErr, prepErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(batches)
		batch := make([]regenItem, 0, simBatch)
		send := func() error {
			select {
			case batches <- batch:
				batch = make([]regenItem, 0, simBatch)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		streamErr = src.EachEffectiveTargets(domain.WithActor(ctx, domain.SystemActor), 0, func(prof int64, ts []Target, p PersonaInfo) error {
			batch = append(batch, regenItem{prof, ts, p})
			if len(batch) >= simBatch {
				return send()
			}
			return nil
		})
		if streamErr == nil && len(batch) > 0 {
			streamErr = send()
		}
	}()
	go func() {
		defer wg.Done()
		defer close(outs)
		for b := range batches {
			o, err := sim.prepare(ctx, b)
			if err != nil {
				prepErr = err
				cancel()
				return
			}
			select {
			case outs <- o:
			case <-ctx.Done():
				return
			}
		}
	}()
	var writeErr error
	for o := range outs {
		if writeErr != nil {
			continue
		}
		if writeErr = sim.write(ctx, o, &rep); writeErr != nil {
			cancel()
			continue
		}
		if progress != nil {
			progress(rep.Professionals, max(total, rep.Professionals))
		}
	}
	wg.Wait()
	for _, e := range []error{writeErr, prepErr, streamErr} {
		if e != nil {
			err = e
			break
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if rep.Seconds > 0 {
		rep.PerSecond = float64(rep.Assessments) / rep.Seconds
	}
	return rep, err
}

// simBank is the published item bank of one framework version, indexed for the simulation.
type simBank struct {
	id    int64
	items []Item
	byID  map[int64]*Item
}

type simulator struct {
	s     *Service
	seed  uint64
	rule  LevelRule
	banks map[int64]*simBank
	// plans caches the questions and lines of a sitting by framework and targets: most
	// professionals share their persona's targets, and planning is the costly part.
	plans map[string]*simPlan
}

type simPlan struct {
	qs    []plannedQ
	lines []sittingLine
}

// plan returns the planned questions and required lines for targets on f.
func (sim *simulator) plan(f *Framework, b *simBank, targets []Target) *simPlan {
	key := make([]byte, 0, 8+len(targets)*8)
	key = strconv.AppendInt(key, f.ID, 10)
	for _, t := range targets {
		key = append(key, '|')
		key = strconv.AppendInt(key, t.LineID, 10)
		key = append(key, ':')
		key = strconv.AppendInt(key, int64(t.Level), 10)
	}
	if p, ok := sim.plans[string(key)]; ok {
		return p
	}
	p := &simPlan{qs: planQuestions(f, b.items, targets, sim.s.timing()), lines: sittingLines(f, targets)}
	if len(sim.plans) > 10000 { // overlays and overrides make many distinct targets: stay bounded
		clear(sim.plans)
	}
	sim.plans[string(key)] = p
	return p
}

func (sim *simulator) bank(ctx context.Context, frameworkID int64) (*simBank, error) {
	if b, ok := sim.banks[frameworkID]; ok {
		return b, nil
	}
	id, err := sim.s.bankFor(ctx, frameworkID)
	if err != nil {
		return nil, err
	}
	items, err := sim.s.loadItems(ctx, sim.s.DB.Read, id, 0)
	if err != nil {
		return nil, err
	}
	b := &simBank{id: id, items: items, byID: make(map[int64]*Item, len(items))}
	for i := range b.items {
		b.byID[b.items[i].ID] = &b.items[i]
	}
	sim.banks[frameworkID] = b
	return b, nil
}

// sitting is one simulated, finished assessment ready to be written.
type sitting struct {
	prof     int64
	persona  PersonaInfo
	f        *Framework
	bank     *simBank
	qs       []plannedQ
	states   []questionState
	correct  map[int]bool // knowledge answers by position
	lines    []sittingLine
	scores   []LineScore
	started  time.Time
	finished time.Time
}

// simulate plans and answers one professional's sitting. The professional has a general
// ability and, per ambito, a deviation from it; each line's true level is their sum plus
// noise. They rate an ambito at the mean of its lines, a line at its true level (one in five
// overrates by one), and answer a knowledge question right mostly when their true level
// reaches the question's.
func (sim *simulator) simulate(f *Framework, b *simBank, it regenItem, now time.Time) *sitting {
	plan := sim.plan(f, b, it.targets)
	qs, lines := plan.qs, plan.lines
	if len(qs) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(sim.seed, uint64(it.prof)))
	maxL := f.MaxLevel()
	clamp := func(v float64) int { return min(maxL, max(0, int(math.Round(v)))) }
	ability := 1.6 + rng.NormFloat64()*0.8
	areaDev := map[int64]float64{}
	truth := map[int64]int{}
	perArea := map[int64][]int{}
	for _, l := range lines {
		d, ok := areaDev[l.AreaID]
		if !ok {
			d = rng.NormFloat64() * 0.6
			areaDev[l.AreaID] = d
		}
		truth[l.LineID] = clamp(ability + d + rng.NormFloat64()*0.5)
		perArea[l.AreaID] = append(perArea[l.AreaID], truth[l.LineID])
	}
	st := &sitting{prof: it.prof, persona: it.persona, f: f, bank: b, qs: qs, lines: lines, correct: map[int]bool{}}
	st.states = make([]questionState, len(qs))
	for i, q := range qs {
		st.states[i] = questionState{pos: i + 1, target: q.target, kind: q.kind, line: q.line.ID}
		if q.area != nil {
			st.states[i].area = q.area.ID
		}
	}
	rev := 0
	answer := func(i, choice int) {
		rev++
		st.states[i].answered, st.states[i].choice, st.states[i].rev = true, choice, rev
	}
	// Ambito ratings first: they decide which line questions are skipped.
	for i, q := range qs {
		if q.kind != QArea {
			continue
		}
		sum := 0
		ls := perArea[q.line.ID]
		for _, v := range ls {
			sum += v
		}
		mean := ability + areaDev[q.line.ID]
		if len(ls) > 0 {
			mean = float64(sum) / float64(len(ls))
		}
		answer(i, clamp(mean+rng.NormFloat64()*0.3))
	}
	pg := computeProgress(st.states)
	for i, q := range qs {
		if q.kind != QSelf || pg.skipped[i+1] {
			continue
		}
		v := truth[q.line.ID]
		if rng.IntN(5) == 0 {
			v++
		}
		answer(i, min(v, maxL))
	}
	pg = computeProgress(st.states)
	for i, q := range qs {
		if q.kind != QKnowledge || pg.skipped[i+1] {
			continue
		}
		item := b.byID[q.itemID]
		if item == nil || len(item.Options) == 0 {
			continue
		}
		p := 0.25
		if truth[q.line.ID] >= q.level {
			p = 0.85
		}
		right := rng.Float64() < p
		choice := -1
		for k, o := range item.Options {
			if o.Correct == right {
				choice = k + 1
				break
			}
		}
		if choice < 0 { // an item with only right (or only wrong) options
			choice, right = 1, item.Options[0].Correct
		}
		answer(i, choice)
		st.correct[i+1] = right
	}
	pg = computeProgress(st.states)
	know := map[int64][]KnowledgeAnswer{}
	for i, q := range qs {
		if q.kind == QKnowledge && st.states[i].answered && !pg.skipped[i+1] {
			know[q.line.ID] = append(know[q.line.ID], KnowledgeAnswer{Level: q.level, Correct: st.correct[i+1]})
		}
	}
	st.scores = scoreLines(f, pg, know, lines, nil)
	// Sittings spread over the past year, each taking its expected time.
	st.started = now.Add(-time.Duration(1+rng.IntN(365*24*60)) * time.Minute).Truncate(time.Second)
	st.finished = st.started.Add(time.Duration(expectedSeconds(qs, sim.s.timing())) * time.Second)
	return st
}

// simOut is one batch of professionals, simulated and ready to be written.
type simOut struct {
	lo, hi  int64
	n       int
	skipped int64
	sits    []*sitting
}

// prepare simulates the sittings of one batch (reads only).
func (sim *simulator) prepare(ctx context.Context, batch []regenItem) (*simOut, error) {
	s := sim.s
	o := &simOut{lo: batch[0].prof, hi: batch[len(batch)-1].prof, n: len(batch)}
	// Professionals already assessed (an interrupted earlier run, or a real sitting) are left
	// alone, so the simulation can be run again to finish; so are those who have levels from
	// other evidence (a completed training), whose stored levels a simulated sitting would
	// overwrite.
	done := map[int64]bool{}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT DISTINCT professional_id FROM assessments WHERE professional_id BETWEEN $1 AND $2
		UNION SELECT professional_id FROM competence_levels WHERE professional_id BETWEEN $1 AND $2`, o.lo, o.hi)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, err
		}
		done[p] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	for _, it := range batch {
		if done[it.prof] || it.persona.FrameworkID == 0 {
			o.skipped++
			continue
		}
		f, err := s.framework(ctx, it.persona.FrameworkID)
		if err != nil {
			return nil, err
		}
		b, err := sim.bank(ctx, f.ID)
		if err != nil {
			return nil, err
		}
		if st := sim.simulate(f, b, it, now); st != nil {
			o.sits = append(o.sits, st)
		} else {
			o.skipped++
		}
	}
	return o, nil
}

// write stores one simulated batch in one transaction.
func (sim *simulator) write(ctx context.Context, o *simOut, rep *SimulationReport) error {
	s := sim.s
	rep.Professionals += int64(o.n)
	rep.Skipped += o.skipped
	sits, lo, hi := o.sits, o.lo, o.hi
	if len(sits) == 0 {
		return nil
	}
	now := s.now()
	var answers int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		pg := s.DB.IsPostgres()
		aID, err := db.ReserveIDs(ctx, tx, pg, "assessments")
		if err != nil {
			return err
		}
		// At most two evidence rows per sitting: self-rated and knowledge-moderated lines.
		eID, err := db.ReserveIDs(ctx, tx, pg, "competence_evidence")
		if err != nil {
			return err
		}
		var arows, qrows, anrows, erows, lrows [][]any
		for i, st := range sits {
			id := aID + int64(i)
			var pid any
			if st.persona.ID != 0 {
				pid = st.persona.ID
			}
			n := 0
			for _, q := range st.states {
				if q.answered {
					n++
				}
			}
			dur := expectedSeconds(st.qs, s.timing())
			arows = append(arows, []any{id, st.prof, st.f.ID, st.bank.id, pid, st.persona.Code, st.persona.Name, KindInitial, StateFinished,
				n, len(st.qs), len(st.qs), dur, st.started, st.finished, st.finished,
				packSittingLines(st.lines), packResults(st.scores)})
			for j, q := range st.qs {
				var item, area any
				if q.itemID != 0 {
					item = q.itemID
				}
				if q.area != nil {
					area = q.area.ID
				}
				qrows = append(qrows, []any{id, j + 1, q.line.ID, q.kind, item, area, q.target})
				qs := st.states[j]
				if !qs.answered {
					continue
				}
				var correct any
				if q.kind == QKnowledge {
					correct = st.correct[j+1]
				}
				at := st.started.Add(time.Duration(qs.rev*dur/max(1, n)) * time.Second)
				anrows = append(anrows, []any{id, j + 1, qs.choice, correct, qs.rev, 0, at})
				answers++
			}
			// The ledger: one observation per source, then the stored levels from it.
			pointer := "assessment:" + strconv.FormatInt(id, 10)
			bySource := map[string][]lineLevel{}
			var order []string
			for _, sc := range st.scores {
				src := sc.evidenceSource()
				if _, ok := bySource[src]; !ok {
					order = append(order, src)
				}
				bySource[src] = append(bySource[src], lineLevel{Code: sc.LineCode, Level: sc.Level})
			}
			evID := map[string]int64{}
			for k, src := range order {
				evID[src] = eID + int64(2*i+k)
				erows = append(erows, []any{evID[src], st.prof, src, st.finished, now, pointer, "system", "", packLineLevels(bySource[src])})
			}
			levels := make([]storedLevel, 0, len(st.scores))
			for _, sc := range st.scores {
				src := sc.evidenceSource()
				lv, used := ComputeLevel(sim.rule, []Evidence{{ID: evID[src], ProfessionalID: st.prof, LineCode: sc.LineCode, Level: sc.Level, Source: src, ObservedAt: st.finished}})
				levels = append(levels, storedLevel{Code: sc.LineCode, Level: lv, Evidence: used})
			}
			lrows = append(lrows, []any{st.prof, sim.rule.Rule, now, packStoredLevels(levels)})
		}
		writes := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"assessments", []string{"id", "professional_id", "framework_id", "bank_id", "persona_id", "persona_code", "persona_name", "kind", "state",
				"revision", "position", "questions", "expected_seconds", "started_at", "updated_at", "finished_at", "lines", "results"}, arows},
			{"assessment_questions", []string{"assessment_id", "position", "line_id", "kind", "item_id", "area_id", "target_level"}, qrows},
			{"assessment_answers", []string{"assessment_id", "position", "choice", "correct", "revision", "changes", "answered_at"}, anrows},
			{"competence_evidence", []string{"id", "professional_id", "source", "observed_at", "recorded_at", "pointer", "recorded_by", "note", "lines"}, erows},
			{"competence_levels", []string{"professional_id", "rule", "computed_at", "levels"}, lrows},
		}
		for _, w := range writes {
			if err := insertRows(ctx, tx, pg, w.table, w.cols, w.rows); err != nil {
				return fmt.Errorf("%s: %w", w.table, err)
			}
		}
		for _, t := range []string{"assessments", "competence_evidence"} {
			if err := db.AdvanceIDs(ctx, tx, pg, t); err != nil {
				return err
			}
		}
		// One trail entry per batch: bulk work is recorded in bulk, and answers are private.
		return audit.Record(ctx, tx, audit.Change{Action: "simulate", Entity: "assessments", EntityID: fmt.Sprintf("%d-%d", lo, hi),
			After: map[string]int64{"assessments": int64(len(sits)), "answers": answers}})
	})
	if err != nil {
		return err
	}
	rep.Assessments += int64(len(sits))
	rep.Answers += answers
	return nil
}
