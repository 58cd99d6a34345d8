package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"time"
)

// The search index lives in memory: one compact document per edition (the unit a
// professional books) with the event's facets, and an inverted index from analysed term to
// the documents containing it. It is built from the stored terms (events.search_title and
// search_body, analysed in Go when the event was written) at the first search, and kept
// current by reloading only the events whose change_seq is newer than the index's: every
// catalogue write bumps catalogue_version in its transaction, so a search in any process
// sees writes made by any other (the server sees an import run from the CLI).
//
// Why not FTS5 or tsvector: facet counts over hundreds of thousands of matches are what
// costs, and both would need a GROUP BY per facet per query; here one pass over the matching
// documents counts every facet at once. Memory is about 100 bytes per edition plus 4 bytes
// per term occurrence (≈ 150 MB for 600 k events).

const (
	flagOnline uint8 = 1 << iota
	flagFree
	flagAllProfessions
	flagDead
)

// doc is one edition in the index, packed small (28 bytes) because a facet count over the
// whole catalogue reads every one of them; ids and rarely read fields live in parallel
// slices of the index.
type doc struct {
	start    int32 // days since 1970-01-01
	end      int32
	profMask uint32 // bit p = profession code p (1-30)
	typ      uint8
	state    uint8
	region   uint8 // index into index.regionIDs; 0 = none
	flags    uint8
	cbucket  uint8 // credit bucket
	nlines   uint8
	month    uint16              // month of the start date, counted from January 2000 (the dates facet)
	lines    [inlineLines]uint16 // line indexes; more than inlineLines go to index.extraLines
}

const inlineLines = 4

type index struct {
	mu         sync.RWMutex
	seq        int64
	docs       []doc
	editionIDs []int64
	eventIDs   []int64
	providers  []int64
	credits    []float32
	extraLines map[uint32][]uint16
	// byEnd holds every ord sorted by end date, so a search from a date on (the default
	// "upcoming" search) skips the past without looking at it; byStart by start date, for
	// the first page of a search with no filter at all.
	byEnd   []uint32
	byStart []uint32
	// Facet postings: for each facet value, the sorted ords having it. A search without text
	// but with facet filters visits only the documents that fail at most one filter, which
	// all lie in the union of any two filters' lists.
	typeP     [4][]uint32
	regionP   [256][]uint32
	profP     [32][]uint32 // profP[0]: editions open to every profession
	dimP      [256][]uint32
	creditP   [4][]uint32
	costP     [2][]uint32 // free, paid
	deliveryP [2][]uint32 // online, onsite
	// pub counts every facet over the published documents, kept current on add and
	// replace; a search with no text and no filter but the default is answered from it.
	pub      *counts
	pubTotal int
	dead     int
	// byEvent maps an event to its documents, which are consecutive: first ord << 16 |
	// count. No pointers in the values, so the garbage collector skips the map's contents.
	byEvent map[int64]uint64
	// postings: term → sorted entries ord<<1 | 1 if the term is in the title.
	postings map[string][]uint32
	// linePostings: line index → sorted ords of documents mapped to the line.
	linePostings [][]uint32
	lineIDs      []int64
	lineIdx      map[int64]uint16
	lineDim      []uint8 // line index → dimension index (0 = unknown)
	dimIDs       []int64 // dimension index → id; index 0 unused
	dimIdx       map[int64]uint8
	regionIDs    []int64 // region index → id; index 0 unused
	regionIdx    map[int64]uint8
	builtAt      time.Time
	buildTook    time.Duration
}

var typeCode = map[string]uint8{TypeRES: 0, TypeFAD: 1, TypeFSC: 2, TypeBlended: 3}

var stateCode = map[string]uint8{StateDraft: 0, StateSubmitted: 1, StateAccredited: 2, StateRejected: 3, StateRunning: 4, StateClosed: 5}

var epoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

func dayOf(date string) int32 {
	t, err := time.Parse(dateLayout, date)
	if err != nil {
		return 0
	}
	return int32(t.Sub(epoch).Hours() / 24)
}

