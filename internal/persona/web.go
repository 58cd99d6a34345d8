package persona

import (
	"embed"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Module is the web surface of the persona capability: pages and JSON API.
type Module struct{ S *Service }

// Register plugs the pages, API operations, templates, menu entries and messages in.
func (m Module) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "nav.personas", Path: "/personas", Order: 20, Group: web.NavGroupCompetence})
	r.Nav(web.NavItem{Key: "nav.assignment", Path: "/assignment/rules", Order: 21, Secondary: true, Group: web.NavGroupCompetence})
	r.Nav(web.NavItem{Key: "nav.myprofile", Path: "/profile", Roles: []domain.Role{domain.RoleProfessional}, Order: 22, Group: web.NavGroupCompetence})

	r.Page("GET /personas", m.listPage)
	r.Page("GET /personas/heatmap", m.heatmapPage)
	r.Page("GET /personas/new", m.newPage)
	r.Page("POST /personas", m.createPost)
	r.Page("POST /personas/copy", m.copyPost)
	r.Page("GET /personas/{id}", m.personaPage)
	r.Page("GET /personas/{id}/edit", m.editPage)
	r.Page("POST /personas/{id}/edit", m.editPost)
	r.Page("POST /personas/{id}/delete", m.deletePost)
	r.Page("GET /personas/{id}/targets", m.targetsPage)
	r.Page("POST /personas/{id}/targets", m.targetsPost)
	r.Page("GET /personas/{id}/overlay", m.overlayPage)
	r.Page("POST /personas/{id}/overlay", m.overlayPost)
	r.Page("GET /assignment/rules", m.rulesPage)
	r.Page("POST /assignment/rules", m.ruleCreatePost)
	r.Page("GET /assignment/rules/{id}", m.ruleEditPage)
	r.Page("POST /assignment/rules/{id}", m.ruleEditPost)
	r.Page("POST /assignment/rules/{id}/delete", m.ruleDeletePost)
	r.Page("GET /assignment/test", m.testerPage)
	r.Page("GET /assignment/run", m.runPage)
	r.Page("POST /assignment/run", m.runPost)
	r.Page("GET /profile", m.myProfile)
	r.Page("GET /professionals/{id}/profile", m.profilePage)
	r.Page("POST /professionals/{id}/profile/override", m.overridePost)
	r.Page("POST /professionals/{id}/profile/clear", m.clearPost)

	m.registerAPI(r)
}

func formInt(c *web.Ctx, name string) int {
	v, _ := strconv.Atoi(strings.TrimSpace(c.R.FormValue(name)))
	return v
}

func formInt64(c *web.Ctx, name string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(c.R.FormValue(name)), 10, 64)
	return v
}

// frameworkParam reads ?framework_id= (0 = current).
func frameworkParam(c *web.Ctx) int64 {
	v, _ := strconv.ParseInt(c.R.URL.Query().Get("framework_id"), 10, 64)
	return v
}

// PageBase is what most pages share: the framework shown and the list to switch to.
type PageBase struct {
	Framework  Framework
	Frameworks []Framework
	National   bool
}

func (m Module) base(c *web.Ctx, fid int64) (PageBase, error) {
	f, err := m.S.resolveFramework(c.Context(), m.S.DB.Read, fid)
	if err != nil {
		return PageBase{}, err
	}
	fs, err := m.S.Frameworks(c.Context())
	if err != nil {
		return PageBase{}, err
	}
	return PageBase{Framework: f, Frameworks: fs, National: c.Actor.IsNationalOrSystem()}, nil
}

type listData struct {
	PageBase
	Personas []personaRow
	Copy     *CopyResult
}

type personaRow struct {
	Persona
	Required int
}

func (m Module) listPage(c *web.Ctx) error { return m.renderList(c, frameworkParam(c), nil, nil) }

