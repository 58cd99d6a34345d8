package persona

import (
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

func wantCode(t *testing.T, err error, code string) *domain.Error {
	t.Helper()
	if domain.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	return domain.AsError(err)
}

func hasProblem(e *domain.Error, substr string) bool {
	for _, p := range e.Details {
		if strings.Contains(p.Reason, substr) {
			return true
		}
	}
	return strings.Contains(e.Message, substr)
}

func TestDefaultPersonasLoadedOnceWithSensibleTargets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		f.defaults()
		if ok, err := f.S.EnsureDefaults(sys()); err != nil || ok {
			t.Fatalf("second start must not load again: %v %v", ok, err)
		}
		ps, err := f.S.ListPersonas(national(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) < 11 {
			t.Fatalf("want at least 11 default personas, got %d", len(ps))
		}
		for _, p := range ps {
			if !p.Illustrative || p.NameEN == "" || p.DescriptionIT == "" || len(p.ExampleRolesIT) == 0 {
				t.Errorf("persona %s incomplete or not labelled illustrative: %+v", p.Code, p)
			}
		}
		lvl := func(code, line string) Target {
			tg, ok := targetOf(f.persona(code).Targets, f.Lines[line])
			if !ok {
				t.Fatalf("%s has no target on %s", code, line)
			}
			return tg
		}
		// Telemedicine is higher for family nurses, GPs and COT than for hospital nurses.
		for _, c := range []string{"IFEC", "MMG-PLS", "COT"} {
			if lvl(c, "L2.2.2").Min <= lvl("INF-OSP", "L2.2.2").Min {
				t.Errorf("%s teleassistance %v should be above hospital nurse %v", c, lvl(c, "L2.2.2"), lvl("INF-OSP", "L2.2.2"))
			}
		}
		if a, b := lvl("IFEC", "L2.2.2").Min, lvl("IFEC", "L2.2.1").Min; a <= b {
			t.Errorf("family nurse: teleassistance %d should be above televisit %d", a, b)
		}
		if lvl("ICT", "L3.1.2").Min != 4 || lvl("ICT", "L3.1.2").Min <= lvl("INF-OSP", "L3.1.2").Min {
			t.Errorf("AI line: ICT %v hospital nurse %v", lvl("ICT", "L3.1.2"), lvl("INF-OSP", "L3.1.2"))
		}
		if lvl("INF-OSP", "L2.1.2").Required {
			t.Error("e-prescription should not be required of hospital nurses")
		}
		if !lvl("FARM", "L2.1.2").Required || lvl("FARM", "L2.1.2").Min != 4 {
			t.Errorf("pharmacist e-prescription: %v", lvl("FARM", "L2.1.2"))
		}
		if tg := lvl("MMG-PLS", "L2.1.1"); tg.Min != 3 || tg.Max != 4 {
			t.Errorf("GP FSE should be the range 3–4: %v", tg)
		}
		if lvl("DIR", "L3.2.3").Min < 3 {
			t.Errorf("health manager change management: %v", lvl("DIR", "L3.2.3"))
		}
		rules, err := f.S.Rules(national(), 0)
		if err != nil || len(rules) < 20 {
			t.Fatalf("default rules: %d %v", len(rules), err)
		}
		if last := rules[len(rules)-1]; last.PersonaCode != "BASE" || last.Specificity != 0 {
			t.Errorf("the catch-all rule must come last: %+v", last)
		}
	})
}

func TestDefaultsWaitForAPublishedFramework(t *testing.T) {
	x := dbtest.Open(t, db.SQLite)
	s := New(x, nil, nil)
	ok, err := s.EnsureDefaults(sys())
	if err != nil || ok {
		t.Fatalf("nothing published: %v %v", ok, err)
	}
	var n int
	x.Read.QueryRow(`SELECT COUNT(*) FROM personas`).Scan(&n)
	if n != 0 {
		t.Fatal("personas created without a framework")
	}
}

func TestPersonaCRUDAndTargetValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		otherFID, otherItems := f.framework("ESD-OTHER", "2.0", StateDraft, 4, nil)
		_ = otherFID
		if _, err := f.S.CreatePersona(actor(domain.RoleRegional, f.RegA, 0, 0), PersonaInput{Code: "X", NameIT: "X"}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("regional may not create personas: %v", err)
		}
		e := wantCode(t, func() error {
			_, err := f.S.CreatePersona(national(), PersonaInput{Code: "bad code!", NameIT: "X"})
			return err
		}(), domain.EINVALID)
		if e.Field != "code" {
			t.Fatalf("field: %+v", e)
		}
		p, err := f.S.CreatePersona(national(), PersonaInput{Code: "tst", NameIT: "Prova", NameEN: "Test", ExampleRolesIT: []string{"uno", " ", "due"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Code != "TST" || len(p.ExampleRolesIT) != 2 || p.FrameworkID != f.FID {
			t.Fatalf("created: %+v", p)
		}
		if _, err := f.S.CreatePersona(national(), PersonaInput{Code: "TST", NameIT: "Dup"}); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("duplicate code: %v", err)
		}
		good := []TargetInput{{LineCode: "L2.2.1", Required: true, Level: 3}, {LineID: f.Lines["L2.2.2"], Required: true, Min: 2, Max: 4}, {LineCode: "L2.1.2"}}
		ts, err := f.S.SetTargets(national(), p.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 3 || ts[0].LineCode != "L2.1.2" || ts[0].Required || ts[2].Min != 2 || ts[2].Max != 4 {
			t.Fatalf("targets in portfolio order: %+v", ts)
		}
		// Bad input: every problem reported, nothing half applied.
		bad := []TargetInput{
			{LineCode: "L1.1.1", Required: true, Level: 2},           // fine on its own
			{LineID: otherItems["L2.2.1"], Required: true, Level: 2}, // a line of another version
			{LineCode: "L1.2.1", Required: true, Level: 5},           // off the scale
			{LineID: f.Items["A2.2"], Required: true, Level: 1},      // an ambito, not a line
			{LineCode: "L1.1.1", Required: true, Level: 1},           // duplicate
			{LineCode: "L1.2.2", Required: true, Min: 3, Max: 2},     // inverted range
			{LineCode: "NOPE", Required: true, Level: 1},             // unknown
			{LineCode: "L3.1.1", Required: false, Level: 2},          // level on a not-required line
			{LineCode: "L3.1.2", Required: true, Level: 0, Min: 0},   // required without level
		}
		err = func() error { _, err := f.S.SetTargets(national(), p.ID, bad); return err }()
		e = wantCode(t, err, domain.EINVALID)
		if len(e.Details) != 8 {
			t.Fatalf("want 8 problems, got %d: %+v", len(e.Details), e.Details)
		}
		for _, want := range []string{"belongs to framework version ESD-OTHER 2.0", "not on the scale", "is a area, not a line", "given twice", "above maximum", "no line with this code", "not required has no level"} {
			if !hasProblem(e, want) {
				t.Errorf("missing problem %q in %+v", want, e.Details)
			}
		}
		after, _ := f.S.GetPersona(national(), p.ID)
		if len(after.Targets) != 3 {
			t.Fatalf("a refused update changed the targets: %+v", after.Targets)
		}
		up, err := f.S.UpdatePersona(national(), p.ID, PersonaInput{Code: "TST", NameIT: "Prova 2", AllowLower: true})
		if err != nil || up.NameIT != "Prova 2" || !up.AllowLower {
			t.Fatalf("update: %+v %v", up, err)
		}
		var n int
		f.D.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'persona' AND entity_id = $1`, itoa(int(p.ID))).Scan(&n)
		if n != 3 {
			t.Fatalf("want 3 audit entries (create, set_targets, update), got %d", n)
		}
		if err := f.S.DeletePersona(national(), p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.S.GetPersona(national(), p.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("deleted: %v", err)
		}
		// A retired version's personas are frozen.
		q, err := f.S.CreatePersona(national(), PersonaInput{Code: "Q", NameIT: "Q"})
		if err != nil {
			t.Fatal(err)
		}
		f.exec(`UPDATE framework_versions SET state = 'retired' WHERE id = $1`, f.FID)
		if _, err := f.S.SetTargets(national(), q.ID, good); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("retired version: %v", err)
		}
		if err := f.S.DeletePersona(national(), q.ID); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("delete on a retired version: %v", err)
		}
	})
}

func TestOverlaysRaiseButNeverLowerWithoutPermission(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		p, err := f.S.CreatePersona(national(), PersonaInput{Code: "P", NameIT: "P"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.S.SetTargets(national(), p.ID, []TargetInput{{LineCode: "L2.2.1", Required: true, Level: 2}, {LineCode: "L2.2.2", Required: true, Level: 2}}); err != nil {
			t.Fatal(err)
		}
		reg := actor(domain.RoleRegional, f.RegA, 0, 0)
		// Raise a line and add one that national does not require.
		ov, err := f.S.SetOverlay(reg, p.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}, Note: "piano regionale",
			Targets: []TargetInput{{LineCode: "L2.2.1", Required: true, Level: 3}, {LineCode: "L3.1.2", Required: true, Level: 1}}})
		if err != nil || len(ov) != 2 || ov[0].ScopeName != "Toscana" {
			t.Fatalf("regional raise: %+v %v", ov, err)
		}
		// Another region's referent, an organisation editing a region, a professional: refused.
		if _, err := f.S.SetOverlay(actor(domain.RoleRegional, f.RegB, 0, 0), p.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("other region: %v", err)
		}
		if _, err := f.S.SetOverlay(actor(domain.RoleOrganisation, f.RegA, f.OrgA, 0), p.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("organisation editing its region: %v", err)
		}
		if _, err := f.S.SetOverlay(actor(domain.RoleProfessional, 0, 0, 1), p.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("professional: %v", err)
		}
		// Lowering the national minimum, dropping a required line, off-scale levels: refused together, nothing applied.
		err = func() error {
			_, err := f.S.SetOverlay(reg, p.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}, Targets: []TargetInput{
				{LineCode: "L2.2.1", Required: true, Level: 1}, {LineCode: "L2.2.2"}, {LineCode: "L3.1.1", Required: true, Level: 7},
				{LineCode: "L3.1.2", Required: true, Level: 0, Min: -1, Max: 2}}})
			return err
		}()
		e := wantCode(t, err, domain.EINVALID)
		for _, want := range []string{"below the national minimum 2", "not required although the national minimum is 2", "level 7 is not on the scale", "level -1 is not on the scale"} {
			if !hasProblem(e, want) {
				t.Errorf("missing %q in %+v", want, e.Details)
			}
		}
		now, _ := f.S.Overlays(national(), p.ID)
		if len(now) != 2 || now[0].Target.Min != 3 {
			t.Fatalf("a refused overlay changed the stored one: %+v", now)
		}
		// An organisation may raise, but not below its region's minimum.
		org := actor(domain.RoleOrganisation, f.RegA, f.OrgA, 0)
		if _, err := f.S.SetOverlay(org, p.ID, OverlayInput{OverlayScope: OverlayScope{OrganisationID: f.OrgA}, Targets: []TargetInput{{LineCode: "L2.2.1", Required: true, Level: 2}}}); !hasProblem(wantCode(t, err, domain.EINVALID), "below the regional minimum 3") {
			t.Fatalf("org under region: %v", err)
		}
		if _, err := f.S.SetOverlay(org, p.ID, OverlayInput{OverlayScope: OverlayScope{OrganisationID: f.OrgB}, Targets: nil}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("other organisation: %v", err)
		}
		if _, err := f.S.SetOverlay(org, p.ID, OverlayInput{OverlayScope: OverlayScope{OrganisationID: f.OrgA}, Targets: []TargetInput{{LineCode: "L2.2.2", Required: true, Min: 3, Max: 4}}}); err != nil {
			t.Fatal(err)
		}
		// National governance allows lowering L2.2.2: now the region may set it to 1.
		if _, err := f.S.SetTargets(national(), p.ID, []TargetInput{{LineCode: "L2.2.1", Required: true, Level: 2}, {LineCode: "L2.2.2", Required: true, Level: 2, AllowLower: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.S.SetOverlay(reg, p.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}, Targets: []TargetInput{
			{LineCode: "L2.2.1", Required: true, Level: 3}, {LineCode: "L2.2.2", Required: true, Level: 1}, {LineCode: "L3.1.2", Required: true, Level: 1}}}); err != nil {
			t.Fatalf("allowed lowering refused: %v", err)
		}
		// Only national sets allow_lower.
		if _, err := f.S.SetOverlay(reg, p.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}, Targets: []TargetInput{{LineCode: "L2.2.1", Required: true, Level: 3, AllowLower: true}}}); !hasProblem(wantCode(t, err, domain.EINVALID), "only national governance sets allow_lower") {
			t.Fatalf("allow_lower in an overlay: %v", err)
		}
		// Effective targets of a professional of org A in region A.
		pro := f.professional(f.RegA, f.OrgA, "ospedale", "")
		f.exec(`INSERT INTO profiles (professional_id, framework_id, persona_id, manual, reason, author, assigned_at) VALUES ($1, $2, $3, TRUE, 'test', 'x', $4)`, pro, f.FID, p.ID, db.Now())
		ts, prof, err := f.S.EffectiveTargets(org, pro)
		if err != nil || prof.PersonaID != p.ID {
			t.Fatal(err, prof)
		}
		want := map[string]string{"L2.2.1": "3 region", "L2.2.2": "3–4 organisation", "L3.1.2": "1 region"}
		if len(ts) != len(want) {
			t.Fatalf("effective: %+v", ts)
		}
		for _, tg := range ts {
			if got := tg.Label() + " " + tg.Source; want[tg.LineCode] != got {
				t.Errorf("%s: got %s want %s", tg.LineCode, got, want[tg.LineCode])
			}
		}
		var n int
		f.D.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'persona_overlay' AND region_id = $1`, f.RegA).Scan(&n)
		if n != 3 {
			t.Fatalf("overlay audit entries in region A: %d", n)
		}
	})
}

