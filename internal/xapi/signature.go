package xapi

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// UsageSignature is the attachment usageType of a signed statement's JWS.
const UsageSignature = "http://adlnet.gov/expapi/attachments/signature"

// signatureAlgs are the JWS algorithms a signed statement may use (xAPI Data §2.6).
var signatureAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512}

// checkSignature verifies a signed statement as xAPI requires of an LRS (1.0.3 Data §2.6,
// 2.0.0 §2.4.14.2): the signature attachment's part is a JWS in compact serialization with
// RS256/384/512; its payload is the statement as it was before the signature attachment
// was added, logically equivalent to the one received, ignoring what the LRS itself may set
// (id when absent, authority, stored, timestamp, version); with an X.509 chain in x5c, the
// signature must verify against the first certificate's RSA key. o is the statement as
// received, sig its signature attachment and part that attachment's content.
func checkSignature(o obj, sig obj, part Part) error {
	if ct, _ := sig["contentType"].(string); ct != "application/octet-stream" {
		return fmt.Errorf("the signature attachment's contentType must be application/octet-stream, not %q", ct)
	}
	text := strings.TrimSpace(string(part.Content))
	jws, err := jose.ParseSigned(text, signatureAlgs)
	if err != nil {
		return fmt.Errorf("the signature is not a JWS in compact serialization signed RS256, RS384 or RS512: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return fmt.Errorf("the signature must carry one JWS signature, not %d", len(jws.Signatures))
	}
	payload := jws.UnsafePayloadWithoutVerification()
	if chain := x5c(text); chain != nil {
		cert, err := x509.ParseCertificate(chain)
		if err != nil {
			return fmt.Errorf("the JWS x5c certificate: %v", err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("the JWS x5c certificate has no RSA key")
		}
		if payload, err = jws.Verify(pub); err != nil {
			return fmt.Errorf("the JWS signature does not verify with its x5c certificate")
		}
	}
	signed, err := decodeJSON(payload)
	if err != nil {
		return fmt.Errorf("the JWS payload is not a statement: %v", err)
	}
	so, ok := signed.(obj)
	if !ok {
		return fmt.Errorf("the JWS payload is not a statement object")
	}
	if field := statementDifference(so, withoutSignature(o)); field != "" {
		return fmt.Errorf("the JWS payload does not match the statement (%s differs)", field)
	}
	return nil
}

// x5c returns the DER of the first certificate of a compact JWS's x5c header, if any.
func x5c(compact string) []byte {
	h, _, _ := strings.Cut(compact, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil
	}
	var head struct {
		X5C []string `json:"x5c"`
	}
	if json.Unmarshal(raw, &head) != nil || len(head.X5C) == 0 {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(head.X5C[0])
	if err != nil {
		return []byte{} // present but unreadable: ParseCertificate refuses it
	}
	return der
}

// withoutSignature copies a statement without its signature attachment(s): the JWS was
// made before the signature was attached.
func withoutSignature(o obj) obj {
	c := obj{}
	for k, v := range o {
		c[k] = v
	}
	as, _ := o["attachments"].([]any)
	var keep []any
	for _, a := range as {
		if ao, ok := a.(obj); ok && ao["usageType"] == UsageSignature {
			continue
		}
		keep = append(keep, a)
	}
	if len(keep) == 0 {
		delete(c, "attachments")
	} else {
		c["attachments"] = keep
	}
	return c
}

// statementDifference names the first top-level property in which two statements differ,
// ignoring what the LRS sets: authority, stored, timestamp and version always, id when
// either side lacks it (ids compare case-insensitively). "" means equivalent.
func statementDifference(signed, got obj) string {
	keys := map[string]bool{}
	for k := range signed {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch k {
		case "authority", "stored", "timestamp", "version":
			continue
		case "id":
			a, _ := signed["id"].(string)
			b, _ := got["id"].(string)
			if a != "" && b != "" && !strings.EqualFold(a, b) {
				return "id"
			}
			continue
		}
		if !reflect.DeepEqual(signed[k], got[k]) {
			return k
		}
	}
	return ""
}
