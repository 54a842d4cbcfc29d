package gillespie

import (
	"context"
	"math"
	"sort"
	"sync"

	"github.com/spinerd/spinerd/model"
)

// Domain decomposition of the adaptive method for large meshes.
//
// A mesh with at least 2·minDomain voxels is cut into domains of about
// minDomain voxels (contiguous runs of the dendrite numbering, each spine
// with its parent voxel). Within a window of length Δ every domain runs its
// own adaptive engine on its voxels, in its own goroutine; diffusion
// between voxels of different domains is applied at the end of the window
// as an exact two-way exchange over Δ (each molecule crosses with the
// probability it has after Δ, as in a leap of a hop pair). Δ is chosen
// from the model so that a molecule crosses a domain boundary with
// probability at most ε per window: Δ = ε / max(r_ab + r_ba). The
// partition, Δ and the random streams (one per voxel, one per boundary
// pair) depend only on the model and the seed, so the result is the same
// for any number of workers. A window's end is no barrier for a leap: a
// leap's bounds count the other domains' hops into its voxels (their
// rates frozen at each window's start), so it runs to the next output
// time or stimulus edge as it would in one block. (Leaps cut at every
// window made a 864-voxel dendrite fire 5.5 times as many single events
// as in one block, and one worker ~40 % slower than one block.)
const (
	minDomain = 64     // voxels per domain
	minWindow = 1e-3   // ms: below this, boundary exchanges cost more than they save
	maxWindow = 1000.0 // ms
)

// domainPlan is a partition of the voxels and the window length.
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

// partition returns the domain plan of the adaptive method, or nil when
// the model is run as one domain.
func partition(n *net, eps float64) *domainPlan {
	sys := n.sys
	nv := n.nv
	if nv < 2*minDomain || len(sys.Hops) == 0 {
		return nil
	}
	isSpine := make([]bool, nv)
	for _, sp := range sys.Mesh.Spines {
		for k := 0; k < sp.NumVoxels; k++ {
			isSpine[sp.FirstVoxel+k] = true
		}
	}
	var dend []int
	for v := 0; v < nv; v++ {
		if !isSpine[v] {
			dend = append(dend, v)
		}
	}
	count := len(dend) / minDomain
	if count < 2 {
		return nil
	}
	p := &domainPlan{of: make([]int32, nv), count: count}
	for k, v := range dend {
		p.of[v] = int32(k * count / len(dend))
	}
	for _, sp := range sys.Mesh.Spines {
		for k := 0; k < sp.NumVoxels; k++ {
			p.of[sp.FirstVoxel+k] = p.of[sp.ParentVoxel]
		}
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
		return nil
	}
	p.window = math.Min(eps/maxRate, maxWindow)
	if p.window < minWindow {
		return nil
	}
	return p
}

// domains runs one adaptive engine per domain between boundary exchanges.
type domains struct {
	n       *net
	x       []int64
	plan    *domainPlan
	eng     []*adaptive
	rng     []Stream  // one per boundary pair
	moved   []int64   // molecules moved a→b by each pair this window
	touched [][]int32 // per domain: voxels whose counts the exchange changed
	workers int
	t       float64
	wg      sync.WaitGroup
	errs    []error
}

func newDomains(n *net, x []int64, seed uint64, sys *model.System, plan *domainPlan, workers int) *domains {
	d := &domains{n: n, x: x, plan: plan, t: sys.StartMs, workers: max(1, min(workers, plan.count))}
	for k := 0; k < plan.count; k++ {
		own := make([]bool, n.nv)
		for v := range own {
			own[v] = plan.of[v] == int32(k)
		}
		d.eng = append(d.eng, newAdaptive(n, x, seed, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own))
	}
	d.rng = make([]Stream, len(plan.pairs))
	for i := range d.rng {
		d.rng[i].Seed(seed, uint64(n.nv+i))
	}
	d.moved = make([]int64, len(plan.pairs))
	d.touched = make([][]int32, plan.count)
	d.errs = make([]error, plan.count)
	return d
}

func (d *domains) stats() Stats {
	var st Stats
	for _, e := range d.eng {
		s := e.stats()
		st.ExactEvents += s.ExactEvents
		st.Leaps += s.Leaps
		st.LeapFirings += s.LeapFirings
	}
	st.Domains, st.WindowMs = d.plan.count, d.plan.window
	return st
}

func (d *domains) setRate(k int, rate float64) {
	for _, e := range d.eng {
		e.setRate(k, rate)
	}
}

func (d *domains) advance(ctx context.Context, tEnd float64) error {
	for d.t < tEnd {
		next := math.Min(d.t+d.plan.window, tEnd)
		if err := d.runWindow(ctx, next, tEnd); err != nil {
			return err
		}
		d.exchange(next - d.t)
		d.t = next
	}
	return nil
}

// runWindow advances every domain to t (their leaps may run on to
// horizon), spread over the workers; domains touch disjoint counts, so the
// order does not matter.
func (d *domains) runWindow(ctx context.Context, t, horizon float64) error {
	for _, e := range d.eng {
		e.freeze()
	}
	if d.workers == 1 {
		for _, e := range d.eng {
			if err := e.advanceWithin(ctx, t, horizon); err != nil {
				return err
			}
		}
		return nil
	}
	next := 0
	var mu sync.Mutex
	d.wg.Add(d.workers)
	for w := 0; w < d.workers; w++ {
		go func() {
			defer d.wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= len(d.eng) {
					return
				}
				d.errs[k] = d.eng[k].advanceWithin(ctx, t, horizon)
			}
		}()
	}
	d.wg.Wait()
	for _, err := range d.errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// exchange moves molecules across domain boundaries for a window of
// length dt: for each boundary pair, Bin(X_a, r_ab·m) − Bin(X_b, r_ba·m)
// molecules go from a to b, m = (1 − e^{−(r_ab+r_ba)·dt})/(r_ab+r_ba),
// all computed from the counts at the end of the window before any is
// applied. The domains then refresh the propensities of the changed voxels.
func (d *domains) exchange(dt float64) {
	n := d.n
	for i, p := range d.plan.pairs {
		r1, r2 := n.c[p.ab], n.c[p.ba]
		m := relax(r1+r2, dt)
		d.moved[i] = d.rng[i].Binomial(d.x[p.xa], math.Min(1, r1*m)) - d.rng[i].Binomial(d.x[p.xb], math.Min(1, r2*m))
	}
	for k := range d.touched {
		d.touched[k] = d.touched[k][:0]
	}
	for i, p := range d.plan.pairs {
		if d.moved[i] == 0 {
			continue
		}
		d.x[p.xa] -= d.moved[i]
		d.x[p.xb] += d.moved[i]
		for _, v := range [2]int32{n.vox[p.ab], n.vox[p.ba]} {
			k := d.plan.of[v]
			d.touched[k] = append(d.touched[k], v)
		}
	}
	for k, vs := range d.touched {
		sort.Slice(vs, func(a, b int) bool { return vs[a] < vs[b] })
		e := d.eng[k]
		e.t = d.t + dt
		last := int32(-1)
		for _, v := range vs {
			if v != last {
				e.resum(int(v))
				e.schedule(int(v))
				last = v
			}
		}
	}
}
