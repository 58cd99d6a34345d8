package registry

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

const (
	toscana = 90
	veneto  = 50
)

// fixture is a registry with two sides: Toscana (ASL Toscana Centro, a provider) and Veneto
// (ULSS 1 Dolomiti), and an actor of each role scoped to the Toscana side.
type fixture struct {
	s                    *Service
	aslA, aslB, provA    Organisation
	hospA                Organisation
	national, regional   context.Context
	organisation, profCt context.Context
	provider, analyst    context.Context
	regionalB            context.Context
}

func as(a domain.Actor) context.Context {
	return WithLanguage(domain.WithRequestID(domain.WithActor(context.Background(), a), "req-"+a.Username), "en")
}

func newFixture(t *testing.T, d db.Dialect) *fixture {
	t.Helper()
	s := newService(t, d)
	f := &fixture{s: s}
	var err error
	if f.aslA, err = s.OrganisationByCode(sys(), KindASL, "090201"); err != nil {
		t.Fatal(err)
	}
	if f.aslB, err = s.OrganisationByCode(sys(), KindASL, "050501"); err != nil {
		t.Fatal(err)
	}
	if f.hospA, err = s.OrganisationByCode(sys(), KindAOU, "090904"); err != nil {
		t.Fatal(err)
	}
	if f.provA, err = s.CreateOrganisation(sys(), OrganisationInput{Kind: KindProvider, Code: "P-90", Name: "Formazione Toscana", RegionID: toscana}); err != nil {
		t.Fatal(err)
	}
	f.national = as(domain.Actor{UserID: 1, Username: "naz", Role: domain.RoleNational})
	f.regional = as(domain.Actor{UserID: 2, Username: "reg", Role: domain.RoleRegional, RegionID: toscana})
	f.regionalB = as(domain.Actor{UserID: 3, Username: "regB", Role: domain.RoleRegional, RegionID: veneto})
	f.organisation = as(domain.Actor{UserID: 4, Username: "org", Role: domain.RoleOrganisation, OrganisationID: f.aslA.ID, RegionID: toscana})
	f.provider = as(domain.Actor{UserID: 5, Username: "prov", Role: domain.RoleProvider, OrganisationID: f.provA.ID, RegionID: toscana})
	f.analyst = as(domain.Actor{UserID: 6, Username: "ana", Role: domain.RoleAnalyst})
	return f
}

func code(t *testing.T, family, given string, y, m, d int, sex, place string) string {
	t.Helper()
	c, err := cf.Encode(family, given, time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), sex, place)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func nurse(cf, family, given string, region, org int64) ProfessionalInput {
	return ProfessionalInput{CF: cf, FamilyName: family, GivenName: given, Email: strings.ToLower(given) + "@example.it",
		Professions: []Pair{{Profession: 14}}, RegionID: region, OrganisationID: org, Employment: "dipendente", CareSetting: "ospedale", JobRole: "clinico"}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if domain.ErrorCode(err) != code {
		t.Fatalf("got %v (%s), want %s", err, domain.ErrorCode(err), code)
	}
}

