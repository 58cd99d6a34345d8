package e2e

import (
	"regexp"
	"strings"
	"testing"

	"esd/internal/apptest"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/registry"
)

// The "pick, don't type ids": the forms that ask for an organisation, a persona, a
// region, a profession or a discipline offer a datalist of names to pick from (which needs
// no JavaScript), the organisations narrowed to a regional viewer's region.
func TestFormsOfferPickers(t *testing.T) {
	env := apptest.Start(t, db.SQLite, apptest.Options{Demo: true})
	nat := env.Client().Login("demo.nazionale", "esd-demo-nazionale")
	reg := env.Client().Login("demo.regione", "esd-demo-regione")
	option := regexp.MustCompile(`<option value="(\d+)">([^<]+)</option>`)
	// options returns the choices of the datalist of field on page.
	options := func(c *apptest.Client, page, field string) map[string]string {
		t.Helper()
		res := c.Get(page)
		if res.Status != 200 {
			t.Fatalf("%s: %d", page, res.Status)
		}
		if !strings.Contains(res.Body, `list="pick-`+field+`"`) {
			t.Fatalf("%s: the field %s has no picker", page, field)
		}
		i := strings.Index(res.Body, `<datalist id="pick-`+field+`">`)
		if i < 0 {
			t.Fatalf("%s: no datalist for %s", page, field)
		}
		list := res.Body[i : i+strings.Index(res.Body[i:], "</datalist>")]
		out := map[string]string{}
		for _, m := range option.FindAllStringSubmatch(list, -1) {
			out[m[1]] = m[2]
		}
		return out
	}
	var regionName string
	if err := env.M.DB.Read.QueryRow(`SELECT r.name FROM users u JOIN regions r ON r.id = u.region_id WHERE u.username = 'demo.regione'`).Scan(&regionName); err != nil {
		t.Fatal(err)
	}
	var inRegion, national int
	if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM organisations o JOIN users u ON u.region_id = o.region_id WHERE u.username = 'demo.regione' AND o.kind <> 'provider'`).Scan(&inRegion); err != nil {
		t.Fatal(err)
	}
	if err := env.M.DB.Read.QueryRow(`SELECT COUNT(*) FROM organisations WHERE kind <> 'provider'`).Scan(&national); err != nil {
		t.Fatal(err)
	}
	orgs := options(nat, "/credits/compliance", "organisation")
	if len(orgs) != national || national < 100 {
		t.Errorf("national compliance picker: %d organisations, the registry has %d", len(orgs), national)
	}
	if regs := options(nat, "/credits/compliance", "region"); len(regs) != 21 {
		t.Errorf("region picker: %d regions", len(regs))
	}
	regOrgs := options(reg, "/credits/compliance", "organisation")
	if len(regOrgs) != inRegion || inRegion == 0 {
		t.Errorf("regional picker: %d organisations, the region has %d", len(regOrgs), inRegion)
	}
	for _, label := range regOrgs {
		if strings.Contains(label, "(") && !strings.Contains(label, regionName) {
			t.Errorf("regional picker offers another region's organisation: %s", label)
		}
	}
	if ps := options(nat, "/assignment/test", "profession_code"); len(ps) < 20 {
		t.Errorf("profession picker: %d professions", len(ps))
	}
	if ds := options(nat, "/assignment/test", "discipline_code"); len(ds) < 50 {
		t.Errorf("discipline picker: %d disciplines", len(ds))
	}
	personas := options(nat, "/governance/targets", "persona_id")
	if len(personas) < 3 {
		t.Errorf("persona picker: %v", personas)
	}
}

// The rule tester takes a professional's codice fiscale as well as an id; a code outside the
// viewer's scope gets the same "not found" as an unknown one, and a malformed code is named.
func TestRuleTesterTakesACodiceFiscale(t *testing.T) {
	env := apptest.Start(t, db.SQLite, apptest.Options{Demo: true})
	nat := env.Client().Login("demo.nazionale", "esd-demo-nazionale")
	reg := env.Client().Login("demo.regione", "esd-demo-regione")
	var inside, outside, family string
	if err := env.M.DB.Read.QueryRow(`SELECT p.cf_display, p.family_name FROM professionals p JOIN users u ON u.region_id = p.region_id
		WHERE u.username = 'demo.regione' ORDER BY p.id LIMIT 1`).Scan(&inside, &family); err != nil {
		t.Fatal(err)
	}
	// A professional of another region than the regional user's.
	var other int64
	if err := env.M.DB.Read.QueryRow(`SELECT r.id FROM regions r JOIN users u ON u.username = 'demo.regione' WHERE r.id <> u.region_id ORDER BY r.id LIMIT 1`).Scan(&other); err != nil {
		t.Fatal(err)
	}
	outside = "RSSMRA80A01D612Y"
	if _, err := env.M.Registry.CreateProfessional(env.Sys(), registry.ProfessionalInput{CF: outside, FamilyName: "Rossi", GivenName: "Mario",
		Professions: []registry.Pair{{Profession: 3, Discipline: 66}}, RegionID: other, Employment: "dipendente", CareSetting: "ospedale"}); err != nil {
		t.Fatalf("create a professional: %v", err)
	}
	page := func(c *apptest.Client, v string) apptest.Response {
		return c.Get("/assignment/test?run=1&professional_id=" + strings.ToLower(v))
	}
	if res := page(nat, inside); res.Status != 200 || !strings.Contains(res.Body, family) {
		t.Errorf("national, by codice fiscale: %d, name shown %v", res.Status, strings.Contains(res.Body, family))
	}
	if res := page(reg, inside); res.Status != 200 || !strings.Contains(res.Body, family) {
		t.Errorf("regional, own region: %d", res.Status)
	}
	out, unknown := page(reg, outside), page(reg, "BNCLRA85M41F205"+string(cf.CheckChar("BNCLRA85M41F205")))
	if out.Status != 404 || unknown.Status != 404 {
		t.Errorf("regional, another region's code: %d; an unregistered code: %d (both must be 404)", out.Status, unknown.Status)
	}
	if res := page(nat, "NOT-A-CODE"); res.Status != 422 || !strings.Contains(res.Body, "codice fiscale") {
		t.Errorf("malformed code: %d %s", res.Status, res.Body[strings.Index(res.Body, "<main"):])
	}
}
