package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"esd/internal/apptest"
	"esd/internal/db"
	"esd/internal/domain"
	"esd/internal/web"
)

// axe-core is vendored for this test only (testdata/axe, see its VERSION and LICENSE); it is
// never served to users.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// layoutWidths are the viewport widths every page must fit: a desktop, a small laptop or
// tablet in landscape, a phone.
var layoutWidths = []int64{1280, 1024, 390}

// layoutMaxPages bounds the crawl per role and language: pages are visited once per shape
// (numbers in the path stand for any id), so this is a bound on distinct page kinds.
const layoutMaxPages = 40

// layoutExtraPages are parameterised pages that a role's menu may not link directly; the
// placeholders {key} are world ids.
var layoutExtraPages = map[domain.Role][]string{
	domain.RoleNational:     {"/professionals/{professional.A}", "/organisations/{org.A}"},
	domain.RoleRegional:     {"/professionals/{professional.A}", "/organisations/{org.A}"},
	domain.RoleOrganisation: {"/professionals/{professional.A}", "/organisations/{org.A}"},
	domain.RoleProfessional: {"/professionals/me"},
}

// layoutSkip are links the crawl does not follow: downloads, the API, logging out.
var layoutSkip = regexp.MustCompile(`(?i)(^/logout|^/api/|/download|/export|\.(csv|pdf|json|jsonl|xlsx|zip|xml|txt|svg|png|parquet|ttl|rdf)(\?|$)|[?&]format=)`)

var digitsSeg = regexp.MustCompile(`/\d+`)

// TestBrowserLayoutAndAccessibility logs in as every role, crawls the pages reachable from
// its menu and home page (same-origin GET links, bounded, one page per shape) in Italian and
// then in English, and on each page asserts that nothing scrolls sideways at 1280, 1024 and
// 390 px, that axe-core finds no serious or critical violation, and (in English) that no raw
// message key is shown.
func TestBrowserLayoutAndAccessibility(t *testing.T) {
	ctx := newBrowserTimeout(t, 25*time.Minute)
	w := buildWorld(t, db.SQLite)
	keys := web.MessageKeys()
	for _, r := range domain.Roles {
		t.Run(string(r), func(t *testing.T) {
			user := "m_" + string(r)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
				t.Fatal(err)
			}
			browserLogin(t, ctx, w.Env.URL, user, apptest.PasswordFor(user))
			seeds := []string{"/"}
			for _, p := range layoutExtraPages[r] {
				for k, id := range w.IDs {
					p = strings.ReplaceAll(p, "{"+k+"}", fmt.Sprint(id))
				}
				seeds = append(seeds, p)
			}
			for _, lang := range []string{"it", "en"} {
				if err := chromedp.Do(ctx, chromedp.Navigate(w.Env.URL+"/?lang="+lang)); err != nil {
					t.Fatal(err)
				}
				n := layoutCrawl(t, ctx, w.Env.URL, seeds, lang, keys)
				if n < 3 {
					t.Errorf("%s/%s: only %d pages crawled: is the menu rendered?", r, lang, n)
				}
				t.Logf("%s/%s: %d pages checked", r, lang, n)
			}
			_ = chromedp.Do(ctx, chromedp.Navigate(w.Env.URL+"/?lang=it"), chromedp.EmulateViewport(1280, 900),
				chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
		})
	}
}

// layoutCrawl visits pages breadth-first from seeds and checks each; it returns how many it
// checked.
func layoutCrawl(t *testing.T, ctx context.Context, base string, seeds []string, lang string, keys map[string]bool) int {
	t.Helper()
	seen := map[string]bool{}
	var queue []string
	push := func(p string) {
		shape := digitsSeg.ReplaceAllString(strings.SplitN(p, "?", 2)[0], "/N")
		if seen[shape] || layoutSkip.MatchString(p) {
			return
		}
		seen[shape] = true
		queue = append(queue, p)
	}
	for _, s := range seeds {
		push(s)
	}
	checked := 0
	for len(queue) > 0 && checked < layoutMaxPages {
		p := queue[0]
		queue = queue[1:]
		links, ok := layoutCheckPage(t, ctx, base, p, lang, keys)
		if !ok {
			continue
		}
		checked++
		for _, l := range links {
			push(l)
		}
	}
	return checked
}

