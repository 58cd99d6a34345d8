package portfolio

import (
	"html"
	"html/template"
	"strings"

	"esd/internal/textnorm"
)

// Highlight returns text as HTML with every occurrence of the search terms wrapped in
// <mark>, matched like the search itself: ignoring case and accents, so the term "qualita"
// marks "Qualità" in the original spelling.
func Highlight(text string, terms []string) template.HTML {
	if len(terms) == 0 || text == "" {
		return template.HTML(html.EscapeString(text)) //nolint:gosec // escaped
	}
	runes := []rune(text)
	var folded []rune
	var origin []int // folded rune → index of the original rune
	for i, r := range runes {
		f := textnorm.Fold(string(r))
		if f == "" {
			f = " "
		}
		for _, fr := range f {
			folded = append(folded, fr)
			origin = append(origin, i)
		}
	}
	mark := make([]bool, len(runes))
	for _, t := range terms {
		tr := []rune(t)
		if len(tr) == 0 {
			continue
		}
		for i := 0; i+len(tr) <= len(folded); i++ {
			if string(folded[i:i+len(tr)]) == t {
				for k := i; k < i+len(tr); k++ {
					mark[origin[k]] = true
				}
			}
		}
	}
	var b strings.Builder
	open := false
	for i, r := range runes {
		if mark[i] && !open {
			b.WriteString("<mark>")
			open = true
		} else if !mark[i] && open {
			b.WriteString("</mark>")
			open = false
		}
		b.WriteString(html.EscapeString(string(r)))
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String()) //nolint:gosec // every piece of text is escaped above
}

// SearchTerms returns the folded words of a query, as Search and Highlight use them.
func SearchTerms(q string) []string { return searchTerms(q) }
