package chart

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestScatterIsAccessibleWellFormedSVG(t *testing.T) {
	s := Scatter{ID: "sc", Title: "FSE & training", Desc: "one point per region", XLabel: "consenso %", YLabel: "valutati %",
		Points: []ScatterPoint{{"Toscana", 58.4, 30}, {"Emilia-Romagna <ER>", 92, 41.5}, {"Calabria", 1, 12}}}
	out := s.SVG()
	if err := xml.Unmarshal([]byte(out), new(any)); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, out)
	}
	for _, want := range []string{`role="img"`, `<title id="sc-title">FSE &amp; training</title>`, "Emilia-Romagna &lt;ER&gt;: 92, 41,5", "Calabria: 1, 12", "consenso %"} {
		if !strings.Contains(out, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Count(out, "<circle") != 3 {
		t.Errorf("want 3 points, got %d", strings.Count(out, "<circle"))
	}
	if (Scatter{}).SVG() != "" {
		t.Error("an empty chart should render nothing")
	}
}
