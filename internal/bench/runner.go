package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
	"time"
)

// Scenario is one named benchmark. Rep performs one repetition and returns the value of
// each metric of Specs by name; the harness runs Warmup repetitions it throws away, then
// Reps it keeps, and reports their median, minimum and maximum.
type Scenario struct {
	Name  string
	About string
	Specs []Spec
	// Setup and Teardown run once around the repetitions (both optional).
	Setup    func(ctx context.Context) error
	Rep      func(ctx context.Context) (map[string]float64, error)
	Teardown func(ctx context.Context) error
	// Warmup and Reps override the run's defaults when > 0 (Reps is never below 3).
	Warmup, Reps int
	// NoWarmup skips the warm-up (for scenarios whose first repetition is the only cold one
	// worth measuring, or that are too long to repeat needlessly).
	NoWarmup bool
	// NoMemory leaves out the peak RSS metric the harness adds to every scenario.
	NoMemory bool
	// Single runs one repetition and no warm-up: for a scenario that is long by design (the
	// soak) and measures its own warm-up and in-run baseline inside that repetition.
	Single bool
	// Explicit scenarios run only when the filter selects them, never in a run of all.
	Explicit bool
}

// MetricPeakRSS is the metric the harness adds to each scenario: the largest resident set
// of the process seen during the kept repetitions, in MiB.
const MetricPeakRSS = "peak_rss_mb"

// Suite is a set of scenarios registered by name, in order. The scenario named "baseline"
// always runs first, whatever the filter, because the others are divided by its figures.
type Suite struct {
	scenarios []Scenario
}

// BaselineScenario is the name of the scenario holding the in-run baselines.
const BaselineScenario = "baseline"

// Add registers a scenario; a second scenario of the same name is an error.
func (s *Suite) Add(sc Scenario) error {
	if sc.Name == "" || sc.Rep == nil {
		return errors.New("bench: scenario needs a name and a Rep function")
	}
	for _, x := range s.scenarios {
		if x.Name == sc.Name {
			return fmt.Errorf("bench: scenario %q registered twice", sc.Name)
		}
	}
	s.scenarios = append(s.scenarios, sc)
	return nil
}

// MustAdd is Add that panics, for wiring code whose scenarios are fixed.
func (s *Suite) MustAdd(sc Scenario) {
	if err := s.Add(sc); err != nil {
		panic(err)
	}
}

// Names lists the registered scenarios in order.
func (s *Suite) Names() []string {
	var out []string
	for _, x := range s.scenarios {
		out = append(out, x.Name)
	}
	return out
}

// Match reports whether a scenario name is selected by a filter: the filter is a list of
// names, glob patterns (http.*) or prefixes ("http" selects http.home); empty selects all.
func Match(filter []string, name string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if f == name || strings.HasPrefix(name, f+".") {
			return true
		}
		if ok, _ := path.Match(f, name); ok {
			return true
		}
	}
	return false
}

// Options tune a run.
type Options struct {
	Dataset string   // S, M, L (or "none")
	Env     Env      // machine and dataset
	Filter  []string // scenario selection; see Match
	Warmup  int      // warm-up repetitions per scenario; default 1
	Reps    int      // kept repetitions per scenario; at least 3
	History *History // nil: no comparison and nothing appended
	JSON    io.Writer
	Table   io.Writer
	Log     io.Writer // progress for people; nil = silent
	RunID   string
	// RequireSane fails a scenario any of whose figures is not a positive finite number
	// (the CI smoke test; absolute times are never checked).
	RequireSane bool
}

// Runner runs a suite and keeps the baselines and records.
type Runner struct {
	opts      Options
	baselines map[string]float64
	records   []Record
	failures  []string
}

// NewRunner prepares a run.
func NewRunner(o Options) *Runner {
	if o.Reps < 3 {
		o.Reps = 3
	}
	if o.Warmup <= 0 {
		o.Warmup = 1
	}
	if o.RunID == "" {
		o.RunID = time.Now().UTC().Format("20060102T150405Z")
	}
	if o.Dataset == "" {
		o.Dataset = "none"
	}
	for _, w := range []*io.Writer{&o.JSON, &o.Table, &o.Log} {
		if *w == nil {
			*w = io.Discard
		}
	}
	return &Runner{opts: o, baselines: map[string]float64{}}
}

// Baseline returns the median of an in-run baseline metric measured so far.
func (r *Runner) Baseline(name string) (float64, bool) {
	v, ok := r.baselines[name]
	return v, ok
}

// SetBaseline records a baseline measured outside the baseline scenario (the seed measures
// a short raw insert before it starts).
func (r *Runner) SetBaseline(name string, v float64) { r.baselines[name] = v }

// Records returns everything measured so far.
func (r *Runner) Records() []Record { return r.records }

