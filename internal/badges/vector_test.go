package badges

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// TestOneEdTechTestVector reproduces the 1EdTech eddsa-rdfc-2022 test vector for Open
// Badges 3.0 byte for byte (testdata/README.md): our RDFC-1.0 gives back the published
// canonical N-Quads, and from them our signing input, the Ed25519 signature, the proof value
// and the Multikey are the published ones; our verifier accepts the published proof value
// and refuses it for a changed document.
func TestOneEdTechTestVector(t *testing.T) {
	dir := "testdata/1edtech-ob-v3p0-eddsa-rdfc-2022/"
	read := func(name string) string {
		b, err := os.ReadFile(dir + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	proofCanon, docCanon := read("proof-canon.nq"), read("document-canon.nq")
	var v struct {
		PublicKeyHex, PrivateKeyHex, PublicKeyMultibase, DocumentHashHex, ProofHashHex, DataToSignHex, SignatureHex, ProofValue string
	}
	if err := json.Unmarshal([]byte(read("vector.json")), &v); err != nil {
		t.Fatal(err)
	}
	for name, nq := range map[string]string{"proof": proofCanon, "document": docCanon} {
		got, err := canonicalizeNQuads(nq)
		if err != nil {
			t.Fatal(err)
		}
		if got != nq {
			t.Fatalf("RDFC-1.0 of the %s differs from the vector's:\n%s\nwant\n%s", name, got, nq)
		}
	}
	data := signingInput(proofCanon, docCanon)
	if h := hex.EncodeToString(data); h != v.DataToSignHex || h[:64] != v.ProofHashHex || h[64:] != v.DocumentHashHex {
		t.Fatalf("data to sign %s, want %s", h, v.DataToSignHex)
	}
	privRaw, _ := hex.DecodeString(v.PrivateKeyHex)
	priv := ed25519.PrivateKey(privRaw)
	pub := priv.Public().(ed25519.PublicKey)
	if hex.EncodeToString(pub) != v.PublicKeyHex || Multikey(pub) != v.PublicKeyMultibase {
		t.Fatalf("key: %x %s", pub, Multikey(pub))
	}
	sig := ed25519.Sign(priv, data)
	if hex.EncodeToString(sig) != v.SignatureHex {
		t.Fatalf("signature %x, want %s", sig, v.SignatureHex)
	}
	if pv := "z" + base58btc(sig); pv != v.ProofValue {
		t.Fatalf("proofValue %s, want %s", pv, v.ProofValue)
	}
	back, err := unbase58btc(v.ProofValue[1:])
	if err != nil || !ed25519.Verify(pub, data, back) {
		t.Fatalf("the published proof value does not verify: %v", err)
	}
	changed := signingInput(proofCanon, docCanon[:len(docCanon)-2]+"x .\n")
	if ed25519.Verify(pub, changed, back) {
		t.Fatal("the proof value verifies a changed document")
	}
}
