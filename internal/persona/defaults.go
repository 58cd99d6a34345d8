package persona

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/textnorm"
)

// DefaultFrameworkCode is the code of the portfolio capability's illustrative default
// portfolio, which the default personas target first; failing that, they target the newest
// published illustrative framework version.
var DefaultFrameworkCode = "ESD-PORTFOLIO"

// The default personas are illustrative: the official Digital Personas of the programme are
// not public (domain.md 1.3). Their targets are derived from the portfolio by theme: each
// line is classified by keywords of its title (then of its ambito's and dimension's) into
// one of the themes below, and each persona has a level per theme on a 1–4 reading of the
// scale (0 = not required), with a few line-level adjustments (e.g. teleassistenza higher
// for family nurses than televisita).

// Themes of the portfolio used to derive default targets.
const (
	ThemeBasics        = "basics"
	ThemeFSE           = "fse"
	ThemePrescription  = "eprescription"
	ThemeTelemedicine  = "telemedicine"
	ThemeSecurity      = "security"
	ThemeData          = "data"
	ThemeAI            = "ai"
	ThemeCommunication = "communication"
	ThemeLiteracy      = "literacy"
	ThemeChange        = "change"
	ThemeGeneral       = "general"
)

// themeKeywords are folded keywords, matched at the start of a word (a trailing "=" means
// the whole word) of the Italian and English titles. Order matters: the first theme that
// matches wins, so "protezione dei dati" is security before it is data.
var themeKeywords = []struct {
	theme  string
	it, en []string
}{
	{ThemeTelemedicine, []string{"telemedic", "televisit", "teleconsult", "telemonitor", "teleassist", "telecontroll", "teleriabilit", "telesalute", "a distanza=", "monitoraggio a domicilio"},
		[]string{"telemedic", "telehealth", "televisit", "teleconsult", "telemonitor", "teleassist", "telecare", "telerehab", "remote monitoring", "remote consultation", "home monitoring"}},
	{ThemeAI, []string{"intelligenza artificiale", "ia=", "algoritm", "apprendimento automatico", "machine learning", "generativ", "ai act"},
		[]string{"artificial intelligence", "ai=", "algorithm", "machine learning", "generative", "decision support"}},
	{ThemePrescription, []string{"ricett", "prescri", "dematerializz"}, []string{"prescri"}},
	{ThemeFSE, []string{"fascicolo", "fse=", "patient summary", "profilo sanitario sintetico", "referto", "referti", "documenti clinici", "documento clinico", "cartella clinic", "dossier sanitario"},
		[]string{"health record", "ehr=", "fse=", "patient summary", "clinical document", "medical record"}},
	{ThemeSecurity, []string{"privacy", "gdpr", "protezione dei dati", "protezione dati", "sicurezza informatica", "cybersicurezza", "cyber", "phishing", "password", "dati personali", "riservatezza", "consenso"},
		[]string{"privacy", "gdpr", "data protection", "cyber", "security", "phishing", "password", "personal data", "consent"}},
	{ThemeLiteracy, []string{"alfabetizzazione sanitaria", "health literacy", "empowerment", "cittadin", "caregiver", "educazione del paziente", "competenze digitali dei pazienti", "competenze digitali del paziente"},
		[]string{"health literacy", "empowerment", "citizen", "caregiver", "patient education", "patients digital", "digital literacy of patients"}},
	{ThemeCommunication, []string{"comunicazion", "social", "posta elettronica", "email", "messaggistic", "web=", "app=", "canali digitali"},
		[]string{"communicat", "social media", "email", "messaging", "web=", "app="}},
	{ThemeData, []string{"interoperab", "standard", "hl7", "fhir", "codific", "terminolog", "snomed", "loinc", "icd", "qualita del dato", "qualita dei dati", "dati=", "dato=", "analisi dei dati", "statistic", "registri", "flussi informativi", "cruscott", "indicator", "sorveglianza", "epidemiolog"},
		[]string{"interoperab", "standard", "hl7", "fhir", "coding", "terminolog", "snomed", "loinc", "icd", "data=", "analytics", "statistic", "registr", "dashboard", "indicator", "surveillance", "epidemiolog"}},
	{ThemeChange, []string{"cambiamento", "change management", "organizzativ", "leadership", "project management", "processi", "innovazion", "governance", "valutazione delle tecnologie", "hta", "transizione digitale", "strategi", "management"},
		[]string{"change", "leadership", "organisation", "organization", "project management", "innovation", "governance", "technology assessment", "hta", "strateg", "transformation"}},
	{ThemeBasics, []string{"base", "identita digitale", "spid", "cie=", "strumenti digitali", "dispositivi", "software", "informazioni", "ricerca", "internet", "collaborazione", "cloud", "digcomp", "documenti informatici", "firma", "competenze digitali"},
		[]string{"basic", "digital identity", "devices", "tools", "information", "search", "internet", "cloud", "collaborat", "digital signature", "digital skills"}},
}

