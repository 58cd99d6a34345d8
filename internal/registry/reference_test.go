package registry

import (
	"context"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/textnorm"
)

func sys() context.Context {
	return WithLanguage(domain.WithRequestID(domain.WithActor(context.Background(), domain.SystemActor), "test"), "en")
}

// newService returns a service over a fresh, migrated database with the reference loaded.
func newService(t *testing.T, d db.Dialect) *Service {
	t.Helper()
	s := New(dbtest.Open(t, d), nil)
	if _, err := s.LoadReference(sys()); err != nil {
		t.Fatal(err)
	}
	return s
}

func count(t *testing.T, s *Service, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Read.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestLoadReference(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := New(dbtest.Open(t, d), nil)
		start := time.Now()
		st, err := s.LoadReference(sys())
		if err != nil {
			t.Fatal(err)
		}
		first := time.Since(start)
		if len(st.Loaded) != len(refTables) {
			t.Fatalf("loaded %v", st)
		}
		for q, want := range map[string]int{
			`SELECT COUNT(*) FROM regions`:                                                 21,
			`SELECT COUNT(*) FROM professions`:                                             30,
			`SELECT COUNT(*) FROM disciplines`:                                             102,
			`SELECT COUNT(*) FROM ecm_objectives WHERE list_version = 2`:                   35,
			`SELECT COUNT(*) FROM ecm_objectives WHERE list_version = 3`:                   38,
			`SELECT COUNT(*) FROM comuni`:                                                  7904,
			`SELECT COUNT(*) FROM organisations WHERE kind = 'asl'`:                        110,
			`SELECT COUNT(*) FROM organisations WHERE source = 'reference'`:                110 + 1135,
			`SELECT COUNT(*) FROM organisations WHERE kind = 'aou'`:                        26,
			`SELECT COUNT(*) FROM organisations WHERE kind = 'irccs'`:                      66,
			`SELECT COUNT(*) FROM organisations WHERE kind <> 'asl' AND parent_id IS NULL`: 0,
			`SELECT COUNT(*) FROM audit_log WHERE action = 'reference_load'`:               len(refTables),
		} {
			if got := count(t, s, q); got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
		// Ids are the Ministry codes; codes of all systems are kept.
		var name, istat, minsal, iso string
		if err := s.DB.Read.QueryRow(`SELECT name, istat_code, minsal_code, iso_code FROM regions WHERE id = 41`).Scan(&name, &istat, &minsal, &iso); err != nil ||
			name != "PA Bolzano/Bozen" || istat != "021" || minsal != "041" || iso != "IT-BZ" {
			t.Errorf("region 41: %s %s %s %s %v", name, istat, minsal, iso, err)
		}
		var kind, parent string
		if err := s.DB.Read.QueryRow(`SELECT o.kind, p.code FROM organisations o JOIN organisations p ON p.id = o.parent_id WHERE o.code = '090904'`).Scan(&kind, &parent); err != nil ||
			kind != KindAOU || parent != "090201" {
			t.Errorf("Meyer: %s under %s %v", kind, parent, err)
		}
		if err := s.DB.Read.QueryRow(`SELECT name FROM organisations WHERE kind = 'asl' AND code = '010203'`).Scan(&name); err != nil || name != "ASL TO3" {
			t.Errorf("ASL TO3 named %q %v", name, err)
		}
		// Second start: nothing changes, nothing is written, and it is fast.
		before := count(t, s, `SELECT COUNT(*) FROM audit_log`)
		start = time.Now()
		st, err = s.LoadReference(sys())
		if err != nil {
			t.Fatal(err)
		}
		again := time.Since(start)
		if len(st.Loaded) != 0 || len(st.Skipped) != len(refTables) {
			t.Fatalf("second load: %+v", st)
		}
		if count(t, s, `SELECT COUNT(*) FROM audit_log`) != before {
			t.Error("second load wrote to the audit trail")
		}
		t.Logf("%s: first load %v, second %v", d, first, again)
		// A forced reload (as after a change of the files) rewrites nothing that is equal.
		stamp := count(t, s, `SELECT COUNT(*) FROM organisations WHERE updated_at = created_at`)
		if _, err := s.DB.Write.Exec(`DELETE FROM reference_versions`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.Write.Exec(`UPDATE organisations SET name = 'Renamed' WHERE code = '090201' AND kind = 'asl'`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoadReference(sys()); err != nil {
			t.Fatal(err)
		}
		if got := count(t, s, `SELECT COUNT(*) FROM organisations WHERE updated_at = created_at`); got != stamp-1 {
			t.Errorf("reload touched %d organisations, want 1", stamp-got)
		}
		if err := s.DB.Read.QueryRow(`SELECT name FROM organisations WHERE code = '090201' AND kind = 'asl'`).Scan(&name); err != nil || name != "AZIENDA USL TOSCANA CENTRO" {
			t.Errorf("reload did not restore the name: %q", name)
		}
	})
}

func TestReferenceReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d)
		ctx := sys()
		regs, err := s.Regions(ctx)
		if err != nil || len(regs) != 21 || regs[0].ID != 10 || regs[len(regs)-1].ID != 200 {
			t.Fatalf("regions: %v %v", regs, err)
		}
		profs, err := s.Professions(ctx)
		if err != nil || len(profs) != 30 || profs[0].Code != 1 || len(profs[0].Disciplines) < 60 {
			t.Fatalf("professions: %d %v", len(profs), err)
		}
		obj, err := s.Objectives(ctx, 3)
		if err != nil || len(obj) != 38 {
			t.Fatalf("objectives: %d %v", len(obj), err)
		}
		com, err := s.Comuni(ctx, "Toscana")
		if err != nil || len(com) != 273 {
			t.Fatalf("comuni: %d %v", len(com), err)
		}
		if _, err := s.Regions(context.Background()); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			t.Fatalf("anonymous: %v", err)
		}
		c, _ := s.cache(ctx)
		for k, want := range map[string]int64{"090": 90, "90": 90, "Toscana": 90, "IT-52": 90, "valle d'aosta": 20, "Bozen": 41, "trento": 42, "Emilia Romagna": 80} {
			if got := c.regionByKey[regionKey(k)]; got != want {
				t.Errorf("region %q → %d, want %d", k, got, want)
			}
		}
	})
}

func TestFoldMatchesTextnorm(t *testing.T) {
	for _, s := range []string{"", "  Rossi  Mario ", "D'Angelo", "CODICE_FISCALE", "e-mail", "Nicolò", "a\tb\nc", "--x--", "IT-52", "090", "Ünal", "L'Aquila!"} {
		if got, want := fold(s), textnorm.Fold(s); got != want {
			t.Errorf("fold(%q) = %q, want %q", s, got, want)
		}
	}
}
