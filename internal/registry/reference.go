package registry

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

// The reference tables are derived copies of ../shared/reference (and of domain.md §4.2 for
// the regions); the first line of each file says where it came from.
//
//go:embed reference/*.csv
var referenceFS embed.FS

// loaderVersion is part of every table's hash: bump it when the loading logic changes so
// the next start reloads the tables even though the files did not change.
const loaderVersion = "1"

// refTable is one reference table: the files it is built from and how to load them.
type refTable struct {
	name  string
	files []string
	load  func(ctx context.Context, tx *sql.Tx, d *db.DB, files [][]byte) (int, error)
}

var refTables = []refTable{
	{"regions", []string{"regioni.csv"}, loadRegions},
	{"professions", []string{"ecm_professioni.csv", "ecm_discipline.csv"}, loadProfessions},
	{"ecm_objectives", []string{"ecm_obiettivi_formativi.csv"}, loadObjectives},
	{"comuni", []string{"belfiore_comuni_istat_20200101.csv"}, loadComuni},
	{"health_organisations", []string{"asl_codici_ministero.csv", "strutture_ricovero_hsp11.csv"}, loadHealthOrganisations},
}

// LoadStats says what LoadReference did.
type LoadStats struct {
	Loaded  []string       // tables (re)loaded because their files changed
	Skipped []string       // tables already current
	Rows    map[string]int // rows read per loaded table
}

// LoadReference loads the embedded reference tables, each in one transaction, skipping
// those whose files have not changed since the last load (a hash is kept per table), so it
// is cheap at every start. A changed table is upserted in batches: rows that did not change
// stay untouched. Only the system actor and national governance may run it.
func (s *Service) LoadReference(ctx context.Context) (LoadStats, error) {
	st := LoadStats{Rows: map[string]int{}}
	if _, err := domain.Require(ctx, domain.RoleNational); err != nil {
		return st, err
	}
	for _, t := range refTables {
		var files [][]byte
		h := sha256.New()
		io.WriteString(h, loaderVersion)
		for _, f := range t.files {
			b, err := referenceFS.ReadFile("reference/" + f)
			if err != nil {
				return st, err
			}
			files = append(files, b)
			h.Write(b)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		var have string
		err := s.DB.Read.QueryRowContext(ctx, `SELECT hash FROM reference_versions WHERE name = $1`, t.name).Scan(&have)
		if err != nil && err != sql.ErrNoRows {
			return st, err
		}
		if have == sum {
			st.Skipped = append(st.Skipped, t.name)
			continue
		}
		err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			n, err := t.load(ctx, tx, s.DB, files)
			if err != nil {
				return err
			}
			st.Rows[t.name] = n
			if _, err := tx.ExecContext(ctx, `INSERT INTO reference_versions (name, hash, rows_loaded, loaded_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, rows_loaded = excluded.rows_loaded, loaded_at = excluded.loaded_at`,
				t.name, sum, n, db.Now()); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Change{Action: "reference_load", Entity: "reference", EntityID: t.name,
				Before: nullIfEmpty(have), After: map[string]any{"rows": n, "hash": sum, "files": t.files}})
		})
		if err != nil {
			return st, fmt.Errorf("reference table %s: %w", t.name, err)
		}
		st.Loaded = append(st.Loaded, t.name)
	}
	if len(st.Loaded) > 0 {
		s.invalidate()
	}
	return st, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return map[string]string{"hash": s}
}

