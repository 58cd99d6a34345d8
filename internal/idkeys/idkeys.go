// Package idkeys keeps the platform's own asymmetric keys (the relying party's signing and
// encryption keys, the badge issuer's RSA and Ed25519 keys) in the identity_keys table. A
// key is made on first use; rotation retires the current key but keeps it published, so
// what it signed keeps verifying. Private keys are stored as PKCS#8 DER encrypted with
// AES-256-GCM under a key-encryption key from ESD_KEY_SECRET or a 0600 file in the data
// folder (seal.go): a database dump or backup alone does not give them away. A deployment
// that needs them in an HSM replaces this package, not its callers.
package idkeys

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"esd/internal/db"
)

// Key algorithms.
const (
	RSA     = "RS256"
	Ed25519 = "EdDSA"
)

// Key is one stored key.
type Key struct {
	KID     string
	Purpose string
	Alg     string
	Private crypto.Signer
	Created time.Time
	Retired *time.Time
}

// Public returns the public half of k.
func (k Key) Public() crypto.PublicKey { return k.Private.Public() }

// JWK returns the public key as a JWK with use (sig or enc).
func (k Key) JWK(use string) jose.JSONWebKey {
	alg := k.Alg
	if use == "enc" {
		alg = "RSA-OAEP-256"
	}
	return jose.JSONWebKey{Key: k.Public(), KeyID: k.KID, Algorithm: alg, Use: use}
}

// Store reads and makes keys.
type Store struct {
	DB *db.DB
	// KEK is the 32-byte key-encryption key (LoadKEK); without it no key is made or read.
	KEK []byte
	mu  sync.Mutex
	// cache of current keys by purpose
	cur map[string]Key
}

// Current returns the live key of purpose, making one with alg on first use.
func (s *Store) Current(ctx context.Context, purpose, alg string) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.cur[purpose]; ok {
		return k, nil
	}
	keys, err := s.all(ctx, purpose)
	if err != nil {
		return Key{}, err
	}
	for _, k := range keys {
		if k.Retired == nil {
			s.remember(k)
			return k, nil
		}
	}
	k, err := s.make(ctx, purpose, alg)
	if err != nil {
		return Key{}, err
	}
	s.remember(k)
	return k, nil
}

func (s *Store) remember(k Key) {
	if s.cur == nil {
		s.cur = map[string]Key{}
	}
	s.cur[k.Purpose] = k
}

// All returns every key of purpose, live and retired, oldest first.
func (s *Store) All(ctx context.Context, purpose string) ([]Key, error) { return s.all(ctx, purpose) }

// Rotate retires the live key of purpose and makes a new one; the old stays published.
func (s *Store) Rotate(ctx context.Context, purpose, alg string) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.DB.Write.ExecContext(ctx, `UPDATE identity_keys SET retired_at = $1 WHERE purpose = $2 AND retired_at IS NULL`, db.Now(), purpose); err != nil {
		return Key{}, err
	}
	delete(s.cur, purpose)
	k, err := s.make(ctx, purpose, alg)
	if err == nil {
		s.remember(k)
	}
	return k, err
}

func (s *Store) all(ctx context.Context, purpose string) ([]Key, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT kid, alg, private_der, created_at, retired_at FROM identity_keys WHERE purpose = $1 ORDER BY created_at, kid`, purpose)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k := Key{Purpose: purpose}
		var der []byte
		var retired sql.NullTime
		if err := rows.Scan(&k.KID, &k.Alg, &der, &k.Created, &retired); err != nil {
			return nil, err
		}
		if retired.Valid {
			t := retired.Time
			k.Retired = &t
		}
		der, err := s.open(k.KID, der)
		if err != nil {
			return nil, err
		}
		p, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, err
		}
		signer, ok := p.(crypto.Signer)
		if !ok {
			return nil, errors.New("idkeys: stored key is not a signer")
		}
		k.Private = signer
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *Store) make(ctx context.Context, purpose, alg string) (Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		alg = RSA
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return Key{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, err
	}
	k := Key{Purpose: purpose, Alg: alg, Private: priv, Created: db.Now()}
	// kid = RFC 7638 thumbprint of the public key, as the SPID/CIE rules ask.
	tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return Key{}, err
	}
	k.KID = base64.RawURLEncoding.EncodeToString(tp)
	// The same public key under two purposes would share a kid: add the purpose.
	h := sha256.Sum256([]byte(purpose))
	k.KID += "-" + base64.RawURLEncoding.EncodeToString(h[:3])
	sealed, err := s.seal(k.KID, der)
	if err != nil {
		return Key{}, err
	}
	_, err = s.DB.Write.ExecContext(ctx, `INSERT INTO identity_keys (kid, purpose, alg, private_der, created_at) VALUES ($1,$2,$3,$4,$5)`,
		k.KID, purpose, alg, sealed, k.Created)
	return k, err
}
