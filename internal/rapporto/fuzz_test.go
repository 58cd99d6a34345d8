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
//	go test ./internal/rapporto -run '^$' -fuzz FuzzParse -fuzztime 30s
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
		if rep.Format == "xml" {
			// What was accepted can be written back (names transliterated) unless a name
			// has no Latin letter at all.
			var out bytes.Buffer
			_ = rapporto.WriteXML(&out, rep)
		}
	})
}
