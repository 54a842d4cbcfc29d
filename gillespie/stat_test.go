package gillespie

import (
	"context"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/model"
)

// Statistical tests of the engines against exact results. Every test uses
// fixed seeds; thresholds are 5 standard errors for means (false failure
// rate ≈ 6e-7) and p > 1e-4 for chi-square tests.

const omega = testmodel.Omega // molecules per nM in the test voxel (0.5 µm³)

var oneVoxel = testmodel.OneVoxel

func compileXML(t testing.TB, text string, opt model.Options) *model.System {
	t.Helper()
	return testmodel.Compile(t, text, opt)
}

// recorder keeps main-output frames.
type recorder struct {
	times  []float64
	frames [][]int64
	stats  Stats
}

func (r *recorder) Counts(set int, tm float64, c []int64) error {
	if set == 0 {
		r.times = append(r.times, tm)
		r.frames = append(r.frames, append([]int64(nil), c...))
	}
	return nil
}

func run(t testing.TB, sys *model.System, seed uint64) *recorder {
	t.Helper()
	return runWith(t, sys, Options{}, seed)
}

func runWith(t testing.TB, sys *model.System, opt Options, seed uint64) *recorder {
	t.Helper()
	r := &recorder{}
	st, err := Run(context.Background(), sys, opt, seed, r)
	if err != nil {
		t.Fatal(err)
	}
	r.stats = st
	return r
}

// leapCounter checks that a method that should leap did, and that the
// multiscale method, where the model has a fast reversible pair or
// diffusion, held it in partial equilibrium.
type leapCounter struct {
	leaps    int64
	absorbed float64
}

func (l *leapCounter) add(r *recorder) {
	l.leaps += r.stats.Leaps
	l.absorbed += r.stats.Absorbed
}

func (l *leapCounter) check(t *testing.T, method string) {
	t.Helper()
	if method == "adaptive" && l.leaps == 0 {
		t.Error("the adaptive method never leapt: the test does not exercise it")
	}
}

func (l *leapCounter) checkAbsorbed(t *testing.T, method string) {
	t.Helper()
	if method == "multiscale" && !(l.absorbed > 0) {
		t.Error("the multiscale method held nothing in partial equilibrium: the test does not exercise it")
	}
}

// after returns column col of the frames at times ≥ t0, as counts and as
// floats.
func (r *recorder) after(t0 float64, col int) ([]int64, []float64) {
	var xs []int64
	var fs []float64
	for i, tm := range r.times {
		if tm >= t0 {
			xs = append(xs, r.frames[i][col])
			fs = append(fs, float64(r.frames[i][col]))
		}
	}
	return xs, fs
}

// species returns the column of a species in main-output frames.
func column(t testing.TB, sys *model.System, id string) int {
	i, ok := sys.SpeciesIndex(id)
	if !ok {
		t.Fatalf("no species %s", id)
	}
	return i
}

var methods = []struct {
	name string
	opt  model.Options
}{
	{"exact", model.Options{Method: "exact"}},
	{"adaptive", model.Options{Method: "adaptive", Tolerance: 0.01}},
	{"multiscale", model.Options{Method: "multiscale", Tolerance: 0.01}},
	// Fixed steps have an O(dt) bias; 2 µs keeps it far below the tests'
	// resolution for rates up to a few per ms.
	{"fixed", model.Options{Method: "fixed", FixedStepMs: 0.002}},
}

// checkMean requires |mean − want| ≤ 5 standard errors.
func checkMean(t *testing.T, what string, x []float64, want float64) {
	t.Helper()
	m, sd := meanSD(x)
	se := sd / math.Sqrt(float64(len(x)))
	if math.Abs(m-want) > 5*se {
		t.Errorf("%s: mean %.4g ± %.2g (SE), exact %.4g: off by %.1f SE", what, m, se, want, (m-want)/se)
	}
}

func meanSD(x []float64) (float64, float64) {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)-1))
}

// checkDist requires a chi-square p-value > 1e-4 of samples against pmf.
func checkDist(t *testing.T, what string, samples []int64, pmf func(k int64) float64) {
	t.Helper()
	lo, hi := samples[0], samples[0]
	for _, s := range samples {
		lo, hi = min(lo, s), max(hi, s)
	}
	lo = max(0, lo-5)
	hi += 5
	obs := make([]float64, hi-lo+1)
	exp := make([]float64, hi-lo+1)
	for _, s := range samples {
		obs[s-lo]++
	}
	tot := 0.0
	for k := lo; k <= hi; k++ {
		exp[k-lo] = float64(len(samples)) * pmf(k)
		tot += exp[k-lo]
	}
	// fold the tails outside [lo, hi] into the end cells
	exp[0] += float64(len(samples)) * (1 - tot) / 2
	exp[len(exp)-1] += float64(len(samples)) * (1 - tot) / 2
	if p, df := chiSquareP(obs, exp); p < 1e-4 {
		t.Errorf("%s: chi-square p = %.2g (df %d)", what, p, df)
	}
}

