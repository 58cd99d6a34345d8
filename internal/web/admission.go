package web

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"esd/internal/domain"
)

// AdmissionConfig bounds how much work the server takes on at once. Beyond Limit requests
// in progress a request waits in a short queue (at most Queue of them, each at most Wait);
// beyond that it is refused at once with 429 Too Many Requests and a Retry-After header,
// rather than piling up until every request times out or the database pool makes them all
// slow. Imports (large request bodies parsed and written in one transaction) have a smaller
// limit of their own, ImportLimit, so a burst of imports cannot take every slot from pages.
// Health, readiness, metrics and static files are never held back: a load balancer must see
// a busy server as alive.
//
// Set in code, a zero field takes its default (see DefaultAdmission) and a negative Queue
// means none; Limit < 0 switches admission off.
type AdmissionConfig struct {
	Limit       int
	Queue       int
	Wait        time.Duration
	ImportLimit int
}

// Environment settings of the admission control (read when the server starts serving).
const (
	EnvAdmissionLimit  = "ESD_ADMISSION_LIMIT"  // requests served at once; -1 = off
	EnvAdmissionQueue  = "ESD_ADMISSION_QUEUE"  // requests waiting for a slot
	EnvAdmissionWait   = "ESD_ADMISSION_WAIT"   // longest wait in the queue, e.g. 500ms
	EnvAdmissionImport = "ESD_ADMISSION_IMPORT" // imports served at once
)

// DefaultAdmission derives the limits from the CPUs the process may use and the database
// pool. A request mostly waits on the database, so more requests in progress than
// connections only lengthen the queue inside database/sql, invisibly; two per connection
// keeps every connection busy while the other request renders, and 4 per CPU keeps the CPUs
// busy on a database that is not the bottleneck (PostgreSQL with its larger pool). The queue
// absorbs a burst of twice the limit for at most half a second: longer and the client would
// do better to come back.
func DefaultAdmission(poolConns int) AdmissionConfig {
	procs := runtime.GOMAXPROCS(0)
	limit := max(4*procs, 2*poolConns, 8)
	return AdmissionConfig{Limit: limit, Queue: 2 * limit, Wait: 500 * time.Millisecond, ImportLimit: max(1, procs/2)}
}

// AdmissionFromEnv returns the defaults for poolConns with the ESD_ADMISSION_* settings
// applied; a malformed setting is an error naming it.
func AdmissionFromEnv(poolConns int) (AdmissionConfig, error) {
	c := DefaultAdmission(poolConns)
	for _, x := range []struct {
		env string
		dst *int
	}{{EnvAdmissionLimit, &c.Limit}, {EnvAdmissionQueue, &c.Queue}, {EnvAdmissionImport, &c.ImportLimit}} {
		if v := strings.TrimSpace(os.Getenv(x.env)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || (n < 0 && x.env != EnvAdmissionLimit) {
				return c, fmt.Errorf("%s=%q: want a whole number", x.env, v)
			}
			*x.dst = n
		}
	}
	if v := strings.TrimSpace(os.Getenv(EnvAdmissionWait)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return c, fmt.Errorf("%s=%q: want a duration such as 500ms", EnvAdmissionWait, v)
		}
		c.Wait = d
	}
	return c, nil
}

// admission is the running state: a semaphore per class and the count of waiters.
type admission struct {
	cfg              AdmissionConfig
	slots, imports   chan struct{}
	waiting          atomic.Int64
	shed             *prometheus.CounterVec
	retryAfterSecond string
}

var admissionMessages = map[string][2]string{
	"admission.busy": {"Il servizio è molto carico in questo momento: riprova tra qualche secondo.",
		"The service is very busy right now: please try again in a few seconds."},
	"admission.import_busy": {"Sono già in corso altre importazioni: riprova tra qualche secondo. Nulla è stato importato.",
		"Other imports are already running: please try again in a few seconds. Nothing was imported."},
}

func init() { addMessages(admissionMessages) }

// admissionState returns the admission control, building it on first use from
// s.Admission when set, else from the environment over the defaults for the database pool.
func (s *Server) admissionState() *admission {
	if a := s.adm.Load(); a != nil {
		return a
	}
	s.admMu.Lock()
	defer s.admMu.Unlock()
	if a := s.adm.Load(); a != nil {
		return a
	}
	cfg := s.Admission
	if cfg == (AdmissionConfig{}) {
		pool := 0
		if s.DB != nil {
			pool = s.DB.Read.Stats().MaxOpenConnections
			if s.DB.Write != s.DB.Read {
				pool += s.DB.Write.Stats().MaxOpenConnections
			}
		}
		var err error
		if cfg, err = AdmissionFromEnv(pool); err != nil {
			s.Log.Error("admission setting ignored", "err", err)
		}
	} else {
		cfg = withDefaults(cfg)
	}
	a := s.newAdmission(cfg)
	s.adm.Store(a)
	return a
}

