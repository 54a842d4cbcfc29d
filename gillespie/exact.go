package gillespie

import (
	"context"
	"fmt"
	"math"

	"github.com/spinerd/spinerd/internal/lazytable"
	"github.com/spinerd/spinerd/model"
)

// exact is the exact stochastic simulation algorithm in the form of the
// next-subvolume method (Elf & Ehrenberg, Syst. Biol. 1:230, 2004): each
// voxel has one clock, the time of its next event, drawn from the voxel's
// total propensity; a min-heap of clocks picks the voxel, and within the
// voxel the channel is found by a linear search over channels kept in
// order of recent activity (the sorting direct method of McCollum et al.,
// Comput. Biol. Chem. 30:39, 2006: a fired channel moves one place
// forward, so frequent channels are found after a few comparisons). After
// an event only the dependent channels are recomputed and only the clocks
// of the voxels whose total changed are redrawn (exponential waits are
// memoryless, so redrawing is exact). Each voxel draws from its own random
// stream, so a trajectory depends only on the seed.
//
// Engines built on exact (adaptive embeds it; domains runs one adaptive
// per domain) drive it through this contract, and nothing else:
//
//   - e.x is the state; only n.fire through applyK changes it, so that the
//     dependent propensities, voxel totals and clocks follow.
//   - excl marks an instance that the event loop must not fire (a timer,
//     a leaping unit, an instance of another domain). An engine that sets
//     it takes the instance's propensity out of its voxel's total
//     (av[v] −= aOf(h); putA(h, 0)) and reschedules the voxel; clearing it, the
//     engine puts prop(i) back in the same way. applyK skips excluded
//     dependents, resum gives them 0.
//   - applyK(i, k) fires instance i k times (k < 0: the reverse of a
//     pair) with all dependent updates; it may be called for an excluded
//     instance (a leap).
//   - oclk holds the clocks that are not voxels: slots
//     0..len(timerInst)−1 are the timers of evenly timed injections, the
//     extraSlots reserved by newExact follow (the adaptive engine's units,
//     from its uSlot0). next() returns the earliest voxel or other clock;
//     an engine that owns other slots handles them itself and lets
//     arrival handle the timers.
//   - e.t is the current time: the owner sets it to a clock's time before
//     acting on that clock, and to the barrier when advance returns.
//   - resum(v) recomputes voxel v's total exactly (after a change that did
//     not go through applyK, e.g. a boundary exchange); schedule(v)
//     redraws its clock from e.t.
type exact struct {
	fc firingCount // Options.Firings
	// voxels whose total changed without their clock being redrawn
	// (markDirty), for flush
	dirty  []bool
	dirtyV []int32
	n      *net
	x      []int64
	h      []inst // per instance: formula, propensity, state
	// per instance: the stoichiometries and powers of shape 4, and the
	// timer index of an evenly timed injection (−1: none)
	gen   []genShape
	timer []int32
	av    []float64 // total propensity of each voxel
	// ord lists the instances of each voxel (vStart ranges) in search
	// order; aOrd holds their propensities in that order (aOrd[h.pos] is
	// instance h's, set by putA, read by aOf: the only copy), so that the
	// search reads them in sequence and not each from its instance's
	// record.
	ord  []int32
	aOrd []float64
	vclk *clockTree // voxel clocks
	// oclk holds the other clocks: timers of evenly timed injections
	// (slots 0..len(timerInst)−1), then the adaptive engine's units.
	oclk *clockHeap
	rng  []Stream
	// Injections with distribution EXACT arrive evenly in active time:
	// each has a timer and a credit, the fraction of a molecule still to
	// accumulate before its next arrival.
	timerInst []int32
	credit    []float64
	rate      []float64 // current rate of each timer's instance (per ms)
	since     []int32   // events in each voxel since its total was summed
	t         float64
	st        Stats
	// maxRate is the largest voxel total (per ms) whose waiting times
	// double precision resolves up to the run's end; stalled is the first
	// voxel found above it (−1: none), which stops the run with an error.
	maxRate float64
	stalled int32
	chgBuf  []int32 // scratch for a firing's changes (applyK, multiscale.fire)
	// In a domain (own not nil) the tables indexed by instance or count
	// are lazy tables (package lazytable) whose entries are written only
	// for near, the domain's voxels and their neighbours (ascending): no
	// other entry is ever read. free returns their memory (release).
	near  []int32
	nearV []bool // per voxel: in near (nil: every voxel)
	free  []func()
	// view gives the propensity of an instance of shape shapeView (the
	// multiscale engine's readers of species in partial equilibrium).
	view func(i int32) float64
}

