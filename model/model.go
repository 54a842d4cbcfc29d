package model

import (
	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/mesh"
)

// Model is a reaction–diffusion model as written in its source files, in
// the file's units (nM, pmol/m², µm, ms, molecules/ms, kdiff in the unit it
// names). It is produced by a reader (package neurord) and turned into a
// numeric System by Compile.
type Model struct {
	// Source is the path of the main model file.
	Source string
	// Text is the whole model with includes resolved (for provenance).
	Text string

	Species    []Species
	Reactions  []Reaction
	Morphology mesh.Morphology
	// Discretization holds the mesh settings, including geometry,
	// depth2D and spineSeed.
	Discretization mesh.Settings

	Concentrations []ConcentrationSet
	Surfaces       []SurfaceDensitySet
	Stimuli        []Injection
	OutputSets     []OutputSet
	// OutputSpecies lists the species ids of the main output; empty = all.
	OutputSpecies []string

	Settings Settings
}

// Species is a <Specie>.
type Species struct {
	ID   string
	Name string
	// KDiff is the diffusion constant in the unit KDiffUnit names.
	KDiff     float64
	KDiffUnit string
	Pos       diag.Pos
}

// Reaction is a <Reaction>. Its position in Model.Reactions is its stable
// identity: ids need not be unique in real models.
type Reaction struct {
	ID        string
	Name      string
	Reactants []Term
	Products  []Term
	// ForwardRate and ReverseRate are in nM^(1−P)/ms with P the order of
	// that direction; zero means no channel in that direction.
	ForwardRate float64
	ReverseRate float64
	// Pos locates the <Reaction>; RatePos its <forwardRate> and
	// <reverseRate> (zero when absent).
	Pos     diag.Pos
	RatePos [2]diag.Pos
}

// Term is a <Reactant> or <Product>.
type Term struct {
	Species string // id or name as written
	// N is the stoichiometry: molecules consumed or produced per firing.
	N int
	// Power is the order of this species in the propensity (falling
	// factorial); it matters for reactants of the direction that consumes it.
	Power int
	Pos   diag.Pos
}

// ConcentrationSet is a <ConcentrationSet>; Region "" is the default set.
type ConcentrationSet struct {
	Region  string
	Entries []Concentration
	Pos     diag.Pos
}

// ConcentrationUnit says how a Concentration value is written.
type ConcentrationUnit int

const (
	// NanoMolar is a <NanoMolarity value> in nM.
	NanoMolar ConcentrationUnit = iota
	// PerCubicMicron is a <NumberDensity number> in molecules per µm³.
	PerCubicMicron
)

// Concentration is one volume initial condition.
type Concentration struct {
	Species string
	Value   float64
	Unit    ConcentrationUnit
	Pos     diag.Pos
}

// SurfaceDensitySet is a <SurfaceDensitySet>; Region "" is the default set.
type SurfaceDensitySet struct {
	Region  string
	Entries []SurfaceDensity
	Pos     diag.Pos
}

// SurfaceDensity is a <PicoSD value> in pmol/m².
type SurfaceDensity struct {
	Species string
	PicoSD  float64
	Pos     diag.Pos
}

// Distribution is how injected molecules are timed.
type Distribution int

const (
	// DistPoisson injections arrive as a Poisson process (the default).
	DistPoisson Distribution = iota
	// DistExact injections arrive evenly spaced, 1/rate apart.
	DistExact
)

func (d Distribution) String() string {
	if d == DistExact {
		return "EXACT"
	}
	return "POISSON"
}

// Injection is an <InjectionStim>. Times are ms and rates molecules/ms
// (total over all target voxels).
type Injection struct {
	Species      string
	Site         string
	Distribution Distribution

	OnsetMs, DurationMs, RatePerMs  float64
	PeriodMs, EndMs                 float64
	InterTrainMs                    float64
	NumTrains                       int
	HasOnset, HasDuration, HasRate  bool
	HasPeriod, HasEnd, HasNumTrains bool

	// Rates, when not empty, is a <rates> table used instead of the
	// pattern above.
	Rates []RateRow
	Pos   diag.Pos
	// ChildPos locates child elements by name ("rate", "period", …).
	ChildPos map[string]diag.Pos
}

// at returns the position of child element name, or of the injection.
func (in *Injection) at(name string) diag.Pos {
	if p, ok := in.ChildPos[name]; ok {
		return p
	}
	return in.Pos
}

// RateRow is one row of a <rates> table: from TimeMs on the injection rate
// is RatePerMs until the next row.
type RateRow struct {
	TimeMs, RatePerMs float64
}

// OutputSet is an <OutputSet>: species (ids) of the voxels of Region (all
// when empty), written every IntervalMs (0: the fixed step, or only t=0).
type OutputSet struct {
	Filename   string
	Region     string
	IntervalMs float64
	Species    []string
	Pos        diag.Pos
}

// Settings are the run settings of <SDRun>. Times are ms.
type Settings struct {
	RuntimeMs, StartMs, EndMs float64
	HasRuntime, HasEnd        bool
	OutputIntervalMs          float64
	HasOutputInterval         bool
	// FixedStepMs is the step of fixed-step methods; 0 if not given.
	FixedStepMs float64
	// Tolerance is the adaptive leap accuracy ε; NeuroRD's default 0.001.
	Tolerance   float64
	Calculation string // as written, e.g. GRID_ADAPTIVE; "" if absent
	// SimulationSeed 0 means: not given (NeuroRD then seeds from the clock).
	SimulationSeed int64
	// LeapMinJump is NeuroRD's leap_min_jump (default 2).
	LeapMinJump float64
	// Pos locates each setting element by name, and "SDRun" the root.
	Pos map[string]diag.Pos
}

// At returns the position of setting element name, or of the root.
func (s *Settings) At(name string) diag.Pos {
	if p, ok := s.Pos[name]; ok {
		return p
	}
	return s.Pos["SDRun"]
}

// Defaults returns the settings NeuroRD assumes when elements are absent.
func Defaults() Settings {
	return Settings{Tolerance: 0.001, LeapMinJump: 2, Pos: map[string]diag.Pos{}}
}
