// Package textnorm folds text for accent- and case-insensitive matching: "Città" and
// "CITTA'" both become "citta". Search columns are stored folded by Go, because SQLite's
// lower() and LIKE fold ASCII only.
package textnorm

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Fold lowercases s, strips diacritics, turns apostrophes and punctuation into spaces and
// collapses white space.
func Fold(s string) string {
	out := s
	if !isASCII(s) {
		t := stripPool.Get().(transform.Transformer)
		t.Reset()
		var err error
		out, _, err = transform.String(t, s)
		stripPool.Put(t)
		if err != nil {
			out = s
		}
	}
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(out) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// stripPool reuses diacritic-stripping transformers: building one per call cost a tenth of
// a bulk import's CPU. A transformer is stateful, so each goroutine takes its own.
var stripPool = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ASCIIName transliterates a personal name to the characters the Co.Ge.A.P.S. rapporto
// evento accepts ([a-zA-Z ',\-.]): accents are dropped, other letters kept as they are.
func ASCIIName(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	var b strings.Builder
	for _, r := range out {
		switch {
		case r < 128 && (unicode.IsLetter(r) || strings.ContainsRune(" ',-.", r)):
			b.WriteRune(r)
		case r == '’':
			b.WriteByte('\'')
		}
	}
	return b.String()
}
