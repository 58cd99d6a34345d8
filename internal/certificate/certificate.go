// Package certificate issues the attestati di partecipazione of completed participations,
// renders them as PDF with a verification code and QR code, revokes them, and verifies a
// code publicly (no login) showing only what the certificate states.
package certificate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Statement is what a certificate states, frozen at issue (snapshot_json).
type Statement struct {
	GivenName     string  `json:"given_name"`
	FamilyName    string  `json:"family_name"`
	CF            string  `json:"cf"`
	EventCode     string  `json:"event_code"`
	EventTitle    string  `json:"event_title"`
	EventType     string  `json:"event_type"`
	Hours         float64 `json:"hours"`
	EditionNumber int     `json:"edition_number"`
	StartDate     string  `json:"start_date"`
	EndDate       string  `json:"end_date"`
	Role          string  `json:"role"` // P, D, T, R
	Credits       float64 `json:"credits"`
	CompletedOn   string  `json:"completed_on"`
	ProviderName  string  `json:"provider_name"`
	ProviderCode  string  `json:"provider_code"`
	ObjectiveCode int     `json:"ecm_objective"`
	ObjectiveName string  `json:"ecm_objective_name,omitempty"`
}

// Certificate is one issued certificate.
type Certificate struct {
	ID              int64      `json:"id"`
	Code            string     `json:"code"` // printed form, ABCD-EFGH-JKMN-P
	ParticipationID int64      `json:"participation_id"`
	ProfessionalID  int64      `json:"professional_id"`
	EventID         int64      `json:"event_id"`
	EditionID       int64      `json:"edition_id"`
	ProviderID      int64      `json:"provider_id"`
	IssuedAt        time.Time  `json:"issued_at"`
	IssuedBy        string     `json:"issued_by,omitempty"`
	RevokedAt       *time.Time `json:"revoked_at,omitempty"`
	RevokeReason    string     `json:"revoke_reason,omitempty"`
	RevokedBy       string     `json:"revoked_by,omitempty"`
	Statement       Statement  `json:"statement"`
	regionID, orgID int64
}

// Valid reports whether the certificate is not revoked.
func (c Certificate) Valid() bool { return c.RevokedAt == nil }

