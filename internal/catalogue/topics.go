package catalogue

import (
	_ "embed" // the topic → line table
	"strings"

	"esd/internal/italian"
)

// Topic is a subject of digital-health training, used to write realistic events (the demo
// catalogue, the benchmark catalogue) and to label the suggestion test set. A topic is
// resolved to the lines of whatever portfolio is loaded by its phrases: a line belongs to
// the topic when its analysed title contains one of them (or, failing any title match, its
// description). Labels therefore survive a new portfolio version as long as its lines
// still name their subject.
type Topic struct {
	Key     string
	Phrases []string
	// Titles are title templates; {prof}, {setting} and {fmt} are filled in.
	Titles []string
	// Descriptions are short descriptions; one is picked per event.
	Descriptions []string
	// Objective is the national ECM objective usually declared.
	Objective int
}

// Topics are the subjects of the generated catalogues.
var Topics = []Topic{
	{Key: "fse_consultazione", Phrases: []string{"consultazione fascicolo", "consultare fascicolo", "uso fascicolo", "fascicolo sanitario elettronico"}, Objective: 17,
		Titles: []string{"Il Fascicolo Sanitario Elettronico 2.0 nella pratica clinica {prof}", "Consultare il FSE {setting}: casi pratici",
			"Fascicolo Sanitario Elettronico: accesso e consultazione dei documenti del paziente", "FSE 2.0 {fmt} {prof}",
			"Il fascicolo elettronico del paziente: cosa cercare e come usarlo {setting}", "La sanità digitale e il Fascicolo Sanitario Elettronico {prof}"},
		Descriptions: []string{"Come accedere al FSE, cercare referti e documenti e usarli nella decisione clinica.", "Esercitazioni guidate sulla consultazione del fascicolo e sui servizi regionali."}},
	{Key: "fse_alimentazione", Phrases: []string{"alimentazione fascicolo", "alimentare fascicolo", "documenti clinici strutturati"}, Objective: 17,
		Titles: []string{"Alimentare il Fascicolo Sanitario Elettronico: referti e lettere di dimissione", "Documenti clinici strutturati per il FSE {setting}",
			"Invio dei referti al Fascicolo: obblighi e buone pratiche {prof}", "Il FSE 2.0 e la produzione di documenti digitali {setting}"},
		Descriptions: []string{"Produzione e invio al FSE dei documenti firmati digitalmente, formati CDA e controlli di qualità."}},
	{Key: "fse_consenso", Phrases: []string{"consenso oscuramento", "oscuramento", "consenso fascicolo"}, Objective: 7,
		Titles: []string{"Consenso e oscuramento dei dati nel Fascicolo Sanitario Elettronico", "FSE e diritti del paziente: consenso alla consultazione e oscuramento",
			"Il consenso al FSE spiegato al cittadino {setting}"},
		Descriptions: []string{"Regole del consenso alla consultazione, oscuramento dei documenti e comunicazione con il paziente."}},
	{Key: "patient_summary", Phrases: []string{"profilo sanitario sintetico", "patient summary"}, Objective: 3,
		Titles: []string{"Il Profilo Sanitario Sintetico del medico di medicina generale", "Patient Summary: redazione e aggiornamento nel FSE",
			"Profilo sanitario sintetico e continuità delle cure {setting}"},
		Descriptions: []string{"Contenuti, aggiornamento e uso del Patient Summary da parte di MMG e PLS."}},
	{Key: "ricetta", Phrases: []string{"ricetta elettronica", "ricetta dematerializzata", "prescrizione farmaceutica"}, Objective: 17,
		Titles: []string{"La ricetta elettronica dematerializzata {prof}", "Ricetta dematerializzata e dispensazione in farmacia: novità normative",
			"Prescrizione elettronica dei farmaci: errori frequenti e appropriatezza", "Dalla ricetta rossa alla ricetta digitale {setting}"},
		Descriptions: []string{"Flussi della ricetta dematerializzata, promemoria al paziente, dispensazione e controlli."}},
	{Key: "prescrizione_specialistica", Phrases: []string{"prescrizione specialistica", "prenotazione"}, Objective: 4,
		Titles: []string{"Prescrizione specialistica elettronica, priorità e prenotazione CUP", "Appropriatezza prescrittiva e prenotazione online delle prestazioni",
			"Le classi di priorità nella ricetta specialistica digitale {prof}"},
		Descriptions: []string{"Ricetta specialistica, classi di priorità, tempi di attesa e prenotazione tramite CUP."}},
	{Key: "cartella_clinica", Phrases: []string{"cartella clinica elettronica", "documentazione clinica"}, Objective: 3,
		Titles: []string{"La cartella clinica elettronica in reparto", "Documentazione infermieristica digitale {setting}",
			"Cartella clinica informatizzata: qualità della documentazione {prof}", "Dalla carta al digitale: la cartella clinica elettronica {setting}"},
		Descriptions: []string{"Uso corretto della cartella clinica elettronica, tracciabilità e qualità della documentazione."}},
	{Key: "firma_digitale", Phrases: []string{"firma digitale", "documento informatico"}, Objective: 17,
		Titles: []string{"Firma digitale e documento informatico in sanità", "Firma elettronica dei referti e conservazione digitale",
			"Il documento informatico sanitario: validità e conservazione"},
		Descriptions: []string{"Firma elettronica qualificata, validità legale e conservazione dei documenti clinici."}},
	{Key: "televisita", Phrases: []string{"televisita"}, Objective: 17,
		Titles: []string{"La televisita {setting}: requisiti e organizzazione", "Televisita {prof}: dalla teoria alla pratica",
			"Telemedicina: condurre una televisita efficace", "Visite a distanza in videochiamata: la televisita {setting}", "Televisite in pediatria di libera scelta"},
		Descriptions: []string{"Requisiti tecnici e clinici, consenso, documentazione e comunicazione durante la televisita."}},
	{Key: "teleconsulto", Phrases: []string{"teleconsulto", "teleconsulenza"}, Objective: 8,
		Titles: []string{"Teleconsulto tra ospedale e territorio", "Teleconsulenza specialistica {prof}", "Telemedicina e teleconsulto in dermatologia",
			"Il teleconsulto multidisciplinare nelle reti oncologiche"},
		Descriptions: []string{"Organizzazione del consulto a distanza tra professionisti, condivisione di immagini e referti."}},
	{Key: "telemonitoraggio", Phrases: []string{"telemonitoraggio"}, Objective: 22,
		Titles: []string{"Telemonitoraggio dei pazienti cronici {setting}", "Il telemonitoraggio dello scompenso cardiaco: strumenti e organizzazione",
			"Monitoraggio a distanza dei parametri vitali {prof}", "Telemedicina e telemonitoraggio del paziente diabetico",
			"Telemonitoraggio della BPCO: percorsi, allarmi e ruolo dell'infermiere", "Sanità digitale e telemonitoraggio domiciliare"},
		Descriptions: []string{"Selezione dei pazienti, dispositivi, gestione degli allarmi e integrazione con il piano di cura.", "Casi clinici di monitoraggio remoto nelle malattie croniche."}},
	{Key: "teleassistenza", Phrases: []string{"teleassistenza", "teleriabilitazione"}, Objective: 22,
		Titles: []string{"Teleassistenza infermieristica a domicilio", "Teleriabilitazione dopo ictus: esperienze e strumenti", "Teleassistenza {setting} {prof}",
			"Telemedicina per le professioni sanitarie: la teleassistenza"},
		Descriptions: []string{"Assistenza e riabilitazione a distanza da parte delle professioni sanitarie, con esercitazioni."}},
	{Key: "telerefertazione", Phrases: []string{"telerefertazione", "telediagnostica"}, Objective: 37,
		Titles:       []string{"Telerefertazione dell'ECG {setting}", "Telediagnostica e refertazione a distanza in radiologia", "Telerefertazione: responsabilità e organizzazione"},
		Descriptions: []string{"Refertazione a distanza di esami strumentali, tempi, responsabilità e qualità."}},
	{Key: "telemedicina_organizzazione", Phrases: []string{"modelli organizzativi", "piattaforma nazionale", "organizzazione telemedicina"}, Objective: 11,
		Titles: []string{"Telemedicina: modelli organizzativi e Piattaforma Nazionale", "Organizzare i servizi di telemedicina in azienda sanitaria",
			"La telemedicina nel DM 77: Case della Comunità e Centrali Operative Territoriali", "Telemedicina e PNRR: dall'infrastruttura ai servizi {setting}",
			"La telemedicina {prof}: opportunità e regole"},
		Descriptions: []string{"Servizi minimi di telemedicina, infrastrutture regionali, ruoli e percorsi di presa in carico."}},
	{Key: "telemedicina_etica", Phrases: []string{"aspetti giuridici", "giuridici etici"}, Objective: 6,
		Titles:       []string{"Aspetti giuridici ed etici della telemedicina", "Responsabilità professionale nelle prestazioni di telemedicina"},
		Descriptions: []string{"Responsabilità, consenso informato e qualità nelle prestazioni a distanza."}},
	{Key: "privacy", Phrases: []string{"protezione dati personali", "privacy"}, Objective: 7,
		Titles: []string{"Privacy e protezione dei dati personali in sanità {prof}", "Il GDPR in ambulatorio: trattamento dei dati sanitari",
			"Protezione dei dati personali {setting}: casi pratici", "Privacy e sanità digitale: cosa cambia per i professionisti"},
		Descriptions: []string{"Basi giuridiche del trattamento, informativa, consenso, violazioni dei dati e ruolo del DPO."}},
	{Key: "cybersecurity", Phrases: []string{"sicurezza informatica", "cybersecurity"}, Objective: 17,
		Titles: []string{"Cybersecurity in ospedale: minacce e risposta agli incidenti", "Sicurezza informatica {prof}", "Ransomware e continuità operativa in azienda sanitaria",
			"Sicurezza informatica e sanità digitale: la cultura della protezione"},
		Descriptions: []string{"Minacce informatiche, ransomware, gestione degli incidenti e continuità dei servizi clinici."}},
	{Key: "phishing", Phrases: []string{"phishing", "comportamenti sicuri"}, Objective: 17,
		Titles: []string{"Riconoscere il phishing: comportamenti sicuri al lavoro", "Password, phishing e dispositivi: igiene digitale {prof}",
			"Proteggere il proprio PC e lo smartphone in reparto"},
		Descriptions: []string{"Esercitazioni su e-mail fraudolente, autenticazione a più fattori e uso sicuro dei dispositivi."}},
	{Key: "interoperabilita", Phrases: []string{"interoperabilita", "hl7", "fhir"}, Objective: 17,
		Titles: []string{"Standard HL7 FHIR per l'interoperabilità dei dati clinici", "Interoperabilità dei sistemi informativi sanitari", "HL7 CDA e FHIR: introduzione per clinici",
			"Interoperabilità e sanità digitale: scambiare dati tra ospedale e territorio"},
		Descriptions: []string{"Profili, risorse e documenti strutturati per lo scambio di dati tra applicativi."}},
	{Key: "codifiche", Phrases: []string{"codifiche", "terminologie"}, Objective: 3,
		Titles:       []string{"Codifica delle diagnosi con ICD e SNOMED CT", "Terminologie cliniche e LOINC in laboratorio", "La codifica corretta della SDO {setting}"},
		Descriptions: []string{"Classificazioni e terminologie per dati clinici confrontabili."}},
	{Key: "dati_analisi", Phrases: []string{"analisi dati", "cruscotti"}, Objective: 37,
		Titles: []string{"Analisi dei dati sanitari con fogli di calcolo", "Cruscotti e indicatori per il governo clinico", "Leggere i dati: statistica di base per professionisti sanitari",
			"Data literacy {prof}", "Dati e sanità digitale: dal dato all'indicatore"},
		Descriptions: []string{"Indicatori, grafici e cruscotti per il monitoraggio dei servizi e degli esiti."}},
	{Key: "qualita_dato", Phrases: []string{"qualita dato", "qualita dati"}, Objective: 3,
		Titles:       []string{"Qualità del dato clinico: registrare bene per curare meglio", "La qualità dei dati nei sistemi informativi {setting}"},
		Descriptions: []string{"Completezza, accuratezza e tempestività delle registrazioni cliniche."}},
	{Key: "uso_secondario", Phrases: []string{"uso secondario", "ricerca dati"}, Objective: 37,
		Titles:       []string{"Real world data e registri clinici per la ricerca", "Lo Spazio europeo dei dati sanitari e l'uso secondario dei dati", "Big data in sanità: opportunità e limiti"},
		Descriptions: []string{"Uso dei dati sanitari per la ricerca e la programmazione, nel rispetto delle regole."}},
	{Key: "ricerca_info", Phrases: []string{"ricerca informazioni", "banche dati"}, Objective: 1,
		Titles:       []string{"Ricerca bibliografica in PubMed per professionisti sanitari", "Trovare le evidenze: banche dati e linee guida online", "Evidence based practice e ricerca di informazioni online"},
		Descriptions: []string{"Strategie di ricerca, parole chiave MeSH, filtri e valutazione dei risultati."}},
	{Key: "fonti", Phrases: []string{"affidabilita fonti", "disinformazione"}, Objective: 7,
		Titles:       []string{"Fake news in sanità: riconoscere le fonti affidabili", "Infodemia e disinformazione sanitaria online", "Valutare l'affidabilità delle informazioni sanitarie sul web"},
		Descriptions: []string{"Criteri per valutare siti, social e notizie sulla salute e per rispondere ai pazienti."}},
	{Key: "competenze_base", Phrases: []string{"competenze digitali base", "digitali base"}, Objective: 17,
		Titles: []string{"Competenze digitali di base per operatori sanitari", "Alfabetizzazione informatica {prof}: posta elettronica, documenti e cloud",
			"Il computer in reparto: competenze digitali essenziali", "Competenze digitali per la sanità: corso base {prof}"},
		Descriptions: []string{"Uso quotidiano di PC, posta elettronica, documenti condivisi e applicativi aziendali (DigComp)."}},
	{Key: "formazione_distanza", Phrases: []string{"formazione distanza", "apprendimento digitale"}, Objective: 17,
		Titles:       []string{"Imparare online: strumenti per la formazione a distanza", "Progettare un corso e-learning per professionisti sanitari", "Formatori digitali: webinar e didattica a distanza"},
		Descriptions: []string{"Piattaforme, metodi e valutazione dell'apprendimento a distanza."}},
	{Key: "comunicazione_digitale", Phrases: []string{"comunicazione digitale"}, Objective: 7,
		Titles: []string{"Comunicare con il paziente via e-mail e messaggistica", "La comunicazione digitale con pazienti e caregiver {setting}",
			"Comunicazione efficace a distanza: telefono, chat e video {prof}", "Relazione di cura e strumenti digitali di comunicazione"},
		Descriptions: []string{"Regole, stile e limiti della comunicazione a distanza con pazienti e famiglie."}},
	{Key: "social_media", Phrases: []string{"social media"}, Objective: 16,
		Titles:       []string{"Social media e deontologia professionale", "Il professionista sanitario sui social network: rischi e opportunità", "Reputazione online e comunicazione sui social {prof}"},
		Descriptions: []string{"Uso professionale dei social, netiquette, riservatezza e responsabilità deontologica."}},
	{Key: "collaborazione", Phrases: []string{"strumenti collaborazione", "videoconferenza"}, Objective: 8,
		Titles:       []string{"Lavorare in team con strumenti collaborativi e videoconferenza", "Riunioni online e condivisione di documenti in équipe", "Collaborazione digitale nel team multiprofessionale"},
		Descriptions: []string{"Piattaforme di collaborazione, condivisione sicura dei file e riunioni a distanza."}},
	{Key: "ospedale_territorio", Phrases: []string{"integrazione ospedale territorio", "ospedale territorio"}, Objective: 9,
		Titles: []string{"Dimissioni protette e scambio di informazioni tra ospedale e territorio", "La Centrale Operativa Territoriale: strumenti digitali di transizione",
			"Continuità delle cure con strumenti digitali {setting}"},
		Descriptions: []string{"Strumenti e flussi informativi per la continuità assistenziale tra servizi."}},
	{Key: "health_literacy", Phrases: []string{"alfabetizzazione sanitaria", "health literacy"}, Objective: 13,
		Titles: []string{"Health literacy digitale: aiutare i pazienti nei servizi online", "Alfabetizzazione sanitaria digitale dei cittadini fragili",
			"Empowerment del paziente e salute digitale {setting}", "Inclusione digitale degli anziani nei servizi sanitari"},
		Descriptions: []string{"Come valutare e sostenere le competenze digitali dei pazienti e ridurre il divario digitale."}},
	{Key: "app_salute", Phrases: []string{"app salute", "dispositivi indossabili"}, Objective: 29,
		Titles:       []string{"App per la salute e dispositivi indossabili: cosa consigliare ai pazienti", "mHealth e wearable nella gestione delle malattie croniche", "App mobili per l'autogestione del diabete"},
		Descriptions: []string{"Valutazione di app e dispositivi, affidabilità dei dati e integrazione nel percorso di cura."}},
	{Key: "identita_digitale", Phrases: []string{"identita digitale", "servizi sanitari online"}, Objective: 17,
		Titles:       []string{"SPID, CIE e servizi sanitari online per il cittadino", "Accompagnare il cittadino ai servizi online: prenotazioni, referti, pagamenti", "Identità digitale e accesso ai servizi sanitari"},
		Descriptions: []string{"Come aiutare i cittadini ad accedere ai servizi sanitari con l'identità digitale."}},
	{Key: "dispositivi_medici", Phrases: []string{"dispositivo medico", "regolamento mdr"}, Objective: 29,
		Titles:       []string{"Il software come dispositivo medico: regolamento MDR", "Dispositivi medici digitali: classificazione e vigilanza"},
		Descriptions: []string{"Classificazione, marcatura CE e vigilanza dei dispositivi medici software."}},
	{Key: "hta", Phrases: []string{"valutazione tecnologie", "hta"}, Objective: 29,
		Titles:       []string{"HTA delle tecnologie sanitarie digitali", "Valutare e acquistare soluzioni digitali in azienda sanitaria"},
		Descriptions: []string{"Metodi di health technology assessment applicati a soluzioni digitali."}},
	{Key: "ia_clinica", Phrases: []string{"intelligenza artificiale pratica clinica", "intelligenza artificiale clinica"}, Objective: 29,
		Titles: []string{"Intelligenza artificiale in radiologia", "AI e supporto alle decisioni cliniche {setting}", "Algoritmi predittivi e intelligenza artificiale in terapia intensiva",
			"L'intelligenza artificiale nella pratica clinica {prof}", "Intelligenza artificiale e diagnostica per immagini: stato dell'arte"},
		Descriptions: []string{"Principi, esempi d'uso, limiti e validazione dei sistemi di intelligenza artificiale in clinica."}},
	{Key: "ia_etica", Phrases: []string{"etica regolazione", "regolazione intelligenza artificiale"}, Objective: 16,
		Titles:       []string{"Etica dell'intelligenza artificiale in medicina", "AI Act e sanità: obblighi e responsabilità", "Bias e trasparenza degli algoritmi clinici"},
		Descriptions: []string{"Principi etici, regolamento europeo sull'IA e responsabilità del professionista."}},
	{Key: "ia_generativa", Phrases: []string{"intelligenza artificiale generativa", "generativa"}, Objective: 17,
		Titles:       []string{"ChatGPT e IA generativa per professionisti sanitari", "Modelli linguistici e chatbot in sanità: usi sicuri", "Scrivere prompt efficaci: IA generativa al lavoro {prof}"},
		Descriptions: []string{"Possibilità e rischi dei modelli linguistici, riservatezza dei dati e verifica delle risposte."}},
	{Key: "change_management", Phrases: []string{"gestione cambiamento", "leadership"}, Objective: 11,
		Titles: []string{"Guidare la trasformazione digitale: change management in sanità", "Leadership e cambiamento digitale {setting}",
			"Coinvolgere i professionisti nei progetti di digitalizzazione", "La transizione digitale dell'azienda sanitaria: gestire il cambiamento"},
		Descriptions: []string{"Metodi per accompagnare le persone nel cambiamento organizzativo legato al digitale."}},
	{Key: "progetti_digitali", Phrases: []string{"progetti sanita digitale", "progettazione valutazione"}, Objective: 11,
		Titles:       []string{"Progettare e valutare progetti di sanità digitale", "Project management per i progetti PNRR di sanità digitale", "Misurare l'impatto dei progetti digitali in azienda"},
		Descriptions: []string{"Pianificazione, indicatori e valutazione di progetti di digitalizzazione."}},
}

