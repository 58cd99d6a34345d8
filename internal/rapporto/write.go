package rapporto

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"unicode"

	"esd/internal/textnorm"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// WriteXML writes rep as an ISO-8859-1 rapporto evento that the 1.16 schema validates:
// attributes in XSD order, names and sponsors transliterated to the schema's characters,
// credits as NN.N, dates as xsd:date. rep.Event is required. Nothing is written when a
// value cannot be made valid (an empty name after transliteration, credits over 50, …):
// the error lists every such problem, in English, with the participant's index as Line.
func WriteXML(w io.Writer, rep Report) error {
	ps := &problems{lang: "en"}
	if rep.Event == nil {
		ps.add(0, "evento", "", "the report has no event: WriteXML needs rep.Event")
		return ps.err("rapporto evento")
	}
	if len(rep.Participants) == 0 {
		ps.add(0, "partecipante", "", "<evento> must contain at least one <partecipante>")
	}
	ev := rep.Event
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="ISO-8859-1"?>` + "\r\n<dataroot>\r\n  <evento")
	attr(&b, "cod_evento", ev.Code)
	if ev.Edition != 0 {
		attr(&b, "cod_edi", strconv.Itoa(ev.Edition))
	}
	attr(&b, "cod_org", ev.ProviderCode)
	attr(&b, "cod_accr", ev.AccreditorCode)
	attr(&b, "data_ini", ev.Start)
	attr(&b, "data_fine", ev.End)
	attr(&b, "crediti", formatCredits(ev.Credits))
	attr(&b, "ore", strconv.Itoa(ev.Hours))
	attr(&b, "tipo_form", strconv.Itoa(ev.Type))
	if ev.Type == 4 || ev.ModuleFAD || ev.ModuleFSC || ev.ModuleRES {
		attr(&b, "modulo_fad", bit(ev.ModuleFAD))
		attr(&b, "modulo_fsc", bit(ev.ModuleFSC))
		attr(&b, "modulo_res", bit(ev.ModuleRES))
	}
	attr(&b, "tipo_eve", ev.Audience)
	attr(&b, "cod_obi", strconv.Itoa(ev.Objective))
	attr(&b, "num_part", strconv.Itoa(ev.Participants))
	attr(&b, "cod_tipologia_form", strconv.Itoa(ev.Subtype))
	b.WriteString(">\r\n")
	head := b.String()
	// The event is checked by reading its own start tag back, so the writer and the reader
	// share one set of rules.
	checkWrittenEvent(ps, head)

	bw := bufio.NewWriterSize(w, 64<<10)
	if ps.total == 0 {
		bw.WriteString(head)
	}
	seen := map[string]int{}
	for i, p := range rep.Participants {
		c := checker{ps: ps, line: i + 1}
		b.Reset()
		given, family := Transliterate(p.GivenName), Transliterate(p.FamilyName)
		code := c.codiceFiscale("cod_fisc", p.CF)
		if first, dup := seen[code]; dup && code != "" {
			c.bad("cod_fisc", code, "the participant %s is listed twice in the event (also participant %d)", code, first)
		}
		seen[code] = i + 1
		c.str("nome", given, 100)
		c.str("cognome", family, 100)
		c.enum("ruolo", p.Role, "P", "D", "T", "R")
		c.enum("lib_dip", p.Employment, "L", "D", "C", "P")
		c.credits("cred_acq", formatCredits(p.Credits), true)
		c.date("data_acq", p.AcquiredOn, false)
		sponsor := transliterateSponsor(p.Sponsor)
		if p.Sponsor != "" && sponsor == "" {
			c.bad("sponsor", p.Sponsor, "sponsor %q has no character the schema allows", p.Sponsor)
		}
		if len(p.Professions) == 0 {
			c.bad("professione", code, "the participant has no profession")
		}
		b.WriteString("    <partecipante")
		attr(&b, "cod_fisc", code)
		attr(&b, "nome", given)
		attr(&b, "cognome", family)
		attr(&b, "ruolo", p.Role)
		attr(&b, "lib_dip", p.Employment)
		attr(&b, "part_reclutato", bit(p.Recruited))
		if sponsor != "" {
			attr(&b, "sponsor", sponsor)
		}
		attr(&b, "cred_acq", formatCredits(p.Credits))
		attr(&b, "data_acq", p.AcquiredOn)
		b.WriteString(">\r\n")
		profs := map[int]bool{}
		for _, pr := range p.Professions {
			if pr.Code < 1 || pr.Code > 99 || profs[pr.Code] {
				c.bad("cod_prof", strconv.Itoa(pr.Code), "profession code %d is out of range 1-99 or repeated", pr.Code)
			}
			profs[pr.Code] = true
			if len(pr.Disciplines) == 0 {
				c.bad("disciplina", strconv.Itoa(pr.Code), "profession %d has no discipline", pr.Code)
			}
			b.WriteString("      <professione")
			attr(&b, "cod_prof", strconv.Itoa(pr.Code))
			b.WriteString(">\r\n")
			discs := map[int]bool{}
			for _, d := range pr.Disciplines {
				if d < 1 || d > 999 || discs[d] {
					c.bad("disciplina", strconv.Itoa(d), "discipline code %d is out of range 1-999 or repeated", d)
				}
				discs[d] = true
				b.WriteString("        <disciplina>" + strconv.Itoa(d) + "</disciplina>\r\n")
			}
			b.WriteString("      </professione>\r\n")
		}
		b.WriteString("    </partecipante>\r\n")
		if ps.total == 0 {
			bw.WriteString(b.String())
		}
	}
	if err := ps.err("rapporto evento"); err != nil {
		return err
	}
	bw.WriteString("  </evento>\r\n</dataroot>\r\n")
	return bw.Flush()
}

// checkWrittenEvent runs the reader's event checks on the written start tag.
func checkWrittenEvent(ps *problems, head string) {
	doc := head + "<partecipante/></evento></dataroot>"
	sub := &problems{lang: "en"}
	readXML(strings.NewReader(doc), sub)
	for _, p := range sub.list {
		if p.Field == "partecipante" || p.Field == "professione" || p.Field == "cod_fisc" || strings.HasPrefix(p.Field, "nome") ||
			p.Field == "cognome" || p.Field == "ruolo" || p.Field == "lib_dip" || p.Field == "part_reclutato" || p.Field == "cred_acq" || p.Field == "data_acq" {
			continue // the stub participant
		}
		ps.total++
		p.Line = 0
		ps.list = append(ps.list, p)
	}
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// formatCredits writes credits as the XSD's [0-9]{1,2}\.[0-9].
func formatCredits(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// attr writes name="value" with XML escaping; characters beyond ASCII become character
// references, so the output is ASCII and therefore valid ISO-8859-1 whatever it holds.
func attr(b *strings.Builder, name, value string) {
	b.WriteByte(' ')
	b.WriteString(name)
	b.WriteString(`="`)
	for _, r := range value {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\t', '\n', '\r':
			b.WriteByte(' ')
		default:
			if r < 0x20 {
				continue
			}
			if r > 0x7E {
				b.WriteString("&#")
				b.WriteString(strconv.Itoa(int(r)))
				b.WriteByte(';')
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// Transliterate turns a personal name into the schema's [a-zA-Z ',\-.]+: accents dropped
// (textnorm.ASCIIName), letters without a decomposition spelled out (ß → ss, ø → o), any
// other character dropped and spaces collapsed. It may return "" for a name with no Latin
// letters; WriteXML refuses such a participant.
func Transliterate(s string) string {
	s = spellOut.Replace(s)
	return collapse(textnorm.ASCIIName(s))
}

// spellOut covers the Latin letters that Unicode does not decompose into letter + accent.
var spellOut = strings.NewReplacer(
	"ß", "ss", "ẞ", "SS", "æ", "ae", "Æ", "AE", "œ", "oe", "Œ", "OE", "ø", "o", "Ø", "O",
	"ł", "l", "Ł", "L", "đ", "d", "Đ", "D", "ð", "d", "Ð", "D", "þ", "th", "Þ", "TH", "ı", "i",
	"‘", "'", "`", "'", "´", "'", "–", "-", "—", "-")

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// transliterateSponsor keeps the sponsor's characters ([0-9A-Za-z ',;\-.()]): '&' becomes
// "e", accents are dropped, others removed; at most 100 characters.
func transliterateSponsor(s string) string {
	s = spellOut.Replace(strings.ReplaceAll(s, "&", " e "))
	if t, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s); err == nil {
		s = t
	}
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" ',;-.()", r)) {
			b.WriteRune(r)
		}
	}
	out := collapse(b.String())
	if len(out) > 100 {
		out = strings.TrimSpace(out[:100])
	}
	return out
}
