// Package auth owns local accounts, their single role-and-scope grant, argon2id password
// hashes, login sessions, login throttling and API tokens for machine clients. It turns a
// session cookie or a bearer token into a domain.Actor; the services decide what the actor
// may do.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106 second recommended option, with memory sized for a small
// server): 64 MiB, 3 passes, 2 lanes.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash of pw with a random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the encoded hash, in constant time.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// NewSecret returns a random URL-safe secret of n bytes of entropy, for session and API
// tokens and one-time passwords.
func NewSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken stores session and API tokens as SHA-256: they are high-entropy random values,
// so a fast hash is enough to make a stolen table useless.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// MinPasswordLen is the shortest password the policy accepts (NIST SP 800-63B asks for at
// least 8 and recommends longer; 12 keeps argon2id worth its cost against offline guessing).
const MinPasswordLen = 12

// PolicyError is a password that breaks the policy; Rule names the rule (short, common,
// username) so the web layer can explain it in the user's language.
type PolicyError struct{ Rule string }

func (e *PolicyError) Error() string {
	switch e.Rule {
	case "short":
		return fmt.Sprintf("must be at least %d characters", MinPasswordLen)
	case "common":
		return "is one of the most common passwords: choose another"
	case "username":
		return "must not contain the username"
	}
	return "breaks the password policy"
}

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords holds the lower-cased list of common passwords, one per line in
// common_passwords.txt; only those of MinPasswordLen characters or more can matter.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordsText, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// ValidatePassword enforces the password policy for an account named username: at least
// MinPasswordLen characters, not a common password (also when the common one is only repeated
// or followed by digits), and not containing the username. The error is a *PolicyError.
func ValidatePassword(username, pw string) error {
	if len([]rune(pw)) < MinPasswordLen {
		return &PolicyError{Rule: "short"}
	}
	low := strings.ToLower(pw)
	if commonPasswords[low] || commonPasswords[strings.TrimRight(low, "0123456789!.")] || singleRun(low) {
		return &PolicyError{Rule: "common"}
	}
	if u := strings.ToLower(strings.TrimSpace(username)); len([]rune(u)) >= 3 && strings.Contains(low, u) {
		return &PolicyError{Rule: "username"}
	}
	return nil
}

// singleRun reports a password made of one repeated character ("aaaaaaaaaaaa"), which no
// list enumerates fully.
func singleRun(pw string) bool {
	r := []rune(pw)
	same := true
	for _, c := range r[1:] {
		if c != r[0] {
			same = false
		}
	}
	return same
}
