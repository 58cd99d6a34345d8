package xapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/domain"
)

// LRS is the HTTP handler of /xapi/.
type LRS struct {
	S *Service
	// MaxBody bounds a request body (default 16 MiB): a 100 MB body gets 413 and is not read.
	MaxBody int64
}

const (
	hdrVersion    = "X-Experience-API-Version"
	hdrConsistent = "X-Experience-API-Consistent-Through"
	hdrHash       = "X-Experience-API-Hash"
)

// negotiate maps the request's version header to the version served: 1.0.x → 1.0.3,
// 2.0.x → 2.0.0.
func negotiate(h string) (string, error) {
	h = strings.TrimSpace(h)
	switch {
	case h == "":
		return "", badRequest("the X-Experience-API-Version header is required (1.0.3 or 2.0.0)")
	case h == "1.0" || strings.HasPrefix(h, "1.0."):
		return V103, nil
	case h == "2.0" || strings.HasPrefix(h, "2.0."):
		return V200, nil
	}
	return "", badRequest("X-Experience-API-Version %q is not supported: this LRS speaks 1.0.3 and 2.0.0", h)
}

func (l *LRS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if o := r.Header.Get("Origin"); o != "" {
		h.Set("Access-Control-Allow-Origin", o)
		h.Add("Vary", "Origin")
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match")
	h.Set("Access-Control-Expose-Headers", "ETag, Last-Modified, X-Experience-API-Consistent-Through, X-Experience-API-Version")
	// The LRS is an API of its own: no framing, no caching of learner data.
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	max := l.MaxBody
	if max == 0 {
		max = 16 << 20
	}
	if r.ContentLength > max {
		writeErr(w, statusErr(413, "the body is %d bytes; at most %d are accepted", r.ContentLength, max))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, max)
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/xapi"), "/")
	if path == "/about" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeErr(w, statusErr(405, "about answers GET only"))
			return
		}
		if v := r.Header.Get(hdrVersion); v != "" {
			h.Set(hdrVersion, v)
		}
		writeJSON(w, 200, obj{"version": []string{V103, V200}, "extensions": obj{}})
		return
	}
	if r.Method == http.MethodPost && r.URL.Query().Has("method") {
		if err := alternate(r); err != nil {
			if v := r.Header.Get(hdrVersion); v != "" {
				h.Set(hdrVersion, v)
			}
			writeErr(w, err)
			return
		}
	}
	version, err := negotiate(r.Header.Get(hdrVersion))
	if path == "/statements" {
		h.Set(hdrConsistent, time.Now().UTC().Format(time.RFC3339Nano))
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	h.Set(hdrVersion, r.Header.Get(hdrVersion))
	c, err := l.S.Authenticate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		h.Set("WWW-Authenticate", `Basic realm="ESD xAPI"`)
		writeErr(w, err)
		return
	}
	rq := &req{w: w, r: r, c: c, v: version, s: l.S}
	switch path {
	case "/statements":
		err = rq.statements()
	case "/activities/state":
		err = rq.documents("state")
	case "/activities/profile":
		err = rq.documents("activity")
	case "/agents/profile":
		err = rq.documents("agent")
	case "/activities":
		err = rq.activities()
	case "/agents":
		err = rq.agents()
	default:
		err = statusErr(404, "no xAPI resource %s", r.URL.Path)
	}
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			err = statusErr(413, "the body is larger than %d bytes", mb.Limit)
		}
		writeErr(w, err)
	}
}

