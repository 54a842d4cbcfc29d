package gillespie

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/model"
)

func distuvChi(df int) distuv.ChiSquared { return distuv.ChiSquared{K: float64(df)} }

// Tests of the partial-equilibrium sampler against the exact conditional
// laws computed by enumerating the fiber and weighting its states by
// detailed balance with NeuroRD's propensities. The sampler's moments must
// match to 1e-9 (they are computed, not sampled); its draws are compared
// by chi-square with p > 1e-4 (false failure rate 1e-4 per test, fixed
// seeds) and their means within 5 standard errors (≈ 6e-7).

// enumerate returns the stationary law of a birth–death chain on
// 0..kmax with up(k) the rate k → k+1 and down(k) the rate k → k−1.
func enumerate(kmax int, up, down func(k int) float64) []float64 {
	lw := make([]float64, kmax+1)
	for k := 0; k < kmax; k++ {
		lw[k+1] = lw[k] + math.Log(up(k)) - math.Log(down(k+1))
	}
	mx := math.Inf(-1)
	for _, l := range lw {
		mx = math.Max(mx, l)
	}
	pi := make([]float64, kmax+1)
	z := 0.0
	for k, l := range lw {
		pi[k] = math.Exp(l - mx)
		z += pi[k]
	}
	for k := range pi {
		pi[k] /= z
	}
	return pi
}

func momentsOf(pi []float64, f func(k int) float64) (mean, sd float64) {
	for k, p := range pi {
		mean += p * f(k)
	}
	for k, p := range pi {
		sd += p * (f(k) - mean) * (f(k) - mean)
	}
	return mean, math.Sqrt(sd)
}

// pairSubs builds and returns the subsystems of every pair unit of m.
func pairSubs(m *multiscale) []*fastSub {
	var out []*fastSub
	for u, uh := range m.uh {
		if uh.sub >= 0 {
			out = append(out, m.pairSub(int32(u)))
		}
	}
	return out
}

// samplerFor builds the multiscale engine of sys at seed and returns it
// with the subsystem of the first pair whose forward channel is reaction
// id (or, with id empty, the root cluster of species sp).
func samplerFor(t *testing.T, sys *model.System, id string, sp int) (*multiscale, *fastSub) {
	t.Helper()
	n := newNet(sys)
	m := newMultiscale(n, sys.InitialCounts(1), 5, sys.StartMs, sys.Tolerance, sys.LeapMinJump, nil)
	if id == "" {
		return m, m.clusterFor(int32(sp), m.tree.roots[0])
	}
	for _, s := range pairSubs(m) {
		if sys.Channels[n.src[s.own[0]]].ReactionID == id {
			return m, s
		}
	}
	t.Fatalf("no pair subsystem for %s", id)
	return nil, nil
}

// checkSampler compares the statistics and draws of subsystem s for the
// counts now in m.x with the exact law pi of the count at position j
// (pi[k] is the probability of count k0 + k).
func checkSampler(t *testing.T, m *multiscale, s *fastSub, j int, k0 int64, pi []float64, draws int) {
	t.Helper()
	if !m.refresh(s) {
		t.Fatal("empty fiber")
	}
	mean, sd := momentsOf(pi, func(k int) float64 { return float64(k0) + float64(k) })
	if math.Abs(s.st.mean[j]-mean) > 1e-9*math.Max(1, mean) || math.Abs(s.st.sd[j]-sd) > 1e-9*math.Max(1, sd) {
		t.Errorf("conditional mean %.12g sd %.12g, exact %.12g %.12g", s.st.mean[j], s.st.sd[j], mean, sd)
	}
	keep := make([]int64, len(s.xs))
	for i, xi := range s.xs {
		keep[i] = m.x[xi]
	}
	obs := make([]float64, len(pi))
	var xs []float64
	for d := 0; d < draws; d++ {
		m.sample(s)
		k := m.x[s.xs[j]] - k0
		if k < 0 || int(k) >= len(pi) {
			t.Fatalf("draw %d outside the fiber", k+k0)
		}
		obs[k]++
		xs = append(xs, float64(k+k0))
	}
	exp := make([]float64, len(pi))
	for k, p := range pi {
		exp[k] = p * float64(draws)
	}
	if p, df := chiSquareP(obs, exp); p < 1e-4 {
		t.Errorf("draws: chi-square p = %.2g (df %d)", p, df)
	}
	checkMean(t, "draws", xs, mean)
	for i, xi := range s.xs {
		m.x[xi] = keep[i]
	}
}

