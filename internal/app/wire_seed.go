package app

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"esd/internal/bench"
	"esd/internal/credits"
	"esd/internal/participation"
	"esd/internal/seed"
	"esd/internal/web"
)

// seedCaps holds the services of the seed capability (it has none of its own: it drives the
// other capabilities' services).
type seedCaps struct{}

// wireSeed builds the seed capability: its services, web module, start-up steps, demo data
// and commands.
func wireSeed(m *Main) error {
	return nil
}

func init() {
	registerCommand(Command{Path: "seed", Usage: "--size S|M|L [--seed N] [--history FILE]: genera il dataset sintetico nazionale", Run: runSeed})
	registerCommand(Command{Path: "bench", Usage: "[--size S|M|L] [--scenario a,b] [--quick] [--rate R] [--duration D] [--overload F] [--history FILE] [--list]: esegue i benchmark (carico prolungato: --scenario soak)", Run: runBench})
}

// defaultHistory is where seed and bench append their figures when --history is not given:
// ESD_BENCH_HISTORY, else bench-history.jsonl in the data folder, next to the database the
// figures describe (never a file of the working folder). The project's own record is
// bench/history.jsonl, written with --history bench/history.jsonl.
func defaultHistory(m *Main) string {
	if v := os.Getenv("ESD_BENCH_HISTORY"); v != "" {
		return v
	}
	dir := m.Config.DataDir
	if dir == "" {
		dir = "data"
	}
	return filepath.Join(dir, "bench-history.jsonl")
}

// seedSteps lists the steps of the world that the capabilities merged so far can write,
// each through its own service.
func seedSteps(m *Main) ([]seed.Step, error) {
	var steps []seed.Step
	prof, err := professionalSteps(m)
	if err != nil {
		return nil, err
	}
	steps = append(steps, prof...)
	steps = append(steps, seed.PersonasStep(m.Persona))
	steps = append(steps, seed.AssessmentsStep(m.Assess))
	steps = append(steps, seed.ObjectivesStep(m.Assess))
	steps = append(steps, seed.EventsStep(m.Registry, m.Catalogue))
	if m.Participation != nil {
		steps = append(steps, seed.ParticipationsStep(m.Participation))
	}
	steps = append(steps, seed.AccountsStep(m.Auth))
	return steps, nil
}

// professionalSteps is where the registry's codice fiscale encoder and bulk import are
// plugged in.
func professionalSteps(m *Main) ([]seed.Step, error) {
	return []seed.Step{seed.ProfessionalsStep(seed.EncodeCF, seed.RegistryWriter(m.Registry), 10000)}, nil
}

// PostNewParticipations implements participation.BulkCreditSink: the seed's participations
// are new, so the ledger skips looking for their entries.
func (k creditSink) PostNewParticipations(ctx context.Context, tx *sql.Tx, posts []participation.CreditPost) error {
	out := make([]credits.ParticipationCredit, len(posts))
	for i, p := range posts {
		out[i] = credits.ParticipationCredit(p)
	}
	_, err := k.c.PostNewParticipations(ctx, tx, out)
	return err
}

