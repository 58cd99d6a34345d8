// Package xapi is ESD's learning record store: the xAPI resources at /xapi/ in versions 1.0.3
// and 2.0.0 negotiated per request (statements with voiding and attachments, state, activity
// profile and agent profile documents, agents, activities, about), the providers' Basic
// credentials and the short-lived per-session credentials of cmi5 launches, and the
// projection of statements about catalogue editions into participations, evidence and
// credits through the participation service.
package xapi

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/participation"
)

// Projector is the participation service's external write path.
type Projector interface {
	RecordExternal(ctx context.Context, tx *sql.Tx, in participation.External) (int64, float64, error)
	WithdrawExternal(ctx context.Context, tx *sql.Tx, participationID int64, note string) error
}

// Service stores statements and documents and manages credentials.
type Service struct {
	DB        *db.DB
	Log       *slog.Logger
	Projector Projector
	// Retention is how long statements are kept (0: for ever); Purge removes older ones.
	Retention time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time

	mu     sync.Mutex
	creds  map[string]*Credential // by key, for the hot path; revocation evicts
	amap   map[string][]mapping   // mapped activities by IRI
	amapAt time.Time
	defs   map[string]string // provider and activity → hash of the definition last written

	groupOnce sync.Once
	group     chan *groupJob // statement writes waiting for the committer (group.go)
}

// New returns a service.
func New(d *db.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Log: log, creds: map[string]*Credential{}, defs: map[string]string{}}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// storedFormat is fixed-width so stored times compare as text on both databases.
const storedFormat = "2006-01-02T15:04:05.000000Z"

func fmtStored(t time.Time) string { return t.UTC().Format(storedFormat) }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// rawDict1 is the preset DEFLATE dictionary of format 1: the vocabulary of typical
// statements (Moodle's, cmi5's), so that even a short statement compresses. It must never
// change: a new dictionary gets a new format byte.
var rawDict1 = []byte(`{"actor":{"objectType":"Agent","name":"","mbox":"mailto:","account":{"homePage":"https://","name":""}},` +
	`"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed","en":"viewed"}},"http://id.tincanapi.com/verb/viewed",` +
	`"http://adlnet.gov/expapi/verbs/passed","http://adlnet.gov/expapi/verbs/initialized","http://adlnet.gov/expapi/verbs/terminated","http://adlnet.gov/expapi/verbs/launched",` +
	`"object":{"objectType":"Activity","id":"https://","definition":{"type":"http://id.tincanapi.com/activitytype/lms/module","name":{"it":"","en":""}}},` +
	`"http://id.tincanapi.com/activitytype/lms/course","http://adlnet.gov/expapi/activities/","/mod/page/view.php?id=","/course/view.php?id=",` +
	`"result":{"score":{"scaled":0.,"raw":,"min":0,"max":100},"success":true,"completion":true,"duration":"PT"},` +
	`"context":{"registration":"","platform":"Moodle","language":"it","extensions":{"http://lrs.learninglocker.net/define/extensions/info":{"http://moodle.org":"","event_name":"\\core\\event\\course_viewed"}},` +
	`"https://w3id.org/xapi/cmi5/context/extensions/sessionid","https://w3id.org/xapi/cmi5/context/categories/moveon",` +
	`"contextActivities":{"parent":[{"id":""}],"grouping":[{"id":"https://","definition":{"type":"http://id.tincanapi.com/activitytype/lms"}}],"category":[{"id":"https://w3id.org/xapi/cmi5/context/categories/cmi5"}]}},` +
	`"timestamp":"2026-01-01T00:00:00.000Z","version":"1.0.0"}`)

var writers = sync.Pool{New: func() any {
	w, _ := flate.NewWriterDict(io.Discard, flate.BestSpeed, rawDict1)
	return w
}}

