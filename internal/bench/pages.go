package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Page is one page of the running platform to load: a path (or several, rotated: e.g.
// different search queries) requested with a logged-in user's session.
type Page struct {
	Name   string   // scenario name, e.g. "http.home"
	About  string   // what it shows
	Paths  []string // e.g. "/", "/professionals?q=rossi"
	Cookie string   // the Cookie header of the session to use ("" = anonymous)
	// Must is a string every response must contain, checked once before measuring, so a
	// page that silently shows an error or the login form is not benchmarked as fast.
	Must    string
	Targets map[string][]Target // per metric, e.g. "p95_ms": {AtMost(50)}
}

// PageConfig sizes the page scenarios.
type PageConfig struct {
	Rate          float64       // open-loop arrival rate, requests/s
	Duration      time.Duration // per repetition, per phase
	Conns         int           // closed-loop connections for the capacity phase
	InProcessLoad bool
}

// DefaultPageConfig is the configuration of a full run; quick is the CI smoke one.
func DefaultPageConfig(quick bool) PageConfig {
	if quick {
		return PageConfig{Rate: 100, Duration: 700 * time.Millisecond, Conns: 64}
	}
	return PageConfig{Rate: 100, Duration: 4 * time.Second, Conns: 64}
}

// Page metrics.
const (
	MetricRPS          = "capacity_rps"
	MetricP50          = "p50_ms"
	MetricP95          = "p95_ms"
	MetricP99          = "p99_ms"
	MetricLoadCPU      = "loadgen_cpu_percent"
	MetricServerCPUReq = "server_cpu_ms_per_req"
	// MetricOpenRate is the arrival rate of the open-loop phase: the configured rate, or 70 %
	// of the page's measured capacity when that is lower.
	MetricOpenRate = "open_loop_rate_rps"
)

// PageScenario measures one page: its capacity (closed loop, compared with the trivial
// handler's) and its latency percentiles at a constant arrival rate (open loop, compared
// with the trivial handler's at the same rate), plus the load generator's CPU and the
// server CPU per request.
func PageScenario(baseURL string, p Page, cfg PageConfig) Scenario {
	load := func(ctx context.Context, lc LoadConfig) (LoadResult, error) {
		if cfg.InProcessLoad {
			return RunLoad(ctx, lc)
		}
		return RunLoadProcess(ctx, lc)
	}
	var header http.Header
	if p.Cookie != "" {
		header = http.Header{"Cookie": {p.Cookie}}
	}
	spec := func(m, unit string, b Direction, base string) Spec {
		return Spec{Metric: m, Unit: unit, Better: b, Baseline: base, Targets: p.Targets[m]}
	}
	return Scenario{
		Name:  p.Name,
		About: p.About,
		Specs: []Spec{
			spec(MetricRPS, "req/s", Higher, BaselineHTTP),
			spec(MetricP50, "ms", Lower, BaselineHTTPP50),
			spec(MetricP95, "ms", Lower, BaselineHTTPP95),
			spec(MetricP99, "ms", Lower, BaselineHTTPP99),
			spec(MetricLoadCPU, "%", Lower, ""),
			spec(MetricServerCPUReq, "ms", Lower, ""),
			spec(MetricOpenRate, "req/s", Higher, ""),
		},
		Setup: func(ctx context.Context) error {
			for _, path := range p.Paths {
				if err := CheckPage(ctx, baseURL+path, p.Cookie, p.Must); err != nil {
					return err
				}
			}
			return nil
		},
		Rep: func(ctx context.Context) (map[string]float64, error) {
			closed, err := load(ctx, LoadConfig{URL: baseURL, Paths: p.Paths, Header: header, Conns: cfg.Conns, Duration: cfg.Duration})
			if err != nil {
				return nil, err
			}
			if closed.ErrorRate() > 0.01 {
				return nil, fmt.Errorf("%d errors of %d requests (%s)", closed.Errors, closed.Scheduled, closed.FirstError)
			}
			// A page whose capacity is below the configured rate would only measure its queue
			// (and the generator would drop requests): it is loaded at 70 % of the capacity just
			// measured instead, and the rate used is reported.
			rate := cfg.Rate
			if c := 0.7 * closed.Throughput; c < rate {
				rate = max(c, 1)
			}
			open, err := load(ctx, LoadConfig{URL: baseURL, Paths: p.Paths, Header: header, Rate: rate, Duration: cfg.Duration})
			if err != nil {
				return nil, err
			}
			if open.ErrorRate() > 0.01 {
				return nil, fmt.Errorf("under %.0f req/s: %d errors, %d dropped of %d (%s)", rate, open.Errors, open.Dropped, open.Scheduled, open.FirstError)
			}
			out := map[string]float64{MetricRPS: closed.Throughput, MetricP50: open.P50, MetricP95: open.P95, MetricP99: open.P99,
				MetricLoadCPU: open.LoadCPUPercent, MetricOpenRate: rate}
			if open.OK > 0 {
				out[MetricServerCPUReq] = 1000 * open.ServerCPUS / float64(open.OK)
			}
			if !open.SeparateProcess {
				// Without a separate process the server's CPU cannot be told apart.
				out[MetricServerCPUReq] = 1000 * open.LoadCPUS / float64(max(open.OK, 1))
			}
			return out, nil
		},
	}
}

// CheckPage fetches a URL once and fails unless it answers 200 with a body containing must.
func CheckPage(ctx context.Context, u, cookie, must string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	c := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d (%s)", u, res.StatusCode, res.Header.Get("Location"))
	}
	if must != "" && !strings.Contains(string(body), must) {
		return fmt.Errorf("GET %s: the page does not contain %q", u, must)
	}
	return nil
}

// Login logs in through the platform's login form and returns the session's Cookie header.
func Login(ctx context.Context, baseURL, username, password string) (string, error) {
	form := url.Values{"username": {username}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("login %s: status %d", username, res.StatusCode)
	}
	var parts []string
	for _, ck := range res.Cookies() {
		if ck.Value != "" {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("login %s: no session cookie", username)
	}
	return strings.Join(parts, "; "), nil
}
