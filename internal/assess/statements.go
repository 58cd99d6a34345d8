package assess

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Self-rating statements are generated from a line's title and its level descriptors, in the
// first person, so they read as something a professional says of themselves ("So usare…",
// "Consulto…"). Descriptors written in the third person ("Consulta il FSE…") become first
// person ("Consulto il FSE…"); infinitives become "So …"; anything else is quoted after a
// short lead-in, and a line without descriptors gets a statement built from its title and the
// meaning of the level.

// irregularIT maps third-person present forms whose first person is not regular.
var irregularIT = map[string]string{
	"sa": "so", "fa": "faccio", "può": "posso", "deve": "devo", "ha": "ho", "è": "sono", "dà": "do", "sta": "sto",
	"va": "vado", "sceglie": "scelgo", "raccoglie": "raccolgo", "accoglie": "accolgo", "coglie": "colgo",
	"mantiene": "mantengo", "ottiene": "ottengo", "contiene": "contengo", "sostiene": "sostengo", "tiene": "tengo",
	"viene": "vengo", "propone": "propongo", "dispone": "dispongo", "pone": "pongo", "espone": "espongo",
	"compone": "compongo", "rimane": "rimango", "esce": "esco", "conosce": "conosco", "riconosce": "riconosco",
	"vuole": "voglio", "traduce": "traduco", "conduce": "conduco", "produce": "produco",
	"introduce": "introduco", "riduce": "riduco", "dice": "dico", "predispone": "predispongo",
}

// verbsIT lists third-person forms that begin level descriptors and follow the regular rule
// (drop the final vowel, add -o). Words not listed are not guessed at: "Uso", "Conoscenza"
// could be nouns.
var verbsIT = strings.Fields(`usa utilizza consulta applica gestisce guida progetta valuta spiega descrive identifica
	configura promuove coordina insegna supporta interpreta comprende distingue segue esegue partecipa forma analizza
	verifica individua definisce adotta integra organizza collabora contribuisce comunica orienta accompagna redige
	attiva imposta monitora risolve protegge rispetta segnala pianifica dirige elabora effettua svolge trasmette
	consegna sviluppa aiuta mostra legge scrive compila archivia condivide cerca trova accede inserisce alimenta
	carica scarica firma prescrive prenota registra documenta informa educa addestra coinvolge verbalizza valida
	controlla misura confronta sceglie seleziona raccomanda promuove utilizza sa riconosce conosce opera lavora
	impiega adatta personalizza migliora innova implementa introduce governa presidia cura tutela assicura garantisce
	rileva osserva interviene affianca sostiene facilita agevola rende usa attua conduce produce traduce riduce
	gestisce interagisce collega ricerca discute esamina padroneggia anticipa previene corregge aggiorna crea
	realizza manutiene amministra custodisce difende reagisce risponde affronta abilita sperimenta motiva
	fornisce ottiene mantiene tiene propone predispone dispone ha fa può deve è dà`)

var verbSetIT = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range verbsIT {
		m[v] = true
	}
	return m
}()

// verbAlways are forms that are verbs wherever they stand ("sa spiegare", "ha una
// conoscenza"); other known verb forms are converted only where a verb is expected: at the
// start, or after a conjunction, a clitic or punctuation, since many are also nouns
// ("la guida", "la forma", "strumenti guida").
var verbAlways = map[string]bool{"sa": true, "ha": true, "è": true, "può": true, "deve": true}

var verbTriggers = map[string]bool{"e": true, "ed": true, "ne": true, "non": true, "poi": true, "inoltre": true, "anche": true, "o": true}

// phrasesIT fixes template fragments whose subject is the professional.
var phrasesIT = strings.NewReplacer("che assiste", "che assisto", "a chi rivolgersi", "a chi rivolgermi", "persone che segue", "persone che seguo")

// firstPersonIT rewrites a level descriptor written in the third person ("Conosce …, ne
// riconosce …: orienta …, redige … e forma …") into the first person ("Conosco …, ne
// riconosco …: oriento …, redigo … e formo …"). ok is false when no verb of the professional
// was found, so the caller uses another form.
func firstPersonIT(desc string) (string, bool) {
	desc = strings.TrimSpace(desc)
	if desc == "" {
		return "", false
	}
	first, _ := splitFirst(desc)
	if w := strings.ToLower(first); isInfinitiveIT(w) {
		inf := w
		if strings.HasSuffix(inf, "si") {
			inf = strings.TrimSuffix(inf, "si") + "mi"
		}
		_, rest := splitFirst(desc)
		return possessivesIT("So " + inf + rest), true
	}
	words := strings.Fields(desc)
	changed := 0
	prev := "" // the previous word, or the punctuation that ended it
	for i, raw := range words {
		core := strings.TrimRight(raw, ",.;:")
		tail := raw[len(core):]
		w := strings.ToLower(core)
		trigger := i == 0 || verbTriggers[prev] || prev == "," || prev == ":" || prev == ";" || prev == "si"
		conv := ""
		if verbAlways[w] || trigger {
			switch {
			case irregularIT[w] != "":
				conv = irregularIT[w]
			case verbSetIT[w] || (strings.HasSuffix(w, "isce") && len(w) > 5):
				conv = w[:len(w)-1] + "o"
			}
		}
		if conv != "" {
			if i > 0 && prev == "si" {
				words[i-1] = strings.Replace(words[i-1], "si", "mi", 1)
				if words[i-1] == "Mi" || i-1 == 0 {
					words[i-1] = "Mi"
				}
			}
			if i == 0 {
				conv = upperFirst(conv)
			}
			words[i] = conv + tail
			changed++
		}
		prev = w
		if tail != "" {
			prev = tail[len(tail)-1:]
		}
	}
	if changed == 0 {
		return "", false
	}
	return possessivesIT(phrasesIT.Replace(strings.Join(words, " "))), true
}

