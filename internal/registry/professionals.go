package registry

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"esd/internal/audit"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/domain"
)

// Field names of professional problems, shared by the form, the API and (mapped to the
// file's header names) the CSV import.
const (
	fCF         = "codice_fiscale"
	fFamily     = "family_name"
	fGiven      = "given_name"
	fEmail      = "email"
	fPairs      = "professions"
	fRegion     = "region_id"
	fOrg        = "organisation_id"
	fEmployment = "employment"
	fSetting    = "care_setting"
	fRole       = "job_role"
)

// Aliases accepted for the coded fields (keys folded, without spaces), so HR exports in
// Italian or English words work as well as the codes.
var (
	employmentAliases = aliasMap(map[string][]string{
		"dipendente":            {"dipendente", "dipendenti", "subordinato", "employee", "employed"},
		"convenzionato":         {"convenzionato", "convenzionata", "convenzione", "contracted", "affiliated"},
		"libero_professionista": {"libero professionista", "libera professionista", "libera professione", "libero prof", "freelance", "freelancer", "self employed", "lp"},
	})
	settingAliases = aliasMap(map[string][]string{
		"ospedale":     {"ospedale", "ospedaliero", "ospedaliera", "hospital"},
		"territorio":   {"territorio", "territoriale", "cure primarie", "assistenza territoriale", "assistenza primaria", "primary care", "community care", "territorial care"},
		"prevenzione":  {"prevenzione", "prevention", "public health", "sanita pubblica"},
		"farmacia":     {"farmacia", "pharmacy"},
		"direzione":    {"direzione", "direzione sanitaria", "management", "amministrazione", "governance"},
		"emergenza":    {"emergenza", "emergenza urgenza", "118", "emergency"},
		"residenziale": {"residenziale", "rsa", "lungodegenza", "long term care", "residential care"},
		"altro":        {"altro", "other"},
	})
	roleAliases = aliasMap(map[string][]string{
		"clinico":      {"clinico", "clinica", "assistenziale", "clinician", "clinical"},
		"coordinatore": {"coordinatore", "coordinatrice", "coordinamento", "coordinator", "head nurse"},
		"dirigente":    {"dirigente", "direttore", "direttrice", "responsabile", "manager", "director"},
		"formatore":    {"formatore", "formatrice", "tutor", "docente", "educator", "trainer"},
		"ricercatore":  {"ricercatore", "ricercatrice", "ricerca", "researcher"},
		"altro":        {"altro", "other"},
	})
)

func aliasKey(s string) string { return strings.ReplaceAll(fold(s), " ", "") }

func aliasMap(m map[string][]string) map[string]string {
	out := map[string]string{}
	for code, list := range m {
		out[aliasKey(code)] = code
		for _, a := range list {
			out[aliasKey(a)] = code
		}
	}
	return out
}

// orgInfo is what validation needs to know about an organisation.
type orgInfo struct {
	ID       int64
	Kind     string
	Code     string
	Name     string
	RegionID int64
}

// profRow is a validated professional, ready to write.
type profRow struct {
	code                              cf.Code
	family, given, email              string
	pairs                             []Pair // sorted, unique, without names
	regionID, orgID                   int64
	employment, setting, role         string
	line                              int // file line, for imports
	keepEmail, keepOrg, keepRole, bad bool
}

// snapshot is the audited and compared form of a professional: two rows with equal
// snapshots are the same record, so a re-import that changes nothing writes nothing.
type snapshot struct {
	CF             string `json:"codice_fiscale"`
	CFDisplay      string `json:"codice_fiscale_display"`
	FamilyName     string `json:"family_name"`
	GivenName      string `json:"given_name"`
	Email          string `json:"email,omitempty"`
	RegionID       int64  `json:"region_id"`
	OrganisationID int64  `json:"organisation_id,omitempty"`
	Employment     string `json:"employment"`
	CareSetting    string `json:"care_setting"`
	JobRole        string `json:"job_role,omitempty"`
	Professions    string `json:"professions"` // "1.58 14.85"
}

