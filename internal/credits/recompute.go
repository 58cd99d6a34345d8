package credits

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// RecomputeResult is what RecomputeAll did.
type RecomputeResult struct {
	Professionals int64   `json:"professionals"`
	Entries       int64   `json:"entries"`
	Balances      int64   `json:"balances"`
	RulesVersion  string  `json:"rules_version"`
	Seconds       float64 `json:"seconds"`
}

// recomputeBatch is how many professionals one read and one write transaction cover.
const recomputeBatch = 5000

// RecomputeAll recomputes and stores every professional's balances under the rules in
// force (after a rule change). It streams the professionals in id order, a batch at a
// time: their ledger is one range of the (professional_id, triennium) index, and the batch's
// balances replace the stored ones in one transaction of multi-row statements. Reading the
// next batch overlaps writing the previous one. National governance or the system only.
func (s *Service) RecomputeAll(ctx context.Context, progress jobs.Progress) (RecomputeResult, error) {
	start := time.Now()
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return RecomputeResult{}, err
	}
	rules := s.Rules()
	res := RecomputeResult{RulesVersion: rules.Version}
	var total int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&total); err != nil {
		return res, err
	}
	type batch struct {
		lo, hi int64
		rows   [][]any
		n      int
		ents   int
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan batch, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		last := int64(0)
		for {
			if ctx.Err() != nil {
				errc <- ctx.Err()
				return
			}
			infos, err := loadInfos(ctx, s.DB.Read, `WHERE p.id > $1 ORDER BY p.id LIMIT `+itoa(recomputeBatch), last)
			if err != nil {
				errc <- err
				return
			}
			if len(infos) == 0 {
				errc <- nil
				return
			}
			lo, hi := last+1, infos[len(infos)-1].id
			m := make(map[int64][]Entry, len(infos))
			if err := loadLedger(ctx, s.DB.Read, `WHERE professional_id BETWEEN $1 AND $2`, []any{lo, hi}, m); err != nil {
				errc <- err
				return
			}
			ents := 0
			for _, es := range m {
				ents += len(es)
			}
			rows, err := s.balanceRows(ctx, rules, infos, m)
			if err != nil {
				errc <- err
				return
			}
			out <- batch{lo: lo, hi: hi, rows: rows, n: len(infos), ents: ents}
			last = hi
		}
	}()
	pg := s.DB.IsPostgres()
	var werr error
	for b := range out {
		if werr != nil {
			continue // drain so the reader finishes
		}
		werr = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM credit_balances WHERE professional_id BETWEEN $1 AND $2`, b.lo, b.hi); err != nil {
				return err
			}
			return db.InsertRows(ctx, tx, pg, "credit_balances", balanceCols, b.rows)
		})
		if werr != nil {
			cancel()
		}
		res.Professionals += int64(b.n)
		res.Entries += int64(b.ents)
		res.Balances += int64(len(b.rows))
		if progress != nil {
			progress(res.Professionals, total)
		}
	}
	rerr := <-errc
	if werr != nil {
		return res, werr
	}
	if rerr != nil {
		return res, rerr
	}
	res.Seconds = time.Since(start).Seconds()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, audit.Change{Action: "recompute", Entity: "credit_balances", EntityID: rules.Version, After: res})
	})
	return res, err
}

// PublishRules validates new rule data, stores it as the version in force and starts the
// recompute of every balance as a background job, whose id it returns. National
// governance only; a version that exists already is a conflict.
func (s *Service) PublishRules(ctx context.Context, js []byte) (int64, error) {
	a, err := domain.Require(ctx, domain.RoleNational)
	if err != nil {
		return 0, err
	}
	r, err := ParseRules(js)
	if err != nil {
		return 0, err
	}
	canon, _ := json.Marshal(r)
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_rule_versions WHERE version = $1`, r.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domain.Errorf(domain.ECONFLICT, "rule version %s exists already: give the new rules a new version", r.Version)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_rule_versions (version, rules_json, published_at, published_by) VALUES ($1, $2, $3, $4)`,
			r.Version, string(canon), db.Now(), a.Username); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "publish", Entity: "credit_rules", EntityID: r.Version, After: map[string]string{"version": r.Version, "title": r.Title}})
	})
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.rules = r
	s.mu.Unlock()
	if s.Jobs == nil {
		_, err := s.RecomputeAll(ctx, nil)
		return 0, err
	}
	return s.Jobs.Start(ctx, "credits.recompute", func(ctx context.Context, p jobs.Progress) (any, error) {
		return s.RecomputeAll(ctx, p)
	})
}

// RuleVersion is one published rule version.
type RuleVersion struct {
	Version     string    `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}

// RuleVersions lists the published rule versions, newest first (anyone logged in).
func (s *Service) RuleVersions(ctx context.Context) ([]RuleVersion, error) {
	if _, err := domain.Require(ctx, domain.Roles...); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT version, published_at, published_by FROM credit_rule_versions ORDER BY published_at DESC, version DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RuleVersion
	for rows.Next() {
		var v RuleVersion
		if err := rows.Scan(&v.Version, &v.PublishedAt, &v.PublishedBy); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
