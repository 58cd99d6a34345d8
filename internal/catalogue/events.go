package catalogue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Who may do what with an event. Providers own their events; reviewers are national
// governance (every event) and regional referents (events of providers whose seat is in
// their region); the system may do everything.

func isReviewer(a domain.Actor) bool {
	return a.Role == domain.RoleNational || a.Role == domain.RoleRegional || a.Role == domain.RoleSystem
}

func owns(a domain.Actor, providerID int64) bool {
	return a.Role == domain.RoleProvider && a.OrganisationID != 0 && a.OrganisationID == providerID
}

// reviews reports whether the actor reviews events of a provider seated in providerRegion.
func reviews(a domain.Actor, providerRegion int64) bool {
	switch a.Role {
	case domain.RoleSystem, domain.RoleNational:
		return true
	case domain.RoleRegional:
		return a.RegionID != 0 && a.RegionID == providerRegion
	}
	return false
}

// canSee reports whether the actor may read an event in its state: published events are
// public; the provider sees its own in every state; reviewers see the events they review
// once submitted; national governance and the system see everything.
func canSee(a domain.Actor, e Event) bool {
	if !a.Authenticated() {
		return false
	}
	if Published(e.State) || a.IsNationalOrSystem() || owns(a, e.ProviderID) {
		return true
	}
	return e.State != StateDraft && reviews(a, e.ProviderRegionID)
}

func permissions(a domain.Actor, e Event) Permissions {
	var p Permissions
	own := owns(a, e.ProviderID)
	p.Edit = (own && (e.State == StateDraft || e.State == StateRejected)) || (a.IsNationalOrSystem() && e.State != StateClosed)
	p.Submit = (own || a.Role == domain.RoleSystem) && (e.State == StateDraft || e.State == StateRejected)
	p.Review = e.State == StateSubmitted && reviews(a, e.ProviderRegionID)
	p.ReviewLines = e.State != StateDraft && reviews(a, e.ProviderRegionID)
	today := time.Now().UTC().Format(dateLayout)
	p.Start = (own || a.IsNationalOrSystem()) && e.State == StateAccredited && e.FirstStart <= today
	p.Close = (own || a.IsNationalOrSystem()) && (e.State == StateRunning || e.State == StateAccredited) && e.LastEnd < today
	return p
}

