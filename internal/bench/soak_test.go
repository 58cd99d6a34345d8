package bench

import "testing"

// TestSoakWheel checks that every class gets exactly its weight's share of one turn of the
// wheel and that the order is the same on every run (a fixed seed), not grouped by class.
func TestSoakWheel(t *testing.T) {
	classes := []SoakClass{{Name: "a", Weight: 20}, {Name: "b", Weight: 5}, {Name: "c", Weight: 1}, {Name: "d"}}
	w := soakWheel(classes)
	if len(w) != 27 {
		t.Fatalf("wheel of %d slots, want 27 (a weight of 0 counts as 1)", len(w))
	}
	n := map[int]int{}
	for _, ci := range w {
		n[ci]++
	}
	if n[0] != 20 || n[1] != 5 || n[2] != 1 || n[3] != 1 {
		t.Errorf("shares %v", n)
	}
	again := soakWheel(classes)
	sorted := true
	for i := range w {
		if w[i] != again[i] {
			t.Fatalf("two wheels differ at %d", i)
		}
		if i > 0 && w[i] < w[i-1] {
			sorted = false
		}
	}
	if sorted {
		t.Error("the wheel is not shuffled: classes would come in bursts")
	}
}

// TestSoakClassification checks how answers count: 5xx, transport errors and unexpected
// statuses are errors; 429 is shed, and an error too unless the run is an overload one.
func TestSoakClassification(t *testing.T) {
	c := SoakClass{Name: "x"}
	for _, overload := range []bool{false, true} {
		st := &classStats{status: map[int]int{}}
		st.record(c, 200, nil, 3, overload)
		st.record(c, 201, nil, 4, overload)
		st.record(c, 404, nil, 1, overload)
		st.record(c, 500, nil, 1, overload)
		st.record(c, 503, nil, 1, overload)
		st.record(c, 429, nil, 1, overload)
		st.record(c, 0, errTest, 1, overload)
		wantErrs := 5
		if overload {
			wantErrs = 4
		}
		if st.count != 7 || st.errs != wantErrs || st.e5xx != 2 || st.shd != 1 || len(st.lat) != 2 {
			t.Errorf("overload=%v: %+v", overload, st)
		}
	}
	ok := SoakClass{Name: "y", Expect: func(s int) bool { return s == 409 }}
	st := &classStats{status: map[int]int{}}
	st.record(ok, 409, nil, 2, false)
	st.record(ok, 200, nil, 2, false)
	if st.errs != 1 || len(st.lat) != 1 {
		t.Errorf("Expect: %+v", st)
	}
}

var errTest = testError("connection refused")

type testError string

func (e testError) Error() string { return string(e) }
