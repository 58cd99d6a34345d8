package governance

import (
	"embed"
	"fmt"
	"html"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"

	"esd/internal/domain"
	"esd/internal/monitor"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the governance web surface: the cycle (/governance) with its approval form,
// the targets (/governance/targets, /governance/targets/{id}) with their forms, the
// notification list (/notifications), and the JSON API under /api/v1/governance and
// /api/v1/notifications.
type WebModule struct{ S *Service }

var govRoles = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst}

// Register implements web.Module.
func (m WebModule) Register(r *web.Routes) {
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	// One entry in the main menu (it is already crowded for national governance); the
	// targets and the notifications are on the home page, the cycle page and the dashboard.
	r.Nav(web.NavItem{Key: "gov.nav.cycle", Desc: "gov.nav.cycle.desc", Path: "/governance", Roles: govRoles, Order: 70, Group: web.NavGroupMonitoring})
	r.Nav(web.NavItem{Key: "gov.nav.targets", Desc: "gov.nav.targets.desc", Path: "/governance/targets", Roles: govRoles, Order: 71, Secondary: true, Group: web.NavGroupMonitoring})
	r.Nav(web.NavItem{Key: "gov.nav.notifications", Desc: "gov.nav.notifications.desc", Path: "/notifications", Order: 90, Secondary: true, Group: web.NavGroupMonitoring})

	r.Page("GET /governance", m.cyclePage)
	r.Page("POST /governance/approve", m.approvePost)
	r.Page("GET /governance/targets", m.targetsPage)
	r.Page("POST /governance/targets", m.targetPost)
	r.Page("GET /governance/targets/{id}", m.targetPage)
	r.Page("GET /notifications", m.notificationsPage)
	r.Page("POST /notifications/read", m.readPost)
	r.Page("POST /notifications/email", m.emailPost)

	tag := "governance"
	gr := []string{"national", "regional", "organisation", "analyst"}
	r.API("GET /api/v1/governance/cycle", web.Op{Summary: "The governance cycle: phases, where the nation and each region stand, artefacts and approvals", Tag: tag,
		Response: CycleView{}, Roles: gr}, func(c *web.Ctx) (any, error) {
		return m.S.CycleView(c.Context(), c.R.URL.Query().Get("cycle"))
	})
	r.API("POST /api/v1/governance/approvals", web.Op{Summary: "Approve the current phase of the nation (region_id 0, national) or of a region (its referent), with a note", Tag: tag,
		Request: ApproveInput{}, Response: Approval{}, Created: true, Roles: []string{"national", "regional"}}, func(c *web.Ctx) (any, error) {
		var in ApproveInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.Approve(c.Context(), in)
	})
	r.API("GET /api/v1/governance/targets", web.Op{Summary: "Targets visible to the caller with their progress in the caller's scope (groups under 5 suppressed)", Tag: tag,
		Response: []Summary{}, Roles: gr}, func(c *web.Ctx) (any, error) { return m.S.Targets(c.Context()) })
	r.API("POST /api/v1/governance/targets", web.Op{Summary: "Set a national target, or refine one (only upwards) for a region or an organisation", Tag: tag,
		Request: TargetInput{}, Response: Target{}, Created: true, Roles: []string{"national", "regional", "organisation"}}, func(c *web.Ctx) (any, error) {
		var in TargetInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.CreateTarget(c.Context(), in)
	})
	r.API("GET /api/v1/governance/targets/{id}", web.Op{Summary: "A target's progress, trend, forecast at the deadline with its 95 % prediction interval, state and drill-down (?region=, ?org=)", Tag: tag,
		Response: Progress{}, Roles: gr}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		if _, err := viewer(c.Context()); err != nil {
			return nil, err
		}
		reg, org, err := drill(c)
		if err != nil {
			return nil, err
		}
		return m.S.Progress(c.Context(), id, reg, org)
	})
	r.API("GET /api/v1/notifications", web.Op{Summary: "The caller's notifications, newest first", Tag: tag, Response: notificationList{}}, func(c *web.Ctx) (any, error) {
		list, unread, err := m.S.Notifications(c.Context(), c.Lang)
		return notificationList{Unread: unread, Items: list}, err
	})
	r.API("POST /api/v1/notifications/{id}/read", web.Op{Summary: "Mark one of the caller's notifications read (0: all)", Tag: tag}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil && c.R.PathValue("id") != "0" {
			return nil, err
		}
		return nil, m.S.MarkRead(c.Context(), id)
	})
}

