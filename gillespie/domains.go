package gillespie

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spinerd/spinerd/model"
)

// Domain decomposition of the adaptive and multiscale methods for large
// meshes (unless Options.Domains is 1).
//
// A mesh with at least 2·minDomain voxels outside the spines is cut into
// domains (contiguous
// runs of the dendrite numbering, each spine with its parent voxel, cut so
// that no domain holds much more than an equal share of the voxels or of
// the molecules the stimuli inject: see cuts). Each domain runs its own
// engine on its voxels; multiscale engines find their clusters in a
// hierarchy of their own voxels. Diffusion between voxels of different
// domains is applied at the end of each window as an exact two-way
// exchange over its length Δ (each molecule crosses with the probability
// it has after Δ, as in a leap of a hop pair; a species in partial
// equilibrium crosses as its conditional law gives). Δ is the longest in
// which the counts at the domain boundaries change, by all the channels
// that change them, by at most max(ε of the count, one molecule) in mean
// and in standard deviation (the adaptive method's bound for a leap),
// and never shorter than the plan's window, in which a molecule crosses a
// boundary with probability at most ε. The partition, the windows (chosen
// from the state between windows) and the random streams (one per voxel,
// two per boundary pair) depend only on the model and the seed, so the
// result is the same for any number of workers. A window's end is no
// barrier for a leap: a leap's bounds count the other domains' hops into
// its voxels (at the rates their domains published at the window's
// start), so it runs to the next output time or stimulus edge as it would
// in one block; the multiscale method's checks and draws at barriers
// happen there too. (Leaps cut at every window made a 864-voxel dendrite
// fire 5.5 times as many single events as in one block; windows of the
// plan's length alone, 1.15 µs on the spine model's dendrites, cost more
// in exchanges and synchronisation than the 12-spine dendrite's domains
// gained on two cores.)
const (
	minDomain = 64     // voxels per domain
	minWindow = 1e-3   // ms: below this, boundary exchanges cost more than they save
	maxWindow = 1000.0 // ms
)

// AutoCutVoxels is the fewest voxels outside the spines (the dendrite
// voxels, which a cut divides) of a mesh that Options.Domains 0 cuts into
// domains.
const AutoCutVoxels = 2 * minDomain

// OneBlock says why the adaptive and multiscale methods run a mesh as one
// block.
type OneBlock int

const (
	Cut         OneBlock = iota // they do not: the mesh is cut into domains
	Asked                       // Options.Domains is 1
	NoDiffusion                 // no hop, or no two voxels outside the spines
	Small                       // Options.Domains 0 and fewer than AutoCutVoxels voxels outside the spines
	NoCrossing                  // no hop with a rate crosses a cut
	TooFast                     // a window would be shorter than minWindow (1 µs)
)

// domainPlan is a partition of the voxels and the shortest window.
type domainPlan struct {
	of     []int32 // domain of each voxel
	count  int
	window float64
	pairs  []boundaryPair
}

// boundaryPair is a hop pair between voxels of two domains.
type boundaryPair struct {
	ab, ba int32 // hop instances a→b and b→a
	xa, xb int32 // x indices of the species in a and b
}

// partition returns the domain plan of the adaptive and multiscale
// methods, or nil and why when the model is run as one domain. want is
// Options.Domains: 0 cuts a mesh of ≥ AutoCutVoxels voxels outside the
// spines into one domain per minDomain of them, 1 cuts nothing, N ≥ 2 cuts N domains
// (at most one per dendrite voxel).
func partition(n *net, eps float64, want int) (*domainPlan, OneBlock) {
	sys := n.sys
	nv := n.nv
	switch {
	case want == 1:
		return nil, Asked
	case len(sys.Hops) == 0:
		return nil, NoDiffusion
	}
	dend := dendrite(sys)
	count := len(dend) / minDomain
	switch {
	case want == 0 && len(dend) < AutoCutVoxels:
		return nil, Small
	case want > 0:
		if count = min(want, len(dend)); count < 2 {
			return nil, NoDiffusion
		}
	}
	// atom[v]: the dendrite voxel (its index in dend) that voxel v is or
	// whose spine it is in
	atom := make([]int, nv)
	for i, v := range dend {
		atom[v] = i
	}
	for _, sp := range sys.Mesh.Spines {
		for k := 0; k < sp.NumVoxels; k++ {
			atom[sp.FirstVoxel+k] = atom[sp.ParentVoxel]
		}
	}
	of := cuts(domainWork(sys, atom, len(dend)), count)
	p := &domainPlan{of: make([]int32, nv), count: count}
	for v := range p.of {
		p.of[v] = int32(of[atom[v]])
	}
	maxRate := 0.0
	for i := int32(0); i < int32(len(n.kind)); i++ {
		if n.kind[i] != kindHop || p.of[n.vox[i]] == p.of[n.target(i)] {
			continue
		}
		j := n.partner[i]
		if j < 0 || i > j {
			continue
		}
		maxRate = math.Max(maxRate, n.c[i]+n.c[j])
		p.pairs = append(p.pairs, boundaryPair{ab: i, ba: j,
			xa: n.rIdx[n.rStart[i]], xb: n.rIdx[n.rStart[j]]})
	}
	if maxRate == 0 {
		return nil, NoCrossing
	}
	p.window = math.Min(eps/maxRate, maxWindow)
	if p.window < minWindow {
		return nil, TooFast
	}
	return p, Cut
}

