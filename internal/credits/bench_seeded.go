package credits

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// SeededWorld is what the seeded benchmarks measure on: every professional of the database
// (the seed's) and its largest organisation by staff.
type SeededWorld struct {
	IDs          []int64
	Organisation int64
	Region       int64
	Staff        int
	Entries      int
}

// LoadSeededWorld reads the professionals, the organisation with the most staff and the
// ledger's size of a seeded database. It writes nothing.
func LoadSeededWorld(ctx context.Context, d *db.DB) (SeededWorld, error) {
	var w SeededWorld
	var err error
	if w.IDs, err = db.Int64s(ctx, d.Read, `SELECT id FROM professionals ORDER BY id`); err != nil {
		return w, err
	}
	if len(w.IDs) == 0 {
		return w, fmt.Errorf("the database has no professionals: run esd seed first")
	}
	err = d.Read.QueryRowContext(ctx, `SELECT p.organisation_id, o.region_id, COUNT(*) FROM professionals p JOIN organisations o ON o.id = p.organisation_id
		GROUP BY p.organisation_id, o.region_id ORDER BY COUNT(*) DESC, p.organisation_id LIMIT 1`).Scan(&w.Organisation, &w.Region, &w.Staff)
	if err != nil {
		return w, fmt.Errorf("largest organisation: %w", err)
	}
	err = d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_entries`).Scan(&w.Entries)
	return w, err
}

// BenchBalanceOn measures a professional's balance (Service.Balance: scope check, the whole
// ledger, the chain of trienni, explanations) over calls random professionals of ids,
// against a primary-key lookup of a professional. Target (issue 12): p99 ≤ 5 ms at L.
func BenchBalanceOn(ctx context.Context, s *Service, ids []int64, calls int) ([]BenchFigure, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < min(200, calls); i++ { // warm-up
		if _, err := s.Balance(ctx, ids[rng.IntN(len(ids))], 0); err != nil {
			return nil, err
		}
	}
	lat := make([]float64, 0, calls)
	for i := 0; i < calls; i++ {
		id := ids[rng.IntN(len(ids))]
		t0 := time.Now()
		if _, err := s.Balance(ctx, id, 0); err != nil {
			return nil, err
		}
		lat = append(lat, ms(time.Since(t0)))
	}
	p50, p95, p99 := quantiles(lat)
	b50, b95, b99, err := pkBaseline(ctx, s.DB, ids, calls, rng)
	if err != nil {
		return nil, err
	}
	return []BenchFigure{
		{Metric: "balance_p50_ms", Value: p50, Unit: "ms", Baseline: b50, Ratio: ratio(p50, b50)},
		{Metric: "balance_p95_ms", Value: p95, Unit: "ms", Baseline: b95, Ratio: ratio(p95, b95)},
		{Metric: "balance_p99_ms", Value: p99, Unit: "ms", Baseline: b99, Ratio: ratio(p99, b99), Target: 5},
	}, nil
}

// BenchComplianceOn measures the compliance view of organisation org (in region) as its
// training office, calls times after a few warm-up calls, against primary-key lookups of
// the professionals ids. Target (issue 12): p95 ≤ 200 ms at L for the largest organisation.
func BenchComplianceOn(ctx context.Context, s *Service, org, region int64, ids []int64, calls int) ([]BenchFigure, error) {
	sys := domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	office := domain.WithRequestID(domain.WithActor(ctx, domain.Actor{Role: domain.RoleOrganisation, Username: "bench.office", OrganisationID: org, RegionID: region}), "bench")
	var staff int
	lat := make([]float64, 0, calls)
	for i := 0; i < calls+min(20, calls); i++ {
		t0 := time.Now()
		v, err := s.Compliance(office, ComplianceQuery{})
		if err != nil {
			return nil, err
		}
		if i >= min(20, calls) {
			lat = append(lat, ms(time.Since(t0)))
		}
		staff = v.Total.Professionals
	}
	p50, p95, p99 := quantiles(lat)
	rng := rand.New(rand.NewPCG(3, 4))
	b50, b95, b99, err := pkBaseline(sys, s.DB, ids, calls*10, rng)
	if err != nil {
		return nil, err
	}
	return []BenchFigure{
		{Metric: "org_staff", Value: float64(staff), Unit: "professionals"},
		{Metric: "compliance_p50_ms", Value: p50, Unit: "ms", Baseline: b50, Ratio: ratio(p50, b50)},
		{Metric: "compliance_p95_ms", Value: p95, Unit: "ms", Baseline: b95, Ratio: ratio(p95, b95), Target: 200},
		{Metric: "compliance_p99_ms", Value: p99, Unit: "ms", Baseline: b99, Ratio: ratio(p99, b99)},
	}, nil
}

// BenchRecomputeOn measures RecomputeAll over every professional of the service's database
// against a Go row-streaming scan of the whole ledger (the least any recompute must read),
// and projects it to the 1.3 M professionals of the national target (≤ 120 s). The stored
// balances it rewrites are the ones the rules in force give, so a seeded database is left
// as it was.
func BenchRecomputeOn(ctx context.Context, s *Service) ([]BenchFigure, RecomputeResult, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	t0 := time.Now()
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, professional_id, triennium, kind, role, credits, status, earned_on FROM credit_entries ORDER BY professional_id`)
	if err != nil {
		return nil, RecomputeResult{}, err
	}
	scanned := 0
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.ProfessionalID, &e.Triennium, &e.Kind, &e.Role, &e.Credits, &e.Status, &e.EarnedOn); err != nil {
			rows.Close()
			return nil, RecomputeResult{}, err
		}
		scanned++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, RecomputeResult{}, err
	}
	scanSecs := time.Since(t0).Seconds()
	t0 = time.Now()
	rr, err := s.RecomputeAll(ctx, nil)
	if err != nil {
		return nil, rr, err
	}
	recSecs := time.Since(t0).Seconds()
	projected := recSecs / float64(max(1, rr.Professionals)) * 1_300_000
	return []BenchFigure{
		{Metric: "recompute_s", Value: recSecs, Unit: "s", Baseline: scanSecs, Ratio: ratio(recSecs, scanSecs)},
		{Metric: "recompute_professionals_per_s", Value: float64(rr.Professionals) / recSecs, Unit: "1/s"},
		{Metric: "recompute_projected_1_3M_s", Value: projected, Unit: "s", Target: 120},
		{Metric: "ledger_scan_rows_per_s", Value: float64(scanned) / max(scanSecs, 1e-9), Unit: "1/s"},
	}, rr, nil
}
