package participation

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Participation is one professional in one edition, as the pages and the API show it.
type Participation struct {
	ID             int64     `json:"id"`
	EditionID      int64     `json:"edition_id"`
	EventID        int64     `json:"event_id"`
	EventCode      string    `json:"event_code"`
	Edition        int       `json:"edition"`
	Title          string    `json:"title"`
	Type           string    `json:"type"`
	ProviderCode   string    `json:"provider_code"`
	ProviderName   string    `json:"provider_name"`
	StartDate      string    `json:"start_date"`
	EndDate        string    `json:"end_date"`
	Online         bool      `json:"online"`
	ProfessionalID int64     `json:"professional_id"`
	CF             string    `json:"codice_fiscale"`
	GivenName      string    `json:"given_name"`
	FamilyName     string    `json:"family_name"`
	PendingPerson  bool      `json:"pending_professional,omitempty"`
	State          string    `json:"state"`
	WaitlistPos    int       `json:"waitlist_position,omitempty"`
	Role           string    `json:"role"`
	AttendedHours  float64   `json:"attended_hours"`
	EventHours     float64   `json:"event_hours"`
	FADCompleted   bool      `json:"fad_completed"`
	TestScore      *float64  `json:"test_score,omitempty"`
	Questionnaire  bool      `json:"questionnaire"`
	Credits        float64   `json:"credits"`
	CompletedOn    string    `json:"completed_on,omitempty"`
	Source         string    `json:"source"`
	ReportID       int64     `json:"report_id,omitempty"`
	Moves          []Move    `json:"lines_moved,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

const participationSelect = `SELECT pa.id, pa.edition_id, pa.event_id, e.code, ed.number, e.title, e.type, o.code, o.name, ed.start_date, ed.end_date, ed.online,
	pa.professional_id, p.cf_display, p.given_name, p.family_name, p.status, pa.state, COALESCE(pa.waitlist_seq, 0), pa.role, pa.attended_hours, e.hours,
	pa.fad_completed, pa.test_score, pa.questionnaire, pa.credits, pa.completed_on, pa.source, COALESCE(pa.report_id, 0), pa.lines_moved, pa.updated_at,
	pa.region_id, COALESCE(pa.organisation_id, 0), e.provider_id
	FROM participations pa JOIN event_editions ed ON ed.id = pa.edition_id JOIN events e ON e.id = pa.event_id
	JOIN organisations o ON o.id = e.provider_id JOIN professionals p ON p.id = pa.professional_id`

type scoped struct {
	Participation
	regionID, orgID, providerID int64
}

func scanParticipations(rows *sql.Rows) ([]scoped, error) {
	defer rows.Close()
	var out []scoped
	for rows.Next() {
		var x scoped
		var status, moves string
		var score sql.NullFloat64
		if err := rows.Scan(&x.ID, &x.EditionID, &x.EventID, &x.EventCode, &x.Edition, &x.Title, &x.Type, &x.ProviderCode, &x.ProviderName,
			&x.StartDate, &x.EndDate, &x.Online, &x.ProfessionalID, &x.CF, &x.GivenName, &x.FamilyName, &status, &x.State, &x.WaitlistPos,
			&x.Role, &x.AttendedHours, &x.EventHours, &x.FADCompleted, &score, &x.Questionnaire, &x.Credits, &x.CompletedOn, &x.Source,
			&x.ReportID, &moves, &x.UpdatedAt, &x.regionID, &x.orgID, &x.providerID); err != nil {
			return nil, err
		}
		x.PendingPerson = status == "pending"
		if score.Valid {
			v := score.Float64
			x.TestScore = &v
		}
		x.Moves = unpackMoves(moves)
		out = append(out, x)
	}
	return out, rows.Err()
}

// TestPct is the learning test's result as a percentage ("80%"), empty when not taken.
func (p Participation) TestPct() string {
	if p.TestScore == nil {
		return ""
	}
	return strconv.FormatFloat(math.Round(*p.TestScore*100), 'f', 0, 64) + "%"
}

// visible: the professional themself, the event's provider, and anyone whose scope holds the
// professional (organisation office, regional referent, national governance).
func (x scoped) visible(a domain.Actor) bool {
	if a.Role == domain.RoleProvider {
		return a.OrganisationID == x.providerID
	}
	return a.CanSeeIndividual(domain.Target{RegionID: x.regionID, OrganisationID: x.orgID, ProfessionalID: x.ProfessionalID})
}

// Get returns one participation in the caller's scope.
func (s *Service) Get(ctx context.Context, id int64) (Participation, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return Participation{}, domain.Errorf(domain.EUNAUTHORIZED, "login required")
	}
	rows, err := s.DB.Read.QueryContext(ctx, participationSelect+` WHERE pa.id = $1`, id)
	if err != nil {
		return Participation{}, err
	}
	xs, err := scanParticipations(rows)
	if err != nil {
		return Participation{}, err
	}
	if len(xs) == 0 || !xs[0].visible(a) {
		return Participation{}, domain.NotFound("participation")
	}
	return xs[0].Participation, nil
}

// Enrol enrols a professional in an edition: the professional themself, their organisation's
// training office, their regional referent or national governance. A full edition puts them on
// the waiting list. Enrolling twice returns the existing enrolment; a cancelled one is renewed.
func (s *Service) Enrol(ctx context.Context, editionID, professionalID int64) (Participation, error) {
	a, err := domain.Require(ctx, domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational)
	if err != nil {
		return Participation{}, err
	}
	if a.Role == domain.RoleProfessional && professionalID == 0 {
		professionalID = a.ProfessionalID
	}
	p, err := s.person(ctx, s.DB.Read, professionalID)
	if err != nil {
		return Participation{}, err
	}
	if !a.CanSeeIndividual(p.target()) {
		return Participation{}, domain.NotFound("professional")
	}
	ed, err := s.edition(ctx, editionID)
	if err != nil {
		return Participation{}, err
	}
	if ed.State != "accredited" && ed.State != "running" {
		return Participation{}, conflict("the event is %s: enrolment is open only for accredited or running events", ed.State)
	}
	if ed.End < s.today() {
		return Participation{}, conflict("the edition ended on %s", ed.End)
	}
	if !ed.inAudience(p.Pairs) {
		return Participation{}, domain.Invalid("professional", "the professional's profession and discipline are outside the event's audience")
	}
	source := SourceSelf
	if a.Role != domain.RoleProfessional {
		source = SourceOrganisation
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT id, state FROM participations WHERE edition_id = $1 AND professional_id = $2`, ed.ID, p.ID).Scan(&id, &state)
		if err == nil && state != StateCancelled {
			return nil
		}
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		newState, seq, err := s.seat(ctx, tx, ed)
		if err != nil {
			return err
		}
		now := s.now()
		if id != 0 {
			_, err = tx.ExecContext(ctx, `UPDATE participations SET state = $1, waitlist_seq = $2, source = $3, enrolled_by = $4, updated_at = $5 WHERE id = $6`,
				newState, seq, source, a.Username, now, id)
		} else {
			err = tx.QueryRowContext(ctx, `INSERT INTO participations (edition_id, event_id, professional_id, region_id, organisation_id, state, waitlist_seq, role,
				employment, source, enrolled_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,'P',$8,$9,$10,$11,$11) RETURNING id`,
				ed.ID, ed.EventID, p.ID, p.RegionID, nullID(p.OrganisationID), newState, seq, libDip(p.Employment), source, a.Username, now).Scan(&id)
		}
		if err != nil {
			return db.MapError(err)
		}
		return audit.Record(ctx, tx, audit.Change{Action: "enrol", Entity: "participation", EntityID: id, RegionID: p.RegionID,
			After: map[string]any{"edition_id": ed.ID, "professional_id": p.ID, "state": newState}})
	})
	if err != nil {
		return Participation{}, err
	}
	return s.Get(ctx, id)
}

