package auth

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("unexpected encoding %q", h)
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Fatal("right password refused")
	}
	if CheckPassword(h, "correct horse batterz") || CheckPassword("garbage", "x") {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("salts must differ")
	}
	if ValidatePassword("x", "short") == nil || ValidatePassword("x", "long enough pw") != nil {
		t.Fatal("password policy")
	}
	if hashToken("a") == hashToken("b") || len(NewSecret(32)) < 40 {
		t.Fatal("token helpers")
	}
}
