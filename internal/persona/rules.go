package persona

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/textnorm"
)

// Rule assigns a persona to the professionals it matches. Empty criteria (0 or "") match
// anything. Rules are tried in order: explicit Priority first (higher wins), then
// specificity, then the older rule. The first matching rule decides. Specificity counts a discipline as
// 3 (it implies the profession and says more than a setting), a profession, a care setting
// and a role as 1 each.
type Rule struct {
	ID             int64     `json:"id"`
	FrameworkID    int64     `json:"framework_id"`
	PersonaID      int64     `json:"persona_id"`
	PersonaCode    string    `json:"persona_code"`
	PersonaNameIT  string    `json:"persona_name_it"`
	PersonaNameEN  string    `json:"persona_name_en"`
	ProfessionCode int       `json:"profession_code,omitempty"`
	DisciplineCode int       `json:"discipline_code,omitempty"`
	ProfessionName string    `json:"profession_name,omitempty"`
	DisciplineName string    `json:"discipline_name,omitempty"`
	CareSetting    string    `json:"care_setting,omitempty"`
	JobRole        string    `json:"job_role,omitempty"`
	Priority       int       `json:"priority"`
	Note           string    `json:"note,omitempty"`
	Specificity    int       `json:"specificity"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`

	careFold string // folded care setting, compared for equality
	roleFold string // " " + folded role + " ", looked for as a word sequence
}

// PersonaName returns the rule's persona name in lang.
func (r Rule) PersonaName(lang string) string {
	if lang == "en" && r.PersonaNameEN != "" {
		return r.PersonaNameEN
	}
	return r.PersonaNameIT
}

// RuleInput creates or changes a rule. The persona is given by id or by code (within the
// framework version, 0 = current).
type RuleInput struct {
	FrameworkID    int64  `json:"framework_id,omitempty"`
	PersonaID      int64  `json:"persona_id,omitempty"`
	PersonaCode    string `json:"persona_code,omitempty"`
	ProfessionCode int    `json:"profession_code,omitempty"`
	DisciplineCode int    `json:"discipline_code,omitempty"`
	CareSetting    string `json:"care_setting,omitempty"`
	JobRole        string `json:"job_role,omitempty"`
	Priority       int    `json:"priority"`
	Note           string `json:"note,omitempty"`
}

// Pair is one profession and discipline of a professional (Co.Ge.A.P.S. codes).
type Pair struct {
	Profession int `json:"profession_code"`
	Discipline int `json:"discipline_code,omitempty"`
}

// Attributes are what the rules look at: the professional's profession/discipline pairs,
// care setting and role.
type Attributes struct {
	ProfessionalID int64  `json:"professional_id,omitempty"`
	Pairs          []Pair `json:"disciplines"`
	CareSetting    string `json:"care_setting"`
	JobRole        string `json:"job_role"`
	RegionID       int64  `json:"region_id,omitempty"`
	OrganisationID int64  `json:"organisation_id,omitempty"`
}

func specificity(r Rule) int {
	n := 0
	if r.DisciplineCode != 0 {
		n += 3 // a discipline is the most specific attribute, and implies its profession
	} else if r.ProfessionCode != 0 {
		n++
	}
	if r.CareSetting != "" {
		n++
	}
	if r.JobRole != "" {
		n++
	}
	return n
}

// prepare folds a rule's text criteria and computes its specificity.
func prepare(r *Rule) {
	r.careFold = textnorm.Fold(r.CareSetting)
	r.roleFold = ""
	if f := textnorm.Fold(r.JobRole); f != "" {
		r.roleFold = " " + f + " "
	}
	r.Specificity = specificity(*r)
}

// SortRules puts rules in evaluation order: priority, then specificity, then id.
func SortRules(rs []Rule) {
	for i := range rs {
		prepare(&rs[i])
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		if a.Specificity != b.Specificity {
			return a.Specificity > b.Specificity
		}
		return a.ID < b.ID
	})
}

// pairsMatch reports whether some pair satisfies the rule's profession and discipline.
func (r *Rule) pairsMatch(pairs []Pair) bool {
	if r.ProfessionCode == 0 && r.DisciplineCode == 0 {
		return true
	}
	for _, p := range pairs {
		if (r.ProfessionCode == 0 || p.Profession == r.ProfessionCode) && (r.DisciplineCode == 0 || p.Discipline == r.DisciplineCode) {
			return true
		}
	}
	return false
}

// matches is the hot path of re-assignment: care is the folded care setting, role the
// folded role padded with spaces.
func (r *Rule) matches(pairs []Pair, care, role string) bool {
	if r.careFold != "" && r.careFold != care {
		return false
	}
	if r.roleFold != "" && !strings.Contains(role, r.roleFold) {
		return false
	}
	return r.pairsMatch(pairs)
}

