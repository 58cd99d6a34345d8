// Package cattest sets up what the catalogue needs around it when the capabilities that own
// it are not there: the ECM reference tables, a small portfolio and providers. Tests and
// benchmarks of the catalogue use it on empty databases; every function is idempotent and
// does nothing to rows that already exist (the registry and the portfolio load the real
// data at start-up, and these inserts then change nothing).
package cattest

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"esd/internal/db"
	"esd/internal/textnorm"
)

// EnsureReference inserts the regions, professions, disciplines, national objectives
// (list 3) and a few comuni, unless the registry has loaded the reference tables already.
func EnsureReference(ctx context.Context, d *db.DB) error {
	var n int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professions`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	return d.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range regions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO regions (istat_code, minsal_code, iso_code, name) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`, r[0], r[1], r[2], r[3]); err != nil {
				return fmt.Errorf("region %s: %w", r[3], err)
			}
		}
		for _, p := range professions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO professions (code, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, atoi(p[0]), p[1]); err != nil {
				return err
			}
		}
		for _, x := range disciplines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO disciplines (code, profession_code, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				atoi(x[0]), atoi(x[1]), x[2]); err != nil {
				return err
			}
		}
		for _, o := range objectives {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ecm_objectives (list_version, code, national, category, name) VALUES (3, $1, TRUE, $2, $3)
				ON CONFLICT DO NOTHING`, atoi(o[0]), o[1], o[2]); err != nil {
				return err
			}
		}
		for _, c := range comuni {
			if _, err := tx.ExecContext(ctx, `INSERT INTO comuni (istat_code, belfiore_code, name, province, region_name) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT DO NOTHING`, c[0], c[1], c[2], c[3], c[4]); err != nil {
				return err
			}
		}
		return nil
	})
}

func atoi(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return v
}

// RegionID returns the id of the region with the given Ministry (3-digit) code.
func RegionID(ctx context.Context, d *db.DB, minsal string) (int64, error) {
	var id int64
	err := d.Read.QueryRowContext(ctx, `SELECT id FROM regions WHERE minsal_code = $1`, minsal).Scan(&id)
	return id, err
}

// ComuneISTAT returns the ISTAT code of a comune by name.
func ComuneISTAT(ctx context.Context, d *db.DB, name string) (string, error) {
	var c string
	err := d.Read.QueryRowContext(ctx, `SELECT istat_code FROM comuni WHERE name = $1`, name).Scan(&c)
	return c, err
}

// Provider returns the id of the provider organisation with this code, creating it (kind
// "provider") if missing.
func Provider(ctx context.Context, d *db.DB, code, name string, regionID int64) (int64, error) {
	var id int64
	err := d.Read.QueryRowContext(ctx, `SELECT id FROM organisations WHERE code = $1 ORDER BY CASE WHEN kind = 'provider' THEN 0 ELSE 1 END LIMIT 1`, code).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err != sql.ErrNoRows {
		return 0, err
	}
	now := db.Now()
	var reg any
	if regionID != 0 {
		reg = regionID
	}
	err = d.Write.QueryRowContext(ctx, `INSERT INTO organisations (kind, code, name, search_name, region_id, created_at, updated_at)
		VALUES ('provider', $1, $2, $3, $4, $5, $5) RETURNING id`, code, name, textnorm.Fold(name), reg, now).Scan(&id)
	return id, err
}

// HasPortfolio reports whether any framework version exists.
func HasPortfolio(ctx context.Context, d *db.DB) (bool, error) {
	var n int
	err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM framework_versions`).Scan(&n)
	return n > 0, err
}

// EnsurePortfolio creates the fixture portfolio (published, illustrative) when no framework
// version exists, and returns the id of the version it finds or makes.
func EnsurePortfolio(ctx context.Context, d *db.DB) (int64, error) {
	var id int64
	err := d.Read.QueryRowContext(ctx, `SELECT id FROM framework_versions ORDER BY id LIMIT 1`).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err != sql.ErrNoRows {
		return 0, err
	}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO framework_versions (code, version, title_it, title_en, state, illustrative, source, created_at, published_at)
			VALUES ('ESD-TEST', '1', 'Portfolio di prova del catalogo', 'Catalogue test portfolio', 'draft', TRUE, 'cattest fixture', $1, NULL) RETURNING id`, now).Scan(&id); err != nil {
			return err
		}
		for lv, name := range []string{"Base", "Intermedio", "Avanzato", "Specialistico"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO scale_levels (framework_id, level, code, label_it) VALUES ($1, $2, $3, $4)`,
				id, lv+1, fmt.Sprint(lv+1), name); err != nil {
				return err
			}
		}
		items := map[string]int64{}
		for i, it := range FixtureItems {
			var parent any
			if it.Parent != "" {
				parent = items[it.Parent]
			}
			var iid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it, description_it, search_text)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, id, it.Kind, it.Code, parent, i, it.Title, it.Description,
				textnorm.Fold(it.Title+" "+it.Description)).Scan(&iid); err != nil {
				return fmt.Errorf("item %s: %w", it.Code, err)
			}
			items[it.Code] = iid
		}
		// Published last: the portfolio's triggers freeze a published version.
		_, err := tx.ExecContext(ctx, `UPDATE framework_versions SET state = 'published', published_at = $1 WHERE id = $2`, now, id)
		return err
	})
	return id, err
}

// LineIDs returns the ids of the lines of a framework version by code.
func LineIDs(ctx context.Context, d *db.DB, frameworkID int64) (map[string]int64, error) {
	out := map[string]int64{}
	rows, err := d.Read.QueryContext(ctx, `SELECT code, id FROM framework_items WHERE framework_id = $1 AND kind = 'line'`, frameworkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var id int64
		if err := rows.Scan(&c, &id); err != nil {
			return nil, err
		}
		out[c] = id
	}
	return out, rows.Err()
}
