package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"esd/internal/domain"
)

// fuzzInput has the shapes the services' inputs have: strings, numbers, flags, lists,
// nested objects, maps.
type fuzzInput struct {
	Code    string         `json:"code"`
	Count   int            `json:"count"`
	Hours   float64        `json:"hours"`
	On      bool           `json:"on"`
	Tags    []string       `json:"tags"`
	Nested  *fuzzInput     `json:"nested"`
	Levels  map[string]int `json:"levels"`
	Editons []struct {
		Start string `json:"start"`
	} `json:"editions"`
}

// FuzzDecodeJSON feeds arbitrary request bodies to the decoder every API endpoint uses for
// its JSON input: a refusal is EINVALID naming the field (or the body) and saying why,
// including a body over the route's cap.
//
//	go test ./internal/web -run '^$' -fuzz '^FuzzDecodeJSON$' -fuzztime 60s
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"code":"E-1","count":3,"hours":7.5,"on":true,"tags":["a"],"nested":{"code":"x"},"levels":{"L1":2},"editions":[{"start":"2027-01-01"}]}`,
		`{"count":"3"}`, `{"nope":1}`, `{"code":"a"} {}`, `5`, `[`, ``, `{"hours":1e400}`, `{"levels":{"a":"b"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/x", bytes.NewReader(b))
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		c := &Ctx{W: w, R: r}
		var in fuzzInput
		err := c.DecodeJSON(&in)
		if err == nil {
			return
		}
		e := domain.AsError(err)
		if e == nil || e.Code != domain.EINVALID || e.Message == "" {
			t.Fatalf("unclear refusal %#v", err)
		}
		if e.Field == "" && len(b) <= 4096 {
			t.Fatalf("refusal without its field: %#v", e)
		}
	})
}