func pairsString(ps []Pair) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(p.Profession))
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(p.Discipline))
	}
	return b.String()
}

func (r *profRow) snapshot() snapshot {
	return snapshot{CF: r.code.Normalised, CFDisplay: r.code.Display, FamilyName: r.family, GivenName: r.given, Email: r.email,
		RegionID: r.regionID, OrganisationID: r.orgID, Employment: r.employment, CareSetting: r.setting, JobRole: r.role,
		Professions: pairsString(r.pairs)}
}

// checkName validates a personal name: letters (accents kept), spaces, apostrophes,
// hyphens and dots; nothing a spreadsheet would run as a formula.
func checkName(p *problems, field, v string) string {
	n := len(p.list)
	v = norm.NFC.String(cleanText(p, field, v, true, 100))
	if len(p.list) > n || v == "" {
		return v
	}
	letters := 0
	for _, r := range v {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			letters++
		case r == ' ' || r == '\'' || r == '’' || r == '-' || r == '.':
		default:
			p.add(field, v, "contains %q: names may have only letters, spaces, apostrophes, hyphens and dots", r)
			return v
		}
	}
	if letters == 0 {
		p.add(field, v, "has no letters")
	}
	return v
}

func checkEmail(p *problems, v string) string {
	n := len(p.list)
	v = cleanText(p, fEmail, v, false, 254)
	if v == "" || len(p.list) > n {
		return v
	}
	a, err := mail.ParseAddress(v)
	at := strings.LastIndexByte(v, '@')
	if err != nil || a.Address != v || a.Name != "" || at < 1 || !strings.Contains(v[at:], ".") || strings.ContainsAny(v, " ,;<>\"") {
		p.add(fEmail, v, "not an e-mail address")
	}
	return v
}

func canonValue(p *problems, field, v string, aliases map[string]string, list []string, required bool) string {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			p.add(field, "", "required (one of %s)", strings.Join(list, ", "))
		}
		return ""
	}
	if c, ok := aliases[aliasKey(v)]; ok {
		return c
	}
	p.add(field, v, "unknown value (one of %s)", strings.Join(list, ", "))
	return ""
}

// checkPairs validates profession/discipline pairs against the ECM tables. A profession
// with a single discipline (e.g. 14 Infermiere → 85) may be given without it.
func (c *refCache) checkPairs(p *problems, in []Pair) []Pair {
	if len(in) == 0 {
		p.add(fPairs, "", "at least one profession/discipline pair is required")
		return nil
	}
	if len(in) > 8 {
		p.add(fPairs, "", "at most 8 profession/discipline pairs")
		return nil
	}
	seen := map[[2]int]bool{}
	var out []Pair
	for _, x := range in {
		val := fmt.Sprintf("%d.%d", x.Profession, x.Discipline)
		prof := c.profByCode[x.Profession]
		if prof == nil {
			p.add(fPairs, val, "unknown profession %d (ECM codes 1-30)", x.Profession)
			continue
		}
		if x.Discipline == 0 {
			if len(prof.Disciplines) != 1 {
				p.add(fPairs, strconv.Itoa(x.Profession), "profession %d (%s) needs a discipline", x.Profession, prof.Name)
				continue
			}
			x.Discipline = prof.Disciplines[0].Code
		}
		d, ok := c.discByCode[x.Discipline]
		if !ok {
			p.add(fPairs, val, "unknown discipline %d", x.Discipline)
			continue
		}
		if d.ProfessionCode != x.Profession {
			p.add(fPairs, val, "discipline %d (%s) is not a discipline of profession %d (%s)", d.Code, d.Name, x.Profession, prof.Name)
			continue
		}
		k := [2]int{x.Profession, x.Discipline}
		if !seen[k] {
			seen[k] = true
			out = append(out, Pair{Profession: x.Profession, Discipline: x.Discipline})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Profession != out[j].Profession {
			return out[i].Profession < out[j].Profession
		}
		return out[i].Discipline < out[j].Discipline
	})
	return out
}

