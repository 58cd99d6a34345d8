package credits

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"esd/internal/domain"
)

// FuzzParseRules feeds arbitrary bytes to the credit rules reader (national governance
// uploads rule data through the API). A refusal is EINVALID whose problems name their field;
// accepted rules answer the questions balances ask without panicking, and written back as
// JSON they read the same.
//
//	go test ./internal/credits -run '^$' -fuzz '^FuzzParseRules$' -fuzztime 60s
func FuzzParseRules(f *testing.F) {
	f.Add(embeddedRules)
	f.Add([]byte(`{"version":"x","trienni":[{"start":2023,"end":2025,"obligation":150,"source":"s"}]}`))
	f.Add([]byte(`{"version":"x","trienni":[]} {}`))
	f.Add([]byte(`{"version":"x","nope":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRules(b)
		if err != nil {
			e := domain.AsError(err)
			if e == nil || e.Code != domain.EINVALID || e.Message == "" || e.Field == "" {
				t.Fatalf("unclear refusal %#v", err)
			}
			for _, p := range e.Details {
				if p.Field == "" || p.Reason == "" {
					t.Fatalf("problem without its field: %+v", p)
				}
			}
			return
		}
		_ = r.CurrentTriennium(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
		_, _ = r.TrienniumOf("2026-06-01")
		_, _ = r.TrienniumOf("1900-01-01")
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseRules(out)
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("accepted rules do not round-trip: %v\n%s", err, out)
		}
	})
}
