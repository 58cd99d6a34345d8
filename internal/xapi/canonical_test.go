package xapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestAcceptLanguageOrder: ranges come by weight (q), equal weights in the header's order;
// q=0 and "*" are dropped (xAPI 1.0.3 §2.1.3 / 2.0.0 "canonical" uses the Accept-Language
// preferences of the request).
func TestAcceptLanguageOrder(t *testing.T) {
	for h, want := range map[string][]string{
		"":                                 {},
		"it-IT":                            {"it-IT"},
		"en;q=0.5, it-IT, de;q=0.8":        {"it-IT", "de", "en"},
		"fr;q=0, es, *;q=0.1":              {"es"},
		"en-GB;q=0.9, en-US;q=0.9, it;q=1": {"it", "en-GB", "en-US"},
		"xx;q=abc, de":                     {"de"},
	} {
		got := acceptLanguages(h)
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, want %v", h, got, want)
		}
	}
}

// TestFormatCanonical (xAPI Statement Resource, format=canonical): every language map of
// the statement (verb display, activity name and description, interaction components,
// attachments, context activities, sub-statement) is reduced to the one entry that best
// matches Accept-Language; other properties are left alone.
func TestFormatCanonical(t *testing.T) {
	st := `{"actor":{"name":"Anna","mbox":"mailto:anna@example.it"},
		"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed","it-IT":"ha completato","de":"abgeschlossen"}},
		"object":{"id":"https://fad.example.it/corso/1","definition":{"name":{"en":"Telemedicine","it":"Telemedicina"},
			"description":{"en-GB":"A course","en-US":"A course (US)","fr":"Un cours"},
			"interactionType":"choice","choices":[{"id":"a","description":{"en-US":"Yes","it-IT":"Sì"}}]}},
		"context":{"contextActivities":{"parent":[{"id":"https://fad.example.it/programma","definition":{"name":{"it-IT":"Programma","en-US":"Programme"}}}]}},
		"attachments":[{"usageType":"http://id.tincanapi.com/attachment/certificate","display":{"en-US":"Certificate","it":"Attestato"},
			"contentType":"application/pdf","length":1,"sha2":"x"}]}`
	run := func(header string) map[string]any {
		o := mustObj(t, st)
		formatStatement(o, "canonical", acceptLanguages(header))
		b, _ := json.Marshal(o)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	get := func(m map[string]any, path ...any) any {
		var x any = m
		for _, p := range path {
			switch k := p.(type) {
			case string:
				x = x.(map[string]any)[k]
			case int:
				x = x.([]any)[k]
			}
		}
		return x
	}
	one := func(t *testing.T, v any, key, text string) {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 || m[key] != text {
			t.Errorf("want {%s: %s}, got %v", key, text, v)
		}
	}
	it := run("it-IT, en;q=0.5")
	one(t, get(it, "verb", "display"), "it-IT", "ha completato")
	one(t, get(it, "object", "definition", "name"), "it", "Telemedicina")       // it-IT truncated to it
	one(t, get(it, "object", "definition", "description"), "en-GB", "A course") // en (q=0.5) prefixes en-GB, sorted first
	one(t, get(it, "object", "definition", "choices", 0, "description"), "it-IT", "Sì")
	one(t, get(it, "context", "contextActivities", "parent", 0, "definition", "name"), "it-IT", "Programma")
	one(t, get(it, "attachments", 0, "display"), "it", "Attestato")
	if get(it, "actor", "name") != "Anna" || get(it, "object", "definition", "interactionType") != "choice" {
		t.Errorf("canonical changed what is not a language map: %v", it)
	}
	de := run("de-AT;q=0.9, fr;q=0.8")
	one(t, get(de, "verb", "display"), "de", "abgeschlossen")
	one(t, get(de, "object", "definition", "description"), "fr", "Un cours")
	one(t, get(de, "object", "definition", "name"), "en", "Telemedicine") // no match: English
	// Without Accept-Language, English; the same answer every time, whatever the map order.
	for i := 0; i < 20; i++ {
		none := run("")
		one(t, get(none, "object", "definition", "description"), "en-GB", "A course")
		one(t, get(none, "verb", "display"), "en-US", "completed")
	}
}
