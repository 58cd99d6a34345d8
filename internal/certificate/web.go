package certificate

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"esd/internal/domain"
	"esd/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// WebModule is the certificates' web module: the professional's list, a professional's
// certificates for those in scope, the PDF, the revoke form, the public verification page and
// the JSON API.
type WebModule struct {
	S *Service
	// limiter bounds public look-ups per client address (verification needs no login).
	limiter *limiter
}

// NewWebModule returns the module with its public look-up limiter (60 per minute per client
// address: plenty for people, useless for guessing).
func NewWebModule(s *Service) WebModule {
	return WebModule{S: s, limiter: &limiter{per: time.Minute, max: 60, seen: map[string]*bucket{}}}
}

// Register plugs the module into the server.
func (m WebModule) Register(r *web.Routes) {
	if m.limiter == nil {
		m = NewWebModule(m.S)
	}
	sub, _ := fs.Sub(templateFS, "templates")
	r.Templates(sub)
	r.Messages(messages)
	r.Nav(web.NavItem{Key: "cert.nav", Desc: "cert.nav.desc", Path: "/certificates", Roles: []domain.Role{domain.RoleProfessional}, Order: 47, Group: web.NavGroupTraining})

	r.Page("GET /certificates", m.minePage)
	r.Page("GET /professionals/{id}/certificates", m.professionalPage)
	r.Page("GET /certificates/{id}", m.detailPage)
	r.Page("GET /certificates/{id}/pdf", m.pdfPage)
	r.Page("POST /certificates/{id}/revoke", m.revokePost)
	r.Page("POST /participations/{id}/certificate", m.issuePost)
	r.Page("GET /verifica", m.verifyForm, web.PageOpts{Public: true})
	r.Page("GET /verifica/{code}", m.verifyPage, web.PageOpts{Public: true})

	tag := "certificates"
	staff := []string{"national", "regional", "organisation", "provider", "professional"}
	r.API("POST /api/v1/participations/{id}/certificate", web.Op{Summary: "Issue (or return the live) certificate of a completed participation; a changed participation gets a new one", Tag: tag,
		Response: Certificate{}, Roles: staff}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		return m.S.Issue(c.Context(), id)
	})
	r.API("GET /api/v1/certificates/{id}", web.Op{Summary: "A certificate and what it states", Tag: tag, Response: Certificate{}, Roles: staff},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return m.S.Get(c.Context(), id)
		})
	r.API("GET /api/v1/certificates/{id}/pdf", web.Op{Summary: "The attestato di partecipazione as PDF (application/pdf)", Tag: tag, Roles: staff},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			pdf, name, err := m.S.PDF(WithLanguage(m.withBase(c), c.Lang), id)
			if err != nil {
				return nil, err
			}
			return &web.Download{ContentType: "application/pdf", Filename: name, Body: pdf}, nil
		})
	r.API("POST /api/v1/certificates/{id}/revoke", web.Op{Summary: "Revoke a certificate with a reason (the event's provider, the region, national governance)", Tag: tag,
		Request: RevokeInput{}, Response: Certificate{}, Roles: []string{"national", "regional", "provider"}}, func(c *web.Ctx) (any, error) {
		id, err := c.PathInt64("id")
		if err != nil {
			return nil, err
		}
		var in RevokeInput
		if err := c.DecodeJSON(&in); err != nil {
			return nil, err
		}
		return m.S.Revoke(c.Context(), id, in.Reason)
	})
	r.API("GET /api/v1/verify/{code}", web.Op{Summary: "Public verification of a certificate code: what it states and whether it is valid (no login)", Tag: tag,
		Response: Verification{}, Public: true}, func(c *web.Ctx) (any, error) {
		if err := m.limiter.allow(clientAddr(c.R)); err != nil {
			return nil, err
		}
		return m.S.Verify(c.Context(), c.R.PathValue("code"))
	})
}

// RevokeInput is the body of a revocation.
type RevokeInput struct {
	Reason string `json:"reason"`
}

// withBase puts the request's own base URL in the context for the QR code.
func (m WebModule) withBase(c *web.Ctx) context.Context {
	scheme := "http"
	if c.R.TLS != nil || c.R.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return WithBaseURL(c.Context(), scheme+"://"+c.R.Host)
}

// row is a certificate as the pages show it.
type row struct {
	Certificate
	RoleLabel string
	TypeLabel string
	Start     string
	End       string
	Completed string
	CreditsS  string
}

func rowOf(c Certificate, lang string) row {
	st := c.Statement
	return row{Certificate: c, RoleLabel: RoleLabel(st.Role, lang), TypeLabel: TypeLabel(st.EventType, lang), Start: Date(st.StartDate),
		End: Date(st.EndDate), Completed: Date(st.CompletedOn), CreditsS: Credits(st.Credits)}
}

type listData struct {
	ProfessionalID int64
	Name           string
	Own            bool
	Rows           []row
}

