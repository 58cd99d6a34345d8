// Package badges issues Open Badges 3.0 credentials (OpenBadgeCredential) for what a
// professional achieved on ESD: objectives achieved on a portfolio line (the level reached,
// aligned to the line's CASE CFItem) and completed ECM training (CertificateOfCompletion with
// the credits as creditsEarned). Credentials are signed as VC-JWT (RS256) with the issuer's
// published keys, revoked through a BitstringStatusList, verified step by step on a public
// page, baked into PNG, shared by link and bundled into a CLR 2.0 learner record.
package badges

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/idkeys"
	"esd/internal/portfolio"
)

// Context URLs, in the order OB 3.0 requires.
const (
	ContextVC  = "https://www.w3.org/ns/credentials/v2"
	ContextOB  = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	ContextCLR = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
	SchemaOB   = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
	// KeyPurpose is the issuer's RSA signing key in idkeys.
	KeyPurpose = "badge-issuer-rs256"
	// IssuerName is the issuer profile's name.
	IssuerName = "ESD – Educazione in Sanità Digitale"
)

// Kinds of credential.
const (
	KindObjective = "objective" // an objective achieved: the level reached on a portfolio line
	KindTraining  = "training"  // a completed ECM event
)

// Service issues, lists, revokes and verifies credentials.
type Service struct {
	DB   *db.DB
	Keys *idkeys.Store
	// BaseURL is the issuer's public HTTPS origin (ESD_PUBLIC_URL); every id is under it.
	BaseURL string
	// Now is the clock (tests move it).
	Now func() time.Time
	// Notify, when set, writes a notification inside the issuing transaction (the
	// governance capability's notification list and e-mail queue).
	Notify func(ctx context.Context, tx *sql.Tx, users []int64, kind, dedup, link, subjectIT, subjectEN, bodyIT, bodyEN string) error
	// Log receives the badge worker's failures.
	Log *slog.Logger

	bgMu    sync.Mutex
	bgStart bool
	// fallback is the origin used outside a request when BaseURL is empty.
	fallback atomic.Value
}

// SetFallbackBase sets the origin of credentials issued outside a request (by the worker)
// when BaseURL is empty: the address the server listens on, for the demo and tests. A
// deployment sets ESD_PUBLIC_URL, which wins.
func (s *Service) SetFallbackBase(base string) { s.fallback.Store(strings.TrimRight(base, "/")) }

// knownBase says whether credentials can be issued outside a request: an issuer id made up
// on the spot would never verify.
func (s *Service) knownBase() bool {
	b, _ := s.fallback.Load().(string)
	return s.BaseURL != "" || b != ""
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

type baseKey struct{}

// WithBaseURL puts the request's origin in the context, used when BaseURL is empty.
func WithBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, strings.TrimRight(base, "/"))
}

func (s *Service) base(ctx context.Context) string {
	if s.BaseURL != "" {
		return strings.TrimRight(s.BaseURL, "/")
	}
	if b, _ := ctx.Value(baseKey{}).(string); b != "" {
		return b
	}
	if b, _ := s.fallback.Load().(string); b != "" {
		return b
	}
	return "https://esd.invalid"
}

// IssuerID is the issuer profile's URL.
func (s *Service) IssuerID(ctx context.Context) string { return s.base(ctx) + "/badges/issuer" }

// Credential is one issued credential as the wallet shows it.
type Credential struct {
	ID             int64          `json:"id"`
	UUID           string         `json:"uuid"`
	ProfessionalID int64          `json:"professional_id"`
	Kind           string         `json:"kind"`
	Name           string         `json:"name"`
	IssuedAt       time.Time      `json:"issued_at"`
	RevokedAt      *time.Time     `json:"revoked_at,omitempty"`
	RevokeReason   string         `json:"revoke_reason,omitempty"`
	ShareToken     string         `json:"share_token"`
	JWT            string         `json:"jwt"`
	Body           map[string]any `json:"credential"`
	regionID       int64
	orgID          int64
}

