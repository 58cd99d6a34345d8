package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
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
