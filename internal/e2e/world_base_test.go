package e2e

import (
	"testing"

	"esd/internal/db"
)

// The base of the world: regions A (Toscana) and B (Veneto), an organisation and a provider
// in each, and professionals. The registry capability replaces the SQL below with calls to
// its services once they exist.
func init() {
	// Prepended: capability files (catalogue_*, portfolio_*, ...) sort before this one, so
	// their init functions run first, but their hooks need the base world.
	worldHooks = append([]func(t *testing.T, w *World){func(t *testing.T, w *World) {
		ctx := w.Env.Sys()
		x := w.Env.M.DB
		region := func(istat, minsal, iso, name string) int64 {
			var id int64
			if err := x.Read.QueryRowContext(ctx, `SELECT id FROM regions WHERE istat_code = $1`, istat).Scan(&id); err == nil {
				return id
			}
			if err := x.Write.QueryRowContext(ctx, `INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ($1,$2,$3,$4) RETURNING id`,
				istat, minsal, iso, name).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		w.RegionA = region("09", "090", "IT-52", "Toscana")
		w.RegionB = region("05", "050", "IT-34", "Veneto")
		org := func(kind, code, name string, reg int64) int64 {
			var id int64
			now := db.Now()
			if err := x.Write.QueryRowContext(ctx, `INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at)
				VALUES ($1,$2,$3,$3,$4,$5,$5) RETURNING id`, kind, code, name, reg, now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		w.IDs["org.A"] = org("test_asl", "T-A", "Azienda A", w.RegionA)
		w.IDs["org.B"] = org("test_asl", "T-B", "Azienda B", w.RegionB)
		w.IDs["provider.A"] = org("test_provider", "P-A", "Provider A", w.RegionA)
		w.IDs["provider.B"] = org("test_provider", "P-B", "Provider B", w.RegionB)
		prof := func(cf string, reg, org int64) int64 {
			var id int64
			now := db.Now()
			if err := x.Write.QueryRowContext(ctx, `INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, region_id,
				organisation_id, employment, care_setting, created_at, updated_at) VALUES ($1,$1,'Test','Persona','persona test',$2,$3,'dipendente','ospedale',$4,$4) RETURNING id`,
				cf, reg, org, now).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		w.IDs["professional.A"] = prof("RSSMRA85T10A562S", w.RegionA, w.IDs["org.A"])
		w.IDs["professional.B"] = prof("RSSMRA79B11C566R", w.RegionB, w.IDs["org.B"])
		w.Markers = append(w.Markers, "RSSMRA79B11C566R")
	}}, worldHooks...)
}
