package web

// The main menu is grouped into dropdowns so it stays on one line at 1280 px however many
// capabilities register entries: the groups follow the model's phases (who is who, what each
// one should know, the training offered and done, how it is going, the platform itself).
const (
	NavGroupRegistry   = "registry"   // professionals, organisations, reference data
	NavGroupCompetence = "competence" // personas, self-assessment, gaps, objectives, portfolio
	NavGroupTraining   = "training"   // catalogue, events, participation, credits, certificates
	NavGroupMonitoring = "monitoring" // monitor, indicators, analyses
	NavGroupAdmin      = "admin"      // accounts, tokens, audit trail
	NavGroupMore       = "more"       // anything registered without a group
	navGroupKeyPrefix  = "nav.group." // + group name = i18n key of the dropdown's label
	navGroupIDPrefix   = "nav-g-"     // + group name = id of the dropdown's toggle
)

// navGroupOrder is the left-to-right order of the dropdowns; unknown groups follow it.
var navGroupOrder = []string{NavGroupRegistry, NavGroupCompetence, NavGroupTraining, NavGroupMonitoring, NavGroupAdmin, NavGroupMore}

// NavGroup is one dropdown of the main menu as a page renders it.
type NavGroup struct {
	Name      string
	Key       string    // i18n key of the label
	ID        string    // id of the toggle button, for aria-labelledby
	Items     []NavItem // everyday entries
	Secondary []NavItem // less frequent ones, after a separator
	Active    bool      // the current page is one of its entries
}

// NavGroups is the actor's menu grouped for the header: the home entry is left out (the
// brand links home), groups without entries are dropped, secondary entries follow the
// primary ones of their group.
func (p PageData) NavGroups() []NavGroup {
	byName := map[string]*NavGroup{}
	var order []string
	for _, n := range p.Nav {
		if n.Path == "/" {
			continue
		}
		g := n.Group
		if g == "" {
			g = NavGroupMore
		}
		ng, ok := byName[g]
		if !ok {
			ng = &NavGroup{Name: g, Key: navGroupKeyPrefix + g, ID: navGroupIDPrefix + g}
			byName[g] = ng
			order = append(order, g)
		}
		ng.Items = append(ng.Items, n)
	}
	var out []NavGroup
	add := func(name string) {
		ng, ok := byName[name]
		if !ok {
			return
		}
		delete(byName, name)
		var prim, sec []NavItem
		for _, n := range ng.Items {
			if p.ActiveNav(n) {
				ng.Active = true
			}
			if n.Secondary {
				sec = append(sec, n)
			} else {
				prim = append(prim, n)
			}
		}
		ng.Items, ng.Secondary = prim, sec
		out = append(out, *ng)
	}
	for _, g := range navGroupOrder {
		add(g)
	}
	for _, g := range order {
		add(g)
	}
	return out
}

// ActiveNav reports whether item is the menu entry of the current page: the longest
// matching path wins, so /professionals/me does not also mark /professionals.
func (p PageData) ActiveNav(item NavItem) bool {
	if !p.Active(item.Path) {
		return false
	}
	for _, n := range p.Nav {
		if len(n.Path) > len(item.Path) && p.Active(n.Path) {
			return false
		}
	}
	return true
}

// navGroupMessages are the dropdowns' labels.
var navGroupMessages = map[string][2]string{
	"nav.group.registry":   {"Anagrafe", "Registry"},
	"nav.group.competence": {"Competenze", "Competences"},
	"nav.group.training":   {"Formazione", "Training"},
	"nav.group.monitoring": {"Monitoraggio", "Monitoring"},
	"nav.group.admin":      {"Amministrazione", "Administration"},
	"nav.group.more":       {"Altro", "More"},
}
