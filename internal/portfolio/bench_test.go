package portfolio

import (
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// BenchmarkPortfolio measures the portfolio's common paths on the default portfolio
// (6/16/140) against an in-run baseline: a raw scan of the same version's items.
// Run: go test ./internal/portfolio -run '^$' -bench Portfolio -benchtime 20x
// (add ESD_TEST_POSTGRES_URL for PostgreSQL). Ratios = path / baseline.
func BenchmarkPortfolio(b *testing.B) {
	for _, d := range dbtest.Dialects(b) {
		b.Run(string(d), func(b *testing.B) { benchPortfolio(b, d) })
	}
}

func benchPortfolio(b *testing.B, d db.Dialect) {
	s := &Service{DB: dbtest.Open(b, d)}
	ctx := sysCtx()
	if _, err := s.EnsureDefault(ctx); err != nil {
		b.Fatal(err)
	}
	cur, _ := s.Current(ctx)
	exports := map[string][]byte{}
	for _, f := range Formats {
		e, err := s.Export(ctx, cur.ID, f)
		if err != nil {
			b.Fatal(err)
		}
		exports[f] = e.Data
	}
	b.Run("baseline-raw-scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, code, title_it FROM framework_items WHERE framework_id = $1`, cur.ID)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id int64
				var c, t string
				_ = rows.Scan(&id, &c, &t)
				n++
			}
			rows.Close()
			if n != 162 {
				b.Fatal(n)
			}
		}
	})
	b.Run("tree", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Tree(ctx, cur.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("search", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Search(ctx, cur.ID, "qualità dati"); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, f := range Formats {
		b.Run("export-"+f, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := s.Export(ctx, cur.ID, f); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("parse-"+f, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := Parse(f, exports[f]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("new-draft-deep-copy", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.CreateDraft(ctx, cur.ID, NewDraft{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
