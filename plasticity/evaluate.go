package plasticity

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// Rtol and AtolNM are the ODE tolerances (defaults 1e-6, 1e-6 nM).
	Rtol, AtolNM float64
	// MaxSteps is the solver-step budget of each experiment (0: none);
	// an exhausted budget gives the missing-result error, reproducibly.
	MaxSteps int
	// Jobs is the number of experiments run at once (default 1).
	Jobs int
	// Timeout, if positive, bounds each experiment's wall-clock time; an
	// experiment that exceeds it gets the missing-result error. It makes
	// results depend on machine load (use MaxSteps for reproducible
	// budgets).
	Timeout time.Duration
}

// solver returns the deterministic engine's options of an evaluation.
// Rates use signed amounts, as NEURON's rxd does: with the engine's
// default clamping at zero, depleted species (buffers at very high Ca)
// keep errors of the size of the tolerance instead of relaxing back, and
// objectives of high-Ca parameter sets moved by up to 0.1 (see
// deterministic.Options.SignedRates and the README).
func (o Options) solver() deterministic.Options {
	return deterministic.Options{Rtol: o.Rtol, AtolNM: o.AtolNM, MaxSteps: o.MaxSteps, SignedRates: true}
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
	Steps    int
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

// molarPerMolecule converts molecules in the 0.5 µm³ spine to mM.
func mM(molecules, omega float64) float64 { return molecules / omega * 1e-6 }

// RunExperiment simulates experiment e with params p and returns its
// conductance ratios at times (ms) relative to baselineMs.
func (d *Data) RunExperiment(ctx context.Context, base *model.Model, s *Space, p Params, e *Experiment, baselineMs float64, times []float64, opt Options) ExperimentResult {
	res := ExperimentResult{ID: e.ID}
	fl, ed, err := d.Edits(s, p, e)
	if err != nil {
		res.Err = err
		return res
	}
	proto := protocol.Fitting(e.Protocol, fl, protocol.Timing{OnsetMs: d.Fixed.CaOnsetMs, RuntimeMs: d.Fixed.DurationMs})
	m, _, err := protocol.Apply(base, proto, ed)
	if err != nil {
		res.Err = err
		return res
	}
	m.Settings.OutputIntervalMs, m.Settings.HasOutputInterval = d.Fixed.GridStepMs, true
	sys, _, err := model.Compile(m, model.Options{Method: "ode"})
	if err != nil {
		res.Err = err
		return res
	}
	g, err := conductanceSink(sys, append([]float64{baselineMs}, times...))
	if err != nil {
		res.Err = err
		return res
	}
	ca, ok := sys.SpeciesIndex("Ca")
	if !ok {
		res.Err = errors.New("the model has no species Ca")
		return res
	}
	om := sys.Omega(0)
	peak := 0.0
	if opt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.Timeout)
		defer cancel()
	}
	so := opt.solver()
	so.OnStep = func(_ float64, y []float64) { peak = math.Max(peak, y[ca]) }
	st, err := deterministic.Run(ctx, sys, so, g)
	res.Steps = st.Steps
	res.CaPeakMM = mM(peak, om)
	if err != nil {
		res.Err = err
		return res
	}
	res.GBaselinePS = g.at[0]
	for i := range times {
		res.Ratios = append(res.Ratios, g.at[i+1]/g.at[0])
	}
	return res
}

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

// Evaluate runs every experiment of variant v of data set ds with params
// p and returns the objectives exactly as fitter_fewer.py defines them
// (protocols-and-fitting.md §4): f_k = Σ_m |target_km − g_k(τ_m)/g_k(t0)|
// over the non-NaN targets, then f_K = Σ_k [M_k > 0.002 mM]·M_k with M_k
// the largest free Ca. A failed experiment (solver error or exhausted
// step budget) gets the missing-result error 1e8 in its objective and in
// the Ca penalty. Experiments run Options.Jobs at a time; the result
// does not depend on Jobs.
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
	results := make([]ExperimentResult, len(exps))
	jobs := max(opt.Jobs, 1)
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for k, e := range exps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[k] = d.RunExperiment(ctx, base, s, p, e, d.Fixed.GridStartMs, ds.TargetTimesMs, opt)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
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
