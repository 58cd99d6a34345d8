package catalogue

import (
	"context"
	"strconv"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// publish creates an accredited event as national governance.
func (f *fixture) publish(t *testing.T, in EventInput) EventView {
	t.Helper()
	if in.ProviderID == 0 {
		in.ProviderID = f.provA
	}
	if in.State == "" {
		in.State = StateAccredited
	}
	v, err := f.s.CreateEvent(as(domain.RoleNational, 0, 0), in)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func facet(r Result, name, key string) int {
	for _, f := range r.Facets {
		if f.Name == name {
			for _, v := range f.Values {
				if v.Key == key {
					return v.Count
				}
			}
		}
	}
	return -1
}

func TestSearchItalianWithFacets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		pro := as(domain.RoleProfessional, 0, 0)
		tele := f.publish(t, f.input("S-1")) // Telemonitoraggio dei pazienti cronici…, RES in Toscana, L4.1.3
		fse := f.input("S-2")
		fse.Title, fse.Description = "Il Fascicolo Sanitario Elettronico per l'infermiere", "Consultazione del FSE"
		fse.Type, fse.SubType, fse.FADMode, fse.Cost = TypeFAD, 11, FADOnline, 50
		fse.Editions = []Edition{{StartDate: "2027-01-10", EndDate: "2027-03-10"}}
		fse.Lines = []LineInput{{Code: "L3.1.1", Level: 1}}
		fse.Audience = []Audience{{ProfessionCode: 14}}
		fse.ProviderID = f.provB
		fseV := f.publish(t, fse)
		draft := f.input("S-3")
		draft.Title = "Telemonitoraggio riservato in bozza"
		draft.State = StateDraft
		f.publish(t, draft)

		// Plurals, elision and accents: "telemonitoraggi del paziente cronico".
		r, err := f.s.Search(pro, Query{Text: "telemonitoraggi del paziente cronico"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 1 || r.Hits[0].EventID != tele.ID || r.Hits[0].Region != "Toscana" {
			t.Fatalf("telemonitoring search: %+v", r)
		}
		// The acronym finds the full words, and the other way round.
		if r, _ = f.s.Search(pro, Query{Text: "FSE"}); r.Total != 1 || r.Hits[0].EventID != fseV.ID {
			t.Fatalf("FSE search: %+v", r.Hits)
		}
		if r, _ = f.s.Search(pro, Query{Text: "fascicoli sanitari"}); r.Total != 1 {
			t.Fatalf("plural search: %d", r.Total)
		}
		// Facets: counts ignore their own filter.
		r, _ = f.s.Search(pro, Query{Types: []string{TypeFAD}})
		if r.Total != 1 || facet(r, "type", TypeRES) != 1 || facet(r, "type", TypeFAD) != 1 || facet(r, "cost", "paid") != 1 {
			t.Fatalf("type facet: total %d %+v", r.Total, r.Facets)
		}
		r, _ = f.s.Search(pro, Query{})
		if facet(r, "month", "2027-03") != 1 || facet(r, "month", "2027-01") != 1 {
			t.Fatalf("dates facet: %+v", r.Facets)
		}
		r, _ = f.s.Search(pro, Query{Cost: "free"})
		if r.Total != 1 || r.Hits[0].EventID != tele.ID {
			t.Fatalf("free: %+v", r.Hits)
		}
		r, _ = f.s.Search(pro, Query{Delivery: "online"})
		if r.Total != 1 || r.Hits[0].EventID != fseV.ID {
			t.Fatalf("online: %+v", r.Hits)
		}
		r, _ = f.s.Search(pro, Query{Regions: []int64{f.regA}})
		if r.Total != 1 || facet(r, "region", fmtID(f.regA)) != 1 {
			t.Fatalf("region: %+v", r)
		}
		r, _ = f.s.Search(pro, Query{Lines: []int64{f.lines["L3.1.1"]}})
		if r.Total != 1 || r.Hits[0].EventID != fseV.ID {
			t.Fatalf("line: %+v", r.Hits)
		}
		r, _ = f.s.Search(pro, Query{Professions: []int{1}})
		if r.Total != 1 || r.Hits[0].EventID != tele.ID || facet(r, "profession", "14") != 2 {
			t.Fatalf("profession: %+v %+v", r.Hits, r.Facets)
		}
		r, _ = f.s.Search(pro, Query{From: "2027-03-11"})
		if r.Total != 0 {
			t.Fatalf("from filter: %d", r.Total)
		}
		r, _ = f.s.Search(pro, Query{Credits: []string{"5-10"}})
		if r.Total != 1 || r.Hits[0].EventID != tele.ID {
			t.Fatalf("credits bucket: %+v", r.Hits)
		}
		// Drafts never show to the public; a provider may search its own drafts only.
		if r, _ = f.s.Search(pro, Query{Text: "bozza"}); r.Total != 0 {
			t.Fatalf("draft leaked: %+v", r.Hits)
		}
		if _, err := f.s.Search(pro, Query{States: []string{StateDraft}}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("professional asks for drafts: %v", err)
		}
		if r, _ = f.s.Search(f.providerB(), Query{Text: "bozza", States: []string{StateDraft}}); r.Total != 0 {
			t.Fatalf("provider B sees A's draft: %+v", r.Hits)
		}
		if r, _ = f.s.Search(f.providerA(), Query{Text: "bozza", States: []string{StateDraft}}); r.Total != 1 {
			t.Fatalf("provider A's own draft: %d", r.Total)
		}
		// The index follows writes made afterwards, also by another Service on the same
		// database (another process).
		other := New(f.d, f.s.Log)
		in := f.input("S-4")
		in.Title = "Televisita in diabetologia"
		in.ProviderID, in.State = f.provA, StateAccredited
		if _, err := other.CreateEvent(as(domain.RoleNational, 0, 0), in); err != nil {
			t.Fatal(err)
		}
		if r, _ = f.s.Search(pro, Query{Text: "televisite"}); r.Total != 1 {
			t.Fatalf("index missed another writer: %d", r.Total)
		}
		// An update replaces the old terms.
		in.Title = "Teleconsulto in diabetologia"
		v, _ := f.s.Search(pro, Query{Text: "televisita"})
		if _, err := other.UpdateEvent(as(domain.RoleNational, 0, 0), v.Hits[0].EventID, in); err != nil {
			t.Fatal(err)
		}
		if r, _ = f.s.Search(pro, Query{Text: "televisita"}); r.Total != 0 {
			t.Fatalf("old terms still found: %d", r.Total)
		}
		if r, _ = f.s.Search(pro, Query{Text: "teleconsulto"}); r.Total != 1 {
			t.Fatalf("new terms not found: %d", r.Total)
		}
	})
}

func fmtID(id int64) string { return strconv.FormatInt(id, 10) }

type fixedObjectives []Objective

func (o fixedObjectives) OpenObjectives(context.Context, int64) ([]Objective, bool, error) {
	return o, true, nil
}

func TestRecommendFromObjectives(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		ctx := context.Background()
		var prof int64
		now := db.Now()
		if err := f.d.Write.QueryRowContext(ctx, `INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id,
			employment, care_setting, created_at, updated_at) VALUES ('RSSMRA85T10A562S','RSSMRA85T10A562S','Maria','Rossi','rossi maria',$1,'dipendente','territorio',$2,$2) RETURNING id`,
			f.regA, now).Scan(&prof); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Write.ExecContext(ctx, `INSERT INTO professional_disciplines (professional_id, profession_code, discipline_code) VALUES ($1, 14, 85)`, prof); err != nil {
			t.Fatal(err)
		}
		soon := time.Now().UTC().AddDate(0, 0, 20).Format(dateLayout)
		later := time.Now().UTC().AddDate(0, 4, 0).Format(dateLayout)
		mk := func(code, line string, start string, region int64, online bool, audience []Audience) int64 {
			in := f.input(code)
			in.Lines = []LineInput{{Code: line, Level: 2}}
			in.Audience = audience
			in.Editions = []Edition{{StartDate: start, EndDate: start, RegionID: region, Online: online}}
			if online {
				in.Type, in.SubType, in.FADMode = TypeFAD, 10, FADWebinar
				in.Editions[0].RegionID = 0
			}
			return f.publish(t, in).ID
		}
		nurse := []Audience{{ProfessionCode: 14}}
		near := mk("R-1", "L4.1.3", soon, f.regA, false, nurse)                   // fits: objective line, region, profession
		online := mk("R-2", "L4.1.3", later, 0, true, nurse)                      // fits: online
		mk("R-3", "L4.1.3", soon, f.regB, false, nurse)                           // other region
		mk("R-4", "L4.1.3", soon, f.regA, false, []Audience{{ProfessionCode: 1}}) // other profession
		mk("R-5", "L2.1.1", soon, f.regA, false, nurse)                           // not an objective line
		mk("R-6", "L4.1.3", "2024-01-10", f.regA, false, nurse)                   // past
		pctx := domain.WithActor(ctx, domain.Actor{Role: domain.RoleProfessional, Username: "maria", ProfessionalID: prof})
		// Without an objectives system the service says so.
		rec, err := f.s.Recommend(pctx, 0, nil, 10)
		if err != nil || rec.ObjectivesKnown || len(rec.Hits) != 0 {
			t.Fatalf("no objectives: %+v %v", rec, err)
		}
		f.s.Objectives = fixedObjectives{{LineID: f.lines["L4.1.3"], TargetLevel: 3, Priority: 1}}
		rec, err = f.s.Recommend(pctx, 0, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, h := range rec.Hits {
			got = append(got, h.EventID)
		}
		if !rec.ObjectivesKnown || len(got) != 2 || got[0] != near || got[1] != online || len(rec.Hits[0].Why) != 1 {
			t.Fatalf("recommendations %v (want %d, %d): %+v", got, near, online, rec.Hits)
		}
		// Another region's referent may not ask for this professional.
		if _, err := f.s.Recommend(as(domain.RoleRegional, 0, f.regB), prof, nil, 10); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("regional B: %v", err)
		}
		if _, err := f.s.Recommend(as(domain.RoleRegional, 0, f.regA), prof, nil, 10); err != nil {
			t.Fatalf("regional A: %v", err)
		}
	})
}
