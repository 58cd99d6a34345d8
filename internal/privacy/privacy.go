// Package privacy answers a professional's data-protection rights (GDPR art. 15, 17, 20): the
// export of everything ESD holds about one professional as a machine-readable archive, and
// the erasure or pseudonymisation of their data on request, keeping what ECM law requires.
//
// What belongs to a professional is declared per table in Sources; TestSchemaCoverage
// introspects the schema of both dialects and fails naming any table that refers to a
// professional (or to their account) and is neither exported nor excluded with a reason, so
// a capability that adds a table cannot silently leave it out of the archive.
package privacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"esd/internal/db"
	"esd/internal/domain"
)

// CertificateRenderer renders a certificate's PDF (the certificates capability).
type CertificateRenderer interface {
	PDF(ctx context.Context, id int64) ([]byte, string, error)
}

// Service exports and erases a professional's personal data.
type Service struct {
	DB *db.DB
	// Certificates renders the attestati for the archive; nil leaves the PDFs out (tests of
	// the data alone).
	Certificates CertificateRenderer
	// AfterErase runs after an erasure committed (wired to the monitoring refresh, so the
	// aggregates count the pseudonymised record at once); its error is returned but the
	// erasure stays done.
	AfterErase func(ctx context.Context) error
}

// New returns the service over d.
func New(d *db.DB) *Service { return &Service{DB: d} }

// Subject is the professional an export or erasure is about.
type Subject struct {
	ID             int64  `json:"id"`
	CF             string `json:"codice_fiscale"`
	GivenName      string `json:"given_name"`
	FamilyName     string `json:"family_name"`
	RegionID       int64  `json:"region_id"`
	OrganisationID int64  `json:"organisation_id,omitempty"`
}

// subject loads the professional and checks the actor may reach their personal data: only
// the person themself and national governance (and the system: CLI). Regional referents and
// organisations see registry data in their scope for their duties, but a full copy of
// somebody's data, credentials and audit trail is the data subject's right, exercised by them
// or by the controller (the Ministry, national governance), not a regional duty. Anyone else
// gets ENOTFOUND, so the answer never tells whether the professional exists.
func (s *Service) subject(ctx context.Context, id int64) (Subject, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return Subject{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	allowed := a.IsNationalOrSystem() || (a.Role == domain.RoleProfessional && a.ProfessionalID != 0 && a.ProfessionalID == id)
	if !allowed {
		return Subject{}, domain.NotFound("professional")
	}
	var p Subject
	var org sql.NullInt64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, cf, given_name, family_name, region_id, organisation_id FROM professionals WHERE id = $1`, id).
		Scan(&p.ID, &p.CF, &p.GivenName, &p.FamilyName, &p.RegionID, &org)
	if errors.Is(err, sql.ErrNoRows) {
		return Subject{}, domain.NotFound("professional")
	}
	if err != nil {
		return Subject{}, err
	}
	p.OrganisationID = org.Int64
	return p, nil
}

// ResolveCF finds a professional's id by codice fiscale (the CLI's --cf).
func (s *Service) ResolveCF(ctx context.Context, code string) (int64, error) {
	var id int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id FROM professionals WHERE cf = $1 OR cf_display = $1`, strings.ToUpper(strings.TrimSpace(code))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, domain.NotFound("professional")
	}
	return id, err
}

// Source is one table's rows about a professional: the section of dati.json (and the CSV
// file) they go to, and the condition that selects them with $1 = the professional's id.
type Source struct {
	Section string
	Table   string
	Where   string
	// Omit lists columns never exported: secrets' hashes, which are no information about the
	// person and would only help an attacker holding the archive.
	Omit []string
	// Order is the ORDER BY clause, so the archive is stable.
	Order string
	// Capability names the part of ESD the section belongs to (README.txt groups by it).
	Capability string
	// Legal is the key of the section's explanation in README.txt.
	Legal string
}

// users is the account(s) of the professional, for tables keyed by user id.
const users = `(SELECT id FROM users WHERE professional_id = $1)`