// Criterion names used in explanations.
const (
	CritProfession = "profession"
	CritDiscipline = "discipline"
	CritSetting    = "care_setting"
	CritRole       = "job_role"
)

// RuleCheck is one rule as the tester saw it: matched or not, and which criteria failed.
type RuleCheck struct {
	Rule    Rule     `json:"rule"`
	Order   int      `json:"order"`
	Matched bool     `json:"matched"`
	Failed  []string `json:"failed,omitempty"`
	Winner  bool     `json:"winner"`
}

// Evaluate returns the index of the first rule (in evaluation order, see SortRules) that
// matches a, or -1. It is a pure function.
func Evaluate(rules []Rule, a Attributes) int {
	care, role := foldAttrs(a)
	for i := range rules {
		if rules[i].matches(a.Pairs, care, role) {
			return i
		}
	}
	return -1
}

func foldAttrs(a Attributes) (string, string) {
	role := textnorm.Fold(a.JobRole)
	if role != "" {
		role = " " + role + " "
	}
	return textnorm.Fold(a.CareSetting), role
}

// Explain checks every rule against a and says, for each, whether it matched and which
// criteria failed; the first match is the winner. It is a pure function.
func Explain(rules []Rule, a Attributes) []RuleCheck {
	care, role := foldAttrs(a)
	out := make([]RuleCheck, len(rules))
	won := false
	for i, r := range rules {
		c := RuleCheck{Rule: r, Order: i + 1}
		if r.ProfessionCode != 0 || r.DisciplineCode != 0 {
			if !r.pairsMatch(a.Pairs) {
				profOK := r.ProfessionCode == 0
				for _, p := range a.Pairs {
					if p.Profession == r.ProfessionCode {
						profOK = true
					}
				}
				if !profOK {
					c.Failed = append(c.Failed, CritProfession)
				}
				if r.DisciplineCode != 0 {
					c.Failed = append(c.Failed, CritDiscipline)
				}
			}
		}
		if r.careFold != "" && r.careFold != care {
			c.Failed = append(c.Failed, CritSetting)
		}
		if r.roleFold != "" && !strings.Contains(role, r.roleFold) {
			c.Failed = append(c.Failed, CritRole)
		}
		c.Matched = len(c.Failed) == 0
		if c.Matched && !won {
			c.Winner, won = true, true
		}
		out[i] = c
	}
	return out
}

const ruleCols = `r.id, r.framework_id, r.persona_id, p.code, p.name_it, p.name_en, COALESCE(r.profession_code, 0),
	COALESCE(r.discipline_code, 0), COALESCE(pr.name, ''), COALESCE(di.name, ''), r.care_setting, r.job_role, r.priority, r.note,
	r.created_at, r.updated_at`

// ruleFrom joins a rule with its persona and the names of its reference codes (when the
// registry has loaded them).
const ruleFrom = ` FROM assignment_rules r JOIN personas p ON p.id = r.persona_id
	LEFT JOIN professions pr ON pr.code = r.profession_code LEFT JOIN disciplines di ON di.code = r.discipline_code`

func scanRule(sc interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	err := sc.Scan(&r.ID, &r.FrameworkID, &r.PersonaID, &r.PersonaCode, &r.PersonaNameIT, &r.PersonaNameEN, &r.ProfessionCode,
		&r.DisciplineCode, &r.ProfessionName, &r.DisciplineName, &r.CareSetting, &r.JobRole, &r.Priority, &r.Note, &r.CreatedAt, &r.UpdatedAt)
	prepare(&r)
	return r, err
}

// Rules returns the rules of a framework version (0 = current) in evaluation order.
// Everyone authenticated may read them.
func (s *Service) Rules(ctx context.Context, frameworkID int64) ([]Rule, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	f, err := s.resolveFramework(ctx, s.DB.Read, frameworkID)
	if err != nil {
		return nil, err
	}
	return s.rules(ctx, s.DB.Read, f.ID)
}

func (s *Service) rules(ctx context.Context, q db.Querier, frameworkID int64) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ruleCols+ruleFrom+` WHERE r.framework_id = $1`, frameworkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	SortRules(out)
	return out, nil
}

// Rule returns one rule.
func (s *Service) Rule(ctx context.Context, id int64) (Rule, error) {
	if _, err := requireReader(ctx); err != nil {
		return Rule{}, err
	}
	return s.rule(ctx, s.DB.Read, id)
}

