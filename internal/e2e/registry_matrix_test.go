package e2e

import (
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"esd/internal/cf"
	"esd/internal/domain"
)

// The registry's pages and endpoints in the permission matrix. Organisations and reference
// tables are public registers (every role, both sides); professionals are individual data
// (national: all; regional: their region; organisation: their staff; professional: self;
// provider and analyst: none); writes follow the same scopes.

var cfSeq atomic.Int64

// freshCF returns a valid codice fiscale not used before in this test binary.
func freshCF() string {
	n := cfSeq.Add(1)
	c, err := cf.Encode("Matrice", "Caso", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)), "F", "D612")
	if err != nil {
		panic(err)
	}
	return c
}

func sideRegion(w *World, side string) int64 {
	if side == "B" {
		return w.RegionB
	}
	return w.RegionA
}

func sideASLCode(side string) string {
	if side == "B" {
		return "050501"
	}
	return "090201"
}

// professionalInput is a new nurse of the side's ASL.
func professionalInput(w *World, side string) map[string]any {
	return map[string]any{"codice_fiscale": freshCF(), "family_name": "Matrice", "given_name": "Caso", "region_id": sideRegion(w, side),
		"organisation_id": w.IDs["org."+side], "professions": []map[string]int{{"profession": 14, "discipline": 85}},
		"employment": "dipendente", "care_setting": "ospedale"}
}

func professionalForm(w *World, side string) url.Values {
	return url.Values{"codice_fiscale": {freshCF()}, "family_name": {"Matrice"}, "given_name": {"Caso"}, "region_id": {fmt.Sprint(sideRegion(w, side))},
		"organisation_id": {fmt.Sprint(w.IDs["org."+side])}, "pair_1": {"14.85"}, "employment": {"dipendente"}, "care_setting": {"ospedale"}}
}

// editForm keeps professional.{side} in its scope (same region and ASL) and changes the e-mail.
func editForm(w *World, side string) url.Values {
	cf := "RSSMRA85T10A562S"
	family := "Rossi"
	if side == "B" {
		cf, family = "RSSMRA79B11C566R", "Bortolazzi"
	}
	v := professionalForm(w, side)
	v.Set("codice_fiscale", cf)
	v.Set("family_name", family)
	v.Set("given_name", "Mario")
	v.Set("email", fmt.Sprintf("mario.%d@example.it", cfSeq.Add(1)))
	return v
}

func editJSON(w *World, side string) any {
	v := editForm(w, side)
	return map[string]any{"codice_fiscale": v.Get("codice_fiscale"), "family_name": v.Get("family_name"), "given_name": "Mario",
		"email": v.Get("email"), "region_id": sideRegion(w, side), "organisation_id": w.IDs["org."+side],
		"professions": []map[string]int{{"profession": 14, "discipline": 85}}, "employment": "dipendente", "care_setting": "ospedale"}
}

func importCSV(side string) string {
	return "codice_fiscale;cognome;nome;professione;disciplina;regione;azienda;rapporto;setting\n" +
		freshCF() + ";Matrice;Caso;14;85;" + map[string]string{"A": "090", "B": "050"}[side] + ";" + sideASLCode(side) + ";dipendente;ospedale\n"
}

func providerInput(w *World, side string) map[string]any {
	return map[string]any{"kind": "provider", "code": fmt.Sprintf("MX-%s-%d", side, cfSeq.Add(1)), "name": "Provider matrice " + side, "region_id": sideRegion(w, side)}
}

// onlyRegionalOnA: professional2 (a GP without an organisation) is seen by the region only.
func onlyRegionalOnA(r domain.Role, side string) bool {
	return r == domain.RoleNational || (side == "A" && r == domain.RoleRegional)
}

