package participation

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"

	"esd/internal/domain"
	"esd/internal/rapporto"
)

// tipoForm is the rapporto evento's tipo_form of an event type (the Agenas search's codes).
var tipoForm = map[string]int{"FAD": 1, "FSC": 2, "RES": 3, "BLENDED": 4}

// ExportReport writes the rapporto evento XML of an edition from ESD's records: every
// completed participation with its role and credits (the event's provider and national
// governance). The file validates against the Co.Ge.A.P.S. schema 1.16; names are
// transliterated as the format requires.
func (s *Service) ExportReport(ctx context.Context, editionID int64, w io.Writer) (string, error) {
	rep, name, err := s.ReportOf(ctx, editionID)
	if err != nil {
		return "", err
	}
	return name, rapporto.WriteXML(w, rep)
}

// ReportOf builds the report of an edition, with the file name to give it.
func (s *Service) ReportOf(ctx context.Context, editionID int64) (rapporto.Report, string, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return rapporto.Report{}, "", err
	}
	ed, err := s.edition(ctx, editionID)
	if err != nil {
		return rapporto.Report{}, "", err
	}
	if !ed.canManage(a) {
		return rapporto.Report{}, "", domain.NotFound("edition")
	}
	var modRES, modFAD, modFSC bool
	if err := s.DB.Read.QueryRowContext(ctx, `SELECT module_res, module_fad, module_fsc FROM events WHERE id = $1`, ed.EventID).Scan(&modRES, &modFAD, &modFSC); err != nil {
		return rapporto.Report{}, "", err
	}
	ev := &rapporto.Event{Code: ed.EventCode, Edition: ed.Number, ProviderCode: ed.ProviderCode, AccreditorCode: s.Config.AccreditorCode,
		Start: ed.Start, End: ed.End, Credits: math.Min(50, round1(ed.Credits)), Hours: int(math.Floor(ed.Hours)), Type: tipoForm[ed.Type],
		ModuleRES: modRES, ModuleFAD: modFAD, ModuleFSC: modFSC, Audience: "E", // open to all (P: employees only, which ESD does not record)
		Objective: ed.ObjectiveID, Participants: ed.Capacity, Subtype: ed.SubType}
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT p.cf, p.given_name, p.family_name, pa.role, pa.employment, p.employment, pa.recruited, pa.sponsor,
		pa.credits, pa.completed_on, pa.professions,
		COALESCE((SELECT `+pairsAgg(s.DB.IsPostgres())+` FROM professional_disciplines d WHERE d.professional_id = p.id), '')
		FROM participations pa JOIN professionals p ON p.id = pa.professional_id
		WHERE pa.edition_id = $1 AND pa.state = 'completed' AND pa.credits > 0 ORDER BY p.family_name, p.given_name, p.cf`, ed.ID)
	if err != nil {
		return rapporto.Report{}, "", err
	}
	defer rows.Close()
	rep := rapporto.Report{Format: "xml", Event: ev}
	for rows.Next() {
		var pt rapporto.Participant
		var emp, regEmp, reported, registered string
		if err := rows.Scan(&pt.CF, &pt.GivenName, &pt.FamilyName, &pt.Role, &emp, &regEmp, &pt.Recruited, &pt.Sponsor, &pt.Credits, &pt.AcquiredOn,
			&reported, &registered); err != nil {
			return rapporto.Report{}, "", err
		}
		if emp == "" {
			emp = libDip(regEmp)
		}
		if emp == "" {
			emp = "L"
		}
		pt.Employment = emp
		pairs := parsePairs(reported)
		if len(pairs) == 0 {
			pairs = parsePairs(registered)
		}
		pt.Professions = groupPairs(pairs)
		rep.Participants = append(rep.Participants, pt)
	}
	if err := rows.Err(); err != nil {
		return rapporto.Report{}, "", err
	}
	name := fmt.Sprintf("rapporto_%s_%s_%d.xml", safeName(ed.ProviderCode), safeName(ed.EventCode), ed.Number)
	return rep, name, nil
}

// groupPairs turns (profession, discipline) pairs into professions with their disciplines;
// a pair with no discipline gives the profession alone.
func groupPairs(pairs [][2]int) []rapporto.Profession {
	var out []rapporto.Profession
	for _, p := range pairs {
		if len(out) == 0 || out[len(out)-1].Code != p[0] {
			out = append(out, rapporto.Profession{Code: p[0]})
		}
		if p[1] != 0 {
			last := &out[len(out)-1]
			last.Disciplines = append(last.Disciplines, p[1])
		}
	}
	return out
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
