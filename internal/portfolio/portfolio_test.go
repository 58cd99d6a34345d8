package portfolio

import (
	"context"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

func sysCtx() context.Context {
	return domain.WithRequestID(domain.WithActor(context.Background(), domain.SystemActor), "test")
}

func as(role domain.Role) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{UserID: 99, Username: "u_" + string(role), Role: role, RegionID: 1, OrganisationID: 1, ProfessionalID: 1})
}

// newService returns a service on a fresh database of dialect d, with the default
// portfolio loaded if withDefault.
func newService(t *testing.T, d db.Dialect, withDefault bool) *Service {
	t.Helper()
	s := &Service{DB: dbtest.Open(t, d)}
	if withDefault {
		loaded, err := s.EnsureDefault(sysCtx())
		if err != nil || !loaded {
			t.Fatalf("EnsureDefault: loaded=%v err=%v", loaded, err)
		}
	}
	return s
}

func code(err error) string { return domain.ErrorCode(err) }

func TestDefaultPortfolioShape(t *testing.T) {
	doc, err := DefaultDocument()
	if err != nil {
		t.Fatal(err)
	}
	d, a, l := doc.Counts()
	if d != 6 || a != 16 || l != 140 {
		t.Fatalf("default portfolio has %d dimensions, %d ambiti, %d lines; want 6/16/140", d, a, l)
	}
	if !doc.Framework.Illustrative {
		t.Fatal("the default portfolio must be marked illustrative")
	}
	if len(doc.Scale) != 4 || doc.Scale[0].LabelIT != "Base" || doc.Scale[1].LabelIT != "Intermedio" ||
		doc.Scale[2].LabelIT != "Avanzato" || doc.Scale[3].LabelIT != "Specialistico" {
		t.Fatalf("default scale: %+v", doc.Scale)
	}
	for _, s := range doc.Scale {
		if s.DescriptorIT == "" || s.DescriptorEN == "" || s.LabelEN == "" {
			t.Errorf("scale level %d lacks a descriptor or English label", s.Level)
		}
	}
	topics := map[string]bool{}
	for _, dim := range doc.Dimensions {
		for _, ar := range dim.Areas {
			for _, ln := range ar.Lines {
				if ln.TitleIT == "" || ln.TitleEN == "" || ln.DescriptionIT == "" {
					t.Errorf("%s: missing title or description", ln.Code)
				}
				if len(ln.TitleIT) > 100 || len(ln.TitleEN) > 100 {
					t.Errorf("%s: title longer than Moodle's 100-character short name", ln.Code)
				}
				if len(ln.Levels) != 4 {
					t.Errorf("%s: %d level descriptors, want 4", ln.Code, len(ln.Levels))
				}
				for i, lv := range ln.Levels {
					if lv.Level != i+1 || len(lv.IT) < 40 || !strings.HasSuffix(lv.IT, ".") {
						t.Errorf("%s level %d: %q", ln.Code, lv.Level, lv.IT)
					}
				}
				var ecm, dc bool
				for _, c := range ln.Crosswalks {
					ecm = ecm || c.Scheme == SchemeECM
					dc = dc || c.Scheme == SchemeDigComp
					if c.Scheme == SchemeECM && (c.Code == "17" || c.Code == "35") {
						topics["ecm-digital"] = true
					}
				}
				if !ecm || !dc {
					t.Errorf("%s: needs an ECM objective and a DigComp competence (ecm=%v digcomp=%v)", ln.Code, ecm, dc)
				}
				for _, kw := range []string{"FSE", "televisita", "teleconsult", "telemonitoraggio", "teleassistenza", "ricetta",
					"GDPR", "informatic", "FHIR", "CDA", "LOINC", "SNOMED", "ICD", "IA", "alfabetizzazione", "cambiamento"} {
					if strings.Contains(strings.ToLower(ln.TitleIT+" "+ln.DescriptionIT+" "+ar.TitleIT), strings.ToLower(kw)) {
						topics[kw] = true
					}
				}
			}
		}
	}
	for _, kw := range []string{"ecm-digital", "FSE", "televisita", "teleconsult", "telemonitoraggio", "teleassistenza", "ricetta",
		"GDPR", "informatic", "FHIR", "CDA", "LOINC", "SNOMED", "ICD", "IA", "alfabetizzazione", "cambiamento"} {
		if !topics[kw] {
			t.Errorf("the default portfolio does not cover %q", kw)
		}
	}
}

func TestEnsureDefaultIdempotentAndCurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d, true)
		ctx := sysCtx()
		if loaded, err := s.EnsureDefault(ctx); err != nil || loaded {
			t.Fatalf("second EnsureDefault: loaded=%v err=%v", loaded, err)
		}
		vs, err := s.Versions(ctx)
		if err != nil || len(vs) != 1 {
			t.Fatalf("versions: %v %v", vs, err)
		}
		cur, err := s.Current(as(domain.RoleProfessional))
		if err != nil {
			t.Fatal(err)
		}
		if cur.State != StatePublished || !cur.Illustrative || cur.Dimensions != 6 || cur.Areas != 16 || cur.Lines != 140 {
			t.Fatalf("current: %+v", cur)
		}
		tree, err := s.Tree(as(domain.RoleAnalyst), cur.ID)
		if err != nil {
			t.Fatal(err)
		}
		if dd, aa, ll := tree.Counts(); dd != 6 || aa != 16 || ll != 140 || len(tree.Scale) != 4 {
			t.Fatalf("tree counts %d/%d/%d scale %d", dd, aa, ll, len(tree.Scale))
		}
		lines, err := s.Lines(as(domain.RoleProvider), cur.ID)
		if err != nil || len(lines) != 140 || lines[0].Code != "D1.A1.L01" || lines[0].AreaCode != "D1.A1" || lines[0].DimensionCode != "D1" {
			t.Fatalf("lines: %d %+v %v", len(lines), lines[0], err)
		}
		det, err := s.ItemDetail(as(domain.RoleRegional), lines[17].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(det.Levels) != 4 || len(det.Crosswalks) < 2 || len(det.Path) != 2 || det.Path[0].Kind != KindDimension {
			t.Fatalf("detail: %+v", det)
		}
		it, err := s.ItemByCode(as(domain.RoleOrganisation), cur.ID, "D3.A2.L04")
		if err != nil || !strings.Contains(it.TitleIT, "malattie croniche") {
			t.Fatalf("by code: %+v %v", it, err)
		}
		sc, err := s.Scale(as(domain.RoleProfessional), cur.ID)
		if err != nil || !sc.Has(4) || sc.Has(5) || sc.Min() != 1 || sc.Max() != 4 {
			t.Fatalf("scale: %+v %v", sc, err)
		}
	})
}

