package assess

import (
	"context"
	"errors"
	"fmt"

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

// msgKey is the catalogue key (and arguments) of a user-facing error message. It rides inside
// a domain error so the web layer can show the message in the page's language, while the
// error's own Message stays English for the API and the logs.
type msgKey struct {
	key  string
	args []any
}

func (m msgKey) Error() string { return m.key }

// errK returns a domain error with an English message and a catalogue key for pages.
func errK(code, field, key, english string, args ...any) *domain.Error {
	return &domain.Error{Code: code, Field: field, Message: fmt.Sprintf(english, args...), Err: msgKey{key, args}}
}

// Localize returns err with its message translated by t when it carries a catalogue key.
func Localize(err error, t func(key string, args ...any) string) error {
	e := domain.AsError(err)
	if e == nil {
		return err
	}
	var k msgKey
	if !errors.As(e.Err, &k) {
		return err
	}
	out := *e
	out.Message = t(k.key, k.args...)
	out.Err = nil
	return &out
}

// insertRows writes rows into table inside tx in multi-row statements sized for the
// dialect (see db.BatchRows).
func insertRows(ctx context.Context, tx *sql.Tx, postgres bool, table string, cols []string, rows [][]any) error {
	return db.InsertRows(ctx, tx, postgres, table, cols, rows)
}
