package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"esd/internal/governance"
)

// governanceCaps holds the services of the governance capability.
type governanceCaps struct {
	// Governance runs the governance cycle, the planning targets and the notifications.
	Governance *governance.Service
}

// wireGovernance builds the governance capability after monitoring: the cycle (the ECM
// triennium 2026–2028 created at start-up), the targets measured from the competence levels
// and back in time from the evidence under the assessment's level rule, the notification
// list and the e-mail queue (sent in the background when ESD_SMTP_ADDR is set).
func wireGovernance(m *Main) error {
	svc := governance.New(m.DB, m.Log)
	svc.Mail = governance.MailConfig{Addr: os.Getenv("ESD_SMTP_ADDR"), From: os.Getenv("ESD_SMTP_FROM"),
		User: os.Getenv("ESD_SMTP_USER"), Password: os.Getenv("ESD_SMTP_PASSWORD")}
	if m.Assess != nil {
		svc.Rule = m.Assess.Rule
	}
	m.Governance = svc
	m.modules = append(m.modules, governance.WebModule{S: svc})
	m.starters = append(m.starters, namedFunc{"governance cycle", func(ctx context.Context) error {
		if err := svc.EnsureDefaultCycle(ctx); err != nil {
			return err
		}
		// The sender and the daily snapshot live as long as the platform.
		svc.Background(ctx)
		return nil
	}})
	m.demos = append(m.demos, namedFunc{"governance", svc.Demo})
	return nil
}

func init() {
	const usage = "   misura oggi tutti gli obiettivi di programma (istantanea giornaliera) e ne aggiorna lo stato"
	registerCommand(Command{Path: "targets measure", Usage: usage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("targets measure", flag.ContinueOnError)
			pos, err := parseInterspersed(fs, usage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd targets measure", pos[0])}
			}
			n, err := m.Governance.MeasureAll(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "obiettivi misurati: %d\n", n)
			return nil
		}})
}
