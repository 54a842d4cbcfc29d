package model

import (
	"math"
	"sort"
)

// Edge is a change of a stimulus's injection rate at a time: from TimeMs
// on, stimulus Stim injects RatePerMs molecules per ms (0: off).
type Edge struct {
	TimeMs    float64
	Stim      int
	RatePerMs float64
}

// StimulusEdges returns the rate changes of every stimulus in time order;
// at equal times a pulse's end comes before the next pulse's start.
func (s *System) StimulusEdges() []Edge {
	var e []Edge
	for k, st := range s.Stimuli {
		for _, p := range st.Pulses {
			e = append(e, Edge{p.StartMs, k, p.RatePerMs})
			if !math.IsInf(p.EndMs, 1) {
				e = append(e, Edge{p.EndMs, k, 0})
			}
		}
	}
	sort.SliceStable(e, func(i, j int) bool {
		if e[i].TimeMs != e[j].TimeMs {
			return e[i].TimeMs < e[j].TimeMs
		}
		return e[i].RatePerMs == 0 && e[j].RatePerMs != 0
	})
	return e
}

// Edges walks a system's stimulus edges in time order.
type Edges struct {
	e []Edge
	i int
}

// NewEdges returns a cursor over StimulusEdges.
func (s *System) NewEdges() *Edges { return &Edges{e: s.StimulusEdges()} }

// Apply calls set for every edge at or before t not yet applied, in order.
func (c *Edges) Apply(t float64, set func(stim int, ratePerMs float64)) {
	for ; c.i < len(c.e) && c.e[c.i].TimeMs <= t; c.i++ {
		set(c.e[c.i].Stim, c.e[c.i].RatePerMs)
	}
}

// Next returns the time of the next edge not yet applied (+Inf if none).
func (c *Edges) Next() float64 {
	if c.i < len(c.e) {
		return c.e[c.i].TimeMs
	}
	return math.Inf(1)
}

// Schedule walks the output times of every output set of a system: each
// set's start time and exact multiples of its interval after it (computed
// as start + k·interval, never accumulated), and the end of the run for
// sets whose last time falls before it. Sets with an infinite interval
// are written once, at the start.
type Schedule struct {
	sys   *System
	k     []int64
	last  []float64
	start float64 // origin of the multiples (OutputOriginMs)
	begin float64 // the run's first time (StartMs)
}

// NewSchedule returns the output schedule of s: the times from s.StartMs
// on, multiples of each interval from s.OutputOriginMs.
func (s *System) NewSchedule() *Schedule {
	n := s.NumOutputSets()
	o := &Schedule{sys: s, k: make([]int64, n), last: make([]float64, n), start: s.OutputOriginMs, begin: s.StartMs}
	for i := range o.last {
		o.last[i] = math.Inf(-1)
		if iv := s.OutputSet(i).IntervalMs; !math.IsInf(iv, 1) && o.begin > o.start {
			// Resumed: skip the times before the run's first.
			k := int64(math.Ceil((o.begin - o.start) / iv))
			tol := 1e-9 * math.Max(1, math.Abs(o.begin))
			for k > 0 && o.start+float64(k-1)*iv >= o.begin-tol {
				k--
			}
			o.k[i] = k
		}
	}
	return o
}

func (o *Schedule) timeOf(i int) float64 {
	iv := o.sys.OutputSet(i).IntervalMs
	if math.IsInf(iv, 1) {
		if o.k[i] == 0 {
			return o.begin
		}
		return math.Inf(1)
	}
	return o.start + float64(o.k[i])*iv
}

// Next returns the earliest pending output time (+Inf when none).
func (o *Schedule) Next() float64 {
	t := math.Inf(1)
	for i := range o.k {
		t = math.Min(t, o.timeOf(i))
	}
	return t
}

func near(a, t float64) bool { return a <= t+1e-9*math.Max(1, math.Abs(t)) }

// Due calls emit for every set and output time ≤ t (up to rounding), in
// order of sets, and advances past them.
func (o *Schedule) Due(t float64, emit func(set int, t float64) error) error {
	for i := range o.k {
		for {
			ti := o.timeOf(i)
			if !near(ti, t) {
				break
			}
			if err := emit(i, ti); err != nil {
				return err
			}
			o.last[i] = ti
			o.k[i]++
		}
	}
	return nil
}

// Final calls emit(set, t) for the periodic sets whose last frame is
// earlier than t, the end of the run.
func (o *Schedule) Final(t float64, emit func(set int, t float64) error) error {
	for i := range o.k {
		if math.IsInf(o.sys.OutputSet(i).IntervalMs, 1) {
			continue
		}
		if o.last[i] < t-1e-9*math.Max(1, math.Abs(t)) {
			if err := emit(i, t); err != nil {
				return err
			}
			o.last[i] = t
		}
	}
	return nil
}

// Gather copies the values of output set i from a state x indexed
// [voxel*len(Species)+species] into dst, voxel-major as sinks expect.
func Gather[T int64 | float64](s *System, i int, x []T, dst []T) []T {
	set := s.OutputSet(i)
	ns := len(s.Species)
	dst = dst[:0]
	for _, v := range set.Voxels {
		for _, sp := range set.Species {
			dst = append(dst, x[v*ns+sp])
		}
	}
	return dst
}
