package gillespie

import (
	"context"
	"math"
	"slices"

	"github.com/spinerd/spinerd/internal/lazytable"
)

// multiscale is the adaptive engine with fast subsystems advanced in
// partial equilibrium (see the package documentation, "Multiscale"). A
// subsystem is either one reversible pair (a reaction pair in a voxel or
// a hop pair) or the hops of one species inside a cluster of voxels.
// While a subsystem is active its own channels are excluded from the exact
// engine and fire neither events nor leaps; the channels that read its
// species ("readers", shape 5 in the exact engine) use conditional
// expectations of their propensities under its quasi-stationary
// distribution given the totals it conserves, and its species' counts in
// x are a representative of those totals that is resampled from that
// distribution at every barrier (output time, stimulus edge) and when the
// subsystem dissolves.
type multiscale struct {
	*adaptive
	rootEps float64      // √ε: the timescale separation required
	scratch chainStats   // sample's statistics of a shifted pair (reused)
	ck      checkScratch // checkCluster's vectors (reused)
	hopChg  []int32      // hopIn's decoded changes (reused)
	// segFrom, segTo: the stimulus edges (of any stimulus; the run's
	// start and end otherwise) around the current time, ms: a subsystem
	// relaxing within ε of the segment's length is fast enough for the
	// drift correction (package documentation, "Multiscale")
	segFrom, segTo float64
	tSweep         float64 // the next sweep, ms (a multiple of sweepMs)

	subs    []*fastSub
	tree    *meshTree
	cluster map[[2]int32]int32 // (species, node) → cluster subsystem
	t0      float64
	xsub    []int32 // per x index: the active subsystem holding it, or −1
	xpos    []int32 // per x index held by an active subsystem: its position there (fastSub.pos)
	on      []bool  // per subsystem id: active (fastSub.active, read without the subsystem; ids beyond: not)
	// readers (instances whose propensity reads the x index) and changers
	// (instances that change it, with the change) of every x index
	rdStart, rdInst []int32
	cgStart, cgInst []int32
	cgDelta         []int64
	abund           []int32 // per x index: active subsystems in which it is abundant
	refA, refB      []momRef
	// rv: what view reads, of the instances that have been readers;
	// rvOf[i] is instance i's entry (0: none yet, rv[0] unused), which a
	// reader's record holds in r0 while its shape is shapeView; rvThin
	// the thinning of the same entries
	rv        []readerView
	rvThin    []readerThin
	rvOf      []int32
	nref      []int8  // per instance: active subsystems it reads
	origShape []uint8 // shape of each instance before it became a reader
	origR0    []int32 // and its r0

	touched []int32    // scratch: subsystems touched by a firing
	rebound []int32    // scratch: clusters whose bound moved
	inner   []*fastSub // scratch: the active clusters free found inside a node
	buf     []float64
	absorb  float64 // expected firings absorbed by subsystems that dissolved
}

// exclude takes instance i out of the exact engine's event-by-event set
// (its propensity leaves the voxel's sum, whose clock is redrawn).
func (m *multiscale) exclude(i int32) {
	if h := &m.h[i]; !h.excl {
		h.excl = true
		m.av[h.vox] -= m.aOf(h)
		m.putA(h, 0)
		m.markDirty(h.vox)
	}
}

// readerView is a reader's propensity in a form view evaluates quickly:
// the constant times the moments a and b times the plain factors. It is
// what every update of a reader's propensity reads, 64 bytes: one cache
// line of multiscale.rv (whose backing arrays, large, start on a line);
// what only the thinning of a firing reads is apart, in readerThin.
type readerView struct {
	a, b  *float64
	plain [2]factor // x index, threshold, power of the reactants outside subsystems
	np    int8      // number of plain factors; −1: more than two (use the general loop)
	_     [15]byte
}

// readerThin is the thinning (accept) of a reader whose cluster
// references are each one molecule of one voxel (the usual case): the
// cluster's total and the voxel's probability for the references a and
// b (nil: none, or a pair's); general: some reference is not of that
// form.
type readerThin struct {
	T       [2]*int64
	P       [2]*float64
	general bool
}

var one = 1.0

// relink rebuilds the view of instance i after its references or the
// subsystems of its reactants changed.
func (m *multiscale) relink(i int32) {
	n := m.n
	v := readerView{a: &one, b: &one}
	var th readerThin
	if r := m.refA[i]; r.sub >= 0 {
		v.a = &m.subs[r.sub].st.mom[r.fn]
	}
	if r := m.refB[i]; r.sub >= 0 {
		v.b = &m.subs[r.sub].st.mom[r.fn]
	}
	for k, r := range [2]momRef{m.refA[i], m.refB[i]} {
		s := m.clusterOf(r)
		if s == nil {
			continue
		}
		if fs := s.ch.fns[r.fn]; len(fs) == 1 && fs[0].p == 1 && fs[0].n <= 1 {
			th.T[k], th.P[k] = &s.T, &s.p[fs[0].j]
		} else {
			th.general = true
		}
	}
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		xi := n.rIdx[k]
		if m.xsub[xi] >= 0 {
			continue
		}
		if v.np == 2 {
			v.np = -1
			break
		}
		v.plain[v.np] = factor{j: xi, n: int64(n.rN[k]), p: n.rP[k]}
		v.np++
	}
	if m.rvOf[i] == 0 {
		m.rvOf[i] = int32(len(m.rv))
		m.rv = append(m.rv, v)
		m.rvThin = append(m.rvThin, th)
	} else {
		m.rv[m.rvOf[i]] = v
		m.rvThin[m.rvOf[i]] = th
	}
	if h := &m.h[i]; h.shape == shapeView {
		h.r0 = m.rvOf[i]
	}
}

// momRef points a reader at the moment of an active subsystem that
// stands for the factors of its propensity in that subsystem's species.
type momRef struct{ sub, fn int32 }

