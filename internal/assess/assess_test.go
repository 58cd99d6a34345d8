package assess

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"esd/internal/domain"
)

func TestDefaultBankCoversEveryLine(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		banks, err := fx.s.ListBanks(fx.sys)
		if err != nil || len(banks) != 1 || banks[0].State != BankPublished {
			t.Fatalf("banks: %+v %v", banks, err)
		}
		items, err := fx.s.Items(fx.sys, banks[0].ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		self := map[string]map[int]string{}
		know := map[string]int{}
		for _, it := range items {
			if it.Kind == ItemSelf {
				if self[it.LineCode] == nil {
					self[it.LineCode] = map[int]string{}
				}
				self[it.LineCode][it.Level] = it.TextIT
				if it.TextEN == "" {
					t.Errorf("self statement %s has no English", it.Code)
				}
			} else {
				know[it.LineCode]++
				if it.CorrectOption() == 0 || len(it.Options) < 3 {
					t.Errorf("knowledge item %s: %d options, correct %d", it.Code, len(it.Options), it.CorrectOption())
				}
			}
		}
		for code := range fx.lines {
			if len(self[code]) != 4 {
				t.Errorf("line %s has %d self statements", code, len(self[code]))
			}
		}
		for _, code := range []string{"L1", "L2", "L3", "L4", "L5", "L6"} {
			if know[code] < 2 {
				t.Errorf("FSE/telemedicine line %s has %d knowledge items, want at least 2", code, know[code])
			}
		}
		for _, code := range []string{"L7", "L8"} {
			if know[code] != 0 {
				t.Errorf("cybersecurity line %s got %d knowledge items", code, know[code])
			}
		}
		want := map[int]string{1: "Conosco le funzioni di base del FSE.", 2: "Consulto il FSE dei miei assistiti in autonomia.",
			3: "Gestisco consenso e oscuramento con il paziente.", 4: "Guido i colleghi nell'uso del FSE."}
		for lv, s := range want {
			if self["L1"][lv] != s {
				t.Errorf("L1 level %d: %q, want %q", lv, self["L1"][lv], s)
			}
		}
		if got := self["L2"][1]; got != "So usare il sistema per inviare un referto." {
			t.Errorf("L2 level 1: %q", got)
		}
		if got := self["L7"][2]; !strings.Contains(got, "«Protezione delle credenziali»") || !strings.Contains(got, "autonomia") {
			t.Errorf("L7 level 2 fallback: %q", got)
		}
		// The telemonitoring line got the telemonitoring questions.
		var tm []string
		for _, it := range items {
			if it.LineCode == "L5" && it.Kind == ItemKnowledge {
				tm = append(tm, it.TextIT)
			}
		}
		if !strings.Contains(strings.Join(tm, " "), "telemonitoraggio") {
			t.Errorf("L5 knowledge items do not cover telemonitoring: %v", tm)
		}
		// Idempotent start-up step.
		if err := fx.s.EnsureDefaultBanks(fx.sys); err != nil {
			t.Fatal(err)
		}
		if banks, _ := fx.s.ListBanks(fx.sys); len(banks) != 1 {
			t.Fatalf("second start created another bank: %d", len(banks))
		}
	})
}

