package portfolio

import (
	"embed"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Module is the portfolio's web surface: pages under /portfolio and the JSON API under
// /api/v1/portfolio.
type Module struct{ S *Service }

var (
	everyone  = []domain.Role(nil)
	national  = []string{"national"}
	allRoles  = []string{"national", "regional", "organisation", "provider", "professional", "analyst"}
	maxUpload = int64(MaxImportBytes + 1<<20)
)

// Register plugs the module into the server.
func (m Module) Register(r *web.Routes) {
	sub, err := fs.Sub(templateFS, "templates")
	if err != nil {
		panic(err)
	}
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "nav.portfolio", Desc: "nav.portfolio.desc", Path: "/portfolio", Roles: everyone, Order: 10, Group: web.NavGroupCompetence})

	r.Page("GET /portfolio", m.currentPage)
	r.Page("GET /portfolio/versions", m.versionsPage)
	r.Page("GET /portfolio/versions/{id}", m.versionPage)
	r.Page("GET /portfolio/versions/{id}/export", m.exportPage)
	r.Page("GET /portfolio/versions/{id}/edit", m.versionEditPage)
	r.Page("POST /portfolio/versions/{id}/edit", m.versionEditPost)
	r.Page("POST /portfolio/versions/{id}/scale", m.scalePost)
	r.Page("POST /portfolio/versions/{id}/publish", m.publishPost)
	r.Page("POST /portfolio/versions/{id}/retire", m.retirePost)
	r.Page("POST /portfolio/versions/{id}/copy", m.copyPost)
	r.Page("POST /portfolio/versions/{id}/items", m.addItemPost)
	r.Page("GET /portfolio/items/{id}", m.itemPage)
	r.Page("POST /portfolio/items/{id}", m.itemPost)
	r.Page("POST /portfolio/items/{id}/levels", m.levelsPost)
	r.Page("POST /portfolio/items/{id}/crosswalks", m.crosswalkAddPost)
	r.Page("POST /portfolio/items/{id}/crosswalks/{cw}/delete", m.crosswalkDeletePost)
	r.Page("POST /portfolio/items/{id}/move", m.movePost)
	r.Page("POST /portfolio/items/{id}/delete", m.deletePost)
	r.Page("GET /portfolio/diff", m.diffPage)
	r.Page("GET /portfolio/import", m.importPage)
	r.Page("POST /portfolio/import", m.importPost, web.PageOpts{MaxBytes: maxUpload})

	m.registerAPI(r)
}

// ---- views

type treeLine struct {
	Item
	Title template.HTML
	Desc  template.HTML // shown when a search matched
}

type treeArea struct {
	Item
	Title template.HTML
	Desc  template.HTML // shown when a search matched the ambito itself
	Lines []treeLine
}

type treeDim struct {
	Item
	Title template.HTML
	Desc  template.HTML // shown when a search matched the dimension itself
	Areas []treeArea
}

type treeView struct {
	Version  Version
	Current  bool
	Versions []Version
	Scale    Scale
	Dims     []treeDim
	Q        string
	Matches  int
	Open     bool
	CanEdit  bool
	Saved    bool
}

func (m Module) currentPage(c *web.Ctx) error {
	v, err := m.S.Current(c.Context())
	if err != nil {
		return err
	}
	return m.renderTree(c, v)
}

func (m Module) versionPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	v, err := m.S.Version(c.Context(), id)
	if err != nil {
		return err
	}
	return m.renderTree(c, v)
}

