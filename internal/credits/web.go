package credits

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"esd/internal/chart"
	"esd/internal/domain"
	"esd/internal/tabular"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the credits' web surface: the professional's own balance (/credits), a
// professional's balance in scope (/professionals/{id}/credits) with the forms to add
// manual entries, the compliance page with its chart, table and CSV, and the JSON API under
// /api/v1/credits and /api/v1/professionals/{id}/credits.
type WebModule struct{ S *Service }

var (
	complianceRoles = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst}
)

// Register implements web.Module.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Messages(webMessages)
	r.Nav(web.NavItem{Key: "cr.nav.mine", Desc: "cr.nav.mine.desc", Path: "/credits", Roles: []domain.Role{domain.RoleProfessional}, Order: 50, Group: web.NavGroupTraining})
	r.Nav(web.NavItem{Key: "cr.nav.lookup", Desc: "cr.nav.lookup.desc", Path: "/credits", Roles: []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation}, Order: 50, Secondary: true, Group: web.NavGroupTraining})
	r.Nav(web.NavItem{Key: "cr.nav.compliance", Desc: "cr.nav.compliance.desc", Path: "/credits/compliance", Roles: complianceRoles, Order: 51, Group: web.NavGroupTraining})

	r.Page("GET /credits", m.minePage)
	r.Page("GET /professionals/{id}/credits", m.professionalPage)
	r.Page("POST /credits/entries", m.addPost)
	r.Page("POST /credits/entries/{id}/delete", m.deletePost)
	r.Page("GET /credits/compliance", m.compliancePage)
	r.Page("GET /credits/compliance.csv", func(c *web.Ctx) error {
		d, err := m.complianceCSV(c)
		if err != nil {
			return err
		}
		return c.WriteDownload(d)
	})

	tag := "credits"
	r.API("GET /api/v1/credits", web.Op{Summary: "The caller's own credit balance (professional), or a professional's by ?cf= (in scope)", Tag: tag,
		Response: BalanceView{}, Roles: []string{"professional", "national", "regional", "organisation"}}, func(c *web.Ctx) (any, error) {
		tri := c.QueryInt("triennium", 0)
		if code := c.R.URL.Query().Get("cf"); code != "" {
			return m.S.BalanceByCF(c.Context(), code, tri)
		}
		if _, err := domain.Require(c.Context(), individualRoles...); err != nil {
			return nil, err
		}
		if c.Actor.Role != domain.RoleProfessional {
			return nil, domain.Forbidden("only a professional has an own balance: give the professional's codice fiscale (?cf=)")
		}
		return m.S.Balance(c.Context(), c.Actor.ProfessionalID, tri)
	})
	r.API("GET /api/v1/professionals/{id}/credits", web.Op{Summary: "A professional's credit balance in a triennium, each entry with why it counts", Tag: tag,
		Response: BalanceView{}, Roles: []string{"professional", "national", "regional", "organisation"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		return m.S.Balance(c.Context(), id, c.QueryInt("triennium", 0))
	})
	r.API("POST /api/v1/professionals/{id}/credits/entries", web.Op{Summary: "Add a manual ledger entry (individual, self_training, exemption, dossier_bonus, moved)", Tag: tag,
		Request: EntryInput{}, Response: []Entry{}, Created: true, Roles: []string{"professional", "national", "regional", "organisation"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in EntryInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		in.ProfessionalID = id
		return m.S.AddEntry(c.Context(), in)
	})
	r.API("DELETE /api/v1/credits/entries/{id}", web.Op{Summary: "Delete a manual ledger entry (both halves of a move)", Tag: tag,
		Roles: []string{"professional", "national", "regional", "organisation"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		return nil, m.S.DeleteEntry(c.Context(), id)
	})
	r.API("GET /api/v1/credits/compliance", web.Op{Summary: "Compliance counts and shares by profession and unit in the caller's scope (groups under 5 suppressed)", Tag: tag,
		Response: ComplianceView{}, Roles: []string{"national", "regional", "organisation", "analyst"}}, func(c *web.Ctx) (any, error) {
		return m.S.Compliance(c.Context(), complianceQuery(c.R.URL.Query()))
	})
	r.API("GET /api/v1/credits/compliance.csv", web.Op{Summary: "The compliance view as CSV", Tag: tag, RawResponse: "text/csv",
		Roles: []string{"national", "regional", "organisation", "analyst"}}, func(c *web.Ctx) (any, error) { return m.complianceCSV(c) })
	r.API("GET /api/v1/credits/rules", web.Op{Summary: "The credit rule data in force (obligations, reductions, caps, dossier bonuses, credits per role) with sources", Tag: tag,
		Response: Rules{}}, func(c *web.Ctx) (any, error) {
		if _, err := domain.Require(c.Context(), domain.Roles...); err != nil {
			return nil, err
		}
		return m.S.Rules(), nil
	})
	r.API("GET /api/v1/credits/rules/versions", web.Op{Summary: "Published credit rule versions, newest first", Tag: tag, Response: []RuleVersion{}},
		func(c *web.Ctx) (any, error) { return m.S.RuleVersions(c.Context()) })
	r.API("POST /api/v1/credits/rules", web.Op{Summary: "Publish new credit rule data (national) and start recomputing every balance as a job", Tag: tag,
		Request: Rules{}, Response: jobRef{}, Created: true, MaxBytes: 1 << 20, Roles: []string{"national"}}, func(c *web.Ctx) (any, error) {
		if _, err := domain.Require(c.Context(), domain.RoleNational); err != nil {
			return nil, err
		}
		b, err := io.ReadAll(c.R.Body)
		if err != nil {
			return nil, domain.Invalid("body", "%v", err)
		}
		id, err := m.S.PublishRules(c.Context(), b)
		if err != nil {
			return nil, err
		}
		return jobRef{JobID: id, URL: fmt.Sprintf("/api/v1/jobs/%d", id)}, nil
	})
	r.API("POST /api/v1/credits/role-credits", web.Op{Summary: "Credits a role earns in an event under the rules in force, step by step", Tag: tag,
		Request: RoleInput{}, Response: roleResult{}}, func(c *web.Ctx) (any, error) {
		if _, err := domain.Require(c.Context(), domain.Roles...); err != nil {
			return nil, err
		}
		var in RoleInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		cr, why := RoleCreditsWhy(m.S.Rules(), in)
		return roleResult{Credits: cr, Why: why}, nil
	})
}

type jobRef struct {
	JobID int64  `json:"job_id"`
	URL   string `json:"url"`
}

type roleResult struct {
	Credits float64 `json:"credits"`
	Why     []Why   `json:"why"`
}

func complianceQuery(v url.Values) ComplianceQuery {
	q := ComplianceQuery{}
	q.Triennium, _ = strconv.Atoi(v.Get("triennium"))
	q.RegionID, _ = strconv.ParseInt(v.Get("region"), 10, 64)
	q.OrganisationID, _ = strconv.ParseInt(v.Get("organisation"), 10, 64)
	return q
}

// ---- pages ----

type balancePage struct {
	V           BalanceView
	Chart       string
	Self        bool
	Kinds       []string
	Back        string
	Form        EntryInput
	FormCredits string
	BarPct      int
	LookupCF    string
	Lookup      bool
	KindNames   map[string]string
}

func (m WebModule) minePage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), individualRoles...); err != nil {
		return err
	}
	if c.Actor.Role != domain.RoleProfessional {
		code := strings.TrimSpace(c.R.URL.Query().Get("cf"))
		d := balancePage{Lookup: true, LookupCF: code}
		if code != "" {
			v, err := m.S.BalanceByCF(c.Context(), code, 0)
			if err != nil {
				return c.RenderForm("credits_lookup", c.T("cr.nav.lookup"), d, fieldErr(err, "cf"))
			}
			return c.Redirect(fmt.Sprintf("/professionals/%d/credits", v.Professional.ID))
		}
		return c.Render("credits_lookup", c.T("cr.nav.lookup"), d)
	}
	return m.renderBalance(c, c.Actor.ProfessionalID, true, nil, EntryInput{})
}

