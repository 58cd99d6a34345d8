package web

import (
	"testing"
	"time"
)

// TestRateLimiterBurstAndRefill: the burst is served at once, then one request per refill
// interval, with the wait to the next token reported.
func TestRateLimiterBurstAndRefill(t *testing.T) {
	l := newRateLimiter(0, 0)
	now := time.Unix(1_000_000, 0)
	l.now = func() time.Time { return now }
	n := 0
	for {
		ok, wait := l.allow("k")
		if !ok {
			if wait <= 0 || wait > time.Second {
				t.Fatalf("wait %v", wait)
			}
			break
		}
		n++
	}
	if n != defaultPublicRateBurst {
		t.Fatalf("burst served %d, want %d", n, defaultPublicRateBurst)
	}
	now = now.Add(time.Second)
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("no refill after a second")
	}
	if ok, _ := l.allow("other"); !ok {
		t.Fatal("keys share a bucket")
	}
}
