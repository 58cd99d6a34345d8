package catalogue

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

func jsonDecoder(b []byte) *json.Decoder { return json.NewDecoder(strings.NewReader(string(b))) }

// formData is what the new/edit event page shows: the input as typed, the reference lists,
// the credit computation step by step and the line suggestions with their scores.
type formData struct {
	ID           int64
	In           EventInput
	National     bool
	ProviderCode string
	Comp         *Computation
	Disagrees    bool
	Suggestions  []Suggestion
	Chosen       map[int64]LineInput
	AllLines     []lineRef
	Levels       []int
	Objectives   []option
	Themes       []Theme
	Regions      []option
	Professions  []option
	SubTypes     []SubType
	FADModes     []string
	Types        []string
	Editions     []Edition
	Modules      []Module
	SelProf      map[int]bool
	Audience     string
	Illustrative bool
	Saved        bool
}

type option struct {
	Key   string
	Label string
}

// HasProf reports whether a profession is selected.
func (f formData) HasProf(code string) bool {
	n, _ := strconv.Atoi(code)
	return f.SelProf[n]
}

// LineChosen reports whether a line is among the event's lines.
func (f formData) LineChosen(id int64) bool { _, ok := f.Chosen[id]; return ok }

// LineLevel returns the level chosen for a line, or the suggested one.
func (f formData) LineLevel(id int64, def int) int {
	if l, ok := f.Chosen[id]; ok {
		return l.Level
	}
	return def
}

// ChosenLine is a line of the event shown on the form besides the suggestions.
type ChosenLine struct {
	ID    int64
	Code  string
	Title string
	Level int
}

// ChosenExtra returns the event's lines that are not among the suggestions.
func (f formData) ChosenExtra() []ChosenLine {
	in := map[int64]bool{}
	for _, s := range f.Suggestions {
		in[s.LineID] = true
	}
	var out []ChosenLine
	for _, l := range f.AllLines {
		if c, ok := f.Chosen[l.ID]; ok && !in[l.ID] {
			out = append(out, ChosenLine{ID: l.ID, Code: l.Code, Title: l.Title, Level: c.Level})
		}
	}
	return out
}

// IsInt compares an int with a string form value in templates.
func (f formData) IsInt(a int, b string) bool { return strconv.Itoa(a) == b }

