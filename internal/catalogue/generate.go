package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/domain"
	"esd/internal/italian"
)

// Generator writes realistic Italian digital-health events (for the demo catalogue, the
// synthetic national dataset and the benchmarks): titles and descriptions from Topics,
// types in the programme's proportions (440 RES : 106 FAD : 71 FSC : 5 blended), plausible
// hours, audiences, places, costs, and the portfolio lines of their topic.
type Generator struct {
	rng       *rand.Rand
	refs      *refs
	topics    map[string][]int64
	providers []GenProvider
	regions   []int64
	comuni    map[int64][]string
	today     string
}

// GenProvider is a provider events may be generated for.
type GenProvider struct {
	ID       int64
	RegionID int64
}

// NewGenerator prepares a generator over the loaded reference data and portfolio.
func (s *Service) NewGenerator(ctx context.Context, seed uint64, providers []GenProvider) (*Generator, error) {
	r, err := s.loadRefs(ctx)
	if err != nil {
		return nil, err
	}
	if len(providers) == 0 {
		return nil, domain.Invalid("providers", "no provider to generate events for")
	}
	g := &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), refs: r, topics: topicsFor(r.fw, r.currentLines()),
		providers: providers, comuni: map[int64][]string{}, today: time.Now().UTC().Format(dateLayout)}
	for id := range r.regions {
		g.regions = append(g.regions, id)
	}
	sort.Slice(g.regions, func(i, j int) bool { return g.regions[i] < g.regions[j] })
	// Comuni by region name, for places.
	names := map[string]int64{}
	for id, n := range r.regions {
		names[n] = id
	}
	_ = scanAll(ctx, s.DB.Read, `SELECT istat_code, region_name FROM comuni ORDER BY istat_code`, func(rs *sql.Rows) error {
		var c, rn string
		if err := rs.Scan(&c, &rn); err != nil {
			return err
		}
		if id, ok := names[rn]; ok && len(g.comuni[id]) < 40 {
			g.comuni[id] = append(g.comuni[id], c)
		}
		return nil
	})
	return g, nil
}

// Spec fixes some properties of a generated event; zero values are chosen at random.
type Spec struct {
	Type     string
	Topic    string // a Topics key, "other" for a non-digital subject, "" for any digital one
	Keyword  *bool  // the title must (true) or must not (false) match Keywords
	Keywords [][]string
	Start    time.Time // first edition
	Provider *GenProvider
	Theme    string
	State    string
	Code     string
}

var typeWeights = []struct {
	t string
	w int
}{{TypeRES, 440}, {TypeFAD, 106}, {TypeFSC, 71}, {TypeBlended, 5}}

func (g *Generator) pick(n int) int { return g.rng.IntN(n) }

func (g *Generator) chance(p float64) bool { return g.rng.Float64() < p }

