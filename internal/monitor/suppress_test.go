package monitor_test

import (
	"context"
	"fmt"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/monitor"
)

// smallWorld is Toscana with three organisations of 20, 12 and 2 professionals (org A: 19 of
// one profession and 1 of another) and Veneto with 8, counted by a rebuild.
type smallWorld struct {
	svc                *monitor.Service
	d                  *db.DB
	orgA, orgB, orgC   int64
	orgV               int64
	profMain, profRare int
	seq                int
}

func newSmallWorld(t *testing.T, d db.Dialect) *smallWorld {
	env := apptest.Start(t, d)
	ctx := env.Sys()
	w := &smallWorld{d: env.M.DB, svc: monitor.New(env.M.DB, nil)}
	orgs, err := db.Int64s(ctx, w.d.Read, `SELECT id FROM organisations WHERE region_id = 90 AND kind = 'asl' ORDER BY id LIMIT 3`)
	if err != nil || len(orgs) < 3 {
		t.Fatalf("Tuscan ASL: %v %v", orgs, err)
	}
	w.orgA, w.orgB, w.orgC = orgs[0], orgs[1], orgs[2]
	if err := w.d.Read.QueryRow(`SELECT id FROM organisations WHERE region_id = 50 AND kind = 'asl' ORDER BY id LIMIT 1`).Scan(&w.orgV); err != nil {
		t.Fatal(err)
	}
	profs, err := db.Int64s(ctx, w.d.Read, `SELECT DISTINCT profession_code FROM disciplines ORDER BY profession_code LIMIT 2`)
	if err != nil || len(profs) < 2 {
		t.Fatal(err)
	}
	w.profMain, w.profRare = int(profs[0]), int(profs[1])
	var line string
	if err := w.d.Read.QueryRow(`SELECT i.code FROM framework_items i JOIN framework_versions f ON f.id = i.framework_id
		WHERE f.state = 'published' AND i.kind = 'line' ORDER BY i.code LIMIT 1`).Scan(&line); err != nil {
		t.Fatalf("a published framework line: %v", err)
	}
	for i := 0; i < 19; i++ {
		w.add(t, 90, w.orgA, w.profMain, line, i%4)
	}
	w.add(t, 90, w.orgA, w.profRare, line, 4)
	for i := 0; i < 12; i++ {
		lv := -1
		if i%2 == 0 {
			lv = 2
		}
		w.add(t, 90, w.orgB, w.profMain, line, lv)
	}
	w.add(t, 90, w.orgC, w.profMain, line, 3)
	w.add(t, 90, w.orgC, w.profMain, line, -1)
	for i := 0; i < 8; i++ {
		w.add(t, 50, w.orgV, w.profMain, line, 1)
	}
	if _, err := w.svc.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// add inserts a professional (with current levels when level >= 0) by SQL: the suppression
// tests need exact group sizes, which the demo generator does not give.
func (w *smallWorld) add(t *testing.T, region, org int64, profession int, line string, level int) {
	t.Helper()
	w.seq++
	now := db.Now()
	var id int64
	cf := fmt.Sprintf("SMLWRL80A01H%03dX", w.seq)
	if err := w.d.Write.QueryRow(`INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment, care_setting, created_at, updated_at)
		VALUES ($1,$1,'A','B','b a',$2,$3,'dipendente','ospedale',$4,$4) RETURNING id`, cf, region, org, now).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := w.d.Write.Exec(`INSERT INTO professional_disciplines (professional_id, profession_code, discipline_code)
		SELECT $1, profession_code, MIN(code) FROM disciplines WHERE profession_code = $2 GROUP BY profession_code`, id, profession); err != nil {
		t.Fatal(err)
	}
	if level >= 0 {
		if _, err := w.d.Write.Exec(`INSERT INTO competence_levels (professional_id, rule, computed_at, levels) VALUES ($1, 'latest', $2, $3)`,
			id, now, fmt.Sprintf("%s %d", line, level)); err != nil {
			t.Fatal(err)
		}
	}
}

func as(role domain.Role, region, org int64) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{UserID: 99, Username: "t", Role: role, RegionID: region, OrganisationID: org})
}

