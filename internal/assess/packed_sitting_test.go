package assess

import (
	"reflect"
	"strings"
	"testing"
)

func TestPackedSittingRoundTrip(t *testing.T) {
	lines := []sittingLine{{LineID: 12, AreaID: 3, Target: 2}, {LineID: 13, AreaID: 0, Target: 4}}
	got, err := unpackSittingLines(packSittingLines(lines))
	if err != nil || !reflect.DeepEqual(got, lines) {
		t.Fatalf("lines round trip: got %+v, %v; want %+v", got, err, lines)
	}
	if got, err := unpackSittingLines(""); err != nil || got != nil {
		t.Fatalf("empty lines: %+v, %v", got, err)
	}
	two := 2
	scores := []LineScore{
		{LineID: 7, LineCode: "D1.A1.L01", Self: 3, FromArea: true, Asked: 2, Correct: 1, MaxCorrect: 2, MinWrong: 3, Level: 2, Previous: &two},
		{LineID: 8, LineCode: "X-ü_9", Self: 0, Level: 0},
	}
	back, err := unpackResults(packResults(scores))
	if err != nil || !reflect.DeepEqual(back, scores) {
		t.Fatalf("results round trip: got %+v, %v; want %+v", back, err, scores)
	}
}

func TestPackedSittingRejectsMalformed(t *testing.T) {
	for _, bad := range []string{"1 2", "1 2 x", "a 2 3", "1 2 3\n", "1 2 3 4"} {
		if _, err := unpackSittingLines(bad); err == nil || !strings.Contains(err.Error(), "assessment lines, entry") {
			t.Errorf("lines %q: want an error naming the entry, got %v", bad, err)
		}
	}
	for _, bad := range []string{"7 D1 3 1 0 0 0 0 3", "7 D1 3 2 0 0 0 0 3 -1", "x D1 3 1 0 0 0 0 3 -1", "7  3 1 0 0 0 0 3 -1", "7 D1 3 1 0 0 0 0 z -1"} {
		if _, err := unpackResults(bad); err == nil || !strings.Contains(err.Error(), "assessment results, entry") {
			t.Errorf("results %q: want an error naming the entry, got %v", bad, err)
		}
	}
}
