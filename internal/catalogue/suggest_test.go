package catalogue

import (
	"os"
	"slices"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

func TestSuggestLinesFindsTelemonitoring(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		got, err := f.s.SuggestLines(f.providerA(), "telemonitoraggio dei pazienti cronici", "", 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].Code != "L4.1.3" || got[0].Score <= 0 || got[0].Score > 1 {
			t.Fatalf("suggestions %+v", got)
		}
		if !slices.Contains(got[0].Matched, "telemonitoragg") {
			t.Fatalf("matched terms %v", got[0].Matched)
		}
		// Accents, plurals and acronyms.
		got, _ = f.s.SuggestLines(f.providerA(), "IL FSE 2.0 E LE SUE FUNZIONALITA' DI CONSULTAZIONE", "", 3)
		if len(got) == 0 || got[0].Code != "L3.1.1" {
			t.Fatalf("FSE suggestions %+v", got)
		}
		if lv := SuggestLevel("Corso avanzato di telemedicina", []int{1, 2, 3, 4}); lv != 3 {
			t.Fatalf("level %d", lv)
		}
		if _, err := f.s.SuggestLines(as(domain.RoleProfessional, 0, 0), "x", "", 3); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("professional may not ask for suggestions: %v", err)
		}
	})
}

// The labelled set parses, names only known topics, and every topic resolves on the
// fixture portfolio; the quality itself is measured by BenchmarkLineSuggestions.
func TestLabelledSetIsUsable(t *testing.T) {
	f := setup(t, db.SQLite)
	fh, err := os.Open("testdata/line_suggestions.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rep, err := f.s.EvaluateSuggestions(sys(), fh)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Titles < 300 || rep.Evaluated != rep.Titles || len(rep.Unresolved) > 0 {
		t.Fatalf("report %+v", rep)
	}
}
