package deterministic

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/spinerd/spinerd/model"
)

// SteadyOptions control SteadyState.
type SteadyOptions struct {
	// Clamp lists species excluded from the fixed-point equations, their
	// amounts set by their conserved moieties (see SteadyState).
	Clamp []string
	// Hold lists species held at their amounts in the starting state.
	Hold []string
	// ResidualNMPerMs is the target: the largest |dx/dt| of a free
	// species, in nM/ms (default 1e-12).
	ResidualNMPerMs float64
	// MaxNewton bounds the Newton iterations of each attempt (default 60).
	MaxNewton int
	// MaxUnknowns bounds the size of the dense linear algebra (default
	// 4000 unknowns).
	MaxUnknowns int
}

// SteadyResult is a resting state.
type SteadyResult struct {
	// State holds molecules [voxel*ns+species], like System.Initial.
	State []float64
	// ResidualNMPerMs is the largest |dx/dt| over the free species, and
	// Worst the species (and voxel) where it is reached.
	ResidualNMPerMs float64
	Worst           string
	// ConservationResidual is the largest relative violation of the
	// conservation laws against the starting state.
	ConservationResidual float64
	// Sinks are the species excluded as sinks, Clamped those excluded
	// from the equations, Held those held at their starting amounts.
	Sinks, Clamped, Held []string
	// ConservationLaws is the number of conserved moieties of the free
	// species; Zero lists the species that sit at exactly zero.
	ConservationLaws int
	Zero             []string
	// Method says how the state was found; Iterations counts Newton
	// iterations; IntegratedMs is the pseudo-time of the fallback.
	Method       string
	Iterations   int
	IntegratedMs float64
}

// Sinks returns the species that are produced but never consumed: no
// reaction channel has them as a reactant or lowers their amount. They
// only accumulate and do not feed back, so a resting state excludes them.
func Sinks(sys *model.System) []int {
	consumed := make([]bool, len(sys.Species))
	produced := make([]bool, len(sys.Species))
	for _, c := range sys.Channels {
		if c.RateConst == 0 {
			continue
		}
		for _, r := range c.Reactants {
			consumed[r.Species] = true
		}
		for _, ch := range c.Changes {
			if ch.Delta < 0 {
				consumed[ch.Species] = true
			} else if ch.Delta > 0 {
				produced[ch.Species] = true
			}
		}
	}
	var out []int
	for s := range sys.Species {
		if produced[s] && !consumed[s] {
			out = append(out, s)
		}
	}
	return out
}

// ConservationLaws returns an orthonormal basis (rows) of the left null
// space of the stoichiometry of the given unknowns over all reaction and
// diffusion channels: each row w satisfies w·dy/dt = 0 whatever the state
// (without injections). free lists the unknowns (voxel*ns+species).
func ConservationLaws(sys *model.System, free []int) (*mat.Dense, error) {
	p := newProblem(sys, nil)
	return p.conservation(free)
}

func (p *problem) stoichiometry(free []int) *mat.Dense {
	row := make(map[int32]int, len(free))
	for i, u := range free {
		row[int32(u)] = i
	}
	m := len(p.k) + len(p.hopK)
	N := mat.NewDense(len(free), max(m, 1), nil)
	for t := range p.k {
		for j := p.cOff[t]; j < p.cOff[t+1]; j++ {
			if i, ok := row[p.chg[j]]; ok {
				N.Set(i, t, N.At(i, t)+p.delta[j])
			}
		}
	}
	for h := range p.hopK {
		if i, ok := row[p.hopSrc[h]]; ok {
			N.Set(i, len(p.k)+h, N.At(i, len(p.k)+h)-1)
		}
		if i, ok := row[p.hopDst[h]]; ok {
			N.Set(i, len(p.k)+h, N.At(i, len(p.k)+h)+1)
		}
	}
	return N
}

