package assess

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// The fixtures of these tests: a small published framework written with SQL (the portfolio
// capability owns the real one), a region, organisations and professionals, and a fixed
// target source standing in for the Digital Personas service.

type fixture struct {
	t        testing.TB
	db       *db.DB
	s        *Service
	fw       int64
	lines    map[string]int64
	region   int64
	regionB  int64
	org      int64
	orgB     int64
	targets  *fixedTargets
	sys      context.Context
	profSeq  int
	personas PersonaInfo
}

type fixedTargets struct {
	mu sync.Mutex
	m  map[int64][]Target
	p  map[int64]PersonaInfo
}

func (f *fixedTargets) EffectiveTargets(_ context.Context, id int64) ([]Target, PersonaInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.m[id]
	if !ok {
		return nil, PersonaInfo{}, domain.NotFound("persona")
	}
	return t, f.p[id], nil
}

func (f *fixedTargets) EachEffectiveTargets(ctx context.Context, personaID int64, fn func(int64, []Target, PersonaInfo) error) error {
	f.mu.Lock()
	var ids []int64
	for id := range f.m {
		if personaID == 0 || f.p[id].ID == personaID {
			ids = append(ids, id)
		}
	}
	f.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		t, p, _ := f.EffectiveTargets(ctx, id)
		if err := fn(id, t, p); err != nil {
			return err
		}
	}
	return nil
}

func (f *fixedTargets) set(id int64, p PersonaInfo, t []Target) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[id], f.p[id] = t, p
}

// fixtureLines: area code → lines (code, title, level descriptors 1..4, ECM objective).
var fixtureAreas = []struct {
	dim, code, title, titleEN string
	lines                     []fixtureLine
}{
	{"D1", "A1", "Fascicolo Sanitario Elettronico", "Electronic health record", []fixtureLine{
		{"L1", "Consultazione del FSE e consenso", [4]string{"Conosce le funzioni di base del FSE.", "Consulta il FSE dei propri assistiti in autonomia.", "Gestisce consenso e oscuramento con il paziente.", "Guida i colleghi nell'uso del FSE."}, "17"},
		{"L2", "Alimentazione del FSE con documenti firmati", [4]string{"Usare il sistema per inviare un referto.", "", "", ""}, "35"},
		{"L3", "Taccuino personale e cittadino", [4]string{}, ""},
	}},
	{"D1", "A2", "Telemedicina", "Telemedicine", []fixtureLine{
		{"L4", "Televisita", [4]string{}, "17"},
		{"L5", "Telemonitoraggio dei pazienti cronici", [4]string{}, ""},
		{"L6", "Teleconsulto e teleconsulenza", [4]string{}, ""},
	}},
	{"D2", "A3", "Sicurezza informatica", "Cybersecurity", []fixtureLine{
		{"L7", "Protezione delle credenziali", [4]string{}, ""},
		{"L8", "Riconoscere il phishing", [4]string{}, ""},
	}},
}

type fixtureLine struct {
	code, title string
	levels      [4]string
	ecm         string
}

func newFixture(t testing.TB, d db.Dialect) *fixture {
	t.Helper()
	x := dbtest.Open(t, d)
	fx := &fixture{t: t, db: x, lines: map[string]int64{}, targets: &fixedTargets{m: map[int64][]Target{}, p: map[int64]PersonaInfo{}},
		sys: domain.WithRequestID(domain.WithActor(context.Background(), domain.SystemActor), "test")}
	fx.s = New(x, nil, nil)
	fx.s.Targets = fx.targets
	fx.fw = fx.createFramework("TEST", "1.0", "published", 0)
	fx.region = fx.exec(`INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ('09','090','IT-52','Toscana') RETURNING id`)
	fx.regionB = fx.exec(`INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ('05','050','IT-34','Veneto') RETURNING id`)
	now := db.Now()
	fx.org = fx.exec(`INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at) VALUES ('asl','A','ASL A','asl a',$1,$2,$2) RETURNING id`, fx.region, now)
	fx.orgB = fx.exec(`INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at) VALUES ('asl','B','ASL B','asl b',$1,$2,$2) RETURNING id`, fx.regionB, now)
	fx.personas = PersonaInfo{ID: 7, Code: "MMG", Name: "Medico di medicina generale", FrameworkID: fx.fw}
	if err := fx.s.EnsureDefaultBanks(fx.sys); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *fixture) exec(q string, args ...any) int64 {
	fx.t.Helper()
	var id int64
	if err := fx.db.Write.QueryRowContext(context.Background(), q, args...).Scan(&id); err != nil {
		fx.t.Fatalf("%s: %v", q, err)
	}
	return id
}

