package indicators

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"esd/internal/textnorm"
)

// MaxImportBytes is the largest indicator file accepted (a national file of every region,
// month and indicator for ten years is under 2 MB).
const MaxImportBytes = 8 << 20

// rawRow is one data line of an indicator file, as written.
type rawRow struct {
	Line                                  int
	Indicator, Region, Org, Period, Value string
	Source, Note                          string
	hasSource                             bool
}

// columns maps the folded header names accepted to the field they fill.
var columns = map[string]string{
	"indicatore": "indicator", "indicator": "indicator", "codice indicatore": "indicator", "codice_indicatore": "indicator",
	"regione": "region", "region": "region", "codice regione": "region", "codice_regione": "region",
	"azienda": "org", "organisation": "org", "organization": "org", "codice azienda": "org", "codice_azienda": "org",
	"periodo": "period", "period": "period",
	"valore": "value", "value": "value",
	"fonte": "source", "source": "source",
	"note": "note", "nota": "note", "notes": "note",
}

// TemplateHeader is the header of the downloadable template, in the order the importer prefers.
var TemplateHeader = []string{"indicatore", "regione", "azienda", "periodo", "valore", "fonte", "note"}

// decode turns the file's bytes into text: UTF-8 with or without BOM, or Windows-1252 (how
// Excel-IT saves "CSV (delimitato dal separatore di elenco)"). Anything else is refused with a
// message that says how to save the file.
func decode(b []byte, lang string) (string, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "", "", errors.New(msg(lang, "ind.err.utf16"))
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "", "", errors.New(msg(lang, "ind.err.xlsx"))
	case bytes.IndexByte(b, 0) >= 0:
		return "", "", errors.New(msg(lang, "ind.err.binary"))
	}
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	if utf8.Valid(b) {
		return string(b), "UTF-8", nil
	}
	// Windows-1252 leaves five bytes undefined: a file using them is neither encoding.
	for i, c := range b {
		if c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D {
			line := bytes.Count(b[:i], []byte{'\n'}) + 1
			return "", "", errors.New(msgf(lang, "ind.err.encoding", line))
		}
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return "", "", errors.New(msgf(lang, "ind.err.encoding", 1))
	}
	return string(s), "Windows-1252", nil
}

// parseFile reads the rows of an indicator file. A problem with the file as a whole (encoding,
// header) is returned as an error; problems of single rows are left to validation.
func parseFile(b []byte, lang string) (rows []rawRow, encoding, sep string, err error) {
	text, encoding, err := decode(b, lang)
	if err != nil {
		return nil, "", "", err
	}
	first, _, _ := strings.Cut(text, "\n")
	sepR := ';'
	if strings.Count(first, "\t") > strings.Count(first, ";") {
		sepR = '\t'
	} else if strings.Count(first, ";") == 0 && strings.Count(first, ",") > 0 {
		sepR = ','
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sepR
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.ReuseRecord = false
	header, err := r.Read()
	if err == io.EOF {
		return nil, encoding, string(sepR), errors.New(msg(lang, "ind.err.empty"))
	}
	if err != nil {
		return nil, encoding, string(sepR), errors.New(msgf(lang, "ind.err.csv", 1, err))
	}
	idx := map[string]int{}
	for i, h := range header {
		key := textnorm.Fold(strings.TrimSpace(h))
		if f, ok := columns[key]; ok {
			if _, dup := idx[f]; dup {
				return nil, encoding, string(sepR), errors.New(msgf(lang, "ind.err.dupcol", h))
			}
			idx[f] = i
		}
	}
	var missing []string
	for _, f := range []string{"indicator", "region", "period", "value"} {
		if _, ok := idx[f]; !ok {
			missing = append(missing, map[string]string{"indicator": "indicatore", "region": "regione", "period": "periodo", "value": "valore"}[f])
		}
	}
	if len(missing) > 0 {
		return nil, encoding, string(sepR), errors.New(msgf(lang, "ind.err.missingcols", strings.Join(missing, ", "), strings.Join(TemplateHeader, string(sepR))))
	}
	get := func(rec []string, f string) (string, bool) {
		i, ok := idx[f]
		if !ok || i >= len(rec) {
			return "", ok
		}
		return strings.TrimSpace(rec[i]), true
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, encoding, string(sepR), errors.New(msgf(lang, "ind.err.csv", pe.Line, pe.Err))
			}
			return nil, encoding, string(sepR), err
		}
		line, _ := r.FieldPos(0)
		blank := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		row := rawRow{Line: line}
		row.Indicator, _ = get(rec, "indicator")
		row.Region, _ = get(rec, "region")
		row.Org, _ = get(rec, "org")
		row.Period, _ = get(rec, "period")
		row.Value, _ = get(rec, "value")
		row.Source, row.hasSource = get(rec, "source")
		row.Note, _ = get(rec, "note")
		rows = append(rows, row)
	}
	return rows, encoding, string(sepR), nil
}

// ParseValue reads a number written the Italian way (decimal comma, dots or spaces between
// thousands: 1.234,5) or the international way (1234.5); a trailing % is allowed. A single
// dot followed by three digits (41.250) is ambiguous: for a count it is a thousands
// separator, as Italian spreadsheets write it; otherwise a decimal point.
func ParseValue(s string, count bool) (float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	s = strings.NewReplacer("\u00a0", "", "\u202f", "", " ", "", "'", "").Replace(s)
	if s == "" {
		return 0, errors.New("empty")
	}
	dots, commas := strings.Count(s, "."), strings.Count(s, ",")
	switch {
	case commas > 1:
		return 0, errors.New("more than one decimal comma")
	case commas == 1:
		// Dots are thousands separators: each group after one has three digits.
		if dots > 0 && !groupsOfThree(s[:strings.IndexByte(s, ',')], '.') {
			return 0, errors.New("misplaced thousands separator")
		}
		s = strings.Replace(strings.ReplaceAll(s, ".", ""), ",", ".", 1)
	case dots == 1 && count && groupsOfThree(s, '.'):
		s = strings.ReplaceAll(s, ".", "")
	case dots > 1:
		if !groupsOfThree(s, '.') {
			return 0, errors.New("misplaced thousands separator")
		}
		s = strings.ReplaceAll(s, ".", "")
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+') {
			return 0, errors.New("not a number")
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a number")
	}
	return v, nil
}

func groupsOfThree(s string, sep byte) bool {
	parts := strings.Split(strings.TrimLeft(s, "+-"), string(sep))
	if len(parts[0]) == 0 || len(parts[0]) > 3 {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) != 3 {
			return false
		}
	}
	return true
}

// FormatValue writes a value for people in lang: a percentage with one decimal, a count
// with thousands separators.
func FormatValue(d Def, v float64, lang string) string {
	if d.Percent() {
		s := strconv.FormatFloat(v, 'f', 1, 64)
		if lang != "en" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s + " %"
	}
	n := int64(math.Round(v))
	digits := strconv.FormatInt(n, 10)
	sep := "."
	if lang == "en" {
		sep = ","
	}
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 && c != '-' {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// csvNumber writes a value for Italian Excel (decimal comma, no thousands separator).
func csvNumber(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1)
}
