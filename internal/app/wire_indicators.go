package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"esd/internal/indicators"
)

// indicatorsCaps holds the services of the adoption indicators capability.
type indicatorsCaps struct {
	// Indicators stores the FSE 2.0 and telemedicine indicators and shows them beside training.
	Indicators *indicators.Service
}

// wireIndicators builds the FSE and telemedicine indicators: the service (which reads training
// figures only through monitor's suppressing queries, hence after monitor), the web module, the
// synthetic demo values and the import command.
func wireIndicators(m *Main) error {
	svc := indicators.New(m.DB, m.Monitor, m.Log)
	m.Indicators = svc
	m.modules = append(m.modules, indicators.WebModule{S: svc})
	m.demos = append(m.demos, namedFunc{"indicators", func(ctx context.Context) error {
		_, err := svc.LoadDemo(ctx)
		return err
	}})
	return nil
}

func init() {
	const usage = "FILE [--dry-run]   importa indicatori FSE e telemedicina da CSV (; , UTF-8 o Windows-1252)"
	registerCommand(Command{Path: "import indicators", Usage: usage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("import indicators", flag.ContinueOnError)
			dry := fs.Bool("dry-run", false, "validate only, write nothing")
			pos, err := parseInterspersed(fs, usage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				return usageError{"serve un solo FILE\nuso: esd import indicators " + usage}
			}
			f, err := os.Open(pos[0])
			if err != nil {
				return err
			}
			defer f.Close()
			res, err := m.Indicators.Import(ctx, f, indicators.ImportOptions{DryRun: *dry})
			if err != nil {
				// esd prints the error with every problem (line, column, reason, value).
				return err
			}
			fmt.Fprintf(m.Out, "%s: %d righe (%s, separatore %q): %d nuovi, %d sostituiti, %d invariati, %d ms", pos[0], res.Rows, res.Encoding, res.Separator,
				res.Created, res.Updated, res.Unchanged, res.Millis)
			if res.DryRun {
				fmt.Fprint(m.Out, " (solo verifica: nulla è stato salvato)")
			}
			fmt.Fprintln(m.Out)
			return nil
		}})
}