// Sources lists every table that holds data about a professional, in archive order. The
// xAPI statements and documents are found through the professional's learner accounts
// (xapiSection), the audit entries by entity and by actor (auditWhere).
var Sources = []Source{
	{Section: "professional", Table: "professionals", Where: `id = $1`, Order: "id", Capability: "registry", Legal: "registry"},
	{Section: "disciplines", Table: "professional_disciplines", Where: `professional_id = $1`, Order: "profession_code, discipline_code", Capability: "registry", Legal: "registry"},
	{Section: "accounts", Table: "users", Where: `professional_id = $1`, Omit: []string{"password_hash"}, Order: "id", Capability: "accounts", Legal: "accounts"},
	{Section: "sessions", Table: "sessions", Where: `user_id IN ` + users, Omit: []string{"token_hash"}, Order: "created_at", Capability: "accounts", Legal: "accounts"},
	{Section: "api_tokens", Table: "api_tokens", Where: `user_id IN ` + users, Omit: []string{"token_hash"}, Order: "id", Capability: "accounts", Legal: "accounts"},
	{Section: "login_attempts", Table: "login_attempts", Where: `username IN (SELECT username FROM users WHERE professional_id = $1)`, Order: "id", Capability: "accounts", Legal: "security"},
	{Section: "identity_links", Table: "oidc_identities", Where: `user_id IN ` + users + ` OR cf = (SELECT cf FROM professionals WHERE id = $1)`, Order: "broker_id, sub", Capability: "identity", Legal: "accounts"},
	{Section: "identity_cf_links", Table: "oidc_links", Where: `user_id IN ` + users + ` OR cf = (SELECT cf FROM professionals WHERE id = $1)`, Order: "cf", Capability: "identity", Legal: "accounts"},
	{Section: "notifications", Table: "notifications", Where: `user_id IN ` + users, Order: "id", Capability: "governance", Legal: "accounts"},
	{Section: "notification_settings", Table: "notification_settings", Where: `user_id IN ` + users, Order: "user_id", Capability: "governance", Legal: "accounts"},
	{Section: "mail_queue", Table: "mail_queue", Where: `notification_id IN (SELECT id FROM notifications WHERE user_id IN ` + users + `)`, Order: "id", Capability: "governance", Legal: "accounts"},
	{Section: "jobs", Table: "jobs", Where: `owner_user_id IN ` + users, Order: "id", Capability: "accounts", Legal: "accounts"},
	{Section: "governance_approvals", Table: "governance_approvals", Where: `user_id IN ` + users, Order: "id", Capability: "governance", Legal: "accounts"},
	{Section: "event_transitions", Table: "event_transitions", Where: `actor_user_id IN ` + users, Order: "id", Capability: "catalogue", Legal: "accounts"},
	{Section: "profiles", Table: "profiles", Where: `professional_id = $1`, Order: "framework_id", Capability: "personas", Legal: "competence"},
	{Section: "assessments", Table: "assessments", Where: `professional_id = $1`, Order: "id", Capability: "assessment", Legal: "competence"},
	{Section: "assessment_questions", Table: "assessment_questions", Where: `assessment_id IN (SELECT id FROM assessments WHERE professional_id = $1)`, Order: "assessment_id, position", Capability: "assessment", Legal: "competence"},
	{Section: "assessment_answers", Table: "assessment_answers", Where: `assessment_id IN (SELECT id FROM assessments WHERE professional_id = $1)`, Order: "assessment_id, position", Capability: "assessment", Legal: "competence"},
	{Section: "competence_evidence", Table: "competence_evidence", Where: `professional_id = $1`, Order: "id", Capability: "assessment", Legal: "competence"},
	{Section: "competence_levels", Table: "competence_levels", Where: `professional_id = $1`, Order: "professional_id", Capability: "assessment", Legal: "competence"},
	{Section: "objectives", Table: "objectives", Where: `professional_id = $1`, Order: "id", Capability: "assessment", Legal: "competence"},
	{Section: "objective_groups", Table: "objective_group_members", Where: `professional_id = $1`, Order: "group_id", Capability: "assessment", Legal: "competence"},
	{Section: "participations", Table: "participations", Where: `professional_id = $1`, Order: "id", Capability: "participation", Legal: "ecm"},
	{Section: "attendance", Table: "participation_sessions", Where: `participation_id IN (SELECT id FROM participations WHERE professional_id = $1)`, Order: "participation_id, session_date", Capability: "participation", Legal: "ecm"},
	{Section: "credit_entries", Table: "credit_entries", Where: `professional_id = $1`, Order: "id", Capability: "credits", Legal: "ecm"},
	{Section: "credit_balances", Table: "credit_balances", Where: `professional_id = $1`, Order: "triennium", Capability: "credits", Legal: "ecm"},
	{Section: "certificates", Table: "certificates", Where: `professional_id = $1`, Order: "id", Capability: "certificates", Legal: "ecm"},
	{Section: "badges", Table: "badge_credentials", Where: `professional_id = $1`, Order: "id", Capability: "badges", Legal: "competence"},
	{Section: "xapi_learners", Table: "xapi_learners", Where: `professional_id = $1`, Order: "provider_id, home_page, name", Capability: "xapi", Legal: "ecm"},
	{Section: "xapi_projections", Table: "xapi_projections", Where: `professional_id = $1`, Order: "statement_seq", Capability: "xapi", Legal: "ecm"},
	{Section: "monitor_facts", Table: "monitor_facts", Where: `professional_id = $1`, Order: "professional_id", Capability: "monitor", Legal: "monitor"},
	{Section: "privacy_requests", Table: "privacy_requests", Where: `professional_id = $1`, Order: "id", Capability: "privacy", Legal: "privacy"},
	{Section: "audit", Table: "audit_log", Where: auditWhere, Order: "id", Capability: "audit", Legal: "audit"},
}

