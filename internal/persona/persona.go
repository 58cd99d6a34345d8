// Package persona runs the Indirizzo phase of the model: Digital Personas defined nationally
// per framework version, each with a target level (or range, or "not required") per line of
// the portfolio; assignment rules that give every professional a persona from their
// profession, discipline, care setting and role; regional and organisational overlays that
// may raise targets or add lines; and the profile of each professional (which persona, from
// which rule or manual override). The effective targets of a professional, which the
// assessment capability turns into gaps and objectives, are a pure function of the
// persona's targets and the overlays of the professional's region and organisation.
package persona

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// Service is the persona capability. Every method checks the caller's role and scope.
type Service struct {
	DB   *db.DB
	Jobs *jobs.Runner
	Log  *slog.Logger
	// AutoReassign starts a background re-assignment after each change of the rules.
	AutoReassign bool

	// run coalesces background re-assignments: a request arriving while one runs makes it
	// do one more pass (per framework version) instead of starting a concurrent job.
	run struct {
		sync.Mutex
		running bool
		pending map[int64]bool
		jobID   int64
	}
	// streamMu serialises the streaming passes themselves (jobs, CLI, demo, benchmarks).
	streamMu sync.Mutex
}

// New returns a service over d that starts background work with j.
func New(d *db.DB, j *jobs.Runner, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Jobs: j, Log: log, AutoReassign: true}
}

// Persona is a Digital Persona of one framework version.
type Persona struct {
	ID             int64     `json:"id"`
	FrameworkID    int64     `json:"framework_id"`
	Code           string    `json:"code"`
	NameIT         string    `json:"name_it"`
	NameEN         string    `json:"name_en"`
	DescriptionIT  string    `json:"description_it"`
	DescriptionEN  string    `json:"description_en"`
	ExampleRolesIT []string  `json:"example_roles_it"`
	ExampleRolesEN []string  `json:"example_roles_en"`
	Illustrative   bool      `json:"illustrative"`
	AllowLower     bool      `json:"allow_lower"`
	Position       int       `json:"position"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Targets are filled by GetPersona, in portfolio order.
	Targets []Target `json:"targets,omitempty"`
}

// Name returns the persona's name in lang, falling back to Italian.
func (p Persona) Name(lang string) string {
	if lang == "en" && p.NameEN != "" {
		return p.NameEN
	}
	return p.NameIT
}

// Description returns the description in lang, falling back to Italian.
func (p Persona) Description(lang string) string {
	if lang == "en" && p.DescriptionEN != "" {
		return p.DescriptionEN
	}
	return p.DescriptionIT
}

// Roles returns the example roles in lang, falling back to Italian.
func (p Persona) Roles(lang string) []string {
	if lang == "en" && len(p.ExampleRolesEN) > 0 {
		return p.ExampleRolesEN
	}
	return p.ExampleRolesIT
}

// Target sources: where an effective target came from.
const (
	SourceNational     = "national"
	SourceRegion       = "region"
	SourceOrganisation = "organisation"
)

// Target is the target on one line: a level (Min = Max), a range (Min < Max) or, when
// Required is false, "not required" (Min = Max = 0).
type Target struct {
	LineID   int64  `json:"line_id"`
	LineCode string `json:"line_code"`
	Required bool   `json:"required"`
	Min      int    `json:"min,omitempty"`
	Max      int    `json:"max,omitempty"`
	// AllowLower: national governance lets overlays lower this line's minimum (national
	// targets only).
	AllowLower bool `json:"allow_lower,omitempty"`
	// Source says which layer set an effective target: national, region or organisation.
	Source string `json:"source,omitempty"`
	row    int    // the editor row it came from, for error reports
}

// Label renders the target as "2", "2–3" or "–".
func (t Target) Label() string {
	if !t.Required {
		return "–"
	}
	if t.Min == t.Max {
		return itoa(t.Min)
	}
	return itoa(t.Min) + "–" + itoa(t.Max)
}

// TargetInput is one line of a target or overlay editor: the line by id or code, and either
// required with a level (Level) or range (Min, Max), or not required.
type TargetInput struct {
	LineID   int64  `json:"line_id,omitempty"`
	LineCode string `json:"line_code,omitempty"`
	Required bool   `json:"required"`
	// Level sets Min = Max; otherwise Min and Max give a range.
	Level      int  `json:"level,omitempty"`
	Min        int  `json:"min,omitempty"`
	Max        int  `json:"max,omitempty"`
	AllowLower bool `json:"allow_lower,omitempty"`
}

// PersonaInput creates or changes a persona's description (targets are set separately).
type PersonaInput struct {
	FrameworkID    int64    `json:"framework_id,omitempty"`
	Code           string   `json:"code"`
	NameIT         string   `json:"name_it"`
	NameEN         string   `json:"name_en"`
	DescriptionIT  string   `json:"description_it"`
	DescriptionEN  string   `json:"description_en"`
	ExampleRolesIT []string `json:"example_roles_it"`
	ExampleRolesEN []string `json:"example_roles_en"`
	AllowLower     bool     `json:"allow_lower"`
	Position       int      `json:"position"`
}

func itoa(n int) string { return strconv.Itoa(n) }

// requireNational allows national governance and the system.
func requireNational(ctx context.Context) (domain.Actor, error) {
	return domain.Require(ctx, domain.RoleNational)
}

// requireReader allows every authenticated user: personas and rules are public policy.
func requireReader(ctx context.Context) (domain.Actor, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return a, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	return a, nil
}
