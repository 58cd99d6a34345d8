package monitor

// counters accumulates changes to the counters (monitor_cells) before they are written. A
// professional touches ~40 undated counters of their group (region, organisation,
// profession, persona) and 2–4 per assessed line of their region and persona: kept in a map
// keyed by the whole cellKey that is hundreds of hashings of three strings per professional,
// most of a rebuild's time. Here the undated and per-ambito counters of a group sit in one
// record and the per-line ones of a region and persona in dense arrays, so a professional
// costs three map lookups plus their few dated counters; emit turns it all back into cells.
type counters struct {
	cells  map[cellKey]cellVal // dated counters, and everything once emitted
	groups map[groupKey]*groupVals
	lines  map[linesKey]*lineVals
}

// groupKey is a group's counters under one framework version (whose ambiti index level and
// gap).
type groupKey struct {
	Region, Org int64
	Profession  int
	Persona     int64
	fw          *framework
}

// The undated counters every group has, by slot.
const (
	slotProf = iota
	slotPersona
	slotAssessed
	slotObjSet
	slotObjAch
	slotDossier
	slotPart
	slotCredits
	nSlots
)

var slotMetric = [nSlots]string{mProf, mPersona, mAssessed, mObjSet, mObjAch, mDossier, mPart, mCredits}

type groupVals struct {
	fixed      [nSlots]cellVal
	level, gap []cellVal // per ambito, in the order of fw.areaCodes
}

// linesKey is the per-line counters of a region and persona under one framework version.
type linesKey struct {
	Region, Persona int64
	fw              *framework
}

// The per-line metrics, by index in lineVals.
const (
	lineLevel = iota
	lineGap
	lineBefore
	lineAfter
	nLineMetrics
)

var lineMetric = [nLineMetrics]string{mLLevel, mLGap, mLBefore, mLAfter}

type lineVals struct {
	v [nLineMetrics][]cellVal // per line, in the order of fw.Lines
}

func newCounters() *counters {
	return &counters{cells: map[cellKey]cellVal{}, groups: map[groupKey]*groupVals{}, lines: map[linesKey]*lineVals{}}
}

func (c *counters) group(k groupKey) *groupVals {
	g := c.groups[k]
	if g == nil {
		g = &groupVals{}
		if k.fw != nil {
			g.level = make([]cellVal, len(k.fw.areaCodes))
			g.gap = make([]cellVal, len(k.fw.areaCodes))
		}
		c.groups[k] = g
	}
	return g
}

func (c *counters) lineSet(k linesKey) *lineVals {
	l := c.lines[k]
	if l == nil {
		l = &lineVals{}
		for m := range l.v {
			l.v[m] = make([]cellVal, len(k.fw.Lines))
		}
		c.lines[k] = l
	}
	return l
}

// size is about how many counter keys are held, for a caller that bounds memory (the sets of
// one framework version are all alike, so the first of each kind stands for the rest).
func (c *counters) size() int {
	n := len(c.cells)
	for k := range c.groups {
		n += len(c.groups) * (nSlots + 2*len(areaCodesOf(k.fw)))
		break
	}
	for k := range c.lines {
		n += len(c.lines) * nLineMetrics * len(k.fw.Lines)
		break
	}
	return n
}

// emit folds the groups and lines into cells (keys met under two framework versions add up)
// and returns them; the counters are then empty but for cells, which the caller owns.
func (c *counters) emit() map[cellKey]cellVal {
	add := func(k cellKey, v cellVal) {
		if v.N == 0 && v.Total == 0 {
			return
		}
		w := c.cells[k]
		w.N += v.N
		w.Total += v.Total
		c.cells[k] = w
	}
	for k, g := range c.groups {
		base := cellKey{Region: k.Region, Org: k.Org, Profession: k.Profession, Persona: k.Persona}
		for slot, v := range g.fixed {
			base.Metric = slotMetric[slot]
			add(base, v)
		}
		for i, code := range areaCodesOf(k.fw) {
			base.Item = code
			base.Metric = mALevel
			add(base, g.level[i])
			base.Metric = mAGap
			add(base, g.gap[i])
		}
	}
	for k, l := range c.lines {
		base := cellKey{Region: k.Region, Org: All, Profession: All, Persona: k.Persona}
		for m, vals := range l.v {
			base.Metric = lineMetric[m]
			for i, v := range vals {
				base.Item = k.fw.Lines[i].Code
				add(base, v)
			}
		}
	}
	clear(c.groups)
	clear(c.lines)
	return c.cells
}

// reset empties the counters for reuse.
func (c *counters) reset() {
	clear(c.cells)
	clear(c.groups)
	clear(c.lines)
}

func areaCodesOf(fw *framework) []string {
	if fw == nil {
		return nil
	}
	return fw.areaCodes
}