// shapeView marks an instance whose propensity the engine's view gives.
const shapeView = 5

// inst is the hot record of one instance.
// It holds what the event loop reads for every dependent and for the
// instance that fires (32 bytes, TestInstSize, so that a record never
// spans two cache lines; an event that read these fields from separate
// per-instance slices missed the cache once per slice on a large mesh).
// The current propensity is only in aOrd, which the dependent's update
// writes anyway; what only the firing instance reads is elsewhere (a
// hop's target in net.hopTo (net.target), the adaptive engine's unit in
// adaptive.unitOf), and the rarely read fields in exact.gen and
// exact.timer.
type inst struct {
	c float64 // propensity constant (its current propensity is aOrd[pos])
	// r0, r1: reactant x indices (shapes 1, 2 and 4); shapeView: r0 is
	// the multiscale engine's reader view (multiscale.rv)
	r0, r1 int32
	vox    int32
	ev     int32 // start of its changes and dependents in net.ev (record)
	pos    int32 // its place in the search order (exact.ord, exact.aOrd)
	// shape 0: c; 1: c·X; 2: c·X·Y; 4: up to two reactants with any n and
	// power (exact.gen); 3: more reactants (net.prop)
	shape uint8
	// excl: not simulated event by event (timers; leaping instances)
	excl bool
	kind uint8 // net.kind
}

// genShape is the cold part of an instance of shape 4.
type genShape struct {
	n0, n1 int32 // the reactants' stoichiometries
	p0, p1 int32 // their powers (p1 = 0 for one reactant)
}

// newExact builds the engine; extraSlots reserves clocks after the timers
// for the adaptive engine's leaping units. With own not nil the engine
// simulates only the instances local to the voxels own marks (a domain);
// the others stay excluded, and near (n.near(own)) lists the voxels whose
// entries it writes.
func newExact(n *net, x []int64, seed uint64, t0 float64, extraSlots int, own []bool, near []int32) *exact {
	e := &exact{n: n, x: x, t: t0, stalled: -1,
		maxRate: model.MaxRatePerMs(math.Max(math.Abs(n.sys.EndMs), math.Abs(n.sys.StartMs)))}
	ni := len(n.kind)
	e.dirty = make([]bool, n.nv)
	e.near = near
	if e.near != nil {
		e.nearV = make([]bool, n.nv)
		for _, v := range e.near {
			e.nearV[v] = true
		}
	}
	e.h = instTable[inst](e, ni)
	e.ord = instTable[int32](e, ni)
	// The changes' scratch is written at every event: big enough not to
	// grow, and in its own cache lines (256 bytes), apart from the other
	// domains' engines that run on other cores (small slices of two
	// engines would share a line).
	e.chgBuf = make([]int32, 0, 64)
	e.aOrd = instTable[float64](e, ni)
	e.gen = instTable[genShape](e, ni)
	e.timer = instTable[int32](e, ni)
	for i := range n.instances(e.near) {
		e.ord[i] = int32(i)
		e.timer[i] = -1
		h := inst{c: n.c[i], vox: n.vox[i], ev: n.evStart[i], pos: int32(i), kind: n.kind[i], shape: 3}
		lo, hi := n.rStart[i], n.rStart[i+1]
		simple := true
		for k := lo; k < hi; k++ {
			simple = simple && n.rN[k] == 1 && n.rP[k] == 1
		}
		switch {
		case hi == lo:
			h.shape = 0
		case hi-lo == 1 && simple:
			h.shape, h.r0 = 1, n.rIdx[lo]
		case hi-lo == 2 && simple && n.rIdx[lo] != n.rIdx[lo+1]:
			h.shape, h.r0, h.r1 = 2, n.rIdx[lo], n.rIdx[lo+1]
		case hi-lo == 1:
			h.shape, h.r0, h.r1 = 4, n.rIdx[lo], n.rIdx[lo]
			e.gen[i] = genShape{n0: n.rN[lo], p0: n.rP[lo]}
		case hi-lo == 2 && n.rIdx[lo] != n.rIdx[lo+1]:
			h.shape, h.r0, h.r1 = 4, n.rIdx[lo], n.rIdx[lo+1]
			e.gen[i] = genShape{n0: n.rN[lo], p0: n.rP[lo], n1: n.rN[lo+1], p1: n.rP[lo+1]}
		}
		h.excl = !n.local(int32(i), own)
		e.h[i] = h
	}
	for k, st := range n.sys.Stimuli {
		if st.Distribution != model.DistExact {
			continue
		}
		for _, i := range n.inj[n.injStart[k]:n.injStart[k+1]] {
			if !n.local(i, own) {
				continue
			}
			e.h[i].excl = true
			e.timer[i] = int32(len(e.timerInst))
			e.timerInst = append(e.timerInst, i)
			e.credit = append(e.credit, 1)
			e.rate = append(e.rate, 0)
		}
	}
	e.av = make([]float64, n.nv)
	e.vclk = newClockTree(n.nv)
	e.oclk = newClockHeap(len(e.timerInst) + extraSlots)
	e.rng = make([]Stream, n.nv)
	e.since = make([]int32, n.nv)
	for v := range e.rng {
		e.rng[v].Seed(seed, uint64(v))
	}
	for v := range n.voxels(e.near) {
		e.resum(int(v))
		e.schedule(int(v))
	}
	return e
}

