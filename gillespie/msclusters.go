package gillespie

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Diffusion clusters of the multiscale engine (see pecluster.go for the
// conditional law and the mesh hierarchy).

// clusterFor returns the cluster subsystem of species sp on tree node
// nd (one of the ids reserved by newMultiscale), building it on first
// use.
func (m *multiscale) clusterFor(sp, nd int32) *fastSub {
	id := m.cluster[[2]int32{sp, nd}]
	if s := m.subs[id]; s != nil {
		return s
	}
	n := m.n
	node := &m.tree.nodes[nd]
	s := &fastSub{id: id, kind: subCluster, unit: -1, species: sp, node: nd, tPass: math.Inf(1), tFail: math.Inf(1), maxRatio: math.Inf(1), tCheck: math.Inf(-1)}
	s.diff = n.sys.Species[sp].DiffusionUm2PerMs
	in := map[int32]bool{}
	units := map[int32]bool{}
	for _, v := range node.vox {
		in[v] = true
		s.xs = append(s.xs, v*int32(n.ns)+sp)
	}
	for j, v := range node.vox {
		xi := s.xs[j]
		out := 0.0
		s.hOut = append(s.hOut, 0)
		for _, i := range m.rdInst[m.rdStart[xi]:m.rdStart[xi+1]] {
			if n.kind[i] != kindHop || n.vox[i] != v {
				continue
			}
			if !in[n.target(i)] {
				s.hOut[j] += n.c[i]
				continue
			}
			s.own = append(s.own, i)
			out += n.c[i]
			if u := m.unitOf[i]; u >= 0 && !units[u] {
				units[u] = true
				s.ownUnits = append(s.ownUnits, u)
			}
		}
		s.absRate += node.w[j] * out
	}
	s.p = slices.Clone(node.w)
	s.ch = &chain{xs: s.xs}
	s.mask = make([]bool, len(s.xs))
	for j := range s.mask {
		s.mask[j] = true
	}
	s.vals = make([]int64, len(s.xs))
	s.st = chainStats{mean: make([]float64, len(s.xs)), sd: make([]float64, len(s.xs))}
	m.subs[id] = s
	m.linkDrift(s)
	m.linkReaders(s)
	m.linkClasses(s)
	s.st.mom = make([]float64, len(s.ch.fns))
	// At the start a cluster whose initial concentration is uniform is at
	// equilibrium: it need not wait for a relaxation (until a check
	// fails). A cluster built later has not been checked before either,
	// so the same holds for it: it is as if built at the start.
	if m.uniformAtStart(sp, node) {
		s.tPass = math.Inf(-1)
	}
	return s
}

// uniformAtStart reports whether species sp starts at one concentration
// in every voxel of node.
func (m *multiscale) uniformAtStart(sp int32, node *meshNode) bool {
	n := m.n
	sys := n.sys
	c0 := sys.Initial[int(node.vox[0])*n.ns+int(sp)] / sys.Mesh.Voxels[node.vox[0]].VolumeUm3
	for _, v := range node.vox {
		c := sys.Initial[int(v)*n.ns+int(sp)] / sys.Mesh.Voxels[v].VolumeUm3
		if !(math.Abs(c-c0) <= 1e-9*math.Abs(c0)) {
			return false
		}
	}
	return true
}

// clusterStats computes the conditional expectations of a cluster in
// closed form from its total.
//
// The readers see the moments at a bound Tb ≥ T rather than at T, and
// each of their firings is accepted with the ratio of the moments at T and
// at Tb (thinning, exact because the moments grow with T): the readers of
// a cluster need updating only when T leaves [Tb·(1−2δ), Tb], not at
// every change of T (δ = thinSlack).
func (m *multiscale) clusterStats(s *fastSub) {
	node := &m.tree.nodes[s.node]
	var T int64
	for _, xi := range s.xs {
		T += m.x[xi]
	}
	s.T = T
	st := &s.st
	st.empty = T < 0
	st.lam = node.gap * s.diff
	tf := float64(T)
	for j, w := range s.p {
		st.mean[j] = tf * w
		st.sd[j] = math.Sqrt(tf * w * (1 - w))
	}
	if m.bound(s, false) && s.active {
		for _, r := range s.rdInst {
			m.setA(r)
		}
	}
}

const thinSlack = 0.02

// bound moves the bound Tb of cluster s when T has left its window (or
// always, with force) and recomputes the readers' moments at Tb; it
// reports whether it did.
func (m *multiscale) bound(s *fastSub, force bool) bool {
	if !force && s.T <= s.Tb && float64(s.T) >= float64(s.Tb)*(1-2*thinSlack)-1 {
		return false
	}
	s.Tb = s.T + 1 + int64(thinSlack*float64(max(s.T, 0)))
	for k, fs := range s.ch.fns {
		v := 1.0
		for _, f := range fs {
			v *= binomialMoment(s.Tb, s.p[f.j], f.n, f.p)
		}
		s.st.mom[k] = v
	}
	return true
}

// accept is the thinning probability of a firing of reader i: the ratio
// of its moments at the clusters' totals and at their bounds.
func (m *multiscale) accept(i int32) float64 {
	if th := &m.rvThin[m.h[i].r0]; !th.general { // i is a reader: r0 is its view
		// the loop below for one-molecule references, through the
		// pointers relink keeps (same operations, same order)
		v := &m.rv[m.h[i].r0]
		p := 1.0
		for k, b := range [2]*float64{v.a, v.b} {
			if th.T[k] == nil {
				continue
			}
			if !(*b > 0) {
				return 0
			}
			p *= float64(*th.T[k]) * *th.P[k] / *b
		}
		return p
	}
	p := 1.0
	for _, r := range [2]momRef{m.refA[i], m.refB[i]} {
		s := m.clusterOf(r)
		if s == nil {
			continue
		}
		b := s.st.mom[r.fn]
		if !(b > 0) {
			return 0
		}
		v := 1.0
		for _, f := range s.ch.fns[r.fn] {
			if f.p == 1 && f.n <= 1 {
				v *= float64(s.T) * s.p[f.j]
			} else {
				v *= binomialMoment(s.T, s.p[f.j], f.n, f.p)
			}
		}
		p *= v / b
	}
	return p
}

// binomialMoment returns E[X^(p)·1{X ≥ n}] for X ~ Binomial(T, w), X^(p)
// the falling factorial.
func binomialMoment(T int64, w float64, n int64, p int32) float64 {
	if T < int64(p) || T < n {
		return 0
	}
	v := falling(T, p) * math.Pow(w, float64(p))
	// states p ≤ x < n have X^(p) > 0 but are below the threshold
	for x := int64(p); x < n; x++ {
		lg, _ := math.Lgamma(float64(T + 1))
		l1, _ := math.Lgamma(float64(x + 1))
		l2, _ := math.Lgamma(float64(T - x + 1))
		pr := math.Exp(lg - l1 - l2 + float64(x)*math.Log(w) + float64(T-x)*math.Log1p(-w))
		v -= falling(x, p) * pr
	}
	return math.Max(v, 0)
}

// checkCluster is the error control of a cluster. The lag of its counts
// behind equilibrium under the (smoothed) drift of the slow channels is
// δ = M·r/D. It must change the summed propensity of every reaction that
// reads the species in the cluster, and of the hops leaving it, by at
// most f·ε of itself; move no voxel by more than f·max(ε·E[X_v], 1)
// molecules (at low counts, as the adaptive method, one molecule); and
// displace at most f·max(ε·T, 1) molecules in all. The reactions must
// also consume its molecules at most √ε as fast as it mixes.
func (m *multiscale) checkCluster(s *fastSub, f float64, hard bool) bool {
	st := &s.st
	s.lagRatio = math.Inf(1) // unknown until the lag is computed
	s.sepFail = false
	if st.empty || !(st.lam > 0) {
		return false
	}
	nd := &m.tree.nodes[s.node]
	nj := len(s.xs)
	r := m.ck.take(0, nj)
	cons := m.ck.take(1, nj) // consumption by reactions, per voxel (molecules/ms)
	n := m.n
	var T float64
	for _, x := range st.mean {
		T += x
	}
	// The drift at the equilibrium law (counts T·w): the hops out of the
	// cluster at that law, every other channel at the law in effect.
	for j, h := range s.hOut {
		r[j] -= h * T * nd.w[j]
	}
	for d, i := range s.dInst {
		if n.kind[i] == kindHop && s.dDelta[s.dStart[d]] < 0 {
			continue // a hop out, counted above
		}
		a := m.propWith(i, s, s.dFn[d])
		if a == 0 {
			continue
		}
		for k := s.dStart[d]; k < s.dStart[d+1]; k++ {
			dl := float64(s.dDelta[k])
			r[s.dPos[k]] += a * dl
			if dl < 0 && n.kind[i] == kindReaction {
				cons[s.dPos[k]] -= a * dl
			}
		}
	}
	// Separation, voxel by voxel: a molecule must mix through the cluster
	// before the reactions of its voxel consume it. (Averaged over the
	// cluster, a sink in one small voxel — CaMKII binding CaMCa4 in a
	// stimulated spine — hides behind the molecules of a large dendrite,
	// and the multinomial law then moves dendritic molecules into the
	// sink at once.)
	for j, c := range cons {
		if c/math.Max(st.mean[j], 1) > m.rootEps*st.lam {
			s.sepFail = true
			return false
		}
	}
	r = m.smooth(s, r, hard)
	corr := m.fast(s)
	if corr && s.active && len(s.acc) == nj {
		r = m.realizedDrift(s, T, m.ck.take(2, nj))
	}
	// The lag δ = R·r (R the response, clusterResponse), and the drift
	// correction: the law with
	// probabilities w + δ/T (w the volume shares), whose mean is the
	// lagging one; what is checked is the part of δ the law in effect
	// misses (all of it for a candidate, which enters with the new law;
	// none at a stimulus edge, where the law changes at once).
	dev := m.ck.take(3, nj)
	want := s.pendP[:0]
	var tot float64
	resp := m.response(s, nd)
	mulRows(resp, r, dev)
	for i := 0; i < nj; i++ {
		p := nd.w[i]
		if corr && T > 0 {
			p += dev[i] / T
		}
		if p < 0 {
			return false // the voxel's share cannot carry its lag
		}
		want = append(want, p)
		tot += p
	}
	for i := range want {
		want[i] /= tot
	}
	s.pendP = want
	s.corrected = corr
	// The second-order term: the lag takes the counts' shape as fixed
	// while the total changes at dT/dt; the shape's own change, (δ/T)·dT/dt,
	// is a drift the lag misses, and its response δ₂ is what the
	// correction misses at best (with a strong drain at a border voxel
	// this is what grows).
	tdot := 0.0
	for j, x := range r {
		tdot += x - s.hOut[j]*dev[j]
	}
	second := m.ck.take(4, nj)
	if T > 0 {
		mulRowsScaled(resp, dev, tdot, T, second)
	}
	sum := 0.0
	ratio := 0.0
	for i := 0; i < nj; i++ {
		miss := dev[i]
		switch {
		case !corr:
		case s.active && !m.atOnce(s, hard):
			miss = dev[i] - T*(s.p[i]-nd.w[i])
		default:
			miss = 0
		}
		size := math.Abs(miss) + math.Abs(second[i])
		ratio = math.Max(ratio, size/math.Max(m.eps*st.mean[i], 1))
		sum += size
		dev[i] = miss
	}
	ratio = math.Max(ratio, sum/2/math.Max(m.eps*T, 1))
	// per reader class: Σ a·δ/E over Σ a
	if len(s.clsNum) != len(s.clsOf) {
		s.clsNum = make([]float64, len(s.clsOf))
		s.clsDen = make([]float64, len(s.clsOf))
	}
	clear(s.clsNum)
	clear(s.clsDen)
	for k, i := range s.rdInst {
		j := s.rdVox[k]
		a := m.propWith(i, s, s.rdFn[k])
		if a == 0 || !(st.mean[j] > 0) {
			continue
		}
		c := s.rdCls[k]
		s.clsNum[c] += a * dev[j] / st.mean[j]
		s.clsDen[c] += a
	}
	for c := range s.clsNum {
		if s.clsDen[c] > 0 {
			ratio = math.Max(ratio, math.Abs(s.clsNum[c])/(m.eps*s.clsDen[c]))
		}
	}
	s.lagRatio = ratio
	if s.active {
		m.setP(s, want)
		for _, r := range s.rdInst {
			m.setA(r)
		}
	}
	return ratio <= f
}

// setP sets the law of cluster s to probabilities p (the volume shares
// moved by a drift correction) and its readers' moments with it.
func (m *multiscale) setP(s *fastSub, p []float64) {
	if &s.p[0] != &p[0] {
		copy(s.p, p)
	}
	tf := float64(s.T)
	for j, w := range s.p {
		s.st.mean[j] = tf * w
		s.st.sd[j] = math.Sqrt(tf * w * (1 - w))
	}
	m.bound(s, true)
}

// linkClasses groups the readers of cluster s by reaction (all hops
// leaving the cluster form one class) and records the voxel each reads.
func (m *multiscale) linkClasses(s *fastSub) {
	n := m.n
	idx := map[int32]int32{}
	s.rdCls, s.rdVox, s.clsOf = s.rdCls[:0], s.rdVox[:0], s.clsOf[:0]
	for _, i := range s.rdInst {
		key := int32(-1)
		if n.kind[i] == kindReaction {
			key = n.src[i]
		}
		c, ok := idx[key]
		if !ok {
			c = int32(len(s.clsOf))
			idx[key] = c
			s.clsOf = append(s.clsOf, key)
		}
		s.rdCls = append(s.rdCls, c)
		j := int32(-1)
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			if p := s.pos(n.rIdx[k]); p >= 0 {
				j = p
			}
		}
		s.rdVox = append(s.rdVox, j)
	}
}

