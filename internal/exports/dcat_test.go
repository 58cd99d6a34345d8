package exports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// A literal with markup, quotes and a newline survives both serialisations: the XML parses
// and gives the text back; the Turtle escapes it inside one string.
func TestMetadataEscaping(t *testing.T) {
	tricky := "Sanità <digitale> & \"ECM\"\nriga due"
	n := &Node{IRI: "http://x/a?b=1&c=2", Types: []string{"dcatapit:Dataset", "dcat:Dataset"}, Props: []Prop{
		litLang("dct:title", tricky, "it"),
		ref("dcat:theme", euTheme+"HEAL"),
		nested("dct:publisher", &Node{IRI: "http://x/pub", Types: []string{"dcatapit:Agent"}, Props: []Prop{lit("dct:identifier", "m_sa")}}),
		nested("dct:temporal", &Node{Types: []string{"dct:PeriodOfTime"}, Props: []Prop{typed("dcat:startDate", "2026-01-01", "xsd:date")}}),
	}}
	dec := xml.NewDecoder(bytes.NewReader(n.RDFXML()))
	var title, about string
	var in bool
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "Dataset" && e.Name.Space == namespaces["dcatapit"] {
				for _, a := range e.Attr {
					if a.Name.Local == "about" {
						about = a.Value
					}
				}
			}
			in = e.Name.Local == "title"
		case xml.CharData:
			if in {
				title += string(e)
			}
		case xml.EndElement:
			in = false
		}
	}
	if title != tricky || about != "http://x/a?b=1&c=2" {
		t.Errorf("RDF/XML gave title %q about %q", title, about)
	}
	ttl := string(n.Turtle())
	for _, want := range []string{`dct:title "Sanità <digitale> & \"ECM\"\nriga due"@it`, "a dcatapit:Dataset, dcat:Dataset", `dcat:startDate "2026-01-01"^^xsd:date`,
		"<http://x/pub>\n    a dcatapit:Agent ;\n    dct:identifier \"m_sa\" ."} {
		if !strings.Contains(ttl, want) {
			t.Errorf("Turtle lacks %q:\n%s", want, ttl)
		}
	}
	if strings.Count(ttl, "[") != strings.Count(ttl, "]") {
		t.Errorf("unbalanced blank nodes:\n%s", ttl)
	}
}
