package credits

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

type env struct {
	t   *testing.T
	d   *db.DB
	s   *Service
	w   World
	sys context.Context
}

func newEnv(t *testing.T, dl db.Dialect, n, per int) *env {
	t.Helper()
	d := dbtest.Open(t, dl)
	ctx := context.Background()
	s := New(d, nil, nil)
	s.Now = func() time.Time { return mid2027 }
	sys := domain.WithActor(ctx, domain.SystemActor)
	if err := s.EnsureRules(sys); err != nil {
		t.Fatal(err)
	}
	w, err := BuildWorld(ctx, d, "TSTCR", n, per)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, d: d, s: s, w: w, sys: sys}
}

func (e *env) as(r domain.Role, region, org, prof int64) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{UserID: 1, Username: "u_" + string(r), Role: r, RegionID: region, OrganisationID: org, ProfessionalID: prof})
}

func (e *env) post(ctx context.Context, pcs []ParticipationCredit) (PostResult, error) {
	var res PostResult
	err := e.d.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = e.s.post(ctx, tx, pcs)
		return err
	})
	return res, err
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.Read.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) stored(pid int64, tri int) (counted float64, compliant bool, org sql.NullInt64) {
	e.t.Helper()
	err := e.d.Read.QueryRowContext(context.Background(), `SELECT counted, compliant, organisation_id FROM credit_balances WHERE professional_id = $1 AND triennium = $2`, pid, tri).
		Scan(&counted, &compliant, &org)
	if err != nil {
		e.t.Fatalf("stored balance %d/%d: %v", pid, tri, err)
	}
	return
}

// region and org of fixture professional i (see BuildWorld).
func (e *env) scopeOf(i int) (int64, int64) {
	switch i % 8 {
	case 1:
		return e.w.RegionA, e.w.OrgA
	case 2:
		return e.w.RegionB, e.w.OrgB
	case 3:
		return e.w.RegionA, 0
	case 4:
		return e.w.RegionB, 0
	}
	return e.w.RegionA, e.w.OrgBig
}

