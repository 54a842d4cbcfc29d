// Package testmodel builds small NeuroRD models from text for the engines'
// tests: a single 0.5 µm³ voxel, and compilation of model text.
package testmodel

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
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
