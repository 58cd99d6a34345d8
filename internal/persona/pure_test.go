package persona

import (
	"reflect"
	"testing"
)

func req(line int64, lo, hi int) Target {
	return Target{LineID: line, LineCode: "L" + itoa(int(line)), Required: true, Min: lo, Max: hi}
}

func notReq(line int64) Target { return Target{LineID: line, LineCode: "L" + itoa(int(line))} }

func TestEffectiveTargets(t *testing.T) {
	allow := func(tg Target) Target { tg.AllowLower = true; return tg }
	src := func(tg Target, s string) Target { tg.Source = s; return tg }
	for _, c := range []struct {
		name       string
		national   []Target
		allowLower bool
		region     []Target
		org        []Target
		want       []Target
	}{
		{"national only", []Target{req(1, 2, 2), notReq(2)}, false, nil, nil,
			[]Target{src(req(1, 2, 2), "national"), src(notReq(2), "national")}},
		{"region raises, org raises further", []Target{req(1, 2, 2)}, false, []Target{req(1, 3, 3)}, []Target{req(1, 3, 4)},
			[]Target{src(req(1, 3, 4), "organisation")}},
		{"overlays add lines", []Target{req(1, 2, 2), notReq(2)}, false, []Target{req(2, 1, 1)}, []Target{req(3, 2, 2)},
			[]Target{src(req(1, 2, 2), "national"), src(req(2, 1, 1), "region"), src(req(3, 2, 2), "organisation")}},
		{"a stale lower overlay is clamped to the national minimum", []Target{req(1, 3, 3)}, false, []Target{req(1, 2, 2)}, nil,
			[]Target{src(req(1, 3, 3), "region")}},
		{"an org cannot go under its region", []Target{req(1, 2, 2)}, false, []Target{req(1, 3, 4)}, []Target{req(1, 2, 2)},
			[]Target{src(req(1, 3, 3), "organisation")}},
		{"dropping a required line is ignored", []Target{req(1, 2, 3)}, false, nil, []Target{notReq(1)},
			[]Target{src(req(1, 2, 3), "national")}},
		{"line-level allow_lower lets the overlay lower", []Target{allow(req(1, 3, 3)), req(2, 3, 3)}, false, []Target{req(1, 1, 1), req(2, 1, 1)}, nil,
			[]Target{src(req(1, 1, 1), "region"), src(req(2, 3, 3), "region")}},
		{"persona-level allow_lower lets the org drop a line", []Target{req(1, 3, 3)}, true, nil, []Target{notReq(1)},
			[]Target{src(notReq(1), "organisation")}},
		{"no persona targets", nil, false, nil, nil, []Target{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Effective(c.national, c.allowLower, c.region, c.org)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
	// Pure: the inputs are not modified.
	in := []Target{allow(req(1, 2, 2))}
	Effective(in, false, []Target{req(1, 1, 1)}, nil)
	if !in[0].AllowLower || in[0].Source != "" {
		t.Fatal("Effective modified its input")
	}
}

func TestRuleOrderAndExplanation(t *testing.T) {
	rules := []Rule{
		{ID: 1, PersonaCode: "BASE", Priority: -100},
		{ID: 2, PersonaCode: "INF", ProfessionCode: 14},
		{ID: 3, PersonaCode: "IFEC", ProfessionCode: 14, CareSetting: "Territorio"},
		{ID: 4, PersonaCode: "COT", JobRole: "operatore COT", Priority: 20},
		{ID: 5, PersonaCode: "MMG", ProfessionCode: 1, DisciplineCode: 58},
		{ID: 6, PersonaCode: "SPEC", ProfessionCode: 1, CareSetting: "territorio"},
		{ID: 7, PersonaCode: "INF2", ProfessionCode: 14},
	}
	SortRules(rules)
	var order []int64
	for _, r := range rules {
		order = append(order, r.ID)
	}
	// priority 20 first; then discipline (3) over profession+setting (2) over profession (1); ties by id; catch-all last.
	if want := []int64{4, 5, 3, 6, 2, 7, 1}; !reflect.DeepEqual(order, want) {
		t.Fatalf("order %v want %v", order, want)
	}
	code := func(a Attributes) string {
		if i := Evaluate(rules, a); i >= 0 {
			return rules[i].PersonaCode
		}
		return ""
	}
	for _, c := range []struct {
		a    Attributes
		want string
	}{
		{Attributes{Pairs: []Pair{{14, 85}}, CareSetting: "TERRITÒRIO"}, "IFEC"},
		{Attributes{Pairs: []Pair{{14, 85}}, CareSetting: "ospedale"}, "INF"},
		{Attributes{Pairs: []Pair{{14, 85}}, JobRole: "Infermiere, Operatore  COT (notte)"}, "COT"},
		{Attributes{Pairs: []Pair{{14, 85}}, JobRole: "cooperatore cotone"}, "INF"},
		{Attributes{Pairs: []Pair{{1, 15}, {1, 58}}, CareSetting: "territorio"}, "MMG"},
		{Attributes{Pairs: []Pair{{1, 15}}, CareSetting: "territorio"}, "SPEC"},
		{Attributes{}, "BASE"},
	} {
		if got := code(c.a); got != c.want {
			t.Errorf("%+v: got %s want %s", c.a, got, c.want)
		}
	}
	checks := Explain(rules, Attributes{Pairs: []Pair{{1, 15}}, CareSetting: "territorio"})
	if len(checks) != len(rules) {
		t.Fatal("every rule must be explained")
	}
	byID := map[int64]RuleCheck{}
	winners := 0
	for _, c := range checks {
		byID[c.Rule.ID] = c
		if c.Winner {
			winners++
		}
	}
	if winners != 1 || !byID[6].Winner || !byID[1].Matched || byID[1].Winner {
		t.Fatalf("winner: %+v", checks)
	}
	if !reflect.DeepEqual(byID[5].Failed, []string{CritDiscipline}) || !reflect.DeepEqual(byID[4].Failed, []string{CritRole}) ||
		!reflect.DeepEqual(byID[3].Failed, []string{CritProfession}) {
		t.Fatalf("failed criteria: 5 %v 4 %v 3 %v", byID[5].Failed, byID[4].Failed, byID[3].Failed)
	}
}

func TestThemeClassification(t *testing.T) {
	for _, c := range []struct{ it, en, want string }{
		{"Televisita e teleconsulto", "", ThemeTelemedicine},
		{"Uso dell'IA generativa", "", ThemeAI},
		{"Comunicazione ai pazienti", "Communication to patients", ThemeCommunication}, // "ai" is an Italian preposition
		{"Protezione dei dati personali", "", ThemeSecurity},
		{"Qualità dei dati clinici", "", ThemeData},
		{"Ricetta elettronica", "", ThemePrescription},
		{"Alimentare il Fascicolo", "", ThemeFSE},
		{"Alfabetizzazione sanitaria digitale dei cittadini", "", ThemeLiteracy},
		{"Qualcosa di diverso", "Something else", ""},
	} {
		if got := themeOfText(c.it, c.en); got != c.want {
			t.Errorf("%q: got %q want %q", c.it, got, c.want)
		}
	}
	f := Framework{Levels: []Level{{Level: 1}, {Level: 2}, {Level: 3}}}
	if a, b, c := scaleLevel(f, 1), scaleLevel(f, 2), scaleLevel(f, 4); a != 1 || b != 2 || c != 3 {
		t.Fatalf("scale mapping on 3 levels: %d %d %d", a, b, c)
	}
}
