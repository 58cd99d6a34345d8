package registry

import (
	"context"
	"database/sql"
	"strings"

	"esd/internal/db"
)

// batchRows returns how many rows one multi-row statement carries. Measured on modernc
// SQLite: binding $N parameters costs time quadratic in their number (a 500-row statement
// of 5 columns ran at ~14 k rows/s), while a prepared statement of about 64 anonymous ?
// parameters reaches ~190 k rows/s. PostgreSQL pays a round trip per statement, so it gets
// big ones (under its 65,535-parameter limit).
func batchRows(d *db.DB, ncols int) int {
	if d.IsPostgres() {
		return max(1, min(500, 60000/ncols))
	}
	return max(1, 64/ncols)
}

// placeholders returns the parameters of row i of ncols values: $N on PostgreSQL, ? on
// SQLite (see batchRows).
func placeholders(d *db.DB, i, ncols int) string {
	if d.IsPostgres() {
		return db.Placeholders(i*ncols+1, ncols)
	}
	return strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ")
}

// execBatch runs head + "(…), (…)" + tail over args (tail must have no parameters), a flat list of rows of ncols values,
// with one prepared statement reused for every full batch and one for the remainder. When
// scan is not nil the statement returns rows (a RETURNING tail) and scan reads each.
func execBatch(ctx context.Context, tx *sql.Tx, d *db.DB, head string, ncols int, tail string, args []any, scan func(*sql.Rows) error) error {
	n := len(args) / ncols
	if n == 0 {
		return nil
	}
	per := batchRows(d, ncols)
	build := func(rows int) string {
		var b strings.Builder
		b.WriteString(head)
		for i := 0; i < rows; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			b.WriteString(placeholders(d, i, ncols))
			b.WriteByte(')')
		}
		b.WriteString(tail)
		return b.String()
	}
	run := func(stmt *sql.Stmt, a []any) error {
		if scan == nil {
			_, err := stmt.ExecContext(ctx, a...)
			return err
		}
		rows, err := stmt.QueryContext(ctx, a...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	full := n / per
	if full > 0 {
		stmt, err := tx.PrepareContext(ctx, build(per))
		if err != nil {
			return err
		}
		for i := 0; i < full; i++ {
			if err := run(stmt, args[i*per*ncols:(i+1)*per*ncols]); err != nil {
				stmt.Close()
				return err
			}
		}
		stmt.Close()
	}
	if rest := n - full*per; rest > 0 {
		stmt, err := tx.PrepareContext(ctx, build(rest))
		if err != nil {
			return err
		}
		defer stmt.Close()
		return run(stmt, args[full*per*ncols:])
	}
	return nil
}