func TestProfileScopeFollowsTheRegistry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		f.defaults()
		a := f.professional(f.RegA, f.OrgA, "territorio", "", [2]int{14, 85})
		b := f.professional(f.RegB, f.OrgB, "ospedale", "", [2]int{1, 58})
		for _, c := range []struct {
			name string
			role domain.Role
			reg  int64
			org  int64
			prof int64
			want string // "" ok, else code
		}{
			{"national", domain.RoleNational, 0, 0, 0, ""},
			{"regional own", domain.RoleRegional, f.RegA, 0, 0, ""},
			{"organisation own", domain.RoleOrganisation, f.RegA, f.OrgA, 0, ""},
			{"self", domain.RoleProfessional, 0, 0, a, ""},
			{"other professional", domain.RoleProfessional, 0, 0, b, domain.ENOTFOUND},
			{"regional other", domain.RoleRegional, f.RegB, 0, 0, domain.ENOTFOUND},
			{"organisation other", domain.RoleOrganisation, f.RegB, f.OrgB, 0, domain.ENOTFOUND},
			{"analyst", domain.RoleAnalyst, 0, 0, 0, domain.EFORBIDDEN},
			{"provider", domain.RoleProvider, 0, 0, 0, domain.EFORBIDDEN},
		} {
			pr, err := f.S.ProfileOf(actor(c.role, c.reg, c.org, c.prof), a)
			if domain.ErrorCode(err) != c.want {
				t.Errorf("%s: got %v want %q", c.name, err, c.want)
			}
			if c.want == "" && (pr.PersonaCode != "IFEC" || pr.Stored) {
				t.Errorf("%s: profile computed from the rules should be IFEC (not stored yet): %+v", c.name, pr)
			}
		}
		// The rule tester refuses out-of-scope professionals the same way, but anyone may test attributes.
		if _, err := f.S.TestAssignment(actor(domain.RoleRegional, f.RegA, 0, 0), TestInput{ProfessionalID: b}); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("tester out of scope: %v", err)
		}
		x, err := f.S.TestAssignment(actor(domain.RoleAnalyst, 0, 0, 0), TestInput{Pairs: []Pair{{1, 58}}, CareSetting: "Territorio"})
		if err != nil || x.Persona == nil || x.Persona.Code != "MMG-PLS" {
			t.Fatalf("hypothetical GP: %+v %v", x.Persona, err)
		}
	})
}

