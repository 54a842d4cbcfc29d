package deterministic

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/spinerd/spinerd/internal/testenv"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// TestSteadyClosedForm: X (clamped) → A ⇌ B → S, S a sink. With X held
// at x0 the fixed point is B = k1·x0/k2, A = (kb + k2)·B/kf.
func TestSteadyClosedForm(t *testing.T) {
	const k1, kf, kb, k2, x0 = 0.01, 0.2, 0.05, 0.1, 500.0
	scheme := fmt.Sprintf(`<Specie name="X"/><Specie name="A"/><Specie name="B"/><Specie name="S"/>
<Reaction id="in"><Reactant specieID="X"/><Product specieID="X"/><Product specieID="A"/><forwardRate>%g</forwardRate></Reaction>
<Reaction id="ab"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>
<Reaction id="out"><Reactant specieID="B"/><Product specieID="S"/><forwardRate>%g</forwardRate></Reaction>`, k1, kf, kb, k2)
	sys := compileXML(t, oneVoxel(scheme, fmt.Sprintf(`<NanoMolarity specieID="X" value="%g"/><NanoMolarity specieID="A" value="3"/>`, x0), "<runtime>1</runtime><outputInterval>1</outputInterval>"))
	if s := Sinks(sys); len(s) != 1 || sys.Species[s[0]].ID != "S" {
		t.Fatalf("sinks %v, want [S]", s)
	}
	res, err := SteadyState(sys, nil, SteadyOptions{Clamp: []string{"X"}})
	if err != nil {
		t.Fatal(err)
	}
	b := k1 * x0 / k2
	a := (kb + k2) * b / kf
	got := func(id string) float64 { return res.State[species(t, sys, id)] / omega }
	if math.Abs(got("A")-a) > 1e-9*a || math.Abs(got("B")-b) > 1e-9*b || got("X") != x0 {
		t.Errorf("A %g B %g X %g, want %g %g %g", got("A"), got("B"), got("X"), a, b, x0)
	}
	// X is its own conserved moiety (it only catalyses): clamped through it.
	if res.ConservationLaws != 1 || len(res.Clamped) != 1 {
		t.Errorf("laws %d clamped %v", res.ConservationLaws, res.Clamped)
	}
	// Holding X gives the same state.
	held, err := SteadyState(sys, nil, SteadyOptions{Hold: []string{"X"}})
	if err != nil || len(held.Held) != 1 || math.Abs(held.State[species(t, sys, "B")]/omega-b) > 1e-9*b {
		t.Errorf("hold X: %v, held %v", err, held)
	}
	if _, err := SteadyState(sys, nil, SteadyOptions{Clamp: []string{"Nope"}}); err == nil {
		t.Error("unknown clamped species accepted")
	}
}