func (c *refCache) knownComune(b string) bool { _, ok := c.comuni[b]; return ok }

// check validates a professional. org resolves an organisation id (ok=false: unknown).
func (c *refCache) check(lang string, in ProfessionalInput, org func(int64) (orgInfo, bool)) (profRow, problems) {
	p := problems{lang: lang}
	var r profRow
	code, err := cf.Validate(in.CF, c.knownComune)
	if err != nil {
		p.add(fCF, strings.TrimSpace(in.CF), "%s", cfReason(lang, err))
	}
	r.code = code
	r.family = checkName(&p, fFamily, in.FamilyName)
	r.given = checkName(&p, fGiven, in.GivenName)
	r.email = checkEmail(&p, in.Email)
	r.pairs = c.checkPairs(&p, in.Professions)
	r.employment = canonValue(&p, fEmployment, in.Employment, employmentAliases, Employments, true)
	r.setting = canonValue(&p, fSetting, in.CareSetting, settingAliases, CareSettings, true)
	r.role = canonValue(&p, fRole, in.JobRole, roleAliases, JobRoles, false)
	r.regionID, r.orgID = in.RegionID, in.OrganisationID
	var o orgInfo
	if r.orgID != 0 {
		var ok bool
		if o, ok = org(r.orgID); !ok {
			p.add(fOrg, strconv.FormatInt(r.orgID, 10), "unknown organisation")
		} else if o.Kind == KindProvider {
			p.add(fOrg, o.Code, "%s is an ECM provider, not a health organisation", o.Name)
		} else if r.regionID == 0 {
			r.regionID = o.RegionID
		}
	}
	switch {
	case r.regionID == 0:
		p.add(fRegion, "", "required")
	case c.regionByID[r.regionID] == nil:
		p.add(fRegion, strconv.FormatInt(r.regionID, 10), "unknown region")
	case o.ID != 0 && o.RegionID != r.regionID:
		p.add(fOrg, o.Code, "%s is in %s, not in %s", o.Name, c.regionName(o.RegionID), c.regionName(r.regionID))
	}
	return r, p
}

func (c *refCache) regionName(id int64) string {
	if r := c.regionByID[id]; r != nil {
		return r.Name
	}
	return strconv.FormatInt(id, 10)
}

// orgByID looks an organisation up for validation.
func (s *Service) orgByID(ctx context.Context) func(int64) (orgInfo, bool) {
	return func(id int64) (orgInfo, bool) {
		var o orgInfo
		var reg sql.NullInt64
		err := s.DB.Read.QueryRowContext(ctx, `SELECT id, kind, code, name, region_id FROM organisations WHERE id = $1`, id).
			Scan(&o.ID, &o.Kind, &o.Code, &o.Name, &reg)
		o.RegionID = reg.Int64
		return o, err == nil
	}
}

// profColumnsSelect and profJoins make profSelect; a search puts its matches before the
// professionals (see ListProfessionals).
const (
	profColumnsSelect = `SELECT p.id, p.cf, p.cf_display, p.given_name, p.family_name, p.birth_date, p.sex, p.birthplace_code, COALESCE(c.name, ''),
	p.region_id, COALESCE(r.name, ''), COALESCE(p.organisation_id, 0), COALESCE(o.name, ''), p.employment, p.care_setting, p.job_role,
	p.email, p.created_at, p.updated_at`
	profJoins = ` LEFT JOIN regions r ON r.id = p.region_id LEFT JOIN organisations o ON o.id = p.organisation_id
	LEFT JOIN comuni c ON c.belfiore_code = p.birthplace_code`
	profSelect = profColumnsSelect + " FROM professionals p" + profJoins
)

func scanProf(row interface{ Scan(...any) error }) (Professional, error) {
	var p Professional
	var birth sql.NullTime
	err := row.Scan(&p.ID, &p.CF, &p.CFDisplay, &p.GivenName, &p.FamilyName, &birth, &p.Sex, &p.BirthplaceCode, &p.BirthplaceName,
		&p.RegionID, &p.RegionName, &p.OrganisationID, &p.OrganisationName, &p.Employment, &p.CareSetting, &p.JobRole, &p.Email,
		&p.CreatedAt, &p.UpdatedAt)
	p.BirthDate = dateString(birth)
	p.Professions = []Pair{}
	return p, err
}

