package traj

import (
	"encoding/json"
	"fmt"
)

// FormatVersion is the version of the file layout this package writes.
const FormatVersion = 1

// ValueType says how frame values are stored.
type ValueType string

const (
	// Counts are integer molecule counts (stochastic runs).
	Counts ValueType = "counts"
	// Floats are real values, molecules (deterministic runs).
	Floats ValueType = "floats"
)

// Header describes a trajectory: provenance, the model and the layout of
// the frames. It is stored as compressed JSON at the start of the file.
type Header struct {
	FormatVersion  int       `json:"format_version"`
	SpinerdVersion string    `json:"spinerd_version"`
	Created        string    `json:"created,omitempty"` // RFC 3339
	ModelSource    string    `json:"model_source"`
	ModelText      string    `json:"model_text"` // the model with includes resolved
	Method         string    `json:"method"`
	Tolerance      float64   `json:"tolerance,omitempty"`
	FixedStepMs    float64   `json:"fixed_step_ms,omitempty"`
	Seed           uint64    `json:"seed"`
	StartMs        float64   `json:"start_ms"`
	EndMs          float64   `json:"end_ms"`
	Values         ValueType `json:"values"`
	Species        []Species `json:"species"`
	Voxels         []Voxel   `json:"voxels"`
	Depth2DUm      float64   `json:"depth2d_um,omitempty"`
	Sets           []Set     `json:"sets"`
	// Extra holds producer-specific metadata (e.g. ensemble statistics).
	Extra map[string]string `json:"extra,omitempty"`
}

// Species is one species of the model.
type Species struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Voxel is one voxel of the mesh.
type Voxel struct {
	VolumeUm3      float64       `json:"volume_um3"`
	ExposedAreaUm2 float64       `json:"exposed_area_um2,omitempty"`
	DeltaZUm       float64       `json:"deltaZ_um,omitempty"`
	Region         string        `json:"region"`
	Label          string        `json:"label,omitempty"`
	Group          string        `json:"group,omitempty"`
	Corners        [4][3]float64 `json:"corners"`
	// Membrane marks a submembrane voxel whose area a file did not record
	// (a NeuroRD HDF5 grid gives only its type).
	Membrane bool `json:"membrane,omitempty"`
}

// Submembrane reports whether the voxel has membrane area.
func (v *Voxel) Submembrane() bool { return v.ExposedAreaUm2 > 0 || v.Membrane }

// Set is an output set: frames of Species (indices into Header.Species)
// in Voxels (indices into Header.Voxels), written every IntervalMs.
type Set struct {
	Name       string  `json:"name"`
	Species    []int   `json:"species"`
	Voxels     []int   `json:"voxels"`
	IntervalMs float64 `json:"interval_ms"`
}

// Columns returns the number of values per frame of set i.
func (h *Header) Columns(i int) int { return len(h.Sets[i].Species) * len(h.Sets[i].Voxels) }

// SpeciesIndex returns the index of the species with id in Header.Species.
func (h *Header) SpeciesIndex(id string) (int, bool) {
	for i, s := range h.Species {
		if s.ID == id {
			return i, true
		}
	}
	return 0, false
}

func (h *Header) validate() error {
	if h.Values != Counts && h.Values != Floats {
		return fmt.Errorf("value type %q is neither %q nor %q", h.Values, Counts, Floats)
	}
	if len(h.Sets) == 0 {
		return fmt.Errorf("no output set")
	}
	for i, s := range h.Sets {
		for _, sp := range s.Species {
			if sp < 0 || sp >= len(h.Species) {
				return fmt.Errorf("set %d (%s): species index %d out of range", i, s.Name, sp)
			}
		}
		for _, v := range s.Voxels {
			if v < 0 || v >= len(h.Voxels) {
				return fmt.Errorf("set %d (%s): voxel index %d out of range", i, s.Name, v)
			}
		}
	}
	return nil
}

func (h *Header) marshal() ([]byte, error) { return json.Marshal(h) }
