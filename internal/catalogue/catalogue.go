// Package catalogue is the national catalogue of digital-health training (the Esecuzione
// phase): ECM events and their editions as providers publish them, their credits computed
// from the ECM criteria held as versioned rule data, the portfolio lines each event develops
// (declared by the provider, suggested by the platform from the Italian text, checked by a
// reviewer), accreditation by national and regional reviewers, Italian full-text search with
// facets, recommendations from a professional's objectives, the catalogue analysis the
// programme did by keyword (and better, by line), and import and export in CSV and JSON.
//
// Permissions are checked inside every method: providers manage only their own events;
// national reviewers accredit any event, regional reviewers the events of providers in
// their region; everyone else sees published events only.
package catalogue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/italian"
)

// ObjectiveSource gives the open individual objectives of a professional: the lines they
// are to develop. The assessment capability provides the real one; until then the platform
// wires the targets of the professional's persona, or NoObjectives, and the recommendation
// page says which. A source may also have a Basis() string method naming what its lines
// are ("persona"); the default is "objectives".
type ObjectiveSource interface {
	// OpenObjectives returns the professional's objectives that are not achieved or
	// expired. ok is false when the source cannot tell (no objectives system yet).
	OpenObjectives(ctx context.Context, professionalID int64) (objs []Objective, ok bool, err error)
}

// Objective is one open individual objective: a line to raise to a level, with a priority
// (1 = most urgent).
type Objective struct {
	LineID      int64 `json:"line_id"`
	TargetLevel int   `json:"target_level"`
	Priority    int   `json:"priority"`
	// Basis, when set, names what the line stands for ("persona" when the persona's
	// required lines stand in for objectives); empty means an individual objective.
	Basis string `json:"basis,omitempty"`
}

// NoObjectives is the ObjectiveSource used before individual objectives exist: it reports
// that it cannot tell.
type NoObjectives struct{}

// OpenObjectives implements ObjectiveSource.
func (NoObjectives) OpenObjectives(context.Context, int64) ([]Objective, bool, error) {
	return nil, false, nil
}

// Service is the catalogue.
type Service struct {
	DB         *db.DB
	Objectives ObjectiveSource
	Log        *slog.Logger

	idxMu sync.Mutex
	idx   *index

	sugMu sync.Mutex
	sug   *suggester
}

// New returns a catalogue service over d.
func New(d *db.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Objectives: NoObjectives{}, Log: log}
}