var national = as(domain.RoleNational, 0, 0)

func rowByID(t *testing.T, tb monitor.Table, id int64) monitor.Row {
	t.Helper()
	for _, r := range tb.Rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no row %d in %+v", id, tb.Rows)
	return monitor.Row{}
}

// checkNoDifferencing fails when a table's total minus its visible rows reveals one hidden
// row or fewer than k professionals.
func checkNoDifferencing(t *testing.T, tb monitor.Table) {
	t.Helper()
	if tb.Total.Hidden {
		return
	}
	var hidden int
	pop, num := tb.Total.Pop, tb.Total.Num
	for _, r := range tb.Rows {
		if r.Hidden {
			hidden++
			continue
		}
		pop -= r.Pop
		num -= r.Num
	}
	if hidden == 1 {
		t.Errorf("%s: exactly one hidden row, the total reveals it: %+v", tb.By, tb.Rows)
	}
	if (pop > 0 && pop < int64(tb.Threshold)) || (num > 0 && num < int64(tb.Threshold)) {
		t.Errorf("%s: total minus visible rows = %d professionals (%d in the numerator): %+v", tb.By, pop, num, tb.Rows)
	}
}

func TestSuppressionAgainstDifferencing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := newSmallWorld(t, d)
		for _, ind := range []string{"assessed", "level"} {
			// Region total minus the visible organisations: C (2) is hidden, and so must be the
			// next smallest (B), else Toscana − A − B = C.
			tb, err := w.svc.Table(national, monitor.Query{Indicator: "persona", Region: 90}, "organisation", "it")
			if ind == "level" {
				tb, err = w.svc.Table(national, monitor.Query{Indicator: ind, Region: 90}, "organisation", "it")
			}
			if err != nil {
				t.Fatal(err)
			}
			if tb.Total.Hidden {
				t.Fatalf("%s: Toscana's total (%d) hidden", ind, tb.Total.Pop)
			}
			checkNoDifferencing(t, tb)
			if c := rowByID(t, tb, w.orgC); !c.Hidden {
				t.Errorf("%s: organisation of 2 shown: %+v", ind, c)
			}
			// The same cell asked alone (a drill-down) is hidden too: the tables agree.
			alone, err := w.svc.Table(national, monitor.Query{Indicator: tb.Query.Indicator, Organisation: w.orgB}, "profession", "it")
			if err != nil {
				t.Fatal(err)
			}
			if b := rowByID(t, tb, w.orgB); b.Hidden != alone.Total.Hidden {
				t.Errorf("%s: organisation B hidden %v in the region's table, %v on its own page", ind, b.Hidden, alone.Total.Hidden)
			}
			if !alone.Total.Hidden && alone.Total.Pop+rowByID(t, tb, w.orgA).Pop+2 == tb.Total.Pop {
				t.Errorf("%s: A and B visible reveal C", ind)
			}
		}

		// A filter that leaves out one person: organisation A (20) and A's main profession (19).
		all, err := w.svc.Table(national, monitor.Query{Indicator: "assessed", Organisation: w.orgA}, "profession", "it")
		if err != nil {
			t.Fatal(err)
		}
		if all.Total.Hidden || all.Total.Pop != 20 {
			t.Fatalf("organisation A: %+v", all.Total)
		}
		checkNoDifferencing(t, all)
		one, err := w.svc.Table(national, monitor.Query{Indicator: "level", Organisation: w.orgA, Profession: w.profMain}, "persona", "it")
		if err != nil {
			t.Fatal(err)
		}
		if !one.Total.Hidden {
			t.Errorf("organisation A filtered to 19 of 20 shown (%+v): the difference is one person", one.Total)
		}
		rare, err := w.svc.Table(national, monitor.Query{Indicator: "level", Organisation: w.orgA, Profession: w.profRare}, "persona", "it")
		if err != nil {
			t.Fatal(err)
		}
		if !rare.Total.Hidden {
			t.Errorf("one person shown: %+v", rare.Total)
		}

		// A national table by region: Veneto (8) is shown, and the national total minus
		// Toscana and Veneto reveals nobody.
		reg, err := w.svc.Table(national, monitor.Query{Indicator: "assessed"}, "region", "it")
		if err != nil {
			t.Fatal(err)
		}
		checkNoDifferencing(t, reg)
		if v := rowByID(t, reg, 50); v.Hidden || v.Pop != 8 {
			t.Errorf("Veneto: %+v", v)
		}

		// The threshold is configurable.
		w.svc.Threshold = 10
		reg, err = w.svc.Table(national, monitor.Query{Indicator: "assessed"}, "region", "it")
		if err != nil {
			t.Fatal(err)
		}
		if v := rowByID(t, reg, 50); !v.Hidden {
			t.Errorf("Veneto (8) shown with threshold 10: %+v", v)
		}
		checkNoDifferencing(t, reg)
		w.svc.Threshold = 0
	})
}

func TestScopeOfQueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := newSmallWorld(t, d)
		regional := as(domain.RoleRegional, 90, 0)
		orgUser := as(domain.RoleOrganisation, 90, w.orgA)
		for _, tc := range []struct {
			name string
			ctx  context.Context
			q    monitor.Query
			by   string
			code string
		}{
			{"regional, own region", regional, monitor.Query{Indicator: "assessed"}, "organisation", ""},
			{"regional, another region", regional, monitor.Query{Indicator: "assessed", Region: 50}, "organisation", domain.ENOTFOUND},
			{"regional, another region's organisation", regional, monitor.Query{Indicator: "assessed", Organisation: w.orgV}, "profession", domain.ENOTFOUND},
			{"organisation, own", orgUser, monitor.Query{Indicator: "assessed"}, "profession", ""},
			{"organisation, another", orgUser, monitor.Query{Indicator: "assessed", Organisation: w.orgB}, "profession", domain.ENOTFOUND},
			{"organisation, by region", orgUser, monitor.Query{Indicator: "assessed"}, "region", domain.EFORBIDDEN},
			{"analyst, national", as(domain.RoleAnalyst, 0, 0), monitor.Query{Indicator: "level"}, "region", ""},
			{"provider", as(domain.RoleProvider, 90, w.orgA), monitor.Query{Indicator: "assessed"}, "region", domain.EFORBIDDEN},
			{"professional", as(domain.RoleProfessional, 90, 0), monitor.Query{Indicator: "assessed"}, "region", domain.EFORBIDDEN},
			{"bad indicator", national, monitor.Query{Indicator: "x"}, "region", domain.EINVALID},
			{"bad period", national, monitor.Query{Indicator: "assessed", Period: "26"}, "region", domain.EINVALID},
		} {
			tb, err := w.svc.Table(tc.ctx, tc.q, tc.by, "it")
			if domain.ErrorCode(err) != tc.code && !(tc.code == "" && err == nil) {
				t.Errorf("%s: got %v, want %q", tc.name, err, tc.code)
				continue
			}
			if err == nil && tc.ctx == regional {
				for _, r := range tb.Rows {
					if r.ID == w.orgV {
						t.Errorf("%s: a Venetian organisation in the rows", tc.name)
					}
				}
			}
		}
		// A regional referent's breakdown by region has their region only.
		tb, err := w.svc.Table(regional, monitor.Query{Indicator: "assessed"}, "region", "it")
		if err != nil || len(tb.Rows) != 1 || tb.Rows[0].ID != 90 {
			t.Fatalf("regional by region: %+v %v", tb.Rows, err)
		}
	})
}
