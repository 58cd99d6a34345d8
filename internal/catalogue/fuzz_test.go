package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"esd/internal/domain"
)

// checkRows states what ParseEvents promises of any input: every problem names its place
// (a line, or the whole file) and a field, and says why; every number parsed is finite.
func checkRows(t *testing.T, rows []importRow, ps []domain.Problem) {
	t.Helper()
	for _, p := range ps {
		if p.Field == "" || p.Reason == "" {
			t.Fatalf("problem without its field or reason: %+v", p)
		}
		if p.Line <= 0 && p.Field != "file" {
			t.Fatalf("problem without its line: %+v", p)
		}
	}
	for _, r := range rows {
		in := r.in
		for _, f := range []float64{in.Hours, in.InteractiveHours, in.Credits, in.Cost} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("line %d: a non-finite number was accepted: %+v", r.line, in)
			}
		}
		for _, m := range in.Modules {
			if math.IsNaN(m.Hours) || math.IsInf(m.Hours, 0) {
				t.Fatalf("line %d: a non-finite module was accepted: %+v", r.line, m)
			}
		}
		if r.regions != nil && len(in.Editions) != len(r.regions) { // CSV rows name a region per edition
			t.Fatalf("line %d: %d editions, %d regions", r.line, len(in.Editions), len(r.regions))
		}
	}
}

// FuzzParseEvents feeds arbitrary bytes to the events importer's parse layer, as CSV and as
// JSON. A JSON file that parses is written back the way ExportEvents writes JSON and read
// again: the events must be the same.
//
//	go test ./internal/catalogue -run '^$' -fuzz '^FuzzParseEvents$' -fuzztime 60s
func FuzzParseEvents(f *testing.F) {
	f.Add(false, []byte(goodCSV))
	f.Add(false, []byte("event_code,title,type,hours,start_date,end_date,objective\n1234-56789,\"Titolo, con virgola\",FAD,\"7,5\",01/02/2027,2027-02-03,17\n"))
	f.Add(false, []byte("event_code;title;type;hours;start_date;end_date;objective;modules;professions;lines\nE;T;BLENDED;NaN;2027-01-01;2027-01-01;1;RES:1:Inf;1.58.x;L1:z\n"))
	f.Add(false, []byte("event_code;title;type;hours;start_date;end_date;objective\nE;\"titolo\nsu due righe\";RES;1;2027-01-01;2027-01-01;1\nE2;\"aperto;RES\n"))
	f.Add(false, []byte("titolo;;tipo\n"))
	f.Add(false, []byte("event_code;title;type;hours;start_date;end_date;objective\nE;Perch\xe9;RES;1;2027-01-01;2027-01-01;1\n"))
	f.Add(true, []byte(`[{"provider_code":"PA1","code":"J-1","title":"T","type":"RES","hours":8,"participants":20,"objective":17,"cost":0,"credits":0,"audience_all":true,"editions":[{"number":1,"start_date":"2027-01-01","end_date":"2027-01-02"}]}]`))
	f.Add(true, []byte("[{\"code\":1}]"))
	f.Add(true, []byte("[\n{\"code\":\"a\",\n\"nope\":1}]"))
	f.Add(true, []byte("[] []"))
	f.Fuzz(func(t *testing.T, isJSON bool, b []byte) {
		format := "csv"
		if isJSON {
			format = "json"
		}
		rows, ps, err := ParseEvents(format, bytes.NewReader(b))
		if err != nil {
			t.Fatalf("a parse error outside the problems: %v", err)
		}
		checkRows(t, rows, ps)
		if !isJSON || len(ps) > 0 {
			return
		}
		list := make([]jsonEvent, len(rows))
		for i, r := range rows {
			list[i] = jsonEvent{EventInput: r.in, ProviderCode: r.providerCode}
		}
		out, err := json.Marshal(list)
		if err != nil {
			t.Fatalf("accepted events cannot be written back: %v", err)
		}
		again, ps2, err := ParseEvents("json", bytes.NewReader(out))
		if err != nil || len(ps2) > 0 {
			t.Fatalf("the events written back are refused: %v %+v\n%s", err, ps2, out)
		}
		for i := range rows {
			if !reflect.DeepEqual(normalEvent(again[i].in), normalEvent(rows[i].in)) || again[i].providerCode != rows[i].providerCode {
				t.Fatalf("event %d changed in the round trip:\n%+v\n%+v", i, rows[i].in, again[i].in)
			}
		}
	})
}

// normalEvent makes nil and empty lists equal: JSON writes both as absent or [].
func normalEvent(e EventInput) string {
	b, _ := json.Marshal(e)
	return string(b)
}

