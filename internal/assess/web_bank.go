package assess

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"esd/internal/domain"
	"esd/internal/web"
)

type banksData struct {
	Banks      []Bank
	Frameworks []FrameworkRef
}

func (m Module) banksPage(c *web.Ctx) error {
	bs, err := m.S.ListBanks(c.Context())
	if err != nil {
		return err
	}
	fws, err := m.S.listFrameworks(c.Context())
	if err != nil {
		return err
	}
	return c.Render("assess_bank_list", c.T("assess.bank.title"), banksData{Banks: bs, Frameworks: fws})
}

func (m Module) bankCreate(c *web.Ctx) error {
	b, err := m.S.CreateBank(c.Context(), formInt64(c, "framework_id"))
	if err != nil {
		if code := domain.ErrorCode(err); code == domain.ECONFLICT || code == domain.EINVALID {
			bs, _ := m.S.ListBanks(c.Context())
			fws, _ := m.S.listFrameworks(c.Context())
			return c.RenderForm("assess_bank_list", c.T("assess.bank.title"), banksData{Banks: bs, Frameworks: fws}, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/bank/%d", b.ID))
}

type bankLine struct {
	Line  *Node
	Items []Item
}

type bankData struct {
	B            Bank
	Lines        []bankLine
	Areas        []*Node
	Area         int64
	Missing      int
	NoKnowledge  int
	Report       *ImportReport
	Illustrative bool
}

func (m Module) renderBank(c *web.Ctx, id int64, rep *ImportReport, formErr error) error {
	formErr = Localize(formErr, c.T)
	b, err := m.S.Bank(c.Context(), id)
	if err != nil {
		return err
	}
	items, err := m.S.Items(c.Context(), id, 0)
	if err != nil {
		return err
	}
	f, err := m.S.framework(c.Context(), b.FrameworkID)
	if err != nil {
		return err
	}
	d := bankData{B: b, Areas: f.Areas, Area: formInt64(c, "area"), Report: rep, Illustrative: f.Illustrative}
	if d.Area == 0 && c.R.URL.Query().Get("area") == "" {
		// Start on the first ambito with knowledge questions: the interesting part of the bank.
		for _, a := range KnowledgeAreas(f) {
			d.Area = a.ID
			break
		}
	}
	missing, noKnow, err := m.S.coverage(c.Context(), m.S.DB.Read, b)
	if err != nil {
		return err
	}
	d.Missing, d.NoKnowledge = len(missing), noKnow
	byLine := map[int64][]Item{}
	for _, it := range items {
		byLine[it.LineID] = append(byLine[it.LineID], it)
	}
	for _, l := range f.Lines {
		if d.Area != 0 && (l.Area() == nil || l.Area().ID != d.Area) {
			continue
		}
		d.Lines = append(d.Lines, bankLine{Line: l, Items: byLine[l.ID]})
	}
	return c.RenderForm("assess_bank", c.T("assess.bank.title"), d, formErr)
}

func (m Module) bankPage(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	var rep *ImportReport
	if q := c.R.URL.Query(); q.Get("added") != "" {
		rep = &ImportReport{}
		rep.Added, _ = strconv.Atoi(q.Get("added"))
		rep.Updated, _ = strconv.Atoi(q.Get("updated"))
		rep.Unchanged, _ = strconv.Atoi(q.Get("unchanged"))
	}
	return m.renderBank(c, id, rep, nil)
}

type itemData struct {
	B      Bank
	Item   ItemInput
	Lines  []*Node
	Levels []int
	Slots  []int
	New    bool
}

func (m Module) renderItem(c *web.Ctx, bankID int64, in ItemInput, formErr error) error {
	formErr = Localize(formErr, c.T)
	b, err := m.S.Bank(c.Context(), bankID)
	if err != nil {
		return err
	}
	f, err := m.S.framework(c.Context(), b.FrameworkID)
	if err != nil {
		return err
	}
	d := itemData{B: b, Item: in, Lines: f.Lines, New: in.ID == 0}
	for i := 1; i <= f.MaxLevel(); i++ {
		d.Levels = append(d.Levels, i)
	}
	for len(d.Item.Options) < maxOptions {
		d.Item.Options = append(d.Item.Options, Option{})
	}
	for i := range d.Item.Options {
		d.Slots = append(d.Slots, i+1)
	}
	return c.RenderForm("assess_item_form", c.T("assess.item.title"), d, formErr)
}

func (m Module) itemForm(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := ItemInput{Kind: ItemKnowledge, Level: 1, LineCode: c.R.URL.Query().Get("line")}
	if c.R.PathValue("item") != "" {
		itemID, err := c.PathInt64("item")
		if err != nil {
			return err
		}
		it, err := m.S.Item(c.Context(), id, itemID)
		if err != nil {
			return err
		}
		in = ItemInput{ID: it.ID, Code: it.Code, LineCode: it.LineCode, Kind: it.Kind, Level: it.Level, TextIT: it.TextIT, TextEN: it.TextEN,
			ExplanationIT: it.ExplanationIT, ExplanationEN: it.ExplanationEN, Options: it.Options}
	}
	return m.renderItem(c, id, in, nil)
}

func (m Module) itemPost(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	in := ItemInput{ID: formInt64(c, "id"), Code: c.R.FormValue("code"), LineCode: c.R.FormValue("line"), Kind: c.R.FormValue("kind"), Level: formInt(c, "level"),
		TextIT: c.R.FormValue("text_it"), TextEN: c.R.FormValue("text_en"), ExplanationIT: c.R.FormValue("explanation_it"), ExplanationEN: c.R.FormValue("explanation_en")}
	correct := formInt(c, "correct")
	for i := 1; i <= maxOptions; i++ {
		in.Options = append(in.Options, Option{TextIT: c.R.FormValue(fmt.Sprintf("option_%d_it", i)), TextEN: c.R.FormValue(fmt.Sprintf("option_%d_en", i)), Correct: i == correct})
	}
	if in.Kind == ItemSelf {
		in.Options = nil
	}
	it, err := m.S.SaveItem(c.Context(), id, in)
	if err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderItem(c, id, in, err)
		}
		return err
	}
	area := ""
	if b, err := m.S.Bank(c.Context(), id); err == nil {
		if f, err := m.S.framework(c.Context(), b.FrameworkID); err == nil {
			if l := f.Line(it.LineID); l != nil && l.Area() != nil {
				area = fmt.Sprintf("?area=%d", l.Area().ID)
			}
		}
	}
	return c.Redirect(fmt.Sprintf("/assessment/bank/%d%s#line-%d", id, area, it.LineID))
}

func (m Module) itemDelete(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	itemID, err := c.PathInt64("item")
	if err != nil {
		return err
	}
	if err := m.S.DeleteItem(c.Context(), id, itemID); err != nil {
		if domain.ErrorCode(err) == domain.ECONFLICT {
			return m.renderBank(c, id, nil, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/bank/%d", id))
}

func (m Module) bankPublish(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.PublishBank(c.Context(), id); err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderBank(c, id, nil, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/bank/%d", id))
}

func (m Module) bankGenerate(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	if _, err := m.S.GenerateMissing(c.Context(), id); err != nil {
		if domain.ErrorCode(err) == domain.ECONFLICT {
			return m.renderBank(c, id, nil, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/bank/%d", id))
}

func (m Module) bankExport(format string) web.PageFunc {
	return func(c *web.Ctx) error {
		id, err := c.PathInt64("id")
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := m.S.ExportBank(c.Context(), id, format, &buf); err != nil {
			return err
		}
		ct := "application/json"
		if format == "csv" {
			ct = "text/csv; charset=utf-8"
		}
		c.W.Header().Set("Content-Type", ct)
		c.W.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="banca-domande-%d.%s"`, id, format))
		c.W.Header().Set("Cache-Control", "no-store")
		_, err = buf.WriteTo(c.W)
		return err
	}
}

func (m Module) bankImport(c *web.Ctx) error {
	id, err := c.PathInt64("id")
	if err != nil {
		return err
	}
	// The file comes as an upload, or pasted into the text area.
	var body io.Reader
	name := ""
	if strings.HasPrefix(c.R.Header.Get("Content-Type"), "multipart/") {
		if err := c.R.ParseMultipartForm(8 << 20); err == nil {
			b, hdr, ok, err := c.Upload("file", web.UploadSpec{MaxBytes: 8 << 20, Kinds: []web.UploadKind{web.UploadCSV, web.UploadJSON}})
			if err != nil {
				return m.renderBank(c, id, nil, err)
			}
			if ok {
				body, name = bytes.NewReader(b), hdr.Filename
			}
		}
	}
	if body == nil {
		if txt := strings.TrimSpace(c.R.FormValue("content")); txt != "" {
			body = strings.NewReader(txt)
			if strings.HasPrefix(txt, "{") {
				name = "pasted.json"
			}
		}
	}
	if body == nil {
		return m.renderBank(c, id, nil, domain.Invalid("file", "%s", c.T("assess.bank.no_file")))
	}
	format := c.R.FormValue("format")
	if format == "" {
		format = "csv"
		if strings.HasSuffix(strings.ToLower(name), ".json") {
			format = "json"
		}
	}
	rep, err := m.S.ImportBank(c.Context(), id, format, body)
	if err != nil {
		if code := domain.ErrorCode(err); code == domain.EINVALID || code == domain.ECONFLICT {
			return m.renderBank(c, id, nil, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/assessment/bank/%d?added=%d&updated=%d&unchanged=%d", id, rep.Added, rep.Updated, rep.Unchanged))
}

type settingsData struct {
	Rule    LevelRule
	Rules   []string
	Sources []string
}

func (m Module) settingsPage(c *web.Ctx) error {
	if _, err := requireNational(c.Context()); err != nil {
		return err
	}
	r, err := m.S.Rule(c.Context())
	if err != nil {
		return err
	}
	return c.Render("assess_settings", c.T("assess.settings.title"), settingsData{Rule: r, Rules: []string{RuleLatest, RuleHighest, RuleWeighted}, Sources: Sources})
}

func (m Module) settingsPost(c *web.Ctx) error {
	r := LevelRule{Rule: c.R.FormValue("rule"), Weights: map[string]float64{}}
	for _, src := range Sources {
		v, err := strconv.ParseFloat(strings.Replace(strings.TrimSpace(c.R.FormValue("weight_"+src)), ",", ".", 1), 64)
		if err != nil {
			cur, _ := m.S.Rule(c.Context())
			return c.RenderForm("assess_settings", c.T("assess.settings.title"), settingsData{Rule: cur, Rules: []string{RuleLatest, RuleHighest, RuleWeighted}, Sources: Sources},
				domain.Invalid("weight_"+src, "%s", c.T("assess.settings.bad_weight")))
		}
		r.Weights[src] = v
	}
	job, err := m.S.SetRule(c.Context(), r)
	if err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			cur, _ := m.S.Rule(c.Context())
			return c.RenderForm("assess_settings", c.T("assess.settings.title"), settingsData{Rule: cur, Rules: []string{RuleLatest, RuleHighest, RuleWeighted}, Sources: Sources}, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/jobs/%d", job))
}

// jobsPost starts the national background jobs: recompute levels, regenerate objectives,
// expire objectives past their due date.
func (m Module) jobsPost(c *web.Ctx) error {
	if _, err := requireNational(c.Context()); err != nil {
		return err
	}
	var id int64
	var err error
	switch c.R.FormValue("job") {
	case "recompute":
		id, err = m.S.Jobs.Start(c.Context(), "recompute_levels", func(ctx contextT, p progressT) (any, error) { return m.S.recomputeLevels(ctx, true, p) })
	case "regenerate":
		id, err = m.S.StartRegenerate(c.Context(), formInt64(c, "persona_id"))
	case "expire":
		id, err = m.S.Jobs.Start(c.Context(), "expire_objectives", func(ctx contextT, p progressT) (any, error) {
			n, err := m.S.ExpireObjectives(ctx)
			return map[string]int{"expired": n}, err
		})
	default:
		return domain.Invalid("job", "unknown job")
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/jobs/%d", id))
}
