package governance

import (
	"math"
)

// Point is one measurement of a series: X in days since the first point, Y a share in %.
type Point struct {
	X, Y float64
}

// Forecast is the value expected at a future X from the least-squares line through the
// points, with its 95 % prediction interval (for one future observation: the line's own
// uncertainty plus the scatter of the points around it).
type Forecast struct {
	OK        bool    `json:"ok"`         // false: fewer than two distinct points
	Slope     float64 `json:"slope"`      // share points per day
	Intercept float64 `json:"intercept"`  // at X = 0
	Value     float64 `json:"value"`      // point estimate at the deadline, clamped to 0–100
	Low       float64 `json:"low"`        // lower bound of the 95 % prediction interval
	High      float64 `json:"high"`       // upper bound
	Interval  bool    `json:"interval"`   // false with two points: no scatter to estimate
	Points    int     `json:"points"`     // how many points the line was fitted on
	Residual  float64 `json:"residual_s"` // residual standard error
}

// Fit returns the least-squares line through pts evaluated at x0, with the 95 % prediction
// interval ŷ ± t(0.975, n−2) · s · √(1 + 1/n + (x0 − x̄)² / Sxx), clamped to 0–100 (a share).
func Fit(pts []Point, x0 float64) Forecast {
	n := float64(len(pts))
	f := Forecast{Points: len(pts)}
	if len(pts) < 2 {
		return f
	}
	var sx, sy float64
	for _, p := range pts {
		sx += p.X
		sy += p.Y
	}
	mx, my := sx/n, sy/n
	var sxx, sxy float64
	for _, p := range pts {
		sxx += (p.X - mx) * (p.X - mx)
		sxy += (p.X - mx) * (p.Y - my)
	}
	if sxx == 0 {
		return f
	}
	f.OK = true
	f.Slope = sxy / sxx
	f.Intercept = my - f.Slope*mx
	y0 := f.Intercept + f.Slope*x0
	f.Value, f.Low, f.High = clamp(y0), clamp(y0), clamp(y0)
	if len(pts) < 3 {
		return f
	}
	var sse float64
	for _, p := range pts {
		r := p.Y - (f.Intercept + f.Slope*p.X)
		sse += r * r
	}
	s := math.Sqrt(sse / (n - 2))
	f.Residual = s
	half := TQuantile975(len(pts)-2) * s * math.Sqrt(1+1/n+(x0-mx)*(x0-mx)/sxx)
	f.Interval = true
	f.Low, f.High = clamp(y0-half), clamp(y0+half)
	return f
}

func clamp(v float64) float64 { return math.Max(0, math.Min(100, v)) }

// t975 are the 0.975 quantiles of Student's t for 1–30 degrees of freedom.
var t975 = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// TQuantile975 is the 0.975 quantile of Student's t with df degrees of freedom: the table up
// to 30, then the Cornish–Fisher expansion around the normal quantile (error under 0.001).
func TQuantile975(df int) float64 {
	if df < 1 {
		return math.Inf(1)
	}
	if df <= len(t975) {
		return t975[df-1]
	}
	z := 1.959964
	v := float64(df)
	z3, z5 := z*z*z, z*z*z*z*z
	return z + (z3+z)/(4*v) + (5*z5+16*z3+3*z)/(96*v*v)
}

// Target states from the forecast.
const (
	StateOnTrack  = "on_track"  // the forecast at the deadline reaches the threshold (or it is reached)
	StateAtRisk   = "at_risk"   // the point forecast is below, the interval's upper bound reaches it
	StateOffTrack = "off_track" // even the upper bound is below the threshold
	StateUnknown  = "unknown"   // not enough points, or suppressed
	StateReached  = "reached"   // the current value already meets the threshold
)

// Assess turns the current value and the forecast into a state against the threshold.
func Assess(current, threshold float64, f Forecast) string {
	if current >= threshold {
		return StateReached
	}
	if !f.OK {
		return StateUnknown
	}
	switch {
	case f.Interval && f.High < threshold:
		return StateOffTrack
	case f.Value < threshold:
		return StateAtRisk
	}
	return StateOnTrack
}
