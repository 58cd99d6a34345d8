package assess

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// A small PDF writer for the dossier: A4 pages, the standard Helvetica fonts (every PDF reader
// has them, so nothing is embedded) in WinAnsi encoding, which covers Italian; wrapped
// paragraphs and simple tables. It avoids a dependency for one printable document.

const (
	pdfW, pdfH = 595.0, 842.0
	pdfMargin  = 48.0
)

// helvetica holds the advance widths (per 1000 units) of Helvetica for ASCII 32–126.
var helvetica = [95]int{278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584}

var winAnsiExtra = map[rune]byte{'€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94,
	'•': 0x95, '–': 0x96, '—': 0x97, '™': 0x99}

// winAnsi encodes s for a WinAnsi font: Latin-1 maps to itself, a few typographic marks to
// their Windows-1252 bytes, anything else to "?".
func winAnsi(s string) []byte {
	var b []byte
	for _, r := range s {
		switch {
		case r < 0x80:
			b = append(b, byte(r))
		case r >= 0xA0 && r <= 0xFF:
			b = append(b, byte(r))
		default:
			if c, ok := winAnsiExtra[r]; ok {
				b = append(b, c)
			} else {
				b = append(b, '?')
			}
		}
	}
	return b
}

func textWidth(s string, size float64, bold bool) float64 {
	w := 0
	for _, c := range winAnsi(s) {
		switch {
		case c >= 32 && c <= 126:
			w += helvetica[c-32]
		case c == 0xEC || c == 0xCC || c == 0xED || c == 0xEE || c == 0xEF: // ì í î ï
			w += 278
		default:
			w += 556
		}
	}
	f := size / 1000
	if bold {
		f *= 1.06
	}
	return float64(w) * f
}

// wrap breaks s into lines no wider than width.
func wrap(s string, width, size float64, bold bool) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		cur := ""
		for _, w := range words {
			try := w
			if cur != "" {
				try = cur + " " + w
			}
			if textWidth(try, size, bold) <= width || cur == "" {
				cur = try
				continue
			}
			lines = append(lines, cur)
			cur = w
		}
		lines = append(lines, cur)
	}
	return lines
}

type pdfDoc struct {
	title  string
	pages  []*bytes.Buffer
	y      float64
	footer string
}

func newPDF(title, footer string) *pdfDoc {
	d := &pdfDoc{title: title, footer: footer}
	d.newPage()
	return d
}

func (d *pdfDoc) newPage() {
	d.pages = append(d.pages, &bytes.Buffer{})
	d.y = pdfH - pdfMargin
}

func (d *pdfDoc) cur() *bytes.Buffer { return d.pages[len(d.pages)-1] }

func pdfString(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, c := range winAnsi(s) {
		switch c {
		case '(', ')', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 32 || c > 126 {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte(')')
	return b.String()
}

func (d *pdfDoc) textAt(x, y, size float64, bold bool, s string) {
	font := "F1"
	if bold {
		font = "F2"
	}
	fmt.Fprintf(d.cur(), "BT /%s %.1f Tf %.2f %.2f Td %s Tj ET\n", font, size, x, y, pdfString(s))
}

// ensure starts a new page when fewer than h points remain.
func (d *pdfDoc) ensure(h float64) {
	if d.y-h < pdfMargin+20 {
		d.newPage()
	}
}

// para writes a wrapped paragraph across the text width.
func (d *pdfDoc) para(s string, size float64, bold bool) {
	lead := size * 1.3
	for _, l := range wrap(s, pdfW-2*pdfMargin, size, bold) {
		d.ensure(lead)
		d.y -= lead
		d.textAt(pdfMargin, d.y, size, bold, l)
	}
}

func (d *pdfDoc) gap(h float64) { d.y -= h }

// table writes rows with the given column widths (fractions of the text width); the first
// row is the header, repeated on each new page.
func (d *pdfDoc) table(widths []float64, rows [][]string) {
	const size = 8.5
	lead := size * 1.25
	total := pdfW - 2*pdfMargin
	draw := func(row []string, bold bool) {
		cells := make([][]string, len(row))
		n := 1
		for i, c := range row {
			cells[i] = wrap(c, widths[i]*total-6, size, bold)
			n = max(n, len(cells[i]))
		}
		h := float64(n)*lead + 4
		if d.y-h < pdfMargin+20 {
			d.newPage()
			if !bold && len(rows) > 0 {
				d.drawRow(rows[0], widths, total, lead, size, true)
			}
		}
		d.drawCells(cells, widths, total, lead, size, bold, n)
	}
	for i, r := range rows {
		draw(r, i == 0)
	}
}

func (d *pdfDoc) drawRow(row []string, widths []float64, total, lead, size float64, bold bool) {
	cells := make([][]string, len(row))
	n := 1
	for i, c := range row {
		cells[i] = wrap(c, widths[i]*total-6, size, bold)
		n = max(n, len(cells[i]))
	}
	d.drawCells(cells, widths, total, lead, size, bold, n)
}

func (d *pdfDoc) drawCells(cells [][]string, widths []float64, total, lead, size float64, bold bool, n int) {
	h := float64(n)*lead + 4
	top := d.y
	x := pdfMargin
	if bold {
		fmt.Fprintf(d.cur(), "0.92 g %.2f %.2f %.2f %.2f re f 0 g\n", pdfMargin, top-h, total, h)
	}
	for i, lines := range cells {
		for j, l := range lines {
			d.textAt(x+3, top-lead*float64(j+1)+1, size, bold, l)
		}
		x += widths[i] * total
	}
	fmt.Fprintf(d.cur(), "0.6 G 0.4 w %.2f %.2f m %.2f %.2f l S\n", pdfMargin, top-h, pdfMargin+total, top-h)
	d.y = top - h
}

// write assembles the file: catalog, page tree, two fonts, the pages with their content and
// page numbers, the info dictionary and the cross-reference table.
func (d *pdfDoc) write(w io.Writer) error {
	var out bytes.Buffer
	offsets := []int{}
	obj := func(body string) {
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	n := len(d.pages)
	firstPage := 5
	kids := make([]string, n)
	for i := range d.pages {
		kids[i] = fmt.Sprintf("%d 0 R", firstPage+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	for i, p := range d.pages {
		foot := fmt.Sprintf("%s · %d/%d", d.footer, i+1, n)
		fmt.Fprintf(p, "BT /F1 7.5 Tf %.2f %.2f Td %s Tj ET\n", pdfMargin, pdfMargin-16, pdfString(foot))
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>",
			pdfW, pdfH, firstPage+2*i+1))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", p.Len(), p.String()))
	}
	obj(fmt.Sprintf("<< /Title %s /Producer (ESD) >>", pdfString(d.title)))
	info := len(offsets)
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, info, xref)
	_, err := w.Write(out.Bytes())
	return err
}
