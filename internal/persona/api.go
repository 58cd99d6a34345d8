package persona

import (
	"strconv"

	"esd/internal/web"
)

// RuleChange is the answer to a rule write: the rule and the background re-assignment it
// started (0 if none).
type RuleChange struct {
	Rule  Rule  `json:"rule"`
	JobID int64 `json:"job_id,omitempty"`
}

// JobStarted names a background job to poll at /api/v1/jobs/{id}.
type JobStarted struct {
	JobID int64  `json:"job_id"`
	URL   string `json:"url"`
}

// CopyInput asks to copy personas from one framework version to another.
type CopyInput struct {
	From int64 `json:"from_framework_id"`
	To   int64 `json:"to_framework_id"`
}

// RunInput asks for a re-assignment of a framework version (0 = current).
type RunInput struct {
	FrameworkID int64 `json:"framework_id,omitempty"`
}

func queryFramework(c *web.Ctx) int64 {
	v, _ := strconv.ParseInt(c.R.URL.Query().Get("framework_id"), 10, 64)
	return v
}

func (m Module) registerAPI(r *web.Routes) {
	s := m.S
	nat := []string{"national"}
	r.API("GET /api/v1/personas", web.Op{Summary: "Personas of a framework version (?framework_id=, default the current one)", Tag: "personas", Response: []Persona{}},
		func(c *web.Ctx) (any, error) { return s.ListPersonas(c.Context(), queryFramework(c)) })
	r.API("POST /api/v1/personas", web.Op{Summary: "Create a persona", Tag: "personas", Request: PersonaInput{}, Response: Persona{}, Roles: nat, Created: true},
		func(c *web.Ctx) (any, error) {
			var in PersonaInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.CreatePersona(c.Context(), in)
		})
	r.API("GET /api/v1/personas/heatmap", web.Op{Summary: "Persona × ambito matrix of mean target levels (?framework_id=)", Tag: "personas", Response: Heatmap{}},
		func(c *web.Ctx) (any, error) { return s.Heatmap(c.Context(), queryFramework(c)) })
	r.API("POST /api/v1/personas/copy", web.Op{Summary: "Copy the personas, targets, overlays and rules of a framework version to another, by line code", Tag: "personas",
		Request: CopyInput{}, Response: CopyResult{}, Roles: nat, Created: true},
		func(c *web.Ctx) (any, error) {
			var in CopyInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.CopyPersonas(c.Context(), in.From, in.To)
		})
	r.API("GET /api/v1/personas/{id}", web.Op{Summary: "A persona with its national targets", Tag: "personas", Response: Persona{}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return s.GetPersona(c.Context(), id)
		})
	r.API("PUT /api/v1/personas/{id}", web.Op{Summary: "Change a persona's description, example roles and allow_lower flag", Tag: "personas", Request: PersonaInput{}, Response: Persona{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			var in PersonaInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.UpdatePersona(c.Context(), id, in)
		})
	r.API("DELETE /api/v1/personas/{id}", web.Op{Summary: "Delete a persona nobody has", Tag: "personas", Roles: nat},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return nil, s.DeletePersona(c.Context(), id)
		})
	r.API("PUT /api/v1/personas/{id}/targets", web.Op{Summary: "Replace a persona's national targets (all or nothing)", Tag: "personas", Request: []TargetInput{}, Response: []Target{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			var in []TargetInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.SetTargets(c.Context(), id, in)
		})
	r.API("GET /api/v1/personas/{id}/overlays", web.Op{Summary: "Regional and organisational overlays on a persona", Tag: "personas", Response: []Overlay{}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return s.Overlays(c.Context(), id)
		})
	r.API("PUT /api/v1/personas/{id}/overlays", web.Op{Summary: "Replace the overlay of one region or organisation on a persona (may raise or add, never lower unless allowed)",
		Tag: "personas", Request: OverlayInput{}, Response: []Overlay{}, Roles: []string{"national", "regional", "organisation"}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			var in OverlayInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.SetOverlay(c.Context(), id, in)
		})
	r.API("GET /api/v1/assignment/rules", web.Op{Summary: "Assignment rules of a framework version in evaluation order (?framework_id=)", Tag: "assignment", Response: []Rule{}},
		func(c *web.Ctx) (any, error) { return s.Rules(c.Context(), queryFramework(c)) })
	r.API("POST /api/v1/assignment/rules", web.Op{Summary: "Create an assignment rule (starts a re-assignment)", Tag: "assignment", Request: RuleInput{}, Response: RuleChange{}, Roles: nat, Created: true},
		func(c *web.Ctx) (any, error) {
			var in RuleInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			rule, job, err := s.CreateRule(c.Context(), in)
			if err != nil {
				return nil, err
			}
			return RuleChange{Rule: rule, JobID: job}, nil
		})
	r.API("PUT /api/v1/assignment/rules/{id}", web.Op{Summary: "Change an assignment rule (starts a re-assignment)", Tag: "assignment", Request: RuleInput{}, Response: RuleChange{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			var in RuleInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			rule, job, err := s.UpdateRule(c.Context(), id, in)
			if err != nil {
				return nil, err
			}
			return RuleChange{Rule: rule, JobID: job}, nil
		})
	r.API("DELETE /api/v1/assignment/rules/{id}", web.Op{Summary: "Delete an assignment rule (starts a re-assignment)", Tag: "assignment", Response: JobStarted{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			job, err := s.DeleteRule(c.Context(), id)
			if err != nil {
				return nil, err
			}
			return JobStarted{JobID: job, URL: jobURL(job)}, nil
		})
	r.API("POST /api/v1/assignment/test", web.Op{Summary: "Rule tester: which persona an existing professional or hypothetical attributes would get, and why", Tag: "assignment",
		Request: TestInput{}, Response: Explanation{}},
		func(c *web.Ctx) (any, error) {
			var in TestInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.TestAssignment(c.Context(), in)
		})
	r.API("POST /api/v1/assignment/run", web.Op{Summary: "Start the re-assignment of every professional as a background job", Tag: "assignment", Request: RunInput{}, Response: JobStarted{}, Roles: nat, Created: true},
		func(c *web.Ctx) (any, error) {
			var in RunInput
			if c.R.ContentLength != 0 {
				if err := c.DecodeJSON(&in); err != nil {
					return nil, err
				}
			}
			id, err := s.StartReassign(c.Context(), in.FrameworkID)
			if err != nil {
				return nil, err
			}
			return JobStarted{JobID: id, URL: jobURL(id)}, nil
		})
	ind := []string{"national", "regional", "organisation", "professional"}
	r.API("GET /api/v1/professionals/{id}/profile", web.Op{Summary: "A professional's persona, how it was decided, and their effective targets", Tag: "assignment", Response: ProfileDetail{}, Roles: ind},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return s.Detail(c.Context(), id)
		})
	r.API("PUT /api/v1/professionals/{id}/profile", web.Op{Summary: "Override a professional's persona with a reason (their organisation or national governance)", Tag: "assignment",
		Request: OverrideInput{}, Response: Profile{}, Roles: []string{"national", "organisation"}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			var in OverrideInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return s.Override(c.Context(), id, in)
		})
	r.API("DELETE /api/v1/professionals/{id}/profile", web.Op{Summary: "Remove a manual override: the rules decide again", Tag: "assignment", Response: Profile{}, Roles: []string{"national", "organisation"}},
		func(c *web.Ctx) (any, error) {
			id, err := c.PathInt64("id")
			if err != nil {
				return nil, err
			}
			return s.ClearOverride(c.Context(), id)
		})
}

func jobURL(id int64) string {
	if id == 0 {
		return ""
	}
	return "/jobs/" + strconv.FormatInt(id, 10)
}
