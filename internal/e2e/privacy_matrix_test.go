package e2e

import (
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
		n := runCases(t, w, privCasePrefix, func(c Case, r domain.Role) bool {
			return r != domain.RoleProfessional && strings.Contains(c.Path, "{professional}")
		})
		if n != 9 {
			t.Fatalf("%d privacy cases, want 9", n)
		}
	})
}
