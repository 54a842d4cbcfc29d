package mesh

import (
	"math"
	"testing"
)

func seg(id, region string, x0, y0, r0, x1, y1, r1 float64) Segment {
	return Segment{ID: id, Region: region,
		Start: Point{XUm: x0, YUm: y0, RUm: r0, HasX: true, HasY: true, HasZ: true, HasR: true},
		End:   Point{XUm: x1, YUm: y1, RUm: r1, HasX: true, HasY: true, HasZ: true, HasR: true}}
}

func attached(id, region, on, at string, x1, y1, r1 float64) Segment {
	return Segment{ID: id, Region: region,
		Start: Point{On: on, At: at},
		End:   Point{XUm: x1, YUm: y1, RUm: r1, HasX: true, HasY: true, HasZ: true, HasR: true}}
}

func discretize(t *testing.T, m *Morphology, s Settings) *Mesh {
	t.Helper()
	msh, _, err := Discretize(m, s)
	if err != nil {
		t.Fatal(err)
	}
	return msh
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// coupling returns G between voxels a and b, or 0.
func coupling(m *Mesh, a, b int) float64 {
	for _, n := range m.Voxels[a].Neighbours {
		if n.Voxel == b {
			return n.CouplingUm
		}
	}
	return 0
}

// TestSingleCompartment is the worked example of the NeuroRD notes §4.9:
// the Mäki-Marttunen voxel, 1 µm × 1 µm × 0.5 µm.
func TestSingleCompartment(t *testing.T) {
	m := &Morphology{Segments: []Segment{seg("seg1", "dendrite", 1, 1, 0.5, 2, 1, 0.5)}}
	msh := discretize(t, m, Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 0.2,
		MaxElementSide: []SizeOverride{{Key: "dendrite", SizeUm: 1}}})
	if len(msh.Voxels) != 1 || !near(msh.Voxels[0].VolumeUm3, 0.5) || !near(msh.Voxels[0].ExposedAreaUm2, 0.5) {
		t.Fatalf("got %d voxels, first %+v", len(msh.Voxels), msh.Voxels[0])
	}
	want := [4]Vec3{{1, 1.5, 0}, {2, 1.5, 0}, {2, 0.5, 0}, {1, 0.5, 0}}
	for k := range want {
		for a := 0; a < 3; a++ {
			if !near(msh.Voxels[0].Corners[k][a], want[k][a]) {
				t.Errorf("corner %d = %v, want %v", k, msh.Voxels[0].Corners[k], want[k])
			}
		}
	}
	// Without the region override the odd-divisor rule gives 5×5 boxes.
	msh = discretize(t, m, Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 0.2})
	if len(msh.Voxels) != 25 || !near(msh.Voxels[0].VolumeUm3, 0.2*0.2*0.5) {
		t.Errorf("without override: %d voxels of %v µm³, want 25 of 0.02", len(msh.Voxels), msh.Voxels[0].VolumeUm3)
	}
}

// TestTwoSegmentLine is the second worked example of §4.9 and the
// coupling numbers of §4.4.3 (verified against NeuroRD by the spec's
// authors): 21 voxels; G = 0.5 within and between 0.4 µm lines and
// 0.2/0.45 between a 0.4 µm and a 0.5 µm slice.
func TestTwoSegmentLine(t *testing.T) {
	a := seg("dend", "dendrite", 0, 0, 0.6, 2, 0, 0.6)
	a.Start.Label = "pA"
	b := attached("sec2", "soma", "dend", "end", 3, 0, 0.6)
	b.End.Label = "pB"
	msh := discretize(t, &Morphology{Segments: []Segment{a, b}}, Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 0.5})
	if len(msh.Voxels) != 21 {
		t.Fatalf("%d voxels, want 21", len(msh.Voxels))
	}
	for i, v := range msh.Voxels {
		vol, area, region := 0.08, 0.2, "dendrite"
		if i >= 15 {
			vol, area, region = 0.1, 0.25, "soma"
		}
		if !near(v.VolumeUm3, vol) || v.Region != region {
			t.Errorf("voxel %d: %v µm³ in %s, want %v in %s", i, v.VolumeUm3, v.Region, vol, region)
		}
		sub := i%3 != 1
		if v.Submembrane() != sub || (sub && !near(v.ExposedAreaUm2, area)) {
			t.Errorf("voxel %d: exposed area %v, want submembrane=%v area %v", i, v.ExposedAreaUm2, sub, area)
		}
	}
	if msh.Voxels[1].Label != "pA" || msh.Voxels[19].Label != "pB" {
		t.Errorf("labels: voxel 1 %q, voxel 19 %q; want pA, pB", msh.Voxels[1].Label, msh.Voxels[19].Label)
	}
	for _, c := range []struct {
		a, b int
		g    float64
	}{{0, 1, 0.5}, {1, 2, 0.5}, {0, 3, 0.5}, {4, 7, 0.5}, {12, 15, 0.2 / 0.45}, {13, 16, 0.2 / 0.45}, {15, 16, 0.25 / 0.4}, {0, 2, 0}, {0, 4, 0}} {
		if g := coupling(msh, c.a, c.b); !near(g, c.g) {
			t.Errorf("G(%d,%d) = %v, want %v", c.a, c.b, g, c.g)
		}
	}
	if !near(msh.ElementSizeUm, 0.4) {
		t.Errorf("element size %v, want 0.4", msh.ElementSizeUm)
	}
}

