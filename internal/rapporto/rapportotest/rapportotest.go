// Package rapportotest helps tests check rapporto evento files against the real schema.
package rapportotest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"esd/internal/rapporto"
)

// Xmllint validates xml against the embedded rapporto_evento 1.16 XSD with libxml2's
// xmllint (Debian package libxml2-utils) and fails the test with xmllint's output when the
// file is not valid. Without xmllint the test is skipped, unless ESD_TEST_REQUIRE_XMLLINT
// is set (as in CI), where a missing validator is a failure: a skipped check must not pass
// for a passed one there.
func Xmllint(t testing.TB, xml []byte) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("ESD_TEST_REQUIRE_XMLLINT") != "" {
			t.Fatalf("xmllint not found (apt-get install libxml2-utils) and ESD_TEST_REQUIRE_XMLLINT is set")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils); set ESD_TEST_REQUIRE_XMLLINT to make this a failure")
	}
	dir := t.TempDir()
	xsd := filepath.Join(dir, rapporto.SchemaFile)
	doc := filepath.Join(dir, "rapporto.xml")
	if err := os.WriteFile(xsd, rapporto.Schema(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(doc, xml, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", xsd, doc).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: the file does not validate against %s: %v\n%s", rapporto.SchemaFile, err, out)
	}
}