// monthOf numbers the month of a date from January 2000 (0) to 2049 (599); other dates
// are clamped.
func monthOf(date string) uint16 {
	t, err := time.Parse(dateLayout, date)
	if err != nil {
		return 0
	}
	m := (t.Year()-2000)*12 + int(t.Month()) - 1
	return uint16(min(max(m, 0), nMonths-1))
}

const nMonths = 600

func monthLabel(m int) string { return fmt.Sprintf("%04d-%02d", 2000+m/12, m%12+1) }

func dateOf(day int32) string { return epoch.AddDate(0, 0, int(day)).Format(dateLayout) }

func newIndex() *index {
	return &index{byEvent: map[int64]uint64{}, postings: map[string][]uint32{}, lineIdx: map[int64]uint16{}, extraLines: map[uint32][]uint16{},
		dimIdx: map[int64]uint8{}, regionIdx: map[int64]uint8{}, dimIDs: []int64{0}, regionIDs: []int64{0}, lineDim: nil}
}

func (x *index) regionOf(id int64) uint8 {
	if id == 0 {
		return 0
	}
	if i, ok := x.regionIdx[id]; ok {
		return i
	}
	if len(x.regionIDs) >= 255 {
		return 0
	}
	x.regionIDs = append(x.regionIDs, id)
	i := uint8(len(x.regionIDs) - 1)
	x.regionIdx[id] = i
	return i
}

// lineOf returns the index of a line, registering it (and its dimension) on first sight.
func (x *index) lineOf(id, dimID int64) uint16 {
	if i, ok := x.lineIdx[id]; ok {
		return i
	}
	i := uint16(len(x.lineIDs))
	x.lineIDs = append(x.lineIDs, id)
	x.lineIdx[id] = i
	var d uint8
	if dimID != 0 {
		if di, ok := x.dimIdx[dimID]; ok {
			d = di
		} else if len(x.dimIDs) < 255 {
			x.dimIDs = append(x.dimIDs, dimID)
			d = uint8(len(x.dimIDs) - 1)
			x.dimIdx[dimID] = d
		}
	}
	x.lineDim = append(x.lineDim, d)
	x.linePostings = append(x.linePostings, nil)
	return i
}

// loadedEvent is an event as the index loads it.
type loadedEvent struct {
	id, provider int64
	typ, state   string
	credits      float64
	cost         int64
	all          bool
	title, body  string
	editions     []loadedEdition
	professions  []int
	lines        []int64
}

type loadedEdition struct {
	id         int64
	start, end string
	online     bool
	region     int64
}

