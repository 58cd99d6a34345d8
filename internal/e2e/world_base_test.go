package e2e

import (
	"testing"
	"time"

	"esd/internal/cf"
	"esd/internal/registry"
)

// The base of the world, built through the registry's services on the real reference data:
// region A is Toscana (90) and B Veneto (50); each side has its real ASL (AZIENDA USL
// TOSCANA CENTRO 090201, AZIENDA ULSS N. 1 DOLOMITI 050501), a hospital of that ASL, an ECM
// provider and professionals. Ids: region.A/B, org.A/B (the ASL), hospital.A/B,
// provider.A/B, professional.A/B (a nurse of the ASL), professional2.A/B (a GP without an
// organisation).
//
// The hook is put first (whatever the order of the files' init functions): every other
// capability's world builds on it.
func init() {
	worldHooks = append([]func(t *testing.T, w *World){baseWorld}, worldHooks...)
}

func baseWorld(t *testing.T, w *World) {
	ctx := w.Env.Sys()
	s := w.Env.M.Registry
	w.RegionA, w.RegionB = 90, 50
	w.IDs["region.A"], w.IDs["region.B"] = w.RegionA, w.RegionB
	for side, codes := range map[string][2]string{"A": {"090201", "090904"}, "B": {"050501", "050501"}} {
		asl, err := s.OrganisationByCode(ctx, registry.KindASL, codes[0])
		if err != nil {
			t.Fatalf("world: ASL %s: %v", codes[0], err)
		}
		w.IDs["org."+side] = asl.ID
		kind := registry.KindAOU
		if side == "B" {
			kind = registry.KindPresidio
		}
		hosp, err := s.OrganisationByCode(ctx, kind, codes[1])
		if err != nil {
			t.Fatalf("world: hospital %s: %v", codes[1], err)
		}
		w.IDs["hospital."+side] = hosp.ID
		region := w.RegionA
		if side == "B" {
			region = w.RegionB
		}
		prov, err := s.CreateOrganisation(ctx, registry.OrganisationInput{Kind: registry.KindProvider, Code: "WORLD-P-" + side,
			Name: "Provider " + side, RegionID: region})
		if err != nil {
			t.Fatalf("world: provider %s: %v", side, err)
		}
		w.IDs["provider."+side] = prov.ID
	}
	prof := func(key, code, family, given string, region, org int64, pair registry.Pair, employment, setting string) {
		p, err := s.CreateProfessional(ctx, registry.ProfessionalInput{CF: code, FamilyName: family, GivenName: given,
			Email: given + "." + family + "@example.it", Professions: []registry.Pair{pair}, RegionID: region, OrganisationID: org,
			Employment: employment, CareSetting: setting, JobRole: "clinico"})
		if err != nil {
			t.Fatalf("world: professional %s: %v", key, err)
		}
		w.IDs[key] = p.ID
	}
	nurse := registry.Pair{Profession: 14, Discipline: 85}
	gp := registry.Pair{Profession: 1, Discipline: 58}
	prof("professional.A", "RSSMRA85T10A562S", "Rossi", "Mario", w.RegionA, w.IDs["org.A"], nurse, "dipendente", "ospedale")
	prof("professional.B", "RSSMRA79B11C566R", "Bortolazzi", "Mario", w.RegionB, w.IDs["org.B"], nurse, "dipendente", "ospedale")
	gpA := mustCF(t, "Niccolai", "Lorenzo", 1970, 3, 3, "M", "D612")
	gpB := mustCF(t, "Zanettin", "Gianna", 1972, 4, 4, "F", "L736")
	prof("professional2.A", gpA, "Niccolai", "Lorenzo", w.RegionA, 0, gp, "convenzionato", "territorio")
	prof("professional2.B", gpB, "Zanettin", "Gianna", w.RegionB, 0, gp, "convenzionato", "territorio")
	// Side B's individual data must never reach a user scoped to side A.
	w.Markers = append(w.Markers, "RSSMRA79B11C566R", "Bortolazzi", gpB, "Zanettin")
}

func mustCF(t *testing.T, family, given string, y, m, d int, sex, place string) string {
	t.Helper()
	c, err := cf.Encode(family, given, time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), sex, place)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
