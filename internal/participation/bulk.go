package participation

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"esd/internal/assess"
	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// item is one completion in one edition.
type item struct {
	ed *edition
	c  Completion
}

// BulkCreditSink is a ledger that can post the credits of participations created in the
// same transaction without looking for entries they cannot have (credits.Service's
// PostNewParticipations); the seed's bulk path uses it when the sink offers it.
type BulkCreditSink interface {
	PostNewParticipations(ctx context.Context, tx *sql.Tx, posts []CreditPost) error
}

// applyMany is apply over completions of any number of editions: the evidence of every
// completed one in one RecordTraining call, the participation rows in multi-row upserts,
// the recorded facts in a few grouped updates, and the credits in one post. fresh says the
// rows are new (the seed): the credits go through the sink's bulk post when it has one.
func (s *Service) applyMany(ctx context.Context, tx *sql.Tx, items []item, people map[int64]person, source string, reportID int64, certified, fresh bool) ([]applied, error) {
	if len(items) == 0 {
		return nil, nil
	}
	type key = editionProf
	// Evidence first, so the lines moved are stored with the row.
	moves := map[key][]assess.LevelChange{}
	if s.Evidence != nil {
		var evs []assess.TrainingEvidence
		var evKeys []key
		for _, it := range items {
			ed, c := it.ed, it.c
			if c.State != StateCompleted || len(ed.Lines) == 0 {
				continue
			}
			var lines []assess.LineLevel
			for _, l := range ed.Lines {
				if lv := s.Weights.Level(l.Level, c.Role, ed.Type); lv >= 1 {
					lines = append(lines, assess.LineLevel{Code: l.Code, Level: lv})
				}
			}
			if len(lines) > 0 {
				evs = append(evs, assess.TrainingEvidence{ProfessionalID: c.ProfessionalID, Pointer: "edition:" + strconv.FormatInt(ed.ID, 10),
					Note: fmt.Sprintf("%s %s/%d (%s)", ed.EventCode, ed.ProviderCode, ed.Number, roleWord(c.Role)), Lines: lines})
				evKeys = append(evKeys, key{ed.ID, c.ProfessionalID})
			}
		}
		changes, err := s.Evidence.RecordTraining(ctx, tx, evs)
		if err != nil {
			return nil, err
		}
		// The changes come in input order, each at the level its evidence gave the line:
		// walking both lists together gives every change its participation.
		j := 0
		for _, ch := range changes {
			for j < len(evs) && !evidences(evs[j], ch) {
				j++
			}
			if j == len(evs) {
				return nil, fmt.Errorf("training evidence: level change of professional %d line %s matches no evidence", ch.ProfessionalID, ch.Line)
			}
			moves[evKeys[j]] = append(moves[evKeys[j]], ch)
		}
	}
	// Then the organisations' achievement rules, for the objectives the levels did not meet.
	if ra, ok := s.Evidence.(RuleAchiever); ok {
		var cs []assess.RuleCompletion
		for _, it := range items {
			if it.c.State != StateCompleted || len(it.ed.Lines) == 0 {
				continue
			}
			lines := make([]string, len(it.ed.Lines))
			for i, l := range it.ed.Lines {
				lines[i] = l.Code
			}
			cs = append(cs, assess.RuleCompletion{ProfessionalID: it.c.ProfessionalID, EventCode: it.ed.EventCode, Lines: lines, Credits: it.c.Credits})
		}
		if _, err := ra.AchieveByRules(ctx, tx, cs); err != nil {
			return nil, err
		}
	}
	now := s.now()
	const ncols = 20
	args := make([]any, 0, len(items)*ncols)
	var rep any
	if reportID != 0 {
		rep = reportID
	}
	for _, it := range items {
		ed, c := it.ed, it.c
		p := people[c.ProfessionalID]
		var score any
		if c.TestScore != nil {
			score = *c.TestScore
		}
		// A questionnaire once filled in stays filled in (the upsert ORs it).
		quest := c.Questionnaire != nil && *c.Questionnaire
		args = append(args, ed.ID, ed.EventID, c.ProfessionalID, p.RegionID, nullID(p.OrganisationID), c.State, c.Role, c.Employment,
			c.Recruited, c.Sponsor, round1(c.Credits), c.CompletedOn, c.Professions, packMoves(moves[key{ed.ID, c.ProfessionalID}]), source, rep,
			score, quest, now, now)
	}
	// The optional facts are applied after the upsert (COALESCE keeps stored ones).
	ids := make(map[key]int64, len(items))
	pg := s.DB.IsPostgres()
	if fresh {
		// New rows (the seed): a plain insert with reserved ids and the facts in the row,
		// without the upsert's conflict handling and RETURNING, about a third of the time.
		if err := s.insertFresh(ctx, tx, items, args, ids); err != nil {
			return nil, err
		}
		return s.postCredits(ctx, tx, items, people, ids, moves, certified, fresh)
	}
	// Twelve rows (240 parameters) a statement on SQLite: measured on the seed, about 20 %
	// faster than BatchRows' three for these 20-column rows.
	per := db.BatchRows(s.DB.IsPostgres(), ncols)
	if !s.DB.IsPostgres() {
		per = 12
	}
	err := db.ExecBatchRows(ctx, tx, s.DB.IsPostgres(), per, `INSERT INTO participations (edition_id, event_id, professional_id, region_id, organisation_id, state, role,
		employment, recruited, sponsor, credits, completed_on, professions, lines_moved, source, report_id, test_score, questionnaire, created_at, updated_at) VALUES `, ncols,
		` ON CONFLICT (edition_id, professional_id) DO UPDATE SET state = excluded.state, role = excluded.role, employment = excluded.employment,
		recruited = excluded.recruited, sponsor = excluded.sponsor, credits = excluded.credits, completed_on = excluded.completed_on,
		professions = CASE WHEN excluded.professions = '' THEN participations.professions ELSE excluded.professions END,
		lines_moved = CASE WHEN excluded.lines_moved = '' THEN participations.lines_moved ELSE excluded.lines_moved END,
		source = excluded.source, report_id = COALESCE(excluded.report_id, participations.report_id),
		test_score = COALESCE(excluded.test_score, participations.test_score),
		questionnaire = (participations.questionnaire OR excluded.questionnaire),
		waitlist_seq = NULL, updated_at = excluded.updated_at
		RETURNING id, edition_id, professional_id`, args, func(r *sql.Rows) error {
			var id, ed, prof int64
			if err := r.Scan(&id, &ed, &prof); err != nil {
				return err
			}
			ids[key{ed, prof}] = id
			return nil
		})
	if err != nil {
		return nil, err
	}
	// Recorded facts: one update per distinct pair of values, over the ids that have it.
	type facts struct {
		fad   int8 // 0 keep, 1 false, 2 true
		hours float64
		keep  bool // hours nil
	}
	groups := map[facts][]int64{}
	var order []facts
	for _, it := range items {
		c := it.c
		if c.FADCompleted == nil && c.AttendedHours == nil {
			continue
		}
		f := facts{keep: c.AttendedHours == nil}
		if c.FADCompleted != nil {
			f.fad = 1
			if *c.FADCompleted {
				f.fad = 2
			}
		}
		if c.AttendedHours != nil {
			f.hours = *c.AttendedHours
		}
		if _, ok := groups[f]; !ok {
			order = append(order, f)
		}
		groups[f] = append(groups[f], ids[key{it.ed.ID, c.ProfessionalID}])
	}
	for _, f := range order {
		var fad, hours any
		if f.fad > 0 {
			fad = f.fad == 2
		}
		if !f.keep {
			hours = f.hours
		}
		xs := groups[f]
		for i := 0; i < len(xs); i += 500 {
			part := xs[i:min(i+500, len(xs))]
			a := make([]any, 0, len(part)+2)
			a = append(a, fad, hours)
			for _, id := range part {
				a = append(a, id)
			}
			q := `UPDATE participations SET fad_completed = COALESCE(?, fad_completed), attended_hours = COALESCE(?, attended_hours) WHERE id IN (` + db.AnonymousPlaceholders(len(part)) + `)`
			if pg {
				q = `UPDATE participations SET fad_completed = COALESCE($1, fad_completed), attended_hours = COALESCE($2, attended_hours) WHERE id IN (` + db.Placeholders(3, len(part)) + `)`
			}
			if _, err := tx.ExecContext(ctx, q, a...); err != nil {
				return nil, err
			}
		}
	}
	return s.postCredits(ctx, tx, items, people, ids, moves, certified, fresh)
}

