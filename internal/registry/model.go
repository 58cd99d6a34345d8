// Package registry owns ESD's national registry and its reference data: the 21 regions and
// autonomous provinces, the ECM professions, disciplines and national objectives, the comuni
// (for birthplace codes), health organisations (ASL and hospital structures, loaded from the
// Ministry lists) and ECM providers, and the health professionals themselves, with the bulk
// import of professionals from the CSV files HR offices export.
//
// Every method of Service checks the caller's role and scope (domain.ActorFrom) itself, so
// the web pages, the JSON API and the CLI share the same rules:
//
//   - organisations and reference data are visible to every authenticated user; national
//     governance creates and edits any organisation, a regional referent those of their region;
//   - professionals are individual data: national governance sees all, a regional referent
//     their region, an organisation's training office its own staff, a professional only
//     their own record (read only); providers and analysts see none. Out-of-scope records
//     are reported as not found.
package registry

import (
	"time"
)

// Organisation kinds. Health organisations come from the Ministry lists (kind by the HSP11
// structure type); ECM providers are organisations of kind provider whose code is their
// provider code.
const (
	KindASL        = "asl"        // azienda sanitaria locale (ASL, ASP, ATS, ULSS…)
	KindAO         = "ao"         // azienda ospedaliera (HSP11 type 0)
	KindAOU        = "aou"        // azienda ospedaliero-universitaria, policlinico (2.1, 2.2, 2.3)
	KindIRCCS      = "irccs"      // istituto di ricovero e cura a carattere scientifico (3.1–3.3)
	KindPresidio   = "presidio"   // hospital run directly by an ASL (1)
	KindClassified = "classified" // classified or equivalent hospital, USL-qualified institute (4, 8)
	KindPrivate    = "private"    // private clinic, accredited or not (5.1, 5.2)
	KindResearch   = "research"   // research body (9)
	KindProvider   = "provider"   // ECM training provider
	KindOther      = "other"
)

// OrganisationKinds lists the kinds in display order.
var OrganisationKinds = []string{KindASL, KindAO, KindAOU, KindIRCCS, KindPresidio, KindClassified, KindPrivate, KindResearch, KindProvider, KindOther}

// structureKinds maps the HSP11 tipo_struttura code to a kind.
var structureKinds = map[string]string{
	"0": KindAO, "1": KindPresidio, "2.1": KindAOU, "2.2": KindAOU, "2.3": KindAOU,
	"3.1": KindIRCCS, "3.2": KindIRCCS, "3.3": KindIRCCS, "4": KindClassified,
	"5.1": KindPrivate, "5.2": KindPrivate, "8": KindClassified, "9": KindResearch,
}

// Employment relationships of a professional.
var Employments = []string{"dipendente", "convenzionato", "libero_professionista"}

// CareSettings are where a professional works.
var CareSettings = []string{"ospedale", "territorio", "prevenzione", "farmacia", "direzione", "emergenza", "residenziale", "altro"}

// JobRoles are a professional's role in their setting ("" = not stated).
var JobRoles = []string{"clinico", "coordinatore", "dirigente", "formatore", "ricercatore", "altro"}

// Region is a Region or autonomous province. Its id is the numeric Ministry of Health code
// (Piemonte 10, PA Bolzano 41, PA Trento 42, Veneto 50, Toscana 90…).
type Region struct {
	ID         int64  `json:"id"`
	ISTATCode  string `json:"istat_code"`
	MinSalCode string `json:"minsal_code"`
	ISOCode    string `json:"iso_code"`
	Name       string `json:"name"`
}

// Profession is one of the 30 ECM professions with its disciplines.
type Profession struct {
	Code        int          `json:"code"`
	Name        string       `json:"name"`
	Disciplines []Discipline `json:"disciplines"`
}

// Discipline belongs to exactly one profession.
type Discipline struct {
	Code           int    `json:"code"`
	ProfessionCode int    `json:"profession_code"`
	Name           string `json:"name"`
}

// Objective is a national ECM training objective of one list version (2 = 2018, 3 = 2019).
type Objective struct {
	ListVersion int    `json:"list_version"`
	Code        int    `json:"code"`
	Category    string `json:"category"`
	Name        string `json:"name"`
}

// Comune is a comune with its Belfiore (cadastral) code.
type Comune struct {
	ISTATCode    string `json:"istat_code"`
	BelfioreCode string `json:"belfiore_code"`
	Name         string `json:"name"`
	Province     string `json:"province"`
	RegionName   string `json:"region_name"`
}

