package assess

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"esd/internal/web"
)

// API request and response types.

// AssessmentDetail is an assessment with its questions and the professional's answers.
type AssessmentDetail struct {
	Assessment Assessment `json:"assessment"`
	Questions  []Question `json:"questions"`
}

// PauseInput says where the professional stopped.
type PauseInput struct {
	Question int `json:"question"`
}

// StateInput moves an objective.
type StateInput struct {
	State string `json:"state"`
}

// PolicyInput sets a privacy policy.
type PolicyInput struct {
	ShowLevels bool `json:"show_levels"`
}

// MemberInput adds a member to a group.
type MemberInput struct {
	ProfessionalID int64 `json:"professional_id"`
}

// BankInput creates a bank version.
type BankInput struct {
	FrameworkID int64 `json:"framework_id"`
}

// BankDetail is a bank with its items.
type BankDetail struct {
	Bank  Bank   `json:"bank"`
	Items []Item `json:"items"`
}

// RegenerateInput starts the regeneration of objectives (persona 0 = everyone).
type RegenerateInput struct {
	PersonaID int64 `json:"persona_id"`
}

// JobRef points at a background job.
type JobRef struct {
	JobID int64  `json:"job_id"`
	Path  string `json:"path"`
}

// Count is a number of things done.
type Count struct {
	Count int `json:"count"`
}

// LedgerView is a professional's evidence and current levels.
type LedgerView struct {
	Rule     LevelRule      `json:"rule"`
	Current  []CurrentLevel `json:"current"`
	Evidence []Evidence     `json:"evidence"`
}

func jobRef(id int64) JobRef { return JobRef{JobID: id, Path: "/jobs/" + strconv.FormatInt(id, 10)} }

