package xapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Versions the LRS speaks, newest last.
const (
	V103 = "1.0.3"
	V200 = "2.0.0"
)

// obj is a decoded JSON object; numbers stay json.Number so raw scores keep their text.
type obj = map[string]any

// validator walks one statement and records the first problem with its JSON path: one clear
// message per error, which is what a client (and Moodle's halving) can act on.
type validator struct {
	v2   bool
	errs []string
}

func (v *validator) fail(path, format string, args ...any) {
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
}

var (
	uuidRe     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	sha1Re     = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	langRe     = regexp.MustCompile(`^(?i)([a-z]{2,3}(-[a-z]{3}){0,3}|[a-z]{4,8}|x|i)(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*(-[0-9a-wy-z](-[a-z0-9]{2,8})+)*(-x(-[a-z0-9]{1,8})+)?$|^(?i)x(-[a-z0-9]{1,8})+$`)
	durationRe = regexp.MustCompile(`^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$`)
	schemeRe   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*:`)
)

// keys refuses properties outside allowed (both 1.0.3 and 2.0.0 require it of an LRS).
func (v *validator) keys(path string, o obj, allowed ...string) {
	var extra []string
	for k := range o {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		v.fail(join(path, k), "unknown property")
	}
}

func join(path, k string) string {
	if k == "" {
		k = `""` // an empty property name must still show in the problem's path
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

func (v *validator) object(path string, x any) (obj, bool) {
	o, ok := x.(obj)
	if !ok {
		v.fail(path, "must be a JSON object, not %s", kindOf(x))
	}
	return o, ok
}

func (v *validator) str(path string, x any) (string, bool) {
	s, ok := x.(string)
	if !ok {
		v.fail(path, "must be a string, not %s", kindOf(x))
	}
	return s, ok
}

func kindOf(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case obj:
		return "an object"
	}
	return fmt.Sprintf("%T", x)
}

// iri checks an absolute IRI: a scheme and no spaces (IRIs allow non-ASCII characters).
func (v *validator) iri(path string, x any) (string, bool) {
	s, ok := v.str(path, x)
	if !ok {
		return "", false
	}
	if !isIRI(s) {
		v.fail(path, "%q is not an absolute IRI", s)
		return "", false
	}
	return s, true
}

func isIRI(s string) bool {
	if s == "" || !schemeRe.MatchString(s) || strings.ContainsAny(s, " \t\r\n<>\"{}|\\^`") {
		return false
	}
	_, err := url.Parse(s)
	return err == nil
}

// irl is an IRI that resolves: http or https.
func (v *validator) irl(path string, x any) (string, bool) {
	s, ok := v.iri(path, x)
	if ok && !strings.HasPrefix(strings.ToLower(s), "http://") && !strings.HasPrefix(strings.ToLower(s), "https://") {
		v.fail(path, "%q is not an IRL (http or https)", s)
		return s, false
	}
	return s, ok
}

func (v *validator) uuid(path string, x any) (string, bool) {
	s, ok := v.str(path, x)
	if ok && !uuidRe.MatchString(s) {
		v.fail(path, "%q is not a UUID", s)
		return s, false
	}
	return s, ok
}

func (v *validator) langMap(path string, x any) {
	o, ok := v.object(path, x)
	if !ok {
		return
	}
	for _, k := range sortedKeys(o) {
		if !langRe.MatchString(k) {
			v.fail(join(path, k), "%q is not an RFC 5646 language tag", k)
		}
		v.str(join(path, k), o[k])
	}
}

