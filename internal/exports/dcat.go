package exports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
)

// Namespaces of the metadata, with the prefixes both serialisations use.
var namespaces = map[string]string{
	"rdf":      "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
	"rdfs":     "http://www.w3.org/2000/01/rdf-schema#",
	"dcat":     "http://www.w3.org/ns/dcat#",
	"dcatapit": "http://dati.gov.it/onto/dcatapit#",
	"dct":      "http://purl.org/dc/terms/",
	"foaf":     "http://xmlns.com/foaf/0.1/",
	"vcard":    "http://www.w3.org/2006/vcard/ns#",
	"xsd":      "http://www.w3.org/2001/XMLSchema#",
	"schema":   "http://schema.org/",
	"adms":     "http://www.w3.org/ns/adms#",
}

// Node is a resource of the metadata graph: its IRI ("" for a blank node), its types (as
// prefix:name) and its properties.
type Node struct {
	IRI   string
	Types []string
	Props []Prop
}

// Prop is one property of a node: a literal (with a language or a datatype), a reference to
// an IRI, or a nested node.
type Prop struct {
	Pred     string // prefix:name
	Literal  string
	Lang     string
	Datatype string // prefix:name
	Ref      string
	Node     *Node
}

func lit(pred, v string) Prop           { return Prop{Pred: pred, Literal: v} }
func litLang(pred, v, lang string) Prop { return Prop{Pred: pred, Literal: v, Lang: lang} }
func typed(pred, v, dt string) Prop     { return Prop{Pred: pred, Literal: v, Datatype: dt} }
func ref(pred, iri string) Prop         { return Prop{Pred: pred, Ref: iri} }
func nested(pred string, n *Node) Prop  { return Prop{Pred: pred, Node: n} }

func expand(qname string) string {
	p, local, _ := strings.Cut(qname, ":")
	return namespaces[p] + local
}

// RDFXML writes the graph rooted at n as RDF/XML (the form CKAN's DCAT-AP_IT harvesters
// read): typed node elements, nested resources inline, literals escaped.
func (n *Node) RDFXML() []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<rdf:RDF`)
	for _, p := range sortedPrefixes() {
		fmt.Fprintf(&b, "\n  xmlns:%s=\"%s\"", p, namespaces[p])
	}
	b.WriteString(">\n")
	n.writeXML(&b, 1)
	b.WriteString("</rdf:RDF>\n")
	return b.Bytes()
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (n *Node) writeXML(b *bytes.Buffer, depth int) {
	ind := strings.Repeat("  ", depth)
	tag := "rdf:Description"
	types := n.Types
	if len(types) > 0 {
		tag, types = types[0], types[1:]
	}
	b.WriteString(ind + "<" + tag)
	if n.IRI != "" {
		fmt.Fprintf(b, ` rdf:about="%s"`, esc(n.IRI))
	}
	b.WriteString(">\n")
	for _, t := range types {
		fmt.Fprintf(b, "%s  <rdf:type rdf:resource=\"%s\"/>\n", ind, esc(expand(t)))
	}
	for _, p := range n.Props {
		switch {
		case p.Node != nil:
			fmt.Fprintf(b, "%s  <%s>\n", ind, p.Pred)
			p.Node.writeXML(b, depth+2)
			fmt.Fprintf(b, "%s  </%s>\n", ind, p.Pred)
		case p.Ref != "":
			fmt.Fprintf(b, "%s  <%s rdf:resource=\"%s\"/>\n", ind, p.Pred, esc(p.Ref))
		default:
			attr := ""
			if p.Lang != "" {
				attr = fmt.Sprintf(` xml:lang="%s"`, p.Lang)
			} else if p.Datatype != "" {
				attr = fmt.Sprintf(` rdf:datatype="%s"`, esc(expand(p.Datatype)))
			}
			fmt.Fprintf(b, "%s  <%s%s>%s</%s>\n", ind, p.Pred, attr, esc(p.Literal), p.Pred)
		}
	}
	b.WriteString(ind + "</" + tag + ">\n")
}

func sortedPrefixes() []string {
	var ps []string
	for p := range namespaces {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Turtle writes the graph rooted at n as Turtle: prefixes, then one block per node with an
// IRI; blank nodes nest in [ ].
func (n *Node) Turtle() []byte {
	var b bytes.Buffer
	for _, p := range sortedPrefixes() {
		fmt.Fprintf(&b, "@prefix %s: <%s> .\n", p, namespaces[p])
	}
	b.WriteString("\n")
	seen := map[string]bool{}
	var queue []*Node
	var collect func(x *Node)
	collect = func(x *Node) {
		if x.IRI != "" {
			if seen[x.IRI] {
				return
			}
			seen[x.IRI] = true
			queue = append(queue, x)
		}
		for _, p := range x.Props {
			if p.Node != nil {
				collect(p.Node)
			}
		}
	}
	collect(n)
	for _, x := range queue {
		fmt.Fprintf(&b, "<%s>", ttlIRI(x.IRI))
		x.writeTTLBody(&b, 1)
		b.WriteString(" .\n\n")
	}
	return b.Bytes()
}

func ttlIRI(s string) string {
	return strings.NewReplacer(">", "%3E", "<", "%3C", " ", "%20", `"`, "%22").Replace(s)
}

func ttlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

func (n *Node) writeTTLBody(b *bytes.Buffer, depth int) {
	ind := strings.Repeat("    ", depth)
	var parts []string
	if len(n.Types) > 0 {
		parts = append(parts, "a "+strings.Join(n.Types, ", "))
	}
	for _, p := range n.Props {
		var o string
		switch {
		case p.Node != nil && p.Node.IRI != "":
			o = "<" + ttlIRI(p.Node.IRI) + ">"
		case p.Node != nil:
			var nb bytes.Buffer
			nb.WriteString("[")
			p.Node.writeTTLBody(&nb, depth+1)
			nb.WriteString("\n" + ind + "]")
			o = nb.String()
		case p.Ref != "":
			o = "<" + ttlIRI(p.Ref) + ">"
		default:
			o = ttlString(p.Literal)
			if p.Lang != "" {
				o += "@" + p.Lang
			} else if p.Datatype != "" {
				o += "^^" + p.Datatype
			}
		}
		parts = append(parts, p.Pred+" "+o)
	}
	for i, s := range parts {
		if i == 0 {
			b.WriteString("\n" + ind + s)
		} else {
			b.WriteString(" ;\n" + ind + s)
		}
	}
}

// EU vocabularies the metadata points to.
const (
	euTheme     = "http://publications.europa.eu/resource/authority/data-theme/"
	euFrequency = "http://publications.europa.eu/resource/authority/frequency/"
	euFileType  = "http://publications.europa.eu/resource/authority/file-type/"
	euLanguage  = "http://publications.europa.eu/resource/authority/language/"
	euCountry   = "http://publications.europa.eu/resource/authority/country/ITA"
	// licenceCCBY is CC BY 4.0 in the Italian licence vocabulary (A21), as DCAT-AP_IT asks.
	licenceCCBY = "https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40"
)

