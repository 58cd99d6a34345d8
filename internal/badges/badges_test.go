package badges

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/idkeys"
	"esd/internal/portfolio"
)

const cfNicolo = "DLSNCL80A01D612Z"

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.Write.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// world: a Tuscan professional (10) with a completed ECM participation (8 credits) and an
// objective achieved at level 3 on line D1.A1.L01; a Lombard one (11) with nothing.
func world(t *testing.T, dialect db.Dialect) (*Service, *db.DB) {
	d := dbtest.Open(t, dialect)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	exec(t, d, `INSERT INTO regions (id, istat_code, minsal_code, iso_code, name) VALUES (90, '09', '090', 'IT-52', 'Toscana'), (30, '03', '030', 'IT-25', 'Lombardia')`)
	exec(t, d, `INSERT INTO credit_rule_sets (version, title, source, valid_from, rules_json, created_at) VALUES ('2019', 'r', 's', '2019-01-01', '{}', $1)`, now)
	exec(t, d, `INSERT INTO organisations (id, kind, code, name, search_name, region_id, created_at, updated_at) VALUES
		(1, 'asl', '090201', 'AZIENDA USL TOSCANA CENTRO', 'x', 90, $1, $1), (3, 'provider', 'TOS-01', 'Formazione Sanità Toscana', 'y', 90, $1, $1)`, now)
	exec(t, d, `INSERT INTO professionals (id, cf, cf_display, given_name, family_name, search_name, region_id, organisation_id, employment, care_setting, created_at, updated_at)
		VALUES (10, $1, $1, 'Nicolò', 'D''Alessandro', 'dalessandro nicolo', 90, 1, 'dipendente', 'ospedale', $2, $2),
		       (11, 'RSSMRA75B41F205Y', 'RSSMRA75B41F205Y', 'Maria', 'Rossi', 'rossi maria', 30, NULL, 'dipendente', 'ospedale', $2, $2)`, cfNicolo, now)
	exec(t, d, `INSERT INTO events (id, provider_id, code, title, type, subtype, hours, participants, objective_code, credits, computed_credits, rule_set, state,
		first_start, last_end, change_seq, created_at, updated_at) VALUES (20, 3, 'TOS-26-001', 'Sanità digitale e telemedicina', 'RES', 1, 8, 50, 17, 8, 8, '2019', 'closed', '2026-03-02', '2026-03-03', 1, $1, $1)`, now)
	exec(t, d, `INSERT INTO event_editions (id, event_id, number, start_date, end_date) VALUES (30, 20, 1, '2026-03-02', '2026-03-03')`)
	exec(t, d, `INSERT INTO participations (id, edition_id, event_id, professional_id, region_id, organisation_id, state, role, credits, completed_on, source, created_at, updated_at)
		VALUES (40, 30, 20, 10, 90, 1, 'completed', 'P', 8, '2026-03-03', 'report', $1, $1)`, now)
	exec(t, d, `INSERT INTO framework_versions (id, code, version, title_it, state, created_at) VALUES (5, 'ESD-PORTFOLIO', '1.0', 'Portfolio competenze digitali', 'draft', $1)`, now)
	exec(t, d, `INSERT INTO framework_items (id, framework_id, kind, code, position, title_it, title_en) VALUES
		(50, 5, 'dimension', 'D1', 1, 'Dati', 'Data'), (51, 5, 'area', 'D1.A1', 1, 'Gestione', 'Management'),
		(52, 5, 'line', 'D1.A1.L01', 1, 'Fascicolo sanitario elettronico', 'Electronic health record')`)
	exec(t, d, `UPDATE framework_items SET parent_id = 50 WHERE id = 51`)
	exec(t, d, `UPDATE framework_items SET parent_id = 51 WHERE id = 52`)
	exec(t, d, `INSERT INTO line_levels (item_id, level, descriptor_it) VALUES (52, 3, 'Consulta e alimenta il FSE in autonomia.')`)
	exec(t, d, `INSERT INTO objectives (id, professional_id, triennium, framework_id, line_id, line_code, from_level, target_level, due_date, priority, state, source,
		created_at, updated_at, achieved_at) VALUES (60, 10, '2026-2028', 5, 52, 'D1.A1.L01', 1, 3, '2027-12-31', 1, 'achieved', 'gap', $1, $1, $1)`, now)
	return &Service{DB: d, Keys: &idkeys.Store{DB: d, KEK: bytes.Repeat([]byte{7}, 32)}, BaseURL: "https://esd.example.it"}, d
}

