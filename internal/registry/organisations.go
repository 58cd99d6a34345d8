package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
)

const orgSelect = `SELECT o.id, o.kind, o.code, o.name, COALESCE(o.region_id, 0), COALESCE(r.name, ''), COALESCE(o.parent_id, 0),
	COALESCE(pa.name, ''), o.structure_type, o.public, o.legal_nature, o.comune_istat, COALESCE(c.name, ''), o.valid_from, o.valid_to,
	o.source, o.created_at, o.updated_at
	FROM organisations o LEFT JOIN regions r ON r.id = o.region_id LEFT JOIN organisations pa ON pa.id = o.parent_id
	LEFT JOIN comuni c ON c.istat_code = o.comune_istat`

func scanOrg(row interface{ Scan(...any) error }) (Organisation, error) {
	var o Organisation
	var from, to sql.NullTime
	err := row.Scan(&o.ID, &o.Kind, &o.Code, &o.Name, &o.RegionID, &o.RegionName, &o.ParentID, &o.ParentName, &o.StructureType,
		&o.Public, &o.LegalNature, &o.ComuneISTAT, &o.ComuneName, &from, &to, &o.Source, &o.CreatedAt, &o.UpdatedAt)
	o.ValidFrom, o.ValidTo = dateString(from), dateString(to)
	return o, err
}

func dateString(t sql.NullTime) string {
	if !t.Valid {
		return ""
	}
	return t.Time.UTC().Format("2006-01-02")
}

// likeTokens adds one "column LIKE %token%" condition per folded word of q. Folded text has
// only letters, digits and spaces, so no LIKE wildcard can slip in.
func likeTokens(q, column string, args *[]any) string {
	var conds []string
	for _, tok := range strings.Fields(fold(q)) {
		*args = append(*args, "%"+tok+"%")
		conds = append(conds, column+" LIKE $"+strconv.Itoa(len(*args)))
	}
	return strings.Join(conds, " AND ")
}

// ListOrganisations lists organisations (every authenticated user may: they are public
// registers), filtered and paged, ordered by name.
func (s *Service) ListOrganisations(ctx context.Context, f OrganisationFilter) (OrganisationPage, error) {
	if _, err := needLogin(ctx); err != nil {
		return OrganisationPage{}, err
	}
	page, per := pageBounds(f.Page, f.PerPage)
	q := orgSelect + " WHERE 1=1"
	var args []any
	if c := likeTokens(f.Query, "o.search_name", &args); c != "" {
		q += " AND " + c
	}
	if f.RegionID != 0 {
		args = append(args, f.RegionID)
		q += " AND o.region_id = $" + strconv.Itoa(len(args))
	}
	if f.Kind != "" {
		args = append(args, f.Kind)
		q += " AND o.kind = $" + strconv.Itoa(len(args))
	}
	if f.ParentID != 0 {
		args = append(args, f.ParentID)
		q += " AND o.parent_id = $" + strconv.Itoa(len(args))
	}
	args = append(args, per+1, (page-1)*per)
	q += fmt.Sprintf(" ORDER BY o.search_name, o.id LIMIT $%d OFFSET $%d", len(args)-1, len(args))
	rows, err := s.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return OrganisationPage{}, err
	}
	defer rows.Close()
	out := OrganisationPage{Page: page, PerPage: per, Items: []Organisation{}}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, o)
	}
	if len(out.Items) > per {
		out.Items, out.HasMore = out.Items[:per], true
	}
	return out, rows.Err()
}

// Organisation returns one organisation.
func (s *Service) Organisation(ctx context.Context, id int64) (Organisation, error) {
	if _, err := needLogin(ctx); err != nil {
		return Organisation{}, err
	}
	o, err := scanOrg(s.DB.Read.QueryRowContext(ctx, orgSelect+" WHERE o.id = $1", id))
	if err != nil {
		return o, notFound(err, "organisation")
	}
	return o, nil
}

// OrganisationByCode returns the organisation of a kind with a code (e.g. asl 090201).
func (s *Service) OrganisationByCode(ctx context.Context, kind, code string) (Organisation, error) {
	if _, err := needLogin(ctx); err != nil {
		return Organisation{}, err
	}
	o, err := scanOrg(s.DB.Read.QueryRowContext(ctx, orgSelect+" WHERE o.kind = $1 AND o.code = $2", kind, code))
	if err != nil {
		return o, notFound(err, "organisation")
	}
	return o, nil
}

func notFound(err error, what string) error {
	if err == sql.ErrNoRows {
		return domain.NotFound(what)
	}
	return err
}

// canEditOrganisation: national governance edits every organisation, a regional referent
// those of their region.
func canEditOrganisation(a domain.Actor, regionID int64) bool {
	if a.IsNationalOrSystem() {
		return true
	}
	return a.Role == domain.RoleRegional && a.RegionID != 0 && a.RegionID == regionID
}

