package assess

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Bank states. A draft bank is edited; publishing it retires the previously published bank
// of the same framework version; a published bank never changes.
const (
	BankDraft     = "draft"
	BankPublished = "published"
	BankRetired   = "retired"
)

// Item kinds of the bank.
const (
	ItemSelf      = "self"      // a self-rating statement of a line at a level
	ItemKnowledge = "knowledge" // a multiple-choice knowledge or scenario question evidencing a level
)

// Bank is one version of the item bank of a framework version.
type Bank struct {
	ID             int64      `json:"id"`
	FrameworkID    int64      `json:"framework_id"`
	Framework      string     `json:"framework"`
	FrameworkState string     `json:"framework_state"`
	Version        int        `json:"version"`
	State          string     `json:"state"`
	BasedOnID      int64      `json:"based_on_id,omitempty"`
	Source         string     `json:"source"`
	CreatedAt      time.Time  `json:"created_at"`
	PublishedAt    *time.Time `json:"published_at,omitempty"`
	SelfItems      int        `json:"self_items"`
	KnowledgeItems int        `json:"knowledge_items"`
}

// Item is a question of the bank.
type Item struct {
	ID            int64    `json:"id"`
	BankID        int64    `json:"bank_id"`
	Code          string   `json:"code"`
	LineID        int64    `json:"line_id"`
	LineCode      string   `json:"line"`
	Kind          string   `json:"kind"`
	Level         int      `json:"level"`
	TextIT        string   `json:"text_it"`
	TextEN        string   `json:"text_en,omitempty"`
	ExplanationIT string   `json:"explanation_it,omitempty"`
	ExplanationEN string   `json:"explanation_en,omitempty"`
	Position      int      `json:"position"`
	Options       []Option `json:"options,omitempty"`
}

// Option is one answer of a knowledge question.
type Option struct {
	TextIT  string `json:"text_it"`
	TextEN  string `json:"text_en,omitempty"`
	Correct bool   `json:"correct,omitempty"`
}

// Text returns the item's text in lang (Italian when there is no translation).
func (it Item) Text(lang string) string {
	if lang == "en" && it.TextEN != "" {
		return it.TextEN
	}
	return it.TextIT
}

// Explanation returns the explanation in lang.
func (it Item) Explanation(lang string) string {
	if lang == "en" && it.ExplanationEN != "" {
		return it.ExplanationEN
	}
	return it.ExplanationIT
}

// Text returns the option's text in lang.
func (o Option) Text(lang string) string {
	if lang == "en" && o.TextEN != "" {
		return o.TextEN
	}
	return o.TextIT
}

