package gillespie

import (
	"context"
	"math"
	"slices"

	"github.com/spinerd/spinerd/internal/lazytable"
)

// Unit kinds of the adaptive engine.
const (
	unitPair   = iota // reversible reaction in a voxel, or a hop pair a↔b
	unitSingle        // irreversible reaction
	unitInject        // Poisson injection into one voxel
)

// adaptive is asynchronous adaptive tau-leaping: the exact engine for
// channels whose next events are worth simulating one at a time, and
// leaps, each with its own length, for "units" that fire often. See the
// package documentation for the algorithm and its accuracy bounds.
type adaptive struct {
	*exact
	eps  float64 // accuracy ε
	jump float64 // a leap must carry at least this many expected firings

	// units: instances uA[u] and uB[u] (−1 for single units); an
	// instance's unit is unitOf[i] (−1: none; a lazy table, written for
	// the near voxels' instances)
	uA, uB  []int32
	unitOf  []int32
	uKind   []uint8
	uSlot0  int32 // clock slot of unit 0
	leaping []bool
	uh      []unitHot
	aLeap   []float64 // propensity of each leaping instance at its leap's start

	// ext lists, per unit, the reactant x indices of its instances and,
	// for each, the instances that change that count and by how much:
	// extIdx[extStart[u]:extStart[u+1]] are the x indices, and
	// chInst/chNu[chLo[k]:chHi[k]] the changers of extIdx[k], the unit's
	// own among them (its bounds skip them). One list per x index, which
	// every unit reading it shares: a list per unit and x index, without
	// the unit's own, held 64 kB per voxel of the spine model's dendrite
	// (55 MB of an 864-voxel mesh's 240).
	extStart   []int32
	extIdx     []int32
	chLo, chHi []int32
	chInst     []int32
	chPair     []int32 // the changer's reverse partner when it also changes the count, else −1
	chNu       []float64
	// nu[k]: |net change| of the species of reactant slot k per firing
	nu []float64
	// readStart/readIdx/readMin, per unit: the x indices the unit changes
	// that channels outside the unit read, with the smallest count each
	// must keep for a leap (NeuroRD's dependent limit: 1/ε molecules per
	// molecule a reader consumes, times the unit's change per firing).
	readStart []int32
	readIdx   []int32
	readMin   []float64
	readNu    []float64 // |change| of the x index per firing

	tEnd float64 // current barrier: advance stops there
	// horizon: leaps end at or before it. It is the barrier, except in a
	// domain, whose window ends are no barrier for a leap: the boundary
	// exchange there is a changer its bounds already count (the other
	// domains' hops, frozen), so a leap runs to the next output time or
	// stimulus edge (advanceWithin). (Cut at every window of ~1 µs, leaps
	// rarely carried enough firings and a domain fell back to single
	// events: 5.5 times as many on the 864-voxel dendrite.)
	horizon float64

	// In a domain (package doc; domains.go), the changers of this domain's
	// counts include hops from voxels of other domains, whose counts other
	// goroutines change during a window. Their rates are read from
	// frozen, refreshed between windows (freeze), never from the live
	// counts: frozenSlot[i] is instance i's slot (−1: not foreign).
	frozenSlot []int32
	foreign    []int32
	frozen     []float64
	wset       []windowEntry // what the window bound reads (setWindowSet)
}

// unitHot is what an event of a unit's channel reads of the unit (one
// record, so that an event misses the cache once for it, not once per
// field): the adaptive engine's back-off of leap checks and, for the
// multiscale engine, of partial-equilibrium checks, and the unit's
// subsystem links.
type unitHot struct {
	skip      uint16 // exact firings to skip before the next leap check
	backoff   uint8
	peBackoff uint8
	peSkip    uint16 // multiscale: firings to skip before the next try of partial equilibrium
	// multiscale: active subsystems whose species the unit reads or
	// changes; the unit's pair subsystem (−1: none); the species of a hop
	// pair (−1: not a hop pair)
	block int32
	sub   int32
	hop   int32
}

