package catalogue

import (
	"bytes"
	"strings"
	"testing"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

const goodCSV = `provider_code;event_code;edition;title;description;type;subtype;fad_mode;modules;hours;interactive_hours;participants;credits;start_date;end_date;online;region;comune;venue;professions;objective;theme;cost;lines;state
PA1;IMP-1;1;Telemonitoraggio dei pazienti cronici;Corso pratico;RES;1;;;8;2;20;;10/03/2027;10/03/2027;no;090;048017;Aula;14.85:1.58;17;;0;L4.1.3:2;accredited
PA1;IMP-1;2;Telemonitoraggio dei pazienti cronici;Corso pratico;RES;1;;;8;2;20;;2027-04-10;2027-04-10;0;Toscana;048017;Aula;14.85:1.58;17;;0;L4.1.3:2;accredited
PB1;IMP-2;1;Il Fascicolo Sanitario Elettronico;FAD con tutor;1;11;online;;12;;500;18;2027-01-10;2027-03-10;sì;;;;99;35;;49,90;L3.1.1:1;closed
PB1;IMP-3;1;Percorso blended FSE e telemedicina;;BLENDED;;;RES:1:6+FAD:11:4:online;10;;40;;2027-02-01;2027-02-20;0;050;;;14;17;;0;;accredited
`

func TestImportCSVAllOrNothingAndIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		nat := as(domain.RoleNational, 0, 0)
		rep, err := f.s.ImportEvents(nat, "csv", strings.NewReader(goodCSV))
		if err != nil {
			t.Fatalf("%v %+v", err, rep.Problems)
		}
		if rep.Rows != 4 || rep.Events != 3 || rep.Created != 3 {
			t.Fatalf("report %+v", rep)
		}
		r, _ := f.s.Search(as(domain.RoleProfessional, 0, 0), Query{Text: "telemonitoraggio"})
		if r.Total != 2 { // two editions
			t.Fatalf("imported editions found: %d", r.Total)
		}
		rows, _, _ := f.s.ListEvents(nat, ListFilter{})
		var fse EventView
		for _, row := range rows {
			if row.Code == "IMP-2" {
				fse, _ = f.s.GetEvent(nat, row.ID)
			}
		}
		if !fse.AudienceAll || fse.CostCents != 4990 || fse.Credits != 18 || fse.State != StateClosed || !fse.Editions[0].Online || fse.Type != TypeFAD {
			t.Fatalf("FSE event %+v", fse.Event)
		}
		// Same file again: nothing changes.
		rep, err = f.s.ImportEvents(nat, "csv", strings.NewReader(goodCSV))
		if err != nil || rep.Unchanged != 3 || rep.Created+rep.Updated != 0 {
			t.Fatalf("re-import %+v %v", rep, err)
		}
		// Export and import the JSON into a fresh database: the same events.
		var js bytes.Buffer
		if err := f.s.ExportEvents(nat, "json", ExportFilter{}, &js); err != nil {
			t.Fatal(err)
		}
		var cs bytes.Buffer
		if err := f.s.ExportEvents(nat, "csv", ExportFilter{}, &cs); err != nil {
			t.Fatal(err)
		}
		if rep, err = f.s.ImportEvents(nat, "csv", bytes.NewReader(cs.Bytes())); err != nil || rep.Unchanged != 3 {
			t.Fatalf("CSV export re-imported: %+v %v\n%s", rep, err, cs.String())
		}
		g := setup(t, d)
		if rep, err = g.s.ImportEvents(nat, "json", bytes.NewReader(js.Bytes())); err != nil || rep.Created != 3 {
			t.Fatalf("JSON round trip: %+v %v\n%s", rep, err, js.String())
		}
		var n int
		_ = g.d.Read.QueryRow(`SELECT COUNT(*) FROM event_editions`).Scan(&n)
		if n != 4 {
			t.Fatalf("editions after JSON round trip: %d", n)
		}

		// A bad file: every bad row reported, nothing written.
		bad := strings.Join([]string{
			"provider_code;event_code;title;type;subtype;hours;participants;credits;start_date;end_date;region;professions;objective",
			"PA1;NEW-1;Buono;RES;1;8;20;;2027-05-10;2027-05-10;090;14;17",
			"PA1;NEW-2;Troppi crediti;RES;1;8;20;30;2027-05-10;2027-05-10;090;14;17",
			"PA1;NEW-3;Ore impossibili;RES;1;40;20;;2027-05-10;2027-05-10;090;14;17",
			"PA1;NEW-4;Professione ignota;RES;1;8;20;;2027-05-10;2027-05-10;090;31;17",
			"ZZZ;NEW-5;Provider ignoto;RES;1;8;20;;2027-05-10;2027-05-10;090;14;17",
			"PA1;NEW-6;Tipo ignoto;XYZ;1;8;20;;2027-05-10;2027-05-10;090;14;17",
			"PA1;NEW-7;Ore non numeriche;RES;1;otto;20;;2027-05-10;2027-05-10;090;14;17",
		}, "\n")
		rep, err = f.s.ImportEvents(nat, "csv", strings.NewReader(bad))
		e := domain.AsError(err)
		if e == nil || e.Code != domain.EINVALID {
			t.Fatalf("bad file: %v", err)
		}
		lines := map[int]bool{}
		for _, p := range e.Details {
			lines[p.Line] = true
		}
		for _, l := range []int{3, 4, 5, 6, 7, 8} {
			if !lines[l] {
				t.Errorf("line %d not reported: %+v", l, e.Details)
			}
		}
		if lines[2] {
			t.Errorf("good line 2 reported: %+v", e.Details)
		}
		_ = f.d.Read.QueryRow(`SELECT COUNT(*) FROM events WHERE code LIKE 'NEW-%'`).Scan(&n)
		if n != 0 {
			t.Fatalf("a failed import wrote %d events", n)
		}
	})
}