// dendrite returns the voxels of sys's mesh that are in no spine, in
// order: the atoms of a partition (a spine goes with its parent voxel).
func dendrite(sys *model.System) []int {
	isSpine := make([]bool, sys.NumVoxels())
	for _, sp := range sys.Mesh.Spines {
		for k := 0; k < sp.NumVoxels; k++ {
			isSpine[sp.FirstVoxel+k] = true
		}
	}
	var dend []int
	for v, s := range isSpine {
		if !s {
			dend = append(dend, v)
		}
	}
	return dend
}

// MaxDomains is the most domains Options.Domains can ask of sys's mesh:
// one per voxel outside the spines (a spine stays with its parent voxel),
// 0 for a mesh without diffusion or of one voxel.
func MaxDomains(sys *model.System) int {
	if len(sys.Hops) == 0 {
		return 0
	}
	return len(dendrite(sys))
}

// DomainVoxels returns the voxels of each domain the adaptive and
// multiscale methods cut sys's mesh into when Options.Domains is want,
// in the mesh's order, and their shortest boundary exchange window (ms);
// for one block nil and why.
func DomainVoxels(sys *model.System, want int) (voxels []int, windowMs float64, why OneBlock) {
	p, why := partition(newNet(sys), sys.Tolerance, want)
	if p == nil {
		return nil, 0, why
	}
	voxels = make([]int, p.count)
	for _, k := range p.of {
		voxels[k]++
	}
	return voxels, p.window, Cut
}

// atomWork is what one dendrite voxel with its spines costs a domain:
// its voxels (the work between stimuli: measured on the 12-spine
// dendrite at rest, 9.7-10.3 k events per voxel in each of four domains
// that held 86 to 163 voxels) and the molecules the stimuli inject into
// them before the run's end (the work of a burst: with every spine
// stimulated, domains of equal voxel counts holding 1 to 5 of the 12
// spines were busy 46.5 to 91.6 s in the same 200 ms burst).
type atomWork struct{ voxels, injected float64 }

// domainWork returns the work of each of the atoms, atom[v] being the
// atom of voxel v.
func domainWork(sys *model.System, atom []int, atoms int) []atomWork {
	w := make([]atomWork, atoms)
	for _, a := range atom {
		w[a].voxels++
	}
	for _, st := range sys.Stimuli {
		molecules := 0.0
		for _, p := range st.Pulses {
			molecules += p.RatePerMs * max(0, min(p.EndMs, sys.EndMs)-max(p.StartMs, sys.StartMs))
		}
		for k, v := range st.Targets {
			w[atom[v]].injected += molecules * st.Shares[k]
		}
	}
	return w
}

