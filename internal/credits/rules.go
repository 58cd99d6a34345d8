package credits

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"esd/internal/domain"
)

//go:embed data/rules.json
var embeddedRules []byte

// Rules is one version of the credit rule data: the trienni with their obligation, the
// reductions earned in the previous triennium, the caps on individual training, the dossier
// bonuses and the credits each role earns. Every rule carries its source; rules not
// confirmed by domain.md say so (Confirmed false) with a note.
type Rules struct {
	Version    string        `json:"version"`
	Title      string        `json:"title"`
	Source     string        `json:"source"`
	Trienni    []Triennium   `json:"trienni"`
	Reductions []Reduction   `json:"reductions"`
	Caps       Caps          `json:"caps"`
	Dossier    []DossierRule `json:"dossier"`
	Roles      []RoleRule    `json:"roles"`
}

// Triennium is one three-year period with its obligation in credits.
type Triennium struct {
	Start        int     `json:"start"`
	End          int     `json:"end"`
	Obligation   float64 `json:"obligation"`
	AnnualLimits bool    `json:"annual_limits"`
	Source       string  `json:"source"`
}

// StartDate is the first day of the triennium.
func (t Triennium) StartDate() time.Time { return time.Date(t.Start, 1, 1, 0, 0, 0, 0, time.UTC) }

// EndDate is the last day of the triennium.
func (t Triennium) EndDate() time.Time { return time.Date(t.End, 12, 31, 0, 0, 0, 0, time.UTC) }

// Label is "2026–2028".
func (t Triennium) Label() string { return fmt.Sprintf("%d–%d", t.Start, t.End) }

// Reduction lowers the obligation of a triennium by Credits when the credits counted in the
// previous triennium are between Min and Max (Max 0 = no upper bound).
type Reduction struct {
	Min       float64 `json:"min"`
	Max       float64 `json:"max,omitempty"`
	Credits   float64 `json:"credits"`
	Confirmed bool    `json:"confirmed"`
	Source    string  `json:"source"`
	Note      string  `json:"note,omitempty"`
}

// Caps are the shares of the (effective) obligation that individual training and
// self-training may cover at most.
type Caps struct {
	IndividualShare   float64 `json:"individual_share"`
	SelfTrainingShare float64 `json:"self_training_share"`
	Source            string  `json:"source"`
	Note              string  `json:"note,omitempty"`
}

// DossierRule is the bonus of a dossier formativo built in Triennium: the building bonus
// counts in that triennium, the realising bonus in the next one.
type DossierRule struct {
	Triennium         int     `json:"triennium"`
	IndividualBuild   float64 `json:"individual_build"`
	IndividualRealise float64 `json:"individual_realise"`
	GroupBuild        float64 `json:"group_build"`
	GroupRealise      float64 `json:"group_realise"`
	Confirmed         bool    `json:"confirmed"`
	Source            string  `json:"source"`
	Note              string  `json:"note,omitempty"`
}

// Role rule methods.
const (
	MethodEvent = "event" // the event's credits
	MethodHours = "hours" // per unit of the role's hours, with caps
)

// RoleRule says what one role earns in events of the listed types.
type RoleRule struct {
	Role  string   `json:"role"`
	Types []string `json:"types"`
	// Method is "event" (the event's credits) or "hours": PerUnit credits per whole
	// UnitHours of the role's hours (hours are not divisible, domain.md §3.4).
	Method    string  `json:"method"`
	UnitHours float64 `json:"unit_hours,omitempty"`
	PerUnit   float64 `json:"per_unit,omitempty"`
	// CapParticipantCredits caps the role at the participants' credits of the event.
	CapParticipantCredits bool `json:"cap_participant_credits,omitempty"`
	// CapHoursMultiple caps the role at this multiple of the event's (participant) hours.
	CapHoursMultiple float64 `json:"cap_hours_multiple,omitempty"`
	Max              float64 `json:"max,omitempty"`
	Confirmed        bool    `json:"confirmed"`
	Source           string  `json:"source"`
	Note             string  `json:"note,omitempty"`
}

// Roles of a participation (rapporto evento).
const (
	RoleParticipant = "P"
	RoleTeacher     = "D"
	RoleTutor       = "T"
	RoleSpeaker     = "R"
)

// EventTypes are the training types a role rule may name.
var EventTypes = []string{"RES", "FAD", "FSC", "BLENDED"}

