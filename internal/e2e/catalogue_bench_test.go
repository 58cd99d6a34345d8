package e2e

import (
	"os"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
)

// BenchmarkLineSuggestionsDefault measures the line suggestions on the labelled set against
// the default portfolio the platform loads at start (precision@3, recall@3, hit@3 and the
// topics that found no line), not a test threshold:
//
//	go test ./internal/e2e -run XXX -bench LineSuggestionsDefault -benchtime 1x
func BenchmarkLineSuggestionsDefault(b *testing.B) {
	env := apptest.Start(b, db.SQLite)
	for b.Loop() {
		f, err := os.Open("../catalogue/testdata/line_suggestions.csv")
		if err != nil {
			b.Fatal(err)
		}
		rep, err := env.M.Catalogue.EvaluateSuggestions(env.Sys(), f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.PrecisionAt3, "precision@3")
		b.ReportMetric(rep.RecallAt3, "recall@3")
		b.ReportMetric(rep.HitAt3, "hit@3")
		b.ReportMetric(float64(rep.Evaluated), "titles")
		b.ReportMetric(float64(rep.Lines), "lines")
		b.Logf("portfolio %s: %d of %d titles evaluated; unresolved topics %v", rep.Portfolio, rep.Evaluated, rep.Titles, rep.Unresolved)
		for _, m := range rep.Misses {
			b.Log("miss: ", m)
		}
	}
}
