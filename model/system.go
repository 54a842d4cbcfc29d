package model

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/spinerd/spinerd/mesh"
)

// System is the compiled, numeric form of a model that engines run. All
// quantities are in molecules, ms, µm and µm³; file units are gone.
type System struct {
	// Model is the source model, kept for reporting and provenance.
	Model *Model
	Mesh  *mesh.Mesh

	Species []SpeciesInfo
	// Channels are the one-way reaction channels in NeuroRD's order: for
	// each <Reaction> in file order, the forward channel if its rate is
	// positive, then the reverse channel if its rate is positive.
	Channels []Channel
	// Hops are the diffusion channels in NeuroRD's order (§7.2.1): by
	// source voxel, then the voxel's neighbour list, then species.
	Hops    []Hop
	Stimuli []Stimulus

	// Main is the main output (all voxels); OutputSets are the extra ones.
	Main       Output
	OutputSets []Output

	// Initial holds the expected initial molecule counts (real numbers,
	// before rounding), indexed [voxel*len(Species)+species].
	Initial []float64

	Method      Method
	Tolerance   float64 // adaptive leap accuracy ε
	LeapMinJump float64 // NeuroRD's leap_min_jump
	FixedStepMs float64 // step of the fixed method (0 if not given)
	StartMs     float64
	EndMs       float64
	// OutputOriginMs anchors the output times (multiples of each set's
	// interval from it): the model's start, also when the run starts
	// later from a saved state (StartFrom).
	OutputOriginMs float64
	// InitialState describes the saved state the run starts from
	// (StartFrom: source, time and a hash of the amounts); "" for a run
	// from the model's initial conditions.
	InitialState string
	// integerInitial: Initial holds whole counts (a state from a
	// stochastic run), used without rounding.
	integerInitial bool
	// Seed is the model's <simulationSeed>; 0 when the model gives none.
	Seed int64
}

// NumVoxels returns the number of voxels.
func (s *System) NumVoxels() int { return len(s.Mesh.Voxels) }

// Omega returns molecules per nM in voxel v: V·PUVC.
func (s *System) Omega(v int) float64 { return s.Mesh.Voxels[v].VolumeUm3 * PUVC }

// SpeciesIndex returns the index of the species with the given id.
func (s *System) SpeciesIndex(id string) (int, bool) {
	for i := range s.Species {
		if s.Species[i].ID == id {
			return i, true
		}
	}
	return 0, false
}

// SpeciesInfo describes one species.
type SpeciesInfo struct {
	ID, Name string
	// DiffusionUm2PerMs is the diffusion constant in µm²/ms.
	DiffusionUm2PerMs float64
}

// Reactant is a species consumed by a channel.
type Reactant struct {
	Species int
	// N molecules are consumed per firing; the channel cannot fire when
	// fewer are present.
	N int
	// Power is the order in the propensity: the falling factorial
	// X(X−1)…(X−Power+1) of the count.
	Power int
}

// Product is a species produced by a channel, N per firing.
type Product struct {
	Species int
	N       int
}

// Change is the net change of one species per firing.
type Change struct {
	Species int
	Delta   int
}

// Channel is a one-way reaction channel. Its propensity in voxel v is
//
//	a = Const(v) · Π_i X_i(X_i−1)…(X_i−p_i+1),   and a = 0 if any X_i < n_i,
//
// with Const(v) = k·Ω_v^(1−P), Ω_v = V_v·PUVC molecules/nM and P the total
// power (NeuroRD's convention: no 1/p! symmetry factor).
type Channel struct {
	// Reaction is the position (0-based) of the <Reaction> element; ids
	// are not unique in real models, positions are.
	Reaction   int
	ReactionID string
	Reverse    bool
	// Partner is the index of the opposite direction of the same reaction,
	// or −1.
	Partner   int
	Reactants []Reactant
	Products  []Product
	Changes   []Change
	// RateConst is k as written, in nM^(1−P)/ms.
	RateConst float64
	Order     int
	// omegaPow[v] is Ω_v^(1−P), shared by all channels of the same order.
	omegaPow []float64
}

// Const returns the propensity constant k·Ω_v^(1−P) of voxel v, in
// molecules^(1−P)/ms.
func (c *Channel) Const(v int) float64 { return c.RateConst * c.omegaPow[v] }

