package domain

import (
	"context"
	"testing"
)

func TestScopeRules(t *testing.T) {
	in := Target{RegionID: 90, OrganisationID: 7, ProfessionalID: 100}
	out := Target{RegionID: 50, OrganisationID: 8, ProfessionalID: 200}
	for _, tc := range []struct {
		a               Actor
		seeIn, seeOut   bool
		editIn, aggrOwn bool
	}{
		{Actor{Role: RoleNational}, true, true, true, true},
		{Actor{Role: RoleSystem}, true, true, true, true},
		{Actor{Role: RoleRegional, RegionID: 90}, true, false, true, true},
		{Actor{Role: RoleOrganisation, OrganisationID: 7, RegionID: 90}, true, false, true, true},
		{Actor{Role: RoleProfessional, ProfessionalID: 100}, true, false, false, false},
		{Actor{Role: RoleProvider, OrganisationID: 7}, false, false, false, false},
		{Actor{Role: RoleAnalyst}, false, false, false, true},
		{Actor{Role: RoleRegional}, false, false, false, false}, // a grant without its scope sees nothing
	} {
		if got := tc.a.CanSeeIndividual(in); got != tc.seeIn {
			t.Errorf("%+v see in-scope = %v", tc.a, got)
		}
		if got := tc.a.CanSeeIndividual(out); got != tc.seeOut {
			t.Errorf("%+v see out-of-scope = %v", tc.a, got)
		}
		if got := tc.a.CanEditIndividual(in); got != tc.editIn {
			t.Errorf("%+v edit in-scope = %v", tc.a, got)
		}
		if got := tc.a.CanSeeAggregates(90, 7); got != tc.aggrOwn {
			t.Errorf("%+v aggregates of own scope = %v", tc.a, got)
		}
	}
}

func TestRequire(t *testing.T) {
	if _, err := Require(context.Background(), RoleNational); ErrorCode(err) != EUNAUTHORIZED {
		t.Fatalf("anonymous: %v", err)
	}
	ctx := WithActor(context.Background(), Actor{Role: RoleAnalyst, UserID: 1})
	if _, err := Require(ctx, RoleNational); ErrorCode(err) != EFORBIDDEN {
		t.Fatalf("wrong role: %v", err)
	}
	if _, err := Require(ctx, RoleNational, RoleAnalyst); err != nil {
		t.Fatal(err)
	}
	if _, err := Require(WithActor(context.Background(), SystemActor), RoleNational); err != nil {
		t.Fatal("system must pass every check")
	}
}
