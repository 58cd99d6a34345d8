// Package dbtest gives tests real, throwaway databases: a SQLite file in the test's temp
// folder always, and a freshly created PostgreSQL database when ESD_TEST_POSTGRES_URL points
// at a server (CI sets it). Each test runs on every available dialect; nothing is mocked.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"esd/internal/db"
)

// EnvPostgres names the variable holding the PostgreSQL server URL for tests, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "ESD_TEST_POSTGRES_URL"

// EnvRequirePostgres, when set to 1, makes tests fail instead of skip PostgreSQL when the
// server URL is missing, so CI cannot pass without having run it.
const EnvRequirePostgres = "ESD_TEST_REQUIRE_POSTGRES"

// Dialects returns the dialects tests should cover in this environment.
func Dialects(t testing.TB) []db.Dialect {
	ds := []db.Dialect{db.SQLite}
	if os.Getenv(EnvPostgres) != "" {
		ds = append(ds, db.Postgres)
	} else if os.Getenv(EnvRequirePostgres) == "1" {
		t.Fatalf("%s=1 but %s is empty", EnvRequirePostgres, EnvPostgres)
	}
	return ds
}

// URL returns a new, empty database location of the given dialect, dropped at the end of
// the test: a file path for SQLite, a postgres:// URL of a new database for PostgreSQL.
func URL(t testing.TB, d db.Dialect) string {
	t.Helper()
	if d == db.SQLite {
		return filepath.Join(t.TempDir(), "esd.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip("no PostgreSQL: set " + EnvPostgres)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "esd_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a migrated, empty database of the given dialect, closed at the end of the test.
func Open(t testing.TB, d db.Dialect) *db.DB {
	t.Helper()
	ctx := context.Background()
	x, err := db.Open(ctx, URL(t, d))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	if err := x.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return x
}

// Each runs fn as a subtest on every available dialect.
func Each(t *testing.T, fn func(t *testing.T, d db.Dialect)) {
	for _, d := range Dialects(t) {
		t.Run(strings.ToLower(string(d)), func(t *testing.T) { fn(t, d) })
	}
}
