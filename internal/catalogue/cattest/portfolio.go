package cattest

// Item is one node of the fixture portfolio.
type Item struct {
	Kind, Code, Parent, Title, Description string
}

// FixtureItems is a small portfolio (6 dimensions, 16 ambiti, 48 lines) shaped like the
// programme's, written for the catalogue's tests before the default portfolio exists. It
// is illustrative content, not the national portfolio.
var FixtureItems = []Item{
	{"dimension", "D1", "", "Informazione, dati e conoscenza", "Cercare, valutare, gestire e analizzare informazioni e dati sanitari"},
	{"area", "A1.1", "D1", "Ricerca e valutazione delle informazioni", ""},
	{"line", "L1.1.1", "A1.1", "Ricerca di informazioni e banche dati biomediche", "Cercare evidenze e letteratura scientifica online in banche dati come PubMed e linee guida"},
	{"line", "L1.1.2", "A1.1", "Valutazione dell'affidabilità delle fonti e contrasto alla disinformazione", "Riconoscere fonti attendibili, fake news e infodemia in sanità"},
	{"area", "A1.2", "D1", "Gestione e analisi dei dati sanitari", ""},
	{"line", "L1.2.1", "A1.2", "Analisi dei dati sanitari e cruscotti di monitoraggio", "Leggere indicatori, statistiche e dashboard per decidere; data literacy"},
	{"line", "L1.2.2", "A1.2", "Qualità del dato e registrazione corretta delle informazioni cliniche", "Completezza, accuratezza e tempestività dei dati registrati nei sistemi informativi"},
	{"line", "L1.2.3", "A1.2", "Uso secondario dei dati e ricerca con i dati sanitari", "Big data, registri, real world data e Spazio europeo dei dati sanitari"},
	{"area", "A1.3", "D1", "Competenze digitali di base", ""},
	{"line", "L1.3.1", "A1.3", "Competenze digitali di base per il lavoro in sanità", "Usare computer, posta elettronica, documenti e strumenti informatici di uso quotidiano (DigComp)"},
	{"line", "L1.3.2", "A1.3", "Apprendimento digitale e formazione a distanza", "Seguire corsi e-learning, webinar e percorsi di formazione online"},

	{"dimension", "D2", "", "Comunicazione, relazione e cittadini", "Comunicare e collaborare con strumenti digitali e sostenere l'alfabetizzazione dei pazienti"},
	{"area", "A2.1", "D2", "Comunicazione digitale con i pazienti", ""},
	{"line", "L2.1.1", "A2.1", "Comunicazione digitale con pazienti e caregiver", "Posta elettronica, messaggistica, portali del paziente e comunicazione a distanza efficace"},
	{"line", "L2.1.2", "A2.1", "Social media, reputazione e deontologia online", "Uso professionale dei social network e netiquette"},
	{"area", "A2.2", "D2", "Collaborazione digitale tra professionisti", ""},
	{"line", "L2.2.1", "A2.2", "Strumenti di collaborazione e videoconferenza", "Lavorare in team con piattaforme collaborative, condivisione di documenti e riunioni online"},
	{"line", "L2.2.2", "A2.2", "Integrazione ospedale-territorio con strumenti digitali", "Continuità delle cure, dimissioni protette e scambio di informazioni tra servizi, Case della Comunità e COT"},
	{"area", "A2.3", "D2", "Alfabetizzazione sanitaria digitale dei cittadini", ""},
	{"line", "L2.3.1", "A2.3", "Sostegno all'alfabetizzazione sanitaria digitale dei pazienti", "Health literacy digitale, empowerment e inclusione dei cittadini fragili nei servizi online"},
	{"line", "L2.3.2", "A2.3", "App per la salute e dispositivi indossabili", "App mobili, mHealth, wearable e autogestione della salute"},
	{"line", "L2.3.3", "A2.3", "Identità digitale e servizi sanitari online per il cittadino", "SPID, CIE, prenotazioni online, pagamenti e referti online"},

	{"dimension", "D3", "", "Sistemi informativi clinici", "Fascicolo sanitario elettronico, prescrizione elettronica e documentazione clinica digitale"},
	{"area", "A3.1", "D3", "Fascicolo Sanitario Elettronico", ""},
	{"line", "L3.1.1", "A3.1", "Consultazione del Fascicolo Sanitario Elettronico nella pratica clinica", "Accedere al FSE 2.0, cercare documenti e referti del paziente"},
	{"line", "L3.1.2", "A3.1", "Alimentazione del Fascicolo Sanitario Elettronico", "Produrre e inviare al FSE documenti clinici strutturati, referti e lettere di dimissione"},
	{"line", "L3.1.3", "A3.1", "Consenso, oscuramento e accesso al Fascicolo", "Gestire consenso alla consultazione, oscuramento dei documenti e diritti del paziente sul FSE"},
	{"line", "L3.1.4", "A3.1", "Profilo sanitario sintetico (Patient Summary)", "Redigere e aggiornare il profilo sanitario sintetico del medico di medicina generale e del pediatra"},
	{"area", "A3.2", "D3", "Prescrizione elettronica", ""},
	{"line", "L3.2.1", "A3.2", "Ricetta elettronica dematerializzata", "Prescrizione farmaceutica dematerializzata, promemoria e dispensazione in farmacia"},
	{"line", "L3.2.2", "A3.2", "Prescrizione specialistica elettronica e prenotazione", "Ricetta specialistica, priorità, appropriatezza e prenotazione tramite CUP"},
	{"area", "A3.3", "D3", "Documentazione clinica digitale", ""},
	{"line", "L3.3.1", "A3.3", "Cartella clinica elettronica", "Documentazione clinica e infermieristica digitale in ospedale e sul territorio"},
	{"line", "L3.3.2", "A3.3", "Firma digitale e documento informatico sanitario", "Firma elettronica, conservazione digitale e validità dei documenti clinici"},

	{"dimension", "D4", "", "Telemedicina", "Servizi di telemedicina e loro organizzazione"},
	{"area", "A4.1", "D4", "Servizi di telemedicina", ""},
	{"line", "L4.1.1", "A4.1", "Televisita", "Visita a distanza del paziente in videochiamata, requisiti e documentazione"},
	{"line", "L4.1.2", "A4.1", "Teleconsulto e teleconsulenza tra professionisti", "Consulto medico a distanza e teleconsulenza medico-sanitaria tra professionisti"},
	{"line", "L4.1.3", "A4.1", "Telemonitoraggio dei pazienti cronici", "Monitoraggio a distanza di parametri vitali e clinici, gestione degli allarmi"},
	{"line", "L4.1.4", "A4.1", "Teleassistenza e teleriabilitazione", "Assistenza a distanza da parte delle professioni sanitarie e riabilitazione a domicilio"},
	{"line", "L4.1.5", "A4.1", "Telerefertazione e telediagnostica", "Refertazione a distanza di esami strumentali, ECG e immagini"},
	{"area", "A4.2", "D4", "Organizzazione della telemedicina", ""},
	{"line", "L4.2.1", "A4.2", "Modelli organizzativi e piattaforma nazionale di telemedicina", "Servizi minimi, infrastruttura regionale e nazionale, percorsi e presa in carico"},
	{"line", "L4.2.2", "A4.2", "Aspetti giuridici, etici e di qualità della telemedicina", "Responsabilità professionale, consenso e linee guida per i servizi di telemedicina"},

	{"dimension", "D5", "", "Sicurezza, privacy e regole", "Proteggere dati, sistemi e pazienti nel digitale"},
	{"area", "A5.1", "D5", "Protezione dei dati personali", ""},
	{"line", "L5.1.1", "A5.1", "Protezione dei dati personali e privacy in sanità", "Regolamento GDPR, trattamento dei dati sanitari, informativa e consenso"},
	{"line", "L5.1.2", "A5.1", "Diritti del paziente e accesso ai dati", "Accesso, rettifica, portabilità e segreto professionale nel digitale"},
	{"area", "A5.2", "D5", "Sicurezza informatica", ""},
	{"line", "L5.2.1", "A5.2", "Sicurezza informatica e cybersecurity in sanità", "Minacce informatiche, ransomware, incidenti e continuità operativa"},
	{"line", "L5.2.2", "A5.2", "Comportamenti sicuri: password, phishing e dispositivi", "Igiene digitale, autenticazione, riconoscere il phishing e proteggere i dispositivi"},
	{"area", "A5.3", "D5", "Dispositivi medici digitali e regole", ""},
	{"line", "L5.3.1", "A5.3", "Software come dispositivo medico e regolamento MDR", "Classificazione, marcatura CE e vigilanza dei dispositivi medici software"},
	{"line", "L5.3.2", "A5.3", "Valutazione delle tecnologie sanitarie digitali (HTA)", "Health technology assessment, acquisto e valutazione di soluzioni digitali"},

	{"dimension", "D6", "", "Innovazione e trasformazione digitale", "Intelligenza artificiale, interoperabilità e gestione del cambiamento"},
	{"area", "A6.1", "D6", "Intelligenza artificiale", ""},
	{"line", "L6.1.1", "A6.1", "Intelligenza artificiale nella pratica clinica", "Sistemi di supporto alle decisioni, diagnostica per immagini e algoritmi predittivi"},
	{"line", "L6.1.2", "A6.1", "Etica e regolazione dell'intelligenza artificiale", "AI Act, trasparenza, bias, responsabilità e sorveglianza umana"},
	{"line", "L6.1.3", "A6.1", "Intelligenza artificiale generativa e modelli linguistici", "Chatbot, LLM, prompt e uso sicuro dell'IA generativa"},
	{"area", "A6.2", "D6", "Interoperabilità e standard", ""},
	{"line", "L6.2.1", "A6.2", "Standard di interoperabilità HL7 FHIR e CDA", "Scambio di dati clinici tra sistemi, profili e documenti strutturati"},
	{"line", "L6.2.2", "A6.2", "Codifiche e terminologie cliniche", "Classificazioni ICD, LOINC, SNOMED CT e codifica delle diagnosi"},
	{"area", "A6.3", "D6", "Gestione del cambiamento digitale", ""},
	{"line", "L6.3.1", "A6.3", "Gestione del cambiamento e leadership nella trasformazione digitale", "Change management, coinvolgimento delle persone e riorganizzazione dei processi"},
	{"line", "L6.3.2", "A6.3", "Progettazione e valutazione di progetti di sanità digitale", "Pianificare, misurare e valutare progetti digitali e PNRR in azienda sanitaria"},
}
