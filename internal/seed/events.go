package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Event is one synthetic ECM event of the catalogue: an Italian title and description built
// from real ECM themes, a type in the proportions of the programme's extraction (440 RES,
// 106 FAD, 71 FSC, 5 blended of 622), a provider, dates over ten years, hours and place.
type Event struct {
	Index       int
	Title       string
	Description string
	Type        string // RES, FAD, FSC, BLENDED
	Year        int
	Start, End  time.Time
	Hours       int
	Provider    int    // index of the synthetic provider (0 … Providers-1)
	RegionCode  string // Ministry code of the region of a residential event; "" online
	Online      bool
	Digital     bool   // a digital-health topic (FSE, telemedicine, data protection, AI…)
	Topic       string // key of the topic, e.g. "fse", "telemonitoraggio", "dolore"
	Keywords    []string
	MaxPeople   int
	Free        bool
	Professions []int // audience; empty = every profession
}

// eventTopic is a theme with title variants; digital topics carry the words the portfolio
// lines and the programme's keyword search (digitale, fascicolo, telemedicina, sanità
// digitale) look for.
type eventTopic struct {
	key         string
	digital     bool
	titles      []string
	professions []int // typical audience; nil = all
	weight      float64
}

var eventTopics = []eventTopic{
	{key: "fse", digital: true, weight: 6, titles: []string{
		"Il Fascicolo Sanitario Elettronico 2.0: alimentazione e consultazione",
		"Fascicolo sanitario elettronico e continuità delle cure",
		"Il FSE nella pratica quotidiana del medico di medicina generale",
		"Referti e documenti digitali nel Fascicolo Sanitario Elettronico",
	}},
	{key: "telemonitoraggio", digital: true, weight: 5, professions: []int{1, 14, 15}, titles: []string{
		"Telemonitoraggio dei pazienti cronici a domicilio",
		"Telemonitoraggio dello scompenso cardiaco: dati, allarmi e presa in carico",
		"Il telemonitoraggio del paziente diabetico",
	}},
	{key: "televisita", digital: true, weight: 5, titles: []string{
		"Televisita e teleconsulto: aspetti clinici, organizzativi e medico-legali",
		"La televisita specialistica nella Piattaforma Nazionale di Telemedicina",
		"Teleconsulto tra professionisti: strumenti e responsabilità",
	}},
	{key: "teleassistenza", digital: true, weight: 3, professions: []int{14, 15, 12, 16, 18}, titles: []string{
		"Teleassistenza infermieristica e teleriabilitazione",
		"Teleriabilitazione: evidenze e organizzazione del servizio",
	}},
	{key: "ricetta", digital: true, weight: 2, professions: []int{1, 2, 3}, titles: []string{
		"La ricetta elettronica dematerializzata",
		"Prescrizione digitale e farmacia dei servizi",
	}},
	{key: "privacy", digital: true, weight: 4, titles: []string{
		"Protezione dei dati personali in sanità: il GDPR per i professionisti",
		"Consenso, dossier sanitario e trattamento dei dati sanitari",
	}},
	{key: "cyber", digital: true, weight: 3, titles: []string{
		"Cybersicurezza in ospedale: riconoscere il phishing e proteggere i dati",
		"Sicurezza informatica per le aziende sanitarie",
	}},
	{key: "ia", digital: true, weight: 3, titles: []string{
		"Intelligenza artificiale nella diagnostica per immagini",
		"Intelligenza artificiale in medicina: opportunità, limiti ed etica",
		"Algoritmi e supporto alle decisioni cliniche",
	}},
	{key: "interoperabilita", digital: true, weight: 2, titles: []string{
		"Interoperabilità dei dati clinici e standard HL7 FHIR",
		"Dati sanitari, codifiche e qualità della documentazione clinica",
	}},
	{key: "sanita_digitale", digital: true, weight: 4, titles: []string{
		"Sanità digitale: competenze per il cambiamento",
		"Competenze digitali per l'infermiere di famiglia e comunità",
		"La Centrale Operativa Territoriale e gli strumenti digitali",
		"Comunicazione digitale con i pazienti e health literacy",
		"App e dispositivi indossabili per il paziente cronico",
		"Cartella clinica elettronica: documentare in sicurezza",
	}},
	{key: "dolore", weight: 8, titles: []string{"Il dolore cronico: valutazione e trattamento", "Trattamento del dolore acuto e cronico; palliazione"}},
	{key: "blsd", weight: 10, titles: []string{"BLSD – Basic Life Support e defibrillazione precoce", "PBLSD – Rianimazione cardiopolmonare pediatrica", "ALS – Advanced Life Support"}},
	{key: "ica", weight: 8, titles: []string{"La prevenzione delle infezioni correlate all'assistenza", "Igiene delle mani e precauzioni standard", "Antibiotico-resistenza e antimicrobial stewardship"}},
	{key: "rischio", weight: 8, titles: []string{"Rischio clinico e sicurezza del paziente", "Incident reporting e analisi degli eventi avversi", "La gestione del rischio in sala operatoria"}},
	{key: "cronicita", weight: 7, titles: []string{"Fragilità e cronicità: la presa in carico sul territorio", "Gestione del paziente con scompenso cardiaco", "Aggiornamenti in diabetologia", "BPCO: diagnosi e follow-up"}},
	{key: "emergenza", weight: 6, professions: []int{1, 14}, titles: []string{"Il triage in pronto soccorso", "Gestione delle vie aeree in emergenza", "Maxiemergenze e piano di afflusso"}},
	{key: "lesioni", weight: 4, professions: []int{14, 15, 1}, titles: []string{"Prevenzione e trattamento delle lesioni da pressione", "Wound care: medicazioni avanzate"}},
	{key: "nutrizione", weight: 3, titles: []string{"Nutrizione clinica nell'anziano fragile", "Disfagia: valutazione e gestione"}},
	{key: "vaccini", weight: 4, titles: []string{"Vaccinazioni nell'adulto e nell'anziano", "Comunicare la vaccinazione", "Calendario vaccinale e coperture"}},
	{key: "oncologia", weight: 5, professions: []int{1, 14, 3}, titles: []string{"Comunicazione efficace con il paziente oncologico", "Terapie oncologiche orali: aderenza e tossicità", "Cure palliative domiciliari"}},
	{key: "mentale", weight: 4, titles: []string{"Salute mentale di comunità", "Il burnout degli operatori sanitari", "Prevenzione del suicidio: riconoscere i segnali"}},
	{key: "materno", weight: 3, professions: []int{1, 14, 15, 18}, titles: []string{"Sostegno all'allattamento al seno", "Gravidanza fisiologica e percorso nascita", "Emergenze ostetriche"}},
	{key: "farmaco", weight: 4, professions: []int{1, 3, 14}, titles: []string{"Farmacovigilanza e segnalazione delle reazioni avverse", "Appropriatezza prescrittiva e deprescrizione nell'anziano", "Interazioni farmacologiche"}},
	{key: "radioprotezione", weight: 3, professions: []int{1, 2, 4, 27}, titles: []string{"Radioprotezione del paziente (D.Lgs. 101/2020)", "Ottimizzazione della dose in radiologia"}},
	{key: "lavoro", weight: 4, titles: []string{"Salute e sicurezza nei luoghi di lavoro in sanità", "Prevenzione delle aggressioni agli operatori sanitari", "Movimentazione manuale dei pazienti"}},
	{key: "riabilitazione", weight: 3, professions: []int{12, 16, 30, 1}, titles: []string{"Riabilitazione dopo ictus", "Riabilitazione respiratoria", "Esercizio terapeutico nel paziente ortopedico"}},
	{key: "ecografia", weight: 3, professions: []int{1}, titles: []string{"Ecografia clinica point-of-care", "Ecografia toracica in urgenza"}},
	{key: "etica", weight: 3, titles: []string{"Consenso informato e disposizioni anticipate di trattamento", "Etica e deontologia nelle professioni sanitarie", "Responsabilità professionale dopo la legge Gelli-Bianco"}},
	{key: "management", weight: 3, titles: []string{"Leadership e gestione dei gruppi di lavoro", "Percorsi diagnostico-terapeutici assistenziali (PDTA)", "Audit clinico e miglioramento della qualità"}},
	{key: "odontoiatria", weight: 3, professions: []int{2, 13}, titles: []string{"Implantologia: aggiornamenti", "Prevenzione della carie e igiene orale", "Sedazione cosciente in odontoiatria"}},
	{key: "veterinaria", weight: 2, professions: []int{4}, titles: []string{"Sicurezza alimentare e controlli ufficiali", "One Health: zoonosi emergenti"}},
}