func (m WebModule) professionalPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	return m.renderBalance(c, id, false, nil, EntryInput{})
}

// fieldErr shows an invalid codice fiscale beside its field; anything else (not found,
// out of scope) is the error page, as for any other individual record.
func fieldErr(err error, field string) error {
	if e := domain.AsError(err); e != nil && e.Code == domain.EINVALID && e.Field == "" {
		e.Field = field
	}
	return err
}

func (m WebModule) renderBalance(c *web.Ctx, id int64, self bool, formErr error, form EntryInput) error {
	v, err := m.S.Balance(c.Context(), id, c.QueryInt("triennium", 0))
	if err != nil {
		return err
	}
	b := v.Balance
	d := balancePage{V: v, Self: self, Form: form, KindNames: map[string]string{}}
	if form.Credits != 0 {
		d.FormCredits = num(form.Credits)
	}
	if self {
		d.Back = "/credits"
		d.Kinds = []string{KindIndividual, KindSelfTraining}
	} else {
		d.Back = fmt.Sprintf("/professionals/%d/credits", id)
		d.Kinds = ManualKinds
	}
	for _, k := range Kinds {
		d.KindNames[k] = c.T("cr.kind." + k)
	}
	if b.Due > 0 {
		d.BarPct = int(min(100, b.Counted*100/b.Due))
	} else {
		d.BarPct = 100
	}
	var cats []string
	var vals []float64
	for _, k := range b.Kinds {
		if k.Earned != 0 || k.Counted != 0 {
			cats = append(cats, c.T("cr.kind."+k.Kind))
			vals = append(vals, k.Counted)
		}
	}
	cats = append(cats, c.T("cr.bal.due"), c.T("cr.bal.expected"))
	vals = append(vals, b.Due, b.Forecast.ExpectedByToday)
	d.Chart = chart.Bar{ID: "credits-chart", Title: c.T("cr.chart.title", b.Label), Desc: c.T("cr.chart.desc"), Categories: cats,
		Series: []chart.Series{{Name: c.T("cr.bal.counted"), Values: vals}}}.SVG()
	title := c.T("cr.page.title", b.Label)
	if formErr != nil {
		return c.RenderForm("credits_balance", title, d, formErr)
	}
	return c.Render("credits_balance", title, d)
}

