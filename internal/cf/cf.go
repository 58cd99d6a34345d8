// Package cf validates, normalises and generates Italian codici fiscali of natural persons
// (DM 23 dicembre 1976 n. 13813), as described in domain.md §4.1:
//
//   - the 16-character code: structure, month letter, day (+40 for women), birthplace
//     (Belfiore code of a comune, or Z + 3 digits for a foreign state) and check character;
//   - omocodia: letters L M N P Q R S T U V standing for digits in the numeric positions
//     are accepted, and the code is normalised ("de-omocodia") to its all-digit form with the
//     check character recomputed, so two spellings of the same person compare equal;
//   - temporary 11-digit numeric codes, checked with the partita IVA algorithm.
//
// The package has no dependencies beyond the standard library; the list of comuni lives in
// the database and is passed in as a lookup function.
package cf

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Code is a parsed, valid codice fiscale.
type Code struct {
	// Normalised is the comparison form: upper case, de-omocodia applied and the check
	// character recomputed (16 characters), or the 11 digits of a temporary code. It is the
	// natural key of a professional.
	Normalised string
	// Display is the code as given (upper case, spaces removed), which may be omocodic.
	Display string
	// Temporary reports an 11-digit temporary numeric code: it carries no birth data.
	Temporary bool
	// Omocodic reports that Display had letters in numeric positions.
	Omocodic bool
	// BirthDate is the date of birth (zero for temporary codes). The century is inferred:
	// a two-digit year not after the current one is taken as 20yy, otherwise 19yy.
	BirthDate time.Time
	// Sex is "M" or "F" ("" for temporary codes).
	Sex string
	// Birthplace is the Belfiore (cadastral) code of the comune of birth, or Z + 3 digits for
	// a foreign state ("" for temporary codes).
	Birthplace string
}

// Foreign reports whether the person was born abroad (a Z birthplace code).
func (c Code) Foreign() bool { return strings.HasPrefix(c.Birthplace, "Z") }

// Error says why a string is not a valid codice fiscale. Pos is the 1-based position of
// the offending character when there is one. Format and Args are Reason before formatting,
// so that callers can translate it.
type Error struct {
	Reason string
	Pos    int
	Format string
	Args   []any
}

func (e *Error) Error() string {
	if e.Pos > 0 {
		return fmt.Sprintf("%s (position %d)", e.Reason, e.Pos)
	}
	return e.Reason
}

func fail(pos int, format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...), Pos: pos, Format: format, Args: args}
}

// Lookup reports whether a Belfiore code of a comune is known. It is not called for
// foreign-state (Z) codes, for which no official list is embedded.
type Lookup func(belfiore string) bool

// monthLetters maps the month letter (position 9) to the month.
const monthLetters = "ABCDEHLMPRST"

// omocodeLetters[d] is the letter that replaces digit d under omocodia.
const omocodeLetters = "LMNPQRSTUV"

// numericPositions are the 0-based positions that hold digits in a base code, from the
// rightmost (the first to be substituted under omocodia) to the leftmost.
var numericPositions = [7]int{14, 13, 12, 10, 9, 7, 6}

// oddValues are the values of characters in odd (1-based) positions for the check
// character, indexed by digit (0-9) or letter (A-Z).
var oddDigit = [10]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21}
var oddLetter = [26]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

// CheckChar returns the check character of the first 15 characters of a code (upper-case
// letters and digits; an omocodic code is checked as written). It panics on other input.
func CheckChar(first15 string) byte {
	if len(first15) < 15 {
		panic("cf.CheckChar: need 15 characters")
	}
	sum := 0
	for i := 0; i < 15; i++ {
		c := first15[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			if i%2 == 0 { // 1-based odd position
				v = oddDigit[c-'0']
			} else {
				v = int(c - '0')
			}
		case c >= 'A' && c <= 'Z':
			if i%2 == 0 {
				v = oddLetter[c-'A']
			} else {
				v = int(c - 'A')
			}
		default:
			panic("cf.CheckChar: invalid character")
		}
		sum += v
	}
	return byte('A' + sum%26)
}

