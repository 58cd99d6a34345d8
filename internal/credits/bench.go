package credits

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// BenchFigure is one measured figure with its in-run baseline and their ratio (the machine
// is shared and noisy: a ratio holds where a time does not).
type BenchFigure struct {
	Metric   string  `json:"metric"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	Target   float64 `json:"target,omitempty"`
}

// BenchResult is what one credits benchmark measured.
type BenchResult struct {
	Dialect       string        `json:"dialect"`
	Professionals int           `json:"professionals"`
	Entries       int           `json:"entries"`
	SetupSecs     float64       `json:"setup_s"`
	Figures       []BenchFigure `json:"figures"`
}

// Figure returns the named figure (zero if absent).
func (r BenchResult) Figure(metric string) BenchFigure {
	for _, f := range r.Figures {
		if f.Metric == metric {
			return f
		}
	}
	return BenchFigure{}
}

const benchPrefix = "BNCHCR"

// benchWorld makes sure d holds at least n benchmark professionals (prefix BNCHCR) with
// about perProf entries each, topping up what an earlier run left, and returns their ids,
// the largest organisation and the number of entries.
func benchWorld(ctx context.Context, d *db.DB, n, perProf int) ([]int64, int64, int, error) {
	have, err := db.Int64s(ctx, d.Read, `SELECT id FROM professionals WHERE cf LIKE 'BNCHCR%' ORDER BY id`)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(have) < n {
		if _, err := BuildWorld(ctx, d, fmt.Sprintf("%s%d-", benchPrefix, len(have)), n-len(have), perProf); err != nil {
			return nil, 0, 0, err
		}
		if have, err = db.Int64s(ctx, d.Read, `SELECT id FROM professionals WHERE cf LIKE 'BNCHCR%' ORDER BY id`); err != nil {
			return nil, 0, 0, err
		}
	}
	var big int64
	if err := d.Read.QueryRowContext(ctx, `SELECT id FROM organisations WHERE kind = 'asl' AND code = 'CRFX-BIG'`).Scan(&big); err != nil {
		return nil, 0, 0, err
	}
	var ents int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_entries`).Scan(&ents); err != nil {
		return nil, 0, 0, err
	}
	return have, big, ents, nil
}

