package assess

import (
	"context"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
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