func TestImportByProviders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		file := "event_code;title;type;subtype;hours;participants;start_date;end_date;region;professions;objective\n" +
			"P-1;Televisita in cardiologia;RES;1;8;20;2027-05-10;2027-05-10;090;1;17\n"
		rep, err := f.s.ImportEvents(f.providerA(), "csv", strings.NewReader(file))
		if err != nil || rep.Created != 1 {
			t.Fatalf("%+v %v", rep, err)
		}
		rows, _, _ := f.s.ListEvents(f.providerA(), ListFilter{})
		if len(rows) != 1 || rows[0].State != StateDraft || rows[0].ProviderID != f.provA {
			t.Fatalf("provider import %+v", rows)
		}
		// Provider B cannot import into A's events, nor name A as provider.
		other := "provider_code;event_code;title;type;subtype;hours;participants;start_date;end_date;region;professions;objective\n" +
			"PA1;P-1;Cambiato;RES;1;8;20;2027-05-10;2027-05-10;090;1;17\n"
		if _, err := f.s.ImportEvents(f.providerB(), "csv", strings.NewReader(other)); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("provider B imports for A: %v", err)
		}
		// Providers cannot load accredited events.
		acc := "event_code;title;type;subtype;hours;participants;start_date;end_date;region;professions;objective;state\n" +
			"P-2;Televisita;RES;1;8;20;2027-05-10;2027-05-10;090;1;17;accredited\n"
		if _, err := f.s.ImportEvents(f.providerA(), "csv", strings.NewReader(acc)); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("provider loads accredited: %v", err)
		}
		if _, err := f.s.ImportEvents(as(domain.RoleProfessional, 0, 0), "csv", strings.NewReader(file)); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("professional imports: %v", err)
		}
	})
}

