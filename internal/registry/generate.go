package registry

import (
	"math/rand/v2"
	"time"

	"esd/internal/cf"
)

// Plausible Italian names, for the demo world and generated data (accents and apostrophes
// included, since real registries have them).
var (
	familyNames = []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
		"Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana",
		"Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli", "Vitale",
		"Lombardo", "Serra", "Coppola", "De Santis", "D'Angelo", "Marchetti", "Parisi", "Villa", "Conte", "Ferraro", "Ferri", "Fabbri",
		"Bianco", "Marini", "Grasso", "Valentini", "Messina", "Sala", "De Angelis", "Gatti", "Pellegrini", "Palumbo", "Sanna", "Farina",
		"Rizzi", "Monti", "Cattaneo", "Morelli", "Amato", "Silvestri", "Mazza", "Testa", "Grassi", "Pellegrino", "Carbone", "Giuliani",
		"Benedetti", "Barone", "Rossetti", "Caputo", "Montanari", "Guerra", "Palmieri", "Bernardi", "Martino", "Fiore", "De Rosa",
		"Ferretti", "Bellini", "Basile", "Riva", "Donati", "Piras", "Vitali", "Battaglia", "Sartori", "Neri", "Costantini", "Milani",
		"Pagano", "Ruggiero", "Sorrentino", "D'Amico", "Orlando", "Damiani", "Negri", "Lucchesi", "Bartolini", "Innocenti", "Cecchi",
		"Baldini", "Nocentini", "Bandinelli", "Niccolai", "Frosini", "Pieracci", "Nardò", "Cantù", "Vannucci", "Degl'Innocenti"}
	maleNames = []string{"Marco", "Alessandro", "Giuseppe", "Luca", "Francesco", "Andrea", "Giovanni", "Roberto", "Stefano", "Paolo",
		"Matteo", "Lorenzo", "Davide", "Simone", "Federico", "Antonio", "Riccardo", "Fabio", "Massimo", "Daniele", "Gabriele", "Pietro",
		"Tommaso", "Leonardo", "Claudio", "Enrico", "Michele", "Filippo", "Emanuele", "Nicolò", "Niccolò", "Jacopo", "Iacopo", "Duccio",
		"Gianluca", "Alberto", "Carlo", "Sergio", "Vittorio", "Mattia"}
	femaleNames = []string{"Giulia", "Francesca", "Chiara", "Sara", "Martina", "Elena", "Valentina", "Alessia", "Federica", "Silvia",
		"Laura", "Anna", "Maria", "Elisa", "Paola", "Roberta", "Simona", "Monica", "Cristina", "Barbara", "Irene", "Beatrice", "Camilla",
		"Alice", "Marta", "Sofia", "Giorgia", "Ilaria", "Eleonora", "Lucrezia", "Noemi", "Zoe", "Daniela", "Antonella", "Caterina",
		"Veronica", "Gaia", "Benedetta", "Matilde", "Rachele"}
)

// Person is a generated person with a valid codice fiscale.
type Person struct {
	Family, Given, Sex string
	Birth              time.Time
	Belfiore           string
	CF                 string
}

// Placement is what a generated professional does: a profession/discipline pair, where and
// how they work, and which kind of organisation employs them ("" = none).
type Placement struct {
	Pair       Pair
	Employment string
	Setting    string
	Role       string
	OrgKind    string // KindASL, KindAOU (any hospital), or "" for none
}

