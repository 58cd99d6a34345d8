// Package jobs runs long work (large imports, persona re-assignment, objective regeneration)
// in the background and keeps its progress in the jobs table, so a page or an API client can
// poll it and a person sees a progress bar rather than a spinning request.
package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Job states.
const (
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
)

// Job is the visible state of one background job.
type Job struct {
	ID        int64           `json:"id"`
	Kind      string          `json:"kind"`
	State     string          `json:"state"`
	OwnerID   int64           `json:"-"`
	Done      int64           `json:"done"`
	Total     int64           `json:"total"`
	Message   string          `json:"message,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Percent is the share done, 0 to 100.
func (j Job) Percent() int {
	if j.Total <= 0 {
		if j.State == StateDone {
			return 100
		}
		return 0
	}
	return int(j.Done * 100 / j.Total)
}

// Progress is handed to the work function to report how far it got. It is cheap to call
// often: the database is written at most twice a second.
type Progress func(done, total int64)

// Runner starts and tracks jobs.
type Runner struct {
	DB  *db.DB
	Log *slog.Logger
	wg  sync.WaitGroup
}

// Start records a new job and runs fn in a goroutine with a context detached from the
// request (the job outlives it) but carrying the same actor and request id. The result of fn
// is stored as JSON; an error marks the job failed with the error's user-safe message.
func (r *Runner) Start(ctx context.Context, kind string, fn func(ctx context.Context, p Progress) (any, error)) (int64, error) {
	a := domain.ActorFrom(ctx)
	now := db.Now()
	var id int64
	var owner any
	if a.UserID != 0 {
		owner = a.UserID
	}
	err := r.DB.Write.QueryRowContext(ctx, `INSERT INTO jobs (kind, state, owner_user_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING id`, kind, StateRunning, owner, now).Scan(&id)
	if err != nil {
		return 0, err
	}
	jctx := domain.WithRequestID(domain.WithActor(context.Background(), a), domain.RequestIDFrom(ctx))
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		var last time.Time
		p := func(done, total int64) {
			if time.Since(last) < 500*time.Millisecond {
				return
			}
			last = time.Now()
			_, _ = r.DB.Write.ExecContext(jctx, `UPDATE jobs SET done = $1, total = $2, updated_at = $3 WHERE id = $4`,
				done, total, db.Now(), id)
		}
		res, err := fn(jctx, p)
		state, msg := StateDone, ""
		if err != nil {
			state, msg = StateFailed, domain.ErrorMessage(err)
			if r.Log != nil {
				r.Log.Error("job failed", "job", id, "kind", kind, "err", err)
			}
		}
		body, _ := json.Marshal(res)
		if err != nil && res == nil {
			body = nil
		}
		_, _ = r.DB.Write.ExecContext(context.Background(), `UPDATE jobs SET state = $1, message = $2, result_json = $3,
			done = CASE WHEN $1 = 'done' AND total > 0 THEN total ELSE done END, updated_at = $4 WHERE id = $5`,
			state, msg, string(body), db.Now(), id)
	}()
	return id, nil
}

// Wait blocks until every started job has finished (used at shutdown and in tests).
func (r *Runner) Wait() { r.wg.Wait() }

// Get returns a job. Its owner and national governance may read it; others get ENOTFOUND.
func (r *Runner) Get(ctx context.Context, id int64) (Job, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return Job{}, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	var j Job
	var owner *int64
	var res string
	err := r.DB.Read.QueryRowContext(ctx, `SELECT id, kind, state, owner_user_id, done, total, message, result_json, created_at, updated_at
		FROM jobs WHERE id = $1`, id).Scan(&j.ID, &j.Kind, &j.State, &owner, &j.Done, &j.Total, &j.Message, &res, &j.CreatedAt, &j.UpdatedAt)
	if err != nil {
		return Job{}, db.MapError(err)
	}
	if owner != nil {
		j.OwnerID = *owner
	}
	if !a.IsNationalOrSystem() && j.OwnerID != a.UserID {
		return Job{}, domain.NotFound("job")
	}
	if res != "" {
		j.Result = json.RawMessage(res)
	}
	return j, nil
}
