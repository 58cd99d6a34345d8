package catalogue

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The ECM training types (tipologie formative) and the blended type that combines them.
const (
	TypeRES     = "RES"
	TypeFAD     = "FAD"
	TypeFSC     = "FSC"
	TypeBlended = "BLENDED"
)

// Types lists the training types in display order.
var Types = []string{TypeRES, TypeFAD, TypeFSC, TypeBlended}

// AgenasType is the tipo_form code of the Agenas public search and of the rapporto evento
// (FAD=1, FSC=2, RES=3, Blended=4).
var AgenasType = map[string]int{TypeFAD: 1, TypeFSC: 2, TypeRES: 3, TypeBlended: 4}

// FAD delivery modes (domain.md §3.4): individual learning without online activity,
// individual with online activity, learning in a social context, and synchronous
// "eventi seminariali in rete" (webinars).
const (
	FADIndividual = "individual"
	FADOnline     = "online"
	FADSocial     = "social"
	FADWebinar    = "webinar"
)

// FADModes lists the FAD modes in display order.
var FADModes = []string{FADIndividual, FADOnline, FADSocial, FADWebinar}

// SubType is one sub-type of a training type with its cod_tipologia_form code.
type SubType struct {
	Code int    `json:"code"`
	Type string `json:"type"`
	Key  string `json:"key"`
	It   string `json:"name_it"`
	En   string `json:"name_en"`
}

// SubTypes are the sub-types of the national reporting file (domain.md §3.4). Codes 2 and 5
// exist in the file format but their meaning was not found, so they are not offered.
var SubTypes = []SubType{
	{1, TypeRES, "corso", "Corso di aggiornamento", "Refresher course"},
	{3, TypeRES, "convegno", "Convegno/congresso", "Conference/congress"},
	{4, TypeRES, "workshop", "Workshop/seminario", "Workshop/seminar"},
	{6, TypeFSC, "training", "Training individualizzato", "Individual training"},
	{7, TypeFSC, "gruppi", "Gruppi di miglioramento", "Improvement groups"},
	{8, TypeFSC, "ricerca", "Attività di ricerca", "Research activity"},
	{9, TypeFSC, "audit", "Audit clinico-assistenziale", "Clinical audit"},
	{10, TypeFAD, "fad", "FAD senza supporto di esperto/tutor", "E-learning without expert/tutor support"},
	{11, TypeFAD, "fad_tutor", "FAD con supporto di esperto/tutor", "E-learning with expert/tutor support"},
}

// SubTypeByCode returns the sub-type with the given cod_tipologia_form.
func SubTypeByCode(code int) (SubType, bool) {
	for _, s := range SubTypes {
		if s.Code == code {
			return s, true
		}
	}
	return SubType{}, false
}

// Module is one component of a blended event: its own type, sub-type, mode and hours.
type Module struct {
	Type             string  `json:"type"`
	SubType          int     `json:"subtype"`
	FADMode          string  `json:"fad_mode,omitempty"`
	Hours            float64 `json:"hours"`
	InteractiveHours float64 `json:"interactive_hours,omitempty"`
}

// CreditInput is everything the credit rules look at.
type CreditInput struct {
	Type               string   `json:"type"`
	SubType            int      `json:"subtype"`
	FADMode            string   `json:"fad_mode,omitempty"`
	Hours              float64  `json:"hours"`
	InteractiveHours   float64  `json:"interactive_hours,omitempty"`
	Participants       int      `json:"participants"`
	Thematic           bool     `json:"thematic"`
	FinalDocument      bool     `json:"final_document,omitempty"`
	ExternalValidation bool     `json:"external_validation,omitempty"`
	PermanentCommittee bool     `json:"permanent_committee,omitempty"`
	ResearchMonths     int      `json:"research_months,omitempty"`
	Modules            []Module `json:"modules,omitempty"`
}

