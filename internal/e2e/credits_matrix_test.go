package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"esd/internal/credits"
	"esd/internal/domain"
)

// The credits' side of the permission matrix: professional.A and professional.B each have
// a ledger (a participation-like certified entry and a certified individual-training entry
// whose id is entry.A / entry.B, re-created before each delete so every role meets it).
// A professional sees and declares only their own; an organisation office its staff; a
// regional referent their region; providers see no ledger; compliance is aggregates for
// national, regional, organisation and analyst.
func init() {
	worldHooks = append(worldHooks, func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		s := w.Env.M.Credits
		for _, side := range []string{"A", "B"} {
			pid := w.IDs["professional."+side]
			out, err := s.AddEntry(ctx, credits.EntryInput{ProfessionalID: pid, Kind: credits.KindIndividual, Credits: 6, EarnedOn: "2026-03-02",
				Title: "Pubblicazione CRMARK" + side})
			if err != nil {
				t.Fatalf("credits world %s: %v", side, err)
			}
			w.IDs["entry."+side] = out[0].ID
		}
		if _, err := s.RecomputeAll(ctx, nil); err != nil {
			t.Fatalf("credits world recompute: %v", err)
		}
		w.Markers = append(w.Markers, "CRMARKB")
	})
	// restore puts the side's entry back (with its id) before a delete request.
	restore := func(w *World, side string) {
		ctx := w.Env.Sys()
		d := w.Env.M.DB
		var n int
		id := w.IDs["entry."+side]
		if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_entries WHERE id = $1`, id).Scan(&n); err != nil {
			panic(err)
		}
		if n > 0 {
			return
		}
		reg, org := w.RegionA, w.IDs["org.A"]
		if side == "B" {
			reg, org = w.RegionB, w.IDs["org.B"]
		}
		if _, err := d.Write.ExecContext(ctx, `INSERT INTO credit_entries (id, professional_id, region_id, organisation_id, triennium, kind, role, credits, status,
			earned_on, title, note, created_by, created_at) VALUES ($1, $2, $3, $4, 2026, 'individual', '', 6, 'certified', '2026-03-02', $5, '', 'matrix', CURRENT_TIMESTAMP)`,
			id, w.IDs["professional."+side], reg, org, "Pubblicazione CRMARK"+side); err != nil {
			panic(err)
		}
	}
	rawRestore := func(w *World, side string) (string, []byte) { restore(w, side); return "application/json", nil }
	formRestore := func(w *World, side string) url.Values { restore(w, side); return url.Values{} }
	individual := roles(domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)
	compliance := roles(domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst)
	// A professional's own page ignores the codice fiscale they give: they always get their own.
	ownOrInScope := func(r domain.Role, side string) bool {
		return r == domain.RoleProfessional || inScope(domain.RoleRegional, domain.RoleOrganisation)(r, side)
	}
	entryJSON := func(kind string) func(*World, string) any {
		return func(w *World, side string) any {
			return map[string]any{"kind": kind, "credits": 2, "earned_on": "2026-04-01", "title": fmt.Sprintf("Voce di matrice %d", nextSeq())}
		}
	}
	entryForm := func(w *World, side string) url.Values {
		return url.Values{"professional_id": {fmt.Sprint(w.IDs["professional."+side])}, "kind": {"individual"}, "credits": {"1,5"},
			"earned_on": {"2026-04-02"}, "title": {"Corso all'estero"}}
	}
	rulesJSON := func(*World, string) any {
		r := credits.DefaultRules()
		r.Version = fmt.Sprintf("matrix-%d", nextSeq())
		b, _ := json.Marshal(r)
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		return v
	}
	cases = append(cases,
		Case{Name: "own credits page (or lookup form)", Method: "GET", Path: "/credits", Allow: individual},
		Case{Name: "credits lookup A", Method: "GET", Path: "/credits?cf=RSSMRA85T10A562S", Allow: func(r domain.Role, _ string) bool { return ownOrInScope(r, "A") }},
		Case{Name: "credits lookup B", Method: "GET", Path: "/credits?cf=RSSMRA79B11C566R", Allow: func(r domain.Role, _ string) bool { return ownOrInScope(r, "B") }},
		Case{Name: "own credits api", Method: "GET", Path: "/api/v1/credits", Allow: roles(domain.RoleProfessional)},
		Case{Name: "credits api by cf A", Method: "GET", Path: "/api/v1/credits?cf=RSSMRA85T10A562S", Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "credits api by cf B", Method: "GET", Path: "/api/v1/credits?cf=RSSMRA79B11C566R", Allow: func(r domain.Role, _ string) bool { return r == domain.RoleNational }},
		Case{Name: "professional credits page", Method: "GET", Path: "/professionals/{professional}/credits?triennium=2026",
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "professional credits api", Method: "GET", Path: "/api/v1/professionals/{professional}/credits",
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "declare individual api", Method: "POST", Path: "/api/v1/professionals/{professional}/credits/entries", JSON: entryJSON("individual"),
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "add exemption api", Method: "POST", Path: "/api/v1/professionals/{professional}/credits/entries", JSON: entryJSON("exemption"),
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation)},
		Case{Name: "add entry form", Method: "POST", Path: "/credits/entries", Form: entryForm, Sides: []string{"A", "B"}, Allow: ownOrInScope},
		Case{Name: "delete entry api", Method: "DELETE", Path: "/api/v1/credits/entries/{entry}", Raw: rawRestore, Allow: inScope(domain.RoleRegional, domain.RoleOrganisation)},
		Case{Name: "delete entry form", Method: "POST", Path: "/credits/entries/{entry}/delete", Form: formRestore, Allow: inScope(domain.RoleRegional, domain.RoleOrganisation)},
		Case{Name: "compliance page", Method: "GET", Path: "/credits/compliance", Allow: compliance},
		Case{Name: "compliance page of a region", Method: "GET", Path: "/credits/compliance?region={region}",
			Allow: func(r domain.Role, side string) bool {
				return r == domain.RoleNational || r == domain.RoleAnalyst || side == "A" && (r == domain.RoleRegional || r == domain.RoleOrganisation)
			}},
		Case{Name: "compliance csv", Method: "GET", Path: "/credits/compliance.csv", Allow: compliance},
		Case{Name: "compliance api", Method: "GET", Path: "/api/v1/credits/compliance?triennium=2026", Allow: compliance},
		Case{Name: "compliance of an organisation api", Method: "GET", Path: "/api/v1/credits/compliance?organisation={org}",
			Allow: func(r domain.Role, side string) bool {
				return r == domain.RoleNational || r == domain.RoleAnalyst || side == "A" && (r == domain.RoleRegional || r == domain.RoleOrganisation)
			}},
		Case{Name: "compliance csv api", Method: "GET", Path: "/api/v1/credits/compliance.csv", Allow: compliance},
		Case{Name: "credit rules api", Method: "GET", Path: "/api/v1/credits/rules", Allow: everyone},
		Case{Name: "credit rule versions api", Method: "GET", Path: "/api/v1/credits/rules/versions", Allow: everyone},
		Case{Name: "role credits api", Method: "POST", Path: "/api/v1/credits/role-credits", JSON: func(*World, string) any {
			return map[string]any{"event_type": "FSC", "hours": 10, "event_credits": 15, "role": "T", "role_hours": 8}
		}, Allow: everyone},
		Case{Name: "publish credit rules api", Method: "POST", Path: "/api/v1/credits/rules", JSON: rulesJSON, Allow: roles(domain.RoleNational)},
	)
}
