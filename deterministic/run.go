package deterministic

import (
	"context"
	"fmt"
	"math"

	"github.com/spinerd/spinerd/model"
)

// Options control a deterministic run.
type Options struct {
	// Rtol is the relative tolerance (default 1e-6; negative: none, pure
	// absolute error control as NEURON's CVODE uses by default).
	Rtol float64
	// AtolNM is the absolute tolerance in nM (default 1e-6 nM); in each
	// voxel it becomes AtolNM·Ω_v molecules.
	AtolNM float64
	// AtolScale multiplies AtolNM for some species (by index), like
	// NEURON's per-species atolscale.
	AtolScale map[int]float64
	// MaxStepMs bounds the step (default: none).
	MaxStepMs float64
	// MaxOrder caps the order of the formulas (1–5; 0: 5). The order-5
	// formula is stable in a 51° sector only; systems with weakly damped
	// oscillatory fast modes can make it ring, and order 4 (66°) is then
	// cheaper.
	MaxOrder int
	// MaxSteps bounds the number of steps, accepted and rejected (0: no
	// bound). A run that reaches it stops with ErrBudget; the bound keeps
	// evaluations reproducible where a wall-clock timeout would not.
	MaxSteps int
	// Progress, if set, is called with the simulated time after each
	// segment between stimulus edges and at least every 1000 steps.
	Progress func(tMs float64)
	// ClampRates makes reaction and diffusion rates read reactant amounts
	// clamped at zero (NeuroRD-like; the default before 2026-12). By
	// default rates use the amounts as they are, negative ones included:
	// mass action continued below zero, as NEURON's rxd (and CVODE-based
	// simulators generally) evaluate it. Clamping removes the restoring
	// flux that pulls a slightly negative amount back to zero, so errors
	// of the size of the tolerance persist where species are depleted
	// (buffers at very high Ca: objectives moved by up to 0.3), and a
	// stiff binding fed by an injection (k = 1e9 /nM/ms) stalls on steps
	// rejected for negative amounts. With signed rates excursions decay;
	// if both reactants of a bimolecular reaction became negative their
	// product would be positive and grow, which the step rejection for
	// negative amounts (beyond the error tolerance) prevents.
	ClampRates bool
	// Cache, if set, keeps the structure derived from the equations
	// (Jacobian pattern, LU ordering) for later runs of systems with the
	// same structure.
	Cache *Cache
	// OnStep, if set, sees the initial state and the state after every
	// accepted step (molecules, [voxel*ns+species]; valid during the call
	// only), e.g. to track a species' maximum over all solver points.
	OnStep func(tMs float64, y []float64)
}

func (o *Options) defaults() {
	switch {
	case o.Rtol == 0:
		o.Rtol = 1e-6
	case o.Rtol < 0:
		o.Rtol = 0 // pure absolute error control
	}
	if o.AtolNM <= 0 {
		o.AtolNM = 1e-6
	}
}

// Stats counts the work of a run.
type Stats struct {
	Steps, Rejected, RHSEvals, JacEvals, Factorizations int
	// NewtonFailures counts the rejected steps whose corrector did not
	// converge (the others failed the error test).
	NewtonFailures int
	Segments       int
}

// atol returns the absolute tolerance per unknown, in molecules.
func atol(sys *model.System, atolNM float64, scale map[int]float64) []float64 {
	ns := len(sys.Species)
	a := make([]float64, ns*sys.NumVoxels())
	for v := 0; v < sys.NumVoxels(); v++ {
		om := sys.Omega(v)
		for s := 0; s < ns; s++ {
			a[v*ns+s] = atolNM * om
			if f, ok := scale[s]; ok {
				a[v*ns+s] *= f
			}
		}
	}
	return a
}

// Run integrates sys deterministically from its expected initial
// amounts (System.Initial) to sys.EndMs, writing every output set to sink
// at its times as real molecule numbers. The integrator restarts at every
// stimulus edge (exactly at its time), and output times are evaluated on
// the integrator's interpolating polynomial at the exact time. A cancelled
// ctx stops the run after the last complete output and returns ctx's
// error.
func Run(ctx context.Context, sys *model.System, opt Options, sink model.ValueSink) (Stats, error) {
	y := append([]float64(nil), sys.Initial...)
	return Integrate(ctx, sys, opt, y, sink)
}

