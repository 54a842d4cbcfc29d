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
	for d, i := range s.dInst {
		r := m.propWith(i, s, s.dFn[d])
		if r == 0 {
			continue
		}
		for k := s.dStart[d]; k < s.dStart[d+1]; k++ {
			dl := float64(s.dDelta[k])
			v[s.dPos[k]] += r * dl
			if dl < 0 {
				cons[s.dPos[k]] -= r * dl
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
	// channels at a rate at most √ε of the relaxation rate.
	for j := 0; j < nj; j++ {
		if s.ch.nu[j] == 0 {
			continue
		}
		if cons[j]/math.Max(st.mean[j], 1) > m.rootEps*st.lam {
			return false
		}
	}
	// Lag: δ = (v − J·v)/λ, J the response of the conditional means to
	// one more molecule of each species (finite differences).
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
	if !s.lin.ok || !m.fast(s) {
		if s.active && s.shift != 0 {
			m.setShift(s, 0)
		}
		return s.lagRatio <= f
	}
	return m.correct(s, dev, f, hard)
}

// correct is the lag check of a linear pair A ⇌ C: such a pair is first
// order, its molecules independent, so its lag under a drift that
// changes little over 1/λ is the deterministic δ = (I − J)·v/λ to first
// order in the separation, and the pair stays (or enters) with δ_A added
// to the conditional mean of A (the shift); the terms left are of second
// order in the separation, which its check bounds by ε. The check is then
// on what the shift in effect since the last check missed (at a stimulus
// edge the shift changes at once: the lag builds up within 1/λ), and that
// the shifted mean of A lies in [0, T].
func (m *multiscale) correct(s *fastSub, dev []float64, f float64, hard bool) bool {
	st := &s.st
	a := s.lin.a
	want := dev[a] / st.lam
	T := float64(m.x[s.xs[a]] + m.x[s.xs[s.lin.c]])
	ea := st.mean[a] - s.shift // A's unshifted conditional mean
	if ea+want < 0 || ea+want > T {
		return false
	}
	s.corrected = true
	s.pending = want
	if !s.active {
		s.lagRatio = 0
		return true
	}
	s.lagRatio = 0
	for j := range s.xs {
		if s.ch.nu[j] == 0 || m.atOnce(s, hard) {
			continue
		}
		h := 0.0
		switch int32(j) {
		case a:
			h = s.shift
		case s.lin.c:
			h = -s.shift
		}
		s.lagRatio = math.Max(s.lagRatio, math.Abs(dev[j]/st.lam-h)/(m.eps*math.Max(st.mean[j], 1)))
	}
	m.setShift(s, want)
	return s.lagRatio <= f
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

// setShift sets the drift correction of active linear pair s and
// updates its statistics and its readers' propensities.
func (m *multiscale) setShift(s *fastSub, shift float64) {
	s.shift = shift
	m.linearStats(s, &s.st)
	for _, r := range s.rdInst {
		m.setA(r)
	}
}