func (m Module) registerAPI(r *web.Routes) {
	prof := []string{"professional"}
	staff := []string{"professional", "organisation", "regional", "national"}
	orgs := []string{"organisation", "regional", "national"}
	nat := []string{"national"}
	id := func(c *web.Ctx) (int64, error) { return c.PathInt64("id") }

	// Assessments: only the professional themselves (answers are private).
	r.API("GET /api/v1/assessments", web.Op{Summary: "The calling professional's assessments, newest first", Tag: "assessment", Response: []Assessment{}, Roles: prof},
		func(c *web.Ctx) (any, error) { return m.S.List(c.Context(), c.Actor.ProfessionalID) })
	r.API("GET /api/v1/assessments/preview", web.Op{Summary: "Lines, questions and expected duration of a new assessment of the calling professional", Tag: "assessment", Response: Preview{}, Roles: prof},
		func(c *web.Ctx) (any, error) { return m.S.Preview(c.Context(), c.Actor.ProfessionalID) })
	r.API("POST /api/v1/assessments", web.Op{Summary: "Start an assessment on the persona's required lines, or resume the open one", Tag: "assessment", Response: Assessment{}, Roles: prof, Created: true},
		func(c *web.Ctx) (any, error) { return m.S.Start(c.Context(), c.Actor.ProfessionalID) })
	r.API("GET /api/v1/assessments/{id}", web.Op{Summary: "An assessment with its questions and answers (the professional only)", Tag: "assessment", Response: AssessmentDetail{}, Roles: prof},
		func(c *web.Ctx) (any, error) {
			aid, err := id(c)
			if err != nil {
				return nil, err
			}
			a, qs, err := m.S.Questions(c.Context(), aid, c.Lang)
			return AssessmentDetail{Assessment: a, Questions: qs}, err
		})
	r.API("POST /api/v1/assessments/{id}/answers", web.Op{Summary: "Save one answer (idempotent; a stale revision is refused with 409)", Tag: "assessment", Request: AnswerInput{}, Response: AnswerResult{}, Roles: prof},
		func(c *web.Ctx) (any, error) {
			aid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in AnswerInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.Answer(c.Context(), aid, in)
		})
	r.API("POST /api/v1/assessments/{id}/pause", web.Op{Summary: "Pause an assessment at a question (answers are already saved)", Tag: "assessment", Request: PauseInput{}, Response: Assessment{}, Roles: prof},
		func(c *web.Ctx) (any, error) {
			aid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in PauseInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.Pause(c.Context(), aid, in.Question)
		})
	r.API("POST /api/v1/assessments/{id}/finish", web.Op{Summary: "Finish and score an assessment (only one finish wins; 409 for the others)", Tag: "assessment", Response: Assessment{}, Roles: prof},
		func(c *web.Ctx) (any, error) {
			aid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Finish(c.Context(), aid)
		})
	r.API("GET /api/v1/assessments/{id}/result", web.Op{Summary: "The explained result of a finished assessment (the professional only)", Tag: "assessment", Response: Result{}, Roles: prof},
		func(c *web.Ctx) (any, error) {
			aid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Result(c.Context(), aid, c.Lang)
		})

	// A professional's gaps, objectives, dossier and evidence.
	r.API("GET /api/v1/professionals/{id}/gaps", web.Op{Summary: "Gap analysis per line, ambito and dimension, biggest first (levels policy applies)", Tag: "assessment", Response: Gaps{}, Roles: staff},
		func(c *web.Ctx) (any, error) {
			pid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Gaps(c.Context(), pid, c.Lang)
		})
	r.API("GET /api/v1/professionals/{id}/objectives", web.Op{Summary: "Individual and group objectives for the triennium", Tag: "objectives", Response: ObjectivesView{}, Roles: staff},
		func(c *web.Ctx) (any, error) {
			pid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Objectives(c.Context(), pid, c.Lang)
		})
	r.API("POST /api/v1/professionals/{id}/objectives/generate", web.Op{Summary: "Regenerate the draft objectives from the current gaps", Tag: "objectives", Response: Count{}, Roles: staff},
		func(c *web.Ctx) (any, error) {
			pid, err := id(c)
			if err != nil {
				return nil, err
			}
			n, err := m.S.GenerateObjectives(c.Context(), pid)
			return Count{n}, err
		})
	r.API("POST /api/v1/professionals/{id}/objectives/agree", web.Op{Summary: "Agree every draft objective (organisation, region, national)", Tag: "objectives", Response: Count{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			pid, err := id(c)
			if err != nil {
				return nil, err
			}
			n, err := m.S.AgreeObjectives(c.Context(), pid)
			return Count{n}, err
		})
	r.API("PATCH /api/v1/objectives/{id}", web.Op{Summary: "Adjust a draft objective (the professional)", Tag: "objectives", Request: ObjectiveInput{}, Response: Objective{}, Roles: prof},
		func(c *web.Ctx) (any, error) {
			oid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in ObjectiveInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.AdjustObjective(c.Context(), oid, in)
		})
	r.API("POST /api/v1/objectives/{id}/state", web.Op{Summary: "Move an objective: agreed, in_progress, achieved, expired", Tag: "objectives", Request: StateInput{}, Response: Objective{}, Roles: staff},
		func(c *web.Ctx) (any, error) {
			oid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in StateInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.MoveObjective(c.Context(), oid, in.State)
		})
	r.API("GET /api/v1/professionals/{id}/dossier", web.Op{Summary: "The dossier formativo of the triennium (also as .pdf and .csv at /professionals/{id}/dossier.pdf|.csv)", Tag: "objectives", Response: Dossier{}, Roles: staff},
		func(c *web.Ctx) (any, error) {
			pid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Dossier(c.Context(), pid, c.Lang)
		})
	r.API("GET /api/v1/professionals/{id}/evidence", web.Op{Summary: "The evidence ledger and the current levels with the evidence they use (levels policy applies)", Tag: "evidence", Response: LedgerView{}, Roles: staff},
		func(c *web.Ctx) (any, error) {
			pid, err := id(c)
			if err != nil {
				return nil, err
			}
			ev, cur, err := m.S.Ledger(c.Context(), pid)
			if err != nil {
				return nil, err
			}
			rule, err := m.S.Rule(c.Context())
			if ev == nil {
				ev = []Evidence{}
			}
			if cur == nil {
				cur = []CurrentLevel{}
			}
			return LedgerView{Rule: rule, Current: cur, Evidence: ev}, err
		})
	r.API("POST /api/v1/professionals/{id}/evidence", web.Op{Summary: "Record evidence: supervisor validation, completed training or import", Tag: "evidence", Request: EvidenceInput{}, Response: Evidence{}, Roles: orgs, Created: true},
		func(c *web.Ctx) (any, error) {
			pid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in EvidenceInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			in.ProfessionalID = pid
			return m.S.RecordEvidence(c.Context(), in)
		})

	// Organisations.
	r.API("GET /api/v1/organisations/{id}/assessment-overview", web.Op{Summary: "Staff completion and objectives (levels as the policy allows); ?page=N", Tag: "organisations", Response: Overview{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			oid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Overview(c.Context(), oid, c.QueryInt("page", 1))
		})
	r.API("GET /api/v1/organisations/{id}/assessment-policy", web.Op{Summary: "Whether the organisation shares its staff's levels", Tag: "organisations", Response: Policy{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			oid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Policy(c.Context(), oid, 0)
		})
	r.API("PUT /api/v1/organisations/{id}/assessment-policy", web.Op{Summary: "Set whether the organisation shares its staff's levels", Tag: "organisations", Request: PolicyInput{}, Response: Policy{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			oid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in PolicyInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.SetPolicy(c.Context(), oid, 0, in.ShowLevels)
		})
	r.API("GET /api/v1/regions/{id}/assessment-policy", web.Op{Summary: "The policy for the region's professionals without an organisation", Tag: "organisations", Response: Policy{}, Roles: []string{"regional", "national"}},
		func(c *web.Ctx) (any, error) {
			rid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Policy(c.Context(), 0, rid)
		})
	r.API("PUT /api/v1/regions/{id}/assessment-policy", web.Op{Summary: "Set the policy for the region's professionals without an organisation", Tag: "organisations", Request: PolicyInput{}, Response: Policy{}, Roles: []string{"regional", "national"}},
		func(c *web.Ctx) (any, error) {
			rid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in PolicyInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.SetPolicy(c.Context(), 0, rid, in.ShowLevels)
		})
	r.API("GET /api/v1/organisations/{id}/objective-groups", web.Op{Summary: "Teams and units of an organisation with their group objectives", Tag: "objectives", Response: []Group{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			oid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Groups(c.Context(), oid)
		})
	r.API("GET /api/v1/organisations/{id}/objective-rules", web.Op{Summary: "An organisation's achievement rules: which completions achieve an objective", Tag: "objectives", Response: []ObjectiveRule{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			oid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.ObjectiveRules(c.Context(), oid)
		})
	r.API("POST /api/v1/objective-rules", web.Op{Summary: "Add an achievement rule to an organisation (applies to completions recorded from now on)", Tag: "objectives", Request: ObjectiveRuleInput{}, Response: ObjectiveRule{}, Roles: orgs, Created: true},
		func(c *web.Ctx) (any, error) {
			var in ObjectiveRuleInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.CreateObjectiveRule(c.Context(), in)
		})
	r.API("POST /api/v1/objective-rules/{id}/retire", web.Op{Summary: "Retire an achievement rule (what it achieved stays achieved)", Tag: "objectives", Response: ObjectiveRule{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			rid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.RetireObjectiveRule(c.Context(), rid)
		})
	r.API("POST /api/v1/objective-groups", web.Op{Summary: "Create a team or unit", Tag: "objectives", Request: GroupInput{}, Response: Group{}, Roles: orgs, Created: true},
		func(c *web.Ctx) (any, error) {
			var in GroupInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.CreateGroup(c.Context(), in)
		})
	r.API("GET /api/v1/objective-groups/{id}", web.Op{Summary: "A group with members and objectives", Tag: "objectives", Response: Group{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			gid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.Group(c.Context(), gid, c.Lang)
		})
	r.API("POST /api/v1/objective-groups/{id}/members", web.Op{Summary: "Add a professional of the organisation to a group", Tag: "objectives", Request: MemberInput{}, Response: Group{}, Roles: orgs},
		func(c *web.Ctx) (any, error) {
			gid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in MemberInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			if err := m.S.AddMember(c.Context(), gid, in.ProfessionalID); err != nil {
				return nil, err
			}
			return m.S.Group(c.Context(), gid, c.Lang)
		})
	r.API("POST /api/v1/objective-groups/{id}/objectives", web.Op{Summary: "Set a group objective", Tag: "objectives", Request: GroupObjectiveInput{}, Response: Objective{}, Roles: orgs, Created: true},
		func(c *web.Ctx) (any, error) {
			gid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in GroupObjectiveInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.AddGroupObjective(c.Context(), gid, in)
		})

	// National governance: item bank, level rule, jobs.
	r.API("GET /api/v1/item-banks", web.Op{Summary: "Item bank versions", Tag: "item-bank", Response: []Bank{}, Roles: nat},
		func(c *web.Ctx) (any, error) { return m.S.ListBanks(c.Context()) })
	r.API("POST /api/v1/item-banks", web.Op{Summary: "Start a draft bank version of a framework version (copy of the latest)", Tag: "item-bank", Request: BankInput{}, Response: Bank{}, Roles: nat, Created: true},
		func(c *web.Ctx) (any, error) {
			var in BankInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.CreateBank(c.Context(), in.FrameworkID)
		})
	r.API("GET /api/v1/item-banks/{id}", web.Op{Summary: "A bank version with its items (answers included)", Tag: "item-bank", Response: BankDetail{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			bid, err := id(c)
			if err != nil {
				return nil, err
			}
			b, err := m.S.Bank(c.Context(), bid)
			if err != nil {
				return nil, err
			}
			items, err := m.S.Items(c.Context(), bid, 0)
			if items == nil {
				items = []Item{}
			}
			return BankDetail{Bank: b, Items: items}, err
		})
	r.API("POST /api/v1/item-banks/{id}/items", web.Op{Summary: "Add an item to a draft bank (or change one, with id)", Tag: "item-bank", Request: ItemInput{}, Response: Item{}, Roles: nat, Created: true},
		func(c *web.Ctx) (any, error) {
			bid, err := id(c)
			if err != nil {
				return nil, err
			}
			var in ItemInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			return m.S.SaveItem(c.Context(), bid, in)
		})
	r.API("DELETE /api/v1/item-banks/{id}/items/{item}", web.Op{Summary: "Remove an item from a draft bank", Tag: "item-bank", Roles: nat},
		func(c *web.Ctx) (any, error) {
			bid, err := id(c)
			if err != nil {
				return nil, err
			}
			item, err := c.PathInt64("item")
			if err != nil {
				return nil, err
			}
			return nil, m.S.DeleteItem(c.Context(), bid, item)
		})
	r.API("POST /api/v1/item-banks/{id}/publish", web.Op{Summary: "Publish a draft bank (retires the previous one of the version)", Tag: "item-bank", Response: Bank{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			bid, err := id(c)
			if err != nil {
				return nil, err
			}
			return m.S.PublishBank(c.Context(), bid)
		})
	r.API("GET /api/v1/item-banks/{id}/export", web.Op{Summary: "A bank as JSON (CSV: /assessment/bank/{id}/export.csv)", Tag: "item-bank", Response: BankFile{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			bid, err := id(c)
			if err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			if err := m.S.ExportBank(c.Context(), bid, "json", &buf); err != nil {
				return nil, err
			}
			return json.RawMessage(buf.Bytes()), nil
		})
	r.API("POST /api/v1/item-banks/{id}/import", web.Op{Summary: "Import items into a draft bank: ?format=json|csv, the file as the body; all-or-nothing with every bad row reported", Tag: "item-bank",
		RawRequest: "text/csv", RawKinds: []web.UploadKind{web.UploadCSV, web.UploadJSON}, Response: ImportReport{}, Roles: nat, MaxBytes: 8 << 20},
		func(c *web.Ctx) (any, error) {
			bid, err := id(c)
			if err != nil {
				return nil, err
			}
			format := c.R.URL.Query().Get("format")
			if format == "" {
				format = "json"
				if ct := c.R.Header.Get("Content-Type"); len(ct) >= 8 && ct[:8] == "text/csv" {
					format = "csv"
				}
			}
			return m.S.ImportBank(c.Context(), bid, format, io.LimitReader(c.R.Body, 8<<20))
		})
	r.API("GET /api/v1/assessment-settings/level-rule", web.Op{Summary: "The rule that turns evidence into the current level", Tag: "evidence", Response: LevelRule{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			if _, err := requireNational(c.Context()); err != nil {
				return nil, err
			}
			return m.S.Rule(c.Context())
		})
	r.API("PUT /api/v1/assessment-settings/level-rule", web.Op{Summary: "Change the level rule; every level is recomputed in a background job", Tag: "evidence", Request: LevelRule{}, Response: JobRef{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			var in LevelRule
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			j, err := m.S.SetRule(c.Context(), in)
			return jobRef(j), err
		})
	r.API("POST /api/v1/objectives/regenerate", web.Op{Summary: "Regenerate the draft objectives of every professional (of one persona) in a background job", Tag: "objectives", Request: RegenerateInput{}, Response: JobRef{}, Roles: nat},
		func(c *web.Ctx) (any, error) {
			var in RegenerateInput
			if err := c.DecodeJSON(&in); err != nil {
				return nil, err
			}
			j, err := m.S.StartRegenerate(c.Context(), in.PersonaID)
			return jobRef(j), err
		})
}
