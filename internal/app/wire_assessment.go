package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"esd/internal/assess"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/persona"
)

// assessmentCaps holds the services of the assessment capability.
type assessmentCaps struct {
	// Assess is the item bank, assessments, evidence ledger, gaps and objectives.
	Assess *assess.Service
}

// wireAssessment builds the assessment capability: its services, web module, start-up steps, demo data
// and commands. The effective targets of each professional come from the Digital Personas
// service (wired before this capability).
func wireAssessment(m *Main) error {
	s := assess.New(m.DB, m.Jobs, m.Log)
	if m.Persona != nil {
		s.Targets = personaTargets{p: m.Persona, db: m.DB}
	}
	m.Assess = s
	m.modules = append(m.modules, assess.Module{S: s})
	m.starters = append(m.starters,
		namedFunc{"assessment item banks", s.EnsureDefaultBanks},
		namedFunc{"expire overdue objectives", func(ctx context.Context) error {
			_, err := s.ExpireObjectives(ctx)
			return err
		}},
	)
	m.demos = append(m.demos, namedFunc{"assessments, gaps and objectives", s.Demo})
	return nil
}

// personaTargets adapts the personas service to assess.TargetSource: a required target's
// minimum is the target level, its maximum the top of the range.
type personaTargets struct {
	p  *persona.Service
	db *db.DB
}

func convertTargets(ts []persona.Target) []assess.Target {
	out := make([]assess.Target, 0, len(ts))
	for _, t := range ts {
		if t.Required && t.Min >= 1 {
			out = append(out, assess.Target{LineID: t.LineID, Level: t.Min, MaxLevel: t.Max})
		}
	}
	return out
}

// EffectiveTargets implements assess.TargetSource.
func (t personaTargets) EffectiveTargets(ctx context.Context, professionalID int64) ([]assess.Target, assess.PersonaInfo, error) {
	ts, pr, err := t.p.EffectiveTargets(ctx, professionalID)
	if err != nil {
		return nil, assess.PersonaInfo{}, err
	}
	if pr.PersonaID == 0 {
		return nil, assess.PersonaInfo{}, domain.NotFound("persona")
	}
	return convertTargets(ts), assess.PersonaInfo{ID: pr.PersonaID, Code: pr.PersonaCode, Name: pr.PersonaNameIT, FrameworkID: pr.FrameworkID}, nil
}

// EachEffectiveTargets implements assess.TargetSource: it streams the stored profiles of the
// current framework version in professional order (the read pool, never the writer) and
// computes each one's targets from the personas' targets and overlays loaded once.
//
// The profiles are read a page at a time and each page's cursor is closed before fn runs:
// on SQLite an open read keeps its snapshot, and a snapshot held through a whole seed step
// stops every checkpoint, so the WAL grew past 5 GB at size L and each read slowed with it.
func (t personaTargets) EachEffectiveTargets(ctx context.Context, personaID int64, fn func(int64, []assess.Target, assess.PersonaInfo) error) error {
	set, err := t.p.LoadEffectiveSet(ctx, 0)
	if err != nil {
		return err
	}
	q := `SELECT pr.professional_id, pr.persona_id, p.region_id, COALESCE(p.organisation_id, 0), pe.code, pe.name_it
		FROM profiles pr JOIN professionals p ON p.id = pr.professional_id JOIN personas pe ON pe.id = pr.persona_id
		WHERE pr.framework_id = $1 AND pr.professional_id > $2`
	if personaID != 0 {
		q += ` AND pr.persona_id = $3`
	}
	q += ` ORDER BY pr.professional_id LIMIT ` + strconv.Itoa(targetsPage)
	type row struct {
		prof, pid, region, org int64
		code, name             string
	}
	cache := map[[3]int64][]assess.Target{}
	page := make([]row, 0, targetsPage)
	for last := int64(0); ; {
		args := []any{set.FrameworkID, last}
		if personaID != 0 {
			args = append(args, personaID)
		}
		page = page[:0]
		err := func() error {
			rows, err := t.db.Read.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.prof, &r.pid, &r.region, &r.org, &r.code, &r.name); err != nil {
					return err
				}
				page = append(page, r)
			}
			return rows.Err()
		}()
		if err != nil {
			return err
		}
		for _, r := range page {
			k := [3]int64{r.pid, r.region, r.org}
			ts, ok := cache[k]
			if !ok {
				ts = convertTargets(set.For(r.pid, r.region, r.org))
				cache[k] = ts
			}
			if err := fn(r.prof, ts, assess.PersonaInfo{ID: r.pid, Code: r.code, Name: r.name, FrameworkID: set.FrameworkID}); err != nil {
				return err
			}
		}
		if len(page) < targetsPage {
			return nil
		}
		last = page[len(page)-1].prof
	}
}

