package e2e

import (
	"bytes"
	"net/url"
	"testing"

	"esd/internal/domain"
	"esd/internal/participation"
	"esd/internal/rapporto"
)

// Participation's side of the permission matrix: on each side the published event's edition
// (provider A's, provider B's) with the side's nurse enrolled (part) and a second enrolment
// that the cancel case puts back before each request (cancelpart: the GP of the side).
func init() {
	lateWorldHooks = append(lateWorldHooks, func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		d := w.Env.M.DB
		for _, side := range []string{"A", "B"} {
			var ed int64
			if err := d.Read.QueryRowContext(ctx, `SELECT id FROM event_editions WHERE event_id = $1 ORDER BY number LIMIT 1`, w.IDs["event."+side]).Scan(&ed); err != nil {
				t.Fatalf("participation world: edition %s: %v", side, err)
			}
			w.IDs["edition."+side] = ed
			// The matrix event is for nurses only; open it to GPs too for the second enrolment.
			if _, err := d.Write.ExecContext(ctx, `INSERT INTO event_audience (event_id, profession_code, discipline_code) VALUES ($1, 1, 0) ON CONFLICT DO NOTHING`, w.IDs["event."+side]); err != nil {
				t.Fatal(err)
			}
			p, err := w.Env.M.Participation.Enrol(ctx, ed, w.IDs["professional."+side])
			if err != nil {
				t.Fatalf("participation world: enrol %s: %v", side, err)
			}
			w.IDs["part."+side] = p.ID
			p2, err := w.Env.M.Participation.Enrol(ctx, ed, w.IDs["professional2."+side])
			if err != nil {
				t.Fatalf("participation world: enrol GP %s: %v", side, err)
			}
			w.IDs["cancelpart."+side] = p2.ID
		}
	})

	ownProvider := func(r domain.Role, side string) bool {
		return r == domain.RoleNational || r == domain.RoleProvider && side == "A"
	}
	// Edition pages: public events, so everyone but analysts sees the edition; a provider only
	// its own; the participants shown are filtered by scope (the markers check it).
	editionViewers := func(r domain.Role, side string) bool {
		switch r {
		case domain.RoleAnalyst:
			return false
		case domain.RoleProvider:
			return side == "A"
		}
		return true
	}
	person := inScope(domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional)
	visible := inScope(domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional, domain.RoleProvider)
	resetCancel := func(w *World, side string) {
		if _, err := w.Env.M.DB.Write.Exec(`UPDATE participations SET state = 'enrolled', waitlist_seq = NULL WHERE id = $1`, w.IDs["cancelpart."+side]); err != nil {
			panic(err)
		}
	}
	report := func(w *World, side string) (string, []byte) {
		var code, provider, day string
		var credits float64
		if err := w.Env.M.DB.Read.QueryRow(`SELECT e.code, o.code, ed.start_date, e.credits FROM events e JOIN organisations o ON o.id = e.provider_id
			JOIN event_editions ed ON ed.event_id = e.id WHERE ed.id = $1`, w.IDs["edition."+side]).Scan(&code, &provider, &day, &credits); err != nil {
			panic(err)
		}
		var cf, given, family string
		if err := w.Env.M.DB.Read.QueryRow(`SELECT cf, given_name, family_name FROM professionals WHERE id = $1`, w.IDs["professional."+side]).Scan(&cf, &given, &family); err != nil {
			panic(err)
		}
		rep := rapporto.Report{Format: "xml", Event: &rapporto.Event{Code: code, Edition: 1, ProviderCode: provider, AccreditorCode: "090", Start: day, End: day,
			Credits: credits, Hours: 6, Type: 3, Audience: "E", Objective: 17, Participants: 30, Subtype: 1},
			Participants: []rapporto.Participant{{CF: cf, GivenName: given, FamilyName: family, Role: "P", Employment: "D", Credits: credits, AcquiredOn: day,
				Professions: []rapporto.Profession{{Code: 14, Disciplines: []int{85}}}}}}
		var b bytes.Buffer
		if err := rapporto.WriteXML(&b, rep); err != nil {
			panic(err)
		}
		return "application/xml", b.Bytes()
	}
	cfOf := func(w *World, side string) string {
		var cf string
		_ = w.Env.M.DB.Read.QueryRow(`SELECT cf FROM professionals WHERE id = $1`, w.IDs["professional."+side]).Scan(&cf)
		return cf
	}
	good := 0.9
	cases = append(cases,
		Case{Name: "my training page", Method: "GET", Path: "/training", Allow: roles(domain.RoleProfessional)},
		Case{Name: "my training api", Method: "GET", Path: "/api/v1/training", Allow: roles(domain.RoleProfessional)},
		Case{Name: "professional training page", Method: "GET", Path: "/professionals/{professional}/training", Allow: person},
		Case{Name: "professional training api", Method: "GET", Path: "/api/v1/professionals/{professional}/training", Allow: person},
		Case{Name: "edition page", Method: "GET", Path: "/editions/{edition}", Allow: editionViewers},
		Case{Name: "edition participants api", Method: "GET", Path: "/api/v1/editions/{edition}/participants", Allow: editionViewers},
		Case{Name: "enrol api", Method: "POST", Path: "/api/v1/editions/{edition}/enrolments", JSON: func(w *World, side string) any {
			return map[string]any{"professional_id": w.IDs["professional."+side]}
		}, Allow: person},
		Case{Name: "enrol form", Method: "POST", Path: "/editions/{edition}/enrol", Form: func(w *World, side string) url.Values {
			return url.Values{"cf": {cfOf(w, side)}}
		}, Allow: person},
		Case{Name: "participation api", Method: "GET", Path: "/api/v1/participations/{part}", Allow: visible},
		Case{Name: "cancel api", Method: "POST", Path: "/api/v1/participations/{cancelpart}/cancel", JSON: func(w *World, side string) any {
			resetCancel(w, side)
			return nil
		}, Allow: inScope(domain.RoleRegional, domain.RoleProvider)}, // the GP has no organisation and is not the matrix professional
		Case{Name: "outcome api", Method: "POST", Path: "/api/v1/participations/{part}/outcome", JSON: func(*World, string) any {
			return participation.OutcomeInput{TestScore: &good}
		}, Allow: ownProvider},
		Case{Name: "session api", Method: "POST", Path: "/api/v1/participations/{part}/sessions", JSON: func(w *World, side string) any {
			var day string
			_ = w.Env.M.DB.Read.QueryRow(`SELECT start_date FROM event_editions WHERE id = $1`, w.IDs["edition."+side]).Scan(&day)
			return participation.SessionInput{Date: day, Hours: 6}
		}, Allow: ownProvider},
		Case{Name: "outcome form", Method: "POST", Path: "/participations/{part}/outcome", Form: func(*World, string) url.Values {
			return url.Values{"test": {"90"}, "questionnaire": {"1"}}
		}, Allow: ownProvider},
		Case{Name: "complete api", Method: "POST", Path: "/api/v1/participations/{part}/complete", JSON: func(*World, string) any {
			return participation.CompleteInput{Role: "P"}
		}, Allow: ownProvider},
		Case{Name: "report import api", Method: "POST", Path: "/api/v1/reports?for={edition}", Raw: report, Allow: ownProvider},
		Case{Name: "post participations api", Method: "PUT", Path: "/api/v1/editions/{edition}/participations", JSON: func(w *World, side string) any {
			var day string
			var credits float64
			_ = w.Env.M.DB.Read.QueryRow(`SELECT ed.start_date, e.credits FROM event_editions ed JOIN events e ON e.id = ed.event_id WHERE ed.id = $1`, w.IDs["edition."+side]).Scan(&day, &credits)
			return []participation.PostInput{{CF: cfOf(w, side), Role: "P", Credits: credits, CompletedOn: day, Professions: "14.85"}}
		}, Allow: ownProvider},
		Case{Name: "report export api", Method: "GET", Path: "/api/v1/editions/{edition}/report", Allow: ownProvider},
		Case{Name: "report export download", Method: "GET", Path: "/editions/{edition}/rapporto.xml", Allow: ownProvider},
		Case{Name: "report import page", Method: "GET", Path: "/reports/import", Allow: roles(domain.RoleNational, domain.RoleProvider)},
	)
}
