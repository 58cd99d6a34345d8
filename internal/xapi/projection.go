package xapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"esd/internal/audit"
	"esd/internal/cf"
	"esd/internal/domain"
	"esd/internal/participation"
)

// Verbs that complete a mapped activity by default.
const (
	VerbCompleted = "http://adlnet.gov/expapi/verbs/completed"
	VerbPassed    = "http://adlnet.gov/expapi/verbs/passed"
)

// Projection outcomes.
const (
	OutcomeProjected       = "projected"
	OutcomeNotPassed       = "not_passed"
	OutcomeUnknownLearner  = "unknown_learner"
	OutcomeProjectionError = "refused"
)

// mapping is an activity mapped to an edition with its rule.
type mapping struct {
	provider  int64
	editionID int64
	verbs     []string
	minScore  sql.NullFloat64
}

// project writes what a statement means for the platform, inside the statement's
// transaction: when its object or its parent activity is mapped to an edition of the
// provider and its verb is one of the mapping's, the learner (mapped by account.homePage)
// gets the completion through the participation service. Statements about nothing mapped
// record nothing, so the ordinary flood of Moodle events costs no extra row.
func (s *Service) project(ctx context.Context, tx *sql.Tx, c *Credential, seq int64, p *prepared) error {
	if s.Projector == nil || p.voids != "" {
		return nil
	}
	var m *mapping
	ob, _ := p.st["object"].(obj)
	cands := []string{}
	if id, ok := ob["id"].(string); ok && (ob["objectType"] == nil || ob["objectType"] == "Activity") {
		cands = append(cands, id)
	}
	if cx, ok := p.st["context"].(obj); ok {
		if ca, ok := cx["contextActivities"].(obj); ok {
			// The parent only: a grouping (Moodle's course around a quiz attempt) would turn every
			// completed piece of a course into the course's completion.
			cands = append(cands, activityList(ca["parent"])...)
		}
	}
	am, err := s.activityMap(ctx)
	if err != nil {
		return err
	}
	for _, a := range cands {
		for i := range am[a] {
			if am[a][i].provider == c.ProviderID {
				m = &am[a][i]
				break
			}
		}
		if m != nil {
			break
		}
	}
	if m == nil || !contains(m.verbs, p.verb) {
		return nil
	}
	rec := func(outcome string, prof, part int64, credits float64) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO xapi_projections (statement_seq, provider_id, statement_id, outcome, professional_id, edition_id, participation_id, credits, at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, seq, c.ProviderID, p.id, outcome, nullable(prof), m.editionID, nullable(part), credits, fmtStored(s.now()))
		return err
	}
	prof, err := s.learner(ctx, tx, c.ProviderID, p.st["actor"])
	if err != nil {
		return err
	}
	if prof == 0 {
		return rec(OutcomeUnknownLearner, 0, 0, 0)
	}
	passed := true
	var score *float64
	if r, ok := p.st["result"].(obj); ok {
		if sc, ok := r["score"].(obj); ok {
			if n, ok := sc["scaled"].(json.Number); ok {
				f, _ := n.Float64()
				if f < 0 {
					f = 0
				}
				score = &f
			}
		}
		if succ, ok := r["success"].(bool); ok && !succ {
			passed = false
		}
	}
	if m.minScore.Valid && (score == nil || *score < m.minScore.Float64) {
		passed = false
	}
	if !passed {
		// A statement that does not pass (cmi5's completed without a score after passed, a
		// retry that failed) never undoes a completion another live statement recorded.
		var live int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM xapi_projections WHERE provider_id = $1 AND edition_id = $2 AND professional_id = $3
			AND outcome = 'projected' AND withdrawn = 0`, c.ProviderID, m.editionID, prof).Scan(&live); err != nil {
			return err
		}
		if live > 0 {
			return rec(OutcomeNotPassed, prof, 0, 0)
		}
	}
	on := s.now().Format("2006-01-02")
	if ts, ok := p.st["timestamp"].(string); ok {
		if t, err := parseTime(ts); err == nil {
			on = t.UTC().Format("2006-01-02")
		}
	}
	partID, credits, err := s.Projector.RecordExternal(ctx, tx, participation.External{EditionID: m.editionID, ProfessionalID: prof, Passed: passed,
		CompletedOn: on, Score: score, Note: "xapi statement " + p.id})
	if err != nil {
		return err
	}
	outcome := OutcomeProjected
	if !passed {
		outcome = OutcomeNotPassed
	}
	return rec(outcome, prof, partID, credits)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// learner maps a statement's actor to a professional: an account whose homePage the
// provider registered, named by codice fiscale or by an id the provider registered.
func (s *Service) learner(ctx context.Context, tx *sql.Tx, providerID int64, actor any) (int64, error) {
	o, _ := actor.(obj)
	acc, ok := o["account"].(obj)
	if !ok {
		return 0, nil
	}
	hp, _ := acc["homePage"].(string)
	name, _ := acc["name"].(string)
	hp = strings.TrimRight(hp, "/")
	var mode string
	err := tx.QueryRowContext(ctx, `SELECT mode FROM xapi_homepages WHERE provider_id = $1 AND home_page = $2`, providerID, hp).Scan(&mode)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var id int64
	switch mode {
	case "cf":
		code, err := cf.Normalise(strings.TrimSpace(name))
		if err != nil {
			return 0, nil
		}
		err = tx.QueryRowContext(ctx, `SELECT id FROM professionals WHERE cf = $1`, code).Scan(&id)
		if err == sql.ErrNoRows {
			return 0, nil
		}
		return id, err
	default:
		err = tx.QueryRowContext(ctx, `SELECT professional_id FROM xapi_learners WHERE provider_id = $1 AND home_page = $2 AND name = $3`, providerID, hp, name).Scan(&id)
		if err == sql.ErrNoRows {
			return 0, nil
		}
		return id, err
	}
}

// unproject withdraws what a voided statement wrote, unless another live statement still
// holds the same participation, with an audit entry.
func (s *Service) unproject(ctx context.Context, tx *sql.Tx, c *Credential, seq int64, by string) error {
	var partID sql.NullInt64
	var stID string
	err := tx.QueryRowContext(ctx, `SELECT participation_id, statement_id FROM xapi_projections WHERE statement_seq = $1 AND withdrawn = 0`, seq).Scan(&partID, &stID)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE xapi_projections SET withdrawn = 1 WHERE statement_seq = $1`, seq); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, audit.Change{Action: "void", Entity: "xapi_statement", EntityID: stID, After: map[string]any{"voided_by": by, "participation_id": partID.Int64}}); err != nil {
		return err
	}
	if !partID.Valid || s.Projector == nil {
		return nil
	}
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM xapi_projections WHERE participation_id = $1 AND withdrawn = 0 AND outcome = 'projected'`, partID.Int64).Scan(&others); err != nil {
		return err
	}
	if others > 0 {
		return nil
	}
	return s.Projector.WithdrawExternal(ctx, tx, partID.Int64, "xapi voiding statement "+by)
}

// HomePageInput registers how a provider's platform names learners.
type HomePageInput struct {
	HomePage string `json:"home_page"`
	Mode     string `json:"mode"` // cf or registered
}

// SetHomePage registers (or changes) an account homePage of a provider.
func (s *Service) SetHomePage(ctx context.Context, providerID int64, in HomePageInput) error {
	if _, err := manageProvider(ctx, providerID); err != nil {
		return err
	}
	v := &validator{}
	v.irl("home_page", in.HomePage)
	if len(v.errs) > 0 {
		return domain.Invalid("home_page", "%s", v.errs[0])
	}
	if in.Mode != "cf" && in.Mode != "registered" {
		return domain.Invalid("mode", "mode is cf (account.name is the codice fiscale) or registered (ids registered one by one)")
	}
	hp := strings.TrimRight(in.HomePage, "/")
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO xapi_homepages (provider_id, home_page, mode) VALUES ($1,$2,$3)
			ON CONFLICT (provider_id, home_page) DO UPDATE SET mode = excluded.mode`, providerID, hp, in.Mode); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "xapi_homepage", EntityID: providerID, After: in})
	})
}

