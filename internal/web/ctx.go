package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"esd/internal/auth"
	"esd/internal/domain"
)

// Ctx is one request as a handler sees it.
type Ctx struct {
	W     http.ResponseWriter
	R     *http.Request
	Actor domain.Actor
	User  auth.User
	Lang  string
	s     *Server
}

func (s *Server) newCtx(w http.ResponseWriter, r *http.Request) *Ctx {
	c := &Ctx{W: w, R: r, Actor: domain.ActorFrom(r.Context()), s: s}
	c.User, _ = r.Context().Value(userKey{}).(auth.User)
	c.Lang = "it"
	if l := r.URL.Query().Get("lang"); l == "it" || l == "en" {
		c.Lang = l
		s.setCookie(w, langCookie, l, 365*24*3600)
	} else if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == "it" || ck.Value == "en") {
		c.Lang = ck.Value
	} else if c.User.Lang != "" {
		c.Lang = c.User.Lang
	}
	return c
}

// Context returns the request context (carrying actor and request id) for service calls.
func (c *Ctx) Context() context.Context { return c.R.Context() }

// Server returns the server.
func (c *Ctx) Server() *Server { return c.s }

// T translates a message key into the request's language.
func (c *Ctx) T(key string, args ...any) string { return translate(c.Lang, key, args...) }

// PathInt64 parses a path value as an id; a malformed one is ENOTFOUND.
func (c *Ctx) PathInt64(name string) (int64, error) {
	v, err := strconv.ParseInt(c.R.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, domain.NotFound(name)
	}
	return v, nil
}

// QueryInt returns the integer query parameter name, or def.
func (c *Ctx) QueryInt(name string, def int) int {
	if v, err := strconv.Atoi(c.R.URL.Query().Get(name)); err == nil {
		return v
	}
	return def
}

// DecodeJSON decodes the request body into v, refusing unknown fields and trailing data,
// with errors that name the problem.
func (c *Ctx) DecodeJSON(v any) error {
	dec := json.NewDecoder(c.R.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return &domain.Error{Code: domain.EINVALID, Message: "request body too large (limit " + strconv.FormatInt(mbe.Limit, 10) + " bytes)"}
		case errors.As(err, &se):
			return domain.Invalid("body", "malformed JSON at byte %d", se.Offset)
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "body" // the value as a whole has the wrong type
			}
			return domain.Invalid(field, "expected %s, found a JSON %s", te.Type, te.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return domain.Invalid("body", "malformed JSON: unexpected end of input")
		case errors.Is(err, io.EOF):
			return domain.Invalid("body", "empty request body")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return domain.Invalid("body", "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return domain.Invalid("body", "%s", err)
	}
	if dec.More() {
		return domain.Invalid("body", "unexpected data after the JSON value")
	}
	return nil
}

// Redirect sends a 303 to path.
func (c *Ctx) Redirect(path string) error {
	http.Redirect(c.W, c.R, path, http.StatusSeeOther)
	return nil
}

// Render renders the page template name inside the layout with data.
func (c *Ctx) Render(name string, title string, data any) error {
	return c.s.render(c, http.StatusOK, name, title, data, nil)
}

// RenderForm renders a page with field errors (from a domain error) beside the fields and
// status 422, or 200 when err is nil.
func (c *Ctx) RenderForm(name, title string, data any, err error) error {
	if err == nil {
		return c.Render(name, title, data)
	}
	code := domain.ErrorCode(err)
	if code != domain.EINVALID && code != domain.ECONFLICT {
		return err
	}
	status := http.StatusUnprocessableEntity
	if st := statusOfUpload(err); st != 0 {
		status = st // a refused upload: 413 too large, 415 wrong type
	}
	return c.s.render(c, status, name, title, data, err)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// SafeNext returns next if it is a local path, else "/"; it stops open redirects after login.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
