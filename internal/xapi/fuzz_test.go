package xapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// multipartBody builds a statements request with one attachment, as an LRS client sends it.
func multipartBody(statements, attachment string) (string, []byte) {
	h := sha256.Sum256([]byte(attachment))
	var b bytes.Buffer
	b.WriteString("--abc\r\nContent-Type: application/json\r\n\r\n" + statements + "\r\n")
	b.WriteString("--abc\r\nContent-Type: text/plain\r\nX-Experience-API-Hash: " + hex.EncodeToString(h[:]) + "\r\n\r\n" + attachment + "\r\n--abc--\r\n")
	return "multipart/mixed; boundary=abc", b.Bytes()
}

// FuzzStatements feeds arbitrary bodies (JSON, or multipart/mixed with attachments) to the
// parse and validation layer of POST/PUT statements. A refused body is a 400 with a
// message, and every problem of a refused statement names its JSON path; a statement the
// validator accepts has what the store then relies on without checking (a verb object with
// a string id; for a voiding statement, an object with a string id), and still validates
// after being written out as JSON and read back.
//
//	go test ./internal/xapi -run '^$' -fuzz '^FuzzStatements$' -fuzztime 60s
func FuzzStatements(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(false, "application/json", b)
		}
	}
	st := `{"actor":{"mbox":"mailto:a@example.it"},"verb":{"id":"http://adlnet.gov/expapi/verbs/voided"},"object":{"objectType":"StatementRef","id":"e05aa883-acaf-40ad-bf54-02c8ce485fb0"}}`
	f.Add(false, "application/json; charset=utf-8", []byte(st))
	f.Add(true, "", []byte(`[{"actor":{"objectType":"Group","member":[{"account":{"homePage":"https://x.it","name":"1"}}]},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"it-IT":"completato"}},"object":{"id":"https://x.it/a","definition":{"interactionType":"choice","choices":[{"id":"a"}]}},"result":{"score":{"scaled":1e400}},"context":{"registration":"zzz"},"attachments":[{"usageType":"http://x","display":{"en":"x"},"contentType":"text/plain","length":3,"sha2":"00"}]}]`))
	ct, body := multipartBody(st, "abc")
	f.Add(false, ct, body)
	f.Add(false, "multipart/mixed", []byte("--x\r\n\r\n"))
	f.Add(false, "text/plain", []byte("{}"))
	f.Add(false, "application/json", []byte("[1, \"a\", null, {}]"))
	f.Add(false, "application/json", []byte(`{"verb":{"id":7}} {}`))
	f.Fuzz(func(t *testing.T, v2 bool, ct string, b []byte) {
		version := V103
		if v2 {
			version = V200
		}
		sts, parts, err := readStatements(ct, bytes.NewReader(b))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 || strings.TrimSpace(e.Message) == "" {
				t.Fatalf("refusal is not a clear 400: %#v", err)
			}
			return
		}
		for h, p := range parts {
			if sha2Of(h, p.Content) != h {
				t.Fatalf("attachment %s kept with the wrong hash", h)
			}
		}
		for _, x := range sts {
			o, ok := x.(obj)
			if !ok {
				continue // refused by the store as "must be a JSON object"
			}
			errs := Validate(version, o)
			for _, m := range errs {
				if path, _, ok := strings.Cut(m, ": "); !ok || path == "" {
					t.Fatalf("a problem without its path: %q", m)
				}
			}
			if len(errs) > 0 {
				continue
			}
			vb, ok := o["verb"].(obj)
			if !ok {
				t.Fatalf("accepted without a verb object: %v", o)
			}
			id, ok := vb["id"].(string)
			if !ok {
				t.Fatalf("accepted with a verb without a string id: %v", vb)
			}
			if id == VerbVoided {
				ob, ok := o["object"].(obj)
				if !ok {
					t.Fatalf("voiding statement without an object: %v", o)
				}
				if _, ok := ob["id"].(string); !ok {
					t.Fatalf("voiding statement whose object has no string id: %v", ob)
				}
			}
			_ = canonicalContent(o)
			out, err := json.Marshal(o)
			if err != nil {
				t.Fatalf("an accepted statement cannot be written: %v", err)
			}
			back, err := decodeJSON(out)
			if err != nil {
				t.Fatalf("an accepted statement written out does not read back: %v\n%s", err, out)
			}
			bo, _ := back.(obj)
			if errs := Validate(version, bo); len(errs) > 0 {
				t.Fatalf("an accepted statement, written and read back, is refused: %v\n%s", errs, out)
			}
		}
	})
}
