package participation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"esd/internal/audit"
	"esd/internal/catalogue"
	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/rapporto"
	"esd/internal/textnorm"
)

// MaxReportBytes is the largest report accepted (a national congress of 10,000 participants
// is about 3 MB of XML; 64 MB leaves room for the largest FAD courses).
const MaxReportBytes = 64 << 20

// EventCreator creates an event the catalogue does not know from a report's own fields
// (the catalogue service, wired in the app) inside the report's transaction, returning its
// id: a report and the event it brings are written together or not at all.
type EventCreator interface {
	CreateFromReport(ctx context.Context, tx *sql.Tx, in catalogue.EventInput) (int64, error)
}

// ImportInput is one participation report to import.
type ImportInput struct {
	// Name is the file name, for messages.
	Name string
	Body io.Reader
	// EditionID is required for a CSV report (it has no event) and, for XML, must agree with
	// the report's event when given.
	EditionID int64
	// DryRun validates and computes the difference without writing.
	DryRun bool
	// Lang words the format problems: "it" (default) or "en".
	Lang string
}

// DiffLine is one participant the report adds, changes or removes.
type DiffLine struct {
	Change     string  `json:"change"` // added, changed, removed
	CF         string  `json:"codice_fiscale"`
	Name       string  `json:"name"`
	Role       string  `json:"role"`
	Credits    float64 `json:"credits"`
	OldRole    string  `json:"old_role,omitempty"`
	OldCredits float64 `json:"old_credits,omitempty"`
}

// ImportResult says what a report did.
type ImportResult struct {
	ReportID             int64      `json:"report_id,omitempty"`
	EventID              int64      `json:"event_id"`
	EditionID            int64      `json:"edition_id"`
	EventCode            string     `json:"event_code"`
	Edition              int        `json:"edition"`
	Format               string     `json:"format"`
	Participants         int        `json:"participants"`
	Added                int        `json:"added"`
	Changed              int        `json:"changed"`
	Unchanged            int        `json:"unchanged"`
	Removed              int        `json:"removed"`
	CreatedProfessionals int        `json:"created_professionals"`
	CreatedEvent         bool       `json:"created_event"`
	AlreadyImported      bool       `json:"already_imported"`
	Replaced             int64      `json:"replaced_report_id,omitempty"`
	Credits              float64    `json:"credits"`
	LinesMoved           int        `json:"lines_moved"`
	DryRun               bool       `json:"dry_run,omitempty"`
	Diff                 []DiffLine `json:"diff,omitempty"`
}

// ImportReport imports a rapporto evento (XML, or the providers' CSV for a given edition): the
// event's provider or national governance. Everything is checked first (schema, codici
// fiscali, duplicates, credits against the event and the role, audience, dates, the provider);
// with any problem nothing is written and every problem is listed with its line. Importing the
// same file again changes nothing; a different report for the same edition replaces the
// earlier one, and the result lists the difference.
func (s *Service) ImportReport(ctx context.Context, in ImportInput) (ImportResult, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return ImportResult{}, err
	}
	body, err := io.ReadAll(io.LimitReader(in.Body, MaxReportBytes+1))
	if err != nil {
		return ImportResult{}, err
	}
	if len(body) > MaxReportBytes {
		return ImportResult{}, domain.Invalid("file", "%s is larger than %d MB", displayName(in.Name), MaxReportBytes>>20)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ImportResult{}, domain.Invalid("file", "%s is empty", displayName(in.Name))
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	rep, err := rapporto.Parser{Lang: in.Lang}.Parse(bytes.NewReader(body), displayName(in.Name))
	if err != nil {
		return ImportResult{}, err
	}
	return s.importParsed(ctx, a, rep, in, hash, true)
}