func TestTakePauseResumeFinish(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		prof := fx.professional(false)
		fx.target(prof)
		me := fx.as(domain.RoleProfessional, prof)
		pv, err := fx.s.Preview(me, prof)
		if err != nil {
			t.Fatal(err)
		}
		if pv.Lines != 8 || pv.Knowledge == 0 || pv.ExpectedSeconds != pv.SelfQuestions*15+pv.Knowledge*45 {
			t.Fatalf("preview %+v", pv)
		}
		a, err := fx.s.Start(me, prof)
		if err != nil {
			t.Fatal(err)
		}
		again, err := fx.s.Start(me, prof)
		if err != nil || again.ID != a.ID {
			t.Fatalf("second start should resume %d, got %d %v", a.ID, again.ID, err)
		}
		_, qs, err := fx.s.Questions(me, a.ID, "it")
		if err != nil {
			t.Fatal(err)
		}
		right := fx.rightAnswers()
		if len(qs) != a.Questions || qs[0].Kind != ItemSelf || len(qs[0].Choices) != 5 {
			t.Fatalf("questions: %d vs %d, first %+v", len(qs), a.Questions, qs[0])
		}
		// Answer half, pause, resume where we stopped.
		half := len(qs) / 2
		for _, q := range qs[:half] {
			if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: q.Position, Choice: answerFor(q, 2, right)}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := fx.s.Pause(me, a.ID, qs[half].Position)
		if err != nil || p.PausedAt == nil {
			t.Fatalf("pause: %+v %v", p, err)
		}
		if pos := fx.s.ResumePosition(fx.sys, p); pos != qs[half].Position {
			t.Fatalf("resume at %d, want %d", pos, qs[half].Position)
		}
		if _, err := fx.s.Finish(me, a.ID); code(err) != domain.EINVALID || !strings.Contains(err.Error(), "unanswered") {
			t.Fatalf("finish with unanswered questions: %v", err)
		}
		for _, q := range qs[half:] {
			if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: q.Position, Choice: answerFor(q, 2, right)}); err != nil {
				t.Fatal(err)
			}
		}
		done, err := fx.s.Finish(me, a.ID)
		if err != nil || done.State != StateFinished {
			t.Fatalf("finish: %+v %v", done, err)
		}
		res, err := fx.s.Result(me, a.ID, "it")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Lines) != 8 || len(res.Areas) != 3 || len(res.Dimensions) != 2 {
			t.Fatalf("result: %d lines %d areas %d dims", len(res.Lines), len(res.Areas), len(res.Dimensions))
		}
		for _, l := range res.Lines {
			if l.Level != 2 || !strings.HasPrefix(l.Explanation, "Livello 2 – Intermedio perché") {
				t.Errorf("line %s: level %d, %q", l.LineCode, l.Level, l.Explanation)
			}
		}
		// Evidence and current levels: one row per line.
		ev, cur, err := fx.s.Ledger(me, prof)
		if err != nil || len(ev) != 8 || len(cur) != 8 {
			t.Fatalf("ledger: %d evidence, %d levels, %v", len(ev), len(cur), err)
		}
		// The lines of the assessment share their observation's row; each level names its own.
		for _, c := range cur {
			if len(c.Evidence) != 1 || c.Evidence[0].LineCode != c.LineCode || c.Evidence[0].ID == 0 || c.Evidence[0].Level != c.Level ||
				c.Evidence[0].LineID != fx.lines[c.LineCode] || c.Evidence[0].Pointer != fmt.Sprintf("assessment:%d", a.ID) {
				t.Fatalf("level of %s: %+v", c.LineCode, c)
			}
		}
		// Gaps: L1 (target 3) is the only gap, of 1.
		g, err := fx.s.Gaps(me, prof, "it")
		if err != nil {
			t.Fatal(err)
		}
		if g.TotalGap != 1 || g.Lines[0].LineCode != "L1" || g.Lines[0].Gap != 1 || g.Areas[0].Code != "A1" {
			t.Fatalf("gaps: total %d first %+v areas %+v", g.TotalGap, g.Lines[0], g.Areas)
		}
		// Draft objectives were generated, mapped to ECM objective 17.
		ov, err := fx.s.Objectives(me, prof, "it")
		if err != nil || len(ov.Individual) != 1 || ov.Individual[0].ECMObjective != "17" || ov.Individual[0].State != ObjDraft || ov.Individual[0].TargetLevel != 3 {
			t.Fatalf("objectives: %+v %v", ov.Individual, err)
		}
	})
}

