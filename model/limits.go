package model

import (
	"fmt"
	"math"

	"github.com/spinerd/spinerd/diag"
)

// Limits of what the engines can represent and resolve, checked when a
// model is compiled so that a model beyond them fails with a message
// naming the element and value instead of running into wrong numbers, a
// stall or exhausted memory. They follow from the numerics:
//
//   - MaxCount: counts are int64 in the engines but enter propensities,
//     leap sizes, voxel sums and the ODE state as float64, which holds
//     integers exactly only up to 2^53. An initial amount, or an initial
//     amount plus everything a stimulus injects into a voxel, above it is
//     an error.
//   - MaxRatePerMs(t), for stochastic methods: times are float64 ms, and near time t consecutive
//     representable times are ulp(t) ≈ t·2⁻⁵² apart. A channel that fires
//     at R per ms waits 1/R on average; below 16 ulps of the run's end the
//     waiting times are no longer resolved (below 1 ulp the clock stops
//     and the run stalls). So a rate constant that makes one molecule (or
//     one reactant set) fire faster than 1/(16·ulp(end)), a hop faster than
//     that, or an injection faster than that, is an error; so is a fixed
//     step shorter than 16 ulps.
//   - MaxFrames: every output time is one frame in every file and every
//     reader (plot, NPZ export, ensemble summaries) holds a set's times in
//     memory: 10⁹ frames are 8 GB of times alone. More frames in one output
//     set is an error; more than LargeFrames is a warning.
//   - MaxStateValues and MaxInstances bound the memory of a run: the
//     voxel × species state (an int64 count and a float64 initial value
//     each) and the channel instances (every reaction in every voxel, every
//     hop, every injection target; the adaptive engine needs about 900
//     bytes per instance with its dependency and bound tables, measured on
//     a 129,000-voxel mesh), so that a run stays under 1 GB.
const (
	MaxCount       = 1 << 53
	MaxFrames      = 1_000_000_000
	LargeFrames    = 10_000_000
	MaxStateValues = 1 << 24
	MaxInstances   = 800_000
	resolveULPs    = 16
)

// MaxRatePerMs returns the largest event rate (per ms) whose waiting times
// double precision resolves up to time endMs (see the limits above).
func MaxRatePerMs(endMs float64) float64 {
	t := math.Max(math.Abs(endMs), 1)
	ulp := math.Nextafter(t, math.Inf(1)) - t
	return 1 / (resolveULPs * ulp)
}

// checkSize reports a model whose state or channel instances would exceed
// the memory limits, before they are allocated.
func (s *System) checkSize(m *Model, d *diag.List) bool {
	nv, ns := int64(s.NumVoxels()), int64(len(s.Species))
	ok := true
	if nv*ns > MaxStateValues {
		d.Errorf(m.Discretization.Pos, "<discretization>", fmt.Sprint(nv), "%d voxels × %d species = %d state values exceed the limit of %d (memory): increase the element size or remove species", nv, ns, nv*ns, int64(MaxStateValues))
		ok = false
	}
	inst := nv * int64(len(s.Channels))
	for v := range s.Mesh.Voxels {
		for range s.Mesh.Voxels[v].Neighbours {
			for _, sp := range s.Species {
				if sp.DiffusionUm2PerMs > 0 {
					inst++
				}
			}
		}
	}
	if inst > MaxInstances {
		d.Errorf(m.Discretization.Pos, "<discretization>", fmt.Sprint(nv), "%d voxels give %d reaction and diffusion channels, more than the limit of %d (memory): increase the element size", nv, inst, int64(MaxInstances))
		ok = false
	}
	return ok
}