// importParsed checks and writes a parsed report. asReport false is a provider system's post
// of some participations: no report row, nobody withdrawn, credits pending until the report.
func (s *Service) importParsed(ctx context.Context, a domain.Actor, rep rapporto.Report, in ImportInput, hash string, asReport bool) (ImportResult, error) {
	var err error
	res := ImportResult{Format: rep.Format, Participants: len(rep.Participants), DryRun: in.DryRun}

	// The edition: named by the caller (CSV), or by the report's own event (XML).
	var ed edition
	var newEvent *catalogue.EventInput
	switch {
	case rep.Event == nil:
		if in.EditionID == 0 {
			return res, domain.Invalid("edition", "a CSV report has no event: choose the edition it reports (the edition page's upload, or --event CODE --edition N)")
		}
		if ed, err = s.edition(ctx, in.EditionID); err != nil {
			return res, err
		}
	default:
		ed, newEvent, err = s.reportEdition(ctx, a, rep.Event, in.EditionID)
		if err != nil {
			return res, err
		}
	}
	if !ed.canManage(a) {
		if a.Role == domain.RoleProvider {
			return res, domain.Forbidden("the report is for an event of provider %s, not yours", ed.ProviderCode)
		}
		return res, domain.NotFound("edition")
	}
	res.EventID, res.EditionID, res.EventCode, res.Edition, res.CreatedEvent = ed.EventID, ed.ID, ed.EventCode, ed.Number, newEvent != nil

	// Same file already the current report of the edition: nothing to do.
	if ed.ID != 0 && asReport {
		var id int64
		err := s.DB.Read.QueryRowContext(ctx, `SELECT id FROM participation_reports WHERE edition_id = $1 AND sha256 = $2 AND state = 'current'`, ed.ID, hash).Scan(&id)
		if err == nil {
			res.AlreadyImported, res.ReportID = true, id
			return res, nil
		}
		if err != sql.ErrNoRows {
			return res, err
		}
	}

	cs, people, pending, problems, err := s.checkParticipants(ctx, ed, rep)
	if err != nil {
		return res, err
	}
	if len(problems) > 0 {
		if len(problems) > 5000 {
			problems = problems[:5000]
		}
		return res, &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("%s: %d problems, nothing imported", displayName(in.Name), len(problems)), Details: problems}
	}
	res.CreatedProfessionals = len(pending)

	// Difference with what the edition holds.
	existing := map[int64]Participation{}
	if ed.ID != 0 {
		rows, err := s.DB.Read.QueryContext(ctx, participationSelect+` WHERE pa.edition_id = $1`, ed.ID)
		if err != nil {
			return res, err
		}
		xs, err := scanParticipations(rows)
		if err != nil {
			return res, err
		}
		for _, x := range xs {
			existing[x.ProfessionalID] = x.Participation
		}
	}
	inReport := map[int64]bool{}
	var pendingDiff []DiffLine
	for i, c := range cs {
		res.Credits += c.Credits
		if c.ProfessionalID == 0 {
			pendingDiff = append(pendingDiff, DiffLine{Change: "added", CF: pending[i].CF, Name: pending[i].FamilyName + " " + pending[i].GivenName, Role: c.Role, Credits: c.Credits})
			res.Added++
			continue
		}
		inReport[c.ProfessionalID] = true
		p := people[c.ProfessionalID]
		old, ok := existing[c.ProfessionalID]
		switch {
		case !ok || old.State != StateCompleted && old.State != StateFailed:
			res.Added++
			res.Diff = append(res.Diff, DiffLine{Change: "added", CF: p.CF, Name: p.FamilyName + " " + p.GivenName, Role: c.Role, Credits: c.Credits})
		case old.Role != c.Role || old.Credits != round1(c.Credits) || old.CompletedOn != c.CompletedOn || old.State != c.State:
			res.Changed++
			res.Diff = append(res.Diff, DiffLine{Change: "changed", CF: p.CF, Name: p.FamilyName + " " + p.GivenName, Role: c.Role, Credits: c.Credits, OldRole: old.Role, OldCredits: old.Credits})
		default:
			res.Unchanged++
		}
	}
	var removed []Participation
	for prof, old := range existing {
		if asReport && !inReport[prof] && old.Source == SourceReport && old.State != StateWithdrawn {
			removed = append(removed, old)
		}
	}
	sort.Slice(removed, func(i, j int) bool { return removed[i].ID < removed[j].ID })
	for _, old := range removed {
		res.Removed++
		res.Diff = append(res.Diff, DiffLine{Change: "removed", CF: old.CF, Name: old.FamilyName + " " + old.GivenName, Role: old.Role, OldCredits: old.Credits})
	}
	res.Diff = append(res.Diff, pendingDiff...)
	res.Credits = round1(res.Credits)
	if in.DryRun {
		return res, nil
	}

	if newEvent != nil && s.Events == nil {
		return res, domain.Invalid("event", "event %s is not in the catalogue and this installation does not create events from reports", ed.EventCode)
	}
	diffJSON, _ := json.Marshal(map[string]any{"added": res.Added, "changed": res.Changed, "removed": res.Removed, "unchanged": res.Unchanged, "lines": capDiff(res.Diff, 200)})
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if newEvent != nil {
			id, err := s.Events.CreateFromReport(domain.WithActor(ctx, domain.SystemActor), tx, *newEvent)
			if err != nil {
				return fmt.Errorf("creating event %s from the report: %w", newEvent.Code, err)
			}
			if ed, err = s.loadEdition(ctx, tx, `e.id = $1 AND ed.number = $2`, id, newEvent.Editions[0].Number); err != nil {
				return err
			}
			res.EventID, res.EditionID = ed.EventID, ed.ID
		}
		// Pending professionals first: the participations refer to them.
		for i := range cs {
			if cs[i].ProfessionalID != 0 {
				continue
			}
			p := pending[i]
			id, err := s.createPending(ctx, tx, p, ed)
			if err != nil {
				return err
			}
			p.ID = id
			cs[i].ProfessionalID = id
			people[id] = p
		}
		source, certified := SourceAPI, false
		var prev, repID int64
		if asReport {
			source, certified = SourceReport, true
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM participation_reports WHERE edition_id = $1 AND state = 'current'`, ed.ID).Scan(&prev); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `INSERT INTO participation_reports (event_id, edition_id, provider_id, format, file_name, sha256, participants,
			created_professionals, created_event, state, diff_json, imported_by, imported_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'current',$10,$11,$12) RETURNING id`,
				ed.EventID, ed.ID, ed.ProviderID, rep.Format, displayName(in.Name), hash, len(cs), len(pending), newEvent != nil, string(diffJSON), a.Username, s.now()).Scan(&repID); err != nil {
				return err
			}
			res.ReportID = repID
			if prev != 0 {
				res.Replaced = prev
				if _, err := tx.ExecContext(ctx, `UPDATE participation_reports SET state = 'superseded', superseded_by = $1 WHERE edition_id = $2 AND state = 'current' AND id <> $1`, repID, ed.ID); err != nil {
					return err
				}
			}
		}
		done, err := s.apply(ctx, tx, ed, people, cs, source, res.ReportID, certified)
		if err != nil {
			return err
		}
		for _, d := range done {
			res.LinesMoved += len(d.Moves)
		}
		if len(removed) > 0 {
			if err := s.withdraw(ctx, tx, ed, removed); err != nil {
				return err
			}
		}
		entity, id := "participation_report", any(repID)
		if !asReport {
			entity, id = "participation", "edition:"+strconv.FormatInt(ed.ID, 10)
		}
		return audit.Record(ctx, tx, audit.Change{Action: "import", Entity: entity, EntityID: id, RegionID: ed.RegionID,
			Before: map[string]any{"report_id": prev},
			After: map[string]any{"event": ed.EventCode, "edition": ed.Number, "provider": ed.ProviderCode, "file": displayName(in.Name), "sha256": hash,
				"participants": len(cs), "added": res.Added, "changed": res.Changed, "removed": res.Removed, "unchanged": res.Unchanged,
				"created_professionals": len(pending), "created_event": newEvent != nil}})
	})
	if err != nil {
		return res, err
	}
	return res, nil
}

func capDiff(d []DiffLine, n int) []DiffLine {
	if len(d) > n {
		return d[:n]
	}
	return d
}

func displayName(name string) string {
	if name == "" {
		return "the report"
	}
	return name
}

// reportEdition finds the edition a report's event names, or describes the event to create.
func (s *Service) reportEdition(ctx context.Context, a domain.Actor, ev *rapporto.Event, editionID int64) (edition, *catalogue.EventInput, error) {
	var provID, regionID int64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, COALESCE(region_id, 0) FROM organisations WHERE kind = 'provider' AND code = $1`, ev.ProviderCode).Scan(&provID, &regionID)
	if err == sql.ErrNoRows {
		return edition{}, nil, &domain.Error{Code: domain.EINVALID, Field: "cod_org", Message: fmt.Sprintf("provider %q is not registered", ev.ProviderCode),
			Details: []domain.Problem{{Line: ev.Line, Field: "cod_org", Reason: "unknown provider", Value: ev.ProviderCode}}}
	}
	if err != nil {
		return edition{}, nil, err
	}
	if a.Role == domain.RoleProvider && a.OrganisationID != provID {
		return edition{}, nil, domain.Forbidden("the report is for an event of provider %s, not yours", ev.ProviderCode)
	}
	number := ev.Edition
	if number == 0 {
		number = 1
	}
	ed, err := s.loadEdition(ctx, s.DB.Read, `e.provider_id = $1 AND e.code = $2 AND ed.number = $3`, provID, ev.Code, number)
	if err == nil {
		if editionID != 0 && editionID != ed.ID {
			return ed, nil, domain.Invalid("cod_evento", "the report is for event %s edition %d, not for the edition it was uploaded to", ev.Code, number)
		}
		return ed, nil, nil
	}
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		return ed, nil, err
	}
	var exists int
	_ = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE provider_id = $1 AND code = $2`, provID, ev.Code).Scan(&exists)
	if exists > 0 {
		return ed, nil, &domain.Error{Code: domain.EINVALID, Field: "cod_edi", Message: fmt.Sprintf("event %s has no edition %d", ev.Code, number),
			Details: []domain.Problem{{Line: ev.Line, Field: "cod_edi", Reason: "the event has no such edition", Value: strconv.Itoa(number)}}}
	}
	if s.Config.UnknownEvent == "refuse" {
		return ed, nil, &domain.Error{Code: domain.EINVALID, Field: "cod_evento", Message: fmt.Sprintf("event %s of provider %s is not in the catalogue", ev.Code, ev.ProviderCode),
			Details: []domain.Problem{{Line: ev.Line, Field: "cod_evento", Reason: "the event is not in the catalogue (this installation refuses reports of unknown events)", Value: ev.Code}}}
	}
	typ := map[int]string{1: "FAD", 2: "FSC", 3: "RES", 4: "BLENDED"}[ev.Type]
	in := catalogue.EventInput{ProviderID: provID, Code: ev.Code, Title: fmt.Sprintf("Evento %s (dal rapporto evento)", ev.Code),
		Description: "Evento creato dal rapporto evento del provider: il catalogo non lo conteneva.", Type: typ, SubType: ev.Subtype,
		Hours: float64(ev.Hours), Participants: ev.Participants, ObjectiveCode: ev.Objective, AudienceAll: true, Credits: ev.Credits,
		Editions: []catalogue.Edition{{Number: number, StartDate: ev.Start, EndDate: ev.End, Online: typ == "FAD", RegionID: regionID}},
		State:    catalogue.StateClosed}
	// Validation of the participants runs against the report's own event.
	synthetic := edition{Number: number, Start: ev.Start, End: ev.End, RegionID: regionID, ProviderID: provID, ProviderCode: ev.ProviderCode,
		EventCode: ev.Code, Title: in.Title, Type: typ, SubType: ev.Subtype, Hours: float64(ev.Hours), Credits: ev.Credits, Capacity: ev.Participants,
		State: catalogue.StateClosed, ObjectiveID: ev.Objective, AudienceAll: true, Origin: "report"}
	return synthetic, &in, nil
}

// checkParticipants resolves and checks every participant; it returns the completions (with
// ProfessionalID 0 for a participant to create as pending, described in pending at the same
// index), the known professionals, and every problem.
func (s *Service) checkParticipants(ctx context.Context, ed edition, rep rapporto.Report) ([]Completion, map[int64]person, map[int]person, []domain.Problem, error) {
	var problems []domain.Problem
	add := func(line int, field, value, format string, args ...any) {
		problems = append(problems, domain.Problem{Line: line, Field: field, Reason: fmt.Sprintf(format, args...), Value: value})
	}
	codes := make([]string, len(rep.Participants))
	seen := map[string]int{}
	var keys []any
	for i, pt := range rep.Participants {
		n, err := cf.Normalise(pt.CF)
		if err != nil {
			add(pt.Line, "cod_fisc", pt.CF, "invalid codice fiscale: %v", err)
			continue
		}
		codes[i] = n
		if first, ok := seen[n]; ok {
			add(pt.Line, "cod_fisc", pt.CF, "the participant appears twice in the report (first at line %d)", first)
			continue
		}
		seen[n] = pt.Line
		keys = append(keys, n)
	}
	people := map[int64]person{}
	byCF := map[string]person{}
	for i := 0; i < len(keys); i += 500 {
		part := keys[i:min(i+500, len(keys))]
		ps, err := s.people(ctx, s.DB.Read, `p.cf IN (`+db.Placeholders(1, len(part))+`)`, part...)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		for _, p := range ps {
			people[p.ID] = p
			byCF[p.CF] = p
		}
	}
	known, err := s.disciplineSet(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	pending := map[int]person{}
	cs := make([]Completion, 0, len(rep.Participants))
	for i, pt := range rep.Participants {
		if codes[i] == "" {
			continue
		}
		role := strings.ToUpper(pt.Role)
		if !validRole(role) {
			add(pt.Line, "ruolo", pt.Role, "role must be P, D, T or R")
			continue
		}
		var pairs [][2]int
		for _, pr := range pt.Professions {
			if len(pr.Disciplines) == 0 {
				pairs = append(pairs, [2]int{pr.Code, 0})
			}
			for _, d := range pr.Disciplines {
				if !known[[2]int{pr.Code, d}] {
					add(pt.Line, "disciplina", fmt.Sprintf("%d.%d", pr.Code, d), "discipline %d is not a discipline of profession %d", d, pr.Code)
				}
				pairs = append(pairs, [2]int{pr.Code, d})
			}
		}
		p, ok := byCF[codes[i]]
		if !ok {
			if s.Config.UnknownProfessional == "refuse" {
				add(pt.Line, "cod_fisc", pt.CF, "the professional is not in the registry")
				continue
			}
			region := ed.RegionID
			if region == 0 {
				_ = s.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(region_id, 0) FROM organisations WHERE id = $1`, ed.ProviderID).Scan(&region)
			}
			if region == 0 {
				add(pt.Line, "cod_fisc", pt.CF, "the professional is not in the registry, and neither the edition nor the provider has a region to register them in")
				continue
			}
			if len(pairs) == 0 {
				add(pt.Line, "cod_prof", "", "a participant the registry does not know needs a profession and discipline")
				continue
			}
			p = person{CF: codes[i], GivenName: pt.GivenName, FamilyName: pt.FamilyName, RegionID: region, Employment: employmentOf(pt.Employment), Status: "pending", Pairs: pairs}
		}
		check := pairs
		if len(check) == 0 {
			check = p.Pairs
		}
		if !ed.inAudience(check) {
			add(pt.Line, "cod_prof", formatPairs(check), "the participant's profession and discipline are outside the event's audience")
		}
		if pt.Credits <= 0 || pt.Credits > 50 {
			add(pt.Line, "cred_acq", fmtCredits(pt.Credits), "credits must be more than 0 and at most 50")
		} else {
			if role == RoleParticipant && pt.Credits > ed.Credits+1e-9 {
				add(pt.Line, "cred_acq", fmtCredits(pt.Credits), "credits above the event's %s", fmtCredits(ed.Credits))
			}
			if max, why := s.RoleRule(RoleInput{Type: ed.Type, SubType: ed.SubType, Hours: ed.Hours, EventCredits: ed.Credits, Role: role}); pt.Credits > max+1e-9 {
				add(pt.Line, "cred_acq", fmtCredits(pt.Credits), "credits above what the rule gives the role %s: %s (%s)", roleWord(role), fmtCredits(max), why)
			}
		}
		if pt.AcquiredOn == "" {
			add(pt.Line, "data_acq", "", "the date the credits were earned is required")
		} else if pt.AcquiredOn < ed.Start || pt.AcquiredOn > ed.End {
			add(pt.Line, "data_acq", pt.AcquiredOn, "the date is outside the edition (%s to %s)", ed.Start, ed.End)
		}
		emp := strings.ToUpper(pt.Employment)
		c := Completion{ProfessionalID: p.ID, Role: role, State: StateCompleted, Credits: pt.Credits, CompletedOn: pt.AcquiredOn,
			Employment: emp, Recruited: pt.Recruited, Sponsor: pt.Sponsor, Professions: formatPairs(pairs)}
		if p.ID == 0 {
			pending[len(cs)] = p
		}
		cs = append(cs, c)
	}
	return cs, people, pending, problems, nil
}

