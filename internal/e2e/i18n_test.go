package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/web"
)

// Every message key a template uses literally must exist in the catalogue in Italian and
// English, so no page shows a raw key.
func TestTemplatesUseOnlyKnownMessages(t *testing.T) {
	apptest.Start(t, db.SQLite) // registers every module's messages
	keys := web.MessageKeys()
	re := regexp.MustCompile(`\.T "([A-Za-z0-9_.\-]+)"`)
	root := filepath.Join("..")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".html" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			checked++
			en, ok := keys[m[1]]
			switch {
			case !ok:
				t.Errorf("%s: message key %q is not in the catalogue", path, m[1])
			case !en:
				t.Errorf("%s: message key %q has no English text", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d message uses found: is the walk looking at the templates?", checked)
	}
}

// Every message of every capability's catalogue has a non-empty Italian and English text: the
// English fallback to Italian is for robustness, not a way to leave a page half-translated.
func TestEveryMessageInBothLanguages(t *testing.T) {
	apptest.Start(t, db.SQLite) // registers every module's messages
	texts := web.MessageTexts()
	if len(texts) < 200 {
		t.Fatalf("only %d messages in the catalogue: are the modules registered?", len(texts))
	}
	for k, v := range texts {
		if strings.TrimSpace(v[0]) == "" {
			t.Errorf("message %q has no Italian text", k)
		}
		if strings.TrimSpace(v[1]) == "" {
			t.Errorf("message %q has no English text", k)
		}
		// A format verb in one language and not the other shows "%!(EXTRA" or a missing value.
		if a, b := strings.Count(v[0], "%"), strings.Count(v[1], "%"); a != b {
			t.Errorf("message %q: %d %% verbs in Italian, %d in English", k, a, b)
		}
	}
}

// The level descriptors of the scales and of every line exist in Italian and English.
func TestLevelDescriptorsInBothLanguages(t *testing.T) {
	// The default portfolio's per-line descriptors are generated in Italian only (issue 14,
	// point 6, still open): that part is enforced with ESD_TEST_LINE_DESCRIPTORS_EN=1 until the
	// English texts exist, and its count is logged meanwhile.
	lineStrict := os.Getenv("ESD_TEST_LINE_DESCRIPTORS_EN") == "1"
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		for _, q := range []struct{ what, sql string }{
			{"scale level", `SELECT framework_id || ':' || level, COALESCE(label_it,''), COALESCE(label_en,''), COALESCE(descriptor_it,''), COALESCE(descriptor_en,'') FROM scale_levels`},
			{"line level", `SELECT item_id || ':' || level, '-', '-', COALESCE(descriptor_it,''), COALESCE(descriptor_en,'') FROM line_levels`},
		} {
			rows, err := env.M.DB.Read.Query(q.sql)
			if err != nil {
				t.Fatal(err)
			}
			n, missing := 0, 0
			for rows.Next() {
				var id, lit, len_, dit, den string
				if err := rows.Scan(&id, &lit, &len_, &dit, &den); err != nil {
					t.Fatal(err)
				}
				n++
				if (lit == "") != (len_ == "") {
					t.Errorf("%s %s: label in one language only (it %q, en %q)", q.what, id, lit, len_)
				}
				if (dit == "") != (den == "") {
					missing++
					if q.what != "line level" || lineStrict {
						t.Errorf("%s %s: descriptor in one language only (it %q, en %q)", q.what, id, dit, den)
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if n == 0 {
				t.Errorf("no %s rows: is the default framework loaded?", q.what)
			}
			if missing > 0 && !lineStrict {
				t.Logf("%d of %d %s descriptors lack their English text (not enforced yet)", missing, n, q.what)
			}
		}
	})
}
