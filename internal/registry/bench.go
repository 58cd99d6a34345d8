package registry

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"time"

	"esd/internal/db"
	"esd/internal/domain"
)

// BenchResult is the outcome of BenchmarkImport: the import rate next to a raw batch insert
// measured in the same run (performance.md: report a value, an in-run baseline and their
// ratio, since the machines are shared and noisy).
type BenchResult struct {
	Dialect          string  `json:"dialect"`
	Rows             int     `json:"rows"`
	Bytes            int     `json:"bytes"`
	ImportSeconds    float64 `json:"import_seconds"`
	ImportRowsPerSec float64 `json:"import_rows_per_sec"`
	// ImportCPUSeconds is the CPU time (user + system, all threads) the import used: on a
	// shared machine the wall time depends on the neighbours, the CPU time much less.
	ImportCPUSeconds float64 `json:"import_cpu_seconds"`
	// ReimportRowsPerSec is the rate of importing the same file again (every row unchanged).
	ReimportRowsPerSec float64 `json:"reimport_rows_per_sec"`
	RawSeconds         float64 `json:"raw_seconds"`
	RawCPUSeconds      float64 `json:"raw_cpu_seconds"`
	RawRowsPerSec      float64 `json:"raw_rows_per_sec"`
	Ratio              float64 `json:"ratio"` // import rate / raw rate
	TargetRowsPerSec   float64 `json:"target_rows_per_sec"`
	TargetRatio        float64 `json:"target_ratio"`
	Pass               bool    `json:"pass"`
	AuditEntries       int     `json:"audit_entries"`
}

// JSONLines renders the result as one JSON line per metric, the format of performance.md.
func (r BenchResult) JSONLines() string {
	env := map[string]any{"nproc": runtime.NumCPU(), "go": runtime.Version(), "dialect": r.Dialect, "rows": r.Rows}
	var b strings.Builder
	for _, m := range []map[string]any{
		{"scenario": "import_professionals", "metric": "rows_per_sec", "value": round(r.ImportRowsPerSec), "unit": "rows/s",
			"baseline": round(r.RawRowsPerSec), "ratio": round3(r.Ratio), "target": r.TargetRowsPerSec, "pass": r.ImportRowsPerSec >= r.TargetRowsPerSec,
			"wall_seconds": round3(r.ImportSeconds), "cpu_seconds": round3(r.ImportCPUSeconds)},
		{"scenario": "import_professionals", "metric": "ratio_to_raw_insert", "value": round3(r.Ratio), "unit": "ratio",
			"target": r.TargetRatio, "pass": r.Ratio >= r.TargetRatio, "raw_wall_seconds": round3(r.RawSeconds), "raw_cpu_seconds": round3(r.RawCPUSeconds)},
		{"scenario": "reimport_professionals_unchanged", "metric": "rows_per_sec", "value": round(r.ReimportRowsPerSec), "unit": "rows/s",
			"baseline": round(r.RawRowsPerSec), "ratio": round3(r.ReimportRowsPerSec / r.RawRowsPerSec)},
	} {
		m["dataset"] = fmt.Sprintf("generated-%d", r.Rows)
		m["environment"] = env
		line, _ := json.Marshal(m)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func round(v float64) float64  { return float64(int64(v + 0.5)) }
func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// GenerateCSV writes n professionals of Toscana as an HR export would (';', Italian
// headers, names with accents), with real Tuscan ASL and hospital codes and birthplaces,
// professions in national proportions, and valid codici fiscali. It needs the reference
// tables loaded.
func (s *Service) GenerateCSV(ctx context.Context, n int, seed uint64) ([]byte, error) {
	comuni, err := s.Comuni(ctx, "Toscana")
	if err != nil {
		return nil, err
	}
	places := make([]string, len(comuni))
	for i, c := range comuni {
		places[i] = c.BelfioreCode
	}
	var asl, hosp []string
	for _, k := range []string{KindASL, KindAOU, KindAO, KindPresidio, KindIRCCS} {
		pg, err := s.ListOrganisations(ctx, OrganisationFilter{RegionID: 90, Kind: k, PerPage: 200})
		if err != nil {
			return nil, err
		}
		for _, o := range pg.Items {
			if k == KindASL {
				asl = append(asl, o.Code)
			} else if k != KindPresidio || len(hosp) < 40 {
				hosp = append(hosp, k+":"+o.Code)
			}
		}
	}
	if len(asl) == 0 || len(hosp) == 0 {
		return nil, fmt.Errorf("generate: reference organisations of Toscana not loaded")
	}
	g := NewGenerator(seed, places)
	var b bytes.Buffer
	b.WriteString("codice_fiscale;cognome;nome;email;professione;disciplina;regione;azienda;rapporto;setting;ruolo\n")
	for i := 0; i < n; i++ {
		p := g.Person()
		pl := g.Placement()
		org := ""
		switch pl.OrgKind {
		case KindASL:
			org = asl[g.IntN(len(asl))]
		case KindAOU:
			org = hosp[g.IntN(len(hosp))]
		}
		fmt.Fprintf(&b, "%s;%s;%s;%s;%d;%d;090;%s;%s;%s;%s\n", p.CF, p.Family, p.Given, emailOf(p, i), pl.Pair.Profession, pl.Pair.Discipline,
			org, pl.Employment, pl.Setting, pl.Role)
	}
	return b.Bytes(), nil
}

func emailOf(p Person, i int) string {
	return fmt.Sprintf("%s.%s.%d@example.it", asciiLower(p.Given), asciiLower(p.Family), i)
}

func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r == 'à' || r == 'è' || r == 'é' || r == 'ì' || r == 'ò' || r == 'ù':
			b.WriteString(map[rune]string{'à': "a", 'è': "e", 'é': "e", 'ì': "i", 'ò': "o", 'ù': "u"}[r])
		}
	}
	return b.String()
}

