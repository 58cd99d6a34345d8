package portfolio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The 1EdTech CASE 1.0 package (CFPackage), with the fields ESD writes and reads.

type caseLink struct {
	Title      string `json:"title"`
	Identifier string `json:"identifier"`
	URI        string `json:"uri"`
}

// UnmarshalJSON accepts a LinkURI object or, as older OpenSALT exports write link fields,
// a plain URI string: the identifier is then the URI's last path segment (CASE URIs end
// with the identifier), the whole URI when it has no slash. A null leaves the link empty.
func (l *caseLink) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		id := strings.TrimRight(s, "/")
		if i := strings.LastIndexAny(id, "/:"); i >= 0 && isUUID(id[i+1:]) {
			id = id[i+1:]
		}
		*l = caseLink{Identifier: id, URI: s}
		return nil
	}
	type plainLink caseLink // without the method, to avoid recursion
	var pl plainLink
	if err := json.Unmarshal(b, &pl); err != nil {
		return err
	}
	*l = caseLink(pl)
	return nil
}

type casePackage struct {
	CFDocument     caseDocument      `json:"CFDocument"`
	CFItems        []caseItem        `json:"CFItems"`
	CFAssociations []caseAssociation `json:"CFAssociations"`
	CFDefinitions  *caseDefinitions  `json:"CFDefinitions,omitempty"`
	CFRubrics      []caseRubric      `json:"CFRubrics,omitempty"`
}

type caseDocument struct {
	Identifier         string    `json:"identifier"`
	URI                string    `json:"uri"`
	Creator            string    `json:"creator"`
	Title              string    `json:"title"`
	LastChangeDateTime string    `json:"lastChangeDateTime"`
	Publisher          string    `json:"publisher,omitempty"`
	Description        string    `json:"description,omitempty"`
	Language           string    `json:"language,omitempty"`
	Version            string    `json:"version,omitempty"`
	AdoptionStatus     string    `json:"adoptionStatus,omitempty"`
	Notes              string    `json:"notes,omitempty"`
	CFPackageURI       *caseLink `json:"CFPackageURI,omitempty"`
}

type caseItem struct {
	Identifier           string    `json:"identifier"`
	URI                  string    `json:"uri"`
	FullStatement        string    `json:"fullStatement"`
	AlternativeLabel     string    `json:"alternativeLabel,omitempty"`
	CFItemType           string    `json:"CFItemType,omitempty"`
	HumanCodingScheme    string    `json:"humanCodingScheme,omitempty"`
	ListEnumeration      string    `json:"listEnumeration,omitempty"`
	AbbreviatedStatement string    `json:"abbreviatedStatement,omitempty"`
	Notes                string    `json:"notes,omitempty"`
	Language             string    `json:"language,omitempty"`
	LastChangeDateTime   string    `json:"lastChangeDateTime"`
	CFDocumentURI        *caseLink `json:"CFDocumentURI,omitempty"`
}

type caseAssociation struct {
	Identifier         string    `json:"identifier"`
	URI                string    `json:"uri"`
	AssociationType    string    `json:"associationType"`
	SequenceNumber     *int      `json:"sequenceNumber,omitempty"`
	OriginNodeURI      caseLink  `json:"originNodeURI"`
	DestinationNodeURI caseLink  `json:"destinationNodeURI"`
	LastChangeDateTime string    `json:"lastChangeDateTime"`
	CFDocumentURI      *caseLink `json:"CFDocumentURI,omitempty"`
}

type caseDefinitions struct {
	CFItemTypes []caseItemType `json:"CFItemTypes,omitempty"`
}

type caseItemType struct {
	Identifier         string `json:"identifier"`
	URI                string `json:"uri"`
	Title              string `json:"title"`
	Description        string `json:"description"`
	HierarchyCode      string `json:"hierarchyCode"`
	LastChangeDateTime string `json:"lastChangeDateTime"`
}

type caseRubric struct {
	Identifier         string          `json:"identifier"`
	URI                string          `json:"uri"`
	Title              string          `json:"title,omitempty"`
	Description        string          `json:"description,omitempty"`
	LastChangeDateTime string          `json:"lastChangeDateTime"`
	CFRubricCriteria   []caseCriterion `json:"CFRubricCriteria,omitempty"`
}

