package chart

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// RadarSeries is one polygon of a radar chart: a value per axis.
type RadarSeries struct {
	Name   string
	Values []float64
	// Dashed draws the outline dashed (e.g. the target), so the series differ by more than
	// colour.
	Dashed bool
}

// Radar is a radar (spider) chart: one axis per category, values from 0 to Max.
type Radar struct {
	ID     string // unique in the page; used for the title and description ids
	Title  string
	Desc   string // a sentence for screen readers; the page shows the numbers as a table too
	Axes   []string
	Series []RadarSeries
	Max    float64 // the outer ring; default the largest value
	Rings  int     // grid rings; default Max rounded up
	Size   int     // width and height in px; default 520
}

// SVG renders the chart as an accessible, self-contained SVG element (role="img",
// aria-labelledby its title and description). Labels are escaped.
func (r Radar) SVG() string {
	size := r.Size
	if size == 0 {
		size = 520
	}
	max := r.Max
	if max <= 0 {
		for _, s := range r.Series {
			for _, v := range s.Values {
				max = math.Max(max, v)
			}
		}
		if max <= 0 {
			max = 1
		}
	}
	rings := r.Rings
	if rings <= 0 {
		rings = int(math.Ceil(max))
	}
	n := len(r.Axes)
	cx, cy := float64(size)/2, float64(size)/2
	radius := float64(size)/2 - 110
	if radius < 40 {
		radius = float64(size) / 3
	}
	id := r.ID
	if id == "" {
		id = "radar"
	}
	esc := html.EscapeString
	var b strings.Builder
	legendH := 22 * len(r.Series)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="esd-chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" aria-labelledby="%s-title %s-desc">`,
		size, size+legendH, size, size+legendH, id, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(r.Title), id, esc(r.Desc))
	point := func(i int, v float64) (float64, float64) {
		a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(max1(n))
		d := radius * v / max
		return cx + d*math.Cos(a), cy + d*math.Sin(a)
	}
	// Grid: rings and spokes.
	b.WriteString(`<g fill="none" stroke="#c5c7c9" stroke-width="1">`)
	for k := 1; k <= rings; k++ {
		v := max * float64(k) / float64(rings)
		var pts []string
		for i := 0; i < n; i++ {
			x, y := point(i, v)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		if n >= 3 {
			fmt.Fprintf(&b, `<polygon points="%s"/>`, strings.Join(pts, " "))
		}
	}
	for i := 0; i < n; i++ {
		x, y := point(i, max)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, cx, cy, x, y)
	}
	b.WriteString(`</g>`)
	// Ring values along the first spoke.
	for k := 1; k <= rings; k++ {
		v := max * float64(k) / float64(rings)
		x, y := point(0, v)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#5c6f82" aria-hidden="true">%s</text>`, x+4, y+3, trimFloat(v))
	}
	// Series.
	for si, s := range r.Series {
		col := Palette[si%len(Palette)]
		var pts []string
		for i := 0; i < n && i < len(s.Values); i++ {
			x, y := point(i, math.Max(0, math.Min(s.Values[i], max)))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		dash := ""
		fill := col
		op := "0.18"
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
			op = "0"
		}
		fmt.Fprintf(&b, `<polygon points="%s" fill="%s" fill-opacity="%s" stroke="%s" stroke-width="2.5"%s><title>%s</title></polygon>`,
			strings.Join(pts, " "), fill, op, col, dash, esc(s.Name))
		for i := 0; i < n && i < len(s.Values); i++ {
			x, y := point(i, math.Max(0, math.Min(s.Values[i], max)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s – %s: %s</title></circle>`, x, y, col, esc(s.Name), esc(r.Axes[i]), trimFloat(s.Values[i]))
		}
	}
	// Axis labels, wrapped on two lines when long.
	for i, a := range r.Axes {
		x, y := point(i, max*1.12)
		anchor := "middle"
		if x < cx-10 {
			anchor = "end"
		} else if x > cx+10 {
			anchor = "start"
		}
		lines := splitLabel(a, 22)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="11" fill="#17324d">`, x, y-float64(len(lines)-1)*6, anchor)
		for j, l := range lines {
			if j == 0 {
				fmt.Fprintf(&b, `<tspan x="%.1f">%s</tspan>`, x, esc(l))
			} else {
				fmt.Fprintf(&b, `<tspan x="%.1f" dy="12">%s</tspan>`, x, esc(l))
			}
		}
		b.WriteString(`</text>`)
	}
	// Legend.
	for si, s := range r.Series {
		col := Palette[si%len(Palette)]
		y := size + 4 + 22*si
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<line x1="20" y1="%d" x2="50" y2="%d" stroke="%s" stroke-width="3"%s/><text x="58" y="%d" font-size="12" fill="#17324d">%s</text>`,
			y+8, y+8, col, dash, y+12, esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", ",", 1)
}

// splitLabel breaks a label into at most two lines of about width characters.
func splitLabel(s string, width int) []string {
	if len([]rune(s)) <= width {
		return []string{s}
	}
	words := strings.Fields(s)
	var first, rest []string
	n := 0
	for _, w := range words {
		if n+len([]rune(w)) > width && len(first) > 0 {
			rest = append(rest, w)
			continue
		}
		if len(rest) > 0 {
			rest = append(rest, w)
			continue
		}
		first = append(first, w)
		n += len([]rune(w)) + 1
	}
	out := []string{strings.Join(first, " ")}
	if len(rest) > 0 {
		r := strings.Join(rest, " ")
		if len([]rune(r)) > width+4 {
			r = string([]rune(r)[:width+2]) + "…"
		}
		out = append(out, r)
	}
	return out
}
