package persona

import (
	"context"
	"database/sql"
	"errors"
	"sort"

	"esd/internal/db"
	"esd/internal/domain"
)

// Framework states as the portfolio writes them.
const (
	StateDraft     = "draft"
	StatePublished = "published"
	StateRetired   = "retired"
)

// Framework is a portfolio version as the persona capability sees it: its identity, state
// and proficiency scale. The portfolio capability owns these tables; this package reads them.
type Framework struct {
	ID           int64   `json:"id"`
	Code         string  `json:"code"`
	Version      string  `json:"version"`
	TitleIT      string  `json:"title_it"`
	TitleEN      string  `json:"title_en"`
	State        string  `json:"state"`
	Illustrative bool    `json:"illustrative"`
	Levels       []Level `json:"levels"`
}

// Title returns the title in lang, falling back to Italian.
func (f Framework) Title(lang string) string {
	if lang == "en" && f.TitleEN != "" {
		return f.TitleEN
	}
	return f.TitleIT
}

// Level is one step of a framework's proficiency scale.
type Level struct {
	Level   int    `json:"level"`
	Code    string `json:"code"`
	LabelIT string `json:"label_it"`
	LabelEN string `json:"label_en"`
}

// Label returns the level's label in lang.
func (l Level) Label(lang string) string {
	if lang == "en" && l.LabelEN != "" {
		return l.LabelEN
	}
	return l.LabelIT
}

// OnScale reports whether level is a level of the framework's scale.
func (f Framework) OnScale(level int) bool {
	for _, l := range f.Levels {
		if l.Level == level {
			return true
		}
	}
	return false
}

// MaxLevel returns the highest level of the scale (0 if the scale is empty).
func (f Framework) MaxLevel() int {
	m := 0
	for _, l := range f.Levels {
		m = max(m, l.Level)
	}
	return m
}

// Item kinds of the portfolio tree.
const (
	KindDimension = "dimension"
	KindArea      = "area"
	KindLine      = "line"
)

// Item is a node of the portfolio tree.
type Item struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id,omitempty"`
	Kind     string `json:"kind"`
	Code     string `json:"code"`
	TitleIT  string `json:"title_it"`
	TitleEN  string `json:"title_en"`
	Position int    `json:"position"`
}

// Title returns the item's title in lang.
func (it Item) Title(lang string) string {
	if lang == "en" && it.TitleEN != "" {
		return it.TitleEN
	}
	return it.TitleIT
}

// Tree is a framework version with its dimensions, areas (ambiti) and lines in order.
type Tree struct {
	Framework
	Dimensions []*Dimension
	lines      map[int64]*Line
	byCode     map[string]*Line
	areas      map[int64]*Area
}

// Dimension is a top-level node with its areas.
type Dimension struct {
	Item
	Areas []*Area
}

// Area is an ambito with its lines.
type Area struct {
	Item
	Dimension *Dimension `json:"-"`
	Lines     []*Line
}

// Line is a linea formativa, the unit targets are set on.
type Line struct {
	Item
	Area *Area `json:"-"`
}

// Lines returns every line in portfolio order.
func (t *Tree) Lines() []*Line {
	var out []*Line
	for _, d := range t.Dimensions {
		for _, a := range d.Areas {
			out = append(out, a.Lines...)
		}
	}
	return out
}

// Areas returns every area (ambito) in portfolio order.
func (t *Tree) Areas() []*Area {
	var out []*Area
	for _, d := range t.Dimensions {
		out = append(out, d.Areas...)
	}
	return out
}

// Line returns the line with the given id, or nil if it is not a line of this version.
func (t *Tree) Line(id int64) *Line { return t.lines[id] }

// LineByCode returns the line with the given code, or nil.
func (t *Tree) LineByCode(code string) *Line { return t.byCode[code] }

const frameworkCols = `id, code, version, title_it, title_en, state, illustrative`

func scanFramework(sc interface{ Scan(...any) error }) (Framework, error) {
	var f Framework
	err := sc.Scan(&f.ID, &f.Code, &f.Version, &f.TitleIT, &f.TitleEN, &f.State, &f.Illustrative)
	return f, err
}

