package persona

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

const personaCols = `id, framework_id, code, name_it, name_en, description_it, description_en, roles_it, roles_en,
	illustrative, allow_lower, position, created_at, updated_at`

func scanPersona(sc interface{ Scan(...any) error }) (Persona, error) {
	var p Persona
	var rit, ren string
	err := sc.Scan(&p.ID, &p.FrameworkID, &p.Code, &p.NameIT, &p.NameEN, &p.DescriptionIT, &p.DescriptionEN, &rit, &ren,
		&p.Illustrative, &p.AllowLower, &p.Position, &p.CreatedAt, &p.UpdatedAt)
	p.ExampleRolesIT, p.ExampleRolesEN = splitLines(rit), splitLines(ren)
	return p, err
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func joinLines(ls []string) string {
	var out []string
	for _, l := range ls {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// ListPersonas returns the personas of a framework version (0 = the current one) in
// display order. Everyone authenticated may read them.
func (s *Service) ListPersonas(ctx context.Context, frameworkID int64) ([]Persona, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	f, err := s.resolveFramework(ctx, s.DB.Read, frameworkID)
	if err != nil {
		return nil, err
	}
	return s.listPersonas(ctx, s.DB.Read, f.ID)
}

func (s *Service) listPersonas(ctx context.Context, q db.Querier, frameworkID int64) ([]Persona, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+personaCols+` FROM personas WHERE framework_id = $1 ORDER BY position, code`, frameworkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Persona
	for rows.Next() {
		p, err := scanPersona(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// GetPersona returns a persona with its national targets in portfolio order.
func (s *Service) GetPersona(ctx context.Context, id int64) (Persona, error) {
	if _, err := requireReader(ctx); err != nil {
		return Persona{}, err
	}
	p, err := s.getPersona(ctx, s.DB.Read, id)
	if err != nil {
		return p, err
	}
	p.Targets, err = s.nationalTargets(ctx, s.DB.Read, id)
	return p, err
}

func (s *Service) getPersona(ctx context.Context, q db.Querier, id int64) (Persona, error) {
	p, err := scanPersona(q.QueryRowContext(ctx, `SELECT `+personaCols+` FROM personas WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.NotFound("persona")
	}
	return p, err
}

// nationalTargets returns the persona's targets ordered by the portfolio tree.
func (s *Service) nationalTargets(ctx context.Context, q db.Querier, personaID int64) ([]Target, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.line_id, i.code, t.required, COALESCE(t.min_level, 0), COALESCE(t.max_level, 0), t.allow_lower
		FROM persona_targets t JOIN framework_items i ON i.id = t.line_id
		JOIN framework_items a ON a.id = i.parent_id JOIN framework_items d ON d.id = a.parent_id
		WHERE t.persona_id = $1 ORDER BY d.position, d.id, a.position, a.id, i.position, i.id`, personaID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.LineID, &t.LineCode, &t.Required, &t.Min, &t.Max, &t.AllowLower); err != nil {
			return nil, err
		}
		t.Source = SourceNational
		out = append(out, t)
	}
	return out, rows.Err()
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

func (in *PersonaInput) normalise() {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.NameIT, in.NameEN = strings.TrimSpace(in.NameIT), strings.TrimSpace(in.NameEN)
	in.DescriptionIT, in.DescriptionEN = strings.TrimSpace(in.DescriptionIT), strings.TrimSpace(in.DescriptionEN)
}

func (in PersonaInput) validate() error {
	switch {
	case !codeRE.MatchString(in.Code):
		return domain.Invalid("code", "a code of 1-40 letters, digits, '.', '_' or '-' is required")
	case in.NameIT == "":
		return domain.Invalid("name_it", "the Italian name is required")
	case len(in.NameIT) > 200 || len(in.NameEN) > 200:
		return domain.Invalid("name_it", "names are at most 200 characters")
	case len(in.DescriptionIT) > 4000 || len(in.DescriptionEN) > 4000:
		return domain.Invalid("description_it", "descriptions are at most 4000 characters")
	}
	return nil
}

// writableFramework refuses changes to personas of a retired version.
func writableFramework(f Framework) error {
	if f.State == StateRetired {
		return &domain.Error{Code: domain.ECONFLICT, Field: "framework_id",
			Message: "framework version " + f.Code + " " + f.Version + " is retired: its personas can no longer change"}
	}
	return nil
}

// CreatePersona adds a persona to a framework version (0 = the current one). National
// governance only.
func (s *Service) CreatePersona(ctx context.Context, in PersonaInput) (Persona, error) {
	if _, err := requireNational(ctx); err != nil {
		return Persona{}, err
	}
	in.normalise()
	if err := in.validate(); err != nil {
		return Persona{}, err
	}
	var p Persona
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.resolveFramework(ctx, tx, in.FrameworkID)
		if err != nil {
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				return domain.Invalid("framework_id", "no such framework version")
			}
			return err
		}
		if err := writableFramework(f); err != nil {
			return err
		}
		id, err := s.insertPersona(ctx, tx, f.ID, in, false, 0)
		if err != nil {
			return err
		}
		p, err = s.getPersona(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "persona", EntityID: id, After: p})
	})
	if domain.ErrorCode(err) == domain.ECONFLICT && domain.AsError(err).Field == "" {
		return p, &domain.Error{Code: domain.ECONFLICT, Field: "code", Message: "a persona with code " + in.Code + " already exists in this version"}
	}
	return p, err
}

func (s *Service) insertPersona(ctx context.Context, tx *sql.Tx, frameworkID int64, in PersonaInput, illustrative bool, basedOn int64) (int64, error) {
	now := db.Now()
	var based any
	if basedOn != 0 {
		based = basedOn
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO personas (framework_id, code, name_it, name_en, description_it, description_en,
		roles_it, roles_en, illustrative, allow_lower, position, based_on_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
		frameworkID, in.Code, in.NameIT, in.NameEN, in.DescriptionIT, in.DescriptionEN, joinLines(in.ExampleRolesIT),
		joinLines(in.ExampleRolesEN), illustrative, in.AllowLower, in.Position, based, now).Scan(&id)
	return id, db.MapError(err)
}

// UpdatePersona changes a persona's code, names, description, example roles, position and
// allow_lower flag. National governance only.
func (s *Service) UpdatePersona(ctx context.Context, id int64, in PersonaInput) (Persona, error) {
	if _, err := requireNational(ctx); err != nil {
		return Persona{}, err
	}
	in.normalise()
	if err := in.validate(); err != nil {
		return Persona{}, err
	}
	var p Persona
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.getPersona(ctx, tx, id)
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
		if _, err := tx.ExecContext(ctx, `UPDATE personas SET code = $1, name_it = $2, name_en = $3, description_it = $4,
			description_en = $5, roles_it = $6, roles_en = $7, allow_lower = $8, position = $9, updated_at = $10 WHERE id = $11`,
			in.Code, in.NameIT, in.NameEN, in.DescriptionIT, in.DescriptionEN, joinLines(in.ExampleRolesIT), joinLines(in.ExampleRolesEN),
			in.AllowLower, in.Position, db.Now(), id); err != nil {
			if domain.ErrorCode(db.MapError(err)) == domain.ECONFLICT {
				return &domain.Error{Code: domain.ECONFLICT, Field: "code", Message: "a persona with code " + in.Code + " already exists in this version"}
			}
			return err
		}
		p, err = s.getPersona(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "persona", EntityID: id, Before: before, After: p})
	})
	return p, err
}

// DeletePersona removes a persona with its targets, overlays and rules. It is refused while
// professionals have it as their profile (re-assign them first). National governance only.
func (s *Service) DeletePersona(ctx context.Context, id int64) error {
	if _, err := requireNational(ctx); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.getPersona(ctx, tx, id)
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
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM profiles WHERE persona_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return domain.Errorf(domain.ECONFLICT, "%d professionals have persona %s: change the rules and re-assign them first", n, before.Code)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM personas WHERE id = $1`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "delete", Entity: "persona", EntityID: id, Before: before})
	})
}

// resolveTargets turns editor rows into targets on lines of tree, collecting every problem:
// unknown lines, lines of another version, items that are not lines, duplicates, levels off
// the scale, Min above Max. Nothing is written by the caller unless the list is empty.
func resolveTargets(tree *Tree, in []TargetInput, explain func(lineID int64) string) ([]Target, []domain.Problem) {
	var out []Target
	var probs []domain.Problem
	seen := map[int64]int{}
	for i, r := range in {
		row := i + 1
		var l *Line
		switch {
		case r.LineID != 0:
			l = tree.Line(r.LineID)
			if l == nil {
				reason := "line " + strconv.FormatInt(r.LineID, 10) + " does not exist in " + tree.Code + " " + tree.Version
				if explain != nil {
					if e := explain(r.LineID); e != "" {
						reason = e
					}
				}
				probs = append(probs, domain.Problem{Line: row, Field: "line_id", Reason: reason, Value: strconv.FormatInt(r.LineID, 10)})
				continue
			}
			if r.LineCode != "" && r.LineCode != l.Code {
				probs = append(probs, domain.Problem{Line: row, Field: "line_code", Reason: "line_code does not match line_id " + strconv.FormatInt(r.LineID, 10) + " (" + l.Code + ")", Value: r.LineCode})
				continue
			}
		case r.LineCode != "":
			l = tree.LineByCode(strings.TrimSpace(r.LineCode))
			if l == nil {
				probs = append(probs, domain.Problem{Line: row, Field: "line_code", Reason: "no line with this code in " + tree.Code + " " + tree.Version, Value: r.LineCode})
				continue
			}
		default:
			probs = append(probs, domain.Problem{Line: row, Field: "line_id", Reason: "line_id or line_code is required"})
			continue
		}
		if prev, dup := seen[l.ID]; dup {
			probs = append(probs, domain.Problem{Line: row, Field: "line_code", Reason: "line given twice (first at row " + strconv.Itoa(prev) + ")", Value: l.Code})
			continue
		}
		seen[l.ID] = row
		t := Target{LineID: l.ID, LineCode: l.Code, Required: r.Required, AllowLower: r.AllowLower, row: row}
		if r.Required {
			t.Min, t.Max = r.Min, r.Max
			if r.Level != 0 {
				if (r.Min != 0 && r.Min != r.Level) || (r.Max != 0 && r.Max != r.Level) {
					probs = append(probs, domain.Problem{Line: row, Field: "level", Reason: "give either level or min and max", Value: l.Code})
					continue
				}
				t.Min, t.Max = r.Level, r.Level
			} else if t.Max == 0 {
				t.Max = t.Min
			}
			if reason := validateLevels(tree.Framework, t); reason != "" {
				probs = append(probs, domain.Problem{Line: row, Field: "level", Reason: reason, Value: l.Code})
				continue
			}
		} else if r.Level != 0 || r.Min != 0 || r.Max != 0 {
			probs = append(probs, domain.Problem{Line: row, Field: "required", Reason: "a line that is not required has no level", Value: l.Code})
			continue
		}
		out = append(out, t)
	}
	return out, probs
}

// explainStray returns a function saying why an item id is not a line of tree: it is a
// dimension or area, or it belongs to another framework version.
func (s *Service) explainStray(ctx context.Context, q db.Querier, tree *Tree) func(int64) string {
	return func(id int64) string {
		var fid int64
		var code, version, kind string
		err := q.QueryRowContext(ctx, `SELECT f.id, f.code, f.version, i.kind FROM framework_items i JOIN framework_versions f ON f.id = i.framework_id
			WHERE i.id = $1`, id).Scan(&fid, &code, &version, &kind)
		if err != nil {
			return ""
		}
		n := strconv.FormatInt(id, 10)
		if fid == tree.ID {
			return "item " + n + " is a " + kind + ", not a line"
		}
		return "line " + n + " belongs to framework version " + code + " " + version + ", not to " + tree.Code + " " + tree.Version
	}
}

func problemsError(msg string, probs []domain.Problem) error {
	return &domain.Error{Code: domain.EINVALID, Message: msg + ": " + strconv.Itoa(len(probs)) + " problem(s), nothing was saved", Details: probs}
}

// SetTargets replaces a persona's national targets with in, all or nothing: every line
// must be a line of the persona's framework version and every level on its scale.
// National governance only. Lines not listed have no target (not required).
func (s *Service) SetTargets(ctx context.Context, personaID int64, in []TargetInput) ([]Target, error) {
	if _, err := requireNational(ctx); err != nil {
		return nil, err
	}
	var out []Target
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err := s.getPersona(ctx, tx, personaID)
		if err != nil {
			return err
		}
		tree, err := s.tree(ctx, tx, p.FrameworkID)
		if err != nil {
			return err
		}
		if err := writableFramework(tree.Framework); err != nil {
			return err
		}
		ts, probs := resolveTargets(tree, in, s.explainStray(ctx, tx, tree))
		if len(probs) > 0 {
			return problemsError("targets refused", probs)
		}
		before, err := s.nationalTargets(ctx, tx, personaID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM persona_targets WHERE persona_id = $1`, personaID); err != nil {
			return err
		}
		if err := insertTargets(ctx, tx, personaID, ts); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE personas SET updated_at = $1 WHERE id = $2`, db.Now(), personaID); err != nil {
			return err
		}
		out, err = s.nationalTargets(ctx, tx, personaID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "set_targets", Entity: "persona", EntityID: personaID,
			Before: compactTargets(before), After: compactTargets(out)})
	})
	return out, err
}

func insertTargets(ctx context.Context, tx *sql.Tx, personaID int64, ts []Target) error {
	const per = 200
	for start := 0; start < len(ts); start += per {
		end := min(start+per, len(ts))
		var b strings.Builder
		b.WriteString(`INSERT INTO persona_targets (persona_id, line_id, required, min_level, max_level, allow_lower) VALUES `)
		args := make([]any, 0, (end-start)*6)
		for i, t := range ts[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + db.Placeholders(i*6+1, 6) + ")")
			args = append(args, personaID, t.LineID, t.Required, levelArg(t, t.Min), levelArg(t, t.Max), t.AllowLower)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func levelArg(t Target, v int) any {
	if !t.Required {
		return nil
	}
	return v
}

// compactTargets renders targets as "code=label" for the audit trail.
func compactTargets(ts []Target) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		v := t.Label()
		if t.AllowLower {
			v += " (allow_lower)"
		}
		m[t.LineCode] = v
	}
	return m
}
