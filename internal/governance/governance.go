// Package governance is the programme's governance system (Sistema di Governo) and its
// planning (Pianificazione): the cycle of phases each governance level moves through with
// recorded approvals, the targets set nationally and refined only upwards by regions and
// organisations with their progress, trend and forecast, and the notifications (in the
// platform and by e-mail) that tell the owners when a target goes off track or a phase awaits
// their approval.
//
// Progress is computed from the source tables (professionals, profiles, current competence
// levels), and back in time from the dated evidence ledger, then kept as daily measurements so
// that every target has a trend. Aggregates of populations under the suppression threshold are
// never shown, to any viewer.
package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"esd/internal/assess"
	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// DefaultThreshold is the smallest population whose progress is shown (monitor's default).
const DefaultThreshold = 5

// DefaultCycleCode is the cycle created at start-up: the ECM triennium 2026–2028.
const DefaultCycleCode = "ECM-2026-2028"

// Owner levels of a phase.
const (
	OwnerNational     = "national"
	OwnerRegional     = "regional"
	OwnerOrganisation = "organisation"
)

// Phase codes of the model, in the default order (the order is data: governance_phases).
const (
	PhaseIndirizzo      = "indirizzo"
	PhasePianificazione = "pianificazione"
	PhaseDisegno        = "disegno"
	PhaseEsecuzione     = "esecuzione"
	PhaseMonitoraggio   = "monitoraggio"
)

// defaultPhases is the order Indirizzo → Pianificazione → Disegno → Esecuzione →
// Monitoraggio with the level that owns each phase (product.md): national priorities and the
// portfolio version are national; plans are regional; the catalogue mapping is national; the
// training is delivered by organisations; monitoring closes the loop at every level, owned
// nationally.
var defaultPhases = []struct{ code, owner string }{
	{PhaseIndirizzo, OwnerNational},
	{PhasePianificazione, OwnerRegional},
	{PhaseDisegno, OwnerNational},
	{PhaseEsecuzione, OwnerOrganisation},
	{PhaseMonitoraggio, OwnerNational},
}

// Service runs the cycle, the targets and the notifications.
type Service struct {
	DB  *db.DB
	Log *slog.Logger
	// Threshold is the smallest population shown (DefaultThreshold when 0).
	Threshold int
	// Rule returns the configured level rule, used to recompute levels back in time from the
	// evidence; assess.DefaultRule when nil.
	Rule func(ctx context.Context) (assess.LevelRule, error)
	// Mail is the SMTP configuration; e-mail is queued only when Mail.Addr is set.
	Mail MailConfig

	now func() time.Time

	bgMu    sync.Mutex
	bgStart bool
	mailMu  sync.Mutex
	measMu  sync.Mutex
}

// New returns the service over d.
func New(d *db.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Log: log, now: db.Now}
}

func (s *Service) threshold() int {
	if s.Threshold <= 0 {
		return DefaultThreshold
	}
	return s.Threshold
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) today() time.Time {
	t := s.now().UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// viewer lets in the governance roles: national, regional, organisation, analyst (and the
// system); a regional or organisation grant without its scope is refused.
func viewer(ctx context.Context) (domain.Actor, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst)
	if err != nil {
		return a, err
	}
	if (a.Role == domain.RoleRegional && a.RegionID == 0) || (a.Role == domain.RoleOrganisation && a.OrganisationID == 0) {
		return a, domain.Forbidden("the grant has no scope")
	}
	return a, nil
}

// ---- the cycle ----

// Cycle is a governance cycle with its phases.
type Cycle struct {
	ID       int64   `json:"id"`
	Code     string  `json:"code"`
	TitleIT  string  `json:"title_it"`
	TitleEN  string  `json:"title_en"`
	StartsOn string  `json:"starts_on"`
	EndsOn   string  `json:"ends_on"`
	Phases   []Phase `json:"phases"`
}

// Phase is one phase of a cycle.
type Phase struct {
	Position int    `json:"position"`
	Code     string `json:"code"`
	Owner    string `json:"owner"`
}

