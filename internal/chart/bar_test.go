package chart

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestBarSVGIsAccessibleAndWellFormed(t *testing.T) {
	b := Bar{ID: "types", Title: "Eventi per tipologia", Desc: "RES 440, FAD 106, FSC 71, blended 5",
		Categories: []string{"RES", "FAD", "FSC", "Blended <5>"}, Series: []Series{{Name: "2024", Values: []float64{440, 106, 71, 5}}}}
	svg := b.SVG()
	for _, want := range []string{`role="img"`, `aria-labelledby="types-title types-desc"`, `<title id="types-title">Eventi per tipologia</title>`,
		`<desc id="types-desc">`, `>440<`, `Blended &lt;5&gt;`} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not well-formed: %v", err)
	}
	st := Bar{ID: "s", Title: "t", Categories: []string{"a", "b"}, Stacked: true,
		Series: []Series{{Name: "x", Values: []float64{1, 2}}, {Name: "y", Values: []float64{3, 0.5}}}}.SVG()
	if !strings.Contains(st, ">4<") || !strings.Contains(st, ">2,5<") {
		t.Fatalf("stacked totals missing: %s", st)
	}
	if (Bar{}).SVG() != "" {
		t.Fatal("empty chart should render nothing")
	}
}
