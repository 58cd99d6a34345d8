package catalogue

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/chart"
	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the catalogue's web surface: pages for providers (my events, new event with the
// credit calculator and line suggestions, import), reviewers (the accreditation queue),
// professionals (search, event page, fits my objectives) and governance (analysis), and the
// JSON API under /api/v1/events and /api/v1/catalogue.
type WebModule struct{ S *Service }

var (
	roleReviewers = []domain.Role{domain.RoleNational, domain.RoleRegional}
	roleAnalysts  = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider, domain.RoleAnalyst}
)

// Register implements web.Module.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "cat.nav.search", Path: "/catalogue", Order: 40, Group: web.NavGroupTraining})
	r.Nav(web.NavItem{Key: "cat.nav.mine", Path: "/provider/events", Roles: []domain.Role{domain.RoleProvider}, Order: 41, Group: web.NavGroupTraining})
	r.Nav(web.NavItem{Key: "cat.nav.review", Path: "/review/events", Roles: roleReviewers, Order: 42, Group: web.NavGroupTraining})
	r.Nav(web.NavItem{Key: "cat.nav.forme", Path: "/catalogue/for-me", Roles: []domain.Role{domain.RoleProfessional}, Order: 43, Group: web.NavGroupTraining})
	r.Nav(web.NavItem{Key: "cat.nav.analysis", Path: "/catalogue/analysis", Roles: []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleAnalyst}, Order: 44, Group: web.NavGroupMonitoring})
	r.Nav(web.NavItem{Key: "cat.nav.import", Path: "/catalogue/import", Roles: []domain.Role{domain.RoleProvider, domain.RoleNational}, Order: 45, Secondary: true, Group: web.NavGroupTraining})

	r.Page("GET /catalogue", m.searchPage)
	r.Page("GET /catalogue/for-me", m.forMePage)
	r.Page("GET /catalogue/analysis", m.analysisPage)
	r.Page("GET /catalogue/analysis.csv", m.analysisDownload("csv"))
	r.Page("GET /catalogue/analysis.xlsx", m.analysisDownload("xlsx"))
	r.Page("GET /catalogue/import", m.importPage)
	r.Page("POST /catalogue/import", m.importPost, web.PageOpts{MaxBytes: MaxImportBytes + 1<<20})
	r.Page("GET /catalogue/export.csv", m.exportDownload("csv"))
	r.Page("GET /catalogue/export.json", m.exportDownload("json"))
	for _, p := range m.homePanels() {
		r.Home(p)
	}
	r.Page("GET /provider/events", m.minePage)
	r.Page("GET /review/events", m.reviewPage)
	r.Page("GET /events/new", m.newPage)
	r.Page("POST /events/new", m.newPost)
	r.Page("GET /events/{id}", m.eventPage)
	r.Page("GET /events/{id}/edit", m.editPage)
	r.Page("POST /events/{id}/edit", m.editPost)
	r.Page("POST /events/{id}/state", m.statePost)
	r.Page("POST /events/{id}/lines", m.linesPost)

	tag := "catalogue"
	r.API("GET /api/v1/events", web.Op{Summary: "Search the catalogue (Italian full text and facets)", Tag: tag, Response: Result{}},
		func(c *web.Ctx) (any, error) { return m.S.Search(c.Context(), queryFrom(c.R.URL.Query())) })
	r.API("POST /api/v1/events", web.Op{Summary: "Create an event (providers: their own drafts)", Tag: tag, Request: EventInput{}, Response: EventView{},
		Created: true, Roles: []string{"provider", "national"}}, func(c *web.Ctx) (any, error) {
		var in EventInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.CreateEvent(c.Context(), in)
	})
	r.API("GET /api/v1/events/export", web.Op{Summary: "Export the events in scope as JSON (the import format)", Tag: tag, Response: []jsonEvent{}},
		func(c *web.Ctx) (any, error) {
			var b bytes.Buffer
			if err := m.S.ExportEvents(c.Context(), "json", exportFilter(c), &b); err != nil {
				return nil, err
			}
			var out []jsonEvent
			if err := jsonUnmarshal(b.Bytes(), &out); err != nil {
				return nil, err
			}
			return out, nil
		})
	r.API("POST /api/v1/events/import", web.Op{Summary: "Import events from CSV (text/csv) or JSON (application/json), all or nothing", Tag: tag,
		Response: ImportReport{}, RawRequest: "text/csv", RawKinds: []web.UploadKind{web.UploadCSV, web.UploadJSON}, MaxBytes: MaxImportBytes, Roles: []string{"provider", "national"}},
		func(c *web.Ctx) (any, error) {
			format := "csv"
			if strings.Contains(c.R.Header.Get("Content-Type"), "json") || c.R.URL.Query().Get("format") == "json" {
				format = "json"
			}
			return m.S.ImportEvents(c.Context(), format, c.R.Body)
		})
	r.API("GET /api/v1/events/{id}", web.Op{Summary: "An event with its credit computation, history and permissions", Tag: tag, Response: EventView{}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.GetEvent(c.Context(), id)
		})
	r.API("PUT /api/v1/events/{id}", web.Op{Summary: "Change an event (the provider's drafts and rejected events)", Tag: tag, Request: EventInput{},
		Response: EventView{}, Roles: []string{"provider", "national"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in EventInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.UpdateEvent(c.Context(), id, in)
	})
	for _, act := range []string{ActSubmit, ActAccredit, ActReject, ActStart, ActClose} {
		act := act
		roles := []string{"provider", "national"}
		if act == ActAccredit || act == ActReject {
			roles = []string{"national", "regional"}
		}
		var req any
		if act == ActReject {
			req = reasonInput{}
		}
		r.API("POST /api/v1/events/{id}/"+act, web.Op{Summary: "Event transition: " + act, Tag: tag, Request: req, Response: EventView{}, Roles: roles},
			func(c *web.Ctx) (any, error) {
				id, err := c.PathInt64("id")
				if err != nil {
					return nil, err
				}
				var in reasonInput
				if act == ActReject {
					if err := c.DecodeJSON(&in); err != nil {
						return nil, err
					}
				}
				return m.S.Transition(c.Context(), id, act, in.Reason)
			})
	}
	r.API("PUT /api/v1/events/{id}/lines", web.Op{Summary: "Declare (provider) or correct (reviewer) the lines an event develops", Tag: tag,
		Request: []LineInput{}, Response: EventView{}, Roles: []string{"provider", "national", "regional"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in []LineInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.SetLines(c.Context(), id, in)
	})
	r.API("POST /api/v1/events/{id}/lines/accept", web.Op{Summary: "Accept the event's line mapping as declared (reviewer)", Tag: tag,
		Response: EventView{}, Roles: []string{"national", "regional"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		return m.S.AcceptLines(c.Context(), id)
	})
	r.API("GET /api/v1/catalogue/my-events", web.Op{Summary: "Events in the caller's scope (provider: own; regional: region's providers; national: all)", Tag: tag,
		Response: listResult{}, Roles: []string{"provider", "national", "regional"}}, func(c *web.Ctx) (any, error) {
		rows, total, err := m.S.ListEvents(c.Context(), ListFilter{States: c.R.URL.Query()["state"], Limit: c.QueryInt("limit", 100), Offset: c.QueryInt("offset", 0)})
		return listResult{Total: total, Events: rows}, err
	})
	r.API("GET /api/v1/catalogue/review-queue", web.Op{Summary: "Submitted events the caller reviews, oldest first", Tag: tag, Response: listResult{},
		Roles: []string{"national", "regional"}}, func(c *web.Ctx) (any, error) {
		rows, total, err := m.S.ReviewQueue(c.Context())
		return listResult{Total: total, Events: rows}, err
	})
	r.API("POST /api/v1/catalogue/credits", web.Op{Summary: "Credit calculator: the credits of an event under the rules in force, step by step", Tag: tag,
		Request: CreditInput{}, Response: Computation{}}, func(c *web.Ctx) (any, error) {
		var in CreditInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return Compute(CurrentRuleSet(), in), nil
	})
	r.API("GET /api/v1/catalogue/rules", web.Op{Summary: "The credit rule set in force, as data", Tag: tag, Response: RuleSet{}},
		func(c *web.Ctx) (any, error) { return CurrentRuleSet(), nil })
	r.API("GET /api/v1/catalogue/themes", web.Op{Summary: "National- and regional-interest themes with their allowed objectives", Tag: tag, Response: []Theme{}},
		func(c *web.Ctx) (any, error) { return m.S.Themes(c.Context()) })
	r.API("POST /api/v1/catalogue/suggest-lines", web.Op{Summary: "Suggest portfolio lines for an event's title and description", Tag: tag,
		Request: suggestInput{}, Response: []Suggestion{}, Roles: []string{"provider", "national", "regional"}}, func(c *web.Ctx) (any, error) {
		var in suggestInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.SuggestLines(c.Context(), in.Title, in.Description, in.Limit)
	})
	r.API("GET /api/v1/catalogue/recommendations", web.Op{Summary: "Upcoming editions for a professional's open objectives (professional: self)", Tag: tag,
		Response: Recommendations{}, Roles: []string{"professional", "national", "regional", "organisation"}}, func(c *web.Ctx) (any, error) {
		q := c.R.URL.Query()
		pid, _ := strconv.ParseInt(q.Get("professional_id"), 10, 64)
		return m.S.Recommend(c.Context(), pid, int64s(q["line"]), c.QueryInt("limit", 10))
	})
	r.API("GET /api/v1/catalogue/analysis", web.Op{Summary: "Catalogue analysis by keyword, type, year, provider, theme, dimension and line", Tag: tag,
		Response: Analysis{}, Roles: []string{"national", "regional", "organisation", "provider", "analyst"}}, func(c *web.Ctx) (any, error) {
		return m.S.Analyse(c.Context(), analysisQuery(c.R.URL.Query()))
	})
}

type reasonInput struct {
	Reason string `json:"reason"`
}

type suggestInput struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Limit       int    `json:"limit,omitempty"`
}

type listResult struct {
	Total  int        `json:"total"`
	Events []EventRow `json:"events"`
}

func int64s(v []string) []int64 {
	var out []int64
	for _, s := range v {
		for _, p := range strings.Split(s, ",") {
			if n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil && n > 0 {
				out = append(out, n)
			}
		}
	}
	return out
}

func ints(v []string) []int {
	var out []int
	for _, n := range int64s(v) {
		out = append(out, int(n))
	}
	return out
}

func splitList(v []string) []string {
	var out []string
	for _, s := range v {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// queryFrom reads a search from URL parameters (the page's form and the API share them).
func queryFrom(v url.Values) Query {
	q := Query{Text: v.Get("q"), Types: splitList(v["type"]), Regions: int64s(v["region"]), Professions: ints(v["profession"]),
		Lines: int64s(v["line"]), Dimensions: int64s(v["dimension"]), Credits: splitList(v["credits"]), Cost: v.Get("cost"),
		Delivery: v.Get("delivery"), Providers: int64s(v["provider"]), From: parseDateOrEmpty(v.Get("from")), To: parseDateOrEmpty(v.Get("to")),
		States: splitList(v["state"]), Sort: v.Get("sort")}
	q.Limit, _ = strconv.Atoi(v.Get("limit"))
	q.Offset, _ = strconv.Atoi(v.Get("offset"))
	switch v.Get("period") {
	case "", "upcoming":
		if q.From == "" && q.To == "" {
			q.From = time.Now().UTC().Format(dateLayout)
		}
	}
	return q
}

func parseDateOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return parseDate(s)
}

func analysisQuery(v url.Values) AnalysisQuery {
	return AnalysisQuery{Keywords: splitList(v["keywords"]), From: v.Get("from"), To: v.Get("to"), InDescription: v.Get("in_description") == "1"}
}

func exportFilter(c *web.Ctx) ExportFilter {
	q := c.R.URL.Query()
	pid, _ := strconv.ParseInt(q.Get("provider"), 10, 64)
	return ExportFilter{ProviderID: pid, From: parseDateOrEmpty(q.Get("from")), To: parseDateOrEmpty(q.Get("to"))}
}

// ---- pages ----

type monthLink struct {
	Label    string
	URL      string
	Count    int
	Selected bool
}

type searchData struct {
	Query    Query
	Raw      url.Values
	Result   Result
	Period   string
	Facets   map[string]Facet
	Months   []monthLink
	Page     int
	Pages    int
	PrevURL  string
	NextURL  string
	TypeName map[string]string
}

func (m WebModule) searchPage(c *web.Ctx) error {
	v := c.R.URL.Query()
	q := queryFrom(v)
	if q.Limit == 0 {
		q.Limit = 20
	}
	page := max(c.QueryInt("page", 1), 1)
	q.Offset = (page - 1) * q.Limit
	res, err := m.S.Search(c.Context(), q)
	if err != nil {
		return err
	}
	d := searchData{Query: q, Raw: v, Result: res, Period: v.Get("period"), Facets: map[string]Facet{}, Page: page}
	if d.Period == "" {
		d.Period = "upcoming"
	}
	for _, f := range res.Facets {
		d.Facets[f.Name] = f
	}
	d.Pages = (res.Total + q.Limit - 1) / q.Limit
	for _, mv := range d.Facets["month"].Values {
		t, err := time.Parse("2006-01", mv.Key)
		if err != nil {
			continue
		}
		w := url.Values{}
		for k, vs := range v {
			if k != "page" && k != "from" && k != "to" && k != "period" {
				w[k] = vs
			}
		}
		w.Set("period", "custom")
		w.Set("from", t.Format(dateLayout))
		w.Set("to", t.AddDate(0, 1, -1).Format(dateLayout))
		d.Months = append(d.Months, monthLink{Label: t.Format("01/2006"), URL: "/catalogue?" + w.Encode(), Count: mv.Count, Selected: mv.Selected})
	}
	link := func(p int) string {
		w := url.Values{}
		for k, vs := range v {
			if k != "page" {
				w[k] = vs
			}
		}
		w.Set("page", strconv.Itoa(p))
		return "/catalogue?" + w.Encode()
	}
	if page > 1 {
		d.PrevURL = link(page - 1)
	}
	if page < d.Pages {
		d.NextURL = link(page + 1)
	}
	return c.Render("catalogue_search", c.T("cat.nav.search"), d)
}

func (m WebModule) eventPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	v, err := m.S.GetEvent(c.Context(), id)
	if err != nil {
		return err
	}
	data := map[string]any{"E": v, "Done": ""}
	if d := c.R.URL.Query().Get("done"); d == "saved" || d == "lines" || contains([]string{ActSubmit, ActAccredit, ActReject, ActStart, ActClose}, d) {
		data["Done"] = d
	}
	if v.Can.ReviewLines || v.Can.Edit {
		sugg, err := m.S.SuggestLines(c.Context(), v.Title, v.Description, 5)
		if err == nil {
			// Only suggestions the event does not have yet.
			var fresh []Suggestion
			for _, sg := range sugg {
				has := false
				for _, l := range v.Lines {
					has = has || l.LineID == sg.LineID
				}
				if !has {
					fresh = append(fresh, sg)
				}
			}
			data["Suggestions"] = fresh
		}
		r, err := m.S.loadRefsPortfolioOnly(c.Context())
		if err != nil {
			return err
		}
		data["AllLines"] = r.currentLines()
		data["Levels"] = levelList(r)
	}
	return c.Render("catalogue_event", v.Title, data)
}

func levelList(r *refs) []int {
	var lv []int
	for l := range r.levels[r.fw.ID] {
		lv = append(lv, l)
	}
	sort.Ints(lv)
	if len(lv) == 0 {
		lv = []int{1, 2, 3, 4}
	}
	return lv
}

func (m WebModule) statePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	action := c.R.FormValue("action")
	if _, err := m.S.Transition(c.Context(), id, action, c.R.FormValue("reason")); err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			v, gerr := m.S.GetEvent(c.Context(), id)
			if gerr != nil {
				return gerr
			}
			return c.RenderForm("catalogue_event", v.Title, map[string]any{"E": v, "Done": ""}, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/events/%d?done=%s", id, url.QueryEscape(action)))
}

// linesFromForm reads the checked lines ("line" values) with their levels ("level.ID").
func linesFromForm(c *web.Ctx) []LineInput {
	var out []LineInput
	for _, s := range c.R.Form["line"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			continue
		}
		lv, _ := strconv.Atoi(c.R.FormValue("level." + s))
		if lv == 0 {
			lv = 2
		}
		origin := OriginProvider
		score, _ := strconv.ParseFloat(c.R.FormValue("score."+s), 64)
		if score > 0 {
			origin = OriginSuggestion
		}
		out = append(out, LineInput{LineID: id, Level: lv, Origin: origin, Score: score})
	}
	if s := c.R.FormValue("add_line"); s != "" {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			lv, _ := strconv.Atoi(c.R.FormValue("add_level"))
			if lv == 0 {
				lv = 2
			}
			out = append(out, LineInput{LineID: id, Level: lv, Origin: OriginProvider})
		}
	}
	return out
}

