package catalogue

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"esd/internal/audit"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/textnorm"

	"golang.org/x/text/encoding/charmap"
)

// Columns are the CSV columns of an event file, one row per edition; event fields repeat on
// every row of the same event and must agree. The README maps them to the fields of the
// Agenas public event search; Aliases lists the other header names accepted.
var Columns = []string{"provider_code", "event_code", "edition", "title", "description", "type", "subtype", "fad_mode", "modules",
	"hours", "interactive_hours", "participants", "credits", "start_date", "end_date", "online", "region", "comune", "venue",
	"professions", "objective", "theme", "cost", "lines", "state", "final_document", "external_validation", "permanent_committee",
	"research_months"}

// Aliases maps other header names (the Agenas search and rapporto evento vocabulary,
// Italian names) to our columns.
var Aliases = map[string]string{
	"provider": "provider_code", "cod_org": "provider_code", "codice_provider": "provider_code", "id_provider": "provider_code",
	"id_evento": "event_code", "cod_evento": "event_code", "codice_evento": "event_code", "evento": "event_code",
	"edizione": "edition", "cod_edi": "edition", "titolo": "title", "descrizione": "description",
	"tipologia": "type", "tipo_form": "type", "tipo": "type", "cod_tipologia_form": "subtype", "sottotipo": "subtype", "tipologia_formativa": "subtype",
	"ore": "hours", "durata": "hours", "ore_interattive": "interactive_hours", "num_part": "participants", "partecipanti": "participants",
	"crediti": "credits", "data_ini": "start_date", "data_inizio": "start_date", "data_fine": "end_date",
	"regione": "region", "provincia_comune": "comune", "sede": "venue", "professioni": "professions", "cod_obi": "objective",
	"obiettivo": "objective", "obiettivo_formativo": "objective", "tematica": "theme", "costo": "cost", "linee": "lines", "stato": "state",
}

// ImportReport says what an import did (or, with problems, why it did nothing).
type ImportReport struct {
	Rows      int              `json:"rows"`
	Events    int              `json:"events"`
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Problems  []domain.Problem `json:"problems,omitempty"`
}

// importRow is one event of a file with the lines it came from.
type importRow struct {
	in           EventInput
	providerCode string
	line         int
	// regions holds, per edition, the region as the file names it (code or name); the
	// validation resolves it against the regions table.
	regions []string
}

// MaxImportBytes is the largest events file accepted (the page and the API cap their
// bodies at it too): some 100,000 editions, far more than a provider's year.
const MaxImportBytes = 32 << 20

// ParseEvents reads an events file: format "csv" (separator ; or , detected, UTF-8 or
// Windows-1252) or "json" (an array of events as the API takes them, with provider_code).
// A file over MaxImportBytes is refused before it is parsed.
func ParseEvents(format string, r io.Reader) ([]importRow, []domain.Problem, error) {
	if format != "json" && format != "csv" && format != "" {
		return nil, nil, domain.Invalid("format", "formato sconosciuto %q (csv o json)", format)
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if len(b) > MaxImportBytes {
		return nil, []domain.Problem{{Field: "file", Reason: fmt.Sprintf("file più grande di %d MB", MaxImportBytes>>20)}}, nil
	}
	if format == "json" {
		return parseJSON(b)
	}
	return parseCSV(b)
}

// jsonEvent is an event in a JSON file: the API input plus the provider's code.
type jsonEvent struct {
	EventInput
	ProviderCode string `json:"provider_code,omitempty"`
}

func parseJSON(b []byte) ([]importRow, []domain.Problem, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var list []jsonEvent
	if err := dec.Decode(&list); err != nil {
		// The line of the mistake, where the decoder says where it is.
		line := 1
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line += bytes.Count(b[:min(se.Offset, int64(len(b)))], []byte("\n"))
		case errors.As(err, &te):
			line += bytes.Count(b[:min(te.Offset, int64(len(b)))], []byte("\n"))
		}
		return nil, []domain.Problem{{Line: line, Field: "file", Reason: "JSON non valido: " + strings.TrimPrefix(err.Error(), "json: ")}}, nil
	}
	if dec.More() {
		return nil, []domain.Problem{{Line: 1, Field: "file", Reason: "JSON non valido: dati dopo l'elenco degli eventi"}}, nil
	}
	out := make([]importRow, len(list))
	for i, e := range list {
		out[i] = importRow{in: e.EventInput, providerCode: e.ProviderCode, line: i + 1}
	}
	return out, nil, nil
}

