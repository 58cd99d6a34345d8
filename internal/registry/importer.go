package registry

import (
	"context"
	"database/sql"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"esd/internal/audit"
	"esd/internal/domain"
)

// ImportOptions tune an import of professionals.
type ImportOptions struct {
	// DryRun validates the file and reports what would change, writing nothing.
	DryRun bool
	// Partial imports the good rows and reports the bad ones. By default an import is all
	// or nothing: one bad row and nothing is written.
	Partial bool
	// Progress, if set, is told how far the import got (in rows; validation counts the
	// first half, writing the second). It is never called inside the write transaction,
	// since on SQLite that transaction holds the only write connection.
	Progress func(done, total int64)
}

// ImportResult reports an import.
type ImportResult struct {
	Rows      int              `json:"rows"`      // data rows in the file
	Created   int              `json:"created"`   // new professionals
	Updated   int              `json:"updated"`   // changed professionals
	Unchanged int              `json:"unchanged"` // rows equal to what is stored
	Rejected  int              `json:"rejected"`  // bad rows
	Applied   bool             `json:"applied"`   // whether anything was written
	DryRun    bool             `json:"dry_run,omitempty"`
	Encoding  string           `json:"encoding"`
	Separator string           `json:"separator"`
	Columns   []string         `json:"columns"`                   // recognised columns, as named in the file
	Ignored   []string         `json:"ignored_columns,omitempty"` // columns the import does not know
	Problems  []domain.Problem `json:"problems,omitempty"`
	Millis    int64            `json:"ms"`
}

// maxReported caps the problems listed in one report; the count of bad rows is exact.
const maxReported = 5000

