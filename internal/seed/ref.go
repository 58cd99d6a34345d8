package seed

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"esd/internal/db"
	"esd/internal/textnorm"
)

// Reference is the real reference data the synthetic world is drawn from: regions, comuni,
// health organisations, professions and disciplines, as the registry loaded them into the
// database. Everything is sorted by code so the same tables give the same world.
type Reference struct {
	Regions     []Region
	Comuni      []Comune
	Orgs        []Org
	Professions []Profession
	Disciplines []Discipline
}

// Region is a Region or Autonomous Province.
type Region struct {
	ID         int64
	MinsalCode string
	Name       string
}

// Comune is an Italian municipality with its cadastral (Belfiore) code.
type Comune struct {
	Istat, Belfiore, Name, Province, RegionName string
}

// Org is a health organisation (ASL, hospital structure) or an ECM provider.
type Org struct {
	ID            int64
	Kind          string
	Code          string
	Name          string
	RegionID      int64
	ParentID      int64
	StructureType string
	Public        bool
	ComuneIstat   string
}

// Profession is an ECM profession (Co.Ge.A.P.S. code).
type Profession struct {
	Code int
	Name string
}

// Discipline is an ECM discipline of one profession.
type Discipline struct {
	Code, ProfessionCode int
	Name                 string
}

// LoadReference reads the reference tables from the database.
func LoadReference(ctx context.Context, d *db.DB) (*Reference, error) {
	r := &Reference{}
	q := func(sql string, scan func(rows interface{ Scan(...any) error }) error) error {
		rows, err := d.Read.QueryContext(ctx, sql)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	err := q(`SELECT id, minsal_code, name FROM regions ORDER BY minsal_code`, func(s interface{ Scan(...any) error }) error {
		var x Region
		err := s.Scan(&x.ID, &x.MinsalCode, &x.Name)
		r.Regions = append(r.Regions, x)
		return err
	})
	if err == nil {
		err = q(`SELECT istat_code, belfiore_code, name, province, region_name FROM comuni ORDER BY istat_code`, func(s interface{ Scan(...any) error }) error {
			var x Comune
			err := s.Scan(&x.Istat, &x.Belfiore, &x.Name, &x.Province, &x.RegionName)
			r.Comuni = append(r.Comuni, x)
			return err
		})
	}
	if err == nil {
		err = q(`SELECT id, kind, code, name, COALESCE(region_id, 0), COALESCE(parent_id, 0), structure_type, public, comune_istat
			FROM organisations ORDER BY kind, code`, func(s interface{ Scan(...any) error }) error {
			var x Org
			err := s.Scan(&x.ID, &x.Kind, &x.Code, &x.Name, &x.RegionID, &x.ParentID, &x.StructureType, &x.Public, &x.ComuneIstat)
			r.Orgs = append(r.Orgs, x)
			return err
		})
	}
	if err == nil {
		err = q(`SELECT code, name FROM professions ORDER BY code`, func(s interface{ Scan(...any) error }) error {
			var x Profession
			err := s.Scan(&x.Code, &x.Name)
			r.Professions = append(r.Professions, x)
			return err
		})
	}
	if err == nil {
		err = q(`SELECT code, profession_code, name FROM disciplines ORDER BY code`, func(s interface{ Scan(...any) error }) error {
			var x Discipline
			err := s.Scan(&x.Code, &x.ProfessionCode, &x.Name)
			r.Disciplines = append(r.Disciplines, x)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("seed: reading reference tables: %w", err)
	}
	r.sort()
	return r, r.check()
}

func (r *Reference) sort() {
	sort.Slice(r.Regions, func(i, j int) bool { return r.Regions[i].MinsalCode < r.Regions[j].MinsalCode })
	sort.Slice(r.Comuni, func(i, j int) bool { return r.Comuni[i].Istat < r.Comuni[j].Istat })
	sort.Slice(r.Orgs, func(i, j int) bool {
		if r.Orgs[i].Kind != r.Orgs[j].Kind {
			return r.Orgs[i].Kind < r.Orgs[j].Kind
		}
		return r.Orgs[i].Code < r.Orgs[j].Code
	})
	sort.Slice(r.Professions, func(i, j int) bool { return r.Professions[i].Code < r.Professions[j].Code })
	sort.Slice(r.Disciplines, func(i, j int) bool { return r.Disciplines[i].Code < r.Disciplines[j].Code })
}

func (r *Reference) check() error {
	switch {
	case len(r.Regions) < 21:
		return fmt.Errorf("seed: the regions table has %d rows, want the 21 regions and autonomous provinces (is the registry's reference data loaded?)", len(r.Regions))
	case len(r.Comuni) == 0:
		return fmt.Errorf("seed: the comuni table is empty")
	case len(r.Professions) == 0 || len(r.Disciplines) == 0:
		return fmt.Errorf("seed: the professions or disciplines table is empty")
	}
	return nil
}

// regionWord maps the first word of a folded region name (as the comuni table spells it)
// to the Ministry region code; Trentino-Alto Adige is split by province.
var regionWord = map[string]string{
	"piemonte": "010", "valle": "020", "lombardia": "030", "veneto": "050", "friuli": "060", "liguria": "070",
	"emilia": "080", "toscana": "090", "umbria": "100", "marche": "110", "lazio": "120", "abruzzo": "130",
	"molise": "140", "campania": "150", "puglia": "160", "basilicata": "170", "calabria": "180", "sicilia": "190",
	"sardegna": "200",
}

// comuneRegion returns the Ministry code of the region of a comune ("" if unknown).
func comuneRegion(c Comune) string {
	w := textnorm.Fold(c.RegionName)
	if i := strings.IndexByte(w, ' '); i > 0 {
		w = w[:i]
	}
	if w == "trentino" {
		if c.Province == "BZ" {
			return "041"
		}
		return "042"
	}
	return regionWord[w]
}

// Organisation classes the generator places people in. The registry's kinds are mapped by
// name so the generator does not depend on the exact spelling of each kind.
func (o Org) isASL() bool      { return strings.EqualFold(o.Kind, "asl") }
func (o Org) isProvider() bool { return strings.Contains(strings.ToLower(o.Kind), "provider") }
func (o Org) isHospital() bool { return !o.isASL() && !o.isProvider() && o.StructureType != "" }

// hospitalWeight sizes a hospital structure by its type (tipo_struttura_mds): hospital
// trusts, university hospitals and IRCCS employ more than a local hospital, which employs
// more than a private clinic.
func hospitalWeight(o Org) float64 {
	t := o.StructureType
	switch {
	case t == "0" || strings.HasPrefix(t, "2") || strings.HasPrefix(t, "3"):
		return 6
	case t == "1":
		return 3
	case t == "5.2":
		return 0.5
	}
	return 1.5
}