// CreateOrganisation registers an organisation (national governance; a regional referent in
// their region).
func (s *Service) CreateOrganisation(ctx context.Context, in OrganisationInput) (Organisation, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return Organisation{}, err
	}
	in, err = s.validateOrganisation(ctx, in, 0)
	if err != nil {
		return Organisation{}, err
	}
	if !canEditOrganisation(a, in.RegionID) {
		return Organisation{}, forbidden(ctx, "you may register organisations of your region only")
	}
	var id int64
	now := db.Now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO organisations (kind, code, name, search_name, region_id, parent_id, structure_type, public,
			legal_nature, comune_istat, valid_from, valid_to, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$13) RETURNING id`,
			in.Kind, in.Code, in.Name, orgSearch(in), nullID(in.RegionID), nullID(in.ParentID), in.StructureType, in.Public, in.LegalNature,
			in.ComuneISTAT, nullDate(in.ValidFrom), nullDate(in.ValidTo), now).Scan(&id)
		if err != nil {
			return conflictOn(err, "code", tr(Language(ctx), "an organisation of this kind with this code already exists"))
		}
		return audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "organisation", EntityID: id, RegionID: in.RegionID, After: in})
	})
	if err != nil {
		return Organisation{}, err
	}
	return s.Organisation(ctx, id)
}

// UpdateOrganisation changes an organisation (same rules as CreateOrganisation, for both the
// organisation as it is and as it will be).
func (s *Service) UpdateOrganisation(ctx context.Context, id int64, in OrganisationInput) (Organisation, error) {
	a, err := domain.Require(ctx, domain.RoleNational, domain.RoleRegional)
	if err != nil {
		return Organisation{}, err
	}
	old, err := s.Organisation(ctx, id)
	if err != nil {
		return Organisation{}, err
	}
	if !canEditOrganisation(a, old.RegionID) {
		return Organisation{}, forbidden(ctx, "you may edit organisations of your region only")
	}
	in, err = s.validateOrganisation(ctx, in, id)
	if err != nil {
		return Organisation{}, err
	}
	if !canEditOrganisation(a, in.RegionID) {
		return Organisation{}, forbidden(ctx, "you may not move an organisation out of your region")
	}
	before := orgInputOf(old)
	if before == in {
		return old, nil
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE organisations SET kind = $1, code = $2, name = $3, search_name = $4, region_id = $5, parent_id = $6,
			structure_type = $7, public = $8, legal_nature = $9, comune_istat = $10, valid_from = $11, valid_to = $12, updated_at = $13 WHERE id = $14`,
			in.Kind, in.Code, in.Name, orgSearch(in), nullID(in.RegionID), nullID(in.ParentID), in.StructureType, in.Public, in.LegalNature,
			in.ComuneISTAT, nullDate(in.ValidFrom), nullDate(in.ValidTo), db.Now(), id)
		if err != nil {
			return conflictOn(err, "code", tr(Language(ctx), "an organisation of this kind with this code already exists"))
		}
		return audit.Record(ctx, tx, audit.Change{Action: "update", Entity: "organisation", EntityID: id, RegionID: in.RegionID, Before: before, After: in})
	})
	if err != nil {
		return Organisation{}, err
	}
	return s.Organisation(ctx, id)
}

func orgInputOf(o Organisation) OrganisationInput {
	return OrganisationInput{Kind: o.Kind, Code: o.Code, Name: o.Name, RegionID: o.RegionID, ParentID: o.ParentID, StructureType: o.StructureType,
		Public: o.Public, LegalNature: o.LegalNature, ComuneISTAT: o.ComuneISTAT, ValidFrom: o.ValidFrom, ValidTo: o.ValidTo}
}

func orgSearch(in OrganisationInput) string { return fold(in.Name + " " + in.Code) }

func nullID(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// nullDate turns a validated YYYY-MM-DD (or "") into a value for a DATE column.
func nullDate(s string) any {
	if s == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil
	}
	return t
}

// conflictOn names the field of a unique violation.
func conflictOn(err error, field, msg string) error {
	err = db.MapError(err)
	if domain.ErrorCode(err) == domain.ECONFLICT {
		return &domain.Error{Code: domain.ECONFLICT, Field: field, Message: msg, Err: err}
	}
	return err
}

// problems collects field problems and turns them into one EINVALID error whose Field is
// the first bad field and whose Details list every one (pages show each beside its field).
type problems struct {
	lang string
	list []domain.Problem
}

func (p *problems) add(field, value, format string, args ...any) {
	p.list = append(p.list, domain.Problem{Field: field, Reason: tr(p.lang, format, args...), Value: value})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	msg := p.list[0].Reason
	if len(p.list) > 1 {
		msg = tr(p.lang, "%s (and %d more problems)", p.list[0].Reason, len(p.list)-1)
	}
	return &domain.Error{Code: domain.EINVALID, Field: p.list[0].Field, Message: msg, Details: p.list}
}

