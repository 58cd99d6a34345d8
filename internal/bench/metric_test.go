package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func fp(v float64) *float64 { return &v }

func TestSummarise(t *testing.T) {
	for _, tc := range []struct {
		in            []float64
		med, min, max float64
	}{
		{[]float64{3, 1, 2}, 2, 1, 3},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
		{[]float64{7}, 7, 7, 7},
		{[]float64{10, 10, 1000, 9, 11}, 10, 9, 1000},
	} {
		s := Summarise(tc.in)
		if s.Median != tc.med || s.Min != tc.min || s.Max != tc.max || s.N != len(tc.in) {
			t.Errorf("Summarise(%v) = %+v, want median %v min %v max %v", tc.in, s, tc.med, tc.min, tc.max)
		}
	}
	if s := Summarise(nil); !math.IsNaN(s.Median) {
		t.Errorf("empty median = %v, want NaN", s.Median)
	}
}

func TestRatioAndTargets(t *testing.T) {
	for _, tc := range []struct {
		name      string
		value     float64
		baseline  float64
		hasBase   bool
		targets   []Target
		wantRatio *float64
		wantPass  *bool
		wantText  string
	}{
		{"no baseline no target", 5, 0, false, nil, nil, nil, ""},
		{"ratio only", 25_000, 200_000, true, nil, fp(0.125), nil, ""},
		{"value and ratio targets met", 25_000, 200_000, true, []Target{AtLeast(20_000), RatioAtLeast(0.1)}, fp(0.125), bp(true), "≥ 20,000 rows/s; ratio ≥ 0.100"},
		{"ratio target missed", 25_000, 400_000, true, []Target{AtLeast(20_000), RatioAtLeast(0.1)}, fp(0.0625), bp(false), "≥ 20,000 rows/s; ratio ≥ 0.100"},
		{"value target missed", 15_000, 100_000, true, []Target{AtLeast(20_000)}, fp(0.15), bp(false), "≥ 20,000 rows/s"},
		{"at most met", 40, 0.5, true, []Target{AtMost(50)}, fp(80), bp(true), "≤ 50.0 rows/s"},
		{"at most equal passes", 50, 0, false, []Target{AtMost(50)}, nil, bp(true), "≤ 50.0 rows/s"},
		{"ratio target without baseline fails", 50, 0, false, []Target{RatioAtLeast(0.1)}, nil, bp(false), "ratio ≥ 0.100"},
		{"zero baseline gives no ratio", 50, 0, true, nil, nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Record{Value: tc.value, Unit: "rows/s", Targets: tc.targets}
			r.finish(tc.baseline, tc.hasBase)
			if (r.Ratio == nil) != (tc.wantRatio == nil) || (r.Ratio != nil && math.Abs(*r.Ratio-*tc.wantRatio) > 1e-9) {
				t.Errorf("ratio = %v, want %v", deref(r.Ratio), deref(tc.wantRatio))
			}
			if (r.Pass == nil) != (tc.wantPass == nil) || (r.Pass != nil && *r.Pass != *tc.wantPass) {
				t.Errorf("pass = %v, want %v", r.Pass, tc.wantPass)
			}
			if r.Target != tc.wantText {
				t.Errorf("target = %q, want %q", r.Target, tc.wantText)
			}
		})
	}
}