// CorrectOption is the 1-based position of the right answer (0 if none).
func (it Item) CorrectOption() int {
	for i, o := range it.Options {
		if o.Correct {
			return i + 1
		}
	}
	return 0
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// requireNational lets national governance (and the system) author the bank.
func requireNational(ctx context.Context) (domain.Actor, error) {
	return domain.Require(ctx, domain.RoleNational)
}

// ListBanks returns every bank version with its item counts. National governance only: the
// bank holds the right answers.
func (s *Service) ListBanks(ctx context.Context) ([]Bank, error) {
	if _, err := requireNational(ctx); err != nil {
		return nil, err
	}
	return s.banks(ctx, s.DB.Read, 0)
}

func (s *Service) banks(ctx context.Context, q db.Querier, id int64) ([]Bank, error) {
	query := `SELECT b.id, b.framework_id, f.code || ' ' || f.version, f.state, b.version, b.state, COALESCE(b.based_on_id, 0), b.source,
		b.created_at, b.published_at,
		(SELECT COUNT(*) FROM assess_items i WHERE i.bank_id = b.id AND i.kind = 'self'),
		(SELECT COUNT(*) FROM assess_items i WHERE i.bank_id = b.id AND i.kind = 'knowledge')
		FROM assess_banks b JOIN framework_versions f ON f.id = b.framework_id`
	var args []any
	if id != 0 {
		query += ` WHERE b.id = $1`
		args = append(args, id)
	}
	query += ` ORDER BY b.framework_id, b.version`
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Bank
	for rows.Next() {
		var b Bank
		var pub sql.NullTime
		if err := rows.Scan(&b.ID, &b.FrameworkID, &b.Framework, &b.FrameworkState, &b.Version, &b.State, &b.BasedOnID, &b.Source,
			&b.CreatedAt, &pub, &b.SelfItems, &b.KnowledgeItems); err != nil {
			return nil, err
		}
		if pub.Valid {
			t := pub.Time
			b.PublishedAt = &t
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Bank returns one bank version.
func (s *Service) Bank(ctx context.Context, id int64) (Bank, error) {
	if _, err := requireNational(ctx); err != nil {
		return Bank{}, err
	}
	return s.bank(ctx, s.DB.Read, id)
}

func (s *Service) bank(ctx context.Context, q db.Querier, id int64) (Bank, error) {
	bs, err := s.banks(ctx, q, id)
	if err != nil {
		return Bank{}, err
	}
	if len(bs) == 0 {
		return Bank{}, domain.NotFound("item bank")
	}
	return bs[0], nil
}

// Items returns the items of a bank (of one line when lineID is not 0), in tree order of
// their lines, self-ratings first, then by level.
func (s *Service) Items(ctx context.Context, bankID, lineID int64) ([]Item, error) {
	if _, err := requireNational(ctx); err != nil {
		return nil, err
	}
	if _, err := s.bank(ctx, s.DB.Read, bankID); err != nil {
		return nil, err
	}
	return s.loadItems(ctx, s.DB.Read, bankID, lineID)
}

func (s *Service) loadItems(ctx context.Context, q db.Querier, bankID, lineID int64) ([]Item, error) {
	query := `SELECT i.id, i.bank_id, i.code, i.line_id, fi.code, i.kind, i.level, i.text_it, i.text_en, i.explanation_it, i.explanation_en, i.position
		FROM assess_items i JOIN framework_items fi ON fi.id = i.line_id WHERE i.bank_id = $1`
	args := []any{bankID}
	if lineID != 0 {
		query += ` AND i.line_id = $2`
		args = append(args, lineID)
	}
	query += ` ORDER BY i.line_id, CASE WHEN i.kind = 'self' THEN 0 ELSE 1 END, i.level, i.position, i.id`
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var items []Item
	idx := map[int64]int{}
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.BankID, &it.Code, &it.LineID, &it.LineCode, &it.Kind, &it.Level, &it.TextIT, &it.TextEN,
			&it.ExplanationIT, &it.ExplanationEN, &it.Position); err != nil {
			rows.Close()
			return nil, err
		}
		idx[it.ID] = len(items)
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	oq := `SELECT o.item_id, o.text_it, o.text_en, o.correct FROM assess_item_options o JOIN assess_items i ON i.id = o.item_id
		WHERE i.bank_id = $1`
	if lineID != 0 {
		oq += ` AND i.line_id = $2`
	}
	oq += ` ORDER BY o.item_id, o.position`
	rows, err = q.QueryContext(ctx, oq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var o Option
		if err := rows.Scan(&id, &o.TextIT, &o.TextEN, &o.Correct); err != nil {
			return nil, err
		}
		if i, ok := idx[id]; ok {
			items[i].Options = append(items[i].Options, o)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Tree order of lines, which ids do not always follow.
	if len(items) > 0 {
		var fw int64
		if err := q.QueryRowContext(ctx, `SELECT framework_id FROM assess_banks WHERE id = $1`, bankID).Scan(&fw); err == nil {
			if f, err := s.framework(ctx, fw); err == nil {
				sortItems(f, items)
			}
		}
	}
	return items, nil
}

func sortItems(f *Framework, items []Item) {
	pos := func(it Item) int {
		if l := f.Line(it.LineID); l != nil {
			return l.Index
		}
		return 1 << 30
	}
	kind := func(it Item) int {
		if it.Kind == ItemSelf {
			return 0
		}
		return 1
	}
	sortSlice(items, func(a, b Item) bool {
		if pa, pb := pos(a), pos(b); pa != pb {
			return pa < pb
		}
		if ka, kb := kind(a), kind(b); ka != kb {
			return ka < kb
		}
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		return a.ID < b.ID
	})
}

// ItemInput is an item to create or change (by ID, or by Code on import).
type ItemInput struct {
	ID            int64    `json:"id,omitempty"`
	Code          string   `json:"code"`
	LineCode      string   `json:"line"`
	Kind          string   `json:"kind"`
	Level         int      `json:"level"`
	TextIT        string   `json:"text_it"`
	TextEN        string   `json:"text_en,omitempty"`
	ExplanationIT string   `json:"explanation_it,omitempty"`
	ExplanationEN string   `json:"explanation_en,omitempty"`
	Options       []Option `json:"options,omitempty"`
}

// validateItem checks one item against its framework; problems carry the field names.
func validateItem(f *Framework, in *ItemInput, line int) []domain.Problem {
	var ps []domain.Problem
	add := func(field, reason, value string) {
		ps = append(ps, domain.Problem{Line: line, Field: field, Reason: reason, Value: value})
	}
	in.Code = strings.TrimSpace(in.Code)
	in.LineCode = strings.TrimSpace(in.LineCode)
	in.Kind = strings.TrimSpace(in.Kind)
	in.TextIT = strings.TrimSpace(in.TextIT)
	in.TextEN = strings.TrimSpace(in.TextEN)
	if in.Code != "" && !codeRE.MatchString(in.Code) {
		add("code", "code must be 1-64 letters, digits, dots, dashes or underscores", in.Code)
	}
	if f.LineByCode(in.LineCode) == nil {
		if in.LineCode == "" {
			add("line", "line code is required", "")
		} else {
			add("line", "no line with this code in the framework version", in.LineCode)
		}
	}
	if in.Kind != ItemSelf && in.Kind != ItemKnowledge {
		add("kind", "kind must be self or knowledge", in.Kind)
	}
	if in.Level < 1 || in.Level > f.MaxLevel() {
		add("level", fmt.Sprintf("level must be on the scale, 1 to %d", f.MaxLevel()), fmt.Sprint(in.Level))
	}
	if in.TextIT == "" {
		add("text_it", "the Italian text is required", "")
	} else if len(in.TextIT) > 2000 {
		add("text_it", "the text is longer than 2000 characters", "")
	}
	switch in.Kind {
	case ItemSelf:
		if len(in.Options) > 0 {
			add("options", "a self-rating statement has no options", fmt.Sprint(len(in.Options)))
		}
	case ItemKnowledge:
		var clean []Option
		for _, o := range in.Options {
			o.TextIT, o.TextEN = strings.TrimSpace(o.TextIT), strings.TrimSpace(o.TextEN)
			if o.TextIT == "" && o.TextEN == "" && !o.Correct {
				continue
			}
			clean = append(clean, o)
		}
		in.Options = clean
		if len(clean) < 2 || len(clean) > 5 {
			add("options", "a knowledge question needs 2 to 5 options", fmt.Sprint(len(clean)))
		}
		correct := 0
		for i, o := range clean {
			if o.TextIT == "" {
				add(fmt.Sprintf("option_%d_it", i+1), "the Italian text of the option is required", "")
			}
			if o.Correct {
				correct++
			}
		}
		if correct != 1 {
			add("correct", "exactly one option must be the right answer", fmt.Sprint(correct))
		}
	}
	return ps
}

// SaveItem creates (ID 0) or changes an item of a draft bank. National governance only.
func (s *Service) SaveItem(ctx context.Context, bankID int64, in ItemInput) (Item, error) {
	if _, err := requireNational(ctx); err != nil {
		return Item{}, err
	}
	var out Item
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		b, err := s.bank(ctx, tx, bankID)
		if err != nil {
			return err
		}
		if b.State != BankDraft {
			return &domain.Error{Code: domain.ECONFLICT, Message: fmt.Sprintf("version %d of the item bank is %s and cannot change: create a new version", b.Version, b.State)}
		}
		f, err := loadFramework(ctx, tx, b.FrameworkID)
		if err != nil {
			return err
		}
		var before *Item
		if in.ID != 0 {
			items, err := s.loadItemsByID(ctx, tx, bankID, in.ID)
			if err != nil {
				return err
			}
			before = &items
			if in.Code == "" {
				in.Code = before.Code
			}
		}
		if in.Code == "" {
			in.Code, err = s.nextCode(ctx, tx, bankID, in)
			if err != nil {
				return err
			}
		}
		if ps := validateItem(f, &in, 0); len(ps) > 0 {
			e := domain.Invalid(ps[0].Field, "%s", ps[0].Reason)
			e.Details = ps
			return e
		}
		line := f.LineByCode(in.LineCode)
		if in.Kind == ItemSelf {
			var other int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM assess_items WHERE bank_id = $1 AND line_id = $2 AND kind = 'self' AND level = $3 AND id <> $4`,
				bankID, line.ID, in.Level, in.ID).Scan(&other)
			if err == nil {
				return domain.Invalid("level", "this line already has a self-rating statement for level %d", in.Level)
			}
			if err != sql.ErrNoRows {
				return err
			}
		}
		id, err := s.writeItem(ctx, tx, bankID, line.ID, in)
		if err != nil {
			return err
		}
		it, err := s.loadItemsByID(ctx, tx, bankID, id)
		if err != nil {
			return err
		}
		out = it
		action := "create"
		var bf any
		if before != nil {
			action, bf = "update", before
		}
		return audit.Record(ctx, tx, audit.Change{Action: action, Entity: "assess_item", EntityID: id, Before: bf, After: it})
	})
	return out, err
}

func (s *Service) nextCode(ctx context.Context, q db.Querier, bankID int64, in ItemInput) (string, error) {
	prefix := "K-"
	if in.Kind == ItemSelf {
		prefix = "S-"
	}
	base := prefix + in.LineCode
	for n := 1; n < 1000; n++ {
		code := fmt.Sprintf("%s-%d", base, n)
		var id int64
		err := q.QueryRowContext(ctx, `SELECT id FROM assess_items WHERE bank_id = $1 AND code = $2`, bankID, code).Scan(&id)
		if err == sql.ErrNoRows {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", domain.Invalid("code", "could not choose a code: give one")
}

// writeItem inserts or replaces (by in.ID) an item and its options.
func (s *Service) writeItem(ctx context.Context, tx db.Querier, bankID, lineID int64, in ItemInput) (int64, error) {
	now := s.now()
	id := in.ID
	if id == 0 {
		var pos int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM assess_items WHERE bank_id = $1 AND line_id = $2`,
			bankID, lineID).Scan(&pos); err != nil {
			return 0, err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO assess_items (bank_id, code, line_id, kind, level, text_it, text_en, explanation_it, explanation_en,
			position, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING id`,
			bankID, in.Code, lineID, in.Kind, in.Level, in.TextIT, in.TextEN, strings.TrimSpace(in.ExplanationIT), strings.TrimSpace(in.ExplanationEN),
			pos, now).Scan(&id); err != nil {
			return 0, db.MapError(err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE assess_items SET code = $1, line_id = $2, kind = $3, level = $4, text_it = $5, text_en = $6,
			explanation_it = $7, explanation_en = $8, updated_at = $9 WHERE id = $10 AND bank_id = $11`,
			in.Code, lineID, in.Kind, in.Level, in.TextIT, in.TextEN, strings.TrimSpace(in.ExplanationIT), strings.TrimSpace(in.ExplanationEN), now, id, bankID)
		if err != nil {
			return 0, db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, domain.NotFound("item")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM assess_item_options WHERE item_id = $1`, id); err != nil {
			return 0, err
		}
	}
	for i, o := range in.Options {
		if _, err := tx.ExecContext(ctx, `INSERT INTO assess_item_options (item_id, position, text_it, text_en, correct) VALUES ($1,$2,$3,$4,$5)`,
			id, i+1, o.TextIT, o.TextEN, o.Correct); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func (s *Service) loadItemsByID(ctx context.Context, q db.Querier, bankID, id int64) (Item, error) {
	var lineID int64
	err := q.QueryRowContext(ctx, `SELECT line_id FROM assess_items WHERE id = $1 AND bank_id = $2`, id, bankID).Scan(&lineID)
	if err == sql.ErrNoRows {
		return Item{}, domain.NotFound("item")
	}
	if err != nil {
		return Item{}, err
	}
	items, err := s.loadItems(ctx, q, bankID, lineID)
	if err != nil {
		return Item{}, err
	}
	for _, it := range items {
		if it.ID == id {
			return it, nil
		}
	}
	return Item{}, domain.NotFound("item")
}

// Item returns one item of a bank (national governance only).
func (s *Service) Item(ctx context.Context, bankID, id int64) (Item, error) {
	if _, err := requireNational(ctx); err != nil {
		return Item{}, err
	}
	return s.loadItemsByID(ctx, s.DB.Read, bankID, id)
}

// DeleteItem removes an item from a draft bank.
func (s *Service) DeleteItem(ctx context.Context, bankID, id int64) error {
	if _, err := requireNational(ctx); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		b, err := s.bank(ctx, tx, bankID)
		if err != nil {
			return err
		}
		if b.State != BankDraft {
			return &domain.Error{Code: domain.ECONFLICT, Message: fmt.Sprintf("version %d of the item bank is %s and cannot change", b.Version, b.State)}
		}
		it, err := s.loadItemsByID(ctx, tx, bankID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM assess_items WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "delete", Entity: "assess_item", EntityID: id, Before: it})
	})
}

// CreateBank starts a new draft version of the bank of a framework version: a copy of its
// latest bank; else, for a version derived from another, a copy of that version's published
// bank with lines matched by code; else a generated bank (self-ratings for every line and the
// default knowledge questions). Missing self-rating statements are generated in any case.
func (s *Service) CreateBank(ctx context.Context, frameworkID int64) (Bank, error) {
	if _, err := requireNational(ctx); err != nil {
		return Bank{}, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.createBank(ctx, tx, frameworkID, BankDraft)
		return err
	})
	if err != nil {
		return Bank{}, err
	}
	return s.bank(ctx, s.DB.Read, id)
}

func (s *Service) createBank(ctx context.Context, tx *sql.Tx, frameworkID int64, state string) (int64, error) {
	f, err := loadFramework(ctx, tx, frameworkID)
	if err != nil {
		return 0, err
	}
	if f.State == FrameworkRetired {
		return 0, &domain.Error{Code: domain.ECONFLICT, Message: "the framework version is retired: its item bank cannot change"}
	}
	var draft int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM assess_banks WHERE framework_id = $1 AND state = 'draft'`, frameworkID).Scan(&draft)
	if err == nil {
		return 0, &domain.Error{Code: domain.ECONFLICT, Message: fmt.Sprintf("this framework version already has a draft item bank (id %d)", draft)}
	}
	if err != sql.ErrNoRows {
		return 0, err
	}
	var version int
	var latest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM assess_banks WHERE framework_id = $1`, frameworkID).Scan(&version); err != nil {
		return 0, err
	}
	_ = tx.QueryRowContext(ctx, `SELECT id FROM assess_banks WHERE framework_id = $1 ORDER BY version DESC LIMIT 1`, frameworkID).Scan(&latest)
	source := "generated"
	var baseID int64
	var baseFw *Framework
	if latest.Valid {
		baseID, source, baseFw = latest.Int64, "copy", f
	} else {
		var basedOn sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT based_on_id FROM framework_versions WHERE id = $1`, frameworkID).Scan(&basedOn); err != nil {
			return 0, err
		}
		if basedOn.Valid {
			var pb int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM assess_banks WHERE framework_id = $1 ORDER BY CASE state WHEN 'published' THEN 0 ELSE 1 END, version DESC LIMIT 1`,
				basedOn.Int64).Scan(&pb)
			if err == nil {
				baseID, source = pb, "copy"
				if baseFw, err = loadFramework(ctx, tx, basedOn.Int64); err != nil {
					return 0, err
				}
			} else if err != sql.ErrNoRows {
				return 0, err
			}
		}
	}
	now := s.now()
	var based any
	if baseID != 0 {
		based = baseID
	}
	var pub any
	if state == BankPublished {
		pub = now
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO assess_banks (framework_id, version, state, based_on_id, source, created_at, published_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id`, frameworkID, version, state, based, source, now, pub).Scan(&id); err != nil {
		return 0, db.MapError(err)
	}
	var items []ItemInput
	if baseID != 0 {
		old, err := s.loadItems(ctx, tx, baseID, 0)
		if err != nil {
			return 0, err
		}
		for _, it := range old {
			l := baseFw.Line(it.LineID)
			if l == nil || f.LineByCode(l.Code) == nil {
				continue // the line is gone in this version
			}
			items = append(items, ItemInput{Code: it.Code, LineCode: l.Code, Kind: it.Kind, Level: it.Level, TextIT: it.TextIT, TextEN: it.TextEN,
				ExplanationIT: it.ExplanationIT, ExplanationEN: it.ExplanationEN, Options: it.Options})
		}
	} else {
		items = append(items, DefaultKnowledgeItems(f)...)
	}
	items = append(items, missingSelfItems(f, items)...)
	for _, in := range items {
		if _, err := s.writeItem(ctx, tx, id, f.LineByCode(in.LineCode).ID, in); err != nil {
			return 0, fmt.Errorf("item %s: %w", in.Code, err)
		}
	}
	if err := audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "assess_bank", EntityID: id,
		After: map[string]any{"framework_id": frameworkID, "version": version, "state": state, "source": source, "based_on_id": based, "items": len(items)}}); err != nil {
		return 0, err
	}
	if state == BankPublished {
		if _, err := tx.ExecContext(ctx, `UPDATE assess_banks SET state = 'retired', retired_at = $1 WHERE framework_id = $2 AND state = 'published' AND id <> $3`,
			now, frameworkID, id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// missingSelfItems generates the self-rating statements the items lack: one per level of the
// scale for every line.
func missingSelfItems(f *Framework, have []ItemInput) []ItemInput {
	got := map[string]bool{}
	for _, it := range have {
		if it.Kind == ItemSelf {
			got[fmt.Sprintf("%s#%d", it.LineCode, it.Level)] = true
		}
	}
	var out []ItemInput
	max := f.MaxLevel()
	for _, l := range f.Lines {
		for lv := 1; lv <= max; lv++ {
			if got[fmt.Sprintf("%s#%d", l.Code, lv)] {
				continue
			}
			it, en := SelfStatement(l, lv, max)
			out = append(out, ItemInput{Code: fmt.Sprintf("S-%s-%d", l.Code, lv), LineCode: l.Code, Kind: ItemSelf, Level: lv, TextIT: it, TextEN: en})
		}
	}
	return out
}

// GenerateMissing adds the missing self-rating statements to a draft bank.
func (s *Service) GenerateMissing(ctx context.Context, bankID int64) (int, error) {
	if _, err := requireNational(ctx); err != nil {
		return 0, err
	}
	n := 0
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		b, err := s.bank(ctx, tx, bankID)
		if err != nil {
			return err
		}
		if b.State != BankDraft {
			return &domain.Error{Code: domain.ECONFLICT, Message: "only a draft item bank can change"}
		}
		f, err := loadFramework(ctx, tx, b.FrameworkID)
		if err != nil {
			return err
		}
		items, err := s.loadItems(ctx, tx, bankID, 0)
		if err != nil {
			return err
		}
		var have []ItemInput
		codes := map[string]bool{}
		for _, it := range items {
			have = append(have, ItemInput{LineCode: it.LineCode, Kind: it.Kind, Level: it.Level})
			codes[it.Code] = true
		}
		for _, in := range missingSelfItems(f, have) {
			for codes[in.Code] {
				in.Code += "g"
			}
			if _, err := s.writeItem(ctx, tx, bankID, f.LineByCode(in.LineCode).ID, in); err != nil {
				return err
			}
			n++
		}
		return audit.Record(ctx, tx, audit.Change{Action: "generate", Entity: "assess_bank", EntityID: bankID, After: map[string]int{"added": n}})
	})
	return n, err
}

// Coverage lists what a bank lacks: lines without a full set of self-rating statements
// (blocking publication) and lines without knowledge questions (informative).
func (s *Service) coverage(ctx context.Context, q db.Querier, b Bank) (missingSelf []domain.Problem, noKnowledge int, err error) {
	f, err := loadFramework(ctx, q, b.FrameworkID)
	if err != nil {
		return nil, 0, err
	}
	items, err := s.loadItems(ctx, q, b.ID, 0)
	if err != nil {
		return nil, 0, err
	}
	self := map[int64]map[int]bool{}
	know := map[int64]int{}
	for _, it := range items {
		if it.Kind == ItemSelf {
			if self[it.LineID] == nil {
				self[it.LineID] = map[int]bool{}
			}
			self[it.LineID][it.Level] = true
		} else {
			know[it.LineID]++
		}
	}
	for _, l := range f.Lines {
		for lv := 1; lv <= f.MaxLevel(); lv++ {
			if !self[l.ID][lv] {
				missingSelf = append(missingSelf, domain.Problem{Field: "line", Reason: fmt.Sprintf("no self-rating statement for level %d", lv), Value: l.Code})
			}
		}
		if know[l.ID] == 0 {
			noKnowledge++
		}
	}
	return missingSelf, noKnowledge, nil
}

// PublishBank publishes a draft bank: every line must have a self-rating statement for every
// level. The bank published before for the same framework version is retired (assessments
// already started keep their questions).
func (s *Service) PublishBank(ctx context.Context, id int64) (Bank, error) {
	if _, err := requireNational(ctx); err != nil {
		return Bank{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		b, err := s.bank(ctx, tx, id)
		if err != nil {
			return err
		}
		if b.State != BankDraft {
			return &domain.Error{Code: domain.ECONFLICT, Message: fmt.Sprintf("version %d of the item bank is already %s", b.Version, b.State)}
		}
		if b.FrameworkState == FrameworkRetired {
			return &domain.Error{Code: domain.ECONFLICT, Message: "the framework version is retired"}
		}
		missing, _, err := s.coverage(ctx, tx, b)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("%d self-rating statements are missing: generate them or write them before publishing", len(missing)), Details: missing}
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE assess_banks SET state = 'retired', retired_at = $1 WHERE framework_id = $2 AND state = 'published'`, now, b.FrameworkID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assess_banks SET state = 'published', published_at = $1 WHERE id = $2`, now, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "publish", Entity: "assess_bank", EntityID: id, Before: map[string]string{"state": b.State}, After: map[string]string{"state": BankPublished}})
	})
	if err != nil {
		return Bank{}, err
	}
	return s.bank(ctx, s.DB.Read, id)
}

// EnsureDefaultBanks gives every published framework version that has no item bank yet a
// published one (copied from the version it derives from, or generated). It is the start-up
// step: idempotent, and a no-op until the portfolio has a published version.
func (s *Service) EnsureDefaultBanks(ctx context.Context) error {
	if _, err := requireNational(ctx); err != nil {
		return err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT f.id FROM framework_versions f WHERE f.state = 'published'
		AND NOT EXISTS (SELECT 1 FROM assess_banks b WHERE b.framework_id = f.id) ORDER BY f.id`)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
			_, err := s.createBank(ctx, tx, id, BankPublished)
			return err
		})
		if err != nil {
			return fmt.Errorf("default item bank of framework %d: %w", id, err)
		}
	}
	return nil
}

// bankFor returns the published bank of a published framework version, creating it first
// (copied or generated, as at start-up) when the version has no bank at all, e.g. because it
// was published after the platform started.
func (s *Service) bankFor(ctx context.Context, frameworkID int64) (int64, error) {
	id, err := publishedBank(ctx, s.DB.Read, frameworkID)
	if err == nil || domain.ErrorCode(err) != domain.ECONFLICT {
		return id, err
	}
	var n int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM assess_banks WHERE framework_id = $1`, frameworkID).Scan(&n); err != nil {
		return 0, err
	}
	state, _, serr := s.frameworkState(ctx, s.DB.Read, frameworkID)
	if n > 0 || serr != nil || state != FrameworkPublished {
		return 0, err
	}
	sys := domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), domain.RequestIDFrom(ctx))
	txErr := s.DB.Tx(sys, func(tx *sql.Tx) error {
		var again int
		if err := tx.QueryRowContext(sys, `SELECT COUNT(*) FROM assess_banks WHERE framework_id = $1`, frameworkID).Scan(&again); err != nil || again > 0 {
			return err
		}
		_, err := s.createBank(sys, tx, frameworkID, BankPublished)
		return err
	})
	if txErr != nil {
		return 0, txErr
	}
	return publishedBank(ctx, s.DB.Read, frameworkID)
}

// publishedBank returns the published bank of a framework version.
func publishedBank(ctx context.Context, q db.Querier, frameworkID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM assess_banks WHERE framework_id = $1 AND state = 'published'`, frameworkID).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, errK(domain.ECONFLICT, "", "assess.err.no_bank", "this portfolio version has no published item bank yet")
	}
	return id, err
}
