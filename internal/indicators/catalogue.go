// Package indicators holds the FSE 2.0 and telemedicine adoption indicators (domain.md §5)
// per region, organisation and period, their CSV import, and the view that puts them beside
// the training figures of internal/monitor for the same region and period: before/after
// between two periods and a correlation across regions.
//
// Indicator values are public aggregates (the Ministry and Agenas publish them per region),
// so every signed-in user may read them. Training figures are not read here: they come only
// through monitor.Service.Table, which applies the caller's scope and small-cell suppression.
package indicators

import "strings"

// Families of indicators, as the official FSE monitoring names them (Utilizzo, Attuazione)
// plus telemedicine.
const (
	FamilyFSEUsage = "fse-utilizzo"
	FamilyFSEImpl  = "fse-attuazione"
	FamilyTelemed  = "telemedicina"
)

// Families lists the families in display order.
var Families = []string{FamilyFSEUsage, FamilyFSEImpl, FamilyTelemed}

// Def is one indicator of the catalogue.
type Def struct {
	Code   string  `json:"code"`
	Family string  `json:"family"`
	NameIT string  `json:"name_it"`
	NameEN string  `json:"name_en"`
	Unit   string  `json:"unit"` // "%" or "n" (a count)
	Min    float64 `json:"min"`  // the valid range: values outside are refused at import
	Max    float64 `json:"max"`
	// PublishedLo/Hi is the range of the published regional values (domain.md §5), which the
	// synthetic demo values stay within.
	PublishedLo float64 `json:"published_lo"`
	PublishedHi float64 `json:"published_hi"`
	// National is the latest published national figure (0 when none is published).
	National float64 `json:"national,omitempty"`
	Source   string  `json:"source"`
	// Ambito is the portfolio ambito whose mean level is the relevant training figure.
	Ambito string `json:"ambito"`
	// PerPopulation marks counts that scale with the region's population (the demo uses it).
	PerPopulation bool `json:"-"`
}

// Name is the indicator's name in lang.
func (d Def) Name(lang string) string {
	if lang == "en" {
		return d.NameEN
	}
	return d.NameIT
}

// Percent reports whether the indicator is a percentage.
func (d Def) Percent() bool { return d.Unit == "%" }

const (
	srcFSE       = "https://www.fascicolosanitario.gov.it/monitoraggio"
	srcTelemed   = "https://www.doctor33.it/articolo/66856/"
	srcWorkplace = "Piani operativi regionali di telemedicina 2023"
)

// Catalogue lists the indicators with a sound published definition. Left out on purpose:
// "citizens with at least one document" (published nationally only, and a count of citizens
// rather than of adoption) and televisite counts (no public definition per region).
var Catalogue = []Def{
	{Code: "fse_uso_90g", Family: FamilyFSEUsage, NameIT: "Cittadini che hanno usato il FSE negli ultimi 90 giorni", NameEN: "Citizens who used the FSE in the last 90 days",
		Unit: "%", Min: 0, Max: 100, PublishedLo: 1, PublishedHi: 65, National: 21, Source: srcFSE, Ambito: "D2.A1"},
	{Code: "fse_consenso", Family: FamilyFSEUsage, NameIT: "Cittadini con consenso alla consultazione del FSE", NameEN: "Citizens who consented to FSE consultation",
		Unit: "%", Min: 0, Max: 100, PublishedLo: 1, PublishedHi: 92, National: 44, Source: srcFSE, Ambito: "D2.A1"},
	{Code: "fse_mmg_pls", Family: FamilyFSEUsage, NameIT: "MMG/PLS con almeno un'operazione sul FSE nel trimestre", NameEN: "GPs/paediatricians with at least one FSE operation in the quarter",
		Unit: "%", Min: 0, Max: 100, PublishedLo: 40, PublishedHi: 100, National: 95.2, Source: srcFSE, Ambito: "D2.A1"},
	{Code: "fse_specialisti", Family: FamilyFSEUsage, NameIT: "Medici specialisti abilitati alla consultazione del FSE", NameEN: "Specialists enabled to consult the FSE",
		Unit: "%", Min: 0, Max: 100, PublishedLo: 1, PublishedHi: 90, Source: srcFSE, Ambito: "D2.A1"},
	{Code: "fse_tipologie_doc", Family: FamilyFSEImpl, NameIT: "Tipologie documentali disponibili nel FSE (su 16 monitorate)", NameEN: "Document types available in the FSE (of 16 monitored)",
		Unit: "%", Min: 0, Max: 100, PublishedLo: 40, PublishedHi: 93, National: 68, Source: srcFSE, Ambito: "D2.A1"},
	{Code: "fse_servizi", Family: FamilyFSEImpl, NameIT: "Servizi disponibili nel FSE", NameEN: "Services available in the FSE",
		Unit: "%", Min: 0, Max: 100, PublishedLo: 18, PublishedHi: 75, Source: srcFSE, Ambito: "D2.A2"},
	{Code: "tm_pazienti", Family: FamilyTelemed, NameIT: "Pazienti assistiti in telemedicina (cumulato)", NameEN: "Patients assisted by telemedicine (cumulative)",
		Unit: "n", Min: 0, Max: 2_000_000, PublishedLo: 0, PublishedHi: 467_479, National: 467_479, Source: srcTelemed, Ambito: "D3.A2", PerPopulation: true},
	{Code: "tm_postazioni", Family: FamilyTelemed, NameIT: "Postazioni di telemedicina attive", NameEN: "Active telemedicine workstations",
		Unit: "n", Min: 0, Max: 200_000, PublishedLo: 0, PublishedHi: 90_369, National: 90_369, Source: srcWorkplace, Ambito: "D3.A1", PerPopulation: true},
}

var byCode = func() map[string]Def {
	m := map[string]Def{}
	for _, d := range Catalogue {
		m[d.Code] = d
	}
	return m
}()

// Lookup returns the indicator of code (case and surrounding spaces ignored).
func Lookup(code string) (Def, bool) {
	d, ok := byCode[strings.ToLower(strings.TrimSpace(code))]
	return d, ok
}

// Codes lists the indicator codes in catalogue order.
func Codes() []string {
	out := make([]string, len(Catalogue))
	for i, d := range Catalogue {
		out[i] = d.Code
	}
	return out
}

// SyntheticSource is the source of the demo values; the UI labels every such value.
const SyntheticSource = "sintetico / synthetic"

// IsSynthetic reports whether a source marks a synthetic value.
func IsSynthetic(source string) bool {
	s := strings.ToLower(source)
	return strings.Contains(s, "sintetic") || strings.Contains(s, "synthetic")
}