func (p *problem) conservation(free []int) (*mat.Dense, error) {
	N := p.stoichiometry(free)
	var svd mat.SVD
	if !svd.Factorize(N, mat.SVDFull) {
		return nil, fmt.Errorf("conservation laws: SVD of the %d×%d stoichiometry failed", len(free), N.RawMatrix().Cols)
	}
	sv := svd.Values(nil)
	tol := 1e-10 * math.Max(1, sv[0])
	rank := rankAbove(sv, tol)
	var U mat.Dense
	svd.UTo(&U)
	n := len(free)
	if rank == n {
		return nil, nil
	}
	W := mat.NewDense(n-rank, n, nil)
	for k := rank; k < n; k++ {
		for i := 0; i < n; i++ {
			W.Set(k-rank, i, U.At(i, k))
		}
	}
	return W, nil
}

// SteadyState finds the resting state of sys without stimuli, starting
// from y0 (molecules; nil: System.Initial) and keeping the amounts of its
// conserved moieties.
//
// Sinks (see Sinks) are excluded from the equations and keep their
// amounts in y0. Species in opt.Hold keep their amounts in y0 too.
// Species in opt.Clamp are excluded from the fixed-point equations: their
// own rate need not vanish (the sinks drain them), and their amount is
// set by the conserved moieties they belong to, counted with the sinks at
// their amounts in y0 (a clamped species in no moiety is held like
// opt.Hold). For the spine model, --clamp Pip2 gives the state in which
// every species but Pip2 and the sinks is at rest while the Pip2 moiety
// (Pip2, IP3 and its degradation products recycled to Pip2, DAG, …) keeps
// its total: the state a long run approaches before the slow drain into
// the sinks matters.
//
// The equations — f(x) = 0 for the free species that are neither sinks
// nor clamped, and W·x = W·x0 for the conservation laws W of the whole
// model (the left null space of its stoichiometry, from an SVD)
// restricted to the free species — are solved by damped, projected
// Gauss–Newton: a least-squares step (QR, or a truncated SVD when the
// Jacobian is singular beyond the conservation laws, as when species sit
// at exactly zero), backtracking on the residual, negative amounts
// projected to zero. When Newton does not converge from y0 the model is
// integrated (held species frozen) over growing spans and Newton retried.
func SteadyState(sys *model.System, y0 []float64, opt SteadyOptions) (*SteadyResult, error) {
	if math.IsNaN(opt.ResidualNMPerMs) || math.IsInf(opt.ResidualNMPerMs, 0) {
		return nil, fmt.Errorf("steady state: residual target %g nM/ms: want a finite number (0: the default)", opt.ResidualNMPerMs)
	}
	if opt.ResidualNMPerMs <= 0 {
		opt.ResidualNMPerMs = 1e-12
	}
	if opt.MaxNewton <= 0 {
		opt.MaxNewton = 60
	}
	if opt.MaxUnknowns <= 0 {
		opt.MaxUnknowns = 4000
	}
	if y0 == nil {
		y0 = sys.Initial
	}
	ns, nv := len(sys.Species), sys.NumVoxels()
	if nv*ns > opt.MaxUnknowns {
		return nil, fmt.Errorf("steady state: %d unknowns exceed the dense solver's limit of %d; integrate the model instead (spinerd run --method ode)", nv*ns, opt.MaxUnknowns)
	}
	res := &SteadyResult{}
	const (
		isFree = iota
		isSink
		isHeld
		isClamped
	)
	kind := make([]int, ns)
	for _, s := range Sinks(sys) {
		kind[s] = isSink
		res.Sinks = append(res.Sinks, sys.Species[s].ID)
	}
	lookup := func(id string) (int, error) {
		s, ok := sys.SpeciesIndex(strings.TrimSpace(id))
		if !ok {
			return 0, fmt.Errorf("unknown species %q", strings.TrimSpace(id))
		}
		return s, nil
	}
	for _, id := range opt.Hold {
		s, err := lookup(id)
		if err != nil {
			return nil, fmt.Errorf("hold: %w", err)
		}
		if kind[s] == isFree {
			kind[s] = isHeld
			res.Held = append(res.Held, sys.Species[s].ID)
		}
	}
	p := newProblem(sys, nil)
	if p.sym.err != nil {
		return nil, p.sym.err
	}
	all := make([]int, nv*ns)
	for i := range all {
		all[i] = i
	}
	Wall, err := p.conservation(all)
	if err != nil {
		return nil, err
	}
	inLaw := func(s int) bool {
		if Wall == nil {
			return false
		}
		r, _ := Wall.Dims()
		for k := 0; k < r; k++ {
			for v := 0; v < nv; v++ {
				if math.Abs(Wall.At(k, v*ns+s)) > 1e-9 {
					return true
				}
			}
		}
		return false
	}
	for _, id := range opt.Clamp {
		s, err := lookup(id)
		if err != nil {
			return nil, fmt.Errorf("clamp: %w", err)
		}
		if kind[s] != isFree {
			continue
		}
		if inLaw(s) {
			kind[s] = isClamped
			res.Clamped = append(res.Clamped, sys.Species[s].ID)
		} else {
			kind[s] = isHeld
			res.Held = append(res.Held, sys.Species[s].ID)
		}
	}
	var free, eq []int
	var frozen []int32
	for v := 0; v < nv; v++ {
		for s := 0; s < ns; s++ {
			u := v*ns + s
			switch kind[s] {
			case isFree:
				eq = append(eq, len(free))
				free = append(free, u)
			case isClamped:
				free = append(free, u)
			case isHeld:
				frozen = append(frozen, int32(u))
			}
		}
	}
	W := restrictLaws(Wall, free)
	st := &steady{sys: sys, p: p, free: free, eq: eq, W: W, opt: opt}
	st.setup(y0)
	if W != nil {
		res.ConservationLaws, _ = W.Dims()
	}

	y := append([]float64(nil), y0...)
	try := append([]float64(nil), y...)
	ok := st.newton(try)
	res.Method = "newton"
	for span := 1e3; !ok && res.IntegratedMs < 1e12; span *= 10 {
		// Fallback: integrate (implicit BDF steps are a pseudo-transient
		// continuation that keeps amounts non-negative and conserves the
		// moieties), then retry Newton from there, with the sinks back
		// at their starting amounts.
		if _, err := integrateFrozen(sys, p, frozen, y, span); err != nil {
			return nil, fmt.Errorf("steady state: integrating %g ms: %w", span, err)
		}
		res.IntegratedMs += span
		res.Method = "integration + newton"
		copy(try, y)
		for v := 0; v < nv; v++ {
			for s := 0; s < ns; s++ {
				if kind[s] == isSink {
					try[v*ns+s] = y0[v*ns+s]
				}
			}
		}
		ok = st.newton(try)
	}
	y = try
	res.Iterations = st.iters
	res.State = y
	res.ResidualNMPerMs, res.Worst = st.residual(y)
	res.ConservationResidual = st.consResidual(y)
	for _, u := range free {
		if y[u] == 0 && u < ns {
			res.Zero = append(res.Zero, sys.Species[u].ID)
		}
	}
	sort.Strings(res.Zero)
	if !ok {
		return res, fmt.Errorf("steady state: no convergence (largest |dx/dt| %.3g nM/ms at %s)", res.ResidualNMPerMs, res.Worst)
	}
	return res, nil
}