func isInfinitiveIT(w string) bool {
	if utf8.RuneCountInString(w) < 5 {
		return false
	}
	for _, suf := range []string{"are", "ere", "ire", "arsi", "ersi", "irsi"} {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// possessivesIT turns "il proprio lavoro" into "il mio lavoro".
func possessivesIT(s string) string {
	r := strings.NewReplacer(" proprio ", " mio ", " propria ", " mia ", " propri ", " miei ", " proprie ", " mie ")
	s = r.Replace(s)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}

// firstPersonEN does the same for English descriptors ("Uses the FSE…" → "I use the FSE…").
func firstPersonEN(desc string) (string, bool) {
	desc = strings.TrimSpace(desc)
	if desc == "" {
		return "", false
	}
	first, rest := splitFirst(desc)
	w := strings.ToLower(first)
	var conv string
	switch {
	case w == "is":
		conv = "am"
	case w == "has":
		conv = "have"
	case w == "can" || w == "knows":
		conv = strings.TrimSuffix(w, "s")
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		conv = strings.TrimSuffix(w, "ies") + "y"
	case strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes") || w == "goes" || w == "does":
		conv = strings.TrimSuffix(w, "es")
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 3:
		conv = strings.TrimSuffix(w, "s")
	default:
		return "", false
	}
	r := strings.NewReplacer(" their own ", " my own ", " their ", " my ", " themselves ", " myself ")
	s := r.Replace("I " + conv + rest + " ")
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s, true
}

func splitFirst(s string) (string, string) {
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// fallbackIT are statements for lines without descriptors, by position on a four-level scale.
var fallbackIT = []string{
	"Su «%s» conosco le nozioni di base e le applico con l'aiuto di un collega o di una guida.",
	"Su «%s» lavoro in autonomia nelle situazioni abituali del mio lavoro.",
	"Su «%s» gestisco anche situazioni complesse o nuove e so aiutare i colleghi.",
	"Su «%s» sono un punto di riferimento: guido gli altri, miglioro i processi e formo i colleghi.",
}

var fallbackEN = []string{
	"On “%s” I know the basics and apply them with help from a colleague or a guide.",
	"On “%s” I work on my own in the usual situations of my job.",
	"On “%s” I also handle complex or new situations and can help colleagues.",
	"On “%s” I am a point of reference: I lead others, improve processes and train colleagues.",
}

// SelfStatement returns the Italian and English self-rating statement of a line at a level of
// a scale with max levels.
func SelfStatement(line *Node, level, max int) (it, en string) {
	if d, ok := firstPersonIT(line.LevelIT[level]); ok {
		it = d
	} else if d := strings.TrimSpace(line.LevelIT[level]); d != "" {
		it = "Mi riconosco in questa descrizione: «" + strings.TrimSuffix(d, ".") + "»."
	} else {
		it = fmt.Sprintf(fallbackIT[scaleSlot(level, max)], line.TitleIT)
	}
	if d, ok := firstPersonEN(line.LevelEN[level]); ok {
		en = d
	} else if d := strings.TrimSpace(line.LevelEN[level]); d != "" {
		en = "This describes me: “" + strings.TrimSuffix(d, ".") + "”."
	} else {
		title := line.TitleEN
		if title == "" {
			title = line.TitleIT
		}
		en = fmt.Sprintf(fallbackEN[scaleSlot(level, max)], title)
	}
	return it, en
}

// scaleSlot maps a level of a scale of any length onto the four generic statements.
func scaleSlot(level, max int) int {
	if max <= 1 {
		return 0
	}
	i := (level - 1) * 3 / (max - 1)
	return min(max0(i), 3)
}

func max0(i int) int {
	if i < 0 {
		return 0
	}
	return i
}

// AreaStatement is the statement of a level for the overall rating of an ambito: the scale's
// descriptor of the level in the first person ("Svolgo in autonomia compiti ben definiti…"),
// else a generic one.
func AreaStatement(f *Framework, level int, lang string) string {
	for _, l := range f.Scale {
		if l.Level != level {
			continue
		}
		if lang == "en" {
			if s, ok := firstPersonEN(l.DescEN); ok {
				return s
			}
		} else if s, ok := firstPersonIT(l.DescIT); ok {
			return s
		}
	}
	generic := [][2]string{
		{"Conosco le basi e le applico con l'aiuto di un collega o di una guida.", "I know the basics and apply them with help from a colleague or a guide."},
		{"Lavoro in autonomia nelle situazioni abituali del mio lavoro.", "I work on my own in the usual situations of my job."},
		{"Gestisco anche situazioni complesse o nuove e so aiutare i colleghi.", "I also handle complex or new situations and can help colleagues."},
		{"Sono un punto di riferimento: guido gli altri, miglioro i processi e formo i colleghi.", "I am a point of reference: I lead others, improve processes and train colleagues."},
	}
	g := generic[scaleSlot(level, f.MaxLevel())]
	if lang == "en" {
		return g[1]
	}
	return g[0]
}
