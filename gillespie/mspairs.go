package gillespie

import (
	"math"
	"slices"
)

// Reversible pairs of the multiscale engine (see pechain.go for the
// conditional law on a pair's line of states).

// chainCache is a direct-mapped cache of chain statistics keyed by the
// canonical fiber: totals change by ±1 and come back often. It starts
// empty, is made small on first use and grows while it misses often.
type chainCache struct {
	nk, nm          int
	size            int
	keys            []int64
	kHi             []int64
	full            []bool
	mom, mean, sd   []float64
	lam             []float64
	lookups, misses int64
}

const (
	cacheMin = 16
	cacheMax = 1024
)

// newChainCache returns an empty cache; its tables are made on the first
// lookup (most pairs of a large mesh are never looked up).
func newChainCache(nk, nm int) *chainCache {
	return &chainCache{nk: nk, nm: nm}
}

func (c *chainCache) resize(size int) {
	c.size = size
	c.keys = make([]int64, size*c.nk)
	c.kHi = make([]int64, size)
	c.full = make([]bool, size)
	c.mom = make([]float64, size*c.nm)
	c.mean = make([]float64, size*c.nk)
	c.sd = make([]float64, size*c.nk)
	c.lam = make([]float64, size)
	c.lookups, c.misses = 0, 0
}

// pairEligible reports whether pair unit u can be a subsystem: both
// directions have positive rate constants and a firing changes some
// species.
func (m *multiscale) pairEligible(u int32) bool {
	n := m.n
	A, B := m.uA[u], m.uB[u]
	if !(n.c[A] > 0) || !(n.c[B] > 0) {
		return false
	}
	lo, hi := n.chgStart[A], n.chgStart[A+1]
	for k := lo; k < hi; k++ {
		net := int64(0)
		for l := lo; l < hi; l++ {
			if n.chgIdx[l] == n.chgIdx[k] {
				net += int64(n.chgDelta[l])
			}
		}
		if net != 0 {
			return true
		}
	}
	return false
}

// pairSub returns the subsystem of pair unit u (unitSub[u] ≥ 0),
// building it on first use.
func (m *multiscale) pairSub(u int32) *fastSub {
	id := m.uh[u].sub
	if m.subs[id] == nil {
		m.newPairSub(u, id)
	}
	return m.subs[id]
}

// newPairSub builds the candidate subsystem of eligible pair unit u in
// the slot id reserved for it.
func (m *multiscale) newPairSub(u, id int32) {
	n := m.n
	A, B := m.uA[u], m.uB[u]
	s := &fastSub{id: id, kind: subPair, unit: u, ownUnits: []int32{u}, own: []int32{A, B}, tPass: math.Inf(1), tFail: math.Inf(1), maxRatio: math.Inf(1), node: -1, species: -1}
	add := func(xi int32) int32 {
		if j := s.pos(xi); j >= 0 {
			return j
		}
		s.xs = append(s.xs, xi)
		return int32(len(s.xs) - 1)
	}
	for k := n.chgStart[A]; k < n.chgStart[A+1]; k++ {
		add(n.chgIdx[k])
	}
	for _, i := range [2]int32{A, B} {
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			add(n.rIdx[k])
		}
	}
	c := &chain{cf: n.c[A], cr: n.c[B], xs: s.xs, nu: make([]int64, len(s.xs))}
	for k := n.chgStart[A]; k < n.chgStart[A+1]; k++ {
		c.nu[s.pos(n.chgIdx[k])] += int64(n.chgDelta[k])
	}
	c.fR = m.factors(A, s, nil)
	c.rR = m.factors(B, s, nil)
	if slices.Max(c.nu) <= 0 {
		// Orient the line so that it is bounded below (∅ ⇌ A written as
		// A → ∅ forward): k counts firings of the direction that adds.
		for j := range c.nu {
			c.nu[j] = -c.nu[j]
		}
		c.fR, c.rR = c.rR, c.fR
		c.cf, c.cr = c.cr, c.cf
	}
	c.fns = [][]factor{c.fR, c.rR}
	s.ch = c
	s.vals = make([]int64, len(s.xs))
	s.mask = make([]bool, len(s.xs))
	s.cache = newChainCache(len(s.xs), len(c.fns))
	s.st = chainStats{mom: make([]float64, len(c.fns)), mean: make([]float64, len(s.xs)), sd: make([]float64, len(s.xs))}
	m.subs[id] = s
	m.linkDrift(s)
}

