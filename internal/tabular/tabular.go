// Package tabular is one table model written for the spreadsheets the field uses: CSV for
// Italian Excel (';' separator, UTF-8 BOM, CRLF line ends, decimal comma, formula injection
// neutralised) and XLSX (numbers as numbers, bold frozen header, column widths). Every
// download of a table in ESD goes through it, so a fix to the CSV dialect or to the injection
// guard reaches them all.
package tabular

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Kind is the type of a column's values.
type Kind int

const (
	// Text cells are strings; a string that a spreadsheet would run as a formula is defused.
	Text Kind = iota
	// Int cells are whole numbers (counts).
	Int
	// Number cells are decimal numbers written with the column's Decimals.
	Number
)

// String names the kind as a data dictionary shows it.
func (k Kind) String() string {
	switch k {
	case Int:
		return "integer"
	case Number:
		return "decimal"
	}
	return "string"
}

// Column describes one column: its label (the header), its kind and how it is shown.
type Column struct {
	// Key is the machine name (open data, JSON); the label is the header when set.
	Key   string
	Label string
	Kind  Kind
	// Decimals is how many decimals a Number shows (CSV text and XLSX number format).
	Decimals int
	// Width is the XLSX column width in characters; 0 sizes it from the content.
	Width float64
}

// Header is the label of the column, or its key when it has none.
func (c Column) Header() string {
	if c.Label != "" {
		return c.Label
	}
	return c.Key
}

// Table is a header and rows of values. A value is nil (an empty cell), a string, a bool, or
// a number (int, int64, float64); a string in a numeric column is written as text (such as
// "< 5" for a suppressed count).
type Table struct {
	// Name is the XLSX sheet name (at most 31 characters are kept).
	Name    string
	Columns []Column
	Rows    [][]any
	// Lang "en" writes decimal points in the CSV; any other value writes decimal commas, as
	// Italian Excel reads them.
	Lang string
}

// Add appends a row; it panics when the row has more values than the table has columns, a
// programming mistake that must not produce a shifted file.
func (t *Table) Add(vals ...any) {
	if len(vals) > len(t.Columns) {
		panic(fmt.Sprintf("tabular: row of %d values in a table of %d columns", len(vals), len(t.Columns)))
	}
	t.Rows = append(t.Rows, vals)
}

// Neutralise defuses a text cell a spreadsheet would evaluate (starting with = + - @, tab or
// carriage return) by prefixing a quote. A genuine number such as "-1,5" or "+3" stays as
// it is, so negative figures keep working in formulas.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// isNumber reports whether s is a plain decimal number with a point or a comma (no
// exponent, no hex, no "Inf"): the strings a spreadsheet would read as a number anyway.
func isNumber(s string) bool {
	t := strings.TrimLeft(s, "+-")
	if len(s)-len(t) > 1 || t == "" {
		return false
	}
	seenSep, digits := false, 0
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case (r == '.' || r == ',') && !seenSep:
			seenSep = true
		default:
			return false
		}
	}
	return digits > 0
}