// TestBirthDeath: A ⇌ ∅ with A → ∅ at kd per molecule and ∅ → A at kb·Ω
// per ms is stationary Poisson with mean kb·Ω/kd. One long run sampled
// every 10 ms (10 relaxation times) gives 1500 nearly independent draws.
func TestBirthDeath(t *testing.T) {
	const kd, mean = 1.0, 60.0
	kb := mean * kd / omega
	scheme := fmt.Sprintf(`<Specie name="A"/><Reaction id="bd"><Reactant specieID="A"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, kd, kb)
	text := oneVoxel(scheme, `<NanoMolarity specieID="A" value="0"/>`, `<runtime>15050</runtime><outputInterval>10</outputInterval>`)
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			sys := compileXML(t, text, m.opt)
			r := run(t, sys, 11)
			var lc leapCounter
			lc.add(r)
			lc.check(t, m.name)
			lc.checkAbsorbed(t, m.name)
			xs, fs := r.after(50, 0) // past the initial relaxation
			checkMean(t, "A", fs, mean)
			checkDist(t, "A", xs, func(k int64) float64 { return distuv.Poisson{Lambda: mean}.Prob(float64(k)) })
		})
	}
}

// TestIsomerisation: A ⇌ B conserves A + B = 150; stationary A is
// Binomial(150, kr/(kf+kr)).
func TestIsomerisation(t *testing.T) {
	const kf, kr, total = 2.0, 1.0, 150
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Reaction id="ab"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, kf, kr)
	text := oneVoxel(scheme, fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, total/omega), `<runtime>6010</runtime><outputInterval>4</outputInterval>`)
	p := kr / (kf + kr)
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			sys := compileXML(t, text, m.opt)
			if n := sys.InitialCounts(1)[0]; n != total {
				t.Fatalf("initial A = %d, want %d", n, total)
			}
			r := run(t, sys, 12)
			var lc leapCounter
			lc.add(r)
			lc.check(t, m.name)
			lc.checkAbsorbed(t, m.name)
			for i, tm := range r.times {
				if r.frames[i][0]+r.frames[i][1] != total {
					t.Fatalf("A + B = %d at %g ms", r.frames[i][0]+r.frames[i][1], tm)
				}
			}
			xs, fs := r.after(10, 0)
			checkMean(t, "A", fs, total*p)
			checkDist(t, "A", xs, func(k int64) float64 { return distuv.Binomial{N: total, P: p}.Prob(float64(k)) })
		})
	}
}

// pureBirth returns the distribution at time T of the number of firings
// of a channel whose propensity after j firings is rate(j) (j ≤ jmax), by
// uniformization of the master equation.
func pureBirth(rate func(j int) float64, jmax int, T float64) []float64 {
	lam := 0.0
	for j := 0; j <= jmax; j++ {
		lam = math.Max(lam, rate(j))
	}
	p := make([]float64, jmax+1)
	p[0] = 1
	out := make([]float64, jmax+1)
	if lam == 0 {
		return p
	}
	lt := lam * T
	// Poisson weights computed in log space; sum until the tail is negligible.
	next := make([]float64, jmax+1)
	for n := 0; ; n++ {
		lw := -lt + float64(n)*math.Log(lt)
		lg, _ := math.Lgamma(float64(n + 1))
		w := math.Exp(lw - lg)
		for j := range out {
			out[j] += w * p[j]
		}
		if float64(n) > lt+12*math.Sqrt(lt)+20 {
			break
		}
		for j := range next {
			stay := 1 - rate(j)/lam
			next[j] = p[j] * stay
			if j > 0 {
				next[j] += p[j-1] * rate(j-1) / lam
			}
		}
		p, next = next, p
	}
	return out
}

// testPureBirth runs a reaction that only goes forward and compares the
// number of firings at T with the master equation: mean within 5 SE and
// the whole distribution by chi-square.
func testPureBirth(t *testing.T, scheme, ic string, product string, stoich int, rate func(j int) float64, jmax int, T float64, runs int) {
	text := oneVoxel(scheme, ic, fmt.Sprintf(`<runtime>%g</runtime><outputInterval>%g</outputInterval>`, T, T))
	pj := pureBirth(rate, jmax, T)
	want := 0.0
	for j, p := range pj {
		want += float64(j) * p
	}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			sys := compileXML(t, text, m.opt)
			col := column(t, sys, product)
			var xs []int64
			var fs []float64
			var lc leapCounter
			for s := 0; s < runs; s++ {
				r := run(t, sys, uint64(1000+s))
				lc.add(r)
				j := r.frames[len(r.frames)-1][col] / int64(stoich)
				xs = append(xs, j)
				fs = append(fs, float64(j))
			}
			lc.check(t, m.name)
			checkMean(t, "firings", fs, want)
			checkDist(t, "firings", xs, func(k int64) float64 {
				if k < 0 || int(k) > jmax {
					return 0
				}
				return pj[k]
			})
		})
	}
}

// TestBimolecular: A + B → C with NeuroRD's propensity k·A·B/Ω.
func TestBimolecular(t *testing.T) {
	const a0, b0, k = 4000, 3000, 2.5e-6 // nM⁻¹ms⁻¹
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="C"/><Reaction id="r"><Reactant specieID="A"/><Reactant specieID="B"/><Product specieID="C"/><forwardRate>%g</forwardRate></Reaction>`, k)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/><NanoMolarity specieID="B" value="%g"/>`, a0/omega, b0/omega)
	testPureBirth(t, scheme, ic, "C", 1, func(j int) float64 { return k * float64(a0-j) * float64(b0-j) / omega }, b0, 40, 600)
}

// TestDimerisation: 2A → C written with power="2": propensity k·A(A−1)/Ω
// (no 1/2 factor), two A consumed per firing.
func TestDimerisation(t *testing.T) {
	const a0, k = 6000, 8e-7
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="C"/><Reaction id="r"><Reactant specieID="A" power="2"/><Product specieID="C"/><forwardRate>%g</forwardRate></Reaction>`, k)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, a0/omega)
	testPureBirth(t, scheme, ic, "C", 1, func(j int) float64 {
		x := float64(a0 - 2*j)
		return k * x * (x - 1) / omega
	}, a0/2, 40, 600)
}

