package catalogue

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"esd/internal/tabular"
)

var analysisHeader = []string{"tabella", "chiave", "etichetta", "totale", "RES", "FAD", "FSC", "blended", "con_parole_chiave"}

// WriteCSV writes every table of the analysis in one file for Italian Excel (package
// tabular: BOM, ';', CRLF), one row per table row, with the table's name in the first column.
func (an Analysis) WriteCSV(w io.Writer) error {
	t := tabular.Table{Name: "analisi-catalogo"}
	for i, h := range analysisHeader {
		c := tabular.Column{Key: h}
		if i >= 3 {
			c.Kind = tabular.Int
		}
		t.Columns = append(t.Columns, c)
	}
	for _, at := range an.Tables() {
		for _, r := range at.Rows {
			var kw any
			if at.Keyword {
				kw = r.Keyword
			}
			t.Add(at.Name, r.Key, r.Label, r.Total, r.RES, r.FAD, r.FSC, r.Blended, kw)
		}
	}
	return t.WriteCSV(w)
}

// WriteXLSX writes the analysis as a workbook with one sheet per table, numbers as numbers.
func (an Analysis) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, t := range an.Tables() {
		name := t.Name
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		set := func(col, row int, v any) error {
			cell, err := excelize.CoordinatesToCellName(col, row)
			if err != nil {
				return err
			}
			return f.SetCellValue(name, cell, v)
		}
		if err := set(1, 1, t.Title); err != nil {
			return err
		}
		_ = f.SetCellStyle(name, "A1", "A1", bold)
		head := []string{"Chiave", "Etichetta", "Totale", "RES", "FAD", "FSC", "Blended"}
		if t.Keyword {
			head = append(head, "Con parole chiave")
		}
		for c, h := range head {
			if err := set(c+1, 3, h); err != nil {
				return err
			}
		}
		last, _ := excelize.CoordinatesToCellName(len(head), 3)
		_ = f.SetCellStyle(name, "A3", last, bold)
		for k, r := range t.Rows {
			vals := []any{r.Key, r.Label, r.Total, r.RES, r.FAD, r.FSC, r.Blended}
			if t.Keyword {
				vals = append(vals, r.Keyword)
			}
			for c, v := range vals {
				if err := set(c+1, k+4, v); err != nil {
					return err
				}
			}
		}
		_ = f.SetColWidth(name, "B", "B", 60)
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: "Analisi del catalogo ESD", Creator: "ESD"}); err != nil {
		return fmt.Errorf("xlsx properties: %w", err)
	}
	_, err = f.WriteTo(w)
	return err
}
