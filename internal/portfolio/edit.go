package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// frozen is the error of every write to a version that is not a draft.
func frozen(v Version) error {
	return &domain.Error{Code: domain.ECONFLICT, Message: fmt.Sprintf(
		"version %s is %s and cannot be changed: a published or retired version is immutable; create a new draft from it",
		v.Label(), v.State)}
}

// draftForUpdate reads a version inside a write transaction and refuses anything but a draft.
func (s *Service) draftForUpdate(ctx context.Context, tx *sql.Tx, id int64) (Version, error) {
	q := `SELECT ` + versionCols + ` FROM framework_versions WHERE id = $1`
	if s.DB.IsPostgres() {
		q += ` FOR UPDATE`
	}
	v, err := scanVersion(tx.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, domain.NotFound("framework version")
	}
	if err != nil {
		return v, err
	}
	if v.State != StateDraft {
		return v, frozen(v)
	}
	return v, nil
}

// itemForUpdate reads an item and its draft version inside a write transaction.
func (s *Service) itemForUpdate(ctx context.Context, tx *sql.Tx, id int64) (Item, Version, error) {
	it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return it, Version{}, domain.NotFound("portfolio item")
	}
	if err != nil {
		return it, Version{}, err
	}
	v, err := s.draftForUpdate(ctx, tx, it.VersionID)
	return it, v, err
}

// NewDraft describes a draft started as a copy of another version.
type NewDraft struct {
	// Version is the new label; empty = the next one after the base's (0.1 → 0.2).
	Version string `json:"version"`
	// TitleIT, if set, replaces the base's title.
	TitleIT string `json:"title_it,omitempty"`
}

// CreateDraft starts a new draft as a deep copy of version baseID: scale, tree, level
// descriptors, crosswalks and source references. Any version (draft, published or retired)
// may be the base.
func (s *Service) CreateDraft(ctx context.Context, baseID int64, in NewDraft) (Version, error) {
	if _, err := requireWriter(ctx); err != nil {
		return Version{}, err
	}
	base, err := s.visibleVersion(ctx, baseID)
	if err != nil {
		return Version{}, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		doc, err := loadDocument(ctx, tx, baseID)
		if err != nil {
			return err
		}
		label := strings.TrimSpace(in.Version)
		if label == "" {
			if label, err = nextLabel(ctx, tx, base.Code, base.Version); err != nil {
				return err
			}
		} else if taken, err := labelTaken(ctx, tx, base.Code, label); err != nil {
			return err
		} else if taken {
			return domain.Invalid("version", "version %s %s already exists", base.Code, label)
		}
		if len(label) > maxCodeLen {
			return domain.Invalid("version", "a version label has at most %d characters", maxCodeLen)
		}
		doc.Framework.Version = label
		if t := strings.TrimSpace(in.TitleIT); t != "" {
			doc.Framework.TitleIT = t
		}
		id, err = s.insertDocument(ctx, tx, doc, insertMeta{BasedOnID: baseID, Source: "copy:" + base.Label()})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "framework_version", EntityID: id,
			After: map[string]any{"code": base.Code, "version": label, "based_on": base.Label(), "state": StateDraft}})
	})
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, id)
}