// Event generates one event.
func (g *Generator) Event(sp Spec) EventInput {
	typ := sp.Type
	if typ == "" {
		n := g.pick(622)
		for _, tw := range typeWeights {
			if n < tw.w {
				typ = tw.t
				break
			}
			n -= tw.w
		}
	}
	prov := g.providers[g.pick(len(g.providers))]
	if sp.Provider != nil {
		prov = *sp.Provider
	}
	in := EventInput{ProviderID: prov.ID, Type: typ, State: sp.State, Theme: sp.Theme}
	// Title: try templates until the keyword constraint holds.
	var topic Topic
	for attempt := 0; attempt < 200; attempt++ {
		key := sp.Topic
		if key == "" {
			key = Topics[g.pick(len(Topics))].Key
		}
		if key == "other" {
			topic = Topic{Key: "other", Titles: otherTitles, Descriptions: []string{"Aggiornamento clinico con casi pratici e discussione in piccoli gruppi."}, Objective: 18}
		} else {
			topic, _ = topicByKey(key)
		}
		title := fill(topic.Titles[g.pick(len(topic.Titles))], g.pick)
		if sp.Keyword != nil && len(sp.Keywords) > 0 {
			if matchesAny(italian.Analyze(title), sp.Keywords) != *sp.Keyword {
				continue
			}
		}
		in.Title = title
		break
	}
	if in.Title == "" {
		in.Title = fill(topic.Titles[0], g.pick)
	}
	in.Description = topic.Descriptions[g.pick(len(topic.Descriptions))]
	in.ObjectiveCode = topic.Objective
	if _, ok := g.refs.objectives[in.ObjectiveCode]; !ok {
		in.ObjectiveCode = 17
	}
	if sp.Theme != "" {
		if t, ok := g.refs.themes[sp.Theme]; ok && !containsInt(t.Objectives, in.ObjectiveCode) {
			in.ObjectiveCode = t.Objectives[g.pick(len(t.Objectives))]
		}
	}
	// Type, sub-type, hours, participants.
	switch typ {
	case TypeRES:
		switch n := g.pick(10); {
		case n < 6:
			in.SubType, in.Participants, in.Hours = 1, []int{20, 25, 30, 40, 60, 80, 100, 150}[g.pick(8)], float64(4+g.pick(13))
		case n < 8:
			in.SubType, in.Participants, in.Hours = 4, []int{20, 25, 40, 60, 90}[g.pick(5)], float64(3+g.pick(6))
		default:
			in.SubType, in.Participants, in.Hours = 3, []int{200, 250, 300, 500}[g.pick(4)], float64(6+g.pick(10))
		}
		if g.chance(0.4) {
			in.InteractiveHours = float64(1 + g.pick(int(in.Hours)/2+1))
		}
	case TypeFAD:
		in.SubType = 10 + g.pick(2)
		in.FADMode = []string{FADOnline, FADOnline, FADIndividual, FADSocial, FADWebinar}[g.pick(5)]
		in.Participants = []int{100, 500, 1000, 5000}[g.pick(4)]
		in.Hours = float64(2 + g.pick(24))
		if in.FADMode == FADWebinar {
			in.Hours = float64(2 + g.pick(4))
		}
	case TypeFSC:
		in.SubType = []int{6, 7, 7, 9, 8}[g.pick(5)]
		in.Participants = 5 + g.pick(20)
		in.Hours = float64(8 + g.pick(30))
		if in.SubType == 8 {
			in.ResearchMonths = []int{6, 12, 24}[g.pick(3)]
		} else if in.SubType != 6 {
			in.FinalDocument = g.chance(0.6)
			in.ExternalValidation = g.chance(0.3)
		}
	case TypeBlended:
		in.Participants = 20 + g.pick(60)
		in.Modules = []Module{{Type: TypeRES, SubType: 1, Hours: float64(4 + g.pick(8))}, {Type: TypeFAD, SubType: 11, FADMode: FADOnline, Hours: float64(2 + g.pick(10))}}
		if g.chance(0.3) {
			in.Modules = append(in.Modules, Module{Type: TypeFSC, SubType: 6, Hours: float64(4 + g.pick(8))})
		}
	}
	// Audience.
	switch {
	case g.chance(0.2):
		in.AudienceAll = true
	default:
		profs := []Audience{{ProfessionCode: 14, DisciplineCode: 85}, {ProfessionCode: 1, DisciplineCode: 58}, {ProfessionCode: 1, DisciplineCode: 60},
			{ProfessionCode: 1}, {ProfessionCode: 3}, {ProfessionCode: 27}, {ProfessionCode: 12}, {ProfessionCode: 18}, {ProfessionCode: 9},
			{ProfessionCode: 15}, {ProfessionCode: 28}, {ProfessionCode: 5}, {ProfessionCode: 2}, {ProfessionCode: 10}}
		for k, n := 0, 1+g.pick(3); k < n; k++ {
			a := profs[g.pick(len(profs))]
			if _, ok := g.refs.professions[a.ProfessionCode]; !ok {
				continue
			}
			if d, ok := g.refs.disciplines[a.DisciplineCode]; a.DisciplineCode != 0 && (!ok || d.profession != a.ProfessionCode) {
				a.DisciplineCode = 0
			}
			in.Audience = append(in.Audience, a)
		}
		if len(in.Audience) == 0 {
			in.AudienceAll = true
		}
	}
	if g.chance(0.35) {
		in.Cost = float64([]int{30, 50, 80, 120, 150, 250, 400}[g.pick(7)])
	}
	// Editions.
	start := sp.Start
	if start.IsZero() {
		start = time.Now().UTC().AddDate(0, 0, g.pick(365))
	}
	nEd := 1
	if typ == TypeRES && g.chance(0.2) {
		nEd = 2 + g.pick(2)
	}
	for k := 0; k < nEd; k++ {
		s := start.AddDate(0, 0, k*(14+g.pick(30)))
		days := 1
		switch {
		case typ == TypeFAD && in.FADMode != FADWebinar:
			days = 30 + g.pick(150)
		case typ == TypeFSC:
			days = 30 + g.pick(120)
			if in.SubType == 8 {
				days = in.ResearchMonths * 30
			}
		case typ == TypeBlended:
			days = 20 + g.pick(40)
		default:
			days = int(in.Hours/8) + 1
			if in.Hours > 8 {
				days++
			}
		}
		ed := Edition{Number: k + 1, StartDate: s.Format(dateLayout), EndDate: s.AddDate(0, 0, days-1).Format(dateLayout)}
		region := prov.RegionID
		if region == 0 || g.chance(0.15) {
			region = g.regions[g.pick(len(g.regions))]
		}
		if typ == TypeFAD {
			ed.Online = true
		} else {
			ed.RegionID = region
			if cs := g.comuni[region]; len(cs) > 0 {
				ed.ComuneISTAT = cs[g.pick(len(cs))]
			}
			ed.Venue = []string{"Aula magna", "Sala convegni", "Centro formazione aziendale", "Aula 3", "Auditorium"}[g.pick(5)]
		}
		in.Editions = append(in.Editions, ed)
	}
	// Lines of the topic, at the level the text suggests.
	level := SuggestLevel(in.Title, nil)
	if lv := g.refs.levels[g.refs.fw.ID]; len(lv) > 0 && !lv[level] {
		level = 1
	}
	for k, id := range g.topics[topic.Key] {
		if k >= 2 {
			break
		}
		in.Lines = append(in.Lines, LineInput{LineID: id, Level: level, Origin: OriginProvider})
	}
	in.Code = sp.Code
	if in.State == "" {
		in.State = StateAccredited
		last := in.Editions[len(in.Editions)-1].EndDate
		switch {
		case last < g.today:
			in.State = StateClosed
		case in.Editions[0].StartDate <= g.today:
			in.State = StateRunning
		}
	}
	return in
}

