package catalogue

import (
	"fmt"
	"strings"
	"time"
)

// Event states. An event is written as a draft, submitted for accreditation, accredited or
// rejected by a reviewer, then runs and closes. A rejected event is corrected (back to
// draft) and submitted again.
const (
	StateDraft      = "draft"
	StateSubmitted  = "submitted"
	StateAccredited = "accredited"
	StateRejected   = "rejected"
	StateRunning    = "running"
	StateClosed     = "closed"
)

// States lists the states in lifecycle order.
var States = []string{StateDraft, StateSubmitted, StateAccredited, StateRejected, StateRunning, StateClosed}

// Published reports whether events in state are public: visible to every user and found by
// the search, the recommendations and the analysis.
func Published(state string) bool {
	return state == StateAccredited || state == StateRunning || state == StateClosed
}

// Origins of an event-line mapping.
const (
	OriginProvider   = "provider"   // declared by the provider
	OriginSuggestion = "suggestion" // a platform suggestion the provider accepted
	OriginReviewer   = "reviewer"   // set or corrected by a reviewer
)

// Review states of an event's line mapping.
const (
	LinesPending   = "pending"
	LinesAccepted  = "accepted"
	LinesCorrected = "corrected"
)

// Audience is one profession (and optionally one of its disciplines) an event is for.
type Audience struct {
	ProfessionCode int    `json:"profession"`
	DisciplineCode int    `json:"discipline,omitempty"`
	Profession     string `json:"profession_name,omitempty"`
	Discipline     string `json:"discipline_name,omitempty"`
}

// Edition is one run of an event: its dates and place, or online.
type Edition struct {
	ID          int64  `json:"id,omitempty"`
	Number      int    `json:"number"`
	StartDate   string `json:"start_date"`
	EndDate     string `json:"end_date"`
	Online      bool   `json:"online"`
	RegionID    int64  `json:"region_id,omitempty"`
	Region      string `json:"region,omitempty"`
	ComuneISTAT string `json:"comune,omitempty"`
	Comune      string `json:"comune_name,omitempty"`
	Venue       string `json:"venue,omitempty"`
}

// EventLine is one portfolio line an event develops, at a level.
type EventLine struct {
	LineID        int64   `json:"line_id"`
	Code          string  `json:"line_code"`
	Title         string  `json:"title,omitempty"`
	TitleEN       string  `json:"title_en,omitempty"`
	Level         int     `json:"level"`
	Origin        string  `json:"origin,omitempty"`
	Score         float64 `json:"score,omitempty"`
	DimensionID   int64   `json:"dimension_id,omitempty"`
	DimensionCode string  `json:"dimension_code,omitempty"`
	Dimension     string  `json:"dimension,omitempty"`
}

// Transition is one change of state, with who made it, when and why.
type Transition struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	Reason string    `json:"reason,omitempty"`
}

// Theme is a national- or regional-interest theme (tematica di interesse) with the national
// objectives it may be declared with.
type Theme struct {
	ID         int64  `json:"id"`
	Code       string `json:"code"`
	NameIT     string `json:"name_it"`
	NameEN     string `json:"name_en"`
	Scope      string `json:"scope"`     // national or regional
	ListName   string `json:"list_name"` // which programme list it belongs to
	ValidFrom  string `json:"valid_from"`
	ValidTo    string `json:"valid_to,omitempty"`
	Status     string `json:"status"` // confirmed, deck (stated only in the programme's deck)
	Source     string `json:"source"`
	Objectives []int  `json:"objectives"`
}

// Event is an ECM event as the catalogue holds it.
type Event struct {
	ID               int64       `json:"id"`
	ProviderID       int64       `json:"provider_id"`
	ProviderCode     string      `json:"provider_code"`
	ProviderName     string      `json:"provider_name"`
	ProviderRegionID int64       `json:"provider_region_id,omitempty"`
	Code             string      `json:"code"`
	Title            string      `json:"title"`
	Description      string      `json:"description"`
	Type             string      `json:"type"`
	SubType          int         `json:"subtype"`
	SubTypeName      string      `json:"subtype_name"`
	FADMode          string      `json:"fad_mode,omitempty"`
	Modules          []Module    `json:"modules,omitempty"`
	ModuleRES        bool        `json:"module_res"`
	ModuleFAD        bool        `json:"module_fad"`
	ModuleFSC        bool        `json:"module_fsc"`
	Hours            float64     `json:"hours"`
	InteractiveHours float64     `json:"interactive_hours"`
	Participants     int         `json:"participants"`
	FinalDocument    bool        `json:"final_document,omitempty"`
	ExternalValid    bool        `json:"external_validation,omitempty"`
	PermanentComm    bool        `json:"permanent_committee,omitempty"`
	ResearchMonths   int         `json:"research_months,omitempty"`
	ObjectiveCode    int         `json:"objective"`
	Objective        string      `json:"objective_name"`
	ThemeCode        string      `json:"theme,omitempty"`
	Theme            string      `json:"theme_name,omitempty"`
	AudienceAll      bool        `json:"audience_all"`
	Audience         []Audience  `json:"audience"`
	CostCents        int64       `json:"cost_cents"`
	Credits          float64     `json:"credits"`
	ComputedCredits  float64     `json:"computed_credits"`
	RuleSet          string      `json:"rule_set"`
	State            string      `json:"state"`
	RejectionReason  string      `json:"rejection_reason,omitempty"`
	LinesReview      string      `json:"lines_review"`
	LinesReviewedBy  string      `json:"lines_reviewed_by,omitempty"`
	FirstStart       string      `json:"first_start"`
	LastEnd          string      `json:"last_end"`
	Editions         []Edition   `json:"editions"`
	Lines            []EventLine `json:"lines"`
	CreatedAt        time.Time   `json:"created_at"`
	UpdatedAt        time.Time   `json:"updated_at"`
}

