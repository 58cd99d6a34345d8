// Package credits is the ECM credits ledger of every professional: each credit with its
// source (event participation as each role, individual training, self-training, exemptions,
// dossier bonuses, credits moved between trienni), pending or certified, dated, in a
// triennium; the balance against the obligation computed from versioned rule data (a pure
// function, Compute, explained entry by entry in Italian and English, with an "on track?"
// forecast); the stored balance per professional and triennium that the compliance pages
// aggregate; and the recompute job a rule change starts.
//
// Permissions are checked inside every method: national governance sees and edits every
// ledger, a regional referent their region's, an organisation's training office its staff's,
// a professional sees their own and may declare their own individual training and
// self-training as pending; providers and analysts see no individual ledger (analysts see
// the compliance aggregates, small groups suppressed).
package credits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"esd/internal/audit"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
)

// DossierSource tells, for professionals, what their dossier formativo did in each
// triennium (built, realised; individual or group). The assessment's dossier provides it;
// nil means no dossier bonus.
type DossierSource interface {
	Dossiers(ctx context.Context, professionalIDs []int64) (map[int64][]DossierRecord, error)
}

// DossierRecord is one dossier formativo of a professional in a triennium.
type DossierRecord struct {
	Triennium int  `json:"triennium"`
	Group     bool `json:"group"`
	Built     bool `json:"built"`
	Realised  bool `json:"realised"`
}

// StateFor derives the DossierState of one triennium from a professional's records.
func StateFor(recs []DossierRecord, triennium int) DossierState {
	var st DossierState
	for _, r := range recs {
		switch {
		case r.Triennium == triennium && r.Built && r.Group:
			st.GroupBuilt = true
		case r.Triennium == triennium && r.Built:
			st.IndividualBuilt = true
		case r.Triennium == triennium-3 && r.Realised && r.Group:
			st.PreviousGroupRealised = true
		case r.Triennium == triennium-3 && r.Realised:
			st.PreviousIndividualRealised = true
		}
	}
	return st
}

// Service is the credits capability.
type Service struct {
	DB      *db.DB
	Jobs    *jobs.Runner
	Log     *slog.Logger
	Dossier DossierSource
	// Now is the clock of the forecast (tests set it).
	Now func() time.Time

	mu    sync.RWMutex
	rules Rules
}

// New returns the credits service over d, with the embedded rules until EnsureRules loads
// the published ones.
func New(d *db.DB, j *jobs.Runner, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Jobs: j, Log: log, Now: func() time.Time { return time.Now().UTC() }, rules: DefaultRules()}
}

// Rules returns the rule data in force.
func (s *Service) Rules() Rules {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rules
}

func (s *Service) today() time.Time { return s.Now().UTC() }

// EnsureRules stores the embedded rule data in credit_rule_versions if its version is
// missing, then loads the newest published version (a start-up step).
func (s *Service) EnsureRules(ctx context.Context) error {
	def := DefaultRules()
	var n int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_rule_versions WHERE version = $1`, def.Version).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if _, err := s.DB.Write.ExecContext(ctx, `INSERT INTO credit_rule_versions (version, rules_json, published_at, published_by)
			VALUES ($1, $2, $3, 'system') ON CONFLICT (version) DO NOTHING`, def.Version, string(embeddedRules), db.Now()); err != nil {
			return err
		}
	}
	return s.loadRules(ctx)
}

func (s *Service) loadRules(ctx context.Context) error {
	var js string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT rules_json FROM credit_rule_versions ORDER BY published_at DESC, version DESC LIMIT 1`).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := ParseRules([]byte(js))
	if err != nil {
		return fmt.Errorf("stored credit rules: %w", err)
	}
	s.mu.Lock()
	s.rules = r
	s.mu.Unlock()
	return nil
}

// ---- the write path called by participation ----

// ParticipationCredit is the credit one participation gives, as participation posts it.
type ParticipationCredit struct {
	ParticipationID int64   `json:"participation_id"`
	ProfessionalID  int64   `json:"professional_id"`
	RegionID        int64   `json:"region_id"`
	OrganisationID  int64   `json:"organisation_id,omitempty"`
	EventID         int64   `json:"event_id,omitempty"`
	Role            string  `json:"role"`
	Credits         float64 `json:"credits"`
	EarnedOn        string  `json:"earned_on"`
	Certified       bool    `json:"certified"`
	Title           string  `json:"title"`
}