func (m WebModule) linesPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if err := c.R.ParseForm(); err != nil {
		return domain.Invalid("form", "modulo illeggibile")
	}
	if c.R.FormValue("accept") == "1" {
		_, err = m.S.AcceptLines(c.Context(), id)
	} else {
		_, err = m.S.SetLines(c.Context(), id, linesFromForm(c))
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/events/%d?done=lines", id))
}

func (m WebModule) minePage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational); err != nil {
		return err
	}
	st := splitList(c.R.URL.Query()["state"])
	rows, total, err := m.S.ListEvents(c.Context(), ListFilter{States: st, Limit: 200})
	if err != nil {
		return err
	}
	return c.Render("catalogue_mine", c.T("cat.nav.mine"), map[string]any{"Rows": rows, "Total": total, "States": States, "State": strings.Join(st, ",")})
}

func (m WebModule) reviewPage(c *web.Ctx) error {
	rows, total, err := m.S.ReviewQueue(c.Context())
	if err != nil {
		return err
	}
	return c.Render("catalogue_review", c.T("cat.nav.review"), map[string]any{"Rows": rows, "Total": total})
}

func (m WebModule) forMePage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProfessional); err != nil {
		return err
	}
	chosen := int64s(c.R.URL.Query()["line"])
	rec, err := m.S.Recommend(c.Context(), 0, chosen, 20)
	if err != nil {
		return err
	}
	r, err := m.S.loadRefsPortfolioOnly(c.Context())
	if err != nil {
		return err
	}
	return c.Render("catalogue_forme", c.T("cat.nav.forme"), map[string]any{"R": rec, "AllLines": r.currentLines(), "Chosen": chosen,
		"Illustrative": r.fw.Illustrative})
}