func fmtCredits(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func employmentOf(libDip string) string {
	switch strings.ToUpper(libDip) {
	case "D":
		return "dipendente"
	case "C":
		return "convenzionato"
	}
	return "libero_professionista"
}

func (s *Service) disciplineSet(ctx context.Context) (map[[2]int]bool, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT profession_code, code FROM disciplines`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]int]bool{}
	for rows.Next() {
		var p, d int
		if err := rows.Scan(&p, &d); err != nil {
			return nil, err
		}
		out[[2]int{p, d}] = true
	}
	return out, rows.Err()
}

// createPending registers a participant the registry does not know, as pending: the region of
// the edition (or of the provider), care setting 'altro', the reported pairs. An HR import
// of the same codice fiscale later completes and activates the record.
func (s *Service) createPending(ctx context.Context, tx *sql.Tx, p person, ed edition) (int64, error) {
	now := s.now()
	code, _ := cf.Parse(p.CF)
	var birth any
	if !code.BirthDate.IsZero() {
		birth = code.BirthDate
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO professionals (cf, cf_display, given_name, family_name, search_name, birth_date, sex, birthplace_code, region_id,
		employment, care_setting, status, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'altro','pending',$11,$11) RETURNING id`,
		p.CF, p.CF, p.GivenName, p.FamilyName, textnorm.Fold(p.FamilyName+" "+p.GivenName), birth, code.Sex, code.Birthplace, p.RegionID, p.Employment, now).Scan(&id)
	if err != nil {
		return 0, db.MapError(err)
	}
	for _, pr := range p.Pairs {
		if pr[1] == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO professional_disciplines (professional_id, profession_code, discipline_code) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING`, id, pr[0], pr[1]); err != nil {
			return 0, db.MapError(err)
		}
	}
	return id, audit.Record(ctx, tx, audit.Change{Action: "create", Entity: "professional", EntityID: id, RegionID: p.RegionID,
		After: map[string]any{"cf": p.CF, "status": "pending", "source": "participation report", "event": ed.EventCode}})
}

// withdraw marks withdrawn the participations a corrected report dropped; their credits leave
// the ledger (the competence evidence stays: the ledger is append-only).
func (s *Service) withdraw(ctx context.Context, tx *sql.Tx, ed edition, xs []Participation) error {
	now := s.now()
	var posts []CreditPost
	for _, x := range xs {
		if _, err := tx.ExecContext(ctx, `UPDATE participations SET state = 'withdrawn', credits = 0, updated_at = $1 WHERE id = $2`, now, x.ID); err != nil {
			return err
		}
		posts = append(posts, CreditPost{ParticipationID: x.ID, ProfessionalID: x.ProfessionalID, EventID: ed.EventID, Role: x.Role, Credits: 0})
	}
	if s.Credits != nil {
		return s.Credits.PostParticipations(ctx, tx, posts)
	}
	return nil
}
