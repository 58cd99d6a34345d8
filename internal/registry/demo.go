package registry

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"time"

	"esd/internal/auth"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/domain"
)

// The demo world (esd serve --demo): Toscana with its real ASL and hospitals (from the
// reference lists), one ECM provider, a few hundred professionals and one account per role.
const (
	DemoRegionID      int64 = 90       // Toscana
	DemoASLCode             = "090201" // AZIENDA USL TOSCANA CENTRO: scope of demo.azienda
	DemoProviderCode        = "TOS-DEMO-01"
	DemoProviderName        = "Formazione Sanità Toscana (demo)"
	demoProfessionals       = 300
	demoSeed                = 2026
)

// DemoAccount is a demo login.
type DemoAccount struct {
	Role, Username, Password, Scope string
}

// DemoWorld holds the ids of the demo world, for other capabilities' demo steps.
type DemoWorld struct {
	RegionID        int64   // Toscana (90)
	ASLID           int64   // AZIENDA USL TOSCANA CENTRO (090201), scope of demo.azienda
	ASLIDs          []int64 // the three Tuscan ASL
	HospitalIDs     []int64 // Tuscan AO, AOU and IRCCS
	ProviderID      int64   // the demo ECM provider, scope of demo.provider
	ProfessionalID  int64   // the record of demo.professionista (a nurse of the ASL)
	ProfessionalCF  string
	ProfessionalIDs []int64 // every professional of Toscana, by id
}

// demoPerson is demo.professionista's record.
var demoPerson = struct {
	family, given, sex, place string
	birth                     time.Time
}{"Lucchesi", "Chiara", "F", "D612", time.Date(1984, 5, 12, 0, 0, 0, 0, time.UTC)}

// DemoProfessionalCF is the codice fiscale of demo.professionista's record.
func DemoProfessionalCF() string {
	c, err := cf.Encode(demoPerson.family, demoPerson.given, demoPerson.birth, demoPerson.sex, demoPerson.place)
	if err != nil {
		panic(err)
	}
	return c
}

// LoadDemo builds the demo world through the services (idempotent: a second run finds
// everything in place and writes nothing) and returns its accounts. ctx carries the system
// actor.
func (s *Service) LoadDemo(ctx context.Context, users *auth.Service) ([]DemoAccount, error) {
	if _, err := s.LoadReference(ctx); err != nil {
		return nil, err
	}
	asl, err := s.OrganisationByCode(ctx, KindASL, DemoASLCode)
	if err != nil {
		return nil, fmt.Errorf("demo: ASL %s: %w", DemoASLCode, err)
	}
	prov, err := s.OrganisationByCode(ctx, KindProvider, DemoProviderCode)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		prov, err = s.CreateOrganisation(ctx, OrganisationInput{Kind: KindProvider, Code: DemoProviderCode, Name: DemoProviderName,
			RegionID: DemoRegionID, Public: false, LegalNature: "Privato"})
	}
	if err != nil {
		return nil, fmt.Errorf("demo provider: %w", err)
	}
	body, err := s.GenerateCSV(ctx, demoProfessionals-1, demoSeed)
	if err != nil {
		return nil, err
	}
	// demo.professionista first: a nurse of ASL Toscana Centro, in primary care.
	i := bytes.IndexByte(body, '\n') + 1
	me := fmt.Sprintf("%s;%s;%s;chiara.lucchesi@example.it;14;85;090;%s;dipendente;territorio;clinico\n",
		DemoProfessionalCF(), demoPerson.family, demoPerson.given, DemoASLCode)
	body = append(append(append([]byte{}, body[:i]...), me...), body[i:]...)
	if _, err := s.ImportProfessionals(ctx, bytes.NewReader(body), ImportOptions{}); err != nil {
		return nil, fmt.Errorf("demo professionals: %w", err)
	}
	self, err := s.ProfessionalByCF(ctx, DemoProfessionalCF())
	if err != nil {
		return nil, err
	}
	accounts := []struct {
		acc  DemoAccount
		user auth.NewUser
	}{
		{DemoAccount{"national", "demo.nazionale", "esd-demo-nazionale", "Italia"}, auth.NewUser{Role: domain.RoleNational}},
		{DemoAccount{"regional", "demo.regione", "esd-demo-regione", "Toscana (090)"}, auth.NewUser{Role: domain.RoleRegional, RegionID: DemoRegionID}},
		{DemoAccount{"organisation", "demo.azienda", "esd-demo-azienda", asl.Name + " (" + asl.Code + ")"}, auth.NewUser{Role: domain.RoleOrganisation, OrganisationID: asl.ID}},
		{DemoAccount{"provider", "demo.provider", "esd-demo-provider", prov.Name + " (" + prov.Code + ")"}, auth.NewUser{Role: domain.RoleProvider, OrganisationID: prov.ID}},
		{DemoAccount{"professional", "demo.professionista", "esd-demo-professionista", self.GivenName + " " + self.FamilyName + " (" + self.CF + ")"},
			auth.NewUser{Role: domain.RoleProfessional, ProfessionalID: self.ID}},
		{DemoAccount{"analyst", "demo.analista", "esd-demo-analista", "dati aggregati / aggregates"}, auth.NewUser{Role: domain.RoleAnalyst}},
	}
	var out []DemoAccount
	for _, a := range accounts {
		out = append(out, a.acc)
		var n int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, a.acc.Username).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 { // already there (a second --demo start)
			continue
		}
		u := a.user
		u.Username, u.Password, u.DisplayName = a.acc.Username, a.acc.Password, demoDisplayName(a.acc.Role)
		if _, err := users.CreateUser(ctx, u); err != nil {
			return nil, fmt.Errorf("demo account %s: %w", u.Username, err)
		}
	}
	return out, nil
}