// alternate rewrites a 1.0.3 alternate-syntax request (POST ?method=X with the headers,
// parameters and content in a form body) into the request it stands for. 2.0.0 removed it.
func alternate(r *http.Request) error {
	q := r.URL.Query()
	method := strings.ToUpper(q.Get("method"))
	if len(q) > 1 {
		return badRequest("alternate request syntax: the only query parameter allowed is method")
	}
	if method != "GET" && method != "PUT" && method != "POST" && method != "DELETE" && method != "HEAD" {
		return badRequest("alternate request syntax: method %q is not GET, HEAD, PUT, POST or DELETE", method)
	}
	if err := r.ParseForm(); err != nil {
		return badRequest("alternate request syntax: the body must be a form: %v", err)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return badRequest("alternate request syntax: the body must be application/x-www-form-urlencoded")
	}
	v := r.PostForm.Get(hdrVersion)
	if v == "" {
		v = r.Header.Get(hdrVersion)
	}
	if strings.HasPrefix(v, "2.0") {
		return badRequest("alternate request syntax (?method=) was removed in xAPI 2.0.0")
	}
	rest := url.Values{}
	var content string
	for k, vs := range r.PostForm {
		switch textproto.CanonicalMIMEHeaderKey(k) {
		case "Authorization", "X-Experience-Api-Version", "Content-Type", "Content-Length", "If-Match", "If-None-Match":
			r.Header.Set(k, vs[0])
		default:
			if k == "content" {
				content = vs[0]
			} else {
				rest[k] = vs
			}
		}
	}
	if r.PostForm.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Method = method
	r.URL.RawQuery = rest.Encode()
	r.Form, r.PostForm = nil, nil
	r.Body = io.NopCloser(strings.NewReader(content))
	r.ContentLength = int64(len(content))
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers problem+json with the xAPI status; unexpected errors are 500s whose text
// is not shown.
func writeErr(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		var de *domain.Error
		if errors.As(err, &de) {
			st := 400
			switch de.Code {
			case domain.ENOTFOUND:
				st = 404
			case domain.EFORBIDDEN:
				st = 403
			case domain.EUNAUTHORIZED:
				st = 401
			case domain.ECONFLICT:
				st = 409
			}
			e = &Error{Status: st, Message: de.Message}
		} else {
			e = &Error{Status: 500, Message: "internal error"}
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(e.Status)
	body := obj{"type": "about:blank", "title": http.StatusText(e.Status), "status": e.Status, "detail": e.Message}
	if len(e.Details) > 1 {
		body["errors"] = e.Details
	}
	_ = json.NewEncoder(w).Encode(body)
}

type req struct {
	w http.ResponseWriter
	r *http.Request
	c *Credential
	v string
	s *Service
}

func (q *req) params(allowed ...string) (url.Values, error) {
	vals := q.r.URL.Query()
	for k := range vals {
		ok := false
		for _, a := range allowed {
			if a == k {
				ok = true
			}
		}
		if !ok {
			return nil, badRequest("unknown parameter %q", k)
		}
	}
	return vals, nil
}

func (q *req) statements() error {
	switch q.r.Method {
	case http.MethodGet, http.MethodHead:
		return q.getStatements()
	case http.MethodPut:
		vals, err := q.params("statementId")
		if err != nil {
			return err
		}
		id := vals.Get("statementId")
		if id == "" {
			return badRequest("PUT needs the statementId parameter")
		}
		if !uuidRe.MatchString(id) {
			return badRequest("statementId %q is not a UUID", id)
		}
		sts, parts, err := q.readStatements()
		if err != nil {
			return err
		}
		if len(sts) != 1 {
			return badRequest("PUT stores exactly one statement, not an array")
		}
		if _, err := q.s.Store(q.r.Context(), q.c, q.v, sts, parts, id); err != nil {
			return err
		}
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPost:
		if _, err := q.params(); err != nil {
			return err
		}
		sts, parts, err := q.readStatements()
		if err != nil {
			return err
		}
		ids, err := q.s.Store(q.r.Context(), q.c, q.v, sts, parts, "")
		if err != nil {
			return err
		}
		writeJSON(q.w, 200, ids)
		return nil
	}
	return statusErr(405, "statements answer GET, HEAD, PUT and POST")
}

// readStatements reads a JSON statement or array, or a multipart/mixed request whose first
// part is the statements and the others attachments checked against their SHA-2.
func (q *req) readStatements() ([]any, map[string]Part, error) {
	return readStatements(q.r.Header.Get("Content-Type"), q.r.Body)
}

// readStatements is the parse layer of a statements request: the body as its Content-Type
// says, without the store (its size is capped by the LRS's MaxBody before it gets here).
func readStatements(ct string, r io.Reader) ([]any, map[string]Part, error) {
	mt, mp, err := mime.ParseMediaType(ct)
	if err != nil && ct != "" {
		return nil, nil, badRequest("Content-Type %q: %v", ct, err)
	}
	var body []byte
	parts := map[string]Part{}
	switch {
	case mt == "multipart/mixed":
		if mp["boundary"] == "" {
			return nil, nil, badRequest("multipart/mixed without a boundary")
		}
		mr := multipart.NewReader(r, mp["boundary"])
		for i := 0; ; i++ {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, badRequest("multipart body, part %d: %v", i+1, err)
			}
			b, err := io.ReadAll(p)
			if err != nil {
				// Over the size cap stays as it is (413); anything else is the client's
				// broken body (a part cut short), not a server error.
				var mb *http.MaxBytesError
				if errors.As(err, &mb) {
					return nil, nil, err
				}
				return nil, nil, badRequest("multipart body, part %d: %v", i+1, err)
			}
			if i == 0 {
				if pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt != "application/json" {
					return nil, nil, badRequest("multipart body: the first part must be application/json, not %q", p.Header.Get("Content-Type"))
				}
				body = b
				continue
			}
			h := strings.ToLower(p.Header.Get(hdrHash))
			if h == "" {
				return nil, nil, badRequest("multipart body, part %d: the X-Experience-API-Hash header is required", i+1)
			}
			if got := sha2Of(h, b); got != h {
				return nil, nil, badRequest("multipart body, part %d: X-Experience-API-Hash %s does not match the content (SHA-2 %s)", i+1, h, got)
			}
			parts[h] = Part{ContentType: p.Header.Get("Content-Type"), Content: b}
		}
		if body == nil {
			return nil, nil, badRequest("multipart body: no statements part")
		}
	case mt == "application/json" || mt == "":
		if body, err = io.ReadAll(r); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, badRequest("Content-Type %q: send application/json or multipart/mixed", mt)
	}
	x, err := decodeJSON(body)
	if err != nil {
		return nil, nil, badRequest("%v", err)
	}
	switch v := x.(type) {
	case []any:
		return v, parts, nil
	case obj:
		return []any{v}, parts, nil
	}
	return nil, nil, badRequest("the body must be a statement object or an array of statements, not %s", kindOf(x))
}

// sha2Of hashes b with the SHA-2 variant the hash's length names.
func sha2Of(h string, b []byte) string {
	switch len(h) {
	case 56:
		s := sha256.Sum224(b)
		return hex.EncodeToString(s[:])
	case 96:
		s := sha512.Sum384(b)
		return hex.EncodeToString(s[:])
	case 128:
		s := sha512.Sum512(b)
		return hex.EncodeToString(s[:])
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (q *req) getStatements() error {
	vals, err := q.params("statementId", "voidedStatementId", "agent", "verb", "activity", "registration", "related_activities", "related_agents",
		"since", "until", "limit", "format", "attachments", "ascending", "cursor")
	if err != nil {
		return err
	}
	format := vals.Get("format")
	if format == "" {
		format = "exact"
	}
	if format != "ids" && format != "exact" && format != "canonical" {
		return badRequest("format %q: ids, exact or canonical", format)
	}
	boolParam := func(k string) (bool, error) {
		switch vals.Get(k) {
		case "", "false":
			return false, nil
		case "true":
			return true, nil
		}
		return false, badRequest("%s must be true or false", k)
	}
	withAtt, err := boolParam("attachments")
	if err != nil {
		return err
	}
	langs := acceptLanguages(q.r.Header.Get("Accept-Language"))
	sid, vid := vals.Get("statementId"), vals.Get("voidedStatementId")
	if sid != "" || vid != "" {
		for k := range vals {
			if k != "statementId" && k != "voidedStatementId" && k != "format" && k != "attachments" {
				return badRequest("statementId and voidedStatementId go only with format and attachments, not %s", k)
			}
		}
		if sid != "" && vid != "" {
			return badRequest("give statementId or voidedStatementId, not both")
		}
		id := sid + vid
		if !uuidRe.MatchString(id) {
			return badRequest("%q is not a UUID", id)
		}
		st, err := q.s.Get(q.r.Context(), q.c, id, vid != "")
		if err != nil {
			return err
		}
		if t, err := parseTime(fmt.Sprint(st["stored"])); err == nil {
			q.w.Header().Set("Last-Modified", t.UTC().Format(http.TimeFormat))
		}
		return q.send(st, []obj{st}, format, langs, withAtt)
	}
	var fq Query
	if a := vals.Get("agent"); a != "" {
		if _, fq.AgentKey, err = parseAgentParam("agent", a); err != nil {
			return err
		}
	}
	if v := vals.Get("verb"); v != "" {
		if !isIRI(v) {
			return badRequest("verb %q is not an IRI", v)
		}
		fq.Verb = v
	}
	if v := vals.Get("activity"); v != "" {
		if !isIRI(v) {
			return badRequest("activity %q is not an IRI", v)
		}
		fq.Activity = v
	}
	if v := vals.Get("registration"); v != "" {
		if !uuidRe.MatchString(v) {
			return badRequest("registration %q is not a UUID", v)
		}
		fq.Registration = v
	}
	if fq.RelatedAgents, err = boolParam("related_agents"); err != nil {
		return err
	}
	if fq.RelatedActivity, err = boolParam("related_activities"); err != nil {
		return err
	}
	if fq.Ascending, err = boolParam("ascending"); err != nil {
		return err
	}
	if fq.Since, err = parseSince("since", vals.Get("since")); err != nil {
		return err
	}
	if fq.Until, err = parseSince("until", vals.Get("until")); err != nil {
		return err
	}
	if v := vals.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return badRequest("limit %q is not a non-negative integer", v)
		}
		fq.Limit = n
	}
	if v := vals.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return badRequest("cursor %q is not one this LRS gave", v)
		}
		fq.Cursor = n
	}
	res, err := q.s.Find(q.r.Context(), q.c, fq)
	if err != nil {
		return err
	}
	more := ""
	if res.Next != 0 {
		nv := url.Values{}
		for k, vs := range vals {
			if k != "cursor" {
				nv[k] = vs
			}
		}
		nv.Set("cursor", itoa(res.Next))
		more = "/xapi/statements?" + nv.Encode()
	}
	if res.Last != "" && q.v == V200 {
		if t, err := time.Parse(storedFormat, res.Last); err == nil {
			q.w.Header().Set("Last-Modified", t.UTC().Format(http.TimeFormat))
		}
	}
	sts := res.Statements
	if sts == nil {
		sts = []obj{}
	}
	return q.send(obj{"statements": sts, "more": more}, sts, format, langs, withAtt)
}

