package assess

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// Group objectives: an organisation sets objectives for a team or unit (a group of its
// professionals); they appear in each member's dossier next to the individual ones, as the
// group dossier formativo of the ECM rules.

// Group is a team or unit of an organisation with its objectives.
type Group struct {
	ID             int64       `json:"id"`
	OrganisationID int64       `json:"organisation_id"`
	Organisation   string      `json:"organisation"`
	Name           string      `json:"name"`
	Description    string      `json:"description,omitempty"`
	Triennium      string      `json:"triennium"`
	Members        []Member    `json:"members"`
	Objectives     []Objective `json:"objectives"`
	CreatedAt      time.Time   `json:"created_at"`
}

// Member is a professional of a group.
type Member struct {
	ProfessionalID int64  `json:"professional_id"`
	Name           string `json:"name"`
}

// GroupInput creates a group.
type GroupInput struct {
	OrganisationID int64  `json:"organisation_id"`
	Name           string `json:"name"`
	Description    string `json:"description"`
}

// GroupObjectiveInput adds an objective to a group.
type GroupObjectiveInput struct {
	Line        string `json:"line"`
	TargetLevel int    `json:"target_level"`
	DueDate     string `json:"due_date"`
	Note        string `json:"note"`
}

// checkOrg lets the organisation's training office, the regional referent of its region and
// national governance manage its groups.
func (s *Service) checkOrg(ctx context.Context, orgID int64) (int64, error) {
	a, err := domain.Require(ctx, domain.RoleOrganisation, domain.RoleRegional, domain.RoleNational)
	if err != nil {
		return 0, err
	}
	reg, err := orgRegion(ctx, s.DB.Read, orgID)
	if err != nil {
		return 0, err
	}
	if !a.CanSeeIndividual(domain.Target{RegionID: reg, OrganisationID: orgID}) {
		return 0, domain.NotFound("organisation")
	}
	return reg, nil
}

// Groups lists the groups of an organisation for the triennium.
func (s *Service) Groups(ctx context.Context, orgID int64) ([]Group, error) {
	if _, err := s.checkOrg(ctx, orgID); err != nil {
		return nil, err
	}
	ids, err := db.Int64s(ctx, s.DB.Read, `SELECT g.id FROM objective_groups g WHERE g.organisation_id = $1 AND g.triennium = $2 ORDER BY g.name`,
		orgID, s.triennium().String())
	if err != nil {
		return nil, err
	}
	out := []Group{}
	for _, id := range ids {
		g, err := s.group(ctx, id, "it")
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func (s *Service) group(ctx context.Context, id int64, lang string) (Group, error) {
	var g Group
	err := s.DB.Read.QueryRowContext(ctx, `SELECT g.id, g.organisation_id, o.name, g.name, g.description, g.triennium, g.created_at
		FROM objective_groups g JOIN organisations o ON o.id = g.organisation_id WHERE g.id = $1`, id).
		Scan(&g.ID, &g.OrganisationID, &g.Organisation, &g.Name, &g.Description, &g.Triennium, &g.CreatedAt)
	if err == sql.ErrNoRows {
		return g, domain.NotFound("group")
	}
	if err != nil {
		return g, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT p.id, p.given_name, p.family_name FROM objective_group_members m JOIN professionals p ON p.id = m.professional_id
		WHERE m.group_id = $1 ORDER BY p.family_name, p.given_name, p.id`, id)
	if err != nil {
		return g, err
	}
	g.Members = []Member{}
	for rows.Next() {
		var m Member
		var gn, fn string
		if err := rows.Scan(&m.ProfessionalID, &gn, &fn); err != nil {
			rows.Close()
			return g, err
		}
		m.Name = gn + " " + fn
		g.Members = append(g.Members, m)
	}
	rows.Close()
	g.Objectives, err = s.objectiveRows(ctx, s.DB.Read, `o.group_id = $1`, []any{id}, lang, false)
	if g.Objectives == nil {
		g.Objectives = []Objective{}
	}
	return g, err
}

// Group returns one group with its members and objectives.
func (s *Service) Group(ctx context.Context, id int64, lang string) (Group, error) {
	g, err := s.group(ctx, id, lang)
	if err != nil {
		return g, err
	}
	if _, err := s.checkOrg(ctx, g.OrganisationID); err != nil {
		return Group{}, domain.NotFound("group")
	}
	return g, nil
}

// CreateGroup creates a team or unit of an organisation for the triennium.
func (s *Service) CreateGroup(ctx context.Context, in GroupInput) (Group, error) {
	reg, err := s.checkOrg(ctx, in.OrganisationID)
	if err != nil {
		return Group{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return Group{}, domain.Invalid("name", "a name of 1 to 200 characters is required")
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO objective_groups (organisation_id, name, description, triennium, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$5) RETURNING id`, in.OrganisationID, in.Name, strings.TrimSpace(in.Description), s.triennium().String(), now).Scan(&id); err != nil {
			if domain.ErrorCode(db.MapError(err)) == domain.ECONFLICT {
				return domain.Invalid("name", "the organisation already has a group with this name")
			}
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "objective_group", EntityID: id, RegionID: reg, After: in})
	})
	if err != nil {
		return Group{}, err
	}
	return s.group(ctx, id, "it")
}

