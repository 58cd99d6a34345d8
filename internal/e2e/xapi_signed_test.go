package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// selfSigned makes an RSA key and a self-signed X.509 certificate for it, as a provider
// signing its statements would hold.
func selfSigned(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fad.provider-demo.example.it"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return k, der
}

// jwsOf signs payload as a compact JWS with alg and key, with x5c when cert is given.
func jwsOf(t *testing.T, alg jose.SignatureAlgorithm, key any, cert []byte, payload any) []byte {
	t.Helper()
	opts := &jose.SignerOptions{}
	if cert != nil {
		opts = opts.WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(cert)})
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(payload)
	o, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := o.CompactSerialize()
	return []byte(c)
}

// signedBody is a multipart/mixed request holding st with jws attached as its signature
// (usageType …/attachments/signature, application/octet-stream).
func signedBody(st map[string]any, jws []byte) (string, []byte) {
	sum := sha256.Sum256(jws)
	h := hex.EncodeToString(sum[:])
	st = clone(st)
	st["attachments"] = []any{map[string]any{"usageType": "http://adlnet.gov/expapi/attachments/signature", "display": map[string]any{"en-US": "Signature"},
		"contentType": "application/octet-stream", "length": len(jws), "sha2": h}}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	pw, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	_ = json.NewEncoder(pw).Encode(st)
	pw, _ = mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}, "Content-Transfer-Encoding": {"binary"}, "X-Experience-API-Hash": {h}})
	_, _ = pw.Write(jws)
	mw.Close()
	return "multipart/mixed; boundary=" + mw.Boundary(), buf.Bytes()
}

// signedStatementsSuite: Data§2.6 (1.0.3) / §2.4.14.2 (2.0.0) signed statements. A JWS
// RS256/384/512 whose payload is the statement before the signature was attached is stored
// (200), with or without an x5c certificate; a payload that does not match the statement,
// an HS256 JWS, a signature that does not verify with its x5c certificate, a wrong
// contentType or a signature by fileUrl are 400 and nothing is stored.
func signedStatementsSuite(t *testing.T, w lrsWorld, v, auth, mbox, verb, act string) {
	key, cert := selfSigned(t)
	other, _ := selfSigned(t)
	post := func(ct string, body []byte) xres {
		return w.do(t, "POST", "/xapi/statements", v, auth, bytes.NewReader(body), http.Header{"Content-Type": {ct}})
	}
	st := stmt(mbox, verb, act+"/signed")
	st["id"] = newID()
	ct, body := signedBody(st, jwsOf(t, jose.RS256, key, cert, st))
	if r := post(ct, body); r.Status != 200 {
		t.Fatalf("signed statement RS256 with x5c: %d %s", r.Status, r.Body)
	}
	// No id in the payload (the LRS assigns it) and RS512 without a certificate.
	st2 := stmt(mbox, verb, act+"/signed")
	ct, body = signedBody(st2, jwsOf(t, jose.RS512, key, nil, st2))
	if r := post(ct, body); r.Status != 200 {
		t.Fatalf("signed statement RS512 without id: %d %s", r.Status, r.Body)
	}
	n0 := w.count(t, "xapi_statements")
	bad := []struct {
		name, want string
		ct         string
		body       []byte
	}{}
	add := func(name, want string, st map[string]any, jws []byte) {
		ct, body := signedBody(st, jws)
		bad = append(bad, struct {
			name, want string
			ct         string
			body       []byte
		}{name, want, ct, body})
	}
	changed := clone(st)
	changed["id"] = newID()
	signedOther := clone(changed)
	signedOther["object"] = map[string]any{"objectType": "Activity", "id": act + "/another"}
	add("payload of another statement", "does not match", changed, jwsOf(t, jose.RS256, key, cert, signedOther))
	hs := clone(st)
	hs["id"] = newID()
	add("HS256", "RS256, RS384 or RS512", hs, jwsOf(t, jose.HS256, bytes.Repeat([]byte{1}, 32), nil, hs))
	forged := clone(st)
	forged["id"] = newID()
	add("signed with a key other than its x5c", "does not verify", forged, jwsOf(t, jose.RS256, other, cert, forged))
	notJWS := clone(st)
	notJWS["id"] = newID()
	add("not a JWS", "not a JWS", notJWS, []byte("firma"))
	for _, c := range bad {
		if r := post(c.ct, c.body); r.Status != 400 || !strings.Contains(r.Body, c.want) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// The signature by fileUrl, and with another contentType.
	byURL := stmt(mbox, verb, act+"/signed")
	byURL["attachments"] = []any{map[string]any{"usageType": "http://adlnet.gov/expapi/attachments/signature", "display": map[string]any{"en-US": "Signature"},
		"contentType": "application/octet-stream", "length": 10, "sha2": strings.Repeat("b", 64), "fileUrl": "https://fad.provider-demo.example.it/sig"}}
	if r := w.post(t, v, auth, byURL); r.Status != 400 || !strings.Contains(r.Body, "fileUrl") {
		t.Errorf("signature by fileUrl: %d %s", r.Status, r.Body)
	}
	wrongCT := clone(st)
	wrongCT["id"] = newID()
	jws := jwsOf(t, jose.RS256, key, cert, wrongCT)
	ct, body = signedBody(wrongCT, jws)
	body = bytes.Replace(body, []byte(`"contentType":"application/octet-stream"`), []byte(`"contentType":"application/jose"`), 1)
	if r := post(ct, body); r.Status != 400 || !strings.Contains(r.Body, "contentType") {
		t.Errorf("signature with contentType application/jose: %d %s", r.Status, r.Body)
	}
	if n := w.count(t, "xapi_statements"); n != n0 {
		t.Errorf("refused signed statements stored %d statements", n-n0)
	}
}
