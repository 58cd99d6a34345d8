package seed

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress prints a line every few seconds while a step runs: how far it got, its rate
// and the time left, so a 15-minute national seed is never a silent terminal.
type Progress struct {
	Name  string
	Out   io.Writer
	Every time.Duration

	mu          sync.Mutex
	done, total int64
	start, last time.Time
}

// NewProgress starts a progress report of total units (0 when unknown).
func NewProgress(out io.Writer, name string, total int64) *Progress {
	now := time.Now()
	return &Progress{Name: name, Out: out, Every: 3 * time.Second, total: total, start: now, last: now}
}

// Add counts n more units done.
func (p *Progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.maybePrint()
}

// Set records absolute progress, as background jobs report it.
func (p *Progress) Set(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	if total > 0 {
		p.total = total
	}
	p.maybePrint()
}

func (p *Progress) maybePrint() {
	if p.Out == nil || time.Since(p.last) < p.Every {
		return
	}
	p.last = time.Now()
	fmt.Fprintln(p.Out, p.line())
}

func (p *Progress) line() string {
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(p.done) / el
	}
	s := fmt.Sprintf("seed: %-14s %s", p.Name, group(p.done))
	if p.total > 0 {
		s += fmt.Sprintf(" / %s (%.1f%%)", group(p.total), 100*float64(p.done)/float64(p.total))
	}
	s += fmt.Sprintf("  %s/s", group(int64(rate)))
	if p.total > 0 && rate > 0 && p.done < p.total {
		s += "  ETA " + (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	return s
}

// Done returns the units done, the elapsed time and the rate.
func (p *Progress) Done() (int64, time.Duration, float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start)
	rate := 0.0
	if el > 0 {
		rate = float64(p.done) / el.Seconds()
	}
	return p.done, el, rate
}

// group formats n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + group(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
