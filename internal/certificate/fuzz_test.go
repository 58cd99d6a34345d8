package certificate

import "testing"

// FuzzParseCode feeds arbitrary strings to the reader of verification codes (typed by
// anyone on the public verification page): an accepted code is canonical, reads back as
// itself, and so does its display form.
//
//	go test ./internal/certificate -run '^$' -fuzz '^FuzzParseCode$' -fuzztime 60s
func FuzzParseCode(f *testing.F) {
	f.Add(NewCode())
	f.Add(FormatCode(NewCode()))
	for _, s := range []string{"", "oooo-iiii-llll-0", "ÀÉÎ", "0000 0000 0000 0", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := ParseCode(s)
		if !ok {
			if c != "" {
				t.Fatalf("%q refused but gave %q", s, c)
			}
			return
		}
		if len(c) != codeLen+1 {
			t.Fatalf("%q read as %q", s, c)
		}
		if again, ok := ParseCode(c); !ok || again != c {
			t.Fatalf("canonical %q reads %q %v", c, again, ok)
		}
		if again, ok := ParseCode(FormatCode(c)); !ok || again != c {
			t.Fatalf("display form %q reads %q %v", FormatCode(c), again, ok)
		}
	})
}