func TestPublishedVersionIsImmutable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d, true)
		ctx := sysCtx()
		cur, _ := s.Current(ctx)
		before, err := s.Export(ctx, cur.ID, FormatJSON)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := s.ItemByCode(ctx, cur.ID, "D1.A1.L01")
		area, _ := s.ItemByCode(ctx, cur.ID, "D1.A1")
		sc, _ := s.Scale(ctx, cur.ID)
		writes := map[string]func() error{
			"update version": func() error {
				_, err := s.UpdateVersion(ctx, cur.ID, VersionInput{Version: "9", TitleIT: "x"})
				return err
			},
			"update scale": func() error { _, err := s.UpdateScale(ctx, cur.ID, sc); return err },
			"add item": func() error {
				_, err := s.AddItem(ctx, cur.ID, NewItem{Kind: KindLine, ParentID: area.ID, ItemInput: ItemInput{TitleIT: "nuova"}})
				return err
			},
			"update item": func() error { _, err := s.UpdateItem(ctx, line.ID, ItemInput{TitleIT: "cambiata"}); return err },
			"move item":   func() error { _, err := s.MoveItem(ctx, line.ID, area.ID); return err },
			"remove item": func() error { return s.RemoveItem(ctx, line.ID) },
			"set levels": func() error {
				_, err := s.SetLevels(ctx, line.ID, []LineLevel{{Level: 1, DescriptorIT: "x"}})
				return err
			},
			"set crosswalks": func() error {
				_, err := s.SetCrosswalks(ctx, line.ID, []Crosswalk{{Scheme: SchemeECM, Code: "17", Relation: RelExact}})
				return err
			},
			"add crosswalk": func() error {
				_, err := s.AddCrosswalk(ctx, line.ID, Crosswalk{Scheme: SchemeECM, Code: "29", Relation: RelRelated})
				return err
			},
			"publish again": func() error { _, err := s.Publish(ctx, cur.ID); return err },
		}
		for name, w := range writes {
			err := w()
			if code(err) != domain.ECONFLICT || !strings.Contains(err.Error(), "immutable") {
				t.Errorf("%s on a published version: want a clear ECONFLICT, got %v", name, err)
			}
		}
		// The database refuses too, whoever writes.
		for _, q := range []string{
			`UPDATE framework_items SET title_it = 'forged' WHERE id = $1`,
			`DELETE FROM framework_items WHERE id = $1`,
			`UPDATE line_levels SET descriptor_it = 'forged' WHERE item_id = $1`,
			`DELETE FROM crosswalks WHERE item_id = $1`,
		} {
			if _, err := s.DB.Write.ExecContext(ctx, q, line.ID); err == nil {
				t.Errorf("the database accepted %q on a published version", q)
			}
		}
		if _, err := s.DB.Write.ExecContext(ctx, `UPDATE framework_versions SET title_it = 'forged' WHERE id = $1`, cur.ID); err == nil {
			t.Error("the database accepted a title change on a published version")
		}
		if _, err := s.DB.Write.ExecContext(ctx, `UPDATE scale_levels SET label_it = 'forged' WHERE framework_id = $1`, cur.ID); err == nil {
			t.Error("the database accepted a scale change on a published version")
		}
		after, _ := s.Export(ctx, cur.ID, FormatJSON)
		if string(before.Data) != string(after.Data) {
			t.Fatal("the published version changed")
		}
		// Retiring is the one change allowed; a retired version is immutable as well.
		if _, err := s.Retire(ctx, cur.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateItem(ctx, line.ID, ItemInput{TitleIT: "x"}); code(err) != domain.ECONFLICT {
			t.Fatalf("edit of a retired version: %v", err)
		}
		if _, err := s.Retire(ctx, cur.ID); code(err) != domain.ECONFLICT {
			t.Fatalf("retire twice: %v", err)
		}
	})
}