// formulaStart reports a value that a spreadsheet would run as a formula.
func formulaStart(v string) bool {
	return v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0]))
}

// cleanText trims and collapses white space and refuses control characters and formulas.
func cleanText(p *problems, field, v string, required bool, maxLen int) string {
	v = strings.Join(strings.Fields(v), " ")
	switch {
	case v == "" && required:
		p.add(field, "", "required")
	case formulaStart(v):
		p.add(field, v, "starts with %q, which a spreadsheet would run as a formula: refused", v[:1])
	case !utf8.ValidString(v):
		p.add(field, "", "not valid text")
	case utf8.RuneCountInString(v) > maxLen:
		p.add(field, v[:min(len(v), 40)]+"…", "too long (at most %d characters)", maxLen)
	default:
		for _, r := range v {
			if unicode.IsControl(r) {
				p.add(field, v, "contains a control character")
				break
			}
		}
	}
	return v
}

var orgCodeOK = func(r rune) bool {
	return r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._/-", r))
}

func (s *Service) validateOrganisation(ctx context.Context, in OrganisationInput, self int64) (OrganisationInput, error) {
	p := problems{lang: Language(ctx)}
	c, err := s.cache(ctx)
	if err != nil {
		return in, err
	}
	in.Kind = strings.TrimSpace(strings.ToLower(in.Kind))
	if !contains(OrganisationKinds, in.Kind) {
		p.add("kind", in.Kind, "unknown kind (one of %s)", strings.Join(OrganisationKinds, ", "))
	}
	in.Code = cleanText(&p, "code", in.Code, true, 40)
	if in.Code != "" && strings.IndexFunc(in.Code, func(r rune) bool { return !orgCodeOK(r) }) >= 0 {
		p.add("code", in.Code, "codes may contain only letters, digits and . _ / -")
	}
	in.Name = cleanText(&p, "name", in.Name, true, 200)
	in.LegalNature = cleanText(&p, "legal_nature", in.LegalNature, false, 80)
	if in.RegionID == 0 && in.Kind != KindProvider {
		p.add("region_id", "", "required")
	} else if in.RegionID != 0 && c.regionByID[in.RegionID] == nil {
		p.add("region_id", strconv.FormatInt(in.RegionID, 10), "unknown region")
	}
	if in.ParentID != 0 {
		var kind string
		var reg sql.NullInt64
		err := s.DB.Read.QueryRowContext(ctx, `SELECT kind, region_id FROM organisations WHERE id = $1`, in.ParentID).Scan(&kind, &reg)
		switch {
		case err == sql.ErrNoRows || in.ParentID == self:
			p.add("parent_id", strconv.FormatInt(in.ParentID, 10), "unknown parent organisation")
		case err != nil:
			return in, err
		case kind != KindASL:
			p.add("parent_id", strconv.FormatInt(in.ParentID, 10), "the parent must be an ASL")
		case reg.Int64 != in.RegionID:
			p.add("parent_id", strconv.FormatInt(in.ParentID, 10), "the parent ASL is in another region")
		}
	}
	in.StructureType = strings.TrimSpace(in.StructureType)
	if in.StructureType != "" && structureTypes[in.StructureType] == "" {
		p.add("structure_type", in.StructureType, "unknown structure type")
	}
	in.ComuneISTAT = strings.TrimSpace(in.ComuneISTAT)
	if in.ComuneISTAT != "" {
		var n int
		if err := s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM comuni WHERE istat_code = $1`, in.ComuneISTAT).Scan(&n); err != nil {
			return in, err
		}
		if n == 0 {
			p.add("comune_istat", in.ComuneISTAT, "unknown ISTAT comune code")
		}
	}
	for _, d := range []struct {
		field string
		v     *string
	}{{"valid_from", &in.ValidFrom}, {"valid_to", &in.ValidTo}} {
		*d.v = strings.TrimSpace(*d.v)
		if *d.v != "" {
			if _, err := time.Parse("2006-01-02", *d.v); err != nil {
				p.add(d.field, *d.v, "not a date (YYYY-MM-DD)")
			}
		}
	}
	if in.ValidFrom != "" && in.ValidTo != "" && in.ValidTo < in.ValidFrom {
		p.add("valid_to", in.ValidTo, "ends before it starts")
	}
	return in, p.err()
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// OrganisationChoices lists the health organisations (not the providers) a picker offers:
// those of regionID, or of every region when it is 0, ordered by name. The registers are
// public, so any logged-in user may list them; the caller narrows to the viewer's region.
func (s *Service) OrganisationChoices(ctx context.Context, regionID int64) ([]Organisation, error) {
	if _, err := needLogin(ctx); err != nil {
		return nil, err
	}
	q := orgSelect + ` WHERE o.kind <> 'provider'`
	var args []any
	if regionID != 0 {
		q += ` AND o.region_id = $1`
		args = append(args, regionID)
	}
	rows, err := s.DB.Read.QueryContext(ctx, q+` ORDER BY o.search_name, o.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
