package e2e

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"esd/internal/apptest"
	"esd/internal/assess"
	"esd/internal/db"
	"esd/internal/domain"
)

// Fixtures of the assessment tests. Until the portfolio and personas capabilities are merged,
// the framework is written with SQL and the targets come from assessTargets, a fixed source
// standing in for the personas service (the production wiring leaves Assess.Targets to that
// service).

type assessTargets struct {
	mu sync.Mutex
	m  map[int64][]assess.Target
	p  map[int64]assess.PersonaInfo
}

func (a *assessTargets) EffectiveTargets(_ context.Context, id int64) ([]assess.Target, assess.PersonaInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.m[id]
	if !ok {
		return nil, assess.PersonaInfo{}, domain.NotFound("persona")
	}
	return t, a.p[id], nil
}

func (a *assessTargets) EachEffectiveTargets(ctx context.Context, personaID int64, fn func(int64, []assess.Target, assess.PersonaInfo) error) error {
	a.mu.Lock()
	var ids []int64
	for id := range a.m {
		if personaID == 0 || a.p[id].ID == personaID {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		t, p, _ := a.EffectiveTargets(ctx, id)
		if err := fn(id, t, p); err != nil {
			return err
		}
	}
	return nil
}

type assessFix struct {
	t       testing.TB
	env     *apptest.Env
	fw      int64
	lines   map[string]int64  // alias (L1…L8) → line id
	codes   map[string]string // alias → the line's code in the portfolio
	targets *assessTargets
	persona assess.PersonaInfo
}

// assessDefaultLines are the lines of the default illustrative portfolio the journeys use,
// by alias: three FSE lines, three telemedicine lines (these have knowledge questions) and two
// cybersecurity lines (self-rating only).
var assessDefaultLines = [][2]string{{"L1", "D2.A1.L02"}, {"L2", "D2.A1.L05"}, {"L3", "D2.A1.L06"}, {"L4", "D3.A1.L03"},
	{"L5", "D3.A2.L03"}, {"L6", "D3.A1.L06"}, {"L7", "D5.A2.L01"}, {"L8", "D5.A2.L02"}}

// newAssessFix works on the default illustrative portfolio the platform loads at start, with
// its default item bank, and gives professionals targets on eight of its lines.
func newAssessFix(t testing.TB, env *apptest.Env) *assessFix {
	t.Helper()
	fx := &assessFix{t: t, env: env, lines: map[string]int64{}, codes: map[string]string{},
		targets: &assessTargets{m: map[int64][]assess.Target{}, p: map[int64]assess.PersonaInfo{}}}
	cur, err := env.M.Portfolio.Current(env.Sys())
	if err != nil {
		t.Fatal(err)
	}
	fx.fw = cur.ID
	for _, l := range assessDefaultLines {
		var id int64
		if err := env.M.DB.Read.QueryRow(`SELECT id FROM framework_items WHERE framework_id = $1 AND code = $2`, fx.fw, l[1]).Scan(&id); err != nil {
			t.Fatalf("line %s of the default portfolio: %v", l[1], err)
		}
		fx.lines[l[0]], fx.codes[l[0]] = id, l[1]
	}
	fx.persona = assess.PersonaInfo{ID: 7, Code: "MMG", Name: "Medico di medicina generale", FrameworkID: fx.fw}
	env.M.Assess.Targets = fx.targets
	return fx
}

// code is the portfolio code of a line alias.
func (fx *assessFix) code(alias string) string { return fx.codes[alias] }

func assessExec(t testing.TB, env *apptest.Env, q string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := env.M.DB.Write.QueryRowContext(context.Background(), q, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

// assessAreas are the lines of the small frameworks the permission matrix writes with SQL:
// ambito → lines (code, title, ECM objective).
var assessAreas = []struct {
	dim, code, title string
	lines            [][3]string
}{
	{"D1", "A1", "Fascicolo Sanitario Elettronico", [][3]string{{"L1", "Consultazione del FSE e consenso", "17"}, {"L2", "Alimentazione del FSE con documenti firmati", "35"}, {"L3", "Taccuino personale del cittadino", ""}}},
	{"D1", "A2", "Telemedicina", [][3]string{{"L4", "Televisita", "17"}, {"L5", "Telemonitoraggio dei pazienti cronici", ""}, {"L6", "Teleconsulto e teleconsulenza", ""}}},
	{"D2", "A3", "Sicurezza informatica", [][3]string{{"L7", "Protezione delle credenziali", ""}, {"L8", "Riconoscere il phishing", ""}}},
}

// assessFramework writes a framework version with the fixture tree.
func assessFramework(t testing.TB, env *apptest.Env, code, version, state string) (int64, map[string]int64) {
	t.Helper()
	now := db.Now()
	// Written as a draft (the portfolio's triggers freeze published versions), then moved to state.
	fw := assessExec(t, env, `INSERT INTO framework_versions (code, version, title_it, title_en, state, illustrative, created_at)
		VALUES ($1,$2,'Portfolio di prova','Test portfolio','draft',TRUE,$3) RETURNING id`, code, version, now)
	x := env.M.DB.Write
	for i, l := range []string{"Base", "Intermedio", "Avanzato", "Specialistico"} {
		if _, err := x.Exec(`INSERT INTO scale_levels (framework_id, level, code, label_it) VALUES ($1,$2,$3,$4)`, fw, i+1, fmt.Sprint(i+1), l); err != nil {
			t.Fatal(err)
		}
	}
	lines := map[string]int64{}
	dims := map[string]int64{}
	for i, a := range assessAreas {
		if dims[a.dim] == 0 {
			dims[a.dim] = assessExec(t, env, `INSERT INTO framework_items (framework_id, kind, code, position, title_it) VALUES ($1,'dimension',$2,$3,$4) RETURNING id`,
				fw, a.dim, i+1, "Dimensione "+a.dim)
		}
		area := assessExec(t, env, `INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it) VALUES ($1,'area',$2,$3,$4,$5) RETURNING id`,
			fw, a.code, dims[a.dim], i+1, a.title)
		for j, l := range a.lines {
			id := assessExec(t, env, `INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it) VALUES ($1,'line',$2,$3,$4,$5) RETURNING id`,
				fw, l[0], area, j+1, l[1])
			lines[l[0]] = id
			if l[2] != "" {
				if _, err := x.Exec(`INSERT INTO crosswalks (item_id, scheme, target_code, relation) VALUES ($1,'ecm',$2,'exact')`, id, l[2]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if state != "draft" {
		if _, err := x.Exec(`UPDATE framework_versions SET state = $1, published_at = $2 WHERE id = $3`, state, now, fw); err != nil {
			t.Fatal(err)
		}
	}
	return fw, lines
}

// target gives a professional the fixture persona: every line at level 3.
func (fx *assessFix) target(prof int64) {
	var ts []assess.Target
	for _, id := range fx.lines {
		ts = append(ts, assess.Target{LineID: id, Level: 3})
	}
	fx.targets.mu.Lock()
	fx.targets.m[prof], fx.targets.p[prof] = ts, fx.persona
	fx.targets.mu.Unlock()
}

// assessPlace creates a region (if needed), an organisation and a professional in it.
func assessPlace(t testing.TB, env *apptest.Env, istat, orgCode, cf string) (region, org, prof int64) {
	t.Helper()
	ctx := context.Background()
	if err := env.M.DB.Read.QueryRowContext(ctx, `SELECT id FROM regions WHERE istat_code = $1`, istat).Scan(&region); err != nil {
		region = assessExec(t, env, `INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ($1,$2,$3,$4) RETURNING id`,
			istat, istat+"0", "IT-"+istat, "Regione "+istat)
	}
	now := db.Now()
	org = assessExec(t, env, `INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at) VALUES ('asl',$1,$2,$2,$3,$4,$4) RETURNING id`,
		orgCode, "ASL "+orgCode, region, now)
	prof = assessProfessional(t, env, cf, region, org)
	return
}

func assessProfessional(t testing.TB, env *apptest.Env, cf string, region, org int64) int64 {
	now := db.Now()
	return assessExec(t, env, `INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment, care_setting, created_at, updated_at)
		VALUES ($1,$1,'Giulia','Bianchi','giulia bianchi',$2,$3,'dipendente','territorio',$4,$4) RETURNING id`, cf, region, org, now)
}

// rightAnswers maps every item to its right option.
func (fx *assessFix) rightAnswers() map[int64]int {
	fx.t.Helper()
	sys := fx.env.Sys()
	banks, err := fx.env.M.Assess.ListBanks(sys)
	if err != nil {
		fx.t.Fatal(err)
	}
	m := map[int64]int{}
	for _, b := range banks {
		items, err := fx.env.M.Assess.Items(sys, b.ID, 0)
		if err != nil {
			fx.t.Fatal(err)
		}
		for _, it := range items {
			m[it.ID] = it.CorrectOption()
		}
	}
	return m
}

// answerAll answers every question of an assessment through the service (self-rating
// level, right knowledge answers) and returns it.
func (fx *assessFix) answerAll(ctx context.Context, id int64, level int) {
	fx.t.Helper()
	s := fx.env.M.Assess
	_, qs, err := s.Questions(ctx, id, "it")
	if err != nil {
		fx.t.Fatal(err)
	}
	right := fx.rightAnswers()
	for _, q := range qs {
		c := level
		if q.Kind == assess.ItemKnowledge {
			c = right[q.ItemID]
		}
		if _, err := s.Answer(ctx, id, assess.AnswerInput{Question: q.Position, Choice: c}); err != nil {
			fx.t.Fatal(err)
		}
	}
}
