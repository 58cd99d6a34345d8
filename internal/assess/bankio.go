package assess

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"esd/internal/audit"
	"esd/internal/domain"
)

// Bank files. JSON is the bank as the API shows it; CSV has one row per item with up to five
// options in columns (option_N_it, option_N_en) and the number of the right one in "correct".
// Imports go into a draft bank, match items by code (new codes are added, known codes
// replaced, items not in the file kept), and are all-or-nothing: every bad row is reported
// and nothing is written. Importing the same file twice changes nothing the second time.

// BankFile is the JSON form of a bank.
type BankFile struct {
	Framework struct {
		Code    string `json:"code"`
		Version string `json:"version"`
	} `json:"framework"`
	Bank struct {
		Version int    `json:"version"`
		State   string `json:"state"`
	} `json:"bank"`
	Items []ItemInput `json:"items"`
}

const maxOptions = 5

// CSVHeader is the header of the CSV form.
var CSVHeader = func() []string {
	h := []string{"code", "line", "kind", "level", "text_it", "text_en"}
	for i := 1; i <= maxOptions; i++ {
		h = append(h, fmt.Sprintf("option_%d_it", i), fmt.Sprintf("option_%d_en", i))
	}
	return append(h, "correct", "explanation_it", "explanation_en")
}()