// readCSV parses an embedded reference file (comma-separated, '#' comment lines) into
// records keyed by header name.
func readCSV(b []byte) ([]map[string]string, error) {
	r := csv.NewReader(strings.NewReader(string(b)))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("empty reference file")
	}
	head := all[0]
	out := make([]map[string]string, 0, len(all)-1)
	for _, rec := range all[1:] {
		m := make(map[string]string, len(head))
		for i, h := range head {
			if i < len(rec) {
				m[h] = strings.Join(strings.Fields(rec[i]), " ")
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// upsert writes rows in multi-row INSERT … ON CONFLICT DO UPDATE statements. Only rows
// whose update columns differ are rewritten (the WHERE clause), so re-running it over the
// same data changes nothing. touch, if not empty, is a column set to now on real updates.
func upsert(ctx context.Context, tx *sql.Tx, d *db.DB, table string, cols, key, update []string, touch string, rows [][]any) error {
	var set, diff []string
	for _, c := range update {
		set = append(set, c+" = excluded."+c)
		diff = append(diff, table+"."+c+" IS DISTINCT FROM excluded."+c)
	}
	if touch != "" {
		set = append(set, touch+" = excluded."+touch)
	}
	tail := " ON CONFLICT (" + strings.Join(key, ", ") + ") DO NOTHING"
	if len(set) > 0 {
		tail = " ON CONFLICT (" + strings.Join(key, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ") + " WHERE " + strings.Join(diff, " OR ")
	}
	args := make([]any, 0, len(rows)*len(cols))
	for _, r := range rows {
		args = append(args, r...)
	}
	return execBatch(ctx, tx, d, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ", len(cols), tail, args, nil)
}

func loadRegions(ctx context.Context, tx *sql.Tx, d *db.DB, files [][]byte) (int, error) {
	recs, err := readCSV(files[0])
	if err != nil {
		return 0, err
	}
	var rows [][]any
	for _, r := range recs {
		id, err := strconv.ParseInt(r["id"], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("region id %q", r["id"])
		}
		rows = append(rows, []any{id, r["codice_istat"], r["codice_minsal"], r["codice_iso"], r["nome"]})
	}
	return len(rows), upsert(ctx, tx, d, "regions", []string{"id", "istat_code", "minsal_code", "iso_code", "name"}, []string{"id"},
		[]string{"istat_code", "minsal_code", "iso_code", "name"}, "", rows)
}

func loadProfessions(ctx context.Context, tx *sql.Tx, d *db.DB, files [][]byte) (int, error) {
	profs, err := readCSV(files[0])
	if err != nil {
		return 0, err
	}
	discs, err := readCSV(files[1])
	if err != nil {
		return 0, err
	}
	var prows, drows [][]any
	for _, r := range profs {
		code, err := strconv.Atoi(r["codice_cogeaps"])
		if err != nil || code == 0 { // 0 and blank: participants without an ECM obligation
			continue
		}
		prows = append(prows, []any{code, r["nome"]})
	}
	for _, r := range discs {
		code, err := strconv.Atoi(r["codice_cogeaps"])
		if err != nil {
			continue
		}
		p, err := strconv.Atoi(r["professione_codice_cogeaps"])
		if err != nil || p == 0 {
			continue
		}
		drows = append(drows, []any{code, p, r["nome"]})
	}
	if err := upsert(ctx, tx, d, "professions", []string{"code", "name"}, []string{"code"}, []string{"name"}, "", prows); err != nil {
		return 0, err
	}
	err = upsert(ctx, tx, d, "disciplines", []string{"code", "profession_code", "name"}, []string{"code"}, []string{"profession_code", "name"}, "", drows)
	return len(prows) + len(drows), err
}

func loadObjectives(ctx context.Context, tx *sql.Tx, d *db.DB, files [][]byte) (int, error) {
	recs, err := readCSV(files[0])
	if err != nil {
		return 0, err
	}
	var rows [][]any
	for _, r := range recs {
		if r["nazionale"] != "true" { // regional (Veneto) objectives share codes with national ones
			continue
		}
		v, err1 := strconv.Atoi(r["versione"])
		c, err2 := strconv.Atoi(r["codice_cogeaps"])
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("objective %v", r)
		}
		rows = append(rows, []any{v, c, true, r["categoria"], r["nome"]})
	}
	return len(rows), upsert(ctx, tx, d, "ecm_objectives", []string{"list_version", "code", "national", "category", "name"},
		[]string{"list_version", "code"}, []string{"national", "category", "name"}, "", rows)
}

func loadComuni(ctx context.Context, tx *sql.Tx, d *db.DB, files [][]byte) (int, error) {
	recs, err := readCSV(files[0])
	if err != nil {
		return 0, err
	}
	rows := make([][]any, 0, len(recs))
	for _, r := range recs {
		rows = append(rows, []any{r["codice_istat"], r["codice_catastale"], r["denominazione"], r["sigla_provincia"], r["regione"]})
	}
	return len(rows), upsert(ctx, tx, d, "comuni", []string{"istat_code", "belfiore_code", "name", "province", "region_name"},
		[]string{"istat_code"}, []string{"belfiore_code", "name", "province", "region_name"}, "", rows)
}

// aslName turns the Ministry's short ASL names ("TO3", "VITERBO") into names people
// recognise ("ASL TO3", "ASL VITERBO"); names that already say what they are stay.
func aslName(short string) string {
	f := " " + fold(short) + " "
	for _, w := range []string{" asl ", " a s l ", " usl ", " u s l ", " ausl ", " ulss ", " ats ", " as ", " asu ", " asp ", " a s p ", " asrem ", " azienda ", " asm "} {
		if strings.Contains(f, w) {
			return short
		}
	}
	if strings.HasPrefix(strings.TrimSpace(f), "ast") {
		return short
	}
	return "ASL " + short
}

func loadHealthOrganisations(ctx context.Context, tx *sql.Tx, d *db.DB, files [][]byte) (int, error) {
	asls, err := readCSV(files[0])
	if err != nil {
		return 0, err
	}
	structs, err := readCSV(files[1])
	if err != nil {
		return 0, err
	}
	now := db.Now()
	cols := []string{"kind", "code", "name", "search_name", "region_id", "parent_id", "structure_type", "public", "legal_nature",
		"comune_istat", "source", "created_at", "updated_at"}
	update := []string{"name", "search_name", "region_id", "parent_id", "structure_type", "public", "legal_nature", "comune_istat", "source"}
	loaded := map[[2]string]bool{}
	var rows [][]any
	for _, r := range asls {
		reg, err := strconv.ParseInt(r["codice_regione"], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("ASL %v: region", r)
		}
		name := aslName(r["denominazione_breve"])
		rows = append(rows, []any{KindASL, r["codice_asl"], name, fold(name + " " + r["codice_asl"]), reg, nil, "", true,
			"Pubblico", r["codice_comune_sede"], "reference", now, now})
		loaded[[2]string{KindASL, r["codice_asl"]}] = true
	}
	if err := upsert(ctx, tx, d, "organisations", cols, []string{"kind", "code"}, update, "updated_at", rows); err != nil {
		return 0, err
	}
	aslID := map[string]int64{}
	q, err := tx.QueryContext(ctx, `SELECT code, id FROM organisations WHERE kind = $1`, KindASL)
	if err != nil {
		return 0, err
	}
	for q.Next() {
		var c string
		var id int64
		if err := q.Scan(&c, &id); err != nil {
			q.Close()
			return 0, err
		}
		aslID[c] = id
	}
	q.Close()
	n := len(rows)
	rows = rows[:0]
	for _, r := range structs {
		kind, ok := structureKinds[r["tipo_struttura"]]
		if !ok {
			kind = KindOther
		}
		reg, err := strconv.ParseInt(r["codice_regione"], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("structure %v: region", r)
		}
		var parent any
		if id, ok := aslID[r["asl_territoriale"]]; ok {
			parent = id
		}
		nature := r["natura_giuridica"]
		public := nature == "Pubblico" || (reg == 30 && strings.HasSuffix(nature, "in Lombardia Pubblico"))
		rows = append(rows, []any{kind, r["codice_struttura"], r["denominazione"], fold(r["denominazione"] + " " + r["codice_struttura"]),
			reg, parent, r["tipo_struttura"], public, nature, r["codice_comune"], "reference", now, now})
		loaded[[2]string{kind, r["codice_struttura"]}] = true
	}
	if err := upsert(ctx, tx, d, "organisations", cols, []string{"kind", "code"}, update, "updated_at", rows); err != nil {
		return 0, err
	}
	n += len(rows)
	// Reference organisations no longer in the lists are closed, not deleted: professionals
	// and history may point at them.
	q, err = tx.QueryContext(ctx, `SELECT id, kind, code FROM organisations WHERE source = 'reference' AND valid_to IS NULL`)
	if err != nil {
		return 0, err
	}
	var gone []int64
	for q.Next() {
		var id int64
		var k, c string
		if err := q.Scan(&id, &k, &c); err != nil {
			q.Close()
			return 0, err
		}
		if !loaded[[2]string{k, c}] {
			gone = append(gone, id)
		}
	}
	q.Close()
	for _, id := range gone {
		if _, err := tx.ExecContext(ctx, `UPDATE organisations SET valid_to = $1, updated_at = $2 WHERE id = $3`, now.Truncate(24*time.Hour), now, id); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// structureTypes maps the HSP11 structure type code to its description (tipo_struttura_mds.csv).
var structureTypes = func() map[string]string {
	m := map[string]string{}
	b, err := referenceFS.ReadFile("reference/tipo_struttura_mds.csv")
	if err != nil {
		panic(err)
	}
	recs, err := readCSV(b)
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		m[r["codice"]] = r["descrizione"]
	}
	return m
}()

// StructureTypeName returns the Ministry's description of an HSP11 structure type code.
func StructureTypeName(code string) string { return structureTypes[code] }