func TestPostParticipations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		e := newEnv(t, dl, 16, 0)
		ctx := e.as(domain.RoleProvider, e.w.RegionA, 0, 0)
		var pcs []ParticipationCredit
		for i, pid := range e.w.Professionals {
			reg, org := e.scopeOf(i)
			pcs = append(pcs, ParticipationCredit{ParticipationID: int64(1000 + i), ProfessionalID: pid, RegionID: reg, OrganisationID: org, EventID: 7,
				Role: "P", Credits: 50, EarnedOn: "2026-03-10", Certified: i%2 == 0, Title: "Telemedicina"})
		}
		// A professional with three events: 150 certified credits make them compliant.
		for k := 0; k < 2; k++ {
			pcs = append(pcs, ParticipationCredit{ParticipationID: int64(2000 + k), ProfessionalID: e.w.Professionals[0], RegionID: e.w.RegionA, OrganisationID: e.w.OrgBig,
				Role: "D", Credits: 50, EarnedOn: "2027-02-0" + fmt.Sprint(k+1), Certified: true, Title: "Docenza"})
		}
		res, err := e.post(ctx, pcs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Inserted != 18 || res.Professionals != 16 {
			t.Fatalf("result %+v", res)
		}
		if n := e.count(`SELECT COUNT(*) FROM credit_entries`); n != 18 {
			t.Fatalf("entries %d", n)
		}
		c, comp, org := e.stored(e.w.Professionals[0], 2026)
		if c != 150 || !comp || org.Int64 != e.w.OrgBig {
			t.Errorf("stored balance of the teacher: %v %v %v", c, comp, org)
		}
		if c, comp, _ := e.stored(e.w.Professionals[1], 2026); c != 50 || comp {
			t.Errorf("pending participant: %v %v", c, comp)
		}
		audits := e.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'credit_entries'`)

		// The same report again writes nothing.
		res, err = e.post(ctx, pcs)
		if err != nil || res.Unchanged != 18 || res.Inserted+res.Updated+res.Removed != 0 {
			t.Fatalf("re-post: %+v %v", res, err)
		}
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'credit_entries'`); n != audits {
			t.Errorf("re-post audited: %d → %d", audits, n)
		}
		// A correction: fewer credits for one, none for another (removed), one certified now.
		pcs[0].Credits = 20
		pcs[2].Credits = 0
		pcs[1].Certified = true
		res, err = e.post(ctx, pcs)
		if err != nil || res.Updated != 2 || res.Removed != 1 || res.Unchanged != 15 {
			t.Fatalf("correction: %+v %v", res, err)
		}
		if c, comp, _ := e.stored(e.w.Professionals[0], 2026); c != 120 || comp {
			t.Errorf("after correction: %v %v", c, comp)
		}
		if c, _, _ := e.stored(e.w.Professionals[2], 2026); c != 0 {
			t.Errorf("removed participation still counts %v", c)
		}
		if err := e.d.Tx(ctx, func(tx *sql.Tx) error { return e.s.DeleteParticipations(ctx, tx, []int64{2000, 2001}) }); err != nil {
			t.Fatal(err)
		}
		if c, _, _ := e.stored(e.w.Professionals[0], 2026); c != 20 {
			t.Errorf("after delete: %v", c)
		}

		// Bad input: everything named, nothing written.
		before := e.count(`SELECT COUNT(*) FROM credit_entries`)
		_, err = e.post(ctx, []ParticipationCredit{
			{ParticipationID: 3000, ProfessionalID: e.w.Professionals[3], RegionID: e.w.RegionA, Role: "X", Credits: 5, EarnedOn: "2026-01-01"},
			{ParticipationID: 3001, ProfessionalID: e.w.Professionals[3], RegionID: e.w.RegionA, Credits: 5, EarnedOn: "2031-01-01"},
			{ParticipationID: 3001, ProfessionalID: e.w.Professionals[3], RegionID: e.w.RegionA, Credits: 5, EarnedOn: "2026-01-01"},
			{ParticipationID: 3002, ProfessionalID: e.w.Professionals[3], RegionID: e.w.RegionA, Credits: -1, EarnedOn: "2026-01-01"},
		})
		de := domain.AsError(err)
		if de == nil || de.Code != domain.EINVALID || len(de.Details) != 4 {
			t.Fatalf("bad input: %v", err)
		}
		for i, f := range []string{"role", "earned_on", "participation_id", "credits"} {
			if de.Details[i].Field != f || de.Details[i].Line != i+1 {
				t.Errorf("problem %d: %+v, want field %s", i, de.Details[i], f)
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM credit_entries`); n != before {
			t.Errorf("bad input wrote entries")
		}
		if _, err := e.post(context.Background(), pcs); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			t.Errorf("anonymous post: %v", err)
		}
	})
}

func TestManualEntriesAndScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		e := newEnv(t, dl, 8, 0)
		pA := e.w.Professionals[1] // region A, org A
		pB := e.w.Professionals[2] // region B, org B
		in := func(pid int64, kind string, c float64) EntryInput {
			return EntryInput{ProfessionalID: pid, Kind: kind, Credits: c, EarnedOn: "2026-04-01", Title: "Pubblicazione su rivista"}
		}
		national := e.as(domain.RoleNational, 0, 0, 0)
		regional := e.as(domain.RoleRegional, e.w.RegionA, 0, 0)
		office := e.as(domain.RoleOrganisation, e.w.RegionA, e.w.OrgA, 0)
		self := e.as(domain.RoleProfessional, e.w.RegionA, 0, pA)
		for _, c := range []struct {
			name string
			ctx  context.Context
			in   EntryInput
			code string
		}{
			{"national anywhere", national, in(pB, KindIndividual, 10), ""},
			{"regional in region", regional, in(pA, KindExemption, 15), ""},
			{"regional out of region", regional, in(pB, KindIndividual, 10), domain.ENOTFOUND},
			{"office own staff", office, in(pA, KindSelfTraining, 40), ""},
			{"office other staff", office, in(pB, KindSelfTraining, 4), domain.ENOTFOUND},
			{"professional own individual", self, in(pA, KindIndividual, 5), ""},
			{"professional own exemption", self, in(pA, KindExemption, 5), domain.EFORBIDDEN},
			{"professional other", self, in(pB, KindIndividual, 5), domain.ENOTFOUND},
			{"provider", e.as(domain.RoleProvider, e.w.RegionA, 0, 0), in(pA, KindIndividual, 5), domain.EFORBIDDEN},
			{"analyst", e.as(domain.RoleAnalyst, 0, 0, 0), in(pA, KindIndividual, 5), domain.EFORBIDDEN},
			{"anonymous", context.Background(), in(pA, KindIndividual, 5), domain.EUNAUTHORIZED},
			{"bad kind", national, in(pA, KindParticipation, 5), domain.EINVALID},
			{"bad credits", national, in(pA, KindIndividual, 0), domain.EINVALID},
			{"future", national, EntryInput{ProfessionalID: pA, Kind: KindIndividual, Credits: 3, EarnedOn: "2028-01-01", Title: "x"}, domain.EINVALID},
			{"moved needs from", national, in(pA, KindMoved, 5), domain.EINVALID},
		} {
			out, err := e.s.AddEntry(c.ctx, c.in)
			if domain.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %q", c.name, err, c.code)
			}
			if c.name == "professional own individual" && (len(out) != 1 || out[0].Status != StatusPending) {
				t.Errorf("self declaration must be pending: %+v", out)
			}
		}
		// Balance of A: exemption 15 → due 135; self-training 40 capped at 20 % of 135 = 27;
		// pending 5 individual.
		v, err := e.s.Balance(self, pA, 2026)
		if err != nil {
			t.Fatal(err)
		}
		b := v.Balance
		if b.Due != 135 || b.Certified != 27 || b.Pending != 5 || b.Counted != 32 || !v.CanDeclare || v.CanEdit {
			t.Errorf("balance %+v (can %v %v)", b, v.CanDeclare, v.CanEdit)
		}
		if c, _, _ := e.stored(pA, 2026); c != 32 {
			t.Errorf("stored %v", c)
		}
		// Moved credits: two linked entries, deleted together.
		out, err := e.s.AddEntry(national, EntryInput{ProfessionalID: pA, Kind: KindMoved, Credits: 12, EarnedOn: "2026-02-01", Triennium: 2026, FromTriennium: 2023, Title: "Spostamento"})
		if err != nil || len(out) != 2 || out[0].LinkedID != out[1].ID || out[1].Credits != -12 || out[1].Triennium != 2023 {
			t.Fatalf("moved: %+v %v", out, err)
		}
		if c, _, _ := e.stored(pA, 2026); c != 44 {
			t.Errorf("after move in %v", c)
		}
		if err := e.s.DeleteEntry(self, out[0].ID); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("professional deleting a certified move: %v", err)
		}
		if err := e.s.DeleteEntry(office, out[0].ID); err != nil {
			t.Fatal(err)
		}
		if n := e.count(`SELECT COUNT(*) FROM credit_entries WHERE kind = 'moved'`); n != 0 {
			t.Errorf("moved rows left: %d", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'credit_entry'`); n != 8 {
			t.Errorf("audit entries %d, want 4 creates, 2 for the move, 2 deletes", n)
		}
		// Reading: scope like the registry's.
		for _, c := range []struct {
			name string
			ctx  context.Context
			pid  int64
			code string
		}{
			{"national", national, pB, ""}, {"regional", regional, pA, ""}, {"regional B", regional, pB, domain.ENOTFOUND},
			{"office", office, pA, ""}, {"office B", office, pB, domain.ENOTFOUND}, {"self", self, pA, ""}, {"self other", self, pB, domain.ENOTFOUND},
			{"provider", e.as(domain.RoleProvider, 0, 0, 0), pA, domain.EFORBIDDEN}, {"analyst", e.as(domain.RoleAnalyst, 0, 0, 0), pA, domain.EFORBIDDEN},
			{"missing", national, 999999, domain.ENOTFOUND},
		} {
			if _, err := e.s.Balance(c.ctx, c.pid, 0); domain.ErrorCode(err) != c.code {
				t.Errorf("balance %s: %v want %q", c.name, err, c.code)
			}
		}
		if _, err := e.s.Balance(national, pA, 2029); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("unknown triennium: %v", err)
		}
		if _, err := e.s.BalanceByCF(national, "not-a-cf", 0); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("bad cf: %v", err)
		}
	})
}