// SpecialSources are tables exported by code of their own rather than by a Where: the xAPI
// statements (packed, found through the learner's account key hash) and documents (filed
// under the account key).
var SpecialSources = map[string]string{
	"xapi_statements": "xapi_statements",
	"xapi_documents":  "xapi_documents",
}

// auditEntities are the audit entity names whose ids are rows of a professional's tables.
var auditEntities = [][2]string{
	{"professional", `SELECT CAST(id AS TEXT) FROM professionals WHERE id = $1`},
	{"user", `SELECT CAST(id AS TEXT) FROM users WHERE professional_id = $1`},
	{"participation", `SELECT CAST(id AS TEXT) FROM participations WHERE professional_id = $1`},
	{"certificate", `SELECT CAST(id AS TEXT) FROM certificates WHERE professional_id = $1`},
	{"assessment", `SELECT CAST(id AS TEXT) FROM assessments WHERE professional_id = $1`},
	{"objective", `SELECT CAST(id AS TEXT) FROM objectives WHERE professional_id = $1`},
	{"credit_entry", `SELECT CAST(id AS TEXT) FROM credit_entries WHERE professional_id = $1`},
	{"badge", `SELECT CAST(id AS TEXT) FROM badge_credentials WHERE professional_id = $1`},
	{"profile", `SELECT CAST(id AS TEXT) FROM professionals WHERE id = $1`},
	{"privacy_request", `SELECT CAST(id AS TEXT) FROM privacy_requests WHERE professional_id = $1`},
}

// auditWhere selects the entries about the professional (by entity) and those made by
// their accounts.
var auditWhere = func() string {
	var b strings.Builder
	b.WriteString("actor_user_id IN " + users)
	for _, e := range auditEntities {
		fmt.Fprintf(&b, " OR (entity = '%s' AND entity_id IN (%s))", e[0], e[1])
	}
	return b.String()
}()

// Excluded lists the tables that refer to a professional but are left out of the archive,
// each with the reason (README.txt prints them too).
var Excluded = map[string]string{
	"professional_search_tokens": "indice di ricerca derivato dal nome, già presente nella sezione professional / search index derived from the name, which the professional section holds",
	"badge_pending":              "coda tecnica dei badge da emettere, svuotata entro un secondo; i badge emessi sono nella sezione dei badge / a transient queue of badges to issue, emptied within a second; the issued badges are in the badges section",
	"monitor_dirty":              "coda tecnica temporanea con il solo identificativo, svuotata a ogni aggiornamento degli aggregati / a transient queue holding only the id, emptied at every aggregate refresh",
}

// query runs one source for a professional and returns its rows as column → value maps,
// with the columns in table order.
func (s *Service) query(ctx context.Context, src Source, id int64) ([]string, []map[string]any, error) {
	q := `SELECT * FROM ` + src.Table + ` WHERE ` + src.Where
	if src.Order != "" {
		q += " ORDER BY " + src.Order
	}
	rows, err := s.DB.Read.QueryContext(ctx, q, id)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", src.Table, err)
	}
	defer rows.Close()
	return scanAll(rows, src.Omit)
}

// scanAll reads every row generically, leaving out the omitted columns.
func scanAll(rows *sql.Rows, omit []string) ([]string, []map[string]any, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	skip := map[string]bool{}
	for _, o := range omit {
		skip[o] = true
	}
	var keep []string
	for _, c := range cols {
		if !skip[c] {
			keep = append(keep, c)
		}
	}
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		m := make(map[string]any, len(keep))
		for i, c := range cols {
			if !skip[c] {
				m[c] = normalise(vals[i])
			}
		}
		out = append(out, m)
	}
	return keep, out, rows.Err()
}
