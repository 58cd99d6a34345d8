// Package crashtest kills a real `esd serve` process with SIGKILL in the middle of imports,
// background jobs and bursts of small writes, restarts it on the same database (SQLite file
// or PostgreSQL) and checks that nothing is half applied, no acknowledged write is lost, the
// SQLite file passes integrity_check and jobs of the dead process are shown failed. The
// default run makes one kill per scenario and dialect; ESD_TEST_CRASH_LONG=1 makes several.
package crashtest

import (
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"esd/internal/db"
	"esd/internal/dbtest"
	"esd/internal/jobs"
	"esd/internal/registry"
)

// EnvLong, when 1, runs more iterations (more kill points) of every scenario.
const EnvLong = "ESD_TEST_CRASH_LONG"

// scenario is one kind of work interrupted by a SIGKILL.
type scenario struct {
	name string
	// maxKill bounds the random moment of the kill after the work started.
	maxKill time.Duration
	// run does the work against the server; it returns whether the server acknowledged it
	// (a 2xx answer) before dying. It runs in its own goroutine.
	// It calls sent when its input has been handed over (the kill is timed from then).
	run func(c *client, tag string, sent func()) (acked bool, note string)
	// check inspects the database after the restart and returns what it found ("absent",
	// "whole", …) or fails the test.
	check func(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string
}

func TestCrashSafety(t *testing.T) {
	iterations := 1
	if os.Getenv(EnvLong) == "1" {
		iterations = 6
	}
	bin := esdBinary(t)
	dbtest.Each(t, func(t *testing.T, d db.Dialect) {
		dsn := dbtest.URL(t, d)
		data := t.TempDir()
		s := start(t, bin, dsn, data)
		c := s.login(t)
		{
			x := openDirect(t, d, dsn)
			if err := x.QueryRow("SELECT id FROM regions WHERE minsal_code = '090'").Scan(&toscanaID); err != nil {
				t.Fatal(err)
			}
			x.Close()
		}
		var prov struct {
			ID int64 `json:"id"`
		}
		if st := c.json(t, "POST", "/api/v1/organisations", map[string]any{"kind": "provider", "code": providerCode, "name": "Provider delle prove di crash", "region_id": toscanaID}, &prov); st != 201 && st != 200 {
			t.Fatalf("create provider: %d", st)
		}
		var cred struct {
			Basic string `json:"basic"`
		}
		if st := c.json(t, "POST", fmt.Sprintf("/api/v1/providers/%d/xapi/credentials", prov.ID), map[string]any{"label": "crash", "scopes": []string{"all"}}, &cred); st != 201 || cred.Basic == "" {
			t.Fatalf("create xAPI credential: %d", st)
		}
		xapiBasic = cred.Basic
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
		outcomes := map[string][]string{}
		for it := 0; it < iterations; it++ {
			for _, sc := range scenarios() {
				tag := fmt.Sprintf("c%d%s", it, sc.name[:3])
				killAfter := time.Duration(rng.Int64N(int64(sc.maxKill)))
				type result struct {
					acked bool
					note  string
				}
				resc := make(chan result, 1)
				sent := make(chan struct{})
				var once sync.Once
				go func() {
					a, n := sc.run(c, tag, func() { once.Do(func() { close(sent) }) })
					resc <- result{a, n}
				}()
				select {
				case <-sent:
				case <-time.After(30 * time.Second):
					t.Fatalf("%s: the input was not sent in 30 s", sc.name)
				}
				time.Sleep(killAfter)
				s.kill()
				r := <-resc
				if strings.HasPrefix(r.note, ", status") {
					t.Fatalf("%s: the server refused the work instead of doing it%s\n%s", sc.name, r.note, errorLines(s.out.String()))
				}
				if d == db.SQLite {
					integrityCheck(t, dsn)
				}
				s = start(t, bin, dsn, data)
				c = s.login(t)
				x := openDirect(t, d, dsn)
				got := sc.check(t, x, s, c, tag, r.acked)
				x.Close()
				o := fmt.Sprintf("kill at %v: %s (acked %v%s)", killAfter.Round(time.Millisecond), got, r.acked, r.note)
				outcomes[sc.name] = append(outcomes[sc.name], o)
				t.Logf("%s %s: %s", d, sc.name, o)
			}
		}
		s.kill()
		if d == db.SQLite {
			integrityCheck(t, dsn)
		}
		_ = outcomes
	})
}

func scenarios() []scenario {
	return []scenario{
		{name: "professionals-csv", maxKill: 1200 * time.Millisecond, run: importProfessionals(false), check: checkProfessionals(false)},
		{name: "professionals-job", maxKill: 1200 * time.Millisecond, run: importProfessionals(true), check: checkProfessionals(true)},
		{name: "events-csv", maxKill: 800 * time.Millisecond, run: importEvents, check: checkEvents},
		{name: "indicators-csv", maxKill: 1000 * time.Millisecond, run: importIndicators, check: checkIndicators},
		{name: "report-xml", maxKill: 1200 * time.Millisecond, run: importReport, check: checkReport},
		{name: "xapi-batch", maxKill: 800 * time.Millisecond, run: postStatements, check: checkStatements},
		{name: "write-burst", maxKill: 1500 * time.Millisecond, run: writeBurst, check: checkBurst},
	}
}

const professionalsPerFile = 2500

// professionalsCSV is a file of new professionals whose e-mail domain names the batch.
func professionalsCSV(tag string) []byte { return professionalsCSVn(tag, professionalsPerFile) }

// professionalsCSVn is a file of n new professionals whose e-mail domain names the batch.
func professionalsCSVn(tag string, n int) []byte {
	g := registry.NewGenerator(uint64(len(tag))*7919+uint64(tag[1])*131+uint64(tag[len(tag)-1]), nil)
	var b strings.Builder
	b.WriteString("codice_fiscale;cognome;nome;email;professione;disciplina;regione;rapporto;setting\n")
	for i := 0; i < n; i++ {
		p := g.Person()
		fmt.Fprintf(&b, "%s;%s;%s;p%d@%s.crash.example.it;14;85;090;dipendente;ospedale\n", p.CF, p.Family, p.Given, i, tag)
	}
	return []byte(b.String())
}

var jobIDs sync.Map // tag → job id of the background import

func importProfessionals(async bool) func(c *client, tag string, sent func()) (bool, string) {
	return func(c *client, tag string, sent func()) (bool, string) {
		path := "/api/v1/professionals/import"
		if async {
			path += "?async=1"
		}
		st, body, err := c.doSent("POST", path, "text/csv", professionalsCSV(tag), sent)
		if err != nil {
			return false, ""
		}
		if async && st == 202 || async && st == 200 {
			var id int64
			if i := strings.Index(body, `"id":`); i >= 0 {
				fmt.Sscanf(body[i+5:], "%d", &id)
			}
			if id == 0 {
				if i := strings.Index(body, `"job_id":`); i >= 0 {
					fmt.Sscanf(body[i+9:], "%d", &id)
				}
			}
			jobIDs.Store(tag, id)
			return false, fmt.Sprintf(", job %d started", id) // the import itself is not acknowledged until the job is done
		}
		if st/100 != 2 {
			return false, fmt.Sprintf(", status %d %.200s", st, body)
		}
		return true, ""
	}
}

func checkProfessionals(async bool) func(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string {
	return func(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string {
		n := count(t, x, "SELECT count(*) FROM professionals WHERE email LIKE $1", "%@"+tag+".crash.example.it")
		if n != 0 && n != professionalsPerFile {
			t.Fatalf("%s: %d of %d professionals of the file are there: half applied", tag, n, professionalsPerFile)
		}
		if acked && n == 0 {
			t.Fatalf("%s: the import was acknowledged but its professionals are gone", tag)
		}
		out := "absent"
		if n > 0 {
			out = "whole"
		}
		if async {
			v, ok := jobIDs.Load(tag)
			if !ok || v.(int64) == 0 {
				return out + ", killed before the job was acknowledged"
			}
			id := v.(int64)
			// The job was running when the process died: the new server must show it failed
			// (three heartbeats of 300 ms), unless it had finished.
			deadline := time.Now().Add(15 * time.Second)
			var state, msg string
			for time.Now().Before(deadline) {
				if err := x.QueryRow("SELECT state, message FROM jobs WHERE id = $1", id).Scan(&state, &msg); err != nil {
					t.Fatalf("job %d: %v", id, err)
				}
				if state != jobs.StateRunning {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			switch state {
			case jobs.StateDone:
				if n == 0 {
					t.Fatalf("job %d done but its professionals are absent", id)
				}
			case jobs.StateFailed:
				// Killed between the import's commit and the job's final state update, the
				// job is failed with its work whole: allowed, the message says to check.
				if n != 0 {
					out += ", committed just before the kill"
				}
				if msg != jobs.OrphanMessage {
					t.Fatalf("job %d failed with %q", id, msg)
				}
				// The reason is visible through the API too.
				st, body, err := c.do("GET", fmt.Sprintf("/api/v1/jobs/%d", id), "", nil)
				if err != nil || st != 200 || !strings.Contains(body, "interrotto") {
					t.Fatalf("GET job %d: %d %v %s", id, st, err, body)
				}
			default:
				t.Fatalf("job %d still %q 15 s after the restart", id, state)
			}
			out += ", job " + state
		}
		return out
	}
}

const eventsPerFile = 1500

func importEvents(c *client, tag string, sent func()) (bool, string) {
	var b strings.Builder
	b.WriteString("provider_code;event_code;title;type;subtype;hours;participants;start_date;end_date;region;professions;objective\n")
	for i := 0; i < eventsPerFile; i++ {
		fmt.Fprintf(&b, "9901;%s-%04d;Telemedicina e fascicolo sanitario %d;RES;1;8;20;2027-05-10;2027-05-10;090;14;17\n", strings.ToUpper(tag), i, i)
	}
	st, body, err := c.doSent("POST", "/api/v1/events/import", "text/csv", []byte(b.String()), sent)
	if err != nil {
		return false, ""
	}
	if st/100 != 2 {
		return false, fmt.Sprintf(", status %d %.300s", st, body)
	}
	return true, ""
}

func checkEvents(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string {
	n := count(t, x, "SELECT count(*) FROM events WHERE code LIKE $1", strings.ToUpper(tag)+"-%")
	return wholeOrAbsent(t, tag, "events", n, eventsPerFile, acked)
}

func wholeOrAbsent(t *testing.T, tag, what string, n, want int, acked bool) string {
	t.Helper()
	if n != 0 && n != want {
		t.Fatalf("%s: %d of %d %s of the file are there: half applied", tag, n, want, what)
	}
	if acked && n != want {
		t.Fatalf("%s: the import was acknowledged but %d of %d %s are there", tag, n, want, what)
	}
	if n == 0 {
		return "absent"
	}
	return "whole"
}

var regionCodes = []string{"010", "020", "030", "041", "042", "050", "060", "070", "080", "090", "100",
	"110", "120", "130", "140", "150", "160", "170", "180", "190", "200"}

var indicatorNames = []string{"fse_consenso", "fse_uso_90g", "fse_mmg_pls", "fse_specialisti"}

const indicatorMonths = 96

func importIndicators(c *client, tag string, sent func()) (bool, string) {
	var b strings.Builder
	b.WriteString("indicatore;regione;azienda;periodo;valore;fonte;note\n")
	for _, ind := range indicatorNames {
		for _, r := range regionCodes {
			for m := 0; m < indicatorMonths; m++ {
				fmt.Fprintf(&b, "%s;%s;;%04d-%02d;%d,5;prova %s;\n", ind, r, 2017+m/12, m%12+1, 10+m%80, tag)
			}
		}
	}
	st, body, err := c.doSent("POST", "/api/v1/indicators/import", "text/csv", []byte(b.String()), sent)
	if err != nil {
		return false, ""
	}
	if st/100 != 2 {
		return false, fmt.Sprintf(", status %d %.300s", st, body)
	}
	return true, ""
}

func checkIndicators(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string {
	n := count(t, x, "SELECT count(*) FROM indicator_values WHERE source = $1", "prova "+tag)
	return wholeOrAbsent(t, tag, "indicator values", n, len(indicatorNames)*len(regionCodes)*indicatorMonths, acked)
}

// writeBurst registers professionals one by one from four clients until the server dies,
// recording every registration answered 2xx: those are acknowledged and must survive.
var burstAcked sync.Map // tag → []string of codici fiscali

// toscanaID is the region id the burst registers professionals in (set at setup).
var toscanaID int64

func writeBurst(c *client, tag string, sent func()) (bool, string) {
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	tried := 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			g := registry.NewGenerator(uint64(w)*1000003+uint64(len(tag))*31+uint64(tag[1])*7, []string{"H501"})
			for {
				p := g.Person()
				body := fmt.Sprintf(`{"codice_fiscale":%q,"family_name":%q,"given_name":%q,"email":"%s@%s.burst.example.it","professions":[{"profession":14,"discipline":85}],"region_id":%d,"employment":"dipendente","care_setting":"ospedale"}`,
					p.CF, p.Family, p.Given, strings.ToLower(p.CF), tag, toscanaID)
				st, _, err := c.do("POST", "/api/v1/professionals", "application/json", []byte(body))
				mu.Lock()
				tried++
				if err == nil && st/100 == 2 {
					acked = append(acked, p.CF)
				}
				mu.Unlock()
				if err == nil && st/100 == 2 {
					sent() // the kill is timed from the first acknowledged write
				} else if err == nil {
					fmt.Fprintf(os.Stderr, "burst write refused: %d\n", st)
					sent()
					return
				}
				if err != nil {
					return
				}
			}
		}(w)
	}
	wg.Wait()
	burstAcked.Store(tag, acked)
	return len(acked) > 0, fmt.Sprintf(", %d of %d writes acknowledged", len(acked), tried)
}

func checkBurst(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string {
	v, _ := burstAcked.Load(tag)
	cfs, _ := v.([]string)
	lost := 0
	for _, code := range cfs {
		if count(t, x, "SELECT count(*) FROM professionals WHERE cf = $1", code) != 1 {
			lost++
			t.Errorf("%s: acknowledged professional %s is lost", tag, code)
		}
	}
	if len(cfs) == 0 {
		t.Errorf("%s: no write was acknowledged before the kill: the burst proved nothing", tag)
	}
	present := count(t, x, "SELECT count(*) FROM professionals WHERE email LIKE $1", "%@"+tag+".burst.example.it")
	// A registration is written with its audit entry in one transaction: neither without the other.
	audited := count(t, x, `SELECT count(*) FROM audit_log WHERE entity = 'professional' AND action = 'create'
		AND entity_id IN (SELECT CAST(id AS TEXT) FROM professionals WHERE email LIKE $1)`, "%@"+tag+".burst.example.it")
	if audited != present {
		t.Errorf("%s: %d professionals, %d with their audit entry", tag, present, audited)
	}
	return fmt.Sprintf("%d acknowledged, %d present, %d lost", len(cfs), present, lost)
}

// providerCode is the crash tests' ECM provider (numeric, as cod_org is in the rapporto evento).
const providerCode = "9901"

const reportParticipants = 1500

// reportCode is the numeric cod_evento of a tag's rapporto evento.
func reportCode(tag string) string {
	return fmt.Sprintf("77%d%03d", int(tag[1]-'0'), int(tag[2])+int(tag[3])*3)
}

// importReport posts a rapporto evento XML of an event the catalogue does not know (it is
// created with the report) with reportParticipants new professionals.
func importReport(c *client, tag string, sent func()) (bool, string) {
	g := registry.NewGenerator(uint64(tag[1])*977+uint64(tag[2])*13+uint64(tag[3]), []string{"F205"})
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="ISO-8859-1"?>
<dataroot>
  <evento cod_evento="%s" cod_edi="1" cod_org="%s" cod_accr="090" data_ini="2026-03-02" data_fine="2026-03-20" crediti="8.0" ore="8" tipo_form="1" tipo_eve="P" cod_obi="17" num_part="%d" cod_tipologia_form="10">
`, reportCode(tag), providerCode, reportParticipants)
	for i := 0; i < reportParticipants; i++ {
		p := g.Person()
		fmt.Fprintf(&b, `    <partecipante cod_fisc="%s" nome="%s" cognome="%s" ruolo="P" lib_dip="D" part_reclutato="0" cred_acq="8.0" data_acq="2026-03-20"><professione cod_prof="14"><disciplina>85</disciplina></professione></partecipante>
`, p.CF, asciiName(p.Given), asciiName(p.Family))
	}
	b.WriteString("  </evento>\n</dataroot>\n")
	st, body, err := c.doSent("POST", "/api/v1/reports?name="+tag+".xml", "application/xml", []byte(b.String()), sent)
	if err != nil {
		return false, ""
	}
	if st/100 != 2 {
		return false, fmt.Sprintf(", status %d %.300s", st, body)
	}
	return true, ""
}

// asciiName drops accents so the test file is plain ISO-8859-1 whatever the generator draws.
func asciiName(s string) string {
	r := strings.NewReplacer("à", "a", "è", "e", "é", "e", "ì", "i", "ò", "o", "ù", "u", "'", "")
	return r.Replace(s)
}

func checkReport(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string {
	n := count(t, x, `SELECT count(*) FROM participations WHERE event_id IN
		(SELECT e.id FROM events e JOIN organisations o ON o.id = e.provider_id WHERE o.code = $1 AND e.code = $2)`, providerCode, reportCode(tag))
	got := wholeOrAbsent(t, tag, "participations", n, reportParticipants, acked)
	if n == 0 {
		// Known weakness: the event a report creates is written (catalogue BulkLoad) before
		// the report's own transaction, so a kill in between leaves the event without its
		// participations. Say so, and check that sending the same report again completes it.
		if ev := count(t, x, `SELECT count(*) FROM events e JOIN organisations o ON o.id = e.provider_id WHERE o.code = $1 AND e.code = $2`, providerCode, reportCode(tag)); ev > 0 {
			got += ", the event created from the report is there without participations (known, see the report)"
		}
		if ok, note := importReport(c, tag, func() {}); !ok {
			t.Fatalf("%s: sending the report again after the crash: %s", tag, note)
		}
		if n := count(t, x, `SELECT count(*) FROM participations WHERE event_id IN
			(SELECT e.id FROM events e JOIN organisations o ON o.id = e.provider_id WHERE o.code = $1 AND e.code = $2)`, providerCode, reportCode(tag)); n != reportParticipants {
			t.Fatalf("%s: after sending the report again %d participations of %d", tag, n, reportParticipants)
		}
		got += ", sent again: whole"
	}
	return got
}

// xapiBasic is the Authorization header of the crash provider's LRS credential.
var xapiBasic string

const statementsPerBatch = 500

// statementPrefix is the first group of the statement ids of a tag's batch.
func statementPrefix(tag string) string {
	return fmt.Sprintf("%08x", uint32(tag[1])<<24|uint32(tag[2])<<16|uint32(tag[3])<<8|uint32(tag[4]))
}

func postStatements(c *client, tag string, sent func()) (bool, string) {
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < statementsPerBatch; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"%s-0000-4000-8000-%012d","actor":{"objectType":"Agent","mbox":"mailto:learner%d@example.it"},"verb":{"id":"http://adlnet.gov/expapi/verbs/experienced","display":{"it-IT":"ha seguito"}},"object":{"id":"https://lms.example.it/course/%d","objectType":"Activity"},"timestamp":"2026-03-02T10:00:00Z"}`,
			statementPrefix(tag), i, i%50, i%7)
	}
	b.WriteString("]")
	req, err := http.NewRequest("POST", c.base+"/xapi/statements", &signalReader{r: strings.NewReader(b.String()), sent: sent})
	if err != nil {
		return false, err.Error()
	}
	req.ContentLength = int64(b.Len())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Experience-API-Version", "1.0.3")
	req.Header.Set("Authorization", xapiBasic)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, ""
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return false, fmt.Sprintf(", status %d %.300s", res.StatusCode, body)
	}
	return true, ""
}

func checkStatements(t *testing.T, x *sql.DB, s *server, c *client, tag string, acked bool) string {
	n := count(t, x, "SELECT count(*) FROM xapi_statements WHERE id LIKE $1", statementPrefix(tag)+"-%")
	return wholeOrAbsent(t, tag, "statements", n, statementsPerBatch, acked)
}

// errorLines are the server's log lines at level ERROR, for a failure message.
func errorLines(log string) string {
	var out []string
	for _, l := range lines(log) {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