type caseCriterion struct {
	Identifier              string               `json:"identifier"`
	URI                     string               `json:"uri"`
	Category                string               `json:"category,omitempty"`
	Description             string               `json:"description,omitempty"`
	CFItemURI               *caseLink            `json:"CFItemURI,omitempty"`
	Weight                  *float64             `json:"weight,omitempty"`
	Position                *int                 `json:"position,omitempty"`
	RubricID                string               `json:"rubricId,omitempty"`
	LastChangeDateTime      string               `json:"lastChangeDateTime"`
	CFRubricCriterionLevels []caseCriterionLevel `json:"CFRubricCriterionLevels,omitempty"`
}

type caseCriterionLevel struct {
	Identifier         string   `json:"identifier"`
	URI                string   `json:"uri"`
	Description        string   `json:"description,omitempty"`
	Quality            string   `json:"quality,omitempty"`
	Score              *float64 `json:"score,omitempty"`
	Feedback           string   `json:"feedback,omitempty"`
	Position           *int     `json:"position,omitempty"`
	RubricCriterionID  string   `json:"rubricCriterionId,omitempty"`
	LastChangeDateTime string   `json:"lastChangeDateTime"`
}

// Conventions of ESD's CASE packages (CASE 1.0 has no field for a second language or for
// a framework code): the English title goes in alternativeLabel, the English description
// in notes; the framework code, English title and description and the illustrative flag
// are "esd:" lines of the document's notes; the scale is the rubric criterion with
// category "esd:scale" (quality = Italian label, feedback = English label, a line break,
// English descriptor); each line's descriptors are a criterion pointing at it (quality =
// level label, score = level, description = Italian, feedback = English).
const (
	caseScaleCategory = "esd:scale"
	caseLineCategory  = "esd:line"
	caseCrosswalkURI  = "urn:esd:crosswalk:"
)

var kindTypes = map[string]string{KindDimension: "Dimensione", KindArea: "Ambito", KindLine: "Linea formativa"}

func urn(id string) string { return "urn:uuid:" + id }

func ip(n int) *int { return &n }

func fp(f float64) *float64 { return &f }