// LearnerInput registers one learner id of a provider's platform.
type LearnerInput struct {
	HomePage string `json:"home_page"`
	Name     string `json:"name"`
	CF       string `json:"codice_fiscale"`
}

// RegisterLearner maps an account name of a provider's platform to a professional, named by
// codice fiscale (the provider knows its learners' codes from enrolment).
func (s *Service) RegisterLearner(ctx context.Context, providerID int64, in LearnerInput) error {
	if _, err := manageProvider(ctx, providerID); err != nil {
		return err
	}
	code, err := cf.Normalise(strings.TrimSpace(in.CF))
	if err != nil {
		return domain.Invalid("codice_fiscale", "invalid codice fiscale: %v", err)
	}
	if strings.TrimSpace(in.Name) == "" {
		return domain.Invalid("name", "the account name is required")
	}
	hp := strings.TrimRight(in.HomePage, "/")
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM professionals WHERE cf = $1`, code).Scan(&id); err == sql.ErrNoRows {
			return domain.Invalid("codice_fiscale", "no professional with codice fiscale %s", code)
		} else if err != nil {
			return err
		}
		var mode string
		if err := tx.QueryRowContext(ctx, `SELECT mode FROM xapi_homepages WHERE provider_id = $1 AND home_page = $2`, providerID, hp).Scan(&mode); err == sql.ErrNoRows {
			return domain.Invalid("home_page", "register the homePage %s first", hp)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO xapi_learners (provider_id, home_page, name, professional_id) VALUES ($1,$2,$3,$4)
			ON CONFLICT (provider_id, home_page, name) DO UPDATE SET professional_id = excluded.professional_id`, providerID, hp, in.Name, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "xapi_learner", EntityID: providerID, After: map[string]any{"home_page": hp, "name": in.Name, "professional_id": id}})
	})
}

