// Package italian analyses Italian text for search and matching: it splits text into words,
// removes elided articles and prepositions ("dell'", "l'", "all'"), lowercases, drops stop
// words, reduces each word to its Snowball Italian stem and folds accents, so that
// "Telemonitoraggio dei pazienti cronici" and "telemonitoraggio del paziente cronico" give
// the same terms. It also expands the acronyms of digital health (FSE, AI, IA, GDPR, ...)
// into the words they stand for, so a search for one finds the other.
//
// The analyser is deterministic and has no state: terms stored in the database by one
// version stay comparable with queries analysed by the same version. Version names the
// behaviour; stored terms carry it so a change can trigger a re-analysis.
package italian

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/italian"
	"golang.org/x/text/unicode/norm"
)

// Version identifies the analysis; bump it whenever the output for some input changes.
const Version = "it-2"

// elided are the articles, prepositions and pronouns that Italian writes with an apostrophe
// before a vowel ("l'uso", "dell'assistenza", "un'app", "c'è"). The part before the
// apostrophe is dropped. The list is Lucene's Italian elision set plus a few common forms.
var elided = set("c", "l", "all", "dall", "dell", "nell", "sull", "coll", "pell", "gl", "agl", "dagl",
	"degl", "negl", "sugl", "un", "m", "t", "s", "v", "d", "quest", "quell", "nessun", "ciascun",
	"alcun", "anch", "dov", "com", "cos", "tutt", "senz", "tra", "fra", "bell", "sant")