var (
	sys      = domain.WithActor(context.Background(), domain.SystemActor)
	nicolo   = domain.WithActor(context.Background(), domain.Actor{UserID: 7, Role: domain.RoleProfessional, ProfessionalID: 10, RegionID: 90})
	maria    = domain.WithActor(context.Background(), domain.Actor{UserID: 8, Role: domain.RoleProfessional, ProfessionalID: 11, RegionID: 30})
	lombardy = domain.WithActor(context.Background(), domain.Actor{UserID: 9, Role: domain.RoleRegional, RegionID: 30})
	tuscany  = domain.WithActor(context.Background(), domain.Actor{UserID: 12, Role: domain.RoleRegional, RegionID: 90})
)

func TestIssueContentAndScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		s, _ := world(t, dialect)
		if _, err := s.Issue(maria, 10); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("another professional issued my badges: %v", err)
		}
		n, err := s.Issue(nicolo, 10)
		if err != nil || n != 2 {
			t.Fatalf("issue: %d %v", n, err)
		}
		if n, err := s.Issue(nicolo, 10); err != nil || n != 0 {
			t.Fatalf("second issue: %d %v", n, err)
		}
		list, err := s.List(nicolo, 10)
		if err != nil || len(list) != 2 {
			t.Fatalf("list: %v %v", list, err)
		}
		if _, err := s.List(lombardy, 10); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("Lombardy sees a Tuscan's badges: %v", err)
		}
		if _, err := s.Get(maria, list[0].ID); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("Maria reads Nicolò's badge: %v", err)
		}
		byKind := map[string]Credential{}
		for _, c := range list {
			byKind[c.Kind] = c
			raw, _ := json.Marshal(c.Body)
			if strings.Contains(string(raw), cfNicolo) {
				t.Fatalf("raw fiscal code in a portable credential: %s", raw)
			}
			ctxs := c.Body["@context"].([]any)
			if ctxs[0] != ContextVC || ctxs[1] != ContextOB {
				t.Fatalf("@context %v", ctxs)
			}
			sub := c.Body["credentialSubject"].(map[string]any)
			id := sub["identifier"].([]any)[0].(map[string]any)
			if id["identityHash"] != IdentityHash(cfNicolo, id["salt"].(string)) {
				t.Fatalf("identity hash does not match the salted fiscal code")
			}
		}
		obj := byKind[KindObjective].Body["credentialSubject"].(map[string]any)
		al := obj["achievement"].(map[string]any)["alignment"].([]any)[0].(map[string]any)
		if al["targetType"] != "CFItem" || al["targetUrl"] != portfolio.CaseItemURI("ESD-PORTFOLIO", "D1.A1.L01", "") || al["targetCode"] != "D1.A1.L01" {
			t.Fatalf("alignment %v", al)
		}
		if obj["result"].([]any)[0].(map[string]any)["value"] != "3" {
			t.Fatalf("level result %v", obj["result"])
		}
		tr := byKind[KindTraining].Body
		if tr["credentialSubject"].(map[string]any)["creditsEarned"] != 8.0 ||
			tr["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["achievementType"] != "CertificateOfCompletion" {
			t.Fatalf("training badge %v", tr["credentialSubject"])
		}
		if ev := tr["evidence"].([]any)[0].(map[string]any); !strings.Contains(ev["id"].(string), "participation-40") {
			t.Fatalf("evidence %v", ev)
		}
		// The achievement is dereferenceable and versioned.
		achURL := tr["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["id"].(string)
		var achID int64
		if err := s.DB.Read.QueryRowContext(sys, `SELECT id FROM badge_achievements WHERE kind = 'training'`).Scan(&achID); err != nil {
			t.Fatal(err)
		}
		if a, err := s.Achievement(sys, achID); err != nil || a["id"] != achURL {
			t.Fatalf("achievement %v %v", a, err)
		}
	})
}