// TestSamplerBinding: A + B ⇌ C with both totals conserved (NA = 40, NB =
// 25 molecules): the law of C is π(c+1)/π(c) = kf/Ω·(NA−c)(NB−c) /
// (kr·(c+1)), here with a mode inside the range; also from a counts
// representative that is not a state (negative A), which the engine's
// slow channels may leave.
func TestSamplerBinding(t *testing.T) {
	const na, nb, kf, kr = 40, 25, 2e-3, 0.4
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="C"/><Reaction id="bind"><Reactant specieID="A"/><Reactant specieID="B"/><Product specieID="C"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, kf, kr)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/><NanoMolarity specieID="B" value="%g"/>`, na/omega, nb/omega)
	sys := compileXML(t, oneVoxel(scheme, ic, `<runtime>10</runtime><outputInterval>10</outputInterval>`), model.Options{Method: "multiscale"})
	m, s := samplerFor(t, sys, "bind", 0)
	pi := enumerate(nb, func(c int) float64 { return kf / omega * float64(na-c) * float64(nb-c) },
		func(c int) float64 { return kr * float64(c) })
	jc := s.pos(2)
	for _, st := range [][3]int64{{na, nb, 0}, {na - 10, nb - 10, 10}, {-3, nb - 43, 43}} {
		m.x[0], m.x[1], m.x[2] = st[0], st[1], st[2]
		checkSampler(t, m, s, int(jc), 0, pi, 20000)
	}
}

// TestSamplerTwoSites: a buffer with two binding sites, B + Ca ⇌ BCa and
// BCa + Ca ⇌ BCa2. The two steps share Ca and BCa, so the engine holds at
// most one of them in partial equilibrium at a time (the other is then
// one of its slow channels): each step's sampler, given the other step's
// extent, is checked against the exact conditional law.
func TestSamplerTwoSites(t *testing.T) {
	const nb, nca, k1f, k1r, k2f, k2r = 12, 20, 4e-3, 0.5, 2e-3, 0.3
	scheme := fmt.Sprintf(`<Specie name="B"/><Specie name="Ca"/><Specie name="BCa"/><Specie name="BCa2"/>
<Reaction id="s1"><Reactant specieID="B"/><Reactant specieID="Ca"/><Product specieID="BCa"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>
<Reaction id="s2"><Reactant specieID="BCa"/><Reactant specieID="Ca"/><Product specieID="BCa2"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, k1f, k1r, k2f, k2r)
	ic := fmt.Sprintf(`<NanoMolarity specieID="B" value="%g"/><NanoMolarity specieID="Ca" value="%g"/>`, nb/omega, nca/omega)
	sys := compileXML(t, oneVoxel(scheme, ic, `<runtime>10</runtime><outputInterval>10</outputInterval>`), model.Options{Method: "multiscale"})
	m, s1 := samplerFor(t, sys, "s1", 0)
	var s2 *fastSub
	for _, s := range pairSubs(m) {
		if sys.Channels[m.n.src[s.own[0]]].ReactionID == "s2" {
			s2 = s
		}
	}
	const iB, iCa, iBCa, iBCa2 = 0, 1, 2, 3
	set := func(b1, b2 int) {
		m.x[iB], m.x[iCa], m.x[iBCa], m.x[iBCa2] = int64(nb-b1-b2), int64(nca-b1-2*b2), int64(b1), int64(b2)
	}
	for _, b2 := range []int{0, 4} {
		// s1 moves b1 with b2 fixed: b0 + b1 = nb − b2, ca + b1 = nca − 2·b2
		set(1, b2)
		pi := enumerate(min(nb-b2, nca-2*b2), func(b1 int) float64 { return k1f / omega * float64(nb-b2-b1) * float64(nca-2*b2-b1) },
			func(b1 int) float64 { return k1r * float64(b1) })
		checkSampler(t, m, s1, int(s1.pos(iBCa)), 0, pi, 20000)
	}
	for _, b1 := range []int{2, 7} {
		// s2 moves b2 with b1 + b2 and ca + b2 fixed (here b1 + b2 = b1 + 1)
		set(b1, 1)
		tb, tc := b1+1, nca-b1-1
		pi := enumerate(min(tb, tc), func(b2 int) float64 { return k2f / omega * float64(tb-b2) * float64(tc-b2) },
			func(b2 int) float64 { return k2r * float64(b2) })
		checkSampler(t, m, s2, int(s2.pos(iBCa2)), 0, pi, 20000)
	}
}