// checkMagnitudes reports counts, rates, steps and output sizes beyond the
// limits above.
func (s *System) checkMagnitudes(m *Model, ix speciesIndex, d *diag.List) {
	maxRate := MaxRatePerMs(math.Max(math.Abs(s.EndMs), math.Abs(s.StartMs)))
	ns := len(s.Species)
	st := &m.Settings
	if math.IsInf(s.EndMs, 0) || math.IsNaN(s.EndMs) {
		d.Errorf(st.At("runtime"), "<runtime>", fmt.Sprint(s.EndMs-s.StartMs), "the run must end at a finite time")
		return
	}
	if iv := s.Main.IntervalMs; iv*maxRate < 1 && s.Method.Info().Stochastic {
		d.Errorf(st.At("runtime"), "<runtime>", fmt.Sprint(s.EndMs-s.StartMs), "a run to %g ms cannot be timed in double precision with outputs every %g ms (times near the end are %.3g ms apart): run shorter", s.EndMs, iv, 1/(resolveULPs*maxRate)*resolveULPs/resolveULPs)
		return
	}
	// Initial amounts (and what injections add to them).
	injected := make([]float64, len(s.Initial))
	for k := range s.Stimuli {
		stim := &s.Stimuli[k]
		if stim.Species < 0 {
			continue
		}
		total := stim.Molecules(s.StartMs, s.EndMs)
		for j, v := range stim.Targets {
			injected[v*ns+stim.Species] += total * stim.Shares[j]
		}
	}
	reported := map[int]bool{}
	for i, x := range s.Initial {
		sp, v := i%ns, i/ns
		if reported[sp] {
			continue
		}
		switch {
		case x > MaxCount || math.IsInf(x, 0) || math.IsNaN(x):
			reported[sp] = true
			pos, el, val := initialSource(m, s.Species[sp].ID)
			d.Errorf(pos, el, val, "initial amount %s gives %.3g molecules of %s in voxel %d, more than the engines count exactly (2^53 ≈ 9.0e15)", val, x, s.Species[sp].ID, v)
		case x+injected[i] > MaxCount || math.IsInf(injected[i], 0):
			reported[sp] = true
			pos, el := m.Settings.At("SDRun"), "<StimulationSet>"
			for k := range s.Stimuli {
				if s.Stimuli[k].Species == sp {
					in := &m.Stimuli[s.Stimuli[k].Index]
					pos, el = in.at("rate"), injectionName(in, s.Stimuli[k].Index)
					break
				}
			}
			d.Errorf(pos, el, "", "the stimuli inject %.3g molecules of %s into voxel %d during the run, more than the engines count exactly (2^53 ≈ 9.0e15)", injected[i], s.Species[sp].ID, v)
		}
	}
	if !s.Method.Info().Stochastic {
		s.checkOutputSizes(m, d)
		return
	}
	// Reaction rates: the fastest firing of a single reactant set.
	for ci := range s.Channels {
		c := &s.Channels[ci]
		r := &m.Reactions[c.Reaction]
		minimal := 1.0
		for _, re := range c.Reactants {
			minimal *= falling(int64(max(re.N, re.Power)), re.Power)
		}
		fastest, where := 0.0, 0
		for v := range s.Mesh.Voxels {
			if a := c.Const(v) * minimal; a > fastest {
				fastest, where = a, v
			}
		}
		if fastest > maxRate || math.IsNaN(fastest) {
			dir, name := 0, "forwardRate"
			if c.Reverse {
				dir, name = 1, "reverseRate"
			}
			d.Errorf(r.RatePos[dir], reactionName(r, c.Reaction), fmt.Sprint(c.RateConst), "%s %g fires a single reactant set %.3g times per ms (in voxel %d): double precision resolves waits up to %g ms only for rates ≤ %.3g per ms (16 ulps of the end time)",
				name, c.RateConst, fastest, where, s.EndMs, maxRate)
		}
	}
	// Hops.
	hopReported := map[int]bool{}
	for _, h := range s.Hops {
		if h.RatePerMs > maxRate && !hopReported[h.Species] {
			hopReported[h.Species] = true
			sp := &m.Species[h.Species]
			d.Errorf(sp.Pos, fmt.Sprintf("<Specie id=%q>", sp.ID), fmt.Sprint(sp.KDiff), "kdiff %g makes a molecule hop %.3g times per ms (voxel %d → %d): double precision resolves waits up to %g ms only for rates ≤ %.3g per ms; use larger voxels or a smaller diffusion constant", sp.KDiff, h.RatePerMs, h.From, h.To, s.EndMs, maxRate)
		}
	}
	// Injections.
	for k := range s.Stimuli {
		stim := &s.Stimuli[k]
		in := &m.Stimuli[stim.Index]
		for _, p := range stim.Pulses {
			if p.RatePerMs > maxRate || math.IsNaN(p.RatePerMs) {
				d.Errorf(in.at("rate"), injectionName(in, stim.Index), fmt.Sprint(p.RatePerMs), "injection rate %g molecules/ms: double precision resolves waits up to %g ms only for rates ≤ %.3g per ms", p.RatePerMs, s.EndMs, maxRate)
				break
			}
		}
	}
	// Fixed step.
	if s.Method.Info().NeedsFixedStep && s.FixedStepMs > 0 && s.FixedStepMs < 1/maxRate {
		d.Errorf(st.At("fixedStepDt"), "<fixedStepDt>", fmt.Sprint(s.FixedStepMs), "fixed step %g ms is below 16 ulps of the end time %g ms (%.3g ms): the steps would not add up", s.FixedStepMs, s.EndMs, 1/maxRate)
	}
	s.checkOutputSizes(m, d)
}