// activeSub reports whether subsystem id (−1: none; a reserved id may not
// be built yet) is in partial equilibrium.
func (m *multiscale) activeSub(id int32) bool {
	return id >= 0 && int(id) < len(m.on) && m.on[id]
}

// clusterOf returns the cluster r refers to, or nil (no reference, or a
// pair's).
func (m *multiscale) clusterOf(r momRef) *fastSub {
	if r.sub < 0 || m.subs[r.sub].kind != subCluster {
		return nil
	}
	return m.subs[r.sub]
}

var noRef = momRef{-1, -1}

// Subsystem kinds.
const (
	subPair = iota
	subCluster
)

// fastSub is one candidate subsystem and, while active, its state.
type fastSub struct {
	id       int32
	kind     uint8
	unit     int32   // adaptive unit of a pair (−1 for a cluster)
	ownUnits []int32 // the adaptive units of its own channels
	own      []int32 // its own channel instances
	// clusters: the species, the node of the mesh tree, its diffusion
	// constant (µm²/ms) and its firings per molecule per ms
	species, node int32
	diff, absRate float64
	T, Tb         int64   // cluster: total, and the bound its readers see
	tCheck        float64 // time of the last periodic check
	xs            []int32 // x indices of its species
	ch            *chain  // pair: the fiber
	// readers: instances outside the subsystem reading its viewed
	// species, and the moment function each needs; rdByPos[rdPos[j]:
	// rdPos[j+1]] are the readers of species j
	rdInst, rdFn   []int32
	rdByPos, rdPos []int32
	// drift channels: instances outside the subsystem that change its
	// species: dInst[d] changes xs[dPos[k]] by dDelta[k] for k in
	// dStart[d]:dStart[d+1]; dFn[d] is its moment function if it also
	// reads them (−1 otherwise)
	dInst, dFn, dStart, dPos []int32
	dDelta                   []int32
	dNet                     []int32 // net change of the subsystem's total by dInst[d]
	units                    []int32 // units (other than its own) touching its species

	// mask marks the viewed species: those its readers see through
	// conditional expectations; the others are abundant (their count
	// hardly depends on the pair's state) and are read from x as usual.
	mask, linked []bool
	lin          linear
	// man: an active linear pair's drift correction is in effect: the
	// conditional mean of A is manR·T + manOff at total T (the slow
	// manifold of its molecules' linear dynamics, linearManifold), so
	// that it follows the total between checks as the dynamics do
	// (package documentation, "Multiscale", drift correction).
	man          bool
	manR, manOff float64
	// linKA, linKC: the first-order consumption of A and C by its slow
	// channels, per molecule (1/ms), at its last check; jBar: their
	// production of A and C (molecules/ms), filtered (smoothSources)
	linKA, linKC float64
	jBar         [2]float64
	// p: a cluster's law, the probability of each of its voxels: the
	// volume shares, moved by the drift correction (package
	// documentation, "Multiscale", drift correction)
	p []float64
	// corrected: the last check computed a drift correction, pending
	// (pair: pendR and pendOff; cluster: probabilities pendP), which
	// entry applies
	corrected      bool
	pendR, pendOff float64
	pendP          []float64
	// hOut: per voxel of a cluster, the rate per molecule of its hops
	// out of the cluster (1/ms); lagH: the m×m response of its counts to
	// a drift, border drains included (see checkCluster; built on first
	// use)
	hOut, lagH []float64
	// acc: per voxel of an active cluster, the molecules its slow
	// channels added since accT, its last check (ms), the hops out
	// excepted; racc: the drift they realized (molecules/ms), low-passed
	// at its relaxation rate over the checks
	acc, racc []float64
	accT      float64

	active bool
	st     chainStats // conditional expectations for the current totals
	vals   []int64    // scratch: counts of xs
	cache  *chainCache

	tOn, tLast float64   // activation time; time absorbed firings were last counted
	tPass      float64   // first passing check since the last failure (+Inf: none)
	tFail      float64   // first failing check since the last pass (+Inf: none)
	wait       float64   // how long the check must keep passing before entry (ms)
	lagRatio   float64   // lag over its bound at the last check (+Inf: not computed)
	sepFail    bool      // cluster: the last check failed the separation of a voxel
	maxRatio   float64   // largest lagRatio of the failures since the last pass (+Inf: unknown)
	rbar       []float64 // smoothed drift (molecules/ms per species)
	// clusters: each reader's class (reaction, or −1 for the hops
	// leaving) and voxel position, with scratch sums per class
	rdCls, rdVox, clsOf []int32
	clsNum, clsDen      []float64
	tBar                float64 // time of its last update
	peTime              float64 // ms spent active
	absorbed            float64 // expected firings of its channels while active
	slowEvents          int32   // firings touching it since its last check
	activations         int32
	deactivation        int32
}

