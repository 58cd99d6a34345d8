package indicators

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseFile feeds arbitrary bytes to the indicator CSV reader (the parse layer of
// Import): a file it refuses gets a message in both languages; one it reads has rows in
// line order, each with the line it came from, in UTF-8.
//
//	go test ./internal/indicators -run '^$' -fuzz '^FuzzParseFile$' -fuzztime 60s
func FuzzParseFile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.csv")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add(TemplateCSV())
	f.Add(DemoCSV([]string{"090", "050"}))
	f.Add([]byte("indicatore,regione,periodo,valore\nfse_uso,090,2025-Q1,\"41,5\"\n"))
	f.Add([]byte("indicatore;regione;periodo;valore;valore\n"))
	f.Add([]byte("indicatore;regione;periodo;valore\n\"aperto;090;2025-03;1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, lang := range []string{"it", "en"} {
			rows, enc, sep, err := parseFile(b, lang)
			if err != nil {
				if msg := err.Error(); strings.TrimSpace(msg) == "" || strings.HasPrefix(msg, "ind.") {
					t.Fatalf("%s: unclear rejection %q", lang, msg)
				}
				if rows != nil {
					t.Fatal("rows with an error")
				}
				continue
			}
			if enc != "UTF-8" && enc != "Windows-1252" || sep != ";" && sep != "," && sep != "\t" {
				t.Fatalf("encoding %q separator %q", enc, sep)
			}
			last := 0
			for _, r := range rows {
				if r.Line <= last {
					t.Fatalf("row lines out of order: %d after %d", r.Line, last)
				}
				last = r.Line
				for _, v := range []string{r.Indicator, r.Region, r.Org, r.Period, r.Value, r.Source, r.Note} {
					if strings.ToValidUTF8(v, "\uFFFD") != v {
						t.Fatalf("line %d: %q is not UTF-8", r.Line, v)
					}
				}
			}
		}
	})
}

// FuzzParseValue checks the number reader: what it accepts is finite, and a value written
// the way the exports write it (csvNumber) reads back the same.
//
//	go test ./internal/indicators -run '^$' -fuzz '^FuzzParseValue$' -fuzztime 60s
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"1.234,5", "1234.5", "41.250", "41,5 %", "1 234", "-0,5", "1e308", "NaN", "+Inf", "0x10", "1.2.3", ",", "12'345"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, count bool) {
		v, err := ParseValue(s, count)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error", s)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%q read as %v", s, v)
		}
		w := csvNumber(v)
		back, err := ParseValue(w, false)
		if err != nil || back != v {
			t.Fatalf("%q = %v, written %q, read back %v %v", s, v, w, back, err)
		}
	})
}

// FuzzParsePeriod checks the period reader: a period it accepts has a code that reads
// back as the same period, its months in order, and a label in both languages.
//
//	go test ./internal/indicators -run '^$' -fuzz '^FuzzParsePeriod$' -fuzztime 60s
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2025-Q1", "2025-T4", "2025Q2", "2025 t3", "2025-03", "3/2025", "03/2025", "2025-13", "1999-Q1", "2025-Q5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if !strings.Contains(err.Error(), "period") {
				t.Fatalf("%q: unclear error %v", s, err)
			}
			return
		}
		again, err := ParsePeriod(p.Code)
		if err != nil || again != p {
			t.Fatalf("%q = %+v, its code reads %+v %v", s, p, again, err)
		}
		if p.Last < p.First || p.Last-p.First != 0 && p.Last-p.First != 2 {
			t.Fatalf("%q: months %d..%d", s, p.First, p.Last)
		}
		if p.Label("it") == "" || p.Label("en") == "" {
			t.Fatalf("%q: no label", s)
		}
	})
}
