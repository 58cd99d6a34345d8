package exports

import (
	"fmt"

	"esd/internal/monitor"
	"esd/internal/tabular"
)

// DictColumn describes one column of the open data.
type DictColumn struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Unit      string `json:"unit,omitempty"`
	Nullable  bool   `json:"nullable"`
	MeaningIT string `json:"meaning_it"`
	MeaningEN string `json:"meaning_en"`
}

// DictIndicator describes one value of the indicator column.
type DictIndicator struct {
	Code      string `json:"code"`
	Unit      string `json:"unit"`
	PerYear   bool   `json:"per_year"`
	LabelIT   string `json:"label_it"`
	LabelEN   string `json:"label_en"`
	MeaningIT string `json:"meaning_it"`
	MeaningEN string `json:"meaning_en"`
}

// DataDictionary is the data dictionary of the open data: its columns, its indicators and
// the suppression rule.
type DataDictionary struct {
	Dataset       string          `json:"dataset"`
	Threshold     int             `json:"threshold"`
	SuppressionIT string          `json:"suppression_rule_it"`
	SuppressionEN string          `json:"suppression_rule_en"`
	CSVDialectIT  string          `json:"csv_dialect_it"`
	CSVDialectEN  string          `json:"csv_dialect_en"`
	Columns       []DictColumn    `json:"columns"`
	Indicators    []DictIndicator `json:"indicators"`
}

// columnMeaning are the dictionary entries of the columns, Italian then English, with the
// unit; they follow Columns in order.
var columnMeaning = map[string][3]string{
	"period":          {"Anno di riferimento (AAAA); vuoto = dall'avvio del programma a oggi", "Reference year (YYYY); empty = from the programme's start to date", ""},
	"region_code":     {"Codice della regione o provincia autonoma del Ministero della Salute (3 cifre, es. 090 Toscana); vuoto = Italia", "Ministry of Health code of the region or autonomous province (3 digits, e.g. 090 Toscana); empty = Italy", ""},
	"region_istat":    {"Codice ISTAT della regione o provincia autonoma", "ISTAT code of the region or autonomous province", ""},
	"region_name":     {"Nome della regione o provincia autonoma", "Name of the region or autonomous province", ""},
	"profession_code": {"Codice ECM della professione sanitaria; vuoto = tutte le professioni; 0 = nessuna professione registrata", "ECM code of the health profession; empty = every profession; 0 = no profession on record", ""},
	"profession_name": {"Nome della professione (Totale = tutte)", "Name of the profession (Totale = all)", ""},
	"persona_id":      {"Identificativo della persona digitale; vuoto = tutte; 0 = nessuna persona assegnata", "Id of the Digital Persona; empty = all; 0 = no persona assigned", ""},
	"persona_name":    {"Nome della persona digitale (Totale = tutte)", "Name of the Digital Persona (Totale = all)", ""},
	"indicator":       {"Codice dell'indicatore (vedi elenco degli indicatori)", "Indicator code (see the list of indicators)", ""},
	"unit":            {"Unità del valore: % (quota), level (media sulla scala 0–4), credits (crediti ECM per professionista)", "Unit of the value: % (share), level (mean on the 0–4 scale), credits (ECM credits per professional)", ""},
	"population":      {"Professionisti del gruppo su cui è calcolato l'indicatore (denominatore); vuoto se protetto", "Professionals of the group the indicator is computed on (denominator); empty when suppressed", "professionals"},
	"numerator":       {"Numeratore dell'indicatore (professionisti, o somma di livelli o crediti); vuoto se protetto", "Numerator of the indicator (professionals, or the sum of levels or credits); empty when suppressed", ""},
	"value":           {"Valore dell'indicatore nell'unità della colonna unit, due decimali; vuoto se protetto", "Value of the indicator in the unit column's unit, two decimals; empty when suppressed", "see unit"},
	"suppressed":      {"1 se la cella è protetta (gruppo piccolo o che lo rivelerebbe per differenza), 0 altrimenti", "1 when the cell is suppressed (a small group, or one that would reveal it by difference), 0 otherwise", ""},
}