func TestAnalysisLikeTheProgramme(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := setup(t, d)
		nat := as(domain.RoleNational, 0, 0)
		mk := func(code, title, typ, start, theme string, lines ...string) {
			in := f.input(code)
			in.Title, in.Theme = title, theme
			in.Type = typ
			switch typ {
			case TypeFAD:
				in.SubType, in.FADMode = 10, FADOnline
			case TypeFSC:
				in.SubType = 6
			case TypeBlended:
				in.Modules = []Module{{Type: TypeRES, SubType: 1, Hours: 4}, {Type: TypeFAD, SubType: 10, Hours: 4}}
			}
			in.Editions = []Edition{{StartDate: start, EndDate: start, RegionID: f.regA}}
			in.Lines = nil
			for _, l := range lines {
				in.Lines = append(in.Lines, LineInput{Code: l, Level: 2})
			}
			in.State = StateClosed
			in.ProviderID = f.provA
			if _, err := f.s.CreateEvent(nat, in); err != nil {
				t.Fatalf("%s: %v", code, err)
			}
		}
		mk("A1", "Competenze DIGITALI per infermieri", TypeRES, "2023-03-01", "", "L1.3.1")
		mk("A2", "Il fascicolo sanitario elettronico", TypeFAD, "2024-03-01", "sanita_digitale", "L3.1.1")
		mk("A3", "Telemedicina e cronicità", TypeFSC, "2024-05-01", "", "L4.2.1")
		mk("A4", "Sanita' digitale in corsia", TypeBlended, "2024-06-01", "sanita_digitale")
		mk("A5", "Intelligenza artificiale in radiologia", TypeRES, "2024-07-01", "", "L6.1.1") // found only by line
		mk("A6", "Gestione del dolore", TypeRES, "2024-08-01", "")
		mk("A7", "Telemedicina nel 2022", TypeRES, "2022-08-01", "") // outside the period
		an, err := f.s.Analyse(nat, AnalysisQuery{From: "2023-01-01", To: "2024-12-31"})
		if err != nil {
			t.Fatal(err)
		}
		want := TypeCounts{Total: 4, RES: 1, FAD: 1, FSC: 1, Blended: 1}
		if an.Matched != want || an.Events.Total != 6 {
			t.Fatalf("matched %+v events %+v", an.Matched, an.Events)
		}
		kw := map[string]int{}
		for _, r := range an.ByKeyword {
			kw[r.Key] = r.Total
		}
		if kw["digitale"] != 2 || kw["fascicolo"] != 1 || kw["telemedicina"] != 1 || kw["sanità digitale"] != 1 {
			t.Fatalf("by keyword %+v", kw)
		}
		if len(an.ByTheme) != 1 || an.ByTheme[0].Total != 2 || !strings.Contains(an.ByTheme[0].Label, "2024") {
			t.Fatalf("themes %+v", an.ByTheme)
		}
		if an.Mapped.Total != 4 || an.MappedNotMatched.Total != 1 {
			t.Fatalf("mapped %+v not matched %+v", an.Mapped, an.MappedNotMatched)
		}
		var txt bytes.Buffer
		if err := an.WriteText(&txt); err != nil || !strings.Contains(txt.String(), "sanità digitale") {
			t.Fatalf("text: %v %s", err, txt.String())
		}
		var cs, xl bytes.Buffer
		if err := an.WriteCSV(&cs); err != nil || !strings.Contains(cs.String(), "sintesi;keywords;") {
			t.Fatalf("csv %v %s", err, cs.String())
		}
		if err := an.WriteXLSX(&xl); err != nil || !bytes.HasPrefix(xl.Bytes(), []byte("PK")) {
			t.Fatalf("xlsx %v", err)
		}
		// Configurable keywords.
		an, _ = f.s.Analyse(nat, AnalysisQuery{Keywords: []string{"intelligenza artificiale"}})
		if an.Matched.Total != 1 {
			t.Fatalf("custom keyword %+v", an.Matched)
		}
		if _, err := f.s.Analyse(as(domain.RoleProfessional, 0, 0), AnalysisQuery{}); domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Fatalf("professional analysis: %v", err)
		}
	})
}