// compress packs a stored statement: a format byte, then DEFLATE over rawDict1.
func compress(b []byte) []byte {
	var buf bytes.Buffer
	buf.WriteByte(1)
	w := writers.Get().(*flate.Writer)
	w.Reset(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	writers.Put(w)
	return buf.Bytes()
}

func decompress(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != 1 {
		return nil, fmt.Errorf("stored statement in an unknown format")
	}
	return io.ReadAll(flate.NewReaderDict(bytes.NewReader(b[1:]), rawDict1))
}

// keyHash is the stored form of an agent or activity identifier in xapi_statement_keys.
func keyHash(key string) int64 {
	h := sha256.Sum256([]byte(key))
	var n int64
	for _, c := range h[:8] {
		n = n<<8 | int64(c)
	}
	return n
}

// agentKey is the identity of an Agent or identified Group: its inverse functional
// identifier. Anonymous groups have none ("").
func agentKey(x any) string {
	o, ok := x.(obj)
	if !ok {
		return ""
	}
	if s, ok := o["mbox"].(string); ok {
		return "mbox:" + strings.ToLower(s)
	}
	if s, ok := o["mbox_sha1sum"].(string); ok {
		return "sha1:" + strings.ToLower(s)
	}
	if s, ok := o["openid"].(string); ok {
		return "openid:" + s
	}
	if a, ok := o["account"].(obj); ok {
		hp, _ := a["homePage"].(string)
		n, _ := a["name"].(string)
		return "account:" + hp + "|" + n
	}
	return ""
}

// parseAgentParam decodes and validates an agent query parameter.
func parseAgentParam(name, s string) (obj, string, error) {
	x, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, "", badRequest("%s: %v", name, err)
	}
	v := &validator{}
	v.agent(name, x, false)
	if len(v.errs) > 0 {
		return nil, "", badRequest("%s", v.errs[0])
	}
	o := x.(obj)
	k := agentKey(o)
	if k == "" {
		return nil, "", badRequest("%s: an anonymous Group cannot be looked up", name)
	}
	return o, k, nil
}

// keysOf lists the agent and activity keys of a stored statement for the filters.
func keysOf(st obj) [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	add := func(kind, key string) {
		if key == "" {
			return
		}
		k := [2]string{kind, key}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	var agents func(kind string, x any)
	agents = func(kind string, x any) {
		o, ok := x.(obj)
		if !ok {
			return
		}
		add(kind, agentKey(o))
		if ms, ok := o["member"].([]any); ok {
			for _, m := range ms {
				add("r", agentKey(m))
			}
		}
	}
	var walk func(st obj, direct bool)
	walk = func(st obj, direct bool) {
		ak, rk := "a", "r"
		ok2, rk2 := "o", "c"
		if !direct {
			ak, ok2 = "r", "c"
		}
		agents(ak, st["actor"])
		if ob, ok := st["object"].(obj); ok {
			switch ob["objectType"] {
			case "Agent", "Group":
				agents(ak, ob)
			case "SubStatement":
				walk(ob, false)
			case "StatementRef":
			default:
				if id, ok := ob["id"].(string); ok {
					add(ok2, id)
				}
			}
		}
		agents(rk, st["authority"])
		if c, ok := st["context"].(obj); ok {
			agents(rk, c["instructor"])
			agents(rk, c["team"])
			for _, k := range []string{"contextAgents", "contextGroups"} {
				if xs, ok := c[k].([]any); ok {
					for _, e := range xs {
						if eo, ok := e.(obj); ok {
							agents(rk, eo["agent"])
							agents(rk, eo["group"])
						}
					}
				}
			}
			if ca, ok := c["contextActivities"].(obj); ok {
				for _, k := range []string{"parent", "grouping", "category", "other"} {
					for _, a := range activityList(ca[k]) {
						add(rk2, a)
					}
				}
			}
		}
	}
	walk(st, true)
	return out
}

func activityList(x any) []string {
	switch a := x.(type) {
	case obj:
		if id, ok := a["id"].(string); ok {
			return []string{id}
		}
	case []any:
		var out []string
		for _, e := range a {
			if o, ok := e.(obj); ok {
				if id, ok := o["id"].(string); ok {
					out = append(out, id)
				}
			}
		}
		return out
	}
	return nil
}

// Error is an xAPI error: its HTTP status and a message for the body.
type Error struct {
	Status  int
	Message string
	Details []string
}

func (e *Error) Error() string { return e.Message }

func badRequest(format string, args ...any) *Error {
	return &Error{Status: 400, Message: fmt.Sprintf(format, args...)}
}

func statusErr(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// canonicalContent is what identifies a statement's content for the "same id, different
// content" check: the statement as sent, without what the LRS sets.
func canonicalContent(st obj) string {
	c := make(obj, len(st))
	for k, v := range st {
		switch k {
		case "id", "authority", "stored", "version":
			continue
		}
		c[k] = v
	}
	b, _ := json.Marshal(c)
	return sha256Hex(b)[:16]
}

// Actor returns the domain actor a credential acts as: its provider.
func (c *Credential) Actor() domain.Actor {
	return domain.Actor{Role: domain.RoleProvider, OrganisationID: c.ProviderID, Username: "xapi:" + c.Key}
}
