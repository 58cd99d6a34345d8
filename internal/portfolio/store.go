package portfolio

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"esd/internal/db"
)

// SourceDefault marks the default illustrative portfolio loaded at first start.
const SourceDefault = "default"

// loadDocument reads a whole version as a Document.
func loadDocument(ctx context.Context, q db.Querier, versionID int64) (Document, error) {
	v, err := getVersion(ctx, q, versionID)
	if err != nil {
		return Document{}, err
	}
	doc := Document{Format: DocumentFormat, FormatVersion: 1, Framework: DocFramework{Code: v.Code, Version: v.Version,
		TitleIT: v.TitleIT, TitleEN: v.TitleEN, DescriptionIT: v.DescriptionIT, DescriptionEN: v.DescriptionEN,
		Illustrative: v.Illustrative}}
	scale, err := loadScale(ctx, q, versionID)
	if err != nil {
		return doc, err
	}
	for _, l := range scale {
		doc.Scale = append(doc.Scale, DocLevel(l))
	}
	items, err := loadItems(ctx, q, versionID)
	if err != nil {
		return doc, err
	}
	levels := map[int64][]DocLineLevel{}
	rows, err := q.QueryContext(ctx, `SELECT l.item_id, l.level, l.descriptor_it, l.descriptor_en FROM line_levels l
		JOIN framework_items i ON i.id = l.item_id WHERE i.framework_id = $1 ORDER BY l.item_id, l.level`, versionID)
	if err != nil {
		return doc, err
	}
	for rows.Next() {
		var id int64
		var l DocLineLevel
		if err := rows.Scan(&id, &l.Level, &l.IT, &l.EN); err != nil {
			rows.Close()
			return doc, err
		}
		levels[id] = append(levels[id], l)
	}
	rows.Close()
	cws := map[int64][]DocCrosswalk{}
	rows, err = q.QueryContext(ctx, `SELECT c.item_id, c.scheme, c.target_code, c.target_label, c.relation FROM crosswalks c
		JOIN framework_items i ON i.id = c.item_id WHERE i.framework_id = $1 ORDER BY c.item_id, c.id`, versionID)
	if err != nil {
		return doc, err
	}
	for rows.Next() {
		var id int64
		var c DocCrosswalk
		if err := rows.Scan(&id, &c.Scheme, &c.Code, &c.Label, &c.Relation); err != nil {
			rows.Close()
			return doc, err
		}
		cws[id] = append(cws[id], c)
	}
	rows.Close()
	t := buildTree(v, scale, items)
	docItem := func(it Item) DocItem {
		return DocItem{Code: it.Code, SourceRef: it.SourceRef, TitleIT: it.TitleIT, TitleEN: it.TitleEN,
			DescriptionIT: it.DescriptionIT, DescriptionEN: it.DescriptionEN}
	}
	for _, d := range t.Dimensions {
		dd := docItem(d.Item)
		for _, a := range d.Areas {
			da := docItem(a.Item)
			for _, l := range a.Lines {
				dl := docItem(l)
				dl.Levels = levels[l.ID]
				dl.Crosswalks = cws[l.ID]
				da.Lines = append(da.Lines, dl)
			}
			dd.Areas = append(dd.Areas, da)
		}
		doc.Dimensions = append(doc.Dimensions, dd)
	}
	return doc, nil
}

// insertMeta says how a document becomes a version.
type insertMeta struct {
	BasedOnID int64
	Source    string
}

// insertDocument writes a validated document as a new draft version inside tx and returns
// its id. The caller has checked permissions and label uniqueness.
func (s *Service) insertDocument(ctx context.Context, tx *sql.Tx, doc Document, m insertMeta) (int64, error) {
	f := doc.Framework
	var based any
	if m.BasedOnID != 0 {
		based = m.BasedOnID
	}
	var vid int64
	err := tx.QueryRowContext(ctx, `INSERT INTO framework_versions (code, version, title_it, title_en, description_it, description_en,
		state, illustrative, based_on_id, source, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id`,
		f.Code, f.Version, f.TitleIT, f.TitleEN, f.DescriptionIT, f.DescriptionEN, StateDraft, f.Illustrative, based, m.Source,
		s.now()).Scan(&vid)
	if err != nil {
		return 0, db.MapError(err)
	}
	for _, l := range doc.Scale {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scale_levels (framework_id, level, code, label_it, label_en, descriptor_it, descriptor_en)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, vid, l.Level, l.Code, l.LabelIT, l.LabelEN, l.DescriptorIT, l.DescriptorEN); err != nil {
			return 0, err
		}
	}
	var levelRows, cwRows []any
	insert := func(kind string, parent any, pos int, it DocItem) (int64, error) {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO framework_items (framework_id, kind, code, parent_id, position, title_it, title_en,
			description_it, description_en, search_text, source_ref) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id`,
			vid, kind, it.Code, parent, pos, it.TitleIT, it.TitleEN, it.DescriptionIT, it.DescriptionEN,
			searchText(it.Code, it.TitleIT, it.TitleEN, it.DescriptionIT, it.DescriptionEN), it.SourceRef).Scan(&id)
		return id, err
	}
	for i, d := range doc.Dimensions {
		did, err := insert(KindDimension, nil, i+1, d)
		if err != nil {
			return 0, err
		}
		for j, a := range d.Areas {
			aid, err := insert(KindArea, did, j+1, a)
			if err != nil {
				return 0, err
			}
			for k, l := range a.Lines {
				lid, err := insert(KindLine, aid, k+1, l)
				if err != nil {
					return 0, err
				}
				for _, ll := range l.Levels {
					levelRows = append(levelRows, lid, ll.Level, ll.IT, ll.EN)
				}
				for _, c := range l.Crosswalks {
					label := c.Label
					if label == "" {
						label = refLabel(c.Scheme, c.Code)
					}
					cwRows = append(cwRows, lid, c.Scheme, c.Code, label, c.Relation)
				}
			}
		}
	}
	if err := insertRows(ctx, tx, `INSERT INTO line_levels (item_id, level, descriptor_it, descriptor_en) VALUES `, 4, levelRows); err != nil {
		return 0, err
	}
	if err := insertRows(ctx, tx, `INSERT INTO crosswalks (item_id, scheme, target_code, target_label, relation) VALUES `, 5, cwRows); err != nil {
		return 0, err
	}
	return vid, nil
}

// insertRows runs multi-row inserts of cols columns, in batches that stay under both
// databases' parameter limits.
func insertRows(ctx context.Context, tx *sql.Tx, prefix string, cols int, args []any) error {
	per := 150
	n := len(args) / cols
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		b.WriteString(prefix)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString("(" + db.Placeholders((i-start)*cols+1, cols) + ")")
		}
		if _, err := tx.ExecContext(ctx, b.String(), args[start*cols:end*cols]...); err != nil {
			return fmt.Errorf("insert rows: %w", err)
		}
	}
	return nil
}
