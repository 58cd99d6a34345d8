package assess

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func TestPackLineLevels(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []lineLevel
		want string
	}{
		{"empty", nil, ""},
		{"one", []lineLevel{{"D1.A1.L01", 2}}, "D1.A1.L01 2"},
		{"sorted by code", []lineLevel{{"D2.A1.L01", 0}, {"D1.A1.L10", 4}, {"D1.A1.L02", 3}}, "D1.A1.L02 3\nD1.A1.L10 4\nD2.A1.L01 0"},
		{"imported codes", []lineLevel{{"x_1-b.2", 1}, {"X:1/a", 12}}, "X:1/a 12\nx_1-b.2 1"},
		{"a code given twice keeps its last level", []lineLevel{{"B", 1}, {"A", 2}, {"B", 3}}, "A 2\nB 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := packLineLevels(c.in)
			if got != c.want {
				t.Fatalf("pack %v = %q, want %q", c.in, got, c.want)
			}
			back, err := unpackLineLevels(got)
			if err != nil {
				t.Fatal(err)
			}
			if packLineLevels(back) != got {
				t.Fatalf("round trip of %q gives %v", got, back)
			}
		})
	}
}

func TestPackStoredLevels(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []storedLevel
		want string
	}{
		{"empty", nil, ""},
		{"without evidence", []storedLevel{{"D1.A1.L01", 2, nil}}, "D1.A1.L01 2"},
		{"ids kept in their order", []storedLevel{{"D1.A2.L03", 3, []int64{25, 17}}, {"D1.A1.L01", 1, []int64{9}}},
			"D1.A1.L01 1 9\nD1.A2.L03 3 25,17"},
		{"large ids", []storedLevel{{"L", 0, []int64{1, 999999999999}}}, "L 0 1,999999999999"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := packStoredLevels(c.in)
			if got != c.want {
				t.Fatalf("pack %v = %q, want %q", c.in, got, c.want)
			}
			back, err := unpackStoredLevels(got)
			if err != nil {
				t.Fatal(err)
			}
			if packStoredLevels(back) != got {
				t.Fatalf("round trip of %q gives %v", got, back)
			}
			m := map[string]int{}
			if err := storedLevelMap(got, m); err != nil || len(m) != len(back) {
				t.Fatalf("map of %q: %v %v", got, m, err)
			}
			for _, l := range back {
				if m[l.Code] != l.Level {
					t.Fatalf("map of %q: %v", got, m)
				}
			}
		})
	}
}

func TestPackedRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := "ABCDabcd0123456789.-_:/"
	for n := 0; n < 300; n++ {
		seen := map[string]bool{}
		var ll []lineLevel
		var sl []storedLevel
		for k := rng.Intn(150); k > 0; k-- {
			var b strings.Builder
			for j := 1 + rng.Intn(12); j > 0; j-- {
				b.WriteByte(alphabet[rng.Intn(len(alphabet))])
			}
			code := b.String()
			if seen[code] {
				continue
			}
			seen[code] = true
			lv := rng.Intn(6)
			ll = append(ll, lineLevel{code, lv})
			var ids []int64
			for j := rng.Intn(4); j > 0; j-- {
				ids = append(ids, 1+rng.Int63n(1<<40))
			}
			sl = append(sl, storedLevel{code, lv, ids})
		}
		p := packLineLevels(ll)
		back, err := unpackLineLevels(p)
		if err != nil || len(back) != len(ll) {
			t.Fatalf("unpack %q: %d of %d, %v", p, len(back), len(ll), err)
		}
		want := map[string]int{}
		for _, l := range ll {
			want[l.Code] = l.Level
		}
		for i, l := range back {
			if want[l.Code] != l.Level || (i > 0 && back[i-1].Code >= l.Code) {
				t.Fatalf("unpack %q: %v", p, back)
			}
		}
		ps := packStoredLevels(sl)
		sback, err := unpackStoredLevels(ps)
		if err != nil || len(sback) != len(sl) {
			t.Fatalf("unpack %q: %v", ps, err)
		}
		wantIDs := map[string][]int64{}
		for _, l := range sl {
			wantIDs[l.Code] = l.Evidence
		}
		for _, l := range sback {
			if want[l.Code] != l.Level || !reflect.DeepEqual(wantIDs[l.Code], l.Evidence) {
				t.Fatalf("unpack %q: %+v", ps, l)
			}
		}
		// Appending to one entry's ids must not overwrite the next entry's.
		if len(sback) > 1 && len(sback[0].Evidence) > 0 {
			next := fmt.Sprint(sback[1].Evidence)
			_ = append(sback[0].Evidence, 7)
			if fmt.Sprint(sback[1].Evidence) != next {
				t.Fatal("entries share their ids' capacity")
			}
		}
	}
}

