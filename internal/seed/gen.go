package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/textnorm"
)

// Professional is one synthetic health professional: the attributes the codice fiscale is
// computed from (names, sex, birth date, birthplace) and the registry fields.
type Professional struct {
	Index          int
	FamilyName     string
	GivenName      string
	Sex            string // "M" or "F"
	BirthDate      time.Time
	BirthplaceCode string // Belfiore code of the comune, or Z + 3 digits for a country
	RegionID       int64
	RegionCode     string // Ministry (NSIS) code
	OrganisationID int64  // 0: none (freelancers, community pharmacies)
	ProfessionCode int
	DisciplineCode int
	Employment     string
	CareSetting    string // registry vocabulary: ospedale, territorio, prevenzione, …
	JobRole        string // registry vocabulary: clinico, coordinatore, dirigente, …
	Placement      string // the generator's finer placement behind the care setting
	Email          string
	// CF is the codice fiscale, set by the professionals step (the generator draws the
	// attributes; the registry's encoder computes the code).
	CF string
}

// Employment kinds.
const (
	EmployeeEmployment  = "dipendente"
	ContractEmployment  = "convenzionato"
	FreelanceEmployment = "libero_professionista"
)

// Care settings and job roles, in the registry's vocabulary (registry.CareSettings,
// registry.JobRoles).
const (
	CareHospital    = "ospedale"
	CareTerritory   = "territorio"
	CarePrevention  = "prevenzione"
	CarePharmacy    = "farmacia"
	CareManagement  = "direzione"
	CareEmergency   = "emergenza"
	CareResidential = "residenziale"

	RoleClinician   = "clinico"
	RoleCoordinator = "coordinatore"
	RoleManager     = "dirigente"
	RoleTrainer     = "formatore"
	RoleResearcher  = "ricercatore"
)

// Placements are where the generator puts a professional: each decides the care setting,
// the employment and which kind of organisation (if any) they belong to.
const (
	placeHospital    = "hospital"         // public hospital or ASL hospital, employee
	placePrivate     = "private_hospital" // private or accredited clinic, employee
	placePrimary     = "primary_care"     // GPs, family paediatricians, continuità assistenziale: ASL, convenzionato
	placeTerritory   = "territorial"      // ASL community and outpatient services, employee
	placePrevention  = "prevention"       // ASL prevention department, employee
	placePharmacy    = "pharmacy"         // community pharmacy: owner or employee, no organisation
	placeManagement  = "management"       // hospital or ASL management
	placePractice    = "private_practice" // freelance, no organisation
	placeEmergency   = "emergency"        // emergency department or 118, hospital or ASL
	placeResidential = "residential"      // nursing homes and residential care, private
)

var careOf = map[string]string{
	placeHospital: CareHospital, placePrivate: CareHospital, placePrimary: CareTerritory, placeTerritory: CareTerritory,
	placePrevention: CarePrevention, placePharmacy: CarePharmacy, placeManagement: CareManagement,
	placePractice: CareTerritory, placeEmergency: CareEmergency, placeResidential: CareResidential,
}

// refDate is the fixed "today" ages are computed from, so a seed gives the same birth dates
// whatever day it runs.
var refDate = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// weighted picks an index with probability proportional to its weight.
type weighted struct{ cum []float64 }

func newWeighted(ws []float64) weighted {
	cum := make([]float64, len(ws))
	t := 0.0
	for i, w := range ws {
		t += math.Max(w, 0)
		cum[i] = t
	}
	return weighted{cum: cum}
}

func (w weighted) pick(r *rand.Rand) int {
	if len(w.cum) == 0 || w.cum[len(w.cum)-1] == 0 {
		return -1
	}
	x := r.Float64() * w.cum[len(w.cum)-1]
	return sort.SearchFloat64s(w.cum, math.Nextafter(x, math.Inf(1)))
}

func zipf(n int, s float64) []float64 {
	ws := make([]float64, n)
	for i := range ws {
		ws[i] = 1 / math.Pow(float64(i+1), s)
	}
	return ws
}

// profModel is how one profession is distributed.
type profModel struct {
	weight      float64 // share of the workforce, in percent
	female      float64 // share of women
	minAge      int
	settings    map[string]float64
	disciplines map[int]float64 // weights; missing disciplines of the profession get otherDiscipline
}

