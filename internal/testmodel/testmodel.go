// Package testmodel builds small NeuroRD models from text for the engines'
// tests: a single 0.5 µm³ voxel, a chain of ten voxels of different
// volumes, and compilation of model text.
package testmodel

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/traj"
)

// Omega is molecules per nM in the OneVoxel voxel (0.5 µm³).
const Omega = 0.5 * model.PUVC

// OneVoxel returns a model file for a single 0.5 µm³ voxel (region
// "cell", label "site") with the given reaction scheme, initial
// concentrations (NanoMolarity elements) and extra elements.
func OneVoxel(scheme, ic, extra string) string {
	return fmt.Sprintf(`<SDRun xmlns="http://stochdiff.textensor.org">
  <ReactionScheme>%s</ReactionScheme>
  <Morphology><Segment id="s" region="cell"><start x="0" y="0" z="0" r="0.5" label="site"/><end x="1" y="0" z="0" r="0.5"/></Segment></Morphology>
  <InitialConditions><ConcentrationSet>%s</ConcentrationSet></InitialConditions>
  <discretization><defaultMaxElementSide>1</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D>
  %s
</SDRun>`, scheme, ic, extra)
}

// ChainSegments returns the <Segment> elements of a chain of 10 one-box
// voxels (radius 0.5 µm, slices of 1.0, 1.1, … 1.9 µm, so volumes 0.5 …
// 0.95 µm³ in 2D with depth2D 0.5), voxel i in region "ri".
func ChainSegments() string {
	var segs strings.Builder
	x := 0.0
	for i := 0; i < 10; i++ {
		l := 1 + 0.1*float64(i)
		if i == 0 {
			fmt.Fprintf(&segs, `<Segment id="s0" region="r0"><start x="0" y="0" z="0" r="0.5"/><end x="%g" y="0" z="0" r="0.5"/></Segment>`, l)
		} else {
			fmt.Fprintf(&segs, `<Segment id="s%d" region="r%d"><start on="s%d" at="end"/><end x="%g" y="0" z="0" r="0.5"/></Segment>`, i, i, i-1, x+l)
		}
		x += l
	}
	return segs.String()
}

// Compile loads and compiles a model given as text, failing the test on
// any error.
func Compile(t testing.TB, text string, opt model.Options) *model.System {
	t.Helper()
	m, _, err := neurord.LoadBytes([]byte(text), filepath.Join(t.TempDir(), "m.xml"))
	if err != nil {
		t.Fatal(err)
	}
	sys, _, err := model.Compile(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// SyntheticTrajectory writes DIR/NAME, a 3-voxel (volumes 1, 2, 3 µm³),
// 2-species (A, B) trajectory of three frames (t = 0, 1, 2 ms) whose count
// of species s in voxel v at frame f is 100s + 10v + f, with header extra
// extra, and returns its path.
func SyntheticTrajectory(t testing.TB, dir, name string, extra map[string]string) string {
	t.Helper()
	h := &traj.Header{ModelSource: "synthetic", Method: "exact", EndMs: 2, Values: traj.Counts, Extra: extra,
		Species: []traj.Species{{ID: "A"}, {ID: "B"}},
		Voxels:  []traj.Voxel{{VolumeUm3: 1, Region: "r"}, {VolumeUm3: 2, Region: "r"}, {VolumeUm3: 3, Region: "r"}},
		Sets:    []traj.Set{{Name: "__main__", Species: []int{0, 1}, Voxels: []int{0, 1, 2}, IntervalMs: 1}},
	}
	path := filepath.Join(dir, name)
	w, err := traj.Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	for f := range 3 {
		c := make([]int64, 6)
		for v := range 3 {
			for s := range 2 {
				c[v*2+s] = int64(100*s + 10*v + f)
			}
		}
		if err := w.Counts(0, float64(f), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