func demoDisplayName(role string) string {
	return map[string]string{"national": "Demo Governo nazionale", "regional": "Demo Referente Toscana", "organisation": "Demo Formazione ASL Toscana Centro",
		"provider": "Demo Provider ECM", "professional": "Chiara Lucchesi", "analyst": "Demo Analista"}[role]
}

// DemoIDs returns the ids of the demo world (loaded by LoadDemo) for other capabilities'
// demo steps: look the world up by its codes rather than assuming ids.
func DemoIDs(ctx context.Context, d *db.DB) (DemoWorld, error) {
	w := DemoWorld{RegionID: DemoRegionID, ProfessionalCF: DemoProfessionalCF()}
	ids := func(q string, args ...any) ([]int64, error) {
		rows, err := d.Read.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	one := func(dst *int64, q string, args ...any) error {
		err := d.Read.QueryRowContext(ctx, q, args...).Scan(dst)
		if err == sql.ErrNoRows {
			return fmt.Errorf("demo world not loaded (run esd serve --demo): %s", args)
		}
		return err
	}
	if err := one(&w.ASLID, `SELECT id FROM organisations WHERE kind = $1 AND code = $2`, KindASL, DemoASLCode); err != nil {
		return w, err
	}
	if err := one(&w.ProviderID, `SELECT id FROM organisations WHERE kind = $1 AND code = $2`, KindProvider, DemoProviderCode); err != nil {
		return w, err
	}
	if err := one(&w.ProfessionalID, `SELECT id FROM professionals WHERE cf = $1`, w.ProfessionalCF); err != nil {
		return w, err
	}
	var err error
	if w.ASLIDs, err = ids(`SELECT id FROM organisations WHERE kind = $1 AND region_id = $2 ORDER BY code`, KindASL, DemoRegionID); err != nil {
		return w, err
	}
	if w.HospitalIDs, err = ids(`SELECT id FROM organisations WHERE kind IN ('ao', 'aou', 'irccs') AND region_id = $1 ORDER BY code`, DemoRegionID); err != nil {
		return w, err
	}
	if w.ProfessionalIDs, err = ids(`SELECT id FROM professionals WHERE region_id = $1 ORDER BY id`, DemoRegionID); err != nil {
		return w, err
	}
	return w, nil
}