// EnsureReference loads the embedded credit rule sets and interest themes (idempotent; run
// at every start).
func (s *Service) EnsureReference(ctx context.Context) error {
	sets, err := RuleSets()
	if err != nil {
		return err
	}
	themes, err := embeddedThemes()
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, rs := range sets {
			b, _ := json.Marshal(rs)
			if _, err := tx.ExecContext(ctx, `INSERT INTO credit_rule_sets (version, title, source, valid_from, rules_json, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (version) DO UPDATE SET title = excluded.title, source = excluded.source, valid_from = excluded.valid_from, rules_json = excluded.rules_json`,
				rs.Version, rs.Title, rs.Source, rs.ValidFrom, string(b), db.Now()); err != nil {
				return fmt.Errorf("rule set %s: %w", rs.Version, err)
			}
		}
		for _, t := range themes {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO ecm_themes (code, name_it, name_en, scope, list_name, valid_from, valid_to, status, source)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (code) DO UPDATE SET name_it = excluded.name_it, name_en = excluded.name_en, scope = excluded.scope,
					list_name = excluded.list_name, valid_from = excluded.valid_from, valid_to = excluded.valid_to,
					status = excluded.status, source = excluded.source
				RETURNING id`, t.Code, t.NameIT, t.NameEN, t.Scope, t.ListName, t.ValidFrom, t.ValidTo, t.Status, t.Source).Scan(&id)
			if err != nil {
				return fmt.Errorf("theme %s: %w", t.Code, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM ecm_theme_objectives WHERE theme_id = $1`, id); err != nil {
				return err
			}
			for _, o := range t.Objectives {
				if _, err := tx.ExecContext(ctx, `INSERT INTO ecm_theme_objectives (theme_id, objective_code) VALUES ($1, $2)`, id, o); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func embeddedThemes() ([]Theme, error) {
	b, err := ruleFS.ReadFile("data/themes.json")
	if err != nil {
		return nil, err
	}
	var ts []Theme
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, fmt.Errorf("themes.json: %w", err)
	}
	return ts, nil
}

// Themes returns the interest themes with their allowed objectives.
func (s *Service) Themes(ctx context.Context) ([]Theme, error) {
	if _, err := domain.Require(ctx, domain.Roles...); err != nil {
		return nil, err
	}
	return s.themes(ctx)
}

func (s *Service) themes(ctx context.Context) ([]Theme, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, code, name_it, name_en, scope, list_name, valid_from, valid_to, status, source
		FROM ecm_themes ORDER BY valid_from DESC, name_it`)
	if err != nil {
		return nil, err
	}
	var out []Theme
	byID := map[int64]int{}
	for rows.Next() {
		var t Theme
		if err := rows.Scan(&t.ID, &t.Code, &t.NameIT, &t.NameEN, &t.Scope, &t.ListName, &t.ValidFrom, &t.ValidTo, &t.Status, &t.Source); err != nil {
			rows.Close()
			return nil, err
		}
		byID[t.ID] = len(out)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT theme_id, objective_code FROM ecm_theme_objectives ORDER BY objective_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var o int
		if err := rows.Scan(&id, &o); err != nil {
			return nil, err
		}
		if i, ok := byID[id]; ok {
			out[i].Objectives = append(out[i].Objectives, o)
		}
	}
	return out, rows.Err()
}

// RuleSetInUse returns the rule set new events are computed with.
func (s *Service) RuleSetInUse() RuleSet { return CurrentRuleSet() }

// analyzerVersion is stored with each event's analysed terms; a start-up step re-analyses
// events stored by another version.
const analyzerVersion = italian.Version

// EventCount returns the number of events in the catalogue (any state).
func (s *Service) EventCount(ctx context.Context) (int, error) {
	var n int
	err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
	return n, err
}

// Warm builds the search index now (the first search would otherwise build it), logging
// a failure instead of returning it: it runs in the background at start-up.
func (s *Service) Warm(ctx context.Context) {
	if _, err := s.searchIndex(ctx); err != nil {
		s.Log.Warn("catalogue search index warm-up failed", "err", err)
	}
}

// ReanalyseStale recomputes the stored search terms of events analysed by another version
// of internal/italian (run at start; it does nothing when every event is current). Batches
// of 2,000 events, each in its own transaction with one change-counter bump.
func (s *Service) ReanalyseStale(ctx context.Context) error {
	total := 0
	for {
		type ev struct {
			id           int64
			title, descr string
		}
		var batch []ev
		if err := scanAll(ctx, s.DB.Read, `SELECT id, title, description FROM events WHERE analyzer <> $1 ORDER BY id LIMIT 2000`,
			func(rs *sql.Rows) error {
				var e ev
				if err := rs.Scan(&e.id, &e.title, &e.descr); err != nil {
					return err
				}
				batch = append(batch, e)
				return nil
			}, analyzerVersion); err != nil {
			return err
		}
		if len(batch) == 0 {
			if total > 0 {
				s.Log.Info("catalogue search terms re-analysed", "events", total, "analyzer", analyzerVersion)
			}
			return nil
		}
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			seq, err := nextSeq(ctx, tx)
			if err != nil {
				return err
			}
			for _, e := range batch {
				if _, err := tx.ExecContext(ctx, `UPDATE events SET search_title = $1, search_body = $2, analyzer = $3, change_seq = $4 WHERE id = $5`,
					strings.Join(italian.Analyze(e.title), " "), strings.Join(italian.Analyze(e.descr), " "), analyzerVersion, seq, e.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		total += len(batch)
	}
}
