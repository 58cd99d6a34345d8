// Package participation records that training happened (the Esecuzione phase): enrolments
// with capacity and a waiting list, attendance, the learning test and the satisfaction
// questionnaire, completions with the role and the credits each role earns, and the
// providers' participation reports (rapporto evento, XML or CSV) in and out. Every completion
// posts its credits to the credits ledger and its evidence to the competence ledger in the
// same transaction, so levels, gaps and objectives move with it.
package participation

import (
	"context"
	"database/sql"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/assess"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// States of a participation.
const (
	StateEnrolled   = "enrolled"
	StateWaitlisted = "waitlisted"
	StateCancelled  = "cancelled"
	StateCompleted  = "completed" // credits earned
	StateFailed     = "failed"    // attended without the credits (test, attendance)
	StateAbsent     = "absent"
	StateWithdrawn  = "withdrawn" // dropped by a corrected report
)

// Roles of the rapporto evento.
const (
	RoleParticipant = "P" // partecipante
	RoleTeacher     = "D" // docente
	RoleTutor       = "T" // tutor
	RoleSpeaker     = "R" // relatore
)

// Roles lists the roles in report order.
var Roles = []string{RoleParticipant, RoleTeacher, RoleTutor, RoleSpeaker}

// Sources of a participation row.
const (
	SourceSelf         = "self"
	SourceOrganisation = "organisation"
	SourceProvider     = "provider"
	SourceReport       = "report"
	SourceAPI          = "api"
	SourceSeed         = "seed"
)

// PassShare is the ECM rule: credits only with at least 75 % right answers in the learning test.
const PassShare = 0.75

// MinAttendance is the share of a residential event's hours a participant must attend.
const MinAttendance = 0.90

// CreditPost is one participation's credits for the ledger.
type CreditPost struct {
	ParticipationID int64
	ProfessionalID  int64
	RegionID        int64
	OrganisationID  int64
	EventID         int64
	Role            string
	Credits         float64
	EarnedOn        string
	Certified       bool
	Title           string
}

// CreditSink is the credits ledger, written inside the participation's transaction.
type CreditSink interface {
	PostParticipations(ctx context.Context, tx *sql.Tx, posts []CreditPost) error
}

// RoleInput is what the role credit rule needs.
type RoleInput struct {
	Type         string
	SubType      int
	Hours        float64
	EventCredits float64
	Role         string
}

// RoleRule gives the credits a role earns in an event, with the reason.
type RoleRule func(in RoleInput) (float64, string)

// DefaultRoleRule gives every role the event's credits: the rule when no credits rule data is
// wired (tests of this package).
func DefaultRoleRule(in RoleInput) (float64, string) { return in.EventCredits, "event credits" }

// Evidence is the competence ledger (assess.Service).
type Evidence interface {
	RecordTraining(ctx context.Context, tx *sql.Tx, evs []assess.TrainingEvidence) ([]assess.LevelChange, error)
}

// RuleAchiever marks achieved the objectives that an organisation's achievement rule says a
// completion meets (assess.Service); the Evidence offers it when it can.
type RuleAchiever interface {
	AchieveByRules(ctx context.Context, tx *sql.Tx, cs []assess.RuleCompletion) (int, error)
}

// EvidenceWeights is the rule data that turns an event line's level into the level a
// participation evidences: level × role weight × type weight, rounded half up; below 1 no
// evidence. Configurable; the defaults say a teacher or speaker shows at least what the course
// teaches, a tutor a little less, and self-paced FAD without a tutor less than a classroom.
type EvidenceWeights struct {
	Role map[string]float64 `json:"role"`
	Type map[string]float64 `json:"type"`
}

// DefaultEvidenceWeights are the weights used unless configured.
var DefaultEvidenceWeights = EvidenceWeights{
	Role: map[string]float64{RoleParticipant: 1, RoleTeacher: 1, RoleSpeaker: 1, RoleTutor: 0.75},
	Type: map[string]float64{"RES": 1, "FSC": 1, "BLENDED": 1, "FAD": 0.75},
}

// Level is the evidenced level of an event line of level for a role in an event type.
func (w EvidenceWeights) Level(level int, role, typ string) int {
	rw, ok := w.Role[role]
	if !ok {
		rw = 1
	}
	tw, ok := w.Type[typ]
	if !ok {
		tw = 1
	}
	return int(math.Floor(float64(level)*rw*tw + 0.5))
}

// Config is what an installation decides about reports.
type Config struct {
	// UnknownProfessional: "pending" creates a participant the registry does not know as a
	// pending professional; "refuse" reports them as errors.
	UnknownProfessional string
	// UnknownEvent: "create" creates an event the catalogue does not know from the report's own
	// fields (marked origin 'report'); "refuse" reports it as an error.
	UnknownEvent string
	// AccreditorCode is cod_accr of exported reports (the accrediting body).
	AccreditorCode string
}

// Service records enrolments, attendance, completions and reports.
type Service struct {
	DB       *db.DB
	Jobs     *jobs.Runner
	Log      *slog.Logger
	Credits  CreditSink
	Evidence Evidence
	// Events creates events from reports of events the catalogue does not know.
	Events   EventCreator
	RoleRule RoleRule
	Weights  EvidenceWeights
	Config   Config
	// Now is the clock (tests move it); default db.Now.
	Now func() time.Time
}

// New returns a service with the default configuration.
func New(d *db.DB, j *jobs.Runner, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Jobs: j, Log: log, RoleRule: DefaultRoleRule, Weights: DefaultEvidenceWeights,
		Config: Config{UnknownProfessional: "pending", UnknownEvent: "create", AccreditorCode: "000"}}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return db.Now()
}