// instTable makes a table of n entries (indexed by instance, reactant
// entry or count) for engine e: a lazy table in a domain, whose memory
// e.release returns, else a slice of the heap.
func instTable[T any](e *exact, n int) []T {
	if e.near == nil {
		return make([]T, n)
	}
	t, free := lazytable.Make[T](n)
	e.free = append(e.free, free)
	return t
}

// release returns the memory of the engine's lazy tables; the engine
// must not be used after.
func (e *exact) release() {
	for _, f := range e.free {
		f()
	}
	e.free = nil
}

// record resolves instance i's shared record for a firing: its changes
// (net.decodeChanges, in scratch that the next call overwrites), its
// dependents as stored (net.depCodes) and the voxel bases that resolve
// them (depIndex(c, iv, iw)), and its voxel v.
func (e *exact) record(i int32) (chg, deps []int32, v, iv, iw int32) {
	h := &e.h[i]
	v, w := h.vox, e.far(i, h)
	e.chgBuf = e.n.decodeChanges(h.ev, v, w, e.chgBuf)
	return e.chgBuf, e.n.depCodes(h.ev), v, e.n.vStart[v], e.n.vStart[w]
}

// changes returns instance i's changes per firing (net.decodeChanges),
// appended to buf[:0].
func (e *exact) changes(i int32, buf []int32) []int32 {
	h := &e.h[i]
	return e.n.decodeChanges(h.ev, h.vox, e.far(i, h), buf)
}

// far is the second voxel instance i's record refers to: a hop's target;
// a reaction's record refers to its own voxel only.
func (e *exact) far(i int32, h *inst) int32 {
	if h.kind == kindHop {
		return e.n.target(i)
	}
	return h.vox
}

// prop returns the propensity of instance i now.
func (e *exact) prop(i int32) float64 {
	h := &e.h[i]
	switch h.shape {
	case 0:
		return h.c
	case 1:
		return h.c * float64(e.x[h.r0])
	case 2:
		return h.c * float64(e.x[h.r0]) * float64(e.x[h.r1])
	case 4:
		return e.general(i, h)
	case shapeView:
		return e.view(i)
	}
	return e.n.prop(i, e.x)
}

// general evaluates a propensity of shape 4.
func (e *exact) general(i int32, h *inst) float64 {
	g := &e.gen[i]
	x0, x1 := e.x[h.r0], e.x[h.r1]
	if x0 < int64(g.n0) || x1 < int64(g.n1) {
		return 0
	}
	return h.c * falling(x0, g.p0) * falling(x1, g.p1)
}

// setConst changes the propensity constant of instance i.
func (e *exact) setConst(i int32, c float64) {
	e.n.c[i] = c
	e.h[i].c = c
}

// setNow sets the current time (the domain engine, after an exchange).
func (e *exact) setNow(t float64) { e.t = t }

// setAll recomputes the propensities of instances is after counts they
// read changed without a firing (a boundary exchange); flush then redraws
// the clocks of their voxels.
func (e *exact) setAll(is []int32) {
	for _, i := range is {
		e.setA(i)
	}
}

// putA sets the propensity of instance h (aOrd[h.pos]).
func (e *exact) putA(h *inst, a float64) {
	e.aOrd[h.pos] = a
}

