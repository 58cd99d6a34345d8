package chart

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestRadarIsAccessibleWellFormedSVG(t *testing.T) {
	r := Radar{ID: "gaps", Title: "Livello attuale e obiettivo per ambito", Desc: "Tre ambiti <FSE & telemedicina>",
		Axes:   []string{"Fascicolo Sanitario Elettronico", "Telemedicina e servizi a distanza per i pazienti cronici", "Sicurezza"},
		Series: []RadarSeries{{Name: "Attuale", Values: []float64{1.5, 2, 0}}, {Name: "Obiettivo", Values: []float64{3, 2.5, 2}, Dashed: true}},
		Max:    4}
	svg := r.SVG()
	for _, want := range []string{`role="img"`, `aria-labelledby="gaps-title gaps-desc"`, `<title id="gaps-title">Livello attuale e obiettivo per ambito</title>`,
		`&lt;FSE &amp; telemedicina&gt;`, `stroke-dasharray`, `Attuale – Telemedicina`} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q", want)
		}
	}
	if n := strings.Count(svg, "<polygon"); n != 4+2 {
		t.Errorf("%d polygons, want 4 rings and 2 series", n)
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
	}
}