// sampleCluster draws the counts of a cluster's voxels: a multinomial of
// its total by sequential binomials.
func (m *multiscale) sampleCluster(s *fastSub) {
	var T int64
	for _, xi := range s.xs {
		T += m.x[xi]
	}
	if T < 0 {
		return // cannot happen: slow channels never overdraw a total
	}
	rng := m.subRng(s)
	rest := 1.0
	for j, xi := range s.xs {
		if j == len(s.xs)-1 || T == 0 {
			m.x[xi] = T
			T = 0
			continue
		}
		p := math.Min(1, s.p[j]/rest)
		k := rng.Binomial(T, p)
		m.x[xi] = k
		T -= k
		rest -= s.p[j]
	}
}

// absorbRate is the expected firing rate of the own channels of active
// subsystem s.
func (m *multiscale) absorbRate(s *fastSub) float64 {
	if s.kind == subCluster {
		return float64(s.T) * s.absRate
	}
	return s.ch.cf*s.st.mom[0] + s.ch.cr*s.st.mom[1]
}

// tryCluster tries the clusters containing both voxels of hop pair unit
// u, largest first, and activates the first that qualifies.
func (m *multiscale) tryCluster(u int32) bool {
	if m.tree == nil {
		return false
	}
	n := m.n
	sp := m.uh[u].hop
	a, b := n.vox[m.uA[u]], n.vox[m.uB[u]]
	pb := m.tree.path[b]
	for _, nd := range m.tree.path[a] {
		if !slices.Contains(pb, nd) {
			break // nodes below the lowest common ancestor lack b
		}
		// A cluster checked less than a quarter relaxation time ago is
		// not tried again (tested before free, which is O(voxels of nd)).
		if c := m.subs[m.cluster[[2]int32{sp, nd}]]; c != nil && m.recent(c) {
			continue
		}
		inner, ok := m.free(sp, nd)
		if !ok {
			continue
		}
		s := m.clusterFor(sp, nd)
		if m.recent(s) {
			continue
		}
		s.tCheck = m.t
		m.refresh(s)
		ok, wait := m.judge(s, false)
		if ok {
			for _, k := range inner {
				m.deactivate(k)
			}
			m.uh[u].peBackoff = 0
			m.activate(s)
			return true
		}
		if wait {
			m.uh[u].peSkip = 7
			return false
		}
	}
	m.backOff(u)
	return false
}

