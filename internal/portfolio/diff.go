package portfolio

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Diff is the difference between two versions, item by item, matched by stable code.
type Diff struct {
	From Version `json:"from"`
	To   Version `json:"to"`
	// ScaleChanged lists the scale levels whose label or descriptors differ, or that exist
	// on one side only.
	ScaleChanged []int       `json:"scale_changed,omitempty"`
	Added        []DiffEntry `json:"added"`
	Removed      []DiffEntry `json:"removed"`
	Changed      []DiffEntry `json:"changed"`
	Unchanged    int         `json:"unchanged"`
}

// DiffEntry is one item added, removed or changed.
type DiffEntry struct {
	Kind    string `json:"kind"`
	Code    string `json:"code"`
	TitleIT string `json:"title_it"`
	TitleEN string `json:"title_en,omitempty"`
	// Fields lists what changed: title_it, title_en, description_it, description_en,
	// parent (moved), kind, levels (with the levels concerned), crosswalks.
	Fields []string `json:"fields,omitempty"`
	// FromID and ToID are the item's ids in each version (0 where it does not exist).
	FromID int64 `json:"from_id,omitempty"`
	ToID   int64 `json:"to_id,omitempty"`
}

// Title returns the title in lang.
func (e DiffEntry) Title(lang string) string { return pick(lang, e.TitleIT, e.TitleEN) }

// Empty reports whether the two versions have the same content.
func (d Diff) Empty() bool {
	return len(d.ScaleChanged) == 0 && len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0
}

// LinesOnly returns the entries of kind line of a list.
func LinesOnly(es []DiffEntry) []DiffEntry {
	var out []DiffEntry
	for _, e := range es {
		if e.Kind == KindLine {
			out = append(out, e)
		}
	}
	return out
}

type flatItem struct {
	DocItem
	kind, parent string
	id           int64
}

func flatten(doc Document, ids map[string]int64) map[string]flatItem {
	out := map[string]flatItem{}
	for _, d := range doc.Dimensions {
		out[d.Code] = flatItem{d, KindDimension, "", ids[d.Code]}
		for _, a := range d.Areas {
			out[a.Code] = flatItem{a, KindArea, d.Code, ids[a.Code]}
			for _, l := range a.Lines {
				out[l.Code] = flatItem{l, KindLine, a.Code, ids[l.Code]}
			}
		}
	}
	return out
}

// Compare returns the difference from version fromID to version toID (any two versions the
// caller may read, of the same framework or not).
func (s *Service) Compare(ctx context.Context, fromID, toID int64) (Diff, error) {
	var d Diff
	var err error
	if d.From, err = s.Version(ctx, fromID); err != nil {
		return d, err
	}
	if d.To, err = s.Version(ctx, toID); err != nil {
		return d, err
	}
	a, err := loadDocument(ctx, s.DB.Read, fromID)
	if err != nil {
		return d, err
	}
	b, err := loadDocument(ctx, s.DB.Read, toID)
	if err != nil {
		return d, err
	}
	ida, err := codeIDs(ctx, s, fromID)
	if err != nil {
		return d, err
	}
	idb, err := codeIDs(ctx, s, toID)
	if err != nil {
		return d, err
	}
	diffDocs(&d, a, b, ida, idb)
	return d, nil
}

func codeIDs(ctx context.Context, s *Service, versionID int64) (map[string]int64, error) {
	items, err := loadItems(ctx, s.DB.Read, versionID)
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for _, it := range items {
		m[it.Code] = it.ID
	}
	return m, nil
}