// Verification is the public answer for a code: the certificate's statement without the
// codice fiscale, and whether it is valid or since when and why it was revoked.
type Verification struct {
	Code         string     `json:"code"`
	Valid        bool       `json:"valid"`
	IssuedAt     time.Time  `json:"issued_at"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	GivenName    string     `json:"given_name"`
	FamilyName   string     `json:"family_name"`
	EventCode    string     `json:"event_code"`
	EventTitle   string     `json:"event_title"`
	StartDate    string     `json:"start_date"`
	EndDate      string     `json:"end_date"`
	Role         string     `json:"role"`
	Credits      float64    `json:"credits"`
	CompletedOn  string     `json:"completed_on"`
	ProviderName string     `json:"provider_name"`
}

// Service is the certificates capability.
type Service struct {
	DB *db.DB
	// PublicURL is the base of the verification URL printed in the QR code
	// (ESD_PUBLIC_URL); when empty the request's own base (WithBaseURL) is used.
	PublicURL string
	now       func() time.Time
}

// New returns the service.
func New(d *db.DB, publicURL string) *Service {
	return &Service{DB: d, PublicURL: strings.TrimRight(publicURL, "/"), now: db.Now}
}

type baseKey struct{}

// WithBaseURL carries the base URL of the current request ("https://host") for the QR code
// when no PublicURL is configured.
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, strings.TrimRight(base, "/"))
}

// VerifyURL is the public verification address of a code.
func (s *Service) VerifyURL(ctx context.Context, code string) string {
	base := s.PublicURL
	if base == "" {
		base, _ = ctx.Value(baseKey{}).(string)
	}
	if base == "" {
		base = "http://localhost:8080"
	}
	return base + "/verifica/" + FormatCode(strings.ReplaceAll(code, "-", ""))
}

// readers are the roles that may see certificates (each within its scope).
var readers = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProvider, domain.RoleProfessional}

// scope is where a participation or certificate is, for the permission rules.
type scope struct {
	regionID, orgID, professionalID, providerID int64
}

func canSee(a domain.Actor, s scope) bool {
	if a.Role == domain.RoleProvider {
		return a.OrganisationID != 0 && a.OrganisationID == s.providerID
	}
	return a.CanSeeIndividual(domain.Target{RegionID: s.regionID, OrganisationID: s.orgID, ProfessionalID: s.professionalID})
}

// canRevoke: revoking is the issuer's act (the provider of the event) or governance's
// (national, the region's referent); professionals and training offices cannot.
func canRevoke(a domain.Actor, s scope) bool {
	switch a.Role {
	case domain.RoleSystem, domain.RoleNational:
		return true
	case domain.RoleRegional:
		return a.RegionID != 0 && a.RegionID == s.regionID
	case domain.RoleProvider:
		return a.OrganisationID != 0 && a.OrganisationID == s.providerID
	}
	return false
}

const participationQuery = `SELECT p.id, p.state, p.role, p.credits, p.completed_on, p.professional_id, p.region_id, COALESCE(p.organisation_id, 0),
	p.event_id, p.edition_id, e.provider_id,
	pr.given_name, pr.family_name, pr.cf_display,
	e.code, e.title, e.type, e.hours, e.objective_code,
	COALESCE((SELECT o.name FROM ecm_objectives o WHERE o.code = e.objective_code ORDER BY o.list_version DESC LIMIT 1), ''),
	ed.number, ed.start_date, ed.end_date, org.name, org.code
	FROM participations p
	JOIN professionals pr ON pr.id = p.professional_id
	JOIN events e ON e.id = p.event_id
	JOIN event_editions ed ON ed.id = p.edition_id
	JOIN organisations org ON org.id = e.provider_id
	WHERE p.id = $1`

type participation struct {
	id        int64
	state     string
	sc        scope
	eventID   int64
	editionID int64
	st        Statement
}

func loadParticipation(ctx context.Context, q db.Querier, id int64) (participation, error) {
	var p participation
	err := q.QueryRowContext(ctx, participationQuery, id).Scan(&p.id, &p.state, &p.st.Role, &p.st.Credits, &p.st.CompletedOn,
		&p.sc.professionalID, &p.sc.regionID, &p.sc.orgID, &p.eventID, &p.editionID, &p.sc.providerID,
		&p.st.GivenName, &p.st.FamilyName, &p.st.CF, &p.st.EventCode, &p.st.EventTitle, &p.st.EventType, &p.st.Hours,
		&p.st.ObjectiveCode, &p.st.ObjectiveName, &p.st.EditionNumber, &p.st.StartDate, &p.st.EndDate, &p.st.ProviderName, &p.st.ProviderCode)
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.NotFound("participation")
	}
	return p, err
}

const certColumns = `id, code, participation_id, professional_id, event_id, edition_id, provider_id, region_id, COALESCE(organisation_id, 0),
	issued_at, issued_by, revoked_at, revoke_reason, revoked_by, snapshot_json`

func scanCert(row interface{ Scan(...any) error }) (Certificate, error) {
	var c Certificate
	var revoked sql.NullTime
	var snap string
	if err := row.Scan(&c.ID, &c.Code, &c.ParticipationID, &c.ProfessionalID, &c.EventID, &c.EditionID, &c.ProviderID, &c.regionID, &c.orgID,
		&c.IssuedAt, &c.IssuedBy, &revoked, &c.RevokeReason, &c.RevokedBy, &snap); err != nil {
		return c, err
	}
	c.Code = FormatCode(c.Code)
	c.IssuedAt = c.IssuedAt.UTC()
	if revoked.Valid {
		t := revoked.Time.UTC()
		c.RevokedAt = &t
	}
	if err := json.Unmarshal([]byte(snap), &c.Statement); err != nil {
		return c, domain.Errorf(domain.EINTERNAL, "certificate %d: bad snapshot: %v", c.ID, err)
	}
	return c, nil
}

func (c Certificate) scope() scope {
	return scope{regionID: c.regionID, orgID: c.orgID, professionalID: c.ProfessionalID, providerID: c.ProviderID}
}

// Issue returns the live certificate of a completed participation, issuing it if there is
// none. If the participation's credits or role (or the names and dates it states) changed
// since the live one was issued, that one is revoked with the reason and a new one issued,
// so a certificate never states what the participation no longer says. Anyone who may see
// the participation's certificates may ask for it.
func (s *Service) Issue(ctx context.Context, participationID int64) (Certificate, error) {
	a, err := domain.Require(ctx, readers...)
	if err != nil {
		return Certificate{}, err
	}
	var out Certificate
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err := loadParticipation(ctx, tx, participationID)
		if err != nil {
			return err
		}
		if !canSee(a, p.sc) {
			return domain.NotFound("participation")
		}
		if p.state != "completed" {
			return domain.Errorf(domain.ECONFLICT, "participation %d is %s, not completed: no certificate", p.id, p.state)
		}
		live, err := scanCert(tx.QueryRowContext(ctx, `SELECT `+certColumns+` FROM certificates WHERE participation_id = $1 AND revoked_at IS NULL`, p.id))
		switch {
		case err == nil:
			if live.Statement == p.st {
				out = live
				return nil
			}
			reason := changeReason(live.Statement, p.st)
			if _, err := tx.ExecContext(ctx, `UPDATE certificates SET revoked_at = $1, revoke_reason = $2, revoked_by = $3 WHERE id = $4`,
				s.now(), reason, a.Username, live.ID); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Change{Action: "revoke", Entity: "certificate", EntityID: live.ID, RegionID: p.sc.regionID,
				Before: map[string]any{"code": live.Code}, After: map[string]any{"code": live.Code, "reason": reason}}); err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
		default:
			return err
		}
		snap, _ := json.Marshal(p.st)
		code := NewCode()
		now := s.now()
		var org any
		if p.sc.orgID != 0 {
			org = p.sc.orgID
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO certificates (code, participation_id, professional_id, event_id, edition_id, provider_id,
			region_id, organisation_id, issued_at, issued_by, snapshot_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			code, p.id, p.sc.professionalID, p.eventID, p.editionID, p.sc.providerID, p.sc.regionID, org, now, a.Username, string(snap)).Scan(&id); err != nil {
			return db.MapError(err)
		}
		out = Certificate{ID: id, Code: FormatCode(code), ParticipationID: p.id, ProfessionalID: p.sc.professionalID, EventID: p.eventID,
			EditionID: p.editionID, ProviderID: p.sc.providerID, IssuedAt: now, IssuedBy: a.Username, Statement: p.st, regionID: p.sc.regionID, orgID: p.sc.orgID}
		// the audit entry names the participation and the code, never the codice fiscale
		return audit.Record(ctx, tx, audit.Change{Action: "issue", Entity: "certificate", EntityID: id, RegionID: p.sc.regionID,
			After: map[string]any{"code": out.Code, "participation_id": p.id, "role": p.st.Role, "credits": p.st.Credits}})
	})
	return out, err
}

func changeReason(old, cur Statement) string {
	var parts []string
	if old.Credits != cur.Credits {
		parts = append(parts, "crediti modificati")
	}
	if old.Role != cur.Role {
		parts = append(parts, "ruolo modificato")
	}
	if len(parts) == 0 {
		parts = append(parts, "dati della partecipazione modificati")
	}
	return "Sostituito da un nuovo attestato: " + strings.Join(parts, ", ")
}

// Get returns a certificate the caller may see.
func (s *Service) Get(ctx context.Context, id int64) (Certificate, error) {
	a, err := domain.Require(ctx, readers...)
	if err != nil {
		return Certificate{}, err
	}
	c, err := scanCert(s.DB.Read.QueryRowContext(ctx, `SELECT `+certColumns+` FROM certificates WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !canSee(a, c.scope())) {
		return Certificate{}, domain.NotFound("certificate")
	}
	return c, err
}

