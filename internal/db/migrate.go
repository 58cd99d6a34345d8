package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// The migrations of both dialects live side by side with the same file names, so a test can
// check that the two lists never drift apart. Number ranges are reserved per capability
// (0001-0099 foundation, 0100-0199 portfolio and personas, 0200-0299 assessment,
// 0300-0399 catalogue, 0400-0499 seed and benchmarks) so parallel work never collides.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// MigrationNames lists the migration files of a dialect in the order they are applied.
func MigrationNames(d Dialect) ([]string, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations/"+string(d))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Migrate applies, in order and each in its own transaction, the embedded migrations that
// have not been applied yet. It is safe to run at every start.
func (d *DB) Migrate(ctx context.Context) error {
	if _, err := d.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := MigrationNames(d.Dialect)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	rows, err := d.Write.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		done[n] = true
	}
	rows.Close()
	for _, name := range names {
		if done[name] {
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + string(d.Dialect) + "/" + name)
		if err != nil {
			return err
		}
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`,
				name, Now().Format("2006-01-02T15:04:05Z"))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s (%s): %w", name, d.Dialect, err)
		}
	}
	return nil
}