// loadLevels fills f.Levels.
func (s *Service) loadLevels(ctx context.Context, q db.Querier, f *Framework) error {
	rows, err := q.QueryContext(ctx, `SELECT level, code, label_it, label_en FROM scale_levels WHERE framework_id = $1 ORDER BY level`, f.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	f.Levels = nil
	for rows.Next() {
		var l Level
		if err := rows.Scan(&l.Level, &l.Code, &l.LabelIT, &l.LabelEN); err != nil {
			return err
		}
		f.Levels = append(f.Levels, l)
	}
	return rows.Err()
}

// Frameworks lists every framework version, newest first, with its scale. Everyone
// authenticated may read them.
func (s *Service) Frameworks(ctx context.Context) ([]Framework, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+frameworkCols+` FROM framework_versions ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	var out []Framework
	for rows.Next() {
		f, err := scanFramework(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.loadLevels(ctx, s.DB.Read, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Framework returns one framework version with its scale.
func (s *Service) Framework(ctx context.Context, id int64) (Framework, error) {
	if _, err := requireReader(ctx); err != nil {
		return Framework{}, err
	}
	return s.framework(ctx, s.DB.Read, id)
}

func (s *Service) framework(ctx context.Context, q db.Querier, id int64) (Framework, error) {
	f, err := scanFramework(q.QueryRowContext(ctx, `SELECT `+frameworkCols+` FROM framework_versions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, domain.NotFound("framework version")
	}
	if err != nil {
		return f, err
	}
	return f, s.loadLevels(ctx, q, &f)
}

// CurrentFramework returns the framework version profiles are computed for by default: the
// most recently published one. ENOTFOUND when nothing is published yet.
func (s *Service) CurrentFramework(ctx context.Context) (Framework, error) {
	if _, err := requireReader(ctx); err != nil {
		return Framework{}, err
	}
	return s.currentFramework(ctx, s.DB.Read)
}

func (s *Service) currentFramework(ctx context.Context, q db.Querier) (Framework, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE state = $1
		ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 1`, StatePublished).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Framework{}, domain.NotFound("published framework version")
	}
	if err != nil {
		return Framework{}, err
	}
	return s.framework(ctx, q, id)
}

// resolveFramework returns the framework with id, or the current one when id is 0.
func (s *Service) resolveFramework(ctx context.Context, q db.Querier, id int64) (Framework, error) {
	if id == 0 {
		return s.currentFramework(ctx, q)
	}
	return s.framework(ctx, q, id)
}

// Tree returns the framework version's dimensions, areas and lines in order.
func (s *Service) Tree(ctx context.Context, frameworkID int64) (*Tree, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	return s.tree(ctx, s.DB.Read, frameworkID)
}

func (s *Service) tree(ctx context.Context, q db.Querier, frameworkID int64) (*Tree, error) {
	f, err := s.resolveFramework(ctx, q, frameworkID)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(parent_id, 0), kind, code, title_it, title_en, position
		FROM framework_items WHERE framework_id = $1 ORDER BY position, id`, f.ID)
	if err != nil {
		return nil, err
	}
	var items []Item
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.ParentID, &it.Kind, &it.Code, &it.TitleIT, &it.TitleEN, &it.Position); err != nil {
			rows.Close()
			return nil, err
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	t := &Tree{Framework: f, lines: map[int64]*Line{}, byCode: map[string]*Line{}, areas: map[int64]*Area{}}
	dims := map[int64]*Dimension{}
	for _, it := range items {
		if it.Kind == KindDimension {
			d := &Dimension{Item: it}
			dims[it.ID] = d
			t.Dimensions = append(t.Dimensions, d)
		}
	}
	for _, it := range items {
		if it.Kind == KindArea {
			if d := dims[it.ParentID]; d != nil {
				a := &Area{Item: it, Dimension: d}
				d.Areas = append(d.Areas, a)
				t.areas[it.ID] = a
			}
		}
	}
	for _, it := range items {
		if it.Kind == KindLine {
			if a := t.areas[it.ParentID]; a != nil {
				l := &Line{Item: it, Area: a}
				a.Lines = append(a.Lines, l)
				t.lines[it.ID] = l
				t.byCode[it.Code] = l
			}
		}
	}
	less := func(a, b Item) bool {
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		return a.ID < b.ID
	}
	sort.SliceStable(t.Dimensions, func(i, j int) bool { return less(t.Dimensions[i].Item, t.Dimensions[j].Item) })
	for _, d := range t.Dimensions {
		sort.SliceStable(d.Areas, func(i, j int) bool { return less(d.Areas[i].Item, d.Areas[j].Item) })
		for _, a := range d.Areas {
			sort.SliceStable(a.Lines, func(i, j int) bool { return less(a.Lines[i].Item, a.Lines[j].Item) })
		}
	}
	return t, nil
}
