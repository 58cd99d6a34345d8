package e2e

import (
	"net/http"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/privacy"
)

// The personal-data export and erasure requests in the permission matrix: only the person
// themself (side A's professional is the matrix's professional) and national governance;
// regional referents, organisations, providers and analysts are refused without learning
// whether the professional exists (404). Executing a request is checked by
// TestPrivacyExportAndErasure (it erases the world's data).

const privCasePrefix = "privacy "

func init() {
	self := func(r domain.Role, side string) bool {
		return r == domain.RoleNational || r == domain.RoleProfessional && side == "A"
	}
	// Each request case starts from no open request, so a second caller is not refused
	// with a conflict.
	fresh := func(w *World, side string) any {
		if _, err := w.Env.M.DB.Write.Exec(`DELETE FROM privacy_requests WHERE professional_id = $1`, w.IDs["professional."+side]); err != nil {
			panic(err)
		}
		return privacy.RequestInput{Reason: "prova della matrice"}
	}
	cases = append(cases,
		Case{Name: privCasePrefix + "my data page", Method: "GET", Path: "/me/personal-data", Allow: roles(domain.RoleProfessional)},
		Case{Name: privCasePrefix + "my archive page download", Method: "GET", Path: "/me/personal-data/archive", Allow: roles(domain.RoleProfessional)},
		Case{Name: privCasePrefix + "my archive api", Method: "GET", Path: "/api/v1/me/personal-data", Allow: roles(domain.RoleProfessional)},
		Case{Name: privCasePrefix + "professional's data page", Method: "GET", Path: "/professionals/{professional}/personal-data", Allow: self},
		Case{Name: privCasePrefix + "professional's archive download", Method: "GET", Path: "/professionals/{professional}/personal-data/archive", Allow: self},
		Case{Name: privCasePrefix + "professional's archive api", Method: "GET", Path: "/api/v1/professionals/{professional}/personal-data", Allow: self},
		Case{Name: privCasePrefix + "erasure request api", Method: "POST", Path: "/api/v1/professionals/{professional}/personal-data/erasure-requests", JSON: fresh, Allow: self},
		Case{Name: privCasePrefix + "requests api", Method: "GET", Path: "/api/v1/privacy/requests", Allow: roles(domain.RoleNational, domain.RoleProfessional)},
		Case{Name: privCasePrefix + "requests page", Method: "GET", Path: "/privacy/requests", Allow: roles(domain.RoleNational)},
	)
}

// TestPrivacyMatrix runs the privacy rows of the permission matrix alone.
func TestPrivacyMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		anon := w.Env.Client()
		n := 0
		for _, c := range cases {
			if !strings.HasPrefix(c.Name, privCasePrefix) {
				continue
			}
			n++
			sides := []string{"A"}
			if strings.Contains(c.Path, "{") {
				sides = []string{"A", "B"}
			}
			for _, side := range sides {
				path := c.path(w, side)
				if res := send(t, anon, c, w, side, path); res.Status < 300 || res.Status == http.StatusSeeOther && !strings.Contains(res.Header.Get("Location"), "/login") {
					t.Errorf("%s %s: anonymous got %d", c.Name, path, res.Status)
				}
				for _, r := range domain.Roles {
					res := send(t, w.Clients[r], c, w, side, path)
					ok := res.Status < 400 && !(res.Status == http.StatusSeeOther && strings.Contains(res.Header.Get("Location"), "/login"))
					allowed := c.Allow(r, side)
					switch {
					case allowed && !ok:
						t.Errorf("%s: %s %s: want allowed, got %d: %.300s", c.Name, r, path, res.Status, res.Body)
					case !allowed && ok:
						t.Errorf("%s: %s %s: want refused, got %d (LEAK)", c.Name, r, path, res.Status)
					case !allowed && r != domain.RoleProfessional && strings.Contains(c.Path, "{professional}") && res.Status != 404:
						t.Errorf("%s: %s %s: refused with %d, want 404 (existence not revealed)", c.Name, r, path, res.Status)
					case !allowed && res.Status != 401 && res.Status != 403 && res.Status != 404:
						t.Errorf("%s: %s %s: refused with %d", c.Name, r, path, res.Status)
					}
				}
			}
		}
		if n != 9 {
			t.Fatalf("%d privacy cases, want 9", n)
		}
	})
}