// answerFor returns the choice of q that gives a line level want: the level for a self-rating,
// the right option for knowledge questions.
func answerFor(q Question, want int, right map[int64]int) int {
	if q.Kind == ItemSelf {
		return want
	}
	return right[q.ItemID]
}

// rightAnswers maps every item of the published bank to its right option.
func (fx *fixture) rightAnswers() map[int64]int {
	fx.t.Helper()
	banks, err := fx.s.ListBanks(fx.sys)
	if err != nil {
		fx.t.Fatal(err)
	}
	m := map[int64]int{}
	for _, b := range banks {
		items, err := fx.s.Items(fx.sys, b.ID, 0)
		if err != nil {
			fx.t.Fatal(err)
		}
		for _, it := range items {
			m[it.ID] = it.CorrectOption()
		}
	}
	return m
}

func TestAnswerBadInputAndConcurrency(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		prof := fx.professional(false)
		other := fx.professional(false)
		fx.target(prof)
		fx.target(other)
		me := fx.as(domain.RoleProfessional, prof)
		a, err := fx.s.Start(me, prof)
		if err != nil {
			t.Fatal(err)
		}
		_, qs, _ := fx.s.Questions(me, a.ID, "it")
		// A question that is not in the assessment.
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 999, Choice: 1}); code(err) != domain.EINVALID || !strings.Contains(err.Error(), "not part of this assessment") {
			t.Fatalf("unknown question: %v", err)
		}
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{ItemID: 987654, Choice: 1}); code(err) != domain.EINVALID {
			t.Fatalf("unknown item: %v", err)
		}
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 1, Choice: 9}); code(err) != domain.EINVALID {
			t.Fatalf("choice out of range: %v", err)
		}
		// Someone else's assessment does not exist for them.
		if _, err := fx.s.Answer(fx.as(domain.RoleProfessional, other), a.ID, AnswerInput{Question: 1, Choice: 1}); code(err) != domain.ENOTFOUND {
			t.Fatalf("other professional: %v", err)
		}
		// Same answer twice: stored once, revision unchanged.
		r1, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 1, Choice: 2, Revision: 0})
		if err != nil {
			t.Fatal(err)
		}
		r2, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 1, Choice: 2, Revision: 0})
		if err != nil || !r2.Duplicate || r2.Assessment.Revision != r1.Assessment.Revision {
			t.Fatalf("duplicate: %+v %v", r2, err)
		}
		var n int
		fx.db.Read.QueryRow(`SELECT COUNT(*) FROM assessment_answers WHERE assessment_id = $1`, a.ID).Scan(&n)
		if n != 1 {
			t.Fatalf("stored %d answers", n)
		}
		// Two tabs: both opened at revision r1; tab 2 changes question 1, tab 1's stale change is refused.
		rev := r1.Assessment.Revision
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 1, Choice: 3, Revision: rev}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 1, Choice: 1, Revision: rev}); code(err) != domain.ECONFLICT || !strings.Contains(err.Error(), "another tab") {
			t.Fatalf("stale answer: %v", err)
		}
		// …while a stale tab answering a different question is fine.
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 2, Choice: 1, Revision: rev}); err != nil {
			t.Fatalf("stale tab, other question: %v", err)
		}
		var choice int
		fx.db.Read.QueryRow(`SELECT choice FROM assessment_answers WHERE assessment_id = $1 AND position = 1`, a.ID).Scan(&choice)
		if choice != 3 {
			t.Fatalf("stored answer %d, want 3", choice)
		}
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 2, Choice: 4, Revision: 10000}); code(err) != domain.EINVALID {
			t.Fatalf("future revision: %v", err)
		}
		for _, q := range qs {
			if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: q.Position, Choice: 1 + q.Position%2}); err != nil {
				t.Fatal(err)
			}
		}
		// Finish from two tabs at once: exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = fx.s.Finish(me, a.ID)
			}(i)
		}
		wg.Wait()
		ok, conflict := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case code(err) == domain.ECONFLICT && strings.Contains(err.Error(), "already finished"):
				conflict++
			default:
				t.Errorf("finish: %v", err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Fatalf("finish twice: %d ok, %d conflicts", ok, conflict)
		}
		// One ledger row per source of the assessment's lines (self-assessed, knowledge-tested),
		// holding the 8 lines once.
		fx.db.Read.QueryRow(`SELECT COUNT(*) FROM competence_evidence WHERE professional_id = $1`, prof).Scan(&n)
		if ev, err := loadEvidence(context.Background(), fx.db.Read, prof, ""); err != nil || len(ev) != 8 || n < 1 || n > 2 {
			t.Fatalf("evidence after two finishes: %d rows, %d lines, %v", n, len(ev), err)
		}
		// After finishing, a replayed answer is accepted (same value), a changed one refused.
		if r, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 1, Choice: 1 + 1%2}); err != nil || !r.Duplicate {
			t.Fatalf("replay after finish: %+v %v", r, err)
		}
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 1, Choice: 4}); code(err) != domain.ECONFLICT || !strings.Contains(err.Error(), "finished") {
			t.Fatalf("change after finish: %v", err)
		}
	})
}