// PostResult says what PostParticipations changed.
type PostResult struct {
	Inserted, Updated, Removed, Unchanged int
	Professionals                         int
}

const entryCols = `id, professional_id, region_id, COALESCE(organisation_id, 0), triennium, kind, role, credits, status, earned_on,
	COALESCE(participation_id, 0), COALESCE(event_id, 0), COALESCE(linked_id, 0), title, note, created_by, created_at`

var insertCols = []string{"professional_id", "region_id", "organisation_id", "triennium", "kind", "role", "credits", "status", "earned_on",
	"participation_id", "event_id", "linked_id", "title", "note", "created_by", "created_at"}

func scanEntry(sc interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	err := sc.Scan(&e.ID, &e.ProfessionalID, &e.RegionID, &e.OrganisationID, &e.Triennium, &e.Kind, &e.Role, &e.Credits, &e.Status,
		&e.EarnedOn, &e.ParticipationID, &e.EventID, &e.LinkedID, &e.Title, &e.Note, &e.CreatedBy, &e.CreatedAt)
	return e, err
}

func nullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

func entryRow(e Entry, now time.Time) []any {
	return []any{e.ProfessionalID, e.RegionID, nullID(e.OrganisationID), e.Triennium, e.Kind, e.Role, e.Credits, e.Status, e.EarnedOn,
		nullID(e.ParticipationID), nullID(e.EventID), nullID(e.LinkedID), e.Title, e.Note, e.CreatedBy, now}
}

// PostParticipations upserts the credit entry of each participation inside the caller's
// transaction (one entry per participation; 0 credits removes it), then recomputes and
// stores the balances of the professionals it touched, in the same transaction. Unchanged
// entries are left alone, so posting the same report twice writes nothing. The caller
// (participation) has authorised the write; this checks only that somebody is behind ctx.
// Every statement is multi-row: a 10,000-participant report costs a few hundred
// statements, not tens of thousands.
func (s *Service) PostParticipations(ctx context.Context, tx *sql.Tx, pcs []ParticipationCredit) error {
	_, err := s.post(ctx, tx, pcs)
	return err
}

func (s *Service) post(ctx context.Context, tx *sql.Tx, pcs []ParticipationCredit) (PostResult, error) {
	return s.postEntries(ctx, tx, pcs, false)
}

