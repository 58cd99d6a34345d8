package idkeys

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the key-encryption key's file in the data folder, made at first start
// when ESD_KEY_SECRET is not set.
const KeyFileName = "identity-keys.secret"

// sealMagic starts every encrypted private key: PKCS#8 DER starts with 0x30, so a stored
// value is told apart without a column (plaintext rows from before are migrated by Seal).
var sealMagic = []byte("ESDK1")

// LoadKEK returns the 256-bit key that encrypts the private keys at rest: derived with
// HKDF-SHA256 from ESD_KEY_SECRET (secret) when given, else read from KeyFileName in
// dataDir, which is created (0600, 32 random bytes in hex) when absent. A key file that
// others may read is refused: the keys it protects sign every badge and login.
func LoadKEK(secret, dataDir string) ([]byte, error) {
	if secret != "" {
		if len(secret) < 16 {
			return nil, errors.New("ESD_KEY_SECRET: at least 16 characters")
		}
		return hkdf.Key(sha256.New, []byte(secret), nil, "esd identity keys v1", 32)
	}
	path := filepath.Join(dataDir, KeyFileName)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadKEK("", dataDir) // made meanwhile by another process
		}
		if err != nil {
			return nil, err
		}
		if _, err := f.WriteString(hex.EncodeToString(k) + "\n"); err != nil {
			f.Close()
			return nil, err
		}
		return k, f.Close()
	}
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %v, others may read it (chmod 600)", path, st.Mode().Perm())
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("%s: not 64 hexadecimal characters", path)
	}
	return k, nil
}

func (s *Store) aead() (cipher.AEAD, error) {
	if len(s.KEK) != 32 {
		return nil, errors.New("idkeys: no key-encryption key (ESD_KEY_SECRET or the data folder's key file)")
	}
	b, err := aes.NewCipher(s.KEK)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// seal encrypts a private key's DER with AES-256-GCM; the kid is the additional data, so a
// sealed value moved to another row does not open.
func (s *Store) seal(kid string, der []byte) ([]byte, error) {
	g, err := s.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append(append([]byte{}, sealMagic...), nonce...)
	return g.Seal(out, nonce, der, []byte(kid)), nil
}

// open returns the DER of a stored private key: decrypted when sealed, as is when it is a
// plaintext row not migrated yet.
func (s *Store) open(kid string, stored []byte) ([]byte, error) {
	if !bytes.HasPrefix(stored, sealMagic) {
		return stored, nil
	}
	g, err := s.aead()
	if err != nil {
		return nil, err
	}
	rest := stored[len(sealMagic):]
	if len(rest) < g.NonceSize() {
		return nil, fmt.Errorf("idkeys: key %s: truncated", kid)
	}
	der, err := g.Open(nil, rest[:g.NonceSize()], rest[g.NonceSize():], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("idkeys: key %s does not decrypt: ESD_KEY_SECRET or the key file %s is not the one it was sealed with", kid, KeyFileName)
	}
	return der, nil
}

// Seal encrypts every private key still stored in plaintext (rows written before keys
// were encrypted at rest), each in place, and returns how many. It runs at every start.
func (s *Store) Seal(ctx context.Context) (int, error) {
	if _, err := s.aead(); err != nil {
		return 0, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT kid, private_der FROM identity_keys ORDER BY kid`)
	if err != nil {
		return 0, err
	}
	type row struct {
		kid string
		der []byte
	}
	var plain []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.kid, &r.der); err != nil {
			rows.Close()
			return 0, err
		}
		if !bytes.HasPrefix(r.der, sealMagic) {
			plain = append(plain, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for i, r := range plain {
		sealed, err := s.seal(r.kid, r.der)
		if err != nil {
			return i, err
		}
		// Only a row still in plaintext is replaced: another process may have sealed it.
		if _, err := s.DB.Write.ExecContext(ctx, `UPDATE identity_keys SET private_der = $1 WHERE kid = $2 AND private_der = $3`, sealed, r.kid, r.der); err != nil {
			return i, err
		}
	}
	return len(plain), nil
}
