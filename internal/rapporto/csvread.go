package rapporto

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// CSVColumns are the columns of the providers' CSV, in their usual order. The last holds
// the professions and disciplines as prof.disc[.disc…] groups separated by ':'
// (e.g. "1.58:14.85").
var CSVColumns = []string{"cod_fisc", "nome", "cognome", "ruolo", "lib_dip", "cred_acq", "data_acq", "part_reclutato", "sponsor", "cod_prof.disciplina"}

// ParseCSV reads the providers' CSV: a header row (any case, any column order), ';' or ','
// separated, Windows-1252 or UTF-8 (with or without BOM). There is no event in it.
func (p Parser) ParseCSV(r io.Reader, name string) (Report, error) {
	ps := &problems{lang: p.lang()}
	in := p.csvInput(r, ps)
	if in == nil {
		return Report{}, ps.err(name)
	}
	rep := readCSV(in, ps)
	if err := ps.err(name); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// csvInput picks the encoding: UTF-8 when the first 64 KB are valid UTF-8 (or there is a
// BOM), else Windows-1252, what Excel saves in Italy.
func (p Parser) csvInput(r io.Reader, ps *problems) *bufio.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	switch {
	case len(bytes.TrimSpace(head)) == 0:
		ps.add(1, "file", "", "the file is empty")
		return nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}) || bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		ps.add(1, "file", "", "the file is UTF-16: save it as ISO-8859-1, Windows-1252 or UTF-8")
		return nil
	case bytes.IndexByte(head, 0) >= 0:
		ps.add(1, "file", "", "the file is binary (or UTF-16), not a text file")
		return nil
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		br.Discard(3)
		return br
	}
	if validUTF8Prefix(head) {
		return br
	}
	return bufio.NewReader(transform.NewReader(br, charmap.Windows1252.NewDecoder()))
}

// validUTF8Prefix reports whether b is UTF-8, allowing a character cut at the end.
func validUTF8Prefix(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	for cut := 1; cut <= 3 && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return len(b) == 64<<10
		}
	}
	return false
}

func readCSV(in *bufio.Reader, ps *problems) Report {
	rep := Report{Format: "csv"}
	first, _ := in.Peek(4096)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(in)
	cr.Comma = ';'
	if bytes.Count(first, []byte{','}) > bytes.Count(first, []byte{';'}) {
		cr.Comma = ','
	}
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		ps.add(1, "file", "", "the header row cannot be read")
		return rep
	}
	col := map[string]int{}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if !contains(CSVColumns, k) {
			ps.add(1, h, h, "unknown column %q (expected %s)", h, strings.Join(CSVColumns, ";"))
			continue
		}
		if _, dup := col[k]; dup {
			ps.add(1, h, h, "column %s appears twice", k)
			continue
		}
		col[k] = i
	}
	for _, k := range CSVColumns {
		if _, ok := col[k]; !ok && k != "sponsor" {
			ps.add(1, k, "", "required column %s is missing", k)
		}
	}
	if ps.total > 0 {
		return rep
	}
	cfLine := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			if pe, ok := err.(*csv.ParseError); ok {
				line = pe.Line
			}
			ps.add(line, "file", "", "malformed CSV row: %s", err.Error())
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" || strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // blank line, or a row of separators as spreadsheets leave
		}
		c := checker{ps: ps, line: line}
		m := make(map[string]string, len(col))
		for k, i := range col {
			if i < len(rec) {
				if !utf8.ValidString(rec[i]) {
					c.bad(k, strings.ToValidUTF8(rec[i], "?"), "column %s is not valid UTF-8: save the whole file as UTF-8 or Windows-1252", k)
					continue
				}
				if k == "sponsor" && strings.TrimSpace(rec[i]) == "" {
					continue
				}
				m[k] = rec[i]
			} else if k != "sponsor" {
				c.bad(k, "", "the row has no %s column", k)
			}
		}
		pt := participantFields(c, m, true)
		if v, ok := m["cod_prof.disciplina"]; ok {
			pt.Professions = professionGroups(c, v)
		}
		if pt.CF != "" {
			if firstLine, dup := cfLine[pt.CF]; dup {
				c.bad("cod_fisc", pt.CF, "the participant %s is listed twice in the event (also on line %d)", pt.CF, firstLine)
			} else {
				cfLine[pt.CF] = line
			}
		}
		if ps.total == 0 {
			rep.Participants = append(rep.Participants, pt)
		}
	}
	if ps.total == 0 && len(rep.Participants) == 0 {
		ps.add(1, "file", "", "the file lists no participant")
	}
	return rep
}

// professionGroups reads "1.58:14.85.86": profession 1 with discipline 58, profession 14 with
// disciplines 85 and 86.
func professionGroups(c checker, v string) []Profession {
	const field = "cod_prof.disciplina"
	v = strings.TrimSpace(v)
	if v == "" {
		c.bad(field, v, "%s is empty: give at least one profession.discipline, e.g. 1.58", field)
		return nil
	}
	var out []Profession
	seen := map[int]bool{}
	for _, g := range strings.Split(v, ":") {
		parts := strings.Split(strings.TrimSpace(g), ".")
		if len(parts) < 2 {
			c.bad(field, g, "%q must be profession.discipline[.discipline…], e.g. 1.58", g)
			continue
		}
		p := Profession{Code: c.posInt("cod_prof", parts[0], 2)}
		if p.Code != 0 {
			if seen[p.Code] {
				c.bad(field, g, "profession %d is listed twice for this participant", p.Code)
			}
			seen[p.Code] = true
		}
		dseen := map[int]bool{}
		for _, d := range parts[1:] {
			n := c.posInt("disciplina", d, 3)
			if n != 0 && dseen[n] {
				c.bad(field, g, "discipline %d is listed twice in profession %d", n, p.Code)
			}
			dseen[n] = true
			p.Disciplines = append(p.Disciplines, n)
		}
		out = append(out, p)
	}
	return out
}
