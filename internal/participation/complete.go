package participation

import (
	"context"
	"database/sql"
	"fmt"

	"esd/internal/assess"
	"esd/internal/audit"
	"esd/internal/domain"
)

// Completion is the outcome of one professional in one edition, as a provider reports it.
type Completion struct {
	ProfessionalID int64   `json:"professional_id"`
	Role           string  `json:"role"`
	State          string  `json:"state"` // completed, failed or absent
	Credits        float64 `json:"credits"`
	CompletedOn    string  `json:"completed_on"`
	Employment     string  `json:"employment,omitempty"` // lib_dip L D C P
	Recruited      bool    `json:"recruited,omitempty"`
	Sponsor        string  `json:"sponsor,omitempty"`
	Professions    string  `json:"professions,omitempty"`
	// Optional recorded facts; nil keeps what is stored.
	TestScore     *float64 `json:"test_score,omitempty"`
	Questionnaire *bool    `json:"questionnaire,omitempty"`
	FADCompleted  *bool    `json:"fad_completed,omitempty"`
	AttendedHours *float64 `json:"attended_hours,omitempty"`
}

// applied is one completion written, with what it moved.
type applied struct {
	ParticipationID int64
	ProfessionalID  int64
	Moves           []assess.LevelChange
}

// apply writes completions of one edition inside tx: the participation rows (upserted on
// edition and professional, so a provider's system can post the same participation again),
// the competence evidence of every completed one and its credits. people gives each
// professional's region and organisation. It is the one write path of the UI, the API, the
// report import and the seed (which calls applyMany, the same path over many editions).
func (s *Service) apply(ctx context.Context, tx *sql.Tx, ed edition, people map[int64]person, cs []Completion, source string, reportID int64, certified bool) ([]applied, error) {
	items := make([]item, len(cs))
	for i, c := range cs {
		items[i] = item{ed: &ed, c: c}
	}
	return s.applyMany(ctx, tx, items, people, source, reportID, certified, false)
}

// SessionInput is one day of attendance.
type SessionInput struct {
	Date  string  `json:"date"`
	Hours float64 `json:"hours"`
}

// RecordSession records a day of attendance of a residential edition (the event's provider or
// national governance); the participation's attended hours are the sum of its days.
func (s *Service) RecordSession(ctx context.Context, participationID int64, in SessionInput) (Participation, error) {
	x, ed, err := s.managed(ctx, participationID)
	if err != nil {
		return x, err
	}
	if in.Date < ed.Start || in.Date > ed.End {
		return x, domain.Invalid("date", "the day %s is outside the edition (%s to %s)", in.Date, ed.Start, ed.End)
	}
	if in.Hours < 0 || in.Hours > 24 {
		return x, domain.Invalid("hours", "hours must be between 0 and 24")
	}
	if x.State == StateWaitlisted || x.State == StateCancelled || x.State == StateWithdrawn {
		return x, conflict("a participation that is %s has no attendance", x.State)
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a := domain.ActorFrom(ctx)
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO participation_sessions (participation_id, session_date, hours, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (participation_id, session_date) DO UPDATE SET hours = excluded.hours, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at`,
			x.ID, in.Date, in.Hours, a.Username, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE participations SET attended_hours = (SELECT COALESCE(SUM(hours), 0) FROM participation_sessions WHERE participation_id = $1), updated_at = $2 WHERE id = $1`,
			x.ID, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "attendance", Entity: "participation", EntityID: x.ID, After: in})
	})
	if err != nil {
		return x, err
	}
	return s.Get(ctx, participationID)
}

// OutcomeInput records the facts of a participation: the learning test's share of right
// answers, the satisfaction questionnaire, the completion of a FAD course.
type OutcomeInput struct {
	TestScore     *float64 `json:"test_score,omitempty"`
	Questionnaire *bool    `json:"questionnaire,omitempty"`
	FADCompleted  *bool    `json:"fad_completed,omitempty"`
}