// clean upper-cases s and removes spaces, which people type between groups.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, " \t-") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '-' {
				return -1
			}
			return r
		}, s)
	}
	return strings.ToUpper(s)
}

// Parse validates a codice fiscale without checking the birthplace against a list of comuni.
func Parse(s string) (Code, error) { return Validate(s, nil) }

// Normalise returns the comparison form of a valid code (see Code.Normalised).
func Normalise(s string) (string, error) {
	c, err := Parse(s)
	return c.Normalised, err
}

// Validate checks s as a 16-character or temporary 11-digit code. When known is not nil,
// the birthplace of a person born in Italy must be a comune it knows.
func Validate(s string, known Lookup) (Code, error) {
	s = clean(s)
	switch len(s) {
	case 16:
	case 11:
		return parseTemporary(s)
	case 0:
		return Code{}, fail(0, "empty codice fiscale")
	default:
		return Code{}, fail(0, "a codice fiscale has 16 characters (or 11 digits if temporary), not %d", len(s))
	}
	for i := 0; i < 16; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return Code{}, fail(i+1, "invalid character %q", rune(c))
		}
	}
	for i := 0; i < 6; i++ {
		if !isLetter(s[i]) {
			return Code{}, fail(i+1, "positions 1-6 (surname and name) must be letters")
		}
	}
	if !isLetter(s[8]) || strings.IndexByte(monthLetters, s[8]) < 0 {
		return Code{}, fail(9, "invalid month letter %q (A B C D E H L M P R S T)", rune(s[8]))
	}
	if !isLetter(s[11]) {
		return Code{}, fail(12, "position 12 (birthplace) must be a letter")
	}
	if !isLetter(s[15]) {
		return Code{}, fail(16, "the check character must be a letter")
	}
	// Numeric positions: a digit, or its omocodia letter.
	base := []byte(s)
	omocodic := false
	for _, p := range numericPositions {
		c := s[p]
		if isDigit(c) {
			continue
		}
		i := strings.IndexByte(omocodeLetters, c)
		if i < 0 {
			return Code{}, fail(p+1, "position %d must be a digit (or an omocodia letter L-V), not %q", p+1, rune(c))
		}
		base[p] = byte('0' + i)
		omocodic = true
	}
	yy := int(base[6]-'0')*10 + int(base[7]-'0')
	month := strings.IndexByte(monthLetters, base[8]) + 1
	day := int(base[9]-'0')*10 + int(base[10]-'0')
	sex := "M"
	if day > 40 {
		sex, day = "F", day-40
	}
	if day < 1 || day > 31 {
		return Code{}, fail(10, "invalid day of birth %s%s (1-31 for men, 41-71 for women)", string(s[9]), string(s[10]))
	}
	year := 1900 + yy
	if now := time.Now().Year(); 2000+yy <= now {
		year = 2000 + yy
	}
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if birth.Day() != day {
		return Code{}, fail(10, "day %d does not exist in month %d", day, month)
	}
	place := string(base[11:15])
	if place[0] == 'Z' {
		if place < "Z100" {
			return Code{}, fail(12, "invalid foreign-state code %s", place)
		}
	} else {
		if known != nil && !known(place) {
			return Code{}, fail(12, "unknown birthplace code %s (not a comune of the ISTAT list)", place)
		}
	}
	// The check character comes last so that a mistyped date or place is named precisely.
	if want := CheckChar(s); s[15] != want {
		return Code{}, fail(16, "wrong check character %q (expected %q)", rune(s[15]), rune(want))
	}
	norm := string(base[:15])
	norm += string(CheckChar(norm))
	return Code{Normalised: norm, Display: s, Omocodic: omocodic, BirthDate: birth, Sex: sex, Birthplace: place}, nil
}

func parseTemporary(s string) (Code, error) {
	for i := 0; i < 11; i++ {
		if !isDigit(s[i]) {
			return Code{}, fail(i+1, "a temporary codice fiscale has 11 digits")
		}
	}
	if s == "00000000000" {
		return Code{}, fail(0, "a temporary codice fiscale cannot be all zeros")
	}
	if want := partitaIVACheck(s[:10]); s[10] != want {
		return Code{}, fail(11, "wrong check digit %q (expected %q)", rune(s[10]), rune(want))
	}
	return Code{Normalised: s, Display: s, Temporary: true}, nil
}

