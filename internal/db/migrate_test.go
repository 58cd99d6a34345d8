package db_test

import (
	"context"
	"slices"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// The two dialects must carry the same migrations under the same names; otherwise a database
// migrated on one would differ from the other.
func TestMigrationListsMatch(t *testing.T) {
	s, err := db.MigrationNames(db.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.MigrationNames(db.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) == 0 || !slices.Equal(s, p) {
		t.Fatalf("migration lists drift apart:\nsqlite   %v\npostgres %v", s, p)
	}
}

func TestMigrateTwiceAndAppendOnlyAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		x := dbtest.Open(t, d)
		ctx := context.Background()
		if err := x.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		_, err := x.Write.ExecContext(ctx, `INSERT INTO audit_log (at, actor_name, actor_role, request_id, action, entity, entity_id)
			VALUES ($1, 'x', 'system', 'r', 'create', 'thing', '1')`, db.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Write.ExecContext(ctx, `UPDATE audit_log SET action = 'forged'`); err == nil {
			t.Fatal("audit_log accepted an UPDATE")
		}
		if _, err := x.Write.ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
			t.Fatal("audit_log accepted a DELETE")
		}
	})
}
