package assess

import (
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"esd/internal/chart"
	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// Module is the web surface of the capability: pages and JSON API.
type Module struct{ S *Service }

// Register plugs the pages, the API, the menu entries and the messages into the server.
func (m Module) Register(routes *web.Routes) {
	r := localized{routes}
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	prof := []domain.Role{domain.RoleProfessional}
	staff := []domain.Role{domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational}
	r.Nav(web.NavItem{Key: "assess.nav.self", Path: "/assessment", Roles: prof, Order: 20, Group: web.NavGroupCompetence})
	r.Nav(web.NavItem{Key: "assess.nav.gaps", Path: "/assessment/gaps", Roles: prof, Order: 21, Group: web.NavGroupCompetence})
	r.Nav(web.NavItem{Key: "assess.nav.objectives", Path: "/assessment/objectives", Roles: prof, Order: 22, Group: web.NavGroupCompetence})
	r.Nav(web.NavItem{Key: "assess.nav.staff", Path: "/assessment/staff", Roles: staff, Order: 40, Group: web.NavGroupCompetence})
	r.Nav(web.NavItem{Key: "assess.nav.rules", Path: "/assessment/rules", Roles: staff, Order: 42, Secondary: true, Group: web.NavGroupCompetence})
	r.Nav(web.NavItem{Key: "assess.nav.bank", Path: "/assessment/bank", Roles: []domain.Role{domain.RoleNational}, Order: 41, Secondary: true, Group: web.NavGroupCompetence})

	r.Home(m.homePanel())
	// Taking an assessment.
	r.Page("GET /assessment", m.startPage)
	r.Page("POST /assessment", m.startPost)
	r.Page("GET /assessments/{id}", m.questionPage)
	r.Page("POST /assessments/{id}/answer", m.answerPost)
	r.Page("POST /assessments/{id}/finish", m.finishPost)
	r.Page("GET /assessments/{id}/result", m.resultPage)
	// Results, gaps, objectives, dossier, evidence.
	r.Page("GET /assessment/gaps", m.mine("gaps"))
	r.Page("GET /assessment/objectives", m.mine("objectives"))
	r.Page("GET /professionals/{id}/gaps", m.gapsPage)
	r.Page("GET /professionals/{id}/objectives", m.objectivesPage)
	r.Page("POST /professionals/{id}/objectives/generate", m.generatePost)
	r.Page("POST /professionals/{id}/objectives/agree", m.agreePost)
	r.Page("POST /objectives/{id}", m.adjustPost)
	r.Page("POST /objectives/{id}/state", m.statePost)
	r.Page("GET /professionals/{id}/dossier", m.dossierPage)
	r.Page("GET /professionals/{id}/dossier.pdf", m.dossierPDF)
	r.Page("GET /professionals/{id}/dossier.csv", m.dossierCSV)
	r.Page("GET /professionals/{id}/evidence", m.evidencePage)
	r.Page("POST /professionals/{id}/evidence", m.evidencePost)
	// Organisations: staff overview, policy, groups.
	r.Page("GET /assessment/staff", m.staffPage)
	r.Page("POST /assessment/policy", m.policyPost)
	r.Page("GET /assessment/groups", m.groupsPage)
	r.Page("POST /assessment/groups", m.groupsPost)
	r.Page("GET /assessment/groups/{id}", m.groupPage)
	r.Page("POST /assessment/groups/{id}/members", m.memberPost)
	r.Page("POST /assessment/groups/{id}/members/{pid}/remove", m.memberRemove)
	r.Page("POST /assessment/groups/{id}/objectives", m.groupObjectivePost)
	r.Page("GET /assessment/rules", m.rulesPage)
	r.Page("POST /assessment/rules", m.rulesPost)
	r.Page("POST /assessment/rules/{id}/retire", m.ruleRetire)
	// National governance: the item bank and the level rule.
	r.Page("GET /assessment/bank", m.banksPage)
	r.Page("POST /assessment/bank", m.bankCreate)
	r.Page("GET /assessment/bank/{id}", m.bankPage)
	r.Page("GET /assessment/bank/{id}/items/new", m.itemForm)
	r.Page("GET /assessment/bank/{id}/items/{item}", m.itemForm)
	r.Page("POST /assessment/bank/{id}/items", m.itemPost)
	r.Page("POST /assessment/bank/{id}/items/{item}/delete", m.itemDelete)
	r.Page("POST /assessment/bank/{id}/publish", m.bankPublish)
	r.Page("POST /assessment/bank/{id}/generate", m.bankGenerate)
	r.Page("GET /assessment/bank/{id}/export.json", m.bankExport("json"))
	r.Page("GET /assessment/bank/{id}/export.csv", m.bankExport("csv"))
	r.Page("POST /assessment/bank/{id}/import", m.bankImport, web.PageOpts{MaxBytes: 8 << 20})
	r.Page("GET /assessment/settings", m.settingsPage)
	r.Page("POST /assessment/settings", m.settingsPost)
	r.Page("POST /assessment/jobs", m.jobsPost)

	m.registerAPI(routes)
}

// localized wraps the routes so the errors a page handler returns are shown in the page's
// language (the error page renders their message).
type localized struct{ *web.Routes }

func (l localized) Page(pattern string, h web.PageFunc, opts ...web.PageOpts) {
	l.Routes.Page(pattern, func(c *web.Ctx) error { return Localize(h(c), c.T) }, opts...)
}

// mine redirects a professional to their own page of the given kind.
func (m Module) mine(kind string) web.PageFunc {
	return func(c *web.Ctx) error {
		if c.Actor.ProfessionalID == 0 {
			return domain.NotFound("professional")
		}
		return c.Redirect(fmt.Sprintf("/professionals/%d/%s", c.Actor.ProfessionalID, kind))
	}
}

func formInt(c *web.Ctx, name string) int {
	v, _ := strconv.Atoi(strings.TrimSpace(c.R.FormValue(name)))
	return v
}

func formInt64(c *web.Ctx, name string) int64 {
	v, _ := strconv.ParseInt(strings.TrimSpace(c.R.FormValue(name)), 10, 64)
	return v
}

// --- Taking an assessment -------------------------------------------------------------

type startData struct {
	Preview      *Preview
	Problem      string
	Open         *Assessment
	Resume       int
	History      []Assessment
	Paused       bool
	Budget       int
	Illustrative bool
}

func (m Module) startPage(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProfessional); err != nil {
		return err
	}
	prof := c.Actor.ProfessionalID
	d := startData{Paused: c.R.URL.Query().Get("paused") == "1", Budget: 20}
	hist, err := m.S.List(c.Context(), prof)
	if err != nil {
		return err
	}
	for i := range hist {
		if hist[i].State == StateInProgress && d.Open == nil {
			a := hist[i]
			d.Open = &a
			d.Resume = m.S.ResumePosition(c.Context(), a)
			continue
		}
		d.History = append(d.History, hist[i])
	}
	pv, err := m.S.Preview(c.Context(), prof)
	if err != nil {
		if domain.ErrorCode(err) == domain.EINTERNAL {
			return err
		}
		d.Problem = domain.ErrorMessage(err)
	} else {
		d.Preview = &pv
		if f, err := m.S.framework(c.Context(), pv.Persona.FrameworkID); err == nil {
			d.Illustrative = f.Illustrative
		}
	}
	return c.Render("assess_start", c.T("assess.start.title"), d)
}

