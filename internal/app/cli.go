package app

import (
	"errors"
	"flag"
	"io"
	"strings"

	"esd/internal/domain"
)

// The command line's common rules: flags may come before, between or after the positional
// arguments; -h, -help and --help print the command's usage and exit 0 (main handles them
// before opening the database); a flag the command does not know is a usage error, exit 2.

// parseFlags parses fs from args wherever the flags appear; afterwards fs.Args() holds the
// positional arguments in their order. An argument after "--" is always positional.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error() + "\nuso: esd " + fs.Name() + " " + usageOf(fs.Name())}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// Parse stops at the first positional argument, or after "--" (which it consumes):
		// in the second case everything left is positional.
		if consumedDashes(args, rest) {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Leave fs.Args() = pos: a parse of "--" sets no flag and keeps what follows.
	return fs.Parse(append([]string{"--"}, pos...))
}

// consumedDashes reports whether flag.Parse stopped at a "--" of args (rest is what
// followed it) rather than at a positional argument.
func consumedDashes(args, rest []string) bool {
	i := len(args) - len(rest) - 1
	return i >= 0 && args[i] == "--"
}

// usageOf is the registered usage line of the command at path ("" if none).
func usageOf(path string) string {
	for _, c := range commands {
		if c.Path == path {
			return c.Usage
		}
	}
	return ""
}

// IsHelp reports whether args ask for help (-h, -help, --help before any "--").
func IsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			return true
		}
	}
	return false
}

// IsUsageError reports whether err is a mistake in the command line (exit status 2): an
// unknown flag, a flag without its value, a value of the wrong kind, from any command.
func IsUsageError(err error) bool {
	var ue usageError
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "uso:") || strings.HasPrefix(msg, "usage:") {
		return true
	}
	// The flag package's own errors are plain ones: a service's domain error that happens to
	// say "invalid value" is not a usage mistake.
	if domain.AsError(err) != nil {
		return false
	}
	for _, p := range []string{"flag provided but not defined", "flag needs an argument", "invalid value", "invalid boolean value", "bad flag syntax"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
