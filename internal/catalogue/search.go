package catalogue

import (
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"esd/internal/domain"
	"esd/internal/italian"
)

// Query is a catalogue search: Italian free text plus facet filters. Empty fields do not
// filter. Dates select the editions that overlap [From, To].
type Query struct {
	Text        string   `json:"q,omitempty"`
	Types       []string `json:"type,omitempty"`
	Regions     []int64  `json:"region,omitempty"`
	Professions []int    `json:"profession,omitempty"`
	Lines       []int64  `json:"line,omitempty"`
	Dimensions  []int64  `json:"dimension,omitempty"`
	Credits     []string `json:"credits,omitempty"`  // buckets: 0-5, 5-10, 10-20, 20-50
	Cost        string   `json:"cost,omitempty"`     // free, paid
	Delivery    string   `json:"delivery,omitempty"` // online, onsite
	Providers   []int64  `json:"provider,omitempty"`
	From        string   `json:"from,omitempty"`
	To          string   `json:"to,omitempty"`
	// States defaults to the published states; only the event's provider, reviewers and
	// national governance may ask for others (the service restricts them).
	States []string `json:"state,omitempty"`
	Sort   string   `json:"sort,omitempty"` // relevance (default with text), date
	Limit  int      `json:"limit,omitempty"`
	Offset int      `json:"offset,omitempty"`
}

// Hit is one edition found.
type Hit struct {
	EditionID    int64   `json:"edition_id"`
	EventID      int64   `json:"event_id"`
	Code         string  `json:"code"`
	Edition      int     `json:"edition"`
	Title        string  `json:"title"`
	ProviderName string  `json:"provider_name"`
	Type         string  `json:"type"`
	SubTypeName  string  `json:"subtype_name"`
	StartDate    string  `json:"start_date"`
	EndDate      string  `json:"end_date"`
	Online       bool    `json:"online"`
	Region       string  `json:"region,omitempty"`
	Comune       string  `json:"comune,omitempty"`
	Hours        float64 `json:"hours"`
	Credits      float64 `json:"credits"`
	CostCents    int64   `json:"cost_cents"`
	State        string  `json:"state"`
	Score        float64 `json:"score"`
	// Why lists, for recommendations, the objective lines the edition covers.
	Why []string `json:"why,omitempty"`
}

// FacetValue is one value of a facet with the number of editions it would give.
type FacetValue struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Count    int    `json:"count"`
	Selected bool   `json:"selected"`
}

// Facet is one facet with its values.
type Facet struct {
	Name   string       `json:"name"`
	Values []FacetValue `json:"values"`
}

// Result is a page of hits with the total and the facet counts. A facet's counts apply
// every filter but its own, so choosing a second value of the same facet is always
// possible.
type Result struct {
	Total  int      `json:"total"`
	Hits   []Hit    `json:"hits"`
	Facets []Facet  `json:"facets"`
	Terms  []string `json:"terms,omitempty"`
	Micros int64    `json:"micros"`
}

// Facet positions in the failure mask.
const (
	fType = iota
	fRegion
	fProfession
	fLine
	fDimension
	fCredits
	fCost
	fDelivery
	nFacets
)

var creditBuckets = []struct {
	key    string
	lo, hi float32
}{{"0-5", 0, 5}, {"5-10", 5, 10}, {"10-20", 10, 20}, {"20-50", 20, 50.01}}

func creditBucket(c float32) int {
	for i, b := range creditBuckets {
		if c >= b.lo && c < b.hi {
			return i
		}
	}
	return len(creditBuckets) - 1
}

// compiled is a query turned into lookups on the index's small integers.
type compiled struct {
	types     [4]bool
	anyType   bool
	regions   [256]bool
	anyRegion bool
	profMask  uint32
	lines     []bool
	anyLine   bool
	dims      [256]bool
	anyDim    bool
	credits   [4]bool
	anyCredit bool
	cost      int // 0 any, 1 free, 2 paid
	delivery  int // 0 any, 1 online, 2 onsite
	states    [6]bool
	providers map[int64]bool
	from, to  int32
}

