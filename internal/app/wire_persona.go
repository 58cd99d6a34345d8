package app

import (
	"context"
	"flag"
	"fmt"
	"time"

	"esd/internal/persona"
)

// personaCaps holds the services of the Digital Personas capability.
type personaCaps struct {
	Persona *persona.Service
}

// wirePersona builds the persona capability: its service, web module, the start-up step
// that loads the default illustrative personas onto the published illustrative portfolio,
// the demo step that profiles every demo professional, and the CLI commands.
func wirePersona(m *Main) error {
	m.Persona = persona.New(m.DB, m.Jobs, m.Log)
	m.modules = append(m.modules, persona.Module{S: m.Persona})
	// A newly published portfolio version takes its predecessor's personas, and every
	// professional is re-profiled on it in the background.
	m.Portfolio.OnPublish = func(ctx context.Context, versionID int64) error {
		adopted, err := m.Persona.AdoptVersion(ctx, versionID)
		if err != nil || !adopted {
			return err
		}
		_, err = m.Persona.StartReassign(ctx, versionID)
		return err
	}
	m.starters = append(m.starters, namedFunc{"default personas", func(ctx context.Context) error {
		loaded, err := m.Persona.EnsureDefaults(ctx)
		if err != nil {
			return err
		}
		// A portfolio version published since the last start takes its predecessor's personas.
		if cur, err := m.Persona.CurrentFramework(ctx); err == nil {
			adopted, err := m.Persona.AdoptVersion(ctx, cur.ID)
			if err != nil {
				return err
			}
			loaded = loaded || adopted
		}
		if !loaded {
			return nil
		}
		// Profiles for professionals already registered are computed in the background,
		// so a start on a full national database is not held up.
		var n int64
		if err := m.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&n); err != nil || n == 0 {
			return err
		}
		_, err = m.Persona.StartReassign(ctx, 0)
		return err
	}})
	m.demos = append(m.demos, namedFunc{"profiles", func(ctx context.Context) error {
		if _, err := m.Persona.EnsureDefaults(ctx); err != nil {
			return err
		}
		if _, err := m.Persona.CurrentFramework(ctx); err != nil {
			return nil //nolint:nilerr // no published portfolio: nothing to profile
		}
		_, err := m.Persona.Reassign(ctx, 0, nil)
		return err
	}})
	return nil
}

func init() {
	registerCommand(Command{Path: "persona reassign", Usage: "[--framework ID] ricalcola dalle regole la persona di tutti i professionisti",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("persona reassign", flag.ContinueOnError)
			fid := fs.Int64("framework", 0, "framework version id (default: the current published one)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			start := time.Now()
			res, err := m.Persona.Reassign(System(ctx), *fid, nil)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "Riassegnati %d professionisti (versione %d): %d cambiati, %d invariati, %d assegnazioni manuali mantenute, %d senza persona, in %s\n",
				res.Professionals, res.FrameworkID, res.Changed, res.Unchanged, res.KeptManual+res.CarriedManual, res.Unmatched, time.Since(start).Round(time.Millisecond))
			return nil
		}})
	registerCommand(Command{Path: "persona copy", Usage: "--from ID --to ID copia personas, obiettivi, personalizzazioni e regole in un'altra versione",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("persona copy", flag.ContinueOnError)
			from := fs.Int64("from", 0, "source framework version id")
			to := fs.Int64("to", 0, "target framework version id")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			res, err := m.Persona.CopyPersonas(System(ctx), *from, *to)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "Copiate %d personas, %d obiettivi, %d regole, %d personalizzazioni; linee non più presenti: %d\n",
				res.Personas, res.Targets, res.Rules, res.Overlays, len(res.DroppedTargets)+len(res.DroppedOverlays))
			return nil
		}})
	registerCommand(Command{Path: "persona bench", Usage: "[-n N] misura la riassegnazione di N professionisti (genera quelli mancanti)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("persona bench", flag.ContinueOnError)
			n := fs.Int("n", 0, "professionals to have (the missing ones are generated); 0 = those present")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			rep, err := persona.BenchReassign(ctx, m.DB, *n)
			if err != nil {
				return err
			}
			for _, f := range rep.Figures {
				fmt.Fprintf(m.Out, "%-34s %12.2f %-16s baseline %10.2f ratio %6.2f\n", f.Metric, f.Value, f.Unit, f.Baseline, f.Ratio)
			}
			return nil
		}})
}
