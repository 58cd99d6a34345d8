package registry

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"esd/internal/domain"
)

// MaxLineBytes is the longest physical line a CSV import accepts. A line of an HR export is
// well under 1 KiB; a longer one means a wrong file (or an attack), and refusing it early
// keeps memory bounded.
const MaxLineBytes = 64 << 10

// Encodings of an imported file.
const (
	EncodingUTF8    = "UTF-8"
	EncodingWin1252 = "Windows-1252"
)

// win1252 maps bytes 0x80–0x9F of Windows-1252 to runes (0 = undefined). Bytes 0xA0–0xFF
// are the Latin-1 code points.
var win1252 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// fileError is a problem with the file as a whole (encoding, a huge line, the header).
func fileError(lang string, line int, format string, args ...any) *domain.Error {
	msg := tr(lang, format, args...)
	return &domain.Error{Code: domain.EINVALID, Field: "file", Message: msg, Details: []domain.Problem{{Line: line, Field: "file", Reason: msg}}}
}

// decoder turns the raw bytes of a CSV file into UTF-8, one physical line at a time, and
// checks each line's length. The encoding is decided by the first line with a non-ASCII
// byte: valid UTF-8 means UTF-8, anything else Windows-1252; a later line that contradicts
// the decision is reported (a file mixing encodings would otherwise import garbled names).
type decoder struct {
	br       *bufio.Reader
	buf      []byte // decoded bytes not yet handed out
	line     int    // physical lines read so far
	encoding string // "" until decided
	err      error  // the first problem; reading stops there
	lang     string // of the messages
	// A quoted field may span lines; quoted is whether the lines so far end inside one,
	// opened at line quoteLine, and quotedBytes how much the open record holds. The cap on
	// a line would otherwise not bound a record: one stray quote makes the rest of the
	// file a single field, which encoding/csv buffers whole (several times over).
	quoted      bool
	quoteLine   int
	quotedBytes int
}

func newDecoder(r io.Reader, lang string) *decoder {
	return &decoder{br: bufio.NewReaderSize(r, MaxLineBytes+1), lang: lang}
}

// sniff looks at the start of the file for formats that are not a CSV export at all.
func (d *decoder) sniff() error {
	head, _ := d.br.Peek(4)
	switch {
	case len(head) == 0:
		return fileError(d.lang, 0, "the file is empty")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return fileError(d.lang, 1, "the file is encoded in UTF-16: save it as CSV in UTF-8 (or Windows-1252)")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return fileError(d.lang, 1, "this is an Excel workbook or a zip archive, not a CSV file: save it as CSV")
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		d.br.Discard(3) // UTF-8 byte-order mark, as Excel writes it
		d.encoding = EncodingUTF8
	}
	return nil
}

// firstLine returns the raw header line without consuming it, to choose the separator.
func (d *decoder) firstLine() []byte {
	b, _ := d.br.Peek(MaxLineBytes)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return b
}

func (d *decoder) Read(p []byte) (int, error) {
	for len(d.buf) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		raw, err := d.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			d.err = fileError(d.lang, d.line+1, "line %d is longer than %d bytes: this does not look like a CSV export of professionals", d.line+1, MaxLineBytes)
			return 0, d.err
		}
		if len(raw) > 0 {
			d.line++
			if err := d.decode(raw); err != nil {
				d.err = err
				return 0, err
			}
		}
		if err != nil {
			if d.err == nil {
				d.err = err // io.EOF or a read error
			}
			if len(d.buf) == 0 {
				return 0, d.err
			}
		}
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	return n, nil
}

