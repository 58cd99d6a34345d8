package catalogue

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"esd/internal/db"
)

// The shortcuts of the search (facet postings, the end-date order, the published counts)
// must give exactly what a plain scan of every document gives.
func TestSearchShortcutsMatchAFullScan(t *testing.T) {
	f := setup(t, db.SQLite)
	ctx := sys()
	g, err := f.s.NewGenerator(ctx, 7, []GenProvider{{ID: f.provA, RegionID: f.regA}, {ID: f.provB, RegionID: f.regB}})
	if err != nil {
		t.Fatal(err)
	}
	var evs []EventInput
	from := time.Now().UTC().AddDate(-3, 0, 0)
	for i := 0; i < 1500; i++ {
		sp := Spec{Start: from.AddDate(0, 0, g.pick(4*365)), Code: fmt.Sprintf("EQ-%05d", i)}
		if i%10 == 0 {
			sp.State = StateDraft
		}
		evs = append(evs, g.Event(sp))
	}
	if _, err := f.s.BulkLoad(ctx, evs, 500, nil); err != nil {
		t.Fatal(err)
	}
	x, err := f.s.searchIndex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	today := time.Now().UTC().Format(dateLayout)
	for i := 0; i < 400; i++ {
		var q Query
		if rng.IntN(4) == 0 {
			q.Text = []string{"telemedicina", "fascicolo", "digitale", "privacy"}[rng.IntN(4)]
		}
		if rng.IntN(3) == 0 {
			q.Types = []string{Types[rng.IntN(4)]}
		}
		if rng.IntN(3) == 0 {
			q.Regions = []int64{x.regionIDs[1+rng.IntN(len(x.regionIDs)-1)]}
		}
		if rng.IntN(3) == 0 {
			q.Professions = []int{[]int{1, 14, 3}[rng.IntN(3)]}
		}
		if rng.IntN(4) == 0 && len(x.lineIDs) > 0 {
			q.Lines = []int64{x.lineIDs[rng.IntN(len(x.lineIDs))]}
		}
		if rng.IntN(4) == 0 && len(x.dimIDs) > 1 {
			q.Dimensions = []int64{x.dimIDs[1+rng.IntN(len(x.dimIDs)-1)]}
		}
		if rng.IntN(4) == 0 {
			q.Credits = []string{creditBuckets[rng.IntN(4)].key}
		}
		if rng.IntN(4) == 0 {
			q.Cost = []string{"free", "paid"}[rng.IntN(2)]
		}
		if rng.IntN(4) == 0 {
			q.Delivery = []string{"online", "onsite"}[rng.IntN(2)]
		}
		if rng.IntN(3) == 0 {
			q.From = today
		}
		c := x.compile(q)
		total, page, n, _ := x.run(q, c)
		// Reference: every document, one worker.
		w := &worker{n: &counts{lines: make([]int, len(x.lineIDs))}, h: &topK{byDate: true}}
		ords, scores := []uint32(nil), []float32(nil)
		if terms := italianTerms(q.Text); len(terms) > 0 {
			w.h.byDate = false
			N := float32(len(x.docs) - x.dead + 1)
			ords, scores = x.intersect(terms, func(df int) float32 { return idf(N, df) })
		} else {
			for o := range x.docs {
				ords = append(ords, uint32(o))
				scores = append(scores, 0)
			}
		}
		for k, o := range ords {
			w.visit(x, &c, o, scores[k], 20)
		}
		if total != w.total {
			t.Fatalf("query %+v: total %d, scan %d", q, total, w.total)
		}
		if !reflect.DeepEqual(*n, *w.n) {
			t.Fatalf("query %+v: facet counts differ\n got %+v\nwant %+v", q, summaryOf(n), summaryOf(w.n))
		}
		if len(page) != min(20, total) {
			t.Fatalf("query %+v: page of %d for %d hits", q, len(page), total)
		}
	}
}

func summaryOf(n *counts) string {
	return fmt.Sprintf("types %v profs %v all %d credits %v cost %v delivery %v", n.types, n.profs, n.allProfs, n.credits, n.cost, n.delivery)
}
