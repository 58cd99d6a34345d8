package monitor

import (
	"strings"
	"testing"
)

func TestCSVForItalianExcel(t *testing.T) {
	b := string(CSV([]string{"Voce", "Valore"}, [][]string{{"=HYPERLINK(\"x\")", "-1,5"}, {"+39 055", "12,0"}, {"@SUM(A1)", "3"}, {"Toscana; nord", "-"}}))
	if !strings.HasPrefix(b, "\ufeff") {
		t.Fatal("no BOM")
	}
	for _, want := range []string{"Voce;Valore", `"'=HYPERLINK(""x"")";-1,5`, "'+39 055;12,0", "'@SUM(A1);3", `"Toscana; nord";'-`} {
		if !strings.Contains(b, want) {
			t.Errorf("CSV lacks %q:\n%s", want, b)
		}
	}
}

func TestQueryRoundTrip(t *testing.T) {
	q := Query{Indicator: "level", Period: "2026", Region: 90, Organisation: 7, Profession: 1, Persona: 3, Area: "A1"}
	got, err := ParseQuery(q.Values())
	if err != nil || got != q {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := ParseQuery(map[string][]string{"org": {"x"}}); err == nil || !strings.Contains(err.Error(), "org") {
		t.Fatalf("bad org: %v", err)
	}
}
