package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/exports"
	"esd/internal/pdfdoc/pdftest"
)

// monitorTable is the part of /api/v1/monitor/table the export tests compare with.
type monitorTable struct {
	Total struct {
		Pop    int64  `json:"population"`
		Hidden bool   `json:"suppressed"`
		Text   string `json:"text"`
	} `json:"total"`
	Rows []struct {
		ID     int64  `json:"id"`
		Label  string `json:"label"`
		Pop    int64  `json:"population"`
		Hidden bool   `json:"suppressed"`
		Empty  bool   `json:"empty"`
		Text   string `json:"text"`
	} `json:"rows"`
	Threshold int `json:"threshold"`
}

// TestExportsReportAndOpenData writes the PDF report and the open data of the demo world
// through the CLI and the web, and reads them back with real readers: pdftotext for the PDF,
// encoding/csv with ';' for the CSV, parquet-go for the Parquet file, an XML parse of the
// DCAT-AP_IT metadata.
func TestExportsReportAndOpenData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		national := env.Client().Login("demo.nazionale", "esd-demo-nazionale")
		regional := env.Client().Login("demo.regione", "esd-demo-regione")
		var orgs monitorTable
		regional.Get("/api/v1/monitor/table?by=organisation&ind=assessed").JSON(t, &orgs)
		if len(orgs.Rows) < 2 {
			t.Fatalf("Toscana by organisation: %+v", orgs)
		}

		// The report of Toscana from the CLI, read back as a reader would.
		dir := t.TempDir()
		pdfPath := filepath.Join(dir, "toscana.pdf")
		out := runCommand(t, env, "export", "monitor-report", "--out", pdfPath, "--region", "090")
		if !strings.Contains(out, "rapporto scritto") {
			t.Fatalf("cli: %q", out)
		}
		pdf, err := os.ReadFile(pdfPath)
		if err != nil {
			t.Fatal(err)
		}
		text := pdftest.Flat(pdftest.Text(t, pdf))
		for _, want := range []string{"Rapporto di monitoraggio – Toscana", "Indicatori principali", "Professionisti valutati (%)", "Confronto tra aziende", "Persona digitale",
			"Prima e dopo la rivalutazione", "meno di 5 professionisti", orgs.Total.Text} {
			if !strings.Contains(text, want) {
				t.Errorf("report lacks %q:\n%.3000s", want, text)
			}
		}
		hidden, shown := 0, 0
		for _, r := range orgs.Rows {
			if r.Empty {
				continue
			}
			if r.Hidden {
				hidden++
				continue
			}
			shown++
			// A visible organisation: its name, population and value, in the chart and the table.
			if want := fmt.Sprintf("%d %s", r.Pop, r.Text); !strings.Contains(text, want) {
				t.Errorf("report lacks %s's figures %q", r.Label, want)
			}
		}
		if hidden > 0 && !strings.Contains(text, "dato protetto") {
			t.Errorf("%d suppressed organisations but the report does not say so", hidden)
		}
		t.Logf("Toscana report: %d bytes, %d organisations shown, %d suppressed", len(pdf), shown, hidden)

		// The CLI's usage: --help exits 0 with the flags, usage mistakes exit 2, an unknown
		// region names itself.
		if out := runCommand(t, env, "export", "monitor-report", "--help"); !strings.Contains(out, "-region") {
			t.Errorf("help: %q", out)
		}
		for _, args := range [][]string{{"export", "monitor-report", "--region", "090"}, {"export", "monitor-report", "--bogus"}, {"export", "opendata"},
			{"export", "opendata", "--out", dir, "extra"}, {"export", "opendata", "--out", dir, "--publisher-ipa", "r_toscan"}} {
			cmd, rest, _ := app.FindCommand(args)
			err := cmd.Run(app.System(context.Background()), env.M, rest)
			var ec interface{ ExitCode() int }
			if !errors.As(err, &ec) || ec.ExitCode() != 2 {
				t.Errorf("%v: %v, want a usage error", args, err)
			}
		}
		cmd, rest, _ := app.FindCommand([]string{"export", "monitor-report", "--region", "IT-99", "--out", pdfPath})
		if err := cmd.Run(app.System(context.Background()), env.M, rest); domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), "IT-99") {
			t.Errorf("unknown region: %v", err)
		}

		// Over the web the regional referent gets their region; a forged region is 404, no PDF.
		r := regional.Get("/monitor/report.pdf?period=2026")
		if r.Status != 200 || !strings.HasPrefix(r.Body, "%PDF") || !strings.Contains(r.Header.Get("Content-Disposition"), "rapporto-monitoraggio-090-2026.pdf") {
			t.Errorf("regional report: %d %q", r.Status, r.Header.Get("Content-Disposition"))
		}
		if r := regional.Get("/monitor/report.pdf?region=50"); r.Status != 404 || strings.HasPrefix(r.Body, "%PDF") {
			t.Errorf("regional report of Veneto: %d", r.Status)
		}
		nat := national.Get("/api/v1/monitor/report.pdf?lang=en")
		if nat.Status != 200 {
			t.Fatalf("national report: %d %.300s", nat.Status, nat.Body)
		}
		ntext := pdftest.Flat(pdftest.Text(t, []byte(nat.Body)))
		for _, want := range []string{"Monitoring report – Italy", "Regions compared", "Toscana"} {
			if !strings.Contains(ntext, want) {
				t.Errorf("national report lacks %q", want)
			}
		}

		// Open data from the CLI: every file, the same rows in CSV and Parquet.
		odDir := filepath.Join(dir, "od")
		out = runCommand(t, env, "export", "opendata", "--out", odDir, "--base-url", "https://dati.example.it/esd")
		if !strings.Contains(out, "dati aperti scritti") {
			t.Fatalf("cli: %q", out)
		}
		read := func(name string) []byte {
			b, err := os.ReadFile(filepath.Join(odDir, name))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		csvRows := readSemicolonCSV(t, read(exports.FileCSV))
		recs, err := exports.ReadParquet(read(exports.FileParquet))
		if err != nil {
			t.Fatal(err)
		}
		if len(csvRows) < 2 || len(recs) != len(csvRows)-1 {
			t.Fatalf("CSV has %d rows, Parquet %d", len(csvRows)-1, len(recs))
		}
		head := csvRows[0]
		for i, c := range exports.Columns {
			if head[i] != c.Key {
				t.Fatalf("CSV header %q", head)
			}
		}
		suppressed, visible := 0, 0
		for i, rec := range recs {
			if got, want := strings.Join(csvRows[i+1], "|"), strings.Join(recordCSV(rec), "|"); got != want {
				t.Fatalf("row %d differs:\nCSV     %s\nParquet %s", i+1, got, want)
			}
			if rec.Suppressed {
				suppressed++
				if rec.Population != nil || rec.Value != nil || rec.Numerator != nil {
					t.Errorf("suppressed row %d carries figures: %+v", i+1, rec)
				}
				continue
			}
			visible++
			if rec.Population == nil || *rec.Population < 5 || rec.Value == nil {
				t.Errorf("row %d: a visible cell under the threshold: %+v", i+1, rec)
			}
		}
		if suppressed == 0 || visible == 0 {
			t.Errorf("%d suppressed and %d visible rows: the demo world should have both", suppressed, visible)
		}
		t.Logf("open data: %d rows (%d suppressed)", len(recs), suppressed)
		// Toscana's whole-time assessed share is the dashboard's figure.
		found := false
		for _, rec := range recs {
			if rec.Period == "" && rec.RegionCode == "090" && rec.ProfessionCode == nil && rec.PersonaID == nil && rec.Indicator == "assessed" {
				found = true
				if rec.Population == nil || *rec.Population != orgs.Total.Pop {
					t.Errorf("Toscana assessed: %+v, dashboard population %d", rec, orgs.Total.Pop)
				}
			}
		}
		if !found {
			t.Error("no row for Toscana's assessed share")
		}

		// The dictionary names every column with its type and meaning in both languages.
		var dict exports.DataDictionary
		if err := json.Unmarshal(read(exports.FileDictJSON), &dict); err != nil {
			t.Fatal(err)
		}
		if len(dict.Columns) != len(head) || dict.Threshold != 5 || !strings.Contains(dict.SuppressionEN, "fewer than 5") {
			t.Errorf("dictionary: %+v", dict)
		}
		for i, c := range dict.Columns {
			if c.Name != head[i] || c.Type == "" || c.MeaningIT == "" || c.MeaningEN == "" {
				t.Errorf("dictionary column %d: %+v", i, c)
			}
		}
		if rows := readSemicolonCSV(t, read(exports.FileDictCSV)); len(rows) < len(head)+len(dict.Indicators) {
			t.Errorf("dictionary CSV has %d rows", len(rows))
		}

		// DCAT-AP_IT: the RDF/XML parses and carries the profile's mandatory properties.
		checkDCATAPIT(t, read(exports.FileRDF), "https://dati.example.it/esd")
		ttl := string(read(exports.FileTurtle))
		for _, want := range []string{"@prefix dcatapit: <http://dati.gov.it/onto/dcatapit#> .", "a dcatapit:Dataset, dcat:Dataset", "dcat:theme <http://publications.europa.eu/resource/authority/data-theme/HEAL>"} {
			if !strings.Contains(ttl, want) {
				t.Errorf("Turtle lacks %q", want)
			}
		}

		// Over the web, public: the page, and the files equal to the CLI's.
		anon := env.Client()
		page := anon.Get("/opendata")
		if page.Status != 200 || !strings.Contains(page.Body, exports.FileParquet) || !strings.Contains(page.Body, "od-dictionary") {
			t.Errorf("open-data page: %d", page.Status)
		}
		web := anon.Get("/opendata/" + exports.FileCSV)
		if web.Status != 200 || len(readSemicolonCSV(t, []byte(web.Body))) != len(csvRows) {
			t.Errorf("web CSV: %d", web.Status)
		}
		var rel exports.Release
		anon.Get("/api/v1/opendata?region=90").JSON(t, &rel)
		if rel.Region == nil || rel.Region.Name != "Toscana" || len(rel.Files) != 6 {
			t.Errorf("Toscana release: %+v", rel)
		}
		tos := anon.Get("/api/v1/opendata/" + exports.FileCSV + "?region=90")
		for i, row := range readSemicolonCSV(t, []byte(tos.Body)) {
			if i > 0 && row[1] != "090" {
				t.Fatalf("Toscana's release has a row of region %q", row[1])
			}
		}
		if r := anon.Get("/opendata/nothing.csv"); r.Status != 404 {
			t.Errorf("unknown file: %d", r.Status)
		}
	})
}