func (x *index) compile(q Query) compiled {
	var c compiled
	for _, t := range q.Types {
		if v, ok := typeCode[strings.ToUpper(t)]; ok {
			c.types[v], c.anyType = true, true
		}
	}
	for _, r := range q.Regions {
		c.anyRegion = true
		if i, ok := x.regionIdx[r]; ok {
			c.regions[i] = true
		}
	}
	for _, p := range q.Professions {
		if p > 0 && p < 32 {
			c.profMask |= 1 << uint(p)
		}
	}
	if len(q.Lines) > 0 {
		c.anyLine = true
		c.lines = make([]bool, len(x.lineIDs))
		for _, l := range q.Lines {
			if i, ok := x.lineIdx[l]; ok {
				c.lines[i] = true
			}
		}
	}
	for _, d := range q.Dimensions {
		c.anyDim = true
		if i, ok := x.dimIdx[d]; ok {
			c.dims[i] = true
		}
	}
	for _, k := range q.Credits {
		for i, b := range creditBuckets {
			if b.key == k {
				c.credits[i], c.anyCredit = true, true
			}
		}
	}
	switch q.Cost {
	case "free":
		c.cost = 1
	case "paid":
		c.cost = 2
	}
	switch q.Delivery {
	case "online":
		c.delivery = 1
	case "onsite":
		c.delivery = 2
	}
	states := q.States
	if len(states) == 0 {
		states = []string{StateAccredited, StateRunning, StateClosed}
	}
	for _, s := range states {
		if v, ok := stateCode[s]; ok {
			c.states[v] = true
		}
	}
	if len(q.Providers) > 0 {
		c.providers = map[int64]bool{}
		for _, p := range q.Providers {
			c.providers[p] = true
		}
	}
	c.from, c.to = math.MinInt32, math.MaxInt32
	if q.From != "" {
		c.from = dayOf(q.From)
	}
	if q.To != "" {
		c.to = dayOf(q.To)
	}
	return c
}

// base reports whether d passes the filters that are not facets.
func (c *compiled) base(x *index, ord uint32, d *doc) bool {
	if d.flags&flagDead != 0 || !c.states[d.state] || d.end < c.from || d.start > c.to {
		return false
	}
	return c.providers == nil || c.providers[x.providers[ord]]
}

// fails returns the set of facet filters d fails.
func (c *compiled) fails(x *index, ord uint32, d *doc) uint32 {
	var m uint32
	if c.anyType && !c.types[d.typ] {
		m |= 1 << fType
	}
	if c.anyRegion && !c.regions[d.region] {
		m |= 1 << fRegion
	}
	if c.profMask != 0 && d.flags&flagAllProfessions == 0 && d.profMask&c.profMask == 0 {
		m |= 1 << fProfession
	}
	if c.anyLine || c.anyDim {
		okL, okD := false, false
		for _, l := range x.linesOf(ord) {
			okL = okL || c.anyLine && c.lines[l]
			okD = okD || c.anyDim && c.dims[x.lineDim[l]]
		}
		if c.anyLine && !okL {
			m |= 1 << fLine
		}
		if c.anyDim && !okD {
			m |= 1 << fDimension
		}
	}
	if c.anyCredit && !c.credits[d.cbucket] {
		m |= 1 << fCredits
	}
	if c.cost == 1 && d.flags&flagFree == 0 || c.cost == 2 && d.flags&flagFree != 0 {
		m |= 1 << fCost
	}
	if c.delivery == 1 && d.flags&flagOnline == 0 || c.delivery == 2 && d.flags&flagOnline != 0 {
		m |= 1 << fDelivery
	}
	return m
}

// counts holds the facet counts of one search (or one worker's share of it).
type counts struct {
	types    [4]int
	regions  [256]int
	profs    [32]int
	allProfs int // editions open to every profession count for each profession
	lines    []int
	dims     [256]int
	credits  [4]int
	cost     [2]int // free, paid
	delivery [2]int // online, onsite
	months   [nMonths]int
}