func random(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func uuid4() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IdentityHash is the OB 3.0 hashed identifier: "sha256$" + hex(sha256(value + salt)).
func IdentityHash(value, salt string) string {
	h := sha256.Sum256([]byte(value + salt))
	return "sha256$" + hex.EncodeToString(h[:])
}

// source is something a professional achieved that earns a credential.
type source struct {
	kind, ref string
	// achievement key and content
	achKey string
	ach    map[string]any
	// credential parts
	name     string
	credits  float64
	evidence map[string]any
	result   []any
	awarded  time.Time
}

// sources lists what the professional achieved: achieved objectives (the level reached on a
// line) and completed participations.
func (s *Service) sources(ctx context.Context, profID int64) ([]source, error) {
	base := s.base(ctx)
	var out []source
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT o.id, o.target_level, o.line_code, o.achieved_at, o.updated_at, i.title_it, i.title_en,
		COALESCE(i.description_it, ''), i.source_ref, f.code, f.version, f.title_it, COALESCE(l.descriptor_it, '')
		FROM objectives o JOIN framework_items i ON i.id = o.line_id JOIN framework_versions f ON f.id = o.framework_id
		LEFT JOIN line_levels l ON l.item_id = o.line_id AND l.level = o.target_level
		WHERE o.professional_id = $1 AND o.state = 'achieved' ORDER BY o.id`, profID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var level int
		var code, titleIT, titleEN, desc, sref, fcode, fver, ftitle, descriptor string
		var at time.Time
		var achieved sql.NullTime
		if err := rows.Scan(&id, &level, &code, &achieved, &at, &titleIT, &titleEN, &desc, &sref, &fcode, &fver, &ftitle, &descriptor); err != nil {
			rows.Close()
			return nil, err
		}
		if achieved.Valid {
			at = achieved.Time
		}
		narrative := fmt.Sprintf("Obiettivo formativo raggiunto sulla linea %s del portfolio delle competenze digitali (%s, versione %s): livello di padronanza %d.", code, ftitle, fver, level)
		if descriptor != "" {
			narrative += " " + descriptor
		}
		if desc == "" {
			desc = titleIT
		}
		ach := map[string]any{
			"type": []any{"Achievement"}, "achievementType": "Competency", "name": fmt.Sprintf("%s – livello %d", titleIT, level),
			"description": desc, "criteria": map[string]any{"narrative": narrative}, "humanCode": fmt.Sprintf("%s/%d", code, level),
			"inLanguage": "it", "version": fver,
			"alignment": []any{map[string]any{"type": []any{"Alignment"}, "targetName": titleIT, "targetDescription": titleEN,
				"targetUrl": portfolio.CaseItemURI(fcode, code, sref), "targetCode": code, "targetFramework": ftitle, "targetType": "CFItem"}},
			"resultDescription": []any{map[string]any{"id": base + "/badges/levels/" + fcode + "/" + fver, "type": []any{"ResultDescription"},
				"name": "Livello di padronanza", "resultType": "PerformanceLevel"}},
		}
		out = append(out, source{kind: KindObjective, ref: strconv.FormatInt(id, 10), achKey: fmt.Sprintf("%s:%s:%s:%d", fcode, fver, code, level), ach: ach,
			name: ach["name"].(string), awarded: at.UTC(),
			evidence: map[string]any{"id": base + "/objectives/" + strconv.FormatInt(id, 10), "type": []any{"Evidence"}, "name": "Obiettivo " + code},
			result: []any{map[string]any{"type": []any{"Result"}, "resultDescription": base + "/badges/levels/" + fcode + "/" + fver,
				"value": strconv.Itoa(level)}}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT p.id, p.credits, p.completed_on, e.id, e.code, e.title, COALESCE(e.description, ''), pr.name, pr.code
		FROM participations p JOIN events e ON e.id = p.event_id JOIN organisations pr ON pr.id = e.provider_id
		WHERE p.professional_id = $1 AND p.state = 'completed' ORDER BY p.id`, profID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid, eid int64
		var credits float64
		var on, ecode, title, desc, prov, provCode string
		if err := rows.Scan(&pid, &credits, &on, &eid, &ecode, &title, &desc, &prov, &provCode); err != nil {
			return nil, err
		}
		at, err := time.Parse("2006-01-02", on)
		if err != nil {
			at = s.now()
		}
		if desc == "" {
			desc = title
		}
		ach := map[string]any{
			"type": []any{"Achievement"}, "achievementType": "CertificateOfCompletion", "name": title, "description": desc,
			"criteria":  map[string]any{"narrative": "Evento ECM " + ecode + " del provider " + prov + " (" + provCode + ") completato con il conseguimento dei crediti."},
			"humanCode": ecode, "inLanguage": "it", "creditsAvailable": credits, "version": "1",
		}
		out = append(out, source{kind: KindTraining, ref: strconv.FormatInt(pid, 10), achKey: fmt.Sprintf("event:%d:%g", eid, credits), ach: ach, name: title,
			credits: credits, awarded: at.UTC(),
			evidence: map[string]any{"id": base + "/training#participation-" + strconv.FormatInt(pid, 10), "type": []any{"Evidence"},
				"name": "Partecipazione all'evento " + ecode, "description": "Crediti ECM conseguiti: " + strconv.FormatFloat(credits, 'f', -1, 64)}})
	}
	return out, rows.Err()
}