// Run runs the baseline scenario and then every selected scenario, writing a JSON line per
// metric as it goes, then the table, then appends to the history. A failing scenario does
// not stop the others; Run returns an error naming every failure.
func (r *Runner) Run(ctx context.Context, s *Suite) error {
	var selected []Scenario
	matched := false
	for _, sc := range s.scenarios {
		if sc.Name == BaselineScenario {
			selected = append([]Scenario{sc}, selected...)
			matched = matched || (len(r.opts.Filter) > 0 && Match(r.opts.Filter, sc.Name))
		} else if Match(r.opts.Filter, sc.Name) && (!sc.Explicit || len(r.opts.Filter) > 0) {
			selected = append(selected, sc)
			matched = true
		}
	}
	if !matched && len(r.opts.Filter) > 0 {
		return fmt.Errorf("bench: no scenario matches %q (have: %s)", strings.Join(r.opts.Filter, ","), strings.Join(s.Names(), ", "))
	}
	for _, sc := range selected {
		if ctx.Err() != nil {
			break
		}
		if err := r.RunScenario(ctx, sc); err != nil {
			r.failures = append(r.failures, fmt.Sprintf("%s: %v", sc.Name, err))
			fmt.Fprintf(r.opts.Log, "bench: %s FAILED: %v\n", sc.Name, err)
		}
	}
	WriteTable(r.opts.Table, r.records, r.failures)
	if r.opts.History != nil {
		if err := r.opts.History.Append(r.records); err != nil {
			return fmt.Errorf("bench: history: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(r.failures) > 0 {
		return fmt.Errorf("bench: %d scenario(s) failed: %s", len(r.failures), strings.Join(r.failures, "; "))
	}
	return nil
}

// RunScenario measures one scenario and records its metrics.
func (r *Runner) RunScenario(ctx context.Context, sc Scenario) (err error) {
	fmt.Fprintf(r.opts.Log, "bench: %s…\n", sc.Name)
	start := time.Now()
	// Teardown runs even when Setup fails half-way (it must cope with what Setup left).
	if sc.Teardown != nil {
		defer func() {
			if e := sc.Teardown(ctx); e != nil && err == nil {
				err = fmt.Errorf("teardown: %w", e)
			}
		}()
	}
	if sc.Setup != nil {
		if err := sc.Setup(ctx); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
	}
	warm, reps := r.opts.Warmup, r.opts.Reps
	if sc.Warmup > 0 {
		warm = sc.Warmup
	}
	if sc.NoWarmup {
		warm = 0
	}
	if sc.Reps > reps {
		reps = sc.Reps
	}
	if sc.Single {
		warm, reps = 0, 1
	}
	for i := 0; i < warm; i++ {
		if _, err := sc.Rep(ctx); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	mem := startRSSSampler()
	values := map[string][]float64{}
	for i := 0; i < reps; i++ {
		got, err := sc.Rep(ctx)
		if err != nil {
			mem.stop()
			return fmt.Errorf("repetition %d: %w", i+1, err)
		}
		for _, sp := range sc.Specs {
			v, ok := got[sp.Metric]
			if !ok {
				mem.stop()
				return fmt.Errorf("repetition %d did not report %s", i+1, sp.Metric)
			}
			values[sp.Metric] = append(values[sp.Metric], v)
		}
	}
	peak := mem.stop()
	specs := sc.Specs
	if !sc.NoMemory && peak > 0 {
		specs = append(append([]Spec(nil), specs...), Spec{Metric: MetricPeakRSS, Unit: "MiB", Better: Lower})
		values[MetricPeakRSS] = []float64{peak}
	}
	var insane []string
	for _, sp := range specs {
		rec := r.Record(sc.Name, sp, values[sp.Metric])
		if sc.Name == BaselineScenario {
			r.baselines[sp.Metric] = rec.Value
		}
		if r.opts.RequireSane && (!Sane(rec.Value) || !Sane(rec.Min) || !Sane(rec.Max) || (rec.Ratio != nil && !Sane(*rec.Ratio))) {
			insane = append(insane, fmt.Sprintf("%s=%v", sp.Metric, rec.Value))
		}
	}
	if len(insane) > 0 {
		return fmt.Errorf("figures that are not positive finite numbers: %s", strings.Join(insane, ", "))
	}
	fmt.Fprintf(r.opts.Log, "bench: %s done in %.1fs\n", sc.Name, time.Since(start).Seconds())
	return nil
}

// Record turns the repetitions of one metric into a record: summary, baseline and ratio,
// targets, regression against the history; writes its JSON line and keeps it.
func (r *Runner) Record(scenario string, sp Spec, xs []float64) Record {
	st := Summarise(xs)
	rec := Record{Time: time.Now().UTC(), Run: r.opts.RunID, Scenario: scenario, Dataset: r.opts.Dataset,
		Metric: sp.Metric, Value: st.Median, Unit: sp.Unit, Min: st.Min, Max: st.Max, Reps: st.N, Better: sp.Better,
		BaselineMetric: sp.Baseline, Targets: sp.Targets, Env: r.opts.Env}
	// JSON has no NaN or infinity: a figure that could not be measured is written as 0, which
	// the smoke test rejects as insane.
	for _, v := range []*float64{&rec.Value, &rec.Min, &rec.Max} {
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = 0
		}
	}
	b, ok := r.baselines[sp.Baseline]
	rec.finish(b, ok && sp.Baseline != "" && Sane(b))
	if r.opts.History != nil {
		r.opts.History.Check(&rec)
	}
	r.records = append(r.records, rec)
	line, _ := json.Marshal(rec)
	fmt.Fprintln(r.opts.JSON, string(line))
	return rec
}