func TestKnowledgeModeratesSelfRating(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		prof := fx.professional(false)
		fx.target(prof)
		me := fx.as(domain.RoleProfessional, prof)
		a, err := fx.s.Start(me, prof)
		if err != nil {
			t.Fatal(err)
		}
		_, qs, _ := fx.s.Questions(me, a.ID, "it")
		bank, _ := fx.s.ListBanks(fx.sys)
		items, _ := fx.s.Items(fx.sys, bank[0].ID, 0)
		right := map[int64]int{}
		lvl := map[int64]int{}
		for _, it := range items {
			right[it.ID], lvl[it.ID] = it.CorrectOption(), it.Level
		}
		// L1: claim 4, get every knowledge question wrong → capped below the lowest wrong level.
		// L4: claim 0 → its knowledge questions are skipped.
		// Others: claim 3, everything right.
		minWrong := 0
		for _, q := range qs {
			var c int
			switch {
			case q.Kind == ItemSelf && q.LineCode == "L1":
				c = 4
			case q.Kind == ItemSelf && q.LineCode == "L4":
				c = 0
			case q.Kind == ItemSelf:
				c = 3
			case q.LineCode == "L1":
				c = right[q.ItemID]%len(q.Choices) + 1 // wrong
				if minWrong == 0 || lvl[q.ItemID] < minWrong {
					minWrong = lvl[q.ItemID]
				}
			case q.LineCode == "L4":
				continue
			default:
				c = right[q.ItemID]
			}
			if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: q.Position, Choice: c}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := fx.s.Finish(me, a.ID); err != nil {
			t.Fatal(err)
		}
		res, err := fx.s.Result(me, a.ID, "it")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range res.Lines {
			switch l.LineCode {
			case "L1":
				if l.Level != minWrong-1 || !strings.Contains(l.Explanation, "hai sbagliato") {
					t.Errorf("L1: level %d (min wrong %d): %s", l.Level, minWrong, l.Explanation)
				}
			case "L4":
				if l.Level != 0 || l.Asked != 0 {
					t.Errorf("L4: %+v", l.LineScore)
				}
			case "L7", "L8":
				if l.Level != 3 || !strings.Contains(l.Explanation, "non ci sono domande") {
					t.Errorf("%s: %d %s", l.LineCode, l.Level, l.Explanation)
				}
			default:
				if l.Level != 3 || !strings.Contains(l.Explanation, "confermato") {
					t.Errorf("%s: %d %s", l.LineCode, l.Level, l.Explanation)
				}
			}
		}
	})
}