func (m Module) renderList(c *web.Ctx, fid int64, copied *CopyResult, formErr error) error {
	b, err := m.base(c, fid)
	if err != nil {
		return err
	}
	ps, err := m.S.ListPersonas(c.Context(), b.Framework.ID)
	if err != nil {
		return err
	}
	d := listData{PageBase: b, Copy: copied}
	for _, p := range ps {
		ts, err := m.S.nationalTargets(c.Context(), m.S.DB.Read, p.ID)
		if err != nil {
			return err
		}
		n := 0
		for _, t := range ts {
			if t.Required {
				n++
			}
		}
		d.Personas = append(d.Personas, personaRow{Persona: p, Required: n})
	}
	return c.RenderForm("persona_list", c.T("persona.list.title"), d, formErr)
}

func (m Module) copyPost(c *web.Ctx) error {
	from, to := formInt64(c, "from_framework_id"), formInt64(c, "to_framework_id")
	res, err := m.S.CopyPersonas(c.Context(), from, to)
	if err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderList(c, from, nil, err)
		}
		return err
	}
	return m.renderList(c, to, &res, nil)
}

func (m Module) heatmapPage(c *web.Ctx) error {
	b, err := m.base(c, frameworkParam(c))
	if err != nil {
		return err
	}
	h, err := m.S.Heatmap(c.Context(), b.Framework.ID)
	if err != nil {
		return err
	}
	labels := make([]string, len(heatShades))
	for i := range labels {
		labels[i] = c.T("persona.heatmap.shade" + strconv.Itoa(i))
	}
	return c.Render("persona_heatmap", c.T("persona.heatmap.title"), map[string]any{"Base": b, "Heatmap": h, "Shades": heatShades, "ShadeLabels": labels})
}

// heatShades are background and text colours for shades 0–4 of the heat map: blues of the
// Bootstrap Italia palette with text contrast of at least 4.5:1 on each.
var heatShades = [][2]string{{"#ffffff", "#1a1a1a"}, {"#e6f0fa", "#1a1a1a"}, {"#b3d1f0", "#1a1a1a"}, {"#2670c0", "#ffffff"}, {"#004d99", "#ffffff"}}

// lineRow is one line of a persona page or editor.
type lineRow struct {
	Line      *Line
	National  Target
	HasNat    bool
	Value     Target // the editor's value (national or overlay)
	HasValue  bool
	Effective Target
	HasEff    bool
}

type areaRows struct {
	Area *Area
	Rows []lineRow
}

type dimRows struct {
	Dimension *Dimension
	Areas     []areaRows
}

// grouped lays lines out by dimension and ambito with the national and editor values.
func grouped(tree *Tree, national, value, effective []Target) []dimRows {
	nat, val, eff := map[int64]Target{}, map[int64]Target{}, map[int64]Target{}
	for _, t := range national {
		nat[t.LineID] = t
	}
	for _, t := range value {
		val[t.LineID] = t
	}
	for _, t := range effective {
		eff[t.LineID] = t
	}
	var out []dimRows
	for _, d := range tree.Dimensions {
		dr := dimRows{Dimension: d}
		for _, a := range d.Areas {
			ar := areaRows{Area: a}
			for _, l := range a.Lines {
				r := lineRow{Line: l}
				r.National, r.HasNat = nat[l.ID]
				r.Value, r.HasValue = val[l.ID]
				r.Effective, r.HasEff = eff[l.ID]
				ar.Rows = append(ar.Rows, r)
			}
			dr.Areas = append(dr.Areas, ar)
		}
		out = append(out, dr)
	}
	return out
}

type personaData struct {
	Persona    Persona
	Framework  Framework
	Groups     []dimRows
	Overlays   []Overlay
	Rules      []Rule
	National   bool
	OverlayURL string // the viewer's own overlay editor, if any
}