// cuts splits the atoms, in order, into count contiguous non-empty
// domains (the domain of each atom) so that the largest share of either
// work any domain gets, relative to an equal share, is as small as it
// can be (an atom holding more than an equal share sets that work's cap
// by itself: one stimulated spine among many is one domain's burst
// whatever the cuts). The cap is found by bisection (for a cap, filling
// each domain as far as the cap allows needs the fewest domains); then,
// within the caps, each domain ends nearest an equal share of the voxels
// still left where the atoms after it still fit the domains after it
// (filling to the cap alone had left a 9-domain cut with 72, 72, 69, 71,
// 38, 46, 43, 20 and 1 voxels).
func cuts(w []atomWork, count int) []int {
	n := len(w)
	var total, most atomWork
	for _, a := range w {
		total.voxels += a.voxels
		total.injected += a.injected
		most.voxels = max(most.voxels, a.voxels)
		most.injected = max(most.injected, a.injected)
	}
	// the caps for share b, with room for the rounding of running sums
	caps := func(b float64) atomWork {
		return atomWork{
			voxels:   max(b*total.voxels/float64(count), most.voxels) * (1 + 1e-12),
			injected: max(b*total.injected/float64(count), most.injected) * (1 + 1e-12),
		}
	}
	fits := func(sum, a, c atomWork) bool {
		return sum.voxels+a.voxels <= c.voxels && sum.injected+a.injected <= c.injected
	}
	// need[i]: the fewest domains atoms i… fill within caps c (need[n] = 0)
	need := make([]int, n+1)
	needs := func(c atomWork) {
		end := n // atoms i…end−1 fit one domain; end falls as i falls
		var sum atomWork
		need[n] = 0
		for i := n - 1; i >= 0; i-- {
			sum.voxels += w[i].voxels
			sum.injected += w[i].injected
			for sum.voxels > c.voxels || sum.injected > c.injected {
				end--
				sum.voxels -= w[end].voxels
				sum.injected -= w[end].injected
			}
			need[i] = 1 + need[end]
		}
	}
	lo, hi := 1.0, float64(count)
	for range 60 {
		mid := (lo + hi) / 2
		if needs(caps(mid)); need[0] <= count {
			hi = mid
		} else {
			lo = mid
		}
	}
	c := caps(hi)
	needs(c)
	of := make([]int, n)
	d := 0
	var sum atomWork
	left := total.voxels // voxels of the atoms from the domain's first on
	for i, a := range w {
		if i > 0 && d < count-1 {
			target := left / float64(count-d)
			closer := math.Abs(sum.voxels-target) <= math.Abs(sum.voxels+a.voxels-target)
			if !fits(sum, a, c) || n-i <= count-1-d || (closer && need[i] <= count-1-d) {
				d++
				left -= sum.voxels
				sum = atomWork{}
			}
		}
		sum.voxels += a.voxels
		sum.injected += a.injected
		of[i] = d
	}
	return of
}

// domainEngine is the engine of one domain: an adaptive or multiscale
// engine built on the domain's voxels.
type domainEngine interface {
	counter
	// countCrossed counts k molecules boundary hop i, out of a voxel of
	// this domain, moved in an exchange (Options.Firings).
	countCrossed(i int32, k int64)
	// freeze records the rates of the other domains' instances that
	// change this domain's counts, each from rate; foreigners lists them.
	freeze(rate func(int32) float64)
	foreigners() []int32
	// firingRate is the rate (1/ms) at which instance i of a voxel of
	// this domain fires now (a boundary hop's as this domain's engine
	// sees its source count): what other domains take as its rate.
	firingRate(i int32) float64
	// advanceWithin advances to tEnd, leaps ending at or before horizon;
	// barrier does what the engine does at an output time or stimulus
	// edge, after the last exchange before it.
	advanceWithin(ctx context.Context, tEnd, horizon float64) error
	barrier()
	// crossing draws how many molecules of x index xi a boundary hop
	// out of xi's voxel, of this domain, moves when each crosses with
	// probability q.
	crossing(xi int32, q float64, rng *Stream) int64
	// exchanged updates what depends on x index xi of this domain after
	// the exchange brought in and took out molecules of it (x changed
	// already); setAll recomputes the propensities of instances is of
	// this domain; flush then redraws the clocks of the voxels touched,
	// at the time setNow gave.
	exchanged(xi int32, in, out int64)
	setAll(is []int32)
	flush()
	setNow(t float64)
	setRate(k int, rate float64)
	stats() Stats
	// setWindowSet fixes the instances the window bound reads;
	// windowRates sets out[c], for c in [from, to), to the rate of
	// firing of the c-th of them as the bound counts it (0 for the
	// channels of an active subsystem); expected is the count of x index
	// xi as the engine's channels see it.
	setWindowSet(js []int32)
	windowRates(from, to int, out []float64)
	expected(xi int32) float64
	// release returns the memory of the engine's lazy tables.
	release()
	// counts is the engine's counters (engine.counts).
	counts() Stats
}

