package gillespie

import (
	"context"
	"math"
	"sync"

	"github.com/spinerd/spinerd/model"
)

// fixed is fixed-step tau-leaping (NeuroRD's GRID_STEPPED_STOCHASTIC with
// correct propensities). Each step of length dt (shorter at barriers) runs,
// voxel by voxel, three phases from the state at the start of the phase:
//
//  1. injections: Poisson(λ·dt) molecules per target (evenly timed
//     injections: λ·dt rounded stochastically);
//  2. diffusion: of N molecules of a species, Bin(N, 1 − e^{−R·dt}) leave
//     (R the sum of the hop rates out of the voxel) and are split over the
//     neighbours in proportion to the hop rates;
//  3. reactions: each channel, in table order, fires Bin(n, min(1, a·dt/n))
//     times (n the firings its reactants allow, a its propensity at the
//     start of the phase), capped by what earlier channels left.
//
// Every voxel draws from its own stream and the phases only read what the
// previous phase wrote, so blocks of voxels run in parallel goroutines
// without changing the result.
type fixed struct {
	n     *net
	x     []int64
	dt    float64
	t     float64
	rng   []Stream
	evenK []bool    // per instance: injection with distribution EXACT
	out   []int64   // molecules leaving through each hop instance this step
	in    [][]int32 // hop instances into each voxel
	hops  [][]hopGroup
	work  int
	st    Stats
	wg    sync.WaitGroup
	avail []int64       // per worker scratch: running counts of a voxel
	fired []int64       // per worker: firings this step
	fc    []firingCount // per worker: Options.Firings
}

// hopGroup is the hops of one species out of one voxel.
type hopGroup struct {
	x    int32   // x index of the species in the voxel
	inst []int32 // hop instances
	rate float64 // total hop rate per molecule (1/ms)
}

func newFixed(n *net, x []int64, seed uint64, t0, dt float64, workers int) *fixed {
	f := &fixed{n: n, x: x, dt: dt, t: t0, work: workers}
	if f.work < 1 || n.nv == 1 {
		f.work = 1
	}
	if f.work > n.nv {
		f.work = n.nv
	}
	f.rng = make([]Stream, n.nv)
	for v := range f.rng {
		f.rng[v].Seed(seed, uint64(v))
	}
	f.evenK = make([]bool, len(n.kind))
	for k, st := range n.sys.Stimuli {
		if st.Distribution == model.DistExact {
			for _, i := range n.inj[n.injStart[k]:n.injStart[k+1]] {
				f.evenK[i] = true
			}
		}
	}
	f.out = make([]int64, len(n.kind))
	f.in = make([][]int32, n.nv)
	f.hops = make([][]hopGroup, n.nv)
	for v := 0; v < n.nv; v++ {
		group := map[int32]int{}
		for i := n.vStart[v]; i < n.vStart[v+1]; i++ {
			if n.kind[i] != kindHop {
				continue
			}
			xi := n.rIdx[n.rStart[i]]
			g, ok := group[xi]
			if !ok {
				g = len(f.hops[v])
				group[xi] = g
				f.hops[v] = append(f.hops[v], hopGroup{x: xi})
			}
			f.hops[v][g].inst = append(f.hops[v][g].inst, i)
			f.hops[v][g].rate += n.c[i]
			to := n.chgIdx[n.chgStart[i]+1] / int32(n.ns)
			f.in[to] = append(f.in[to], i)
		}
	}
	f.avail = make([]int64, f.work*n.ns)
	f.fired = make([]int64, f.work)
	f.fc = make([]firingCount, f.work)
	return f
}

func (f *fixed) firingCounts() []*firingCount {
	cs := make([]*firingCount, len(f.fc))
	for w := range f.fc {
		cs[w] = &f.fc[w]
	}
	return cs
}

func (f *fixed) stats() Stats {
	st := f.st
	for _, k := range f.fired {
		st.LeapFirings += k
	}
	return st
}

func (f *fixed) counts() Stats { return f.stats() }

func (f *fixed) setRate(k int, rate float64) {
	n := f.n
	for j := n.injStart[k]; j < n.injStart[k+1]; j++ {
		n.c[n.inj[j]] = rate * n.share[j]
	}
}