func (m Module) startPost(c *web.Ctx) error {
	if _, err := domain.Require(c.Context(), domain.RoleProfessional); err != nil {
		return err
	}
	a, err := m.S.Start(c.Context(), c.Actor.ProfessionalID)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessments/%d?q=%d", a.ID, m.S.ResumePosition(c.Context(), a)))
}

type questionData struct {
	A        Assessment
	Q        *Question
	Total    int
	Position int
	LineOf   int
	Lines    int
	End      bool
	Missing  []Question
	Prev     int
	Message  string
	Percent  int
}

func (m Module) renderQuestion(c *web.Ctx, id int64, pos int, formErr error, msg string) error {
	formErr = Localize(formErr, c.T)
	a, qs, err := m.S.Questions(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	if a.State == StateFinished && formErr == nil {
		return c.Redirect(fmt.Sprintf("/assessments/%d/result", id))
	}
	d := questionData{A: a, Total: len(qs), Lines: a.Lines, Message: msg, Percent: a.Percent()}
	if pos < 1 || pos > len(qs) {
		d.End = true
		for i := range qs {
			if qs[i].Answer == nil && !qs[i].Skipped {
				d.Missing = append(d.Missing, qs[i])
			}
		}
		d.Prev = len(qs)
		for d.Prev > 1 && qs[d.Prev-1].Skipped {
			d.Prev--
		}
	} else {
		q := qs[pos-1]
		d.Q, d.Position, d.LineOf = &q, pos, q.LineNumber
	}
	title := c.T("assess.q.title")
	if a.State == StateSuperseded || a.FrameworkState == FrameworkRetired {
		d.Message = c.T("assess.q.retired")
	}
	return c.RenderForm("assess_question", title, d, formErr)
}

func (m Module) questionPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	pos := c.QueryInt("q", 0)
	if pos == 0 {
		a, err := m.S.Get(c.Context(), id)
		if err != nil {
			return err
		}
		if a.State == StateFinished {
			return c.Redirect(fmt.Sprintf("/assessments/%d/result", id))
		}
		pos = m.S.ResumePosition(c.Context(), a)
		if a.Answered == a.Needed {
			pos = -1
		}
	}
	return m.renderQuestion(c, id, pos, nil, "")
}

