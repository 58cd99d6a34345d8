package registry

import (
	"context"
	"database/sql"
	"sort"
	"strconv"
	"strings"
	"sync"

	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/jobs"
	"esd/internal/textnorm"
)

// Service is the registry: reference data, organisations and professionals.
type Service struct {
	DB   *db.DB
	Jobs *jobs.Runner // for imports run in the background; may be nil in tests
	// OnMoved is called inside the write transaction with the professionals whose region,
	// organisation or professions an update or an import changed, so that figures stored
	// per professional with those keys (the credit balances) move with them.
	OnMoved []func(ctx context.Context, tx *sql.Tx, ids []int64) error

	mu  sync.Mutex
	ref *refCache
}

// moved runs the OnMoved hooks for ids (none: nothing to do).
func (s *Service) moved(ctx context.Context, tx *sql.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	for _, f := range s.OnMoved {
		if err := f(ctx, tx, ids); err != nil {
			return err
		}
	}
	return nil
}

// New returns a registry service over d.
func New(d *db.DB, j *jobs.Runner) *Service { return &Service{DB: d, Jobs: j} }

// refCache holds the reference tables in memory: they change only when LoadReference runs,
// and validation (one import validates a million rows) must not query them row by row.
type refCache struct {
	regions     []Region
	regionByID  map[int64]*Region
	regionByKey map[string]int64 // folded name, alias, ISO code, Ministry code (with and without zeros)
	professions []Profession
	profByCode  map[int]*Profession
	profByName  map[string]int // folded name → code
	discByCode  map[int]Discipline
	comuni      map[string]string // Belfiore code → name
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.ref = nil
	s.mu.Unlock()
}