// achievement returns the id of the stored achievement with this content, storing a new
// version when the content changed: an issued version never changes.
func (s *Service) achievement(ctx context.Context, tx *sql.Tx, kind, key string, ach map[string]any) (int64, string, error) {
	body, _ := json.Marshal(ach)
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	var id int64
	var version int
	var last string
	err := tx.QueryRowContext(ctx, `SELECT id, version, body_hash FROM badge_achievements WHERE kind = $1 AND source_key = $2 ORDER BY version DESC LIMIT 1`,
		kind, key).Scan(&id, &version, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", err
	}
	if err == nil && last == h {
		return id, "", nil
	}
	version++
	if err := tx.QueryRowContext(ctx, `INSERT INTO badge_achievements (kind, source_key, version, body, body_hash, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`,
		kind, key, version, string(body), h, s.now()).Scan(&id); err != nil {
		return 0, "", err
	}
	return id, "", nil
}

// Target is a professional's scope, for permission checks.
func (s *Service) target(ctx context.Context, profID int64) (domain.Target, string, error) {
	var region int64
	var org sql.NullInt64
	var code string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT region_id, organisation_id, cf FROM professionals WHERE id = $1`, profID).Scan(&region, &org, &code)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Target{}, "", domain.NotFound("professional")
	}
	return domain.Target{RegionID: region, OrganisationID: org.Int64, ProfessionalID: profID}, code, err
}

// Issue issues the credentials the professional has earned and not yet received, and
// returns how many it issued. The professional themselves, their organisation, region or
// national governance (and the system) may ask.
func (s *Service) Issue(ctx context.Context, profID int64) (int, error) {
	a := domain.ActorFrom(ctx)
	t, code, err := s.target(ctx, profID)
	if err != nil {
		return 0, err
	}
	if !a.CanSeeIndividual(t) {
		return 0, domain.NotFound("professional")
	}
	srcs, err := s.sources(ctx, profID)
	if err != nil {
		return 0, err
	}
	// Both keys are made (on first use) before any transaction: on SQLite a key insert
	// inside one would wait for the write connection the transaction holds.
	key, err := s.Keys.Current(ctx, KeyPurpose, idkeys.RSA)
	if err != nil {
		return 0, err
	}
	if _, err := s.Keys.Current(ctx, KeyPurposeEd25519, idkeys.Ed25519); err != nil {
		return 0, err
	}
	n := 0
	for _, src := range srcs {
		var exists int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM badge_credentials WHERE professional_id = $1 AND kind = $2 AND source_ref = $3`,
			profID, src.kind, src.ref).Scan(&exists); err != nil {
			return n, err
		}
		if exists > 0 {
			continue
		}
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			achID, _, err := s.achievement(ctx, tx, src.kind, src.achKey, src.ach)
			if err != nil {
				return err
			}
			var idx int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(status_index), -1) + 1 FROM badge_credentials`).Scan(&idx); err != nil {
				return err
			}
			if idx >= StatusListSize {
				return &domain.Error{Code: domain.EINTERNAL, Message: "the revocation status list is full"}
			}
			cred := s.credential(ctx, src, achID, code, idx)
			// The embedded proof first: the VC-JWT then signs the credential with it.
			if err := s.addProof(ctx, cred, s.now()); err != nil {
				return err
			}
			jwt, err := signJWT(key, s.base(ctx), cred)
			if err != nil {
				return err
			}
			body, _ := json.Marshal(cred)
			uuid := strings.TrimPrefix(cred["id"].(string), "urn:uuid:")
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO badge_credentials (uuid, professional_id, region_id, organisation_id, kind, source_ref, achievement_id,
				status_index, name, body, jwt, share_token, issued_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id`,
				uuid, profID, t.RegionID, nullID(t.OrganisationID), src.kind, src.ref, achID, idx, src.name, string(body), jwt, random(16), s.now()).Scan(&id); err != nil {
				return db.MapError(err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM badge_pending WHERE kind = $1 AND source_ref = $2`, src.kind, src.ref); err != nil {
				return err
			}
			if err := s.notifyIssued(ctx, tx, profID, uuid, src); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Change{Action: "issue", Entity: "badge", EntityID: id, RegionID: t.RegionID,
				After: map[string]any{"uuid": uuid, "kind": src.kind, "source": src.ref, "name": src.name}})
		})
		if domain.ErrorCode(err) == domain.ECONFLICT {
			continue // issued meanwhile by another request
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func nullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// credential builds the OpenBadgeCredential of src.
func (s *Service) credential(ctx context.Context, src source, achID int64, code string, idx int) map[string]any {
	base := s.base(ctx)
	salt := random(16)
	ach := map[string]any{"id": base + "/achievements/" + strconv.FormatInt(achID, 10)}
	for k, v := range src.ach {
		ach[k] = v
	}
	subject := map[string]any{
		"type":        []any{"AchievementSubject"},
		"identifier":  []any{map[string]any{"type": "IdentityObject", "identityHash": IdentityHash(code, salt), "identityType": "nationalIdentityNumber", "hashed": true, "salt": salt}},
		"achievement": ach,
	}
	if src.credits > 0 {
		subject["creditsEarned"] = src.credits
	}
	if src.result != nil {
		subject["result"] = src.result
	}
	now := s.now()
	cred := map[string]any{
		"@context":          []any{ContextVC, ContextOB},
		"id":                "urn:uuid:" + uuid4(),
		"type":              []any{"VerifiableCredential", "OpenBadgeCredential"},
		"issuer":            s.issuerRef(ctx),
		"validFrom":         now.Format(time.RFC3339),
		"awardedDate":       src.awarded.Format(time.RFC3339),
		"name":              src.name,
		"credentialSubject": subject,
		"evidence":          []any{src.evidence},
		"credentialSchema":  []any{map[string]any{"id": SchemaOB, "type": "1EdTechJsonSchemaValidator2019"}},
		"credentialStatus": map[string]any{"id": fmt.Sprintf("%s/badges/status/1#%d", base, idx), "type": "BitstringStatusListEntry",
			"statusPurpose": "revocation", "statusListIndex": strconv.Itoa(idx), "statusListCredential": base + "/badges/status/1"},
	}
	return cred
}

func (s *Service) issuerRef(ctx context.Context) map[string]any {
	return map[string]any{"id": s.IssuerID(ctx), "type": []any{"Profile"}, "name": IssuerName, "url": s.base(ctx)}
}

const credCols = `id, uuid, professional_id, kind, name, issued_at, revoked_at, revoke_reason, share_token, jwt, body, region_id, COALESCE(organisation_id, 0)`

func scanCred(row interface{ Scan(...any) error }) (Credential, error) {
	var c Credential
	var revoked sql.NullTime
	var body string
	if err := row.Scan(&c.ID, &c.UUID, &c.ProfessionalID, &c.Kind, &c.Name, &c.IssuedAt, &revoked, &c.RevokeReason, &c.ShareToken, &c.JWT, &body,
		&c.regionID, &c.orgID); err != nil {
		return c, err
	}
	if revoked.Valid {
		t := revoked.Time
		c.RevokedAt = &t
	}
	_ = json.Unmarshal([]byte(body), &c.Body)
	return c, nil
}

// List returns a professional's credentials, for those who may see the professional.
func (s *Service) List(ctx context.Context, profID int64) ([]Credential, error) {
	a := domain.ActorFrom(ctx)
	t, _, err := s.target(ctx, profID)
	if err != nil {
		return nil, err
	}
	if !a.CanSeeIndividual(t) {
		return nil, domain.NotFound("professional")
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+credCols+` FROM badge_credentials WHERE professional_id = $1 ORDER BY issued_at DESC, id DESC`, profID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Credential{}
	for rows.Next() {
		c, err := scanCred(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Get returns one credential if the caller may see its holder (else ENOTFOUND).
func (s *Service) Get(ctx context.Context, id int64) (Credential, error) {
	c, err := scanCred(s.DB.Read.QueryRowContext(ctx, `SELECT `+credCols+` FROM badge_credentials WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, domain.NotFound("badge")
	}
	if err != nil {
		return c, err
	}
	if !domain.ActorFrom(ctx).CanSeeIndividual(domain.Target{RegionID: c.regionID, OrganisationID: c.orgID, ProfessionalID: c.ProfessionalID}) {
		return Credential{}, domain.NotFound("badge")
	}
	return c, nil
}

