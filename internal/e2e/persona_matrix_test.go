package e2e

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/persona"
)

// personaTree is a small portfolio written with SQL while the portfolio capability is not
// merged: 2 dimensions, 3 ambiti, 6 lines whose titles carry the portfolio's themes.
var personaTree = []struct{ code, kind, parent, it, en string }{
	{"D1", "dimension", "", "Servizi sanitari digitali", "Digital health services"},
	{"A1.1", "area", "D1", "Fascicolo Sanitario Elettronico", "Electronic health record"},
	{"L1.1.1", "line", "A1.1", "Consultare e alimentare il FSE", "Consulting and feeding the FSE"},
	{"L1.1.2", "line", "A1.1", "Ricetta dematerializzata", "Electronic prescription"},
	{"A1.2", "area", "D1", "Telemedicina", "Telemedicine"},
	{"L1.2.1", "line", "A1.2", "Televisita", "Televisit"},
	{"L1.2.2", "line", "A1.2", "Teleassistenza e telemonitoraggio", "Teleassistance and telemonitoring"},
	{"D2", "dimension", "", "Dati e IA", "Data and AI"},
	{"A2.1", "area", "D2", "Intelligenza artificiale e dati", "AI and data"},
	{"L2.1.1", "line", "A2.1", "Intelligenza artificiale in clinica", "AI in clinical practice"},
	{"L2.1.2", "line", "A2.1", "Protezione dei dati", "Data protection"},
}