// metadata is the DCAT-AP_IT description of a release: a catalogue with the dataset, its
// publisher and rights holder (dcatapit:Agent with the IPA code), contact point, theme HEAL,
// periodicity, temporal and spatial coverage, and a distribution per data format.
func (s *Service) metadata(rel *Release) *Node {
	pub := s.publisher()
	base := s.baseURL()
	id := pub.IPA + ":esd-monitoraggio"
	spatialName := "Italia"
	datasetIRI := base + "/opendata#dataset"
	if rel.Region != nil {
		id += "-" + fmt.Sprintf("%03d", rel.Region.ID)
		spatialName = rel.Region.Name
		datasetIRI = fmt.Sprintf("%s/opendata?region=%d#dataset", base, rel.Region.ID)
	}
	agent := func(role string) *Node {
		n := &Node{IRI: base + "/opendata#" + role, Types: []string{"dcatapit:Agent", "foaf:Agent"},
			Props: []Prop{litLang("foaf:name", pub.Name, "it"), lit("dct:identifier", pub.IPA)}}
		return n
	}
	modified := rel.Built.Format("2006-01-02")
	start, end := "2024-01-01", rel.Built.Format("2006-01-02")
	if len(rel.Periods) > 0 {
		start = rel.Periods[0] + "-01-01"
	}
	title := "ESD – Monitoraggio delle competenze digitali dei professionisti sanitari"
	titleEN := "ESD – Monitoring of health professionals' digital skills"
	if rel.Region != nil {
		title += " – " + rel.Region.Name
		titleEN += " – " + rel.Region.Name
	}
	desc := fmt.Sprintf("Aggregati del programma Educazione in Sanità Digitale per periodo, regione, professione e persona digitale: valutati, persone digitali, dossier, obiettivi, partecipazione, crediti ECM, livello e gap medi. "+
		"I gruppi con meno di %d professionisti e le celle che li rivelerebbero per differenza sono vuoti e contrassegnati (suppressed = 1).", rel.Threshold)
	descEN := fmt.Sprintf("Aggregates of the Educazione in Sanità Digitale programme by period, region, profession and Digital Persona. Groups of fewer than %d professionals, and cells that would reveal them by difference, are empty and flagged (suppressed = 1).", rel.Threshold)
	licence := &Node{IRI: licenceCCBY, Types: []string{"dcatapit:LicenseDocument", "dct:LicenseDocument"},
		Props: []Prop{ref("dct:type", "http://purl.org/adms/licencetype/Attribution"), litLang("foaf:name", "Creative Commons Attribuzione 4.0 Internazionale (CC BY 4.0)", "it")}}
	dictionary := &Node{IRI: base + "/opendata/" + FileDictJSON, Types: []string{"dcatapit:Standard", "dct:Standard"},
		Props: []Prop{lit("dct:identifier", "esd-monitoraggio-dizionario"), litLang("dct:title", "Dizionario dei dati", "it"), litLang("dct:title", "Data dictionary", "en"),
			litLang("dct:description", "Colonne, tipi, unità, significato (it/en) e regola di protezione dei piccoli gruppi", "it")}}
	var dists []Prop
	for _, f := range rel.Files {
		if f.Format != "CSV" && f.Format != "PARQUET" || f.Name == FileDictCSV {
			continue
		}
		url := base + "/opendata/" + f.Name
		if rel.Region != nil {
			url += fmt.Sprintf("?region=%d", rel.Region.ID)
		}
		d := &Node{IRI: url + "#distribution", Types: []string{"dcatapit:Distribution", "dcat:Distribution"}, Props: []Prop{
			litLang("dct:title", f.Title, "it"),
			litLang("dct:description", f.Title+". "+descEN, "en"),
			ref("dct:format", euFileType+f.Format),
			lit("dcat:mediaType", strings.SplitN(f.MediaType, ";", 2)[0]),
			ref("dcat:accessURL", base+"/opendata"),
			ref("dcat:downloadURL", url),
			typed("dcat:byteSize", fmt.Sprint(f.Size), "xsd:decimal"),
			nested("dct:license", licence),
			nested("dct:conformsTo", dictionary),
			typed("dct:modified", modified, "xsd:date"),
		}}
		dists = append(dists, nested("dcat:distribution", d))
	}
	contact := &Node{IRI: base + "/opendata#contact", Types: []string{"dcatapit:Organization", "vcard:Organization", "vcard:Kind"}, Props: []Prop{
		lit("vcard:fn", pub.Name+" – dati aperti ESD"), ref("vcard:hasEmail", "mailto:"+pub.Email)}}
	if pub.URL != "" {
		contact.Props = append(contact.Props, ref("vcard:hasURL", pub.URL))
	}
	spatial := &Node{Types: []string{"dct:Location"}, Props: []Prop{ref("dcatapit:geographicalIdentifier", euCountry), litLang("dcatapit:geographicalName", spatialName, "it")}}
	if rel.Region != nil {
		spatial.Props[0] = lit("dcatapit:geographicalIdentifier", "ISTAT:"+rel.Region.ISTAT)
	}
	ds := &Node{IRI: datasetIRI, Types: []string{"dcatapit:Dataset", "dcat:Dataset"}, Props: append([]Prop{
		lit("dct:identifier", id),
		litLang("dct:title", title, "it"), litLang("dct:title", titleEN, "en"),
		litLang("dct:description", desc, "it"), litLang("dct:description", descEN, "en"),
		typed("dct:modified", modified, "xsd:date"),
		typed("dct:issued", modified, "xsd:date"),
		ref("dcat:theme", euTheme+"HEAL"),
		ref("dct:accrualPeriodicity", euFrequency+"MONTHLY"),
		ref("dct:language", euLanguage+"ITA"), ref("dct:language", euLanguage+"ENG"),
		nested("dct:publisher", agent("publisher")),
		nested("dct:rightsHolder", agent("rightsholder")),
		nested("dcat:contactPoint", contact),
		nested("dct:temporal", &Node{Types: []string{"dct:PeriodOfTime"}, Props: []Prop{typed("dcat:startDate", start, "xsd:date"), typed("dcat:endDate", end, "xsd:date"),
			typed("schema:startDate", start, "xsd:date"), typed("schema:endDate", end, "xsd:date")}}),
		nested("dct:spatial", spatial),
		nested("dct:conformsTo", dictionary),
		litLang("dcat:keyword", "competenze digitali", "it"), litLang("dcat:keyword", "sanità digitale", "it"), litLang("dcat:keyword", "ECM", "it"),
		litLang("dcat:keyword", "formazione", "it"),
		ref("dcat:landingPage", base+"/opendata"),
	}, dists...)}
	return &Node{IRI: base + "/opendata#catalog", Types: []string{"dcatapit:Catalog", "dcat:Catalog"}, Props: []Prop{
		litLang("dct:title", "Catalogo dei dati aperti ESD", "it"),
		litLang("dct:description", "Dati aperti del programma Educazione in Sanità Digitale", "it"),
		typed("dct:modified", modified, "xsd:date"),
		ref("dct:language", euLanguage+"ITA"),
		ref("foaf:homepage", base+"/opendata"),
		nested("dct:publisher", agent("publisher")),
		nested("dcat:dataset", ds),
	}}
}
