package registry

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"esd/internal/cf"
	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/domain"
)

const header = "codice_fiscale;cognome;nome;email;professione;disciplina;regione;azienda;rapporto;setting;ruolo\n"

func importString(t *testing.T, s *Service, ctx context.Context, body string, opts ...ImportOptions) (ImportResult, error) {
	t.Helper()
	var o ImportOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return s.ImportProfessionals(ctx, strings.NewReader(body), o)
}

// problem finds a problem of the report at line with a reason containing want.
func problem(t *testing.T, err error, line int, field, want string) {
	t.Helper()
	e := domain.AsError(err)
	if e == nil || e.Code != domain.EINVALID {
		t.Fatalf("want an EINVALID report, got %v", err)
	}
	for _, p := range e.Details {
		if p.Line == line && (field == "" || p.Field == field) && strings.Contains(p.Reason, want) {
			return
		}
	}
	t.Fatalf("no problem at line %d %s …%s…; report: %s: %+v", line, field, want, e.Message, e.Details)
}

func TestImportAndReimport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		c1 := code(t, "Rossi", "Maria", 1980, 4, 4, "F", "D612")
		c2 := code(t, "Lucchesi", "Niccolò", 1965, 10, 20, "M", "E715")
		c3 := code(t, "Ferri", "Carla", 1990, 2, 2, "F", "G702")
		om3, _ := cf.Omocode(c3, 1)
		body := "\uFEFF" + header +
			c1 + ";Rossi;Maria;maria.rossi@example.it;14;85;090;090201;dipendente;ospedale;coordinatore\n" +
			c2 + ";Lucchesi;Niccolò;;1.58:14.85;;Toscana;;convenzionato;cure primarie;\n" +
			strings.ToLower(om3) + ";Ferri;Carla;;Farmacista;Farmacia territoriale;IT-52;;libero professionista;farmacia;\n" +
			";;;;;;;;;;\n"
		res, err := importString(t, s, f.national, body)
		if err != nil {
			t.Fatalf("%v %+v", err, res)
		}
		if res.Rows != 3 || res.Created != 3 || res.Updated != 0 || !res.Applied || res.Encoding != EncodingUTF8 || res.Separator != ";" {
			t.Fatalf("result %+v", res)
		}
		p, err := s.ProfessionalByCF(f.national, c2)
		if err != nil || p.GivenName != "Niccolò" || len(p.Professions) != 2 || p.OrganisationID != 0 || p.CareSetting != "territorio" {
			t.Fatalf("row 2: %+v %v", p, err)
		}
		p3, err := s.ProfessionalByCF(f.national, c3)
		if err != nil || p3.CFDisplay != om3 || p3.CF != c3 || p3.Professions[0].Discipline != 67 {
			t.Fatalf("row 3: %+v %v", p3, err)
		}
		audits := count(t, s, `SELECT COUNT(*) FROM audit_log`)
		if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE entity = 'professional' AND action = 'create'`); n != 3 {
			t.Errorf("create audit entries: %d", n)
		}
		// The same file again changes nothing and writes nothing, not even to the audit trail.
		res, err = importString(t, s, f.national, body)
		if err != nil || res.Unchanged != 3 || res.Created+res.Updated != 0 || res.Applied {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		if count(t, s, `SELECT COUNT(*) FROM audit_log`) != audits {
			t.Error("re-import wrote audit entries")
		}
		// A changed row is updated (and audited with before and after); a file without the
		// email and role columns keeps them.
		body2 := "codice_fiscale,cognome,nome,professione,disciplina,regione,azienda,rapporto,setting\n" +
			c1 + ",Rossi,Maria,14,85,090,090904,dipendente,ospedale\n" +
			c2 + ",Lucchesi,Niccolò,1.58:14.85,,Toscana,,convenzionato,territorio\n"
		res, err = importString(t, s, f.national, body2)
		if err != nil || res.Updated != 1 || res.Unchanged != 1 || res.Separator != "," {
			t.Fatalf("update import: %+v %v", res, err)
		}
		p1, _ := s.ProfessionalByCF(f.national, c1)
		if p1.OrganisationID != f.hospA.ID || p1.Email != "maria.rossi@example.it" || p1.JobRole != "coordinatore" {
			t.Fatalf("updated row: %+v", p1)
		}
		var before, after string
		if err := s.DB.Read.QueryRow(`SELECT before_json, after_json FROM audit_log WHERE action = 'update' AND entity = 'professional'`).Scan(&before, &after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, itoa(f.aslA.ID)) || !strings.Contains(after, itoa(f.hospA.ID)) {
			t.Errorf("audit %s → %s", before, after)
		}
	})
}

func TestImportWindows1252(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		c := code(t, "Mazzà", "Nicolò", 1970, 1, 1, "M", "D612")
		row := "CODICE FISCALE,Cognome,Nome,Professione,Disciplina,Regione,Rapporto,Setting\r\n" + c + ",Mazzà,Nicolò,14,85,90,dipendente,ospedale\r\n"
		var b []byte
		for _, r := range row { // Latin-1 range: Windows-1252 bytes are the code points
			b = append(b, byte(r))
		}
		b = append(b, []byte(code(t, "Dell’Orto", "Zoë", 1971, 1, 1, "F", "D612")+",Dell")...)
		b = append(b, 0x92) // Windows-1252 right single quote
		b = append(b, []byte("Orto,Zo")...)
		b = append(b, 0xEB)
		b = append(b, []byte(",14,85,90,dipendente,ospedale\r\n")...)
		res, err := f.s.ImportProfessionals(f.national, bytes.NewReader(b), ImportOptions{})
		if err != nil || res.Encoding != EncodingWin1252 || res.Created != 2 {
			t.Fatalf("%+v %v", res, err)
		}
		p, _ := f.s.ProfessionalByCF(f.national, c)
		if p.FamilyName != "Mazzà" || p.GivenName != "Nicolò" {
			t.Fatalf("decoded %q %q", p.FamilyName, p.GivenName)
		}
		pg, _ := f.s.ListProfessionals(f.national, ProfessionalFilter{Query: "zoe"})
		if len(pg.Items) != 1 || pg.Items[0].FamilyName != "Dell’Orto" {
			t.Fatalf("decoded %+v", pg.Items)
		}
	})
}

// Every case of issue 2's "Bad input" list for CSV files, plus the other ways a file goes
// wrong: each gets a clear error naming the problem, and nothing is written.
func TestImportBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		good := code(t, "Rossi", "Maria", 1980, 4, 4, "F", "D612")
		other := code(t, "Neri", "Gino", 1981, 5, 5, "M", "D612")
		ok := func(cf, fam, giv string) string {
			return cf + ";" + fam + ";" + giv + ";;14;85;090;;dipendente;ospedale;\n"
		}
		for name, tc := range map[string]struct {
			body        []byte
			line        int
			field, want string
		}{
			"utf-16":         {append([]byte{0xFF, 0xFE}, []byte("c\x00f\x00")...), 1, "file", "UTF-16"},
			"nul bytes":      {[]byte(header + "R\x00S\x00S\n"), 2, "file", "NUL"},
			"xlsx":           {[]byte("PK\x03\x04rest"), 1, "file", "Excel"},
			"mixed utf-8":    {[]byte(header + ok(good, "Rossi", "Mària") + ok(other, "Neri", "Gin\xe0")), 3, "file", "not valid UTF-8"},
			"mixed cp1252":   {[]byte(header + ok(good, "Rossi", "M\xe0ria") + ok(other, "Neri", "Ginò")), 3, "file", "mixes encodings"},
			"undefined":      {[]byte(header + ok(good, "Rossi", "M\x81ria")), 2, "file", "0x81"},
			"empty":          {[]byte(""), 0, "file", "empty"},
			"missing cols":   {[]byte("codice_fiscale;nome;email\n" + good + ";Maria;\n"), 1, "file", "missing columns: cognome, professione (or professioni), rapporto, setting, regione (or azienda)"},
			"duplicate col":  {[]byte("cf;codice fiscale;cognome\n"), 1, "file", "same column"},
			"10 MB line":     {[]byte(header + good + ";Rossi;" + strings.Repeat("M", 10<<20) + ";;14;85;090;;dipendente;ospedale;\n"), 2, "file", "longer than"},
			"bad quotes":     {[]byte(header + good + ";\"Rossi;Maria;;14;85;090;;dipendente;ospedale;\n"), 2, "file", "quote"},
			"formula name":   {[]byte(header + ok(good, `"=HYPERLINK(""http://x"";""Rossi"")"`, "Maria")), 2, "cognome", "formula"},
			"formula +":      {[]byte(header + ok(good, "Rossi", "+39123")), 2, "nome", "formula"},
			"formula @":      {[]byte(header + ok(good, "@SUM(1)", "Maria")), 2, "cognome", "formula"},
			"formula -":      {[]byte(header + ok(good, "-2+3", "Maria")), 2, "cognome", "formula"},
			"same cf twice":  {[]byte(header + ok(good, "Rossi", "Maria") + ok(other, "Neri", "Gino") + ok(strings.ToLower(good), "Rossi", "Maria")), 4, "codice_fiscale", "also on line 2"},
			"invalid cf":     {[]byte(header + ok("RSSMRA85T10A562T", "Rossi", "Mario")), 2, "codice_fiscale", "wrong check character"},
			"unknown pair":   {[]byte(header + good + ";Rossi;Maria;;14;58;090;;dipendente;ospedale;\n"), 2, "professione", "not a discipline of profession 14"},
			"unknown prof":   {[]byte(header + good + ";Rossi;Maria;;99;;090;;dipendente;ospedale;\n"), 2, "professione", "unknown profession"},
			"field count":    {[]byte(header + good + ";Rossi;Maria\n"), 2, "file", "3 fields, but the header has 11"},
			"region":         {[]byte(header + good + ";Rossi;Maria;;14;85;Atlantide;;dipendente;ospedale;\n"), 2, "regione", "unknown region"},
			"org":            {[]byte(header + good + ";Rossi;Maria;;14;85;090;999999;dipendente;ospedale;\n"), 2, "azienda", "unknown organisation"},
			"org region":     {[]byte(header + good + ";Rossi;Maria;;14;85;090;050501;dipendente;ospedale;\n"), 2, "azienda", "is in Veneto"},
			"employment":     {[]byte(header + good + ";Rossi;Maria;;14;85;090;;volontario;ospedale;\n"), 2, "rapporto", "unknown value"},
			"excel sep line": {[]byte("sep=,\r\n" + strings.ReplaceAll(header, ";", ",") + strings.ReplaceAll(ok(good, "Rossi", "=M"), ";", ",")), 3, "nome", "formula"},
		} {
			t.Run(name, func(t *testing.T) {
				res, err := s.ImportProfessionals(f.national, bytes.NewReader(tc.body), ImportOptions{})
				problem(t, err, tc.line, tc.field, tc.want)
				if res.Applied || count(t, s, `SELECT COUNT(*) FROM professionals`) != 0 {
					t.Fatal("something was written")
				}
			})
		}
		// Both lines of a duplicate are reported, and every bad row of a file at once.
		body := header + ok(good, "Rossi", "Maria") + ok("XXX", "=1", "Gino") + ok(good, "Rossi", "Maria") + ok(other, "Neri", "Gino")
		res, err := importString(t, s, f.national, body)
		problem(t, err, 2, "codice_fiscale", "also on line 4")
		problem(t, err, 4, "codice_fiscale", "also on line 2")
		problem(t, err, 3, "codice_fiscale", "16 characters")
		problem(t, err, 3, "cognome", "formula")
		if res.Rejected != 3 || res.Rows != 4 || !strings.Contains(domain.ErrorMessage(err), "3 of 4 rows") {
			t.Fatalf("report %+v: %v", res, err)
		}
		// Partial: the good row goes in, the bad ones are reported.
		res, err = importString(t, s, f.national, body, ImportOptions{Partial: true})
		if err != nil || res.Created != 1 || res.Rejected != 3 || len(res.Problems) != 4 {
			t.Fatalf("partial: %+v %v", res, err)
		}
	})
}

func TestImportScopeAndDryRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		tos := code(t, "Rossi", "Maria", 1980, 4, 4, "F", "D612")
		ven := code(t, "Zanin", "Bepi", 1970, 1, 1, "M", "L736")
		// A regional referent: their region's rows only; the region column may be left out.
		body := "codice_fiscale;cognome;nome;professione;rapporto;setting;regione\n" + tos + ";Rossi;Maria;14;dipendente;ospedale;\n" + ven + ";Zanin;Bepi;14;dipendente;ospedale;Veneto\n"
		_, err := importString(t, s, f.regional, body)
		problem(t, err, 3, "regione", "outside your region")
		res, err := importString(t, s, f.regional, body, ImportOptions{DryRun: true, Partial: true})
		if err != nil || res.Created != 1 || res.Applied || count(t, s, `SELECT COUNT(*) FROM professionals`) != 0 {
			t.Fatalf("dry run: %+v %v", res, err)
		}
		if _, err := importString(t, s, f.regional, "codice_fiscale;cognome;nome;professione;rapporto;setting\n"+tos+";Rossi;Maria;14;dipendente;ospedale\n"); err != nil {
			t.Fatal(err)
		}
		// An organisation: its own staff; the azienda column may be left out.
		c2 := code(t, "Bruni", "Paolo", 1975, 6, 6, "M", "D612")
		body = "codice_fiscale;cognome;nome;professione;rapporto;setting;azienda\n" + c2 + ";Bruni;Paolo;14;dipendente;ospedale;\n" +
			code(t, "Galli", "Ugo", 1975, 6, 6, "M", "D612") + ";Galli;Ugo;14;dipendente;ospedale;090904\n"
		_, err = importString(t, s, f.organisation, body)
		problem(t, err, 3, "azienda", "not your organisation")
		// Someone already registered elsewhere cannot be taken over by a file.
		if _, err := s.CreateProfessional(f.national, nurse(ven, "Zanin", "Bepi", veneto, f.aslB.ID)); err != nil {
			t.Fatal(err)
		}
		_, err = importString(t, s, f.organisation, "codice_fiscale;cognome;nome;professione;rapporto;setting\n"+ven+";Zanin;Bepi;14;dipendente;ospedale\n")
		problem(t, err, 2, "codice_fiscale", "outside your scope")
		res, err = importString(t, s, f.organisation, "codice_fiscale;cognome;nome;professione;rapporto;setting\n"+c2+";Bruni;Paolo;14;dipendente;ospedale\n")
		if err != nil || res.Created != 1 {
			t.Fatalf("organisation import: %+v %v", res, err)
		}
		p, _ := s.ProfessionalByCF(f.national, c2)
		if p.OrganisationID != f.aslA.ID || p.RegionID != toscana {
			t.Fatalf("organisation import put %+v", p)
		}
		// Roles without write access.
		for _, ctx := range []context.Context{f.provider, f.analyst, context.Background()} {
			_, err := importString(t, s, ctx, body)
			if c := domain.ErrorCode(err); c != domain.EFORBIDDEN && c != domain.EUNAUTHORIZED {
				t.Errorf("import by %v: %v", domain.ActorFrom(ctx).Role, err)
			}
		}
	})
}

func TestImportPairsFormats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		f := newFixture(t, d)
		s := f.s
		c1 := code(t, "Uno", "Ada", 1980, 1, 1, "F", "D612")
		c2 := code(t, "Due", "Bea", 1980, 1, 1, "F", "D612")
		c3 := code(t, "Tre", "Cia", 1980, 1, 1, "F", "D612")
		body := "codice_fiscale;cognome;nome;professioni;professione;disciplina;professione_2;disciplina_2;regione;rapporto;setting\n" +
			c1 + ";Uno;Ada;1.58:14.85;;;;;90;convenzionato;territorio\n" +
			c2 + ";Due;Bea;;Medico chirurgo;Pediatria (pediatri di libera scelta);5;78;90;convenzionato;territorio\n" +
			c3 + ";Tre;Cia;1/60|12;;;;;90;convenzionato;territorio\n"
		res, err := importString(t, s, f.national, body)
		if err != nil || res.Created != 3 {
			t.Fatalf("%+v %v", res, err)
		}
		want := map[string]string{c1: "1.58 14.85", c2: "1.60 5.78", c3: "1.60 12.82"}
		for c, w := range want {
			p, _ := s.ProfessionalByCF(f.national, c)
			if got := snapshotOf(p).Professions; got != w {
				t.Errorf("%s: %s, want %s", c, got, w)
			}
		}
	})
}

// Reasons come in the caller's language: Italian unless English is asked for, and every
// English message of the registry and of package cf has an Italian wording.
func TestImportReportInItalian(t *testing.T) {
	f := newFixture(t, db.SQLite)
	it := domain.WithActor(context.Background(), domain.ActorFrom(f.national))
	body := header + "RSSMRA85T10A562T;=Rossi;Mario;;14;58;Atlantide;;volontario;ospedale;\n" + "RSSMRA85T10A562S;Rossi;Mario;;14;85;090;;dipendente;ospedale;\n" +
		"rssmra85t10a562s;Rossi;Mario;;14;85;090;;dipendente;ospedale;\n"
	_, err := f.s.ImportProfessionals(it, strings.NewReader(body), ImportOptions{})
	e := domain.AsError(err)
	if e == nil || !strings.Contains(e.Message, "righe con problemi: 3 su 3") {
		t.Fatalf("%v", err)
	}
	var all []string
	for _, p := range e.Details {
		all = append(all, p.Reason)
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{"carattere di controllo errato", "foglio di calcolo", "non è una disciplina della professione", "regione sconosciuta", "valore sconosciuto", "anche alla riga"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	_, err = f.s.ImportProfessionals(it, strings.NewReader("nome\nx\n"), ImportOptions{})
	if !strings.Contains(domain.ErrorMessage(err), "colonne mancanti") {
		t.Errorf("file error: %v", err)
	}
	for en := range italian {
		if strings.Count(en, "%") != strings.Count(italian[en], "%") {
			t.Errorf("%q and its Italian %q differ in arguments", en, italian[en])
		}
	}
}
