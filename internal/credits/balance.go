package credits

import (
	"math"
	"sort"
	"time"
)

// Entry kinds of the ledger.
const (
	KindParticipation = "participation"
	KindIndividual    = "individual" // research, publications, tutoring, training abroad
	KindSelfTraining  = "self_training"
	KindExemption     = "exemption" // reduces the obligation, in credits
	KindDossierBonus  = "dossier_bonus"
	KindMoved         = "moved" // negative where credits leave a triennium, positive where they arrive
)

// Kinds lists the entry kinds in display order.
var Kinds = []string{KindParticipation, KindIndividual, KindSelfTraining, KindExemption, KindDossierBonus, KindMoved}

// Entry statuses.
const (
	StatusPending   = "pending"
	StatusCertified = "certified"
)

// Entry is one row of a professional's credit ledger.
type Entry struct {
	ID              int64     `json:"id"`
	ProfessionalID  int64     `json:"professional_id"`
	RegionID        int64     `json:"region_id"`
	OrganisationID  int64     `json:"organisation_id,omitempty"`
	Triennium       int       `json:"triennium"`
	Kind            string    `json:"kind"`
	Role            string    `json:"role,omitempty"`
	Credits         float64   `json:"credits"`
	Status          string    `json:"status"`
	EarnedOn        string    `json:"earned_on"`
	ParticipationID int64     `json:"participation_id,omitempty"`
	EventID         int64     `json:"event_id,omitempty"`
	LinkedID        int64     `json:"linked_id,omitempty"`
	Title           string    `json:"title,omitempty"`
	Note            string    `json:"note,omitempty"`
	CreatedBy       string    `json:"created_by,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

// DossierState says what the professional's dossier formativo gives in one triennium: a
// dossier built in it (individual or group), and whether the dossier of the previous
// triennium was realised (its realising bonus counts now).
type DossierState struct {
	IndividualBuilt            bool `json:"individual_built"`
	GroupBuilt                 bool `json:"group_built"`
	PreviousIndividualRealised bool `json:"previous_individual_realised"`
	PreviousGroupRealised      bool `json:"previous_group_realised"`
}

// Line is one ledger entry in a balance: what it counts after the caps, and why.
type Line struct {
	Entry  Entry   `json:"entry"`
	Counts float64 `json:"counts"`
	Why    []Why   `json:"why"`
	// Computed marks a line the balance made itself (the dossier bonus from the dossier),
	// not a stored entry.
	Computed bool `json:"computed,omitempty"`
}

// KindTotal is what entries of one kind add up to, before and after the caps.
type KindTotal struct {
	Kind    string  `json:"kind"`
	Earned  float64 `json:"earned"`
	Counted float64 `json:"counted"`
}

// Forecast is the "on track?" projection: linear from the triennium's start to today,
// extended to its end, against the obligation.
type Forecast struct {
	Today           string  `json:"today"`
	ElapsedShare    float64 `json:"elapsed_share"`
	ExpectedByToday float64 `json:"expected_by_today"`
	ProjectedAtEnd  float64 `json:"projected_at_end"`
	OnTrack         bool    `json:"on_track"`
	Why             []Why   `json:"why"`
}

// Balance is a professional's standing in one triennium.
type Balance struct {
	Triennium    int     `json:"triennium"`
	Label        string  `json:"label"`
	Start        string  `json:"start"`
	End          string  `json:"end"`
	RulesVersion string  `json:"rules_version"`
	Obligation   float64 `json:"obligation"` // the triennium's base obligation
	Reduction    float64 `json:"reduction"`  // earned in the previous triennium
	ReductionWhy Why     `json:"reduction_why"`
	Exemption    float64 `json:"exemption"`
	// Due is the obligation after reduction and exemptions: what the credits must cover.
	Due          float64     `json:"due"`
	Earned       float64     `json:"earned"` // every credit of the ledger, before the caps (exemptions excluded)
	Counted      float64     `json:"counted"`
	Certified    float64     `json:"certified"`
	Pending      float64     `json:"pending"`
	Missing      float64     `json:"missing"`
	DossierBonus float64     `json:"dossier_bonus"`
	Compliant    bool        `json:"compliant"` // certified credits cover Due
	OnTrack      bool        `json:"on_track"`
	Kinds        []KindTotal `json:"kinds"`
	Lines        []Line      `json:"lines"`
	Forecast     Forecast    `json:"forecast"`
	Notes        []Why       `json:"notes,omitempty"`
}

// Compute is ComputeAt today.
func Compute(rules Rules, triennium int, entries []Entry, previousEarned float64, dossier DossierState) Balance {
	return ComputeAt(rules, triennium, entries, previousEarned, dossier, time.Now().UTC())
}

// ComputeAt computes the balance of one triennium from the professional's ledger entries
// (entries of other trienni are listed as not counting), the credits counted in the
// previous triennium (for the reduction) and the dossier state, with the forecast as of
// today. It is a pure function: the service, the recompute job and the tests call it alike.
//
// Order of the rules: the reduction and the exemptions lower the obligation to Due; the
// caps are shares of Due; certified entries are taken before pending ones and, within each,
// by date, so what a cap cuts is the latest and the unconfirmed; participation, moved and
// dossier credits are not capped. The computed dossier bonus applies only when the ledger
// has no dossier_bonus entry of its own for the triennium (one recorded by an office wins).
func ComputeAt(rules Rules, triennium int, entries []Entry, previousEarned float64, dossier DossierState, today time.Time) Balance {
	b := Balance{Triennium: triennium, RulesVersion: rules.Version}
	tri, ok := rules.TrienniumByStart(triennium)
	if !ok {
		b.Notes = append(b.Notes, why("note.notriennium", itoa(triennium)))
		return b
	}
	b.Label, b.Start, b.End = tri.Label(), tri.StartDate().Format(time.DateOnly), tri.EndDate().Format(time.DateOnly)
	b.Obligation = tri.Obligation

	// Reduction earned in the previous triennium.
	b.ReductionWhy = why("red.none", num(previousEarned))
	for _, r := range rules.Reductions {
		if previousEarned+1e-9 >= r.Min && (r.Max == 0 || previousEarned <= r.Max+1e-9) {
			b.Reduction = r.Credits
			hi := num(r.Max)
			if r.Max == 0 {
				hi = "∞"
			}
			b.ReductionWhy = why("red.band", num(previousEarned), num(r.Min), hi, num(r.Credits))
			break
		}
	}
	if _, prev := rules.TrienniumByStart(triennium - 3); !prev && b.Reduction == 0 {
		b.ReductionWhy = why("red.noprevious")
	}

	mine := make([]Entry, 0, len(entries))
	var others []Entry
	for _, e := range entries {
		if e.Triennium == triennium {
			mine = append(mine, e)
		} else {
			others = append(others, e)
		}
	}
	// Exemptions first: they set Due, which the caps depend on.
	for _, e := range mine {
		if e.Kind == KindExemption && e.Credits > 0 {
			b.Exemption += e.Credits
		}
	}
	b.Due = math.Max(0, b.Obligation-b.Reduction-b.Exemption)
	indivLeft := rules.Caps.IndividualShare * b.Due
	selfLeft := rules.Caps.SelfTrainingShare * b.Due
	indivCap, selfCap := indivLeft, selfLeft

	sort.SliceStable(mine, func(i, j int) bool {
		a, c := mine[i], mine[j]
		if (a.Status == StatusCertified) != (c.Status == StatusCertified) {
			return a.Status == StatusCertified
		}
		if a.EarnedOn != c.EarnedOn {
			return a.EarnedOn < c.EarnedOn
		}
		return a.ID < c.ID
	})
	kinds := map[string]*KindTotal{}
	for _, k := range Kinds {
		kinds[k] = &KindTotal{Kind: k}
	}
	hasManualDossier := false
	for _, e := range mine {
		if e.Kind == KindDossierBonus {
			hasManualDossier = true
		}
	}
	for _, e := range mine {
		l := Line{Entry: e}
		switch e.Kind {
		case KindParticipation:
			l.Counts = e.Credits
			l.Why = append(l.Why, why("line.participation", num(e.Credits), roleName(orDefault(e.Role, RoleParticipant)), e.Title, e.EarnedOn))
		case KindMoved:
			l.Counts = e.Credits
			if e.Credits < 0 {
				l.Why = append(l.Why, why("line.movedout", num(-e.Credits), e.Note))
			} else {
				l.Why = append(l.Why, why("line.movedin", num(e.Credits), e.Note))
			}
		case KindDossierBonus:
			l.Counts = e.Credits
			l.Why = append(l.Why, why("line.dossier", num(e.Credits), e.Title))
		case KindExemption:
			l.Counts = 0
			l.Why = append(l.Why, why("line.exemption", num(e.Credits), e.Title))
		case KindIndividual, KindSelfTraining:
			c := math.Max(0, e.Credits)
			if e.Kind == KindSelfTraining {
				if c > selfLeft {
					l.Why = append(l.Why, why("line.capself", pct(rules.Caps.SelfTrainingShare), num(selfCap), num(c-math.Max(0, selfLeft))))
					c = math.Max(0, selfLeft)
				}
			}
			if c > indivLeft {
				l.Why = append(l.Why, why("line.capindiv", pct(rules.Caps.IndividualShare), num(indivCap), num(c-math.Max(0, indivLeft))))
				c = math.Max(0, indivLeft)
			}
			indivLeft -= c
			if e.Kind == KindSelfTraining {
				selfLeft -= c
			}
			l.Counts = round2(c)
			key := "line.individual"
			if e.Kind == KindSelfTraining {
				key = "line.selftraining"
			}
			l.Why = append([]Why{why(key, num(l.Counts), e.Title, e.EarnedOn)}, l.Why...)
		default:
			l.Why = append(l.Why, why("line.unknownkind", e.Kind))
		}
		if e.Status == StatusPending {
			l.Why = append(l.Why, why("line.pending"))
		}
		if k := kinds[e.Kind]; k != nil && e.Kind != KindExemption {
			k.Earned += e.Credits
			k.Counted += l.Counts
			b.Earned += e.Credits
		} else if k != nil {
			k.Earned += e.Credits
		}
		if e.Status == StatusPending {
			b.Pending += l.Counts
		} else {
			b.Certified += l.Counts
		}
		b.Lines = append(b.Lines, l)
	}

	// The dossier bonus from the dossier formativo (build now, realise from the previous
	// triennium's dossier). Individual and group bonuses of the same step do not add up:
	// the larger applies [INFERRED].
	if !hasManualDossier {
		var bonus float64
		var ws []Why
		if d, ok := dossierRule(rules, triennium); ok {
			if v := pick(dossier.IndividualBuilt, d.IndividualBuild, dossier.GroupBuilt, d.GroupBuild); v > 0 {
				bonus += v
				ws = append(ws, why("dossier.build", num(v), tri.Label()))
			}
		}
		if d, ok := dossierRule(rules, triennium-3); ok {
			if v := pick(dossier.PreviousIndividualRealised, d.IndividualRealise, dossier.PreviousGroupRealised, d.GroupRealise); v > 0 {
				bonus += v
				ws = append(ws, why("dossier.realise", num(v), itoa(triennium-3)))
			}
		}
		if bonus > 0 {
			b.Lines = append(b.Lines, Line{Entry: Entry{Triennium: triennium, Kind: KindDossierBonus, Credits: bonus, Status: StatusCertified,
				Title: "Dossier formativo", EarnedOn: b.Start}, Counts: bonus, Why: ws, Computed: true})
			kinds[KindDossierBonus].Earned += bonus
			kinds[KindDossierBonus].Counted += bonus
			b.Earned += bonus
			b.Certified += bonus
		}
	}
	b.DossierBonus = round2(kinds[KindDossierBonus].Counted)
	// One note per other triennium, not per entry: a long career would drown the page.
	byTri := map[int]int{}
	for _, e := range others {
		byTri[e.Triennium]++
	}
	for _, t := range rules.Trienni {
		if n := byTri[t.Start]; n > 0 {
			b.Notes = append(b.Notes, why("note.othertriennium", itoa(n), t.Label()))
		}
	}
	for _, k := range Kinds {
		kt := kinds[k]
		kt.Earned, kt.Counted = round2(kt.Earned), round2(kt.Counted)
		b.Kinds = append(b.Kinds, *kt)
	}
	b.Certified = round2(math.Max(0, b.Certified))
	b.Pending = round2(math.Max(0, b.Pending))
	b.Counted = round2(math.Max(0, b.Certified+b.Pending))
	b.Earned = round2(b.Earned)
	b.Exemption = round2(b.Exemption)
	b.Due = round2(b.Due)
	b.Missing = round2(math.Max(0, b.Due-b.Counted))
	b.Compliant = b.Certified+1e-9 >= b.Due
	b.Forecast = forecast(tri, b, today)
	b.OnTrack = b.Forecast.OnTrack
	return b
}

// forecast projects the counted credits linearly: credits so far divided by the share of
// the triennium's days elapsed (today included) gives the credits at the end at the same
// pace; the professional is on track when that reaches Due (or Due is already covered).
// Before the triennium starts everyone is on track; after it ends only the compliant are.
func forecast(tri Triennium, b Balance, today time.Time) Forecast {
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	f := Forecast{Today: today.Format(time.DateOnly)}
	start, end := tri.StartDate(), tri.EndDate().AddDate(0, 0, 1)
	total := end.Sub(start).Hours() / 24
	switch {
	case b.Counted+1e-9 >= b.Due:
		f.ElapsedShare = clamp01((today.Sub(start).Hours()/24 + 1) / total)
		f.ExpectedByToday = round2(b.Due * f.ElapsedShare)
		f.ProjectedAtEnd = b.Counted
		f.OnTrack = true
		if b.Compliant {
			f.Why = append(f.Why, why("fc.done"))
		} else {
			f.Why = append(f.Why, why("fc.donepending", num(b.Pending)))
		}
	case today.Before(start):
		f.OnTrack = true
		f.Why = append(f.Why, why("fc.notstarted", b.Start))
	case !today.Before(end):
		f.ElapsedShare = 1
		f.ExpectedByToday = b.Due
		f.ProjectedAtEnd = b.Counted
		f.OnTrack = false
		f.Why = append(f.Why, why("fc.ended", b.End, num(b.Missing)))
	default:
		days := today.Sub(start).Hours()/24 + 1
		f.ElapsedShare = clamp01(days / total)
		f.ExpectedByToday = round2(b.Due * f.ElapsedShare)
		f.ProjectedAtEnd = round2(b.Counted / f.ElapsedShare)
		f.OnTrack = f.ProjectedAtEnd+1e-9 >= b.Due
		f.Why = append(f.Why, why("fc.linear", num(b.Counted), itoa(int(days)), itoa(int(total)), num(f.ProjectedAtEnd), num(b.Due)))
		if f.OnTrack {
			f.Why = append(f.Why, why("fc.ontrack", num(f.ExpectedByToday)))
		} else {
			f.Why = append(f.Why, why("fc.behind", num(f.ExpectedByToday), num(f.ExpectedByToday-b.Counted)))
		}
	}
	f.ElapsedShare = math.Round(f.ElapsedShare*10000) / 10000
	return f
}

func dossierRule(rules Rules, triennium int) (DossierRule, bool) {
	for _, d := range rules.Dossier {
		if d.Triennium == triennium {
			return d, true
		}
	}
	return DossierRule{}, false
}

func pick(a bool, av float64, b bool, bv float64) float64 {
	var v float64
	if a {
		v = av
	}
	if b && bv > v {
		v = bv
	}
	return v
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
