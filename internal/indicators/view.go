package indicators

import (
	"context"
	"math"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/monitor"
)

// TrainingKeys are the training figures shown beside the indicators, as monitor indicators
// ("level:D2.A1" is the mean level in that ambito).
var TrainingKeys = []string{"assessed", "persona", "participation", "objectives", "level:D2.A1", "level:D3.A1", "level:D3.A2"}

// dated are the monitor indicators kept per year (the others are the current state).
var dated = map[string]bool{"assessed": true, "participation": true, "objectives": true, "credits": true}

func trainingQuery(key string) (monitor.Query, bool) {
	ind, area, _ := strings.Cut(key, ":")
	for _, k := range TrainingKeys {
		if k == key {
			return monitor.Query{Indicator: ind, Area: area}, true
		}
	}
	return monitor.Query{}, false
}

// TrainingCell is one training figure as monitor returned it (suppressed cells stay hidden).
type TrainingCell struct {
	Key    string  `json:"key"`
	Label  string  `json:"label"`
	Year   string  `json:"year,omitempty"` // "" = the current state
	Pop    int64   `json:"population"`
	Value  float64 `json:"value"`
	Text   string  `json:"text,omitempty"`
	Hidden bool    `json:"suppressed"`
	Empty  bool    `json:"empty,omitempty"`
}

// requireViewer lets in the roles that see training aggregates.
func requireViewer(ctx context.Context) (domain.Actor, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleAnalyst)
	if err != nil {
		return a, err
	}
	if (a.Role == domain.RoleRegional && a.RegionID == 0) || (a.Role == domain.RoleOrganisation && a.OrganisationID == 0) {
		return a, domain.Forbidden("the grant has no scope")
	}
	return a, nil
}

// training reads one training figure for the region (the caller's organisation for an
// organisation training office) and year through monitor's scoped, suppressing queries.
func (s *Service) training(ctx context.Context, a domain.Actor, key string, regionID int64, year, lang string) (TrainingCell, error) {
	q, ok := trainingQuery(key)
	if !ok {
		return TrainingCell{}, domain.Invalid("training", "unknown training figure %q (one of %s)", key, strings.Join(TrainingKeys, ", "))
	}
	if dated[q.Indicator] {
		q.Period = year
	}
	if a.Role != domain.RoleOrganisation {
		q.Region = regionID
	}
	t, err := s.Monitor.Table(ctx, q, "profession", lang)
	if err != nil {
		return TrainingCell{}, err
	}
	c := TrainingCell{Key: key, Label: msg(lang, "ind.tr."+key), Year: q.Period, Pop: t.Total.Pop, Value: t.Total.Value, Text: t.Total.Text,
		Hidden: t.Total.Hidden, Empty: t.Total.Empty}
	return c, nil
}

// AdoptionRow is one indicator in the view: its value in the period, in the comparison
// period, and the mean of the regions that gave it.
type AdoptionRow struct {
	Def        Def     `json:"indicator"`
	Name       string  `json:"name"`
	Now        *Value  `json:"value,omitempty"`
	Before     *Value  `json:"before,omitempty"`
	Change     string  `json:"change,omitempty"`
	Mean       float64 `json:"regions_mean"`
	MeanText   string  `json:"regions_mean_text,omitempty"`
	MeanOf     int     `json:"regions_mean_of"`
	FamilyName string  `json:"family_name"`
}

// TrainingRow is one training figure for the period's year and the comparison period's year.
type TrainingRow struct {
	Now    TrainingCell  `json:"now"`
	Before *TrainingCell `json:"before,omitempty"`
}

// View is the page's main content: for a region and period, the adoption indicators beside
// the training figures, with a comparison period.
type View struct {
	RegionID   int64         `json:"region_id"`
	Region     string        `json:"region"`
	Period     string        `json:"period"`
	PeriodName string        `json:"period_label"`
	Before     string        `json:"before,omitempty"`
	BeforeName string        `json:"before_label,omitempty"`
	Adoption   []AdoptionRow `json:"adoption"`
	Training   []TrainingRow `json:"training"`
	// OwnOrganisation is set when the training figures are an organisation's, not the region's.
	OwnOrganisation bool    `json:"own_organisation,omitempty"`
	SameYear        bool    `json:"same_year,omitempty"`
	Organisations   []Value `json:"organisation_values,omitempty"`
	Synthetic       bool    `json:"synthetic"`
	Threshold       int     `json:"threshold"`
}