func TestProfessionalScopes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		a, err := s.CreateProfessional(f.regional, nurse("RSSMRA85T10A562S", "Rossi", "Mario", toscana, f.aslA.ID))
		if err != nil {
			t.Fatal(err)
		}
		if a.BirthDate != "1985-12-10" || a.Sex != "M" || a.BirthplaceName != "San Giuliano Terme" || a.RegionName != "Toscana" ||
			a.OrganisationName != "AZIENDA USL TOSCANA CENTRO" || len(a.Professions) != 1 || a.Professions[0].Discipline != 85 ||
			a.Professions[0].ProfessionName != "Infermiere" {
			t.Fatalf("created %+v", a)
		}
		b, err := s.CreateProfessional(f.national, nurse("RSSMRA79B11C566R", "Bortolazzi", "Mario", veneto, f.aslB.ID))
		if err != nil {
			t.Fatal(err)
		}
		// Writes outside one's scope are refused.
		_, err = s.CreateProfessional(f.regional, nurse(code(t, "Verdi", "Anna", 1990, 1, 1, "F", "L736"), "Verdi", "Anna", veneto, 0))
		wantCode(t, err, domain.EFORBIDDEN)
		_, err = s.CreateProfessional(f.organisation, nurse(code(t, "Verdi", "Anna", 1990, 1, 1, "F", "D612"), "Verdi", "Anna", toscana, f.hospA.ID))
		wantCode(t, err, domain.EFORBIDDEN)
		for _, ctx := range []context.Context{f.provider, f.analyst, as(domain.Actor{Role: domain.RoleProfessional, ProfessionalID: a.ID, Username: "p"})} {
			_, err = s.CreateProfessional(ctx, nurse(code(t, "Verdi", "Anna", 1990, 1, 1, "F", "D612"), "Verdi", "Anna", toscana, 0))
			wantCode(t, err, domain.EFORBIDDEN)
		}
		// An organisation's training office registers its own staff by default.
		c, err := s.CreateProfessional(f.organisation, nurse(code(t, "Verdi", "Anna", 1990, 1, 1, "F", "D612"), "Verdi", "Anna", 0, 0))
		if err != nil || c.OrganisationID != f.aslA.ID || c.RegionID != toscana || c.Sex != "F" {
			t.Fatalf("organisation create: %+v %v", c, err)
		}
		self := as(domain.Actor{Role: domain.RoleProfessional, ProfessionalID: a.ID, Username: "mario"})
		// Reads.
		for name, tc := range map[string]struct {
			ctx  context.Context
			id   int64
			want string
		}{
			"national B":       {f.national, b.ID, ""},
			"regional A":       {f.regional, a.ID, ""},
			"regional B":       {f.regional, b.ID, domain.ENOTFOUND},
			"regionalB B":      {f.regionalB, b.ID, ""},
			"organisation A":   {f.organisation, a.ID, ""},
			"organisation B":   {f.organisation, b.ID, domain.ENOTFOUND},
			"self":             {self, a.ID, ""},
			"self other":       {self, c.ID, domain.ENOTFOUND},
			"provider":         {f.provider, a.ID, domain.EFORBIDDEN},
			"analyst":          {f.analyst, a.ID, domain.EFORBIDDEN},
			"anonymous":        {context.Background(), a.ID, domain.EUNAUTHORIZED},
			"national missing": {f.national, 999999, domain.ENOTFOUND},
		} {
			_, err := s.Professional(tc.ctx, tc.id)
			if domain.ErrorCode(err) != tc.want {
				t.Errorf("%s: %v, want %q", name, err, tc.want)
			}
		}
		lists := map[string]struct {
			ctx  context.Context
			want int
		}{"national": {f.national, 3}, "regional": {f.regional, 2}, "regionalB": {f.regionalB, 1}, "organisation": {f.organisation, 2}, "self": {self, 1}}
		for name, tc := range lists {
			pg, err := s.ListProfessionals(tc.ctx, ProfessionalFilter{})
			if err != nil || len(pg.Items) != tc.want {
				t.Errorf("list %s: %d %v", name, len(pg.Items), err)
			}
			for _, p := range pg.Items {
				if name != "national" && name != "regionalB" && p.ID == b.ID {
					t.Errorf("list %s shows side B", name)
				}
			}
		}
		_, err = s.ListProfessionals(f.analyst, ProfessionalFilter{})
		wantCode(t, err, domain.EFORBIDDEN)
		// Updates: in scope, not out of it, and never out of one's scope.
		in := nurse(a.CF, "Rossi", "Mario", toscana, f.hospA.ID)
		in.Professions = []Pair{{Profession: 14}, {Profession: 1, Discipline: 58}}
		up, err := s.UpdateProfessional(f.regional, a.ID, in)
		if err != nil || up.OrganisationID != f.hospA.ID || len(up.Professions) != 2 {
			t.Fatalf("update: %+v %v", up, err)
		}
		_, err = s.UpdateProfessional(f.regional, b.ID, nurse(b.CF, "X", "Y", veneto, 0))
		wantCode(t, err, domain.ENOTFOUND)
		_, err = s.UpdateProfessional(f.regional, a.ID, nurse(a.CF, "Rossi", "Mario", veneto, 0))
		wantCode(t, err, domain.EFORBIDDEN)
		_, err = s.UpdateProfessional(f.organisation, a.ID, in) // moved to the hospital: no longer the ASL's
		wantCode(t, err, domain.ENOTFOUND)
		_, err = s.UpdateProfessional(self, a.ID, in)
		wantCode(t, err, domain.EFORBIDDEN)
		// The audit trail has the change, with before and after and the region.
		var before, after string
		var region int64
		if err := s.DB.Read.QueryRow(`SELECT before_json, after_json, region_id FROM audit_log WHERE entity = 'professional' AND action = 'update' AND entity_id = $1`,
			itoa(a.ID)).Scan(&before, &after, &region); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, `"professions":"14.85"`) || !strings.Contains(after, `"professions":"1.58 14.85"`) || region != toscana {
			t.Errorf("audit: %s → %s (%d)", before, after, region)
		}
		// Saving the same values again writes nothing.
		n := count(t, s, `SELECT COUNT(*) FROM audit_log`)
		if _, err := s.UpdateProfessional(f.national, a.ID, in); err != nil {
			t.Fatal(err)
		}
		if count(t, s, `SELECT COUNT(*) FROM audit_log`) != n {
			t.Error("a no-op update was audited")
		}
		// The natural key is the normalised codice fiscale: an omocodic spelling is the same person.
		om, _ := cf.Omocode(a.CF, 2)
		got, err := s.ProfessionalByCF(f.national, om)
		if err != nil || got.ID != a.ID {
			t.Fatalf("by omocodic cf: %v %v", got.ID, err)
		}
		_, err = s.CreateProfessional(f.national, nurse(om, "Rossi", "Mario", toscana, 0))
		wantCode(t, err, domain.ECONFLICT)
		if e := domain.AsError(err); e.Field != "codice_fiscale" {
			t.Errorf("conflict field %q", e.Field)
		}
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestProfessionalValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		ok := nurse(code(t, "D'Angelo-Müller", "Nicolò", 1975, 7, 1, "M", "G702"), "D'Angelo-Müller", "Nicolò", toscana, f.aslA.ID)
		p, err := s.CreateProfessional(f.national, ok)
		if err != nil || p.FamilyName != "D'Angelo-Müller" || p.GivenName != "Nicolò" {
			t.Fatalf("accents: %+v %v", p, err)
		}
		for name, tc := range map[string]struct {
			edit  func(*ProfessionalInput)
			field string
			in    string
		}{
			"check character":     {func(i *ProfessionalInput) { i.CF = "RSSMRA85T10A562T" }, "codice_fiscale", "check character"},
			"unknown comune":      {func(i *ProfessionalInput) { i.CF = "ABCDEF12B23P432P" }, "codice_fiscale", "unknown birthplace"},
			"short cf":            {func(i *ProfessionalInput) { i.CF = "RSSMRA85" }, "codice_fiscale", "16 characters"},
			"formula family":      {func(i *ProfessionalInput) { i.FamilyName = "=HYPERLINK(\"x\")" }, "family_name", "formula"},
			"formula given":       {func(i *ProfessionalInput) { i.GivenName = "@SUM(A1)" }, "given_name", "formula"},
			"digits in name":      {func(i *ProfessionalInput) { i.GivenName = "Mario2" }, "given_name", "only letters"},
			"empty name":          {func(i *ProfessionalInput) { i.FamilyName = "  " }, "family_name", "required"},
			"bad email":           {func(i *ProfessionalInput) { i.Email = "not-an-email" }, "email", "e-mail"},
			"no pairs":            {func(i *ProfessionalInput) { i.Professions = nil }, "professions", "at least one"},
			"unknown profession":  {func(i *ProfessionalInput) { i.Professions = []Pair{{Profession: 99, Discipline: 1}} }, "professions", "unknown profession"},
			"foreign discipline":  {func(i *ProfessionalInput) { i.Professions = []Pair{{Profession: 14, Discipline: 58}} }, "professions", "not a discipline of profession 14"},
			"physician no disc":   {func(i *ProfessionalInput) { i.Professions = []Pair{{Profession: 1}} }, "professions", "needs a discipline"},
			"org in other region": {func(i *ProfessionalInput) { i.OrganisationID = f.aslB.ID }, "organisation_id", "is in Veneto"},
			"provider as org":     {func(i *ProfessionalInput) { i.OrganisationID = f.provA.ID }, "organisation_id", "ECM provider"},
			"unknown org":         {func(i *ProfessionalInput) { i.OrganisationID = 987654 }, "organisation_id", "unknown organisation"},
			"no region":           {func(i *ProfessionalInput) { i.RegionID, i.OrganisationID = 0, 0 }, "region_id", "required"},
			"unknown region":      {func(i *ProfessionalInput) { i.RegionID, i.OrganisationID = 91, 0 }, "region_id", "unknown region"},
			"employment":          {func(i *ProfessionalInput) { i.Employment = "stagista" }, "employment", "unknown value"},
			"setting":             {func(i *ProfessionalInput) { i.CareSetting = "" }, "care_setting", "required"},
			"role":                {func(i *ProfessionalInput) { i.JobRole = "capo" }, "job_role", "unknown value"},
		} {
			in := nurse(code(t, "Bianchi", "Laura", 1980, 5, 5, "F", "D612"), "Bianchi", "Laura", toscana, f.aslA.ID)
			tc.edit(&in)
			_, err := s.CreateProfessional(f.national, in)
			e := domain.AsError(err)
			if e == nil || e.Code != domain.EINVALID {
				t.Errorf("%s: got %v", name, err)
				continue
			}
			found := false
			for _, p := range e.Details {
				if p.Field == tc.field && strings.Contains(p.Reason, tc.in) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: problems %+v, want %s: …%s…", name, e.Details, tc.field, tc.in)
			}
		}
		// Several problems at once are all reported.
		in := nurse("XX", "1", "=2", 0, 0)
		in.Employment = "?"
		_, err = s.CreateProfessional(f.national, in)
		if e := domain.AsError(err); e == nil || len(e.Details) < 5 {
			t.Fatalf("want every problem, got %v", err)
		}
		// Aliases of the coded fields and temporary codes are accepted.
		tmp, _ := cf.Temporary("1234567890")
		in = nurse(tmp, "Conti", "Luca", toscana, 0)
		in.Employment, in.CareSetting, in.JobRole = "Libero professionista", "cure primarie", "Tutor"
		p, err = s.CreateProfessional(f.national, in)
		if err != nil || p.Employment != "libero_professionista" || p.CareSetting != "territorio" || p.JobRole != "formatore" || p.BirthDate != "" {
			t.Fatalf("aliases/temporary: %+v %v", p, err)
		}
	})
}

func TestProfessionalSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		mk := func(family, given string, prof Pair, org int64) Professional {
			in := nurse(code(t, family, given, 1970, 3, 3, "M", "D612"), family, given, toscana, org)
			in.Professions = []Pair{prof}
			p, err := s.CreateProfessional(f.national, in)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		n := mk("Niccolò", "Lucà", Pair{Profession: 14}, f.aslA.ID)
		g := mk("Bianchi", "Ettore", Pair{Profession: 1, Discipline: 58}, 0)
		mk("Bianco", "Aldo", Pair{Profession: 3, Discipline: 66}, f.hospA.ID)
		for q, want := range map[string]int{"niccolo": 1, "NICCOLÒ": 1, "luca niccolo": 1, "bianc": 2, "bianchi ettore": 1, "zzz": 0, n.CF[:6]: 1} {
			pg, err := s.ListProfessionals(f.national, ProfessionalFilter{Query: q})
			if err != nil || len(pg.Items) != want {
				t.Errorf("search %q: %d %v", q, len(pg.Items), err)
			}
		}
		pg, _ := s.ListProfessionals(f.national, ProfessionalFilter{Profession: 1})
		if len(pg.Items) != 1 || pg.Items[0].ID != g.ID {
			t.Errorf("profession filter: %+v", pg.Items)
		}
		pg, _ = s.ListProfessionals(f.national, ProfessionalFilter{OrganisationID: f.aslA.ID})
		if len(pg.Items) != 1 || pg.Items[0].ID != n.ID {
			t.Errorf("organisation filter: %+v", pg.Items)
		}
		pg, _ = s.ListProfessionals(f.national, ProfessionalFilter{RegionID: veneto})
		if len(pg.Items) != 0 {
			t.Errorf("region filter: %+v", pg.Items)
		}
		// Paging: newest first when browsing, by name when searching.
		p1, _ := s.ListProfessionals(f.national, ProfessionalFilter{PerPage: 2})
		p2, _ := s.ListProfessionals(f.national, ProfessionalFilter{PerPage: 2, Page: 2})
		if len(p1.Items) != 2 || !p1.HasMore || len(p2.Items) != 1 || p2.HasMore || p1.Items[0].FamilyName != "Bianco" || p2.Items[0].ID != n.ID {
			t.Errorf("paging: %+v / %+v", p1, p2)
		}
		// Search pages are by name: "b" starts a word of Bianchi Ettore and Bianco Aldo.
		p1, _ = s.ListProfessionals(f.national, ProfessionalFilter{Query: "b", PerPage: 1})
		p2, _ = s.ListProfessionals(f.national, ProfessionalFilter{Query: "b", PerPage: 1, Page: 2})
		if len(p1.Items) != 1 || !p1.HasMore || len(p2.Items) != 1 || p2.HasMore || p1.Items[0].FamilyName != "Bianchi" || p2.Items[0].FamilyName != "Bianco" {
			t.Errorf("search paging: %+v / %+v", p1, p2)
		}
	})
}