// newMultiscale builds the engine for all voxels (own nil), or for the
// voxels own marks (a domain, domains.go; its clusters are the nodes of a
// hierarchy of its own voxels).
func newMultiscale(n *net, x []int64, seed uint64, t0, eps, minJump float64, own []bool) *multiscale {
	d := newAdaptive(n, x, seed, t0, eps, minJump, own)
	m := &multiscale{adaptive: d, rootEps: math.Sqrt(eps)}
	ni := len(n.kind)
	nx := n.nv * n.ns
	// readers and changers of every x index of this engine's voxels (a
	// domain's engine reads no other's: listed for the whole mesh in each
	// of the 24 µm dendrite's 9 domains, they took 20 MB each)
	cnt, freeCnt := lazytable.Make[int32](nx + 1)
	defer freeCnt()
	fill, freeFill := lazytable.Make[int32](nx + 1)
	defer freeFill()
	for i := range n.instances(d.near) {
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			if n.owns(own, n.rIdx[k]) {
				cnt[n.rIdx[k]+1]++
			}
		}
	}
	var total int32
	m.rdStart, total = d.nearPrefix(cnt, fill)
	m.rdInst = make([]int32, total)
	for i := range n.instances(d.near) {
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			xi := n.rIdx[k]
			if !n.owns(own, xi) {
				continue
			}
			if p := fill[xi]; p == m.rdStart[xi] || m.rdInst[p-1] != int32(i) {
				m.rdInst[p] = int32(i)
				fill[xi]++
			}
		}
	}
	for i := range n.instances(d.near) {
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			cnt[n.rIdx[k]+1] = 0
		}
	}
	for i := range n.instances(d.near) {
		for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
			if n.owns(own, n.chgIdx[k]) {
				cnt[n.chgIdx[k]+1]++
			}
		}
	}
	m.cgStart, total = d.nearPrefix(cnt, fill)
	m.cgInst = make([]int32, total)
	m.cgDelta = make([]int64, total)
	for i := range n.instances(d.near) {
		for k := n.chgStart[i]; k < n.chgStart[i+1]; k++ {
			xi := n.chgIdx[k]
			if !n.owns(own, xi) {
				continue
			}
			m.cgInst[fill[xi]] = int32(i)
			m.cgDelta[fill[xi]] = int64(n.chgDelta[k])
			fill[xi]++
		}
	}
	m.xsub = instTable[int32](d.exact, nx)
	m.xpos = instTable[int32](d.exact, nx)
	m.abund = instTable[int32](d.exact, nx)
	for v := range n.voxels(d.near) {
		for xi := v * int32(n.ns); xi < (v+1)*int32(n.ns); xi++ {
			m.xsub[xi] = -1
		}
	}
	m.rv = make([]readerView, 1, 64)
	m.rvThin = make([]readerThin, 1, 64)
	m.refA = instTable[momRef](d.exact, ni)
	m.refB = instTable[momRef](d.exact, ni)
	for i := range n.instances(d.near) {
		m.refA[i], m.refB[i] = noRef, noRef
	}
	m.nref = instTable[int8](d.exact, ni)
	m.origShape = instTable[uint8](d.exact, ni)
	m.origR0 = instTable[int32](d.exact, ni)
	m.rvOf = instTable[int32](d.exact, ni)
	m.cluster = map[[2]int32]int32{}
	m.t0 = t0
	m.tSweep = nextSweep(t0)
	for u := range m.uh {
		if d.uKind[u] != unitPair {
			continue
		}
		if n.kind[d.uA[u]] == kindHop {
			m.uh[u].hop = int32(n.sys.Hops[n.src[d.uA[u]]].Species)
			continue
		}
		// A pair's subsystem is built when its unit first tries partial
		// equilibrium (most pairs of a mesh never fire: a reaction of
		// spine species in a dendrite voxel); its id is reserved now, so
		// that ids, and the order of the sweep's checks and the
		// barrier's draws, do not depend on which pairs were built.
		if m.pairEligible(int32(u)) {
			m.uh[u].sub = int32(len(m.subs))
			m.subs = append(m.subs, nil)
		}
	}
	if len(n.sys.Hops) > 0 {
		m.tree = newMeshTree(n.sys.Mesh, own)
		// Every diffusing species has a cluster on every node of more
		// than one voxel; each is built on first use (clusterFor) in the
		// id reserved here, so that ids, and the order of the sweep's
		// checks and the barrier's draws, do not depend on which were
		// built.
		for sp, info := range n.sys.Species {
			if info.DiffusionUm2PerMs > 0 {
				for nd := range m.tree.nodes {
					if len(m.tree.nodes[nd].vox) > 1 {
						m.cluster[[2]int32{int32(sp), int32(nd)}] = int32(len(m.subs))
						m.subs = append(m.subs, nil)
					}
				}
			}
		}
	}
	d.view = m.view
	return m
}

// nearPrefix returns start, the starts of lists of cnt[xi+1] entries per
// x index xi, and their total, written (in a table of the engine's) for
// the x indices of the engine's voxels and their neighbours (near) and
// the one after each such voxel's last; fill gets a copy of the same
// entries (where each list's filling starts).
func (e *exact) nearPrefix(cnt, fill []int32) (start []int32, total int32) {
	n := e.n
	ns := int32(n.ns)
	start = instTable[int32](e, len(cnt))
	for v := range n.voxels(e.near) {
		for xi := v * ns; xi < (v+1)*ns; xi++ {
			start[xi], fill[xi] = total, total
			total += cnt[xi+1]
		}
		start[(v+1)*ns], fill[(v+1)*ns] = total, total
	}
	return start, total
}

// pos returns the position of x index xi among the species of s, or −1.
func (s *fastSub) pos(xi int32) int32 {
	if s.kind == subCluster {
		// xs ascend (the node's voxels ascend, one species)
		j, ok := slices.BinarySearch(s.xs, xi)
		if !ok {
			return -1
		}
		return int32(j)
	}
	for j, y := range s.xs {
		if y == xi {
			return int32(j)
		}
	}
	return -1
}

// fn registers a moment function of s and returns its index. A new
// function empties the cache, whose entries lack it.
func (s *fastSub) fn(fs []factor) int32 {
	c := s.ch
	for l, g := range c.fns {
		if slices.Equal(g, fs) {
			return int32(l)
		}
	}
	c.fns = append(c.fns, fs)
	if s.cache != nil {
		s.cache = newChainCache(len(s.xs), len(c.fns))
		s.st.mom = append(s.st.mom, 0)
	}
	return int32(len(c.fns) - 1)
}

// factors returns the factors of instance i's propensity in the species
// of s that mask marks (all when mask is nil).
func (m *multiscale) factors(i int32, s *fastSub, mask []bool) []factor {
	n := m.n
	var fs []factor
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		if j := s.pos(n.rIdx[k]); j >= 0 && (mask == nil || mask[j]) {
			fs = append(fs, factor{j: j, n: int64(n.rN[k]), p: n.rP[k]})
		}
	}
	return fs
}

