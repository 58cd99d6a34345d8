package registry

import (
	"context"
	"errors"
	"fmt"

	"esd/internal/cf"
	"esd/internal/domain"
)

// The registry's problem reasons and error messages are people's reading (an HR office's
// import report above all), so they come in Italian and English. Services read the language
// from the context; the web module puts the page's language there, and the CLI and jobs get
// Italian, the platform's first language.

type langKey struct{}

// WithLanguage returns ctx asking the registry to word its messages in lang ("it" or "en").
func WithLanguage(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, langKey{}, lang)
}

// Language returns the language of ctx's messages: "en" if asked, else "it".
func Language(ctx context.Context) string {
	if l, _ := ctx.Value(langKey{}).(string); l == "en" {
		return "en"
	}
	return "it"
}

// tr words a message: format is the English text, italian maps it to the Italian one.
func tr(lang, format string, args ...any) string {
	if lang != "en" {
		if it, ok := italian[format]; ok {
			format = it
		}
	}
	return fmt.Sprintf(format, args...)
}

// cfReason words a codice fiscale error.
func cfReason(lang string, err error) string {
	var e *cf.Error
	if !errors.As(err, &e) || e.Format == "" {
		return err.Error()
	}
	s := tr(lang, e.Format, e.Args...)
	if e.Pos > 0 {
		s = tr(lang, "%s (position %d)", s, e.Pos)
	}
	return s
}

func forbidden(ctx context.Context, format string, args ...any) error {
	return domain.Forbidden("%s", tr(Language(ctx), format, args...))
}