func (m Module) renderTree(c *web.Ctx, v Version) error {
	ctx := c.Context()
	tree, err := m.S.Tree(ctx, v.ID)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(c.R.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	view := treeView{Version: tree.Version, Scale: tree.Scale, Q: q, Open: q != "" || c.R.URL.Query().Get("open") == "1",
		CanEdit: CanEdit(ctx) && v.Editable(), Saved: c.R.URL.Query().Get("saved") == "1"}
	terms := searchTerms(q)
	hit := map[int64]bool{}
	if q != "" {
		matches, err := m.S.Search(ctx, v.ID, q)
		if err != nil {
			return err
		}
		view.Matches = len(matches)
		for _, x := range matches {
			hit[x.ID] = true
		}
		tree = FilterTree(tree, matches)
	}
	if cur, err := m.S.Current(ctx); err == nil {
		view.Current = cur.ID == v.ID
	}
	if view.Versions, err = m.S.Versions(ctx); err != nil {
		return err
	}
	for _, d := range tree.Dimensions {
		td := treeDim{Item: d.Item, Title: Highlight(d.Title(c.Lang), terms)}
		if hit[d.ID] {
			td.Desc = Highlight(d.Description(c.Lang), terms)
		}
		for _, a := range d.Areas {
			ta := treeArea{Item: a.Item, Title: Highlight(a.Title(c.Lang), terms)}
			if hit[a.ID] {
				ta.Desc = Highlight(a.Description(c.Lang), terms)
			}
			for _, l := range a.Lines {
				tl := treeLine{Item: l, Title: Highlight(l.Title(c.Lang), terms)}
				if hit[l.ID] {
					tl.Desc = Highlight(l.Description(c.Lang), terms)
				}
				ta.Lines = append(ta.Lines, tl)
			}
			td.Areas = append(td.Areas, ta)
		}
		view.Dims = append(view.Dims, td)
	}
	return c.Render("portfolio_tree", v.Title(c.Lang), view)
}

type versionsView struct {
	Versions  []Version
	CurrentID int64
	CanEdit   bool
	Suggest   map[int64]string
	Formats   []string
	AnyIllus  bool
}

func (m Module) versionsPage(c *web.Ctx) error {
	ctx := c.Context()
	vs, err := m.S.Versions(ctx)
	if err != nil {
		return err
	}
	view := versionsView{Versions: vs, CanEdit: CanEdit(ctx), Suggest: map[int64]string{}, Formats: Formats}
	if cur, err := m.S.Current(ctx); err == nil {
		view.CurrentID = cur.ID
	}
	for _, v := range vs {
		view.AnyIllus = view.AnyIllus || v.Illustrative
		if view.CanEdit {
			view.Suggest[v.ID], _ = m.S.SuggestLabel(ctx, v.ID)
		}
	}
	return c.Render("portfolio_versions", c.T("portfolio.versions"), view)
}

func (m Module) exportPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	format := c.R.URL.Query().Get("format")
	if format == "" {
		format = FormatJSON
	}
	e, err := m.S.Export(c.Context(), id, format)
	if err != nil {
		return err
	}
	return c.WriteDownload(&web.Download{ContentType: e.ContentType, Filename: e.Filename, Body: e.Data})
}

type versionEditView struct {
	Version Version
	Scale   Scale
	Form    VersionInput
}

func (m Module) versionEditPage(c *web.Ctx) error {
	return m.renderVersionEdit(c, nil, nil, nil)
}

func (m Module) renderVersionEdit(c *web.Ctx, form *VersionInput, scale Scale, ferr error) error {
	ctx := c.Context()
	if !CanEdit(ctx) {
		return domain.Forbidden("only national governance edits the portfolio")
	}
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	v, err := m.S.Version(ctx, id)
	if err != nil {
		return err
	}
	if !v.Editable() && ferr == nil {
		return frozen(v)
	}
	view := versionEditView{Version: v, Form: VersionInput{v.Version, v.TitleIT, v.TitleEN, v.DescriptionIT, v.DescriptionEN, v.Illustrative}}
	if form != nil {
		view.Form = *form
	}
	if view.Scale = scale; scale == nil {
		if view.Scale, err = m.S.Scale(ctx, id); err != nil {
			return err
		}
	}
	return c.RenderForm("portfolio_version_edit", c.T("portfolio.edit.version")+" "+v.Label(), view, ferr)
}

func (m Module) versionEditPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := VersionInput{Version: c.R.FormValue("version"), TitleIT: c.R.FormValue("title_it"), TitleEN: c.R.FormValue("title_en"),
		DescriptionIT: c.R.FormValue("description_it"), DescriptionEN: c.R.FormValue("description_en"),
		Illustrative: c.R.FormValue("illustrative") == "1"}
	if _, err := m.S.UpdateVersion(c.Context(), id, in); err != nil {
		return m.renderVersionEdit(c, &in, nil, err)
	}
	return c.Redirect("/portfolio/versions/" + strconv.FormatInt(id, 10) + "?saved=1")
}