// ForParticipation returns the certificates of a participation, the live one first, then the
// revoked ones newest first (ENOTFOUND when none was issued or it is out of scope).
func (s *Service) ForParticipation(ctx context.Context, participationID int64) ([]Certificate, error) {
	a, err := domain.Require(ctx, readers...)
	if err != nil {
		return nil, err
	}
	cs, err := s.query(ctx, `WHERE participation_id = $1 ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, id DESC`, participationID)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 || !canSee(a, cs[0].scope()) {
		return nil, domain.NotFound("certificate")
	}
	return cs, nil
}

// List returns the certificates of a professional the caller may see, newest first; a
// provider sees only those of its own events.
func (s *Service) List(ctx context.Context, professionalID int64) ([]Certificate, error) {
	a, err := domain.Require(ctx, readers...)
	if err != nil {
		return nil, err
	}
	if a.Role == domain.RoleProvider {
		return s.query(ctx, `WHERE professional_id = $1 AND provider_id = $2 ORDER BY issued_at DESC, id DESC`, professionalID, a.OrganisationID)
	}
	var reg int64
	var org sql.NullInt64
	err = s.DB.Read.QueryRowContext(ctx, `SELECT region_id, organisation_id FROM professionals WHERE id = $1`, professionalID).Scan(&reg, &org)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("professional")
	}
	if err != nil {
		return nil, err
	}
	all, err := s.query(ctx, `WHERE professional_id = $1 ORDER BY issued_at DESC, id DESC`, professionalID)
	if err != nil {
		return nil, err
	}
	// Each certificate is checked at its own scope (where the training was done); a caller who
	// cannot see the professional at all gets ENOTFOUND rather than an empty list.
	var out []Certificate
	for _, c := range all {
		if canSee(a, c.scope()) {
			out = append(out, c)
		}
	}
	if len(out) == 0 && !a.CanSeeIndividual(domain.Target{RegionID: reg, OrganisationID: org.Int64, ProfessionalID: professionalID}) {
		return nil, domain.NotFound("professional")
	}
	return out, nil
}

