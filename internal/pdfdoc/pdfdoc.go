// Package pdfdoc is the platform's small layout layer over codeberg.org/go-pdf/fpdf: A4
// portrait documents with embedded Unicode fonts (DejaVu Sans and Sans Bold, so "Nicolò",
// "Sanità", "€" and "’" print as written, which the PDF standard fonts' WinAnsi encoding
// cannot promise), a running header with the platform name, page numbers, headings, wrapped
// paragraphs, label–value fields, simple tables and images (the certificates' QR code).
//
// Every method records its first error in the document; Bytes reports it, so callers write
// a page of content and check once.
package pdfdoc

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

//go:embed fonts/DejaVuSans.ttf
var fontRegular []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var fontBold []byte

// PlatformName is the running header of every page unless Options.Header says otherwise.
const PlatformName = "ESD – Educazione in Sanità Digitale"

const (
	family   = "dejavu"
	pageW    = 210.0 // A4, mm
	pageH    = 297.0
	margin   = 18.0
	bodySize = 10.0
	// ptToMM converts a font size in points to a line height in mm with 1.35 leading.
	ptToMM = 0.3528 * 1.35
)

// Options describe a document: its metadata and the texts around every page.
type Options struct {
	Title   string    // document title (metadata)
	Header  string    // running header; PlatformName when empty
	Footer  string    // left part of the footer; the page number "n / N" is always on the right
	Lang    string    // "en" for English page numbers ("Page 1 of 2"), Italian otherwise
	Created time.Time // creation date in the metadata; a fixed date makes the output reproducible
}

// Doc is one PDF document being written.
type Doc struct {
	f *fpdf.Fpdf
}