// TestThirdOrder: 3A → B with power="3": propensity k·A(A−1)(A−2)/Ω².
func TestThirdOrder(t *testing.T) {
	const a0, k = 6000, 4e-11
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Reaction id="r"><Reactant specieID="A" power="3"/><Product specieID="B"/><forwardRate>%g</forwardRate></Reaction>`, k)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, a0/omega)
	testPureBirth(t, scheme, ic, "B", 1, func(j int) float64 {
		x := float64(a0 - 3*j)
		return k * x * (x - 1) * (x - 2) / (omega * omega)
	}, a0/3, 40, 600)
}

// chainText is a chain of 10 one-box voxels of volumes 0.5 … 0.95 µm³
// (slices of 1.0 … 1.9 µm) with a diffusing species A: total molecules
// of A start in voxel 0 (allIn0) or spread in proportion to volume.
func chainText(total int, allIn0 bool, runtime float64) string {
	segs := testmodel.ChainSegments()
	ic := fmt.Sprintf(`<ConcentrationSet><NanoMolarity specieID="A" value="%g"/></ConcentrationSet>`, float64(total)/(7.25*model.PUVC))
	if allIn0 {
		ic = fmt.Sprintf(`<ConcentrationSet region="r0"><NanoMolarity specieID="A" value="%g"/></ConcentrationSet>`, float64(total)/(0.5*model.PUVC))
	}
	return fmt.Sprintf(`<SDRun>
  <ReactionScheme><Specie name="A" kdiff="2" kdiffunit="mu2/ms"/></ReactionScheme>
  <Morphology>%s</Morphology>
  <InitialConditions>%s</InitialConditions>
  <discretization><defaultMaxElementSide>1</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>%g</runtime><outputInterval>%g</outputInterval>
</SDRun>`, segs, ic, runtime, runtime)
}

// TestDiffusionChain: molecules diffusing on a chain of 10 voxels of
// different volumes are multinomially distributed, with probabilities
// proportional to the volumes, once mixed (the slowest mode relaxes in
// about 10 ms). The exact method starts 300 molecules in voxel 0 and is
// sampled at 150 ms; the adaptive method, to make it leap, starts 8000
// molecules spread by volume and is sampled at 40 ms. Each run is one
// multinomial draw: the chi-square over all runs has runs·9 degrees of
// freedom.
func TestDiffusionChain(t *testing.T) {
	for _, c := range []struct {
		method string
		opt    model.Options
		total  int
		allIn0 bool
		tEnd   float64
		runs   int
	}{
		{"exact", methods[0].opt, 300, true, 150, 200},
		{"adaptive", methods[1].opt, 8000, false, 40, 60},
		{"multiscale", methods[2].opt, 300, true, 150, 200},
	} {
		t.Run(c.method, func(t *testing.T) {
			sys := compileXML(t, chainText(c.total, c.allIn0, c.tEnd), c.opt)
			if sys.NumVoxels() != 10 {
				t.Fatalf("%d voxels", sys.NumVoxels())
			}
			vol := sys.Mesh.TotalVolumeUm3()
			x2, df := 0.0, 0
			var lc leapCounter
			for s := 0; s < c.runs; s++ {
				r := run(t, sys, uint64(77+s))
				lc.add(r)
				fr := r.frames[len(r.frames)-1]
				n := int64(0)
				for v := 0; v < 10; v++ {
					n += fr[v]
				}
				for v := 0; v < 10; v++ {
					e := float64(n) * sys.Mesh.Voxels[v].VolumeUm3 / vol
					x2 += (float64(fr[v]) - e) * (float64(fr[v]) - e) / e
				}
				df += 9
				if s == 0 && n != sys.InitialCountsTotal(77) {
					t.Fatalf("molecules not conserved: %d", n)
				}
			}
			lc.check(t, c.method)
			lc.checkAbsorbed(t, c.method)
			if p := 1 - (distuv.ChiSquared{K: float64(df)}).CDF(x2); p < 1e-4 {
				t.Errorf("chi-square %.1f on %d df: p = %.2g", x2, df, p)
			}
		})
	}
}

// TestInjectionTrain: a periodic stimulus delivers Poisson(rate × time on)
// molecules of a species nothing consumes; NeuroRD's end = onset +
// N·period + duration gives N+1 pulses (here N = 9: 10 pulses).
func TestInjectionTrain(t *testing.T) {
	scheme := `<Specie name="A"/><Specie name="B"/><Reaction id="r"><Reactant specieID="B"/><forwardRate>1</forwardRate></Reaction>`
	stim := `<StimulationSet><InjectionStim specieID="A" injectionSite="cell:submembrane"><onset>10</onset><duration>3</duration><rate>50</rate><period>10</period><end>103</end></InjectionStim></StimulationSet>`
	text := oneVoxel(scheme, `<NanoMolarity specieID="A" value="0"/>`, stim+`<runtime>150</runtime><outputInterval>50</outputInterval>`)
	const want = 10 * 3 * 50.0
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			sys := compileXML(t, text, m.opt)
			var xs []int64
			var fs []float64
			var lc leapCounter
			for s := 0; s < 400; s++ {
				r := run(t, sys, uint64(500+s))
				lc.add(r)
				k := r.frames[len(r.frames)-1][0]
				xs = append(xs, k)
				fs = append(fs, float64(k))
			}
			lc.check(t, m.name)
			checkMean(t, "injected", fs, want)
			checkDist(t, "injected", xs, func(k int64) float64 { return distuv.Poisson{Lambda: want}.Prob(float64(k)) })
		})
	}
}

// TestBindingEquilibrium: A + B ⇌ C with conserved totals has the
// stationary distribution given by detailed balance,
// π(c+1)/π(c) = kf·(NA−c)(NB−c)/Ω / (kr·(c+1)). One long run sampled every
// 2 ms (8 relaxation times) is compared by chi-square. The adaptive method
// leaps this nonlinear pair.
func TestBindingEquilibrium(t *testing.T) {
	const na, nb, kr, kf = 2000, 1500, 1.0, 6e-4
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="C"/><Reaction id="r"><Reactant specieID="A"/><Reactant specieID="B"/><Product specieID="C"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, kf, kr)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/><NanoMolarity specieID="B" value="%g"/>`, na/omega, nb/omega)
	text := oneVoxel(scheme, ic, `<runtime>3020</runtime><outputInterval>2</outputInterval>`)
	pi := make([]float64, nb+1)
	pi[0] = 1
	sum := 1.0
	for c := 0; c < nb; c++ {
		pi[c+1] = pi[c] * kf * float64(na-c) * float64(nb-c) / omega / (kr * float64(c+1))
		sum += pi[c+1]
		if pi[c+1] > 1e250 { // rescale to stay finite
			for j := 0; j <= c+1; j++ {
				pi[j] /= 1e250
			}
			sum /= 1e250
		}
	}
	mean := 0.0
	for c := range pi {
		pi[c] /= sum
		mean += float64(c) * pi[c]
	}
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			sys := compileXML(t, text, m.opt)
			if got := sys.InitialCounts(13); got[0] != na || got[1] != nb {
				t.Fatalf("initial counts %v", got)
			}
			r := run(t, sys, 13)
			var lc leapCounter
			lc.add(r)
			lc.check(t, m.name)
			lc.checkAbsorbed(t, m.name)
			xs, fs := r.after(20, 2)
			checkMean(t, "C", fs, mean)
			checkDist(t, "C", xs, func(k int64) float64 {
				if k < 0 || k > nb {
					return 0
				}
				return pi[k]
			})
		})
	}
}