// steady holds the reduced Newton problem.
type steady struct {
	sys   *model.System
	p     *problem
	free  []int // unknowns
	eq    []int // positions in free of the unknowns whose rate must vanish
	W     *mat.Dense
	c     []float64 // W·x0
	cnorm []float64 // scale of each law
	omega []float64 // Ω per free unknown
	opt   SteadyOptions
	iters int
	f, jv []float64
}

func (st *steady) setup(y0 []float64) {
	n := len(st.free)
	st.omega = make([]float64, n)
	ns := len(st.sys.Species)
	for i, u := range st.free {
		st.omega[i] = st.sys.Omega(u / ns)
	}
	if st.W != nil {
		r, _ := st.W.Dims()
		st.c = make([]float64, r)
		st.cnorm = make([]float64, r)
		for k := 0; k < r; k++ {
			s, a := 0.0, 0.0
			for i, u := range st.free {
				w := st.W.At(k, i)
				s += w * y0[u]
				a += math.Abs(w * y0[u])
			}
			st.c[k] = s
			st.cnorm[k] = math.Max(a, 1e-300)
		}
	}
	st.f = make([]float64, st.p.n)
	st.jv = make([]float64, len(st.p.ji))
}

// residual returns max |dx/dt| in nM/ms over the free unknowns.
func (st *steady) residual(y []float64) (float64, string) {
	st.p.eval(y, st.f)
	worst, at := 0.0, ""
	ns := len(st.sys.Species)
	for _, i := range st.eq {
		u := st.free[i]
		r := math.Abs(st.f[u]) / st.omega[i]
		if r > worst || math.IsNaN(r) {
			worst = r
			at = st.sys.Species[u%ns].ID
			if st.sys.NumVoxels() > 1 {
				at += fmt.Sprintf(" (voxel %d)", u/ns)
			}
		}
	}
	return worst, at
}