// Rule is the credit rule of one sub-type, as data.
type Rule struct {
	Type                    string             `json:"type"`
	SubType                 int                `json:"subtype"`
	PerHour                 float64            `json:"per_hour,omitempty"`
	Tiers                   []Tier             `json:"tiers,omitempty"`
	Modes                   map[string]float64 `json:"modes,omitempty"`
	SmallGroup              *Extra             `json:"small_group,omitempty"`
	Interactive             *Extra             `json:"interactive,omitempty"`
	FinalDocumentPerHour    float64            `json:"final_document_per_hour,omitempty"`
	ExternalValidationPerHr float64            `json:"external_validation_per_hour,omitempty"`
	ExtrasExcludeCommittees bool               `json:"extras_exclude_committees,omitempty"`
	ByMonths                []MonthsCredits    `json:"by_months,omitempty"`
	Thematic                bool               `json:"thematic"`
	Max                     float64            `json:"max"`
	MaxParticipants         int                `json:"max_participants,omitempty"`
	MaxHoursPerDay          float64            `json:"max_hours_per_day,omitempty"`
	WebinarMaxHoursPerDay   float64            `json:"webinar_max_hours_per_day,omitempty"`
}

// Tier is a credits-per-hour rate that applies up to a number of participants.
type Tier struct {
	MaxParticipants int     `json:"max_participants"`
	PerHour         float64 `json:"per_hour"`
}

// Extra is a per-hour bonus granted up to a number of participants.
type Extra struct {
	MaxParticipants int     `json:"max_participants"`
	PerHour         float64 `json:"per_hour"`
}

// MonthsCredits is a fixed number of credits for research lasting up to Months.
type MonthsCredits struct {
	Months  int     `json:"months"`
	Credits float64 `json:"credits"`
}

// RuleSet is one version of the credit criteria.
type RuleSet struct {
	Version      string  `json:"version"`
	Title        string  `json:"title"`
	Source       string  `json:"source"`
	ValidFrom    string  `json:"valid_from"`
	MaxCredits   float64 `json:"max_credits"`
	ThematicRate float64 `json:"thematic_bonus_per_hour"`
	Decimals     int     `json:"decimals"`
	Rules        []Rule  `json:"rules"`
}

// Rule returns the rule of a type and sub-type.
func (rs RuleSet) Rule(typ string, subtype int) (Rule, bool) {
	for _, r := range rs.Rules {
		if r.Type == typ && r.SubType == subtype {
			return r, true
		}
	}
	return Rule{}, false
}

//go:embed data/credit_rules_*.json data/themes.json
var ruleFS embed.FS

// RuleSets returns the embedded rule sets, newest valid_from last.
func RuleSets() ([]RuleSet, error) {
	files, err := ruleFS.ReadDir("data")
	if err != nil {
		return nil, err
	}
	var out []RuleSet
	for _, f := range files {
		if !strings.HasPrefix(f.Name(), "credit_rules_") {
			continue
		}
		b, err := ruleFS.ReadFile("data/" + f.Name())
		if err != nil {
			return nil, err
		}
		var rs RuleSet
		if err := json.Unmarshal(b, &rs); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ValidFrom < out[j].ValidFrom })
	return out, nil
}

// CurrentRuleSet returns the embedded rule set in force (the newest).
func CurrentRuleSet() RuleSet {
	all, err := RuleSets()
	if err != nil || len(all) == 0 {
		panic(fmt.Sprintf("catalogue: no credit rule set embedded: %v", err))
	}
	return all[len(all)-1]
}

// Step is one step of a credit computation, in both languages, with the running total
// after it.
type Step struct {
	Key     string  `json:"key"`
	Text    string  `json:"text"`
	TextEN  string  `json:"text_en"`
	Credits float64 `json:"credits"`
}

// Computation is the result of applying a rule set: the credits and how they were reached.
type Computation struct {
	RuleSet    string  `json:"rule_set"`
	WholeHours int     `json:"whole_hours"`
	Credits    float64 `json:"credits"`
	Capped     bool    `json:"capped"`
	Steps      []Step  `json:"steps"`
}

