package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/exports"
)

// waitDownload waits for a finished download named name in dir.
func waitDownload(t *testing.T, dir, name string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && len(b) > 0 {
			if _, err := os.Stat(filepath.Join(dir, name+".crdownload")); os.IsNotExist(err) {
				return b
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Fatalf("no download %s in %s (found %v)", name, dir, names)
	return nil
}

// TestBrowserExportsDownloads is the regional referent's journey in a real browser: from the
// dashboard they download the organisations' table as XLSX (opened with excelize: numbers
// are numbers) and as CSV (read with ';'), both with the page's rows, then the PDF report;
// on the open-data page they download the Parquet file and read it back.
func TestBrowserExportsDownloads(t *testing.T) {
	ctx := newBrowser(t)
	env := apptest.Start(t, db.SQLite, apptest.Options{Demo: true})
	dir := t.TempDir()
	browserLogin(t, ctx, env.URL, "demo.regione", "esd-demo-regione")
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/monitor"), chromedp.WaitVisible(chromedp.CSS("#monitor-main"))); err != nil {
		t.Fatal(err)
	}
	rowsOnPage, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#monitor-main tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#monitor-main caption a[href*="export.xlsx"]`))); err != nil {
		t.Fatal(err)
	}
	xb := waitDownload(t, dir, "monitoraggio-main.xlsx")
	f, err := excelize.OpenFile(filepath.Join(dir, "monitoraggio-main.xlsx"))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v (%d bytes)", err, len(xb))
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || rows[0][0] != "Voce" || rows[0][4] != "Protetto" {
		t.Fatalf("XLSX rows: %q", rows)
	}
	numbers := 0
	for i := 2; i <= len(rows); i++ {
		cell, _ := excelize.CoordinatesToCellName(2, i)
		if ct, _ := f.GetCellType(sheet, cell); ct == excelize.CellTypeNumber || ct == excelize.CellTypeUnset {
			if v, _ := f.GetCellValue(sheet, cell); v != "" {
				numbers++
			}
		}
	}
	if numbers == 0 {
		t.Errorf("no population stored as a number in %q", rows)
	}
	if p, err := f.GetPanes(sheet); err != nil || !p.Freeze {
		t.Errorf("header not frozen: %+v %v", p, err)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#monitor-main caption a[href*="export.csv"]`))); err != nil {
		t.Fatal(err)
	}
	csvRows := readSemicolonCSV(t, waitDownload(t, dir, "monitoraggio-main.csv"))
	if len(csvRows) != len(rows) {
		t.Fatalf("CSV has %d rows, XLSX %d", len(csvRows), len(rows))
	}
	for i := range rows {
		if csvRows[i][0] != rows[i][0] {
			t.Errorf("row %d: CSV %q, XLSX %q", i, csvRows[i][0], rows[i][0])
		}
	}
	// The page's table rows plus the total.
	if len(rows)-1 != rowsOnPage+1 && len(rows)-1 != rowsOnPage {
		t.Errorf("XLSX has %d data rows, the page %d", len(rows)-1, rowsOnPage)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#monitor-report"))); err != nil {
		t.Fatal(err)
	}
	pdf := waitDownload(t, dir, "rapporto-monitoraggio-090-tutto.pdf")
	if !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("report: %.20q", pdf)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/opendata"), chromedp.WaitVisible(chromedp.CSS("#od-dictionary"))); err != nil {
		t.Fatal(err)
	}
	dictRows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#od-dictionary tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#od-files a[href^="/opendata/`+exports.FileParquet+`"]`))); err != nil {
		t.Fatal(err)
	}
	if dictRows != len(exports.Columns) {
		t.Errorf("the page's dictionary has %d rows, the data %d columns", dictRows, len(exports.Columns))
	}
	recs, err := exports.ReadParquet(waitDownload(t, dir, exports.FileParquet))
	if err != nil || len(recs) == 0 {
		t.Fatalf("parquet: %d rows, %v", len(recs), err)
	}
}
