package privacy

import (
	"fmt"
	"sort"
	"strings"
)

// legalTexts explain, per group of sections, what the data is and why ESD holds it (Italian,
// then English).
var legalTexts = map[string][2]string{
	"registry": {"Anagrafica del professionista sanitario. Base giuridica: esecuzione di un compito di interesse pubblico (art. 6.1.e GDPR; D.Lgs. 502/1992 art. 16-bis, formazione continua).",
		"The health professional's registry record. Legal basis: a task in the public interest (GDPR art. 6.1.e; Legislative Decree 502/1992 art. 16-bis, continuing education)."},
	"accounts": {"Utenze, sessioni, token, collegamenti SPID/CIE, notifiche e lavori: servono a far accedere il professionista e a comunicare con lui (art. 6.1.e GDPR). Le impronte di password e token non sono esportate.",
		"Accounts, sessions, tokens, SPID/CIE links, notifications and jobs: they let the professional log in and receive messages (GDPR art. 6.1.e). Password and token hashes are not exported."},
	"security": {"Tentativi di accesso: sicurezza dei trattamenti (art. 32 GDPR).", "Login attempts: security of processing (GDPR art. 32)."},
	"competence": {"Profilo, autovalutazioni, evidenze, livelli, obiettivi, dossier formativo e badge delle competenze digitali (art. 6.1.e GDPR, programma nazionale di formazione).",
		"Persona profile, self-assessments, evidence, levels, objectives, dossier and digital-competence badges (GDPR art. 6.1.e, national training programme)."},
	"ecm": {"Partecipazioni, presenze, crediti ECM, saldi, attestati e dichiarazioni xAPI dei provider: obbligo legale di formazione continua (art. 6.1.c GDPR; Accordo Stato-Regioni 2 febbraio 2017). I crediti certificati devono essere conservati.",
		"Participations, attendance, ECM credits, balances, certificates and the providers' xAPI statements: the legal duty of continuing education (GDPR art. 6.1.c; State-Regions Agreement of 2 February 2017). Certified credits must be kept."},
	"monitor": {"Dati individuali da cui derivano gli aggregati di monitoraggio, pubblicati solo in forma aggregata (art. 6.1.e e art. 89 GDPR).",
		"Individual facts the monitoring aggregates are derived from, published only as aggregates (GDPR art. 6.1.e and art. 89)."},
	"privacy": {"Richieste di cancellazione o pseudonimizzazione (art. 17 GDPR) e il loro esito.", "Requests of erasure or pseudonymisation (GDPR art. 17) and their outcome."},
	"audit": {"Registro delle operazioni svolte dal professionista o sui suoi dati: responsabilizzazione del titolare (art. 5.2 e art. 30 GDPR); non si modifica né si cancella.",
		"The trail of operations made by the professional or on their data: the controller's accountability (GDPR art. 5.2 and art. 30); never rewritten nor deleted."},
}

// readme is README.txt: what the archive holds, section by section, in Italian and English.
func readme(d Document) string {
	var b strings.Builder
	b.WriteString("ESD – Educazione in Sanità Digitale\nEsportazione dei dati personali (art. 15 e 20 GDPR) / Personal data export (GDPR art. 15 and 20)\n\n")
	fmt.Fprintf(&b, "Professionista / Professional: %s %s (%s), id %d\nGenerato il / Generated on: %s\n\n", d.Professional.GivenName, d.Professional.FamilyName, d.Professional.CF, d.Professional.ID, d.GeneratedAt)
	b.WriteString("CONTENUTO\n- dati.json: un unico documento JSON; \"sections\" ha una chiave per sezione, con tabella di origine, colonne e righe.\n" +
		"- csv/<sezione>.csv: le stesse righe, una tabella per file (UTF-8 con BOM, separatore ';', per Excel in italiano).\n" +
		"- attestati/*.pdf: gli attestati di partecipazione; credenziali/*.json e *.jwt: i badge Open Badges 3.0.\n\n")
	b.WriteString("CONTENTS\n- dati.json: one JSON document; \"sections\" has one key per section, with the source table, its columns and rows.\n" +
		"- csv/<section>.csv: the same rows, one table per file (UTF-8 with BOM, ';' separator, for Italian Excel).\n" +
		"- attestati/*.pdf: the certificates of attendance; credenziali/*.json and *.jwt: the Open Badges 3.0 credentials.\n\n")
	b.WriteString("SEZIONI / SECTIONS\n")
	legal := map[string]string{}
	for _, s := range Sources {
		legal[s.Section] = s.Legal
	}
	legal["xapi_statements"], legal["xapi_documents"] = "ecm", "ecm"
	for _, name := range SectionOrder() {
		sec := d.Sections[name]
		t := legalTexts[legal[name]]
		fmt.Fprintf(&b, "\n[%s] tabella/table %s, %d righe/rows\n  IT: %s\n  EN: %s\n", name, sec.Table, len(sec.Rows), t[0], t[1])
	}
	b.WriteString("\nTABELLE ESCLUSE / TABLES LEFT OUT\n")
	var ex []string
	for k := range d.Excluded {
		ex = append(ex, k)
	}
	sort.Strings(ex)
	for _, k := range ex {
		fmt.Fprintf(&b, "- %s: %s\n", k, d.Excluded[k])
	}
	b.WriteString("\nDIRITTI / RIGHTS\nIT: si può chiedere la cancellazione dalla pagina «I miei dati»: ESD cancella ciò che la legge consente e pseudonimizza ciò che va conservato (crediti ECM certificati).\n" +
		"EN: erasure can be requested from the \"My data\" page: ESD erases what the law allows and pseudonymises what must be kept (certified ECM credits).\n")
	return b.String()
}
