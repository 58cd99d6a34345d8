package assess

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Packed storage of the evidence ledger and of the current levels. One observation (an
// assessment's scoring, a validation, a training, an import) is one competence_evidence row
// whose lines column lists every line it observed; a professional's current levels are one
// competence_levels row. At national scale (1.3 M professionals × 140 lines) one row per line
// would be hundreds of millions of rows, too slow to write and to read.
//
// The text is one entry per line, entries separated by '\n', fields by ' ', in strictly
// increasing byte order of the line code (so a list has one text, and equal lists compare
// equal as strings):
//
//	lines:  "D1.A1.L01 2\nD1.A1.L02 3"                      code, level
//	levels: "D1.A1.L01 2 17\nD1.A1.L02 3 17,25\nD2.A1.L01 0"  code, level, evidence ids (optional)
//
// Portfolio codes never hold white space or control characters (the portfolio refuses them),
// so neither separator can occur in a code; evidence ids are digits joined by ','.

// lineLevel is one line observed at a level.
type lineLevel struct {
	Code  string
	Level int
}

// storedLevel is the current level of one line with the evidence rows it was computed from.
type storedLevel struct {
	Code     string
	Level    int
	Evidence []int64
}

// validPackedCode reports whether code can be packed: not empty, no white space or control
// characters (the separators).
func validPackedCode(code string) bool {
	if code == "" {
		return false
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// packLineLevels packs the lines of one observation, sorted by code; a code given twice keeps
// its last level. Codes must be valid portfolio codes and levels not negative.
func packLineLevels(ls []lineLevel) string {
	if !slices.IsSortedFunc(ls, func(a, b lineLevel) int { return strings.Compare(a.Code, b.Code) }) {
		ls = slices.Clone(ls)
		slices.SortStableFunc(ls, func(a, b lineLevel) int { return strings.Compare(a.Code, b.Code) })
	}
	size := 0
	for _, l := range ls {
		size += len(l.Code) + 3
	}
	var b strings.Builder
	b.Grow(size)
	for i, l := range ls {
		if i+1 < len(ls) && ls[i+1].Code == l.Code {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Code)
		b.WriteByte(' ')
		writeInt(&b, int64(l.Level))
	}
	return b.String()
}

// writeInt writes a decimal number; levels are almost always one digit.
func writeInt(b *strings.Builder, v int64) {
	if v >= 0 && v < 10 {
		b.WriteByte(byte('0' + v))
		return
	}
	var num [20]byte
	b.Write(strconv.AppendInt(num[:0], v, 10))
}

// unpackLineLevels reads the packed lines of one observation; malformed text is an error
// naming it.
func unpackLineLevels(s string) ([]lineLevel, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]lineLevel, 0, strings.Count(s, "\n")+1)
	err := walkPacked(s, "line levels", func(code string, level int, ids string) error {
		if ids != "" {
			return fmt.Errorf("unexpected third field %q", ids)
		}
		out = append(out, lineLevel{code, level})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// packStoredLevels packs a professional's current levels, sorted by code; a code given twice
// keeps its last entry. Codes must be valid portfolio codes, levels not negative and evidence
// ids positive.
func packStoredLevels(ls []storedLevel) string {
	if !slices.IsSortedFunc(ls, func(a, b storedLevel) int { return strings.Compare(a.Code, b.Code) }) {
		ls = slices.Clone(ls)
		slices.SortStableFunc(ls, func(a, b storedLevel) int { return strings.Compare(a.Code, b.Code) })
	}
	size := 0
	for _, l := range ls {
		size += len(l.Code) + 3 + 11*len(l.Evidence)
	}
	var b strings.Builder
	b.Grow(size)
	for i, l := range ls {
		if i+1 < len(ls) && ls[i+1].Code == l.Code {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Code)
		b.WriteByte(' ')
		writeInt(&b, int64(l.Level))
		for j, id := range l.Evidence {
			if j == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteByte(',')
			}
			writeInt(&b, id)
		}
	}
	return b.String()
}

// unpackStoredLevels reads a professional's packed current levels; malformed text is an
// error naming it.
func unpackStoredLevels(s string) ([]storedLevel, error) {
	if s == "" {
		return nil, nil
	}
	n := strings.Count(s, "\n") + 1
	out := make([]storedLevel, 0, n)
	// One backing array for every entry's ids: at most one id per comma plus one per entry.
	backing := make([]int64, 0, strings.Count(s, ",")+n)
	err := walkPacked(s, "stored levels", func(code string, level int, ids string) error {
		l := storedLevel{Code: code, Level: level}
		if ids != "" {
			start := len(backing)
			var err error
			if backing, err = appendIDs(backing, ids); err != nil {
				return err
			}
			l.Evidence = backing[start:len(backing):len(backing)]
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// storedLevelMap reads packed current levels into a map from line code to level, without the
// evidence ids: the hot path of the gap analysis and of objective regeneration.
func storedLevelMap(s string, into map[string]int) error {
	return walkPacked(s, "stored levels", func(code string, level int, ids string) error {
		if ids != "" && !validIDList(ids) {
			return fmt.Errorf("bad evidence ids %q", ids)
		}
		into[code] = level
		return nil
	})
}

// walkPacked calls fn with the code, level and raw third field (empty if absent) of every
// entry of packed text, checking the separators, the levels and the code order. Errors name
// the kind of text, the text itself (shortened) and the bad entry. It scans the bytes once:
// it runs for every professional of a regeneration.
func walkPacked(s, kind string, fn func(code string, level int, rest string) error) error {
	if s == "" {
		return nil
	}
	prev := ""
	for i, pos := 1, 0; ; i++ {
		fail := func(reason string) error {
			entry := s[pos:]
			if n := strings.IndexByte(entry, '\n'); n >= 0 {
				entry = entry[:n]
			}
			return packedError(kind, s, i, entry, reason)
		}
		j := pos
		for j < len(s) && s[j] > ' ' && s[j] != 0x7f {
			j++
		}
		code := s[pos:j]
		switch {
		case j == len(s) || s[j] == '\n':
			return fail("want a line code and a level separated by a space")
		case s[j] != ' ':
			k := j
			for k < len(s) && s[k] != ' ' && s[k] != '\n' {
				k++
			}
			return fail(fmt.Sprintf("bad line code %q", s[pos:k]))
		case code == "":
			return fail(`bad line code ""`)
		case i > 1 && code == prev:
			return fail("line " + code + " appears twice")
		case i > 1 && code < prev:
			return fail("line " + code + " is not in code order (after " + prev + ")")
		}
		k := j + 1
		for k < len(s) && s[k] != ' ' && s[k] != '\n' {
			k++
		}
		level, ok := parseDigits(s[j+1:k], 9)
		if !ok {
			return fail(fmt.Sprintf("bad level %q", s[j+1:k]))
		}
		third := ""
		if k < len(s) && s[k] == ' ' {
			m := k + 1
			for m < len(s) && s[m] != ' ' && s[m] != '\n' {
				m++
			}
			third = s[k+1 : m]
			if third == "" || (m < len(s) && s[m] == ' ') {
				return fail("empty or extra fields")
			}
			k = m
		}
		if err := fn(code, int(level), third); err != nil {
			return fail(err.Error())
		}
		if k == len(s) {
			return nil
		}
		prev, pos = code, k+1 // s[k] is the newline
	}
}

func packedError(kind, s string, i int, entry, reason string) error {
	return fmt.Errorf("malformed packed %s %q: entry %d %q: %s", kind, shorten(s), i, shorten(entry), reason)
}

// appendIDs appends the comma-separated positive evidence ids of s to dst.
func appendIDs(dst []int64, s string) ([]int64, error) {
	for {
		part, rest, more := strings.Cut(s, ",")
		id, ok := parseDigits(part, 18)
		if !ok || id == 0 {
			return dst, fmt.Errorf("bad evidence id %q", part)
		}
		dst = append(dst, id)
		if !more {
			return dst, nil
		}
		s = rest
	}
}

// validIDList reports whether s is comma-separated positive evidence ids.
func validIDList(s string) bool {
	for {
		part, rest, more := strings.Cut(s, ",")
		if id, ok := parseDigits(part, 18); !ok || id == 0 {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// parseDigits parses a non-negative decimal of at most maxLen digits without sign or
// leading zeros (so every number has one spelling).
func parseDigits(s string, maxLen int) (int64, bool) {
	if s == "" || len(s) > maxLen || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// shorten keeps error messages readable when the packed text is long.
func shorten(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}
