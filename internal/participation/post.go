package participation

import (
	"context"
	"strings"

	"esd/internal/cf"
	"esd/internal/domain"
	"esd/internal/rapporto"
)

// PostInput is one participation a provider's system posts through the API.
type PostInput struct {
	CF          string  `json:"codice_fiscale"`
	GivenName   string  `json:"given_name,omitempty"`
	FamilyName  string  `json:"family_name,omitempty"`
	Role        string  `json:"role"`
	Credits     float64 `json:"credits"`
	CompletedOn string  `json:"completed_on"`
	Employment  string  `json:"employment,omitempty"` // L D C P
	Recruited   bool    `json:"recruited,omitempty"`
	Sponsor     string  `json:"sponsor,omitempty"`
	// Professions as reported, "1.58:14.85" (default the registry's)
	Professions string `json:"professions,omitempty"`
}

// Post records participations of one edition from a provider's system: the same checks as a
// report, all or nothing, idempotent by edition and codice fiscale (posting the same
// participation again changes nothing). Credits stay pending until the edition's report.
func (s *Service) Post(ctx context.Context, editionID int64, in []PostInput) (ImportResult, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return ImportResult{}, err
	}
	if len(in) == 0 {
		return ImportResult{}, domain.Invalid("participations", "post at least one participation")
	}
	rep := rapporto.Report{Format: "api"}
	for i, p := range in {
		pt := rapporto.Participant{Line: i + 1, CF: p.CF, GivenName: p.GivenName, FamilyName: p.FamilyName, Role: p.Role, Employment: p.Employment,
			Recruited: p.Recruited, Sponsor: p.Sponsor, Credits: p.Credits, AcquiredOn: p.CompletedOn}
		pt.Professions = groupPairs(parsePairs(p.Professions))
		rep.Participants = append(rep.Participants, pt)
	}
	return s.importParsed(ctx, a, rep, ImportInput{Name: "API", EditionID: editionID}, "", false)
}

// ProfessionalByCF finds a professional in the caller's scope by codice fiscale (any spelling).
func (s *Service) ProfessionalByCF(ctx context.Context, code string) (int64, error) {
	a := domain.ActorFrom(ctx)
	n, err := cf.Normalise(strings.TrimSpace(code))
	if err != nil {
		return 0, domain.Invalid("cf", "invalid codice fiscale: %v", err)
	}
	ps, err := s.people(ctx, s.DB.Read, `p.cf = $1`, n)
	if err != nil {
		return 0, err
	}
	if len(ps) == 0 || !a.CanSeeIndividual(ps[0].target()) {
		return 0, domain.NotFound("professional")
	}
	return ps[0].ID, nil
}
