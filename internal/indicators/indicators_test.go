package indicators_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/indicators"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func problems(t *testing.T, err error) []domain.Problem {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.EINVALID {
		t.Fatalf("want EINVALID with problems, got %v", err)
	}
	return de.Details
}

// TestImportFiles imports real files the way the field writes them (Excel-IT's Windows-1252
// with ';', CRLF and decimal commas; UTF-8 with BOM), re-imports them (nothing written), replaces
// a value (audited), and refuses a file with every kind of bad row, writing nothing.
func TestImportFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		env := apptest.Start(t, dialect)
		ctx := env.Sys()
		s := env.M.Indicators
		d := env.M.DB
		audits := func() int { return count(t, d, `SELECT COUNT(*) FROM audit_log WHERE entity LIKE 'indicator_value%'`) }

		res, err := s.Import(ctx, bytes.NewReader(fixture(t, "excel_it_1252.csv")), indicators.ImportOptions{})
		if err != nil {
			t.Fatalf("Excel-IT file: %v (%+v)", err, res.Problems)
		}
		if res.Encoding != "Windows-1252" || res.Separator != ";" || res.Rows != 7 || res.Created != 7 {
			t.Fatalf("Excel-IT file: %+v", res)
		}
		vals, err := s.Values(ctx, indicators.Filter{Period: "2025-Q1", Organisations: true}, "it")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]indicators.Value{}
		for _, v := range vals {
			got[v.Indicator+"@"+v.Region] = v
		}
		check := func(k string, want float64) {
			t.Helper()
			v, ok := got[k]
			if !ok || math.Abs(v.Value-want) > 1e-9 {
				t.Errorf("%s = %+v, want %v (have %v)", k, v, want, got)
			}
		}
		check("fse_consenso@Toscana", 58.4)
		check("fse_consenso@Valle d'Aosta/Vallée d'Aoste", 37)
		check("fse_uso_90g@Emilia-Romagna", 65)
		check("fse_uso_90g@Calabria", 1.2)
		check("tm_pazienti@Veneto", 41250)
		check("fse_mmg_pls@PA Trento", 97.5)
		if v := got["fse_consenso@Valle d'Aosta/Vallée d'Aoste"]; v.Source != "Région Autonome Vallée d'Aoste" {
			t.Errorf("Windows-1252 source decoded as %q", v.Source)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM indicator_values WHERE organisation_id <> 0 AND period = '2025-03'`); n != 1 {
			t.Errorf("values per organisation and month = %d, want 1", n)
		}
		if got, want := got["fse_consenso@Toscana"].Text, "58,4 %"; got != want {
			t.Errorf("text %q, want %q", got, want)
		}

		res, err = s.Import(ctx, bytes.NewReader(fixture(t, "utf8_bom.csv")), indicators.ImportOptions{})
		if err != nil || res.Encoding != "UTF-8" || res.Created != 3 {
			t.Fatalf("UTF-8 BOM file: %v %+v", err, res)
		}
		// Re-importing both files writes nothing, not even audit entries.
		before, stored := audits(), count(t, d, `SELECT COUNT(*) FROM indicator_values`)
		for _, f := range []string{"excel_it_1252.csv", "utf8_bom.csv"} {
			res, err = s.Import(ctx, bytes.NewReader(fixture(t, f)), indicators.ImportOptions{})
			if err != nil || res.Created+res.Updated != 0 || res.Unchanged != res.Rows {
				t.Fatalf("re-import %s: %v %+v", f, err, res)
			}
		}
		if a := audits(); a != before {
			t.Errorf("re-import wrote %d audit entries", a-before)
		}
		// A newer value replaces the stored one, with the old value in the audit trail.
		res, err = s.Import(ctx, bytes.NewReader(fixture(t, "newer.csv")), indicators.ImportOptions{})
		if err != nil || res.Updated != 1 || len(res.Replaced) != 1 || res.Replaced[0].Old != 58.4 || res.Replaced[0].New != 59.1 {
			t.Fatalf("newer value: %v %+v", err, res)
		}
		var beforeJSON string
		if err := d.Read.QueryRow(`SELECT before_json FROM audit_log WHERE entity = 'indicator_value' AND action = 'update' ORDER BY id DESC LIMIT 1`).Scan(&beforeJSON); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(beforeJSON, "58.4") {
			t.Errorf("audit before = %s", beforeJSON)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM indicator_values`); n != stored {
			t.Errorf("replacing added rows: %d → %d", stored, n)
		}

		// Every kind of bad row, one problem each with line and column; nothing written.
		before, stored = audits(), count(t, d, `SELECT COUNT(*) FROM indicator_values`)
		res, err = s.Import(ctx, bytes.NewReader(fixture(t, "bad.csv")), indicators.ImportOptions{Lang: "en"})
		ps := problems(t, err)
		want := map[int]string{2: "regione:unknown region code", 3: "indicatore:unknown indicator", 4: "periodo:overlaps 2025-Q1, already stored",
			5: "valore:not a number", 6: "valore:outside the valid range", 8: "periodo:overlaps 2025-Q2 on line 7", 9: "periodo:invalid period",
			10: "regione:04 is Trentino-Alto Adige", 11: "valore:must be a whole number", 12: "azienda:not in Lazio"}
		seen := map[int]bool{}
		for _, p := range ps {
			w, ok := want[p.Line]
			field, reason, _ := strings.Cut(w, ":")
			if !ok || p.Field != field || !strings.Contains(p.Reason, reason) {
				t.Errorf("unexpected problem %+v", p)
			}
			seen[p.Line] = true
		}
		for line, w := range want {
			if !seen[line] {
				t.Errorf("line %d: no problem reported (want %s); got %+v", line, w, ps)
			}
		}
		if a, n := audits(), count(t, d, `SELECT COUNT(*) FROM indicator_values`); a != before || n != stored {
			t.Errorf("a refused file wrote: audit %d → %d, values %d → %d", before, a, stored, n)
		}
		// Italian messages by default.
		_, err = s.Import(ctx, bytes.NewReader(fixture(t, "bad.csv")), indicators.ImportOptions{})
		if ps := problems(t, err); !strings.Contains(ps[0].Reason, "codice regione sconosciuto") {
			t.Errorf("Italian reason: %+v", ps[0])
		}
		// Files that are not a CSV text in a known encoding are refused as a whole.
		for f, want := range map[string]string{"utf16.csv": "UTF-16", "garbled.csv": "neither UTF-8 nor Windows-1252"} {
			_, err := s.Import(ctx, bytes.NewReader(fixture(t, f)), indicators.ImportOptions{Lang: "en"})
			if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", f, err, want)
			}
		}
		// Dry run: checked, counted, not written.
		dry := "indicatore;regione;periodo;valore\nfse_consenso;090;2025-Q2;60\n"
		res, err = s.Import(ctx, strings.NewReader(dry), indicators.ImportOptions{DryRun: true})
		if err != nil || res.Created != 1 || count(t, d, `SELECT COUNT(*) FROM indicator_values WHERE period = '2025-Q2'`) != 0 {
			t.Errorf("dry run: %v %+v", err, res)
		}
		// A regional referent imports their own region only.
		reg := domain.WithActor(context.Background(), domain.Actor{UserID: 0, Username: "ref", Role: domain.RoleRegional, RegionID: 90})
		_, err = s.Import(reg, strings.NewReader("indicatore;regione;periodo;valore\nfse_consenso;090;2025-Q2;60\nfse_consenso;050;2025-Q2;60\n"), indicators.ImportOptions{Lang: "en"})
		if ps := problems(t, err); len(ps) != 1 || ps[0].Line != 3 || !strings.Contains(ps[0].Reason, "outside your scope") {
			t.Errorf("regional import of another region: %+v", ps)
		}
		for _, role := range []domain.Role{domain.RoleOrganisation, domain.RoleAnalyst, domain.RoleProvider, domain.RoleProfessional} {
			a := domain.WithActor(context.Background(), domain.Actor{Role: role, OrganisationID: 1, RegionID: 90})
			if _, err := s.Import(a, strings.NewReader(dry), indicators.ImportOptions{}); domain.ErrorCode(err) != domain.EFORBIDDEN {
				t.Errorf("import as %s: %v, want EFORBIDDEN", role, err)
			}
		}
		if _, err := s.Values(context.Background(), indicators.Filter{}, "it"); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
			t.Errorf("values without a login: %v", err)
		}
	})
}