// nextSeq bumps the catalogue's change counter inside tx. The row lock serialises writers
// on PostgreSQL, so sequence numbers follow commit order and the search index never misses
// a change.
func nextSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `UPDATE catalogue_version SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq)
	return seq, err
}

// CreateEvent creates an event. Providers create drafts for themselves; national
// governance and the system name the provider and may load an event in a later state
// (accredited elsewhere). The declared credits may not exceed what the rules allow once the
// event leaves the draft state.
func (s *Service) CreateEvent(ctx context.Context, in EventInput) (EventView, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return EventView{}, err
	}
	pid := in.ProviderID
	if a.Role == domain.RoleProvider {
		if pid != 0 && pid != a.OrganisationID {
			return EventView{}, domain.Forbidden("a provider creates events only for itself")
		}
		pid = a.OrganisationID
		in.State = ""
	}
	if pid == 0 {
		return EventView{}, domain.Invalid("provider_id", "indica il provider dell'evento")
	}
	prov, err := s.provider(ctx, pid)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return EventView{}, domain.Invalid("provider_id", "provider sconosciuto: %d", pid)
		}
		return EventView{}, err
	}
	r, err := s.loadRefs(ctx)
	if err != nil {
		return EventView{}, err
	}
	state := in.State
	if state == "" {
		state = StateDraft
	}
	if !contains(States, state) {
		return EventView{}, domain.Invalid("state", "stato sconosciuto: %s", state)
	}
	p, ps := s.validate(ctx, r, in, prov, state != StateDraft)
	if err := ps.asError(); err != nil {
		return EventView{}, err
	}
	p.state = state
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		id, err = s.writeEvent(ctx, tx, 0, p, seq, a.Username)
		if err != nil {
			return err
		}
		if err := recordTransition(ctx, tx, id, "", state, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "event", EntityID: id, RegionID: prov.RegionID,
			After: summary(p)})
	})
	if err != nil {
		if domain.ErrorCode(err) == domain.ECONFLICT {
			return EventView{}, domain.Invalid("code", "il provider ha già un evento con codice %s", p.in.Code)
		}
		return EventView{}, err
	}
	s.noteChange()
	return s.GetEvent(ctx, id)
}

// UpdateEvent changes an event's content. The provider changes its own drafts and rejected
// events (a rejected event goes back to draft); national governance and the system may
// correct any event that is not closed. Another provider's event is refused.
func (s *Service) UpdateEvent(ctx context.Context, id int64, in EventInput) (EventView, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return EventView{}, err
	}
	cur, err := s.loadEvent(ctx, s.DB.Read, id)
	if err != nil {
		return EventView{}, err
	}
	if !canSee(a, cur) {
		return EventView{}, domain.NotFound("event")
	}
	if a.Role == domain.RoleProvider && !owns(a, cur.ProviderID) {
		return EventView{}, domain.Forbidden("un provider modifica solo i propri eventi")
	}
	if !permissions(a, cur).Edit {
		return EventView{}, domain.Forbidden("l'evento nello stato %s non può essere modificato da chi ha il ruolo %s", cur.State, a.Role)
	}
	prov, err := s.provider(ctx, cur.ProviderID)
	if err != nil {
		return EventView{}, err
	}
	r, err := s.loadRefs(ctx)
	if err != nil {
		return EventView{}, err
	}
	state := cur.State
	if state == StateRejected {
		state = StateDraft
	}
	p, ps := s.validate(ctx, r, in, prov, state != StateDraft)
	if err := ps.asError(); err != nil {
		return EventView{}, err
	}
	p.state = state
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := s.writeEvent(ctx, tx, id, p, seq, ""); err != nil {
			return err
		}
		if state != cur.State {
			if err := recordTransition(ctx, tx, id, cur.State, state, "modificato dopo il rifiuto"); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "event", EntityID: id, RegionID: prov.RegionID,
			Before: eventSummary(cur), After: summary(p)})
	})
	if err != nil {
		if domain.ErrorCode(err) == domain.ECONFLICT {
			return EventView{}, domain.Invalid("code", "il provider ha già un evento con codice %s", p.in.Code)
		}
		return EventView{}, err
	}
	s.noteChange()
	return s.GetEvent(ctx, id)
}

func summary(p prepared) map[string]any {
	return map[string]any{"provider_id": p.providerID, "code": p.in.Code, "title": p.in.Title, "type": p.in.Type,
		"subtype": p.in.SubType, "hours": p.in.Hours, "credits": p.credits, "computed": p.comp.Credits, "state": p.state,
		"editions": len(p.editions), "lines": len(p.lines)}
}

func eventSummary(e Event) map[string]any {
	return map[string]any{"provider_id": e.ProviderID, "code": e.Code, "title": e.Title, "type": e.Type,
		"subtype": e.SubType, "hours": e.Hours, "credits": e.Credits, "computed": e.ComputedCredits, "state": e.State,
		"editions": len(e.Editions), "lines": len(e.Lines)}
}

// writeEvent inserts (id 0) or updates the event row and replaces its editions (kept by
// number, so edition ids survive edits), audience and lines.
func (s *Service) writeEvent(ctx context.Context, tx *sql.Tx, id int64, p prepared, seq int64, by string) (int64, error) {
	in := p.in
	now := db.Now()
	modules := ""
	var mres, mfad, mfsc bool
	if in.Type == TypeBlended {
		b, _ := json.Marshal(p.modules)
		modules = string(b)
		for _, m := range p.modules {
			switch m.Type {
			case TypeRES:
				mres = true
			case TypeFAD:
				mfad = true
			case TypeFSC:
				mfsc = true
			}
		}
	}
	args := []any{p.providerID, in.Code, in.Title, in.Description, in.Type, in.SubType, in.FADMode, modules, mres, mfad, mfsc,
		in.Hours, in.InteractiveHours, in.Participants, in.FinalDocument, in.ExternalValidation, in.PermanentCommittee,
		in.ResearchMonths, in.ObjectiveCode, p.themeID, in.AudienceAll, p.costCents, p.credits, p.comp.Credits, p.comp.RuleSet,
		p.state, p.firstStart, p.lastEnd, p.searchTitle, p.searchBody, analyzerVersion, seq, now, p.hash}
	if id == 0 {
		err := tx.QueryRowContext(ctx, `INSERT INTO events (provider_id, code, title, description, type, subtype, fad_mode, modules_json,
			module_res, module_fad, module_fsc, hours, interactive_hours, participants, final_document, external_validation,
			permanent_committee, research_months, objective_code, theme_id, audience_all, cost_cents, credits, computed_credits,
			rule_set, state, first_start, last_end, search_title, search_body, analyzer, change_seq, updated_at, content_hash, created_at, created_by)
			VALUES (`+db.Placeholders(1, len(args))+`, $`+fmt.Sprint(len(args)+1)+`, $`+fmt.Sprint(len(args)+2)+`) RETURNING id`,
			append(args, now, by)...).Scan(&id)
		if err != nil {
			return 0, err
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE events SET provider_id = $1, code = $2, title = $3, description = $4, type = $5,
			subtype = $6, fad_mode = $7, modules_json = $8, module_res = $9, module_fad = $10, module_fsc = $11, hours = $12,
			interactive_hours = $13, participants = $14, final_document = $15, external_validation = $16, permanent_committee = $17,
			research_months = $18, objective_code = $19, theme_id = $20, audience_all = $21, cost_cents = $22, credits = $23,
			computed_credits = $24, rule_set = $25, state = $26, first_start = $27, last_end = $28, search_title = $29,
			search_body = $30, analyzer = $31, change_seq = $32, updated_at = $33, content_hash = $34,
			rejection_reason = CASE WHEN $26 = 'draft' THEN rejection_reason ELSE '' END
			WHERE id = $35`, append(args, id)...)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, domain.NotFound("event")
		}
	}
	// Editions by number.
	keep := map[int]bool{}
	for _, ed := range p.editions {
		keep[ed.Number] = true
		var region any
		if ed.RegionID != 0 {
			region = ed.RegionID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_editions (event_id, number, start_date, end_date, online, region_id, comune_istat, venue)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (event_id, number) DO UPDATE SET start_date = excluded.start_date, end_date = excluded.end_date,
				online = excluded.online, region_id = excluded.region_id, comune_istat = excluded.comune_istat, venue = excluded.venue`,
			id, ed.Number, ed.StartDate, ed.EndDate, ed.Online, region, ed.ComuneISTAT, ed.Venue); err != nil {
			return 0, err
		}
	}
	var stale []int
	if err := scanAll(ctx, tx, `SELECT number FROM event_editions WHERE event_id = $1`, func(rs *sql.Rows) error {
		var n int
		if err := rs.Scan(&n); err != nil {
			return err
		}
		if !keep[n] {
			stale = append(stale, n)
		}
		return nil
	}, id); err != nil {
		return 0, err
	}
	for _, n := range stale {
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_editions WHERE event_id = $1 AND number = $2`, id, n); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_audience WHERE event_id = $1`, id); err != nil {
		return 0, err
	}
	for _, au := range p.audience {
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_audience (event_id, profession_code, discipline_code) VALUES ($1, $2, $3)`,
			id, au.ProfessionCode, au.DisciplineCode); err != nil {
			return 0, err
		}
	}
	if err := writeLines(ctx, tx, id, p.lines); err != nil {
		return 0, err
	}
	return id, nil
}