// aOf returns the current propensity of instance h (0 when excluded).
func (e *exact) aOf(h *inst) float64 { return e.aOrd[h.pos] }

// setA sets the propensity of instance i (unless excluded from the
// event-by-event set) to its current value and marks its voxel dirty.
func (e *exact) setA(i int32) {
	h := &e.h[i]
	if h.excl {
		return
	}
	a := e.prop(i)
	e.av[h.vox] += a - e.aOf(h)
	e.putA(h, a)
	e.markDirty(h.vox)
}

// markDirty records that voxel v's total changed; flush redraws its clock.
func (e *exact) markDirty(v int32) {
	if !e.dirty[v] {
		e.dirty[v] = true
		e.dirtyV = append(e.dirtyV, v)
	}
}

// flush redraws the clocks of the dirty voxels.
func (e *exact) flush() {
	for _, v := range e.dirtyV {
		e.dirty[v] = false
		if e.av[v] < 0 {
			e.resum(int(v))
		}
		e.schedule(int(v))
	}
	e.dirtyV = e.dirtyV[:0]
}

// resum recomputes the propensities and the total of voxel v exactly.
func (e *exact) resum(v int) {
	sum := 0.0
	for i := e.n.vStart[v]; i < e.n.vStart[v+1]; i++ {
		a := 0.0
		if !e.h[i].excl {
			a = e.prop(i)
		}
		e.putA(&e.h[i], a)
		sum += a
	}
	e.av[v] = sum
	e.since[v] = 0
}

func (e *exact) schedule(v int) {
	t := math.Inf(1)
	if a := e.av[v]; a > 0 {
		t = e.t + e.rng[v].Exp()/a
		if a > e.maxRate && e.stalled < 0 {
			e.stalled = int32(v)
		}
	}
	e.vclk.set(int32(v), t)
}

// stallError describes the voxel whose event rate double precision cannot
// resolve: its total and the channel that carries most of it.
func (e *exact) stallError() error {
	v := int(e.stalled)
	best, bi := 0.0, int32(-1)
	for i := e.n.vStart[v]; i < e.n.vStart[v+1]; i++ {
		if a := e.aOf(&e.h[i]); a > best {
			best, bi = a, i
		}
	}
	return &RateError{TimeMs: e.t, Voxel: v, RatePerMs: e.av[v], MaxRatePerMs: e.maxRate, Channel: e.n.describe(bi)}
}

// RateError reports that the events of a voxel came faster than double
// precision can time them up to the run's end (model.MaxRatePerMs): the
// model's rate constants or amounts are too large for its run time.
type RateError struct {
	TimeMs       float64
	Voxel        int
	RatePerMs    float64
	MaxRatePerMs float64
	// Channel describes the fastest channel (e.g. a reaction's id).
	Channel string
}

func (r *RateError) Error() string {
	return fmt.Sprintf("at %.6g ms the events of voxel %d came at %.3g per ms (mostly %s), faster than double precision can time them up to the end of the run (≤ %.3g per ms): the rate constants or amounts are too large for this run time", r.TimeMs, r.Voxel, r.RatePerMs, r.Channel, r.MaxRatePerMs)
}

func (e *exact) stats() Stats { return e.st }

func (e *exact) firingCounts() []*firingCount { return []*firingCount{&e.fc} }

func (e *exact) countCrossed(i int32, k int64) { e.fc.cross(i, k) }

// counts is stats' counters: st holds nothing else (the adaptive and
// multiscale engines count in it too; multiscale's stats adds its
// subsystems to a copy).
func (e *exact) counts() Stats { return e.st }

// next returns the earliest clock: a voxel (other = false) or an other
// slot (other = true), and its time.
func (e *exact) next() (slot int32, other bool, t float64) {
	v := e.vclk.top()
	tv := e.vclk.t[v]
	if len(e.oclk.t) > 0 {
		o := e.oclk.top()
		if to := e.oclk.t[o]; to < tv {
			return o, true, to
		}
	}
	return v, false, tv
}