// analysisCharts draws the programme's table as charts; the page shows the same numbers as
// tables beside them.
func analysisCharts(c *web.Ctx, an Analysis) map[string]string {
	types := []string{"RES", "FAD", "FSC", "Blended"}
	vals := func(t TypeCounts) []float64 {
		return []float64{float64(t.RES), float64(t.FAD), float64(t.FSC), float64(t.Blended)}
	}
	out := map[string]string{}
	out["types"] = chart.Bar{ID: "chart-types", Title: c.T("cat.an.chart.types"), Desc: fmt.Sprintf("RES %d, FAD %d, FSC %d, blended %d",
		an.Matched.RES, an.Matched.FAD, an.Matched.FSC, an.Matched.Blended), Categories: types,
		Series: []chart.Series{{Name: c.T("cat.an.matched"), Values: vals(an.Matched)}, {Name: c.T("cat.an.mapped"), Values: vals(an.Mapped)}}}.SVG()
	var kwCats []string
	var kwVals []float64
	for _, r := range an.ByKeyword {
		kwCats = append(kwCats, r.Label)
		kwVals = append(kwVals, float64(r.Total))
	}
	out["keywords"] = chart.Bar{ID: "chart-keywords", Title: c.T("cat.an.chart.keywords"), Desc: c.T("cat.an.chart.keywords"), Categories: kwCats,
		Series: []chart.Series{{Name: c.T("cat.an.events"), Values: kwVals}}}.SVG()
	var dCats []string
	var dAll, dKw []float64
	for _, r := range an.ByDimension {
		dCats = append(dCats, strings.TrimSpace(r.Key+" "+r.Label))
		dAll = append(dAll, float64(r.Total))
		dKw = append(dKw, float64(r.Keyword))
	}
	out["dimensions"] = chart.Bar{ID: "chart-dims", Title: c.T("cat.an.chart.dims"), Desc: c.T("cat.an.chart.dims"), Categories: dCats,
		Series: []chart.Series{{Name: c.T("cat.an.mapped"), Values: dAll}, {Name: c.T("cat.an.matched"), Values: dKw}}}.SVG()
	return out
}

