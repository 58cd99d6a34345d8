// Package audit owns the append-only audit trail: every write in ESD records who did it,
// when, under which request, what changed (before and after, as JSON), and the region it
// concerns, so regional referents can search their own region's trail.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Entry is one recorded write.
type Entry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorID    int64     `json:"actor_user_id,omitempty"`
	ActorName  string    `json:"actor"`
	ActorRole  string    `json:"actor_role"`
	RequestID  string    `json:"request_id"`
	Action     string    `json:"action"`
	Entity     string    `json:"entity"`
	EntityID   string    `json:"entity_id"`
	RegionID   int64     `json:"region_id,omitempty"`
	BeforeJSON string    `json:"before,omitempty"`
	AfterJSON  string    `json:"after,omitempty"`
}

// Change describes one write to record. Before and After are marshalled to JSON; nil means
// "did not exist" (create) or "no longer exists" (delete).
type Change struct {
	Action   string // create, update, delete, import, login, ...
	Entity   string // professional, organisation, user, framework, ...
	EntityID any
	RegionID int64
	Before   any
	After    any
}

// Record appends the change to the trail inside tx, so the record and the write commit or
// fail together. Actor and request id come from ctx.
func Record(ctx context.Context, tx db.Querier, c Change) error {
	a := domain.ActorFrom(ctx)
	var region any
	if c.RegionID != 0 {
		region = c.RegionID
	}
	var uid any
	if a.UserID != 0 {
		uid = a.UserID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(at, actor_user_id, actor_name, actor_role, request_id, action, entity, entity_id, region_id, before_json, after_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		db.Now(), uid, a.Username, string(a.Role), domain.RequestIDFrom(ctx), c.Action, c.Entity,
		idString(c.EntityID), region, marshal(c.Before), marshal(c.After))
	return err
}

// Recorder batches many changes of one import into one multi-row insert per call; it keeps
// the per-row trail without paying a statement per row.
type Recorder struct {
	ctx  context.Context
	rows []any
	n    int
	// Dialect tunes Flush (optional): on db.SQLite it uses anonymous ? parameters, which
	// modernc SQLite binds in linear time (it binds $N in quadratic time); on db.Postgres it
	// sends big statements, since each costs a round trip.
	Dialect db.Dialect
}

// NewRecorder returns a batch recorder for the actor and request of ctx.
func NewRecorder(ctx context.Context) *Recorder { return &Recorder{ctx: ctx} }

// Add queues a change.
func (r *Recorder) Add(c Change) {
	a := domain.ActorFrom(r.ctx)
	var region, uid any
	if c.RegionID != 0 {
		region = c.RegionID
	}
	if a.UserID != 0 {
		uid = a.UserID
	}
	r.rows = append(r.rows, db.Now(), uid, a.Username, string(a.Role), domain.RequestIDFrom(r.ctx), c.Action,
		c.Entity, idString(c.EntityID), region, marshal(c.Before), marshal(c.After))
	r.n++
}

// Flush writes the queued changes inside tx, in small multi-row statements prepared once:
// modernc SQLite binds $N parameters in time quadratic in their number, so one 80-row
// statement (880 parameters) is several times slower than many 6-row ones.
func (r *Recorder) Flush(tx db.Querier) error {
	const cols = 11
	per := 6
	ph := func(i int) string { return db.Placeholders(i*cols+1, cols) }
	switch r.Dialect {
	case db.SQLite:
		per = 8
		ph = func(int) string { return "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?" }
	case db.Postgres:
		per = 500
	}
	head := `INSERT INTO audit_log (at, actor_user_id, actor_name, actor_role, request_id, action, entity, entity_id, region_id, before_json, after_json) VALUES `
	build := func(rows int) string {
		q := head
		for i := 0; i < rows; i++ {
			if i > 0 {
				q += ", "
			}
			q += "(" + ph(i) + ")"
		}
		return q
	}
	full := r.n / per
	if p, ok := tx.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	}); ok && full > 1 {
		stmt, err := p.PrepareContext(r.ctx, build(per))
		if err != nil {
			return err
		}
		for i := 0; i < full; i++ {
			if _, err := stmt.ExecContext(r.ctx, r.rows[i*per*cols:(i+1)*per*cols]...); err != nil {
				stmt.Close()
				return err
			}
		}
		stmt.Close()
	} else {
		full = 0
	}
	for start := full * per; start < r.n; start += per {
		end := min(start+per, r.n)
		if _, err := tx.ExecContext(r.ctx, build(end-start), r.rows[start*cols:end*cols]...); err != nil {
			return err
		}
	}
	r.rows, r.n = r.rows[:0], 0
	return nil
}

func idString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func marshal(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return `{"error":"unmarshalable"}`
	}
	return string(b)
}

// Filter narrows a search of the trail.
type Filter struct {
	Entity   string
	EntityID string
	Action   string
	Actor    string
	RegionID int64
	BeforeID int64 // for paging: entries with id < BeforeID
	Limit    int
}

// Service searches the trail.
type Service struct{ DB *db.DB }

// Search returns the newest entries matching f. National governance sees everything;
// regional referents see only entries of their region; everybody else is refused.
func (s *Service) Search(ctx context.Context, f Filter) ([]Entry, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return nil, err
	}
	if a.Role == domain.RoleRegional {
		f.RegionID = a.RegionID
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT id, at, COALESCE(actor_user_id, 0), actor_name, actor_role, request_id, action, entity, entity_id,
		COALESCE(region_id, 0), before_json, after_json FROM audit_log WHERE 1=1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + cond + " $" + strconv.Itoa(len(args))
	}
	if f.Entity != "" {
		add("entity =", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id =", f.EntityID)
	}
	if f.Action != "" {
		add("action =", f.Action)
	}
	if f.Actor != "" {
		add("actor_name =", f.Actor)
	}
	if f.RegionID != 0 {
		add("region_id =", f.RegionID)
	}
	if f.BeforeID != 0 {
		add("id <", f.BeforeID)
	}
	args = append(args, f.Limit)
	q += " ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args))
	rows, err := s.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.ActorRole, &e.RequestID, &e.Action,
			&e.Entity, &e.EntityID, &e.RegionID, &e.BeforeJSON, &e.AfterJSON); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
