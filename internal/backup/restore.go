package backup

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Report is the outcome of a restore or a verification: the manifest and, table by table,
// what was found against what the manifest says.
type Report struct {
	Manifest   Manifest   `json:"manifest"`
	Found      []TableSum `json:"found,omitempty"`
	Mismatches []string   `json:"mismatches,omitempty"`
	Millis     int64      `json:"millis"`
}

// OK reports whether every table matched.
func (r Report) OK() bool { return len(r.Mismatches) == 0 }

// compare lists every table whose count or checksum differs, and tables present on one side only.
func compare(want, got []TableSum) []string {
	g := map[string]TableSum{}
	for _, t := range got {
		g[t.Name] = t
	}
	var out []string
	for _, w := range want {
		f, ok := g[w.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("tabella %s: manca / missing", w.Name))
		case f.Rows != w.Rows:
			out = append(out, fmt.Sprintf("tabella %s: %d righe, il manifest ne dice %d / rows differ", w.Name, f.Rows, w.Rows))
		case f.SHA256 != w.SHA256:
			out = append(out, fmt.Sprintf("tabella %s: checksum %s, il manifest dice %s / checksum differs", w.Name, f.SHA256[:12], w.SHA256[:12]))
		}
		delete(g, w.Name)
	}
	for name := range g {
		out = append(out, fmt.Sprintf("tabella %s: non è nel manifest / not in the manifest", name))
	}
	return out
}

// Verify checks an archive on its own: its structure and the data file's SHA-256 and, for a
// SQLite archive, every table's count and checksum recomputed from the extracted copy. A
// PostgreSQL archive is also listed with pg_restore --list when pg_restore is present (its
// tables' checksums can only be recomputed by a restore).
func Verify(ctx context.Context, archive string, o Options) (Report, error) {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "esd-verify-*")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(tmp)
	m, data, err := readArchive(archive, tmp)
	if err != nil {
		return Report{}, err
	}
	r := Report{Manifest: m}
	o.logf("%s: formato %s v%d, %s, %d tabelle, %d righe, dati integri (sha256 %s)", archive, m.Format, m.FormatVersion, m.Dialect, len(m.Tables), m.TotalRows(), m.DataSHA256[:12])
	if m.Dialect == db.SQLite {
		x, err := openSQLiteFile(data, true)
		if err != nil {
			return r, err
		}
		defer x.Close()
		var ic string
		if err := x.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ic); err != nil {
			return r, err
		}
		if ic != "ok" {
			r.Mismatches = append(r.Mismatches, "integrity_check: "+ic)
		}
		if r.Found, err = Checksums(ctx, x, db.SQLite, progressFunc(o)); err != nil {
			return r, err
		}
		r.Mismatches = append(r.Mismatches, compare(m.Tables, r.Found)...)
	} else if path, err := exec.LookPath("pg_restore"); err == nil {
		if b, err := exec.CommandContext(ctx, path, "--list", data).CombinedOutput(); err != nil {
			r.Mismatches = append(r.Mismatches, "pg_restore --list: "+strings.TrimSpace(string(b)))
		}
	} else {
		o.logf("pg_restore assente: verificati solo struttura e checksum del file dei dati")
	}
	r.Millis = time.Since(start).Milliseconds()
	if !r.OK() {
		return r, mismatchError(archive, r.Mismatches)
	}
	return r, nil
}

func mismatchError(what string, mm []string) error {
	e := &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("%s: %d differenze dal manifest / %d differences from the manifest", what, len(mm), len(mm))}
	for _, s := range mm {
		e.Details = append(e.Details, domain.Problem{Field: "table", Reason: s})
	}
	return e
}