func (m Module) personaPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	p, err := m.S.GetPersona(c.Context(), id)
	if err != nil {
		return err
	}
	tree, err := m.S.Tree(c.Context(), p.FrameworkID)
	if err != nil {
		return err
	}
	ovs, err := m.S.Overlays(c.Context(), id)
	if err != nil {
		return err
	}
	rules, err := m.S.Rules(c.Context(), p.FrameworkID)
	if err != nil {
		return err
	}
	var mine []Rule
	for _, r := range rules {
		if r.PersonaID == id {
			mine = append(mine, r)
		}
	}
	d := personaData{Persona: p, Framework: tree.Framework, Groups: grouped(tree, p.Targets, nil, nil), Overlays: ovs, Rules: mine,
		National: c.Actor.IsNationalOrSystem()}
	switch c.Actor.Role {
	case domain.RoleNational, domain.RoleSystem:
		d.OverlayURL = "/personas/" + itoa(int(id)) + "/overlay"
	case domain.RoleRegional:
		d.OverlayURL = "/personas/" + itoa(int(id)) + "/overlay?region_id=" + strconv.FormatInt(c.Actor.RegionID, 10)
	case domain.RoleOrganisation:
		d.OverlayURL = "/personas/" + itoa(int(id)) + "/overlay?organisation_id=" + strconv.FormatInt(c.Actor.OrganisationID, 10)
	}
	return c.Render("persona_view", p.Name(c.Lang), d)
}

// personaForm reads the persona editor.
func personaForm(c *web.Ctx) PersonaInput {
	return PersonaInput{FrameworkID: formInt64(c, "framework_id"), Code: c.R.FormValue("code"), NameIT: c.R.FormValue("name_it"),
		NameEN: c.R.FormValue("name_en"), DescriptionIT: c.R.FormValue("description_it"), DescriptionEN: c.R.FormValue("description_en"),
		ExampleRolesIT: splitLines(c.R.FormValue("roles_it")), ExampleRolesEN: splitLines(c.R.FormValue("roles_en")),
		AllowLower: c.R.FormValue("allow_lower") != "", Position: formInt(c, "position")}
}

type editData struct {
	PageBase
	ID    int64
	Input PersonaInput
	Roles [2]string
}

func (m Module) newPage(c *web.Ctx) error {
	if _, err := requireNational(c.Context()); err != nil {
		return err
	}
	b, err := m.base(c, frameworkParam(c))
	if err != nil {
		return err
	}
	return c.Render("persona_edit", c.T("persona.new"), editData{PageBase: b, Input: PersonaInput{FrameworkID: b.Framework.ID}})
}

func (m Module) createPost(c *web.Ctx) error {
	in := personaForm(c)
	p, err := m.S.CreatePersona(c.Context(), in)
	if err == nil {
		return c.Redirect("/personas/" + itoa(int(p.ID)) + "/targets")
	}
	b, berr := m.base(c, in.FrameworkID)
	if berr != nil {
		return err
	}
	return c.RenderForm("persona_edit", c.T("persona.new"), editData{PageBase: b, Input: in,
		Roles: [2]string{c.R.FormValue("roles_it"), c.R.FormValue("roles_en")}}, err)
}

func (m Module) editPage(c *web.Ctx) error {
	if _, err := requireNational(c.Context()); err != nil {
		return err
	}
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	p, err := m.S.GetPersona(c.Context(), id)
	if err != nil {
		return err
	}
	b, err := m.base(c, p.FrameworkID)
	if err != nil {
		return err
	}
	in := PersonaInput{FrameworkID: p.FrameworkID, Code: p.Code, NameIT: p.NameIT, NameEN: p.NameEN, DescriptionIT: p.DescriptionIT,
		DescriptionEN: p.DescriptionEN, AllowLower: p.AllowLower, Position: p.Position}
	return c.Render("persona_edit", c.T("persona.edit"), editData{PageBase: b, ID: id, Input: in,
		Roles: [2]string{strings.Join(p.ExampleRolesIT, "\n"), strings.Join(p.ExampleRolesEN, "\n")}})
}

func (m Module) editPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := personaForm(c)
	_, err = m.S.UpdatePersona(c.Context(), id, in)
	if err == nil {
		return c.Redirect("/personas/" + itoa(int(id)))
	}
	b, berr := m.base(c, in.FrameworkID)
	if berr != nil {
		return err
	}
	return c.RenderForm("persona_edit", c.T("persona.edit"), editData{PageBase: b, ID: id, Input: in,
		Roles: [2]string{c.R.FormValue("roles_it"), c.R.FormValue("roles_en")}}, err)
}