const otherDiscipline = 0.1

// professionModels: the national mix (performance.md: nurses ~35 %, physicians ~32 %,
// technical/rehabilitation/prevention ~15 %, pharmacists ~8 %, then dentists, vets,
// psychologists, midwives, biologists…), with the share of women and the care settings each
// works in. Approximate, from FNOPI, FNOMCeO and Co.Ge.A.P.S. orders of magnitude.
var professionModels = map[int]profModel{
	1: {weight: 32, female: 0.50, minAge: 26, settings: map[string]float64{placeHospital: 75, placePrivate: 10, placeTerritory: 8, placePractice: 7},
		disciplines: physicianDisciplines},
	2:  {weight: 4.0, female: 0.35, minAge: 25, settings: map[string]float64{placePractice: 92, placeHospital: 5, placeTerritory: 3}},
	3:  {weight: 8.0, female: 0.70, minAge: 24, settings: map[string]float64{placePharmacy: 1}, disciplines: map[int]float64{67: 85, 66: 15}},
	4:  {weight: 2.0, female: 0.50, minAge: 25, settings: map[string]float64{placePrevention: 35, placePractice: 65}, disciplines: map[int]float64{63: 40, 62: 30, 61: 30}},
	5:  {weight: 2.5, female: 0.82, minAge: 25, settings: map[string]float64{placeTerritory: 30, placeHospital: 10, placePractice: 60}, disciplines: map[int]float64{78: 65, 77: 35}},
	6:  {weight: 1.0, female: 0.70, minAge: 24, settings: lab},
	7:  {weight: 0.3, female: 0.45, minAge: 24, settings: lab},
	8:  {weight: 0.2, female: 0.35, minAge: 24, settings: lab},
	9:  {weight: 0.3, female: 0.85, minAge: 22, settings: map[string]float64{placePrevention: 60, placeTerritory: 40}},
	10: {weight: 0.4, female: 0.85, minAge: 22, settings: map[string]float64{placeHospital: 50, placePractice: 40, placeTerritory: 10}},
	11: {weight: 1.0, female: 0.75, minAge: 22, settings: map[string]float64{placeTerritory: 70, placePractice: 30}},
	12: {weight: 4.5, female: 0.60, minAge: 22, settings: map[string]float64{placeHospital: 28, placePrivate: 18, placeTerritory: 14, placeResidential: 6, placePractice: 34}},
	13: {weight: 0.5, female: 0.80, minAge: 22, settings: map[string]float64{placePractice: 95, placeHospital: 5}},
	14: {weight: 34, female: 0.77, minAge: 22, settings: map[string]float64{placeHospital: 52, placePrivate: 8, placeTerritory: 18, placeEmergency: 7, placeResidential: 6, placePrevention: 2, placeManagement: 1, placePractice: 6}},
	15: {weight: 1.0, female: 0.95, minAge: 22, settings: map[string]float64{placeHospital: 80, placeTerritory: 15, placePrivate: 5}},
	16: {weight: 1.0, female: 0.92, minAge: 22, settings: map[string]float64{placeTerritory: 40, placePractice: 40, placeHospital: 20}},
	17: {weight: 0.3, female: 0.85, minAge: 22, settings: techRehab},
	18: {weight: 1.5, female: 0.99, minAge: 22, settings: map[string]float64{placeHospital: 70, placeTerritory: 20, placePractice: 10}},
	19: {weight: 0.2, female: 0.55, minAge: 22, settings: map[string]float64{placePractice: 85, placeTerritory: 15}},
	20: {weight: 0.1, female: 0.60, minAge: 22, settings: techRehab},
	21: {weight: 0.3, female: 0.45, minAge: 22, settings: map[string]float64{placePractice: 80, placeHospital: 20}},
	22: {weight: 0.2, female: 0.55, minAge: 22, settings: map[string]float64{placeHospital: 90, placePrivate: 10}},
	23: {weight: 0.8, female: 0.45, minAge: 22, settings: map[string]float64{placePrevention: 90, placePractice: 10}},
	24: {weight: 0.3, female: 0.70, minAge: 22, settings: map[string]float64{placeTerritory: 80, placePrivate: 20}},
	25: {weight: 0.2, female: 0.70, minAge: 22, settings: map[string]float64{placeHospital: 85, placePrivate: 15}},
	26: {weight: 0.2, female: 0.30, minAge: 22, settings: map[string]float64{placePractice: 80, placeHospital: 20}},
	27: {weight: 2.3, female: 0.50, minAge: 22, settings: map[string]float64{placeHospital: 75, placePrivate: 20, placePractice: 5}},
	28: {weight: 2.0, female: 0.70, minAge: 22, settings: map[string]float64{placeHospital: 75, placePrivate: 20, placePractice: 5}},
	29: {weight: 0.3, female: 0.90, minAge: 22, settings: map[string]float64{placeTerritory: 60, placePractice: 40}},
	30: {weight: 0.1, female: 0.85, minAge: 22, settings: techRehab},
}

