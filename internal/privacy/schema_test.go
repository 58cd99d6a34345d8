package privacy

import (
	"context"
	"sort"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// refColumns finds, from the live schema, every table with a column that refers to a
// professional or to an account: named professional_id, user_id, *_user_id or cf, or a
// foreign key to professionals or users.
func refColumns(t *testing.T, d *db.DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	add := func(table, col string) {
		for _, c := range out[table] {
			if c == col {
				return
			}
		}
		out[table] = append(out[table], col)
	}
	byName := func(col string) bool {
		return col == "professional_id" || col == "user_id" || strings.HasSuffix(col, "_user_id") || col == "cf"
	}
	var q, fk string
	if d.IsPostgres() {
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`
		fk = `SELECT kcu.table_name, kcu.column_name, ccu.table_name FROM information_schema.table_constraints tc
			JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
			JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
			WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()`
	} else {
		q = `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'`
		fk = `SELECT m.name, f."from", f."table" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`
	}
	rows, err := d.Read.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb, c string
		if err := rows.Scan(&tb, &c); err != nil {
			t.Fatal(err)
		}
		if byName(c) {
			add(tb, c)
		}
	}
	rows.Close()
	rows, err = d.Read.QueryContext(ctx, fk)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb, c, ref string
		if err := rows.Scan(&tb, &c, &ref); err != nil {
			t.Fatal(err)
		}
		if ref == "professionals" || ref == "users" {
			add(tb, c)
		}
	}
	rows.Close()
	return out
}

// TestSchemaCoverage fails naming every table that refers to a professional but is neither
// exported nor excluded with a reason: a new table cannot silently stay out of the archive.
func TestSchemaCoverage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		refs := refColumns(t, d)
		if len(refs) < 20 {
			t.Fatalf("schema introspection found only %d referring tables: %v", len(refs), refs)
		}
		covered := map[string]bool{}
		for _, s := range Sources {
			covered[s.Table] = true
		}
		for tb := range SpecialSources {
			covered[tb] = true
		}
		var missing []string
		for tb, cols := range refs {
			if covered[tb] {
				continue
			}
			if reason := Excluded[tb]; strings.TrimSpace(reason) != "" {
				continue
			}
			missing = append(missing, tb+" ("+strings.Join(cols, ", ")+")")
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("tables referring to a professional, neither in privacy.Sources nor in privacy.Excluded with a reason: %s", strings.Join(missing, "; "))
		}
		// Every declared source must exist and its query must run on this dialect.
		s := New(d)
		for _, src := range Sources {
			if _, _, err := s.query(context.Background(), src, 1); err != nil {
				t.Errorf("source %s: %v", src.Section, err)
			}
		}
		for tb := range Excluded {
			if _, ok := refs[tb]; !ok {
				t.Errorf("excluded table %s no longer refers to a professional: drop it from Excluded", tb)
			}
		}
	})
}
