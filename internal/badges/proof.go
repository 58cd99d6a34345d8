package badges

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"esd/internal/audit"
	"esd/internal/domain"
	"esd/internal/idkeys"
)

// KeyURL is the dereferenceable URL of one issuer key (the VC-JWT kid).
func KeyURL(base, kid string) string { return base + "/badges/issuer/keys/" + kid }

// signJWT signs cred as an OB 3.0 VC-JWT: the credential is the payload with iss, jti, nbf
// (and exp when validUntil is set) mapped from it; the header carries only alg, kid and typ.
func signJWT(k idkeys.Key, base string, cred map[string]any) (string, error) {
	payload := map[string]any{}
	for key, v := range cred {
		payload[key] = v
	}
	issuer, _ := cred["issuer"].(map[string]any)
	payload["iss"] = issuer["id"]
	payload["jti"] = cred["id"]
	if t, err := time.Parse(time.RFC3339, fmt.Sprint(cred["validFrom"])); err == nil {
		payload["nbf"] = t.Unix()
	}
	if vu, ok := cred["validUntil"].(string); ok {
		if t, err := time.Parse(time.RFC3339, vu); err == nil {
			payload["exp"] = t.Unix()
		}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.Private},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", KeyURL(base, k.KID)))
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	o, err := signer.Sign(body)
	if err != nil {
		return "", err
	}
	return o.CompactSerialize()
}

// IssuerJWKS returns every issuer key, retired ones included (what they signed still verifies).
func (s *Service) IssuerJWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if _, err := s.Keys.Current(ctx, KeyPurpose, idkeys.RSA); err != nil {
		return set, err
	}
	keys, err := s.Keys.All(ctx, KeyPurpose)
	if err != nil {
		return set, err
	}
	for _, k := range keys {
		j := k.JWK("sig")
		j.KeyID = KeyURL(s.base(ctx), k.KID)
		set.Keys = append(set.Keys, j)
	}
	return set, nil
}

// RotateKey retires the issuer's signing key and makes a new one; the old stays published.
// National governance (or the system) only; the rotation is audited.
func (s *Service) RotateKey(ctx context.Context) (string, error) {
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return "", err
	}
	k, err := s.Keys.Rotate(ctx, KeyPurpose, idkeys.RSA)
	if err != nil {
		return "", err
	}
	return k.KID, audit.Record(ctx, s.DB.Write, audit.Change{Action: "rotate_key", Entity: "badge_issuer", EntityID: k.KID})
}

// StatusListSize is the length in bits of the revocation list (the W3C minimum, 16 KB,
// which keeps holders from being told apart by list).
const StatusListSize = 131072

// statusBits returns the revocation bitstring: bit i set when the credential with status
// index i is revoked. Bit 0 is the most significant bit of the first byte, as
// BitstringStatusList defines.
func (s *Service) statusBits(ctx context.Context) ([]byte, error) {
	bits := make([]byte, StatusListSize/8)
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT status_index FROM badge_credentials WHERE revoked_at IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return nil, err
		}
		bits[i/8] |= 0x80 >> (i % 8)
	}
	return bits, rows.Err()
}

// encodeList is the encodedList: multibase base64url (prefix "u") of the GZIP-compressed bits.
func encodeList(bits []byte) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(bits)
	_ = w.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(b.Bytes())
}

func decodeList(enc string) ([]byte, error) {
	if !strings.HasPrefix(enc, "u") {
		return nil, fmt.Errorf("encodedList is not multibase base64url")
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc[1:])
	if err != nil {
		return nil, err
	}
	r, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, StatusListSize))
}

// StatusList returns the BitstringStatusListCredential, signed as a VC-JWT.
func (s *Service) StatusList(ctx context.Context) (string, map[string]any, error) {
	bits, err := s.statusBits(ctx)
	if err != nil {
		return "", nil, err
	}
	base := s.base(ctx)
	cred := map[string]any{
		"@context":  []any{ContextVC},
		"id":        base + "/badges/status/1",
		"type":      []any{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":    s.issuerRef(ctx),
		"validFrom": s.now().Format(time.RFC3339),
		"credentialSubject": map[string]any{"id": base + "/badges/status/1#list", "type": "BitstringStatusList",
			"statusPurpose": "revocation", "encodedList": encodeList(bits)},
	}
	k, err := s.Keys.Current(ctx, KeyPurpose, idkeys.RSA)
	if err != nil {
		return "", nil, err
	}
	jwt, err := signJWT(k, base, cred)
	return jwt, cred, err
}

// verifyJWT checks a VC-JWT's signature with the issuer key its kid names, allowing RS256
// only, and returns the payload.
func (s *Service) verifyJWT(ctx context.Context, tok string) (map[string]any, string, error) {
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, "", fmt.Errorf("not a JWS signed with RS256: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", fmt.Errorf("expected one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	set, err := s.IssuerJWKS(ctx)
	if err != nil {
		return nil, kid, err
	}
	ks := set.Key(kid)
	if len(ks) == 0 {
		return nil, kid, fmt.Errorf("key %q is not one of the issuer's published keys", kid)
	}
	pub, ok := ks[0].Key.(*rsa.PublicKey)
	if !ok {
		return nil, kid, fmt.Errorf("key %q is not RSA", kid)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, kid, fmt.Errorf("signature does not match: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, kid, err
	}
	return m, kid, nil
}

// statusOf reads bit idx of the published status list (as any verifier would).
func (s *Service) statusOf(ctx context.Context, idx string) (bool, error) {
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= StatusListSize {
		return false, fmt.Errorf("statusListIndex %q out of range", idx)
	}
	jwt, _, err := s.StatusList(ctx)
	if err != nil {
		return false, err
	}
	list, _, err := s.verifyJWT(ctx, jwt)
	if err != nil {
		return false, err
	}
	sub, _ := list["credentialSubject"].(map[string]any)
	bits, err := decodeList(fmt.Sprint(sub["encodedList"]))
	if err != nil {
		return false, err
	}
	if i/8 >= len(bits) {
		return false, fmt.Errorf("status list too short")
	}
	return bits[i/8]&(0x80>>(i%8)) != 0, nil
}