// withDefaults fills the zero fields of a configuration set in code; a negative Queue
// means no queue at all.
func withDefaults(cfg AdmissionConfig) AdmissionConfig {
	d := DefaultAdmission(0)
	if cfg.Queue == 0 {
		cfg.Queue = d.Queue
	}
	cfg.Queue = max(cfg.Queue, 0)
	if cfg.Wait == 0 {
		cfg.Wait = d.Wait
	}
	return cfg
}

func (s *Server) newAdmission(cfg AdmissionConfig) *admission {
	cfg.ImportLimit = max(cfg.ImportLimit, 1)
	a := &admission{cfg: cfg, retryAfterSecond: strconv.Itoa(max(1, int(math.Ceil(cfg.Wait.Seconds()))))}
	if cfg.Limit > 0 {
		a.slots = make(chan struct{}, cfg.Limit)
		a.imports = make(chan struct{}, cfg.ImportLimit)
	}
	s.shedOnce.Do(func() {
		s.shed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "esd_http_shed_total",
			Help: "Requests refused with 429 by the admission control, by class (request or import)."}, []string{"class"})
		if s.metrics != nil {
			_ = s.metrics.reg.Register(s.shed)
		}
	})
	a.shed = s.shed
	return a
}

// SetAdmission replaces the admission limits while the server runs (tests, and an operator
// tool later): requests already admitted finish under the old limits.
func (s *Server) SetAdmission(cfg AdmissionConfig) {
	s.admMu.Lock()
	defer s.admMu.Unlock()
	s.adm.Store(s.newAdmission(withDefaults(cfg)))
}

// AdmissionLimits returns the limits in force, for the start-up log and the benchmark.
func (s *Server) AdmissionLimits() AdmissionConfig { return s.admissionState().cfg }

// exempt paths are never held back.
func admissionExempt(p string) bool {
	return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/")
}

// isImport tells the routes that parse a whole file and write it in one transaction.
func isImport(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return false
	}
	p := r.URL.Path
	return strings.HasSuffix(p, "/import") || p == "/api/v1/reports" || strings.HasSuffix(p, "/reports/import")
}

// admit is the admission middleware. It sits inside the request-id, logging and security
// headers (so a refused request is logged, counted and carries them) and before
// authentication (so a refused request costs no session lookup).
func (s *Server) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.admissionState()
		if a.slots == nil || admissionExempt(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if isImport(r) {
			// An import takes an import slot (no queue: imports are long, a client waiting
			// behind one would time out) and then an ordinary one.
			select {
			case a.imports <- struct{}{}:
				defer func() { <-a.imports }()
			default:
				a.refuse(s, w, r, "import", "admission.import_busy")
				return
			}
		}
		select {
		case a.slots <- struct{}{}:
		default:
			if a.waiting.Add(1) > int64(a.cfg.Queue) {
				a.waiting.Add(-1)
				a.refuse(s, w, r, "request", "admission.busy")
				return
			}
			t := time.NewTimer(a.cfg.Wait)
			select {
			case a.slots <- struct{}{}:
				t.Stop()
				a.waiting.Add(-1)
			case <-t.C:
				a.waiting.Add(-1)
				a.refuse(s, w, r, "request", "admission.busy")
				return
			case <-r.Context().Done():
				t.Stop()
				a.waiting.Add(-1)
				return // the client left: nobody to answer
			}
		}
		defer func() { <-a.slots }()
		next.ServeHTTP(w, r)
	})
}

// refuse answers 429 with Retry-After: problem+json for the API, a short page otherwise, in
// the language of the request (no session is looked up: the lang cookie or ?lang decides,
// then Accept-Language).
func (a *admission) refuse(s *Server, w http.ResponseWriter, r *http.Request, class, key string) {
	a.shed.WithLabelValues(class).Inc()
	w.Header().Set("Retry-After", a.retryAfterSecond)
	w.Header().Set("Cache-Control", "no-store")
	lang := requestLang(r)
	err := &domain.Error{Code: domain.ETOOMANY, Message: translate(lang, key)}
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "json") {
		s.writeError(w, r, err)
		return
	}
	c := s.newCtx(w, r)
	c.Lang = lang
	s.renderError(c, err)
}

// requestLang is the language of a request without its session: ?lang, the lang cookie,
// then an Accept-Language preferring English; Italian otherwise.
func requestLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "it" || l == "en" {
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == "it" || ck.Value == "en") {
		return ck.Value
	}
	if al := strings.ToLower(r.Header.Get("Accept-Language")); strings.HasPrefix(al, "en") {
		return "en"
	}
	return "it"
}

// admissionFields are embedded in Server (kept here so server.go changes by two lines).
type admissionFields struct {
	admMu    sync.Mutex
	adm      atomic.Pointer[admission]
	shedOnce sync.Once
	shed     *prometheus.CounterVec
}
