package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"esd/internal/badges"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// The identity capability in the permission matrix: the SPID/CIE governance page and API
// (brokers and password login are national governance's; staff links national's and the
// region's, within it) and the Open Badges (the wallet is the professional's own; a
// professional's badges and downloads follow the individual scope; revocation is the
// region's and national governance's). Each side's professional gets the badge of the
// completed participation the certificate world made. The public pages (verification,
// issuer documents, share links) are checked by TestIdentityPublicPages.

const identityCasePrefix = "identity "

func init() {
	lateWorldHooks = append(lateWorldHooks, func(t *testing.T, w *World) {
		ctx := badges.WithBaseURL(w.Env.Sys(), w.Env.URL)
		for _, side := range []string{"A", "B"} {
			prof := w.ID(t, "professional."+side)
			if _, err := w.Env.M.Badges.Issue(ctx, prof); err != nil {
				t.Fatalf("identity world: issue badges of %s: %v", side, err)
			}
			list, err := w.Env.M.Badges.List(ctx, prof)
			if err != nil || len(list) == 0 {
				t.Fatalf("identity world: side %s has no badge (%v)", side, err)
			}
			w.IDs["badge."+side] = list[0].ID
			if side == "B" {
				w.Markers = append(w.Markers, list[0].UUID, list[0].ShareToken)
			}
		}
	})
	unrevoke := func(w *World, side string) {
		if _, err := w.Env.M.DB.Write.ExecContext(w.Env.Sys(), `UPDATE badge_credentials SET revoked_at = NULL, revoke_reason = '' WHERE id = $1`, w.IDs["badge."+side]); err != nil {
			panic(err)
		}
	}
	orgOf := map[string]string{"A": "org.A", "B": "org.B"}
	seq := 0
	see := inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)
	cases = append(cases,
		Case{Name: identityCasePrefix + "governance page", Method: "GET", Path: "/admin/identity", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: identityCasePrefix + "brokers api", Method: "GET", Path: "/api/v1/identity/brokers", Allow: roles(domain.RoleNational)},
		Case{Name: identityCasePrefix + "save broker", Method: "POST", Path: "/api/v1/identity/brokers", Allow: roles(domain.RoleNational),
			JSON: func(w *World, side string) any {
				return map[string]any{"code": "matrix", "name": "Broker matrice", "issuer": "https://broker.example.it", "client_id": "esd",
					"client_secret": "segreto-lungo", "enabled": false}
			}},
		Case{Name: identityCasePrefix + "password login per role", Method: "POST", Path: "/api/v1/identity/password-login", Allow: roles(domain.RoleNational),
			JSON: func(w *World, side string) any { return map[string]any{"role": "analyst", "on": true} }},
		Case{Name: identityCasePrefix + "links api", Method: "GET", Path: "/api/v1/identity/links", Allow: roles(domain.RoleNational, domain.RoleRegional)},
		Case{Name: identityCasePrefix + "link a staff account", Method: "POST", Path: "/api/v1/identity/links", Sides: []string{"A", "B"},
			Allow: inScope(domain.RoleRegional),
			JSON: func(w *World, side string) any {
				seq++
				u, _ := w.Env.CreateUser(fmt.Sprintf("lk_%s_%d", strings.ToLower(side), seq), domain.RoleOrganisation, 0, w.IDs[orgOf[side]], 0)
				code, err := cf.Encode("Verdi", "Anna", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, seq), "F", "H501")
				if err != nil {
					panic(err)
				}
				return map[string]any{"username": u, "cf": "TINIT-" + code}
			}},
		Case{Name: identityCasePrefix + "wallet page", Method: "GET", Path: "/badges", Allow: roles(domain.RoleProfessional)},
		Case{Name: identityCasePrefix + "wallet api", Method: "GET", Path: "/api/v1/badges", Allow: roles(domain.RoleProfessional)},
		Case{Name: identityCasePrefix + "clr download", Method: "GET", Path: "/badges/clr", Allow: roles(domain.RoleProfessional)},
		Case{Name: identityCasePrefix + "professional's badges page", Method: "GET", Path: "/professionals/{professional}/badges", Allow: see},
		Case{Name: identityCasePrefix + "professional's badges api", Method: "GET", Path: "/api/v1/professionals/{professional}/badges", Allow: see},
		Case{Name: identityCasePrefix + "badge json", Method: "GET", Path: "/badges/{badge}/json", Allow: see},
		Case{Name: identityCasePrefix + "badge jwt", Method: "GET", Path: "/badges/{badge}/jwt", Allow: see},
		Case{Name: identityCasePrefix + "badge png", Method: "GET", Path: "/badges/{badge}/png", Allow: see},
		Case{Name: identityCasePrefix + "badge jwt api", Method: "GET", Path: "/api/v1/badges/{badge}/jwt", Allow: see},
		Case{Name: identityCasePrefix + "rotate issuer key", Method: "POST", Path: "/api/v1/badges/issuer/rotate", Allow: roles(domain.RoleNational)},
		Case{Name: identityCasePrefix + "revoke badge", Method: "POST", Path: "/api/v1/badges/{badge}/revoke", Allow: inScope(domain.RoleRegional),
			JSON: func(w *World, side string) any {
				unrevoke(w, side)
				return map[string]string{"reason": "prova della matrice"}
			}},
	)
}

// TestIdentityPublicPages checks what needs no login: the verification page and API, the
// issuer's profile, keys and status list, achievements and share links; and that the login
// page offers the brokers.
func TestIdentityPublicPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		anon := w.Env.Client()
		b, err := w.Env.M.Badges.Get(w.Env.Sys(), w.IDs["badge.A"])
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/verifica-badge", "/badges/issuer", "/badges/issuer/jwks", "/badges/status/1", "/open-badge/" + b.ShareToken, "/.well-known/jwks.json"} {
			if res := anon.Get(p); res.Status != 200 {
				t.Errorf("anonymous %s: %d", p, res.Status)
			}
		}
		if res := anon.Get("/open-badge/" + strings.Repeat("0", 32)); res.Status != 404 {
			t.Errorf("unknown share token: %d", res.Status)
		}
		res := anon.Do("POST", "/api/v1/badges/verify", strings.NewReader(b.JWT), http.Header{"Content-Type": {"text/plain"}})
		if res.Status != 200 || !validIs(t, res.Body, true) {
			t.Fatalf("verify api: %d %s", res.Status, res.Body)
		}
		forged := strings.Replace(b.JWT, b.JWT[40:46], "AAAAAA", 1)
		res = anon.Do("POST", "/api/v1/badges/verify", strings.NewReader(forged), http.Header{"Content-Type": {"text/plain"}})
		if res.Status != 200 || !validIs(t, res.Body, false) {
			t.Fatalf("forged jwt: %d %s", res.Status, res.Body)
		}
		// The OpenAPI document lists the new operations.
		doc := anon.Get("/api/v1/openapi.json").Body
		for _, p := range []string{"/api/v1/badges/verify", "/api/v1/identity/brokers", "/api/v1/identity/links", "/api/v1/badges/{id}/revoke"} {
			if !strings.Contains(doc, `"`+p+`"`) {
				t.Errorf("OpenAPI lacks %s", p)
			}
		}
	})
}

func validIs(t *testing.T, body string, want bool) bool {
	t.Helper()
	var r badges.Report
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("report: %v: %.300s", err, body)
	}
	return r.Valid == want && len(r.Steps) > 0
}