// postCredits posts the credits of the written participations and returns what was applied.
func (s *Service) postCredits(ctx context.Context, tx *sql.Tx, items []item, people map[int64]person, ids map[editionProf]int64,
	moves map[editionProf][]assess.LevelChange, certified, fresh bool) ([]applied, error) {
	type key = editionProf
	if s.Credits != nil {
		posts := make([]CreditPost, 0, len(items))
		for _, it := range items {
			ed, c := it.ed, it.c
			if fresh && c.State != StateCompleted {
				continue // a new row without credits has no entry to post or remove
			}
			p := people[c.ProfessionalID]
			cr := c.Credits
			if c.State != StateCompleted {
				cr = 0
			}
			posts = append(posts, CreditPost{ParticipationID: ids[key{ed.ID, c.ProfessionalID}], ProfessionalID: c.ProfessionalID, RegionID: p.RegionID,
				OrganisationID: p.OrganisationID, EventID: ed.EventID, Role: c.Role, Credits: round1(cr), EarnedOn: c.CompletedOn,
				Certified: certified, Title: ed.Title})
		}
		bulk, ok := s.Credits.(BulkCreditSink)
		var err error
		switch {
		case fresh && ok:
			err = bulk.PostNewParticipations(ctx, tx, posts)
		default:
			err = s.Credits.PostParticipations(ctx, tx, posts)
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]applied, 0, len(items))
	for _, it := range items {
		k := key{it.ed.ID, it.c.ProfessionalID}
		out = append(out, applied{ParticipationID: ids[k], ProfessionalID: it.c.ProfessionalID, Moves: moves[k]})
	}
	return out, nil
}

