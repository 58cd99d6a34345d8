package tabular

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func sample() Table {
	t := Table{Name: "Regioni: confronto/2026", Columns: []Column{
		{Key: "label", Label: "Regione"}, {Key: "n", Label: "Popolazione", Kind: Int}, {Key: "v", Label: "Valore", Kind: Number, Decimals: 1},
		{Key: "note", Label: "Nota"},
	}}
	t.Add("Toscana", int64(1234), 56.78, "")
	t.Add("=HYPERLINK(\"http://x\")", 12, -3.25, "-1,5")
	t.Add("@SUM(A1)", nil, nil, "+39 055")
	t.Add("\tcmd", 7, 0.0, "-")
	t.Add("Valle d'Aosta/Vallée d'Aoste", "< 5", nil, "\rx")
	return t
}

func TestCSVForItalianExcel(t *testing.T) {
	b := sample().CSV()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatal("no BOM")
	}
	if n, crlf := bytes.Count(b, []byte("\n")), bytes.Count(b, []byte("\r\n")); n != 6 || crlf != 6 {
		t.Fatalf("want 6 CRLF-ended lines, got %d LF and %d CRLF:\n%q", n, crlf, b)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Regione", "Popolazione", "Valore", "Nota"},
		{"Toscana", "1234", "56,8", ""},
		{"'=HYPERLINK(\"http://x\")", "12", "-3,3", "-1,5"}, // -3.25 rounds half to even in FormatFloat's shortest decimal? see below
		{"'@SUM(A1)", "", "", "'+39 055"},
		{"'\tcmd", "7", "0,0", "'-"},
		{"Valle d'Aosta/Vallée d'Aoste", "< 5", "", "'x"}, // encoding/csv drops a lone CR on reading
	}
	// With CRLF line ends encoding/csv drops a lone CR inside a field; the quote stays.
	if !bytes.Contains(b, []byte(";\"'x\"\r\n")) {
		t.Errorf("the CR cell is not defused: %q", b)
	}
	// strconv rounds -3.25 to one decimal as -3.2 (binary -3.25 is exact, ties to even).
	want[2][2] = "-3,2"
	if len(recs) != len(want) {
		t.Fatalf("rows: %q", recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, recs[i], want[i])
		}
	}
	en := sample()
	en.Lang = "en"
	if !bytes.Contains(en.CSV(), []byte(";56.8;")) {
		t.Errorf("English CSV keeps the decimal point: %q", en.CSV())
	}
}

func TestNeutralise(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "abc": "abc", "-12": "-12", "-12,5": "-12,5", "+3.5": "+3.5", "-": "'-", "--1": "'--1",
		"=1+1": "'=1+1", "+1+1": "'+1+1", "-1e5": "'-1e5", "@x": "'@x", "\t1": "'\t1", "\r1": "'\r1", "-Inf": "'-Inf",
		"1,2,3": "1,2,3", "-1,2,3": "'-1,2,3",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestXLSX(t *testing.T) {
	b, err := sample().XLSX()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 || sheets[0] != "Regioni- confronto-2026" {
		t.Fatalf("sheets %q", sheets)
	}
	s := sheets[0]
	get := func(cell string) string {
		v, err := f.GetCellValue(s, cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	typ := func(cell string) excelize.CellType {
		ct, err := f.GetCellType(s, cell)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	if get("A1") != "Regione" || get("B2") != "1234" || get("C3") != "-3.2" && get("C3") != "-3.3" {
		t.Errorf("values: A1 %q B2 %q C3 %q", get("A1"), get("B2"), get("C3"))
	}
	for _, c := range []string{"B2", "C2", "C3"} {
		if ct := typ(c); ct != excelize.CellTypeNumber && ct != excelize.CellTypeUnset {
			t.Errorf("%s is of type %v, want a number", c, ct)
		}
	}
	// A text that looks like a formula is a string, not a formula.
	if fm, _ := f.GetCellFormula(s, "A3"); fm != "" || get("A3") != "=HYPERLINK(\"http://x\")" {
		t.Errorf("A3 formula %q value %q", fm, get("A3"))
	}
	if typ("A3") != excelize.CellTypeInlineString && typ("A3") != excelize.CellTypeSharedString {
		t.Errorf("A3 type %v", typ("A3"))
	}
	if get("B6") != "< 5" || get("C6") != "" {
		t.Errorf("B6 %q C6 %q", get("B6"), get("C6"))
	}
	id, err := f.GetCellStyle(s, "A1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header not bold: %+v %v", st, err)
	}
	id, _ = f.GetCellStyle(s, "C2")
	if st, _ := f.GetStyle(id); st == nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "0.0" {
		t.Errorf("C2 number format: %+v", st)
	}
	p, err := f.GetPanes(s)
	if err != nil || !p.Freeze || p.YSplit != 1 {
		t.Errorf("header row not frozen: %+v %v", p, err)
	}
	if w, _ := f.GetColWidth(s, "A"); w < 28 {
		t.Errorf("column A width %v: not fitted to %q", w, "Valle d'Aosta/Vallée d'Aoste")
	}
}

func TestManySheetsUniqueNames(t *testing.T) {
	var b bytes.Buffer
	a := Table{Name: "Una tabella con un nome davvero molto lungo", Columns: []Column{{Label: "x", Kind: Int}}}
	a.Add(1)
	if err := WriteXLSX(&b, a, a, Table{}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	got := f.GetSheetList()
	if len(got) != 3 || got[0] == got[1] || len([]rune(got[1])) > 31 || got[2] != "Foglio3" {
		t.Errorf("sheets %q", got)
	}
}

func TestAddTooManyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a row longer than the header must panic")
		}
	}()
	tb := Table{Columns: []Column{{Label: "a"}}}
	tb.Add(1, 2)
}