func TestOverrideKeptByReassignmentAndCarriedToNewVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		f.defaults()
		gp := f.professional(f.RegA, f.OrgA, "territorio", "", [2]int{1, 58})
		nurse := f.professional(f.RegA, f.OrgA, "ospedale", "", [2]int{14, 85})
		cot := f.professional(f.RegA, f.OrgA, "ospedale", "Infermiere operatore COT", [2]int{14, 85})
		bio := f.professional(f.RegB, f.OrgB, "", "", [2]int{6, 68})
		none := f.professional(f.RegB, 0, "", "")
		res, err := f.S.Reassign(national(), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Professionals != 5 || res.Changed != 5 || res.Unmatched != 0 {
			t.Fatalf("first pass: %+v", res)
		}
		want := map[int64]string{gp: "MMG-PLS", nurse: "INF-OSP", cot: "COT", bio: "BASE", none: "BASE"}
		check := func() {
			t.Helper()
			for id, code := range want {
				pr, err := f.S.ProfileOf(national(), id)
				if err != nil || pr.PersonaCode != code || !pr.Stored {
					t.Errorf("professional %d: %+v %v, want %s", id, pr, err, code)
				}
			}
		}
		check()
		res, _ = f.S.Reassign(national(), 0, nil)
		if res.Changed != 0 || res.Unchanged != 5 {
			t.Fatalf("second pass should change nothing: %+v", res)
		}
		// The organisation overrides the nurse: audited, kept by re-assignment.
		org := actor(domain.RoleOrganisation, f.RegA, f.OrgA, 0)
		ifec := f.persona("IFEC")
		if _, err := f.S.Override(org, nurse, OverrideInput{PersonaID: ifec.ID, Reason: ""}); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("override without a reason: %v", err)
		}
		if _, err := f.S.Override(actor(domain.RoleOrganisation, f.RegB, f.OrgB, 0), nurse, OverrideInput{PersonaID: ifec.ID, Reason: "altra azienda"}); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("another organisation's override: %v", err)
		}
		if _, err := f.S.Override(actor(domain.RoleRegional, f.RegA, 0, 0), nurse, OverrideInput{PersonaID: ifec.ID, Reason: "regione"}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("regional override: %v", err)
		}
		pr, err := f.S.Override(org, nurse, OverrideInput{PersonaID: ifec.ID, Reason: "lavora nella Casa della Comunità"})
		if err != nil || !pr.Manual || pr.PersonaCode != "IFEC" || pr.Author != "u_organisation" {
			t.Fatalf("override: %+v %v", pr, err)
		}
		want[nurse] = "IFEC"
		// A rule change: hospital nurses become BASE by priority; the override survives.
		r, _, err := f.S.CreateRule(national(), RuleInput{PersonaCode: "BASE", ProfessionCode: 14, Priority: 5})
		if err != nil {
			t.Fatal(err)
		}
		res, _ = f.S.Reassign(national(), 0, nil)
		if res.Changed != 0 || res.KeptManual != 1 {
			t.Fatalf("cot has priority 20, the override is kept: %+v", res)
		}
		if _, _, err := f.S.UpdateRule(national(), r.ID, RuleInput{PersonaCode: "BASE", ProfessionCode: 14, Priority: 30}); err != nil {
			t.Fatal(err)
		}
		res, _ = f.S.Reassign(national(), 0, nil)
		if res.Changed != 1 || res.KeptManual != 1 {
			t.Fatalf("now the COT nurse changes: %+v", res)
		}
		want[cot] = "BASE"
		check()
		if _, err := f.S.DeleteRule(national(), r.ID); err != nil {
			t.Fatal(err)
		}
		f.S.Reassign(national(), 0, nil)
		want[cot] = "COT"
		check()
		// A new version: personas copied by line code, the override carried over.
		f2, _ := f.framework("ESD-TEST", "2.0", StatePublished, 4, nil)
		if ok, err := f.S.EnsureDefaults(sys()); err != nil || !ok {
			t.Fatalf("defaults on the new version: %v %v", ok, err)
		}
		var n int
		f.D.Read.QueryRow(`SELECT COUNT(*) FROM personas WHERE framework_id = $1 AND based_on_id IS NOT NULL`, f2).Scan(&n)
		if n < 11 {
			t.Fatalf("personas should be copied from 1.0, got %d", n)
		}
		res, err = f.S.Reassign(national(), 0, nil)
		if err != nil || res.FrameworkID != f2 || res.CarriedManual != 1 || res.Changed != 4 {
			t.Fatalf("new version pass: %+v %v", res, err)
		}
		check()
		pr, _ = f.S.ProfileOf(national(), nurse)
		if pr.FrameworkID != f2 || !pr.Manual || pr.Reason != "lavora nella Casa della Comunità" {
			t.Fatalf("carried override: %+v", pr)
		}
		// Clearing the override lets the rules decide again.
		pr, err = f.S.ClearOverride(org, nurse)
		if err != nil || pr.Manual || pr.PersonaCode != "INF-OSP" {
			t.Fatalf("clear: %+v %v", pr, err)
		}
		if again, err := f.S.ClearOverride(org, nurse); err != nil || again.PersonaCode != "INF-OSP" || again.Manual {
			t.Fatalf("clearing twice changes nothing: %+v %v", again, err)
		}
		f.D.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'profile' AND entity_id = $1`, itoa(int(nurse))).Scan(&n)
		if n != 2 {
			t.Fatalf("override and clear should be audited: %d", n)
		}
	})
}

func TestRuleValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		f.defaults()
		for _, c := range []struct {
			in    RuleInput
			field string
			code  string
		}{
			{RuleInput{PersonaCode: "NOPE"}, "persona_code", domain.EINVALID},
			{RuleInput{PersonaCode: "FARM", ProfessionCode: 99}, "profession_code", domain.EINVALID},
			{RuleInput{PersonaCode: "FARM", DisciplineCode: 999}, "discipline_code", domain.EINVALID},
			{RuleInput{PersonaCode: "FARM", ProfessionCode: 3, DisciplineCode: 58}, "discipline_code", domain.EINVALID},
			{RuleInput{PersonaCode: "FARM", Priority: 5000}, "priority", domain.EINVALID},
			{RuleInput{PersonaCode: "FARM", ProfessionCode: 3}, "priority", domain.ECONFLICT}, // same as a default rule
		} {
			_, _, err := f.S.CreateRule(national(), c.in)
			if e := domain.AsError(err); e == nil || e.Code != c.code || e.Field != c.field {
				t.Errorf("%+v: got %v", c.in, err)
			}
		}
		if _, _, err := f.S.CreateRule(actor(domain.RoleRegional, f.RegA, 0, 0), RuleInput{PersonaCode: "FARM"}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("regional rule: %v", err)
		}
		p2, _ := f.framework("ESD-OTHER", "1.0", StateDraft, 4, nil)
		other, err := f.S.CreatePersona(national(), PersonaInput{FrameworkID: p2, Code: "O", NameIT: "O"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.S.CreateRule(national(), RuleInput{FrameworkID: f.FID, PersonaID: other.ID}); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("rule for a persona of another version: %v", err)
		}
	})
}

func TestCopyPersonasReportsDroppedAndClampedLines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		f.defaults()
		reg := actor(domain.RoleRegional, f.RegA, 0, 0)
		ict := f.persona("ICT")
		if _, err := f.S.SetOverlay(reg, ict.ID, OverlayInput{OverlayScope: OverlayScope{RegionID: f.RegA}, Targets: []TargetInput{{LineCode: "L3.2.2", Required: true, Level: 2}, {LineCode: "L2.2.3", Required: true, Level: 4}}}); err != nil {
			t.Fatal(err)
		}
		// Version 2 drops L2.2.3 and has a 3-level scale.
		f2, _ := f.framework("ESD-TEST", "2.0", StateDraft, 3, map[string]bool{"L2.2.3": true})
		if _, err := f.S.CopyPersonas(reg, f.FID, f2); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("regional copy: %v", err)
		}
		res, err := f.S.CopyPersonas(national(), f.FID, f2)
		if err != nil {
			t.Fatal(err)
		}
		if res.Personas < 11 || res.Overlays != 1 || len(res.DroppedOverlays) != 1 || res.Rules < 20 {
			t.Fatalf("copy: %+v", res)
		}
		if len(res.DroppedTargets) != res.Personas || len(res.ClampedLevels) == 0 {
			t.Fatalf("each persona loses L2.2.3 and level-4 targets are clamped to 3: %+v", res)
		}
		var maxLevel int
		f.D.Read.QueryRow(`SELECT MAX(max_level) FROM persona_targets t JOIN personas p ON p.id = t.persona_id WHERE p.framework_id = $1`, f2).Scan(&maxLevel)
		if maxLevel != 3 {
			t.Fatalf("levels on the new scale: max %d", maxLevel)
		}
		if _, err := f.S.CopyPersonas(national(), f.FID, f2); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("copying twice: %v", err)
		}
	})
}

func TestHeatmapMeansPerAmbito(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		p, _ := f.S.CreatePersona(national(), PersonaInput{Code: "H", NameIT: "H"})
		if _, err := f.S.SetTargets(national(), p.ID, []TargetInput{{LineCode: "L2.2.1", Required: true, Level: 4}, {LineCode: "L2.2.2", Required: true, Min: 2, Max: 3}, {LineCode: "L1.1.1"}}); err != nil {
			t.Fatal(err)
		}
		h, err := f.S.Heatmap(actor(domain.RoleAnalyst, 0, 0, 0), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Areas) != 6 || len(h.Rows) != 1 || h.MaxLevel != 4 {
			t.Fatalf("shape: %d areas %d rows", len(h.Areas), len(h.Rows))
		}
		tele := h.Rows[0].Cells[3] // A2.2: (4 + 2 + 0) / 3 lines
		if h.Areas[3].Code != "A2.2" || tele.Mean != 2 || tele.Required != 2 || tele.Lines != 3 || tele.Label("it") != "2,0" {
			t.Fatalf("telemedicine cell: %+v", tele)
		}
		if c := h.Rows[0].Cells[0]; c.Mean != 0 || c.Shade != 0 {
			t.Fatalf("not-required cell: %+v", c)
		}
	})
}

func TestStartReassignRunsAsAJob(t *testing.T) {
	f := newFixture(t, db.SQLite)
	f.defaults()
	for i := 0; i < 30; i++ {
		f.professional(f.RegA, f.OrgA, "ospedale", "", [2]int{14, 85})
	}
	if _, err := f.S.StartReassign(actor(domain.RoleRegional, f.RegA, 0, 0), 0); domain.ErrorCode(err) != domain.EFORBIDDEN {
		t.Fatalf("regional trigger: %v", err)
	}
	id, err := f.S.StartReassign(national(), 0)
	if err != nil {
		t.Fatal(err)
	}
	f.S.Jobs.Wait()
	j, err := f.S.Jobs.Get(national(), id)
	if err != nil || j.State != "done" || j.Done != 30 || !strings.Contains(string(j.Result), `"changed":30`) {
		t.Fatalf("job: %+v %v %s", j, err, j.Result)
	}
}

func TestNewVersionAdoptsPersonasOnReassign(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		f.defaults()
		gp := f.professional(f.RegA, f.OrgA, "territorio", "", [2]int{1, 58})
		if _, err := f.S.Reassign(national(), 0, nil); err != nil {
			t.Fatal(err)
		}
		// National governance publishes version 2.0 (one line fewer): nothing was copied yet.
		f2, _ := f.framework("ESD-TEST", "2.0", StatePublished, 4, map[string]bool{"L3.2.3": true})
		if pr, err := f.S.ProfileOf(national(), gp); err != nil || pr.PersonaID != 0 || pr.FrameworkID != f2 {
			t.Fatalf("before adoption the new version has no personas: %+v %v", pr, err)
		}
		if _, err := f.S.AdoptVersion(actor(domain.RoleRegional, f.RegA, 0, 0), f2); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("regional adoption: %v", err)
		}
		res, err := f.S.Reassign(national(), 0, nil)
		if err != nil || res.FrameworkID != f2 || res.Changed != 1 || res.ByPersona["MMG-PLS"] != 1 {
			t.Fatalf("re-assignment on the new version: %+v %v", res, err)
		}
		if ok, err := f.S.AdoptVersion(national(), f2); err != nil || ok {
			t.Fatalf("adopting twice: %v %v", ok, err)
		}
		ts, pr, err := f.S.EffectiveTargets(national(), gp)
		if err != nil || pr.FrameworkID != f2 || pr.PersonaCode != "MMG-PLS" || len(ts) != 13 { // 14 lines, one dropped
			t.Fatalf("targets on the new version: %d %+v %v", len(ts), pr, err)
		}
		for _, tg := range ts {
			if tg.LineCode == "L3.2.3" {
				t.Fatal("a line that no longer exists kept its target")
			}
		}
	})
}
