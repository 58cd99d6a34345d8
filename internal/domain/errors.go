// Package domain holds the types, error codes, roles, scopes and pure rules that every
// capability of ESD shares. It imports nothing outside the standard library, so the
// storage, web and command-line adapters can all depend on it without cycles.
package domain

import (
	"errors"
	"fmt"
)

// Error codes. Every error that leaves a service carries one of these, so the web UI, the
// JSON API and the CLI can map it once to a status, a page or an exit code.
const (
	EINVALID      = "invalid"      // the input breaks a rule; Field and Message say which
	ENOTFOUND     = "not_found"    // the thing does not exist, or is outside the caller's scope
	ECONFLICT     = "conflict"     // the write clashes with existing state (duplicate key, stale version)
	EUNAUTHORIZED = "unauthorized" // no valid session or token
	EFORBIDDEN    = "forbidden"    // authenticated, but the role or scope does not allow it
	ETOOMANY      = "too_many"     // throttled
	EUNAVAILABLE  = "unavailable"  // the platform cannot take the write now (disk full); the message says why, nothing was saved
	EINTERNAL     = "internal"     // a bug or an outage; details are logged, never shown
)

// Error is a domain error: a code, a message safe to show to the user, and optionally the
// field (or file position) it concerns.
type Error struct {
	Code    string
	Message string
	Field   string
	// Details carries per-item problems, e.g. every bad row of an import.
	Details []Problem
	Err     error
}

// Problem is one precise complaint about an input: where (file line and field) and why.
type Problem struct {
	Line   int    `json:"line,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Value  string `json:"value,omitempty"`
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Field != "" {
		s = e.Code + ": " + e.Field + ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a domain error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error about one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns an ENOTFOUND error naming what was looked for.
func NotFound(what string) *Error {
	return &Error{Code: ENOTFOUND, Message: what + " not found"}
}

// Forbidden returns an EFORBIDDEN error.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: EFORBIDDEN, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for anything that is not a domain error, and
// "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err; internal errors get a generic text.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return "internal error"
}

// AsError returns the domain error inside err, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// messageKey is the catalogue key (and arguments) of a user-facing error message. It rides
// inside a domain error so the web layer can show the message in the page's language, while
// the error's own Message stays English for the API and the logs.
type messageKey struct {
	key  string
	args []any
}

func (m messageKey) Error() string { return m.key }

// Keyed returns a domain error with an English message and a catalogue key for pages.
func Keyed(code, field, key, english string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(english, args...), Err: messageKey{key, args}}
}

// Localize returns err with its message translated by t when it carries a catalogue key
// (Keyed); any other error is returned as it is.
func Localize(err error, t func(key string, args ...any) string) error {
	e := AsError(err)
	if e == nil {
		return err
	}
	var k messageKey
	if !errors.As(e.Err, &k) {
		return err
	}
	out := *e
	out.Message = t(k.key, k.args...)
	out.Err = nil
	return &out
}
