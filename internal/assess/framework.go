package assess

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// Framework states (the portfolio's).
const (
	FrameworkDraft     = "draft"
	FrameworkPublished = "published"
	FrameworkRetired   = "retired"
)

// Item kinds of the portfolio tree.
const (
	KindDimension = "dimension"
	KindArea      = "area"
	KindLine      = "line"
)

// Framework is a portfolio version as this capability reads it: the scale and the tree
// Dimension → Ambito → Linea with level descriptors and ECM crosswalks. Published and
// retired versions never change, so their structure is cached; the state is re-read when it
// matters (starting or answering an assessment).
type Framework struct {
	ID           int64
	Code         string
	Version      string
	TitleIT      string
	TitleEN      string
	State        string
	Illustrative bool
	RetiredAt    *time.Time
	Scale        []ScaleLevel
	Dimensions   []*Node
	Areas        []*Node
	Lines        []*Node // in tree order
	byID         map[int64]*Node
	byCode       map[string]*Node
}

// ScaleLevel is one level of the proficiency scale (1 = lowest).
type ScaleLevel struct {
	Level   int    `json:"level"`
	Code    string `json:"code"`
	LabelIT string `json:"label_it"`
	LabelEN string `json:"label_en"`
	DescIT  string `json:"descriptor_it"`
	DescEN  string `json:"descriptor_en"`
}

// Crosswalk maps a portfolio item to an external concept (here: ECM objectives).
type Crosswalk struct {
	Scheme   string
	Code     string
	Label    string
	Relation string
}

// Node is a dimension, an ambito (area) or a line.
type Node struct {
	ID       int64
	Kind     string
	Code     string
	TitleIT  string
	TitleEN  string
	DescIT   string
	DescEN   string
	Position int
	Parent   *Node
	Children []*Node
	// Index is the position of a line in tree order (lines only); AreaIdx and DimIdx are the
	// positions of its ambito and dimension in Framework.Areas and Dimensions (-1 if none).
	Index   int
	AreaIdx int
	DimIdx  int
	// LevelIT and LevelEN hold the line's level descriptors by level.
	LevelIT map[int]string
	LevelEN map[int]string
	ECM     []Crosswalk
}

// Title returns the title in lang, falling back to Italian.
func (n *Node) Title(lang string) string {
	if lang == "en" && n.TitleEN != "" {
		return n.TitleEN
	}
	return n.TitleIT
}

// Area returns the ambito a line belongs to (nil for a line directly under a dimension).
func (n *Node) Area() *Node {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Kind == KindArea {
			return p
		}
	}
	return nil
}

// Dimension returns the dimension above a node.
func (n *Node) Dimension() *Node {
	for p := n; p != nil; p = p.Parent {
		if p.Kind == KindDimension {
			return p
		}
	}
	return nil
}

// Line returns the line with the id, or nil.
func (f *Framework) Line(id int64) *Node {
	n := f.byID[id]
	if n == nil || n.Kind != KindLine {
		return nil
	}
	return n
}

// Node returns any item by id.
func (f *Framework) Node(id int64) *Node { return f.byID[id] }

// LineByCode returns the line with the code, or nil.
func (f *Framework) LineByCode(code string) *Node {
	n := f.byCode[code]
	if n == nil || n.Kind != KindLine {
		return nil
	}
	return n
}

// MaxLevel is the top of the scale.
func (f *Framework) MaxLevel() int {
	if len(f.Scale) == 0 {
		return 4
	}
	return f.Scale[len(f.Scale)-1].Level
}

// LevelLabel is the name of a level in lang; level 0 is "not yet".
func (f *Framework) LevelLabel(level int, lang string) string {
	if level <= 0 {
		if lang == "en" {
			return "Not yet"
		}
		return "Non ancora"
	}
	for _, l := range f.Scale {
		if l.Level == level {
			if lang == "en" && l.LabelEN != "" {
				return l.LabelEN
			}
			return l.LabelIT
		}
	}
	return strings.Repeat("•", level)
}

// Title of the version in lang.
func (f *Framework) Title(lang string) string {
	if lang == "en" && f.TitleEN != "" {
		return f.TitleEN
	}
	return f.TitleIT
}

// relationRank orders crosswalk relations from the most to the least exact.
var relationRank = map[string]int{"exact": 0, "narrower": 1, "broader": 2, "related": 3}

// ECMObjective returns the ECM national objective a line counts under: its own crosswalk
// (the most exact relation, then the lowest code), else its ambito's, else its dimension's.
// inferred is true when the code was taken from a parent rather than the line itself; ok is
// false when nothing in the tree is mapped.
func (n *Node) ECMObjective() (code string, inferred bool, ok bool) {
	for p := n; p != nil; p = p.Parent {
		if len(p.ECM) > 0 {
			return p.ECM[0].Code, p != n, true
		}
	}
	return "", false, false
}

// framework returns the structure of a framework version (cached unless draft).
func (s *Service) framework(ctx context.Context, id int64) (*Framework, error) {
	s.fwMu.Lock()
	f := s.fwCache[id]
	s.fwMu.Unlock()
	if f != nil {
		return f, nil
	}
	f, err := loadFramework(ctx, s.DB.Read, id)
	if err != nil {
		return nil, err
	}
	if f.State != FrameworkDraft {
		s.fwMu.Lock()
		if s.fwCache == nil {
			s.fwCache = map[int64]*Framework{}
		}
		s.fwCache[id] = f
		s.fwMu.Unlock()
	}
	return f, nil
}