func bp(b bool) *bool { return &b }

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestCompareRegression(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cur, prev   Record
		wantOn      string
		wantWorse   float64
		wantFlagged bool
		wantNil     bool
	}{
		{"rate 10% lower is not flagged", Record{Value: 90, Better: Higher}, Record{Value: 100}, "value", 0.10, false, false},
		{"rate 20% lower is flagged", Record{Value: 80, Better: Higher}, Record{Value: 100}, "value", 0.20, true, false},
		{"rate exactly 15% lower is not flagged", Record{Value: 85, Better: Higher}, Record{Value: 100}, "value", 0.15, false, false},
		{"rate higher is better", Record{Value: 150, Better: Higher}, Record{Value: 100}, "value", -0.5, false, false},
		{"latency 20% higher is flagged", Record{Value: 12, Better: Lower}, Record{Value: 10}, "value", 0.2, true, false},
		{"latency lower is fine", Record{Value: 5, Better: Lower}, Record{Value: 10}, "value", -0.5, false, false},
		{"ratio preferred over value: machine slower but ratio same",
			Record{Value: 50, Ratio: fp(0.1), BaselineMetric: "b", Better: Higher},
			Record{Value: 100, Ratio: fp(0.1), BaselineMetric: "b"}, "ratio", 0, false, false},
		{"ratio dropped 30% is flagged even if value rose",
			Record{Value: 120, Ratio: fp(0.07), BaselineMetric: "b", Better: Higher},
			Record{Value: 100, Ratio: fp(0.1), BaselineMetric: "b"}, "ratio", 0.3, true, false},
		{"different baselines compare values",
			Record{Value: 100, Ratio: fp(0.07), BaselineMetric: "b2", Better: Higher},
			Record{Value: 100, Ratio: fp(0.1), BaselineMetric: "b"}, "value", 0, false, false},
		{"zero previous gives nothing", Record{Value: 1, Better: Higher}, Record{Value: 0}, "", 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := Compare(tc.cur, tc.prev)
			if tc.wantNil {
				if g != nil {
					t.Fatalf("got %+v, want nil", g)
				}
				return
			}
			if g == nil {
				t.Fatal("got nil")
			}
			if g.On != tc.wantOn || math.Abs(g.Worse-tc.wantWorse) > 1e-9 || g.Flagged != tc.wantFlagged {
				t.Errorf("got on=%s worse=%v flagged=%v, want on=%s worse=%v flagged=%v", g.On, g.Worse, g.Flagged, tc.wantOn, tc.wantWorse, tc.wantFlagged)
			}
		})
	}
}

func TestHistoryKeepsLastPerSeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "history.jsonl")
	h, err := LoadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Database: "sqlite"}
	old := Record{Run: "r1", Scenario: "s", Metric: "m", Dataset: "S", Value: 100, Better: Higher, Env: env}
	other := Record{Run: "r1", Scenario: "s", Metric: "m", Dataset: "M", Value: 1, Better: Higher, Env: env}
	pg := Record{Run: "r1", Scenario: "s", Metric: "m", Dataset: "S", Value: 1, Better: Higher, Env: Env{Database: "postgres"}}
	newer := Record{Run: "r2", Scenario: "s", Metric: "m", Dataset: "S", Value: 200, Better: Higher, Env: env}
	if err := h.Append([]Record{old, other, pg}); err != nil {
		t.Fatal(err)
	}
	if err := h.Append([]Record{newer}); err != nil {
		t.Fatal(err)
	}
	h2, err := LoadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	cur := Record{Scenario: "s", Metric: "m", Dataset: "S", Value: 150, Better: Higher, Env: env}
	h2.Check(&cur)
	if cur.Regression == nil || cur.Regression.PreviousRun != "r2" || cur.Regression.Previous != 200 || !cur.Regression.Flagged {
		t.Fatalf("regression = %+v, want against r2 (200), flagged", cur.Regression)
	}
	quick := cur
	quick.Regression = nil
	quick.Env.Quick = true
	h2.Check(&quick)
	if quick.Regression != nil {
		t.Errorf("a quick run must not be compared with a full one: %+v", quick.Regression)
	}
}

func TestRunnerRecordsBaselinesRatiosAndRegressions(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.jsonl")
	run := func(id string, workRate float64) ([]Record, string) {
		h, err := LoadHistory(hist)
		if err != nil {
			t.Fatal(err)
		}
		var js, table bytes.Buffer
		r := NewRunner(Options{Dataset: "S", Env: Env{Database: "sqlite"}, History: h, JSON: &js, Table: &table, RunID: id})
		var s Suite
		reps := 0
		s.MustAdd(Scenario{Name: "work", Specs: []Spec{{Metric: "rate", Unit: "rows/s", Better: Higher, Baseline: "base_rate", Targets: []Target{RatioAtLeast(0.1)}}},
			Rep: func(context.Context) (map[string]float64, error) {
				reps++
				return map[string]float64{"rate": workRate}, nil
			}})
		s.MustAdd(Scenario{Name: BaselineScenario, NoMemory: true, Specs: []Spec{{Metric: "base_rate", Unit: "rows/s", Better: Higher}},
			Rep: func(context.Context) (map[string]float64, error) { return map[string]float64{"base_rate": 1000}, nil }})
		if err := r.Run(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		if reps != 4 {
			t.Errorf("work ran %d times, want 1 warm-up + 3 repetitions", reps)
		}
		var recs []Record
		for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
			var rec Record
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("bad JSON line %q: %v", line, err)
			}
			recs = append(recs, rec)
		}
		return recs, table.String()
	}
	recs, table := run("r1", 500)
	if recs[0].Scenario != BaselineScenario {
		t.Errorf("baseline must run first, got %s", recs[0].Scenario)
	}
	var work Record
	for _, r := range recs {
		if r.Scenario == "work" && r.Metric == "rate" {
			work = r
		}
	}
	if work.Ratio == nil || *work.Ratio != 0.5 || work.Pass == nil || !*work.Pass || work.Reps != 3 {
		t.Fatalf("work record = %+v", work)
	}
	if !strings.Contains(table, "work") || !strings.Contains(table, "0.500") {
		t.Errorf("table misses the work row:\n%s", table)
	}
	recs, table = run("r2", 300) // ratio 0.3 vs 0.5: 40 % worse
	for _, r := range recs {
		if r.Scenario == "work" && r.Metric == "rate" {
			if r.Regression == nil || !r.Regression.Flagged || r.Regression.PreviousRun != "r1" {
				t.Fatalf("regression not flagged: %+v", r.Regression)
			}
		}
	}
	if !strings.Contains(table, "REGRESSION work rate") {
		t.Errorf("table does not call out the regression:\n%s", table)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		filter []string
		name   string
		want   bool
	}{
		{nil, "http.home", true},
		{[]string{"http"}, "http.home", true},
		{[]string{"http.*"}, "http.home", true},
		{[]string{"http.home"}, "http.home", true},
		{[]string{"htt"}, "http.home", false},
		{[]string{"registry.import"}, "http.home", false},
		{[]string{"registry.import", "http"}, "http.home", true},
	} {
		if got := Match(tc.filter, tc.name); got != tc.want {
			t.Errorf("Match(%v, %q) = %v, want %v", tc.filter, tc.name, got, tc.want)
		}
	}
}

