package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"esd/internal/domain"
)

// StatusOf maps a domain error code to its HTTP status, in one place for UI and API.
func StatusOf(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	if st := statusOfUpload(err); st != 0 {
		return st
	}
	switch domain.ErrorCode(err) {
	case domain.EINVALID:
		return http.StatusUnprocessableEntity
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	case domain.ETOOMANY:
		return http.StatusTooManyRequests
	case domain.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem+json body, with the domain code, the field and, for
// imports, every bad row.
type Problem struct {
	Type     string           `json:"type"`
	Title    string           `json:"title"`
	Status   int              `json:"status"`
	Detail   string           `json:"detail"`
	Code     string           `json:"code"`
	Field    string           `json:"field,omitempty"`
	Errors   []domain.Problem `json:"errors,omitempty"`
	Instance string           `json:"instance,omitempty"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	if status == http.StatusInternalServerError {
		s.Log.Error("internal error", "request_id", domain.RequestIDFrom(r.Context()), "path", r.URL.Path, "err", err)
	}
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: domain.ErrorCode(err),
		Detail: domain.ErrorMessage(err), Instance: domain.RequestIDFrom(r.Context())}
	if status == http.StatusRequestEntityTooLarge && statusOfUpload(err) == 0 {
		p.Code, p.Detail = domain.EINVALID, "request body too large"
	}
	if e := domain.AsError(err); e != nil {
		p.Field, p.Errors = e.Field, e.Details
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
}

func (s *Server) renderError(c *Ctx, err error) {
	status := StatusOf(err)
	if status == http.StatusUnauthorized {
		http.Redirect(c.W, c.R, "/login?next="+urlQueryEscape(c.R.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if status == http.StatusInternalServerError {
		s.Log.Error("internal error", "request_id", domain.RequestIDFrom(c.Context()), "path", c.R.URL.Path, "err", err)
	}
	_ = s.render(c, status, "error", c.T("error.title"), map[string]any{"Status": status, "Message": domain.ErrorMessage(err),
		"Code": domain.ErrorCode(err), "Problems": problemsOf(err)}, nil)
}

func problemsOf(err error) []domain.Problem {
	if e := domain.AsError(err); e != nil {
		return e.Details
	}
	return nil
}
