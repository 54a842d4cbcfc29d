package deterministic

import (
	"errors"
	"fmt"
	"math"
)

const (
	maxOrder      = 5
	newtonMaxIter = 3
	nlsCoef       = 0.1
	crDown        = 0.3
	rDiv          = 2
	minFactor     = 0.2
	maxFactor     = 10
	// maxGammaChange is the relative change of h/α_k beyond which the
	// iteration matrix is refactored (CVODE's DGMAX).
	maxGammaChange = 0.3
	// maxStepsJac and maxStepsLU bound the age of the Jacobian and of the
	// factorisation in steps (CVODE's MSBJ and MSBP).
	maxStepsJac = 51
	maxStepsLU  = 20
)

// ndfKappa are the κ of the numerical differentiation formulas of orders
// 1–5 (Shampine and Reichelt 1997, Table 1): at orders 1–4 they take
// steps 26, 26, 16 and 9 % longer than the BDFs for the same local error,
// at a small cost in stability angle (90°, 90°, 80°, 66°; order 5 is the
// BDF, 51°).
var ndfKappa = [maxOrder]float64{-0.1850, -1.0 / 9, -0.0823, -0.0415, 0}

// ErrBudget is returned when a run exceeds Options.MaxSteps.
var ErrBudget = errors.New("step budget exhausted")

// bdf is a variable-order (1–5), variable-step BDF integrator in the
// quasi-constant step size form of Shampine and Reichelt (1997): the
// solution history is kept as backward differences D[0..k+2] on an
// equally spaced grid; a step-size change re-interpolates the differences
// onto the new spacing; the corrector is a simplified Newton iteration
// with the matrix I − (h/α_k)·J, factored only when h or k changes or the
// Jacobian is refreshed, and the Jacobian is refreshed only when Newton
// fails to converge with a stale one.
type bdf struct {
	p    *problem
	lu   *sparseLU
	n    int
	rtol float64
	atol []float64 // per unknown, molecules
	hmax float64

	// t is the current time (ms); steps are taken in tau = t − t0, the
	// time since the segment began, so that steps far smaller than the
	// spacing of floats near t keep their precision.
	t, t0, tau float64
	h          float64 // |step|
	order      int
	D          [maxOrder + 3][]float64
	nEqual     int
	jv         []float64
	jacNew     bool // the Jacobian was evaluated at the current point
	luOK       bool
	luC        float64
	crate      float64 // Newton convergence rate estimate
	// Steps at the last Jacobian evaluation and factorisation (CVODE
	// refreshes them at least every 51 and 20 steps).
	nstJ, nstLU int

	gamma    [maxOrder + 2]float64
	alpha    [maxOrder + 2]float64
	errConst [maxOrder + 2]float64

	// w are the error weights 1/(atol_i + rtol·|y_i|) (setWeights).
	ypred, psi, w, f, dy, d, ynew, tmp []float64

	stats Stats
	// maxSteps bounds the number of steps taken (0: unbounded).
	maxSteps int
	// maxOrder is the highest order used (≤ the package's maxOrder).
	maxOrder int
}

func newBDF(p *problem, rtol float64, atol []float64) *bdf {
	b := &bdf{p: p, n: p.n, rtol: rtol, atol: atol, hmax: math.Inf(1), maxOrder: maxOrder}
	b.lu = newSparseLU(p.n, p.jp, p.ji, p.sym)
	for i := range b.D {
		b.D[i] = make([]float64, p.n)
	}
	b.jv = make([]float64, len(p.ji))
	mk := func() []float64 { return make([]float64, p.n) }
	b.ypred, b.psi, b.w, b.f, b.dy, b.d, b.ynew, b.tmp = mk(), mk(), mk(), mk(), mk(), mk(), mk(), mk()
	for k := 1; k <= maxOrder+1; k++ {
		b.gamma[k] = b.gamma[k-1] + 1/float64(k)
		kappa := 0.0
		if k <= maxOrder {
			kappa = ndfKappa[k-1]
		}
		b.alpha[k] = (1 - kappa) * b.gamma[k]
		b.errConst[k] = kappa*b.gamma[k] + 1/float64(k+1)
	}
	b.errConst[0] = 1
	return b
}

// rms returns the weighted root-mean-square norm of v, √(Σ(v_i·w_i)²/n).
func (b *bdf) rms(v []float64) float64 {
	w := b.w[:len(v)]
	s := 0.0
	for i, x := range v {
		q := x * w[i]
		s += q * q
	}
	return math.Sqrt(s / float64(len(v)))
}

// setWeights sets the error weights for the state y.
func (b *bdf) setWeights(y []float64) {
	w, atol := b.w[:len(y)], b.atol[:len(y)]
	for i, x := range y {
		w[i] = 1 / (atol[i] + b.rtol*math.Abs(x))
	}
}

