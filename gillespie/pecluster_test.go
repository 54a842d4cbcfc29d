package gillespie

import (
	"fmt"
	"math"
	"testing"

	"github.com/spinerd/spinerd/model"
)

// TestMeshTreeDeterministic: the hierarchy of clusters, their spectral
// gaps and lags are the same, bit for bit, however Go orders the maps of
// couplings it is built from (a run is a function of its seed; a gap
// that differed in its last bit once made runs of Model_mglur_spine-CaY
// differ). The 2D mesh has voxels with four neighbours, whose couplings
// summed in another order round differently.
func TestMeshTreeDeterministic(t *testing.T) {
	sys := compileXML(t, fmt.Sprintf(`<SDRun>
  <ReactionScheme><Specie name="A" kdiff="1" kdiffunit="mu2/ms"/></ReactionScheme>
  <Morphology><Segment id="s0" region="r0"><start x="0" y="0" z="0" r="0.5"/><end x="1" y="0" z="0" r="0.5"/></Segment>
  <Segment id="s1" region="r1"><start on="s0" at="end"/><end x="2.6" y="0" z="0" r="0.37"/></Segment></Morphology>
  <InitialConditions><ConcentrationSet><NanoMolarity specieID="A" value="%g"/></ConcentrationSet></InitialConditions>
  <discretization><defaultMaxElementSide>0.23</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>1</runtime><outputInterval>1</outputInterval>
</SDRun>`, 100/model.PUVC), model.Options{Method: "multiscale"})
	if len(sys.Mesh.Voxels) < 20 {
		t.Fatalf("%d voxels: not the 2D mesh the test needs", len(sys.Mesh.Voxels))
	}
	ref := newMeshTree(sys.Mesh, nil)
	for k := 0; k < 30; k++ {
		tr := newMeshTree(sys.Mesh, nil)
		if len(tr.nodes) != len(ref.nodes) {
			t.Fatalf("build %d: %d nodes, first build %d", k, len(tr.nodes), len(ref.nodes))
		}
		for i := range tr.nodes {
			a, b := &tr.nodes[i], &ref.nodes[i]
			if math.Float64bits(a.gap) != math.Float64bits(b.gap) || len(a.lag) != len(b.lag) || len(a.vox) != len(b.vox) {
				t.Fatalf("build %d, node %d: gap %v, first build %v", k, i, a.gap, b.gap)
			}
			for j := range a.lag {
				if math.Float64bits(a.lag[j]) != math.Float64bits(b.lag[j]) {
					t.Fatalf("build %d, node %d: lag[%d] %v, first build %v", k, i, j, a.lag[j], b.lag[j])
				}
			}
		}
	}
}
