package assess

import (
	"context"

	"database/sql"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
	"sort"
	"strconv"
	"strings"
	"time"
)

func sortSlice[T any](s []T, less func(a, b T) bool) {
	sort.SliceStable(s, func(i, j int) bool { return less(s[i], s[j]) })
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

func joinIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// Short names for job functions' parameter types.
type (
	contextT  = context.Context
	progressT = jobs.Progress
)

// errK returns a domain error with an English message and a catalogue key for pages.
func errK(code, field, key, english string, args ...any) *domain.Error {
	return domain.Keyed(code, field, key, english, args...)
}

// Localize returns err with its message translated by t when it carries a catalogue key.
func Localize(err error, t func(key string, args ...any) string) error {
	return domain.Localize(err, t)
}

// insertRows writes rows into table inside tx in multi-row statements sized for the
// dialect (see db.BatchRows).
func insertRows(ctx context.Context, tx *sql.Tx, postgres bool, table string, cols []string, rows [][]any) error {
	return db.InsertRows(ctx, tx, postgres, table, cols, rows)
}
