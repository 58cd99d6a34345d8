package oidc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseFileConfig feeds arbitrary bytes to the reader of the OIDC configuration file
// (ESD_OIDC_CONFIG, applied at start-up): a refusal says what is wrong (a broker's
// problems name the broker), an accepted file holds only brokers SaveBroker takes, and
// written back as JSON it reads the same.
//
//	go test ./internal/oidc -run '^$' -fuzz '^FuzzParseFileConfig$' -fuzztime 60s
func FuzzParseFileConfig(f *testing.F) {
	f.Add([]byte(`{"brokers":[{"code":"spid","name":"SPID","issuer":"https://idp.example.it/","client_id":"esd","client_secret":"s","scopes":["openid","profile"],"acr_levels":{"https://www.spid.gov.it/SpidL2":2},"roles":["professional"],"enabled":true}],"password_login_off":["professional"]}`))
	f.Add([]byte(`{"brokers":[{"code":"a b","auth_method":"none","algs":["HS256"],"min_level":9}]}`))
	f.Add([]byte(`{"brokers":[{"code":"cie","issuer":"https://cie.example.it","client_id":"x","auth_method":"private_key_jwt","scopes":["openid"]}]} {}`))
	f.Add([]byte(`{"password_login_off":["root"]}`))
	f.Add([]byte(`{"unknown":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fc, err := ParseFileConfig(b)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error")
			}
			return
		}
		for i, br := range fc.Brokers {
			c := br.withDefaults()
			if c.ClientSecret == "" {
				c.ClientSecret = "kept"
			}
			if err := c.validate(); err != nil {
				t.Fatalf("broker %d accepted but SaveBroker would refuse it: %v", i, err)
			}
		}
		out, err := json.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseFileConfig(out)
		if err != nil || !reflect.DeepEqual(again, fc) {
			t.Fatalf("an accepted configuration does not round-trip: %v\n%s", err, out)
		}
	})
}

// A configuration file over MaxConfigBytes is refused before it is decoded.
func TestParseFileConfigRefusesOverSize(t *testing.T) {
	big := append([]byte(`{"brokers":[`), bytes.Repeat([]byte(" "), MaxConfigBytes)...)
	if _, err := ParseFileConfig(big); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("over-size file: %v", err)
	}
}