func (d *decoder) decode(raw []byte) error {
	if err := d.trackQuotes(raw); err != nil {
		return err
	}
	ascii := true
	for _, c := range raw {
		if c >= 0x80 {
			ascii = false
			break
		}
		if c == 0 {
			return fileError(d.lang, d.line, "line %d contains NUL bytes: the file is binary or UTF-16, not a CSV text file", d.line)
		}
	}
	if ascii {
		d.buf = append(d.buf[:0], raw...)
		return nil
	}
	valid := utf8.Valid(raw)
	if d.encoding == "" {
		d.encoding = EncodingWin1252
		if valid {
			d.encoding = EncodingUTF8
		}
	}
	switch {
	case d.encoding == EncodingUTF8 && !valid:
		return fileError(d.lang, d.line, "line %d is not valid UTF-8, unlike the lines before it: the file mixes encodings; save it again as UTF-8", d.line)
	case d.encoding == EncodingUTF8:
		d.buf = append(d.buf[:0], raw...)
		return nil
	case valid:
		return fileError(d.lang, d.line, "line %d is UTF-8 but earlier lines were Windows-1252: the file mixes encodings; save it again as UTF-8", d.line)
	}
	d.buf = d.buf[:0]
	for _, c := range raw {
		switch {
		case c < 0x80:
			d.buf = append(d.buf, c)
		case c < 0xA0:
			r := win1252[c-0x80]
			if r == 0 {
				return fileError(d.lang, d.line, "line %d has byte 0x%X, which is not a character in Windows-1252 (nor UTF-8): wrong encoding", d.line, c)
			}
			d.buf = utf8.AppendRune(d.buf, r)
		default:
			d.buf = utf8.AppendRune(d.buf, rune(c))
		}
	}
	return nil
}

// trackQuotes follows the quote parity across lines (a doubled quote toggles twice, so it
// counts right) and refuses a record that stays open for more than MaxLineBytes.
func (d *decoder) trackQuotes(raw []byte) error {
	if !d.quoted {
		d.quoteLine, d.quotedBytes = d.line, 0
	}
	d.quoted = d.quoted != (bytes.Count(raw, []byte{'"'})%2 == 1)
	d.quotedBytes += len(raw)
	if d.quoted && d.quotedBytes > MaxLineBytes {
		return fileError(d.lang, d.quoteLine, "line %d opens a quoted field that is still open %d bytes later: check the quotes \"", d.quoteLine, MaxLineBytes)
	}
	return nil
}