func (m WebModule) addPost(c *web.Ctx) error {
	if err := c.R.ParseForm(); err != nil {
		return domain.Invalid("form", "%v", err)
	}
	f := c.R.PostForm
	pid, _ := strconv.ParseInt(f.Get("professional_id"), 10, 64)
	self := c.Actor.Role == domain.RoleProfessional
	if self {
		pid = c.Actor.ProfessionalID
	}
	in := EntryInput{ProfessionalID: pid, Kind: f.Get("kind"), EarnedOn: f.Get("earned_on"), Title: f.Get("title"), Note: f.Get("note"), Status: f.Get("status")}
	if v := strings.TrimSpace(strings.Replace(f.Get("credits"), ",", ".", 1)); v != "" {
		cr, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return m.renderBalance(c, pid, self, domain.Invalid("credits", "not a number: %q", v), in)
		}
		in.Credits = cr
	}
	in.Triennium, _ = strconv.Atoi(f.Get("triennium"))
	in.FromTriennium, _ = strconv.Atoi(f.Get("from_triennium"))
	if _, err := m.S.AddEntry(c.Context(), in); err != nil {
		if domain.ErrorCode(err) != domain.EINVALID {
			return err
		}
		return m.renderBalance(c, pid, self, err, in)
	}
	if self {
		return c.Redirect("/credits")
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/credits", pid))
}

func (m WebModule) deletePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	var pid int64
	_ = m.S.DB.Read.QueryRowContext(c.Context(), `SELECT professional_id FROM credit_entries WHERE id = $1`, id).Scan(&pid)
	if err := m.S.DeleteEntry(c.Context(), id); err != nil {
		return err
	}
	if c.Actor.Role == domain.RoleProfessional {
		return c.Redirect("/credits")
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/credits", pid))
}

type compliancePageData struct {
	V           ComplianceView
	Total       []groupRow
	Units       []groupRow
	Professions []groupRow
	Chart       string
	Params      string
	Trienni     []int
	Q           ComplianceQuery
}