// editionProf is a participation's natural key.
type editionProf struct{ edition, prof int64 }

// insertFresh inserts new participation rows (args: ncols values per item, as the upsert
// takes them) with ids reserved up front, the recorded facts in the row, and fills ids.
func (s *Service) insertFresh(ctx context.Context, tx *sql.Tx, items []item, args []any, ids map[editionProf]int64) error {
	const ncols = 20
	pg := s.DB.IsPostgres()
	first, err := db.ReserveIDs(ctx, tx, pg, "participations")
	if err != nil {
		return err
	}
	const wide = ncols + 3
	rows := make([]any, 0, len(items)*wide)
	for i, it := range items {
		c := it.c
		fad, hours := false, 0.0
		if c.FADCompleted != nil {
			fad = *c.FADCompleted
		}
		if c.AttendedHours != nil {
			hours = *c.AttendedHours
		}
		id := first + int64(i)
		rows = append(rows, id)
		rows = append(rows, args[i*ncols:(i+1)*ncols]...)
		rows = append(rows, fad, hours)
		ids[editionProf{it.ed.ID, c.ProfessionalID}] = id
	}
	per := db.BatchRows(pg, wide)
	if !pg {
		per = 12
	}
	if err := db.ExecBatchRows(ctx, tx, pg, per, `INSERT INTO participations (id, edition_id, event_id, professional_id, region_id, organisation_id, state, role,
		employment, recruited, sponsor, credits, completed_on, professions, lines_moved, source, report_id, test_score, questionnaire, created_at, updated_at,
		fad_completed, attended_hours) VALUES `, wide, ``, rows, nil); err != nil {
		return err
	}
	return db.AdvanceIDs(ctx, tx, pg, "participations")
}

// evidences reports whether the evidence gave the change: same professional, and the line at
// the level the change reached.
func evidences(ev assess.TrainingEvidence, ch assess.LevelChange) bool {
	if ev.ProfessionalID != ch.ProfessionalID {
		return false
	}
	for _, l := range ev.Lines {
		if l.Code == ch.Line && l.Level == ch.To {
			return true
		}
	}
	return false
}

// ---- the seed's simulated training history ----

// SimOptions drives SimulateParticipations.
type SimOptions struct {
	// Seed makes the history reproducible: each professional's draws depend only on it and
	// the professional's id.
	Seed int64
	// Triennium is the start year of the current triennium (default: the one of today,
	// counting from 2023 in steps of three); the previous one is simulated too, so balances
	// have a previous triennium for their reduction.
	Triennium int
	// PerProfessional is the mean number of completed participations of a professional over
	// the two trienni (default 7: ~9 M for 1.3 M professionals, domain.md §3.10).
	PerProfessional float64
	// EnrolShare is the share of professionals enrolled in an upcoming edition (default 0.05).
	EnrolShare float64
	// Batch is how many professionals one transaction covers (default 2,000: ~14,000
	// participations, their credits, balances and evidence).
	Batch int
}

