package gillespie

import "math"

// Leaps of the channels that read or change a reversible pair in partial
// equilibrium (package documentation, "Multiscale", fall-back and entry).

// poolLeap leaps unit u (a reaction pair or an irreversible reaction)
// whose instances read or change the viewed species of exactly one active
// first-order pair s (A ⇌ C, its other species abundant): they may read
// A (first order) and change A and C, so that they see s only through its
// total T = A + C. A direction that consumes A is first order in the pool
// T (its propensity is c·E[A | T]·(other factors), E[A | T] = T·(1 − π)),
// so the leap treats T as the count of its reactant: its firings are
// binomial in T and the total never goes below zero. The bounds are the
// adaptive method's with T in place of the count: the net drift of T
// from the other channels (at their conditional expectations) changes T
// by at most ε·T over τ, so the unit's own propensity moves by at most ε;
// and the leap's own expected net change of T stays within
// max(ε·E[x], 1)/(E[x]/T) molecules for every viewed species x that
// other channels read, so that the conditional expectations they see move
// by at most max(ε of themselves, one molecule), as a leaping pair may
// change a count others read. Its firings are applied at once and s is
// re-conditioned on the new total.
func (m *multiscale) poolLeap(u int32) bool {
	n := m.n
	A, B := m.uA[u], m.uB[u]
	ins := [2]int32{A, B}
	// The one active pair the unit touches, and the unit's change of T.
	id := int32(-1)
	var dT [2]int64
	for d, i := range ins {
		if i < 0 {
			continue
		}
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			if sid := m.xsub[n.rIdx[k]]; sid >= 0 {
				if id >= 0 && sid != id {
					return false
				}
				id = sid
			}
		}
		for c := n.chgStart[i]; c < n.chgStart[i+1]; c++ {
			if sid := m.xsub[n.chgIdx[c]]; sid >= 0 {
				if id >= 0 && sid != id {
					return false
				}
				id = sid
				dT[d] += int64(n.chgDelta[c])
			}
		}
	}
	if id < 0 {
		return false
	}
	s := m.subs[id]
	if s.kind != subPair || !s.lin.ok {
		return false
	}
	xa, xc := s.xs[s.lin.a], s.xs[s.lin.c]
	T := m.x[xa] + m.x[xc]
	if T <= 0 {
		return false
	}
	// Each direction reads only A of s, first order; one that lowers T
	// reads A and lowers it by one.
	for d, i := range ins {
		if i < 0 {
			continue
		}
		reads := false
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			switch xi := n.rIdx[k]; {
			case xi == xa && n.rN[k] == 1 && n.rP[k] == 1:
				reads = true
			case m.xsub[xi] >= 0:
				return false
			}
		}
		if dT[d] < 0 && (dT[d] != -1 || !reads) {
			return false
		}
	}
	eff := func(xi int32) int64 {
		if xi == xa {
			return T
		}
		return m.x[xi]
	}
	// limit returns the firings direction i allows (MaxInt64: none
	// limiting) and the reactant slot that limits them.
	limit := func(i int32) (int64, int32) {
		best, slot := int64(math.MaxInt64), int32(-1)
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			if c := eff(n.rIdx[k]) / int64(n.rN[k]); c < best {
				best, slot = c, k
			}
		}
		return best, slot
	}
	tmax := m.horizon - m.t
	if !(tmax > 0) {
		return false
	}
	var a, r [2]float64 // propensities; rates per firing allowed
	var nmax [2]int64
	var lim [2]int32
	for d, i := range ins {
		if i < 0 {
			continue
		}
		a[d] = m.prop(i)
		nmax[d], lim[d] = limit(i)
		if a[d] > 0 && nmax[d] == 0 {
			return false
		}
		if nmax[d] != math.MaxInt64 && nmax[d] > 0 {
			r[d] = a[d] / float64(nmax[d])
		}
	}
	sum := a[0] + a[1]
	if sum*tmax < m.jump {
		return false
	}
	pair := m.uKind[u] == unitPair
	lam := 0.0
	if pair {
		lam = r[0] + r[1]
	}
	// The allowance on T: max(ε·E[x], 1) in every viewed species read by
	// channels outside the unit, at dE[x]/dT = E[x]/T.
	allowT := math.Inf(1)
	for j := range s.xs {
		if !s.mask[j] || s.st.mean[j] <= 0 {
			continue
		}
		outside := false
		for _, rd := range s.rdByPos[s.rdPos[j]:s.rdPos[j+1]] {
			if rd != A && rd != B {
				outside = true
				break
			}
		}
		if outside {
			e := s.st.mean[j]
			allowT = math.Min(allowT, math.Max(m.eps*e, 1)*float64(T)/e)
		}
	}
	tau := tmax
	// 1. Drift of what the unit reads: the adaptive method's external
	// drift for its other reactants; for T, the net drift of the other
	// channels that change it, at their conditional expectations.
	for k := m.extStart[u]; k < m.extStart[u+1]; k++ {
		xi := m.extIdx[k]
		if m.xsub[xi] >= 0 {
			continue
		}
		ext := 0.0
		for c := m.chLo[k]; c < m.chHi[k]; c++ {
			j := m.chInst[c]
			if j == A || j == B {
				continue // the unit itself
			}
			rt := m.rate(j)
			if p := m.chPair[c]; p >= 0 {
				rt += m.rate(p)
			}
			ext += rt * m.chNu[c]
		}
		if ext > 0 {
			tau = math.Min(tau, m.eps*float64(m.x[xi])/ext)
		}
	}
	v := 0.0
	for d, i := range s.dInst {
		if i == A || i == B {
			continue
		}
		del := int64(0)
		for k := s.dStart[d]; k < s.dStart[d+1]; k++ {
			if p := s.dPos[k]; p == s.lin.a || p == s.lin.c {
				del += int64(s.dDelta[k])
			}
		}
		if del != 0 {
			v += m.rate(i) * float64(del)
		}
	}
	if v != 0 {
		tau = math.Min(tau, m.eps*float64(T)/math.Abs(v))
	}
	// 2. The counts outside s that the unit changes and others read
	// (the adaptive method's dependent limit, or its pair bound).
	var da float64 // net rate of change of T's firings (pairs: |a_f − a_r|)
	if pair {
		da = math.Abs(a[0] - a[1])
	}
	mMax := math.Inf(1)
	for k := m.readStart[u]; k < m.readStart[u+1]; k++ {
		xi := m.readIdx[k]
		if m.xsub[xi] >= 0 {
			continue
		}
		if !pair {
			if float64(m.x[xi]) < m.readMin[k] {
				return false
			}
		} else if da > 0 {
			mMax = math.Min(mMax, math.Max(m.eps*float64(m.x[xi]), 1)/(m.readNu[k]*da))
		}
	}
	// 3. The leap's own change of T.
	if net := math.Abs(a[0]*float64(dT[0]) + a[1]*float64(dT[1])); net > 0 {
		mMax = math.Min(mMax, allowT/net)
	}
	// 4. A pair: every reactant but a first-order limiting one changes by
	// at most ε of its count (mean and two standard deviations). A
	// single: its reactants change by at most ε of themselves (the
	// adaptive method's self limit).
	for d, i := range ins {
		if i < 0 || !(a[d] > 0) {
			continue
		}
		inv := 0.0
		for k := n.rStart[i]; k < n.rStart[i+1]; k++ {
			xi := n.rIdx[k]
			nu := m.nu[k]
			if xi == xa {
				nu = math.Abs(float64(dT[d]))
			}
			if !pair {
				X := float64(eff(xi))
				if X <= 0 {
					return false
				}
				inv += float64(n.rP[k]) * math.Max(nu, 1) / X
				continue
			}
			if (k == lim[d] && n.rP[k] == 1) || nu == 0 {
				continue
			}
			c := m.eps * float64(eff(xi)) / nu // allowed |change| in firings
			var y float64                      // √m with da·m + 2√(sum·m) = c
			if da > 0 {
				y = (-math.Sqrt(sum) + math.Sqrt(sum+da*c)) / da
			} else {
				y = c / (2 * math.Sqrt(sum))
			}
			mMax = math.Min(mMax, y*y)
		}
		if inv > 0 {
			mMax = math.Min(mMax, m.eps/(inv*a[d]))
		}
	}
	if !math.IsInf(mMax, 1) {
		if pair && lam*mMax < 1 {
			if lam > 0 {
				tau = math.Min(tau, -math.Log1p(-lam*mMax)/lam)
			} else {
				tau = math.Min(tau, mMax)
			}
		} else if !pair {
			tau = math.Min(tau, mMax)
		}
	}
	if !(tau > 0) || !(sum*tau >= m.jump) {
		return false
	}
	rng := &m.rng[n.vox[A]]
	var kf, kr int64
	if pair {
		mm := relax(lam, tau)
		kf = extent(rng, nmax[0], a[0], r[0], mm)
		kr = extent(rng, nmax[1], a[1], r[1], mm)
	} else if nmax[0] == math.MaxInt64 {
		kf = rng.Poisson(a[0] * tau)
	} else {
		kf = rng.Binomial(nmax[0], math.Min(1, a[0]*tau/float64(nmax[0])))
	}
	for _, i := range ins {
		if i >= 0 {
			m.exclude(i)
		}
	}
	if kf != kr {
		m.fire(A, kf-kr)
		m.normalize(s)
	} else {
		m.flush()
	}
	m.leaping[u] = true
	m.oclk.set(m.uSlot0+u, m.t+tau)
	m.st.Leaps++
	m.st.LeapFirings += kf + kr
	m.fc.many(A, kf)
	m.fc.many(B, kr)
	return true
}