var (
	lab       = map[string]float64{placeHospital: 50, placePrivate: 15, placePractice: 25, placePrevention: 10}
	techRehab = map[string]float64{placeHospital: 50, placePrivate: 15, placeTerritory: 20, placePractice: 15}
)

// physicianDisciplines weights the physicians' disciplines (GPs and anaesthetists are many,
// aerospace medicine is rare); unlisted disciplines get otherDiscipline.
var physicianDisciplines = map[int]float64{
	58: 17, 60: 3, 59: 4, 43: 6.5, 15: 5, 30: 4, 3: 4, 36: 3.5, 39: 3, 24: 3, 25: 2.5, 54: 3.5, 13: 2.5,
	55: 2, 38: 1.5, 21: 1.5, 41: 1, 40: 1, 53: 1.5, 19: 1, 23: 1.3, 9: 1, 7: 1, 11: 1, 12: 0.7, 57: 1,
	48: 0.5, 107: 0.8, 113: 3, 4: 0.8, 6: 0.6, 10: 0.6, 5: 0.5, 27: 0.4, 37: 0.4, 35: 0.4, 29: 0.3, 42: 0.5,
	49: 0.3, 26: 0.4, 14: 0.8, 22: 0.5, 47: 0.4, 50: 0.3, 20: 0.5, 18: 0.3, 114: 0.4, 116: 0.3,
}

// disciplineSetting overrides the profession's settings for disciplines that define them
// (general practice, public health, hospital or community pharmacy).
func disciplineSetting(profession, discipline int) map[string]float64 {
	if profession == 3 {
		if discipline == 66 {
			return map[string]float64{placeHospital: 1}
		}
		return map[string]float64{placePharmacy: 1}
	}
	if profession != 1 {
		return nil
	}
	switch discipline {
	case 58, 59, 60:
		return map[string]float64{placePrimary: 1}
	case 55, 56, 57, 115:
		return map[string]float64{placePrevention: 90, placePractice: 10}
	case 107, 108:
		return map[string]float64{placeManagement: 1}
	case 13:
		return map[string]float64{placeEmergency: 1}
	case 113:
		return map[string]float64{placePrimary: 40, placeHospital: 30, placePractice: 30}
	}
	return nil
}

// Generator draws synthetic professionals from the reference data. Professional(i) is a
// pure function of the seed and i, so rows can be generated in any order and in parallel,
// and the same seed always gives the same world.
type Generator struct {
	Seed int64
	ref  *Reference

	regions    []Region
	regionPick weighted
	birthPick  weighted // other-region births, southern regions weighted up
	byRegion   []regionData
	profCodes  []int
	profPick   weighted
	profs      map[int]profData
	foreign    weighted
	nationalSN weighted
	maleN      weighted
	femaleN    weighted
	maleDE     weighted
	femaleDE   weighted
}

type regionData struct {
	comuni      []Comune
	comunePick  weighted // by hospitals located there: births happen in hospitals
	asl         []Org
	aslPick     weighted
	public      []Org
	publicPick  weighted
	private     []Org
	privatePick weighted
	surnames    []string
	surnamePick weighted
}

type profData struct {
	model       profModel
	disciplines []int
	discPick    weighted
	settings    settingChoice
	byDisc      map[int]settingChoice // disciplines that decide the setting
}

type settingChoice struct {
	names []string
	pick  weighted
}

