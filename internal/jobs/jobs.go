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
	// Heartbeat is how often a running job's heartbeat_at is refreshed (default
	// DefaultHeartbeat); a running job whose heartbeat is older than three of them belongs to
	// a process that died, and Watch marks it failed.
	Heartbeat time.Duration
	wg        sync.WaitGroup
	mu        sync.Mutex
	live      map[int64]bool // jobs this process is running: never orphans, whatever their heartbeat
}

// DefaultHeartbeat is the heartbeat interval when Runner.Heartbeat is zero.
const DefaultHeartbeat = 10 * time.Second

// OrphanMessage is the visible reason of a job found running after its process died.
// The process may have died just after the job's work committed and before its state was
// written, so the message does not claim that nothing was saved: it asks to check and repeat,
// which the imports allow (the same file twice changes nothing).
const OrphanMessage = "interrotto: il server si è fermato mentre il lavoro era in corso; controllare il risultato e, se manca, ripetere l'operazione (un'importazione ripetuta non duplica nulla) / interrupted: the server stopped while the job was running; check the result and run it again if it is missing (a repeated import duplicates nothing)"

func (r *Runner) heartbeat() time.Duration {
	if r.Heartbeat > 0 {
		return r.Heartbeat
	}
	return DefaultHeartbeat
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
	err := r.DB.Write.QueryRowContext(ctx, `INSERT INTO jobs (kind, state, owner_user_id, created_at, updated_at, heartbeat_at)
		VALUES ($1, $2, $3, $4, $4, $4) RETURNING id`, kind, StateRunning, owner, now).Scan(&id)
	if err != nil {
		return 0, err
	}
	jctx := domain.WithRequestID(domain.WithActor(context.Background(), a), domain.RequestIDFrom(ctx))
	r.mu.Lock()
	if r.live == nil {
		r.live = map[int64]bool{}
	}
	r.live[id] = true
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		beat := make(chan struct{})
		go r.beat(id, beat)
		defer func() {
			close(beat)
			r.mu.Lock()
			delete(r.live, id)
			r.mu.Unlock()
		}()
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

// beat refreshes the job's heartbeat until stop is closed.
func (r *Runner) beat(id int64, stop chan struct{}) {
	t := time.NewTicker(r.heartbeat())
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_, _ = r.DB.Write.ExecContext(context.Background(), `UPDATE jobs SET heartbeat_at = $1 WHERE id = $2 AND state = $3`,
				db.Now(), id, StateRunning)
		}
	}
}

// FailOrphans marks failed, with OrphanMessage, every job left running whose heartbeat is
// older than three heartbeats and that this process is not running: its process died (a
// crash, a SIGKILL, a power cut). They are failed rather than re-queued because a job's work
// is a closure over its request (an uploaded file is not kept), so there is nothing to run
// again; the imports that run as jobs write in one transaction, so a failed one left either
// nothing or (killed between its commit and its state update) everything, never half, and
// repeating it is safe. It returns the jobs it failed.
func (r *Runner) FailOrphans(ctx context.Context) ([]int64, error) {
	cutoff := db.Now().Add(-3 * r.heartbeat())
	rows, err := r.DB.Write.QueryContext(ctx, `SELECT id FROM jobs WHERE state = $1 AND COALESCE(heartbeat_at, updated_at) < $2`,
		StateRunning, cutoff)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var failed []int64
	for _, id := range ids {
		r.mu.Lock()
		mine := r.live[id]
		r.mu.Unlock()
		if mine {
			continue
		}
		res, err := r.DB.Write.ExecContext(ctx, `UPDATE jobs SET state = $1, message = $2, updated_at = $3
			WHERE id = $4 AND state = $5 AND COALESCE(heartbeat_at, updated_at) < $6`,
			StateFailed, OrphanMessage, db.Now(), id, StateRunning, cutoff)
		if err != nil {
			return failed, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			failed = append(failed, id)
			if r.Log != nil {
				r.Log.Warn("job left running by a stopped process marked failed", "job", id)
			}
		}
	}
	return failed, nil
}

// Watch runs FailOrphans now and then once per heartbeat until ctx ends. The server runs it:
// a job of a process that died just before this one started is failed as soon as its
// heartbeat is old enough, without waiting for another restart.
func (r *Runner) Watch(ctx context.Context) {
	t := time.NewTicker(r.heartbeat())
	defer t.Stop()
	for {
		if _, err := r.FailOrphans(ctx); err != nil && ctx.Err() == nil && r.Log != nil {
			r.Log.Error("sweep of orphan jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