// negative reports whether the new solution has an amount below zero by
// more than its error tolerance (atol_i + rtol·|y_i|, the inverse weight).
func (b *bdf) negative() bool {
	w := b.w[:len(b.ynew)]
	for i, x := range b.ynew {
		if x*w[i] < -1 {
			return true
		}
	}
	return false
}

// restart begins a new integration at (t, y) at order 1, as after a
// discontinuity of the right-hand side. hint, if positive, bounds the
// first step; span is the length of the coming segment.
func (b *bdf) restart(t float64, y []float64, span float64) {
	b.t, b.t0, b.tau = t, t, 0
	copy(b.D[0], y)
	b.p.eval(y, b.f)
	b.stats.RHSEvals++
	b.h = math.Min(b.initialStep(y, b.f, span), b.hmax)
	for i := range y {
		b.D[1][i] = b.f[i] * b.h
	}
	for k := 2; k < len(b.D); k++ {
		clear(b.D[k])
	}
	b.order = 1
	b.nEqual = 0
	b.luOK = false
	b.jacNew = false
}

// initialStep returns the first step after a (re)start, in the manner of
// CVODE's (Hindmarsh et al., ACM TOMS 31:3, 2005, §2.1; Serban and
// Hindmarsh's CVODE user guide, "initial step size"): the step whose
// first-order local error, h²/2·‖ÿ‖ in the weighted RMS norm, is about a
// quarter of the tolerance, ÿ estimated by a difference of f along the
// Euler step and refined at most four times; bounded below by 100 ulps
// of the segment and above by a tenth of it and by the step in which no
// component changes by more than a tenth of itself plus its tolerance.
// (The estimate of Hairer, Nørsett and Wanner used before made the
// step that follows every stimulus edge ten times too small, and the
// integrator spent some ten steps per edge growing out of it.)
func (b *bdf) initialStep(y, f []float64, span float64) float64 {
	if span <= 0 {
		return 0
	}
	b.setWeights(y)
	hlb := 100 * 2.220446049250313e-16 * span
	hub := 0.1 * span
	inv := 0.0
	for i, fi := range f {
		if r := math.Abs(fi) / (0.1*math.Abs(y[i]) + 1/b.w[i]); r > inv {
			inv = r
		}
	}
	if hub*inv > 1 {
		hub = 1 / inv
	}
	if hub <= hlb {
		return math.Min(math.Max(hub, hlb), span)
	}
	hg := math.Sqrt(hlb * hub)
	y1, f1 := b.tmp, b.dy
	hnew := hg
	for it := 0; it < 4; it++ {
		for i := range y {
			y1[i] = y[i] + hg*f[i]
		}
		b.p.eval(y1, f1)
		b.stats.RHSEvals++
		for i := range f1 {
			f1[i] = (f1[i] - f[i]) / hg
		}
		ydd := b.rms(f1)
		if ydd*hub*hub > 2 {
			hnew = math.Sqrt(2 / ydd)
		} else {
			hnew = math.Sqrt(hg * hub)
		}
		r := hnew / hg
		if r > 0.5 && r < 2 {
			break
		}
		if it > 0 && r > 2 {
			hnew = hg
			break
		}
		hg = hnew
	}
	return math.Min(math.Max(0.5*hnew, hlb), hub)
}

// changeStep rescales the difference array for a step h·factor.
func (b *bdf) changeStep(factor float64) {
	k := b.order
	var R, U, RU [maxOrder + 1][maxOrder + 1]float64
	fill := func(m *[maxOrder + 1][maxOrder + 1]float64, fac float64) {
		for j := 0; j <= k; j++ {
			m[0][j] = 1
		}
		for i := 1; i <= k; i++ {
			m[i][0] = 0
			for j := 1; j <= k; j++ {
				m[i][j] = m[i-1][j] * (float64(i-1) - fac*float64(j)) / float64(i)
			}
		}
	}
	fill(&R, factor)
	fill(&U, 1)
	// Only the differences change (rows and columns 1..k, as in ode15s:
	// the 0 row and column of R·U are those of the identity).
	for i := 1; i <= k; i++ {
		for j := 1; j <= k; j++ {
			s := 0.0
			for l := 1; l <= k; l++ {
				s += R[i][l] * U[l][j]
			}
			RU[i][j] = s
		}
	}
	// D[j] ← Σ_i RU[i][j]·D[i], j = 1..k, in one sweep over the species,
	// written out for the low orders that most steps use (the sums are
	// formed in the same order as the general loop, so the results are
	// the same to the bit).
	n := len(b.D[0])
	switch k {
	case 1:
		r11 := RU[1][1]
		d1 := b.D[1][:n]
		for q := range d1 {
			d1[q] = 0 + r11*d1[q]
		}
	case 2:
		r11, r12, r21, r22 := RU[1][1], RU[1][2], RU[2][1], RU[2][2]
		d1, d2 := b.D[1][:n], b.D[2][:n]
		for q := range d1 {
			a, c := d1[q], d2[q]
			d1[q] = 0 + r11*a + r21*c
			d2[q] = 0 + r12*a + r22*c
		}
	case 3:
		r11, r12, r13 := RU[1][1], RU[1][2], RU[1][3]
		r21, r22, r23 := RU[2][1], RU[2][2], RU[2][3]
		r31, r32, r33 := RU[3][1], RU[3][2], RU[3][3]
		d1, d2, d3 := b.D[1][:n], b.D[2][:n], b.D[3][:n]
		for q := range d1 {
			a, c, e := d1[q], d2[q], d3[q]
			d1[q] = 0 + r11*a + r21*c + r31*e
			d2[q] = 0 + r12*a + r22*c + r32*e
			d3[q] = 0 + r13*a + r23*c + r33*e
		}
	default:
		var in [maxOrder + 1]float64
		for q := range n {
			for i := 1; i <= k; i++ {
				in[i] = b.D[i][q]
			}
			for j := 1; j <= k; j++ {
				s := 0.0
				for i := 1; i <= k; i++ {
					s += RU[i][j] * in[i]
				}
				b.D[j][q] = s
			}
		}
	}
	b.h *= factor
	b.nEqual = 0
}