// NewGenerator prepares the weighted tables of the reference data.
func NewGenerator(ref *Reference, seed int64) (*Generator, error) {
	g := &Generator{Seed: seed, ref: ref, profs: map[int]profData{}}
	var popW, birthW []float64
	index := map[string]int{}
	for _, r := range ref.Regions {
		p, ok := regionPopulation[r.MinsalCode]
		if !ok {
			continue
		}
		index[r.MinsalCode] = len(g.regions)
		g.regions = append(g.regions, r)
		popW = append(popW, float64(p))
		f := 1.0
		if southern[r.MinsalCode] {
			f = 1.6
		}
		birthW = append(birthW, float64(p)*f)
	}
	if len(g.regions) != len(regionPopulation) {
		return nil, fmt.Errorf("seed: found %d of the %d regions in the reference data", len(g.regions), len(regionPopulation))
	}
	g.regionPick, g.birthPick = newWeighted(popW), newWeighted(birthW)
	g.byRegion = make([]regionData, len(g.regions))
	byID := map[int64]int{}
	for i, r := range g.regions {
		byID[r.ID] = i
	}
	for _, c := range ref.Comuni {
		if i, ok := index[comuneRegion(c)]; ok {
			g.byRegion[i].comuni = append(g.byRegion[i].comuni, c)
		}
	}
	hospitalsIn := map[string]int{}
	children := map[int64]int{}
	for _, o := range ref.Orgs {
		i, ok := byID[o.RegionID]
		if !ok {
			continue
		}
		rd := &g.byRegion[i]
		switch {
		case o.isASL():
			rd.asl = append(rd.asl, o)
		case o.isHospital():
			hospitalsIn[o.ComuneIstat]++
			children[o.ParentID]++
			if o.Public {
				rd.public = append(rd.public, o)
			} else {
				rd.private = append(rd.private, o)
			}
		}
	}
	for i := range g.byRegion {
		rd := &g.byRegion[i]
		if len(rd.comuni) == 0 {
			return nil, fmt.Errorf("seed: no comuni for region %s", g.regions[i].Name)
		}
		var cw []float64
		for _, c := range rd.comuni {
			cw = append(cw, float64(hospitalsIn[c.Istat]))
		}
		rd.comunePick = newWeighted(cw)
		var aw, pw, vw []float64
		for _, o := range rd.asl {
			aw = append(aw, 1+float64(children[o.ID]))
		}
		for _, o := range rd.public {
			pw = append(pw, hospitalWeight(o))
		}
		for _, o := range rd.private {
			vw = append(vw, hospitalWeight(o))
		}
		rd.aslPick, rd.publicPick, rd.privatePick = newWeighted(aw), newWeighted(pw), newWeighted(vw)
		rd.surnames = regionalSurnames[g.regions[i].MinsalCode]
		rd.surnamePick = newWeighted(zipf(len(rd.surnames), 0.7))
	}
	discs := map[int][]int{}
	for _, d := range ref.Disciplines {
		discs[d.ProfessionCode] = append(discs[d.ProfessionCode], d.Code)
	}
	var profW []float64
	for _, p := range ref.Professions {
		m, ok := professionModels[p.Code]
		if !ok || len(discs[p.Code]) == 0 {
			continue
		}
		pd := profData{model: m, disciplines: discs[p.Code]}
		var dw []float64
		for _, d := range pd.disciplines {
			w, ok := m.disciplines[d]
			if !ok {
				w = otherDiscipline
				if len(m.disciplines) == 0 {
					w = 1
				}
			}
			dw = append(dw, w)
		}
		pd.discPick = newWeighted(dw)
		pd.settings = settingTable(m.settings)
		pd.byDisc = map[int]settingChoice{}
		for _, d := range pd.disciplines {
			if m := disciplineSetting(p.Code, d); m != nil {
				pd.byDisc[d] = settingTable(m)
			}
		}
		g.profs[p.Code] = pd
		g.profCodes = append(g.profCodes, p.Code)
		profW = append(profW, m.weight)
	}
	if len(g.profCodes) == 0 {
		return nil, fmt.Errorf("seed: no profession of the reference data has a model")
	}
	g.profPick = newWeighted(profW)
	var fw []float64
	for _, f := range foreignBirthplaces {
		fw = append(fw, f.Weight)
	}
	g.foreign = newWeighted(fw)
	g.nationalSN = newWeighted(zipf(len(nationalSurnames), 0.8))
	g.maleN, g.femaleN = newWeighted(zipf(len(maleNames), 0.7)), newWeighted(zipf(len(femaleNames), 0.7))
	g.maleDE, g.femaleDE = newWeighted(zipf(len(maleNamesDE), 0.7)), newWeighted(zipf(len(femaleNamesDE), 0.7))
	return g, nil
}