// RecordOutcome records the test, questionnaire and FAD completion (the event's provider or
// national governance).
func (s *Service) RecordOutcome(ctx context.Context, participationID int64, in OutcomeInput) (Participation, error) {
	x, _, err := s.managed(ctx, participationID)
	if err != nil {
		return x, err
	}
	if in.TestScore != nil && (*in.TestScore < 0 || *in.TestScore > 1) {
		return x, domain.Invalid("test_score", "the test score is the share of right answers, from 0 to 1")
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE participations SET test_score = COALESCE($1, test_score), questionnaire = COALESCE($2, questionnaire),
			fad_completed = COALESCE($3, fad_completed), updated_at = $4 WHERE id = $5`, in.TestScore, in.Questionnaire, in.FADCompleted, s.now(), x.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "outcome", Entity: "participation", EntityID: x.ID, After: in})
	})
	if err != nil {
		return x, err
	}
	return s.Get(ctx, participationID)
}

// CompleteInput closes one participation with a role.
type CompleteInput struct {
	Role string `json:"role"`
	// Date the credits were earned; default the edition's end.
	Date string `json:"date,omitempty"`
}

// Check says whether a participation earns its credits and why not: a participant needs the
// learning test at 75 % or more, residential attendance of 90 % of the hours (when
// attendance is recorded by day) and a completed FAD course; teachers, tutors and speakers
// need neither test nor attendance.
func Check(x Participation, role string) (bool, string) {
	if role != RoleParticipant {
		return true, ""
	}
	if x.TestScore == nil {
		return false, "learning test not recorded"
	}
	if *x.TestScore < PassShare {
		return false, fmt.Sprintf("learning test %.0f%% under the 75%% required", *x.TestScore*100)
	}
	switch x.Type {
	case "FAD":
		if !x.FADCompleted {
			return false, "FAD course not completed"
		}
	case "RES", "BLENDED", "FSC":
		if x.AttendedHours > 0 && x.AttendedHours < MinAttendance*x.EventHours-1e-9 {
			return false, fmt.Sprintf("attendance %.1f h under 90%% of %.0f h", x.AttendedHours, x.EventHours)
		}
	}
	return true, ""
}

// Complete closes a participation: completed with the credits the role earns under the
// event's rules, or failed with the reason (the event's provider or national governance).
// Credits from a completion are pending until the provider's report certifies them.
func (s *Service) Complete(ctx context.Context, participationID int64, in CompleteInput) (Participation, string, error) {
	x, ed, err := s.managed(ctx, participationID)
	if err != nil {
		return x, "", err
	}
	if in.Role == "" {
		in.Role = x.Role
	}
	if !validRole(in.Role) {
		return x, "", domain.Invalid("role", "role must be P, D, T or R")
	}
	if x.State == StateWaitlisted || x.State == StateCancelled {
		return x, "", conflict("a participation that is %s cannot be completed", x.State)
	}
	if in.Date == "" {
		in.Date = ed.End
	}
	if in.Date < ed.Start {
		return x, "", domain.Invalid("date", "the date %s is before the edition starts (%s)", in.Date, ed.Start)
	}
	ok, why := Check(x, in.Role)
	c := Completion{ProfessionalID: x.ProfessionalID, Role: in.Role, State: StateCompleted, CompletedOn: in.Date}
	if ok {
		c.Credits, _ = s.RoleRule(RoleInput{Type: ed.Type, SubType: ed.SubType, Hours: ed.Hours, EventCredits: ed.Credits, Role: in.Role})
	} else {
		c.State = StateFailed
	}
	p, err := s.person(ctx, s.DB.Read, x.ProfessionalID)
	if err != nil {
		return x, "", err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.apply(ctx, tx, ed, map[int64]person{p.ID: p}, []Completion{c}, SourceProvider, 0, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "complete", Entity: "participation", EntityID: x.ID, RegionID: p.RegionID,
			Before: map[string]any{"state": x.State}, After: map[string]any{"state": c.State, "role": c.Role, "credits": c.Credits, "reason": why}})
	})
	if err != nil {
		return x, "", err
	}
	got, err := s.Get(ctx, participationID)
	return got, why, err
}

// managed loads a participation the caller may manage (its event's provider, national).
func (s *Service) managed(ctx context.Context, id int64) (Participation, edition, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return Participation{}, edition{}, err
	}
	x, err := s.Get(ctx, id)
	if err != nil {
		return x, edition{}, err
	}
	ed, err := s.edition(ctx, x.EditionID)
	if err != nil {
		return x, ed, err
	}
	if !ed.canManage(a) {
		return x, ed, domain.NotFound("participation")
	}
	return x, ed, nil
}

func validRole(r string) bool {
	return r == RoleParticipant || r == RoleTeacher || r == RoleTutor || r == RoleSpeaker
}

func roleWord(r string) string {
	switch r {
	case RoleTeacher:
		return "docente"
	case RoleTutor:
		return "tutor"
	case RoleSpeaker:
		return "relatore"
	}
	return "partecipante"
}
