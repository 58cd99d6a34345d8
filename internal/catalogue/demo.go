package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"esd/internal/catalogue/cattest"
	"esd/internal/italian"
)

// DemoProviders are the providers of the demo catalogue (fictional, marked "demo"), seated
// in regions by their Ministry code. The first stands in for the registry's demo provider
// when there is none.
var DemoProviders = []struct{ Code, Name, Region string }{
	{"DEMO-P01", "Centro Formazione Sanità Digitale (demo)", "090"},
	{"DEMO-P02", "Accademia Lombarda per la Salute Digitale (demo)", "030"},
	{"DEMO-P03", "Istituto Nazionale Formazione ECM (demo)", "120"},
	{"DEMO-P04", "Scuola Veneta di Telemedicina (demo)", "050"},
	{"DEMO-P05", "Consorzio Formazione Sanitaria Sud (demo)", "150"},
	{"DEMO-P06", "Ordini delle Professioni Sanitarie – Formazione (demo)", "160"},
}

// DemoResult says what the demo step did.
type DemoResult struct {
	Providers []int64
	Created   int
}

// LoadDemo builds the demo catalogue (idempotent: it does nothing when the demo events are
// there): 622 events of 2023–2024 whose titles the programme's keywords find (440 RES, 106
// FAD, 71 FSC, 5 blended, 19 of them in 2024 on the theme "sanità digitale"), 90
// digital-health events of the same years the keywords miss but the lines find, 40
// unrelated events, 80 upcoming editions to search and recommend, and a few events waiting
// for accreditation. Every event is mapped to the lines of its topic. It needs the
// reference tables and a portfolio; on a database without them (before the registry and
// the portfolio capabilities load theirs) it loads the fixtures of cattest.
//
// mainProvider is the registry's demo provider (the scope of the demo provider account);
// 0 creates a stand-in.
func (s *Service) LoadDemo(ctx context.Context, mainProvider int64) (DemoResult, error) {
	var res DemoResult
	d := s.DB
	var profs int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professions`).Scan(&profs); err != nil {
		return res, err
	}
	if profs == 0 {
		if err := cattest.EnsureReference(ctx, d); err != nil {
			return res, err
		}
	}
	if ok, err := cattest.HasPortfolio(ctx, d); err != nil {
		return res, err
	} else if !ok {
		if _, err := cattest.EnsurePortfolio(ctx, d); err != nil {
			return res, err
		}
	}
	var gp []GenProvider
	for i, p := range DemoProviders {
		if i == 0 && mainProvider != 0 {
			var reg sql.NullInt64
			if err := d.Read.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1`, mainProvider).Scan(&reg); err != nil {
				return res, fmt.Errorf("demo provider %d: %w", mainProvider, err)
			}
			res.Providers = append(res.Providers, mainProvider)
			gp = append(gp, GenProvider{ID: mainProvider, RegionID: reg.Int64})
			continue
		}
		reg, err := cattest.RegionID(ctx, d, p.Region)
		if err != nil {
			return res, fmt.Errorf("demo provider %s: region %s: %w", p.Code, p.Region, err)
		}
		id, err := cattest.Provider(ctx, d, p.Code, p.Name, reg)
		if err != nil {
			return res, err
		}
		res.Providers = append(res.Providers, id)
		gp = append(gp, GenProvider{ID: id, RegionID: reg})
	}
	var n int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE provider_id = $1 AND code LIKE 'DEMO-%'`, gp[0].ID).Scan(&n); err != nil {
		return res, err
	}
	if n > 0 {
		return res, nil
	}
	g, err := s.NewGenerator(ctx, 2024, gp)
	if err != nil {
		return res, err
	}
	var kws [][]string
	for _, k := range DefaultKeywords {
		kws = append(kws, italian.Analyze(k))
	}
	yes, no := true, false
	var evs []EventInput
	seq := 0
	next := func(sp Spec) {
		seq++
		sp.Code = fmt.Sprintf("DEMO-%04d", seq)
		evs = append(evs, g.Event(sp))
	}
	day := func(from time.Time, days int) time.Time { return from.AddDate(0, 0, g.pick(days)) }
	y2023 := time.Date(2023, 1, 9, 0, 0, 0, 0, time.UTC)
	y2024 := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
	// The programme's 622: RES 440, FAD 106, FSC 71, blended 5; 19 of the 2024 ones on the
	// national-interest theme "sanità digitale". Events start at least a month before the
	// year ends, so their editions stay inside the two years.
	themed := 0
	for _, tw := range typeWeights {
		for i := 0; i < tw.w; i++ {
			start := day(y2023, 300)
			if i%20 >= 9 { // 55 % in 2024
				start = day(y2024, 300)
			}
			sp := Spec{Type: tw.t, Keyword: &yes, Keywords: kws, Start: start}
			if start.Year() == 2024 && themed < 19 && i%5 == 0 {
				sp.Theme = "sanita_digitale"
				themed++
			}
			next(sp)
		}
	}
	// Digital-health events the keywords miss: found only by their lines.
	for i := 0; i < 90; i++ {
		next(Spec{Keyword: &no, Keywords: kws, Start: day(y2023, 660)})
	}
	// Unrelated events.
	for i := 0; i < 40; i++ {
		next(Spec{Topic: "other", Keyword: &no, Keywords: kws, Start: day(y2023, 660)})
	}
	// Upcoming editions, for the search and the recommendations.
	today := time.Now().UTC()
	for i := 0; i < 80; i++ {
		next(Spec{Start: day(today.AddDate(0, 0, 3), 300)})
	}
	// Waiting for accreditation, and drafts of the demo provider.
	for i := 0; i < 10; i++ {
		state := StateSubmitted
		if i >= 6 {
			state = StateDraft
		}
		next(Spec{Provider: &gp[i%2], State: state, Start: day(today.AddDate(0, 1, 0), 200)})
	}
	w, err := s.BulkLoad(ctx, evs, 500, nil)
	res.Created = w
	if err != nil {
		return res, err
	}
	if themed != 19 {
		return res, fmt.Errorf("demo catalogue: %d themed events, want 19", themed)
	}
	return res, nil
}