// personaFramework writes a framework version with SQL and returns its id and line ids.
func personaFramework(t *testing.T, x *db.DB, code, version, state string) (int64, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	now := db.Now()
	var fid int64
	if err := x.Write.QueryRowContext(ctx, `INSERT INTO framework_versions (code, version, title_it, title_en, state, illustrative, created_at)
		VALUES ($1, $2, 'Portfolio di prova', 'Test portfolio', 'draft', TRUE, $3) RETURNING id`, code, version, now).Scan(&fid); err != nil {
		t.Fatal(err)
	}
	// Published at the end: the database refuses changes to a published version's items.
	defer func() {
		if state != "draft" {
			if _, err := x.Write.ExecContext(ctx, `UPDATE framework_versions SET state = $1, published_at = $2 WHERE id = $3`, state, db.Now(), fid); err != nil {
				t.Fatal(err)
			}
		}
	}()
	for i, l := range []string{"Base", "Intermedio", "Avanzato", "Specialistico"} {
		if _, err := x.Write.ExecContext(ctx, `INSERT INTO scale_levels (framework_id, level, code, label_it, label_en) VALUES ($1, $2, $3, $4, $4)`, fid, i+1, l[:1], l); err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]int64{}
	for i, it := range personaTree {
		var parent any
		if it.parent != "" {
			parent = ids[it.parent]
		}
		var id int64
		if err := x.Write.QueryRowContext(ctx, `INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it, title_en)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, fid, it.kind, it.code, parent, i, it.it, it.en).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[it.code] = id
	}
	return fid, ids
}

// personaWorld makes sure a published portfolio with the default personas exists and every
// world professional has a profile.
func personaWorld(t *testing.T, w *World) (fid int64, lines map[string]int64) {
	t.Helper()
	ctx := w.Env.Sys()
	s := w.Env.M.Persona
	f, err := s.CurrentFramework(ctx)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		fid, lines = personaFramework(t, w.Env.M.DB, "ESD-E2E", "1.0", "published")
	} else if err != nil {
		t.Fatal(err)
	} else {
		fid = f.ID
		tree, err := s.Tree(ctx, fid)
		if err != nil {
			t.Fatal(err)
		}
		lines = map[string]int64{}
		for _, l := range tree.Lines() {
			lines[l.Code] = l.ID
		}
	}
	if _, err := s.EnsureDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reassign(ctx, 0, nil); err != nil {
		t.Fatal(err)
	}
	return fid, lines
}

func init() {
	lateWorldHooks = append(lateWorldHooks, func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		s := w.Env.M.Persona
		fid, lines := personaWorld(t, w)
		var anyLine int64
		for _, id := range lines {
			anyLine = max(anyLine, id)
		}
		mk := func(code string) int64 {
			p, err := s.CreatePersona(ctx, persona.PersonaInput{FrameworkID: fid, Code: code, NameIT: "Persona " + code})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetTargets(ctx, p.ID, []persona.TargetInput{{LineID: anyLine, Required: true, Level: 2}}); err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		both := func(key string, v int64) { w.IDs[key+".A"], w.IDs[key+".B"] = v, v }
		both("persona", mk("MATRIX"))
		w.IDs["persona_del.A"] = mk("MATRIX-DEL")
		w.IDs["persona_del2.A"] = mk("MATRIX-DEL2")
		both("line", anyLine)
		both("fw", fid)
		w.IDs["pregion.A"], w.IDs["pregion.B"] = w.RegionA, w.RegionB
		rule := func(role string) int64 {
			r, _, err := s.CreateRule(ctx, persona.RuleInput{PersonaID: w.IDs["persona.A"], JobRole: role, Priority: 1})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		both("rule", rule("matrice"))
		w.IDs["rule_del.A"] = rule("matrice da eliminare")
		w.IDs["rule_del2.A"] = rule("matrice da eliminare 2")
		d1, _ := personaFramework(t, w.Env.M.DB, "ESD-E2E-DRAFT", "1", "draft")
		d2, _ := personaFramework(t, w.Env.M.DB, "ESD-E2E-DRAFT", "2", "draft")
		w.IDs["fwdraft.A"], w.IDs["fwdraft2.A"] = d1, d2
		s.Jobs.Wait()
	})

	id := func(w *World, key, side string) int64 { return w.IDs[key+"."+side] }
	nat := roles(domain.RoleNational)
	cases = append(cases,
		// Personas, rules and the heat map are public policy: every authenticated user reads them.
		Case{Name: "persona list", Method: "GET", Path: "/personas", Allow: everyone},
		Case{Name: "persona heat map", Method: "GET", Path: "/personas/heatmap", Allow: everyone},
		Case{Name: "persona page", Method: "GET", Path: "/personas/{persona}", Allow: everyone, Sides: []string{"A"}},
		Case{Name: "rules page", Method: "GET", Path: "/assignment/rules", Allow: everyone},
		Case{Name: "rule tester page", Method: "GET", Path: "/assignment/test", Allow: everyone},
		Case{Name: "rule tester hypothetical", Method: "GET", Path: "/assignment/test?run=1&profession_code=14&care_setting=territorio", Allow: everyone},
		Case{Name: "personas api", Method: "GET", Path: "/api/v1/personas", Allow: everyone},
		Case{Name: "heat map api", Method: "GET", Path: "/api/v1/personas/heatmap", Allow: everyone},
		Case{Name: "persona api", Method: "GET", Path: "/api/v1/personas/{persona}", Allow: everyone, Sides: []string{"A"}},
		Case{Name: "overlays api", Method: "GET", Path: "/api/v1/personas/{persona}/overlays", Allow: everyone, Sides: []string{"A"}},
		Case{Name: "rules api", Method: "GET", Path: "/api/v1/assignment/rules", Allow: everyone},
		Case{Name: "tester api hypothetical", Method: "POST", Path: "/api/v1/assignment/test", Allow: everyone,
			JSON: func(w *World, side string) any {
				return map[string]any{"disciplines": []map[string]int{{"profession_code": 1, "discipline_code": 58}}}
			}},

		// Individual profiles follow registry scope.
		Case{Name: "profile page", Method: "GET", Path: "/professionals/{professional}/profile",
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "profile api", Method: "GET", Path: "/api/v1/professionals/{professional}/profile",
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "rule tester for a professional", Method: "GET", Path: "/assignment/test?run=1&professional_id={professional}",
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "tester api for a professional", Method: "POST", Path: "/api/v1/assignment/test", Sides: []string{"A", "B"},
			JSON:  func(w *World, side string) any { return map[string]any{"professional_id": id(w, "professional", side)} },
			Allow: inScope(domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional)},
		Case{Name: "my profile", Method: "GET", Path: "/profile", Allow: roles(domain.RoleProfessional)},
		Case{Name: "override api", Method: "PUT", Path: "/api/v1/professionals/{professional}/profile",
			JSON: func(w *World, side string) any {
				return map[string]any{"persona_id": w.IDs["persona.A"], "reason": "prova della matrice"}
			},
			Allow: inScope(domain.RoleOrganisation)},
		Case{Name: "override form", Method: "POST", Path: "/professionals/{professional}/profile/override",
			Form: func(w *World, side string) url.Values {
				return url.Values{"persona_id": {fmt.Sprint(w.IDs["persona.A"])}, "reason": {"prova della matrice"}}
			},
			Allow: inScope(domain.RoleOrganisation)},
		Case{Name: "clear override api", Method: "DELETE", Path: "/api/v1/professionals/{professional}/profile", Allow: inScope(domain.RoleOrganisation)},
		Case{Name: "clear override form", Method: "POST", Path: "/professionals/{professional}/profile/clear", Form: func(*World, string) url.Values { return url.Values{} },
			Allow: inScope(domain.RoleOrganisation)},

		// Overlays: a regional referent edits their region's, an organisation its own.
		Case{Name: "region overlay api", Method: "PUT", Path: "/api/v1/personas/{persona}/overlays",
			JSON: func(w *World, side string) any {
				return map[string]any{"region_id": id(w, "pregion", side), "targets": []map[string]any{{"line_id": w.IDs["line.A"], "required": true, "level": 3}}}
			}, Sides: []string{"A", "B"}, Allow: inScope(domain.RoleRegional)},
		Case{Name: "organisation overlay api", Method: "PUT", Path: "/api/v1/personas/{persona}/overlays",
			JSON: func(w *World, side string) any {
				return map[string]any{"organisation_id": id(w, "org", side), "targets": []map[string]any{{"line_id": w.IDs["line.A"], "required": true, "level": 4}}}
			}, Sides: []string{"A", "B"}, Allow: inScope(domain.RoleOrganisation)},
		Case{Name: "region overlay editor", Method: "GET", Path: "/personas/{persona}/overlay?region_id={pregion}", Allow: inScope(domain.RoleRegional)},
		Case{Name: "organisation overlay editor", Method: "GET", Path: "/personas/{persona}/overlay?organisation_id={org}", Allow: inScope(domain.RoleOrganisation)},
		Case{Name: "region overlay form", Method: "POST", Path: "/personas/{persona}/overlay", Sides: []string{"A", "B"},
			Form: func(w *World, side string) url.Values {
				return url.Values{"region_id": {fmt.Sprint(id(w, "pregion", side))}, fmt.Sprintf("min_%d", w.IDs["line.A"]): {"3"}}
			}, Allow: inScope(domain.RoleRegional)},
		Case{Name: "organisation overlay form", Method: "POST", Path: "/personas/{persona}/overlay", Sides: []string{"A", "B"},
			Form: func(w *World, side string) url.Values {
				return url.Values{"organisation_id": {fmt.Sprint(id(w, "org", side))}, fmt.Sprintf("min_%d", w.IDs["line.A"]): {"4"}}
			}, Allow: inScope(domain.RoleOrganisation)},

		// National governance edits personas, targets and rules and runs re-assignment.
		Case{Name: "new persona page", Method: "GET", Path: "/personas/new", Allow: nat},
		Case{Name: "edit persona page", Method: "GET", Path: "/personas/{persona}/edit", Allow: nat, Sides: []string{"A"}},
		Case{Name: "targets editor", Method: "GET", Path: "/personas/{persona}/targets", Allow: nat, Sides: []string{"A"}},
		Case{Name: "rule edit page", Method: "GET", Path: "/assignment/rules/{rule}", Allow: nat, Sides: []string{"A"}},
		Case{Name: "run page", Method: "GET", Path: "/assignment/run", Allow: nat},
		Case{Name: "create persona api", Method: "POST", Path: "/api/v1/personas", Allow: nat,
			JSON: func(w *World, side string) any {
				return map[string]any{"code": fmt.Sprintf("NEW-%d", nextSeq()), "name_it": "Nuova"}
			}},
		Case{Name: "create persona form", Method: "POST", Path: "/personas", Allow: nat,
			Form: func(w *World, side string) url.Values {
				return url.Values{"code": {fmt.Sprintf("NEWF-%d", nextSeq())}, "name_it": {"Nuova"}, "framework_id": {fmt.Sprint(w.IDs["fw.A"])}}
			}},
		Case{Name: "update persona api", Method: "PUT", Path: "/api/v1/personas/{persona}", Allow: nat, Sides: []string{"A"},
			JSON: func(w *World, side string) any { return map[string]any{"code": "MATRIX", "name_it": "Persona MATRIX"} }},
		Case{Name: "update persona form", Method: "POST", Path: "/personas/{persona}/edit", Allow: nat, Sides: []string{"A"},
			Form: func(w *World, side string) url.Values {
				return url.Values{"code": {"MATRIX"}, "name_it": {"Persona MATRIX"}, "framework_id": {fmt.Sprint(w.IDs["fw.A"])}}
			}},
		Case{Name: "targets api", Method: "PUT", Path: "/api/v1/personas/{persona}/targets", Allow: nat, Sides: []string{"A"},
			JSON: func(w *World, side string) any {
				return []map[string]any{{"line_id": w.IDs["line.A"], "required": true, "level": 2}}
			}},
		Case{Name: "targets form", Method: "POST", Path: "/personas/{persona}/targets", Allow: nat, Sides: []string{"A"},
			Form: func(w *World, side string) url.Values {
				return url.Values{fmt.Sprintf("min_%d", w.IDs["line.A"]): {"2"}}
			}},
		Case{Name: "delete persona api", Method: "DELETE", Path: "/api/v1/personas/{persona_del}", Allow: nat, Sides: []string{"A"}},
		Case{Name: "delete persona form", Method: "POST", Path: "/personas/{persona_del2}/delete", Allow: nat, Sides: []string{"A"},
			Form: func(*World, string) url.Values { return url.Values{} }},
		Case{Name: "copy personas api", Method: "POST", Path: "/api/v1/personas/copy", Allow: nat, Sides: []string{"A"},
			JSON: func(w *World, side string) any {
				return map[string]any{"from_framework_id": w.IDs["fw.A"], "to_framework_id": w.IDs["fwdraft.A"]}
			}},
		Case{Name: "copy personas form", Method: "POST", Path: "/personas/copy", Allow: nat, Sides: []string{"A"},
			Form: func(w *World, side string) url.Values {
				return url.Values{"from_framework_id": {fmt.Sprint(w.IDs["fw.A"])}, "to_framework_id": {fmt.Sprint(w.IDs["fwdraft2.A"])}}
			}},
		Case{Name: "create rule api", Method: "POST", Path: "/api/v1/assignment/rules", Allow: nat,
			JSON: func(w *World, side string) any {
				return map[string]any{"persona_id": w.IDs["persona.A"], "job_role": fmt.Sprintf("ruolo %d", nextSeq())}
			}},
		Case{Name: "create rule form", Method: "POST", Path: "/assignment/rules", Allow: nat,
			Form: func(w *World, side string) url.Values {
				return url.Values{"persona_id": {fmt.Sprint(w.IDs["persona.A"])}, "job_role": {fmt.Sprintf("ruolo f %d", nextSeq())}, "framework_id": {fmt.Sprint(w.IDs["fw.A"])}}
			}},
		Case{Name: "update rule api", Method: "PUT", Path: "/api/v1/assignment/rules/{rule}", Allow: nat, Sides: []string{"A"},
			JSON: func(w *World, side string) any {
				return map[string]any{"persona_id": w.IDs["persona.A"], "job_role": "matrice", "priority": 1}
			}},
		Case{Name: "update rule form", Method: "POST", Path: "/assignment/rules/{rule}", Allow: nat, Sides: []string{"A"},
			Form: func(w *World, side string) url.Values {
				return url.Values{"persona_id": {fmt.Sprint(w.IDs["persona.A"])}, "job_role": {"matrice"}, "priority": {"1"}}
			}},
		Case{Name: "delete rule api", Method: "DELETE", Path: "/api/v1/assignment/rules/{rule_del}", Allow: nat, Sides: []string{"A"}},
		Case{Name: "delete rule form", Method: "POST", Path: "/assignment/rules/{rule_del2}/delete", Allow: nat, Sides: []string{"A"},
			Form: func(*World, string) url.Values { return url.Values{} }},
		Case{Name: "run re-assignment api", Method: "POST", Path: "/api/v1/assignment/run", Allow: nat,
			JSON: func(w *World, side string) any { return map[string]any{} }},
		Case{Name: "run re-assignment form", Method: "POST", Path: "/assignment/run", Allow: nat,
			Form: func(*World, string) url.Values { return url.Values{} }},
	)
}
