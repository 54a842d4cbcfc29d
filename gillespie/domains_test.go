package gillespie

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	plan, _ := partition(newNet(adapt), adapt.Tolerance, 0)
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
	compareDomains(t, exact, adapt, plan, 40, 900, []string{"A", "C"})
}

// compareDomains compares, over seeds runs each from seed0, the final
// totals of the named species and of A on either side of the boundary
// next to voxel 136 (the injection) between the exact method and the
// adaptive one in domains: |z| of the difference of means at most 5.
func compareDomains(t *testing.T, exact, adapt *model.System, plan *domainPlan, seeds int, seed0 uint64, species []string) {
	t.Helper()
	if raceDetector {
		t.Log("the accuracy comparison runs without -race (it checks no concurrency)")
		return
	}
	ns := len(adapt.Species)
	nv := adapt.NumVoxels()
	var idx []int
	for _, name := range species {
		k := slices.IndexFunc(adapt.Species, func(s model.SpeciesInfo) bool { return s.ID == name })
		if k < 0 {
			t.Fatalf("no species %s", name)
		}
		idx = append(idx, k)
	}
	a0 := idx[0] // species[0] is A
	names := append(slices.Clone(species), "A left of the boundary", "A right of it")
	stats := func(sys *model.System) [][]float64 {
		out := make([][]float64, len(names))
		for s := 0; s < seeds; s++ {
			r := runWith(t, sys, Options{}, seed0+uint64(s))
			fr := r.frames[len(r.frames)-1]
			q := make([]float64, len(names))
			for v := 0; v < nv; v++ {
				for k, sp := range idx {
					q[k] += float64(fr[v*ns+sp])
				}
				side := len(idx)
				if plan.of[v] >= plan.of[136] {
					side++
				}
				q[side] += float64(fr[v*ns+a0])
			}
			for i := range q {
				out[i] = append(out[i], q[i])
			}
		}
		return out
	}
	se, sa := stats(exact), stats(adapt)
	n := float64(seeds)
	for i, name := range names {
		me, sde := meanSD(se[i])
		ma, sda := meanSD(sa[i])
		z := (ma - me) / math.Sqrt(sde*sde/n+sda*sda/n+1e-9)
		t.Logf("%s: adaptive %.1f ± %.1f, exact %.1f ± %.1f: z = %.2f", name, ma, sda, me, sde, z)
		if math.Abs(z) > 5 {
			t.Errorf("%s: adaptive %.1f ± %.1f, exact %.1f ± %.1f: z = %.1f", name, ma, sda, me, sde, z)
		}
	}
}

// crowdedDendrite is longDendrite with ~150 molecules of A per voxel at
// the start, a strong injection at the domain boundary, and a slow
// isomerisation B ⇌ E of ~600 molecules per voxel (12 firings per ms),
// whose leaps are far longer than the 11 µs boundary windows.
var crowdedDendrite = strings.NewReplacer(
	`<Specie name="C"/>`, `<Specie name="C"/><Specie name="E"/>`,
	`<reverseRate>0.01</reverseRate></Reaction>`, `<reverseRate>0.01</reverseRate></Reaction>
    <Reaction id="slow"><Reactant specieID="B"/><Product specieID="E"/><forwardRate>0.02</forwardRate><reverseRate>0.005</reverseRate></Reaction>`,
	`<NanoMolarity specieID="B" value="2000"/>`, `<NanoMolarity specieID="B" value="2000"/><NanoMolarity specieID="A" value="500"/>`,
	"<rate>100</rate>", "<rate>4000</rate>",
	"<duration>20</duration>", "<duration>10</duration>",
	"<runtime>150</runtime>", "<runtime>20</runtime>",
	"<outputInterval>50</outputInterval>", "<outputInterval>10</outputInterval>",
).Replace(longDendrite)

