package catalogue

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"esd/internal/domain"
	"esd/internal/italian"
)

// prepared is a validated event input, ready to be written.
type prepared struct {
	in             EventInput
	providerID     int64
	providerRegion int64
	themeID        sql.NullInt64
	themeCode      string
	modules        []Module
	editions       []Edition
	audience       []Audience
	lines          []LineInput
	comp           Computation
	credits        float64
	costCents      int64
	firstStart     string
	lastEnd        string
	searchTitle    string
	searchBody     string
	state          string
	hash           string
}

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/\-]{0,19}$`)

const dateLayout = "2006-01-02"

// problems collects the complaints about one input.
type problems []domain.Problem

func (p *problems) add(field, value, format string, args ...any) {
	*p = append(*p, domain.Problem{Field: field, Reason: fmt.Sprintf(format, args...), Value: value})
}

// asError turns problems into one EINVALID error whose Field and Message are the first
// problem's (shown beside the field) and whose Details list them all.
func (p problems) asError() error {
	if len(p) == 0 {
		return nil
	}
	return &domain.Error{Code: domain.EINVALID, Field: p[0].Field, Message: p[0].Reason, Details: p}
}

// provider is the organisation an event belongs to.
type provider struct {
	ID       int64
	Code     string
	Name     string
	RegionID int64
}

func (s *Service) provider(ctx context.Context, id int64) (provider, error) {
	var p provider
	var reg sql.NullInt64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, code, name, region_id FROM organisations WHERE id = $1`, id).
		Scan(&p.ID, &p.Code, &p.Name, &reg)
	p.RegionID = reg.Int64
	if err == sql.ErrNoRows {
		return p, domain.NotFound("provider")
	}
	return p, err
}

// providerByCode finds a provider organisation by its code, preferring organisations whose
// kind names a provider when codes repeat across kinds.
func (s *Service) providerByCode(ctx context.Context, code string) (provider, error) {
	var p provider
	var reg sql.NullInt64
	err := s.DB.Read.QueryRowContext(ctx, `SELECT id, code, name, region_id FROM organisations WHERE code = $1
		ORDER BY CASE WHEN kind LIKE '%provider%' THEN 0 ELSE 1 END, id LIMIT 1`, code).Scan(&p.ID, &p.Code, &p.Name, &reg)
	p.RegionID = reg.Int64
	if err == sql.ErrNoRows {
		return p, domain.NotFound("provider " + code)
	}
	return p, err
}

