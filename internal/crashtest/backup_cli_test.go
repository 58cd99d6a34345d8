package crashtest

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/registry"
)

// TestBackupCommandOnline runs the commands as an operator would: `esd backup` while the
// server is running and registering professionals from four clients, `esd backup --verify`,
// `esd restore` into a fresh database (and again, refused), then `esd serve` on the restored
// database, where every registration acknowledged before the backup started is present.
func TestBackupCommandOnline(t *testing.T) {
	bin := esdBinary(t)
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		if d == db.Postgres {
			if _, err := exec.LookPath("pg_dump"); err != nil {
				t.Skip("pg_dump not on PATH (install postgresql-client)")
			}
		}
		dsn := dbtest.URL(t, d)
		s := start(t, bin, dsn, t.TempDir())
		c := s.login(t)
		x := openDirect(t, d, dsn)
		if err := x.QueryRow("SELECT id FROM regions WHERE minsal_code = '090'").Scan(&toscanaID); err != nil {
			t.Fatal(err)
		}
		x.Close()

		var mu sync.Mutex
		var acked []string
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				g := registry.NewGenerator(uint64(w)*7777+uint64(len(d)), []string{"L219"})
				for {
					select {
					case <-stop:
						return
					default:
					}
					p := g.Person()
					body := fmt.Sprintf(`{"codice_fiscale":%q,"family_name":%q,"given_name":%q,"professions":[{"profession":14,"discipline":85}],"region_id":%d,"employment":"dipendente","care_setting":"ospedale"}`,
						p.CF, p.Family, p.Given, toscanaID)
					st, resp, err := c.do("POST", "/api/v1/professionals", "application/json", []byte(body))
					if err != nil || st/100 != 2 {
						t.Errorf("registration during the backup: %d %v %.200s", st, err, resp)
						return
					}
					mu.Lock()
					acked = append(acked, p.CF)
					mu.Unlock()
				}
			}(w)
		}
		for {
			mu.Lock()
			n := len(acked)
			mu.Unlock()
			if n >= 20 {
				break
			}
		}
		mu.Lock()
		before := append([]string(nil), acked...)
		mu.Unlock()
		archive := filepath.Join(t.TempDir(), "esd.tar.gz")
		out, err := exec.Command(bin, "backup", "--out", archive, "--db", dsn).CombinedOutput()
		mu.Lock()
		during := len(acked) - len(before)
		mu.Unlock()
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatalf("esd backup: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "backup scritto in") || !strings.Contains(string(out), "checksum tabelle") {
			t.Fatalf("esd backup printed:\n%s", out)
		}
		t.Logf("%s: %d registrations acknowledged before the backup, %d while it ran", d, len(before), during)

		if out, err := exec.Command(bin, "backup", "--verify", archive).CombinedOutput(); err != nil || !strings.Contains(string(out), "archivio integro") {
			t.Fatalf("esd backup --verify: %v\n%s", err, out)
		}
		fresh := dbtest.URL(t, d)
		out, err = exec.Command(bin, "restore", archive, "--db", fresh).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "conteggi e checksum uguali al manifest") {
			t.Fatalf("esd restore: %v\n%s", err, out)
		}
		t.Logf("%s: %s", d, lastLine(string(out)))
		out, err = exec.Command(bin, "restore", archive, "--db", fresh).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "non è vuoto") {
			t.Fatalf("a second restore into the same database: %v\n%s", err, out)
		}

		s.kill()
		r := start(t, bin, fresh, t.TempDir())
		r.login(t)
		y := openDirect(t, d, fresh)
		defer y.Close()
		for _, code := range before {
			if count(t, y, "SELECT count(*) FROM professionals WHERE cf = $1", code) != 1 {
				t.Errorf("registration %s acknowledged before the backup is not in the restored database", code)
			}
		}
		r.kill()
	})
}

func lastLine(s string) string {
	l := lines(s)
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1]
}