func (m Module) deletePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	p, err := m.S.GetPersona(c.Context(), id)
	if err != nil {
		return err
	}
	if err := m.S.DeletePersona(c.Context(), id); err != nil {
		return err
	}
	return c.Redirect("/personas?framework_id=" + strconv.FormatInt(p.FrameworkID, 10))
}

type targetsData struct {
	Persona   Persona
	Framework Framework
	Groups    []dimRows
	Overlay   bool
	Scope     OverlayScope
	ScopeName string
	Note      string
	Regions   []scopeOption
}

type scopeOption struct {
	ID   int64
	Name string
}

func (m Module) targetsPage(c *web.Ctx) error {
	if _, err := requireNational(c.Context()); err != nil {
		return err
	}
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	p, err := m.S.GetPersona(c.Context(), id)
	if err != nil {
		return err
	}
	tree, err := m.S.Tree(c.Context(), p.FrameworkID)
	if err != nil {
		return err
	}
	return c.Render("persona_targets", c.T("persona.targets.title"), targetsData{Persona: p, Framework: tree.Framework,
		Groups: grouped(tree, p.Targets, p.Targets, nil)})
}

// editorInputs reads the min_/max_/allow_ selects of the target and overlay editors. In the
// target editor an empty or "0" minimum means "not required"; in the overlay editor empty
// means "no overlay on this line" and "0" means "not required".
func editorInputs(c *web.Ctx, tree *Tree, overlay bool) []TargetInput {
	var out []TargetInput
	for _, l := range tree.Lines() {
		k := strconv.FormatInt(l.ID, 10)
		raw := strings.TrimSpace(c.R.FormValue("min_" + k))
		if overlay && raw == "" {
			continue
		}
		lo, _ := strconv.Atoi(raw)
		in := TargetInput{LineID: l.ID, AllowLower: !overlay && c.R.FormValue("allow_"+k) != ""}
		if lo != 0 || (raw != "" && raw != "0") {
			hi, _ := strconv.Atoi(c.R.FormValue("max_" + k))
			if hi == 0 {
				hi = lo
			}
			in.Required, in.Min, in.Max = true, lo, hi
		}
		out = append(out, in)
	}
	return out
}

// asTargets turns editor inputs back into targets to re-show a refused form.
func asTargets(in []TargetInput) []Target {
	out := make([]Target, 0, len(in))
	for _, t := range in {
		out = append(out, Target{LineID: t.LineID, Required: t.Required, Min: t.Min, Max: t.Max, AllowLower: t.AllowLower})
	}
	return out
}

func (m Module) targetsPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	p, err := m.S.GetPersona(c.Context(), id)
	if err != nil {
		return err
	}
	tree, err := m.S.Tree(c.Context(), p.FrameworkID)
	if err != nil {
		return err
	}
	in := editorInputs(c, tree, false)
	if _, err := m.S.SetTargets(c.Context(), id, in); err != nil {
		return c.RenderForm("persona_targets", c.T("persona.targets.title"), targetsData{Persona: p, Framework: tree.Framework,
			Groups: grouped(tree, p.Targets, asTargets(in), nil)}, err)
	}
	return c.Redirect("/personas/" + itoa(int(id)))
}

// overlayScopeOf reads the scope of the overlay editor; regional referents and
// organisations get their own by default.
func overlayScopeOf(c *web.Ctx, q url.Values) OverlayScope {
	sc := OverlayScope{}
	sc.RegionID, _ = strconv.ParseInt(q.Get("region_id"), 10, 64)
	sc.OrganisationID, _ = strconv.ParseInt(q.Get("organisation_id"), 10, 64)
	if sc.RegionID == 0 && sc.OrganisationID == 0 {
		switch c.Actor.Role {
		case domain.RoleRegional:
			sc.RegionID = c.Actor.RegionID
		case domain.RoleOrganisation:
			sc.OrganisationID = c.Actor.OrganisationID
		}
	}
	return sc
}