// Shared returns the credential behind a share link (no login).
func (s *Service) Shared(ctx context.Context, token string) (Credential, error) {
	c, err := scanCred(s.DB.Read.QueryRowContext(ctx, `SELECT `+credCols+` FROM badge_credentials WHERE share_token = $1`, token))
	if errors.Is(err, sql.ErrNoRows) || len(token) < 16 {
		return c, domain.NotFound("badge")
	}
	return c, err
}

// Revoke revokes a credential with a reason: national governance, or the holder's region.
// The status list shows it at once.
func (s *Service) Revoke(ctx context.Context, id int64, reason string) (Credential, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return Credential{}, err
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return c, err
	}
	if a.Role == domain.RoleRegional && c.regionID != a.RegionID {
		return Credential{}, domain.NotFound("badge")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Credential{}, domain.Invalid("reason", "a revocation needs a reason")
	}
	if c.RevokedAt != nil {
		return Credential{}, &domain.Error{Code: domain.ECONFLICT, Message: "the badge is already revoked"}
	}
	now := s.now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE badge_credentials SET revoked_at = $1, revoke_reason = $2 WHERE id = $3`, now, reason, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "revoke", Entity: "badge", EntityID: id, RegionID: c.regionID, After: map[string]string{"reason": reason}})
	})
	if err != nil {
		return Credential{}, err
	}
	c.RevokedAt, c.RevokeReason = &now, reason
	return c, nil
}

// Achievement returns a stored achievement version as JSON (public: achievement ids are
// dereferenceable).
func (s *Service) Achievement(ctx context.Context, id int64) (map[string]any, error) {
	var body string
	var version int
	err := s.DB.Read.QueryRowContext(ctx, `SELECT body, version FROM badge_achievements WHERE id = $1`, id).Scan(&body, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NotFound("achievement")
	}
	if err != nil {
		return nil, err
	}
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	m["id"] = s.base(ctx) + "/achievements/" + strconv.FormatInt(id, 10)
	m["@context"] = []any{ContextVC, ContextOB}
	return m, nil
}

// IssuerProfile is the issuer's Profile document with its public keys.
func (s *Service) IssuerProfile(ctx context.Context) map[string]any {
	p := s.issuerRef(ctx)
	p["@context"] = []any{ContextVC, ContextOB}
	p["description"] = "Piattaforma nazionale per le competenze digitali dei professionisti sanitari."
	p["publicKey"] = s.base(ctx) + "/badges/issuer/jwks"
	return p
}
