package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"esd/internal/registry"
)

// registryCaps holds the services of the registry capability.
type registryCaps struct {
	// Registry is the national registry: reference tables, organisations, professionals.
	Registry *registry.Service
}

// wireRegistry builds the registry capability: its services, web module, start-up steps, demo data
// and commands.
func wireRegistry(m *Main) error {
	m.Registry = registry.New(m.DB, m.Jobs)
	m.modules = append(m.modules, registry.Module{S: m.Registry, Jobs: m.Jobs})
	m.starters = append(m.starters, namedFunc{"reference data", func(ctx context.Context) error {
		start := time.Now()
		st, err := m.Registry.LoadReference(ctx)
		if err != nil {
			return err
		}
		m.Log.Info("reference data", "loaded", st.Loaded, "rows", st.Rows, "unchanged", len(st.Skipped), "ms", time.Since(start).Milliseconds())
		return nil
	}})
	m.demos = append(m.demos, namedFunc{"registry", func(ctx context.Context) error {
		accounts, err := m.Registry.LoadDemo(ctx, m.Auth)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			m.DemoLogins = append(m.DemoLogins, DemoLogin{Role: a.Role, Username: a.Username, Password: a.Password, Scope: a.Scope})
		}
		return nil
	}})
	return nil
}

func init() {
	registerCommand(Command{Path: "import professionals", Usage: "FILE [--dry-run] [--partial]  importa professionisti da CSV (UTF-8 o Windows-1252, ; o ,)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("import professionals", flag.ContinueOnError)
			dry := fs.Bool("dry-run", false, "validate only, write nothing")
			partial := fs.Bool("partial", false, "import the good rows even if others are bad")
			var file string
			// The file may come before or after the flags.
			if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
				file, args = args[0], args[1:]
			}
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if file == "" && fs.NArg() > 0 {
				file = fs.Arg(0)
			}
			if file == "" {
				return fmt.Errorf("uso: esd import professionals FILE [--dry-run] [--partial]")
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			res, err := m.Registry.ImportProfessionals(ctx, f, registry.ImportOptions{DryRun: *dry, Partial: *partial})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "%s: %d righe (%s, separatore %q): %d inseriti, %d aggiornati, %d invariati, %d scartati, %d ms",
				file, res.Rows, res.Encoding, res.Separator, res.Created, res.Updated, res.Unchanged, res.Rejected, res.Millis)
			if res.DryRun {
				fmt.Fprint(m.Out, " (solo verifica: nulla è stato salvato)")
			}
			fmt.Fprintln(m.Out)
			for _, p := range res.Problems {
				fmt.Fprintf(m.Out, "  riga %d, campo %s: %s %s\n", p.Line, p.Field, p.Reason, p.Value)
			}
			return nil
		}})
}