// validate checks an input against the rules and the reference data. strict applies the
// checks of submission (declared credits within the rules); drafts may be saved without.
func (s *Service) validate(ctx context.Context, r *refs, in EventInput, prov provider, strict bool) (prepared, problems) {
	var ps problems
	p := prepared{in: in, providerID: prov.ID, providerRegion: prov.RegionID}
	in.Code = strings.TrimSpace(in.Code)
	in.Title = strings.TrimSpace(in.Title)
	in.Description = strings.TrimSpace(in.Description)
	p.in = in
	if !codePattern.MatchString(in.Code) {
		ps.add("code", in.Code, "il codice evento è obbligatorio: 1-20 caratteri tra lettere, cifre e . _ / -")
	}
	if in.Title == "" {
		ps.add("title", "", "il titolo è obbligatorio")
	} else if utf8.RuneCountInString(in.Title) > 500 {
		ps.add("title", "", "il titolo supera 500 caratteri")
	}
	if utf8.RuneCountInString(in.Description) > 20000 {
		ps.add("description", "", "la descrizione supera 20000 caratteri")
	}
	rs := CurrentRuleSet()
	var rule Rule
	haveRule := false
	switch in.Type {
	case TypeRES, TypeFAD, TypeFSC:
		st, ok := SubTypeByCode(in.SubType)
		if !ok || st.Type != in.Type {
			ps.add("subtype", fmt.Sprint(in.SubType), "sottotipo %d non valido per %s (cod_tipologia_form: %s)", in.SubType, in.Type, subTypeCodes(in.Type))
		} else {
			rule, haveRule = rs.Rule(in.Type, in.SubType)
		}
		if in.Type == TypeFAD {
			if in.FADMode == "" {
				in.FADMode = FADOnline
			}
			if !contains(FADModes, in.FADMode) {
				ps.add("fad_mode", in.FADMode, "modalità FAD sconosciuta (ammesse: %s)", strings.Join(FADModes, ", "))
			}
		} else {
			in.FADMode = ""
		}
		if len(in.Modules) > 0 {
			ps.add("modules", "", "i moduli valgono solo per gli eventi blended")
		}
	case TypeBlended:
		types := map[string]bool{}
		sum := 0.0
		for i, m := range in.Modules {
			f := fmt.Sprintf("modules.%d", i)
			st, ok := SubTypeByCode(m.SubType)
			if m.Type == TypeBlended || !ok || st.Type != m.Type {
				ps.add(f+".subtype", fmt.Sprint(m.SubType), "modulo %d: sottotipo %d non valido per %s", i+1, m.SubType, m.Type)
			}
			if m.Type == TypeFAD && m.FADMode == "" {
				in.Modules[i].FADMode = FADOnline
			}
			if m.Hours <= 0 {
				ps.add(f+".hours", fmt.Sprint(m.Hours), "modulo %d: le ore devono essere più di zero", i+1)
			}
			types[m.Type] = true
			sum += m.Hours
		}
		if len(types) < 2 {
			ps.add("modules", "", "un evento blended ha almeno due moduli di tipologie diverse (RES, FAD, FSC)")
		}
		if in.Hours == 0 {
			in.Hours = sum
		} else if math.Abs(in.Hours-sum) > 0.01 {
			ps.add("hours", fmt.Sprint(in.Hours), "le ore dell'evento (%s) non sono la somma delle ore dei moduli (%s)", num(in.Hours), num(sum))
		}
		if len(in.Modules) > 0 {
			in.SubType = in.Modules[0].SubType
			rule, haveRule = rs.Rule(in.Modules[0].Type, in.Modules[0].SubType)
		}
		in.FADMode = ""
	default:
		ps.add("type", in.Type, "tipologia sconosciuta (ammesse: RES, FAD, FSC, BLENDED)")
	}
	p.modules = in.Modules
	if in.Hours <= 0 || in.Hours > 999 {
		ps.add("hours", fmt.Sprint(in.Hours), "le ore devono essere tra 1 e 999")
	}
	if in.InteractiveHours < 0 || in.InteractiveHours > in.Hours {
		ps.add("interactive_hours", fmt.Sprint(in.InteractiveHours), "le ore interattive devono essere tra 0 e le ore dell'evento")
	}
	if in.Participants < 1 || in.Participants > 999999 {
		ps.add("participants", fmt.Sprint(in.Participants), "il numero massimo di partecipanti deve essere tra 1 e 999999")
	} else if haveRule && rule.MaxParticipants > 0 && in.Participants > rule.MaxParticipants && in.Type != TypeBlended {
		ps.add("participants", fmt.Sprint(in.Participants), "%s ammette al massimo %d partecipanti", subTypeName(in.SubType), rule.MaxParticipants)
	}
	if in.Type == TypeFSC && in.SubType == 8 && (in.ResearchMonths < 1 || in.ResearchMonths > 24) {
		ps.add("research_months", fmt.Sprint(in.ResearchMonths), "la durata della ricerca deve essere tra 1 e 24 mesi")
	}
	// National objective and theme.
	if len(r.objectives) == 0 {
		ps.add("objective", fmt.Sprint(in.ObjectiveCode), "gli obiettivi formativi nazionali non sono caricati")
	} else if _, ok := r.objectives[in.ObjectiveCode]; !ok {
		ps.add("objective", fmt.Sprint(in.ObjectiveCode), "obiettivo formativo nazionale sconosciuto: %d", in.ObjectiveCode)
	}
	// Audience.
	seen := map[[2]int]bool{}
	if in.AudienceAll && len(in.Audience) > 0 {
		ps.add("audience", "", "indica «tutte le professioni» oppure un elenco di professioni, non entrambi")
	}
	if !in.AudienceAll && len(in.Audience) == 0 {
		ps.add("audience", "", "indica le professioni e discipline destinatarie, oppure «tutte le professioni»")
	}
	for _, a := range in.Audience {
		if _, ok := r.professions[a.ProfessionCode]; !ok || a.ProfessionCode == 0 {
			ps.add("audience", fmt.Sprint(a.ProfessionCode), "codice professione sconosciuto: %d", a.ProfessionCode)
			continue
		}
		if a.DisciplineCode != 0 {
			d, ok := r.disciplines[a.DisciplineCode]
			if !ok {
				ps.add("audience", fmt.Sprintf("%d.%d", a.ProfessionCode, a.DisciplineCode), "codice disciplina sconosciuto: %d", a.DisciplineCode)
				continue
			}
			if d.profession != a.ProfessionCode {
				ps.add("audience", fmt.Sprintf("%d.%d", a.ProfessionCode, a.DisciplineCode), "la disciplina %d (%s) non appartiene alla professione %d", a.DisciplineCode, d.name, a.ProfessionCode)
				continue
			}
		}
		k := [2]int{a.ProfessionCode, a.DisciplineCode}
		if seen[k] {
			continue
		}
		seen[k] = true
		a.Profession = r.professions[a.ProfessionCode]
		if a.DisciplineCode != 0 {
			a.Discipline = r.disciplines[a.DisciplineCode].name
		}
		p.audience = append(p.audience, a)
	}
	if in.Cost < 0 || in.Cost > 1e6 {
		ps.add("cost", fmt.Sprint(in.Cost), "il costo deve essere tra 0 e 1.000.000 euro")
	}
	p.costCents = int64(math.Round(in.Cost * 100))
	// Editions: dates, place, and hours that fit the dates.
	if len(in.Editions) == 0 {
		ps.add("editions", "", "l'evento ha almeno un'edizione con le sue date")
	}
	numbers := map[int]bool{}
	for i, ed := range in.Editions {
		f := fmt.Sprintf("editions.%d.", i)
		if ed.Number == 0 {
			ed.Number = i + 1
		}
		if ed.Number < 1 || ed.Number > 999 || numbers[ed.Number] {
			ps.add(f+"number", fmt.Sprint(ed.Number), "numero di edizione non valido o ripetuto: %d", ed.Number)
		}
		numbers[ed.Number] = true
		start, err1 := time.Parse(dateLayout, strings.TrimSpace(ed.StartDate))
		end, err2 := time.Parse(dateLayout, strings.TrimSpace(ed.EndDate))
		if err1 != nil {
			ps.add(f+"start_date", ed.StartDate, "data di inizio non valida (formato AAAA-MM-GG)")
		}
		if err2 != nil {
			ps.add(f+"end_date", ed.EndDate, "data di fine non valida (formato AAAA-MM-GG)")
		}
		if err1 == nil && err2 == nil {
			ed.StartDate, ed.EndDate = start.Format(dateLayout), end.Format(dateLayout)
			if end.Before(start) {
				ps.add(f+"end_date", ed.EndDate, "la data di fine precede quella di inizio")
			} else if haveRule && in.Hours > 0 {
				days := int(end.Sub(start).Hours()/24) + 1
				perDay := maxHoursPerDay(in, rule)
				if in.Hours > float64(days)*perDay {
					ps.add("hours", fmt.Sprint(in.Hours), "le ore (%s) non stanno nelle date dell'edizione %d: %d giorni × %s ore al giorno al massimo = %s ore",
						num(in.Hours), ed.Number, days, num(perDay), num(float64(days)*perDay))
				}
			}
		}
		if in.Type == TypeFAD {
			ed.Online = true
		}
		needsPlace := !ed.Online && (in.Type == TypeRES || in.Type == TypeFSC || in.Type == TypeBlended)
		if ed.RegionID != 0 {
			if name, ok := r.regions[ed.RegionID]; ok {
				ed.Region = name
			} else {
				ps.add(f+"region_id", fmt.Sprint(ed.RegionID), "regione sconosciuta: %d", ed.RegionID)
			}
		} else if needsPlace {
			ps.add(f+"region_id", "", "la regione della sede è obbligatoria per un evento in presenza (oppure indica «online»)")
		}
		if ed.ComuneISTAT != "" {
			name, ok, err := s.comune(ctx, r, ed.ComuneISTAT)
			if err != nil {
				ps.add(f+"comune", ed.ComuneISTAT, "errore nel controllo del comune")
			} else if !ok {
				ps.add(f+"comune", ed.ComuneISTAT, "codice ISTAT del comune sconosciuto: %s", ed.ComuneISTAT)
			} else {
				ed.Comune = name
			}
		}
		ed.Venue = strings.TrimSpace(ed.Venue)
		p.editions = append(p.editions, ed)
		if ed.StartDate != "" && (p.firstStart == "" || ed.StartDate < p.firstStart) {
			p.firstStart = ed.StartDate
		}
		if ed.EndDate > p.lastEnd {
			p.lastEnd = ed.EndDate
		}
	}
	sort.Slice(p.editions, func(i, j int) bool { return p.editions[i].Number < p.editions[j].Number })
	if in.Theme != "" {
		t, ok := r.themes[in.Theme]
		switch {
		case !ok:
			ps.add("theme", in.Theme, "tematica di interesse sconosciuta: %s", in.Theme)
		case !containsInt(t.Objectives, in.ObjectiveCode):
			ps.add("theme", in.Theme, "la tematica «%s» ammette solo gli obiettivi %s, non %d", t.NameIT, joinInts(t.Objectives), in.ObjectiveCode)
		case p.firstStart != "" && (p.firstStart < t.ValidFrom || (t.ValidTo != "" && p.firstStart > t.ValidTo)):
			ps.add("theme", in.Theme, "la tematica «%s» vale per gli eventi dal %s al %s", t.NameIT, t.ValidFrom, orOpen(t.ValidTo))
		default:
			p.themeID = sql.NullInt64{Int64: t.ID, Valid: true}
			p.themeCode = t.Code
		}
	}
	// Lines.
	seenLine := map[int64]bool{}
	for i, l := range in.Lines {
		f := fmt.Sprintf("lines.%d", i)
		id := l.LineID
		if id == 0 && l.Code != "" {
			id = r.lineByCode[l.Code]
		}
		lr, ok := r.lines[id]
		if !ok {
			ps.add(f, firstNonEmpty(l.Code, fmt.Sprint(l.LineID)), "linea del portfolio sconosciuta")
			continue
		}
		if lv := r.levels[lr.FrameworkID]; len(lv) > 0 && !lv[l.Level] || len(lv) == 0 && (l.Level < 1 || l.Level > 8) {
			ps.add(f, lr.Code, "livello %d non previsto dalla scala del portfolio", l.Level)
			continue
		}
		if seenLine[id] {
			continue
		}
		seenLine[id] = true
		l.LineID, l.Code = id, lr.Code
		if l.Origin == "" {
			l.Origin = OriginProvider
		}
		if l.Origin != OriginProvider && l.Origin != OriginSuggestion && l.Origin != OriginReviewer {
			l.Origin = OriginProvider
		}
		p.lines = append(p.lines, l)
	}
	// Credits.
	in.Modules = p.modules
	p.in = in
	p.comp = Compute(rs, CreditInput{Type: in.Type, SubType: in.SubType, FADMode: in.FADMode, Hours: in.Hours,
		InteractiveHours: in.InteractiveHours, Participants: in.Participants, Thematic: p.themeID.Valid,
		FinalDocument: in.FinalDocument, ExternalValidation: in.ExternalValidation, PermanentCommittee: in.PermanentCommittee,
		ResearchMonths: in.ResearchMonths, Modules: in.Modules})
	p.credits = round(in.Credits, 1)
	if p.credits == 0 {
		p.credits = p.comp.Credits
	}
	if p.credits < 0 || p.credits > rs.MaxCredits {
		ps.add("credits", fmt.Sprint(in.Credits), "i crediti devono essere tra 0 e %s", num(rs.MaxCredits))
	} else if strict && p.credits > p.comp.Credits+0.05 {
		ps.add("credits", fmt.Sprint(in.Credits), "i crediti dichiarati (%s) superano quelli ammessi dalle regole %s (%s)", num(p.credits), rs.Version, num(p.comp.Credits))
	}
	if strict && p.comp.Credits <= 0 && len(ps) == 0 {
		ps.add("credits", "0", "le regole non assegnano crediti a questo evento")
	}
	p.searchTitle = strings.Join(italian.Analyze(in.Title), " ")
	p.searchBody = strings.Join(italian.Analyze(in.Description), " ")
	p.hash = fingerprint(p)
	return p, ps
}