// postEntries is post; fresh says the participations were created in this transaction, so
// they have no entry yet and the lookup of the existing ones is skipped (PostNew).
func (s *Service) postEntries(ctx context.Context, tx *sql.Tx, pcs []ParticipationCredit, fresh bool) (PostResult, error) {
	var res PostResult
	if _, err := domain.Require(ctx, domain.Roles...); err != nil {
		return res, err
	}
	if len(pcs) == 0 {
		return res, nil
	}
	rules := s.Rules()
	var ps []domain.Problem
	seen := make(map[int64]int, len(pcs))
	want := make(map[int64]Entry, len(pcs))
	ids := make([]int64, 0, len(pcs))
	for i, p := range pcs {
		line := i + 1
		if p.ParticipationID <= 0 {
			ps = append(ps, domain.Problem{Line: line, Field: "participation_id", Reason: "required"})
			continue
		}
		if j, dup := seen[p.ParticipationID]; dup {
			ps = append(ps, domain.Problem{Line: line, Field: "participation_id", Reason: fmt.Sprintf("participation posted twice (also item %d)", j), Value: fmt.Sprint(p.ParticipationID)})
			continue
		}
		seen[p.ParticipationID] = line
		ids = append(ids, p.ParticipationID)
		if p.Credits == 0 {
			continue
		}
		role := strings.ToUpper(strings.TrimSpace(p.Role))
		if role == "" {
			role = RoleParticipant
		}
		if !slices.Contains([]string{RoleParticipant, RoleTeacher, RoleTutor, RoleSpeaker}, role) {
			ps = append(ps, domain.Problem{Line: line, Field: "role", Reason: "role must be P, D, T or R", Value: p.Role})
		}
		if p.Credits < 0 || p.Credits > 1000 {
			ps = append(ps, domain.Problem{Line: line, Field: "credits", Reason: "credits must be between 0 and 1000", Value: num(p.Credits)})
		}
		if p.ProfessionalID <= 0 || p.RegionID <= 0 {
			ps = append(ps, domain.Problem{Line: line, Field: "professional_id", Reason: "professional and region required"})
		}
		tri, err := rules.TrienniumOf(p.EarnedOn)
		if err != nil {
			ps = append(ps, domain.Problem{Line: line, Field: "earned_on", Reason: domain.ErrorMessage(err), Value: p.EarnedOn})
		}
		st := StatusPending
		if p.Certified {
			st = StatusCertified
		}
		want[p.ParticipationID] = Entry{ProfessionalID: p.ProfessionalID, RegionID: p.RegionID, OrganisationID: p.OrganisationID, Triennium: tri,
			Kind: KindParticipation, Role: role, Credits: round2(p.Credits), Status: st, EarnedOn: p.EarnedOn, ParticipationID: p.ParticipationID,
			EventID: p.EventID, Title: p.Title}
	}
	if len(ps) > 0 {
		return res, &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("%d problems in the participations' credits", len(ps)), Details: ps}
	}
	pg := s.DB.IsPostgres()
	existing := make(map[int64]Entry, len(ids))
	var err error
	if !fresh {
		err = forChunks(ids, 500, func(chunk []int64) error {
			rows, err := tx.QueryContext(ctx, `SELECT `+entryCols+` FROM credit_entries WHERE participation_id IN (`+inList(pg, len(chunk))+`)`, anys(chunk)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				e, err := scanEntry(rows)
				if err != nil {
					return err
				}
				existing[e.ParticipationID] = e
			}
			return rows.Err()
		})
	}
	if err != nil {
		return res, err
	}
	touched := map[int64]bool{}
	var del []int64
	var ins [][]any
	now := db.Now()
	by := domain.ActorFrom(ctx).Username
	for _, id := range ids {
		old, had := existing[id]
		w, has := want[id]
		switch {
		case had && has && sameEntry(old, w):
			res.Unchanged++
			continue
		case had && has:
			res.Updated++
		case had:
			res.Removed++
		case has:
			res.Inserted++
		default:
			continue
		}
		if had {
			del = append(del, old.ID)
			touched[old.ProfessionalID] = true
		}
		if has {
			w.CreatedBy = by
			ins = append(ins, entryRow(w, now))
			touched[w.ProfessionalID] = true
		}
	}
	if len(touched) == 0 {
		return res, nil
	}
	if err := deleteIDs(ctx, tx, pg, "credit_entries", "id", del); err != nil {
		return res, err
	}
	if err := db.InsertRows(ctx, tx, pg, "credit_entries", insertCols, ins); err != nil {
		return res, err
	}
	pids := keys(touched)
	res.Professionals = len(pids)
	if err := s.recompute(ctx, tx, rules, pids); err != nil {
		return res, err
	}
	return res, audit.Record(ctx, tx, audit.Change{Action: "post", Entity: "credit_entries", EntityID: fmt.Sprintf("%d participations", len(ids)),
		After: map[string]int{"inserted": res.Inserted, "updated": res.Updated, "removed": res.Removed, "unchanged": res.Unchanged, "professionals": res.Professionals}})
}

func sameEntry(a, b Entry) bool {
	return a.ProfessionalID == b.ProfessionalID && a.RegionID == b.RegionID && a.OrganisationID == b.OrganisationID && a.Triennium == b.Triennium &&
		a.Role == b.Role && round2(a.Credits) == round2(b.Credits) && a.Status == b.Status && a.EarnedOn == b.EarnedOn &&
		a.EventID == b.EventID && a.Title == b.Title
}

// DeleteParticipations removes the credit entries of deleted participations inside the
// caller's transaction and recomputes the balances they were in.
func (s *Service) DeleteParticipations(ctx context.Context, tx *sql.Tx, ids []int64) error {
	pcs := make([]ParticipationCredit, len(ids))
	for i, id := range ids {
		pcs[i] = ParticipationCredit{ParticipationID: id}
	}
	_, err := s.post(ctx, tx, pcs)
	return err
}

// ---- recomputing stored balances ----