func writeLines(ctx context.Context, tx *sql.Tx, id int64, lines []LineInput) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_lines WHERE event_id = $1`, id); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_lines (event_id, item_id, level, origin, score) VALUES ($1, $2, $3, $4, $5)`,
			id, l.LineID, l.Level, l.Origin, round(l.Score, 3)); err != nil {
			return err
		}
	}
	return nil
}

func recordTransition(ctx context.Context, tx *sql.Tx, id int64, from, to, reason string) error {
	a := domain.ActorFrom(ctx)
	var uid any
	if a.UserID != 0 {
		uid = a.UserID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO event_transitions (event_id, from_state, to_state, at, actor_user_id, actor_name, actor_role, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, from, to, db.Now(), uid, a.Username, string(a.Role), reason)
	return err
}

const eventColumns = `e.id, e.provider_id, o.code, o.name, o.region_id, e.code, e.title, e.description, e.type, e.subtype, e.fad_mode,
	e.modules_json, e.module_res, e.module_fad, e.module_fsc, e.hours, e.interactive_hours, e.participants, e.final_document,
	e.external_validation, e.permanent_committee, e.research_months, e.objective_code, t.code, t.name_it, e.audience_all,
	e.cost_cents, e.credits, e.computed_credits, e.rule_set, e.state, e.rejection_reason, e.lines_review, e.lines_reviewed_by,
	e.first_start, e.last_end, e.created_at, e.updated_at`

const eventFrom = ` FROM events e JOIN organisations o ON o.id = e.provider_id LEFT JOIN ecm_themes t ON t.id = e.theme_id `

func scanEvent(sc interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var reg sql.NullInt64
	var tcode, tname sql.NullString
	var modules string
	err := sc.Scan(&e.ID, &e.ProviderID, &e.ProviderCode, &e.ProviderName, &reg, &e.Code, &e.Title, &e.Description, &e.Type,
		&e.SubType, &e.FADMode, &modules, &e.ModuleRES, &e.ModuleFAD, &e.ModuleFSC, &e.Hours, &e.InteractiveHours, &e.Participants,
		&e.FinalDocument, &e.ExternalValid, &e.PermanentComm, &e.ResearchMonths, &e.ObjectiveCode, &tcode, &tname, &e.AudienceAll,
		&e.CostCents, &e.Credits, &e.ComputedCredits, &e.RuleSet, &e.State, &e.RejectionReason, &e.LinesReview, &e.LinesReviewedBy,
		&e.FirstStart, &e.LastEnd, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return e, err
	}
	e.ProviderRegionID = reg.Int64
	e.ThemeCode, e.Theme = tcode.String, tname.String
	if modules != "" {
		_ = json.Unmarshal([]byte(modules), &e.Modules)
	}
	e.SubTypeName = subTypeName(e.SubType)
	return e, nil
}

// loadEvent reads an event with its editions, audience and lines, without permission
// checks.
func (s *Service) loadEvent(ctx context.Context, q db.Querier, id int64) (Event, error) {
	e, err := scanEvent(q.QueryRowContext(ctx, `SELECT `+eventColumns+eventFrom+` WHERE e.id = $1`, id))
	if err == sql.ErrNoRows {
		return e, domain.NotFound("event")
	}
	if err != nil {
		return e, err
	}
	if err := scanAll(ctx, q, `SELECT d.id, d.number, d.start_date, d.end_date, d.online, d.region_id, r.name, d.comune_istat,
		COALESCE(c.name, ''), d.venue FROM event_editions d LEFT JOIN regions r ON r.id = d.region_id
		LEFT JOIN comuni c ON c.istat_code = d.comune_istat WHERE d.event_id = $1 ORDER BY d.number`, func(rs *sql.Rows) error {
		var ed Edition
		var reg sql.NullInt64
		var rname sql.NullString
		if err := rs.Scan(&ed.ID, &ed.Number, &ed.StartDate, &ed.EndDate, &ed.Online, &reg, &rname, &ed.ComuneISTAT, &ed.Comune, &ed.Venue); err != nil {
			return err
		}
		ed.RegionID, ed.Region = reg.Int64, rname.String
		e.Editions = append(e.Editions, ed)
		return nil
	}, id); err != nil {
		return e, err
	}
	if err := scanAll(ctx, q, `SELECT a.profession_code, a.discipline_code, p.name, COALESCE(d.name, '') FROM event_audience a
		JOIN professions p ON p.code = a.profession_code LEFT JOIN disciplines d ON d.code = a.discipline_code
		WHERE a.event_id = $1 ORDER BY a.profession_code, a.discipline_code`, func(rs *sql.Rows) error {
		var au Audience
		if err := rs.Scan(&au.ProfessionCode, &au.DisciplineCode, &au.Profession, &au.Discipline); err != nil {
			return err
		}
		e.Audience = append(e.Audience, au)
		return nil
	}, id); err != nil {
		return e, err
	}
	if err := scanAll(ctx, q, `SELECT l.item_id, i.code, i.title_it, i.title_en, l.level, l.origin, l.score FROM event_lines l
		JOIN framework_items i ON i.id = l.item_id WHERE l.event_id = $1 ORDER BY l.score DESC, i.code`, func(rs *sql.Rows) error {
		var el EventLine
		if err := rs.Scan(&el.LineID, &el.Code, &el.Title, &el.TitleEN, &el.Level, &el.Origin, &el.Score); err != nil {
			return err
		}
		e.Lines = append(e.Lines, el)
		return nil
	}, id); err != nil {
		return e, err
	}
	return e, nil
}

// GetEvent returns an event with its credit computation, history and the caller's
// permissions. Events the caller may not see are ENOTFOUND.
func (s *Service) GetEvent(ctx context.Context, id int64) (EventView, error) {
	a, err := domain.Require(ctx, domain.Roles...)
	if err != nil {
		return EventView{}, err
	}
	e, err := s.loadEvent(ctx, s.DB.Read, id)
	if err != nil {
		return EventView{}, err
	}
	if !canSee(a, e) {
		return EventView{}, domain.NotFound("event")
	}
	r, err := s.loadRefs(ctx)
	if err != nil {
		return EventView{}, err
	}
	e.Objective = r.objectives[e.ObjectiveCode]
	for i, l := range e.Lines {
		if lr, ok := r.lines[l.LineID]; ok {
			e.Lines[i].DimensionID, e.Lines[i].DimensionCode, e.Lines[i].Dimension = lr.DimID, lr.DimCode, lr.DimTitle
		}
	}
	v := EventView{Event: e, Illustrative: r.fw.Illustrative, Can: permissions(a, e)}
	v.Computation = Compute(s.ruleSet(e.RuleSet), e.CreditInput())
	v.Disagrees = CreditsDisagree(e.Credits, v.Computation.Credits)
	if err := scanAll(ctx, s.DB.Read, `SELECT from_state, to_state, at, actor_name, actor_role, reason FROM event_transitions
		WHERE event_id = $1 ORDER BY id`, func(rs *sql.Rows) error {
		var t Transition
		if err := rs.Scan(&t.From, &t.To, &t.At, &t.Actor, &t.Role, &t.Reason); err != nil {
			return err
		}
		v.Transitions = append(v.Transitions, t)
		return nil
	}, id); err != nil {
		return EventView{}, err
	}
	return v, nil
}

// ruleSet returns the embedded rule set of a version, or the current one.
func (s *Service) ruleSet(version string) RuleSet {
	all, _ := RuleSets()
	for _, rs := range all {
		if rs.Version == version {
			return rs
		}
	}
	return CurrentRuleSet()
}

// Transition actions.
const (
	ActSubmit   = "submit"
	ActAccredit = "accredit"
	ActReject   = "reject"
	ActStart    = "start"
	ActClose    = "close"
)

// Transition moves an event through its lifecycle: submit (provider), accredit or reject
// with a reason (reviewer in scope), start and close (provider or national governance,
// when the dates allow). Submitting checks the event again with the strict rules: declared
// credits above what the rules allow are refused.
func (s *Service) Transition(ctx context.Context, id int64, action, reason string) (EventView, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return EventView{}, err
	}
	e, err := s.loadEvent(ctx, s.DB.Read, id)
	if err != nil {
		return EventView{}, err
	}
	if !canSee(a, e) {
		return EventView{}, domain.NotFound("event")
	}
	perm := permissions(a, e)
	var to string
	switch action {
	case ActSubmit:
		if !perm.Submit {
			return EventView{}, refuse(a, e, action)
		}
		to = StateSubmitted
		// Check the stored event with the submission rules.
		prov, err := s.provider(ctx, e.ProviderID)
		if err != nil {
			return EventView{}, err
		}
		r, err := s.loadRefs(ctx)
		if err != nil {
			return EventView{}, err
		}
		if _, ps := s.validate(ctx, r, inputOf(e), prov, true); len(ps) > 0 {
			return EventView{}, ps.asError()
		}
	case ActAccredit, ActReject:
		if !perm.Review {
			return EventView{}, refuse(a, e, action)
		}
		to = StateAccredited
		if action == ActReject {
			to = StateRejected
			reason = strings.TrimSpace(reason)
			if reason == "" {
				return EventView{}, domain.Invalid("reason", "indica il motivo del rifiuto")
			}
		}
	case ActStart:
		if !perm.Start {
			return EventView{}, refuse(a, e, action)
		}
		to = StateRunning
	case ActClose:
		if !perm.Close {
			return EventView{}, refuse(a, e, action)
		}
		to = StateClosed
	default:
		return EventView{}, domain.Invalid("action", "azione sconosciuta: %s", action)
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		rr := ""
		if to == StateRejected {
			rr = reason
		}
		res, err := tx.ExecContext(ctx, `UPDATE events SET state = $1, rejection_reason = $2, change_seq = $3, updated_at = $4
			WHERE id = $5 AND state = $6`, to, rr, seq, db.Now(), id, e.State)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Errorf(domain.ECONFLICT, "l'evento è cambiato nel frattempo: ricarica la pagina")
		}
		if err := recordTransition(ctx, tx, id, e.State, to, reason); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: action, Entity: "event", EntityID: id, RegionID: e.ProviderRegionID,
			Before: map[string]any{"state": e.State}, After: map[string]any{"state": to, "reason": reason}})
	})
	if err != nil {
		return EventView{}, err
	}
	s.noteChange()
	return s.GetEvent(ctx, id)
}