// TestDomainLeapsSpanWindows: in a domain, leaps run past the boundary
// windows to the next output time; the result still agrees with the exact
// method (40 seeds each, |z| <= 5 on the totals of A, C and E and on A either
// side of the injection's boundary: a false failure about once in 10^6
// per quantity for normal means) and is the same for any number of workers.
func TestDomainLeapsSpanWindows(t *testing.T) {
	exact := compileXML(t, crowdedDendrite, model.Options{Method: "exact"})
	adapt := compileXML(t, crowdedDendrite, model.Options{Method: "adaptive", Tolerance: 0.01})
	plan, _ := partition(newNet(adapt), adapt.Tolerance, 0)
	if plan == nil || plan.count < 3 {
		t.Fatal("no domain decomposition")
	}
	var ref [32]byte
	for k, w := range []int{1, 3} {
		s := &hashSink{}
		st, err := Run(context.Background(), adapt, Options{Workers: w}, 5, s)
		if err != nil {
			t.Fatal(err)
		}
		// a large part of the firings leap (so the comparison below is
		// one of leaps that cross window ends)
		// (the last window before an output time may be cut short)
		if st.Domains != plan.count || !(st.WindowMs >= 0.9*plan.window) {
			t.Errorf("stats report %d domains, mean window %g ms; the plan has %d, windows of at least %g ms", st.Domains, st.WindowMs, plan.count, plan.window)
		}
		checkBalance(t, st)
		if k == 0 {
			ref = s.h
			t.Logf("window %.3g ms; %d single events, %d leaps carrying %d firings", plan.window, st.ExactEvents, st.Leaps, st.LeapFirings)
			if 2*st.LeapFirings < st.ExactEvents {
				t.Errorf("leaps carry %d firings, single events %d: too few leaps to check", st.LeapFirings, st.ExactEvents)
			}
		} else if s.h != ref {
			t.Errorf("workers=%d: output differs from workers=1", w)
		}
	}
	compareDomains(t, exact, adapt, plan, 40, 700, []string{"A", "C", "E"})
}

// TestMultiscaleDomains: the multiscale method runs the domains too (its
// fast pairs and clusters also in the voxels at domain boundaries, whose
// exchange draws from and updates their conditional laws; clusters within
// a domain).
// The output is the same for any number of workers (on the crowded
// dendrite, where most firings are absorbed and leaps cross windows), and
// agrees with the exact method on the dendrite of TestDomainDecomposition
// (40 seeds each, |z| <= 5 on A and C in total and A on either side of
// the injection's boundary). On the crowded dendrite the multiscale
// method's clusters of A move about 1 % of A across the injection site in
// one block as in domains (|z| 5-8 against exact over 40 seeds at ε =
// 0.01): a bias within ε of the method itself, not of the domains.
func TestMultiscaleDomains(t *testing.T) {
	crowded := compileXML(t, crowdedDendrite, model.Options{Method: "multiscale", Tolerance: 0.01})
	plan, _ := partition(newNet(crowded), crowded.Tolerance, 0)
	if plan == nil || plan.count < 3 {
		t.Fatal("no domain decomposition")
	}
	var ref [32]byte
	for k, w := range []int{1, 3, 8} {
		s := &hashSink{}
		st, err := Run(context.Background(), crowded, Options{Workers: w}, 5, s)
		if err != nil {
			t.Fatal(err)
		}
		if st.Domains != plan.count {
			t.Errorf("stats report %d domains; the plan has %d", st.Domains, plan.count)
		}
		checkBalance(t, st)
		if k == 0 {
			ref = s.h
			t.Logf("%d single events, %d leaps carrying %d firings, %.3g absorbed", st.ExactEvents, st.Leaps, st.LeapFirings, st.Absorbed)
			if !(st.Absorbed > 0) || st.LeapFirings == 0 {
				t.Errorf("%.3g firings absorbed, %d leapt: the check does not exercise partial equilibrium and leaps", st.Absorbed, st.LeapFirings)
			}
		} else if s.h != ref {
			t.Errorf("workers=%d: output differs from workers=1", w)
		}
	}
	exact := compileXML(t, longDendrite, model.Options{Method: "exact"})
	ms := compileXML(t, longDendrite, model.Options{Method: "multiscale", Tolerance: 0.01})
	plan, _ = partition(newNet(ms), ms.Tolerance, 0)
	compareDomains(t, exact, ms, plan, 40, 300, []string{"A", "C"})
}

