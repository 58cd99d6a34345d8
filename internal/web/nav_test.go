package web

import "testing"

// An entry without a group lands in "more", groups follow the model's order whatever the
// registration order, secondary entries follow the primary ones, and only the longest
// matching entry is the current page.
func TestNavGroups(t *testing.T) {
	p := PageData{Path: "/professionals/me", Nav: []NavItem{
		{Key: "home", Path: "/"},
		{Key: "x", Path: "/x"},
		{Key: "imp", Path: "/professionals/import", Group: NavGroupRegistry, Secondary: true},
		{Key: "pros", Path: "/professionals", Group: NavGroupRegistry},
		{Key: "me", Path: "/professionals/me", Group: NavGroupRegistry},
		{Key: "users", Path: "/admin/users", Group: NavGroupAdmin},
		{Key: "cat", Path: "/catalogue", Group: NavGroupTraining},
	}}
	gs := p.NavGroups()
	var names []string
	for _, g := range gs {
		names = append(names, g.Name)
	}
	want := []string{NavGroupRegistry, NavGroupTraining, NavGroupAdmin, NavGroupMore}
	if len(names) != len(want) {
		t.Fatalf("groups %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("groups %v, want %v", names, want)
		}
	}
	reg := gs[0]
	if len(reg.Items) != 2 || reg.Items[0].Key != "pros" || reg.Items[1].Key != "me" || len(reg.Secondary) != 1 || reg.Secondary[0].Key != "imp" {
		t.Fatalf("registry group: %+v", reg)
	}
	if !reg.Active || gs[1].Active || gs[3].Active {
		t.Fatalf("active flags: %v %v %v", reg.Active, gs[1].Active, gs[3].Active)
	}
	if p.ActiveNav(reg.Items[0]) || !p.ActiveNav(reg.Items[1]) {
		t.Fatal("/professionals/me must mark only its own entry, not /professionals")
	}
	if gs[3].Key != "nav.group.more" || gs[3].Items[0].Key != "x" {
		t.Fatalf("default group: %+v", gs[3])
	}
}