// hasKeyword reports whether folded text (padded with spaces) contains kw at a word start
// (or as a whole word when kw ends with "=").
func hasKeyword(padded, kw string) bool {
	if strings.HasSuffix(kw, "=") {
		return strings.Contains(padded, " "+strings.TrimSuffix(kw, "=")+" ")
	}
	return strings.Contains(padded, " "+kw)
}

func pad(s string) string { return " " + textnorm.Fold(s) + " " }

// themeOfText returns the first theme whose keywords appear in the titles, or "".
func themeOfText(it, en string) string {
	pit, pen := pad(it), pad(en)
	for _, t := range themeKeywords {
		for _, kw := range t.it {
			if hasKeyword(pit, kw) {
				return t.theme
			}
		}
		for _, kw := range t.en {
			if hasKeyword(pen, kw) {
				return t.theme
			}
		}
	}
	return ""
}

// ThemeOf classifies a line by its own titles, then its ambito's, then its dimension's. A
// line whose own words only say "data" or "basics" takes the theme of a more specific
// ambito: "reading data and handling alerts" in the telemonitoring ambito is telemedicine.
func ThemeOf(l *Line) string {
	own := themeOfText(l.TitleIT, l.TitleEN)
	area := ""
	if l.Area != nil {
		area = themeOfText(l.Area.TitleIT, l.Area.TitleEN)
		if area == "" && l.Area.Dimension != nil {
			area = themeOfText(l.Area.Dimension.TitleIT, l.Area.Dimension.TitleEN)
		}
	}
	generic := own == "" || own == ThemeBasics || own == ThemeData
	switch {
	case generic && area != "" && area != ThemeBasics && area != ThemeData:
		return area
	case own != "":
		return own
	case area != "":
		return area
	}
	return ThemeGeneral
}

// defaultPersona is one illustrative national persona.
type defaultPersona struct {
	code, nameIT, nameEN, descIT, descEN string
	rolesIT, rolesEN                     []string
	// levels per theme on a 1–4 reading of the scale: "2", a range "3-4", or "0" (not required)
	levels map[string]string
	// adjust overrides the theme level for lines whose own titles have a keyword
	adjust []adjustment
}

type adjustment struct {
	keywords []string // folded, matched at word start in the Italian or English line title
	level    string
}

func lv(basics, fse, erx, tele, sec, data, ai, comm, lit, change, general string) map[string]string {
	return map[string]string{ThemeBasics: basics, ThemeFSE: fse, ThemePrescription: erx, ThemeTelemedicine: tele, ThemeSecurity: sec,
		ThemeData: data, ThemeAI: ai, ThemeCommunication: comm, ThemeLiteracy: lit, ThemeChange: change, ThemeGeneral: general}
}