// chooseSeparator picks the separator the header line uses most: ';' (Italian Excel), ','
// or a tab.
func chooseSeparator(header []byte) rune {
	counts := map[rune]int{}
	inQuotes := false
	for _, c := range string(header) {
		switch {
		case c == '"':
			inQuotes = !inQuotes
		case !inQuotes && (c == ';' || c == ',' || c == '\t'):
			counts[c]++
		}
	}
	best := ';'
	for _, c := range []rune{',', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

func separatorName(r rune) string {
	if r == '\t' {
		return "tab"
	}
	return string(r)
}

// Column keys of the professionals CSV. Several header names map to each (see headerNames).
const (
	colCF          = "codice_fiscale"
	colFamily      = "cognome"
	colGiven       = "nome"
	colEmail       = "email"
	colProfession  = "professione"
	colDiscipline  = "disciplina"
	colPairs       = "professioni"
	colRegion      = "regione"
	colOrg         = "azienda"
	colEmployment  = "rapporto"
	colSetting     = "setting"
	colRole        = "ruolo"
	maxPairColumns = 5 // professione, professione_2 … professione_5
)

// headerNames lists, per column key, the header names accepted (compared folded, without
// spaces, underscores or accents: "Codice Fiscale", "codice_fiscale" and "CODICEFISCALE" are
// the same). The first name is the documented one.
var headerNames = map[string][]string{
	colCF:         {"codice_fiscale", "cf", "codfiscale", "cod_fisc", "codice fiscale dipendente", "fiscal_code", "tax_code"},
	colFamily:     {"cognome", "family_name", "surname", "last_name"},
	colGiven:      {"nome", "given_name", "first_name", "name"},
	colEmail:      {"email", "e-mail", "mail", "posta_elettronica", "indirizzo_email"},
	colProfession: {"professione", "profession", "cod_professione", "codice_professione"},
	colDiscipline: {"disciplina", "discipline", "cod_disciplina", "codice_disciplina", "specializzazione"},
	colPairs:      {"professioni", "professions", "professione_disciplina", "professioni_discipline", "coppie"},
	colRegion:     {"regione", "region", "cod_regione", "codice_regione"},
	colOrg:        {"azienda", "organizzazione", "organisation", "organization", "ente", "cod_azienda", "codice_azienda", "struttura"},
	colEmployment: {"rapporto", "rapporto_di_lavoro", "rapporto_lavoro", "tipo_rapporto", "employment", "contratto"},
	colSetting:    {"setting", "care_setting", "ambito", "contesto", "ambito_lavorativo"},
	colRole:       {"ruolo", "job_role", "role", "qualifica", "funzione"},
}

// HeaderNames returns the documented header name of each column, then its aliases, for the
// import page.
func HeaderNames() [][]string {
	var out [][]string
	for _, k := range []string{colCF, colFamily, colGiven, colEmail, colProfession, colDiscipline, colPairs, colRegion, colOrg, colEmployment, colSetting, colRole} {
		out = append(out, headerNames[k])
	}
	return out
}

var headerIndex = func() map[string]string {
	m := map[string]string{}
	for key, names := range headerNames {
		for _, n := range names {
			m[aliasKey(n)] = key
		}
	}
	for i := 2; i <= maxPairColumns; i++ {
		for _, n := range headerNames[colProfession] {
			m[aliasKey(n)+strconv.Itoa(i)] = colProfession + "_" + strconv.Itoa(i)
		}
		for _, n := range headerNames[colDiscipline] {
			m[aliasKey(n)+strconv.Itoa(i)] = colDiscipline + "_" + strconv.Itoa(i)
		}
	}
	return m
}()

// csvFile is a parsed import file: its header mapping and its data records.
type csvFile struct {
	encoding  string
	separator rune
	cols      map[string]int    // column key → index
	names     map[string]string // column key → header name as written in the file
	ignored   []string
	records   []csvRecord
}

type csvRecord struct {
	line   int
	fields []string
}

func (f *csvFile) has(key string) bool { _, ok := f.cols[key]; return ok }

func (f *csvFile) get(r csvRecord, key string) string {
	i, ok := f.cols[key]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// fieldName is how a problem names a column: the header as the file wrote it.
func (f *csvFile) fieldName(key string) string {
	if n, ok := f.names[key]; ok {
		return n
	}
	return key
}

// readCSVFile parses an import file. Problems with the file as a whole (encoding, a line
// over MaxLineBytes, broken quoting, a bad header) end parsing and come back as an EINVALID
// error with the line; rows with the wrong number of fields are returned in bad.
func readCSVFile(r io.Reader, lang string, required func(f *csvFile) []string) (*csvFile, []domain.Problem, error) {
	d := newDecoder(r, lang)
	if err := d.sniff(); err != nil {
		return nil, nil, err
	}
	f := &csvFile{separator: chooseSeparator(d.firstLine()), cols: map[string]int{}, names: map[string]string{}}
	// Excel may write "sep=;" as the first line: it names the separator.
	skip := 0
	if first := strings.TrimSpace(string(d.firstLine())); len(first) == 5 && strings.EqualFold(first[:4], "sep=") {
		if _, err := d.br.ReadSlice('\n'); err != nil {
			return nil, nil, fileError(lang, 1, "the file is empty")
		}
		d.line, skip = 1, 1
		f.separator, _ = utf8.DecodeRuneInString(first[4:])
	}
	cr := csv.NewReader(d)
	cr.Comma = f.separator
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	readErr := func(err error) error {
		if d.err != nil && !errors.Is(d.err, io.EOF) {
			if de := domain.AsError(d.err); de != nil {
				return de
			}
			return d.err
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fileError(lang, pe.StartLine+skip, "line %d: %s (check the quotes \")", pe.StartLine+skip, pe.Err)
		}
		return err
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, fileError(d.lang, 0, "the file is empty")
	}
	if err != nil {
		return nil, nil, readErr(err)
	}
	var bad []domain.Problem
	where := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		key, ok := headerIndex[aliasKey(h)]
		if !ok {
			if h != "" {
				f.ignored = append(f.ignored, h)
			}
			continue
		}
		if j, dup := where[key]; dup {
			return nil, nil, fileError(lang, 1+skip, "columns %d (%q) and %d (%q) are the same column %s", j+1, header[j], i+1, h, key)
		}
		where[key] = i
		f.cols[key] = i
		f.names[key] = h
	}
	if missing := required(f); len(missing) > 0 {
		return nil, nil, fileError(lang, 1+skip, "missing columns: %s (the header must name them; see the accepted header names)", strings.Join(missing, ", "))
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		line += skip
		if blank(rec) {
			continue
		}
		if len(rec) != len(header) {
			bad = append(bad, domain.Problem{Line: line, Field: "file", Reason: tr(lang, "%d fields, but the header has %d", len(rec), len(header))})
			continue
		}
		f.records = append(f.records, csvRecord{line: line, fields: rec})
	}
	if d.err != nil && !errors.Is(d.err, io.EOF) {
		return nil, nil, readErr(d.err)
	}
	f.encoding = d.encoding
	if f.encoding == "" {
		f.encoding = EncodingUTF8 // pure ASCII is both
	}
	return f, bad, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
