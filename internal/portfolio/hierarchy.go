package portfolio

import (
	"crypto/sha1"
	"fmt"
	"sort"
	"strings"

	"esd/internal/textnorm"
)

// rawNode is one node of an imported hierarchy of any depth, before it is mapped onto
// dimension → ambito → line.
type rawNode struct {
	Ref    string // the node's identifier in the file (Moodle ID number, CASE identifier)
	Code   string // the stable code it gets (Moodle ID number, CASE humanCodingScheme)
	Parent string // Ref of the parent; "" for a top-level node
	Line   int    // row in the file (CSV), 0 when the format has none
	Where  string // how a problem names the node's place: "CFItems[4]"
	Seq    int    // order among siblings
	DocItem
}

func (n rawNode) field(f string) string {
	if n.Where != "" {
		return n.Where + "." + f
	}
	return f
}

// mapHierarchy maps a forest of any depth onto dimension → ambito → line, by this rule
// (documented in the README and ARCHITECTURE):
//
//  1. every top-level node becomes a dimension;
//  2. every child of a dimension that has children becomes an ambito;
//  3. every leaf under an ambito, at any depth, becomes a line of that ambito; the levels in
//     between are flattened away and their titles are kept, joined by " › ", at the start
//     of the line's Italian description ("Percorso: A › B. …");
//  4. a leaf directly under a dimension (a two-level framework) becomes a line of an ambito
//     created for it, coded <dimension code>.G, with the dimension's titles;
//  5. level descriptors and crosswalks found on nodes that do not become lines are dropped
//     and reported in the notes.
//
// Before mapping it reports duplicate identifiers and codes, parents that do not exist
// (orphans) and cycles, each with the node's row or identifier.
func mapHierarchy(nodes []rawNode, p *problems) (dims []DocItem, notes []string) {
	byRef := map[string]int{}
	codes := map[string]int{}
	for i, n := range nodes {
		if j, dup := byRef[n.Ref]; dup {
			p.add(n.Line, n.field("identifier"), n.Ref, "duplicate identifier: also used by %s", nodes[j].place())
			continue
		}
		byRef[n.Ref] = i
		if n.Code != "" {
			if j, dup := codes[n.Code]; dup {
				p.add(n.Line, n.field("code"), n.Code, "duplicate code: also used by %s", nodes[j].place())
			}
			codes[n.Code] = i
		}
	}
	for _, n := range nodes {
		if n.Parent != "" {
			if _, ok := byRef[n.Parent]; !ok {
				p.add(n.Line, n.field("parent"), n.Parent, "orphan: the parent %q of %s does not exist in the file", n.Parent, n.place())
			}
		}
	}
	// Cycles: follow parents from every node; a node met twice closes a cycle.
	reported := map[string]bool{}
	for _, n := range nodes {
		seen := map[string]bool{}
		path := []string{}
		for cur := n.Ref; cur != ""; {
			if seen[cur] {
				// the cycle is the part of the path from cur onwards
				start := 0
				for i, r := range path {
					if r == cur {
						start = i
					}
				}
				cyc := append(append([]string{}, path[start:]...), cur)
				key := cycleKey(cyc)
				if !reported[key] {
					reported[key] = true
					m := nodes[byRef[cur]]
					p.add(m.Line, m.field("parent"), strings.Join(cyc, " → "), "cycle in the hierarchy: following each node to its parent leads back to the start")
				}
				break
			}
			seen[cur] = true
			path = append(path, cur)
			i, ok := byRef[cur]
			if !ok {
				break
			}
			cur = nodes[i].Parent
		}
	}
	if len(*p) > 0 {
		return nil, nil
	}
	children := map[string][]rawNode{}
	for _, n := range nodes {
		children[n.Parent] = append(children[n.Parent], n)
	}
	for k := range children {
		c := children[k]
		sort.SliceStable(c, func(i, j int) bool { return c[i].Seq < c[j].Seq })
	}
	dropped := 0
	drop := func(n rawNode) {
		dropped += len(n.Levels) + len(n.Crosswalks)
	}
	strip := func(n rawNode) DocItem {
		d := n.DocItem
		d.Levels, d.Crosswalks, d.Areas, d.Lines = nil, nil, nil, nil
		return d
	}
	var collect func(n rawNode, path []string, out *[]DocItem)
	collect = func(n rawNode, path []string, out *[]DocItem) {
		kids := children[n.Ref]
		if len(kids) == 0 {
			l := n.DocItem
			l.Areas, l.Lines = nil, nil
			if len(path) > 0 {
				pre := "Percorso: " + strings.Join(path, " › ") + "."
				if l.DescriptionIT != "" {
					l.DescriptionIT = pre + " " + l.DescriptionIT
				} else {
					l.DescriptionIT = pre
				}
			}
			*out = append(*out, l)
			return
		}
		drop(n)
		for _, k := range kids {
			collect(k, append(append([]string{}, path...), n.TitleIT), out)
		}
	}
	generated := 0
	for _, root := range children[""] {
		drop(root)
		dim := strip(root)
		general := -1 // index in dim.Areas of the ambito created for direct leaves
		for _, c := range children[root.Ref] {
			if len(children[c.Ref]) == 0 {
				if general < 0 {
					code := root.Code + ".G"
					for i := 2; ; i++ {
						if _, used := codes[code]; !used {
							break
						}
						code = fmt.Sprintf("%s.G%d", root.Code, i)
					}
					codes[code] = -1
					dim.Areas = append(dim.Areas, DocItem{Code: code, TitleIT: root.TitleIT, TitleEN: root.TitleEN,
						DescriptionIT: "Ambito creato all'importazione: raccoglie le voci che nel file stavano direttamente sotto la dimensione.",
						DescriptionEN: "Ambito created on import: it holds the entries placed directly under the dimension in the file."})
					general = len(dim.Areas) - 1
					generated++
				}
				l := c.DocItem
				l.Areas, l.Lines = nil, nil
				dim.Areas[general].Lines = append(dim.Areas[general].Lines, l)
				continue
			}
			drop(c)
			area := strip(c)
			for _, k := range children[c.Ref] {
				collect(k, nil, &area.Lines)
			}
			dim.Areas = append(dim.Areas, area)
		}
		dims = append(dims, dim)
	}
	if generated > 0 {
		notes = append(notes, fmt.Sprintf("%d ambiti were created for entries placed directly under a dimension (code <dimension>.G)", generated))
	}
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("%d level descriptors or crosswalks on dimensions, ambiti or flattened levels were dropped: only lines carry them", dropped))
	}
	return dims, notes
}