// domains runs one engine per domain between boundary exchanges. A
// window is two phases over the domains, each ended by a barrier: (1)
// every domain freezes the other domains' rates it reads, runs its engine
// to the window's end and draws the crossings out of its voxels of the
// boundary pairs; (2) every domain applies the crossings into and out
// of its voxels and publishes the rates of its hops into other domains.
// A phase touches only the domain's own counts and its own sides of the
// pairs (each side with its own random stream), so the domains of a
// phase run in any order, on any number of workers, with the same result.
type domains struct {
	n      *net
	x      []int64
	plan   *domainPlan
	eng    []domainEngine
	rngA   []Stream // per boundary pair: the draws of its a side
	rngB   []Stream // and of its b side
	ab, ba []int64  // molecules crossing a→b and b→a in each pair this window
	// sideA[k], sideB[k]: the pairs whose a (b) voxel is in domain k
	sideA, sideB [][]int32
	// bx[k]: domain k's x indices at boundary pairs; the changers of
	// bx[k][b] are bInst[k][bStart[k][b]:bStart[k][b+1]], changing it by
	// bDelta; bound[k] is the longest window domain k allows
	bx, bStart, bInst, bDelta [][]int32
	bRate                     [][]float64 // per bx: its pairs' largest r_ab + r_ba (1/ms)
	bound                     []float64
	// the distinct changers, in order of first use, form domain k's
	// window set (setWindowSet): bRef[k][c] is entry c's place in it,
	// bNeed[k][b] how many of it bx[k][0…b] read, bA[k] their rates
	bRef, bNeed [][]int32
	bA          [][]float64
	// per boundary pair its r_ab + r_ba as sumOf[i] in sums (1/ms), and
	// relaxed[s] = relax(sums[s], Δ) for the window being run
	sumOf         []int32
	sums, relaxed []float64
	// readA[readAtA[i]:readAtA[i+1]]: the instances of pair i's a side
	// (its a voxel's domain) that read the counts the pair changes, as
	// the pair's record lists them; readB for its b side
	readAtA, readAtB []int32
	readA, readB     []int32
	pub              []float64 // per instance: a boundary hop's rate, published by its source's domain
	pubBy            [][]int32 // per domain: the instances it publishes
	rate             func(int32) float64
	workers          int
	eps              float64
	t0, t            float64 // start, and the time reached (ms)
	errs             []error

	// the window being run (set in the serial part of a barrier)
	ctx        context.Context
	tEnd, next float64
	win        int64 // windows run
	final      bool  // the window ends at tEnd
	stop       bool
	err        error
	// phase numbers the phases run (set in the serial part of a
	// barrier); claim[k] is the last phase whose worker took domain k
	phase uint64
	claim []atomic.Uint64
	// load[k]: domain k's recent wall time per window (ns, a moving
	// average); cut[w]: the first domain of worker w's own run, cut so
	// that the runs' loads are about equal (cut[workers] = domains)
	load []float64
	cut  []int
	bar  barrier

	// wall time (ns) of each domain's phases: ph1, ph2 in the window
	// being run (each written by the worker running the domain, read in
	// the serial part of the barrier), busy in all; crit sums each
	// window's busiest domain per phase (what a core per domain would
	// take, synchronisation not counted)
	ph1, ph2, busy []int64
	crit           int64
}