func (f *fixed) advance(ctx context.Context, tEnd float64) error {
	for f.t < tEnd {
		dt := f.dt
		if f.t+dt > tEnd-1e-12*math.Max(1, math.Abs(tEnd)) {
			dt = tEnd - f.t
		}
		f.phase(func(v, w int) { f.inject(v, w, dt) })
		f.phase(func(v, w int) { f.diffuseOut(v, w, dt) })
		f.phase(func(v, w int) { f.diffuseIn(v) })
		f.phase(func(v, w int) { f.react(v, w, dt) })
		f.t += dt
		if f.t > tEnd {
			f.t = tEnd
		}
		f.st.Steps++
		if f.st.Steps&0x3ff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	f.t = tEnd
	return nil
}

// phase runs fn for every voxel, in parallel blocks when there are workers.
func (f *fixed) phase(fn func(v, worker int)) {
	nv := f.n.nv
	if f.work == 1 {
		for v := 0; v < nv; v++ {
			fn(v, 0)
		}
		return
	}
	f.wg.Add(f.work)
	for w := 0; w < f.work; w++ {
		lo, hi := w*nv/f.work, (w+1)*nv/f.work
		go func(w, lo, hi int) {
			for v := lo; v < hi; v++ {
				fn(v, w)
			}
			f.wg.Done()
		}(w, lo, hi)
	}
	f.wg.Wait()
}

func (f *fixed) inject(v, w int, dt float64) {
	n := f.n
	rng := &f.rng[v]
	for i := n.vStart[v]; i < n.vStart[v+1]; i++ {
		if n.kind[i] != kindInject || !(n.c[i] > 0) {
			continue
		}
		mean := n.c[i] * dt
		var k int64
		if f.evenK[i] {
			k = int64(mean)
			if rng.Float64() < mean-float64(k) {
				k++
			}
		} else {
			k = rng.Poisson(mean)
		}
		n.fire(i, k, f.x)
		f.fired[w] += k
		f.fc[w].many(i, k)
	}
}

func (f *fixed) diffuseOut(v, w int, dt float64) {
	rng := &f.rng[v]
	for _, g := range f.hops[v] {
		left := f.x[g.x]
		if left > 0 {
			left = rng.Binomial(left, -math.Expm1(-g.rate*dt))
		}
		rest := g.rate
		for k, i := range g.inst {
			var m int64
			switch {
			case left == 0:
			case k == len(g.inst)-1:
				m = left
			default:
				m = rng.Binomial(left, f.n.c[i]/rest)
			}
			f.out[i] = m
			f.fc[w].many(i, m)
			left -= m
			rest -= f.n.c[i]
		}
	}
}

func (f *fixed) diffuseIn(v int) {
	n := f.n
	for _, g := range f.hops[v] {
		for _, i := range g.inst {
			f.x[g.x] -= f.out[i]
		}
	}
	for _, i := range f.in[v] {
		f.x[n.chgIdx[n.chgStart[i]+1]] += f.out[i]
	}
}

func (f *fixed) react(v, w int, dt float64) {
	n := f.n
	ns := n.ns
	rng := &f.rng[v]
	base := v * ns
	avail := f.avail[w*ns : (w+1)*ns]
	copy(avail, f.x[base:base+ns])
	for i := n.vStart[v]; i < n.vStart[v+1]; i++ {
		if n.kind[i] != kindReaction {
			continue
		}
		a := n.prop(i, f.x) // propensity at the start of the phase
		if !(a > 0) {
			continue
		}
		// firings the reactants allow, from what is still available
		nmax := int64(math.MaxInt64)
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			if n.rN[k] > 0 {
				nmax = min(nmax, avail[int(n.rIdx[k])-base]/int64(n.rN[k]))
			}
		}
		var k int64
		if nmax == math.MaxInt64 {
			k = rng.Poisson(a * dt)
		} else {
			// the binomial's n comes from the phase's start state
			n0 := int64(math.MaxInt64)
			for kk := n.rStart[i]; kk < n.rStart[i+1]; kk++ {
				if n.rN[kk] > 0 {
					n0 = min(n0, f.x[n.rIdx[kk]]/int64(n.rN[kk]))
				}
			}
			k = rng.Binomial(n0, math.Min(1, a*dt/float64(n0)))
			k = min(k, nmax)
		}
		if k == 0 {
			continue
		}
		for c := n.chgStart[i]; c < n.chgStart[i+1]; c++ {
			avail[int(n.chgIdx[c])-base] += k * int64(n.chgDelta[c])
		}
		f.fired[w] += k
		f.fc[w].many(i, k)
	}
	copy(f.x[base:base+ns], avail)
}
