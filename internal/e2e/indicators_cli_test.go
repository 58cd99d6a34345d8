package e2e

import (
	"errors"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// TestIndicatorsCLI runs `esd import indicators` as an operator would: flags after the file,
// --help, usage mistakes (exit status 2), a dry run, the import, a re-import that changes
// nothing, and a bad file whose problems name line and column.
func TestIndicatorsCLI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		file := "../indicators/testdata/excel_it_1252.csv"
		if out, err := runCLI(t, env, "import", "indicators", "--help"); err != nil || !strings.Contains(out, "--dry-run") && !strings.Contains(out, "-dry-run") {
			t.Errorf("--help: %v %q", err, out)
		}
		for _, args := range [][]string{{"import", "indicators"}, {"import", "indicators", file, "--bogus"}, {"import", "indicators", file, file}} {
			_, err := runCLI(t, env, args...)
			var ec interface{ ExitCode() int }
			if !errors.As(err, &ec) || ec.ExitCode() != 2 {
				t.Errorf("%v: %v, want a usage error (exit 2)", args, err)
			}
		}
		out, err := runCLI(t, env, "import", "indicators", file, "--dry-run")
		if err != nil || !strings.Contains(out, "7 nuovi") || !strings.Contains(out, "solo verifica") {
			t.Fatalf("dry run: %v %q", err, out)
		}
		var n int
		count := func() int {
			if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM indicator_values`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if count() != 0 {
			t.Fatalf("the dry run wrote %d values", n)
		}
		if out, err = runCLI(t, env, "import", "indicators", file); err != nil || !strings.Contains(out, "Windows-1252") || count() != 7 {
			t.Fatalf("import: %v %q (%d values)", err, out, n)
		}
		if out, err = runCLI(t, env, "import", "indicators", file); err != nil || !strings.Contains(out, "0 nuovi, 0 sostituiti, 7 invariati") {
			t.Fatalf("re-import: %v %q", err, out)
		}
		_, err = runCLI(t, env, "import", "indicators", "../indicators/testdata/bad.csv")
		var de *domain.Error
		if !errors.As(err, &de) || len(de.Details) < 10 || de.Details[0].Line != 2 || de.Details[0].Field != "regione" || count() != 7 {
			t.Fatalf("bad file: %v (%d values)", err, n)
		}
	})
}
