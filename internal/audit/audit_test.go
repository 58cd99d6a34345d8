package audit_test

import (
	"context"
	"database/sql"
	"testing"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

func TestRecorderAndScopedSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		x := dbtest.Open(t, d)
		ctx := domain.WithRequestID(domain.WithActor(context.Background(), domain.SystemActor), "req-1")
		rec := audit.NewRecorder(ctx)
		rec.Dialect = d
		const n = 2345 // more than one statement's worth of rows
		for i := 0; i < n; i++ {
			region := int64(90)
			if i%2 == 1 {
				region = 50
			}
			rec.Add(audit.Change{Action: "import", Entity: "professional", EntityID: i, RegionID: region, After: map[string]int{"i": i}})
		}
		if err := x.Tx(ctx, func(tx *sql.Tx) error { return rec.Flush(tx) }); err != nil {
			t.Fatal(err)
		}
		var count int
		if err := x.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE request_id = 'req-1'`).Scan(&count); err != nil || count != n {
			t.Fatalf("recorded %d of %d (%v)", count, n, err)
		}
		s := &audit.Service{DB: x}
		nat := domain.WithActor(context.Background(), domain.Actor{Role: domain.RoleNational, UserID: 1})
		all, err := s.Search(nat, audit.Filter{Limit: 500})
		if err != nil || len(all) != 500 {
			t.Fatalf("national search: %d %v", len(all), err)
		}
		reg := domain.WithActor(context.Background(), domain.Actor{Role: domain.RoleRegional, RegionID: 50, UserID: 2})
		mine, err := s.Search(reg, audit.Filter{RegionID: 90, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range mine {
			if e.RegionID != 50 {
				t.Fatalf("regional referent of 50 sees an entry of region %d", e.RegionID)
			}
		}
		if len(mine) == 0 {
			t.Fatal("regional referent sees nothing of their region")
		}
		prof := domain.WithActor(context.Background(), domain.Actor{Role: domain.RoleProfessional, ProfessionalID: 1, UserID: 3})
		if _, err := s.Search(prof, audit.Filter{}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("professional reading the audit trail: %v", err)
		}
	})
}
