package catalogue

import (
	"fmt"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

func TestEventLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		pa := f.providerA()
		v, err := f.s.CreateEvent(pa, f.input("EV-1"))
		if err != nil {
			t.Fatal(err)
		}
		if v.State != StateDraft || v.ProviderID != f.provA || v.Credits != 8 || v.ComputedCredits != 8 {
			t.Fatalf("created %+v", v.Event)
		}
		if len(v.Computation.Steps) < 2 || v.Disagrees {
			t.Fatalf("computation %+v", v.Computation)
		}
		if len(v.Lines) != 1 || v.Lines[0].Code != "L4.1.3" || v.Lines[0].Dimension == "" {
			t.Fatalf("lines %+v", v.Lines)
		}
		if !v.Can.Edit || !v.Can.Submit || v.Can.Review {
			t.Fatalf("provider permissions %+v", v.Can)
		}
		// Other provider: cannot see the draft, cannot edit it.
		if _, err := f.s.GetEvent(f.providerB(), v.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("provider B sees A's draft: %v", err)
		}
		if _, err := f.s.UpdateEvent(f.providerB(), v.ID, f.input("EV-1")); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("provider B edits A's draft: %v", err)
		}
		// Regional reviewer of region A does not see drafts either; submitting shows it.
		regA := as(domain.RoleRegional, 0, f.regA)
		if _, err := f.s.GetEvent(regA, v.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("regional sees draft: %v", err)
		}
		if v, err = f.s.Transition(pa, v.ID, ActSubmit, ""); err != nil || v.State != StateSubmitted {
			t.Fatalf("submit: %v %s", err, v.State)
		}
		// Reviewer of region B may not accredit; region A may.
		regB := as(domain.RoleRegional, 0, f.regB)
		if _, err := f.s.Transition(regB, v.ID, ActAccredit, ""); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("regional B accredits A's event: %v", err)
		}
		if _, err := f.s.Transition(pa, v.ID, ActAccredit, ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("provider accredits own event: %v", err)
		}
		if _, err := f.s.Transition(regA, v.ID, ActReject, "  "); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("reject without reason: %v", err)
		}
		if v, err = f.s.Transition(regA, v.ID, ActReject, "Obiettivo non coerente"); err != nil || v.State != StateRejected || v.RejectionReason != "Obiettivo non coerente" {
			t.Fatalf("reject: %v %+v", err, v.Event)
		}
		// The provider corrects the rejected event: back to draft, then submit again.
		in := f.input("EV-1")
		in.Title = "Telemonitoraggio del paziente cronico: corso avanzato"
		if v, err = f.s.UpdateEvent(pa, v.ID, in); err != nil || v.State != StateDraft {
			t.Fatalf("update rejected: %v %s", err, v.State)
		}
		if v, err = f.s.Transition(pa, v.ID, ActSubmit, ""); err != nil {
			t.Fatal(err)
		}
		if v, err = f.s.Transition(regA, v.ID, ActAccredit, ""); err != nil || v.State != StateAccredited {
			t.Fatalf("accredit: %v", err)
		}
		if len(v.Transitions) != 6 || v.Transitions[5].To != StateAccredited || v.Transitions[5].Actor != "t_regional" {
			t.Fatalf("transitions %+v", v.Transitions)
		}
		// Published: everybody sees it, nobody but national edits it.
		if _, err := f.s.GetEvent(as(domain.RoleProfessional, 0, 0), v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.UpdateEvent(pa, v.ID, in); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("provider edits accredited event: %v", err)
		}
		if _, err := f.s.UpdateEvent(f.providerB(), v.ID, in); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("provider B edits A's published event: %v", err)
		}
		// Start needs the event to have begun.
		if _, err := f.s.Transition(pa, v.ID, ActStart, ""); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("start before the dates: %v", err)
		}
		var audits int
		if err := f.d.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'event' AND entity_id = $1`, fmt.Sprint(v.ID)).Scan(&audits); err != nil || audits != 6 {
			t.Fatalf("audit entries %d %v", audits, err)
		}
	})
}

func TestEventBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		pa := f.providerA()
		cases := []struct {
			name  string
			mod   func(*EventInput)
			field string
			text  string
		}{
			{"credits above the rules on a submitted load", func(in *EventInput) { in.Credits = 20; in.State = StateSubmitted }, "credits", "superano"},
			{"credits above 50", func(in *EventInput) { in.Credits = 60 }, "credits", "tra 0 e 50"},
			{"hours that do not fit the dates", func(in *EventInput) { in.Hours = 30 }, "hours", "non stanno nelle date"},
			{"end before start", func(in *EventInput) { in.Editions[0].EndDate = "2027-03-01" }, "editions.0.end_date", "precede"},
			{"bad date", func(in *EventInput) { in.Editions[0].StartDate = "10/03/2027" }, "editions.0.start_date", "non valida"},
			{"unknown profession", func(in *EventInput) { in.Audience = []Audience{{ProfessionCode: 31}} }, "audience", "professione sconosciuto: 31"},
			{"discipline of another profession", func(in *EventInput) { in.Audience = []Audience{{ProfessionCode: 14, DisciplineCode: 58}} }, "audience", "non appartiene"},
			{"no audience", func(in *EventInput) { in.Audience = nil }, "audience", "destinatarie"},
			{"unknown objective", func(in *EventInput) { in.ObjectiveCode = 99 }, "objective", "sconosciuto: 99"},
			{"theme with a wrong objective", func(in *EventInput) { in.Theme = "vaccini" }, "theme", "ammette solo"},
			{"theme out of its period", func(in *EventInput) { in.Theme = "sanita_digitale" }, "theme", "vale per gli eventi"},
			{"unknown sub-type", func(in *EventInput) { in.SubType = 6 }, "subtype", "non valido"},
			{"too many participants for a workshop", func(in *EventInput) { in.SubType = 4; in.Participants = 150 }, "participants", "al massimo 100"},
			{"place missing", func(in *EventInput) { in.Editions[0].RegionID = 0 }, "editions.0.region_id", "obbligatoria"},
			{"unknown comune", func(in *EventInput) { in.Editions[0].ComuneISTAT = "999999" }, "editions.0.comune", "sconosciuto"},
			{"unknown line", func(in *EventInput) { in.Lines = []LineInput{{Code: "NOPE", Level: 1}} }, "lines.0", "sconosciuta"},
			{"level off the scale", func(in *EventInput) { in.Lines = []LineInput{{Code: "L4.1.3", Level: 7}} }, "lines.0", "livello 7"},
			{"blended with one module", func(in *EventInput) {
				in.Type = TypeBlended
				in.Modules = []Module{{Type: TypeRES, SubType: 1, Hours: 8}}
			}, "modules", "almeno due moduli"},
			{"bad code", func(in *EventInput) { in.Code = "with space" }, "code", "codice evento"},
		}
		for _, c := range cases {
			in := f.input("BAD-1")
			c.mod(&in)
			ctx := pa
			if in.State != "" {
				in.ProviderID = f.provA
				ctx = as(domain.RoleNational, 0, 0)
			}
			_, err := f.s.CreateEvent(ctx, in)
			e := domain.AsError(err)
			if e == nil || e.Code != domain.EINVALID {
				t.Errorf("%s: got %v, want EINVALID", c.name, err)
				continue
			}
			found := false
			for _, p := range e.Details {
				if p.Field == c.field && strings.Contains(p.Reason, c.text) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: problems %+v lack %s: %q", c.name, e.Details, c.field, c.text)
			}
		}
		var n int
		if err := f.d.Read.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("bad inputs left %d events", n)
		}
		// A draft may hold more credits than the rules allow; submitting refuses it.
		in := f.input("OVER-1")
		in.Credits = 20
		v, err := f.s.CreateEvent(pa, in)
		if err != nil || !v.Disagrees {
			t.Fatalf("draft over the rules: %v %v", err, v.Disagrees)
		}
		_, err = f.s.Transition(pa, v.ID, ActSubmit, "")
		if e := domain.AsError(err); e == nil || e.Field != "credits" {
			t.Fatalf("submit over the rules: %v", err)
		}
		if v, _ = f.s.GetEvent(pa, v.ID); v.State != StateDraft {
			t.Fatalf("state after refused submit: %s", v.State)
		}
		// Same code twice for one provider is a clear error.
		if _, err := f.s.CreateEvent(pa, f.input("OVER-1")); domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(domain.ErrorMessage(err), "già un evento") {
			t.Fatalf("duplicate code: %v", err)
		}
		// Providers cannot create for someone else; professionals cannot create at all.
		in = f.input("X-1")
		in.ProviderID = f.provB
		if _, err := f.s.CreateEvent(pa, in); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("create for another provider: %v", err)
		}
		if _, err := f.s.CreateEvent(as(domain.RoleProfessional, 0, 0), f.input("X-2")); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("professional creates: %v", err)
		}
	})
}

func TestThemeBonusAndBlended(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		nat := as(domain.RoleNational, 0, 0)
		in := f.input("TH-1")
		in.ProviderID = f.provA
		in.Theme = "sanita_digitale"
		in.Editions[0].StartDate, in.Editions[0].EndDate = "2024-05-10", "2024-05-10"
		in.State = StateClosed
		v, err := f.s.CreateEvent(nat, in)
		if err != nil {
			t.Fatal(err)
		}
		// 8 h × (1.0 + 0.3 thematic) = 10.4
		if v.ComputedCredits != 10.4 || v.Credits != 10.4 || v.ThemeCode != "sanita_digitale" || v.State != StateClosed {
			t.Fatalf("theme event %+v", v.Event)
		}
		b := f.input("BL-1")
		b.ProviderID = f.provA
		b.Type, b.Hours = TypeBlended, 0
		b.Modules = []Module{{Type: TypeRES, SubType: 1, Hours: 6}, {Type: TypeFAD, SubType: 11, FADMode: FADOnline, Hours: 4}}
		b.Editions[0].EndDate = "2027-03-20"
		v, err = f.s.CreateEvent(nat, b)
		if err != nil {
			t.Fatal(err)
		}
		if !v.ModuleRES || !v.ModuleFAD || v.ModuleFSC || v.Hours != 10 || v.ComputedCredits != 12 || len(v.Modules) != 2 {
			t.Fatalf("blended %+v", v.Event)
		}
	})
}

func TestReanalyseStale(t *testing.T) {
	f := setup(t, db.SQLite)
	v, err := f.s.CreateEvent(f.providerA(), f.input("RA-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Write.Exec(`UPDATE events SET search_title = 'vecchio', analyzer = 'it-0' WHERE id = $1`, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.s.ReanalyseStale(sys()); err != nil {
		t.Fatal(err)
	}
	var terms, an string
	if err := f.d.Read.QueryRow(`SELECT search_title, analyzer FROM events WHERE id = $1`, v.ID).Scan(&terms, &an); err != nil {
		t.Fatal(err)
	}
	if an != analyzerVersion || !strings.HasPrefix(terms, "telemonitoragg") {
		t.Fatalf("re-analysed %q %q", terms, an)
	}
}
