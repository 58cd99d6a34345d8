package registry

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"esd/internal/domain"
)

// requireProfessionals is the header check of a national import.
func requireProfessionals(f *csvFile) []string {
	return requiredColumns(f, domain.Actor{Role: domain.RoleNational})
}

// checkCSVFile states what readCSVFile promises of any input: a rejection is an EINVALID
// error whose every detail names a line and says why; an accepted file has records in line
// order with as many fields as the header, and its bad rows name their line.
func checkCSVFile(t *testing.T, f *csvFile, bad []domain.Problem, err error) {
	t.Helper()
	if err != nil {
		e := domain.AsError(err)
		if e == nil || e.Code != domain.EINVALID || e.Message == "" || len(e.Details) == 0 {
			t.Fatalf("rejection is not a clear EINVALID error: %#v", err)
		}
		for _, p := range e.Details {
			if p.Reason == "" || p.Field == "" || (p.Line == 0 && p.Reason != tr("it", "the file is empty")) {
				t.Fatalf("problem without its place or reason: %+v", p)
			}
		}
		if f != nil || bad != nil {
			t.Fatal("half a result with an error")
		}
		return
	}
	if f.encoding != EncodingUTF8 && f.encoding != EncodingWin1252 {
		t.Fatalf("encoding %q", f.encoding)
	}
	last := 0
	for _, r := range f.records {
		if r.line <= last {
			t.Fatalf("record lines out of order: %d after %d", r.line, last)
		}
		last = r.line
		for _, v := range r.fields {
			if !utf8Valid(v) {
				t.Fatalf("line %d: field %q is not UTF-8 after decoding", r.line, v)
			}
		}
	}
	for _, p := range bad {
		if p.Line <= 0 || p.Reason == "" {
			t.Fatalf("bad row without its line: %+v", p)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// FuzzReadCSVFile feeds arbitrary bytes to the professionals' CSV reader (the pure layer
// of ImportProfessionals: encoding, separator, header, records). Accepted files are written
// back as UTF-8 CSV with the same separator and read again: the records must be the same.
//
//	go test ./internal/registry -run '^$' -fuzz '^FuzzReadCSVFile$' -fuzztime 60s
func FuzzReadCSVFile(f *testing.F) {
	f.Add([]byte("\uFEFF" + header + "RSSMRA80D44D612X;Rossi;Maria;maria.rossi@example.it;14;85;090;090201;dipendente;ospedale;coordinatore\n;;;;;;;;;;\n"))
	f.Add([]byte("sep=,\r\ncf,cognome,nome,professioni,rapporto,setting\r\nRSSMRA80D44D612X,\"Rossi, detta \"\"Mari\"\"\",Maria,1.58:14.85,convenzionato,cure primarie\r\n"))
	f.Add([]byte("Codice Fiscale\tCognome\tNome\tProfessione\tRapporto\tSetting\nRSSMRA80D44D612X\tLucchesi\tNiccol\xf2\t14\tdipendente\tospedale\n"))
	f.Add([]byte("cf;cognome;nome;professione;rapporto;setting\nX;Perè;Nicolò;1;a;b\nY;Per\xe8;Nicol\xf2;1;a;b\n"))
	f.Add([]byte("cf;cognome\n\"unterminated;x\n"))
	f.Add([]byte("\xff\xfec\x00f\x00"))
	f.Add([]byte("PK\x03\x04xl/workbook.xml"))
	f.Add([]byte("cf;cf\n"))
	f.Add([]byte("sep=;"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, bad, err := readCSVFile(bytes.NewReader(b), "it", requireProfessionals)
		checkCSVFile(t, file, bad, err)
		if err != nil || len(bad) > 0 {
			return
		}
		// Write the records back (UTF-8, a header naming the same columns) and read again.
		var out bytes.Buffer
		w := csv.NewWriter(&out)
		w.Comma = file.separator
		cols := 0
		for _, i := range file.cols {
			cols = max(cols, i+1)
		}
		for _, r := range file.records {
			cols = max(cols, len(r.fields))
		}
		head := make([]string, cols)
		for k, i := range file.cols {
			head[i] = file.names[k]
		}
		for i := range head {
			if head[i] == "" {
				head[i] = "x" + string(rune('a'+i%26)) + strings.Repeat("_", i/26) // an ignored column
			}
		}
		if w.Write(head) != nil {
			return
		}
		for _, r := range file.records {
			w.Write(r.fields)
		}
		w.Flush()
		again, bad2, err := readCSVFile(&out, "it", requireProfessionals)
		if err != nil || len(bad2) > 0 {
			t.Fatalf("the records written back are refused: %v %+v\n%q", err, bad2, out.String())
		}
		if len(again.records) != len(file.records) {
			t.Fatalf("%d records, %d after the round trip", len(file.records), len(again.records))
		}
		for i := range file.records {
			if !reflect.DeepEqual(again.records[i].fields, file.records[i].fields) {
				t.Fatalf("record %d: %q became %q", i, file.records[i].fields, again.records[i].fields)
			}
		}
	})
}

// A pathological megabyte (one endless line, or an endless quoted field over many lines)
// is refused with the line, and reading it allocates a bounded amount: the line cap keeps
// the reader from buffering the whole input.
func TestReadCSVFileBoundedOnPathologicalInput(t *testing.T) {
	const size = 1 << 20
	inputs := map[string][]byte{
		"one long line":       append([]byte(header), bytes.Repeat([]byte("A"), size)...),
		"one long quoted run": append([]byte(header+"\""), bytes.Repeat([]byte("a\n"), size/2)...),
		"separators only":     bytes.Repeat([]byte(";"), size),
	}
	for name, in := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, _, err := readCSVFile(bytes.NewReader(in), "en", requireProfessionals)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		e := domain.AsError(err)
		if e == nil || len(e.Details) == 0 || e.Details[0].Line == 0 {
			t.Fatalf("%s: error without a line: %v", name, err)
		}
		// The reader's own buffer is MaxLineBytes; a few copies of it are fine, the whole
		// input several times over is not.
		if got := after.TotalAlloc - before.TotalAlloc; got > 8*MaxLineBytes+size/2 {
			t.Errorf("%s: %d bytes allocated for a %d-byte input", name, got, size)
		}
		t.Logf("%s: %v", name, err)
	}
}
