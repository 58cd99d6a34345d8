package privacy

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Request is a request to erase or pseudonymise a professional's data.
type Request struct {
	ID             int64            `json:"id"`
	ProfessionalID int64            `json:"professional_id"`
	State          string           `json:"state"` // requested, rejected, executed
	Reason         string           `json:"reason"`
	RequestedBy    string           `json:"requested_by"`
	RequestedAt    time.Time        `json:"requested_at"`
	ReviewedBy     string           `json:"reviewed_by,omitempty"`
	ReviewedAt     *time.Time       `json:"reviewed_at,omitempty"`
	ReviewNote     string           `json:"review_note,omitempty"`
	Pseudonym      string           `json:"pseudonym,omitempty"`
	Result         map[string]int64 `json:"result,omitempty"`
}

// RequestInput is the body of a new request.
type RequestInput struct {
	Reason string `json:"reason"`
}

// ReviewInput is national governance's decision on a request.
type ReviewInput struct {
	// Decision is "execute" or "reject".
	Decision string `json:"decision"`
	Note     string `json:"note"`
}

// RequestErasure registers a request: by the professional themself, or by national
// governance on their behalf (a request received by post or PEC). Audited.
func (s *Service) RequestErasure(ctx context.Context, professionalID int64, in RequestInput) (Request, error) {
	p, err := s.subject(ctx, professionalID)
	if err != nil {
		return Request{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return Request{}, domain.Keyed(domain.EINVALID, "reason", "priv.err.reason", "give the reason of the request")
	}
	if len(reason) > 2000 {
		return Request{}, domain.Keyed(domain.EINVALID, "reason", "priv.err.reason_long", "the reason is longer than 2000 characters")
	}
	a := domain.ActorFrom(ctx)
	var r Request
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM privacy_requests WHERE professional_id = $1 AND state = 'requested'`, p.ID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return domain.Keyed(domain.ECONFLICT, "", "priv.err.open", "a request is already waiting for review")
		}
		now := db.Now()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO privacy_requests (professional_id, state, reason, requested_by, requested_at)
			VALUES ($1, 'requested', $2, $3, $4) RETURNING id`, p.ID, reason, a.Username, now).Scan(&id); err != nil {
			return err
		}
		r = Request{ID: id, ProfessionalID: p.ID, State: "requested", Reason: reason, RequestedBy: a.Username, RequestedAt: now}
		// The reason may hold personal data: the trail records that a request exists, not why.
		return audit.Record(ctx, tx, audit.Change{Action: "request", Entity: "privacy_request", EntityID: id, RegionID: p.RegionID,
			After: map[string]any{"professional_id": p.ID, "state": "requested"}})
	})
	return r, err
}

// Requests lists the requests: every one for national governance (state filter optional),
// the professional's own for a professional.
func (s *Service) Requests(ctx context.Context, state string) ([]Request, error) {
	a := domain.ActorFrom(ctx)
	where, args := "1=1", []any{}
	switch {
	case a.IsNationalOrSystem():
	case a.Role == domain.RoleProfessional && a.ProfessionalID != 0:
		where, args = "professional_id = $1", append(args, a.ProfessionalID)
	default:
		return nil, domain.Forbidden("only national governance reviews erasure requests")
	}
	if state != "" {
		args = append(args, state)
		where += fmt.Sprintf(" AND state = $%d", len(args))
	}
	return s.requests(ctx, s.DB.Read, where+" ORDER BY id DESC", args...)
}

// Request returns one request (national governance, or its own professional).
func (s *Service) Request(ctx context.Context, id int64) (Request, error) {
	rs, err := s.requests(ctx, s.DB.Read, "id = $1", id)
	if err != nil {
		return Request{}, err
	}
	if len(rs) == 0 {
		return Request{}, domain.NotFound("request")
	}
	a := domain.ActorFrom(ctx)
	if !a.IsNationalOrSystem() && !(a.Role == domain.RoleProfessional && a.ProfessionalID == rs[0].ProfessionalID && a.ProfessionalID != 0) {
		return Request{}, domain.NotFound("request")
	}
	return rs[0], nil
}