func settingTable(m map[string]float64) settingChoice {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names) // map order is random: sort for determinism
	var ws []float64
	for _, n := range names {
		ws = append(ws, m[n])
	}
	return settingChoice{names: names, pick: newWeighted(ws)}
}

// rng returns the random stream of row i (attempt > 0 for redraws after a codice fiscale
// collision): a PCG seeded from the dataset seed and the row, independent of other rows.
func (g *Generator) rng(i, attempt int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.Seed), uint64(i)<<8|uint64(attempt)))
}

// Professional returns row i of the world.
func (g *Generator) Professional(i int) Professional {
	r := g.rng(i, 0)
	p := Professional{Index: i}
	ri := g.regionPick.pick(r)
	reg := g.regions[ri]
	rd := &g.byRegion[ri]
	p.RegionID, p.RegionCode = reg.ID, reg.MinsalCode

	pc := g.profCodes[g.profPick.pick(r)]
	pd := g.profs[pc]
	p.ProfessionCode = pc
	p.DisciplineCode = pd.disciplines[pd.discPick.pick(r)]

	p.Sex = "M"
	if r.Float64() < pd.model.female {
		p.Sex = "F"
	}
	g.names(r, &p, rd, reg.MinsalCode)
	g.birth(r, &p, pd.model.minAge, ri, pc)

	sc, ok := pd.byDisc[p.DisciplineCode]
	if !ok {
		sc = pd.settings
	}
	p.Placement = sc.names[sc.pick.pick(r)]
	p.CareSetting = careOf[p.Placement]
	g.place(r, &p, rd)
	p.JobRole = jobRole(r, pc, p.Placement)
	p.Email = emailNames[p.GivenName] + "." + emailNames[p.FamilyName] + "." + strconv.FormatInt(int64(i), 36) + "@example.org"
	return p
}

func (g *Generator) names(r *rand.Rand, p *Professional, rd *regionData, region string) {
	if len(rd.surnames) > 0 && r.Float64() < 0.35 {
		p.FamilyName = rd.surnames[rd.surnamePick.pick(r)]
	} else {
		p.FamilyName = nationalSurnames[g.nationalSN.pick(r)]
	}
	german := region == "041" && r.Float64() < 0.65
	switch {
	case p.Sex == "F" && german:
		p.GivenName = femaleNamesDE[g.femaleDE.pick(r)]
	case p.Sex == "F":
		p.GivenName = femaleNames[g.femaleN.pick(r)]
	case german:
		p.GivenName = maleNamesDE[g.maleDE.pick(r)]
	default:
		p.GivenName = maleNames[g.maleN.pick(r)]
	}
}

// birth draws the birth date (ages minAge–67, weighted towards an ageing workforce) and the
// birthplace: mostly in the region of work, some elsewhere in Italy (more from the south),
// a few abroad (more among nurses).
func (g *Generator) birth(r *rand.Rand, p *Professional, minAge, ri, profession int) {
	var age float64
	if r.Float64() < 0.65 {
		age = float64(minAge) + r.Float64()*float64(67-minAge)
	} else {
		age = 48 + r.Float64()*18
	}
	days := int(age*365.25) + r.IntN(365)
	p.BirthDate = refDate.AddDate(0, 0, -days)
	foreign := 0.03
	if profession == 14 || profession == 15 {
		foreign = 0.08
	}
	if r.Float64() < foreign {
		p.BirthplaceCode = foreignBirthplaces[g.foreign.pick(r)].Code
		return
	}
	bi := ri
	if r.Float64() < 0.25 {
		bi = g.birthPick.pick(r)
	}
	rd := &g.byRegion[bi]
	ci := -1
	if r.Float64() < 0.55 {
		ci = rd.comunePick.pick(r)
	}
	if ci < 0 {
		ci = r.IntN(len(rd.comuni))
	}
	p.BirthplaceCode = rd.comuni[ci].Belfiore
}

