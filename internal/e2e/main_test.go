package e2e

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"esd/internal/apptest"
	"esd/internal/web"
)

// TestMain runs the suite and then, when the whole suite ran (no -run filter), fails if any
// page template was never rendered by a test: an untested template is an unchecked page.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		names := apptest.PageNames()
		var missing []string
		for _, n := range names {
			if _, ok := web.Rendered.Load(n); !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: page templates never rendered by any test: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}
