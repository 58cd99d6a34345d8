package badges

import (
	"context"
	"encoding/base64"
	"time"

	"esd/internal/idkeys"
)

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// CLR returns the professional's learner record: a CLR 2.0 ClrCredential bundling every live
// credential of theirs (each as issued, with its own Data Integrity proof) and their
// achievements, with an embedded Data Integrity proof (eddsa-rdfc-2022) of its own and
// signed as a VC-JWT (RS256) over that; the public page verifies either form. It is made on
// request, not stored.
func (s *Service) CLR(ctx context.Context, profID int64) (string, map[string]any, error) {
	creds, err := s.List(ctx, profID)
	if err != nil {
		return "", nil, err
	}
	_, code, err := s.target(ctx, profID)
	if err != nil {
		return "", nil, err
	}
	var vcs, achs []any
	for _, c := range creds {
		if c.RevokedAt != nil {
			continue
		}
		vcs = append(vcs, c.Body)
		if sub, ok := c.Body["credentialSubject"].(map[string]any); ok {
			achs = append(achs, sub["achievement"])
		}
	}
	if vcs == nil {
		vcs, achs = []any{}, []any{}
	}
	salt := random(16)
	now := s.now()
	clr := map[string]any{
		"@context":  []any{ContextVC, ContextCLR, ContextOB},
		"id":        "urn:uuid:" + uuid4(),
		"type":      []any{"VerifiableCredential", "ClrCredential"},
		"issuer":    s.issuerRef(ctx),
		"name":      "Fascicolo delle competenze digitali – ESD",
		"validFrom": now.Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"type":                 []any{"ClrSubject"},
			"identifier":           []any{map[string]any{"type": "IdentityObject", "identityHash": IdentityHash(code, salt), "identityType": "nationalIdentityNumber", "hashed": true, "salt": salt}},
			"verifiableCredential": vcs,
			"achievement":          achs,
		},
	}
	k, err := s.Keys.Current(ctx, KeyPurpose, idkeys.RSA)
	if err != nil {
		return "", nil, err
	}
	if err := s.addProof(ctx, clr, now); err != nil {
		return "", nil, err
	}
	jwt, err := signJWT(k, s.base(ctx), clr)
	return jwt, clr, err
}
