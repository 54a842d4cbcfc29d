package plasticity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/protocol"
)

// Params maps parameter names to values (un-normalised, in the units of
// the parameter space: fluxes in particles/ms, factors dimensionless).
type Params map[string]float64

// Edits returns the fluxes and model edits of experiment e under params p
// in space s (protocols-and-fitting.md §3, §5): fluxes are the fitted
// Caflux, Lflux and Gluflux times the experiment's coefficients (ACh is
// not fitted and stays 0); every IC factor scales the initial amounts of
// its species; GluR1_ratio r scales GluR1 and GluR1_memb by 2r and GluR2
// and GluR2_memb by 2(1−r); then the experiment's own Blocked and Altered
// edits. As in the original, an IC species that the model lacks ("M1" of
// IC_MGluRM1GqPLC) scales nothing.
func (d *Data) Edits(s *Space, p Params, e *Experiment) (protocol.Fluxes, protocol.Edits, error) {
	var f protocol.Fluxes
	var ed protocol.Edits
	for _, v := range s.Variables {
		if _, ok := p[v.Name]; !ok {
			return f, ed, fmt.Errorf("parameter %s is missing (the %s space needs %d parameters)", v.Name, s.Name, len(s.Variables))
		}
	}
	for name := range p {
		found := false
		for _, v := range s.Variables {
			found = found || v.Name == name
		}
		if !found {
			return f, ed, fmt.Errorf("parameter %s is not in the %s space", name, s.Name)
		}
	}
	f.Ca = p["Caflux"] * e.Coef["Ca"]
	f.L = p["Lflux"] * e.Coef["L"]
	f.Glu = p["Gluflux"] * e.Coef["Glu"]
	for _, v := range s.Variables {
		if len(v.Name) < 3 || v.Name[:3] != "IC_" {
			continue
		}
		species := s.ICSpecies[v.Name]
		if species == nil {
			species = []string{v.Name[3:]}
		}
		for _, sp := range species {
			ed.Blocked = append(ed.Blocked, protocol.Scale{Species: sp, Factor: p[v.Name]})
		}
	}
	r := p["GluR1_ratio"]
	for _, sp := range []string{"GluR1", "GluR1_memb"} {
		ed.Blocked = append(ed.Blocked, protocol.Scale{Species: sp, Factor: 2 * r})
	}
	for _, sp := range []string{"GluR2", "GluR2_memb"} {
		ed.Blocked = append(ed.Blocked, protocol.Scale{Species: sp, Factor: 2 * (1 - r)})
	}
	if e.Blocked != nil {
		for _, sp := range e.Blocked.Species {
			ed.Blocked = append(ed.Blocked, protocol.Scale{Species: sp, Factor: e.Blocked.Factor})
		}
	}
	if e.Altered != nil {
		for _, k := range e.Altered.KS {
			pos, rev, err := protocol.KSIndex(k)
			if err != nil {
				return f, ed, err
			}
			ed.Altered = append(ed.Altered, protocol.RateScale{Reaction: pos, Reverse: rev, Factor: e.Altered.Factor})
		}
	}
	return f, ed, nil
}

// Options control an evaluation.
type Options struct {
	// Rtol and AtolNM are the ODE tolerances from the first stimulus on
	// (defaults DefaultRtol, 1e-6 nM).
	Rtol, AtolNM float64
	// PreRtol is the relative tolerance of the part before the first
	// stimulus (default DefaultPreRtol): it sets g at the baseline time,
	// the denominator of every ratio, and costs a few hundred steps.
	PreRtol float64
	// MaxSteps is the solver-step budget of each experiment (0: none),
	// counting the pre-stimulus part it shares with others; an exhausted
	// budget gives the missing-result error, reproducibly.
	MaxSteps int
	// Jobs is the number of experiments run at once (default 1).
	Jobs int
	// Timeout, if positive, bounds the wall-clock time of each simulated
	// part (the shared pre-stimulus part, each experiment's rest); one
	// that exceeds it gives the missing-result error. It makes results
	// depend on machine load (use MaxSteps for reproducible budgets).
	Timeout time.Duration
	// Cache, if set, keeps the solver's structural analysis for later
	// evaluations (a fit shares one).
	Cache *deterministic.Cache
}

// Default tolerances of an evaluation.
const (
	DefaultRtol    = 1e-5
	DefaultPreRtol = 1e-8
)

