package crashtest

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"esd/internal/db"
)

// adminPassword is the password of the first national account of every crash-test database.
const adminPassword = "crash-national-pw-2026"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// esdBinary builds cmd/esd once per test run into a temporary folder: the crash tests kill a
// real process, so they need the real binary, not the app in-process.
func esdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "esd-crashtest-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "esd")
		cmd := exec.Command("go", "build", "-o", binPath, "esd/cmd/esd")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func moduleRoot() string {
	wd, _ := os.Getwd()
	for d := wd; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return wd
}

// server is one `esd serve` process on a database that outlives it.
type server struct {
	t    *testing.T
	bin  string
	dsn  string
	data string
	env  []string
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	out  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs `esd serve` on the database and waits until it answers /healthz.
func start(t *testing.T, bin, dsn, data string, env ...string) *server {
	t.Helper()
	s := &server{t: t, bin: bin, dsn: dsn, data: data, env: env, done: make(chan struct{}), out: &syncBuffer{}}
	addr := freeAddr(t)
	s.url = "http://" + addr
	s.cmd = exec.Command(bin, "serve", "--db", dsn, "--data", data, "--addr", addr)
	s.cmd.Env = append(os.Environ(), append([]string{"ESD_ADMIN_PASSWORD=" + adminPassword, "ESD_JOBS_HEARTBEAT=300ms"}, env...)...)
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.kill)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			t.Fatalf("esd serve exited at start:\n%s", tail(s.out.String()))
		default:
		}
		res, err := http.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("esd serve did not answer in 60 s:\n%s", tail(s.out.String()))
	return nil
}

// kill sends SIGKILL (no shutdown, no deferred code, no final commit) and waits for the exit.
func (s *server) kill() {
	if s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// client is a logged-in session of the national admin.
type client struct {
	base string
	http *http.Client
}

func (s *server) login(t *testing.T) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{base: s.url, http: &http.Client{Jar: jar, Timeout: 120 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res, err := c.http.PostForm(s.url+"/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", res.StatusCode)
	}
	return c
}

// signalReader calls sent once its content has been read to the end: the request's body is
// then in the server's hands and the kill can be timed from the moment work begins.
type signalReader struct {
	r    io.Reader
	once sync.Once
	sent func()
}

func (s *signalReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF && s.sent != nil {
		s.once.Do(s.sent)
	}
	return n, err
}

// do sends a request; a transport error (the server was killed) is returned, not fatal.
func (c *client) do(method, path, ctype string, body []byte) (int, string, error) {
	return c.doSent(method, path, ctype, body, nil)
}

// doSent is do calling sent when the body has been written out.
func (c *client) doSent(method, path, ctype string, body []byte, sent func()) (int, string, error) {
	req, err := http.NewRequest(method, c.base+path, &signalReader{r: bytes.NewReader(body), sent: sent})
	req.ContentLength = int64(len(body))
	if err != nil {
		return 0, "", err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func (c *client) json(t *testing.T, method, path string, in, out any) int {
	t.Helper()
	b, _ := json.Marshal(in)
	st, body, err := c.do(method, path, "application/json", b)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && st < 300 {
		if err := json.Unmarshal([]byte(body), out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, body)
		}
	}
	if st >= 300 {
		t.Logf("%s %s: %d %s", method, path, st, body)
	}
	return st
}

// openDirect opens the database beside the server for checks (read-only on SQLite).
func openDirect(t *testing.T, d db.Dialect, dsn string) *sql.DB {
	t.Helper()
	var x *sql.DB
	var err error
	if d == db.SQLite {
		x, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	} else {
		x, err = sql.Open("pgx", dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// integrityCheck runs PRAGMA integrity_check on a SQLite file while no server has it open.
func integrityCheck(t *testing.T, path string) {
	t.Helper()
	x, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		lines = append(lines, s)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		t.Fatalf("integrity_check after SIGKILL: %s", strings.Join(lines, "; "))
	}
}

func count(t *testing.T, x *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := x.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// lines reads the non-empty lines of s.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}
