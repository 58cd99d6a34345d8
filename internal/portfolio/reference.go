package portfolio

import (
	"embed"
	"encoding/json"
)

// The reference tables behind the crosswalks, derived by gen_reference.go from the shared
// public data (ECM objectives: Co.Ge.A.P.S. codes of the 2019 national list, from the
// Veneto regional ECM system; DigComp 3.0: EU JRC data supplement of 24 Nov 2025, CC BY 4.0).
//
//go:embed data/ecm_objectives.json data/digcomp3.json
var referenceFS embed.FS

//go:generate go run gen_reference.go

// RefEntry is one concept a line can be mapped to.
type RefEntry struct {
	Code        string `json:"code"`
	Label       string `json:"label"`
	Group       string `json:"group,omitempty"` // ECM: objective area; DigComp: "area" or "competence"
	Description string `json:"description,omitempty"`
}

var (
	ecmObjectives []RefEntry
	digComp       []RefEntry
	ecmByCode     = map[string]RefEntry{}
	digCompByCode = map[string]RefEntry{}
)

func init() {
	load := func(name string, into *[]RefEntry, idx map[string]RefEntry) {
		b, err := referenceFS.ReadFile(name)
		if err != nil {
			panic(err)
		}
		if err := json.Unmarshal(b, into); err != nil {
			panic(name + ": " + err.Error())
		}
		for _, e := range *into {
			idx[e.Code] = e
		}
	}
	load("data/ecm_objectives.json", &ecmObjectives, ecmByCode)
	load("data/digcomp3.json", &digComp, digCompByCode)
}

// ECMObjectives returns the 38 national ECM training objectives, by code.
func ECMObjectives() []RefEntry { return append([]RefEntry(nil), ecmObjectives...) }

// ECMObjective returns the national ECM objective with the given Co.Ge.A.P.S. code.
func ECMObjective(code string) (RefEntry, bool) { e, ok := ecmByCode[code]; return e, ok }

// DigComp returns the DigComp 3.0 areas and competences, by code.
func DigComp() []RefEntry { return append([]RefEntry(nil), digComp...) }

// DigCompEntry returns the DigComp 3.0 area ("4") or competence ("4.2") with that code.
func DigCompEntry(code string) (RefEntry, bool) { e, ok := digCompByCode[code]; return e, ok }

// refLabel returns the reference label of a known target, or "".
func refLabel(scheme, code string) string {
	switch scheme {
	case SchemeECM:
		return ecmByCode[code].Label
	case SchemeDigComp:
		return digCompByCode[code].Label
	}
	return ""
}

// SchemeTargets returns the targets of a scheme with a reference list, for pickers.
func SchemeTargets(scheme string) []RefEntry {
	var out []RefEntry
	switch scheme {
	case SchemeECM:
		out = ECMObjectives()
	case SchemeDigComp:
		out = DigComp()
	}
	return out
}