// twoVoxelText is two one-box voxels of 0.5 and 0.8 µm³ with species A
// (D = 1 µm²/ms) started in the first.
func twoVoxelText(total int) string {
	return fmt.Sprintf(`<SDRun>
  <ReactionScheme><Specie name="A" kdiff="1" kdiffunit="mu2/ms"/></ReactionScheme>
  <Morphology><Segment id="s0" region="r0"><start x="0" y="0" z="0" r="0.5"/><end x="1" y="0" z="0" r="0.5"/></Segment>
  <Segment id="s1" region="r1"><start on="s0" at="end"/><end x="2.6" y="0" z="0" r="0.5"/></Segment></Morphology>
  <InitialConditions><ConcentrationSet region="r0"><NanoMolarity specieID="A" value="%g"/></ConcentrationSet></InitialConditions>
  <discretization><defaultMaxElementSide>2</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>10</runtime><outputInterval>10</outputInterval>
</SDRun>`, float64(total)/(0.5*model.PUVC))
}

// hopRates returns the hop rates per molecule (1/ms) from voxel 0 to 1
// and back of a two-voxel model.
func hopRates(sys *model.System) (r01, r10 float64) {
	for _, h := range sys.Hops {
		if h.From == 0 {
			r01 = h.RatePerMs
		} else {
			r10 = h.RatePerMs
		}
	}
	return r01, r10
}

// TestSamplerHop: a hop pair between voxels of 0.5 and 0.8 µm³ conserves
// the total; the exact law of the count in the second voxel follows from
// detailed balance of the hop rates D·G/V_from.
func TestSamplerHop(t *testing.T) {
	const total = 60
	sys := compileXML(t, twoVoxelText(total), model.Options{Method: "multiscale"})
	if sys.NumVoxels() != 2 || len(sys.Hops) != 2 {
		t.Fatalf("%d voxels, %d hops", sys.NumVoxels(), len(sys.Hops))
	}
	if v0, v1 := sys.Mesh.Voxels[0].VolumeUm3, sys.Mesh.Voxels[1].VolumeUm3; math.Abs(v0-0.5) > 1e-9 || math.Abs(v1-0.8) > 1e-9 {
		t.Fatalf("volumes %g, %g", v0, v1)
	}
	r01, r10 := hopRates(sys)
	m, s := samplerFor(t, sys, "", 0)
	pi := enumerate(total, func(k int) float64 { return r01 * float64(total-k) }, func(k int) float64 { return r10 * float64(k) })
	for _, st := range [][2]int64{{total, 0}, {7, total - 7}, {-5, total + 5}} {
		m.x[0], m.x[1] = st[0], st[1]
		checkSampler(t, m, s, 1, 0, pi, 20000)
	}
}

// occupation integrates one molecule's chain dp/dt = f(p) from p0 for T
// ms (RK4, 1 µs steps) and returns p(T).
func occupation(p0 []float64, f func(p, d []float64), T float64) []float64 {
	const h = 1e-3
	n := len(p0)
	p := slices.Clone(p0)
	k := make([][]float64, 4)
	for i := range k {
		k[i] = make([]float64, n)
	}
	y := make([]float64, n)
	stage := func(d []float64, c float64, out []float64) {
		for i := range y {
			y[i] = p[i] + c*d[i]
		}
		f(y, out)
	}
	for s := 0; s < int(T/h+0.5); s++ {
		f(p, k[0])
		stage(k[0], h/2, k[1])
		stage(k[1], h/2, k[2])
		stage(k[2], h, k[3])
		for i := range p {
			p[i] += h / 6 * (k[0][i] + 2*k[1][i] + 2*k[2][i] + k[3][i])
		}
	}
	return p
}

// binomialRuns is the outcome of runs of a first-order model in which
// the sum of the main output's columns cols is Binomial(n, q(t)) at the
// output times.
type binomialRuns struct {
	samples                 map[float64][]float64
	peTime, absorbed        float64 // summed over runs: ms in partial equilibrium of pair id; firings absorbed
	events, leaps, runCount int64
}

func runBinomial(t *testing.T, sys *model.System, cols []int, runs int, seed0 uint64, id string) binomialRuns {
	t.Helper()
	b := binomialRuns{samples: map[float64][]float64{}, runCount: int64(runs)}
	for s := 0; s < runs; s++ {
		r := run(t, sys, seed0+uint64(s))
		for i, tm := range r.times {
			sum := 0.0
			for _, c := range cols {
				sum += float64(r.frames[i][c])
			}
			b.samples[tm] = append(b.samples[tm], sum)
		}
		for _, ss := range r.stats.Subsystems {
			if ss.Name == id {
				b.peTime += ss.VoxelTimeMs
			}
		}
		b.absorbed += r.stats.Absorbed
		b.events += r.stats.ExactEvents
		b.leaps += r.stats.Leaps
	}
	return b
}

