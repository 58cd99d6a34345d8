package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"esd/internal/credits"
	"esd/internal/db"
	"esd/internal/domain"
)

// creditsCaps holds the services of the credits capability.
type creditsCaps struct {
	// Credits is the ECM credits ledger, the balances against the obligation and compliance.
	Credits *credits.Service
}

// wireCredits builds the credits capability: its service (participation calls
// Credits.PostParticipations in its transactions), web module, start-up step (the rule
// data) and commands. The dossier bonus comes from the assessment's objectives (the dossier
// formativo): dossierObjectives.
func wireCredits(m *Main) error {
	m.Credits = credits.New(m.DB, m.Jobs, m.Log)
	m.Credits.Dossier = dossierObjectives{m.DB}
	// A professional moved to another region or organisation takes their balance along.
	m.Registry.OnMoved = append(m.Registry.OnMoved, m.Credits.RefreshBalances)
	m.modules = append(m.modules, credits.WebModule{S: m.Credits})
	m.starters = append(m.starters, namedFunc{"credit rules", m.Credits.EnsureRules})
	return nil
}

// usageError is a command-line usage mistake: esd prints it and exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Unwrap makes it an EINVALID domain error, so esd prints its message.
func (e usageError) Unwrap() error { return &domain.Error{Code: domain.EINVALID, Message: e.msg} }

// ExitCode is the process exit status for this error.
func (e usageError) ExitCode() int { return 2 }

// parseInterspersed parses flags wherever they appear among the positional arguments
// (Go's flag package stops at the first positional one). --help prints the usage to out
// and returns flag.ErrHelp; a bad flag is a usageError.
func parseInterspersed(fs *flag.FlagSet, usage string, out io.Writer, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(out, "uso: esd %s %s\n", fs.Name(), usage)
				fs.SetOutput(out)
				fs.PrintDefaults()
				return nil, flag.ErrHelp
			}
			return nil, usageError{fmt.Sprintf("%v\nuso: esd %s %s", err, fs.Name(), usage)}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func init() {
	const balanceUsage = "--cf CODICE [--triennium 2026] [--lang it|en]   saldo crediti ECM di un professionista"
	registerCommand(Command{Path: "credits balance", Usage: balanceUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("credits balance", flag.ContinueOnError)
			code := fs.String("cf", "", "codice fiscale of the professional")
			tri := fs.Int("triennium", 0, "start year of the triennium (default: the current one)")
			lang := fs.String("lang", "it", "language of the explanations: it or en")
			pos, err := parseInterspersed(fs, balanceUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd credits balance %s", pos[0], balanceUsage)}
			}
			if *code == "" {
				return usageError{"manca --cf\nuso: esd credits balance " + balanceUsage}
			}
			if *lang != "it" && *lang != "en" {
				return usageError{"--lang: it o en"}
			}
			v, err := m.Credits.BalanceByCF(ctx, *code, *tri)
			if err != nil {
				return err
			}
			printBalance(m.Out, v, *lang)
			return nil
		}})
	const recomputeUsage = "   ricalcola e memorizza tutti i saldi crediti (dopo un cambio di regole)"
	registerCommand(Command{Path: "credits recompute", Usage: recomputeUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("credits recompute", flag.ContinueOnError)
			pos, err := parseInterspersed(fs, recomputeUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd credits recompute", pos[0])}
			}
			last := time.Now()
			res, err := m.Credits.RecomputeAll(ctx, func(done, total int64) {
				if time.Since(last) > 3*time.Second {
					last = time.Now()
					fmt.Fprintf(m.Out, "  %d / %d professionisti\n", done, total)
				}
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "saldi ricalcolati (regole %s): %d professionisti, %d voci, %d saldi in %.1f s\n",
				res.RulesVersion, res.Professionals, res.Entries, res.Balances, res.Seconds)
			return nil
		}})
}

