package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"esd/internal/assess"
	"esd/internal/domain"
)

// The assessment capability's rows of the permission matrix, and its part of the world: for
// side A and side B, professional X has a finished assessment ("assessment.X"), an open,
// fully answered follow-up ("openassessment.X"), an agreed objective ("agreedobjective.X")
// and an adjusted draft ("objective.X"); organisation X has a group ("group.X"). National
// governance has draft banks to edit ("draftbank.A" on the default portfolio, "draftbank2.A"
// on a draft framework) and draft framework versions without a bank ("framework3.A",
// "framework4.A").
//
// Privacy rules under test: answers and results only to the professional (not even national
// governance); objectives and dossier to the organisation and region in scope; levels, gaps and
// evidence only to the professional and national governance under the default policy;
// providers and analysts see nothing individual.

// selfOnly allows only the professional, on their own side.
func selfOnly(r domain.Role, side string) bool { return r == domain.RoleProfessional && side == "A" }

// ensureAssessWorld builds the assessment part of the world once, after the base world exists,
// on the default portfolio and the real Digital Personas (professional.X is a hospital nurse,
// profiled by the default rules). Extra frameworks for the bank cases stay drafts, so the
// version in force is still the default one. It runs from a world hook, and again from the
// first case of the matrix in case the hooks run before the base hook.
func ensureAssessWorld(t testing.TB, w *World) {
	if w.IDs["assess.ready.A"] != 0 || w.IDs["professional.A"] == 0 {
		return
	}
	t.Helper()
	env := w.Env
	sys := env.Sys()
	s := env.M.Assess
	cur, err := env.M.Portfolio.Current(sys)
	if err != nil {
		t.Fatal(err)
	}
	fw2, _ := assessFramework(t, env, "MTX2", "1.0", "draft")
	fw3, _ := assessFramework(t, env, "MTX3", "1.0", "draft")
	fw4, _ := assessFramework(t, env, "MTX4", "1.0", "draft")
	fx := &assessFix{t: t, env: env, fw: cur.ID, lines: map[string]int64{}, codes: map[string]string{}}
	banks, err := s.ListBanks(sys)
	if err != nil || len(banks) == 0 {
		t.Fatalf("banks %v %v", banks, err)
	}
	for _, b := range banks {
		if b.FrameworkID == cur.ID && b.State == assess.BankPublished {
			w.IDs["bank.A"] = b.ID
			items, _ := s.Items(sys, b.ID, 0)
			w.IDs["item.A"] = items[0].ID
		}
	}
	for _, side := range []string{"A", "B"} {
		prof := w.IDs["professional."+side]
		a, err := s.Start(sys, prof)
		if err != nil {
			t.Fatalf("assessment of professional.%s: %v", side, err)
		}
		fx.answerAll(sys, a.ID, 1)
		if _, err := s.Finish(sys, a.ID); err != nil {
			t.Fatal(err)
		}
		w.IDs["assessment."+side] = a.ID
		ov, err := s.Objectives(sys, prof, "it")
		if err != nil || len(ov.Individual) < 2 {
			t.Fatalf("objectives of %s: %+v %v", side, ov, err)
		}
		agreed, err := s.MoveObjective(sys, ov.Individual[0].ID, assess.ObjAgreed)
		if err != nil {
			t.Fatal(err)
		}
		w.IDs["agreedobjective."+side] = agreed.ID
		draft := ov.Individual[1]
		draft, err = s.AdjustObjective(sys, draft.ID, assess.ObjectiveInput{TargetLevel: draft.TargetLevel + 1, DueDate: "2027-06-30", Priority: 2, Note: "adjusted"})
		if err != nil {
			t.Fatal(err)
		}
		w.IDs["objective."+side] = draft.ID
		open, err := s.Start(sys, prof)
		if err != nil {
			t.Fatal(err)
		}
		fx.answerAll(sys, open.ID, 2)
		w.IDs["openassessment."+side] = open.ID
		g, err := s.CreateGroup(sys, assess.GroupInput{OrganisationID: w.IDs["org."+side], Name: "Gruppo riservato " + side + "-7781"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddMember(sys, g.ID, prof); err != nil {
			t.Fatal(err)
		}
		w.IDs["group."+side] = g.ID
		rule, err := s.CreateObjectiveRule(sys, assess.ObjectiveRuleInput{OrganisationID: w.IDs["org."+side], LineCode: "D3.A1.L03", Note: "Regola riservata " + side + "-5512"})
		if err != nil {
			t.Fatal(err)
		}
		w.IDs["objrule."+side] = rule.ID
	}
	w.Markers = append(w.Markers, "Gruppo riservato B-7781", "Regola riservata B-5512")
	w.IDs["region.A"], w.IDs["region.B"] = w.RegionA, w.RegionB
	db1, err := s.CreateBank(sys, cur.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.IDs["draftbank.A"] = db1.ID
	it, err := s.SaveItem(sys, db1.ID, assess.ItemInput{LineCode: "D5.A2.L01", Kind: assess.ItemKnowledge, Level: 1, TextIT: "Da cancellare",
		Options: []assess.Option{{TextIT: "sì", Correct: true}, {TextIT: "no"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.IDs["draftitem.A"] = it.ID
	db2, err := s.CreateBank(sys, fw2)
	if err != nil {
		t.Fatal(err)
	}
	w.IDs["draftbank2.A"] = db2.ID
	it2, err := s.SaveItem(sys, db2.ID, assess.ItemInput{LineCode: "L8", Kind: assess.ItemKnowledge, Level: 1, TextIT: "Da cancellare via API",
		Options: []assess.Option{{TextIT: "sì", Correct: true}, {TextIT: "no"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.IDs["draftitem2.A"] = it2.ID
	w.IDs["framework3.A"], w.IDs["framework4.A"] = fw3, fw4
	w.IDs["assess.ready.A"] = 1
}

func init() {
	worldHooks = append(worldHooks, func(t *testing.T, w *World) { ensureAssessWorld(t, w) })
	id := func(w *World, key string) string { return fmt.Sprint(w.IDs[key]) }
	form := func(kv ...string) func(*World, string) url.Values {
		return func(w *World, side string) url.Values {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				val := kv[i+1]
				if len(val) > 1 && val[0] == '@' { // @key: an id of the world for the side
					val = id(w, val[1:]+"."+side)
				}
				v.Set(kv[i], val)
			}
			return v
		}
	}
	staffAllow := inScope(domain.RoleOrganisation, domain.RoleRegional)
	seeObjectives := inScope(domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional)
	seeLevels := inScope(domain.RoleProfessional)
	nat := roles(domain.RoleNational)
	bankFile := func(line string) func(w *World, side string) any {
		return func(w *World, side string) any {
			var f assess.BankFile
			f.Items = []assess.ItemInput{{Code: "K-MTX-IMP", LineCode: line, Kind: "knowledge", Level: 2, TextIT: "Domanda importata",
				Options: []assess.Option{{TextIT: "giusta", Correct: true}, {TextIT: "sbagliata"}}}}
			return f
		}
	}
	bankJSON := func(w *World, side string) url.Values {
		b, _ := json.Marshal(bankFile("D5.A2.L02")(w, side))
		return url.Values{"content": {string(b)}, "format": {"json"}}
	}
	cases = append(cases,
		// The first case also makes sure the world has the assessment data.
		Case{Name: "assess start page", Method: "GET", Path: "/assessment", Allow: roles(domain.RoleProfessional),
			Form: func(w *World, side string) url.Values { ensureAssessWorld(w.Env.T, w); return url.Values{} }},
		Case{Name: "assess start or resume", Method: "POST", Path: "/assessment", Allow: roles(domain.RoleProfessional), Form: form()},
		Case{Name: "assess question page", Method: "GET", Path: "/assessments/{assessment}", Allow: selfOnly},
		Case{Name: "assess answer (replay)", Method: "POST", Path: "/assessments/{assessment}/answer", Allow: selfOnly, Form: form("q", "1", "choice", "1", "nav", "next")},
		Case{Name: "assess finish page (already finished)", Method: "POST", Path: "/assessments/{assessment}/finish", Allow: selfOnly, Form: form()},
		Case{Name: "assess result page", Method: "GET", Path: "/assessments/{assessment}/result", Allow: selfOnly},
		Case{Name: "assess my gaps", Method: "GET", Path: "/assessment/gaps", Allow: roles(domain.RoleProfessional)},
		Case{Name: "assess my objectives", Method: "GET", Path: "/assessment/objectives", Allow: roles(domain.RoleProfessional)},
		Case{Name: "assess gaps page", Method: "GET", Path: "/professionals/{professional}/gaps", Allow: seeLevels},
		Case{Name: "assess objectives page", Method: "GET", Path: "/professionals/{professional}/objectives", Allow: seeObjectives},
		Case{Name: "assess adjust objective", Method: "POST", Path: "/objectives/{objective}", Allow: selfOnly,
			Form: form("target_level", "3", "due_date", "2027-09-30", "priority", "2", "note", "corso FAD")},
		Case{Name: "assess adjust objective api", Method: "PATCH", Path: "/api/v1/objectives/{objective}", Allow: selfOnly,
			JSON: func(w *World, side string) any {
				return assess.ObjectiveInput{TargetLevel: 3, DueDate: "2027-10-31", Priority: 2}
			}},
		Case{Name: "assess generate objectives", Method: "POST", Path: "/professionals/{professional}/objectives/generate", Allow: seeObjectives, Form: form()},
		Case{Name: "assess generate objectives api", Method: "POST", Path: "/api/v1/professionals/{professional}/objectives/generate", Allow: seeObjectives},
		Case{Name: "assess agree objectives", Method: "POST", Path: "/professionals/{professional}/objectives/agree", Allow: staffAllow, Form: form()},
		Case{Name: "assess agree objectives api", Method: "POST", Path: "/api/v1/professionals/{professional}/objectives/agree", Allow: staffAllow},
		Case{Name: "assess move objective", Method: "POST", Path: "/objectives/{agreedobjective}/state", Allow: seeObjectives, Form: form("state", "in_progress")},
		Case{Name: "assess move objective api", Method: "POST", Path: "/api/v1/objectives/{agreedobjective}/state", Allow: seeObjectives,
			JSON: func(w *World, side string) any { return assess.StateInput{State: "in_progress"} }},
		Case{Name: "assess dossier page", Method: "GET", Path: "/professionals/{professional}/dossier", Allow: seeObjectives},
		Case{Name: "assess dossier pdf", Method: "GET", Path: "/professionals/{professional}/dossier.pdf", Allow: seeObjectives},
		Case{Name: "assess dossier csv", Method: "GET", Path: "/professionals/{professional}/dossier.csv", Allow: seeObjectives},
		Case{Name: "assess evidence page", Method: "GET", Path: "/professionals/{professional}/evidence", Allow: seeLevels},
		Case{Name: "assess record evidence", Method: "POST", Path: "/professionals/{professional}/evidence", Allow: staffAllow,
			Form: form("line", "D5.A2.L01", "level", "2", "source", "validation", "pointer", "colloquio")},
		Case{Name: "assess staff page", Method: "GET", Path: "/assessment/staff?org={org}", Allow: staffAllow},
		Case{Name: "assess policy", Method: "POST", Path: "/assessment/policy", Allow: staffAllow, Form: form("org", "@org", "show_levels", "0"), Sides: []string{"A", "B"}},
		Case{Name: "assess rules page", Method: "GET", Path: "/assessment/rules?org={org}", Allow: staffAllow},
		Case{Name: "assess create rule", Method: "POST", Path: "/assessment/rules", Allow: staffAllow, Sides: []string{"A", "B"},
			Form: func(w *World, side string) url.Values {
				return url.Values{"org": {id(w, "org."+side)}, "line_code": {"D3.A1.L01"}, "min_credits": {"2,5"}}
			}},
		Case{Name: "assess retire rule", Method: "POST", Path: "/assessment/rules/{objrule}/retire", Allow: staffAllow, Form: form()},
		Case{Name: "assess groups page", Method: "GET", Path: "/assessment/groups?org={org}", Allow: staffAllow},
		Case{Name: "assess create group", Method: "POST", Path: "/assessment/groups", Allow: staffAllow, Sides: []string{"A", "B"},
			Form: func(w *World, side string) url.Values {
				return url.Values{"org": {id(w, "org."+side)}, "name": {fmt.Sprintf("Unità %s %d", side, nextSeq())}}
			}},
		Case{Name: "assess group page", Method: "GET", Path: "/assessment/groups/{group}", Allow: staffAllow},
		Case{Name: "assess remove member", Method: "POST", Path: "/assessment/groups/{group}/members/{professional}/remove", Allow: staffAllow, Form: form()},
		Case{Name: "assess add member", Method: "POST", Path: "/assessment/groups/{group}/members", Allow: staffAllow, Form: form("professional", "@professional")},
		Case{Name: "assess group objective", Method: "POST", Path: "/assessment/groups/{group}/objectives", Allow: staffAllow,
			Form: form("line", "D2.A1.L02", "target_level", "2", "due_date", "2027-06-30")},
		Case{Name: "assess bank list", Method: "GET", Path: "/assessment/bank", Allow: nat},
		Case{Name: "assess create bank", Method: "POST", Path: "/assessment/bank", Allow: nat, Form: form("framework_id", "@framework3")},
		Case{Name: "assess bank page", Method: "GET", Path: "/assessment/bank/{bank}", Allow: nat, Sides: []string{"A"}},
		Case{Name: "assess new item form", Method: "GET", Path: "/assessment/bank/{draftbank}/items/new", Allow: nat, Sides: []string{"A"}},
		Case{Name: "assess item form", Method: "GET", Path: "/assessment/bank/{bank}/items/{item}", Allow: nat, Sides: []string{"A"}},
		Case{Name: "assess save item", Method: "POST", Path: "/assessment/bank/{draftbank}/items", Allow: nat, Sides: []string{"A"},
			Form: form("line", "D5.A2.L01", "kind", "knowledge", "level", "2", "text_it", "Domanda della matrice", "option_1_it", "sì", "option_2_it", "no", "correct", "1")},
		Case{Name: "assess delete item", Method: "POST", Path: "/assessment/bank/{draftbank}/items/{draftitem}/delete", Allow: nat, Sides: []string{"A"}, Form: form()},
		Case{Name: "assess generate statements", Method: "POST", Path: "/assessment/bank/{draftbank}/generate", Allow: nat, Sides: []string{"A"}, Form: form()},
		Case{Name: "assess import page", Method: "POST", Path: "/assessment/bank/{draftbank}/import", Allow: nat, Sides: []string{"A"}, Form: bankJSON},
		Case{Name: "assess export json", Method: "GET", Path: "/assessment/bank/{bank}/export.json", Allow: nat, Sides: []string{"A"}},
		Case{Name: "assess export csv", Method: "GET", Path: "/assessment/bank/{bank}/export.csv", Allow: nat, Sides: []string{"A"}},
		Case{Name: "assess publish bank", Method: "POST", Path: "/assessment/bank/{draftbank}/publish", Allow: nat, Sides: []string{"A"}, Form: form()},
		Case{Name: "assess settings page", Method: "GET", Path: "/assessment/settings", Allow: nat},
		Case{Name: "assess settings save", Method: "POST", Path: "/assessment/settings", Allow: nat,
			Form: form("rule", "latest", "weight_self_assessment", "1", "weight_knowledge_test", "2", "weight_training", "2", "weight_validation", "3", "weight_import", "1")},
		Case{Name: "assess jobs", Method: "POST", Path: "/assessment/jobs", Allow: nat, Form: form("job", "expire")},

		// JSON API.
		Case{Name: "api assessments", Method: "GET", Path: "/api/v1/assessments", Allow: roles(domain.RoleProfessional)},
		Case{Name: "api assessment preview", Method: "GET", Path: "/api/v1/assessments/preview", Allow: roles(domain.RoleProfessional)},
		Case{Name: "api start assessment", Method: "POST", Path: "/api/v1/assessments", Allow: roles(domain.RoleProfessional)},
		Case{Name: "api assessment", Method: "GET", Path: "/api/v1/assessments/{assessment}", Allow: selfOnly},
		Case{Name: "api answer (replay)", Method: "POST", Path: "/api/v1/assessments/{assessment}/answers", Allow: selfOnly,
			JSON: func(w *World, side string) any { return assess.AnswerInput{Question: 1, Choice: 1} }},
		Case{Name: "api pause", Method: "POST", Path: "/api/v1/assessments/{assessment}/pause", Allow: selfOnly,
			JSON: func(w *World, side string) any { return assess.PauseInput{Question: 1} }},
		Case{Name: "api result", Method: "GET", Path: "/api/v1/assessments/{assessment}/result", Allow: selfOnly},
		Case{Name: "api finish", Method: "POST", Path: "/api/v1/assessments/{openassessment}/finish", Allow: selfOnly},
		Case{Name: "api gaps", Method: "GET", Path: "/api/v1/professionals/{professional}/gaps", Allow: seeLevels},
		Case{Name: "api objectives", Method: "GET", Path: "/api/v1/professionals/{professional}/objectives", Allow: seeObjectives},
		Case{Name: "api dossier", Method: "GET", Path: "/api/v1/professionals/{professional}/dossier", Allow: seeObjectives},
		Case{Name: "api evidence", Method: "GET", Path: "/api/v1/professionals/{professional}/evidence", Allow: seeLevels},
		Case{Name: "api record evidence", Method: "POST", Path: "/api/v1/professionals/{professional}/evidence", Allow: staffAllow,
			JSON: func(w *World, side string) any {
				return assess.EvidenceInput{LineCode: "D5.A2.L02", Level: 1, Source: assess.SourceTraining, Pointer: "evento ECM 1234"}
			}},
		Case{Name: "api org overview", Method: "GET", Path: "/api/v1/organisations/{org}/assessment-overview", Allow: staffAllow},
		Case{Name: "api org policy", Method: "GET", Path: "/api/v1/organisations/{org}/assessment-policy", Allow: staffAllow},
		Case{Name: "api set org policy", Method: "PUT", Path: "/api/v1/organisations/{org}/assessment-policy", Allow: staffAllow,
			JSON: func(w *World, side string) any { return assess.PolicyInput{ShowLevels: false} }},
		Case{Name: "api region policy", Method: "GET", Path: "/api/v1/regions/{region}/assessment-policy", Allow: inScope(domain.RoleRegional)},
		Case{Name: "api set region policy", Method: "PUT", Path: "/api/v1/regions/{region}/assessment-policy", Allow: inScope(domain.RoleRegional),
			JSON: func(w *World, side string) any { return assess.PolicyInput{ShowLevels: false} }},
		Case{Name: "api org rules", Method: "GET", Path: "/api/v1/organisations/{org}/objective-rules", Allow: staffAllow},
		Case{Name: "api create rule", Method: "POST", Path: "/api/v1/objective-rules", Allow: staffAllow, Sides: []string{"A", "B"},
			JSON: func(w *World, side string) any {
				return assess.ObjectiveRuleInput{OrganisationID: w.IDs["org."+side], LineCode: "D3.A1.L02", MinCredits: 4}
			}},
		Case{Name: "api retire rule", Method: "POST", Path: "/api/v1/objective-rules/{objrule}/retire", Allow: staffAllow},
		Case{Name: "api org groups", Method: "GET", Path: "/api/v1/organisations/{org}/objective-groups", Allow: staffAllow},
		Case{Name: "api create group", Method: "POST", Path: "/api/v1/objective-groups", Allow: staffAllow, Sides: []string{"A", "B"},
			JSON: func(w *World, side string) any {
				return assess.GroupInput{OrganisationID: w.IDs["org."+side], Name: fmt.Sprintf("Équipe %s %d", side, nextSeq())}
			}},
		Case{Name: "api group", Method: "GET", Path: "/api/v1/objective-groups/{group}", Allow: staffAllow},
		Case{Name: "api add member", Method: "POST", Path: "/api/v1/objective-groups/{group}/members", Allow: staffAllow,
			JSON: func(w *World, side string) any {
				return assess.MemberInput{ProfessionalID: w.IDs["professional."+side]}
			}},
		Case{Name: "api group objective", Method: "POST", Path: "/api/v1/objective-groups/{group}/objectives", Allow: staffAllow,
			JSON: func(w *World, side string) any {
				return assess.GroupObjectiveInput{Line: "D3.A1.L03", TargetLevel: 3, DueDate: "2028-06-30"}
			}},
		Case{Name: "api item banks", Method: "GET", Path: "/api/v1/item-banks", Allow: nat},
		Case{Name: "api create bank", Method: "POST", Path: "/api/v1/item-banks", Allow: nat,
			JSON: func(w *World, side string) any { return assess.BankInput{FrameworkID: w.IDs["framework4.A"]} }},
		Case{Name: "api bank", Method: "GET", Path: "/api/v1/item-banks/{bank}", Allow: nat, Sides: []string{"A"}},
		Case{Name: "api save item", Method: "POST", Path: "/api/v1/item-banks/{draftbank2}/items", Allow: nat, Sides: []string{"A"},
			JSON: func(w *World, side string) any {
				return assess.ItemInput{LineCode: "L8", Kind: "knowledge", Level: 3, TextIT: "Domanda via API",
					Options: []assess.Option{{TextIT: "a"}, {TextIT: "b", Correct: true}}}
			}},
		Case{Name: "api delete item", Method: "DELETE", Path: "/api/v1/item-banks/{draftbank2}/items/{draftitem2}", Allow: nat, Sides: []string{"A"}},
		Case{Name: "api export bank", Method: "GET", Path: "/api/v1/item-banks/{bank}/export", Allow: nat, Sides: []string{"A"}},
		Case{Name: "api import bank", Method: "POST", Path: "/api/v1/item-banks/{draftbank2}/import?format=json", Allow: nat, Sides: []string{"A"}, JSON: bankFile("L8")},
		Case{Name: "api publish bank", Method: "POST", Path: "/api/v1/item-banks/{draftbank2}/publish", Allow: nat, Sides: []string{"A"}},
		Case{Name: "api level rule", Method: "GET", Path: "/api/v1/assessment-settings/level-rule", Allow: nat},
		Case{Name: "api set level rule", Method: "PUT", Path: "/api/v1/assessment-settings/level-rule", Allow: nat,
			JSON: func(w *World, side string) any { return assess.LevelRule{Rule: "latest"} }},
		Case{Name: "api regenerate objectives", Method: "POST", Path: "/api/v1/objectives/regenerate", Allow: nat,
			JSON: func(w *World, side string) any { return assess.RegenerateInput{} }},
	)
}