func refuse(a domain.Actor, e Event, action string) error {
	if a.Role == domain.RoleProvider && !owns(a, e.ProviderID) {
		return domain.Forbidden("un provider gestisce solo i propri eventi")
	}
	return domain.Forbidden("azione %s non ammessa per l'evento nello stato %s con il ruolo %s", action, e.State, a.Role)
}

// inputOf turns a stored event back into an input (to check it again or to export it).
func inputOf(e Event) EventInput {
	in := EventInput{ProviderID: e.ProviderID, Code: e.Code, Title: e.Title, Description: e.Description, Type: e.Type,
		SubType: e.SubType, FADMode: e.FADMode, Modules: e.Modules, Hours: e.Hours, InteractiveHours: e.InteractiveHours,
		Participants: e.Participants, FinalDocument: e.FinalDocument, ExternalValidation: e.ExternalValid,
		PermanentCommittee: e.PermanentComm, ResearchMonths: e.ResearchMonths, ObjectiveCode: e.ObjectiveCode, Theme: e.ThemeCode,
		AudienceAll: e.AudienceAll, Cost: float64(e.CostCents) / 100, Credits: e.Credits, State: e.State}
	for _, a := range e.Audience {
		in.Audience = append(in.Audience, Audience{ProfessionCode: a.ProfessionCode, DisciplineCode: a.DisciplineCode})
	}
	for _, ed := range e.Editions {
		in.Editions = append(in.Editions, Edition{Number: ed.Number, StartDate: ed.StartDate, EndDate: ed.EndDate, Online: ed.Online,
			RegionID: ed.RegionID, ComuneISTAT: ed.ComuneISTAT, Venue: ed.Venue})
	}
	for _, l := range e.Lines {
		in.Lines = append(in.Lines, LineInput{LineID: l.LineID, Code: l.Code, Level: l.Level, Origin: l.Origin, Score: l.Score})
	}
	return in
}