func TestUnpackMalformed(t *testing.T) {
	both := []struct{ text, reason string }{
		{"D1", "want a line code and a level"},
		{"D1 2\n", "want a line code and a level"},
		{"\nD1 2", "want a line code and a level"},
		{" 2", "bad line code"},
		{"D1\t2", "bad line code \"D1\\t2\""},
		{"D1\r 2", "bad line code"},
		{"D1 ", "bad level"},
		{"D1 x", "bad level"},
		{"D1 -1", "bad level"},
		{"D1 +1", "bad level"},
		{"D1 02", "bad level"},
		{"D1 9999999999", "bad level"},
		{"D1 2  ", "empty or extra fields"},
		{"D1 2\nD1 3", "line D1 appears twice"},
		{"D2 2\nD1 3", "line D1 is not in code order (after D2)"},
	}
	lineOnly := []struct{ text, reason string }{
		{"D1 2 5", "unexpected third field"},
	}
	storedOnly := []struct{ text, reason string }{
		{"D1 2 ", "empty or extra fields"},
		{"D1 2 5 6", "empty or extra fields"},
		{"D1 2 0", "bad evidence id"},
		{"D1 2 5,", "bad evidence id"},
		{"D1 2 ,5", "bad evidence id"},
		{"D1 2 5,,6", "bad evidence id"},
		{"D1 2 5;6", "bad evidence id"},
		{"D1 2 1234567890123456789", "bad evidence id"},
	}
	check := func(t *testing.T, kind, text, reason string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s %q accepted", kind, text)
			return
		}
		msg := err.Error()
		if !strings.Contains(msg, "malformed packed "+kind) || !strings.Contains(msg, fmt.Sprintf("%q", text)) || !strings.Contains(msg, reason) {
			t.Errorf("%s %q: error %q should name the text and say %q", kind, text, msg, reason)
		}
	}
	for _, c := range append(both, lineOnly...) {
		_, err := unpackLineLevels(c.text)
		check(t, "line levels", c.text, c.reason, err)
	}
	for _, c := range append(both, storedOnly...) {
		_, err := unpackStoredLevels(c.text)
		check(t, "stored levels", c.text, c.reason, err)
		check(t, "stored levels", c.text, c.reason, storedLevelMap(c.text, map[string]int{}))
	}
	// Long text is shortened in the message.
	long := strings.Repeat("D1.A1.L01 2\n", 40) + "bad"
	if _, err := unpackLineLevels(long); err == nil || len(err.Error()) > 300 {
		t.Errorf("long malformed text: %v", err)
	}
}

func BenchmarkPacked(b *testing.B) {
	var ll []lineLevel
	var sl []storedLevel
	for i := 0; i < 140; i++ {
		code := fmt.Sprintf("D%d.A%d.L%02d", i/24+1, i/8%3+1, i%8+1)
		ll = append(ll, lineLevel{code, i % 5})
		sl = append(sl, storedLevel{code, i % 5, []int64{int64(1000000 + i)}})
	}
	lp, sp := packLineLevels(ll), packStoredLevels(sl)
	b.Run("pack lines", func(b *testing.B) {
		for b.Loop() {
			packLineLevels(ll)
		}
	})
	b.Run("unpack lines", func(b *testing.B) {
		for b.Loop() {
			if _, err := unpackLineLevels(lp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pack levels", func(b *testing.B) {
		for b.Loop() {
			packStoredLevels(sl)
		}
	})
	b.Run("levels map", func(b *testing.B) {
		for b.Loop() {
			if err := storedLevelMap(sp, make(map[string]int, 140)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unpack levels", func(b *testing.B) {
		for b.Loop() {
			if _, err := unpackStoredLevels(sp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