func labelTaken(ctx context.Context, q db.Querier, code, label string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM framework_versions WHERE code = $1 AND version = $2`, code, label).Scan(&n)
	return n > 0, err
}

var trailingNumber = regexp.MustCompile(`^(.*?)(\d+)$`)

// nextLabel proposes the first free label after base: the trailing number goes up
// ("0.1" → "0.2", "2025.9" → "2025.10"); a label without one gets "-2", "-3"…
func nextLabel(ctx context.Context, q db.Querier, code, base string) (string, error) {
	prefix, n := base+"-", 1
	if m := trailingNumber.FindStringSubmatch(base); m != nil {
		prefix = m[1]
		n, _ = strconv.Atoi(m[2])
	}
	for i := 0; i < 1000; i++ {
		n++
		label := prefix + strconv.Itoa(n)
		taken, err := labelTaken(ctx, q, code, label)
		if err != nil || !taken {
			return label, err
		}
	}
	return "", domain.Errorf(domain.ECONFLICT, "no free version label after %s", base)
}

// SuggestLabel returns the label CreateDraft would give a copy of version id.
func (s *Service) SuggestLabel(ctx context.Context, id int64) (string, error) {
	v, err := s.visibleVersion(ctx, id)
	if err != nil {
		return "", err
	}
	return nextLabel(ctx, s.DB.Read, v.Code, v.Version)
}

// Publish freezes a draft. It must hold at least one line, and every line a title; from
// now on nothing in it can change.
func (s *Service) Publish(ctx context.Context, id int64) (Version, error) {
	if _, err := requireWriter(ctx); err != nil {
		return Version{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.draftForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		var lines int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM framework_items WHERE framework_id = $1 AND kind = $2`, id, KindLine).Scan(&lines); err != nil {
			return err
		}
		if lines == 0 {
			return domain.Errorf(domain.EINVALID, "version %s has no lines: nothing to publish", v.Label())
		}
		var levels int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM scale_levels WHERE framework_id = $1`, id).Scan(&levels); err != nil {
			return err
		}
		if levels < 2 {
			return domain.Errorf(domain.EINVALID, "version %s has no proficiency scale", v.Label())
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE framework_versions SET state = $1, published_at = $2 WHERE id = $3`, StatePublished, now, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "publish", Entity: "framework_version", EntityID: id,
			Before: map[string]any{"state": v.State}, After: map[string]any{"state": StatePublished, "version": v.Label()}})
	})
	if err != nil {
		return Version{}, err
	}
	if s.OnPublish != nil {
		if err := s.OnPublish(ctx, id); err != nil {
			return Version{}, err
		}
	}
	return s.Version(ctx, id)
}

// Retire takes a published version out of use (or abandons a draft). A retired version
// stays readable, and immutable, for the records that refer to it.
func (s *Service) Retire(ctx context.Context, id int64) (Version, error) {
	if _, err := requireWriter(ctx); err != nil {
		return Version{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		v, err := getVersion(ctx, tx, id)
		if err != nil {
			return err
		}
		if v.State == StateRetired {
			return domain.Errorf(domain.ECONFLICT, "version %s is already retired", v.Label())
		}
		if _, err := tx.ExecContext(ctx, `UPDATE framework_versions SET state = $1, retired_at = $2 WHERE id = $3`, StateRetired, s.now(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "retire", Entity: "framework_version", EntityID: id,
			Before: map[string]any{"state": v.State}, After: map[string]any{"state": StateRetired, "version": v.Label()}})
	})
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, id)
}

// VersionInput is the editable metadata of a draft.
type VersionInput struct {
	Version       string `json:"version"`
	TitleIT       string `json:"title_it"`
	TitleEN       string `json:"title_en"`
	DescriptionIT string `json:"description_it"`
	DescriptionEN string `json:"description_en"`
	Illustrative  bool   `json:"illustrative"`
}