var indicatorMeaning = map[string][2]string{
	"assessed":      {"Quota dei professionisti che hanno completato un'autovalutazione (nel periodo)", "Share of professionals who completed a self-assessment (in the period)"},
	"persona":       {"Quota dei professionisti a cui è assegnata una persona digitale", "Share of professionals with a Digital Persona assigned"},
	"dossier":       {"Quota dei professionisti con un dossier formativo", "Share of professionals with a dossier formativo"},
	"objectives":    {"Tra chi ha obiettivi di sviluppo, quota di chi ne ha raggiunto almeno uno (nel periodo)", "Among those with development objectives, the share who achieved at least one (in the period)"},
	"participation": {"Quota dei professionisti con almeno un evento formativo completato (nel periodo)", "Share of professionals with at least one completed training event (in the period)"},
	"credits":       {"Crediti ECM in eventi di sanità digitale per professionista (nel periodo)", "ECM credits in digital-health events per professional (in the period)"},
	"level":         {"Livello medio di competenza attuale, scala 0–4, tra i professionisti valutati", "Mean current competence level, 0–4 scale, among the assessed professionals"},
	"gap":           {"Distanza media tra il livello atteso dalla persona e quello attuale, scala 0–4", "Mean distance between the persona's expected level and the current one, 0–4 scale"},
}

// Dictionary is the data dictionary of a release with the given threshold.
func Dictionary(threshold int) DataDictionary {
	d := DataDictionary{
		Dataset:   "esd-monitoraggio",
		Threshold: threshold,
		SuppressionIT: fmt.Sprintf("Le celle di meno di %d professionisti sono vuote con suppressed = 1; lo sono anche le celle complementari che, sottratte da un totale o da un'altra ripartizione, le rivelerebbero. "+
			"Una riga vuota non vale zero: il dato esiste ma non è pubblicabile.", threshold),
		SuppressionEN: fmt.Sprintf("Cells of fewer than %d professionals are empty with suppressed = 1; so are the complementary cells that, subtracted from a total or another breakdown, would reveal them. "+
			"An empty row is not zero: the figure exists but cannot be published.", threshold),
		CSVDialectIT: "CSV per Excel italiano: UTF-8 con BOM, separatore ';', virgola decimale, righe terminate da CRLF, intestazione con i nomi delle colonne. Il file Parquet ha le stesse righe e colonne.",
		CSVDialectEN: "CSV for Italian Excel: UTF-8 with BOM, ';' separator, decimal comma, CRLF line ends, a header of column names. The Parquet file has the same rows and columns.",
	}
	for _, c := range Columns {
		m := columnMeaning[c.Key]
		d.Columns = append(d.Columns, DictColumn{Name: c.Key, Type: c.Kind.String(), Unit: m[2], MeaningIT: m[0], MeaningEN: m[1],
			Nullable: c.Key == "profession_code" || c.Key == "persona_id" || c.Key == "population" || c.Key == "numerator" || c.Key == "value"})
	}
	for _, k := range monitor.Indicators {
		l := monitor.Messages["monitor.ind."+k]
		m := indicatorMeaning[k]
		d.Indicators = append(d.Indicators, DictIndicator{Code: k, Unit: monitor.Unit(k), PerYear: monitor.Dated(k), LabelIT: l[0], LabelEN: l[1], MeaningIT: m[0], MeaningEN: m[1]})
	}
	return d
}

// Table is the dictionary as one CSV table: a row per column, then a row per indicator,
// then the suppression rule.
func (d DataDictionary) Table() tabular.Table {
	t := tabular.Table{Name: "dizionario", Columns: []tabular.Column{{Key: "section"}, {Key: "name"}, {Key: "type"}, {Key: "unit"}, {Key: "nullable"},
		{Key: "meaning_it"}, {Key: "meaning_en"}}}
	for _, c := range d.Columns {
		t.Add("column", c.Name, c.Type, c.Unit, c.Nullable, c.MeaningIT, c.MeaningEN)
	}
	for _, i := range d.Indicators {
		per := ""
		if i.PerYear {
			per = "; per anno / per year"
		}
		t.Add("indicator", i.Code, "value", i.Unit, true, i.LabelIT+": "+i.MeaningIT+per, i.LabelEN+": "+i.MeaningEN+per)
	}
	t.Add("suppression", "threshold", "integer", "professionals", false, d.SuppressionIT, d.SuppressionEN)
	t.Add("format", "csv", "", "", false, d.CSVDialectIT, d.CSVDialectEN)
	return t
}
