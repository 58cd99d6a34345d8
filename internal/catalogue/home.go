package catalogue

import (
	"fmt"

	"esd/internal/domain"
	"esd/internal/web"
)

// homePanels: reviewers see how many events wait for accreditation; providers see their
// events by state and what to do with the drafts and the rejected ones. Counts come from
// ListEvents with a limit of one row, so the caller's scope applies as on the lists.
func (m WebModule) homePanels() []web.HomePanel {
	count := func(c *web.Ctx, states ...string) (int, error) {
		_, n, err := m.S.ListEvents(c.Context(), ListFilter{States: states, Limit: 1})
		return n, err
	}
	review := web.HomePanel{Roles: roleReviewers, Order: 20, Build: func(c *web.Ctx) (web.HomeBlock, bool, error) {
		n, err := count(c, StateSubmitted)
		if err != nil {
			return web.HomeBlock{}, false, err
		}
		b := web.HomeBlock{Title: c.T("cat.home.review_title"),
			Figures: []web.HomeFigure{{Label: c.T("cat.home.waiting"), Value: fmt.Sprint(n), Link: "/review/events"}}}
		if n > 0 {
			b.Actions = append(b.Actions, web.HomeAction{Label: c.T("cat.home.review"), Link: "/review/events", Primary: true})
		} else {
			b.Note = c.T("cat.home.nothing_waiting")
		}
		b.Actions = append(b.Actions, web.HomeAction{Label: c.T("cat.nav.search"), Link: "/catalogue"})
		return b, true, nil
	}}
	provider := web.HomePanel{Roles: []domain.Role{domain.RoleProvider}, Order: 20, Build: func(c *web.Ctx) (web.HomeBlock, bool, error) {
		b := web.HomeBlock{Title: c.T("cat.home.provider_title")}
		var drafts, rejected int
		for _, st := range []string{StateDraft, StateSubmitted, StateRejected, StateAccredited, StateRunning} {
			n, err := count(c, st)
			if err != nil {
				return b, false, err
			}
			switch st {
			case StateDraft:
				drafts = n
			case StateRejected:
				rejected = n
			}
			b.Figures = append(b.Figures, web.HomeFigure{Label: c.T("cat.state." + st), Value: fmt.Sprint(n), Link: "/provider/events"})
		}
		switch {
		case rejected > 0:
			b.Note = c.T("cat.home.fix_rejected")
		case drafts > 0:
			b.Note = c.T("cat.home.submit_drafts")
		}
		b.Actions = append(b.Actions, web.HomeAction{Label: c.T("cat.home.my_events"), Link: "/provider/events", Primary: true},
			web.HomeAction{Label: c.T("cat.home.new_event"), Link: "/events/new"})
		return b, true, nil
	}}
	return []web.HomePanel{review, provider}
}
