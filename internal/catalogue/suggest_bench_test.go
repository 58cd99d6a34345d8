package catalogue

import (
	"os"
	"testing"

	"esd/internal/db"
)

// BenchmarkLineSuggestions reports precision@3 and recall@3 of the line suggestions on the
// labelled set (testdata/line_suggestions.csv) against the fixture portfolio. The same
// measure on the default portfolio runs in the e2e package (BenchmarkLineSuggestionsDefault).
//
//	go test ./internal/catalogue -run XXX -bench LineSuggestions -benchtime 1x
func BenchmarkLineSuggestions(b *testing.B) {
	f := setup(b, db.SQLite)
	for b.Loop() {
		fh, err := os.Open("testdata/line_suggestions.csv")
		if err != nil {
			b.Fatal(err)
		}
		rep, err := f.s.EvaluateSuggestions(sys(), fh)
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rep.PrecisionAt3, "precision@3")
		b.ReportMetric(rep.RecallAt3, "recall@3")
		b.ReportMetric(rep.HitAt3, "hit@3")
		b.ReportMetric(float64(rep.Evaluated), "titles")
		for _, m := range rep.Misses {
			b.Log("miss: ", m)
		}
	}
}