// newAdaptive builds the engine for all voxels, or (own not nil) for the
// voxels of one domain.
func newAdaptive(n *net, x []int64, seed uint64, t0, eps, minJump float64, own []bool) *adaptive {
	d := &adaptive{eps: eps, jump: math.Max(2*minJump, 2)}
	// Units.
	ni := len(n.kind)
	near := n.near(own)
	unitOf, freeUnits := lazytable.Make[int32](ni)
	for i := range n.instances(near) {
		unitOf[i] = -1
	}
	timed := make([]bool, ni)
	for k, st := range n.sys.Stimuli {
		if st.Distribution != 0 { // evenly timed injections stay exact
			for _, i := range n.inj[n.injStart[k]:n.injStart[k+1]] {
				timed[i] = true
			}
		}
	}
	for i := range n.instances(near) {
		if unitOf[i] >= 0 || timed[i] || !n.local(i, own) {
			continue
		}
		u := int32(len(d.uA))
		unitOf[i] = u
		d.uA = append(d.uA, i)
		p := n.partner[i]
		switch {
		case n.kind[i] == kindInject:
			d.uB = append(d.uB, -1)
			d.uKind = append(d.uKind, unitInject)
		case p >= 0:
			unitOf[p] = u
			d.uB = append(d.uB, p)
			d.uKind = append(d.uKind, unitPair)
		default:
			d.uB = append(d.uB, -1)
			d.uKind = append(d.uKind, unitSingle)
		}
	}
	nu := len(d.uA)
	d.exact = newExact(n, x, seed, t0, nu, own, near)
	d.uSlot0 = int32(len(d.timerInst))
	d.unitOf = unitOf
	d.free = append(d.free, freeUnits)
	d.leaping = make([]bool, nu)
	d.uh = make([]unitHot, nu)
	for u := range d.uh {
		d.uh[u].sub, d.uh[u].hop = -1, -1
	}
	d.aLeap = instTable[float64](d.exact, ni)
	// Changers of every x index, then the per-unit lists.
	// (lists of this engine's counts only, indexed by lx: a domain's
	// lists for the whole mesh were 72 bytes a count each)
	ns := int32(n.ns)
	rank := make([]int32, n.nv) // a voxel's place among this engine's, −1 if not one
	nOwn := int32(0)
	for v := range rank {
		rank[v] = -1
		if own == nil || own[v] {
			rank[v] = nOwn
			nOwn++
		}
	}
	lx := func(xi int32) int32 { return rank[xi/ns]*ns + xi%ns }
	changers := make([][]int32, nOwn*ns)
	changeBy := make([][]float64, nOwn*ns)
	for i := range n.instances(near) {
		for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
			xi := n.chgIdx[k]
			if !n.owns(own, xi) {
				continue // a unit reads only its own voxels' counts
			}
			changers[lx(xi)] = append(changers[lx(xi)], int32(i))
			changeBy[lx(xi)] = append(changeBy[lx(xi)], math.Abs(float64(n.chgDelta[k])))
		}
	}
	// the range of each count's list in chInst, made when a unit first
	// reads the count
	listLo, listHi := make([]int32, nOwn*ns), make([]int32, nOwn*ns)
	for l := range listLo {
		listLo[l] = -1
	}
	for u := range d.uA {
		d.extStart = append(d.extStart, int32(len(d.extIdx)))
		A, B := d.uA[u], d.uB[u]
		for _, i := range [2]int32{A, B} {
			if i < 0 {
				continue
			}
			for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
				xi := n.rIdx[k]
				d.extIdx = append(d.extIdx, xi)
				lo, hi := int32(0), int32(0)
				if n.owns(own, xi) {
					l := lx(xi)
					if listLo[l] < 0 {
						listLo[l] = int32(len(d.chInst))
						ch, by := changers[l], changeBy[l]
						for c, j := range ch {
							// A reversible pair is one entry, at its first
							// instance: its two directions' rates add.
							p := n.partner[j]
							if p >= 0 && p < j && slices.Contains(ch, p) {
								continue
							}
							if p >= 0 && !slices.Contains(ch, p) {
								p = -1
							}
							d.chInst = append(d.chInst, j)
							d.chPair = append(d.chPair, p)
							d.chNu = append(d.chNu, by[c])
						}
						listHi[l] = int32(len(d.chInst))
					}
					lo, hi = listLo[l], listHi[l]
				}
				d.chLo = append(d.chLo, lo)
				d.chHi = append(d.chHi, hi)
			}
		}
	}
	d.extStart = append(d.extStart, int32(len(d.extIdx)))
	if own != nil {
		d.frozenSlot = instTable[int32](d.exact, ni)
		for i := range n.instances(near) {
			d.frozenSlot[i] = -1
		}
		mark := func(j int32) {
			if j >= 0 && !n.local(j, own) && d.frozenSlot[j] < 0 {
				d.frozenSlot[j] = int32(len(d.foreign))
				d.foreign = append(d.foreign, j)
			}
		}
		for c := range d.chInst {
			mark(d.chInst[c])
			mark(d.chPair[c])
		}
		// and every other instance of another domain that changes a
		// count here (the multiscale method's drift sums read them all)
		for i := range n.instances(near) {
			for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
				if own[n.chgIdx[k]/int32(n.ns)] {
					mark(i)
					break
				}
			}
		}
		d.frozen = make([]float64, len(d.foreign))
		d.freeze(d.prop)
	}
	d.nu = instTable[float64](d.exact, len(n.rIdx))
	for i := range n.instances(near) {
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			for c := n.chgStart[i]; c < n.chgStart[i+1]; c++ {
				if n.chgIdx[c] == n.rIdx[k] {
					d.nu[k] = math.Abs(float64(n.chgDelta[c]))
				}
			}
		}
	}
	// Readers of each x index, then the per-unit dependent limits.
	readers := make([][]int32, nOwn*ns)
	for i := range n.instances(near) {
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			if !n.owns(own, n.rIdx[k]) {
				continue // a unit changes only its own voxels' counts
			}
			readers[lx(n.rIdx[k])] = append(readers[lx(n.rIdx[k])], int32(i))
		}
	}
	for u := range d.uA {
		d.readStart = append(d.readStart, int32(len(d.readIdx)))
		A, B := d.uA[u], d.uB[u]
		for c := n.chgStart[A]; c < n.chgStart[A+1]; c++ {
			xi := n.chgIdx[c]
			maxN := int32(0)
			if !n.owns(own, xi) {
				continue // (a unit changes only its own voxels' counts)
			}
			for _, j := range readers[lx(xi)] {
				if j == A || j == B {
					continue
				}
				for k := n.rStart[j]; k < n.rStart[j+1]; k++ {
					if n.rIdx[k] == xi && n.rN[k] > maxN {
						maxN = n.rN[k]
					}
				}
			}
			if maxN > 0 {
				d.readIdx = append(d.readIdx, xi)
				d.readMin = append(d.readMin, math.Abs(float64(n.chgDelta[c]))*float64(maxN)/eps)
				d.readNu = append(d.readNu, math.Abs(float64(n.chgDelta[c])))
			}
		}
	}
	d.readStart = append(d.readStart, int32(len(d.readIdx)))
	return d
}