type notificationList struct {
	Unread int            `json:"unread"`
	Items  []Notification `json:"items"`
}

// drill reads ?region= and ?org=; anything but a number is a bad request.
func drill(c *web.Ctx) (int64, int64, error) {
	q := c.R.URL.Query()
	var out [2]int64
	for i, name := range []string{"region", "org"} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return 0, 0, domain.Invalid(name, "%s: a number", name)
			}
			out[i] = n
		}
	}
	return out[0], out[1], nil
}

// ---- the cycle page ----

type cyclePage struct {
	Approved bool
	V        CycleView
	Map      string
	Phases   map[string]int
}

func (m WebModule) cyclePage(c *web.Ctx) error { return m.renderCycle(c, nil, ApproveInput{}) }

func (m WebModule) renderCycle(c *web.Ctx, formErr error, form ApproveInput) error {
	v, err := m.S.CycleView(c.Context(), c.R.URL.Query().Get("cycle"))
	if err != nil {
		return err
	}
	d := cyclePage{V: v, Phases: map[string]int{}, Approved: c.R.URL.Query().Get("approved") == "1"}
	for _, p := range v.Cycle.Phases {
		d.Phases[p.Code] = p.Position
	}
	if g, err := monitor.ItalyMap(); err == nil {
		d.Map = phaseMap(g, v, c.T)
	}
	return c.RenderForm("governance_cycle", c.T("gov.nav.cycle"), d, Localize(formErr, c.T))
}

// phaseColours shade the phases from light to dark (every shade with its label on the map
// and in the table, so colour is never the only cue).
var phaseColours = []string{"#e6f0fa", "#b3d1f0", "#80b3e6", "#4d94db", "#1a75d1", "#0b4b8c"}