// TestClusterAcrossCuts: an abundant, fast-diffusing species (G, ~6000
// molecules a voxel, as the spine model's extracellular glutamate) forms
// one cluster in each domain, which stays in partial equilibrium while
// molecules cross the cuts: the rates a domain publishes for its hops out
// of a cluster are the rates they fire at. (Published at the cluster's
// thinning bound, up to 4 % above, they made each neighbour's cluster see
// a steady inflow at the cut, fail its lag check and re-enter over and
// over: hundreds of entries in 150 ms.)
func TestClusterAcrossCuts(t *testing.T) {
	xml := strings.NewReplacer(
		`<Specie name="C"/>`, `<Specie name="C"/><Specie name="G" kdiff="0.5" kdiffunit="mu2/ms"/><Specie name="GB"/>`,
		`</ReactionScheme>`, `<Reaction id="slowG"><Reactant specieID="G"/><Reactant specieID="B"/><Product specieID="GB"/><forwardRate>1e-9</forwardRate><reverseRate>0.001</reverseRate></Reaction>
  </ReactionScheme>`,
		`<NanoMolarity specieID="B" value="2000"/>`, `<NanoMolarity specieID="B" value="2000"/><NanoMolarity specieID="G" value="20000"/>`,
	).Replace(longDendrite)
	sys := compileXML(t, xml, model.Options{Method: "multiscale", Tolerance: 0.01})
	plan, _ := partition(newNet(sys), sys.Tolerance, 0)
	if plan == nil || plan.count < 3 {
		t.Fatal("no domain decomposition")
	}
	st, err := Run(context.Background(), sys, Options{}, 11, &hashSink{})
	if err != nil {
		t.Fatal(err)
	}
	var g *Subsystem
	for k := range st.Subsystems {
		if st.Subsystems[k].Name == "diffusion of G" {
			g = &st.Subsystems[k]
		}
	}
	if g == nil {
		t.Fatalf("G never entered partial equilibrium (%d domains)", st.Domains)
	}
	t.Logf("diffusion of G: %d clusters, %d entries in %d domains", g.Instances, g.Activations, st.Domains)
	if g.Activations > int64(2*st.Domains) {
		t.Errorf("diffusion of G entered partial equilibrium %d times in %d domains: its clusters leave it at the cuts", g.Activations, st.Domains)
	}
}

// TestOneBlockReasons: DomainVoxels says why a mesh runs as one block:
// asked for, too small for spinerd's choice, no diffusion, diffusion too
// fast for a window, no diffusion across the cut (two dendrites that do
// not touch, cut between them); and gives the domains' voxels otherwise.
func TestOneBlockReasons(t *testing.T) {
	short := strings.Replace(longDendrite, `<end x="60" y="0" z="0" r="1"/>`, `<end x="20" y="0" z="0" r="1"/>`, 1)
	short = strings.Replace(short, `<end x="30" y="0" z="0" r="1" label="mid"/>`, `<end x="10" y="0" z="0" r="1" label="mid"/>`, 1)
	// the 90-voxel dendrite with spines of 11 voxels each: ≥ 128 voxels,
	// but fewer than 128 outside the spines, where the cut falls
	spiny := strings.NewReplacer(`<Morphology>`, `<Morphology>
    <SpineType id="m"><Section width="0.15" at="0"/><Section width="0.45" at="0.6"/><Section width="0.3" at="1.1"/></SpineType>
    <SpineAllocation id="sa" spineType="m" region="dend" lengthDensity="0.5"/>`,
		`<defaultMaxElementSide>1</defaultMaxElementSide>`, `<defaultMaxElementSide>1</defaultMaxElementSide><spineDeltaX>0.1</spineDeltaX>`).Replace(short)
	apart := strings.Replace(longDendrite, `<start on="d1" at="end"/><end x="60" y="0" z="0" r="1"/>`,
		`<start x="100" y="0" z="0" r="1"/><end x="130" y="0" z="0" r="1"/>`, 1)
	for _, c := range []struct {
		name, xml string
		want      int
		why       OneBlock
	}{
		{"270 voxels", longDendrite, 0, Cut},
		{"270 voxels, one block asked", longDendrite, 1, Asked},
		{"90 voxels", short, 0, Small},
		{"90 voxels, 2 asked", short, 2, Cut},
		{"90 voxels and spines", spiny, 0, Small},
		{"90 voxels and spines, 2 asked", spiny, 2, Cut},
		{"no diffusion", strings.Replace(longDendrite, `kdiff="0.2"`, `kdiff="0"`, 1), 2, NoDiffusion},
		{"fast diffusion", strings.Replace(longDendrite, `kdiff="0.2"`, `kdiff="20000"`, 1), 0, TooFast},
		{"two dendrites apart", apart, 2, NoCrossing},
	} {
		sys := compileXML(t, c.xml, model.Options{Method: "multiscale", Tolerance: 0.01})
		if c.xml == spiny && (sys.NumVoxels() < AutoCutVoxels || len(dendrite(sys)) >= AutoCutVoxels) {
			t.Fatalf("%s: %d voxels, %d outside the spines: not the case meant", c.name, sys.NumVoxels(), len(dendrite(sys)))
		}
		voxels, windowMs, why := DomainVoxels(sys, c.want)
		if why != c.why {
			t.Errorf("%s (%d voxels), domains %d: reason %d, want %d", c.name, sys.NumVoxels(), c.want, why, c.why)
			continue
		}
		sum := 0
		for _, v := range voxels {
			sum += v
		}
		if (why == Cut) != (len(voxels) >= 2 && sum == sys.NumVoxels() && windowMs > 0) {
			t.Errorf("%s, domains %d: reason %d with domains of %v voxels (of %d), window %g ms", c.name, c.want, why, voxels, sys.NumVoxels(), windowMs)
		}
	}
}

