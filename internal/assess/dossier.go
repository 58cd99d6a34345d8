package assess

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"esd/internal/domain"
	"esd/internal/pdfdoc"
	"esd/internal/tabular"
)

// Dossier is the individual dossier formativo of a professional for the triennium: their ESD
// objectives and the group objectives of their teams, grouped by the ECM national objective
// they count under (17 and 35 name "sanità digitale").
type Dossier struct {
	Professional   Professional `json:"professional"`
	Persona        string       `json:"persona,omitempty"`
	Triennium      string       `json:"triennium"`
	GeneratedAt    time.Time    `json:"generated_at"`
	LevelsVisible  bool         `json:"levels_visible"`
	Illustrative   bool         `json:"illustrative"`
	LastAssessment *time.Time   `json:"last_assessment,omitempty"`
	Sections       []ECMSection `json:"sections"`
	Counts         []StateCount `json:"counts"`
	Total          int          `json:"total"`
}

// ECMSection gathers the objectives of one ECM national objective.
type ECMSection struct {
	Code       string      `json:"ecm_objective"`
	Name       string      `json:"name,omitempty"`
	Category   string      `json:"category,omitempty"`
	Objectives []Objective `json:"objectives"`
}

// StateCount is how many objectives are in a state.
type StateCount struct {
	State string `json:"state"`
	Count int    `json:"count"`
}

// Dossier assembles the dossier of a professional (visible as their objectives are).
func (s *Service) Dossier(ctx context.Context, profID int64, lang string) (Dossier, error) {
	v, err := s.Objectives(ctx, profID, lang)
	if err != nil {
		return Dossier{}, err
	}
	d := Dossier{Professional: v.Professional, Triennium: v.Triennium, GeneratedAt: s.now(), LevelsVisible: v.LevelsVisible}
	var persona string
	var fin sql.NullTime
	err = s.DB.Read.QueryRowContext(ctx, `SELECT a.persona_name, a.finished_at FROM assessments a WHERE a.professional_id = $1 AND a.state = 'finished'
		ORDER BY a.finished_at DESC, a.id DESC LIMIT 1`, profID).Scan(&persona, &fin)
	if err != nil && err != sql.ErrNoRows {
		return d, err
	}
	d.LastAssessment = nullTime(fin)
	if src := s.Targets; src != nil {
		sys := domain.WithActor(ctx, domain.SystemActor)
		if _, p, err := src.EffectiveTargets(sys, profID); err == nil {
			persona = p.Name
			if f, err := s.framework(ctx, p.FrameworkID); err == nil {
				d.Illustrative = f.Illustrative
			}
		}
	}
	d.Persona = persona
	all := append(append([]Objective(nil), v.Individual...), v.Group...)
	secs := map[string]*ECMSection{}
	counts := map[string]int{}
	for _, o := range all {
		code := o.ECMObjective
		sec := secs[code]
		if sec == nil {
			sec = &ECMSection{Code: code, Name: o.ECMName, Category: o.ECMCategory}
			secs[code] = sec
		}
		sec.Objectives = append(sec.Objectives, o)
		counts[o.State]++
		if o.FrameworkID != 0 && !d.Illustrative {
			if f, err := s.framework(ctx, o.FrameworkID); err == nil && f.Illustrative {
				d.Illustrative = true
			}
		}
	}
	for _, sec := range secs {
		d.Sections = append(d.Sections, *sec)
	}
	sort.Slice(d.Sections, func(i, j int) bool {
		a, b := d.Sections[i].Code, d.Sections[j].Code
		ai, ea := strconv.Atoi(a)
		bi, eb := strconv.Atoi(b)
		if ea == nil && eb == nil {
			return ai < bi
		}
		if (ea == nil) != (eb == nil) {
			return ea == nil
		}
		return a < b
	})
	for _, st := range ObjectiveStates {
		if counts[st] > 0 {
			d.Counts = append(d.Counts, StateCount{st, counts[st]})
		}
	}
	d.Total = len(all)
	if d.Sections == nil {
		d.Sections = []ECMSection{}
	}
	return d, nil
}

var stateIT = map[string][2]string{
	ObjDraft: {"bozza", "draft"}, ObjAgreed: {"concordato", "agreed"}, ObjInProgress: {"in corso", "in progress"},
	ObjAchieved: {"raggiunto", "achieved"}, ObjExpired: {"scaduto", "expired"},
}

// StateLabel names an objective state in lang.
func StateLabel(state, lang string) string {
	if v, ok := stateIT[state]; ok {
		if lang == "en" {
			return v[1]
		}
		return v[0]
	}
	return state
}

