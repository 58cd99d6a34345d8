package portfolio

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The columns of Moodle's competency framework import/export (admin tool lpimportcsv),
// with the header Moodle writes (lang/en/tool_lpimportcsv.php).
var moodleHeader = []string{
	"Parent ID number", "ID number", "Short name", "Description", "Description format", "Scale values",
	"Scale configuration", "Rule type (optional)", "Rule outcome (optional)", "Rule config (optional)",
	"Cross-referenced competency ID numbers", "Exported ID (optional)", "Is framework", "Taxonomy",
}

const (
	mParent = iota
	mID
	mShort
	mDesc
	mDescFormat
	mScaleValues
	mScaleConfig
	mRuleType
	mRuleOutcome
	mRuleConfig
	mRelated
	mExportID
	mIsFramework
	mTaxonomy
	mColumns
)

// moodleColumn maps a header, normalised, to its column; older Moodle versions and other
// tools spell some headers differently ("Id number", "Shortname", "Cross referenced…").
func moodleColumn(h string) int {
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, strings.ToLower(strings.ReplaceAll(h, "(optional)", "")))
	switch n {
	case "parentidnumber":
		return mParent
	case "idnumber":
		return mID
	case "shortname":
		return mShort
	case "description":
		return mDesc
	case "descriptionformat":
		return mDescFormat
	case "scalevalues":
		return mScaleValues
	case "scaleconfiguration":
		return mScaleConfig
	case "ruletype":
		return mRuleType
	case "ruleoutcome":
		return mRuleOutcome
	case "ruleconfig":
		return mRuleConfig
	case "crossreferencedcompetencyidnumbers", "relatedidnumbers":
		return mRelated
	case "exportedid", "exportid":
		return mExportID
	case "isframework":
		return mIsFramework
	case "taxonomy", "taxonomies":
		return mTaxonomy
	}
	return -1
}

const moodleTaxonomy = "domain,domain,competency"