// Beside builds the view for a region and period (the latest with values when empty), with
// before as the comparison period (none when empty). A regional referent sees their region,
// an organisation training office their organisation's region with their own training figures.
func (s *Service) Beside(ctx context.Context, regionID int64, period, before, lang string) (View, error) {
	a, err := requireViewer(ctx)
	if err != nil {
		return View{}, err
	}
	v := View{Threshold: monitor.DefaultThreshold}
	if s.Monitor != nil && s.Monitor.Threshold > 0 {
		v.Threshold = s.Monitor.Threshold
	}
	rs, err := s.regions(ctx)
	if err != nil {
		return v, err
	}
	switch a.Role {
	case domain.RoleRegional:
		if regionID == 0 {
			regionID = a.RegionID
		}
		if regionID != a.RegionID {
			return v, domain.NotFound("region")
		}
	case domain.RoleOrganisation:
		var own int64
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(region_id, 0) FROM organisations WHERE id = $1`, a.OrganisationID).Scan(&own); err != nil {
			return v, err
		}
		if regionID == 0 {
			regionID = own
		}
		if regionID != own {
			return v, domain.NotFound("region")
		}
		v.OwnOrganisation = true
	}
	periods, err := s.Periods(ctx)
	if err != nil {
		return v, err
	}
	var per, bef Period
	if period == "" && len(periods) > 0 {
		per = periods[len(periods)-1]
	} else if period != "" {
		if per, err = ParsePeriod(period); err != nil {
			return v, domain.Invalid("period", "%s", err.Error())
		}
	}
	if before != "" {
		if bef, err = ParsePeriod(before); err != nil {
			return v, domain.Invalid("before", "%s", err.Error())
		}
	}
	if regionID == 0 {
		regionID = 90 // Toscana, the demo region, when a national viewer has not chosen
	}
	for _, r := range rs {
		if r.ID == regionID {
			v.RegionID, v.Region = r.ID, r.Name
		}
	}
	if v.RegionID == 0 {
		return v, domain.NotFound("region")
	}
	if per.Code == "" {
		return v, nil
	}
	v.Period, v.PeriodName = per.Code, per.Label(lang)
	all, err := s.Values(ctx, Filter{Period: per.Code}, lang)
	if err != nil {
		return v, err
	}
	var old []Value
	if bef.Code != "" {
		v.Before, v.BeforeName = bef.Code, bef.Label(lang)
		if old, err = s.Values(ctx, Filter{Period: bef.Code, Region: v.RegionID}, lang); err != nil {
			return v, err
		}
	}
	for _, d := range Catalogue {
		row := AdoptionRow{Def: d, Name: d.Name(lang), FamilyName: msg(lang, "ind.family."+d.Family)}
		sum := 0.0
		for i := range all {
			x := all[i]
			if x.Indicator != d.Code {
				continue
			}
			sum += x.Value
			row.MeanOf++
			// The means and the correlation use every region's values: any synthetic one on
			// the page is announced.
			v.Synthetic = v.Synthetic || x.Synthetic
			if x.RegionID == v.RegionID {
				row.Now = &x
			}
		}
		if row.MeanOf > 0 {
			row.Mean = sum / float64(row.MeanOf)
			row.MeanText = FormatValue(d, row.Mean, lang)
		}
		for i := range old {
			if old[i].Indicator == d.Code {
				x := old[i]
				row.Before = &x
			}
		}
		if row.Now != nil && row.Before != nil {
			row.Change = signed(d, row.Now.Value-row.Before.Value, lang)
		}
		v.Adoption = append(v.Adoption, row)
	}
	orgVals, err := s.Values(ctx, Filter{Period: per.Code, Region: v.RegionID, Organisations: true}, lang)
	if err != nil {
		return v, err
	}
	for _, x := range orgVals {
		if x.OrganisationID != 0 {
			v.Organisations = append(v.Organisations, x)
		}
	}
	v.SameYear = bef.Code != "" && bef.Year() == per.Year()
	for _, k := range TrainingKeys {
		now, err := s.training(ctx, a, k, v.RegionID, per.Year(), lang)
		if err != nil {
			return v, err
		}
		row := TrainingRow{Now: now}
		if bef.Code != "" {
			b, err := s.training(ctx, a, k, v.RegionID, bef.Year(), lang)
			if err != nil {
				return v, err
			}
			row.Before = &b
		}
		v.Training = append(v.Training, row)
	}
	return v, nil
}

func signed(d Def, delta float64, lang string) string {
	s := FormatValue(d, math.Abs(delta), lang)
	if d.Percent() {
		s = strings.TrimSuffix(s, " %") + " p.p."
		if lang != "en" {
			s = strings.TrimSuffix(s, " p.p.") + " punti"
		}
	}
	switch {
	case delta > 0:
		return "+" + s
	case delta < 0:
		return "−" + s
	}
	return s
}

// Point is one region of the correlation.
type Point struct {
	RegionID int64   `json:"region_id"`
	Region   string  `json:"region"`
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	XText    string  `json:"x_text"`
	YText    string  `json:"y_text"`
	Pop      int64   `json:"population"`
}

// Correlation is the scatter of an adoption indicator against a training figure across the
// regions, with Pearson's r over the regions where both are visible.
type Correlation struct {
	X        string  `json:"x"`
	Y        string  `json:"y"`
	XName    string  `json:"x_name"`
	YName    string  `json:"y_name"`
	Period   string  `json:"period"`
	Year     string  `json:"year,omitempty"`
	Points   []Point `json:"points"`
	N        int     `json:"n"`
	R        float64 `json:"r"`
	RText    string  `json:"r_text,omitempty"`
	Strength string  `json:"strength,omitempty"`
	// Excluded counts regions with an indicator value whose training figure is hidden or missing.
	Excluded int `json:"excluded"`
	// Scoped is true when the caller may not see every region's training figures.
	Scoped bool   `json:"scoped,omitempty"`
	Note   string `json:"note"`
}

// Correlate relates indicator x to training figure y across regions for the period. Only
// national governance and analysts see every region's training figures; for other viewers the
// answer is Scoped with no points.
func (s *Service) Correlate(ctx context.Context, x, y, period, lang string) (Correlation, error) {
	a, err := requireViewer(ctx)
	if err != nil {
		return Correlation{}, err
	}
	d, ok := Lookup(x)
	if !ok {
		return Correlation{}, domain.Invalid("x", "unknown indicator %q (one of %s)", x, strings.Join(Codes(), ", "))
	}
	q, ok := trainingQuery(y)
	if !ok {
		return Correlation{}, domain.Invalid("y", "unknown training figure %q (one of %s)", y, strings.Join(TrainingKeys, ", "))
	}
	c := Correlation{X: d.Code, Y: y, XName: d.Name(lang), YName: msg(lang, "ind.tr."+y), Note: msg(lang, "ind.corr.causation"), Points: []Point{}, R: math.NaN()}
	if period == "" {
		ps, err := s.Periods(ctx)
		if err != nil {
			return c, err
		}
		if len(ps) == 0 {
			c.R = 0
			return c, nil
		}
		period = ps[len(ps)-1].Code
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return c, domain.Invalid("period", "%s", err.Error())
	}
	c.Period = per.Code
	if a.Role != domain.RoleNational && a.Role != domain.RoleAnalyst && a.Role != domain.RoleSystem {
		c.Scoped, c.R = true, 0
		return c, nil
	}
	if dated[q.Indicator] {
		q.Period = per.Year()
		c.Year = q.Period
	}
	t, err := s.Monitor.Table(ctx, q, "region", lang)
	if err != nil {
		return c, err
	}
	tr := map[int64]monitor.Row{}
	for _, r := range t.Rows {
		tr[r.ID] = r
	}
	vals, err := s.Values(ctx, Filter{Indicator: d.Code, Period: per.Code}, lang)
	if err != nil {
		return c, err
	}
	for _, v := range vals {
		r, ok := tr[v.RegionID]
		if !ok || r.Hidden || r.Empty {
			c.Excluded++
			continue
		}
		c.Points = append(c.Points, Point{RegionID: v.RegionID, Region: v.Region, X: v.Value, Y: r.Value, XText: v.Text, YText: r.Text, Pop: r.Pop})
	}
	c.N = len(c.Points)
	xs, ys := make([]float64, c.N), make([]float64, c.N)
	for i, p := range c.Points {
		xs[i], ys[i] = p.X, p.Y
	}
	c.R = Pearson(xs, ys)
	if !math.IsNaN(c.R) {
		c.RText = strconv.FormatFloat(c.R, 'f', 2, 64)
		if lang != "en" {
			c.RText = strings.Replace(c.RText, ".", ",", 1)
		}
		ar := math.Abs(c.R)
		switch {
		case ar < 0.1:
			c.Strength = msg(lang, "ind.corr.strength.none")
		case ar < 0.4:
			c.Strength = msg(lang, "ind.corr.strength.weak")
		case ar < 0.7:
			c.Strength = msg(lang, "ind.corr.strength.moderate")
		default:
			c.Strength = msg(lang, "ind.corr.strength.strong")
		}
	} else {
		c.R = 0
	}
	return c, nil
}

// Pearson is the correlation coefficient of xs and ys; NaN with fewer than 3 pairs or when
// either has no variance.
func Pearson(xs, ys []float64) float64 {
	n := len(xs)
	if n < 3 || n != len(ys) {
		return math.NaN()
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}
