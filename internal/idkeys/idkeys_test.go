package idkeys

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
)

// TestKeysEncryptedAtRest: a key made by the store is sealed in the database (no PKCS#8 in
// the row), reads back and signs; another key-encryption key cannot open it and says why;
// a plaintext row from before is read, then sealed in place by Seal, once.
func TestKeysEncryptedAtRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		d := dbtest.Open(t, dialect)
		ctx := context.Background()
		kek, err := LoadKEK("a long enough deployment secret", "")
		if err != nil {
			t.Fatal(err)
		}
		s := &Store{DB: d, KEK: kek}
		k, err := s.Current(ctx, "test-rsa", RSA)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k.Private)
		var stored []byte
		if err := d.Read.QueryRowContext(ctx, `SELECT private_der FROM identity_keys WHERE kid = $1`, k.KID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(stored, sealMagic) || bytes.Contains(stored, der[:64]) {
			t.Fatalf("private key stored in plaintext: %x", stored[:16])
		}
		if _, err := x509.ParsePKCS8PrivateKey(stored); err == nil {
			t.Fatal("the stored value parses as a private key")
		}
		// A fresh store (a restart) with the same secret reads it and signs with it.
		again := &Store{DB: d, KEK: kek}
		k2, err := again.Current(ctx, "test-rsa", RSA)
		if err != nil || k2.KID != k.KID {
			t.Fatalf("reload: %v %v", k2.KID, err)
		}
		h := sha256.Sum256([]byte("firma"))
		sig, err := k2.Private.Sign(rand.Reader, h[:], crypto.SHA256)
		if err != nil || rsa.VerifyPKCS1v15(k.Public().(*rsa.PublicKey), crypto.SHA256, h[:], sig) != nil {
			t.Fatalf("reloaded key does not sign as the original: %v", err)
		}
		// Another secret: a clear error, no key made in its place.
		otherKEK, _ := LoadKEK("another deployment secret!!", "")
		if _, err := (&Store{DB: d, KEK: otherKEK}).Current(ctx, "test-rsa", RSA); err == nil || !strings.Contains(err.Error(), "does not decrypt") {
			t.Fatalf("opened with another secret: %v", err)
		}
		if _, err := (&Store{DB: d}).Current(ctx, "test-new", Ed25519); err == nil {
			t.Fatal("a key made without a key-encryption key")
		}
		// A row written in plaintext by an older version is read, then sealed once.
		legacy, _ := rsa.GenerateKey(rand.Reader, 2048)
		legacyDER, _ := x509.MarshalPKCS8PrivateKey(legacy)
		if _, err := d.Write.ExecContext(ctx, `INSERT INTO identity_keys (kid, purpose, alg, private_der, created_at) VALUES ('legacy', 'old', 'RS256', $1, $2)`,
			legacyDER, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if ks, err := s.All(ctx, "old"); err != nil || len(ks) != 1 || !ks[0].Private.Public().(*rsa.PublicKey).Equal(&legacy.PublicKey) {
			t.Fatalf("plaintext row not readable before migration: %v", err)
		}
		if n, err := s.Seal(ctx); err != nil || n != 1 {
			t.Fatalf("seal: %d %v", n, err)
		}
		if n, err := s.Seal(ctx); err != nil || n != 0 {
			t.Fatalf("second seal: %d %v", n, err)
		}
		if err := d.Read.QueryRowContext(ctx, `SELECT private_der FROM identity_keys WHERE kid = 'legacy'`).Scan(&stored); err != nil || !bytes.HasPrefix(stored, sealMagic) {
			t.Fatalf("legacy row not sealed: %v", err)
		}
		if ks, err := s.All(ctx, "old"); err != nil || len(ks) != 1 || !ks[0].Private.Public().(*rsa.PublicKey).Equal(&legacy.PublicKey) {
			t.Fatalf("sealed legacy key: %v", err)
		}
	})
}

// TestKeyFile: without ESD_KEY_SECRET the key-encryption key is a file made 0600 in the
// data folder at first start and the same at the next; a file others can read is refused,
// and so is a short secret.
func TestKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := LoadKEK("", dir)
	if err != nil || len(k1) != 32 {
		t.Fatalf("first start: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	k2, err := LoadKEK("", dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second start gave another key: %v", err)
	}
	if s, _ := LoadKEK("a long enough deployment secret", dir); bytes.Equal(s, k1) {
		t.Fatal("ESD_KEY_SECRET did not take precedence over the file")
	}
	if err := os.Chmod(filepath.Join(dir, KeyFileName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKEK("", dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key file accepted: %v", err)
	}
	if _, err := LoadKEK("short", dir); err == nil {
		t.Fatal("a short ESD_KEY_SECRET accepted")
	}
}
