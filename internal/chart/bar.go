package chart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Series is one set of values of a bar chart, one value per category.
type Series struct {
	Name   string
	Values []float64
}

// Bar is a horizontal bar chart: one row per category, with one bar per series side by side
// (grouped) or one bar made of the series end to end (Stacked). Long category labels fit
// because the bars run horizontally.
type Bar struct {
	ID         string // unique on the page; used for the title and description ids
	Title      string
	Desc       string // what the chart shows, for screen readers
	Categories []string
	Series     []Series
	Stacked    bool
	Width      int // default 720
}

const (
	barHeight = 16
	barGap    = 2
	rowGap    = 10
	labelW    = 260
	padTop    = 8
)

// SVG renders the chart as an accessible SVG element (role img, title and description);
// every bar also carries its value as text and as a <title> tooltip.
func (b Bar) SVG() string {
	width := b.Width
	if width <= 0 {
		width = 720
	}
	ns := len(b.Series)
	if ns == 0 || len(b.Categories) == 0 {
		return ""
	}
	perRow := barHeight
	if !b.Stacked {
		perRow = ns*barHeight + (ns-1)*barGap
	}
	legendH := 0
	if ns > 1 {
		legendH = 24
	}
	height := padTop + len(b.Categories)*(perRow+rowGap) + legendH + 4
	max := 0.0
	for i := range b.Categories {
		sum := 0.0
		for _, s := range b.Series {
			v := at(s.Values, i)
			if b.Stacked {
				sum += v
			} else if v > max {
				max = v
			}
		}
		if b.Stacked && sum > max {
			max = sum
		}
	}
	if max <= 0 {
		max = 1
	}
	plotW := float64(width - labelW - 60)
	scale := plotW / max
	id := html.EscapeString(b.ID)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" class="esd-chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="%s-title %s-desc">`, width, height, id, id)
	fmt.Fprintf(&sb, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, html.EscapeString(b.Title), id, html.EscapeString(b.Desc))
	y := padTop
	for i, c := range b.Categories {
		label := c
		if len([]rune(label)) > 42 {
			label = string([]rune(label)[:41]) + "…"
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#1a1a1a">%s<title>%s</title></text>`,
			labelW-8, y+perRow/2+4, html.EscapeString(label), html.EscapeString(c))
		x := float64(labelW)
		for k, s := range b.Series {
			v := at(s.Values, i)
			w := v * scale
			by := y
			if !b.Stacked {
				by = y + k*(barHeight+barGap)
			}
			color := Palette[k%len(Palette)]
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s – %s: %s</title></rect>`,
				x, by, math.Max(w, 0), barHeight, color, html.EscapeString(c), html.EscapeString(s.Name), format(v))
			if !b.Stacked {
				fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="11" fill="#1a1a1a">%s</text>`, x+w+4, by+barHeight-4, format(v))
			} else {
				x += w
			}
		}
		if b.Stacked {
			total := 0.0
			for _, s := range b.Series {
				total += at(s.Values, i)
			}
			fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="11" fill="#1a1a1a">%s</text>`, x+4, y+barHeight-4, format(total))
		}
		y += perRow + rowGap
	}
	if ns > 1 {
		lx := labelW
		for k, s := range b.Series {
			fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" font-size="12" fill="#1a1a1a">%s</text>`,
				lx, y+2, Palette[k%len(Palette)], lx+16, y+12, html.EscapeString(s.Name))
			lx += 16 + 8*len([]rune(s.Name)) + 20
		}
	}
	sb.WriteString(`</svg>`)
	return sb.String()
}

func at(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return 0
}

func format(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.Replace(strconv.FormatFloat(v, 'f', 1, 64), ".", ",", 1)
}