// TestBranch checks a Y-shaped 2D morphology by hand: three 1 µm segments
// of radius 0.5 µm meeting at (1, 0); element size 1 µm, so each is one
// box of 1 × 1 × 0.5 µm³. The parent line couples to each child with
// contact w·depth = 0.5 µm² over the centre distance √0.8 µm; siblings
// are not coupled. Children are numbered clockwise-first relative to the
// parent direction (the lower branch, turning right, first).
func TestBranch(t *testing.T) {
	up := attached("up", "b1", "trunk", "end", 1.6, 0.8, 0.5)
	up.End.Label = "tipUp"
	down := attached("down", "b2", "trunk", "end", 1.6, -0.8, 0.5)
	m := &Morphology{Segments: []Segment{seg("trunk", "trunk", 0, 0, 0.5, 1, 0, 0.5), up, down}}
	msh := discretize(t, m, Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 1})
	if len(msh.Voxels) != 3 {
		t.Fatalf("%d voxels, want 3", len(msh.Voxels))
	}
	wantRegion := []string{"trunk", "b2", "b1"}
	for i, v := range msh.Voxels {
		if !near(v.VolumeUm3, 0.5) || v.Region != wantRegion[i] || !near(v.ExposedAreaUm2, 0.5) {
			t.Errorf("voxel %d: %v µm³, region %s, area %v; want 0.5, %s, 0.5", i, v.VolumeUm3, v.Region, v.ExposedAreaUm2, wantRegion[i])
		}
	}
	g := 0.5 / math.Sqrt(0.8)
	if !near(coupling(msh, 0, 1), g) || !near(coupling(msh, 0, 2), g) || coupling(msh, 1, 2) != 0 {
		t.Errorf("couplings 0-1 %v, 0-2 %v, 1-2 %v; want %v, %v, 0", coupling(msh, 0, 1), coupling(msh, 0, 2), coupling(msh, 1, 2), g, g)
	}
	if msh.Voxels[2].Label != "tipUp" {
		t.Errorf("tip label on voxel 2 is %q", msh.Voxels[2].Label)
	}
	if got := msh.Regions; len(got) != 4 || got[0] != "default" || got[1] != "trunk" || got[2] != "b2" || got[3] != "b1" {
		t.Errorf("regions %v", got)
	}
}

