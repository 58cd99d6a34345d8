package db

import (
	"context"
	"database/sql"
	"strings"
)

// BatchRows returns how many rows one multi-row statement of ncols columns carries. Measured
// on modernc SQLite: binding $N parameters costs time quadratic in their number (a 500-row
// statement of 5 columns ran at ~14 k rows/s), while a prepared statement of about 64
// anonymous ? parameters reaches ~190 k rows/s. PostgreSQL pays a round trip per statement,
// so it gets big ones (under its 65,535-parameter limit).
func BatchRows(postgres bool, ncols int) int {
	if postgres {
		return max(1, min(500, 60000/ncols))
	}
	return max(1, 64/ncols)
}

// rowPlaceholders returns the parameters of row i of ncols values: $N on PostgreSQL, ? on
// SQLite (see BatchRows).
func rowPlaceholders(postgres bool, i, ncols int) string {
	if postgres {
		return Placeholders(i*ncols+1, ncols)
	}
	return AnonymousPlaceholders(ncols)
}

// AnonymousPlaceholders returns "?, ?, …" for n parameters (SQLite's cheapest to bind).
func AnonymousPlaceholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// ExecBatch runs head + "(…), (…)" + tail over args, a flat list of rows of ncols values
// (tail must have no parameters), with one prepared statement reused for every full batch
// and one for the remainder. When scan is not nil the statement returns rows (a RETURNING
// tail) and scan reads each.
func ExecBatch(ctx context.Context, tx *sql.Tx, postgres bool, head string, ncols int, tail string, args []any, scan func(*sql.Rows) error) error {
	return ExecBatchRows(ctx, tx, postgres, BatchRows(postgres, ncols), head, ncols, tail, args, scan)
}

// ExecBatchRows is ExecBatch with per rows in each statement, for wide rows whose measured
// best differs from BatchRows (on SQLite, 20-column participation rows go faster 12 to a
// statement than 3).
func ExecBatchRows(ctx context.Context, tx *sql.Tx, postgres bool, per int, head string, ncols int, tail string, args []any, scan func(*sql.Rows) error) error {
	n := len(args) / ncols
	if n == 0 {
		return nil
	}
	per = max(1, per)
	build := func(rows int) string {
		var b strings.Builder
		b.WriteString(head)
		for i := 0; i < rows; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			b.WriteString(rowPlaceholders(postgres, i, ncols))
			b.WriteByte(')')
		}
		b.WriteString(tail)
		return b.String()
	}
	run := func(stmt *sql.Stmt, a []any) error {
		if scan == nil {
			_, err := stmt.ExecContext(ctx, a...)
			return MapError(err)
		}
		rows, err := stmt.QueryContext(ctx, a...)
		if err != nil {
			return MapError(err)
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

// InsertRows inserts rows (each of len(cols) values) into table inside tx in multi-row
// statements sized by BatchRows.
func InsertRows(ctx context.Context, tx *sql.Tx, postgres bool, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	args := make([]any, 0, len(rows)*len(cols))
	for _, r := range rows {
		args = append(args, r...)
	}
	return ExecBatch(ctx, tx, postgres, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ", len(cols), "", args, nil)
}

// Strings runs a query whose rows are one text column (codes, column names) and returns them.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Int64s runs a query whose rows are one integer column (ids, mostly) and returns them.
func Int64s(ctx context.Context, q Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ReserveIDs returns the first id for new rows of table, for a bulk insert that must know
// its ids (answers refer to their assessment, levels to their evidence). On SQLite the single
// write connection makes MAX(id)+1 safe inside the transaction; on PostgreSQL the table is
// locked against other inserts until commit and the ids come past both the rows and the
// identity sequence, which the caller advances after the insert.
func ReserveIDs(ctx context.Context, tx *sql.Tx, pg bool, table string) (int64, error) {
	var last int64
	q := `SELECT COALESCE(MAX(id), 0) FROM ` + table
	if pg {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE `+table+` IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return 0, err
		}
		q = `SELECT GREATEST(COALESCE((SELECT MAX(id) FROM ` + table + `), 0), (SELECT last_value FROM ` + table + `_id_seq))`
	}
	if err := tx.QueryRowContext(ctx, q).Scan(&last); err != nil {
		return 0, MapError(err)
	}
	return last + 1, nil
}

// AdvanceIDs moves table's identity sequence past the rows a bulk insert wrote with ids
// from ReserveIDs (PostgreSQL; SQLite needs nothing), so later inserts do not collide.
func AdvanceIDs(ctx context.Context, tx *sql.Tx, pg bool, table string) error {
	if !pg {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), (SELECT MAX(id) FROM `+table+`))`)
	return MapError(err)
}