func (m WebModule) list(c *web.Ctx, profID int64, own bool) error {
	cs, err := m.S.List(c.Context(), profID)
	if err != nil {
		return err
	}
	d := listData{ProfessionalID: profID, Own: own}
	for _, x := range cs {
		d.Rows = append(d.Rows, rowOf(x, c.Lang))
		if d.Name == "" {
			d.Name = x.Statement.GivenName + " " + x.Statement.FamilyName
		}
	}
	return c.Render("cert_list", c.T("cert.list.title"), d)
}

func (m WebModule) minePage(c *web.Ctx) error {
	if c.Actor.Role != domain.RoleProfessional || c.Actor.ProfessionalID == 0 {
		// others reach a professional's certificates from the professional (in their scope)
		return c.Render("cert_list", c.T("cert.list.title"), listData{})
	}
	return m.list(c, c.Actor.ProfessionalID, true)
}

func (m WebModule) professionalPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	return m.list(c, id, c.Actor.ProfessionalID == id)
}

type detailData struct {
	row
	VerifyURL string
	CanRevoke bool
	Done      string
}

func (m WebModule) detailPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	x, err := m.S.Get(c.Context(), id)
	if err != nil {
		return err
	}
	return m.renderDetail(c, x, nil)
}

func (m WebModule) renderDetail(c *web.Ctx, x Certificate, formErr error) error {
	d := detailData{row: rowOf(x, c.Lang), VerifyURL: m.S.VerifyURL(m.withBase(c), x.Code), Done: c.R.URL.Query().Get("done")}
	d.CanRevoke = x.Valid() && canRevoke(c.Actor, x.scope())
	return c.RenderForm("cert_detail", c.T("cert.detail.title"), d, formErr)
}

func (m WebModule) pdfPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	pdf, name, err := m.S.PDF(WithLanguage(m.withBase(c), c.Lang), id)
	if err != nil {
		return err
	}
	return c.WriteDownload(&web.Download{ContentType: "application/pdf", Filename: name, Body: pdf})
}

func (m WebModule) revokePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.Revoke(c.Context(), id, c.R.FormValue("reason")); err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			x, gerr := m.S.Get(c.Context(), id)
			if gerr != nil {
				return gerr
			}
			return m.renderDetail(c, x, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/certificates/%d?done=revoked", id))
}

func (m WebModule) issuePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	x, err := m.S.Issue(c.Context(), id)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/certificates/%d", x.ID))
}

type verifyData struct {
	Code     string
	Searched bool
	Found    bool
	Limited  bool
	V        Verification
	Role     string
	Start    string
	End      string
	Done     string
	Credits  string
	Issued   string
	Revoked  string
}

func (m WebModule) verifyForm(c *web.Ctx) error {
	if code := strings.TrimSpace(c.R.URL.Query().Get("code")); code != "" {
		return c.Redirect("/verifica/" + url.PathEscape(code))
	}
	return c.Render("cert_verify", c.T("cert.verify.title"), verifyData{})
}

func (m WebModule) verifyPage(c *web.Ctx) error {
	code := c.R.PathValue("code")
	d := verifyData{Code: code, Searched: true}
	if err := m.limiter.allow(clientAddr(c.R)); err != nil {
		d.Limited = true
		c.W = statusWriter{c.W, http.StatusTooManyRequests}
		c.W.Header().Set("Retry-After", "60")
		return c.Render("cert_verify", c.T("cert.verify.title"), d)
	}
	v, err := m.S.Verify(c.Context(), code)
	switch {
	case err == nil:
		d.Found, d.V, d.Code = true, v, v.Code
		d.Role, d.Start, d.End, d.Done, d.Credits = RoleLabel(v.Role, c.Lang), Date(v.StartDate), Date(v.EndDate), Date(v.CompletedOn), Credits(v.Credits)
		d.Issued = v.IssuedAt.Format("02/01/2006")
		if v.RevokedAt != nil {
			d.Revoked = v.RevokedAt.Format("02/01/2006")
		}
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		// a clear page, with status 404 and the form to type the code again
		c.W = statusWriter{c.W, http.StatusNotFound}
	default:
		return err
	}
	return c.Render("cert_verify", c.T("cert.verify.title"), d)
}

// statusWriter forces the status of a rendered page (404 for an unknown code, 429 when
// limited) while the layout is rendered as usual.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w statusWriter) WriteHeader(int) { w.ResponseWriter.WriteHeader(w.status) }

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter is a fixed-window counter per key, pruned as windows pass.
type limiter struct {
	mu   sync.Mutex
	per  time.Duration
	max  int
	seen map[string]*bucket
}

type bucket struct {
	start time.Time
	n     int
}

func (l *limiter) allow(key string) error {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 10_000 {
		for k, b := range l.seen {
			if now.Sub(b.start) > l.per {
				delete(l.seen, k)
			}
		}
	}
	b := l.seen[key]
	if b == nil || now.Sub(b.start) > l.per {
		b = &bucket{start: now}
		l.seen[key] = b
	}
	b.n++
	if b.n > l.max {
		return domain.Errorf(domain.ETOOMANY, "too many verifications from this address; try again in a minute")
	}
	return nil
}
