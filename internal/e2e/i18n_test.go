package e2e

import (
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
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

// The level descriptors of the scales and of every line exist in Italian and English, and a
// line page in English shows the English descriptor, not the Italian one.
func TestLevelDescriptorsInBothLanguages(t *testing.T) {
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
			n := 0
			for rows.Next() {
				var id, lit, len_, dit, den string
				if err := rows.Scan(&id, &lit, &len_, &dit, &den); err != nil {
					t.Fatal(err)
				}
				n++
				if (lit == "") != (len_ == "") {
					t.Errorf("%s %s: label in one language only (it %q, en %q)", q.what, id, lit, len_)
				}
				if strings.TrimSpace(dit) == "" || strings.TrimSpace(den) == "" {
					t.Errorf("%s %s: descriptor missing in a language (it %q, en %q)", q.what, id, dit, den)
				} else if dit == den {
					t.Errorf("%s %s: English descriptor is the Italian text %q", q.what, id, dit)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if n == 0 {
				t.Errorf("no %s rows: is the default framework loaded?", q.what)
			}
		}
		// The page: a line's levels table in English carries the English descriptors.
		var itemID int64
		var dit, den string
		if err := env.M.DB.Read.QueryRow(`SELECT item_id, descriptor_it, descriptor_en FROM line_levels WHERE level = 4 ORDER BY item_id LIMIT 1`).Scan(&itemID, &dit, &den); err != nil {
			t.Fatal(err)
		}
		user, pass := env.CreateUser("i18n-levels", domain.RoleNational, 0, 0, 0)
		c := env.Client().Login(user, pass)
		en := c.Get(fmt.Sprintf("/portfolio/items/%d?lang=en", itemID))
		if !strings.Contains(en.Body, html.EscapeString(den)) || strings.Contains(en.Body, html.EscapeString(dit)) {
			t.Errorf("line page in English does not show the English descriptor %q", den)
		}
		it := c.Get(fmt.Sprintf("/portfolio/items/%d?lang=it", itemID))
		if !strings.Contains(it.Body, html.EscapeString(dit)) {
			t.Errorf("line page in Italian does not show the Italian descriptor %q", dit)
		}
	})
}
