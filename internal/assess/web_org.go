package assess

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"esd/internal/domain"
	"esd/internal/web"
)

func parseDate(s string) (time.Time, error) { return time.Parse("2006-01-02", strings.TrimSpace(s)) }

// orgOf picks the organisation a staff page is about: the ?org= (or form org) value, else the
// caller's own for an organisation user, else the first the caller may see.
func (m Module) orgOf(c *web.Ctx, orgs []OrgRef) int64 {
	if v := formInt64(c, "org"); v != 0 {
		return v // the service refuses an organisation out of scope
	}
	if c.Actor.Role == domain.RoleOrganisation {
		return c.Actor.OrganisationID
	}
	if len(orgs) > 0 {
		return orgs[0].ID
	}
	return 0
}

type staffData struct {
	Orgs     []OrgRef
	OrgID    int64
	O        *Overview
	CanLevel bool
	Saved    bool
}

func (m Module) staffPage(c *web.Ctx) error {
	orgs, err := m.S.Organisations(c.Context())
	if err != nil {
		return err
	}
	d := staffData{Orgs: orgs, Saved: c.R.URL.Query().Get("saved") == "1"}
	d.OrgID = m.orgOf(c, orgs)
	if d.OrgID != 0 {
		o, err := m.S.Overview(c.Context(), d.OrgID, c.QueryInt("page", 1))
		if err != nil {
			return err
		}
		d.O = &o
		d.CanLevel = o.Policy.ShowLevels || c.Actor.Role == domain.RoleNational
	}
	return c.Render("assess_staff", c.T("assess.staff.title"), d)
}

func (m Module) policyPost(c *web.Ctx) error {
	org := formInt64(c, "org")
	if org == 0 && c.Actor.Role == domain.RoleOrganisation {
		org = c.Actor.OrganisationID
	}
	if _, err := m.S.SetPolicy(c.Context(), org, 0, c.R.FormValue("show_levels") == "1"); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/staff?org=%d&saved=1", org))
}

type groupsData struct {
	Orgs   []OrgRef
	OrgID  int64
	Groups []Group
	Form   GroupInput
}

func (m Module) renderGroups(c *web.Ctx, orgID int64, form GroupInput, formErr error) error {
	formErr = Localize(formErr, c.T)
	orgs, err := m.S.Organisations(c.Context())
	if err != nil {
		return err
	}
	d := groupsData{Orgs: orgs, OrgID: orgID, Form: form}
	if d.OrgID == 0 {
		d.OrgID = m.orgOf(c, orgs)
	}
	if d.OrgID != 0 {
		if d.Groups, err = m.S.Groups(c.Context(), d.OrgID); err != nil {
			return err
		}
	}
	return c.RenderForm("assess_groups", c.T("assess.groups.title"), d, formErr)
}

func (m Module) groupsPage(c *web.Ctx) error { return m.renderGroups(c, 0, GroupInput{}, nil) }

func (m Module) groupsPost(c *web.Ctx) error {
	in := GroupInput{OrganisationID: formInt64(c, "org"), Name: c.R.FormValue("name"), Description: c.R.FormValue("description")}
	if in.OrganisationID == 0 && c.Actor.Role == domain.RoleOrganisation {
		in.OrganisationID = c.Actor.OrganisationID
	}
	g, err := m.S.CreateGroup(c.Context(), in)
	if err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return m.renderGroups(c, in.OrganisationID, in, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/groups/%d", g.ID))
}

type groupData struct {
	G      Group
	Lines  []*Node
	Levels []int
	Form   GroupObjectiveInput
	Member string
}

// latestLines returns the lines of the newest published framework version, for pickers.
func (m Module) latestLines(ctx context.Context) ([]*Node, int) {
	var id int64
	if err := m.S.DB.Read.QueryRowContext(ctx, `SELECT id FROM framework_versions WHERE state = 'published' ORDER BY id DESC LIMIT 1`).Scan(&id); err != nil {
		return nil, 4
	}
	f, err := m.S.framework(ctx, id)
	if err != nil {
		return nil, 4
	}
	return f.Lines, f.MaxLevel()
}

func (m Module) renderGroup(c *web.Ctx, id int64, form GroupObjectiveInput, member string, formErr error) error {
	formErr = Localize(formErr, c.T)
	g, err := m.S.Group(c.Context(), id, c.Lang)
	if err != nil {
		return err
	}
	lines, max := m.latestLines(c.Context())
	d := groupData{G: g, Lines: lines, Form: form, Member: member}
	for i := 1; i <= max; i++ {
		d.Levels = append(d.Levels, i)
	}
	return c.RenderForm("assess_group", g.Name, d, formErr)
}

func (m Module) groupPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	return m.renderGroup(c, id, GroupObjectiveInput{}, "", nil)
}

