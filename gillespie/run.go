package gillespie

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/spinerd/spinerd/model"
)

// Options configures a stochastic run. The zero value is a serial run.
type Options struct {
	// Workers is the number of goroutines that advance blocks of voxels
	// of a multi-voxel model; 0 or 1 runs serially. Results do not depend
	// on it.
	Workers int
	// Progress, if not nil, is called with the simulated time (ms) after
	// each output time, from the goroutine that called Run.
	Progress func(tMs float64)
}

// Stats counts what an engine did.
type Stats struct {
	// ExactEvents are single firings (reactions, hops, injections).
	ExactEvents int64
	// Leaps are tau-leaps; LeapFirings the firings they carried.
	Leaps, LeapFirings int64
	// Steps are the steps of the fixed method.
	Steps int64
}

// engine is one simulation method over a net.
type engine interface {
	// advance simulates until time t: every event at a time ≤ t happens.
	advance(ctx context.Context, t float64) error
	// setRate sets stimulus k's total rate (molecules/ms) from now on.
	setRate(k int, rate float64)
	stats() Stats
}

// edge is a change of a stimulus's rate at a time.
type edge struct {
	t    float64
	stim int
	rate float64
}

func stimulusEdges(sys *model.System) []edge {
	var e []edge
	for k, st := range sys.Stimuli {
		for _, p := range st.Pulses {
			e = append(e, edge{p.StartMs, k, p.RatePerMs})
			if !math.IsInf(p.EndMs, 1) {
				e = append(e, edge{p.EndMs, k, 0})
			}
		}
	}
	// At equal times a pulse's end comes before the next pulse's start.
	sort.SliceStable(e, func(i, j int) bool {
		if e[i].t != e[j].t {
			return e[i].t < e[j].t
		}
		return e[i].rate == 0 && e[j].rate != 0
	})
	return e
}

// Run simulates sys stochastically from the initial counts drawn with seed,
// by sys.Method (exact, adaptive or fixed), writing every output set to
// sink at its times. A cancelled ctx stops the run after the last complete
// output; Run then returns ctx's error and what was written stays valid.
func Run(ctx context.Context, sys *model.System, opt Options, seed uint64, sink model.Sink) (Stats, error) {
	x := sys.InitialCounts(seed)
	n := newNet(sys)
	var eng engine
	switch sys.Method {
	case model.MethodExact:
		eng = newExact(n, x, seed, sys.StartMs, 0, nil)
	case model.MethodAdaptive:
		if dom := partition(n, sys.Tolerance); dom != nil {
			eng = newDomains(n, x, seed, sys, dom, opt.Workers)
		} else {
			eng = newAdaptive(n, x, seed, sys.StartMs, sys.Tolerance, sys.LeapMinJump, nil)
		}
	case model.MethodFixed:
		if !(sys.FixedStepMs > 0) {
			return Stats{}, fmt.Errorf("the fixed method needs a positive step (fixedStepDt)")
		}
		eng = newFixed(n, x, seed, sys.StartMs, sys.FixedStepMs, opt.Workers)
	default:
		return Stats{}, fmt.Errorf("method %v is not a stochastic method", sys.Method)
	}
	out := newOutputs(sys, x, sink)
	edges := stimulusEdges(sys)
	ei := 0
	t := sys.StartMs
	for ei < len(edges) && edges[ei].t <= t {
		eng.setRate(edges[ei].stim, edges[ei].rate)
		ei++
	}
	if err := out.emitDue(t); err != nil {
		return eng.stats(), err
	}
	for t < sys.EndMs {
		next := math.Min(sys.EndMs, out.next())
		if ei < len(edges) && edges[ei].t < next {
			next = edges[ei].t
		}
		if err := eng.advance(ctx, next); err != nil {
			return eng.stats(), err
		}
		t = next
		for ei < len(edges) && edges[ei].t <= t {
			eng.setRate(edges[ei].stim, edges[ei].rate)
			ei++
		}
		if err := out.emitDue(t); err != nil {
			return eng.stats(), err
		}
		if opt.Progress != nil {
			opt.Progress(t)
		}
		if err := ctx.Err(); err != nil {
			return eng.stats(), err
		}
	}
	return eng.stats(), out.final(t)
}

// outputs schedules and writes the output sets.
type outputs struct {
	sys   *model.System
	x     []int64
	sink  model.Sink
	k     []int64   // index of each set's next output time
	last  []float64 // time of each set's last frame
	buf   []int64
	start float64
}

func newOutputs(sys *model.System, x []int64, sink model.Sink) *outputs {
	n := sys.NumOutputSets()
	o := &outputs{sys: sys, x: x, sink: sink, k: make([]int64, n), last: make([]float64, n), start: sys.StartMs}
	for i := range o.last {
		o.last[i] = math.Inf(-1)
	}
	return o
}

func (o *outputs) timeOf(i int) float64 {
	iv := o.sys.OutputSet(i).IntervalMs
	if math.IsInf(iv, 1) {
		if o.k[i] == 0 {
			return o.start
		}
		return math.Inf(1)
	}
	return o.start + float64(o.k[i])*iv
}

// next returns the earliest pending output time.
func (o *outputs) next() float64 {
	t := math.Inf(1)
	for i := range o.k {
		t = math.Min(t, o.timeOf(i))
	}
	return t
}

// emitDue writes every set whose next time is ≤ t (up to rounding).
func (o *outputs) emitDue(t float64) error {
	for i := range o.k {
		for {
			ti := o.timeOf(i)
			if ti > t+1e-9*math.Max(1, math.Abs(t)) {
				break
			}
			if err := o.write(i, ti); err != nil {
				return err
			}
			o.k[i]++
		}
	}
	return nil
}

// final writes the state at the end for sets whose last frame is earlier.
func (o *outputs) final(t float64) error {
	for i := range o.k {
		if math.IsInf(o.sys.OutputSet(i).IntervalMs, 1) {
			continue
		}
		if o.last[i] < t-1e-9*math.Max(1, math.Abs(t)) {
			if err := o.write(i, t); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *outputs) write(i int, t float64) error {
	set := o.sys.OutputSet(i)
	ns := len(o.sys.Species)
	o.buf = o.buf[:0]
	for _, v := range set.Voxels {
		for _, s := range set.Species {
			o.buf = append(o.buf, o.x[v*ns+s])
		}
	}
	o.last[i] = t
	return o.sink.Counts(i, t, o.buf)
}