// check compares the samples at time tm with Binomial(n, q): mean within
// 5 SE, variance by chi-square (two-sided p > 1e-4).
func (b binomialRuns) check(t *testing.T, what string, tm float64, n, q float64) {
	t.Helper()
	xs := b.samples[tm]
	if int64(len(xs)) != b.runCount {
		t.Fatalf("%d samples at %g ms", len(xs), tm)
	}
	checkMean(t, fmt.Sprintf("%s at %g ms", what, tm), xs, n*q)
	checkVariance(t, fmt.Sprintf("%s at %g ms", what, tm), xs, n*q*(1-q))
}

// checkVariance tests the sample variance of xs against the variance v of
// their law by chi-square (two-sided p > 1e-4).
func checkVariance(t *testing.T, what string, xs []float64, v float64) {
	t.Helper()
	_, sd := meanSD(xs)
	x2 := float64(len(xs)-1) * sd * sd / v
	chi := distuvChi(len(xs) - 1)
	if pv := math.Min(chi.CDF(x2), 1-chi.CDF(x2)); pv < 0.5e-4 {
		t.Errorf("%s: variance %.4g, exact %.4g (two-sided p %.2g)", what, sd*sd, v, 2*pv)
	}
}

// TestTwoTimescales: A ⇌ B fast (kf = 2, kr = 1 per ms), B → C slow (k =
// 0.01 per ms). Molecules are independent, so C(t) ~ Binomial(N, P(t)),
// P the probability that one molecule started in A has become C by t
// (from the 3-state chain A ⇌ B → C); in partial equilibrium the slow
// rate is k·E[B | A + B] = k·kf/(kf+kr) per molecule, which agrees with
// P to O(k/(kf+kr)) = 0.3 %, well inside the statistical tolerance. The
// mean of C over 300 runs must lie within 5 standard errors of N·P
// (false failure ≈ 6e-7) and its variance pass a two-sided chi-square
// test against N·P(1−P) at p > 1e-4, at 25, 50, 100 and 200 ms; the test also
// requires that the pair spent most of the run in partial equilibrium.
func TestTwoTimescales(t *testing.T) {
	const kf, kr, k, n = 2.0, 1.0, 0.01, 200
	b := slowScale(t, kf, kr, k, n, 300, 7000)
	if b.peTime < 0.8*200*float64(b.runCount) {
		t.Errorf("the fast pair spent %.0f%% of the runs in partial equilibrium", 100*b.peTime/(200*float64(b.runCount)))
	}
	if b.absorbed < 10*float64(b.events) {
		t.Errorf("absorbed %.3g firings for %d single events: partial equilibrium not exercised", b.absorbed, b.events)
	}
}

// TestDriftCorrection is TestTwoTimescales with a slow channel ten times
// faster (k/λ = 1/30, between ε and √ε) and 20,000 molecules: the lag of
// B behind its quasi-stationary mean under the drift, about 1.1·ε·E[B],
// exceeds the bound, so the pair is in partial equilibrium only with the
// drift correction of a linear pair. With the pair held in partial
// equilibrium without the correction, C ran 6.6 to 12.5 SE ahead of the
// exact law (measured with the shift forced to zero); with it, within
// 1.2 SE.
func TestDriftCorrection(t *testing.T) {
	const kf, kr, k, n = 2.0, 1.0, 0.1, 20000
	b := slowScale(t, kf, kr, k, n, 300, 11000)
	if b.peTime < 0.8*40*float64(b.runCount) {
		t.Errorf("the fast pair spent %.0f%% of the runs in partial equilibrium", 100*b.peTime/(40*float64(b.runCount)))
	}
}

