package monitor

// Messages are the monitoring texts, Italian first then English; the web module adds them to
// the platform's catalogue and the service uses them for labels it builds itself.
var Messages = map[string][2]string{
	"monitor.no_org":            {"Senza azienda", "No organisation"},
	"monitor.none":              {"Nessuna", "None"},
	"monitor.no_persona":        {"Senza persona", "No persona"},
	"monitor.lines_region_only": {"I valori per linea sono tenuti per regione e persona: togli il filtro per azienda e professione per vederli.", "Per-line figures are kept per region and persona: remove the organisation and profession filters to see them."},
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