// Non-digital subjects, for events that neither the keywords nor the lines should find.
var otherTitles = []string{
	"Gestione del dolore post-operatorio {setting}", "Prevenzione delle cadute nell'anziano {setting}", "Antibioticoterapia ragionata {prof}",
	"Lesioni da pressione: prevenzione e trattamento", "Rianimazione cardiopolmonare di base BLSD", "Nutrizione clinica nel paziente oncologico",
	"Vaccinazioni in età pediatrica: aggiornamento {prof}", "Gestione dell'aggressività in pronto soccorso", "Igiene delle mani e infezioni correlate all'assistenza",
	"La relazione di cura con il paziente oncologico", "Allattamento al seno: sostegno e consulenza", "Il rischio clinico in sala operatoria",
}

var profSlots = []string{"per infermieri", "per medici di medicina generale", "per pediatri di libera scelta", "per farmacisti", "per professionisti sanitari",
	"per tecnici di radiologia", "per fisioterapisti", "per ostetriche", "per assistenti sanitari", "per coordinatori e dirigenti", "per medici ospedalieri", ""}

var settingSlots = []string{"in ospedale", "nella Casa della Comunità", "nelle cure primarie", "in RSA", "sul territorio", "in ambulatorio", "in farmacia",
	"nell'assistenza domiciliare", "in pronto soccorso", "nei servizi di salute mentale", "in sala operatoria", ""}

