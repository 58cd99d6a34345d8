package textnorm

import "testing"

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Città":              "citta",
		"NICOLÒ  D'Alò":      "nicolo d alo",
		"Sanità   Digitale!": "sanita digitale",
		"Ünïcödé–Straße":     "unicode straße",
		"":                   "",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ASCIIName("Nicolò D’Alò-Müller"); got != "Nicolo D'Alo-Muller" {
		t.Errorf("ASCIIName = %q", got)
	}
}