// fingerprint is a digest of everything stored about an event but its state and history,
// so a re-import of an unchanged event is recognised and writes nothing.
func fingerprint(p prepared) string {
	type ed struct {
		N    int
		S, E string
		O    bool
		R    int64
		C, V string
	}
	type ln struct {
		ID int64
		L  int
	}
	in := p.in
	v := struct {
		P                             int64
		Code, Title, Desc, Type, Mode string
		Sub                           int
		Mods                          []Module
		H, IH                         float64
		Part, RM, Obj                 int
		FD, EV, PC, All               bool
		Theme                         string
		Aud                           [][2]int
		Cost                          int64
		Cr                            float64
		Eds                           []ed
		Lines                         []ln
	}{P: p.providerID, Code: in.Code, Title: in.Title, Desc: in.Description, Type: in.Type, Mode: in.FADMode, Sub: in.SubType,
		Mods: p.modules, H: in.Hours, IH: in.InteractiveHours, Part: in.Participants, RM: in.ResearchMonths, Obj: in.ObjectiveCode,
		FD: in.FinalDocument, EV: in.ExternalValidation, PC: in.PermanentCommittee, All: in.AudienceAll, Theme: p.themeCode,
		Cost: p.costCents, Cr: p.credits}
	for _, a := range p.audience {
		v.Aud = append(v.Aud, [2]int{a.ProfessionCode, a.DisciplineCode})
	}
	sort.Slice(v.Aud, func(i, j int) bool { return v.Aud[i][0]*1000+v.Aud[i][1] < v.Aud[j][0]*1000+v.Aud[j][1] })
	for _, e := range p.editions {
		v.Eds = append(v.Eds, ed{e.Number, e.StartDate, e.EndDate, e.Online, e.RegionID, e.ComuneISTAT, e.Venue})
	}
	for _, l := range p.lines {
		v.Lines = append(v.Lines, ln{l.LineID, l.Level})
	}
	sort.Slice(v.Lines, func(i, j int) bool { return v.Lines[i].ID < v.Lines[j].ID })
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// maxHoursPerDay is how many hours of this event fit in one calendar day: synchronous
// training (RES, webinars, RES modules) at most 12, self-paced FAD and FSC 24.
func maxHoursPerDay(in EventInput, r Rule) float64 {
	if in.Type == TypeBlended {
		for _, m := range in.Modules {
			if m.Type == TypeRES || m.FADMode == FADWebinar {
				return 12
			}
		}
		return 24
	}
	if in.FADMode == FADWebinar && r.WebinarMaxHoursPerDay > 0 {
		return r.WebinarMaxHoursPerDay
	}
	if r.MaxHoursPerDay > 0 {
		return r.MaxHoursPerDay
	}
	return 24
}

func subTypeCodes(typ string) string {
	var out []string
	for _, s := range SubTypes {
		if s.Type == typ {
			out = append(out, fmt.Sprintf("%d %s", s.Code, s.It))
		}
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, "; ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(v []int) string {
	var s []string
	for _, x := range v {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ", ")
}

func orOpen(s string) string {
	if s == "" {
		return "…"
	}
	return s
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
