package e2e

import (
	"encoding/json"
	"net/url"
	"testing"

	"esd/internal/domain"
	"esd/internal/portfolio"
)

// The portfolio is national: every authenticated role reads published versions, only
// national governance sees drafts and writes. The world gets a published version, a draft
// to edit and one target per destructive action (national's call succeeds, so each needs
// its own), the same ids on both sides since the portfolio has no regional scope.
func init() {
	worldHooks = append(worldHooks, func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		s := w.Env.M.Portfolio
		set := func(k string, v int64) { w.IDs[k+".A"], w.IDs[k+".B"] = v, v }
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		cur, err := s.Current(ctx)
		must(err)
		set("pf_version", cur.ID)
		byCode := func(vid int64, code string) portfolio.Item {
			it, err := s.ItemByCode(ctx, vid, code)
			must(err)
			return it
		}
		set("pf_line", byCode(cur.ID, "D2.A1.L02").ID)
		draft := func(label string) portfolio.Version {
			v, err := s.CreateDraft(ctx, cur.ID, portfolio.NewDraft{Version: label})
			must(err)
			return v
		}
		d := draft("matrix-draft")
		set("pf_draft", d.ID)
		set("pf_draftline", byCode(d.ID, "D1.A1.L01").ID)
		set("pf_area", byCode(d.ID, "D1.A2").ID)
		set("pf_del", byCode(d.ID, "D6.A4.L08").ID)
		set("pf_del2", byCode(d.ID, "D6.A4.L07").ID)
		cwl := byCode(d.ID, "D3.A1.L01")
		set("pf_cwline", cwl.ID)
		det, err := s.ItemDetail(ctx, cwl.ID)
		must(err)
		set("pf_cw", det.Crosswalks[0].ID)
		set("pf_pub", draft("matrix-pub").ID)
		set("pf_pub2", draft("matrix-pub2").ID)
		for _, k := range []string{"pf_ret", "pf_ret2"} {
			v := draft(k)
			_, err := s.Publish(ctx, v.ID)
			must(err)
			set(k, v.ID)
		}
	})
	nat := roles(domain.RoleNational)
	a := []string{"A"}
	doc, _ := portfolio.DefaultDocument()
	doc.Framework.Code = "MATRIX-IMPORT"
	docJSON, _ := json.Marshal(doc)
	cases = append(cases,
		// Pages: reading.
		Case{Name: "portfolio tree", Method: "GET", Path: "/portfolio", Allow: everyone},
		Case{Name: "portfolio search", Method: "GET", Path: "/portfolio?q=telemedicina", Allow: everyone},
		Case{Name: "portfolio versions page", Method: "GET", Path: "/portfolio/versions", Allow: everyone},
		Case{Name: "portfolio version page", Method: "GET", Path: "/portfolio/versions/{pf_version}", Allow: everyone, Sides: a},
		Case{Name: "portfolio draft page", Method: "GET", Path: "/portfolio/versions/{pf_draft}", Allow: nat, Sides: a},
		Case{Name: "portfolio item page", Method: "GET", Path: "/portfolio/items/{pf_line}", Allow: everyone, Sides: a},
		Case{Name: "portfolio draft item page", Method: "GET", Path: "/portfolio/items/{pf_draftline}", Allow: nat, Sides: a},
		Case{Name: "portfolio diff page", Method: "GET", Path: "/portfolio/diff?from={pf_version}&to={pf_ret}", Allow: everyone, Sides: a},
		Case{Name: "portfolio export download", Method: "GET", Path: "/portfolio/versions/{pf_version}/export?format=moodle", Allow: everyone, Sides: a},
		Case{Name: "portfolio draft export", Method: "GET", Path: "/portfolio/versions/{pf_draft}/export?format=case", Allow: nat, Sides: a},
		Case{Name: "portfolio import page", Method: "GET", Path: "/portfolio/import", Allow: nat},
		Case{Name: "portfolio version edit page", Method: "GET", Path: "/portfolio/versions/{pf_draft}/edit", Allow: nat, Sides: a},
		// Pages: writing (national governance on drafts only).
		Case{Name: "portfolio edit item", Method: "POST", Path: "/portfolio/items/{pf_draftline}", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values {
				return url.Values{"title_it": {"Ricerca di informazioni sanitarie in rete"}, "title_en": {"Searching for health information online"}}
			}},
		Case{Name: "portfolio edit levels", Method: "POST", Path: "/portfolio/items/{pf_draftline}/levels", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values {
				return url.Values{"level_1_it": {"Sa cercare con aiuto."}, "level_1_en": {""}, "level_2_it": {"Sa cercare da solo."}}
			}},
		Case{Name: "portfolio add crosswalk", Method: "POST", Path: "/portfolio/items/{pf_draftline}/crosswalks", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values {
				return url.Values{"scheme": {"ecm"}, "code": {"29"}, "relation": {"related"}}
			}},
		Case{Name: "portfolio delete crosswalk", Method: "POST", Path: "/portfolio/items/{pf_cwline}/crosswalks/{pf_cw}/delete", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values { return url.Values{} }},
		Case{Name: "portfolio move item", Method: "POST", Path: "/portfolio/items/{pf_draftline}/move", Allow: nat, Sides: a,
			Form: func(w *World, _ string) url.Values { return url.Values{"parent_id": {itoa64(w.IDs["pf_area.A"])}} }},
		Case{Name: "portfolio add line", Method: "POST", Path: "/portfolio/versions/{pf_draft}/items", Allow: nat, Sides: a,
			Form: func(w *World, _ string) url.Values {
				return url.Values{"kind": {"line"}, "parent_id": {itoa64(w.IDs["pf_area.A"])}, "title_it": {"Linea aggiunta dalla matrice"}}
			}},
		Case{Name: "portfolio delete item", Method: "POST", Path: "/portfolio/items/{pf_del}/delete", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values { return url.Values{} }},
		Case{Name: "portfolio edit version", Method: "POST", Path: "/portfolio/versions/{pf_draft}/edit", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values {
				return url.Values{"version": {"matrix-draft"}, "title_it": {"Bozza della matrice"}, "illustrative": {"1"}}
			}},
		Case{Name: "portfolio edit scale", Method: "POST", Path: "/portfolio/versions/{pf_draft}/scale", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values {
				return url.Values{"levels": {"4"}, "level_1_label_it": {"Base"}, "level_2_label_it": {"Intermedio"}, "level_3_label_it": {"Avanzato"},
					"level_4_label_it": {"Esperto"}}
			}},
		Case{Name: "portfolio copy version", Method: "POST", Path: "/portfolio/versions/{pf_version}/copy", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values { return url.Values{"version": {""}} }},
		Case{Name: "portfolio publish", Method: "POST", Path: "/portfolio/versions/{pf_pub}/publish", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values { return url.Values{} }},
		Case{Name: "portfolio retire", Method: "POST", Path: "/portfolio/versions/{pf_ret}/retire", Allow: nat, Sides: a,
			Form: func(*World, string) url.Values { return url.Values{} }},
		Case{Name: "portfolio import (pasted)", Method: "POST", Path: "/portfolio/import", Allow: nat,
			Form: func(*World, string) url.Values { return url.Values{"format": {"json"}, "content": {string(docJSON)}} }},
		// API: reading.
		Case{Name: "api portfolio current", Method: "GET", Path: "/api/v1/portfolio/current", Allow: everyone},
		Case{Name: "api portfolio versions", Method: "GET", Path: "/api/v1/portfolio/versions", Allow: everyone},
		Case{Name: "api portfolio version", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_version}", Allow: everyone, Sides: a},
		Case{Name: "api portfolio draft", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_draft}", Allow: nat, Sides: a},
		Case{Name: "api portfolio tree", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_version}/tree", Allow: everyone, Sides: a},
		Case{Name: "api portfolio draft tree", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_draft}/tree", Allow: nat, Sides: a},
		Case{Name: "api portfolio lines", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_version}/lines", Allow: everyone, Sides: a},
		Case{Name: "api portfolio scale", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_version}/scale", Allow: everyone, Sides: a},
		Case{Name: "api portfolio search", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_version}/search?q=fhir", Allow: everyone, Sides: a},
		Case{Name: "api portfolio export", Method: "GET", Path: "/api/v1/portfolio/versions/{pf_version}/export?format=case", Allow: everyone, Sides: a},
		Case{Name: "api portfolio item", Method: "GET", Path: "/api/v1/portfolio/items/{pf_line}", Allow: everyone, Sides: a},
		Case{Name: "api portfolio draft item", Method: "GET", Path: "/api/v1/portfolio/items/{pf_draftline}", Allow: nat, Sides: a},
		Case{Name: "api portfolio diff", Method: "GET", Path: "/api/v1/portfolio/diff?from={pf_version}&to={pf_ret}", Allow: everyone, Sides: a},
		Case{Name: "api portfolio reference", Method: "GET", Path: "/api/v1/portfolio/reference/ecm", Allow: everyone},
		// API: writing.
		Case{Name: "api portfolio new draft", Method: "POST", Path: "/api/v1/portfolio/versions", Allow: nat,
			JSON: func(w *World, _ string) any { return map[string]any{"based_on_id": w.IDs["pf_version.A"]} }},
		Case{Name: "api portfolio edit version", Method: "PATCH", Path: "/api/v1/portfolio/versions/{pf_draft}", Allow: nat, Sides: a,
			JSON: func(*World, string) any {
				return map[string]any{"version": "matrix-draft", "title_it": "Bozza della matrice (API)", "illustrative": true}
			}},
		Case{Name: "api portfolio publish", Method: "POST", Path: "/api/v1/portfolio/versions/{pf_pub2}/publish", Allow: nat, Sides: a},
		Case{Name: "api portfolio retire", Method: "POST", Path: "/api/v1/portfolio/versions/{pf_ret2}/retire", Allow: nat, Sides: a},
		Case{Name: "api portfolio edit scale", Method: "PUT", Path: "/api/v1/portfolio/versions/{pf_draft}/scale", Allow: nat, Sides: a,
			JSON: func(*World, string) any {
				return []map[string]any{{"level": 1, "label_it": "Base"}, {"level": 2, "label_it": "Intermedio"}, {"level": 3, "label_it": "Avanzato"}, {"level": 4, "label_it": "Specialistico"}}
			}},
		Case{Name: "api portfolio add item", Method: "POST", Path: "/api/v1/portfolio/versions/{pf_draft}/items", Allow: nat, Sides: a,
			JSON: func(w *World, _ string) any {
				return map[string]any{"kind": "line", "parent_id": w.IDs["pf_area.A"], "title_it": "Linea aggiunta via API"}
			}},
		Case{Name: "api portfolio edit item", Method: "PATCH", Path: "/api/v1/portfolio/items/{pf_draftline}", Allow: nat, Sides: a,
			JSON: func(*World, string) any { return map[string]any{"title_it": "Titolo cambiato via API"} }},
		Case{Name: "api portfolio move item", Method: "POST", Path: "/api/v1/portfolio/items/{pf_draftline}/move", Allow: nat, Sides: a,
			JSON: func(w *World, _ string) any { return map[string]any{"parent_id": w.IDs["pf_area.A"]} }},
		Case{Name: "api portfolio levels", Method: "PUT", Path: "/api/v1/portfolio/items/{pf_draftline}/levels", Allow: nat, Sides: a,
			JSON: func(*World, string) any { return []map[string]any{{"level": 1, "descriptor_it": "Base via API."}} }},
		Case{Name: "api portfolio crosswalks", Method: "PUT", Path: "/api/v1/portfolio/items/{pf_draftline}/crosswalks", Allow: nat, Sides: a,
			JSON: func(*World, string) any {
				return []map[string]any{{"scheme": "ecm", "code": "17", "relation": "broader"}, {"scheme": "digcomp", "code": "1.1", "relation": "related"}}
			}},
		Case{Name: "api portfolio delete item", Method: "DELETE", Path: "/api/v1/portfolio/items/{pf_del2}", Allow: nat, Sides: a},
		Case{Name: "api portfolio import", Method: "POST", Path: "/api/v1/portfolio/import?format=json&filename=matrix.json", Allow: nat,
			JSON: func(*World, string) any { return json.RawMessage(docJSON) }},
	)
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