// stepText holds the wording of each step: key → {Italian, English}, with fmt verbs.
var stepText = map[string][2]string{
	"hours":        {"Durata %s ore → %d ore intere (le ore non sono frazionabili)", "Duration %s hours → %d whole hours (hours are not divisible)"},
	"tier":         {"%s con %d partecipanti: %s crediti/ora × %d ore = %s", "%s with %d participants: %s credits/hour × %d hours = %s"},
	"base":         {"%s: %s crediti/ora × %d ore = %s", "%s: %s credits/hour × %d hours = %s"},
	"mode":         {"%s, modalità %s: %s crediti/ora × %d ore = %s", "%s, %s mode: %s credits/hour × %d hours = %s"},
	"small_group":  {"Fino a %d partecipanti (%d): +%s crediti/ora × %d ore = +%s", "Up to %d participants (%d): +%s credits/hour × %d hours = +%s"},
	"interactive":  {"Fino a %d partecipanti (%d) con %s ore interattive: +%s crediti/ora × %d ore = +%s", "Up to %d participants (%d) with %s interactive hours: +%s credits/hour × %d hours = +%s"},
	"no_extras":    {"Comitati aziendali permanenti: le maggiorazioni non si applicano", "Permanent committees: the extras do not apply"},
	"final_doc":    {"Documento finale prodotto: +%s crediti/ora × %d ore = +%s", "Final document produced: +%s credits/hour × %d hours = +%s"},
	"external":     {"Validazione di un esperto esterno: +%s crediti/ora × %d ore = +%s", "Validated by an external expert: +%s credits/hour × %d hours = +%s"},
	"months":       {"Ricerca di %d mesi (fino a %d): %s crediti", "Research lasting %d months (up to %d): %s credits"},
	"months_over":  {"Ricerca di %d mesi: oltre %d mesi non previsti, %s crediti", "Research lasting %d months: beyond %d months not provided for, %s credits"},
	"thematic":     {"Tematica di interesse nazionale/regionale: +%s crediti/ora × %d ore = +%s", "National/regional interest theme: +%s credits/hour × %d hours = +%s"},
	"no_thematic":  {"Tematica di interesse: nessuna maggiorazione per questa tipologia", "Interest theme: no bonus for this sub-type"},
	"cap":          {"Massimo per %s: %s crediti (calcolati %s)", "Maximum for %s: %s credits (computed %s)"},
	"module":       {"Modulo %s (%s, %s ore): %s crediti", "Module %s (%s, %s hours): %s credits"},
	"blended_sum":  {"Somma dei moduli: %s crediti", "Sum of the modules: %s credits"},
	"event_cap":    {"Massimo per evento: %s crediti (calcolati %s)", "Maximum per event: %s credits (computed %s)"},
	"total":        {"Crediti dell'evento: %s", "Event credits: %s"},
	"no_rule":      {"Nessuna regola per %s sottotipo %d", "No rule for %s sub-type %d"},
	"participants": {"Partecipanti %d oltre il massimo di %d per questa tipologia", "%d participants exceed the maximum of %d for this sub-type"},
}

// num formats a number the Italian way (comma decimals, no trailing zeros).
func num(v float64) string {
	s := strconv.FormatFloat(round(v, 2), 'f', -1, 64)
	return strings.Replace(s, ".", ",", 1)
}

func numEN(v float64) string { return strconv.FormatFloat(round(v, 2), 'f', -1, 64) }

func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p+1e-9) / p
}

type stepper struct {
	steps []Step
	total float64
}

// add appends a step; args that are float64 are formatted per language.
func (s *stepper) add(key string, args ...any) {
	t := stepText[key]
	it, en := make([]any, len(args)), make([]any, len(args))
	for i, a := range args {
		if f, ok := a.(float64); ok {
			it[i], en[i] = num(f), numEN(f)
		} else {
			it[i], en[i] = a, a
		}
	}
	s.steps = append(s.steps, Step{Key: key, Text: fmt.Sprintf(t[0], it...), TextEN: fmt.Sprintf(t[1], en...), Credits: round(s.total, 2)})
}

func subTypeName(code int) string {
	if st, ok := SubTypeByCode(code); ok {
		return st.It
	}
	return strconv.Itoa(code)
}

