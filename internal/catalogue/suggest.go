package catalogue

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"strings"
	"time"

	"esd/internal/domain"
	"esd/internal/italian"
)

// Line suggestions: every line of the current portfolio version is a small document (its
// title weighs most, then its ambito, its description, its level descriptors and its
// dimension); an event's title and description are the query. Both are analysed by
// internal/italian (elision, stop words, Snowball stems, accents, acronyms) and compared as
// TF-IDF vectors of stems and stem pairs (so "cartella clinica" counts more than "clinica"
// alone); the score is their cosine similarity, between 0 and 1.

// Suggestion is a line the platform proposes for an event, with its score and the terms
// that matched.
type Suggestion struct {
	LineID    int64    `json:"line_id"`
	Code      string   `json:"line_code"`
	Title     string   `json:"title"`
	TitleEN   string   `json:"title_en,omitempty"`
	Dimension string   `json:"dimension"`
	Area      string   `json:"area"`
	Score     float64  `json:"score"`
	Level     int      `json:"level"`
	Matched   []string `json:"matched"`
}

type lineVec struct {
	ref  lineRef
	vec  map[string]float64
	norm float64
}

type suggester struct {
	fwID  int64
	n     int
	at    time.Time
	lines []lineVec
	idf   map[string]float64
	// levels of the scale of the current version, lowest first
	levels []int
}

// field weights of a line document.
const (
	wTitle  = 3.0
	wArea   = 1.0
	wDesc   = 1.0
	wLevels = 0.5
	wDim    = 0.5
	// event text: the title says what the event is about more than its description
	qTitle = 2.0
	qDesc  = 1.0
	// a pair of adjacent stems weighs like this share of a single stem
	pairWeight = 0.5
)

func addTerms(m map[string]float64, text string, w float64) {
	terms := italian.Analyze(text)
	for i, t := range terms {
		m[t] += w
		if i > 0 {
			m[terms[i-1]+"_"+t] += w * pairWeight
		}
	}
}

func (s *Service) buildSuggester(ctx context.Context) (*suggester, error) {
	r := &refs{}
	if err := s.loadPortfolio(ctx, r); err != nil {
		return nil, err
	}
	sg := &suggester{fwID: r.fw.ID, at: time.Now(), idf: map[string]float64{}}
	for lv := range r.levels[r.fw.ID] {
		sg.levels = append(sg.levels, lv)
	}
	sort.Ints(sg.levels)
	descriptors := map[int64][]string{}
	if r.fw.ID != 0 {
		if err := scanAll(ctx, s.DB.Read, `SELECT l.item_id, l.descriptor_it FROM line_levels l JOIN framework_items i ON i.id = l.item_id
			WHERE i.framework_id = $1`, func(rs *sql.Rows) error {
			var id int64
			var d string
			if err := rs.Scan(&id, &d); err != nil {
				return err
			}
			descriptors[id] = append(descriptors[id], d)
			return nil
		}, r.fw.ID); err != nil {
			return nil, err
		}
	}
	df := map[string]int{}
	for _, l := range r.currentLines() {
		tf := map[string]float64{}
		addTerms(tf, l.Title, wTitle)
		addTerms(tf, l.AreaTitle, wArea)
		addTerms(tf, l.Description, wDesc)
		addTerms(tf, strings.Join(descriptors[l.ID], " "), wLevels)
		addTerms(tf, l.DimTitle, wDim)
		for t := range tf {
			df[t]++
		}
		sg.lines = append(sg.lines, lineVec{ref: l, vec: tf})
	}
	sg.n = len(sg.lines)
	for t, d := range df {
		sg.idf[t] = math.Log(1 + float64(sg.n)/float64(d))
	}
	for i := range sg.lines {
		var norm float64
		for t, f := range sg.lines[i].vec {
			w := (1 + math.Log(f)) * sg.idf[t]
			if f < 1 {
				w = f * sg.idf[t]
			}
			sg.lines[i].vec[t] = w
			norm += w * w
		}
		sg.lines[i].norm = math.Sqrt(norm)
	}
	return sg, nil
}

