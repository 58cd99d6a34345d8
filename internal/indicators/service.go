package indicators

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/monitor"
	"esd/internal/textnorm"
)

// Service stores the indicator values and builds the views beside training.
type Service struct {
	DB *db.DB
	// Monitor is the only way training figures are read: its queries apply the caller's
	// scope and suppress small cells.
	Monitor *monitor.Service
	Log     *slog.Logger
}

// New returns the service.
func New(d *db.DB, m *monitor.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Monitor: m, Log: log}
}

// Value is one stored indicator value.
type Value struct {
	Indicator      string    `json:"indicator"`
	RegionID       int64     `json:"region_id"`
	Region         string    `json:"region"`
	OrganisationID int64     `json:"organisation_id,omitempty"`
	Organisation   string    `json:"organisation,omitempty"`
	Period         string    `json:"period"`
	Value          float64   `json:"value"`
	Text           string    `json:"text"`
	Source         string    `json:"source"`
	Synthetic      bool      `json:"synthetic"`
	Note           string    `json:"note,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
	first, last    int
	id             int64
}

// ImportOptions tune an import.
type ImportOptions struct {
	DryRun bool   // check only, write nothing
	Lang   string // language of the problems: "it" (default) or "en"
}

// ImportResult reports what an import did (or, with problems, why it did nothing).
type ImportResult struct {
	Rows      int              `json:"rows"`
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Encoding  string           `json:"encoding"`
	Separator string           `json:"separator"`
	DryRun    bool             `json:"dry_run"`
	Millis    int64            `json:"ms"`
	Problems  []domain.Problem `json:"problems,omitempty"`
	// Replaced lists the values a newer one replaced (the audit trail keeps them too).
	Replaced []Replacement `json:"replaced,omitempty"`
}

// Replacement is a stored value replaced by the import.
type Replacement struct {
	Line      int     `json:"line"`
	Indicator string  `json:"indicator"`
	Region    string  `json:"region"`
	Period    string  `json:"period"`
	Old       float64 `json:"old"`
	New       float64 `json:"new"`
}

// requireImporter lets in national governance (every region) and regional referents (their
// region only, checked per row).
func requireImporter(ctx context.Context) (domain.Actor, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return a, err
	}
	if a.Role == domain.RoleRegional && a.RegionID == 0 {
		return a, domain.Forbidden("the grant has no scope")
	}
	return a, nil
}

// region is what the importer and the views need of a region.
type region struct {
	ID                 int64
	ISTAT, MinSal, ISO string
	Name               string
}

func (s *Service) regions(ctx context.Context) ([]region, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, istat_code, minsal_code, iso_code, name FROM regions ORDER BY minsal_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []region
	for rows.Next() {
		var r region
		if err := rows.Scan(&r.ID, &r.ISTAT, &r.MinSal, &r.ISO, &r.Name); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// regionIndex resolves the codes a file may use: the Ministry of Health code (090), the ISTAT
// code (09; 021 and 022 for the autonomous provinces), the ISO 3166-2 code (IT-52) and the name.
func regionIndex(rs []region) map[string]region {
	m := map[string]region{}
	for _, r := range rs {
		for _, k := range []string{r.MinSal, r.ISTAT, strings.ToUpper(r.ISO), textnorm.Fold(r.Name)} {
			if k != "" {
				m[k] = r
			}
		}
	}
	return m
}

type orgRef struct {
	ID, Region int64
	Name       string
}

// Import reads an indicator CSV and stores its values, all or nothing: every problem (line,
// column, reason, value) is reported and, if there is any, nothing is written. A value equal to
// the stored one is left alone (re-importing a file writes nothing, not even audit entries);
// a different one replaces it with an audit entry keeping the old value.
func (s *Service) Import(ctx context.Context, r io.Reader, o ImportOptions) (ImportResult, error) {
	start := time.Now()
	res := ImportResult{DryRun: o.DryRun}
	a, err := requireImporter(ctx)
	if err != nil {
		return res, err
	}
	lang := o.Lang
	b, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return res, err
	}
	if len(b) > MaxImportBytes {
		return res, domain.Invalid("file", "%s", msgf(lang, "ind.err.too_big", MaxImportBytes>>20))
	}
	raw, enc, sep, err := parseFile(b, lang)
	res.Encoding, res.Separator = enc, sep
	if err != nil {
		return res, domain.Invalid("file", "%s", err.Error())
	}
	res.Rows = len(raw)
	if len(raw) == 0 {
		return res, domain.Invalid("file", "%s", msg(lang, "ind.err.norows"))
	}
	rs, err := s.regions(ctx)
	if err != nil {
		return res, err
	}
	rix := regionIndex(rs)
	orgs, err := s.orgIndex(ctx, raw)
	if err != nil {
		return res, err
	}
	stored, err := s.stored(ctx)
	if err != nil {
		return res, err
	}
	type parsed struct {
		line int
		def  Def
		reg  region
		org  orgRef
		per  Period
		v    Value
	}
	var good []parsed
	problem := func(line int, field, value, key string, args ...any) {
		res.Problems = append(res.Problems, domain.Problem{Line: line, Field: field, Reason: msgf(lang, key, args...), Value: value})
	}
	seen := map[string]int{}        // key → line
	series := map[string][]parsed{} // indicator|region|org → rows of the file
	for _, row := range raw {
		ok := true
		def, found := Lookup(row.Indicator)
		if !found {
			problem(row.Line, "indicatore", row.Indicator, "ind.err.indicator", strings.Join(Codes(), ", "))
			ok = false
		}
		reg, found := rix[strings.ToUpper(row.Region)]
		if !found {
			reg, found = rix[textnorm.Fold(row.Region)]
		}
		switch {
		case row.Region == "":
			problem(row.Line, "regione", row.Region, "ind.err.region_missing")
			ok = false
		case row.Region == "04":
			problem(row.Line, "regione", row.Region, "ind.err.region_taa")
			ok = false
		case !found:
			problem(row.Line, "regione", row.Region, "ind.err.region")
			ok = false
		case a.Role == domain.RoleRegional && reg.ID != a.RegionID:
			problem(row.Line, "regione", row.Region, "ind.err.region_scope")
			ok = false
		}
		var org orgRef
		if row.Org != "" && row.Org != "0" {
			cands := orgs[row.Org]
			var in []orgRef
			for _, c := range cands {
				if !found || c.Region == reg.ID {
					in = append(in, c)
				}
			}
			switch {
			case len(cands) == 0:
				problem(row.Line, "azienda", row.Org, "ind.err.org")
				ok = false
			case len(in) == 0:
				problem(row.Line, "azienda", row.Org, "ind.err.org_region", reg.Name)
				ok = false
			case len(in) > 1:
				problem(row.Line, "azienda", row.Org, "ind.err.org_ambiguous")
				ok = false
			default:
				org = in[0]
			}
		}
		per, err := ParsePeriod(row.Period)
		if err != nil {
			problem(row.Line, "periodo", row.Period, "ind.err.period")
			ok = false
		}
		v, err := ParseValue(row.Value, found && !def.Percent())
		if err != nil {
			problem(row.Line, "valore", row.Value, "ind.err.value")
			ok = false
		} else if def.Code != "" && (v < def.Min || v > def.Max) {
			problem(row.Line, "valore", row.Value, "ind.err.range", FormatValue(def, def.Min, lang), FormatValue(def, def.Max, lang), def.Code)
			ok = false
		} else if def.Code != "" && !def.Percent() && v != math.Trunc(v) {
			problem(row.Line, "valore", row.Value, "ind.err.integer", def.Code)
			ok = false
		}
		if !ok {
			continue
		}
		src := row.Source
		if !row.hasSource || src == "" {
			src = msg(lang, "ind.source.import")
		}
		p := parsed{line: row.Line, def: def, reg: reg, org: org, per: per,
			v: Value{Indicator: def.Code, RegionID: reg.ID, Region: reg.Name, OrganisationID: org.ID, Period: per.Code, Value: v, Source: src, Note: row.Note,
				first: per.First, last: per.Last}}
		k := key(def.Code, reg.ID, org.ID, per.Code)
		if l, dup := seen[k]; dup {
			problem(row.Line, "periodo", row.Period, "ind.err.duplicate", l)
			continue
		}
		seen[k] = row.Line
		sk := fmt.Sprintf("%s|%d|%d", def.Code, reg.ID, org.ID)
		clash := false
		for _, q := range series[sk] {
			if q.per.Overlaps(per) {
				problem(row.Line, "periodo", row.Period, "ind.err.overlap_file", q.per.Code, q.line)
				clash = true
			}
		}
		for _, sv := range stored.series[sk] {
			if sv.Period != per.Code && sv.first <= per.Last && per.First <= sv.last {
				problem(row.Line, "periodo", row.Period, "ind.err.overlap_stored", sv.Period)
				clash = true
			}
		}
		series[sk] = append(series[sk], p)
		if !clash {
			good = append(good, p)
		}
	}
	if len(res.Problems) > 0 {
		sort.SliceStable(res.Problems, func(i, j int) bool { return res.Problems[i].Line < res.Problems[j].Line })
		res.Millis = time.Since(start).Milliseconds()
		return res, &domain.Error{Code: domain.EINVALID, Message: msgf(lang, "ind.err.rejected", len(res.Problems)), Details: res.Problems}
	}
	type update struct {
		p   parsed
		old Value
	}
	var creates []parsed
	var updates []update
	for _, p := range good {
		old, ok := stored.byKey[key(p.v.Indicator, p.v.RegionID, p.v.OrganisationID, p.v.Period)]
		switch {
		case !ok:
			creates = append(creates, p)
		case old.Value == p.v.Value && old.Source == p.v.Source && old.Note == p.v.Note:
			res.Unchanged++
		default:
			updates = append(updates, update{p, old})
			res.Replaced = append(res.Replaced, Replacement{Line: p.line, Indicator: p.v.Indicator, Region: p.reg.Name, Period: p.v.Period, Old: old.Value, New: p.v.Value})
		}
	}
	res.Created, res.Updated = len(creates), len(updates)
	if o.DryRun || len(creates)+len(updates) == 0 {
		res.Millis = time.Since(start).Milliseconds()
		return res, nil
	}
	now := db.Now()
	rec := audit.NewRecorder(ctx)
	rec.Dialect = s.DB.Dialect
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO indicator_values (indicator, region_id, organisation_id, period, first_month, last_month, value, source, note, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, p := range creates {
			v := p.v
			if _, err := ins.ExecContext(ctx, v.Indicator, v.RegionID, v.OrganisationID, v.Period, v.first, v.last, v.Value, v.Source, v.Note, now); err != nil {
				return db.MapError(err)
			}
			rec.Add(audit.Change{Action: "create", Entity: "indicator_value", EntityID: key(v.Indicator, v.RegionID, v.OrganisationID, v.Period), RegionID: v.RegionID, After: snapshot(v)})
		}
		for _, u := range updates {
			v := u.p.v
			if _, err := tx.ExecContext(ctx, `UPDATE indicator_values SET value = $1, source = $2, note = $3, updated_at = $4 WHERE id = $5`,
				v.Value, v.Source, v.Note, now, u.old.id); err != nil {
				return err
			}
			rec.Add(audit.Change{Action: "update", Entity: "indicator_value", EntityID: key(v.Indicator, v.RegionID, v.OrganisationID, v.Period), RegionID: v.RegionID,
				Before: snapshot(u.old), After: snapshot(v)})
		}
		var region int64
		if a.Role == domain.RoleRegional {
			region = a.RegionID
		}
		rec.Add(audit.Change{Action: "import", Entity: "indicator_values", EntityID: "csv", RegionID: region,
			After: map[string]any{"rows": res.Rows, "created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged, "encoding": enc}})
		return rec.Flush(tx)
	})
	res.Millis = time.Since(start).Milliseconds()
	return res, err
}

func key(ind string, region, org int64, period string) string {
	return fmt.Sprintf("%s|%d|%d|%s", ind, region, org, period)
}

func snapshot(v Value) map[string]any {
	return map[string]any{"value": v.Value, "source": v.Source, "note": v.Note}
}

type storedSet struct {
	byKey  map[string]Value
	series map[string][]Value
}

func (s *Service) stored(ctx context.Context) (storedSet, error) {
	out := storedSet{byKey: map[string]Value{}, series: map[string][]Value{}}
	vs, err := s.query(ctx, "", nil)
	if err != nil {
		return out, err
	}
	for _, v := range vs {
		out.byKey[key(v.Indicator, v.RegionID, v.OrganisationID, v.Period)] = v
		sk := fmt.Sprintf("%s|%d|%d", v.Indicator, v.RegionID, v.OrganisationID)
		out.series[sk] = append(out.series[sk], v)
	}
	return out, nil
}

// orgIndex looks up the organisation codes the file uses (health organisations only, never
// providers).
func (s *Service) orgIndex(ctx context.Context, raw []rawRow) (map[string][]orgRef, error) {
	codes := map[string]bool{}
	for _, r := range raw {
		if r.Org != "" && r.Org != "0" {
			codes[r.Org] = true
		}
	}
	out := map[string][]orgRef{}
	for c := range codes {
		rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, COALESCE(region_id, 0), name FROM organisations WHERE code = $1 AND kind <> 'provider'`, c)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var o orgRef
			if err := rows.Scan(&o.ID, &o.Region, &o.Name); err != nil {
				rows.Close()
				return nil, err
			}
			out[c] = append(out[c], o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// query reads stored values, optionally restricted by a WHERE clause.
func (s *Service) query(ctx context.Context, where string, args []any) ([]Value, error) {
	q := `SELECT v.id, v.indicator, v.region_id, r.name, v.organisation_id, COALESCE(o.name, ''), v.period, v.first_month, v.last_month, v.value, v.source, v.note, v.updated_at
		FROM indicator_values v JOIN regions r ON r.id = v.region_id LEFT JOIN organisations o ON o.id = v.organisation_id`
	if where != "" {
		q += " WHERE " + where
	}
	q += " ORDER BY v.indicator, r.minsal_code, v.organisation_id, v.first_month, v.last_month"
	rows, err := s.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Value
	for rows.Next() {
		var v Value
		if err := rows.Scan(&v.id, &v.Indicator, &v.RegionID, &v.Region, &v.OrganisationID, &v.Organisation, &v.Period, &v.first, &v.last, &v.Value, &v.Source, &v.Note, &v.UpdatedAt); err != nil {
			return nil, err
		}
		v.Synthetic = IsSynthetic(v.Source)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Filter selects stored values; zero values mean all.
type Filter struct {
	Indicator string
	Region    int64
	Period    string
	// Organisations includes the values given per organisation (the views use the region's).
	Organisations bool
}

// Values lists stored values. They are public aggregates: every signed-in user may read them.
func (s *Service) Values(ctx context.Context, f Filter, lang string) ([]Value, error) {
	if !domain.ActorFrom(ctx).Authenticated() {
		return nil, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	var conds []string
	var args []any
	if f.Indicator != "" {
		if _, ok := Lookup(f.Indicator); !ok {
			return nil, domain.Invalid("indicator", "unknown indicator %q (one of %s)", f.Indicator, strings.Join(Codes(), ", "))
		}
		args = append(args, strings.ToLower(f.Indicator))
		conds = append(conds, "v.indicator = $"+strconv.Itoa(len(args)))
	}
	if f.Region != 0 {
		args = append(args, f.Region)
		conds = append(conds, "v.region_id = $"+strconv.Itoa(len(args)))
	}
	if f.Period != "" {
		p, err := ParsePeriod(f.Period)
		if err != nil {
			return nil, domain.Invalid("period", "%s", err.Error())
		}
		args = append(args, p.Code)
		conds = append(conds, "v.period = $"+strconv.Itoa(len(args)))
	}
	if !f.Organisations {
		conds = append(conds, "v.organisation_id = 0")
	}
	vs, err := s.query(ctx, strings.Join(conds, " AND "), args)
	for i := range vs {
		d, _ := Lookup(vs[i].Indicator)
		vs[i].Text = FormatValue(d, vs[i].Value, lang)
	}
	if vs == nil {
		vs = []Value{}
	}
	return vs, err
}

// Periods lists the periods with stored values, oldest first.
func (s *Service) Periods(ctx context.Context) ([]Period, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT DISTINCT period, first_month, last_month FROM indicator_values ORDER BY first_month, last_month`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Period
	for rows.Next() {
		var p Period
		if err := rows.Scan(&p.Code, &p.First, &p.Last); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
