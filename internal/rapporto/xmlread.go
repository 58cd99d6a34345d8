package rapporto

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// Attributes of each element, in XSD order (the writer uses the same order).
var (
	eventAttrs = []string{"cod_evento", "cod_edi", "cod_org", "cod_accr", "data_ini", "data_fine", "crediti", "ore",
		"tipo_form", "modulo_fad", "modulo_fsc", "modulo_res", "tipo_eve", "cod_obi", "num_part", "cod_tipologia_form"}
	eventOptional   = map[string]bool{"cod_edi": true, "modulo_fad": true, "modulo_fsc": true, "modulo_res": true}
	partAttrs       = []string{"cod_fisc", "nome", "cognome", "ruolo", "lib_dip", "part_reclutato", "sponsor", "cred_acq", "data_acq"}
	partOptional    = map[string]bool{"sponsor": true}
	professionAttrs = []string{"cod_prof"}
)

var encodingDecl = regexp.MustCompile(`^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// ParseXML reads an XML rapporto evento (dataroot/evento/partecipante/professione/disciplina),
// streaming it so that a large report needs memory for its result only.
func (p Parser) ParseXML(r io.Reader, name string) (Report, error) {
	ps := &problems{lang: p.lang()}
	in, err := p.xmlInput(r, ps)
	if err != nil {
		return Report{}, err
	}
	if in == nil {
		return Report{}, ps.err(name)
	}
	rep := readXML(in, ps)
	if err := ps.err(name); err != nil {
		return Report{}, err
	}
	return rep, nil
}

func (p Parser) lang() string {
	if p.Lang == "en" {
		return "en"
	}
	return "it"
}

// xmlInput works out the file's encoding from its first bytes and declaration, and returns
// a reader of its text as UTF-8, or nil after reporting why the file cannot be read.
func (p Parser) xmlInput(r io.Reader, ps *problems) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(1024)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	if len(bytes.TrimSpace(head)) == 0 {
		ps.add(1, "file", "", "the file is empty")
		return nil, nil
	}
	if bytes.HasPrefix(head, []byte{0xFE, 0xFF}) || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) {
		ps.add(1, "file", "", "the file is UTF-16: save it as ISO-8859-1, Windows-1252 or UTF-8")
		return nil, nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		ps.add(1, "file", "", "the file is binary (or UTF-16), not a text file")
		return nil, nil
	}
	bom := bytes.HasPrefix(head, []byte("\xEF\xBB\xBF"))
	if bom {
		br.Discard(3)
		head = head[3:]
	}
	label := ""
	if m := encodingDecl.FindSubmatch(head); m != nil {
		label = strings.ToLower(string(m[1]))
	}
	var enc encoding.Encoding
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return br, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1":
		enc = charmap.ISO8859_1
	case "iso-8859-15", "iso8859-15", "latin-9":
		enc = charmap.ISO8859_15
	case "windows-1252", "cp1252", "x-cp1252":
		enc = charmap.Windows1252
	case "utf-16", "utf-16le", "utf-16be", "ucs-2":
		ps.add(1, "encoding", label, "the file declares encoding %s, which is not accepted: use ISO-8859-1 (or UTF-8)", label)
		return nil, nil
	default:
		ps.add(1, "encoding", label, "unsupported encoding %s: use ISO-8859-1, windows-1252 or UTF-8", label)
		return nil, nil
	}
	if bom {
		ps.add(1, "encoding", label, "the file starts with a UTF-8 byte-order mark but declares %s: its accented letters would be misread", label)
		return nil, nil
	}
	return transform.NewReader(&mojibakeGuard{r: br, label: label, line: 1}, enc.NewDecoder()), nil
}

// mojibakeGuard passes single-byte-encoded text through, failing at the first byte sequence
// that is a UTF-8 multibyte character: a file saved as UTF-8 but declaring ISO-8859-1 would
// otherwise import "è" as "Ã¨". Genuine Latin-1 text almost never has a lead byte
// (Â..ô) followed by the right number of bytes 0x80..0xBF.
type mojibakeGuard struct {
	r        io.Reader
	label    string
	line     int
	need     int // continuation bytes still expected
	seqLine  int
	failed   error
	lastByte byte
}

type mojibakeError struct {
	line  int
	label string
}

func (e *mojibakeError) Error() string { return "UTF-8 bytes in a single-byte file" }

func (g *mojibakeGuard) Read(p []byte) (int, error) {
	if g.failed != nil {
		return 0, g.failed
	}
	n, err := g.r.Read(p)
	for i := 0; i < n; i++ {
		b := p[i]
		if g.need > 0 {
			if b >= 0x80 && b <= 0xBF {
				g.need--
				if g.need == 0 {
					g.failed = &mojibakeError{line: g.seqLine, label: g.label}
					// Hand over what came before; the next Read reports the failure.
					return i, nil
				}
				continue
			}
			g.need = 0
		}
		switch {
		case b >= 0xC2 && b <= 0xDF:
			g.need, g.seqLine = 1, g.line
		case b >= 0xE0 && b <= 0xEF:
			g.need, g.seqLine = 2, g.line
		case b >= 0xF0 && b <= 0xF4:
			g.need, g.seqLine = 3, g.line
		case b == '\n':
			g.line++
		}
	}
	return n, err
}

// xmlState is the reader's position in the dataroot/evento/... tree.
type xmlState struct {
	ps       *problems
	dec      *xml.Decoder
	rep      Report
	cfLine   map[string]int
	part     *Participant
	prof     *Profession
	profLine map[int]int // cod_prof → line, within the participant
	discSeen map[int]bool
	text     strings.Builder
	line     int
}

func readXML(in io.Reader, ps *problems) Report {
	dec := xml.NewDecoder(in)
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // already UTF-8
	st := &xmlState{ps: ps, dec: dec, rep: Report{Format: "xml"}, cfLine: map[string]int{}}
	var stack []string
	var opened []int // line of each element in stack
	roots := 0
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			st.readError(err, line, stack, opened)
			return Report{}
		}
		st.line = line
		switch t := tok.(type) {
		case xml.StartElement:
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			name := t.Name.Local
			if t.Name.Space != "" || !allowedChild(parent, name) || parent == "" && roots > 0 {
				if parent == "" && roots > 0 {
					ps.add(line, name, "", "there is more than one root element: the file must hold one dataroot")
				} else {
					ps.add(line, name, "", "unexpected element <%s> inside <%s>", t.Name.Local, orRoot(parent))
				}
				if err := dec.Skip(); err != nil {
					l, _ := dec.InputPos()
					st.readError(err, l, stack, opened)
					return Report{}
				}
				continue
			}
			if parent == "" {
				roots++
			}
			stack = append(stack, name)
			opened = append(opened, line)
			st.start(name, t.Attr)
		case xml.EndElement:
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			opened = opened[:len(opened)-1]
			st.end(name)
		case xml.CharData:
			if len(stack) > 0 && stack[len(stack)-1] == "disciplina" {
				st.text.Write(t)
			} else if s := strings.TrimSpace(string(t)); s != "" {
				where := "the document"
				if len(stack) > 0 {
					where = "<" + stack[len(stack)-1] + ">"
				}
				ps.add(line, "text", s, "unexpected text inside %s", where)
			}
		case xml.Directive:
			ps.add(line, "DOCTYPE", "", "a DOCTYPE or other <!...> declaration is not allowed")
		}
	}
	if roots == 0 {
		ps.add(1, "dataroot", "", "the file has no <dataroot> element")
	} else if st.rep.Event == nil {
		ps.add(1, "evento", "", "<dataroot> must contain one <evento>")
	} else if len(st.rep.Participants) == 0 && ps.total == 0 {
		ps.add(st.rep.Event.Line, "partecipante", "", "<evento> must contain at least one <partecipante>")
	}
	return st.rep
}

func orRoot(s string) string {
	if s == "" {
		return "the document"
	}
	return s
}

// allowedChild reports whether the schema lets child sit inside parent ("" is the document).
func allowedChild(parent, child string) bool {
	switch parent {
	case "":
		return child == "dataroot"
	case "dataroot":
		return child == "evento"
	case "evento":
		return child == "partecipante"
	case "partecipante":
		return child == "professione"
	case "professione":
		return child == "disciplina"
	}
	return false
}

// readError reports a decoding failure: not well-formed XML, bad encoding.
// stack and opened say which elements were open, so that a missing end tag is reported
// with the line where its element began as well as where the decoder noticed.
func (st *xmlState) readError(err error, line int, stack []string, opened []int) {
	var mb *mojibakeError
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &mb):
		st.ps.add(mb.line, "encoding", mb.label, "the file declares %s but line %d holds UTF-8 bytes (e.g. \"Ã¨\" for \"è\"): save it as %s or declare encoding=\"UTF-8\"", mb.label, mb.line, mb.label)
	case errors.As(err, &se):
		if strings.Contains(se.Msg, "invalid UTF-8") {
			st.ps.add(se.Line, "encoding", "", "line %d is not valid UTF-8: the file is probably ISO-8859-1 or windows-1252, so declare that encoding", se.Line)
		} else {
			st.ps.add(se.Line, "xml", "", "the XML is not well formed: %s", se.Msg)
			if n := len(stack); n > 0 && (strings.Contains(se.Msg, "closed by") || strings.Contains(se.Msg, "unexpected EOF")) {
				st.ps.add(opened[n-1], stack[n-1], "", "<%s> opened on line %d is not closed", stack[n-1], opened[n-1])
			}
		}
	default:
		st.ps.add(line, "xml", "", "the file cannot be read: %s", err.Error())
	}
}

// attrs returns the element's attributes by name, reporting unknown and repeated ones.
func (st *xmlState) attrs(elem string, list []xml.Attr, known []string) map[string]string {
	m := make(map[string]string, len(list))
	for _, a := range list {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" || a.Name.Space == xsiNamespace {
			continue // namespace declarations and xsi:noNamespaceSchemaLocation
		}
		name := a.Name.Local
		if a.Name.Space != "" || !contains(known, name) {
			if a.Name.Space != "" {
				name = a.Name.Space + ":" + name
			}
			st.ps.add(st.line, name, a.Value, "unknown attribute %s on <%s>", name, elem)
			continue
		}
		if _, dup := m[name]; dup {
			st.ps.add(st.line, name, a.Value, "attribute %s appears twice", name)
			continue
		}
		m[name] = a.Value
	}
	return m
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// required reports the missing required attributes of an element.
func (st *xmlState) required(elem string, m map[string]string, known []string, optional map[string]bool) {
	for _, k := range known {
		if _, ok := m[k]; !ok && !optional[k] {
			st.ps.add(st.line, k, "", "attribute %s of <%s> is missing", k, elem)
		}
	}
}

func (st *xmlState) start(name string, list []xml.Attr) {
	c := checker{ps: st.ps, line: st.line}
	switch name {
	case "dataroot":
		st.attrs(name, list, nil)
	case "evento":
		if st.rep.Event != nil {
			st.ps.add(st.line, "evento", "", "<dataroot> may hold only one <evento> (the first is on line %d)", st.rep.Event.Line)
		}
		m := st.attrs(name, list, eventAttrs)
		st.required(name, m, eventAttrs, eventOptional)
		ev := &Event{Line: st.line}
		if v, ok := m["cod_evento"]; ok {
			ev.Code = c.str("cod_evento", v, 20)
		}
		if v, ok := m["cod_edi"]; ok {
			ev.Edition = c.posInt("cod_edi", v, 3)
		}
		if v, ok := m["cod_org"]; ok {
			ev.ProviderCode = c.str("cod_org", v, 20)
		}
		if v, ok := m["cod_accr"]; ok {
			v = strings.TrimSpace(v)
			if len(v) != 3 || strings.Trim(v, "0123456789") != "" {
				c.bad("cod_accr", v, "%s must be 3 digits", "cod_accr")
			}
			ev.AccreditorCode = v
		}
		if v, ok := m["data_ini"]; ok {
			ev.Start = c.date("data_ini", v, false)
		}
		if v, ok := m["data_fine"]; ok {
			ev.End = c.date("data_fine", v, false)
		}
		if ev.Start != "" && ev.End != "" && ev.End < ev.Start {
			c.bad("data_fine", ev.End, "data_fine (%s) is before data_ini (%s)", ev.End, ev.Start)
		}
		if v, ok := m["crediti"]; ok {
			ev.Credits = c.credits("crediti", v, true)
		}
		if v, ok := m["ore"]; ok {
			ev.Hours = c.posInt("ore", v, 3)
		}
		if v, ok := m["tipo_form"]; ok {
			ev.Type = c.intEnum("tipo_form", v, 1, 4)
		}
		if v, ok := m["modulo_fad"]; ok {
			ev.ModuleFAD = c.flag("modulo_fad", v)
		}
		if v, ok := m["modulo_fsc"]; ok {
			ev.ModuleFSC = c.flag("modulo_fsc", v)
		}
		if v, ok := m["modulo_res"]; ok {
			ev.ModuleRES = c.flag("modulo_res", v)
		}
		if v, ok := m["tipo_eve"]; ok {
			ev.Audience = c.enum("tipo_eve", v, "E", "P")
		}
		if v, ok := m["cod_obi"]; ok {
			ev.Objective = c.posInt("cod_obi", v, 3)
		}
		if v, ok := m["num_part"]; ok {
			ev.Participants, _ = c.integer("num_part", v, 6)
		}
		if v, ok := m["cod_tipologia_form"]; ok {
			ev.Subtype = c.intEnum("cod_tipologia_form", v, 1, 11)
		}
		if st.rep.Event == nil {
			st.rep.Event = ev
		}
	case "partecipante":
		m := st.attrs(name, list, partAttrs)
		st.required(name, m, partAttrs, partOptional)
		pt := participantFields(c, m, false)
		st.part = &pt
		st.profLine = map[int]int{}
	case "professione":
		m := st.attrs(name, list, professionAttrs)
		st.required(name, m, professionAttrs, nil)
		st.prof = &Profession{}
		if v, ok := m["cod_prof"]; ok {
			st.prof.Code = c.posInt("cod_prof", v, 2)
		}
		if code := st.prof.Code; code != 0 {
			if first, dup := st.profLine[code]; dup {
				c.bad("cod_prof", itoa(code), "profession %d is listed twice for this participant (also on line %d)", code, first)
			} else {
				st.profLine[code] = st.line
			}
		}
		st.discSeen = map[int]bool{}
	case "disciplina":
		st.attrs(name, list, nil)
		st.text.Reset()
	}
}

func (st *xmlState) end(name string) {
	c := checker{ps: st.ps, line: st.line}
	switch name {
	case "disciplina":
		v := st.text.String()
		d := c.posInt("disciplina", v, 3)
		if d != 0 {
			if st.discSeen[d] {
				c.bad("disciplina", itoa(d), "discipline %d is listed twice in profession %d", d, st.prof.Code)
			}
			st.discSeen[d] = true
		}
		st.prof.Disciplines = append(st.prof.Disciplines, d)
	case "professione":
		if len(st.prof.Disciplines) == 0 {
			c.bad("disciplina", "", "<professione> %d has no <disciplina>", st.prof.Code)
		}
		st.part.Professions = append(st.part.Professions, *st.prof)
		st.prof = nil
	case "partecipante":
		pt := st.part
		st.part = nil
		if len(pt.Professions) == 0 {
			st.ps.add(pt.Line, "professione", pt.CF, "the participant has no <professione>")
		}
		if pt.CF != "" {
			if first, dup := st.cfLine[pt.CF]; dup {
				st.ps.add(pt.Line, "cod_fisc", pt.CF, "the participant %s is listed twice in the event (also on line %d)", pt.CF, first)
			} else {
				st.cfLine[pt.CF] = pt.Line
			}
		}
		if st.ps.total == 0 {
			st.rep.Participants = append(st.rep.Participants, *pt)
		}
	}
}

// participantFields checks the attributes (or CSV columns) of one participant. loose is
// for CSV: decimal commas and dd/mm/yyyy dates. Codes (ruolo, lib_dip) are taken in either
// case, as spreadsheets often lower-case them.
func participantFields(c checker, m map[string]string, loose bool) Participant {
	pt := Participant{Line: c.line}
	if v, ok := m["cod_fisc"]; ok {
		pt.CF = c.codiceFiscale("cod_fisc", v)
	}
	if v, ok := m["nome"]; ok {
		pt.GivenName = c.name("nome", v)
	}
	if v, ok := m["cognome"]; ok {
		pt.FamilyName = c.name("cognome", v)
	}
	if v, ok := m["ruolo"]; ok {
		pt.Role = c.enum("ruolo", strings.ToUpper(strings.TrimSpace(v)), "P", "D", "T", "R")
	}
	if v, ok := m["lib_dip"]; ok {
		pt.Employment = c.enum("lib_dip", strings.ToUpper(strings.TrimSpace(v)), "L", "D", "C", "P")
	}
	if v, ok := m["part_reclutato"]; ok {
		pt.Recruited = c.flag("part_reclutato", v)
	}
	if v, ok := m["sponsor"]; ok {
		pt.Sponsor = c.sponsor("sponsor", v)
	}
	if v, ok := m["cred_acq"]; ok {
		pt.Credits = c.credits("cred_acq", v, !loose)
	}
	if v, ok := m["data_acq"]; ok {
		pt.AcquiredOn = c.date("data_acq", v, loose)
	}
	return pt
}

func itoa(n int) string { return strconv.Itoa(n) }