func (d *adaptive) stats() Stats { return d.st }

// freeze records the rates of the foreign changers, each from rate (the
// propensity its own domain's engine gives it now); the domain engine
// calls it between windows, when no domain runs.
func (d *adaptive) freeze(rate func(int32) float64) {
	for k, j := range d.foreign {
		d.frozen[k] = rate(j)
	}
}

// windowEntry is an instance the domains' window bound reads, with what
// its rate needs that never changes: its frozen slot (another domain's
// instance: −1 if not) and, for this domain's, its unit's pair subsystem
// (the multiscale method's, fixed when the engine is built) and a hop's
// two x indices (−1 if none). (Looked up per instance in every window, as
// they were, most of the bound's time went to missing the cache on them:
// with this set, read once per distinct instance, the bound's share of the
// 12 µm dendrite's first 100 ms on one worker fell from 6.4 % to 3.5 % of
// the perf samples; the subsystem, read through the unit, was a quarter
// of the bound's samples in 36 domains of the 24 µm dendrite.)
type windowEntry struct{ j, slot, sub, from, to int32 }

// setWindowSet prepares the instances windowRates reads, in that order.
func (d *adaptive) setWindowSet(js []int32) {
	n := d.n
	d.wset = make([]windowEntry, len(js))
	for c, j := range js {
		w := windowEntry{j: j, slot: -1, sub: -1, from: -1, to: -1}
		if u := d.unitOf[j]; u >= 0 {
			w.sub = d.uh[u].sub
		}
		if d.frozenSlot != nil {
			w.slot = d.frozenSlot[j]
		}
		if n.kind[j] == kindHop {
			w.from, w.to = n.chgIdx[n.chgStart[j]], n.chgIdx[n.chgStart[j]+1]
		}
		d.wset[c] = w
	}
}