var defaultPersonas = []defaultPersona{
	{code: "MMG-PLS", nameIT: "Medico di medicina generale e pediatra di libera scelta", nameEN: "General practitioner and family paediatrician",
		descIT:  "Medico di famiglia o pediatra di libera scelta: alimenta il Fascicolo Sanitario Elettronico, prescrive in forma dematerializzata, usa televisita e teleconsulto con gli specialisti e accompagna i pazienti nell'uso dei servizi digitali.",
		descEN:  "Family doctor or family paediatrician: feeds the electronic health record, prescribes electronically, uses televisits and teleconsultation with specialists and helps patients use digital services.",
		rolesIT: []string{"Medico di medicina generale (ruolo unico)", "Pediatra di libera scelta", "Medico di continuità assistenziale"},
		rolesEN: []string{"General practitioner", "Family paediatrician", "Out-of-hours doctor"},
		levels:  lv("2", "3-4", "4", "3-4", "3", "2", "2", "3", "3", "2", "2"),
		adjust:  []adjustment{{[]string{"teleassist"}, "2"}, {[]string{"telemonitor"}, "3"}}},
	{code: "MED-OSP", nameIT: "Medico ospedaliero", nameEN: "Hospital physician",
		descIT:  "Dirigente medico in ospedale: documenta nella cartella clinica elettronica, produce referti e lettere di dimissione per il FSE, chiede e fornisce teleconsulti e valuta strumenti di supporto decisionale basati su IA.",
		descEN:  "Hospital doctor: documents in the electronic clinical record, produces reports and discharge letters for the health record, requests and gives teleconsultations and assesses AI decision-support tools.",
		rolesIT: []string{"Dirigente medico di reparto", "Medico di pronto soccorso", "Anestesista"},
		rolesEN: []string{"Ward physician", "Emergency physician", "Anaesthetist"},
		levels:  lv("2", "3", "3", "2", "3", "2", "2", "2", "2", "2", "2"),
		adjust:  []adjustment{{[]string{"teleconsult"}, "3"}}},
	{code: "SPEC-AMB", nameIT: "Specialista ambulatoriale", nameEN: "Outpatient specialist",
		descIT:  "Specialista che lavora in ambulatorio o nella specialistica territoriale: televisite di controllo, referti strutturati nel FSE, prescrizioni dematerializzate e comunicazione digitale con i pazienti.",
		descEN:  "Specialist working in outpatient clinics or community specialist care: follow-up televisits, structured reports in the health record, e-prescriptions and digital communication with patients.",
		rolesIT: []string{"Specialista ambulatoriale interno (SUMAI)", "Odontoiatra", "Psicologo"},
		rolesEN: []string{"Community outpatient specialist", "Dentist", "Psychologist"},
		levels:  lv("2", "3", "3", "3", "3", "2", "2", "3", "2", "1", "2"),
		adjust:  []adjustment{{[]string{"televisit"}, "3-4"}}},
	{code: "IFEC", nameIT: "Infermiere di famiglia e comunità", nameEN: "Family and community nurse",
		descIT:  "Infermiere di famiglia e comunità nelle Case della Comunità e a domicilio: teleassistenza e telemonitoraggio dei pazienti cronici, educazione digitale di pazienti e caregiver, uso del FSE.",
		descEN:  "Family and community nurse in community health centres and at home: teleassistance and telemonitoring of chronic patients, digital education of patients and carers, use of the health record.",
		rolesIT: []string{"Infermiere di famiglia e comunità (IFeC)", "Infermiere dell'assistenza domiciliare", "Ostetrica di comunità"},
		rolesEN: []string{"Family and community nurse", "Home-care nurse", "Community midwife"},
		levels:  lv("2", "3", "1", "3-4", "2", "2", "1", "3", "4", "2", "2"),
		adjust:  []adjustment{{[]string{"televisit", "teleconsult"}, "2"}, {[]string{"teleassist", "telemonitor"}, "4"}}},
	{code: "INF-OSP", nameIT: "Infermiere ospedaliero", nameEN: "Hospital nurse",
		descIT:  "Infermiere di reparto o di area critica: documentazione infermieristica elettronica, dispositivi connessi, sicurezza dei dati e dei sistemi.",
		descEN:  "Ward or critical-care nurse: electronic nursing records, connected devices, data and system security.",
		rolesIT: []string{"Infermiere di reparto", "Infermiere di area critica", "Infermiere pediatrico ospedaliero"},
		rolesEN: []string{"Ward nurse", "Critical-care nurse", "Hospital paediatric nurse"},
		levels:  lv("2", "2", "0", "2", "2", "2", "1", "2", "2", "1", "2")},
	{code: "COT", nameIT: "Operatore di Centrale Operativa Territoriale", nameEN: "Community care coordination centre (COT) operator",
		descIT:  "Operatore della Centrale Operativa Territoriale: coordina le transizioni tra setting, usa le piattaforme di telemedicina e di telemonitoraggio, lavora su dati condivisi tra servizi.",
		descEN:  "Operator of a community care coordination centre: coordinates transitions between care settings, uses telemedicine and telemonitoring platforms, works on data shared between services.",
		rolesIT: []string{"Infermiere di Centrale Operativa Territoriale", "Coordinatore COT", "Operatore di centrale 116117"},
		rolesEN: []string{"COT nurse", "COT coordinator", "116117 line operator"},
		levels:  lv("2", "3", "0", "4", "3", "3", "1", "3", "2", "2", "2"),
		adjust:  []adjustment{{[]string{"televisit"}, "2"}}},
	{code: "FARM", nameIT: "Farmacista di comunità e rurale", nameEN: "Community and rural pharmacist",
		descIT:  "Farmacista di comunità, anche nelle farmacie rurali con postazioni di telemedicina: ricetta dematerializzata, servizi di telemedicina in farmacia, supporto ai cittadini nell'uso del FSE.",
		descEN:  "Community pharmacist, including rural pharmacies with telemedicine workstations: e-prescriptions, telemedicine services in pharmacies, helping citizens use the health record.",
		rolesIT: []string{"Farmacista titolare o collaboratore", "Farmacista rurale", "Farmacista ospedaliero"},
		rolesEN: []string{"Pharmacy owner or employee", "Rural pharmacist", "Hospital pharmacist"},
		levels:  lv("2", "3", "4", "3", "3", "2", "1", "3", "3", "1", "2"),
		adjust:  []adjustment{{[]string{"televisit"}, "2"}}},
	{code: "TEC-RIAB", nameIT: "Professionista tecnico sanitario e della riabilitazione", nameEN: "Allied-health technician or therapist",
		descIT:  "Tecnico sanitario o terapista della riabilitazione: strumentazione digitale, teleriabilitazione, referti e immagini nel FSE.",
		descEN:  "Health technician or rehabilitation therapist: digital equipment, telerehabilitation, reports and images in the health record.",
		rolesIT: []string{"Fisioterapista", "Tecnico sanitario di radiologia medica", "Tecnico di laboratorio biomedico", "Logopedista"},
		rolesEN: []string{"Physiotherapist", "Radiographer", "Biomedical laboratory technician", "Speech therapist"},
		levels:  lv("2", "2", "0", "3", "2", "2", "2", "2", "2", "1", "2"),
		adjust:  []adjustment{{[]string{"teleriabilit", "telerehab"}, "3-4"}, {[]string{"televisit", "teleconsult"}, "2"}}},
	{code: "PREV", nameIT: "Professionista della prevenzione", nameEN: "Prevention professional",
		descIT:  "Professionista dei dipartimenti di prevenzione: sorveglianza ed epidemiologia sui dati, comunicazione digitale alla popolazione, alfabetizzazione sanitaria dei cittadini.",
		descEN:  "Professional of prevention departments: surveillance and epidemiology on data, digital communication to the population, citizens' health literacy.",
		rolesIT: []string{"Medico igienista", "Assistente sanitario", "Tecnico della prevenzione", "Veterinario di sanità pubblica"},
		rolesEN: []string{"Public-health physician", "Health visitor", "Environmental health officer", "Public-health veterinarian"},
		levels:  lv("2", "2", "1", "1", "3", "3", "2", "3", "3", "2", "2"),
		adjust:  []adjustment{{[]string{"sorveglianza", "epidemiolog", "surveillance"}, "4"}}},
	{code: "DIR", nameIT: "Manager sanitario", nameEN: "Health manager",
		descIT:  "Direzione strategica, di distretto o di presidio: guida la trasformazione digitale, valuta tecnologie e IA, governa dati e sicurezza, gestisce il cambiamento organizzativo.",
		descEN:  "Top, district or hospital management: leads digital transformation, assesses technologies and AI, governs data and security, manages organisational change.",
		rolesIT: []string{"Direttore generale, sanitario o amministrativo", "Direttore di distretto", "Direttore medico di presidio"},
		rolesEN: []string{"Chief executive, medical or administrative director", "District director", "Hospital medical director"},
		levels:  lv("2", "2", "1", "2", "3", "3", "3", "2", "2", "3-4", "2"),
		adjust:  []adjustment{{[]string{"hta", "valutazione delle tecnologie", "technology assessment"}, "3"}}},
	{code: "ICT", nameIT: "Referente ICT e dati", nameEN: "ICT and data referent",
		descIT:  "Referente dei sistemi informativi, dei dati o della transizione digitale: interoperabilità e standard, sicurezza informatica, qualità dei dati, adozione responsabile dell'IA.",
		descEN:  "Referent for information systems, data or digital transition: interoperability and standards, cybersecurity, data quality, responsible adoption of AI.",
		rolesIT: []string{"Referente aziendale ICT", "Data manager", "Responsabile per la transizione digitale"},
		rolesEN: []string{"Organisation ICT referent", "Data manager", "Digital transition officer"},
		levels:  lv("3", "3", "2", "3", "4", "4", "4", "2", "1", "3", "2"),
		adjust:  []adjustment{{[]string{"hl7", "cda", "fhir", "dicom", "ihe", "interoperab"}, "4"}}},
	{code: "BASE", nameIT: "Professionista sanitario (profilo di base)", nameEN: "Health professional (baseline profile)",
		descIT:  "Profilo di base per chi non rientra in un'altra persona: competenze digitali essenziali, FSE, protezione dei dati.",
		descEN:  "Baseline profile for whoever fits no other persona: essential digital skills, health record, data protection.",
		rolesIT: []string{"Biologo", "Chimico", "Fisico", "Professionista senza disciplina registrata"},
		rolesEN: []string{"Biologist", "Chemist", "Physicist", "Professional with no recorded discipline"},
		levels:  lv("1", "1", "0", "1", "2", "1", "1", "1", "1", "0", "1")},
}