// linear describes an active pair that is first order once its abundant
// species are held at their counts: A ⇌ C with per-molecule rates α
// (forward, A's partners in ff) and β (reverse, C's in fr). Its
// conditional law is C ~ Binomial(A + C, α/(α+β)).
type linear struct {
	ok     bool
	a, c   int32    // positions of A and C
	ff, fr []factor // abundant factors of the forward and reverse propensities
}

// linkLinear decides whether s, with its current mask, is linear.
func (m *multiscale) linkLinear(s *fastSub) {
	ch := s.ch
	s.lin = linear{a: -1, c: -1}
	one := func(fs []factor, side *int32, want int64) ([]factor, bool) {
		var frozen []factor
		for _, f := range fs {
			switch {
			case !s.mask[f.j]:
				frozen = append(frozen, f)
			case *side >= 0 || f.n != 1 || f.p != 1 || ch.nu[f.j] != want:
				return nil, false
			default:
				*side = f.j
			}
		}
		return frozen, *side >= 0
	}
	var okF, okR bool
	s.lin.ff, okF = one(ch.fR, &s.lin.a, -1)
	s.lin.fr, okR = one(ch.rR, &s.lin.c, 1)
	if !okF || !okR || s.lin.a == s.lin.c {
		return
	}
	for j := range s.xs {
		if s.mask[j] && int32(j) != s.lin.a && int32(j) != s.lin.c {
			return
		}
	}
	for _, fs := range ch.fns {
		for _, f := range fs {
			if s.mask[f.j] && f.n > int64(f.p) {
				return // a threshold the closed form does not cover
			}
		}
	}
	s.lin.ok = true
}

// powi returns x^p for a small non-negative integer p.
func powi(x float64, p int32) float64 {
	v := 1.0
	for ; p > 0; p-- {
		v *= x
	}
	return v
}

// linAB returns the rates per molecule of linear pair s: α, A → C, and
// β, C → A, at the counts of their abundant partners.
func (m *multiscale) linAB(s *fastSub) (alpha, beta float64) {
	frozen := func(fs []factor) float64 {
		v := 1.0
		for _, f := range fs {
			X := m.x[s.xs[f.j]]
			if X < f.n {
				return 0
			}
			v *= falling(X, f.p)
		}
		return v
	}
	return s.ch.cf * frozen(s.lin.ff), s.ch.cr * frozen(s.lin.fr)
}

// linearStats computes the statistics of a linear pair in closed form,
// with its drift correction and returns π', the probability that a
// molecule of the pair is C: the falling-factorial moments of a
// binomial, E[A^(p)·C^(q)] = T^(p+q)·(1−π')^p·π'^q; π' = π = α/(α+β),
// the equilibrium probability, or with the correction in effect
// 1 − manR − manOff/T, clamped to [0, 1].
func (m *multiscale) linearStats(s *fastSub, st *chainStats) float64 {
	ch, l := s.ch, &s.lin
	xa, xc := m.x[s.xs[l.a]], m.x[s.xs[l.c]]
	T := xa + xc
	alpha, beta := m.linAB(s)
	st.empty = T < 0
	st.lam = alpha + beta
	pi := 0.0
	if st.lam > 0 {
		pi = alpha / st.lam
	}
	if s.man && T > 0 {
		pi = min(max(1-s.manR-s.manOff/float64(T), 0), 1)
	}
	for k, fs := range ch.fns {
		v := 1.0
		deg := int32(0)
		for _, f := range fs {
			switch {
			case !s.mask[f.j]:
				X := m.x[s.xs[f.j]]
				if X < f.n {
					v = 0
				}
				v *= falling(X, f.p)
			case f.j == l.a:
				v *= powi(1-pi, f.p)
				deg += f.p
			default:
				v *= powi(pi, f.p)
				deg += f.p
			}
		}
		st.mom[k] = v * falling(T, deg)
	}
	ec := float64(T) * pi
	sd := math.Sqrt(float64(T) * pi * (1 - pi))
	for j, xi := range s.xs {
		nu := float64(ch.nu[j])
		st.mean[j] = float64(m.x[xi]) + nu*(ec-float64(xc))
		st.sd[j] = sd * math.Abs(nu)
	}
	return pi
}