// An events file over MaxImportBytes is refused whole, before parsing.
func TestParseEventsRefusesOverSize(t *testing.T) {
	big := strings.NewReader(strings.Repeat("a;", MaxImportBytes/2+1))
	rows, ps, err := ParseEvents("csv", big)
	if err != nil || rows != nil || len(ps) != 1 || ps[0].Field != "file" || !strings.Contains(ps[0].Reason, "MB") {
		t.Fatalf("over-size file: %v %v %+v", rows, err, ps)
	}
}

// fuzzIndex is a small search index built in memory, without a database: events of every
// type and state, in and out of regions, with lines, audiences, costs and dates that the
// facets split on.
func fuzzIndex() *index {
	x := newIndex()
	types := []string{TypeRES, TypeFAD, TypeFSC, TypeBlended}
	states := []string{StateAccredited, StateRunning, StateClosed, StateDraft, StateSubmitted, StateRejected}
	words := []string{"telemedicina", "fascicolo sanitario elettronico", "privacy dei dati", "intelligenza artificiale", "cartella clinica"}
	dims := map[int64]int64{101: 1, 102: 1, 103: 2}
	for i := 0; i < 60; i++ {
		e := loadedEvent{id: int64(i + 1), provider: int64(1 + i%3), typ: types[i%4], state: states[i%len(states)],
			credits: float64(i % 30), cost: int64(i%2) * 4990, all: i%7 == 0, title: words[i%len(words)] + " " + fmt.Sprint(i),
			body: words[(i+1)%len(words)], professions: []int{1 + i%30}, lines: []int64{101 + int64(i%3)}}
		for k := 0; k < 1+i%3; k++ {
			day := fmt.Sprintf("20%02d-%02d-%02d", 20+i%10, 1+k*3, 1+i%28)
			e.editions = append(e.editions, loadedEdition{id: int64(i*10 + k), start: day, end: day, online: k%2 == 0, region: int64(i % 5)})
		}
		x.add(e, dims)
	}
	// One event changed: its first editions are dead, the new ones live.
	x.add(loadedEvent{id: 1, provider: 1, typ: TypeFAD, state: StateAccredited, title: "telemedicina rivista",
		editions: []loadedEdition{{id: 9999, start: "2026-05-05", end: "2026-06-05", online: true}}}, dims)
	x.mergeByEnd(0)
	return x
}

// FuzzSearchQuery feeds arbitrary query strings to the catalogue search, as the page and
// the API read them (queryFrom), and runs them on an index: no panic, a page no longer than
// the limit, every hit passing every filter, and the total and facet counts equal to a
// plain scan of every document.
//
//	go test ./internal/catalogue -run '^$' -fuzz '^FuzzSearchQuery$' -fuzztime 60s
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{"q=telemedicina&type=FAD,RES&region=1&profession=3", "period=all&from=2020-01-01&to=31/12/2029&sort=date",
		"offset=9223372036854775807&limit=5", "offset=-3&limit=-1", "limit=100000", "q=fascicolo+sanitario&credits=0-5&cost=free&delivery=online",
		"line=1,2&dimension=2&state=draft,submitted&provider=2", "q=%ZZ&&&=", "from=2099-99-99", "q=" + strings.Repeat("a+", 200)} {
		f.Add(s)
	}
	x := fuzzIndex()
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // as r.URL.Query(): what parses is used
		q := queryFrom(v)
		c := x.compile(q)
		total, page, n, _ := x.run(q, c)
		limit := q.Limit
		if limit <= 0 || limit > 200 {
			limit = 20
		}
		if len(page) > limit || len(page) > total {
			t.Fatalf("query %q: page of %d, limit %d, total %d", raw, len(page), limit, total)
		}
		for _, p := range page {
			if int(p.ord) >= len(x.docs) {
				t.Fatalf("query %q: hit %d outside the index", raw, p.ord)
			}
			d := &x.docs[p.ord]
			if !c.base(x, p.ord, d) || c.fails(x, p.ord, d) != 0 {
				t.Fatalf("query %q: hit %d fails the filters", raw, p.ord)
			}
		}
		// Reference: every document, one worker.
		w := &worker{n: &counts{lines: make([]int, len(x.lineIDs))}, h: &topK{byDate: true}}
		if terms := italianTerms(q.Text); len(terms) > 0 {
			N := float32(len(x.docs) - x.dead + 1)
			ords, scores := x.intersect(terms, func(df int) float32 { return idf(N, df) })
			for k, o := range ords {
				w.visit(x, &c, o, scores[k], 1)
			}
		} else {
			for o := range x.docs {
				w.visit(x, &c, uint32(o), 0, 1)
			}
		}
		if total != w.total || !reflect.DeepEqual(*n, *w.n) {
			t.Fatalf("query %q: total %d, scan %d; facets\n got %s\nwant %s", raw, total, w.total, summaryOf(n), summaryOf(w.n))
		}
		if want := min(limit, max(0, total-max(q.Offset, 0))); len(page) != want {
			t.Fatalf("query %q: page of %d, want %d (total %d, offset %d)", raw, len(page), want, total, q.Offset)
		}
	})
}
