// Package bench is the benchmark harness of ESD: named scenarios measured with a warm-up
// and repetitions, each figure reported next to an in-run baseline measured by the same
// binary in the same run (a trivial HTTP handler, a raw batch insert, a raw full scan), as
// one JSON line per metric plus a short table for people. Results are appended to a history
// file kept in the repository, and a figure more than 15 % worse than the last kept run of
// the same scenario, metric, dataset and database is flagged.
//
// The machines are shared and noisy, so the ratio to the baseline is the figure to compare
// across runs; absolute times are reported but never used as a pass/fail gate in CI.
package bench

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Direction says which way a metric improves.
type Direction string

// The two directions.
const (
	Higher Direction = "higher" // rates: rows/s, requests/s
	Lower  Direction = "lower"  // times, latencies, memory
)

// Target is a goal taken from the issues, e.g. at least 20,000 rows/s, p95 at most 50 ms,
// or at least 10 % of the raw insert rate (a target on the ratio).
type Target struct {
	Op    string  `json:"op"`              // ">=" or "<="
	Value float64 `json:"value"`           // in the metric's unit, or a ratio when OnRatio
	Ratio bool    `json:"ratio,omitempty"` // the target applies to the ratio to the baseline
}

// Met reports whether v (the value, or the ratio for a ratio target) meets the target.
func (t Target) Met(v float64) bool {
	if t.Op == "<=" {
		return v <= t.Value
	}
	return v >= t.Value
}

// String renders the target for people, e.g. "≥ 20000 rows/s" or "ratio ≥ 0.1".
func (t Target) String(unit string) string {
	op := "≥"
	if t.Op == "<=" {
		op = "≤"
	}
	if t.Ratio {
		return "ratio " + op + " " + formatNum(t.Value)
	}
	return op + " " + formatNum(t.Value) + " " + unit
}

// AtLeast is a target v ≥ x.
func AtLeast(x float64) Target { return Target{Op: ">=", Value: x} }

// AtMost is a target v ≤ x.
func AtMost(x float64) Target { return Target{Op: "<=", Value: x} }

// RatioAtLeast is a target on the ratio to the baseline, ratio ≥ x.
func RatioAtLeast(x float64) Target { return Target{Op: ">=", Value: x, Ratio: true} }

// Spec describes one metric a scenario produces.
type Spec struct {
	Metric string
	Unit   string
	Better Direction
	// Baseline names the in-run baseline metric (see the Baseline* constants) the value is
	// divided by to give the ratio; empty when there is no meaningful baseline.
	Baseline string
	Targets  []Target
}

// Env describes where a figure was measured: enough to tell whether two runs compare.
type Env struct {
	NProc                int    `json:"nproc"`
	CPUModel             string `json:"cpu_model"`
	GoVersion            string `json:"go_version"`
	OSArch               string `json:"os_arch"`
	Database             string `json:"database"` // sqlite or postgres
	SQLiteVersion        string `json:"sqlite_version"`
	PostgresVersion      string `json:"postgres_version,omitempty"`
	DatasetSeed          int64  `json:"dataset_seed"`
	DatasetSize          string `json:"dataset_size"`
	DatasetProfessionals int64  `json:"dataset_professionals"`
	DatasetEvents        int64  `json:"dataset_events,omitempty"`
	Quick                bool   `json:"quick,omitempty"` // shortened repetitions (CI smoke): not comparable with full runs
	Commit               string `json:"commit,omitempty"`
}

// Record is one metric of one scenario in one run: one JSON line of output and history.
type Record struct {
	Time           time.Time   `json:"time"`
	Run            string      `json:"run"`
	Scenario       string      `json:"scenario"`
	Dataset        string      `json:"dataset"`
	Metric         string      `json:"metric"`
	Value          float64     `json:"value"` // median of the repetitions
	Unit           string      `json:"unit"`
	Min            float64     `json:"min"`
	Max            float64     `json:"max"`
	Reps           int         `json:"reps"`
	Better         Direction   `json:"better"`
	BaselineMetric string      `json:"baseline_metric,omitempty"`
	Baseline       *float64    `json:"baseline"`
	Ratio          *float64    `json:"ratio"`
	Target         string      `json:"target"`
	Targets        []Target    `json:"targets,omitempty"`
	Pass           *bool       `json:"pass"`
	Regression     *Regression `json:"regression,omitempty"`
	Env            Env         `json:"environment"`
}

// Key identifies the series a record belongs to for regression checks: the same scenario,
// metric, dataset and database, measured in the same mode (quick or full).
func (r Record) Key() string {
	return fmt.Sprintf("%s|%s|%s|%s|%v", r.Scenario, r.Metric, r.Dataset, r.Env.Database, r.Env.Quick)
}

// Regression compares a record with the last kept run of its series.
type Regression struct {
	On           string    `json:"on"` // "ratio" when both runs have one (robust to a noisy machine), else "value"
	Previous     float64   `json:"previous"`
	Current      float64   `json:"current"`
	PreviousRun  string    `json:"previous_run"`
	PreviousTime time.Time `json:"previous_time"`
	// Worse is the relative change in the bad direction: 0.2 means 20 % worse, -0.1 means
	// 10 % better.
	Worse   float64 `json:"worse"`
	Flagged bool    `json:"flagged"`
}

// RegressionThreshold is how much worse than the last kept run a figure may be before it
// is flagged.
const RegressionThreshold = 0.15

// Compare returns the regression of cur against prev (the last kept record of the same
// series), or nil when there is nothing to compare.
func Compare(cur, prev Record) *Regression {
	on, c, p := "value", cur.Value, prev.Value
	if cur.Ratio != nil && prev.Ratio != nil && cur.BaselineMetric == prev.BaselineMetric {
		on, c, p = "ratio", *cur.Ratio, *prev.Ratio
	}
	if p == 0 || math.IsNaN(p) || math.IsInf(p, 0) || math.IsNaN(c) || math.IsInf(c, 0) {
		return nil
	}
	change := (c - p) / math.Abs(p)
	worse := -change
	if cur.Better == Lower {
		worse = change
	}
	return &Regression{On: on, Previous: p, Current: c, PreviousRun: prev.Run, PreviousTime: prev.Time,
		Worse: worse, Flagged: worse > RegressionThreshold}
}

// finish fills ratio, target text and pass from the value and the baseline.
func (r *Record) finish(baseline float64, hasBaseline bool) {
	if hasBaseline && baseline != 0 && !math.IsNaN(baseline) {
		b := baseline
		ratio := r.Value / b
		r.Baseline, r.Ratio = &b, &ratio
	}
	if len(r.Targets) == 0 {
		return
	}
	var texts []string
	pass := true
	for _, t := range r.Targets {
		texts = append(texts, t.String(r.Unit))
		v := r.Value
		if t.Ratio {
			if r.Ratio == nil {
				pass = false
				continue
			}
			v = *r.Ratio
		}
		if !t.Met(v) {
			pass = false
		}
	}
	r.Target = strings.Join(texts, "; ")
	r.Pass = &pass
}

// Stats summarises repetitions.
type Stats struct {
	Median, Min, Max float64
	N                int
}

// Summarise returns the median, minimum and maximum of xs (the median of an even count is
// the mean of the two middle values).
func Summarise(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Stats{Median: med, Min: s[0], Max: s[n-1], N: n}
}

// Sane reports whether v is a usable measurement: finite and positive. The CI smoke test
// checks every figure with it (never against absolute times).
func Sane(v float64) bool { return v > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) }

func formatNum(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case a == 0:
		return "0"
	case a >= 1000:
		return groupThousands(fmt.Sprintf("%.0f", v))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
