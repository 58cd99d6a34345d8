package badges

import (
	"encoding/json"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// TestCLRDataIntegrity: the learner record carries its own eddsa-rdfc-2022 proof besides the
// VC-JWT; the public verification accepts both forms, step by step, without loading any
// context from outside; a changed record, a record bundling a changed badge (even under a
// fresh outer proof) and a record bundling a revoked badge fail.
func TestCLRDataIntegrity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		s, _ := world(t, dialect)
		if n, err := s.Issue(nicolo, 10); err != nil || n != 2 {
			t.Fatalf("issue: %d %v", n, err)
		}
		before := RefusedLoads.Load()
		jwt, clr, err := s.CLR(nicolo, 10)
		if err != nil {
			t.Fatal(err)
		}
		proof, _ := clr["proof"].([]any)
		if len(proof) != 1 || proof[0].(map[string]any)["cryptosuite"] != "eddsa-rdfc-2022" {
			t.Fatalf("CLR proof: %v", clr["proof"])
		}
		raw, _ := json.Marshal(clr)
		steps := func(r Report) map[string]Step {
			m := map[string]Step{}
			for _, st := range r.Steps {
				m[st.Name] = st
			}
			return m
		}
		r := s.Verify(sys, raw)
		if !r.Valid {
			t.Fatalf("CLR JSON does not verify: %+v", r.Steps)
		}
		if st := steps(r); !strings.Contains(st["proof"].Detail, "Data Integrity") || !strings.Contains(st["type"].Detail, "bundling 2") {
			t.Fatalf("CLR steps: %+v", r.Steps)
		}
		if r := s.Verify(sys, []byte(jwt)); !r.Valid {
			t.Fatalf("CLR VC-JWT does not verify: %+v", r.Steps)
		}
		if n := RefusedLoads.Load(); n != before {
			t.Fatalf("%d context loads refused while signing and verifying the CLR", n-before)
		}
		// The record changed after signing.
		var changed map[string]any
		_ = json.Unmarshal(raw, &changed)
		changed["name"] = "Fascicolo contraffatto"
		b, _ := json.Marshal(changed)
		if r := s.Verify(sys, b); r.Valid || steps(r)["proof"].OK {
			t.Fatalf("a changed CLR verified: %+v", r.Steps)
		}
		// A bundled badge changed, the record then given a fresh outer proof by our own key:
		// the inner proof still fails it.
		var forged map[string]any
		_ = json.Unmarshal(raw, &forged)
		delete(forged, "proof")
		vc := forged["credentialSubject"].(map[string]any)["verifiableCredential"].([]any)[0].(map[string]any)
		vc["name"] = "Badge mai rilasciato"
		if err := s.addProof(sys, forged, s.now()); err != nil {
			t.Fatal(err)
		}
		b, _ = json.Marshal(forged)
		r = s.Verify(sys, b)
		if r.Valid || !steps(r)["proof"].OK || steps(r)["type"].OK || !strings.Contains(steps(r)["type"].Detail, "proof fails") {
			t.Fatalf("a CLR bundling a changed badge verified: %+v", r.Steps)
		}
		// A bundled badge revoked after the record was made.
		list, _ := s.List(nicolo, 10)
		if _, err := s.Revoke(sys, list[0].ID, "errore materiale"); err != nil {
			t.Fatal(err)
		}
		r = s.Verify(sys, raw)
		if r.Valid || steps(r)["status"].OK {
			t.Fatalf("a CLR bundling a revoked badge verified: %+v", r.Steps)
		}
	})
}
