package indicators

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// demoMaturity is how far along each region is (0–1), loosely following the published
// regional spread of domain.md §5 (Emilia-Romagna and PA Trento ahead; Calabria, Sicilia,
// Abruzzo and Campania behind). Keyed by the Ministry of Health code. Synthetic.
var demoMaturity = map[string]float64{
	"010": 0.75, "020": 0.45, "030": 0.70, "041": 0.60, "042": 0.95, "050": 0.85, "060": 0.75, "070": 0.55, "080": 1.00,
	"090": 0.80, "100": 0.50, "110": 0.12, "120": 0.60, "130": 0.08, "140": 0.20, "150": 0.10, "160": 0.50, "170": 0.35,
	"180": 0.03, "190": 0.05, "200": 0.40,
}

// demoPopulation is the resident population in thousands (ISTAT, 1 January 2024, rounded),
// the denominator that shares out the national telemedicine counts.
var demoPopulation = map[string]float64{
	"010": 4252, "020": 123, "030": 10020, "041": 536, "042": 545, "050": 4851, "060": 1195, "070": 1508, "080": 4445,
	"090": 3664, "100": 856, "110": 1484, "120": 5721, "130": 1270, "140": 290, "150": 5594, "160": 3891, "170": 534,
	"180": 1839, "190": 4795, "200": 1570,
}

// DemoPeriods are the quarters of the demo values.
func DemoPeriods() []string {
	var out []string
	for y := 2024; y <= 2026; y++ {
		for q := 1; q <= 4; q++ {
			if y == 2026 && q == 4 {
				break
			}
			out = append(out, fmt.Sprintf("%d-Q%d", y, q))
		}
	}
	return out
}

// DemoCSV is the synthetic demo file: every indicator, region and quarter from 2024-Q1 to
// 2026-Q3, within the published ranges, each row with the source "sintetico / synthetic". It
// is deterministic (the noise is a hash of the key), so loading it twice changes nothing.
func DemoCSV(regionCodes []string) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(TemplateHeader, ";") + "\r\n")
	periods := DemoPeriods()
	var popTotal float64
	for _, c := range regionCodes {
		popTotal += demoPopulation[c]
	}
	for _, d := range Catalogue {
		for _, rc := range regionCodes {
			m := demoMaturity[rc]
			for i, p := range periods {
				t := float64(i) / float64(len(periods)-1)
				noise := jitter(d.Code+rc+p) * 0.06
				var v float64
				if d.PerPopulation {
					share := demoPopulation[rc] / popTotal
					v = math.Round(d.PublishedHi * share * (0.4 + 0.8*m) * (0.15 + 0.85*t) * (1 + noise))
				} else {
					f := clamp01(m*(0.7+0.3*t) + 0.1*t + noise)
					v = math.Round((d.PublishedLo+(d.PublishedHi-d.PublishedLo)*f)*10) / 10
				}
				v = math.Max(d.Min, math.Min(d.Max, v))
				fmt.Fprintf(&b, "%s;%s;;%s;%s;%s;\r\n", d.Code, rc, p, csvNumber(v), SyntheticSource)
			}
		}
	}
	return b.Bytes()
}

func jitter(s string) float64 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return float64(h.Sum32()%2001)/1000 - 1 // −1 … 1
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// LoadDemo imports the synthetic demo values through the same import as a file (a second
// load finds them equal and writes nothing).
func (s *Service) LoadDemo(ctx context.Context) (ImportResult, error) {
	rs, err := s.regions(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	codes := make([]string, len(rs))
	for i, r := range rs {
		codes[i] = r.MinSal
	}
	return s.Import(ctx, bytes.NewReader(DemoCSV(codes)), ImportOptions{})
}

// TemplateCSV is the downloadable template: the header and two example rows, with a BOM so
// that Excel opens it as UTF-8.
func TemplateCSV() []byte {
	var b bytes.Buffer
	b.WriteString("\ufeff" + strings.Join(TemplateHeader, ";") + "\r\n")
	b.WriteString("fse_consenso;090;;2025-Q1;58,4;https://www.fascicolosanitario.gov.it/monitoraggio;esempio: cancellare prima dell'importazione\r\n")
	b.WriteString("tm_pazienti;090;090201;2025-03;1520;Regione Toscana;esempio per azienda e mese\r\n")
	return b.Bytes()
}
