package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// History is the list of kept results, one JSON Record per line, oldest first. It lives in
// the repository (bench/history.jsonl) so figures travel with the code that produced them.
type History struct {
	Path string
	last map[string]Record
}

// LoadHistory reads the history at path; a missing file is an empty history. Lines that
// are not records (blank lines, comments) are skipped so a hand-edited file still loads.
func LoadHistory(path string) (*History, error) {
	h := &History{Path: path, last: map[string]Record{}}
	if path == "" {
		return h, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := h.read(f); err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	return h, nil
}

func (h *History) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil || rec.Scenario == "" {
			continue
		}
		h.last[rec.Key()] = rec
	}
	return sc.Err()
}

// Last returns the last kept record of the series of r.
func (h *History) Last(r Record) (Record, bool) {
	p, ok := h.last[r.Key()]
	return p, ok
}

// Check sets r.Regression against the last kept record of its series.
func (h *History) Check(r *Record) {
	if prev, ok := h.Last(*r); ok {
		r.Regression = Compare(*r, prev)
	}
}

// Append adds records to the file (creating it and its folder) and to the in-memory view.
func (h *History) Append(recs []Record) error {
	for _, r := range recs {
		h.last[r.Key()] = r
	}
	if h.Path == "" || len(recs) == 0 {
		return nil
	}
	if dir := filepath.Dir(h.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(h.Path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