// memberPost adds a member by professional id or by codice fiscale.
func (m Module) memberPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	who := strings.ToUpper(strings.TrimSpace(c.R.FormValue("professional")))
	var prof int64
	if _, err := fmt.Sscan(who, &prof); err != nil || prof == 0 {
		if err := m.S.DB.Read.QueryRowContext(c.Context(), `SELECT id FROM professionals WHERE cf = $1 OR cf_display = $1`, who).Scan(&prof); err != nil && err != sql.ErrNoRows {
			return err
		}
	}
	if prof == 0 {
		return m.renderGroup(c, id, GroupObjectiveInput{}, who, domain.Invalid("professional", "%s", c.T("assess.groups.no_prof")))
	}
	if err := m.S.AddMember(c.Context(), id, prof); err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return m.renderGroup(c, id, GroupObjectiveInput{}, who, domain.Invalid("professional", "%s", domain.ErrorMessage(err)))
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/groups/%d", id))
}

func (m Module) memberRemove(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	pid, err := c.PathInt64("pid")
	if err != nil {
		return err
	}
	if err := m.S.RemoveMember(c.Context(), id, pid); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/groups/%d", id))
}

func (m Module) groupObjectivePost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := GroupObjectiveInput{Line: c.R.FormValue("line"), TargetLevel: formInt(c, "target_level"), DueDate: c.R.FormValue("due_date"), Note: c.R.FormValue("note")}
	if _, err := m.S.AddGroupObjective(c.Context(), id, in); err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return m.renderGroup(c, id, in, "", err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/groups/%d", id))
}

type rulesData struct {
	Orgs  []OrgRef
	OrgID int64
	Rules []ObjectiveRule
	Form  ObjectiveRuleInput
}

func (m Module) renderRules(c *web.Ctx, orgID int64, form ObjectiveRuleInput, formErr error) error {
	formErr = Localize(formErr, c.T)
	orgs, err := m.S.Organisations(c.Context())
	if err != nil {
		return err
	}
	d := rulesData{Orgs: orgs, OrgID: orgID, Form: form}
	if d.OrgID == 0 {
		d.OrgID = m.orgOf(c, orgs)
	}
	if d.OrgID != 0 {
		if d.Rules, err = m.S.ObjectiveRules(c.Context(), d.OrgID); err != nil {
			return err
		}
	}
	return c.RenderForm("assess_rules", c.T("assess.rules.title"), d, formErr)
}

func (m Module) rulesPage(c *web.Ctx) error {
	return m.renderRules(c, formInt64(c, "org"), ObjectiveRuleInput{}, nil)
}

func (m Module) rulesPost(c *web.Ctx) error {
	in := ObjectiveRuleInput{OrganisationID: formInt64(c, "org"), LineCode: c.R.FormValue("line_code"), EventCode: c.R.FormValue("event_code"), Note: c.R.FormValue("note")}
	if v := strings.TrimSpace(strings.ReplaceAll(c.R.FormValue("min_credits"), ",", ".")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return m.renderRules(c, in.OrganisationID, in, domain.Invalid("min_credits", "%s", c.T("assess.rules.bad_credits")))
		}
		in.MinCredits = f
	}
	if in.OrganisationID == 0 && c.Actor.Role == domain.RoleOrganisation {
		in.OrganisationID = c.Actor.OrganisationID
	}
	if _, err := m.S.CreateObjectiveRule(c.Context(), in); err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return m.renderRules(c, in.OrganisationID, in, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/rules?org=%d", in.OrganisationID))
}

func (m Module) ruleRetire(c *web.Ctx) error {
	id, err := strconv.ParseInt(c.R.PathValue("id"), 10, 64)
	if err != nil {
		return domain.NotFound("rule")
	}
	r, err := m.S.RetireObjectiveRule(c.Context(), id)
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/rules?org=%d", r.OrganisationID))
}
