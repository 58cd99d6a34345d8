package assess

import (
	"testing"

	"esd/internal/db"
)

// The demo step: the demo professional ends with a half-finished, paused assessment; colleagues
// with finished ones and objectives (two agreed, one started); a team with a group objective.
// Running it again changes nothing.
func TestDemoIsIdempotent(t *testing.T) {
	each(t, func(t *testing.T, fx *fixture) {
		demo := fx.professional(false)
		for i := 0; i < 5; i++ {
			fx.target(fx.professional(false))
		}
		fx.target(demo)
		now := db.Now()
		if _, err := fx.db.Write.Exec(`INSERT INTO users (username, display_name, password_hash, role, professional_id, created_at, updated_at)
			VALUES ($1, 'Demo', 'x', 'professional', $2, $3, $3)`, DemoProfessionalUser, demo, now); err != nil {
			t.Fatal(err)
		}
		for run := 0; run < 2; run++ {
			if err := fx.s.Demo(fx.sys); err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
		}
		var open, finished, agreed, started, groups, groupObj int
		q := func(dst *int, sql string, args ...any) {
			if err := fx.db.Read.QueryRow(sql, args...).Scan(dst); err != nil {
				t.Fatal(err)
			}
		}
		q(&open, `SELECT COUNT(*) FROM assessments WHERE professional_id = $1 AND state = 'in_progress' AND paused_at IS NOT NULL`, demo)
		q(&finished, `SELECT COUNT(*) FROM assessments WHERE state = 'finished'`)
		q(&agreed, `SELECT COUNT(DISTINCT professional_id) FROM objectives WHERE state IN ('agreed', 'in_progress')`)
		q(&started, `SELECT COUNT(*) FROM objectives WHERE state = 'in_progress'`)
		q(&groups, `SELECT COUNT(*) FROM objective_groups`)
		q(&groupObj, `SELECT COUNT(*) FROM objectives WHERE group_id IS NOT NULL`)
		if open != 1 || finished != 4 || agreed != 2 || started != 1 || groups != 1 || groupObj != 1 {
			t.Fatalf("demo: open %d finished %d agreed %d started %d groups %d group objectives %d", open, finished, agreed, started, groups, groupObj)
		}
		a, err := fx.s.openAssessment(fx.sys, fx.db.Read, demo)
		if err != nil || a == nil || a.Answered == 0 || a.Answered >= a.Needed {
			t.Fatalf("the demo assessment is not half-finished: %+v %v", a, err)
		}
		var zeros int
		q(&zeros, `SELECT COUNT(*) FROM assessment_answers an JOIN assessment_questions q ON q.assessment_id = an.assessment_id AND q.position = an.position
			WHERE q.kind IN ('area', 'self') AND an.choice = 0`)
		if zeros != 0 {
			t.Fatalf("the demo rated %d ambiti or lines 0", zeros)
		}
	})
}
