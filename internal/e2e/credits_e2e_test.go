package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"esd/internal/app"
	"esd/internal/credits"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

// A professional's journey through their balance over HTTP: the office records credits,
// the professional declares self-training, sees each credit with why it counts (in Italian
// and English) and the forecast; the office sees the compliance page and its CSV.
func TestCreditsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		w := buildWorld(t, d)
		pid := w.IDs["professional.A"]
		office := w.Clients[domain.RoleOrganisation]
		res := office.SendJSON("POST", "/api/v1/professionals/"+itoa64(pid)+"/credits/entries",
			map[string]any{"kind": "individual", "credits": 100, "earned_on": "2026-05-01", "title": "Ricerca clinica sul telemonitoraggio"})
		if res.Status != http.StatusCreated {
			t.Fatalf("add entry: %d %s", res.Status, res.Body)
		}
		var v credits.BalanceView
		office.Get("/api/v1/professionals/"+itoa64(pid)+"/credits?triennium=2026").JSON(t, &v)
		// 6 (world) + 100 individual against the 60 % cap of 150: 90 count; the world's
		// professional has agreed objectives (a dossier formativo built in 2026–2028): +40.
		if v.Balance.Counted != 130 || v.Balance.Earned != 146 || v.Balance.DossierBonus != 40 {
			t.Fatalf("balance %+v", v.Balance)
		}
		// A move to another organisation takes the stored balance along (compliance counts
		// the professional where they work now), in the move's own transaction.
		orgOf := func() int64 {
			var org int64
			if err := w.Env.M.DB.Read.QueryRow(`SELECT organisation_id FROM credit_balances WHERE professional_id = $1 AND triennium = 2026`, pid).Scan(&org); err != nil {
				t.Fatalf("stored balance: %v", err)
			}
			return org
		}
		if got := orgOf(); got != w.IDs["org.A"] {
			t.Fatalf("balance organisation %d, want the ASL %d", got, w.IDs["org.A"])
		}
		res = w.Clients[domain.RoleNational].SendJSON("PUT", "/api/v1/professionals/"+itoa64(pid), map[string]any{
			"codice_fiscale": "RSSMRA85T10A562S", "family_name": "Rossi", "given_name": "Mario", "email": "Mario.Rossi@example.it",
			"professions": []map[string]int{{"profession": 14, "discipline": 85}}, "region_id": w.IDs["region.A"], "organisation_id": w.IDs["hospital.A"],
			"employment": "dipendente", "care_setting": "ospedale", "job_role": "clinico"})
		if res.Status != http.StatusOK {
			t.Fatalf("move: %d %s", res.Status, res.Body)
		}
		if got := orgOf(); got != w.IDs["hospital.A"] {
			t.Errorf("after the move the balance is still kept under organisation %d, want the hospital %d", got, w.IDs["hospital.A"])
		}
		me := w.Clients[domain.RoleProfessional]
		res = me.PostForm("/credits/entries", url.Values{"kind": {"self_training"}, "credits": {"4,5"}, "earned_on": {"2026-06-01"}, "title": {"Lettura di linee guida"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("declare: %d %.500s", res.Status, res.Body)
		}
		res = me.PostForm("/credits/entries", url.Values{"kind": {"self_training"}, "credits": {"tre"}, "earned_on": {"2026-06-01"}, "title": {"x"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "not a number") {
			t.Errorf("bad credits: %d", res.Status)
		}
		page := me.Get("/credits?triennium=2026")
		for _, want := range []string{"oltre il tetto del 60 % della formazione individuale", "in attesa di certificazione", "Lettura di linee guida", "<progress", "<svg"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("balance page lacks %q", want)
			}
		}
		en := me.Get("/credits?triennium=2026&lang=en")
		if !strings.Contains(en.Body, "over the 60 % cap on individual training") {
			t.Errorf("english page lacks the cap explanation")
		}
		cmp := office.Get("/credits/compliance")
		if cmp.Status != 200 || !strings.Contains(cmp.Body, "t-profession") {
			t.Errorf("compliance page: %d", cmp.Status)
		}
		// The CLI: flags in any order, the explanations, and usage errors exit 2.
		out := runCommand(t, w.Env, "credits", "balance", "--triennium", "2026", "--cf", "RSSMRA85T10A562S")
		if !strings.Contains(out, "Rossi Mario") || !strings.Contains(out, "oltre il tetto del 60 %") || !strings.Contains(out, "proiezione lineare") {
			t.Errorf("cli balance:\n%s", out)
		}
		if out := runCommand(t, w.Env, "credits", "balance", "--cf", "RSSMRA85T10A562S", "--lang", "en"); !strings.Contains(out, "over the 60 % cap") {
			t.Errorf("cli english:\n%s", out)
		}
		cmd, rest, _ := app.FindCommand([]string{"credits", "balance", "--bogus"})
		err := cmd.Run(app.System(context.Background()), w.Env.M, rest)
		var ec interface{ ExitCode() int }
		if !errors.As(err, &ec) || ec.ExitCode() != 2 {
			t.Errorf("usage error: %v", err)
		}
		if out := runCommand(t, w.Env, "credits", "balance", "--help"); !strings.Contains(out, "-triennium") {
			t.Errorf("help: %q", out)
		}
		if out := runCommand(t, w.Env, "credits", "recompute"); !strings.Contains(out, "saldi ricalcolati") {
			t.Errorf("recompute: %q", out)
		}
		csv := office.Get("/credits/compliance.csv")
		if csv.Status != 200 || !strings.HasPrefix(strings.TrimPrefix(csv.Body, "\ufeff"), "triennium;scope;breakdown") || !strings.Contains(csv.Body, "< 5") {
			t.Errorf("compliance csv: %d %q", csv.Status, csv.Body)
		}
	})
}