func sortedKeys(o obj) []string {
	ks := make([]string, 0, len(o))
	for k := range o {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (v *validator) extensions(path string, x any) {
	o, ok := v.object(path, x)
	if !ok {
		return
	}
	for _, k := range sortedKeys(o) {
		if !isIRI(k) {
			v.fail(join(path, k), "extension key %q is not an absolute IRI", k)
		}
	}
}

func (v *validator) timestamp(path string, x any) {
	s, ok := v.str(path, x)
	if !ok {
		return
	}
	if _, err := parseTime(s); err != nil {
		v.fail(path, "%q is not an ISO 8601 / RFC 3339 timestamp with a time zone", s)
		return
	}
	if strings.HasSuffix(s, "-00:00") {
		v.fail(path, "%q: the offset -00:00 is not allowed", s)
	}
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// ISO 8601 basic offsets (+0100) and a space are common in 1.0.x clients.
	for _, f := range []string{"2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05-07", "2006-01-02T15:04:05.999999999-07"} {
		if t, err := time.Parse(f, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamp")
}

// agent validates an Agent or a Group; inGroup forbids groups (members are agents only).
func (v *validator) agent(path string, x any, inGroup bool) {
	o, ok := v.object(path, x)
	if !ok {
		return
	}
	ot, _ := o["objectType"].(string)
	if t, has := o["objectType"]; has && ot == "" {
		v.fail(join(path, "objectType"), "must be a string, not %s", kindOf(t))
		return
	}
	switch ot {
	case "", "Agent":
		v.keys(path, o, "objectType", "name", "mbox", "mbox_sha1sum", "openid", "account")
		if n := v.ifis(path, o); n != 1 {
			v.fail(path, "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account (has %d)", n)
		}
	case "Group":
		if inGroup {
			v.fail(join(path, "objectType"), "a Group cannot be a member of a Group")
			return
		}
		v.keys(path, o, "objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "member")
		n := v.ifis(path, o)
		if n > 1 {
			v.fail(path, "a Group has at most one of mbox, mbox_sha1sum, openid, account (has %d)", n)
		}
		m, has := o["member"]
		if n == 0 && !has {
			v.fail(path, "an anonymous Group needs member")
		}
		if has {
			ms, ok := m.([]any)
			if !ok {
				v.fail(join(path, "member"), "must be an array")
				return
			}
			if n == 0 && len(ms) == 0 {
				v.fail(join(path, "member"), "an anonymous Group needs at least one member")
			}
			for i, x := range ms {
				v.agent(fmt.Sprintf("%s.member[%d]", path, i), x, true)
			}
		}
	default:
		v.fail(join(path, "objectType"), "%q: must be Agent or Group", ot)
	}
	if n, has := o["name"]; has {
		v.str(join(path, "name"), n)
	}
}

// ifis validates the inverse functional identifiers present and counts them.
func (v *validator) ifis(path string, o obj) int {
	n := 0
	if x, ok := o["mbox"]; ok {
		n++
		if s, ok := v.str(join(path, "mbox"), x); ok && (!strings.HasPrefix(s, "mailto:") || !strings.Contains(s, "@")) {
			v.fail(join(path, "mbox"), "%q is not a mailto: IRI", s)
		}
	}
	if x, ok := o["mbox_sha1sum"]; ok {
		n++
		if s, ok := v.str(join(path, "mbox_sha1sum"), x); ok && !sha1Re.MatchString(s) {
			v.fail(join(path, "mbox_sha1sum"), "%q is not a hex SHA-1", s)
		}
	}
	if x, ok := o["openid"]; ok {
		n++
		v.iri(join(path, "openid"), x)
	}
	if x, ok := o["account"]; ok {
		n++
		p := join(path, "account")
		if a, ok := v.object(p, x); ok {
			v.keys(p, a, "homePage", "name")
			if hp, has := a["homePage"]; !has {
				v.fail(join(p, "homePage"), "required")
			} else {
				v.irl(join(p, "homePage"), hp)
			}
			if nm, has := a["name"]; !has {
				v.fail(join(p, "name"), "required")
			} else {
				v.str(join(p, "name"), nm)
			}
		}
	}
	return n
}

func (v *validator) verb(path string, x any) {
	o, ok := v.object(path, x)
	if !ok {
		return
	}
	v.keys(path, o, "id", "display")
	if id, has := o["id"]; !has {
		v.fail(join(path, "id"), "required")
	} else {
		v.iri(join(path, "id"), id)
	}
	if d, has := o["display"]; has {
		v.langMap(join(path, "display"), d)
	}
}

var interactionTypes = map[string][]string{
	"true-false": nil, "choice": {"choices"}, "fill-in": nil, "long-fill-in": nil, "matching": {"source", "target"},
	"performance": {"steps"}, "sequencing": {"choices"}, "likert": {"scale"}, "numeric": nil, "other": nil,
}

func (v *validator) activity(path string, o obj) {
	v.keys(path, o, "objectType", "id", "definition")
	if id, has := o["id"]; !has {
		v.fail(join(path, "id"), "required")
	} else {
		v.iri(join(path, "id"), id)
	}
	d, has := o["definition"]
	if !has {
		return
	}
	p := join(path, "definition")
	def, ok := v.object(p, d)
	if !ok {
		return
	}
	v.keys(p, def, "name", "description", "type", "moreInfo", "extensions", "interactionType", "correctResponsesPattern", "choices", "scale", "source", "target", "steps")
	for _, k := range []string{"name", "description"} {
		if x, has := def[k]; has {
			v.langMap(join(p, k), x)
		}
	}
	if x, has := def["type"]; has {
		v.iri(join(p, "type"), x)
	}
	if x, has := def["moreInfo"]; has {
		v.irl(join(p, "moreInfo"), x)
	}
	if x, has := def["extensions"]; has {
		v.extensions(join(p, "extensions"), x)
	}
	it, hasIT := def["interactionType"]
	allowed := map[string]bool{}
	if hasIT {
		s, ok := v.str(join(p, "interactionType"), it)
		if ok {
			comps, known := interactionTypes[s]
			if !known {
				v.fail(join(p, "interactionType"), "%q is not an interaction type", s)
			}
			for _, c := range comps {
				allowed[c] = true
			}
		}
	}
	if x, has := def["correctResponsesPattern"]; has {
		if !hasIT {
			v.fail(join(p, "correctResponsesPattern"), "needs interactionType")
		}
		if xs, ok := x.([]any); !ok {
			v.fail(join(p, "correctResponsesPattern"), "must be an array of strings")
		} else {
			for i, s := range xs {
				v.str(fmt.Sprintf("%s.correctResponsesPattern[%d]", p, i), s)
			}
		}
	}
	for _, k := range []string{"choices", "scale", "source", "target", "steps"} {
		x, has := def[k]
		if !has {
			continue
		}
		kp := join(p, k)
		if !allowed[k] {
			v.fail(kp, "not allowed for this interactionType")
			continue
		}
		xs, ok := x.([]any)
		if !ok {
			v.fail(kp, "must be an array")
			continue
		}
		seen := map[string]bool{}
		for i, c := range xs {
			cp := fmt.Sprintf("%s[%d]", kp, i)
			co, ok := v.object(cp, c)
			if !ok {
				continue
			}
			v.keys(cp, co, "id", "description")
			id, ok := v.str(join(cp, "id"), co["id"])
			if ok && seen[id] {
				v.fail(join(cp, "id"), "%q repeats an id of the same list", id)
			}
			seen[id] = true
			if d, has := co["description"]; has {
				v.langMap(join(cp, "description"), d)
			}
		}
	}
}

// target validates a statement's object: Activity, Agent, Group, StatementRef or (at the top
// level only) SubStatement. It returns the object type.
func (v *validator) target(path string, x any, sub bool) string {
	o, ok := v.object(path, x)
	if !ok {
		return ""
	}
	ot := "Activity"
	if t, has := o["objectType"]; has {
		s, ok := v.str(join(path, "objectType"), t)
		if !ok {
			return ""
		}
		ot = s
	}
	switch ot {
	case "Activity":
		v.activity(path, o)
	case "Agent", "Group":
		v.agent(path, o, false)
	case "StatementRef":
		v.keys(path, o, "objectType", "id")
		if id, has := o["id"]; !has {
			v.fail(join(path, "id"), "required")
		} else {
			v.uuid(join(path, "id"), id)
		}
	case "SubStatement":
		if sub {
			v.fail(join(path, "objectType"), "a SubStatement cannot contain a SubStatement")
			return ot
		}
		v.keys(path, o, "objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments")
		v.body(path, o, true)
	default:
		v.fail(join(path, "objectType"), "%q: must be Activity, Agent, Group, StatementRef or SubStatement", ot)
	}
	return ot
}

func (v *validator) number(path string, x any) (float64, bool) {
	n, ok := x.(json.Number)
	if !ok {
		v.fail(path, "must be a number, not %s", kindOf(x))
		return 0, false
	}
	f, err := n.Float64()
	if err != nil {
		v.fail(path, "%s is not a number", n)
		return 0, false
	}
	return f, true
}

func (v *validator) result(path string, x any) {
	o, ok := v.object(path, x)
	if !ok {
		return
	}
	v.keys(path, o, "score", "success", "completion", "response", "duration", "extensions")
	if s, has := o["score"]; has {
		p := join(path, "score")
		if sc, ok := v.object(p, s); ok {
			v.keys(p, sc, "scaled", "raw", "min", "max")
			nums := map[string]float64{}
			for _, k := range []string{"scaled", "raw", "min", "max"} {
				if x, has := sc[k]; has {
					if f, ok := v.number(join(p, k), x); ok {
						nums[k] = f
					}
				}
			}
			if f, has := nums["scaled"]; has && (f < -1 || f > 1) {
				v.fail(join(p, "scaled"), "%v is outside -1 to 1", f)
			}
			mn, hasMin := nums["min"]
			mx, hasMax := nums["max"]
			if hasMin && hasMax && mn >= mx {
				v.fail(join(p, "min"), "%v is not less than max %v", mn, mx)
			}
			if r, has := nums["raw"]; has {
				if hasMin && r < mn {
					v.fail(join(p, "raw"), "%v is below min %v", r, mn)
				}
				if hasMax && r > mx {
					v.fail(join(p, "raw"), "%v is above max %v", r, mx)
				}
			}
		}
	}
	for _, k := range []string{"success", "completion"} {
		if x, has := o[k]; has {
			if _, ok := x.(bool); !ok {
				v.fail(join(path, k), "must be true or false, not %s", kindOf(x))
			}
		}
	}
	if x, has := o["response"]; has {
		v.str(join(path, "response"), x)
	}
	if x, has := o["duration"]; has {
		if s, ok := v.str(join(path, "duration"), x); ok && (!durationRe.MatchString(s) || s == "P" || strings.HasSuffix(s, "T")) {
			v.fail(join(path, "duration"), "%q is not an ISO 8601 duration", s)
		}
	}
	if x, has := o["extensions"]; has {
		v.extensions(join(path, "extensions"), x)
	}
}

func (v *validator) context(path string, x any, objectType string) {
	o, ok := v.object(path, x)
	if !ok {
		return
	}
	allowed := []string{"registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement", "extensions"}
	if v.v2 {
		allowed = append(allowed, "contextAgents", "contextGroups")
	}
	v.keys(path, o, allowed...)
	if x, has := o["registration"]; has {
		v.uuid(join(path, "registration"), x)
	}
	if x, has := o["instructor"]; has {
		v.agent(join(path, "instructor"), x, false)
	}
	if x, has := o["team"]; has {
		p := join(path, "team")
		if t, ok := v.object(p, x); ok {
			if t["objectType"] != "Group" {
				v.fail(join(p, "objectType"), "team must be a Group")
			} else {
				v.agent(p, t, false)
			}
		}
	}
	if x, has := o["contextActivities"]; has {
		p := join(path, "contextActivities")
		if ca, ok := v.object(p, x); ok {
			v.keys(p, ca, "parent", "grouping", "category", "other")
			for _, k := range sortedKeys(ca) {
				kp := join(p, k)
				switch a := ca[k].(type) {
				case obj:
					v.activityObject(kp, a)
				case []any:
					for i, e := range a {
						if eo, ok := v.object(fmt.Sprintf("%s[%d]", kp, i), e); ok {
							v.activityObject(fmt.Sprintf("%s[%d]", kp, i), eo)
						}
					}
				default:
					v.fail(kp, "must be an Activity or an array of Activities")
				}
			}
		}
	}
	for _, k := range []string{"revision", "platform"} {
		if x, has := o[k]; has {
			v.str(join(path, k), x)
			if objectType != "Activity" {
				v.fail(join(path, k), "only allowed when the object is an Activity")
			}
		}
	}
	if x, has := o["language"]; has {
		if s, ok := v.str(join(path, "language"), x); ok && !langRe.MatchString(s) {
			v.fail(join(path, "language"), "%q is not an RFC 5646 language tag", s)
		}
	}
	if x, has := o["statement"]; has {
		p := join(path, "statement")
		if so, ok := v.object(p, x); ok {
			if so["objectType"] != "StatementRef" {
				v.fail(join(p, "objectType"), "must be StatementRef")
			} else {
				v.target(p, so, true)
			}
		}
	}
	if x, has := o["extensions"]; has {
		v.extensions(join(path, "extensions"), x)
	}
	for _, k := range []string{"contextAgents", "contextGroups"} {
		x, has := o[k]
		if !has {
			continue
		}
		kp := join(path, k)
		xs, ok := x.([]any)
		if !ok {
			v.fail(kp, "must be an array")
			continue
		}
		typ, member := "contextAgent", "agent"
		if k == "contextGroups" {
			typ, member = "contextGroup", "group"
		}
		for i, e := range xs {
			ep := fmt.Sprintf("%s[%d]", kp, i)
			eo, ok := v.object(ep, e)
			if !ok {
				continue
			}
			v.keys(ep, eo, "objectType", member, "relevantTypes")
			if eo["objectType"] != typ {
				v.fail(join(ep, "objectType"), "must be %q", typ)
			}
			m, has := eo[member]
			if !has {
				v.fail(join(ep, member), "required")
			} else if mo, ok := v.object(join(ep, member), m); ok {
				mt, _ := mo["objectType"].(string)
				if member == "agent" && mt == "Group" {
					v.fail(join(ep, member), "must be an Agent")
				} else if member == "group" && mt != "Group" {
					v.fail(join(join(ep, member), "objectType"), "must be Group")
				} else {
					v.agent(join(ep, member), mo, false)
				}
			}
			if rt, has := eo["relevantTypes"]; has {
				rs, ok := rt.([]any)
				if !ok || len(rs) == 0 {
					v.fail(join(ep, "relevantTypes"), "must be a non-empty array of IRIs")
				} else {
					for j, r := range rs {
						v.iri(fmt.Sprintf("%s.relevantTypes[%d]", ep, j), r)
					}
				}
			}
		}
	}
}

func (v *validator) activityObject(path string, o obj) {
	if t, has := o["objectType"]; has && t != "Activity" {
		v.fail(join(path, "objectType"), "must be Activity")
		return
	}
	v.activity(path, o)
}

func (v *validator) attachments(path string, x any) {
	xs, ok := x.([]any)
	if !ok {
		v.fail(path, "must be an array")
		return
	}
	for i, e := range xs {
		p := fmt.Sprintf("%s[%d]", path, i)
		o, ok := v.object(p, e)
		if !ok {
			continue
		}
		v.keys(p, o, "usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
		for _, k := range []string{"usageType", "display", "contentType", "length", "sha2"} {
			if _, has := o[k]; !has {
				v.fail(join(p, k), "required")
			}
		}
		if x, has := o["usageType"]; has {
			v.iri(join(p, "usageType"), x)
		}
		for _, k := range []string{"display", "description"} {
			if x, has := o[k]; has {
				v.langMap(join(p, k), x)
			}
		}
		if x, has := o["contentType"]; has {
			v.str(join(p, "contentType"), x)
		}
		if x, has := o["length"]; has {
			if f, ok := v.number(join(p, "length"), x); ok && (f < 0 || f != float64(int64(f))) {
				v.fail(join(p, "length"), "must be a non-negative integer")
			}
		}
		if x, has := o["sha2"]; has {
			if s, ok := v.str(join(p, "sha2"), x); ok && !regexp.MustCompile(`^[0-9a-fA-F]{56,128}$`).MatchString(s) {
				v.fail(join(p, "sha2"), "%q is not a hex SHA-2 hash", s)
			}
		}
		if x, has := o["fileUrl"]; has {
			v.irl(join(p, "fileUrl"), x)
		}
	}
}

// body validates what statements and sub-statements share.
func (v *validator) body(path string, o obj, sub bool) {
	for _, k := range []string{"actor", "verb", "object"} {
		if _, has := o[k]; !has {
			v.fail(join(path, k), "required")
		}
	}
	if x, has := o["actor"]; has {
		v.agent(join(path, "actor"), x, false)
	}
	if x, has := o["verb"]; has {
		v.verb(join(path, "verb"), x)
	}
	ot := ""
	if x, has := o["object"]; has {
		ot = v.target(join(path, "object"), x, sub)
	}
	if x, has := o["result"]; has {
		v.result(join(path, "result"), x)
	}
	if x, has := o["context"]; has {
		v.context(join(path, "context"), x, ot)
	}
	if x, has := o["timestamp"]; has {
		v.timestamp(join(path, "timestamp"), x)
	}
	if x, has := o["attachments"]; has {
		v.attachments(join(path, "attachments"), x)
	}
}

// statement validates a whole statement; version is the negotiated one.
func (v *validator) statement(o obj) {
	v.keys("", o, "id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments")
	if x, has := o["id"]; has {
		v.uuid("id", x)
	}
	v.body("", o, false)
	if x, has := o["stored"]; has {
		v.timestamp("stored", x)
	}
	if x, has := o["authority"]; has {
		v.agent("authority", x, false)
	}
	if x, has := o["version"]; has {
		if s, ok := v.str("version", x); ok && !strings.HasPrefix(s, "1.0.") && !strings.HasPrefix(s, "2.0.") {
			v.fail("version", "%q is not a supported xAPI version (1.0.x, 2.0.x)", s)
		}
	}
	// Voiding: the object must be a StatementRef.
	if vb, ok := o["verb"].(obj); ok && vb["id"] == VerbVoided {
		if ob, ok := o["object"].(obj); !ok || ob["objectType"] != "StatementRef" {
			v.fail("object", "a voiding statement's object must be a StatementRef")
		}
	}
}

// VerbVoided is the verb that voids a statement.
const VerbVoided = "http://adlnet.gov/expapi/verbs/voided"

// decodeJSON decodes a body keeping numbers as json.Number and refusing trailing data.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if d.More() {
		return nil, fmt.Errorf("malformed JSON: data after the first value")
	}
	return x, nil
}

// Validate checks one statement under the given version and returns every problem, each
// with its JSON path.
func Validate(version string, st map[string]any) []string {
	v := &validator{v2: version == V200}
	v.statement(st)
	return v.errs
}
