package backup_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/auth"
	"esd/internal/backup"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// TestBackupWhileWritingRestoreVerified seeds the demo world, backs it up while a goroutine
// keeps creating accounts, restores into a fresh database, checks counts and checksums
// (Restore recomputes them; the test also recomputes them itself from the restored database),
// that every account acknowledged before the backup began is there, and that the platform
// opens on the restored database and lets the admin log in.
func TestBackupWhileWritingRestoreVerified(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		if d == db.Postgres {
			if _, err := exec.LookPath("pg_dump"); err != nil {
				t.Skip("pg_dump not on PATH (install postgresql-client)")
			}
		}
		e := apptest.Start(t, d, apptest.Options{Demo: true})
		ctx := context.Background()
		var mu sync.Mutex
		var acked []string
		var n atomic.Int64
		stop := make(chan struct{})
		writerDone := make(chan error, 1)
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					writerDone <- nil
					return
				default:
				}
				name := fmt.Sprintf("burst%04d", i)
				_, err := e.M.Auth.CreateUser(e.Sys(), auth.NewUser{Username: name, Password: "pw-burst-123456", Role: domain.RoleAnalyst})
				if err != nil {
					writerDone <- err
					return
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
				n.Add(1)
			}
		}()
		// Let some writes land first, so "acknowledged before the backup" is not empty.
		for n.Load() < 3 {
			if len(writerDone) > 0 {
				break
			}
		}
		mu.Lock()
		before := append([]string(nil), acked...)
		mu.Unlock()
		out := filepath.Join(t.TempDir(), "esd-backup.tar.gz")
		var progress strings.Builder
		man, err := backup.Backup(ctx, e.M.DB, out, backup.Options{Progress: &progress})
		afterBackup := n.Load()
		close(stop)
		if werr := <-writerDone; werr != nil {
			t.Fatalf("writer: %v", werr)
		}
		if err != nil {
			t.Fatalf("backup: %v\n%s", err, progress.String())
		}
		if afterBackup <= int64(len(before)) {
			t.Logf("no write landed during the backup (%d before, %d after)", len(before), afterBackup)
		}
		if !strings.Contains(progress.String(), "checksum tabelle") {
			t.Errorf("no progress printed: %q", progress.String())
		}
		rows := map[string]int64{}
		for _, s := range man.Tables {
			rows[s.Name] = s.Rows
		}
		for _, tbl := range []string{"users", "professionals", "events", "audit_log", "schema_migrations"} {
			if rows[tbl] == 0 {
				t.Errorf("manifest: table %s has no rows (%v)", tbl, rows[tbl])
			}
		}

		if _, err := backup.Verify(ctx, out, backup.Options{}); err != nil {
			t.Fatalf("verify: %v", err)
		}

		target := dbtest.URL(t, d)
		rep, err := backup.Restore(ctx, out, target, backup.Options{})
		if err != nil {
			t.Fatalf("restore: %v", err)
		}
		if !rep.OK() || len(rep.Found) != len(man.Tables) {
			t.Fatalf("restore report: %+v", rep.Mismatches)
		}
		// A second restore into the now full database is refused, naming the problem.
		if _, err := backup.Restore(ctx, out, target, backup.Options{}); err == nil || !strings.Contains(err.Error(), "non è vuoto") {
			t.Fatalf("restore into a full database: %v", err)
		}

		// Recompute independently of Restore's own comparison.
		rd, err := db.Open(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		got, err := backup.Checksums(ctx, rd.Read, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(man.Tables) {
			t.Fatalf("restored %d tables, manifest %d", len(got), len(man.Tables))
		}
		for i := range got {
			if got[i] != man.Tables[i] {
				t.Errorf("table %s: restored %+v, manifest %+v", got[i].Name, got[i], man.Tables[i])
			}
		}
		for _, name := range before {
			var c int
			if err := rd.Read.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE username = $1", name).Scan(&c); err != nil || c != 1 {
				t.Errorf("account %s acknowledged before the backup: %d rows, %v", name, c, err)
			}
		}
		var users int64
		if err := rd.Read.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&users); err != nil || users != rows["users"] {
			t.Errorf("restored users %d, manifest %d (%v)", users, rows["users"], err)
		}
		rd.Close()

		// A damaged archive is refused by --verify.
		bad := filepath.Join(t.TempDir(), "bad.tar.gz")
		b, _ := os.ReadFile(out)
		b[len(b)/2] ^= 0xff
		if err := os.WriteFile(bad, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := backup.Verify(ctx, bad, backup.Options{}); err == nil {
			t.Error("a damaged archive passed verification")
		}

		// The platform opens on the restored database and the admin logs in.
		m, err := app.New(ctx, app.Config{DatabaseURL: target, DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: io.Discard})
		if err != nil {
			t.Fatalf("app on the restored database: %v", err)
		}
		defer m.Close()
		if _, _, err := m.Auth.Login(ctx, "admin", apptest.AdminPassword, "127.0.0.1"); err != nil {
			t.Fatalf("admin login on the restored database: %v", err)
		}
		t.Logf("%s: %d tables, %d rows, %d accounts written meanwhile (%d before the backup)", d, len(man.Tables), man.TotalRows(), afterBackup, len(before))
	})
}
