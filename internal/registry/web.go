package registry

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/jobs"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// MaxImportBytes is the largest CSV file the UI and the API accept (~500 k professionals);
// bigger files go through `esd import professionals`, which has no limit.
const MaxImportBytes = 64 << 20

// backgroundBytes: uploads larger than this run as a background job with a progress page.
const backgroundBytes = 2 << 20

// Module is the registry's web surface: pages and JSON API for reference data,
// organisations and professionals, and the import of professionals.
type Module struct {
	S    *Service
	Jobs *jobs.Runner
}

// Register plugs the module into the server.
func (m Module) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	all := []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider, domain.RoleProfessional, domain.RoleAnalyst}
	r.Nav(web.NavItem{Key: "reg.nav.professionals", Path: "/professionals", Roles: editorRoles, Order: 10, Group: web.NavGroupRegistry})
	r.Nav(web.NavItem{Key: "reg.nav.me", Path: "/professionals/me", Roles: []domain.Role{domain.RoleProfessional}, Order: 10, Group: web.NavGroupRegistry})
	r.Nav(web.NavItem{Key: "reg.nav.import", Path: "/professionals/import", Roles: editorRoles, Order: 11, Secondary: true, Group: web.NavGroupRegistry})
	r.Nav(web.NavItem{Key: "reg.nav.organisations", Path: "/organisations", Roles: all, Order: 12, Group: web.NavGroupRegistry})
	r.Nav(web.NavItem{Key: "reg.nav.reference", Path: "/reference", Roles: all, Order: 80, Secondary: true, Group: web.NavGroupRegistry})

	r.Page("GET /professionals", m.professionalsPage)
	r.Page("GET /professionals/me", m.mePage)
	r.Page("GET /professionals/new", m.professionalNew)
	r.Page("POST /professionals", m.professionalCreate)
	r.Page("GET /professionals/import", m.importPage)
	r.Page("POST /professionals/import", m.importPost, web.PageOpts{MaxBytes: MaxImportBytes + 1<<20})
	r.Page("GET /professionals/{id}", m.professionalPage)
	r.Page("GET /professionals/{id}/edit", m.professionalEdit)
	r.Page("POST /professionals/{id}", m.professionalUpdate)
	r.Page("GET /organisations", m.organisationsPage)
	r.Page("GET /organisations/new", m.organisationNew)
	r.Page("POST /organisations", m.organisationCreate)
	r.Page("GET /organisations/{id}", m.organisationPage)
	r.Page("GET /organisations/{id}/edit", m.organisationEdit)
	r.Page("POST /organisations/{id}", m.organisationUpdate)
	r.Page("GET /reference", m.referencePage)
	m.registerAPI(r)
}

// ctxOf is the request's context for service calls, with the page's language for messages.
func ctxOf(c *web.Ctx) context.Context { return WithLanguage(c.Context(), c.Lang) }

func queryInt64(c *web.Ctx, name string) int64 {
	v, _ := strconv.ParseInt(c.R.URL.Query().Get(name), 10, 64)
	return v
}

func formInt64(c *web.Ctx, name string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(c.R.FormValue(name)), 10, 64)
	return v
}

func canEditProfessionals(a domain.Actor) bool {
	return a.IsNationalOrSystem() || a.Role == domain.RoleRegional || a.Role == domain.RoleOrganisation
}

func canEditOrganisations(a domain.Actor) bool {
	return a.IsNationalOrSystem() || a.Role == domain.RoleRegional
}

// pageLink builds the link to another page of a list, keeping its filters.
func pageLink(path string, q url.Values, page int) string {
	v := url.Values{}
	for k, vs := range q {
		v[k] = vs
	}
	v.Set("page", strconv.Itoa(page))
	return path + "?" + v.Encode()
}

type pager struct {
	Prev, Next string
	Page       int
}

func newPager(c *web.Ctx, path string, page int, hasMore bool) pager {
	p := pager{Page: page}
	if page > 1 {
		p.Prev = pageLink(path, c.R.URL.Query(), page-1)
	}
	if hasMore {
		p.Next = pageLink(path, c.R.URL.Query(), page+1)
	}
	return p
}

