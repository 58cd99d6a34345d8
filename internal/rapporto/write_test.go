package rapporto_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"esd/internal/cf"
	"esd/internal/domain"
	"esd/internal/rapporto"
	"esd/internal/rapporto/rapportotest"
)

func sampleReport() rapporto.Report {
	return rapporto.Report{Format: "xml",
		Event: &rapporto.Event{Code: "ECM-7781", Edition: 2, ProviderCode: "5012", AccreditorCode: "050", Start: "2026-03-02", End: "2026-03-20",
			Credits: 12.3, Hours: 8, Type: 4, ModuleFAD: true, ModuleRES: true, Audience: "P", Objective: 17, Participants: 3, Subtype: 11},
		Participants: []rapporto.Participant{
			{CF: "NCLCHR82S44F205B", GivenName: "Chiara Élodie", FamilyName: "Nicolò", Role: "P", Employment: "D", Credits: 12.3, AcquiredOn: "2026-03-20",
				Professions: []rapporto.Profession{{Code: 1, Disciplines: []int{58, 26}}, {Code: 14, Disciplines: []int{85}}}},
			{CF: "DNGLCU69L30F839V", GivenName: "Luca", FamilyName: "D’Angelo Straße", Role: "D", Employment: "L", Recruited: true,
				Sponsor: "Società Benefit & Figli (Italia) S.r.l.", Credits: 4, AcquiredOn: "2026-03-19",
				Professions: []rapporto.Profession{{Code: 4, Disciplines: []int{30}}}},
			{CF: "FRRLCU87P55A944Z", GivenName: "Lucía", FamilyName: "Ferrari-Ødegård", Role: "T", Employment: "P", Credits: 0.5, AcquiredOn: "2026-03-20",
				Professions: []rapporto.Profession{{Code: 2, Disciplines: []int{1}}}},
		}}
}