// recent reports whether cluster s was checked less than a quarter of
// its relaxation time ago.
func (m *multiscale) recent(s *fastSub) bool {
	return m.t-s.tCheck < 0.25/(m.tree.nodes[s.node].gap*s.diff)
}

// free reports whether node nd may take species sp into partial
// equilibrium: no voxel holds it in an active subsystem other than active
// clusters of sp inside nd, which it returns (activating nd replaces them;
// the slice is reused by the next call).
func (m *multiscale) free(sp, nd int32) ([]*fastSub, bool) {
	ns := int32(m.n.ns)
	m.inner = m.inner[:0]
	last := int32(-1)
	for _, v := range m.tree.nodes[nd].vox {
		xi := v*ns + sp
		if m.abund[xi] > 0 {
			return nil, false
		}
		id := m.xsub[xi]
		if id < 0 || id == last {
			continue // plain, or the previous voxel's cluster (taken)
		}
		last = id
		k := m.subs[id]
		if k.kind != subCluster || !m.inside(k.node, nd) {
			return nil, false
		}
		if !slices.Contains(m.inner, k) {
			m.inner = append(m.inner, k)
		}
	}
	return m.inner, true
}

// inside reports whether tree node a lies in node b.
func (m *multiscale) inside(a, b int32) bool {
	for ; a >= 0; a = m.tree.nodes[a].parent {
		if a == b {
			return true
		}
	}
	return false
}

