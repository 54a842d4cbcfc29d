package gillespie

import (
	"math"
	"slices"
)

// Error control of the multiscale engine: the checks that decide when a
// subsystem enters and leaves partial equilibrium (package documentation,
// "Multiscale").

// smooth returns the drift estimate of s to judge its lag by: the drift
// v measured now, averaged with the earlier estimates over the last
// relaxation time of s (an exponential average of time constant 1/λ,
// the filter through which a drift becomes a lag, started from no drift
// at the start of the run: a slow subsystem's lag has had only the run's
// time to build up); a hard check takes v as it is.
func (m *multiscale) smooth(s *fastSub, v []float64, hard bool) []float64 {
	if len(s.rbar) != len(v) {
		s.rbar = make([]float64, len(v))
		s.tBar = m.t0
	}
	w := 1.0
	if !hard && m.t >= s.tBar {
		w = -math.Expm1(-(m.t - s.tBar) * s.st.lam)
	}
	for j, x := range v {
		s.rbar[j] += w * (x - s.rbar[j])
	}
	s.tBar = m.t
	return s.rbar
}

// smoothSources filters the production of A and C of linear pair s by
// its slow channels (molecules/ms, now: jA and jC) as smooth filters the
// drift, into s.jBar; it must run before smooth, which moves the
// filter's clock.
func (m *multiscale) smoothSources(s *fastSub, jA, jC float64, hard bool) {
	tBar := s.tBar
	if len(s.rbar) != len(s.xs) {
		s.jBar, tBar = [2]float64{}, m.t0
	}
	w := 1.0
	if !hard && m.t >= tBar {
		w = -math.Expm1(-(m.t - tBar) * s.st.lam)
	}
	s.jBar[0] += w * (jA - s.jBar[0])
	s.jBar[1] += w * (jC - s.jBar[1])
}

// judge runs the error control of s (whose statistics are fresh) and
// applies the persistence rule: the drift is estimated from the current
// counts of the channels that read species outside s, so a single
// failing check may be noise; a failure counts when it persists over one
// relaxation time of s (no passing check in between) or when hard (a
// stimulus edge changed the drift). An active s stays unless a failure
// counts. A candidate enters when the check passes now, at half the lag
// bound, and has kept passing, with no failure counting, for the time in
// which the deviation left by its failures decays below the bound: the
// lag measured while it failed, ρ times the bound, decays as e^(−λt), so
// ln(ρ)/λ; when that lag is unknown (a failure of separation, or a
// candidate that was never checked) ln(max(1/ε, ρ₀))/λ, ρ₀ its present
// deviation from its conditional means over the bound (relaxTime).
// wait reports that it passes but is still waiting.
func (m *multiscale) judge(s *fastSub, hard bool) (ok, wait bool) {
	f := 1.0
	if !s.active {
		f = 0.5
	}
	st := &s.st
	if st.empty || !(st.lam > 0) {
		s.tPass, s.tFail = math.Inf(1), math.Inf(1)
		return false, false
	}
	if m.checkAt(s, f, hard) {
		s.tFail = math.Inf(1)
		if s.active {
			return true, false
		}
		if math.IsInf(s.tPass, 1) {
			s.tPass = m.t
			if math.IsInf(s.maxRatio, 1) {
				s.wait = m.relaxTime(s)
			} else {
				s.wait = math.Log(math.Max(s.maxRatio/f, 1)) / st.lam
			}
			s.maxRatio = 0
		}
		if m.t-s.tPass >= s.wait {
			return true, false
		}
		return false, true
	}
	if math.IsInf(s.tFail, 1) {
		s.tFail = m.t
	}
	// A cluster whose reactions consume molecules of some voxel faster
	// than the cluster mixes is released at once: waiting a relaxation
	// time of a slow cluster lets the sink draw on the whole cluster.
	if hard || s.sepFail || m.t-s.tFail >= 1/st.lam {
		s.tPass = math.Inf(1)
		s.maxRatio = math.Max(s.maxRatio, s.lagRatio)
		return false, false
	}
	return s.active, false
}

