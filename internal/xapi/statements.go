package xapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Part is an attachment's raw content from a multipart request, by SHA-2.
type Part struct {
	ContentType string
	Content     []byte
}

// prepared is a statement checked and ready to insert.
type prepared struct {
	st      obj
	id      string
	verb    string
	reg     string
	voids   string
	content string
	raw     []byte
	keys    [][2]string
}

// Store validates and stores statements (a PUT's one, a POST's one or batch) all or nothing,
// and returns their ids. A statement that is already stored with the same content is not
// stored again; with other content it is a 409. Problems name the statement by its position
// in the batch, so Moodle's halving finds it.
func (s *Service) Store(ctx context.Context, c *Credential, version string, sts []any, parts map[string]Part, putID string) ([]string, error) {
	if !c.Has(ScopeStatementsWrite) {
		return nil, statusErr(403, "the credential has no statements/write scope")
	}
	if len(sts) == 0 {
		return nil, badRequest("no statements")
	}
	n := len(sts)
	name := func(i int, id string) string {
		if n == 1 {
			if id != "" {
				return "statement " + id
			}
			return "statement"
		}
		if id != "" {
			return fmt.Sprintf("statement %d of %d (id %s)", i+1, n, id)
		}
		return fmt.Sprintf("statement %d of %d", i+1, n)
	}
	now := s.now()
	// The fixed-width form is both the column and the statement's stored: one value.
	storedKey := fmtStored(now)
	stored := storedKey
	ps := make([]prepared, 0, n)
	seen := map[string]int{}
	needed := map[string]bool{}
	for i, x := range sts {
		o, ok := x.(obj)
		if !ok {
			return nil, badRequest("%s: must be a JSON object, not %s", name(i, ""), kindOf(x))
		}
		id, _ := o["id"].(string)
		if errs := Validate(version, o); len(errs) > 0 {
			e := badRequest("%s: %s", name(i, id), errs[0])
			for _, m := range errs {
				e.Details = append(e.Details, name(i, id)+": "+m)
			}
			return nil, e
		}
		if putID != "" {
			if id != "" && !strings.EqualFold(id, putID) {
				return nil, statusErr(400, "statement: id %s differs from the statementId parameter %s", id, putID)
			}
			id = putID
		}
		if id == "" {
			id = newUUID()
		}
		id = strings.ToLower(id)
		if j, dup := seen[id]; dup {
			return nil, badRequest("%s repeats the id of statement %d in the same batch", name(i, id), j+1)
		}
		seen[id] = i
		p := prepared{id: id, content: canonicalContent(o)}
		vb := o["verb"].(obj)
		p.verb = vb["id"].(string)
		if ctxo, ok := o["context"].(obj); ok {
			p.reg, _ = ctxo["registration"].(string)
			p.reg = strings.ToLower(p.reg)
		}
		if p.verb == VerbVoided {
			if c.NoVoid {
				return nil, statusErr(403, "%s: this credential may not void statements", name(i, id))
			}
			p.voids = strings.ToLower(o["object"].(obj)["id"].(string))
		}
		// cmi5 session credentials write only their learner's statements in their registration.
		if c.Kind == "session" {
			if agentKey(o["actor"]) != c.actorKey {
				return nil, statusErr(403, "%s: a session credential writes only statements of its learner", name(i, id))
			}
			if p.reg != strings.ToLower(c.SessionRegistration) {
				return nil, statusErr(403, "%s: a session credential writes only statements of registration %s", name(i, id), c.SessionRegistration)
			}
		}
		if as, ok := o["attachments"].([]any); ok {
			for _, a := range as {
				ao := a.(obj)
				if _, url := ao["fileUrl"]; url {
					if ao["usageType"] == UsageSignature {
						return nil, badRequest("%s: signed statement: the signature must be sent as a part of the request, not a fileUrl, so that it can be verified", name(i, id))
					}
					continue
				}
				h := strings.ToLower(ao["sha2"].(string))
				part, ok := parts[h]
				if !ok {
					return nil, badRequest("%s: the attachment with sha2 %s has no part in the request (send multipart/mixed, or a fileUrl)", name(i, id), h)
				}
				needed[h] = true
				if ao["usageType"] == UsageSignature {
					if err := checkSignature(o, ao, part); err != nil {
						return nil, badRequest("%s: signed statement: %v", name(i, id), err)
					}
				}
			}
		}
		// What the LRS sets: id, authority from the credential, stored, timestamp, version.
		o["id"] = id
		o["authority"] = c.Authority
		o["stored"] = stored
		if ts, ok := o["timestamp"].(string); !ok {
			o["timestamp"] = stored
		} else if version == V200 {
			if t, err := parseTime(ts); err == nil {
				o["timestamp"] = t.UTC().Format(time.RFC3339Nano)
			}
		}
		if _, ok := o["version"]; !ok {
			if version == V200 {
				o["version"] = V200
			} else {
				o["version"] = "1.0.0"
			}
		}
		p.st = o
		p.keys = keysOf(o)
		p.raw = packRaw(o)
		ps = append(ps, p)
	}
	for h := range parts {
		if !needed[h] {
			return nil, badRequest("the multipart part with X-Experience-API-Hash %s matches no attachment of the statements", h)
		}
	}
	if err := s.checkActivities(ctx, c, ps); err != nil {
		return nil, err
	}

	ids := make([]string, len(ps))
	pctx := domain.WithActor(ctx, c.Actor())
	err := s.grouped(ctx, func(tx *sql.Tx) error {
		var keyRows [][]any
		for h, p := range parts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO xapi_attachments (sha2, content_type, length, content) VALUES ($1,$2,$3,$4) ON CONFLICT (sha2) DO NOTHING`,
				h, p.ContentType, len(p.Content), p.Content); err != nil {
				return err
			}
		}
		// Insert first, the whole request in multi-row inserts: a new id (the usual case)
		// costs a share of one statement, a known one a look-up below.
		seqs, err := s.insertStatements(ctx, tx, c, storedKey, ps)
		if err != nil {
			return err
		}
		for i := range ps {
			p := &ps[i]
			ids[i] = p.id
			seq, inserted := seqs[p.id]
			if !inserted {
				var have string
				if err := tx.QueryRowContext(ctx, `SELECT content_sha FROM xapi_statements WHERE provider_id = $1 AND id = $2`, c.ProviderID, p.id).Scan(&have); err != nil {
					return err
				}
				if have != p.content {
					return statusErr(409, "%s: a statement with this id is already stored with other content", name(i, p.id))
				}
				continue // immutable: the same statement again changes nothing
			}
			if p.voids != "" {
				var targetVerb, targetSeq int64
				err := tx.QueryRowContext(ctx, `SELECT seq, verb_hash FROM xapi_statements WHERE provider_id = $1 AND id = $2`, c.ProviderID, p.voids).Scan(&targetSeq, &targetVerb)
				switch {
				case err == sql.ErrNoRows:
					// The target may arrive later or belong to nobody we know: stored anyway.
				case err != nil:
					return err
				case targetVerb == keyHash(VerbVoided):
					return badRequest("%s: a voiding statement cannot be voided", name(i, p.id))
				default:
					if _, err := tx.ExecContext(ctx, `UPDATE xapi_statements SET voided = 1 WHERE seq = $1`, targetSeq); err != nil {
						return err
					}
					if err := s.unproject(pctx, tx, c, targetSeq, p.id); err != nil {
						return err
					}
				}
			}
			for _, k := range p.keys {
				keyRows = append(keyRows, []any{c.ProviderID, k[0], keyHash(k[1]), seq})
			}
			if err := s.saveActivity(ctx, tx, c.ProviderID, p.st["object"]); err != nil {
				return err
			}
			if err := s.project(pctx, tx, c, seq, p); err != nil {
				return err
			}
		}
		// All the batch's keys in multi-row inserts, sorted so the b-tree is walked once.
		sort.Slice(keyRows, func(i, j int) bool {
			a, b := keyRows[i], keyRows[j]
			if a[1] != b[1] {
				return a[1].(string) < b[1].(string)
			}
			return a[2].(int64) < b[2].(int64)
		})
		return db.InsertRows(ctx, tx, s.DB.IsPostgres(), "xapi_statement_keys", []string{"provider_id", "kind", "key_hash", "seq"}, keyRows)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// insertChunk is how many statements one INSERT carries (9 parameters each, far under
// SQLite's and PostgreSQL's limits).
const insertChunk = 250

// insertStatements inserts the request's statements in multi-row INSERTs, skipping ids
// already stored, and returns the seq of each one inserted by id: one round trip per chunk
// instead of one per statement.
func (s *Service) insertStatements(ctx context.Context, tx *sql.Tx, c *Credential, storedKey string, ps []prepared) (map[string]int64, error) {
	out := make(map[string]int64, len(ps))
	for start := 0; start < len(ps); start += insertChunk {
		part := ps[start:min(start+insertChunk, len(ps))]
		var q strings.Builder
		q.WriteString(`INSERT INTO xapi_statements (id, provider_id, credential_id, stored, verb_hash, registration, voids, content_sha, raw) VALUES `)
		args := make([]any, 0, 9*len(part))
		for i, p := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
			args = append(args, p.id, c.ProviderID, c.ID, storedKey, keyHash(p.verb), p.reg, p.voids, p.content, p.raw)
		}
		q.WriteString(` ON CONFLICT (provider_id, id) DO NOTHING RETURNING id, seq`)
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = seq
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkActivities refuses statements about activities another provider mapped to its
// catalogue editions: a provider reports only its own courses.
func (s *Service) checkActivities(ctx context.Context, c *Credential, ps []prepared) error {
	am, err := s.activityMap(ctx)
	if err != nil {
		return err
	}
	for i, p := range ps {
		ob, _ := p.st["object"].(obj)
		id, _ := ob["id"].(string)
		if id == "" || (ob["objectType"] != nil && ob["objectType"] != "Activity") {
			continue
		}
		for _, m := range am[id] {
			if m.provider != c.ProviderID {
				return statusErr(403, "statement %d: activity %s belongs to another provider's catalogue event", i+1, id)
			}
		}
	}
	return nil
}

// activityMap is the mapped activities by IRI, kept in memory: every statement consults it
// and it changes rarely (MapActivity resets it; other processes' changes show within 30 s).
func (s *Service) activityMap(ctx context.Context) (map[string][]mapping, error) {
	s.mu.Lock()
	am, at := s.amap, s.amapAt
	s.mu.Unlock()
	if am != nil && time.Since(at) < 30*time.Second {
		return am, nil
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT provider_id, activity_id, edition_id, verbs, min_score FROM xapi_activity_map`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	am = map[string][]mapping{}
	for rows.Next() {
		var m mapping
		var act, verbs string
		if err := rows.Scan(&m.provider, &act, &m.editionID, &verbs, &m.minScore); err != nil {
			return nil, err
		}
		m.verbs = strings.Fields(verbs)
		am[act] = append(am[act], m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.amap, s.amapAt = am, time.Now()
	s.mu.Unlock()
	return am, nil
}

func (s *Service) resetActivityMap() {
	s.mu.Lock()
	s.amap = nil
	s.mu.Unlock()
}

// saveActivity keeps the latest definition of an activity object for the Activities resource.
func (s *Service) saveActivity(ctx context.Context, tx *sql.Tx, providerID int64, x any) error {
	o, ok := x.(obj)
	if !ok || (o["objectType"] != nil && o["objectType"] != "Activity") {
		return nil
	}
	def, ok := o["definition"]
	if !ok {
		return nil
	}
	b, _ := json.Marshal(def)
	// Most statements repeat their activity's definition: skip the upsert when this process
	// last wrote the same one.
	ck := strconv.FormatInt(providerID, 10) + " " + fmt.Sprint(o["id"])
	sum := sha256Hex(b)
	s.mu.Lock()
	same := s.defs[ck] == sum
	s.mu.Unlock()
	if same {
		return nil
	}
	defer func() {
		s.mu.Lock()
		if len(s.defs) > 100_000 {
			s.defs = map[string]string{}
		}
		s.defs[ck] = sum
		s.mu.Unlock()
	}()
	_, err := tx.ExecContext(ctx, `INSERT INTO xapi_activities (provider_id, id, definition_json) VALUES ($1,$2,$3)
		ON CONFLICT (provider_id, id) DO UPDATE SET definition_json = excluded.definition_json WHERE xapi_activities.definition_json <> excluded.definition_json`,
		providerID, o["id"], string(b))
	return err
}

// Query is a statements GET.
type Query struct {
	StatementID, VoidedStatementID string
	AgentKey                       string
	Verb, Activity, Registration   string
	RelatedAgents, RelatedActivity bool
	Since, Until                   string // stored, fixed-width
	Limit                          int
	Ascending                      bool
	Cursor                         int64 // seq to continue after
}

// Result is a page of statements with the cursor of the next one (0: none).
type Result struct {
	Statements []obj
	Next       int64
	Last       string // stored of the newest statement returned, for Last-Modified
}

// Get returns one statement by id (voided ones only by voidedStatementId).
func (s *Service) Get(ctx context.Context, c *Credential, id string, voided bool) (obj, error) {
	if !c.Has(ScopeStatementsReadMine) {
		return nil, statusErr(403, "the credential has no statements/read scope")
	}
	q := `SELECT s.id, s.stored, c.authority_json, s.raw, s.voided FROM xapi_statements s JOIN xapi_credentials c ON c.id = s.credential_id
		WHERE s.provider_id = $1 AND s.id = $2`
	args := []any{c.ProviderID, strings.ToLower(id)}
	if !c.Has(ScopeStatementsRead) {
		q += ` AND s.credential_id = $3`
		args = append(args, c.ID)
	}
	var sid, stored, auth string
	var raw []byte
	var v int
	err := s.DB.Read.QueryRowContext(ctx, q, args...).Scan(&sid, &stored, &auth, &raw, &v)
	if err == sql.ErrNoRows || err == nil && (v != 0) != voided {
		return nil, statusErr(404, "no statement %s", id)
	}
	if err != nil {
		return nil, err
	}
	return decodeStored(sid, stored, auth, raw)
}

// packRaw compresses a statement without what its row holds elsewhere.
func packRaw(st obj) []byte {
	c := make(obj, len(st))
	for k, v := range st {
		if k != "id" && k != "stored" && k != "authority" {
			c[k] = v
		}
	}
	b, _ := json.Marshal(c)
	return compress(b)
}

// decodeStored rebuilds a stored statement from its row.
func decodeStored(id, stored, authority string, raw []byte) (obj, error) {
	b, err := decompress(raw)
	if err != nil {
		return nil, err
	}
	x, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	st := x.(obj)
	st["id"], st["stored"] = id, stored
	if a, err := decodeJSON([]byte(authority)); err == nil {
		st["authority"] = a
	}
	return st, nil
}

// Find runs a statements query in the credential's provider (and, with read/mine only, its
// own statements).
func (s *Service) Find(ctx context.Context, c *Credential, q Query) (Result, error) {
	if !c.Has(ScopeStatementsReadMine) {
		return Result{}, statusErr(403, "the credential has no statements/read scope")
	}
	var w []string
	args := []any{c.ProviderID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	w = append(w, "s.provider_id = $1", "s.voided = 0")
	if !c.Has(ScopeStatementsRead) {
		w = append(w, "s.credential_id = "+arg(c.ID))
	}
	if q.Verb != "" {
		w = append(w, "s.verb_hash = "+arg(keyHash(q.Verb)))
	}
	if q.Registration != "" {
		w = append(w, "s.registration = "+arg(strings.ToLower(q.Registration)))
	}
	if q.Since != "" {
		w = append(w, "s.stored > "+arg(q.Since))
	}
	if q.Until != "" {
		w = append(w, "s.stored <= "+arg(q.Until))
	}
	if q.Cursor != 0 {
		if q.Ascending {
			w = append(w, "s.seq > "+arg(q.Cursor))
		} else {
			w = append(w, "s.seq < "+arg(q.Cursor))
		}
	}
	keyFilter := func(kinds, key string) {
		w = append(w, "s.seq IN (SELECT k.seq FROM xapi_statement_keys k WHERE k.provider_id = $1 AND k.kind IN ("+kinds+") AND k.key_hash = "+arg(keyHash(key))+")")
	}
	if q.AgentKey != "" {
		if q.RelatedAgents {
			keyFilter("'a','r'", q.AgentKey)
		} else {
			keyFilter("'a'", q.AgentKey)
		}
	}
	if q.Activity != "" {
		if q.RelatedActivity {
			keyFilter("'o','c'", q.Activity)
		} else {
			keyFilter("'o'", q.Activity)
		}
	}
	order := "DESC"
	if q.Ascending {
		order = "ASC"
	}
	lim := q.Limit
	if lim <= 0 || lim > 500 {
		lim = 500
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT s.seq, s.id, s.stored, c.authority_json, s.raw FROM xapi_statements s JOIN xapi_credentials c ON c.id = s.credential_id
		WHERE `+strings.Join(w, " AND ")+` ORDER BY s.seq `+order+` LIMIT `+strconv.Itoa(lim+1), args...)
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	var res Result
	var lastSeq int64
	for rows.Next() {
		var seq int64
		var id, stored, auth string
		var raw []byte
		if err := rows.Scan(&seq, &id, &stored, &auth, &raw); err != nil {
			return Result{}, err
		}
		if len(res.Statements) == lim {
			res.Next = lastSeq
			break
		}
		st, err := decodeStored(id, stored, auth, raw)
		if err != nil {
			return Result{}, err
		}
		res.Statements = append(res.Statements, st)
		lastSeq = seq
		if stored > res.Last {
			res.Last = stored
		}
	}
	return res, rows.Err()
}

// Attachment returns a stored attachment's content.
func (s *Service) Attachment(ctx context.Context, sha2 string) (Part, error) {
	var p Part
	err := s.DB.Read.QueryRowContext(ctx, `SELECT content_type, content FROM xapi_attachments WHERE sha2 = $1`, sha2).Scan(&p.ContentType, &p.Content)
	return p, err
}

// Purge deletes statements stored before the retention period (the raw rows, their keys
// and projection records; what they projected stays in the platform).
func (s *Service) Purge(ctx context.Context) (int64, error) {
	if s.Retention <= 0 {
		return 0, nil
	}
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return 0, err
	}
	cut := fmtStored(s.now().Add(-s.Retention))
	var n int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM xapi_statements WHERE stored < $1`, cut).Scan(&n); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM xapi_statement_keys WHERE seq <= $1`, `DELETE FROM xapi_projections WHERE statement_seq <= $1`, `DELETE FROM xapi_statements WHERE seq <= $1`} {
			if _, err := tx.ExecContext(ctx, q, n); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