func (m Module) professionalsPage(c *web.Ctx) error {
	ctx := ctxOf(c)
	f := ProfessionalFilter{Query: c.R.URL.Query().Get("q"), RegionID: queryInt64(c, "region_id"), OrganisationID: queryInt64(c, "organisation_id"),
		Profession: int(queryInt64(c, "profession")), Page: c.QueryInt("page", 1), PerPage: c.QueryInt("per_page", 50)}
	pg, err := m.S.ListProfessionals(ctx, f)
	if err != nil {
		return err
	}
	regions, err := m.S.Regions(ctx)
	if err != nil {
		return err
	}
	profs, err := m.S.Professions(ctx)
	if err != nil {
		return err
	}
	var org Organisation
	if f.OrganisationID != 0 {
		org, _ = m.S.Organisation(ctx, f.OrganisationID)
	}
	return c.Render("registry_professionals", c.T("reg.professionals"), map[string]any{"Page": pg, "Filter": f, "Regions": regions,
		"Professions": profs, "Org": org, "Pager": newPager(c, "/professionals", pg.Page, pg.HasMore), "CanEdit": canEditProfessionals(c.Actor),
		"ChooseRegion": c.Actor.IsNationalOrSystem()})
}

func (m Module) mePage(c *web.Ctx) error {
	if c.Actor.Role != domain.RoleProfessional || c.Actor.ProfessionalID == 0 {
		return domain.NotFound("professional record")
	}
	return c.Redirect("/professionals/" + strconv.FormatInt(c.Actor.ProfessionalID, 10))
}

func (m Module) professionalPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	p, err := m.S.Professional(ctxOf(c), id)
	if err != nil {
		return err
	}
	return c.Render("registry_professional", p.FamilyName+" "+p.GivenName, map[string]any{"P": p,
		"CanEdit": c.Actor.CanEditIndividual(target(p)) && canEditProfessionals(c.Actor)})
}

// professionalForm is the data of the create/edit form.
type professionalForm struct {
	ID          int64
	In          ProfessionalInput
	PairValues  [3]string // "14.85"
	Regions     []Region
	Professions []Profession
	Orgs        []Organisation
	FixedRegion bool // the actor's scope fixes the region
	FixedOrg    bool // … and the organisation
	Employments []string
	Settings    []string
	JobRoles    []string
}

func (m Module) formData(c *web.Ctx, id int64, in ProfessionalInput) (professionalForm, error) {
	ctx := ctxOf(c)
	f := professionalForm{ID: id, In: in, Employments: Employments, Settings: CareSettings, JobRoles: JobRoles}
	for i := 0; i < len(in.Professions) && i < 3; i++ {
		f.PairValues[i] = strconv.Itoa(in.Professions[i].Profession) + "." + strconv.Itoa(in.Professions[i].Discipline)
	}
	var err error
	if f.Regions, err = m.S.Regions(ctx); err != nil {
		return f, err
	}
	if f.Professions, err = m.S.Professions(ctx); err != nil {
		return f, err
	}
	switch c.Actor.Role {
	case domain.RoleRegional:
		f.FixedRegion, f.In.RegionID = true, c.Actor.RegionID
	case domain.RoleOrganisation:
		f.FixedRegion, f.FixedOrg = true, true
		f.In.RegionID, f.In.OrganisationID = c.Actor.RegionID, c.Actor.OrganisationID
	}
	if f.In.RegionID != 0 && !f.FixedOrg {
		for page := 1; ; page++ { // the largest region has ~220 organisations
			pg, err := m.S.ListOrganisations(ctx, OrganisationFilter{RegionID: f.In.RegionID, PerPage: 200, Page: page})
			if err != nil {
				return f, err
			}
			for _, o := range pg.Items {
				if o.Kind != KindProvider {
					f.Orgs = append(f.Orgs, o)
				}
			}
			if !pg.HasMore {
				break
			}
		}
	} else if f.FixedOrg {
		if o, err := m.S.Organisation(ctx, f.In.OrganisationID); err == nil {
			f.Orgs = []Organisation{o}
		}
	}
	return f, nil
}

