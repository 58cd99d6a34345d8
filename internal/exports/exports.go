// Package exports turns the monitoring aggregates into files that leave the platform: the
// PDF report per region and period, and the open-data release (CSV and Parquet of the
// suppressed aggregates, their data dictionary and DCAT-AP_IT metadata for a regional or
// national open-data portal).
//
// It reads the aggregates only through monitor.Service's queries, so every figure in a file
// has passed the same scope check and small-cell suppression as the dashboard shows it.
package exports

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/monitor"
)

// Service writes the exports.
type Service struct {
	DB      *db.DB
	Monitor *monitor.Service
	// Publisher is who publishes the open data (DefaultPublisher when its IPA code is empty).
	Publisher Agent
	// BaseURL is the public address of the platform, used in the metadata's links
	// (http://localhost:8080 when empty).
	BaseURL string

	now func() time.Time

	mu    sync.Mutex // one open-data build at a time
	cache map[string]cachedRelease
}

type cachedRelease struct {
	at  time.Time
	rel *Release
}

// releaseTTL is how long a built open-data release is served before it is rebuilt: the
// public page must not let every visitor trigger a full pass over the aggregates.
const releaseTTL = 10 * time.Minute

// New returns the service.
func New(d *db.DB, m *monitor.Service) *Service {
	return &Service{DB: d, Monitor: m, now: time.Now, cache: map[string]cachedRelease{}}
}

// Agent is an organisation in the metadata (dcatapit:Agent): its name and its code in the
// Indice delle Pubbliche Amministrazioni (IPA).
type Agent struct {
	Name  string `json:"name"`
	IPA   string `json:"ipa"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// DefaultPublisher is the publisher of the national release: the Ministry of Health, which
// leads the programme (IPA code m_sa). A region publishing its own subset passes its own.
var DefaultPublisher = Agent{Name: "Ministero della Salute", IPA: "m_sa", Email: "opendata@sanita.it", URL: "https://www.salute.gov.it"}

func (s *Service) publisher() Agent {
	if s.Publisher.IPA == "" {
		return DefaultPublisher
	}
	return s.Publisher
}

func (s *Service) baseURL() string {
	if s.BaseURL == "" {
		return "http://localhost:8080"
	}
	return strings.TrimRight(s.BaseURL, "/")
}

// Region is a region or autonomous province as the exports name it.
type Region struct {
	ID    int64  `json:"id"`
	ISTAT string `json:"istat"`
	ISO   string `json:"iso"`
	Name  string `json:"name"`
}

// ResolveRegion finds a region by the code a user types: its id as on the dashboard (90 or
// 090 for Toscana) or its ISO 3166-2 code (IT-52). An unknown code is EINVALID naming it.
func (s *Service) ResolveRegion(ctx context.Context, code string) (Region, error) {
	code = strings.TrimSpace(code)
	var r Region
	var err error
	if n, perr := strconv.ParseInt(code, 10, 64); perr == nil && n > 0 {
		err = s.DB.Read.QueryRowContext(ctx, `SELECT id, istat_code, COALESCE(iso_code, ''), name FROM regions WHERE id = $1`, n).Scan(&r.ID, &r.ISTAT, &r.ISO, &r.Name)
	} else {
		err = s.DB.Read.QueryRowContext(ctx, `SELECT id, istat_code, COALESCE(iso_code, ''), name FROM regions WHERE UPPER(iso_code) = $1`, strings.ToUpper(code)).Scan(&r.ID, &r.ISTAT, &r.ISO, &r.Name)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.Invalid("region", "unknown region %q: give the regional code of the dashboard (e.g. 090 Toscana) or the ISO code (IT-52)", code)
	}
	return r, err
}

// regionByID names a region (ENOTFOUND when there is none).
func (s *Service) regionByID(ctx context.Context, id int64) (Region, error) {
	var r Region
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, istat_code, COALESCE(iso_code, ''), name FROM regions WHERE id = $1`, id).Scan(&r.ID, &r.ISTAT, &r.ISO, &r.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.NotFound("region")
	}
	return r, err
}

// WithPublisher returns a service that writes the same data under another publisher and
// public address (a region publishing its subset on its own portal); empty values keep the
// receiver's.
func (s *Service) WithPublisher(a Agent, baseURL string) *Service {
	n := New(s.DB, s.Monitor)
	n.Publisher, n.BaseURL, n.now = s.Publisher, s.BaseURL, s.now
	if a.IPA != "" {
		n.Publisher = a
	}
	if baseURL != "" {
		n.BaseURL = baseURL
	}
	return n
}