// UpdateVersion changes the metadata of a draft.
func (s *Service) UpdateVersion(ctx context.Context, id int64, in VersionInput) (Version, error) {
	if _, err := requireWriter(ctx); err != nil {
		return Version{}, err
	}
	in.Version, in.TitleIT = strings.TrimSpace(in.Version), strings.TrimSpace(in.TitleIT)
	if in.Version == "" {
		return Version{}, domain.Invalid("version", "missing version label")
	}
	if len(in.Version) > maxCodeLen {
		return Version{}, domain.Invalid("version", "a version label has at most %d characters", maxCodeLen)
	}
	if in.TitleIT == "" {
		return Version{}, domain.Invalid("title_it", "missing Italian title")
	}
	if err := textLimits(in.TitleEN, in.DescriptionIT, in.DescriptionEN); err != nil {
		return Version{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.draftForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Version != v.Version {
			if taken, err := labelTaken(ctx, tx, v.Code, in.Version); err != nil {
				return err
			} else if taken {
				return domain.Invalid("version", "version %s %s already exists", v.Code, in.Version)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE framework_versions SET version = $1, title_it = $2, title_en = $3, description_it = $4,
			description_en = $5, illustrative = $6 WHERE id = $7`, in.Version, in.TitleIT, in.TitleEN, in.DescriptionIT, in.DescriptionEN,
			in.Illustrative, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "framework_version", EntityID: id,
			Before: VersionInput{v.Version, v.TitleIT, v.TitleEN, v.DescriptionIT, v.DescriptionEN, v.Illustrative}, After: in})
	})
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, id)
}

func textLimits(texts ...string) error {
	for _, t := range texts {
		if len(t) > maxText {
			return domain.Invalid("description_it", "text longer than %d bytes", maxText)
		}
	}
	return nil
}

// UpdateScale changes the labels and descriptors of a draft's scale levels. The number of
// levels is fixed once a version exists (line descriptors and targets refer to them): to
// change it, import a framework with the new scale.
func (s *Service) UpdateScale(ctx context.Context, id int64, levels []Level) (Scale, error) {
	if _, err := requireWriter(ctx); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.draftForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		old, err := loadScale(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(levels) != len(old) {
			return domain.Invalid("scale", "the scale of %s has %d levels; send all of them (the number of levels cannot change)", v.Label(), len(old))
		}
		var p problems
		var dl []DocLevel
		for i, l := range levels {
			l.Code = old[i].Code
			if l.Level != old[i].Level {
				p.add(0, fmt.Sprintf("scale[%d].level", i), fmt.Sprint(l.Level), "unknown level: expected %d", old[i].Level)
			}
			dl = append(dl, DocLevel(l))
		}
		validateScale(&p, dl)
		if err := p.err("invalid scale"); err != nil {
			return err
		}
		for _, l := range dl {
			if _, err := tx.ExecContext(ctx, `UPDATE scale_levels SET label_it = $1, label_en = $2, descriptor_it = $3, descriptor_en = $4
				WHERE framework_id = $5 AND level = $6`, l.LabelIT, l.LabelEN, l.DescriptorIT, l.DescriptorEN, id, l.Level); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "framework_scale", EntityID: id, Before: old, After: dl})
	})
	if err != nil {
		return nil, err
	}
	return s.Scale(ctx, id)
}

// ItemInput is what an editor sets on an item.
type ItemInput struct {
	TitleIT       string `json:"title_it"`
	TitleEN       string `json:"title_en"`
	DescriptionIT string `json:"description_it"`
	DescriptionEN string `json:"description_en"`
}

func (in *ItemInput) clean() error {
	in.TitleIT, in.TitleEN = strings.TrimSpace(in.TitleIT), strings.TrimSpace(in.TitleEN)
	in.DescriptionIT, in.DescriptionEN = strings.TrimSpace(in.DescriptionIT), strings.TrimSpace(in.DescriptionEN)
	if in.TitleIT == "" {
		return domain.Invalid("title_it", "missing Italian title")
	}
	if len(in.TitleIT) > 500 || len(in.TitleEN) > 500 {
		return domain.Invalid("title_it", "a title has at most 500 characters")
	}
	return textLimits(in.DescriptionIT, in.DescriptionEN)
}

// NewItem is an item to add to a draft.
type NewItem struct {
	Kind     string `json:"kind"`      // dimension, area or line
	ParentID int64  `json:"parent_id"` // the dimension of an ambito, the ambito of a line
	// Code is optional: by default the next free code under the parent (D7, D1.A3,
	// D1.A3.L09), never reusing one seen in earlier versions of the framework.
	Code string `json:"code"`
	ItemInput
}

// AddItem adds a dimension, an ambito or a line at the end of its parent.
func (s *Service) AddItem(ctx context.Context, versionID int64, in NewItem) (Item, error) {
	if _, err := requireWriter(ctx); err != nil {
		return Item{}, err
	}
	if err := in.ItemInput.clean(); err != nil {
		return Item{}, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.draftForUpdate(ctx, tx, versionID)
		if err != nil {
			return err
		}
		var parent any
		parentCode := ""
		switch in.Kind {
		case KindDimension:
			if in.ParentID != 0 {
				return domain.Invalid("parent_id", "a dimension has no parent")
			}
		case KindArea, KindLine:
			want := KindDimension
			if in.Kind == KindLine {
				want = KindArea
			}
			p, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE id = $1`, in.ParentID))
			if errors.Is(err, sql.ErrNoRows) || (err == nil && p.VersionID != versionID) {
				return domain.Invalid("parent_id", "the parent is not an item of version %s", v.Label())
			}
			if err != nil {
				return err
			}
			if p.Kind != want {
				return domain.Invalid("parent_id", "the parent of a %s must be a %s, not a %s", in.Kind, want, p.Kind)
			}
			parent, parentCode = p.ID, p.Code
		default:
			return domain.Invalid("kind", "unknown kind %q: use dimension, area or line", in.Kind)
		}
		code := strings.TrimSpace(in.Code)
		if code == "" {
			if code, err = s.nextCode(ctx, tx, v.Code, in.Kind, parentCode); err != nil {
				return err
			}
		} else if !validCode(code) {
			return domain.Invalid("code", "a code has at most %d characters and no spaces", maxCodeLen)
		}
		var pos int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM framework_items WHERE framework_id = $1 AND kind = $2
			AND (parent_id = $3 OR ($3 IS NULL AND parent_id IS NULL))`, versionID, in.Kind, parent).Scan(&pos); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it, title_en,
			description_it, description_en, search_text) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
			versionID, in.Kind, code, parent, pos, in.TitleIT, in.TitleEN, in.DescriptionIT, in.DescriptionEN,
			searchText(code, in.TitleIT, in.TitleEN, in.DescriptionIT, in.DescriptionEN)).Scan(&id)
		if domain.ErrorCode(db.MapError(err)) == domain.ECONFLICT {
			return domain.Invalid("code", "code %s is already used in version %s", code, v.Label())
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "framework_item", EntityID: id,
			After: map[string]any{"version": v.Label(), "kind": in.Kind, "code": code, "title_it": in.TitleIT}})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, id)
}

// nextCode proposes the next free code: D<n> for a dimension, <dim>.A<n> for an ambito,
// <ambito>.L<nn> for a line. It looks at every version of the framework, so a code that
// was removed is never given to new content.
func (s *Service) nextCode(ctx context.Context, tx *sql.Tx, fwCode, kind, parentCode string) (string, error) {
	prefix, width := "D", 1
	switch kind {
	case KindArea:
		prefix = parentCode + ".A"
	case KindLine:
		prefix, width = parentCode+".L", 2
	}
	rows, err := tx.QueryContext(ctx, `SELECT i.code FROM framework_items i JOIN framework_versions v ON v.id = i.framework_id
		WHERE v.code = $1 AND i.kind = $2`, fwCode, kind)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	max := 0
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", err
		}
		if rest, ok := strings.CutPrefix(c, prefix); ok {
			if n, err := strconv.Atoi(rest); err == nil && n > max {
				max = n
			}
		}
	}
	return fmt.Sprintf("%s%0*d", prefix, width, max+1), rows.Err()
}

// UpdateItem changes the texts of an item of a draft.
func (s *Service) UpdateItem(ctx context.Context, id int64, in ItemInput) (Item, error) {
	if _, err := requireWriter(ctx); err != nil {
		return Item{}, err
	}
	if err := in.clean(); err != nil {
		return Item{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		it, _, err := s.itemForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE framework_items SET title_it = $1, title_en = $2, description_it = $3, description_en = $4,
			search_text = $5 WHERE id = $6`, in.TitleIT, in.TitleEN, in.DescriptionIT, in.DescriptionEN,
			searchText(it.Code, in.TitleIT, in.TitleEN, in.DescriptionIT, in.DescriptionEN), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "framework_item", EntityID: id,
			Before: ItemInput{it.TitleIT, it.TitleEN, it.DescriptionIT, it.DescriptionEN}, After: in})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, id)
}

