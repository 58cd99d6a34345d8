package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/pdfdoc/pdftest"
)

// The certificates in the permission matrix. On each side a completed participation of the
// side's professional in the side's provider's published event, with a certificate issued.
// Reading follows the participation's scope (national all, the region, the organisation's
// staff, the professional, the event's provider); revoking is the provider's, the region's
// and national governance's. The public verification page and API need no login and are
// checked by TestCertificateMatrix, which also runs these cases alone.

const certCasePrefix = "certificate "

func init() {
	lateWorldHooks = append(lateWorldHooks, func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		d := w.Env.M.DB
		now := time.Now().UTC()
		for _, side := range []string{"A", "B"} {
			ev := w.ID(t, "event."+side)
			var ed int64
			if err := d.Read.QueryRowContext(ctx, `SELECT id FROM event_editions WHERE event_id = $1 ORDER BY number LIMIT 1`, ev).Scan(&ed); err != nil {
				t.Fatalf("certificate world: edition of %d: %v", ev, err)
			}
			var pid int64
			if err := d.Write.QueryRowContext(ctx, `INSERT INTO participations (edition_id, event_id, professional_id, region_id, organisation_id, state, role, credits,
				completed_on, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'completed', 'P', 6, $6, 'provider', $7, $7) RETURNING id`,
				ed, ev, w.ID(t, "professional."+side), sideRegion(w, side), w.ID(t, "org."+side), now.Format("2006-01-02"), now).Scan(&pid); err != nil {
				t.Fatalf("certificate world: participation: %v", err)
			}
			c, err := w.Env.M.Certificates.Issue(ctx, pid)
			if err != nil {
				t.Fatalf("certificate world: issue: %v", err)
			}
			w.IDs["participation."+side], w.IDs["cert."+side] = pid, c.ID
			if side == "B" {
				w.Markers = append(w.Markers, c.Code)
			}
		}
	})

	// unrevoke puts the side's certificate back as the live one before a revoke request.
	unrevoke := func(w *World, side string) {
		d := w.Env.M.DB
		ctx := w.Env.Sys()
		id, part := w.IDs["cert."+side], w.IDs["participation."+side]
		if _, err := d.Write.ExecContext(ctx, `DELETE FROM certificates WHERE participation_id = $1 AND id <> $2`, part, id); err != nil {
			panic(err)
		}
		if _, err := d.Write.ExecContext(ctx, `UPDATE certificates SET revoked_at = NULL, revoke_reason = '', revoked_by = '' WHERE id = $1`, id); err != nil {
			panic(err)
		}
	}
	see := inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider, domain.RoleProfessional)
	revoke := inScope(domain.RoleRegional, domain.RoleProvider)
	// A provider lists a professional's certificates of its own events only: on side B that is
	// an empty list, so allowed, and the markers check proves nothing of B shows.
	list := func(r domain.Role, side string) bool {
		return r == domain.RoleProvider || see(r, side)
	}
	cases = append(cases,
		Case{Name: certCasePrefix + "my list page", Method: "GET", Path: "/certificates", Allow: everyone},
		Case{Name: certCasePrefix + "professional's list page", Method: "GET", Path: "/professionals/{professional}/certificates", Allow: list},
		Case{Name: certCasePrefix + "detail page", Method: "GET", Path: "/certificates/{cert}", Allow: see},
		Case{Name: certCasePrefix + "pdf download", Method: "GET", Path: "/certificates/{cert}/pdf", Allow: see},
		Case{Name: certCasePrefix + "api", Method: "GET", Path: "/api/v1/certificates/{cert}", Allow: see},
		Case{Name: certCasePrefix + "pdf api", Method: "GET", Path: "/api/v1/certificates/{cert}/pdf", Allow: see},
		Case{Name: certCasePrefix + "issue api", Method: "POST", Path: "/api/v1/participations/{participation}/certificate", JSON: func(*World, string) any { return nil }, Allow: see},
		Case{Name: certCasePrefix + "issue form", Method: "POST", Path: "/participations/{participation}/certificate", Form: func(*World, string) url.Values { return url.Values{} }, Allow: see},
		Case{Name: certCasePrefix + "revoke api", Method: "POST", Path: "/api/v1/certificates/{cert}/revoke", JSON: func(w *World, side string) any {
			unrevoke(w, side)
			return map[string]string{"reason": "Prova della matrice"}
		}, Allow: revoke},
		Case{Name: certCasePrefix + "revoke form", Method: "POST", Path: "/certificates/{cert}/revoke", Form: func(w *World, side string) url.Values {
			unrevoke(w, side)
			return url.Values{"reason": {"Prova della matrice"}}
		}, Allow: revoke},
	)
}

