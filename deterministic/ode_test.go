package deterministic

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/model"
)

const omega = testmodel.Omega // molecules per nM in the test voxel (0.5 µm³)

func oneVoxel(scheme, ic, extra string) string {
	return testmodel.OneVoxel(scheme, ic, extra+"<calculation>GRID_ADAPTIVE</calculation>")
}

func compileXML(t testing.TB, text string) *model.System {
	t.Helper()
	return testmodel.Compile(t, text, model.Options{Method: "ode"})
}

// recorder keeps the main output's frames, in nM for one-voxel models.
type recorder struct {
	times  []float64
	frames [][]float64
}

func (r *recorder) Values(set int, tm float64, v []float64) error {
	if set == 0 {
		r.times = append(r.times, tm)
		r.frames = append(r.frames, append([]float64(nil), v...))
	}
	return nil
}

func runODE(t testing.TB, sys *model.System, opt Options) (*recorder, Stats) {
	t.Helper()
	r := &recorder{}
	st, err := Run(context.Background(), sys, opt, r)
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

func species(t testing.TB, sys *model.System, id string) int {
	i, ok := sys.SpeciesIndex(id)
	if !ok {
		t.Fatalf("no species %s", id)
	}
	return i
}

// TestLinearChain: A → B → C with k1 ≠ k2 against the closed form.
func TestLinearChain(t *testing.T) {
	const k1, k2, a0 = 0.02, 0.005, 1000.0 // 1/ms, nM
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="C"/>
<Reaction id="r1"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>%g</forwardRate></Reaction>
<Reaction id="r2"><Reactant specieID="B"/><Product specieID="C"/><forwardRate>%g</forwardRate></Reaction>`, k1, k2)
	sys := compileXML(t, oneVoxel(scheme, fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, a0), `<runtime>1000</runtime><outputInterval>10</outputInterval>`))
	ia, ib, ic := species(t, sys, "A"), species(t, sys, "B"), species(t, sys, "C")
	for _, c := range []struct {
		rtol, bound float64 // bound: largest error / a0
	}{{1e-6, 2e-5}, {1e-10, 1e-8}} {
		r, st := runODE(t, sys, Options{Rtol: c.rtol, AtolNM: c.rtol})
		worst := 0.0
		for f, tm := range r.times {
			a := a0 * math.Exp(-k1*tm)
			b := a0 * k1 / (k2 - k1) * (math.Exp(-k1*tm) - math.Exp(-k2*tm))
			cc := a0 - a - b
			x := r.frames[f]
			for _, e := range []float64{x[ia]/omega - a, x[ib]/omega - b, x[ic]/omega - cc} {
				worst = math.Max(worst, math.Abs(e)/a0)
			}
		}
		t.Logf("rtol %g: %d steps, worst error %.3g of A0", c.rtol, st.Steps, worst)
		if worst > c.bound || len(r.times) != 101 {
			t.Errorf("rtol %g: worst error %.3g of A0 (bound %g), %d frames", c.rtol, worst, c.bound, len(r.times))
		}
	}
}

// TestReversibleBinding: A + B ⇌ C reaches kf·A·B = kb·C with the
// conserved totals; the equilibrium is the root of a quadratic.
func TestReversibleBinding(t *testing.T) {
	const kf, kb, a0, b0 = 1e-4, 0.05, 800.0, 500.0
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="C"/>
<Reaction id="r"><Reactant specieID="A"/><Reactant specieID="B"/><Product specieID="C"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, kf, kb)
	sys := compileXML(t, oneVoxel(scheme, fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/><NanoMolarity specieID="B" value="%g"/>`, a0, b0),
		`<runtime>2000</runtime><outputInterval>2000</outputInterval>`))
	r, _ := runODE(t, sys, Options{})
	// kf(a0−c)(b0−c) = kb c → kf c² − (kf(a0+b0)+kb) c + kf a0 b0 = 0.
	bq := kf*(a0+b0) + kb
	c := (bq - math.Sqrt(bq*bq-4*kf*kf*a0*b0)) / (2 * kf)
	x := r.frames[len(r.frames)-1]
	got := x[species(t, sys, "C")] / omega
	if math.Abs(got-c) > 1e-5*c {
		t.Errorf("C at equilibrium %.10g nM, want %.10g", got, c)
	}
	if s := (x[species(t, sys, "A")] + x[species(t, sys, "C")]) / omega; math.Abs(s-a0) > 1e-9*a0 {
		t.Errorf("A + C = %.12g, want %g", s, a0)
	}
}

