package rapporto

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"esd/internal/cf"
)

// The checks below follow the XSD's simple types. Values are trimmed first: the schema's
// non-string types collapse white space anyway, and real exports pad strings too.

// checker checks the fields of one element or row, reporting to ps at line.
type checker struct {
	ps   *problems
	line int
}

func (c checker) bad(field, value, format string, args ...any) {
	c.ps.add(c.line, field, value, format, args...)
}

// str checks a string of 1..max characters.
func (c checker) str(field, v string, max int) string {
	v = strings.TrimSpace(v)
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		c.bad(field, v, "%s is empty", field)
	case n > max:
		c.bad(field, v, "%s is longer than %d characters", field, max)
	}
	return v
}

// posInt checks an xsd:positiveInteger of at most digits significant digits.
func (c checker) posInt(field, v string, digits int) int {
	n, ok := c.integer(field, v, digits)
	if ok && n == 0 {
		c.bad(field, strings.TrimSpace(v), "%s must be greater than 0", field)
	}
	return n
}

// integer checks a non-negative integer of at most digits significant digits.
func (c checker) integer(field, v string, digits int) (int, bool) {
	v = strings.TrimSpace(v)
	s := strings.TrimPrefix(v, "+")
	if s == "" {
		c.bad(field, v, "%s is empty", field)
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			c.bad(field, v, "%s must be a whole number", field)
			return 0, false
		}
	}
	if sig := strings.TrimLeft(s, "0"); len(sig) > digits {
		c.bad(field, v, "%s has more than %d digits", field, digits)
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

// enum checks that v is one of the allowed codes.
func (c checker) enum(field, v string, allowed ...string) string {
	v = strings.TrimSpace(v)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	if v == "" {
		c.bad(field, v, "%s is empty", field)
	} else {
		c.bad(field, v, "%s must be one of %s", field, strings.Join(allowed, ", "))
	}
	return v
}

// flag checks a 0/1 attribute.
func (c checker) flag(field, v string) bool {
	return c.enum(field, v, "0", "1") == "1"
}

// intEnum checks an integer code in lo..hi.
func (c checker) intEnum(field, v string, lo, hi int) int {
	v = strings.TrimSpace(v)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi || strconv.Itoa(n) != v {
		if v == "" {
			c.bad(field, v, "%s is empty", field)
		} else {
			c.bad(field, v, "%s must be a code from %d to %d", field, lo, hi)
		}
		return 0
	}
	return n
}

// credits checks a credit amount. strict applies the XSD pattern [0-9]{1,2}\.[0-9]
// (exactly one decimal, point); otherwise (CSV) a comma, no decimal or "4,50" are accepted
// but never a value that does not round-trip to one decimal.
func (c checker) credits(field, v string, strict bool) float64 {
	v = strings.TrimSpace(v)
	if v == "" {
		c.bad(field, v, "%s is empty", field)
		return 0
	}
	s := v
	if !strict {
		s = strings.Replace(s, ",", ".", 1)
		if i := strings.IndexByte(s, '.'); i >= 0 {
			s = strings.TrimRight(s, "0")
			if strings.HasSuffix(s, ".") {
				s += "0"
			}
		} else {
			s += ".0"
		}
	}
	ok := len(s) >= 3 && len(s) <= 4 && s[len(s)-2] == '.'
	for i := 0; ok && i < len(s); i++ {
		if i != len(s)-2 && (s[i] < '0' || s[i] > '9') {
			ok = false
		}
	}
	if !ok {
		c.bad(field, v, "%s must be a number with one decimal, e.g. 4.5 (at most 50.0)", field)
		return 0
	}
	f, _ := strconv.ParseFloat(s, 64)
	if f <= 0 || f > 50 {
		c.bad(field, v, "%s must be greater than 0 and at most 50", field)
		return 0
	}
	return f
}

// date checks an xsd:date (YYYY-MM-DD, optionally with a time zone, which is dropped);
// loose also accepts dd/mm/yyyy, the providers' spreadsheet format.
func (c checker) date(field, v string, loose bool) string {
	v = strings.TrimSpace(v)
	if v == "" {
		c.bad(field, v, "%s is empty", field)
		return ""
	}
	s := v
	if len(s) > 10 && (s[10] == 'Z' || s[10] == '+' || s[10] == '-') {
		tz := s[10:]
		if tz == "Z" || len(tz) == 6 && tz[3] == ':' {
			s = s[:10]
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2006-01-02")
	}
	if loose {
		for _, layout := range []string{"02/01/2006", "2/1/2006"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.Format("2006-01-02")
			}
		}
		c.bad(field, v, "%s is not a date (dd/mm/yyyy or yyyy-mm-dd)", field)
		return ""
	}
	c.bad(field, v, "%s is not a date in the form yyyy-mm-dd", field)
	return ""
}

// name checks a nome/cognome. The XSD allows [a-zA-Z ',\-.] only, but real exports carry
// accented letters, so on import any letter is accepted (the writer transliterates).
func (c checker) name(field, v string) string {
	v = c.str(field, v, 100)
	for _, r := range v {
		if !(unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || strings.ContainsRune(" ',-.’", r)) {
			c.bad(field, v, "%s may hold only letters, spaces and ' , - . (found %q)", field, r)
			break
		}
	}
	return v
}

// sponsor checks the optional sponsor name ([0-9A-Za-z ',;\-.()]; accents accepted).
func (c checker) sponsor(field, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	v = c.str(field, v, 100)
	for _, r := range v {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || strings.ContainsRune(" ',;-.()’&", r)) {
			c.bad(field, v, "%s may hold only letters, digits, spaces and ' , ; - . ( ) (found %q)", field, r)
			break
		}
	}
	return v
}

// codiceFiscale checks the XSD pattern (16 characters; no temporary numeric codes) and the
// code itself (month, day, check character, omocodia), returning the comparison form.
func (c checker) codiceFiscale(field, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		c.bad(field, v, "%s is empty", field)
		return ""
	}
	if len(v) != 16 {
		c.bad(field, v, "%s must have 16 characters (the rapporto evento accepts no temporary codes), not %d", field, utf8.RuneCountInString(v))
		return ""
	}
	code, err := cf.Parse(v)
	if err != nil {
		c.bad(field, v, "invalid codice fiscale: %s", cfReason(c.ps.lang, err))
		return ""
	}
	return code.Normalised
}

// cfReason words a codice fiscale error in lang.
func cfReason(lang string, err error) string {
	var e *cf.Error
	if !errors.As(err, &e) || e.Format == "" {
		return err.Error()
	}
	s := tr(lang, e.Format, e.Args...)
	if e.Pos > 0 {
		s = tr(lang, "%s (position %d)", s, e.Pos)
	}
	return s
}
