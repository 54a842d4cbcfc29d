// Package nrdh5 writes and reads runs in the layout of NeuroRD 3.3's HDF5
// output (its default writer; ../shared/docs/neurord-format.md §8.6 and
// ../shared/reference/neurord-3.3-h5/README.md), so that the analysis
// scripts NeuroRD users have (h5py, PyTables) read spinerd's runs
// unchanged and spinerd reads NeuroRD's files.
//
// The writer takes a plain-data Description of the model (package
// nrdh5/fromsys builds one from a compiled spinerd model) and knows
// nothing else of spinerd. It writes what NeuroRD writes, with the same
// names, types, attributes and storage:
//
//   - /manifest: attributes only (NeuroRD: its jar manifest);
//   - /model: species, regions, the compound grid (19 fields in NeuroRD's
//     order, 100-byte ASCII strings, chunked as one chunk, shuffle +
//     deflate 1), neighbors and couplings (padded with −1 and 0), the
//     one-way reaction table, stimulation/{target_names, targets} (the
//     group exists, empty, when the model has no stimuli), events (the
//     event channels of the exact and adaptive methods; absent for other
//     methods, as NeuroRD's fixed-step engine has none), event_statistics
//     (one row per elementary stimulation, written exactly when there are
//     events and stimulations, as NeuroRD does), output/<set>/{species,
//     elements} and serialized_config;
//   - /trial<N> (attributes TITLE and simulation_seed): output/<set>/
//     {population, times} and, with statistics rows, output/event_statistics.
//
// String datasets are NUL-terminated UTF-8 of NeuroRD's width (4 bytes
// per UTF-16 unit of the longest string, plus one); attributes are
// exactly as long as their text. Growing datasets have an unlimited
// first dimension and NeuroRD's chunk rule: the smallest power of two of
// rows holding more than 1024 elements (8 frames of a 1 × 204 population,
// 2048 times), shuffle + deflate level 1.
//
// Deliberate differences from NeuroRD 3.3, all invisible to a reader
// that follows the layout:
//
//   - population is int32 counts for stochastic runs; for a deterministic
//     (ODE) run, which NeuroRD cannot do, it is float64 molecule numbers
//     of the same shape (Description.Values = Reals);
//   - trial<N>/output/event_statistics has one row (firings, molecules
//     per statistics row over the whole trial). NeuroRD 3.3 extends the
//     dataset by as many rows as there are statistics and fills only the
//     first, leaving the others uninitialised memory. When the engine does
//     not count (TrialWriter.SetEventStatistics not called) the row holds −1
//     ("not counted") rather than invented numbers;
//   - the file is written under a temporary name and renamed when the
//     Writer is closed: a run that dies leaves no file with the final
//     name (NeuroRD leaves a file readable up to its last flush). Keep the
//     trajectory as the resumable record of a long run.
package nrdh5

// ValueKind says what population holds.
type ValueKind int

const (
	// Counts are int32 molecule counts (stochastic runs; NeuroRD's type).
	Counts ValueKind = iota
	// Reals are float64 molecule numbers (deterministic runs).
	Reals
)

// EventType is NeuroRD's event channel type (model/events/types).
type EventType int32

// Event types, in NeuroRD's enumeration order.
const (
	EventReaction    EventType = 0
	EventDiffusion   EventType = 1
	EventStimulation EventType = 2
)

// Description is the model part of a NeuroRD HDF5 file, as plain data.
// Indices are 0-based positions in Species and Grid.
type Description struct {
	// Species are the species ids in model order (model/species).
	Species []string
	// Regions are the region names, "default" first (model/regions).
	Regions []string
	// Grid has one row per voxel (model/grid).
	Grid []Voxel
	// Neighbors and Couplings list, per voxel, the neighbour voxels and
	// the coupling (contact area / distance, µm) to each.
	Neighbors [][]int
	Couplings [][]float64
	// Reactions are the one-way reaction channels (model/reactions).
	Reactions []Reaction
	// Stimulations are the elementary stimulations (model/stimulation);
	// none: the group is written empty.
	Stimulations []Stimulation
	// Events are the event channels (model/events); nil: no events group.
	Events []Event
	// Statistics are the descriptions of the event statistics rows
	// (model/event_statistics); nil: no statistics are written.
	Statistics []string
	// Outputs are the output sets, the main one ("__main__") first.
	Outputs []OutputSet
	// SerializedConfig is the whole model file text.
	SerializedConfig string
	// Manifest are the attributes of /manifest, in order.
	Manifest []KeyValue
	// Values is the type of population.
	Values ValueKind
}

// Voxel is one row of model/grid.
type Voxel struct {
	// Corners are (x, y, z) of the four corners in µm as NeuroRD stores
	// them (its z3 includes deltaZ).
	Corners    [4][3]float64
	VolumeUm3  float64
	DeltaZUm   float64
	Label      string // "element<i>" when the voxel has none
	RegionName string
	Region     int32  // index into Regions
	Type       string // "submembrane" or "cytosol"
	Group      string // spine group id, or ""
}

// Reaction is a one-way reaction channel.
type Reaction struct {
	Reactants, ReactantStoichiometry []int
	Products, ProductStoichiometry   []int
	// Rate is the rate constant as written in the model, nM^(1−order)/ms.
	Rate float64
	// Reverse is the index of the opposite direction, or −1.
	Reverse int
}

// Stimulation is one elementary stimulation: its injection site as
// written (Target) and the voxels it injects into.
type Stimulation struct {
	Target string
	Voxels []int
}

// Event is one event channel.
type Event struct {
	Description    string
	Type           EventType
	Source, Target int // voxels (equal except for diffusion)
	// Substrates are species indices; Stoichiometry their changes per
	// firing (negative for consumed species).
	Substrates    []int
	Stoichiometry []int
}

// OutputSet is an output set: which species of which voxels it holds.
type OutputSet struct {
	Name     string
	Species  []int // indices into Description.Species
	Elements []int // voxel indices
}

// KeyValue is a manifest entry.
type KeyValue struct {
	Key, Value string
}
