package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/bench"
	"esd/internal/db"
	"esd/internal/dbtest"
)

// runCLI runs a CLI command on the platform of env and returns what it printed.
func runCLI(t *testing.T, env *apptest.Env, args ...string) (string, error) {
	t.Helper()
	c, rest, ok := app.FindCommand(args)
	if !ok {
		t.Fatalf("no command %v", args)
	}
	env.Out.Reset()
	err := c.Run(env.Sys(), env.M, rest)
	return env.Out.String(), err
}

// benchRecords parses the JSON lines of a bench run.
func benchRecords(t *testing.T, out string) []bench.Record {
	t.Helper()
	var recs []bench.Record
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r bench.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestBenchBaselinesOnEmptyDatabase runs `esd bench` on a database that was never seeded:
// only the baselines run, each figure is sane, the environment is filled, and the history
// gets the records.
func TestBenchBaselinesOnEmptyDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		hist := filepath.Join(t.TempDir(), "history.jsonl")
		out, err := runCLI(t, env, "bench", "--quick", "--require-sane", "--history", hist)
		if err != nil {
			t.Fatalf("bench: %v\n%s", err, out)
		}
		recs := benchRecords(t, out)
		if len(recs) != 7 {
			t.Fatalf("got %d records, want the 7 baselines:\n%s", len(recs), out)
		}
		for _, r := range recs {
			if r.Scenario != bench.BaselineScenario || !bench.Sane(r.Value) || r.Reps != 3 || r.Dataset != "none" {
				t.Errorf("record %+v", r)
			}
			if r.Env.Database != string(d) || r.Env.NProc < 1 || r.Env.SQLiteVersion == "" || !r.Env.Quick {
				t.Errorf("environment %+v", r.Env)
			}
		}
		if !strings.Contains(out, "raw_insert_rows_per_s") || !strings.Contains(out, "machine:") {
			t.Errorf("no human table:\n%s", out)
		}
		h, err := bench.LoadHistory(hist)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := h.Last(recs[0]); !ok {
			t.Error("history has no record of the run")
		}
		if _, err := runCLI(t, env, "bench", "--scenario", "nothing.like.this"); err == nil {
			t.Error("an unknown scenario was accepted")
		}
	})
}
