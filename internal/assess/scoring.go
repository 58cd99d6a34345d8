package assess

import (
	"fmt"
	"math"
)

// The scoring rule of a line (documented in ARCHITECTURE.md):
//
//  1. The professional rates themselves: the level of the statement they chose (0 = not yet).
//  2. Knowledge questions moderate the rating downwards only: a wrong answer to a question of
//     level L shows the professional is not yet at L, so the line's level is at most L−1. The
//     lowest wrongly answered level counts. Right answers confirm the rating; they never raise
//     it above what the professional claimed (a right answer above it is pointed out instead).
//  3. Lines without knowledge questions keep the self-rating.
//
// So level = min(self, lowest wrong level − 1). The inputs are stored with the result, so the
// explanation can always be rebuilt and the level recomputed.

// KnowledgeAnswer is one answered knowledge question of a line.
type KnowledgeAnswer struct {
	Level   int
	Correct bool
}

// LineScore is the scored level of one line with the inputs of the rule.
type LineScore struct {
	LineID      int64  `json:"line_id"`
	LineCode    string `json:"line"`
	Self        int    `json:"self_level"`
	FromArea    bool   `json:"self_from_area,omitempty"` // the self-rating is the ambito's overall one
	Asked       int    `json:"knowledge_asked"`
	Correct     int    `json:"knowledge_correct"`
	MaxCorrect  int    `json:"max_correct_level,omitempty"` // highest level answered right (0 none)
	MinWrong    int    `json:"min_wrong_level,omitempty"`   // lowest level answered wrong (0 none)
	Level       int    `json:"level"`
	Previous    *int   `json:"previous_level,omitempty"` // the level of the previous assessment
	Explanation string `json:"explanation,omitempty"`
}

// evidenceSource is the ledger source of a scored line: a knowledge test when knowledge
// questions moderated it, else the self-rating.
func (s LineScore) evidenceSource() string {
	if s.Asked > 0 {
		return SourceKnowledge
	}
	return SourceSelf
}

// ScoreLine applies the rule to one line.
func ScoreLine(self int, answers []KnowledgeAnswer) LineScore {
	s := LineScore{Self: self, Level: self}
	for _, a := range answers {
		s.Asked++
		if a.Correct {
			s.Correct++
			if a.Level > s.MaxCorrect {
				s.MaxCorrect = a.Level
			}
		} else if s.MinWrong == 0 || a.Level < s.MinWrong {
			s.MinWrong = a.Level
		}
	}
	if s.MinWrong > 0 && s.MinWrong-1 < s.Level {
		s.Level = s.MinWrong - 1
	}
	return s
}

