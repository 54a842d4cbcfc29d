package gillespie

import (
	"encoding/binary"
	"fmt"
	"iter"
	"slices"

	"github.com/spinerd/spinerd/model"
)

// Channel kinds.
const (
	kindReaction = iota
	kindHop
	kindInject
)

// net is a System flattened for the engines: every reaction channel in
// every voxel, every diffusion hop and every (stimulus, target voxel) pair
// is one channel instance with at most two reactants. Counts live in one
// slice indexed v*ns+s ("x index").
type net struct {
	sys    *model.System
	ns, nv int

	kind []uint8
	vox  []int32   // voxel that owns the instance (hop: source voxel)
	src  []int32   // reaction channel / hop / stimulus index in the System
	c    []float64 // propensity constant (injection: current rate, 0 when off)
	// reactants of instance i: rIdx/rN/rP[rStart[i]:rStart[i+1]] hold the
	// x index, stoichiometry n and power p of each.
	rStart []int32
	rIdx   []int32
	rN     []int32
	rP     []int32
	// net changes per firing: chgIdx[chgStart[i]:chgStart[i+1]]
	chgStart []int32
	chgIdx   []int32
	chgDelta []int32
	// ev[evStart[i]:] is what a firing of instance i needs, packed so
	// that an event reads one or two cache lines of it: the number of
	// changes and of dependents, the changes as (x index, delta) pairs
	// (chgIdx and chgDelta again), then the dependents, the instances
	// whose propensity reads an x index it changes (itself included when
	// it does), ascending. Indices are relative to the instance's voxel v
	// (x index v·ns + e, instance vStart[v] + e) or, encoded as −1 − e,
	// to a hop's target voxel; voxels with the same chemistry and
	// neighbourhood share their records (the 864-voxel dendrite: 442 k
	// instances, 2146 distinct records in 190 kB, which stay in cache,
	// against 37 MB written out per instance). decode resolves a record.
	evStart []int32
	ev      []int32
	// hopTo: the target voxel of each instance that is a hop (its own
	// voxel otherwise)
	hopTo []int32
	// instances of voxel v: vStart[v]:vStart[v+1]
	vStart []int32
	// reverse partner instance (−1 if none): the opposite direction of
	// the same reaction in the same voxel, or the opposite hop.
	partner []int32
	// stimulus instances: for stimulus k, inj[injStart[k]:injStart[k+1]]
	// are its instances, share[] their fractions of the rate.
	injStart []int32
	inj      []int32
	share    []float64
}