func (m Module) scalePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(c.R.FormValue("levels"))
	var levels Scale
	for i := 1; i <= n && i <= maxScaleLevel; i++ {
		p := "level_" + strconv.Itoa(i) + "_"
		levels = append(levels, Level{Level: i, LabelIT: c.R.FormValue(p + "label_it"), LabelEN: c.R.FormValue(p + "label_en"),
			DescriptorIT: c.R.FormValue(p + "descriptor_it"), DescriptorEN: c.R.FormValue(p + "descriptor_en")})
	}
	if _, err := m.S.UpdateScale(c.Context(), id, levels); err != nil {
		return m.renderVersionEdit(c, nil, levels, err)
	}
	return c.Redirect("/portfolio/versions/" + strconv.FormatInt(id, 10) + "/edit?saved=1")
}

func (m Module) publishPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.Publish(c.Context(), id); err != nil {
		return err
	}
	return c.Redirect("/portfolio/versions/" + strconv.FormatInt(id, 10))
}

func (m Module) retirePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.Retire(c.Context(), id); err != nil {
		return err
	}
	return c.Redirect("/portfolio/versions")
}

func (m Module) copyPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	v, err := m.S.CreateDraft(c.Context(), id, NewDraft{Version: c.R.FormValue("version")})
	if err != nil {
		return err
	}
	return c.Redirect("/portfolio/versions/" + strconv.FormatInt(v.ID, 10))
}

func (m Module) addItemPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	parent, _ := strconv.ParseInt(c.R.FormValue("parent_id"), 10, 64)
	in := NewItem{Kind: c.R.FormValue("kind"), ParentID: parent, Code: c.R.FormValue("code"), ItemInput: ItemInput{
		TitleIT: c.R.FormValue("title_it"), TitleEN: c.R.FormValue("title_en"), DescriptionIT: c.R.FormValue("description_it"),
		DescriptionEN: c.R.FormValue("description_en")}}
	it, err := m.S.AddItem(c.Context(), id, in)
	if err != nil {
		if parent != 0 && (domain.ErrorCode(err) == domain.EINVALID || domain.ErrorCode(err) == domain.ECONFLICT) {
			return m.renderItem(c, parent, &itemForm{Add: in}, err)
		}
		if domain.ErrorCode(err) == domain.EINVALID {
			return m.renderTreeError(c, id, err)
		}
		return err
	}
	return c.Redirect("/portfolio/items/" + strconv.FormatInt(it.ID, 10) + "?saved=1")
}

func (m Module) renderTreeError(c *web.Ctx, versionID int64, ferr error) error {
	v, err := m.S.Version(c.Context(), versionID)
	if err != nil {
		return err
	}
	tree, err := m.S.Tree(c.Context(), versionID)
	if err != nil {
		return err
	}
	view := treeView{Version: v, Scale: tree.Scale, CanEdit: CanEdit(c.Context()) && v.Editable()}
	for _, d := range tree.Dimensions {
		view.Dims = append(view.Dims, treeDim{Item: d.Item, Title: Highlight(d.Title(c.Lang), nil)})
	}
	return c.RenderForm("portfolio_tree", v.Title(c.Lang), view, ferr)
}

// ---- item page

type itemForm struct {
	Texts  *ItemInput
	Levels map[int]LineLevel
	Add    NewItem
	CW     Crosswalk
}

type levelRow struct {
	Scale Level
	Line  LineLevel
	Has   bool
}

type itemView struct {
	D         ItemDetail
	CanEdit   bool
	Saved     bool
	Texts     ItemInput
	Rows      []levelRow
	ChildKnd  string
	Parents   []Item // where the item can move
	ECM       []RefEntry
	DigComp   []RefEntry
	Relations []string
	Form      itemForm
}

func (m Module) itemPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	return m.renderItem(c, id, nil, nil)
}