// Explain says in words why a line got its level, in lang ("it" or "en").
func (s LineScore) Explain(f *Framework, lang string) string {
	lbl := func(l int) string { return fmt.Sprintf("%d – %s", l, f.LevelLabel(l, lang)) }
	var out string
	en := lang == "en"
	area := ""
	if s.FromArea {
		if l := f.Line(s.LineID); l != nil && l.Area() != nil {
			area = l.Area().Title(lang)
		}
	}
	switch {
	case s.FromArea && s.Self == 0:
		out = pick(en, "Livello 0 – %s perché hai indicato di non avere ancora esperienza nell'ambito «%s».",
			"Level 0 – %s because you said you have no experience yet in the area “%s”.", f.LevelLabel(0, lang), area)
	case s.FromArea && s.Asked == 0:
		out = pick(en, "Livello %s perché è il livello che ti sei attribuito per l'intero ambito «%s»; per questa linea non c'erano domande specifiche.",
			"Level %s because it is the level you gave yourself for the whole area “%s”; this line had no questions of its own.", lbl(s.Level), area)
	case s.FromArea && s.Level < s.Self:
		out = pick(en, "Livello %s e non %s come ti eri attribuito per l'ambito «%s», perché hai sbagliato la domanda di conoscenza di livello %s: una risposta errata limita il livello a quello inferiore.",
			"Level %s rather than the %s you gave yourself for the area “%s”, because you got the level-%s knowledge question wrong: a wrong answer caps the level just below it.",
			lbl(s.Level), lbl(s.Self), area, fmt.Sprint(s.MinWrong))
	case s.FromArea:
		out = pick(en, "Livello %s perché è il livello che ti sei attribuito per l'ambito «%s», confermato dalle domande di conoscenza (%d giuste su %d).",
			"Level %s because it is the level you gave yourself for the area “%s”, confirmed by the knowledge questions (%d right of %d).", lbl(s.Level), area, s.Correct, s.Asked)
	case s.Self == 0:
		out = pick(en, "Livello 0 – %s perché hai indicato di non avere ancora esperienza su questa linea.",
			"Level 0 – %s because you said you have no experience of this line yet.", f.LevelLabel(0, lang))
	case s.Asked == 0:
		out = pick(en, "Livello %s perché è il livello che ti sei attribuito; per questa linea non ci sono domande di conoscenza.",
			"Level %s because it is the level you gave yourself; this line has no knowledge questions.", lbl(s.Level))
	case s.Level < s.Self:
		out = pick(en, "Livello %s e non %s come ti eri attribuito, perché hai sbagliato la domanda di conoscenza di livello %s: una risposta errata limita il livello a quello inferiore.",
			"Level %s rather than the %s you gave yourself, because you got the level-%s knowledge question wrong: a wrong answer caps the level just below it.",
			lbl(s.Level), lbl(s.Self), fmt.Sprint(s.MinWrong))
	case s.Correct == s.Asked:
		out = pick(en, "Livello %s perché è il livello che ti sei attribuito ed è confermato dalle tue risposte corrette (%d su %d).",
			"Level %s because it is the level you gave yourself, confirmed by your right answers (%d of %d).", lbl(s.Level), s.Correct, s.Asked)
	default:
		out = pick(en, "Livello %s perché è il livello che ti sei attribuito; le risposte errate (%d su %d) riguardavano livelli superiori e non lo limitano.",
			"Level %s because it is the level you gave yourself; the wrong answers (%d of %d) were about higher levels and do not cap it.",
			lbl(s.Level), s.Asked-s.Correct, s.Asked)
	}
	if s.MaxCorrect > s.Self {
		out += " " + pick(en, "Hai risposto bene a una domanda di livello %d: alla prossima autovalutazione potresti attribuirti un livello più alto.",
			"You answered a level-%d question right: next time you might rate yourself higher.", s.MaxCorrect)
	}
	return out
}

func pick(en bool, it, eng string, args ...any) string {
	if en {
		return fmt.Sprintf(eng, args...)
	}
	return fmt.Sprintf(it, args...)
}

// Rollup is a mean over the lines of an ambito or a dimension.
type Rollup struct {
	ID       int64    `json:"id"`
	Code     string   `json:"code"`
	Title    string   `json:"title"`
	Lines    int      `json:"lines"`
	Mean     float64  `json:"mean_level"`
	Previous *float64 `json:"previous_mean,omitempty"`
}

// HasPrev reports whether there is a previous value (templates cannot follow pointers).
func (r Rollup) HasPrev() bool { return r.Previous != nil }

// Prev is the previous value, 0 if none.
func (r Rollup) Prev() float64 {
	if r.Previous == nil {
		return 0
	}
	return *r.Previous
}

// rollup averages line values per ambito and per dimension, in tree order.
func rollup(f *Framework, lang string, values map[int64]float64, previous map[int64]float64) (areas, dims []Rollup) {
	type acc struct {
		sum, prev float64
		n, np     int
	}
	as, ds := map[int64]*acc{}, map[int64]*acc{}
	add := func(m map[int64]*acc, id int64, v float64, p float64, hasP bool) {
		a := m[id]
		if a == nil {
			a = &acc{}
			m[id] = a
		}
		a.sum += v
		a.n++
		if hasP {
			a.prev += p
			a.np++
		}
	}
	for _, l := range f.Lines {
		v, ok := values[l.ID]
		if !ok {
			continue
		}
		p, hasP := previous[l.ID]
		if a := l.Area(); a != nil {
			add(as, a.ID, v, p, hasP)
		}
		if d := l.Dimension(); d != nil {
			add(ds, d.ID, v, p, hasP)
		}
	}
	mk := func(n *Node, a *acc) Rollup {
		r := Rollup{ID: n.ID, Code: n.Code, Title: n.Title(lang), Lines: a.n, Mean: round1(a.sum / float64(a.n))}
		if a.np > 0 {
			v := round1(a.prev / float64(a.np))
			r.Previous = &v
		}
		return r
	}
	for _, n := range f.Areas {
		if a := as[n.ID]; a != nil {
			areas = append(areas, mk(n, a))
		}
	}
	for _, n := range f.Dimensions {
		if a := ds[n.ID]; a != nil {
			dims = append(dims, mk(n, a))
		}
	}
	return areas, dims
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