// answerPost saves the answer of one question (if one was chosen) and moves: Avanti to the
// next question, Indietro to the previous one, Sospendi back to the start page. It works
// without JavaScript; every POST saves at most one answer.
func (m Module) answerPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	pos := formInt(c, "q")
	nav := c.R.FormValue("nav")
	choice := strings.TrimSpace(c.R.FormValue("choice"))
	if choice != "" {
		v, err := strconv.Atoi(choice)
		if err != nil {
			return m.renderQuestion(c, id, pos, domain.Invalid("choice", "%s", c.T("assess.q.choose")), "")
		}
		_, err = m.S.Answer(c.Context(), id, AnswerInput{Question: pos, ItemID: formInt64(c, "item"), Choice: v, Revision: formInt(c, "rev")})
		if err != nil {
			code := domain.ErrorCode(err)
			if code == domain.EINVALID || code == domain.ECONFLICT {
				return m.renderQuestion(c, id, pos, err, "")
			}
			return err
		}
	}
	switch nav {
	case "pause":
		if _, err := m.S.Pause(c.Context(), id, pos); err != nil {
			return err
		}
		return c.Redirect("/assessment?paused=1")
	case "prev":
		p, err := m.S.Navigate(c.Context(), id, pos, -1)
		if err != nil {
			return err
		}
		return c.Redirect(fmt.Sprintf("/assessments/%d?q=%d", id, p))
	default:
		if choice == "" {
			// Avanti without a choice: allowed when the question already has an answer.
			_, qs, err := m.S.Questions(c.Context(), id, c.Lang)
			if err != nil {
				return err
			}
			if pos >= 1 && pos <= len(qs) && qs[pos-1].Answer == nil {
				return m.renderQuestion(c, id, pos, domain.Invalid("choice", "%s", c.T("assess.q.choose")), "")
			}
		}
		p, err := m.S.Navigate(c.Context(), id, pos, +1)
		if err != nil {
			return err
		}
		if p == 0 {
			p = -1
		}
		return c.Redirect(fmt.Sprintf("/assessments/%d?q=%d", id, p))
	}
}

