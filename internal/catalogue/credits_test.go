package catalogue

import (
	"strings"
	"testing"
)

// Every type and sub-type, the caps, whole hours, the extras and the thematic bonus.
func TestComputeCredits(t *testing.T) {
	rs := CurrentRuleSet()
	cases := []struct {
		name string
		in   CreditInput
		want float64
		cap  bool
	}{
		{"corso ≤100: 1.0/h", CreditInput{Type: TypeRES, SubType: 1, Hours: 8, Participants: 80}, 8, false},
		{"corso whole hours: 7.9 → 7", CreditInput{Type: TypeRES, SubType: 1, Hours: 7.9, Participants: 80}, 7, false},
		{"corso 101-200: 0.7/h", CreditInput{Type: TypeRES, SubType: 1, Hours: 10, Participants: 150}, 7, false},
		{"corso ≤25 participants: +0.3/h", CreditInput{Type: TypeRES, SubType: 1, Hours: 10, Participants: 20}, 13, false},
		{"corso ≤25 and interactive: +0.6/h", CreditInput{Type: TypeRES, SubType: 1, Hours: 10, Participants: 20, InteractiveHours: 3}, 16, false},
		{"corso 26-50 interactive: +0.3/h", CreditInput{Type: TypeRES, SubType: 1, Hours: 10, Participants: 40, InteractiveHours: 2}, 13, false},
		{"corso interactive under 1 hour does not count", CreditInput{Type: TypeRES, SubType: 1, Hours: 10, Participants: 40, InteractiveHours: 0.5}, 10, false},
		{"corso thematic: +0.3/h", CreditInput{Type: TypeRES, SubType: 1, Hours: 10, Participants: 80, Thematic: true}, 13, false},
		{"corso all extras", CreditInput{Type: TypeRES, SubType: 1, Hours: 6, Participants: 20, InteractiveHours: 2, Thematic: true}, 11.4, false},
		{"corso cap 50", CreditInput{Type: TypeRES, SubType: 1, Hours: 40, Participants: 20, InteractiveHours: 10, Thematic: true}, 50, true},
		{"convegno 0.3/h", CreditInput{Type: TypeRES, SubType: 3, Hours: 8, Participants: 400}, 2.4, false},
		{"convegno cap 6", CreditInput{Type: TypeRES, SubType: 3, Hours: 24, Participants: 400}, 6, true},
		{"convegno no thematic bonus", CreditInput{Type: TypeRES, SubType: 3, Hours: 8, Participants: 400, Thematic: true}, 2.4, false},
		{"workshop 0.7/h", CreditInput{Type: TypeRES, SubType: 4, Hours: 4, Participants: 60}, 2.8, false},
		{"workshop ≤25 interactive", CreditInput{Type: TypeRES, SubType: 4, Hours: 4, Participants: 25, InteractiveHours: 1}, 5.2, false},
		{"workshop no thematic bonus", CreditInput{Type: TypeRES, SubType: 4, Hours: 4, Participants: 60, Thematic: true}, 2.8, false},
		{"FAD without tutor, online 1.0/h", CreditInput{Type: TypeFAD, SubType: 10, FADMode: FADOnline, Hours: 12}, 12, false},
		{"FAD with tutor online 1.5/h", CreditInput{Type: TypeFAD, SubType: 11, FADMode: FADOnline, Hours: 12}, 18, false},
		{"FAD with tutor, individual without online activity stays 1.0/h", CreditInput{Type: TypeFAD, SubType: 11, FADMode: FADIndividual, Hours: 12}, 12, false},
		{"FAD social context with tutor", CreditInput{Type: TypeFAD, SubType: 11, FADMode: FADSocial, Hours: 4}, 6, false},
		{"FAD webinar 1.5/h", CreditInput{Type: TypeFAD, SubType: 10, FADMode: FADWebinar, Hours: 3.5}, 4.5, false},
		{"FAD thematic", CreditInput{Type: TypeFAD, SubType: 10, FADMode: FADOnline, Hours: 10, Thematic: true}, 13, false},
		{"FAD cap 50", CreditInput{Type: TypeFAD, SubType: 11, FADMode: FADOnline, Hours: 40}, 50, true},
		{"FSC training 1.5/h", CreditInput{Type: TypeFSC, SubType: 6, Hours: 10}, 15, false},
		{"FSC training thematic", CreditInput{Type: TypeFSC, SubType: 6, Hours: 10, Thematic: true}, 18, false},
		{"FSC training cap", CreditInput{Type: TypeFSC, SubType: 6, Hours: 40}, 50, true},
		{"FSC gruppi 1.0/h", CreditInput{Type: TypeFSC, SubType: 7, Hours: 20}, 20, false},
		{"FSC gruppi document + validation", CreditInput{Type: TypeFSC, SubType: 7, Hours: 20, FinalDocument: true, ExternalValidation: true}, 32, false},
		{"FSC gruppi permanent committee: no extras", CreditInput{Type: TypeFSC, SubType: 7, Hours: 20, FinalDocument: true, ExternalValidation: true, PermanentCommittee: true}, 20, false},
		{"FSC audit like gruppi", CreditInput{Type: TypeFSC, SubType: 9, Hours: 10, FinalDocument: true}, 13, false},
		{"FSC ricerca 6 months", CreditInput{Type: TypeFSC, SubType: 8, ResearchMonths: 5, Hours: 100}, 5, false},
		{"FSC ricerca 12 months", CreditInput{Type: TypeFSC, SubType: 8, ResearchMonths: 12, Hours: 100}, 10, false},
		{"FSC ricerca 24 months", CreditInput{Type: TypeFSC, SubType: 8, ResearchMonths: 18, Hours: 100}, 20, false},
		{"blended RES corso + FAD", CreditInput{Type: TypeBlended, Participants: 80, Modules: []Module{
			{Type: TypeRES, SubType: 1, Hours: 8}, {Type: TypeFAD, SubType: 11, FADMode: FADOnline, Hours: 6}}}, 17, false},
		{"blended capped at 50", CreditInput{Type: TypeBlended, Participants: 20, Modules: []Module{
			{Type: TypeRES, SubType: 1, Hours: 30}, {Type: TypeFSC, SubType: 6, Hours: 20}}}, 50, true},
		{"unknown sub-type gives 0", CreditInput{Type: TypeRES, SubType: 6, Hours: 8}, 0, false},
	}
	for _, c := range cases {
		got := Compute(rs, c.in)
		if got.Credits != c.want || got.Capped != c.cap {
			var steps []string
			for _, s := range got.Steps {
				steps = append(steps, s.Text)
			}
			t.Errorf("%s: got %v (capped %v), want %v (capped %v)\n  %s", c.name, got.Credits, got.Capped, c.want, c.cap, strings.Join(steps, "\n  "))
		}
		if len(got.Steps) == 0 || got.RuleSet != rs.Version {
			t.Errorf("%s: no explanation", c.name)
		}
		for _, s := range got.Steps {
			if s.Text == "" || s.TextEN == "" || strings.Contains(s.Text, "%!") || strings.Contains(s.TextEN, "%!") {
				t.Errorf("%s: bad step text %q / %q", c.name, s.Text, s.TextEN)
			}
		}
	}
}