// slowScale runs A ⇌ B (fast, kf and kr per ms) and B → C (slow, k per
// ms) from n molecules of A and checks C at the output times against the
// law of one molecule's chain.
func slowScale(t *testing.T, kf, kr, k float64, n, runs int, seed0 uint64) binomialRuns {
	t.Helper()
	end := 200.0
	if k > 0.05 {
		end = 40
	}
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="C"/>
<Reaction id="fast"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>
<Reaction id="slow"><Reactant specieID="B"/><Product specieID="C"/><forwardRate>%g</forwardRate></Reaction>`, kf, kr, k)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, float64(n)/omega)
	sys := compileXML(t, oneVoxel(scheme, ic, fmt.Sprintf(`<runtime>%g</runtime><outputInterval>%g</outputInterval>`, end, end/8)), model.Options{Method: "multiscale", Tolerance: 0.01})
	b := runBinomial(t, sys, []int{column(t, sys, "C")}, runs, seed0, "fast")
	for _, tm := range []float64{end / 8, end / 4, end / 2, end} {
		p := occupation([]float64{1, 0}, func(p, d []float64) {
			d[0], d[1] = -kf*p[0]+kr*p[1], kf*p[0]-(kr+k)*p[1]
		}, tm)
		b.check(t, "C", tm, float64(n), 1-p[0]-p[1])
	}
	return b
}

// TestClusterDrift: A diffuses between two voxels (0.5 and 0.8 µm³) and
// is consumed in the second only, by an immobile enzyme E there (A + E →
// B + E, first order in A), at k = λ/30 per molecule (λ the pair's
// relaxation rate): the sink keeps the second voxel's share of A about
// 1.1·ε below its volume share, beyond the lag bound, so the two voxels
// form a cluster in partial equilibrium only with the drift correction.
// Each molecule runs the chain voxel 0 ⇌ voxel 1 → B, so B is
// Binomial(n, P(t)); means within 5 SE and variances by chi-square
// (two-sided p > 1e-4) over 300 runs, and the cluster must spend most of
// the run in partial equilibrium. With the correction: B within 0.9 SE
// of the exact law; with the cluster held in partial equilibrium without
// it (its law left at the volume shares): 11.5 to 24 SE ahead.
func TestClusterDrift(t *testing.T) {
	const n, e, runs = 20000, 1000, 300
	probe := compileXML(t, clusterDriftText(n, e, 1e-9, 8), model.Options{Method: "multiscale"})
	r01, r10 := hopRates(probe)
	lam := r01 + r10
	k := lam / 30 // per molecule of A in voxel 1
	// A + E → B + E: propensity kr·A·E/(PUVC·V1) with kr in 1/(nM·ms)
	kr := k * model.PUVC * probe.Mesh.Voxels[1].VolumeUm3 / e
	end := 4 / k
	sys := compileXML(t, clusterDriftText(n, e, kr, end), model.Options{Method: "multiscale", Tolerance: 0.01})
	ns := len(sys.Species)
	iB := column(t, sys, "B")
	b := runBinomial(t, sys, []int{iB, ns + iB}, runs, 13000, "diffusion of A")
	if b.peTime < 0.8*2*end*float64(runs) {
		t.Errorf("the cluster spent %.0f%% of the runs in partial equilibrium", 100*b.peTime/(2*end*float64(runs)))
	}
	for _, tm := range []float64{end / 8, end / 4, end / 2, end} {
		p := occupation([]float64{1, 0, 0}, func(p, d []float64) {
			d[0], d[1], d[2] = -r01*p[0]+r10*p[1], r01*p[0]-(r10+k)*p[1], k*p[1]
		}, tm)
		b.check(t, "B", tm, n, p[2])
	}
}

// clusterDriftText is twoVoxelText with an enzyme E in the second voxel
// consuming A (A + E → B + E at kr per nM per ms), a run of end ms and a
// main output every eighth of it.
func clusterDriftText(n, e int, kr, end float64) string {
	return fmt.Sprintf(`<SDRun>
  <ReactionScheme><Specie name="A" kdiff="1" kdiffunit="mu2/ms"/><Specie name="E"/><Specie name="B"/>
  <Reaction id="sink"><Reactant specieID="A"/><Reactant specieID="E"/><Product specieID="B"/><Product specieID="E"/><forwardRate>%g</forwardRate></Reaction></ReactionScheme>
  <Morphology><Segment id="s0" region="r0"><start x="0" y="0" z="0" r="0.5"/><end x="1" y="0" z="0" r="0.5"/></Segment>
  <Segment id="s1" region="r1"><start on="s0" at="end"/><end x="2.6" y="0" z="0" r="0.5"/></Segment></Morphology>
  <InitialConditions><ConcentrationSet region="r0"><NanoMolarity specieID="A" value="%g"/></ConcentrationSet>
  <ConcentrationSet region="r1"><NanoMolarity specieID="E" value="%g"/></ConcentrationSet></InitialConditions>
  <discretization><defaultMaxElementSide>2</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>%g</runtime><outputInterval>%g</outputInterval>
</SDRun>`, kr, float64(n)/(0.5*model.PUVC), float64(e)/(0.8*model.PUVC), end, end/8)
}

// TestPoolLeap checks the leaps of a slow pair that reads a species held
// in partial equilibrium (package documentation, "Multiscale"): A ⇌ B
// fast, A ⇌ Y slow, which sees A only through the pair's total A + B and
// (nothing else reading Y) leaps up to the next output time. Every
// reaction is first order, so each molecule runs the three-state chain
// A, B, Y independently and Y is binomial in the initial count with the
// chain's occupation probability. Means within 5 SE, variances by
// chi-square (two-sided p > 1e-4), 300 runs.
func TestPoolLeap(t *testing.T) {
	const ka, kb, k1, k2, n = 20.0, 20.0, 0.2, 0.1, 600
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="Y"/>
<Reaction id="fast"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>
<Reaction id="slow"><Reactant specieID="A"/><Product specieID="Y"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, ka, kb, k1, k2)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, n/omega)
	sys := compileXML(t, oneVoxel(scheme, ic, `<runtime>40</runtime><outputInterval>5</outputInterval>`), model.Options{Method: "multiscale", Tolerance: 0.01})
	const runs = 300
	b := runBinomial(t, sys, []int{column(t, sys, "Y")}, runs, 9000, "fast")
	t.Logf("per run: %d single events, %d leaps", b.events/runs, b.leaps/runs)
	// Without the pool leaps the slow pair alone fires about
	// k1·E[A] ≈ 50 times a ms as single events.
	if b.events > 500*runs || b.leaps == 0 {
		t.Errorf("%d single events and %d leaps a run: the pool leaps are not exercised", b.events/runs, b.leaps/runs)
	}
	for _, tm := range []float64{5, 10, 20, 40} {
		p := occupation([]float64{1, 0, 0}, func(p, d []float64) {
			d[0], d[1], d[2] = -(ka+k1)*p[0]+kb*p[1]+k2*p[2], ka*p[0]-kb*p[1], k1*p[0]-k2*p[2]
		}, tm)
		b.check(t, "Y", tm, n, p[2])
	}
}

// TestClusterResponse: the response of a cluster's counts to a drift
// (package documentation, "Multiscale", drift correction). Without
// drains it is the first-order lag, the generator's pseudo-inverse; with
// a drain h at the border voxel of two voxels (hops k each way, equal
// volumes, no sources) the counts' shape must follow the slowest mode of
// the generator with the drain, E₂/E₁ = (−h + √(h² + 4k²))/(2k), to
// second order in h/k, and stay inside (0, 1] however strong the drain
// (the first-order lag gives negative counts from h = 4k on).
func TestClusterResponse(t *testing.T) {
	const k = 3.0
	hops := []innerHop{{0, 1, k}, {1, 0, k}}
	w := []float64{0.5, 0.5}
	r0 := clusterResponse(hops, []float64{0, 0}, w)
	// pseudo-inverse of −G = [[k, −k], [−k, k]] on Σδ = 0: 1/(4k)·[[1, −1], [−1, 1]]
	for i, want := range []float64{1 / (4 * k), -1 / (4 * k), -1 / (4 * k), 1 / (4 * k)} {
		if math.Abs(r0[i]-want) > 1e-12 {
			t.Errorf("no drain: R[%d] = %g, want %g", i, r0[i], want)
		}
	}
	for _, h := range []float64{0.03, 0.3, 3, 30} {
		const T = 1000.0
		r := clusterResponse(hops, []float64{0, h}, w)
		b := []float64{0, -h * T * w[1]} // the drift at the law T·w
		d := []float64{r[0]*b[0] + r[1]*b[1], r[2]*b[0] + r[3]*b[1]}
		if math.Abs(d[0]+d[1]) > 1e-9*T {
			t.Errorf("h = %g: δ sums to %g", h, d[0]+d[1])
		}
		got := (T*w[1] + d[1]) / (T*w[0] + d[0])
		exact := (-h + math.Sqrt(h*h+4*k*k)) / (2 * k)
		if got <= 0 || got > 1 {
			t.Errorf("h = %g: E₂/E₁ = %g outside (0, 1]", h, got)
		}
		eta := h / k
		if eta < 1 && math.Abs(got-exact) > eta*eta/4 {
			t.Errorf("h = %g: E₂/E₁ = %.6g, slowest mode %.6g: off by more than (h/k)²/4", h, got, exact)
		}
	}
}

// TestBoundaryLeapAbundant: A diffuses along the chain of 10 voxels of
// chainText (40 000 molecules) and binds an enzyme E fast in its first
// six voxels (150 molecules in all), A + E ⇌ AE with λ = 200/ms, so that
// there A is an abundant species of those pairs while the last four
// voxels (a node of the mesh tree) hold it in a cluster. The hop between
// voxels 5 and 6 must
// leap (the pairs read A from its count, as single hops change it)
// rather than fire one molecule at a time, and the law must stay the
// exact stationary one: with E at one concentration the binding constant
// per voxel share is the same everywhere, so by detailed balance the
// total bound is P(AE = c) ∝ C(E, c)·r^c·N!/(N−c)!, r = k_on·V_v/(k_off·V)
// (k_on per molecule in voxel v of volume V_v, V the chain's), and A in
// voxel 5 has mean (N − E[c])·V₅/V. Means within 5 SE, AE's variance by
// chi-square (two-sided p > 1e-4), 300 runs of 20 ms started at the mean.
func TestBoundaryLeapAbundant(t *testing.T) {
	const nA, kb, runs = 40000.0, 100.0, 300
	const perUm3 = 40.0 // E + AE per µm³: whole counts in every voxel
	vTot := 7.25
	var ic strings.Builder
	nE := 0.0
	probe := compileXML(t, chainText(100, false, 1), model.Options{Method: "multiscale"})
	for v := 0; v < 6; v++ {
		vol := probe.Mesh.Voxels[v].VolumeUm3
		nE += math.Round(perUm3 * vol)
		fmt.Fprintf(&ic, `<ConcentrationSet region="r%d"><NanoMolarity specieID="A" value="%%[1]g"/><NanoMolarity specieID="E" value="%[2]g"/><NanoMolarity specieID="AE" value="%[2]g"/></ConcentrationSet>`, v, perUm3/2/model.PUVC)
	}
	cA := (nA - nE/2) / (vTot * model.PUVC) // nM
	kf := kb / cA                           // k_on·[A] = k_off: half bound
	text := fmt.Sprintf(`<SDRun>
  <ReactionScheme><Specie name="A" kdiff="2" kdiffunit="mu2/ms"/><Specie name="E"/><Specie name="AE"/>
  <Reaction id="bind"><Reactant specieID="A"/><Reactant specieID="E"/><Product specieID="AE"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction></ReactionScheme>
  <Morphology>%s</Morphology>
  <InitialConditions><ConcentrationSet><NanoMolarity specieID="A" value="%g"/></ConcentrationSet>`+fmt.Sprintf(ic.String(), cA)+`</InitialConditions>
  <discretization><defaultMaxElementSide>1</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>20</runtime><outputInterval>5</outputInterval>
</SDRun>`, kf, kb, testmodel.ChainSegments(), cA)
	sys := compileXML(t, text, model.Options{Method: "multiscale", Tolerance: 0.01})
	if got := sys.Mesh.TotalVolumeUm3(); math.Abs(got-vTot) > 1e-9 {
		t.Fatalf("the chain holds %g µm³, want %g", got, vTot)
	}
	ns := len(sys.Species)
	iA, iAE := column(t, sys, "A"), column(t, sys, "AE")
	v5 := sys.Mesh.Voxels[5].VolumeUm3
	// the exact stationary law of the total bound: a birth–death chain
	// with up(c) = r·(E − c)·(N − c), down(c) = c
	r := kf / model.PUVC / (kb * vTot)
	pi := enumerate(int(nE), func(c int) float64 { return r * (nE - float64(c)) * (nA - float64(c)) },
		func(c int) float64 { return float64(c) })
	mean, sd := momentsOf(pi, func(c int) float64 { return float64(c) })
	var events, leaps int64
	sAE, sA := map[float64][]float64{}, map[float64][]float64{}
	for s := 0; s < runs; s++ {
		rec := run(t, sys, 21000+uint64(s))
		for i, tm := range rec.times {
			if tm == 0 {
				continue
			}
			c := 0.0
			for v := 0; v < 6; v++ {
				c += float64(rec.frames[i][v*ns+iAE])
			}
			sAE[tm] = append(sAE[tm], c)
			sA[tm] = append(sA[tm], float64(rec.frames[i][5*ns+iA]))
		}
		events += rec.stats.ExactEvents
		leaps += rec.stats.Leaps
	}
	t.Logf("per run: %d single events, %d leaps", events/runs, leaps/runs)
	// Fired one by one, the border hop alone is about 3 500 events a ms
	// each way (140 000 a run).
	if events > 8000*runs || leaps == 0 {
		t.Errorf("%d single events and %d leaps a run: the border hop does not leap", events/runs, leaps/runs)
	}
	for _, tm := range []float64{5, 10, 15, 20} {
		checkMean(t, fmt.Sprintf("AE at %g ms", tm), sAE[tm], mean)
		checkMean(t, fmt.Sprintf("A in voxel 5 at %g ms", tm), sA[tm], (nA-mean)*v5/vTot)
		checkVariance(t, fmt.Sprintf("AE at %g ms", tm), sAE[tm], sd*sd)
	}
}

// TestLinearManifold: A ⇌ B (20 and 1 per ms, λ = 21) with A consumed
// by A → C at 4.2 per ms, 20 % of λ and twice the separation √ε·λ that
// a lag taken to first order needs. A linear pair takes its first-order
// consumption exactly (the slow manifold of its molecules' chain,
// linearManifold): it stays in partial equilibrium, and C follows the
// exact law, each molecule running A ⇌ B, A → C. (The first-order lag
// in its place makes the slow rate 3.5 % too slow: C ran 8 to 13 SE
// behind.) Means within 5 SE, variances by chi-square, 300 runs.
func TestLinearManifold(t *testing.T) {
	const kf, kr, k, n, end = 20.0, 1.0, 4.2, 1000, 20.0
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="B"/><Specie name="C"/>
<Reaction id="fast"><Reactant specieID="A"/><Product specieID="B"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>
<Reaction id="slow"><Reactant specieID="A"/><Product specieID="C"/><forwardRate>%g</forwardRate></Reaction>`, kf, kr, k)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, float64(n)/omega)
	sys := compileXML(t, oneVoxel(scheme, ic, fmt.Sprintf(`<runtime>%g</runtime><outputInterval>%g</outputInterval>`, end, end/8)), model.Options{Method: "multiscale", Tolerance: 0.01})
	b := runBinomial(t, sys, []int{column(t, sys, "C")}, 300, 17000, "fast")
	if b.peTime < 0.8*end*float64(b.runCount) {
		t.Errorf("the fast pair spent %.0f%% of the runs in partial equilibrium", 100*b.peTime/(end*float64(b.runCount)))
	}
	for _, tm := range []float64{end / 8, end / 4, end / 2, end} {
		p := occupation([]float64{1, 0, 0}, func(p, d []float64) {
			d[0] = -(kf+k)*p[0] + kr*p[1]
			d[1] = kf*p[0] - kr*p[1]
			d[2] = k * p[0]
		}, tm)
		b.check(t, "C", tm, n, p[2])
	}
}