// FormatNumber writes v with n decimals and the language's decimal separator.
func FormatNumber(v float64, n int, lang string) string {
	s := strconv.FormatFloat(v, 'f', n, 64)
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// text is the CSV text of one value in column c.
func (t Table) text(c Column, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return Neutralise(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		if c.Kind == Int {
			return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
		}
		return FormatNumber(x, c.Decimals, t.Lang)
	case fmt.Stringer:
		return Neutralise(x.String())
	}
	return Neutralise(fmt.Sprint(v))
}

// WriteCSV writes the table as CSV for Italian Excel: a UTF-8 BOM (so Excel reads accents),
// ';' separators (Excel's list separator in the Italian locale, where ',' is the decimal
// separator), CRLF line ends and the header first.
func (t Table) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = Neutralise(c.Header())
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, r := range t.Rows {
		for i, c := range t.Columns {
			rec[i] = ""
			if i < len(r) {
				rec[i] = t.text(c, r[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSV is WriteCSV into memory.
func (t Table) CSV() []byte {
	var b bytes.Buffer
	_ = t.WriteCSV(&b) // a bytes.Buffer does not fail
	return b.Bytes()
}

// ContentTypeCSV and ContentTypeXLSX are the media types of the two formats.
const (
	ContentTypeCSV  = "text/csv; charset=utf-8"
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// XLSX is WriteXLSX of one table into memory.
func (t Table) XLSX() ([]byte, error) {
	var b bytes.Buffer
	err := WriteXLSX(&b, t)
	return b.Bytes(), err
}

// sheetName makes a valid, unique sheet name: at most 31 characters, none of : \ / ? * [ ].
func sheetName(name string, i int, used map[string]bool) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '-'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" {
		name = fmt.Sprintf("Foglio%d", i+1)
	}
	for utf8.RuneCountInString(name) > 31 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	base, n := name, 2
	for used[strings.ToLower(name)] {
		suffix := fmt.Sprintf(" (%d)", n)
		name = base
		for utf8.RuneCountInString(name)+len(suffix) > 31 {
			_, size := utf8.DecodeLastRuneInString(name)
			name = name[:len(name)-size]
		}
		name += suffix
		n++
	}
	used[strings.ToLower(name)] = true
	return name
}

// WriteXLSX writes the tables as a workbook, one sheet each: the header bold and frozen,
// numbers stored as numbers with the column's decimals, widths fitted to the content. Text
// cells are stored as strings (never formulas), so no neutralising is needed there.
func WriteXLSX(w io.Writer, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#E6EEF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	numStyles := map[int]int{}
	numStyle := func(dec int) (int, error) {
		if id, ok := numStyles[dec]; ok {
			return id, nil
		}
		code := "0"
		if dec > 0 {
			code += "." + strings.Repeat("0", dec)
		}
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		numStyles[dec] = id
		return id, err
	}
	used := map[string]bool{}
	if len(tables) == 0 {
		tables = []Table{{}}
	}
	for i, t := range tables {
		name := sheetName(t.Name, i, used)
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		for c, col := range t.Columns {
			wd := col.Width
			if wd == 0 {
				wd = fitWidth(t, c)
			}
			if err := sw.SetColWidth(c+1, c+1, wd); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		head := make([]any, len(t.Columns))
		for c, col := range t.Columns {
			head[c] = excelize.Cell{StyleID: bold, Value: col.Header()}
		}
		if err := sw.SetRow("A1", head); err != nil {
			return err
		}
		for r, row := range t.Rows {
			cells := make([]any, len(t.Columns))
			for c, col := range t.Columns {
				if c >= len(row) {
					continue
				}
				v, isNum := xlsxValue(col, row[c])
				if isNum && col.Kind == Number {
					id, err := numStyle(col.Decimals)
					if err != nil {
						return err
					}
					cells[c] = excelize.Cell{StyleID: id, Value: v}
				} else {
					cells[c] = v
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := sw.SetRow(cell, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// xlsxValue is the value stored in a cell and whether it is a number.
func xlsxValue(c Column, v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case int, int64:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		if c.Kind == Int {
			return int64(math.Round(x)), true
		}
		// Rounded as the CSV shows it, so both files hold the same figure.
		p := math.Pow10(c.Decimals)
		return math.Round(x*p) / p, true
	case bool:
		return x, false
	case string:
		return x, false
	case fmt.Stringer:
		return x.String(), false
	}
	return fmt.Sprint(v), false
}

// fitWidth sizes a column to its longest text (header included), between 6 and 60 characters.
func fitWidth(t Table, c int) float64 {
	n := utf8.RuneCountInString(t.Columns[c].Header())
	for i, r := range t.Rows {
		if i > 2000 { // enough to size a column; a big export must not scan every row twice
			break
		}
		if c < len(r) {
			n = max(n, utf8.RuneCountInString(t.text(t.Columns[c], r[c])))
		}
	}
	return float64(min(60, max(6, n+2)))
}