// TestCuboid3D checks 3D cubes by hand. A 0.6 µm segment of radius 0.4 µm
// with Δ = 0.3 µm gives 2 slices of 0.3 µm; floor(0.4/0.3) = 1, so a 3×3
// index grid of which the four corners (distance² 0.18 ≥ 0.16) are
// dropped: 5 cubes of 0.027 µm³ per slice, the 4 outer ones submembrane
// with one face (0.09 µm²) exposed. Couplings are G = sl = 0.3 µm within
// a slice (Δ·sl/Δ) and Δ²/sl = 0.3 µm between slices.
func TestCuboid3D(t *testing.T) {
	s := seg("s", "dend", 0, 0, 0.4, 0.6, 0, 0.4)
	s.Start.Label = "mid"
	msh := discretize(t, &Morphology{Segments: []Segment{s}}, Settings{Geometry: Geometry3D, DefaultMaxElementSideUm: 1,
		MaxElementSide: []SizeOverride{{Key: "s", SizeUm: 0.3}}})
	if len(msh.Voxels) != 10 {
		t.Fatalf("%d voxels, want 10", len(msh.Voxels))
	}
	for i, v := range msh.Voxels {
		centre := i%5 == 2
		if !near(v.VolumeUm3, 0.027) || v.Submembrane() == centre || (!centre && !near(v.ExposedAreaUm2, 0.09)) || !near(v.DeltaZUm, 0.3) {
			t.Errorf("voxel %d: %+v", i, v)
		}
	}
	if msh.Voxels[2].Label != "mid" {
		t.Errorf("label on the centre cube of slice 0: %q", msh.Voxels[2].Label)
	}
	for _, c := range []struct {
		a, b int
		g    float64
	}{{2, 0, 0.3}, {2, 1, 0.3}, {2, 3, 0.3}, {2, 4, 0.3}, {0, 1, 0}, {0, 5, 0.3}, {2, 7, 0.3}, {4, 9, 0.3}, {0, 6, 0}} {
		if g := coupling(msh, c.a, c.b); !near(g, c.g) {
			t.Errorf("G(%d,%d) = %v, want %v", c.a, c.b, g, c.g)
		}
	}
	// Centres of slice 0: offsets ±0.3 µm around the axis at x = 0.15.
	if c := msh.Voxels[0].Centre; !near(c[0], 0.15) || !near(math.Hypot(c[1], c[2]), 0.3) {
		t.Errorf("centre of cube 0: %v", c)
	}
}

// TestCuboid3DTaper checks couplings between slices of different grid
// sizes: a cone from r 0.7 to 0.1 µm cut into two 0.3 µm slices of mean
// radius 0.55 (3×3 = 9 cubes) and 0.25 µm (1 cube); only the centre cube
// of the first touches the second, with A = Δ², d = 0.3 µm.
func TestCuboid3DTaper(t *testing.T) {
	s := seg("s", "dend", 0, 0, 0.7, 0.6, 0, 0.1)
	msh := discretize(t, &Morphology{Segments: []Segment{s}}, Settings{Geometry: Geometry3D, DefaultMaxElementSideUm: 1,
		MaxElementSide: []SizeOverride{{Key: "dend", SizeUm: 0.3}}})
	if len(msh.Voxels) != 10 {
		t.Fatalf("%d voxels, want 10", len(msh.Voxels))
	}
	for i := 0; i < 9; i++ {
		want := 0.0
		if i == 4 {
			want = 0.3
		}
		if g := coupling(msh, i, 9); !near(g, want) {
			t.Errorf("G(%d,9) = %v, want %v", i, g, want)
		}
	}
	if !msh.Voxels[9].Submembrane() {
		t.Error("a single cube must be submembrane")
	}
}

// TestSpineWorkedExample is §4.6's worked example (verified with NeuroRD
// by the spec's authors): a 1.3 µm spine with spineDeltaX 0.25 µm has 5
// voxels of length 0.26 µm with the listed volumes, regions and label.
func TestSpineWorkedExample(t *testing.T) {
	m := &Morphology{
		Segments: []Segment{seg("d", "dend", 0, 0, 0.5, 1, 0, 0.5)},
		SpineTypes: []SpineType{{ID: "sp", Sections: []Section{
			{AtUm: 0, WidthUm: 0.2}, {AtUm: 0.6, WidthUm: 0.2, RegionClass: "neck"}, {AtUm: 1.0, WidthUm: 0.4, RegionClass: "head"},
			{AtUm: 1.2, WidthUm: 0.4}, {AtUm: 1.3, WidthUm: 0.1, Label: "pointA"}}}},
		SpineAllocations: []SpineAllocation{{ID: "sa", SpineType: "sp", Region: "dend", AreaDensityPerUm2: 2}},
	}
	msh := discretize(t, m, Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 1, SpineDeltaXUm: 0.25, SpineSeed: 7})
	if len(msh.Voxels) != 6 || len(msh.Spines) != 1 {
		t.Fatalf("%d voxels, %d spines; want 6, 1", len(msh.Voxels), len(msh.Spines))
	}
	vols := []float64{0.0081681, 0.0081681, 0.012395, 0.024511, 0.014294}
	regions := []string{"default", "default", "neck", "neck", "head"}
	for k := range vols {
		v := msh.Voxels[1+k]
		if math.Abs(v.VolumeUm3-vols[k]) > 1e-6 || v.Region != regions[k] || v.Group != "sa[0]" || v.Submembrane() {
			t.Errorf("spine voxel %d: %v µm³ %s %q, want %v %s", k, v.VolumeUm3, v.Region, v.Group, vols[k], regions[k])
		}
	}
	if msh.Voxels[5].Label != "sa[0].pointA" {
		t.Errorf("label %q on the last spine voxel", msh.Voxels[5].Label)
	}
	// The spine leaves the box's +y face (the first box's side) at (0.5, 0.5).
	if c := msh.Voxels[1].Centre; !near(c[0], 0.5) || !near(c[1], 0.5+0.13) {
		t.Errorf("first spine voxel centre %v", c)
	}
	if g := coupling(msh, 0, 1); !near(g, math.Pi*0.01/0.63) {
		t.Errorf("dendrite–spine G %v, want π·0.1²/0.63", g)
	}
	if g := coupling(msh, 3, 4); !near(g, math.Pi*0.145*0.145/0.26) {
		t.Errorf("spine G(3,4) %v, want π·0.145²/0.26", g)
	}
}

