package seed

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// csvReference builds a Reference from the shared reference CSV files, for generator tests
// that need no database.
func csvReference(t testing.TB) *Reference {
	t.Helper()
	dir := ""
	// The registry's embedded copies (same files, with a "# Source:" line) come last, so the
	// test runs in a checkout without shared/ beside it too.
	for _, c := range []string{os.Getenv("ESD_REFERENCE_DIR"), "../../../shared/reference", "../../../../shared/reference", "../registry/reference"} {
		if c == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c, "belfiore_comuni_istat_20200101.csv")); err == nil {
			dir = c
			break
		}
	}
	if dir == "" {
		t.Fatal("reference CSV files not found: set ESD_REFERENCE_DIR")
	}
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.Comment = '#'
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows[1:]
	}
	ref := &Reference{}
	codes := make([]string, 0, len(regionPopulation))
	for c := range regionPopulation {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	regionID := map[string]int64{}
	for i, c := range codes {
		regionID[c] = int64(i + 1)
		ref.Regions = append(ref.Regions, Region{ID: int64(i + 1), MinsalCode: c, Name: "Regione " + c})
	}
	for _, r := range read("belfiore_comuni_istat_20200101.csv") {
		ref.Comuni = append(ref.Comuni, Comune{Istat: r[0], Name: r[1], Province: r[2], Belfiore: r[3], RegionName: r[4]})
	}
	id := int64(0)
	aslID := map[string]int64{}
	for _, r := range read("asl_codici_ministero.csv") {
		id++
		aslID[r[0]] = id
		ref.Orgs = append(ref.Orgs, Org{ID: id, Kind: "asl", Code: r[0], Name: r[1], RegionID: regionID[r[2]], Public: true})
	}
	for _, r := range read("strutture_ricovero_hsp11.csv") {
		id++
		ref.Orgs = append(ref.Orgs, Org{ID: id, Kind: "hospital", Code: r[0], Name: r[1], RegionID: regionID[r[2]], ComuneIstat: r[3],
			ParentID: aslID[r[4]], StructureType: r[6], Public: r[7] == "Pubblico"})
	}
	for _, r := range read("ecm_professioni.csv") {
		c, err := strconv.Atoi(r[0])
		if err != nil || c == 0 {
			continue
		}
		ref.Professions = append(ref.Professions, Profession{Code: c, Name: r[1]})
	}
	for _, r := range read("ecm_discipline.csv") {
		c, err1 := strconv.Atoi(r[0])
		p, err2 := strconv.Atoi(r[2])
		if err1 != nil || err2 != nil {
			continue
		}
		ref.Disciplines = append(ref.Disciplines, Discipline{Code: c, ProfessionCode: p, Name: r[1]})
	}
	ref.sort()
	if err := ref.check(); err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestGeneratorIsDeterministic(t *testing.T) {
	ref := csvReference(t)
	g1, err := NewGenerator(ref, 42)
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := NewGenerator(ref, 42)
	g3, _ := NewGenerator(ref, 43)
	same := 0
	for i := 0; i < 2000; i++ {
		a, b := g1.Professional(i), g2.Professional(i)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("row %d differs between two generators of the same seed:\n%+v\n%+v", i, a, b)
		}
		if reflect.DeepEqual(a, g3.Professional(i)) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d rows identical under another seed", same)
	}
	// Order does not matter: row 1500 alone equals row 1500 in sequence.
	if !reflect.DeepEqual(g1.Professional(1500), g2.Professional(1500)) {
		t.Error("row depends on generation order")
	}
}

