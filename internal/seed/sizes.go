package seed

import (
	"fmt"
	"strings"
)

// Size is one of the working datasets of performance.md.
type Size struct {
	Name           string
	Professionals  int
	Events         int
	Participations int
	Assessments    int
}

// The working datasets: S for every test run, M by hand before a release, L (national
// scale) as the release gate.
var (
	SizeS = Size{Name: "S", Professionals: 13_000, Events: 6_000, Participations: 200_000, Assessments: 13_000}
	SizeM = Size{Name: "M", Professionals: 130_000, Events: 60_000, Participations: 2_000_000, Assessments: 130_000}
	SizeL = Size{Name: "L", Professionals: 1_300_000, Events: 600_000, Participations: 20_000_000, Assessments: 1_300_000}
)

// ParseSize returns the dataset named s (S, M or L, any case).
func ParseSize(s string) (Size, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "S":
		return SizeS, nil
	case "M":
		return SizeM, nil
	case "L":
		return SizeL, nil
	}
	return Size{}, fmt.Errorf("unknown dataset size %q: use S, M or L", s)
}

// DefaultSeed is the seed of the reference datasets whose figures are in the README.
const DefaultSeed = 20240101
