package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"esd/internal/app"
	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
	"esd/internal/portfolio"
)

var (
	idInLocation = regexp.MustCompile(`/(\d+)`)
	rawKey       = regexp.MustCompile(`>\s*portfolio\.[a-z_.]+`)
)

// noRawKeys fails if a page shows a message key instead of its text (a key missing from
// the catalogue shows itself).
func noRawKeys(t *testing.T, body string) {
	t.Helper()
	if m := rawKey.FindString(body); m != "" {
		t.Errorf("page shows a message key: %q", m)
	}
}

func locationID(t *testing.T, res apptest.Response) string {
	t.Helper()
	m := idInLocation.FindStringSubmatch(res.Header.Get("Location"))
	if res.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("want a redirect to an id, got %d %q: %.300s", res.Status, res.Header.Get("Location"), res.Body)
	}
	return m[1]
}

// The portfolio through its pages: the default portfolio is browsable and labelled as
// illustrative, the search folds accents and highlights, a line shows its levels and
// crosswalks, a professional reads but cannot write, and national governance runs a draft
// from copy to publication, after which the version refuses changes.
func TestPortfolioPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		admin := env.Client().Login("admin", apptest.AdminPassword)
		res := admin.Get("/portfolio")
		if res.Status != 200 {
			t.Fatalf("portfolio: %d", res.Status)
		}
		for _, want := range []string{`data-illustrative="true"`, `id="version-counts"`, "6 dimensioni, 16 ambiti, 140 linee formative",
			"Fascicolo Sanitario Elettronico", "<details", "<summary", `data-code="D6.A4.L08"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("tree page lacks %q", want)
			}
		}
		noRawKeys(t, res.Body)
		if n := strings.Count(res.Body, `<summary class="h5">`); n != 6 {
			t.Errorf("tree shows %d dimensions", n)
		}
		if n := strings.Count(res.Body, `<li data-code="D`); n != 140 {
			t.Errorf("tree shows %d lines", n)
		}
		// Accent- and case-insensitive search, matches highlighted in the original spelling.
		res = admin.Get("/portfolio?q=QUALITA")
		if !strings.Contains(res.Body, "<mark>qualità</mark>") && !strings.Contains(res.Body, "<mark>Qualità</mark>") {
			t.Fatalf("search did not highlight: %.500s", res.Body[strings.Index(res.Body, "<main"):])
		}
		if !strings.Contains(res.Body, `id="search-status"`) || strings.Contains(res.Body, `data-code="D1.A1.L01"`) {
			t.Fatal("search should filter the tree")
		}
		// English.
		if res := admin.Get("/portfolio?lang=en"); !strings.Contains(res.Body, "Electronic health record and digital NHS services") {
			t.Fatal("English titles missing")
		}
		admin.Get("/portfolio?lang=it")
		// A line: levels and crosswalks.
		var cur portfolio.Version
		admin.Get("/api/v1/portfolio/current").JSON(t, &cur)
		var lines []portfolio.Line
		admin.Get(fmt.Sprintf("/api/v1/portfolio/versions/%d/lines", cur.ID)).JSON(t, &lines)
		if len(lines) != 140 {
			t.Fatalf("api lines: %d", len(lines))
		}
		res = admin.Get(fmt.Sprintf("/portfolio/items/%d", lines[20].ID))
		for _, want := range []string{`id="levels-table"`, "Specialistico", `id="crosswalks-table"`, `data-scheme="ecm"`, `data-scheme="digcomp"`,
			`data-illustrative="true"`, `id="frozen-note"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("line page lacks %q", want)
			}
		}
		if strings.Contains(res.Body, `id="edit-texts"`) {
			t.Error("a published line must not show editors")
		}
		noRawKeys(t, res.Body)
		// Read-only for everybody else.
		u, pw := env.CreateUser("reader", domain.RoleAnalyst, 0, 0, 0)
		prof := env.Client().Login(u, pw)
		if res := prof.Get("/portfolio"); res.Status != 200 || !strings.Contains(res.Body, "D1.A1.L01") || strings.Contains(res.Body, `id="add-dimension"`) {
			t.Fatalf("another role reads the portfolio without editors: %d", res.Status)
		}
		if res := prof.PostForm(fmt.Sprintf("/portfolio/versions/%d/copy", cur.ID), url.Values{}); res.Status != http.StatusForbidden {
			t.Fatalf("another role copies a version: %d", res.Status)
		}
		// National governance: new draft, edit, add, levels, crosswalks, diff, publish.
		draftID := locationID(t, admin.PostForm(fmt.Sprintf("/portfolio/versions/%d/copy", cur.ID), url.Values{"version": {"0.2"}}))
		res = admin.Get("/portfolio/versions/" + draftID)
		if !strings.Contains(res.Body, `id="editing"`) || !strings.Contains(res.Body, `id="add-dimension"`) {
			t.Fatal("draft page should offer the editors")
		}
		if res := prof.Get("/portfolio/versions/" + draftID); res.Status != http.StatusNotFound {
			t.Fatalf("another role sees a draft: %d", res.Status)
		}
		var area portfolio.Item
		admin.Get("/api/v1/portfolio/versions/"+draftID+"/search?q=D3.A2").JSON(t, &[]portfolio.Item{})
		var tree portfolio.Tree
		admin.Get("/api/v1/portfolio/versions/"+draftID+"/tree").JSON(t, &tree)
		area = tree.Dimensions[2].Areas[1].Item
		// A missing title is refused beside the field, nothing written.
		res = admin.PostForm("/portfolio/versions/"+draftID+"/items", url.Values{"kind": {"line"}, "parent_id": {fmt.Sprint(area.ID)}, "title_it": {""}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="add-title_it-err"`) {
			t.Fatalf("missing title: %d", res.Status)
		}
		lineID := locationID(t, admin.PostForm("/portfolio/versions/"+draftID+"/items", url.Values{"kind": {"line"},
			"parent_id": {fmt.Sprint(area.ID)}, "title_it": {"Telemonitoraggio pediatrico"}, "title_en": {"Paediatric telemonitoring"}}))
		res = admin.Get("/portfolio/items/" + lineID + "?saved=1")
		noRawKeys(t, res.Body)
		if !strings.Contains(res.Body, "D3.A2.L10") || !strings.Contains(res.Body, `id="edit-levels"`) {
			t.Fatal("new line page")
		}
		if res := admin.PostForm("/portfolio/items/"+lineID+"/levels", url.Values{"level_1_it": {"Conosce i dispositivi pediatrici."},
			"level_2_it": {"Usa i dispositivi in autonomia."}, "level_3_it": {""}, "level_4_it": {""}}); res.Status != http.StatusSeeOther {
			t.Fatalf("levels: %d %.300s", res.Status, res.Body)
		}
		if res := admin.PostForm("/portfolio/items/"+lineID+"/crosswalks", url.Values{"scheme": {"digcomp"}, "code": {"5.2"}, "relation": {"broader"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("crosswalk: %d", res.Status)
		}
		res = admin.PostForm("/portfolio/items/"+lineID+"/crosswalks", url.Values{"scheme": {"ecm"}, "code": {"99"}, "relation": {"broader"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "unknown ECM national objective") {
			t.Fatalf("unknown ECM objective: %d %s", res.Status, res.Body)
		}
		res = admin.Get("/portfolio/items/" + lineID)
		if !strings.Contains(res.Body, "Usa i dispositivi in autonomia.") || !strings.Contains(res.Body, `data-code="5.2"`) {
			t.Fatal("levels or crosswalk not shown")
		}
		res = admin.Get(fmt.Sprintf("/portfolio/diff?from=%d&to=%s", cur.ID, draftID))
		if !strings.Contains(res.Body, `id="diff-added"`) || !strings.Contains(res.Body, "D3.A2.L10") || !strings.Contains(res.Body, `data-illustrative="true"`) {
			t.Fatal("diff page")
		}
		var diff portfolio.Diff
		admin.Get(fmt.Sprintf("/api/v1/portfolio/diff?from=%d&to=%s", cur.ID, draftID)).JSON(t, &diff)
		if len(diff.Added) != 1 || diff.Added[0].Code != "D3.A2.L10" || len(diff.Removed) != 0 || len(diff.Changed) != 0 {
			t.Fatalf("api diff: %+v", diff)
		}
		if res := admin.Get("/portfolio/versions/" + draftID + "/edit"); res.Status != 200 || !strings.Contains(res.Body, `id="edit-scale"`) {
			t.Fatalf("version edit page: %d", res.Status)
		}
		res = admin.PostForm("/portfolio/versions/"+draftID+"/edit", url.Values{"version": {"0.2"}, "title_it": {""}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `id="f-title_it-err"`) {
			t.Fatalf("version without title: %d", res.Status)
		}
		if res := admin.PostForm("/portfolio/versions/"+draftID+"/publish", url.Values{}); res.Status != http.StatusSeeOther {
			t.Fatalf("publish: %d", res.Status)
		}
		res = admin.PostForm("/portfolio/items/"+lineID, url.Values{"title_it": {"Cambiata dopo la pubblicazione"}})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "immutable") {
			t.Fatalf("edit after publishing must be refused clearly: %d", res.Status)
		}
		res = admin.Get("/portfolio")
		if !strings.Contains(res.Body, `id="version-label">ESD-PORTFOLIO 0.2<`) {
			t.Fatal("the published draft should now be in force")
		}
		if res := admin.Get("/portfolio/versions"); res.Status != 200 || strings.Count(res.Body, `<tr id="version-`) != 2 {
			t.Fatalf("versions page: %d", res.Status)
		}
	})
}

var (
	caseStamp  = regexp.MustCompile(`"(lastChangeDateTime|adoptionStatus)": "[^"]*"`)
	movedLabel = regexp.MustCompile(`0\.1-\d+`)
)

// Import and export through the API, the upload form and the CLI, every format, both
// databases: what is exported comes back in identical, a repeated file changes nothing,
// a bad file is refused with every problem and writes nothing.
func TestPortfolioExchangeAPIUploadCLI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		env := apptest.Start(t, d)
		admin := env.Client().Login("admin", apptest.AdminPassword)
		u, pw := env.CreateUser("analista", domain.RoleAnalyst, 0, 0, 0)
		analyst := env.Client().Login(u, pw)
		var cur portfolio.Version
		analyst.Get("/api/v1/portfolio/current").JSON(t, &cur)
		other := apptest.Start(t, d) // a second platform, to import into a database without the version
		otherAdmin := other.Client().Login("admin", apptest.AdminPassword)
		for _, f := range portfolio.Formats {
			exp := analyst.Get(fmt.Sprintf("/api/v1/portfolio/versions/%d/export?format=%s", cur.ID, f))
			if exp.Status != 200 || !strings.Contains(exp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("%s export: %d %v", f, exp.Status, exp.Header)
			}
			if f == portfolio.FormatMoodle && !strings.HasPrefix(exp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("moodle content type %s", exp.Header.Get("Content-Type"))
			}
			res := otherAdmin.Do("POST", "/api/v1/portfolio/import?format="+f+"&filename=x", strings.NewReader(exp.Body), http.Header{"Content-Type": {"application/octet-stream"}})
			if res.Status != http.StatusCreated {
				t.Fatalf("%s import: %d %s", f, res.Status, res.Body)
			}
			var ir portfolio.ImportResult
			res.JSON(t, &ir)
			back := otherAdmin.Get(fmt.Sprintf("/api/v1/portfolio/versions/%d/export?format=%s", ir.Version.ID, f))
			a, b := exp.Body, back.Body
			if f == portfolio.FormatCASE {
				a, b = caseStamp.ReplaceAllString(a, ""), caseStamp.ReplaceAllString(b, "")
			}
			// The label moved on (0.1 exists there: its own default), the content did not.
			b = movedLabel.ReplaceAllString(b, "0.1")
			if a != b {
				t.Fatalf("%s does not round-trip through the API", f)
			}
		}
		// Upload form (multipart) of the same file twice: the second time nothing changes.
		exp := analyst.Get(fmt.Sprintf("/portfolio/versions/%d/export?format=moodle", cur.ID))
		upload := func() apptest.Response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("format", "moodle")
			fw, _ := mw.CreateFormFile("file", "portfolio.csv")
			fw.Write([]byte(exp.Body))
			mw.Close()
			return admin.Do("POST", "/portfolio/import", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
		}
		if res := upload(); res.Status != 200 || !strings.Contains(res.Body, "Importazione riuscita") || !strings.Contains(res.Body, "0.1-2") {
			t.Fatalf("upload: %d %.500s", res.Status, res.Body)
		}
		if res := upload(); res.Status != 200 || !strings.Contains(res.Body, "già stato importato") {
			t.Fatalf("second upload: %d", res.Status)
		}
		if res := admin.Get("/portfolio/import"); res.Status != 200 || !strings.Contains(res.Body, `enctype="multipart/form-data"`) {
			t.Fatalf("import page: %d", res.Status)
		}
		// Bad input: every problem listed with its row, nothing written.
		var before []portfolio.Version
		admin.Get("/api/v1/portfolio/versions").JSON(t, &before)
		bad := strings.Join([]string{
			`"Parent ID number","ID number","Short name",Description,"Description format","Scale values","Scale configuration","Rule type (optional)","Rule outcome (optional)","Rule config (optional)","Cross-referenced competency ID numbers","Exported ID (optional)","Is framework",Taxonomy`,
			`,FW,Quadro,,1,"Base,Alto",,,,,,,1,`,
			`B,A,Uno,,1,,,,,,,,,`,
			`A,B,Due,,1,,,,,,,,,`,
			`X,C,,,1,"Sì,No",,,,,,,,`,
		}, "\n")
		res := admin.Do("POST", "/api/v1/portfolio/import?format=moodle", strings.NewReader(bad), http.Header{"Content-Type": {"text/csv"}})
		var prob struct {
			Code   string           `json:"code"`
			Errors []domain.Problem `json:"errors"`
		}
		res.JSON(t, &prob)
		if res.Status != http.StatusUnprocessableEntity || prob.Code != domain.EINVALID {
			t.Fatalf("bad moodle: %d %s", res.Status, res.Body)
		}
		reasons := ""
		for _, p := range prob.Errors {
			reasons += fmt.Sprintf("%d %s %s\n", p.Line, p.Field, p.Reason)
		}
		for _, w := range []string{"5 Short name missing title", "5 Scale values unknown scale values", "5 parent orphan", "cycle"} {
			if !strings.Contains(reasons, w) {
				t.Errorf("report lacks %q:\n%s", w, reasons)
			}
		}
		form := admin.PostForm("/portfolio/import", url.Values{"format": {"moodle"}, "content": {bad}})
		if form.Status != http.StatusUnprocessableEntity || !strings.Contains(form.Body, `id="problems"`) {
			t.Fatalf("bad upload page: %d", form.Status)
		}
		var after []portfolio.Version
		admin.Get("/api/v1/portfolio/versions").JSON(t, &after)
		if len(after) != len(before) {
			t.Fatal("a refused import wrote a version")
		}
		// CLI: export and import are the same service calls.
		dir := t.TempDir()
		file := filepath.Join(dir, "p.json")
		run := func(args ...string) error {
			c, rest, ok := app.FindCommand(args)
			if !ok {
				t.Fatalf("no command %v", args)
			}
			return c.Run(app.System(context.Background()), env.M, rest)
		}
		if err := run("export", "portfolio", "--format", "case", "--version", "ESD-PORTFOLIO:0.1", "--out", file); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(file)
		var pkg map[string]json.RawMessage
		if err := json.Unmarshal(b, &pkg); err != nil || pkg["CFItems"] == nil || pkg["CFRubrics"] == nil {
			t.Fatalf("CLI CASE export: %v", err)
		}
		env.Out.Reset()
		if err := run("import", "portfolio", "--format", "case", file); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(env.Out.String(), "importata la bozza ESD-PORTFOLIO 0.1-3") {
			t.Fatalf("CLI import output: %s", env.Out.String())
		}
		if err := run("import", "portfolio", "--format", "moodle", file); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("CLI import of a CASE file as Moodle: %v", err)
		}
		// The OpenAPI document lists the export as a file.
		res = analyst.Get("/api/v1/openapi.json")
		if !strings.Contains(res.Body, "/api/v1/portfolio/versions/{id}/export") || !strings.Contains(res.Body, "text/csv") {
			t.Fatal("openapi lacks the portfolio export")
		}
	})
}
