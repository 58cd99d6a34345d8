package pdfdoc_test

import (
	"strings"
	"testing"

	"esd/internal/pdfdoc"
	"esd/internal/pdfdoc/pdftest"
)

// A bar chart carries its numbers: every value is printed, a missing one says why and draws
// no bar.
func TestBarsPrintTheirNumbers(t *testing.T) {
	d := pdfdoc.New(pdfdoc.Options{Title: "bars"})
	d.Bars("Quota valutati", []pdfdoc.Bar{{Label: "Toscana", Value: 62.5, Text: "62,5 %"}, {Label: "Molise", Missing: true, Text: "dato protetto"},
		{Label: "Un'azienda con un nome lunghissimo che non entra nella colonna delle etichette", Value: 140, Text: "140,0 %"}}, 100)
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	txt := pdftest.Flat(pdftest.Text(t, b))
	for _, want := range []string{"Quota valutati", "Toscana 62,5 %", "Molise dato protetto", "Un'azienda con un nome", "140,0 %"} {
		if !strings.Contains(txt, want) {
			t.Errorf("chart lacks %q: %s", want, txt)
		}
	}
}
