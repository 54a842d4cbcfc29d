// Package output connects runs and their files: it builds the trajectory
// header of a compiled system, opens the sink a run writes to (a
// trajectory or NeuroRD's text files), and exports trajectories to CSV,
// TSV, NPZ (numpy) and NeuroRD's text layout. Values are molecule counts
// (integers for stochastic runs, reals for deterministic ones); times are
// ms.
package output

import (
	"fmt"
	"time"

	"github.com/spinerd/spinerd/internal/version"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/traj"
)

// Header returns the trajectory header of a run of sys with seed.
func Header(sys *model.System, seed uint64, values traj.ValueType) *traj.Header {
	m := sys.Model
	h := &traj.Header{
		SpinerdVersion: version.String(),
		Created:        time.Now().UTC().Format(time.RFC3339),
		ModelSource:    m.Source,
		ModelText:      m.Text,
		Method:         sys.Method.String(),
		Seed:           seed,
		StartMs:        sys.StartMs,
		EndMs:          sys.EndMs,
		Values:         values,
		Depth2DUm:      sys.Mesh.Depth2DUm,
	}
	if sys.Method.UsesTolerance() {
		h.Tolerance = sys.Tolerance
	}
	if sys.Method == model.MethodFixed {
		h.FixedStepMs = sys.FixedStepMs
	}
	for _, s := range sys.Species {
		h.Species = append(h.Species, traj.Species{ID: s.ID, Name: s.Name})
	}
	for i := range sys.Mesh.Voxels {
		v := &sys.Mesh.Voxels[i]
		tv := traj.Voxel{VolumeUm3: v.VolumeUm3, ExposedAreaUm2: v.ExposedAreaUm2, DeltaZUm: v.DeltaZUm, Region: v.Region, Label: v.Label, Group: v.Group}
		for k, c := range v.Corners {
			tv.Corners[k] = c
		}
		h.Voxels = append(h.Voxels, tv)
	}
	for i := 0; i < sys.NumOutputSets(); i++ {
		o := sys.OutputSet(i)
		h.Sets = append(h.Sets, traj.Set{Name: o.Name, Species: o.Species, Voxels: o.Voxels, IntervalMs: o.IntervalMs})
	}
	return h
}

// TextLayout returns the NeuroRD text layout of a trajectory.
func TextLayout(h *traj.Header) *neurord.TextLayout {
	l := &neurord.TextLayout{}
	for _, s := range h.Species {
		l.Species = append(l.Species, s.ID)
	}
	for i := range h.Voxels {
		v := &h.Voxels[i]
		l.Voxels = append(l.Voxels, neurord.TextVoxel{Corners: v.Corners, VolumeUm3: v.VolumeUm3, DeltaZUm: v.DeltaZUm,
			Region: v.Region, Label: v.Label, Group: v.Group, Submembrane: v.Submembrane()})
	}
	for _, s := range h.Sets {
		l.Sets = append(l.Sets, neurord.TextSet{Name: s.Name, Species: s.Species, Voxels: s.Voxels})
	}
	return l
}

// Sink is what a run writes to: model.Sink (stochastic runs) and
// model.ValueSink (deterministic runs), plus Close and Abort.
type Sink interface {
	model.Sink
	model.ValueSink
	// Close completes the files; Abort removes what was written.
	Close() error
	Abort()
	// Files names what Close leaves behind.
	Files() []string
}

// Format is an output format of spinerd run.
type Format string

const (
	// Trajectory is spinerd's compressed trajectory file (default).
	Trajectory Format = "traj"
	// NeuroRD is NeuroRD's text layout (O.out, O-mesh.txt.out, sets).
	NeuroRD Format = "neurord"
)

// Create opens the output of a run of sys: a trajectory at path, or
// NeuroRD's text files with base name path. Deterministic systems
// (MethodODE) write real values, stochastic ones counts. extra is
// recorded in a trajectory's header (e.g. the ODE tolerances).
func Create(format Format, path string, sys *model.System, seed uint64, extra map[string]string) (Sink, error) {
	switch format {
	case Trajectory:
		vt := traj.Counts
		if sys.Method == model.MethodODE {
			vt = traj.Floats
		}
		h := Header(sys, seed, vt)
		h.Extra = extra
		w, err := traj.Create(path, h)
		if err != nil {
			return nil, err
		}
		return &trajSink{w, path}, nil
	case NeuroRD:
		l := neurord.LayoutOf(sys)
		tw, err := neurord.CreateText(path, l)
		if err != nil {
			return nil, err
		}
		return &textSink{tw, neurord.OutputNames(path, l)}, nil
	}
	return nil, fmt.Errorf("unknown output format %q (use traj or neurord)", format)
}

type trajSink struct {
	*traj.Writer
	path string
}

func (s *trajSink) Files() []string { return []string{s.path} }

type textSink struct {
	*neurord.TextWriter
	names []string
}

func (s *textSink) Files() []string { return s.names }