// relaxTime is how long a candidate must keep passing its check before
// it enters partial equilibrium: the time in which its present deviation
// from the conditional means decays to ε of the means (at least one
// molecule's), at least ln(1/ε) relaxation times: ln(max(1/ε, ρ))/λ with
// ρ = max |x − E[x]| / (ε·max(E[x], 1)) over its species.
func (m *multiscale) relaxTime(s *fastSub) float64 {
	rho := 1 / m.eps
	for j, xi := range s.xs {
		if s.kind == subPair && s.ch.nu[j] == 0 {
			continue
		}
		e := s.st.mean[j]
		rho = math.Max(rho, math.Abs(float64(m.x[xi])-e)/(m.eps*math.Max(e, 1)))
	}
	return math.Log(rho) / s.st.lam
}

// checkAt evaluates the error control of subsystem s at its current
// statistics: the separation of timescales and the lag of its means
// behind the quasi-stationary ones under the slow channels' drift, the
// lag bound scaled by f (f < 1 at entry, so that a subsystem near the
// bound does not flicker in and out). It returns false when s must not
// be (or stay) in partial equilibrium.
func (m *multiscale) checkAt(s *fastSub, f float64, hard bool) bool {
	if s.kind == subCluster {
		return m.checkCluster(s, f, hard)
	}
	st := &s.st
	s.lagRatio = math.Inf(1) // unknown until the lag is computed
	if st.empty || !(st.lam > 0) {
		return false
	}
	nj := len(s.xs)
	v := make([]float64, nj)    // drift of each species (molecules/ms)
	cons := make([]float64, nj) // gross consumption by slow channels
	// A linear pair that is fast takes its slow channels' first-order
	// consumption of A and C exactly (linearManifold); consN is the
	// consumption by the others (not first order in the species, or
	// reading both), which keep the separation rule.
	exact := s.lin.ok && m.fast(s)
	var consN [2]float64 // of A, of C
	for d, i := range s.dInst {
		r := m.propWith(i, s, s.dFn[d])
		if r == 0 {
			continue
		}
		for k := s.dStart[d]; k < s.dStart[d+1]; k++ {
			dl := float64(s.dDelta[k])
			j := s.dPos[k]
			v[j] += r * dl
			if dl < 0 {
				cons[j] -= r * dl
			}
			if exact && (j == s.lin.a || j == s.lin.c) && !m.firstOrder(s, d, j, dl) {
				consN[b2i(j == s.lin.c)] += r * math.Abs(dl)
			}
		}
	}
	if s.active {
		for j := 0; j < nj; j++ {
			if !s.mask[j] && s.ch.nu[j] != 0 && !m.abundant(s, j, 1) {
				return false
			}
		}
	}
	// Separation: a molecule of any species must be consumed by slow
	// channels at a rate at most √ε of the relaxation rate (for the A and
	// C of a linear pair taken exactly: by the channels it does not take
	// exactly, and its molecules must leave the pair at most at √ε of the
	// rate at which they relax, linearManifold).
	for j := 0; j < nj; j++ {
		if s.ch.nu[j] == 0 {
			continue
		}
		c := cons[j]
		if exact && (int32(j) == s.lin.a || int32(j) == s.lin.c) {
			c = consN[b2i(int32(j) == s.lin.c)]
		}
		if c/math.Max(st.mean[j], 1) > m.rootEps*st.lam {
			return false
		}
	}
	if exact {
		a, c := s.lin.a, s.lin.c
		s.linKA = perMolecule(cons[a], st.mean[a])
		s.linKC = perMolecule(cons[c], st.mean[c])
		if slow, fastRate := m.killedRates(s); slow > m.rootEps*fastRate {
			return false
		}
	}
	// Lag: δ = (v − J·v)/λ, J the response of the conditional means to
	// one more molecule of each species (finite differences).
	if exact {
		// the production of A and C by the slow channels (their drift
		// plus their consumption), filtered as the drift is
		a, c := s.lin.a, s.lin.c
		m.smoothSources(s, v[a]+cons[a], v[c]+cons[c], hard)
	}
	v = m.smooth(s, v, hard)
	dev := slices.Clone(v)
	var nb chainStats
	nb.mom = make([]float64, len(st.mom))
	nb.mean = make([]float64, nj)
	nb.sd = make([]float64, nj)
	w := make([]int64, nj)
	for j := 0; j < nj; j++ {
		if v[j] == 0 {
			continue
		}
		for i, xi := range s.xs {
			w[i] = m.x[xi]
		}
		w[j]++
		if s.active && s.lin.ok {
			m.x[s.xs[j]]++
			m.linearStats(s, &nb)
			m.x[s.xs[j]]--
		} else if !m.lookup(s, w, &nb) {
			return false
		}
		for i := 0; i < nj; i++ {
			dev[i] -= v[j] * (nb.mean[i] - st.mean[i])
		}
	}
	s.lagRatio = 0
	for j := 0; j < nj; j++ {
		if s.ch.nu[j] == 0 {
			continue
		}
		s.lagRatio = math.Max(s.lagRatio, math.Abs(dev[j])/st.lam/(m.eps*math.Max(st.mean[j], 1)))
	}
	// A linear pair's uncorrected ratio stays when its correction fails
	// (a shifted mean outside [0, T]): judge's entry wait reads it.
	s.corrected = false
	if !exact {
		if s.active && s.man {
			m.setManifold(s, false, 0, 0)
		}
		return s.lagRatio <= f
	}
	return m.correct(s, dev, f, hard)
}