func (m WebModule) analysisPage(c *web.Ctx) error {
	q := analysisQuery(c.R.URL.Query())
	an, err := m.S.Analyse(c.Context(), q)
	if err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return c.RenderForm("catalogue_analysis", c.T("cat.nav.analysis"), map[string]any{"Q": q, "Keywords": strings.Join(q.Keywords, ", ")}, err)
		}
		return err
	}
	return c.Render("catalogue_analysis", c.T("cat.nav.analysis"), map[string]any{"A": an, "Q": an.Query, "Keywords": strings.Join(an.Query.Keywords, ", "),
		"Tables": an.Tables(), "Charts": analysisCharts(c, an), "Params": c.R.URL.RawQuery})
}

func (m WebModule) analysisDownload(format string) web.PageFunc {
	return func(c *web.Ctx) error {
		an, err := m.S.Analyse(c.Context(), analysisQuery(c.R.URL.Query()))
		if err != nil {
			return err
		}
		var b bytes.Buffer
		ctype := "text/csv; charset=utf-8"
		if format == "xlsx" {
			ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
			err = an.WriteXLSX(&b)
		} else {
			err = an.WriteCSV(&b)
		}
		if err != nil {
			return err
		}
		c.W.Header().Set("Content-Type", ctype)
		c.W.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="analisi-catalogo.%s"`, format))
		_, _ = b.WriteTo(c.W)
		return nil
	}
}

func (m WebModule) exportDownload(format string) web.PageFunc {
	return func(c *web.Ctx) error {
		var b bytes.Buffer
		if err := m.S.ExportEvents(c.Context(), format, exportFilter(c), &b); err != nil {
			return err
		}
		ctype := "text/csv; charset=utf-8"
		if format == "json" {
			ctype = "application/json"
		}
		c.W.Header().Set("Content-Type", ctype)
		c.W.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="eventi.%s"`, format))
		_, _ = b.WriteTo(c.W)
		return nil
	}
}