// italian maps each English message format of the registry (and of package cf) to Italian.
var italian = map[string]string{
	// cf
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
	"unknown birthplace code %s (not a comune of the ISTAT list)":     "codice del luogo di nascita sconosciuto %s (non è un comune dell'elenco ISTAT)",
	"wrong check character %q (expected %q)":                          "carattere di controllo errato %q (atteso %q)",
	"a temporary codice fiscale has 11 digits":                        "il codice fiscale provvisorio ha 11 cifre",
	"a temporary codice fiscale cannot be all zeros":                  "il codice fiscale provvisorio non può essere tutto zeri",
	"wrong check digit %q (expected %q)":                              "cifra di controllo errata %q (attesa %q)",
	"%s (position %d)":                                                "%s (posizione %d)",
	"need 10 digits":                                                  "servono 10 cifre",
	"the surname has no letters":                                      "il cognome non contiene lettere",
	"the name has no letters":                                         "il nome non contiene lettere",
	"invalid birthplace code %q":                                      "codice del luogo di nascita non valido %q",
	"missing birth date":                                              "manca la data di nascita",
	"sex must be M or F":                                              "il sesso deve essere M o F",
	"temporary codes have no omocodia":                                "i codici provvisori non hanno omocodia",
	"omocodia level must be 1 to 7":                                   "il livello di omocodia va da 1 a 7",
	// fields
	"required":             "obbligatorio",
	"required (one of %s)": "obbligatorio (uno tra %s)",
	"starts with %q, which a spreadsheet would run as a formula: refused": "inizia con %q, che un foglio di calcolo eseguirebbe come formula: rifiutato",
	"not valid text":                   "testo non valido",
	"too long (at most %d characters)": "troppo lungo (al massimo %d caratteri)",
	"contains a control character":     "contiene un carattere di controllo",
	"contains %q: names may have only letters, spaces, apostrophes, hyphens and dots": "contiene %q: i nomi possono avere solo lettere, spazi, apostrofi, trattini e punti",
	"has no letters":                                               "non contiene lettere",
	"not an e-mail address":                                        "non è un indirizzo e-mail",
	"unknown value (one of %s)":                                    "valore sconosciuto (uno tra %s)",
	"at least one profession/discipline pair is required":          "serve almeno una coppia professione/disciplina",
	"at most 8 profession/discipline pairs":                        "al massimo 8 coppie professione/disciplina",
	"unknown profession %d (ECM codes 1-30)":                       "professione sconosciuta %d (codici ECM 1-30)",
	"profession %d (%s) needs a discipline":                        "la professione %d (%s) richiede una disciplina",
	"unknown discipline %d":                                        "disciplina sconosciuta %d",
	"discipline %d (%s) is not a discipline of profession %d (%s)": "la disciplina %d (%s) non è una disciplina della professione %d (%s)",
	"unknown organisation":                                         "organizzazione sconosciuta",
	"%s is an ECM provider, not a health organisation":             "%s è un provider ECM, non un'organizzazione sanitaria",
	"unknown region":                                               "regione sconosciuta",
	"%s is in %s, not in %s":                                       "%s è in %s, non in %s",
	"unknown kind (one of %s)":                                     "tipo sconosciuto (uno tra %s)",
	"codes may contain only letters, digits and . _ / -":           "i codici possono contenere solo lettere, cifre e . _ / -",
	"unknown parent organisation":                                  "azienda di riferimento sconosciuta",
	"the parent must be an ASL":                                    "l'azienda di riferimento deve essere un'ASL",
	"the parent ASL is in another region":                          "l'azienda di riferimento è in un'altra regione",
	"unknown structure type":                                       "tipo di struttura sconosciuto",
	"unknown ISTAT comune code":                                    "codice ISTAT del comune sconosciuto",
	"not a date (YYYY-MM-DD)":                                      "non è una data (AAAA-MM-GG)",
	"ends before it starts":                                        "finisce prima di cominciare",
	"%s (and %d more problems)":                                    "%s (e altri %d problemi)",
	// conflicts and scope
	"a professional with this codice fiscale is already registered":                              "un professionista con questo codice fiscale è già registrato",
	"an organisation of this kind with this code already exists":                                 "esiste già un'organizzazione di questo tipo con questo codice",
	"a professional of the file was registered by someone else meanwhile: import the file again": "nel frattempo un professionista del file è stato registrato da altri: importa di nuovo il file",
	"you may register professionals only within your scope":                                      "puoi registrare professionisti solo nel tuo ambito",
	"you may not move a professional out of your scope":                                          "non puoi spostare un professionista fuori dal tuo ambito",
	"you may register organisations of your region only":                                         "puoi registrare solo organizzazioni della tua regione",
	"you may edit organisations of your region only":                                             "puoi modificare solo organizzazioni della tua regione",
	"you may not move an organisation out of your region":                                        "non puoi spostare un'organizzazione fuori dalla tua regione",
	"you may not register professionals":                                                         "non puoi registrare professionisti",
	"you may not edit this record":                                                               "non puoi modificare questa scheda",
	"you may not import professionals":                                                           "non puoi importare professionisti",
	"you may not register organisations":                                                         "non puoi registrare organizzazioni",
	"you may not edit this organisation":                                                         "non puoi modificare questa organizzazione",
	// import file
	"the file is empty": "il file è vuoto",
	"the file is encoded in UTF-16: save it as CSV in UTF-8 (or Windows-1252)":                                 "il file è codificato in UTF-16: salvalo come CSV in UTF-8 (o Windows-1252)",
	"this is an Excel workbook or a zip archive, not a CSV file: save it as CSV":                               "questa è una cartella di lavoro Excel o un archivio zip, non un file CSV: salvalo come CSV",
	"line %d opens a quoted field that is still open %d bytes later: check the quotes \"":                      "la riga %d apre un campo tra virgolette ancora aperto %d byte dopo: controlla le virgolette \"",
	"line %d is longer than %d bytes: this does not look like a CSV export of professionals":                   "la riga %d è più lunga di %d byte: non sembra un'esportazione CSV di professionisti",
	"line %d contains NUL bytes: the file is binary or UTF-16, not a CSV text file":                            "la riga %d contiene byte NUL: il file è binario o UTF-16, non un file di testo CSV",
	"line %d is not valid UTF-8, unlike the lines before it: the file mixes encodings; save it again as UTF-8": "la riga %d non è UTF-8 valido, a differenza delle precedenti: il file mescola codifiche; salvalo di nuovo in UTF-8",
	"line %d is UTF-8 but earlier lines were Windows-1252: the file mixes encodings; save it again as UTF-8":   "la riga %d è UTF-8 ma le precedenti erano Windows-1252: il file mescola codifiche; salvalo di nuovo in UTF-8",
	"line %d has byte 0x%X, which is not a character in Windows-1252 (nor UTF-8): wrong encoding":              "la riga %d contiene il byte 0x%X, che non è un carattere Windows-1252 (né UTF-8): codifica errata",
	"line %d: %s (check the quotes \")":                                                                        "riga %d: %s (controlla le virgolette \")",
	"columns %d (%q) and %d (%q) are the same column %s":                                                       "le colonne %d (%q) e %d (%q) sono la stessa colonna %s",
	"missing columns: %s (the header must name them; see the accepted header names)":                           "colonne mancanti: %s (la prima riga deve nominarle; vedi i nomi accettati)",
	"%d fields, but the header has %d":                                                                         "%d campi, ma l'intestazione ne ha %d",
	"%d of %d rows have problems: nothing was imported":                                                        "righe con problemi: %d su %d; non è stato importato nulla",
	"… and %d more problems":                     "… e altri %d problemi",
	"the same codice fiscale is also on line %d": "lo stesso codice fiscale è anche alla riga %d",
	"this professional is already registered outside your scope: their region or organisation must change it": "questo professionista è già registrato fuori dal tuo ambito: deve modificarlo la sua regione o organizzazione",
	"moves to another region but the file has no %s column to change the organisation (%s)":                   "cambia regione ma il file non ha la colonna %s per cambiare l'organizzazione (%s)",
	"unknown region (a Ministry code such as 090, an ISO code such as IT-52, or a name such as Toscana)":      "regione sconosciuta (un codice del Ministero come 090, un codice ISO come IT-52 o un nome come Toscana)",
	"outside your region: you may import only professionals of %s":                                            "fuori dalla tua regione: puoi importare solo professionisti di %s",
	"not your organisation: you may import only your own staff (%s)":                                          "non è la tua organizzazione: puoi importare solo il tuo personale (%s)",
	"a discipline without a profession":                                                                       "una disciplina senza professione",
	"unknown profession (an ECM code 1-30 or its name)":                                                       "professione sconosciuta (un codice ECM 1-30 o il suo nome)",
	"unknown discipline %q for profession %d":                                                                 "disciplina sconosciuta %q per la professione %d",
	"not a profession code or profession.discipline pair: %q":                                                 "non è un codice di professione né una coppia professione.disciplina: %q",
	"not a discipline code: %q":                                                                               "non è un codice di disciplina: %q",
	"unknown organisation code (the Ministry code of an ASL or hospital, e.g. 090201)":                        "codice di organizzazione sconosciuto (il codice ministeriale di un'ASL o di un ospedale, es. 090201)",
	"several organisations have this code: write kind:code (e.g. presidio:%s)":                                "più organizzazioni hanno questo codice: scrivi tipo:codice (es. presidio:%s)",
	"no organisation of kind %s has this code":                                                                "nessuna organizzazione di tipo %s ha questo codice",
}