// checkOutputSizes reports output sets of more than MaxFrames frames.
func (s *System) checkOutputSizes(m *Model, d *diag.List) {
	st := &m.Settings
	for i := 0; i < s.NumOutputSets(); i++ {
		o := s.OutputSet(i)
		frames := (s.EndMs-s.StartMs)/o.IntervalMs + 1
		pos, el := st.At("outputInterval"), "<outputInterval>"
		if i > 0 {
			pos, el = m.OutputSets[i-1].Pos, fmt.Sprintf("<OutputSet filename=%q>", o.Name)
		}
		values := frames * float64(len(o.Species)*len(o.Voxels))
		switch {
		case frames > MaxFrames:
			d.Errorf(pos, el, fmt.Sprint(o.IntervalMs), "a run of %g ms written every %g ms has %.3g output frames, more than the limit of %d (each frame is a time in every file and in memory when read back): write less often or run shorter", s.EndMs-s.StartMs, o.IntervalMs, frames, MaxFrames)
		case frames > LargeFrames:
			d.Warnf(pos, el, fmt.Sprint(o.IntervalMs), "a run of %g ms written every %g ms has %.3g output frames (%.3g values): expect large files", s.EndMs-s.StartMs, o.IntervalMs, frames, values)
		}
	}
}

// initialSource returns where an initial amount of species id is given
// (the largest if several), for messages.
func initialSource(m *Model, id string) (diag.Pos, string, string) {
	best := -1.0
	var pos diag.Pos
	el, val := "<InitialConditions>", ""
	for _, set := range m.Concentrations {
		for _, c := range set.Entries {
			if c.Species == id && math.Abs(c.Value) >= best {
				best, pos, val = math.Abs(c.Value), c.Pos, fmt.Sprint(c.Value)
				el = fmt.Sprintf("<NanoMolarity specieID=%q>", id)
				if c.Unit == PerCubicMicron {
					el = fmt.Sprintf("<NumberDensity specieID=%q>", id)
				}
			}
		}
	}
	for _, set := range m.Surfaces {
		for _, c := range set.Entries {
			if c.Species == id && math.Abs(c.PicoSD) >= best {
				best, pos, val = math.Abs(c.PicoSD), c.Pos, fmt.Sprint(c.PicoSD)
				el = fmt.Sprintf("<PicoSD specieID=%q>", id)
			}
		}
	}
	return pos, el, val
}

// falling returns x(x−1)…(x−p+1) as a float64.
func falling(x int64, p int) float64 {
	f := 1.0
	for j := 0; j < p; j++ {
		f *= float64(x - int64(j))
	}
	return f
}
