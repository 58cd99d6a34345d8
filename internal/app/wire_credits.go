package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"esd/internal/credits"
	"esd/internal/domain"
)

// creditsCaps holds the services of the credits capability.
type creditsCaps struct {
	// Credits is the ECM credits ledger, the balances against the obligation and compliance.
	Credits *credits.Service
}

// wireCredits builds the credits capability: its service (participation calls
// Credits.PostParticipations in its transactions), web module, start-up step (the rule
// data) and commands. The dossier bonus needs a credits.DossierSource; until the
// assessment's dossier provides one, Dossier stays nil and no bonus is computed.
func wireCredits(m *Main) error {
	m.Credits = credits.New(m.DB, m.Jobs, m.Log)
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
