package assess

import (
	"sort"
	"strings"

	"esd/internal/textnorm"
)

// areaTopics tells which default knowledge topics an ambito covers, from its code and titles:
// the FSE ambito ("fascicolo", "FSE") and the telemedicine ambiti ("telemedicina",
// "televisita", "telemonitoraggio", ...). The portfolio is data, so ambiti are found by what
// they say, not by a hard-coded code.
func areaTopics(a *Node) map[string]bool {
	text := " " + textnorm.Fold(a.Code+" "+a.TitleIT+" "+a.TitleEN) + " "
	t := map[string]bool{}
	for _, k := range []string{"telemedicin", "telesalute", "televisit", "telemonitor", "teleassist", "teleconsul", "telehealth", "telecare", "teleriabil"} {
		if strings.Contains(text, k) {
			t["tele"] = true
		}
	}
	for _, k := range []string{"fascicolo", " fse", "fse ", "electronic health record", "ecosistema dati"} {
		if strings.Contains(text, k) {
			t["fse"] = true
		}
	}
	return t
}

// KnowledgeAreas returns the ambiti of f that get default knowledge questions.
func KnowledgeAreas(f *Framework) []*Node {
	var out []*Node
	for _, a := range f.Areas {
		if len(areaTopics(a)) > 0 {
			out = append(out, a)
		}
	}
	return out
}

// DefaultKnowledgeItems places the default knowledge questions on the lines of the FSE and
// telemedicine ambiti of f: every such line gets at least two (three where the pool allows),
// chosen by how well the question's tags match the line's title, description and level
// descriptors. Each pool question is used once while unused ones remain.
func DefaultKnowledgeItems(f *Framework) []ItemInput {
	type lineTopics struct {
		line   *Node
		topics map[string]bool
		text   string
		title  string
	}
	var lines []lineTopics
	for _, a := range f.Areas {
		tp := areaTopics(a)
		if len(tp) == 0 {
			continue
		}
		for _, l := range f.Lines {
			if l.Area() != a {
				continue
			}
			var b strings.Builder
			b.WriteString(l.DescIT + " " + l.DescEN)
			for lv := 1; lv <= f.MaxLevel(); lv++ {
				b.WriteString(" " + l.LevelIT[lv])
			}
			lines = append(lines, lineTopics{line: l, topics: tp, text: " " + textnorm.Fold(b.String()) + " ",
				title: " " + textnorm.Fold(l.Code+" "+l.TitleIT+" "+l.TitleEN) + " "})
		}
	}
	if len(lines) == 0 {
		return nil
	}
	score := func(lt lineTopics, p poolItem) int {
		if !lt.topics[p.topic] {
			return -1
		}
		s := 0
		for _, tag := range p.tags {
			t := textnorm.Fold(tag)
			if strings.Contains(lt.title, t) {
				s += 3
			} else if strings.Contains(lt.text, t) {
				s++
			}
		}
		return s
	}
	used := map[int]bool{}
	assigned := make([][]int, len(lines))
	has := func(li, pi int) bool {
		for _, x := range assigned[li] {
			if x == pi {
				return true
			}
		}
		return false
	}
	type pair struct{ li, pi, s int }
	for round := 0; round < 3; round++ {
		var pairs []pair
		for li, lt := range lines {
			for pi, p := range knowledgePool {
				if used[pi] {
					continue
				}
				if s := score(lt, p); s > 0 || (s == 0 && round < 2) {
					pairs = append(pairs, pair{li, pi, s})
				}
			}
		}
		sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].s > pairs[j].s })
		got := map[int]bool{}
		for _, pr := range pairs {
			if got[pr.li] || used[pr.pi] {
				continue
			}
			got[pr.li], used[pr.pi] = true, true
			assigned[pr.li] = append(assigned[pr.li], pr.pi)
		}
		if round < 2 {
			// Lines the unused pool could not serve reuse the best question they lack.
			for li, lt := range lines {
				if got[li] {
					continue
				}
				best, bs := -1, -1
				for pi, p := range knowledgePool {
					if s := score(lt, p); s > bs && !has(li, pi) {
						best, bs = pi, s
					}
				}
				if best >= 0 {
					assigned[li] = append(assigned[li], best)
				}
			}
		}
	}
	var out []ItemInput
	for li, lt := range lines {
		sort.SliceStable(assigned[li], func(i, j int) bool {
			return knowledgePool[assigned[li][i]].level < knowledgePool[assigned[li][j]].level
		})
		for _, pi := range assigned[li] {
			p := knowledgePool[pi]
			in := ItemInput{Code: "K-" + lt.line.Code + "-" + p.key, LineCode: lt.line.Code, Kind: ItemKnowledge,
				Level: min(p.level, f.MaxLevel()), TextIT: p.q, TextEN: p.qEN, ExplanationIT: p.ex, ExplanationEN: p.exEN}
			for i, o := range p.opts {
				in.Options = append(in.Options, Option{TextIT: o[0], TextEN: o[1], Correct: i+1 == p.correct})
			}
			out = append(out, in)
		}
	}
	return out
}