func (n *counts) merge(o *counts) {
	for i := range n.types {
		n.types[i] += o.types[i]
	}
	for i := range n.regions {
		n.regions[i] += o.regions[i]
		n.dims[i] += o.dims[i]
	}
	for i := range n.profs {
		n.profs[i] += o.profs[i]
	}
	n.allProfs += o.allProfs
	for i := range n.lines {
		n.lines[i] += o.lines[i]
	}
	for i := range n.credits {
		n.credits[i] += o.credits[i]
	}
	for i := range n.cost {
		n.cost[i] += o.cost[i]
		n.delivery[i] += o.delivery[i]
	}
	for i := range n.months {
		n.months[i] += o.months[i]
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addAll counts a document that passes every filter, in every facet.
func (n *counts) addAll(x *index, ord uint32, d *doc) { n.addAllN(x, ord, d, 1) }

// addAllN adds k (1, or -1 to take a replaced document out of the published counts).
func (n *counts) addAllN(x *index, ord uint32, d *doc, k int) {
	n.types[d.typ] += k
	n.regions[d.region] += k
	if d.flags&flagAllProfessions != 0 {
		n.allProfs += k
	} else {
		for m := d.profMask; m != 0; m &= m - 1 {
			n.profs[bits.TrailingZeros32(m)] += k
		}
	}
	ls := x.linesOf(ord)
	var seen uint64
	for _, l := range ls {
		for int(l) >= len(n.lines) {
			n.lines = append(n.lines, 0)
		}
		n.lines[l] += k
		di := x.lineDim[l]
		if di < 64 && seen&(1<<di) == 0 {
			seen |= 1 << di
			n.dims[di] += k
		}
	}
	n.credits[d.cbucket] += k
	n.cost[b2i(d.flags&flagFree == 0)] += k
	n.delivery[b2i(d.flags&flagOnline == 0)] += k
	n.months[d.month] += k
}

// addOne counts a document that fails only the filter of facet f, in that facet.
func (n *counts) addOne(x *index, ord uint32, d *doc, f int) {
	switch f {
	case fType:
		n.types[d.typ]++
	case fRegion:
		n.regions[d.region]++
	case fProfession:
		for m := d.profMask; m != 0; m &= m - 1 {
			n.profs[bits.TrailingZeros32(m)]++
		}
	case fLine:
		for _, l := range x.linesOf(ord) {
			n.lines[l]++
		}
	case fDimension:
		var seen uint64
		for _, l := range x.linesOf(ord) {
			di := x.lineDim[l]
			if di < 64 && seen&(1<<di) == 0 {
				seen |= 1 << di
				n.dims[di]++
			}
		}
	case fCredits:
		n.credits[d.cbucket]++
	case fCost:
		n.cost[b2i(d.flags&flagFree == 0)]++
	case fDelivery:
		n.delivery[b2i(d.flags&flagOnline == 0)]++
	}
}

// scored is a candidate hit for the top-k heap.
type scored struct {
	ord   uint32
	score float32
	start int32
}

type topK struct {
	items  []scored
	byDate bool
}

func (h *topK) Len() int { return len(h.items) }
func (h *topK) less(a, b scored) bool { // a ranks below b
	if !h.byDate && a.score != b.score {
		return a.score < b.score
	}
	if a.start != b.start {
		return a.start > b.start
	}
	return a.ord > b.ord
}
func (h *topK) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *topK) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *topK) Push(v any)         { h.items = append(h.items, v.(scored)) }
func (h *topK) Pop() any {
	v := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return v
}

func (h *topK) offer(s scored, k int) {
	if len(h.items) < k {
		heap.Push(h, s)
		return
	}
	if h.less(h.items[0], s) {
		h.items[0] = s
		heap.Fix(h, 0)
	}
}

// worker is one share of a search: its total, counts and best hits.
type worker struct {
	total int
	n     *counts
	h     *topK
}

func (w *worker) visit(x *index, c *compiled, ord uint32, score float32, k int) {
	d := &x.docs[ord]
	if !c.base(x, ord, d) {
		return
	}
	m := c.fails(x, ord, d)
	switch {
	case m == 0:
		w.total++
		w.n.addAll(x, ord, d)
		w.h.offer(scored{ord, score, d.start}, k)
	case m&(m-1) == 0:
		w.n.addOne(x, ord, d, bits.TrailingZeros32(m))
	}
}

// parallelFrom is the number of documents above which a search is split across the cores.
const parallelFrom = 100_000

