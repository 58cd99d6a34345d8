package persona

import (
	"context"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// The fixture builds, with plain SQL, what other capabilities own: a small published
// framework version (3 dimensions, 6 ambiti, 14 lines, a 4-level scale) whose titles carry
// the portfolio's themes, two regions with an organisation each, a few reference codes and
// professionals.

type fixture struct {
	t       *testing.T
	D       *db.DB
	S       *Service
	FID     int64
	Lines   map[string]int64 // code → id
	Items   map[string]int64 // every item code → id
	RegA    int64
	RegB    int64
	OrgA    int64
	OrgB    int64
	nextCF  int
	version int
}

var fixtureTree = []struct{ code, kind, parent, it, en string }{
	{"D1", KindDimension, "", "Competenze digitali di base e sicurezza", "Digital basics and security"},
	{"A1.1", KindArea, "D1", "Identità e strumenti digitali", "Digital identity and tools"},
	{"L1.1.1", KindLine, "A1.1", "Identità digitale e firma", "Digital identity and signature"},
	{"L1.1.2", KindLine, "A1.1", "Strumenti di collaborazione", "Collaboration tools"},
	{"A1.2", KindArea, "D1", "Protezione dei dati e sicurezza informatica", "Data protection and cybersecurity"},
	{"L1.2.1", KindLine, "A1.2", "Privacy e GDPR in sanità", "Privacy and GDPR in health care"},
	{"L1.2.2", KindLine, "A1.2", "Phishing e password", "Phishing and passwords"},
	{"D2", KindDimension, "", "Servizi sanitari digitali", "Digital health services"},
	{"A2.1", KindArea, "D2", "Fascicolo Sanitario Elettronico e prescrizione", "Electronic health record and prescription"},
	{"L2.1.1", KindLine, "A2.1", "Consultare e alimentare il FSE", "Consulting and feeding the FSE"},
	{"L2.1.2", KindLine, "A2.1", "Ricetta dematerializzata", "Electronic prescription"},
	{"A2.2", KindArea, "D2", "Telemedicina", "Telemedicine"},
	{"L2.2.1", KindLine, "A2.2", "Televisita", "Televisit"},
	{"L2.2.2", KindLine, "A2.2", "Teleassistenza e telemonitoraggio", "Teleassistance and telemonitoring"},
	{"L2.2.3", KindLine, "A2.2", "Teleconsulto", "Teleconsultation"},
	{"D3", KindDimension, "", "Dati, IA e cambiamento", "Data, AI and change"},
	{"A3.1", KindArea, "D3", "Dati e interoperabilità", "Data and interoperability"},
	{"L3.1.1", KindLine, "A3.1", "Standard HL7 FHIR", "HL7 FHIR standards"},
	{"L3.1.2", KindLine, "A3.1", "Intelligenza artificiale in clinica", "Artificial intelligence in clinical practice"},
	{"A3.2", KindArea, "D3", "Comunicazione e cambiamento", "Communication and change"},
	{"L3.2.1", KindLine, "A3.2", "Comunicazione digitale con il paziente", "Digital communication with patients"},
	{"L3.2.2", KindLine, "A3.2", "Alfabetizzazione sanitaria digitale dei cittadini", "Citizens' digital health literacy"},
	{"L3.2.3", KindLine, "A3.2", "Gestione del cambiamento digitale", "Digital change management"},
}

func national() context.Context {
	return domain.WithActor(context.Background(), domain.Actor{Role: domain.RoleNational, Username: "naz", UserID: 1})
}

func sys() context.Context { return domain.WithActor(context.Background(), domain.SystemActor) }

func actor(role domain.Role, region, org, prof int64) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{Role: role, Username: "u_" + string(role), UserID: 2,
		RegionID: region, OrganisationID: org, ProfessionalID: prof})
}