// normalize moves the representative counts of active pair s along its
// line of states, by firings of its own forward channel, to the nearest
// point where none is negative (a leap may consume more of a species than
// its representative holds); its totals, and so its conditional law, do
// not change.
func (m *multiscale) normalize(s *fastSub) {
	neg := false
	for _, xi := range s.xs {
		neg = neg || m.x[xi] < 0
	}
	if !neg {
		return
	}
	for j, xi := range s.xs {
		s.vals[j] = m.x[xi]
	}
	kHi, ok := s.ch.canonical(s.vals)
	if !ok {
		return
	}
	// the current point is vals + k0·ν; the nearest valid one has k in
	// [0, kHi]
	j := 0
	for s.ch.nu[j] == 0 {
		j++
	}
	k0 := (m.x[s.xs[j]] - s.vals[j]) / s.ch.nu[j]
	shift := min(max(k0, 0), kHi) - k0
	A := s.own[0]
	n := m.n
	for c := n.chgStart[A]; c < n.chgStart[A+1]; c++ {
		if n.chgIdx[c] == s.xs[j] {
			// ν is A's change or its opposite (the chain's orientation)
			if int64(n.chgDelta[c]) != s.ch.nu[j] {
				shift = -shift
			}
			break
		}
	}
	if shift != 0 {
		m.fire(A, shift)
	}
}