// run executes a compiled query on the index: the ranked page and the facet counts. Without
// text it visits only the editions ending on or after the From date (byEnd), and large
// scans are split across the cores, each worker counting on its own and merged at the end.
func (x *index) run(q Query, c compiled) (total int, page []scored, n *counts, terms []string) {
	terms = italian.Terms(q.Text)
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	// An offset past every document gives an empty page; capping it there also keeps
	// limit+offset from overflowing (a query string can say offset=9223372036854775807).
	k := limit + min(max(q.Offset, 0), len(x.docs))
	byDate := q.Sort == "date" || len(terms) == 0
	newWorker := func() *worker {
		return &worker{n: &counts{lines: make([]int, len(x.lineIDs))}, h: &topK{byDate: byDate}}
	}
	var ords []uint32
	var scores []float32
	onlyFacet := -1 // with one filter and the default base: its facet comes from x.pub
	count := len(x.docs)
	if len(terms) > 0 {
		N := float32(len(x.docs) - x.dead + 1)
		ords, scores = x.intersect(terms, func(df int) float32 { return idf(N, df) })
		count = len(ords)
	} else {
		// Without text: the fewest documents that can matter.
		lists := x.filterLists(&c)
		switch {
		case len(lists) == 0 && c.isDefaultBase():
			return x.runPublished(q, k, byDate, terms)
		case len(lists) >= 2:
			sort.Slice(lists, func(i, j int) bool { return len(lists[i].ords) < len(lists[j].ords) })
			ords = union(lists[0].ords, lists[1].ords)
			count = len(ords)
		case len(lists) == 1 && c.isDefaultBase():
			ords = lists[0].ords
			count = len(ords)
			onlyFacet = lists[0].facet
		}
		if c.from > math.MinInt32 {
			if first := x.endFrom(c.from); len(x.byEnd)-first < count || ords == nil {
				rest := x.byEnd[first:]
				ords, count, onlyFacet = rest, len(rest), -1
			}
		}
	}
	workers := 1
	if count >= parallelFrom {
		workers = min(runtime.GOMAXPROCS(0), 4)
	}
	ws := make([]*worker, workers)
	var wg sync.WaitGroup
	for w := range ws {
		ws[w] = newWorker()
		lo, hi := count*w/workers, count*(w+1)/workers
		run := func(wk *worker) {
			switch {
			case scores != nil:
				for i := lo; i < hi; i++ {
					wk.visit(x, &c, ords[i], scores[i], k)
				}
			case ords != nil:
				for _, o := range ords[lo:hi] {
					wk.visit(x, &c, o, 0, k)
				}
			default:
				for i := lo; i < hi; i++ {
					wk.visit(x, &c, uint32(i), 0, k)
				}
			}
		}
		if workers == 1 {
			run(ws[w])
			continue
		}
		wg.Add(1)
		go func(wk *worker) { defer wg.Done(); run(wk) }(ws[w])
	}
	wg.Wait()
	main := ws[0]
	for _, o := range ws[1:] {
		main.total += o.total
		main.n.merge(o.n)
		for _, it := range o.h.items {
			main.h.offer(it, k)
		}
	}
	if onlyFacet >= 0 {
		main.n.copyFacet(x.pub, onlyFacet)
	}
	// Best first.
	sorted := make([]scored, len(main.h.items))
	for i := len(sorted) - 1; i >= 0; i-- {
		sorted[i] = heap.Pop(main.h).(scored)
	}
	if q.Offset < len(sorted) {
		page = sorted[max(q.Offset, 0):]
	}
	return main.total, page, main.n, terms
}

// idf weighs a term found in df of N documents.
func idf(N float32, df int) float32 { return float32(math.Log(float64(1 + N/float32(df)))) }

// italianTerms is the analysis of query text.
func italianTerms(text string) []string { return italian.Terms(text) }

// filterList is the union of the postings of one active facet filter.
type filterList struct {
	facet int
	ords  []uint32
}