func professionalInputFromForm(c *web.Ctx) ProfessionalInput {
	in := ProfessionalInput{CF: c.R.FormValue("codice_fiscale"), FamilyName: c.R.FormValue("family_name"), GivenName: c.R.FormValue("given_name"),
		Email: c.R.FormValue("email"), RegionID: formInt64(c, "region_id"), OrganisationID: formInt64(c, "organisation_id"),
		Employment: c.R.FormValue("employment"), CareSetting: c.R.FormValue("care_setting"), JobRole: c.R.FormValue("job_role")}
	for i := 1; i <= 3; i++ {
		v := strings.TrimSpace(c.R.FormValue("pair_" + strconv.Itoa(i)))
		if v == "" {
			continue
		}
		p, d, _ := strings.Cut(v, ".")
		pi, _ := strconv.Atoi(p)
		di, _ := strconv.Atoi(d)
		in.Professions = append(in.Professions, Pair{Profession: pi, Discipline: di})
	}
	return in
}

func (m Module) professionalNew(c *web.Ctx) error {
	if !canEditProfessionals(c.Actor) {
		return forbidden(ctxOf(c), "you may not register professionals")
	}
	f, err := m.formData(c, 0, ProfessionalInput{RegionID: queryInt64(c, "region_id"), Employment: "dipendente", CareSetting: "ospedale"})
	if err != nil {
		return err
	}
	return c.Render("registry_professional_form", c.T("reg.new_professional"), f)
}

func (m Module) professionalCreate(c *web.Ctx) error {
	in := professionalInputFromForm(c)
	p, err := m.S.CreateProfessional(ctxOf(c), in)
	if err == nil {
		return c.Redirect("/professionals/" + strconv.FormatInt(p.ID, 10))
	}
	f, ferr := m.formData(c, 0, in)
	if ferr != nil {
		return ferr
	}
	return c.RenderForm("registry_professional_form", c.T("reg.new_professional"), f, err)
}

func (m Module) professionalEdit(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	p, err := m.S.Professional(ctxOf(c), id)
	if err != nil {
		return err
	}
	if !c.Actor.CanEditIndividual(target(p)) || !canEditProfessionals(c.Actor) {
		return forbidden(ctxOf(c), "you may not edit this record")
	}
	in := ProfessionalInput{CF: p.CFDisplay, FamilyName: p.FamilyName, GivenName: p.GivenName, Email: p.Email, Professions: p.Professions,
		RegionID: p.RegionID, OrganisationID: p.OrganisationID, Employment: p.Employment, CareSetting: p.CareSetting, JobRole: p.JobRole}
	if r := queryInt64(c, "region_id"); r != 0 {
		in.RegionID = r
	}
	f, err := m.formData(c, id, in)
	if err != nil {
		return err
	}
	return c.Render("registry_professional_form", c.T("reg.edit_professional"), f)
}

func (m Module) professionalUpdate(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := professionalInputFromForm(c)
	_, err = m.S.UpdateProfessional(ctxOf(c), id, in)
	if err == nil {
		return c.Redirect("/professionals/" + strconv.FormatInt(id, 10))
	}
	f, ferr := m.formData(c, id, in)
	if ferr != nil {
		return ferr
	}
	return c.RenderForm("registry_professional_form", c.T("reg.edit_professional"), f, err)
}

// importView is the data of the import page.
type importView struct {
	Headers    [][]string
	Result     *ImportResult
	Pasted     string
	MaxMB      int
	Background int
}

func (m Module) importPage(c *web.Ctx) error {
	if !canEditProfessionals(c.Actor) {
		return forbidden(ctxOf(c), "you may not import professionals")
	}
	return c.Render("registry_import", c.T("reg.import"), importView{Headers: HeaderNames(), MaxMB: MaxImportBytes >> 20, Background: backgroundBytes >> 20})
}

