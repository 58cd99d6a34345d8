package credits

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Why is one step of an explanation: a message key and its arguments, rendered in Italian
// or English by Text. An argument starting with "@" is itself a message key (a role name).
type Why struct {
	Key  string   `json:"key"`
	Args []string `json:"args,omitempty"`
	// It and En are the renderings, filled when the explanation is sent as JSON.
	It string `json:"text_it"`
	En string `json:"text_en"`
}

func why(key string, args ...string) Why { return Why{Key: "cr." + key, Args: args} }

// MarshalJSON renders both languages only when the explanation leaves the process (the
// recompute job computes millions of explanations nobody reads).
func (w Why) MarshalJSON() ([]byte, error) {
	type plain Why
	p := plain(w)
	p.It, p.En = w.Text("it"), w.Text("en")
	return json.Marshal(p)
}

// Text renders the explanation in lang ("it" or "en").
func (w Why) Text(lang string) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	m, ok := messages[w.Key]
	if !ok {
		return w.Key
	}
	args := make([]any, len(w.Args))
	for j, a := range w.Args {
		if strings.HasPrefix(a, "@") {
			if t, ok := messages[a[1:]]; ok {
				args[j] = t[i]
				continue
			}
		}
		args[j] = a
	}
	return fmt.Sprintf(m[i], args...)
}

func roleName(r string) string { return "@cr.role." + r }

// num formats credits without trailing zeros ("12", "12.5").
func num(v float64) string { return strconv.FormatFloat(round2(v), 'f', -1, 64) }

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', -1, 64) + " %" }

func itoa(v int) string { return strconv.Itoa(v) }