// linkDrift finds the drift channels of s: the instances outside it that
// change its species, with their moment functions in all its species.
func (m *multiscale) linkDrift(s *fastSub) {
	own := memberOf(s.own)
	dk := map[int32]int32{}
	type ch struct {
		pos   int32
		delta int32
	}
	var chs [][]ch
	for j, xi := range s.xs {
		for k := m.cgStart[xi]; k < m.cgStart[xi+1]; k++ {
			i := m.cgInst[k]
			if own(i) {
				continue
			}
			d, ok := dk[i]
			if !ok {
				d = int32(len(s.dInst))
				dk[i] = d
				s.dInst = append(s.dInst, i)
				f := int32(-1)
				if fs := m.factors(i, s, nil); len(fs) > 0 {
					f = s.fn(fs)
				}
				s.dFn = append(s.dFn, f)
				chs = append(chs, nil)
			}
			chs[d] = append(chs[d], ch{int32(j), int32(m.cgDelta[k])})
		}
	}
	for d := range s.dInst {
		s.dStart = append(s.dStart, int32(len(s.dPos)))
		net := int32(0)
		for _, c := range chs[d] {
			s.dPos = append(s.dPos, c.pos)
			s.dDelta = append(s.dDelta, c.delta)
			net += c.delta
		}
		s.dNet = append(s.dNet, net)
	}
	s.dStart = append(s.dStart, int32(len(s.dPos)))
}

// linkReaders finds the readers of the species of s that s.mask marks
// (viewed species), their moment functions, and the units that read or
// change those species.
func (m *multiscale) linkReaders(s *fastSub) {
	s.rdInst, s.rdFn, s.units = s.rdInst[:0], s.rdFn[:0], s.units[:0]
	own, ownUnit := memberOf(s.own), memberOf(s.ownUnits)
	seen := map[int32]bool{}
	s.rdByPos, s.rdPos = s.rdByPos[:0], append(s.rdPos[:0], 0)
	for j, xi := range s.xs {
		if s.mask[j] {
			for _, i := range m.rdInst[m.rdStart[xi]:m.rdStart[xi+1]] {
				if own(i) {
					continue
				}
				s.rdByPos = append(s.rdByPos, i)
				if seen[i] {
					continue
				}
				seen[i] = true
				s.rdInst = append(s.rdInst, i)
				s.rdFn = append(s.rdFn, s.fn(m.factors(i, s, s.mask)))
			}
		}
		s.rdPos = append(s.rdPos, int32(len(s.rdByPos)))
	}
	us := map[int32]bool{}
	touch := func(i int32) {
		if u := m.unitOf[i]; u >= 0 && !ownUnit(u) && !us[u] {
			us[u] = true
			s.units = append(s.units, u)
		}
	}
	for _, i := range s.rdInst {
		touch(i)
	}
	for d, i := range s.dInst {
		for k := s.dStart[d]; k < s.dStart[d+1]; k++ {
			if s.mask[s.dPos[k]] {
				touch(i)
			}
		}
	}
	slices.Sort(s.units)
	s.linked = slices.Clone(s.mask)
	m.linkLinear(s)
}

// view is the propensity of a reader (shape 5): its constant times the
// expectations of its factors in active subsystems times its other
// factors.
func (m *multiscale) view(i int32) float64 {
	v := &m.rv[m.h[i].r0]
	a := m.h[i].c * *v.a * *v.b
	if v.np >= 0 {
		for _, f := range v.plain[:v.np] {
			X := m.x[f.j]
			if X < f.n {
				return 0
			}
			a *= falling(X, f.p)
		}
		return a
	}
	return m.viewGeneral(i)
}

// viewGeneral is view for a reader with more than two plain factors.
func (m *multiscale) viewGeneral(i int32) float64 {
	n := m.n
	a := n.c[i]
	if r := m.refA[i]; r.sub >= 0 {
		a *= m.subs[r.sub].st.mom[r.fn]
	}
	if r := m.refB[i]; r.sub >= 0 {
		a *= m.subs[r.sub].st.mom[r.fn]
	}
	if a == 0 {
		return 0
	}
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		xi := n.rIdx[k]
		if m.xsub[xi] >= 0 {
			continue
		}
		X := m.x[xi]
		if X < int64(n.rN[k]) {
			return 0
		}
		a *= falling(X, n.rP[k])
	}
	return a
}

// propWith is the propensity of instance i with subsystem s (active or
// not) at its conditional expectations: fn is i's moment function in s
// (−1 if i does not read s).
func (m *multiscale) propWith(i int32, s *fastSub, fn int32) float64 {
	if a, ok := m.foreignRate(i); ok {
		return a // another domain's hop in
	}
	n := m.n
	a := n.c[i]
	if fn >= 0 {
		a *= s.st.mom[fn]
	}
	for _, r := range [2]momRef{m.refA[i], m.refB[i]} {
		if r.sub >= 0 && r.sub != s.id && m.refOutside(i, r.sub, s) {
			a *= m.subs[r.sub].st.mom[r.fn]
		}
	}
	if a == 0 {
		return 0
	}
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		xi := n.rIdx[k]
		if m.xsub[xi] >= 0 || (fn >= 0 && s.pos(xi) >= 0) {
			continue
		}
		X := m.x[xi]
		if X < int64(n.rN[k]) {
			return 0
		}
		a *= falling(X, n.rP[k])
	}
	return a
}

// refOutside reports whether active subsystem id covers a reactant of
// instance i that is not a species of s (otherwise s's own moment stands
// for it).
func (m *multiscale) refOutside(i, id int32, s *fastSub) bool {
	n := m.n
	for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
		if xi := n.rIdx[k]; m.xsub[xi] == id && s.pos(xi) < 0 {
			return true
		}
	}
	return false
}