// targetsPage is how many profiles EachEffectiveTargets reads in one query.
const targetsPage = 5000

func init() {
	registerCommand(Command{Path: "import itembank", Usage: "--format json|csv --bank ID FILE   importa domande in una banca in bozza",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("import itembank", flag.ContinueOnError)
			format := fs.String("format", "json", "json or csv")
			bank := fs.Int64("bank", 0, "id of a draft bank")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() != 1 || *bank == 0 {
				return domain.Invalid("args", "usage: esd import itembank --format json|csv --bank ID FILE")
			}
			f, err := os.Open(fs.Arg(0))
			if err != nil {
				return err
			}
			defer f.Close()
			rep, err := m.Assess.ImportBank(System(ctx), *bank, *format, f)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "banca %d: %d aggiunte, %d aggiornate, %d invariate\n", *bank, rep.Added, rep.Updated, rep.Unchanged)
			return nil
		}})
	registerCommand(Command{Path: "export itembank", Usage: "--format json|csv --bank ID [--out FILE]   esporta una banca delle domande",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("export itembank", flag.ContinueOnError)
			format := fs.String("format", "json", "json or csv")
			bank := fs.Int64("bank", 0, "bank id (default: the newest)")
			out := fs.String("out", "", "file (default: standard output)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *bank == 0 {
				banks, err := m.Assess.ListBanks(System(ctx))
				if err != nil {
					return err
				}
				if len(banks) == 0 {
					return domain.NotFound("item bank")
				}
				*bank = banks[len(banks)-1].ID
			}
			var w io.Writer = m.Out
			if *out != "" {
				f, err := os.Create(*out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			return m.Assess.ExportBank(System(ctx), *bank, *format, w)
		}})
	registerCommand(Command{Path: "assess levels", Usage: "[--check]   ricalcola i livelli dal registro delle evidenze (--check: confronta soltanto)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("assess levels", flag.ContinueOnError)
			check := fs.Bool("check", false, "compare only")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			rep, err := m.Assess.RecomputeLevels(System(ctx), !*check)
			if err != nil {
				return err
			}
			return json.NewEncoder(m.Out).Encode(rep)
		}})
	registerCommand(Command{Path: "assess objectives", Usage: "regenerate [--persona ID] | expire   rigenera gli obiettivi in bozza o segna quelli scaduti",
		Run: func(ctx context.Context, m *Main, args []string) error {
			if len(args) == 0 {
				return domain.Invalid("args", "usage: esd assess objectives regenerate [--persona ID] | expire")
			}
			switch args[0] {
			case "regenerate":
				fs := flag.NewFlagSet("regenerate", flag.ContinueOnError)
				persona := fs.Int64("persona", 0, "only this persona's professionals")
				if err := parseFlags(fs, args[1:]); err != nil {
					return err
				}
				rep, err := m.Assess.RegenerateObjectives(System(ctx), *persona, nil)
				if err != nil {
					return err
				}
				return json.NewEncoder(m.Out).Encode(rep)
			case "expire":
				n, err := m.Assess.ExpireObjectives(System(ctx))
				if err != nil {
					return err
				}
				fmt.Fprintf(m.Out, "%d obiettivi scaduti\n", n)
				return nil
			}
			return domain.Invalid("args", "unknown subcommand %q", args[0])
		}})
	registerCommand(Command{Path: "assess bench", Usage: "[--scenario gaps|regenerate] [--n N]   benchmark su un database SQLite temporaneo (righe JSON)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("assess bench", flag.ContinueOnError)
			scenario := fs.String("scenario", "gaps", "gaps or regenerate")
			n := fs.Int("n", 20000, "professionals")
			calls := fs.Int("calls", 5000, "gap computations timed (gaps)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			// The benchmark writes its own synthetic world, so it never runs on the platform's
			// database: a throwaway SQLite file in the data folder.
			dir, err := os.MkdirTemp(m.Config.DataDir, "assess-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			d, err := db.Open(ctx, filepath.Join(dir, "bench.db"))
			if err != nil {
				return err
			}
			defer d.Close()
			if err := d.Migrate(ctx); err != nil {
				return err
			}
			var ms []assess.BenchMetric
			switch *scenario {
			case "gaps":
				ms, err = assess.BenchGaps(ctx, d, *n, *calls)
			case "regenerate":
				ms, err = assess.BenchRegenerate(ctx, d, *n)
			default:
				return domain.Invalid("scenario", "scenario must be gaps or regenerate")
			}
			if err != nil {
				return err
			}
			enc := json.NewEncoder(m.Out)
			for _, x := range ms {
				if err := enc.Encode(x); err != nil {
					return err
				}
			}
			return nil
		}})
}
