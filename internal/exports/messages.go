package exports

import (
	"fmt"

	"esd/internal/monitor"
)

// Messages are the texts of the exports, Italian first then English.
var Messages = map[string][2]string{
	"nav.opendata":           {"Dati aperti", "Open data"},
	"nav.opendata.desc":      {"Gli aggregati del programma, con i piccoli gruppi protetti, in CSV e Parquet, con dizionario dei dati e metadati DCAT-AP_IT.", "The programme's aggregates, small groups protected, as CSV and Parquet, with a data dictionary and DCAT-AP_IT metadata."},
	"exp.report":             {"Rapporto PDF", "PDF report"},
	"exp.report.link":        {"scarica il rapporto PDF di questo ambito e periodo", "download the PDF report of this scope and period"},
	"exp.report.title":       {"Rapporto di monitoraggio", "Monitoring report"},
	"exp.report.scope":       {"Ambito territoriale", "Area"},
	"exp.report.period":      {"Periodo", "Period"},
	"exp.report.period.all":  {"dall'avvio del programma", "since the programme started"},
	"exp.report.generated":   {"Generato il", "Generated on"},
	"exp.report.threshold":   {"Protezione dei piccoli gruppi", "Small-group protection"},
	"exp.report.threshold.v": {"i gruppi con meno di %d professionisti non sono mostrati, né le celle che li rivelerebbero per differenza («dato protetto»)", "groups of fewer than %d professionals are not shown, nor the cells that would reveal them by difference (\"suppressed\")"},
	"exp.report.headline":    {"Indicatori principali", "Headline figures"},
	"exp.report.indicator":   {"Indicatore", "Indicator"},
	"exp.report.population":  {"Professionisti", "Professionals"},
	"exp.report.value":       {"Valore", "Value"},
	"exp.report.chart.note":  {"Il grafico riporta accanto a ogni barra il valore; la tabella che segue dà gli stessi numeri.", "Each bar carries its value; the table below gives the same numbers."},
	"exp.report.heat":        {"Livello medio per persona digitale e ambito", "Mean level by Digital Persona and ambito"},
	"exp.report.heat.note":   {"Scala 0–4. Colonne: codici degli ambiti (legenda sotto).", "Scale 0–4. Columns: ambito codes (key below)."},
	"exp.report.lines":       {"Prima e dopo la rivalutazione, per linea", "Before and after re-assessment, per line"},
	"exp.report.lines.none":  {"Nessun professionista rivalutato in questo ambito.", "No re-assessed professionals in this scope."},
	"exp.report.italy":       {"Italia", "Italy"},
	"exp.report.source":      {"Fonte: ESD, aggregati del monitoraggio. Confini: ISTAT, Openpolis.", "Source: ESD monitoring aggregates. Boundaries: ISTAT, Openpolis."},
	"exp.od.title":           {"Dati aperti del programma", "Programme open data"},
	"exp.od.intro":           {"Gli aggregati del monitoraggio per periodo, regione, professione e persona digitale, pubblicabili su un portale open data. I gruppi con meno di %d professionisti, e le celle che li rivelerebbero per differenza, sono vuoti con il contrassegno «suppressed».", "The monitoring aggregates by period, region, profession and Digital Persona, ready for an open-data portal. Groups of fewer than %d professionals, and the cells that would reveal them by difference, are empty and flagged \"suppressed\"."},
	"exp.od.files":           {"File", "Files"},
	"exp.od.file":            {"File", "File"},
	"exp.od.format":          {"Formato", "Format"},
	"exp.od.size":            {"Dimensione", "Size"},
	"exp.od.rows":            {"Righe: %d. Aggiornato: %s. Licenza: CC BY 4.0. Editore: %s (codice IPA %s).", "Rows: %d. Updated: %s. Licence: CC BY 4.0. Publisher: %s (IPA code %s)."},
	"exp.od.dictionary":      {"Dizionario dei dati", "Data dictionary"},
	"exp.od.column":          {"Colonna", "Column"},
	"exp.od.type":            {"Tipo", "Type"},
	"exp.od.unit":            {"Unità", "Unit"},
	"exp.od.meaning":         {"Significato", "Meaning"},
	"exp.od.indicators":      {"Indicatori", "Indicators"},
	"exp.od.code":            {"Codice", "Code"},
	"exp.od.suppression":     {"Regola di protezione", "Suppression rule"},
	"exp.od.f.csv":           {"Aggregati, CSV per Excel italiano (; e virgola decimale)", "Aggregates, CSV for Italian Excel (; and decimal comma)"},
	"exp.od.f.parquet":       {"Aggregati, Apache Parquet", "Aggregates, Apache Parquet"},
	"exp.od.f.dict_csv":      {"Dizionario dei dati, CSV", "Data dictionary, CSV"},
	"exp.od.f.dict_json":     {"Dizionario dei dati, JSON", "Data dictionary, JSON"},
	"exp.od.f.rdf":           {"Metadati DCAT-AP_IT, RDF/XML (per gli harvester CKAN)", "DCAT-AP_IT metadata, RDF/XML (for CKAN harvesters)"},
	"exp.od.f.ttl":           {"Metadati DCAT-AP_IT, Turtle", "DCAT-AP_IT metadata, Turtle"},
	"exp.od.all":             {"Totale", "All"},
	"exp.od.synthetic":       {"Nella demo i dati sono sintetici.", "In the demo the data are synthetic."},
}

func msg(lang, key string, args ...any) string {
	m, ok := Messages[key]
	if !ok {
		if mm, ok2 := monitor.Messages[key]; ok2 {
			m, ok = mm, true
		}
	}
	if !ok {
		return key
	}
	s := m[0]
	if lang == "en" && m[1] != "" {
		s = m[1]
	}
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}
