package portfolio

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/textnorm"
)

// Service is the portfolio capability. Every method checks the caller's role itself:
// every authenticated role may read published and retired versions; drafts are visible to
// national governance (and the system) only; only national governance and the system may
// write. Out-of-reach versions are ENOTFOUND, wrong roles EFORBIDDEN.
type Service struct {
	DB  *db.DB
	Log *slog.Logger
	// Now returns the time written on new versions; tests may pin it. Default db.Now.
	Now func() time.Time
	// OnPublish, if set, is called after a version is published, so capabilities that hang
	// off the portfolio (personas and the profiles of every professional) follow it at once
	// rather than at the next start.
	OnPublish func(ctx context.Context, versionID int64) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return db.Now()
}

// readers are the roles that may read the portfolio: every human role.
var readers = domain.Roles

func requireReader(ctx context.Context) (domain.Actor, error) { return domain.Require(ctx, readers...) }

func requireWriter(ctx context.Context) (domain.Actor, error) {
	return domain.Require(ctx, domain.RoleNational)
}

// canSeeDrafts reports whether the actor may see versions still being drafted.
func canSeeDrafts(a domain.Actor) bool { return a.IsNationalOrSystem() }

// CanEdit reports whether the actor of ctx may change drafts (for pages to show editors;
// the services check again on every write).
func CanEdit(ctx context.Context) bool {
	a := domain.ActorFrom(ctx)
	return a.IsNationalOrSystem()
}

const versionCols = `id, code, version, title_it, title_en, description_it, description_en, state, illustrative,
	based_on_id, source, created_at, published_at, retired_at`

type scanner interface{ Scan(dest ...any) error }

func scanVersion(r scanner) (Version, error) {
	var v Version
	var based sql.NullInt64
	var pub, ret sql.NullTime
	err := r.Scan(&v.ID, &v.Code, &v.Version, &v.TitleIT, &v.TitleEN, &v.DescriptionIT, &v.DescriptionEN, &v.State,
		&v.Illustrative, &based, &v.Source, &v.CreatedAt, &pub, &ret)
	if err != nil {
		return v, err
	}
	v.BasedOnID = based.Int64
	v.CreatedAt = v.CreatedAt.UTC()
	if pub.Valid {
		t := pub.Time.UTC()
		v.PublishedAt = &t
	}
	if ret.Valid {
		t := ret.Time.UTC()
		v.RetiredAt = &t
	}
	return v, nil
}

// getVersion reads a version without permission checks.
func getVersion(ctx context.Context, q db.Querier, id int64) (Version, error) {
	v, err := scanVersion(q.QueryRowContext(ctx, `SELECT `+versionCols+` FROM framework_versions WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, domain.NotFound("framework version")
	}
	return v, err
}

// visibleVersion reads a version the actor of ctx may read.
func (s *Service) visibleVersion(ctx context.Context, id int64) (Version, error) {
	a, err := requireReader(ctx)
	if err != nil {
		return Version{}, err
	}
	v, err := getVersion(ctx, s.DB.Read, id)
	if err != nil {
		return v, err
	}
	if v.State == StateDraft && !canSeeDrafts(a) {
		return Version{}, domain.NotFound("framework version")
	}
	return v, nil
}

func (s *Service) fillCounts(ctx context.Context, vs []Version) error {
	if len(vs) == 0 {
		return nil
	}
	idx := map[int64]int{}
	for i, v := range vs {
		idx[v.ID] = i
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT framework_id, kind, COUNT(*) FROM framework_items GROUP BY framework_id, kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var fid int64
		var kind string
		var n int
		if err := rows.Scan(&fid, &kind, &n); err != nil {
			return err
		}
		i, ok := idx[fid]
		if !ok {
			continue
		}
		switch kind {
		case KindDimension:
			vs[i].Dimensions = n
		case KindArea:
			vs[i].Areas = n
		case KindLine:
			vs[i].Lines = n
		}
	}
	return rows.Err()
}

// Versions lists the versions the caller may read, newest first.
func (s *Service) Versions(ctx context.Context) ([]Version, error) {
	a, err := requireReader(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+versionCols+` FROM framework_versions ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		if v.State == StateDraft && !canSeeDrafts(a) {
			continue
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, s.fillCounts(ctx, out)
}

// Version returns one version with its counts.
func (s *Service) Version(ctx context.Context, id int64) (Version, error) {
	v, err := s.visibleVersion(ctx, id)
	if err != nil {
		return v, err
	}
	vs := []Version{v}
	err = s.fillCounts(ctx, vs)
	return vs[0], err
}

// Current returns the version in force: the most recently published one; if none is
// published, the default (illustrative) portfolio. ENOTFOUND if there is neither.
func (s *Service) Current(ctx context.Context) (Version, error) {
	if _, err := requireReader(ctx); err != nil {
		return Version{}, err
	}
	var id int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE state = $1
		ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 1`, StatePublished).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.DB.Read.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE source = $1 ORDER BY id LIMIT 1`,
			SourceDefault).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, domain.NotFound("published framework version")
	}
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, id)
}