// mix is the national profession mix (performance.md: nurses ~35 %, physicians ~32 %,
// technical/rehabilitation ~15 %, pharmacists ~8 %, others ~10 %), in per mille.
var mix = []struct {
	permille int
	p        Placement
}{
	{350, Placement{Pair{Profession: 14, Discipline: 85}, "dipendente", "ospedale", "clinico", KindAOU}},
	{60, Placement{Pair{Profession: 1, Discipline: 58}, "convenzionato", "territorio", "clinico", KindASL}}, // general practitioners
	{10, Placement{Pair{Profession: 1, Discipline: 60}, "convenzionato", "territorio", "clinico", KindASL}}, // family paediatricians
	{10, Placement{Pair{Profession: 1, Discipline: 59}, "convenzionato", "emergenza", "clinico", KindASL}},
	{240, Placement{Pair{Profession: 1}, "dipendente", "ospedale", "clinico", KindAOU}}, // hospital specialists: discipline drawn below
	{50, Placement{Pair{Profession: 12, Discipline: 82}, "dipendente", "ospedale", "clinico", KindAOU}},
	{30, Placement{Pair{Profession: 27, Discipline: 94}, "dipendente", "ospedale", "clinico", KindAOU}},
	{25, Placement{Pair{Profession: 28, Discipline: 93}, "dipendente", "ospedale", "clinico", KindAOU}},
	{20, Placement{Pair{Profession: 18, Discipline: 89}, "dipendente", "ospedale", "clinico", KindAOU}},
	{10, Placement{Pair{Profession: 23, Discipline: 105}, "dipendente", "prevenzione", "clinico", KindASL}},
	{5, Placement{Pair{Profession: 9, Discipline: 80}, "dipendente", "prevenzione", "clinico", KindASL}},
	{5, Placement{Pair{Profession: 10, Discipline: 81}, "dipendente", "ospedale", "clinico", KindAOU}},
	{5, Placement{Pair{Profession: 16, Discipline: 87}, "dipendente", "territorio", "clinico", KindASL}},
	{60, Placement{Pair{Profession: 3, Discipline: 67}, "libero_professionista", "farmacia", "clinico", ""}},
	{20, Placement{Pair{Profession: 3, Discipline: 66}, "dipendente", "ospedale", "clinico", KindAOU}},
	{40, Placement{Pair{Profession: 2, Discipline: 64}, "libero_professionista", "territorio", "clinico", ""}},
	{30, Placement{Pair{Profession: 5, Discipline: 78}, "dipendente", "territorio", "clinico", KindASL}},
	{15, Placement{Pair{Profession: 4, Discipline: 63}, "dipendente", "prevenzione", "clinico", KindASL}},
	{10, Placement{Pair{Profession: 6, Discipline: 68}, "dipendente", "ospedale", "clinico", KindAOU}},
	{5, Placement{Pair{Profession: 15, Discipline: 86}, "dipendente", "ospedale", "clinico", KindAOU}},
}

// hospitalDisciplines are the physicians' hospital disciplines drawn for specialists.
var hospitalDisciplines = []int{3, 15, 43, 30, 36, 24, 21, 23, 13, 54, 9, 19, 7, 39, 41, 25, 12, 5, 47, 107, 114}

// Generator makes deterministic people and placements from a seed.
type Generator struct {
	rng    *rand.Rand
	places []string
	seen   map[string]bool
}

// NewGenerator returns a generator drawing birthplaces from belfiore (comuni codes).
func NewGenerator(seed uint64, belfiore []string) *Generator {
	if len(belfiore) == 0 {
		belfiore = []string{"D612"}
	}
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), places: belfiore, seen: map[string]bool{}}
}

// Person returns a new person whose codice fiscale differs from every one generated before
// (people whose codes would collide are redrawn: the registry compares codes after undoing
// omocodia, so true homocodes cannot both be registered).
func (g *Generator) Person() Person {
	for {
		p := Person{Family: familyNames[g.rng.IntN(len(familyNames))], Sex: "F", Belfiore: g.places[g.rng.IntN(len(g.places))]}
		if g.rng.IntN(100) < 38 {
			p.Sex = "M"
			p.Given = maleNames[g.rng.IntN(len(maleNames))]
		} else {
			p.Given = femaleNames[g.rng.IntN(len(femaleNames))]
		}
		p.Birth = time.Date(1958+g.rng.IntN(42), time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rng.IntN(365))
		code, err := cf.Encode(p.Family, p.Given, p.Birth, p.Sex, p.Belfiore)
		if err != nil || g.seen[code] {
			continue
		}
		g.seen[code] = true
		p.CF = code
		return p
	}
}

// Placement draws a profession/discipline and work setting in national proportions.
func (g *Generator) Placement() Placement {
	n := g.rng.IntN(1000)
	for _, m := range mix {
		if n < m.permille {
			p := m.p
			if p.Pair.Discipline == 0 {
				p.Pair.Discipline = hospitalDisciplines[g.rng.IntN(len(hospitalDisciplines))]
			}
			switch r := g.rng.IntN(100); {
			case r < 4:
				p.Role = "coordinatore"
			case r < 7:
				p.Role = "dirigente"
			case r < 9:
				p.Role = "formatore"
			}
			return p
		}
		n -= m.permille
	}
	return mix[0].p
}

// IntN returns a deterministic number in [0, n).
func (g *Generator) IntN(n int) int { return g.rng.IntN(n) }