// Track is where the nation (RegionID 0) or a region stands in a cycle.
type Track struct {
	RegionID   int64     `json:"region_id"`
	RegionName string    `json:"region_name"`
	ISTAT      string    `json:"istat_code,omitempty"`
	Position   int       `json:"position"`
	Phase      string    `json:"phase"` // "" when the track's cycle is closed
	Closed     bool      `json:"closed"`
	Since      time.Time `json:"since"`
	// CanApprove says whether the viewer may approve the track's current phase now; Blocked
	// says why not when the viewer owns the track but the nation is not far enough.
	CanApprove bool   `json:"can_approve"`
	Blocked    string `json:"blocked,omitempty"`
}

// Approval is a recorded approval of a phase of a track.
type Approval struct {
	ID         int64      `json:"id"`
	RegionID   int64      `json:"region_id"`
	RegionName string     `json:"region_name"`
	Phase      string     `json:"phase"`
	Username   string     `json:"username"`
	Role       string     `json:"role"`
	Note       string     `json:"note"`
	Artefacts  []Artefact `json:"artefacts"`
	At         time.Time  `json:"approved_at"`
}

// Artefact is something a phase produces, linked.
type Artefact struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
	Link  string `json:"link"`
}

// CycleView is the cycle, the nation's track, every region's track, the artefacts of each
// phase and the approvals so far.
type CycleView struct {
	Cycle     Cycle                 `json:"cycle"`
	Nation    Track                 `json:"nation"`
	Regions   []Track               `json:"regions"`
	Artefacts map[string][]Artefact `json:"artefacts"`
	Approvals []Approval            `json:"approvals"`
}

// EnsureDefaultCycle creates the ECM triennium 2026–2028 with the default phases and a track
// for the nation and every region, at the first phase, when no cycle exists (start-up step).
func (s *Service) EnsureDefaultCycle(ctx context.Context) error {
	var n int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM governance_cycles`).Scan(&n); err != nil || n > 0 {
		return err
	}
	now := s.now()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO governance_cycles (code, title_it, title_en, starts_on, ends_on, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, DefaultCycleCode, "Triennio ECM 2026–2028", "ECM triennium 2026–2028",
			"2026-01-01", "2028-12-31", now).Scan(&id); err != nil {
			return err
		}
		for i, p := range defaultPhases {
			if _, err := tx.ExecContext(ctx, `INSERT INTO governance_phases (cycle_id, position, code, owner) VALUES ($1, $2, $3, $4)`, id, i, p.code, p.owner); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO governance_tracks (cycle_id, region_id, position, since) VALUES ($1, 0, 0, $2)`, id, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO governance_tracks (cycle_id, region_id, position, since) SELECT $1, id, 0, $2 FROM regions`, id, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "governance_cycle", EntityID: id, After: map[string]any{"code": DefaultCycleCode}})
	})
}

// cycleByCode loads a cycle ("" = the most recent one).
func (s *Service) cycleByCode(ctx context.Context, q db.Querier, code string) (Cycle, error) {
	var c Cycle
	query := `SELECT id, code, title_it, title_en, starts_on, ends_on FROM governance_cycles `
	args := []any{}
	if code == "" {
		query += `ORDER BY starts_on DESC, id DESC LIMIT 1`
	} else {
		query += `WHERE code = $1`
		args = append(args, code)
	}
	var st, en any
	if err := q.QueryRowContext(ctx, query, args...).Scan(&c.ID, &c.Code, &c.TitleIT, &c.TitleEN, &st, &en); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, domain.NotFound("cycle")
		}
		return c, err
	}
	c.StartsOn, c.EndsOn = dateString(st), dateString(en)
	rows, err := q.QueryContext(ctx, `SELECT position, code, owner FROM governance_phases WHERE cycle_id = $1 ORDER BY position`, c.ID)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var p Phase
		if err := rows.Scan(&p.Position, &p.Code, &p.Owner); err != nil {
			return c, err
		}
		c.Phases = append(c.Phases, p)
	}
	return c, rows.Err()
}

// dateString reads a DATE column of either driver as YYYY-MM-DD.
func dateString(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02")
	case string:
		if len(x) >= 10 {
			return x[:10]
		}
		return x
	case []byte:
		return dateString(string(x))
	}
	return ""
}

// CycleView returns the cycle (code "" = the current one) as the viewer sees it: phase
// states are governance information, not data about people, so every governance viewer sees
// every region's track; what the viewer may approve is marked.
func (s *Service) CycleView(ctx context.Context, code string) (CycleView, error) {
	a, err := viewer(ctx)
	if err != nil {
		return CycleView{}, err
	}
	c, err := s.cycleByCode(ctx, s.DB.Read, code)
	if err != nil {
		return CycleView{}, err
	}
	v := CycleView{Cycle: c, Artefacts: map[string][]Artefact{}}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT t.region_id, COALESCE(r.name, ''), COALESCE(r.istat_code, ''), t.position, t.since
		FROM governance_tracks t LEFT JOIN regions r ON r.id = t.region_id WHERE t.cycle_id = $1 ORDER BY t.region_id`, c.ID)
	if err != nil {
		return v, err
	}
	var tracks []Track
	for rows.Next() {
		var t Track
		if err := rows.Scan(&t.RegionID, &t.RegionName, &t.ISTAT, &t.Position, &t.Since); err != nil {
			rows.Close()
			return v, err
		}
		tracks = append(tracks, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, err
	}
	var nation Track
	for _, t := range tracks {
		if t.RegionID == 0 {
			nation = t
		}
	}
	for _, t := range tracks {
		t.Closed = t.Position >= len(c.Phases)
		if !t.Closed {
			t.Phase = c.Phases[t.Position].Code
		}
		t.CanApprove, t.Blocked = canApprove(a, t, nation, len(c.Phases))
		if t.RegionID == 0 {
			t.RegionName = "Italia"
			v.Nation = t
		} else {
			v.Regions = append(v.Regions, t)
		}
	}
	sort.Slice(v.Regions, func(i, j int) bool { return v.Regions[i].RegionName < v.Regions[j].RegionName })
	for _, p := range c.Phases {
		arts, err := s.artefacts(ctx, s.DB.Read, p.Code, a)
		if err != nil {
			return v, err
		}
		v.Artefacts[p.Code] = arts
	}
	v.Approvals, err = s.approvals(ctx, c.ID)
	return v, err
}