// newton solves the corrector equation with the iteration matrix
// I − c_LU·J; it returns whether it converged and the number of
// iterations.
//
// The convergence test is CVODE's (Hindmarsh et al. 2005, §2.1): the
// iteration has converged when the error-weighted correction, scaled by
// min(1, R) with R a running estimate of the convergence rate kept across
// steps, is below a tenth of the local error tolerance; it has failed when
// a correction grows by more than 2 or after 3 iterations. The matrix may
// have been factored for another c (it is refactored only when c changed
// by more than 30 %); the correction is then scaled by 2/(1 + c/c_LU),
// which makes the stale iteration consistent to first order.
func (b *bdf) newton(c float64) (bool, int) {
	corr := 1.0
	if c != b.luC {
		corr = 2 / (1 + c/b.luC)
	}
	copy(b.ynew, b.ypred)
	clear(b.d)
	ec := b.errConst[b.order]
	oldNorm := 0.0
	for it := 0; it < newtonMaxIter; it++ {
		b.p.eval(b.ynew, b.f)
		b.stats.RHSEvals++
		dy, f, psi, d, ynew, w := b.dy, b.f[:len(b.dy)], b.psi[:len(b.dy)], b.d[:len(b.dy)], b.ynew[:len(b.dy)], b.w[:len(b.dy)]
		sum := 0.0
		for i := range dy {
			v := c*f[i] - psi[i] - d[i]
			dy[i] = v
			sum += v
		}
		if math.IsNaN(sum) || math.IsInf(sum, 0) {
			return false, it + 1
		}
		b.lu.solve(dy)
		ss := 0.0
		for i, v := range dy {
			v *= corr
			ynew[i] += v
			d[i] += v
			q := v * w[i]
			ss += q * q
		}
		norm := math.Sqrt(ss / float64(len(dy)))
		if math.IsNaN(norm) {
			return false, it + 1
		}
		if it > 0 {
			b.crate = math.Max(crDown*b.crate, norm/oldNorm)
		}
		if ec*norm*math.Min(1, b.crate) <= nlsCoef {
			return true, it + 1
		}
		if it > 0 && norm > rDiv*oldNorm {
			return false, it + 1
		}
		oldNorm = norm
	}
	return false, newtonMaxIter
}

