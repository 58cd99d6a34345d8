package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// ScatterPoint is one labelled point of a scatter chart.
type ScatterPoint struct {
	Label string
	X, Y  float64
}

// Scatter is a scatter chart with labelled axes: one point per item (a region), each with its
// label and values as a <title> tooltip and a short label beside it. Pages show the numbers as
// a table too.
type Scatter struct {
	ID             string
	Title, Desc    string
	XLabel, YLabel string
	Points         []ScatterPoint
	Width, Height  int // default 640 × 420
}

// SVG renders the chart as an accessible SVG element (role img, title and description).
func (s Scatter) SVG() string {
	if len(s.Points) == 0 {
		return ""
	}
	w, h := s.Width, s.Height
	if w <= 0 {
		w = 640
	}
	if h <= 0 {
		h = 420
	}
	const left, right, top, bottom = 70, 20, 16, 56
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range s.Points {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	pad := func(lo, hi float64) (float64, float64) {
		if hi-lo < 1e-9 {
			return lo - 1, hi + 1
		}
		d := (hi - lo) * 0.08
		return lo - d, hi + d
	}
	minX, maxX = pad(minX, maxX)
	minY, maxY = pad(minY, maxY)
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	px := func(x float64) float64 { return left + (x-minX)/(maxX-minX)*pw }
	py := func(y float64) float64 { return top + ph - (y-minY)/(maxY-minY)*ph }
	id := html.EscapeString(s.ID)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" class="esd-chart" role="img" viewBox="0 0 %d %d" width="100%%" aria-labelledby="%s-title %s-desc">`, w, h, id, id)
	fmt.Fprintf(&sb, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, html.EscapeString(s.Title), id, html.EscapeString(s.Desc))
	// Axes with five ticks each.
	fmt.Fprintf(&sb, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#5c6f82"/>`, left, top+ph, w-right, top+ph)
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%.1f" stroke="#5c6f82"/>`, left, top, left, top+ph)
	for i := 0; i <= 4; i++ {
		xv := minX + (maxX-minX)*float64(i)/4
		yv := minY + (maxY-minY)*float64(i)/4
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle" fill="#1a1a1a">%s</text>`, px(xv), top+ph+16, format(roundTo(xv)))
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#1a1a1a">%s</text>`, left-6, py(yv)+4, format(roundTo(yv)))
	}
	fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="12" text-anchor="middle" fill="#1a1a1a">%s</text>`, left+pw/2, h-8, html.EscapeString(s.XLabel))
	fmt.Fprintf(&sb, `<text x="14" y="%.1f" font-size="12" text-anchor="middle" fill="#1a1a1a" transform="rotate(-90 14 %.1f)">%s</text>`, top+ph/2, top+ph/2, html.EscapeString(s.YLabel))
	for _, p := range s.Points {
		x, y := px(p.X), py(p.Y)
		fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s" stroke="#ffffff"><title>%s: %s, %s</title></circle>`,
			x, y, Palette[0], html.EscapeString(p.Label), format(p.X), format(p.Y))
		short := p.Label
		if r := []rune(short); len(r) > 14 {
			short = string(r[:13]) + "…"
		}
		// Labels of points in the right half go to their left, so they stay inside the chart.
		if x > left+pw/2 {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end" fill="#1a1a1a">%s</text>`, x-7, y-5, html.EscapeString(short))
		} else {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="10" fill="#1a1a1a">%s</text>`, x+7, y-5, html.EscapeString(short))
		}
	}
	sb.WriteString(`</svg>`)
	return sb.String()
}

// roundTo keeps tick labels short: whole numbers from 10 up, one decimal below.
func roundTo(v float64) float64 {
	if math.Abs(v) >= 10 {
		return math.Round(v)
	}
	return math.Round(v*10) / 10
}