func init() {
	readers := roles(domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)
	editors := roles(domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation)
	both := []string{"A", "B"}
	cases = append(cases,
		// Reference data and organisations: public registers.
		Case{Name: "reference page", Method: "GET", Path: "/reference", Allow: everyone},
		Case{Name: "regions api", Method: "GET", Path: "/api/v1/regions", Allow: everyone},
		Case{Name: "professions api", Method: "GET", Path: "/api/v1/professions", Allow: everyone},
		Case{Name: "objectives api", Method: "GET", Path: "/api/v1/ecm-objectives?version=3", Allow: everyone},
		Case{Name: "organisations page", Method: "GET", Path: "/organisations?region_id={region}", Allow: everyone},
		Case{Name: "organisations api", Method: "GET", Path: "/api/v1/organisations?region_id={region}", Allow: everyone},
		Case{Name: "organisation page", Method: "GET", Path: "/organisations/{org}", Allow: everyone},
		Case{Name: "organisation api", Method: "GET", Path: "/api/v1/organisations/{hospital}", Allow: everyone},
		Case{Name: "new organisation page", Method: "GET", Path: "/organisations/new", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: "organisation edit page", Method: "GET", Path: "/organisations/{provider}/edit", Allow: inScope(domain.RoleRegional)},
		Case{Name: "create organisation form", Method: "POST", Path: "/organisations", Sides: both, Allow: inScope(domain.RoleRegional),
			Form: func(w *World, side string) url.Values {
				in := providerInput(w, side)
				return url.Values{"kind": {"provider"}, "code": {in["code"].(string)}, "name": {in["name"].(string)}, "region_id": {fmt.Sprint(in["region_id"])}}
			}},
		Case{Name: "edit organisation form", Method: "POST", Path: "/organisations/{provider}", Allow: inScope(domain.RoleRegional),
			Form: func(w *World, side string) url.Values {
				return url.Values{"kind": {"provider"}, "code": {"WORLD-P-" + side}, "name": {"Provider " + side}, "region_id": {fmt.Sprint(sideRegion(w, side))}}
			}},
		Case{Name: "create organisation api", Method: "POST", Path: "/api/v1/organisations", Sides: both, Allow: inScope(domain.RoleRegional),
			JSON: func(w *World, side string) any { return providerInput(w, side) }},
		Case{Name: "edit organisation api", Method: "PUT", Path: "/api/v1/organisations/{provider}", Allow: inScope(domain.RoleRegional),
			JSON: func(w *World, side string) any {
				return map[string]any{"kind": "provider", "code": "WORLD-P-" + side, "name": "Provider " + side, "region_id": sideRegion(w, side)}
			}},

		// Professionals: individual data.
		Case{Name: "professionals page", Method: "GET", Path: "/professionals", Allow: readers},
		Case{Name: "professionals page filtered", Method: "GET", Path: "/professionals?region_id={region}&q=mario", Sides: both, Allow: readers},
		Case{Name: "professionals of an organisation", Method: "GET", Path: "/professionals?organisation_id={org}", Sides: both, Allow: readers},
		Case{Name: "professionals api", Method: "GET", Path: "/api/v1/professionals?per_page=200", Allow: readers},
		Case{Name: "professionals api filtered", Method: "GET", Path: "/api/v1/professionals?region_id={region}", Sides: both, Allow: readers},
		Case{Name: "professionals api search", Method: "GET", Path: "/api/v1/professionals?q=RSSMRA", Allow: readers},
		Case{Name: "professional page", Method: "GET", Path: "/professionals/{professional}",
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "professional api", Method: "GET", Path: "/api/v1/professionals/{professional}",
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "GP page", Method: "GET", Path: "/professionals/{professional2}", Allow: onlyRegionalOnA},
		Case{Name: "GP api", Method: "GET", Path: "/api/v1/professionals/{professional2}", Allow: onlyRegionalOnA},
		Case{Name: "my record", Method: "GET", Path: "/professionals/me", Allow: roles(domain.RoleProfessional)},
		Case{Name: "new professional page", Method: "GET", Path: "/professionals/new", Allow: editors},
		Case{Name: "professional edit page", Method: "GET", Path: "/professionals/{professional}/edit", Allow: inScope(domain.RoleRegional, domain.RoleOrganisation)},
		Case{Name: "GP edit page", Method: "GET", Path: "/professionals/{professional2}/edit", Allow: onlyRegionalOnA},
		Case{Name: "create professional form", Method: "POST", Path: "/professionals", Sides: both, Allow: inScope(domain.RoleRegional, domain.RoleOrganisation),
			Form: professionalForm},
		Case{Name: "edit professional form", Method: "POST", Path: "/professionals/{professional}", Allow: inScope(domain.RoleRegional, domain.RoleOrganisation),
			Form: editForm},
		Case{Name: "create professional api", Method: "POST", Path: "/api/v1/professionals", Sides: both, Allow: inScope(domain.RoleRegional, domain.RoleOrganisation),
			JSON: func(w *World, side string) any { return professionalInput(w, side) }},
		Case{Name: "edit professional api", Method: "PUT", Path: "/api/v1/professionals/{professional}", Allow: inScope(domain.RoleRegional, domain.RoleOrganisation),
			JSON: editJSON},
		// Imports: rows out of the importer's scope are row errors (a 422 report, tested in
		// registry_e2e_test.go), so the matrix imports side-A rows only.
		Case{Name: "import page", Method: "GET", Path: "/professionals/import", Allow: editors},
		Case{Name: "import form", Method: "POST", Path: "/professionals/import", Allow: editors,
			Form: func(w *World, side string) url.Values { return url.Values{"csv": {importCSV(side)}} }},
		Case{Name: "import api", Method: "POST", Path: "/api/v1/professionals/import", Allow: editors,
			Raw: func(w *World, side string) (string, []byte) { return "text/csv", []byte(importCSV(side)) }},
	)
}