// filterLists returns, for each active facet filter, the documents passing it.
func (x *index) filterLists(c *compiled) []filterList {
	var out []filterList
	pick := func(facet int, lists [][]uint32) {
		out = append(out, filterList{facet, union(lists...)})
	}
	if c.anyType {
		var ls [][]uint32
		for i, on := range c.types {
			if on {
				ls = append(ls, x.typeP[i])
			}
		}
		pick(fType, ls)
	}
	if c.anyRegion {
		var ls [][]uint32
		for i, on := range c.regions {
			if on {
				ls = append(ls, x.regionP[i])
			}
		}
		pick(fRegion, ls)
	}
	if c.profMask != 0 {
		ls := [][]uint32{x.profP[0]}
		for m := c.profMask; m != 0; m &= m - 1 {
			ls = append(ls, x.profP[bits.TrailingZeros32(m)])
		}
		pick(fProfession, ls)
	}
	if c.anyLine {
		var ls [][]uint32
		for i, on := range c.lines {
			if on {
				ls = append(ls, x.linePostings[i])
			}
		}
		pick(fLine, ls)
	}
	if c.anyDim {
		var ls [][]uint32
		for i, on := range c.dims {
			if on {
				ls = append(ls, x.dimP[i])
			}
		}
		pick(fDimension, ls)
	}
	if c.anyCredit {
		var ls [][]uint32
		for i, on := range c.credits {
			if on {
				ls = append(ls, x.creditP[i])
			}
		}
		pick(fCredits, ls)
	}
	if c.cost != 0 {
		pick(fCost, [][]uint32{x.costP[c.cost-1]})
	}
	if c.delivery != 0 {
		pick(fDelivery, [][]uint32{x.deliveryP[c.delivery-1]})
	}
	return out
}

// isDefaultBase reports whether the query filters nothing but the facets: published
// states, every provider, every date. x.pub holds the counts of that base.
func (c *compiled) isDefaultBase() bool {
	if c.providers != nil || c.from != math.MinInt32 || c.to != math.MaxInt32 {
		return false
	}
	for st, on := range c.states {
		if on != isPublished(uint8(st)) {
			return false
		}
	}
	return true
}

// copyFacet replaces one facet's counts with o's.
func (n *counts) copyFacet(o *counts, facet int) {
	switch facet {
	case fType:
		n.types = o.types
	case fRegion:
		n.regions = o.regions
	case fProfession:
		n.profs, n.allProfs = o.profs, o.allProfs
	case fLine:
		copy(n.lines, o.lines)
	case fDimension:
		n.dims = o.dims
	case fCredits:
		n.credits = o.credits
	case fCost:
		n.cost = o.cost
	case fDelivery:
		n.delivery = o.delivery
	}
}

// runPublished answers a search with no text and no filter from the published counts,
// taking the first page in start-date order.
func (x *index) runPublished(q Query, k int, byDate bool, terms []string) (int, []scored, *counts, []string) {
	n := &counts{lines: make([]int, len(x.lineIDs))}
	pub := x.pub
	if pub == nil {
		pub = &counts{}
	}
	lines := n.lines
	*n = *pub
	n.lines = lines
	copy(n.lines, pub.lines)
	var page []scored
	for _, o := range x.byStart {
		d := &x.docs[o]
		if d.flags&flagDead != 0 || !isPublished(d.state) {
			continue
		}
		page = append(page, scored{ord: o, start: d.start})
		if len(page) == k {
			break
		}
	}
	if q.Offset < len(page) {
		page = page[max(q.Offset, 0):]
	} else {
		page = nil
	}
	return x.pubTotal, page, n, terms
}

// Search runs a catalogue search. Everyone signed in may search published events; asking
// for other states narrows the results to what the caller may see (a provider its own
// events, a regional referent its region's providers).
func (s *Service) Search(ctx context.Context, q Query) (Result, error) {
	a, err := domain.Require(ctx, domain.Roles...)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	for _, st := range q.States {
		if !Published(st) && !a.IsNationalOrSystem() {
			switch a.Role {
			case domain.RoleProvider:
				q.Providers = []int64{a.OrganisationID}
			default:
				return Result{}, domain.Forbidden("only published events can be searched with this role")
			}
		}
	}
	x, err := s.searchIndex(ctx)
	if err != nil {
		return Result{}, err
	}
	x.mu.RLock()
	c := x.compile(q)
	total, page, n, terms := x.run(q, c)
	ids := make([]int64, len(page))
	scores := map[int64]float64{}
	for i, p := range page {
		ids[i] = x.editionIDs[p.ord]
		scores[ids[i]] = float64(p.score)
	}
	facets := s.facets(ctx, x, q, n)
	x.mu.RUnlock()
	hits, err := s.hits(ctx, ids)
	if err != nil {
		return Result{}, err
	}
	for i := range hits {
		hits[i].Score = round(scores[hits[i].EditionID], 3)
	}
	return Result{Total: total, Hits: hits, Facets: facets, Terms: terms, Micros: time.Since(start).Microseconds()}, nil
}

