package catalogue

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"esd/internal/catalogue/cattest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

type fixture struct {
	s            *Service
	d            *db.DB
	regA, regB   int64
	provA, provB int64
	fw           int64
	lines        map[string]int64
	firenze      string
}

func setup(t testing.TB, dialect db.Dialect) *fixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, dialect)
	if err := cattest.EnsureReference(ctx, d); err != nil {
		t.Fatal(err)
	}
	f := &fixture{d: d, s: New(d, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	if err := f.s.EnsureReference(sys()); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.regA, err = cattest.RegionID(ctx, d, "090"); err != nil {
		t.Fatal(err)
	}
	if f.regB, err = cattest.RegionID(ctx, d, "050"); err != nil {
		t.Fatal(err)
	}
	if f.provA, err = cattest.Provider(ctx, d, "PA1", "Provider Toscana", f.regA); err != nil {
		t.Fatal(err)
	}
	if f.provB, err = cattest.Provider(ctx, d, "PB1", "Provider Veneto", f.regB); err != nil {
		t.Fatal(err)
	}
	if f.fw, err = cattest.EnsurePortfolio(ctx, d); err != nil {
		t.Fatal(err)
	}
	if f.lines, err = cattest.LineIDs(ctx, d, f.fw); err != nil {
		t.Fatal(err)
	}
	if f.firenze, err = cattest.ComuneISTAT(ctx, d, "Firenze"); err != nil {
		t.Fatal(err)
	}
	return f
}

func sys() context.Context { return domain.WithActor(context.Background(), domain.SystemActor) }

func as(role domain.Role, org, region int64) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{UserID: 0, Username: "t_" + string(role), Role: role,
		OrganisationID: org, RegionID: region})
}

func (f *fixture) providerA() context.Context { return as(domain.RoleProvider, f.provA, 0) }
func (f *fixture) providerB() context.Context { return as(domain.RoleProvider, f.provB, 0) }

// input is a valid RES course in Florence in 2027.
func (f *fixture) input(code string) EventInput {
	return EventInput{Code: code, Title: "Telemonitoraggio dei pazienti cronici nella Casa della Comunità",
		Description: "Corso pratico sul monitoraggio a distanza dei parametri vitali e sulla gestione degli allarmi.",
		Type:        TypeRES, SubType: 1, Hours: 8, Participants: 30, ObjectiveCode: 17,
		Audience: []Audience{{ProfessionCode: 14, DisciplineCode: 85}, {ProfessionCode: 1, DisciplineCode: 58}},
		Cost:     0, Editions: []Edition{{Number: 1, StartDate: "2027-03-10", EndDate: "2027-03-10", RegionID: f.regA, ComuneISTAT: f.firenze, Venue: "Aula magna"}},
		Lines: []LineInput{{Code: "L4.1.3", Level: 2}}}
}