// diffDocs fills d with the differences between two documents (pure; tested directly).
func diffDocs(d *Diff, a, b Document, ida, idb map[string]int64) {
	la, lb := map[int]DocLevel{}, map[int]DocLevel{}
	for _, l := range a.Scale {
		la[l.Level] = l
	}
	for _, l := range b.Scale {
		lb[l.Level] = l
	}
	for n := 1; n <= max(len(a.Scale), len(b.Scale)); n++ {
		x, okx := la[n]
		y, oky := lb[n]
		if okx != oky || x.LabelIT != y.LabelIT || x.LabelEN != y.LabelEN || x.DescriptorIT != y.DescriptorIT || x.DescriptorEN != y.DescriptorEN {
			d.ScaleChanged = append(d.ScaleChanged, n)
		}
	}
	fa, fb := flatten(a, ida), flatten(b, idb)
	entry := func(f flatItem) DiffEntry {
		return DiffEntry{Kind: f.kind, Code: f.Code, TitleIT: f.TitleIT, TitleEN: f.TitleEN}
	}
	for code, x := range fa {
		y, ok := fb[code]
		if !ok {
			e := entry(x)
			e.FromID = x.id
			d.Removed = append(d.Removed, e)
			continue
		}
		fields := changedFields(x, y)
		if len(fields) == 0 {
			d.Unchanged++
			continue
		}
		e := entry(y)
		e.Fields, e.FromID, e.ToID = fields, x.id, y.id
		d.Changed = append(d.Changed, e)
	}
	for code, y := range fb {
		if _, ok := fa[code]; !ok {
			e := entry(y)
			e.ToID = y.id
			d.Added = append(d.Added, e)
		}
	}
	for _, l := range [][]DiffEntry{d.Added, d.Removed, d.Changed} {
		sort.Slice(l, func(i, j int) bool { return codeLess(l[i].Code, l[j].Code) })
	}
	if d.Added == nil {
		d.Added = []DiffEntry{}
	}
	if d.Removed == nil {
		d.Removed = []DiffEntry{}
	}
	if d.Changed == nil {
		d.Changed = []DiffEntry{}
	}
}

func changedFields(x, y flatItem) []string {
	var f []string
	if x.kind != y.kind {
		f = append(f, "kind")
	}
	if x.parent != y.parent {
		f = append(f, "parent")
	}
	if x.TitleIT != y.TitleIT {
		f = append(f, "title_it")
	}
	if x.TitleEN != y.TitleEN {
		f = append(f, "title_en")
	}
	if x.DescriptionIT != y.DescriptionIT {
		f = append(f, "description_it")
	}
	if x.DescriptionEN != y.DescriptionEN {
		f = append(f, "description_en")
	}
	lx, ly := map[int]DocLineLevel{}, map[int]DocLineLevel{}
	for _, l := range x.Levels {
		lx[l.Level] = l
	}
	for _, l := range y.Levels {
		ly[l.Level] = l
	}
	var lv []string
	for n := 1; n <= maxScaleLevel; n++ {
		if lx[n] != ly[n] {
			lv = append(lv, fmt.Sprint(n))
		}
	}
	if len(lv) > 0 {
		f = append(f, "levels "+strings.Join(lv, ","))
	}
	cx, cy := map[string]DocCrosswalk{}, map[string]DocCrosswalk{}
	for _, c := range x.Crosswalks {
		cx[c.Scheme+" "+c.Code] = c
	}
	for _, c := range y.Crosswalks {
		cy[c.Scheme+" "+c.Code] = c
	}
	same := len(cx) == len(cy)
	for k, c := range cx {
		if o, ok := cy[k]; !ok || o.Relation != c.Relation {
			same = false
		}
	}
	if !same {
		f = append(f, "crosswalks")
	}
	return f
}

// codeLess orders codes naturally: D2 before D10, D1.A1.L02 before D1.A1.L10.
func codeLess(a, b string) bool {
	for a != "" && b != "" {
		ra, rb := a[0], b[0]
		if isDigit(ra) && isDigit(rb) {
			na, ia := leadingNumber(a)
			nb, ib := leadingNumber(b)
			if na != nb {
				return na < nb
			}
			a, b = a[ia:], b[ib:]
			continue
		}
		if ra != rb {
			return ra < rb
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func leadingNumber(s string) (int, int) {
	n, i := 0, 0
	for i < len(s) && isDigit(s[i]) && i < 9 {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, i
}