// phaseMap draws the regions on the monitoring map coloured by the phase they are in, each
// with its name and phase in a title and a legend below.
func phaseMap(g *monitor.Geo, v CycleView, t func(string, ...any) string) string {
	byCode := map[string]Track{}
	for _, r := range v.Regions {
		byCode[r.ISTAT] = r
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" class="esd-map w-100" role="img" aria-labelledby="gov-map-title" style="max-width:%.0fpx">`, g.Width, g.Height, g.Width)
	fmt.Fprintf(&b, `<title id="gov-map-title">%s</title>`, html.EscapeString(t("gov.map.title")))
	for _, a := range g.Areas {
		tr, ok := byCode[a.Code]
		fill, label := "#eef0f3", ""
		if ok {
			fill = phaseColours[min(tr.Position, len(phaseColours)-1)]
			label = t("gov.closed")
			if !tr.Closed {
				label = t("gov.phase." + tr.Phase)
			}
		}
		name := a.Name
		if ok {
			name = tr.RegionName
		}
		fmt.Fprintf(&b, `<path d="%s" fill="%s" stroke="#17324d" stroke-width="0.6" data-code="%s" data-phase="%s"><title>%s</title></path>`,
			a.Path, fill, a.Code, html.EscapeString(tr.Phase), html.EscapeString(name+": "+label))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func (m WebModule) approvePost(c *web.Ctx) error {
	region, _ := strconv.ParseInt(c.R.FormValue("region_id"), 10, 64)
	in := ApproveInput{Cycle: c.R.FormValue("cycle"), RegionID: region, Phase: c.R.FormValue("phase"), Note: c.R.FormValue("note")}
	if _, err := m.S.Approve(c.Context(), in); err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderCycle(c, err, in)
		}
		return Localize(err, c.T)
	}
	return c.Redirect("/governance?approved=1#approvals")
}

// ---- targets ----

type targetsPage struct {
	List    []Summary
	Form    TargetInput
	CanSet  bool
	Refine  bool
	Parents []Target
	Options formOptions
}

type formOptions struct {
	Measures, Kinds, Settings []string
	Regions                   []option
	Professions               []option
}

type option struct {
	ID   int64
	Name string
}

func (m WebModule) options(c *web.Ctx) formOptions {
	o := formOptions{Measures: Measures, Kinds: OrganisationKinds, Settings: CareSettings}
	if rows, err := m.S.DB.Read.QueryContext(c.Context(), `SELECT id, name FROM regions ORDER BY name`); err == nil {
		for rows.Next() {
			var x option
			if rows.Scan(&x.ID, &x.Name) == nil {
				o.Regions = append(o.Regions, x)
			}
		}
		rows.Close()
	}
	if rows, err := m.S.DB.Read.QueryContext(c.Context(), `SELECT code, name FROM professions ORDER BY code`); err == nil {
		for rows.Next() {
			var x option
			if rows.Scan(&x.ID, &x.Name) == nil {
				o.Professions = append(o.Professions, x)
			}
		}
		rows.Close()
	}
	return o
}

func (m WebModule) targetsPage(c *web.Ctx) error {
	form := TargetInput{Measure: MeasureLevel, Level: 2, Deadline: "2026-12-31"}
	if p, err := strconv.ParseInt(c.R.URL.Query().Get("refine"), 10, 64); err == nil {
		form.ParentID = p
	}
	return m.renderTargets(c, nil, form)
}

func (m WebModule) renderTargets(c *web.Ctx, formErr error, form TargetInput) error {
	list, err := m.S.Targets(c.Context())
	if err != nil {
		return err
	}
	d := targetsPage{List: list, Form: form, Options: m.options(c)}
	d.CanSet = c.Actor.Role == domain.RoleNational || c.Actor.Role == domain.RoleRegional || c.Actor.Role == domain.RoleOrganisation
	d.Refine = c.Actor.Role != domain.RoleNational
	for _, s := range list {
		if s.Target.Owner != OwnerOrganisation {
			d.Parents = append(d.Parents, s.Target)
		}
	}
	return c.RenderForm("governance_targets", c.T("gov.nav.targets"), d, Localize(formErr, c.T))
}

func (m WebModule) targetPost(c *web.Ctx) error {
	num := func(name string) int64 {
		v, _ := strconv.ParseInt(strings.TrimSpace(c.R.FormValue(name)), 10, 64)
		return v
	}
	in := TargetInput{ParentID: num("parent_id"), Title: c.R.FormValue("title"), RegionID: num("region_id"), OrganisationID: num("organisation_id"),
		OrganisationKind: c.R.FormValue("organisation_kind"), ProfessionCode: int(num("profession_code")), PersonaID: num("persona_id"),
		CareSetting: c.R.FormValue("care_setting"), Measure: c.R.FormValue("measure"), Item: c.R.FormValue("item"), Level: int(num("level")),
		Deadline: c.R.FormValue("deadline")}
	th := strings.Replace(strings.TrimSpace(c.R.FormValue("threshold")), ",", ".", 1)
	if v, err := strconv.ParseFloat(th, 64); err == nil {
		in.Threshold = v
	} else if th != "" {
		return m.renderTargets(c, errK(domain.EINVALID, "threshold", "gov.err.threshold", "threshold %v: a share between 0 (excluded) and 100 %%", th), in)
	}
	t, err := m.S.CreateTarget(c.Context(), in)
	if err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderTargets(c, err, in)
		}
		return Localize(err, c.T)
	}
	return c.Redirect(fmt.Sprintf("/governance/targets/%d", t.ID))
}

type targetPage struct {
	P       Progress
	Chart   string
	Map     string
	Query   string
	CanRef  bool
	Drill   bool
	Explain string
}

func (m WebModule) targetPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := viewer(c.Context()); err != nil {
		return err
	}
	reg, org, err := drill(c)
	if err != nil {
		return err
	}
	p, err := m.S.Progress(c.Context(), id, reg, org)
	if err != nil {
		return err
	}
	d := targetPage{P: p, Chart: trendSVG(p, c.T)}
	d.CanRef = (c.Actor.Role == domain.RoleRegional && p.Target.Owner == OwnerNational) ||
		(c.Actor.Role == domain.RoleOrganisation && p.Target.Owner != OwnerOrganisation)
	d.Drill = c.Actor.Role == domain.RoleNational || c.Actor.Role == domain.RoleAnalyst || c.Actor.Role == domain.RoleRegional
	if p.RowsKind == "region" {
		if g, err := monitor.ItalyMap(); err == nil {
			var rows []monitor.Row
			for _, r := range p.Rows {
				rows = append(rows, monitor.Row{ID: r.RegionID, Code: r.ISTAT, Label: r.Label, Cell: monitor.Cell{Pop: r.Population, Num: r.Reached, Value: r.Share, Hidden: r.Suppressed}})
			}
			d.Map = monitor.MapSVG(g, rows, "persona", c.Lang, c.T("gov.map.target"), func(r monitor.Row) string {
				return fmt.Sprintf("/governance/targets/%d?region=%d", p.Target.ID, r.ID)
			})
		}
	}
	return c.Render("governance_target", p.Target.Title, d)
}