// correct is the lag check of a linear pair A ⇌ C that is fast: its
// molecules are independent, and under slow channels that consume them
// at first order and produce them at rates that do not depend on the
// pair, the means of A and C keep to the slow manifold of their linear
// dynamics, A = r·T + c (linearManifold), exact for constant rates; the
// pair stays (or enters) with that law, its conditional mean of A
// following the total between checks as the dynamics do. The check is
// then on what the manifold in effect since the last check missed at the
// current total (at a stimulus edge the manifold changes at once: the
// lag builds up within 1/λ), that the mean lies in [0, T], and that the
// variance of the total stays within 2√ε of what independent molecules
// give (linearManifold).
func (m *multiscale) correct(s *fastSub, dev []float64, f float64, hard bool) bool {
	st := &s.st
	a, c := s.lin.a, s.lin.c
	T := float64(m.x[s.xs[a]] + m.x[s.xs[c]])
	r, off, infl := m.linearManifold(s)
	if infl > 2*m.rootEps {
		s.lagRatio = math.Inf(1)
		return false
	}
	eNew := r*T + off
	if eNew < 0 || eNew > T {
		return false
	}
	s.corrected = true
	s.pendR, s.pendOff = r, off
	if !s.active {
		s.lagRatio = 0
		return true
	}
	s.lagRatio = 0
	eOld := st.mean[a] // under the manifold in effect, or the equilibrium
	for j := range s.xs {
		if s.ch.nu[j] == 0 || m.atOnce(s, hard) {
			continue
		}
		miss := dev[j] / st.lam
		switch int32(j) {
		case a:
			miss = eNew - eOld
		case c:
			miss = eOld - eNew
		}
		s.lagRatio = math.Max(s.lagRatio, math.Abs(miss)/(m.eps*math.Max(st.mean[j], 1)))
	}
	m.setManifold(s, true, r, off)
	return s.lagRatio <= f
}

// firstOrder reports whether drift instance d of linear pair s changes
// species j (A or C) by dl in the way linearManifold takes exactly: it
// consumes j (dl < 0) at a rate proportional to j and reads no other
// species of the pair, or it produces j (dl > 0) reading neither.
func (m *multiscale) firstOrder(s *fastSub, d int, j int32, dl float64) bool {
	var fs []factor
	if fn := s.dFn[d]; fn >= 0 {
		fs = s.ch.fns[fn]
	}
	reads := 0
	own := false
	for _, f := range fs {
		if f.j != s.lin.a && f.j != s.lin.c {
			continue
		}
		reads++
		own = f.j == j && f.p == 1 && f.n <= 1
	}
	if dl > 0 {
		return reads == 0
	}
	return dl == -1 && reads == 1 && own
}

// perMolecule is a consumption rate per molecule: rate over mean (0
// without molecules).
func perMolecule(rate, mean float64) float64 {
	if !(mean > 0) {
		return 0
	}
	return rate / mean
}