// readSemicolonCSV reads a CSV for Italian Excel: BOM, ';', CRLF.
func readSemicolonCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Fatalf("not a CSV for Italian Excel (BOM, CRLF): %.80q", b)
	}
	r := csv.NewReader(bytes.NewReader(b[3:]))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// recordCSV is how a record must read in the CSV (Italian decimals, empty nulls).
func recordCSV(r exports.Record) []string {
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	v := ""
	if r.Value != nil {
		v = strings.Replace(strconv.FormatFloat(*r.Value, 'f', 2, 64), ".", ",", 1)
	}
	sup := "0"
	if r.Suppressed {
		sup = "1"
	}
	return []string{r.Period, r.RegionCode, r.RegionISTAT, r.RegionName, opt(r.ProfessionCode), r.ProfessionName, opt(r.PersonaID), r.PersonaName,
		r.Indicator, r.Unit, opt(r.Population), opt(r.Numerator), v, sup}
}

// triple is one statement read from RDF/XML.
type triple struct{ S, P, O string }

const rdfNS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

// parseRDFXML reads the striped RDF/XML syntax (typed node elements, rdf:about,
// rdf:resource, nested nodes, literals) into triples, with encoding/xml.
func parseRDFXML(t *testing.T, b []byte) []triple {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var out []triple
	blank := 0
	var node func(start xml.StartElement) string
	attr := func(e xml.StartElement, space, local string) string {
		for _, a := range e.Attr {
			if a.Name.Space == space && a.Name.Local == local {
				return a.Value
			}
		}
		return ""
	}
	node = func(start xml.StartElement) string {
		subj := attr(start, rdfNS, "about")
		if subj == "" {
			blank++
			subj = fmt.Sprintf("_:b%d", blank)
		}
		if !(start.Name.Space == rdfNS && start.Name.Local == "Description") {
			out = append(out, triple{subj, rdfNS + "type", start.Name.Space + start.Name.Local})
		}
		for {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("RDF/XML: %v", err)
			}
			switch e := tok.(type) {
			case xml.EndElement:
				return subj
			case xml.StartElement:
				pred := e.Name.Space + e.Name.Local
				if res := attr(e, rdfNS, "resource"); res != "" {
					out = append(out, triple{subj, pred, res})
					if err := dec.Skip(); err != nil {
						t.Fatal(err)
					}
					continue
				}
				var text strings.Builder
				obj := ""
			prop:
				for {
					tok, err := dec.Token()
					if err != nil {
						t.Fatalf("RDF/XML: %v", err)
					}
					switch c := tok.(type) {
					case xml.CharData:
						text.Write(c)
					case xml.StartElement:
						obj = node(c)
					case xml.EndElement:
						break prop
					}
				}
				if obj == "" {
					obj = strings.TrimSpace(text.String())
				}
				out = append(out, triple{subj, pred, obj})
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("RDF/XML: %v", err)
		}
		if e, ok := tok.(xml.StartElement); ok {
			if e.Name.Space == rdfNS && e.Name.Local == "RDF" {
				continue
			}
			node(e)
		}
	}
	return out
}