// MoveItem moves an ambito to another dimension or a line to another ambito of the same
// draft, at the end of its new parent. The item keeps its code: codes are identities, not
// paths.
func (s *Service) MoveItem(ctx context.Context, id, newParentID int64) (Item, error) {
	if _, err := requireWriter(ctx); err != nil {
		return Item{}, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		it, v, err := s.itemForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if it.Kind == KindDimension {
			return domain.Invalid("parent_id", "a dimension has no parent")
		}
		p, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE id = $1`, newParentID))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && p.VersionID != it.VersionID) {
			return domain.Invalid("parent_id", "the new parent is not an item of version %s", v.Label())
		}
		if err != nil {
			return err
		}
		want := KindDimension
		if it.Kind == KindLine {
			want = KindArea
		}
		if p.Kind != want {
			return domain.Invalid("parent_id", "the parent of a %s must be a %s", it.Kind, want)
		}
		var pos int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM framework_items WHERE parent_id = $1`, p.ID).Scan(&pos); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE framework_items SET parent_id = $1, position = $2 WHERE id = $3`, p.ID, pos, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "move", Entity: "framework_item", EntityID: id,
			Before: map[string]any{"parent_id": it.ParentID}, After: map[string]any{"parent_id": p.ID, "parent_code": p.Code}})
	})
	if err != nil {
		return Item{}, err
	}
	return s.Item(ctx, id)
}

// RemoveItem deletes an item of a draft with everything under it (ambiti, lines, their
// level descriptors and crosswalks).
func (s *Service) RemoveItem(ctx context.Context, id int64) error {
	if _, err := requireWriter(ctx); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		it, v, err := s.itemForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM framework_items WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "delete", Entity: "framework_item", EntityID: id,
			Before: map[string]any{"version": v.Label(), "kind": it.Kind, "code": it.Code, "title_it": it.TitleIT}})
	})
}

// SetLevels replaces the level descriptors of a line of a draft. Every level must be on the
// version's scale; a level may be left out (no descriptor yet).
func (s *Service) SetLevels(ctx context.Context, id int64, levels []LineLevel) ([]LineLevel, error) {
	if _, err := requireWriter(ctx); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		it, _, err := s.itemForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if it.Kind != KindLine {
			return domain.Invalid("levels", "only lines have level descriptors")
		}
		scale, err := loadScale(ctx, tx, it.VersionID)
		if err != nil {
			return err
		}
		var p problems
		seen := map[int]bool{}
		var rows []any
		for i, l := range levels {
			l.DescriptorIT, l.DescriptorEN = strings.TrimSpace(l.DescriptorIT), strings.TrimSpace(l.DescriptorEN)
			field := fmt.Sprintf("levels[%d]", i)
			if !scale.Has(l.Level) {
				p.add(0, field+".level", fmt.Sprint(l.Level), "unknown level: the scale goes from %d to %d", scale.Min(), scale.Max())
				continue
			}
			if seen[l.Level] {
				p.add(0, field+".level", fmt.Sprint(l.Level), "level given twice")
			}
			seen[l.Level] = true
			if l.DescriptorIT == "" && l.DescriptorEN == "" {
				continue // an empty row clears that level
			}
			if l.DescriptorIT == "" {
				p.add(0, field+".descriptor_it", fmt.Sprint(l.Level), "missing Italian descriptor")
			}
			if len(l.DescriptorIT) > maxText || len(l.DescriptorEN) > maxText {
				p.add(0, field, fmt.Sprint(l.Level), "text longer than %d bytes", maxText)
			}
			rows = append(rows, id, l.Level, l.DescriptorIT, l.DescriptorEN)
		}
		if err := p.err("invalid level descriptors"); err != nil {
			return err
		}
		old, err := loadLineLevels(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM line_levels WHERE item_id = $1`, id); err != nil {
			return err
		}
		if err := insertRows(ctx, tx, `INSERT INTO line_levels (item_id, level, descriptor_it, descriptor_en) VALUES `, 4, rows); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "line_levels", EntityID: id, Before: old, After: levels})
	})
	if err != nil {
		return nil, err
	}
	return loadLineLevels(ctx, s.DB.Read, id)
}