// refresh recomputes the conditional expectations of s for the totals in
// x (from the cache when it has them).
func (m *multiscale) refresh(s *fastSub) bool {
	if s.kind == subCluster {
		m.clusterStats(s)
		return true
	}
	if s.active && s.lin.ok {
		m.linearStats(s, &s.st)
		return true
	}
	for j, xi := range s.xs {
		s.vals[j] = m.x[xi]
	}
	return m.lookup(s, s.vals, &s.st)
}

// sample draws the counts of the species of s from its conditional law
// given the totals in x and writes them into x.
func (m *multiscale) sample(s *fastSub) {
	if s.kind == subCluster {
		m.sampleCluster(s)
		return
	}
	if s.active && s.lin.ok && s.man {
		xa, xc := s.xs[s.lin.a], s.xs[s.lin.c]
		T := m.x[xa] + m.x[xc]
		st := &m.scratch
		if len(st.mean) != len(s.xs) || len(st.mom) != len(s.st.mom) {
			*st = chainStats{mom: make([]float64, len(s.st.mom)), mean: make([]float64, len(s.xs)), sd: make([]float64, len(s.xs))}
		}
		pi := m.linearStats(s, st)
		// the extent that brings C to its draw moves every species of
		// the pair, the abundant ones too
		k := (m.subRng(s).Binomial(T, pi) - m.x[xc]) * int64(s.ch.nu[s.lin.c])
		for j, xi := range s.xs {
			m.x[xi] += k * int64(s.ch.nu[j])
		}
		return
	}
	for j, xi := range s.xs {
		s.vals[j] = m.x[xi]
	}
	b := slices.Clone(s.vals)
	kHi, ok := s.ch.canonical(b)
	if !ok {
		return
	}
	m.buf = s.ch.sample(b, kHi, m.subRng(s), s.vals, m.buf)
	for j, xi := range s.xs {
		m.x[xi] = s.vals[j]
	}
}

// subRng is the stream a subsystem samples from: its first voxel's.
func (m *multiscale) subRng(s *fastSub) *Stream { return &m.rng[m.n.vox[s.own[0]]] }

// fire fires instance i k times and updates the subsystems and
// propensities that depend on it.
func (m *multiscale) fire(i int32, k int64) {
	n := m.n
	chg, deps, v, iv, iw := m.record(i)
	applyChanges(chg, k, m.x)
	m.touched = m.touched[:0]
	for c := 0; c < len(chg); c += 2 {
		if s := m.xsub[chg[c]]; s >= 0 && !slices.Contains(m.touched, s) {
			m.touched = append(m.touched, s)
		}
	}
	m.rebound = m.rebound[:0]
	for _, id := range m.touched {
		s := m.subs[id]
		m.count(s)
		if s.kind == subCluster {
			for c := 0; c < len(chg); c += 2 {
				if xi := chg[c]; m.xsub[xi] == id {
					s.T += k * int64(chg[c+1])
					if m.h[i].kind != kindHop { // hops in: exactEvent, boundaryLeap
						m.realized(s, m.xpos[xi], float64(k*int64(chg[c+1])))
					}
				}
			}
			if m.bound(s, false) {
				m.rebound = append(m.rebound, id)
			}
			continue
		}
		m.refresh(s)
	}
	// the dependents, as in exact.applyK
	delta := 0.0
	for _, c := range deps {
		d := depIndex(c, iv, iw)
		h := &m.h[d]
		if h.excl {
			continue
		}
		var nw float64
		switch h.shape {
		case 0:
			nw = h.c
		case 1:
			nw = h.c * float64(m.x[h.r0])
		case 2:
			nw = h.c * float64(m.x[h.r0]) * float64(m.x[h.r1])
		case 4:
			nw = m.general(d, h)
		case shapeView:
			nw = m.view(d)
		default:
			nw = n.prop(d, m.x)
		}
		if h.vox == v {
			delta += nw - m.aOf(h)
		} else {
			m.av[h.vox] += nw - m.aOf(h)
			m.markDirty(h.vox)
		}
		m.putA(h, nw)
	}
	m.av[v] += delta
	m.markDirty(v)
	for _, id := range m.touched {
		s := m.subs[id]
		switch {
		case s.kind == subPair:
			// Readers of the species i did not change are not among its
			// dependents.
			for j, xi := range s.xs {
				if !s.mask[j] || changes(chg, xi) {
					continue
				}
				for _, r := range s.rdByPos[s.rdPos[j]:s.rdPos[j+1]] {
					m.setA(r)
				}
			}
		case slices.Contains(m.rebound, id):
			for _, r := range s.rdInst {
				m.setA(r)
			}
		}
		if s.slowEvents++; s.slowEvents >= checkEvery && s.active && m.t-s.tCheck >= 0.25/s.st.lam {
			s.slowEvents = 0
			s.tCheck = m.t
			if s.kind == subCluster {
				m.clusterStats(s)
			}
			if ok, _ := m.judge(s, false); !ok {
				m.deactivate(s)
			}
		}
	}
	m.flush()
}

// checkEvery is the number of firings touching an active subsystem
// between two checks of its error control, which are also at least a
// quarter of its relaxation time apart (stimulus edges and the sweeps
// check it too).
const checkEvery = 32

// changes reports whether the changes chg (exact.record) change x
// index xi.
func changes(chg []int32, xi int32) bool {
	for c := 0; c < len(chg); c += 2 {
		if chg[c] == xi {
			return true
		}
	}
	return false
}

// count adds the firings s absorbed since it was last counted.
func (m *multiscale) count(s *fastSub) {
	if s.active {
		s.absorbed += m.absorbRate(s) * (m.t - s.tLast)
		s.tLast = m.t
	}
}

