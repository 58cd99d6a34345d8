package seed

import (
	"reflect"
	"testing"
)

func TestEventGenerator(t *testing.T) {
	a := NewEventGenerator(7, 200, 2025, 10)
	b := NewEventGenerator(7, 200, 2025, 10)
	const n = 20_000
	types := map[string]int{}
	digital, online, keyworded := 0, 0, 0
	years := map[int]int{}
	for i := 0; i < n; i++ {
		e := a.Event(i)
		if !reflect.DeepEqual(e, b.Event(i)) {
			t.Fatalf("event %d is not deterministic", i)
		}
		if e.Title == "" || e.Hours <= 0 || e.End.Before(e.Start) || e.Provider < 0 || e.Provider >= 200 {
			t.Fatalf("event %d: %+v", i, e)
		}
		if e.Online != (e.RegionCode == "") {
			t.Fatalf("event %d: online %v with region %q", i, e.Online, e.RegionCode)
		}
		if e.Year < 2016 || e.Year > 2025 || e.Start.Year() != e.Year {
			t.Fatalf("event %d: year %d start %v", i, e.Year, e.Start)
		}
		types[e.Type]++
		years[e.Year]++
		if e.Digital {
			digital++
		}
		if e.Online {
			online++
		}
		if len(e.Keywords) > 0 {
			keyworded++
		}
	}
	res := float64(types["RES"]) / n
	if res < 0.66 || res > 0.76 || types["BLENDED"] == 0 || types["FSC"] == 0 {
		t.Errorf("types %v", types)
	}
	if d := float64(digital) / n; d < 0.15 || d > 0.35 {
		t.Errorf("digital share %.2f", d)
	}
	if keyworded == 0 {
		t.Error("no title carries the programme's keywords")
	}
	if years[2025] <= years[2016] {
		t.Errorf("the catalogue does not grow: %v", years)
	}
}