// loadPairs fills the profession/discipline pairs (with names) of ps.
func (s *Service) loadPairs(ctx context.Context, q db.Querier, ps []Professional) error {
	if len(ps) == 0 {
		return nil
	}
	c, err := s.cache(ctx)
	if err != nil {
		return err
	}
	idx := map[int64]int{}
	args := make([]any, len(ps))
	for i, p := range ps {
		idx[p.ID] = i
		args[i] = p.ID
	}
	rows, err := q.QueryContext(ctx, `SELECT professional_id, profession_code, discipline_code FROM professional_disciplines
		WHERE professional_id IN (`+db.Placeholders(1, len(args))+`) ORDER BY professional_id, profession_code, discipline_code`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var x Pair
		if err := rows.Scan(&id, &x.Profession, &x.Discipline); err != nil {
			return err
		}
		if pr := c.profByCode[x.Profession]; pr != nil {
			x.ProfessionName = pr.Name
		}
		x.DisciplineName = c.discByCode[x.Discipline].Name
		i := idx[id]
		ps[i].Professions = append(ps[i].Professions, x)
	}
	return rows.Err()
}

func target(p Professional) domain.Target {
	return domain.Target{RegionID: p.RegionID, OrganisationID: p.OrganisationID, ProfessionalID: p.ID}
}

// individualRoles may read individual registry data (within their scope).
var individualRoles = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation, domain.RoleProfessional}

// editorRoles may write registry data (within their scope).
var editorRoles = []domain.Role{domain.RoleNational, domain.RoleRegional, domain.RoleOrganisation}

// Professional returns one professional in the caller's scope; out of scope is ENOTFOUND.
// Providers and analysts are refused: they never see individual registry data.
func (s *Service) Professional(ctx context.Context, id int64) (Professional, error) {
	a, err := domain.Require(ctx, individualRoles...)
	if err != nil {
		return Professional{}, err
	}
	p, err := scanProf(s.DB.Read.QueryRowContext(ctx, profSelect+" WHERE p.id = $1", id))
	if err != nil {
		return Professional{}, notFound(err, "professional")
	}
	if !a.CanSeeIndividual(target(p)) {
		return Professional{}, domain.NotFound("professional")
	}
	ps := []Professional{p}
	if err := s.loadPairs(ctx, s.DB.Read, ps); err != nil {
		return Professional{}, err
	}
	return ps[0], nil
}

// ProfessionalByCF returns the professional with a codice fiscale (any spelling: omocodic
// variants find the same person), within the caller's scope.
func (s *Service) ProfessionalByCF(ctx context.Context, code string) (Professional, error) {
	a, err := domain.Require(ctx, individualRoles...)
	if err != nil {
		return Professional{}, err
	}
	n, err := cf.Normalise(code)
	if err != nil {
		return Professional{}, domain.Invalid(fCF, "%s", cfReason(Language(ctx), err))
	}
	p, err := scanProf(s.DB.Read.QueryRowContext(ctx, profSelect+" WHERE p.cf = $1", n))
	if err != nil {
		return Professional{}, notFound(err, "professional")
	}
	if !a.CanSeeIndividual(target(p)) {
		return Professional{}, domain.NotFound("professional")
	}
	ps := []Professional{p}
	if err := s.loadPairs(ctx, s.DB.Read, ps); err != nil {
		return Professional{}, err
	}
	return ps[0], nil
}