// ExportBank writes a bank as JSON or CSV (national governance only: it holds the answers).
func (s *Service) ExportBank(ctx context.Context, bankID int64, format string, w io.Writer) error {
	if _, err := requireNational(ctx); err != nil {
		return err
	}
	b, err := s.bank(ctx, s.DB.Read, bankID)
	if err != nil {
		return err
	}
	items, err := s.loadItems(ctx, s.DB.Read, bankID, 0)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		var f BankFile
		var code, version string
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT code, version FROM framework_versions WHERE id = $1`, b.FrameworkID).Scan(&code, &version); err != nil {
			return err
		}
		f.Framework.Code, f.Framework.Version = code, version
		f.Bank.Version, f.Bank.State = b.Version, b.State
		f.Items = []ItemInput{}
		for _, it := range items {
			f.Items = append(f.Items, ItemInput{Code: it.Code, LineCode: it.LineCode, Kind: it.Kind, Level: it.Level, TextIT: it.TextIT, TextEN: it.TextEN,
				ExplanationIT: it.ExplanationIT, ExplanationEN: it.ExplanationEN, Options: it.Options})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(f)
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
		for _, it := range items {
			if err := cw.Write(bankCSVRow(ItemInput{Code: it.Code, LineCode: it.LineCode, Kind: it.Kind, Level: it.Level, TextIT: it.TextIT, TextEN: it.TextEN,
				ExplanationIT: it.ExplanationIT, ExplanationEN: it.ExplanationEN, Options: it.Options})); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	return domain.Invalid("format", "format must be json or csv")
}

// bankCSVRow is an item as a row of the CSV form (under CSVHeader), what parseBankCSV reads.
func bankCSVRow(it ItemInput) []string {
	row := []string{it.Code, it.LineCode, it.Kind, strconv.Itoa(it.Level), it.TextIT, it.TextEN}
	for i := 0; i < maxOptions; i++ {
		if i < len(it.Options) {
			row = append(row, it.Options[i].TextIT, it.Options[i].TextEN)
		} else {
			row = append(row, "", "")
		}
	}
	c := ""
	if n := (Item{Options: it.Options}).CorrectOption(); n > 0 {
		c = strconv.Itoa(n)
	}
	return append(row, c, it.ExplanationIT, it.ExplanationEN)
}

// ImportReport counts what an import did.
type ImportReport struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

type fileItem struct {
	line int
	in   ItemInput
}

// ImportBank reads a JSON or CSV bank file into a draft bank.
func (s *Service) ImportBank(ctx context.Context, bankID int64, format string, r io.Reader) (ImportReport, error) {
	var rep ImportReport
	if _, err := requireNational(ctx); err != nil {
		return rep, err
	}
	var rows []fileItem
	var probs []domain.Problem
	switch format {
	case "json":
		rows, probs = parseBankJSON(r)
	case "csv":
		rows, probs = parseBankCSV(r)
	default:
		return rep, domain.Invalid("format", "format must be json or csv")
	}
	if len(rows) == 0 {
		if len(probs) == 0 {
			probs = append(probs, domain.Problem{Reason: "the file has no items"})
		}
		return rep, importError(probs)
	}
	// Rows that parsed are validated too, so the report lists every problem at once.
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		b, err := s.bank(ctx, tx, bankID)
		if err != nil {
			return err
		}
		if b.State != BankDraft {
			return &domain.Error{Code: domain.ECONFLICT, Message: fmt.Sprintf("version %d of the item bank is %s: import into a draft version", b.Version, b.State)}
		}
		f, err := loadFramework(ctx, tx, b.FrameworkID)
		if err != nil {
			return err
		}
		existing, err := s.loadItems(ctx, tx, bankID, 0)
		if err != nil {
			return err
		}
		byCode := map[string]Item{}
		for _, it := range existing {
			byCode[it.Code] = it
		}
		seen := map[string]int{}
		final := map[string]string{} // line#level of self statements → code
		for _, it := range existing {
			if it.Kind == ItemSelf {
				final[fmt.Sprintf("%s#%d", it.LineCode, it.Level)] = it.Code
			}
		}
		for i := range rows {
			fi := &rows[i]
			probs = append(probs, validateItem(f, &fi.in, fi.line)...)
			if fi.in.Code == "" {
				probs = append(probs, domain.Problem{Line: fi.line, Field: "code", Reason: "code is required in a file"})
				continue
			}
			if prev, dup := seen[fi.in.Code]; dup {
				probs = append(probs, domain.Problem{Line: fi.line, Field: "code", Reason: fmt.Sprintf("code repeated (first at line %d)", prev), Value: fi.in.Code})
				continue
			}
			seen[fi.in.Code] = fi.line
			if old, ok := byCode[fi.in.Code]; ok && old.Kind == ItemSelf {
				delete(final, fmt.Sprintf("%s#%d", old.LineCode, old.Level))
			}
		}
		for _, fi := range rows {
			if fi.in.Kind != ItemSelf {
				continue
			}
			k := fmt.Sprintf("%s#%d", fi.in.LineCode, fi.in.Level)
			if other, ok := final[k]; ok && other != fi.in.Code {
				probs = append(probs, domain.Problem{Line: fi.line, Field: "level",
					Reason: fmt.Sprintf("line %s already has a self-rating statement for level %d (%s)", fi.in.LineCode, fi.in.Level, other), Value: fi.in.Code})
				continue
			}
			final[k] = fi.in.Code
		}
		if len(probs) > 0 {
			return importError(probs)
		}
		for _, fi := range rows {
			line := f.LineByCode(fi.in.LineCode)
			if old, ok := byCode[fi.in.Code]; ok {
				if sameItem(old, fi.in) {
					rep.Unchanged++
					continue
				}
				fi.in.ID = old.ID
				rep.Updated++
			} else {
				rep.Added++
			}
			if _, err := s.writeItem(ctx, tx, bankID, line.ID, fi.in); err != nil {
				return fmt.Errorf("line %d: %w", fi.line, err)
			}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "import", Entity: "assess_bank", EntityID: bankID, After: rep})
	})
	return rep, err
}

func importError(probs []domain.Problem) error {
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	return &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("the file has %d problems: nothing was imported", len(probs)), Details: probs}
}

func sameItem(old Item, in ItemInput) bool {
	if old.LineCode != in.LineCode || old.Kind != in.Kind || old.Level != in.Level || old.TextIT != in.TextIT || old.TextEN != in.TextEN ||
		old.ExplanationIT != strings.TrimSpace(in.ExplanationIT) || old.ExplanationEN != strings.TrimSpace(in.ExplanationEN) {
		return false
	}
	if len(old.Options) == 0 && len(in.Options) == 0 {
		return true
	}
	return reflect.DeepEqual(old.Options, in.Options)
}

func parseBankJSON(r io.Reader) ([]fileItem, []domain.Problem) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, []domain.Problem{{Reason: "cannot read the file: " + err.Error()}}
	}
	var f BankFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = lineAt(data, se.Offset)
		case errors.As(err, &te):
			line = lineAt(data, te.Offset)
		}
		field := "file"
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			// The decoder gives no offset for it: name the field (even an empty name).
			if field = strings.Trim(f, `"`); field == "" {
				field = `""`
			}
		}
		return nil, []domain.Problem{{Line: line, Field: field, Reason: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}}
	}
	if len(f.Items) == 0 {
		return nil, []domain.Problem{{Field: "items", Reason: "the file has no items"}}
	}
	// Report JSON problems by item number (1-based), as the line of a table.
	out := make([]fileItem, len(f.Items))
	for i, it := range f.Items {
		// "options": [] and no options are the same item (the export omits an empty list).
		if len(it.Options) == 0 {
			it.Options = nil
		}
		out[i] = fileItem{line: i + 1, in: it}
	}
	return out, nil
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

