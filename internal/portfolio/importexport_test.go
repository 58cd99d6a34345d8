package portfolio

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

var (
	caseTimes  = regexp.MustCompile(`"lastChangeDateTime": "[^"]*"`)
	caseStatus = regexp.MustCompile(`"adoptionStatus": "[^"]*"`)
)

// normalise removes what legitimately differs between two exports of the same content
// made on different days of versions in different states: the CASE timestamps and
// adoption status (an import is always a draft).
func normalise(format string, b []byte) string {
	if format == FormatCASE {
		s := caseTimes.ReplaceAllString(string(b), `"lastChangeDateTime": "T"`)
		return caseStatus.ReplaceAllString(s, `"adoptionStatus": "S"`)
	}
	return string(b)
}

// Each format round-trips: export the default portfolio, import the file into a fresh
// database, export again: the two files are equal. Importing into the same database
// gives a new draft whose content equals the original (empty diff), and importing the
// same file twice changes nothing.
func TestRoundTripEveryFormat(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		src := newService(t, d, true)
		ctx := sysCtx()
		cur, _ := src.Current(ctx)
		for _, f := range Formats {
			t.Run(f, func(t *testing.T) {
				first, err := src.Export(ctx, cur.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				dst := newService(t, d, false)
				res, err := dst.Import(ctx, f, first.Data, first.Filename)
				if err != nil {
					t.Fatalf("import: %v %+v", err, domain.AsError(err))
				}
				if res.Dimensions != 6 || res.Areas != 16 || res.Lines != 140 || res.Version.State != StateDraft || !res.Version.Illustrative {
					t.Fatalf("import result: %+v", res)
				}
				second, err := dst.Export(ctx, res.Version.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				if a, b := normalise(f, first.Data), normalise(f, second.Data); a != b {
					t.Fatalf("%s does not round-trip:\n%s", f, firstDifference(a, b))
				}
				// Into the same database: a new draft with the next free label, same content.
				again, err := src.Import(ctx, f, first.Data, first.Filename)
				if err != nil {
					t.Fatal(err)
				}
				if again.Version.ID == cur.ID || again.Version.Version == cur.Version {
					t.Fatalf("re-import must be a new version with a new label: %+v", again.Version)
				}
				diff, err := src.Compare(ctx, cur.ID, again.Version.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !diff.Empty() {
					t.Fatalf("%s import differs from the original: %+v", f, diff)
				}
				// The same file again: nothing changes.
				n := countVersions(t, src)
				same, err := src.Import(ctx, f, first.Data, "renamed.file")
				if err != nil || !same.Unchanged || same.Version.ID != again.Version.ID || countVersions(t, src) != n {
					t.Fatalf("second import of the same file: %+v %v", same, err)
				}
			})
		}
	})
}

func countVersions(t *testing.T, s *Service) int {
	t.Helper()
	var n int
	if err := s.DB.Read.QueryRow(`SELECT COUNT(*) FROM framework_versions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return "line " + itoa(i+1) + ":\n- " + la[i] + "\n+ " + lb[i]
		}
	}
	return "lengths differ: " + itoa(len(la)) + " vs " + itoa(len(lb)) + " lines"
}

// A framework built in Moodle (Moodle's own export layout, its OECD example trimmed),
// four levels deep with a two-level branch, comes in by the documented mapping rule.
const moodleForeign = `"Parent ID number","ID number","Short name",Description,"Description format","Scale values","Scale configuration","Rule type (optional)","Rule outcome (optional)","Rule config (optional)","Cross-referenced competency ID numbers","Exported ID (optional)","Is framework",Taxonomy
,OECD-CORE,OECD,"<p>The Core Competencies.</p>",1,"Not yet competent,Competent","[{""scaleid"":""2""},{""id"":2,""scaledefault"":1,""proficient"":1}]",,,,,,1,"competency,competency,competency,competency"
,levels,Levels,"<p>Levels of the core competencies.</p>",1,,,,0,null,,1,,
levels,level-1,"Level 1","<p>Assistants and operators.</p>",1,,,,0,null,,2,,
,competencies,Competencies,,1,,,,0,null,,7,,
competencies,delivery,Delivery-related,"<p>Achieving results</p>",1,,,,0,null,,8,,
delivery,analytical-thinking,"Analytical Thinking","<p>Identify patterns.</p>",1,,,,0,null,,11,,
analytical-thinking,DR-AT1,"Distinguishes critical information","<p>Distinguishes between critical and irrelevant pieces of information</p>",1,,,,0,null,level-1,26,,
analytical-thinking,DR-AT-2,"Gathers information","<p>Gathers information from a variety of sources.</p>",1,,,,0,null,,27,,
delivery,drafting-skills,"Drafting Skills","<p>Writing.</p>",1,,,,0,null,,13,,
`

func TestImportForeignMoodleDeepHierarchy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d, false)
		res, err := s.Import(sysCtx(), FormatMoodle, []byte(moodleForeign), "oecd.csv")
		if err != nil {
			t.Fatalf("%v %+v", err, domain.AsError(err))
		}
		doc, _ := s.Document(sysCtx(), res.Version.ID)
		if doc.Framework.Code != "OECD-CORE" || doc.Framework.TitleIT != "OECD" || len(doc.Scale) != 2 || doc.Scale[1].Code != "competent" {
			t.Fatalf("framework: %+v scale %+v", doc.Framework, doc.Scale)
		}
		// levels → dimension; level-1 is a leaf under it → line of the generated ambito levels.G.
		// competencies → dimension; delivery → ambito; analytical-thinking is flattened: its two
		// leaves become lines of delivery with the path in the description; drafting-skills is a
		// leaf of delivery → line.
		if len(doc.Dimensions) != 2 {
			t.Fatalf("dimensions: %+v", doc.Dimensions)
		}
		lv := doc.Dimensions[0]
		if lv.Code != "levels" || len(lv.Areas) != 1 || lv.Areas[0].Code != "levels.G" || lv.Areas[0].Lines[0].Code != "level-1" {
			t.Fatalf("two-level branch: %+v", lv)
		}
		del := doc.Dimensions[1].Areas[0]
		if del.Code != "delivery" || len(del.Lines) != 3 {
			t.Fatalf("ambito delivery: %+v", del)
		}
		if del.Lines[0].Code != "DR-AT1" || !strings.HasPrefix(del.Lines[0].DescriptionIT, "Percorso: Analytical Thinking.") ||
			del.Lines[2].Code != "drafting-skills" {
			t.Fatalf("flattened lines: %+v", del.Lines)
		}
		if c := del.Lines[0].Crosswalks; len(c) != 1 || c[0].Scheme != "moodle" || c[0].Code != "level-1" {
			t.Fatalf("cross-reference: %+v", c)
		}
		if len(res.Notes) == 0 {
			t.Fatal("the import should explain the generated ambito")
		}
		// What came from Moodle goes back to Moodle and in again unchanged.
		out, err := s.Export(sysCtx(), res.Version.ID, FormatMoodle)
		if err != nil {
			t.Fatal(err)
		}
		s2 := newService(t, d, false)
		res2, err := s2.Import(sysCtx(), FormatMoodle, out.Data, "back.csv")
		if err != nil {
			t.Fatal(err)
		}
		out2, _ := s2.Export(sysCtx(), res2.Version.ID, FormatMoodle)
		if string(out.Data) != string(out2.Data) {
			t.Fatal(firstDifference(string(out.Data), string(out2.Data)))
		}
	})
}

// A CASE package from another publisher: items without humanCodingScheme, a two-level
// tree, an external exactMatchOf, no ESD scale.
const caseForeign = `{
 "CFDocument": {"identifier": "9a1e0000-0000-4000-8000-000000000001", "uri": "https://example.org/doc", "creator": "Example", "title": "Digital skills", "lastChangeDateTime": "2024-01-01T00:00:00Z", "version": "2024"},
 "CFItems": [
  {"identifier": "9a1e0000-0000-4000-8000-000000000002", "uri": "u2", "fullStatement": "Information literacy", "humanCodingScheme": "1", "lastChangeDateTime": "2024-01-01T00:00:00Z"},
  {"identifier": "9a1e0000-0000-4000-8000-000000000003", "uri": "u3", "fullStatement": "Browse and search for data", "lastChangeDateTime": "2024-01-01T00:00:00Z"},
  {"identifier": "9a1e0000-0000-4000-8000-000000000004", "uri": "u4", "fullStatement": "Evaluate data", "humanCodingScheme": "1.2", "lastChangeDateTime": "2024-01-01T00:00:00Z"}
 ],
 "CFAssociations": [
  {"identifier": "a1", "uri": "a1", "associationType": "isChildOf", "sequenceNumber": 1, "originNodeURI": {"title": "", "identifier": "9a1e0000-0000-4000-8000-000000000002", "uri": "u2"}, "destinationNodeURI": {"title": "", "identifier": "9a1e0000-0000-4000-8000-000000000001", "uri": "d"}, "lastChangeDateTime": "2024-01-01T00:00:00Z"},
  {"identifier": "a2", "uri": "a2", "associationType": "isChildOf", "sequenceNumber": 2, "originNodeURI": {"title": "", "identifier": "9a1e0000-0000-4000-8000-000000000003", "uri": "u3"}, "destinationNodeURI": {"title": "", "identifier": "9a1e0000-0000-4000-8000-000000000002", "uri": "u2"}, "lastChangeDateTime": "2024-01-01T00:00:00Z"},
  {"identifier": "a3", "uri": "a3", "associationType": "isChildOf", "sequenceNumber": 1, "originNodeURI": {"title": "", "identifier": "9a1e0000-0000-4000-8000-000000000004", "uri": "u4"}, "destinationNodeURI": {"title": "", "identifier": "9a1e0000-0000-4000-8000-000000000002", "uri": "u2"}, "lastChangeDateTime": "2024-01-01T00:00:00Z"},
  {"identifier": "a4", "uri": "a4", "associationType": "exactMatchOf", "originNodeURI": {"title": "", "identifier": "9a1e0000-0000-4000-8000-000000000004", "uri": "u4"}, "destinationNodeURI": {"title": "DigComp 1.2", "identifier": "x", "uri": "https://example.org/digcomp/1.2"}, "lastChangeDateTime": "2024-01-01T00:00:00Z"}
 ]
}`

func TestImportForeignCASE(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d, false)
		res, err := s.Import(sysCtx(), FormatCASE, []byte(caseForeign), "foreign.json")
		if err != nil {
			t.Fatalf("%v %+v", err, domain.AsError(err))
		}
		doc, _ := s.Document(sysCtx(), res.Version.ID)
		if doc.Framework.Version != "2024" || len(doc.Scale) != 4 {
			t.Fatalf("framework %+v scale %d", doc.Framework, len(doc.Scale))
		}
		a := doc.Dimensions[0].Areas[0]
		if a.Code != "1.G" || len(a.Lines) != 2 || a.Lines[0].Code != "1.2" || a.Lines[1].Code != "9a1e0000-0000-4000-8000-000000000003" {
			t.Fatalf("lines in sequence order with codes: %+v", a.Lines)
		}
		if c := a.Lines[0].Crosswalks; len(c) != 1 || c[0].Scheme != "case" || c[0].Relation != RelExact || c[0].Code != "https://example.org/digcomp/1.2" {
			t.Fatalf("crosswalk: %+v", c)
		}
		// Identifiers are kept: the export gives the item its original identifier back.
		out, _ := s.Export(sysCtx(), res.Version.ID, FormatCASE)
		if !strings.Contains(string(out.Data), "9a1e0000-0000-4000-8000-000000000004") {
			t.Fatal("the CASE export lost the imported identifiers")
		}
	})
}

type badCase struct {
	name, format, data string
	want               []string // substrings of the problems (reason, field or value)
	line               int      // expected line of the first problem, 0 = not checked
}

func moodleRows(rows ...string) string {
	return strings.Join(append([]string{strings.Join(moodleHeader, ",") + "\n" +
		",FW,Framework,,1,\"Base,Intermedio,Avanzato\",,,,,,,1,"}, rows...), "\n") + "\n"
}

func TestImportRefusesBadInput(t *testing.T) {
	def, _ := DefaultDocument()
	jsonWith := func(mut func(d *Document)) string {
		b, _ := json.Marshal(def)
		var d Document
		_ = json.Unmarshal(b, &d)
		mut(&d)
		out, _ := json.Marshal(d)
		return string(out)
	}
	cases := []badCase{
		{"moodle cycle", FormatMoodle, moodleRows(",D1,Dim,,1,,,,,,,,,", "C,A,Ambito,,1,,,,,,,,,", "A,B,Linea,,1,,,,,,,,,", "B,C,Altra,,1,,,,,,,,,"),
			[]string{"cycle", "A → C → B → A"}, 0},
		{"moodle orphan", FormatMoodle, moodleRows(",D1,Dim,,1,,,,,,,,,", "NOPE,L1,Linea,,1,,,,,,,,,"), []string{"orphan", "NOPE"}, 4},
		{"moodle duplicate id", FormatMoodle, moodleRows(",D1,Dim,,1,,,,,,,,,", ",D1,Altra,,1,,,,,,,,,"), []string{"duplicate identifier", "row 3"}, 4},
		{"moodle missing title", FormatMoodle, moodleRows(",D1,,,1,,,,,,,,,"), []string{"missing title"}, 3},
		{"moodle missing id", FormatMoodle, moodleRows(",,Titolo,,1,,,,,,,,,"), []string{"missing ID number"}, 3},
		{"moodle unknown scale values", FormatMoodle, moodleRows(",D1,Dim,,1,\"Yes,No\",,,,,,,,"), []string{"unknown scale values"}, 3},
		{"moodle scale config out of range", FormatMoodle, moodleRows(",D1,Dim,,1,,\"[{\"\"scaleid\"\":\"\"1\"\"},{\"\"id\"\":7,\"\"scaledefault\"\":1,\"\"proficient\"\":1}]\",,,,,,,"),
			[]string{"unknown scale value"}, 3},
		{"moodle unknown level in descriptors", FormatMoodle, moodleRows(",D1,Dim,,1,,,,,,,,,", "D1,A1,Amb,,1,,,,,,,,,",
			`A1,L1,Linea,"<ol class=""esd-levels""><li value=""9""><strong>X</strong>: <span class=""esd-it"">troppo alto</span></li></ol>",1,,,,,,,,,`),
			[]string{"unknown level"}, 5},
		{"moodle related unknown", FormatMoodle, moodleRows(",D1,Dim,,1,,,,,,ZZZ,,,"), []string{"ZZZ", "cross-reference"}, 3},
		{"moodle no framework row", FormatMoodle, strings.Join(moodleHeader, ",") + "\n,D1,Dim,,1,,,,,,,,,\n", []string{"no framework row"}, 0},
		{"moodle two framework rows", FormatMoodle, moodleRows(",FW2,Altro,,1,\"A,B\",,,,,,,1,"), []string{"second framework row"}, 3},
		{"moodle not a moodle file", FormatMoodle, "a,b,c\n1,2,3\n", []string{"not a Moodle competency framework"}, 1},
		{"moodle malformed csv", FormatMoodle, moodleRows(`,D1,"Dim,,1,,,,,,,,,`), []string{"malformed CSV"}, 0},
		{"case cycle", FormatCASE, caseDoc(`[{"identifier":"i1","fullStatement":"A"},{"identifier":"i2","fullStatement":"B"}]`,
			`[`+isChild("i1", "i2")+`,`+isChild("i2", "i1")+`]`), []string{"cycle"}, 0},
		{"case two parents", FormatCASE, caseDoc(`[{"identifier":"i1","fullStatement":"A"},{"identifier":"i2","fullStatement":"B"},{"identifier":"i3","fullStatement":"C"}]`,
			`[`+isChild("i1", "doc")+`,`+isChild("i2", "doc")+`,`+isChild("i3", "i1")+`,`+isChild("i3", "i2")+`]`), []string{"more than one parent"}, 0},
		{"case orphan parent", FormatCASE, caseDoc(`[{"identifier":"i1","fullStatement":"A"}]`, `[`+isChild("i1", "ghost")+`]`), []string{"orphan", "ghost"}, 0},
		{"case no parent", FormatCASE, caseDoc(`[{"identifier":"i1","fullStatement":"A"},{"identifier":"i2","fullStatement":"B"}]`, `[`+isChild("i1", "doc")+`]`),
			[]string{"no isChildOf", "i2"}, 0},
		{"case duplicate identifier", FormatCASE, caseDoc(`[{"identifier":"i1","fullStatement":"A"},{"identifier":"i1","fullStatement":"B"}]`, `[`+isChild("i1", "doc")+`]`),
			[]string{"duplicate identifier"}, 0},
		{"case missing statement", FormatCASE, caseDoc(`[{"identifier":"i1","fullStatement":""}]`, `[`+isChild("i1", "doc")+`]`), []string{"missing fullStatement"}, 0},
		{"case unknown level", FormatCASE, strings.Replace(caseDoc(`[{"identifier":"i1","fullStatement":"A"},{"identifier":"i2","fullStatement":"B"},{"identifier":"i3","fullStatement":"C"}]`,
			`[`+isChild("i1", "doc")+`,`+isChild("i2", "i1")+`,`+isChild("i3", "i2")+`]`), `"CFRubrics":[]`,
			`"CFRubrics":[{"identifier":"r","uri":"r","lastChangeDateTime":"t","CFRubricCriteria":[{"identifier":"c","uri":"c","lastChangeDateTime":"t","CFItemURI":{"title":"","identifier":"i3","uri":""},"CFRubricCriterionLevels":[{"identifier":"l","uri":"l","lastChangeDateTime":"t","score":7,"description":"x"}]}]}]`, 1),
			[]string{"unknown level"}, 0},
		{"case criterion on unknown item", FormatCASE, strings.Replace(caseDoc(`[{"identifier":"i1","fullStatement":"A"}]`, `[`+isChild("i1", "doc")+`]`), `"CFRubrics":[]`,
			`"CFRubrics":[{"identifier":"r","uri":"r","lastChangeDateTime":"t","CFRubricCriteria":[{"identifier":"c","uri":"c","lastChangeDateTime":"t","CFItemURI":{"title":"","identifier":"zz","uri":""}}]}]`, 1),
			[]string{"not in the package"}, 0},
		{"case not a package", FormatCASE, `{"hello": 1}`, []string{"not a CASE package"}, 0},
		{"case malformed", FormatCASE, "{\n\"CFDocument\": {,\n}", []string{"malformed JSON"}, 2},
		{"json unknown level", FormatJSON, jsonWith(func(d *Document) { d.Dimensions[0].Areas[0].Lines[0].Levels[0].Level = 5 }),
			[]string{"unknown level", "dimensions[0].ambiti[0].lines[0].levels[0].level"}, 0},
		{"json duplicate code", FormatJSON, jsonWith(func(d *Document) { d.Dimensions[1].Areas[0].Lines[0].Code = "D1.A1.L01" }), []string{"duplicate code"}, 0},
		{"json missing title", FormatJSON, jsonWith(func(d *Document) { d.Dimensions[2].TitleIT = "" }), []string{"missing Italian title", "dimensions[2].title_it"}, 0},
		{"json unknown ecm objective", FormatJSON, jsonWith(func(d *Document) { d.Dimensions[0].Areas[0].Lines[0].Crosswalks[0].Code = "99" }),
			[]string{"unknown ECM national objective"}, 0},
		{"json bad relation", FormatJSON, jsonWith(func(d *Document) { d.Dimensions[0].Areas[0].Lines[0].Crosswalks[0].Relation = "similar" }),
			[]string{"unknown relation"}, 0},
		{"json scale gap", FormatJSON, jsonWith(func(d *Document) { d.Scale[2].Level = 7 }), []string{"numbered 1, 2, 3"}, 0},
		{"json unknown field", FormatJSON, `{"format":"esd-portfolio","format_version":1,"framework":{"code":"X","version":"1","title_it":"t","colour":"red"}}`,
			[]string{"unknown field", "colour"}, 0},
		{"json malformed", FormatJSON, "{\n \"format\": \"esd-portfolio\",\n \"scale\": [1,,2]\n}", []string{"malformed JSON"}, 3},
		{"json not ours", FormatJSON, `{"format":"other","format_version":1}`, []string{"not an ESD portfolio"}, 0},
	}
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		s := newService(t, d, true)
		before := countVersions(t, s)
		var items int
		_ = s.DB.Read.QueryRow(`SELECT COUNT(*) FROM framework_items`).Scan(&items)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.Import(sysCtx(), c.format, []byte(c.data), "bad")
				e := domain.AsError(err)
				if e == nil || e.Code != domain.EINVALID || len(e.Details) == 0 {
					t.Fatalf("want EINVALID with details, got %v", err)
				}
				all := ""
				for _, p := range e.Details {
					all += p.Field + " | " + p.Reason + " | " + p.Value + "\n"
				}
				for _, w := range c.want {
					if !strings.Contains(all, w) {
						t.Errorf("report lacks %q:\n%s", w, all)
					}
				}
				if c.line > 0 && e.Details[0].Line != c.line {
					t.Errorf("first problem at line %d, want %d:\n%s", e.Details[0].Line, c.line, all)
				}
			})
		}
		var after int
		_ = s.DB.Read.QueryRow(`SELECT COUNT(*) FROM framework_items`).Scan(&after)
		if countVersions(t, s) != before || after != items {
			t.Fatal("a failed import wrote something")
		}
	})
}

