package catalogue

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// SuggestionReport measures the line suggestions on a labelled set of event titles.
type SuggestionReport struct {
	Portfolio    string   `json:"portfolio"`
	Lines        int      `json:"lines"`
	Titles       int      `json:"titles"`
	Evaluated    int      `json:"evaluated"` // titles with at least one resolved line
	PrecisionAt3 float64  `json:"precision_at_3"`
	RecallAt3    float64  `json:"recall_at_3"`
	HitAt3       float64  `json:"hit_at_3"` // share of titles with at least one right line in the top 3
	Unresolved   []string `json:"unresolved_topics,omitempty"`
	Misses       []string `json:"misses,omitempty"` // titles with no right line in the top 3 (first 20)
}

// EvaluateSuggestions reads a labelled set ("title;topic|topic" per line, # comments, a
// header) and measures the suggestions against the current portfolio: topics are resolved
// to lines (resolveTopics), and for each title the top 3 suggestions are compared with its
// lines. Precision@3 counts the right lines among the suggestions made (at most 3);
// recall@3 the share of a title's lines found in its top 3; both are averaged over titles.
func (s *Service) EvaluateSuggestions(ctx context.Context, labelled io.Reader) (SuggestionReport, error) {
	var rep SuggestionReport
	r, err := s.loadRefsPortfolioOnly(ctx)
	if err != nil {
		return rep, err
	}
	rep.Portfolio = strings.TrimSpace(r.fw.Code + " " + r.fw.Version)
	lines := r.currentLines()
	rep.Lines = len(lines)
	topics := topicsFor(r.fw, lines)
	for _, t := range Topics {
		if len(topics[t.Key]) == 0 {
			rep.Unresolved = append(rep.Unresolved, t.Key)
		}
	}
	sg, err := s.suggesterFor(ctx)
	if err != nil {
		return rep, err
	}
	sc := bufio.NewScanner(labelled)
	var sumP, sumR, hits float64
	header := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if header {
			header = false
			continue
		}
		title, tops, ok := strings.Cut(line, ";")
		if !ok {
			return rep, fmt.Errorf("labelled set: no ';' in %q", line)
		}
		rep.Titles++
		want := map[int64]bool{}
		for _, k := range strings.Split(tops, "|") {
			k = strings.TrimSpace(k)
			if _, ok := topicByKey(k); !ok {
				return rep, fmt.Errorf("labelled set: unknown topic %q in %q", k, title)
			}
			for _, id := range topics[k] {
				want[id] = true
			}
		}
		if len(want) == 0 {
			continue
		}
		rep.Evaluated++
		got := sg.suggest(title, "", 3, minSuggestScore)
		right := 0
		for _, g := range got {
			if want[g.LineID] {
				right++
			}
		}
		if len(got) > 0 {
			sumP += float64(right) / float64(len(got))
		}
		sumR += float64(right) / float64(len(want))
		if right > 0 {
			hits++
		} else if len(rep.Misses) < 20 {
			var names []string
			for _, g := range got {
				names = append(names, g.Code)
			}
			rep.Misses = append(rep.Misses, fmt.Sprintf("%s → [%s]", title, strings.Join(names, ", ")))
		}
	}
	if err := sc.Err(); err != nil {
		return rep, err
	}
	if rep.Evaluated > 0 {
		n := float64(rep.Evaluated)
		rep.PrecisionAt3, rep.RecallAt3, rep.HitAt3 = round(sumP/n, 3), round(sumR/n, 3), round(hits/n, 3)
	}
	sort.Strings(rep.Unresolved)
	return rep, nil
}

// loadRefsPortfolioOnly loads just the portfolio part of the reference data.
func (s *Service) loadRefsPortfolioOnly(ctx context.Context) (*refs, error) {
	r := &refs{}
	return r, s.loadPortfolio(ctx, r)
}
