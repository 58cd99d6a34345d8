package assess

import (
	"fmt"
	"strconv"
	"strings"
)

// A sitting's required lines and its scored results are stored packed in two text columns of
// the assessment (assessments.lines, assessments.results) rather than as one row per line:
// they are written once, always read whole, and at national scale one row per line would be
// 280 rows per assessment (364 M rows for 1.3 M assessments). Entries are separated by a
// newline and their fields by a space: portfolio codes contain no white space (see the
// portfolio's validCode), ids and levels are decimal integers.

// sittingLine is one line a sitting covers: its ambito (0 when directly under a dimension)
// and the persona's target when the sitting started.
type sittingLine struct {
	LineID int64
	AreaID int64
	Target int
}

// packSittingLines encodes lines as "line area target" entries.
func packSittingLines(ls []sittingLine) string {
	var b strings.Builder
	b.Grow(len(ls) * 14)
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.FormatInt(l.LineID, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(l.AreaID, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(l.Target))
	}
	return b.String()
}

// unpackSittingLines decodes what packSittingLines wrote.
func unpackSittingLines(s string) ([]sittingLine, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]sittingLine, 0, strings.Count(s, "\n")+1)
	for n, e := range strings.Split(s, "\n") {
		f := strings.Split(e, " ")
		if len(f) != 3 {
			return nil, fmt.Errorf("assessment lines, entry %d %q: want 3 fields (line area target), got %d", n+1, e, len(f))
		}
		var l sittingLine
		var err error
		if l.LineID, err = strconv.ParseInt(f[0], 10, 64); err != nil {
			return nil, fmt.Errorf("assessment lines, entry %d: line id %q: %w", n+1, f[0], err)
		}
		if l.AreaID, err = strconv.ParseInt(f[1], 10, 64); err != nil {
			return nil, fmt.Errorf("assessment lines, entry %d: ambito id %q: %w", n+1, f[1], err)
		}
		if l.Target, err = strconv.Atoi(f[2]); err != nil {
			return nil, fmt.Errorf("assessment lines, entry %d: target %q: %w", n+1, f[2], err)
		}
		out = append(out, l)
	}
	return out, nil
}

// resultFields is the number of fields of one packed result entry.
const resultFields = 10

// packResults encodes scored lines as "line code self from_area asked correct max_correct
// min_wrong level previous" entries (from_area 0/1, previous -1 when none).
func packResults(scores []LineScore) string {
	var b strings.Builder
	b.Grow(len(scores) * 32)
	num := func(v int) {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(v))
	}
	for i, sc := range scores {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.FormatInt(sc.LineID, 10))
		b.WriteByte(' ')
		b.WriteString(sc.LineCode)
		num(sc.Self)
		fromArea := 0
		if sc.FromArea {
			fromArea = 1
		}
		num(fromArea)
		num(sc.Asked)
		num(sc.Correct)
		num(sc.MaxCorrect)
		num(sc.MinWrong)
		num(sc.Level)
		prev := -1
		if sc.Previous != nil {
			prev = *sc.Previous
		}
		num(prev)
	}
	return b.String()
}

// unpackResults decodes what packResults wrote (Explanation is left empty).
func unpackResults(s string) ([]LineScore, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]LineScore, 0, strings.Count(s, "\n")+1)
	for n, e := range strings.Split(s, "\n") {
		f := strings.Split(e, " ")
		if len(f) != resultFields {
			return nil, fmt.Errorf("assessment results, entry %d %q: want %d fields, got %d", n+1, e, resultFields, len(f))
		}
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("assessment results, entry %d: line id %q: %w", n+1, f[0], err)
		}
		var v [8]int
		for i := range v {
			if v[i], err = strconv.Atoi(f[i+2]); err != nil {
				return nil, fmt.Errorf("assessment results, entry %d, field %d: %q: %w", n+1, i+3, f[i+2], err)
			}
		}
		if f[1] == "" || v[1] < 0 || v[1] > 1 {
			return nil, fmt.Errorf("assessment results, entry %d %q: empty line code or from_area not 0/1", n+1, e)
		}
		sc := LineScore{LineID: id, LineCode: f[1], Self: v[0], FromArea: v[1] == 1, Asked: v[2], Correct: v[3], MaxCorrect: v[4], MinWrong: v[5], Level: v[6]}
		if v[7] >= 0 {
			p := v[7]
			sc.Previous = &p
		}
		out = append(out, sc)
	}
	return out, nil
}