func newNet(sys *model.System) *net {
	n := &net{sys: sys, ns: len(sys.Species), nv: sys.NumVoxels()}
	ns := n.ns
	// instance of (reaction channel c, voxel v), of hop h
	rxnInst := make([][]int32, len(sys.Channels))
	for c := range rxnInst {
		rxnInst[c] = make([]int32, n.nv)
	}
	hopInst := make([]int32, len(sys.Hops))
	hopsOf := make([][]int, n.nv)
	for h, hp := range sys.Hops {
		hopsOf[hp.From] = append(hopsOf[hp.From], h)
	}
	type injRef struct{ stim, target int }
	injOf := make([][]injRef, n.nv)
	for k, st := range sys.Stimuli {
		for ti, v := range st.Targets {
			injOf[v] = append(injOf[v], injRef{k, ti})
		}
	}
	n.injStart = make([]int32, len(sys.Stimuli)+1)
	present := possible(sys, hopsOf)
	injInst := make([][]int32, len(sys.Stimuli))
	injShare := make([][]float64, len(sys.Stimuli))
	add := func(kind uint8, v, src int, c float64) int32 {
		i := int32(len(n.kind))
		n.kind = append(n.kind, kind)
		n.vox = append(n.vox, int32(v))
		n.src = append(n.src, int32(src))
		n.c = append(n.c, c)
		n.rStart = append(n.rStart, int32(len(n.rIdx)))
		n.partner = append(n.partner, -1)
		return i
	}
	for v := 0; v < n.nv; v++ {
		n.vStart = append(n.vStart, int32(len(n.kind)))
		base := int32(v * ns)
		for ci := range sys.Channels {
			ch := &sys.Channels[ci]
			rxnInst[ci][v] = -1
			if !canFire(present, v*ns, ch) {
				continue // a reactant never has a molecule here
			}
			i := add(kindReaction, v, ci, ch.Const(v))
			rxnInst[ci][v] = i
			for _, r := range ch.Reactants {
				n.addReactant(base+int32(r.Species), int32(r.N), int32(r.Power))
			}
			n.chgStart = append(n.chgStart, int32(len(n.chgIdx)))
			for _, d := range ch.Changes {
				n.chgIdx = append(n.chgIdx, base+int32(d.Species))
				n.chgDelta = append(n.chgDelta, int32(d.Delta))
			}
		}
		for _, h := range hopsOf[v] {
			hp := &sys.Hops[h]
			hopInst[h] = -1
			if !present[v*ns+hp.Species] {
				continue
			}
			i := add(kindHop, v, h, hp.RatePerMs)
			hopInst[h] = i
			n.addReactant(base+int32(hp.Species), 1, 1)
			n.chgStart = append(n.chgStart, int32(len(n.chgIdx)))
			n.chgIdx = append(n.chgIdx, base+int32(hp.Species), int32(hp.To*ns+hp.Species))
			n.chgDelta = append(n.chgDelta, -1, 1)
		}
		for _, ref := range injOf[v] {
			st := &sys.Stimuli[ref.stim]
			i := add(kindInject, v, ref.stim, 0)
			injInst[ref.stim] = append(injInst[ref.stim], i)
			injShare[ref.stim] = append(injShare[ref.stim], st.Shares[ref.target])
			n.chgStart = append(n.chgStart, int32(len(n.chgIdx)))
			n.chgIdx = append(n.chgIdx, base+int32(st.Species))
			n.chgDelta = append(n.chgDelta, 1)
		}
	}
	n.vStart = append(n.vStart, int32(len(n.kind)))
	n.chgStart = append(n.chgStart, int32(len(n.chgIdx)))
	n.rStart = append(n.rStart, int32(len(n.rIdx)))
	for k := range sys.Stimuli {
		n.injStart[k] = int32(len(n.inj))
		n.inj = append(n.inj, injInst[k]...)
		n.share = append(n.share, injShare[k]...)
	}
	n.injStart[len(sys.Stimuli)] = int32(len(n.inj))
	for ci, ch := range sys.Channels {
		if ch.Partner >= 0 {
			for v := 0; v < n.nv; v++ {
				if i := rxnInst[ci][v]; i >= 0 {
					n.partner[i] = rxnInst[ch.Partner][v]
				}
			}
		}
	}
	for h, hp := range sys.Hops {
		if i := hopInst[h]; hp.Reverse >= 0 && i >= 0 {
			n.partner[i] = hopInst[hp.Reverse]
		}
	}
	// Dependency graph, packed with the changes.
	consumers := make([][]int32, n.nv*ns)
	for i := range n.kind {
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			consumers[n.rIdx[k]] = append(consumers[n.rIdx[k]], int32(i))
		}
	}
	seen := make([]int32, len(n.kind))
	for i := range seen {
		seen[i] = -1
	}
	n.hopTo = make([]int32, len(n.kind))
	n.evStart = make([]int32, len(n.kind))
	pool := map[string]int32{}
	var rec, dep []int32
	var key []byte
	for i := range n.kind {
		v := n.vox[i]
		w := v
		if n.kind[i] == kindHop {
			w = n.chgIdx[n.chgStart[i]+1] / int32(ns)
		}
		n.hopTo[i] = w
		// relative index of x index or instance j of voxel u (v, or
		// a hop's w: a firing changes no other voxel's counts)
		rel := func(j, u, base int32) int32 {
			if u == v {
				return j - base
			}
			return -1 - j + base
		}
		rec = append(rec[:0], n.chgStart[i+1]-n.chgStart[i], 0)
		for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
			xi := n.chgIdx[k]
			u := xi / int32(ns)
			rec = append(rec, rel(xi, u, u*int32(ns)), n.chgDelta[k])
		}
		dep = dep[:0]
		for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
			for _, j := range consumers[n.chgIdx[k]] {
				if seen[j] != int32(i) {
					seen[j] = int32(i)
					dep = append(dep, j)
				}
			}
		}
		slices.Sort(dep)
		rec[1] = int32(len(dep))
		for _, j := range dep {
			u := n.vox[j]
			rec = append(rec, rel(j, u, n.vStart[u]))
		}
		key = key[:0]
		for _, r := range rec {
			key = binary.LittleEndian.AppendUint32(key, uint32(r))
		}
		off, ok := pool[string(key)]
		if !ok {
			off = int32(len(n.ev))
			pool[string(key)] = off
			n.ev = append(n.ev, rec...)
		}
		n.evStart[i] = off
	}
	return n
}

