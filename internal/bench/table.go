package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints a short table of records for people, with failures and regressions
// called out after it.
func WriteTable(w io.Writer, recs []Record, failures []string) {
	if len(recs) == 0 && len(failures) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tmedian\tmin–max\tunit\tbaseline\tratio\ttarget\tpass\tvs last run")
	var regressions []Record
	for _, r := range recs {
		base, ratio := "", ""
		if r.Baseline != nil {
			base = formatNum(*r.Baseline) + " " + r.BaselineMetric
		}
		if r.Ratio != nil {
			ratio = formatNum(*r.Ratio)
		}
		pass := ""
		if r.Pass != nil {
			pass = "no"
			if *r.Pass {
				pass = "yes"
			}
		}
		last := ""
		if g := r.Regression; g != nil {
			dir := "better"
			if g.Worse > 0 {
				dir = "worse"
			}
			last = fmt.Sprintf("%.0f%% %s (%s)", abs(g.Worse)*100, dir, g.On)
			if g.Flagged {
				last += " REGRESSION"
				regressions = append(regressions, r)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s–%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Metric, formatNum(r.Value),
			formatNum(r.Min), formatNum(r.Max), r.Unit, base, ratio, r.Target, pass, last)
	}
	tw.Flush()
	for _, r := range regressions {
		g := r.Regression
		fmt.Fprintf(w, "REGRESSION %s %s (%s): %s %s now, %s in run %s: %.0f%% worse (threshold %.0f%%)\n",
			r.Scenario, r.Metric, r.Dataset, g.On, formatNum(g.Current), formatNum(g.Previous), g.PreviousRun,
			g.Worse*100, RegressionThreshold*100)
	}
	for _, f := range failures {
		fmt.Fprintf(w, "FAILED %s\n", f)
	}
	if len(recs) > 0 {
		e := recs[0].Env
		fmt.Fprintf(w, "machine: %d × %s, %s, %s; SQLite %s", e.NProc, e.CPUModel, e.GoVersion, e.Database, e.SQLiteVersion)
		if e.PostgresVersion != "" {
			fmt.Fprintf(w, ", PostgreSQL %s", e.PostgresVersion)
		}
		fmt.Fprintf(w, "; dataset %s seed %d (%d professionals)\n", recs[0].Dataset, e.DatasetSeed, e.DatasetProfessionals)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