// matchesAny reports whether the terms contain any of the analysed phrases.
func matchesAny(terms []string, phrases [][]string) bool {
	for _, p := range phrases {
		if italian.Contains(terms, p) {
			return true
		}
	}
	return false
}

// BulkLoad writes many new events (the synthetic dataset, the benchmark catalogue) through
// the same validation as an import, in transactions of batch events each: unlike
// ImportEvents it is not all-or-nothing across batches, and it records one audit entry per
// batch instead of one per event. Only the system may run it. Events whose code already
// exists for their provider are skipped, so a re-run continues where it stopped.
func (s *Service) BulkLoad(ctx context.Context, events []EventInput, batch int, progress func(done int)) (int, error) {
	a := domain.ActorFrom(ctx)
	if a.Role != domain.RoleSystem {
		return 0, domain.Forbidden("bulk load is for the system only")
	}
	if batch <= 0 {
		batch = 2000
	}
	r, err := s.loadRefs(ctx)
	if err != nil {
		return 0, err
	}
	provs := map[int64]provider{}
	written := 0
	for start := 0; start < len(events); start += batch {
		chunk := events[start:min(start+batch, len(events))]
		var ps []prepared
		for i, in := range chunk {
			p, ok := provs[in.ProviderID]
			if !ok {
				if p, err = s.provider(ctx, in.ProviderID); err != nil {
					return written, fmt.Errorf("event %d: %w", start+i, err)
				}
				provs[in.ProviderID] = p
			}
			pr, err := s.prepareLoaded(ctx, r, in, p, fmt.Sprintf("event %s (%d)", in.Code, start+i))
			if err != nil {
				return written, err
			}
			ps = append(ps, pr)
		}
		// Skip codes that exist (a re-run).
		existing := map[string]bool{}
		if err := scanAll(ctx, s.DB.Read, `SELECT provider_id, code FROM events WHERE code >= $1 AND code <= $2`, func(rs *sql.Rows) error {
			var pid int64
			var code string
			if err := rs.Scan(&pid, &code); err != nil {
				return err
			}
			existing[fmt.Sprint(pid)+"\x00"+code] = true
			return nil
		}, minCode(ps), maxCode(ps)); err != nil {
			return written, err
		}
		fresh := ps[:0]
		for _, p := range ps {
			if !existing[fmt.Sprint(p.providerID)+"\x00"+p.in.Code] {
				fresh = append(fresh, p)
			}
		}
		if len(fresh) > 0 {
			err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
				seq, err := nextSeq(ctx, tx)
				if err != nil {
					return err
				}
				ids, err := s.insertEvents(ctx, tx, fresh, seq, a.Username)
				if err != nil {
					return err
				}
				return audit.Record(ctx, tx, audit.Change{Action: "bulk_load", Entity: "events", EntityID: fmt.Sprintf("%d-%d", ids[0], ids[len(ids)-1]),
					After: map[string]any{"events": len(ids), "first_id": ids[0], "last_id": ids[len(ids)-1]}})
			})
			if err != nil {
				return written, err
			}
			written += len(fresh)
		}
		if progress != nil {
			progress(start + len(chunk))
		}
	}
	s.noteChange()
	return written, nil
}

