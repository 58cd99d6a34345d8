package monitor

import (
	"math"
	"sort"
)

// The query engine works on counters loaded into memory for one request and decides, for every
// cell it returns, whether it may be shown. The rule depends only on the data, never on the
// viewer or on the page that asks, so that two queries cannot be differenced:
//
//   - a cell is hidden when its population (the professionals it describes) is under the
//     threshold k, or when its numerator counts between 1 and k-1 professionals;
//   - for every dimension the cell is filtered on (region, organisation, profession, persona,
//     ambito), the cell is placed among its siblings along that dimension (the same cell for
//     every value of the dimension, which together make up the cell without that filter) and
//     complementary suppression is run on that table: while the hidden siblings are a single
//     cell, or together number fewer than k professionals (or a numerator of 1..k-1), the
//     smallest visible sibling is hidden too. The cell is shown only if it survives every such
//     table. So a total minus the visible parts never reveals a hidden part, and a filter that
//     leaves out a handful of people (the total minus the filtered cell) is refused;
//   - a year's cell is hidden when the whole time minus that year is 1..k-1 professionals.

const anyV = math.MinInt64

type dim int

const (
	dRegion dim = iota
	dOrg
	dProf
	dPersona
	dItem
	dPeriod
)

// sel selects counters: anyV (or "*" for the item) matches every value; an organisation of
// anyV selects the region-wide counters (organisation All).
type sel struct {
	Region, Org, Prof, Persona int64
	Item, Period               string
}

type cellRow struct {
	Region, Org, Prof, Persona int64
	Period, Metric, Item       string
	N, Total                   int64
}

func (s sel) get(d dim) int64 {
	switch d {
	case dRegion:
		return s.Region
	case dOrg:
		return s.Org
	case dProf:
		return s.Prof
	case dPersona:
		return s.Persona
	}
	return anyV
}

func (s sel) with(d dim, v int64, item string) sel {
	switch d {
	case dRegion:
		s.Region = v
	case dOrg:
		s.Org = v
	case dProf:
		s.Prof = v
	case dPersona:
		s.Persona = v
	case dItem:
		s.Item = item
	}
	return s
}

func (s sel) isSet(d dim) bool {
	if d == dItem {
		return s.Item != "*"
	}
	if d == dPeriod {
		return s.Period != ""
	}
	return s.get(d) != anyV
}

// matches reports whether row r is counted in s, ignoring dimension skip (so that the rows of
// every sibling along skip can be grouped in one pass).
func (s sel) matches(r *cellRow, skip dim, hasSkip bool) bool {
	if !(hasSkip && skip == dRegion) && s.Region != anyV && r.Region != s.Region {
		return false
	}
	if hasSkip && skip == dOrg {
		if r.Org == All {
			return false
		}
	} else if s.Org == anyV {
		if r.Org != All {
			return false
		}
	} else if r.Org != s.Org {
		return false
	}
	if !(hasSkip && skip == dProf) && s.Prof != anyV && r.Prof != s.Prof {
		return false
	}
	if !(hasSkip && skip == dPersona) && s.Persona != anyV && r.Persona != s.Persona {
		return false
	}
	if !(hasSkip && skip == dItem) && s.Item != "*" && r.Item != s.Item {
		return false
	}
	return true
}

// indicator is what a dashboard shows: a rate (numerator over denominator professionals), a
// mean per professional, or credits per professional.
type indicator struct {
	Key   string
	Num   string // metric of the numerator
	Den   string // metric of the denominator ("" for a mean)
	Kind  string // rate, mean, perhead
	Dated bool   // the numerator has cells per year
	Area  bool   // per ambito (the item dimension applies)
	// Scale divides a mean's total (100: ambito means are kept in hundredths; 1: line levels).
	Scale float64
}

// Indicators lists the indicators in menu order.
var Indicators = []string{"assessed", "persona", "dossier", "objectives", "participation", "credits", "level", "gap"}

var indicators = map[string]indicator{
	"persona":       {Key: "persona", Num: mPersona, Den: mProf, Kind: "rate"},
	"assessed":      {Key: "assessed", Num: mAssessed, Den: mProf, Kind: "rate", Dated: true},
	"dossier":       {Key: "dossier", Num: mDossier, Den: mProf, Kind: "rate"},
	"objectives":    {Key: "objectives", Num: mObjAch, Den: mObjSet, Kind: "rate", Dated: true},
	"participation": {Key: "participation", Num: mPart, Den: mProf, Kind: "rate", Dated: true},
	"credits":       {Key: "credits", Num: mCredits, Den: mProf, Kind: "perhead", Dated: true},
	"level":         {Key: "level", Num: mALevel, Kind: "mean", Area: true},
	"gap":           {Key: "gap", Num: mAGap, Kind: "mean", Area: true},
	// Per line, per region and persona only.
	"line_before": {Key: "line_before", Num: mLBefore, Kind: "mean", Area: true, Scale: 1},
	"line_after":  {Key: "line_after", Num: mLAfter, Kind: "mean", Area: true, Scale: 1},
	"line_level":  {Key: "line_level", Num: mLLevel, Kind: "mean", Area: true, Scale: 1},
}

