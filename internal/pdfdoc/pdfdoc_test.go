package pdfdoc_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"esd/internal/pdfdoc"
	"esd/internal/pdfdoc/pdftest"
)

func TestUnicodeTextReadsBack(t *testing.T) {
	d := pdfdoc.New(pdfdoc.Options{Title: "Prova", Footer: "generato il 07/12/2026", Created: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)})
	d.Heading("Attestato di partecipazione – Sanità digitale", 1)
	d.Field("Professionista", "Nicolò Caffè D’Annunzio")
	d.Paragraph("Quota d’iscrizione: 120,50 € (IVA esente). È richiesta la presenza al 90 %.")
	rows := [][]string{}
	for i := 0; i < 120; i++ {
		rows = append(rows, []string{fmt.Sprintf("Riga %03d perché sì", i), "città", "€ 1"})
	}
	d.Table([]float64{0.6, 0.2, 0.2}, []string{"Voce", "Luogo", "Costo"}, rows)
	pdf, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:10])
	}
	if d.Pages() < 2 {
		t.Fatalf("a 120-row table should span pages, got %d", d.Pages())
	}
	txt := pdftest.Text(t, pdf)
	for _, want := range []string{"Nicolò Caffè D’Annunzio", "Sanità digitale", "120,50 €", "È richiesta",
		pdfdoc.PlatformName, "Riga 000 perché sì", "Riga 119 perché sì", "Pagina 1 di " + fmt.Sprint(d.Pages()),
		"generato il 07/12/2026"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the PDF text lacks %q:\n%s", want, txt[:min(len(txt), 1500)])
		}
	}
	// the table header is repeated on the next page
	if n := strings.Count(txt, "Voce"); n < 2 {
		t.Errorf("table header printed %d times, want it on every page", n)
	}
}

func TestReproducible(t *testing.T) {
	mk := func() []byte {
		d := pdfdoc.New(pdfdoc.Options{Title: "x", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Lang: "en"})
		d.Paragraph("Sanità")
		b, err := d.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(mk(), mk()) {
		t.Fatal("the same content with the same date should give the same bytes")
	}
}
