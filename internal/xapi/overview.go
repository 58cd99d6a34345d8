package xapi

import (
	"context"
	"database/sql"

	"esd/internal/domain"
)

// HomePage is a registered account homePage.
type HomePage struct {
	HomePage string `json:"home_page"`
	Mode     string `json:"mode"`
	Learners int    `json:"learners"`
}

// MappedActivity is an activity mapped to an edition.
type MappedActivity struct {
	ActivityID string   `json:"activity_id"`
	EditionID  int64    `json:"edition_id"`
	EventCode  string   `json:"event_code"`
	Edition    int      `json:"edition"`
	Title      string   `json:"title"`
	Verbs      string   `json:"verbs"`
	MinScore   *float64 `json:"min_score,omitempty"`
}

// Overview is a provider's LRS page: credentials, learner naming, mapped activities and
// what the platform received.
type Overview struct {
	ProviderID   int64            `json:"provider_id"`
	ProviderCode string           `json:"provider_code"`
	ProviderName string           `json:"provider_name"`
	Credentials  []Credential     `json:"credentials"`
	HomePages    []HomePage       `json:"home_pages"`
	Activities   []MappedActivity `json:"activities"`
	Statements   int64            `json:"statements"`
	Projected    int64            `json:"projected"`
	Unmapped     int64            `json:"unknown_learners"`
}

// ProviderOverview gathers a provider's LRS page.
func (s *Service) ProviderOverview(ctx context.Context, providerID int64) (Overview, error) {
	o := Overview{ProviderID: providerID}
	if _, err := manageProvider(ctx, providerID); err != nil {
		return o, err
	}
	err := s.DB.Read.QueryRowContext(ctx, `SELECT code, name FROM organisations WHERE id = $1 AND kind = 'provider'`, providerID).Scan(&o.ProviderCode, &o.ProviderName)
	if err == sql.ErrNoRows {
		return o, domain.NotFound("provider")
	}
	if err != nil {
		return o, err
	}
	if o.Credentials, err = s.Credentials(ctx, providerID); err != nil {
		return o, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT h.home_page, h.mode, (SELECT COUNT(*) FROM xapi_learners l WHERE l.provider_id = h.provider_id AND l.home_page = h.home_page)
		FROM xapi_homepages h WHERE h.provider_id = $1 ORDER BY h.home_page`, providerID)
	if err != nil {
		return o, err
	}
	for rows.Next() {
		var h HomePage
		if err := rows.Scan(&h.HomePage, &h.Mode, &h.Learners); err != nil {
			rows.Close()
			return o, err
		}
		o.HomePages = append(o.HomePages, h)
	}
	rows.Close()
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT m.activity_id, m.edition_id, e.code, ed.number, e.title, m.verbs, m.min_score FROM xapi_activity_map m
		JOIN event_editions ed ON ed.id = m.edition_id JOIN events e ON e.id = ed.event_id WHERE m.provider_id = $1 ORDER BY m.activity_id`, providerID)
	if err != nil {
		return o, err
	}
	for rows.Next() {
		var a MappedActivity
		var min sql.NullFloat64
		if err := rows.Scan(&a.ActivityID, &a.EditionID, &a.EventCode, &a.Edition, &a.Title, &a.Verbs, &min); err != nil {
			rows.Close()
			return o, err
		}
		if min.Valid {
			a.MinScore = &min.Float64
		}
		o.Activities = append(o.Activities, a)
	}
	rows.Close()
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM xapi_statements WHERE provider_id = $1`, providerID).Scan(&o.Statements); err != nil {
		return o, err
	}
	err = s.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN outcome = 'projected' AND withdrawn = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN outcome = 'unknown_learner' THEN 1 ELSE 0 END), 0) FROM xapi_projections WHERE provider_id = $1`, providerID).Scan(&o.Projected, &o.Unmapped)
	return o, err
}

// Record is one thing a provider's platform wrote for a professional.
type Record struct {
	StatementID  string  `json:"statement_id"`
	ProviderCode string  `json:"provider_code"`
	ProviderName string  `json:"provider_name"`
	EventCode    string  `json:"event_code"`
	Title        string  `json:"title"`
	Edition      int     `json:"edition"`
	Outcome      string  `json:"outcome"`
	Credits      float64 `json:"credits"`
	Withdrawn    bool    `json:"withdrawn"`
	At           string  `json:"at"`
	Lines        string  `json:"lines_moved"`
}

// ProfessionalRecords lists, for a professional in the caller's scope, which participations
// and credits came from which provider's platform through xAPI (and which were withdrawn).
func (s *Service) ProfessionalRecords(ctx context.Context, professionalID int64) ([]Record, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return nil, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	var region int64
	var org sql.NullInt64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT region_id, organisation_id FROM professionals WHERE id = $1`, professionalID).Scan(&region, &org)
	if err == sql.ErrNoRows || err == nil && !a.CanSeeIndividual(domain.Target{RegionID: region, OrganisationID: org.Int64, ProfessionalID: professionalID}) {
		return nil, domain.NotFound("professional")
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT p.statement_id, o.code, o.name, e.code, e.title, ed.number, p.outcome, p.credits, p.withdrawn, p.at,
		COALESCE(pa.lines_moved, '') FROM xapi_projections p JOIN organisations o ON o.id = p.provider_id JOIN event_editions ed ON ed.id = p.edition_id
		JOIN events e ON e.id = ed.event_id LEFT JOIN participations pa ON pa.id = p.participation_id
		WHERE p.professional_id = $1 ORDER BY p.statement_seq DESC LIMIT 500`, professionalID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var w int
		if err := rows.Scan(&r.StatementID, &r.ProviderCode, &r.ProviderName, &r.EventCode, &r.Title, &r.Edition, &r.Outcome, &r.Credits, &w, &r.At, &r.Lines); err != nil {
			return nil, err
		}
		r.Withdrawn = w != 0
		out = append(out, r)
	}
	return out, rows.Err()
}