// TestDemoValuesWithinPublishedRanges loads the synthetic demo twice (the second load writes
// nothing) and checks every value against the published ranges and its synthetic label.
func TestDemoValuesWithinPublishedRanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dialect db.Dialect) {
		env := apptest.Start(t, dialect)
		ctx := env.Sys()
		s := env.M.Indicators
		res, err := s.LoadDemo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := 21 * len(indicators.Catalogue) * len(indicators.DemoPeriods())
		if res.Created != want || len(indicators.DemoPeriods()) != 11 {
			t.Fatalf("demo: %+v, want %d values", res, want)
		}
		if res, err := s.LoadDemo(ctx); err != nil || res.Created+res.Updated != 0 {
			t.Fatalf("second demo load: %v %+v", err, res)
		}
		vals, err := s.Values(ctx, indicators.Filter{}, "it")
		if err != nil {
			t.Fatal(err)
		}
		sums := map[string]float64{}
		for _, v := range vals {
			d, _ := indicators.Lookup(v.Indicator)
			if !v.Synthetic || v.Source != indicators.SyntheticSource {
				t.Fatalf("demo value not labelled synthetic: %+v", v)
			}
			if v.Value < d.PublishedLo || v.Value > d.PublishedHi {
				t.Errorf("%s %s %s = %v outside the published %v–%v", v.Indicator, v.Region, v.Period, v.Value, d.PublishedLo, d.PublishedHi)
			}
			if v.Period == "2025-Q4" {
				sums[v.Indicator] += v.Value
			}
		}
		for _, d := range indicators.Catalogue {
			if d.PerPopulation && (sums[d.Code] > d.National*1.05 || sums[d.Code] < d.National*0.5) {
				t.Errorf("%s: regions add up to %v at the end of 2025, national published %v", d.Code, sums[d.Code], d.National)
			}
		}
		// The spread follows the published one: Emilia-Romagna ahead of Calabria on consent.
		er, _ := s.Values(ctx, indicators.Filter{Indicator: "fse_consenso", Region: 80, Period: "2025-Q1"}, "it")
		cal, _ := s.Values(ctx, indicators.Filter{Indicator: "fse_consenso", Region: 180, Period: "2025-Q1"}, "it")
		if len(er) != 1 || len(cal) != 1 || er[0].Value < cal[0].Value+40 {
			t.Errorf("consent ER %+v vs Calabria %+v", er, cal)
		}
	})
}

