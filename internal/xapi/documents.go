package xapi

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DocKey names a document: kind state (activity, agent, optional registration, id),
// activity (activity, id) or agent (agent, id).
type DocKey struct {
	Kind         string
	ActivityID   string
	AgentKey     string
	Registration string
	DocID        string
}

// Doc is a stored document.
type Doc struct {
	ContentType string
	Content     []byte
	ETag        string // quoted
	Updated     string
}

// Precondition is a write's concurrency headers.
type Precondition struct {
	IfMatch, IfNoneMatch string
	// Required: the request must carry one of them when the document exists (2.0.0 profile
	// writes other than PUT: 428; a PUT without them: 409).
	Put bool
	V2  bool
}

func etagOf(b []byte) string {
	h := sha1.Sum(b)
	return `"` + hex.EncodeToString(h[:]) + `"`
}

// docScope says whether the credential may touch the document.
func docScope(c *Credential, k DocKey, write bool) error {
	need := ScopeProfile
	if k.Kind == "state" {
		need = ScopeState
	}
	if !c.Has(need) {
		return statusErr(403, "the credential has no %s scope", need)
	}
	if c.Kind == "session" {
		if (k.Kind == "state" || k.Kind == "agent") && k.AgentKey != c.actorKey {
			return statusErr(403, "a session credential reaches only its learner's documents")
		}
		// cmi5: the LMS writes LMS.LaunchData; the AU may read it, never write it.
		if write && k.Kind == "state" && k.DocID == "LMS.LaunchData" {
			return statusErr(403, "LMS.LaunchData is written by the LMS; the AU may only read it")
		}
	}
	return nil
}

// GetDoc returns one document.
func (s *Service) GetDoc(ctx context.Context, c *Credential, k DocKey) (Doc, error) {
	if err := docScope(c, k, false); err != nil {
		return Doc{}, err
	}
	var d Doc
	err := s.DB.Read.QueryRowContext(ctx, `SELECT content_type, content, etag, updated FROM xapi_documents
		WHERE provider_id = $1 AND kind = $2 AND activity_id = $3 AND agent_key = $4 AND registration = $5 AND doc_id = $6`,
		c.ProviderID, k.Kind, k.ActivityID, k.AgentKey, k.Registration, k.DocID).Scan(&d.ContentType, &d.Content, &d.ETag, &d.Updated)
	if err == sql.ErrNoRows {
		return d, statusErr(404, "no document %s", k.DocID)
	}
	return d, err
}

// DocIDs lists the ids of documents (optionally updated after since).
func (s *Service) DocIDs(ctx context.Context, c *Credential, k DocKey, since string) ([]string, error) {
	if err := docScope(c, k, false); err != nil {
		return nil, err
	}
	q := `SELECT doc_id FROM xapi_documents WHERE provider_id = $1 AND kind = $2 AND activity_id = $3 AND agent_key = $4 AND registration = $5`
	args := []any{c.ProviderID, k.Kind, k.ActivityID, k.AgentKey, k.Registration}
	if since != "" {
		q += ` AND updated > $6`
		args = append(args, since)
	}
	rows, err := s.DB.Read.QueryContext(ctx, q+` ORDER BY doc_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// check applies the concurrency rules to the stored document (nil: none).
func (p Precondition) check(have *Doc, kind string) error {
	if p.IfMatch != "" {
		if have == nil || !etagMatches(p.IfMatch, have.ETag) {
			return statusErr(412, "If-Match %s does not match the document's ETag", p.IfMatch)
		}
	}
	if p.IfNoneMatch != "" && have != nil && (strings.TrimSpace(p.IfNoneMatch) == "*" || etagMatches(p.IfNoneMatch, have.ETag)) {
		return statusErr(412, "If-None-Match %s: the document exists", p.IfNoneMatch)
	}
	if have != nil && p.IfMatch == "" && p.IfNoneMatch == "" && kind != "state" {
		if p.Put {
			return statusErr(409, "the document exists: send If-Match with its ETag to replace it, or If-None-Match: * to create only")
		}
		if p.V2 {
			return statusErr(428, "the document exists: xAPI 2.0.0 requires If-Match or If-None-Match to change it")
		}
	}
	return nil
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == etag || `"`+strings.Trim(t, `"`)+`"` == etag {
			return true
		}
	}
	return false
}