// stop is the Snowball Italian stop-word list (articles, prepositions, pronouns, forms of
// essere/avere/fare/stare), in lowercase with accents as written.
var stop = set(
	"ad", "al", "allo", "ai", "agli", "all", "agl", "alla", "alle", "con", "col", "coi", "da", "dal", "dallo",
	"dai", "dagli", "dall", "dagl", "dalla", "dalle", "di", "del", "dello", "dei", "degli", "dell", "degl",
	"della", "delle", "in", "nel", "nello", "nei", "negli", "nell", "negl", "nella", "nelle", "su", "sul",
	"sullo", "sui", "sugli", "sull", "sugl", "sulla", "sulle", "per", "tra", "contro", "io", "tu", "lui",
	"lei", "noi", "voi", "loro", "mio", "mia", "miei", "mie", "tuo", "tua", "tuoi", "tue", "suo", "sua",
	"suoi", "sue", "nostro", "nostra", "nostri", "nostre", "vostro", "vostra", "vostri", "vostre", "mi",
	"ti", "ci", "vi", "lo", "la", "li", "le", "gli", "ne", "il", "un", "uno", "una", "ma", "ed", "se",
	"perché", "perchè", "anche", "come", "dov", "dove", "che", "chi", "cui", "non", "più", "quale", "quanto",
	"quanti", "quanta", "quante", "quello", "quelli", "quella", "quelle", "questo", "questi", "questa",
	"queste", "si", "tutto", "tutti", "a", "c", "e", "i", "l", "o", "ho", "hai", "ha", "abbiamo", "avete",
	"hanno", "abbia", "abbiate", "abbiano", "avrò", "avrai", "avrà", "avremo", "avrete", "avranno",
	"avrei", "avresti", "avrebbe", "avremmo", "avreste", "avrebbero", "avevo", "avevi", "aveva",
	"avevamo", "avevate", "avevano", "ebbi", "avesti", "ebbe", "avemmo", "aveste", "ebbero", "avessi",
	"avesse", "avessimo", "avessero", "avendo", "avuto", "avuta", "avuti", "avute", "sono", "sei", "è",
	"siamo", "siete", "sia", "siate", "siano", "sarò", "sarai", "sarà", "saremo", "sarete", "saranno",
	"sarei", "saresti", "sarebbe", "saremmo", "sareste", "sarebbero", "ero", "eri", "era", "eravamo",
	"eravate", "erano", "fui", "fosti", "fu", "fummo", "foste", "furono", "fossi", "fosse", "fossimo",
	"fossero", "essendo", "faccio", "fai", "facciamo", "fanno", "faccia", "facciate", "facciano",
	"farò", "farai", "farà", "faremo", "farete", "faranno", "farei", "faresti", "farebbe", "faremmo",
	"fareste", "farebbero", "facevo", "facevi", "faceva", "facevamo", "facevate", "facevano", "feci",
	"facesti", "fece", "facemmo", "faceste", "fecero", "facessi", "facesse", "facessimo", "facessero",
	"facendo", "sto", "stai", "sta", "stiamo", "stanno", "stia", "stiate", "stiano", "starò", "starai",
	"starà", "staremo", "starete", "staranno", "starei", "staresti", "starebbe", "staremmo",
	"stareste", "starebbero", "stavo", "stavi", "stava", "stavamo", "stavate", "stavano", "stetti",
	"stesti", "stette", "stemmo", "steste", "stettero", "stessi", "stesse", "stessimo", "stessero",
	"stando",
	// Not in the Snowball list, but noise in event titles.
	"ed", "od", "oppure", "verso", "attraverso", "tramite", "mediante", "ovvero", "cioè", "nonché",
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// IsStopWord reports whether the lowercase word w is an Italian stop word.
func IsStopWord(w string) bool { return stop[w] }

// Expansion maps an acronym of digital health to the words it stands for.
type Expansion struct {
	Acronym string
	// Words is what the acronym stands for, analysed like any other text.
	Words string
	// UpperOnly expands the acronym only when written in capitals, for acronyms that are
	// also common Italian words ("AI" is "ai", a preposition).
	UpperOnly bool
}

// Expansions is the acronym list. Both the indexed text and the queries are expanded, so a
// search for "FSE" finds "Fascicolo Sanitario Elettronico" and the other way round.
var Expansions = []Expansion{
	{Acronym: "FSE", Words: "fascicolo sanitario elettronico"},
	{Acronym: "EHR", Words: "fascicolo sanitario elettronico"},
	{Acronym: "AI", Words: "intelligenza artificiale", UpperOnly: true},
	{Acronym: "IA", Words: "intelligenza artificiale", UpperOnly: true},
	{Acronym: "GDPR", Words: "protezione dati personali"},
	{Acronym: "RGPD", Words: "protezione dati personali"},
	{Acronym: "PNRR", Words: "piano nazionale ripresa resilienza"},
	{Acronym: "PNT", Words: "piattaforma nazionale telemedicina"},
	{Acronym: "CUP", Words: "centro unico prenotazione", UpperOnly: true},
	{Acronym: "PDTA", Words: "percorso diagnostico terapeutico assistenziale"},
	{Acronym: "MMG", Words: "medico medicina generale"},
	{Acronym: "PLS", Words: "pediatra libera scelta"},
	{Acronym: "COT", Words: "centrale operativa territoriale"},
	{Acronym: "ICT", Words: "tecnologie informazione comunicazione"},
	{Acronym: "IOT", Words: "internet delle cose"},
	{Acronym: "HTA", Words: "health technology assessment valutazione tecnologie sanitarie"},
	{Acronym: "SPID", Words: "identità digitale"},
	{Acronym: "CIE", Words: "carta identità elettronica", UpperOnly: true},
	{Acronym: "ML", Words: "machine learning apprendimento automatico", UpperOnly: true},
	{Acronym: "LLM", Words: "modelli linguistici intelligenza artificiale generativa"},
	{Acronym: "DPO", Words: "responsabile protezione dati"},
	{Acronym: "RIS", Words: "sistema informativo radiologia", UpperOnly: true},
	{Acronym: "PACS", Words: "archiviazione immagini radiologiche"},
	{Acronym: "CCE", Words: "cartella clinica elettronica"},
	{Acronym: "DEM", Words: "ricetta dematerializzata", UpperOnly: true},
	{Acronym: "ECM", Words: "educazione continua medicina"},
	{Acronym: "FAD", Words: "formazione distanza"},
}

var expansionIndex = func() map[string]Expansion {
	m := map[string]Expansion{}
	for _, e := range Expansions {
		m[strings.ToLower(e.Acronym)] = e
	}
	return m
}()

// accented lists common nouns ending in a stressed vowel that people write without the
// accent ("sanita", "comunita"): the stemmer treats "-ita" as a verb ending otherwise, so
// "sanita" would become "san" while "sanità" becomes "sanit". Words ending in "-bilita" are
// always "-bilità" and need no entry.
var accented = func() map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(`sanità comunità attività identità qualità modalità priorità necessità
		opportunità fragilità cronicità complessità continuità equità fertilità mobilità capacità città
		università società età varietà proprietà realtà libertà volontà novità umanità unità criticità
		specificità integrità diversità autenticità validità tempestività produttività interattività
		territorialità genitorialità natalità mortalità morbilità prossimità intensità gravità
		multidisciplinarietà multiprofessionalità interprofessionalità più già perché così può
		cosicché finché poiché affinché né sé ché`) {
		m[Fold(w)] = w
	}
	return m
}()

