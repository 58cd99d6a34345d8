package certificate

import (
	"testing"
	"time"

	"esd/internal/domain"
)

func TestLimiter(t *testing.T) {
	l := &limiter{per: 50 * time.Millisecond, max: 3, seen: map[string]*bucket{}}
	for i := 0; i < 3; i++ {
		if err := l.allow("10.0.0.1"); err != nil {
			t.Fatalf("look-up %d refused: %v", i+1, err)
		}
	}
	if err := l.allow("10.0.0.1"); domain.ErrorCode(err) != domain.ETOOMANY {
		t.Fatalf("fourth look-up in the window: %v, want ETOOMANY", err)
	}
	if err := l.allow("10.0.0.2"); err != nil {
		t.Fatalf("another address is limited too: %v", err)
	}
	time.Sleep(60 * time.Millisecond)
	if err := l.allow("10.0.0.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