func (s *Service) rule(ctx context.Context, q db.Querier, id int64) (Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleCols+ruleFrom+` WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.NotFound("rule")
	}
	return r, err
}

// checkRule validates a rule input inside tx and returns the framework and persona ids.
func (s *Service) checkRule(ctx context.Context, tx *sql.Tx, in *RuleInput) (Framework, int64, error) {
	in.CareSetting, in.JobRole, in.Note = strings.TrimSpace(in.CareSetting), strings.TrimSpace(in.JobRole), strings.TrimSpace(in.Note)
	in.PersonaCode = strings.ToUpper(strings.TrimSpace(in.PersonaCode))
	switch {
	case len(in.CareSetting) > 100:
		return Framework{}, 0, domain.Invalid("care_setting", "at most 100 characters")
	case len(in.JobRole) > 200:
		return Framework{}, 0, domain.Invalid("job_role", "at most 200 characters")
	case len(in.Note) > 2000:
		return Framework{}, 0, domain.Invalid("note", "at most 2000 characters")
	case in.Priority < -1000 || in.Priority > 1000:
		return Framework{}, 0, domain.Invalid("priority", "priority must be between -1000 and 1000")
	case in.ProfessionCode < 0 || in.DisciplineCode < 0:
		return Framework{}, 0, domain.Invalid("profession_code", "codes are positive numbers")
	}
	var f Framework
	var personaID int64
	var err error
	if in.PersonaID != 0 {
		var p Persona
		p, err = s.getPersona(ctx, tx, in.PersonaID)
		if err != nil {
			return f, 0, domain.Invalid("persona_id", "no such persona")
		}
		if in.FrameworkID != 0 && in.FrameworkID != p.FrameworkID {
			return f, 0, domain.Invalid("persona_id", "the persona belongs to another framework version")
		}
		f, err = s.framework(ctx, tx, p.FrameworkID)
		personaID = p.ID
	} else {
		f, err = s.resolveFramework(ctx, tx, in.FrameworkID)
		if err != nil {
			return f, 0, domain.Invalid("framework_id", "no such framework version")
		}
		if in.PersonaCode == "" {
			return f, 0, domain.Invalid("persona_id", "a persona is required")
		}
		err = tx.QueryRowContext(ctx, `SELECT id FROM personas WHERE framework_id = $1 AND code = $2`, f.ID, in.PersonaCode).Scan(&personaID)
		if errors.Is(err, sql.ErrNoRows) {
			return f, 0, domain.Invalid("persona_code", "%s", "no persona "+in.PersonaCode+" in "+f.Code+" "+f.Version)
		}
	}
	if err != nil {
		return f, 0, err
	}
	if err := writableFramework(f); err != nil {
		return f, 0, err
	}
	// Codes are checked against the registry's reference tables once they are loaded.
	if in.ProfessionCode != 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM professions WHERE code = $1`, in.ProfessionCode).Scan(&n); err != nil {
			return f, 0, err
		}
		if n == 0 && !tableEmpty(ctx, tx, "professions") {
			return f, 0, domain.Invalid("profession_code", "%s", "unknown profession code "+strconv.Itoa(in.ProfessionCode))
		}
	}
	if in.DisciplineCode != 0 {
		var prof int
		err := tx.QueryRowContext(ctx, `SELECT profession_code FROM disciplines WHERE code = $1`, in.DisciplineCode).Scan(&prof)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if !tableEmpty(ctx, tx, "disciplines") {
				return f, 0, domain.Invalid("discipline_code", "%s", "unknown discipline code "+strconv.Itoa(in.DisciplineCode))
			}
		case err != nil:
			return f, 0, err
		case in.ProfessionCode != 0 && prof != in.ProfessionCode:
			return f, 0, domain.Invalid("discipline_code", "%s", "discipline "+strconv.Itoa(in.DisciplineCode)+" belongs to profession "+strconv.Itoa(prof)+", not "+strconv.Itoa(in.ProfessionCode))
		}
	}
	return f, personaID, nil
}

// tableEmpty reports whether a reference table has no rows yet (the registry has not loaded
// it), in which case codes cannot be checked.
func tableEmpty(ctx context.Context, tx *sql.Tx, table string) bool {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` LIMIT 1`).Scan(&one)
	return errors.Is(err, sql.ErrNoRows)
}

