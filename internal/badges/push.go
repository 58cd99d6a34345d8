package badges

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"esd/internal/domain"
)

// notifyIssued tells the professional's accounts, inside the issuing transaction, that a
// badge was issued: the notice exists exactly when the credential does.
func (s *Service) notifyIssued(ctx context.Context, tx *sql.Tx, profID int64, uuid string, src source) error {
	if s.Notify == nil {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM users WHERE professional_id = $1 AND NOT disabled ORDER BY id`, profID)
	if err != nil {
		return err
	}
	var users []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		users = append(users, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(users) == 0 {
		return err
	}
	kindIT, kindEN := "un obiettivo raggiunto", "an objective achieved"
	if src.kind == KindTraining {
		kindIT, kindEN = "una formazione completata", "a training completed"
	}
	return s.Notify(ctx, tx, users, "badge_issued", "badge:"+uuid, "/badges",
		"Nuovo open badge: "+src.name, "New open badge: "+src.name,
		"Ti è stato rilasciato un open badge per "+kindIT+": «"+src.name+"». Puoi scaricarlo, condividerlo e farlo verificare dal tuo portafoglio.",
		"You were issued an open badge for "+kindEN+": “"+src.name+"”. You can download it, share it and have it verified from your wallet.")
}

// pendingBatch is how many professionals one pass of the worker serves.
const pendingBatch = 50

// IssuePending issues the badges queued by the achievement triggers (migration 0820): for
// each professional with pending rows, everything they earned and have not received, with
// its notification, then clears the rows read (a source that no longer earns a badge, such
// as a completion withdrawn meanwhile, leaves nothing behind). A failure counts an attempt
// and leaves the rows for the next pass, behind the others. System only. It returns how
// many credentials it issued.
func (s *Service) IssuePending(ctx context.Context) (int, error) {
	if _, err := domain.Require(ctx); err != nil {
		return 0, err
	}
	if !s.knownBase() {
		return 0, nil // the rows wait for an origin (set by Serve or ESD_PUBLIC_URL)
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT professional_id, MAX(id) FROM badge_pending GROUP BY professional_id
		ORDER BY MAX(attempts), MIN(id) LIMIT `+strconv.Itoa(pendingBatch))
	if err != nil {
		return 0, err
	}
	type todo struct{ prof, upTo int64 }
	var list []todo
	for rows.Next() {
		var t todo
		if err := rows.Scan(&t.prof, &t.upTo); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	total := 0
	var firstErr error
	for _, t := range list {
		n, err := s.Issue(ctx, t.prof)
		total += n
		if err != nil {
			if _, uerr := s.DB.Write.ExecContext(ctx, `UPDATE badge_pending SET attempts = attempts + 1 WHERE professional_id = $1 AND id <= $2`, t.prof, t.upTo); uerr != nil {
				return total, uerr
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if _, err := s.DB.Write.ExecContext(ctx, `DELETE FROM badge_pending WHERE professional_id = $1 AND id <= $2`, t.prof, t.upTo); err != nil {
			return total, err
		}
	}
	return total, firstErr
}

// Background drains the pending badges every second until ctx ends (once per service):
// the queue is written by the transaction that achieves, so a crash loses nothing, and
// the next start picks up what was left.
func (s *Service) Background(ctx context.Context) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.bgStart {
		return
	}
	s.bgStart = true
	sys := domain.WithActor(ctx, domain.SystemActor)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := s.IssuePending(sys); err != nil && ctx.Err() == nil && s.Log != nil {
					s.Log.Warn("badges issued on achievement", "err", err)
				}
			}
		}
	}()
}