func parseBankCSV(r io.Reader) ([]fileItem, []domain.Problem) {
	br := bufio.NewReader(r)
	first, _ := br.Peek(4096)
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	// Spreadsheets in Italy often save with semicolons.
	if nl := bytes.IndexByte(first, '\n'); nl > 0 && bytes.Count(first[:nl], []byte(";")) > bytes.Count(first[:nl], []byte(",")) {
		cr.Comma = ';'
	}
	header, err := cr.Read()
	if err != nil {
		return nil, []domain.Problem{{Line: 1, Reason: "cannot read the header: " + err.Error()}}
	}
	col := map[string]int{}
	var probs []domain.Problem
	known := map[string]bool{}
	for _, h := range CSVHeader {
		known[h] = true
	}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !known[h] {
			probs = append(probs, domain.Problem{Line: 1, Field: h, Reason: "unknown column"})
			continue
		}
		col[h] = i
	}
	for _, need := range []string{"code", "line", "kind", "level", "text_it"} {
		if _, ok := col[need]; !ok {
			probs = append(probs, domain.Problem{Line: 1, Field: need, Reason: "missing column"})
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []fileItem
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The line from the error itself: FieldPos panics when Read returned no record.
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			probs = append(probs, domain.Problem{Line: line, Field: "file", Reason: "malformed CSV: " + err.Error()})
			// Only a row of the wrong width lets reading go on; after broken quoting or a
			// failing reader (a body over its cap fails every read) it would never end.
			if pe == nil || pe.Err != csv.ErrFieldCount {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		in := ItemInput{Code: get(rec, "code"), LineCode: get(rec, "line"), Kind: get(rec, "kind"), TextIT: get(rec, "text_it"), TextEN: get(rec, "text_en"),
			ExplanationIT: get(rec, "explanation_it"), ExplanationEN: get(rec, "explanation_en")}
		lv, err := strconv.Atoi(get(rec, "level"))
		if err != nil {
			probs = append(probs, domain.Problem{Line: line, Field: "level", Reason: "level must be a whole number", Value: get(rec, "level")})
			continue
		}
		in.Level = lv
		correct := 0
		if c := get(rec, "correct"); c != "" {
			if correct, err = strconv.Atoi(c); err != nil || correct < 1 || correct > maxOptions {
				probs = append(probs, domain.Problem{Line: line, Field: "correct", Reason: fmt.Sprintf("correct must be the number of an option, 1 to %d", maxOptions), Value: c})
				continue
			}
		}
		for i := 1; i <= maxOptions; i++ {
			it, en := get(rec, fmt.Sprintf("option_%d_it", i)), get(rec, fmt.Sprintf("option_%d_en", i))
			if it == "" && en == "" {
				if i == correct {
					probs = append(probs, domain.Problem{Line: line, Field: "correct", Reason: "the right answer points at an empty option", Value: strconv.Itoa(correct)})
				}
				continue
			}
			in.Options = append(in.Options, Option{TextIT: it, TextEN: en, Correct: i == correct})
		}
		out = append(out, fileItem{line: line, in: in})
	}
	if len(out) == 0 && len(probs) == 0 {
		probs = append(probs, domain.Problem{Line: 2, Reason: "the file has no items"})
	}
	return out, probs
}
