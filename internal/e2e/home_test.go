package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/monitor"
)

// Each role's home page tells it where it stands: its key numbers, in Italian and English,
// and its next action; the regional referent's count of professionals is the one the
// dashboards give for the region, and nobody sees another role's panel.
func TestHomePagesTellEachRoleWhereItStands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d, apptest.Options{Demo: true})
		if _, err := env.M.Monitor.Rebuild(env.Sys()); err != nil {
			t.Fatal(err)
		}
		type want struct{ it, en, action string }
		cases := []struct {
			user, pw string
			has      []want
			hasnt    []string
		}{
			{"demo.professionista", "esd-demo-professionista", []want{
				{"Le vostre competenze digitali", "Your digital competences", ""},
				{"Persona digitale", "Digital Persona", ""},
				{"La vostra formazione", "Your training", "/catalogue/for-me"}},
				[]string{"Il vostro ambito in sintesi", "Eventi in attesa di revisione"}},
			{"demo.regione", "esd-demo-regione", []want{
				{"Il vostro ambito in sintesi", "Your scope at a glance", "/monitor"},
				{"Eventi in attesa di revisione", "Events waiting for review", "/catalogue"}},
				[]string{"Le vostre competenze digitali", "I vostri eventi ECM"}},
			{"demo.nazionale", "esd-demo-nazionale", []want{
				{"Il vostro ambito in sintesi", "Your scope at a glance", "/monitor"},
				{"Accreditamento degli eventi", "Event accreditation", ""}},
				[]string{"La vostra formazione"}},
			{"demo.azienda", "esd-demo-azienda", []want{
				{"Il vostro ambito in sintesi", "Your scope at a glance", "/monitor"}},
				[]string{"Accreditamento degli eventi", "Le vostre competenze digitali"}},
			{"demo.provider", "esd-demo-provider", []want{
				{"I vostri eventi ECM", "Your ECM events", "/events/new"}},
				[]string{"Il vostro ambito in sintesi", "Le vostre competenze digitali"}},
		}
		for _, c := range cases {
			cl := env.Client().Login(c.user, c.pw)
			it, en := cl.Get("/"), cl.Get("/?lang=en")
			if it.Status != 200 || en.Status != 200 {
				t.Fatalf("%s home: %d / %d", c.user, it.Status, en.Status)
			}
			for _, w := range c.has {
				if !strings.Contains(it.Body, w.it) {
					t.Errorf("%s: home lacks %q", c.user, w.it)
				}
				if !strings.Contains(en.Body, w.en) {
					t.Errorf("%s: English home lacks %q", c.user, w.en)
				}
				if w.action != "" && !strings.Contains(it.Body, `href="`+w.action) {
					t.Errorf("%s: home lacks the action %s", c.user, w.action)
				}
			}
			for _, h := range c.hasnt {
				if strings.Contains(it.Body, h) {
					t.Errorf("%s: home shows another role's panel %q", c.user, h)
				}
			}
			if !strings.Contains(it.Body, `id="home-panels"`) {
				t.Errorf("%s: no panels", c.user)
			}
		}
		// The region's count is the dashboards' count.
		reg := env.Client().Login("demo.regione", "esd-demo-regione")
		var tb monitor.Table
		res := reg.Get("/api/v1/monitor/table?indicator=persona&by=period")
		if res.Status != 200 {
			t.Fatalf("monitor table: %d %s", res.Status, res.Body)
		}
		if err := json.Unmarshal([]byte(res.Body), &tb); err != nil {
			t.Fatal(err)
		}
		if tb.Total.Pop == 0 {
			t.Fatalf("the demo region has no professionals counted")
		}
		home := reg.Get("/").Body
		m := regexp.MustCompile(`Professionisti</dt><dd[^>]*>([0-9.]+)</dd>`).FindStringSubmatch(home)
		if m == nil {
			t.Fatalf("no professionals figure on the regional home")
		}
		if got, want := strings.ReplaceAll(m[1], ".", ""), fmt.Sprint(tb.Total.Pop); got != want {
			t.Errorf("home says %s professionals, the dashboard %s", got, want)
		}
	})
}
