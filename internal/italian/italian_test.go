package italian

import (
	"slices"
	"testing"
)

func TestAnalyzeSameTermsForInflections(t *testing.T) {
	pairs := [][2]string{
		{"Telemonitoraggio dei pazienti cronici", "telemonitoraggio del paziente cronico"},
		{"Competenza digitale", "competenze digitali"},
		{"SANITA' DIGITALE", "sanità digitale"},
		{"La sanità digitale", "sanita digitali"},
		{"l'intelligenza artificiale", "Intelligenze artificiali"},
		{"dell'assistenza domiciliare", "assistenza domiciliare"},
		{"all’uso del Fascicolo", "uso fascicoli"},
		{"Le televisite", "televisita"},
	}
	for _, p := range pairs {
		a, b := Terms(p[0]), Terms(p[1])
		if !slices.Equal(a, b) {
			t.Errorf("%q → %v, %q → %v: want the same terms", p[0], a, p[1], b)
		}
	}
}

func TestAnalyzeDropsStopWordsAndElision(t *testing.T) {
	got := Analyze("L'uso dell'app e il ruolo degli infermieri nell'ambulatorio")
	want := []string{"uso", "app", "ruol", "infermier", "ambulator"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestAcronymsExpand(t *testing.T) {
	fse := Terms("Il FSE 2.0 in ambulatorio")
	full := Terms("fascicolo sanitario elettronico")
	for _, f := range full {
		if !slices.Contains(fse, f) {
			t.Errorf("FSE expansion %v lacks %q", fse, f)
		}
	}
	// "AI" in capitals is artificial intelligence; "ai" in lowercase is a preposition.
	if ai := Terms("AI in radiologia"); !slices.Contains(ai, Stem("intelligenza")) {
		t.Errorf("AI not expanded: %v", ai)
	}
	if ai := Terms("corso dedicato ai medici"); slices.Contains(ai, Stem("intelligenza")) {
		t.Errorf("lowercase ai expanded: %v", ai)
	}
}

func TestContainsPhrase(t *testing.T) {
	text := Analyze("Corso: la SANITÀ DIGITALE per gli operatori")
	if !Contains(text, Analyze("sanità digitale")) {
		t.Fatal("phrase not found")
	}
	if Contains(Analyze("sanità e trasformazione digitale"), Analyze("sanità digitale")) {
		t.Fatal("non-adjacent words matched as a phrase")
	}
	if !Contains(Analyze("Telemedicina nelle cure primarie"), Analyze("telemedicina")) {
		t.Fatal("single word not found")
	}
}

func TestFoldAndStem(t *testing.T) {
	if Fold("sanità") != "sanita" || Fold("perché") != "perche" {
		t.Fatal("fold")
	}
	if Stem("telemonitoraggio") != Stem("telemonitoraggi") {
		t.Fatalf("%s vs %s", Stem("telemonitoraggio"), Stem("telemonitoraggi"))
	}
}

func BenchmarkAnalyze(b *testing.B) {
	s := "Il telemonitoraggio dei pazienti cronici nella Casa della Comunità: strumenti, FSE 2.0 e ruolo dell'infermiere di famiglia"
	for b.Loop() {
		Analyze(s)
	}
}

func TestSynonymsAddTheTerm(t *testing.T) {
	got := Terms("Monitoraggio a distanza dei parametri vitali")
	if !slices.Contains(got, Stem("telemonitoraggio")) || got[0] != Stem("monitoraggio") {
		t.Fatalf("synonym not added: %v", got)
	}
	if !Contains(Analyze("La visita a distanza in pediatria"), Analyze("televisita")) {
		t.Fatal("televisita not found")
	}
	// The phrase itself stays searchable.
	if !Contains(Analyze("monitoraggio a distanza"), Analyze("monitoraggio distanza")) {
		t.Fatal("phrase lost")
	}
}
