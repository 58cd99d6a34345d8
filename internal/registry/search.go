package registry

import (
	"context"
	"database/sql"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Name search of professionals goes through professional_search_tokens (migration 0003):
// one row (region, word, professional) per word of search_name, so a search word is one
// index range per region and costs what it matches in the caller's scope. A word matches
// the words of a name that start with it ("ross" finds Rossi and Rossetti, "maria" a given
// name); every word of a query must match.

// searchTokens returns the distinct words of a folded search name (fold already separates
// words with one space and drops punctuation: "D'Alò" is "d alo").
func searchTokens(searchName string) []string {
	words := strings.Fields(searchName)
	if len(words) < 2 {
		return words
	}
	sort.Strings(words)
	out := words[:1]
	for _, w := range words[1:] {
		if w != out[len(out)-1] {
			out = append(out, w)
		}
	}
	return out
}

// tokenEnd is the exclusive upper bound of the words starting with w: no folded word holds
// the largest code point, and both dialects compare tokens byte by byte (SQLite's BINARY
// collation, COLLATE "C" on PostgreSQL), which for UTF-8 is code point order.
func tokenEnd(w string) string { return w + string(utf8.MaxRune) }

// cfPrefixEnd is the exclusive upper bound of the codici fiscali starting with the upper-case
// alphanumeric prefix w, or "" when there is none (w is all Z). It stays within 0-9A-Z, where
// every collation (including PostgreSQL's locale ones on the cf index) agrees with ASCII, so
// the range [w, end) on the unique cf index is exactly the codes starting with w.
func cfPrefixEnd(w string) string {
	b := []byte(w)
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case 'Z':
			continue
		case '9':
			b[i] = 'A'
		default:
			b[i]++
		}
		return string(b[:i+1])
	}
	return ""
}

// cfWord reports whether a folded search word may be the start of a codice fiscale (three
// characters at least, as before: shorter prefixes match too many codes to be useful).
func cfWord(w string) bool {
	if len(w) < 3 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// matchCTE returns a WITH clause defining m(id), the professionals matching every word, for
// the given regions (the caller's scope; every region when it has none). arg binds a value.
// Each word is the union of its token range in each region and, if it may be one, its
// codice fiscale prefix; the words are intersected.
func matchCTE(words []string, regions []int64, arg func(any) string) string {
	var b strings.Builder
	b.WriteString("WITH ")
	for i, w := range words {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("w" + strconv.Itoa(i) + "(id) AS (SELECT professional_id FROM professional_search_tokens WHERE ")
		if len(regions) == 1 {
			b.WriteString("region_id = " + arg(regions[0]))
		} else {
			ph := make([]string, len(regions))
			for j, r := range regions {
				ph[j] = arg(r)
			}
			b.WriteString("region_id IN (" + strings.Join(ph, ", ") + ")")
		}
		b.WriteString(" AND token >= " + arg(w) + " AND token < " + arg(tokenEnd(w)))
		if cfWord(w) {
			up := strings.ToUpper(w)
			b.WriteString(" UNION SELECT id FROM professionals WHERE cf >= " + arg(up))
			if end := cfPrefixEnd(up); end != "" {
				b.WriteString(" AND cf < " + arg(end))
			}
		}
		b.WriteString(")")
	}
	b.WriteString(", m(id) AS (SELECT id FROM w0")
	for i := 1; i < len(words); i++ {
		b.WriteString(" INTERSECT SELECT id FROM w" + strconv.Itoa(i))
	}
	b.WriteString(")")
	return b.String()
}

// searchToken is one row of professional_search_tokens.
type searchToken struct {
	region int64
	token  string
	id     int64
}

// insertTokens writes the search words of new professionals (ids by normalised codice
// fiscale), batched like the rows themselves and in key order: the B-tree is then written
// page after page rather than at random (measured on SQLite, importing 100 k rows: the
// tokens cost ~0.25 s of CPU in order, ~1.1 s in row order).
func (s *Service) insertTokens(ctx context.Context, tx *sql.Tx, rows []*profRow, ids map[string]int64) error {
	toks := make([]searchToken, 0, len(rows)*3)
	for _, r := range rows {
		id := ids[r.code.Normalised]
		for _, t := range searchTokens(searchName(r.family, r.given)) {
			toks = append(toks, searchToken{r.regionID, t, id})
		}
	}
	sort.Slice(toks, func(i, j int) bool {
		a, b := toks[i], toks[j]
		if a.region != b.region {
			return a.region < b.region
		}
		if a.token != b.token {
			return a.token < b.token
		}
		return a.id < b.id
	})
	args := make([]any, 0, len(toks)*3)
	for _, t := range toks {
		args = append(args, t.region, t.token, t.id)
	}
	return execBatch(ctx, tx, s.DB, "INSERT INTO professional_search_tokens (region_id, token, professional_id) VALUES ", 3, "", args, nil)
}

// retoken replaces the search words of professional id when its search name or region
// changes (from the stored values, read before the update in the same transaction).
func (s *Service) retoken(ctx context.Context, tx *sql.Tx, id, oldRegion int64, oldName string, r *profRow) error {
	newName := searchName(r.family, r.given)
	if oldRegion == r.regionID && oldName == newName {
		return nil
	}
	for _, t := range searchTokens(oldName) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM professional_search_tokens WHERE region_id = $1 AND token = $2 AND professional_id = $3`,
			oldRegion, t, id); err != nil {
			return err
		}
	}
	return s.insertTokens(ctx, tx, []*profRow{r}, map[string]int64{r.code.Normalised: id})
}
