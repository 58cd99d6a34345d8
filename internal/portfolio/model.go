// Package portfolio owns the national portfolio of digital competences (the Disegno phase):
// versioned competence frameworks (draft → published → retired), each with a proficiency
// scale and a tree Dimension → Ambito (area) → Linea (line) with stable codes, Italian and
// English texts, level descriptors per line and crosswalks to ECM objectives and DigComp
// 3.0; the illustrative default portfolio loaded at first start; import and export in our
// own JSON, Moodle's competency-framework CSV and 1EdTech CASE 1.0 packages; the
// difference between two versions; and the web pages and JSON API over all of it.
//
// Other capabilities (personas, assessment, catalogue) read the portfolio through the
// stable methods of Service: Current, Version, Versions, Tree, Lines, Scale, Item,
// ItemByCode and LineDetail. A published version never changes, so anything that refers to
// a line refers to a line of one version and stays valid.
package portfolio

import (
	"time"
)

// Version states. A draft is edited; publishing freezes it; retiring takes it out of use.
const (
	StateDraft     = "draft"
	StatePublished = "published"
	StateRetired   = "retired"
)

// Item kinds, the three levels of the tree.
const (
	KindDimension = "dimension" // Dimensione
	KindArea      = "area"      // Ambito
	KindLine      = "line"      // Linea formativa
)

// Crosswalk relations, read as "the target is … the line" (SKOS mapping relations):
// exact = the same concept; broader = the target is broader and the line fits inside it;
// narrower = the target is narrower than the line; related = associated, neither contains
// the other.
const (
	RelExact    = "exact"
	RelBroader  = "broader"
	RelNarrower = "narrower"
	RelRelated  = "related"
)

// Relations lists the crosswalk relations in display order.
var Relations = []string{RelExact, RelBroader, RelNarrower, RelRelated}

// Crosswalk schemes with a reference list in this package. Other schemes (e.g. "case" for
// an item of another CASE framework, "moodle" for a Moodle cross-reference) are accepted
// from imports with free codes.
const (
	SchemeECM     = "ecm"     // national ECM training objective, by Co.Ge.A.P.S. code ("17")
	SchemeDigComp = "digcomp" // DigComp 3.0 competence ("4.2") or area ("4")
)

// Version is one version of a competence framework.
type Version struct {
	ID            int64      `json:"id"`
	Code          string     `json:"code"`
	Version       string     `json:"version"`
	TitleIT       string     `json:"title_it"`
	TitleEN       string     `json:"title_en"`
	DescriptionIT string     `json:"description_it"`
	DescriptionEN string     `json:"description_en"`
	State         string     `json:"state"`
	Illustrative  bool       `json:"illustrative"`
	BasedOnID     int64      `json:"based_on_id,omitempty"`
	Source        string     `json:"source"`
	CreatedAt     time.Time  `json:"created_at"`
	PublishedAt   *time.Time `json:"published_at,omitempty"`
	RetiredAt     *time.Time `json:"retired_at,omitempty"`
	// Counts of the tree, filled by Versions and Version.
	Dimensions int `json:"dimensions"`
	Areas      int `json:"areas"`
	Lines      int `json:"lines"`
}

// Title returns the title in lang ("it" or "en"), falling back to Italian.
func (v Version) Title(lang string) string { return pick(lang, v.TitleIT, v.TitleEN) }

// Description returns the description in lang, falling back to Italian.
func (v Version) Description(lang string) string {
	return pick(lang, v.DescriptionIT, v.DescriptionEN)
}

// Editable reports whether the version may still be changed.
func (v Version) Editable() bool { return v.State == StateDraft }

// Label is "CODE version", e.g. "ESD-PORTFOLIO 0.1".
func (v Version) Label() string { return v.Code + " " + v.Version }

// Level is one level of a version's proficiency scale.
type Level struct {
	Level        int    `json:"level"`
	Code         string `json:"code"`
	LabelIT      string `json:"label_it"`
	LabelEN      string `json:"label_en"`
	DescriptorIT string `json:"descriptor_it"`
	DescriptorEN string `json:"descriptor_en"`
}

// Label returns the label in lang, falling back to Italian.
func (l Level) Label(lang string) string { return pick(lang, l.LabelIT, l.LabelEN) }

// Descriptor returns the descriptor in lang, falling back to Italian.
func (l Level) Descriptor(lang string) string { return pick(lang, l.DescriptorIT, l.DescriptorEN) }

// Scale is the ordered proficiency scale of a version (level 1 first).
type Scale []Level