// tryMerge replaces active cluster s and its siblings, when all are
// active, by their parent if the parent qualifies.
func (m *multiscale) tryMerge(s *fastSub) {
	nd := &m.tree.nodes[s.node]
	if nd.parent < 0 {
		return
	}
	par := &m.tree.nodes[nd.parent]
	var kids []*fastSub
	for _, c := range par.children {
		id, ok := m.cluster[[2]int32{s.species, c}]
		if !ok || !m.activeSub(id) {
			return
		}
		kids = append(kids, m.subs[id])
	}
	p := m.clusterFor(s.species, nd.parent)
	m.refresh(p)
	if ok, _ := m.judge(p, false); !ok {
		return
	}
	for _, k := range kids {
		m.deactivate(k)
	}
	m.activate(p)
}

// boundaryLeap leaps hop pair unit u when its species is in an active
// cluster on one side (or on both: two clusters) and the other side, if
// not a cluster, holds it outside any subsystem or as an abundant species
// of pairs (which read it from x, as single hops would change it). A side
// in a cluster C contributes its total T_C and, per molecule, the crossing
// probability w·r·τ (w its voxel's share of C); a plain side its count and
// r·τ. The crossings are then Bin(T_a, p_a) − Bin(T_b, p_b), and τ keeps
// the adaptive method's bounds for a pair with these counts: the other
// channels change each count, in mean and in standard deviation, by at
// most max(ε of it, 1) during τ (Cao, Gillespie & Petzold 2006), and the
// net crossing, mean plus two standard deviations, by at most ε of the
// smaller.
func (m *multiscale) boundaryLeap(u int32) bool {
	n := m.n
	A, B := m.uA[u], m.uB[u]
	type side struct {
		count int64   // total of the cluster, or count of the voxel
		p     float64 // crossing rate per molecule of count
		mu, v float64 // mean and variance rate of the other channels' change of count
	}
	var sd [2]side
	var xs [2]int32 // the two sides' x indices
	clusters := 0
	for k, i := range [2]int32{A, B} {
		xi := n.rIdx[n.rStart[i]]
		xs[k] = xi
		id := m.xsub[xi]
		switch {
		case id < 0:
			sd[k] = side{count: m.x[xi], p: n.c[i]}
		case m.subs[id].kind == subCluster:
			c := m.subs[id]
			sd[k] = side{count: c.T, p: c.p[m.xpos[xi]] * n.c[i]}
			clusters++
		default:
			return false
		}
	}
	if clusters == 0 || m.xsub[xs[0]] == m.xsub[xs[1]] {
		return false
	}
	tmax := m.horizon - m.t
	if !(tmax > 0) || sd[0].count <= 0 && sd[1].count <= 0 {
		return false
	}
	af, ar := sd[0].p*float64(sd[0].count), sd[1].p*float64(sd[1].count)
	sum := af + ar
	if sum*tmax < m.jump {
		return false
	}
	allowed := m.eps * float64(min(sd[0].count, sd[1].count))
	da := math.Abs(af - ar)
	var y float64 // √τ with da·τ + 2√(sum·τ) = allowed
	if da > 0 {
		y = (-math.Sqrt(sum) + math.Sqrt(sum+da*allowed)) / da
	} else {
		y = allowed / (2 * math.Sqrt(sum))
	}
	// The pair's own bound alone may leave the leap not worth it: then
	// the sides' drift sums (over every channel that changes a side's
	// count, the cost of this function) cannot make it so.
	if !(sum*math.Min(tmax, y*y) >= m.jump) {
		return false
	}
	for k := range sd {
		if id := m.xsub[xs[k]]; id < 0 {
			// x may be abundant in active pairs: they read it from x as
			// the single hops do, and driftX leaves out their channels
			sd[k].mu, sd[k].v = m.driftX(xs[k], A, B)
		} else {
			sd[k].mu, sd[k].v = m.drift(m.subs[id], A, B)
		}
	}
	tau := tmax
	for _, c := range sd {
		bound := math.Max(m.eps*float64(c.count), 1)
		if c.mu != 0 {
			tau = math.Min(tau, bound/math.Abs(c.mu))
		}
		if c.v > 0 {
			tau = math.Min(tau, bound*bound/c.v)
		}
	}
	tau = math.Min(tau, y*y)
	if !(sum*tau >= m.jump) {
		return false
	}
	rng := &m.rng[n.vox[A]]
	kf := rng.Binomial(max(sd[0].count, 0), math.Min(1, sd[0].p*tau))
	kr := rng.Binomial(max(sd[1].count, 0), math.Min(1, sd[1].p*tau))
	m.exclude(A)
	m.exclude(B)
	if kf != kr {
		m.fire(A, kf-kr)
	} else {
		m.flush()
	}
	m.hopIn(A, kf)
	m.hopIn(B, kr)
	m.leaping[u] = true
	m.oclk.set(m.uSlot0+u, m.t+tau)
	m.st.Leaps++
	m.st.LeapFirings += kf + kr
	m.fc.many(A, kf)
	m.fc.many(B, kr)
	return true
}