// lookup fills st with the statistics of the fiber through the counts v
// (which it canonicalises in place).
func (m *multiscale) lookup(s *fastSub, v []int64, st *chainStats) bool {
	kHi, ok := s.ch.canonical(v)
	if !ok {
		st.empty = true
		return false
	}
	c := s.cache
	if c.size == 0 {
		c.resize(cacheMin)
	}
	h := uint64(kHi) * 0x9e3779b97f4a7c15
	for _, y := range v {
		h = (h ^ uint64(y)) * 0xbf58476d1ce4e5b9
	}
	if c.lookups >= 256 && c.size < cacheMax {
		if c.misses*8 > c.lookups {
			c.resize(c.size * 4)
		} else {
			c.lookups, c.misses = 0, 0
		}
	}
	e := int((h >> 32) % uint64(c.size))
	key := c.keys[e*c.nk : (e+1)*c.nk]
	c.lookups++
	if !c.full[e] || c.kHi[e] != kHi || !slices.Equal(key, v) {
		c.misses++
		tmp := chainStats{mom: c.mom[e*c.nm : (e+1)*c.nm], mean: c.mean[e*c.nk : (e+1)*c.nk], sd: c.sd[e*c.nk : (e+1)*c.nk]}
		s.ch.stats(v, kHi, &tmp)
		c.lam[e] = tmp.lam
		copy(key, v)
		c.kHi[e] = kHi
		c.full[e] = true
	}
	copy(st.mom, c.mom[e*c.nm:(e+1)*c.nm])
	copy(st.mean, c.mean[e*c.nk:(e+1)*c.nk])
	copy(st.sd, c.sd[e*c.nk:(e+1)*c.nk])
	st.lam = c.lam[e]
	st.empty = false
	return true
}

// mark decides which species of s are viewed (the others are abundant)
// and relinks s when that changed; it runs before the check, which
// treats a linear pair (package documentation, "Multiscale", lag) apart.
func (m *multiscale) mark(s *fastSub) {
	for j := range s.xs {
		s.mask[j] = s.ch.nu[j] != 0 && !m.abundant(s, j, 2)
	}
	if !slices.Equal(s.mask, s.linked) {
		m.linkReaders(s)
		m.refresh(s)
	}
}

// unshared reports whether s can be activated without sharing a viewed
// species with another active subsystem.
func (m *multiscale) unshared(s *fastSub) bool {
	for j, xi := range s.xs {
		switch {
		case s.ch.nu[j] == 0:
		case m.xsub[xi] >= 0:
			return false // viewed by another subsystem
		case s.mask[j] && m.abund[xi] > 0:
			return false // abundant in another, viewed here
		}
	}
	return true
}

// abundant reports whether species j of s has so many molecules that the
// pair's fluctuations (σ, the standard deviation of its extent) change it
// by at most ε/f of itself: it is then read from x by everyone, and a pair
// whose other species are first order is sampled as first order with it
// held at its count. Both cost O(σ/B) relative in the readers'
// propensities and O(σ²/B) molecules in the pair's mean (B the count), so
// at most ε/f and ε·σ/f.
func (m *multiscale) abundant(s *fastSub, j int, f float64) bool {
	sd := 0.0
	for _, x := range s.st.sd {
		sd = math.Max(sd, x)
	}
	return s.st.mean[j] >= f*(sd+1)/m.eps
}

// backOff doubles, up to 2^8, the number of occasions on which unit u
// skips its partial-equilibrium check after a failed one.
func (m *multiscale) backOff(u int32) {
	if m.uh[u].peBackoff < 8 {
		m.uh[u].peBackoff++
	}
	m.uh[u].peSkip = 1<<m.uh[u].peBackoff - 1
}

// tryPE checks whether pair unit u may enter partial equilibrium now and
// puts it there if so.
func (m *multiscale) tryPE(u int32) bool {
	if m.uh[u].peSkip > 0 {
		m.uh[u].peSkip--
		return false
	}
	if m.uh[u].hop >= 0 {
		return m.tryCluster(u)
	}
	s := m.pairSub(u)
	m.refresh(s)
	m.mark(s)
	ok, wait := m.judge(s, false)
	if ok && m.unshared(s) {
		m.uh[u].peBackoff = 0
		m.activate(s)
		return true
	}
	if wait {
		m.uh[u].peSkip = 7
		return false
	}
	m.backOff(u)
	return false
}
