package indicators

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Period is a quarter (2025-Q1) or a month (2025-03). First and Last are months counted as
// year*12 + month - 1, so that two periods overlap when their ranges intersect.
type Period struct {
	Code        string
	First, Last int
}

// Year is the calendar year of the period (training figures are kept per year).
func (p Period) Year() string { return strconv.Itoa(p.First / 12) }

// Quarter reports whether the period is a quarter.
func (p Period) Quarter() bool { return p.Last > p.First }

var (
	quarterRE = regexp.MustCompile(`^(20[0-9]{2})[- ]?(?:Q|T)([1-4])$`)
	monthRE   = regexp.MustCompile(`^(20[0-9]{2})-(0[1-9]|1[0-2])$`)
	monthITRE = regexp.MustCompile(`^(0?[1-9]|1[0-2])/(20[0-9]{2})$`)
)

// ParsePeriod reads 2025-Q1 (also 2025-T1, trimestre, and 2025Q1) or 2025-03 (also 03/2025).
func ParsePeriod(s string) (Period, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if m := quarterRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		first := y*12 + (q-1)*3
		return Period{Code: fmt.Sprintf("%d-Q%d", y, q), First: first, Last: first + 2}, nil
	}
	var y, mo int
	if m := monthRE.FindStringSubmatch(s); m != nil {
		y, _ = strconv.Atoi(m[1])
		mo, _ = strconv.Atoi(m[2])
	} else if m := monthITRE.FindStringSubmatch(s); m != nil {
		y, _ = strconv.Atoi(m[2])
		mo, _ = strconv.Atoi(m[1])
	} else {
		return Period{}, fmt.Errorf("period %q: want a quarter such as 2025-Q1 or a month such as 2025-03", s)
	}
	first := y*12 + mo - 1
	return Period{Code: fmt.Sprintf("%d-%02d", y, mo), First: first, Last: first}, nil
}

// Overlaps reports whether two different periods share a month.
func (p Period) Overlaps(o Period) bool {
	return p.Code != o.Code && p.First <= o.Last && o.First <= p.Last
}

// Label is the period for people: "1º trimestre 2025" / "Q1 2025", "marzo 2025" / "March 2025".
func (p Period) Label(lang string) string {
	y := p.First / 12
	if p.Quarter() {
		q := p.First%12/3 + 1
		if lang == "en" {
			return fmt.Sprintf("Q%d %d", q, y)
		}
		return fmt.Sprintf("%dº trimestre %d", q, y)
	}
	mo := p.First % 12
	if lang == "en" {
		return fmt.Sprintf("%s %d", monthsEN[mo], y)
	}
	return fmt.Sprintf("%s %d", monthsIT[mo], y)
}

var (
	monthsIT = [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
	monthsEN = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)
