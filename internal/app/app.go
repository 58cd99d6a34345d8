// Package app is the composition root of ESD: it opens the database, runs migrations, builds
// every service and the web server, and holds the command-line commands. cmd/esd and the
// end-to-end tests start the same Main, so what the tests exercise is what runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/auth"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
	"esd/internal/web"
)

// Version is set at build time with -ldflags "-X esd/internal/app.Version=…".
var Version = "dev"

// Config is everything that can be set by flag or environment variable.
type Config struct {
	DatabaseURL   string // --db / ESD_DATABASE_URL: SQLite path or postgres:// URL; default DataDir/esd.db
	DataDir       string // --data / ESD_DATA_DIR: default ./data
	Addr          string // --addr / ESD_ADDR: default 127.0.0.1:8080
	AdminPassword string // ESD_ADMIN_PASSWORD: password of the first national account
	Demo          bool   // --demo: load the demo world and print its logins
	SecureCookies bool   // ESD_SECURE_COOKIES=1 behind HTTPS
	Log           *slog.Logger
	Out           io.Writer // where commands print for people; default os.Stdout
}

// Main is the running platform.
type Main struct {
	Config Config
	DB     *db.DB
	Log    *slog.Logger
	Out    io.Writer
	Auth   *auth.Service
	Audit  *audit.Service
	Jobs   *jobs.Runner
	Server *web.Server

	// Filled by the capability wiring files (wire_*.go).
	caps
	modules  []web.Module
	starters []namedFunc // run at every start, after migrations (reference data, default content)
	demos    []namedFunc // run by --demo, in order
	// serving are told the address Serve listens on (the origin of work done outside a
	// request, such as badges issued on achievement, when ESD_PUBLIC_URL is not set).
	serving []func(addr string)
	// DemoLogins collects the demo accounts (username → password) for printing.
	DemoLogins []DemoLogin
}

// DemoLogin is one demo account to print.
type DemoLogin struct {
	Role, Username, Password, Scope string
}

type namedFunc struct {
	name string
	fn   func(ctx context.Context) error
}

// Bare returns a Main with the configuration's defaults applied and nothing opened, for the
// commands that manage the database file itself (Command.Bare).
func Bare(cfg Config) *Main {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = filepath.Join(cfg.DataDir, "esd.db")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	return &Main{Config: cfg, Log: cfg.Log, Out: cfg.Out}
}

// New opens the database, migrates it, wires every capability, loads reference data and,
// if configured, the demo world. The caller must Close the result.
func New(ctx context.Context, cfg Config) (*Main, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = filepath.Join(cfg.DataDir, "esd.db")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	// Every log line of the platform goes through one redacting handler: no secret, token or
	// codice fiscale reaches the logs whichever package logs it.
	cfg.Log = slog.New(web.RedactHandler(cfg.Log.Handler()))
	m := &Main{Config: cfg, Log: cfg.Log, Out: cfg.Out}
	d, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	m.DB = d
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	m.Auth = &auth.Service{DB: d}
	m.Audit = &audit.Service{DB: d}
	m.Jobs = &jobs.Runner{DB: d, Log: m.Log}
	// ESD_JOBS_HEARTBEAT (a Go duration, default 10s) sets how soon a job of a dead process
	// is marked failed (three heartbeats); the crash tests shorten it.
	if hb, err := time.ParseDuration(os.Getenv("ESD_JOBS_HEARTBEAT")); err == nil && hb > 0 {
		m.Jobs.Heartbeat = hb
	}
	for _, w := range wiring {
		if err := w(m); err != nil {
			d.Close()
			return nil, err
		}
	}
	sys := domain.WithActor(ctx, domain.SystemActor)
	for _, s := range m.starters {
		if err := s.fn(sys); err != nil {
			d.Close()
			return nil, fmt.Errorf("start-up step %s: %w", s.name, err)
		}
	}
	srv, err := web.New(&web.Server{DB: d, Auth: m.Auth, Audit: m.Audit, Jobs: m.Jobs, Log: m.Log, Version: Version,
		SecureCookies: cfg.SecureCookies}, m.modules...)
	if err != nil {
		d.Close()
		return nil, err
	}
	m.Server = srv
	m.registerPickers()
	return m, nil
}