// encodeMoodle writes a document as a Moodle competency framework CSV: a framework row,
// then one row per dimension, ambito and line (parents first). Moodle has one text per
// competency, so English titles, level descriptors and crosswalks go into the HTML
// description with esd-* classes, which Moodle shows as they are and decodeMoodle reads
// back.
func encodeMoodle(doc Document) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\xef\xbb\xbf") // Moodle's own exports carry a BOM; spreadsheets need it for UTF-8
	w := csv.NewWriter(&buf)
	if err := w.Write(moodleHeader); err != nil {
		return nil, err
	}
	f := doc.Framework
	labels := make([]string, len(doc.Scale))
	config := []map[string]any{{"scaleid": "0"}}
	for i, l := range doc.Scale {
		labels[i] = strings.ReplaceAll(l.LabelIT, ",", " ")
		def := 0
		if i == 0 {
			def = 1
		}
		config = append(config, map[string]any{"id": l.Level, "scaledefault": def, "proficient": 1})
	}
	cfg, _ := json.Marshal(config)
	var d strings.Builder
	fmt.Fprintf(&d, `<p class="esd-framework"><span class="esd-code">%s</span> <span class="esd-version">%s</span></p>`,
		esc(f.Code), esc(f.Version))
	if f.Illustrative {
		d.WriteString(`<p class="esd-illustrative">Contenuto illustrativo / Illustrative content</p>`)
	}
	writeTexts(&d, f.DescriptionIT, f.TitleEN, f.DescriptionEN)
	d.WriteString(`<ol class="esd-scale">`)
	for _, l := range doc.Scale {
		fmt.Fprintf(&d, `<li value="%d"><strong>%s</strong> (<span class="esd-label-en">%s</span>): <span class="esd-it">%s</span>`,
			l.Level, esc(l.LabelIT), esc(l.LabelEN), esc(l.DescriptorIT))
		if l.DescriptorEN != "" {
			fmt.Fprintf(&d, `<br><span class="esd-en" lang="en">%s</span>`, esc(l.DescriptorEN))
		}
		d.WriteString(`</li>`)
	}
	d.WriteString(`</ol>`)
	if err := w.Write([]string{"", f.Code + "-" + f.Version, f.TitleIT, d.String(), "1", strings.Join(labels, ","), string(cfg),
		"", "", "", "", "", "1", moodleTaxonomy}); err != nil {
		return nil, err
	}
	n := 0
	row := func(parent string, it DocItem) error {
		n++
		return w.Write([]string{parent, it.Code, it.TitleIT, itemHTML(it, doc.Scale), "1", "", "", "", "0", "null", "",
			strconv.Itoa(n), "", ""})
	}
	for _, dim := range doc.Dimensions {
		if err := row("", dim); err != nil {
			return nil, err
		}
		for _, a := range dim.Areas {
			if err := row(dim.Code, a); err != nil {
				return nil, err
			}
			for _, l := range a.Lines {
				if err := row(a.Code, l); err != nil {
					return nil, err
				}
			}
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func esc(s string) string { return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") }

func writeTexts(b *strings.Builder, descIT, titleEN, descEN string) {
	if descIT != "" {
		fmt.Fprintf(b, `<p class="esd-desc">%s</p>`, esc(descIT))
	}
	if titleEN != "" {
		fmt.Fprintf(b, `<p class="esd-title-en" lang="en"><strong>%s</strong></p>`, esc(titleEN))
	}
	if descEN != "" {
		fmt.Fprintf(b, `<p class="esd-desc-en" lang="en">%s</p>`, esc(descEN))
	}
}

func itemHTML(it DocItem, scale []DocLevel) string {
	var b strings.Builder
	writeTexts(&b, it.DescriptionIT, it.TitleEN, it.DescriptionEN)
	if len(it.Levels) > 0 {
		b.WriteString(`<ol class="esd-levels">`)
		for _, l := range it.Levels {
			label := ""
			for _, s := range scale {
				if s.Level == l.Level {
					label = s.LabelIT
				}
			}
			fmt.Fprintf(&b, `<li value="%d"><strong>%s</strong>: <span class="esd-it">%s</span>`, l.Level, esc(label), esc(l.IT))
			if l.EN != "" {
				fmt.Fprintf(&b, `<br><span class="esd-en" lang="en">%s</span>`, esc(l.EN))
			}
			b.WriteString(`</li>`)
		}
		b.WriteString(`</ol>`)
	}
	if len(it.Crosswalks) > 0 {
		b.WriteString(`<ul class="esd-crosswalks">`)
		for _, c := range it.Crosswalks {
			fmt.Fprintf(&b, `<li><code>%s:%s</code> %s — %s</li>`, esc(c.Scheme), esc(c.Code), c.Relation, esc(c.Label))
		}
		b.WriteString(`</ul>`)
	}
	return b.String()
}

var (
	reTag        = regexp.MustCompile(`(?s)<[^>]*>`)
	reBr         = regexp.MustCompile(`(?i)<br\s*/?>`)
	reBlockEnd   = regexp.MustCompile(`(?i)</(p|div|li|h[1-6])>`)
	reESDCode    = regexp.MustCompile(`<span class="esd-code">([^<]*)</span>`)
	reESDVersion = regexp.MustCompile(`<span class="esd-version">([^<]*)</span>`)
	reLevelLi    = regexp.MustCompile(`(?s)<li value="(\d+)"><strong>([^<]*)</strong>(?: \(<span class="esd-label-en">([^<]*)</span>\))?: <span class="esd-it">(.*?)</span>(?:<br><span class="esd-en" lang="en">(.*?)</span>)?</li>`)
	reCrossLi    = regexp.MustCompile(`(?s)<li><code>([^<:]*):([^<]*)</code> (\w+) — (.*?)</li>`)
)

// classBlocks are the esd-* blocks of a description, compiled once.
var classBlocks = func() map[string]*regexp.Regexp {
	m := map[string]*regexp.Regexp{}
	for _, c := range []string{"esd-desc", "esd-title-en", "esd-desc-en", "esd-levels", "esd-crosswalks", "esd-scale"} {
		m[c] = regexp.MustCompile(`(?s)<(p|ol|ul)[^>]*class="` + c + `"[^>]*>(.*?)</(?:p|ol|ul)>`)
	}
	return m
}()

func classBlock(h, class string) (string, bool) {
	if !strings.Contains(h, `"`+class+`"`) {
		return "", false
	}
	m := classBlocks[class].FindStringSubmatch(h)
	if m == nil {
		return "", false
	}
	return m[2], true
}

// plain turns HTML into text: line breaks kept, tags dropped, entities decoded.
func plain(h string) string {
	h = reBr.ReplaceAllString(h, "\n")
	h = reBlockEnd.ReplaceAllString(h, "\n")
	h = reTag.ReplaceAllString(h, "")
	h = html.UnescapeString(h)
	lines := strings.Split(h, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func unesc(s string) string { return html.UnescapeString(reBr.ReplaceAllString(s, "\n")) }

// readDescription reads a description written by encodeMoodle (esd-* classes); any other
// HTML or text becomes the Italian description as plain text.
func readDescription(desc, format string) (descIT, titleEN, descEN string, levels []DocLineLevel, cws []DocCrosswalk, esd bool) {
	if format != "1" && format != "" { // 0 Moodle auto-format, 2 plain text, 4 Markdown: keep as text
		return strings.TrimSpace(desc), "", "", nil, nil, false
	}
	if !strings.Contains(desc, `class="esd-`) {
		return plain(desc), "", "", nil, nil, false
	}
	if s, ok := classBlock(desc, "esd-desc"); ok {
		descIT = unesc(s)
	}
	if s, ok := classBlock(desc, "esd-title-en"); ok {
		titleEN = plain(s)
	}
	if s, ok := classBlock(desc, "esd-desc-en"); ok {
		descEN = unesc(s)
	}
	if s, ok := classBlock(desc, "esd-levels"); ok {
		for _, m := range reLevelLi.FindAllStringSubmatch(s, -1) {
			n, _ := strconv.Atoi(m[1])
			levels = append(levels, DocLineLevel{Level: n, IT: unesc(m[4]), EN: unesc(m[5])})
		}
	}
	if s, ok := classBlock(desc, "esd-crosswalks"); ok {
		for _, m := range reCrossLi.FindAllStringSubmatch(s, -1) {
			cws = append(cws, DocCrosswalk{Scheme: unesc(m[1]), Code: unesc(m[2]), Relation: m[3], Label: unesc(m[4])})
		}
	}
	return descIT, titleEN, descEN, levels, cws, true
}

// decodeMoodle reads a Moodle competency framework CSV (comma, semicolon or tab
// separated, with or without BOM, header in English or in the column order Moodle uses)
// into a document. Checks: header, exactly one framework row, scale values and scale
// configuration, missing ID numbers and short names, duplicate ID numbers, orphans,
// cycles, cross-references to unknown ID numbers, level descriptors outside the scale.
func decodeMoodle(data []byte) (Document, []string, problems) {
	var p problems
	var doc Document
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		p.add(0, "", "", "empty file")
		return doc, nil, p
	}
	if bad := firstInvalidUTF8(data); bad >= 0 {
		// A file saved as Windows-1252 (Excel's default) but read as UTF-8: refuse it with
		// the line, rather than storing mangled text.
		p.add(lineOf(data, int64(bad)), "", fmt.Sprintf("byte 0x%02X", data[bad]), "the file is not valid UTF-8 (saved as Windows-1252 or Latin-1?): save it as CSV UTF-8")
		return doc, nil, p
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	delim := ','
	if c := bytes.Count(first, []byte(";")); c > bytes.Count(first, []byte(",")) {
		delim = ';'
	}
	if c := bytes.Count(first, []byte("\t")); c > bytes.Count(first, []byte(string(delim))) {
		delim = '\t'
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delim
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		p.add(1, "", "", "unreadable CSV header: %v", err)
		return doc, nil, p
	}
	col := make([]int, mColumns)
	for i := range col {
		col[i] = -1
	}
	known := 0
	for i, h := range header {
		if c := moodleColumn(h); c >= 0 && col[c] < 0 {
			col[c] = i
			known++
		}
	}
	if known < 4 || col[mID] < 0 || col[mShort] < 0 {
		if len(header) == mColumns { // a translated Moodle header: Moodle itself maps by position
			for i := range col {
				col[i] = i
			}
		} else {
			p.add(1, "header", strings.Join(header, string(delim)),
				"not a Moodle competency framework CSV: expected the columns %s", strings.Join(moodleHeader, ", "))
			return doc, nil, p
		}
	}
	get := func(rec []string, c int) string {
		if col[c] < 0 || col[c] >= len(rec) {
			return ""
		}
		return rec[col[c]]
	}
	type row struct {
		line int
		rec  []string
	}
	var rows []row
	fwLine := 0
	var fw []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.add(pe.Line, "", "", "malformed CSV: %v", pe.Err)
			} else {
				p.add(line, "", "", "malformed CSV: %v", err)
			}
			return doc, nil, p
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if truthy(get(rec, mIsFramework)) {
			if fw != nil {
				p.add(line, moodleHeader[mIsFramework], get(rec, mID), "a second framework row (the first is at row %d): one framework per file", fwLine)
				continue
			}
			fw, fwLine = rec, line
			continue
		}
		rows = append(rows, row{line, rec})
	}
	if fw == nil {
		p.add(0, moodleHeader[mIsFramework], "", "no framework row (a row with \"Is framework\" = 1)")
		return doc, nil, p
	}
	// The framework and its scale.
	fdesc, ftitleEN, fdescEN, _, _, _ := readDescription(get(fw, mDesc), get(fw, mDescFormat))
	doc.Framework = DocFramework{Code: strings.TrimSpace(get(fw, mID)), TitleIT: strings.TrimSpace(get(fw, mShort)),
		TitleEN: ftitleEN, DescriptionIT: fdesc, DescriptionEN: fdescEN}
	if doc.Framework.TitleIT == "" {
		p.add(fwLine, moodleHeader[mShort], get(fw, mID), "missing framework name")
	}
	rawDesc := get(fw, mDesc)
	if m := reESDCode.FindStringSubmatch(rawDesc); m != nil {
		doc.Framework.Code = html.UnescapeString(m[1])
	}
	if m := reESDVersion.FindStringSubmatch(rawDesc); m != nil {
		doc.Framework.Version = html.UnescapeString(m[1])
	}
	doc.Framework.Illustrative = strings.Contains(rawDesc, `class="esd-illustrative"`)
	scaleValues := strings.TrimSpace(get(fw, mScaleValues))
	if scaleValues == "" {
		p.add(fwLine, moodleHeader[mScaleValues], "", "the framework has no scale values")
	}
	var labels []string
	for _, v := range strings.Split(scaleValues, ",") {
		if v = strings.TrimSpace(v); v != "" {
			labels = append(labels, v)
		}
	}
	checkScaleConfig(&p, fwLine, get(fw, mScaleConfig), len(labels))
	descs := map[int][3]string{}
	if s, ok := classBlock(rawDesc, "esd-scale"); ok {
		for _, m := range reLevelLi.FindAllStringSubmatch(s, -1) {
			n, _ := strconv.Atoi(m[1])
			descs[n] = [3]string{unesc(m[3]), unesc(m[4]), unesc(m[5])}
		}
	}
	for i, l := range labels {
		d := descs[i+1]
		doc.Scale = append(doc.Scale, DocLevel{Level: i + 1, Code: slug(l), LabelIT: l, LabelEN: d[0], DescriptorIT: d[1], DescriptorEN: d[2]})
	}
	// The competencies.
	ids := map[string]bool{}
	for _, rw := range rows {
		ids[strings.TrimSpace(get(rw.rec, mID))] = true
	}
	var nodes []rawNode
	for i, rw := range rows {
		id := strings.TrimSpace(get(rw.rec, mID))
		short := strings.TrimSpace(get(rw.rec, mShort))
		if id == "" {
			p.add(rw.line, moodleHeader[mID], short, "missing ID number")
			continue
		}
		if short == "" {
			p.add(rw.line, moodleHeader[mShort], id, "missing title (short name)")
		}
		if sv := strings.TrimSpace(get(rw.rec, mScaleValues)); sv != "" && sv != scaleValues {
			p.add(rw.line, moodleHeader[mScaleValues], sv,
				"unknown scale values: the framework uses %q; ESD keeps one scale per framework version", scaleValues)
		}
		if sc := strings.TrimSpace(get(rw.rec, mScaleConfig)); sc != "" {
			checkScaleConfig(&p, rw.line, sc, len(labels))
		}
		descIT, titleEN, descEN, levels, cws, _ := readDescription(get(rw.rec, mDesc), strings.TrimSpace(get(rw.rec, mDescFormat)))
		for _, l := range levels {
			if l.Level < 1 || l.Level > len(labels) {
				p.add(rw.line, moodleHeader[mDesc], strconv.Itoa(l.Level), "unknown level in the level descriptors of %s: the scale has %d levels", id, len(labels))
			}
		}
		for _, rel := range strings.Split(get(rw.rec, mRelated), ",") {
			rel = strings.ReplaceAll(strings.TrimSpace(rel), "%2C", ",")
			if rel == "" {
				continue
			}
			if !ids[rel] {
				p.add(rw.line, moodleHeader[mRelated], rel, "cross-reference to an ID number that is not in the file")
				continue
			}
			cws = append(cws, DocCrosswalk{Scheme: "moodle", Code: rel, Relation: RelRelated})
		}
		nodes = append(nodes, rawNode{Ref: id, Code: id, Parent: strings.TrimSpace(get(rw.rec, mParent)), Line: rw.line, Seq: i,
			DocItem: DocItem{Code: id, TitleIT: short, TitleEN: titleEN, DescriptionIT: descIT, DescriptionEN: descEN,
				Levels: levels, Crosswalks: cws}})
	}
	dims, notes := mapHierarchy(nodes, &p)
	doc.Dimensions = dims
	return doc, notes, p
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "y", "sì", "si":
		return true
	}
	return false
}

// checkScaleConfig checks Moodle's scale configuration: a JSON list whose first element
// names the scale and the others mark values (by 1-based id) as default or proficient.
func checkScaleConfig(p *problems, line int, cfg string, n int) {
	cfg = strings.TrimSpace(cfg)
	if cfg == "" {
		return
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(cfg), &items); err != nil {
		p.add(line, moodleHeader[mScaleConfig], cfg, "scale configuration is not valid JSON: %v", err)
		return
	}
	for i, it := range items {
		if i == 0 {
			continue // {"scaleid": "…"}: Moodle's own scale id, meaningless here
		}
		id, ok := it["id"].(float64)
		if !ok || id != float64(int(id)) || int(id) < 1 || int(id) > n {
			p.add(line, moodleHeader[mScaleConfig], fmt.Sprint(it["id"]), "unknown scale value: the scale has %d values", n)
		}
	}
}

// firstInvalidUTF8 returns the offset of the first byte that is not valid UTF-8, or -1.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