// windowRates sets out[c], for the instances c in [from, to) of the
// window set, to each one's rate (another domain's as frozen).
func (d *adaptive) windowRates(from, to int, out []float64) {
	for c := from; c < to; c++ {
		w := &d.wset[c]
		if w.slot >= 0 {
			out[c] = d.frozen[w.slot]
			continue
		}
		out[c] = d.localRate(w.j)
	}
}

// expected is the count of x index xi as the window bound reads it.
func (d *adaptive) expected(xi int32) float64 { return float64(d.x[xi]) }

// firingRate is instance i's propensity now.
func (d *adaptive) firingRate(i int32) float64 { return d.prop(i) }

// barrier is what the engine does at an output time or stimulus edge
// after the domain engine's last exchange (the adaptive engine: nothing).
func (d *adaptive) barrier() {}

// foreigners lists the other domains' instances freeze reads.
func (d *adaptive) foreigners() []int32 { return d.foreign }

// crossing draws how many molecules of x index xi a hop out of its voxel
// (of this engine) moves when each of them crosses with probability q.
func (d *adaptive) crossing(xi int32, q float64, rng *Stream) int64 {
	return rng.Binomial(d.x[xi], q)
}

// exchanged updates what depends on x index xi after the boundary
// exchange changed it (the adaptive engine: nothing beyond resum).
func (d *adaptive) exchanged(int32, int64, int64) {}

// foreignRate is instance j's rate frozen at the window's start when it
// belongs to another domain (ok false otherwise).
func (d *adaptive) foreignRate(j int32) (a float64, ok bool) {
	if d.frozenSlot != nil {
		if k := d.frozenSlot[j]; k >= 0 {
			return d.frozen[k], true
		}
	}
	return 0, false
}

// rate is the current propensity of instance j (for a leaping one, what
// it would be now; for another domain's, its rate at the window's start).
func (d *adaptive) rate(j int32) float64 {
	if a, ok := d.foreignRate(j); ok {
		return a
	}
	return d.localRate(j)
}

// localRate is rate for an instance of this engine's own voxels.
func (d *adaptive) localRate(j int32) float64 {
	h := &d.h[j]
	if !h.excl || d.timer[j] >= 0 {
		if h.excl {
			return h.c
		}
		return d.aOf(h)
	}
	return d.prop(j)
}

func (d *adaptive) advance(ctx context.Context, tEnd float64) error {
	return d.advanceWithin(ctx, tEnd, tEnd)
}