func newFixture(t *testing.T, d db.Dialect) *fixture {
	t.Helper()
	x := dbtest.Open(t, d)
	f := &fixture{t: t, D: x}
	f.S = New(x, &jobs.Runner{DB: x}, nil)
	f.S.AutoReassign = false
	f.FID, f.Items = f.framework("ESD-TEST", "1.0", StatePublished, 4, nil)
	f.Lines = map[string]int64{}
	for _, n := range fixtureTree {
		if n.kind == KindLine {
			f.Lines[n.code] = f.Items[n.code]
		}
	}
	f.RegA = f.exec1(`INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ('09', '090', 'IT-52', 'Toscana') RETURNING id`)
	f.RegB = f.exec1(`INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ('05', '050', 'IT-34', 'Veneto') RETURNING id`)
	f.OrgA = f.exec1(`INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at) VALUES ('asl', 'A', 'ASL A', 'asl a', $1, $2, $2) RETURNING id`, f.RegA, db.Now())
	f.OrgB = f.exec1(`INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at) VALUES ('asl', 'B', 'ASL B', 'asl b', $1, $2, $2) RETURNING id`, f.RegB, db.Now())
	for _, p := range [][2]any{{1, "Medico chirurgo"}, {3, "Farmacista"}, {14, "Infermiere"}, {12, "Fisioterapista"}, {6, "Biologo"}} {
		f.exec(`INSERT INTO professions (code, name) VALUES ($1, $2)`, p[0], p[1])
	}
	for _, dd := range [][3]any{{58, 1, "Medicina generale"}, {15, 1, "Medicina interna"}, {67, 3, "Farmacia territoriale"}, {85, 14, "Infermiere"},
		{82, 12, "Fisioterapista"}, {68, 6, "Biologo"}, {55, 1, "Igiene"}, {107, 1, "Direzione medica"}} {
		f.exec(`INSERT INTO disciplines (code, profession_code, name) VALUES ($1, $2, $3)`, dd[0], dd[1], dd[2])
	}
	return f
}

// framework creates a framework version with the fixture tree (minus the codes in skip)
// and a scale of n levels 1..n.
func (f *fixture) framework(code, version, state string, n int, skip map[string]bool) (int64, map[string]int64) {
	f.t.Helper()
	now := db.Now()
	// Written as a draft and published at the end, as the portfolio does: the database
	// refuses changes to the items of a published version.
	fid := f.exec1(`INSERT INTO framework_versions (code, version, title_it, title_en, state, illustrative, created_at)
		VALUES ($1, $2, 'Portfolio di prova', 'Test portfolio', 'draft', TRUE, $3) RETURNING id`, code, version, now)
	defer func() {
		if state != StateDraft {
			f.version++
			f.exec(`UPDATE framework_versions SET state = $1, published_at = $2 WHERE id = $3`, state, now.Add(time.Duration(f.version)*time.Second), fid)
		}
	}()
	labels := []string{"Base", "Intermedio", "Avanzato", "Specialistico", "Esperto"}
	for i := 1; i <= n; i++ {
		f.exec(`INSERT INTO scale_levels (framework_id, level, code, label_it, label_en) VALUES ($1, $2, $3, $4, $4)`, fid, i, labels[i-1][:1], labels[i-1])
	}
	items := map[string]int64{}
	for i, it := range fixtureTree {
		if skip[it.code] {
			continue
		}
		var parent any
		if it.parent != "" {
			parent = items[it.parent]
		}
		items[it.code] = f.exec1(`INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it, title_en)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, fid, it.kind, it.code, parent, i, it.it, it.en)
	}
	return fid, items
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.D.Write.ExecContext(context.Background(), q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) exec1(q string, args ...any) int64 {
	f.t.Helper()
	var id int64
	if err := f.D.Write.QueryRowContext(context.Background(), q, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return id
}

// professional adds a professional with (profession, discipline) pairs.
func (f *fixture) professional(region, org int64, setting, role string, pairs ...[2]int) int64 {
	f.t.Helper()
	f.nextCF++
	cf := "TSTPRS80A01H501" + string(rune('A'+f.nextCF%26)) + itoa(f.nextCF)
	var orgArg any
	if org != 0 {
		orgArg = org
	}
	id := f.exec1(`INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment,
		care_setting, job_role, created_at, updated_at) VALUES ($1, $1, 'Maria', 'Rossi', 'rossi maria', $2, $3, 'dipendente', $4, $5, $6, $6) RETURNING id`,
		cf, region, orgArg, setting, role, db.Now())
	for _, p := range pairs {
		f.exec(`INSERT INTO professional_disciplines (professional_id, profession_code, discipline_code) VALUES ($1, $2, $3)`, id, p[0], p[1])
	}
	return id
}

func (f *fixture) defaults() {
	f.t.Helper()
	if ok, err := f.S.EnsureDefaults(sys()); err != nil || !ok {
		f.t.Fatalf("defaults: %v %v", ok, err)
	}
}

func (f *fixture) persona(code string) Persona {
	f.t.Helper()
	var id int64
	if err := f.D.Read.QueryRow(`SELECT id FROM personas WHERE framework_id = $1 AND code = $2`, f.FID, code).Scan(&id); err != nil {
		f.t.Fatalf("persona %s: %v", code, err)
	}
	p, err := f.S.GetPersona(national(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func targetOf(ts []Target, lineID int64) (Target, bool) {
	for _, t := range ts {
		if t.LineID == lineID {
			return t, true
		}
	}
	return Target{}, false
}
