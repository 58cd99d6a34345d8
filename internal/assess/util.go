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

// insertRows writes rows into table inside tx. On SQLite it executes one prepared single-row
// statement per row: SQLite finds "$N" parameters by searching a list, so one statement with
// thousands of parameters costs quadratic time, while a prepared statement is parsed once.
// On PostgreSQL, where each statement is a round trip, it sends multi-row statements.
func insertRows(ctx context.Context, tx *sql.Tx, postgres bool, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES "
	if !postgres {
		st, err := tx.PrepareContext(ctx, head+"("+db.Placeholders(1, len(cols))+")")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r...); err != nil {
				return db.MapError(err)
			}
		}
		return nil
	}
	per := max(1, 8000/len(cols))
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*len(cols))
		for i, r := range rows[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + db.Placeholders(i*len(cols)+1, len(cols)) + ")")
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return db.MapError(err)
		}
	}
	return nil
}