// DefaultRules returns the embedded rule data.
func DefaultRules() Rules {
	r, err := ParseRules(embeddedRules)
	if err != nil {
		panic("credits: embedded rules: " + err.Error())
	}
	return r
}

// ParseRules decodes and validates rule data; the error names the field.
func ParseRules(b []byte) (Rules, error) {
	var r Rules
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, domain.Invalid("rules", "malformed rule data: %v", err)
	}
	if dec.More() {
		return r, domain.Invalid("rules", "malformed rule data: more after the rules object")
	}
	return r, r.Validate()
}

// Validate checks the rule data: every field a balance needs, in range, with its source.
func (r Rules) Validate() error {
	var ps []domain.Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, domain.Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(r.Version) == "" {
		bad("version", "required")
	}
	if len(r.Trienni) == 0 {
		bad("trienni", "at least one triennium is required")
	}
	for i, t := range r.Trienni {
		f := fmt.Sprintf("trienni[%d]", i)
		if t.Start < 2000 || t.End != t.Start+2 {
			bad(f, "a triennium runs from start to start+2 (got %d-%d)", t.Start, t.End)
		}
		if i > 0 && t.Start != r.Trienni[i-1].End+1 {
			bad(f, "trienni must follow each other without gaps (%d after %d)", t.Start, r.Trienni[i-1].End)
		}
		if t.Obligation <= 0 || t.Obligation > 1000 {
			bad(f+".obligation", "must be between 0 and 1000 (got %g)", t.Obligation)
		}
		if t.Source == "" {
			bad(f+".source", "every rule needs its source")
		}
	}
	for i, x := range r.Reductions {
		f := fmt.Sprintf("reductions[%d]", i)
		if x.Min < 0 || (x.Max != 0 && x.Max < x.Min) || x.Credits <= 0 {
			bad(f, "needs 0 <= min <= max and credits > 0")
		}
		if x.Source == "" {
			bad(f+".source", "every rule needs its source")
		}
	}
	if r.Caps.IndividualShare <= 0 || r.Caps.IndividualShare > 1 || r.Caps.SelfTrainingShare <= 0 || r.Caps.SelfTrainingShare > r.Caps.IndividualShare {
		bad("caps", "shares must satisfy 0 < self_training_share <= individual_share <= 1")
	}
	if r.Caps.Source == "" {
		bad("caps.source", "every rule needs its source")
	}
	for i, d := range r.Dossier {
		f := fmt.Sprintf("dossier[%d]", i)
		if d.IndividualBuild < 0 || d.IndividualRealise < 0 || d.GroupBuild < 0 || d.GroupRealise < 0 {
			bad(f, "bonuses cannot be negative")
		}
		if d.Source == "" {
			bad(f+".source", "every rule needs its source")
		}
	}
	seen := map[string]bool{}
	for i, x := range r.Roles {
		f := fmt.Sprintf("roles[%d]", i)
		if !slices.Contains([]string{RoleParticipant, RoleTeacher, RoleTutor, RoleSpeaker}, x.Role) {
			bad(f+".role", "unknown role %q (P, D, T, R)", x.Role)
		}
		switch x.Method {
		case MethodEvent:
		case MethodHours:
			if x.UnitHours <= 0 || x.PerUnit <= 0 {
				bad(f, "method hours needs unit_hours > 0 and per_unit > 0")
			}
		default:
			bad(f+".method", "unknown method %q (event, hours)", x.Method)
		}
		if len(x.Types) == 0 {
			bad(f+".types", "at least one event type")
		}
		for _, t := range x.Types {
			if !slices.Contains(EventTypes, t) {
				bad(f+".types", "unknown event type %q", t)
			}
			if seen[x.Role+"/"+t] {
				bad(f, "role %s has two rules for %s", x.Role, t)
			}
			seen[x.Role+"/"+t] = true
		}
		if x.Source == "" {
			bad(f+".source", "every rule needs its source")
		}
		if !x.Confirmed && x.Note == "" {
			bad(f+".note", "an unconfirmed rule needs a note saying so")
		}
	}
	for _, role := range []string{RoleParticipant, RoleTeacher, RoleTutor, RoleSpeaker} {
		for _, t := range EventTypes {
			if !seen[role+"/"+t] {
				bad("roles", "no rule for role %s in %s events", role, t)
			}
		}
	}
	if len(ps) > 0 {
		return &domain.Error{Code: domain.EINVALID, Field: "rules", Message: fmt.Sprintf("%d problems in the rule data: %s: %s", len(ps), ps[0].Field, ps[0].Reason), Details: ps}
	}
	return nil
}