func (e *exact) advance(ctx context.Context, tEnd float64) error {
	for {
		s, other, ts := e.next()
		if ts > tEnd {
			e.t = tEnd
			return nil
		}
		e.t = ts
		if other {
			e.arrival(int(s))
		} else {
			e.event(int(s))
		}
		if e.stalled >= 0 {
			return e.stallError()
		}
		e.st.ExactEvents++
		if e.st.ExactEvents&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
}

// pick returns the instance of voxel v that fires, or −1 if rounding made
// the search run out.
func (e *exact) pick(v int) int32 {
	lo, hi := e.n.vStart[v], e.n.vStart[v+1]
	u := e.rng[v].Float64() * e.av[v]
	a := e.aOrd[lo:hi]
	for p := range a {
		u -= a[p]
		if u < 0 {
			q := lo + int32(p)
			j := e.ord[q]
			if p > 0 { // move one place forward
				k := e.ord[q-1]
				e.ord[q-1], e.ord[q] = j, k
				a[p-1], a[p] = a[p], a[p-1]
				e.h[j].pos, e.h[k].pos = q-1, q
			}
			return j
		}
	}
	return -1
}

func (e *exact) event(v int) int32 {
	if e.since[v]++; e.since[v] > 4096 {
		e.resum(v)
	}
	i := e.pick(v)
	if i < 0 {
		e.resum(v)
		if i = e.pick(v); i < 0 {
			e.schedule(v)
			return -1
		}
	}
	e.apply(i)
	e.fc.one(i)
	return i
}

// apply fires instance i once and updates what depends on it.
func (e *exact) apply(i int32) { e.applyK(i, 1) }

// applyK fires instance i k times (k may be negative: the reverse
// direction of a pair) and updates the propensities and clocks of what
// depends on it.
func (e *exact) applyK(i int32, k int64) {
	n := e.n
	chg, deps, v, iv, iw := e.record(i)
	applyChanges(chg, k, e.x)
	other := int32(-1)
	delta := 0.0 // change of voxel v's total, written once
	for _, c := range deps {
		d := depIndex(c, iv, iw)
		h := &e.h[d]
		if h.excl {
			continue
		}
		var nw float64
		switch h.shape {
		case 0:
			nw = h.c
		case 1:
			nw = h.c * float64(e.x[h.r0])
		case 2:
			nw = h.c * float64(e.x[h.r0]) * float64(e.x[h.r1])
		case 4:
			nw = e.general(d, h)
		case shapeView:
			nw = e.view(d)
		default:
			nw = n.prop(d, e.x)
		}
		if h.vox == v {
			delta += nw - e.aOf(h)
		} else {
			e.av[h.vox] += nw - e.aOf(h)
			other = h.vox
		}
		e.putA(h, nw)
	}
	e.av[v] += delta
	if e.av[v] < 0 {
		e.resum(int(v))
	}
	e.schedule(int(v))
	if other >= 0 {
		// A hop changes at most one other voxel.
		if e.av[other] < 0 {
			e.resum(int(other))
		}
		e.schedule(int(other))
	}
}

// arrival delivers one molecule of an evenly timed injection.
func (e *exact) arrival(k int) {
	i := e.timerInst[k]
	e.credit[k] = 1
	e.oclk.set(int32(k), e.t+1/e.rate[k])
	e.apply(i)
	e.fc.one(i)
}

func (e *exact) setRate(k int, rate float64) {
	n := e.n
	for j := n.injStart[k]; j < n.injStart[k+1]; j++ {
		i := n.inj[j]
		if e.nearV != nil && !e.nearV[n.vox[i]] {
			continue // a domain's engine keeps no state of it
		}
		r := rate * n.share[j]
		e.setConst(i, r)
		h := &e.h[i]
		if t := e.timer[i]; t >= 0 {
			e.setTimer(int(t), r)
			continue
		}
		if h.excl {
			continue // leaping (it picks up its new rate when reconsidered) or in another domain
		}
		v := int(h.vox)
		e.av[v] += r - e.aOf(h)
		e.putA(h, r)
		if e.av[v] < 0 {
			e.resum(v)
		}
		e.schedule(v)
	}
}

// setTimer changes an evenly timed injection's rate, keeping the credit
// already accumulated.
func (e *exact) setTimer(k int, r float64) {
	slot := int32(k)
	if old := e.rate[k]; old > 0 && !math.IsInf(e.oclk.t[slot], 1) {
		e.credit[k] = (e.oclk.t[slot] - e.t) * old
	}
	e.rate[k] = r
	t := math.Inf(1)
	if r > 0 {
		t = e.t + e.credit[k]/r
	}
	e.oclk.set(slot, t)
}
