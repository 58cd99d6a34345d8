package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The command line as people type it, against the real binary: global flags before and
// after the command, help on every command with exit 0 and without touching a database,
// unknown commands and flags with exit 2, operating-system errors said as they are.

func buildESD(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "esd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type result struct {
	code           int
	stdout, stderr string
}

func runESD(t *testing.T, bin, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ESD_DATABASE_URL=", "ESD_DATA_DIR=", "ESD_ADDR=")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return result{code, out.String(), errb.String()}
}

func TestCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildESD(t)
	work := t.TempDir() // the working folder: help must leave it empty
	data := t.TempDir()

	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"help", "seed"}, {"seed", "--help"}, {"import", "report", "-h"},
		{"credits", "balance", "--help"}, {"serve", "--help"}, {"user", "create", "--help"}, {"help", "import", "professionals"}, {"bench", "-help"}} {
		r := runESD(t, bin, work, args...)
		if r.code != 0 || !strings.Contains(strings.ToLower(r.stdout), "uso: esd") {
			t.Errorf("esd %s: exit %d, stdout %.200q, stderr %.200q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	if r := runESD(t, bin, work, "help", "seed"); !strings.Contains(r.stdout, "--size") {
		t.Errorf("help seed does not give the command's usage: %q", r.stdout)
	}
	if entries, _ := os.ReadDir(work); len(entries) > 0 {
		t.Errorf("help wrote into the working folder: %v", entries)
	}

	usageCases := [][]string{{"bogus"}, {"--bogus"}, {"serve", "--bogus"}, {"import", "bogus"}, {"--data"},
		{"--data", data, "credits", "balance", "--bogus"}, {"--data", data, "persona", "reassign", "--framework", "x"},
		{"migrate", "extra", "--data", data}, {"user", "create"}}
	for _, args := range usageCases {
		r := runESD(t, bin, work, args...)
		if r.code != 2 {
			t.Errorf("esd %s: exit %d, want 2 (stderr %.300q)", strings.Join(args, " "), r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "internal error") || strings.Contains(r.stderr, "errore interno") {
			t.Errorf("esd %s: a usage mistake reported as internal: %q", strings.Join(args, " "), r.stderr)
		}
	}

	// Global flags after the command mean what they mean before it.
	for _, args := range [][]string{{"migrate", "--data", data}, {"--data=" + data, "migrate"}, {"-data", data, "migrate"}} {
		r := runESD(t, bin, work, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "migrazioni applicate") {
			t.Errorf("esd %s: exit %d %q %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "esd.db")); err != nil {
		t.Errorf("--data after the command did not choose the data folder: %v", err)
	}
	// A flag of a command may follow its file; a missing file is said as the system says it.
	r := runESD(t, bin, work, "import", "report", filepath.Join(data, "missing.xml"), "--dry-run", "--data", data)
	if r.code != 1 || !strings.Contains(r.stderr, "no such file") || strings.Contains(r.stderr, "internal error") {
		t.Errorf("missing file: exit %d %q", r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(work); len(entries) > 0 {
		t.Errorf("commands with --data wrote into the working folder: %v", entries)
	}

	// What people type: esd serve --data DIR --addr ADDR, and it serves.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "serve", "--data", data, "--addr", addr)
	srv.Dir = work
	srv.Env = append(os.Environ(), "ESD_DATABASE_URL=", "ESD_DATA_DIR=", "ESD_ADDR=")
	stderr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	go func() { // drain the logs
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
		}
	}()
	var up bool
	for i := 0; i < 300 && !up; i++ {
		res, err := http.Get(fmt.Sprintf("http://%s/login", addr))
		if err == nil {
			res.Body.Close()
			up = res.StatusCode == http.StatusOK
		}
		if !up {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if !up {
		t.Fatalf("esd serve --data DIR --addr %s did not serve", addr)
	}
}