func (m Module) renderItem(c *web.Ctx, id int64, form *itemForm, ferr error) error {
	ctx := c.Context()
	d, err := m.S.ItemDetail(ctx, id)
	if err != nil {
		return err
	}
	view := itemView{D: d, CanEdit: CanEdit(ctx) && d.Version.Editable(), Saved: c.R.URL.Query().Get("saved") == "1",
		Texts: ItemInput{d.Item.TitleIT, d.Item.TitleEN, d.Item.DescriptionIT, d.Item.DescriptionEN}}
	if form != nil {
		view.Form = *form
		if form.Texts != nil {
			view.Texts = *form.Texts
		}
	}
	for _, s := range d.Scale {
		row := levelRow{Scale: s}
		row.Line, row.Has = d.LevelFor(s.Level)
		if form != nil && form.Levels != nil {
			row.Line = form.Levels[s.Level]
		}
		view.Rows = append(view.Rows, row)
	}
	switch d.Item.Kind {
	case KindDimension:
		view.ChildKnd = KindArea
	case KindArea:
		view.ChildKnd = KindLine
	}
	if view.CanEdit {
		view.ECM, view.DigComp = ECMObjectives(), DigComp()
		view.Relations = []string{RelBroader, RelExact, RelNarrower, RelRelated}
		if d.Item.Kind != KindDimension {
			tree, err := m.S.Tree(ctx, d.Version.ID)
			if err != nil {
				return err
			}
			for _, dim := range tree.Dimensions {
				if d.Item.Kind == KindArea {
					if dim.ID != d.Item.ParentID {
						view.Parents = append(view.Parents, dim.Item)
					}
					continue
				}
				for _, a := range dim.Areas {
					if a.ID != d.Item.ParentID {
						view.Parents = append(view.Parents, a.Item)
					}
				}
			}
		}
	}
	title := d.Item.Code + " · " + d.Item.Title(c.Lang)
	return c.RenderForm("portfolio_item", title, view, ferr)
}

func (m Module) itemPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := ItemInput{TitleIT: c.R.FormValue("title_it"), TitleEN: c.R.FormValue("title_en"),
		DescriptionIT: c.R.FormValue("description_it"), DescriptionEN: c.R.FormValue("description_en")}
	if _, err := m.S.UpdateItem(c.Context(), id, in); err != nil {
		return m.formError(c, id, &itemForm{Texts: &in}, err)
	}
	return c.Redirect(itemURL(id) + "?saved=1")
}

// formError re-renders the item page with the error beside the fields for input problems,
// and as an error page for anything else.
func (m Module) formError(c *web.Ctx, id int64, f *itemForm, err error) error {
	switch domain.ErrorCode(err) {
	case domain.EINVALID, domain.ECONFLICT:
		return m.renderItem(c, id, f, err)
	}
	return err
}

func itemURL(id int64) string { return "/portfolio/items/" + strconv.FormatInt(id, 10) }

func (m Module) levelsPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := c.R.ParseForm(); err != nil {
		return domain.Invalid("levels", "unreadable form: %v", err)
	}
	var levels []LineLevel
	form := map[int]LineLevel{}
	for i := 1; i <= maxScaleLevel; i++ {
		p := "level_" + strconv.Itoa(i) + "_"
		if _, ok := c.R.PostForm[p+"it"]; !ok {
			continue
		}
		l := LineLevel{Level: i, DescriptorIT: c.R.FormValue(p + "it"), DescriptorEN: c.R.FormValue(p + "en")}
		levels = append(levels, l)
		form[i] = l
	}
	if _, err := m.S.SetLevels(c.Context(), id, levels); err != nil {
		return m.formError(c, id, &itemForm{Levels: form}, err)
	}
	return c.Redirect(itemURL(id) + "?saved=1#levels")
}

func (m Module) crosswalkAddPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	cw := Crosswalk{Scheme: strings.TrimSpace(c.R.FormValue("scheme")), Code: strings.TrimSpace(c.R.FormValue("code")),
		Label: c.R.FormValue("label"), Relation: c.R.FormValue("relation")}
	if cw.Scheme == "other" {
		cw.Scheme = strings.TrimSpace(c.R.FormValue("other_scheme"))
	}
	if _, err := m.S.AddCrosswalk(c.Context(), id, cw); err != nil {
		return m.formError(c, id, &itemForm{CW: cw}, err)
	}
	return c.Redirect(itemURL(id) + "?saved=1#crosswalks")
}

func (m Module) crosswalkDeletePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	cw, err := c.PathInt64("cw")
	if err != nil {
		return err
	}
	if _, err := m.S.RemoveCrosswalk(c.Context(), id, cw); err != nil {
		return m.formError(c, id, nil, err)
	}
	return c.Redirect(itemURL(id) + "?saved=1#crosswalks")
}

func (m Module) movePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	parent, _ := strconv.ParseInt(c.R.FormValue("parent_id"), 10, 64)
	if _, err := m.S.MoveItem(c.Context(), id, parent); err != nil {
		return m.formError(c, id, nil, err)
	}
	return c.Redirect(itemURL(id) + "?saved=1")
}

