package exports

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"

	"esd/internal/domain"
	"esd/internal/monitor"
	"esd/internal/tabular"
)

// Record is one row of the open data: an indicator over a period and a group (region,
// profession, persona; an empty code means "all"), its population and value, empty when the
// cell is suppressed. The parquet tags are the column names of both files.
type Record struct {
	Period         string   `parquet:"period" json:"period"`
	RegionCode     string   `parquet:"region_code" json:"region_code"`
	RegionISTAT    string   `parquet:"region_istat" json:"region_istat"`
	RegionName     string   `parquet:"region_name" json:"region_name"`
	ProfessionCode *int64   `parquet:"profession_code,optional" json:"profession_code"`
	ProfessionName string   `parquet:"profession_name" json:"profession_name"`
	PersonaID      *int64   `parquet:"persona_id,optional" json:"persona_id"`
	PersonaName    string   `parquet:"persona_name" json:"persona_name"`
	Indicator      string   `parquet:"indicator" json:"indicator"`
	Unit           string   `parquet:"unit" json:"unit"`
	Population     *int64   `parquet:"population,optional" json:"population"`
	Numerator      *int64   `parquet:"numerator,optional" json:"numerator"`
	Value          *float64 `parquet:"value,optional" json:"value"`
	Suppressed     bool     `parquet:"suppressed" json:"suppressed"`
}

// File is one distribution of a release.
type File struct {
	Name      string `json:"name"`
	Format    string `json:"format"` // EU file-type code: CSV, PARQUET, JSON, RDF_XML, RDF_TURTLE
	MediaType string `json:"media_type"`
	Title     string `json:"title"`
	Size      int    `json:"size"`
	Body      []byte `json:"-"`
}

// Release is a built open-data release: its rows and its files.
type Release struct {
	Built     time.Time `json:"built"`
	Threshold int       `json:"threshold"`
	Region    *Region   `json:"region,omitempty"` // nil: the whole country
	Rows      []Record  `json:"-"`
	Periods   []string  `json:"periods"`
	Files     []File    `json:"files"`
}

// File names of a release.
const (
	FileCSV      = "esd-monitoraggio.csv"
	FileParquet  = "esd-monitoraggio.parquet"
	FileDictCSV  = "esd-monitoraggio-dizionario.csv"
	FileDictJSON = "esd-monitoraggio-dizionario.json"
	FileRDF      = "esd-monitoraggio-dcat.rdf"
	FileTurtle   = "esd-monitoraggio-dcat.ttl"
)

