package certificate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/pdfdoc/pdftest"
)

// world is the fixture: two regions, an ASL in each, two providers, professionals in each
// ASL, one accredited event per provider with an edition, and participations.
type world struct {
	db                        *db.DB
	tos, lom                  int64 // regions
	aslTos, aslLom            int64
	provA, provB              int64
	nicolo, other             int64 // professionals (Toscana ASL, Lombardia ASL)
	evA, edA, evB, edB        int64
	partNicolo, partOther     int64 // completed, in event A
	partNicoloB, partEnrolled int64 // completed in event B; enrolled only (event A)
}

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Write.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func newWorld(t *testing.T, dialect db.Dialect) *world {
	d := dbtest.Open(t, dialect)
	w := &world{db: d, tos: 90, lom: 30}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	exec(t, d, `INSERT INTO regions (id, istat_code, minsal_code, iso_code, name) VALUES (90, '09', '090', 'IT-52', 'Toscana'), (30, '03', '030', 'IT-25', 'Lombardia')`)
	exec(t, d, `INSERT INTO ecm_objectives (list_version, code, national, category, name) VALUES (3, 17, TRUE, 'sistema', 'Argomenti di carattere generale: sanità digitale')`)
	exec(t, d, `INSERT INTO credit_rule_sets (version, title, source, valid_from, rules_json, created_at) VALUES ('2019', 'r', 's', '2019-01-01', '{}', $1)`, now)
	org := func(id int64, kind, code, name string, region int64) {
		exec(t, d, `INSERT INTO organisations (id, kind, code, name, search_name, region_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			id, kind, code, name, strings.ToLower(name), region, now)
	}
	w.aslTos, w.aslLom, w.provA, w.provB = 1, 2, 3, 4
	org(1, "asl", "090201", "AZIENDA USL TOSCANA CENTRO", 90)
	org(2, "asl", "030321", "ATS MILANO", 30)
	org(3, "provider", "TOS-01", "Formazione Sanità Toscana S.r.l.", 90)
	org(4, "provider", "LOM-02", "Provider Lombardo", 30)
	prof := func(id int64, cf, given, family string, region, o int64) {
		exec(t, d, `INSERT INTO professionals (id, cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment, care_setting, created_at, updated_at)
			VALUES ($1, $2, $2, $3, $4, $5, $6, $7, 'dipendente', 'ospedale', $8, $8)`, id, cf, given, family, strings.ToLower(family+" "+given), region, o, now)
	}
	w.nicolo, w.other = 10, 11
	prof(10, "DLSNCL80A01D612X", "Nicolò", "D’Alessandro", 90, 1)
	prof(11, "RSSMRA75B41F205Y", "Maria", "Rossi", 30, 2)
	event := func(id, provider int64, code, title string) {
		exec(t, d, `INSERT INTO events (id, provider_id, code, title, type, subtype, hours, participants, objective_code, credits, computed_credits, rule_set, state,
			first_start, last_end, change_seq, created_at, updated_at) VALUES ($1, $2, $3, $4, 'RES', 1, 8, 50, 17, 8, 8, '2019', 'closed', '2026-03-02', '2026-03-03', 1, $5, $5)`,
			id, provider, code, title, now)
	}
	w.evA, w.evB, w.edA, w.edB = 20, 21, 30, 31
	event(20, 3, "TOS-26-001", "Sanità digitale e telemedicina: la televisita nell’ASL")
	event(21, 4, "LOM-26-007", "Fascicolo sanitario elettronico 2.0")
	exec(t, d, `INSERT INTO event_editions (id, event_id, number, start_date, end_date) VALUES (30, 20, 1, '2026-03-02', '2026-03-03'), (31, 21, 2, '2026-04-10', '2026-04-10')`)
	part := func(id, edition, event, prof, region, o int64, state, role string, credits float64) {
		exec(t, d, `INSERT INTO participations (id, edition_id, event_id, professional_id, region_id, organisation_id, state, role, credits, completed_on, source, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '2026-03-03', 'report', $10, $10)`, id, edition, event, prof, region, o, state, role, credits, now)
	}
	w.partNicolo, w.partOther, w.partNicoloB, w.partEnrolled = 40, 41, 42, 43
	part(40, 30, 20, 10, 90, 1, "completed", "P", 8)
	part(41, 30, 20, 11, 30, 2, "completed", "D", 12.5)
	part(42, 31, 21, 10, 90, 1, "completed", "R", 4)
	exec(t, d, `INSERT INTO professionals (id, cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment, care_setting, created_at, updated_at)
		VALUES (12, 'BNCLCU90C03H501Z', 'BNCLCU90C03H501Z', 'Luca', 'Bianchi', 'bianchi luca', 90, 1, 'dipendente', 'ospedale', $1, $1)`, now)
	part(43, 30, 20, 12, 90, 1, "enrolled", "P", 0)
	return w
}

func as(a domain.Actor) context.Context {
	if a.Username == "" {
		a.Username = string(a.Role) + ".user"
	}
	return domain.WithActor(context.Background(), a)
}

var (
	national = domain.Actor{Role: domain.RoleNational, UserID: 1}
	system   = domain.SystemActor
)

func TestIssueIdempotentReissueRevokeVerify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		w := newWorld(t, dialect)
		s := New(w.db, "https://esd.example.it/")
		me := as(domain.Actor{Role: domain.RoleProfessional, ProfessionalID: w.nicolo, RegionID: w.tos})
		c, err := s.Issue(me, w.partNicolo)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ParseCode(c.Code); !ok || len(c.Code) != 16 {
			t.Fatalf("code %q is not a valid printed code", c.Code)
		}
		st := c.Statement
		if st.GivenName != "Nicolò" || st.FamilyName != "D’Alessandro" || st.CF != "DLSNCL80A01D612X" || st.Credits != 8 || st.Role != "P" ||
			st.EventCode != "TOS-26-001" || st.StartDate != "2026-03-02" || st.ProviderName != "Formazione Sanità Toscana S.r.l." ||
			st.ObjectiveName != "Argomenti di carattere generale: sanità digitale" || st.EditionNumber != 1 {
			t.Fatalf("statement %+v", st)
		}
		// idempotent
		again, err := s.Issue(as(national), w.partNicolo)
		if err != nil || again.ID != c.ID || again.Code != c.Code {
			t.Fatalf("second issue: %+v %v, want the same certificate %d", again, err, c.ID)
		}
		// not completed
		if _, err := s.Issue(as(national), w.partEnrolled); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("issue for an enrolment: %v, want ECONFLICT", err)
		}
		if _, err := s.Issue(as(national), 9999); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("issue for nothing: %v", err)
		}
		// the credits change: the old certificate is revoked with the reason, a new one issued
		exec(t, w.db, `UPDATE participations SET credits = 6.5, role = 'T' WHERE id = $1`, w.partNicolo)
		c2, err := s.Issue(me, w.partNicolo)
		if err != nil {
			t.Fatal(err)
		}
		if c2.ID == c.ID || c2.Code == c.Code || c2.Statement.Credits != 6.5 || c2.Statement.Role != "T" {
			t.Fatalf("re-issue after a change: %+v", c2)
		}
		all, err := s.ForParticipation(me, w.partNicolo)
		if err != nil || len(all) != 2 || all[0].ID != c2.ID || all[1].RevokedAt == nil || !strings.Contains(all[1].RevokeReason, "crediti modificati") ||
			!strings.Contains(all[1].RevokeReason, "ruolo modificato") {
			t.Fatalf("certificates of the participation: %+v %v", all, err)
		}
		// verification: the old code is revoked, the new one valid; the lower-case, dash-less
		// typed form with O for 0 works
		v, err := s.Verify(context.Background(), c.Code)
		if err != nil || v.Valid || v.RevokedAt == nil || !strings.Contains(v.RevokeReason, "crediti") || v.Credits != 8 {
			t.Fatalf("verify the replaced code: %+v %v", v, err)
		}
		typed := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(c2.Code, "-", ""), "0", "o"))
		v, err = s.Verify(context.Background(), typed)
		if err != nil || !v.Valid || v.GivenName != "Nicolò" || v.Credits != 6.5 || v.Role != "T" || v.ProviderName == "" {
			t.Fatalf("verify %q: %+v %v", typed, v, err)
		}
		// what Verify returns states nothing the certificate does not, and never the codice fiscale
		b, _ := json.Marshal(v)
		if strings.Contains(string(b), "DLSNCL") || strings.Contains(string(b), "professional_id") {
			t.Fatalf("verification leaks: %s", b)
		}
		// a mistyped character is caught by the check character; an unknown code is not found
		bad := []byte(strings.ReplaceAll(c2.Code, "-", ""))
		if bad[3] == 'A' {
			bad[3] = 'B'
		} else {
			bad[3] = 'A'
		}
		for _, code := range []string{string(bad), "", "ABCD", strings.Repeat("Z", 13), NewCode()} {
			if _, err := s.Verify(context.Background(), code); domain.ErrorCode(err) != domain.ENOTFOUND {
				t.Errorf("verify %q: %v, want ENOTFOUND", code, err)
			}
		}
		// revoke: the provider of the event with a reason
		prov := as(domain.Actor{Role: domain.RoleProvider, OrganisationID: w.provA})
		if _, err := s.Revoke(prov, c2.ID, "  "); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("revoke without reason: %v", err)
		}
		r, err := s.Revoke(prov, c2.ID, "Presenza non confermata dal registro firme")
		if err != nil || r.RevokedAt == nil {
			t.Fatalf("revoke: %+v %v", r, err)
		}
		if _, err := s.Revoke(prov, c2.ID, "again"); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Fatalf("second revoke: %v", err)
		}
		if v, _ := s.Verify(context.Background(), c2.Code); v.Valid || v.RevokeReason != "Presenza non confermata dal registro firme" {
			t.Fatalf("verify after revoke: %+v", v)
		}
		// with no live certificate, Issue issues a fresh one
		c3, err := s.Issue(prov, w.partNicolo)
		if err != nil || c3.ID == c2.ID || !c3.Valid() {
			t.Fatalf("issue after revoke: %+v %v", c3, err)
		}
		// every issue and revoke is audited: 3 issues, 1 revoke by re-issue, 1 explicit revoke
		var issues, revokes int
		w.db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'certificate' AND action = 'issue'`).Scan(&issues)
		w.db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'certificate' AND action = 'revoke'`).Scan(&revokes)
		if issues != 3 || revokes != 2 {
			t.Fatalf("audit: %d issues, %d revokes; want 3 and 2", issues, revokes)
		}
		var leaks int
		w.db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'certificate' AND (after_json LIKE '%DLSNCL%' OR before_json LIKE '%DLSNCL%')`).Scan(&leaks)
		if leaks != 0 {
			t.Fatal("the audit trail holds the codice fiscale")
		}
	})
}

func TestPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		w := newWorld(t, dialect)
		s := New(w.db, "")
		cert, err := s.Issue(as(system), w.partNicolo) // Nicolò, Toscana ASL, provider A
		if err != nil {
			t.Fatal(err)
		}
		certB, err := s.Issue(as(system), w.partNicoloB) // Nicolò, provider B
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name        string
			a           domain.Actor
			see, revoke string // "" ok, else the error code
			list        int    // certificates of Nicolò listed (-1: error)
		}{
			{"national", national, "", "", 2},
			{"own region", domain.Actor{Role: domain.RoleRegional, RegionID: w.tos}, "", "", 2},
			{"other region", domain.Actor{Role: domain.RoleRegional, RegionID: w.lom}, domain.ENOTFOUND, domain.ENOTFOUND, -1},
			{"own organisation", domain.Actor{Role: domain.RoleOrganisation, OrganisationID: w.aslTos, RegionID: w.tos}, "", domain.EFORBIDDEN, 2},
			{"other organisation", domain.Actor{Role: domain.RoleOrganisation, OrganisationID: w.aslLom, RegionID: w.lom}, domain.ENOTFOUND, domain.ENOTFOUND, -1},
			{"the event's provider", domain.Actor{Role: domain.RoleProvider, OrganisationID: w.provA}, "", "", 1},
			{"another provider", domain.Actor{Role: domain.RoleProvider, OrganisationID: w.provB}, domain.ENOTFOUND, domain.ENOTFOUND, 1},
			{"the professional", domain.Actor{Role: domain.RoleProfessional, ProfessionalID: w.nicolo}, "", domain.EFORBIDDEN, 2},
			{"another professional", domain.Actor{Role: domain.RoleProfessional, ProfessionalID: w.other}, domain.ENOTFOUND, domain.ENOTFOUND, -1},
			{"analyst", domain.Actor{Role: domain.RoleAnalyst}, domain.EFORBIDDEN, domain.EFORBIDDEN, -1},
			{"nobody", domain.Actor{}, domain.EUNAUTHORIZED, domain.EUNAUTHORIZED, -1},
		}
		for _, tc := range cases {
			ctx := domain.WithActor(context.Background(), tc.a)
			_, err := s.Get(ctx, cert.ID)
			if domain.ErrorCode(err) != tc.see && !(tc.see == "" && err == nil) {
				t.Errorf("%s: Get: %v, want %q", tc.name, err, tc.see)
			}
			_, _, err = s.PDF(ctx, cert.ID)
			if domain.ErrorCode(err) != tc.see && !(tc.see == "" && err == nil) {
				t.Errorf("%s: PDF: %v, want %q", tc.name, err, tc.see)
			}
			_, err = s.Issue(ctx, w.partNicolo)
			if domain.ErrorCode(err) != tc.see && !(tc.see == "" && err == nil) {
				t.Errorf("%s: Issue: %v, want %q", tc.name, err, tc.see)
			}
			_, err = s.ForParticipation(ctx, w.partNicolo)
			if domain.ErrorCode(err) != tc.see && !(tc.see == "" && err == nil) {
				t.Errorf("%s: ForParticipation: %v, want %q", tc.name, err, tc.see)
			}
			list, err := s.List(ctx, w.nicolo)
			live := 0
			for _, c := range list {
				if c.Valid() {
					live++
				}
			}
			if tc.list < 0 && err == nil || tc.list >= 0 && (err != nil || live != tc.list) {
				t.Errorf("%s: List: %d live %v, want %d", tc.name, live, err, tc.list)
			}
			// the revoke check uses B's certificate for everyone but the provider A
			target := certB.ID
			if tc.a.Role == domain.RoleProvider && tc.a.OrganisationID == w.provA {
				target = cert.ID
			}
			if tc.a.Role == domain.RoleProvider && tc.a.OrganisationID == w.provB {
				target = cert.ID // another provider's certificate
			}
			_, err = s.Revoke(ctx, target, "test")
			if domain.ErrorCode(err) != tc.revoke && !(tc.revoke == "" && err == nil) {
				t.Errorf("%s: Revoke: %v, want %q", tc.name, err, tc.revoke)
			}
			if err == nil { // put a live certificate back for the next actor
				if _, err := s.Issue(as(system), w.partNicolo); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Issue(as(system), w.partNicoloB); err != nil {
					t.Fatal(err)
				}
				cs, _ := s.ForParticipation(as(system), w.partNicolo)
				cert = cs[0]
				cs, _ = s.ForParticipation(as(system), w.partNicoloB)
				certB = cs[0]
			}
		}
		// Verify needs no actor at all
		if v, err := s.Verify(context.Background(), cert.Code); err != nil || !v.Valid {
			t.Fatalf("anonymous verify: %+v %v", v, err)
		}
	})
}