// canApprove applies the approval rules: the nation's phases are approved by national
// governance; a region's by its referent (or national governance); and a region cannot move
// ahead of the nation: it may close a phase only once the nation has closed it.
func canApprove(a domain.Actor, t, nation Track, phases int) (bool, string) {
	if t.Position >= phases {
		return false, ""
	}
	switch {
	case a.Role == domain.RoleSystem || a.Role == domain.RoleNational:
	case a.Role == domain.RoleRegional && t.RegionID != 0 && t.RegionID == a.RegionID:
	default:
		return false, ""
	}
	if t.RegionID != 0 && t.Position+1 > nation.Position {
		return false, "gov.blocked.nation"
	}
	return true, ""
}

func (s *Service) approvals(ctx context.Context, cycleID int64) ([]Approval, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT a.id, a.region_id, COALESCE(r.name, ''), a.phase, a.username, a.role, a.note, a.artefacts, a.approved_at
		FROM governance_approvals a LEFT JOIN regions r ON r.id = a.region_id WHERE a.cycle_id = $1 ORDER BY a.id DESC`, cycleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Approval{}
	for rows.Next() {
		var ap Approval
		var arts string
		if err := rows.Scan(&ap.ID, &ap.RegionID, &ap.RegionName, &ap.Phase, &ap.Username, &ap.Role, &ap.Note, &arts, &ap.At); err != nil {
			return nil, err
		}
		if ap.RegionID == 0 {
			ap.RegionName = "Italia"
		}
		ap.Artefacts = decodeArtefacts(arts)
		out = append(out, ap)
	}
	return out, rows.Err()
}

// artefacts lists, live, what a phase produces, each linked to where it lives.
func (s *Service) artefacts(ctx context.Context, q db.Querier, phase string, a domain.Actor) ([]Artefact, error) {
	count := func(query string, args ...any) (int64, error) {
		var n int64
		err := q.QueryRowContext(ctx, query, args...).Scan(&n)
		return n, err
	}
	switch phase {
	case PhaseIndirizzo:
		var code, version string
		err := q.QueryRowContext(ctx, `SELECT code, version FROM framework_versions WHERE state = 'published' ORDER BY published_at DESC, id DESC LIMIT 1`).Scan(&code, &version)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		n, err := count(`SELECT COUNT(*) FROM personas p JOIN framework_versions f ON f.id = p.framework_id WHERE f.state = 'published'`)
		if err != nil {
			return nil, err
		}
		out := []Artefact{}
		if code != "" {
			out = append(out, Artefact{Kind: "portfolio", Label: code + " " + version, Link: "/portfolio"})
		}
		return append(out, Artefact{Kind: "personas", Label: fmt.Sprint(n), Link: "/personas"}), nil
	case PhasePianificazione:
		nat, err := count(`SELECT COUNT(*) FROM governance_targets WHERE parent_id IS NULL`)
		if err != nil {
			return nil, err
		}
		ref, err := count(`SELECT COUNT(*) FROM governance_targets WHERE parent_id IS NOT NULL`)
		if err != nil {
			return nil, err
		}
		return []Artefact{{Kind: "targets", Label: fmt.Sprint(nat), Link: "/governance/targets"},
			{Kind: "plans", Label: fmt.Sprint(ref), Link: "/governance/targets"}}, nil
	case PhaseDisegno:
		n, err := count(`SELECT COUNT(*) FROM events WHERE EXISTS (SELECT 1 FROM event_lines l WHERE l.event_id = events.id)`)
		if err != nil {
			return nil, err
		}
		return []Artefact{{Kind: "catalogue", Label: fmt.Sprint(n), Link: "/catalogue"}}, nil
	case PhaseEsecuzione:
		n, err := count(`SELECT COUNT(*) FROM participations WHERE state = 'completed'`)
		if err != nil {
			return nil, err
		}
		return []Artefact{{Kind: "training", Label: fmt.Sprint(n), Link: "/catalogue"}}, nil
	case PhaseMonitoraggio:
		return []Artefact{{Kind: "monitor", Label: "", Link: "/monitor"}}, nil
	}
	return []Artefact{}, nil
}

func encodeArtefacts(a []Artefact) string {
	var b strings.Builder
	for _, x := range a {
		// kind|label|link per line: plain text, no JSON dependency in the reader.
		fmt.Fprintf(&b, "%s|%s|%s\n", x.Kind, strings.ReplaceAll(x.Label, "|", "/"), x.Link)
	}
	return b.String()
}

func decodeArtefacts(s string) []Artefact {
	out := []Artefact{}
	for _, line := range strings.Split(s, "\n") {
		p := strings.SplitN(line, "|", 3)
		if len(p) == 3 {
			out = append(out, Artefact{Kind: p[0], Label: p[1], Link: p[2]})
		}
	}
	return out
}

// ApproveInput approves the current phase of a track: the nation (RegionID 0) or a region.
// Phase must be the track's current phase (so that a stale form cannot close the next one).
type ApproveInput struct {
	Cycle    string `json:"cycle"`
	RegionID int64  `json:"region_id"`
	Phase    string `json:"phase"`
	Note     string `json:"note"`
}

// Approve records the approval of the current phase of a track with its note and the phase's
// artefacts as they are, moves the track to the next phase (audit entry in the same
// transaction), and notifies the owners of what now awaits approval.
func (s *Service) Approve(ctx context.Context, in ApproveInput) (Approval, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return Approval{}, err
	}
	if a.Role == domain.RoleRegional && in.RegionID != a.RegionID {
		if in.RegionID == 0 {
			return Approval{}, errK(domain.EFORBIDDEN, "", "gov.err.national_phase", "a regional referent cannot approve a national phase")
		}
		return Approval{}, errK(domain.EFORBIDDEN, "", "gov.err.other_region", "a regional referent cannot approve another region's phase")
	}
	in.Note = strings.TrimSpace(in.Note)
	if len([]rune(in.Note)) < 3 {
		return Approval{}, errK(domain.EINVALID, "note", "gov.err.note", "an approval needs a note (at least 3 characters)")
	}
	if len(in.Note) > 2000 {
		return Approval{}, errK(domain.EINVALID, "note", "gov.err.note_long", "the note is longer than 2000 characters")
	}
	var out Approval
	var next string
	var cyc Cycle
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.cycleByCode(ctx, tx, in.Cycle)
		if err != nil {
			return err
		}
		cyc = c
		var pos, nationPos int
		err = tx.QueryRowContext(ctx, `SELECT position FROM governance_tracks WHERE cycle_id = $1 AND region_id = $2`, c.ID, in.RegionID).Scan(&pos)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.NotFound("region")
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT position FROM governance_tracks WHERE cycle_id = $1 AND region_id = 0`, c.ID).Scan(&nationPos); err != nil {
			return err
		}
		if pos >= len(c.Phases) {
			return errK(domain.ECONFLICT, "phase", "gov.err.closed", "the cycle of this track is already closed")
		}
		cur := c.Phases[pos].Code
		if in.Phase != "" && in.Phase != cur {
			return errK(domain.ECONFLICT, "phase", "gov.err.not_current", "phase %s is not the current phase (%s)", in.Phase, cur)
		}
		if in.RegionID != 0 && pos+1 > nationPos {
			return errK(domain.ECONFLICT, "phase", "gov.err.ahead", "a region cannot move ahead of the nation: the nation has not closed phase %s yet", cur)
		}
		arts, err := s.artefacts(ctx, tx, cur, a)
		if err != nil {
			return err
		}
		now := s.now()
		var uid any
		if a.UserID != 0 {
			uid = a.UserID
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO governance_approvals (cycle_id, region_id, phase, user_id, username, role, note, artefacts, approved_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, c.ID, in.RegionID, cur, uid, a.Username, string(a.Role), in.Note, encodeArtefacts(arts), now).Scan(&out.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE governance_tracks SET position = $1, since = $2 WHERE cycle_id = $3 AND region_id = $4`, pos+1, now, c.ID, in.RegionID); err != nil {
			return err
		}
		out = Approval{ID: out.ID, RegionID: in.RegionID, Phase: cur, Username: a.Username, Role: string(a.Role), Note: in.Note, Artefacts: arts, At: now}
		if pos+1 < len(c.Phases) {
			next = c.Phases[pos+1].Code
		}
		if err := audit.Record(ctx, tx, audit.Change{Action: "approve", Entity: "governance_phase", EntityID: out.ID, RegionID: in.RegionID,
			Before: map[string]any{"cycle": c.Code, "phase": cur}, After: map[string]any{"cycle": c.Code, "phase": next, "note": in.Note}}); err != nil {
			return err
		}
		return s.notifyPhase(ctx, tx, c, in.RegionID, next)
	})
	if err != nil {
		return Approval{}, err
	}
	_ = cyc
	return out, nil
}

// Background runs, until ctx ends, the e-mail sender (every two seconds when SMTP is
// configured) and the daily snapshot of every target (half a minute after start, then
// hourly: a target measured today is measured again, which keeps today's point current).
func (s *Service) Background(ctx context.Context) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.bgStart {
		return
	}
	s.bgStart = true
	sys := domain.WithActor(ctx, domain.SystemActor)
	go func() {
		mail := time.NewTicker(2 * time.Second)
		defer mail.Stop()
		measure := time.NewTimer(30 * time.Second)
		defer measure.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-mail.C:
				if _, err := s.SendPending(sys); err != nil && ctx.Err() == nil {
					s.Log.Warn("notification e-mail", "err", err)
				}
			case <-measure.C:
				if _, err := s.MeasureAll(sys); err != nil && ctx.Err() == nil {
					s.Log.Warn("target snapshot", "err", err)
				}
				measure.Reset(time.Hour)
			}
		}
	}()
}