// TestCertificateMatrix runs the certificate rows of the matrix alone, then the public pages
// without login, then what the verification shows, and the PDF read back.
func TestCertificateMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		anon := w.Env.Client()
		n := runCases(t, w, certCasePrefix, nil)
		if n != 10 {
			t.Fatalf("%d certificate cases, want 10", n)
		}

		// Public: no login for the form, a known code, an unknown one, the API.
		svc := w.Env.M.Certificates
		sys := w.Env.Sys()
		unrevokeSQL := func(side string) {
			if _, err := w.Env.M.DB.Write.ExecContext(sys, `DELETE FROM certificates WHERE participation_id = $1 AND id <> $2`, w.IDs["participation."+side], w.IDs["cert."+side]); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Env.M.DB.Write.ExecContext(sys, `UPDATE certificates SET revoked_at = NULL WHERE id = $1`, w.IDs["cert."+side]); err != nil {
				t.Fatal(err)
			}
		}
		unrevokeSQL("A")
		cert, err := svc.Get(sys, w.IDs["cert.A"])
		if err != nil {
			t.Fatal(err)
		}
		if res := anon.Get("/verifica"); res.Status != 200 || !strings.Contains(res.Body, `name="code"`) || !strings.Contains(res.Body, "Verifica di un attestato") {
			t.Fatalf("/verifica without login: %d %.300s", res.Status, res.Body)
		}
		if res := anon.Get("/verifica?code=" + url.QueryEscape(strings.ToLower(cert.Code))); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/verifica/") {
			t.Fatalf("the form redirects to the code's page: %d %s", res.Status, res.Header.Get("Location"))
		}
		page := anon.Get("/verifica/" + cert.Code)
		st := cert.Statement
		if page.Status != 200 || !strings.Contains(page.Body, "Attestato valido") || !strings.Contains(page.Body, st.GivenName+" "+st.FamilyName) ||
			!strings.Contains(page.Body, st.EventTitle) || !strings.Contains(page.Body, st.ProviderName) {
			t.Fatalf("verification page: %d %.2000s", page.Status, page.Body)
		}
		// No more than the certificate states: not the codice fiscale, not the professional's
		// organisation, e-mail or record link, not the event's internal id.
		var org string
		w.Env.M.DB.Read.QueryRowContext(sys, `SELECT name FROM organisations WHERE id = $1`, w.IDs["org.A"]).Scan(&org)
		for _, leak := range []string{st.CF, strings.ToLower(st.CF), org, fmt.Sprintf("/professionals/%d", cert.ProfessionalID), fmt.Sprintf("/events/%d", cert.EventID),
			fmt.Sprintf("/certificates/%d", cert.ID), "Digital Persona"} {
			if leak != "" && strings.Contains(page.Body, leak) {
				t.Errorf("the public verification page shows %q", leak)
			}
		}
		if en := w.Env.Client().Get("/verifica/" + cert.Code + "?lang=en"); en.Status != 200 || !strings.Contains(en.Body, "Valid certificate") || !strings.Contains(en.Body, "participant") {
			t.Errorf("English verification page: %d %.600s", en.Status, en.Body)
		}
		api := anon.Get("/api/v1/verify/" + strings.ReplaceAll(cert.Code, "-", ""))
		var fields map[string]any
		api.JSON(t, &fields)
		var keys []string
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want := "code,completed_on,credits,end_date,event_code,event_title,family_name,given_name,issued_at,provider_name,role,start_date,valid"
		if strings.Join(keys, ",") != want || fields["valid"] != true {
			t.Errorf("public verify API fields: %s (%v), want %s", strings.Join(keys, ","), fields, want)
		}
		for _, code := range []string{"ABCD-EFGH-JKMN-P", "nonesiste", strings.Repeat("0", 13)} {
			if res := anon.Get("/verifica/" + code); res.Status != 404 || !strings.Contains(res.Body, "Nessun attestato corrisponde") || !strings.Contains(res.Body, `name="code"`) {
				t.Errorf("unknown code %s: %d %.300s", code, res.Status, res.Body)
			}
			if res := anon.Get("/api/v1/verify/" + code); res.Status != 404 {
				t.Errorf("unknown code api %s: %d", code, res.Status)
			}
		}
		// Revoked: the page says so, with date and reason.
		prov := w.Clients[domain.RoleProvider]
		if res := prov.SendJSON("POST", fmt.Sprintf("/api/v1/certificates/%d/revoke", cert.ID), map[string]string{"reason": "Attestato emesso per errore"}); res.Status != 200 {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		page = anon.Get("/verifica/" + cert.Code)
		if page.Status != 200 || !strings.Contains(page.Body, "Attestato revocato il "+time.Now().UTC().Format("02/01/2006")) || !strings.Contains(page.Body, "Attestato emesso per errore") {
			t.Fatalf("revoked verification page: %d %.1500s", page.Status, page.Body)
		}

		// An accented name: the changed participation gets a new certificate, its PDF reads
		// back with the name as written and the verification URL of the request's host.
		if _, err := w.Env.M.DB.Write.ExecContext(sys, `UPDATE professionals SET given_name = 'Nicolò' WHERE id = $1`, w.IDs["professional.A"]); err != nil {
			t.Fatal(err)
		}
		pro := w.Clients[domain.RoleProfessional]
		res := pro.SendJSON("POST", fmt.Sprintf("/api/v1/participations/%d/certificate", w.IDs["participation.A"]), nil)
		var issued struct {
			ID   int64  `json:"id"`
			Code string `json:"code"`
		}
		res.JSON(t, &issued)
		if issued.ID == cert.ID || issued.Code == "" {
			t.Fatalf("a new certificate after the name change: %s", res.Body)
		}
		pdf := pro.Get(fmt.Sprintf("/certificates/%d/pdf", issued.ID))
		if pdf.Status != 200 || pdf.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(pdf.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("pdf download: %d %v", pdf.Status, pdf.Header)
		}
		txt := pdftest.Flat(pdftest.Text(t, []byte(pdf.Body)))
		for _, want := range []string{"Attestato di partecipazione", "Nicolò " + st.FamilyName, st.CF, issued.Code, "/verifica/" + issued.Code, "partecipante", "Sanità"} {
			if !strings.Contains(txt, want) {
				t.Errorf("downloaded PDF lacks %q: %s", want, txt)
			}
		}
		if !strings.Contains(txt, "http://127.0.0.1") && !strings.Contains(txt, "http://localhost") {
			t.Errorf("the verification URL should use the request's host: %s", txt)
		}
		list := pro.Get("/certificates")
		if !strings.Contains(list.Body, issued.Code) || !strings.Contains(list.Body, fmt.Sprintf("/certificates/%d/pdf", issued.ID)) {
			t.Errorf("my certificates page lacks the new certificate: %.1500s", list.Body)
		}
		if home := pro.Get("/"); !strings.Contains(home.Body, `href="/certificates"`) {
			t.Errorf("no menu entry for the professional")
		}
		var doc map[string]any
		_ = json.Unmarshal([]byte(anon.Get("/api/v1/openapi.json").Body), &doc)
		paths, _ := doc["paths"].(map[string]any)
		for _, p := range []string{"/api/v1/participations/{id}/certificate", "/api/v1/certificates/{id}", "/api/v1/certificates/{id}/pdf", "/api/v1/certificates/{id}/revoke", "/api/v1/verify/{code}"} {
			if _, ok := paths[p]; !ok {
				t.Errorf("OpenAPI lacks %s", p)
			}
		}
	})
}