// Has reports whether level is on the scale.
func (s Scale) Has(level int) bool {
	for _, l := range s {
		if l.Level == level {
			return true
		}
	}
	return false
}

// Min returns the lowest level (0 for an empty scale).
func (s Scale) Min() int {
	if len(s) == 0 {
		return 0
	}
	return s[0].Level
}

// Max returns the highest level (0 for an empty scale).
func (s Scale) Max() int {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].Level
}

// Get returns the level with number n.
func (s Scale) Get(n int) (Level, bool) {
	for _, l := range s {
		if l.Level == n {
			return l, true
		}
	}
	return Level{}, false
}

// Item is a node of the tree: a dimension, an ambito or a line.
type Item struct {
	ID            int64  `json:"id"`
	VersionID     int64  `json:"version_id"`
	Kind          string `json:"kind"`
	Code          string `json:"code"`
	ParentID      int64  `json:"parent_id,omitempty"`
	Position      int    `json:"position"`
	TitleIT       string `json:"title_it"`
	TitleEN       string `json:"title_en"`
	DescriptionIT string `json:"description_it"`
	DescriptionEN string `json:"description_en"`
	// SourceRef is the identifier the item had in the file it was imported from (a CASE
	// identifier), kept so an export gives it back.
	SourceRef string `json:"source_ref,omitempty"`
}

// Title returns the title in lang, falling back to Italian.
func (i Item) Title(lang string) string { return pick(lang, i.TitleIT, i.TitleEN) }

// Description returns the description in lang, falling back to Italian.
func (i Item) Description(lang string) string {
	return pick(lang, i.DescriptionIT, i.DescriptionEN)
}

// Line is a line with its ambito and dimension, as Lines returns it.
type Line struct {
	Item
	AreaID        int64  `json:"area_id"`
	AreaCode      string `json:"area_code"`
	DimensionID   int64  `json:"dimension_id"`
	DimensionCode string `json:"dimension_code"`
}

// LineLevel is what a line asks at one level of the scale.
type LineLevel struct {
	Level        int    `json:"level"`
	DescriptorIT string `json:"descriptor_it"`
	DescriptorEN string `json:"descriptor_en"`
}

// Descriptor returns the descriptor in lang, falling back to Italian.
func (l LineLevel) Descriptor(lang string) string {
	return pick(lang, l.DescriptorIT, l.DescriptorEN)
}

// Crosswalk maps a line to an external concept.
type Crosswalk struct {
	ID       int64  `json:"id"`
	Scheme   string `json:"scheme"`
	Code     string `json:"code"`
	Label    string `json:"label"`
	Relation string `json:"relation"`
}

// Tree is a whole version: its scale and its dimensions with their ambiti and lines.
type Tree struct {
	Version    Version         `json:"version"`
	Scale      Scale           `json:"scale"`
	Dimensions []TreeDimension `json:"dimensions"`
}

// TreeDimension is a dimension with its ambiti.
type TreeDimension struct {
	Item
	Areas []TreeArea `json:"ambiti"`
}

// TreeArea is an ambito with its lines.
type TreeArea struct {
	Item
	Lines []Item `json:"lines"`
}

// Lines returns every line of the tree in order.
func (t Tree) Lines() []Item {
	var out []Item
	for _, d := range t.Dimensions {
		for _, a := range d.Areas {
			out = append(out, a.Lines...)
		}
	}
	return out
}

// Counts returns the numbers of dimensions, ambiti and lines.
func (t Tree) Counts() (dims, areas, lines int) {
	for _, d := range t.Dimensions {
		dims++
		for _, a := range d.Areas {
			areas++
			lines += len(a.Lines)
		}
	}
	return
}

// ItemDetail is one item with its version, its place in the tree and, for a line, its
// level descriptors and crosswalks.
type ItemDetail struct {
	Item       Item        `json:"item"`
	Version    Version     `json:"version"`
	Path       []Item      `json:"path"` // ancestors, dimension first
	Children   []Item      `json:"children,omitempty"`
	Scale      Scale       `json:"scale"`
	Levels     []LineLevel `json:"levels,omitempty"`
	Crosswalks []Crosswalk `json:"crosswalks,omitempty"`
}

// LevelFor returns the line's descriptor at level n.
func (d ItemDetail) LevelFor(n int) (LineLevel, bool) {
	for _, l := range d.Levels {
		if l.Level == n {
			return l, true
		}
	}
	return LineLevel{}, false
}

func pick(lang, it, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return it
}
