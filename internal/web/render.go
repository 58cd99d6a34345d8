package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"esd/internal/auth"
	"esd/internal/domain"
)

//go:embed templates/*.html
var coreTemplates embed.FS

// PageData is what every page template receives as dot. The page's own data is in .Data.
type PageData struct {
	Title     string
	Lang      string
	Actor     domain.Actor
	User      auth.User
	Nav       []NavItem
	Path      string
	Data      any
	Errors    map[string]string // field → message, shown beside the field
	FormError string            // a message for the whole form
	Problems  []domain.Problem
	Version   string
	RequestID string

	// ctx and srv let Pick list a picker's choices for the request's actor.
	ctx context.Context
	srv *Server
}

// T translates a key into the page's language.
func (p PageData) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// RoleLabel is the translated name of the actor's role.
func (p PageData) RoleLabel() string { return translate(p.Lang, "role."+string(p.Actor.Role)) }

// Active reports whether the current path is under prefix, for the menu.
func (p PageData) Active(prefix string) bool {
	if prefix == "/" {
		return p.Path == "/"
	}
	return strings.HasPrefix(p.Path, prefix)
}

// HasRole reports whether the actor has one of the roles.
func (p PageData) HasRole(roles ...string) bool {
	for _, r := range roles {
		if string(p.Actor.Role) == r {
			return true
		}
	}
	return false
}

// Funcs are the template functions every template may use.
var Funcs = template.FuncMap{
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.Format("02/01/2006")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.Format("02/01/2006")
		}
		return ""
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(rome).Format("02/01/2006 15:04")
	},
	"add": func(a, b int) int { return a + b },
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
	"pct": func(a, b int64) int64 {
		if b == 0 {
			return 0
		}
		return a * 100 / b
	},
	"join":  strings.Join,
	"lower": strings.ToLower,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"f1":       func(v float64) string { return strings.Replace(fmt.Sprintf("%.1f", v), ".", ",", 1) },
	"safeHTML": func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // only for server-built SVG charts
}

var rome = func() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.UTC
	}
	return l
}()

func (s *Server) parseTemplates() error {
	all := append([]fs.FS{mustSub(coreTemplates, "templates")}, s.tmplFS...)
	base := template.New("").Funcs(Funcs)
	type pageFile struct {
		fsys fs.FS
		name string
	}
	var pages []pageFile
	for _, fsys := range all {
		files, err := fs.Glob(fsys, "*.html")
		if err != nil {
			return err
		}
		for _, f := range files {
			if strings.HasPrefix(f, "_") {
				if _, err := base.ParseFS(fsys, f); err != nil {
					return fmt.Errorf("template %s: %w", f, err)
				}
			} else {
				pages = append(pages, pageFile{fsys, f})
			}
		}
	}
	s.pages = map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p.name), ".html")
		if _, dup := s.pages[name]; dup {
			return fmt.Errorf("two page templates are named %q", name)
		}
		t, err := base.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(p.fsys, p.name); err != nil {
			return fmt.Errorf("template %s: %w", p.name, err)
		}
		s.pages[name] = t
	}
	return nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

func (s *Server) navFor(a domain.Actor) []NavItem {
	var out []NavItem
	for _, n := range s.nav {
		if !a.Authenticated() {
			continue
		}
		if len(n.Roles) == 0 || a.Role == domain.RoleSystem {
			out = append(out, n)
			continue
		}
		for _, r := range n.Roles {
			if r == a.Role {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

func (s *Server) render(c *Ctx, status int, name, title string, data any, formErr error) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	pd := PageData{Title: title, Lang: c.Lang, Actor: c.Actor, User: c.User, Nav: s.navFor(c.Actor), Path: c.R.URL.Path,
		Data: data, Version: s.Version, RequestID: domain.RequestIDFrom(c.Context()), ctx: c.Context(), srv: s}
	if formErr != nil {
		pd.Errors = map[string]string{}
		if e := domain.AsError(formErr); e != nil {
			// Problems that name only a field (no file line) are form errors: each is shown
			// beside its field, and listed in the summary on top (the accessible error-summary
			// pattern; it also covers a field the form does not render). Others (an import's
			// bad rows) are listed in the problems table.
			fieldLevel := len(e.Details) > 0
			for _, p := range e.Details {
				if p.Line != 0 || p.Field == "" {
					fieldLevel = false
				}
			}
			if fieldLevel {
				for _, p := range e.Details {
					if _, ok := pd.Errors[p.Field]; !ok {
						pd.Errors[p.Field] = p.Reason
					}
				}
				pd.FormError = translate(c.Lang, "form.errors")
				pd.Problems = e.Details
			} else {
				pd.Problems = e.Details
				if e.Field != "" {
					pd.Errors[e.Field] = e.Message
				} else {
					pd.FormError = e.Message
				}
			}
		}
	}
	Rendered.Store(name, true)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name+".html", pd); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.W.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.W.Header().Set("Cache-Control", "no-store")
	c.W.WriteHeader(status)
	_, err := buf.WriteTo(c.W)
	if err != nil {
		return nil //nolint:nilerr // the client went away; nothing to report to it
	}
	return nil
}

// Rendered records every page template name rendered in this process, so a test can fail
// when a template is never exercised.
var Rendered sync.Map