// ListProfessionals lists the professionals in the caller's scope (national: all;
// regional: their region; organisation: their staff; professional: themselves), filtered
// and paged: newest first, or by name when searching. Providers and analysts are refused.
func (s *Service) ListProfessionals(ctx context.Context, f ProfessionalFilter) (ProfessionalPage, error) {
	a, err := domain.Require(ctx, individualRoles...)
	if err != nil {
		return ProfessionalPage{}, err
	}
	page, per := pageBounds(f.Page, f.PerPage)
	q := " WHERE 1=1"
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// regions are those the scope or the filters name: a search seeks its words in them only.
	var regions []int64
	region := func(id int64) {
		q += " AND p.region_id = " + arg(id)
		regions = append(regions, id)
	}
	// The index is on (region_id, organisation_id): an organisation's condition comes with
	// its region.
	orgCond := func(org int64) {
		var reg sql.NullInt64
		_ = s.DB.Read.QueryRowContext(ctx, `SELECT region_id FROM organisations WHERE id = $1`, org).Scan(&reg)
		if reg.Valid {
			region(reg.Int64)
		}
		q += " AND p.organisation_id = " + arg(org)
	}
	switch a.Role {
	case domain.RoleRegional:
		region(a.RegionID)
	case domain.RoleOrganisation:
		orgCond(a.OrganisationID)
	case domain.RoleProfessional:
		q += " AND p.id = " + arg(a.ProfessionalID)
	}
	if f.RegionID != 0 {
		region(f.RegionID)
	}
	if f.OrganisationID != 0 {
		orgCond(f.OrganisationID)
	}
	if f.Profession != 0 {
		q += " AND EXISTS (SELECT 1 FROM professional_disciplines pd WHERE pd.professional_id = p.id AND pd.profession_code = " + arg(f.Profession) + ")"
	}
	// Browsing shows the newest first (an index walk). A search finds its matches in the
	// token index (a word prefix of the name, or a codice fiscale prefix: see matchCTE), then
	// reads only those professionals, applies the scope and filters, sorts them by name, and
	// joins the names of region, organisation and birthplace to the page's rows only.
	words := strings.Fields(fold(f.Query))
	if len(words) == 0 {
		q = profSelect + q + " ORDER BY p.id DESC LIMIT " + arg(per+1) + " OFFSET " + arg((page-1)*per)
	} else {
		if len(regions) == 0 {
			c, err := s.cache(ctx)
			if err != nil {
				return ProfessionalPage{}, err
			}
			for id := range c.regionByID {
				regions = append(regions, id)
			}
			sort.Slice(regions, func(i, j int) bool { return regions[i] < regions[j] })
		} else {
			// Several regions named (a filter outside the scope) match nobody: the conditions
			// on p.region_id say so; the first one is enough to seek.
			regions = regions[:1]
		}
		// The scope's conditions were bound first: the CTE's parameters follow them.
		// CROSS JOIN keeps SQLite from starting with the scope index (it never reorders a
		// CROSS JOIN); PostgreSQL plans it like an inner join.
		q = matchCTE(words, regions, arg) + ", pg(id, sn) AS (SELECT p.id, p.search_name FROM m CROSS JOIN professionals p" + q +
			" AND p.id = m.id ORDER BY p.search_name, p.id LIMIT " + arg(per+1) + " OFFSET " + arg((page-1)*per) + ") " +
			profColumnsSelect + " FROM pg CROSS JOIN professionals p" + profJoins + " WHERE p.id = pg.id ORDER BY pg.sn, pg.id"
	}
	rows, err := s.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return ProfessionalPage{}, err
	}
	out := ProfessionalPage{Page: page, PerPage: per, Items: []Professional{}}
	for rows.Next() {
		p, err := scanProf(rows)
		if err != nil {
			rows.Close()
			return out, err
		}
		out.Items = append(out.Items, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	if len(out.Items) > per {
		out.Items, out.HasMore = out.Items[:per], true
	}
	return out, s.loadPairs(ctx, s.DB.Read, out.Items)
}

// scopeInput applies the caller's scope to an input before validation: an organisation's
// training office registers its own staff, so an empty organisation means theirs.
func scopeInput(a domain.Actor, in *ProfessionalInput) {
	if a.Role == domain.RoleOrganisation && in.OrganisationID == 0 {
		in.OrganisationID = a.OrganisationID
	}
}

// scopeAllows reports whether the actor may hold a professional at region/org.
func scopeAllows(a domain.Actor, regionID, orgID, profID int64) bool {
	return a.CanEditIndividual(domain.Target{RegionID: regionID, OrganisationID: orgID, ProfessionalID: profID})
}

// CreateProfessional registers a professional: national governance anywhere, a regional
// referent in their region, an organisation's training office in their organisation.
func (s *Service) CreateProfessional(ctx context.Context, in ProfessionalInput) (Professional, error) {
	a, err := domain.Require(ctx, editorRoles...)
	if err != nil {
		return Professional{}, err
	}
	c, err := s.cache(ctx)
	if err != nil {
		return Professional{}, err
	}
	scopeInput(a, &in)
	r, p := c.check(Language(ctx), in, s.orgByID(ctx))
	if err := p.err(); err != nil {
		return Professional{}, err
	}
	if !scopeAllows(a, r.regionID, r.orgID, 0) {
		return Professional{}, forbidden(ctx, "you may register professionals only within your scope")
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := s.insertProfessionals(ctx, tx, []*profRow{&r})
		if err != nil {
			return conflictOn(err, fCF, tr(Language(ctx), "a professional with this codice fiscale is already registered"))
		}
		id = ids[r.code.Normalised]
		if err := s.insertPairs(ctx, tx, []*profRow{&r}, ids); err != nil {
			return err
		}
		if err := s.insertTokens(ctx, tx, []*profRow{&r}, ids); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "professional", EntityID: id, RegionID: r.regionID, After: r.snapshot()})
	})
	if err != nil {
		return Professional{}, err
	}
	return s.Professional(ctx, id)
}

