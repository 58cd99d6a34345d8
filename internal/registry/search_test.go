package registry

import (
	"context"
	"sort"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// names returns "Family Given" of each item of a search, sorted.
func names(t *testing.T, s *Service, ctx context.Context, q string) []string {
	t.Helper()
	pg, err := s.ListProfessionals(ctx, ProfessionalFilter{Query: q, PerPage: 100})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	out := []string{}
	for _, p := range pg.Items {
		out = append(out, p.FamilyName+" "+p.GivenName)
	}
	sort.Strings(out)
	return out
}

func wantNames(t *testing.T, s *Service, ctx context.Context, q string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := names(t, s, ctx, q); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("search %q: got %q, want %q", q, got, want)
	}
}

// person is a nurse without e-mail (nurse derives it from a one-word given name).
func person(cf, family, given string, region, org int64) ProfessionalInput {
	in := nurse(cf, family, given, region, org)
	in.Email = ""
	return in
}

func TestProfessionalNameSearchTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		mk := func(family, given string, region, org int64) Professional {
			p, err := s.CreateProfessional(f.national, person(code(t, family, given, 1975, 5, 5, "M", "D612"), family, given, region, org))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		mk("Rossi", "Maria", toscana, f.aslA.ID)
		rossetti := mk("Rossetti", "Luca", toscana, 0)
		mk("Bianchi", "Nicolò", toscana, 0)
		mk("De Rossi", "Anna Maria", toscana, 0)
		marco := mk("Rossi", "Marco", veneto, f.aslB.ID)

		// Word prefix, not substring; any word of the name.
		wantNames(t, s, f.national, "ross", "Rossi Maria", "Rossetti Luca", "De Rossi Anna Maria", "Rossi Marco")
		wantNames(t, s, f.national, "ossi")
		wantNames(t, s, f.national, "maria", "Rossi Maria", "De Rossi Anna Maria")
		// Accents and case are folded on both sides.
		wantNames(t, s, f.national, "nicolo", "Bianchi Nicolò")
		wantNames(t, s, f.national, "NICOLÒ", "Bianchi Nicolò")
		// Every word must match, in any order, each as a prefix.
		wantNames(t, s, f.national, "rossi maria", "Rossi Maria", "De Rossi Anna Maria")
		wantNames(t, s, f.national, "maria rossi", "Rossi Maria", "De Rossi Anna Maria")
		wantNames(t, s, f.national, "rossi mar", "Rossi Maria", "De Rossi Anna Maria", "Rossi Marco")
		wantNames(t, s, f.national, "rossi luca")
		// A codice fiscale prefix still finds its professional, alone or with a name word.
		wantNames(t, s, f.national, strings.ToLower(marco.CF[:8]), "Rossi Marco")
		wantNames(t, s, f.national, "rossi "+marco.CF[:6], "Rossi Marco")
		// Scope: a regional referent never sees another region's matches, an organisation
		// only its staff; filters narrow the national search.
		wantNames(t, s, f.regional, "rossi", "Rossi Maria", "De Rossi Anna Maria")
		wantNames(t, s, f.regionalB, "rossi", "Rossi Marco")
		wantNames(t, s, f.regionalB, "maria")
		wantNames(t, s, f.organisation, "ross", "Rossi Maria")
		pg, err := s.ListProfessionals(f.national, ProfessionalFilter{Query: "rossi", RegionID: veneto})
		if err != nil || len(pg.Items) != 1 || pg.Items[0].ID != marco.ID {
			t.Errorf("region filter: %+v %v", pg.Items, err)
		}
		pg, err = s.ListProfessionals(f.regional, ProfessionalFilter{Query: "rossi", RegionID: veneto})
		if err != nil || len(pg.Items) != 0 {
			t.Errorf("a regional referent filtering another region: %+v %v", pg.Items, err)
		}

		// An edited name is found by its new words, not the old ones.
		in := person(rossetti.CF, "Verdi", "Luca", toscana, 0)
		if _, err := s.UpdateProfessional(f.national, rossetti.ID, in); err != nil {
			t.Fatal(err)
		}
		wantNames(t, s, f.regional, "verdi", "Verdi Luca")
		wantNames(t, s, f.regional, "rossetti")
		// A move to another region moves the words: the old region's referent loses them.
		in = person(marco.CF, "Rossi", "Marco", toscana, 0)
		if _, err := s.UpdateProfessional(f.national, marco.ID, in); err != nil {
			t.Fatal(err)
		}
		wantNames(t, s, f.regionalB, "rossi")
		wantNames(t, s, f.regional, "rossi marco", "Rossi Marco")
		// The index holds exactly the distinct words of the current names.
		if n := count(t, s, `SELECT COUNT(*) FROM professional_search_tokens`); n != 2+2+2+4+2 {
			t.Errorf("%d tokens", n)
		}
	})
}

func TestImportWritesSearchTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		c1 := code(t, "Gallo", "Nicolò", 1980, 4, 4, "M", "D612")
		c2 := code(t, "Dell'Acqua", "Sara", 1981, 5, 5, "F", "D612")
		body := header +
			c1 + ";Gallo;Nicolò;;14;85;090;090201;dipendente;ospedale;\n" +
			c2 + ";Dell'Acqua;Sara;;14;85;090;;dipendente;ospedale;\n"
		if _, err := importString(t, s, f.regional, body); err != nil {
			t.Fatal(err)
		}
		wantNames(t, s, f.regional, "nicolo gal", "Gallo Nicolò")
		wantNames(t, s, f.regional, "dell'acqua", "Dell'Acqua Sara")
		wantNames(t, s, f.regional, "acqua", "Dell'Acqua Sara")
		if n := count(t, s, `SELECT COUNT(*) FROM professional_search_tokens WHERE region_id = $1`, toscana); n != 5 {
			t.Errorf("%d tokens after the import", n)
		}
		// An import that renames someone (the update path) moves their words.
		body = header + c1 + ";Galli;Nicolò;;14;85;090;090201;dipendente;ospedale;\n"
		if res, err := importString(t, s, f.regional, body); err != nil || res.Updated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		wantNames(t, s, f.regional, "galli", "Galli Nicolò")
		wantNames(t, s, f.regional, "gallo")
	})
}

// The migration fills the token table from the professionals already stored.
func TestSearchTokensMigrationBackfill(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		for _, n := range [][2]string{{"Rossi", "Maria"}, {"D'Alò", "Zoe Zoe"}, {"Esposito", "Gennaro"}} {
			if _, err := s.CreateProfessional(f.national, person(code(t, n[0], n[1], 1970, 1, 1, "F", "D612"), n[0], n[1], toscana, 0)); err != nil {
				t.Fatal(err)
			}
		}
		ctx := context.Background()
		want := count(t, s, `SELECT COUNT(*) FROM professional_search_tokens`)
		if want != 2+3+2 {
			t.Fatalf("%d tokens", want)
		}
		// Undo migration 0003 and run the migrations again.
		for _, q := range []string{`DROP TABLE professional_search_tokens`, `DELETE FROM schema_migrations WHERE name = '0003_professional_search.sql'`} {
			if _, err := s.DB.Write.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DB.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM professional_search_tokens`); n != want {
			t.Errorf("backfilled %d tokens, want %d", n, want)
		}
		wantNames(t, s, f.regional, "alo zoe", "D'Alò Zoe Zoe")
		wantNames(t, s, f.regional, "gen esp", "Esposito Gennaro")
	})
}