// ImportProfessionals imports professionals from a CSV file as an HR office exports it
// (see the README, "Importing professionals"): UTF-8 or Windows-1252, ';' or ',' or tab,
// Italian or English header names. Rows are upserted by codice fiscale: new professionals
// are created, changed ones updated, equal ones left alone (a re-import of the same file
// writes nothing, not even audit entries). Columns absent from the file keep the stored
// values. A regional referent may import only professionals of their region, an
// organisation's training office only its staff; other rows are errors. Every bad row is
// reported with its line, column, reason and value; unless opts.Partial, one bad row means
// nothing is written and the error (EINVALID) carries the report in its Details.
func (s *Service) ImportProfessionals(ctx context.Context, r io.Reader, opts ImportOptions) (ImportResult, error) {
	start := time.Now()
	res := ImportResult{DryRun: opts.DryRun, Columns: []string{}}
	a, err := domain.Require(ctx, editorRoles...)
	if err != nil {
		return res, err
	}
	c, err := s.cache(ctx)
	if err != nil {
		return res, err
	}
	lang := Language(ctx)
	f, bad, err := readCSVFile(r, lang, func(f *csvFile) []string { return requiredColumns(f, a) })
	if err != nil {
		return res, err
	}
	res.Encoding, res.Separator, res.Ignored = f.encoding, separatorName(f.separator), f.ignored
	for _, k := range []string{colCF, colFamily, colGiven, colEmail, colProfession, colDiscipline, colPairs, colRegion, colOrg, colEmployment, colSetting, colRole} {
		if f.has(k) {
			res.Columns = append(res.Columns, f.fieldName(k))
		}
	}
	res.Rows = len(f.records) + len(bad)
	total := int64(2 * res.Rows)
	progress := func(done int) {
		if opts.Progress != nil {
			opts.Progress(int64(done), total)
		}
	}
	orgs, err := s.orgIndex(ctx)
	if err != nil {
		return res, err
	}
	// Rows are validated on every core: validation only reads the caches.
	rows := make([]*profRow, len(f.records))
	probs := make([]problems, len(f.records))
	var validated atomic.Int64
	workers := max(1, min(runtime.GOMAXPROCS(0), 4, len(f.records)/2000))
	per := (len(f.records) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(f.records))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				rows[i], probs[i] = s.importRow(lang, c, f, f.records[i], orgs, a)
				rows[i].line = f.records[i].line
				if i%1000 == 0 {
					validated.Add(1000)
				}
			}
		}()
	}
	waitDone := make(chan struct{})
	go func() { wg.Wait(); close(waitDone) }()
	for tick := time.NewTicker(500 * time.Millisecond); ; {
		select {
		case <-tick.C:
			progress(int(validated.Load()))
			continue
		case <-waitDone:
			tick.Stop()
		}
		break
	}
	for i, p := range probs {
		if len(p.list) > 0 {
			rows[i].bad = true
			bad = append(bad, p.list...)
		}
	}
	// The same person twice in one file: both lines are bad.
	first := map[string]*profRow{}
	for _, row := range rows {
		if row.code.Normalised == "" {
			continue
		}
		if prev, ok := first[row.code.Normalised]; ok {
			prev.bad, row.bad = true, true
			bad = append(bad,
				domain.Problem{Line: prev.line, Field: f.fieldName(colCF), Reason: tr(lang, "the same codice fiscale is also on line %d", row.line), Value: prev.code.Display},
				domain.Problem{Line: row.line, Field: f.fieldName(colCF), Reason: tr(lang, "the same codice fiscale is also on line %d", prev.line), Value: row.code.Display})
			continue
		}
		first[row.code.Normalised] = row
	}
	// Compare with what is stored.
	existing, err := s.existingByCF(ctx, rows)
	if err != nil {
		return res, err
	}
	var creates, updates []*profRow
	var befores []snapshot
	var ids []int64
	for _, row := range rows {
		if row.bad {
			continue
		}
		old, ok := existing[row.code.Normalised]
		if !ok {
			if row.keepOrg && a.Role == domain.RoleOrganisation {
				row.orgID = a.OrganisationID
			}
			creates = append(creates, row)
			continue
		}
		if !scopeAllows(a, old.snap.RegionID, old.snap.OrganisationID, old.id) {
			row.bad = true
			bad = append(bad, domain.Problem{Line: row.line, Field: f.fieldName(colCF), Value: row.code.Display,
				Reason: tr(lang, "this professional is already registered outside your scope: their region or organisation must change it")})
			continue
		}
		// Absent columns keep the stored values.
		if row.keepEmail {
			row.email = old.snap.Email
		}
		if row.keepRole {
			row.role = old.snap.JobRole
		}
		if row.keepOrg {
			row.orgID = old.snap.OrganisationID
			if o, ok := orgs.byID[row.orgID]; ok && o.RegionID != row.regionID {
				row.bad = true
				bad = append(bad, domain.Problem{Line: row.line, Field: f.fieldName(colRegion), Value: c.regionName(row.regionID),
					Reason: tr(lang, "moves to another region but the file has no %s column to change the organisation (%s)", colOrg, o.Name)})
				continue
			}
		}
		if row.snapshot() == old.snap {
			res.Unchanged++
			continue
		}
		updates = append(updates, row)
		befores = append(befores, old.snap)
		ids = append(ids, old.id)
	}
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].Line < bad[j].Line })
	for _, row := range rows {
		if row.bad {
			res.Rejected++
		}
	}
	res.Rejected += res.Rows - len(rows) // rows with the wrong number of fields
	if len(bad) > maxReported {
		res.Problems = append(bad[:maxReported:maxReported], domain.Problem{Reason: tr(lang, "… and %d more problems", len(bad)-maxReported)})
	} else {
		res.Problems = bad
	}
	progress(res.Rows)
	fail := func() error {
		return &domain.Error{Code: domain.EINVALID, Message: tr(lang, "%d of %d rows have problems: nothing was imported", res.Rejected, res.Rows), Details: res.Problems}
	}
	if len(bad) > 0 && !opts.Partial {
		res.Millis = time.Since(start).Milliseconds()
		return res, fail()
	}
	res.Created, res.Updated = len(creates), len(updates)
	if opts.DryRun || len(creates)+len(updates) == 0 {
		res.Millis = time.Since(start).Milliseconds()
		return res, nil
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		rec := audit.NewRecorder(ctx)
		rec.Dialect = s.DB.Dialect
		newIDs, err := s.insertProfessionals(ctx, tx, creates)
		if err != nil {
			return conflictOn(err, fCF, tr(lang, "a professional of the file was registered by someone else meanwhile: import the file again"))
		}
		if err := s.insertPairs(ctx, tx, creates, newIDs); err != nil {
			return err
		}
		if err := s.insertTokens(ctx, tx, creates, newIDs); err != nil {
			return err
		}
		for _, row := range creates {
			rec.Add(audit.Change{Action: "create", Entity: "professional", EntityID: newIDs[row.code.Normalised], RegionID: row.regionID, After: row.snapshot()})
		}
		changedPairs := map[string]int64{}
		var pairRows []*profRow
		var movedIDs []int64
		for i, row := range updates {
			if err := s.updateProfessional(ctx, tx, ids[i], row); err != nil {
				return conflictOn(err, fCF, tr(lang, "a professional with this codice fiscale is already registered"))
			}
			after := row.snapshot()
			if after.Professions != befores[i].Professions {
				if _, err := tx.ExecContext(ctx, `DELETE FROM professional_disciplines WHERE professional_id = $1`, ids[i]); err != nil {
					return err
				}
				changedPairs[row.code.Normalised] = ids[i]
				pairRows = append(pairRows, row)
			}
			if after.RegionID != befores[i].RegionID || after.OrganisationID != befores[i].OrganisationID || after.Professions != befores[i].Professions {
				movedIDs = append(movedIDs, ids[i])
			}
			rec.Add(audit.Change{Action: "update", Entity: "professional", EntityID: ids[i], RegionID: row.regionID, Before: befores[i], After: after})
		}
		if err := s.insertPairs(ctx, tx, pairRows, changedPairs); err != nil {
			return err
		}
		if err := s.moved(ctx, tx, movedIDs); err != nil {
			return err
		}
		rec.Add(audit.Change{Action: "import", Entity: "professional_import", EntityID: domain.RequestIDFrom(ctx), RegionID: scopeRegion(a),
			After: map[string]any{"rows": res.Rows, "created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged, "rejected": res.Rejected}})
		return rec.Flush(tx)
	})
	if err != nil {
		return res, err
	}
	res.Applied = true
	progress(2 * res.Rows)
	res.Millis = time.Since(start).Milliseconds()
	return res, nil
}

func scopeRegion(a domain.Actor) int64 {
	if a.Role == domain.RoleRegional || a.Role == domain.RoleOrganisation {
		return a.RegionID
	}
	return 0
}

// requiredColumns names the columns a file lacks. The region may be left out when every row
// names its organisation, or when the importer's scope fixes it.
func requiredColumns(f *csvFile, a domain.Actor) []string {
	var missing []string
	for _, k := range []string{colCF, colFamily, colGiven} {
		if !f.has(k) {
			missing = append(missing, k)
		}
	}
	if !f.has(colProfession) && !f.has(colPairs) {
		missing = append(missing, colProfession+" (or "+colPairs+")")
	}
	if f.has(colDiscipline) && !f.has(colProfession) {
		missing = append(missing, colProfession)
	}
	for i := 2; i <= maxPairColumns; i++ {
		if f.has(colDiscipline+"_"+strconv.Itoa(i)) && !f.has(colProfession+"_"+strconv.Itoa(i)) {
			missing = append(missing, colProfession+"_"+strconv.Itoa(i))
		}
	}
	for _, k := range []string{colEmployment, colSetting} {
		if !f.has(k) {
			missing = append(missing, k)
		}
	}
	if !f.has(colRegion) && !f.has(colOrg) && a.Role != domain.RoleRegional && a.Role != domain.RoleOrganisation {
		missing = append(missing, colRegion+" (or "+colOrg+")")
	}
	return missing
}

// orgIndex maps organisation codes to organisations for the azienda column.
type orgIndex struct {
	byCode map[string][]orgInfo // code → organisations with it (an ASL and a hospital may share one)
	byID   map[int64]orgInfo
}

func (s *Service) orgIndex(ctx context.Context) (*orgIndex, error) {
	x := &orgIndex{byCode: map[string][]orgInfo{}, byID: map[int64]orgInfo{}}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, kind, code, name, COALESCE(region_id, 0) FROM organisations WHERE kind <> $1`, KindProvider)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o orgInfo
		if err := rows.Scan(&o.ID, &o.Kind, &o.Code, &o.Name, &o.RegionID); err != nil {
			return nil, err
		}
		k := strings.ToUpper(o.Code)
		x.byCode[k] = append(x.byCode[k], o)
		x.byID[o.ID] = o
	}
	return x, rows.Err()
}

// resolve finds the organisation of an azienda cell: its Ministry code ("090201"); when an
// ASL and a hospital structure share the code, the ASL; "kind:code" (e.g. "presidio:050501")
// picks another.
func (x *orgIndex) resolve(lang, v string) (orgInfo, string) {
	kind, code, hasKind := strings.Cut(v, ":")
	if !hasKind {
		code, kind = v, ""
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	list := x.byCode[strings.ToUpper(strings.TrimSpace(code))]
	if len(list) == 0 {
		return orgInfo{}, tr(lang, "unknown organisation code (the Ministry code of an ASL or hospital, e.g. 090201)")
	}
	for _, o := range list {
		if o.Kind == kind || (kind == "" && o.Kind == KindASL) {
			return o, ""
		}
	}
	if kind == "" && len(list) == 1 {
		return list[0], ""
	}
	if kind == "" {
		return orgInfo{}, tr(lang, "several organisations have this code: write kind:code (e.g. presidio:%s)", code)
	}
	return orgInfo{}, tr(lang, "no organisation of kind %s has this code", kind)
}

// parsePairs reads profession/discipline pairs from a cell: "1.58" or "1/58" is one pair;
// several are separated by ':' '|' ',' or spaces ("1.58:14.85"); "14" alone is a profession
// whose only discipline is implied. With a separate discipline cell, profession and
// discipline may also be written by name.
func (c *refCache) parsePairs(lang, prof, disc string) ([]Pair, string) {
	prof, disc = strings.TrimSpace(prof), strings.TrimSpace(disc)
	if prof == "" {
		if disc != "" {
			return nil, tr(lang, "a discipline without a profession")
		}
		return nil, ""
	}
	if disc != "" {
		p, ok := c.professionCode(prof)
		if !ok {
			return nil, tr(lang, "unknown profession (an ECM code 1-30 or its name)")
		}
		d, ok := c.disciplineCode(p, disc)
		if !ok {
			return nil, tr(lang, "unknown discipline %q for profession %d", disc, p)
		}
		return []Pair{{Profession: p, Discipline: d}}, ""
	}
	if _, err := strconv.Atoi(prof); err != nil && !strings.ContainsAny(prof, ".:/|, ") {
		if p, ok := c.professionCode(prof); ok {
			return []Pair{{Profession: p}}, ""
		}
	}
	var out []Pair
	for _, item := range strings.FieldsFunc(prof, func(r rune) bool { return r == ':' || r == '|' || r == ',' || r == ' ' || r == ';' }) {
		ps, ds, _ := strings.Cut(strings.ReplaceAll(item, "/", "."), ".")
		p, err := strconv.Atoi(ps)
		if err != nil {
			return nil, tr(lang, "not a profession code or profession.discipline pair: %q", item)
		}
		d := 0
		if ds != "" {
			if d, err = strconv.Atoi(ds); err != nil {
				return nil, tr(lang, "not a discipline code: %q", ds)
			}
		}
		out = append(out, Pair{Profession: p, Discipline: d})
	}
	return out, ""
}

func (c *refCache) professionCode(v string) (int, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		_, ok := c.profByCode[n]
		return n, ok
	}
	n, ok := c.profByName[fold(v)]
	return n, ok
}

func (c *refCache) disciplineCode(prof int, v string) (int, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		return n, true // checked against the profession by checkPairs
	}
	p := c.profByCode[prof]
	if p == nil {
		return 0, false
	}
	k := fold(v)
	for _, d := range p.Disciplines {
		if fold(d.Name) == k {
			return d.Code, true
		}
	}
	return 0, false
}

// importRow converts and validates one record. Problems name the file's own column headers.
func (s *Service) importRow(lang string, c *refCache, f *csvFile, rec csvRecord, orgs *orgIndex, a domain.Actor) (*profRow, problems) {
	pre := problems{lang: lang}
	get := func(k string) string { return f.get(rec, k) }
	in := ProfessionalInput{CF: get(colCF), FamilyName: get(colFamily), GivenName: get(colGiven), Email: get(colEmail),
		Employment: get(colEmployment), CareSetting: get(colSetting), JobRole: get(colRole)}
	// Pairs: the pairs column, then profession/discipline and their numbered siblings.
	addPairs := func(profKey, discKey string) {
		ps, msg := c.parsePairs(lang, get(profKey), get(discKey))
		if msg != "" {
			field := profKey
			if f.has(discKey) && get(discKey) != "" {
				field = discKey
			}
			pre.add(field, strings.TrimSpace(get(profKey)+" "+get(discKey)), "%s", msg)
		}
		in.Professions = append(in.Professions, ps...)
	}
	addPairs(colPairs, "")
	addPairs(colProfession, colDiscipline)
	for i := 2; i <= maxPairColumns; i++ {
		addPairs(colProfession+"_"+strconv.Itoa(i), colDiscipline+"_"+strconv.Itoa(i))
	}
	if v := get(colRegion); v != "" {
		if id, ok := c.regionByKey[regionKey(v)]; ok {
			in.RegionID = id
		} else {
			pre.add(colRegion, v, "unknown region (a Ministry code such as 090, an ISO code such as IT-52, or a name such as Toscana)")
		}
	}
	var o orgInfo
	if v := get(colOrg); v != "" {
		var msg string
		if o, msg = orgs.resolve(lang, v); msg != "" {
			pre.add(colOrg, v, "%s", msg)
		}
		in.OrganisationID = o.ID
	}
	// The importer's scope: an organisation imports its own staff; a regional referent
	// their region. The region follows from the organisation when not given.
	switch a.Role {
	case domain.RoleOrganisation:
		if in.OrganisationID == 0 && get(colOrg) == "" {
			in.OrganisationID = a.OrganisationID
		}
		if in.RegionID == 0 {
			in.RegionID = orgs.byID[a.OrganisationID].RegionID
		}
	case domain.RoleRegional:
		if in.RegionID == 0 && in.OrganisationID == 0 && get(colRegion) == "" && get(colOrg) == "" {
			in.RegionID = a.RegionID
		}
	}
	row, p := c.check(lang, in, func(id int64) (orgInfo, bool) { o, ok := orgs.byID[id]; return o, ok })
	row.keepEmail, row.keepRole, row.keepOrg = !f.has(colEmail), !f.has(colRole), !f.has(colOrg)
	all := problems{lang: lang, list: append(pre.list, p.list...)}
	// Scope problems only for rows otherwise valid, so the report says the first thing to fix.
	if len(all.list) == 0 {
		switch a.Role {
		case domain.RoleRegional:
			if row.regionID != a.RegionID {
				all.add(colRegion, c.regionName(row.regionID), "outside your region: you may import only professionals of %s", c.regionName(a.RegionID))
			}
		case domain.RoleOrganisation:
			if row.orgID != a.OrganisationID {
				all.add(colOrg, get(colOrg), "not your organisation: you may import only your own staff (%s)", orgs.byID[a.OrganisationID].Name)
			}
		}
	}
	// Name the file's columns and lines.
	fieldCol := map[string]string{fCF: colCF, fFamily: colFamily, fGiven: colGiven, fEmail: colEmail, fPairs: colProfession,
		fRegion: colRegion, fOrg: colOrg, fEmployment: colEmployment, fSetting: colSetting, fRole: colRole}
	for i := range all.list {
		k := all.list[i].Field
		if col, ok := fieldCol[k]; ok {
			k = col
			if k == colProfession && !f.has(colProfession) {
				k = colPairs
			}
		}
		all.list[i].Field = f.fieldName(k)
		all.list[i].Line = rec.line
	}
	return &row, all
}

// stored is a professional as stored, for comparison.
type stored struct {
	id   int64
	snap snapshot
}

// existingByCF loads the stored professionals whose codice fiscale appears in rows. A file
// that is large next to the table is compared in one pass over the table; a small one by
// lookups of the unique index, 500 codes at a time.
func (s *Service) existingByCF(ctx context.Context, rows []*profRow) (map[string]stored, error) {
	out := map[string]stored{}
	want := make(map[string]bool, len(rows))
	var codes []any
	for _, r := range rows {
		if !r.bad && r.code.Normalised != "" {
			codes = append(codes, r.code.Normalised)
			want[r.code.Normalised] = true
		}
	}
	var total int
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM professionals`).Scan(&total); err != nil {
		return nil, err
	}
	if total == 0 || len(codes) == 0 {
		return out, nil
	}
	const cols = `SELECT id, cf, cf_display, family_name, given_name, email, region_id, COALESCE(organisation_id, 0), employment, care_setting, job_role FROM professionals`
	scan := func(q *sql.Rows, byID map[int64]string) error {
		defer q.Close()
		for q.Next() {
			var st stored
			x := &st.snap
			if err := q.Scan(&st.id, &x.CF, &x.CFDisplay, &x.FamilyName, &x.GivenName, &x.Email, &x.RegionID, &x.OrganisationID,
				&x.Employment, &x.CareSetting, &x.JobRole); err != nil {
				return err
			}
			if want[x.CF] {
				out[x.CF] = st
				byID[st.id] = x.CF
			}
		}
		return q.Err()
	}
	pairsOf := func(q *sql.Rows, byID map[int64]string) error {
		defer q.Close()
		pairs := map[int64][]Pair{}
		for q.Next() {
			var id int64
			var p Pair
			if err := q.Scan(&id, &p.Profession, &p.Discipline); err != nil {
				return err
			}
			if _, ok := byID[id]; ok {
				pairs[id] = append(pairs[id], p)
			}
		}
		for id, code := range byID {
			st := out[code]
			st.snap.Professions = pairsString(pairs[id])
			out[code] = st
		}
		return q.Err()
	}
	if len(codes)*4 >= total {
		byID := map[int64]string{}
		q, err := s.DB.Read.QueryContext(ctx, cols)
		if err != nil {
			return nil, err
		}
		if err := scan(q, byID); err != nil {
			return nil, err
		}
		q, err = s.DB.Read.QueryContext(ctx, `SELECT professional_id, profession_code, discipline_code FROM professional_disciplines
			ORDER BY professional_id, profession_code, discipline_code`)
		if err != nil {
			return nil, err
		}
		return out, pairsOf(q, byID)
	}
	const per = 500
	for start := 0; start < len(codes); start += per {
		chunk := codes[start:min(start+per, len(codes))]
		byID := map[int64]string{}
		q, err := s.DB.Read.QueryContext(ctx, cols+` WHERE cf IN (`+placeholders(s.DB, 0, len(chunk))+`)`, chunk...)
		if err != nil {
			return nil, err
		}
		if err := scan(q, byID); err != nil {
			return nil, err
		}
		if len(byID) == 0 {
			continue
		}
		ids := make([]any, 0, len(byID))
		for id := range byID {
			ids = append(ids, id)
		}
		q, err = s.DB.Read.QueryContext(ctx, `SELECT professional_id, profession_code, discipline_code FROM professional_disciplines
			WHERE professional_id IN (`+placeholders(s.DB, 0, len(ids))+`) ORDER BY professional_id, profession_code, discipline_code`, ids...)
		if err != nil {
			return nil, err
		}
		if err := pairsOf(q, byID); err != nil {
			return nil, err
		}
	}
	return out, nil
}
