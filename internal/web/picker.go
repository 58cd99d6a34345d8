package web

import (
	"context"
	"sync"
)

// PickOption is one choice of a picker: the value the form sends (an id or a code) and the
// label a person recognises (code and name).
type PickOption struct {
	Value string
	Label string
}

// PickerFunc lists the choices of a picker for the actor of ctx, within their scope, with
// labels in lang ("it" or "en").
type PickerFunc func(ctx context.Context, lang string) ([]PickOption, error)

// pickers holds the registered pickers by kind ("organisation", "persona", ...).
type pickers struct {
	mu sync.RWMutex
	m  map[string]PickerFunc
}

// SetPicker registers the choices of a kind of picker: a form field that asks for an id of
// that kind (the "field" template with "List" KIND) gets a datalist of them, so a person
// types a name and picks, while the field still takes the id as typed. It needs no
// JavaScript: the browser's own datalist filters as one types.
func (s *Server) SetPicker(kind string, fn PickerFunc) {
	s.pick.mu.Lock()
	defer s.pick.mu.Unlock()
	if s.pick.m == nil {
		s.pick.m = map[string]PickerFunc{}
	}
	s.pick.m[kind] = fn
}

// Pick returns the choices of a kind of picker for the page's viewer; none when the kind is
// not registered or the listing fails (the field stays usable with a typed id).
func (p PageData) Pick(kind string) []PickOption {
	if p.srv == nil || p.ctx == nil {
		return nil
	}
	p.srv.pick.mu.RLock()
	fn := p.srv.pick.m[kind]
	p.srv.pick.mu.RUnlock()
	if fn == nil {
		return nil
	}
	opts, err := fn(p.ctx, p.Lang)
	if err != nil {
		p.srv.Log.Warn("picker", "kind", kind, "err", err)
		return nil
	}
	return opts
}
