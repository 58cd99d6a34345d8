// Package monitor is the monitoring capability (Monitoraggio): aggregates of the programme kept
// current as the data changes, their small-cell suppression, and the dashboards with the map of
// Italy.
//
// The write paths of the other capabilities pay only an index insert: database triggers on the
// source tables (professionals, their disciplines, profiles, current levels, objectives,
// participations, persona targets) put the professional's id into monitor_dirty. The refresher
// drains that queue in batches: it re-derives each professional's facts from the sources
// (facts.go), compares them with the facts last counted (monitor_facts) and moves the counters
// (monitor_cells) by the difference. Rebuild recomputes every counter from the sources and must
// give the same numbers. Queries (query.go) read only the counters and suppress small cells.
package monitor

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// DefaultThreshold is the smallest group shown: cells of fewer professionals are hidden.
const DefaultThreshold = 5

// All is the key value of the organisation and profession columns of a cell counted over every
// organisation (or profession) of its region.
const All = -1

// Service keeps and serves the aggregates.
type Service struct {
	DB  *db.DB
	Log *slog.Logger
	// Threshold is the smallest group shown (DefaultThreshold when 0).
	Threshold int
	// BatchSize is how many dirty professionals one refresh transaction handles (500 when 0).
	BatchSize int
	// RebuildChunk and RebuildFlushCells set how many professionals a rebuild derives at a
	// time and how many counter keys it holds before adding them to the table (the package's
	// defaults when 0; tests set them small to make every path run).
	RebuildChunk, RebuildFlushCells int

	now func() time.Time
	mu  sync.Mutex // one refresh or rebuild at a time

	fwMu sync.Mutex
	fws  map[int64]*framework // frameworks are frozen once published: cached for good

	// gen counts the changes to the counters made by this process (cache invalidation).
	gen     atomic.Uint64
	cacheMu sync.Mutex
	cache   map[loadKey]*rowSet
	// inflight holds the sets being loaded, so that concurrent requests load each once.
	inflight map[loadKey]chan struct{}
	results  map[resultKey]result

	bgMu    sync.Mutex
	bg      context.Context
	started bool

	metaMu   sync.Mutex
	metaAt   time.Time
	metaData *labels
}

// New returns the service over d.
func New(d *db.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Log: log, now: db.Now, fws: map[int64]*framework{}}
}

func (s *Service) threshold() int {
	if s.Threshold <= 0 {
		return DefaultThreshold
	}
	return s.Threshold
}

func (s *Service) batchSize() int {
	if s.BatchSize <= 0 {
		return 500
	}
	return s.BatchSize
}

// framework is what the facts need of a framework version: its lines in position order with
// their ambito and dimension, and its ambiti.
type framework struct {
	ID    int64
	Lines []fwLine
	index map[string]int // line code → position
	Areas []fwArea
	// areaCodes are the ambiti the lines name, in order of first appearance, and lineArea
	// each line's position in it (the counters' per-ambito arrays).
	areaCodes []string
	lineArea  []int
}

type fwLine struct {
	ID                  int64
	Code, Area, DimCode string
	TitleIT, TitleEN    string
}

type fwArea struct {
	Code, Dim        string
	TitleIT, TitleEN string
}

// currentFrameworkID is the most recently published framework version (0 when none), the one
// profiles and levels are counted against.
func currentFrameworkID(ctx context.Context, q db.Querier) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE state = 'published'
		ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// framework loads (once) the lines and ambiti of a framework version.
func (s *Service) framework(ctx context.Context, id int64) (*framework, error) {
	s.fwMu.Lock()
	f := s.fws[id]
	s.fwMu.Unlock()
	if f != nil || id == 0 {
		if f == nil {
			f = &framework{index: map[string]int{}}
		}
		return f, nil
	}
	var state string
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT state FROM framework_versions WHERE id = $1`, id).Scan(&state); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT i.id, i.kind, i.code, COALESCE(p.code, ''), COALESCE(g.code, ''), i.title_it, i.title_en
		FROM framework_items i LEFT JOIN framework_items p ON p.id = i.parent_id LEFT JOIN framework_items g ON g.id = p.parent_id
		WHERE i.framework_id = $1 ORDER BY i.kind, i.code`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	f = &framework{ID: id, index: map[string]int{}}
	for rows.Next() {
		var itemID int64
		var kind, code, parent, grand, tit, ten string
		if err := rows.Scan(&itemID, &kind, &code, &parent, &grand, &tit, &ten); err != nil {
			return nil, err
		}
		switch kind {
		case "line":
			f.index[code] = len(f.Lines)
			f.Lines = append(f.Lines, fwLine{ID: itemID, Code: code, Area: parent, DimCode: grand, TitleIT: tit, TitleEN: ten})
		case "area":
			f.Areas = append(f.Areas, fwArea{Code: code, Dim: parent, TitleIT: tit, TitleEN: ten})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	pos := map[string]int{}
	for _, l := range f.Lines {
		i, ok := pos[l.Area]
		if !ok {
			i = len(f.areaCodes)
			pos[l.Area] = i
			f.areaCodes = append(f.areaCodes, l.Area)
		}
		f.lineArea = append(f.lineArea, i)
	}
	// Only a published (frozen) version may be cached: a draft can still change.
	if state != "draft" {
		s.fwMu.Lock()
		s.fws[id] = f
		s.fwMu.Unlock()
	}
	return f, nil
}

// requireViewer lets in the roles that see aggregates: national, regional, organisation,
// analyst (and the system).
func requireViewer(ctx context.Context) (domain.Actor, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst)
	if err != nil {
		return a, err
	}
	if (a.Role == domain.RoleRegional && a.RegionID == 0) || (a.Role == domain.RoleOrganisation && a.OrganisationID == 0) {
		return a, domain.Forbidden("the grant has no scope")
	}
	return a, nil
}