// SetLines replaces the lines an event develops. The provider declares them on its drafts
// and rejected events; a reviewer in scope corrects them on a submitted or later event
// (the mapping is then marked corrected).
func (s *Service) SetLines(ctx context.Context, id int64, lines []LineInput) (EventView, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return EventView{}, err
	}
	e, err := s.loadEvent(ctx, s.DB.Read, id)
	if err != nil {
		return EventView{}, err
	}
	if !canSee(a, e) {
		return EventView{}, domain.NotFound("event")
	}
	perm := permissions(a, e)
	asReviewer := perm.ReviewLines && !owns(a, e.ProviderID)
	if !perm.Edit && !asReviewer {
		return EventView{}, refuse(a, e, "lines")
	}
	r, err := s.loadRefs(ctx)
	if err != nil {
		return EventView{}, err
	}
	in := inputOf(e)
	in.Lines = lines
	if asReviewer {
		for i := range in.Lines {
			in.Lines[i].Origin = OriginReviewer
		}
	}
	prov, err := s.provider(ctx, e.ProviderID)
	if err != nil {
		return EventView{}, err
	}
	p, ps := s.validate(ctx, r, in, prov, false)
	// Only line problems matter here: the rest of the event was valid when stored.
	var lp problems
	for _, pr := range ps {
		if strings.HasPrefix(pr.Field, "lines") {
			lp = append(lp, pr)
		}
	}
	if err := lp.asError(); err != nil {
		return EventView{}, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		if err := writeLines(ctx, tx, id, p.lines); err != nil {
			return err
		}
		review, by, at := LinesPending, "", any(nil)
		if asReviewer {
			review, by, at = LinesCorrected, a.Username, db.Now()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET lines_review = $1, lines_reviewed_by = $2, lines_reviewed_at = $3,
			change_seq = $4, updated_at = $5, content_hash = $6 WHERE id = $7`, review, by, at, seq, db.Now(), p.hash, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "lines", Entity: "event", EntityID: id, RegionID: e.ProviderRegionID,
			Before: e.Lines, After: p.lines})
	})
	if err != nil {
		return EventView{}, err
	}
	s.noteChange()
	return s.GetEvent(ctx, id)
}

// AcceptLines records that a reviewer in scope checked the event's line mapping and
// accepts it as declared.
func (s *Service) AcceptLines(ctx context.Context, id int64) (EventView, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return EventView{}, err
	}
	e, err := s.loadEvent(ctx, s.DB.Read, id)
	if err != nil {
		return EventView{}, err
	}
	if !canSee(a, e) {
		return EventView{}, domain.NotFound("event")
	}
	if !permissions(a, e).ReviewLines {
		return EventView{}, refuse(a, e, "accept lines")
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET lines_review = $1, lines_reviewed_by = $2, lines_reviewed_at = $3,
			change_seq = $4 WHERE id = $5`, LinesAccepted, a.Username, db.Now(), seq, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "accept_lines", Entity: "event", EntityID: id, RegionID: e.ProviderRegionID,
			After: map[string]any{"lines_review": LinesAccepted}})
	})
	if err != nil {
		return EventView{}, err
	}
	s.noteChange()
	return s.GetEvent(ctx, id)
}