// solver returns the deterministic engine's options of an evaluation
// from the first stimulus on. Rates use signed amounts, as NEURON's rxd
// does: with the engine's default clamping at zero, depleted species
// (buffers at very high Ca) keep errors of the size of the tolerance
// instead of relaxing back, and objectives of high-Ca parameter sets
// moved by up to 0.3 (see deterministic.Options.ClampRates and the
// README).
func (o Options) solver() deterministic.Options {
	rtol := o.Rtol
	if rtol == 0 {
		rtol = DefaultRtol
	}
	return deterministic.Options{Rtol: rtol, AtolNM: o.AtolNM, MaxSteps: o.MaxSteps, Cache: o.Cache, MaxOrder: stimulusMaxOrder}
}

// stimulusMaxOrder caps the formulas' order while stimuli arrive. The
// order-5 formula is stable in a 51° sector only and rings on the
// spine model's oscillatory Ca–calmodulin modes between pulses (its
// error estimates alternate in sign and steps get rejected); capped at
// order 4 (66°) the pulse trains take 2 % fewer steps and 4.5 % less
// time, objectives unchanged (24 VC-1 and 12 EC-2 random sets).
const stimulusMaxOrder = 4

// preSolver returns the options of the parts before and after the
// stimuli.
func (o Options) preSolver() deterministic.Options {
	so := o.solver()
	so.MaxOrder = 0
	so.Rtol = o.PreRtol
	if so.Rtol == 0 {
		so.Rtol = DefaultPreRtol
	}
	return so
}

// ExperimentResult is one simulated experiment.
type ExperimentResult struct {
	ID int
	// Ratios are g(t)/g(baseline) at the data set's target times.
	Ratios []float64
	// GBaselinePS is g at the baseline time (pS, counts as molecules).
	GBaselinePS float64
	// CaPeakMM is the largest free Ca over all solver points (mM).
	CaPeakMM float64
	// Steps are the accepted solver steps, including those of the
	// pre-stimulus part the experiment shares with others.
	Steps int
	// Err is set when the run failed (budget exhausted, solver error).
	Err error
}

// Result is the evaluation of one parameter vector on a data set.
type Result struct {
	// Objectives are f0…f(K−1), the sums over target times of
	// |target − ratio| for each experiment, then the Ca penalty.
	Objectives  []float64
	Experiments []ExperimentResult
}

// mM converts molecules in a voxel of Ω molecules/nM to mM.
func mM(molecules, omega float64) float64 { return molecules / omega * 1e-6 }

// gSink records the AMPA conductance at chosen times of the main output.
type gSink struct {
	groups *ampa.Groups
	times  []float64
	at     []float64
	x      []float64
	ns     int
}

func conductanceSink(sys *model.System, times []float64) (*gSink, error) {
	var ids []string
	for _, i := range sys.Main.Species {
		ids = append(ids, sys.Species[i].ID)
	}
	gr, err := ampa.NewGroups(ids)
	if err != nil {
		return nil, err
	}
	at := make([]float64, len(times))
	for i := range at {
		at[i] = math.NaN()
	}
	return &gSink{groups: gr, times: times, at: at, x: make([]float64, len(ids)), ns: len(ids)}, nil
}

func (g *gSink) Values(set int, t float64, v []float64) error {
	if set != 0 {
		return nil
	}
	for i, want := range g.times {
		if math.Abs(t-want) <= 1e-6 {
			// Sum over the voxels of the main output.
			clear(g.x)
			for k := 0; k*g.ns < len(v); k++ {
				for j := 0; j < g.ns; j++ {
					g.x[j] += v[k*g.ns+j]
				}
			}
			g.at[i] = ampa.Random(g.groups.Subunits(g.x)).Conductance()
		}
	}
	return nil
}

// fanout passes outputs to several sinks.
type fanout struct{ sinks []model.ValueSink }

func (f *fanout) Values(set int, t float64, v []float64) error {
	for _, s := range f.sinks {
		if err := s.Values(set, t, v); err != nil {
			return err
		}
	}
	return nil
}

// experimentRun is one experiment of an evaluation: its compiled system
// (run to endMs) and what its simulation found.
type experimentRun struct {
	e      *Experiment
	sys    *model.System
	stimMs float64 // end of the last stimulus pulse, rounded up to the output grid
	prerun string  // experiments with the same key share the part before splitMs
	res    ExperimentResult
	g      *gSink
	peak   float64 // largest free Ca, molecules
}

// prerun is the part before the first stimulus, shared by the
// experiments of an evaluation whose models do not differ there (same
// initial-amount and rate edits, same L and ACh inputs).
type prerun struct {
	members []*experimentRun
	y       []float64 // state at splitMs
	steps   int       // accepted steps
	used    int       // accepted and rejected (step budget)
	err     error
}

