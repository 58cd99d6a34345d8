package cf

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// The five codes domain.md §4.1 checked the algorithm against, including an omocodic one.
func TestPublishedCodes(t *testing.T) {
	for _, tc := range []struct {
		code, norm, sex, place string
		birth                  time.Time
		omocodic               bool
	}{
		{"RSSMRA85T10A562S", "RSSMRA85T10A562S", "M", "A562", date(1985, 12, 10), false},
		{"RSSMRA79B11C566R", "RSSMRA79B11C566R", "M", "C566", date(1979, 2, 11), false},
		{"RSSFNC80T31F205U", "RSSFNC80T31F205U", "M", "F205", date(1980, 12, 31), false},
		{"ABCDEF12B23P432P", "ABCDEF12B23P432P", "M", "P432", date(2012, 2, 23), false},
		{"ABCDEF12B23P43NE", "ABCDEF12B23P432P", "M", "P432", date(2012, 2, 23), true},
	} {
		// The two ABCDEF codes are the algorithm's published examples with a birthplace no
		// comune has (P432): they validate only without the comuni lookup.
		c, err := Parse(tc.code)
		if err != nil {
			t.Errorf("%s: %v", tc.code, err)
			continue
		}
		if c.Normalised != tc.norm || c.Display != tc.code || c.Sex != tc.sex || c.Birthplace != tc.place ||
			!c.BirthDate.Equal(tc.birth) || c.Omocodic != tc.omocodic || c.Temporary {
			t.Errorf("%s: got %+v", tc.code, c)
		}
	}
}

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		family, given string
		birth         time.Time
		sex, place    string
		want          string
	}{
		{"Rossi", "Mario", date(1985, 12, 10), "M", "A562", "RSSMRA85T10A562S"},
		{"Rossi", "Mario", date(1979, 2, 11), "M", "C566", "RSSMRA79B11C566R"},
		{"Rossi", "Franco", date(1980, 12, 31), "M", "F205", "RSSFNC80T31F205U"},
		// Women: day + 40. Names with 4+ consonants take the 1st, 3rd and 4th.
		{"Bianchi", "Francesca", date(1990, 3, 5), "F", "D612", ""},
		// Accents and apostrophes do not count; short surnames are padded with X.
		{"D'Angelo", "Nicolò", date(1975, 7, 1), "M", "G702", ""},
		{"Fo", "Ua", date(2001, 1, 1), "F", "Z404", ""},
	} {
		got, err := Encode(tc.family, tc.given, tc.birth, tc.sex, tc.place)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.family, tc.given, err)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("%s %s: got %s want %s", tc.family, tc.given, got, tc.want)
		}
		c, err := Parse(got)
		if err != nil {
			t.Fatalf("encoded %s does not parse: %v", got, err)
		}
		if !c.BirthDate.Equal(tc.birth) || c.Sex != tc.sex || c.Birthplace != tc.place {
			t.Errorf("%s: round trip gave %+v", got, c)
		}
	}
	if got, _ := Encode("Bianchi", "Francesca", date(1990, 3, 5), "F", "D612"); !strings.HasPrefix(got, "BNCFNC90C45D612") {
		t.Errorf("Francesca Bianchi: %s", got)
	}
	if got, _ := Encode("D'Angelo", "Nicolò", date(1975, 7, 1), "M", "G702"); !strings.HasPrefix(got, "DNGNCL75L01G702") {
		t.Errorf("Nicolò D'Angelo: %s", got)
	}
	if got, _ := Encode("Fo", "Ua", date(2001, 1, 1), "F", "Z404"); !strings.HasPrefix(got, "FOXUAX01A41Z404") {
		t.Errorf("Ua Fo: %s", got)
	}
	for _, bad := range [][5]string{{"", "Mario", "M", "A562"}, {"Rossi", "123", "M", "A562"}, {"Rossi", "Mario", "X", "A562"}, {"Rossi", "Mario", "M", "562"}} {
		if _, err := Encode(bad[0], bad[1], date(1980, 1, 1), bad[2], bad[3]); err == nil {
			t.Errorf("Encode%v: want an error", bad)
		}
	}
}