func TestWriteXMLValidatesAndRoundTrips(t *testing.T) {
	rep := sampleReport()
	var buf bytes.Buffer
	if err := rapporto.WriteXML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	rapportotest.Xmllint(t, out)

	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`)) {
		t.Fatalf("declaration: %q", out[:60])
	}
	for i, c := range out {
		if c >= 0x80 {
			t.Fatalf("byte %d is %#x: the writer must emit ASCII-only ISO-8859-1", i, c)
		}
	}
	s := string(out)
	// Attributes in XSD order, credits as NN.N, transliterated names and sponsor.
	for _, want := range []string{
		`<evento cod_evento="ECM-7781" cod_edi="2" cod_org="5012" cod_accr="050" data_ini="2026-03-02" data_fine="2026-03-20" crediti="12.3" ore="8" tipo_form="4" modulo_fad="1" modulo_fsc="0" modulo_res="1" tipo_eve="P" cod_obi="17" num_part="3" cod_tipologia_form="11">`,
		`<partecipante cod_fisc="NCLCHR82S44F205B" nome="Chiara Elodie" cognome="Nicolo" ruolo="P" lib_dip="D" part_reclutato="0" cred_acq="12.3" data_acq="2026-03-20">`,
		`nome="Luca" cognome="D'Angelo Strasse" ruolo="D" lib_dip="L" part_reclutato="1" sponsor="Societa Benefit e Figli (Italia) S.r.l." cred_acq="4.0"`,
		`nome="Lucia" cognome="Ferrari-Odegard"`, `cred_acq="0.5"`,
		"<professione cod_prof=\"1\">\r\n        <disciplina>58</disciplina>\r\n        <disciplina>26</disciplina>",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s\n%s", want, s)
		}
	}

	back, err := rapporto.Parser{Lang: "en"}.ParseXML(bytes.NewReader(out), "written.xml")
	if err != nil {
		t.Fatal(err)
	}
	ev := *back.Event
	ev.Line = 0
	if ev != *rep.Event {
		t.Fatalf("event back = %+v\nwant %+v", ev, *rep.Event)
	}
	for i := range rep.Participants {
		want := rep.Participants[i]
		want.GivenName, want.FamilyName = rapporto.Transliterate(want.GivenName), rapporto.Transliterate(want.FamilyName)
		if want.Sponsor != "" {
			want.Sponsor = "Societa Benefit e Figli (Italia) S.r.l."
		}
		got := back.Participants[i]
		if got.Line == 0 {
			t.Errorf("participant %d has no line", i)
		}
		got.Line = 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("participant %d back = %+v\nwant %+v", i, got, want)
		}
	}
}

// TestWriteXMLOmitsOptional: no edition, no modules for a single-type event, no sponsor.
func TestWriteXMLOmitsOptional(t *testing.T) {
	rep := sampleReport()
	rep.Event.Edition, rep.Event.Type, rep.Event.ModuleFAD, rep.Event.ModuleRES, rep.Event.Subtype = 0, 1, false, false, 1
	rep.Participants[1].Sponsor = ""
	var buf bytes.Buffer
	if err := rapporto.WriteXML(&buf, rep); err != nil {
		t.Fatal(err)
	}
	rapportotest.Xmllint(t, buf.Bytes())
	for _, no := range []string{"cod_edi", "modulo_", "sponsor"} {
		if strings.Contains(buf.String(), no) {
			t.Errorf("output has %s", no)
		}
	}
}

func TestWriteXMLRefusesInvalid(t *testing.T) {
	rep := sampleReport()
	rep.Event.Credits = 51
	rep.Event.AccreditorCode = "5"
	rep.Participants[0].GivenName = "李"
	rep.Participants[1].CF = rep.Participants[0].CF
	rep.Participants[2].Role = "X"
	rep.Participants[2].Professions[0].Disciplines = []int{1, 1}
	var buf bytes.Buffer
	err := rapporto.WriteXML(&buf, rep)
	e := domain.AsError(err)
	if e == nil || e.Code != domain.EINVALID {
		t.Fatalf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("wrote %d bytes of a refused report", buf.Len())
	}
	for _, w := range []struct {
		line          int
		field, reason string
	}{{0, "crediti", "at most 50"}, {0, "cod_accr", "3 digits"}, {1, "nome", "empty"}, {2, "cod_fisc", "listed twice"}, {3, "ruolo", "one of"}, {3, "disciplina", "repeated"}} {
		if !hasProblem(e.Details, want{w.line, w.field, w.reason}) {
			t.Errorf("missing %+v in\n%s", w, dump(e.Details))
		}
	}
	if err := rapporto.WriteXML(&buf, rapporto.Report{}); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("no event: %v", err)
	}
}

func TestTransliterate(t *testing.T) {
	for in, want := range map[string]string{
		"Nicolò": "Nicolo", "D’Angelo": "D'Angelo", "Straße": "Strasse", "Ødegård": "Odegard", "Łukasz  Wałęsa": "Lukasz Walesa",
		"Anne-Marie O'Neil": "Anne-Marie O'Neil", "José María": "Jose Maria", "Mario2": "Mario", "李": "",
	} {
		got := rapporto.Transliterate(in)
		if got != want {
			t.Errorf("Transliterate(%q) = %q, want %q", in, got, want)
		}
		if got != "" && !regexp.MustCompile(`^[a-zA-Z ',\-.]+$`).MatchString(got) {
			t.Errorf("%q is outside the schema's characters", got)
		}
	}
}

// TestLargeReport writes a ~50 MB report, then parses it, logging time and memory. The
// numbers are measured, not asserted (the machine is shared); the test checks the result.
//
//	go test ./internal/rapporto -run TestLargeReport -v
func TestLargeReport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const n = 150_000
	rep := sampleReport()
	rep.Event.Participants = n
	base := rep.Participants
	rep.Participants = make([]rapporto.Participant, n)
	for i := range rep.Participants {
		p := base[i%3]
		// Distinct codes: the six name letters count in base 26, the rest is fixed.
		var letters [6]byte
		for k, v := 5, i; k >= 0; k, v = k-1, v/26 {
			letters[k] = byte('A' + v%26)
		}
		first15 := string(letters[:]) + "75C12H501"
		p.CF = first15 + string(cf.CheckChar(first15))
		rep.Participants[i] = p
	}
	path := filepath.Join(t.TempDir(), "big.xml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := rapporto.WriteXML(f, rep); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	rep = rapporto.Report{}
	runtime.GC()

	in, _ := os.Open(path)
	defer in.Close()
	var peak uint64
	done := make(chan struct{})
	go func() { // sample the heap while parsing
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak {
					peak = m.HeapInuse
				}
			}
		}
	}()
	start := time.Now()
	got, err := rapporto.ParseXML(in, "big.xml")
	took := time.Since(start)
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Participants) != n {
		t.Fatalf("%d participants", len(got.Participants))
	}
	t.Logf("parsed %.1f MB, %d participants in %v; peak heap in use %.0f MB (result included)",
		float64(st.Size())/1e6, n, took.Round(time.Millisecond), float64(peak)/1e6)
}
