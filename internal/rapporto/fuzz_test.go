package rapporto_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"esd/internal/domain"
	"esd/internal/rapporto"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and it returns either a
// result or an EINVALID error with problems, never both.
//
//	go test ./internal/rapporto -run '^$' -fuzz '^FuzzParse$' -fuzztime 30s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("<dataroot><evento"))
	f.Add([]byte("cod_fisc;nome\n\"unterminated"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := rapporto.Parse(bytes.NewReader(b), "fuzz")
		if err != nil {
			e := domain.AsError(err)
			if e == nil || e.Code != domain.EINVALID || len(e.Details) == 0 {
				t.Fatalf("err = %v", err)
			}
			if rep.Event != nil || rep.Participants != nil {
				t.Fatal("half result with an error")
			}
			return
		}
		if len(rep.Participants) == 0 {
			t.Fatal("a report without participants was accepted")
		}
		for _, p := range rep.Participants {
			if p.Line <= 0 || len(p.CF) != 16 && len(p.CF) != 11 {
				t.Fatalf("participant without its line or a codice fiscale: %+v", p)
			}
		}
		if rep.Format == "xml" {
			// What was accepted can be written back (names transliterated) unless a name
			// has no Latin letter at all; what is written reads back as the same people
			// with the same credits.
			var out bytes.Buffer
			if rapporto.WriteXML(&out, rep) != nil {
				return
			}
			again, err := rapporto.Parse(bytes.NewReader(out.Bytes()), "again")
			if err != nil {
				t.Fatalf("a report written by WriteXML is refused: %v %+v\n%s", err, domain.AsError(err), out.Bytes())
			}
			if len(again.Participants) != len(rep.Participants) {
				t.Fatalf("%d participants, %d after the round trip", len(rep.Participants), len(again.Participants))
			}
			for i, p := range rep.Participants {
				q := again.Participants[i]
				if q.CF != p.CF || q.Credits != p.Credits || q.Role != p.Role || q.AcquiredOn != p.AcquiredOn {
					t.Fatalf("participant %d changed in the round trip:\n%+v\n%+v", i, p, q)
				}
			}
		}
	})
}
