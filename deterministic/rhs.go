package deterministic

import (
	"math"

	"github.com/spinerd/spinerd/model"
)

// problem is the right-hand side of the deterministic limit of a compiled
// system, in molecules: the state y[v·ns+s] is the (real) number of
// molecules of species s in voxel v, and
//
//	dy/dt = Σ_channels Δ·k_v·Π y_r^p_r  +  Σ_hops (rate·y_from into to, out of from)  +  injections.
//
// Falling factorials X(X−1)…(X−p+1) become powers y^p (the continuum
// limit); a reactant with n > 1 is consumed n per firing through Δ. Unless
// signed is set, rates read reactant amounts clamped at 0 (see
// Options.ClampRates).
type problem struct {
	n      int // number of unknowns (voxels × species)
	ns, nv int
	// Reaction terms, flattened. Term i has reactants
	// react[rOff[i]:rOff[i+1]] with powers pow[...] and changes
	// chg[cOff[i]:cOff[i+1]] with deltas delta[...].
	k      []float64
	rOff   []int32
	react  []int32
	pow    []int8
	cOff   []int32
	chg    []int32
	delta  []float64
	hopK   []float64 // per molecule per ms
	hopSrc []int32
	hopDst []int32
	// Injection: per stimulus, the target unknowns and shares.
	injIdx   [][]int32
	injShare [][]float64
	injRate  []float64 // current total rate of each stimulus, molecules/ms

	// Jacobian in CSR (pattern fixed): row pointers, column indices, and
	// for each term and each (change, reactant) pair the value position.
	jp   []int32
	ji   []int32
	jpos []int32 // per term: len(changes)·len(reactants) positions, change-major
	jOff []int32
	hpos [][2]int32 // per hop: positions of (src,src) and (dst,src)
	diag []int32    // position of (i,i)
	sym  *luSymbolic

	scratch []float64
	// frozen unknowns have dy/dt = 0 (clamped species).
	frozen []int32
	// signed makes rates use the amounts as they are, negative ones
	// included (not Options.ClampRates); otherwise reactant amounts are
	// clamped at 0.
	signed bool

	// The layout eval uses: the rates of first-order terms (one reactant,
	// power 1: k1, a1), then of second-order ones (two reactants, power 1
	// each: k2, a2, b2), then of the rest (gTerm, original term indices),
	// go to rate in that order; then dy/dt is S·rate row by row, S the
	// stoichiometry in CSR by unknown (sp, st indexing rate, sd).
	k1, k2     []float64
	a1, a2, b2 []int32
	gTerm      []int32
	rate       []float64
	sp, st     []int32
	sd         []float64
}

// newProblem builds the right-hand side of sys; the structure that does
// not depend on rate values (Jacobian pattern, LU analysis) comes from
// cache when it holds one for the same equations (cache may be nil).
func newProblem(sys *model.System, cache *Cache) *problem {
	ns, nv := len(sys.Species), sys.NumVoxels()
	p := &problem{n: ns * nv, ns: ns, nv: nv}
	p.rOff = append(p.rOff, 0)
	p.cOff = append(p.cOff, 0)
	for v := 0; v < nv; v++ {
		base := int32(v * ns)
		for ci := range sys.Channels {
			c := &sys.Channels[ci]
			k := c.Const(v)
			if k == 0 || len(c.Changes) == 0 {
				continue
			}
			p.k = append(p.k, k)
			for _, r := range c.Reactants {
				if r.Power == 0 {
					continue
				}
				p.react = append(p.react, base+int32(r.Species))
				p.pow = append(p.pow, int8(r.Power))
			}
			for _, ch := range c.Changes {
				p.chg = append(p.chg, base+int32(ch.Species))
				p.delta = append(p.delta, float64(ch.Delta))
			}
			p.rOff = append(p.rOff, int32(len(p.react)))
			p.cOff = append(p.cOff, int32(len(p.chg)))
		}
	}
	for _, h := range sys.Hops {
		if h.RatePerMs == 0 {
			continue
		}
		p.hopK = append(p.hopK, h.RatePerMs)
		p.hopSrc = append(p.hopSrc, int32(h.From*ns+h.Species))
		p.hopDst = append(p.hopDst, int32(h.To*ns+h.Species))
	}
	for _, st := range sys.Stimuli {
		var idx []int32
		for _, v := range st.Targets {
			idx = append(idx, int32(v*ns+st.Species))
		}
		p.injIdx = append(p.injIdx, idx)
		p.injShare = append(p.injShare, st.Shares)
	}
	p.injRate = make([]float64, len(sys.Stimuli))
	if st := cache.get(p); st != nil {
		p.jp, p.ji, p.jpos, p.jOff, p.hpos, p.diag, p.sym = st.jp, st.ji, st.jpos, st.jOff, st.hpos, st.diag, st.sym
	} else {
		p.pattern()
		p.sym = analyse(p.n, p.jp, p.ji)
		cache.put(p)
	}
	p.rateLayout()
	return p
}