// CreateInTx creates one event inside the caller's transaction (the system only), with the
// validation of BulkLoad, marked with origin (events.origin: "report" for an event a
// rapporto evento brought), and returns its id. A report naming an event the catalogue lacks
// creates it this way, so that the event and the report's participations are written
// together or not at all.
func (s *Service) CreateInTx(ctx context.Context, tx *sql.Tx, in EventInput, origin string) (int64, error) {
	a := domain.ActorFrom(ctx)
	if a.Role != domain.RoleSystem {
		return 0, domain.Forbidden("creating an event inside another write is for the system only")
	}
	r, err := s.loadRefs(ctx)
	if err != nil {
		return 0, err
	}
	p, err := s.provider(ctx, in.ProviderID)
	if err != nil {
		return 0, err
	}
	pr, err := s.prepareLoaded(ctx, r, in, p, "event "+in.Code)
	if err != nil {
		return 0, err
	}
	seq, err := nextSeq(ctx, tx)
	if err != nil {
		return 0, err
	}
	ids, err := s.insertEvents(ctx, tx, []prepared{pr}, seq, a.Username)
	if err != nil {
		return 0, err
	}
	if origin != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE events SET origin = $1 WHERE id = $2`, origin, ids[0]); err != nil {
			return 0, err
		}
	}
	err = audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "event", EntityID: ids[0],
		After: map[string]any{"code": in.Code, "provider_id": in.ProviderID, "origin": origin, "state": pr.state}})
	return ids[0], err
}

// prepareLoaded validates one event of a system load (BulkLoad, CreateInTx) in the state it
// asks for (draft by default). A refusal is a domain error naming what (the event and its
// place), so that a report creating an event the catalogue's rules refuse answers 422 with
// the rule broken, not an internal error.
func (s *Service) prepareLoaded(ctx context.Context, r *refs, in EventInput, p provider, what string) (prepared, error) {
	state := in.State
	if state == "" {
		state = StateDraft
	}
	pr, problems := s.validate(ctx, r, in, p, state != StateDraft)
	if len(problems) > 0 {
		return pr, &domain.Error{Code: domain.EINVALID, Details: problems,
			Message: fmt.Sprintf("%s: %s: %s", what, problems[0].Field, problems[0].Reason)}
	}
	pr.state = state
	return pr, nil
}

func minCode(ps []prepared) string {
	m := ""
	for i, p := range ps {
		if i == 0 || p.in.Code < m {
			m = p.in.Code
		}
	}
	return m
}

func maxCode(ps []prepared) string {
	m := ""
	for _, p := range ps {
		if p.in.Code > m {
			m = p.in.Code
		}
	}
	return m
}

// codeFor returns an event code in the Agenas style (provider-number).
func codeFor(prefix string, n int) string {
	return strings.ToUpper(prefix) + "-" + fmt.Sprintf("%06d", n)
}