// TestDomainsOption: Options.Domains 0 cuts the 270-voxel dendrite into
// one domain per 64 voxels and a 60-voxel one not at all; 1 runs one
// block; N ≥ 2 cuts N domains on either mesh (at most MaxDomains), whose
// output is the same for any Workers.
func TestDomainsOption(t *testing.T) {
	short := strings.NewReplacer(`x="30"`, `x="6"`, `x="60"`, `x="12"`).Replace(longDendrite)
	for _, method := range []string{"adaptive", "multiscale"} {
		for _, c := range []struct {
			name          string
			xml           string
			want, workers int
			domains       int // Stats.Domains
		}{
			{"270 voxels", longDendrite, 0, 2, 4},
			{"270 voxels", longDendrite, 1, 2, 0},
			{"270 voxels", longDendrite, 7, 1, 7},
			{"270 voxels", longDendrite, 7, 3, 7},
			{"60 voxels", short, 0, 2, 0},
			{"60 voxels", short, 2, 1, 2},
			{"60 voxels", short, 2, 2, 2},
			// domains thinner than the mesh is wide: a domain's pairs
			// reach beyond its neighbours in the numbering
			{"60 voxels", short, 30, 2, 30},
		} {
			sys := compileXML(t, strings.Replace(c.xml, "<runtime>150</runtime>", "<runtime>5</runtime>", 1), model.Options{Method: method, Tolerance: 0.01})
			if want := sys.NumVoxels(); MaxDomains(sys) != want {
				t.Errorf("%s: MaxDomains %d, want %d (no spines)", c.name, MaxDomains(sys), want)
			}
			hashes := map[int][32]byte{}
			for _, workers := range []int{1, c.workers} {
				var h hashSink
				st, err := Run(context.Background(), sys, Options{Workers: workers, Domains: c.want}, 3, &h)
				if err != nil {
					t.Fatal(err)
				}
				if st.Domains != c.domains || Parallel(sys.Method, c.want) != (c.want != 1) {
					t.Errorf("%s, %s, Domains %d: %d domains (want %d), Parallel %v", method, c.name, c.want, st.Domains, c.domains, Parallel(sys.Method, c.want))
				}
				hashes[workers] = h.h
			}
			if hashes[1] != hashes[c.workers] {
				t.Errorf("%s, %s, Domains %d: output differs between 1 and %d workers", method, c.name, c.want, c.workers)
			}
		}
	}
}