// SimReport says what SimulateParticipations wrote.
type SimReport struct {
	Professionals  int64   `json:"professionals"`
	Skipped        int64   `json:"skipped"`
	Participations int64   `json:"participations"`
	Enrolments     int64   `json:"enrolments"`
	Credits        float64 `json:"credits"`
	LinesMoved     int64   `json:"lines_moved"`
	Editions       int     `json:"editions"`
	Upcoming       int     `json:"upcoming"`
	Seconds        float64 `json:"seconds"`
}

// simEdition is an edition the simulation may place professionals in.
type simEdition struct {
	ed   *edition
	full bool
	n    int32
}

// SimulateParticipations gives every professional of the registry a training history (the
// seed's bulk path; the system only): a deterministic number of completed participations
// (mean PerProfessional) in published editions of the catalogue whose audience fits the
// professional and whose edition ended in the current triennium up to today or in the
// previous one, within each edition's capacity; roles mostly P, a few D, T and R, with the
// credits the role rule gives, completed on the edition's last day, the learning test
// passed, the questionnaire filled in, FAD courses completed; and, for EnrolShare of them,
// an enrolment in an upcoming edition. Everything is written through applyMany, the path of
// every completion (rows, credits and balances through the ledger, evidence through the
// assessment), in one transaction per Batch professionals with one audit entry each, while
// the next batch is drawn. A rerun skips the professionals who already have seeded
// participations, so an interrupted seed resumes. progress gets participations written and
// the estimated total.
func (s *Service) SimulateParticipations(ctx context.Context, o SimOptions, progress jobs.Progress) (SimReport, error) {
	start := time.Now()
	var rep SimReport
	if a := domain.ActorFrom(ctx); a.Role != domain.RoleSystem {
		return rep, domain.Forbidden("the simulated training history is for the system only")
	}
	today := s.today()
	if o.Triennium == 0 {
		y := s.now().Year()
		o.Triennium = 2023 + (y-2023)/3*3
	}
	if o.PerProfessional <= 0 {
		o.PerProfessional = 7
	}
	if o.EnrolShare < 0 || o.EnrolShare > 1 {
		return rep, domain.Invalid("enrol_share", "the share of enrolled professionals is between 0 and 1")
	}
	if o.EnrolShare == 0 {
		o.EnrolShare = 0.05
	}
	if o.Batch <= 0 {
		o.Batch = 2000
	}
	from := fmt.Sprintf("%04d-01-01", o.Triennium-3)
	past, upcoming, err := s.simEditions(ctx, from, today)
	if err != nil {
		return rep, err
	}
	rep.Editions, rep.Upcoming = len(past), len(upcoming)
	var total int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&total); err != nil {
		return rep, err
	}
	estimate := int64(float64(total) * o.PerProfessional)
	if len(past) == 0 && len(upcoming) == 0 {
		return rep, nil
	}
	pastIdx, upIdx := indexByProfession(past), indexByProfession(upcoming)

	type batch struct {
		items   []item
		people  map[int64]person
		lo, hi  int64
		n, skip int64
		enrols  int64
		credits float64
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan batch, 1)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		last := int64(0)
		for {
			if ctx.Err() != nil {
				errc <- ctx.Err()
				return
			}
			ps, err := s.people(ctx, s.DB.Read, `p.id > $1 AND p.status = 'active' ORDER BY p.id LIMIT `+strconv.Itoa(o.Batch), last)
			if err != nil {
				errc <- err
				return
			}
			if len(ps) == 0 {
				errc <- nil
				return
			}
			b := batch{people: make(map[int64]person, len(ps)), lo: last + 1, hi: ps[len(ps)-1].ID, n: int64(len(ps))}
			last = b.hi
			done, err := db.Int64s(ctx, s.DB.Read, `SELECT DISTINCT professional_id FROM participations WHERE source = $1 AND professional_id BETWEEN $2 AND $3`,
				SourceSeed, b.lo, b.hi)
			if err != nil {
				errc <- err
				return
			}
			skip := make(map[int64]bool, len(done))
			for _, id := range done {
				skip[id] = true
			}
			for _, p := range ps {
				if skip[p.ID] {
					b.skip++
					continue
				}
				b.people[p.ID] = p
				r := rand.New(rand.NewPCG(uint64(o.Seed)^0x5eed9a27, uint64(p.ID)))
				k := int(math.Round(o.PerProfessional + math.Sqrt(o.PerProfessional)*r.NormFloat64()))
				var chosen []int64
				for j := 0; j < k; j++ {
					e := pick(r, past, pastIdx, p, chosen)
					if e == nil {
						break
					}
					chosen = append(chosen, e.ed.ID)
					c := s.simCompletion(r, e.ed, p)
					b.credits += c.Credits
					b.items = append(b.items, item{ed: e.ed, c: c})
				}
				if r.Float64() < o.EnrolShare {
					if e := pick(r, upcoming, upIdx, p, chosen); e != nil {
						b.items = append(b.items, item{ed: e.ed, c: Completion{ProfessionalID: p.ID, Role: RoleParticipant, State: StateEnrolled,
							Employment: libDip(p.Employment), Professions: formatPairs(p.Pairs)}})
						b.enrols++
					}
				}
			}
			// In edition order the rows reach the (edition, professional) and event indexes
			// in key order: neighbouring inserts hit the same cached pages.
			sort.SliceStable(b.items, func(i, j int) bool { return b.items[i].ed.ID < b.items[j].ed.ID })
			select {
			case out <- b:
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
		}
	}()
	var werr error
	for b := range out {
		if werr != nil {
			continue // drain so the reader finishes
		}
		var moved int64
		werr = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			done, err := s.applyMany(ctx, tx, b.items, b.people, SourceSeed, 0, true, true)
			if err != nil {
				return err
			}
			for _, d := range done {
				moved += int64(len(d.Moves))
			}
			return audit.Record(ctx, tx, audit.Change{Action: "seed", Entity: "participations", EntityID: fmt.Sprintf("professionals %d-%d", b.lo, b.hi),
				After: map[string]any{"participations": int64(len(b.items)) - b.enrols, "enrolments": b.enrols, "professionals": b.n - b.skip,
					"skipped": b.skip, "lines_moved": moved}})
		})
		if werr != nil {
			cancel()
			continue
		}
		rep.Professionals += b.n - b.skip
		rep.Skipped += b.skip
		rep.Participations += int64(len(b.items)) - b.enrols
		rep.Enrolments += b.enrols
		rep.Credits += b.credits
		rep.LinesMoved += moved
		if progress != nil {
			progress(rep.Participations, max(estimate, rep.Participations))
		}
	}
	rerr := <-errc
	if werr != nil {
		return rep, werr
	}
	if rerr != nil {
		return rep, rerr
	}
	rep.Credits = round1(rep.Credits)
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// simCompletion draws one completed participation of p in ed: the role, the credits the
// rule gives it, the recorded facts that earn them.
func (s *Service) simCompletion(r *rand.Rand, ed *edition, p person) Completion {
	role := RoleParticipant
	switch x := r.Float64(); {
	case x < 0.03:
		role = RoleTeacher
	case x < 0.045:
		role = RoleTutor
	case x < 0.06:
		role = RoleSpeaker
	}
	cr, _ := s.RoleRule(RoleInput{Type: ed.Type, SubType: ed.SubType, Hours: ed.Hours, EventCredits: ed.Credits, Role: role})
	c := Completion{ProfessionalID: p.ID, Role: role, State: StateCompleted, Credits: cr, CompletedOn: ed.End,
		Employment: libDip(p.Employment), Professions: formatPairs(p.Pairs)}
	if role == RoleParticipant {
		score := math.Round((PassShare+(1-PassShare)*r.Float64())*100) / 100
		quest := true
		c.TestScore, c.Questionnaire = &score, &quest
		if ed.Type == "FAD" {
			done := true
			c.FADCompleted = &done
		}
	}
	return c
}

