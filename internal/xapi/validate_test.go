package xapi

import (
	"strings"
	"testing"
)

func mustObj(t *testing.T, s string) obj {
	t.Helper()
	x, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return x.(obj)
}

// Each case names the specification section it checks; want "" means valid.
func TestValidateStatements(t *testing.T) {
	const base = `"actor":{"mbox":"mailto:a@example.it"},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"http://example.it/c"}`
	cases := []struct {
		name, version, st, want string
	}{
		{"Data§2.4 minimal statement", V103, `{` + base + `}`, ""},
		{"Data§2.4.2 group with members", V103, `{"actor":{"objectType":"Group","member":[{"mbox":"mailto:a@example.it"}]},"verb":{"id":"http://x.it/v"},"object":{"id":"http://example.it/c"}}`, ""},
		{"Data§2.4.2 group in group", V103, `{"actor":{"objectType":"Group","member":[{"objectType":"Group","member":[]}]},"verb":{"id":"http://x.it/v"},"object":{"id":"http://example.it/c"}}`, "cannot be a member"},
		{"Data§2.4.2 anonymous group without members", V103, `{"actor":{"objectType":"Group"},"verb":{"id":"http://x.it/v"},"object":{"id":"http://example.it/c"}}`, "needs member"},
		{"Data§2.4.4 StatementRef id is a UUID", V103, `{"actor":{"mbox":"mailto:a@example.it"},"verb":{"id":"http://x.it/v"},"object":{"objectType":"StatementRef","id":"nope"}}`, "object.id"},
		{"Data§2.4.4.1 choice interaction", V103, `{"actor":{"mbox":"mailto:a@example.it"},"verb":{"id":"http://x.it/v"},"object":{"id":"http://example.it/q","definition":{"interactionType":"choice","correctResponsesPattern":["a"],"choices":[{"id":"a","description":{"it":"A"}},{"id":"b"}]}}}`, ""},
		{"Data§2.4.4.1 duplicate choice ids", V103, `{"actor":{"mbox":"mailto:a@example.it"},"verb":{"id":"http://x.it/v"},"object":{"id":"http://example.it/q","definition":{"interactionType":"choice","choices":[{"id":"a"},{"id":"a"}]}}}`, "repeats"},
		{"Data§2.4.4.1 unknown interactionType", V103, `{"actor":{"mbox":"mailto:a@example.it"},"verb":{"id":"http://x.it/v"},"object":{"id":"http://example.it/q","definition":{"interactionType":"essay"}}}`, "interaction type"},
		{"Data§2.4.5 durations", V103, `{` + base + `,"result":{"duration":"PT1H30M5.5S"}}`, ""},
		{"Data§2.4.5 empty duration", V103, `{` + base + `,"result":{"duration":"PT"}}`, "duration"},
		{"Data§2.4.5 min not below max", V103, `{` + base + `,"result":{"score":{"min":5,"max":5}}}`, "not less than max"},
		{"Data§2.4.6 language tag", V103, `{` + base + `,"context":{"language":"it-IT"}}`, ""},
		{"Data§2.4.6 bad language tag", V103, `{` + base + `,"context":{"language":"italiano!"}}`, "language"},
		{"Data§2.4.6 contextActivities as one object", V103, `{` + base + `,"context":{"contextActivities":{"parent":{"id":"http://example.it/p"}}}}`, ""},
		{"Data§2.4.6 unknown contextActivities key", V103, `{` + base + `,"context":{"contextActivities":{"sibling":[]}}}`, "unknown property"},
		{"Data§2.4.6 contextAgents under 1.0.3", V103, `{` + base + `,"context":{"contextAgents":[]}}`, "unknown property"},
		{"Data§2.4.6 contextAgents under 2.0.0", V200, `{` + base + `,"context":{"contextAgents":[{"objectType":"contextAgent","agent":{"mbox":"mailto:t@example.it"}}]}}`, ""},
		{"Data§2.4.6 empty relevantTypes", V200, `{` + base + `,"context":{"contextAgents":[{"objectType":"contextAgent","agent":{"mbox":"mailto:t@example.it"},"relevantTypes":[]}]}}`, "relevantTypes"},
		{"Data§2.4.6 extension keys are IRIs", V103, `{` + base + `,"context":{"extensions":{"sessionid":"x"}}}`, "extension key"},
		{"Data§2.4.10 version", V103, `{` + base + `,"version":"0.95"}`, "version"},
		{"Data§2.4.11 fileUrl is an IRL", V103, `{` + base + `,"attachments":[{"usageType":"http://x.it/u","display":{"it":"a"},"contentType":"text/plain","length":1,"sha2":"` + strings.Repeat("a", 64) + `","fileUrl":"ftp://x"}]}`, "IRL"},
	}
	for _, c := range cases {
		errs := Validate(c.version, mustObj(t, c.st))
		switch {
		case c.want == "" && len(errs) > 0:
			t.Errorf("%s: want valid, got %v", c.name, errs)
		case c.want != "" && (len(errs) == 0 || !strings.Contains(errs[0], c.want)):
			t.Errorf("%s: want an error containing %q, got %v", c.name, c.want, errs)
		}
	}
}

func TestRawRoundTrip(t *testing.T) {
	st := mustObj(t, `{"id":"x","stored":"s","authority":{"mbox":"mailto:a@example.it"},"actor":{"mbox":"mailto:a@example.it"},"verb":{"id":"http://x.it/v"},"object":{"id":"http://example.it/c"},"result":{"score":{"raw":7.50}}}`)
	raw := packRaw(st)
	got, err := decodeStored("id-1", "2026-01-01T00:00:00.000000Z", `{"mbox":"mailto:lrs@example.it"}`, raw)
	if err != nil {
		t.Fatal(err)
	}
	if got["id"] != "id-1" || got["stored"] != "2026-01-01T00:00:00.000000Z" || got["authority"].(obj)["mbox"] != "mailto:lrs@example.it" {
		t.Fatalf("rebuilt: %v", got)
	}
	if n := got["result"].(obj)["score"].(obj)["raw"]; n == nil || n.(interface{ String() string }).String() != "7.50" {
		t.Errorf("the raw score's text changed: %v", n)
	}
	if _, err := decompress([]byte{9, 1, 2}); err == nil {
		t.Error("an unknown format byte decoded")
	}
	if keyHash("a") == keyHash("b") {
		t.Error("keyHash collides on different keys")
	}
}
