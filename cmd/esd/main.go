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
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
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
		fmt.Fprintln(os.Stderr, "esd:", message(err))
		if e := domain.AsError(err); e != nil {
			for _, p := range e.Details {
				fmt.Fprintf(os.Stderr, "  riga %d, campo %s: %s %s\n", p.Line, p.Field, p.Reason, p.Value)
			}
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

// message is what the operator reads: a domain error's message, a usage mistake as written,
// an error of the system (a missing file, a refused connection) as the system put it, and
// "errore interno" only for what the platform itself calls internal.
func message(err error) string {
	var ue usageErr
	if errors.As(err, &ue) {
		return ue.msg
	}
	if e := domain.AsError(err); e != nil {
		if e.Code == domain.EINTERNAL {
			return "errore interno: " + err.Error()
		}
		return domain.ErrorMessage(err)
	}
	return err.Error()
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, `Uso: esd [opzioni globali] COMANDO [argomenti] [opzioni globali]

Comandi:
  serve [--demo]            avvia la piattaforma (predefinito)
  migrate                   applica le migrazioni del database
  user create USERNAME --role ROLE [--region ID] [--org ID] [--professional ID] [--password PW]
  version                   stampa la versione
  help [COMANDO]            questo aiuto, o l'uso di un comando`)
	for _, c := range app.Commands() {
		fmt.Fprintf(w, "  %-25s %s\n", c.Path, c.Usage)
	}
	fmt.Fprintln(w, "\nOpzioni globali (prima o dopo il comando):")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// builtin lists the commands main handles itself, with their usage.
var builtin = map[string]string{
	"serve":       "[--demo]   avvia la piattaforma",
	"migrate":     "   applica le migrazioni del database",
	"user create": "USERNAME --role ROLE [--region ID] [--org ID] [--professional ID] [--password PW] [--name NOME]   crea un'utenza",
	"version":     "   stampa la versione",
}

// usageErr is a mistake in the command line: esd prints it with the usage and exits 2.
type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }
func (e usageErr) ExitCode() int { return 2 }

// globalFlags are the settings every command shares; they may appear anywhere before "--".
var globalFlags = map[string]bool{"db": true, "data": true, "addr": true}

// splitGlobals takes the global flags (-db X, --db X, --db=X, same for data and addr) out of
// args wherever they are, so that "esd serve --data DIR" and "esd --data DIR serve" mean the
// same; what is left is the command and its own arguments.
func splitGlobals(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest, globals []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !globalFlags[name] {
			rest = append(rest, a)
			continue
		}
		if hasValue {
			globals = append(globals, a)
			continue
		}
		if i+1 >= len(args) {
			return nil, usageErr{fmt.Sprintf("l'opzione %s richiede un valore", a)}
		}
		globals = append(globals, a, args[i+1])
		i++
	}
	if err := fs.Parse(globals); err != nil {
		return nil, usageErr{err.Error()}
	}
	return rest, nil
}

func run(args []string) error {
	fs := flag.NewFlagSet("esd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg app.Config
	fs.StringVar(&cfg.DatabaseURL, "db", env("ESD_DATABASE_URL", ""), "database: SQLite file path or postgres:// URL (ESD_DATABASE_URL)")
	fs.StringVar(&cfg.DataDir, "data", env("ESD_DATA_DIR", "data"), "data folder (ESD_DATA_DIR)")
	fs.StringVar(&cfg.Addr, "addr", env("ESD_ADDR", "127.0.0.1:8080"), "listen address (ESD_ADDR)")
	rest, err := splitGlobals(fs, args)
	if err != nil {
		usage(os.Stderr, fs)
		return err
	}
	cfg.AdminPassword = os.Getenv("ESD_ADMIN_PASSWORD")
	cfg.SecureCookies = os.Getenv("ESD_SECURE_COOKIES") == "1"
	cmd := "serve"
	if len(rest) > 0 {
		cmd = rest[0]
	}
	// Help never opens the database: "esd help", "esd -h", "esd help CMD", "esd CMD --help".
	switch {
	case cmd == "help" || (len(rest) > 0 && app.IsHelp(rest[:1])):
		if len(rest) > 1 {
			if path, u, ok := commandUsage(rest[1:]); ok {
				fmt.Printf("uso: esd %s %s\n", path, u)
				return nil
			}
			usage(os.Stderr, fs)
			return usageErr{fmt.Sprintf("comando sconosciuto %q", strings.Join(rest[1:], " "))}
		}
		usage(os.Stdout, fs)
		return nil
	case strings.HasPrefix(cmd, "-"):
		usage(os.Stderr, fs)
		return usageErr{fmt.Sprintf("opzione sconosciuta %q", cmd)}
	case app.IsHelp(rest[1:]):
		if path, u, ok := commandUsage(rest); ok {
			fmt.Printf("uso: esd %s %s\n", path, u)
			return nil
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "version":
		fmt.Println("esd", app.Version)
		return nil
	case "serve":
		sfs := flag.NewFlagSet("serve", flag.ContinueOnError)
		sfs.SetOutput(io.Discard)
		demo := sfs.Bool("demo", false, "load the demo world and print its logins")
		if len(rest) > 0 {
			if err := sfs.Parse(rest[1:]); err != nil {
				return usageErr{err.Error() + "\nuso: esd serve " + builtin["serve"]}
			}
			if sfs.NArg() > 0 {
				return usageErr{fmt.Sprintf("argomento inatteso %q\nuso: esd serve %s", sfs.Arg(0), builtin["serve"])}
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
		if len(rest) > 1 {
			return usageErr{fmt.Sprintf("argomento inatteso %q\nuso: esd migrate", rest[1])}
		}
		m, err := app.New(ctx, cfg)
		if err != nil {
			return err
		}
		defer m.Close()
		fmt.Println("migrazioni applicate:", m.DB.Dialect)
		return nil
	case "user":
		if len(rest) < 3 || rest[1] != "create" {
			return usageErr{"uso: esd user create " + builtin["user create"]}
		}
		ufs := flag.NewFlagSet("user create", flag.ContinueOnError)
		role := ufs.String("role", "", "national, regional, organisation, provider, professional, analyst")
		region := ufs.Int64("region", 0, "region id (regional referents)")
		org := ufs.Int64("org", 0, "organisation or provider id")
		prof := ufs.Int64("professional", 0, "professional id (professionals)")
		pw := ufs.String("password", "", "initial password (default: generated, to change at first login)")
		name := ufs.String("name", "", "display name")
		ufs.SetOutput(io.Discard)
		if err := ufs.Parse(rest[3:]); err != nil {
			return usageErr{err.Error() + "\nuso: esd user create " + builtin["user create"]}
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
		usage(os.Stderr, fs)
		return usageErr{fmt.Sprintf("comando sconosciuto %q", strings.Join(rest, " "))}
	}
	var m *app.Main
	if c.Bare {
		m = app.Bare(cfg)
	} else if m, err = app.New(ctx, cfg); err != nil {
		return err
	}
	defer m.Close()
	err = c.Run(app.System(ctx), m, cargs)
	if err != nil && app.IsUsageError(err) {
		return usageErr{message(err)}
	}
	return err
}

// commandUsage finds the command named by the leading words of args and its usage line.
func commandUsage(args []string) (string, string, bool) {
	if len(args) >= 2 && args[0] == "user" && args[1] == "create" {
		return "user create", builtin["user create"], true
	}
	if len(args) > 0 {
		if u, ok := builtin[args[0]]; ok {
			return args[0], u, true
		}
	}
	if c, _, ok := app.FindCommand(args); ok {
		return c.Path, c.Usage, true
	}
	return "", "", false
}