func TestParseValueAndPeriod(t *testing.T) {
	for in, want := range map[string]float64{"58,4": 58.4, "58.4": 58.4, "1.234,5": 1234.5, "41.250": 41250, "1.234.567": 1234567, "97,5%": 97.5, " 12 ": 12, "1 520": 1520, "0": 0} {
		got, err := indicators.ParseValue(in, true)
		if err != nil || math.Abs(got-want) > 1e-9 {
			t.Errorf("ParseValue(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1,2,3", "12.34.5", "1.23,4", "NaN", "Inf", "1e5x"} {
		if v, err := indicators.ParseValue(in, false); err == nil {
			t.Errorf("ParseValue(%q) = %v, want an error", in, v)
		}
	}
	if v, _ := indicators.ParseValue("41.250", false); v != 41.25 {
		t.Errorf("a percentage 41.250 = %v, want 41.25", v)
	}
	q1, err := indicators.ParsePeriod("2025-q1")
	if err != nil || q1.Code != "2025-Q1" || q1.Year() != "2025" {
		t.Fatalf("quarter: %+v %v", q1, err)
	}
	feb, _ := indicators.ParsePeriod("02/2025")
	apr, _ := indicators.ParsePeriod("2025-04")
	t1, _ := indicators.ParsePeriod("2025-T1")
	if feb.Code != "2025-02" || !q1.Overlaps(feb) || q1.Overlaps(apr) || q1.Overlaps(t1) || t1.Code != "2025-Q1" {
		t.Errorf("overlaps: q1 %+v feb %+v apr %+v t1 %+v", q1, feb, apr, t1)
	}
	for _, in := range []string{"2025-Q5", "2025-13", "25-Q1", "2025"} {
		if _, err := indicators.ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", in)
		}
	}
	if q1.Label("it") != "1º trimestre 2025" || feb.Label("en") != "February 2025" {
		t.Errorf("labels %q %q", q1.Label("it"), feb.Label("en"))
	}
}

func TestPearson(t *testing.T) {
	if r := indicators.Pearson([]float64{1, 2, 3, 4}, []float64{2, 4, 6, 8}); math.Abs(r-1) > 1e-12 {
		t.Errorf("perfect line r = %v", r)
	}
	if r := indicators.Pearson([]float64{1, 2, 3, 4}, []float64{8, 6, 4, 2}); math.Abs(r+1) > 1e-12 {
		t.Errorf("inverse line r = %v", r)
	}
	// Worked example: r = 0.8 exactly for these five pairs.
	if r := indicators.Pearson([]float64{1, 2, 3, 4, 5}, []float64{2, 1, 4, 3, 5}); math.Abs(r-0.8) > 1e-12 {
		t.Errorf("r = %v, want 0.8", r)
	}
	if r := indicators.Pearson([]float64{1, 2}, []float64{1, 2}); !math.IsNaN(r) {
		t.Errorf("two points r = %v, want NaN", r)
	}
	if r := indicators.Pearson([]float64{1, 1, 1}, []float64{1, 2, 3}); !math.IsNaN(r) {
		t.Errorf("no variance r = %v, want NaN", r)
	}
}