// PutDoc stores a document (PUT replaces; POST merges JSON objects one level deep).
func (s *Service) PutDoc(ctx context.Context, c *Credential, k DocKey, contentType string, body []byte, merge bool, pre Precondition) (string, error) {
	if err := docScope(c, k, true); err != nil {
		return "", err
	}
	var etag string
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var have *Doc
		var d Doc
		err := tx.QueryRowContext(ctx, `SELECT content_type, content, etag, updated FROM xapi_documents
			WHERE provider_id = $1 AND kind = $2 AND activity_id = $3 AND agent_key = $4 AND registration = $5 AND doc_id = $6`,
			c.ProviderID, k.Kind, k.ActivityID, k.AgentKey, k.Registration, k.DocID).Scan(&d.ContentType, &d.Content, &d.ETag, &d.Updated)
		switch {
		case err == nil:
			have = &d
		case err != sql.ErrNoRows:
			return err
		}
		if err := pre.check(have, k.Kind); err != nil {
			return err
		}
		content := body
		if merge && have != nil {
			if !isJSONType(contentType) || !isJSONType(have.ContentType) {
				return badRequest("POST merges JSON documents: both the stored and the new document must be application/json")
			}
			var a, b map[string]json.RawMessage
			if json.Unmarshal(have.Content, &a) != nil || a == nil {
				return badRequest("the stored document is not a JSON object and cannot be merged")
			}
			if json.Unmarshal(body, &b) != nil || b == nil {
				return badRequest("the posted document is not a JSON object and cannot be merged")
			}
			for key, v := range b {
				a[key] = v
			}
			ks := make([]string, 0, len(a))
			for key := range a {
				ks = append(ks, key)
			}
			sort.Strings(ks)
			content, _ = json.Marshal(a)
		} else if merge && isJSONType(contentType) {
			var b map[string]json.RawMessage
			if json.Unmarshal(body, &b) != nil || b == nil {
				return badRequest("the posted document is not a JSON object")
			}
		}
		etag = etagOf(content)
		now := fmtStored(s.now())
		_, err = tx.ExecContext(ctx, `INSERT INTO xapi_documents (provider_id, kind, activity_id, agent_key, registration, doc_id, content_type, content, etag, updated)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (provider_id, kind, activity_id, agent_key, registration, doc_id)
			DO UPDATE SET content_type = excluded.content_type, content = excluded.content, etag = excluded.etag, updated = excluded.updated`,
			c.ProviderID, k.Kind, k.ActivityID, k.AgentKey, k.Registration, k.DocID, contentType, content, etag, now)
		return err
	})
	return etag, err
}

func isJSONType(ct string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/json")
}

// DeleteDoc deletes one document, or with DocID "" every state document of the activity
// and agent (and registration).
func (s *Service) DeleteDoc(ctx context.Context, c *Credential, k DocKey, pre Precondition) error {
	if err := docScope(c, k, true); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		q := `DELETE FROM xapi_documents WHERE provider_id = $1 AND kind = $2 AND activity_id = $3 AND agent_key = $4 AND registration = $5`
		args := []any{c.ProviderID, k.Kind, k.ActivityID, k.AgentKey, k.Registration}
		if k.DocID != "" {
			var d Doc
			err := tx.QueryRowContext(ctx, `SELECT etag FROM xapi_documents WHERE provider_id = $1 AND kind = $2 AND activity_id = $3 AND agent_key = $4 AND registration = $5 AND doc_id = $6`,
				c.ProviderID, k.Kind, k.ActivityID, k.AgentKey, k.Registration, k.DocID).Scan(&d.ETag)
			var have *Doc
			if err == nil {
				have = &d
			} else if err != sql.ErrNoRows {
				return err
			}
			if err := pre.check(have, k.Kind); err != nil {
				return err
			}
			q += ` AND doc_id = $6`
			args = append(args, k.DocID)
		}
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// Activity returns the stored definition of an activity.
func (s *Service) Activity(ctx context.Context, c *Credential, id string) (obj, error) {
	var def string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT definition_json FROM xapi_activities WHERE provider_id = $1 AND id = $2`, c.ProviderID, id).Scan(&def)
	if err == sql.ErrNoRows {
		return nil, statusErr(404, "no activity %s", id)
	}
	if err != nil {
		return nil, err
	}
	x, err := decodeJSON([]byte(def))
	if err != nil {
		return nil, err
	}
	return obj{"objectType": "Activity", "id": id, "definition": x}, nil
}

// Person is the Agents resource's answer: every identifier as an array.
func Person(agent obj) obj {
	p := obj{"objectType": "Person"}
	for _, k := range []string{"name", "mbox", "mbox_sha1sum", "openid", "account"} {
		if v, ok := agent[k]; ok {
			p[k] = []any{v}
		}
	}
	return p
}

// parseSince accepts a timestamp parameter and returns the fixed-width stored form.
func parseSince(name, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	t, err := parseTime(s)
	if err != nil {
		return "", badRequest("%s: %q is not an ISO 8601 timestamp", name, s)
	}
	return fmtStored(t), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var _ = time.Second