func TestVerifyTamperRevokeRotate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		s, _ := world(t, dialect)
		if _, err := s.Issue(nicolo, 10); err != nil {
			t.Fatal(err)
		}
		list, _ := s.List(nicolo, 10)
		c := list[0]
		failed := func(r Report) []string {
			var out []string
			for _, st := range r.Steps {
				if !st.OK {
					out = append(out, st.Name)
				}
			}
			return out
		}
		if r := s.Verify(sys, []byte(c.JWT)); !r.Valid || len(r.Steps) != 6 {
			t.Fatalf("issued JWT does not verify: %+v", r)
		}
		js, _ := json.MarshalIndent(c.Body, "", " ")
		if r := s.Verify(sys, js); !r.Valid {
			t.Fatalf("issued JSON does not verify: %+v", r)
		}
		png, err := Bake(c.JWT)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Unbake(png); err != nil || got != c.JWT {
			t.Fatalf("unbake: %v", err)
		}
		if r := s.Verify(sys, png); !r.Valid {
			t.Fatalf("baked PNG does not verify: %+v", r)
		}
		// Any changed field fails: in the JSON, and in the JWT payload.
		for _, edit := range []func(m map[string]any){
			func(m map[string]any) { m["name"] = "Altro badge" },
			func(m map[string]any) { m["validFrom"] = "2020-01-01T00:00:00Z" },
			func(m map[string]any) {
				m["credentialSubject"].(map[string]any)["creditsEarned"] = 50.0
			},
			func(m map[string]any) {
				m["credentialSubject"].(map[string]any)["achievement"].(map[string]any)["name"] = "x"
			},
			func(m map[string]any) { m["issuer"].(map[string]any)["name"] = "Falso" },
		} {
			var m map[string]any
			_ = json.Unmarshal(js, &m)
			edit(m)
			b, _ := json.Marshal(m)
			if r := s.Verify(sys, b); r.Valid || failed(r)[0] != "proof" {
				t.Fatalf("tampered JSON verified: %+v", r)
			}
			parts := strings.Split(c.JWT, ".")
			payload, _ := decodeSegment(parts[1])
			var pm map[string]any
			_ = json.Unmarshal(payload, &pm)
			edit(pm)
			pb, _ := json.Marshal(pm)
			forged := parts[0] + "." + b64(pb) + "." + parts[2]
			if r := s.Verify(sys, []byte(forged)); r.Valid || failed(r)[0] != "proof" {
				t.Fatalf("tampered JWT verified: %+v", r)
			}
		}
		// A tampered PNG (one byte of the embedded JWT changed) fails its CRC.
		bad := bytes.Replace(png, []byte(c.JWT[len(c.JWT)-6:]), []byte("AAAAAA"), 1)
		if r := s.Verify(sys, bad); r.Valid {
			t.Fatal("tampered PNG verified")
		}
		// An unknown issuer: the same credential signed by a stranger's key and naming another issuer.
		other := &Service{DB: s.DB, Keys: &idkeys.Store{DB: s.DB, KEK: bytes.Repeat([]byte{7}, 32)}, BaseURL: "https://other.example"}
		k, _ := other.Keys.Rotate(sys, "stranger", idkeys.RSA)
		var m map[string]any
		_ = json.Unmarshal(js, &m)
		m["issuer"] = map[string]any{"id": "https://other.example/issuer", "type": []any{"Profile"}, "name": "Altro"}
		foreign, _ := signJWT(k, "https://other.example", m)
		if r := s.Verify(sys, []byte(foreign)); r.Valid || !strings.Contains(strings.Join(failed(r), ","), "issuer") {
			t.Fatalf("unknown issuer verified: %+v", r)
		}
		// Revocation: scope first, then the status list.
		if _, err := s.Revoke(lombardy, c.ID, "errore"); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("Lombardy revoked a Tuscan badge: %v", err)
		}
		if _, err := s.Revoke(nicolo, c.ID, "errore"); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("the holder revoked: %v", err)
		}
		if _, err := s.Revoke(tuscany, c.ID, " "); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("revocation without reason: %v", err)
		}
		if _, err := s.Revoke(tuscany, c.ID, "rilasciato per errore"); err != nil {
			t.Fatal(err)
		}
		if r := s.Verify(sys, []byte(c.JWT)); r.Valid || strings.Join(failed(r), ",") != "status" {
			t.Fatalf("revoked badge: %+v", r)
		}
		if r := s.Verify(sys, []byte(list[1].JWT)); !r.Valid {
			t.Fatalf("the other badge is affected by the revocation: %+v", r)
		}
		// Rotation keeps the old key published: old badges still verify, new ones use the new key.
		if _, err := s.RotateKey(sys); err != nil {
			t.Fatal(err)
		}
		set, _ := s.IssuerJWKS(sys)
		if len(set.Keys) != 2 {
			t.Fatalf("keys after rotation: %d", len(set.Keys))
		}
		if r := s.Verify(sys, []byte(list[1].JWT)); !r.Valid {
			t.Fatalf("a badge signed before rotation no longer verifies: %+v", r)
		}
		// CLR bundles the live badges and verifies as a JWT signed by the issuer.
		jwt, clr, err := s.CLR(nicolo, 10)
		if err != nil {
			t.Fatal(err)
		}
		if vcs := clr["credentialSubject"].(map[string]any)["verifiableCredential"].([]any); len(vcs) != 1 {
			t.Fatalf("CLR bundles %d credentials, want the one live", len(vcs))
		}
		if _, _, err := s.verifyJWT(sys, jwt); err != nil {
			t.Fatalf("CLR signature: %v", err)
		}
		if _, _, err := s.CLR(maria, 10); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatalf("Maria got Nicolò's CLR: %v", err)
		}
	})
}