// plan compiles the experiments of an evaluation. The runs end at the
// last time anything is read: the latest target time, or the end of the
// last stimulus pulse if later (nothing arrives afterwards, so free Ca
// can only fall and the Ca peak is already known). It returns the
// split time (the first stimulus edge of any experiment: the onset) and
// the experiments grouped by their shared pre-stimulus part.
func (d *Data) plan(base *model.Model, s *Space, p Params, exps []*Experiment, times []float64) (runs []*experimentRun, groups []*prerun, splitMs float64, err error) {
	endMs := d.Fixed.GridStartMs
	for _, t := range times {
		endMs = math.Max(endMs, t)
	}
	splitMs = d.Fixed.CaOnsetMs
	byKey := map[string]*prerun{}
	for _, e := range exps {
		fl, ed, err := d.Edits(s, p, e)
		if err != nil {
			return nil, nil, 0, err
		}
		stim := d.Fixed.CaOnsetMs
		for _, q := range protocol.FittingTrain(e.Protocol).Schedule(d.Fixed.CaOnsetMs) {
			stim = math.Max(stim, q.EndMs)
		}
		// Continuations start their output grid where they start: put the
		// switch of tolerance on the grid.
		stim = d.Fixed.GridStartMs + math.Ceil((stim-d.Fixed.GridStartMs)/d.Fixed.GridStepMs)*d.Fixed.GridStepMs
		end := math.Max(endMs, stim)
		proto := protocol.Fitting(e.Protocol, fl, protocol.Timing{OnsetMs: d.Fixed.CaOnsetMs, RuntimeMs: end})
		m, _, err := protocol.Apply(base, proto, ed)
		if err != nil {
			return nil, nil, 0, err
		}
		m.Settings.OutputIntervalMs, m.Settings.HasOutputInterval = d.Fixed.GridStepMs, true
		sys, _, err := model.Compile(m, model.Options{Method: "ode"})
		if err != nil {
			return nil, nil, 0, err
		}
		r := &experimentRun{e: e, sys: sys, stimMs: stim, prerun: fmt.Sprint(ed.Blocked, ed.Altered, fl.L, fl.ACh), res: ExperimentResult{ID: e.ID}}
		runs = append(runs, r)
		g := byKey[r.prerun]
		if g == nil {
			g = &prerun{}
			byKey[r.prerun] = g
			groups = append(groups, g)
		}
		g.members = append(g.members, r)
	}
	return runs, groups, splitMs, nil
}