// TestBufferedPair: A ⇌ C (4.2 and 0.02 per ms) and A ⇌ G (200 and 20
// per ms), a slow binding and a fast buffer of the same species, as
// calbindin and the fixed buffer share Ca. The buffer pair is in partial
// equilibrium while the binding leaps against its total (poolLeap), each
// leap up to the next output time: the buffer's drift correction must
// follow its total through the leaps (a correction held in molecules, as
// before the slow manifold, left C 26 SE low and its variance 1.5 times
// the exact one at 8 ms). For the pair A ⇌ C the buffer consumes A 48
// times faster than the pair relaxes and gives it back as fast; taken
// as first-order consumption and independent production its firings
// would move the pair's total, and so C, far more than C moves (the
// variance check of correct refuses it). Every reaction is first order:
// C ~ Binomial(n, P_C(t)) from each molecule's three-state chain; means
// within 5 SE, variances by chi-square, 300 runs.
func TestBufferedPair(t *testing.T) {
	const a, b, f, r, n = 4.2, 0.02, 200.0, 20.0, 5000
	scheme := fmt.Sprintf(`<Specie name="A"/><Specie name="C"/><Specie name="G"/>
<Reaction id="bind"><Reactant specieID="A"/><Product specieID="C"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>
<Reaction id="buffer"><Reactant specieID="A"/><Product specieID="G"/><forwardRate>%g</forwardRate><reverseRate>%g</reverseRate></Reaction>`, a, b, f, r)
	ic := fmt.Sprintf(`<NanoMolarity specieID="A" value="%g"/>`, float64(n)/omega)
	const end = 8.0
	sys := compileXML(t, oneVoxel(scheme, ic, fmt.Sprintf(`<runtime>%g</runtime><outputInterval>%g</outputInterval>`, end, end/8)), model.Options{Method: "multiscale", Tolerance: 0.01})
	runs := runBinomial(t, sys, []int{column(t, sys, "C")}, 300, 19000, "bind")
	for _, tm := range []float64{1, 2, 4, 8} {
		p := occupation([]float64{1, 0, 0}, func(p, d []float64) {
			d[0] = -(a+f)*p[0] + b*p[1] + r*p[2]
			d[1] = a*p[0] - b*p[1]
			d[2] = f*p[0] - r*p[2]
		}, tm)
		runs.check(t, "C", tm, n, p[1])
	}
}