// Integrate is Run from the state y (molecules, in sys.Initial's layout)
// at sys.StartMs instead of sys.Initial; it leaves the state at sys.EndMs
// (or where the run stopped) in y. A run split at a time t into a run
// ending at t and one starting there from its final state restarts the
// integrator at t, which Run does anyway when t is a stimulus edge.
func Integrate(ctx context.Context, sys *model.System, opt Options, y []float64, sink model.ValueSink) (Stats, error) {
	if len(y) != len(sys.Initial) {
		return Stats{}, fmt.Errorf("deterministic run: state of %d unknowns for a system of %d", len(y), len(sys.Initial))
	}
	opt.defaults()
	return integrate(ctx, sys, opt, y, sink)
}

// integrate runs from y (molecules), overwriting it with the final state.
func integrate(ctx context.Context, sys *model.System, opt Options, y []float64, sink model.ValueSink) (Stats, error) {
	p := newProblem(sys, opt.Cache)
	if p.sym.err != nil {
		return Stats{}, p.sym.err
	}
	p.signed = !opt.ClampRates
	b := newBDF(p, opt.Rtol, atol(sys, opt.AtolNM, opt.AtolScale))
	if opt.MaxStepMs > 0 {
		b.hmax = opt.MaxStepMs
	}
	b.maxSteps = opt.MaxSteps
	if opt.MaxOrder > 0 {
		b.maxOrder = min(opt.MaxOrder, maxOrder)
	}
	sched := sys.NewSchedule()
	var buf, at []float64
	at = make([]float64, len(y))
	cur := y // the state the emit closure reads
	emit := func(set int, t float64) error {
		if sink == nil {
			return nil
		}
		buf = model.Gather(sys, set, cur, buf)
		return sink.Values(set, t, buf)
	}
	edges := sys.NewEdges()
	setRate := func(stim int, rate float64) { p.injRate[stim] = rate }
	t := sys.StartMs
	edges.Apply(t, setRate)
	if err := sched.Due(t, emit); err != nil {
		return b.stats, err
	}
	if opt.OnStep != nil {
		opt.OnStep(t, y)
	}
	lastProgress := 0
	for t < sys.EndMs {
		tb := math.Min(sys.EndMs, edges.Next())
		b.restart(t, y, tb-t)
		b.stats.Segments++
		for b.t < tb {
			tOld := b.t
			if err := b.step(tb); err != nil {
				return b.stats, fmt.Errorf("deterministic run at %.9g ms: %w", b.t, err)
			}
			if opt.OnStep != nil {
				opt.OnStep(b.t, b.D[0])
			}
			// Outputs inside (tOld, b.t) from the interpolant; the one at
			// b.t itself from the state.
			for next := sched.Next(); next <= b.t && next > tOld; next = sched.Next() {
				b.interpolate(next, at)
				cur = at
				if err := sched.Due(next, emit); err != nil {
					return b.stats, err
				}
			}
			if b.stats.Steps-lastProgress >= 1000 {
				lastProgress = b.stats.Steps
				if opt.Progress != nil {
					opt.Progress(b.t)
				}
				if err := ctx.Err(); err != nil {
					return b.stats, err
				}
			}
		}
		t = tb
		copy(y, b.D[0])
		edges.Apply(t, setRate)
		cur = y
		if err := sched.Due(t, emit); err != nil {
			return b.stats, err
		}
		if opt.Progress != nil {
			opt.Progress(t)
		}
		if err := ctx.Err(); err != nil {
			return b.stats, err
		}
	}
	cur = y
	if err := sched.Final(t, emit); err != nil {
		return b.stats, err
	}
	for _, v := range y {
		if math.IsNaN(v) {
			return b.stats, fmt.Errorf("deterministic run: the solution became NaN")
		}
	}
	return b.stats, nil
}