// place sets employment and organisation from the care setting.
func (g *Generator) place(r *rand.Rand, p *Professional, rd *regionData) {
	pickOrg := func(orgs []Org, w weighted) int64 {
		if i := w.pick(r); i >= 0 {
			return orgs[i].ID
		}
		return 0
	}
	asl := func() int64 { return pickOrg(rd.asl, rd.aslPick) }
	p.Employment = EmployeeEmployment
	switch p.Placement {
	case placeHospital, placeEmergency:
		if r.Float64() < 0.7 {
			p.OrganisationID = pickOrg(rd.public, rd.publicPick)
		}
		if p.OrganisationID == 0 {
			p.OrganisationID = asl()
		}
	case placeResidential:
		if r.Float64() < 0.6 {
			p.OrganisationID = pickOrg(rd.private, rd.privatePick)
		}
	case placePrivate:
		p.OrganisationID = pickOrg(rd.private, rd.privatePick)
		if p.OrganisationID == 0 {
			p.OrganisationID = pickOrg(rd.public, rd.publicPick)
		}
	case placePrimary:
		p.Employment = ContractEmployment
		p.OrganisationID = asl()
	case placeTerritory, placePrevention:
		p.OrganisationID = asl()
	case placeManagement:
		if r.Float64() < 0.5 {
			p.OrganisationID = pickOrg(rd.public, rd.publicPick)
		}
		if p.OrganisationID == 0 {
			p.OrganisationID = asl()
		}
	case placePharmacy:
		if r.Float64() < 0.45 {
			p.Employment = FreelanceEmployment // owners; the rest are employed by a pharmacy
		}
	case placePractice:
		p.Employment = FreelanceEmployment
	}
}

// jobRole draws the role: mostly clinicians, with coordinators among nurses and
// technicians, managers (heads of unit, directors), and a few trainers and researchers.
func jobRole(r *rand.Rand, profession int, placement string) string {
	if placement == placeManagement {
		return RoleManager
	}
	x := r.Float64()
	switch {
	case x < 0.01:
		return RoleTrainer
	case x < 0.025 && (placement == placeHospital || placement == placePrivate):
		return RoleResearcher
	}
	switch profession {
	case 1, 3, 4, 5, 6, 7, 8:
		if placement == placeHospital && x < 0.10 {
			return RoleManager // direttore di struttura complessa
		}
	case 14, 15, 18, 27, 28, 12:
		if x < 0.11 {
			return RoleCoordinator
		}
		if x < 0.13 {
			return RoleManager // dirigente delle professioni sanitarie
		}
	}
	return RoleClinician
}

// emailNames holds every name of the lists as it appears in the synthetic e-mail addresses
// (name.surname.row@example.org, on the domain RFC 2606 reserves): ASCII, lower case, no
// spaces or apostrophes. Computed once: transliterating per row was most of the cost of
// generating a professional.
var emailNames = func() map[string]string {
	m := map[string]string{}
	clean := strings.NewReplacer(" ", "", "'", "", "-", "", ".", "")
	lists := [][]string{nationalSurnames, maleNames, femaleNames, maleNamesDE, femaleNamesDE}
	for _, l := range regionalSurnames {
		lists = append(lists, l)
	}
	for _, l := range lists {
		for _, n := range l {
			m[n] = clean.Replace(strings.ToLower(textnorm.ASCIIName(n)))
		}
	}
	return m
}()

// Redraw changes the birth date of p deterministically (attempt 1, 2, …), the way the
// generator resolves two people whose codici fiscali would be equal. Real homonyms get an
// omocodia variant from the Agenzia delle Entrate, but the registry folds those back to
// one code for comparison, so distinct synthetic people must differ in their base code.
func (g *Generator) Redraw(p *Professional, attempt int) {
	r := g.rng(p.Index, attempt)
	p.BirthDate = p.BirthDate.AddDate(0, 0, 1+r.IntN(60))
	if !p.BirthDate.Before(refDate.AddDate(-20, 0, 0)) {
		p.BirthDate = p.BirthDate.AddDate(0, 0, -120)
	}
}
