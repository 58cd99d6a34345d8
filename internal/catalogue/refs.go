package catalogue

import (
	"context"
	"database/sql"
	"sort"
	"strings"

	"esd/internal/textnorm"
)

// refs is the reference data a validation needs, loaded once per operation (one event or a
// whole import file), so a file of thousands of rows costs a handful of queries.
type refs struct {
	professions  map[int]string
	disciplines  map[int]discipline
	regions      map[int64]string
	regionByCode map[string]int64
	objectives   map[int]string
	themes       map[string]Theme
	comuni       map[string]string // loaded on first use
	fw           framework
	lines        map[int64]lineRef
	lineByCode   map[string]int64 // codes of the current framework version
	levels       map[int64]map[int]bool
	dims         []lineRef // dimensions of the current framework, in order
}

type discipline struct {
	profession int
	name       string
}

type framework struct {
	ID           int64
	Code         string
	Version      string
	Title        string
	Illustrative bool
}

// lineRef is a portfolio item with what the catalogue needs of it: its code, titles, and
// for a line the dimension above it.
type lineRef struct {
	ID          int64
	FrameworkID int64
	Kind        string
	Code        string
	Title       string
	TitleEN     string
	Description string
	ParentID    int64
	Position    int
	DimID       int64
	DimCode     string
	DimTitle    string
	AreaTitle   string
	sortKey     int
}

func (s *Service) loadRefs(ctx context.Context) (*refs, error) {
	r := &refs{professions: map[int]string{}, disciplines: map[int]discipline{}, regions: map[int64]string{},
		regionByCode: map[string]int64{}, objectives: map[int]string{}, themes: map[string]Theme{}}
	q := s.DB.Read
	if err := scanAll(ctx, q, `SELECT code, name FROM professions`, func(rs *sql.Rows) error {
		var c int
		var n string
		if err := rs.Scan(&c, &n); err != nil {
			return err
		}
		r.professions[c] = n
		return nil
	}); err != nil {
		return nil, err
	}
	if err := scanAll(ctx, q, `SELECT code, profession_code, name FROM disciplines`, func(rs *sql.Rows) error {
		var c, p int
		var n string
		if err := rs.Scan(&c, &p, &n); err != nil {
			return err
		}
		r.disciplines[c] = discipline{p, n}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := scanAll(ctx, q, `SELECT id, istat_code, minsal_code, iso_code, name FROM regions`, func(rs *sql.Rows) error {
		var id int64
		var istat, minsal, iso, name string
		if err := rs.Scan(&id, &istat, &minsal, &iso, &name); err != nil {
			return err
		}
		r.regions[id] = name
		for _, k := range []string{istat, minsal, strings.ToUpper(iso), textnorm.Fold(name)} {
			r.regionByCode[k] = id
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// National objectives of the newest list that has national ones.
	if err := scanAll(ctx, q, `SELECT code, name FROM ecm_objectives WHERE national = TRUE
		AND list_version = (SELECT MAX(list_version) FROM ecm_objectives WHERE national = TRUE)`, func(rs *sql.Rows) error {
		var c int
		var n string
		if err := rs.Scan(&c, &n); err != nil {
			return err
		}
		r.objectives[c] = n
		return nil
	}); err != nil {
		return nil, err
	}
	themes, err := s.themes(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range themes {
		r.themes[t.Code] = t
	}
	if err := s.loadPortfolio(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// loadPortfolio loads every line of every framework version (a few hundred rows per
// version) with its dimension, and the codes of the current version.
func (s *Service) loadPortfolio(ctx context.Context, r *refs) error {
	q := s.DB.Read
	r.lines, r.lineByCode, r.levels = map[int64]lineRef{}, map[string]int64{}, map[int64]map[int]bool{}
	err := q.QueryRowContext(ctx, `SELECT id, code, version, title_it, illustrative FROM framework_versions
		ORDER BY CASE WHEN state = 'published' THEN 0 ELSE 1 END, published_at DESC NULLS LAST, id DESC LIMIT 1`).
		Scan(&r.fw.ID, &r.fw.Code, &r.fw.Version, &r.fw.Title, &r.fw.Illustrative)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	items := map[int64]lineRef{}
	var order []int64
	if err := scanAll(ctx, q, `SELECT id, framework_id, kind, code, parent_id, position, title_it, title_en, description_it
		FROM framework_items ORDER BY framework_id, position, id`, func(rs *sql.Rows) error {
		var it lineRef
		var parent sql.NullInt64
		if err := rs.Scan(&it.ID, &it.FrameworkID, &it.Kind, &it.Code, &parent, &it.Position, &it.Title, &it.TitleEN, &it.Description); err != nil {
			return err
		}
		it.ParentID = parent.Int64
		items[it.ID] = it
		order = append(order, it.ID)
		return nil
	}); err != nil {
		return err
	}
	for _, id := range order {
		it := items[id]
		// Walk up to the dimension (the item without a parent).
		top, area := it, lineRef{}
		for hops := 0; top.ParentID != 0 && hops < 8; hops++ {
			area = top
			top = items[top.ParentID]
		}
		if it.Kind == "dimension" && it.FrameworkID == r.fw.ID {
			r.dims = append(r.dims, it)
		}
		if it.Kind != "line" {
			continue
		}
		it.DimID, it.DimCode, it.DimTitle = top.ID, top.Code, top.Title
		if p, ok := items[it.ParentID]; ok {
			area = p
		}
		it.AreaTitle = area.Title
		it.sortKey = top.Position*1_000_000 + area.Position*1_000 + it.Position
		r.lines[it.ID] = it
		if it.FrameworkID == r.fw.ID {
			r.lineByCode[it.Code] = it.ID
		}
	}
	return scanAll(ctx, q, `SELECT framework_id, level FROM scale_levels`, func(rs *sql.Rows) error {
		var fw int64
		var lv int
		if err := rs.Scan(&fw, &lv); err != nil {
			return err
		}
		if r.levels[fw] == nil {
			r.levels[fw] = map[int]bool{}
		}
		r.levels[fw][lv] = true
		return nil
	})
}

// currentLines returns the lines of the current framework version in order.
func (r *refs) currentLines() []lineRef {
	var out []lineRef
	for _, id := range r.lineOrder() {
		out = append(out, r.lines[id])
	}
	return out
}

func (r *refs) lineOrder() []int64 {
	var ids []int64
	for _, l := range r.lines {
		if l.FrameworkID == r.fw.ID {
			ids = append(ids, l.ID)
		}
	}
	sortLineIDs(ids, r.lines)
	return ids
}

func (s *Service) comune(ctx context.Context, r *refs, istat string) (string, bool, error) {
	if r.comuni == nil {
		r.comuni = map[string]string{}
		if err := scanAll(ctx, s.DB.Read, `SELECT istat_code, name FROM comuni`, func(rs *sql.Rows) error {
			var c, n string
			if err := rs.Scan(&c, &n); err != nil {
				return err
			}
			r.comuni[c] = n
			return nil
		}); err != nil {
			return "", false, err
		}
	}
	n, ok := r.comuni[istat]
	return n, ok, nil
}

// scanAll runs a query and calls fn for every row, closing the rows before it returns (so
// no read cursor is left open while the caller writes).
func scanAll(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func sortLineIDs(ids []int64, lines map[int64]lineRef) {
	sort.Slice(ids, func(i, j int) bool {
		a, b := lines[ids[i]], lines[ids[j]]
		if a.sortKey != b.sortKey {
			return a.sortKey < b.sortKey
		}
		return a.Code < b.Code
	})
}
