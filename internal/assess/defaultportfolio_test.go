package assess

import (
	"context"
	"sort"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/persona"
	"esd/internal/portfolio"
)

// The default bank on the real illustrative portfolio: every line has a self-rating statement
// per level, in the first person; every line of the FSE and telemedicine ambiti has at least
// two knowledge questions.
func TestDefaultBankOnTheDefaultPortfolio(t *testing.T) {
	x := dbtest.Open(t, db.SQLite)
	ctx := domain.WithActor(context.Background(), domain.SystemActor)
	p := &portfolio.Service{DB: x}
	if _, err := p.EnsureDefault(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(x, nil, nil)
	if err := s.EnsureDefaultBanks(ctx); err != nil {
		t.Fatal(err)
	}
	banks, err := s.ListBanks(ctx)
	if err != nil || len(banks) != 1 {
		t.Fatalf("banks %+v %v", banks, err)
	}
	f, err := s.framework(ctx, banks[0].FrameworkID)
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.Items(ctx, banks[0].ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	self := map[string]int{}
	know := map[string]int{}
	fallback := 0
	for _, it := range items {
		if it.Kind == ItemSelf {
			self[it.LineCode]++
			if strings.HasPrefix(it.TextIT, "Mi riconosco") {
				fallback++
				t.Errorf("not in the first person: %s: %s", it.Code, it.TextIT)
			}
			for _, bad := range []string{" proprio ", " propria ", "Conosce ", " sa ", " forma altri", ": orienta", "Ha una"} {
				if strings.Contains(it.TextIT, bad) {
					t.Errorf("third person left in %s: %q", it.Code, it.TextIT)
				}
			}
		} else {
			know[it.LineCode]++
		}
	}
	for _, l := range f.Lines {
		if self[l.Code] != f.MaxLevel() {
			t.Errorf("line %s: %d self statements", l.Code, self[l.Code])
		}
	}
	areas := KnowledgeAreas(f)
	var names []string
	for _, a := range areas {
		names = append(names, a.Code)
	}
	t.Logf("knowledge ambiti: %v", names)
	if len(areas) < 4 {
		t.Fatalf("FSE and telemedicine ambiti not found: %v", names)
	}
	nk := 0
	for _, l := range f.Lines {
		if a := l.Area(); a != nil && len(areaTopics(a)) > 0 {
			nk++
			if know[l.Code] < 2 {
				t.Errorf("line %s (%s) has %d knowledge questions", l.Code, l.TitleIT, know[l.Code])
			}
		}
	}
	texts := map[string]bool{}
	nki := 0
	for _, it := range items {
		if it.Kind == ItemKnowledge {
			texts[it.TextIT] = true
			nki++
		}
	}
	t.Logf("%d items: %d lines with knowledge questions, %d knowledge items, %d distinct questions", len(items), nk, nki, len(texts))
	for _, it := range items {
		if it.LineCode == "D2.A1.L05" || (it.LineCode == "D3.A2.L03" && it.Kind == ItemKnowledge) {
			t.Logf("%s %s L%d: %s", it.LineCode, it.Kind, it.Level, it.TextIT)
		}
	}
}

// Every default Digital Persona on the default portfolio: how many lines and questions its
// assessment has and how long it should take. The typical persona must finish in under 20
// minutes.
func TestDefaultPersonasDuration(t *testing.T) {
	x := dbtest.Open(t, db.SQLite)
	ctx := domain.WithActor(context.Background(), domain.SystemActor)
	if _, err := (&portfolio.Service{DB: x}).EnsureDefault(ctx); err != nil {
		t.Fatal(err)
	}
	ps := persona.New(x, nil, nil)
	if _, err := ps.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(x, nil, nil)
	if err := s.EnsureDefaultBanks(ctx); err != nil {
		t.Fatal(err)
	}
	cur, err := ps.CurrentFramework(ctx)
	if err != nil {
		t.Fatal(err)
	}
	list, err := ps.ListPersonas(ctx, cur.ID)
	if err != nil || len(list) < 10 {
		t.Fatalf("personas: %d %v", len(list), err)
	}
	bank, err := publishedBank(ctx, x.Read, cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.loadItems(ctx, x.Read, bank, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.framework(ctx, cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	var mins []float64
	for _, p := range list {
		full, err := ps.GetPersona(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ts []Target
		for _, tg := range full.Targets {
			if tg.Required && tg.Min >= 1 {
				ts = append(ts, Target{LineID: tg.LineID, Level: tg.Min, MaxLevel: tg.Max})
			}
		}
		qs := planQuestions(f, items, ts, DefaultTiming)
		secs := expectedSeconds(qs, DefaultTiming)
		n := map[string]int{}
		for _, q := range qs {
			n[q.kind]++
		}
		t.Logf("%-8s %-56s %3d required lines: %2d ambito ratings, %2d line ratings, %2d knowledge questions: %4.1f min at most",
			p.Code, p.NameIT, len(ts), n[QArea], n[QSelf], n[QKnowledge], float64(secs)/60)
		mins = append(mins, float64(secs)/60)
	}
	sort.Float64s(mins)
	if median := mins[len(mins)/2]; median >= 20 {
		t.Fatalf("the typical (median) persona takes %.1f minutes", median)
	}
}