func TestOrganisations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		pg, err := s.ListOrganisations(f.analyst, OrganisationFilter{Query: "careggi"})
		if err != nil || len(pg.Items) != 1 || pg.Items[0].Kind != KindAOU || pg.Items[0].ParentName != "AZIENDA USL TOSCANA CENTRO" {
			t.Fatalf("careggi: %+v %v", pg, err)
		}
		pg, _ = s.ListOrganisations(f.provider, OrganisationFilter{RegionID: toscana, Kind: KindASL})
		if len(pg.Items) != 3 {
			t.Errorf("Tuscan ASL: %d", len(pg.Items))
		}
		pg, _ = s.ListOrganisations(f.national, OrganisationFilter{ParentID: f.aslA.ID, PerPage: 500})
		if len(pg.Items) < 10 || pg.PerPage != 200 {
			t.Errorf("structures of the ASL: %d (per page %d)", len(pg.Items), pg.PerPage)
		}
		// Regional referents manage their region's organisations only.
		p, err := s.CreateOrganisation(f.regional, OrganisationInput{Kind: KindProvider, Code: "P-91", Name: "Provider di prova", RegionID: toscana})
		if err != nil || p.RegionName != "Toscana" {
			t.Fatalf("create: %+v %v", p, err)
		}
		_, err = s.CreateOrganisation(f.regional, OrganisationInput{Kind: KindProvider, Code: "P-50", Name: "Provider veneto", RegionID: veneto})
		wantCode(t, err, domain.EFORBIDDEN)
		_, err = s.CreateOrganisation(f.organisation, OrganisationInput{Kind: KindProvider, Code: "P-92", Name: "X", RegionID: toscana})
		wantCode(t, err, domain.EFORBIDDEN)
		_, err = s.CreateOrganisation(f.national, OrganisationInput{Kind: KindProvider, Code: "P-91", Name: "Doppio", RegionID: toscana})
		wantCode(t, err, domain.ECONFLICT)
		_, err = s.UpdateOrganisation(f.regional, f.aslB.ID, OrganisationInput{Kind: KindASL, Code: f.aslB.Code, Name: "X", RegionID: veneto})
		wantCode(t, err, domain.EFORBIDDEN)
		in := orgInputOf(f.hospA)
		in.Name = "AOU Meyer IRCCS"
		in.ValidFrom = "2020-01-01"
		up, err := s.UpdateOrganisation(f.regional, f.hospA.ID, in)
		if err != nil || up.Name != "AOU Meyer IRCCS" || up.ValidFrom != "2020-01-01" || up.ParentID != f.aslA.ID {
			t.Fatalf("update: %+v %v", up, err)
		}
		in.RegionID = veneto
		_, err = s.UpdateOrganisation(f.regional, f.hospA.ID, in)
		if domain.ErrorCode(err) != domain.EINVALID && domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("move out of region: %v", err)
		}
		_, err = s.CreateOrganisation(f.national, OrganisationInput{Kind: "castle", Code: "=1", Name: "", RegionID: 1, ParentID: f.provA.ID, ValidFrom: "2020-13-01"})
		e := domain.AsError(err)
		if e == nil || len(e.Details) < 5 {
			t.Fatalf("validation: %v", err)
		}
		var audited int
		audited = count(t, s, `SELECT COUNT(*) FROM audit_log WHERE entity = 'organisation'`)
		if audited != 3 { // the fixture's provider, P-91, and the update
			t.Errorf("organisation audit entries: %d", audited)
		}
	})
}
