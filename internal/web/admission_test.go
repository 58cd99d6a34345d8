package web

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestAdmissionSettings checks the defaults' derivation and that a malformed setting is an
// error naming the variable, while a good one is applied (0 in the environment means 0).
func TestAdmissionSettings(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	d := DefaultAdmission(5)
	if want := max(4*procs, 10, 8); d.Limit != want || d.Queue != 2*want || d.Wait != 500*time.Millisecond || d.ImportLimit != max(1, procs/2) {
		t.Errorf("defaults for a pool of 5: %+v", d)
	}
	if d := DefaultAdmission(16); d.Limit < 32 {
		t.Errorf("a pool of 16 connections gets a limit of %d, want at least 32", d.Limit)
	}
	t.Setenv(EnvAdmissionLimit, "3")
	t.Setenv(EnvAdmissionQueue, "0")
	t.Setenv(EnvAdmissionWait, "250ms")
	t.Setenv(EnvAdmissionImport, "2")
	c, err := AdmissionFromEnv(5)
	if err != nil || c.Limit != 3 || c.Queue != 0 || c.Wait != 250*time.Millisecond || c.ImportLimit != 2 {
		t.Errorf("from the environment: %+v, %v", c, err)
	}
	for env, bad := range map[string]string{EnvAdmissionLimit: "many", EnvAdmissionQueue: "-2", EnvAdmissionWait: "soon", EnvAdmissionImport: "1.5"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, bad)
			if _, err := AdmissionFromEnv(5); err == nil || !strings.Contains(err.Error(), env) {
				t.Errorf("%s=%s: error %v, want one naming the setting", env, bad, err)
			}
		})
	}
	if w := withDefaults(AdmissionConfig{Limit: 1, Queue: -1}); w.Queue != 0 || w.Wait != 500*time.Millisecond {
		t.Errorf("in code, a negative queue means none and a zero wait the default: %+v", w)
	}
}