// profIndex lists, per profession, the editions whose audience names it, and the editions
// open to everyone.
type profIndex struct {
	all    []int32
	byProf map[int][]int32
}

func indexByProfession(eds []simEdition) profIndex {
	x := profIndex{byProf: map[int][]int32{}}
	for i, e := range eds {
		if e.ed.AudienceAll || len(e.ed.Audience) == 0 {
			x.all = append(x.all, int32(i))
			continue
		}
		var last int = -1
		for _, a := range e.ed.Audience { // sorted by profession
			if a[0] != last {
				x.byProf[a[0]] = append(x.byProf[a[0]], int32(i))
				last = a[0]
			}
		}
	}
	return x
}

// pick draws an edition whose audience fits p, not full and not among chosen; nil after a
// few failed draws (a professional whose profession few events address).
func pick(r *rand.Rand, eds []simEdition, x profIndex, p person, chosen []int64) *simEdition {
	var lists [][]int32
	n := len(x.all)
	if n > 0 {
		lists = append(lists, x.all)
	}
	last := -1
	for _, pr := range p.Pairs {
		if pr[0] != last {
			if l := x.byProf[pr[0]]; len(l) > 0 {
				lists = append(lists, l)
				n += len(l)
			}
			last = pr[0]
		}
	}
	if n == 0 {
		return nil
	}
	for attempt := 0; attempt < 24; attempt++ {
		k := r.IntN(n)
		var idx int32
		for _, l := range lists {
			if k < len(l) {
				idx = l[k]
				break
			}
			k -= len(l)
		}
		e := &eds[idx]
		if e.full || containsID(chosen, e.ed.ID) || !e.ed.inAudience(p.Pairs) {
			continue
		}
		e.n++
		if e.ed.Capacity > 0 && int(e.n) >= e.ed.Capacity {
			e.full = true
		}
		return e
	}
	return nil
}