func (st *steady) consResidual(y []float64) float64 {
	if st.W == nil {
		return 0
	}
	r, _ := st.W.Dims()
	worst := 0.0
	for k := 0; k < r; k++ {
		s := 0.0
		for i, u := range st.free {
			s += st.W.At(k, i) * y[u]
		}
		worst = math.Max(worst, math.Abs(s-st.c[k])/st.cnorm[k])
	}
	return worst
}

// F returns the stacked residual: f (nM/ms) of the free unknowns, then
// the conservation violations in nM-equivalents weighted like rates.
func (st *steady) stacked(y []float64, out []float64) []float64 {
	st.p.eval(y, st.f)
	out = out[:0]
	for _, i := range st.eq {
		out = append(out, st.f[st.free[i]]/st.omega[i])
	}
	if st.W != nil {
		r, _ := st.W.Dims()
		for k := 0; k < r; k++ {
			s := 0.0
			for i, u := range st.free {
				s += st.W.At(k, i) * y[u]
			}
			out = append(out, (s-st.c[k])/st.omega[0])
		}
	}
	return out
}

func norm2(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// newton runs damped Gauss–Newton from y (updated in place); it reports
// whether the residual target was met.
func (st *steady) newton(y []float64) bool {
	n := len(st.free)
	r := 0
	if st.W != nil {
		r, _ = st.W.Dims()
	}
	// Start from non-negative amounts: the integrator may leave tiny
	// negative ones, where the rates (clamped at zero) give Newton no
	// gradient. The conservation equations restore the totals.
	for _, u := range st.free {
		y[u] = math.Max(y[u], 0)
	}
	F := st.stacked(y, nil)
	trial := append([]float64(nil), y...)
	Ft := make([]float64, len(F))
	ne := len(st.eq)
	A := mat.NewDense(ne+r, n, nil)
	pos := make(map[int]int, n)
	for i, u := range st.free {
		pos[u] = i
	}
	for it := 0; it < st.opt.MaxNewton; it++ {
		if res, _ := st.residual(y); res <= st.opt.ResidualNMPerMs && st.consResidual(y) <= 1e-12 {
			return true
		}
		st.iters++
		// Jacobian rows of the free unknowns, in nM/ms per molecule.
		st.p.jacobian(y, st.jv)
		A.Zero()
		for row, i := range st.eq {
			u := st.free[i]
			for q := st.p.jp[u]; q < st.p.jp[u+1]; q++ {
				if j, ok := pos[int(st.p.ji[q])]; ok {
					A.Set(row, j, st.jv[q]/st.omega[i])
				}
			}
		}
		for k := 0; k < r; k++ {
			for j := 0; j < n; j++ {
				A.Set(ne+k, j, st.W.At(k, j)/st.omega[0])
			}
		}
		rhs := mat.NewVecDense(ne+r, nil)
		for i, v := range F {
			rhs.SetVec(i, -v)
		}
		dx := mat.NewVecDense(n, nil)
		if !lstsq(A, rhs, dx) {
			return false
		}
		// Backtracking on the residual norm.
		// Amounts are kept non-negative by projection: a component the
		// step would make negative is set to zero (projected Newton); the
		// conservation equations restore the totals in later iterations.
		f0 := norm2(F)
		lambda := 1.0
		accepted := false
		for tries := 0; tries < 30; tries++ {
			copy(trial, y)
			for i, u := range st.free {
				trial[u] = math.Max(0, trial[u]+lambda*dx.AtVec(i))
			}
			Ft = st.stacked(trial, Ft)
			if f1 := norm2(Ft); f1 < (1-1e-4*lambda)*f0 || (f1 <= f0 && maxAbs(Ft) <= st.opt.ResidualNMPerMs) {
				accepted = true
				break
			}
			lambda /= 2
		}
		if !accepted {
			return false
		}
		copy(y, trial)
		F, Ft = Ft, F
	}
	res, _ := st.residual(y)
	return res <= st.opt.ResidualNMPerMs
}

// lstsq solves min ‖A·x − b‖ by QR, or by an SVD truncated at relative
// singular value 1e-13 when A is rank-deficient.
func lstsq(A *mat.Dense, b, x *mat.VecDense) bool {
	var qr mat.QR
	qr.Factorize(A)
	var R mat.Dense
	qr.RTo(&R)
	_, n := R.Dims()
	dmax, dmin := 0.0, math.Inf(1)
	for i := 0; i < n; i++ {
		d := math.Abs(R.At(i, i))
		dmax = math.Max(dmax, d)
		dmin = math.Min(dmin, d)
	}
	if dmin > 1e-11*dmax {
		if err := qr.SolveVecTo(x, false, b); err == nil {
			return true
		}
	}
	var svd mat.SVD
	if !svd.Factorize(A, mat.SVDThin) {
		return false
	}
	sv := svd.Values(nil)
	rank := rankAbove(sv, 1e-13*sv[0])
	if rank == 0 {
		return false
	}
	var X mat.Dense
	svd.SolveTo(&X, b, rank)
	for i := 0; i < x.Len(); i++ {
		x.SetVec(i, X.At(i, 0))
	}
	return true
}

// integrateFrozen integrates y over span ms with the frozen unknowns held
// and no injections.
func integrateFrozen(sys *model.System, p *problem, frozen []int32, y []float64, span float64) (Stats, error) {
	p.frozen = frozen
	defer func() { p.frozen = nil }()
	b := newBDF(p, 1e-6, atol(sys, 1e-6, nil))
	for i := range p.injRate {
		p.injRate[i] = 0
	}
	b.restart(0, y, span)
	for b.t < span {
		if err := b.step(span); err != nil {
			return b.stats, err
		}
	}
	copy(y, b.D[0])
	return b.stats, nil
}

// restrictLaws returns an orthonormal basis of the row space of W's
// columns free (nil when it is empty).
func restrictLaws(W *mat.Dense, free []int) *mat.Dense {
	if W == nil {
		return nil
	}
	r, _ := W.Dims()
	R := mat.NewDense(r, len(free), nil)
	for k := 0; k < r; k++ {
		for i, u := range free {
			R.Set(k, i, W.At(k, u))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(R, mat.SVDThin) {
		return R
	}
	sv := svd.Values(nil)
	rank := rankAbove(sv, 1e-10)
	if rank == 0 {
		return nil
	}
	var V mat.Dense
	svd.VTo(&V)
	out := mat.NewDense(rank, len(free), nil)
	for k := 0; k < rank; k++ {
		for i := range free {
			out.Set(k, i, V.At(i, k))
		}
	}
	return out
}

// rankAbove counts the singular values above tol.
func rankAbove(sv []float64, tol float64) int {
	rank := 0
	for _, v := range sv {
		if v > tol {
			rank++
		}
	}
	return rank
}