// defaultRule is one illustrative assignment rule; care settings and roles are matched
// folded (case and accents ignored), roles as a sequence of whole words.
type defaultRule struct {
	persona              string
	profession, discipl  int
	setting, role, note  string
	priority             int
	professions, discips []int // shorthand: one rule per code
}

var defaultRules = []defaultRule{
	{persona: "COT", role: "operatore COT", priority: 20, note: "ruolo in Centrale Operativa Territoriale"},
	{persona: "COT", setting: "cot", priority: 20, note: "setting: Centrale Operativa Territoriale"},
	{persona: "ICT", role: "referente ICT", priority: 20},
	{persona: "ICT", role: "data manager", priority: 20},
	{persona: "ICT", role: "responsabile transizione digitale", priority: 20},
	{persona: "DIR", role: "direttore", priority: 10},
	{persona: "DIR", setting: "direzione", priority: 10},
	{persona: "IFEC", role: "IFeC", priority: 10},
	{persona: "IFEC", role: "infermiere di famiglia", priority: 10},
	{persona: "IFEC", profession: 14, setting: "territorio"},
	{persona: "IFEC", profession: 14, setting: "domicilio"},
	{persona: "IFEC", profession: 15, setting: "territorio"},
	{persona: "IFEC", profession: 18, setting: "territorio"},
	{persona: "MMG-PLS", profession: 1, discips: []int{58, 59, 60}},
	{persona: "PREV", profession: 1, discips: []int{55, 56, 57, 115, 116}},
	{persona: "DIR", profession: 1, discips: []int{107, 108}},
	{persona: "SPEC-AMB", profession: 1, setting: "ambulatorio"},
	{persona: "SPEC-AMB", profession: 1, setting: "territorio"},
	{persona: "MED-OSP", profession: 1},
	{persona: "SPEC-AMB", professions: []int{2, 5}},
	{persona: "FARM", profession: 3},
	{persona: "PREV", professions: []int{4, 9, 23}},
	{persona: "INF-OSP", professions: []int{14, 15, 18}},
	{persona: "TEC-RIAB", professions: []int{10, 11, 12, 13, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30}},
	{persona: "BASE", priority: -100, note: "regola di riserva: chiunque non rientri in altre regole"},
}