// possible marks, per x index, whether the species can ever have a
// molecule in the voxel: it has some at the start (expected counts > 0),
// a stimulus injects it there, a reaction whose reactants can all be
// there makes it, or it diffuses in from a voxel where it can be. A
// channel with a reactant that never can be there has propensity 0
// throughout and gets no instance (a dendrite voxel has none of the
// PSD's membrane reactions): the tables hold what a voxel has, and a
// firing's dependents are only channels that can fire. The law of a run
// is unchanged (those channels were never picked, their zero propensities
// added nothing to any sum); a seed's draws change where the multiscale
// method held an empty pair of such channels in partial equilibrium (it
// drew a uniform at every sample though its law has one state).
func possible(sys *model.System, hopsOf [][]int) []bool {
	ns, nv := len(sys.Species), sys.NumVoxels()
	present := make([]bool, ns*nv)
	var queue []int
	mark := func(xi int) {
		if !present[xi] {
			present[xi] = true
			queue = append(queue, xi)
		}
	}
	// readers[s]: the channels with s as a reactant they need
	readers := make([][]int, ns)
	var unconditional []int
	for ci := range sys.Channels {
		need := false
		for _, r := range sys.Channels[ci].Reactants {
			if needed(r) {
				readers[r.Species] = append(readers[r.Species], ci)
				need = true
			}
		}
		if !need {
			unconditional = append(unconditional, ci)
		}
	}
	produce := func(v int, ch *model.Channel) {
		for _, d := range ch.Changes {
			if d.Delta > 0 {
				mark(v*ns + d.Species)
			}
		}
	}
	for i, x := range sys.Initial {
		if x > 0 {
			mark(i)
		}
	}
	for k := range sys.Stimuli {
		for _, v := range sys.Stimuli[k].Targets {
			mark(v*ns + sys.Stimuli[k].Species)
		}
	}
	for v := 0; v < nv; v++ {
		for _, ci := range unconditional {
			produce(v, &sys.Channels[ci])
		}
	}
	for len(queue) > 0 {
		xi := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		v, sp := xi/ns, xi%ns
		for _, ci := range readers[sp] {
			if ch := &sys.Channels[ci]; canFire(present, v*ns, ch) {
				produce(v, ch)
			}
		}
		for _, h := range hopsOf[v] {
			if hp := &sys.Hops[h]; hp.Species == sp {
				mark(hp.To*ns + sp)
			}
		}
	}
	return present
}

// needed reports whether a channel cannot fire without reactant r.
func needed(r model.Reactant) bool { return r.N > 0 || r.Power > 0 }

// canFire reports whether channel ch can fire in the voxel whose x
// indices start at base: every reactant it needs can be there.
func canFire(present []bool, base int, ch *model.Channel) bool {
	for _, r := range ch.Reactants {
		if needed(r) && !present[base+r.Species] {
			return false
		}
	}
	return true
}

// target returns the voxel a hop instance moves molecules to.
func (n *net) target(i int32) int32 { return n.hopTo[i] }

// near returns the voxels marked in own and those a hop joins to them,
// ascending (nil for own nil: every voxel). An engine on own's voxels
// reads the instances of these voxels only: its own, the hops into its
// voxels, and the dependents of its boundary hops.
func (n *net) near(own []bool) []int32 {
	if own == nil {
		return nil
	}
	in := slices.Clone(own)
	for _, hp := range n.sys.Hops {
		if own[hp.From] || own[hp.To] {
			in[hp.From], in[hp.To] = true, true
		}
	}
	var vs []int32
	for v, ok := range in {
		if ok {
			vs = append(vs, int32(v))
		}
	}
	return vs
}

// voxels yields voxels vs, or every voxel for vs nil.
func (n *net) voxels(vs []int32) iter.Seq[int32] {
	return func(yield func(int32) bool) {
		if vs == nil {
			for v := range int32(n.nv) {
				if !yield(v) {
					return
				}
			}
			return
		}
		for _, v := range vs {
			if !yield(v) {
				return
			}
		}
	}
}

// instances yields the instances of voxels vs (ascending voxels), or of
// every voxel for vs nil.
func (n *net) instances(vs []int32) iter.Seq[int32] {
	return func(yield func(int32) bool) {
		for v := range n.voxels(vs) {
			for i := n.vStart[v]; i < n.vStart[v+1]; i++ {
				if !yield(i) {
					return
				}
			}
		}
	}
}

// owns reports whether x index xi is a count of the voxels marked in own
// (nil: all).
func (n *net) owns(own []bool, xi int32) bool { return own == nil || own[xi/int32(n.ns)] }

// local reports whether instance i belongs to the voxels marked in own
// (nil: all): its voxel is owned and, for a hop, so is its target.
func (n *net) local(i int32, own []bool) bool {
	if own == nil {
		return true
	}
	if !own[n.vox[i]] {
		return false
	}
	return n.kind[i] != kindHop || own[n.target(i)]
}

