//go:build ignore

// gen_reference derives the package's two reference tables from the shared public data:
//
//	data/ecm_objectives.json  the 38 national ECM training objectives of the 2019 list
//	                          ("versione 3"), from ecm_obiettivi_formativi.csv
//	data/digcomp3.json        the 5 areas and 21 competences of DigComp 3.0 (EU JRC,
//	                          CC BY 4.0), from digcomp3_data_supplement_2025-11-24.jsonld
//
// Run from this folder: go run gen_reference.go [REFERENCE_DIR] (default ../../../shared/reference, the project convention).
package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type entry struct {
	Code        string `json:"code"`
	Label       string `json:"label"`
	Group       string `json:"group,omitempty"`
	Description string `json:"description,omitempty"`
}

func main() {
	dir := "../../../shared/reference"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	must(writeJSON("data/ecm_objectives.json", ecm(filepath.Join(dir, "ecm_obiettivi_formativi.csv"))))
	must(writeJSON("data/digcomp3.json", digcomp(filepath.Join(dir, "digcomp3_data_supplement_2025-11-24.jsonld"))))
}

func ecm(path string) []entry {
	f, err := os.Open(path)
	must(err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	must(err)
	byCode := map[string]entry{}
	for _, r := range rows[1:] {
		// versione,changelog_date,nazionale,categoria,codice_cogeaps,nome
		if r[0] != "3" || r[2] != "true" {
			continue
		}
		byCode[r[4]] = entry{Code: r[4], Label: strings.Join(strings.Fields(r[5]), " "), Group: r[3]}
	}
	var out []entry
	for _, e := range byCode {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].Code)
		b, _ := strconv.Atoi(out[j].Code)
		return a < b
	})
	return out
}

func digcomp(path string) []entry {
	b, err := os.ReadFile(path)
	must(err)
	var doc struct {
		Graph []map[string]any `json:"@graph"`
	}
	must(json.Unmarshal(b, &doc))
	var out []entry
	for _, n := range doc.Graph {
		t, _ := n["@type"].(string)
		id, _ := n["@id"].(string)
		name, _ := n["name"].(string)
		desc, _ := n["description"].(string)
		switch t {
		case "CompetenceArea":
			out = append(out, entry{Code: strings.TrimPrefix(id, "CompetenceArea/"), Label: name, Group: "area", Description: desc})
		case "Competence":
			out = append(out, entry{Code: strings.TrimPrefix(id, "Competence/"), Label: name, Group: "competence", Description: desc})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