func decodeText(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return string(b)
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

func parseCSV(raw []byte) ([]importRow, []domain.Problem, error) {
	text := decodeText(raw)
	first, _, _ := strings.Cut(text, "\n")
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = ';'
	if strings.Count(first, ",") > strings.Count(first, ";") {
		cr.Comma = ','
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, []domain.Problem{{Line: 1, Field: "file", Reason: "file vuoto o illeggibile"}}, nil
	}
	col := map[string]int{}
	var ps []domain.Problem
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if a, ok := Aliases[k]; ok {
			k = a
		}
		if !contains(Columns, k) {
			field := h
			if strings.TrimSpace(h) == "" {
				field = fmt.Sprintf("colonna %d", i+1) // a problem always names its place
			}
			ps = append(ps, domain.Problem{Line: 1, Field: field, Reason: "colonna sconosciuta"})
			continue
		}
		col[k] = i
	}
	for _, need := range []string{"event_code", "title", "type", "hours", "start_date", "end_date", "objective"} {
		if _, ok := col[need]; !ok {
			ps = append(ps, domain.Problem{Line: 1, Field: need, Reason: "colonna obbligatoria mancante"})
		}
	}
	if len(ps) > 0 {
		return nil, ps, nil
	}
	byKey := map[string]int{}
	var out []importRow
	firsts := map[int][]string{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The line where the broken record starts; reading goes on with the next one.
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			ps = append(ps, domain.Problem{Line: line, Field: "file", Reason: "riga CSV malformata: " + err.Error()})
			continue
		}
		// A quoted field may span lines: the record's own first line, not a count of records.
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var rowPs []domain.Problem
		bad := func(field, value, format string, args ...any) {
			rowPs = append(rowPs, domain.Problem{Line: line, Field: field, Reason: fmt.Sprintf(format, args...), Value: value})
		}
		ed := Edition{StartDate: parseDate(get("start_date")), EndDate: parseDate(get("end_date")), Venue: get("venue"), ComuneISTAT: get("comune")}
		if v := get("edition"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad("edition", v, "numero di edizione non valido")
			}
			ed.Number = n
		} else {
			ed.Number = 1
		}
		if v := get("online"); v != "" {
			b, ok := parseBool(v)
			if !ok {
				bad("online", v, "valore non valido (sì/no, 1/0, true/false)")
			}
			ed.Online = b
		}
		// Region: our id is not in files; the file names a region by code or name, resolved later.
		regionText := get("region")
		code := get("event_code")
		prov := get("provider_code")
		// Agenas event ids read "provider-event" (e.g. 1234-56789): split when no provider column.
		if prov == "" {
			if _, ok := col["provider_code"]; !ok {
				if p, c, ok := strings.Cut(code, "-"); ok && isDigits(p) && isDigits(c) {
					prov = p
				}
			}
		}
		key := prov + "\x00" + code
		if idx, ok := byKey[key]; ok && code != "" {
			// Another edition of an event already seen: event fields must agree.
			for _, k := range []string{"title", "type", "subtype", "hours", "credits", "objective", "professions", "lines", "cost", "participants"} {
				// The first row may be shorter than this one: a missing field reads as empty.
				first := ""
				if i, ok := col[k]; ok && i < len(firsts[idx]) {
					first = firsts[idx][i]
				}
				if i, ok := col[k]; ok && i < len(rec) && strings.TrimSpace(rec[i]) != first {
					bad(k, strings.TrimSpace(rec[i]), "diverso dalla prima riga dell'evento %s (riga %d)", code, out[idx].line)
				}
			}
			out[idx].in.Editions = append(out[idx].in.Editions, ed)
			out[idx].regions = append(out[idx].regions, regionText)
			ps = append(ps, rowPs...)
			continue
		}
		in := EventInput{Code: code, Title: get("title"), Description: get("description"), FADMode: get("fad_mode"), Theme: get("theme"),
			State: strings.ToLower(get("state"))}
		in.Type = parseType(get("type"))
		if in.Type == "" {
			bad("type", get("type"), "tipologia sconosciuta (RES, FAD, FSC, BLENDED oppure 1-4 come nella ricerca Agenas)")
		}
		intField := func(k string, dst *int) {
			if v := get(k); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					bad(k, v, "numero intero non valido")
				}
				*dst = n
			}
		}
		numField := func(k string, dst *float64) {
			if v := get(k); v != "" {
				f, err := parseNumber(v)
				if err != nil {
					bad(k, v, "numero non valido")
				}
				*dst = f
			}
		}
		boolField := func(k string, dst *bool) {
			if v := get(k); v != "" {
				b, ok := parseBool(v)
				if !ok {
					bad(k, v, "valore non valido (sì/no, 1/0)")
				}
				*dst = b
			}
		}
		intField("subtype", &in.SubType)
		intField("participants", &in.Participants)
		intField("objective", &in.ObjectiveCode)
		intField("research_months", &in.ResearchMonths)
		numField("hours", &in.Hours)
		numField("interactive_hours", &in.InteractiveHours)
		numField("credits", &in.Credits)
		numField("cost", &in.Cost)
		boolField("final_document", &in.FinalDocument)
		boolField("external_validation", &in.ExternalValidation)
		boolField("permanent_committee", &in.PermanentCommittee)
		if v := get("modules"); v != "" {
			mods, err := parseModules(v)
			if err != nil {
				bad("modules", v, "%s", err)
			}
			in.Modules = mods
		}
		if v := get("professions"); v != "" {
			all, aud, err := parseProfessions(v)
			if err != nil {
				bad("professions", v, "%s", err)
			}
			in.AudienceAll, in.Audience = all, aud
		}
		if v := get("lines"); v != "" {
			ls, err := parseLines(v)
			if err != nil {
				bad("lines", v, "%s", err)
			}
			in.Lines = ls
		}
		if in.Participants == 0 {
			in.Participants = 100
		}
		in.Editions = []Edition{ed}
		ps = append(ps, rowPs...)
		byKey[key] = len(out)
		firsts[len(out)] = append([]string(nil), rec...)
		for i := range firsts[len(out)] {
			firsts[len(out)][i] = strings.TrimSpace(firsts[len(out)][i])
		}
		out = append(out, importRow{in: in, providerCode: prov, line: line, regions: []string{regionText}})
	}
	return out, ps, nil
}