// Num formats a number for an input value ("" for zero).
func (f formData) Num(v float64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Int formats an int for an input value ("" for zero).
func (f formData) Int(v int) string {
	if v == 0 {
		return ""
	}
	return strconv.Itoa(v)
}

// ID64 formats an id for an input value ("" for zero).
func (f formData) ID64(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// Score formats a suggestion score as a percentage.
func (f formData) Score(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

func (m WebModule) formBase(c *web.Ctx) (formData, error) {
	d := formData{National: c.Actor.Role == domain.RoleNational || c.Actor.Role == domain.RoleSystem, Chosen: map[int64]LineInput{},
		SubTypes: SubTypes, FADModes: FADModes, Types: Types, SelProf: map[int]bool{}}
	r, err := m.S.loadRefs(c.Context())
	if err != nil {
		return d, err
	}
	d.AllLines, d.Levels, d.Illustrative = r.currentLines(), levelList(r), r.fw.Illustrative
	var objs []int
	for code := range r.objectives {
		objs = append(objs, code)
	}
	sort.Ints(objs)
	for _, o := range objs {
		name := r.objectives[o]
		if len([]rune(name)) > 110 {
			name = string([]rune(name)[:109]) + "…"
		}
		d.Objectives = append(d.Objectives, option{strconv.Itoa(o), fmt.Sprintf("%d – %s", o, name)})
	}
	for _, t := range r.themes {
		d.Themes = append(d.Themes, t)
	}
	sort.Slice(d.Themes, func(i, j int) bool { return d.Themes[i].NameIT < d.Themes[j].NameIT })
	for id, n := range r.regions {
		d.Regions = append(d.Regions, option{strconv.FormatInt(id, 10), n})
	}
	sort.Slice(d.Regions, func(i, j int) bool { return d.Regions[i].Label < d.Regions[j].Label })
	var profs []int
	for code := range r.professions {
		profs = append(profs, code)
	}
	sort.Ints(profs)
	for _, p := range profs {
		d.Professions = append(d.Professions, option{strconv.Itoa(p), fmt.Sprintf("%d – %s", p, r.professions[p])})
	}
	return d, nil
}

// fill puts an input into the form data (editions and modules padded to three rows).
func (d *formData) fill(in EventInput) {
	d.In = in
	d.Editions = append([]Edition(nil), in.Editions...)
	for len(d.Editions) < 3 {
		d.Editions = append(d.Editions, Edition{})
	}
	d.Modules = append([]Module(nil), in.Modules...)
	for len(d.Modules) < 3 {
		d.Modules = append(d.Modules, Module{})
	}
	var codes []string
	for _, a := range in.Audience {
		if a.DisciplineCode == 0 {
			d.SelProf[a.ProfessionCode] = true
		} else {
			codes = append(codes, fmt.Sprintf("%d.%d", a.ProfessionCode, a.DisciplineCode))
		}
	}
	d.Audience = strings.Join(codes, ":")
	for _, l := range in.Lines {
		d.Chosen[l.LineID] = l
	}
}

// inputFromForm reads the event form. Numbers that do not parse are reported as problems
// of their field.
func inputFromForm(c *web.Ctx) (EventInput, string, problems) {
	var ps problems
	f := c.R.Form
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	num := func(k string) float64 {
		v := get(k)
		if v == "" {
			return 0
		}
		n, err := parseNumber(v)
		if err != nil {
			ps.add(k, v, "numero non valido")
		}
		return n
	}
	integer := func(k string) int {
		v := get(k)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			ps.add(k, v, "numero intero non valido")
		}
		return n
	}
	in := EventInput{Code: get("code"), Title: get("title"), Description: get("description"), Type: get("type"), SubType: integer("subtype"),
		FADMode: get("fad_mode"), Hours: num("hours"), InteractiveHours: num("interactive_hours"), Participants: integer("participants"),
		FinalDocument: get("final_document") == "1", ExternalValidation: get("external_validation") == "1",
		PermanentCommittee: get("permanent_committee") == "1", ResearchMonths: integer("research_months"), ObjectiveCode: integer("objective"),
		Theme: get("theme"), AudienceAll: get("audience_all") == "1", Cost: num("cost"), Credits: num("credits")}
	if in.Type == TypeBlended {
		for i := 0; i < 3; i++ {
			p := fmt.Sprintf("modules.%d.", i)
			if get(p+"type") == "" || get(p+"hours") == "" {
				continue
			}
			in.Modules = append(in.Modules, Module{Type: get(p + "type"), SubType: integer(p + "subtype"), Hours: num(p + "hours"), FADMode: get(p + "fad_mode")})
		}
	}
	for _, p := range f["profession"] {
		if n, err := strconv.Atoi(p); err == nil {
			in.Audience = append(in.Audience, Audience{ProfessionCode: n})
		}
	}
	if codes := get("audience_codes"); codes != "" {
		all, aud, err := parseProfessions(codes)
		if err != nil {
			ps.add("audience_codes", codes, "%s", err)
		}
		in.AudienceAll = in.AudienceAll || all
		in.Audience = append(in.Audience, aud...)
	}
	for i := 0; i < 3; i++ {
		p := fmt.Sprintf("editions.%d.", i)
		if get(p+"start_date") == "" && get(p+"end_date") == "" {
			continue
		}
		region, _ := strconv.ParseInt(get(p+"region_id"), 10, 64)
		in.Editions = append(in.Editions, Edition{Number: i + 1, StartDate: parseDate(get(p + "start_date")), EndDate: parseDate(get(p + "end_date")),
			Online: get(p+"online") == "1", RegionID: region, ComuneISTAT: get(p + "comune"), Venue: get(p + "venue")})
	}
	in.Lines = linesFromForm(c)
	return in, get("provider_code"), ps
}

func (m WebModule) newPage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational); err != nil {
		return err
	}
	d, err := m.formBase(c)
	if err != nil {
		return err
	}
	d.fill(EventInput{Type: TypeRES, SubType: 1, Participants: 50, ObjectiveCode: 17})
	return c.Render("catalogue_form", c.T("cat.form.new"), d)
}

