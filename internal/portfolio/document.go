package portfolio

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"esd/internal/domain"
)

// DocumentFormat is the value of the "format" field of our own JSON.
const DocumentFormat = "esd-portfolio"

// Document is a whole framework version in our own JSON format, the one the default
// portfolio is written in and the one import and export use (see README "Portfolio import
// and export"). Moodle and CASE files are converted to and from a Document.
type Document struct {
	Format        string       `json:"format"`
	FormatVersion int          `json:"format_version"`
	Framework     DocFramework `json:"framework"`
	Scale         []DocLevel   `json:"scale"`
	Dimensions    []DocItem    `json:"dimensions"`
}

// DocFramework is the version's metadata.
type DocFramework struct {
	Code          string `json:"code"`
	Version       string `json:"version"`
	TitleIT       string `json:"title_it"`
	TitleEN       string `json:"title_en,omitempty"`
	DescriptionIT string `json:"description_it,omitempty"`
	DescriptionEN string `json:"description_en,omitempty"`
	Illustrative  bool   `json:"illustrative,omitempty"`
}

// DocLevel is one level of the scale.
type DocLevel struct {
	Level        int    `json:"level"`
	Code         string `json:"code"`
	LabelIT      string `json:"label_it"`
	LabelEN      string `json:"label_en,omitempty"`
	DescriptorIT string `json:"descriptor_it,omitempty"`
	DescriptorEN string `json:"descriptor_en,omitempty"`
}

// DocItem is a dimension (with Areas), an ambito (with Lines) or a line (with Levels and
// Crosswalks).
type DocItem struct {
	Code          string         `json:"code"`
	SourceRef     string         `json:"source_ref,omitempty"`
	TitleIT       string         `json:"title_it"`
	TitleEN       string         `json:"title_en,omitempty"`
	DescriptionIT string         `json:"description_it,omitempty"`
	DescriptionEN string         `json:"description_en,omitempty"`
	Areas         []DocItem      `json:"ambiti,omitempty"`
	Lines         []DocItem      `json:"lines,omitempty"`
	Levels        []DocLineLevel `json:"levels,omitempty"`
	Crosswalks    []DocCrosswalk `json:"crosswalks,omitempty"`
}

// DocLineLevel is a line's descriptor at one level.
type DocLineLevel struct {
	Level int    `json:"level"`
	IT    string `json:"it"`
	EN    string `json:"en,omitempty"`
}

// DocCrosswalk is one mapping of a line.
type DocCrosswalk struct {
	Scheme   string `json:"scheme"`
	Code     string `json:"code"`
	Label    string `json:"label,omitempty"`
	Relation string `json:"relation"`
}

// Counts returns the numbers of dimensions, ambiti and lines.
func (d *Document) Counts() (dims, areas, lines int) {
	for _, dim := range d.Dimensions {
		dims++
		for _, a := range dim.Areas {
			areas++
			lines += len(a.Lines)
		}
	}
	return
}

// Limits keep a hostile or broken file from filling the database.
const (
	maxItems      = 20000
	maxText       = 8000
	maxCodeLen    = 100
	maxScaleLevel = 10
)

// problems collects every problem of an input.
type problems []domain.Problem

func (p *problems) add(line int, field, value, format string, args ...any) {
	if len(*p) >= 500 {
		return // enough to fix the file; keep the report readable
	}
	*p = append(*p, domain.Problem{Line: line, Field: field, Value: value, Reason: fmt.Sprintf(format, args...)})
}

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("%s: %d problem(s), nothing was imported", what, len(p)), Details: p}
}

// Validate checks a document completely and returns every problem, with the JSON path of
// the field and the code of the item it concerns. Structure (three levels) is guaranteed
// by the type; what is checked here: required fields, the scale (levels 1..n, labels,
// codes), duplicate codes, level descriptors on the scale, crosswalk schemes, codes and
// relations, text lengths.
func (d *Document) Validate() error {
	var p problems
	d.validate(&p)
	return p.err("invalid portfolio")
}