func TestPDFText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		w := newWorld(t, dialect)
		s := New(w.db, "https://esd.example.it")
		c, err := s.Issue(as(system), w.partOther) // Maria Rossi, docente, 12.5 credits
		if err != nil {
			t.Fatal(err)
		}
		exec(t, w.db, `UPDATE certificates SET snapshot_json = REPLACE(snapshot_json, '"Maria"', '"Nicolò Sanità"') WHERE id = $1`, c.ID)
		pdf, name, err := s.PDF(as(national), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(name, ".pdf") || !strings.Contains(name, c.Code) {
			t.Fatalf("file name %q", name)
		}
		txt := pdftest.Flat(pdftest.Text(t, pdf))
		for _, want := range []string{"Attestato di partecipazione", "Nicolò Sanità Rossi", "RSSMRA75B41F205Y", "Sanità digitale e telemedicina: la televisita nell’ASL",
			"TOS-26-001", "dal 02/03/2026 al 03/03/2026", "RES – formazione residenziale", "docente", "12,5", "03/03/2026",
			"Formazione Sanità Toscana S.r.l. (TOS-01)", "17 – Argomenti di carattere generale: sanità digitale", c.Code,
			"https://esd.example.it/verifica/" + c.Code, "Pagina 1 di 1"} {
			if !strings.Contains(txt, want) {
				t.Errorf("certificate PDF lacks %q:\n%s", want, txt)
			}
		}
		if _, err := s.Revoke(as(national), c.ID, "Errore del provider: ruolo"); err != nil {
			t.Fatal(err)
		}
		pdf, _, err = s.PDF(WithLanguage(as(national), "en"), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		txt = pdftest.Flat(pdftest.Text(t, pdf))
		for _, want := range []string{"Certificate of attendance", "CERTIFICATE REVOKED", "Errore del provider: ruolo", "teacher", "Page 1 of 1"} {
			if !strings.Contains(txt, want) {
				t.Errorf("English revoked PDF lacks %q", want)
			}
		}
		if testing.Verbose() {
			pdf, _, _ := s.PDF(as(national), c.ID)
			_ = writeFile(fmt.Sprintf("/tmp/cert_attestato_%s.pdf", dialect), pdf)
		}
	})
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	swaps, missed := 0, 0
	for i := 0; i < 2000; i++ {
		c := NewCode()
		if seen[c] {
			t.Fatalf("duplicate code %s", c)
		}
		seen[c] = true
		canon, ok := ParseCode(FormatCode(c))
		if !ok || canon != c {
			t.Fatalf("round trip %s → %s %v", c, canon, ok)
		}
		// every single-character change is caught, and nearly every swap of neighbours
		for p := 0; p < len(c); p++ {
			for _, r := range crockford {
				if byte(r) == c[p] {
					continue
				}
				m := c[:p] + string(r) + c[p+1:]
				if _, ok := ParseCode(m); ok {
					t.Fatalf("%s with position %d changed (%s) still parses", c, p, m)
				}
			}
			if p+1 < codeLen && c[p] != c[p+1] {
				swaps++
				m := c[:p] + string(c[p+1]) + string(c[p]) + c[p+2:]
				if _, ok := ParseCode(m); ok {
					missed++
				}
			}
		}
	}
	if swaps == 0 || float64(missed)/float64(swaps) > 0.05 {
		t.Fatalf("%d of %d neighbour swaps undetected", missed, swaps)
	}
	t.Logf("%d of %d neighbour swaps undetected", missed, swaps)
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
