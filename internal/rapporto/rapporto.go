// Package rapporto reads and writes the Co.Ge.A.P.S. "rapporto evento": the report of an ECM
// event's participants and the credits they earned, which providers send after the event
// (domain.md §3.9, schema rapporto_evento_1.16.xsd, embedded in schema/). It is a pure format
// package: no database and no web. It reads the XML report and the providers' CSV variant,
// checks everything the schema says (and a few things it cannot, such as the codice fiscale
// check character), and writes XML that the real schema validates.
//
// Reading is all-or-nothing: a report with any problem yields no result, only a
// *domain.Error (code EINVALID) listing every problem with its line, field and value.
package rapporto

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"

	"esd/internal/domain"
)

// Event is the evento element: the accredited event (or edition) the report is about.
type Event struct {
	Code           string  // cod_evento, the national event code
	Edition        int     // cod_edi; 0 = none
	ProviderCode   string  // cod_org, the provider's code
	AccreditorCode string  // cod_accr, 3 digits: the accrediting body
	Start, End     string  // data_ini, data_fine as YYYY-MM-DD
	Credits        float64 // crediti, one decimal, >0 and ≤50
	Hours          int     // ore, 1..999
	Type           int     // tipo_form: 1 RES, 2 FSC, 3 FAD, 4 blended
	// ModuleFAD, ModuleFSC and ModuleRES are the modulo_* flags of a blended event.
	ModuleFAD, ModuleFSC, ModuleRES bool
	Audience                        string // tipo_eve: E (every profession) or P (some)
	Objective                       int    // cod_obi, the national training objective
	Participants                    int    // num_part as declared (not the count of partecipante)
	Subtype                         int    // cod_tipologia_form 1..11
	Line                            int    // source line of the evento element (0 when built in code)
}

// Profession is one professione of a participant with its disciplines (Co.Ge.A.P.S. codes).
type Profession struct {
	Code        int
	Disciplines []int
}

// Participant is one partecipante (or one CSV row).
type Participant struct {
	Line int // source line of the partecipante element or CSV row
	// CF is the codice fiscale in its comparison form (cf.Code.Normalised: upper case,
	// omocodia undone), the natural key of a professional.
	CF         string
	GivenName  string // nome, as read (accents kept)
	FamilyName string // cognome, as read
	Role       string // ruolo: P partecipante, D docente, T tutor, R relatore
	Employment string // lib_dip: L libero professionista, D dipendente, C convenzionato, P privo di occupazione
	Recruited  bool   // part_reclutato: recruited by a sponsor
	Sponsor    string // optional
	Credits    float64
	AcquiredOn string // data_acq as YYYY-MM-DD
	// Professions lists the participant's professions and disciplines.
	Professions []Profession
}

// Report is a parsed (or to be written) rapporto evento.
type Report struct {
	Format       string // "xml" or "csv"
	Event        *Event // nil for CSV: the caller supplies the event
	Participants []Participant
}

//go:embed schema/rapporto_evento_1.16.xsd
var schemaXSD []byte

// SchemaFile is the base name of the embedded XSD.
const SchemaFile = "rapporto_evento_1.16.xsd"

// Schema returns a copy of the embedded Co.Ge.A.P.S. XSD (version 1.16), so a test or an
// export can validate against the real schema without reaching outside the module.
func Schema() []byte { return bytes.Clone(schemaXSD) }

// MaxProblems caps the problems listed in one error; the count in the message stays exact.
const MaxProblems = 1000

// Parser reads reports with its messages in one language. The zero value words them in
// Italian, the platform's first language (as the registry does for the CLI and jobs).
type Parser struct {
	Lang string // "it" (default) or "en"
}

// Parse reads an XML or CSV report, telling them apart by the first non-blank byte; name is
// the file name used in the error message. Messages are in Italian.
func Parse(r io.Reader, name string) (Report, error) { return Parser{}.Parse(r, name) }

// ParseXML reads an XML rapporto evento. Messages are in Italian.
func ParseXML(r io.Reader, name string) (Report, error) { return Parser{}.ParseXML(r, name) }

// ParseCSV reads the providers' CSV participant list. Messages are in Italian.
func ParseCSV(r io.Reader, name string) (Report, error) { return Parser{}.ParseCSV(r, name) }

// Parse reads an XML or CSV report, sniffing the format after any BOM and white space.
func (p Parser) Parse(r io.Reader, name string) (Report, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(1024)
	if looksXML(head) {
		return p.ParseXML(br, name)
	}
	return p.ParseCSV(br, name)
}

func looksXML(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	if bytes.HasPrefix(b, []byte{0xFE, 0xFF}) || bytes.HasPrefix(b, []byte{0xFF, 0xFE}) {
		// UTF-16: let the XML reader refuse it with its clear message.
		return true
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '<'
}

// problems collects the complaints about one file, worded in one language.
type problems struct {
	lang  string
	list  []domain.Problem
	total int
}

func (ps *problems) add(line int, field, value, format string, args ...any) {
	ps.total++
	if len(ps.list) < MaxProblems {
		ps.list = append(ps.list, domain.Problem{Line: line, Field: field, Reason: tr(ps.lang, format, args...), Value: clip(value)})
	}
}

// clip shortens a value quoted back in a problem: a binary file must not produce a
// megabyte of "value".
func clip(v string) string {
	const max = 80
	if len(v) <= max {
		return v
	}
	r := []rune(v)
	if len(r) <= max {
		return v
	}
	return string(r[:max]) + "…"
}

// err returns the EINVALID error for the file, or nil when nothing was wrong.
func (ps *problems) err(name string) error {
	if ps.total == 0 {
		return nil
	}
	list := ps.list
	if ps.total > len(list) {
		list = append(list, domain.Problem{Reason: tr(ps.lang, "… and %d more problems", ps.total-len(list))})
	}
	return &domain.Error{Code: domain.EINVALID, Field: "file",
		Message: tr(ps.lang, "%s: the rapporto evento has %d problems; nothing was imported", name, ps.total),
		Details: list}
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