func printBalance(w io.Writer, v credits.BalanceView, lang string) {
	b := v.Balance
	en := lang == "en"
	t := func(it, eng string) string {
		if en {
			return eng
		}
		return it
	}
	fmt.Fprintf(w, "%s %s · %s %s (%s %s)\n", v.Professional.Name, v.Professional.CF, t("triennio", "triennium"), b.Label, t("regole", "rules"), b.RulesVersion)
	rows := [][2]string{
		{t("obbligo", "obligation"), creditsNum(b.Obligation)},
		{t("riduzione", "reduction"), creditsNum(b.Reduction) + "  (" + b.ReductionWhy.Text(lang) + ")"},
		{t("esoneri", "exemptions"), creditsNum(b.Exemption)},
		{t("dovuti", "due"), creditsNum(b.Due)},
		{t("registrati", "recorded"), creditsNum(b.Earned)},
		{t("contano", "counted"), creditsNum(b.Counted)},
		{t("certificati", "certified"), creditsNum(b.Certified)},
		{t("in attesa", "pending"), creditsNum(b.Pending)},
		{t("mancanti", "missing"), creditsNum(b.Missing)},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-12s %s\n", r[0], r[1])
	}
	state := t("non ancora in regola", "not yet compliant")
	if b.Compliant {
		state = t("in regola", "compliant")
	}
	track := t("in ritardo", "behind")
	if b.OnTrack {
		track = t("in linea", "on track")
	}
	fmt.Fprintf(w, "  %s · %s\n", state, track)
	for _, x := range b.Forecast.Why {
		fmt.Fprintf(w, "    %s\n", x.Text(lang))
	}
	if len(b.Lines) > 0 {
		fmt.Fprintln(w, t("voci:", "entries:"))
	}
	for _, l := range b.Lines {
		var why []string
		for _, x := range l.Why {
			why = append(why, x.Text(lang))
		}
		fmt.Fprintf(w, "  %s  %-14s %6s → %6s  %s\n", l.Entry.EarnedOn, l.Entry.Kind, creditsNum(l.Entry.Credits), creditsNum(l.Counts), strings.Join(why, "; "))
	}
	for _, n := range b.Notes {
		fmt.Fprintf(w, "  * %s\n", n.Text(lang))
	}
}

func creditsNum(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// RealisedShare is the share of a dossier's objectives that must be achieved for it to count
// as realised (the coherence threshold commonly quoted, domain.md 3.6, not confirmed).
const RealisedShare = 0.70

// dossierObjectives reads the dossier formativo of professionals from the assessment's
// objectives: an individual dossier is built in a triennium when the professional has
// objectives there past the draft state, realised when at least RealisedShare of them are
// achieved; a group dossier likewise from the objectives of the groups they belong to.
type dossierObjectives struct{ db *db.DB }

// Dossiers implements credits.DossierSource.
func (d dossierObjectives) Dossiers(ctx context.Context, ids []int64) (map[int64][]credits.DossierRecord, error) {
	out := map[int64][]credits.DossierRecord{}
	for i := 0; i < len(ids); i += 500 {
		part := ids[i:min(i+500, len(ids))]
		args := make([]any, len(part))
		for j, id := range part {
			args[j] = id
		}
		in := db.Placeholders(1, len(part))
		q := `SELECT professional_id, triennium, FALSE, COUNT(*), SUM(CASE WHEN state = 'achieved' THEN 1 ELSE 0 END)
			FROM objectives WHERE professional_id IN (` + in + `) AND state <> 'draft' GROUP BY professional_id, triennium
			UNION ALL
			SELECT m.professional_id, g.triennium, TRUE, COUNT(o.id), SUM(CASE WHEN o.state = 'achieved' THEN 1 ELSE 0 END)
			FROM objective_group_members m JOIN objective_groups g ON g.id = m.group_id JOIN objectives o ON o.group_id = g.id
			WHERE m.professional_id IN (` + in + `) AND o.state <> 'draft' GROUP BY m.professional_id, g.triennium`
		rows, err := d.db.Read.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var prof int64
			var tri string
			var group bool
			var n, achieved int
			if err := rows.Scan(&prof, &tri, &group, &n, &achieved); err != nil {
				rows.Close()
				return nil, err
			}
			start, err := strconv.Atoi(strings.SplitN(tri, "-", 2)[0])
			if err != nil || n == 0 {
				continue
			}
			out[prof] = append(out[prof], credits.DossierRecord{Triennium: start, Group: group, Built: true,
				Realised: float64(achieved) >= RealisedShare*float64(n)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