// activate puts subsystem s in partial equilibrium.
func (m *multiscale) activate(s *fastSub) {
	for _, u := range s.ownUnits {
		m.leaping[u] = false
		m.oclk.set(m.uSlot0+u, math.Inf(1))
		m.uh[u].skip, m.uh[u].backoff = 0, 0
	}
	for _, i := range s.own {
		m.exclude(i)
	}
	for j, xi := range s.xs {
		if s.mask[j] {
			m.xsub[xi], m.xpos[xi] = s.id, int32(j)
		} else if s.ch.nu[j] != 0 {
			m.abund[xi]++
		}
	}
	for k, r := range s.rdInst {
		ref := momRef{s.id, s.rdFn[k]}
		if m.refA[r].sub < 0 {
			m.refA[r] = ref
		} else {
			m.refB[r] = ref
		}
		if m.nref[r] == 0 {
			m.origShape[r], m.origR0[r] = m.h[r].shape, m.h[r].r0
			m.h[r].shape = shapeView
		}
		m.nref[r]++
	}
	for _, r := range s.rdInst {
		m.relink(r)
	}
	for _, v := range s.units {
		m.uh[v].block++
	}
	s.active = true
	if int(s.id) >= len(m.on) {
		m.on = append(m.on, make([]bool, int(s.id)+1-len(m.on))...)
	}
	m.on[s.id] = true
	s.tOn, s.tLast = m.t, m.t
	s.slowEvents = 0
	s.activations++
	if s.kind == subCluster {
		m.startRealized(s)
	}
	if s.corrected {
		if s.kind == subCluster {
			m.setP(s, s.pendP)
		} else {
			s.man, s.manR, s.manOff = true, s.pendR, s.pendOff
		}
	}
	m.refresh(s)
	for _, r := range s.rdInst {
		m.setA(r)
	}
	m.flush()
}

// deactivate samples the species of s and returns its channels to the
// adaptive engine.
func (m *multiscale) deactivate(s *fastSub) {
	m.count(s)
	m.sample(s)
	s.active = false
	m.on[s.id] = false
	s.man = false
	if s.kind == subCluster {
		m.setP(s, m.tree.nodes[s.node].w)
	}
	s.peTime += m.t - s.tOn
	s.tPass, s.tFail = math.Inf(1), math.Inf(1)
	s.deactivation++
	for j, xi := range s.xs {
		if s.mask[j] {
			m.xsub[xi] = -1
		} else if s.ch.nu[j] != 0 {
			m.abund[xi]--
		}
	}
	for _, r := range s.rdInst {
		if m.refA[r].sub == s.id {
			m.refA[r] = m.refB[r]
		}
		m.refB[r] = noRef
		if m.nref[r]--; m.nref[r] == 0 {
			m.h[r].shape, m.h[r].r0 = m.origShape[r], m.origR0[r]
		}
	}
	for _, r := range s.rdInst {
		m.relink(r)
	}
	for _, v := range s.units {
		m.uh[v].block--
	}
	for _, i := range s.own {
		h := &m.h[i]
		h.excl = false
		m.putA(h, 0)
		m.setA(i)
	}
	for _, r := range s.rdInst {
		m.setA(r)
	}
	for _, u := range s.ownUnits {
		m.uh[u].skip, m.uh[u].backoff = 0, 0
	}
	m.flush()
}

func (m *multiscale) advance(ctx context.Context, tEnd float64) error {
	// one block: the barrier bounds every leap
	if err := m.advanceWithin(ctx, tEnd, tEnd); err != nil {
		return err
	}
	m.barrier()
	return nil
}

