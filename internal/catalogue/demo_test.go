package catalogue

import (
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// The demo catalogue reproduces the programme's table: 622 events in 2023–2024 found by
// the keywords (440 RES + 106 FAD + 71 FSC + 5 blended) and 19 events of 2024 on the theme
// "sanità digitale"; the lines find more than the keywords.
func TestDemoCatalogueReproducesTheProgrammeTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		res, err := f.s.LoadDemo(sys(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created < 800 {
			t.Fatalf("demo created %d events", res.Created)
		}
		again, err := f.s.LoadDemo(sys(), 0)
		if err != nil || again.Created != 0 {
			t.Fatalf("demo not idempotent: %+v %v", again, err)
		}
		an, err := f.s.Analyse(as(domain.RoleNational, 0, 0), AnalysisQuery{From: "2023-01-01", To: "2024-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		want := TypeCounts{Total: 622, RES: 440, FAD: 106, FSC: 71, Blended: 5}
		if an.Matched != want {
			t.Fatalf("keyword table %+v, want %+v", an.Matched, want)
		}
		theme := 0
		for _, r := range an.ByTheme {
			if r.Key == "sanita_digitale 2024" {
				theme = r.Total
			}
		}
		if theme != 19 {
			t.Fatalf("theme rows %+v", an.ByTheme)
		}
		if an.MappedNotMatched.Total < 90 || an.Mapped.Total <= an.Matched.Total {
			t.Fatalf("lines should find more than keywords: mapped %+v, not matched %+v", an.Mapped, an.MappedNotMatched)
		}
		r, err := f.s.Search(as(domain.RoleProfessional, 0, 0), Query{Text: "telemedicina"})
		if err != nil || r.Total == 0 {
			t.Fatalf("upcoming telemedicine editions: %d %v", r.Total, err)
		}
		q, _, err := f.s.ReviewQueue(as(domain.RoleNational, 0, 0))
		if err != nil || len(q) != 6 {
			t.Fatalf("review queue %d %v", len(q), err)
		}
	})
}