// trendSVG draws the series, the threshold, and the least-squares line extended to the
// deadline with the prediction interval at the deadline; the page shows the same numbers in a
// table.
func trendSVG(p Progress, t func(string, ...any) string) string {
	if len(p.Series) == 0 {
		return ""
	}
	const w, h, l, r, top, bot = 640.0, 260.0, 44.0, 16.0, 16.0, 34.0
	first, _ := time.Parse("2006-01-02", p.Series[0].Day)
	dl, _ := time.Parse("2006-01-02", p.Target.Deadline)
	span := math.Max(1, dl.Sub(first).Hours()/24)
	x := func(days float64) float64 { return l + (w-l-r)*days/span }
	y := func(v float64) float64 { return top + (h-top-bot)*(1-v/100) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" class="w-100" style="max-width:%.0fpx" role="img" aria-labelledby="trend-title trend-desc">`, w, h, w)
	fmt.Fprintf(&b, `<title id="trend-title">%s</title><desc id="trend-desc">%s</desc>`, html.EscapeString(t("gov.chart.title")), html.EscapeString(t("gov.chart.desc")))
	for _, v := range []float64{0, 25, 50, 75, 100} {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#d9dadb"/><text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="#17324d">%.0f %%</text>`, l, w-r, y(v), y(v), l-4, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#cc334d" stroke-dasharray="6 3" stroke-width="2"/><text x="%.1f" y="%.1f" font-size="11" fill="#a61c3c">%s</text>`,
		l, w-r, y(p.Target.Threshold), y(p.Target.Threshold), l+4, y(p.Target.Threshold)-4, html.EscapeString(t("gov.chart.threshold", fmtNum(p.Target.Threshold))))
	if f := p.Forecast; f.OK {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#5d7083" stroke-dasharray="3 3" stroke-width="1.5"/>`, x(0), x(span), y(clamp(f.Intercept)), y(f.Value))
		if f.Interval {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#17324d" stroke-width="3"/>`, x(span)-2, x(span)-2, y(f.Low), y(f.High))
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#ffffff" stroke="#17324d" stroke-width="2"/>`, x(span)-2, y(f.Value))
	}
	var pts []string
	for _, s := range p.Series {
		if s.Suppressed {
			continue
		}
		at, _ := time.Parse("2006-01-02", s.Day)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(at.Sub(first).Hours()/24), y(s.Share)))
	}
	if len(pts) > 0 {
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#0066cc" stroke-width="2.5"/>`, strings.Join(pts, " "))
		for _, pt := range pts {
			xy := strings.Split(pt, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="#0066cc"/>`, xy[0], xy[1])
		}
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#17324d">%s</text><text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="#17324d">%s</text>`,
		l, h-10, first.Format("02/01/2006"), w-r, h-10, dl.Format("02/01/2006"))
	b.WriteString(`</svg>`)
	return b.String()
}

// ---- notifications ----

type notificationsPage struct {
	Items  []Notification
	Unread int
	Email  string
	Saved  bool
}

func (m WebModule) notificationsPage(c *web.Ctx) error { return m.renderNotifications(c, nil, "") }

func (m WebModule) renderNotifications(c *web.Ctx, formErr error, email string) error {
	list, unread, err := m.S.Notifications(c.Context(), c.Lang)
	if err != nil {
		return err
	}
	d := notificationsPage{Items: list, Unread: unread, Email: email, Saved: c.R.URL.Query().Get("saved") == "1"}
	if formErr == nil {
		if d.Email, err = m.S.Email(c.Context()); err != nil {
			return err
		}
	}
	return c.RenderForm("notifications", c.T("gov.nav.notifications"), d, Localize(formErr, c.T))
}

func (m WebModule) readPost(c *web.Ctx) error {
	id, _ := strconv.ParseInt(c.R.FormValue("id"), 10, 64)
	if err := m.S.MarkRead(c.Context(), id); err != nil {
		return err
	}
	return c.Redirect("/notifications")
}

func (m WebModule) emailPost(c *web.Ctx) error {
	addr := c.R.FormValue("email")
	if err := m.S.SetEmail(c.Context(), addr); err != nil {
		return m.renderNotifications(c, err, addr)
	}
	return c.Redirect("/notifications?saved=1")
}