func TestScoreLineRule(t *testing.T) {
	cases := []struct {
		self    int
		answers []KnowledgeAnswer
		want    int
	}{
		{3, nil, 3},
		{3, []KnowledgeAnswer{{2, true}, {3, true}}, 3},
		{3, []KnowledgeAnswer{{2, false}}, 1},
		{3, []KnowledgeAnswer{{4, false}}, 3},
		{4, []KnowledgeAnswer{{3, false}, {1, false}}, 0},
		{1, []KnowledgeAnswer{{3, true}}, 1},
		{0, []KnowledgeAnswer{{1, true}}, 0},
	}
	for _, c := range cases {
		if got := ScoreLine(c.self, c.answers); got.Level != c.want {
			t.Errorf("ScoreLine(%d, %v) = %d, want %d", c.self, c.answers, got.Level, c.want)
		}
	}
}

func TestTypicalPersonaUnderTwentyMinutes(t *testing.T) {
	// A portfolio shaped like the national one: 6 dimensions, 16 ambiti, 140 lines; the FSE and
	// telemedicine ambiti (20 lines) with 3 knowledge questions each. A typical persona requires
	// 45 lines, 15 of them in those ambiti.
	f := &Framework{ID: 1, byID: map[int64]*Node{}, byCode: map[string]*Node{}}
	for lv := 1; lv <= 4; lv++ {
		f.Scale = append(f.Scale, ScaleLevel{Level: lv})
	}
	var items []Item
	id := int64(0)
	for i := 0; i < 140; i++ {
		id++
		l := &Node{ID: id, Kind: KindLine, Code: "L" + strconv.Itoa(i), Index: i}
		f.Lines = append(f.Lines, l)
		f.byID[l.ID] = l
		if i < 20 {
			for lv := 1; lv <= 3; lv++ {
				items = append(items, Item{ID: 10000 + id*10 + int64(lv), LineID: l.ID, Kind: ItemKnowledge, Level: lv, TextIT: fmt.Sprintf("q%d-%d", id, lv)})
			}
		}
	}
	var targets []Target
	for i := 5; i < 50; i++ {
		targets = append(targets, Target{LineID: f.Lines[i].ID, Level: 2 + i%2})
	}
	qs := planQuestions(f, items, targets, DefaultTiming)
	secs := expectedSeconds(qs, DefaultTiming)
	know := 0
	for _, q := range qs {
		if q.kind == ItemKnowledge {
			know++
		}
	}
	t.Logf("typical persona: 45 lines, %d knowledge questions, %d s (%.1f min)", know, secs, float64(secs)/60)
	if secs > DefaultTiming.BudgetSeconds || know < 8 {
		t.Fatalf("typical persona takes %d s with %d knowledge questions", secs, know)
	}
}

