package app

import (
	"context"
	"esd/internal/assess"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"esd/internal/auth"
	"esd/internal/catalogue"
	"esd/internal/domain"
	"esd/internal/persona"
	"esd/internal/registry"
)

// catalogueCaps holds the services of the catalogue capability.
type catalogueCaps struct {
	// Catalogue is the training catalogue: events, credits, line mapping, search, analysis.
	Catalogue *catalogue.Service
}

// wireCatalogue builds the catalogue capability: its services, web module, start-up steps, demo data
// and commands.
func wireCatalogue(m *Main) error {
	svc := catalogue.New(m.DB, m.Log)
	// Individual objectives come from the assessment capability; a professional who has no
	// open objectives yet (no assessment taken) gets the lines their persona requires instead,
	// and the page says which basis it used.
	if m.Persona != nil {
		svc.Objectives = assessObjectives{a: m.Assess, fallback: personaObjectives{m.Persona}}
	}
	m.Catalogue = svc
	m.modules = append(m.modules, catalogue.WebModule{S: svc})
	m.starters = append(m.starters,
		namedFunc{"catalogue reference data", svc.EnsureReference},
		namedFunc{"catalogue search terms", svc.ReanalyseStale},
		namedFunc{"catalogue search index", func(ctx context.Context) error {
			// A national catalogue takes seconds to index: build it in the background so the
			// first search does not wait; small catalogues are indexed at the first search.
			if n, err := svc.EventCount(ctx); err == nil && n > 50_000 {
				go svc.Warm(context.WithoutCancel(ctx))
			}
			return nil
		}})
	m.demos = append(m.demos, namedFunc{"catalogue", func(ctx context.Context) error {
		// The registry's demo provider publishes the first share of the catalogue, so the
		// demo.provider, demo.regione and demo.professionista accounts see it.
		w, werr := registry.DemoIDs(ctx, m.DB)
		res, err := svc.LoadDemo(ctx, w.ProviderID)
		if err != nil {
			return err
		}
		if werr == nil && w.ProviderID != 0 {
			return nil
		}
		return demoCatalogueAccounts(ctx, m, res)
	}})
	return nil
}

// assessObjectives reads the professional's open individual and group objectives from the
// assessment capability, falling back to the persona's required lines when there are none.
type assessObjectives struct {
	a        *assess.Service
	fallback personaObjectives
}

// OpenObjectives implements catalogue.ObjectiveSource.
func (o assessObjectives) OpenObjectives(ctx context.Context, professionalID int64) ([]catalogue.Objective, bool, error) {
	if o.a != nil {
		v, err := o.a.Objectives(ctx, professionalID, "it")
		if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND && domain.ErrorCode(err) != domain.EFORBIDDEN {
			return nil, false, err
		}
		var out []catalogue.Objective
		for _, obj := range append(v.Individual, v.Group...) {
			if obj.State == assess.ObjAchieved || obj.State == assess.ObjExpired {
				continue
			}
			out = append(out, catalogue.Objective{LineID: obj.LineID, TargetLevel: obj.TargetLevel, Priority: obj.Priority})
		}
		if len(out) > 0 {
			sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
			return out, true, nil
		}
	}
	return o.fallback.OpenObjectives(ctx, professionalID)
}

// personaObjectives stands in for individual objectives until the assessment capability
// provides them: the lines the professional's persona requires (effective targets, with the
// overlays of their region and organisation), the highest target levels first.
type personaObjectives struct{ p *persona.Service }