func parseDate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{dateLayout, "02/01/2006", "2/1/2006", "02-01-2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(dateLayout)
		}
	}
	return s
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "si", "sì", "s", "true", "vero", "yes", "y", "x":
		return true, true
	case "0", "no", "n", "false", "falso", "":
		return false, true
	}
	return false, false
}

// parseNumber accepts Italian and English decimals ("7,5", "7.5", "1.234,50").
func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "€"))
	if strings.Contains(s, ",") {
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	}
	f, err := strconv.ParseFloat(s, 64)
	// ParseFloat also reads "NaN", "Inf" and hexadecimal: no file means those, and a NaN
	// would slip past every range check after it.
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(s, "xXnN")) {
		return 0, fmt.Errorf("%q non è un numero", s)
	}
	return f, err
}

func parseType(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "1", TypeFAD:
		return TypeFAD
	case "2", TypeFSC:
		return TypeFSC
	case "3", TypeRES:
		return TypeRES
	case "4", TypeBlended, "BLEND":
		return TypeBlended
	}
	return ""
}

// parseModules reads "RES:1:8+FAD:11:4:online" (type:subtype:hours[:fad mode]).
func parseModules(s string) ([]Module, error) {
	var out []Module
	for _, part := range strings.Split(s, "+") {
		f := strings.Split(strings.TrimSpace(part), ":")
		if len(f) < 3 {
			return nil, fmt.Errorf("modulo %q: scrivi tipo:sottotipo:ore[:modalità FAD], moduli separati da +", part)
		}
		m := Module{Type: parseType(f[0])}
		sub, err1 := strconv.Atoi(f[1])
		h, err2 := parseNumber(f[2])
		if m.Type == "" || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("modulo %q non valido", part)
		}
		m.SubType, m.Hours = sub, h
		if len(f) > 3 {
			m.FADMode = f[3]
		}
		out = append(out, m)
	}
	return out, nil
}