func (m WebModule) compliancePage(c *web.Ctx) error {
	q := complianceQuery(c.R.URL.Query())
	v, err := m.S.Compliance(c.Context(), q)
	if err != nil {
		return err
	}
	d := compliancePageData{V: v, Params: c.R.URL.RawQuery, Q: q, Total: rowsOf([]Group{v.Total}), Units: rowsOf(v.ByUnit), Professions: rowsOf(v.ByProfession)}
	for _, t := range m.S.Rules().Trienni {
		d.Trienni = append(d.Trienni, t.Start)
	}
	var cats []string
	var comp, on, behind []float64
	for _, g := range v.ByUnit {
		if g.Suppressed {
			continue
		}
		cats = append(cats, g.Label)
		comp = append(comp, pct100(g.CompliantShare))
		on = append(on, pct100(g.OnTrackShare))
		behind = append(behind, pct100(g.BehindShare))
	}
	if len(cats) > 0 {
		d.Chart = chart.Bar{ID: "compliance-chart", Title: c.T("cr.comp.chart", v.Label), Desc: c.T("cr.comp.chartdesc"), Categories: cats, Stacked: true,
			Series: []chart.Series{{Name: c.T("cr.comp.compliant"), Values: comp}, {Name: c.T("cr.comp.ontrack"), Values: on}, {Name: c.T("cr.comp.behind"), Values: behind}}}.SVG()
	}
	return c.Render("credits_compliance", c.T("cr.nav.compliance"), d)
}

// groupRow is a compliance group as the table shows it.
type groupRow struct {
	Label                               string
	Suppressed                          bool
	N, Compliant, OnTrack, Behind       int
	CompliantPct, OnTrackPct, BehindPct string
}

func rowsOf(gs []Group) []groupRow {
	out := make([]groupRow, len(gs))
	for i, g := range gs {
		out[i] = groupRow{Label: g.Label, Suppressed: g.Suppressed, N: g.Professionals, Compliant: g.Compliant, OnTrack: g.OnTrack, Behind: g.Behind,
			CompliantPct: fmt.Sprintf("%.1f %%", pct100(g.CompliantShare)), OnTrackPct: fmt.Sprintf("%.1f %%", pct100(g.OnTrackShare)),
			BehindPct: fmt.Sprintf("%.1f %%", pct100(g.BehindShare))}
	}
	return out
}

func pct100(v float64) float64 { return float64(int(v*1000+0.5)) / 10 }

func (m WebModule) complianceCSV(c *web.Ctx) (*web.Download, error) {
	v, err := m.S.Compliance(c.Context(), complianceQuery(c.R.URL.Query()))
	if err != nil {
		return nil, err
	}
	// One writer for every table download (package tabular): BOM, ';', CRLF, decimal comma,
	// text that a spreadsheet would run as a formula defused.
	t := tabular.Table{Name: "conformita-ecm", Columns: []tabular.Column{{Key: "triennium"}, {Key: "scope"}, {Key: "breakdown"}, {Key: "key"}, {Key: "label"},
		{Key: "professionals", Kind: tabular.Int}, {Key: "compliant", Kind: tabular.Int}, {Key: "on_track", Kind: tabular.Int}, {Key: "behind", Kind: tabular.Int},
		{Key: "compliant_share", Kind: tabular.Number, Decimals: 3}, {Key: "on_track_share", Kind: tabular.Number, Decimals: 3}, {Key: "behind_share", Kind: tabular.Number, Decimals: 3}}}
	row := func(kind string, g Group) {
		if g.Suppressed {
			t.Add(v.Label, v.ScopeName, kind, fmt.Sprint(g.Key), g.Label, "< 5")
			return
		}
		t.Add(v.Label, v.ScopeName, kind, fmt.Sprint(g.Key), g.Label, g.Professionals, g.Compliant, g.OnTrack, g.Behind, g.CompliantShare, g.OnTrackShare, g.BehindShare)
	}
	row("total", v.Total)
	for _, g := range v.ByProfession {
		row("profession", g)
	}
	for _, g := range v.ByUnit {
		row(v.UnitKind, g)
	}
	return &web.Download{ContentType: tabular.ContentTypeCSV, Filename: fmt.Sprintf("conformita-ecm-%d.csv", v.Triennium), Body: t.CSV()}, nil
}