func (n rawNode) place() string {
	switch {
	case n.Line > 0:
		return fmt.Sprintf("row %d (%s)", n.Line, n.Ref)
	case n.Where != "":
		return fmt.Sprintf("%s (%s)", n.Where, n.Ref)
	}
	return n.Ref
}

func cycleKey(c []string) string {
	s := append([]string{}, c[:len(c)-1]...)
	sort.Strings(s)
	return strings.Join(s, "\x00")
}

// defaultScale is the ESD four-level scale, used when an imported framework has none.
func defaultScale() []DocLevel {
	return []DocLevel{
		{1, "base", "Base", "Basic",
			"Svolge compiti semplici e ricorrenti con indicazioni o supervisione, applicando le regole essenziali.",
			"Carries out simple, routine tasks with guidance or supervision, applying the essential rules."},
		{2, "intermedio", "Intermedio", "Intermediate",
			"Svolge in autonomia compiti ben definiti e risolve i problemi abituali del proprio contesto di lavoro.",
			"Carries out well-defined tasks autonomously and solves the usual problems of their own work setting."},
		{3, "avanzato", "Avanzato", "Advanced",
			"Affronta compiti complessi e situazioni nuove, adatta le soluzioni al contesto e guida i colleghi quando serve.",
			"Handles complex tasks and new situations, adapts solutions to the context and guides colleagues when needed."},
		{4, "specialistico", "Specialistico", "Specialist",
			"Risolve problemi altamente complessi o specialistici, crea soluzioni nuove e guida l'organizzazione e altri professionisti.",
			"Solves highly complex or specialised problems, creates new solutions and leads the organisation and other professionals."},
	}
}

// slug makes a level code from a label: "Avanzato" → "avanzato", "Non ancora" → "non-ancora".
func slug(s string) string {
	f := strings.Fields(textnorm.Fold(s))
	return strings.Join(f, "-")
}

// uuid5 returns the name-based (SHA-1) UUID of name in the ESD namespace, so identifiers in
// exports are stable: the same code always gives the same identifier.
func uuid5(name string) string {
	ns := []byte{0x6f, 0x1e, 0x2a, 0x44, 0x8b, 0x3c, 0x5d, 0x11, 0x9a, 0x7e, 0x0c, 0x4f, 0x2d, 0x1b, 0x5e, 0x61}
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(name))
	b := h.Sum(nil)[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
	}
	return true
}