// parseProfessions reads the Co.Ge.A.P.S. notation "1.58:14.85" (profession.discipline
// groups separated by ':'; a profession alone means all its disciplines; several
// disciplines as "1.58.60"), or "99" / "tutte" for every profession, as in the Agenas search.
func parseProfessions(s string) (bool, []Audience, error) {
	s = strings.TrimSpace(s)
	if s == "99" || strings.EqualFold(s, "tutte") || strings.EqualFold(s, "all") {
		return true, nil, nil
	}
	var out []Audience
	for _, g := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '|' || r == ' ' }) {
		f := strings.Split(g, ".")
		p, err := strconv.Atoi(f[0])
		if err != nil {
			return false, nil, fmt.Errorf("professione %q non è un codice numerico", g)
		}
		if len(f) == 1 {
			out = append(out, Audience{ProfessionCode: p})
		}
		for _, d := range f[1:] {
			dc, err := strconv.Atoi(d)
			if err != nil {
				return false, nil, fmt.Errorf("disciplina %q non è un codice numerico", g)
			}
			out = append(out, Audience{ProfessionCode: p, DisciplineCode: dc})
		}
	}
	return false, out, nil
}

// parseLines reads "L4.1.3:2|L3.1.1:1" (line code:level).
func parseLines(s string) ([]LineInput, error) {
	var out []LineInput
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ' ' }) {
		code, lv, ok := strings.Cut(part, ":")
		n, err := strconv.Atoi(lv)
		if !ok || err != nil {
			return nil, fmt.Errorf("linea %q: scrivi codice:livello, linee separate da |", part)
		}
		out = append(out, LineInput{Code: code, Level: n})
	}
	return out, nil
}

