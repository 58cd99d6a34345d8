package governance

import (
	"math"
	"testing"
)

func near(a, b, eps float64) bool { return math.Abs(a-b) <= eps }

// TestFitKnownNumbers checks the least-squares line and its prediction interval against
// numbers worked out by hand.
func TestFitKnownNumbers(t *testing.T) {
	// Exactly on a line: no scatter, the interval collapses on the point forecast.
	f := Fit([]Point{{0, 10}, {10, 20}, {20, 30}, {30, 40}}, 60)
	if !f.OK || !f.Interval || !near(f.Slope, 1, 1e-12) || !near(f.Value, 70, 1e-9) || !near(f.Low, 70, 1e-9) || !near(f.High, 70, 1e-9) {
		t.Fatalf("exact line: %+v", f)
	}
	// x̄ = 2, ȳ = 3, Sxx = 10, Sxy = 8: slope 0.8, intercept 1.4; SSE = 3.6, s = √1.2;
	// at x0 = 6: ŷ = 6.2, half width = t(0.975, 3) · s · √(1 + 1/5 + 16/10) = 3.182 · 1.095445 · 1.673320.
	f = Fit([]Point{{0, 1}, {1, 3}, {2, 2}, {3, 5}, {4, 4}}, 6)
	half := 3.182 * math.Sqrt(1.2) * math.Sqrt(2.8)
	if !near(f.Slope, 0.8, 1e-12) || !near(f.Intercept, 1.4, 1e-12) || !near(f.Value, 6.2, 1e-9) ||
		!near(f.Residual, math.Sqrt(1.2), 1e-12) || !near(f.Low, 6.2-half, 1e-9) || !near(f.High, 6.2+half, 1e-9) {
		t.Fatalf("noisy line: %+v (half %v)", f, half)
	}
	// Shares are clamped to 0–100.
	f = Fit([]Point{{0, 50}, {1, 70}, {2, 90}}, 10)
	if f.Value != 100 || f.High != 100 {
		t.Fatalf("clamp: %+v", f)
	}
	// Two points: a line but no interval; one point or one day: no forecast.
	if f := Fit([]Point{{0, 1}, {1, 2}}, 2); !f.OK || f.Interval || !near(f.Value, 3, 1e-12) {
		t.Fatalf("two points: %+v", f)
	}
	if f := Fit([]Point{{3, 1}, {3, 2}}, 5); f.OK {
		t.Fatalf("same x: %+v", f)
	}
	if f := Fit(nil, 5); f.OK {
		t.Fatalf("no points: %+v", f)
	}
}

func TestTQuantile(t *testing.T) {
	for df, want := range map[int]float64{1: 12.706, 3: 3.182, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980, 1000: 1.962} {
		if got := TQuantile975(df); !near(got, want, 0.0015) {
			t.Errorf("t(0.975, %d) = %.4f, want %.3f", df, got, want)
		}
	}
}

func TestAssessStates(t *testing.T) {
	f := Forecast{OK: true, Interval: true, Value: 50, Low: 40, High: 58}
	cases := []struct {
		cur, th float64
		f       Forecast
		want    string
	}{
		{61, 60, f, StateReached},
		{30, 60, f, StateOffTrack},
		{30, 55, f, StateAtRisk},
		{30, 45, f, StateOnTrack},
		{30, 60, Forecast{}, StateUnknown},
		{30, 60, Forecast{OK: true, Value: 50, Low: 50, High: 50}, StateAtRisk}, // no interval: never certain enough for off track
	}
	for _, c := range cases {
		if got := Assess(c.cur, c.th, c.f); got != c.want {
			t.Errorf("Assess(%v, %v, %+v) = %s, want %s", c.cur, c.th, c.f, got, c.want)
		}
	}
}

// TestVisibleCell checks primary and complementary suppression among regions.
func TestVisibleCell(t *testing.T) {
	cs := map[cell]count{whole: {100, 40}, {1, -1}: {50, 20}, {2, -1}: {47, 19}, {3, -1}: {3, 1}}
	// Region 3 is under 5: hidden; alone it could be differenced from the whole, so the
	// smallest visible sibling (region 2) is hidden too.
	if visibleCell(5, cs, cell{3, -1}) || visibleCell(5, cs, cell{2, -1}) || !visibleCell(5, cs, cell{1, -1}) || !visibleCell(5, cs, whole) {
		t.Fatal("complementary suppression among regions")
	}
	// A numerator of 1..4 hides the cell even in a large group; 0 does not.
	if visibleCell(5, map[cell]count{whole: {100, 3}}, whole) || !visibleCell(5, map[cell]count{whole: {100, 0}}, whole) {
		t.Fatal("numerator rule")
	}
}