// step takes one accepted step that does not pass tBound.
func (b *bdf) step(tBound float64) error {
	for {
		if b.maxSteps > 0 && b.stats.Steps+b.stats.Rejected >= b.maxSteps {
			return ErrBudget
		}
		if b.h > b.hmax {
			b.changeStep(b.hmax / b.h)
		}
		minStep := 10 * 2.220446049250313e-16 * math.Max(b.tau, 1e-12)
		if b.h < minStep {
			return fmt.Errorf("step size %.3g ms at t = %.9g ms is too small: the system is too stiff or singular for the tolerances", b.h, b.t)
		}
		tauB := tBound - b.t0
		tauNew := b.tau + b.h
		last := false
		if tauNew >= tauB-1e-12*math.Max(1e-3, tauB) {
			if tauNew != tauB {
				b.changeStep((tauB - b.tau) / b.h)
			}
			tauNew, last = tauB, true
		}
		h := tauNew - b.tau
		k := b.order
		// ypred = Σ_{j≤k} D_j, psi = Σ_{1≤j≤k} γ_j·D_j / α_k.
		ypred, psi := b.ypred, b.psi[:len(b.ypred)]
		copy(ypred, b.D[0])
		clear(psi)
		for j := 1; j <= k; j++ {
			dj := b.D[j][:len(ypred)]
			g := b.gamma[j] / b.alpha[k]
			for i, x := range dj {
				ypred[i] += x
				psi[i] += g * x
			}
		}
		b.setWeights(ypred)
		c := h / b.alpha[k]
		var converged bool
		var iters int
		if b.stats.JacEvals > 0 && b.stats.Steps-b.nstJ >= maxStepsJac && !b.jacNew {
			b.p.jacobian(b.ypred, b.jv)
			b.stats.JacEvals++
			b.jacNew, b.luOK, b.nstJ = true, false, b.stats.Steps
		}
		for {
			if !b.luOK || math.Abs(c/b.luC-1) > maxGammaChange || b.stats.Steps-b.nstLU >= maxStepsLU {
				if b.stats.JacEvals == 0 {
					b.p.jacobian(b.ypred, b.jv)
					b.stats.JacEvals++
					b.jacNew = true
				}
				if err := b.lu.factor(c, b.jv); err != nil {
					return fmt.Errorf("t = %.9g ms: %w", b.t, err)
				}
				b.stats.Factorizations++
				b.luOK, b.luC, b.nstLU = true, c, b.stats.Steps
				b.crate = 1
			}
			converged, iters = b.newton(c)
			if converged || b.jacNew {
				break
			}
			b.p.jacobian(b.ypred, b.jv)
			b.stats.JacEvals++
			b.jacNew, b.nstJ = true, b.stats.Steps
			b.luOK = false
		}
		if !converged {
			b.stats.Rejected++
			b.stats.NewtonFailures++
			b.changeStep(0.5)
			continue
		}
		safety := 0.9 * float64(2*newtonMaxIter+1) / float64(2*newtonMaxIter+iters)
		// The error test uses the weights of the prediction, as CVODE
		// uses those of the step's start: one set of weights per step.
		errNorm := b.errConst[k] * b.rms(b.d)
		if errNorm > 1 {
			b.stats.Rejected++
			b.changeStep(math.Max(minFactor, safety*math.Pow(errNorm, -1/float64(k+1))))
			continue
		}
		if b.negative() {
			// Amounts cannot be negative: a step that makes one more
			// negative than its error tolerance (a stiff transient
			// overshot by the predictor) is rejected and retried shorter,
			// as CVODE does with inequality constraints.
			b.stats.Rejected++
			b.changeStep(0.25)
			continue
		}
		// Accepted.
		b.stats.Steps++
		b.jacNew = false
		b.nEqual++
		b.tau = tauNew
		if last {
			b.t = tBound
		} else {
			b.t = b.t0 + tauNew
		}
		d, dk1, dk2 := b.d, b.D[k+1][:len(b.d)], b.D[k+2][:len(b.d)]
		for i, x := range d {
			dk2[i] = x - dk1[i]
			dk1[i] = x
		}
		for j := k; j >= 0; j-- {
			dj, dj1 := b.D[j], b.D[j+1][:len(b.D[j])]
			for i := range dj {
				dj[i] += dj1[i]
			}
		}
		if b.nEqual < k+1 {
			return nil
		}
		errM, errP := math.Inf(1), math.Inf(1)
		if k > 1 {
			errM = b.errConst[k-1] * b.rms(b.D[k])
		}
		if k < b.maxOrder {
			errP = b.errConst[k+1] * b.rms(b.D[k+2])
		}
		fM := math.Pow(errM, -1/float64(k))
		fC := math.Pow(errNorm, -1/float64(k+1))
		fP := math.Pow(errP, -1/float64(k+2))
		best, dk := fC, 0
		if fM > best {
			best, dk = fM, -1
		}
		if fP > best {
			best, dk = fP, 1
		}
		b.order += dk
		factor := math.Min(maxFactor, safety*best)
		if factor < 1.2 && factor > 1 && dk == 0 {
			// Not worth refactoring for a small increase.
			b.nEqual = 0
			return nil
		}
		b.changeStep(factor)
		return nil
	}
}

// interpolate writes the solution at time t (within the last step) into
// out, from the interpolating polynomial of the difference array.
func (b *bdf) interpolate(t float64, out []float64) {
	k := b.order
	copy(out, b.D[0])
	if t == b.t {
		return
	}
	tau := t - b.t0
	var prod [maxOrder + 1]float64
	p := 1.0
	for j := 0; j < k; j++ {
		p *= (tau - (b.tau - float64(j)*b.h)) / (float64(j+1) * b.h)
		prod[j] = p
	}
	for j := 1; j <= k; j++ {
		c := prod[j-1]
		dj := b.D[j]
		for i := range out {
			out[i] += c * dj[i]
		}
	}
}