func (s *Service) requests(ctx context.Context, q db.Querier, where string, args ...any) ([]Request, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, professional_id, state, reason, requested_by, requested_at, reviewed_by, reviewed_at, review_note, pseudonym, result_json
		FROM privacy_requests WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		var r Request
		var rev sql.NullTime
		var res string
		if err := rows.Scan(&r.ID, &r.ProfessionalID, &r.State, &r.Reason, &r.RequestedBy, &r.RequestedAt, &r.ReviewedBy, &rev, &r.ReviewNote, &r.Pseudonym, &res); err != nil {
			return nil, err
		}
		if rev.Valid {
			t := rev.Time.UTC()
			r.ReviewedAt = &t
		}
		r.RequestedAt = r.RequestedAt.UTC()
		if res != "" {
			_ = json.Unmarshal([]byte(res), &r.Result)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Review decides a request: "reject" closes it with the note; "execute" erases and
// pseudonymises. Only national governance (and the system: `esd privacy erase`).
func (s *Service) Review(ctx context.Context, id int64, in ReviewInput) (Request, error) {
	a := domain.ActorFrom(ctx)
	if !a.IsNationalOrSystem() {
		if a.Role == domain.RoleProfessional {
			return Request{}, domain.NotFound("request")
		}
		return Request{}, domain.Forbidden("only national governance reviews erasure requests")
	}
	note := strings.TrimSpace(in.Note)
	switch in.Decision {
	case "execute", "reject":
	default:
		return Request{}, domain.Keyed(domain.EINVALID, "decision", "priv.err.decision", "decision: execute or reject")
	}
	if in.Decision == "reject" && note == "" {
		return Request{}, domain.Keyed(domain.EINVALID, "note", "priv.err.note", "say why the request is rejected")
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		rs, err := s.requests(ctx, tx, "id = $1", id)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return domain.NotFound("request")
		}
		r := rs[0]
		if r.State != "requested" {
			return domain.Keyed(domain.ECONFLICT, "", "priv.err.done", "the request was already decided")
		}
		var region int64
		if err := tx.QueryRowContext(ctx, `SELECT region_id FROM professionals WHERE id = $1`, r.ProfessionalID).Scan(&region); err != nil {
			return err
		}
		now := db.Now()
		if in.Decision == "reject" {
			if _, err := tx.ExecContext(ctx, `UPDATE privacy_requests SET state = 'rejected', reviewed_by = $2, reviewed_at = $3, review_note = $4 WHERE id = $1`,
				id, a.Username, now, note); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Change{Action: "reject", Entity: "privacy_request", EntityID: id, RegionID: region,
				Before: map[string]any{"state": "requested"}, After: map[string]any{"state": "rejected"}})
		}
		pseudo, res, err := erase(ctx, tx, r.ProfessionalID)
		if err != nil {
			return err
		}
		rj, _ := json.Marshal(res)
		if _, err := tx.ExecContext(ctx, `UPDATE privacy_requests SET state = 'executed', reviewed_by = $2, reviewed_at = $3, review_note = $4, pseudonym = $5, result_json = $6 WHERE id = $1`,
			id, a.Username, now, note, pseudo, string(rj)); err != nil {
			return err
		}
		// The new entry records the erasure with the pseudonym and the counts only; the
		// entries before it are not rewritten (see ARCHITECTURE.md, "Privacy").
		return audit.Record(ctx, tx, audit.Change{Action: "erase", Entity: "privacy_request", EntityID: id, RegionID: region,
			Before: map[string]any{"state": "requested"}, After: map[string]any{"state": "executed", "professional_id": r.ProfessionalID, "pseudonym": pseudo, "result": res}})
	})
	if err != nil {
		return Request{}, err
	}
	if in.Decision == "execute" && s.AfterErase != nil {
		if err := s.AfterErase(domain.WithActor(ctx, domain.SystemActor)); err != nil {
			return Request{}, fmt.Errorf("erasure done, aggregate refresh failed: %w", err)
		}
	}
	return s.Request(ctx, id)
}

