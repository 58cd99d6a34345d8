package monitor

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

const geoSource = "/work/shared/reference/geo/"

// TestEmbeddedGeoIsDerived checks that the embedded boundaries are what DeriveGeo makes of
// the reference files (ESD_REGEN_GEO=1 rewrites them).
func TestEmbeddedGeoIsDerived(t *testing.T) {
	regions, err1 := os.ReadFile(geoSource + "limits_IT_regions.topo.json")
	provinces, err2 := os.ReadFile(geoSource + "limits_IT_provinces.topo.json")
	if err1 != nil || err2 != nil {
		t.Skip("reference geo files not available")
	}
	got, err := DeriveGeo(regions, provinces)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("ESD_REGEN_GEO") == "1" {
		if err := os.WriteFile("geo_it.topo.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, geoTopo) {
		t.Fatal("geo_it.topo.json is stale: run ESD_REGEN_GEO=1 go test ./internal/monitor -run TestEmbeddedGeo")
	}
}

func TestItalyMap(t *testing.T) {
	g, err := ItalyMap()
	if err != nil {
		t.Fatal(err)
	}
	want := "01 02 021 022 03 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20"
	var codes []string
	total := 0
	for _, a := range g.Areas {
		codes = append(codes, a.Code)
		if len(a.Path) < 100 || a.Name == "" {
			t.Errorf("area %s %q: path of %d bytes", a.Code, a.Name, len(a.Path))
		}
		if a.CX <= 0 || a.CX >= g.Width || a.CY <= 0 || a.CY >= g.Height {
			t.Errorf("area %s: label at %.0f,%.0f outside %.0f×%.0f", a.Code, a.CX, a.CY, g.Width, g.Height)
		}
		total += len(a.Path)
	}
	if strings.Join(codes, " ") != want {
		t.Fatalf("areas %v, want %s", codes, want)
	}
	// Italy is taller than wide; the simplified paths stay small enough for every page.
	if g.Height < g.Width || total > 120_000 {
		t.Fatalf("map %.0f×%.0f, %d bytes of paths", g.Width, g.Height, total)
	}
	t.Logf("map %.0f×%.0f, %d bytes of paths", g.Width, g.Height, total)
}

func TestSimplifyKeepsShape(t *testing.T) {
	line := [][2]float64{{0, 0}, {1, 0.01}, {2, 0}, {3, 5}, {4, 0}}
	s := simplify(line, 0.1)
	if len(s) != 4 || s[2] != [2]float64{3, 5} {
		t.Fatalf("simplify: %v", s)
	}
}
