package rapporto

// The problems of a rapporto evento are read by providers' staff, so, as in the registry,
// they come in Italian (the default) and English: each English format maps to its Italian
// one. TestEveryMessageHasItalian keeps the catalogue complete.

// italian maps each English message format of the package (and of package cf) to Italian.
var italian = map[string]string{
	// report
	"%s: the rapporto evento has %d problems; nothing was imported": "%s: il rapporto evento ha %d problemi; non è stato importato nulla",
	"… and %d more problems":                                        "… e altri %d problemi",

	// file and encoding
	"the file is empty": "il file è vuoto",
	"the file is binary (or UTF-16), not a text file":                                                                         "il file è binario (o UTF-16), non un file di testo",
	"the file is UTF-16: save it as ISO-8859-1, Windows-1252 or UTF-8":                                                        "il file è UTF-16: salvarlo come ISO-8859-1, Windows-1252 o UTF-8",
	"the file declares encoding %s, which is not accepted: use ISO-8859-1 (or UTF-8)":                                         "il file dichiara la codifica %s, che non è accettata: usare ISO-8859-1 (o UTF-8)",
	"unsupported encoding %s: use ISO-8859-1, windows-1252 or UTF-8":                                                          "codifica %s non supportata: usare ISO-8859-1, windows-1252 o UTF-8",
	"the file starts with a UTF-8 byte-order mark but declares %s: its accented letters would be misread":                     "il file inizia con il BOM UTF-8 ma dichiara %s: le lettere accentate sarebbero lette male",
	"the file declares %s but line %d holds UTF-8 bytes (e.g. \"Ã¨\" for \"è\"): save it as %s or declare encoding=\"UTF-8\"": "il file dichiara %s ma la riga %d contiene byte UTF-8 (ad es. \"Ã¨\" per \"è\"): salvarlo come %s o dichiarare encoding=\"UTF-8\"",
	"line %d is not valid UTF-8: the file is probably ISO-8859-1 or windows-1252, so declare that encoding":                   "la riga %d non è UTF-8 valido: il file è probabilmente ISO-8859-1 o windows-1252, quindi va dichiarata quella codifica",
	"the file cannot be read: %s": "il file non è leggibile: %s",

	// XML structure
	"the XML is not well formed: %s":                                       "l'XML non è ben formato: %s",
	"<%s> opened on line %d is not closed":                                 "<%s> aperto alla riga %d non è chiuso",
	"there is more than one root element: the file must hold one dataroot": "c'è più di un elemento radice: il file deve contenere un solo dataroot",
	"unexpected element <%s> inside <%s>":                                  "elemento <%s> non previsto dentro <%s>",
	"unexpected text inside %s":                                            "testo non previsto dentro %s",
	"a DOCTYPE or other <!...> declaration is not allowed":                 "non è ammessa una dichiarazione DOCTYPE o altra <!...>",
	"the file has no <dataroot> element":                                   "il file non ha l'elemento <dataroot>",
	"<dataroot> must contain one <evento>":                                 "<dataroot> deve contenere un <evento>",
	"<dataroot> may hold only one <evento> (the first is on line %d)":      "<dataroot> può contenere un solo <evento> (il primo è alla riga %d)",
	"<evento> must contain at least one <partecipante>":                    "<evento> deve contenere almeno un <partecipante>",
	"unknown attribute %s on <%s>":                                         "attributo %s sconosciuto su <%s>",
	"attribute %s appears twice":                                           "l'attributo %s compare due volte",
	"attribute %s of <%s> is missing":                                      "manca l'attributo %s di <%s>",
	"<professione> %d has no <disciplina>":                                 "<professione> %d non ha alcuna <disciplina>",
	"the participant has no <professione>":                                 "il partecipante non ha alcuna <professione>",

	// values
	"%s is empty":                     "%s è vuoto",
	"%s is longer than %d characters": "%s supera i %d caratteri",
	"%s must be greater than 0":       "%s deve essere maggiore di 0",
	"%s must be a whole number":       "%s deve essere un numero intero",
	"%s has more than %d digits":      "%s ha più di %d cifre",
	"%s must be one of %s":            "%s deve essere uno tra %s",
	"%s must be a code from %d to %d": "%s deve essere un codice da %d a %d",
	"%s must be 3 digits":             "%s deve essere di 3 cifre",
	"%s must be a number with one decimal, e.g. 4.5 (at most 50.0)":                       "%s deve essere un numero con un decimale, ad es. 4.5 (al massimo 50.0)",
	"%s must be greater than 0 and at most 50":                                            "%s deve essere maggiore di 0 e al massimo 50",
	"%s is not a date (dd/mm/yyyy or yyyy-mm-dd)":                                         "%s non è una data (gg/mm/aaaa o aaaa-mm-gg)",
	"%s is not a date in the form yyyy-mm-dd":                                             "%s non è una data nella forma aaaa-mm-gg",
	"data_fine (%s) is before data_ini (%s)":                                              "data_fine (%s) è precedente a data_ini (%s)",
	"%s may hold only letters, spaces and ' , - . (found %q)":                             "%s può contenere solo lettere, spazi e ' , - . (trovato %q)",
	"%s may hold only letters, digits, spaces and ' , ; - . ( ) (found %q)":               "%s può contenere solo lettere, cifre, spazi e ' , ; - . ( ) (trovato %q)",
	"%s must have 16 characters (the rapporto evento accepts no temporary codes), not %d": "%s deve avere 16 caratteri (il rapporto evento non accetta codici provvisori), non %d",
	"invalid codice fiscale: %s":                                                          "codice fiscale non valido: %s",
	"the participant %s is listed twice in the event (also on line %d)":                   "il partecipante %s compare due volte nell'evento (anche alla riga %d)",
	"profession %d is listed twice for this participant (also on line %d)":                "la professione %d compare due volte per questo partecipante (anche alla riga %d)",
	"profession %d is listed twice for this participant":                                  "la professione %d compare due volte per questo partecipante",
	"discipline %d is listed twice in profession %d":                                      "la disciplina %d compare due volte nella professione %d",

	// CSV
	"the header row cannot be read":   "la riga di intestazione non è leggibile",
	"unknown column %q (expected %s)": "colonna %q sconosciuta (attese %s)",
	"column %s appears twice":         "la colonna %s compare due volte",
	"required column %s is missing":   "manca la colonna obbligatoria %s",
	"malformed CSV row: %s":           "riga CSV malformata: %s",
	"the row has no %s column":        "la riga non ha la colonna %s",
	"column %s is not valid UTF-8: save the whole file as UTF-8 or Windows-1252": "la colonna %s non è UTF-8 valido: salvare tutto il file come UTF-8 o Windows-1252",
	"the file lists no participant":                                              "il file non elenca alcun partecipante",
	"%s is empty: give at least one profession.discipline, e.g. 1.58":            "%s è vuoto: indicare almeno una professione.disciplina, ad es. 1.58",
	"%q must be profession.discipline[.discipline…], e.g. 1.58":                  "%q deve essere professione.disciplina[.disciplina…], ad es. 1.58",

	// writer
	"the report has no event: WriteXML needs rep.Event":                     "il rapporto non ha l'evento: WriteXML richiede rep.Event",
	"the participant %s is listed twice in the event (also participant %d)": "il partecipante %s compare due volte nell'evento (anche il partecipante %d)",
	"sponsor %q has no character the schema allows":                         "lo sponsor %q non ha alcun carattere ammesso dallo schema",
	"the participant has no profession":                                     "il partecipante non ha alcuna professione",
	"profession code %d is out of range 1-99 or repeated":                   "il codice professione %d è fuori dall'intervallo 1-99 o ripetuto",
	"profession %d has no discipline":                                       "la professione %d non ha alcuna disciplina",
	"discipline code %d is out of range 1-999 or repeated":                  "il codice disciplina %d è fuori dall'intervallo 1-999 o ripetuto",

	// cf (the same wording as the registry's catalogue)
	"%s (position %d)":     "%s (posizione %d)",
	"empty codice fiscale": "codice fiscale vuoto",
	"a codice fiscale has 16 characters (or 11 digits if temporary), not %d": "il codice fiscale ha 16 caratteri (11 cifre se provvisorio), non %d",
	"invalid character %q":                                            "carattere non valido %q",
	"positions 1-6 (surname and name) must be letters":                "le posizioni 1-6 (cognome e nome) devono essere lettere",
	"invalid month letter %q (A B C D E H L M P R S T)":               "lettera del mese non valida %q (A B C D E H L M P R S T)",
	"position 12 (birthplace) must be a letter":                       "la posizione 12 (luogo di nascita) deve essere una lettera",
	"the check character must be a letter":                            "il carattere di controllo deve essere una lettera",
	"position %d must be a digit (or an omocodia letter L-V), not %q": "la posizione %d deve essere una cifra (o una lettera di omocodia L-V), non %q",
	"invalid day of birth %s%s (1-31 for men, 41-71 for women)":       "giorno di nascita non valido %s%s (1-31 per gli uomini, 41-71 per le donne)",
	"day %d does not exist in month %d":                               "il giorno %d non esiste nel mese %d",
	"invalid foreign-state code %s":                                   "codice di stato estero non valido %s",
	"wrong check character %q (expected %q)":                          "carattere di controllo errato %q (atteso %q)",
}