// load streams the events with change_seq > since (all when since < 0) and calls fn for
// each, with its editions, audience and lines. It merges three ordered queries instead of
// joining, so each row is read once.
func loadEvents(ctx context.Context, q *sql.DB, since int64, fn func(loadedEvent)) error {
	cond, args := "", []any{}
	if since >= 0 {
		cond, args = " WHERE e.change_seq > $1", []any{since}
	}
	evRows, err := q.QueryContext(ctx, `SELECT e.id, e.provider_id, e.type, e.state, e.credits, e.cost_cents, e.audience_all,
		e.search_title, e.search_body, d.id, d.start_date, d.end_date, d.online, COALESCE(d.region_id, 0)
		FROM events e JOIN event_editions d ON d.event_id = e.id`+cond+` ORDER BY e.id, d.number`, args...)
	if err != nil {
		return err
	}
	defer evRows.Close()
	sub := func(table, col string) (*sql.Rows, error) {
		c := ""
		if since >= 0 {
			c = " WHERE t.event_id IN (SELECT id FROM events e WHERE e.change_seq > $1)"
		}
		return q.QueryContext(ctx, `SELECT t.event_id, t.`+col+` FROM `+table+` t`+c+` ORDER BY t.event_id`, args...)
	}
	audRows, err := sub("event_audience", "profession_code")
	if err != nil {
		return err
	}
	defer audRows.Close()
	lineRows, err := sub("event_lines", "item_id")
	if err != nil {
		return err
	}
	defer lineRows.Close()
	type cursor struct {
		rows *sql.Rows
		ok   bool
		ev   int64
		val  int64
	}
	next := func(c *cursor) error {
		c.ok = c.rows.Next()
		if c.ok {
			return c.rows.Scan(&c.ev, &c.val)
		}
		return c.rows.Err()
	}
	aud, lin := &cursor{rows: audRows}, &cursor{rows: lineRows}
	if err := next(aud); err != nil {
		return err
	}
	if err := next(lin); err != nil {
		return err
	}
	var cur *loadedEvent
	flush := func() error {
		if cur == nil {
			return nil
		}
		for aud.ok && aud.ev < cur.id {
			if err := next(aud); err != nil {
				return err
			}
		}
		for aud.ok && aud.ev == cur.id {
			cur.professions = append(cur.professions, int(aud.val))
			if err := next(aud); err != nil {
				return err
			}
		}
		for lin.ok && lin.ev < cur.id {
			if err := next(lin); err != nil {
				return err
			}
		}
		for lin.ok && lin.ev == cur.id {
			cur.lines = append(cur.lines, lin.val)
			if err := next(lin); err != nil {
				return err
			}
		}
		fn(*cur)
		return nil
	}
	for evRows.Next() {
		var e loadedEvent
		var ed loadedEdition
		if err := evRows.Scan(&e.id, &e.provider, &e.typ, &e.state, &e.credits, &e.cost, &e.all, &e.title, &e.body,
			&ed.id, &ed.start, &ed.end, &ed.online, &ed.region); err != nil {
			return err
		}
		if cur == nil || cur.id != e.id {
			if err := flush(); err != nil {
				return err
			}
			cur = &e
		}
		cur.editions = append(cur.editions, ed)
	}
	if err := evRows.Err(); err != nil {
		return err
	}
	return flush()
}

// isPublished reports whether a state code is one of the published states.
func isPublished(st uint8) bool {
	return st == stateCode[StateAccredited] || st == stateCode[StateRunning] || st == stateCode[StateClosed]
}