func TestRecomputeAllEqualsIncremental(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		e := newEnv(t, dl, 0, 0)
		// A population built only through the incremental paths.
		w, err := BuildWorld(context.Background(), e.d, "TSTINC", 60, 0)
		if err != nil {
			t.Fatal(err)
		}
		e.w = w
		prov := e.as(domain.RoleProvider, 0, 0, 0)
		national := e.as(domain.RoleNational, 0, 0, 0)
		var pcs []ParticipationCredit
		pid := int64(1)
		for i, p := range w.Professionals {
			reg, org := e.scopeOf(i)
			for j := 0; j < 6; j++ {
				f := fixtureEntry(i, j)
				if f.Kind != KindParticipation {
					if f.Kind == KindExemption || f.EarnedOn > "2027-07-02" {
						continue
					}
					if _, err := e.s.AddEntry(national, EntryInput{ProfessionalID: p, Kind: f.Kind, Credits: f.Credits, EarnedOn: f.EarnedOn, Title: f.Title}); err != nil {
						t.Fatal(err)
					}
					continue
				}
				pcs = append(pcs, ParticipationCredit{ParticipationID: pid, ProfessionalID: p, RegionID: reg, OrganisationID: org, Role: f.Role,
					Credits: f.Credits, EarnedOn: f.EarnedOn, Certified: f.Status == StatusCertified, Title: f.Title})
				pid++
			}
		}
		// In three reports, so balances are recomputed several times.
		for k := 0; k < 3; k++ {
			if _, err := e.post(prov, pcs[k*len(pcs)/3:(k+1)*len(pcs)/3]); err != nil {
				t.Fatal(err)
			}
		}
		incr, err := e.s.storedBalances(context.Background(), e.d.Read)
		if err != nil {
			t.Fatal(err)
		}
		if len(incr) < 60 {
			t.Fatalf("only %d balances", len(incr))
		}
		if _, err := e.d.Write.Exec(`DELETE FROM credit_balances`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.RecomputeAll(e.as(domain.RoleRegional, 90, 0, 0), nil); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("regional recompute: %v", err)
		}
		res, err := e.s.RecomputeAll(national, nil)
		if err != nil {
			t.Fatal(err)
		}
		full, err := e.s.storedBalances(context.Background(), e.d.Read)
		if err != nil {
			t.Fatal(err)
		}
		if int(res.Balances) != len(full) || len(full) != len(incr) {
			t.Fatalf("recompute wrote %d (%d stored), incremental %d", res.Balances, len(full), len(incr))
		}
		for k, v := range incr {
			if full[k] != v {
				t.Errorf("%s: incremental %s, recompute %s", k, v, full[k])
			}
		}
	})
}