// Organisation is a health organisation (ASL, hospital structure…) or an ECM provider.
type Organisation struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"`
	Code          string    `json:"code"`
	Name          string    `json:"name"`
	RegionID      int64     `json:"region_id,omitempty"`
	RegionName    string    `json:"region_name,omitempty"`
	ParentID      int64     `json:"parent_id,omitempty"`
	ParentName    string    `json:"parent_name,omitempty"`
	StructureType string    `json:"structure_type,omitempty"`
	Public        bool      `json:"public"`
	LegalNature   string    `json:"legal_nature,omitempty"`
	ComuneISTAT   string    `json:"comune_istat,omitempty"`
	ComuneName    string    `json:"comune_name,omitempty"`
	ValidFrom     string    `json:"valid_from,omitempty"` // YYYY-MM-DD
	ValidTo       string    `json:"valid_to,omitempty"`
	Source        string    `json:"source,omitempty"` // "reference" when loaded from the Ministry lists
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// OrganisationInput is what a user sends to create or edit an organisation.
type OrganisationInput struct {
	Kind          string `json:"kind"`
	Code          string `json:"code"`
	Name          string `json:"name"`
	RegionID      int64  `json:"region_id"`
	ParentID      int64  `json:"parent_id"`
	StructureType string `json:"structure_type"`
	Public        bool   `json:"public"`
	LegalNature   string `json:"legal_nature"`
	ComuneISTAT   string `json:"comune_istat"`
	ValidFrom     string `json:"valid_from"`
	ValidTo       string `json:"valid_to"`
}

// OrganisationFilter narrows a list of organisations.
type OrganisationFilter struct {
	Query    string // accent-insensitive, matched against name and code
	RegionID int64
	Kind     string
	ParentID int64
	Page     int // 1-based
	PerPage  int
}

// OrganisationPage is one page of organisations.
type OrganisationPage struct {
	Items   []Organisation `json:"items"`
	Page    int            `json:"page"`
	PerPage int            `json:"per_page"`
	HasMore bool           `json:"has_more"`
}

// Pair is one profession/discipline pair of a professional.
type Pair struct {
	Profession     int    `json:"profession"`
	Discipline     int    `json:"discipline"`
	ProfessionName string `json:"profession_name,omitempty"`
	DisciplineName string `json:"discipline_name,omitempty"`
}

// Professional is a health professional of the registry.
type Professional struct {
	ID int64 `json:"id"`
	// CF is the codice fiscale in its normalised form (the natural key); CFDisplay as given.
	CF               string    `json:"codice_fiscale"`
	CFDisplay        string    `json:"codice_fiscale_display"`
	FamilyName       string    `json:"family_name"`
	GivenName        string    `json:"given_name"`
	BirthDate        string    `json:"birth_date,omitempty"` // YYYY-MM-DD, from the codice fiscale
	Sex              string    `json:"sex,omitempty"`
	BirthplaceCode   string    `json:"birthplace_code,omitempty"`
	BirthplaceName   string    `json:"birthplace_name,omitempty"`
	RegionID         int64     `json:"region_id"`
	RegionName       string    `json:"region_name,omitempty"`
	OrganisationID   int64     `json:"organisation_id,omitempty"`
	OrganisationName string    `json:"organisation_name,omitempty"`
	Employment       string    `json:"employment"`
	CareSetting      string    `json:"care_setting"`
	JobRole          string    `json:"job_role,omitempty"`
	Email            string    `json:"email,omitempty"`
	Professions      []Pair    `json:"professions"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// ProfessionalInput is what a user sends to create or edit a professional.
type ProfessionalInput struct {
	CF             string `json:"codice_fiscale"`
	FamilyName     string `json:"family_name"`
	GivenName      string `json:"given_name"`
	Email          string `json:"email"`
	Professions    []Pair `json:"professions"`
	RegionID       int64  `json:"region_id"`
	OrganisationID int64  `json:"organisation_id"`
	Employment     string `json:"employment"`
	CareSetting    string `json:"care_setting"`
	JobRole        string `json:"job_role"`
}

// ProfessionalFilter narrows a list of professionals.
type ProfessionalFilter struct {
	Query          string // accent-insensitive word starts of the name ("ross" finds Rossi), or the start of a codice fiscale
	RegionID       int64
	OrganisationID int64
	Profession     int
	Page           int // 1-based
	PerPage        int
}

// ProfessionalPage is one page of professionals.
type ProfessionalPage struct {
	Items   []Professional `json:"items"`
	Page    int            `json:"page"`
	PerPage int            `json:"per_page"`
	HasMore bool           `json:"has_more"`
}

func pageBounds(page, per int) (int, int) {
	if per <= 0 {
		per = 50
	}
	if per > 200 {
		per = 200
	}
	if page <= 0 {
		page = 1
	}
	return page, per
}