func TestComputeExplainsEachStep(t *testing.T) {
	c := Compute(CurrentRuleSet(), CreditInput{Type: TypeRES, SubType: 1, Hours: 6.5, Participants: 20, InteractiveHours: 2, Thematic: true})
	var keys []string
	for _, s := range c.Steps {
		keys = append(keys, s.Key)
	}
	want := "hours tier small_group interactive thematic total"
	if strings.Join(keys, " ") != want {
		t.Fatalf("steps %v, want %s", keys, want)
	}
	if c.Steps[0].Text != "Durata 6,5 ore → 6 ore intere (le ore non sono frazionabili)" {
		t.Fatalf("first step: %q", c.Steps[0].Text)
	}
	if c.Credits != 11.4 || c.Steps[len(c.Steps)-1].Credits != 11.4 {
		t.Fatalf("credits %v", c.Credits)
	}
}

func TestEveryRuleHasASubType(t *testing.T) {
	rs := CurrentRuleSet()
	for _, st := range SubTypes {
		if _, ok := rs.Rule(st.Type, st.Code); !ok {
			t.Errorf("no rule for %s %d", st.Type, st.Code)
		}
	}
	if rs.MaxCredits != 50 || rs.ThematicRate != 0.3 {
		t.Fatalf("rule set %+v", rs)
	}
	if CreditsDisagree(10, 10.04) || !CreditsDisagree(10, 10.5) {
		t.Fatal("CreditsDisagree")
	}
}