func (m Module) overlayData(c *web.Ctx, id int64, sc OverlayScope, value []Target, note string) (targetsData, *Tree, error) {
	var d targetsData
	if _, err := domain.Require(c.Context(), domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation); err != nil {
		return d, nil, err
	}
	p, err := m.S.GetPersona(c.Context(), id)
	if err != nil {
		return d, nil, err
	}
	tree, err := m.S.Tree(c.Context(), p.FrameworkID)
	if err != nil {
		return d, nil, err
	}
	d = targetsData{Persona: p, Framework: tree.Framework, Overlay: true, Scope: sc, Note: note}
	if sc.RegionID != 0 || sc.OrganisationID != 0 {
		if !CanEditOverlay(c.Actor, sc) {
			return d, nil, domain.Forbidden("you may edit only the overlays of your own region or organisation")
		}
		ovs, err := m.S.overlays(c.Context(), m.S.DB.Read, id, sc)
		if err != nil {
			return d, nil, err
		}
		if value == nil {
			for _, o := range ovs {
				value = append(value, o.Target)
				d.Note = o.Note
			}
		}
		d.ScopeName = m.scopeName(c, sc)
	}
	if c.Actor.IsNationalOrSystem() {
		rows, err := m.S.DB.Read.QueryContext(c.Context(), `SELECT id, name FROM regions ORDER BY name`)
		if err != nil {
			return d, nil, err
		}
		for rows.Next() {
			var o scopeOption
			if err := rows.Scan(&o.ID, &o.Name); err != nil {
				rows.Close()
				return d, nil, err
			}
			d.Regions = append(d.Regions, o)
		}
		rows.Close()
	}
	d.Groups = grouped(tree, p.Targets, value, nil)
	return d, tree, nil
}

func (m Module) scopeName(c *web.Ctx, sc OverlayScope) string {
	var name string
	if sc.RegionID != 0 {
		_ = m.S.DB.Read.QueryRowContext(c.Context(), `SELECT name FROM regions WHERE id = $1`, sc.RegionID).Scan(&name)
	} else {
		_ = m.S.DB.Read.QueryRowContext(c.Context(), `SELECT name FROM organisations WHERE id = $1`, sc.OrganisationID).Scan(&name)
	}
	return name
}

func (m Module) overlayPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	d, _, err := m.overlayData(c, id, overlayScopeOf(c, c.R.URL.Query()), nil, "")
	if err != nil {
		return err
	}
	return c.Render("persona_targets", c.T("persona.overlay.title"), d)
}

func (m Module) overlayPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := c.R.ParseForm(); err != nil {
		return domain.Invalid("body", "malformed form")
	}
	sc := overlayScopeOf(c, c.R.PostForm)
	d, tree, err := m.overlayData(c, id, sc, nil, "")
	if err != nil {
		return err
	}
	in := editorInputs(c, tree, true)
	note := strings.TrimSpace(c.R.FormValue("note"))
	if _, err := m.S.SetOverlay(c.Context(), id, OverlayInput{OverlayScope: sc, Note: note, Targets: in}); err != nil {
		d, _, derr := m.overlayData(c, id, sc, asTargets(in), note)
		if derr != nil {
			return err
		}
		return c.RenderForm("persona_targets", c.T("persona.overlay.title"), d, err)
	}
	_ = d
	return c.Redirect("/personas/" + itoa(int(id)) + "#overlays")
}

type rulesData struct {
	PageBase
	Rules    []Rule
	Personas []Persona
	Input    RuleInput
	Edit     *Rule
	JobID    int64
}

func (m Module) rulesPage(c *web.Ctx) error {
	return m.renderRules(c, frameworkParam(c), RuleInput{}, nil, 0)
}

