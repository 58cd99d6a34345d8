package e2e

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"esd/internal/catalogue"
	"esd/internal/catalogue/cattest"
	"esd/internal/domain"
)

// The catalogue's side of the permission matrix: for provider.A and provider.B a published
// event, a draft, a submitted event and a past accredited event (to start and close).
// Provider A must not see or edit provider B's drafts; regional reviewers act only on
// providers of their region. State-changing cases put the event back in the state they
// need before each request, so every role meets the same situation.
func init() {
	worldHooks = append(worldHooks, func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		d := w.Env.M.DB
		if err := cattest.EnsureReference(ctx, d); err != nil {
			t.Fatal(err)
		}
		fw, err := cattest.EnsurePortfolio(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := cattest.LineIDs(ctx, d, fw)
		if err != nil || len(lines) == 0 {
			t.Fatalf("no portfolio lines: %v", err)
		}
		var line int64
		for _, id := range lines {
			line = id
			break
		}
		w.IDs["line.A"], w.IDs["line.B"] = line, line
		svc := w.Env.M.Catalogue
		future := time.Now().UTC().AddDate(0, 2, 0).Format("2006-01-02")
		mk := func(side, code, title, state, start, end string) int64 {
			reg, prov := w.RegionA, w.IDs["provider.A"]
			if side == "B" {
				reg, prov = w.RegionB, w.IDs["provider.B"]
			}
			v, err := svc.CreateEvent(ctx, catalogue.EventInput{ProviderID: prov, Code: code, Title: title,
				Description: "Evento della matrice dei permessi", Type: catalogue.TypeRES, SubType: 1, Hours: 6, Participants: 30,
				ObjectiveCode: 17, Audience: []catalogue.Audience{{ProfessionCode: 14}}, State: state,
				Editions: []catalogue.Edition{{StartDate: start, EndDate: end, RegionID: reg}},
				Lines:    []catalogue.LineInput{{LineID: line, Level: 2}}})
			if err != nil {
				t.Fatalf("catalogue world %s: %v", code, err)
			}
			return v.ID
		}
		for _, side := range []string{"A", "B"} {
			w.IDs["event."+side] = mk(side, "MX-PUB-"+side, "Telemedicina pubblicata lato "+side, catalogue.StateAccredited, future, future)
			w.IDs["draft."+side] = mk(side, "MX-DRAFT-"+side, "Bozza riservata "+side+" ZQX"+side, catalogue.StateDraft, future, future)
			w.IDs["submitted."+side] = mk(side, "MX-SUB-"+side, "In revisione "+side+" KWY"+side, catalogue.StateSubmitted, future, future)
			w.IDs["past."+side] = mk(side, "MX-PAST-"+side, "Evento concluso lato "+side, catalogue.StateAccredited, "2024-03-01", "2024-03-01")
		}
		w.Markers = append(w.Markers, "ZQXB", "KWYB")
	})

	// reset puts an event back in a state before a request (through SQL: it is test set-up,
	// not a transition), bumping the change counter so the search index sees it.
	reset := func(w *World, key, side, state string) {
		d := w.Env.M.DB
		ctx := w.Env.Sys()
		if _, err := d.Write.ExecContext(ctx, `UPDATE catalogue_version SET seq = seq + 1 WHERE id = 1`); err != nil {
			panic(err)
		}
		if _, err := d.Write.ExecContext(ctx, `UPDATE events SET state = $1, change_seq = (SELECT seq FROM catalogue_version WHERE id = 1) WHERE id = $2`,
			state, w.IDs[key+"."+side]); err != nil {
			panic(err)
		}
	}
	resetJSON := func(key, state string, body any) func(*World, string) any {
		return func(w *World, side string) any { reset(w, key, side, state); return body }
	}
	resetForm := func(key, state string, v url.Values) func(*World, string) url.Values {
		return func(w *World, side string) url.Values { reset(w, key, side, state); return v }
	}
	// draftRules: the provider on its own side and national governance.
	ownProvider := func(r domain.Role, side string) bool {
		return r == domain.RoleNational || r == domain.RoleProvider && side == "A"
	}
	onlyOwnProvider := func(r domain.Role, side string) bool { return r == domain.RoleProvider && side == "A" }
	notProfessional := roles(domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider, domain.RoleAnalyst)
	recommendations := func(r domain.Role, side string) bool {
		switch r {
		case domain.RoleNational, domain.RoleProfessional: // a professional always gets their own
			return true
		case domain.RoleRegional, domain.RoleOrganisation:
			return side == "A"
		}
		return false
	}
	eventJSON := func(code string) func(*World, string) any {
		return func(w *World, side string) any {
			return map[string]any{"provider_id": w.IDs["provider.A"], "code": fmt.Sprintf("%s-%d", code, nextSeq()), "title": "Televisita in cardiologia",
				"type": "RES", "subtype": 1, "hours": 4, "participants": 20, "objective": 17, "audience": []map[string]int{{"profession": 14}},
				"editions": []map[string]any{{"start_date": "2027-05-10", "end_date": "2027-05-10", "region_id": w.RegionA}}}
		}
	}
	draftJSON := func(w *World, side string) any {
		reg := w.RegionA
		if side == "B" {
			reg = w.RegionB
		}
		return map[string]any{"code": "MX-DRAFT-" + side, "title": "Bozza riservata " + side + " ZQX" + side, "type": "RES", "subtype": 1, "hours": 6,
			"participants": 30, "objective": 17, "audience": []map[string]int{{"profession": 14}},
			"editions": []map[string]any{{"start_date": "2027-05-10", "end_date": "2027-05-10", "region_id": reg}}}
	}
	importJSON := func(w *World, side string) any {
		return []map[string]any{{"provider_code": "WORLD-P-A", "code": "MX-IMP-1", "title": "Fascicolo sanitario elettronico", "type": "FAD", "subtype": 10,
			"hours": 4, "participants": 100, "objective": 17, "audience_all": true, "editions": []map[string]any{{"start_date": "2027-05-10", "end_date": "2027-06-10"}}}}
	}
	linesJSON := func(w *World, side string) any {
		reset(w, "submitted", side, catalogue.StateSubmitted)
		return []map[string]any{{"line_id": w.IDs["line."+side], "level": 3}}
	}
	previewForm := url.Values{"action": {"preview"}, "title": {"Telemonitoraggio"}, "type": {"RES"}, "subtype": {"1"}, "hours": {"4"}, "participants": {"20"}}

	cases = append(cases,
		Case{Name: "catalogue search page", Method: "GET", Path: "/catalogue?q=telemedicina&period=all", Allow: everyone},
		Case{Name: "catalogue search api", Method: "GET", Path: "/api/v1/events?q=telemedicina&period=all", Allow: everyone},
		Case{Name: "catalogue draft search api", Method: "GET", Path: "/api/v1/events?q=bozza&state=draft&period=all", Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "published event page", Method: "GET", Path: "/events/{event}", Allow: everyone},
		Case{Name: "published event api", Method: "GET", Path: "/api/v1/events/{event}", Allow: everyone},
		Case{Name: "draft event page", Method: "GET", Path: "/events/{draft}", Allow: ownProvider},
		Case{Name: "draft event api", Method: "GET", Path: "/api/v1/events/{draft}", Allow: ownProvider},
		Case{Name: "submitted event page", Method: "GET", Path: "/events/{submitted}", Allow: inScope(domain.RoleProvider, domain.RoleRegional)},
		Case{Name: "edit page", Method: "GET", Path: "/events/{draft}/edit", Allow: ownProvider},
		Case{Name: "edit preview", Method: "POST", Path: "/events/{draft}/edit", Form: func(*World, string) url.Values { return previewForm }, Allow: ownProvider},
		Case{Name: "update api", Method: "PUT", Path: "/api/v1/events/{draft}", JSON: draftJSON, Allow: ownProvider},
		Case{Name: "new event page", Method: "GET", Path: "/events/new", Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "new event preview", Method: "POST", Path: "/events/new", Form: func(*World, string) url.Values { return previewForm },
			Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "create api", Method: "POST", Path: "/api/v1/events", JSON: eventJSON("MX-NEW"), Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "submit api", Method: "POST", Path: "/api/v1/events/{draft}/submit", JSON: resetJSON("draft", catalogue.StateDraft, nil), Allow: onlyOwnProvider},
		Case{Name: "accredit api", Method: "POST", Path: "/api/v1/events/{submitted}/accredit", JSON: resetJSON("submitted", catalogue.StateSubmitted, nil),
			Allow: inScope(domain.RoleRegional)},
		Case{Name: "reject api", Method: "POST", Path: "/api/v1/events/{submitted}/reject", JSON: resetJSON("submitted", catalogue.StateSubmitted,
			map[string]string{"reason": "incompleto"}), Allow: inScope(domain.RoleRegional)},
		Case{Name: "accredit form", Method: "POST", Path: "/events/{submitted}/state", Form: resetForm("submitted", catalogue.StateSubmitted,
			url.Values{"action": {"accredit"}}), Allow: inScope(domain.RoleRegional)},
		Case{Name: "start api", Method: "POST", Path: "/api/v1/events/{past}/start", JSON: resetJSON("past", catalogue.StateAccredited, nil), Allow: ownProvider},
		Case{Name: "close api", Method: "POST", Path: "/api/v1/events/{past}/close", JSON: resetJSON("past", catalogue.StateAccredited, nil), Allow: ownProvider},
		Case{Name: "correct lines api", Method: "PUT", Path: "/api/v1/events/{submitted}/lines", JSON: linesJSON, Allow: inScope(domain.RoleRegional)},
		Case{Name: "accept lines api", Method: "POST", Path: "/api/v1/events/{submitted}/lines/accept", JSON: resetJSON("submitted", catalogue.StateSubmitted, nil),
			Allow: inScope(domain.RoleRegional)},
		Case{Name: "accept lines form", Method: "POST", Path: "/events/{submitted}/lines", Form: resetForm("submitted", catalogue.StateSubmitted,
			url.Values{"accept": {"1"}}), Allow: inScope(domain.RoleRegional)},
		Case{Name: "my events page", Method: "GET", Path: "/provider/events", Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "my events api", Method: "GET", Path: "/api/v1/catalogue/my-events", Allow: roles(domain.RoleNational, domain.RoleRegional, domain.RoleProvider)},
		Case{Name: "review queue page", Method: "GET", Path: "/review/events", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: "review queue api", Method: "GET", Path: "/api/v1/catalogue/review-queue", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: "fits my objectives page", Method: "GET", Path: "/catalogue/for-me", Allow: roles(domain.RoleProfessional)},
		Case{Name: "recommendations api", Method: "GET", Path: "/api/v1/catalogue/recommendations?professional_id={professional}", Allow: recommendations},
		Case{Name: "analysis page", Method: "GET", Path: "/catalogue/analysis?from=2023-01-01", Allow: notProfessional},
		Case{Name: "analysis api", Method: "GET", Path: "/api/v1/catalogue/analysis", Allow: notProfessional},
		Case{Name: "analysis csv", Method: "GET", Path: "/catalogue/analysis.csv", Allow: notProfessional},
		Case{Name: "analysis xlsx", Method: "GET", Path: "/catalogue/analysis.xlsx", Allow: notProfessional},
		Case{Name: "import page", Method: "GET", Path: "/catalogue/import", Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "import form without file", Method: "POST", Path: "/catalogue/import", Form: func(*World, string) url.Values { return url.Values{} },
			Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "import api", Method: "POST", Path: "/api/v1/events/import", JSON: importJSON, Allow: roles(domain.RoleNational, domain.RoleProvider)},
		Case{Name: "export csv", Method: "GET", Path: "/catalogue/export.csv", Allow: everyone},
		Case{Name: "export json", Method: "GET", Path: "/catalogue/export.json", Allow: everyone},
		Case{Name: "export api", Method: "GET", Path: "/api/v1/events/export", Allow: everyone},
		Case{Name: "credit calculator api", Method: "POST", Path: "/api/v1/catalogue/credits", JSON: func(*World, string) any {
			return map[string]any{"type": "RES", "subtype": 1, "hours": 8, "participants": 20}
		}, Allow: everyone},
		Case{Name: "rules api", Method: "GET", Path: "/api/v1/catalogue/rules", Allow: everyone},
		Case{Name: "themes api", Method: "GET", Path: "/api/v1/catalogue/themes", Allow: everyone},
		Case{Name: "suggest lines api", Method: "POST", Path: "/api/v1/catalogue/suggest-lines", JSON: func(*World, string) any {
			return map[string]string{"title": "telemonitoraggio dei pazienti cronici"}
		}, Allow: roles(domain.RoleNational, domain.RoleRegional, domain.RoleProvider)},
	)
}