// advanceWithin advances to tEnd with leaps ending at or before horizon
// (≥ tEnd; leaps past tEnd end in a later call).
func (d *adaptive) advanceWithin(ctx context.Context, tEnd, horizon float64) error {
	d.tEnd, d.horizon = tEnd, horizon
	for {
		s, other, ts := d.next()
		if ts > tEnd || (ts == tEnd && other && s >= d.uSlot0) {
			// Leaps that end at the barrier are reconsidered after it.
			d.t = tEnd
			return nil
		}
		d.t = ts
		switch {
		case !other:
			d.exactEvent(int(s))
		case s < d.uSlot0:
			d.arrival(int(s))
			d.st.ExactEvents++
		default:
			d.leapEnd(s - d.uSlot0)
		}
		if d.stalled >= 0 {
			return d.stallError()
		}
		if (d.st.ExactEvents+d.st.Leaps)&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
}

func (d *adaptive) exactEvent(v int) {
	i := d.event(v)
	if i < 0 {
		return
	}
	d.st.ExactEvents++
	u := d.unitOf[i]
	if u < 0 {
		return
	}
	if d.uh[u].skip > 0 {
		d.uh[u].skip--
		return
	}
	if d.tryLeap(u) {
		d.uh[u].backoff = 0
		return
	}
	if d.uh[u].backoff < 6 {
		d.uh[u].backoff++
	}
	d.uh[u].skip = 1<<d.uh[u].backoff - 1
}

// leapEnd reconsiders a unit whose leap is over: leap again or go back to
// single events.
func (d *adaptive) leapEnd(u int32) {
	d.leaping[u] = false
	if d.tryLeap(u) {
		return
	}
	d.oclk.set(d.uSlot0+u, math.Inf(1))
	for _, i := range [2]int32{d.uA[u], d.uB[u]} {
		if i < 0 {
			continue
		}
		h := &d.h[i]
		h.excl = false
		a := d.prop(i)
		d.av[h.vox] += a - d.aOf(h)
		d.putA(h, a)
		d.schedule(int(h.vox))
	}
	d.uh[u].skip, d.uh[u].backoff = 0, 0
}

// limiting returns the number of firings the reactants of instance i
// allow (math.MaxInt64 for none) and the reactant slot that limits them.
func (d *adaptive) limiting(i int32) (int64, int32) {
	n := d.n
	best, slot := int64(math.MaxInt64), int32(-1)
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		if n.rN[k] <= 0 {
			continue
		}
		c := d.x[n.rIdx[k]] / int64(n.rN[k])
		if c < best {
			best, slot = c, k
		}
	}
	return best, slot
}

// tryLeap decides whether unit u leaps now; if so it samples and applies
// the leap and schedules its end.
func (d *adaptive) tryLeap(u int32) bool {
	n := d.n
	A, B := d.uA[u], d.uB[u]
	tmax := d.horizon - d.t
	if !(tmax > 0) {
		return false
	}
	af := d.prop(A)
	ar := 0.0
	if B >= 0 {
		ar = d.prop(B)
	}
	sum := af + ar
	if sum*tmax < d.jump {
		return false
	}
	// A pair's per-molecule rates and allowed firings (both directions).
	var rf, rr float64
	var nf, nr int64
	if d.uKind[u] == unitPair {
		rf, nf = d.perMolecule(A, af)
		rr, nr = d.perMolecule(B, ar)
	}
	tau, ok := d.tauBound(u, af, ar, rf+rr, tmax)
	if !ok || sum*tau < d.jump {
		return false
	}
	rng := &d.rng[n.vox[A]]
	var k, fired int64
	switch d.uKind[u] {
	case unitInject:
		k = rng.Poisson(af * tau)
		fired = k
		d.fc.many(A, k)
	case unitSingle:
		// The propensity at the expected midpoint of the leap removes the
		// first-order bias of a leap from a falling (or rising) propensity.
		am, _ := d.shifted(A, A, 0.5*af*tau)
		nf, _ := d.limiting(A)
		if nf == math.MaxInt64 {
			k = rng.Poisson(am * tau)
		} else {
			k = rng.Binomial(nf, math.Min(1, am*tau/float64(nf)))
		}
		fired = k
		d.fc.many(A, k)
	default:
		afm, arm := af, ar
		m := relax(rf+rr, tau)
		if h := 0.5 * (af - ar) * m; math.Abs(h) >= 0.5 {
			// Rates at the expected midpoint (a shift below half a
			// molecule changes nothing that matters); for a first-order
			// exchange the per-molecule rates do not change.
			var rfm, rrm float64
			if afm, rfm = d.shifted(A, A, h); rfm >= 0 {
				rf = rfm
			}
			if arm, rrm = d.shifted(B, A, h); rrm >= 0 {
				rr = rrm
			}
			m = relax(rf+rr, tau)
		}
		f := extent(rng, nf, afm, rf, m)
		r := extent(rng, nr, arm, rr, m)
		k = f - r
		fired = f + r
		d.fc.many(A, f)
		d.fc.many(B, r)
	}
	// Take the unit out of the event-by-event set, then apply the leap.
	for _, i := range [2]int32{A, B} {
		if i < 0 {
			continue
		}
		if h := &d.h[i]; !h.excl {
			h.excl = true
			v := int(h.vox)
			d.av[v] -= d.aOf(h)
			d.putA(h, 0)
			if d.av[v] < 0 {
				d.resum(v)
			}
		}
	}
	d.aLeap[A] = af
	if B >= 0 {
		d.aLeap[B] = ar
	}
	if k != 0 {
		d.applyK(A, k)
	} else {
		d.schedule(int(n.vox[A]))
		if B >= 0 && n.vox[B] != n.vox[A] {
			d.schedule(int(n.vox[B]))
		}
	}
	d.leaping[u] = true
	d.oclk.set(d.uSlot0+u, d.t+tau)
	d.st.Leaps++
	d.st.LeapFirings += fired
	return true
}

