package xapi

import (
	"context"
	"database/sql"
	"fmt"
)

// Group commit: statement writes arriving together share one transaction, each inside its
// own savepoint, so that concurrent single-statement POSTs (cmi5 AUs, many Moodle sites)
// cost one commit per group instead of one each. A request's error rolls back its savepoint
// only; the others commit. An idle LRS adds no wait: the committer takes what is queued when
// the previous commit ends.

type groupJob struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// maxGroup bounds the writes of one transaction (and so a request's worst wait).
const maxGroup = 64

func (s *Service) grouped(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.groupOnce.Do(func() {
		s.group = make(chan *groupJob, 1024)
		go s.committer()
	})
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.group <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-j.done
}

func (s *Service) committer() {
	for j := range s.group {
		jobs := []*groupJob{j}
	drain:
		for len(jobs) < maxGroup {
			select {
			case j := <-s.group:
				jobs = append(jobs, j)
			default:
				break drain
			}
		}
		errs := make([]error, len(jobs))
		err := s.DB.Tx(context.Background(), func(tx *sql.Tx) error {
			for i, j := range jobs {
				if j.ctx.Err() != nil {
					errs[i] = j.ctx.Err()
					continue
				}
				sp := fmt.Sprintf("xapi_%d", i)
				if _, err := tx.ExecContext(j.ctx, "SAVEPOINT "+sp); err != nil {
					return err
				}
				if errs[i] = safeRun(j.fn, tx); errs[i] != nil {
					if _, err := tx.ExecContext(context.Background(), "ROLLBACK TO SAVEPOINT "+sp); err != nil {
						return err
					}
				}
				if _, err := tx.ExecContext(context.Background(), "RELEASE SAVEPOINT "+sp); err != nil {
					return err
				}
			}
			return nil
		})
		for i, j := range jobs {
			if err != nil {
				j.done <- err
			} else {
				j.done <- errs[i]
			}
		}
	}
}

// safeRun runs one request's writes; a panic fails that request, not the committer.
func safeRun(fn func(tx *sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic storing statements: %v", p)
		}
	}()
	return fn(tx)
}
