package deterministic

import (
	"math"
	"testing"
)

// checkAgainstTight runs a spine-model file at the default tolerances and
// at rtol = atol = 1e-10 (the ground truth) and checks, for every species
// whose peak exceeds 1 nM, the largest absolute error over the output
// times divided by the peak.
func checkAgainstTight(t *testing.T, file string, bound float64) {
	sys := spineModel(t, file, 0)
	def, st := runODE(t, sys, Options{})
	ref, stRef := runODE(t, sys, Options{Rtol: 1e-10, AtolNM: 1e-10})
	if len(def.times) != len(ref.times) {
		t.Fatalf("%d frames vs %d", len(def.times), len(ref.times))
	}
	om := sys.Omega(0)
	worst, ws, checked := 0.0, "", 0
	for s, sp := range sys.Species {
		peak := 0.0
		for _, f := range ref.frames {
			peak = math.Max(peak, f[s]/om)
		}
		if peak <= 1 {
			continue
		}
		checked++
		e := 0.0
		for i, f := range ref.frames {
			e = math.Max(e, math.Abs(f[s]-def.frames[i][s])/om)
		}
		if e/peak > worst {
			worst, ws = e/peak, sp.ID
		}
		if e/peak > bound {
			t.Errorf("%s: largest error %.3g nM, %.3g of its peak %.6g nM", sp.ID, e, e/peak, peak)
		}
	}
	t.Logf("%s: %d species above 1 nM; worst relative error %.3g (%s); %d steps at the default tolerances, %d at 1e-10",
		file, checked, worst, ws, st.Steps, stRef.Steps)
}

func TestAccuracyHFS1(t *testing.T) { checkAgainstTight(t, "Model_HFS1.xml", 1e-4) }