// killedRates returns the two relaxation rates of one molecule of linear
// pair s under its slow channels' first-order consumption: the chain
// A ⇌ C (α, β per molecule) killed at linKA in A and linKC in C. The
// slow one is the rate at which molecules leave the pair once they have
// relaxed, the fast one the rate at which they relax (λ when nothing
// consumes them).
func (m *multiscale) killedRates(s *fastSub) (slow, fast float64) {
	alpha, beta := m.linAB(s)
	tr := alpha + beta + s.linKA + s.linKC
	det := alpha*s.linKC + beta*s.linKA + s.linKA*s.linKC
	disc := math.Sqrt(math.Max(tr*tr-4*det, 0))
	fast = (tr + disc) / 2
	if fast > 0 {
		slow = det / fast // the smaller root, without cancellation
	}
	return slow, fast
}

// linearManifold returns the slow manifold of linear pair s, A = r·T + c
// (A its species that the forward channel consumes, T = A + C), and the
// inflation of the variance of T it implies. Each molecule runs A ⇌ C at
// α and β per molecule; the slow channels consume A at kA and C at kC per
// molecule (first order) and produce them at J_A and J_C, rates that do
// not depend on the pair (the consumption and production its last check
// measured, the production filtered as the drift is, smoothSources). The
// means then keep A = r·T + c: r, the fraction of A in the
// quasi-stationary law of a molecule not yet consumed, solves
// Δk·r² − (λ + Δk)·r + β = 0 (Δk = kA − kC, λ = α + β), and
// c = (J_A − r·J)/(λ + kA − r·Δk), J = J_A + J_C; exact for constant
// rates, whatever their ratio to λ, and without consumption the
// first-order lag (π·J_A − (1 − π)·J_C)/λ. The pair's total, drawn by
// the slow channels at the manifold's means, is a birth–death process
// whose death rate has the part Δk·c that does not grow with T: its
// variance exceeds the Poisson variance of independent molecules by the
// factor 1 + |Δk·c|/(ρ·T), ρ = kA·r + kC·(1 − r) the rate at which a
// relaxed molecule leaves the pair; infl is that excess.
func (m *multiscale) linearManifold(s *fastSub) (r, c, infl float64) {
	alpha, beta := m.linAB(s)
	kA, kC := s.linKA, s.linKC
	jA, jC := s.jBar[0], s.jBar[1]
	dk := kA - kC
	lam := alpha + beta
	disc := (alpha+dk-beta)*(alpha+dk-beta) + 4*alpha*beta
	r = 2 * beta / (lam + dk + math.Sqrt(disc))
	c = (jA - r*(jA+jC)) / (lam + kA - r*dk)
	T := float64(m.x[s.xs[s.lin.a]] + m.x[s.xs[s.lin.c]])
	if x := math.Abs(dk * c); x > 0 {
		infl = x / ((kA*r + kC*(1-r)) * T)
		if math.IsNaN(infl) {
			infl = math.Inf(1)
		}
	}
	return r, c, infl
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// atOnce reports whether a check of s at a stimulus edge (hard) may take
// the new drift correction at once: s is fast.
func (m *multiscale) atOnce(s *fastSub, hard bool) bool {
	return hard && m.fast(s)
}

// fast reports whether s relaxes, in 1/λ, within ε of the length of the
// current segment between stimulus edges: its lag then builds up (after
// an edge) and follows the drift (within the segment) in a negligible
// part of the segment, the condition of the drift correction.
func (m *multiscale) fast(s *fastSub) bool {
	if m.t < m.segFrom || m.t >= m.segTo {
		sys := m.n.sys
		m.segFrom, m.segTo = sys.StartMs, sys.EndMs
		for k := range sys.Stimuli {
			st := &sys.Stimuli[k]
			m.segFrom = math.Max(m.segFrom, st.PrevEdge(m.t))
			m.segTo = math.Min(m.segTo, st.NextEdge(m.t))
		}
	}
	return 1/s.st.lam <= m.eps*(m.segTo-m.segFrom)
}

// setManifold sets the drift correction of active linear pair s (on:
// E[A | T] = r·T + off) and updates its statistics and its readers'
// propensities.
func (m *multiscale) setManifold(s *fastSub, on bool, r, off float64) {
	s.man, s.manR, s.manOff = on, r, off
	m.linearStats(s, &s.st)
	for _, r := range s.rdInst {
		m.setA(r)
	}
}