// expandRules turns the shorthand into one rule per code.
func expandRules(rs []defaultRule) []defaultRule {
	var out []defaultRule
	for _, r := range rs {
		switch {
		case len(r.discips) > 0:
			for _, d := range r.discips {
				x := r
				x.discips, x.discipl = nil, d
				out = append(out, x)
			}
		case len(r.professions) > 0:
			for _, p := range r.professions {
				x := r
				x.professions, x.profession = nil, p
				out = append(out, x)
			}
		default:
			out = append(out, r)
		}
	}
	return out
}

// scaleLevel maps k on a 1–4 reading to the k-th quarter of the version's scale.
func scaleLevel(f Framework, k int) int {
	n := len(f.Levels)
	if n == 0 || k <= 0 {
		return 0
	}
	i := ((k-1)*(n-1) + 1) / 3
	i = min(max(i, 0), n-1)
	return f.Levels[i].Level
}

// parseLevel reads "0", "2" or "3-4" into a target.
func parseLevel(f Framework, s string) (required bool, lo, hi int) {
	a, b, isRange := strings.Cut(s, "-")
	x, _ := strconv.Atoi(a)
	y := x
	if isRange {
		y, _ = strconv.Atoi(b)
	}
	if x == 0 {
		return false, 0, 0
	}
	return true, scaleLevel(f, x), scaleLevel(f, y)
}