func (m Module) renderRules(c *web.Ctx, fid int64, in RuleInput, formErr error, jobID int64) error {
	b, err := m.base(c, fid)
	if err != nil {
		return err
	}
	rules, err := m.S.Rules(c.Context(), b.Framework.ID)
	if err != nil {
		return err
	}
	ps, err := m.S.ListPersonas(c.Context(), b.Framework.ID)
	if err != nil {
		return err
	}
	if j, err := strconv.ParseInt(c.R.URL.Query().Get("job"), 10, 64); err == nil && jobID == 0 {
		jobID = j
	}
	return c.RenderForm("persona_rules", c.T("persona.rules.title"), rulesData{PageBase: b, Rules: rules, Personas: ps, Input: in, JobID: jobID}, formErr)
}

func ruleForm(c *web.Ctx) RuleInput {
	return RuleInput{FrameworkID: formInt64(c, "framework_id"), PersonaID: formInt64(c, "persona_id"), ProfessionCode: formInt(c, "profession_code"),
		DisciplineCode: formInt(c, "discipline_code"), CareSetting: c.R.FormValue("care_setting"), JobRole: c.R.FormValue("job_role"),
		Priority: formInt(c, "priority"), Note: c.R.FormValue("note")}
}

func (m Module) ruleCreatePost(c *web.Ctx) error {
	in := ruleForm(c)
	r, job, err := m.S.CreateRule(c.Context(), in)
	if err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderRules(c, in.FrameworkID, in, err, 0)
		}
		return err
	}
	return c.Redirect("/assignment/rules?framework_id=" + strconv.FormatInt(r.FrameworkID, 10) + jobParam(job))
}

func jobParam(job int64) string {
	if job == 0 {
		return ""
	}
	return "&job=" + strconv.FormatInt(job, 10)
}

func (m Module) ruleEditPage(c *web.Ctx) error {
	if _, err := requireNational(c.Context()); err != nil {
		return err
	}
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	r, err := m.S.Rule(c.Context(), id)
	if err != nil {
		return err
	}
	return m.renderRuleEdit(c, r, RuleInput{FrameworkID: r.FrameworkID, PersonaID: r.PersonaID, ProfessionCode: r.ProfessionCode,
		DisciplineCode: r.DisciplineCode, CareSetting: r.CareSetting, JobRole: r.JobRole, Priority: r.Priority, Note: r.Note}, nil)
}

func (m Module) renderRuleEdit(c *web.Ctx, r Rule, in RuleInput, formErr error) error {
	b, err := m.base(c, r.FrameworkID)
	if err != nil {
		return err
	}
	ps, err := m.S.ListPersonas(c.Context(), r.FrameworkID)
	if err != nil {
		return err
	}
	return c.RenderForm("persona_rule_edit", c.T("persona.rule.edit"), rulesData{PageBase: b, Personas: ps, Input: in, Edit: &r}, formErr)
}

func (m Module) ruleEditPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := ruleForm(c)
	r, job, err := m.S.UpdateRule(c.Context(), id, in)
	if err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			old, gerr := m.S.Rule(c.Context(), id)
			if gerr != nil {
				return err
			}
			return m.renderRuleEdit(c, old, in, err)
		}
		return err
	}
	return c.Redirect("/assignment/rules?framework_id=" + strconv.FormatInt(r.FrameworkID, 10) + jobParam(job))
}

func (m Module) ruleDeletePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	r, err := m.S.Rule(c.Context(), id)
	if err != nil {
		return err
	}
	job, err := m.S.DeleteRule(c.Context(), id)
	if err != nil {
		return err
	}
	return c.Redirect("/assignment/rules?framework_id=" + strconv.FormatInt(r.FrameworkID, 10) + jobParam(job))
}

type testerData struct {
	PageBase
	Query       url.Values
	Explanation *Explanation
}