// driftX is the mean (molecules/ms) and variance (molecules²/ms) of the
// change of x index xi by the channels that change it, except skip and
// skip2, at their current rates. The channels of an active pair in which
// xi is abundant are left out: in partial equilibrium they change it by
// the pair's extent only, whose spread is below ε/2 of its count (the
// abundance criterion).
func (m *multiscale) driftX(xi, skip, skip2 int32) (mu, v float64) {
	for k := m.cgStart[xi]; k < m.cgStart[xi+1]; k++ {
		i := m.cgInst[k]
		if i == skip || i == skip2 {
			continue
		}
		if u := m.unitOf[i]; u >= 0 && m.activeSub(m.uh[u].sub) {
			continue
		}
		a, d := m.rateOf(i), float64(m.cgDelta[k])
		mu += a * d
		v += a * d * d
	}
	return mu, v
}

// rateOf is the current propensity of instance i, or the one it would
// have when it is not simulated event by event.
func (m *multiscale) rateOf(i int32) float64 {
	if a, ok := m.foreignRate(i); ok {
		return a
	}
	return m.localRateOf(i)
}

// localRateOf is rateOf for an instance of this engine's own voxels.
func (m *multiscale) localRateOf(i int32) float64 {
	h := &m.h[i]
	switch {
	case !h.excl:
		return m.aOf(h)
	case m.timer[i] >= 0:
		return h.c
	}
	return m.prop(i)
}

