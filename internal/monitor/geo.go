package monitor

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The map of Italy's 19 regions and 2 autonomous provinces is drawn on the server from
// TopoJSON. geo_it.topo.json is derived (DeriveGeo) from the ISTAT boundaries published by
// Openpolis (../shared/reference/geo/limits_IT_regions.topo.json and
// limits_IT_provinces.topo.json): the regions without Trentino-Alto Adige, plus its provinces
// Bolzano (021) and Trento (022), which are the two autonomous provinces, with only the arcs
// they use. Each area carries its code: the ISTAT region code, or 021/022.

//go:embed geo_it.topo.json
var geoTopo []byte

// GeoCredit is the source credit shown under the map.
const GeoCredit = "ISTAT, Openpolis"

// topology is the part of TopoJSON the map needs.
type topology struct {
	Type      string                    `json:"type"`
	Arcs      [][][2]float64            `json:"arcs"`
	Transform *topoTransform            `json:"transform,omitempty"`
	Objects   map[string]topoCollection `json:"objects"`
}

type topoTransform struct {
	Scale     [2]float64 `json:"scale"`
	Translate [2]float64 `json:"translate"`
}

type topoCollection struct {
	Type       string         `json:"type"`
	Geometries []topoGeometry `json:"geometries"`
}

type topoGeometry struct {
	Type       string            `json:"type"`
	Arcs       json.RawMessage   `json:"arcs"`
	Properties map[string]any    `json:"properties,omitempty"`
	polygons   [][][]int         // decoded arc references: polygon → ring → arcs
	props      map[string]string // string properties
}

// decodeTopology parses TopoJSON and the arc references of its polygons.
func decodeTopology(b []byte) (*topology, error) {
	var t topology
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("topojson: %w", err)
	}
	if t.Type != "Topology" {
		return nil, fmt.Errorf("topojson: type %q, want Topology", t.Type)
	}
	for name, c := range t.Objects {
		for i := range c.Geometries {
			g := &c.Geometries[i]
			switch g.Type {
			case "Polygon":
				var rings [][]int
				if err := json.Unmarshal(g.Arcs, &rings); err != nil {
					return nil, fmt.Errorf("topojson: %s geometry %d: %w", name, i, err)
				}
				g.polygons = [][][]int{rings}
			case "MultiPolygon":
				if err := json.Unmarshal(g.Arcs, &g.polygons); err != nil {
					return nil, fmt.Errorf("topojson: %s geometry %d: %w", name, i, err)
				}
			default:
				return nil, fmt.Errorf("topojson: %s geometry %d: type %q not supported", name, i, g.Type)
			}
			for _, p := range g.polygons {
				for _, r := range p {
					for _, a := range r {
						if ai := arcIndex(a); ai < 0 || ai >= len(t.Arcs) {
							return nil, fmt.Errorf("topojson: %s geometry %d: arc %d out of range", name, i, a)
						}
					}
				}
			}
			g.props = map[string]string{}
			for k, v := range g.Properties {
				switch x := v.(type) {
				case string:
					g.props[k] = x
				case float64:
					g.props[k] = strconv.FormatFloat(x, 'f', -1, 64)
				}
			}
		}
		t.Objects[name] = c
	}
	return &t, nil
}

// arcIndex is the arc an index refers to: ~i (negative) is arc i reversed.
func arcIndex(a int) int {
	if a < 0 {
		return ^a
	}
	return a
}

