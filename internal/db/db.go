// Package db wraps the two SQL databases ESD runs on: an embedded SQLite file (the default,
// through the pure-Go modernc driver) and PostgreSQL (through pgx). It owns connection
// pools, the embedded migrations of both dialects, transactions and the mapping of driver
// errors to domain errors. Capability packages write their SQL with $1, $2 placeholders,
// which both drivers accept, and run it through a *DB.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"esd/internal/domain"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL dialect of a database.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database: a pool for reads and, on SQLite, a single-connection pool for
// writes (SQLite allows one writer at a time; funnelling writes through one connection turns
// lock contention into queueing). On PostgreSQL both fields point at the same pool.
type DB struct {
	Read    *sql.DB
	Write   *sql.DB
	Dialect Dialect
	// URL is the location it was opened from (a file path or a postgres:// URL).
	URL string
}

// IsPostgres reports whether the database is PostgreSQL.
func (d *DB) IsPostgres() bool { return d.Dialect == Postgres }

// Open opens the database at dsn: a postgres:// (or postgresql://) URL, or a SQLite file path
// (created with its folder if missing). It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		p, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		p.SetMaxOpenConns(16)
		p.SetMaxIdleConns(8)
		p.SetConnMaxIdleTime(5 * time.Minute)
		if err := p.PingContext(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("connect postgres: %w", err)
		}
		return &DB{Read: p, Write: p, Dialect: Postgres, URL: dsn}, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data folder: %w", err)
		}
	}
	// busy_timeout first so the other pragmas wait rather than fail; WAL so readers never
	// block the writer; synchronous=NORMAL is durable in WAL except on power loss of the
	// last commits; an explicit cache budget keeps memory bounded whatever the data size.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)",
		"foreign_keys(1)", "cache_size(-32000)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	src := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", src)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	rq := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "cache_size(-16000)", "query_only(1)"} {
		rq.Add("_pragma", p)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &DB{Read: r, Write: w, Dialect: SQLite, URL: path}, nil
}

// WidenWriteCache raises the page cache of the SQLite writer connection to mib MiB for a
// bulk job such as the seed (nothing on PostgreSQL). At national size the random-key
// indexes being filled (participations by edition, event and scope; credit entries; the
// evidence) outgrow the 32 MB the server keeps, and every insert then re-reads index pages
// from the OS. The server never calls it: its memory budget stays as Open sets it.
func (d *DB) WidenWriteCache(ctx context.Context, mib int) error {
	if d.Dialect != SQLite || mib <= 0 {
		return nil
	}
	_, err := d.Write.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", mib*1024))
	return err
}

// SetAutoCheckpoint sets how large, in MiB, the SQLite write-ahead log may grow before a
// commit copies it into the database file (nothing on PostgreSQL; mib <= 0 keeps SQLite's
// 1,000 pages). A bulk job whose transactions each write more than the default moves every
// page twice per commit (into the log, then into the file); with a larger log a page
// rewritten by many commits reaches the file once per checkpoint.
func (d *DB) SetAutoCheckpoint(ctx context.Context, mib int) error {
	if d.Dialect != SQLite || mib <= 0 {
		return nil
	}
	var page int
	if err := d.Write.QueryRowContext(ctx, "PRAGMA page_size").Scan(&page); err != nil {
		return err
	}
	_, err := d.Write.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", mib<<20/max(page, 512)))
	return err
}

// Checkpoint copies the SQLite write-ahead log into the database file and truncates it
// (nothing on PostgreSQL). Bulk jobs call it between their stages: a log checkpointed only
// by the automatic passive checkpoints can stay large after a long stage, and every read
// then searches a larger log index.
func (d *DB) Checkpoint(ctx context.Context) error {
	if d.Dialect != SQLite {
		return nil
	}
	var busy, logged, done int
	if err := d.Write.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: a reader kept the log busy (%d of %d frames copied)", done, logged)
	}
	return nil
}

// Close closes both pools.
func (d *DB) Close() error {
	err := d.Write.Close()
	if d.Read != d.Write {
		if e := d.Read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Tx runs fn in a write transaction, committing if fn returns nil and rolling back
// otherwise. Errors are passed through MapError.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.Write.BeginTx(ctx, nil)
	if err != nil {
		return MapError(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return MapError(err)
	}
	return MapError(tx.Commit())
}

// Querier is what both *sql.DB and *sql.Tx offer; helpers take it so they run inside or
// outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// MapError turns driver errors into domain errors: unique and foreign-key violations on
// either database become ECONFLICT / EINVALID; sql.ErrNoRows becomes ENOTFOUND. Other
// errors are returned unchanged (they end up as EINTERNAL).
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if domain.AsError(err) != nil {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &domain.Error{Code: domain.ENOTFOUND, Message: "not found", Err: err}
	}
	if IsDiskFull(err) {
		return &domain.Error{Code: domain.EUNAVAILABLE, Message: DiskFullMessage, Err: err}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &domain.Error{Code: domain.ECONFLICT, Message: "already exists", Err: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &domain.Error{Code: domain.EINVALID, Message: "refers to something that does not exist", Err: err}
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &domain.Error{Code: domain.ECONFLICT, Message: "already exists", Err: err}
		case "23503":
			return &domain.Error{Code: domain.EINVALID, Message: "refers to something that does not exist", Err: err}
		}
	}
	return err
}

// DiskFullMessage is what a person reads when the database's disk is full: the cause, and
// that nothing of the operation was kept (the transaction rolled back).
const DiskFullMessage = "disco pieno: il database non ha più spazio, nulla è stato salvato; liberare spazio e riprovare / disk full: the database has no space left, nothing was saved; free some space and try again"

// IsDiskFull reports whether err says the disk (or SQLite's max_page_count) is full:
// SQLITE_FULL, ENOSPC from the file system, or PostgreSQL's disk_full (53100).
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" {
		return true
	}
	// Some paths (a failed commit, a wrapped driver error) keep only the text.
	msg := err.Error()
	return strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "no space left on device")
}

// Placeholders returns "$from, $from+1, …" for n parameters, for building multi-row inserts.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// Now returns the current time in UTC truncated to microseconds, the precision both
// databases keep, so a value written and read back compares equal.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
