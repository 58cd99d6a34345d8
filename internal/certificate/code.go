package certificate

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
)

// Verification codes are 12 random Crockford base32 characters (60 bits: guessing a valid
// code is hopeless, so the public page needs no login) plus one check character, written in
// groups "ABCD-EFGH-JKMN-P" so people can read them over the phone and type them back. The
// check character (Luhn mod 32 over the alphabet) catches every single mistyped character
// and nearly every swap of two neighbours (the test measures it) before the database is asked.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const codeLen = 12

// NewCode returns a fresh verification code in its canonical form (13 characters, no dashes).
func NewCode() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("certificate: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	v := binary.BigEndian.Uint64(b[:])
	out := make([]byte, codeLen)
	for i := range out {
		out[i] = crockford[v&31]
		v >>= 5
	}
	return string(out) + string(checkChar(string(out)))
}

// checkChar is the Luhn mod 32 check character of s (all characters in the alphabet).
func checkChar(s string) byte {
	sum := 0
	factor := 2
	for i := len(s) - 1; i >= 0; i-- {
		a := strings.IndexByte(crockford, s[i]) * factor
		sum += a/32 + a%32
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
	}
	return crockford[(32-sum%32)%32]
}

// ParseCode normalises a code as typed (any case, dashes or spaces anywhere, O for 0, I and L
// for 1) to its canonical form and reports whether it is well formed with a valid check
// character.
func ParseCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ', '\t', '.':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(crockford, byte(r)) < 0 {
			return "", false
		}
		b.WriteRune(r)
	}
	c := b.String()
	if len(c) != codeLen+1 || checkChar(c[:codeLen]) != c[codeLen] {
		return "", false
	}
	return c, true
}

// FormatCode writes a canonical code in its printed groups: ABCD-EFGH-JKMN-P.
func FormatCode(c string) string {
	if len(c) != codeLen+1 {
		return c
	}
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
}