// encodeCASE writes a document as a CASE 1.0 package. Identifiers are stable: a document
// is identified by its framework code, an item by framework and item code (or by the
// identifier it was imported with), so the same content always exports identically.
func encodeCASE(doc Document, v Version) ([]byte, error) {
	f := doc.Framework
	docID := uuid5("document:" + f.Code)
	when := v.CreatedAt
	if v.PublishedAt != nil {
		when = *v.PublishedAt
	}
	ts := when.UTC().Format(time.RFC3339)
	docLink := &caseLink{Title: f.TitleIT, Identifier: docID, URI: urn(docID)}
	status := map[string]string{StateDraft: "Draft", StatePublished: "Adopted", StateRetired: "Deprecated"}[v.State]
	var notes []string
	notes = append(notes, "Esportato da ESD – Educazione in Sanità Digitale.", "esd:code="+strconv.Quote(f.Code))
	if f.TitleEN != "" {
		notes = append(notes, "esd:title_en="+strconv.Quote(f.TitleEN))
	}
	if f.DescriptionEN != "" {
		notes = append(notes, "esd:description_en="+strconv.Quote(f.DescriptionEN))
	}
	if f.Illustrative {
		notes = append(notes, "esd:illustrative=true")
	}
	pkg := casePackage{CFDocument: caseDocument{Identifier: docID, URI: urn(docID), Creator: "ESD – Educazione in Sanità Digitale",
		Title: f.TitleIT, LastChangeDateTime: ts, Description: f.DescriptionIT, Language: "it", Version: f.Version,
		AdoptionStatus: status, Notes: strings.Join(notes, "\n"),
		CFPackageURI: &caseLink{Title: f.TitleIT, Identifier: docID, URI: urn(docID)}}}
	pkg.CFItems, pkg.CFAssociations = []caseItem{}, []caseAssociation{}
	types := &caseDefinitions{}
	for i, k := range []string{KindDimension, KindArea, KindLine} {
		id := uuid5("itemtype:" + k)
		types.CFItemTypes = append(types.CFItemTypes, caseItemType{Identifier: id, URI: urn(id), Title: kindTypes[k],
			Description: kindTypes[k] + " del portfolio ESD", HierarchyCode: strconv.Itoa(i + 1), LastChangeDateTime: ts})
	}
	pkg.CFDefinitions = types
	itemID := func(it DocItem) string {
		if isUUID(it.SourceRef) {
			return strings.ToLower(it.SourceRef)
		}
		return uuid5("item:" + f.Code + ":" + it.Code)
	}
	assoc := func(kind string, seq *int, origin, dest caseLink) {
		id := uuid5("association:" + origin.Identifier + ":" + kind + ":" + dest.Identifier)
		pkg.CFAssociations = append(pkg.CFAssociations, caseAssociation{Identifier: id, URI: urn(id), AssociationType: kind,
			SequenceNumber: seq, OriginNodeURI: origin, DestinationNodeURI: dest, LastChangeDateTime: ts, CFDocumentURI: docLink})
	}
	rubricID := uuid5("rubric:" + f.Code)
	rubric := caseRubric{Identifier: rubricID, URI: urn(rubricID), Title: "Livelli di padronanza – " + f.TitleIT,
		Description: "Scala di padronanza del portfolio e descrittori dei livelli di ciascuna linea.", LastChangeDateTime: ts}
	scaleCrit := caseCriterion{Identifier: uuid5("criterion:" + f.Code + ":scale"), Category: caseScaleCategory,
		Description: "Scala di padronanza", Position: ip(0), RubricID: rubricID, LastChangeDateTime: ts}
	scaleCrit.URI = urn(scaleCrit.Identifier)
	labels := map[int]string{}
	for _, l := range doc.Scale {
		labels[l.Level] = l.LabelIT
		id := uuid5("level:" + f.Code + ":scale:" + strconv.Itoa(l.Level))
		fb := l.LabelEN
		if l.DescriptorEN != "" {
			fb += "\n" + l.DescriptorEN
		}
		scaleCrit.CFRubricCriterionLevels = append(scaleCrit.CFRubricCriterionLevels, caseCriterionLevel{Identifier: id, URI: urn(id),
			Description: l.DescriptorIT, Quality: l.LabelIT, Score: fp(float64(l.Level)), Feedback: fb, Position: ip(l.Level),
			RubricCriterionID: scaleCrit.Identifier, LastChangeDateTime: ts})
	}
	rubric.CFRubricCriteria = append(rubric.CFRubricCriteria, scaleCrit)
	add := func(kind string, it DocItem, pos int, parent caseLink) caseLink {
		id := itemID(it)
		full := it.DescriptionIT
		if full == "" {
			full = it.TitleIT
		}
		pkg.CFItems = append(pkg.CFItems, caseItem{Identifier: id, URI: urn(id), FullStatement: full, AlternativeLabel: it.TitleEN,
			CFItemType: kindTypes[kind], HumanCodingScheme: it.Code, ListEnumeration: strconv.Itoa(pos),
			AbbreviatedStatement: it.TitleIT, Notes: it.DescriptionEN, Language: "it", LastChangeDateTime: ts, CFDocumentURI: docLink})
		self := caseLink{Title: it.TitleIT, Identifier: id, URI: urn(id)}
		assoc("isChildOf", ip(pos), self, parent)
		return self
	}
	for i, d := range doc.Dimensions {
		dl := add(KindDimension, d, i+1, *docLink)
		for j, a := range d.Areas {
			al := add(KindArea, a, j+1, dl)
			for k, l := range a.Lines {
				ll := add(KindLine, l, k+1, al)
				for _, c := range l.Crosswalks {
					uri := caseCrosswalkURI + c.Scheme + ":" + c.Code
					if c.Scheme == "case" {
						uri = c.Code
					}
					target := caseLink{Title: c.Label, Identifier: uuid5(uri), URI: uri}
					switch c.Relation {
					case RelExact:
						assoc("exactMatchOf", nil, ll, target)
					case RelRelated:
						assoc("isRelatedTo", nil, ll, target)
					case RelBroader: // the target is broader: the line is part of it
						assoc("isPartOf", nil, ll, target)
					case RelNarrower: // the target is narrower: it is part of the line
						assoc("isPartOf", nil, target, ll)
					}
				}
				if len(l.Levels) > 0 {
					cid := uuid5("criterion:" + f.Code + ":" + l.Code)
					crit := caseCriterion{Identifier: cid, URI: urn(cid), Category: caseLineCategory, Description: l.TitleIT,
						CFItemURI: &ll, Position: ip(len(rubric.CFRubricCriteria)), RubricID: rubricID, LastChangeDateTime: ts}
					for _, lv := range l.Levels {
						id := uuid5("level:" + f.Code + ":" + l.Code + ":" + strconv.Itoa(lv.Level))
						crit.CFRubricCriterionLevels = append(crit.CFRubricCriterionLevels, caseCriterionLevel{Identifier: id, URI: urn(id),
							Description: lv.IT, Quality: labels[lv.Level], Score: fp(float64(lv.Level)), Feedback: lv.EN,
							Position: ip(lv.Level), RubricCriterionID: cid, LastChangeDateTime: ts})
					}
					rubric.CFRubricCriteria = append(rubric.CFRubricCriteria, crit)
				}
			}
		}
	}
	pkg.CFRubrics = []caseRubric{rubric}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(pkg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeCASE reads a CASE 1.0 package (JSON) into a document: the hierarchy from the
// isChildOf associations, mapped by mapHierarchy; crosswalks from exactMatchOf,
// isRelatedTo and isPartOf associations with a node outside the package; the scale and
// line levels from the rubrics. Checks: required fields, duplicate identifiers, items
// with several parents, orphans, cycles, levels off the scale, criteria pointing at
// unknown items.
func decodeCASE(data []byte) (Document, []string, problems) {
	var p problems
	var doc Document
	var notes []string
	var pkg casePackage
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&pkg); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			p.add(lineOf(data, se.Offset), "", "", "malformed JSON: %s", se.Error())
		case errors.As(err, &te):
			p.add(lineOf(data, te.Offset), te.Field, "", "expected %s, found a JSON %s", te.Type, te.Value)
		case errors.Is(err, io.EOF):
			p.add(0, "", "", "empty file")
		default:
			p.add(0, "", "", "malformed JSON: %v", err)
		}
		return doc, nil, p
	}
	d := pkg.CFDocument
	if d.Identifier == "" {
		p.add(0, "CFDocument.identifier", "", "not a CASE package: missing CFDocument identifier")
		return doc, nil, p
	}
	if strings.TrimSpace(d.Title) == "" {
		p.add(0, "CFDocument.title", d.Identifier, "missing document title")
	}
	doc.Framework = DocFramework{Code: caseCode(d.Identifier), Version: strings.TrimSpace(d.Version), TitleIT: strings.TrimSpace(d.Title), DescriptionIT: d.Description}
	for _, line := range strings.Split(d.Notes, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || !strings.HasPrefix(k, "esd:") {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		switch k {
		case "esd:code":
			doc.Framework.Code = v
		case "esd:title_en":
			doc.Framework.TitleEN = v
		case "esd:description_en":
			doc.Framework.DescriptionEN = v
		case "esd:illustrative":
			doc.Framework.Illustrative = v == "true"
		}
	}
	items := map[string]int{}
	for i, it := range pkg.CFItems {
		where := fmt.Sprintf("CFItems[%d]", i)
		if it.Identifier == "" {
			p.add(0, where+".identifier", it.HumanCodingScheme, "missing identifier")
			continue
		}
		if j, dup := items[it.Identifier]; dup {
			p.add(0, where+".identifier", it.Identifier, "duplicate identifier: also CFItems[%d]", j)
			continue
		}
		if it.Identifier == d.Identifier {
			p.add(0, where+".identifier", it.Identifier, "an item has the identifier of the document")
			continue
		}
		items[it.Identifier] = i
		if strings.TrimSpace(it.FullStatement) == "" && strings.TrimSpace(it.AbbreviatedStatement) == "" {
			p.add(0, where+".fullStatement", it.Identifier, "missing fullStatement (the item's text)")
		}
	}
	// A plain-URI link whose last segment is not the identifier is resolved by the URI.
	byURI := map[string]string{d.URI: d.Identifier}
	for _, it := range pkg.CFItems {
		if it.URI != "" {
			byURI[it.URI] = it.Identifier
		}
	}
	resolve := func(l caseLink) string {
		if _, ok := items[l.Identifier]; ok || l.Identifier == d.Identifier {
			return l.Identifier
		}
		if id, ok := byURI[l.URI]; ok && l.URI != "" {
			return id
		}
		return l.Identifier
	}
	parent := map[string]string{}
	seq := map[string]int{}
	type cw struct {
		item string
		c    DocCrosswalk
	}
	var cws []cw
	// Association types ESD does not model (precedes, isPeerOf, hasSkillLevel, replacedBy,
	// exemplar, extensions…) are not imported; the report names each type, how many and
	// where, so nothing is dropped silently.
	skipped := map[string]int{}
	skippedAt := map[string][]string{}
	for i, a := range pkg.CFAssociations {
		where := fmt.Sprintf("CFAssociations[%d]", i)
		o, dst := resolve(a.OriginNodeURI), resolve(a.DestinationNodeURI)
		_, oIn := items[o]
		_, dIn := items[dst]
		switch a.AssociationType {
		case "isChildOf":
			if !oIn {
				p.add(0, where+".originNodeURI", o, "isChildOf from a node that is not an item of the package")
				continue
			}
			if prev, dup := parent[o]; dup && prev != dst {
				p.add(0, where+".originNodeURI", o, "the item has more than one parent (%s and %s): ESD needs a tree", prev, dst)
				continue
			}
			if dst == d.Identifier {
				parent[o] = ""
			} else {
				parent[o] = dst
				if !dIn {
					p.add(0, where+".destinationNodeURI", dst, "orphan: the parent of item %s is neither an item of the package nor the document", o)
				}
			}
			if a.SequenceNumber != nil {
				seq[o] = *a.SequenceNumber
			}
		case "exactMatchOf", "isRelatedTo", "isPartOf":
			rel := map[string]string{"exactMatchOf": RelExact, "isRelatedTo": RelRelated, "isPartOf": RelBroader}[a.AssociationType]
			line, ext := o, a.DestinationNodeURI
			if !oIn && dIn {
				line, ext = dst, a.OriginNodeURI
				if a.AssociationType == "isPartOf" {
					rel = RelNarrower
				}
			} else if !oIn || dIn {
				continue // both inside (not a crosswalk) or both outside the package: ignored
			}
			scheme, code := "case", ext.URI
			if code == "" {
				code = ext.Identifier
			}
			if rest, ok := strings.CutPrefix(ext.URI, caseCrosswalkURI); ok {
				if s, c, ok := strings.Cut(rest, ":"); ok {
					scheme, code = s, c
				}
			}
			cws = append(cws, cw{line, DocCrosswalk{Scheme: scheme, Code: code, Label: ext.Title, Relation: rel}})
		default:
			skipped[a.AssociationType]++
			if len(skippedAt[a.AssociationType]) < 5 {
				skippedAt[a.AssociationType] = append(skippedAt[a.AssociationType], where+" ("+a.Identifier+")")
			}
		}
	}
	kinds := make([]string, 0, len(skipped))
	for k := range skipped {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		notes = append(notes, fmt.Sprintf("skipped: %d association(s) of type %q, not modelled by ESD, at %s", skipped[k], k, strings.Join(skippedAt[k], ", ")))
	}
	var nodes []rawNode
	byID := map[string]*rawNode{}
	for i, it := range pkg.CFItems {
		if j, ok := items[it.Identifier]; !ok || j != i {
			continue
		}
		where := fmt.Sprintf("CFItems[%d]", i)
		par, has := parent[it.Identifier]
		if !has {
			p.add(0, where, it.Identifier, "orphan: the item has no isChildOf association (to the document or to another item)")
			continue
		}
		title, desc := strings.TrimSpace(it.AbbreviatedStatement), strings.TrimSpace(it.FullStatement)
		if title == "" {
			title, desc = desc, ""
		} else if desc == title {
			desc = ""
		}
		code := strings.TrimSpace(it.HumanCodingScheme)
		if code == "" || !validCode(code) {
			code = it.Identifier
		}
		s := i
		if v, ok := seq[it.Identifier]; ok {
			s = v
		}
		nodes = append(nodes, rawNode{Ref: it.Identifier, Code: code, Parent: par, Where: where, Seq: s,
			DocItem: DocItem{Code: code, SourceRef: it.Identifier, TitleIT: title, TitleEN: strings.TrimSpace(it.AlternativeLabel),
				DescriptionIT: desc, DescriptionEN: strings.TrimSpace(it.Notes)}})
	}
	for i := range nodes {
		byID[nodes[i].Ref] = &nodes[i]
	}
	for _, c := range cws {
		if n := byID[c.item]; n != nil {
			n.Crosswalks = append(n.Crosswalks, c.c)
		}
	}
	// Scale and level descriptors from the rubrics.
	var lineCrit []struct {
		where string
		crit  caseCriterion
	}
	for ri, r := range pkg.CFRubrics {
		for ci, c := range r.CFRubricCriteria {
			where := fmt.Sprintf("CFRubrics[%d].CFRubricCriteria[%d]", ri, ci)
			if c.Category == caseScaleCategory {
				if doc.Scale != nil {
					p.add(0, where, c.Identifier, "a second scale criterion")
					continue
				}
				lv := append([]caseCriterionLevel(nil), c.CFRubricCriterionLevels...)
				sort.SliceStable(lv, func(i, j int) bool { return score(lv[i]) < score(lv[j]) })
				for li, l := range lv {
					n, ok := intScore(l)
					if !ok {
						p.add(0, fmt.Sprintf("%s.CFRubricCriterionLevels[%d].score", where, li), l.Identifier, "a scale level needs a whole-number score")
						continue
					}
					labelEN, descEN, _ := strings.Cut(l.Feedback, "\n")
					doc.Scale = append(doc.Scale, DocLevel{Level: n, Code: slug(l.Quality), LabelIT: strings.TrimSpace(l.Quality),
						LabelEN: labelEN, DescriptorIT: l.Description, DescriptorEN: descEN})
				}
				continue
			}
			if c.CFItemURI != nil {
				lineCrit = append(lineCrit, struct {
					where string
					crit  caseCriterion
				}{where, c})
			}
		}
	}
	if doc.Scale == nil {
		doc.Scale = defaultScale()
		notes = append(notes, "the package has no esd:scale rubric criterion: the default ESD four-level scale was applied")
	}
	onScale := map[int]bool{}
	for _, l := range doc.Scale {
		onScale[l.Level] = true
	}
	for _, lc := range lineCrit {
		n := byID[lc.crit.CFItemURI.Identifier]
		if n == nil {
			p.add(0, lc.where+".CFItemURI", lc.crit.CFItemURI.Identifier, "the criterion points at an item that is not in the package")
			continue
		}
		for li, l := range lc.crit.CFRubricCriterionLevels {
			lvl, ok := intScore(l)
			if !ok || !onScale[lvl] {
				p.add(0, fmt.Sprintf("%s.CFRubricCriterionLevels[%d].score", lc.where, li), fmt.Sprint(score(l)),
					"unknown level for item %s: not on the scale", n.Code)
				continue
			}
			n.Levels = append(n.Levels, DocLineLevel{Level: lvl, IT: l.Description, EN: l.Feedback})
		}
		sort.SliceStable(n.Levels, func(i, j int) bool { return n.Levels[i].Level < n.Levels[j].Level })
	}
	dims, more := mapHierarchy(nodes, &p)
	doc.Dimensions = dims
	return doc, append(notes, more...), p
}

func score(l caseCriterionLevel) float64 {
	if l.Score == nil {
		return math.NaN()
	}
	return *l.Score
}

func intScore(l caseCriterionLevel) (int, bool) {
	s := score(l)
	if math.IsNaN(s) || s != math.Trunc(s) || s < 1 || s > maxScaleLevel {
		return 0, false
	}
	return int(s), true
}

// caseCode is the framework code of a CASE document without an esd:code note: "CASE-"
// and the first eight characters of its identifier.
func caseCode(id string) string {
	c := strings.ToUpper(strings.ReplaceAll(id, "-", ""))
	if len(c) > 8 {
		c = c[:8]
	}
	return "CASE-" + c
}

// CaseItemURI is the URI our CASE export gives an item (urn:uuid:…): the identifier it was
// imported with when that is a UUID, else the stable name-based one. Open Badges align
// achievements to it, so a badge points at the same CFItem as the exported framework.
func CaseItemURI(frameworkCode, itemCode, sourceRef string) string {
	if isUUID(sourceRef) {
		return urn(strings.ToLower(sourceRef))
	}
	return urn(uuid5("item:" + frameworkCode + ":" + itemCode))
}