func TestRetiredFrameworkKeepsAnswers(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		prof := fx.professional(false)
		fx.target(prof)
		me := fx.as(domain.RoleProfessional, prof)
		a, err := fx.s.Start(me, prof)
		if err != nil {
			t.Fatal(err)
		}
		for pos := 1; pos <= 3; pos++ {
			if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: pos, Choice: 1}); err != nil {
				t.Fatal(err)
			}
		}
		// The portfolio moves on: version 1.1 is published, 1.0 retired.
		old := fx.fw
		newFw := fx.createFramework("TEST", "1.1", "published", old)
		if _, err := fx.db.Write.Exec(`UPDATE framework_versions SET state = 'retired', retired_at = $1 WHERE id = $2`, time.Now().UTC(), old); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: 4, Choice: 1}); code(err) != domain.ECONFLICT || !strings.Contains(err.Error(), "retired") || !strings.Contains(err.Error(), "3 answers are saved") {
			t.Fatalf("answer on retired version: %v", err)
		}
		if _, err := fx.s.Finish(me, a.ID); code(err) != domain.ECONFLICT {
			t.Fatalf("finish on retired version: %v", err)
		}
		// The persona still points at the retired version: a clear error.
		if _, err := fx.s.Start(me, prof); code(err) != domain.ECONFLICT || !strings.Contains(err.Error(), "retired") {
			t.Fatalf("start on retired persona version: %v", err)
		}
		// The persona moves to 1.1; the bank of 1.1 is a copy of 1.0's.
		if err := fx.s.EnsureDefaultBanks(fx.sys); err != nil {
			t.Fatal(err)
		}
		var ts []Target
		var newLines = map[string]int64{}
		rows, _ := fx.db.Read.Query(`SELECT code, id FROM framework_items WHERE framework_id = $1 AND kind = 'line'`, newFw)
		for rows.Next() {
			var c string
			var id int64
			rows.Scan(&c, &id)
			newLines[c] = id
		}
		rows.Close()
		for _, c := range []string{"L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"} {
			ts = append(ts, Target{LineID: newLines[c], Level: 2})
		}
		fx.targets.set(prof, PersonaInfo{ID: 7, Code: "MMG", FrameworkID: newFw}, ts)
		b, err := fx.s.Start(me, prof)
		if err != nil {
			t.Fatal(err)
		}
		if b.ID == a.ID || b.FrameworkID != newFw || b.Answered != 3 {
			t.Fatalf("new assessment %+v", b)
		}
		olda, err := fx.s.Get(me, a.ID)
		if err != nil || olda.State != StateSuperseded || olda.SupersededBy != b.ID || olda.Answered != 3 {
			t.Fatalf("old assessment %+v %v", olda, err)
		}
		var src string
		fx.db.Read.QueryRow(`SELECT source FROM assess_banks WHERE framework_id = $1`, newFw).Scan(&src)
		if src != "copy" {
			t.Fatalf("bank of the new version: %s", src)
		}
	})
}

