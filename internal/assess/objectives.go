package assess

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Objective states: draft → agreed → in progress → achieved, or expired when the due date
// passes first.
const (
	ObjDraft      = "draft"
	ObjAgreed     = "agreed"
	ObjInProgress = "in_progress"
	ObjAchieved   = "achieved"
	ObjExpired    = "expired"
)

// ObjectiveStates lists the states in order.
var ObjectiveStates = []string{ObjDraft, ObjAgreed, ObjInProgress, ObjAchieved, ObjExpired}

// Objective sources.
const (
	ObjGenerated = "generated" // from the gaps
	ObjGroup     = "group"     // set by the organisation for a team or unit
)

// Objective is an individual ESD objective (or, with GroupID, a group objective): raise a
// line to a level by a date, counted under an ECM national objective in the triennium.
type Objective struct {
	ID             int64      `json:"id"`
	ProfessionalID int64      `json:"professional_id,omitempty"`
	GroupID        int64      `json:"group_id,omitempty"`
	GroupName      string     `json:"group_name,omitempty"`
	Triennium      string     `json:"triennium"`
	FrameworkID    int64      `json:"framework_id"`
	LineID         int64      `json:"line_id"`
	LineCode       string     `json:"line"`
	LineTitle      string     `json:"line_title"`
	Area           string     `json:"area,omitempty"`
	FromLevel      *int       `json:"from_level,omitempty"` // hidden when levels are not shared
	TargetLevel    int        `json:"target_level"`
	PersonaTarget  int        `json:"persona_target,omitempty"`
	DueDate        string     `json:"due_date"`
	Priority       int        `json:"priority"`
	State          string     `json:"state"`
	ECMObjective   string     `json:"ecm_objective"`
	ECMName        string     `json:"ecm_name,omitempty"`
	ECMCategory    string     `json:"ecm_category,omitempty"`
	ECMInferred    bool       `json:"ecm_inferred,omitempty"`
	Source         string     `json:"source"`
	Adjusted       bool       `json:"adjusted,omitempty"`
	Note           string     `json:"note,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	AgreedAt       *time.Time `json:"agreed_at,omitempty"`
	AgreedBy       string     `json:"agreed_by,omitempty"`
	StartedAt      *time.Time `json:"started_at,omitempty"`
	AchievedAt     *time.Time `json:"achieved_at,omitempty"`
	// AchievedRuleID is the organisation's rule that achieved it (0: the level was reached or a person marked it).
	AchievedRuleID int64      `json:"achieved_rule_id,omitempty"`
	ExpiredAt      *time.Time `json:"expired_at,omitempty"`
	fromLevel      int
}

// HasFrom reports whether the starting level is visible.
func (o Objective) HasFrom() bool { return o.FromLevel != nil }

// From is the starting level (0 when hidden).
func (o Objective) From() int {
	if o.FromLevel == nil {
		return 0
	}
	return *o.FromLevel
}

// Due is the due date as dd/mm/yyyy.
func (o Objective) Due() string {
	if t, err := time.Parse("2006-01-02", o.DueDate); err == nil {
		return t.Format("02/01/2006")
	}
	return o.DueDate
}

const objectiveCols = `o.id, COALESCE(o.professional_id, 0), COALESCE(o.group_id, 0), COALESCE(g.name, ''), o.triennium, o.framework_id, o.line_id, o.line_code,
	o.from_level, o.target_level, o.persona_target, o.due_date, o.priority, o.state, o.ecm_objective, o.ecm_inferred, o.source, o.adjusted, o.note,
	o.created_at, o.updated_at, o.agreed_at, o.agreed_by, o.started_at, o.achieved_at, o.expired_at, COALESCE(o.achieved_rule_id, 0)`

func scanObjective(row interface{ Scan(...any) error }) (Objective, error) {
	var o Objective
	var agreed, started, achieved, expired sql.NullTime
	err := row.Scan(&o.ID, &o.ProfessionalID, &o.GroupID, &o.GroupName, &o.Triennium, &o.FrameworkID, &o.LineID, &o.LineCode,
		&o.fromLevel, &o.TargetLevel, &o.PersonaTarget, &o.DueDate, &o.Priority, &o.State, &o.ECMObjective, &o.ECMInferred, &o.Source, &o.Adjusted, &o.Note,
		&o.CreatedAt, &o.UpdatedAt, &agreed, &o.AgreedBy, &started, &achieved, &expired, &o.AchievedRuleID)
	o.AgreedAt, o.StartedAt, o.AchievedAt, o.ExpiredAt = nullTime(agreed), nullTime(started), nullTime(achieved), nullTime(expired)
	return o, err
}

// objectiveRows loads objectives matching where (with args), decorated with line titles and
// ECM names in lang; from levels are shown only when showLevels.
func (s *Service) objectiveRows(ctx context.Context, q db.Querier, where string, args []any, lang string, showLevels bool) ([]Objective, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+objectiveCols+` FROM objectives o LEFT JOIN objective_groups g ON g.id = o.group_id WHERE `+where+
		` ORDER BY CASE WHEN o.group_id IS NULL THEN 0 ELSE 1 END, o.priority, o.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Objective
	for rows.Next() {
		o, err := scanObjective(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names, err := ecmNames(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range out {
		o := &out[i]
		if f, err := s.framework(ctx, o.FrameworkID); err == nil {
			if l := f.Line(o.LineID); l != nil {
				o.LineTitle = l.Title(lang)
				if a := l.Area(); a != nil {
					o.Area = a.Title(lang)
				}
			}
		}
		if n, ok := names[o.ECMObjective]; ok {
			o.ECMName, o.ECMCategory = n[0], n[1]
		}
		if showLevels {
			v := o.fromLevel
			o.FromLevel = &v
		}
	}
	return out, nil
}

// ecmNames maps ECM national objective codes to name and category, from the newest list the
// registry loaded (empty until it does).
func ecmNames(ctx context.Context, q db.Querier) (map[string][2]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, name, category FROM ecm_objectives WHERE national = TRUE ORDER BY list_version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string][2]string{}
	for rows.Next() {
		var code int
		var name, cat string
		if err := rows.Scan(&code, &name, &cat); err != nil {
			return nil, err
		}
		m[strconv.Itoa(code)] = [2]string{name, cat}
	}
	return m, rows.Err()
}

// ObjectivesView is a professional's objectives as a viewer may see them.
type ObjectivesView struct {
	Professional  Professional `json:"professional"`
	Triennium     string       `json:"triennium"`
	Individual    []Objective  `json:"individual"`
	Group         []Objective  `json:"group"`
	LevelsVisible bool         `json:"levels_visible"`
	CanAdjust     bool         `json:"can_adjust"`
	CanAgree      bool         `json:"can_agree"`
	Drafts        int          `json:"drafts"`
}

// Objectives returns the individual objectives of a professional for the triennium and the
// group objectives of the groups they belong to. Visible to the professional and to the
// organisation, regional and national users in scope (objectives are shared by default; the
// starting levels only when the levels policy allows).
func (s *Service) Objectives(ctx context.Context, profID int64, lang string) (ObjectivesView, error) {
	p, err := s.checkView(ctx, profID, viewObjectives)
	if err != nil {
		return ObjectivesView{}, err
	}
	a := domain.ActorFrom(ctx)
	v := ObjectivesView{Professional: p, Triennium: s.triennium().String(), LevelsVisible: s.canSeeLevels(ctx, p),
		CanAdjust: a.Role == domain.RoleProfessional || a.Role == domain.RoleSystem,
		CanAgree:  a.Role == domain.RoleOrganisation || a.Role == domain.RoleRegional || a.Role == domain.RoleNational || a.Role == domain.RoleSystem}
	v.Individual, err = s.objectiveRows(ctx, s.DB.Read, `o.professional_id = $1 AND o.triennium = $2`, []any{profID, v.Triennium}, lang, v.LevelsVisible)
	if err != nil {
		return v, err
	}
	v.Group, err = s.objectiveRows(ctx, s.DB.Read, `o.group_id IN (SELECT group_id FROM objective_group_members WHERE professional_id = $1) AND o.triennium = $2`,
		[]any{profID, v.Triennium}, lang, false)
	if err != nil {
		return v, err
	}
	for _, o := range v.Individual {
		if o.State == ObjDraft {
			v.Drafts++
		}
	}
	if v.Individual == nil {
		v.Individual = []Objective{}
	}
	if v.Group == nil {
		v.Group = []Objective{}
	}
	return v, nil
}

// dueDates spreads n objectives in priority order over the remaining years of the triennium:
// the first third due at the end of the first remaining year, and so on.
func (s *Service) dueDates(n int) []string {
	t := s.triennium()
	first := max(t.From, s.now().Year())
	if first > t.To {
		first = t.To
	}
	years := t.To - first + 1
	out := make([]string, n)
	for i := range out {
		y := first + i*years/max(n, 1)
		out[i] = fmt.Sprintf("%d-12-31", y)
	}
	return out
}

// draftFor builds the draft objectives from a gap analysis: the lines that fall short, biggest
// gap first, at most MaxObjectives minus the objectives to keep, skipping lines in skip.
func (s *Service) draftsFor(f *Framework, g Gaps, skip map[string]bool, keep int) []Objective {
	var lines []LineGap
	for _, lg := range g.Lines {
		if lg.Gap > 0 && !skip[lg.LineCode] {
			lines = append(lines, lg)
		}
	}
	n := min(len(lines), max(0, s.maxObjectives()-keep))
	lines = lines[:n]
	due := s.dueDates(n)
	out := make([]Objective, 0, n)
	for i, lg := range lines {
		o := Objective{ProfessionalID: g.ProfessionalID, Triennium: s.triennium().String(), FrameworkID: f.ID, LineID: lg.LineID, LineCode: lg.LineCode,
			fromLevel: lg.Current, TargetLevel: lg.Target, PersonaTarget: lg.Target, DueDate: due[i], Priority: keep + i + 1, State: ObjDraft, Source: ObjGenerated}
		if l := f.Line(lg.LineID); l != nil {
			o.ECMObjective, o.ECMInferred, _ = l.ECMObjective()
		}
		out = append(out, o)
	}
	return out
}

// generateFor replaces the generated, unadjusted drafts of a professional with drafts from
// the gap analysis g. Agreed, in-progress and achieved objectives and the drafts the
// professional adjusted are kept, and their lines are not proposed again.
func (s *Service) generateFor(ctx context.Context, tx *sql.Tx, p Professional, g Gaps) (int, error) {
	f, err := s.framework(ctx, g.FrameworkID)
	if err != nil {
		return 0, err
	}
	tri := s.triennium().String()
	rows, err := tx.QueryContext(ctx, `SELECT id, line_code, state, adjusted, source FROM objectives WHERE professional_id = $1 AND triennium = $2 AND state <> 'expired'`, p.ID, tri)
	if err != nil {
		return 0, err
	}
	skip := map[string]bool{}
	keep := 0
	var drop []int64
	for rows.Next() {
		var id int64
		var code, state, source string
		var adjusted bool
		if err := rows.Scan(&id, &code, &state, &adjusted, &source); err != nil {
			rows.Close()
			return 0, err
		}
		if state == ObjDraft && !adjusted && source == ObjGenerated {
			drop = append(drop, id)
			continue
		}
		skip[code] = true
		keep++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM objectives WHERE id = $1`, id); err != nil {
			return 0, err
		}
	}
	drafts := s.draftsFor(f, g, skip, keep)
	if err := s.insertObjectives(ctx, tx, drafts); err != nil {
		return 0, err
	}
	return len(drafts), audit.Record(ctx, tx, audit.Change{Action: "generate", Entity: "objectives", EntityID: p.ID, RegionID: p.RegionID,
		After: map[string]any{"triennium": tri, "removed_drafts": len(drop), "new_drafts": len(drafts), "kept": keep}})
}

// objectiveCols are the columns insertObjectives writes.
var objectiveInsertCols = []string{"professional_id", "group_id", "triennium", "framework_id", "line_id", "line_code", "from_level", "target_level",
	"persona_target", "due_date", "priority", "state", "ecm_objective", "ecm_inferred", "source", "created_at", "updated_at"}

// insertObjectives writes objectives in bulk.
func (s *Service) insertObjectives(ctx context.Context, tx *sql.Tx, objs []Objective) error {
	now := s.now()
	rows := make([][]any, len(objs))
	for i, o := range objs {
		var prof, group any
		if o.ProfessionalID != 0 {
			prof = o.ProfessionalID
		}
		if o.GroupID != 0 {
			group = o.GroupID
		}
		rows[i] = []any{prof, group, o.Triennium, o.FrameworkID, o.LineID, o.LineCode, o.fromLevel, o.TargetLevel, o.PersonaTarget,
			o.DueDate, o.Priority, o.State, o.ECMObjective, o.ECMInferred, o.Source, now, now}
	}
	return insertRows(ctx, tx, s.DB.IsPostgres(), "objectives", objectiveInsertCols, rows)
}

// GenerateObjectives regenerates the draft objectives of one professional from their current
// gaps. The professional may ask for it, and so may the organisation, regional and national
// users in scope.
func (s *Service) GenerateObjectives(ctx context.Context, profID int64) (int, error) {
	p, err := s.checkView(ctx, profID, viewObjectives)
	if err != nil {
		return 0, err
	}
	targets, persona, err := s.effectiveTargets(ctx, profID)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := s.computeGaps(ctx, tx, profID, targets, persona, "it")
		if err != nil {
			return err
		}
		n, err = s.generateFor(ctx, tx, p, g)
		return err
	})
	return n, err
}

// objective loads one objective with the professional it belongs to (no permission check).
func (s *Service) objective(ctx context.Context, q db.Querier, id int64) (Objective, error) {
	os, err := s.objectiveRows(ctx, q, `o.id = $1`, []any{id}, "it", true)
	if err != nil {
		return Objective{}, err
	}
	if len(os) == 0 {
		return Objective{}, domain.NotFound("objective")
	}
	return os[0], nil
}

// ObjectiveInput adjusts a draft objective.
type ObjectiveInput struct {
	TargetLevel int    `json:"target_level"`
	DueDate     string `json:"due_date"`
	Priority    int    `json:"priority"`
	Note        string `json:"note"`
}

// AdjustObjective lets the professional change a draft objective of theirs: the target level
// (above the current level, up to the top of the scale), the due date (within the
// triennium), the priority and a note. An adjusted draft is kept when objectives are
// regenerated.
func (s *Service) AdjustObjective(ctx context.Context, id int64, in ObjectiveInput) (Objective, error) {
	o, err := s.objective(ctx, s.DB.Read, id)
	if err != nil {
		return o, err
	}
	if o.ProfessionalID == 0 {
		return o, domain.NotFound("objective")
	}
	if err := s.requireSelf(ctx, o.ProfessionalID); err != nil {
		if domain.ErrorCode(err) == domain.EFORBIDDEN {
			return o, domain.Forbidden("only the professional adjusts their own objectives; the organisation agrees them")
		}
		return o, domain.NotFound("objective")
	}
	if o.State != ObjDraft {
		return o, errK(domain.ECONFLICT, "", "assess.err.not_draft", "the objective is %s: only a draft can be adjusted", o.State)
	}
	f, err := s.framework(ctx, o.FrameworkID)
	if err != nil {
		return o, err
	}
	if in.TargetLevel <= o.fromLevel || in.TargetLevel > f.MaxLevel() {
		return o, errK(domain.EINVALID, "target_level", "assess.err.target", "the target must be above the current level (%d) and at most %d", o.fromLevel, f.MaxLevel())
	}
	t := s.triennium()
	d, err := time.Parse("2006-01-02", strings.TrimSpace(in.DueDate))
	if err != nil {
		return o, errK(domain.EINVALID, "due_date", "assess.form.date", "write the date as YYYY-MM-DD")
	}
	if d.Year() < t.From || d.Year() > t.To {
		return o, errK(domain.EINVALID, "due_date", "assess.err.due_range", "the date must fall in the triennium %s", t.String())
	}
	if in.Priority < 1 || in.Priority > 999 {
		return o, errK(domain.EINVALID, "priority", "assess.err.priority", "priority must be from 1 to 999")
	}
	if len(in.Note) > 1000 {
		return o, domain.Invalid("note", "the note is longer than 1000 characters")
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE objectives SET target_level = $1, due_date = $2, priority = $3, note = $4, adjusted = TRUE, updated_at = $5
			WHERE id = $6 AND state = 'draft'`, in.TargetLevel, d.Format("2006-01-02"), in.Priority, strings.TrimSpace(in.Note), s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &domain.Error{Code: domain.ECONFLICT, Message: "the objective is no longer a draft"}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "objective", EntityID: id,
			Before: map[string]any{"target_level": o.TargetLevel, "due_date": o.DueDate, "priority": o.Priority, "note": o.Note}, After: in})
	})
	if err != nil {
		return o, err
	}
	return s.objective(ctx, s.DB.Read, id)
}