// New starts a document with its first page.
func New(o Options) *Doc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCompression(true)
	f.SetCatalogSort(true)
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	f.SetCreationDate(created.UTC())
	f.SetModificationDate(created.UTC())
	f.SetTitle(o.Title, true)
	f.SetCreator("ESD", true)
	f.SetProducer("ESD (go-pdf/fpdf)", true)
	f.AddUTF8FontFromBytes(family, "", fontRegular)
	f.AddUTF8FontFromBytes(family, "B", fontBold)
	f.SetMargins(margin, margin+8, margin)
	f.SetAutoPageBreak(true, margin+6)
	f.AliasNbPages("{nb}")
	header := o.Header
	if header == "" {
		header = PlatformName
	}
	f.SetHeaderFunc(func() {
		f.SetFont(family, "", 8)
		f.SetTextColor(90, 90, 90)
		f.SetXY(margin, 10)
		f.CellFormat(pageW-2*margin, 5, header, "B", 0, "L", false, 0, "")
		f.SetTextColor(0, 0, 0)
		f.SetXY(margin, margin+8)
	})
	pageWord, ofWord := "Pagina", "di"
	if o.Lang == "en" {
		pageWord, ofWord = "Page", "of"
	}
	footer := o.Footer
	f.SetFooterFunc(func() {
		f.SetFont(family, "", 8)
		f.SetTextColor(90, 90, 90)
		f.SetXY(margin, pageH-14)
		num := fmt.Sprintf("%s %d %s {nb}", pageWord, f.PageNo(), ofWord)
		numW := f.GetStringWidth(num) + 4
		f.CellFormat(pageW-2*margin-numW-20, 5, footer, "", 0, "L", false, 0, "")
		f.SetXY(pageW-margin-numW-20, pageH-14)
		f.CellFormat(numW+20, 5, num, "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	return &Doc{f: f}
}

// ContentWidth is the width between the margins, in mm.
func (d *Doc) ContentWidth() float64 { return pageW - 2*margin }

// Heading writes a heading: level 1 is the document title, 2 a section, 3 a subsection.
func (d *Doc) Heading(s string, level int) {
	size := map[int]float64{1: 16, 2: 13, 3: 11}[level]
	if size == 0 {
		size = 11
	}
	// keep a heading with at least a few lines of what follows it
	d.EnsureSpace(size*ptToMM + 4*bodySize*ptToMM)
	d.Gap(size * 0.25)
	d.Text(s, size, true)
	d.Gap(size * 0.15)
}

// Paragraph writes wrapped body text.
func (d *Doc) Paragraph(s string) { d.Text(s, bodySize, false) }

// Small writes wrapped small print (notes, legal text).
func (d *Doc) Small(s string) { d.Text(s, 8.5, false) }

// Text writes wrapped text at a size in points, bold or regular, across the content width.
func (d *Doc) Text(s string, size float64, bold bool) {
	d.setFont(size, bold)
	d.f.SetX(margin)
	d.f.MultiCell(d.ContentWidth(), size*ptToMM, s, "", "L", false)
}

// TextWidth writes wrapped text like Text, within w mm from the left margin (beside an
// image placed at the right margin).
func (d *Doc) TextWidth(s string, size float64, bold bool, w float64) {
	d.setFont(size, bold)
	d.f.SetX(margin)
	d.f.MultiCell(w, size*ptToMM, s, "", "L", false)
}

// Field writes "label: value" with the label in bold, the value wrapped beside it.
func (d *Doc) Field(label, value string) {
	const labelW = 52.0
	d.setFont(bodySize, false)
	lh := bodySize * ptToMM
	lines := d.f.SplitText(value, d.ContentWidth()-labelW)
	if len(lines) == 0 {
		lines = []string{""}
	}
	d.EnsureSpace(float64(len(lines)) * lh)
	y := d.f.GetY()
	d.setFont(bodySize, true)
	d.f.SetXY(margin, y)
	d.f.MultiCell(labelW, lh, label, "", "L", false)
	yl := d.f.GetY()
	d.setFont(bodySize, false)
	d.f.SetXY(margin+labelW, y)
	d.f.MultiCell(d.ContentWidth()-labelW, lh, value, "", "L", false)
	if yl > d.f.GetY() {
		d.f.SetY(yl)
	}
}

// Gap moves down by h mm.
func (d *Doc) Gap(h float64) { d.f.SetY(d.f.GetY() + h) }

// EnsureSpace starts a new page unless h mm are left above the bottom margin.
func (d *Doc) EnsureSpace(h float64) {
	if d.f.GetY()+h > pageH-margin-6 {
		d.f.AddPage()
	}
}

// Table writes a table: widths are fractions of the content width (one per column), header
// the column titles (repeated on every page the table spans), rows the cells, each wrapped
// within its column.
func (d *Doc) Table(widths []float64, header []string, rows [][]string) {
	const size = 9.0
	lh := size * ptToMM
	total := 0.0
	for _, w := range widths {
		total += w
	}
	cols := make([]float64, len(widths))
	for i, w := range widths {
		cols[i] = w / total * d.ContentWidth()
	}
	split := func(row []string, bold bool) ([][]string, float64) {
		d.setFont(size, bold)
		cells := make([][]string, len(cols))
		n := 1
		for i := range cols {
			s := ""
			if i < len(row) {
				s = row[i]
			}
			cells[i] = d.f.SplitText(s, cols[i])
			if len(cells[i]) > n {
				n = len(cells[i])
			}
		}
		return cells, float64(n)*lh + 2
	}
	draw := func(row []string, bold bool) {
		cells, h := split(row, bold)
		d.setFont(size, bold)
		y := d.f.GetY()
		x := margin
		if bold {
			d.f.SetFillColor(230, 233, 240)
			d.f.Rect(margin, y, d.ContentWidth(), h, "F")
		}
		for i, lines := range cells {
			for j, ln := range lines {
				d.f.SetXY(x, y+1+float64(j)*lh)
				d.f.CellFormat(cols[i], lh, ln, "", 0, "L", false, 0, "")
			}
			x += cols[i]
		}
		d.f.SetDrawColor(180, 180, 180)
		d.f.Line(margin, y+h, margin+d.ContentWidth(), y+h)
		d.f.SetDrawColor(0, 0, 0)
		d.f.SetXY(margin, y+h)
	}
	_, hh := split(header, true)
	for i, row := range rows {
		_, h := split(row, false)
		if i == 0 {
			d.EnsureSpace(hh + h)
			draw(header, true)
		} else if d.f.GetY()+h > pageH-margin-6 {
			d.f.AddPage()
			draw(header, true)
		}
		draw(row, false)
	}
	if len(rows) == 0 {
		d.EnsureSpace(hh)
		draw(header, true)
	}
	d.Gap(2)
}

// PNG places a PNG image of w×w mm (square: the QR code) at the right margin, at the
// current line, and returns the vertical position where it ends.
func (d *Doc) PNG(name string, png []byte, w float64) float64 {
	d.EnsureSpace(w)
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	d.f.RegisterImageOptionsReader(name, opts, bytes.NewReader(png))
	y := d.f.GetY()
	d.f.ImageOptions(name, pageW-margin-w, y, w, w, false, opts, 0, "")
	return y + w
}

// Y is the current vertical position in mm from the top of the page.
func (d *Doc) Y() float64 { return d.f.GetY() }

// SetY moves to a vertical position in mm from the top of the page.
func (d *Doc) SetY(y float64) { d.f.SetY(y) }

// Pages is the number of pages so far.
func (d *Doc) Pages() int { return d.f.PageNo() }

// Bytes finishes the document and returns it, or the first error met while writing it.
func (d *Doc) Bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := d.f.Output(&b); err != nil {
		return nil, fmt.Errorf("pdfdoc: %w", err)
	}
	if b.Len() == 0 {
		return nil, errors.New("pdfdoc: empty document")
	}
	return b.Bytes(), nil
}

func (d *Doc) setFont(size float64, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	d.f.SetFont(family, style, size)
}

// Bar is one bar of a chart: its label, its value and the value as printed. A bar without a
// value (Missing) is listed with its text and no bar, so a suppressed figure stays visibly
// suppressed instead of being drawn as zero.
type Bar struct {
	Label   string
	Value   float64
	Text    string
	Missing bool
}

// Bars draws a horizontal bar chart: a title (none when ""), one row per bar with its label on the left, the
// bar scaled to top (the largest value when top ≤ 0) and its value printed after it, so the
// chart carries its own numbers and reads without colour.
func (d *Doc) Bars(title string, bars []Bar, top float64) {
	const size = 8.5
	lh := size*ptToMM + 1.6
	if top <= 0 {
		for _, b := range bars {
			if !b.Missing && b.Value > top {
				top = b.Value
			}
		}
	}
	labelW := d.ContentWidth() * 0.38
	textW := 24.0
	barW := d.ContentWidth() - labelW - textW - 2
	d.EnsureSpace(2*lh + 4)
	if title != "" {
		d.Text(title, 10, true)
		d.Gap(1)
	}
	for _, b := range bars {
		d.EnsureSpace(lh)
		y := d.f.GetY()
		d.setFont(size, false)
		label := b.Label
		for d.f.GetStringWidth(label) > labelW-2 && len([]rune(label)) > 4 {
			r := []rune(label)
			label = string(r[:len(r)-2]) + "…"
		}
		d.f.SetXY(margin, y)
		d.f.CellFormat(labelW, lh, label, "", 0, "L", false, 0, "")
		x := margin + labelW
		w := 0.0
		if !b.Missing && top > 0 && b.Value > 0 {
			w = min(b.Value/top, 1) * barW
			d.f.SetFillColor(0, 102, 204) // Bootstrap Italia primary
			d.f.Rect(x, y+0.6, w, lh-1.2, "F")
		}
		d.f.SetDrawColor(120, 120, 120)
		d.f.Line(x, y, x, y+lh)
		d.f.SetDrawColor(0, 0, 0)
		d.f.SetXY(x+w+1, y)
		d.f.CellFormat(textW, lh, b.Text, "", 0, "L", false, 0, "")
		d.f.SetXY(margin, y+lh)
	}
	d.Gap(3)
}