// send writes a statement or a StatementResult, formatted, with the attachments' content as
// multipart/mixed when asked.
func (q *req) send(body any, sts []obj, format string, langs []string, withAtt bool) error {
	for i := range sts {
		formatStatement(sts[i], format, langs)
	}
	if !withAtt {
		writeJSON(q.w, 200, body)
		return nil
	}
	var hashes []string
	seen := map[string]bool{}
	for _, st := range sts {
		for _, x := range []obj{st, subOf(st)} {
			if x == nil {
				continue
			}
			as, _ := x["attachments"].([]any)
			for _, a := range as {
				ao, _ := a.(obj)
				if h, ok := ao["sha2"].(string); ok && !seen[h] {
					if _, url := ao["fileUrl"]; !url || true {
						seen[h] = true
						hashes = append(hashes, strings.ToLower(h))
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	jh := textproto.MIMEHeader{}
	jh.Set("Content-Type", "application/json")
	pw, _ := mw.CreatePart(jh)
	_ = json.NewEncoder(pw).Encode(body)
	sort.Strings(hashes)
	for _, h := range hashes {
		p, err := q.s.Attachment(q.r.Context(), h)
		if err != nil {
			continue // a fileUrl attachment has no stored content
		}
		ph := textproto.MIMEHeader{}
		ph.Set("Content-Type", p.ContentType)
		ph.Set("Content-Transfer-Encoding", "binary")
		ph.Set(hdrHash, h)
		w, _ := mw.CreatePart(ph)
		_, _ = w.Write(p.Content)
	}
	_ = mw.Close()
	q.w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	q.w.WriteHeader(200)
	_, err := q.w.Write(buf.Bytes())
	return err
}

func subOf(st obj) obj {
	if o, ok := st["object"].(obj); ok && o["objectType"] == "SubStatement" {
		return o
	}
	return nil
}

func acceptLanguages(h string) []string {
	type rng struct {
		tag string
		q   float64
		i   int
	}
	var rs []rng
	for i, p := range strings.Split(h, ",") {
		parts := strings.Split(p, ";")
		t := strings.TrimSpace(parts[0])
		q := 1.0
		for _, param := range parts[1:] {
			param = strings.TrimSpace(param)
			if v, ok := strings.CutPrefix(param, "q="); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || f < 0 || f > 1 {
					f = 0 // a malformed weight: RFC 9110 §12.4.2 makes it unusable
				}
				q = f
			}
		}
		// "*" adds nothing to pickLang's own fallback; q=0 means "not this one".
		if t != "" && t != "*" && q > 0 {
			rs = append(rs, rng{t, q, i})
		}
	}
	// Highest weight first; equal weights keep the header's order.
	sort.SliceStable(rs, func(a, b int) bool { return rs[a].q > rs[b].q })
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.tag
	}
	return out
}

// formatStatement applies format ids (identifiers only) or canonical (one language per
// language map, the first Accept-Language that matches) in place.
func formatStatement(st obj, format string, langs []string) {
	switch format {
	case "ids":
		idsOnly(st)
	case "canonical":
		canonical(st, langs)
	}
}

func idsOnly(x any) {
	switch v := x.(type) {
	case obj:
		for _, k := range []string{"actor", "authority"} {
			if a, ok := v[k].(obj); ok {
				agentIDs(a)
			}
		}
		if vb, ok := v["verb"].(obj); ok {
			delete(vb, "display")
		}
		if ob, ok := v["object"].(obj); ok {
			switch ob["objectType"] {
			case "Agent", "Group":
				agentIDs(ob)
			case "SubStatement":
				idsOnly(ob)
			case "StatementRef":
			default:
				delete(ob, "definition")
			}
		}
	}
}

func agentIDs(a obj) {
	k := agentKey(a)
	delete(a, "name")
	if k == "" {
		if ms, ok := a["member"].([]any); ok {
			for _, m := range ms {
				if mo, ok := m.(obj); ok {
					agentIDs(mo)
				}
			}
		}
	} else {
		delete(a, "member")
	}
}

func canonical(x any, langs []string) {
	switch v := x.(type) {
	case obj:
		for k, e := range v {
			if (k == "display" || k == "name" || k == "description") && isLangMap(e) {
				v[k] = pickLang(e.(obj), langs)
				continue
			}
			canonical(e, langs)
		}
	case []any:
		for _, e := range v {
			canonical(e, langs)
		}
	}
}

func isLangMap(x any) bool {
	o, ok := x.(obj)
	if !ok || len(o) == 0 {
		return false
	}
	for k, v := range o {
		if _, ok := v.(string); !ok || !langRe.MatchString(k) {
			return false
		}
	}
	return true
}

// pickLang reduces a language map to its best match for the ranges, in order of preference,
// by RFC 4647 lookup: a range matches its own tag, a longer tag it prefixes ("en" → "en-GB"),
// and, truncated subtag by subtag, a shorter one ("it-IT" → "it"). Ties go to the sorted
// first key, so the answer never depends on map order; with no match, English, then the
// first key.
func pickLang(m obj, langs []string) obj {
	ks := sortedKeys(m)
	for _, l := range langs {
		l = strings.ToLower(l)
		for _, k := range ks {
			if strings.ToLower(k) == l {
				return obj{k: m[k]}
			}
		}
		for _, k := range ks {
			if strings.HasPrefix(strings.ToLower(k), l+"-") {
				return obj{k: m[k]}
			}
		}
		for r := l; strings.Contains(r, "-"); {
			r = r[:strings.LastIndex(r, "-")]
			for _, k := range ks {
				if strings.ToLower(k) == r {
					return obj{k: m[k]}
				}
			}
		}
	}
	for _, k := range ks {
		if lk := strings.ToLower(k); lk == "en" || strings.HasPrefix(lk, "en-") {
			return obj{k: m[k]}
		}
	}
	return obj{ks[0]: m[ks[0]]}
}

// documents serves the State, Activity Profile and Agent Profile resources.
func (q *req) documents(kind string) error {
	var allowed []string
	switch kind {
	case "state":
		allowed = []string{"activityId", "agent", "registration", "stateId", "since"}
	case "activity":
		allowed = []string{"activityId", "profileId", "since"}
	case "agent":
		allowed = []string{"agent", "profileId", "since"}
	}
	vals, err := q.params(allowed...)
	if err != nil {
		return err
	}
	k := DocKey{Kind: kind}
	if kind != "agent" {
		k.ActivityID = vals.Get("activityId")
		if k.ActivityID == "" {
			return badRequest("the activityId parameter is required")
		}
		if !isIRI(k.ActivityID) {
			return badRequest("activityId %q is not an IRI", k.ActivityID)
		}
	}
	if kind != "activity" {
		a := vals.Get("agent")
		if a == "" {
			return badRequest("the agent parameter is required")
		}
		if _, k.AgentKey, err = parseAgentParam("agent", a); err != nil {
			return err
		}
	}
	if r := vals.Get("registration"); r != "" {
		if !uuidRe.MatchString(r) {
			return badRequest("registration %q is not a UUID", r)
		}
		k.Registration = strings.ToLower(r)
	}
	idParam := "profileId"
	if kind == "state" {
		idParam = "stateId"
	}
	k.DocID = vals.Get(idParam)
	ctx := q.r.Context()
	pre := Precondition{IfMatch: q.r.Header.Get("If-Match"), IfNoneMatch: q.r.Header.Get("If-None-Match"), V2: q.v == V200}
	switch q.r.Method {
	case http.MethodGet, http.MethodHead:
		if k.DocID == "" {
			since, err := parseSince("since", vals.Get("since"))
			if err != nil {
				return err
			}
			ids, err := q.s.DocIDs(ctx, q.c, k, since)
			if err != nil {
				return err
			}
			writeJSON(q.w, 200, ids)
			return nil
		}
		if vals.Has("since") {
			return badRequest("since goes only with a list request (no %s)", idParam)
		}
		d, err := q.s.GetDoc(ctx, q.c, k)
		if err != nil {
			return err
		}
		q.w.Header().Set("ETag", d.ETag)
		if t, err := time.Parse(storedFormat, d.Updated); err == nil {
			q.w.Header().Set("Last-Modified", t.UTC().Format(http.TimeFormat))
		}
		q.w.Header().Set("Content-Type", d.ContentType)
		q.w.WriteHeader(200)
		_, err = q.w.Write(d.Content)
		return err
	case http.MethodPut, http.MethodPost:
		if k.DocID == "" {
			return badRequest("the %s parameter is required", idParam)
		}
		body, err := io.ReadAll(q.r.Body)
		if err != nil {
			return err
		}
		ct := q.r.Header.Get("Content-Type")
		if ct == "" {
			ct = "application/octet-stream"
		}
		if isJSONType(ct) {
			if _, err := decodeJSON(body); err != nil {
				return badRequest("the document is application/json but %v", err)
			}
		}
		pre.Put = q.r.Method == http.MethodPut
		etag, err := q.s.PutDoc(ctx, q.c, k, ct, body, q.r.Method == http.MethodPost, pre)
		if err != nil {
			return err
		}
		q.w.Header().Set("ETag", etag)
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodDelete:
		if k.DocID == "" && kind != "state" {
			return badRequest("the %s parameter is required", idParam)
		}
		if err := q.s.DeleteDoc(ctx, q.c, k, pre); err != nil {
			return err
		}
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return statusErr(405, "documents answer GET, HEAD, PUT, POST and DELETE")
}

func (q *req) activities() error {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		return statusErr(405, "activities answer GET")
	}
	vals, err := q.params("activityId")
	if err != nil {
		return err
	}
	id := vals.Get("activityId")
	if id == "" || !isIRI(id) {
		return badRequest("the activityId parameter must be an IRI")
	}
	a, err := q.s.Activity(q.r.Context(), q.c, id)
	if err != nil {
		return err
	}
	writeJSON(q.w, 200, a)
	return nil
}

func (q *req) agents() error {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		return statusErr(405, "agents answer GET")
	}
	vals, err := q.params("agent")
	if err != nil {
		return err
	}
	if vals.Get("agent") == "" {
		return badRequest("the agent parameter is required")
	}
	a, _, err := parseAgentParam("agent", vals.Get("agent"))
	if err != nil {
		return err
	}
	writeJSON(q.w, 200, Person(a))
	return nil
}