// wiring lists, in dependency order, the functions that build each capability's services,
// web module, start-up steps, demo data and commands. Each lives in its own wire_*.go file.
var wiring = []func(m *Main) error{wireRegistry, wirePortfolio, wirePersona, wireAssessment, wireCatalogue, wireCredits, wireParticipation, wireCertificate, wireIdentity, wireSeed, wireMonitor, wireIndicators, wireGovernance, wireXAPI, wireExports}

// EnsureAdmin creates the first national account on an empty database and prints its
// password once.
func (m *Main) EnsureAdmin(ctx context.Context) error {
	pw, created, err := m.Auth.EnsureAdmin(ctx, m.Config.AdminPassword)
	if err != nil || !created {
		return err
	}
	if m.Config.AdminPassword == "" {
		fmt.Fprintf(m.Out, "Primo avvio: creata l'utenza di governo nazionale \"admin\" con password monouso %s (da cambiare al primo accesso)\n", pw)
	} else {
		fmt.Fprintln(m.Out, "Primo avvio: creata l'utenza \"admin\" con la password di ESD_ADMIN_PASSWORD")
	}
	return nil
}

// LoadDemo runs every capability's demo step (idempotent: a step that finds its data
// already there does nothing) and prints the demo logins.
func (m *Main) LoadDemo(ctx context.Context) error {
	sys := domain.WithActor(ctx, domain.SystemActor)
	for _, d := range m.demos {
		start := time.Now()
		if err := d.fn(sys); err != nil {
			return fmt.Errorf("demo %s: %w", d.name, err)
		}
		m.Log.Info("demo loaded", "step", d.name, "ms", time.Since(start).Milliseconds())
	}
	if len(m.DemoLogins) > 0 {
		fmt.Fprintln(m.Out, "Utenze demo (ruolo · utente · password · ambito):")
		sort.SliceStable(m.DemoLogins, func(i, j int) bool { return roleOrder(m.DemoLogins[i].Role) < roleOrder(m.DemoLogins[j].Role) })
		for _, l := range m.DemoLogins {
			fmt.Fprintf(m.Out, "  %-14s %-22s %-20s %s\n", l.Role, l.Username, l.Password, l.Scope)
		}
	}
	return nil
}

func roleOrder(r string) int {
	for i, x := range domain.Roles {
		if string(x) == r {
			return i
		}
	}
	return len(domain.Roles)
}

// Run serves HTTP on the configured address until ctx is cancelled, then shuts down
// gracefully, letting requests and background jobs finish.
func (m *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	return m.Serve(ctx, ln)
}

// Serve is Run on an existing listener (tests listen on a random port).
func (m *Main) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: m.Server, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	for _, f := range m.serving {
		f(ln.Addr().String())
	}
	go func() { errc <- hs.Serve(ln) }()
	// Jobs left running by a process that died are failed visibly (see jobs.FailOrphans).
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go m.Jobs.Watch(wctx)
	fmt.Fprintf(m.Out, "ESD in ascolto su http://%s (database %s)\n", ln.Addr(), m.DB.Dialect)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	m.Jobs.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (m *Main) Close() error {
	if m.Jobs != nil {
		m.Jobs.Wait()
	}
	if m.DB == nil {
		return nil
	}
	return m.DB.Close()
}

// Command is a CLI command contributed by a capability, e.g. "import professionals".
type Command struct {
	Path  string // words, e.g. "import professionals"
	Usage string
	Run   func(ctx context.Context, m *Main, args []string) error
	// Bare commands get a Main with only Config, Log and Out set (see Bare): they open the
	// database themselves. A restore must find its target empty, before migrations and the
	// start-up reference data fill it; a backup must not migrate the database it copies.
	Bare bool
}

var commands []Command

// Commands returns every registered command, sorted by path.
func Commands() []Command {
	out := append([]Command(nil), commands...)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// FindCommand returns the command whose path is the longest prefix of args, and the rest.
func FindCommand(args []string) (Command, []string, bool) {
	best, n := Command{}, 0
	for _, c := range commands {
		words := strings.Fields(c.Path)
		if len(words) <= len(args) && len(words) > n && strings.Join(args[:len(words)], " ") == c.Path {
			best, n = c, len(words)
		}
	}
	return best, args[min(n, len(args)):], n > 0
}

// registerCommand adds a command; wire files call it from init.
func registerCommand(c Command) { commands = append(commands, c) }

// System returns ctx carrying the system actor, for CLI commands.
func System(ctx context.Context) context.Context {
	return domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "cli")
}