// RefreshBalances recomputes, inside the caller's transaction, the stored balances of
// professionals whose region, organisation or profession changed (the registry's OnMoved
// hook): the balances carry those keys for compliance, the ledger entries keep the ones of
// the day they were earned. The caller has checked that the change is allowed.
func (s *Service) RefreshBalances(ctx context.Context, tx *sql.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var have []int64
	pg := s.DB.IsPostgres()
	// Only professionals with a stored balance: a move of someone with no credits writes none.
	err := forChunks(ids, 500, func(chunk []int64) error {
		got, err := db.Int64s(ctx, tx, `SELECT DISTINCT professional_id FROM credit_balances WHERE professional_id IN (`+inList(pg, len(chunk))+`)`, anys(chunk)...)
		have = append(have, got...)
		return err
	})
	if err != nil || len(have) == 0 {
		return err
	}
	return s.recompute(ctx, tx, s.Rules(), have)
}

type profInfo struct {
	id, region, org int64
	profession      int
}

// recompute replaces the stored balances of the professionals pids inside q (the write
// transaction: it sees its uncommitted entries).
func (s *Service) recompute(ctx context.Context, tx *sql.Tx, rules Rules, pids []int64) error {
	pg := s.DB.IsPostgres()
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	if pg {
		// Two transactions recomputing the same professional (a registry move and a report
		// import) would both delete the balance and both insert it: under read committed the
		// second DELETE does not see the first one's new row and the second INSERT fails on
		// the primary key, or stores a balance computed from a ledger that missed the other's
		// entries. A transaction-scoped advisory lock per professional, taken in id order,
		// makes the second wait; its reads below then see what the first committed. Not a
		// row lock on professionals: the move holds the row's FOR NO KEY UPDATE lock and the
		// import's ledger inserts its FOR KEY SHARE lock, so FOR UPDATE here would deadlock
		// the two. SQLite has one writer at a time and needs no lock.
		if err := forChunks(pids, 500, func(chunk []int64) error {
			_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+balanceLockClass+`, x::int) FROM unnest(ARRAY[`+inList(pg, len(chunk))+`]::bigint[]) AS u(x) ORDER BY x`, anys(chunk)...)
			return err
		}); err != nil {
			return err
		}
	}
	infos := make([]profInfo, 0, len(pids))
	entries := make(map[int64][]Entry, len(pids))
	err := forChunks(pids, 500, func(chunk []int64) error {
		in := inList(pg, len(chunk))
		is, err := loadInfos(ctx, tx, `WHERE p.id IN (`+in+`) ORDER BY p.id`, anys(chunk)...)
		if err != nil {
			return err
		}
		infos = append(infos, is...)
		return loadLedger(ctx, tx, `WHERE professional_id IN (`+in+`)`, anys(chunk), entries)
	})
	if err != nil {
		return err
	}
	rows, err := s.balanceRows(ctx, rules, infos, entries)
	if err != nil {
		return err
	}
	if err := deleteIDs(ctx, tx, pg, "credit_balances", "professional_id", pids); err != nil {
		return err
	}
	return db.InsertRows(ctx, tx, pg, "credit_balances", balanceCols, rows)
}

// balanceLockClass is the first key of the PostgreSQL advisory locks that serialise
// recomputes of one professional's balance ("ESDC" in ASCII), the second being the id.
const balanceLockClass = "1163084611"

var balanceCols = []string{"professional_id", "triennium", "region_id", "organisation_id", "profession_code", "rules_version", "earned", "certified",
	"pending", "obligation", "reduction", "exemption", "counted", "missing", "compliant", "on_track", "computed_at"}

