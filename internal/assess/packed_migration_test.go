package assess

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// Migration 0201 converts the one-row-per-line ledger and levels of 0200 into packed rows: a
// database is migrated without it, filled in the old layout, then migrated again.
func TestMigrationPacksEvidenceAndLevels(t *testing.T) {
	const packing = "0201_assess_packed_evidence.sql"
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		ctx := context.Background()
		x, err := db.Open(ctx, dbtest.URL(t, d))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := x.Write.ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`)
		exec(`INSERT INTO schema_migrations (name, applied_at) VALUES ($1, 'skipped by the test')`, packing)
		if err := x.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		now := db.Now()
		var region int64
		if err := x.Write.QueryRowContext(ctx, `INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ('09','090','IT-52','Toscana') RETURNING id`).Scan(&region); err != nil {
			t.Fatal(err)
		}
		prof := map[string]int64{}
		for _, n := range []string{"P", "Q", "R", "S"} {
			var id int64
			cf := "MIGRATION-" + n
			if err := x.Write.QueryRowContext(ctx, `INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id, employment, care_setting, created_at, updated_at)
				VALUES ($1,$1,'Test',$2,$2,$3,'dipendente','ospedale',$4,$4) RETURNING id`, cf, n, region, now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			prof[n] = id
		}
		t1, t2 := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC), time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
		// Old rows, ids 1..8: an assessment (two sources, lines written out of code order), the
		// same validation recorded twice at the same instant, and two entries of Q.
		for i, e := range []struct {
			who, line string
			level     int
			source    string
			at        time.Time
			pointer   string
		}{
			{"P", "B", 2, SourceSelf, t1, "assessment:1"},
			{"P", "a_1", 1, SourceSelf, t1, "assessment:1"},
			{"P", "C", 2, SourceKnowledge, t1, "assessment:1"},
			{"P", "A-1", 3, SourceKnowledge, t1, "assessment:1"},
			{"P", "B", 4, SourceValidation, t2, "v"},
			{"P", "B", 4, SourceValidation, t2, "v"},
			{"Q", "L1", 2, SourceImport, t1, ""},
			{"Q", "L1", 3, SourceTraining, t2, ""},
		} {
			exec(`INSERT INTO competence_evidence (id, professional_id, line_code, level, source, observed_at, recorded_at, pointer, recorded_by, note)
				VALUES ($1,$2,$3,$4,$5,$6,$6,$7,'tester','')`, i+1, prof[e.who], e.line, e.level, e.source, e.at, e.pointer)
		}
		for _, l := range []struct {
			who, line string
			level     int
			rule, ids string
		}{
			{"P", "B", 4, RuleLatest, "6"},
			{"P", "a_1", 1, RuleLatest, "2"},
			{"P", "A-1", 3, RuleLatest, "4"},
			{"P", "C", 2, RuleLatest, "3"},
			{"Q", "L1", 3, RuleWeighted, "8,7"},
			{"R", "L2", 1, RuleLatest, ""},
			{"S", "L3", 2, RuleLatest, ""},
		} {
			exec(`INSERT INTO competence_levels (professional_id, line_code, level, rule, evidence_ids, computed_at) VALUES ($1,$2,$3,$4,$5,$6)`,
				prof[l.who], l.line, l.level, l.rule, l.ids, now)
		}
		exec(`DELETE FROM schema_migrations WHERE name = $1`, packing)
		if err := x.Migrate(ctx); err != nil {
			t.Fatal(err)
		}

		rows, err := x.Read.QueryContext(ctx, `SELECT id, professional_id, source, observed_at, pointer, recorded_by, lines FROM competence_evidence ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var id, p int64
			var src, pointer, by, lines string
			var at time.Time
			if err := rows.Scan(&id, &p, &src, &at, &pointer, &by, &lines); err != nil {
				t.Fatal(err)
			}
			if by != "tester" || (!at.Equal(t1) && !at.Equal(t2)) {
				t.Errorf("row %d: recorded by %q at %v", id, by, at)
			}
			if _, err := unpackLineLevels(lines); err != nil {
				t.Error(err)
			}
			got = append(got, strings.Join([]string{itoa(id), itoa(p), src, pointer, lines}, "|"))
		}
		rows.Close()
		P, Q := itoa(prof["P"]), itoa(prof["Q"])
		want := []string{
			"1|" + P + "|self_assessment|assessment:1|B 2\na_1 1",
			"3|" + P + "|knowledge_test|assessment:1|A-1 3\nC 2",
			"5|" + P + "|validation|v|B 4",
			"6|" + P + "|validation|v|B 4",
			"7|" + Q + "|import||L1 2",
			"8|" + Q + "|training||L1 3",
		}
		if strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") {
			t.Fatalf("packed evidence:\n%q\nwant\n%q", got, want)
		}
		levels := map[int64][2]string{}
		rows, err = x.Read.QueryContext(ctx, `SELECT professional_id, rule, levels FROM competence_levels`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p int64
			var rule, ls string
			if err := rows.Scan(&p, &rule, &ls); err != nil {
				t.Fatal(err)
			}
			levels[p] = [2]string{rule, ls}
		}
		rows.Close()
		for who, w := range map[string][2]string{
			"P": {RuleLatest, "A-1 3 3\nB 4 6\nC 2 3\na_1 1 1"},
			"Q": {RuleWeighted, "L1 3 7,8"},
			"R": {RuleLatest, "L2 1"},
			"S": {RuleLatest, "L3 2"},
		} {
			if levels[prof[who]] != w {
				t.Errorf("levels of %s: %q, want %q", who, levels[prof[who]], w)
			}
		}
		// The ledger stays append-only, and new observations get new ids.
		if _, err := x.Write.ExecContext(ctx, `UPDATE competence_evidence SET lines = 'B 1'`); err == nil {
			t.Error("the packed ledger accepted an UPDATE")
		}
		if _, err := x.Write.ExecContext(ctx, `DELETE FROM competence_evidence`); err == nil {
			t.Error("the packed ledger accepted a DELETE")
		}
		var id int64
		if err := x.Write.QueryRowContext(ctx, `INSERT INTO competence_evidence (professional_id, source, observed_at, recorded_at, lines) VALUES ($1,'import',$2,$2,'L9 1') RETURNING id`,
			prof["R"], now).Scan(&id); err != nil || id <= 8 {
			t.Fatalf("new evidence id %d: %v", id, err)
		}
		// P's levels are what the latest rule gives; Q's were stored under the weighted rule,
		// R's have no evidence (but L9, just added) and S has none at all.
		s := New(x, nil, nil)
		sys := domain.WithActor(ctx, domain.SystemActor)
		rep, err := s.RecomputeLevels(sys, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Professionals != 3 || rep.Changed != 4 || len(rep.Mismatches) != 4 ||
			!strings.Contains(rep.Mismatches[0], "professional "+Q+" line L1: stored 3 [7,8], recomputed 3 [8]") ||
			!strings.Contains(rep.Mismatches[2], "professional "+itoa(prof["R"])+" line L2: stored 1 [] without evidence") ||
			rep.Mismatches[3] != "1 stored levels of 1 professionals have no evidence" {
			t.Fatalf("recompute after the migration: %+v", rep)
		}
		if rep, err = s.RecomputeLevels(sys, true); err != nil || rep.Changed != 4 {
			t.Fatalf("correction: %+v %v", rep, err)
		}
		if rep, err = s.RecomputeLevels(sys, false); err != nil || rep.Changed != 0 {
			t.Fatalf("after correction: %+v %v", rep, err)
		}
		var n int
		if x.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM competence_levels WHERE professional_id = $1`, prof["S"]).Scan(&n); n != 0 {
			t.Fatal("the levels of a professional without evidence were kept")
		}
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// appendEvidence writes one row per observation: entries sharing professional, source, time,
// pointer and note share a row, a line repeated in one call starts a newer one, and every
// professional's levels are recomputed from the packed rows.
func TestAppendEvidenceGroupsObservations(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		prof := fx.professional(false)
		at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		fx.s.Now = func() time.Time { return at.Add(time.Hour) }
		evs := []Evidence{
			{ProfessionalID: prof, LineCode: "L2", Level: 3, Source: SourceSelf, ObservedAt: at, Pointer: "assessment:99"},
			{ProfessionalID: prof, LineCode: "L1", Level: 2, Source: SourceSelf, ObservedAt: at, Pointer: "assessment:99"},
			{ProfessionalID: prof, LineCode: "L3", Level: 1, Source: SourceKnowledge, ObservedAt: at, Pointer: "assessment:99"},
			{ProfessionalID: prof, LineCode: "L1", Level: 3, Source: SourceKnowledge, ObservedAt: at, Pointer: "assessment:99"},
			{ProfessionalID: prof, LineCode: "L1", Level: 4, Source: SourceSelf, ObservedAt: at, Pointer: "assessment:99"},
		}
		var ids []int64
		err := fx.db.Tx(fx.sys, func(tx *sql.Tx) error {
			var err error
			ids, err = fx.s.appendEvidence(fx.sys, tx, evs)
			return err
		})
		if err != nil || len(ids) != 5 || ids[0] != ids[1] || ids[2] <= ids[0] || ids[3] <= ids[2] || ids[4] <= ids[3] {
			t.Fatalf("ids %v: %v", ids, err)
		}
		var lines []string
		rows, err := fx.db.Read.Query(`SELECT lines FROM competence_evidence WHERE professional_id = $1 ORDER BY id`, prof)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l string
			rows.Scan(&l)
			lines = append(lines, l)
		}
		rows.Close()
		if strings.Join(lines, "|") != "L1 2\nL2 3|L3 1|L1 3|L1 4" {
			t.Fatalf("packed rows %q", lines)
		}
		// The last entry of L1 wins under the latest rule (same time, higher id).
		_, cur, err := fx.s.Ledger(fx.sys, prof)
		if err != nil || len(cur) != 3 || cur[0].Level != 4 || cur[0].Evidence[0].ID != ids[4] || cur[1].Level != 3 || cur[2].Level != 1 {
			t.Fatalf("levels %+v %v", cur, err)
		}
		bad := []Evidence{{ProfessionalID: prof, LineCode: "L 1", Level: 1, Source: SourceImport}}
		if err := fx.db.Tx(fx.sys, func(tx *sql.Tx) error { _, err := fx.s.appendEvidence(fx.sys, tx, bad); return err }); code(err) != domain.EINVALID {
			t.Fatalf("a code with a space: %v", err)
		}
	})
}