// TestRobertson: the stiff chemical kinetics problem of Robertson (1966)
// in its standard form (concentrations in nM, time in ms), against the
// reference values of the IVP test set (Mazzia and Magherini) at t = 40
// and t = 1e11.
func TestRobertson(t *testing.T) {
	scheme := `<Specie name="A"/><Specie name="B"/><Specie name="C"/>
<Reaction id="r1"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>0.04</forwardRate></Reaction>
<Reaction id="r2"><Reactant specieID="B"/><Reactant specieID="C"/><Product specieID="A"/><Product specieID="C"/><forwardRate>1e4</forwardRate></Reaction>
<Reaction id="r3"><Reactant specieID="B" n="2" power="2"/><Product specieID="B"/><Product specieID="C"/><forwardRate>3e7</forwardRate></Reaction>`
	for _, c := range []struct {
		end  float64
		want [3]float64
		rel  float64
	}{
		{40, [3]float64{0.7158270687193267, 9.185534764529e-06, 0.2841637457458}, 1e-6},
		{1e11, [3]float64{0.2083340149701e-07, 0.8333360770334e-13, 0.9999999791665}, 1e-4},
	} {
		sys := compileXML(t, oneVoxel(scheme, `<NanoMolarity specieID="A" value="1"/>`,
			fmt.Sprintf(`<runtime>%g</runtime><outputInterval>%g</outputInterval>`, c.end, c.end)))
		r, st := runODE(t, sys, Options{Rtol: 1e-10, AtolNM: 1e-20})
		x := r.frames[len(r.frames)-1]
		for i, id := range []string{"A", "B", "C"} {
			got := x[species(t, sys, id)] / omega
			if math.Abs(got-c.want[i]) > c.rel*c.want[i] {
				t.Errorf("t = %g: %s = %.13g, want %.13g", c.end, id, got, c.want[i])
			}
		}
		t.Logf("t = %g: %d steps, %d rejected, %d factorisations", c.end, st.Steps, st.Rejected, st.Factorizations)
	}
}

// TestPulseTrainIntegral: 100 injection pulses of a species with no
// reactions add exactly rate·duration each; with first-order decay the
// amount after the train is the sum of the pulses' decayed
// contributions.
func TestPulseTrainIntegral(t *testing.T) {
	const rate, dur, period, onset, k = 40.0, 3.0, 10.0, 20.0, 0.05
	stim := fmt.Sprintf(`<StimulationSet><InjectionStim specieID="X" injectionSite="site"><onset>%g</onset><duration>%g</duration><rate>%g</rate><period>%g</period><end>%g</end></InjectionStim></StimulationSet>`,
		onset, dur, rate, period, onset+99*period+dur)
	for _, decay := range []bool{false, true} {
		scheme := `<Specie name="X"/><Specie name="Y"/>`
		if decay {
			scheme += fmt.Sprintf(`<Reaction id="d"><Reactant specieID="X"/><Product specieID="Y"/><forwardRate>%g</forwardRate></Reaction>`, k)
		}
		const end = 1025.0
		sys := compileXML(t, oneVoxel(scheme, "", stim+fmt.Sprintf(`<runtime>%g</runtime><outputInterval>%g</outputInterval>`, end, end)))
		r, st := runODE(t, sys, Options{})
		got := r.frames[len(r.frames)-1][species(t, sys, "X")]
		want := 100 * rate * dur
		if decay {
			// Each pulse from s to s+dur contributes (rate/k)(1−e^(−k·dur))e^(−k(end−s−dur)).
			want = 0
			for i := 0; i < 100; i++ {
				s := onset + float64(i)*period
				want += rate / k * (1 - math.Exp(-k*dur)) * math.Exp(-k*(end-s-dur))
			}
		}
		if math.Abs(got-want) > 1e-5*want {
			t.Errorf("decay %v: X = %.10g molecules, want %.10g", decay, got, want)
		}
		t.Logf("decay %v: %d segments, %d steps", decay, st.Segments, st.Steps)
	}
}