func TestDraftLifecycleCopyEditDiffPublish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d, true)
		ctx := sysCtx()
		base, _ := s.Current(ctx)
		draft, err := s.CreateDraft(ctx, base.ID, NewDraft{})
		if err != nil {
			t.Fatal(err)
		}
		if draft.Version != "0.2" || draft.State != StateDraft || draft.BasedOnID != base.ID || draft.Lines != 140 || !draft.Illustrative {
			t.Fatalf("draft: %+v", draft)
		}
		if _, err := s.CreateDraft(ctx, base.ID, NewDraft{Version: "0.2"}); code(err) != domain.EINVALID {
			t.Fatalf("duplicate label: %v", err)
		}
		diff, err := s.Compare(ctx, base.ID, draft.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !diff.Empty() || diff.Unchanged != 162 {
			t.Fatalf("a fresh copy must equal its base (levels and crosswalks included): %+v", diff)
		}
		// Edit the draft.
		l1, _ := s.ItemByCode(ctx, draft.ID, "D1.A1.L01")
		if _, err := s.UpdateItem(ctx, l1.ID, ItemInput{TitleIT: "Ricerca di informazioni sanitarie online", TitleEN: l1.TitleEN, DescriptionIT: l1.DescriptionIT}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetLevels(ctx, l1.ID, []LineLevel{{Level: 1, DescriptorIT: "Nuovo descrittore base."}, {Level: 2, DescriptorIT: "Intermedio."}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetLevels(ctx, l1.ID, []LineLevel{{Level: 5, DescriptorIT: "Fuori scala."}}); code(err) != domain.EINVALID {
			t.Fatalf("level off the scale: %v", err)
		}
		cws, err := s.AddCrosswalk(ctx, l1.ID, Crosswalk{Scheme: SchemeECM, Code: "29", Relation: RelRelated})
		if err != nil || cws[len(cws)-1].Label == "" {
			t.Fatalf("add crosswalk: %+v %v", cws, err)
		}
		for _, bad := range []Crosswalk{{Scheme: SchemeECM, Code: "99", Relation: RelExact}, {Scheme: SchemeDigComp, Code: "1.1", Relation: "similar"},
			{Scheme: SchemeDigComp, Code: "9.9", Relation: RelExact}} {
			if _, err := s.AddCrosswalk(ctx, l1.ID, bad); code(err) != domain.EINVALID {
				t.Errorf("bad crosswalk %+v accepted: %v", bad, err)
			}
		}
		area, _ := s.ItemByCode(ctx, draft.ID, "D1.A1")
		added, err := s.AddItem(ctx, draft.ID, NewItem{Kind: KindLine, ParentID: area.ID, ItemInput: ItemInput{TitleIT: "Lettura critica dei preprint", TitleEN: "Reading preprints critically"}})
		if err != nil || added.Code != "D1.A1.L09" {
			t.Fatalf("add line: %+v %v", added, err)
		}
		if _, err := s.AddItem(ctx, draft.ID, NewItem{Kind: KindLine, ParentID: l1.ID, ItemInput: ItemInput{TitleIT: "x"}}); code(err) != domain.EINVALID {
			t.Fatalf("a line under a line: %v", err)
		}
		if _, err := s.AddItem(ctx, draft.ID, NewItem{Kind: KindLine, ParentID: area.ID, Code: "D1.A1.L02", ItemInput: ItemInput{TitleIT: "x"}}); code(err) != domain.EINVALID {
			t.Fatalf("duplicate code: %v", err)
		}
		gone, _ := s.ItemByCode(ctx, draft.ID, "D1.A1.L08")
		if err := s.RemoveItem(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		moved, _ := s.ItemByCode(ctx, draft.ID, "D1.A2.L01")
		if _, err := s.MoveItem(ctx, moved.ID, area.ID); err != nil {
			t.Fatal(err)
		}
		// A removed code is never reused for new content.
		again, err := s.AddItem(ctx, draft.ID, NewItem{Kind: KindLine, ParentID: area.ID, ItemInput: ItemInput{TitleIT: "Altra"}})
		if err != nil || again.Code != "D1.A1.L10" {
			t.Fatalf("next code after removal: %+v %v", again, err)
		}
		diff, err = s.Compare(ctx, base.ID, draft.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(diff.Added) != 2 || diff.Added[0].Code != "D1.A1.L09" || len(diff.Removed) != 1 || diff.Removed[0].Code != "D1.A1.L08" {
			t.Fatalf("added/removed: %+v / %+v", diff.Added, diff.Removed)
		}
		fields := map[string][]string{}
		for _, c := range diff.Changed {
			fields[c.Code] = c.Fields
		}
		if got := strings.Join(fields["D1.A1.L01"], ";"); got != "title_it;levels 1,2,3,4;crosswalks" {
			t.Fatalf("changed fields of D1.A1.L01: %q", got)
		}
		if got := strings.Join(fields["D1.A2.L01"], ";"); got != "parent" {
			t.Fatalf("changed fields of the moved line: %q", got)
		}
		// Search is accent- and case-insensitive.
		hits, err := s.Search(ctx, draft.ID, "QUALITA dati")
		if err != nil || len(hits) == 0 {
			t.Fatalf("search: %v %v", hits, err)
		}
		for _, h := range hits {
			if !strings.Contains(searchText(h.Code, h.TitleIT, h.TitleEN, h.DescriptionIT, h.DescriptionEN), "qualita") {
				t.Errorf("search hit without the word: %s", h.Code)
			}
		}
		if hits, _ := s.Search(ctx, draft.ID, "télémédicine"); len(hits) != 0 {
			// French spelling folds to "telemedicine", which is the English word: the English
			// titles contain "telemedicine", so hits are expected.
			_ = hits
		}
		if hits, _ := s.Search(ctx, draft.ID, "zzzzqqq"); len(hits) != 0 {
			t.Fatal("nonsense matched")
		}
		// Publish: the new version becomes current.
		pub, err := s.Publish(ctx, draft.ID)
		if err != nil || pub.State != StatePublished || pub.PublishedAt == nil {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		cur, _ := s.Current(ctx)
		if cur.ID != draft.ID {
			t.Fatalf("current after publishing the draft: %d, want %d", cur.ID, draft.ID)
		}
		if _, err := s.UpdateItem(ctx, added.ID, ItemInput{TitleIT: "x"}); code(err) != domain.ECONFLICT {
			t.Fatalf("edit after publish: %v", err)
		}
	})
}

func TestPermissions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d, true)
		cur, _ := s.Current(sysCtx())
		draft, err := s.CreateDraft(as(domain.RoleNational), cur.ID, NewDraft{})
		if err != nil {
			t.Fatal(err)
		}
		line, _ := s.ItemByCode(sysCtx(), draft.ID, "D2.A1.L03")
		if _, err := s.Current(context.Background()); code(err) != domain.EUNAUTHORIZED {
			t.Fatalf("anonymous read: %v", err)
		}
		for _, r := range []domain.Role{domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider, domain.RoleProfessional, domain.RoleAnalyst} {
			ctx := as(r)
			if _, err := s.Tree(ctx, cur.ID); err != nil {
				t.Errorf("%s cannot read the published portfolio: %v", r, err)
			}
			if _, err := s.Tree(ctx, draft.ID); code(err) != domain.ENOTFOUND {
				t.Errorf("%s reads a draft: %v", r, err)
			}
			vs, _ := s.Versions(ctx)
			if len(vs) != 1 {
				t.Errorf("%s sees %d versions, want only the published one", r, len(vs))
			}
			if _, err := s.CreateDraft(ctx, cur.ID, NewDraft{}); code(err) != domain.EFORBIDDEN {
				t.Errorf("%s creates a draft: %v", r, err)
			}
			if _, err := s.UpdateItem(ctx, line.ID, ItemInput{TitleIT: "x"}); code(err) != domain.EFORBIDDEN {
				t.Errorf("%s edits: %v", r, err)
			}
			if _, err := s.Import(ctx, FormatJSON, []byte("{}"), "x.json"); code(err) != domain.EFORBIDDEN {
				t.Errorf("%s imports: %v", r, err)
			}
			if _, err := s.Publish(ctx, draft.ID); code(err) != domain.EFORBIDDEN {
				t.Errorf("%s publishes: %v", r, err)
			}
			if _, err := s.Export(ctx, cur.ID, FormatCASE); err != nil {
				t.Errorf("%s cannot export the published portfolio: %v", r, err)
			}
		}
		if _, err := s.UpdateItem(as(domain.RoleNational), line.ID, ItemInput{TitleIT: "Modificata dal governo nazionale"}); err != nil {
			t.Fatalf("national edit: %v", err)
		}
	})
}

func TestHighlightFoldsAndEscapes(t *testing.T) {
	cases := []struct {
		text  string
		terms []string
		want  string
	}{
		{"Qualità del dato clinico", []string{"qualita"}, "<mark>Qualità</mark> del dato clinico"},
		{"QUALITÀ e qualità", []string{"qualita"}, "<mark>QUALITÀ</mark> e <mark>qualità</mark>"},
		{"<b>FSE</b> & dati", []string{"fse"}, "&lt;b&gt;<mark>FSE</mark>&lt;/b&gt; &amp; dati"},
		{"Telemedicina", nil, "Telemedicina"},
		{"Dati e IA", []string{"dati", "ia"}, "<mark>Dati</mark> e <mark>IA</mark>"},
	}
	for _, c := range cases {
		if got := string(Highlight(c.text, c.terms)); got != c.want {
			t.Errorf("Highlight(%q, %v) = %q, want %q", c.text, c.terms, got, c.want)
		}
	}
	if got := SearchTerms("  Qualità,  DATI "); len(got) != 2 || got[0] != "qualita" || got[1] != "dati" {
		t.Fatalf("terms: %v", got)
	}
}