// Compute applies the rule set to an event and explains each step. It is a pure function:
// the same input gives the same credits and steps.
func Compute(rs RuleSet, in CreditInput) Computation {
	c := Computation{RuleSet: rs.Version}
	s := &stepper{}
	if in.Type == TypeBlended {
		sum := 0.0
		hours := 0
		for _, m := range in.Modules {
			sub := Compute(rs, CreditInput{Type: m.Type, SubType: m.SubType, FADMode: m.FADMode, Hours: m.Hours,
				InteractiveHours: m.InteractiveHours, Participants: in.Participants, Thematic: in.Thematic,
				FinalDocument: in.FinalDocument, ExternalValidation: in.ExternalValidation, PermanentCommittee: in.PermanentCommittee,
				ResearchMonths: in.ResearchMonths})
			for _, st := range sub.Steps {
				if st.Key == "total" {
					continue
				}
				st.Text, st.TextEN = m.Type+" · "+st.Text, m.Type+" · "+st.TextEN
				st.Credits = round(sum+st.Credits, 2)
				s.steps = append(s.steps, st)
			}
			sum += sub.Credits
			hours += sub.WholeHours
			s.total = sum
			s.add("module", m.Type, subTypeName(m.SubType), m.Hours, sub.Credits)
		}
		s.total = sum
		s.add("blended_sum", sum)
		c.WholeHours = hours
		if sum > rs.MaxCredits {
			c.Capped = true
			s.total = rs.MaxCredits
			s.add("event_cap", rs.MaxCredits, sum)
		}
		s.total = round(s.total, rs.Decimals)
		s.add("total", s.total)
		c.Credits, c.Steps = s.total, s.steps
		return c
	}
	r, ok := rs.Rule(in.Type, in.SubType)
	if !ok {
		s.add("no_rule", in.Type, in.SubType)
		c.Steps = s.steps
		return c
	}
	h := int(math.Floor(in.Hours + 1e-9))
	if h < 0 {
		h = 0
	}
	c.WholeHours = h
	s.add("hours", in.Hours, h)
	name := subTypeName(in.SubType)
	hf := float64(h)
	switch {
	case len(r.Tiers) > 0:
		rate := r.Tiers[len(r.Tiers)-1].PerHour
		for _, t := range r.Tiers {
			if in.Participants <= t.MaxParticipants {
				rate = t.PerHour
				break
			}
		}
		s.total = rate * hf
		s.add("tier", name, in.Participants, rate, h, s.total)
	case len(r.Modes) > 0:
		mode := in.FADMode
		if mode == "" {
			mode = FADOnline
		}
		rate := r.Modes[mode]
		s.total = rate * hf
		s.add("mode", name, mode, rate, h, s.total)
	case len(r.ByMonths) > 0:
		last := r.ByMonths[len(r.ByMonths)-1]
		got := false
		for _, m := range r.ByMonths {
			if in.ResearchMonths <= m.Months {
				s.total = m.Credits
				s.add("months", in.ResearchMonths, m.Months, m.Credits)
				got = true
				break
			}
		}
		if !got {
			s.total = last.Credits
			s.add("months_over", in.ResearchMonths, last.Months, last.Credits)
		}
	default:
		s.total = r.PerHour * hf
		s.add("base", name, r.PerHour, h, s.total)
	}
	if r.SmallGroup != nil && in.Participants <= r.SmallGroup.MaxParticipants {
		v := r.SmallGroup.PerHour * hf
		s.total += v
		s.add("small_group", r.SmallGroup.MaxParticipants, in.Participants, r.SmallGroup.PerHour, h, v)
	}
	if r.Interactive != nil && in.Participants <= r.Interactive.MaxParticipants && math.Floor(in.InteractiveHours+1e-9) > 0 {
		v := r.Interactive.PerHour * hf
		s.total += v
		s.add("interactive", r.Interactive.MaxParticipants, in.Participants, math.Floor(in.InteractiveHours+1e-9), r.Interactive.PerHour, h, v)
	}
	if r.FinalDocumentPerHour > 0 || r.ExternalValidationPerHr > 0 {
		if r.ExtrasExcludeCommittees && in.PermanentCommittee {
			if in.FinalDocument || in.ExternalValidation {
				s.add("no_extras")
			}
		} else {
			if in.FinalDocument && r.FinalDocumentPerHour > 0 {
				v := r.FinalDocumentPerHour * hf
				s.total += v
				s.add("final_doc", r.FinalDocumentPerHour, h, v)
			}
			if in.ExternalValidation && r.ExternalValidationPerHr > 0 {
				v := r.ExternalValidationPerHr * hf
				s.total += v
				s.add("external", r.ExternalValidationPerHr, h, v)
			}
		}
	}
	if in.Thematic {
		if r.Thematic {
			v := rs.ThematicRate * hf
			s.total += v
			s.add("thematic", rs.ThematicRate, h, v)
		} else {
			s.add("no_thematic")
		}
	}
	limit := math.Min(r.Max, rs.MaxCredits)
	if limit > 0 && s.total > limit+1e-9 {
		c.Capped = true
		computed := s.total
		s.total = limit
		s.add("cap", name, limit, computed)
	}
	s.total = round(s.total, rs.Decimals)
	s.add("total", s.total)
	c.Credits, c.Steps = s.total, s.steps
	return c
}

// CreditsDisagree reports whether a declared number of credits differs from the computed
// one by more than rounding.
func CreditsDisagree(declared, computed float64) bool { return math.Abs(declared-computed) > 0.05 }
