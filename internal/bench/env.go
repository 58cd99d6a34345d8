package bench

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"esd/internal/db"
)

// DetectEnv describes this machine and database. Dataset fields are left for the caller.
func DetectEnv(ctx context.Context, d *db.DB) Env {
	e := Env{
		NProc:     runtime.NumCPU(),
		CPUModel:  cpuModel(),
		GoVersion: runtime.Version(),
		OSArch:    runtime.GOOS + "/" + runtime.GOARCH,
		Commit:    commit(),
	}
	if d == nil {
		e.SQLiteVersion = sqliteVersion(ctx, nil)
		return e
	}
	e.Database = string(d.Dialect)
	if d.IsPostgres() {
		var v string
		if err := d.Read.QueryRowContext(ctx, `SHOW server_version`).Scan(&v); err == nil {
			e.PostgresVersion = v
		}
		e.SQLiteVersion = sqliteVersion(ctx, nil)
	} else {
		e.SQLiteVersion = sqliteVersion(ctx, d.Read)
	}
	return e
}

// sqliteVersion asks the database, or, on PostgreSQL runs, an in-memory SQLite of the
// same driver (the version the binary would use on the default database).
func sqliteVersion(ctx context.Context, q *sql.DB) string {
	if q == nil {
		m, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			return ""
		}
		defer m.Close()
		q = m
	}
	var v string
	if err := q.QueryRowContext(ctx, `select sqlite_version()`).Scan(&v); err != nil {
		return ""
	}
	return v
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// commit is the git revision the binary was built from (from the build info of `go build`,
// else from git in the working directory for `go run`), with "+dirty" for local changes.
func commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, mod string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				mod = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if mod == "true" {
				rev += "+dirty"
			}
			return rev
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += "+dirty"
	}
	return rev
}