// ImportEvents imports an events file, all or nothing: every row is checked first and,
// if any is bad, nothing is written and the error lists every problem with its line. New
// events are created; existing ones (same provider and code) are updated when the caller
// may edit them and their content changed, and left alone when unchanged, so importing the
// same file twice changes nothing. Providers import their own events as drafts (or
// submitted); national governance and the system name the provider of each row and may load
// events already accredited elsewhere.
func (s *Service) ImportEvents(ctx context.Context, format string, r io.Reader) (ImportReport, error) {
	a, err := domain.Require(ctx, domain.RoleProvider, domain.RoleNational)
	if err != nil {
		return ImportReport{}, err
	}
	rows, ps, err := ParseEvents(format, r)
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Events: len(rows)}
	for _, row := range rows {
		rep.Rows += len(row.in.Editions)
	}
	refs, err := s.loadRefs(ctx)
	if err != nil {
		return rep, err
	}
	provCache := map[string]provider{}
	var plan []planned
	for _, row := range rows {
		in := row.in
		for k, t := range row.regions {
			t = strings.TrimSpace(t)
			if t == "" || k >= len(in.Editions) {
				continue
			}
			id, found := refs.regionByCode[strings.ToUpper(t)]
			if !found {
				id, found = refs.regionByCode[textnorm.Fold(t)]
			}
			if !found {
				ps = append(ps, domain.Problem{Line: row.line, Field: "region", Reason: "regione sconosciuta (codice Ministero a 3 cifre, ISTAT, ISO o nome)", Value: t})
			}
			in.Editions[k].RegionID = id
		}
		var prov provider
		switch {
		case a.Role == domain.RoleProvider:
			if row.providerCode != "" || in.ProviderID != 0 {
				own, err := s.provider(ctx, a.OrganisationID)
				if err != nil {
					return rep, err
				}
				if (row.providerCode != "" && row.providerCode != own.Code) || (in.ProviderID != 0 && in.ProviderID != own.ID) {
					ps = append(ps, domain.Problem{Line: row.line, Field: "provider_code", Reason: "un provider importa solo i propri eventi", Value: row.providerCode})
					continue
				}
			}
			prov, err = s.provider(ctx, a.OrganisationID)
			if err != nil {
				return rep, err
			}
			if in.State != "" && in.State != StateDraft && in.State != StateSubmitted {
				ps = append(ps, domain.Problem{Line: row.line, Field: "state", Reason: "un provider importa eventi in bozza o da sottoporre", Value: in.State})
				continue
			}
		case row.providerCode != "":
			p, ok := provCache[row.providerCode]
			if !ok {
				p, err = s.providerByCode(ctx, row.providerCode)
				if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
					return rep, err
				}
				provCache[row.providerCode] = p
			}
			if p.ID == 0 {
				ps = append(ps, domain.Problem{Line: row.line, Field: "provider_code", Reason: "provider sconosciuto", Value: row.providerCode})
				continue
			}
			prov = p
		case in.ProviderID != 0:
			p, err := s.provider(ctx, in.ProviderID)
			if err != nil {
				ps = append(ps, domain.Problem{Line: row.line, Field: "provider_id", Reason: "provider sconosciuto", Value: fmt.Sprint(in.ProviderID)})
				continue
			}
			prov = p
		default:
			ps = append(ps, domain.Problem{Line: row.line, Field: "provider_code", Reason: "indica il codice del provider"})
			continue
		}
		state := in.State
		if state == "" {
			state = StateDraft
		}
		if !contains(States, state) {
			ps = append(ps, domain.Problem{Line: row.line, Field: "state", Reason: "stato sconosciuto", Value: state})
			continue
		}
		// A file declares finished events: credits above the rules are refused even for drafts.
		p, vps := s.validate(ctx, refs, in, prov, true)
		for _, vp := range vps {
			vp.Line = row.line
			ps = append(ps, vp)
		}
		if len(vps) == 0 {
			p.state = state
			plan = append(plan, planned{p: p, line: row.line})
		}
	}
	if len(ps) == 0 {
		ps = append(ps, s.checkExisting(ctx, a, plan)...)
	}
	if len(ps) > 0 {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		// One complaint per line and field: the parser and the validation may both object.
		seen := map[string]bool{}
		kept := ps[:0]
		for _, p := range ps {
			k := fmt.Sprint(p.Line, "\x00", p.Field)
			if !seen[k] {
				seen[k] = true
				kept = append(kept, p)
			}
		}
		ps = kept
		rep.Problems = ps
		return rep, &domain.Error{Code: domain.EINVALID, Message: fmt.Sprintf("%d problemi nel file: nessun evento importato", len(ps)), Details: ps}
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		seq, err := nextSeq(ctx, tx)
		if err != nil {
			return err
		}
		rec := audit.NewRecorder(ctx)
		var fresh []prepared
		for _, pl := range plan {
			switch {
			case pl.existing == 0:
				fresh = append(fresh, pl.p)
				rep.Created++
			case pl.unchanged:
				rep.Unchanged++
			default:
				if _, err := s.writeEvent(ctx, tx, pl.existing, pl.p, seq, ""); err != nil {
					return err
				}
				if pl.oldState != pl.p.state {
					if err := recordTransition(ctx, tx, pl.existing, pl.oldState, pl.p.state, "import"); err != nil {
						return err
					}
				}
				rec.Add(audit.Change{Action: "import", Entity: "event", EntityID: pl.existing, RegionID: pl.p.providerRegion, After: summary(pl.p)})
				rep.Updated++
			}
		}
		ids, err := s.insertEvents(ctx, tx, fresh, seq, a.Username)
		if err != nil {
			return err
		}
		for i, id := range ids {
			rec.Add(audit.Change{Action: "import", Entity: "event", EntityID: id, RegionID: fresh[i].providerRegion, After: summary(fresh[i])})
		}
		return rec.Flush(tx)
	})
	if err != nil {
		return rep, err
	}
	s.noteChange()
	return rep, nil
}