// erase removes what the law lets go and pseudonymises what must stay, in tx. It returns
// the pseudonym and the rows touched per table.
//
// Kept, tied to the pseudonymised record: participations, attendance, credit entries and
// balances, certificates (their snapshot is the document that was issued), competence
// evidence and levels, objectives, profiles, badges (revocable by their issuer only) and
// the xAPI projections that say where credits came from. The codice fiscale is kept only if
// the professional has ECM credits or participations: the credits are certified to the
// Co.Ge.A.P.S. registry and verified by codice fiscale, so without it they could no longer
// be certified or proved; otherwise it is replaced by the pseudonym too.
func erase(ctx context.Context, tx *sql.Tx, pid int64) (string, map[string]int64, error) {
	res := map[string]int64{}
	exec := func(key, q string, args ...any) error {
		r, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		n, _ := r.RowsAffected()
		res[key] += n
		return nil
	}
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	pseudo := "PSEUDO-" + strings.ToUpper(hex.EncodeToString(b[:]))
	// The xAPI statements whose actor is the professional, and their index rows.
	seqs, err := statementSeqs(ctx, tx, pid)
	if err != nil {
		return "", nil, err
	}
	for _, seq := range seqs {
		if err := exec("xapi_statement_keys", `DELETE FROM xapi_statement_keys WHERE seq = $1`, seq); err != nil {
			return "", nil, err
		}
		if err := exec("xapi_statements", `DELETE FROM xapi_statements WHERE seq = $1`, seq); err != nil {
			return "", nil, err
		}
	}
	if err := eraseDocuments(ctx, tx, pid, exec); err != nil {
		return "", nil, err
	}
	steps := [][2]string{
		{"assessment_answers", `DELETE FROM assessment_answers WHERE assessment_id IN (SELECT id FROM assessments WHERE professional_id = $1)`},
		{"mail_queue", `DELETE FROM mail_queue WHERE notification_id IN (SELECT id FROM notifications WHERE user_id IN ` + users + `)`},
		{"notifications", `DELETE FROM notifications WHERE user_id IN ` + users},
		{"notification_settings", `DELETE FROM notification_settings WHERE user_id IN ` + users},
		{"sessions", `DELETE FROM sessions WHERE user_id IN ` + users},
		{"api_tokens", `DELETE FROM api_tokens WHERE user_id IN ` + users},
		{"oidc_identities", `DELETE FROM oidc_identities WHERE user_id IN ` + users + ` OR cf = (SELECT cf FROM professionals WHERE id = $1)`},
		{"oidc_links", `DELETE FROM oidc_links WHERE user_id IN ` + users + ` OR cf = (SELECT cf FROM professionals WHERE id = $1)`},
		{"login_attempts", `DELETE FROM login_attempts WHERE username IN (SELECT username FROM users WHERE professional_id = $1)`},
		{"professional_search_tokens", `DELETE FROM professional_search_tokens WHERE professional_id = $1`},
	}
	for _, st := range steps {
		if err := exec(st[0], st[1], pid); err != nil {
			return "", nil, err
		}
	}
	// Wallet share links: a new random token kills the old link (the column is unique and
	// required); the credential itself stays, as its issuer signed it.
	rows, err := tx.QueryContext(ctx, `SELECT id FROM badge_credentials WHERE professional_id = $1`, pid)
	if err != nil {
		return "", nil, err
	}
	var badges []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return "", nil, err
		}
		badges = append(badges, id)
	}
	rows.Close()
	for _, id := range badges {
		var t [16]byte
		_, _ = rand.Read(t[:])
		if err := exec("badge_share_links", `UPDATE badge_credentials SET share_token = $2 WHERE id = $1`, id, hex.EncodeToString(t[:])); err != nil {
			return "", nil, err
		}
	}
	// Accounts: disabled, renamed to the pseudonym, no password.
	if err := exec("users", `UPDATE users SET username = $2 || '-' || CAST(id AS TEXT), display_name = $2, password_hash = '', disabled = TRUE, updated_at = $3 WHERE professional_id = $1`,
		pid, strings.ToLower(pseudo), db.Now()); err != nil {
		return "", nil, err
	}
	var ecm int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM credit_entries WHERE professional_id = $1) + (SELECT COUNT(*) FROM participations WHERE professional_id = $1)`, pid).Scan(&ecm); err != nil {
		return "", nil, err
	}
	name := strings.ToLower(pseudo)
	if ecm > 0 {
		res["cf_kept"] = 1
		err = exec("professionals", `UPDATE professionals SET given_name = $2, family_name = $3, search_name = $4, email = '', updated_at = $5 WHERE id = $1`,
			pid, "Pseudonimo", pseudo, name, db.Now())
	} else {
		err = exec("professionals", `UPDATE professionals SET cf = $3, cf_display = $3, given_name = $2, family_name = $3, search_name = $4, email = '',
			birth_date = NULL, sex = '', birthplace_code = '', updated_at = $5 WHERE id = $1`, pid, "Pseudonimo", pseudo, name, db.Now())
	}
	if err != nil {
		return "", nil, err
	}
	return pseudo, res, nil
}

// eraseDocuments deletes the xAPI documents filed under the professional's accounts.
func eraseDocuments(ctx context.Context, tx *sql.Tx, pid int64, exec func(key, q string, args ...any) error) error {
	keys, _, providers, err := learnerKeys(ctx, tx, pid)
	if err != nil {
		return err
	}
	for i, k := range keys {
		if err := exec("xapi_documents", `DELETE FROM xapi_documents WHERE provider_id = $1 AND agent_key = $2`, providers[i], k); err != nil {
			return err
		}
	}
	return nil
}
