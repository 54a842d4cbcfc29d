package runfile

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/traj"
)

// ParseStateRef splits "FILE[@TIME_MS]" into the file and the time (NaN:
// the last frame).
func ParseStateRef(ref string) (path string, atMs float64, err error) {
	atMs = math.NaN()
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		t, perr := strconv.ParseFloat(ref[i+1:], 64)
		if perr == nil {
			if math.IsNaN(t) || math.IsInf(t, 0) {
				return "", 0, fmt.Errorf("%q: the time after @ must be a number of ms", ref)
			}
			return ref[:i], t, nil
		}
	}
	return ref, atMs, nil
}

// State reads the state of the run r, read from the file src, at time
// atMs (NaN: its last frame) for sys: the amount of every species of sys
// in every voxel, from the run's main output (set 0), matched by species
// id and voxel index. A run of another model — other species, another
// number of voxels, other voxel volumes or corners, a table whose voxel
// columns are not the mesh's in order — is an error naming src and the
// difference.
func State(r Run, src string, atMs float64, sys *model.System) (*model.State, error) {
	h := r.Header()
	if len(h.Sets) == 0 {
		return nil, fmt.Errorf("%s: no output", src)
	}
	set := &h.Sets[0]
	ns, nv := len(sys.Species), sys.NumVoxels()
	if len(h.Voxels) != nv || len(set.Voxels) != nv {
		return nil, fmt.Errorf("%s: the run has %d voxels in its main output, the model %d: another mesh", src, len(set.Voxels), nv)
	}
	_, table := r.(*tableRun)
	for k, v := range set.Voxels {
		if v != k {
			return nil, fmt.Errorf("%s: the main output's voxels are not the mesh in order", src)
		}
		// A table's voxels are its columns' VOXEL texts in the order they
		// first appear; each must be the mesh index of its place (a
		// one-voxel mesh may be summed).
		if l := h.Voxels[v].Label; table && l != strconv.Itoa(k) && !(nv == 1 && l == "sum") {
			return nil, fmt.Errorf("%s: voxel %q is the table's voxel %d: its columns must name the mesh's voxels 0–%d in order (SPECIES@VOXEL, as spinerd export writes them)", src, l, k, nv-1)
		}
		a, b := h.Voxels[v].VolumeUm3, sys.Mesh.Voxels[v].VolumeUm3
		if a > 0 && math.Abs(a-b) > 1e-3*b {
			return nil, fmt.Errorf("%s: voxel %d has %g µm³ in the run, %g µm³ in the model: another mesh", src, v, a, b)
		}
		// Where the run has the voxels' outlines (a NeuroRD .out without
		// its mesh file has no volumes), they are the model's, to the
		// 4 decimals a .out gives.
		if c := h.Voxels[v].Corners; c != ([4][3]float64{}) {
			m := sys.Mesh.Voxels[v].Corners
			for i := range c {
				for j := range c[i] {
					if math.Abs(c[i][j]-m[i][j]) > 1e-3+1e-4*math.Abs(m[i][j]) {
						return nil, fmt.Errorf("%s: voxel %d's corner %d is at (%.4f %.4f %.4f) µm in the run, (%.4f %.4f %.4f) µm in the model: another mesh", src, v, i, c[i][0], c[i][1], c[i][2], m[i][0], m[i][1], m[i][2])
					}
				}
			}
		}
	}
	// Column of each of the model's species in the run's frames.
	col := make([]int, ns)
	var missing []string
	for i, sp := range sys.Species {
		col[i] = -1
		for j, hs := range set.Species {
			if h.Species[hs].ID == sp.ID {
				col[i] = j
			}
		}
		if col[i] < 0 {
			missing = append(missing, sp.ID)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: the run's main output lacks %d of the model's species (%s): another model, or a run that did not write them", src, len(missing), strings.Join(missing[:min(len(missing), 8)], ", "))
	}
	if extra := len(set.Species) - ns; extra > 0 {
		var ids []string
		for _, hs := range set.Species {
			if _, ok := sys.SpeciesIndex(h.Species[hs].ID); !ok {
				ids = append(ids, h.Species[hs].ID)
			}
		}
		return nil, fmt.Errorf("%s: the run has species the model lacks (%s): another model", src, strings.Join(ids[:min(len(ids), 8)], ", "))
	}
	st := &model.State{Values: make([]float64, nv*ns), Integer: h.Values == traj.Counts, Source: src, TimeMs: math.NaN()}
	var times []float64
	hs := len(set.Species)
	err := r.Frames(0, math.Inf(-1), math.Inf(1), func(t float64, c []int64, f []float64) error {
		times = append(times, t)
		if !math.IsNaN(atMs) && math.Abs(t-atMs) > math.Max(0.02, 1e-9*math.Abs(atMs)) {
			return nil
		}
		st.TimeMs = t
		for v := 0; v < nv; v++ {
			for i := 0; i < ns; i++ {
				k := v*hs + col[i]
				if c != nil {
					st.Values[v*ns+i] = float64(c[k])
				} else {
					st.Values[v*ns+i] = f[k]
				}
			}
		}
		if !math.IsNaN(atMs) {
			return traj.ErrStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if math.IsNaN(st.TimeMs) {
		if len(times) == 0 {
			return nil, fmt.Errorf("%s: the run has no frames", src)
		}
		i, _ := slices.BinarySearch(times, atMs)
		near := times[max(0, min(i, len(times)-1))]
		return nil, fmt.Errorf("%s: no frame at %g ms (frames from %g to %g ms; the nearest is %g ms)", src, atMs, times[0], times[len(times)-1], near)
	}
	return st, nil
}

// LoadState opens the run file of ref ("FILE[@TIME_MS]") and reads its
// state for sys.
func LoadState(ref string, sys *model.System) (*model.State, error) {
	path, at, err := ParseStateRef(ref)
	if err != nil {
		return nil, err
	}
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return State(r, path, at, sys)
}