// frameworkState re-reads the state of a version (it moves from published to retired).
func (s *Service) frameworkState(ctx context.Context, q db.Querier, id int64) (string, *time.Time, error) {
	var st string
	var ret sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT state, retired_at FROM framework_versions WHERE id = $1`, id).Scan(&st, &ret)
	if err == sql.ErrNoRows {
		return "", nil, domain.NotFound("framework version")
	}
	if err != nil {
		return "", nil, err
	}
	if ret.Valid {
		t := ret.Time
		return st, &t, nil
	}
	return st, nil, nil
}

func loadFramework(ctx context.Context, q db.Querier, id int64) (*Framework, error) {
	f := &Framework{ID: id, byID: map[int64]*Node{}, byCode: map[string]*Node{}}
	var ret sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT code, version, title_it, title_en, state, illustrative, retired_at
		FROM framework_versions WHERE id = $1`, id).Scan(&f.Code, &f.Version, &f.TitleIT, &f.TitleEN, &f.State, &f.Illustrative, &ret)
	if err == sql.ErrNoRows {
		return nil, domain.NotFound("framework version")
	}
	if err != nil {
		return nil, err
	}
	if ret.Valid {
		t := ret.Time
		f.RetiredAt = &t
	}
	rows, err := q.QueryContext(ctx, `SELECT level, code, label_it, label_en, descriptor_it, descriptor_en
		FROM scale_levels WHERE framework_id = $1 ORDER BY level`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l ScaleLevel
		if err := rows.Scan(&l.Level, &l.Code, &l.LabelIT, &l.LabelEN, &l.DescIT, &l.DescEN); err != nil {
			rows.Close()
			return nil, err
		}
		f.Scale = append(f.Scale, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT id, kind, code, COALESCE(parent_id, 0), position, title_it, title_en, description_it, description_en
		FROM framework_items WHERE framework_id = $1 ORDER BY position, id`, id)
	if err != nil {
		return nil, err
	}
	parents := map[int64]int64{}
	var all []*Node
	for rows.Next() {
		n := &Node{LevelIT: map[int]string{}, LevelEN: map[int]string{}}
		var parent int64
		if err := rows.Scan(&n.ID, &n.Kind, &n.Code, &parent, &n.Position, &n.TitleIT, &n.TitleEN, &n.DescIT, &n.DescEN); err != nil {
			rows.Close()
			return nil, err
		}
		parents[n.ID] = parent
		f.byID[n.ID] = n
		f.byCode[n.Code] = n
		all = append(all, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var roots []*Node
	for _, n := range all {
		if p := f.byID[parents[n.ID]]; p != nil {
			n.Parent = p
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var walk func(ns []*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			switch n.Kind {
			case KindDimension:
				f.Dimensions = append(f.Dimensions, n)
			case KindArea:
				f.Areas = append(f.Areas, n)
			case KindLine:
				n.Index = len(f.Lines)
				f.Lines = append(f.Lines, n)
			}
			walk(n.Children)
		}
	}
	walk(roots)
	for i, a := range f.Areas {
		a.Index = i
	}
	for i, d := range f.Dimensions {
		d.Index = i
	}
	for _, l := range f.Lines {
		l.AreaIdx, l.DimIdx = -1, -1
		if a := l.Area(); a != nil {
			l.AreaIdx = a.Index
		}
		if d := l.Dimension(); d != nil {
			l.DimIdx = d.Index
		}
	}
	rows, err = q.QueryContext(ctx, `SELECT ll.item_id, ll.level, ll.descriptor_it, ll.descriptor_en FROM line_levels ll
		JOIN framework_items fi ON fi.id = ll.item_id WHERE fi.framework_id = $1`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var item int64
		var lv int
		var it, en string
		if err := rows.Scan(&item, &lv, &it, &en); err != nil {
			rows.Close()
			return nil, err
		}
		if n := f.byID[item]; n != nil {
			n.LevelIT[lv], n.LevelEN[lv] = it, en
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT c.item_id, c.scheme, c.target_code, c.target_label, c.relation FROM crosswalks c
		JOIN framework_items fi ON fi.id = c.item_id WHERE fi.framework_id = $1 AND c.scheme IN ('ecm', 'ecm_objective')`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var item int64
		var c Crosswalk
		if err := rows.Scan(&item, &c.Scheme, &c.Code, &c.Label, &c.Relation); err != nil {
			rows.Close()
			return nil, err
		}
		if n := f.byID[item]; n != nil {
			n.ECM = append(n.ECM, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range all {
		sort.SliceStable(n.ECM, func(i, j int) bool {
			a, b := n.ECM[i], n.ECM[j]
			ra, oka := relationRank[a.Relation]
			rb, okb := relationRank[b.Relation]
			if !oka {
				ra = 9
			}
			if !okb {
				rb = 9
			}
			if ra != rb {
				return ra < rb
			}
			if len(a.Code) != len(b.Code) {
				return len(a.Code) < len(b.Code)
			}
			return a.Code < b.Code
		})
	}
	return f, nil
}

// FrameworkRef is a version as listed on pages.
type FrameworkRef struct {
	ID           int64  `json:"id"`
	Code         string `json:"code"`
	Version      string `json:"version"`
	Title        string `json:"title"`
	State        string `json:"state"`
	Illustrative bool   `json:"illustrative"`
}

func (s *Service) listFrameworks(ctx context.Context) ([]FrameworkRef, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, code, version, title_it, state, illustrative FROM framework_versions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FrameworkRef
	for rows.Next() {
		var f FrameworkRef
		if err := rows.Scan(&f.ID, &f.Code, &f.Version, &f.Title, &f.State, &f.Illustrative); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