func (m Module) finishPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.Finish(c.Context(), id); err != nil {
		code := domain.ErrorCode(err)
		if code == domain.ECONFLICT || code == domain.EINVALID {
			a, gerr := m.S.Get(c.Context(), id)
			if gerr == nil && a.State == StateFinished {
				// The other tab won: show the result with the message.
				return m.renderResult(c, id, domain.ErrorMessage(Localize(err, c.T)))
			}
			return m.renderQuestion(c, id, -1, err, "")
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessments/%d/result", id))
}

type resultData struct {
	R       Result
	Message string
}

func (m Module) renderResult(c *web.Ctx, id int64, msg string) error {
	r, err := m.S.Result(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	return c.Render("assess_result", c.T("assess.result.title"), resultData{R: r, Message: msg})
}

func (m Module) resultPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	a, err := m.S.Get(c.Context(), id)
	if err != nil {
		return err
	}
	if a.State != StateFinished {
		return c.Redirect(fmt.Sprintf("/assessments/%d", id))
	}
	return m.renderResult(c, id, "")
}

// --- Gaps, objectives, dossier, evidence ------------------------------------------------

type gapsData struct {
	OpenLines bool
	G         Gaps
	P         Professional
	Radar     string
	Own       bool
}

func (m Module) gapsPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	g, err := m.S.Gaps(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	p, _ := m.S.professional(c.Context(), m.S.DB.Read, id)
	// The lines table opens on request (?lines=1, the link from a line elsewhere); the page
	// leads with the ambiti, where a person reads their profile at a glance.
	d := gapsData{G: g, P: p, Own: c.Actor.ProfessionalID == id, OpenLines: c.R.URL.Query().Get("lines") == "1"}
	if len(g.AreasInOrder) >= 3 {
		rd := chart.Radar{ID: "radar-gaps", Title: c.T("assess.gaps.radar_title"), Desc: c.T("assess.gaps.radar_desc"), Max: float64(g.MaxLevel), Rings: g.MaxLevel}
		cur := chart.RadarSeries{Name: c.T("assess.gaps.current")}
		tgt := chart.RadarSeries{Name: c.T("assess.gaps.target"), Dashed: true}
		for _, a := range g.AreasInOrder {
			rd.Axes = append(rd.Axes, a.Title)
			cur.Values = append(cur.Values, a.Current)
			tgt.Values = append(tgt.Values, a.Target)
		}
		rd.Series = []chart.RadarSeries{cur, tgt}
		d.Radar = rd.SVG()
	}
	return c.Render("assess_gaps", c.T("assess.gaps.title"), d)
}

type objectivesData struct {
	V        ObjectivesView
	MaxLevel int
	Levels   []int
	Message  string
	FormID   int64
}

func (m Module) renderObjectives(c *web.Ctx, id int64, formErr error, formID int64, msg string) error {
	formErr = Localize(formErr, c.T)
	v, err := m.S.Objectives(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	d := objectivesData{V: v, MaxLevel: 4, Message: msg, FormID: formID}
	for _, o := range v.Individual {
		if f, err := m.S.framework(c.Context(), o.FrameworkID); err == nil {
			d.MaxLevel = f.MaxLevel()
			break
		}
	}
	for i := 1; i <= d.MaxLevel; i++ {
		d.Levels = append(d.Levels, i)
	}
	return c.RenderForm("assess_objectives", c.T("assess.obj.title"), d, formErr)
}

func (m Module) objectivesPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	msg := ""
	switch c.R.URL.Query().Get("done") {
	case "agreed":
		msg = c.T("assess.obj.agreed_msg")
	case "generated":
		msg = c.T("assess.obj.generated_msg")
	case "saved":
		msg = c.T("assess.obj.saved_msg")
	}
	return m.renderObjectives(c, id, nil, 0, msg)
}

func (m Module) generatePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.GenerateObjectives(c.Context(), id); err != nil {
		if code := domain.ErrorCode(err); code == domain.ECONFLICT || code == domain.EINVALID {
			return m.renderObjectives(c, id, err, 0, "")
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/objectives?done=generated", id))
}

func (m Module) agreePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.AgreeObjectives(c.Context(), id); err != nil {
		if code := domain.ErrorCode(err); code == domain.ECONFLICT || code == domain.EINVALID {
			return m.renderObjectives(c, id, err, 0, "")
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/objectives?done=agreed", id))
}

func (m Module) adjustPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	o, err := m.S.AdjustObjective(c.Context(), id, ObjectiveInput{TargetLevel: formInt(c, "target_level"), DueDate: c.R.FormValue("due_date"),
		Priority: formInt(c, "priority"), Note: c.R.FormValue("note")})
	if err != nil {
		if code := domain.ErrorCode(err); (code == domain.EINVALID || code == domain.ECONFLICT) && o.ProfessionalID != 0 {
			return m.renderObjectives(c, o.ProfessionalID, err, id, "")
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/objectives?done=saved", o.ProfessionalID))
}

func (m Module) statePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	o, err := m.S.MoveObjective(c.Context(), id, c.R.FormValue("state"))
	if err != nil {
		if code := domain.ErrorCode(err); (code == domain.EINVALID || code == domain.ECONFLICT) && o.ProfessionalID != 0 {
			return m.renderObjectives(c, o.ProfessionalID, err, 0, "")
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/objectives?done=saved", o.ProfessionalID))
}

func (m Module) dossierPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	d, err := m.S.Dossier(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	return c.Render("assess_dossier", c.T("assess.dossier.title"), d)
}

func (m Module) dossierPDF(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	d, err := m.S.Dossier(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	c.W.Header().Set("Content-Type", "application/pdf")
	c.W.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dossier-formativo-%d-%s.pdf"`, id, d.Triennium))
	c.W.Header().Set("Cache-Control", "no-store")
	return d.WritePDF(c.W, c.Lang)
}

func (m Module) dossierCSV(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	d, err := m.S.Dossier(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	c.W.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.W.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dossier-formativo-%d-%s.csv"`, id, d.Triennium))
	c.W.Header().Set("Cache-Control", "no-store")
	return d.WriteCSV(c.W, c.Lang)
}

type evidenceData struct {
	P         Professional
	Evidence  []Evidence
	Current   []CurrentLevel
	Rule      LevelRule
	CanRecord bool
	Sources   []string
	Form      EvidenceInput
}

func (m Module) renderEvidence(c *web.Ctx, id int64, form EvidenceInput, formErr error) error {
	formErr = Localize(formErr, c.T)
	ev, cur, err := m.S.Ledger(c.Context(), id)
	if err != nil {
		return err
	}
	p, _ := m.S.professional(c.Context(), m.S.DB.Read, id)
	r, _ := m.S.Rule(c.Context())
	d := evidenceData{P: p, Evidence: ev, Current: cur, Rule: r, Form: form, Sources: []string{SourceValidation, SourceTraining, SourceImport},
		CanRecord: c.Actor.Role == domain.RoleNational || c.Actor.Role == domain.RoleRegional || c.Actor.Role == domain.RoleOrganisation}
	return c.RenderForm("assess_evidence", c.T("assess.ev.title"), d, formErr)
}

func (m Module) evidencePage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	return m.renderEvidence(c, id, EvidenceInput{}, nil)
}

func (m Module) evidencePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := EvidenceInput{ProfessionalID: id, LineCode: c.R.FormValue("line"), Level: formInt(c, "level"), Source: c.R.FormValue("source"),
		Pointer: c.R.FormValue("pointer"), Note: c.R.FormValue("note")}
	if v := strings.TrimSpace(c.R.FormValue("observed_at")); v != "" {
		t, err := parseDate(v)
		if err != nil {
			return m.renderEvidence(c, id, in, domain.Invalid("observed_at", "%s", c.T("assess.form.date")))
		}
		in.ObservedAt = t
	}
	if _, err := m.S.RecordEvidence(c.Context(), in); err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderEvidence(c, id, in, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/professionals/%d/evidence", id))
}
