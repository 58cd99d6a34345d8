package domain

import "context"

// Role is what a user may do; its Scope says over what.
type Role string

// The roles of product.md. Each grant pairs one role with one scope.
const (
	RoleNational     Role = "national"     // national governance: the whole country
	RoleRegional     Role = "regional"     // regional referent: one region or autonomous province
	RoleOrganisation Role = "organisation" // training office of one health organisation
	RoleProvider     Role = "provider"     // one ECM training provider
	RoleProfessional Role = "professional" // a health professional: self only
	RoleAnalyst      Role = "analyst"      // aggregates only, never individual data
	RoleSystem       Role = "system"       // the platform itself: CLI, migrations, seed, jobs
)

// Roles lists the human roles in display order.
var Roles = []Role{RoleNational, RoleRegional, RoleOrganisation, RoleProvider, RoleProfessional, RoleAnalyst}

// Valid reports whether r is a role a user can hold.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Actor is who is calling a service: a user (through a session or an API token) or the
// system. Services read it from the context and check every call against it.
type Actor struct {
	UserID         int64
	Username       string
	Role           Role
	RegionID       int64 // scope of RoleRegional; for others the region of their organisation if known
	OrganisationID int64 // scope of RoleOrganisation and RoleProvider (a provider is an organisation)
	ProfessionalID int64 // scope of RoleProfessional
	TokenID        int64 // set when the call came with an API token
}

// SystemActor is the actor of the CLI, the seed and background jobs.
var SystemActor = Actor{Role: RoleSystem, Username: "system"}

// IsNationalOrSystem reports whether the actor sees the whole country.
func (a Actor) IsNationalOrSystem() bool { return a.Role == RoleNational || a.Role == RoleSystem }

// Authenticated reports whether there is somebody behind the actor.
func (a Actor) Authenticated() bool { return a.Role != "" }

// Target locates a piece of individual data for scope checks.
type Target struct {
	RegionID       int64
	OrganisationID int64
	ProfessionalID int64
}

// CanSeeIndividual reports whether the actor may read individual data located at t. Analysts
// and providers never see individual registry data through this rule (providers see their own
// participants through the catalogue's rules instead).
func (a Actor) CanSeeIndividual(t Target) bool {
	switch a.Role {
	case RoleSystem, RoleNational:
		return true
	case RoleRegional:
		return a.RegionID != 0 && t.RegionID == a.RegionID
	case RoleOrganisation:
		return a.OrganisationID != 0 && t.OrganisationID == a.OrganisationID
	case RoleProfessional:
		return a.ProfessionalID != 0 && t.ProfessionalID == a.ProfessionalID
	}
	return false
}

// CanEditIndividual reports whether the actor may change registry data located at t.
// Professionals may not edit their own registry record (their organisation or region does).
func (a Actor) CanEditIndividual(t Target) bool {
	if a.Role == RoleProfessional {
		return false
	}
	return a.CanSeeIndividual(t)
}

// CanSeeAggregates reports whether the actor may read aggregates (with small cells
// suppressed) for the given region and organisation (0 = all).
func (a Actor) CanSeeAggregates(regionID, orgID int64) bool {
	switch a.Role {
	case RoleSystem, RoleNational, RoleAnalyst:
		return true
	case RoleRegional:
		return regionID == a.RegionID
	case RoleOrganisation:
		return orgID == a.OrganisationID
	}
	return false
}

type ctxKey int

const (
	actorKey ctxKey = iota
	requestIDKey
)

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the actor of the context; the zero Actor (not authenticated) if none.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey).(Actor)
	return a
}

// WithRequestID returns a context carrying the request id used by the audit trail and logs.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request id of the context, or "".
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// Require returns EUNAUTHORIZED when nobody is behind ctx and EFORBIDDEN when the actor's
// role is not among roles; otherwise the actor.
func Require(ctx context.Context, roles ...Role) (Actor, error) {
	a := ActorFrom(ctx)
	if !a.Authenticated() {
		return a, &Error{Code: EUNAUTHORIZED, Message: "login required"}
	}
	if a.Role == RoleSystem {
		return a, nil
	}
	for _, r := range roles {
		if a.Role == r {
			return a, nil
		}
	}
	return a, Forbidden("role %s may not do this", a.Role)
}
