package assess

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Achievement rules: besides reaching the target level (by re-assessment or by the evidence
// training writes), an objective is achieved when its organisation says so by rule: "an
// objective in line L is achieved by completing an event mapped to L", optionally only that
// event or only with at least N credits. Offices use them where a course is recognised as
// meeting the objective (a mandatory course, an internal programme) whatever level the
// evidence weights give a participant. A rule acts on completions recorded after it was
// created; retiring it keeps the objectives it achieved, with their reason.

// ObjectiveRule is one achievement rule of an organisation.
type ObjectiveRule struct {
	ID             int64      `json:"id"`
	OrganisationID int64      `json:"organisation_id"`
	Organisation   string     `json:"organisation"`
	LineCode       string     `json:"line_code,omitempty"`  // "" = any line the completed event is mapped to
	EventCode      string     `json:"event_code,omitempty"` // "" = any event mapped to the line
	MinCredits     float64    `json:"min_credits"`
	Note           string     `json:"note,omitempty"`
	Active         bool       `json:"active"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	RetiredAt      *time.Time `json:"retired_at,omitempty"`
	// Achieved is how many objectives the rule has achieved so far.
	Achieved int64 `json:"achieved"`
}

// ObjectiveRuleInput creates a rule.
type ObjectiveRuleInput struct {
	OrganisationID int64   `json:"organisation_id"`
	LineCode       string  `json:"line_code"`
	EventCode      string  `json:"event_code"`
	MinCredits     float64 `json:"min_credits"`
	Note           string  `json:"note"`
}

// RuleCompletion is a completed participation as the rules see it: who, which event, the
// lines the event is mapped to and the credits earned.
type RuleCompletion struct {
	ProfessionalID int64
	EventCode      string
	Lines          []string
	Credits        float64
}

const ruleCols = `r.id, r.organisation_id, o.name, r.line_code, r.event_code, r.min_credits, r.note, r.active, r.created_by, r.created_at, r.retired_at,
	(SELECT COUNT(*) FROM objectives x WHERE x.achieved_rule_id = r.id)`

func scanRule(row interface{ Scan(...any) error }) (ObjectiveRule, error) {
	var r ObjectiveRule
	var retired sql.NullTime
	err := row.Scan(&r.ID, &r.OrganisationID, &r.Organisation, &r.LineCode, &r.EventCode, &r.MinCredits, &r.Note, &r.Active, &r.CreatedBy, &r.CreatedAt, &retired, &r.Achieved)
	r.RetiredAt = nullTime(retired)
	return r, err
}

// ObjectiveRules lists an organisation's rules, active first (its office, its region's
// referent and national governance; anyone else: not found).
func (s *Service) ObjectiveRules(ctx context.Context, orgID int64) ([]ObjectiveRule, error) {
	if _, err := s.checkOrg(ctx, orgID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT `+ruleCols+` FROM objective_rules r JOIN organisations o ON o.id = r.organisation_id
		WHERE r.organisation_id = $1 ORDER BY r.active DESC, r.id DESC`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ObjectiveRule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ObjectiveRule returns one rule, if the caller may manage its organisation.
func (s *Service) ObjectiveRule(ctx context.Context, id int64) (ObjectiveRule, error) {
	r, err := scanRule(s.DB.Read.QueryRowContext(ctx, `SELECT `+ruleCols+` FROM objective_rules r JOIN organisations o ON o.id = r.organisation_id WHERE r.id = $1`, id))
	if err == sql.ErrNoRows {
		return r, domain.NotFound("rule")
	}
	if err != nil {
		return r, err
	}
	if _, err := s.checkOrg(ctx, r.OrganisationID); err != nil {
		return ObjectiveRule{}, domain.NotFound("rule")
	}
	return r, nil
}

// CreateObjectiveRule adds a rule to an organisation. The line must be in the portfolio
// and the event in the catalogue when given; a rule naming neither applies to every
// objective whose line the completed event is mapped to.
func (s *Service) CreateObjectiveRule(ctx context.Context, in ObjectiveRuleInput) (ObjectiveRule, error) {
	reg, err := s.checkOrg(ctx, in.OrganisationID)
	if err != nil {
		return ObjectiveRule{}, err
	}
	in.LineCode = strings.ToUpper(strings.TrimSpace(in.LineCode))
	in.EventCode = strings.TrimSpace(in.EventCode)
	in.Note = strings.TrimSpace(in.Note)
	var ps []domain.Problem
	if in.LineCode != "" {
		if _, _, err := s.lineByCode(ctx, in.LineCode); err != nil {
			ps = append(ps, domain.Problem{Field: "line_code", Reason: fmt.Sprintf("no line with code %q in the portfolio", in.LineCode), Value: in.LineCode})
		}
	}
	if in.EventCode != "" {
		var n int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE code = $1`, in.EventCode).Scan(&n); err != nil {
			return ObjectiveRule{}, err
		}
		if n == 0 {
			ps = append(ps, domain.Problem{Field: "event_code", Reason: fmt.Sprintf("no event with code %q in the catalogue", in.EventCode), Value: in.EventCode})
		}
	}
	if in.MinCredits < 0 || in.MinCredits > 100 || math.IsNaN(in.MinCredits) {
		ps = append(ps, domain.Problem{Field: "min_credits", Reason: "the minimum credits are between 0 and 100", Value: fmt.Sprint(in.MinCredits)})
	}
	if len(in.Note) > 500 {
		ps = append(ps, domain.Problem{Field: "note", Reason: "a note has at most 500 characters"})
	}
	if len(ps) > 0 {
		return ObjectiveRule{}, &domain.Error{Code: domain.EINVALID, Message: ps[0].Reason, Details: ps}
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO objective_rules (organisation_id, line_code, event_code, min_credits, note, active, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) RETURNING id`, in.OrganisationID, in.LineCode, in.EventCode, in.MinCredits, in.Note,
			domain.ActorFrom(ctx).Username, s.now()).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "objective_rule", EntityID: id, RegionID: reg, After: in})
	})
	if err != nil {
		return ObjectiveRule{}, err
	}
	return s.ObjectiveRule(ctx, id)
}

