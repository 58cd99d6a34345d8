package portfolio

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// referenceDir finds the shared public data (../shared/reference from the project root) from
// a checkout or a worktree; the test is skipped where it is not available.
func referenceDir(t *testing.T) string {
	for _, d := range []string{os.Getenv("ESD_REFERENCE_DIR"), "../../../shared/reference", "../../../../shared/reference"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "digcomp3_data_supplement_2025-11-24.jsonld")); err == nil {
			return d
		}
	}
	t.Skip("shared reference data not available")
	return ""
}

// The embedded reference tables are what gen_reference.go derives from the public data:
// DigComp 3.0's 5 areas and 21 competences from the JSON-LD, the 38 national ECM objectives
// of the 2019 list from the CSV.
func TestReferenceTablesMatchSharedData(t *testing.T) {
	dir := referenceDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "digcomp3_data_supplement_2025-11-24.jsonld"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Graph []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range doc.Graph {
		id, _ := g["@id"].(string)
		name, _ := g["name"].(string)
		var code string
		switch g["@type"] {
		case "CompetenceArea":
			code = strings.TrimPrefix(id, "CompetenceArea/")
		case "Competence":
			code = strings.TrimPrefix(id, "Competence/")
		default:
			continue
		}
		n++
		if e, ok := DigCompEntry(code); !ok || e.Label != name {
			t.Errorf("DigComp %s: embedded %+v, reference %q", code, e, name)
		}
	}
	if n != 26 || len(DigComp()) != 26 {
		t.Fatalf("DigComp: %d in the reference, %d embedded; want 5 areas + 21 competences", n, len(DigComp()))
	}
	f, err := os.Open(filepath.Join(dir, "ecm_obiettivi_formativi.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for _, r := range rows[1:] {
		if r[0] != "3" || r[2] != "true" {
			continue
		}
		n++
		if e, ok := ECMObjective(r[4]); !ok || e.Label != strings.Join(strings.Fields(r[5]), " ") {
			t.Errorf("ECM %s: embedded %+v", r[4], e)
		}
	}
	if n != 38 || len(ECMObjectives()) != 38 {
		t.Fatalf("ECM objectives: %d in the reference, %d embedded", n, len(ECMObjectives()))
	}
	for _, c := range []string{"17", "35"} {
		if e, _ := ECMObjective(c); !strings.Contains(e.Label, "sanità digitale") {
			t.Errorf("objective %s should name digital health: %q", c, e.Label)
		}
	}
}