// TestCuts: the cuts give each domain at most the smallest largest share
// of either work that any contiguous cut into the same number of
// non-empty domains gives (checked against every cut of small random
// dendrites), and balance the voxels alone when one atom takes all the
// stimulus, or none is given.
func TestCuts(t *testing.T) {
	// bottleneck is the largest share of either work a domain of of has,
	// relative to an equal share, each work's cap no lower than its
	// largest atom's.
	bottleneck := func(w []atomWork, of []int, count int) float64 {
		var total, most atomWork
		sums := make([]atomWork, count)
		for i, a := range w {
			total.voxels += a.voxels
			total.injected += a.injected
			most.voxels = max(most.voxels, a.voxels)
			most.injected = max(most.injected, a.injected)
			sums[of[i]].voxels += a.voxels
			sums[of[i]].injected += a.injected
		}
		b := 0.0
		for _, s := range sums {
			if s.voxels > most.voxels {
				b = max(b, s.voxels*float64(count)/total.voxels)
			}
			if s.injected > most.injected {
				b = max(b, s.injected*float64(count)/total.injected)
			}
		}
		return b
	}
	valid := func(of []int, count int) bool {
		if of[0] != 0 || of[len(of)-1] != count-1 {
			return false
		}
		for i := 1; i < len(of); i++ {
			if d := of[i] - of[i-1]; d != 0 && d != 1 {
				return false
			}
		}
		return true
	}
	rng := NewStream(7, 0)
	for trial := range 200 {
		n := 6 + int(rng.Uint64()%9)
		count := 2 + int(rng.Uint64()%3)
		w := make([]atomWork, n)
		for i := range w {
			w[i].voxels = 1
			if rng.Float64() < 0.3 {
				w[i].voxels += 11
				if rng.Float64() < 0.7 {
					w[i].injected = 100 + 50*rng.Float64()
				}
			}
		}
		of := cuts(w, count)
		if !valid(of, count) {
			t.Fatalf("trial %d: cuts %v are not %d contiguous non-empty domains", trial, of, count)
		}
		// every cut: count−1 boundaries among n−1 gaps
		best := math.Inf(1)
		try := make([]int, n)
		var walk func(i, d int)
		walk = func(i, d int) {
			if i == n {
				if d == count-1 {
					best = min(best, bottleneck(w, try, count))
				}
				return
			}
			try[i] = d
			walk(i+1, d)
			if i > 0 && d+1 < count {
				try[i] = d + 1
				walk(i+1, d+1)
			}
		}
		walk(0, 0)
		if got := bottleneck(w, of, count); got > best*(1+1e-9) {
			t.Fatalf("trial %d: atoms %v, %d domains: cuts %v give %.4f, best cut %.4f", trial, w, count, of, got, best)
		}
	}
	// The 12-spine dendrite's numbering (300 dendrite voxels, spines of
	// 11 voxels at these, every spine stimulated) in 9 domains: within
	// the caps, no domain is left with less than half an equal share of
	// the voxels (filling each domain to the caps left the last two with
	// 20 and 1).
	w := make([]atomWork, 300)
	for i := range w {
		w[i].voxels = 1
	}
	for _, v := range []int{54, 70, 135, 180, 225, 229, 234, 245, 259, 269, 289, 290} {
		w[v] = atomWork{voxels: 12, injected: 250}
	}
	sizes := make([]float64, 9)
	for i, d := range cuts(w, 9) {
		sizes[d] += w[i].voxels
	}
	if slices.Min(sizes) < 0.5*432/9 {
		t.Errorf("12-spine dendrite in 9 domains: voxels %v", sizes)
	}
	// 40 atoms of one voxel, the stimulus in one of them or nowhere: ten each
	for _, hot := range []float64{0, 500} {
		w := make([]atomWork, 40)
		for i := range w {
			w[i].voxels = 1
		}
		w[3].injected = hot
		of := cuts(w, 4)
		sizes := make([]int, 4)
		for _, d := range of {
			sizes[d]++
		}
		if !slices.Equal(sizes, []int{10, 10, 10, 10}) {
			t.Errorf("stimulus %g in one atom: domain sizes %v, want 10 each", hot, sizes)
		}
	}
}

// checkBalance: every domain's work is timed, and the critical path (each
// window's busiest domain, per phase) lies between the busiest domain's
// total and the sum of all.
func checkBalance(t *testing.T, st Stats) {
	t.Helper()
	b := st.DomainBalance()
	if len(st.DomainBusySeconds) != st.Domains || !(b.Least > 0) {
		t.Errorf("domain work timed for %d of %d domains, least %g s", len(st.DomainBusySeconds), st.Domains, b.Least)
	}
	const rel = 1e-9 // the seconds are sums of the same nanoseconds
	if !(st.CriticalSeconds >= b.Most*(1-rel) && st.CriticalSeconds <= b.Sum*(1+rel)) {
		t.Errorf("critical path %g s outside [%g, %g] s, the busiest domain's total and the sum", st.CriticalSeconds, b.Most, b.Sum)
	}
	if !(b.Bound >= 1-rel && b.Bound <= float64(st.Domains)*(1+rel)) {
		t.Errorf("balance bound %g outside [1, %d]", b.Bound, st.Domains)
	}
}