type planned struct {
	p         prepared
	line      int
	existing  int64
	oldState  string
	unchanged bool
}

// checkExisting finds which planned events exist already and whether the caller may
// update them; it marks unchanged ones.
func (s *Service) checkExisting(ctx context.Context, a domain.Actor, plan []planned) []domain.Problem {
	var ps []domain.Problem
	seen := map[string]int{}
	for i := range plan {
		pl := &plan[i]
		key := fmt.Sprint(pl.p.providerID) + "\x00" + pl.p.in.Code
		if first, dup := seen[key]; dup {
			ps = append(ps, domain.Problem{Line: pl.line, Field: "event_code", Reason: fmt.Sprintf("evento ripetuto nel file (già alla riga %d)", first), Value: pl.p.in.Code})
			continue
		}
		seen[key] = pl.line
		var id int64
		var state, hash string
		err := s.DB.Read.QueryRowContext(ctx, `SELECT id, state, content_hash FROM events WHERE provider_id = $1 AND code = $2`,
			pl.p.providerID, pl.p.in.Code).Scan(&id, &state, &hash)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			ps = append(ps, domain.Problem{Line: pl.line, Field: "event_code", Reason: "errore di lettura"})
			continue
		}
		pl.existing, pl.oldState = id, state
		if hash == pl.p.hash && (pl.p.in.State == "" || pl.p.state == state) {
			pl.unchanged = true
			pl.p.state = state
			continue
		}
		e := Event{ProviderID: pl.p.providerID, ProviderRegionID: pl.p.providerRegion, State: state}
		if !permissions(a, e).Edit {
			ps = append(ps, domain.Problem{Line: pl.line, Field: "event_code",
				Reason: fmt.Sprintf("l'evento esiste già nello stato %s e non può essere modificato", state), Value: pl.p.in.Code})
		}
		if pl.p.in.State == "" {
			pl.p.state = state
			if state == StateRejected {
				pl.p.state = StateDraft
			}
		}
	}
	return ps
}

