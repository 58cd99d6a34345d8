package governance

import (
	"context"

	"esd/internal/domain"
)

// Demo gives the demo world a governance history (idempotent: a database with targets is
// left alone): national governance has closed the Indirizzo phase and Toscana has followed;
// two national targets are set, one of them the example (hospital nurses in Toscana
// at level ≥ 2 in the televisita ambito by 31 December 2026, off track in the demo), and
// Toscana's referent has refined it upwards. ctx carries the system actor.
func (s *Service) Demo(ctx context.Context) error {
	var n int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM governance_targets`).Scan(&n); err != nil || n > 0 {
		return err
	}
	if err := s.EnsureDefaultCycle(ctx); err != nil {
		return err
	}
	national := s.demoActor(ctx, "demo.nazionale", domain.Actor{Role: domain.RoleNational, Username: "demo.nazionale"})
	regional := s.demoActor(ctx, "demo.regione", domain.Actor{Role: domain.RoleRegional, RegionID: 90, Username: "demo.regione"})
	var toscana int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM regions WHERE id = 90`).Scan(&toscana); err != nil || toscana == 0 {
		return err
	}
	if _, err := s.Approve(national, ApproveInput{RegionID: 0, Phase: PhaseIndirizzo,
		Note: "Priorità nazionali 2026–2028 e portafoglio delle competenze digitali approvati (demo)"}); err != nil {
		return err
	}
	if _, err := s.Approve(regional, ApproveInput{RegionID: 90, Phase: PhaseIndirizzo,
		Note: "Recepite le priorità nazionali nel piano operativo regionale (demo)"}); err != nil {
		return err
	}
	var fw int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM framework_items i JOIN framework_versions f ON f.id = i.framework_id
		WHERE f.state = 'published' AND i.code = 'D3.A1'`).Scan(&fw); err != nil {
		return err
	}
	if fw > 0 {
		t, err := s.CreateTarget(national, TargetInput{Title: "Infermieri ospedalieri della Toscana a livello ≥ 2 in televisita e teleconsulto",
			RegionID: 90, ProfessionCode: 14, CareSetting: "ospedale", Measure: MeasureLevel, Item: "D3.A1", Level: 2, Threshold: 60, Deadline: "2026-12-31"})
		if err != nil {
			return err
		}
		if _, err := s.CreateTarget(regional, TargetInput{ParentID: t.ID, Title: "Toscana: infermieri ospedalieri a livello ≥ 2 in televisita (obiettivo regionale)",
			Threshold: 70}); err != nil {
			return err
		}
	}
	_, err := s.CreateTarget(national, TargetInput{Title: "Professionisti con una Digital Persona", Measure: MeasurePersona, Threshold: 80, Deadline: "2027-12-31"})
	return err
}

// demoActor is the demo account's actor when it exists, else the fallback.
func (s *Service) demoActor(ctx context.Context, username string, fallback domain.Actor) context.Context {
	a := fallback
	var id int64
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, username).Scan(&id); err == nil {
		a.UserID = id
	}
	return domain.WithActor(ctx, a)
}