func TestOmocodia(t *testing.T) {
	base := "RSSMRA85T10A562S"
	seen := map[string]bool{}
	for n := 1; n <= 7; n++ {
		o, err := Omocode(base, n)
		if err != nil {
			t.Fatal(err)
		}
		if seen[o] || o == base {
			t.Fatalf("level %d: %s not new", n, o)
		}
		seen[o] = true
		c, err := Parse(o)
		if err != nil {
			t.Fatalf("omocodic %s (level %d): %v", o, n, err)
		}
		if c.Normalised != base || !c.Omocodic || c.Display != o {
			t.Errorf("%s: normalised %s, want %s", o, c.Normalised, base)
		}
	}
	if o, _ := Omocode(base, 7); o != "RSSMRAURTMLARSN"+string(CheckChar("RSSMRAURTMLARSN")) {
		t.Errorf("full omocodia: %s", o)
	}
	// A letter outside L-V in a numeric position is not omocodia.
	if _, err := Parse("RSSMRA85T10A56AS"); err == nil {
		t.Error("A in a numeric position accepted")
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"", "empty"},
		{"RSSMRA85T10A562", "16 characters"},
		{"RSSMRA85T10A562SX", "16 characters"},
		{"RSSMRA85T10A562T", "wrong check character"},
		{"RSSMRA85X10A562S", "invalid month"},
		{"RSSMRA85T32A562S", "invalid day"},
		{"RSSMRA85T00A562S", "invalid day"},
		{"RSSMRA85T72A562S", "invalid day"},
		{"RSSMRA85B30A562S", "does not exist"},
		{"RSSMR185T10A562S", "must be letters"},
		{"RSSMRA85T10A56ÀS", "16 characters"},
		{"RSSMRA85T10A56#S", "invalid character"},
		{"RSSMRA85T10Z012S", "foreign-state"},
		{"RSSMRA85T10A5627", "check character must be a letter"},
		{"1234567890", "16 characters"},
		{"12345678901", "wrong check digit"},
		{"00000000000", "all zeros"},
		{"1234567890A", "11 digits"},
	} {
		_, err := Parse(tc.code)
		if err == nil {
			t.Errorf("%q: accepted", tc.code)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %q, want it to mention %q", tc.code, err, tc.want)
		}
	}
}

func TestCheckCharIsRecomputedForEveryBadOne(t *testing.T) {
	// Any single wrong check character is refused.
	for c := byte('A'); c <= 'Z'; c++ {
		code := "RSSMRA85T10A562" + string(c)
		_, err := Parse(code)
		if (err == nil) != (c == 'S') {
			t.Errorf("%s: err %v", code, err)
		}
	}
}

func TestLookupAndNormalisation(t *testing.T) {
	known := func(b string) bool { return b == "A562" || b == "D612" }
	if _, err := Validate("RSSMRA85T10A562S", known); err != nil {
		t.Fatal(err)
	}
	if _, err := Validate("RSSMRA79B11C566R", known); err == nil || !strings.Contains(err.Error(), "unknown birthplace") {
		t.Fatalf("unknown comune: %v", err)
	}
	if _, err := Validate("ABCDEF12B23P43NE", known); err == nil || !strings.Contains(err.Error(), "unknown birthplace code P432") {
		t.Fatalf("published example with no real comune: %v", err)
	}
	// Foreign states are not looked up (no official list is embedded).
	foreign, _ := Encode("Smith", "John", date(1970, 5, 5), "M", "Z114")
	c, err := Validate(foreign, known)
	if err != nil || !c.Foreign() {
		t.Fatalf("foreign %s: %+v %v", foreign, c, err)
	}
	// Lower case and spaces are accepted and normalised.
	c, err = Parse("  rssmra 85t10 a562s ")
	if err != nil || c.Normalised != "RSSMRA85T10A562S" || c.Display != "RSSMRA85T10A562S" {
		t.Fatalf("lower case: %+v %v", c, err)
	}
	n, err := Normalise("ABCDEF12B23P43NE")
	if err != nil || n != "ABCDEF12B23P432P" {
		t.Fatalf("Normalise: %s %v", n, err)
	}
}

func TestTemporary(t *testing.T) {
	for _, d := range []string{"0000000001", "1234567890", "9876543210", "0123456789"} {
		code, err := Temporary(d)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(code)
		if err != nil || !c.Temporary || c.Normalised != code || !c.BirthDate.IsZero() || c.Sex != "" {
			t.Fatalf("%s: %+v %v", code, c, err)
		}
		bad := code[:10] + string('0'+(code[10]-'0'+1)%10)
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s: wrong check digit accepted", bad)
		}
	}
	// A real partita IVA shape (the algorithm is the same).
	if _, err := Parse("12345678903"); err != nil {
		t.Errorf("12345678903: %v", err)
	}
	if _, err := Temporary("12345"); err == nil {
		t.Error("short input accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"RSSMRA85T10A562S", "ABCDEF12B23P43NE", "12345678903", "rssmra85t10a562s", "", "ZZZZZZ99Z99Z999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of the wrong type: %T", err)
			}
			return
		}
		if c.Temporary {
			if len(c.Normalised) != 11 {
				t.Fatalf("temporary %q normalised to %q", s, c.Normalised)
			}
			return
		}
		if len(c.Normalised) != 16 || c.BirthDate.IsZero() || (c.Sex != "M" && c.Sex != "F") {
			t.Fatalf("%q parsed to %+v", s, c)
		}
		// The normal form is itself valid, normal and not omocodic.
		again, err := Parse(c.Normalised)
		if err != nil || again.Normalised != c.Normalised || again.Omocodic {
			t.Fatalf("normal form %q of %q: %+v %v", c.Normalised, s, again, err)
		}
		// Every omocodic variant normalises back.
		for n := 1; n <= 7; n++ {
			o, err := Omocode(c.Normalised, n)
			if err != nil {
				t.Fatal(err)
			}
			if x, err := Parse(o); err != nil || x.Normalised != c.Normalised {
				t.Fatalf("omocode %d of %q: %q %v", n, c.Normalised, x.Normalised, err)
			}
		}
	})
}