func (m WebModule) editPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	v, err := m.S.GetEvent(c.Context(), id)
	if err != nil {
		return err
	}
	if !v.Can.Edit {
		return domain.Forbidden("%s", c.T("cat.form.noedit"))
	}
	d, err := m.formBase(c)
	if err != nil {
		return err
	}
	d.ID, d.ProviderCode = id, v.ProviderCode
	d.fill(inputOf(v.Event))
	comp := v.Computation
	d.Comp, d.Disagrees = &comp, v.Disagrees
	d.Suggestions, _ = m.S.SuggestLines(c.Context(), v.Title, v.Description, 5)
	return c.Render("catalogue_form", c.T("cat.form.edit"), d)
}

func (m WebModule) newPost(c *web.Ctx) error  { return m.formPost(c, 0) }
func (m WebModule) editPost(c *web.Ctx) error { return m.formPost(c, -1) }

// formPost handles both buttons of the event form: "preview" computes the credits and
// suggests lines without saving; "save" writes the event and goes to its page.
func (m WebModule) formPost(c *web.Ctx, id int64) error {
	if _, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational); err != nil {
		return err
	}
	title := c.T("cat.form.new")
	if id != 0 {
		var err error
		if id, err = c.PathInt64("id"); err != nil {
			return err
		}
		title = c.T("cat.form.edit")
		v, err := m.S.GetEvent(c.Context(), id)
		if err != nil {
			return err
		}
		if !v.Can.Edit {
			return domain.Forbidden("%s", c.T("cat.form.noedit"))
		}
	}
	if err := c.R.ParseForm(); err != nil {
		return domain.Invalid("form", "modulo illeggibile")
	}
	in, provCode, ps := inputFromForm(c)
	d, err := m.formBase(c)
	if err != nil {
		return err
	}
	d.ID, d.ProviderCode = id, provCode
	d.fill(in)
	comp := Compute(CurrentRuleSet(), CreditInput{Type: in.Type, SubType: in.SubType, FADMode: in.FADMode, Hours: in.Hours,
		InteractiveHours: in.InteractiveHours, Participants: in.Participants, Thematic: in.Theme != "", FinalDocument: in.FinalDocument,
		ExternalValidation: in.ExternalValidation, PermanentCommittee: in.PermanentCommittee, ResearchMonths: in.ResearchMonths,
		Modules: moduleDefaults(in.Modules)})
	d.Comp = &comp
	d.Disagrees = in.Credits != 0 && CreditsDisagree(in.Credits, comp.Credits)
	d.Suggestions, _ = m.S.SuggestLines(c.Context(), in.Title, in.Description, 5)
	if err := ps.asError(); err != nil {
		return c.RenderForm("catalogue_form", title, d, err)
	}
	if c.R.FormValue("action") != "save" {
		return c.Render("catalogue_form", title, d)
	}
	if d.National && id == 0 {
		if provCode == "" {
			return c.RenderForm("catalogue_form", title, d, domain.Invalid("provider_code", "%s", c.T("cat.form.needprovider")))
		}
		p, err := m.S.providerByCode(c.Context(), provCode)
		if err != nil {
			return c.RenderForm("catalogue_form", title, d, domain.Invalid("provider_code", "%s", c.T("cat.form.unknownprovider")))
		}
		in.ProviderID = p.ID
	}
	var v EventView
	if id == 0 {
		v, err = m.S.CreateEvent(c.Context(), in)
	} else {
		v, err = m.S.UpdateEvent(c.Context(), id, in)
	}
	if err != nil {
		return c.RenderForm("catalogue_form", title, d, err)
	}
	return c.Redirect(fmt.Sprintf("/events/%d?done=saved", v.ID))
}

func moduleDefaults(ms []Module) []Module {
	out := append([]Module(nil), ms...)
	for i := range out {
		if out[i].Type == TypeFAD && out[i].FADMode == "" {
			out[i].FADMode = FADOnline
		}
	}
	return out
}