// RetireObjectiveRule stops a rule from achieving more objectives; those it achieved stay
// achieved, with the rule as their reason.
func (s *Service) RetireObjectiveRule(ctx context.Context, id int64) (ObjectiveRule, error) {
	r, err := s.ObjectiveRule(ctx, id)
	if err != nil {
		return r, err
	}
	if !r.Active {
		return r, nil
	}
	reg, err := s.checkOrg(ctx, r.OrganisationID)
	if err != nil {
		return r, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE objective_rules SET active = FALSE, retired_at = $1 WHERE id = $2`, s.now(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "retire", Entity: "objective_rule", EntityID: id, RegionID: reg, Before: r})
	})
	if err != nil {
		return r, err
	}
	return s.ObjectiveRule(ctx, id)
}

// AchieveByRules marks achieved, inside the caller's transaction (the participation's
// completion), the agreed or started objectives that an active rule of the professional's
// organisation says the completions meet. It returns how many objectives it achieved.
// Without any active rule it costs one query, so the bulk paths pay nothing for it.
func (s *Service) AchieveByRules(ctx context.Context, tx *sql.Tx, cs []RuleCompletion) (int, error) {
	if len(cs) == 0 {
		return 0, nil
	}
	var active int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM objective_rules WHERE active`).Scan(&active); err != nil || active == 0 {
		return 0, err
	}
	pg := s.DB.IsPostgres()
	byProf := map[int64][]RuleCompletion{}
	var profs []int64
	for _, c := range cs {
		if _, ok := byProf[c.ProfessionalID]; !ok {
			profs = append(profs, c.ProfessionalID)
		}
		byProf[c.ProfessionalID] = append(byProf[c.ProfessionalID], c)
	}
	type want struct {
		prof int64
		line string
	}
	reason := map[want]int64{} // the first rule that meets each (professional, line)
	var wants []want
	for i := 0; i < len(profs); i += 500 {
		part := profs[i:min(i+500, len(profs))]
		args := make([]any, len(part))
		for j, p := range part {
			args[j] = p
		}
		in := db.AnonymousPlaceholders(len(part))
		if pg {
			in = db.Placeholders(1, len(part))
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, r.id, r.line_code, r.event_code, r.min_credits FROM professionals p
			JOIN objective_rules r ON r.organisation_id = p.organisation_id AND r.active WHERE p.id IN (`+in+`) ORDER BY p.id, r.id`, args...)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var prof, rule int64
			var line, event string
			var minCr float64
			if err := rows.Scan(&prof, &rule, &line, &event, &minCr); err != nil {
				rows.Close()
				return 0, err
			}
			for _, c := range byProf[prof] {
				if (event != "" && event != c.EventCode) || c.Credits+1e-9 < minCr {
					continue
				}
				lines := c.Lines
				if line != "" {
					if !slices.Contains(c.Lines, line) {
						continue
					}
					lines = []string{line}
				}
				for _, l := range lines {
					k := want{prof, l}
					if _, ok := reason[k]; !ok {
						reason[k] = rule
						wants = append(wants, k)
					}
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if len(wants) == 0 {
		return 0, nil
	}
	// The objectives those pairs name, then one update per rule.
	byRule := map[int64][]any{}
	var order []int64
	for i := 0; i < len(wants); i += 400 {
		part := wants[i:min(i+400, len(wants))]
		var conds []string
		var args []any
		for _, w := range part {
			if pg {
				conds = append(conds, fmt.Sprintf("(professional_id = $%d AND line_code = $%d)", len(args)+1, len(args)+2))
			} else {
				conds = append(conds, "(professional_id = ? AND line_code = ?)")
			}
			args = append(args, w.prof, w.line)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, professional_id, line_code FROM objectives WHERE state IN ('agreed', 'in_progress') AND (`+strings.Join(conds, " OR ")+`)`, args...)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var id, prof int64
			var line string
			if err := rows.Scan(&id, &prof, &line); err != nil {
				rows.Close()
				return 0, err
			}
			r := reason[want{prof, line}]
			if _, ok := byRule[r]; !ok {
				order = append(order, r)
			}
			byRule[r] = append(byRule[r], id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	now := s.now()
	n := 0
	for _, r := range order {
		ids := byRule[r]
		for i := 0; i < len(ids); i += 500 {
			part := ids[i:min(i+500, len(ids))]
			res, err := tx.ExecContext(ctx, `UPDATE objectives SET state = 'achieved', achieved_at = $1, updated_at = $1, achieved_rule_id = $2
				WHERE id IN (`+db.Placeholders(3, len(part))+`) AND state IN ('agreed', 'in_progress')`, append([]any{now, r}, part...)...)
			if err != nil {
				return n, err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		if err := audit.Record(ctx, tx, audit.Change{Action: "achieve", Entity: "objective_rule", EntityID: r,
			After: map[string]any{"objectives": ids}}); err != nil {
			return n, err
		}
	}
	return n, nil
}
