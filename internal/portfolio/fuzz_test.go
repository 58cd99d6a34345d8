package portfolio

import (
	"bytes"
	"os"
	"testing"
	"time"

	"esd/internal/domain"
)

// encodeAs writes doc in format, as Export does.
func encodeAs(format string, doc Document) ([]byte, error) {
	switch format {
	case FormatMoodle:
		return encodeMoodle(doc)
	case FormatCASE:
		return encodeCASE(doc, Version{State: StateDraft, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	return encodeJSON(doc)
}

// FuzzParse feeds arbitrary bytes to the portfolio importer's parse layer in each of its
// formats (our JSON, Moodle CSV, CASE JSON). A rejection is an EINVALID error listing
// problems that each say why (and, in Details, where: a line, a field or an item); an
// accepted document is exported in the same format and parsed again, and must come back
// the same (compared in our JSON form, which holds everything a document has).
//
//	go test ./internal/portfolio -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s
func FuzzParse(f *testing.F) {
	def, err := os.ReadFile("data/default_portfolio.json")
	if err != nil {
		f.Fatal(err)
	}
	doc, _, err := Parse(FormatJSON, def)
	if err != nil {
		f.Fatal(err)
	}
	// The whole default portfolio is too big to mutate quickly: two dimensions of it, the
	// first with one area of two lines, keep every kind of field at a few kilobytes.
	doc.Dimensions = doc.Dimensions[:2]
	doc.Dimensions[0].Areas = doc.Dimensions[0].Areas[:1]
	doc.Dimensions[0].Areas[0].Lines = doc.Dimensions[0].Areas[0].Lines[:2]
	doc.Dimensions[1].Areas = doc.Dimensions[1].Areas[:1]
	doc.Dimensions[1].Areas[0].Lines = doc.Dimensions[1].Areas[0].Lines[:1]
	for i, format := range Formats {
		b, err := encodeAs(format, doc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(1), []byte(moodleForeign))
	f.Add(uint8(0), []byte(`{"format":"esd-portfolio","format_version":1,"framework":{}}`))
	f.Add(uint8(0), []byte("{\n\"format\": 7}"))
	f.Add(uint8(1), []byte("\"Parent ID number\",\"ID number\"\n,\"unterminated"))
	f.Add(uint8(2), []byte(`{"CFDocument":{"identifier":"x"},"CFItems":[{"identifier":"a"},{"identifier":"a"}],"CFAssociations":[{"originNodeURI":{"identifier":"a"},"destinationNodeURI":{"identifier":"a"},"associationType":"isChildOf"}]}`))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		format := Formats[int(which)%len(Formats)]
		doc, _, err := Parse(format, b)
		if err != nil {
			e := domain.AsError(err)
			if e == nil || e.Code != domain.EINVALID || e.Message == "" || len(e.Details) == 0 {
				t.Fatalf("%s: rejection is not a clear EINVALID error: %#v", format, err)
			}
			for _, p := range e.Details {
				if p.Reason == "" {
					t.Fatalf("%s: a problem without its reason: %+v", format, p)
				}
			}
			return
		}
		first, err := encodeJSON(doc)
		if err != nil {
			t.Fatalf("%s: the accepted document cannot be written: %v", format, err)
		}
		out, err := encodeAs(format, doc)
		if err != nil {
			t.Fatalf("%s: the accepted document cannot be exported: %v", format, err)
		}
		again, _, err := Parse(format, out)
		if err != nil {
			t.Fatalf("%s: the export of an accepted document is refused: %v %+v\n%s", format, err, domain.AsError(err), out)
		}
		second, _ := encodeJSON(again)
		if !bytes.Equal(first, second) {
			t.Fatalf("%s does not round-trip:\n%s", format, firstDifference(string(first), string(second)))
		}
	})
}