// newDomains builds the engine of every domain with build, from the
// voxels the domain owns.
func newDomains(n *net, x []int64, seed uint64, sys *model.System, plan *domainPlan, workers int, build func(own []bool) domainEngine) *domains {
	// no more workers than domains, nor than cores: the barrier's waiters
	// spin, which starves a worker waiting for a core (8 workers on 2
	// cores: twice the wall time of 2)
	workers = min(workers, plan.count, runtime.GOMAXPROCS(0))
	d := &domains{n: n, x: x, plan: plan, t0: sys.StartMs, t: sys.StartMs, eps: sys.Tolerance, workers: max(1, workers)}
	for k := 0; k < plan.count; k++ {
		own := make([]bool, n.nv)
		for v := range own {
			own[v] = plan.of[v] == int32(k)
		}
		d.eng = append(d.eng, build(own))
	}
	np := len(plan.pairs)
	d.rngA, d.rngB = make([]Stream, np), make([]Stream, np)
	for i := range np {
		d.rngA[i].Seed(seed, uint64(n.nv+2*i))
		d.rngB[i].Seed(seed, uint64(n.nv+2*i+1))
	}
	d.ab, d.ba = make([]int64, np), make([]int64, np)
	d.errs = make([]error, plan.count)
	d.claim = make([]atomic.Uint64, plan.count)
	d.load = make([]float64, plan.count)
	d.cut = make([]int, d.workers+1)
	for w := range d.cut {
		d.cut[w] = w * plan.count / d.workers
	}
	d.ph1, d.ph2, d.busy = make([]int64, plan.count), make([]int64, plan.count), make([]int64, plan.count)
	d.sideA, d.sideB = make([][]int32, plan.count), make([][]int32, plan.count)
	for i, p := range plan.pairs {
		ka, kb := plan.of[n.vox[p.ab]], plan.of[n.vox[p.ba]]
		d.sideA[ka] = append(d.sideA[ka], int32(i))
		d.sideB[kb] = append(d.sideB[kb], int32(i))
	}
	d.bx, d.bStart = make([][]int32, plan.count), make([][]int32, plan.count)
	d.bInst, d.bDelta = make([][]int32, plan.count), make([][]int32, plan.count)
	d.bound = make([]float64, plan.count)
	isB := map[int32]bool{}
	rate := map[int32]float64{} // per boundary x index: its pairs' largest r_ab + r_ba
	for _, p := range plan.pairs {
		for _, xi := range [2]int32{p.xa, p.xb} {
			rate[xi] = math.Max(rate[xi], n.c[p.ab]+n.c[p.ba])
			if !isB[xi] {
				isB[xi] = true
				k := plan.of[xi/int32(n.ns)]
				d.bx[k] = append(d.bx[k], xi)
			}
		}
	}
	changers := map[int32][][2]int32{}
	for i := int32(0); i < int32(len(n.kind)); i++ {
		for c := n.chgStart[i]; c < n.chgStart[i+1]; c++ {
			if xi := n.chgIdx[c]; isB[xi] {
				changers[xi] = append(changers[xi], [2]int32{i, n.chgDelta[c]})
			}
		}
	}
	d.bRate = make([][]float64, plan.count)
	for k, xs := range d.bx {
		// fastest first: windowBound stops where ε/r exceeds the bound
		slices.SortFunc(xs, func(a, b int32) int {
			if c := cmp.Compare(rate[b], rate[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for _, xi := range xs {
			d.bRate[k] = append(d.bRate[k], rate[xi])
			d.bStart[k] = append(d.bStart[k], int32(len(d.bInst[k])))
			for _, c := range changers[xi] {
				d.bInst[k] = append(d.bInst[k], c[0])
				d.bDelta[k] = append(d.bDelta[k], c[1])
			}
		}
		d.bStart[k] = append(d.bStart[k], int32(len(d.bInst[k])))
	}
	d.bRef, d.bNeed, d.bA = make([][]int32, plan.count), make([][]int32, plan.count), make([][]float64, plan.count)
	for k := range d.bx {
		var set []int32
		at := map[int32]int32{}
		for b := range d.bx[k] {
			for c := d.bStart[k][b]; c < d.bStart[k][b+1]; c++ {
				j := d.bInst[k][c]
				r, ok := at[j]
				if !ok {
					r = int32(len(set))
					at[j] = r
					set = append(set, j)
				}
				d.bRef[k] = append(d.bRef[k], r)
			}
			d.bNeed[k] = append(d.bNeed[k], int32(len(set)))
		}
		d.eng[k].setWindowSet(set)
		d.bA[k] = make([]float64, len(set))
	}
	d.sumOf = make([]int32, np)
	sumAt := map[float64]int32{}
	for i, p := range plan.pairs {
		d.sumOf[i] = intern(sumAt, &d.sums, n.c[p.ab]+n.c[p.ba])
	}
	d.relaxed = make([]float64, len(d.sums))
	// (each side's engine excludes the other side's instances: reading
	// their records at every exchange only to skip them cost as much as
	// the rest of the exchange)
	d.readAtA, d.readAtB = make([]int32, 1, np+1), make([]int32, 1, np+1)
	var chg, dep []int32
	for _, p := range plan.pairs {
		chg, dep = n.decode(n.evStart[p.ab], n.vox[p.ab], n.target(p.ab), chg, dep)
		ka, kb := plan.of[n.vox[p.ab]], plan.of[n.vox[p.ba]]
		for _, j := range dep {
			switch plan.of[n.vox[j]] {
			case ka:
				d.readA = append(d.readA, j)
			case kb:
				d.readB = append(d.readB, j)
			}
		}
		d.readAtA = append(d.readAtA, int32(len(d.readA)))
		d.readAtB = append(d.readAtB, int32(len(d.readB)))
	}
	d.pub = make([]float64, len(n.kind))
	d.pubBy = make([][]int32, plan.count)
	seen := make([]bool, len(n.kind))
	for _, e := range d.eng {
		for _, j := range e.foreigners() {
			if !seen[j] {
				seen[j] = true
				k := plan.of[n.vox[j]]
				d.pubBy[k] = append(d.pubBy[k], j)
			}
		}
	}
	for k := range d.pubBy {
		slices.Sort(d.pubBy[k])
		d.publish(k)
	}
	for k := range d.eng {
		d.windowBound(k)
	}
	d.rate = func(j int32) float64 { return d.pub[j] }
	return d
}

// release returns the memory of the domains' engines' lazy tables; the
// engines must not be used after.
func (d *domains) release() {
	for _, e := range d.eng {
		e.release()
	}
}

// publish records the rates of domain k's hops into other domains.
func (d *domains) publish(k int) {
	e := d.eng[k]
	for _, j := range d.pubBy[k] {
		d.pub[j] = e.firingRate(j)
	}
}

// stats sums the domains' counts; subsystems of the same reaction or
// species in several domains are one group.
func (d *domains) stats() Stats {
	st := d.counts()
	group := map[string]int{}
	for _, e := range d.eng {
		s := e.stats()
		st.Absorbed += s.Absorbed
		for _, ss := range s.Subsystems {
			g, ok := group[ss.Name]
			if !ok {
				group[ss.Name] = len(st.Subsystems)
				st.Subsystems = append(st.Subsystems, ss)
				continue
			}
			to := &st.Subsystems[g]
			to.Instances += ss.Instances
			to.Activations += ss.Activations
			to.VoxelTimeMs += ss.VoxelTimeMs
			to.Absorbed += ss.Absorbed
		}
	}
	st.WindowMs = d.plan.window
	if d.win > 0 {
		st.WindowMs = (d.t - d.t0) / float64(d.win)
	}
	st.DomainBusySeconds = make([]float64, len(d.busy))
	for k, ns := range d.busy {
		st.DomainBusySeconds[k] = float64(ns) / 1e9
	}
	st.CriticalSeconds = float64(d.crit) / 1e9
	return st
}

func (d *domains) firingCounts() []*firingCount {
	var cs []*firingCount
	for _, e := range d.eng {
		cs = append(cs, e.firingCounts()...)
	}
	return cs
}

// counts sums the domains' counters.
func (d *domains) counts() Stats {
	st := Stats{Domains: d.plan.count, Windows: d.win}
	for _, e := range d.eng {
		c := e.counts()
		st.ExactEvents += c.ExactEvents
		st.Leaps += c.Leaps
		st.LeapFirings += c.LeapFirings
	}
	return st
}

func (d *domains) setRate(k int, rate float64) {
	for _, e := range d.eng {
		e.setRate(k, rate)
	}
	for k := range d.pubBy {
		d.publish(k)
	}
	for k := range d.eng {
		d.windowBound(k)
	}
}

// windowBound sets bound[k], the longest window domain k allows: the
// counts at its boundary pairs must not change, by the channels that
// change them (the pairs' hops included, the other domains' at the rates
// they last published), by more than max(ε of the count, one molecule)
// in mean or in standard deviation (the adaptive method's bound for a
// leap's external drift). The boundary exchange then treats a window's
// crossings as a leap of the boundary hop pairs within that method's
// accuracy. A pair whose molecules cross with probability at most ε in
// the window needs no such bound (the plan's criterion), so the counts
// are taken fastest pair first, until ε/r reaches the bound.
func (d *domains) windowBound(k int) {
	e := d.eng[k]
	w := math.Inf(1)
	rates, ref := d.bA[k], d.bRef[k]
	read := 0 // rates[:read] are this window's
	for b, xi := range d.bx[k] {
		if d.eps/d.bRate[k][b] >= w {
			break
		}
		if need := int(d.bNeed[k][b]); need > read {
			e.windowRates(read, need, rates)
			read = need
		}
		mu, v := 0.0, 0.0
		for c := d.bStart[k][b]; c < d.bStart[k][b+1]; c++ {
			a := rates[ref[c]]
			dl := float64(d.bDelta[k][c])
			mu += a * dl
			v += a * dl * dl
		}
		g := math.Max(d.eps*e.expected(xi), 1)
		if mu != 0 {
			w = math.Min(w, g/math.Abs(mu))
		}
		if v > 0 {
			w = math.Min(w, g*g/v)
		}
	}
	d.bound[k] = w
}

// advance runs windows until tEnd on the workers (the calling goroutine
// is one of them).
func (d *domains) advance(ctx context.Context, tEnd float64) error {
	if !(d.t < tEnd) {
		return nil
	}
	d.ctx, d.tEnd, d.stop, d.err = ctx, tEnd, false, nil
	d.bar.n = int32(d.workers)
	d.startWindow()
	var wg sync.WaitGroup
	for w := 1; w < d.workers; w++ {
		wg.Go(func() { d.work(w) })
	}
	d.work(0)
	wg.Wait()
	return d.err
}

// startWindow sets up the next window (serial): as long as every domain
// allows (windowBound), and never shorter than the plan's window, in which
// a molecule crosses a boundary with probability at most ε.
func (d *domains) startWindow() {
	w := math.Min(maxWindow, d.tEnd-d.t)
	for _, b := range d.bound {
		w = math.Min(w, b)
	}
	d.next = math.Min(d.t+math.Max(w, d.plan.window), d.tEnd)
	d.final = d.next == d.tEnd
	for s, r := range d.sums {
		d.relaxed[s] = relax(r, d.next-d.t)
	}
	d.win++
	d.phase++
}

// endWindow closes a window (serial): the time moves on, and the run
// stops at tEnd or on an error.
func (d *domains) endWindow() {
	var m1, m2 int64
	for k := range d.busy {
		m1, m2 = max(m1, d.ph1[k]), max(m2, d.ph2[k])
		t := d.ph1[k] + d.ph2[k]
		d.busy[k] += t
		d.load[k] += (float64(t) - d.load[k]) / loadWindows
		d.ph1[k], d.ph2[k] = 0, 0
	}
	d.crit += m1 + m2
	d.balance()
	d.t = d.next
	for k, err := range d.errs {
		if err != nil && d.err == nil {
			d.err = err
		}
		d.errs[k] = nil
	}
	if d.err != nil || d.final {
		d.stop = true
		return
	}
	d.startWindow()
}

// work is worker w: it runs the domains of each phase until none is
// left, its own first (see take).
func (d *domains) work(w int) {
	for {
		d.take(w, d.runDomain)
		d.bar.wait(func() { d.phase++ })
		d.take(w, d.applyDomain)
		d.bar.wait(d.endWindow)
		if d.stop {
			return
		}
	}
}

// take runs do on every domain of the phase that worker w claims: first
// its own, a fixed run of the domains in order, then, from the end of each
// other worker's run, those not yet claimed. A domain thus stays with one
// worker (and its data in that core's cache) from phase to phase and
// window to window unless its worker falls behind; balance moves the
// runs' ends as the domains' loads change. (Taking the next domain from
// one shared counter, a domain changed worker at random from phase to
// phase: the 12 µm dendrite's first 100 ms took 13.1-21.2 s on two
// workers, efficiency 0.65-0.92 against one worker run just before,
// where it takes 10.7-16.2 s now, 0.85-1.13; four alternated rounds.)
func (d *domains) take(w int, do func(int)) {
	p := d.phase
	lo, hi := d.home(w)
	for k := lo; k < hi; k++ {
		if d.claim[k].CompareAndSwap(p-1, p) {
			do(k)
		}
	}
	for o := 1; o < d.workers; o++ {
		lo, hi := d.home((w + o) % d.workers)
		for k := hi - 1; k >= lo; k-- {
			if d.claim[k].CompareAndSwap(p-1, p) {
				do(k)
			}
		}
	}
}

// home is worker w's own run of domains, [lo, hi).
func (d *domains) home(w int) (lo, hi int) { return d.cut[w], d.cut[w+1] }

// loadWindows is the number of windows over which a domain's load is
// averaged.
const loadWindows = 8

// balance cuts the domains into the workers' runs (serial): worker w's
// run ends where the loads summed from the first domain come nearest w+1
// shares of their total.
func (d *domains) balance() {
	total := 0.0
	for _, l := range d.load {
		total += l
	}
	if !(total > 0) {
		return
	}
	k, sum := 0, 0.0
	for w := 1; w < d.workers; w++ {
		target := total * float64(w) / float64(d.workers)
		for k < len(d.load) && sum+d.load[k]/2 < target {
			sum += d.load[k]
			k++
		}
		d.cut[w] = k
	}
}

// runDomain is phase 1 for domain k.
func (d *domains) runDomain(k int) {
	start := time.Now()
	defer func() { d.ph1[k] = int64(time.Since(start)) }()
	e := d.eng[k]
	e.freeze(d.rate)
	if err := e.advanceWithin(d.ctx, d.next, d.tEnd); err != nil {
		d.errs[k] = err
		return
	}
	n := d.n
	for _, i := range d.sideA[k] {
		p := d.plan.pairs[i]
		d.ab[i] = e.crossing(p.xa, math.Min(1, n.c[p.ab]*d.relaxed[d.sumOf[i]]), &d.rngA[i])
		e.countCrossed(p.ab, d.ab[i])
	}
	for _, i := range d.sideB[k] {
		p := d.plan.pairs[i]
		d.ba[i] = e.crossing(p.xb, math.Min(1, n.c[p.ba]*d.relaxed[d.sumOf[i]]), &d.rngB[i])
		e.countCrossed(p.ba, d.ba[i])
	}
}

// applyDomain is phase 2 for domain k: for each boundary pair, Bin(X_a,
// r_ab·m) − Bin(X_b, r_ba·m) molecules go from a to b, m = (1 −
// e^{−(r_ab+r_ba)·Δ})/(r_ab+r_ba), both drawn from the counts at the
// window's end before any is applied.
func (d *domains) applyDomain(k int) {
	start := time.Now()
	defer func() { d.ph2[k] = int64(time.Since(start)) }()
	e := d.eng[k]
	e.setNow(d.next)
	side := func(xi int32, in, out int64, readers []int32) {
		if in == 0 && out == 0 {
			return
		}
		d.x[xi] += in - out
		e.exchanged(xi, in, out)
		if in != out {
			e.setAll(readers)
		}
	}
	for _, i := range d.sideA[k] {
		side(d.plan.pairs[i].xa, d.ba[i], d.ab[i], d.readA[d.readAtA[i]:d.readAtA[i+1]])
	}
	for _, i := range d.sideB[k] {
		side(d.plan.pairs[i].xb, d.ab[i], d.ba[i], d.readB[d.readAtB[i]:d.readAtB[i+1]])
	}
	e.flush()
	if d.final {
		e.barrier()
	}
	d.publish(k)
	d.windowBound(k)
}

// barrier is a reusable barrier for a fixed number of goroutines: the
// last to arrive runs serial, then releases the others. Waiters spin
// briefly (windows last microseconds), then sleep. A spinning waiter
// yields its core to other goroutines every few polls (runtime.Gosched):
// the run's other goroutines (the output writer, the garbage collector's
// workers) can then run there, presumably instead of preempting the
// workers still busy (the measurements below, not a trace, show it).
// With a tight spin, two workers on the calcium chemistry's 216-voxel
// dendrite, whose burst domain does most of the work, took 26.84, 25.84
// and 19.21 s against 18.26, 15.56 and 15.35 s yielding (one worker
// 23.1-23.6 s); on the spine chemistry's 12 µm dendrite, every spine,
// first 100 ms, 15.34, 14.87, 17.28 against 12.79, 13.19, 15.77 s
// (alternated; benchmarks/scaling's model files, --seed 5).
type barrier struct {
	n        int32
	count    atomic.Int32
	gen      atomic.Uint32
	sleepers atomic.Int32
	mu       sync.Mutex
	cond     *sync.Cond
}

func (b *barrier) wait(serial func()) {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		serial()
		b.gen.Add(1)
		if b.sleepers.Load() > 0 {
			b.mu.Lock()
			b.cond.Broadcast()
			b.mu.Unlock()
		}
		return
	}
	for spin := 0; spin < spinWait; spin++ {
		if b.gen.Load() != g {
			return
		}
		if spin%yieldEvery == yieldEvery-1 {
			runtime.Gosched()
		}
	}
	b.mu.Lock()
	if b.cond == nil {
		b.cond = sync.NewCond(&b.mu)
	}
	b.sleepers.Add(1)
	for b.gen.Load() == g {
		b.cond.Wait()
	}
	b.sleepers.Add(-1)
	b.mu.Unlock()
}

// spinWait is how many times a waiter polls the barrier before it
// sleeps: about 0.1 ms of polls, 1.3-2.2 ms with the yields.
const spinWait = 200000

// yieldEvery is how many polls a spinning waiter makes between yields.
const yieldEvery = 16