func TestLedgerAppendOnlyRulesAndRecompute(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		ctx := context.Background()
		prof := fx.professional(false)
		fx.target(prof)
		org := fx.as(domain.RoleOrganisation, 0)
		day := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC) }
		rec := func(level int, src string, d int) Evidence {
			e, err := fx.s.RecordEvidence(org, EvidenceInput{ProfessionalID: prof, LineCode: "L7", Level: level, Source: src, ObservedAt: day(d), Pointer: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		fx.s.Now = func() time.Time { return day(28) }
		rec(3, SourceValidation, 1)
		rec(1, SourceImport, 5)
		rec(2, SourceTraining, 3)
		_, cur, err := fx.s.Ledger(fx.sys, prof)
		if err != nil || len(cur) != 1 || cur[0].Level != 1 || cur[0].Rule != RuleLatest {
			t.Fatalf("latest: %+v %v", cur, err)
		}
		if _, err := fx.db.Write.ExecContext(ctx, `UPDATE competence_evidence SET level = 4`); err == nil {
			t.Fatal("the ledger accepted an UPDATE")
		}
		if _, err := fx.db.Write.ExecContext(ctx, `DELETE FROM competence_evidence`); err == nil {
			t.Fatal("the ledger accepted a DELETE")
		}
		for _, c := range []struct {
			rule string
			want int
		}{{RuleHighest, 3}, {RuleWeighted, 2}, {RuleLatest, 1}} {
			if _, err := fx.s.SetRule(fx.sys, LevelRule{Rule: c.rule, Weights: map[string]float64{SourceValidation: 3, SourceImport: 1, SourceTraining: 2}}); err != nil {
				t.Fatal(err)
			}
			_, cur, _ := fx.s.Ledger(fx.sys, prof)
			if cur[0].Level != c.want || cur[0].Rule != c.rule {
				t.Errorf("rule %s: level %d, want %d", c.rule, cur[0].Level, c.want)
			}
			rep, err := fx.s.RecomputeLevels(fx.sys, false)
			if err != nil || rep.Changed != 0 || rep.Lines != 1 {
				t.Errorf("rule %s: recompute differs from storage: %+v %v", c.rule, rep, err)
			}
		}
		// Tampering with the stored level is found by the recomputation and corrected.
		var packed string
		fx.db.Read.QueryRow(`SELECT levels FROM competence_levels WHERE professional_id = $1`, prof).Scan(&packed)
		ls, err := unpackStoredLevels(packed)
		if err != nil || len(ls) != 1 {
			t.Fatalf("stored levels %q: %v", packed, err)
		}
		ls[0].Level = 4
		fx.db.Write.ExecContext(ctx, `UPDATE competence_levels SET levels = $1 WHERE professional_id = $2`, packStoredLevels(ls), prof)
		if rep, _ := fx.s.RecomputeLevels(fx.sys, false); rep.Changed != 1 {
			t.Fatalf("tampered level not found: %+v", rep)
		}
		if rep, _ := fx.s.RecomputeLevels(fx.sys, true); rep.Changed != 1 {
			t.Fatalf("correction: %+v", rep)
		}
		if rep, _ := fx.s.RecomputeLevels(fx.sys, false); rep.Changed != 0 {
			t.Fatalf("after correction: %+v", rep)
		}
		// Bad evidence.
		for _, in := range []EvidenceInput{
			{ProfessionalID: prof, LineCode: "L7", Level: 2, Source: SourceSelf},
			{ProfessionalID: prof, LineCode: "NOPE", Level: 2, Source: SourceValidation},
			{ProfessionalID: prof, LineCode: "L7", Level: 7, Source: SourceValidation},
			{ProfessionalID: prof, LineCode: "L7", Level: 2, Source: SourceValidation, ObservedAt: day(28).AddDate(1, 0, 0)},
		} {
			if _, err := fx.s.RecordEvidence(org, in); code(err) != domain.EINVALID {
				t.Errorf("bad evidence %+v: %v", in, err)
			}
		}
		// Out of scope and wrong role.
		b := fx.professional(true)
		if _, err := fx.s.RecordEvidence(org, EvidenceInput{ProfessionalID: b, LineCode: "L7", Level: 2, Source: SourceValidation}); code(err) != domain.ENOTFOUND {
			t.Errorf("org records evidence for side B: %v", err)
		}
		if _, err := fx.s.RecordEvidence(fx.as(domain.RoleProfessional, prof), EvidenceInput{ProfessionalID: prof, LineCode: "L7", Level: 4, Source: SourceValidation}); code(err) != domain.EFORBIDDEN {
			t.Errorf("professional validates self: %v", err)
		}
	})
}

func TestComputeLevelRules(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	ev := []Evidence{
		{ID: 1, Level: 1, Source: SourceSelf, ObservedAt: d(1)},
		{ID: 2, Level: 3, Source: SourceSelf, ObservedAt: d(2)},
		{ID: 3, Level: 4, Source: SourceValidation, ObservedAt: d(3)},
		{ID: 4, Level: 2, Source: SourceTraining, ObservedAt: d(3)},
	}
	w := DefaultRule.Weights
	if l, ids := ComputeLevel(LevelRule{Rule: RuleLatest}, ev); l != 2 || ids[0] != 4 {
		t.Errorf("latest: %d %v", l, ids)
	}
	if l, ids := ComputeLevel(LevelRule{Rule: RuleHighest}, ev); l != 4 || ids[0] != 3 {
		t.Errorf("highest: %d %v", l, ids)
	}
	// latest per source: self 3 (w1), validation 4 (w3), training 2 (w2) → (3+12+4)/6 = 3.17 → 3
	if l, ids := ComputeLevel(LevelRule{Rule: RuleWeighted, Weights: w}, ev); l != 3 || len(ids) != 3 || ids[0] != 2 {
		t.Errorf("weighted: %d %v", l, ids)
	}
	if l, ids := ComputeLevel(LevelRule{Rule: RuleLatest}, nil); l != 0 || ids != nil {
		t.Errorf("empty: %d %v", l, ids)
	}
}