// rateLayout builds the rate classes and the stoichiometry rows eval
// uses (see problem).
func (p *problem) rateLayout() {
	nt := len(p.k)
	pos := make([]int32, nt) // term → position in rate
	var order []int32
	for pass := 0; pass < 3; pass++ {
		for t := 0; t < nt; t++ {
			r0, r1 := p.rOff[t], p.rOff[t+1]
			first := r1-r0 == 1 && p.pow[r0] == 1
			second := r1-r0 == 2 && p.pow[r0] == 1 && p.pow[r0+1] == 1
			switch {
			case pass == 0 && first:
				p.k1 = append(p.k1, p.k[t])
				p.a1 = append(p.a1, p.react[r0])
			case pass == 1 && second:
				p.k2 = append(p.k2, p.k[t])
				p.a2 = append(p.a2, p.react[r0])
				p.b2 = append(p.b2, p.react[r0+1])
			case pass == 2 && !first && !second:
				p.gTerm = append(p.gTerm, int32(t))
			default:
				continue
			}
			pos[t] = int32(len(order))
			order = append(order, int32(t))
		}
	}
	p.rate = make([]float64, nt)
	count := make([]int32, p.n+1)
	for _, c := range p.chg {
		count[c+1]++
	}
	p.sp = make([]int32, p.n+1)
	for i := 0; i < p.n; i++ {
		p.sp[i+1] = p.sp[i] + count[i+1]
	}
	p.st = make([]int32, len(p.chg))
	p.sd = make([]float64, len(p.chg))
	next := append([]int32(nil), p.sp[:p.n]...)
	for _, t := range order {
		for c := p.cOff[t]; c < p.cOff[t+1]; c++ {
			i := p.chg[c]
			p.st[next[i]] = pos[t]
			p.sd[next[i]] = p.delta[c]
			next[i]++
		}
	}
	// The unchecked loops of eval rely on these.
	checkIndices("reactant", p.a1, p.n)
	checkIndices("reactant", p.a2, p.n)
	checkIndices("reactant", p.b2, p.n)
	checkIndices("rate", p.st, nt)
	checkIndices("stoichiometry row", p.sp, len(p.st)+1)
}

// pattern builds the Jacobian's CSR structure (the diagonal always
// included) and the positions each term writes to.
func (p *problem) pattern() {
	rows := make([]map[int32]struct{}, p.n)
	for i := range rows {
		rows[i] = map[int32]struct{}{int32(i): {}}
	}
	nt := len(p.k)
	for t := 0; t < nt; t++ {
		for _, c := range p.chg[p.cOff[t]:p.cOff[t+1]] {
			for _, r := range p.react[p.rOff[t]:p.rOff[t+1]] {
				rows[c][r] = struct{}{}
			}
		}
	}
	for h := range p.hopK {
		rows[p.hopDst[h]][p.hopSrc[h]] = struct{}{}
	}
	p.jp = make([]int32, p.n+1)
	for i, r := range rows {
		cols := make([]int32, 0, len(r))
		for c := range r {
			cols = append(cols, c)
		}
		sortInt32(cols)
		p.ji = append(p.ji, cols...)
		p.jp[i+1] = int32(len(p.ji))
	}
	p.diag = make([]int32, p.n)
	for i := range p.diag {
		p.diag[i] = p.find(int32(i), int32(i))
	}
	p.jOff = append(p.jOff[:0], 0)
	for t := 0; t < nt; t++ {
		for _, c := range p.chg[p.cOff[t]:p.cOff[t+1]] {
			for _, r := range p.react[p.rOff[t]:p.rOff[t+1]] {
				p.jpos = append(p.jpos, p.find(c, r))
			}
		}
		p.jOff = append(p.jOff, int32(len(p.jpos)))
	}
	p.hpos = make([][2]int32, len(p.hopK))
	for h := range p.hopK {
		p.hpos[h] = [2]int32{p.find(p.hopSrc[h], p.hopSrc[h]), p.find(p.hopDst[h], p.hopSrc[h])}
	}
}

func (p *problem) find(row, col int32) int32 {
	lo, hi := p.jp[row], p.jp[row+1]
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case p.ji[m] < col:
			lo = m + 1
		case p.ji[m] > col:
			hi = m
		default:
			return m
		}
	}
	panic("deterministic: Jacobian entry outside the pattern")
}

func sortInt32(a []int32) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func ipow(x float64, p int8) float64 {
	switch p {
	case 0:
		return 1
	case 1:
		return x
	case 2:
		return x * x
	case 3:
		return x * x * x
	case 4:
		x2 := x * x
		return x2 * x2
	}
	return math.Pow(x, float64(p))
}

// eval writes dy/dt (molecules/ms) at y into f.
// stoichProduct sets f[i] to Σ_q sd[q]·rate[st[q]] over species i's
// row sp[i]:sp[i+1] of the stoichiometry (st, sd given by their first
// elements). It is a function of its own so that the compiler keeps its
// few values in registers: inlined into eval, the loop reloaded its bound
// and a spilled value every iteration, and its speed changed by 2× with
// the placement of unrelated code.
//
//go:noinline
func stoichProduct(f []float64, sp []int32, stp *int32, sdp, rp *float64) {
	sp = sp[:len(f)+1]
	lo := sp[0]
	for i := range f {
		hi := sp[i+1]
		s := 0.0
		for q := lo; q < hi; q++ {
			s += f64(sdp, q) * f64(rp, i32(stp, q))
		}
		f[i] = s
		lo = hi
	}
}

