package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"esd/internal/db"
)

// TestCheckpointNamesAReaderThatHoldsTheLog checks that Checkpoint empties the log when no
// read is open, and reports (rather than silently skips) a checkpoint a reader's snapshot
// kept from completing: the condition that let the log grow past 5 GB in a seed at size L.
func TestCheckpointNamesAReaderThatHoldsTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := d.Write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`)
	exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t (v) SELECT printf('%040d', i) FROM n`)
	if _, err := d.Write.ExecContext(ctx, `PRAGMA busy_timeout = 200`); err != nil {
		t.Fatal(err)
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT id FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no row")
	}
	exec(`INSERT INTO t (v) VALUES ('after the read began')`)
	err = d.Checkpoint(ctx)
	if err == nil || !strings.Contains(err.Error(), "reader") {
		t.Errorf("checkpoint with an open read = %v, want an error naming the reader", err)
	}
	rows.Close()
	exec(`INSERT INTO t (v) VALUES ('after the read ended')`)
	if err := d.Checkpoint(ctx); err != nil {
		t.Fatalf("checkpoint with no read open: %v", err)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 0 {
		t.Errorf("log after the checkpoint: %d bytes, want empty", fi.Size())
	}
}