// cache returns the reference cache, loading it on first use.
func (s *Service) cache(ctx context.Context) (*refCache, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ref != nil {
		return s.ref, nil
	}
	c := &refCache{regionByID: map[int64]*Region{}, regionByKey: map[string]int64{}, profByCode: map[int]*Profession{},
		profByName: map[string]int{}, discByCode: map[int]Discipline{}, comuni: map[string]string{}}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, istat_code, minsal_code, iso_code, name FROM regions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r Region
		if err := rows.Scan(&r.ID, &r.ISTATCode, &r.MinSalCode, &r.ISOCode, &r.Name); err != nil {
			rows.Close()
			return nil, err
		}
		c.regions = append(c.regions, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	aliases := regionAliases()
	for i := range c.regions {
		r := &c.regions[i]
		c.regionByID[r.ID] = r
		for _, k := range append([]string{r.Name, r.ISOCode, r.MinSalCode, strconv.FormatInt(r.ID, 10)}, aliases[r.ID]...) {
			c.regionByKey[regionKey(k)] = r.ID
		}
	}
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT code, name FROM professions ORDER BY code`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p Profession
		if err := rows.Scan(&p.Code, &p.Name); err != nil {
			rows.Close()
			return nil, err
		}
		c.professions = append(c.professions, p)
	}
	rows.Close()
	for i := range c.professions {
		p := &c.professions[i]
		c.profByCode[p.Code] = p
		c.profByName[fold(p.Name)] = p.Code
	}
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT code, profession_code, name FROM disciplines ORDER BY profession_code, name`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var d Discipline
		if err := rows.Scan(&d.Code, &d.ProfessionCode, &d.Name); err != nil {
			rows.Close()
			return nil, err
		}
		c.discByCode[d.Code] = d
		if p := c.profByCode[d.ProfessionCode]; p != nil {
			p.Disciplines = append(p.Disciplines, d)
		}
	}
	rows.Close()
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT belfiore_code, name FROM comuni`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var b, n string
		if err := rows.Scan(&b, &n); err != nil {
			rows.Close()
			return nil, err
		}
		c.comuni[b] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(c.regions) > 0 {
		s.ref = c // an empty cache (reference not loaded yet) is not kept
	}
	return c, nil
}

// regionKey folds a region name or code for lookup: "Valle d'Aosta" → "valledaosta",
// "090" → "90".
func regionKey(s string) string {
	k := strings.ReplaceAll(fold(s), " ", "")
	if t := strings.TrimLeft(k, "0"); t != "" && strings.Trim(k, "0123456789") == "" {
		return t
	}
	return k
}

// regionAliases reads the alias column of the embedded regions file.
func regionAliases() map[int64][]string {
	out := map[int64][]string{}
	b, err := referenceFS.ReadFile("reference/regioni.csv")
	if err != nil {
		return out
	}
	recs, err := readCSV(b)
	if err != nil {
		return out
	}
	for _, r := range recs {
		id, _ := strconv.ParseInt(r["id"], 10, 64)
		if r["alias"] != "" {
			out[id] = strings.Split(r["alias"], "|")
		}
	}
	return out
}

// needLogin refuses anonymous callers; reference data and organisations are visible to every
// authenticated user.
func needLogin(ctx context.Context) (domain.Actor, error) {
	a := domain.ActorFrom(ctx)
	if !a.Authenticated() {
		return a, &domain.Error{Code: domain.EUNAUTHORIZED, Message: "login required"}
	}
	return a, nil
}

// Regions lists the 21 Regions and autonomous provinces.
func (s *Service) Regions(ctx context.Context) ([]Region, error) {
	if _, err := needLogin(ctx); err != nil {
		return nil, err
	}
	c, err := s.cache(ctx)
	if err != nil {
		return nil, err
	}
	return append([]Region(nil), c.regions...), nil
}

// Region returns one region.
func (s *Service) Region(ctx context.Context, id int64) (Region, error) {
	if _, err := needLogin(ctx); err != nil {
		return Region{}, err
	}
	c, err := s.cache(ctx)
	if err != nil {
		return Region{}, err
	}
	r, ok := c.regionByID[id]
	if !ok {
		return Region{}, domain.NotFound("region")
	}
	return *r, nil
}

// Professions lists the ECM professions with their disciplines.
func (s *Service) Professions(ctx context.Context) ([]Profession, error) {
	if _, err := needLogin(ctx); err != nil {
		return nil, err
	}
	c, err := s.cache(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Profession, len(c.professions))
	for i, p := range c.professions {
		p.Disciplines = append([]Discipline(nil), p.Disciplines...)
		out[i] = p
	}
	return out, nil
}

// Objectives lists the national ECM objectives of a list version (0 = every version).
func (s *Service) Objectives(ctx context.Context, version int) ([]Objective, error) {
	if _, err := needLogin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT list_version, code, category, name FROM ecm_objectives
		WHERE national = TRUE AND ($1 = 0 OR list_version = $1) ORDER BY list_version, code`, version)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Objective
	for rows.Next() {
		var o Objective
		if err := rows.Scan(&o.ListVersion, &o.Code, &o.Category, &o.Name); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Comuni lists the comuni of a region (by the ISTAT region name, e.g. "Toscana"), sorted by
// ISTAT code; used by the demo world and the synthetic dataset for real birthplaces.
func (s *Service) Comuni(ctx context.Context, regionName string) ([]Comune, error) {
	if _, err := needLogin(ctx); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT istat_code, belfiore_code, name, province, region_name FROM comuni
		WHERE ($1 = '' OR region_name = $1) ORDER BY istat_code`, regionName)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Comune
	for rows.Next() {
		var c Comune
		if err := rows.Scan(&c.ISTATCode, &c.BelfioreCode, &c.Name, &c.Province, &c.RegionName); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// KnownComune reports whether a Belfiore code is a comune of the reference list.
func (s *Service) KnownComune(ctx context.Context, belfiore string) (bool, error) {
	c, err := s.cache(ctx)
	if err != nil {
		return false, err
	}
	_, ok := c.comuni[belfiore]
	return ok, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fold is textnorm.Fold with a fast path for ASCII text, which most codes and header names
// are: an import folds several values per row, and the general path allocates.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return textnorm.Fold(s)
		}
	}
	b := make([]byte, 0, len(s))
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
			space = false
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b = append(b, c)
			space = false
		case !space:
			b = append(b, ' ')
			space = true
		}
	}
	if len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}
