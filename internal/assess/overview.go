package assess

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"esd/internal/domain"
)

// Overview is what an organisation's training office (or the regional referent, or national
// governance) sees of its staff: who took the assessment and how far, and their objectives;
// mean levels only when the policy shares levels. Never answers.
type Overview struct {
	OrganisationID int64         `json:"organisation_id"`
	Organisation   string        `json:"organisation"`
	Policy         Policy        `json:"policy"`
	Staff          int           `json:"staff"`
	Finished       int           `json:"finished"`
	InProgress     int           `json:"in_progress"`
	NotStarted     int           `json:"not_started"`
	Objectives     []StateCount  `json:"objectives"`
	Rows           []OverviewRow `json:"rows"`
	Page           int           `json:"page"`
	Pages          int           `json:"pages"`
}

// OverviewRow is one professional of the overview.
type OverviewRow struct {
	ProfessionalID int64          `json:"professional_id"`
	Name           string         `json:"name"`
	State          string         `json:"assessment_state"` // none, in_progress, finished
	Percent        int            `json:"percent"`
	FinishedAt     *time.Time     `json:"finished_at,omitempty"`
	Objectives     map[string]int `json:"objectives"`
	MeanLevel      *float64       `json:"mean_level,omitempty"`
}

const overviewPage = 50

// Overview returns the staff overview of an organisation, page by page (1-based).
func (s *Service) Overview(ctx context.Context, orgID int64, page int) (Overview, error) {
	if _, err := s.checkOrg(ctx, orgID); err != nil {
		return Overview{}, err
	}
	o := Overview{OrganisationID: orgID, Page: max(page, 1)}
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT name FROM organisations WHERE id = $1`, orgID).Scan(&o.Organisation); err != nil {
		return o, err
	}
	pol, err := loadPolicy(ctx, s.DB.Read, orgID, 0)
	if err != nil {
		return o, err
	}
	o.Policy = pol
	a := domain.ActorFrom(ctx)
	showLevels := pol.ShowLevels || a.IsNationalOrSystem()
	err = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*),
		COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM assessments a WHERE a.professional_id = p.id AND a.state = 'finished')),
		COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM assessments a WHERE a.professional_id = p.id AND a.state = 'in_progress'))
		FROM professionals p WHERE p.organisation_id = $1`, orgID).Scan(&o.Staff, &o.Finished, &o.InProgress)
	if err != nil {
		return o, err
	}
	o.NotStarted = o.Staff - o.Finished - o.InProgress
	if o.NotStarted < 0 {
		o.NotStarted = 0
	}
	o.Pages = max(1, (o.Staff+overviewPage-1)/overviewPage)
	if o.Page > o.Pages {
		o.Page = o.Pages
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT o.state, COUNT(*) FROM objectives o JOIN professionals p ON p.id = o.professional_id
		WHERE p.organisation_id = $1 AND o.triennium = $2 GROUP BY o.state`, orgID, s.triennium().String())
	if err != nil {
		return o, err
	}
	counts := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return o, err
		}
		counts[st] = n
	}
	rows.Close()
	for _, st := range ObjectiveStates {
		o.Objectives = append(o.Objectives, StateCount{st, counts[st]})
	}
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT p.id, p.given_name, p.family_name FROM professionals p WHERE p.organisation_id = $1
		ORDER BY p.family_name, p.given_name, p.id LIMIT $2 OFFSET $3`, orgID, overviewPage, (o.Page-1)*overviewPage)
	if err != nil {
		return o, err
	}
	for rows.Next() {
		var r OverviewRow
		var gn, fn string
		if err := rows.Scan(&r.ProfessionalID, &gn, &fn); err != nil {
			rows.Close()
			return o, err
		}
		r.Name, r.State, r.Objectives = fn+" "+gn, "none", map[string]int{}
		o.Rows = append(o.Rows, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return o, err
	}
	for i := range o.Rows {
		r := &o.Rows[i]
		var id int64
		var st string
		var fin sql.NullTime
		err := s.DB.Read.QueryRowContext(ctx, `SELECT id, state, finished_at FROM assessments WHERE professional_id = $1 AND state IN ('in_progress', 'finished')
			ORDER BY CASE state WHEN 'in_progress' THEN 0 ELSE 1 END, id DESC LIMIT 1`, r.ProfessionalID).Scan(&id, &st, &fin)
		if err == nil {
			r.State, r.FinishedAt = st, nullTime(fin)
			if st == StateFinished {
				r.Percent = 100
			} else if ps, err := s.progress(ctx, s.DB.Read, id); err == nil && ps.needed > 0 {
				r.Percent = ps.answered * 100 / ps.needed
			}
		} else if err != sql.ErrNoRows {
			return o, err
		}
		orows, err := s.DB.Read.QueryContext(ctx, `SELECT state, COUNT(*) FROM objectives WHERE professional_id = $1 AND triennium = $2 GROUP BY state`,
			r.ProfessionalID, s.triennium().String())
		if err != nil {
			return o, err
		}
		for orows.Next() {
			var st string
			var n int
			if err := orows.Scan(&st, &n); err != nil {
				orows.Close()
				return o, err
			}
			r.Objectives[st] = n
		}
		orows.Close()
		if showLevels {
			// The mean of the stored levels, as AVG(level) over one row per line gave.
			var packed string
			err := s.DB.Read.QueryRowContext(ctx, `SELECT levels FROM competence_levels WHERE professional_id = $1`, r.ProfessionalID).Scan(&packed)
			if err != nil && err != sql.ErrNoRows {
				return o, err
			}
			levels, err := unpackStoredLevels(packed)
			if err != nil {
				return o, fmt.Errorf("competence_levels of professional %d: %w", r.ProfessionalID, err)
			}
			if len(levels) > 0 {
				sum := 0
				for _, l := range levels {
					sum += l.Level
				}
				v := round1(float64(sum) / float64(len(levels)))
				r.MeanLevel = &v
			}
		}
	}
	if o.Rows == nil {
		o.Rows = []OverviewRow{}
	}
	return o, nil
}

// OrgRef is an organisation in a picker.
type OrgRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Organisations lists the organisations the caller may oversee: their own, their region's,
// or (national) all of them.
func (s *Service) Organisations(ctx context.Context) ([]OrgRef, error) {
	a, err := domain.Require(ctx, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational)
	if err != nil {
		return nil, err
	}
	q := `SELECT id, name FROM organisations`
	var args []any
	switch a.Role {
	case domain.RoleOrganisation:
		q += ` WHERE id = $1`
		args = append(args, a.OrganisationID)
	case domain.RoleRegional:
		q += ` WHERE region_id = $1`
		args = append(args, a.RegionID)
	}
	rows, err := s.DB.Read.QueryContext(ctx, q+` ORDER BY name, id LIMIT 2000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OrgRef
	for rows.Next() {
		var o OrgRef
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