// BenchmarkImport measures the import of n generated professionals into d (a migrated
// database without professionals; the reference tables are loaded if needed) against a raw
// batch insert of the same rows into an unindexed table, in the same run. The import runs
// as the system actor and includes parsing, validation, the audit trail and the commit.
func BenchmarkImport(ctx context.Context, d *db.DB, n int) (BenchResult, error) {
	ctx = domain.WithRequestID(domain.WithActor(ctx, domain.SystemActor), "bench")
	res := BenchResult{Dialect: string(d.Dialect), Rows: n, TargetRowsPerSec: 20000, TargetRatio: 0.10}
	s := New(d, nil)
	if _, err := s.LoadReference(ctx); err != nil {
		return res, err
	}
	body, err := s.GenerateCSV(ctx, n, 42)
	if err != nil {
		return res, err
	}
	res.Bytes = len(body)
	var before int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&before); err != nil {
		return res, err
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	ir, err := s.ImportProfessionals(ctx, bytes.NewReader(body), ImportOptions{})
	if err != nil {
		return res, err
	}
	res.ImportSeconds = time.Since(start).Seconds()
	res.ImportCPUSeconds = cpuSeconds() - cpu0
	if ir.Created != n {
		return res, fmt.Errorf("bench: created %d of %d (the database must start without professionals)", ir.Created, n)
	}
	res.ImportRowsPerSec = float64(n) / res.ImportSeconds
	var after int
	if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log`).Scan(&after); err != nil {
		return res, err
	}
	res.AuditEntries = after - before
	start = time.Now()
	if ir, err = s.ImportProfessionals(ctx, bytes.NewReader(body), ImportOptions{}); err != nil || ir.Unchanged != n {
		return res, fmt.Errorf("bench re-import: %+v %v", ir, err)
	}
	res.ReimportRowsPerSec = float64(n) / time.Since(start).Seconds()
	cpu0 = cpuSeconds()
	res.RawSeconds, err = rawInsert(ctx, d, n)
	if err != nil {
		return res, err
	}
	res.RawCPUSeconds = cpuSeconds() - cpu0
	res.RawRowsPerSec = float64(n) / res.RawSeconds
	res.Ratio = res.ImportRowsPerSec / res.RawRowsPerSec
	res.Pass = res.ImportRowsPerSec >= res.TargetRowsPerSec && res.Ratio >= res.TargetRatio
	return res, nil
}

// rawInsert is the baseline: n rows shaped like professionals, with a prepared insert, 1,000
// rows per transaction, into a table with no index at all (performance.md's "raw batch
// insert into an unindexed table").
func rawInsert(ctx context.Context, d *db.DB, n int) (float64, error) {
	if _, err := d.Write.ExecContext(ctx, `DROP TABLE IF EXISTS bench_raw_professionals`); err != nil {
		return 0, err
	}
	if _, err := d.Write.ExecContext(ctx, `CREATE TABLE bench_raw_professionals (cf TEXT, cf_display TEXT, given_name TEXT, family_name TEXT,
		search_name TEXT, birth_date TEXT, sex TEXT, birthplace_code TEXT, region_id BIGINT, organisation_id BIGINT, employment TEXT,
		care_setting TEXT, job_role TEXT, email TEXT, created_at TEXT, updated_at TEXT)`); err != nil {
		return 0, err
	}
	defer d.Write.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bench_raw_professionals`) //nolint:errcheck
	now := db.Now().Format(time.RFC3339Nano)
	start := time.Now()
	for done := 0; done < n; {
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO bench_raw_professionals VALUES (`+db.Placeholders(1, 16)+`)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := 0; i < 1000 && done < n; i++ {
				cf := fmt.Sprintf("RSSMRA%02dA01D%03dX", done%100, done%1000)
				if _, err := stmt.ExecContext(ctx, cf, cf, "Maria", "Rossi", "rossi maria", "1980-01-01", "F", "D612", 90, 1,
					"dipendente", "ospedale", "clinico", "maria.rossi@example.it", now, now); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

// cpuSeconds is the CPU time this process has used so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
