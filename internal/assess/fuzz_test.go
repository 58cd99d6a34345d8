package assess

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"esd/internal/domain"
)

// checkBank states what the bank readers promise: every problem says why and where (a
// line, or the field it is about), and no item comes with problems about the whole file.
func checkBank(t *testing.T, items []fileItem, ps []domain.Problem) {
	t.Helper()
	for _, p := range ps {
		if p.Reason == "" || p.Line <= 0 && p.Field == "" {
			t.Fatalf("problem without its reason or place: %+v", p)
		}
	}
	for _, it := range items {
		if it.line <= 0 {
			t.Fatalf("item %q without its line", it.in.Code)
		}
		correct := 0
		for _, o := range it.in.Options {
			if o.Correct {
				correct++
			}
		}
		if correct > 1 {
			t.Fatalf("line %d: %d right answers", it.line, correct)
		}
	}
}

const bankCSVSeed = "code,line,kind,level,text_it,text_en,option_1_it,option_1_en,option_2_it,option_2_en,option_3_it,option_3_en,option_4_it,option_4_en,option_5_it,option_5_en,correct,explanation_it,explanation_en\n" +
	"K-1,L1.1,knowledge,2,\"Che cos'è il FSE?\",What is the EHR?,Il fascicolo,The record,,,Una app,An app,,,,,3,\"Vedi, il DPCM\",See the decree\n" +
	"S-1,L1.1,self,1,So usare il FSE,,,,,,,,,,,,,,\n"

// FuzzParseBankCSV feeds arbitrary bytes to the item bank CSV reader. Items it reads are
// written back the way ExportBank writes them and read again: they must be the same.
//
//	go test ./internal/assess -run '^$' -fuzz '^FuzzParseBankCSV$' -fuzztime 60s
func FuzzParseBankCSV(f *testing.F) {
	f.Add([]byte(bankCSVSeed))
	f.Add([]byte(strings.ReplaceAll(bankCSVSeed, ",", ";")))
	f.Add([]byte("\ufeffcode;line;kind;level;text_it\nA;L1;self;x;t\nB;L1;self;1\n"))
	f.Add([]byte("code,line,kind,level,text_it,correct\nA,L1,knowledge,1,t,6\n\"open"))
	f.Add([]byte("nope\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, ps := parseBankCSV(bytes.NewReader(b))
		checkBank(t, items, ps)
		if len(ps) > 0 || len(items) == 0 {
			return
		}
		var out bytes.Buffer
		cw := csv.NewWriter(&out)
		cw.Write(CSVHeader)
		for _, it := range items {
			cw.Write(bankCSVRow(it.in))
		}
		cw.Flush()
		again, ps2 := parseBankCSV(&out)
		if len(ps2) > 0 || len(again) != len(items) {
			t.Fatalf("the items written back are refused: %+v (%d of %d)\n%s", ps2, len(again), len(items), out.String())
		}
		for i := range items {
			if !reflect.DeepEqual(again[i].in, items[i].in) {
				t.Fatalf("item %d changed in the round trip:\n%+v\n%+v", i, items[i].in, again[i].in)
			}
		}
	})
}

// FuzzParseBankJSON feeds arbitrary bytes to the item bank JSON reader. A file it reads
// is written back as ExportBank writes JSON and read again: the items must be the same.
//
//	go test ./internal/assess -run '^$' -fuzz '^FuzzParseBankJSON$' -fuzztime 60s
func FuzzParseBankJSON(f *testing.F) {
	f.Add([]byte(`{"framework":{"code":"ESD","version":"1.0"},"bank":{"version":1,"state":"draft"},"items":[{"code":"K-1","line":"L1.1","kind":"knowledge","level":2,"text_it":"Domanda","options":[{"text_it":"a","correct":true},{"text_it":"b"}]}]}`))
	f.Add([]byte("{\n\"items\": [{\"code\": 1}]}"))
	f.Add([]byte(`{"items":[],"extra":1}`))
	f.Add([]byte(`{"items":[{"code":"a"}]} trailing`))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, ps := parseBankJSON(bytes.NewReader(b))
		for _, p := range ps {
			if p.Reason == "" || p.Line <= 0 && p.Field == "" {
				t.Fatalf("problem without its reason or place: %+v", p)
			}
		}
		if len(ps) > 0 {
			return
		}
		var bf BankFile
		for _, it := range items {
			bf.Items = append(bf.Items, it.in)
		}
		out, err := json.Marshal(bf)
		if err != nil {
			t.Fatal(err)
		}
		again, ps2 := parseBankJSON(bytes.NewReader(out))
		if len(ps2) > 0 || len(again) != len(items) {
			t.Fatalf("the items written back are refused: %+v\n%s", ps2, out)
		}
		for i := range items {
			if !reflect.DeepEqual(again[i].in, items[i].in) {
				t.Fatalf("item %d changed in the round trip:\n%+v\n%+v", i, items[i].in, again[i].in)
			}
		}
	})
}

// failingReader fails every read after its content, as http.MaxBytesReader does once a
// body is over its cap.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	if n, _ := f.r.Read(p); n > 0 {
		return n, nil
	}
	return 0, errors.New("http: request body too large")
}

// A reader that keeps failing ends the CSV import with one problem; it used to be read
// again forever, one more problem each time.
func TestParseBankCSVStopsOnAFailingReader(t *testing.T) {
	done := make(chan []domain.Problem, 1)
	go func() {
		_, ps := parseBankCSV(&failingReader{strings.NewReader(bankCSVSeed + "K-2,L1.1,knowledge,1,\"half")})
		done <- ps
	}()
	select {
	case ps := <-done:
		if len(ps) != 1 || !strings.Contains(ps[0].Reason, "too large") {
			t.Fatalf("problems: %+v", ps)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("parseBankCSV does not stop on a failing reader")
	}
}