func runSeed(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	size := fs.String("size", "S", "dataset size: S, M or L")
	sd := fs.Int64("seed", seed.DefaultSeed, "random seed of the dataset")
	hist := fs.String("history", defaultHistory(m), "benchmark history file to append the seed's speed to (empty: none)")
	profs := fs.Int("professionals", 0, "override the number of professionals (quick trials; the dataset keeps its size name)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sz, err := seed.ParseSize(*size)
	if err != nil {
		return err
	}
	if *profs > 0 {
		sz.Professionals = *profs
	}
	_, err = seedWorld(ctx, m, sz, *sd, *hist)
	return err
}

// seedCacheMiB is the writer's page cache during the seed: ESD_SEED_CACHE_MB (MiB; 0 keeps
// the server's 32 MB), 1,024 by default, an explicit budget for a batch job on a machine
// the seed has to itself, so that at size L the random-key indexes being filled
// (participations by edition and event) stay in memory instead of being re-read from the
// OS at every insert. The one earlier trial (2,048 MiB, machine under load) saw the WAL grow
// to 5 GB; the cause was a read cursor kept open through the assessments step, now paged.
func seedCacheMiB() int {
	if v := os.Getenv("ESD_SEED_CACHE_MB"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return 1024
}

// seedWALMiB is how large the SQLite log may grow between the seed's automatic
// checkpoints: ESD_SEED_WAL_MB (MiB; 0 keeps SQLite's 4 MB), 512 by default. The profile
// of seed L with the default showed a checkpoint in nearly every commit (each transaction
// writes more than 4 MB) and 7 % of the run copying pages from the log to the file. Seed M on
// the quiet machine: 168.8 s with 512 MiB against 200.3 s with SQLite's default (every step
// faster: assessments 57.3 s against 67.3 s, participations 63.6 s against 79.5 s).
func seedWALMiB() int {
	if v := os.Getenv("ESD_SEED_WAL_MB"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return n
		}
	}
	return 512
}

// seedWorld seeds the dataset and reports its speed: per step rows/s next to a raw batch
// insert measured just before on the same database, and the total time (for L the target
// is 20 minutes on this machine).
func seedWorld(ctx context.Context, m *Main, sz seed.Size, sd int64, histPath string) ([]seed.StepResult, error) {
	steps, err := seedSteps(m)
	if err != nil {
		return nil, err
	}
	if err := m.DB.SetAutoCheckpoint(ctx, seedWALMiB()); err != nil {
		return nil, err
	}
	if err := m.DB.WidenWriteCache(ctx, seedCacheMiB()); err != nil {
		return nil, fmt.Errorf("seed: writer cache: %w", err)
	}
	raw, err := bench.RawInsert(ctx, m.DB, 50_000)
	if err != nil {
		return nil, fmt.Errorf("seed: raw insert baseline: %w", err)
	}
	if err := bench.ClearScratch(ctx, m.DB); err != nil {
		return nil, err
	}
	start := time.Now()
	s := &seed.Seeder{DB: m.DB, Size: sz, Seed: sd, Out: m.Out, Steps: steps}
	results, err := s.Run(ctx)
	if err != nil {
		return results, err
	}
	total := time.Since(start)
	fmt.Fprintf(m.Out, "seed: dataset %s ready in %s\n", sz.Name, total.Round(100*time.Millisecond))
	fmt.Fprintf(m.Out, "seed: logins (password %q): %s\n", seed.SeedPassword(sd), strings.Join(seedUsernames(), ", "))

	h, err := bench.LoadHistory(histPath)
	if err != nil {
		return results, err
	}
	env := bench.DetectEnv(ctx, m.DB)
	env.DatasetSeed, env.DatasetSize, env.DatasetProfessionals = sd, sz.Name, int64(sz.Professionals)
	r := bench.NewRunner(bench.Options{Dataset: sz.Name, Env: env, History: h})
	r.SetBaseline(bench.BaselineInsert, raw)
	ran, resumed := false, false
	for _, res := range results {
		resumed = resumed || res.Skipped
		if res.Skipped || res.Rows == 0 {
			continue
		}
		ran = true
		r.Record("seed."+res.Step, bench.Spec{Metric: "rows_per_s", Unit: "rows/s", Better: bench.Higher, Baseline: bench.BaselineInsert},
			[]float64{res.Rate()})
	}
	if ran {
		var targets []bench.Target
		if sz.Name == seed.SizeL.Name {
			targets = []bench.Target{bench.AtMost(20 * 60)}
		}
		// A resumed seed's total covers only the steps left: not comparable with a full one.
		if !resumed {
			r.Record("seed.total", bench.Spec{Metric: "seconds", Unit: "s", Better: bench.Lower, Targets: targets}, []float64{total.Seconds()})
		}
		bench.WriteTable(m.Out, r.Records(), nil)
		if err := h.Append(r.Records()); err != nil {
			return results, err
		}
	}
	return results, nil
}

func seedUsernames() []string {
	var out []string
	for _, l := range seed.SeedLogins {
		out = append(out, l.Username)
	}
	return out
}

func runBench(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	size := fs.String("size", "", "dataset size to measure (S, M, L); an empty database is seeded first")
	sd := fs.Int64("seed", seed.DefaultSeed, "seed used when the database must be seeded first")
	scen := fs.String("scenario", "", "comma-separated scenarios, globs or prefixes (default: all)")
	quick := fs.Bool("quick", false, "short repetitions (CI smoke): checks that scenarios run, figures not comparable")
	reps := fs.Int("reps", 3, "kept repetitions per scenario (at least 3)")
	rate := fs.Float64("rate", 0, "open-loop arrival rate for the pages, requests/s (default 100)")
	hist := fs.String("history", defaultHistory(m), "history file (empty: none)")
	list := fs.Bool("list", false, "list the scenarios and exit")
	inproc := fs.Bool("inprocess-load", false, "run the load generator in this process (its CPU then includes the server's)")
	sane := fs.Bool("require-sane", false, "fail a scenario whose figures are not positive finite numbers (CI smoke)")
	soakDur := fs.Duration("duration", 30*time.Minute, "soak: length of the main phase")
	overload := fs.Float64("overload", 0, "soak: run the main phase at this many times --rate and check graceful degradation (e.g. 2)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ds, err := seed.Current(ctx, m.DB)
	if err != nil {
		return err
	}
	if *size != "" {
		sz, err := seed.ParseSize(*size)
		if err != nil {
			return err
		}
		switch {
		case ds.Size == "" && ds.Professionals == 0:
			fmt.Fprintf(os.Stderr, "bench: empty database: seeding dataset %s first\n", sz.Name)
			if _, err := seedWorld(ctx, m, sz, *sd, *hist); err != nil {
				return err
			}
			if ds, err = seed.Current(ctx, m.DB); err != nil {
				return err
			}
		case ds.Size != sz.Name:
			return fmt.Errorf("bench: the database holds dataset %q, not %s", ds.Size, sz.Name)
		}
	}
	dataset := ds.Size
	if dataset == "" {
		dataset = "none"
	}
	// The platform serves on a random loopback port for the page scenarios. Request logs go
	// to a discarding handler: formatting them is part of serving, printing them is not.
	m.Server.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: m.Server, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	bcfg, pcfg := bench.DefaultBaselineConfig(*quick), bench.DefaultPageConfig(*quick)
	if *rate > 0 {
		bcfg.Rate, pcfg.Rate = *rate, *rate
	}
	bcfg.InProcessLoad, pcfg.InProcessLoad = *inproc, *inproc
	if *soakDur <= 0 || *overload < 0 {
		return usageError{"--duration must be positive and --overload not negative\nuso: esd bench " + usageOf("bench")}
	}
	// The page scenarios measure capacity with 64 connections: the admission control would
	// turn most of that into 429s, so it is off for them and the soak alone runs under the
	// limits in force (its Setup restores them, its Teardown turns them off again).
	limits := m.Server.AdmissionLimits()
	if limits.Queue == 0 {
		limits.Queue = -1 // SetAdmission reads a zero queue as the default
	}
	m.Server.SetAdmission(web.AdmissionConfig{Limit: -1})
	defer m.Server.SetAdmission(limits)
	soak := soakOptions{Rate: *rate, Duration: *soakDur, Overload: *overload, Out: m.Out, Log: os.Stderr, Admission: limits}
	if soak.Rate <= 0 {
		soak.Rate = defaultSoakRate
	}
	suite, err := benchSuite(ctx, m, base, ds, bcfg, pcfg, soak, *quick)
	if err != nil {
		return err
	}
	if *list {
		for _, n := range suite.Names() {
			fmt.Fprintln(m.Out, n)
		}
		return nil
	}
	h, err := bench.LoadHistory(*hist)
	if err != nil {
		return err
	}
	env := bench.DetectEnv(ctx, m.DB)
	env.DatasetSeed, env.DatasetSize, env.DatasetProfessionals, env.Quick = ds.Seed, dataset, ds.Professionals, *quick
	var filter []string
	if *scen != "" {
		filter = strings.Split(*scen, ",")
	}
	r := bench.NewRunner(bench.Options{Dataset: dataset, Env: env, Filter: filter, Reps: *reps, History: h,
		JSON: m.Out, Table: m.Out, Log: os.Stderr, RequireSane: *sane})
	return r.Run(ctx, suite)
}

// benchSuite registers the scenarios that exist in this build: the baselines, the pages of
// the running platform (as the seeded accounts see them), and each capability's own
// benchmark.
func benchSuite(ctx context.Context, m *Main, base string, ds seed.Dataset, bcfg bench.BaselineConfig, pcfg bench.PageConfig, soak soakOptions, quick bool) (*bench.Suite, error) {
	s := &bench.Suite{}
	s.MustAdd(bench.BaselineScenarioFor(m.DB, bcfg))
	if ds.Size == "" {
		return s, nil // no seeded accounts to log in with: baselines only
	}
	for _, sc := range capabilityScenarios(m, ds, quick) {
		s.MustAdd(sc)
	}
	cookies := map[string]string{}
	for _, l := range seed.SeedLogins {
		c, err := bench.Login(ctx, base, l.Username, seed.SeedPassword(ds.Seed))
		if err != nil {
			return nil, fmt.Errorf("bench: %w (was the database seeded by esd seed?)", err)
		}
		cookies[l.Username] = c
	}
	const loggedIn = `action="/logout"`
	for _, p := range []bench.Page{
		{Name: "http.home", About: "home page, national account", Paths: []string{"/"}, Cookie: cookies[seed.UserNational], Must: loggedIn},
		{Name: "http.audit", About: "audit trail search, national account", Paths: []string{"/audit"}, Cookie: cookies[seed.UserNational], Must: loggedIn},
		{Name: "http.users", About: "accounts list, national account", Paths: []string{"/admin/users"}, Cookie: cookies[seed.UserNational], Must: loggedIn},
		{Name: "http.professionals", About: "professional list (first page), national account", Paths: []string{"/professionals"}, Cookie: cookies[seed.UserNational], Must: loggedIn},
		{Name: "http.professionals.search", About: "professional list searched by surname, regional account", Paths: []string{"/professionals?q=rossi", "/professionals?q=bianchi", "/professionals?q=ferrari"}, Cookie: cookies[seed.UserRegional], Must: loggedIn},
		{Name: "http.portfolio", About: "portfolio tree of the current version, national account", Paths: []string{"/portfolio"}, Cookie: cookies[seed.UserNational], Must: loggedIn},
		{Name: "http.personas", About: "personas list with counts, national account", Paths: []string{"/personas"}, Cookie: cookies[seed.UserNational], Must: loggedIn},
		{Name: "http.personas.heatmap", About: "persona heat map, national account", Paths: []string{"/personas/heatmap"}, Cookie: cookies[seed.UserNational], Must: loggedIn},
	} {
		s.MustAdd(bench.PageScenario(base, p, pcfg))
	}
	s.MustAdd(soakScenario(m, base, cookies, soak))
	return s, nil
}