func loadInfos(ctx context.Context, q db.Querier, where string, args ...any) ([]profInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.region_id, COALESCE(p.organisation_id, 0),
		COALESCE((SELECT MIN(d.profession_code) FROM professional_disciplines d WHERE d.professional_id = p.id), 0)
		FROM professionals p `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []profInfo
	for rows.Next() {
		var p profInfo
		if err := rows.Scan(&p.id, &p.region, &p.org, &p.profession); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// loadLedger reads only what a balance's figures depend on (no titles, notes or
// timestamps, whose decoding is most of the cost of a ledger scan): the stored balances and
// the recompute job use it; the pages load the whole entries.
func loadLedger(ctx context.Context, q db.Querier, where string, args []any, into map[int64][]Entry) error {
	rows, err := q.QueryContext(ctx, `SELECT id, professional_id, triennium, kind, role, credits, status, earned_on FROM credit_entries `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.ProfessionalID, &e.Triennium, &e.Kind, &e.Role, &e.Credits, &e.Status, &e.EarnedOn); err != nil {
			return err
		}
		into[e.ProfessionalID] = append(into[e.ProfessionalID], e)
	}
	return rows.Err()
}

func loadEntries(ctx context.Context, q db.Querier, where string, args []any, into map[int64][]Entry) error {
	rows, err := q.QueryContext(ctx, `SELECT `+entryCols+` FROM credit_entries `+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		into[e.ProfessionalID] = append(into[e.ProfessionalID], e)
	}
	return rows.Err()
}

// balanceRows computes the stored balances of each professional: every triennium of the
// rules from the first that has an entry (or the current one) to the last that has one (or
// the current one), each with the credits counted in the one before for its reduction.
func (s *Service) balanceRows(ctx context.Context, rules Rules, infos []profInfo, entries map[int64][]Entry) ([][]any, error) {
	var dossiers map[int64][]DossierRecord
	if s.Dossier != nil && len(infos) > 0 {
		ids := make([]int64, len(infos))
		for i, p := range infos {
			ids[i] = p.id
		}
		var err error
		if dossiers, err = s.Dossier.Dossiers(ctx, ids); err != nil {
			return nil, fmt.Errorf("dossier source: %w", err)
		}
	}
	today := s.today()
	now := db.Now()
	rows := make([][]any, 0, len(infos))
	for _, p := range infos {
		for _, b := range balancesOf(rules, entries[p.id], dossiers[p.id], today) {
			rows = append(rows, []any{p.id, b.Triennium, p.region, nullID(p.org), p.profession, rules.Version, b.Earned, b.Certified, b.Pending,
				b.Obligation, b.Reduction, b.Exemption, b.Counted, b.Missing, b.Compliant, b.OnTrack, now})
		}
	}
	return rows, nil
}

// balancesOf computes the balances a professional has stored (see balanceRows).
func balancesOf(rules Rules, es []Entry, recs []DossierRecord, today time.Time) []Balance {
	cur := rules.CurrentTriennium(today)
	lo, hi := cur, cur
	for _, e := range es {
		lo, hi = min(lo, e.Triennium), max(hi, e.Triennium)
	}
	var out []Balance
	prev := 0.0
	for _, t := range rules.Trienni {
		if t.Start < lo || t.Start > hi {
			continue
		}
		b := ComputeAt(rules, t.Start, es, prev, StateFor(recs, t.Start), today)
		prev = b.Counted
		out = append(out, b)
	}
	return out
}

// ---- helpers ----

func forChunks(ids []int64, n int, fn func([]int64) error) error {
	for i := 0; i < len(ids); i += n {
		if err := fn(ids[i:min(i+n, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

// inList returns the parameters of an IN list of n values: ? on SQLite (which binds $N in
// quadratic time), $1… on PostgreSQL.
func inList(pg bool, n int) string {
	if pg {
		return db.Placeholders(1, n)
	}
	return db.AnonymousPlaceholders(n)
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, v := range ids {
		out[i] = v
	}
	return out
}

func deleteIDs(ctx context.Context, tx *sql.Tx, pg bool, table, col string, ids []int64) error {
	return forChunks(ids, 500, func(chunk []int64) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+col+` IN (`+inList(pg, len(chunk))+`)`, anys(chunk)...)
		return err
	})
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ---- reading a professional's balance ----

// ProfessionalRef names the professional a balance belongs to.
type ProfessionalRef struct {
	ID             int64  `json:"id"`
	CF             string `json:"cf"`
	Name           string `json:"name"`
	RegionID       int64  `json:"region_id"`
	OrganisationID int64  `json:"organisation_id,omitempty"`
}

// BalanceView is a balance with what the page needs around it.
type BalanceView struct {
	Professional ProfessionalRef `json:"professional"`
	Balance      Balance         `json:"balance"`
	Trienni      []int           `json:"trienni"`
	// CanEdit: the caller may add and delete entries; CanDeclare: the professional may
	// declare their own individual training and self-training.
	CanEdit    bool `json:"can_edit"`
	CanDeclare bool `json:"can_declare"`
}

var individualRoles = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional}

func (s *Service) professional(ctx context.Context, q db.Querier, id int64) (ProfessionalRef, error) {
	var p ProfessionalRef
	var given, family string
	err := q.QueryRowContext(ctx, `SELECT id, cf_display, given_name, family_name, region_id, COALESCE(organisation_id, 0) FROM professionals WHERE id = $1`, id).
		Scan(&p.ID, &p.CF, &given, &family, &p.RegionID, &p.OrganisationID)
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.NotFound("professional")
	}
	p.Name = strings.TrimSpace(family + " " + given)
	return p, err
}

func target(p ProfessionalRef) domain.Target {
	return domain.Target{RegionID: p.RegionID, OrganisationID: p.OrganisationID, ProfessionalID: p.ID}
}

// Balance returns the balance of a professional in a triennium (0 = the current one),
// computed from the ledger now, each entry with why it counts.
func (s *Service) Balance(ctx context.Context, professionalID int64, triennium int) (BalanceView, error) {
	a, err := domain.Require(ctx, individualRoles...)
	if err != nil {
		return BalanceView{}, err
	}
	p, err := s.professional(ctx, s.DB.Read, professionalID)
	if err != nil {
		return BalanceView{}, err
	}
	if !a.CanSeeIndividual(target(p)) {
		return BalanceView{}, domain.NotFound("professional")
	}
	rules := s.Rules()
	today := s.today()
	if triennium == 0 {
		triennium = rules.CurrentTriennium(today)
	}
	if _, ok := rules.TrienniumByStart(triennium); !ok {
		return BalanceView{}, domain.Invalid("triennium", "no rules for the triennium starting in %d", triennium)
	}
	m := map[int64][]Entry{}
	if err := loadEntries(ctx, s.DB.Read, `WHERE professional_id = $1 ORDER BY triennium, earned_on, id`, []any{p.ID}, m); err != nil {
		return BalanceView{}, err
	}
	var recs []DossierRecord
	if s.Dossier != nil {
		ds, err := s.Dossier.Dossiers(ctx, []int64{p.ID})
		if err != nil {
			return BalanceView{}, fmt.Errorf("dossier source: %w", err)
		}
		recs = ds[p.ID]
	}
	v := BalanceView{Professional: p, CanEdit: a.Role != domain.RoleProfessional && a.CanEditIndividual(target(p)), CanDeclare: a.Role == domain.RoleProfessional}
	for _, b := range balancesOfThrough(rules, m[p.ID], recs, today, triennium) {
		if b.Triennium == triennium {
			v.Balance = b
		}
	}
	for _, t := range rules.Trienni {
		v.Trienni = append(v.Trienni, t.Start)
	}
	return v, nil
}

// balancesOfThrough computes the chain of balances up to triennium (the previous ones give
// its reduction).
func balancesOfThrough(rules Rules, es []Entry, recs []DossierRecord, today time.Time, triennium int) []Balance {
	var out []Balance
	prev := 0.0
	for _, t := range rules.Trienni {
		if t.Start > triennium {
			break
		}
		b := ComputeAt(rules, t.Start, es, prev, StateFor(recs, t.Start), today)
		prev = b.Counted
		out = append(out, b)
	}
	return out
}

// BalanceByCF is Balance for the professional with the given codice fiscale.
func (s *Service) BalanceByCF(ctx context.Context, code string, triennium int) (BalanceView, error) {
	if _, err := domain.Require(ctx, individualRoles...); err != nil {
		return BalanceView{}, err
	}
	n, err := cf.Normalise(code)
	if err != nil {
		return BalanceView{}, domain.Invalid("cf", "invalid codice fiscale: %v", err)
	}
	var id int64
	err = s.DB.Read.QueryRowContext(ctx, `SELECT id FROM professionals WHERE cf = $1`, n).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return BalanceView{}, domain.NotFound("professional")
	}
	if err != nil {
		return BalanceView{}, err
	}
	return s.Balance(ctx, id, triennium)
}

// StoredBalance returns the stored balance row of a professional (for tests and the
// equality check of the recompute job); ok is false when there is none.
func (s *Service) storedBalances(ctx context.Context, q db.Querier) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT professional_id, triennium, region_id, COALESCE(organisation_id, 0), profession_code, rules_version,
		earned, certified, pending, obligation, reduction, exemption, counted, missing, compliant, on_track FROM credit_balances`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var pid, reg, org int64
		var tri, prof int
		var ver string
		var f [8]float64
		var comp, on bool
		if err := rows.Scan(&pid, &tri, &reg, &org, &prof, &ver, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &comp, &on); err != nil {
			return nil, err
		}
		out[fmt.Sprintf("%d/%d", pid, tri)] = fmt.Sprintf("%d %d %d %s %v %v %v", reg, org, prof, ver, f, comp, on)
	}
	return out, rows.Err()
}