// Propensity returns the channel's propensity (1/ms) in voxel v for the
// counts x of that voxel (indexed by species).
func (c *Channel) Propensity(v int, x []int64) float64 {
	a := c.Const(v)
	for _, r := range c.Reactants {
		n := x[r.Species]
		if n < int64(r.N) {
			return 0
		}
		for j := 0; j < r.Power; j++ {
			a *= float64(n - int64(j))
		}
	}
	return a
}

// Hop is a diffusion channel: molecules of Species jump From → To with
// RatePerMs = D·G/V_from per molecule.
type Hop struct {
	Species, From, To int
	RatePerMs         float64
	// Reverse is the index of the To → From hop of the same species.
	Reverse int
}

// Pulse is an interval during which a stimulus injects RatePerMs molecules
// per ms in total (split over the targets by their shares).
type Pulse struct {
	StartMs, EndMs, RatePerMs float64
}

// Stimulus is an injection with its schedule expanded.
type Stimulus struct {
	// Index is the position of the <InjectionStim> element.
	Index   int
	Species int
	Site    string
	// Targets are voxel indices; Shares their fractions of the rate.
	Targets      []int
	Shares       []float64
	Distribution Distribution
	// Pulses are sorted and do not overlap.
	Pulses []Pulse
	// NumPulses counts the elementary pulses the stimulus delivers before
	// the end of the run (a pulse cut by the run's end counts).
	NumPulses int
}

// NextEdge returns the time of the stimulus's first pulse edge (start or
// end) after t (ms), or +Inf when none follows.
func (st *Stimulus) NextEdge(t float64) float64 {
	i := sort.Search(len(st.Pulses), func(i int) bool { return st.Pulses[i].EndMs > t })
	switch {
	case i == len(st.Pulses):
		return math.Inf(1)
	case st.Pulses[i].StartMs > t:
		return st.Pulses[i].StartMs
	}
	return st.Pulses[i].EndMs
}

// PrevEdge returns the time of the stimulus's last pulse edge at or
// before t (ms), or −Inf when none precedes it.
func (st *Stimulus) PrevEdge(t float64) float64 {
	i := sort.Search(len(st.Pulses), func(i int) bool { return st.Pulses[i].StartMs > t })
	if i == 0 {
		return math.Inf(-1)
	}
	if p := st.Pulses[i-1]; p.EndMs <= t {
		return p.EndMs
	}
	return st.Pulses[i-1].StartMs
}

// Molecules returns the expected number of molecules injected in [t0, t1).
func (st *Stimulus) Molecules(t0, t1 float64) float64 {
	var n float64
	for _, p := range st.Pulses {
		a, b := math.Max(p.StartMs, t0), math.Min(p.EndMs, t1)
		if b > a {
			n += (b - a) * p.RatePerMs
		}
	}
	return n
}

// Output is one output schedule: which species of which voxels are
// written every IntervalMs (+Inf: only at the start).
type Output struct {
	Name       string
	Species    []int
	Voxels     []int
	IntervalMs float64
}

// InitialCountsTotal returns the total number of molecules of
// InitialCounts(seed).
func (s *System) InitialCountsTotal(seed uint64) int64 {
	var n int64
	for _, c := range s.InitialCounts(seed) {
		n += c
	}
	return n
}

// icStream is the PCG stream used to round initial counts, so that the
// rounding draws are independent of the engines' streams.
const icStream = 0x1c0de1c0de1c0de

// InitialCounts returns the initial molecule counts [voxel*ns+species],
// each expected value x rounded stochastically as NeuroRD does (⌊x⌋, plus
// one with probability x−⌊x⌋), with a generator seeded by seed. The same
// seed always gives the same counts.
func (s *System) InitialCounts(seed uint64) []int64 {
	out := make([]int64, len(s.Initial))
	if !s.roundInitial() {
		for i, x := range s.Initial {
			out[i] = exactCount(x)
		}
		return out
	}
	rng := rand.New(rand.NewPCG(seed, icStream))
	for i, x := range s.Initial {
		f := math.Floor(x)
		n := int64(f)
		if rng.Float64() < x-f {
			n++
		}
		out[i] = n
	}
	return out
}