func TestCompliance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		e := newEnv(t, dl, 200, 8)
		national := e.as(domain.RoleNational, 0, 0, 0)
		if _, err := e.s.RecomputeAll(national, nil); err != nil {
			t.Fatal(err)
		}
		// Expected counts straight from the balances computed in Go.
		type cnt struct{ n, comp, on int }
		byOrg := map[int64]*cnt{}
		rules := e.s.Rules()
		for i, p := range e.w.Professionals {
			reg, org := e.scopeOf(i)
			if reg != e.w.RegionA {
				continue
			}
			var es []Entry
			for j := 0; j < 8; j++ {
				es = append(es, fixtureEntry(i, j))
			}
			bs := balancesOf(rules, es, nil, mid2027)
			var b Balance
			for _, x := range bs {
				if x.Triennium == 2026 {
					b = x
				}
			}
			_ = p
			c := byOrg[org]
			if c == nil {
				c = &cnt{}
				byOrg[org] = c
			}
			c.n++
			if b.Compliant {
				c.comp++
			} else if b.OnTrack {
				c.on++
			}
		}
		v, err := e.s.Compliance(e.as(domain.RoleRegional, e.w.RegionA, 0, 0), ComplianceQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if v.Scope != "region" || v.Triennium != 2026 || v.UnitKind != "organisation" {
			t.Fatalf("view %+v", v)
		}
		total := 0
		for _, g := range v.ByUnit {
			want := byOrg[g.Key]
			if want == nil {
				t.Fatalf("unexpected group %+v", g)
			}
			total += want.n
			if g.Suppressed {
				continue
			}
			if g.Professionals != want.n || g.Compliant != want.comp || g.OnTrack != want.on || g.Behind != want.n-want.comp-want.on {
				t.Errorf("org %d: %+v, want %+v", g.Key, g, *want)
			}
		}
		if v.Total.Professionals != total || len(v.ByUnit) != len(byOrg) {
			t.Errorf("total %d want %d; groups %d want %d", v.Total.Professionals, total, len(v.ByUnit), len(byOrg))
		}
		// Office: own organisation only, by profession.
		ov, err := e.s.Compliance(e.as(domain.RoleOrganisation, e.w.RegionA, e.w.OrgBig, 0), ComplianceQuery{})
		if err != nil || ov.Total.Professionals != byOrg[e.w.OrgBig].n || len(ov.ByProfession) != 2 {
			t.Errorf("office view %+v %v", ov, err)
		}
		if _, err := e.s.Compliance(e.as(domain.RoleOrganisation, e.w.RegionA, e.w.OrgBig, 0), ComplianceQuery{OrganisationID: e.w.OrgB}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("office other org: %v", err)
		}
		if _, err := e.s.Compliance(e.as(domain.RoleRegional, e.w.RegionA, 0, 0), ComplianceQuery{OrganisationID: e.w.OrgB}); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Errorf("regional other region's org: %v", err)
		}
		for _, r := range []domain.Role{domain.RoleProvider, domain.RoleProfessional} {
			if _, err := e.s.Compliance(e.as(r, e.w.RegionA, 0, e.w.Professionals[0]), ComplianceQuery{}); domain.ErrorCode(err) != domain.EFORBIDDEN {
				t.Errorf("%s: %v", r, err)
			}
		}
		nv, err := e.s.Compliance(e.as(domain.RoleAnalyst, 0, 0, 0), ComplianceQuery{})
		if err != nil || nv.Scope != "national" || nv.Total.Professionals != 200 || len(nv.ByUnit) != 2 {
			t.Errorf("national %+v %v", nv, err)
		}
	})
}