// checkDCATAPIT checks the mandatory DCAT-AP_IT properties of the catalogue, the dataset,
// the distributions and the agents.
func checkDCATAPIT(t *testing.T, b []byte, base string) {
	t.Helper()
	ts := parseRDFXML(t, b)
	const (
		dcat = "http://www.w3.org/ns/dcat#"
		dct  = "http://purl.org/dc/terms/"
		it   = "http://dati.gov.it/onto/dcatapit#"
		foaf = "http://xmlns.com/foaf/0.1/"
	)
	of := func(s, p string) []string {
		var o []string
		for _, x := range ts {
			if x.S == s && x.P == p {
				o = append(o, x.O)
			}
		}
		return o
	}
	typed := func(class string) []string {
		var s []string
		seen := map[string]bool{}
		for _, x := range ts {
			if x.P == rdfNS+"type" && x.O == class && !seen[x.S] {
				seen[x.S] = true
				s = append(s, x.S)
			}
		}
		return s
	}
	need := func(s string, props ...string) {
		for _, p := range props {
			if len(of(s, p)) == 0 {
				t.Errorf("%s lacks %s", s, p)
			}
		}
	}
	cats := typed(it + "Catalog")
	dss := typed(it + "Dataset")
	dists := typed(it + "Distribution")
	if len(cats) != 1 || len(dss) != 1 || len(dists) != 2 {
		t.Fatalf("catalogues %v, datasets %v, distributions %v", cats, dss, dists)
	}
	need(cats[0], dct+"title", dct+"description", dct+"publisher", dct+"modified", dcat+"dataset", foaf+"homepage", dct+"language")
	ds := dss[0]
	need(ds, dct+"identifier", dct+"title", dct+"description", dct+"modified", dcat+"theme", dct+"rightsHolder", dct+"accrualPeriodicity",
		dcat+"distribution", dct+"publisher", dcat+"contactPoint", dct+"temporal", dct+"spatial", dct+"language", dcat+"keyword")
	if th := of(ds, dcat+"theme"); th[0] != "http://publications.europa.eu/resource/authority/data-theme/HEAL" {
		t.Errorf("theme %v", th)
	}
	if id := of(ds, dct+"identifier"); id[0] != "m_sa:esd-monitoraggio" {
		t.Errorf("identifier %v: want the IPA code first", id)
	}
	for _, p := range []string{dct + "publisher", dct + "rightsHolder"} {
		ag := of(ds, p)[0]
		if len(of(ag, foaf+"name")) == 0 || len(of(ag, dct+"identifier")) == 0 || of(ag, dct+"identifier")[0] != "m_sa" {
			t.Errorf("%s %s: name %v, IPA %v", p, ag, of(ag, foaf+"name"), of(ag, dct+"identifier"))
		}
	}
	cp := of(ds, dcat+"contactPoint")[0]
	need(cp, "http://www.w3.org/2006/vcard/ns#fn", "http://www.w3.org/2006/vcard/ns#hasEmail")
	need(of(ds, dct+"temporal")[0], dcat+"startDate")
	formats := map[string]bool{}
	for _, d := range dists {
		need(d, dct+"format", dcat+"accessURL", dct+"license", dcat+"downloadURL", dct+"title")
		formats[of(d, dct+"format")[0]] = true
		if u := of(d, dcat+"downloadURL")[0]; !strings.HasPrefix(u, base+"/opendata/") {
			t.Errorf("download URL %s not under %s", u, base)
		}
		lic := of(d, dct+"license")[0]
		if lic != "https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40" || len(of(lic, dct+"type")) == 0 {
			t.Errorf("licence %s", lic)
		}
	}
	if !formats["http://publications.europa.eu/resource/authority/file-type/CSV"] || !formats["http://publications.europa.eu/resource/authority/file-type/PARQUET"] {
		t.Errorf("formats %v", formats)
	}
}