func (s *Service) suggesterFor(ctx context.Context) (*suggester, error) {
	var fw int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id FROM framework_versions
		ORDER BY CASE WHEN state = 'published' THEN 0 ELSE 1 END, published_at DESC NULLS LAST, id DESC LIMIT 1`).Scan(&fw)
	if err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	s.sugMu.Lock()
	defer s.sugMu.Unlock()
	if s.sug != nil && s.sug.fwID == fw && time.Since(s.sug.at) < 5*time.Minute {
		return s.sug, nil
	}
	sg, err := s.buildSuggester(ctx)
	if err != nil {
		return nil, err
	}
	s.sug = sg
	return sg, nil
}

// suggest scores every line against the text and returns the best k above minScore.
func (sg *suggester) suggest(title, description string, k int, minScore float64) []Suggestion {
	q := map[string]float64{}
	addTerms(q, title, qTitle)
	addTerms(q, description, qDesc)
	var qn float64
	for t, f := range q {
		idf, ok := sg.idf[t]
		if !ok {
			delete(q, t)
			continue
		}
		w := (1 + math.Log(f)) * idf
		if f < 1 {
			w = f * idf
		}
		q[t] = w
		qn += w * w
	}
	qn = math.Sqrt(qn)
	if qn == 0 {
		return nil
	}
	level := SuggestLevel(title+" "+description, sg.levels)
	var out []Suggestion
	for _, l := range sg.lines {
		var dot float64
		var matched []string
		for t, w := range q {
			if lw, ok := l.vec[t]; ok {
				dot += w * lw
				if !strings.Contains(t, "_") {
					matched = append(matched, t)
				}
			}
		}
		if dot == 0 || l.norm == 0 {
			continue
		}
		score := dot / (qn * l.norm)
		if score < minScore {
			continue
		}
		sort.Strings(matched)
		out = append(out, Suggestion{LineID: l.ref.ID, Code: l.ref.Code, Title: l.ref.Title, TitleEN: l.ref.TitleEN,
			Dimension: l.ref.DimTitle, Area: l.ref.AreaTitle, Score: round(score, 3), Level: level, Matched: matched})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Code < out[j].Code
	})
	// Keep only suggestions close to the best one: a line that shares a stray word with the
	// event scores far below the line the event is about.
	if len(out) > 0 {
		cut := out[0].Score * relativeCut
		n := 0
		for n < len(out) && out[n].Score >= cut {
			n++
		}
		out = out[:n]
	}
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// relativeCut drops suggestions scoring below this share of the best one.
const relativeCut = 0.45

// levelWords hint at the level an event aims at.
var (
	lowWords  = italian.Terms("base introduzione introduttivo fondamenti primi passi alfabetizzazione elementi principianti")
	highWords = italian.Terms("avanzato avanzata specialistico esperti approfondimento master perfezionamento")
)

// SuggestLevel proposes the level an event develops from words in its text ("base",
// "introduzione" → the lowest level; "avanzato", "specialistico" → the third), on the
// given scale (lowest first); the second level otherwise.
func SuggestLevel(text string, scale []int) int {
	if len(scale) == 0 {
		scale = []int{1, 2, 3, 4}
	}
	terms := italian.Terms(text)
	has := func(ws []string) bool {
		for _, t := range terms {
			for _, w := range ws {
				if t == w {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(highWords):
		return scale[min(2, len(scale)-1)]
	case has(lowWords):
		return scale[0]
	}
	return scale[min(1, len(scale)-1)]
}

// SuggestLines proposes up to k lines of the current portfolio version for an event's title
// and description, best first, each with a score between 0 and 1 and the terms that
// matched. Providers, reviewers and national governance use it when mapping events.
func (s *Service) SuggestLines(ctx context.Context, title, description string, k int) ([]Suggestion, error) {
	if _, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational, domain.RoleRegional); err != nil {
		return nil, err
	}
	if k <= 0 || k > 20 {
		k = 5
	}
	sg, err := s.suggesterFor(ctx)
	if err != nil {
		return nil, err
	}
	return sg.suggest(title, description, k, minSuggestScore), nil
}

// minSuggestScore hides suggestions that share only a stray word with the event.
const minSuggestScore = 0.08