// TestTake: whatever the workers and the domains' loads, every phase runs
// every domain exactly once (each worker taking its own run first, then
// what the others have not claimed: in every other phase one worker
// comes alone and must take every domain), and balance cuts the domains into
// runs whose loads differ from an equal share by at most the largest
// load. Worker counts above the cores are run here, as the cap in
// newDomains never lets them run on this machine.
func TestTake(t *testing.T) {
	rng := NewStream(7, 0)
	for workers := 1; workers <= 5; workers++ {
		for count := 1; count <= 12; count++ {
			d := &domains{workers: workers, eng: make([]domainEngine, count),
				claim: make([]atomic.Uint64, count), load: make([]float64, count), cut: make([]int, workers+1)}
			for w := range d.cut {
				d.cut[w] = w * count / workers
			}
			ran := make([]atomic.Int32, count)
			for p := 1; p <= 20; p++ {
				total, most := 0.0, 0.0
				for k := range d.load {
					d.load[k] = rng.Float64() * float64(1+k%3) // uneven loads
					total += d.load[k]
					most = math.Max(most, d.load[k])
				}
				d.balance()
				if d.cut[0] != 0 || d.cut[workers] != count {
					t.Fatalf("%d workers, %d domains: runs %v do not cover the domains", workers, count, d.cut)
				}
				for w := range workers {
					if d.cut[w] > d.cut[w+1] {
						t.Fatalf("%d workers, %d domains: runs %v out of order", workers, count, d.cut)
					}
					sum := 0.0
					for k := d.cut[w]; k < d.cut[w+1]; k++ {
						sum += d.load[k]
					}
					if math.Abs(sum-total/float64(workers)) > most+1e-9 {
						t.Errorf("%d workers, %d domains: run %d has load %.3f, an equal share is %.3f (largest load %.3f)",
							workers, count, w, sum, total/float64(workers), most)
					}
				}
				d.phase = uint64(p)
				var wg sync.WaitGroup
				for w := range workers {
					if p%2 == 0 && w != p%workers {
						continue // the others are late
					}
					wg.Go(func() { d.take(w, func(k int) { ran[k].Add(1) }) })
				}
				wg.Wait()
				for k := range ran {
					if got := ran[k].Load(); got != int32(p) {
						t.Fatalf("%d workers, %d domains, phase %d: domain %d ran %d times, want %d", workers, count, p, k, got, p)
					}
				}
			}
		}
	}
}

// advanceEdges advances d to tEnd as Run does, turning the stimuli on and
// off at their edges (edges applied up to d's time already).
func advanceEdges(t *testing.T, d *domains, edges *model.Edges, tEnd float64) {
	t.Helper()
	for d.t < tEnd {
		next := math.Min(tEnd, edges.Next())
		if err := d.advance(context.Background(), next); err != nil {
			t.Fatal(err)
		}
		edges.Apply(next, d.setRate)
	}
}