var eventSuffixes = []string{"", "", "", " – aggiornamento", ": dalla teoria alla pratica", ": casi clinici", " per i professionisti del territorio",
	": corso base", ": corso avanzato", " – percorso formativo", ": linee guida e buone pratiche"}

var eventPrefixes = map[string][]string{
	"RES":     {"", "", "Corso: ", "Convegno: ", "Workshop: "},
	"FAD":     {"", "Corso FAD: ", "Webinar: ", "FAD asincrona: "},
	"FSC":     {"", "Gruppo di miglioramento: ", "Audit: ", "Training sul campo: "},
	"BLENDED": {"", "Percorso blended: "},
}

// EventGenerator draws the synthetic catalogue. Event(i) is a pure function of the seed and
// i, like Generator.Professional.
type EventGenerator struct {
	Seed      int64
	Providers int
	FromYear  int
	Years     int
	regions   []string
	regPick   weighted
	topicPick weighted
	typePick  weighted
	provPick  weighted
}

var eventTypes = []string{"RES", "FAD", "FSC", "BLENDED"}

// NewEventGenerator prepares a catalogue of events over years ending with lastYear,
// offered by providers providers (popularity of providers is Zipf-like: a few national
// providers run many events).
func NewEventGenerator(seed int64, providers, lastYear, years int) *EventGenerator {
	e := &EventGenerator{Seed: seed, Providers: max(1, providers), FromYear: lastYear - years + 1, Years: years}
	var pw []float64
	for c := range regionPopulation {
		e.regions = append(e.regions, c)
	}
	sort.Strings(e.regions)
	for _, c := range e.regions {
		pw = append(pw, float64(regionPopulation[c]))
	}
	e.regPick = newWeighted(pw)
	var tw []float64
	for _, t := range eventTopics {
		tw = append(tw, t.weight)
	}
	e.topicPick = newWeighted(tw)
	e.typePick = newWeighted([]float64{440, 106, 71, 5})
	e.provPick = newWeighted(zipf(e.Providers, 0.9))
	return e
}