func TestSuppression(t *testing.T) {
	gs := suppress([]Group{{Key: 1, Label: "a", Professionals: 3, Compliant: 1}, {Key: 2, Label: "b", Professionals: 40}, {Key: 3, Label: "c", Professionals: 7, Compliant: 7}})
	if !gs[0].Suppressed || gs[0].Professionals != 0 || gs[0].Compliant != 0 {
		t.Errorf("small group shown: %+v", gs[0])
	}
	if !gs[2].Suppressed {
		t.Errorf("a lone suppressed group must take the next smallest with it: %+v", gs)
	}
	if gs[1].Suppressed || gs[1].Professionals != 40 {
		t.Errorf("large group hidden: %+v", gs[1])
	}
	gs = suppress([]Group{{Key: 1, Professionals: 3}, {Key: 2, Professionals: 2}, {Key: 3, Professionals: 9}})
	if gs[2].Suppressed {
		t.Error("two suppressed groups already hide each other")
	}
}

func TestPublishRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		e := newEnv(t, dl, 10, 4)
		national := e.as(domain.RoleNational, 0, 0, 0)
		js := strings.Replace(string(embeddedRules), `"version": "2026.1"`, `"version": "2026.2"`, 1)
		js = strings.Replace(js, `"obligation": 150, "annual_limits": false,
     "source": "domain.md §3.5: Delibera 1/2025`, `"obligation": 120, "annual_limits": false,
     "source": "domain.md §3.5: Delibera 1/2025`, 1)
		if _, err := e.s.PublishRules(e.as(domain.RoleRegional, 90, 0, 0), []byte(js)); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("regional publish: %v", err)
		}
		if _, err := e.s.PublishRules(national, []byte(`{"version": "x"}`)); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("invalid rules: %v", err)
		}
		if _, err := e.s.PublishRules(national, embeddedRules); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("same version: %v", err)
		}
		if _, err := e.s.PublishRules(national, []byte(js)); err != nil {
			t.Fatal(err)
		}
		var ob float64
		var ver string
		if err := e.d.Read.QueryRow(`SELECT obligation, rules_version FROM credit_balances WHERE triennium = 2026 LIMIT 1`).Scan(&ob, &ver); err != nil || ob != 120 || ver != "2026.2" {
			t.Errorf("after publish: %v %s %v", ob, ver, err)
		}
		// A new service loads the newest version.
		s2 := New(e.d, nil, nil)
		if err := s2.EnsureRules(e.sys); err != nil || s2.Rules().Version != "2026.2" {
			t.Errorf("reload: %s %v", s2.Rules().Version, err)
		}
	})
}

