package credits

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

var mid2027 = time.Date(2027, 7, 2, 12, 0, 0, 0, time.UTC)

func ent(id int64, tri int, kind string, credits float64, on string) Entry {
	return Entry{ID: id, Triennium: tri, Kind: kind, Credits: credits, EarnedOn: on, Status: StatusCertified, Title: kind + "-" + on, Role: "P"}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func whyText(ws []Why, lang string) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.Text(lang))
	}
	return strings.Join(s, " | ")
}

func TestEmbeddedRulesValid(t *testing.T) {
	r := DefaultRules()
	if len(r.Trienni) != 3 || r.Trienni[0].Obligation != 100 || r.Trienni[1].Obligation != 150 || r.Trienni[2].Obligation != 150 {
		t.Fatalf("trienni: %+v", r.Trienni)
	}
	for _, x := range r.Roles {
		if x.Source == "" {
			t.Errorf("role rule %s %v without source", x.Role, x.Types)
		}
	}
}

func TestRulesValidation(t *testing.T) {
	base := DefaultRules()
	cases := map[string]func(r *Rules){
		"no version":   func(r *Rules) { r.Version = "" },
		"gap":          func(r *Rules) { r.Trienni[1].Start, r.Trienni[1].End = 2024, 2026 },
		"obligation":   func(r *Rules) { r.Trienni[0].Obligation = -1 },
		"no source":    func(r *Rules) { r.Caps.Source = "" },
		"caps order":   func(r *Rules) { r.Caps.SelfTrainingShare = 0.9 },
		"role unknown": func(r *Rules) { r.Roles[0].Role = "X" },
		"missing role": func(r *Rules) { r.Roles = r.Roles[:1] },
		"unconfirmed bare": func(r *Rules) {
			for i := range r.Roles {
				if !r.Roles[i].Confirmed {
					r.Roles[i].Note = ""
				}
			}
		},
	}
	for name, mut := range cases {
		b, _ := json.Marshal(base)
		var r Rules
		_ = json.Unmarshal(b, &r)
		mut(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseRules([]byte(`{"version":"x","bogus":1}`)); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestTrienniumBoundaries(t *testing.T) {
	r := DefaultRules()
	for date, want := range map[string]int{"2020-01-01": 2020, "2022-12-31": 2020, "2023-01-01": 2023, "2025-12-31": 2023, "2026-01-01": 2026, "2028-12-31": 2026} {
		got, err := r.TrienniumOf(date)
		if err != nil || got != want {
			t.Errorf("TrienniumOf(%s) = %d, %v; want %d", date, got, err, want)
		}
	}
	for _, bad := range []string{"2019-12-31", "2029-01-01", "2026-13-01", ""} {
		if _, err := r.TrienniumOf(bad); err == nil {
			t.Errorf("TrienniumOf(%q) accepted", bad)
		}
	}
	if r.CurrentTriennium(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) != 2026 || r.CurrentTriennium(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)) != 2023 {
		t.Error("CurrentTriennium")
	}
}

func TestRoleCredits(t *testing.T) {
	r := DefaultRules()
	cases := []struct {
		name string
		in   RoleInput
		want float64
		says string
	}{
		{"participant gets the event's credits", RoleInput{EventType: "RES", Hours: 8, EventCredits: 8, Role: "P"}, 8, "crediti dell'evento"},
		{"empty role is a participant", RoleInput{EventType: "FAD", Hours: 4, EventCredits: 6}, 6, "partecipante"},
		{"FSC tutor 1/h", RoleInput{EventType: "FSC", Hours: 20, EventCredits: 30, Role: "T", RoleHours: 12.7}, 12, "12 ore intere"},
		{"FSC tutor capped at participants", RoleInput{EventType: "FSC", Hours: 10, EventCredits: 15, Role: "T", RoleHours: 40}, 15, "tetto dei crediti dei partecipanti"},
		{"FSC coordinator per half hour", RoleInput{EventType: "fsc", Hours: 10, EventCredits: 15, Role: "r", RoleHours: 3.4}, 6, "mezz'ore"},
		{"FSC coordinator capped at 2x hours", RoleInput{EventType: "FSC", Hours: 10, EventCredits: 15, Role: "D", RoleHours: 30}, 20, "2 × le 10 ore"},
		{"FSC coordinator max 50", RoleInput{EventType: "FSC", Hours: 40, EventCredits: 50, Role: "D", RoleHours: 60}, 50, "massimo 50"},
		{"RES teacher unconfirmed rule", RoleInput{EventType: "RES", Hours: 8, EventCredits: 8, Role: "D", RoleHours: 2}, 4, "non confermata"},
		{"RES teacher max 50", RoleInput{EventType: "RES", Hours: 8, EventCredits: 8, Role: "D", RoleHours: 40}, 50, "massimo 50"},
		{"unknown type", RoleInput{EventType: "XYZ", EventCredits: 8, Role: "P"}, 0, "nessuna regola"},
	}
	for _, c := range cases {
		got, why := RoleCredits(r, c.in)
		if got != c.want || !strings.Contains(strings.Join(why, " | "), c.says) {
			t.Errorf("%s: %v %q; want %v and %q", c.name, got, why, c.want, c.says)
		}
	}
	_, ws := RoleCreditsWhy(r, RoleInput{EventType: "RES", EventCredits: 8, Role: "D", RoleHours: 2})
	if en := whyText(ws, "en"); !strings.Contains(en, "as teacher") || !strings.Contains(en, "not confirmed") {
		t.Errorf("english: %s", en)
	}
}

func TestBalanceBasics(t *testing.T) {
	r := DefaultRules()
	es := []Entry{
		ent(1, 2026, KindParticipation, 12, "2026-03-01"),
		{ID: 2, Triennium: 2026, Kind: KindParticipation, Role: "D", Credits: 20, EarnedOn: "2026-05-01", Status: StatusCertified, Title: "Telemedicina"},
		{ID: 3, Triennium: 2026, Kind: KindParticipation, Credits: 10, EarnedOn: "2027-01-10", Status: StatusPending, Title: "FAD"},
		ent(4, 2023, KindParticipation, 50, "2025-03-01"),
	}
	b := ComputeAt(r, 2026, es, 0, DossierState{}, mid2027)
	near(t, "obligation", b.Obligation, 150)
	near(t, "reduction", b.Reduction, 0)
	near(t, "due", b.Due, 150)
	near(t, "earned", b.Earned, 42)
	near(t, "certified", b.Certified, 32)
	near(t, "pending", b.Pending, 10)
	near(t, "counted", b.Counted, 42)
	near(t, "missing", b.Missing, 108)
	if b.Compliant {
		t.Error("compliant with 32 of 150")
	}
	if len(b.Lines) != 3 || len(b.Notes) != 1 || !strings.Contains(b.Notes[0].Text("it"), "voci di un altro triennio: 1 nel 2023–2025") {
		t.Fatalf("lines %d, notes %v", len(b.Lines), b.Notes)
	}
	it := whyText(b.Lines[1].Why, "it")
	if !strings.Contains(it, "conta 20 crediti come docente dell'evento «Telemedicina»") {
		t.Errorf("why: %s", it)
	}
	// JSON clients get both renderings.
	js, _ := json.Marshal(b.Lines[1].Why[0])
	if !strings.Contains(string(js), `"text_it":"conta 20 crediti come docente`) || !strings.Contains(string(js), `"text_en":"counts 20 credits as teacher`) {
		t.Errorf("json: %s", js)
	}
	// Pending entries come after the certified ones.
	if b.Lines[2].Entry.ID != 3 || !strings.Contains(whyText(b.Lines[2].Why, "en"), "pending certification") {
		t.Errorf("pending line: %+v", b.Lines[2])
	}
}

func TestReductions(t *testing.T) {
	r := DefaultRules()
	for prev, want := range map[float64]float64{0: 0, 79.99: 0, 80: 15, 120: 15, 120.5: 0, 121: 30, 150: 30, 200: 30} {
		b := ComputeAt(r, 2026, nil, prev, DossierState{}, mid2027)
		if prev == 120.5 {
			// Between the bands (fractional credits): no band covers it.
			want = 0
		}
		near(t, "reduction for "+num(prev), b.Reduction, want)
		near(t, "due for "+num(prev), b.Due, 150-want)
		if want > 0 && !strings.Contains(b.ReductionWhy.Text("it"), "riducono l'obbligo di "+num(want)) {
			t.Errorf("why: %s", b.ReductionWhy.Text("it"))
		}
	}
	// The first triennium of the rules has no previous one.
	b := ComputeAt(r, 2020, nil, 0, DossierState{}, mid2027)
	if !strings.Contains(b.ReductionWhy.Text("it"), "non è nelle regole") {
		t.Errorf("2020: %s", b.ReductionWhy.Text("it"))
	}
}

func TestCaps(t *testing.T) {
	r := DefaultRules()
	// Due 150: individual ≤ 90, self-training ≤ 30.
	es := []Entry{
		ent(1, 2026, KindSelfTraining, 25, "2026-01-10"),
		ent(2, 2026, KindSelfTraining, 10, "2026-02-10"), // 5 over the self-training cap
		ent(3, 2026, KindIndividual, 50, "2026-03-10"),
		ent(4, 2026, KindIndividual, 18, "2026-04-10"), // 30+50 = 80, 10 left: 8 over
		ent(5, 2026, KindParticipation, 70, "2026-05-10"),
	}
	b := ComputeAt(r, 2026, es, 0, DossierState{}, mid2027)
	wantCounts := []float64{25, 5, 50, 10, 70}
	for i, l := range b.Lines {
		near(t, "line "+num(float64(i+1)), l.Counts, wantCounts[i])
	}
	if s := whyText(b.Lines[1].Why, "it"); !strings.Contains(s, "oltre il tetto del 20 % dell'autoformazione (30 crediti): 5 crediti non contano") {
		t.Errorf("self cap why: %s", s)
	}
	if s := whyText(b.Lines[3].Why, "it"); !strings.Contains(s, "oltre il tetto del 60 % della formazione individuale (90 crediti): 8 crediti non contano") {
		t.Errorf("individual cap why: %s", s)
	}
	near(t, "earned", b.Earned, 173)
	near(t, "counted", b.Counted, 160)
	if !b.Compliant || b.Missing != 0 {
		t.Errorf("compliant %v missing %v", b.Compliant, b.Missing)
	}
	kinds := map[string]KindTotal{}
	for _, k := range b.Kinds {
		kinds[k.Kind] = k
	}
	near(t, "self earned", kinds[KindSelfTraining].Earned, 35)
	near(t, "self counted", kinds[KindSelfTraining].Counted, 30)
	near(t, "indiv counted", kinds[KindIndividual].Counted, 60)

	// The caps follow the obligation after the reduction: due 120 → individual ≤ 72.
	b = ComputeAt(r, 2026, []Entry{ent(1, 2026, KindIndividual, 100, "2026-01-01")}, 130, DossierState{}, mid2027)
	near(t, "capped on reduced due", b.Counted, 72)
	// Pending entries are cut before certified ones, whatever their dates.
	p := ent(1, 2026, KindIndividual, 80, "2026-01-01")
	p.Status = StatusPending
	b = ComputeAt(r, 2026, []Entry{p, ent(2, 2026, KindIndividual, 80, "2026-06-01")}, 0, DossierState{}, mid2027)
	near(t, "certified first", b.Certified, 80)
	near(t, "pending cut", b.Pending, 10)
}

func TestExemptionsAndMoved(t *testing.T) {
	r := DefaultRules()
	es := []Entry{
		ent(1, 2026, KindExemption, 50, "2026-09-01"),
		ent(2, 2026, KindParticipation, 40, "2026-02-01"),
		ent(3, 2026, KindMoved, 20, "2026-01-01"),
		ent(4, 2026, KindMoved, -5, "2026-12-01"),
	}
	b := ComputeAt(r, 2026, es, 90, DossierState{}, mid2027)
	near(t, "exemption", b.Exemption, 50)
	near(t, "reduction", b.Reduction, 15)
	near(t, "due", b.Due, 85)
	near(t, "counted", b.Counted, 55)
	near(t, "earned (exemption excluded)", b.Earned, 55)
	near(t, "missing", b.Missing, 30)
	var all string
	for _, l := range b.Lines {
		all += whyText(l.Why, "it") + " | "
	}
	if s := all; !strings.Contains(s, "riduce l'obbligo di 50") || !strings.Contains(s, "5 crediti spostati") {
		t.Errorf("why: %s", s)
	}
	// Exemptions beyond the obligation leave nothing due; the caps shrink to 0.
	b = ComputeAt(r, 2026, []Entry{ent(1, 2026, KindExemption, 200, "2026-01-01"), ent(2, 2026, KindIndividual, 10, "2026-01-01")}, 0, DossierState{}, mid2027)
	near(t, "due", b.Due, 0)
	near(t, "counted", b.Counted, 0)
	if !b.Compliant || !b.OnTrack {
		t.Error("nothing due must be compliant")
	}
	// Moving out more than was earned never makes the balance negative.
	b = ComputeAt(r, 2026, []Entry{ent(1, 2026, KindMoved, -30, "2026-01-01"), ent(2, 2026, KindParticipation, 10, "2026-01-01")}, 0, DossierState{}, mid2027)
	near(t, "counted floor", b.Counted, 0)
}

func TestDossierBonus(t *testing.T) {
	r := DefaultRules()
	b := ComputeAt(r, 2026, nil, 0, DossierState{IndividualBuilt: true, PreviousGroupRealised: true}, mid2027)
	near(t, "bonus 2026 individual + realised 2023 group", b.DossierBonus, 60)
	near(t, "counted", b.Counted, 60)
	if len(b.Lines) != 1 || !b.Lines[0].Computed {
		t.Fatalf("lines %+v", b.Lines)
	}
	b = ComputeAt(r, 2026, nil, 0, DossierState{IndividualBuilt: true, GroupBuilt: true}, mid2027)
	near(t, "the larger applies", b.DossierBonus, 40)
	b = ComputeAt(r, 2023, nil, 0, DossierState{GroupBuilt: true}, mid2027)
	near(t, "2023 group build", b.DossierBonus, 30)
	b = ComputeAt(r, 2020, nil, 0, DossierState{IndividualBuilt: true}, mid2027)
	near(t, "no rule for 2020", b.DossierBonus, 0)
	// A recorded bonus entry replaces the computed one.
	b = ComputeAt(r, 2026, []Entry{ent(1, 2026, KindDossierBonus, 25, "2026-06-01")}, 0, DossierState{IndividualBuilt: true}, mid2027)
	near(t, "recorded bonus", b.DossierBonus, 25)
}

func TestForecast(t *testing.T) {
	r := DefaultRules()
	es := []Entry{ent(1, 2026, KindParticipation, 75, "2026-06-01")}
	// Half way through 2026-2028 (day 548 of 1096): 75 credits project to 150.
	half := time.Date(2027, 7, 2, 0, 0, 0, 0, time.UTC)
	b := ComputeAt(r, 2026, es, 0, DossierState{}, half)
	near(t, "elapsed", b.Forecast.ElapsedShare, 0.5)
	near(t, "projected", b.Forecast.ProjectedAtEnd, 150)
	if !b.OnTrack || !strings.Contains(whyText(b.Forecast.Why, "it"), "proiezione lineare") {
		t.Errorf("on track expected: %+v", b.Forecast)
	}
	b = ComputeAt(r, 2026, es, 0, DossierState{}, half.AddDate(0, 0, 30))
	if b.OnTrack || !strings.Contains(whyText(b.Forecast.Why, "en"), "behind") {
		t.Errorf("behind expected: %+v", b.Forecast)
	}
	// Before the start: on track; after the end: only if compliant.
	if b := ComputeAt(r, 2026, nil, 0, DossierState{}, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)); !b.OnTrack {
		t.Error("not started must be on track")
	}
	if b := ComputeAt(r, 2023, es, 0, DossierState{}, mid2027); b.OnTrack {
		t.Error("a closed triennium with credits missing is not on track")
	}
	full := []Entry{ent(1, 2023, KindParticipation, 150, "2024-01-01")}
	if b := ComputeAt(r, 2023, full, 0, DossierState{}, mid2027); !b.OnTrack || !b.Compliant {
		t.Error("a closed, compliant triennium is on track")
	}
	// Covered only by pending credits: on track, not compliant.
	p := ent(1, 2026, KindParticipation, 150, "2026-02-01")
	p.Status = StatusPending
	if b := ComputeAt(r, 2026, []Entry{p}, 0, DossierState{}, mid2027); b.Compliant || !b.OnTrack || b.Missing != 0 {
		t.Errorf("pending cover: %+v", b)
	}
	// First day of the triennium.
	if b := ComputeAt(r, 2026, nil, 0, DossierState{}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); b.OnTrack {
		t.Error("nothing on day one is behind by the linear rule")
	}
}

func TestUnknownTriennium(t *testing.T) {
	b := ComputeAt(DefaultRules(), 2029, nil, 0, DossierState{}, mid2027)
	if len(b.Notes) == 0 || b.Obligation != 0 {
		t.Errorf("%+v", b)
	}
}
