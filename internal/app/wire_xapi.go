package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"esd/internal/domain"
	"esd/internal/xapi"
)

// xapiCaps holds the services of the learning record store.
type xapiCaps struct {
	// XAPI stores xAPI statements and documents and projects completions into participations.
	XAPI *xapi.Service
}

// wireXAPI builds the LRS after participation, whose external write path it projects
// through. ESD_XAPI_RETENTION_DAYS keeps statements that many days (default: for ever).
func wireXAPI(m *Main) error {
	s := xapi.New(m.DB, m.Log)
	if m.Participation != nil {
		s.Projector = m.Participation
	}
	if v := os.Getenv("ESD_XAPI_RETENTION_DAYS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			s.Retention = time.Duration(n) * 24 * time.Hour
		}
	}
	m.XAPI = s
	m.modules = append(m.modules, xapi.WebModule{S: s})
	return nil
}

func init() {
	const purgeUsage = "[--days N]   elimina gli statement xAPI più vecchi della conservazione (ESD_XAPI_RETENTION_DAYS o --days)"
	registerCommand(Command{Path: "xapi purge", Usage: purgeUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("xapi purge", flag.ContinueOnError)
			days := fs.Int("days", 0, "retention in days (default ESD_XAPI_RETENTION_DAYS)")
			pos, err := parseInterspersed(fs, purgeUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd xapi purge %s", pos[0], purgeUsage)}
			}
			if *days < 0 {
				return usageError{"--days deve essere positivo"}
			}
			if *days > 0 {
				m.XAPI.Retention = time.Duration(*days) * 24 * time.Hour
			}
			if m.XAPI.Retention == 0 {
				fmt.Fprintln(m.Out, "nessuna conservazione impostata (ESD_XAPI_RETENTION_DAYS o --days): nulla da eliminare")
				return nil
			}
			upTo, err := m.XAPI.Purge(domain.WithActor(ctx, domain.SystemActor))
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "statement xAPI eliminati fino alla sequenza %d (conservazione %.0f giorni)\n", upTo, m.XAPI.Retention.Hours()/24)
			return nil
		}})
}