// TestSubBranch checks an attachment with a different radius: the thin
// branch's line is aligned to the top edge of the parent's last line and
// couples only to the parent box it overlaps.
func TestSubBranch(t *testing.T) {
	thin := attached("thin", "twig", "main", "end", 2, 2, 0.2)
	thin.Start.RUm, thin.Start.HasR = 0.2, true
	m := &Morphology{Segments: []Segment{seg("main", "dend", 0, 0, 0.6, 2, 0, 0.6), thin}}
	msh := discretize(t, m, Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 0.4})
	// main: 5 lines of 3 boxes; thin: 5 lines of 1 box.
	if len(msh.Voxels) != 20 {
		t.Fatalf("%d voxels, want 20", len(msh.Voxels))
	}
	if g := coupling(msh, 12, 15); !(g > 0) {
		t.Errorf("top box of the last main line is not coupled to the twig")
	}
	if coupling(msh, 13, 15) != 0 || coupling(msh, 14, 15) != 0 {
		t.Errorf("twig coupled to boxes it does not overlap")
	}
}

// TestBadMorphology checks the mesh builder's own errors.
func TestBadMorphology(t *testing.T) {
	for name, m := range map[string]*Morphology{
		"zero radius":   {Segments: []Segment{seg("a", "d", 0, 0, 0, 1, 0, 0.5)}},
		"unknown on":    {Segments: []Segment{seg("a", "d", 0, 0, 0.5, 1, 0, 0.5), attached("b", "d", "zz", "end", 2, 0, 0.5)}},
		"no segments":   {},
		"no candidates": {Segments: []Segment{seg("a", "d", 0, 0, 0.5, 1, 0, 0.5)}, SpineTypes: []SpineType{{ID: "t", Sections: []Section{{AtUm: 0, WidthUm: 0.1}, {AtUm: 1, WidthUm: 0.1}}}}, SpineAllocations: []SpineAllocation{{ID: "x", SpineType: "t", Region: "nowhere", AreaDensityPerUm2: 1}}},
	} {
		if _, _, err := Discretize(m, Settings{DefaultMaxElementSideUm: 0.5, SpineDeltaXUm: 0.1}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, _, err := Discretize(&Morphology{Segments: []Segment{seg("a", "d", 0, 0, 0.5, 1, 0, 0.5)}}, Settings{ElementShape: "Curved"}); err == nil {
		t.Error("Curved elements accepted")
	}
	if _, _, err := Discretize(&Morphology{Segments: []Segment{seg("a", "d", 0, 0, 50, 100, 0, 50)}}, Settings{Geometry: Geometry3D, DefaultMaxElementSideUm: 0.001}); err == nil {
		t.Error("a mesh of billions of voxels was accepted")
	}
}

// TestMT19937 checks the generator against the reference output of
// Matsumoto & Nishimura's mt19937ar.c for init_genrand(5489).
func TestMT19937(t *testing.T) {
	m := newMT19937(5489)
	for i, want := range []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204} {
		if got := m.uint32(); got != want {
			t.Fatalf("output %d = %d, want %d", i, got, want)
		}
	}
}