// importPost takes the file (multipart upload, or pasted text), imports small ones at once
// and large ones (or when asked) as a background job with a progress page.
func (m Module) importPost(c *web.Ctx) error {
	if !canEditProfessionals(c.Actor) {
		return forbidden(ctxOf(c), "you may not import professionals")
	}
	view := importView{Headers: HeaderNames(), MaxMB: MaxImportBytes >> 20, Background: backgroundBytes >> 20}
	var body []byte
	if strings.HasPrefix(c.R.Header.Get("Content-Type"), "multipart/form-data") {
		if err := c.R.ParseMultipartForm(8 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return c.RenderForm("registry_import", c.T("reg.import"), view, domain.Invalid("file", "%s", c.T("reg.import.too_big", MaxImportBytes>>20)))
			}
			return c.RenderForm("registry_import", c.T("reg.import"), view, domain.Invalid("file", "%s", c.T("reg.import.no_file")))
		}
		b, _, ok, err := c.Upload("file", web.UploadSpec{MaxBytes: MaxImportBytes, Kinds: []web.UploadKind{web.UploadCSV}})
		if err != nil {
			return c.RenderForm("registry_import", c.T("reg.import"), view, err)
		}
		if ok {
			body = b
		}
	}
	if len(body) == 0 {
		view.Pasted = c.R.FormValue("csv")
		body = []byte(view.Pasted)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return c.RenderForm("registry_import", c.T("reg.import"), view, domain.Invalid("file", "%s", c.T("reg.import.no_file")))
	}
	if len(body) > MaxImportBytes {
		return c.RenderForm("registry_import", c.T("reg.import"), view, domain.Invalid("file", "%s", c.T("reg.import.too_big", MaxImportBytes>>20)))
	}
	opts := ImportOptions{DryRun: c.R.FormValue("dry_run") != "", Partial: c.R.FormValue("partial") != ""}
	if (c.R.FormValue("background") != "" || len(body) > backgroundBytes) && m.Jobs != nil {
		id, err := m.startImportJob(ctxOf(c), body, opts)
		if err != nil {
			return err
		}
		return c.Redirect("/jobs/" + strconv.FormatInt(id, 10))
	}
	res, err := m.S.ImportProfessionals(ctxOf(c), bytes.NewReader(body), opts)
	view.Result = &res
	if err != nil {
		return c.RenderForm("registry_import", c.T("reg.import"), view, err)
	}
	view.Pasted = ""
	return c.Render("registry_import", c.T("reg.import"), view)
}

// startImportJob runs an import in the background; the job's result is the ImportResult
// (with the bad rows, which the job page lists).
func (m Module) startImportJob(ctx context.Context, body []byte, opts ImportOptions) (int64, error) {
	lang := Language(ctx) // the job's context is a new one
	return m.Jobs.Start(ctx, "import_professionals", func(ctx context.Context, p jobs.Progress) (any, error) {
		ctx = WithLanguage(ctx, lang)
		opts.Progress = p
		res, err := m.S.ImportProfessionals(ctx, bytes.NewReader(body), opts)
		return res, err
	})
}

func (m Module) organisationsPage(c *web.Ctx) error {
	ctx := ctxOf(c)
	f := OrganisationFilter{Query: c.R.URL.Query().Get("q"), RegionID: queryInt64(c, "region_id"), Kind: c.R.URL.Query().Get("kind"),
		ParentID: queryInt64(c, "parent_id"), Page: c.QueryInt("page", 1), PerPage: c.QueryInt("per_page", 50)}
	pg, err := m.S.ListOrganisations(ctx, f)
	if err != nil {
		return err
	}
	regions, err := m.S.Regions(ctx)
	if err != nil {
		return err
	}
	return c.Render("registry_organisations", c.T("reg.organisations"), map[string]any{"Page": pg, "Filter": f, "Regions": regions,
		"Kinds": OrganisationKinds, "Pager": newPager(c, "/organisations", pg.Page, pg.HasMore), "CanEdit": canEditOrganisations(c.Actor)})
}

func (m Module) organisationPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	o, err := m.S.Organisation(ctx, id)
	if err != nil {
		return err
	}
	children, err := m.S.ListOrganisations(ctx, OrganisationFilter{ParentID: id, PerPage: 200})
	if err != nil {
		return err
	}
	seeStaff := c.Actor.CanSeeIndividual(domain.Target{RegionID: o.RegionID, OrganisationID: o.ID}) && c.Actor.Role != domain.RoleProfessional
	return c.Render("registry_organisation", o.Name, map[string]any{"O": o, "Children": children.Items, "MoreChildren": children.HasMore,
		"TypeName": StructureTypeName(o.StructureType), "CanEdit": canEditOrganisation(c.Actor, o.RegionID) && canEditOrganisations(c.Actor),
		"SeeStaff": seeStaff})
}