// UpdateProfessional changes a professional. The caller must be allowed to edit the record
// both as it is and as it will be (a regional referent cannot move someone to another
// region). Professionals cannot edit their own registry record.
func (s *Service) UpdateProfessional(ctx context.Context, id int64, in ProfessionalInput) (Professional, error) {
	a, err := domain.Require(ctx, editorRoles...)
	if err != nil {
		return Professional{}, err
	}
	old, err := s.Professional(ctx, id)
	if err != nil {
		return Professional{}, err
	}
	c, err := s.cache(ctx)
	if err != nil {
		return Professional{}, err
	}
	scopeInput(a, &in)
	r, p := c.check(Language(ctx), in, s.orgByID(ctx))
	if err := p.err(); err != nil {
		return Professional{}, err
	}
	if !scopeAllows(a, r.regionID, r.orgID, id) {
		return Professional{}, forbidden(ctx, "you may not move a professional out of your scope")
	}
	before := snapshotOf(old)
	after := r.snapshot()
	if before == after {
		return old, nil
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.updateProfessional(ctx, tx, id, &r); err != nil {
			return conflictOn(err, fCF, tr(Language(ctx), "a professional with this codice fiscale is already registered"))
		}
		if before.Professions != after.Professions {
			if _, err := tx.ExecContext(ctx, `DELETE FROM professional_disciplines WHERE professional_id = $1`, id); err != nil {
				return err
			}
			if err := s.insertPairs(ctx, tx, []*profRow{&r}, map[string]int64{r.code.Normalised: id}); err != nil {
				return err
			}
		}
		if before.RegionID != after.RegionID || before.OrganisationID != after.OrganisationID || before.Professions != after.Professions {
			if err := s.moved(ctx, tx, []int64{id}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "professional", EntityID: id, RegionID: r.regionID, Before: before, After: after})
	})
	if err != nil {
		return Professional{}, err
	}
	return s.Professional(ctx, id)
}

func snapshotOf(p Professional) snapshot {
	ps := make([]Pair, len(p.Professions))
	for i, x := range p.Professions {
		ps[i] = Pair{Profession: x.Profession, Discipline: x.Discipline}
	}
	return snapshot{CF: p.CF, CFDisplay: p.CFDisplay, FamilyName: p.FamilyName, GivenName: p.GivenName, Email: p.Email, RegionID: p.RegionID,
		OrganisationID: p.OrganisationID, Employment: p.Employment, CareSetting: p.CareSetting, JobRole: p.JobRole, Professions: pairsString(ps)}
}

