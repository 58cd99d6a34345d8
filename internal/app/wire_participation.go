package app

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"esd/internal/catalogue"
	"esd/internal/credits"
	"esd/internal/domain"
	"esd/internal/participation"
)

// participationCaps holds the services of the participation capability.
type participationCaps struct {
	// Participation records enrolments, attendance, completions and participation reports.
	Participation *participation.Service
}

// wireParticipation builds the participation capability. Completions write evidence through
// the assessment service and events unknown to the catalogue are created through it.
func wireParticipation(m *Main) error {
	s := participation.New(m.DB, m.Jobs, m.Log)
	if m.Assess != nil {
		s.Evidence = m.Assess
	}
	if m.Catalogue != nil {
		s.Events = reportEvents{c: m.Catalogue}
	}
	if m.Credits != nil {
		s.Credits = creditSink{m.Credits}
		s.RoleRule = func(in participation.RoleInput) (float64, string) {
			c, why := credits.RoleCredits(m.Credits.Rules(), credits.RoleInput{EventType: in.Type, SubType: in.SubType, Hours: in.Hours,
				EventCredits: in.EventCredits, Role: in.Role, RoleHours: in.Hours})
			return c, strings.Join(why, "; ")
		}
	}
	if v := os.Getenv("ESD_REPORT_UNKNOWN_PROFESSIONAL"); v == "refuse" || v == "pending" {
		s.Config.UnknownProfessional = v
	}
	if v := os.Getenv("ESD_REPORT_UNKNOWN_EVENT"); v == "refuse" || v == "create" {
		s.Config.UnknownEvent = v
	}
	if v := os.Getenv("ESD_REPORT_ACCREDITOR"); v != "" {
		s.Config.AccreditorCode = v
	}
	m.Participation = s
	m.modules = append(m.modules, participation.WebModule{S: s})
	m.demos = append(m.demos, namedFunc{"participation", s.Demo})
	return nil
}

// reportEvents creates the events of reports the catalogue does not know, as closed events
// loaded by the system, marked origin 'report'.
type reportEvents struct{ c *catalogue.Service }

// CreateFromReport implements participation.EventCreator.
func (r reportEvents) CreateFromReport(ctx context.Context, tx *sql.Tx, in catalogue.EventInput) (int64, error) {
	return r.c.CreateInTx(domain.WithActor(ctx, domain.SystemActor), tx, in, "report")
}

// editionByCode finds an edition by provider code (optional when the event code is unique),
// event code and edition number.
func editionByCode(ctx context.Context, m *Main, provider, event string, number int) (int64, error) {
	q := `SELECT ed.id FROM event_editions ed JOIN events e ON e.id = ed.event_id JOIN organisations o ON o.id = e.provider_id
		WHERE e.code = $1 AND ed.number = $2`
	args := []any{event, number}
	if provider != "" {
		q += ` AND o.code = $3`
		args = append(args, provider)
	}
	rows, err := m.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	switch len(ids) {
	case 0:
		return 0, domain.NotFound(fmt.Sprintf("edition %d of event %s", number, event))
	case 1:
		return ids[0], nil
	}
	return 0, domain.Invalid("provider", "event code %s is used by several providers: give --provider CODE", event)
}

func init() {
	const importReportUsage = "FILE [--event CODE --edition N] [--provider CODE] [--dry-run]   importa un rapporto evento (XML o CSV), tutto o niente"
	const exportReportUsage = "--event CODE [--edition N] [--provider CODE] [--out FILE]   scrive il rapporto evento XML di un'edizione"
	registerCommand(Command{Path: "import report", Usage: importReportUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("import report", flag.ContinueOnError)
			event := fs.String("event", "", "event code (required for a CSV report)")
			edition := fs.Int("edition", 1, "edition number")
			provider := fs.String("provider", "", "provider code, when the event code is not unique")
			dry := fs.Bool("dry-run", false, "check only")
			pos, err := parseInterspersed(fs, importReportUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				return usageError{"uso: esd import report " + importReportUsage}
			}
			var edID int64
			if *event != "" {
				if edID, err = editionByCode(ctx, m, *provider, *event, *edition); err != nil {
					return err
				}
			}
			f, err := os.Open(pos[0])
			if err != nil {
				return err
			}
			defer f.Close()
			res, err := m.Participation.ImportReport(ctx, participation.ImportInput{Name: pos[0], Body: f, EditionID: edID, DryRun: *dry})
			if err != nil {
				return err
			}
			switch {
			case res.AlreadyImported:
				fmt.Fprintf(m.Out, "%s: già importato (rapporto %d), nulla è cambiato\n", pos[0], res.ReportID)
			default:
				verb := "importato"
				if res.DryRun {
					verb = "verificato (nulla scritto)"
				}
				fmt.Fprintf(m.Out, "%s %s: evento %s edizione %d, %d partecipanti (%d nuovi, %d modificati, %d rimossi, %d invariati), %s crediti, %d livelli di competenza aggiornati, %d professionisti da confermare\n",
					pos[0], verb, res.EventCode, res.Edition, res.Participants, res.Added, res.Changed, res.Removed, res.Unchanged,
					strings.Replace(fmt.Sprintf("%.1f", res.Credits), ".", ",", 1), res.LinesMoved, res.CreatedProfessionals)
			}
			return nil
		}})
	registerCommand(Command{Path: "export report", Usage: exportReportUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("export report", flag.ContinueOnError)
			event := fs.String("event", "", "event code")
			edition := fs.Int("edition", 1, "edition number")
			provider := fs.String("provider", "", "provider code, when the event code is not unique")
			out := fs.String("out", "", "file to write (default standard output)")
			pos, err := parseInterspersed(fs, exportReportUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if *event == "" || len(pos) > 0 {
				return usageError{"uso: esd export report " + exportReportUsage}
			}
			id, err := editionByCode(ctx, m, *provider, *event, *edition)
			if err != nil {
				return err
			}
			w := m.Out
			if *out != "" {
				f, err := os.Create(*out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			_, err = m.Participation.ExportReport(ctx, id, w)
			return err
		}})
}

// creditSink adapts the credits ledger to participation.CreditSink.
type creditSink struct{ c *credits.Service }

// PostParticipations implements participation.CreditSink.
func (k creditSink) PostParticipations(ctx context.Context, tx *sql.Tx, posts []participation.CreditPost) error {
	out := make([]credits.ParticipationCredit, len(posts))
	for i, p := range posts {
		out[i] = credits.ParticipationCredit(p)
	}
	return k.c.PostParticipations(ctx, tx, out)
}