func (d *Document) validate(p *problems) {
	f := d.Framework
	if strings.TrimSpace(f.Code) == "" {
		p.add(0, "framework.code", "", "missing framework code")
	} else if !validCode(f.Code) {
		p.add(0, "framework.code", f.Code, "a code has at most %d characters and no spaces or control characters", maxCodeLen)
	}
	if strings.TrimSpace(f.Version) == "" {
		p.add(0, "framework.version", "", "missing version label")
	} else if len(f.Version) > maxCodeLen {
		p.add(0, "framework.version", f.Version, "a version label has at most %d characters", maxCodeLen)
	}
	if strings.TrimSpace(f.TitleIT) == "" {
		p.add(0, "framework.title_it", "", "missing Italian title")
	}
	checkText(p, "framework", f.Code, f.TitleIT, f.TitleEN, f.DescriptionIT, f.DescriptionEN)
	validateScale(p, d.Scale)
	scale := map[int]bool{}
	for _, l := range d.Scale {
		scale[l.Level] = true
	}
	seen := map[string]string{}
	code := func(path, c string) {
		if strings.TrimSpace(c) == "" {
			p.add(0, path+".code", "", "missing code")
			return
		}
		if !validCode(c) {
			p.add(0, path+".code", c, "a code has at most %d characters and no spaces or control characters", maxCodeLen)
			return
		}
		if prev, dup := seen[c]; dup {
			p.add(0, path+".code", c, "duplicate code: already used at %s", prev)
			return
		}
		seen[c] = path
	}
	n := 0
	for i, dim := range d.Dimensions {
		path := fmt.Sprintf("dimensions[%d]", i)
		code(path, dim.Code)
		checkItem(p, path, dim)
		if len(dim.Lines) > 0 || len(dim.Levels) > 0 || len(dim.Crosswalks) > 0 {
			p.add(0, path, dim.Code, "a dimension holds ambiti only: lines, levels and crosswalks belong to lines")
		}
		n++
		for j, a := range dim.Areas {
			apath := fmt.Sprintf("%s.ambiti[%d]", path, j)
			code(apath, a.Code)
			checkItem(p, apath, a)
			if len(a.Areas) > 0 || len(a.Levels) > 0 || len(a.Crosswalks) > 0 {
				p.add(0, apath, a.Code, "an ambito holds lines only: levels and crosswalks belong to lines")
			}
			n++
			for k, l := range a.Lines {
				lpath := fmt.Sprintf("%s.lines[%d]", apath, k)
				code(lpath, l.Code)
				checkItem(p, lpath, l)
				if len(l.Areas) > 0 || len(l.Lines) > 0 {
					p.add(0, lpath, l.Code, "a line is a leaf: it cannot hold ambiti or lines")
				}
				n++
				lv := map[int]bool{}
				for m, ll := range l.Levels {
					fp := fmt.Sprintf("%s.levels[%d]", lpath, m)
					if !scale[ll.Level] {
						p.add(0, fp+".level", fmt.Sprint(ll.Level), "unknown level: not on the scale of this version (line %s)", l.Code)
					}
					if lv[ll.Level] {
						p.add(0, fp+".level", fmt.Sprint(ll.Level), "level given twice for line %s", l.Code)
					}
					lv[ll.Level] = true
					if strings.TrimSpace(ll.IT) == "" {
						p.add(0, fp+".it", l.Code, "missing Italian descriptor")
					}
					checkText(p, fp, l.Code, ll.IT, ll.EN)
				}
				cw := map[string]bool{}
				for m, c := range l.Crosswalks {
					fp := fmt.Sprintf("%s.crosswalks[%d]", lpath, m)
					if err := checkCrosswalk(c.Scheme, c.Code, c.Relation); err != nil {
						e := domain.AsError(err)
						p.add(0, fp+"."+e.Field, l.Code, "%s", e.Message)
					}
					k := c.Scheme + "\x00" + c.Code
					if cw[k] {
						p.add(0, fp, l.Code, "crosswalk to %s %s given twice", c.Scheme, c.Code)
					}
					cw[k] = true
					checkText(p, fp, l.Code, c.Label)
				}
			}
		}
	}
	if n > maxItems {
		p.add(0, "dimensions", fmt.Sprint(n), "too many items: at most %d", maxItems)
	}
}