// SetCrosswalks replaces the crosswalks of a line of a draft. ECM and DigComp targets must
// exist in the reference lists; their label is filled from there when left empty.
func (s *Service) SetCrosswalks(ctx context.Context, id int64, cws []Crosswalk) ([]Crosswalk, error) {
	if _, err := requireWriter(ctx); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		it, _, err := s.itemForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if it.Kind != KindLine {
			return domain.Invalid("crosswalks", "only lines have crosswalks")
		}
		var p problems
		seen := map[string]bool{}
		var rows []any
		for i, c := range cws {
			c.Scheme, c.Code, c.Label = strings.TrimSpace(c.Scheme), strings.TrimSpace(c.Code), strings.TrimSpace(c.Label)
			field := fmt.Sprintf("crosswalks[%d]", i)
			if err := checkCrosswalk(c.Scheme, c.Code, c.Relation); err != nil {
				e := domain.AsError(err)
				p.add(0, field+"."+e.Field, c.Scheme+" "+c.Code, "%s", e.Message)
				continue
			}
			if seen[c.Scheme+"\x00"+c.Code] {
				p.add(0, field, c.Scheme+" "+c.Code, "crosswalk given twice")
			}
			seen[c.Scheme+"\x00"+c.Code] = true
			if c.Label == "" {
				c.Label = refLabel(c.Scheme, c.Code)
			}
			rows = append(rows, id, c.Scheme, c.Code, c.Label, c.Relation)
		}
		if err := p.err("invalid crosswalks"); err != nil {
			return err
		}
		old, err := loadCrosswalks(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM crosswalks WHERE item_id = $1`, id); err != nil {
			return err
		}
		if err := insertRows(ctx, tx, `INSERT INTO crosswalks (item_id, scheme, target_code, target_label, relation) VALUES `, 5, rows); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "crosswalks", EntityID: id, Before: old, After: cws})
	})
	if err != nil {
		return nil, err
	}
	return loadCrosswalks(ctx, s.DB.Read, id)
}

// AddCrosswalk adds one crosswalk to a line of a draft (the UI's small form).
func (s *Service) AddCrosswalk(ctx context.Context, id int64, c Crosswalk) ([]Crosswalk, error) {
	if _, err := requireWriter(ctx); err != nil {
		return nil, err
	}
	d, err := s.ItemDetail(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.SetCrosswalks(ctx, id, append(d.Crosswalks, c))
}

// RemoveCrosswalk removes one crosswalk from a line of a draft.
func (s *Service) RemoveCrosswalk(ctx context.Context, id, crosswalkID int64) ([]Crosswalk, error) {
	if _, err := requireWriter(ctx); err != nil {
		return nil, err
	}
	d, err := s.ItemDetail(ctx, id)
	if err != nil {
		return nil, err
	}
	var keep []Crosswalk
	found := false
	for _, c := range d.Crosswalks {
		if c.ID == crosswalkID {
			found = true
			continue
		}
		keep = append(keep, c)
	}
	if !found {
		return nil, domain.NotFound("crosswalk")
	}
	return s.SetCrosswalks(ctx, id, keep)
}