// advanceWithin advances to tEnd with leaps ending at or before horizon
// (≥ tEnd), and the sweeps due by tEnd. It runs no barrier's draws
// (barrier): a domain's window end is no barrier, and at the horizon the
// domain engine first applies the last boundary exchange.
func (m *multiscale) advanceWithin(ctx context.Context, tEnd, horizon float64) error {
	m.tEnd, m.horizon = tEnd, horizon
	for it := 1; ; it++ {
		s, other, ts := m.next()
		if m.tSweep <= math.Min(ts, tEnd) {
			m.t = m.tSweep
			m.sweep()
			continue
		}
		if ts > tEnd || (ts == tEnd && other && s >= m.uSlot0) {
			m.t = tEnd
			break
		}
		m.t = ts
		switch {
		case !other:
			m.exactEvent(int(s))
		case s < m.uSlot0:
			m.arrival(int(s))
		default:
			m.leapEnd(s - m.uSlot0)
		}
		if it&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// barrier runs at an output time or stimulus edge: it gives the species
// of every active subsystem counts drawn from its conditional law.
func (m *multiscale) barrier() {
	for _, s := range m.subs {
		if s != nil && s.active {
			m.count(s)
			m.sample(s)
		}
	}
}

// sweepMs is the period of the sweeps, ms: every active subsystem is
// checked, and clusters merged, at every multiple of it of simulated
// time (package documentation, "Multiscale").
const sweepMs = 10.0

// nextSweep is the first multiple of sweepMs after t, ms.
func nextSweep(t float64) float64 {
	nx := (math.Floor(t/sweepMs) + 1) * sweepMs
	if nx <= t {
		nx += sweepMs
	}
	return nx
}

// sweep runs at a multiple of sweepMs: it checks every active subsystem
// and merges clusters whose parent qualifies.
func (m *multiscale) sweep() {
	m.tSweep = nextSweep(m.t)
	for _, s := range m.subs {
		if s == nil || !s.active {
			continue
		}
		m.count(s)
		if s.kind == subCluster {
			m.refresh(s)
		}
		if ok, _ := m.judge(s, false); !ok {
			m.deactivate(s)
		}
	}
	m.flush()
	for k := 0; k < len(m.subs); k++ {
		if s := m.subs[k]; s != nil && s.active && s.kind == subCluster {
			m.tryMerge(s)
		}
	}
}

func (m *multiscale) exactEvent(v int) {
	e := m.exact
	if e.since[v]++; e.since[v] > 4096 {
		e.resum(v)
	}
	i := e.pick(v)
	if i < 0 {
		e.resum(v)
		if i = e.pick(v); i < 0 {
			e.schedule(v)
			return
		}
	}
	if m.thinned(i) {
		if p := m.accept(i); p < 1 && !(e.rng[v].Float64() < p) {
			e.schedule(v) // a thinned firing: nothing happens
			return
		}
	}
	m.fire(i, 1)
	m.st.ExactEvents++
	m.fc.one(i)
	if m.h[i].kind == kindHop {
		m.hopIn(i, 1)
	}
	u := m.unitOf[i]
	if u < 0 {
		return
	}
	if m.uh[u].block > 0 {
		if m.uh[u].skip > 0 {
			m.uh[u].skip--
		} else if m.blockedLeap(u) {
			m.uh[u].backoff = 0
		} else {
			m.uh[u].backoff = min(m.uh[u].backoff+1, 6)
			m.uh[u].skip = 1<<m.uh[u].backoff - 1
		}
		return
	}
	if (m.uh[u].sub >= 0 || m.uh[u].hop >= 0) && m.tryPE(u) {
		return
	}
	if m.uh[u].skip > 0 {
		m.uh[u].skip--
		return
	}
	if m.tryLeap(u) {
		m.uh[u].backoff = 0
		return
	}
	if m.uh[u].backoff < 6 {
		m.uh[u].backoff++
	}
	m.uh[u].skip = 1<<m.uh[u].backoff - 1
}

// blockedLeap leaps a unit that touches species in partial equilibrium
// where it can: a hop pair at the border of a cluster, an injection into
// a first-order pair or a cluster, a reaction that sees a first-order
// pair only through its total.
func (m *multiscale) blockedLeap(u int32) bool {
	switch {
	case m.uh[u].hop >= 0:
		return m.boundaryLeap(u)
	case m.uKind[u] == unitInject:
		return m.injectLeap(u)
	}
	return m.poolLeap(u)
}

// injectLeap leaps a Poisson injection into a species held in partial
// equilibrium, with the adaptive method's bound for injections applied
// to the total the species belongs to (that of a cluster, or A + C of a
// first-order pair): the total holds at least 1/ε molecules and the leap
// adds at most ε of it.
func (m *multiscale) injectLeap(u int32) bool {
	n := m.n
	A := m.uA[u]
	xi := n.chgIdx[n.chgStart[A]]
	id := m.xsub[xi]
	if id < 0 {
		return false
	}
	s := m.subs[id]
	var T int64
	switch {
	case s.kind == subCluster:
		T = s.T
	case s.lin.ok:
		T = m.x[s.xs[s.lin.a]] + m.x[s.xs[s.lin.c]]
	default:
		return false
	}
	a := n.c[A]
	tmax := m.horizon - m.t
	if !(a > 0) || !(tmax > 0) || float64(T)*m.eps < 1 {
		return false
	}
	tau := math.Min(tmax, m.eps*float64(T)/a)
	if a*tau < m.jump {
		return false
	}
	k := m.rng[n.vox[A]].Poisson(a * tau)
	m.exclude(A)
	if k > 0 {
		m.fire(A, k)
	} else {
		m.flush()
	}
	m.leaping[u] = true
	m.oclk.set(m.uSlot0+u, m.t+tau)
	m.st.Leaps++
	m.st.LeapFirings += k
	m.fc.many(A, k)
	return true
}

// crossing draws how many molecules of x index xi a hop out of its voxel
// (of this engine) into another domain moves when each crosses with
// probability q. A species held by an active subsystem crosses as the
// hop's propensity sees it in one block: of a cluster's T molecules each
// is in the voxel with the law's probability p, so Bin(T, q·p) cross; of
// a pair's, each of the N molecules the species can have on the pair's
// fiber is free with the probability E[x]/N, so Bin(N, q·E[x]/N) cross
// (mean q·E[x]).
func (m *multiscale) crossing(xi int32, q float64, rng *Stream) int64 {
	id := m.xsub[xi]
	if id < 0 {
		return rng.Binomial(m.x[xi], q)
	}
	s := m.subs[id]
	j := m.xpos[xi]
	if s.kind == subCluster {
		return rng.Binomial(s.T, math.Min(1, q*s.p[j]))
	}
	if !s.mask[j] {
		return rng.Binomial(m.x[xi], q) // abundant: read from its count
	}
	for l, xl := range s.xs {
		s.vals[l] = m.x[xl]
	}
	kHi, ok := s.ch.canonical(s.vals)
	mean := s.st.mean[j]
	if !ok || !(mean > 0) {
		return 0
	}
	if kHi >= chainInf {
		return rng.Poisson(q * mean)
	}
	N := max(s.vals[j], s.vals[j]+kHi*s.ch.nu[j])
	return rng.Binomial(N, math.Min(1, q*mean/float64(N)))
}

// exchanged updates the subsystem holding x index xi, if any, after the
// boundary exchange brought in and took out molecules of it (x already
// changed): a pair's conditional law is refreshed, and its readers'
// propensities with it; a cluster's total
// changes, the molecules brought in count as its realized drift (as hops
// in do), and its readers are updated when the total leaves its bound.
// resum then recomputes the propensities in xi's voxel.
func (m *multiscale) exchanged(xi int32, in, out int64) {
	id := m.xsub[xi]
	if id < 0 {
		return
	}
	s := m.subs[id]
	m.count(s)
	if s.kind != subCluster {
		if in != out {
			m.refresh(s)
			for _, r := range s.rdInst {
				m.setA(r)
			}
		}
		return
	}
	s.T += in - out
	m.realized(s, m.xpos[xi], float64(in))
	if m.bound(s, false) {
		for _, r := range s.rdInst {
			m.setA(r)
		}
	}
}

// firingRate is the rate at which instance i fires now: a reader of a
// cluster has its propensity at the cluster's bound Tb ≥ T and thins its
// firings by accept, so it fires at the product. (Published as the
// propensity alone, a boundary hop out of a cluster carried the bound's
// excess, up to 2·thinSlack, into the other domain's drift: the cluster
// there saw a steady net inflow at the cut, failed its lag check and left
// partial equilibrium over and over.)
func (m *multiscale) firingRate(i int32) float64 {
	a := m.prop(i)
	if a > 0 && m.thinned(i) {
		a *= m.accept(i)
	}
	return a
}

// thinned reports whether instance i reads a subsystem's moments
// (its propensity may be a cluster's bound, its firings thinned by
// accept).
func (m *multiscale) thinned(i int32) bool {
	// (relink points a at a moment exactly when refA is a subsystem's)
	return m.h[i].shape == shapeView && m.rv[m.h[i].r0].a != &one
}

// windowRates sets out[c], for the instances c in [from, to) of the
// window set, to each one's rate as the domains' window bound counts it:
// none for the channels of an active subsystem (they fire nothing; its
// law moves with its total), else as the drift sums read it (rateOf).
func (m *multiscale) windowRates(from, to int, out []float64) {
	for c := from; c < to; c++ {
		w := &m.wset[c]
		switch {
		case w.slot >= 0:
			out[c] = m.frozen[w.slot]
		case m.activeSub(w.sub):
			out[c] = 0
		case w.from >= 0 && m.xsub[w.from] >= 0 && m.xsub[w.to] == m.xsub[w.from]:
			out[c] = 0 // a hop inside an active cluster
		default:
			out[c] = m.localRateOf(w.j)
		}
	}
}

// expected is the count of x index xi as the readers see it: the
// conditional mean in an active subsystem.
func (m *multiscale) expected(xi int32) float64 {
	id := m.xsub[xi]
	if id < 0 {
		return float64(m.x[xi])
	}
	s := m.subs[id]
	j := m.xpos[xi]
	if s.kind == subCluster {
		return float64(s.T) * s.p[j]
	}
	if !s.mask[j] {
		return float64(m.x[xi])
	}
	return s.st.mean[j]
}

// arrival delivers one molecule of an evenly timed injection.
func (m *multiscale) arrival(k int) {
	i := m.timerInst[k]
	m.credit[k] = 1
	m.oclk.set(int32(k), m.t+1/m.exact.rate[k])
	m.fire(i, 1)
	m.st.ExactEvents++
	m.fc.one(i)
	if m.n.kind[i] == kindHop {
		m.hopIn(i, 1)
	}
}

// leapEnd reconsiders a unit whose leap is over.
func (m *multiscale) leapEnd(u int32) {
	m.leaping[u] = false
	if m.uh[u].block == 0 {
		if (m.uh[u].sub >= 0 || m.uh[u].hop >= 0) && m.tryPE(u) {
			return
		}
		if m.tryLeap(u) {
			return
		}
	} else if m.blockedLeap(u) {
		return
	}
	m.oclk.set(m.uSlot0+u, math.Inf(1))
	for _, i := range [2]int32{m.uA[u], m.uB[u]} {
		if i < 0 {
			continue
		}
		m.h[i].excl = false
		m.setA(i)
	}
	m.flush()
	m.uh[u].skip, m.uh[u].backoff = 0, 0
}

func (m *multiscale) setRate(k int, rate float64) {
	m.exact.setRate(k, rate)
	n := m.n
	st := &n.sys.Stimuli[k]
	for _, v := range st.Targets {
		if m.nearV != nil && !m.nearV[v] {
			continue // another domain's (and no subsystem of this one)
		}
		xi := int32(v*n.ns + st.Species)
		if id := m.xsub[xi]; id >= 0 {
			s := m.subs[id]
			m.count(s)
			m.refresh(s)
			if ok, _ := m.judge(s, true); !ok {
				m.deactivate(s)
			}
			m.flush()
		}
	}
}

func (m *multiscale) stats() Stats {
	st := m.st
	st.Absorbed = m.absorb
	groups := map[string]int{}
	for _, s := range m.subs {
		if s == nil || s.activations == 0 {
			continue
		}
		pe := s.peTime
		ab := s.absorbed
		if s.active {
			pe += m.t - s.tOn
			ab += m.absorbRate(s) * (m.t - s.tLast)
		}
		st.Absorbed += ab
		name, kind := m.subName(s)
		g, ok := groups[name]
		if !ok {
			g = len(st.Subsystems)
			groups[name] = g
			st.Subsystems = append(st.Subsystems, Subsystem{Kind: kind, Name: name})
		}
		ss := &st.Subsystems[g]
		ss.Instances++
		ss.Activations += int64(s.activations)
		ss.Absorbed += ab
		if s.kind == subCluster {
			ss.Voxels = m.n.nv
			ss.VoxelTimeMs += pe * float64(len(s.xs))
		} else {
			ss.Voxels = m.n.nv
			ss.VoxelTimeMs += pe
		}
	}
	return st
}

// subName names a subsystem for the run summary: the reaction's id, or
// "diffusion of S".
func (m *multiscale) subName(s *fastSub) (name, kind string) {
	n := m.n
	sys := n.sys
	i := s.own[0]
	switch n.kind[i] {
	case kindReaction:
		return sys.Channels[n.src[i]].ReactionID, "reaction"
	case kindHop:
		return "diffusion of " + sys.Species[sys.Hops[n.src[i]].Species].ID, "diffusion"
	}
	return "?", "?"
}

// memberOf returns a membership test for the ids in list: a scan for a
// short list (a pair's two channels), a set for a long one (a cluster's
// hops), so that linking a cluster stays linear in its size.
func memberOf(list []int32) func(int32) bool {
	if len(list) <= 16 {
		return func(i int32) bool { return slices.Contains(list, i) }
	}
	set := make(map[int32]struct{}, len(list))
	for _, i := range list {
		set[i] = struct{}{}
	}
	return func(i int32) bool {
		_, ok := set[i]
		return ok
	}
}
