package monitor

import (
	"strconv"

	"esd/internal/web"
)

// homePanel gives the staff roles the state of their scope on their home page: how many
// professionals, and the shares with a persona, assessed, with objectives achieved and who
// took part in training, read from the kept aggregates (no scan of the sources) through the
// same suppressing query layer as the dashboards.
func (m WebModule) homePanel() web.HomePanel {
	return web.HomePanel{Roles: viewers, Order: 10, Build: func(c *web.Ctx) (web.HomeBlock, bool, error) {
		m.S.Start() // a served platform keeps its aggregates current from its first page
		lang := c.Lang
		b := web.HomeBlock{Title: msg(lang, "monitor.home.title")}
		var pop int64
		for _, ind := range []string{"persona", "assessed", "objectives", "participation"} {
			t, err := m.S.Table(c.Context(), Query{Indicator: ind}, "period", lang)
			if err != nil {
				return b, false, err
			}
			if ind == "persona" {
				pop = t.Total.Pop
				b.Figures = append(b.Figures, web.HomeFigure{Label: msg(lang, "monitor.home.professionals"), Value: formatCount(pop, lang)})
			}
			v := t.Total.Text
			if t.Total.Hidden {
				v = msg(lang, "monitor.home.suppressed")
			} else if v == "" {
				v = "–"
			}
			b.Figures = append(b.Figures, web.HomeFigure{Label: msg(lang, "monitor.ind."+ind), Value: v, Link: "/monitor?indicator=" + ind})
		}
		if pop == 0 {
			b.Note = msg(lang, "monitor.home.empty")
		}
		b.Actions = append(b.Actions, web.HomeAction{Label: msg(lang, "monitor.home.open"), Link: "/monitor", Primary: true})
		return b, true, nil
	}}
}

// formatCount writes n with the thousands separator of lang.
func formatCount(n int64, lang string) string {
	s := strconv.FormatInt(n, 10)
	sep := "."
	if lang == "en" {
		sep = ","
	}
	out := ""
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out += sep
		}
		out += string(r)
	}
	return out
}
