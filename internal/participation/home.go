package participation

import (
	"fmt"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

// homePanel shows the professional their next course, what they completed and the credits
// recorded, with the way to find events for their objectives.
func (m WebModule) homePanel() web.HomePanel {
	return web.HomePanel{Roles: []domain.Role{domain.RoleProfessional}, Order: 2, Build: func(c *web.Ctx) (web.HomeBlock, bool, error) {
		t, err := m.S.Training(c.Context(), 0)
		if err != nil {
			return web.HomeBlock{}, false, err
		}
		lang := c.Lang
		b := web.HomeBlock{Title: c.T("part.home.title")}
		next := c.T("part.home.none")
		link := ""
		if len(t.Next) > 0 {
			n := t.Next[0]
			next = fmt.Sprintf("%s (%s)", n.Title, italianDate(n.StartDate))
			link = fmt.Sprintf("/editions/%d", n.EditionID)
		}
		credits := strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", t.Credits), "0"), ".")
		if lang != "en" {
			credits = strings.ReplaceAll(credits, ".", ",")
		}
		b.Figures = []web.HomeFigure{
			{Label: c.T("part.home.next"), Value: next, Link: link},
			{Label: c.T("part.home.done"), Value: fmt.Sprint(len(t.Done)), Link: "/training"},
			{Label: c.T("part.home.credits"), Value: credits, Link: "/credits"},
		}
		b.Actions = []web.HomeAction{{Label: c.T("part.home.find"), Link: "/catalogue/for-me", Primary: len(t.Next) == 0},
			{Label: c.T("part.nav.mine"), Link: "/training"}}
		return b, true, nil
	}}
}

// italianDate writes an ISO date as dd/mm/yyyy (as given if it is not one).
func italianDate(iso string) string {
	if len(iso) == 10 && iso[4] == '-' && iso[7] == '-' {
		return iso[8:10] + "/" + iso[5:7] + "/" + iso[:4]
	}
	return iso
}