// AgreeObjectives agrees every draft objective of a professional for the triennium: the act
// of their organisation (or region, or national governance) that turns the drafts into the
// individual dossier formativo. It returns how many were agreed (0 when there were none).
func (s *Service) AgreeObjectives(ctx context.Context, profID int64) (int, error) {
	a, err := domain.Require(ctx, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational)
	if err != nil {
		return 0, err
	}
	p, err := s.checkView(ctx, profID, viewObjectives)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE objectives SET state = 'agreed', agreed_at = $1, agreed_by = $2, updated_at = $1
			WHERE professional_id = $3 AND triennium = $4 AND state = 'draft'`, now, a.Username, profID, s.triennium().String())
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n = int(k)
		if n == 0 {
			return nil // nothing to agree: agreeing again is not an error
		}
		return audit.Record(ctx, tx, audit.Change{Action: "agree", Entity: "objectives", EntityID: profID, RegionID: p.RegionID,
			Before: map[string]string{"state": ObjDraft}, After: map[string]any{"state": ObjAgreed, "count": n}})
	})
	return n, err
}

// transitions says who may move an objective from one state to another.
var transitions = map[[2]string][]domain.Role{
	{ObjDraft, ObjAgreed}:        {domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational},
	{ObjAgreed, ObjInProgress}:   {domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational},
	{ObjAgreed, ObjAchieved}:     {domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational},
	{ObjInProgress, ObjAchieved}: {domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational},
	{ObjAgreed, ObjExpired}:      {domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational},
	{ObjInProgress, ObjExpired}:  {domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational},
}

// MoveObjective changes the state of one individual objective along the state machine. The
// professional may start an agreed objective; the organisation (region, national) agrees,
// confirms achievement or declares it expired. Achievement also happens by itself when the
// evidence brings the line's level to the target, and expiry when the due date passes.
func (s *Service) MoveObjective(ctx context.Context, id int64, to string) (Objective, error) {
	a, err := domain.Require(ctx, domain.RoleProfessional, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational)
	if err != nil {
		return Objective{}, err
	}
	o, err := s.objective(ctx, s.DB.Read, id)
	if err != nil {
		return o, err
	}
	if o.ProfessionalID == 0 {
		return o, domain.NotFound("objective")
	}
	p, err := s.checkView(ctx, o.ProfessionalID, viewObjectives)
	if err != nil {
		return o, err
	}
	valid := false
	for _, st := range ObjectiveStates {
		valid = valid || st == to
	}
	if !valid {
		return o, domain.Invalid("state", "unknown state %q", to)
	}
	if o.State == to {
		// Already there (a replay, or two people doing the same): accepted if the caller could
		// have made the move.
		for k, roles := range transitions {
			if k[1] != to {
				continue
			}
			for _, r := range roles {
				if r == a.Role || a.Role == domain.RoleSystem {
					return o, nil
				}
			}
		}
		return o, domain.Forbidden("role %s may not move an objective to %s", a.Role, to)
	}
	roles, ok := transitions[[2]string{o.State, to}]
	if !ok || roles == nil {
		return o, errK(domain.ECONFLICT, "state", "assess.err.transition", "an objective cannot move from %s to %s", o.State, to)
	}
	allowed := a.Role == domain.RoleSystem
	for _, r := range roles {
		allowed = allowed || r == a.Role
	}
	if !allowed {
		return o, domain.Forbidden("role %s may not move an objective from %s to %s", a.Role, o.State, to)
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		col := map[string]string{ObjAgreed: "agreed_at", ObjInProgress: "started_at", ObjAchieved: "achieved_at", ObjExpired: "expired_at"}[to]
		q := `UPDATE objectives SET state = $1, updated_at = $2, ` + col + ` = $2`
		args := []any{to, now}
		if to == ObjAgreed {
			q += `, agreed_by = $5`
		}
		q += ` WHERE id = $3 AND state = $4`
		args = append(args, id, o.State)
		if to == ObjAgreed {
			args = append(args, a.Username)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &domain.Error{Code: domain.ECONFLICT, Message: "the objective changed meanwhile: reload the page"}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "transition", Entity: "objective", EntityID: id, RegionID: p.RegionID,
			Before: map[string]string{"state": o.State}, After: map[string]string{"state": to}})
	})
	if err != nil {
		return o, err
	}
	return s.objective(ctx, s.DB.Read, id)
}

// achieveObjectives marks achieved the agreed or started objectives of a professional whose
// target the current level of their line (levels: line code → level) now reaches. The
// professional's live objectives are read once, so a finished assessment touching many lines
// costs two statements, not one per line.
func (s *Service) achieveObjectives(ctx context.Context, q db.Querier, prof int64, levels map[string]int) error {
	if len(levels) == 0 {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, line_code, target_level FROM objectives WHERE professional_id = $1 AND state IN ('agreed', 'in_progress')`, prof)
	if err != nil {
		return err
	}
	var ids []any
	for rows.Next() {
		var id int64
		var code string
		var target int
		if err := rows.Scan(&id, &code, &target); err != nil {
			rows.Close()
			return err
		}
		if level, ok := levels[code]; ok && target <= level {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return err
	}
	now := s.now()
	_, err = q.ExecContext(ctx, `UPDATE objectives SET state = 'achieved', achieved_at = $1, updated_at = $1
		WHERE id IN (`+db.Placeholders(2, len(ids))+`) AND state IN ('agreed', 'in_progress')`, append([]any{now}, ids...)...)
	return err
}

// ExpireObjectives marks expired the agreed or started objectives whose due date has passed.
// It runs at start-up and from the command line; it returns how many expired.
func (s *Service) ExpireObjectives(ctx context.Context) (int, error) {
	if _, err := requireNational(ctx); err != nil {
		return 0, err
	}
	n := 0
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE objectives SET state = 'expired', expired_at = $1, updated_at = $1
			WHERE state IN ('agreed', 'in_progress') AND due_date < $2`, now, now.Format("2006-01-02"))
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		n = int(k)
		if n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Change{Action: "expire", Entity: "objectives", EntityID: now.Format("2006-01-02"), After: map[string]int{"expired": n}})
	})
	return n, err
}