// duplicateRule refuses a second rule with the same criteria and priority: the tie would be
// decided by age alone, which nobody reading the rules would expect.
func duplicateRule(ctx context.Context, tx *sql.Tx, fid int64, in RuleInput, except int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(profession_code, 0), COALESCE(discipline_code, 0), care_setting, job_role
		FROM assignment_rules WHERE framework_id = $1 AND priority = $2 AND id <> $3`, fid, in.Priority, except)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p, d int
		var c, r string
		if err := rows.Scan(&id, &p, &d, &c, &r); err != nil {
			return err
		}
		if p == in.ProfessionCode && d == in.DisciplineCode && textnorm.Fold(c) == textnorm.Fold(in.CareSetting) && textnorm.Fold(r) == textnorm.Fold(in.JobRole) {
			return &domain.Error{Code: domain.ECONFLICT, Field: "priority",
				Message: "rule " + strconv.FormatInt(id, 10) + " already has the same criteria and priority: change the priority to say which wins"}
		}
	}
	return rows.Err()
}

func nullInt(v int) any {
	if v == 0 {
		return nil
	}
	return v
}

// CreateRule adds an assignment rule. National governance only. With AutoReassign, a
// background re-assignment starts; its job id is returned (0 if none).
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (Rule, int64, error) {
	if _, err := requireNational(ctx); err != nil {
		return Rule{}, 0, err
	}
	var r Rule
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, pid, err := s.checkRule(ctx, tx, &in)
		if err != nil {
			return err
		}
		if err := duplicateRule(ctx, tx, f.ID, in, 0); err != nil {
			return err
		}
		id, err := insertRule(ctx, tx, f.ID, pid, in)
		if err != nil {
			return err
		}
		if r, err = s.rule(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "assignment_rule", EntityID: id, After: r})
	})
	if err != nil {
		return r, 0, err
	}
	return r, s.autoReassign(ctx, r.FrameworkID), nil
}

func insertRule(ctx context.Context, tx *sql.Tx, fid, pid int64, in RuleInput) (int64, error) {
	now := db.Now()
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO assignment_rules (framework_id, persona_id, profession_code, discipline_code, care_setting,
		job_role, priority, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		fid, pid, nullInt(in.ProfessionCode), nullInt(in.DisciplineCode), in.CareSetting, in.JobRole, in.Priority, in.Note, now).Scan(&id)
	return id, err
}

// UpdateRule changes a rule (its framework version stays). National governance only.
func (s *Service) UpdateRule(ctx context.Context, id int64, in RuleInput) (Rule, int64, error) {
	if _, err := requireNational(ctx); err != nil {
		return Rule{}, 0, err
	}
	var r Rule
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.rule(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.FrameworkID == 0 {
			in.FrameworkID = before.FrameworkID
		}
		if in.FrameworkID != before.FrameworkID {
			return domain.Invalid("framework_id", "a rule cannot move to another framework version")
		}
		f, pid, err := s.checkRule(ctx, tx, &in)
		if err != nil {
			return err
		}
		if err := duplicateRule(ctx, tx, f.ID, in, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assignment_rules SET persona_id = $1, profession_code = $2, discipline_code = $3,
			care_setting = $4, job_role = $5, priority = $6, note = $7, updated_at = $8 WHERE id = $9`,
			pid, nullInt(in.ProfessionCode), nullInt(in.DisciplineCode), in.CareSetting, in.JobRole, in.Priority, in.Note, db.Now(), id); err != nil {
			return err
		}
		if r, err = s.rule(ctx, tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "assignment_rule", EntityID: id, Before: before, After: r})
	})
	if err != nil {
		return r, 0, err
	}
	return r, s.autoReassign(ctx, r.FrameworkID), nil
}

// DeleteRule removes a rule. National governance only.
func (s *Service) DeleteRule(ctx context.Context, id int64) (int64, error) {
	if _, err := requireNational(ctx); err != nil {
		return 0, err
	}
	var fid int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.rule(ctx, tx, id)
		if err != nil {
			return err
		}
		f, err := s.framework(ctx, tx, before.FrameworkID)
		if err != nil {
			return err
		}
		if err := writableFramework(f); err != nil {
			return err
		}
		fid = f.ID
		if _, err := tx.ExecContext(ctx, `DELETE FROM assignment_rules WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "delete", Entity: "assignment_rule", EntityID: id, Before: before})
	})
	if err != nil {
		return 0, err
	}
	return s.autoReassign(ctx, fid), nil
}

// autoReassign starts a background re-assignment after a rule change when configured;
// failing to start it is logged, not returned: the rule change itself succeeded.
func (s *Service) autoReassign(ctx context.Context, frameworkID int64) int64 {
	if !s.AutoReassign || s.Jobs == nil {
		return 0
	}
	id, err := s.StartReassign(ctx, frameworkID)
	if err != nil {
		s.Log.Error("start re-assignment", "framework", frameworkID, "err", err)
		return 0
	}
	return id
}