func (m Module) deletePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	it, err := m.S.Item(c.Context(), id)
	if err != nil {
		return err
	}
	if err := m.S.RemoveItem(c.Context(), id); err != nil {
		return m.formError(c, id, nil, err)
	}
	if it.ParentID != 0 {
		return c.Redirect(itemURL(it.ParentID) + "?saved=1")
	}
	return c.Redirect("/portfolio/versions/" + strconv.FormatInt(it.VersionID, 10) + "?saved=1")
}

// ---- diff

type diffView struct {
	Versions     []Version
	From, To     int64
	Diff         *Diff
	Lines        [3][]DiffEntry // added, removed, changed lines
	Others       []DiffEntry
	Illustrative bool
}

func (m Module) diffPage(c *web.Ctx) error {
	ctx := c.Context()
	vs, err := m.S.Versions(ctx)
	if err != nil {
		return err
	}
	view := diffView{Versions: vs}
	view.From, _ = strconv.ParseInt(c.R.URL.Query().Get("from"), 10, 64)
	view.To, _ = strconv.ParseInt(c.R.URL.Query().Get("to"), 10, 64)
	if view.To == 0 && len(vs) > 0 {
		view.To = vs[0].ID
	}
	if view.From == 0 {
		for _, v := range vs {
			if v.ID == view.To && v.BasedOnID != 0 {
				view.From = v.BasedOnID
			}
		}
		if view.From == 0 && len(vs) > 1 {
			view.From = vs[1].ID
		}
	}
	if view.From != 0 && view.To != 0 {
		d, err := m.S.Compare(ctx, view.From, view.To)
		if err != nil {
			return err
		}
		view.Diff = &d
		view.Lines = [3][]DiffEntry{LinesOnly(d.Added), LinesOnly(d.Removed), LinesOnly(d.Changed)}
		for _, l := range [][]DiffEntry{d.Added, d.Removed, d.Changed} {
			for _, e := range l {
				if e.Kind != KindLine {
					view.Others = append(view.Others, e)
				}
			}
		}
		view.Illustrative = d.From.Illustrative || d.To.Illustrative
	}
	return c.Render("portfolio_diff", c.T("portfolio.diff"), view)
}

// ---- import

type importView struct {
	Formats []string
	Format  string
	Result  *ImportResult
}

func (m Module) importPage(c *web.Ctx) error {
	if !CanEdit(c.Context()) {
		return domain.Forbidden("only national governance imports portfolios")
	}
	return c.Render("portfolio_import", c.T("portfolio.import"), importView{Formats: Formats, Format: FormatJSON})
}

func (m Module) importPost(c *web.Ctx) error {
	if _, err := requireWriter(c.Context()); err != nil {
		return err
	}
	view := importView{Formats: Formats, Format: FormatJSON}
	var data []byte
	name := "pasted"
	if strings.HasPrefix(c.R.Header.Get("Content-Type"), "multipart/form-data") {
		if err := c.R.ParseMultipartForm(8 << 20); err != nil {
			return c.RenderForm("portfolio_import", c.T("portfolio.import"), view, domain.Invalid("file", "unreadable upload: %v", err))
		}
		view.Format = c.R.FormValue("format")
		b, hdr, ok, err := c.Upload("file", web.UploadSpec{MaxBytes: MaxImportBytes, Kinds: []web.UploadKind{web.UploadJSON, web.UploadCSV}})
		if err != nil {
			return c.RenderForm("portfolio_import", c.T("portfolio.import"), view, err)
		}
		if ok {
			data, name = b, hdr.Filename
		}
	} else {
		view.Format = c.R.FormValue("format")
	}
	if len(data) == 0 {
		// The file may also be pasted as text (handy for small CSV files, and forms without JS).
		data = []byte(c.R.FormValue("content"))
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return c.RenderForm("portfolio_import", c.T("portfolio.import"), view, domain.Invalid("file", "choose a file to import (or paste its content)"))
	}
	res, err := m.S.Import(c.Context(), view.Format, data, name)
	if err != nil {
		return c.RenderForm("portfolio_import", c.T("portfolio.import"), view, err)
	}
	view.Result = &res
	return c.Render("portfolio_import", c.T("portfolio.import"), view)
}

// ---- JSON API

type draftInput struct {
	BasedOnID int64  `json:"based_on_id"`
	Version   string `json:"version"`
	TitleIT   string `json:"title_it,omitempty"`
}

type moveInput struct {
	ParentID int64 `json:"parent_id"`
}

