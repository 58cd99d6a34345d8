package credits

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"esd/internal/db"
)

// World is a synthetic population with credit ledgers, written straight into the tables
// for the tests and benchmarks (participation is not needed to try the ledger). Half the
// professionals work in OrgBig (the "largest organisation"), the rest in OrgA, OrgB or none.
type World struct {
	RegionA, RegionB int64
	OrgA, OrgB       int64
	OrgBig           int64
	Professionals    []int64
	Entries          int
}

// fixture reference rows: real region ids and codes (Toscana 90, Veneto 50), the nurse and
// physician professions; existing rows (the real reference data) are left alone.
func ensureFixtureReference(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{
		`INSERT INTO regions (id, istat_code, minsal_code, iso_code, name) VALUES (90, '09', '090', 'IT-52', 'Toscana') ON CONFLICT DO NOTHING`,
		`INSERT INTO regions (id, istat_code, minsal_code, iso_code, name) VALUES (50, '05', '050', 'IT-34', 'Veneto') ON CONFLICT DO NOTHING`,
		`INSERT INTO professions (code, name) VALUES (1, 'Medico chirurgo') ON CONFLICT DO NOTHING`,
		`INSERT INTO professions (code, name) VALUES (14, 'Infermiere') ON CONFLICT DO NOTHING`,
		`INSERT INTO disciplines (code, profession_code, name) VALUES (58, 1, 'Medicina generale (medici di famiglia)') ON CONFLICT DO NOTHING`,
		`INSERT INTO disciplines (code, profession_code, name) VALUES (85, 14, 'Infermiere') ON CONFLICT DO NOTHING`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func fixtureOrg(ctx context.Context, tx *sql.Tx, code, name string, region int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM organisations WHERE kind = 'asl' AND code = $1`, code).Scan(&id)
	if err == nil {
		return id, nil
	}
	now := db.Now()
	err = tx.QueryRowContext(ctx, `INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at)
		VALUES ('asl', $1, $2, $3, $4, $5, $5) RETURNING id`, code, name, name, region, now).Scan(&id)
	return id, err
}

// BuildWorld writes n professionals named by prefix (a fresh prefix per call) with about
// perProf ledger entries each, deterministic in their index: participations in the three
// trienni, some pending, individual and self-training (some over the caps), an exemption
// and moved credits now and then.
func BuildWorld(ctx context.Context, d *db.DB, prefix string, n, perProf int) (World, error) {
	var w World
	pg := d.IsPostgres()
	w.RegionA, w.RegionB = 90, 50
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if err := ensureFixtureReference(ctx, tx); err != nil {
			return err
		}
		var err error
		if w.OrgA, err = fixtureOrg(ctx, tx, "CRFX-A", "ASL fixture A", w.RegionA); err != nil {
			return err
		}
		if w.OrgB, err = fixtureOrg(ctx, tx, "CRFX-B", "ASL fixture B", w.RegionB); err != nil {
			return err
		}
		w.OrgBig, err = fixtureOrg(ctx, tx, "CRFX-BIG", "Azienda fixture grande", w.RegionA)
		return err
	})
	if err != nil {
		return w, err
	}
	const chunk = 20_000
	for from := 0; from < n; from += chunk {
		to := min(n, from+chunk)
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			now := db.Now()
			rows := make([][]any, 0, to-from)
			for i := from; i < to; i++ {
				reg, org := w.RegionA, any(w.OrgBig)
				switch i % 8 {
				case 1:
					org = w.OrgA
				case 2:
					reg, org = w.RegionB, w.OrgB
				case 3:
					org = nil
				case 4:
					reg, org = w.RegionB, nil
				}
				code := fmt.Sprintf("%s%010d", prefix, i)
				rows = append(rows, []any{code, code, "Maria", fmt.Sprintf("Prova%d", i), fmt.Sprintf("prova%d maria", i), reg, org, "dipendente", "ospedale", now, now})
			}
			if err := db.InsertRows(ctx, tx, pg, "professionals", []string{"cf", "cf_display", "given_name", "family_name", "search_name",
				"region_id", "organisation_id", "employment", "care_setting", "created_at", "updated_at"}, rows); err != nil {
				return err
			}
			ids, err := db.Int64s(ctx, tx, `SELECT id FROM professionals WHERE cf >= $1 AND cf <= $2 ORDER BY cf`,
				fmt.Sprintf("%s%010d", prefix, from), fmt.Sprintf("%s%010d", prefix, to-1))
			if err != nil {
				return err
			}
			if len(ids) != to-from {
				return fmt.Errorf("fixture: %d professionals written, %d found", to-from, len(ids))
			}
			pairs := make([][]any, 0, len(ids))
			var ents [][]any
			for k, id := range ids {
				i := from + k
				prof, disc := 14, 85
				if i%3 == 0 {
					prof, disc = 1, 58
				}
				pairs = append(pairs, []any{id, prof, disc})
				reg, org := rows[k][5], rows[k][6]
				for j := 0; j < perProf; j++ {
					e := fixtureEntry(i, j)
					ents = append(ents, []any{id, reg, org, e.Triennium, e.Kind, e.Role, e.Credits, e.Status, e.EarnedOn, nil, nil, nil, e.Title, "", "fixture", now})
				}
			}
			w.Professionals = append(w.Professionals, ids...)
			w.Entries += len(ents)
			if err := db.InsertRows(ctx, tx, pg, "professional_disciplines", []string{"professional_id", "profession_code", "discipline_code"}, pairs); err != nil {
				return err
			}
			return db.InsertRows(ctx, tx, pg, "credit_entries", insertCols, ents)
		})
		if err != nil {
			return w, err
		}
	}
	return w, nil
}

// fixtureEntry is entry j of professional i: mostly participations, spread over 2023-2026.
func fixtureEntry(i, j int) Entry {
	h := uint32(i*7919 + j*104729 + 17)
	h ^= h >> 13
	h *= 0x5bd1e995
	h ^= h >> 15
	years := []int{2023, 2024, 2025, 2026, 2026, 2026}
	y := years[h%uint32(len(years))]
	day := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(h>>8)%330)
	tri := 2023
	if y >= 2026 {
		tri = 2026
	}
	e := Entry{Triennium: tri, Kind: KindParticipation, Role: RoleParticipant, Credits: float64(4 + (h>>4)%20), Status: StatusCertified,
		EarnedOn: day.Format(time.DateOnly), Title: fmt.Sprintf("Evento %d", h%5000)}
	switch (h >> 16) % 20 {
	case 0:
		e.Kind, e.Role, e.Credits, e.Title = KindIndividual, "", 30, "Pubblicazione"
	case 1:
		e.Kind, e.Role, e.Credits, e.Title = KindSelfTraining, "", 25, "Autoformazione"
	case 2:
		e.Status = StatusPending
	case 3:
		e.Role = RoleTeacher
	case 4:
		e.Kind, e.Role, e.Credits, e.Title = KindExemption, "", 10, "Esonero"
	}
	return e
}