func caseDoc(items, assocs string) string {
	items = regexp.MustCompile(`"identifier":"(i\d)"`).ReplaceAllString(items, `"identifier":"$1","uri":"u-$1","lastChangeDateTime":"t"`)
	return `{"CFDocument":{"identifier":"doc","uri":"d","creator":"c","title":"Doc","lastChangeDateTime":"t"},"CFItems":` + items +
		`,"CFAssociations":` + assocs + `,"CFRubrics":[]}`
}

func isChild(child, parent string) string {
	return `{"identifier":"a-` + child + `-` + parent + `","uri":"a","associationType":"isChildOf","lastChangeDateTime":"t",` +
		`"originNodeURI":{"title":"","identifier":"` + child + `","uri":""},"destinationNodeURI":{"title":"","identifier":"` + parent + `","uri":""}}`
}

func TestCodeOrderAndSlug(t *testing.T) {
	if !codeLess("D2", "D10") || !codeLess("D1.A1.L02", "D1.A1.L10") || codeLess("D1.A2", "D1.A1") {
		t.Fatal("natural code order")
	}
	if slug("Non ancora competente") != "non-ancora-competente" || slug("Specialistico") != "specialistico" {
		t.Fatal(slug("Non ancora competente"))
	}
	if !isUUID(uuid5("x")) || uuid5("x") != uuid5("x") || uuid5("x") == uuid5("y") || uuid5("x")[14] != '5' {
		t.Fatal("uuid5")
	}
}