// TrienniumByStart returns the triennium that starts in year.
func (r Rules) TrienniumByStart(year int) (Triennium, bool) {
	for _, t := range r.Trienni {
		if t.Start == year {
			return t, true
		}
	}
	return Triennium{}, false
}

// TrienniumOf returns the start year of the triennium a date (YYYY-MM-DD) falls in.
func (r Rules) TrienniumOf(date string) (int, error) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0, domain.Invalid("earned_on", "not a date YYYY-MM-DD: %q", date)
	}
	for _, t := range r.Trienni {
		if d.Year() >= t.Start && d.Year() <= t.End {
			return t.Start, nil
		}
	}
	return 0, domain.Invalid("earned_on", "%s is outside every triennium of the rules (%d-%d)", date, r.Trienni[0].Start, r.Trienni[len(r.Trienni)-1].End)
}

// CurrentTriennium returns the start year of the triennium holding today, or the last one
// configured when today is after them all (the first when before).
func (r Rules) CurrentTriennium(today time.Time) int {
	for _, t := range r.Trienni {
		if today.Year() >= t.Start && today.Year() <= t.End {
			return t.Start
		}
	}
	if today.Year() < r.Trienni[0].Start {
		return r.Trienni[0].Start
	}
	return r.Trienni[len(r.Trienni)-1].Start
}

// RoleInput is what a role's credits depend on.
type RoleInput struct {
	EventType    string  `json:"event_type"` // RES, FAD, FSC, BLENDED
	SubType      int     `json:"subtype"`    // cod_tipologia_form, for the record
	Hours        float64 `json:"hours"`      // the event's (participant) hours
	EventCredits float64 `json:"event_credits"`
	Role         string  `json:"role"`       // P, D, T, R
	RoleHours    float64 `json:"role_hours"` // hours of teaching, tutoring, coordinating
}

// RoleCredits returns the credits a role earns under the rules and the steps of the
// computation in Italian (RoleCreditsWhy gives them as messages for either language).
func RoleCredits(rules Rules, in RoleInput) (float64, []string) {
	c, why := RoleCreditsWhy(rules, in)
	out := make([]string, len(why))
	for i, w := range why {
		out[i] = w.Text("it")
	}
	return c, out
}

// RoleCreditsWhy is RoleCredits with the explanation as translatable messages.
func RoleCreditsWhy(rules Rules, in RoleInput) (float64, []Why) {
	typ := strings.ToUpper(strings.TrimSpace(in.EventType))
	role := strings.ToUpper(strings.TrimSpace(in.Role))
	if role == "" {
		role = RoleParticipant
	}
	var rule *RoleRule
	for i := range rules.Roles {
		if rules.Roles[i].Role == role && slices.Contains(rules.Roles[i].Types, typ) {
			rule = &rules.Roles[i]
			break
		}
	}
	if rule == nil {
		return 0, []Why{why("role.norule", role, typ)}
	}
	var out []Why
	var c float64
	switch rule.Method {
	case MethodEvent:
		c = in.EventCredits
		out = append(out, why("role.event", roleName(role), num(c)))
	case MethodHours:
		units := math.Floor(in.RoleHours/rule.UnitHours + 1e-9)
		c = units * rule.PerUnit
		if rule.UnitHours == 0.5 {
			out = append(out, why("role.halfhours", roleName(role), num(in.RoleHours), num(units), num(rule.PerUnit), num(c)))
		} else {
			out = append(out, why("role.hours", roleName(role), num(in.RoleHours), num(units), num(rule.PerUnit), num(c)))
		}
		if rule.CapHoursMultiple > 0 {
			if lim := rule.CapHoursMultiple * math.Floor(in.Hours+1e-9); c > lim {
				c = lim
				out = append(out, why("role.caphours", num(rule.CapHoursMultiple), num(in.Hours), num(lim)))
			}
		}
		if rule.CapParticipantCredits && c > in.EventCredits {
			c = in.EventCredits
			out = append(out, why("role.capparticipant", num(in.EventCredits)))
		}
	}
	if rule.Max > 0 && c > rule.Max {
		c = rule.Max
		out = append(out, why("role.max", num(rule.Max)))
	}
	if c < 0 {
		c = 0
	}
	if !rule.Confirmed {
		out = append(out, why("role.unconfirmed", rule.Note))
	}
	return round2(c), out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
