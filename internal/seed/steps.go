package seed

import (
	"context"
	"fmt"
	"hash/fnv"

	"esd/internal/auth"
	"esd/internal/domain"
)

// Encoder computes the codice fiscale of a generated professional (the registry's cf
// package).
type Encoder func(p *Professional) (string, error)

// ProfessionalWriter stores one batch of professionals through the registry's bulk service,
// in order.
type ProfessionalWriter func(ctx context.Context, w *World, rows []Professional) error

// maxCFAttempts bounds the redraws of one row whose codice fiscale clashes with an earlier
// row's.
const maxCFAttempts = 50

// ProfessionalsStep generates the professionals of the dataset in row order, gives each a
// codice fiscale no earlier row has (redrawing the birth date on a clash, see
// Generator.Redraw), and writes them in batches. Generation runs in its own goroutine, one
// batch ahead of the writer, so the two cores share the work.
func ProfessionalsStep(encode Encoder, write ProfessionalWriter, batch int) Step {
	if batch <= 0 {
		batch = 5000
	}
	return Step{
		Name:  "professionals",
		Total: func(w *World) int64 { return int64(w.Size.Professionals) },
		Run: func(ctx context.Context, w *World, p *Progress) (int64, error) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			batches := make(chan []Professional, 2)
			errc := make(chan error, 1)
			go func() {
				defer close(batches)
				errc <- generate(ctx, w, encode, batch, batches)
			}()
			var n int64
			for b := range batches {
				if err := write(ctx, w, b); err != nil {
					cancel()
					for range batches {
					}
					<-errc
					return n, err
				}
				n += int64(len(b))
				p.Add(int64(len(b)))
			}
			if err := <-errc; err != nil {
				return n, err
			}
			return n, nil
		},
	}
}

func generate(ctx context.Context, w *World, encode Encoder, batch int, out chan<- []Professional) error {
	seen := make(map[uint64]struct{}, w.Size.Professionals)
	key := func(cf string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(cf))
		return h.Sum64()
	}
	buf := make([]Professional, 0, batch)
	for i := 0; i < w.Size.Professionals; i++ {
		p := w.Gen.Professional(i)
		for attempt := 1; ; attempt++ {
			cf, err := encode(&p)
			if err != nil {
				return fmt.Errorf("row %d: codice fiscale: %w", i, err)
			}
			k := key(cf)
			if _, clash := seen[k]; !clash {
				seen[k] = struct{}{}
				p.CF = cf
				break
			}
			if attempt >= maxCFAttempts {
				return fmt.Errorf("row %d: no free codice fiscale after %d attempts", i, attempt)
			}
			w.Gen.Redraw(&p, attempt)
		}
		buf = append(buf, p)
		if len(buf) == batch || i == w.Size.Professionals-1 {
			select {
			case out <- buf:
			case <-ctx.Done():
				return ctx.Err()
			}
			buf = make([]Professional, 0, batch)
		}
	}
	return nil
}

// Accounts of the seeded world, one per role, with the password SeedPassword gives.
const (
	UserNational     = "seed.nazionale"
	UserRegional     = "seed.regione"
	UserOrganisation = "seed.azienda"
	UserProfessional = "seed.professionista"
	UserAnalyst      = "seed.analista"
)

// SeedPassword is the password of the seeded accounts: synthetic data, known to the
// benchmark so it can log in. Never seed a database that real people use.
func SeedPassword(seed int64) string { return fmt.Sprintf("seed-%d-password", seed) }

// SeedLogin is one seeded account.
type SeedLogin struct {
	Role     domain.Role
	Username string
}

// SeedLogins lists the seeded accounts by role.
var SeedLogins = []SeedLogin{
	{domain.RoleNational, UserNational},
	{domain.RoleRegional, UserRegional},
	{domain.RoleOrganisation, UserOrganisation},
	{domain.RoleProfessional, UserProfessional},
	{domain.RoleAnalyst, UserAnalyst},
}

// AccountsStep creates one account per role for the benchmark and for people exploring the
// dataset: the regional referent of the most populous region (Lombardia), the training
// office of the organisation of the first professional generated there, and that
// professional.
func AccountsStep(a *auth.Service) Step {
	return Step{
		Name:  "accounts",
		Total: func(*World) int64 { return int64(len(SeedLogins)) },
		Run: func(ctx context.Context, w *World, p *Progress) (int64, error) {
			ids, err := w.Professionals(ctx)
			if err != nil {
				return 0, err
			}
			var who Professional
			found := false
			for i := 0; i < len(ids) && i < w.Size.Professionals; i++ {
				if q := w.Gen.Professional(i); q.RegionCode == "030" && q.OrganisationID != 0 {
					who, found = q, true
					break
				}
			}
			if !found {
				return 0, fmt.Errorf("no professional with an organisation in Lombardia to attach the accounts to")
			}
			pw := SeedPassword(w.Seed)
			var n int64
			for _, l := range SeedLogins {
				u := auth.NewUser{Username: l.Username, Password: pw, Role: l.Role, DisplayName: "Utenza seed (" + string(l.Role) + ")"}
				switch l.Role {
				case domain.RoleRegional:
					u.RegionID = who.RegionID
				case domain.RoleOrganisation:
					u.OrganisationID = who.OrganisationID
				case domain.RoleProfessional:
					u.ProfessionalID = ids[who.Index]
					u.DisplayName = who.GivenName + " " + who.FamilyName
				}
				if _, err := a.CreateUser(ctx, u); err != nil {
					if domain.ErrorCode(err) == domain.EINVALID && exists(ctx, w, l.Username) {
						continue // an interrupted earlier run created it
					}
					return n, fmt.Errorf("account %s: %w", l.Username, err)
				}
				n++
				p.Add(1)
			}
			return n, nil
		},
	}
}

func exists(ctx context.Context, w *World, username string) bool {
	var n int
	_ = w.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = $1`, username).Scan(&n)
	return n > 0
}