// Cell is one figure as shown: how many professionals it describes, how many are in the
// numerator, the value, and whether it is hidden (then Pop, Num and Value are zero).
type Cell struct {
	Pop    int64   `json:"population"`
	Num    int64   `json:"numerator"`
	Value  float64 `json:"value"`
	Hidden bool    `json:"suppressed"`
	Empty  bool    `json:"empty,omitempty"`
	// Text is the value formatted for the page's language ("" when hidden or empty).
	Text string `json:"text,omitempty"`
}

type engine struct {
	k    int64
	ind  indicator
	rows []cellRow
	memo map[memoKey]map[int64]bool
	// Indexes of rows built on first use: by metric, period and organisation (All for the
	// region-wide counters), and the same with the item; orgRows holds the rows of every real
	// organisation by metric and period (the siblings along the organisation).
	idx     map[bucket][]int32
	itemIdx map[itemBucket][]int32
	orgRows map[bucket][]int32
	raws    map[sel]Cell
}

type bucket struct {
	metric, period string
	org            int64
}

type itemBucket struct {
	bucket
	item string
}

func (e *engine) index() {
	if e.idx != nil {
		return
	}
	e.idx, e.itemIdx, e.orgRows = map[bucket][]int32{}, map[itemBucket][]int32{}, map[bucket][]int32{}
	for i := range e.rows {
		r := &e.rows[i]
		b := bucket{r.Metric, r.Period, r.Org}
		e.idx[b] = append(e.idx[b], int32(i))
		ib := itemBucket{b, r.Item}
		e.itemIdx[ib] = append(e.itemIdx[ib], int32(i))
		if r.Org != All {
			ob := bucket{r.Metric, r.Period, 0}
			e.orgRows[ob] = append(e.orgRows[ob], int32(i))
		}
	}
}

// candidates are the rows that may match s for metric m and period (skipping dimension skip).
func (e *engine) candidates(m, period string, s sel, skip dim, hasSkip bool) []int32 {
	e.index()
	if hasSkip && skip == dOrg {
		return e.orgRows[bucket{m, period, 0}]
	}
	org := int64(All)
	if s.Org != anyV {
		org = s.Org
	}
	if s.Item != "*" && !(hasSkip && skip == dItem) {
		return e.itemIdx[itemBucket{bucket{m, period, org}, s.Item}]
	}
	return e.idx[bucket{m, period, org}]
}

type memoKey struct {
	parent sel
	d      dim
}

// agg sums metric m over the rows of s (period given).
func (e *engine) agg(m, period string, s sel) cellVal {
	var v cellVal
	for _, i := range e.candidates(m, period, s, 0, false) {
		r := &e.rows[i]
		if s.matches(r, 0, false) {
			v.N += r.N
			v.Total += r.Total
		}
	}
	return v
}

// group sums metric m over the rows of parent grouped by dimension d.
func (e *engine) group(m, period string, parent sel, d dim) map[int64]cellVal {
	out := map[int64]cellVal{}
	for _, i := range e.candidates(m, period, parent, d, true) {
		r := &e.rows[i]
		if !parent.matches(r, d, true) {
			continue
		}
		k := rowValue(r, d)
		v := out[k]
		v.N += r.N
		v.Total += r.Total
		out[k] = v
	}
	return out
}

// Items are grouped by a number: their index in e.items.
func rowValue(r *cellRow, d dim) int64 {
	switch d {
	case dRegion:
		return r.Region
	case dOrg:
		return r.Org
	case dProf:
		return r.Prof
	case dPersona:
		return r.Persona
	}
	return itemKey(r.Item)
}

// itemKey maps an ambito or line code to a number for grouping (FNV-1a, 62 bits: distinct
// codes of one framework never collide in practice; a test checks the default framework).
func itemKey(s string) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return int64(h >> 2)
}

