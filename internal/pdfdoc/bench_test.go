package pdfdoc_test

import (
	"testing"

	"esd/internal/pdfdoc"
)

// BenchmarkOnePage measures a one-page document (the certificate's size): font parsing and
// subsetting dominate.
func BenchmarkOnePage(b *testing.B) {
	for b.Loop() {
		d := pdfdoc.New(pdfdoc.Options{Title: "x"})
		d.Heading("Attestato di partecipazione", 1)
		d.Field("Professionista", "Nicolò D’Alessandro")
		d.Paragraph("Sanità digitale, 120 €")
		pdf, err := d.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(pdf)))
	}
}
