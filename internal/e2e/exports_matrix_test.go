package e2e

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/pdfdoc/pdftest"
)

// exportText is what a reader of a response would see: a PDF through pdftotext, a workbook
// through excelize (every cell of every sheet), anything else as it is.
func exportText(t *testing.T, r apptest.Response) string {
	t.Helper()
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/pdf") && r.Status == 200:
		return pdftest.Text(t, []byte(r.Body))
	case strings.HasPrefix(ct, "application/vnd.openxmlformats") && r.Status == 200:
		f, err := excelize.OpenReader(bytes.NewReader([]byte(r.Body)))
		if err != nil {
			t.Fatalf("not a workbook: %v", err)
		}
		defer f.Close()
		var b strings.Builder
		for _, s := range f.GetSheetList() {
			rows, err := f.GetRows(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows {
				b.WriteString(strings.Join(row, "\t") + "\n")
			}
		}
		return b.String()
	}
	return r.Body
}

// TestExportsMatrix drives every export route (the dashboard's XLSX, the PDF report, the open
// data) as each demo role: who gets in, what a URL forged to another region answers, and that
// no name of the other region is in what is read back from the file.
func TestExportsMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		var venetoName string
		if err := env.M.DB.Read.QueryRow(`SELECT name FROM organisations WHERE region_id = 50 AND kind = 'asl' ORDER BY id LIMIT 1`).Scan(&venetoName); err != nil {
			t.Fatal(err)
		}
		clients := demoClients(env)
		type want map[string]int
		viewers := func(extra want) want {
			m := want{"national": 200, "regional": 200, "organisation": 200, "analyst": 200, "provider": 403, "professional": 403, "anonymous": 303}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		api := func(w want) want {
			if w["anonymous"] == 303 {
				w["anonymous"] = 401
			}
			return w
		}
		everyone := func(code int) want {
			return want{"national": code, "regional": code, "organisation": code, "analyst": code, "provider": code, "professional": code, "anonymous": code}
		}
		cases := []struct {
			path string
			want want
			mime string // the media type of a 200
		}{
			{"/monitor/export.xlsx?table=main", viewers(nil), "application/vnd.openxmlformats"},
			{"/monitor/export.xlsx?table=persona&ind=level", viewers(nil), "application/vnd.openxmlformats"},
			{"/monitor/export.xlsx?table=heatmap&region=50", viewers(want{"regional": 404, "organisation": 404}), ""},
			{"/monitor/export.xlsx?table=lines&region=50", viewers(want{"regional": 404, "organisation": 404}), ""},
			{"/monitor/export.xlsx?table=nope", viewers(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), ""},
			{"/monitor/export.csv?table=lines", viewers(nil), "text/csv"},
			{"/api/v1/monitor/export.xlsx?table=persona", api(viewers(nil)), "application/vnd.openxmlformats"},
			{"/api/v1/monitor/export.xlsx?table=main&region=50", api(viewers(want{"regional": 404, "organisation": 404})), ""},
			{"/monitor/report.pdf", viewers(nil), "application/pdf"},
			{"/monitor/report.pdf?period=2026&ind=level", viewers(nil), "application/pdf"},
			{"/monitor/report.pdf?region=90", viewers(nil), "application/pdf"}, // an organisation of Toscana: its own report
			{"/monitor/report.pdf?region=50", viewers(want{"regional": 404, "organisation": 404}), ""},
			{"/monitor/report.pdf?region=abc", viewers(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), ""},
			{"/monitor/report.pdf?period=26", viewers(want{"national": 422, "regional": 422, "organisation": 422, "analyst": 422}), ""},
			{"/api/v1/monitor/report.pdf?region=90", api(viewers(nil)), "application/pdf"},
			{"/api/v1/monitor/report.pdf?region=50", api(viewers(want{"regional": 404, "organisation": 404})), ""},
			// Open data is public: suppressed aggregates only.
			{"/opendata", everyone(200), "text/html"},
			{"/opendata?region=90", everyone(200), "text/html"},
			{"/opendata/esd-monitoraggio.csv", everyone(200), "text/csv"},
			{"/opendata/esd-monitoraggio.parquet?region=90", everyone(200), "application/vnd.apache.parquet"},
			{"/opendata/esd-monitoraggio-dcat.rdf", everyone(200), "application/rdf+xml"},
			{"/opendata/none.txt", everyone(404), ""},
			{"/opendata?region=999", everyone(404), ""},
			{"/api/v1/opendata", everyone(200), "application/json"},
			{"/api/v1/opendata/esd-monitoraggio-dizionario.json", everyone(200), "application/json"},
			{"/api/v1/opendata/esd-monitoraggio-dcat.ttl?region=90", everyone(200), "text/turtle"},
			{"/api/v1/opendata?region=abc", everyone(422), ""},
		}
		for _, tc := range cases {
			for role, c := range clients {
				r := c.Get(tc.path)
				exp := tc.want[role]
				got := r.Status
				if role == "anonymous" && exp == 303 && (got == 302 || got == 303 || got == 200 && strings.Contains(r.Body, "password")) {
					got = 303
				}
				if got != exp {
					t.Errorf("%s as %s: %d, want %d (%.200s)", tc.path, role, r.Status, exp, r.Body)
					continue
				}
				if got == 200 && tc.mime != "" && !strings.HasPrefix(r.Header.Get("Content-Type"), tc.mime) {
					t.Errorf("%s as %s: %s, want %s", tc.path, role, r.Header.Get("Content-Type"), tc.mime)
				}
				if got != 200 && (strings.HasPrefix(r.Body, "%PDF") || strings.HasPrefix(r.Body, "PK")) {
					t.Errorf("%s as %s: %d but a file came back", tc.path, role, got)
				}
				if (role == "regional" || role == "organisation") && got == 200 && !strings.HasPrefix(tc.path, "/opendata") && !strings.HasPrefix(tc.path, "/api/v1/opendata") {
					if txt := exportText(t, r); strings.Contains(txt, venetoName) || strings.Contains(txt, "Veneto") {
						t.Errorf("%s as %s: the file names Veneto or %s", tc.path, role, venetoName)
					}
				}
			}
		}
	})
}