// insertEvents writes new events with multi-row inserts (a few statements per hundred
// events instead of several per event) and records their first transition.
func (s *Service) insertEvents(ctx context.Context, tx *sql.Tx, ps []prepared, seq int64, by string) ([]int64, error) {
	ids := make([]int64, len(ps))
	now := db.Now()
	a := domain.ActorFrom(ctx)
	var uid any
	if a.UserID != 0 {
		uid = a.UserID
	}
	per := max(1, s.paramBudget()/37)
	for start := 0; start < len(ps); start += per {
		batch := ps[start:min(start+per, len(ps))]
		var q strings.Builder
		q.WriteString(`INSERT INTO events (provider_id, code, title, description, type, subtype, fad_mode, modules_json,
			module_res, module_fad, module_fsc, hours, interactive_hours, participants, final_document, external_validation,
			permanent_committee, research_months, objective_code, theme_id, audience_all, cost_cents, credits, computed_credits,
			rule_set, state, first_start, last_end, search_title, search_body, analyzer, change_seq, updated_at, content_hash,
			created_at, created_by, lines_review) VALUES `)
		var args []any
		for i, p := range batch {
			in := p.in
			modules := ""
			var mres, mfad, mfsc bool
			if in.Type == TypeBlended {
				b, _ := json.Marshal(p.modules)
				modules = string(b)
				for _, m := range p.modules {
					mres = mres || m.Type == TypeRES
					mfad = mfad || m.Type == TypeFAD
					mfsc = mfsc || m.Type == TypeFSC
				}
			}
			review := LinesPending
			if p.state == StateClosed || p.state == StateRunning || p.state == StateAccredited {
				review = LinesAccepted
			}
			row := []any{p.providerID, in.Code, in.Title, in.Description, in.Type, in.SubType, in.FADMode, modules, mres, mfad, mfsc,
				in.Hours, in.InteractiveHours, in.Participants, in.FinalDocument, in.ExternalValidation, in.PermanentCommittee,
				in.ResearchMonths, in.ObjectiveCode, p.themeID, in.AudienceAll, p.costCents, p.credits, p.comp.Credits, p.comp.RuleSet,
				p.state, p.firstStart, p.lastEnd, p.searchTitle, p.searchBody, analyzerVersion, seq, now, p.hash, now, by, review}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + db.Placeholders(len(args)+1, len(row)) + ")")
			args = append(args, row...)
		}
		q.WriteString(" RETURNING id, provider_id, code")
		byKey := map[string]int64{}
		if err := scanAll(ctx, tx, q.String(), func(rs *sql.Rows) error {
			var id, pid int64
			var code string
			if err := rs.Scan(&id, &pid, &code); err != nil {
				return err
			}
			byKey[fmt.Sprint(pid)+"\x00"+code] = id
			return nil
		}, args...); err != nil {
			return nil, err
		}
		for i, p := range batch {
			ids[start+i] = byKey[fmt.Sprint(p.providerID)+"\x00"+p.in.Code]
		}
	}
	// Children, many rows per statement.
	var eds, auds, lines, trans [][]any
	for i, p := range ps {
		id := ids[i]
		for _, ed := range p.editions {
			var region any
			if ed.RegionID != 0 {
				region = ed.RegionID
			}
			eds = append(eds, []any{id, ed.Number, ed.StartDate, ed.EndDate, ed.Online, region, ed.ComuneISTAT, ed.Venue})
		}
		for _, au := range p.audience {
			auds = append(auds, []any{id, au.ProfessionCode, au.DisciplineCode})
		}
		for _, l := range p.lines {
			lines = append(lines, []any{id, l.LineID, l.Level, l.Origin, round(l.Score, 3)})
		}
		trans = append(trans, []any{id, "", p.state, now, uid, a.Username, string(a.Role), "import"})
	}
	for _, t := range []struct {
		sql  string
		rows [][]any
	}{
		{`INSERT INTO event_editions (event_id, number, start_date, end_date, online, region_id, comune_istat, venue) VALUES `, eds},
		{`INSERT INTO event_audience (event_id, profession_code, discipline_code) VALUES `, auds},
		{`INSERT INTO event_lines (event_id, item_id, level, origin, score) VALUES `, lines},
		{`INSERT INTO event_transitions (event_id, from_state, to_state, at, actor_user_id, actor_name, actor_role, reason) VALUES `, trans},
	} {
		if err := multiInsert(ctx, tx, t.sql, t.rows, s.paramBudget()); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// paramBudget is how many parameters one multi-row statement carries: SQLite resolves
// numbered parameters ($1…) by a linear search per parameter, so long statements cost
// quadratically to parse; PostgreSQL gains from fewer round trips.
func (s *Service) paramBudget() int {
	if s.DB.IsPostgres() {
		return 900
	}
	return 120
}

func multiInsert(ctx context.Context, tx *sql.Tx, prefix string, rows [][]any, budget int) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := max(1, budget/width)
	for start := 0; start < len(rows); start += per {
		batch := rows[start:min(start+per, len(rows))]
		var q strings.Builder
		q.WriteString(prefix)
		args := make([]any, 0, len(batch)*width)
		for i, r := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + db.Placeholders(len(args)+1, width) + ")")
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// ExportFilter selects the events to export.
type ExportFilter struct {
	ProviderID int64
	From, To   string
}

// ExportEvents writes the events the caller may see (a provider its own in every state;
// others the published events) in the import format: "csv" (one row per edition, ;
// separated, UTF-8) or "json".
func (s *Service) ExportEvents(ctx context.Context, format string, f ExportFilter, w io.Writer) error {
	a, err := domain.Require(ctx, domain.Roles...)
	if err != nil {
		return err
	}
	if format != "csv" && format != "json" {
		return domain.Invalid("format", "formato sconosciuto %q (csv o json)", format)
	}
	where := []string{"1=1"}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	switch {
	case a.IsNationalOrSystem():
	case a.Role == domain.RoleProvider:
		where = append(where, "(e.provider_id = "+arg(a.OrganisationID)+" OR e.state IN ('accredited','running','closed'))")
	default:
		where = append(where, "e.state IN ('accredited','running','closed')")
	}
	if f.ProviderID != 0 {
		where = append(where, "e.provider_id = "+arg(f.ProviderID))
	}
	if f.From != "" {
		where = append(where, "e.last_end >= "+arg(f.From))
	}
	if f.To != "" {
		where = append(where, "e.first_start <= "+arg(f.To))
	}
	var ids []int64
	if err := scanAll(ctx, s.DB.Read, `SELECT e.id FROM events e WHERE `+strings.Join(where, " AND ")+` ORDER BY e.provider_id, e.code`, func(rs *sql.Rows) error {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	}, args...); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	var cw *csv.Writer
	if format == "csv" {
		cw = csv.NewWriter(bw)
		cw.Comma = ';'
		if err := cw.Write(Columns); err != nil {
			return err
		}
	} else {
		bw.WriteString("[\n")
	}
	for i, id := range ids {
		e, err := s.loadEvent(ctx, s.DB.Read, id)
		if err != nil {
			return err
		}
		if format == "json" {
			in := inputOf(e)
			in.ProviderID = 0
			for k := range in.Lines {
				in.Lines[k].LineID = 0
			}
			b, err := json.Marshal(jsonEvent{EventInput: in, ProviderCode: e.ProviderCode})
			if err != nil {
				return err
			}
			if i > 0 {
				bw.WriteString(",\n")
			}
			bw.Write(b)
			continue
		}
		for _, rec := range csvRecords(e) {
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	if format == "json" {
		bw.WriteString("\n]\n")
		return nil
	}
	cw.Flush()
	return cw.Error()
}

func fnum(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func csvRecords(e Event) [][]string {
	var profs []string
	if e.AudienceAll {
		profs = []string{"99"}
	} else {
		// One group per audience entry, so "1.58:1" (GPs, and every physician) survives.
		for _, a := range e.Audience {
			if a.DisciplineCode != 0 {
				profs = append(profs, fmt.Sprintf("%d.%d", a.ProfessionCode, a.DisciplineCode))
			} else {
				profs = append(profs, strconv.Itoa(a.ProfessionCode))
			}
		}
	}
	var mods []string
	for _, m := range e.Modules {
		s := fmt.Sprintf("%s:%d:%s", m.Type, m.SubType, fnum(m.Hours))
		if m.FADMode != "" {
			s += ":" + m.FADMode
		}
		mods = append(mods, s)
	}
	var lines []string
	for _, l := range e.Lines {
		lines = append(lines, fmt.Sprintf("%s:%d", l.Code, l.Level))
	}
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	var out [][]string
	for _, ed := range e.Editions {
		region := ""
		if ed.RegionID != 0 {
			region = ed.Region
		}
		out = append(out, []string{e.ProviderCode, e.Code, strconv.Itoa(ed.Number), e.Title, e.Description, e.Type, strconv.Itoa(e.SubType),
			e.FADMode, strings.Join(mods, "+"), fnum(e.Hours), fnum(e.InteractiveHours), strconv.Itoa(e.Participants), fnum(e.Credits),
			ed.StartDate, ed.EndDate, b(ed.Online), region, ed.ComuneISTAT, ed.Venue, strings.Join(profs, ":"), strconv.Itoa(e.ObjectiveCode),
			e.ThemeCode, fnum(float64(e.CostCents) / 100), strings.Join(lines, "|"), e.State, b(e.FinalDocument), b(e.ExternalValid),
			b(e.PermanentComm), strconv.Itoa(e.ResearchMonths)})
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
