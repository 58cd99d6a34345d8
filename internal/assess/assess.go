// Package assess is the profiling capability of ESD (the Indirizzo phase): the item bank of
// self-rating statements and knowledge questions, the resumable self-assessment and its
// explained scoring, the append-only evidence ledger and the current level it yields, the gap
// analysis against the professional's effective targets, and the individual and group ESD
// objectives that together form the dossier formativo of the ECM triennium.
//
// The targets come from the Digital Personas capability through the TargetSource interface;
// the portfolio (framework versions, lines, scale, crosswalks) is read from its tables.
package assess

import (
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// Target is one line a professional is expected to master, at a level of the scale of the
// persona's framework version (a range when MaxLevel > Level).
type Target struct {
	LineID   int64 `json:"line_id"`
	Level    int   `json:"level"`
	MaxLevel int   `json:"max_level,omitempty"`
}

// PersonaInfo names the persona whose targets apply, and the framework version they refer to.
type PersonaInfo struct {
	ID          int64  `json:"id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	FrameworkID int64  `json:"framework_id"`
}

// TargetSource gives the effective targets of professionals: persona targets plus the
// overlays of their region and organisation. The Digital Personas capability implements it.
type TargetSource interface {
	// EffectiveTargets returns the required lines (Level ≥ 1) of one professional and the
	// persona they come from. A professional without a persona yields ENOTFOUND. It is
	// called with the system actor: the assess service has already checked the caller.
	EffectiveTargets(ctx context.Context, professionalID int64) ([]Target, PersonaInfo, error)
	// EachEffectiveTargets streams, in ascending professional id order, every profiled
	// professional (only those with persona personaID when it is not 0) with their effective
	// targets. It must not hold a cursor on the write connection: fn writes.
	EachEffectiveTargets(ctx context.Context, personaID int64, fn func(professionalID int64, targets []Target, p PersonaInfo) error) error
}

// Triennium is an ECM triennium, e.g. 2026–2028: the span of a dossier formativo.
type Triennium struct{ From, To int }

// String is the triennium as stored, e.g. "2026-2028".
func (t Triennium) String() string { return strconv.Itoa(t.From) + "-" + strconv.Itoa(t.To) }

// Timing is the expected time per question, used to state the duration of an assessment and
// to choose how many knowledge questions fit in the time budget.
type Timing struct {
	AreaSeconds      int // one overall rating of an ambito (when the persona has too many lines)
	SelfSeconds      int // one self-rating (choose one statement of a line)
	KnowledgeSeconds int // one multiple-choice knowledge or scenario question
	BudgetSeconds    int // knowledge questions are added only while the total stays within this
	MaxKnowledge     int // knowledge questions per line at most
}

// DefaultTiming: 20 s per ambito rating (its statements are more general), 15 s per line
// self-rating, 45 s per knowledge question, and an 18-minute budget, so every assessment is
// under 20 minutes.
var DefaultTiming = Timing{AreaSeconds: 20, SelfSeconds: 15, KnowledgeSeconds: 45, BudgetSeconds: 18 * 60, MaxKnowledge: 2}

// Service is the assessment capability. Every method takes the caller from ctx and checks it.
type Service struct {
	DB   *db.DB
	Jobs *jobs.Runner
	Log  *slog.Logger
	// Targets gives each professional's effective targets; nil until the personas capability
	// is wired, in which case calls that need targets return a clear error.
	Targets TargetSource
	// Triennium of the dossier formativo; default 2026–2028.
	Triennium Triennium
	// Timing of questions; default DefaultTiming.
	Timing Timing
	// MaxObjectives is how many individual objectives are generated at most; default 8.
	MaxObjectives int
	// Now is the clock (tests move it); default db.Now.
	Now func() time.Time

	fwMu    sync.Mutex
	fwCache map[int64]*Framework
}

// New returns a service with the defaults.
func New(d *db.DB, j *jobs.Runner, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Jobs: j, Log: log}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return db.Now()
}

func (s *Service) triennium() Triennium {
	if s.Triennium.From == 0 {
		return Triennium{2026, 2028}
	}
	return s.Triennium
}

func (s *Service) timing() Timing {
	if s.Timing.SelfSeconds == 0 {
		return DefaultTiming
	}
	return s.Timing
}

func (s *Service) maxObjectives() int {
	if s.MaxObjectives <= 0 {
		return 8
	}
	return s.MaxObjectives
}

func (s *Service) targets() (TargetSource, error) {
	if s.Targets == nil {
		return nil, errK(domain.ECONFLICT, "", "assess.err.no_persona_service", "the Digital Personas service is not available: targets cannot be computed yet")
	}
	return s.Targets, nil
}

// effectiveTargets returns the targets of a professional with the system actor (the caller
// has been checked already).
func (s *Service) effectiveTargets(ctx context.Context, profID int64) ([]Target, PersonaInfo, error) {
	src, err := s.targets()
	if err != nil {
		return nil, PersonaInfo{}, err
	}
	sys := domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), domain.RequestIDFrom(ctx))
	t, p, err := src.EffectiveTargets(sys, profID)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return nil, PersonaInfo{}, errK(domain.ECONFLICT, "", "assess.err.no_persona", "no Digital Persona is assigned to this professional yet")
		}
		return nil, PersonaInfo{}, err
	}
	return t, p, nil
}

// Professional is what this capability needs of a registry professional: where they are, for
// scope checks, and their name for pages and the dossier.
type Professional struct {
	ID             int64  `json:"id"`
	GivenName      string `json:"given_name"`
	FamilyName     string `json:"family_name"`
	CF             string `json:"-"`
	RegionID       int64  `json:"region_id"`
	OrganisationID int64  `json:"organisation_id,omitempty"`
	Organisation   string `json:"organisation,omitempty"`
}

// Name is "Given Family".
func (p Professional) Name() string { return p.GivenName + " " + p.FamilyName }

func (p Professional) target() domain.Target {
	return domain.Target{RegionID: p.RegionID, OrganisationID: p.OrganisationID, ProfessionalID: p.ID}
}

func (s *Service) professional(ctx context.Context, q db.Querier, id int64) (Professional, error) {
	var p Professional
	var org sql.NullInt64
	var orgName sql.NullString
	err := q.QueryRowContext(ctx, `SELECT p.id, p.given_name, p.family_name, p.cf_display, p.region_id, p.organisation_id, o.name
		FROM professionals p LEFT JOIN organisations o ON o.id = p.organisation_id WHERE p.id = $1`, id).
		Scan(&p.ID, &p.GivenName, &p.FamilyName, &p.CF, &p.RegionID, &org, &orgName)
	if err == sql.ErrNoRows {
		return p, domain.NotFound("professional")
	}
	if err != nil {
		return p, err
	}
	p.OrganisationID, p.Organisation = org.Int64, orgName.String
	return p, nil
}