// partitaIVACheck returns the check digit of the first 10 digits of a partita IVA (and of a
// temporary codice fiscale): digits in odd positions are summed, digits in even positions
// are doubled (minus 9 when above 9) and summed; the check digit brings the total to a
// multiple of 10.
func partitaIVACheck(d10 string) byte {
	sum := 0
	for i := 0; i < 10; i++ {
		v := int(d10[i] - '0')
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

// Temporary returns a valid temporary 11-digit code whose first 10 digits are d10.
func Temporary(d10 string) (string, error) {
	if len(d10) != 10 {
		return "", fail(0, "need 10 digits")
	}
	for i := 0; i < 10; i++ {
		if !isDigit(d10[i]) {
			return "", fail(i+1, "need 10 digits")
		}
	}
	return d10 + string(partitaIVACheck(d10)), nil
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// Encode computes the codice fiscale of a person born in Italy (belfiore = the comune's
// cadastral code, e.g. "D612" for Firenze) or abroad (belfiore = "Z" + 3 digits). Sex is
// "M" or "F". Names may carry accents and apostrophes; only their letters count.
func Encode(family, given string, birth time.Time, sex, belfiore string) (string, error) {
	fam, giv := letters(family), letters(given)
	if fam == "" {
		return "", fail(0, "the surname has no letters")
	}
	if giv == "" {
		return "", fail(0, "the name has no letters")
	}
	belfiore = strings.ToUpper(strings.TrimSpace(belfiore))
	if len(belfiore) != 4 || !isLetter(belfiore[0]) || !isDigit(belfiore[1]) || !isDigit(belfiore[2]) || !isDigit(belfiore[3]) {
		return "", fail(0, "invalid birthplace code %q", belfiore)
	}
	if birth.IsZero() {
		return "", fail(0, "missing birth date")
	}
	day := birth.Day()
	switch strings.ToUpper(sex) {
	case "M":
	case "F":
		day += 40
	default:
		return "", fail(0, "sex must be M or F")
	}
	var b strings.Builder
	b.WriteString(surnameCode(fam))
	b.WriteString(nameCode(giv))
	fmt.Fprintf(&b, "%02d", birth.Year()%100)
	b.WriteByte(monthLetters[birth.Month()-1])
	fmt.Fprintf(&b, "%02d", day)
	b.WriteString(belfiore)
	s := b.String()
	return s + string(CheckChar(s)), nil
}

// Omocode returns the n-th omocodic variant of a valid 16-character code: the n rightmost
// numeric positions are replaced by letters and the check character is recomputed, as the
// Agenzia delle Entrate does when two people would share a code. n is 1 to 7.
func Omocode(code string, n int) (string, error) {
	c, err := Parse(code)
	if err != nil {
		return "", err
	}
	if c.Temporary {
		return "", fail(0, "temporary codes have no omocodia")
	}
	if n < 1 || n > len(numericPositions) {
		return "", fail(0, "omocodia level must be 1 to 7")
	}
	b := []byte(c.Normalised)
	for _, p := range numericPositions[:n] {
		b[p] = omocodeLetters[b[p]-'0']
	}
	return string(b[:15]) + string(CheckChar(string(b[:15]))), nil
}

// letters returns the upper-case ASCII letters of s, accents removed (À → A).
func letters(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(out) {
		if r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func split(s string) (cons, vows string) {
	var c, v strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("AEIOU", s[i]) >= 0 {
			v.WriteByte(s[i])
		} else {
			c.WriteByte(s[i])
		}
	}
	return c.String(), v.String()
}

func surnameCode(s string) string {
	c, v := split(s)
	return (c + v + "XXX")[:3]
}

func nameCode(s string) string {
	c, v := split(s)
	if len(c) >= 4 {
		return c[:1] + c[2:4]
	}
	return (c + v + "XXX")[:3]
}
