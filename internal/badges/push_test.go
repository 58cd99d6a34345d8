package badges

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/governance"
)

// TestBadgesPushedOnAchievement: achieving an objective and completing a participation
// queue their badges in the same transaction (the triggers of migration 0820, whichever
// path writes the row); the worker issues them with a notification, without anyone opening
// the wallet; a completion withdrawn before the worker runs leaves nothing behind; a
// professional without an account is not queued.
func TestBadgesPushedOnAchievement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		s, d := world(t, dialect)
		s.Notify = governance.New(d, slog.New(slog.NewTextHandler(io.Discard, nil))).Notify
		now := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
		exec(t, d, `INSERT INTO users (id, username, display_name, password_hash, role, region_id, professional_id, created_at, updated_at)
			VALUES (8, 'rssmra75b41f205y', 'Maria Rossi', '-', 'professional', 30, 11, $1, $1)`, now)
		exec(t, d, `INSERT INTO objectives (id, professional_id, triennium, framework_id, line_id, line_code, from_level, target_level, due_date, priority, state, source,
			created_at, updated_at) VALUES (61, 11, '2026-2028', 5, 52, 'D1.A1.L01', 1, 3, '2027-12-31', 1, 'in_progress', 'gap', $1, $1)`, now)
		exec(t, d, `INSERT INTO participations (id, edition_id, event_id, professional_id, region_id, state, role, credits, source, created_at, updated_at)
			VALUES (41, 30, 20, 11, 30, 'enrolled', 'P', 0, 'report', $1, $1)`, now)
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := d.Read.QueryRowContext(sys, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT COUNT(*) FROM badge_pending`); n != 0 {
			t.Fatalf("pending before anything was achieved: %d", n)
		}
		// Nicolò (no account) achieved things in world(): not queued, nothing issued.
		if n, err := s.IssuePending(sys); err != nil || n != 0 {
			t.Fatalf("issued with nothing pending: %d %v", n, err)
		}
		if _, err := s.IssuePending(maria); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("a professional ran the badge worker: %v", err)
		}
		exec(t, d, `UPDATE objectives SET state = 'achieved', achieved_at = $1, updated_at = $1 WHERE id = 61`, now)
		exec(t, d, `UPDATE participations SET state = 'completed', credits = 8, completed_on = '2026-06-02' WHERE id = 41`)
		if n := count(`SELECT COUNT(*) FROM badge_pending WHERE professional_id = 11`); n != 2 {
			t.Fatalf("pending after achieving: %d", n)
		}
		n, err := s.IssuePending(sys)
		if err != nil || n != 2 {
			t.Fatalf("worker issued %d: %v", n, err)
		}
		if n := count(`SELECT COUNT(*) FROM badge_credentials WHERE professional_id = 11`); n != 2 {
			t.Fatalf("credentials of Maria: %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM badge_pending`); n != 0 {
			t.Fatalf("pending left after the worker: %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM notifications WHERE user_id = 8 AND kind = 'badge_issued' AND link = '/badges'`); n != 2 {
			t.Fatalf("notifications of Maria: %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM badge_credentials WHERE professional_id = 10`); n != 0 {
			t.Fatalf("Nicolò's badges issued without an account or a wallet: %d", n)
		}
		// A second completion, withdrawn before the worker runs: the row is cleared, nothing issued.
		exec(t, d, `INSERT INTO event_editions (id, event_id, number, start_date, end_date) VALUES (31, 20, 2, '2026-06-03', '2026-06-03')`)
		exec(t, d, `INSERT INTO participations (id, edition_id, event_id, professional_id, region_id, state, role, credits, completed_on, source, created_at, updated_at)
			VALUES (42, 31, 20, 11, 30, 'completed', 'P', 2, '2026-06-03', 'report', $1, $1)`, now)
		exec(t, d, `UPDATE participations SET state = 'withdrawn' WHERE id = 42`)
		if n := count(`SELECT COUNT(*) FROM badge_pending`); n != 1 {
			t.Fatalf("pending after an inserted completion: %d", n)
		}
		if n, err := s.IssuePending(sys); err != nil || n != 0 {
			t.Fatalf("withdrawn completion issued %d: %v", n, err)
		}
		if n := count(`SELECT COUNT(*) FROM badge_pending`); n != 0 {
			t.Fatalf("pending left for a withdrawn completion: %d", n)
		}
		// Opening the wallet now issues nothing new: the push already did.
		if n, err := s.Issue(maria, 11); err != nil || n != 0 {
			t.Fatalf("wallet issued again: %d %v", n, err)
		}
	})
}
