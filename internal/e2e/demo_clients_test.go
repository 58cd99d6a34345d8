package e2e

import "esd/internal/apptest"

// demoClients logs in as each demo account of the demo world, keyed by role name, plus an
// anonymous client: the matrices of the dashboards' capabilities drive the same six roles.
func demoClients(env *apptest.Env) map[string]*apptest.Client {
	login := func(user, pw string) *apptest.Client { return env.Client().Login(user, pw) }
	return map[string]*apptest.Client{
		"national":     login("demo.nazionale", "esd-demo-nazionale"),
		"regional":     login("demo.regione", "esd-demo-regione"),
		"organisation": login("demo.azienda", "esd-demo-azienda"),
		"provider":     login("demo.provider", "esd-demo-provider"),
		"professional": login("demo.professionista", "esd-demo-professionista"),
		"analyst":      login("demo.analista", "esd-demo-analista"),
		"anonymous":    env.Client(),
	}
}
