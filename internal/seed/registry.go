package seed

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"esd/internal/cf"
	"esd/internal/registry"
)

// EncodeCF computes a generated professional's codice fiscale with the registry's encoder.
func EncodeCF(p *Professional) (string, error) {
	return cf.Encode(p.FamilyName, p.GivenName, p.BirthDate, p.Sex, p.BirthplaceCode)
}

// RegistryWriter writes professionals through the registry's import of professionals: the
// same service, validation (codice fiscale, birthplace, profession/discipline pairs,
// organisation in the region…) and audit trail as an HR office's CSV upload, one
// all-or-nothing import per batch.
func RegistryWriter(reg *registry.Service) ProfessionalWriter {
	return func(ctx context.Context, w *World, rows []Professional) error {
		orgs := make(map[int64]Org, len(w.Ref.Orgs))
		for _, o := range w.Ref.Orgs {
			orgs[o.ID] = o
		}
		var buf bytes.Buffer
		buf.Grow(len(rows) * 160)
		buf.WriteString("codice_fiscale;cognome;nome;email;professione;disciplina;regione;azienda;rapporto;setting;ruolo\n")
		for _, p := range rows {
			org := ""
			if p.OrganisationID != 0 {
				o, ok := orgs[p.OrganisationID]
				if !ok {
					return fmt.Errorf("row %d: unknown organisation %d", p.Index, p.OrganisationID)
				}
				org = o.Kind + ":" + o.Code
			}
			for i, v := range []string{p.CF, p.FamilyName, p.GivenName, p.Email, strconv.Itoa(p.ProfessionCode),
				strconv.Itoa(p.DisciplineCode), p.RegionCode, org, p.Employment, p.CareSetting, p.JobRole} {
				if i > 0 {
					buf.WriteByte(';')
				}
				buf.WriteString(v)
			}
			buf.WriteByte('\n')
		}
		res, err := reg.ImportProfessionals(ctx, &buf, registry.ImportOptions{})
		if err != nil {
			return err
		}
		if n := res.Created + res.Updated + res.Unchanged; n != len(rows) {
			return fmt.Errorf("the registry imported %d of %d rows", n, len(rows))
		}
		return nil
	}
}