// WriteCSV writes the dossier as CSV for Italian Excel, one objective per row.
func (d Dossier) WriteCSV(w io.Writer, lang string) error {
	en := lang == "en"
	head := []string{"triennio", "obiettivo_ecm", "nome_obiettivo_ecm", "tipo", "gruppo", "linea", "titolo_linea", "livello_attuale", "livello_obiettivo",
		"scadenza", "priorita", "stato", "concordato_il", "note"}
	if en {
		head = []string{"triennium", "ecm_objective", "ecm_objective_name", "kind", "group", "line", "line_title", "current_level", "target_level",
			"due_date", "priority", "state", "agreed_at", "note"}
	}
	// The one table writer (package tabular): Italian Excel's ';', BOM and CRLF, and the free
	// text (names, notes) defused if a spreadsheet would run it as a formula.
	t := tabular.Table{Name: "dossier", Lang: lang}
	for i, h := range head {
		c := tabular.Column{Key: h}
		if i == 7 || i == 8 || i == 10 {
			c.Kind = tabular.Int
		}
		t.Columns = append(t.Columns, c)
	}
	for _, sec := range d.Sections {
		for _, o := range sec.Objectives {
			kind := pick(en, "individuale", "individual")
			if o.GroupID != 0 {
				kind = pick(en, "di gruppo", "group")
			}
			var from any
			if o.FromLevel != nil {
				from = *o.FromLevel
			}
			agreed := ""
			if o.AgreedAt != nil {
				agreed = o.AgreedAt.Format("2006-01-02")
			}
			t.Add(d.Triennium, sec.Code, sec.Name, kind, o.GroupName, o.LineCode, o.LineTitle, from, o.TargetLevel,
				o.DueDate, o.Priority, StateLabel(o.State, lang), agreed, o.Note)
		}
	}
	return t.WriteCSV(w)
}

// WritePDF writes the dossier as a printable PDF document (pdfdoc: embedded Unicode fonts, so
// accented names and "€" print as written).
func (d Dossier) WritePDF(w io.Writer, lang string) error {
	en := lang == "en"
	title := pick(en, "Dossier formativo individuale ESD – triennio %s", "Individual ESD training dossier (dossier formativo) – triennium %s", d.Triennium)
	doc := pdfdoc.New(pdfdoc.Options{Title: title, Lang: lang, Created: d.GeneratedAt,
		Footer: pick(en, "ESD – Educazione in Sanità Digitale · generato il %s", "ESD – Digital Health Education · generated on %s", d.GeneratedAt.Format("02/01/2006"))})
	doc.Heading(title, 1)
	doc.Gap(2)
	doc.Field(pick(en, "Professionista", "Professional"), d.Professional.GivenName+" "+d.Professional.FamilyName)
	if d.Professional.Organisation != "" {
		doc.Field(pick(en, "Organizzazione", "Organisation"), d.Professional.Organisation)
	}
	if d.Persona != "" {
		doc.Field("Digital Persona", d.Persona)
	}
	if d.LastAssessment != nil {
		doc.Field(pick(en, "Ultima autovalutazione", "Last self-assessment"), d.LastAssessment.Format("02/01/2006"))
	}
	if d.Illustrative {
		doc.Gap(2)
		doc.Text(pick(en, "Nota: il portfolio delle competenze è illustrativo finché non è importato quello ufficiale.",
			"Note: the competence portfolio is illustrative until the official one is imported."), 9, true)
	}
	doc.Gap(3)
	if d.Total == 0 {
		doc.Paragraph(pick(en, "Nessun obiettivo per il triennio.", "No objectives for the triennium."))
	}
	for _, sec := range d.Sections {
		head := pick(en, "Obiettivo formativo ECM %s", "ECM training objective %s", sec.Code)
		if sec.Code == "" {
			head = pick(en, "Senza obiettivo ECM", "No ECM objective")
		}
		if sec.Name != "" {
			head += " – " + sec.Name
		}
		doc.Heading(head, 3)
		header := []string{pick(en, "Linea", "Line"), pick(en, "Livello", "Level"), pick(en, "Scadenza", "Due"), pick(en, "Stato", "State"), pick(en, "Tipo", "Kind")}
		var rows [][]string
		for _, o := range sec.Objectives {
			lv := fmt.Sprintf("→ %d", o.TargetLevel)
			if o.FromLevel != nil {
				lv = fmt.Sprintf("%d → %d", *o.FromLevel, o.TargetLevel)
			}
			kind := pick(en, "individuale", "individual")
			if o.GroupID != 0 {
				kind = pick(en, "gruppo: %s", "group: %s", o.GroupName)
			}
			due, _ := time.Parse("2006-01-02", o.DueDate)
			rows = append(rows, []string{o.LineCode + " " + o.LineTitle, lv, due.Format("02/01/2006"), StateLabel(o.State, lang), kind})
		}
		doc.Table([]float64{0.48, 0.1, 0.12, 0.12, 0.18}, header, rows)
	}
	doc.Gap(5)
	doc.Small(pick(en, "Gli obiettivi concordati con l'organizzazione formano il dossier formativo individuale del triennio, ai fini dei crediti ECM di bonus previsti dalla CNFC.",
		"The objectives agreed with the organisation form the individual training dossier of the triennium, for the ECM bonus credits set by the CNFC."))
	pdf, err := doc.Bytes()
	if err != nil {
		return err
	}
	_, err = w.Write(pdf)
	return err
}