// When the persona's lines do not fit the time budget, the assessment rates each ambito as a
// whole and only some lines one by one; a line question is skipped when its ambito's rating
// already reaches the line's target, and lines without a question take the ambito's rating.
func TestAmbitoRatingsWhenTooManyLines(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		fx.s.Timing = Timing{AreaSeconds: 20, SelfSeconds: 15, KnowledgeSeconds: 45, BudgetSeconds: 150, MaxKnowledge: 1}
		prof := fx.professional(false)
		fx.target(prof) // L1 at 3, the others at 2
		me := fx.as(domain.RoleProfessional, prof)
		pv, err := fx.s.Preview(me, prof)
		if err != nil || pv.Areas != 3 || pv.Lines != 8 || pv.SelfQuestions == 0 || pv.SelfQuestions >= 8 || pv.ExpectedSeconds > 150 {
			t.Fatalf("preview %+v %v", pv, err)
		}
		a, err := fx.s.Start(me, prof)
		if err != nil {
			t.Fatal(err)
		}
		_, qs, _ := fx.s.Questions(me, a.ID, "it")
		if qs[0].Kind != QArea || qs[0].LineCode != "A1" || !strings.Contains(qs[0].LineDesc, "Consultazione del FSE") || len(qs[0].Choices) != 5 {
			t.Fatalf("first question %+v", qs[0])
		}
		right := fx.rightAnswers()
		// FSE ambito rated 1 (below every target): its line questions are asked; telemedicine
		// rated 3 (above its targets of 2): its line questions are skipped; security rated 2.
		rating := map[string]int{"A1": 1, "A2": 3, "A3": 2}
		for _, q := range qs {
			if q.Kind == QArea {
				if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: q.Position, Choice: rating[q.LineCode]}); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, qs, _ = fx.s.Questions(me, a.ID, "it")
		for _, q := range qs {
			if q.Kind == QSelf && q.Area == "Telemedicina" && !q.Skipped {
				t.Errorf("line %s of an ambito rated above its target was not skipped", q.LineCode)
			}
			if q.Skipped || q.Answer != nil {
				continue
			}
			c := 2
			if q.Kind == QKnowledge {
				c = right[q.ItemID]
			}
			if _, err := fx.s.Answer(me, a.ID, AnswerInput{Question: q.Position, Choice: c}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := fx.s.Finish(me, a.ID); err != nil {
			t.Fatal(err)
		}
		res, err := fx.s.Result(me, a.ID, "it")
		if err != nil || len(res.Lines) != 8 {
			t.Fatalf("result: %d lines, %v", len(res.Lines), err)
		}
		asked := map[string]bool{}
		for _, q := range qs {
			if q.Kind == QSelf && !q.Skipped {
				asked[q.LineCode] = true
			}
		}
		for _, l := range res.Lines {
			switch {
			case asked[l.LineCode]:
				if l.FromArea || l.Self != 2 {
					t.Errorf("%s: asked line %+v", l.LineCode, l.LineScore)
				}
			case l.LineCode == "L4" || l.LineCode == "L5" || l.LineCode == "L6":
				if !l.FromArea || l.Self != 3 || !strings.Contains(l.Explanation, "per l'intero ambito «Telemedicina»") && !strings.Contains(l.Explanation, "per l'ambito «Telemedicina»") {
					t.Errorf("%s: %+v %s", l.LineCode, l.LineScore, l.Explanation)
				}
			default:
				if !l.FromArea || l.Self != rating[map[string]string{"L1": "A1", "L2": "A1", "L3": "A1", "L7": "A3", "L8": "A3"}[l.LineCode]] {
					t.Errorf("%s: %+v", l.LineCode, l.LineScore)
				}
			}
		}
	})
}