// Scale returns the proficiency scale of a version.
func (s *Service) Scale(ctx context.Context, versionID int64) (Scale, error) {
	if _, err := s.visibleVersion(ctx, versionID); err != nil {
		return nil, err
	}
	return loadScale(ctx, s.DB.Read, versionID)
}

func loadScale(ctx context.Context, q db.Querier, versionID int64) (Scale, error) {
	rows, err := q.QueryContext(ctx, `SELECT level, code, label_it, label_en, descriptor_it, descriptor_en
		FROM scale_levels WHERE framework_id = $1 ORDER BY level`, versionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out Scale
	for rows.Next() {
		var l Level
		if err := rows.Scan(&l.Level, &l.Code, &l.LabelIT, &l.LabelEN, &l.DescriptorIT, &l.DescriptorEN); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

const itemCols = `id, framework_id, kind, code, parent_id, position, title_it, title_en, description_it, description_en, source_ref`

func scanItem(r scanner) (Item, error) {
	var it Item
	var parent sql.NullInt64
	err := r.Scan(&it.ID, &it.VersionID, &it.Kind, &it.Code, &parent, &it.Position, &it.TitleIT, &it.TitleEN,
		&it.DescriptionIT, &it.DescriptionEN, &it.SourceRef)
	it.ParentID = parent.Int64
	return it, err
}

// loadItems returns every item of a version: dimensions, ambiti and lines, each kind in
// tree order (by parent position, then own position).
func loadItems(ctx context.Context, q db.Querier, versionID int64) ([]Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE framework_id = $1 ORDER BY position, id`, versionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// buildTree arranges items into dimensions → ambiti → lines. Items whose parent is of the
// wrong kind cannot exist (the services never write them), so they are simply skipped.
func buildTree(v Version, scale Scale, items []Item) Tree {
	t := Tree{Version: v, Scale: scale}
	children := map[int64][]Item{}
	for _, it := range items {
		if it.Kind != KindDimension {
			children[it.ParentID] = append(children[it.ParentID], it)
		}
	}
	for _, it := range items {
		if it.Kind != KindDimension {
			continue
		}
		d := TreeDimension{Item: it, Areas: []TreeArea{}}
		for _, a := range children[it.ID] {
			if a.Kind != KindArea {
				continue
			}
			ta := TreeArea{Item: a, Lines: []Item{}}
			for _, l := range children[a.ID] {
				if l.Kind == KindLine {
					ta.Lines = append(ta.Lines, l)
				}
			}
			d.Areas = append(d.Areas, ta)
		}
		t.Dimensions = append(t.Dimensions, d)
	}
	if t.Dimensions == nil {
		t.Dimensions = []TreeDimension{}
	}
	return t
}

// Tree returns a whole version: its scale and its dimensions, ambiti and lines in order.
func (s *Service) Tree(ctx context.Context, versionID int64) (Tree, error) {
	v, err := s.Version(ctx, versionID)
	if err != nil {
		return Tree{}, err
	}
	scale, err := loadScale(ctx, s.DB.Read, versionID)
	if err != nil {
		return Tree{}, err
	}
	items, err := loadItems(ctx, s.DB.Read, versionID)
	if err != nil {
		return Tree{}, err
	}
	return buildTree(v, scale, items), nil
}

// Lines returns every line of a version in tree order, each with its ambito and dimension.
func (s *Service) Lines(ctx context.Context, versionID int64) ([]Line, error) {
	t, err := s.Tree(ctx, versionID)
	if err != nil {
		return nil, err
	}
	out := []Line{}
	for _, d := range t.Dimensions {
		for _, a := range d.Areas {
			for _, l := range a.Lines {
				out = append(out, Line{Item: l, AreaID: a.ID, AreaCode: a.Code, DimensionID: d.ID, DimensionCode: d.Code})
			}
		}
	}
	return out, nil
}

// Item returns one item of a version the caller may read.
func (s *Service) Item(ctx context.Context, id int64) (Item, error) {
	if _, err := requireReader(ctx); err != nil {
		return Item{}, err
	}
	it, err := scanItem(s.DB.Read.QueryRowContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return it, domain.NotFound("portfolio item")
	}
	if err != nil {
		return it, err
	}
	if _, err := s.visibleVersion(ctx, it.VersionID); err != nil {
		return Item{}, domain.NotFound("portfolio item")
	}
	return it, nil
}

// ItemByCode returns the item with a stable code in a version.
func (s *Service) ItemByCode(ctx context.Context, versionID int64, code string) (Item, error) {
	if _, err := s.visibleVersion(ctx, versionID); err != nil {
		return Item{}, err
	}
	it, err := scanItem(s.DB.Read.QueryRowContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE framework_id = $1 AND code = $2`,
		versionID, code))
	if errors.Is(err, sql.ErrNoRows) {
		return it, domain.NotFound("portfolio item " + code)
	}
	return it, err
}

// ItemDetail returns an item with its version, ancestors, children and, for a line, its
// level descriptors and crosswalks.
func (s *Service) ItemDetail(ctx context.Context, id int64) (ItemDetail, error) {
	it, err := s.Item(ctx, id)
	if err != nil {
		return ItemDetail{}, err
	}
	d := ItemDetail{Item: it}
	if d.Version, err = s.Version(ctx, it.VersionID); err != nil {
		return d, err
	}
	if d.Scale, err = loadScale(ctx, s.DB.Read, it.VersionID); err != nil {
		return d, err
	}
	for p := it.ParentID; p != 0; {
		anc, err := scanItem(s.DB.Read.QueryRowContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE id = $1`, p))
		if err != nil {
			return d, err
		}
		d.Path = append([]Item{anc}, d.Path...)
		p = anc.ParentID
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+itemCols+` FROM framework_items WHERE parent_id = $1 ORDER BY position, id`, id)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		c, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return d, err
		}
		d.Children = append(d.Children, c)
	}
	rows.Close()
	if it.Kind != KindLine {
		return d, nil
	}
	if d.Levels, err = loadLineLevels(ctx, s.DB.Read, id); err != nil {
		return d, err
	}
	d.Crosswalks, err = loadCrosswalks(ctx, s.DB.Read, id)
	return d, err
}

func loadLineLevels(ctx context.Context, q db.Querier, itemID int64) ([]LineLevel, error) {
	rows, err := q.QueryContext(ctx, `SELECT level, descriptor_it, descriptor_en FROM line_levels WHERE item_id = $1 ORDER BY level`, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LineLevel
	for rows.Next() {
		var l LineLevel
		if err := rows.Scan(&l.Level, &l.DescriptorIT, &l.DescriptorEN); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func loadCrosswalks(ctx context.Context, q db.Querier, itemID int64) ([]Crosswalk, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, scheme, target_code, target_label, relation FROM crosswalks WHERE item_id = $1 ORDER BY id`, itemID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Crosswalk
	for rows.Next() {
		var c Crosswalk
		if err := rows.Scan(&c.ID, &c.Scheme, &c.Code, &c.Label, &c.Relation); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// searchText is what the accent-insensitive search matches: code, titles, descriptions.
func searchText(code, titleIT, titleEN, descIT, descEN string) string {
	return textnorm.Fold(strings.Join([]string{code, titleIT, titleEN, descIT, descEN}, " "))
}

// searchTerms folds a query into its words.
func searchTerms(q string) []string {
	f := textnorm.Fold(q)
	if f == "" {
		return nil
	}
	words := strings.Fields(f)
	if len(words) > 8 {
		words = words[:8]
	}
	return words
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// Search returns the ids of the items of a version whose code, titles or descriptions
// contain every word of q, ignoring case and accents ("telemedicina" finds "Telemedicina";
// "qualita" finds "qualità").
func (s *Service) Search(ctx context.Context, versionID int64, q string) ([]Item, error) {
	if _, err := s.visibleVersion(ctx, versionID); err != nil {
		return nil, err
	}
	terms := searchTerms(q)
	if len(terms) == 0 {
		return []Item{}, nil
	}
	sqlq := `SELECT ` + itemCols + ` FROM framework_items WHERE framework_id = $1`
	args := []any{versionID}
	for _, t := range terms {
		args = append(args, likeEscape(t))
		sqlq += ` AND search_text LIKE $` + itoa(len(args)) + ` ESCAPE '\'`
	}
	sqlq += ` ORDER BY position, id`
	rows, err := s.DB.Read.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// FilterTree keeps the items matched by a search plus what gives them context: the
// ancestors of every match, and every descendant of a matching dimension or ambito.
func FilterTree(t Tree, matches []Item) Tree {
	hit := map[int64]bool{}
	for _, m := range matches {
		hit[m.ID] = true
	}
	out := t
	out.Dimensions = nil
	for _, d := range t.Dimensions {
		if hit[d.ID] {
			out.Dimensions = append(out.Dimensions, d)
			continue
		}
		nd := d
		nd.Areas = nil
		for _, a := range d.Areas {
			if hit[a.ID] {
				nd.Areas = append(nd.Areas, a)
				continue
			}
			na := a
			na.Lines = nil
			for _, l := range a.Lines {
				if hit[l.ID] {
					na.Lines = append(na.Lines, l)
				}
			}
			if len(na.Lines) > 0 {
				nd.Areas = append(nd.Areas, na)
			}
		}
		if len(nd.Areas) > 0 {
			out.Dimensions = append(out.Dimensions, nd)
		}
	}
	if out.Dimensions == nil {
		out.Dimensions = []TreeDimension{}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
