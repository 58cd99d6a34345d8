package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"esd/internal/domain"
	"esd/internal/portfolio"
)

// portfolioCaps holds the services of the portfolio capability.
type portfolioCaps struct {
	// Portfolio is the national portfolio of digital competences: versioned frameworks,
	// their tree, scale, level descriptors and crosswalks, import and export.
	Portfolio *portfolio.Service
}

// wirePortfolio builds the portfolio capability: its services, web module, start-up steps, demo data
// and commands.
func wirePortfolio(m *Main) error {
	m.Portfolio = &portfolio.Service{DB: m.DB, Log: m.Log}
	m.modules = append(m.modules, portfolio.Module{S: m.Portfolio})
	// The illustrative default portfolio is loaded (and published) at first start only.
	m.starters = append(m.starters, namedFunc{"portfolio default", func(ctx context.Context) error {
		loaded, err := m.Portfolio.EnsureDefault(ctx)
		if loaded {
			m.Log.Info("loaded the illustrative default portfolio (6 dimensions, 16 ambiti, 140 lines)")
		}
		return err
	}})
	return nil
}

func init() {
	registerCommand(Command{Path: "import portfolio",
		Usage: "--format json|moodle|case FILE   importa un portfolio come nuova bozza (tutto o niente)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("import portfolio", flag.ContinueOnError)
			format := fs.String("format", "json", "json, moodle or case")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() != 1 {
				return domain.Invalid("file", "uso: esd import portfolio --format json|moodle|case FILE")
			}
			data, err := readInput(fs.Arg(0))
			if err != nil {
				return err
			}
			res, err := m.Portfolio.Import(ctx, *format, data, filepath.Base(fs.Arg(0)))
			if err != nil {
				return err
			}
			if res.Unchanged {
				fmt.Fprintf(m.Out, "file già importato: nessuna modifica (versione %s, id %d)\n", res.Version.Label(), res.Version.ID)
			} else {
				fmt.Fprintf(m.Out, "importata la bozza %s (id %d): %d dimensioni, %d ambiti, %d linee\n",
					res.Version.Label(), res.Version.ID, res.Dimensions, res.Areas, res.Lines)
			}
			for _, n := range res.Notes {
				fmt.Fprintln(m.Out, "  nota:", n)
			}
			return nil
		}})
	registerCommand(Command{Path: "export portfolio",
		Usage: "--format json|moodle|case [--version V] [--out FILE]   esporta una versione (predefinita: quella in vigore)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("export portfolio", flag.ContinueOnError)
			format := fs.String("format", "json", "json, moodle or case")
			version := fs.String("version", "", "version id, or label (e.g. 0.1, or CODE:0.1); default the version in force")
			out := fs.String("out", "", "output file (default standard output)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			id, err := resolveVersion(ctx, m.Portfolio, *version)
			if err != nil {
				return err
			}
			e, err := m.Portfolio.Export(ctx, id, *format)
			if err != nil {
				return err
			}
			if *out == "" {
				_, err = m.Out.Write(e.Data)
				return err
			}
			return os.WriteFile(*out, e.Data, 0o644)
		}})
}

func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, portfolio.MaxImportBytes+1))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, domain.Invalid("file", "%v", err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, portfolio.MaxImportBytes+1))
}

// resolveVersion turns --version (an id, a label, or CODE:label) into a version id; empty
// means the version in force.
func resolveVersion(ctx context.Context, s *portfolio.Service, v string) (int64, error) {
	if v == "" {
		cur, err := s.Current(ctx)
		return cur.ID, err
	}
	vs, err := s.Versions(ctx)
	if err != nil {
		return 0, err
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil {
		for _, x := range vs {
			if x.ID == id {
				return id, nil
			}
		}
	}
	var found []portfolio.Version
	for _, x := range vs {
		if x.Version == v || x.Code+":"+x.Version == v {
			found = append(found, x)
		}
	}
	switch len(found) {
	case 0:
		return 0, domain.NotFound("framework version " + v)
	case 1:
		return found[0].ID, nil
	}
	return 0, domain.Invalid("version", "several frameworks have a version %s: use CODE:%s or the id", v, v)
}