// DefaultTargets derives a default persona's targets on tree's lines.
func (d defaultPersona) targets(tree *Tree) []Target {
	var out []Target
	for _, l := range tree.Lines() {
		spec := d.levels[ThemeOf(l)]
		pit, pen := pad(l.TitleIT), pad(l.TitleEN)
		for _, a := range d.adjust {
			for _, kw := range a.keywords {
				if hasKeyword(pit, kw) || hasKeyword(pen, kw) {
					spec = a.level
				}
			}
		}
		req, lo, hi := parseLevel(tree.Framework, spec)
		out = append(out, Target{LineID: l.ID, LineCode: l.Code, Required: req, Min: lo, Max: hi})
	}
	return out
}

// EnsureDefaults loads the default illustrative personas and assignment rules on the
// newest published version of the default portfolio (DefaultFrameworkCode; failing that,
// the newest published illustrative version), once: if
// an earlier version of the same framework has personas, they are copied by line code
// instead (personas are versioned with the portfolio). It is the idempotent start-up step;
// it reports whether it loaded anything. System and national governance only.
func (s *Service) EnsureDefaults(ctx context.Context) (bool, error) {
	if _, err := requireNational(ctx); err != nil {
		return false, err
	}
	var fid int64
	var code string
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, code FROM framework_versions WHERE state = $1 AND illustrative = TRUE
		ORDER BY CASE WHEN code = $2 THEN 0 ELSE 1 END, published_at DESC NULLS LAST, id DESC LIMIT 1`, StatePublished, DefaultFrameworkCode).Scan(&fid, &code)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // no illustrative portfolio published yet: nothing to target
	}
	if err != nil {
		return false, err
	}
	loaded := false
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM persona_defaults WHERE framework_id = $1`, fid).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		source := "default"
		var from int64
		err := tx.QueryRowContext(ctx, `SELECT f.id FROM framework_versions f WHERE f.code = $1 AND f.id <> $2
			AND EXISTS (SELECT 1 FROM personas p WHERE p.framework_id = f.id)
			ORDER BY f.published_at DESC NULLS LAST, f.id DESC LIMIT 1`, code, fid).Scan(&from)
		switch {
		case err == nil:
			if _, err := s.copyPersonas(ctx, tx, from, fid); err != nil {
				return err
			}
			source = "copy:" + strconv.FormatInt(from, 10)
		case errors.Is(err, sql.ErrNoRows):
			if err := s.loadDefaults(ctx, tx, fid); err != nil {
				return err
			}
		default:
			return err
		}
		loaded = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO persona_defaults (framework_id, source, loaded_at) VALUES ($1, $2, $3)`, fid, source, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "load_defaults", Entity: "personas", EntityID: fid, After: map[string]string{"source": source}})
	})
	return loaded, err
}

// loadDefaults writes the default personas, their targets and the default rules on a
// framework version inside tx.
func (s *Service) loadDefaults(ctx context.Context, tx *sql.Tx, fid int64) error {
	tree, err := s.tree(ctx, tx, fid)
	if err != nil {
		return err
	}
	ids := map[string]int64{}
	for i, d := range defaultPersonas {
		in := PersonaInput{Code: d.code, NameIT: d.nameIT, NameEN: d.nameEN, DescriptionIT: d.descIT, DescriptionEN: d.descEN,
			ExampleRolesIT: d.rolesIT, ExampleRolesEN: d.rolesEN, Position: (i + 1) * 10}
		id, err := s.insertPersona(ctx, tx, fid, in, true, 0)
		if err != nil {
			return err
		}
		ids[d.code] = id
		if err := insertTargets(ctx, tx, id, d.targets(tree)); err != nil {
			return err
		}
	}
	for _, r := range expandRules(defaultRules) {
		in := RuleInput{ProfessionCode: r.profession, DisciplineCode: r.discipl, CareSetting: r.setting, JobRole: r.role,
			Priority: r.priority, Note: r.note}
		if _, err := insertRule(ctx, tx, fid, ids[r.persona], in); err != nil {
			return err
		}
	}
	return nil
}