// OpenObjectives implements catalogue.ObjectiveSource.
func (o personaObjectives) OpenObjectives(ctx context.Context, professionalID int64) ([]catalogue.Objective, bool, error) {
	ts, _, err := o.p.EffectiveTargets(ctx, professionalID)
	if err != nil {
		if c := domain.ErrorCode(err); c == domain.ENOTFOUND || c == domain.EFORBIDDEN {
			return nil, false, nil
		}
		return nil, false, err
	}
	top := 0
	for _, t := range ts {
		if t.Required && t.Min > top {
			top = t.Min
		}
	}
	var out []catalogue.Objective
	for _, t := range ts {
		if t.Required && t.Min > 0 {
			out = append(out, catalogue.Objective{LineID: t.LineID, TargetLevel: t.Min, Priority: top - t.Min + 1, Basis: "persona"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority < out[j].Priority })
	return out, len(out) > 0, nil
}

// Basis names what these objectives are, for the page.
func (personaObjectives) Basis() string { return "persona" }

// demoCatalogueAccounts adds a provider account for the demo provider and a regional
// reviewer for its region, when the registry's demo world is not there (existing accounts
// are left alone).
func demoCatalogueAccounts(ctx context.Context, m *Main, res catalogue.DemoResult) error {
	if len(res.Providers) == 0 {
		return nil
	}
	var region int64
	if err := m.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(region_id, 0) FROM organisations WHERE id = $1`, res.Providers[0]).Scan(&region); err != nil {
		return err
	}
	accounts := []auth.NewUser{
		{Username: "catalogo.provider", DisplayName: "Provider demo (catalogo)", Password: "demo-catalogo-provider", Role: domain.RoleProvider, OrganisationID: res.Providers[0]},
		{Username: "catalogo.revisore", DisplayName: "Revisore regionale demo (catalogo)", Password: "demo-catalogo-revisore", Role: domain.RoleRegional, RegionID: region},
	}
	for _, a := range accounts {
		var n int
		if err := m.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, a.Username).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := m.Auth.CreateUser(ctx, a); err != nil {
				return fmt.Errorf("demo account %s: %w", a.Username, err)
			}
		}
		scope := fmt.Sprintf("provider %d", a.OrganisationID)
		if a.Role == domain.RoleRegional {
			scope = fmt.Sprintf("regione %d", a.RegionID)
		}
		m.DemoLogins = append(m.DemoLogins, DemoLogin{Role: string(a.Role), Username: a.Username, Password: a.Password, Scope: scope})
	}
	return nil
}

func init() {
	registerCommand(Command{Path: "import events", Usage: "FILE [--format csv|json]   importa eventi ECM (tutto o niente)",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("import events", flag.ContinueOnError)
			format := fs.String("format", "", "csv or json (default from the file name)")
			file, rest := firstArg(args)
			if err := parseFlags(fs, rest); err != nil {
				return err
			}
			if file == "" {
				file = fs.Arg(0)
			}
			if file == "" {
				return domain.Invalid("FILE", "uso: esd import events FILE [--format csv|json]")
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			if *format == "" {
				*format = "csv"
				if strings.HasSuffix(strings.ToLower(file), ".json") {
					*format = "json"
				}
			}
			rep, err := m.Catalogue.ImportEvents(ctx, *format, f)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "eventi importati da %s: %d creati, %d aggiornati, %d invariati (%d righe)\n", file, rep.Created, rep.Updated, rep.Unchanged, rep.Rows)
			return nil
		}})
	registerCommand(Command{Path: "export events", Usage: "[--format csv|json] [--from AAAA-MM-GG] [--to AAAA-MM-GG]   esporta gli eventi",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("export events", flag.ContinueOnError)
			format := fs.String("format", "csv", "csv or json")
			from := fs.String("from", "", "editions ending on or after this date")
			to := fs.String("to", "", "events starting on or before this date")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			return m.Catalogue.ExportEvents(ctx, *format, catalogue.ExportFilter{From: *from, To: *to}, m.Out)
		}})
	registerCommand(Command{Path: "analyse catalogue", Usage: "[--keywords a,b,…] [--from AAAA-MM-GG] [--to AAAA-MM-GG] [--in-description] [--csv FILE] [--xlsx FILE]   analisi del catalogo",
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("analyse catalogue", flag.ContinueOnError)
			kw := fs.String("keywords", strings.Join(catalogue.DefaultKeywords, ","), "comma-separated keywords")
			from := fs.String("from", "", "first edition on or after (YYYY-MM-DD)")
			to := fs.String("to", "", "first edition on or before (YYYY-MM-DD)")
			desc := fs.Bool("in-description", false, "match keywords in the description too")
			csvOut := fs.String("csv", "", "also write the tables to this CSV file")
			xlsxOut := fs.String("xlsx", "", "also write the tables to this XLSX file")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			an, err := m.Catalogue.Analyse(ctx, catalogue.AnalysisQuery{Keywords: strings.Split(*kw, ","), From: *from, To: *to, InDescription: *desc})
			if err != nil {
				return err
			}
			if err := an.WriteText(m.Out); err != nil {
				return err
			}
			for path, write := range map[string]func(*os.File) error{
				*csvOut:  func(f *os.File) error { return an.WriteCSV(f) },
				*xlsxOut: func(f *os.File) error { return an.WriteXLSX(f) },
			} {
				if path == "" {
					continue
				}
				f, err := os.Create(path)
				if err != nil {
					return err
				}
				if err := write(f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintln(m.Out, "scritto", path)
			}
			return nil
		}})
}

// firstArg splits off a leading positional argument (commands take FILE before flags).
func firstArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}
