package backup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/db"
)

// TableSum is one table's row count and content checksum in a manifest.
type TableSum struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// querier is what a *sql.DB, *sql.Conn and *sql.Tx share; checksums run inside the backup's
// snapshot transaction on PostgreSQL and on a plain pool on a SQLite snapshot file.
type querier = db.Querier

// Checksums computes, for every table of the database, its row count and a SHA-256 of its
// rows read in primary-key order (all columns in order when a table has no primary key),
// each value in a canonical encoding (a type tag, then the value's bytes with their length).
// The same function runs on the backup's snapshot and on the restored database, so equal
// sums mean equal content whatever the physical layout (VACUUM, pg_restore) did.
func Checksums(ctx context.Context, q querier, d db.Dialect, progress func(table string, i, n int)) ([]TableSum, error) {
	tables, err := listTables(ctx, q, d)
	if err != nil {
		return nil, err
	}
	out := make([]TableSum, 0, len(tables))
	for i, t := range tables {
		if progress != nil {
			progress(t, i, len(tables))
		}
		order, err := orderColumns(ctx, q, d, t)
		if err != nil {
			return nil, err
		}
		s, err := tableSum(ctx, q, d, t, order)
		if err != nil {
			return nil, fmt.Errorf("checksum of table %s: %w", t, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// listTables returns the ordinary tables, sorted by name. SQLite's own tables are left out
// (sqlite_sequence is rebuilt by the engine); so are virtual tables, whose content lives
// in their shadow tables, which are listed.
func listTables(ctx context.Context, q querier, d db.Dialect) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND COALESCE(sql, '') NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`
	if d == db.Postgres {
		query = `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname`
	}
	return db.Strings(ctx, q, query)
}

// orderColumns is the primary key of table t in key order, or every column when it has none.
func orderColumns(ctx context.Context, q querier, d db.Dialect, t string) ([]string, error) {
	if d == db.Postgres {
		pk, err := db.Strings(ctx, q, `SELECT a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = to_regclass($1) AND i.indisprimary
			ORDER BY array_position(i.indkey::int2[], a.attnum)`, quoteIdent(t))
		if err != nil || len(pk) > 0 {
			return pk, err
		}
		return db.Strings(ctx, q, `SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1)
			AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, quoteIdent(t))
	}
	rows, err := q.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info($1)`, t)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type col struct {
		name string
		pk   int
	}
	var all, pk []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.name, &c.pk); err != nil {
			return nil, err
		}
		all = append(all, c)
		if c.pk > 0 {
			pk = append(pk, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Without a declared key, rowids are not content (VACUUM may renumber them): order by
	// every column instead; rows equal in every column are interchangeable.
	if len(pk) == 0 {
		pk = all
	}
	sort.SliceStable(pk, func(i, j int) bool { return pk[i].pk < pk[j].pk })
	names := make([]string, len(pk))
	for i, c := range pk {
		names[i] = c.name
	}
	return names, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func tableSum(ctx context.Context, q querier, d db.Dialect, t string, order []string) (TableSum, error) {
	quoted := make([]string, len(order))
	for i, c := range order {
		quoted[i] = quoteIdent(c)
	}
	query := "SELECT * FROM " + quoteIdent(t)
	if len(quoted) > 0 {
		query += " ORDER BY " + strings.Join(quoted, ", ")
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return TableSum{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return TableSum{}, err
	}
	h := sha256.New()
	// The column names are part of the content: a restore into a different schema differs.
	for _, c := range cols {
		writeField(h, 'c', []byte(c))
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableSum{}, err
		}
		h.Write([]byte{'R'})
		for _, v := range vals {
			tag, b := canonical(v, buf[:0])
			writeField(h, tag, b)
			buf = b
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return TableSum{}, err
	}
	return TableSum{Name: t, Rows: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func writeField(h interface{ Write([]byte) (int, error) }, tag byte, b []byte) {
	var hdr [9]byte
	hdr[0] = tag
	binary.BigEndian.PutUint64(hdr[1:], uint64(len(b)))
	h.Write(hdr[:])
	h.Write(b)
}

// canonical encodes one scanned value: NULL, integers, floats (shortest form that reads back
// the same), booleans, text and bytes as they are, times in UTC with nanoseconds. The tag
// keeps a text "1" apart from an integer 1.
func canonical(v any, buf []byte) (byte, []byte) {
	switch x := v.(type) {
	case nil:
		return 'N', buf
	case int64:
		return 'i', strconv.AppendInt(buf, x, 10)
	case int32:
		return 'i', strconv.AppendInt(buf, int64(x), 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return 'f', strconv.AppendInt(buf, int64(x), 10)
		}
		return 'f', strconv.AppendFloat(buf, x, 'g', -1, 64)
	case bool:
		if x {
			return 'b', append(buf, '1')
		}
		return 'b', append(buf, '0')
	case string:
		return 's', append(buf, x...)
	case []byte:
		return 's', append(buf, x...)
	case time.Time:
		return 't', x.UTC().AppendFormat(buf, time.RFC3339Nano)
	default:
		return 'x', fmt.Appendf(buf, "%v", x)
	}
}