func (p *problem) eval(y, f []float64) {
	rate := p.rate
	n1, n2 := len(p.k1), len(p.k2)
	r1, r2, rg := rate[:n1], rate[n1:n1+n2], rate[n1+n2:]
	a1, a2, b2 := p.a1[:n1], p.a2[:n2], p.b2[:n2]
	if p.signed && len(y) > 0 {
		yp := &y[0]
		for t, k := range p.k1 {
			r1[t] = k * f64(yp, a1[t])
		}
		for t, k := range p.k2 {
			r2[t] = k * f64(yp, a2[t]) * f64(yp, b2[t])
		}
	} else {
		for t, k := range p.k1 {
			r1[t] = k * max(y[a1[t]], 0)
		}
		for t, k := range p.k2 {
			r2[t] = k * max(y[a2[t]], 0) * max(y[b2[t]], 0)
		}
	}
	for g, t := range p.gTerm {
		r := p.k[t]
		for j := p.rOff[t]; j < p.rOff[t+1]; j++ {
			x := y[p.react[j]]
			if !p.signed {
				x = max(x, 0)
			}
			r *= ipow(x, p.pow[j])
		}
		rg[g] = r
	}
	if len(p.st) > 0 {
		stoichProduct(f[:p.n], p.sp[:p.n+1], &p.st[0], &p.sd[0], &rate[0])
	} else {
		clear(f)
	}
	src, dst := p.hopSrc, p.hopDst
	for h, k := range p.hopK {
		x := y[src[h]]
		if x <= 0 && !p.signed {
			continue
		}
		fl := k * x
		f[src[h]] -= fl
		f[dst[h]] += fl
	}
	p.inject(f)
	for _, i := range p.frozen {
		f[i] = 0
	}
}

// inject adds the current injection fluxes to f.
func (p *problem) inject(f []float64) {
	for s, rate := range p.injRate {
		if rate == 0 {
			continue
		}
		for j, i := range p.injIdx[s] {
			f[i] += rate * p.injShare[s][j]
		}
	}
}

// jacobian writes ∂f/∂y at y into jv (values on the CSR pattern).
func (p *problem) jacobian(y, jv []float64) {
	clear(jv)
	if cap(p.scratch) < 8 {
		p.scratch = make([]float64, 8)
	}
	nt := len(p.k)
	for t := 0; t < nt; t++ {
		rs := p.react[p.rOff[t]:p.rOff[t+1]]
		ps := p.pow[p.rOff[t]:p.rOff[t+1]]
		d := p.scratch[:0]
		if p.signed && len(rs) <= 2 {
			// The common shapes, signed: k·x^a and k·x^a·z^b.
			k := p.k[t]
			switch len(rs) {
			case 1:
				x, a := y[rs[0]], ps[0]
				d = append(d, k*float64(a)*ipow(x, a-1))
			case 2:
				x, a, z, b := y[rs[0]], ps[0], y[rs[1]], ps[1]
				d = append(d, k*float64(a)*ipow(x, a-1)*ipow(z, b), k*ipow(x, a)*float64(b)*ipow(z, b-1))
			}
			pos := p.jpos[p.jOff[t]:p.jOff[t+1]]
			q := 0
			for c := p.cOff[t]; c < p.cOff[t+1]; c++ {
				dl := p.delta[c]
				for j := range d {
					jv[pos[q]] += dl * d[j]
					q++
				}
			}
			continue
		}
		// d[j] = ∂rate/∂y_rj = k·p_j·y_j^(p_j−1)·Π_{i≠j} y_i^p_i.
		for j := range rs {
			v := p.k[t]
			for i := range rs {
				x := y[rs[i]]
				if !p.signed {
					x = math.Max(x, 0)
				}
				if i == j {
					if ps[i] > 1 {
						v *= float64(ps[i]) * ipow(x, ps[i]-1)
					} else if y[rs[i]] < 0 && !p.signed {
						v = 0
					}
				} else {
					v *= ipow(x, ps[i])
				}
			}
			d = append(d, v)
		}
		pos := p.jpos[p.jOff[t]:p.jOff[t+1]]
		q := 0
		for c := p.cOff[t]; c < p.cOff[t+1]; c++ {
			dl := p.delta[c]
			for j := range rs {
				jv[pos[q]] += dl * d[j]
				q++
			}
		}
	}
	for h, k := range p.hopK {
		if y[p.hopSrc[h]] < 0 && !p.signed {
			continue
		}
		jv[p.hpos[h][0]] -= k
		jv[p.hpos[h][1]] += k
	}
	for _, i := range p.frozen {
		for q := p.jp[i]; q < p.jp[i+1]; q++ {
			jv[q] = 0
		}
	}
}