func TestPostTenThousand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		if testing.Short() {
			t.Skip("short")
		}
		e := newEnv(t, dl, 10_000, 3)
		pcs := make([]ParticipationCredit, len(e.w.Professionals))
		for i, p := range e.w.Professionals {
			reg, org := e.scopeOf(i)
			pcs[i] = ParticipationCredit{ParticipationID: int64(i + 1), ProfessionalID: p, RegionID: reg, OrganisationID: org, Role: "P", Credits: 8,
				EarnedOn: "2026-10-10", Certified: true, Title: "Convegno"}
		}
		start := time.Now()
		res, err := e.post(e.as(domain.RoleProvider, 0, 0, 0), pcs)
		if err != nil || res.Inserted != 10_000 {
			t.Fatal(res, err)
		}
		el := time.Since(start)
		t.Logf("10,000 participations posted with their balances in %v (%s)", el, dl)
		if n := e.count(`SELECT COUNT(*) FROM credit_balances`); n < 10_000 {
			t.Errorf("balances %d", n)
		}
	})
}

// Two writers recomputing one professional's balance at the same time, in the order of a
// registry move (it updates the professional's row, then refreshes the balance) racing a
// report import (it inserts ledger entries referring to the professional, then recomputes):
// on PostgreSQL, under read committed, the second waits for the first — no primary-key
// failure, no deadlock — and the stored balance counts every credit.
func TestConcurrentRecomputesOfOneProfessional(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dl db.Dialect) {
		e := newEnv(t, dl, 2, 0)
		ctx := e.as(domain.RoleProvider, e.w.RegionA, 0, 0)
		p := e.w.Professionals[0]
		reg, org := e.scopeOf(0)
		pc := func(id int64) []ParticipationCredit {
			return []ParticipationCredit{{ParticipationID: id, ProfessionalID: p, RegionID: reg, OrganisationID: org, EventID: 7,
				Role: "P", Credits: 40, EarnedOn: "2026-03-10", Certified: true, Title: "Telemedicina"}}
		}
		if _, err := e.post(ctx, pc(1)); err != nil {
			t.Fatal(err)
		}
		for round, first := range []string{"move", "import"} {
			second := make(chan error, 1)
			err := e.d.Tx(ctx, func(tx *sql.Tx) error {
				if first == "move" {
					if _, err := tx.ExecContext(ctx, `UPDATE professionals SET updated_at = $1 WHERE id = $2`, time.Now().UTC(), p); err != nil {
						return err
					}
				} else if _, err := e.s.post(ctx, tx, pc(int64(10+round))); err != nil {
					return err
				}
				go func() {
					_, err := e.post(ctx, pc(int64(20+round)))
					second <- err
				}()
				// Give the other writer the time to insert its entries and reach its recompute
				// while this transaction holds its locks.
				time.Sleep(300 * time.Millisecond)
				return e.s.RefreshBalances(ctx, tx, []int64{p})
			})
			if err != nil {
				t.Fatalf("%s first: the first writer: %v", first, err)
			}
			if err := <-second; err != nil {
				t.Fatalf("%s first: the second writer: %v", first, err)
			}
		}
		// 1 + move round (1) + import round (2) = 4 participations of 40.
		if c, _, _ := e.stored(p, 2026); c != 160 {
			t.Errorf("stored balance counts %v credits, want 160 (four participations of 40)", c)
		}
	})
}