// Event returns event i of the catalogue.
func (e *EventGenerator) Event(i int) Event {
	r := rand.New(rand.NewPCG(uint64(e.Seed)^0x9e3779b97f4a7c15, uint64(i)))
	t := eventTopics[e.topicPick.pick(r)]
	ev := Event{Index: i, Topic: t.key, Digital: t.digital, Professions: t.professions}
	ev.Type = eventTypes[e.typePick.pick(r)]
	prefixes := eventPrefixes[ev.Type]
	ev.Title = prefixes[r.IntN(len(prefixes))] + t.titles[r.IntN(len(t.titles))] + eventSuffixes[r.IntN(len(eventSuffixes))]
	// Events grow over the years (more providers, more FAD since 2020).
	year := e.FromYear + int(float64(e.Years)*risingUnit(r))
	ev.Year = min(year, e.FromYear+e.Years-1)
	// More events in the autumn, and in the last year of each triennium (2019, 2022, 2025)
	// when professionals catch up with their credits.
	month := 1 + r.IntN(12)
	if r.Float64() < 0.3 {
		month = 9 + r.IntN(4)
	}
	day := 1 + r.IntN(28)
	ev.Start = time.Date(ev.Year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	switch ev.Type {
	case "RES":
		ev.Hours = []int{4, 4, 6, 7, 8, 8, 12, 16}[r.IntN(8)]
		ev.End = ev.Start.AddDate(0, 0, (ev.Hours-1)/8)
		ev.RegionCode = e.regions[e.regPick.pick(r)]
		ev.MaxPeople = []int{25, 30, 50, 80, 100, 200}[r.IntN(6)]
	case "FAD":
		ev.Hours = []int{2, 4, 5, 6, 8, 10, 12, 20}[r.IntN(8)]
		ev.End = ev.Start.AddDate(0, 3+r.IntN(9), 0)
		ev.Online = true
		ev.MaxPeople = []int{500, 1000, 5000, 10000}[r.IntN(4)]
	case "FSC":
		ev.Hours = []int{8, 10, 12, 16, 20, 24}[r.IntN(6)]
		ev.End = ev.Start.AddDate(0, 2+r.IntN(6), 0)
		ev.RegionCode = e.regions[e.regPick.pick(r)]
		ev.MaxPeople = []int{8, 10, 12, 15, 20}[r.IntN(5)]
	default:
		ev.Hours = []int{8, 12, 16, 20}[r.IntN(4)]
		ev.End = ev.Start.AddDate(0, 1+r.IntN(3), 0)
		ev.RegionCode = e.regions[e.regPick.pick(r)]
		ev.MaxPeople = []int{30, 50, 100}[r.IntN(3)]
	}
	ev.Provider = e.provPick.pick(r)
	ev.Free = r.Float64() < 0.55
	ev.Keywords = eventKeywords(ev.Title)
	ev.Description = fmt.Sprintf("Evento formativo ECM (%s) di %d ore. Obiettivi: aggiornare conoscenze e competenze su %s, con discussione di casi ed esercitazioni.",
		ev.Type, ev.Hours, strings.ToLower(strings.TrimSuffix(t.titles[0], ".")))
	return ev
}

// risingUnit draws from [0, 1) with a density that rises towards 1: a catalogue grows
// over the years.
func risingUnit(r *rand.Rand) float64 { return math.Sqrt(r.Float64()) }

// eventKeywords are the words of the programme's keyword extraction found in the title.
func eventKeywords(title string) []string {
	t := strings.ToLower(title)
	var out []string
	for _, k := range []string{"digitale", "fascicolo", "telemedicina", "sanità digitale"} {
		if strings.Contains(t, k) {
			out = append(out, k)
		}
	}
	return out
}
