package assess

// TEMPORARY local stand-in for the evidence branch's codec; replaced at merge.

import (
	"strconv"
	"strings"
)

type lineLevel struct {
	Code  string
	Level int
}

func packLineLevels(ls []lineLevel) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Code + " " + strconv.Itoa(l.Level))
	}
	return b.String()
}

type storedLevel struct {
	Code     string
	Level    int
	Evidence []int64
}

func packStoredLevels(ls []storedLevel) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Code + " " + strconv.Itoa(l.Level) + " " + joinIDs(l.Evidence))
	}
	return b.String()
}