func (m WebModule) importPage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational); err != nil {
		return err
	}
	return c.Render("catalogue_import", c.T("cat.nav.import"), map[string]any{"Columns": Columns})
}

func (m WebModule) importPost(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProvider, domain.RoleNational); err != nil {
		return err
	}
	body, hdr, ok, err := c.Upload("file", web.UploadSpec{MaxBytes: 32 << 20, Kinds: []web.UploadKind{web.UploadCSV, web.UploadJSON}})
	if err != nil {
		return c.RenderForm("catalogue_import", c.T("cat.nav.import"), map[string]any{"Columns": Columns}, err)
	}
	if !ok {
		// No file: show the form again with a notice (nothing was attempted).
		return c.Render("catalogue_import", c.T("cat.nav.import"), map[string]any{"Columns": Columns, "NoFile": true})
	}
	format := "csv"
	if strings.HasSuffix(strings.ToLower(hdr.Filename), ".json") || c.R.FormValue("format") == "json" {
		format = "json"
	}
	rep, err := m.S.ImportEvents(c.Context(), format, bytes.NewReader(body))
	data := map[string]any{"Columns": Columns, "Report": rep, "File": hdr.Filename}
	return c.RenderForm("catalogue_import", c.T("cat.nav.import"), data, err)
}

func jsonUnmarshal(b []byte, v any) error {
	dec := jsonDecoder(b)
	return dec.Decode(v)
}

var _ = http.StatusOK
