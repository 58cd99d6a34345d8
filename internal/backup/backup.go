// Package backup writes and restores online backups of ESD's database. A backup is a tar.gz
// archive holding manifest.json (per-table row counts and content checksums, computed on the
// very snapshot that was saved) and the data: on SQLite a copy made with VACUUM INTO (a
// consistent snapshot taken while the server keeps writing), on PostgreSQL a pg_dump custom
// archive taken in the same exported snapshot the checksums read. Restore puts the data into
// an empty database, recomputes the checksums the same way and refuses to call a restore done
// unless every table matches.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Archive member names.
const (
	manifestName = "manifest.json"
	sqliteName   = "esd.db"
	pgDumpName   = "esd.pgdump"
	formatName   = "esd-backup"
)

// Manifest describes a backup archive.
type Manifest struct {
	Format        string     `json:"format"`
	FormatVersion int        `json:"format_version"`
	Dialect       db.Dialect `json:"dialect"`
	CreatedAt     time.Time  `json:"created_at"`
	AppVersion    string     `json:"app_version,omitempty"`
	ServerVersion string     `json:"server_version,omitempty"`
	Tool          string     `json:"tool"`
	DataFile      string     `json:"data_file"`
	DataBytes     int64      `json:"data_bytes"`
	DataSHA256    string     `json:"data_sha256"`
	Tables        []TableSum `json:"tables"`
}

// TotalRows is the sum of every table's rows.
func (m Manifest) TotalRows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// Options tune a backup or a restore.
type Options struct {
	// Progress receives one line per step (stderr for the commands); nil is silent.
	Progress io.Writer
	// AppVersion is written into the manifest.
	AppVersion string
	// Force lets a restore replace a database that is not empty.
	Force bool
}

func (o Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// Backup writes an archive of the open database d to the file out, without stopping writers.
func Backup(ctx context.Context, d *db.DB, out string, o Options) (Manifest, error) {
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".esd-backup-*")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(tmp)
	m := Manifest{Format: formatName, FormatVersion: 1, Dialect: d.Dialect, CreatedAt: db.Now(), AppVersion: o.AppVersion}
	var data string
	if d.Dialect == db.SQLite {
		data = filepath.Join(tmp, sqliteName)
		if err := snapshotSQLite(ctx, d, data, &m, o); err != nil {
			return Manifest{}, err
		}
	} else {
		data = filepath.Join(tmp, pgDumpName)
		if err := dumpPostgres(ctx, d, data, &m, o); err != nil {
			return Manifest{}, err
		}
	}
	sum, size, err := fileSHA256(data)
	if err != nil {
		return Manifest{}, err
	}
	m.DataFile, m.DataBytes, m.DataSHA256 = filepath.Base(data), size, sum
	o.logf("archivio %s (%d tabelle, %d righe, dati %d byte)", out, len(m.Tables), m.TotalRows(), size)
	if err := writeArchive(out, m, data); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// snapshotSQLite copies the database with VACUUM INTO, which reads it inside one read
// transaction (so the copy is a consistent snapshot while the writer goes on), then reads the
// checksums from the copy itself: they describe exactly what the archive holds.
func snapshotSQLite(ctx context.Context, d *db.DB, path string, m *Manifest, o Options) error {
	o.logf("copia SQLite con VACUUM INTO …")
	start := time.Now()
	// A connection of its own: the read pool is query_only, and the writer must stay free.
	src, err := sql.Open("sqlite", "file:"+d.URL+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		return fmt.Errorf("VACUUM INTO %s: %w", path, diskFull(err))
	}
	o.logf("copia fatta in %d ms", time.Since(start).Milliseconds())
	var ver string
	_ = src.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&ver)
	m.ServerVersion, m.Tool = "SQLite "+ver, "VACUUM INTO"
	snap, err := openSQLiteFile(path, true)
	if err != nil {
		return err
	}
	defer snap.Close()
	m.Tables, err = Checksums(ctx, snap, db.SQLite, progressFunc(o))
	return err
}

func progressFunc(o Options) func(string, int, int) {
	if o.Progress == nil {
		return nil
	}
	return func(t string, i, n int) {
		if i%20 == 0 || i == n-1 {
			o.logf("checksum tabelle %d/%d (%s)", i+1, n, t)
		}
	}
}

func openSQLiteFile(path string, readOnly bool) (*sql.DB, error) {
	q := "?_pragma=busy_timeout(10000)"
	if readOnly {
		q += "&mode=ro"
	}
	x, err := sql.Open("sqlite", "file:"+path+q)
	if err != nil {
		return nil, err
	}
	x.SetMaxOpenConns(1)
	return x, nil
}

// dumpPostgres exports a snapshot from a REPEATABLE READ transaction, runs pg_dump on that
// snapshot and computes the checksums in the same transaction, so the dump and the manifest
// describe the same instant while the server keeps writing.
func dumpPostgres(ctx context.Context, d *db.DB, path string, m *Manifest, o Options) error {
	tool, err := pgTool(ctx, d.Read, "pg_dump")
	if err != nil {
		return err
	}
	m.Tool, m.ServerVersion = tool.version, tool.server
	tx, err := d.Read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var snapshot string
	if err := tx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return err
	}
	o.logf("pg_dump (snapshot %s) …", snapshot)
	start := time.Now()
	cmd := exec.CommandContext(ctx, tool.path, "--format=custom", "--no-owner", "--no-privileges",
		"--snapshot="+snapshot, "--file="+path, "--dbname="+d.URL)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(string(b)))
	}
	o.logf("pg_dump fatto in %d ms", time.Since(start).Milliseconds())
	m.Tables, err = Checksums(ctx, tx, db.Postgres, progressFunc(o))
	return err
}