// arcPoints decodes arc i (delta-encoded when the topology is quantized) to longitude and
// latitude, reversed for a negative reference.
func (t *topology) arcPoints(ref int) [][2]float64 {
	arc := t.Arcs[arcIndex(ref)]
	out := make([][2]float64, len(arc))
	var x, y float64
	for i, p := range arc {
		if t.Transform != nil {
			x += p[0]
			y += p[1]
			out[i] = [2]float64{x*t.Transform.Scale[0] + t.Transform.Translate[0], y*t.Transform.Scale[1] + t.Transform.Translate[1]}
		} else {
			out[i] = p
		}
	}
	if ref < 0 {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// ring joins the arcs of a ring (each arc starts where the previous ended).
func (t *topology) ring(refs []int) [][2]float64 {
	var pts [][2]float64
	for i, r := range refs {
		p := t.arcPoints(r)
		if i > 0 && len(p) > 0 {
			p = p[1:]
		}
		pts = append(pts, p...)
	}
	return pts
}

// simplify is Douglas–Peucker with tolerance eps (in projected units), keeping the ends.
func simplify(pts [][2]float64, eps float64) [][2]float64 {
	if len(pts) < 3 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	var rec func(a, b int)
	rec = func(a, b int) {
		if b <= a+1 {
			return
		}
		ax, ay, bx, by := pts[a][0], pts[a][1], pts[b][0], pts[b][1]
		dx, dy := bx-ax, by-ay
		l := math.Hypot(dx, dy)
		best, at := -1.0, -1
		for i := a + 1; i < b; i++ {
			var d float64
			if l == 0 {
				d = math.Hypot(pts[i][0]-ax, pts[i][1]-ay)
			} else {
				d = math.Abs(dy*pts[i][0]-dx*pts[i][1]+bx*ay-by*ax) / l
			}
			if d > best {
				best, at = d, i
			}
		}
		if best > eps {
			keep[at] = true
			rec(a, at)
			rec(at, b)
		}
	}
	rec(0, len(pts)-1)
	out := make([][2]float64, 0, len(pts)/4)
	for i, k := range keep {
		if k {
			out = append(out, pts[i])
		}
	}
	return out
}

// MapArea is one region or autonomous province of the map: its code (ISTAT region code, or
// 021/022 for the autonomous provinces), name, SVG path and the point for its label.
type MapArea struct {
	Code, Name string
	Path       string
	CX, CY     float64
}

// Geo is the projected, simplified map.
type Geo struct {
	Width, Height float64
	Areas         []MapArea
}

var (
	geoOnce sync.Once
	geoMap  *Geo
	geoErr  error
)

// ItalyMap returns the map drawn from the embedded boundaries (computed once).
func ItalyMap() (*Geo, error) {
	geoOnce.Do(func() { geoMap, geoErr = buildMap(geoTopo, 460) })
	return geoMap, geoErr
}

// buildMap projects the areas (equirectangular, longitudes scaled by the cosine of Italy's
// middle latitude, which looks right at this size), fits them into width, and simplifies each
// ring to a quarter of a pixel.
func buildMap(b []byte, width float64) (*Geo, error) {
	t, err := decodeTopology(b)
	if err != nil {
		return nil, err
	}
	c, ok := t.Objects["areas"]
	if !ok {
		return nil, fmt.Errorf("topojson: no object \"areas\"")
	}
	const lat0 = 42.0
	k := math.Cos(lat0 * math.Pi / 180)
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	type area struct {
		code, name string
		rings      [][][2]float64
	}
	var areas []area
	for _, g := range c.Geometries {
		a := area{code: g.props["code"], name: g.props["name"]}
		for _, p := range g.polygons {
			for _, r := range p {
				pts := t.ring(r)
				for i := range pts {
					pts[i] = [2]float64{pts[i][0] * k, -pts[i][1]}
					minX, maxX = math.Min(minX, pts[i][0]), math.Max(maxX, pts[i][0])
					minY, maxY = math.Min(minY, pts[i][1]), math.Max(maxY, pts[i][1])
				}
				a.rings = append(a.rings, pts)
			}
		}
		areas = append(areas, a)
	}
	scale := width / (maxX - minX)
	g := &Geo{Width: width, Height: math.Ceil((maxY - minY) * scale)}
	for _, a := range areas {
		var sb strings.Builder
		var sx, sy, sw float64
		for _, r := range a.rings {
			for i := range r {
				r[i] = [2]float64{(r[i][0] - minX) * scale, (r[i][1] - minY) * scale}
			}
			s := simplify(r, 0.25)
			if len(s) < 4 {
				continue // an islet smaller than a pixel
			}
			for i, p := range s {
				if i == 0 {
					sb.WriteByte('M')
				} else {
					sb.WriteByte('L')
				}
				sb.WriteString(strconv.FormatFloat(p[0], 'f', 1, 64))
				sb.WriteByte(' ')
				sb.WriteString(strconv.FormatFloat(p[1], 'f', 1, 64))
			}
			sb.WriteByte('Z')
			// The label goes at the centroid of the largest ring.
			cx, cy, ar := centroid(s)
			if math.Abs(ar) > sw {
				sx, sy, sw = cx, cy, math.Abs(ar)
			}
		}
		g.Areas = append(g.Areas, MapArea{Code: a.code, Name: a.name, Path: sb.String(), CX: sx, CY: sy})
	}
	sort.Slice(g.Areas, func(i, j int) bool { return g.Areas[i].Code < g.Areas[j].Code })
	return g, nil
}

func centroid(pts [][2]float64) (float64, float64, float64) {
	var a, cx, cy float64
	for i := range pts {
		j := (i + 1) % len(pts)
		f := pts[i][0]*pts[j][1] - pts[j][0]*pts[i][1]
		a += f
		cx += (pts[i][0] + pts[j][0]) * f
		cy += (pts[i][1] + pts[j][1]) * f
	}
	if a == 0 {
		return pts[0][0], pts[0][1], 0
	}
	return cx / (3 * a), cy / (3 * a), a / 2
}

// DeriveGeo builds the embedded boundaries from Openpolis's regions and provinces TopoJSON:
// every region but Trentino-Alto Adige (04), and the provinces of Bolzano (021) and Trento
// (022), with only the arcs they use, renumbered. Both sources share one quantization.
func DeriveGeo(regions, provinces []byte) ([]byte, error) {
	tr, err := decodeTopology(regions)
	if err != nil {
		return nil, fmt.Errorf("regions: %w", err)
	}
	tp, err := decodeTopology(provinces)
	if err != nil {
		return nil, fmt.Errorf("provinces: %w", err)
	}
	if tr.Transform == nil || tp.Transform == nil || *tr.Transform != *tp.Transform {
		return nil, fmt.Errorf("the two topologies are not quantized alike")
	}
	out := topology{Type: "Topology", Transform: tr.Transform, Objects: map[string]topoCollection{}}
	type src struct {
		t   *topology
		tag int
	}
	remap := map[[2]int]int{}
	useArc := func(s src, ref int) int {
		i := arcIndex(ref)
		k := [2]int{s.tag, i}
		n, ok := remap[k]
		if !ok {
			n = len(out.Arcs)
			remap[k] = n
			out.Arcs = append(out.Arcs, s.t.Arcs[i])
		}
		if ref < 0 {
			return ^n
		}
		return n
	}
	var geoms []topoGeometry
	add := func(s src, g topoGeometry, code, name string) error {
		var polys [][][]int
		for _, p := range g.polygons {
			var rings [][]int
			for _, r := range p {
				var refs []int
				for _, a := range r {
					refs = append(refs, useArc(s, a))
				}
				rings = append(rings, refs)
			}
			polys = append(polys, rings)
		}
		raw, err := json.Marshal(polys)
		if err != nil {
			return err
		}
		geoms = append(geoms, topoGeometry{Type: "MultiPolygon", Arcs: raw, Properties: map[string]any{"code": code, "name": name}})
		return nil
	}
	for _, c := range tr.Objects {
		for _, g := range c.Geometries {
			if g.props["reg_istat_code"] == "04" {
				continue
			}
			if err := add(src{tr, 0}, g, g.props["reg_istat_code"], g.props["reg_name"]); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range tp.Objects {
		for _, g := range c.Geometries {
			if code := g.props["prov_istat_code"]; code == "021" || code == "022" {
				if err := add(src{tp, 1}, g, code, g.props["prov_name"]); err != nil {
					return nil, err
				}
			}
		}
	}
	sort.Slice(geoms, func(i, j int) bool {
		return fmt.Sprint(geoms[i].Properties["code"]) < fmt.Sprint(geoms[j].Properties["code"])
	})
	if len(geoms) != 21 {
		return nil, fmt.Errorf("derived %d areas, want the 21 regions and autonomous provinces", len(geoms))
	}
	out.Objects["areas"] = topoCollection{Type: "GeometryCollection", Geometries: geoms}
	return json.Marshal(out)
}