// drift is the mean (molecules/ms) and variance (molecules²/ms) of the
// change of the total of cluster s by its drift channels, except skip and
// skip2, at their current rates.
func (m *multiscale) drift(s *fastSub, skip, skip2 int32) (mu, v float64) {
	for d, i := range s.dInst {
		if i == skip || i == skip2 {
			continue
		}
		a := m.rateOf(i)
		if a == 0 {
			continue
		}
		net := int64(s.dNet[d])
		mu += a * float64(net)
		v += a * float64(net*net)
	}
	return mu, v
}

// innerHop is a hop inside a cluster, between positions of its voxels,
// at rate (1/ms per molecule).
type innerHop struct {
	from, to int
	rate     float64
}

// clusterResponse returns the response δ = R·b (R row-major, m×m) of the
// counts of a cluster to a drift b (molecules/ms per voxel, evaluated at
// the law T·w), with hops the hops inside it and hOut the rates per
// molecule of the hops out of it: the quasi-stationary deviation of the
// linear dynamics dE/dt = G·E − H·E + sources, G the generator of the
// hops inside, H = diag(hOut), whose total changes slowly. With
// E = T·w + δ, Σδ = 0 and dE/dt ≈ w·dT/dt: (−G + P·H)·δ = P·b,
// P = I − w·1ᵀ; adding w·1ᵀ (which vanishes on Σδ = 0) makes the matrix
// invertible: R = (−G + P·H + w·1ᵀ)⁻¹·P. Without drains R is the
// first-order lag, the pseudo-inverse of −G on Σδ = 0; with them a border
// voxel drained into a spine lags by what its drain and its mixing allow,
// where the first-order δ = −G⁺·b overshoots (to negative counts once the
// drain exceeds the hops that refill it). It returns nil if the matrix is
// singular.
func clusterResponse(hops []innerHop, hOut, w []float64) []float64 {
	m := len(w)
	k := mat.NewDense(m, m, nil)
	for _, h := range hops {
		k.Set(h.from, h.from, k.At(h.from, h.from)+h.rate)
		k.Set(h.to, h.from, k.At(h.to, h.from)-h.rate)
	}
	pm := mat.NewDense(m, m, nil)
	for a := 0; a < m; a++ {
		for b := 0; b < m; b++ {
			d := 0.0
			if a == b {
				d = 1
			}
			pm.Set(a, b, d-w[a])
			// P·H: column b of H is hOut[b] at row b
			k.Set(a, b, k.At(a, b)+(d-w[a])*hOut[b]+w[a])
		}
	}
	var rm mat.Dense
	if err := rm.Solve(k, pm); err != nil {
		return nil
	}
	out := make([]float64, m*m)
	for a := 0; a < m; a++ {
		for b := 0; b < m; b++ {
			out[a*m+b] = rm.At(a, b)
		}
	}
	return out
}