// seat decides whether a new enrolment gets a place or goes to the waiting list (with the next
// position), inside the transaction that writes it.
func (s *Service) seat(ctx context.Context, tx *sql.Tx, ed edition) (string, any, error) {
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM participations WHERE edition_id = $1 AND state IN ('enrolled', 'completed', 'failed', 'absent')`, ed.ID).Scan(&taken); err != nil {
		return "", nil, err
	}
	if ed.Capacity <= 0 || taken < ed.Capacity {
		return StateEnrolled, nil, nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(waitlist_seq), 0) FROM participations WHERE edition_id = $1`, ed.ID).Scan(&last); err != nil {
		return "", nil, err
	}
	return StateWaitlisted, last + 1, nil
}

// Cancel cancels an enrolment (the professional, their training office or referent, the
// event's provider, national governance); the first on the waiting list takes the place.
func (s *Service) Cancel(ctx context.Context, id int64) (Participation, error) {
	a, err := domain.Require(ctx, domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational, domain.RoleProvider)
	if err != nil {
		return Participation{}, err
	}
	x, err := s.Get(ctx, id)
	if err != nil {
		return Participation{}, err
	}
	if x.State != StateEnrolled && x.State != StateWaitlisted {
		return Participation{}, conflict("a participation that is %s cannot be cancelled", x.State)
	}
	ed, err := s.edition(ctx, x.EditionID)
	if err != nil {
		return Participation{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE participations SET state = 'cancelled', waitlist_seq = NULL, updated_at = $1 WHERE id = $2 AND state IN ('enrolled', 'waitlisted')`, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict("the participation changed meanwhile")
		}
		if err := audit.Record(ctx, tx, audit.Change{Action: "cancel", Entity: "participation", EntityID: id, Before: map[string]any{"state": x.State}, After: map[string]any{"state": StateCancelled}}); err != nil {
			return err
		}
		if x.State == StateEnrolled {
			return s.promote(ctx, tx, ed)
		}
		return nil
	})
	if err != nil {
		return Participation{}, err
	}
	_ = a
	return s.Get(ctx, id)
}

// promote gives free places to the waiting list in order.
func (s *Service) promote(ctx context.Context, tx *sql.Tx, ed edition) error {
	for {
		state, _, err := s.seat(ctx, tx, ed)
		if err != nil || state != StateEnrolled {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM participations WHERE edition_id = $1 AND state = 'waitlisted' ORDER BY waitlist_seq, id LIMIT 1`, ed.ID).Scan(&id)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE participations SET state = 'enrolled', waitlist_seq = NULL, updated_at = $1 WHERE id = $2`, s.now(), id); err != nil {
			return err
		}
		if err := audit.Record(domain.WithActor(ctx, domain.SystemActor), tx, audit.Change{Action: "promote", Entity: "participation", EntityID: id,
			Before: map[string]any{"state": StateWaitlisted}, After: map[string]any{"state": StateEnrolled}}); err != nil {
			return err
		}
	}
}

// EditionView is an edition with its participants as the caller may see them.
type EditionView struct {
	EditionID    int64           `json:"edition_id"`
	EventID      int64           `json:"event_id"`
	EventCode    string          `json:"event_code"`
	Edition      int             `json:"edition"`
	Title        string          `json:"title"`
	Type         string          `json:"type"`
	ProviderCode string          `json:"provider_code"`
	ProviderName string          `json:"provider_name"`
	StartDate    string          `json:"start_date"`
	EndDate      string          `json:"end_date"`
	Hours        float64         `json:"hours"`
	Credits      float64         `json:"credits"`
	Capacity     int             `json:"capacity"`
	Enrolled     int             `json:"enrolled"`
	Waitlisted   int             `json:"waitlisted"`
	Completed    int             `json:"completed"`
	State        string          `json:"event_state"`
	Participants []Participation `json:"participants"`
	Reports      []ReportInfo    `json:"reports"`
	CanManage    bool            `json:"can_manage"`
	CanEnrol     bool            `json:"can_enrol"`
}

// ReportInfo is one imported participation report of an edition.
type ReportInfo struct {
	ID           int64     `json:"id"`
	Format       string    `json:"format"`
	FileName     string    `json:"file_name"`
	Participants int       `json:"participants"`
	State        string    `json:"state"`
	ImportedBy   string    `json:"imported_by"`
	ImportedAt   time.Time `json:"imported_at"`
	Diff         string    `json:"diff,omitempty"`
}

// Edition lists an edition's participants: all of them for its provider and national
// governance; those in scope for regional referents and organisation offices; a professional
// sees only their own row.
func (s *Service) Edition(ctx context.Context, editionID int64) (EditionView, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return EditionView{}, domain.Errorf(domain.EUNAUTHORIZED, "login required")
	}
	if a.Role == domain.RoleAnalyst {
		return EditionView{}, domain.Forbidden("analysts see aggregates only")
	}
	ed, err := s.edition(ctx, editionID)
	if err != nil {
		return EditionView{}, err
	}
	if a.Role == domain.RoleProvider && !ed.isProvider(a) {
		return EditionView{}, domain.NotFound("edition")
	}
	v := EditionView{EditionID: ed.ID, EventID: ed.EventID, EventCode: ed.EventCode, Edition: ed.Number, Title: ed.Title, Type: ed.Type,
		ProviderCode: ed.ProviderCode, ProviderName: ed.ProviderName, StartDate: ed.Start, EndDate: ed.End, Hours: ed.Hours, Credits: ed.Credits,
		Capacity: ed.Capacity, State: ed.State, CanManage: ed.canManage(a),
		CanEnrol: a.Role != domain.RoleProvider && (ed.State == "accredited" || ed.State == "running") && ed.End >= s.today()}
	rows, err := s.DB.Read.QueryContext(ctx, participationSelect+` WHERE pa.edition_id = $1 ORDER BY p.family_name, p.given_name, pa.id`, ed.ID)
	if err != nil {
		return v, err
	}
	xs, err := scanParticipations(rows)
	if err != nil {
		return v, err
	}
	for _, x := range xs {
		switch x.State {
		case StateEnrolled:
			v.Enrolled++
		case StateWaitlisted:
			v.Waitlisted++
		case StateCompleted:
			v.Completed++
		}
		if x.visible(a) {
			v.Participants = append(v.Participants, x.Participation)
		}
	}
	if v.CanManage {
		v.Reports, err = s.reports(ctx, ed.ID)
	}
	return v, err
}

func (s *Service) reports(ctx context.Context, editionID int64) ([]ReportInfo, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, format, file_name, participants, state, imported_by, imported_at, diff_json
		FROM participation_reports WHERE edition_id = $1 ORDER BY id DESC`, editionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportInfo
	for rows.Next() {
		var r ReportInfo
		if err := rows.Scan(&r.ID, &r.Format, &r.FileName, &r.Participants, &r.State, &r.ImportedBy, &r.ImportedAt, &r.Diff); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MyTraining is a professional's training: what is next (enrolled, waiting) and what is done.
type MyTraining struct {
	ProfessionalID int64           `json:"professional_id"`
	Next           []Participation `json:"next"`
	Done           []Participation `json:"done"`
	Other          []Participation `json:"other"`
	Credits        float64         `json:"credits"`
}

// Training lists one professional's participations (self, or in scope).
func (s *Service) Training(ctx context.Context, professionalID int64) (MyTraining, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return MyTraining{}, domain.Errorf(domain.EUNAUTHORIZED, "login required")
	}
	if a.Role == domain.RoleProfessional && professionalID == 0 {
		professionalID = a.ProfessionalID
	}
	if a.Role == domain.RoleProvider || a.Role == domain.RoleAnalyst {
		return MyTraining{}, domain.Forbidden("role %s may not see a professional's training", a.Role)
	}
	p, err := s.person(ctx, s.DB.Read, professionalID)
	if err != nil {
		return MyTraining{}, err
	}
	if !a.CanSeeIndividual(p.target()) {
		return MyTraining{}, domain.NotFound("professional")
	}
	rows, err := s.DB.Read.QueryContext(ctx, participationSelect+` WHERE pa.professional_id = $1 ORDER BY ed.start_date DESC, pa.id DESC`, p.ID)
	if err != nil {
		return MyTraining{}, err
	}
	xs, err := scanParticipations(rows)
	if err != nil {
		return MyTraining{}, err
	}
	out := MyTraining{ProfessionalID: p.ID}
	for i := len(xs) - 1; i >= 0; i-- { // next: soonest first
		if x := xs[i]; x.State == StateEnrolled || x.State == StateWaitlisted {
			out.Next = append(out.Next, x.Participation)
		}
	}
	for _, x := range xs {
		switch x.State {
		case StateCompleted:
			out.Done = append(out.Done, x.Participation)
			out.Credits += x.Credits
		case StateEnrolled, StateWaitlisted:
		default:
			out.Other = append(out.Other, x.Participation)
		}
	}
	out.Credits = round1(out.Credits)
	return out, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// libDip maps the registry's employment to the report's lib_dip code.
func libDip(employment string) string {
	switch employment {
	case "dipendente":
		return "D"
	case "convenzionato":
		return "C"
	case "libero_professionista":
		return "L"
	}
	return ""
}
