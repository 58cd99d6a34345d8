package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"esd/internal/domain"
	"esd/internal/exports"
)

// exportsCaps holds the services of the exports capability.
type exportsCaps struct {
	// Exports writes the PDF monitoring report and the open-data release.
	Exports *exports.Service
}

// wireExports builds the exports: the PDF report per region and period and the open data
// (CSV, Parquet, dictionary, DCAT-AP_IT). It reads the aggregates through the monitoring
// service only, so it comes after it.
func wireExports(m *Main) error {
	svc := exports.New(m.DB, m.Monitor)
	if u := os.Getenv("ESD_PUBLIC_URL"); u != "" {
		svc.BaseURL = u
	}
	m.Exports = svc
	m.modules = append(m.modules, exports.WebModule{S: svc})
	return nil
}

func init() {
	const reportUsage = "--region CODICE [--period AAAA] [--ind INDICATORE] [--lang it|en] --out FILE.pdf   rapporto PDF di monitoraggio di una regione (CODICE: 090 o IT-52; \"IT\" per l'Italia)"
	registerCommand(Command{Path: "export monitor-report", Usage: reportUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("export monitor-report", flag.ContinueOnError)
			region := fs.String("region", "", "regional code (090 or 90 for Toscana, or IT-52); IT for the whole country")
			period := fs.String("period", "", "a year such as 2026; the whole time when empty")
			ind := fs.String("ind", "", "indicator of the comparisons (assessed by default)")
			lang := fs.String("lang", "it", "language: it or en")
			out := fs.String("out", "", "PDF file to write")
			pos, err := parseInterspersed(fs, reportUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd export monitor-report %s", pos[0], reportUsage)}
			}
			if *region == "" || *out == "" {
				return usageError{"servono --region e --out\nuso: esd export monitor-report " + reportUsage}
			}
			if *lang != "it" && *lang != "en" {
				return usageError{"--lang: it o en"}
			}
			q := exports.ReportQuery{Period: *period, Indicator: *ind}
			if *region != "IT" && *region != "it" {
				r, err := m.Exports.ResolveRegion(ctx, *region)
				if err != nil {
					return err
				}
				q.Region = r.ID
			}
			rep, err := m.Exports.Report(ctx, q, *lang)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*out, rep.PDF, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(m.Out, "rapporto scritto: %s (%d byte)\n", *out, len(rep.PDF))
			return nil
		}})
	const odUsage = "--out CARTELLA [--region CODICE] [--publisher-name NOME --publisher-ipa CODICE --publisher-email EMAIL] [--base-url URL]   dati aperti: CSV, Parquet, dizionario, metadati DCAT-AP_IT"
	registerCommand(Command{Path: "export opendata", Usage: odUsage,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := flag.NewFlagSet("export opendata", flag.ContinueOnError)
			out := fs.String("out", "", "directory to write the files into (created if missing)")
			region := fs.String("region", "", "only this region (090 or IT-52): the subset a regional portal publishes")
			pname := fs.String("publisher-name", "", "publisher's name (default: "+exports.DefaultPublisher.Name+")")
			pipa := fs.String("publisher-ipa", "", "publisher's IPA code (default: "+exports.DefaultPublisher.IPA+")")
			pmail := fs.String("publisher-email", "", "contact e-mail of the publisher")
			base := fs.String("base-url", "", "public address the files will be served from (default ESD_PUBLIC_URL)")
			lang := fs.String("lang", "it", "language of the labels in the data: it or en")
			pos, err := parseInterspersed(fs, odUsage, m.Out, args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(pos) > 0 {
				return usageError{fmt.Sprintf("argomento inatteso %q\nuso: esd export opendata %s", pos[0], odUsage)}
			}
			if *out == "" {
				return usageError{"manca --out\nuso: esd export opendata " + odUsage}
			}
			if *lang != "it" && *lang != "en" {
				return usageError{"--lang: it o en"}
			}
			if (*pname == "") != (*pipa == "") {
				return usageError{"--publisher-name e --publisher-ipa vanno dati insieme"}
			}
			pub := exports.Agent{Name: *pname, IPA: *pipa, Email: *pmail}
			if pub.Email == "" {
				pub.Email = exports.DefaultPublisher.Email
			}
			svc := m.Exports.WithPublisher(pub, *base)
			var regionID int64
			if *region != "" {
				r, err := m.Exports.ResolveRegion(ctx, *region)
				if err != nil {
					return err
				}
				regionID = r.ID
			}
			rel, err := svc.BuildOpenData(domain.WithActor(ctx, domain.SystemActor), regionID, *lang)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return err
			}
			for _, f := range rel.Files {
				if err := os.WriteFile(filepath.Join(*out, f.Name), f.Body, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(m.Out, "  %-36s %10d byte\n", f.Name, f.Size)
			}
			fmt.Fprintf(m.Out, "dati aperti scritti in %s: %d righe, soglia %d\n", *out, len(rel.Rows), rel.Threshold)
			return nil
		}})
}
