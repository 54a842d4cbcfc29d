package deterministic

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/spinerd/spinerd/internal/testmodel"
)

// chain is a chain of 10 one-box voxels of volumes 0.5 … 0.95 µm³ with a
// diffusing species A (2 µm²/ms) that starts in voxel 0, and a species B
// made from A by a first-order reaction, so the system is linear.
func chain(runtime, interval float64) string {
	segs := testmodel.ChainSegments()
	return fmt.Sprintf(`<SDRun>
  <ReactionScheme><Specie name="A" kdiff="2" kdiffunit="mu2/ms"/><Specie name="B"/>
    <Reaction id="ab"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>0.01</forwardRate></Reaction></ReactionScheme>
  <Morphology>%s</Morphology>
  <InitialConditions><ConcentrationSet region="r0"><NanoMolarity specieID="A" value="3000"/></ConcentrationSet></InitialConditions>
  <discretization><defaultMaxElementSide>1</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>%g</runtime><outputInterval>%g</outputInterval><calculation>GRID_ADAPTIVE</calculation>
</SDRun>`, segs, runtime, interval)
}

// TestDiffusionReactionChain: on a linear reaction–diffusion system the
// solution is exp(Q·t)·y0; the solver must match it at every output time
// (rtol 1e-8) and conserve A + B exactly.
func TestDiffusionReactionChain(t *testing.T) {
	sys := compileXML(t, chain(50, 5))
	if sys.NumVoxels() != 10 {
		t.Fatalf("%d voxels", sys.NumVoxels())
	}
	p := newProblem(sys, nil)
	// Q from the Jacobian (exact for a linear system).
	jv := make([]float64, len(p.ji))
	p.jacobian(sys.Initial, jv)
	Q := mat.NewDense(p.n, p.n, nil)
	for i := 0; i < p.n; i++ {
		for q := p.jp[i]; q < p.jp[i+1]; q++ {
			Q.Set(i, int(p.ji[q]), jv[q])
		}
	}
	r, st := runODE(t, sys, Options{Rtol: 1e-8, AtolNM: 1e-8})
	total := 0.0
	for _, v := range sys.Initial {
		total += v
	}
	y0 := mat.NewVecDense(p.n, append([]float64(nil), sys.Initial...))
	worst := 0.0
	for f, tm := range r.times {
		var E mat.Dense
		var Qt mat.Dense
		Qt.Scale(tm, Q)
		E.Exp(&Qt)
		var want mat.VecDense
		want.MulVec(&E, y0)
		sum := 0.0
		for i, v := range r.frames[f] {
			worst = math.Max(worst, math.Abs(v-want.AtVec(i))/total)
			sum += v
		}
		if math.Abs(sum-total) > 1e-10*total {
			t.Errorf("t = %g: total %.12g, want %.12g", tm, sum, total)
		}
	}
	t.Logf("%d steps; worst error %.3g of the total", st.Steps, worst)
	if worst > 1e-6 {
		t.Errorf("worst error %.3g of the total amount", worst)
	}
}