// organisationForm is the data of the organisation create/edit form.
type organisationForm struct {
	ID          int64
	In          OrganisationInput
	Regions     []Region
	Kinds       []string
	Types       [][2]string
	FixedRegion bool
}

func (m Module) orgFormData(c *web.Ctx, id int64, in OrganisationInput) (organisationForm, error) {
	regions, err := m.S.Regions(ctxOf(c))
	if err != nil {
		return organisationForm{}, err
	}
	f := organisationForm{ID: id, In: in, Regions: regions, Kinds: OrganisationKinds}
	for _, code := range []string{"0", "1", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "4", "5.1", "5.2", "8", "9"} {
		f.Types = append(f.Types, [2]string{code, StructureTypeName(code)})
	}
	if c.Actor.Role == domain.RoleRegional {
		f.FixedRegion, f.In.RegionID = true, c.Actor.RegionID
	}
	return f, nil
}

func organisationInputFromForm(c *web.Ctx) OrganisationInput {
	return OrganisationInput{Kind: c.R.FormValue("kind"), Code: c.R.FormValue("code"), Name: c.R.FormValue("name"), RegionID: formInt64(c, "region_id"),
		ParentID: formInt64(c, "parent_id"), StructureType: c.R.FormValue("structure_type"), Public: c.R.FormValue("public") != "",
		LegalNature: c.R.FormValue("legal_nature"), ComuneISTAT: c.R.FormValue("comune_istat"), ValidFrom: c.R.FormValue("valid_from"),
		ValidTo: c.R.FormValue("valid_to")}
}

func (m Module) organisationNew(c *web.Ctx) error {
	if !canEditOrganisations(c.Actor) {
		return forbidden(ctxOf(c), "you may not register organisations")
	}
	f, err := m.orgFormData(c, 0, OrganisationInput{Kind: KindProvider, Public: true})
	if err != nil {
		return err
	}
	return c.Render("registry_organisation_form", c.T("reg.new_organisation"), f)
}

func (m Module) organisationCreate(c *web.Ctx) error {
	in := organisationInputFromForm(c)
	o, err := m.S.CreateOrganisation(ctxOf(c), in)
	if err == nil {
		return c.Redirect("/organisations/" + strconv.FormatInt(o.ID, 10))
	}
	f, ferr := m.orgFormData(c, 0, in)
	if ferr != nil {
		return ferr
	}
	return c.RenderForm("registry_organisation_form", c.T("reg.new_organisation"), f, err)
}

func (m Module) organisationEdit(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	o, err := m.S.Organisation(ctxOf(c), id)
	if err != nil {
		return err
	}
	if !canEditOrganisations(c.Actor) || !canEditOrganisation(c.Actor, o.RegionID) {
		return forbidden(ctxOf(c), "you may not edit this organisation")
	}
	f, err := m.orgFormData(c, id, orgInputOf(o))
	if err != nil {
		return err
	}
	return c.Render("registry_organisation_form", c.T("reg.edit_organisation"), f)
}

func (m Module) organisationUpdate(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := organisationInputFromForm(c)
	_, err = m.S.UpdateOrganisation(ctxOf(c), id, in)
	if err == nil {
		return c.Redirect("/organisations/" + strconv.FormatInt(id, 10))
	}
	f, ferr := m.orgFormData(c, id, in)
	if ferr != nil {
		return ferr
	}
	return c.RenderForm("registry_organisation_form", c.T("reg.edit_organisation"), f, err)
}

func (m Module) referencePage(c *web.Ctx) error {
	ctx := ctxOf(c)
	regions, err := m.S.Regions(ctx)
	if err != nil {
		return err
	}
	profs, err := m.S.Professions(ctx)
	if err != nil {
		return err
	}
	v := 3
	if c.R.URL.Query().Get("objectives") == "2" {
		v = 2
	}
	obj, err := m.S.Objectives(ctx, v)
	if err != nil {
		return err
	}
	return c.Render("registry_reference", c.T("reg.reference"), map[string]any{"Regions": regions, "Professions": profs, "Objectives": obj, "Version": v})
}