func TestFormatNum(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 1234567: "1,234,567", 150: "150", 12.34: "12.3", 1.234: "1.23", 0.1234: "0.123", 0.001234: "0.0012"} {
		if got := formatNum(in); got != want {
			t.Errorf("formatNum(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestRequireSaneFailsOnZeroOrNaN(t *testing.T) {
	for _, bad := range []float64{0, math.NaN(), math.Inf(1), -3} {
		var s Suite
		s.MustAdd(Scenario{Name: BaselineScenario, NoMemory: true, Specs: []Spec{{Metric: "b", Unit: "x", Better: Higher}},
			Rep: func(context.Context) (map[string]float64, error) { return map[string]float64{"b": 1}, nil }})
		s.MustAdd(Scenario{Name: "bad", NoMemory: true, Specs: []Spec{{Metric: "m", Unit: "x", Better: Higher}},
			Rep: func(context.Context) (map[string]float64, error) { return map[string]float64{"m": bad}, nil }})
		var js bytes.Buffer
		r := NewRunner(Options{RequireSane: true, JSON: &js})
		err := r.Run(context.Background(), &s)
		if err == nil || !strings.Contains(err.Error(), "bad") {
			t.Errorf("value %v: err = %v, want the bad scenario to fail", bad, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("value %v: invalid JSON line %q", bad, line)
			}
		}
	}
}

func TestFilterSelection(t *testing.T) {
	var s Suite
	ran := map[string]int{}
	for _, n := range []string{BaselineScenario, "http.home", "http.audit", "registry.import"} {
		n := n
		s.MustAdd(Scenario{Name: n, NoMemory: true, NoWarmup: true, Specs: []Spec{{Metric: "m", Unit: "x", Better: Higher}},
			Rep: func(context.Context) (map[string]float64, error) { ran[n]++; return map[string]float64{"m": 1}, nil }})
	}
	for _, tc := range []struct {
		filter []string
		want   []string
		err    bool
	}{
		{nil, []string{BaselineScenario, "http.home", "http.audit", "registry.import"}, false},
		{[]string{"http"}, []string{BaselineScenario, "http.home", "http.audit"}, false},
		{[]string{"baseline"}, []string{BaselineScenario}, false},
		{[]string{"registry.import"}, []string{BaselineScenario, "registry.import"}, false},
		{[]string{"nope"}, nil, true},
	} {
		ran = map[string]int{}
		err := NewRunner(Options{Filter: tc.filter}).Run(context.Background(), &s)
		if (err != nil) != tc.err {
			t.Errorf("filter %v: err %v", tc.filter, err)
		}
		if len(ran) != len(tc.want) {
			t.Errorf("filter %v ran %v, want %v", tc.filter, ran, tc.want)
		}
		for _, n := range tc.want {
			if ran[n] != 3 {
				t.Errorf("filter %v: %s ran %d times, want 3", tc.filter, n, ran[n])
			}
		}
	}
}