// webMessages are the pages' texts, Italian first then English.
var webMessages = map[string][2]string{
	"cr.nav.mine":            {"I miei crediti ECM", "My ECM credits"},
	"cr.nav.mine.desc":       {"Il saldo del triennio, perché conta ogni credito e la previsione", "The triennium's balance, why each credit counts, and the forecast"},
	"cr.nav.lookup":          {"Crediti di un professionista", "A professional's credits"},
	"cr.nav.lookup.desc":     {"Cerca per codice fiscale il saldo crediti ECM", "Look up an ECM credit balance by codice fiscale"},
	"cr.nav.compliance":      {"Adempimento ECM", "ECM compliance"},
	"cr.nav.compliance.desc": {"Quanti professionisti sono in regola, in linea o in ritardo", "How many professionals are compliant, on track or behind"},
	"cr.page.title":          {"Crediti ECM, triennio %s", "ECM credits, triennium %s"},
	"cr.lookup.intro":        {"Inserisci il codice fiscale di un professionista del tuo ambito.", "Enter the codice fiscale of a professional in your scope."},
	"cr.lookup.cf":           {"Codice fiscale", "Codice fiscale"},
	"cr.lookup.go":           {"Mostra il saldo", "Show the balance"},
	"cr.bal.triennium":       {"Triennio", "Triennium"},
	"cr.bal.show":            {"Mostra", "Show"},
	"cr.bal.progress":        {"Crediti che contano rispetto a quelli dovuti", "Credits that count against those due"},
	"cr.bal.obligation":      {"Obbligo del triennio", "Triennium obligation"},
	"cr.bal.reduction":       {"Riduzione dal triennio precedente", "Reduction from the previous triennium"},
	"cr.bal.exemption":       {"Esoneri ed esenzioni", "Exemptions"},
	"cr.bal.due":             {"Crediti dovuti", "Credits due"},
	"cr.bal.earned":          {"Crediti registrati (prima dei tetti)", "Credits recorded (before the caps)"},
	"cr.bal.counted":         {"Crediti che contano", "Credits that count"},
	"cr.bal.certified":       {"di cui certificati", "of which certified"},
	"cr.bal.pending":         {"di cui in attesa", "of which pending"},
	"cr.bal.missing":         {"Crediti mancanti", "Credits missing"},
	"cr.bal.expected":        {"Attesi a oggi (lineare)", "Expected by today (linear)"},
	"cr.bal.compliant":       {"In regola: i crediti certificati coprono l'obbligo.", "Compliant: certified credits cover the obligation."},
	"cr.bal.notcompliant":    {"Non ancora in regola.", "Not yet compliant."},
	"cr.bal.ontrack":         {"In linea con l'obbligo", "On track"},
	"cr.bal.behind":          {"In ritardo sull'obbligo", "Behind"},
	"cr.bal.forecast":        {"Previsione", "Forecast"},
	"cr.bal.forecasthow":     {"Come è calcolata: i crediti che contano divisi per la parte di triennio trascorsa (giorni fino a oggi compreso su giorni del triennio) danno i crediti a fine triennio allo stesso ritmo; si è in linea se raggiungono i crediti dovuti.", "How it is computed: the credits that count divided by the share of the triennium elapsed (days up to today included over the triennium's days) give the credits at the end at the same pace; you are on track when that reaches the credits due."},
	"cr.bal.figures":         {"I numeri del saldo", "The balance in numbers"},
	"cr.bal.kinds":           {"Per tipo di credito", "By kind of credit"},
	"cr.bal.kind":            {"Tipo", "Kind"},
	"cr.bal.entries":         {"Ogni credito e perché conta", "Each credit and why it counts"},
	"cr.bal.date":            {"Data", "Date"},
	"cr.bal.title":           {"Descrizione", "Description"},
	"cr.bal.credits":         {"Crediti", "Credits"},
	"cr.bal.counts":          {"Contano", "Count"},
	"cr.bal.status":          {"Stato", "Status"},
	"cr.bal.why":             {"Perché", "Why"},
	"cr.bal.none":            {"Nessun credito registrato in questo triennio.", "No credits recorded in this triennium."},
	"cr.bal.notes":           {"Note", "Notes"},
	"cr.bal.delete":          {"Elimina", "Delete"},
	"cr.bal.computed":        {"calcolato dal dossier", "computed from the dossier"},
	"cr.bal.rules":           {"Regole applicate: versione %s.", "Rules applied: version %s."},
	"cr.bal.value":           {"Valore", "Value"},
	"cr.form.add":            {"Aggiungi un credito", "Add a credit"},
	"cr.form.declare":        {"Dichiara formazione individuale o autoformazione", "Declare individual training or self-training"},
	"cr.form.declarehelp":    {"Quanto dichiari resta «in attesa» finché l'ordine o l'azienda non lo certifica.", "What you declare stays pending until your order or organisation certifies it."},
	"cr.form.kind":           {"Tipo", "Kind"},
	"cr.form.credits":        {"Crediti", "Credits"},
	"cr.form.earned":         {"Data", "Date"},
	"cr.form.title":          {"Descrizione", "Description"},
	"cr.form.note":           {"Nota", "Note"},
	"cr.form.status":         {"Stato", "Status"},
	"cr.form.triennium":      {"Triennio in cui conta (vuoto: quello della data)", "Triennium it counts in (empty: the date's)"},
	"cr.form.from":           {"Per i crediti spostati: triennio da cui escono", "For moved credits: triennium they leave"},
	"cr.form.submit":         {"Registra", "Record"},
	"cr.comp.intro":          {"Professionisti in regola (crediti certificati che coprono l'obbligo), in linea (la previsione lineare raggiunge l'obbligo) e in ritardo, dai saldi memorizzati. I gruppi con meno di 5 professionisti non sono mostrati.", "Professionals who are compliant (certified credits cover the obligation), on track (the linear forecast reaches it) and behind, from the stored balances. Groups of fewer than 5 professionals are not shown."},
	"cr.comp.scope":          {"Ambito: %s", "Scope: %s"},
	"cr.comp.total":          {"Totale", "Total"},
	"cr.comp.byprofession":   {"Per professione", "By profession"},
	"cr.comp.byorganisation": {"Per azienda", "By organisation"},
	"cr.comp.byregion":       {"Per regione", "By region"},
	"cr.comp.group":          {"Gruppo", "Group"},
	"cr.comp.professionals":  {"Professionisti", "Professionals"},
	"cr.comp.compliant":      {"In regola", "Compliant"},
	"cr.comp.ontrack":        {"In linea", "On track"},
	"cr.comp.behind":         {"In ritardo", "Behind"},
	"cr.comp.suppressed":     {"< 5", "< 5"},
	"cr.comp.suppressednote": {"«< 5»: gruppo troppo piccolo per essere mostrato; quando un solo gruppo lo sarebbe, si nasconde anche il più piccolo degli altri, così i totali non lo rivelano.", "“< 5”: group too small to show; when only one group would be hidden, the smallest other one is hidden too, so the totals do not reveal it."},
	"cr.comp.csv":            {"Scarica CSV", "Download CSV"},
	"cr.comp.chart":          {"Adempimento ECM, triennio %s (%%)", "ECM compliance, triennium %s (%%)"},
	"cr.comp.chartdesc":      {"Quota di professionisti in regola, in linea e in ritardo per gruppo; gli stessi numeri sono nella tabella.", "Share of professionals compliant, on track and behind per group; the same numbers are in the table."},
	"cr.comp.none":           {"Nessun saldo memorizzato per questo triennio nel tuo ambito.", "No stored balances for this triennium in your scope."},
	"cr.comp.region":         {"Regione (id)", "Region (id)"},
	"cr.comp.organisation":   {"Azienda (id)", "Organisation (id)"},
	"cr.chart.title":         {"Crediti che contano, triennio %s", "Credits that count, triennium %s"},
	"cr.chart.desc":          {"Crediti che contano per tipo, i crediti dovuti e quelli attesi a oggi; gli stessi numeri sono nella tabella.", "Credits that count by kind, the credits due and those expected by today; the same numbers are in the table."},
}
