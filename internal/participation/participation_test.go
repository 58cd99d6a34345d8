package participation

import (
	"reflect"
	"testing"

	"esd/internal/assess"
)

func TestCheckGivesTheReason(t *testing.T) {
	score := func(v float64) *float64 { return &v }
	cases := []struct {
		name string
		x    Participation
		role string
		ok   bool
		why  string
	}{
		{"no test", Participation{Type: "RES", EventHours: 8}, "P", false, "learning test not recorded"},
		{"test under 75 %", Participation{Type: "RES", EventHours: 8, TestScore: score(0.74)}, "P", false, "learning test 74% under the 75% required"},
		{"test at 75 %", Participation{Type: "RES", EventHours: 8, TestScore: score(0.75)}, "P", true, ""},
		{"attendance short", Participation{Type: "RES", EventHours: 10, AttendedHours: 8.5, TestScore: score(0.9)}, "P", false, "attendance 8.5 h under 90% of 10 h"},
		{"attendance at 90 %", Participation{Type: "RES", EventHours: 10, AttendedHours: 9, TestScore: score(0.9)}, "P", true, ""},
		{"FAD not completed", Participation{Type: "FAD", TestScore: score(1)}, "P", false, "FAD course not completed"},
		{"FAD completed", Participation{Type: "FAD", TestScore: score(1), FADCompleted: true}, "P", true, ""},
		{"teacher needs no test", Participation{Type: "RES"}, "D", true, ""},
	}
	for _, c := range cases {
		ok, why := Check(c.x, c.role)
		if ok != c.ok || why != c.why {
			t.Errorf("%s: got %v %q, want %v %q", c.name, ok, why, c.ok, c.why)
		}
	}
}

func TestEvidenceWeights(t *testing.T) {
	w := DefaultEvidenceWeights
	for _, c := range []struct {
		level     int
		role, typ string
		want      int
	}{{3, "P", "RES", 3}, {3, "P", "FAD", 2}, {2, "T", "RES", 2}, {1, "T", "FAD", 1}, {4, "T", "FAD", 2}, {2, "D", "FSC", 2}} {
		if got := w.Level(c.level, c.role, c.typ); got != c.want {
			t.Errorf("Level(%d, %s, %s) = %d, want %d", c.level, c.role, c.typ, got, c.want)
		}
	}
	low := EvidenceWeights{Role: map[string]float64{"P": 0.2}}
	if got := low.Level(2, "P", "RES"); got != 0 {
		t.Errorf("a weight that rounds below 1 gives %d, want no evidence (0)", got)
	}
}

func TestPairsRoundTrip(t *testing.T) {
	got := parsePairs("14.85:1.58.59|1")
	want := [][2]int{{1, 0}, {1, 58}, {1, 59}, {14, 85}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parsePairs = %v, want %v", got, want)
	}
	if s := formatPairs(got); s != "1.0:1.58:1.59:14.85" {
		t.Fatalf("formatPairs = %q", s)
	}
	g := groupPairs(got)
	if len(g) != 2 || g[0].Code != 1 || !reflect.DeepEqual(g[0].Disciplines, []int{58, 59}) || g[1].Disciplines[0] != 85 {
		t.Fatalf("groupPairs = %+v", g)
	}
	moves := []assess.LevelChange{{Line: "D1.A1.L01", From: 1, To: 2}, {Line: "D4.A2.L03", From: 0, To: 3}}
	back := unpackMoves(packMoves(moves))
	if len(back) != 2 || back[1] != (Move{Line: "D4.A2.L03", From: 0, To: 3}) {
		t.Fatalf("moves round trip: %+v", back)
	}
}

func TestInAudience(t *testing.T) {
	ed := edition{Audience: [][2]int{{14, 0}, {1, 58}}}
	for _, c := range []struct {
		pairs [][2]int
		want  bool
	}{{[][2]int{{14, 85}}, true}, {[][2]int{{1, 58}}, true}, {[][2]int{{1, 59}}, false}, {[][2]int{{17, 91}}, false}, {[][2]int{{1, 0}}, true}} {
		if got := ed.inAudience(c.pairs); got != c.want {
			t.Errorf("inAudience(%v) = %v, want %v", c.pairs, got, c.want)
		}
	}
	if !(edition{AudienceAll: true}).inAudience([][2]int{{30, 1}}) {
		t.Error("an event for every profession refuses someone")
	}
}