// perMolecule returns the firing rate of direction i per firing its
// limiting reactant allows (its propensity over the firings allowed, or,
// when none is allowed now, the propensity it would have with one): the
// per-molecule rate of a first-order exchange, which does not vanish when
// the exchanging species is momentarily absent. It also returns the
// firings allowed (math.MaxInt64 for none of its reactants limiting).
func (d *adaptive) perMolecule(i int32, a float64) (float64, int64) {
	nmax, lim := d.limiting(i)
	if nmax == math.MaxInt64 {
		return 0, nmax // zero order: no per-molecule rate
	}
	if nmax > 0 {
		return a / float64(nmax), nmax
	}
	n := d.n
	r := n.c[i]
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		X := d.x[n.rIdx[k]]
		if k == lim {
			X = int64(n.rN[k])
		} else if X < int64(n.rN[k]) {
			return 0, 0
		}
		r *= falling(X, n.rP[k])
	}
	return r, 0
}

// relax returns the effective time m = (1 − e^{−λτ})/λ of a pair's leap,
// λ being the sum of the two directions' per-molecule rates: with it, each
// molecule of a first-order exchange switches sides with exactly the
// probability it has after τ, however long τ is.
func relax(lam, tau float64) float64 {
	if lam*tau < 1e-8 {
		return tau
	}
	return -math.Expm1(-lam*tau) / lam
}

// shifted returns the propensity of instance i, and its rate per firing
// its reactants allow, at the counts x + h·Δ, Δ being the change of one
// firing of instance A (counts as reals, clamped at zero). The per-firing
// rate is −1 when no firing would be allowed there.
func (d *adaptive) shifted(i, A int32, h float64) (a, perFiring float64) {
	n := d.n
	a = n.c[i]
	nmax := math.Inf(1)
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		xi := n.rIdx[k]
		X := float64(d.x[xi])
		for c := n.chgStart[A]; c < n.chgStart[A+1]; c++ {
			if n.chgIdx[c] == xi {
				X += h * float64(n.chgDelta[c])
			}
		}
		X = math.Max(X, 0)
		for j := int32(0); j < n.rP[k]; j++ {
			a *= math.Max(X-float64(j), 0)
		}
		if n.rN[k] > 0 {
			nmax = math.Min(nmax, X/float64(n.rN[k]))
		}
	}
	switch {
	case math.IsInf(nmax, 1):
		return a, 0
	case nmax >= 1:
		return a, a / nmax
	}
	return a, -1
}

// extent samples the firings of a direction that its reactants allow
// nmax times (propensity a, rate r per firing allowed) over effective
// time m.
func extent(rng *Stream, nmax int64, a, r, m float64) int64 {
	if !(a > 0) && !(r > 0) {
		return 0
	}
	if nmax == math.MaxInt64 {
		return rng.Poisson(a * m)
	}
	return rng.Binomial(nmax, math.Min(1, r*m))
}

