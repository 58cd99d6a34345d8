package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"esd/internal/domain"
	"esd/internal/privacy"
)

// privacyCaps holds the services of the privacy capability.
type privacyCaps struct {
	// Privacy exports a professional's data and executes erasure requests (GDPR).
	Privacy *privacy.Service
}

// The privacy capability reads every other capability's tables, so it is wired last.
func init() { wiring = append(wiring, wirePrivacy) }

// wirePrivacy builds the privacy capability: the archive includes the certificates' PDFs,
// and an executed erasure refreshes the monitoring aggregates at once.
func wirePrivacy(m *Main) error {
	svc := privacy.New(m.DB)
	if m.Certificates != nil {
		svc.Certificates = m.Certificates
	}
	if m.Monitor != nil {
		mon := m.Monitor
		svc.AfterErase = func(ctx context.Context) error { _, err := mon.Refresh(ctx); return err }
	}
	m.Privacy = svc
	m.modules = append(m.modules, privacy.WebModule{S: svc})
	return nil
}

func init() {
	const exportUsage = "(--professional ID | --cf CODICE) --out FILE.zip   archivio dei dati personali di un professionista (GDPR)"
	registerCommand(Command{Path: "privacy export", Usage: exportUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("privacy export", flag.ContinueOnError)
			id := fs.Int64("professional", 0, "id of the professional")
			code := fs.String("cf", "", "codice fiscale of the professional")
			out := fs.String("out", "", "ZIP file to write")
			pos, err := parseInterspersed(fs, exportUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd privacy export %s", pos[0], exportUsage)}
			}
			if (*id == 0) == (*code == "") || *out == "" {
				return usageError{"servono --out e uno tra --professional e --cf\nuso: esd privacy export " + exportUsage}
			}
			if *code != "" {
				if *id, err = m.Privacy.ResolveCF(ctx, *code); err != nil {
					return err
				}
			}
			a, err := m.Privacy.Export(domain.WithActor(ctx, domain.SystemActor), *id)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*out, a.ZIP, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "archivio scritto: %s (%d byte, %d sezioni, %d file allegati)\n", *out, len(a.ZIP), len(a.Document.Sections), len(a.Files))
			return nil
		}})
	const eraseUsage = "--request ID [--note TESTO]   esegue una richiesta di cancellazione/pseudonimizzazione"
	registerCommand(Command{Path: "privacy erase", Usage: eraseUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("privacy erase", flag.ContinueOnError)
			id := fs.Int64("request", 0, "id of the erasure request")
			note := fs.String("note", "", "note recorded with the decision")
			pos, err := parseInterspersed(fs, eraseUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd privacy erase %s", pos[0], eraseUsage)}
			}
			if *id == 0 {
				return usageError{"manca --request\nuso: esd privacy erase " + eraseUsage}
			}
			r, err := m.Privacy.Review(domain.WithActor(ctx, domain.SystemActor), *id, privacy.ReviewInput{Decision: "execute", Note: *note})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "richiesta %s eseguita: professionista %d ora %s\n", strconv.FormatInt(r.ID, 10), r.ProfessionalID, r.Pseudonym)
			for k, v := range r.Result {
				fmt.Fprintf(m.Out, "  %-28s %d\n", k, v)
			}
			return nil
		}})
}