// Evaluate runs every experiment of variant v of data set ds with params
// p and returns the objectives exactly as fitter_fewer.py defines them
// (protocols-and-fitting.md §4): f_k = Σ_m |target_km − g_k(τ_m)/g_k(t0)|
// over the non-NaN targets, then f_K = Σ_k [M_k > 0.002 mM]·M_k with M_k
// the largest free Ca. A failed experiment (solver error or exhausted
// step budget) gets the missing-result error 1e8 in its objective and in
// the Ca penalty. Experiments whose models agree before the first
// stimulus (same edits, same L and ACh inputs) share that part of the
// run (4040 s from the initial amounts; see Options.PreRtol). Runs go
// Options.Jobs at a time; the result does not depend on Jobs.
func (d *Data) Evaluate(ctx context.Context, base *model.Model, ds *Dataset, v *Variant, s *Space, p Params, opt Options) (*Result, error) {
	exps := make([]*Experiment, len(v.Experiments))
	for k, id := range v.Experiments {
		e, err := d.Experiment(id)
		if err != nil {
			return nil, err
		}
		exps[k] = e
	}
	if _, _, err := d.Edits(s, p, exps[0]); err != nil {
		return nil, err
	}
	times := append([]float64{d.Fixed.GridStartMs}, ds.TargetTimesMs...)
	runs, groups, splitMs, err := d.plan(base, s, p, exps, times)
	if err != nil {
		return nil, err
	}
	for _, t := range times {
		if k := (t - d.Fixed.GridStartMs) / d.Fixed.GridStepMs; t > splitMs && math.Abs(k-math.Round(k)) > 1e-9 {
			return nil, fmt.Errorf("target time %g ms is not on the output grid (%g ms from %g ms)", t, d.Fixed.GridStepMs, d.Fixed.GridStartMs)
		}
	}
	ca, ok := runs[0].sys.SpeciesIndex("Ca")
	if !ok {
		return nil, errors.New("the model has no species Ca")
	}
	for _, r := range runs {
		if r.g, err = conductanceSink(r.sys, times); err != nil {
			return nil, err
		}
	}
	jobs := max(opt.Jobs, 1)
	parallel := func(n int, f func(i int)) {
		sem := make(chan struct{}, jobs)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				f(i)
			}()
		}
		wg.Wait()
	}
	withTimeout := func(ctx context.Context) (context.Context, context.CancelFunc) {
		if opt.Timeout > 0 {
			return context.WithTimeout(ctx, opt.Timeout)
		}
		return ctx, func() {}
	}
	// The shared part: from the initial amounts to the split, recording g
	// at the times before it and the Ca peak.
	parallel(len(groups), func(i int) {
		g := groups[i]
		lead := g.members[0]
		pre := *lead.sys
		pre.EndMs = splitMs
		so := opt.preSolver()
		peak := 0.0
		so.OnStep = func(_ float64, y []float64) { peak = math.Max(peak, y[ca]) }
		sink := &fanout{sinks: make([]model.ValueSink, len(g.members))}
		for k, m := range g.members {
			sink.sinks[k] = m.g
		}
		c, cancel := withTimeout(ctx)
		defer cancel()
		g.y = append([]float64(nil), pre.Initial...)
		st, err := deterministic.Integrate(c, &pre, so, g.y, sink)
		g.steps, g.used, g.err = st.Steps, st.Steps+st.Rejected, err
		for _, m := range g.members {
			m.peak = peak
		}
	})
	// Each experiment's own part, from the split on.
	parallel(len(runs), func(i int) {
		r := runs[i]
		var g *prerun
		for _, gr := range groups {
			if slices.Contains(gr.members, r) {
				g = gr
			}
		}
		r.res.Steps = g.steps
		if g.err != nil {
			r.res.Err = g.err
			r.res.CaPeakMM = mM(r.peak, r.sys.Omega(0))
			return
		}
		// The stimulus part at Rtol, what follows at PreRtol.
		y := append([]float64(nil), g.y...)
		used := g.used
		var err error
		for part, so := range []deterministic.Options{opt.solver(), opt.preSolver()} {
			sys := *r.sys
			sys.StartMs, sys.EndMs = splitMs, r.stimMs
			if part == 1 {
				sys.StartMs, sys.EndMs = r.stimMs, r.sys.EndMs
			}
			if sys.EndMs <= sys.StartMs {
				continue
			}
			if opt.MaxSteps > 0 {
				so.MaxSteps = max(opt.MaxSteps-used, 1)
			}
			so.OnStep = func(_ float64, y []float64) { r.peak = math.Max(r.peak, y[ca]) }
			c, cancel := withTimeout(ctx)
			var st deterministic.Stats
			st, err = deterministic.Integrate(c, &sys, so, y, r.g)
			cancel()
			r.res.Steps += st.Steps
			used += st.Steps + st.Rejected
			if err != nil {
				break
			}
		}
		r.res.CaPeakMM = mM(r.peak, r.sys.Omega(0))
		if err != nil {
			r.res.Err = err
			return
		}
		r.res.GBaselinePS = r.g.at[0]
		for k := range ds.TargetTimesMs {
			r.res.Ratios = append(r.res.Ratios, r.g.at[k+1]/r.g.at[0])
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]ExperimentResult, len(runs))
	for k, r := range runs {
		results[k] = r.res
	}
	r := &Result{Experiments: results}
	penalty := 0.0
	for k, er := range results {
		if er.Err != nil {
			r.Objectives = append(r.Objectives, d.Fixed.MissingResultErr)
			penalty += d.Fixed.MissingResultErr
			continue
		}
		f := 0.0
		for m := range ds.TargetTimesMs {
			if tg := v.Target(k, m); !math.IsNaN(tg) {
				f += math.Abs(tg - er.Ratios[m])
			}
		}
		if math.IsNaN(f) {
			f = d.Fixed.MissingResultErr
		}
		r.Objectives = append(r.Objectives, f)
		if er.CaPeakMM > d.Fixed.CaPenaltyMM {
			penalty += er.CaPeakMM
		}
	}
	r.Objectives = append(r.Objectives, penalty)
	return r, nil
}

// Captions lists the data sets.
func (d *Data) Captions() []string {
	var out []string
	for _, ds := range d.Datasets {
		out = append(out, ds.Caption)
	}
	sort.Strings(out)
	return out
}