func quantiles(ms []float64) (p50, p95, p99 float64) {
	if len(ms) == 0 {
		return
	}
	s := append([]float64(nil), ms...)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return q(0.50), q(0.95), q(0.99)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pkBaseline times primary-key lookups of professionals: the in-run baseline of the
// per-request benchmarks.
func pkBaseline(ctx context.Context, d *db.DB, ids []int64, calls int, rng *rand.Rand) (p50, p95, p99 float64, err error) {
	lat := make([]float64, 0, calls)
	for i := 0; i < calls; i++ {
		id := ids[rng.IntN(len(ids))]
		start := time.Now()
		var cf string
		if err := d.Read.QueryRowContext(ctx, `SELECT cf FROM professionals WHERE id = $1`, id).Scan(&cf); err != nil {
			return 0, 0, 0, err
		}
		lat = append(lat, ms(time.Since(start)))
	}
	p50, p95, p99 = quantiles(lat)
	return
}

func ratio(v, base float64) float64 {
	if base <= 0 {
		return 0
	}
	return v / base
}

// BenchBalance measures a professional's balance (Service.Balance: scope check, the whole
// ledger, the chain of trienni, explanations) over calls random professionals of a world of
// n professionals with perProf entries each, against a primary-key lookup of a professional.
// Target (issue 12): p99 ≤ 5 ms at L.
func BenchBalance(ctx context.Context, d *db.DB, n, perProf, calls int) (BenchResult, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	res := BenchResult{Dialect: string(d.Dialect)}
	start := time.Now()
	ids, _, ents, err := benchWorld(ctx, d, n, perProf)
	if err != nil {
		return res, err
	}
	res.Professionals, res.Entries, res.SetupSecs = len(ids), ents, time.Since(start).Seconds()
	s := New(d, nil, nil)
	if err := s.EnsureRules(ctx); err != nil {
		return res, err
	}
	figs, err := BenchBalanceOn(ctx, s, ids, calls)
	res.Figures = figs
	return res, err
}

// BenchCompliance measures the compliance view of the largest organisation (half the
// world's professionals) as its training office, after a full recompute of the stored
// balances, against a primary-key lookup. Target (issue 12): p95 ≤ 200 ms at L.
func BenchCompliance(ctx context.Context, d *db.DB, n, perProf, calls int) (BenchResult, error) {
	sys := domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	res := BenchResult{Dialect: string(d.Dialect)}
	start := time.Now()
	ids, big, ents, err := benchWorld(sys, d, n, perProf)
	if err != nil {
		return res, err
	}
	s := New(d, nil, nil)
	if err := s.EnsureRules(sys); err != nil {
		return res, err
	}
	var stored int
	if err := d.Read.QueryRowContext(sys, `SELECT COUNT(*) FROM credit_balances`).Scan(&stored); err != nil {
		return res, err
	}
	if stored < len(ids) {
		if _, err := s.RecomputeAll(sys, nil); err != nil {
			return res, err
		}
	}
	res.Professionals, res.Entries, res.SetupSecs = len(ids), ents, time.Since(start).Seconds()
	var region int64
	if err := d.Read.QueryRowContext(sys, `SELECT region_id FROM organisations WHERE id = $1`, big).Scan(&region); err != nil {
		return res, err
	}
	figs, err := BenchComplianceOn(ctx, s, big, region, ids, calls)
	res.Figures = figs
	return res, err
}

// BenchRecompute measures RecomputeAll over every professional of d (at least n benchmark
// ones with perProf entries), against a Go row-streaming scan of the whole ledger (the
// least any recompute must read), and posting a 10,000-participant report through
// PostParticipations against a raw multi-row insert of the same entries. Targets (issue
// 12): recompute ≤ 120 s for 1.3 M professionals / ~9 M entries, the report ≤ 2 s on SQLite.
func BenchRecompute(ctx context.Context, d *db.DB, n, perProf int) (BenchResult, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	res := BenchResult{Dialect: string(d.Dialect)}
	start := time.Now()
	ids, _, ents, err := benchWorld(ctx, d, n, perProf)
	if err != nil {
		return res, err
	}
	res.Professionals, res.Entries, res.SetupSecs = len(ids), ents, time.Since(start).Seconds()
	s := New(d, nil, nil)
	if err := s.EnsureRules(ctx); err != nil {
		return res, err
	}
	figs, _, err := BenchRecomputeOn(ctx, s)
	if err != nil {
		return res, err
	}
	res.Figures = append(res.Figures, figs...)
	// A 10,000-participant report: posted through the service vs a raw insert.
	k := min(10_000, len(ids))
	pcs := make([]ParticipationCredit, k)
	var regions map[int64][2]int64
	regions, err = scopes(ctx, d, ids[:k])
	if err != nil {
		return res, err
	}
	base := time.Now().UnixNano() % 1_000_000_000 * 100 // fresh participation ids every run
	for i := 0; i < k; i++ {
		sc := regions[ids[i]]
		pcs[i] = ParticipationCredit{ParticipationID: base + int64(i), ProfessionalID: ids[i], RegionID: sc[0], OrganisationID: sc[1], Role: "P",
			Credits: 8, EarnedOn: "2026-10-10", Certified: true, Title: "Convegno di benchmark"}
	}
	t0 := time.Now()
	if err := d.Tx(ctx, func(tx *sql.Tx) error { return s.PostParticipations(ctx, tx, pcs) }); err != nil {
		return res, err
	}
	postSecs := time.Since(t0).Seconds()
	t0 = time.Now()
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		rows := make([][]any, k)
		for i, p := range pcs {
			rows[i] = entryRow(Entry{ProfessionalID: p.ProfessionalID, RegionID: p.RegionID, OrganisationID: p.OrganisationID, Triennium: 2026,
				Kind: KindParticipation, Role: "P", Credits: 8, Status: StatusCertified, EarnedOn: p.EarnedOn, Title: p.Title}, now)
		}
		if err := db.InsertRows(ctx, tx, d.IsPostgres(), "credit_entries", insertCols, rows); err != nil {
			return err
		}
		return errRollback
	})
	if err != nil && err != errRollback {
		return res, err
	}
	rawSecs := time.Since(t0).Seconds()
	// Remove the benchmark report again so the ledger stays what the world generated.
	if err := d.Tx(ctx, func(tx *sql.Tx) error {
		for i := range pcs {
			pcs[i].Credits = 0
		}
		return s.PostParticipations(ctx, tx, pcs)
	}); err != nil {
		return res, err
	}
	res.Figures = append(res.Figures,
		BenchFigure{Metric: "report_10k_post_s", Value: postSecs, Unit: "s", Baseline: rawSecs, Ratio: ratio(postSecs, rawSecs), Target: 2},
	)
	return res, nil
}

var errRollback = fmt.Errorf("rollback")

func scopes(ctx context.Context, d *db.DB, ids []int64) (map[int64][2]int64, error) {
	out := make(map[int64][2]int64, len(ids))
	err := forChunks(ids, 500, func(chunk []int64) error {
		rows, err := d.Read.QueryContext(ctx, `SELECT id, region_id, COALESCE(organisation_id, 0) FROM professionals WHERE id IN (`+inList(d.IsPostgres(), len(chunk))+`)`, anys(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, r, o int64
			if err := rows.Scan(&id, &r, &o); err != nil {
				return err
			}
			out[id] = [2]int64{r, o}
		}
		return rows.Err()
	})
	return out, err
}