// ActivityInput maps an activity to an edition of the provider's event.
type ActivityInput struct {
	ActivityID string   `json:"activity_id"`
	EventCode  string   `json:"event_code"`
	Edition    int      `json:"edition"`
	Verbs      []string `json:"verbs,omitempty"` // default completed and passed
	MinScore   *float64 `json:"min_score,omitempty"`
}

// MapActivity maps an activity IRI to an edition of one of the provider's events.
func (s *Service) MapActivity(ctx context.Context, providerID int64, in ActivityInput) error {
	if _, err := manageProvider(ctx, providerID); err != nil {
		return err
	}
	v := &validator{}
	v.iri("activity_id", in.ActivityID)
	for i, vb := range in.Verbs {
		v.iri("verbs", vb)
		_ = i
	}
	if len(v.errs) > 0 {
		return domain.Invalid("activity_id", "%s", v.errs[0])
	}
	if in.MinScore != nil && (*in.MinScore < 0 || *in.MinScore > 1) {
		return domain.Invalid("min_score", "the minimum score is a scaled score from 0 to 1")
	}
	if len(in.Verbs) == 0 {
		in.Verbs = []string{VerbCompleted, VerbPassed}
	}
	if in.Edition == 0 {
		in.Edition = 1
	}
	var edID int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT ed.id FROM event_editions ed JOIN events e ON e.id = ed.event_id WHERE e.provider_id = $1 AND e.code = $2 AND ed.number = $3`,
		providerID, strings.TrimSpace(in.EventCode), in.Edition).Scan(&edID)
	if err == sql.ErrNoRows {
		return domain.Invalid("event_code", "the provider has no event %s with edition %d", in.EventCode, in.Edition)
	}
	if err != nil {
		return err
	}
	var other int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT provider_id FROM xapi_activity_map WHERE activity_id = $1 AND provider_id <> $2`, in.ActivityID, providerID).Scan(&other); err == nil {
		return domain.Invalid("activity_id", "the activity %s is mapped by another provider", in.ActivityID)
	}
	var min any
	if in.MinScore != nil {
		min = *in.MinScore
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO xapi_activity_map (provider_id, activity_id, edition_id, verbs, min_score) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (provider_id, activity_id) DO UPDATE SET edition_id = excluded.edition_id, verbs = excluded.verbs, min_score = excluded.min_score`,
			providerID, in.ActivityID, edID, strings.Join(in.Verbs, " "), min); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "xapi_activity_map", EntityID: providerID, After: in})
	})
	if err == nil {
		s.resetActivityMap()
	}
	return err
}