func TestGeneratorDistributions(t *testing.T) {
	ref := csvReference(t)
	g, err := NewGenerator(ref, DefaultSeed)
	if err != nil {
		t.Fatal(err)
	}
	const n = 40_000
	prof := map[int]int{}
	region := map[string]int{}
	orgs := map[int64]Org{}
	for _, o := range ref.Orgs {
		orgs[o.ID] = o
	}
	disc := map[int]int{}
	for _, d := range ref.Disciplines {
		disc[d.Code] = d.ProfessionCode
	}
	belfiore := map[string]bool{}
	for _, c := range ref.Comuni {
		belfiore[c.Belfiore] = true
	}
	women, foreign, noOrg, contract := 0, 0, 0, 0
	emails := map[string]bool{}
	for i := 0; i < n; i++ {
		p := g.Professional(i)
		prof[p.ProfessionCode]++
		region[p.RegionCode]++
		if disc[p.DisciplineCode] != p.ProfessionCode {
			t.Fatalf("row %d: discipline %d is not of profession %d", i, p.DisciplineCode, p.ProfessionCode)
		}
		if p.OrganisationID != 0 {
			o, ok := orgs[p.OrganisationID]
			if !ok || o.RegionID != p.RegionID {
				t.Fatalf("row %d: organisation %d is not in region %s", i, p.OrganisationID, p.RegionCode)
			}
		} else {
			noOrg++
		}
		if strings.HasPrefix(p.BirthplaceCode, "Z") {
			foreign++
		} else if !belfiore[p.BirthplaceCode] {
			t.Fatalf("row %d: birthplace %q is no comune", i, p.BirthplaceCode)
		}
		age := refDate.Sub(p.BirthDate).Hours() / 24 / 365.25
		if age < 21 || age > 68.5 {
			t.Fatalf("row %d: age %.1f", i, age)
		}
		if p.Sex == "F" {
			women++
		}
		if p.Employment == ContractEmployment {
			contract++
		}
		if p.FamilyName == "" || p.GivenName == "" || p.CareSetting == "" || p.Employment == "" {
			t.Fatalf("row %d incomplete: %+v", i, p)
		}
		if emails[p.Email] {
			t.Fatalf("row %d: e-mail %s repeated", i, p.Email)
		}
		emails[p.Email] = true
	}
	share := func(k int) float64 { return float64(k) / n }
	check := func(name string, got, lo, hi float64) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s share %.3f, want %.2f–%.2f", name, got, lo, hi)
		}
	}
	check("nurses", share(prof[14]+prof[15]), 0.32, 0.38)
	check("physicians", share(prof[1]), 0.29, 0.35)
	check("pharmacists", share(prof[3]), 0.065, 0.095)
	tech := 0
	for _, c := range []int{9, 10, 11, 12, 13, 16, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30} {
		tech += prof[c]
	}
	check("technical/rehabilitation/prevention", share(tech), 0.13, 0.17)
	check("Lombardia", share(region["030"]), 0.15, 0.19)
	check("Valle d'Aosta", share(region["020"]), 0.001, 0.004)
	check("women", share(women), 0.60, 0.75)
	check("born abroad", share(foreign), 0.03, 0.07)
	check("without organisation", share(noOrg), 0.10, 0.35)
	check("convenzionati (GPs, PLS)", share(contract), 0.05, 0.12)
	if len(region) != 21 {
		t.Errorf("professionals in %d regions, want 21", len(region))
	}
}

func TestRedrawChangesOnlyTheBirthDate(t *testing.T) {
	ref := csvReference(t)
	g, _ := NewGenerator(ref, 1)
	p := g.Professional(7)
	q := p
	g.Redraw(&q, 1)
	if q.BirthDate.Equal(p.BirthDate) {
		t.Error("redraw kept the birth date")
	}
	q2 := p
	g.Redraw(&q2, 1)
	if !q2.BirthDate.Equal(q.BirthDate) {
		t.Error("redraw is not deterministic")
	}
	q.BirthDate = p.BirthDate
	if !reflect.DeepEqual(p, q) {
		t.Error("redraw changed more than the birth date")
	}
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		in     string
		profs  int
		events int
	}{{"S", 13_000, 6_000}, {"m", 130_000, 60_000}, {" L ", 1_300_000, 600_000}} {
		s, err := ParseSize(tc.in)
		if err != nil || s.Professionals != tc.profs || s.Events != tc.events {
			t.Errorf("ParseSize(%q) = %+v, %v", tc.in, s, err)
		}
	}
	if _, err := ParseSize("XL"); err == nil {
		t.Error("XL accepted")
	}
}

func BenchmarkProfessional(b *testing.B) {
	g, err := NewGenerator(csvReference(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = g.Professional(i)
	}
}