// TestConservationLaws: A + B ⇌ C, C → D + B has the laws A+C+D and
// B+C (and nothing else).
func TestConservationLaws(t *testing.T) {
	scheme := `<Specie name="A"/><Specie name="B"/><Specie name="C"/><Specie name="D"/>
<Reaction id="r"><Reactant specieID="A"/><Reactant specieID="B"/><Product specieID="C"/><forwardRate>1e-3</forwardRate><reverseRate>0.1</reverseRate></Reaction>
<Reaction id="c"><Reactant specieID="C"/><Product specieID="D"/><Product specieID="B"/><forwardRate>0.05</forwardRate></Reaction>`
	sys := compileXML(t, oneVoxel(scheme, `<NanoMolarity specieID="A" value="100"/><NanoMolarity specieID="B" value="10"/>`, "<runtime>1</runtime><outputInterval>1</outputInterval>"))
	W, err := ConservationLaws(sys, []int{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := W.Dims()
	if r != 2 {
		t.Fatalf("%d laws, want 2", r)
	}
	// Both known laws lie in the row space of W.
	for _, law := range [][]float64{{1, 0, 1, 1}, {0, 1, 1, 0}} {
		v := mat.NewVecDense(4, law)
		var proj mat.VecDense
		proj.MulVec(W, v)
		var back mat.VecDense
		back.MulVec(W.T(), &proj)
		back.SubVec(&back, v)
		if mat.Norm(&back, 2) > 1e-12 {
			t.Errorf("law %v not in the computed space", law)
		}
	}
}

func spineModel(t testing.TB, file string, runtime float64) *model.System {
	t.Helper()
	dir := filepath.Join(testenv.Testdata(t), "models", "maki-marttunen-2020")
	sys, _, err := neurord.Compile(filepath.Join(dir, file), model.Options{Method: "ode", RuntimeMs: runtime})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// TestSteadySpineModel is the acceptance check of the steady-state solver
// on the Mäki-Marttunen model: with Pip2 clamped every species but the
// sinks and Pip2 has |dx/dt| ≤ 1e-9 nM/ms, and 12,000,000 ms of
// integration from IC_singlecompartment.xml (no clamp) lands within 2 %
// of the state for every species above 1 nM.
func TestSteadySpineModel(t *testing.T) {
	sys := spineModel(t, "Model_rest.xml", 12e6)
	res, err := SteadyState(sys, nil, SteadyOptions{Clamp: []string{"Pip2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d Newton iterations after %g ms, residual %.3g nM/ms (%s), %d laws, sinks %v, clamped %v",
		res.Method, res.Iterations, res.IntegratedMs, res.ResidualNMPerMs, res.Worst, res.ConservationLaws, res.Sinks, res.Clamped)
	if len(res.Sinks) != 2 || len(res.Clamped) != 1 {
		t.Errorf("sinks %v clamped %v, want PA and 2AGdegrad, Pip2", res.Sinks, res.Clamped)
	}
	// Check the residual independently of the solver's own report.
	p := newProblem(sys, nil)
	f := make([]float64, p.n)
	p.eval(res.State, f)
	om := sys.Omega(0)
	skip := map[string]bool{"Pip2": true}
	for _, s := range res.Sinks {
		skip[s] = true
	}
	for s, sp := range sys.Species {
		if !skip[sp.ID] && math.Abs(f[s]/om) > 1e-9 {
			t.Errorf("%s: dx/dt = %.3g nM/ms", sp.ID, f[s]/om)
		}
		if res.State[s] < 0 {
			t.Errorf("%s: negative amount %g", sp.ID, res.State[s])
		}
	}
	r, st := runODE(t, sys, Options{})
	last := r.frames[len(r.frames)-1]
	if r.times[len(r.times)-1] != 12e6 {
		t.Fatalf("last output at %g ms", r.times[len(r.times)-1])
	}
	worst, ws := 0.0, ""
	for s, sp := range sys.Species {
		ss := res.State[s] / om
		if ss <= 1 || skip[sp.ID] && sp.ID != "Pip2" {
			continue
		}
		d := math.Abs(last[s]/om-ss) / ss
		if d > worst {
			worst, ws = d, sp.ID
		}
		if d > 0.02 {
			t.Errorf("%s: steady %.6g nM, after 12e6 ms %.6g nM", sp.ID, ss, last[s]/om)
		}
	}
	t.Logf("12e6 ms in %d steps: largest difference %.3g (%s); Pip2 %.6g nM at steady state, %.6g nM initially",
		st.Steps, worst, ws, res.State[species(t, sys, "Pip2")]/om, sys.Initial[species(t, sys, "Pip2")]/om)
}

// TestConservationSpineModel: every conserved moiety of the spine model
// (no stimulus) keeps its amount to 1e-9 relative over 1e6 ms.
func TestConservationSpineModel(t *testing.T) {
	sys := spineModel(t, "Model_rest.xml", 1e6)
	all := make([]int, len(sys.Species))
	for i := range all {
		all[i] = i
	}
	W, err := ConservationLaws(sys, all)
	if err != nil {
		t.Fatal(err)
	}
	nl, _ := W.Dims()
	r, _ := runODE(t, sys, Options{})
	for k := 0; k < nl; k++ {
		w0, scale := 0.0, 0.0
		for i := range all {
			w0 += W.At(k, i) * sys.Initial[i]
			scale += math.Abs(W.At(k, i) * sys.Initial[i])
		}
		if scale == 0 {
			continue
		}
		for f, x := range r.frames {
			w := 0.0
			for i := range all {
				w += W.At(k, i) * x[i]
			}
			if math.Abs(w-w0) > 1e-9*scale {
				t.Errorf("law %d at %g ms: %.12g, initially %.12g", k, r.times[f], w, w0)
				break
			}
		}
	}
	t.Logf("%d conservation laws checked at %d times", nl, len(r.times))
}