func checkItem(p *problems, path string, it DocItem) {
	if strings.TrimSpace(it.TitleIT) == "" {
		p.add(0, path+".title_it", it.Code, "missing Italian title")
	}
	checkText(p, path, it.Code, it.TitleIT, it.TitleEN, it.DescriptionIT, it.DescriptionEN, it.SourceRef)
}

func checkText(p *problems, path, code string, texts ...string) {
	for _, t := range texts {
		if len(t) > maxText {
			p.add(0, path, code, "text longer than %d bytes", maxText)
			return
		}
		if !utf8.ValidString(t) {
			p.add(0, path, code, "text is not valid UTF-8")
			return
		}
	}
}

func validateScale(p *problems, s []DocLevel) {
	if len(s) < 2 {
		p.add(0, "scale", fmt.Sprint(len(s)), "a scale needs at least 2 levels")
	}
	if len(s) > maxScaleLevel {
		p.add(0, "scale", fmt.Sprint(len(s)), "a scale has at most %d levels", maxScaleLevel)
	}
	codes := map[string]bool{}
	for i, l := range s {
		path := fmt.Sprintf("scale[%d]", i)
		if l.Level != i+1 {
			p.add(0, path+".level", fmt.Sprint(l.Level), "levels must be numbered 1, 2, 3… in order; expected %d", i+1)
		}
		if strings.TrimSpace(l.LabelIT) == "" {
			p.add(0, path+".label_it", fmt.Sprint(l.Level), "missing Italian label")
		}
		if strings.TrimSpace(l.Code) == "" {
			p.add(0, path+".code", fmt.Sprint(l.Level), "missing level code")
		} else if codes[l.Code] {
			p.add(0, path+".code", l.Code, "duplicate level code")
		}
		codes[l.Code] = true
		checkText(p, path, l.Code, l.LabelIT, l.LabelEN, l.DescriptorIT, l.DescriptorEN)
	}
}

// validCode: codes are identifiers, stable across versions: no white space, no control
// characters, at most maxCodeLen bytes.
func validCode(c string) bool {
	if c == "" || len(c) > maxCodeLen || !utf8.ValidString(c) {
		return false
	}
	for _, r := range c {
		if r <= ' ' || r == 0x7f || r == 0x85 || r == 0xa0 {
			return false
		}
	}
	return true
}

// checkCrosswalk validates one crosswalk; the error's Field names the bad field.
func checkCrosswalk(scheme, code, relation string) error {
	if !validRelation(relation) {
		return domain.Invalid("relation", "unknown relation %q: use exact, broader, narrower or related", relation)
	}
	if strings.TrimSpace(scheme) == "" || !validCode(scheme) {
		return domain.Invalid("scheme", "missing or malformed scheme")
	}
	if strings.TrimSpace(code) == "" || len(code) > 300 {
		return domain.Invalid("code", "missing or too long target code")
	}
	switch scheme {
	case SchemeECM:
		if _, ok := ECMObjective(code); !ok {
			return domain.Invalid("code", "unknown ECM national objective %q", code)
		}
	case SchemeDigComp:
		if _, ok := DigCompEntry(code); !ok {
			return domain.Invalid("code", "unknown DigComp 3.0 competence or area %q", code)
		}
	}
	return nil
}

func validRelation(r string) bool {
	for _, x := range Relations {
		if x == r {
			return true
		}
	}
	return false
}
