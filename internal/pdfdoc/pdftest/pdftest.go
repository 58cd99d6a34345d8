// Package pdftest reads PDFs back as text in tests with a real tool, poppler's pdftotext,
// so a test checks what a reader of the document would see, not what the writer meant.
package pdftest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Text returns the text of pdf as pdftotext extracts it (layout kept, UTF-8). When
// pdftotext is not installed the test is skipped, unless ESD_TEST_REQUIRE_PDFTOTEXT is set
// (CI sets it), in which case it fails.
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ESD_TEST_REQUIRE_PDFTOTEXT") != "" {
			t.Fatalf("pdftotext is required (ESD_TEST_REQUIRE_PDFTOTEXT is set) but not found: %v", err)
		}
		t.Skip("pdftotext not installed (Debian poppler-utils); set ESD_TEST_REQUIRE_PDFTOTEXT to make this a failure")
	}
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, "-layout", "-enc", "UTF-8", in, "-")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext refused the PDF: %v: %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("pdftotext complained about the PDF: %s", stderr.String())
	}
	return out.String()
}

// Flat collapses every run of white space (layout columns, wrapped lines) to one space, so
// a test can look for a phrase the layout broke across lines. pdftotext also drops the space
// after an arrow glyph, so "→ " becomes "→".
func Flat(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "→ ", "→")
}
