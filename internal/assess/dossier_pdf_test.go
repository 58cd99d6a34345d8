package assess

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"esd/internal/pdfdoc/pdftest"
)

// The dossier PDF read back with pdftotext: accented names, every objective of every section
// (a long dossier spans pages), the fields and the headings in the page's language.
func TestDossierPDFText(t *testing.T) {
	from := 1
	var objs []Objective
	for i := 0; i < 40; i++ {
		objs = append(objs, Objective{LineCode: fmt.Sprintf("D1.A1.L%02d", i+1), LineTitle: "Fascicolo sanitario elettronico: consultazione e alimentazione", FromLevel: &from, TargetLevel: 3,
			DueDate: "2027-12-31", State: "agreed"})
	}
	last := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	d := Dossier{
		Professional: Professional{GivenName: "Nicolò", FamilyName: "D’Alessandro"},
		Triennium:    "2026-2028", GeneratedAt: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Persona: "Infermiere di famiglia e comunità",
		Illustrative: true, LastAssessment: &last, Total: 41,
		Sections: []ECMSection{{Code: "17", Name: "Argomenti di carattere generale: sanità digitale", Objectives: objs},
			{Code: "", Objectives: []Objective{{LineCode: "D2.A1.L01", LineTitle: "Telemedicina", TargetLevel: 2, DueDate: "2028-06-30", State: "draft", GroupID: 4, GroupName: "Équipe COT"}}}},
	}
	var b bytes.Buffer
	if err := d.WritePDF(&b, "it"); err != nil {
		t.Fatal(err)
	}
	txt := pdftest.Flat(pdftest.Text(t, b.Bytes()))
	for _, want := range []string{"Dossier formativo individuale ESD – triennio 2026-2028", "Nicolò D’Alessandro", "Infermiere di famiglia e comunità",
		"03/11/2026", "illustrativo", "Obiettivo formativo ECM 17 – Argomenti di carattere generale: sanità digitale", "D1.A1.L01", "D1.A1.L40",
		"→3", "31/12/2027", "Senza obiettivo ECM", "gruppo: Équipe", "→2", "30/06/2028", "generato il 07/12/2026", "Pagina 2 di"} {
		if !strings.Contains(txt, want) {
			t.Errorf("dossier PDF text lacks %q", want)
		}
	}
	b.Reset()
	if err := d.WritePDF(&b, "en"); err != nil {
		t.Fatal(err)
	}
	txt = pdftest.Flat(pdftest.Text(t, b.Bytes()))
	for _, want := range []string{"Individual ESD training dossier", "ECM training objective 17", "No ECM objective", "Page 1 of", "Nicolò D’Alessandro"} {
		if !strings.Contains(txt, want) {
			t.Errorf("English dossier PDF text lacks %q", want)
		}
	}
}
