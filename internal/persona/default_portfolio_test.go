package persona

import (
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/portfolio"
)

// The default personas on the real illustrative default portfolio (6/16/140): every theme
// is found, and the targets follow each persona's role.
func TestDefaultPersonasOnTheDefaultPortfolio(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		x := dbtest.Open(t, d)
		ps := &portfolio.Service{DB: x}
		if ok, err := ps.EnsureDefault(sys()); err != nil || !ok {
			t.Fatalf("default portfolio: %v %v", ok, err)
		}
		s := New(x, nil, nil)
		if ok, err := s.EnsureDefaults(sys()); err != nil || !ok {
			t.Fatalf("default personas: %v %v", ok, err)
		}
		tree, err := s.Tree(national(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if tree.Code != DefaultFrameworkCode || len(tree.Lines()) != 140 || len(tree.Areas()) != 16 {
			t.Fatalf("current framework: %s %d lines %d areas", tree.Code, len(tree.Lines()), len(tree.Areas()))
		}
		themes := map[string]int{}
		for _, l := range tree.Lines() {
			themes[ThemeOf(l)]++
		}
		for _, th := range []string{ThemeBasics, ThemeFSE, ThemePrescription, ThemeTelemedicine, ThemeSecurity, ThemeData, ThemeAI, ThemeCommunication, ThemeLiteracy, ThemeChange} {
			if themes[th] == 0 {
				t.Errorf("no line classified as %s: %v", th, themes)
			}
		}
		for code, want := range map[string]string{"D3.A2.L02": ThemeTelemedicine, "D3.A3.L02": ThemeTelemedicine, "D4.A3.L05": ThemeAI,
			"D2.A2.L01": ThemePrescription, "D5.A1.L04": ThemeSecurity, "D6.A2.L05": ThemeLiteracy, "D4.A2.L03": ThemeData} {
			if got := ThemeOf(tree.LineByCode(code)); got != want {
				t.Errorf("%s %q: theme %s, want %s", code, tree.LineByCode(code).TitleIT, got, want)
			}
		}
		personas, err := s.ListPersonas(national(), 0)
		if err != nil {
			t.Fatal(err)
		}
		targets := map[string]map[string]Target{}
		for _, p := range personas {
			ts, err := s.nationalTargets(sys(), x.Read, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 140 {
				t.Fatalf("%s has %d targets", p.Code, len(ts))
			}
			targets[p.Code] = map[string]Target{}
			for _, tg := range ts {
				targets[p.Code][tg.LineCode] = tg
			}
		}
		lvl := func(persona, line string) int { return targets[persona][line].Min }
		checks := []struct {
			what string
			ok   bool
		}{
			{"family nurse teleassistance 4", lvl("IFEC", "D3.A2.L06") == 4},
			{"family nurse teleassistance above hospital nurse", lvl("IFEC", "D3.A2.L06") > lvl("INF-OSP", "D3.A2.L06")},
			{"GP televisit at least 3", lvl("MMG-PLS", "D3.A1.L03") >= 3},
			{"COT tools 4 for the COT operator", lvl("COT", "D3.A3.L02") == 4},
			{"telerehabilitation at least 3 for therapists", lvl("TEC-RIAB", "D3.A2.L07") >= 3},
			{"GP e-prescription 4", lvl("MMG-PLS", "D2.A2.L01") == 4},
			{"pharmacist dispensing 4", lvl("FARM", "D2.A2.L03") == 4},
			{"hospital nurse: e-prescription not required", !targets["INF-OSP"]["D2.A2.L01"].Required},
			{"ICT referent: AI 4", lvl("ICT", "D4.A3.L01") == 4},
			{"ICT referent: FHIR 4", lvl("ICT", "D4.A2.L03") == 4},
			{"ICT referent: CDA2 4", lvl("ICT", "D4.A2.L02") == 4},
			{"manager: leadership at least 3", lvl("DIR", "D6.A3.L01") >= 3},
			{"prevention: data above hospital nurse", lvl("PREV", "D4.A1.L07") > lvl("INF-OSP", "D4.A1.L07")},
			{"everybody: GDPR at least 2", lvl("BASE", "D5.A1.L01") >= 2},
		}
		for _, c := range checks {
			if !c.ok {
				t.Errorf("default targets: %s", c.what)
			}
		}
		h, err := s.Heatmap(national(), 0)
		if err != nil {
			t.Fatal(err)
		}
		cell := func(persona, area string) float64 {
			for _, r := range h.Rows {
				if r.Code == persona {
					for i, a := range h.Areas {
						if a.Code == area {
							return r.Cells[i].Mean
						}
					}
				}
			}
			t.Fatalf("no cell %s × %s", persona, area)
			return 0
		}
		best := ""
		for _, r := range h.Rows {
			if best == "" || cell(r.Code, "D4.A3") > cell(best, "D4.A3") {
				best = r.Code
			}
		}
		if best != "ICT" {
			t.Errorf("the ICT referent should have the highest AI ambito mean, %s has", best)
		}
		if cell("IFEC", "D3.A2") <= cell("INF-OSP", "D3.A2") || cell("DIR", "D6.A3") <= cell("TEC-RIAB", "D6.A3") {
			t.Errorf("heat map: IFEC telemonitoring %.1f vs hospital nurse %.1f; manager change %.1f vs therapist %.1f",
				cell("IFEC", "D3.A2"), cell("INF-OSP", "D3.A2"), cell("DIR", "D6.A3"), cell("TEC-RIAB", "D6.A3"))
		}
	})
}
