package monitor

// Messages are the monitoring texts, Italian first then English; the web module adds them to
// the platform's catalogue and the service uses them for labels it builds itself.
var Messages = map[string][2]string{
	"nav.monitor":                  {"Monitoraggio", "Monitoring"},
	"nav.monitor.desc":             {"Cruscotti del programma dall'Italia alla singola azienda, con la mappa delle regioni e i piccoli gruppi protetti.", "Programme dashboards from Italy down to one organisation, with the map of the regions and small groups protected."},
	"monitor.title":                {"Monitoraggio del programma", "Programme monitoring"},
	"monitor.intro":                {"Dati aggregati aggiornati di continuo. I gruppi con meno di %d professionisti non sono mostrati, e nemmeno le celle che permetterebbero di ricavarli per differenza.", "Aggregates kept current. Groups of fewer than %d professionals are not shown, nor are cells that would reveal them by difference."},
	"monitor.filters":              {"Filtri del cruscotto", "Dashboard filters"},
	"monitor.indicator":            {"Indicatore", "Indicator"},
	"monitor.period":               {"Periodo", "Period"},
	"monitor.period.all":           {"Tutto il periodo", "Whole time"},
	"monitor.profession":           {"Professione", "Profession"},
	"monitor.persona":              {"Persona digitale", "Digital Persona"},
	"monitor.area":                 {"Ambito", "Ambito"},
	"monitor.area.hint":            {"L'ambito vale per gli indicatori di livello e di gap; il periodo per valutati, obiettivi raggiunti, partecipazione e crediti.", "The ambito applies to the level and gap indicators; the period to assessed, objectives achieved, participation and credits."},
	"monitor.all":                  {"Tutte", "All"},
	"monitor.apply":                {"Applica", "Apply"},
	"monitor.italy":                {"Italia", "Italy"},
	"monitor.population":           {"su %d professionisti", "of %d professionals"},
	"monitor.suppressed":           {"dato protetto", "suppressed"},
	"monitor.suppressed.why":       {"gruppo sotto la soglia di %d professionisti, o che la rivelerebbe per differenza", "group under the threshold of %d professionals, or one that would reveal it by difference"},
	"monitor.no_data":              {"nessun dato", "no data"},
	"monitor.out_of_scope":         {"fuori dal tuo ambito", "outside your scope"},
	"monitor.no_org":               {"Senza azienda", "No organisation"},
	"monitor.none":                 {"Nessuna", "None"},
	"monitor.no_persona":           {"Senza persona", "No persona"},
	"monitor.lines_region_only":    {"I valori per linea sono tenuti per regione e persona: togli il filtro per azienda e professione per vederli.", "Per-line figures are kept per region and persona: remove the organisation and profession filters to see them."},
	"monitor.ind.assessed":         {"Professionisti valutati (%)", "Professionals assessed (%)"},
	"monitor.ind.persona":          {"Professionisti con una persona digitale (%)", "Professionals with a Digital Persona (%)"},
	"monitor.ind.dossier":          {"Adozione del dossier formativo (%)", "Dossier formativo adoption (%)"},
	"monitor.ind.objectives":       {"Con obiettivi, almeno uno raggiunto (%)", "With objectives, at least one achieved (%)"},
	"monitor.ind.participation":    {"Con un evento completato (%)", "With a completed event (%)"},
	"monitor.ind.credits":          {"Crediti ECM per professionista", "ECM credits per professional"},
	"monitor.ind.level":            {"Livello medio", "Mean level"},
	"monitor.ind.gap":              {"Gap medio rispetto alla persona", "Mean gap to the persona"},
	"monitor.compare.region":       {"Confronto tra regioni", "Regions compared"},
	"monitor.compare.organisation": {"Confronto tra aziende", "Organisations compared"},
	"monitor.compare.profession":   {"Per professione", "By profession"},
	"monitor.compare.persona":      {"Per persona digitale", "By Digital Persona"},
	"monitor.compare.area":         {"Per ambito", "By ambito"},
	"monitor.compare.period":       {"Per anno", "By year"},
	"monitor.by.region":            {"Regione", "Region"},
	"monitor.by.organisation":      {"Azienda", "Organisation"},
	"monitor.by.profession":        {"Professione", "Profession"},
	"monitor.by.persona":           {"Persona", "Persona"},
	"monitor.by.area":              {"Ambito", "Ambito"},
	"monitor.by.period":            {"Anno", "Year"},
	"monitor.chart.desc":           {"Grafico a barre dei valori mostrati; i gruppi protetti non compaiono. Gli stessi numeri sono nella tabella.", "Bar chart of the values shown; suppressed groups are left out. The same numbers are in the table."},
	"monitor.chart.table_below":    {"I numeri del grafico sono nella tabella qui sotto.", "The chart's numbers are in the table below."},
	"monitor.map.title":            {"Mappa delle regioni e province autonome", "Map of the regions and autonomous provinces"},
	"monitor.map.help":             {"Ogni regione è un collegamento: selezionala (anche con il tasto Tab e Invio) per scendere nel dettaglio. Il valore è scritto sulla regione e nella tabella.", "Each region is a link: select it (Tab and Enter work too) to drill down. The value is written on the region and in the table."},
	"monitor.map.credit":           {"Confini", "Boundaries"},
	"monitor.legend":               {"Legenda, dal valore più basso al più alto", "Legend, lowest to highest value"},
	"monitor.shade0":               {"molto basso", "very low"},
	"monitor.shade1":               {"basso", "low"},
	"monitor.shade2":               {"medio", "middle"},
	"monitor.shade3":               {"alto", "high"},
	"monitor.shade4":               {"molto alto", "very high"},
	"monitor.heat.title":           {"Persona × ambito", "Persona × ambito"},
	"monitor.heat.help":            {"Livello medio (o gap, se scelto come indicatore) per persona e ambito; il numero è scritto in ogni cella, le celle tratteggiate sono protette.", "Mean level (or gap, when chosen as the indicator) per persona and ambito; the number is written in each cell, hatched cells are suppressed."},
	"monitor.lines.title":          {"Prima e dopo, per linea", "Before and after, per line"},
	"monitor.lines.desc":           {"Livello medio per linea prima e dopo l'ultima rivalutazione, tra chi è stato valutato almeno due volte.", "Mean level per line before and after the latest re-assessment, among those assessed at least twice."},
	"monitor.lines.none":           {"Nessun professionista rivalutato in questo ambito.", "No professional re-assessed in this scope."},
	"monitor.before":               {"Prima", "Before"},
	"monitor.after":                {"Dopo", "After"},
	"monitor.line":                 {"Linea", "Line"},
	"monitor.csv":                  {"scarica CSV", "download CSV"},
	"monitor.report":               {"Rapporto PDF di questa regione e periodo", "PDF report of this region and period"},
	"monitor.xlsx":                 {"scarica Excel (XLSX)", "download Excel (XLSX)"},
	"monitor.csv.label":            {"Voce", "Item"},
	"monitor.csv.population":       {"Professionisti", "Professionals"},
	"monitor.csv.numerator":        {"Numeratore", "Numerator"},
	"monitor.csv.suppressed":       {"Protetto", "Suppressed"},
	"monitor.total":                {"Totale", "Total"},
	"monitor.yes":                  {"sì", "yes"},
	"monitor.no":                   {"no", "no"},
}

// msg is the text of key in lang ("en" or Italian).
func msg(lang, key string) string {
	m, ok := Messages[key]
	if !ok {
		return key
	}
	if lang == "en" && m[1] != "" {
		return m[1]
	}
	return m[0]
}
