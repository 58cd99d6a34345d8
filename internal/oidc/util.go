package oidc

import (
	"encoding/json"
	"io"
	"net/url"
	"time"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

type pending struct {
	url string
	at  time.Time
}

// pendingLogout keeps a broker end-session URL for the page that sends the browser there,
// under a random id, for five minutes; the URL carries the ID token, so it stays server-side.
func (s *Service) pendingLogout(u string) string {
	id := random(16)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logouts == nil {
		s.logouts = map[string]pending{}
	}
	for k, p := range s.logouts {
		if time.Since(p.at) > 5*time.Minute {
			delete(s.logouts, k)
		}
	}
	s.logouts[id] = pending{u, time.Now()}
	return id
}

func (s *Service) takeLogout(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.logouts[id]
	delete(s.logouts, id)
	return p.url, ok && time.Since(p.at) < 5*time.Minute
}