// FileNamed returns the release's file of that name.
func (r *Release) FileNamed(name string) (File, bool) {
	for _, f := range r.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// OpenData returns the open-data release of the whole country (region 0) or of one region,
// built at most every releaseTTL. It is public: every figure in it comes from the monitoring
// queries run as the system with suppression on, so it holds nothing a dashboard would hide.
func (s *Service) OpenData(ctx context.Context, region int64, lang string) (*Release, error) {
	key := fmt.Sprintf("%d/%s", region, lang)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cache[key]; ok && s.now().Sub(c.at) < releaseTTL {
		return c.rel, nil
	}
	rel, err := s.BuildOpenData(ctx, region, lang)
	if err != nil {
		return nil, err
	}
	s.cache[key] = cachedRelease{s.now(), rel}
	return rel, nil
}

func i64(v int64) *int64 { return &v }

// BuildOpenData builds a release now: for every indicator and period (the whole time, and
// each year for the indicators counted per year), each region's total, its breakdowns by
// profession and by persona, and profession × persona; the country's totals too when the
// release is national.
func (s *Service) BuildOpenData(ctx context.Context, region int64, lang string) (*Release, error) {
	s.Monitor.Start()
	ctx = domain.WithActor(ctx, domain.SystemActor)
	rel := &Release{Built: s.now().UTC().Truncate(time.Second)}
	if region != 0 {
		r, err := s.regionByID(ctx, region)
		if err != nil {
			return nil, err
		}
		rel.Region = &r
	}
	all := msg(lang, "exp.od.all")
	years := map[string]bool{}
	for _, ind := range monitor.Indicators {
		periods := []string{""}
		if monitor.Dated(ind) {
			t, err := s.Monitor.Table(ctx, monitor.Query{Indicator: ind, Region: region}, "period", lang)
			if err != nil {
				return nil, err
			}
			for _, r := range t.Rows {
				if !r.Empty {
					periods = append(periods, r.Code)
					years[r.Code] = true
				}
			}
		}
		unit := monitor.Unit(ind)
		for _, p := range periods {
			rt, err := s.Monitor.Table(ctx, monitor.Query{Indicator: ind, Period: p, Region: region}, "region", lang)
			if err != nil {
				return nil, err
			}
			rel.Threshold = rt.Threshold
			add := func(reg Region, prof *int64, profName string, pers *int64, persName string, c monitor.Cell) {
				if c.Empty {
					return
				}
				rec := Record{Period: p, RegionCode: "", RegionISTAT: reg.ISTAT, RegionName: reg.Name, ProfessionCode: prof, ProfessionName: profName,
					PersonaID: pers, PersonaName: persName, Indicator: ind, Unit: unit, Suppressed: c.Hidden}
				if reg.ID != 0 {
					rec.RegionCode = fmt.Sprintf("%03d", reg.ID)
				}
				if !c.Hidden {
					v := c.Value
					rec.Population, rec.Numerator, rec.Value = i64(c.Pop), i64(c.Num), &v
				}
				rel.Rows = append(rel.Rows, rec)
			}
			if region == 0 {
				add(Region{Name: msg(lang, "exp.report.italy")}, nil, all, nil, all, rt.Total)
			}
			for _, rr := range rt.Rows {
				if rr.Empty {
					continue
				}
				reg := Region{ID: rr.ID, ISTAT: rr.Code, Name: rr.Label}
				add(reg, nil, all, nil, all, rr.Cell)
				if rr.Hidden {
					continue // nothing below a suppressed region is shown either
				}
				q := monitor.Query{Indicator: ind, Period: p, Region: rr.ID}
				bp, err := s.Monitor.Table(ctx, q, "profession", lang)
				if err != nil {
					return nil, err
				}
				for _, r := range bp.Rows {
					add(reg, i64(r.ID), r.Label, nil, all, r.Cell)
				}
				bs, err := s.Monitor.Table(ctx, q, "persona", lang)
				if err != nil {
					return nil, err
				}
				for _, r := range bs.Rows {
					add(reg, nil, all, i64(r.ID), r.Label, r.Cell)
				}
				for _, pr := range bp.Rows {
					if pr.Empty || pr.Hidden {
						continue
					}
					pq := q
					pq.Profession = int(pr.ID)
					ps, err := s.Monitor.Table(ctx, pq, "persona", lang)
					if err != nil {
						return nil, err
					}
					for _, r := range ps.Rows {
						add(reg, i64(pr.ID), pr.Label, i64(r.ID), r.Label, r.Cell)
					}
				}
			}
		}
	}
	for y := range years {
		rel.Periods = append(rel.Periods, y)
	}
	sort.Strings(rel.Periods)
	if err := s.writeFiles(rel, lang); err != nil {
		return nil, err
	}
	return rel, nil
}

// Columns is the open data's table model: the CSV header and the dictionary's column list.
var Columns = []tabular.Column{
	{Key: "period"}, {Key: "region_code"}, {Key: "region_istat"}, {Key: "region_name"},
	{Key: "profession_code", Kind: tabular.Int}, {Key: "profession_name"}, {Key: "persona_id", Kind: tabular.Int}, {Key: "persona_name"},
	{Key: "indicator"}, {Key: "unit"}, {Key: "population", Kind: tabular.Int}, {Key: "numerator", Kind: tabular.Int},
	{Key: "value", Kind: tabular.Number, Decimals: 2}, {Key: "suppressed", Kind: tabular.Int},
}

// DataTable is the release's rows as a table (the CSV).
func (r *Release) DataTable() tabular.Table {
	t := tabular.Table{Name: "esd-monitoraggio", Columns: Columns}
	opt := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, rec := range r.Rows {
		var v any
		if rec.Value != nil {
			v = *rec.Value
		}
		t.Add(rec.Period, rec.RegionCode, rec.RegionISTAT, rec.RegionName, opt(rec.ProfessionCode), rec.ProfessionName, opt(rec.PersonaID), rec.PersonaName,
			rec.Indicator, rec.Unit, opt(rec.Population), opt(rec.Numerator), v, rec.Suppressed)
	}
	return t
}

// roundValues keeps the two decimals the CSV prints, so both files carry the same figures.
func roundValues(rows []Record) []Record {
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = r
		if r.Value != nil {
			v, _ := strconv.ParseFloat(strconv.FormatFloat(*r.Value, 'f', 2, 64), 64)
			out[i].Value = &v
		}
	}
	return out
}

// Parquet writes records as an Apache Parquet file (one row group, zstd-compressed columns).
func Parquet(rows []Record) ([]byte, error) {
	var b bytes.Buffer
	w := parquet.NewGenericWriter[Record](&b, parquet.Compression(&parquet.Zstd))
	if _, err := w.Write(rows); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ReadParquet reads records back from a Parquet file.
func ReadParquet(b []byte) ([]Record, error) {
	return parquet.Read[Record](bytes.NewReader(b), int64(len(b)))
}

func (s *Service) writeFiles(rel *Release, lang string) error {
	rel.Rows = roundValues(rel.Rows)
	csvBody := rel.DataTable().CSV()
	pq, err := Parquet(rel.Rows)
	if err != nil {
		return err
	}
	dict := Dictionary(rel.Threshold)
	dj, err := json.MarshalIndent(dict, "", "  ")
	if err != nil {
		return err
	}
	add := func(name, format, media, title string, body []byte) {
		rel.Files = append(rel.Files, File{Name: name, Format: format, MediaType: media, Title: msg(lang, title), Size: len(body), Body: body})
	}
	add(FileCSV, "CSV", tabular.ContentTypeCSV, "exp.od.f.csv", csvBody)
	add(FileParquet, "PARQUET", "application/vnd.apache.parquet", "exp.od.f.parquet", pq)
	add(FileDictCSV, "CSV", tabular.ContentTypeCSV, "exp.od.f.dict_csv", dict.Table().CSV())
	add(FileDictJSON, "JSON", "application/json", "exp.od.f.dict_json", dj)
	meta := s.metadata(rel)
	add(FileRDF, "RDF_XML", "application/rdf+xml", "exp.od.f.rdf", meta.RDFXML())
	add(FileTurtle, "RDF_TURTLE", "text/turtle; charset=utf-8", "exp.od.f.ttl", meta.Turtle())
	return nil
}