func (m Module) registerAPI(r *web.Routes) {
	s := m.S
	id := func(c *web.Ctx) (int64, error) { return c.PathInt64("id") }
	r.API("GET /api/v1/portfolio/current", web.Op{Summary: "The framework version in force (latest published, else the default)", Tag: "portfolio",
		Response: Version{}, Roles: allRoles}, func(c *web.Ctx) (any, error) { return s.Current(c.Context()) })
	r.API("GET /api/v1/portfolio/versions", web.Op{Summary: "Framework versions (drafts for national governance only)", Tag: "portfolio",
		Response: []Version{}, Roles: allRoles}, func(c *web.Ctx) (any, error) { return s.Versions(c.Context()) })
	r.API("POST /api/v1/portfolio/versions", web.Op{Summary: "Start a new draft as a deep copy of a version", Tag: "portfolio",
		Request: draftInput{}, Response: Version{}, Roles: national, Created: true}, func(c *web.Ctx) (any, error) {
		var in draftInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.CreateDraft(c.Context(), in.BasedOnID, NewDraft{Version: in.Version, TitleIT: in.TitleIT})
	})
	r.API("GET /api/v1/portfolio/versions/{id}", web.Op{Summary: "One framework version", Tag: "portfolio", Response: Version{}, Roles: allRoles},
		func(c *web.Ctx) (any, error) {
			v, err := id(c)
			if err != nil {
				return nil, err
			}
			return s.Version(c.Context(), v)
		})
	r.API("PATCH /api/v1/portfolio/versions/{id}", web.Op{Summary: "Edit the metadata of a draft", Tag: "portfolio", Request: VersionInput{},
		Response: Version{}, Roles: national}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		var in VersionInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.UpdateVersion(c.Context(), v, in)
	})
	r.API("POST /api/v1/portfolio/versions/{id}/publish", web.Op{Summary: "Publish a draft (it becomes immutable)", Tag: "portfolio",
		Response: Version{}, Roles: national}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		return s.Publish(c.Context(), v)
	})
	r.API("POST /api/v1/portfolio/versions/{id}/retire", web.Op{Summary: "Retire a version", Tag: "portfolio", Response: Version{}, Roles: national},
		func(c *web.Ctx) (any, error) {
			v, err := id(c)
			if err != nil {
				return nil, err
			}
			return s.Retire(c.Context(), v)
		})
	r.API("GET /api/v1/portfolio/versions/{id}/tree", web.Op{Summary: "A version's scale and tree (dimensions → ambiti → lines)", Tag: "portfolio",
		Response: Tree{}, Roles: allRoles}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		return s.Tree(c.Context(), v)
	})
	r.API("GET /api/v1/portfolio/versions/{id}/lines", web.Op{Summary: "A version's lines, in order, with ambito and dimension", Tag: "portfolio",
		Response: []Line{}, Roles: allRoles}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		return s.Lines(c.Context(), v)
	})
	r.API("GET /api/v1/portfolio/versions/{id}/scale", web.Op{Summary: "A version's proficiency scale", Tag: "portfolio", Response: Scale{}, Roles: allRoles},
		func(c *web.Ctx) (any, error) {
			v, err := id(c)
			if err != nil {
				return nil, err
			}
			return s.Scale(c.Context(), v)
		})
	r.API("PUT /api/v1/portfolio/versions/{id}/scale", web.Op{Summary: "Edit the labels and descriptors of a draft's scale", Tag: "portfolio",
		Request: Scale{}, Response: Scale{}, Roles: national}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		var in Scale
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.UpdateScale(c.Context(), v, in)
	})
	r.API("GET /api/v1/portfolio/versions/{id}/search", web.Op{Summary: "Items whose code, titles or descriptions contain every word of q (accent-insensitive)",
		Tag: "portfolio", Response: []Item{}, Roles: allRoles}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		return s.Search(c.Context(), v, c.R.URL.Query().Get("q"))
	})
	r.API("POST /api/v1/portfolio/versions/{id}/items", web.Op{Summary: "Add a dimension, ambito or line to a draft", Tag: "portfolio",
		Request: NewItem{}, Response: Item{}, Roles: national, Created: true}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		var in NewItem
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.AddItem(c.Context(), v, in)
	})
	r.API("GET /api/v1/portfolio/versions/{id}/export", web.Op{Summary: "Export a version: ?format=json|moodle|case", Tag: "portfolio",
		RawResponse: "application/json, text/csv", Roles: allRoles}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		f := c.R.URL.Query().Get("format")
		if f == "" {
			f = FormatJSON
		}
		e, err := s.Export(c.Context(), v, f)
		if err != nil {
			return nil, err
		}
		return &web.Download{ContentType: e.ContentType, Filename: e.Filename, Body: e.Data}, nil
	})
	r.API("GET /api/v1/portfolio/items/{id}", web.Op{Summary: "An item with its path, children, level descriptors and crosswalks", Tag: "portfolio",
		Response: ItemDetail{}, Roles: allRoles}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		return s.ItemDetail(c.Context(), v)
	})
	r.API("PATCH /api/v1/portfolio/items/{id}", web.Op{Summary: "Edit an item's titles and descriptions (draft only)", Tag: "portfolio",
		Request: ItemInput{}, Response: Item{}, Roles: national}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		var in ItemInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.UpdateItem(c.Context(), v, in)
	})
	r.API("POST /api/v1/portfolio/items/{id}/move", web.Op{Summary: "Move an ambito or line under another parent (draft only)", Tag: "portfolio",
		Request: moveInput{}, Response: Item{}, Roles: national}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		var in moveInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.MoveItem(c.Context(), v, in.ParentID)
	})
	r.API("DELETE /api/v1/portfolio/items/{id}", web.Op{Summary: "Remove an item and everything under it (draft only)", Tag: "portfolio", Roles: national},
		func(c *web.Ctx) (any, error) {
			v, err := id(c)
			if err != nil {
				return nil, err
			}
			return nil, s.RemoveItem(c.Context(), v)
		})
	r.API("PUT /api/v1/portfolio/items/{id}/levels", web.Op{Summary: "Replace a line's level descriptors (draft only)", Tag: "portfolio",
		Request: []LineLevel{}, Response: []LineLevel{}, Roles: national}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		var in []LineLevel
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.SetLevels(c.Context(), v, in)
	})
	r.API("PUT /api/v1/portfolio/items/{id}/crosswalks", web.Op{Summary: "Replace a line's crosswalks to ECM objectives, DigComp and others (draft only)",
		Tag: "portfolio", Request: []Crosswalk{}, Response: []Crosswalk{}, Roles: national}, func(c *web.Ctx) (any, error) {
		v, err := id(c)
		if err != nil {
			return nil, err
		}
		var in []Crosswalk
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return s.SetCrosswalks(c.Context(), v, in)
	})
	r.API("GET /api/v1/portfolio/diff", web.Op{Summary: "Difference between two versions by stable code: ?from=ID&to=ID", Tag: "portfolio",
		Response: Diff{}, Roles: allRoles}, func(c *web.Ctx) (any, error) {
		q := c.R.URL.Query()
		from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
		to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
		if err1 != nil || err2 != nil {
			return nil, domain.Invalid("from", "give two version ids: ?from=ID&to=ID")
		}
		return s.Compare(c.Context(), from, to)
	})
	r.API("POST /api/v1/portfolio/import", web.Op{Summary: "Import a file as a new draft: ?format=json|moodle|case&filename=NAME, the file as the body",
		Tag: "portfolio", RawRequest: "application/octet-stream", RawKinds: []web.UploadKind{web.UploadJSON, web.UploadCSV}, Response: ImportResult{}, Roles: national, Created: true,
		MaxBytes: maxUpload}, func(c *web.Ctx) (any, error) {
		if _, err := requireWriter(c.Context()); err != nil {
			return nil, err
		}
		data, err := io.ReadAll(c.R.Body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, domain.Invalid("file", "file larger than %d MiB", MaxImportBytes>>20)
			}
			return nil, domain.Invalid("file", "unreadable body: %v", err)
		}
		q := c.R.URL.Query()
		return s.Import(c.Context(), q.Get("format"), data, q.Get("filename"))
	})
	r.API("GET /api/v1/portfolio/reference/{scheme}", web.Op{Summary: "Crosswalk targets of a scheme: ecm (national ECM objectives) or digcomp (DigComp 3.0)",
		Tag: "portfolio", Response: []RefEntry{}, Roles: allRoles}, func(c *web.Ctx) (any, error) {
		if _, err := requireReader(c.Context()); err != nil {
			return nil, err
		}
		sc := c.R.PathValue("scheme")
		if sc != SchemeECM && sc != SchemeDigComp {
			return nil, domain.NotFound("crosswalk scheme " + url.PathEscape(sc))
		}
		return SchemeTargets(sc), nil
	})
}
