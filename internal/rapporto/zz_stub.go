package rapporto

import "io"

type Event struct {
	Code                            string
	Edition                         int
	ProviderCode, AccreditorCode    string
	Start, End                      string
	Credits                         float64
	Hours                           int
	Type                            int
	ModuleFAD, ModuleFSC, ModuleRES bool
	Audience                        string
	Objective                       int
	Participants                    int
	Subtype                         int
	Line                            int
}
type Profession struct {
	Code        int
	Disciplines []int
}
type Participant struct {
	Line                                        int
	CF, GivenName, FamilyName, Role, Employment string
	Recruited                                   bool
	Sponsor                                     string
	Credits                                     float64
	AcquiredOn                                  string
	Professions                                 []Profession
}
type Report struct {
	Format       string
	Event        *Event
	Participants []Participant
}

func Parse(r io.Reader, name string) (Report, error) { return Report{}, nil }
func WriteXML(w io.Writer, rep Report) error         { return nil }
