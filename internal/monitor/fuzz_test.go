package monitor

import (
	"net/url"
	"reflect"
	"testing"

	"esd/internal/domain"
)

// FuzzParseQuery feeds arbitrary query strings to the monitoring dashboards' filter reader
// (the pages, their CSV and the open-data exports share it): a refusal is EINVALID naming
// the parameter, and an accepted query written back as a link (Values) reads the same.
//
//	go test ./internal/monitor -run '^$' -fuzz '^FuzzParseQuery$' -fuzztime 60s
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"ind=completion&period=2025&region=9&org=12&profession=14&persona=3&area=A1", "region=-1", "org=1e3",
		"profession=99999999999999999999", "ind=%20x%20&ind=y", "region=+7", "persona= 4 ", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw)
		q, err := ParseQuery(v)
		if err != nil {
			e := domain.AsError(err)
			if e == nil || e.Code != domain.EINVALID || e.Field == "" || e.Message == "" {
				t.Fatalf("%q: unclear refusal %#v", raw, err)
			}
			if v.Get(e.Field) == "" {
				t.Fatalf("%q: the refusal names %q, not a parameter of the query", raw, e.Field)
			}
			return
		}
		if q.Region < 0 || q.Organisation < 0 || q.Profession < 0 || q.Persona < 0 {
			t.Fatalf("%q: negative id accepted: %+v", raw, q)
		}
		again, err := ParseQuery(q.Values())
		if err != nil || !reflect.DeepEqual(again, q) {
			t.Fatalf("%q = %+v, its link %q reads %+v %v", raw, q, q.Values().Encode(), again, err)
		}
	})
}