// response returns the response matrix of cluster s (clusterResponse),
// built on first use; the first-order lag of its node when singular.
func (m *multiscale) response(s *fastSub, nd *meshNode) []float64 {
	if s.lagH != nil {
		return s.lagH
	}
	n := m.n
	pos := map[int32]int{}
	for j, v := range nd.vox {
		pos[v] = j
	}
	hops := make([]innerHop, 0, len(s.own))
	for _, i := range s.own {
		hops = append(hops, innerHop{pos[n.vox[i]], pos[n.target(i)], n.c[i]})
	}
	s.lagH = clusterResponse(hops, s.hOut, nd.w)
	if s.lagH == nil {
		s.lagH = make([]float64, len(nd.lag))
		for i, x := range nd.lag {
			s.lagH[i] = x / s.diff
		}
	}
	return s.lagH
}

// startRealized starts the realized drift of cluster s, entering partial
// equilibrium, from the drift estimate of its checks (without the hops
// out, which the response takes as drains).
func (m *multiscale) startRealized(s *fastSub) {
	nj := len(s.xs)
	if len(s.acc) != nj {
		s.acc, s.racc = make([]float64, nj), make([]float64, nj)
	}
	w := m.tree.nodes[s.node].w
	for j := range s.acc {
		s.acc[j] = 0
		s.racc[j] = 0
		if len(s.rbar) == nj {
			s.racc[j] = s.rbar[j] + s.hOut[j]*float64(s.T)*w[j]
		}
	}
	s.accT = m.t
}

// realized adds a change of delta molecules at position j of active
// cluster s by a slow channel (a firing, or a leap's firings) to the
// count since its last check.
func (m *multiscale) realized(s *fastSub, j int32, delta float64) {
	if j >= 0 && int(j) < len(s.acc) {
		s.acc[j] += delta
	}
}