func b64(b []byte) string {
	s, _ := json.Marshal(b) // standard base64 in quotes
	r := strings.Trim(string(s), `"`)
	r = strings.NewReplacer("+", "-", "/", "_", "=", "").Replace(r)
	return r
}

func TestStatusListEncoding(t *testing.T) {
	bits := make([]byte, StatusListSize/8)
	bits[0] = 0x80 // index 0
	bits[1] = 0x01 // index 15
	got, err := decodeList(encodeList(bits))
	if err != nil || !bytes.Equal(got, bits) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := decodeList("z123"); err == nil {
		t.Fatal("non-base64url multibase accepted")
	}
}

func TestDataIntegrityProofOffline(t *testing.T) {
	s, _ := world(t, db.SQLite)
	before := RefusedLoads.Load()
	if _, err := s.Issue(nicolo, 10); err != nil {
		t.Fatal(err)
	}
	list, _ := s.List(nicolo, 10)
	cred := list[0].Body
	proof := cred["proof"].([]any)[0].(map[string]any)
	if proof["type"] != "DataIntegrityProof" || proof["cryptosuite"] != "eddsa-rdfc-2022" || !strings.HasPrefix(proof["proofValue"].(string), "z") {
		t.Fatalf("proof %v", proof)
	}
	vm, err := s.verifyProof(sys, cred)
	if err != nil || !strings.HasPrefix(vm, "https://esd.example.it/badges/issuer/multikey#") {
		t.Fatalf("verify proof: %s %v", vm, err)
	}
	// The JWT carries the same embedded proof (made before the JWT).
	payload, _, err := s.verifyJWT(sys, list[0].JWT)
	if err != nil || payload["proof"] == nil {
		t.Fatalf("JWT without the embedded proof: %v", err)
	}
	if n := RefusedLoads.Load(); n != before {
		t.Fatalf("issuing or verifying tried to load %d contexts from outside", n-before)
	}
	// A credential naming a context we do not store is refused, never fetched.
	foreign := map[string]any{}
	for k, v := range cred {
		foreign[k] = v
	}
	foreign["@context"] = []any{ContextVC, "https://example.org/other-context.json"}
	if _, err := s.verifyProof(sys, foreign); err == nil || RefusedLoads.Load() != before+1 {
		t.Fatalf("foreign context: %v (refused %d)", err, RefusedLoads.Load()-before)
	}
	// Multikey and base58btc.
	doc, err := s.ControllerDocument(sys)
	if err != nil {
		t.Fatal(err)
	}
	mk := doc["verificationMethod"].([]any)[0].(map[string]any)["publicKeyMultibase"].(string)
	if !strings.HasPrefix(mk, "z6Mk") {
		t.Fatalf("Ed25519 multikey %q should start z6Mk", mk)
	}
	for _, b := range [][]byte{{0, 0, 1, 2}, {255}, []byte("hello world")} {
		got, err := unbase58btc(base58btc(b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("base58 round trip %v: %v %v", b, got, err)
		}
	}
	if base58btc([]byte("hello world")) != "StV1DL6CwTryKyV" {
		t.Fatalf("base58btc(hello world) = %s", base58btc([]byte("hello world")))
	}
}