// tauBound returns the longest leap of unit u that keeps the accuracy
// bounds of the package documentation, capped at tmax; ok is false when
// the unit must not leap at all. lam is a pair's summed per-molecule rate.
func (d *adaptive) tauBound(u int32, af, ar, lam, tmax float64) (float64, bool) {
	n := d.n
	A, B := d.uA[u], d.uB[u]
	eps := d.eps
	tau := tmax
	// 1. External drift: other channels must not change the counts this
	// unit reads by more than ε of themselves while it leaps.
	for k := d.extStart[u]; k < d.extStart[u+1]; k++ {
		ext := 0.0
		for c := d.chLo[k]; c < d.chHi[k]; c++ {
			j := d.chInst[c]
			if j == A || j == B {
				continue // the unit itself
			}
			r := d.rate(j)
			if p := d.chPair[c]; p >= 0 {
				r += d.rate(p)
			}
			ext += r * d.chNu[c]
		}
		if ext > 0 {
			if t := eps * float64(d.x[d.extIdx[k]]) / ext; t < tau {
				tau = t
			}
		}
	}
	if d.uKind[u] != unitPair {
		// 2. Dependent limit (NeuroRD's): the counts this unit changes
		// that others read must hold enough molecules for one firing to
		// change them by at most ε.
		for k := d.readStart[u]; k < d.readStart[u+1]; k++ {
			if float64(d.x[d.readIdx[k]]) < d.readMin[k] {
				return 0, false
			}
		}
	}
	switch d.uKind[u] {
	case unitInject:
		// The injected species must change by at most ε of its count.
		xi := n.chgIdx[n.chgStart[A]]
		X := float64(d.x[xi])
		if X*eps < 1 {
			return 0, false
		}
		return math.Min(tau, eps*X/af), true
	case unitSingle:
		// The reactants change by at most ε of themselves (NeuroRD's
		// self limit).
		inv := 0.0
		for k := n.rStart[A]; k < n.rStart[A+1]; k++ {
			X := float64(d.x[n.rIdx[k]])
			if X <= 0 {
				return 0, false
			}
			inv += float64(n.rP[k]) * math.Max(d.nu[k], 1) / X
		}
		if inv > 0 {
			tau = math.Min(tau, eps/(inv*af))
		}
		return tau, true
	}
	// 3. Pairs. The expected net change of every count the pair changes
	// and others read stays within max(ε of the count, one molecule): a
	// pair far from its equilibrium must not move many molecules at once.
	sum, da := af+ar, math.Abs(af-ar)
	mMax := math.Inf(1)
	if da > 0 {
		for k := d.readStart[u]; k < d.readStart[u+1]; k++ {
			allowed := math.Max(eps*float64(d.x[d.readIdx[k]]), 1)
			mMax = math.Min(mMax, allowed/(d.readNu[k]*da))
		}
	}
	// Each direction is linear in its limiting reactant; every other
	// reactant (and a limiting one of power ≥ 2) must change by at most ε
	// of its count, counting the mean and two standard deviations of the
	// net extent.
	for _, dir := range [2]struct {
		i int32
		a float64
	}{{A, af}, {B, ar}} {
		if !(dir.a > 0) {
			continue
		}
		_, lim := d.limiting(dir.i)
		for k := n.rStart[dir.i]; k < n.rStart[dir.i+1]; k++ {
			if (k == lim && n.rP[k] == 1) || d.nu[k] == 0 {
				continue
			}
			X := float64(d.x[n.rIdx[k]])
			c := eps * X / d.nu[k] // allowed |change| in firings
			var y float64          // √m with da·m + 2√(sum·m) = c
			if da > 0 {
				y = (-math.Sqrt(sum) + math.Sqrt(sum+da*c)) / da
			} else {
				y = c / (2 * math.Sqrt(sum))
			}
			mMax = math.Min(mMax, y*y)
		}
	}
	if !math.IsInf(mMax, 1) {
		if lam*mMax < 1 {
			var t float64
			if lam > 0 {
				t = -math.Log1p(-lam*mMax) / lam
			} else {
				t = mMax
			}
			tau = math.Min(tau, t)
		}
	}
	return tau, tau > 0
}