type pgToolInfo struct {
	path, version, server string
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// pgTool finds pg_dump or pg_restore on PATH and checks that its major version is at least
// the server's: an older pg_dump refuses a newer server, and an older pg_restore cannot read
// the archives of a newer pg_dump.
func pgTool(ctx context.Context, conn *sql.DB, name string) (pgToolInfo, error) {
	var serverNum int
	var server string
	if err := conn.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int, version()").Scan(&serverNum, &server); err != nil {
		return pgToolInfo{}, err
	}
	major := serverNum / 10000
	path, err := exec.LookPath(name)
	if err != nil {
		return pgToolInfo{}, &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf(
			"%s non si trova nel PATH: installare il client PostgreSQL %d o più recente (Debian: postgresql-client-%d) / %s not found on PATH: install PostgreSQL client %d or newer",
			name, major, major, name, major)}
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return pgToolInfo{}, fmt.Errorf("%s --version: %w", name, err)
	}
	v := strings.TrimSpace(string(out))
	mm := versionRE.FindStringSubmatch(v)
	if mm == nil {
		return pgToolInfo{}, fmt.Errorf("%s --version: versione illeggibile %q", name, v)
	}
	tm, _ := strconv.Atoi(mm[1])
	if tm < major {
		return pgToolInfo{}, &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf(
			"%s è della versione %d, il server della %d: serve un client PostgreSQL %d o più recente / %s is version %d, the server %d",
			name, tm, major, major, name, tm, major)}
	}
	return pgToolInfo{path: path, version: v, server: server}, nil
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// writeArchive writes manifest and data into out through a temporary file renamed at the
// end, so a crash or a full disk never leaves a truncated archive under the final name.
func writeArchive(out string, m Manifest, data string) (err error) {
	f, err := os.CreateTemp(filepath.Dir(out), ".esd-backup-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(mb)), ModTime: m.CreatedAt}); err != nil {
		return err
	}
	if _, err := tw.Write(mb); err != nil {
		return err
	}
	df, err := os.Open(data)
	if err != nil {
		return err
	}
	defer df.Close()
	if err := tw.WriteHeader(&tar.Header{Name: m.DataFile, Mode: 0o600, Size: m.DataBytes, ModTime: m.CreatedAt}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, df); err != nil {
		return diskFull(err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return diskFull(err)
	}
	if err := f.Sync(); err != nil {
		return diskFull(err)
	}
	if err := f.Close(); err != nil {
		return diskFull(err)
	}
	return os.Rename(f.Name(), out)
}

// readArchive checks the archive's structure and extracts its data file into dir; it
// returns the manifest and the extracted path after checking the data's SHA-256.
func readArchive(archive, dir string) (Manifest, string, error) {
	var m Manifest
	f, err := os.Open(archive)
	if err != nil {
		return m, "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return m, "", bad(archive, "non è un archivio tar.gz di esd backup / not an esd backup tar.gz: %v", err)
	}
	tr := tar.NewReader(zr)
	var data string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, "", bad(archive, "archivio danneggiato / damaged archive: %v", err)
		}
		switch h.Name {
		case manifestName:
			if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&m); err != nil {
				return m, "", bad(archive, "manifest.json illeggibile / unreadable manifest.json: %v", err)
			}
		case sqliteName, pgDumpName:
			data = filepath.Join(dir, h.Name)
			w, err := os.Create(data)
			if err != nil {
				return m, "", err
			}
			if _, err := io.Copy(w, tr); err != nil {
				w.Close()
				return m, "", bad(archive, "archivio danneggiato / damaged archive: %v", diskFull(err))
			}
			if err := w.Close(); err != nil {
				return m, "", diskFull(err)
			}
		default:
			return m, "", bad(archive, "elemento inatteso %q nell'archivio / unexpected member", h.Name)
		}
	}
	if m.Format != formatName {
		return m, "", bad(archive, "manifest.json mancante o di un altro formato / missing manifest.json or another format")
	}
	if data == "" || filepath.Base(data) != m.DataFile {
		return m, "", bad(archive, "il file dei dati %q manca / the data file is missing", m.DataFile)
	}
	sum, size, err := fileSHA256(data)
	if err != nil {
		return m, "", err
	}
	if sum != m.DataSHA256 || size != m.DataBytes {
		return m, "", bad(archive, "%s: checksum %s (%d byte), il manifest dice %s (%d byte) / data checksum mismatch", m.DataFile, sum, size, m.DataSHA256, m.DataBytes)
	}
	return m, data, nil
}

func bad(archive, format string, args ...any) error {
	return &domain.Error{Code: domain.EINVALID, Message: archive + ": " + fmt.Sprintf(format, args...)}
}

// diskFull turns a full disk into the domain error people understand.
func diskFull(err error) error {
	if db.IsDiskFull(err) {
		return &domain.Error{Code: domain.EUNAVAILABLE, Message: db.DiskFullMessage, Err: err}
	}
	return err
}