func (s *Service) today() string { return s.now().Format("2006-01-02") }

// edition is what the service needs of an edition and its event.
type edition struct {
	ID           int64
	EventID      int64
	Number       int
	Start, End   string
	Online       bool
	RegionID     int64
	ProviderID   int64
	ProviderCode string
	ProviderName string
	EventCode    string
	Title        string
	Type         string
	SubType      int
	FADMode      string
	Hours        float64
	Credits      float64
	Capacity     int
	State        string
	ObjectiveID  int
	AudienceAll  bool
	Audience     [][2]int // profession, discipline (0 = any)
	Lines        []assess.LineLevel
	Origin       string
}

const editionSelect = `SELECT ed.id, ed.event_id, ed.number, ed.start_date, ed.end_date, ed.online, COALESCE(ed.region_id, 0),
	e.provider_id, o.code, o.name, e.code, e.title, e.type, e.subtype, e.fad_mode, e.hours, e.credits, e.participants, e.state,
	e.objective_code, e.audience_all, e.origin
	FROM event_editions ed JOIN events e ON e.id = ed.event_id JOIN organisations o ON o.id = e.provider_id`

func (s *Service) loadEdition(ctx context.Context, q db.Querier, where string, args ...any) (edition, error) {
	var ed edition
	err := q.QueryRowContext(ctx, editionSelect+` WHERE `+where, args...).Scan(&ed.ID, &ed.EventID, &ed.Number, &ed.Start, &ed.End, &ed.Online, &ed.RegionID,
		&ed.ProviderID, &ed.ProviderCode, &ed.ProviderName, &ed.EventCode, &ed.Title, &ed.Type, &ed.SubType, &ed.FADMode, &ed.Hours, &ed.Credits,
		&ed.Capacity, &ed.State, &ed.ObjectiveID, &ed.AudienceAll, &ed.Origin)
	if err == sql.ErrNoRows {
		return ed, domain.NotFound("edition")
	}
	if err != nil {
		return ed, err
	}
	rows, err := q.QueryContext(ctx, `SELECT profession_code, discipline_code FROM event_audience WHERE event_id = $1 ORDER BY 1, 2`, ed.EventID)
	if err != nil {
		return ed, err
	}
	for rows.Next() {
		var p, d int
		if err := rows.Scan(&p, &d); err != nil {
			rows.Close()
			return ed, err
		}
		ed.Audience = append(ed.Audience, [2]int{p, d})
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT fi.code, el.level FROM event_lines el JOIN framework_items fi ON fi.id = el.item_id WHERE el.event_id = $1 ORDER BY fi.code`, ed.EventID)
	if err != nil {
		return ed, err
	}
	defer rows.Close()
	for rows.Next() {
		var l assess.LineLevel
		if err := rows.Scan(&l.Code, &l.Level); err != nil {
			return ed, err
		}
		ed.Lines = append(ed.Lines, l)
	}
	return ed, rows.Err()
}

// Edition loads an edition by id.
func (s *Service) edition(ctx context.Context, id int64) (edition, error) {
	return s.loadEdition(ctx, s.DB.Read, `ed.id = $1`, id)
}

// inAudience reports whether any of the pairs (profession, discipline) is in the audience.
func (ed edition) inAudience(pairs [][2]int) bool {
	if ed.AudienceAll || len(ed.Audience) == 0 {
		return true
	}
	for _, p := range pairs {
		for _, a := range ed.Audience {
			if a[0] == p[0] && (a[1] == 0 || p[1] == 0 || a[1] == p[1]) {
				return true
			}
		}
	}
	return false
}

// isProvider reports whether the actor is the event's provider.
func (ed edition) isProvider(a domain.Actor) bool {
	return a.Role == domain.RoleProvider && a.OrganisationID == ed.ProviderID
}

// canManage: the event's provider, national governance and the system record attendance,
// outcomes and completions.
func (ed edition) canManage(a domain.Actor) bool {
	return ed.isProvider(a) || a.IsNationalOrSystem()
}

// person is what the service needs of a professional.
type person struct {
	ID             int64
	CF             string
	GivenName      string
	FamilyName     string
	RegionID       int64
	OrganisationID int64
	Employment     string
	Status         string
	Pairs          [][2]int
}

func (p person) target() domain.Target {
	return domain.Target{RegionID: p.RegionID, OrganisationID: p.OrganisationID, ProfessionalID: p.ID}
}

func (s *Service) person(ctx context.Context, q db.Querier, id int64) (person, error) {
	ps, err := s.people(ctx, q, `p.id = $1`, id)
	if err != nil {
		return person{}, err
	}
	if len(ps) == 0 {
		return person{}, domain.NotFound("professional")
	}
	return ps[0], nil
}

func (s *Service) people(ctx context.Context, q db.Querier, where string, args ...any) ([]person, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.cf, p.given_name, p.family_name, p.region_id, COALESCE(p.organisation_id, 0), p.employment, p.status,
		COALESCE((SELECT `+pairsAgg(s.DB.IsPostgres())+` FROM professional_disciplines d WHERE d.professional_id = p.id), '')
		FROM professionals p WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []person
	for rows.Next() {
		var p person
		var pairs string
		if err := rows.Scan(&p.ID, &p.CF, &p.GivenName, &p.FamilyName, &p.RegionID, &p.OrganisationID, &p.Employment, &p.Status, &pairs); err != nil {
			return nil, err
		}
		p.Pairs = parsePairs(pairs)
		out = append(out, p)
	}
	return out, rows.Err()
}

func pairsAgg(pg bool) string {
	if pg {
		return `string_agg(d.profession_code::text || '.' || d.discipline_code::text, ':' ORDER BY d.profession_code, d.discipline_code)`
	}
	return `group_concat(d.profession_code || '.' || d.discipline_code, ':')`
}

// parsePairs reads "1.58:14.85".
func parsePairs(s string) [][2]int {
	var out [][2]int
	for _, g := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '|' || r == ',' || r == ' ' }) {
		parts := strings.Split(g, ".")
		p, err := strconv.Atoi(parts[0])
		if err != nil {
			continue
		}
		if len(parts) == 1 {
			out = append(out, [2]int{p, 0})
		}
		for _, d := range parts[1:] {
			if n, err := strconv.Atoi(d); err == nil {
				out = append(out, [2]int{p, n})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] || out[i][0] == out[j][0] && out[i][1] < out[j][1] })
	return out
}

// formatPairs writes pairs as "1.58:14.85".
func formatPairs(ps [][2]int) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p[0]))
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(p[1]))
	}
	return b.String()
}

// packMoves packs the lines a participation moved: "line from to" per line.
func packMoves(ms []assess.LevelChange) string {
	var b strings.Builder
	for i, m := range ms {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.Line)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(m.From))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(m.To))
	}
	return b.String()
}

// Move is a line a participation moved, from one level to another.
type Move struct {
	Line  string `json:"line"`
	Title string `json:"title,omitempty"`
	From  int    `json:"from"`
	To    int    `json:"to"`
}

func unpackMoves(s string) []Move {
	var out []Move
	for _, ln := range strings.Split(s, "\n") {
		f := strings.Fields(ln)
		if len(f) != 3 {
			continue
		}
		from, _ := strconv.Atoi(f[1])
		to, _ := strconv.Atoi(f[2])
		out = append(out, Move{Line: f[0], From: from, To: to})
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func conflict(format string, args ...any) error {
	return domain.Errorf(domain.ECONFLICT, format, args...)
}
