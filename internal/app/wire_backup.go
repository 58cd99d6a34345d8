package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"esd/internal/backup"
	"esd/internal/db"
	"esd/internal/domain"
)

// The backup commands are Bare: they open the database themselves, without migrations or
// start-up steps, so a backup copies the database as it is and a restore finds its target
// as empty as it was given.
func init() {
	const backupUsage = "--out FILE | --verify FILE   backup online del database (--db) in un archivio tar.gz con manifest e checksum; --verify controlla un archivio"
	registerCommand(Command{Path: "backup", Usage: backupUsage, Bare: true,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("backup", flag.ContinueOnError)
			out := fs.String("out", "", "archive to write (tar.gz)")
			verify := fs.String("verify", "", "archive to check instead of writing one")
			pos, err := parseInterspersed(fs, backupUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd backup %s", pos[0], backupUsage)}
			}
			if (*out == "") == (*verify == "") {
				return usageError{"serve --out FILE oppure --verify FILE\nuso: esd backup " + backupUsage}
			}
			if *verify != "" {
				r, err := backup.Verify(ctx, *verify, backup.Options{Progress: os.Stderr})
				if err != nil {
					return err
				}
				fmt.Fprintf(m.Out, "%s: archivio integro (%s, %d tabelle, %d righe, creato %s)\n", *verify, r.Manifest.Dialect,
					len(r.Manifest.Tables), r.Manifest.TotalRows(), r.Manifest.CreatedAt.Format("2006-01-02 15:04:05Z"))
				return nil
			}
			d, err := openExisting(ctx, m.Config.DatabaseURL)
			if err != nil {
				return err
			}
			defer d.Close()
			man, err := backup.Backup(ctx, d, *out, backup.Options{Progress: os.Stderr, AppVersion: Version})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "backup scritto in %s: %s, %d tabelle, %d righe, %d byte di dati (sha256 %s)\n", *out, man.Dialect,
				len(man.Tables), man.TotalRows(), man.DataBytes, man.DataSHA256)
			return nil
		}})

	const restoreUsage = "FILE [--force]   ripristina un archivio di esd backup nel database --db (nuovo e vuoto; --force ne sostituisce il contenuto) e verifica conteggi e checksum"
	registerCommand(Command{Path: "restore", Usage: restoreUsage, Bare: true,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("restore", flag.ContinueOnError)
			force := fs.Bool("force", false, "replace the content of a database that is not empty")
			pos, err := parseInterspersed(fs, restoreUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) != 1 {
				return usageError{"serve un solo FILE\nuso: esd restore " + restoreUsage}
			}
			r, err := backup.Restore(ctx, pos[0], m.Config.DatabaseURL, backup.Options{Progress: os.Stderr, Force: *force})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "ripristinato %s in %s: %d tabelle, %d righe, conteggi e checksum uguali al manifest (%d ms)\n", pos[0],
				redactURL(m.Config.DatabaseURL), len(r.Found), r.Manifest.TotalRows(), r.Millis)
			return nil
		}})
}

// openExisting opens the database to back up, refusing a SQLite path that does not exist
// (db.Open would create an empty one, and the backup of nothing would look like success).
func openExisting(ctx context.Context, dsn string) (*db.DB, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			return nil, &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("database %s: %v", dsn, err)}
		}
	}
	return db.Open(ctx, dsn)
}

func redactURL(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if u, _, ok := strings.Cut(dsn[i+3:at], ":"); ok {
				return dsn[:i+3] + u + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}