func restoreAccent(w string) string {
	if a, ok := accented[w]; ok {
		return a
	}
	if strings.HasSuffix(w, "bilita") {
		return w[:len(w)-1] + "à"
	}
	return w
}

var envPool = sync.Pool{New: func() any { return snowballstem.NewEnv("") }}

// The vocabulary of event titles is small next to their number, so stems are cached; the
// cache is emptied when it reaches its bound, which keeps memory flat on any input.
var (
	cacheMu    sync.RWMutex
	stemCache  = map[string]string{}
	cacheBound = 200_000
)

// Stem returns the Snowball Italian stem of a lowercase word, with accents folded.
func Stem(w string) string {
	if len(w) <= 2 {
		return Fold(w)
	}
	cacheMu.RLock()
	s, ok := stemCache[w]
	cacheMu.RUnlock()
	if ok {
		return s
	}
	env := envPool.Get().(*snowballstem.Env)
	env.SetCurrent(w)
	italian.Stem(env)
	s = Fold(env.Current())
	envPool.Put(env)
	cacheMu.Lock()
	if len(stemCache) >= cacheBound {
		clear(stemCache)
	}
	stemCache[strings.Clone(w)] = s
	cacheMu.Unlock()
	return s
}

// Fold removes accents from a lowercase word ("sanità" → "sanita").
func Fold(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return w
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Token is one word of a text as written, before stop-word removal and stemming.
type Token struct {
	Word  string // lowercase, elision removed, accents kept
	Upper bool   // written in capitals (acronyms)
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == '‘' || r == '`' || r == '´' || r == 'ʼ'
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// accentOf turns a vowel followed by an apostrophe at the end of a word ("citta'",
// "perche'") into the accented vowel Italians mean by it.
var accentOf = map[rune]rune{'a': 'à', 'e': 'è', 'i': 'ì', 'o': 'ò', 'u': 'ù'}

// Tokenize splits text into words: letters and digits; an apostrophe between letters ends
// an elided article or preposition, which is dropped; an apostrophe after a final vowel is
// read as an accent. Hyphenated words are split.
func Tokenize(text string) []Token {
	text = norm.NFC.String(text)
	var out []Token
	rs := []rune(text)
	i := 0
	for i < len(rs) {
		if !isWordRune(rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isWordRune(rs[j]) {
			j++
		}
		word := rs[i:j]
		// An apostrophe right after the word.
		if j < len(rs) && isApostrophe(rs[j]) {
			lw := strings.ToLower(string(word))
			if j+1 < len(rs) && unicode.IsLetter(rs[j+1]) {
				if elided[lw] {
					// "dell'uso": drop "dell", continue with "uso".
					i = j + 1
					continue
				}
				// An unknown prefix: keep it as a word of its own.
			} else if a, ok := accentOf[unicode.ToLower(word[len(word)-1])]; ok && len(word) > 1 {
				w := []rune(lw)
				w[len(w)-1] = a
				word := string(w)
				if r := restoreAccent(Fold(word)); r != Fold(word) {
					word = r // the dictionary knows the right accent ("perche'" → "perché")
				}
				out = append(out, Token{Word: word})
				i = j + 1
				continue
			}
		}
		out = append(out, Token{Word: restoreAccent(strings.ToLower(string(word))), Upper: isUpper(word)})
		i = j
	}
	return out
}

func isUpper(w []rune) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			letters++
		}
	}
	return letters >= 2
}

