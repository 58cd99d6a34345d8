package registry

import (
	"context"
	"database/sql"

	"esd/internal/db"
)

// placeholders returns the parameters of row i of ncols values for the registry's database:
// $N on PostgreSQL, ? on SQLite (see db.BatchRows for why).
func placeholders(d *db.DB, i, ncols int) string {
	if d.IsPostgres() {
		return db.Placeholders(i*ncols+1, ncols)
	}
	return db.AnonymousPlaceholders(ncols)
}

// execBatch runs a multi-row statement over args on the registry's database (db.ExecBatch).
func execBatch(ctx context.Context, tx *sql.Tx, d *db.DB, head string, ncols int, tail string, args []any, scan func(*sql.Rows) error) error {
	return db.ExecBatch(ctx, tx, d.IsPostgres(), head, ncols, tail, args, scan)
}
