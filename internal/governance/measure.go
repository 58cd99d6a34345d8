package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"esd/internal/assess"
	"esd/internal/db"
	"esd/internal/domain"
)

// cell locates a measurement: Region -1 is the whole target population, Org -1 a region's
// total, Org 0 the region's professionals with no organisation.
type cell struct{ Region, Org int64 }

var whole = cell{-1, -1}

type count struct{ Pop, Reached int64 }

// member is one professional of a target's population.
type member struct {
	id, region, org int64
	created         time.Time
}

// backfillDays are the dates measured back in time when a target is created: the first day
// of each of the last twelve months.
func backfillDays(today time.Time) []time.Time {
	var out []time.Time
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := 12; i >= 1; i-- {
		out = append(out, first.AddDate(0, -i+1, 0))
	}
	if out[len(out)-1].Equal(today) {
		out = out[:len(out)-1]
	}
	return out
}

// Measure writes today's measurement of the target from the current levels, profiles and
// registry (and, when backfill is set, its past measurements recomputed from the dated
// evidence), then updates the target's state and notifies its owners when it has gone off
// track. The system measures every target; a person may only refresh a target they can see.
func (s *Service) Measure(ctx context.Context, id int64, backfill bool) error {
	a := domain.ActorFrom(ctx)
	t, err := s.loadTarget(ctx, s.DB.Read, id)
	if err != nil {
		return err
	}
	if a.Role != domain.RoleSystem && !visible(a, t) {
		return domain.NotFound("target")
	}
	s.measMu.Lock()
	defer s.measMu.Unlock()
	today := s.today()
	pop, err := s.population(ctx, t)
	if err != nil {
		return err
	}
	current, err := s.countCurrent(ctx, t, pop)
	if err != nil {
		return err
	}
	var past map[time.Time]map[cell]count
	if backfill {
		past, err = s.countBack(ctx, t, pop, backfillDays(today))
		if err != nil {
			return err
		}
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		write := func(day time.Time, src string, cs map[cell]count) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM governance_measurements WHERE target_id = $1 AND day = $2`, id, day.Format("2006-01-02")); err != nil {
				return err
			}
			var rows [][]any
			for c, v := range cs {
				rows = append(rows, []any{id, day.Format("2006-01-02"), c.Region, c.Org, v.Pop, v.Reached, src})
			}
			sort.Slice(rows, func(i, j int) bool {
				if rows[i][2].(int64) != rows[j][2].(int64) {
					return rows[i][2].(int64) < rows[j][2].(int64)
				}
				return rows[i][3].(int64) < rows[j][3].(int64)
			})
			return db.InsertRows(ctx, tx, s.DB.IsPostgres(), "governance_measurements",
				[]string{"target_id", "day", "region_id", "organisation_id", "population", "reached", "source"}, rows)
		}
		for day, cs := range past {
			if err := write(day, "evidence", cs); err != nil {
				return err
			}
		}
		return write(today, "snapshot", current)
	})
	if err != nil {
		return err
	}
	return s.evaluate(ctx, t)
}

// MeasureAll measures every target today (the daily snapshot) and returns how many.
func (s *Service) MeasureAll(ctx context.Context) (int, error) {
	ids, err := db.Int64s(ctx, s.DB.Read, `SELECT id FROM governance_targets ORDER BY id`)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := s.Measure(ctx, id, false); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// population lists the professionals the target's filters select, as the registry stands.
func (s *Service) population(ctx context.Context, t Target) ([]member, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where = append(where, "p.status = 'active'")
	if t.RegionID != 0 {
		where = append(where, "p.region_id = "+arg(t.RegionID))
	}
	if t.OrganisationID != 0 {
		where = append(where, "p.organisation_id = "+arg(t.OrganisationID))
	}
	if t.OrganisationKind != "" {
		where = append(where, "EXISTS (SELECT 1 FROM organisations o WHERE o.id = p.organisation_id AND o.kind = "+arg(t.OrganisationKind)+")")
	}
	if t.ProfessionCode != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM professional_disciplines d WHERE d.professional_id = p.id AND d.profession_code = "+arg(t.ProfessionCode)+")")
	}
	if t.CareSetting != "" {
		where = append(where, "p.care_setting = "+arg(t.CareSetting))
	}
	if t.PersonaID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM profiles f WHERE f.professional_id = p.id AND f.persona_id = "+arg(t.PersonaID)+")")
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT p.id, p.region_id, COALESCE(p.organisation_id, 0), p.created_at FROM professionals p WHERE `+
		strings.Join(where, " AND ")+` ORDER BY p.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.id, &m.region, &m.org, &m.created); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// itemLines is the line codes a level target is about: the line itself, or the lines of an
// ambito or dimension of the current framework.
func (s *Service) itemLines(ctx context.Context, item string) ([]string, error) {
	fw, _, _, err := s.scale(ctx, s.DB.Read)
	if err != nil {
		return nil, err
	}
	return db.Strings(ctx, s.DB.Read, `SELECT i.code FROM framework_items i LEFT JOIN framework_items p ON p.id = i.parent_id
		LEFT JOIN framework_items g ON g.id = p.parent_id
		WHERE i.framework_id = $1 AND i.kind = 'line' AND (i.code = $2 OR p.code = $2 OR g.code = $2) ORDER BY i.code`, fw, item)
}

// reachedLevel says whether levels (line → level) meet a level target: for a line, its
// level; for an ambito or dimension, the mean of the levels of its lines that have one (a
// professional with no level there does not reach it).
func reachedLevel(levels map[string]int, lines []string, k int) bool {
	var sum, n int
	for _, l := range lines {
		if v, ok := levels[l]; ok && v > 0 {
			sum += v
			n++
		}
	}
	return n > 0 && sum >= k*n
}

// chunks runs fn over the population in slices of 500 with an IN list of their ids.
func (s *Service) chunks(pop []member, fn func(in string, args []any, part []member) error) error {
	for i := 0; i < len(pop); i += 500 {
		part := pop[i:min(i+500, len(pop))]
		args := make([]any, len(part))
		for j, m := range part {
			args[j] = m.id
		}
		if err := fn(db.Placeholders(1, len(part)), args, part); err != nil {
			return err
		}
	}
	return nil
}

// tally adds a member's result to its organisation's, region's and the whole cells.
func tally(acc map[cell]count, m member, reached bool) {
	for _, c := range [3]cell{{m.region, m.org}, {m.region, -1}, whole} {
		v := acc[c]
		v.Pop++
		if reached {
			v.Reached++
		}
		acc[c] = v
	}
}

// countCurrent counts the population and who reaches the target now, from the current
// competence levels and profiles.
func (s *Service) countCurrent(ctx context.Context, t Target, pop []member) (map[cell]count, error) {
	acc := map[cell]count{whole: {}}
	fw, err := currentFramework(ctx, s.DB.Read)
	if err != nil {
		return nil, err
	}
	var lines []string
	if t.Measure == MeasureLevel {
		var err error
		if lines, err = s.itemLines(ctx, t.Item); err != nil {
			return nil, err
		}
	}
	err = s.chunks(pop, func(in string, args []any, part []member) error {
		reached := map[int64]bool{}
		var q string
		switch t.Measure {
		case MeasurePersona:
			q = `SELECT professional_id, '' FROM profiles WHERE persona_id IS NOT NULL AND framework_id = ` + fmt.Sprint(fw) + ` AND professional_id IN (` + in + `)`
		default:
			q = `SELECT professional_id, levels FROM competence_levels WHERE professional_id IN (` + in + `)`
		}
		rows, err := s.DB.Read.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var packed string
			if err := rows.Scan(&id, &packed); err != nil {
				rows.Close()
				return err
			}
			switch t.Measure {
			case MeasurePersona:
				reached[id] = true
			case MeasureAssessed:
				reached[id] = packed != ""
			case MeasureLevel:
				lv := map[string]int{}
				if err := assess.DecodeLevels(packed, lv); err != nil {
					rows.Close()
					return fmt.Errorf("competence_levels of professional %d: %w", id, err)
				}
				reached[id] = reachedLevel(lv, lines, t.Level)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range part {
			tally(acc, m, reached[m.id])
		}
		return nil
	})
	return acc, err
}

// countBack recomputes the counts at past dates from the dated records, over today's
// population (a registry record's creation date is when it was loaded into ESD, not when the
// professional started work, so it is not a date to filter on): assessed from their first
// evidence; a level
// from the evidence observed by then under the configured level rule; a persona from the day
// the current profile was assigned. The population filters are applied as the registry
// stands today (a professional who moved is counted where they are now).
func (s *Service) countBack(ctx context.Context, t Target, pop []member, days []time.Time) (map[time.Time]map[cell]count, error) {
	out := map[time.Time]map[cell]count{}
	for _, d := range days {
		out[d] = map[cell]count{whole: {}}
	}
	fw, err := currentFramework(ctx, s.DB.Read)
	if err != nil {
		return nil, err
	}
	rule := assess.DefaultRule
	if s.Rule != nil {
		r, err := s.Rule(ctx)
		if err != nil {
			return nil, err
		}
		rule = r
	}
	var lines []string
	if t.Measure == MeasureLevel {
		var err error
		if lines, err = s.itemLines(ctx, t.Item); err != nil {
			return nil, err
		}
	}
	err = s.chunks(pop, func(in string, args []any, part []member) error {
		// Per professional: their evidence (per line), or their persona's assignment time.
		ev := map[int64]map[string][]assess.Evidence{}
		first := map[int64]time.Time{}
		assigned := map[int64]time.Time{}
		if t.Measure == MeasurePersona {
			rows, err := s.DB.Read.QueryContext(ctx, `SELECT professional_id, MIN(assigned_at) FROM profiles WHERE persona_id IS NOT NULL AND framework_id = `+fmt.Sprint(fw)+` AND professional_id IN (`+in+`) GROUP BY professional_id`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var at any
				if err := rows.Scan(&id, &at); err != nil {
					rows.Close()
					return err
				}
				assigned[id] = anyTime(at)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		} else {
			rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, professional_id, source, observed_at, lines FROM competence_evidence WHERE professional_id IN (`+in+`)`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var e assess.Evidence
				var packed string
				if err := rows.Scan(&e.ID, &e.ProfessionalID, &e.Source, &e.ObservedAt, &packed); err != nil {
					rows.Close()
					return err
				}
				if f, ok := first[e.ProfessionalID]; !ok || e.ObservedAt.Before(f) {
					first[e.ProfessionalID] = e.ObservedAt
				}
				if t.Measure != MeasureLevel {
					continue
				}
				lv := map[string]int{}
				if err := assess.DecodeLevels(packed, lv); err != nil {
					rows.Close()
					return fmt.Errorf("evidence %d: %w", e.ID, err)
				}
				if ev[e.ProfessionalID] == nil {
					ev[e.ProfessionalID] = map[string][]assess.Evidence{}
				}
				for _, l := range lines {
					if v, ok := lv[l]; ok {
						x := e
						x.LineCode, x.Level = l, v
						ev[e.ProfessionalID][l] = append(ev[e.ProfessionalID][l], x)
					}
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for _, d := range days {
			end := d.AddDate(0, 0, 1) // the measurement of a day counts what happened that day
			acc := out[d]
			for _, m := range part {
				var ok bool
				switch t.Measure {
				case MeasurePersona:
					at, has := assigned[m.id]
					ok = has && at.Before(end)
				case MeasureAssessed:
					f, has := first[m.id]
					ok = has && f.Before(end)
				case MeasureLevel:
					levels := map[string]int{}
					for l, list := range ev[m.id] {
						var upto []assess.Evidence
						for _, e := range list {
							if e.ObservedAt.Before(end) {
								upto = append(upto, e)
							}
						}
						if len(upto) > 0 {
							levels[l], _ = assess.ComputeLevel(rule, upto)
						}
					}
					ok = reachedLevel(levels, lines, t.Level)
				}
				tally(acc, m, ok)
			}
		}
		return nil
	})
	return out, err
}

func anyTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// currentFramework is the most recently published framework version (0 when none): the one
// profiles and levels are counted against, as in the monitoring aggregates.
func currentFramework(ctx context.Context, q db.Querier) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE state = 'published' ORDER BY published_at DESC, id DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// Verify recomputes today's counts of a target's whole population both ways: from the
// current levels and profiles (what the snapshot stores) and from the dated evidence (what
// the history is made of). Levels are a pure function of the evidence, so the two agree; a
// test and "esd targets measure --check" compare them.
func (s *Service) Verify(ctx context.Context, id int64) (current, recomputed [2]int64, err error) {
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return current, recomputed, err
	}
	t, err := s.loadTarget(ctx, s.DB.Read, id)
	if err != nil {
		return current, recomputed, err
	}
	pop, err := s.population(ctx, t)
	if err != nil {
		return current, recomputed, err
	}
	cur, err := s.countCurrent(ctx, t, pop)
	if err != nil {
		return current, recomputed, err
	}
	// The end of today: tomorrow's date counts everything up to now.
	back, err := s.countBack(ctx, t, pop, []time.Time{s.today().AddDate(0, 0, 1)})
	if err != nil {
		return current, recomputed, err
	}
	for _, v := range back {
		recomputed = [2]int64{v[whole].Pop, v[whole].Reached}
	}
	return [2]int64{cur[whole].Pop, cur[whole].Reached}, recomputed, nil
}