// createFramework writes a framework version with the fixture tree; basedOn links versions.
func (fx *fixture) createFramework(code, version, state string, basedOn int64) int64 {
	now := db.Now()
	var based any
	if basedOn != 0 {
		based = basedOn
	}
	// Written as a draft (the portfolio's triggers freeze published versions), then moved to state.
	fw := fx.exec(`INSERT INTO framework_versions (code, version, title_it, title_en, state, illustrative, based_on_id, created_at)
		VALUES ($1,$2,'Portfolio di prova','Test portfolio','draft',TRUE,$3,$4) RETURNING id`, code, version, based, now)
	for i, l := range [][2]string{{"Base", "Basic"}, {"Intermedio", "Intermediate"}, {"Avanzato", "Advanced"}, {"Specialistico", "Specialist"}} {
		if _, err := fx.db.Write.Exec(`INSERT INTO scale_levels (framework_id, level, code, label_it, label_en) VALUES ($1,$2,$3,$4,$5)`, fw, i+1, fmt.Sprint(i+1), l[0], l[1]); err != nil {
			fx.t.Fatal(err)
		}
	}
	dims := map[string]int64{}
	pos := 0
	for _, a := range fixtureAreas {
		pos++
		if dims[a.dim] == 0 {
			dims[a.dim] = fx.exec(`INSERT INTO framework_items (framework_id, kind, code, position, title_it, title_en) VALUES ($1,'dimension',$2,$3,$4,$4) RETURNING id`,
				fw, a.dim, pos, "Dimensione "+a.dim)
		}
		area := fx.exec(`INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it, title_en) VALUES ($1,'area',$2,$3,$4,$5,$6) RETURNING id`,
			fw, a.code, dims[a.dim], pos, a.title, a.titleEN)
		for j, l := range a.lines {
			id := fx.exec(`INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it, title_en, description_it) VALUES ($1,'line',$2,$3,$4,$5,$5,$6) RETURNING id`,
				fw, l.code, area, j+1, l.title, "Descrizione di "+l.title)
			if fw == fx.fw || fx.fw == 0 {
				fx.lines[l.code] = id
			}
			for lv, d := range l.levels {
				if d != "" {
					if _, err := fx.db.Write.Exec(`INSERT INTO line_levels (item_id, level, descriptor_it) VALUES ($1,$2,$3)`, id, lv+1, d); err != nil {
						fx.t.Fatal(err)
					}
				}
			}
			if l.ecm != "" {
				if _, err := fx.db.Write.Exec(`INSERT INTO crosswalks (item_id, scheme, target_code, relation) VALUES ($1,'ecm',$2,'exact')`, id, l.ecm); err != nil {
					fx.t.Fatal(err)
				}
			}
		}
	}
	if state != "draft" {
		if _, err := fx.db.Write.Exec(`UPDATE framework_versions SET state = $1, published_at = $2 WHERE id = $3`, state, now, fw); err != nil {
			fx.t.Fatal(err)
		}
	}
	return fw
}

// professional creates a professional in region A / org A (or side B).
func (fx *fixture) professional(sideB bool) int64 {
	fx.profSeq++
	reg, org := fx.region, fx.org
	if sideB {
		reg, org = fx.regionB, fx.orgB
	}
	now := db.Now()
	cf := fmt.Sprintf("TSTPRS80A01H501%c", 'A'+fx.profSeq%26) + fmt.Sprint(fx.profSeq)
	return fx.exec(`INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment, care_setting, created_at, updated_at)
		VALUES ($1,$1,'Maria','Rossi','maria rossi',$2,$3,'dipendente','territorio',$4,$4) RETURNING id`, cf, reg, org, now)
}

// target sets the professional's targets: every fixture line at level 2, L1 at 3.
func (fx *fixture) target(prof int64) {
	var ts []Target
	for _, code := range []string{"L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"} {
		lv := 2
		if code == "L1" {
			lv = 3
		}
		ts = append(ts, Target{LineID: fx.lines[code], Level: lv})
	}
	fx.targets.set(prof, fx.personas, ts)
}

func (fx *fixture) as(role domain.Role, prof int64) context.Context {
	a := domain.Actor{UserID: 99, Username: "u_" + string(role), Role: role}
	switch role {
	case domain.RoleProfessional:
		a.ProfessionalID = prof
	case domain.RoleOrganisation:
		a.OrganisationID, a.RegionID = fx.org, fx.region
	case domain.RoleRegional:
		a.RegionID = fx.region
	case domain.RoleProvider:
		a.OrganisationID = fx.org
	}
	return domain.WithRequestID(domain.WithActor(context.Background(), a), "test")
}

func each(t *testing.T, fn func(t *testing.T, fx *fixture)) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) { fn(t, newFixture(t, d)) })
}

func code(err error) string { return domain.ErrorCode(err) }
