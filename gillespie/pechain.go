package gillespie

import "math"

// Partial equilibrium of one reversible pair: the quasi-stationary
// distribution (QSD) of a reaction pair A + B ⇌ C (any stoichiometry and
// powers), of a hop pair a ↔ b or of a birth–death pair ∅ ⇌ A, conditioned
// on what the pair conserves. With the pair alone firing, the state moves
// on the line x₀ + k·ν (ν: the net change of one forward firing), a
// birth–death chain in k whose stationary law follows from detailed
// balance, π(k+1)/π(k) = a_f(k)/a_r(k+1), with NeuroRD's propensities
// (falling factorials, zero when a reactant has fewer than n molecules).
// It is computed exactly by summing outward from the mode until the terms
// fall below 1e-17 of the mode's, which for the log-concave laws of mass
// action leaves out less than 1e-15 of the mass.

// factor is one reactant of a propensity or of a moment: species j (a
// position in the chain's species), threshold n, power p.
type factor struct {
	n int64
	j int32
	p int32
}

// chain is the one-dimensional fiber of a reversible pair.
type chain struct {
	xs     []int32 // x indices of the species the pair reads or changes
	nu     []int64 // change of each per forward firing
	fR, rR []factor
	cf, cr float64
	// fns are the moment functions: products of reactant factors whose
	// conditional expectations the readers need; fns[0] and fns[1] are
	// the pair's own directions (without their constants).
	fns [][]factor
}

// chainStats is what one enumeration gives: the conditional expectations
// of every moment function and species, and the pair's relaxation rate.
type chainStats struct {
	mom   []float64 // E[fns[l]]
	mean  []float64 // E[x_j]
	sd    []float64 // standard deviation of x_j
	lam   float64   // relaxation rate (1/ms): −d(a_f − a_r)/dk at the mode
	empty bool      // no state on the fiber (cannot happen for valid counts)
}

const chainInf = int64(1) << 60

// canonical shifts the counts v of the chain's species to the lowest end
// of their fiber (k = 0 there) and returns the highest k (chainInf when
// the line is unbounded, as for ∅ ⇌ A). ok is false when no point of the
// fiber has all counts non-negative.
func (c *chain) canonical(v []int64) (kHi int64, ok bool) {
	kLo, kHi := -chainInf, chainInf
	for j, nu := range c.nu {
		switch {
		case nu > 0: // x_j + k·ν ≥ 0 ⇔ k ≥ ⌈−x_j/ν⌉
			kLo = max(kLo, ceilDiv(-v[j], nu))
		case nu < 0: // k ≤ ⌊x_j/(−ν)⌋
			kHi = min(kHi, floorDiv(v[j], -nu))
		}
	}
	if kLo == -chainInf {
		// Unbounded below cannot happen for a pair with a reactant on each
		// side; treat the current point as the lowest.
		kLo = 0
	}
	if kHi < kLo {
		return 0, false
	}
	for j, nu := range c.nu {
		v[j] += kLo * nu
	}
	if kHi == chainInf {
		return chainInf, true
	}
	return kHi - kLo, true
}

func ceilDiv(a, b int64) int64 { // b > 0
	q := a / b
	if a%b != 0 && a > 0 {
		q++
	}
	return q
}

func floorDiv(a, b int64) int64 { // b > 0
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func (c *chain) prod(fs []factor, b []int64, k int64) float64 {
	v := 1.0
	for _, f := range fs {
		X := b[f.j] + k*c.nu[f.j]
		if X < f.n {
			return 0
		}
		v *= falling(X, f.p)
	}
	return v
}

func (c *chain) af(b []int64, k int64) float64 { return c.cf * c.prod(c.fR, b, k) }
func (c *chain) ar(b []int64, k int64) float64 { return c.cr * c.prod(c.rR, b, k) }

// mode returns the most probable k in [0, kHi] of the canonical fiber b:
// the first k where the law stops increasing, af(k) ≤ ar(k+1), found by
// exponential and binary search (the ratio decreases along the fiber for
// mass action).
func (c *chain) mode(b []int64, kHi int64) int64 {
	up := func(k int64) bool { return k < kHi && c.af(b, k) > c.ar(b, k+1) }
	if !up(0) {
		return 0
	}
	lo, step := int64(0), int64(1) // up(lo) holds
	hi := lo + step
	for hi < kHi && up(hi) {
		lo = hi
		step *= 2
		hi = lo + step
	}
	hi = min(hi, kHi)
	for hi-lo > 1 { // up(lo), !up(hi)
		mid := lo + (hi-lo)/2
		if up(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// walk calls visit(k, w) for the states of the canonical fiber b with
// non-negligible weight, w relative to the mode's (w = 1 there), the mode
// first, then upward, then downward.
func (c *chain) walk(b []int64, kHi int64, visit func(k int64, w float64)) int64 {
	const tiny = 1e-17
	m := c.mode(b, kHi)
	visit(m, 1)
	w := 1.0
	for k := m; k < kHi; k++ {
		f, r := c.af(b, k), c.ar(b, k+1)
		if !(f > 0) || !(r > 0) {
			break
		}
		if w *= f / r; w < tiny {
			break
		}
		visit(k+1, w)
	}
	w = 1.0
	for k := m; k > 0; k-- {
		r, f := c.ar(b, k), c.af(b, k-1)
		if !(f > 0) || !(r > 0) {
			break
		}
		if w *= r / f; w < tiny {
			break
		}
		visit(k-1, w)
	}
	return m
}

// stats computes the conditional expectations on the canonical fiber b
// into s (whose slices are sized by the caller).
func (c *chain) stats(b []int64, kHi int64, s *chainStats) {
	for l := range s.mom {
		s.mom[l] = 0
	}
	for j := range s.mean {
		s.mean[j], s.sd[j] = 0, 0
	}
	z := 0.0
	m := c.walk(b, kHi, func(k int64, w float64) {
		z += w
		for l, fs := range c.fns {
			s.mom[l] += w * c.prod(fs, b, k)
		}
		for j := range s.mean {
			x := float64(b[j] + k*c.nu[j])
			s.mean[j] += w * x
			s.sd[j] += w * x * x
		}
	})
	for l := range s.mom {
		s.mom[l] /= z
	}
	for j := range s.mean {
		s.mean[j] /= z
		s.sd[j] = math.Sqrt(math.Max(0, s.sd[j]/z-s.mean[j]*s.mean[j]))
	}
	// Relaxation rate: the slope of the net forward rate at the mode
	// (exact for first-order exchanges: kf + kr).
	var lam float64
	if m < kHi {
		lam = c.af(b, m) - c.af(b, m+1) + c.ar(b, m+1) - c.ar(b, m)
	} else if m > 0 {
		lam = c.af(b, m-1) - c.af(b, m) + c.ar(b, m) - c.ar(b, m-1)
	}
	s.lam = lam
}

// sample draws k from the law on the canonical fiber b (weights kept in
// buf, which is returned for reuse) and writes the state b + k·ν into v.
func (c *chain) sample(b []int64, kHi int64, rng *Stream, v []int64, buf []float64) []float64 {
	buf = buf[:0]
	var ks []int64
	z := 0.0
	c.walk(b, kHi, func(k int64, w float64) {
		z += w
		buf = append(buf, w)
		ks = append(ks, k)
	})
	u := rng.Float64() * z
	k := ks[len(ks)-1]
	for i, w := range buf {
		if u -= w; u < 0 {
			k = ks[i]
			break
		}
	}
	for j := range v {
		v[j] = b[j] + k*c.nu[j]
	}
	return buf
}