// hits reads the display fields of editions, in the order given.
func (s *Service) hits(ctx context.Context, ids []int64) ([]Hit, error) {
	if len(ids) == 0 {
		return []Hit{}, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	byID := map[int64]Hit{}
	err := scanAll(ctx, s.DB.Read, `SELECT d.id, e.id, e.code, d.number, e.title, o.name, e.type, e.subtype, d.start_date, d.end_date,
		d.online, COALESCE(r.name, ''), COALESCE(c.name, ''), e.hours, e.credits, e.cost_cents, e.state
		FROM event_editions d JOIN events e ON e.id = d.event_id JOIN organisations o ON o.id = e.provider_id
		LEFT JOIN regions r ON r.id = d.region_id LEFT JOIN comuni c ON c.istat_code = d.comune_istat
		WHERE d.id IN (`+placeholders(len(ids))+`)`, func(rs *sql.Rows) error {
		var h Hit
		var sub int
		if err := rs.Scan(&h.EditionID, &h.EventID, &h.Code, &h.Edition, &h.Title, &h.ProviderName, &h.Type, &sub, &h.StartDate,
			&h.EndDate, &h.Online, &h.Region, &h.Comune, &h.Hours, &h.Credits, &h.CostCents, &h.State); err != nil {
			return err
		}
		h.SubTypeName = subTypeName(sub)
		byID[h.EditionID] = h
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	out := make([]Hit, 0, len(ids))
	for _, id := range ids {
		if h, ok := byID[id]; ok {
			out = append(out, h)
		}
	}
	return out, nil
}

func placeholders(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

// labels are the names facets show, cached for a minute (they change with the reference
// data and the portfolio, rarely).
type labels struct {
	at          time.Time
	regions     map[int64]string
	professions map[int]string
	lines       map[int64]lineRef
	dims        map[int64]lineRef
}

var (
	labelMu    sync.Mutex
	labelCache = map[*Service]*labels{}
)

func (s *Service) labels(ctx context.Context) *labels {
	labelMu.Lock()
	defer labelMu.Unlock()
	if l, ok := labelCache[s]; ok && time.Since(l.at) < time.Minute {
		return l
	}
	l := &labels{at: time.Now(), regions: map[int64]string{}, professions: map[int]string{}, lines: map[int64]lineRef{}, dims: map[int64]lineRef{}}
	_ = scanAll(ctx, s.DB.Read, `SELECT id, name FROM regions`, func(rs *sql.Rows) error {
		var id int64
		var n string
		if err := rs.Scan(&id, &n); err != nil {
			return err
		}
		l.regions[id] = n
		return nil
	})
	_ = scanAll(ctx, s.DB.Read, `SELECT code, name FROM professions`, func(rs *sql.Rows) error {
		var c int
		var n string
		if err := rs.Scan(&c, &n); err != nil {
			return err
		}
		l.professions[c] = n
		return nil
	})
	r := &refs{}
	if err := s.loadPortfolio(ctx, r); err == nil {
		l.lines = r.lines
		for _, d := range r.dims {
			l.dims[d.ID] = d
		}
		for _, ln := range r.lines {
			if _, ok := l.dims[ln.DimID]; !ok {
				l.dims[ln.DimID] = lineRef{ID: ln.DimID, Code: ln.DimCode, Title: ln.DimTitle}
			}
		}
	}
	labelCache[s] = l
	return l
}

func (s *Service) facets(ctx context.Context, x *index, q Query, n *counts) []Facet {
	lb := s.labels(ctx)
	sel := func(list []string, v string) bool { return contains(list, v) }
	var out []Facet
	f := Facet{Name: "type"}
	for _, t := range Types {
		f.Values = append(f.Values, FacetValue{Key: t, Label: t, Count: n.types[typeCode[t]], Selected: sel(q.Types, t)})
	}
	out = append(out, f)
	f = Facet{Name: "region"}
	for i := 1; i < len(x.regionIDs); i++ {
		id := x.regionIDs[i]
		if n.regions[i] > 0 || containsInt64(q.Regions, id) {
			f.Values = append(f.Values, FacetValue{Key: fmt.Sprint(id), Label: lb.regions[id], Count: n.regions[i], Selected: containsInt64(q.Regions, id)})
		}
	}
	sortValues(f.Values)
	out = append(out, f)
	f = Facet{Name: "profession"}
	for p := 1; p < 32; p++ {
		c := n.profs[p] + n.allProfs
		if name, ok := lb.professions[p]; ok && (c > 0 || containsInt(q.Professions, p)) {
			f.Values = append(f.Values, FacetValue{Key: fmt.Sprint(p), Label: name, Count: c, Selected: containsInt(q.Professions, p)})
		}
	}
	sortValues(f.Values)
	out = append(out, f)
	f = Facet{Name: "dimension"}
	for i := 1; i < len(x.dimIDs); i++ {
		id := x.dimIDs[i]
		if n.dims[i] > 0 || containsInt64(q.Dimensions, id) {
			d := lb.dims[id]
			f.Values = append(f.Values, FacetValue{Key: fmt.Sprint(id), Label: strings.TrimSpace(d.Code + " " + d.Title), Count: n.dims[i], Selected: containsInt64(q.Dimensions, id)})
		}
	}
	sort.Slice(f.Values, func(i, j int) bool { return f.Values[i].Label < f.Values[j].Label })
	out = append(out, f)
	f = Facet{Name: "line"}
	for i, id := range x.lineIDs {
		if n.lines[i] > 0 || containsInt64(q.Lines, id) {
			l := lb.lines[id]
			f.Values = append(f.Values, FacetValue{Key: fmt.Sprint(id), Label: strings.TrimSpace(l.Code + " " + l.Title), Count: n.lines[i], Selected: containsInt64(q.Lines, id)})
		}
	}
	sortValues(f.Values)
	if len(f.Values) > 30 {
		keep := f.Values[:30]
		for _, v := range f.Values[30:] {
			if v.Selected {
				keep = append(keep, v)
			}
		}
		f.Values = keep
	}
	out = append(out, f)
	f = Facet{Name: "credits"}
	for i, b := range creditBuckets {
		f.Values = append(f.Values, FacetValue{Key: b.key, Label: b.key, Count: n.credits[i], Selected: sel(q.Credits, b.key)})
	}
	out = append(out, f)
	// Dates: the months editions start in (choosing one sets the From/To dates), first 24.
	f = Facet{Name: "month"}
	for m := 0; m < nMonths && len(f.Values) < 24; m++ {
		if n.months[m] > 0 {
			key := monthLabel(m)
			f.Values = append(f.Values, FacetValue{Key: key, Label: key, Count: n.months[m], Selected: strings.HasPrefix(q.From, key) && strings.HasPrefix(q.To, key)})
		}
	}
	out = append(out, f)
	out = append(out, Facet{Name: "cost", Values: []FacetValue{
		{Key: "free", Label: "free", Count: n.cost[0], Selected: q.Cost == "free"},
		{Key: "paid", Label: "paid", Count: n.cost[1], Selected: q.Cost == "paid"}}})
	out = append(out, Facet{Name: "delivery", Values: []FacetValue{
		{Key: "online", Label: "online", Count: n.delivery[0], Selected: q.Delivery == "online"},
		{Key: "onsite", Label: "onsite", Count: n.delivery[1], Selected: q.Delivery == "onsite"}}})
	return out
}

func sortValues(v []FacetValue) {
	sort.SliceStable(v, func(i, j int) bool {
		if v[i].Count != v[j].Count {
			return v[i].Count > v[j].Count
		}
		return v[i].Label < v[j].Label
	})
}

func containsInt64(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