// ListFilter narrows a list of events for the provider's and the reviewer's pages.
type ListFilter struct {
	ProviderID int64
	States     []string
	Limit      int
	Offset     int
}

// EventRow is one line of an event list.
type EventRow struct {
	ID           int64     `json:"id"`
	ProviderID   int64     `json:"provider_id"`
	ProviderName string    `json:"provider_name"`
	Code         string    `json:"code"`
	Title        string    `json:"title"`
	Type         string    `json:"type"`
	Credits      float64   `json:"credits"`
	Computed     float64   `json:"computed_credits"`
	State        string    `json:"state"`
	FirstStart   string    `json:"first_start"`
	LastEnd      string    `json:"last_end"`
	Lines        int       `json:"lines"`
	LinesReview  string    `json:"lines_review"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// ListEvents lists events in the caller's scope: a provider its own; a regional referent
// the events (not drafts) of providers in its region; national governance every event.
// Other roles have the search.
func (s *Service) ListEvents(ctx context.Context, f ListFilter) ([]EventRow, int, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return nil, 0, err
	}
	where := []string{"1=1"}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	switch a.Role {
	case domain.RoleProvider:
		where = append(where, "e.provider_id = "+arg(a.OrganisationID))
	case domain.RoleRegional:
		where = append(where, "o.region_id = "+arg(a.RegionID), "e.state <> 'draft'")
	}
	if f.ProviderID != 0 {
		where = append(where, "e.provider_id = "+arg(f.ProviderID))
	}
	if len(f.States) > 0 {
		var ph []string
		for _, st := range f.States {
			ph = append(ph, arg(st))
		}
		where = append(where, "e.state IN ("+strings.Join(ph, ", ")+")")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events e JOIN organisations o ON o.id = e.provider_id WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []EventRow
	err = scanAll(ctx, s.DB.Read, `SELECT e.id, e.provider_id, o.name, e.code, e.title, e.type, e.credits, e.computed_credits, e.state,
		e.first_start, e.last_end, (SELECT COUNT(*) FROM event_lines l WHERE l.event_id = e.id), e.lines_review, e.updated_at
		FROM events e JOIN organisations o ON o.id = e.provider_id WHERE `+cond+` ORDER BY e.updated_at DESC, e.id DESC
		LIMIT `+fmt.Sprint(limit)+` OFFSET `+fmt.Sprint(max(f.Offset, 0)), func(rs *sql.Rows) error {
		var r EventRow
		if err := rs.Scan(&r.ID, &r.ProviderID, &r.ProviderName, &r.Code, &r.Title, &r.Type, &r.Credits, &r.Computed, &r.State,
			&r.FirstStart, &r.LastEnd, &r.Lines, &r.LinesReview, &r.UpdatedAt); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, args...)
	return out, total, err
}

// ReviewQueue lists the submitted events the caller reviews, oldest first.
func (s *Service) ReviewQueue(ctx context.Context) ([]EventRow, int, error) {
	if _, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional); err != nil {
		return nil, 0, err
	}
	rows, n, err := s.ListEvents(ctx, ListFilter{States: []string{StateSubmitted}, Limit: 500})
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows, n, err
}