func searchName(family, given string) string { return fold(family + " " + given) }

// profValues are the column values of a row, in profColumns order.
const profColumns = "cf, cf_display, given_name, family_name, search_name, birth_date, sex, birthplace_code, region_id, organisation_id, employment, care_setting, job_role, email, created_at, updated_at"
const profNCols = 16

func (r *profRow) values(now any, out []any) []any {
	var birth any
	if !r.code.BirthDate.IsZero() {
		birth = r.code.BirthDate
	}
	return append(out, r.code.Normalised, r.code.Display, r.given, r.family, searchName(r.family, r.given), birth, r.code.Sex,
		r.code.Birthplace, r.regionID, nullID(r.orgID), r.employment, r.setting, r.role, r.email, now, now)
}

// insertProfessionals inserts rows and returns their ids by normalised codice fiscale.
// On SQLite the ids are assigned here, after the largest one, inside the write transaction
// (which holds SQLite's only write lock, so nobody else can take them): rows then go in
// with plain prepared inserts, without a RETURNING result set per statement. PostgreSQL
// draws them from the identity sequence.
func (s *Service) insertProfessionals(ctx context.Context, tx *sql.Tx, rows []*profRow) (map[string]int64, error) {
	now := db.Now()
	ids := make(map[string]int64, len(rows))
	if !s.DB.IsPostgres() {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM professionals`).Scan(&last); err != nil {
			return nil, err
		}
		args := make([]any, 0, len(rows)*(profNCols+1))
		for i, r := range rows {
			id := last + int64(i) + 1
			ids[r.code.Normalised] = id
			args = append(args, id)
			args = r.values(now, args)
		}
		return ids, execBatch(ctx, tx, s.DB, "INSERT INTO professionals (id, "+profColumns+") VALUES ", profNCols+1, "", args, nil)
	}
	args := make([]any, 0, len(rows)*profNCols)
	for _, r := range rows {
		args = r.values(now, args)
	}
	err := execBatch(ctx, tx, s.DB, "INSERT INTO professionals ("+profColumns+") VALUES ", profNCols, " RETURNING id, cf", args, func(rs *sql.Rows) error {
		var id int64
		var code string
		if err := rs.Scan(&id, &code); err != nil {
			return err
		}
		ids[code] = id
		return nil
	})
	return ids, err
}

// updateProfessional rewrites a professional's row, and their search words when the name or
// the region changes.
func (s *Service) updateProfessional(ctx context.Context, tx *sql.Tx, id int64, r *profRow) error {
	var oldRegion int64
	var oldName string
	if err := tx.QueryRowContext(ctx, `SELECT region_id, search_name FROM professionals WHERE id = $1`, id).Scan(&oldRegion, &oldName); err != nil {
		return err
	}
	if err := s.retoken(ctx, tx, id, oldRegion, oldName, r); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE professionals SET cf = $1, cf_display = $2, given_name = $3, family_name = $4, search_name = $5,
		birth_date = $6, sex = $7, birthplace_code = $8, region_id = $9, organisation_id = $10, employment = $11, care_setting = $12,
		job_role = $13, email = $14, updated_at = $15 WHERE id = $16`, append(r.values(db.Now(), nil)[:15], id)...)
	return err
}

// insertPairs inserts the pairs of rows, whose ids are given by normalised codice fiscale.
func (s *Service) insertPairs(ctx context.Context, tx *sql.Tx, rows []*profRow, ids map[string]int64) error {
	var args []any
	for _, r := range rows {
		id := ids[r.code.Normalised]
		for _, p := range r.pairs {
			args = append(args, id, p.Profession, p.Discipline)
		}
	}
	return execBatch(ctx, tx, s.DB, "INSERT INTO professional_disciplines (professional_id, profession_code, discipline_code) VALUES ", 3, "", args, nil)
}
