package persona

import "sort"

// Effective returns the effective targets of a professional: the persona's national
// targets, then the overlay of their region, then the overlay of their organisation, the
// more specific layer winning line by line. Unless national governance allowed lowering
// (personaAllowLower, or AllowLower on the national target of the line), no layer can pull
// a minimum below a less specific layer's minimum, nor drop a line a less specific layer
// requires: such an overlay (written before a national target was raised, say) is clamped
// rather than obeyed. Lines are returned in the order of first appearance (national first),
// and not-required lines are kept so callers can tell "not required" from "unknown".
//
// It is a pure function: the same inputs always give the same targets.
func Effective(national []Target, personaAllowLower bool, region, org []Target) []Target {
	type acc struct {
		t          Target
		floor      int  // the highest minimum any layer required so far
		floorReq   bool // some layer required the line
		allowLower bool
	}
	byLine := map[int64]*acc{}
	var order []int64
	apply := func(layer []Target, source string) {
		for _, t := range layer {
			a := byLine[t.LineID]
			if a == nil {
				a = &acc{allowLower: personaAllowLower}
				byLine[t.LineID] = a
				order = append(order, t.LineID)
			}
			if source == SourceNational {
				a.allowLower = personaAllowLower || t.AllowLower
			}
			nt := t
			nt.Source = source
			nt.AllowLower = false
			if nt.LineCode == "" {
				nt.LineCode = a.t.LineCode
			}
			if !nt.Required {
				nt.Min, nt.Max = 0, 0
			}
			if !a.allowLower && a.floorReq {
				// Clamp: an overlay may raise, never lower what a wider layer requires.
				if !nt.Required {
					nt = Target{LineID: t.LineID, LineCode: nt.LineCode, Required: true, Min: a.t.Min, Max: a.t.Max, Source: a.t.Source}
				} else if nt.Min < a.floor {
					nt.Min = a.floor
					nt.Max = max(nt.Max, nt.Min)
				}
			}
			a.t = nt
			if nt.Required {
				a.floorReq = true
				a.floor = max(a.floor, nt.Min)
			}
		}
	}
	apply(national, SourceNational)
	apply(region, SourceRegion)
	apply(org, SourceOrganisation)
	out := make([]Target, 0, len(order))
	for _, id := range order {
		out = append(out, byLine[id].t)
	}
	return out
}

// EffectiveSet is every effective target set of a framework version, loaded once, for bulk
// work (gap recomputation over a whole region, monitoring): For costs a map lookup after
// the first call per persona × region × organisation.
type EffectiveSet struct {
	FrameworkID int64
	national    map[int64][]Target // persona → national targets
	allowLower  map[int64]bool
	regional    map[[2]int64][]Target // (persona, region) → overlay
	orgs        map[[2]int64][]Target // (persona, organisation) → overlay
	cache       map[[3]int64][]Target
}

// For returns the effective targets of a professional with the given persona, region and
// organisation (0 = none). The returned slice is shared: do not modify it.
func (e *EffectiveSet) For(personaID, regionID, orgID int64) []Target {
	k := [3]int64{personaID, regionID, orgID}
	if t, ok := e.cache[k]; ok {
		return t
	}
	var r, o []Target
	if regionID != 0 {
		r = e.regional[[2]int64{personaID, regionID}]
	}
	if orgID != 0 {
		o = e.orgs[[2]int64{personaID, orgID}]
	}
	t := Effective(e.national[personaID], e.allowLower[personaID], r, o)
	e.cache[k] = t
	return t
}

// validateLevels checks a target against the scale: required targets need Min and Max on
// the scale with Min ≤ Max. It returns a reason, or "".
func validateLevels(f Framework, t Target) string {
	if !t.Required {
		return ""
	}
	if !f.OnScale(t.Min) {
		return "level " + itoa(t.Min) + " is not on the scale of " + f.Code + " " + f.Version + scaleHint(f)
	}
	if !f.OnScale(t.Max) {
		return "level " + itoa(t.Max) + " is not on the scale of " + f.Code + " " + f.Version + scaleHint(f)
	}
	if t.Min > t.Max {
		return "minimum " + itoa(t.Min) + " is above maximum " + itoa(t.Max)
	}
	return ""
}

func scaleHint(f Framework) string {
	if len(f.Levels) == 0 {
		return " (the version has no scale)"
	}
	ls := make([]int, 0, len(f.Levels))
	for _, l := range f.Levels {
		ls = append(ls, l.Level)
	}
	sort.Ints(ls)
	s := " (levels "
	for i, l := range ls {
		if i > 0 {
			s += ", "
		}
		s += itoa(l)
	}
	return s + ")"
}