// Restore writes the archive into the database at dsn (a SQLite path or a postgres:// URL),
// which must be empty unless o.Force, then recomputes every table's count and checksum and
// fails, naming the tables, unless they all equal the manifest's.
func Restore(ctx context.Context, archive, dsn string, o Options) (Report, error) {
	start := time.Now()
	isPG := strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	dir := ""
	if !isPG {
		dir = filepath.Dir(dsn)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return Report{}, err
		}
	}
	tmp, err := os.MkdirTemp(dir, ".esd-restore-*")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(tmp)
	m, data, err := readArchive(archive, tmp)
	if err != nil {
		return Report{}, err
	}
	r := Report{Manifest: m}
	want := db.SQLite
	if isPG {
		want = db.Postgres
	}
	if m.Dialect != want {
		return r, &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf(
			"l'archivio è di un database %s, la destinazione è %s / the archive is of a %s database, the target is %s", m.Dialect, want, m.Dialect, want)}
	}
	o.logf("ripristino di %s (%d tabelle, %d righe) …", archive, len(m.Tables), m.TotalRows())
	if isPG {
		r.Found, err = restorePostgres(ctx, data, dsn, o)
	} else {
		r.Found, err = restoreSQLite(ctx, data, dsn, o)
	}
	if err != nil {
		return r, err
	}
	r.Mismatches = compare(m.Tables, r.Found)
	r.Millis = time.Since(start).Milliseconds()
	if !r.OK() {
		return r, mismatchError(dsn, r.Mismatches)
	}
	return r, nil
}

func restoreSQLite(ctx context.Context, data, path string, o Options) ([]TableSum, error) {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		x, err := openSQLiteFile(path, true)
		if err != nil {
			return nil, err
		}
		var n int
		err = x.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&n)
		x.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: non è un database SQLite leggibile: %w", path, err)
		}
		if n > 0 && !o.Force {
			return nil, notEmpty(path, n)
		}
	}
	// Check the copy before it takes the target's name: a restore that fails leaves the
	// target as it was.
	x, err := openSQLiteFile(data, false)
	if err != nil {
		return nil, err
	}
	var ic string
	if err := x.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		x.Close()
		return nil, fmt.Errorf("integrity_check della copia: %q %v", ic, err)
	}
	// The server opens in WAL mode; the snapshot is in rollback mode after VACUUM INTO.
	if _, err := x.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		x.Close()
		return nil, err
	}
	x.Close()
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	if err := os.Rename(data, path); err != nil {
		return nil, err
	}
	o.logf("file ripristinato in %s; verifica dei checksum …", path)
	y, err := openSQLiteFile(path, true)
	if err != nil {
		return nil, err
	}
	defer y.Close()
	return Checksums(ctx, y, db.SQLite, progressFunc(o))
}

func restorePostgres(ctx context.Context, data, dsn string, o Options) ([]TableSum, error) {
	conn, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	tool, err := pgTool(ctx, conn, "pg_restore")
	if err != nil {
		return nil, err
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'v', 'S', 'p', 'm')`).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		if !o.Force {
			return nil, notEmpty(redact(dsn), n)
		}
		o.logf("--force: svuoto lo schema %s", "public")
		if _, err := conn.ExecContext(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"); err != nil {
			return nil, err
		}
	}
	o.logf("pg_restore …")
	start := time.Now()
	// One transaction: a restore that fails half way leaves the database empty, not half full.
	cmd := exec.CommandContext(ctx, tool.path, "--no-owner", "--no-privileges", "--single-transaction",
		"--exit-on-error", "--dbname="+dsn, data)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, diskFull(fmt.Errorf("pg_restore: %v: %s", err, strings.TrimSpace(string(b))))
	}
	o.logf("pg_restore fatto in %d ms; verifica dei checksum …", time.Since(start).Milliseconds())
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return Checksums(ctx, tx, db.Postgres, progressFunc(o))
}

func notEmpty(where string, n int) error {
	return &domain.Error{Code: domain.ECONFLICT, Message: fmt.Sprintf(
		"%s non è vuoto (%d tabelle): il ripristino va fatto in un database nuovo, oppure con --force per sostituirne il contenuto / %s is not empty (%d tables): restore into a new database, or use --force to replace it",
		where, n, where, n)}
}

// redact hides a password in a postgres:// URL before it is printed.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.Index(dsn[i+3:], "@"); at >= 0 {
			cred := dsn[i+3 : i+3+at]
			if u, _, ok := strings.Cut(cred, ":"); ok {
				return dsn[:i+3] + u + ":***" + dsn[i+3+at:]
			}
		}
	}
	return dsn
}
