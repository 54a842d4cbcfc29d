package gillespie

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/spinerd/spinerd/model"
)

// regional: M sits only in the "psd" segment and does not diffuse; A
// diffuses everywhere; A + M → AM can fire only where M is, AM → P makes P
// there, P diffuses, and P + Z → PZ never fires (Z is nowhere).
const regional = `<SDRun>
  <ReactionScheme>
    <Specie name="A" kdiff="0.2" kdiffunit="mu2/ms"/><Specie name="M"/><Specie name="AM"/>
    <Specie name="P" kdiff="0.1" kdiffunit="mu2/ms"/><Specie name="Z"/><Specie name="PZ"/>
    <Reaction id="bind"><Reactant specieID="A"/><Reactant specieID="M"/><Product specieID="AM"/><forwardRate>1e-5</forwardRate><reverseRate>0.01</reverseRate></Reaction>
    <Reaction id="make"><Reactant specieID="AM"/><Product specieID="M"/><Product specieID="P"/><forwardRate>0.01</forwardRate><reverseRate>0</reverseRate></Reaction>
    <Reaction id="never"><Reactant specieID="P"/><Reactant specieID="Z"/><Product specieID="PZ"/><forwardRate>1e-5</forwardRate><reverseRate>0</reverseRate></Reaction>
  </ReactionScheme>
  <Morphology>
    <Segment id="d1" region="dend"><start x="0" y="0" z="0" r="0.5"/><end x="4" y="0" z="0" r="0.5"/></Segment>
    <Segment id="d2" region="psd"><start on="d1" at="end"/><end x="5" y="0" z="0" r="0.5"/></Segment>
  </Morphology>
  <InitialConditions>
    <ConcentrationSet><NanoMolarity specieID="A" value="1000"/></ConcentrationSet>
    <ConcentrationSet region="psd"><NanoMolarity specieID="M" value="1000"/></ConcentrationSet>
  </InitialConditions>
  <discretization><defaultMaxElementSide>0.5</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>20</runtime><outputInterval>10</outputInterval>
</SDRun>`

// TestNetPrunesImpossibleChannels: a channel gets an instance in a voxel
// only if every reactant it needs can have a molecule there (at the start,
// made by a channel that can fire there, or diffused in), and a hop only
// if its species can be in its source voxel.
func TestNetPrunesImpossibleChannels(t *testing.T) {
	sys := compileXML(t, regional, model.Options{Method: "exact"})
	n := newNet(sys)
	region := func(v int) string { return sys.Mesh.Voxels[v].Region }
	id := func(i int) string {
		if n.kind[i] == kindHop {
			return "hop of " + sys.Species[sys.Hops[n.src[i]].Species].ID
		}
		return sys.Channels[n.src[i]].ReactionID
	}
	count := map[string]map[string]int{}
	for i := range n.kind {
		if n.kind[i] == kindInject {
			continue
		}
		r := region(int(n.vox[i]))
		if count[id(i)] == nil {
			count[id(i)] = map[string]int{}
		}
		count[id(i)][r]++
	}
	nd, np := 0, 0
	for v := 0; v < sys.NumVoxels(); v++ {
		if region(v) == "psd" {
			np++
		} else {
			nd++
		}
	}
	if nd == 0 || np == 0 {
		t.Fatalf("mesh: %d dend and %d psd voxels", nd, np)
	}
	for _, c := range []struct {
		id        string
		dend, psd int
	}{
		{"bind", 0, 2 * np}, // forward and reverse where M is
		{"make", 0, np},
		{"never", 0, 0},
		{"hop of M", 0, 0}, // M does not diffuse
	} {
		if got := count[c.id]; got["dend"] != c.dend || got["psd"] != c.psd {
			t.Errorf("%s: %d instances in dend, %d in psd; want %d and %d", c.id, got["dend"], got["psd"], c.dend, c.psd)
		}
	}
	// A and P diffuse through every voxel: each has hops out of all of them
	for _, sp := range []string{"A", "P"} {
		got := count["hop of "+sp]
		if got["dend"] < nd || got["psd"] < np {
			t.Errorf("hop of %s: %v; want at least one out of every voxel (%d dend, %d psd)", sp, got, nd, np)
		}
	}
	// and the pruned net runs: P made in the psd reaches the dendrite
	r := runWith(t, sys, Options{}, 1)
	fr := r.frames[len(r.frames)-1]
	ns := len(sys.Species)
	pd := int64(0)
	for v := 0; v < sys.NumVoxels(); v++ {
		if region(v) == "dend" {
			pd += fr[v*ns+3]
		}
	}
	if pd == 0 {
		t.Error("no P reached the dendrite")
	}
}

// TestInstSize keeps the hot record of an instance at 32 bytes, two to a
// cache line: a field more makes it 40, and a dependent's record then
// spans two lines one time in two.
func TestInstSize(t *testing.T) {
	if got := unsafe.Sizeof(inst{}); got != 32 {
		t.Errorf("inst is %d bytes, want 32", got)
	}
}

// TestRecords checks the shared change records against the instances'
// own changes and a dependents list built from scratch (every instance
// with a reactant a firing changes), on the regional mesh, whose
// voxels repeat: the records must also be shared.
func TestRecords(t *testing.T) {
	sys := compileXML(t, regional, model.Options{Method: "exact"})
	n := newNet(sys)
	readers := map[int32][]int32{}
	for j := range n.kind {
		for k := n.rStart[j]; k < n.rStart[j+1]; k++ {
			readers[n.rIdx[k]] = append(readers[n.rIdx[k]], int32(j))
		}
	}
	starts := map[int32]bool{}
	for i := int32(0); i < int32(len(n.kind)); i++ {
		starts[n.evStart[i]] = true
		chg, dep := n.decode(n.evStart[i], n.vox[i], n.hopTo[i], nil, nil)
		var want []int32
		for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
			want = append(want, n.chgIdx[k], n.chgDelta[k])
		}
		if !slices.Equal(chg, want) {
			t.Fatalf("%s: changes %v, want %v", n.describe(i), chg, want)
		}
		if got := n.decodeChanges(n.evStart[i], n.vox[i], n.hopTo[i], nil); !slices.Equal(got, want) {
			t.Fatalf("%s: decodeChanges %v, want %v", n.describe(i), got, want)
		}
		want = want[:0]
		for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
			for _, j := range readers[n.chgIdx[k]] {
				if !slices.Contains(want, j) {
					want = append(want, j)
				}
			}
		}
		slices.Sort(want)
		if !slices.Equal(dep, want) {
			t.Fatalf("%s: dependents %v, want %v", n.describe(i), dep, want)
		}
	}
	if len(starts)*2 > len(n.kind) {
		t.Errorf("%d distinct records for %d instances of %d voxels: not shared", len(starts), len(n.kind), n.nv)
	}
}
