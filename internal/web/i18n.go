package web

import (
	"fmt"
	"sync"

	"esd/internal/domain"
)

// The message catalogue: key → {Italian, English}. Italian is the default language; a key
// missing in English falls back to Italian, and a missing key shows itself so a test or a
// reviewer spots it.
var (
	msgMu    sync.RWMutex
	messages = map[string][2]string{}
)

func addMessages(m map[string][2]string) {
	msgMu.Lock()
	defer msgMu.Unlock()
	for k, v := range m {
		messages[k] = v
	}
}

// HasMessage reports whether key is in the catalogue.
func HasMessage(key string) bool {
	msgMu.RLock()
	defer msgMu.RUnlock()
	_, ok := messages[key]
	return ok
}

func translate(lang, key string, args ...any) string {
	msgMu.RLock()
	m, ok := messages[key]
	msgMu.RUnlock()
	if !ok {
		return key
	}
	s := m[0]
	if lang == "en" && m[1] != "" {
		s = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Translate is translate for code outside templates (exports, CLI).
func Translate(lang, key string, args ...any) string { return translate(lang, key, args...) }

// RoleName is the translated name of a role.
func (s *Server) RoleName(lang string, r domain.Role) string {
	return translate(lang, "role."+string(r))
}

// MessageKeys returns every key of the catalogue with whether it has an English text.
func MessageKeys() map[string]bool {
	msgMu.RLock()
	defer msgMu.RUnlock()
	out := make(map[string]bool, len(messages))
	for k, v := range messages {
		out[k] = v[1] != ""
	}
	return out
}

// MessageTexts returns a copy of the catalogue: key → {Italian, English}, for the tests that
// check both languages are complete.
func MessageTexts() map[string][2]string {
	msgMu.RLock()
	defer msgMu.RUnlock()
	out := make(map[string][2]string, len(messages))
	for k, v := range messages {
		out[k] = v
	}
	return out
}