// Synonym says that a phrase means the same as a term of the digital-health vocabulary:
// the term's stems are added after the phrase, so "monitoraggio a distanza" is found by
// "telemonitoraggio" (and the other way round: the term itself is left as written).
type Synonym struct {
	Phrase string
	Means  string
}

// Synonyms are the phrases of telemedicine and e-prescription that people write in words.
var Synonyms = []Synonym{
	{"monitoraggio a distanza", "telemonitoraggio"}, {"monitoraggio remoto", "telemonitoraggio"},
	{"controllo remoto", "telemonitoraggio"}, {"monitoraggio domiciliare", "telemonitoraggio"},
	{"visita a distanza", "televisita"}, {"visite a distanza", "televisita"}, {"videochiamata", "televisita"},
	{"videovisita", "televisita"}, {"consulto a distanza", "teleconsulto"}, {"consulenza a distanza", "teleconsulenza"},
	{"assistenza a distanza", "teleassistenza"}, {"riabilitazione a distanza", "teleriabilitazione"},
	{"refertazione a distanza", "telerefertazione"}, {"ricetta elettronica", "ricetta dematerializzata"},
	{"ricetta digitale", "ricetta dematerializzata"}, {"prescrizione elettronica", "prescrizione dematerializzata"},
	{"cartella informatizzata", "cartella clinica elettronica"}, {"documentazione informatizzata", "documentazione digitale"},
	{"sicurezza informatica", "cybersecurity"}, {"cybersicurezza", "cybersecurity"},
}

type synonym struct{ phrase, means []string }

var synonyms = func() []synonym {
	var out []synonym
	for _, s := range Synonyms {
		out = append(out, synonym{analyze(s.Phrase, nil), analyze(s.Means, nil)})
	}
	return out
}()

// Analyze returns the terms of text in order: stop words dropped, acronyms expanded, every
// word stemmed and folded, and after a phrase with a synonym the synonym's terms. Words of
// one character are dropped. Repeated terms are kept (the caller may count them).
func Analyze(text string) []string {
	terms := analyze(text, nil)
	if len(terms) == 0 {
		return terms
	}
	var out []string
	for i := 0; i < len(terms); i++ {
		out = append(out, terms[i])
		for _, s := range synonyms {
			n := len(s.phrase)
			if n > 0 && i+1 >= n && Contains(terms[i+1-n:i+1], s.phrase) {
				out = append(out, s.means...)
			}
		}
	}
	return out
}

func analyze(text string, out []string) []string {
	for _, t := range Tokenize(text) {
		if e, ok := expansionIndex[t.Word]; ok && (!e.UpperOnly || t.Upper) {
			out = analyze(e.Words, out)
			continue
		}
		if stop[t.Word] || utf8.RuneCountInString(t.Word) < 2 {
			continue
		}
		out = append(out, Stem(t.Word))
	}
	return out
}

// Terms returns the distinct terms of text, in order of first appearance.
func Terms(text string) []string {
	all := Analyze(text)
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, t := range all {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Contains reports whether the analysed text contains the analysed phrase as consecutive
// terms: "sanità digitale" is found in "La sanità digitale in corsia" and in "SANITA'
// DIGITALI", but not in "sanità e trasformazione digitale".
func Contains(textTerms []string, phrase []string) bool {
	if len(phrase) == 0 {
		return false
	}
outer:
	for i := 0; i+len(phrase) <= len(textTerms); i++ {
		for k, p := range phrase {
			if textTerms[i+k] != p {
				continue outer
			}
		}
		return true
	}
	return false
}