// add appends the documents of one event (its editions) to the index.
func (x *index) add(e loadedEvent, lineDims map[int64]int64) {
	if x.pub == nil {
		x.pub = &counts{}
	}
	if span, ok := x.byEvent[e.id]; ok {
		for o := uint32(span >> 16); o < uint32(span>>16)+uint32(span&0xffff); o++ {
			d := &x.docs[o]
			if d.flags&flagDead == 0 {
				if isPublished(d.state) {
					x.pub.addAllN(x, o, d, -1)
					x.pubTotal--
				}
				d.flags |= flagDead
				x.dead++
			}
		}
	}
	var mask uint32
	for _, p := range e.professions {
		if p > 0 && p < 32 {
			mask |= 1 << uint(p)
		}
	}
	var lines []uint16
	for _, l := range e.lines {
		lines = append(lines, x.lineOf(l, lineDims[l]))
	}
	titleTerms := strings.Fields(e.title)
	inTitle := make(map[string]bool, len(titleTerms))
	for _, t := range titleTerms {
		inTitle[t] = true
	}
	terms := make([]string, 0, len(inTitle)+8)
	seen := make(map[string]bool, len(inTitle)+8)
	for _, t := range append(titleTerms, strings.Fields(e.body)...) {
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	var ords []uint32
	for _, ed := range e.editions {
		d := doc{start: dayOf(ed.start), end: dayOf(ed.end), typ: typeCode[e.typ], state: stateCode[e.state], region: x.regionOf(ed.region),
			month:    monthOf(ed.start),
			profMask: mask, cbucket: uint8(creditBucket(float32(e.credits))), nlines: uint8(min(len(lines), 255))}
		copy(d.lines[:], lines)
		if ed.online {
			d.flags |= flagOnline
		}
		if e.cost == 0 {
			d.flags |= flagFree
		}
		if e.all {
			d.flags |= flagAllProfessions
		}
		ord := uint32(len(x.docs))
		x.docs = append(x.docs, d)
		x.editionIDs = append(x.editionIDs, ed.id)
		x.eventIDs = append(x.eventIDs, e.id)
		x.providers = append(x.providers, e.provider)
		x.credits = append(x.credits, float32(e.credits))
		if len(lines) > inlineLines {
			x.extraLines[ord] = lines
		}
		ords = append(ords, ord)
		for _, t := range terms {
			v := ord << 1
			if inTitle[t] {
				v |= 1
			}
			x.postings[t] = append(x.postings[t], v)
		}
		for _, l := range lines {
			x.linePostings[l] = append(x.linePostings[l], ord)
		}
		x.typeP[d.typ] = append(x.typeP[d.typ], ord)
		x.regionP[d.region] = append(x.regionP[d.region], ord)
		if d.flags&flagAllProfessions != 0 {
			x.profP[0] = append(x.profP[0], ord)
		} else {
			for m := d.profMask; m != 0; m &= m - 1 {
				p := bits.TrailingZeros32(m)
				x.profP[p] = append(x.profP[p], ord)
			}
		}
		var seen uint64
		for _, l := range lines {
			if di := x.lineDim[l]; di < 64 && seen&(1<<di) == 0 {
				seen |= 1 << di
				x.dimP[di] = append(x.dimP[di], ord)
			}
		}
		x.creditP[d.cbucket] = append(x.creditP[d.cbucket], ord)
		x.costP[b2i(d.flags&flagFree == 0)] = append(x.costP[b2i(d.flags&flagFree == 0)], ord)
		x.deliveryP[b2i(d.flags&flagOnline == 0)] = append(x.deliveryP[b2i(d.flags&flagOnline == 0)], ord)
		if isPublished(d.state) {
			x.pub.addAllN(x, ord, &x.docs[ord], 1)
			x.pubTotal++
		}
	}
	if len(ords) > 0 {
		x.byEvent[e.id] = uint64(ords[0])<<16 | uint64(min(len(ords), 0xffff))
	}
}

// linesOf returns the line indexes of a document.
func (x *index) linesOf(ord uint32) []uint16 {
	d := &x.docs[ord]
	if d.nlines > inlineLines {
		return x.extraLines[ord]
	}
	return d.lines[:d.nlines]
}

// mergeByEnd adds the ords from first on to byEnd and byStart, keeping them sorted by end
// and start date: the new ords are sorted among themselves and merged in one pass.
func (x *index) mergeByEnd(first int) {
	x.byEnd = x.mergeSorted(x.byEnd, first, func(o uint32) int32 { return x.docs[o].end })
	x.byStart = x.mergeSorted(x.byStart, first, func(o uint32) int32 { return x.docs[o].start })
}

func (x *index) mergeSorted(list []uint32, first int, key func(uint32) int32) []uint32 {
	n := len(x.docs) - first
	if n <= 0 {
		return list
	}
	fresh := make([]uint32, n)
	for i := range fresh {
		fresh[i] = uint32(first + i)
	}
	sort.Slice(fresh, func(i, j int) bool { return key(fresh[i]) < key(fresh[j]) })
	if len(list) == 0 {
		return fresh
	}
	merged := make([]uint32, 0, len(list)+n)
	i, j := 0, 0
	for i < len(list) && j < len(fresh) {
		if key(list[i]) <= key(fresh[j]) {
			merged = append(merged, list[i])
			i++
		} else {
			merged = append(merged, fresh[j])
			j++
		}
	}
	return append(append(merged, list[i:]...), fresh[j:]...)
}

// union merges sorted ord lists into one sorted list without repeats.
func union(lists ...[]uint32) []uint32 {
	var nonEmpty [][]uint32
	total := 0
	for _, l := range lists {
		if len(l) > 0 {
			nonEmpty = append(nonEmpty, l)
			total += len(l)
		}
	}
	switch len(nonEmpty) {
	case 0:
		return nil
	case 1:
		return nonEmpty[0]
	}
	out := make([]uint32, 0, total)
	pos := make([]int, len(nonEmpty))
	for {
		best, bi := uint32(0), -1
		for k, l := range nonEmpty {
			if pos[k] < len(l) && (bi < 0 || l[pos[k]] < best) {
				best, bi = l[pos[k]], k
			}
		}
		if bi < 0 {
			return out
		}
		if len(out) == 0 || out[len(out)-1] != best {
			out = append(out, best)
		}
		pos[bi]++
	}
}

// endFrom returns the position in byEnd of the first document ending on or after day.
func (x *index) endFrom(day int32) int {
	return sort.Search(len(x.byEnd), func(i int) bool { return x.docs[x.byEnd[i]].end >= day })
}

// lineDimensions maps every line id to its dimension id.
func (s *Service) lineDimensions(ctx context.Context) (map[int64]int64, error) {
	r := &refs{}
	if err := s.loadPortfolio(ctx, r); err != nil {
		return nil, err
	}
	m := make(map[int64]int64, len(r.lines))
	for id, l := range r.lines {
		m[id] = l.DimID
	}
	return m, nil
}

func (s *Service) currentSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT seq FROM catalogue_version WHERE id = 1`).Scan(&seq)
	return seq, err
}

// noteChange is called after a write in this process; the next search reads the change
// counter anyway, so there is nothing to do but keep the hook for clarity.
func (s *Service) noteChange() {}

// searchIndex returns the index, current with the database: built at first use, then
// refreshed with the events changed since (a full rebuild when a quarter of it is stale).
func (s *Service) searchIndex(ctx context.Context) (*index, error) {
	seq, err := s.currentSeq(ctx)
	if err != nil {
		return nil, err
	}
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	x := s.idx
	if x != nil && x.seq >= seq {
		return x, nil
	}
	dims, err := s.lineDimensions(ctx)
	if err != nil {
		return nil, err
	}
	if x == nil || x.dead > len(x.docs)/4 && x.dead > 1000 {
		start := time.Now()
		nx := newIndex()
		nx.seq = seq
		// Read the counter before the rows: a write committed meanwhile has a higher
		// sequence and is picked up by the next refresh.
		if err := loadEvents(ctx, s.DB.Read, -1, func(e loadedEvent) { nx.add(e, dims) }); err != nil {
			return nil, fmt.Errorf("build search index: %w", err)
		}
		nx.mergeByEnd(0)
		nx.builtAt, nx.buildTook = time.Now(), time.Since(start)
		s.idx = nx
		s.Log.Info("catalogue search index built", "editions", len(nx.docs), "terms", len(nx.postings), "ms", nx.buildTook.Milliseconds())
		return nx, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	first := len(x.docs)
	if err := loadEvents(ctx, s.DB.Read, x.seq, func(e loadedEvent) { x.add(e, dims) }); err != nil {
		return nil, fmt.Errorf("refresh search index: %w", err)
	}
	x.mergeByEnd(first)
	x.seq = seq
	return x, nil
}

// intersect returns the documents containing every term with their score: the sum over
// the terms of the term's weight, doubled when the term is in the title. Lists are walked
// from the shortest, galloping in the others.
func (x *index) intersect(terms []string, weight func(df int) float32) (ords []uint32, scores []float32) {
	type list struct {
		p []uint32
		w float32
	}
	lists := make([]list, 0, len(terms))
	for _, t := range terms {
		p := x.postings[t]
		if len(p) == 0 {
			return nil, nil
		}
		lists = append(lists, list{p, weight(len(p))})
	}
	sort.Slice(lists, func(i, j int) bool { return len(lists[i].p) < len(lists[j].p) })
	pos := make([]int, len(lists))
outer:
	for _, v := range lists[0].p {
		ord := v >> 1
		score := lists[0].w * float32(1+v&1)
		for k := 1; k < len(lists); k++ {
			l := lists[k].p
			i := pos[k]
			// Gallop, then binary-search for the first entry ≥ ord.
			step := 1
			for i+step < len(l) && l[i+step]>>1 < ord {
				step *= 2
			}
			hi := min(i+step+1, len(l))
			i += sort.Search(hi-i, func(j int) bool { return l[i+j]>>1 >= ord })
			pos[k] = i
			if i >= len(l) {
				break outer
			}
			if l[i]>>1 != ord {
				continue outer
			}
			score += lists[k].w * float32(1+l[i]&1)
		}
		ords = append(ords, ord)
		scores = append(scores, score)
	}
	return ords, scores
}