// AddMember adds a professional of the organisation to a group.
func (s *Service) AddMember(ctx context.Context, groupID, profID int64) error {
	g, err := s.Group(ctx, groupID, "it")
	if err != nil {
		return err
	}
	p, err := s.professional(ctx, s.DB.Read, profID)
	if err != nil {
		return domain.Invalid("professional_id", "no such professional")
	}
	if p.OrganisationID != g.OrganisationID {
		return domain.Invalid("professional_id", "the professional does not belong to %s", g.Organisation)
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO objective_group_members (group_id, professional_id, added_at) VALUES ($1,$2,$3)
			ON CONFLICT (group_id, professional_id) DO NOTHING`, groupID, profID, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "add_member", Entity: "objective_group", EntityID: groupID, RegionID: p.RegionID,
			After: map[string]int64{"professional_id": profID}})
	})
}

// RemoveMember removes a professional from a group.
func (s *Service) RemoveMember(ctx context.Context, groupID, profID int64) error {
	if _, err := s.Group(ctx, groupID, "it"); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM objective_group_members WHERE group_id = $1 AND professional_id = $2`, groupID, profID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "remove_member", Entity: "objective_group", EntityID: groupID,
			Before: map[string]int64{"professional_id": profID}})
	})
}

// AddGroupObjective sets an objective for a group. It is agreed at once: the organisation
// that sets it is the one that agrees objectives.
func (s *Service) AddGroupObjective(ctx context.Context, groupID int64, in GroupObjectiveInput) (Objective, error) {
	g, err := s.Group(ctx, groupID, "it")
	if err != nil {
		return Objective{}, err
	}
	lineID, maxLevel, err := s.lineByCode(ctx, strings.TrimSpace(in.Line))
	if err != nil {
		return Objective{}, err
	}
	if in.TargetLevel < 1 || in.TargetLevel > maxLevel {
		return Objective{}, domain.Invalid("target_level", "the target must be on the scale, 1 to %d", maxLevel)
	}
	t := s.triennium()
	d, err := time.Parse("2006-01-02", strings.TrimSpace(in.DueDate))
	if err != nil || d.Year() < t.From || d.Year() > t.To {
		return Objective{}, domain.Invalid("due_date", "write a date in the triennium %s as YYYY-MM-DD", t)
	}
	var fwID int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT framework_id FROM framework_items WHERE id = $1`, lineID).Scan(&fwID); err != nil {
		return Objective{}, err
	}
	f, err := s.framework(ctx, fwID)
	if err != nil {
		return Objective{}, err
	}
	l := f.Line(lineID)
	o := Objective{GroupID: groupID, Triennium: t.String(), FrameworkID: fwID, LineID: lineID, LineCode: l.Code, TargetLevel: in.TargetLevel,
		DueDate: d.Format("2006-01-02"), Priority: len(g.Objectives) + 1, State: ObjAgreed, Source: ObjGroup}
	o.ECMObjective, o.ECMInferred, _ = l.ECMObjective()
	a := domain.ActorFrom(ctx)
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertObjectives(ctx, tx, []Objective{o}); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM objectives WHERE group_id = $1`, groupID).Scan(&id); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE objectives SET agreed_at = $1, agreed_by = $2, note = $3 WHERE id = $4`, now, a.Username, strings.TrimSpace(in.Note), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "objective", EntityID: id, After: map[string]any{"group_id": groupID, "line": l.Code,
			"target_level": in.TargetLevel, "due_date": o.DueDate}})
	})
	if err != nil {
		return Objective{}, err
	}
	return s.objective(ctx, s.DB.Read, id)
}