func (m Module) testerPage(c *web.Ctx) error {
	q := c.R.URL.Query()
	b, err := m.base(c, frameworkParam(c))
	if err != nil {
		return err
	}
	d := testerData{PageBase: b, Query: q}
	in := TestInput{FrameworkID: b.Framework.ID, CareSetting: q.Get("care_setting"), JobRole: q.Get("job_role")}
	var cfErr error
	if v := strings.TrimSpace(q.Get("professional_id")); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.ProfessionalID = id
		} else {
			// A person knows a professional by the codice fiscale, not by our id; the
			// tester's own scope check then applies to the id it names.
			in.ProfessionalID, cfErr = m.S.professionalByCF(c.Context(), v)
		}
	}
	prof, _ := strconv.Atoi(q.Get("profession_code"))
	disc, _ := strconv.Atoi(q.Get("discipline_code"))
	if prof != 0 || disc != 0 {
		in.Pairs = []Pair{{Profession: prof, Discipline: disc}}
	}
	if q.Get("run") == "" {
		return c.Render("persona_tester", c.T("persona.tester.title"), d)
	}
	if cfErr != nil {
		return c.RenderForm("persona_tester", c.T("persona.tester.title"), d, cfErr)
	}
	x, err := m.S.TestAssignment(c.Context(), in)
	if err != nil {
		return c.RenderForm("persona_tester", c.T("persona.tester.title"), d, err)
	}
	d.Explanation = &x
	return c.Render("persona_tester", c.T("persona.tester.title"), d)
}

func (m Module) runPage(c *web.Ctx) error {
	if _, err := requireNational(c.Context()); err != nil {
		return err
	}
	b, err := m.base(c, frameworkParam(c))
	if err != nil {
		return err
	}
	return c.Render("persona_run", c.T("persona.run.title"), b)
}

func (m Module) runPost(c *web.Ctx) error {
	id, err := m.S.StartReassign(c.Context(), formInt64(c, "framework_id"))
	if err != nil {
		return err
	}
	return c.Redirect("/jobs/" + strconv.FormatInt(id, 10))
}

func (m Module) myProfile(c *web.Ctx) error {
	if c.Actor.Role != domain.RoleProfessional || c.Actor.ProfessionalID == 0 {
		return domain.NotFound("profile")
	}
	return c.Redirect("/professionals/" + strconv.FormatInt(c.Actor.ProfessionalID, 10) + "/profile")
}

type profileData struct {
	Detail   ProfileDetail
	Groups   []dimRows
	Personas []Persona
	Input    OverrideInput
}

func (m Module) renderProfile(c *web.Ctx, id int64, in OverrideInput, formErr error) error {
	d, err := m.S.Detail(c.Context(), id)
	if err != nil {
		return err
	}
	tree, err := m.S.Tree(c.Context(), d.Profile.FrameworkID)
	if err != nil {
		return err
	}
	pd := profileData{Detail: d, Input: in}
	if d.Profile.PersonaID != 0 {
		nat, err := m.S.nationalTargets(c.Context(), m.S.DB.Read, d.Profile.PersonaID)
		if err != nil {
			return err
		}
		pd.Groups = grouped(tree, nat, nil, d.Targets)
	}
	if d.CanOverride {
		if pd.Personas, err = m.S.ListPersonas(c.Context(), d.Profile.FrameworkID); err != nil {
			return err
		}
		if pd.Input.PersonaID == 0 {
			pd.Input.PersonaID = d.Profile.PersonaID
		}
	}
	return c.RenderForm("persona_profile", c.T("persona.profile.title"), pd, formErr)
}

func (m Module) profilePage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	return m.renderProfile(c, id, OverrideInput{}, nil)
}

func (m Module) overridePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := OverrideInput{PersonaID: formInt64(c, "persona_id"), Reason: c.R.FormValue("reason")}
	if _, err := m.S.Override(c.Context(), id, in); err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return m.renderProfile(c, id, in, err)
		}
		return err
	}
	return c.Redirect("/professionals/" + strconv.FormatInt(id, 10) + "/profile")
}

func (m Module) clearPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.ClearOverride(c.Context(), id); err != nil {
		return err
	}
	return c.Redirect("/professionals/" + strconv.FormatInt(id, 10) + "/profile")
}