func (s *Service) query(ctx context.Context, where string, args ...any) ([]Certificate, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+certColumns+` FROM certificates `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Revoke revokes a live certificate with a reason (the provider of the event, the region's
// referent, national governance). Revoking a revoked certificate is ECONFLICT.
func (s *Service) Revoke(ctx context.Context, id int64, reason string) (Certificate, error) {
	a, err := domain.Require(ctx, readers...)
	if err != nil {
		return Certificate{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Certificate{}, domain.Invalid("reason", "a reason is required to revoke a certificate")
	}
	if len([]rune(reason)) > 500 {
		return Certificate{}, domain.Invalid("reason", "the reason is longer than 500 characters")
	}
	var out Certificate
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := scanCert(tx.QueryRowContext(ctx, `SELECT `+certColumns+` FROM certificates WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !canSee(a, c.scope())) {
			return domain.NotFound("certificate")
		}
		if err != nil {
			return err
		}
		if !canRevoke(a, c.scope()) {
			return domain.Forbidden("only the event's provider, the region or national governance revoke a certificate")
		}
		if c.RevokedAt != nil {
			return domain.Errorf(domain.ECONFLICT, "certificate %s was already revoked on %s", c.Code, c.RevokedAt.Format("2006-01-02"))
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE certificates SET revoked_at = $1, revoke_reason = $2, revoked_by = $3 WHERE id = $4 AND revoked_at IS NULL`,
			now, reason, a.Username, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domain.Errorf(domain.ECONFLICT, "certificate %s was revoked meanwhile", c.Code)
		}
		c.RevokedAt, c.RevokeReason, c.RevokedBy = &now, reason, a.Username
		out = c
		return audit.Record(ctx, tx, audit.Change{Action: "revoke", Entity: "certificate", EntityID: id, RegionID: c.regionID,
			Before: map[string]any{"code": c.Code}, After: map[string]any{"code": c.Code, "reason": reason}})
	})
	return out, err
}

// Verify looks a code up for anyone, logged in or not. A malformed code or a wrong check
// character is ENOTFOUND without a query; the answer states only what the certificate
// states (no codice fiscale, nothing else about the person) and its validity.
func (s *Service) Verify(ctx context.Context, code string) (Verification, error) {
	canon, ok := ParseCode(code)
	if !ok {
		return Verification{}, domain.NotFound("certificate")
	}
	c, err := scanCert(s.DB.Read.QueryRowContext(ctx, `SELECT `+certColumns+` FROM certificates WHERE code = $1`, canon))
	if errors.Is(err, sql.ErrNoRows) {
		return Verification{}, domain.NotFound("certificate")
	}
	if err != nil {
		return Verification{}, err
	}
	st := c.Statement
	return Verification{Code: c.Code, Valid: c.Valid(), IssuedAt: c.IssuedAt, RevokedAt: c.RevokedAt, RevokeReason: c.RevokeReason,
		GivenName: st.GivenName, FamilyName: st.FamilyName, EventCode: st.EventCode, EventTitle: st.EventTitle,
		StartDate: st.StartDate, EndDate: st.EndDate, Role: st.Role, Credits: st.Credits, CompletedOn: st.CompletedOn,
		ProviderName: st.ProviderName}, nil
}