// falling returns X(X−1)…(X−p+1) as a float.
func falling(x int64, p int32) float64 {
	switch p {
	case 0:
		return 1
	case 1:
		return float64(x)
	case 2:
		return float64(x) * float64(x-1)
	}
	f := float64(x)
	for j := int64(1); j < int64(p); j++ {
		f *= float64(x - j)
	}
	return f
}

// prop returns the propensity of instance i for counts x (1/ms).
func (n *net) prop(i int32, x []int64) float64 {
	a := n.c[i]
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		X := x[n.rIdx[k]]
		if X < int64(n.rN[k]) {
			return 0
		}
		a *= falling(X, n.rP[k])
	}
	return a
}

func (n *net) addReactant(x, stoich, power int32) {
	n.rIdx = append(n.rIdx, x)
	n.rN = append(n.rN, stoich)
	n.rP = append(n.rP, power)
}

// decode returns the changes per firing, as (x index, delta) pairs, and
// the dependents of the instance of voxel v (and, for a hop, target
// voxel w) whose record starts at ev[off], appended to chg[:0] and
// dep[:0].
func (n *net) decode(off, v, w int32, chg, dep []int32) ([]int32, []int32) {
	chg = n.decodeChanges(off, v, w, chg)
	nc, nd := n.ev[off], n.ev[off+1]
	r := n.ev[off+2 : off+2+2*nc+nd]
	iv, iw := n.vStart[v], n.vStart[w]
	dep = dep[:0]
	for _, e := range r[2*nc:] {
		dep = append(dep, depIndex(e, iv, iw))
	}
	return chg, dep
}

// depCodes returns the dependents of the record at ev[off] as they are
// stored, relative to their voxels (depIndex), for a loop over them
// without decode's list.
func (n *net) depCodes(off int32) []int32 {
	nc, nd := n.ev[off], n.ev[off+1]
	return n.ev[off+2+2*nc : off+2+2*nc+nd]
}

// depIndex is the instance a stored dependent e names: e ≥ 0 is
// instance iv+e of the firing's voxel (iv = vStart[v]), e < 0 instance
// iw−1−e of a hop's target (iw = vStart[w]).
func depIndex(e, iv, iw int32) int32 {
	if e >= 0 {
		return iv + e
	}
	return iw - 1 - e
}

// decodeChanges is decode without the dependents: the changes per firing
// only, appended to chg[:0] (a hop's entering molecule, where the
// dependents are not needed, without building their list).
func (n *net) decodeChanges(off, v, w int32, chg []int32) []int32 {
	nc := n.ev[off]
	r := n.ev[off+2 : off+2+2*nc]
	xv, xw := v*int32(n.ns), w*int32(n.ns)
	chg = chg[:0]
	for k := 0; k < len(r); k += 2 {
		if e := r[k]; e >= 0 {
			chg = append(chg, xv+e, r[k+1])
		} else {
			chg = append(chg, xw-1-e, r[k+1])
		}
	}
	return chg
}

// fire applies k firings of instance i to x (the fixed-step method; the
// event loops resolve the shared record, for the dependents too: exact.record).
func (n *net) fire(i int32, k int64, x []int64) {
	for j := n.chgStart[i]; j < n.chgStart[i+1]; j++ {
		x[n.chgIdx[j]] += k * int64(n.chgDelta[j])
	}
}

// applyChanges applies k firings of the changes chg (decode) to x.
func applyChanges(chg []int32, k int64, x []int64) {
	for j := 0; j+1 < len(chg); j += 2 {
		x[chg[j]] += k * int64(chg[j+1])
	}
}

// describe names instance i for messages: the reaction (id and
// direction), the hop (species and voxels) or the injection.
func (n *net) describe(i int32) string {
	if i < 0 {
		return "no channel"
	}
	s := n.sys
	switch n.kind[i] {
	case kindReaction:
		c := &s.Channels[n.src[i]]
		dir := "forward"
		if c.Reverse {
			dir = "reverse"
		}
		return fmt.Sprintf("reaction %q (#%d, %s, %s)", c.ReactionID, c.Reaction+1, dir, s.Model.Reactions[c.Reaction].Pos)
	case kindHop:
		h := &s.Hops[n.src[i]]
		return fmt.Sprintf("diffusion of %s from voxel %d to %d", s.Species[h.Species].ID, h.From, h.To)
	}
	st := &s.Stimuli[n.src[i]]
	return fmt.Sprintf("injection #%d of %s (%s)", st.Index+1, s.Species[st.Species].ID, s.Model.Stimuli[st.Index].Pos)
}

// intern returns the place of k in list, appending it when it is new;
// at holds the places.
func intern[K comparable](at map[K]int32, list *[]K, k K) int32 {
	i, ok := at[k]
	if !ok {
		i = int32(len(*list))
		at[k] = i
		*list = append(*list, k)
	}
	return i
}