// realizedDrift returns the drift of active cluster s that its slow
// channels realized: the molecules they added since the last check over
// the time since, low-passed over the checks at the cluster's relaxation
// rate (the filter through which a drift becomes a lag), with the hops
// out at the law T·w added (the drift the response takes). Unlike the
// propensities at one instant, a count over a window does not carry the
// noise of the counts that drive the drift (a few Ca molecules in a spine
// voxel), which the drift correction would turn into noise of the
// cluster's law; and unlike a filter of each firing read just after one,
// it is not biased by checks that firings trigger (by one firing in the
// window, 32 or more firings, rather than by a whole leap).
func (m *multiscale) realizedDrift(s *fastSub, T float64, r []float64) []float64 {
	if dt := m.t - s.accT; dt > 0 {
		w := -math.Expm1(-s.st.lam * dt)
		for j, x := range s.acc {
			s.racc[j] += w * (x/dt - s.racc[j])
			s.acc[j] = 0
		}
		s.accT = m.t
	}
	w := m.tree.nodes[s.node].w
	for j := range r {
		r[j] = s.racc[j] - s.hOut[j]*T*w[j]
	}
	return r
}

// hopIn adds k firings of hop i to the realized drift of the active
// cluster it enters, if it comes from outside that cluster.
func (m *multiscale) hopIn(i int32, k int64) {
	if k == 0 {
		return
	}
	m.hopChg = m.changes(i, m.hopChg)
	chg := m.hopChg
	dst := chg[2]
	id := m.xsub[dst]
	if id < 0 || m.xsub[chg[0]] == id {
		return
	}
	if s := m.subs[id]; s.kind == subCluster {
		m.realized(s, m.xpos[dst], float64(k))
	}
}

// checkScratch holds checkCluster's per-voxel vectors between checks, so
// that a check (at every sweep, for every active cluster) allocates
// nothing.
type checkScratch [5][]float64

// take returns scratch vector k with n zeros.
func (c *checkScratch) take(k, n int) []float64 {
	if cap(c[k]) < n {
		c[k] = make([]float64, n)
	}
	v := c[k][:n]
	clear(v)
	return v
}

// mulRows sets out[i] = Σ_j a[i·n+j]·x[j] (n = len(x), len(out) rows),
// each sum taken in order of j from zero. Four rows go at once: four
// independent sums, each the same number as its row summed alone, where
// one row's sum is a chain of dependent additions.
func mulRows(a, x, out []float64) {
	n := len(x)
	i := 0
	for ; i+4 <= len(out); i += 4 {
		r0 := a[i*n : i*n+n]
		r1 := a[(i+1)*n : (i+1)*n+n]
		r2 := a[(i+2)*n : (i+2)*n+n]
		r3 := a[(i+3)*n : (i+3)*n+n]
		var s0, s1, s2, s3 float64
		for j, v := range x {
			s0 += r0[j] * v
			s1 += r1[j] * v
			s2 += r2[j] * v
			s3 += r3[j] * v
		}
		out[i], out[i+1], out[i+2], out[i+3] = s0, s1, s2, s3
	}
	for ; i < len(out); i++ {
		row := a[i*n : i*n+n]
		acc := 0.0
		for j, v := range x {
			acc += row[j] * v
		}
		out[i] = acc
	}
}

// mulRowsScaled sets out[i] = −Σ_j a[i·n+j]·x[j]·c/d, each term
// evaluated as ((a·x)·c)/d and subtracted in order of j from zero (the
// numbers of the loop it replaces, four rows at a time as mulRows).
func mulRowsScaled(a, x []float64, c, d float64, out []float64) {
	n := len(x)
	i := 0
	for ; i+4 <= len(out); i += 4 {
		r0 := a[i*n : i*n+n]
		r1 := a[(i+1)*n : (i+1)*n+n]
		r2 := a[(i+2)*n : (i+2)*n+n]
		r3 := a[(i+3)*n : (i+3)*n+n]
		var s0, s1, s2, s3 float64
		for j, v := range x {
			s0 -= r0[j] * v * c / d
			s1 -= r1[j] * v * c / d
			s2 -= r2[j] * v * c / d
			s3 -= r3[j] * v * c / d
		}
		out[i], out[i+1], out[i+2], out[i+3] = s0, s1, s2, s3
	}
	for ; i < len(out); i++ {
		row := a[i*n : i*n+n]
		acc := 0.0
		for j, v := range x {
			acc -= row[j] * v * c / d
		}
		out[i] = acc
	}
}