func containsID(xs []int64, id int64) bool {
	for _, x := range xs {
		if x == id {
			return true
		}
	}
	return false
}

// simEditions loads the published editions that ended between from and today (past) and
// those not started yet (upcoming), with audiences, lines and how many participants each
// holds already.
func (s *Service) simEditions(ctx context.Context, from, today string) (past, upcoming []simEdition, err error) {
	rows, err := s.DB.Read.QueryContext(ctx, editionSelect+` WHERE e.state IN ('accredited', 'running', 'closed')
		AND ((ed.end_date >= $1 AND ed.end_date <= $2) OR ed.start_date > $2) ORDER BY ed.id`, from, today)
	if err != nil {
		return nil, nil, err
	}
	byEvent := map[int64][]*edition{}
	var all []*edition
	for rows.Next() {
		ed := &edition{}
		if err := rows.Scan(&ed.ID, &ed.EventID, &ed.Number, &ed.Start, &ed.End, &ed.Online, &ed.RegionID,
			&ed.ProviderID, &ed.ProviderCode, &ed.ProviderName, &ed.EventCode, &ed.Title, &ed.Type, &ed.SubType, &ed.FADMode, &ed.Hours, &ed.Credits,
			&ed.Capacity, &ed.State, &ed.ObjectiveID, &ed.AudienceAll, &ed.Origin); err != nil {
			rows.Close()
			return nil, nil, err
		}
		byEvent[ed.EventID] = append(byEvent[ed.EventID], ed)
		all = append(all, ed)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		return nil, nil, nil
	}
	if err := s.eachRow(ctx, `SELECT event_id, profession_code, discipline_code FROM event_audience ORDER BY event_id, profession_code, discipline_code`, func(r *sql.Rows) error {
		var ev int64
		var p, d int
		if err := r.Scan(&ev, &p, &d); err != nil {
			return err
		}
		for _, ed := range byEvent[ev] {
			ed.Audience = append(ed.Audience, [2]int{p, d})
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	codes := map[string]string{} // one string per line code
	if err := s.eachRow(ctx, `SELECT el.event_id, fi.code, el.level FROM event_lines el JOIN framework_items fi ON fi.id = el.item_id ORDER BY el.event_id, fi.code`, func(r *sql.Rows) error {
		var ev int64
		var code string
		var lv int
		if err := r.Scan(&ev, &code, &lv); err != nil {
			return err
		}
		eds := byEvent[ev]
		if len(eds) == 0 {
			return nil
		}
		if c, ok := codes[code]; ok {
			code = c
		} else {
			codes[code] = code
		}
		for _, ed := range eds {
			ed.Lines = append(ed.Lines, assess.LineLevel{Code: code, Level: lv})
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	held := map[int64]int32{}
	if err := s.eachRow(ctx, `SELECT edition_id, COUNT(*) FROM participations WHERE state NOT IN ('cancelled', 'withdrawn') GROUP BY edition_id`, func(r *sql.Rows) error {
		var id int64
		var n int32
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		held[id] = n
		return nil
	}); err != nil {
		return nil, nil, err
	}
	for _, ed := range all {
		e := simEdition{ed: ed, n: held[ed.ID]}
		e.full = ed.Capacity > 0 && int(e.n) >= ed.Capacity
		if ed.Start > today {
			upcoming = append(upcoming, e)
		} else {
			past = append(past, e)
		}
	}
	return past, upcoming, nil
}

func (s *Service) eachRow(ctx context.Context, q string, fn func(*sql.Rows) error) error {
	rows, err := s.DB.Read.QueryContext(ctx, q)
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