var fmtSlots = []string{"corso base", "corso avanzato", "laboratorio pratico", "aggiornamento", "giornata di studio", "focus", ""}

func fill(tpl string, pick func(n int) int) string {
	r := strings.NewReplacer("{prof}", profSlots[pick(len(profSlots))], "{setting}", settingSlots[pick(len(settingSlots))], "{fmt}", fmtSlots[pick(len(fmtSlots))])
	s := r.Replace(tpl)
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimSuffix(strings.TrimSpace(s), ":")
	return strings.ReplaceAll(s, " :", ":")
}

//go:embed data/topic_lines.csv
var topicLinesCSV string

// topicLines returns the explicit topic → line codes of a portfolio (by its code), if the
// embedded table has them.
func topicLines(portfolio string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(topicLinesCSV, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "portfolio;") {
			continue
		}
		f := strings.Split(line, ";")
		if len(f) == 3 && f[0] == portfolio {
			out[f[1]] = strings.Fields(f[2])
		}
	}
	return out
}

// topicsFor resolves the topics on a portfolio: the explicit table when it knows the
// portfolio (codes of lines that no longer exist are skipped), the phrases otherwise.
func topicsFor(fw framework, lines []lineRef) map[string][]int64 {
	explicit := topicLines(fw.Code)
	if len(explicit) == 0 {
		return resolveTopics(lines)
	}
	byCode := map[string]int64{}
	for _, l := range lines {
		byCode[l.Code] = l.ID
	}
	out := map[string][]int64{}
	for topic, codes := range explicit {
		for _, c := range codes {
			if id, ok := byCode[c]; ok {
				out[topic] = append(out[topic], id)
			}
		}
	}
	return out
}

// resolveTopics returns, for each topic, the lines of the current portfolio it covers: the
// lines whose title contains the topic's first phrase that any title contains (phrases are
// in priority order), else the same on the descriptions.
func resolveTopics(lines []lineRef) map[string][]int64 {
	out := map[string][]int64{}
	type an struct{ title, desc []string }
	analysed := make([]an, len(lines))
	for i, l := range lines {
		analysed[i] = an{italian.Analyze(l.Title), italian.Analyze(l.Description)}
	}
	for _, t := range Topics {
	search:
		for pass := 0; pass < 2; pass++ {
			for _, ph := range t.Phrases {
				want := italian.Analyze(ph)
				for i, l := range lines {
					text := analysed[i].title
					if pass == 1 {
						text = analysed[i].desc
					}
					if italian.Contains(text, want) {
						out[t.Key] = append(out[t.Key], l.ID)
					}
				}
				if len(out[t.Key]) > 0 {
					break search
				}
			}
		}
	}
	return out
}

// topicByKey returns a topic.
func topicByKey(k string) (Topic, bool) {
	for _, t := range Topics {
		if t.Key == k {
			return t, true
		}
	}
	return Topic{}, false
}
