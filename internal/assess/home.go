package assess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"esd/internal/domain"
	"esd/internal/web"
)

// MyHome is what the professional's home page says of them: their persona, whether and when
// they assessed themselves, an assessment left open, their objectives.
type MyHome struct {
	Persona        string     `json:"persona,omitempty"`
	LastAssessed   *time.Time `json:"last_assessed,omitempty"`
	OpenAssessment int64      `json:"open_assessment,omitempty"`
	OpenObjectives int        `json:"open_objectives"`
	Drafts         int        `json:"draft_objectives"`
	Achieved       int        `json:"achieved_objectives"`
}

// MyHomeFigures reads the calling professional's own figures (indexed reads by professional).
func (s *Service) MyHomeFigures(ctx context.Context, lang string) (MyHome, error) {
	var h MyHome
	a, err := domain.Require(ctx, domain.RoleProfessional)
	if err != nil {
		return h, err
	}
	pid := a.ProfessionalID
	q := s.DB.Read
	col := "pe.name_it"
	if lang == "en" {
		col = "COALESCE(NULLIF(pe.name_en, ''), pe.name_it)"
	}
	err = q.QueryRowContext(ctx, `SELECT `+col+` FROM profiles pr JOIN personas pe ON pe.id = pr.persona_id
		JOIN framework_versions f ON f.id = pr.framework_id WHERE pr.professional_id = $1 ORDER BY CASE f.state WHEN 'published' THEN 0 ELSE 1 END, f.id DESC LIMIT 1`, pid).Scan(&h.Persona)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, err
	}
	var fin sql.NullTime
	if err := q.QueryRowContext(ctx, `SELECT MAX(finished_at) FROM assessments WHERE professional_id = $1 AND state = 'finished'`, pid).Scan(&fin); err != nil {
		return h, err
	}
	h.LastAssessed = nullTime(fin)
	err = q.QueryRowContext(ctx, `SELECT id FROM assessments WHERE professional_id = $1 AND state = 'in_progress' ORDER BY id DESC LIMIT 1`, pid).Scan(&h.OpenAssessment)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, err
	}
	rows, err := q.QueryContext(ctx, `SELECT state, COUNT(*) FROM objectives WHERE professional_id = $1 AND triennium = $2 GROUP BY state`, pid, s.triennium().String())
	if err != nil {
		return h, err
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return h, err
		}
		switch st {
		case ObjAgreed, ObjInProgress:
			h.OpenObjectives += n
		case ObjDraft:
			h.Drafts += n
		case ObjAchieved:
			h.Achieved += n
		}
	}
	return h, rows.Err()
}

// homePanel tells professionals where they stand and what to do next: assess themselves
// first, then agree and pursue their objectives.
func (m Module) homePanel() web.HomePanel {
	return web.HomePanel{Roles: []domain.Role{domain.RoleProfessional}, Order: 1, Build: func(c *web.Ctx) (web.HomeBlock, bool, error) {
		h, err := m.S.MyHomeFigures(c.Context(), c.Lang)
		if err != nil {
			return web.HomeBlock{}, false, err
		}
		b := web.HomeBlock{Title: c.T("assess.home.title")}
		persona := h.Persona
		if persona == "" {
			persona = c.T("assess.home.no_persona")
		}
		b.Figures = append(b.Figures, web.HomeFigure{Label: c.T("assess.home.persona"), Value: persona})
		last := c.T("assess.home.never")
		if h.LastAssessed != nil {
			last = h.LastAssessed.Format("02/01/2006")
		}
		pid := c.Actor.ProfessionalID
		b.Figures = append(b.Figures,
			web.HomeFigure{Label: c.T("assess.home.assessed"), Value: last, Link: fmt.Sprintf("/professionals/%d/gaps", pid)},
			web.HomeFigure{Label: c.T("assess.home.open"), Value: fmt.Sprint(h.OpenObjectives), Link: "/assessment/objectives"},
			web.HomeFigure{Label: c.T("assess.home.drafts"), Value: fmt.Sprint(h.Drafts), Link: "/assessment/objectives"},
			web.HomeFigure{Label: c.T("assess.home.achieved"), Value: fmt.Sprint(h.Achieved), Link: "/assessment/objectives"})
		switch {
		case h.OpenAssessment != 0:
			b.Note = c.T("assess.home.next_resume")
			b.Actions = append(b.Actions, web.HomeAction{Label: c.T("assess.home.resume"), Link: fmt.Sprintf("/assessments/%d", h.OpenAssessment), Primary: true})
		case h.LastAssessed == nil:
			b.Note = c.T("assess.home.next_start")
			b.Actions = append(b.Actions, web.HomeAction{Label: c.T("assess.home.start"), Link: "/assessment", Primary: true})
		case h.Drafts > 0:
			b.Note = c.T("assess.home.next_agree")
			b.Actions = append(b.Actions, web.HomeAction{Label: c.T("assess.home.see_objectives"), Link: "/assessment/objectives", Primary: true})
		default:
			b.Note = c.T("assess.home.next_train")
			b.Actions = append(b.Actions, web.HomeAction{Label: c.T("assess.home.see_gaps"), Link: "/assessment/gaps", Primary: true})
		}
		if h.LastAssessed != nil && h.OpenAssessment == 0 {
			b.Actions = append(b.Actions, web.HomeAction{Label: c.T("assess.home.reassess"), Link: "/assessment"})
		}
		return b, true, nil
	}}
}