// messages are the package's texts, Italian first then English; the web module registers
// them in the platform's catalogue.
var messages = map[string][2]string{
	// roles
	"cr.role.P": {"partecipante", "participant"},
	"cr.role.D": {"docente", "teacher"},
	"cr.role.T": {"tutor", "tutor"},
	"cr.role.R": {"relatore", "speaker"},
	// kinds and statuses
	"cr.kind.participation": {"Partecipazione a evento", "Event participation"},
	"cr.kind.individual":    {"Formazione individuale", "Individual training"},
	"cr.kind.self_training": {"Autoformazione", "Self-training"},
	"cr.kind.exemption":     {"Esonero / esenzione", "Exemption"},
	"cr.kind.dossier_bonus": {"Bonus dossier formativo", "Dossier formativo bonus"},
	"cr.kind.moved":         {"Crediti spostati", "Moved credits"},
	"cr.status.pending":     {"in attesa", "pending"},
	"cr.status.certified":   {"certificato", "certified"},
	// role credits
	"cr.role.norule":         {"nessuna regola per il ruolo %s negli eventi %s: 0 crediti", "no rule for role %s in %s events: 0 credits"},
	"cr.role.event":          {"come %s riceve i crediti dell'evento: %s", "as %s earns the event's credits: %s"},
	"cr.role.hours":          {"come %s: %s ore (%s ore intere) × %s crediti = %s", "as %s: %s hours (%s whole hours) × %s credits = %s"},
	"cr.role.halfhours":      {"come %s: %s ore = %s mezz'ore × %s crediti = %s", "as %s: %s hours = %s half hours × %s credits = %s"},
	"cr.role.caphours":       {"tetto di %s × le %s ore dei partecipanti: %s crediti", "capped at %s × the participants' %s hours: %s credits"},
	"cr.role.capparticipant": {"tetto dei crediti dei partecipanti: %s", "capped at the participants' credits: %s"},
	"cr.role.max":            {"massimo %s crediti per evento", "at most %s credits per event"},
	"cr.role.unconfirmed":    {"regola non confermata: %s", "rule not confirmed: %s"},
	// reduction
	"cr.red.none":       {"nessuna riduzione: %s crediti nel triennio precedente", "no reduction: %s credits in the previous triennium"},
	"cr.red.band":       {"riduzione: %s crediti nel triennio precedente (fascia %s–%s) riducono l'obbligo di %s", "reduction: %s credits in the previous triennium (band %s–%s) lower the obligation by %s"},
	"cr.red.noprevious": {"nessuna riduzione: il triennio precedente non è nelle regole", "no reduction: the previous triennium is not in the rules"},
	// lines
	"cr.line.participation": {"conta %s crediti come %s dell'evento «%s» (%s)", "counts %s credits as %s of the event “%s” (%s)"},
	"cr.line.movedout":      {"%s crediti spostati in un altro triennio non contano qui (%s)", "%s credits moved to another triennium do not count here (%s)"},
	"cr.line.movedin":       {"conta %s crediti spostati da un altro triennio (%s)", "counts %s credits moved from another triennium (%s)"},
	"cr.line.dossier":       {"conta %s crediti di bonus del dossier formativo (%s)", "counts %s credits of dossier formativo bonus (%s)"},
	"cr.line.exemption":     {"non dà crediti: riduce l'obbligo di %s crediti (%s)", "gives no credits: lowers the obligation by %s credits (%s)"},
	"cr.line.individual":    {"conta %s crediti di formazione individuale («%s», %s)", "counts %s credits of individual training (“%s”, %s)"},
	"cr.line.selftraining":  {"conta %s crediti di autoformazione («%s», %s)", "counts %s credits of self-training (“%s”, %s)"},
	"cr.line.capself":       {"oltre il tetto del %s dell'autoformazione (%s crediti): %s crediti non contano", "over the %s cap on self-training (%s credits): %s credits do not count"},
	"cr.line.capindiv":      {"oltre il tetto del %[1]s della formazione individuale (%[2]s crediti): %[3]s crediti non contano", "over the %[1]s cap on individual training (%[2]s credits): %[3]s credits do not count"},
	"cr.line.pending":       {"in attesa di certificazione: conta nella previsione, non ancora per l'adempimento", "pending certification: counts in the forecast, not yet towards compliance"},
	"cr.line.unknownkind":   {"tipo sconosciuto %q: non conta", "unknown kind %q: does not count"},
	// dossier
	"cr.dossier.build":   {"bonus di %s crediti per aver costruito il dossier formativo nel triennio %s", "bonus of %s credits for building the dossier formativo in the triennium %s"},
	"cr.dossier.realise": {"bonus di %s crediti per aver realizzato il dossier formativo del triennio %s", "bonus of %s credits for realising the dossier formativo of the triennium %s"},
	// notes
	"cr.note.notriennium":    {"nessuna regola per il triennio che inizia nel %s", "no rules for the triennium starting in %s"},
	"cr.note.othertriennium": {"voci di un altro triennio: %s nel %s (contano lì, non qui)", "entries of another triennium: %s in %s (they count there, not here)"},
	// forecast
	"cr.fc.done":        {"obbligo già soddisfatto con crediti certificati", "obligation already met with certified credits"},
	"cr.fc.donepending": {"obbligo coperto, ma %s crediti sono in attesa di certificazione", "obligation covered, but %s credits are pending certification"},
	"cr.fc.notstarted":  {"il triennio inizia il %s", "the triennium starts on %s"},
	"cr.fc.ended":       {"triennio chiuso il %s: mancano %s crediti", "triennium closed on %s: %s credits missing"},
	"cr.fc.linear":      {"proiezione lineare: %s crediti in %s giorni su %s → %s a fine triennio, contro %s dovuti", "linear projection: %s credits in %s of %s days → %s by the end, against %s due"},
	"cr.fc.ontrack":     {"in linea: a oggi ne servivano %s", "on track: %s were needed by today"},
	"cr.fc.behind":      {"in ritardo: a oggi ne servivano %s, ne mancano %s", "behind: %s were needed by today, %s short"},
}