// Free reports whether the event costs nothing.
func (e Event) Free() bool { return e.CostCents == 0 }

// Online reports whether every edition is online.
func (e Event) Online() bool {
	for _, ed := range e.Editions {
		if !ed.Online {
			return false
		}
	}
	return len(e.Editions) > 0
}

// CreditInput returns what the credit rules need from the event.
func (e Event) CreditInput() CreditInput {
	return CreditInput{Type: e.Type, SubType: e.SubType, FADMode: e.FADMode, Hours: e.Hours, InteractiveHours: e.InteractiveHours,
		Participants: e.Participants, Thematic: e.ThemeCode != "", FinalDocument: e.FinalDocument,
		ExternalValidation: e.ExternalValid, PermanentCommittee: e.PermanentComm, ResearchMonths: e.ResearchMonths, Modules: e.Modules}
}

// EventView is an event with what the page shows about it: the credit computation, whether
// the declared credits disagree with it, its history and what the caller may do.
type EventView struct {
	Event
	Computation  Computation  `json:"computation"`
	Disagrees    bool         `json:"credits_disagree"`
	Transitions  []Transition `json:"transitions"`
	Illustrative bool         `json:"lines_illustrative"`
	Can          Permissions  `json:"can"`
}

// Permissions says what the caller may do with an event.
type Permissions struct {
	Edit        bool `json:"edit"`
	Submit      bool `json:"submit"`
	Review      bool `json:"review"`
	ReviewLines bool `json:"review_lines"`
	Start       bool `json:"start"`
	Close       bool `json:"close"`
}

// EventInput is what a provider (or an import) gives to create or change an event. Lines
// may name a line by id or by code in the current portfolio version.
type EventInput struct {
	ProviderID         int64       `json:"provider_id,omitempty"`
	Code               string      `json:"code"`
	Title              string      `json:"title"`
	Description        string      `json:"description"`
	Type               string      `json:"type"`
	SubType            int         `json:"subtype"`
	FADMode            string      `json:"fad_mode,omitempty"`
	Modules            []Module    `json:"modules,omitempty"`
	Hours              float64     `json:"hours"`
	InteractiveHours   float64     `json:"interactive_hours,omitempty"`
	Participants       int         `json:"participants"`
	FinalDocument      bool        `json:"final_document,omitempty"`
	ExternalValidation bool        `json:"external_validation,omitempty"`
	PermanentCommittee bool        `json:"permanent_committee,omitempty"`
	ResearchMonths     int         `json:"research_months,omitempty"`
	ObjectiveCode      int         `json:"objective"`
	Theme              string      `json:"theme,omitempty"`
	AudienceAll        bool        `json:"audience_all"`
	Audience           []Audience  `json:"audience,omitempty"`
	Cost               float64     `json:"cost"`
	Credits            float64     `json:"credits"`
	Editions           []Edition   `json:"editions"`
	Lines              []LineInput `json:"lines,omitempty"`
	// State is honoured only for national governance and the system (loading events
	// accredited elsewhere); providers always create drafts.
	State string `json:"state,omitempty"`
}

// LineInput names a portfolio line (by id, or by code in the current version) and a level.
type LineInput struct {
	LineID int64   `json:"line_id,omitempty"`
	Code   string  `json:"line_code,omitempty"`
	Level  int     `json:"level"`
	Origin string  `json:"origin,omitempty"`
	Score  float64 `json:"score,omitempty"`
}

// CostText is the cost in euros, Italian style ("49,90 €").
func (e Event) CostText() string {
	return strings.Replace(fmt.Sprintf("%.2f €", float64(e.CostCents)/100), ".", ",", 1)
}

// Pct is the mapping score as a percentage ("82%").
func (l EventLine) Pct() string { return fmt.Sprintf("%.0f%%", l.Score*100) }

// Pct is the suggestion score as a percentage ("82%").
func (s Suggestion) Pct() string { return fmt.Sprintf("%.0f%%", s.Score*100) }
