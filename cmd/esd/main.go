// Command esd runs the ESD platform: the web server (serve, the default), migrations,
// account creation, imports, exports, the synthetic national dataset and the benchmarks.
//
// Global settings come from flags or environment variables:
//
//	--db   / ESD_DATABASE_URL  SQLite file path (default DATA/esd.db) or postgres:// URL
//	--data / ESD_DATA_DIR      data folder (default ./data)
//	--addr / ESD_ADDR          listen address (default 127.0.0.1:8080)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"esd/internal/app"
	"esd/internal/auth"
	"esd/internal/domain"
)

func main() {
	// ESD_CPUPROFILE=FILE writes a CPU profile of the whole command (go tool pprof FILE):
	// how the seed's and the benchmarks' figures are explained.
	if path := os.Getenv("ESD_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "esd:", domain.ErrorMessage(err))
		if e := domain.AsError(err); e != nil {
			for _, p := range e.Details {
				fmt.Fprintf(os.Stderr, "  riga %d, campo %s: %s %s\n", p.Line, p.Field, p.Reason, p.Value)
			}
		} else if domain.ErrorCode(err) == domain.EINTERNAL {
			fmt.Fprintln(os.Stderr, "  ", err)
		}
		pprof.StopCPUProfile()
		// A command may say how to exit (usage errors: 2).
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			os.Exit(ec.ExitCode())
		}
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func usage(fs *flag.FlagSet) {
	fmt.Fprintln(os.Stderr, `Uso: esd [opzioni globali] COMANDO [argomenti]

Comandi:
  serve [--demo]            avvia la piattaforma (predefinito)
  migrate                   applica le migrazioni del database
  user create USERNAME --role ROLE [--region ID] [--org ID] [--professional ID] [--password PW]
  version                   stampa la versione`)
	for _, c := range app.Commands() {
		fmt.Fprintf(os.Stderr, "  %-25s %s\n", c.Path, c.Usage)
	}
	fmt.Fprintln(os.Stderr, "\nOpzioni globali:")
	fs.PrintDefaults()
}

func run(args []string) error {
	fs := flag.NewFlagSet("esd", flag.ContinueOnError)
	var cfg app.Config
	fs.StringVar(&cfg.DatabaseURL, "db", env("ESD_DATABASE_URL", ""), "database: SQLite file path or postgres:// URL")
	fs.StringVar(&cfg.DataDir, "data", env("ESD_DATA_DIR", "data"), "data folder")
	fs.StringVar(&cfg.Addr, "addr", env("ESD_ADDR", "127.0.0.1:8080"), "listen address")
	fs.Usage = func() { usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg.AdminPassword = os.Getenv("ESD_ADMIN_PASSWORD")
	cfg.SecureCookies = os.Getenv("ESD_SECURE_COOKIES") == "1"
	rest := fs.Args()
	cmd := "serve"
	if len(rest) > 0 {
		cmd = rest[0]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "version":
		fmt.Println("esd", app.Version)
		return nil
	case "help", "-h", "--help":
		usage(fs)
		return nil
	case "serve":
		sfs := flag.NewFlagSet("serve", flag.ContinueOnError)
		demo := sfs.Bool("demo", false, "load the demo world and print its logins")
		if len(rest) > 0 {
			if err := sfs.Parse(rest[1:]); err != nil {
				return err
			}
		}
		cfg.Demo = *demo
		m, err := app.New(ctx, cfg)
		if err != nil {
			return err
		}
		defer m.Close()
		if err := m.EnsureAdmin(ctx); err != nil {
			return err
		}
		if cfg.Demo {
			if err := m.LoadDemo(ctx); err != nil {
				return err
			}
		}
		return m.Run(ctx)
	case "migrate":
		m, err := app.New(ctx, cfg)
		if err != nil {
			return err
		}
		defer m.Close()
		fmt.Println("migrazioni applicate:", m.DB.Dialect)
		return nil
	case "user":
		if len(rest) < 3 || rest[1] != "create" {
			return fmt.Errorf("uso: esd user create USERNAME --role ROLE [--region ID] [--org ID] [--professional ID] [--password PW]")
		}
		ufs := flag.NewFlagSet("user create", flag.ContinueOnError)
		role := ufs.String("role", "", "national, regional, organisation, provider, professional, analyst")
		region := ufs.Int64("region", 0, "region id (regional referents)")
		org := ufs.Int64("org", 0, "organisation or provider id")
		prof := ufs.Int64("professional", 0, "professional id (professionals)")
		pw := ufs.String("password", "", "initial password (default: generated, to change at first login)")
		name := ufs.String("name", "", "display name")
		if err := ufs.Parse(rest[3:]); err != nil {
			return err
		}
		m, err := app.New(ctx, cfg)
		if err != nil {
			return err
		}
		defer m.Close()
		password, must := *pw, false
		if password == "" {
			password, must = auth.NewSecret(12), true
		}
		u, err := m.Auth.CreateUser(app.System(ctx), auth.NewUser{Username: rest[2], DisplayName: *name, Password: password,
			Role: domain.Role(*role), RegionID: *region, OrganisationID: *org, ProfessionalID: *prof, MustChange: must})
		if err != nil {
			return err
		}
		fmt.Printf("creata l'utenza %s (id %d, ruolo %s)", u.Username, u.ID, u.Role)
		if must {
			fmt.Printf(" con password monouso %s", password)
		}
		fmt.Println()
		return nil
	}
	c, cargs, ok := app.FindCommand(rest)
	if !ok {
		usage(fs)
		return fmt.Errorf("comando sconosciuto %q", cmd)
	}
	m, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	return c.Run(app.System(ctx), m, cargs)
}
