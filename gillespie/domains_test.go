package gillespie

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/model"
)

// longDendrite is a 60 µm dendrite of 270 voxels (90 slices of 3 boxes)
// with A injected in the middle (at a domain boundary), diffusing and
// binding to a fixed B.
const longDendrite = `<SDRun>
  <ReactionScheme>
    <Specie name="A" kdiff="0.2" kdiffunit="mu2/ms"/><Specie name="B"/><Specie name="C"/>
    <Reaction id="bind"><Reactant specieID="A"/><Reactant specieID="B"/><Product specieID="C"/><forwardRate>2e-5</forwardRate><reverseRate>0.01</reverseRate></Reaction>
  </ReactionScheme>
  <Morphology>
    <Segment id="d1" region="dend"><start x="0" y="0" z="0" r="1"/><end x="30" y="0" z="0" r="1" label="mid"/></Segment>
    <Segment id="d2" region="dend"><start on="d1" at="end"/><end x="60" y="0" z="0" r="1"/></Segment>
  </Morphology>
  <InitialConditions><ConcentrationSet><NanoMolarity specieID="B" value="2000"/></ConcentrationSet></InitialConditions>
  <StimulationSet><InjectionStim specieID="A" injectionSite="mid"><onset>1</onset><duration>20</duration><rate>100</rate></InjectionStim></StimulationSet>
  <discretization><defaultMaxElementSide>1</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>150</runtime><outputInterval>50</outputInterval>
</SDRun>`

// TestDomainDecomposition: the adaptive method cuts a 270-voxel mesh into
// domains run in parallel; the output is the same for any number of
// workers, and agrees with the exact method: means within 5 standard
// errors of the difference over 40 seeds each, for A and C in total and
// for A on either side of the domain boundary where it is injected.
func TestDomainDecomposition(t *testing.T) {
	exact := compileXML(t, longDendrite, model.Options{Method: "exact"})
	adapt := compileXML(t, longDendrite, model.Options{Method: "adaptive", Tolerance: 0.01})
	plan := partition(newNet(adapt), adapt.Tolerance)
	if plan == nil || plan.count < 3 {
		t.Fatalf("no domain decomposition for %d voxels", adapt.NumVoxels())
	}
	// Worker invariance, with enough A that its binding leaps and its
	// bounds read the hops across domain boundaries (other domains' counts,
	// changing in other goroutines: before their rates were frozen between
	// windows, this differed with the number of workers).
	busy := compileXML(t, strings.Replace(strings.Replace(longDendrite, "<rate>100</rate>", "<rate>3000</rate>", 1), "<runtime>150</runtime>", "<runtime>40</runtime>", 1),
		model.Options{Method: "adaptive", Tolerance: 0.01})
	var ref [32]byte
	for k, w := range []int{1, 2, 4, 8} {
		s := &hashSink{}
		st, err := Run(context.Background(), busy, Options{Workers: w}, 5, s)
		if err != nil {
			t.Fatal(err)
		}
		if st.Leaps == 0 {
			t.Fatal("no leaps: the check does not exercise the bounds")
		}
		if k == 0 {
			ref = s.h
		} else if s.h != ref {
			t.Errorf("workers=%d: output differs from workers=1", w)
		}
	}
	ns := len(adapt.Species)
	nv := adapt.NumVoxels()
	stats := func(sys *model.System) [4][]float64 {
		var out [4][]float64
		for s := 0; s < 40; s++ {
			r := run(t, sys, uint64(900+s))
			fr := r.frames[len(r.frames)-1]
			var a, c, near, far float64
			for v := 0; v < nv; v++ {
				av := float64(fr[v*ns])
				a += av
				c += float64(fr[v*ns+2])
				if plan.of[v] < plan.of[136] {
					near += av
				} else {
					far += av
				}
			}
			for i, q := range []float64{a, c, near, far} {
				out[i] = append(out[i], q)
			}
		}
		return out
	}
	se, sa := stats(exact), stats(adapt)
	for i, name := range []string{"A", "C", "A left of the boundary", "A right of it"} {
		me, sde := meanSD(se[i])
		ma, sda := meanSD(sa[i])
		z := (ma - me) / math.Sqrt(sde*sde/40+sda*sda/40+1e-9)
		t.Logf("%s: adaptive %.1f ± %.1f, exact %.1f ± %.1f: z = %.2f", name, ma, sda, me, sde, z)
		if math.Abs(z) > 5 {
			t.Errorf("%s: adaptive %.1f ± %.1f, exact %.1f ± %.1f: z = %.1f", name, ma, sda, me, sde, z)
		}
	}
}