// raw computes a cell without suppression.
func (e *engine) raw(s sel) Cell {
	if c, ok := e.raws[s]; ok {
		return c
	}
	num := e.agg(e.ind.Num, s.Period, s)
	c := e.cellOf(s, num, e.denOf(s))
	if e.raws == nil {
		e.raws = map[sel]Cell{}
	}
	e.raws[s] = c
	return c
}

func (e *engine) denOf(s sel) cellVal {
	switch {
	case e.ind.Den != "":
		return e.agg(e.ind.Den, "", s)
	case s.Item == "*":
		// A mean over every ambito describes the assessed professionals.
		return e.agg(mAssessed, "", s)
	}
	return cellVal{}
}

func (e *engine) cellOf(s sel, num, den cellVal) Cell {
	var c Cell
	switch e.ind.Kind {
	case "rate":
		c.Pop, c.Num = den.N, num.N
		if den.N > 0 {
			c.Value = float64(num.N) / float64(den.N) * 100
		}
	case "perhead":
		c.Pop, c.Num = den.N, num.N
		if den.N > 0 {
			c.Value = float64(num.Total) / 100 / float64(den.N)
		}
	case "mean":
		c.Pop, c.Num = num.N, num.N
		if s.Item == "*" {
			c.Pop = den.N
		}
		if num.N > 0 {
			unit := e.ind.Scale
			if unit == 0 {
				unit = 100
			}
			c.Value = float64(num.Total) / unit / float64(num.N)
		}
	}
	c.Empty = c.Pop == 0
	return c
}

func (e *engine) small(n int64) bool { return n > 0 && n < e.k }

// baseVisible is the cell's own rule.
func (e *engine) baseVisible(c Cell) bool {
	return c.Pop == 0 || (c.Pop >= e.k && !e.small(c.Num))
}

// siblings computes the visibility of every sibling along d of the cells under parent.
func (e *engine) siblings(parent sel, d dim) map[int64]bool {
	mk := memoKey{parent, d}
	if v, ok := e.memo[mk]; ok {
		return v
	}
	period := parent.Period
	nums := e.group(e.ind.Num, period, parent, d)
	var dens map[int64]cellVal
	if e.ind.Den != "" {
		dens = e.group(e.ind.Den, "", parent, d)
	} else if parent.Item == "*" && d != dItem {
		dens = e.group(mAssessed, "", parent, d)
	}
	keys := map[int64]bool{}
	for k := range nums {
		keys[k] = true
	}
	for k := range dens {
		keys[k] = true
	}
	type sib struct {
		key  int64
		c    Cell
		hide bool
	}
	var list []sib
	for k := range keys {
		cs := parent
		if d == dItem {
			cs.Item = "" // only the kind of selection matters to cellOf
		}
		c := e.cellOf(cs, nums[k], dens[k])
		list = append(list, sib{key: k, c: c, hide: !e.baseVisible(c)})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].c.Pop != list[j].c.Pop {
			return list[i].c.Pop < list[j].c.Pop
		}
		return list[i].key < list[j].key
	})
	for {
		var hidden int
		var pop, num int64
		for _, s := range list {
			if s.hide {
				hidden++
				pop += s.c.Pop
				num += s.c.Num
			}
		}
		if hidden == 0 || (hidden >= 2 && pop >= e.k && !e.small(num)) {
			break
		}
		next := -1
		for i, s := range list {
			if !s.hide && !s.c.Empty {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		list[next].hide = true
	}
	out := make(map[int64]bool, len(list))
	for _, s := range list {
		out[s.key] = !s.hide
	}
	e.memo[mk] = out
	return out
}

// cell computes a cell and applies every suppression rule to it.
func (e *engine) cell(s sel) Cell {
	c := e.raw(s)
	if c.Empty {
		return c
	}
	visible := e.baseVisible(c)
	for _, d := range []dim{dRegion, dOrg, dProf, dPersona, dItem} {
		if !visible {
			break
		}
		if !s.isSet(d) || (d == dRegion && s.Org != anyV) {
			continue
		}
		parent := s.with(d, anyV, "*")
		v := rowValueOfSel(s, d)
		if ok, found := e.siblings(parent, d)[v]; found && !ok {
			visible = false
		}
	}
	if visible && s.Period != "" {
		all := s
		all.Period = ""
		whole := e.raw(all)
		if e.small(whole.Pop-c.Pop) || e.small(whole.Num-c.Num) {
			visible = false
		}
	}
	if !visible {
		return Cell{Hidden: true}
	}
	return c
}

func rowValueOfSel(s sel, d dim) int64 {
	if d == dItem {
		return itemKey(s.Item)
	}
	return s.get(d)
}
