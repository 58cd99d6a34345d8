package bench

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// rssSampler records the largest resident set size of the process while it runs. Sampling
// /proc/self/statm every 25 ms is cheap and, unlike the kernel's lifetime peak (VmHWM),
// covers only the measured repetitions.
type rssSampler struct {
	mu   sync.Mutex
	peak int64
	done chan struct{}
	wg   sync.WaitGroup
}

func startRSSSampler() *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	s.sample()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(25 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	v := RSS()
	s.mu.Lock()
	if v > s.peak {
		s.peak = v
	}
	s.mu.Unlock()
}

// stop ends sampling and returns the peak in MiB (0 when unknown).
func (s *rssSampler) stop() float64 {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.wg.Wait()
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(s.peak) / (1 << 20)
}

// RSS returns the resident set size of this process in bytes (0 where /proc is missing).
func RSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