// widestJS finds the element that sticks out furthest to the right, as a CSS-like path.
const widestJS = `(() => {
  const vw = window.innerWidth; let best = null, right = vw;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right > right + 0.5) { right = r.right; best = el; }
  }
  if (!best) return '';
  const path = [];
  for (let e = best; e && e !== document.body && path.length < 6; e = e.parentElement) {
    let s = e.tagName.toLowerCase();
    if (e.id) { s += '#' + e.id; path.unshift(s); break; }
    if (e.classList.length) s += '.' + [...e.classList].slice(0, 3).join('.');
    path.unshift(s);
  }
  return path.join(' > ') + ' (right edge ' + Math.round(right) + 'px)';
})()`

// linksJS lists the same-origin links of the page (path and query) outside the footer.
const linksJS = `[...document.querySelectorAll('a[href]')].filter(a => a.origin === location.origin && !a.hasAttribute('download') && !a.closest('footer')).map(a => a.pathname + a.search)`

const axeRunJS = `axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))))`

// layoutCheckPage opens one page, runs every check on it and returns its links. ok is false
// when the page could not be opened (it is reported).
func layoutCheckPage(t *testing.T, ctx context.Context, base, p, lang string, keys map[string]bool) (links []string, ok bool) {
	t.Helper()
	where := fmt.Sprintf("%s [%s]", p, lang)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Errorf("%s: viewport: %v", where, err)
		return nil, false
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(base+p))
	if err != nil {
		t.Errorf("%s: cannot open: %v", where, err)
		return nil, false
	}
	if resp.Status >= 400 {
		t.Errorf("%s: reached from the role's pages but answers %d", where, resp.Status)
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		if u, err := url.Parse(loc); err == nil && u.Path == "/login" && p != "/login" {
			t.Errorf("%s: redirected to the login page", where)
			return nil, false
		}
	}
	links, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](linksJS))
	if err != nil {
		t.Errorf("%s: links: %v", where, err)
	}
	// Raw message keys: a key of the catalogue shown as it is means a missing translation
	// or a typo in a template.
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Errorf("%s: text: %v", where, err)
	}
	for _, tok := range rawKeyCandidates(text) {
		if _, isKey := keys[tok]; isKey {
			t.Errorf("%s: shows the raw message key %q", where, tok)
		}
	}
	// axe-core once per page at the desktop width, in Italian: the English pass checks the
	// texts and the widths, the markup being the same.
	if lang == "it" {
		layoutAxe(t, ctx, where)
	}
	for _, wd := range layoutWidths {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(wd, 900), chromedp.Sleep(50*time.Millisecond)); err != nil {
			t.Errorf("%s at %d px: %v", where, wd, err)
			continue
		}
		dims, err := chromedp.Run(ctx, chromedp.Evaluate[[2]int64](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if err != nil {
			t.Errorf("%s at %d px: %v", where, wd, err)
			continue
		}
		if sw, iw := dims[0], dims[1]; sw > iw {
			widest, _ := chromedp.Run(ctx, chromedp.Evaluate[string](widestJS))
			t.Errorf("%s at %d px: the page is %d px wide (viewport %d); widest element: %s", where, wd, sw, iw, widest)
			screenshot(t, ctx, fmt.Sprintf("layout_%s_%d_%s", lang, wd, strings.NewReplacer("/", "_", "?", "_", "&", "_").Replace(p)))
		}
	}
	sort.Strings(links)
	return links, true
}

var keyLike = regexp.MustCompile(`[a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)+`)

// rawKeyCandidates returns the dotted lower-case words of a text: the only shape a raw
// message key can have.
func rawKeyCandidates(text string) []string { return keyLike.FindAllString(text, -1) }

// layoutAxe injects axe-core into the page and reports every serious or critical violation.
func layoutAxe(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		t.Errorf("%s: loading axe-core: %v", where, err)
		return
	}
	axeOut, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRunJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Errorf("%s: axe-core: %v", where, err)
		return
	}
	var vs []struct {
		ID, Impact, Help string
		Targets          []string
	}
	if err := json.Unmarshal([]byte(axeOut), &vs); err != nil {
		t.Errorf("%s: axe-core result: %v", where, err)
	}
	for _, v := range vs {
		t.Errorf("%s: axe %s (%s): %s; at %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Targets, " | "))
	}
}