// TestWindowBound: the bound each domain sets on the next window, from the
// rates its engine reads in a batch over the distinct changers of its
// boundary counts, equals the bound summed over every changer of each
// count the net lists, each rate read alone (another domain's as frozen; none for the
// channels of an active pair or a hop inside an active cluster), at every
// 2 ms of multiscale runs in which A's clusters (crowdedDendrite) or A's
// binding to B (fast) are in partial equilibrium at the cuts, and of an
// adaptive run.
func TestWindowBound(t *testing.T) {
	fast := strings.Replace(crowdedDendrite, "<forwardRate>2e-5</forwardRate><reverseRate>0.01</reverseRate>", "<forwardRate>1e-2</forwardRate><reverseRate>5</reverseRate>", 1)
	inPair, inCluster, frozen := 0, 0, 0
	for _, c := range []struct{ method, xml string }{{"multiscale", crowdedDendrite}, {"multiscale", fast}, {"adaptive", crowdedDendrite}} {
		method := c.method
		sys := compileXML(t, c.xml, model.Options{Method: method, Tolerance: 0.01})
		n := newNet(sys)
		plan, _ := partition(n, sys.Tolerance, 0)
		if plan == nil {
			t.Fatal("no domain decomposition")
		}
		x := sys.InitialCounts(7)
		var ms []*multiscale
		var ad []*adaptive
		d := newDomains(n, x, 7, sys, plan, 2, func(own []bool) domainEngine {
			if method == "adaptive" {
				a := newAdaptive(n, x, 7, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
				ad = append(ad, a)
				return a
			}
			m := newMultiscale(n, x, 7, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
			ms = append(ms, m)
			return m
		})
		// rate is changer j's rate in domain k, read alone
		rate := func(k int, j int32) float64 {
			if method == "adaptive" {
				return ad[k].rate(j)
			}
			m := ms[k]
			if u := m.unitOf[j]; u >= 0 && m.activeSub(m.uh[u].sub) {
				inPair++
				return 0
			}
			if n.kind[j] == kindHop {
				from, to := n.chgIdx[n.chgStart[j]], n.chgIdx[n.chgStart[j]+1]
				if id := m.xsub[from]; id >= 0 && m.xsub[to] == id {
					inCluster++
					return 0
				}
			}
			if m.frozenSlot[j] >= 0 {
				frozen++
			}
			return m.rateOf(j)
		}
		// changers of each x index, from the net: (instance, change)
		changers := map[int32][][2]int32{}
		for j := int32(0); j < int32(len(n.kind)); j++ {
			for c := n.chgStart[j]; c < n.chgStart[j+1]; c++ {
				changers[n.chgIdx[c]] = append(changers[n.chgIdx[c]], [2]int32{j, n.chgDelta[c]})
			}
		}
		checked := 0
		edges := sys.NewEdges()
		edges.Apply(sys.StartMs, d.setRate)
		for tEnd := 2.0; tEnd <= 20; tEnd += 2 {
			advanceEdges(t, d, edges, tEnd)
			for k, e := range d.eng {
				// fastest pair first, until ε/r reaches the bound
				want := math.Inf(1)
				for b, xi := range d.bx[k] {
					if d.eps/d.bRate[k][b] >= want {
						break
					}
					var mean, variance float64
					for _, ch := range changers[xi] {
						r := rate(k, ch[0])
						mean += r * float64(ch[1])
						variance += r * float64(ch[1]*ch[1])
						checked++
					}
					slack := math.Max(1, d.eps*e.expected(xi))
					if mean != 0 && slack/math.Abs(mean) < want {
						want = slack / math.Abs(mean)
					}
					if variance > 0 && slack*slack/variance < want {
						want = slack * slack / variance
					}
				}
				// (the sums run in another order than the domain's)
				if got := d.bound[k]; math.Abs(got-want) > 1e-12*want {
					t.Errorf("%s, t = %g ms, domain %d: bound %g ms, entry by entry %g ms", method, tEnd, k, got, want)
				}
			}
		}
		t.Logf("%s: %d windows, %d changer rates checked", method, d.win, checked)
		if checked == 0 {
			t.Errorf("%s: no rate checked", method)
		}
	}
	t.Logf("multiscale: %d rates of an active pair, %d of hops inside an active cluster, %d frozen", inPair, inCluster, frozen)
	if inPair == 0 || inCluster == 0 || frozen == 0 {
		t.Error("the check does not exercise every case of the bound")
	}
}

// TestExchangeUpdates: after every window's boundary exchange, each
// instance a domain simulates event by event has the propensity its
// counts give (the exchange recomputed every one that reads a count it
// changed, on both sides of each cut), in multiscale and adaptive runs.
func TestExchangeUpdates(t *testing.T) {
	for _, method := range []string{"multiscale", "adaptive"} {
		sys := compileXML(t, crowdedDendrite, model.Options{Method: method, Tolerance: 0.01})
		n := newNet(sys)
		plan, _ := partition(n, sys.Tolerance, 0)
		x := sys.InitialCounts(3)
		var ex []*exact
		d := newDomains(n, x, 3, sys, plan, 1, func(own []bool) domainEngine {
			if method == "adaptive" {
				a := newAdaptive(n, x, 3, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
				ex = append(ex, a.exact)
				return a
			}
			m := newMultiscale(n, x, 3, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
			ex = append(ex, m.exact)
			return m
		})
		checked := 0
		edges := sys.NewEdges()
		edges.Apply(sys.StartMs, d.setRate)
		// one window per call: advance to the window's end (the
		// injection starts at 1 ms)
		for w := 0; w < 400 && d.t < 4; w++ {
			advanceEdges(t, d, edges, d.t+d.plan.window)
			for k, e := range ex {
				for i := range n.instances(e.near) {
					h := &e.h[i]
					if h.excl || plan.of[h.vox] != int32(k) {
						continue
					}
					if a := e.prop(i); a != e.aOf(h) {
						t.Fatalf("%s, t = %g ms, domain %d: instance %d has propensity %g, its counts give %g", method, d.t, k, i, e.aOf(h), a)
					}
					checked++
				}
			}
		}
		t.Logf("%s: %d windows, %d propensities checked", method, d.win, checked)
	}
}

// TestDomainReadsNear: a domain's engine reads no entry of its tables
// indexed by instance or count outside its voxels and their neighbours
// (where they are lazy tables, never written): with every such entry set
// to nonsense (NaN rates, out-of-range indices, instances not excluded),
// multiscale and adaptive runs in domains reach the same counts at every
// 2 ms.
func TestDomainReadsNear(t *testing.T) {
	fast := strings.Replace(crowdedDendrite, "<forwardRate>2e-5</forwardRate><reverseRate>0.01</reverseRate>", "<forwardRate>1e-2</forwardRate><reverseRate>5</reverseRate>", 1)
	for _, c := range []struct{ method, xml string }{{"multiscale", crowdedDendrite}, {"multiscale", fast}, {"adaptive", crowdedDendrite}} {
		sys := compileXML(t, c.xml, model.Options{Method: c.method, Tolerance: 0.01})
		n := newNet(sys)
		plan, _ := partition(n, sys.Tolerance, 0)
		var counts [2][][]int64
		poisoned := 0
		for pass := range 2 {
			x := sys.InitialCounts(5)
			d := newDomains(n, x, 5, sys, plan, 2, func(own []bool) domainEngine {
				var e domainEngine
				var ad *adaptive
				var ms *multiscale
				if c.method == "adaptive" {
					ad = newAdaptive(n, x, 5, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
					e = ad
				} else {
					ms = newMultiscale(n, x, 5, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
					ad, e = ms.adaptive, ms
				}
				if pass == 0 {
					return e
				}
				near := make([]bool, n.nv)
				for _, v := range n.near(own) {
					near[v] = true
				}
				const bad = 1 << 30
				for i := range int32(len(n.kind)) {
					if near[n.vox[i]] {
						continue
					}
					poisoned++
					ad.h[i] = inst{c: math.NaN(), r0: bad, r1: bad, vox: bad, ev: bad, pos: bad, shape: 1}
					ad.unitOf[i] = bad
					ad.ord[i], ad.aOrd[i], ad.timer[i] = bad, math.NaN(), bad
					ad.gen[i] = genShape{bad, bad, bad, bad}
					ad.aLeap[i], ad.frozenSlot[i] = math.NaN(), bad
					for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
						ad.nu[k] = math.NaN()
					}
					if ms != nil {
						ms.refA[i], ms.refB[i] = momRef{bad, bad}, momRef{bad, bad}
						ms.nref[i], ms.origShape[i], ms.origR0[i], ms.rvOf[i] = 100, 100, bad, bad
					}
				}
				if ms != nil {
					ns := int32(n.ns)
					for v := range int32(n.nv) {
						if near[v] {
							continue
						}
						for xi := v * ns; xi < (v+1)*ns; xi++ {
							ms.xsub[xi], ms.abund[xi] = bad, bad
							// (a list's end is the next start: kept after a near voxel)
							if xi > v*ns || v == 0 || !near[v-1] {
								ms.rdStart[xi], ms.cgStart[xi] = bad, bad
							}
						}
					}
				}
				return e
			})
			edges := sys.NewEdges()
			edges.Apply(sys.StartMs, d.setRate)
			for tEnd := 2.0; tEnd <= 20; tEnd += 2 {
				advanceEdges(t, d, edges, tEnd)
				counts[pass] = append(counts[pass], slices.Clone(x))
			}
			d.release()
		}
		if poisoned == 0 {
			t.Fatalf("%s: no domain has instances beyond its neighbours", c.method)
		}
		for k := range counts[0] {
			if !slices.Equal(counts[0][k], counts[1][k]) {
				t.Fatalf("%s: counts at %d ms differ with the far entries set to nonsense", c.method, 2*(k+1))
			}
		}
		t.Logf("%s: %d far entries set to nonsense, same counts", c.method, poisoned)
	}
}

// TestTally: Options.Tally sees the time move forward and the counters
// grow, and its last call gives the counters Run returns (in domains
// their windows too; the fixed method its steps).
func TestTally(t *testing.T) {
	for _, method := range []string{"adaptive", "multiscale", "fixed"} {
		sys := compileXML(t, crowdedDendrite, model.Options{Method: method, Tolerance: 0.01, FixedStepMs: 0.01})
		var calls int
		var lastT float64
		var last Stats
		tally := func(tMs float64, c Stats) {
			if calls++; tMs <= lastT || c.ExactEvents < last.ExactEvents || c.Leaps < last.Leaps ||
				c.LeapFirings < last.LeapFirings || c.Steps < last.Steps || c.Windows < last.Windows {
				t.Errorf("%s: tally at %g ms %+v after %g ms %+v", method, tMs, c, lastT, last)
			}
			lastT, last = tMs, c
		}
		st, err := Run(context.Background(), sys, Options{Workers: 2, Tally: tally}, 5, &hashSink{})
		if err != nil {
			t.Fatal(err)
		}
		if calls < 2 || lastT != sys.EndMs {
			t.Errorf("%s: %d tallies, the last at %g ms (run ends at %g)", method, calls, lastT, sys.EndMs)
		}
		if last.ExactEvents != st.ExactEvents || last.Leaps != st.Leaps || last.LeapFirings != st.LeapFirings ||
			last.Steps != st.Steps || last.Windows != st.Windows {
			t.Errorf("%s: last tally %+v, run's stats %+v", method, last, st)
		}
		switch method {
		case "fixed":
			if st.Steps == 0 || st.LeapFirings == 0 {
				t.Errorf("fixed: %d steps, %d firings counted", st.Steps, st.LeapFirings)
			}
		default:
			if st.Domains == 0 || st.Windows == 0 || st.ExactEvents == 0 {
				t.Errorf("%s: %d domains, %d windows, %d events counted", method, st.Domains, st.Windows, st.ExactEvents)
			}
		}
	}
}
