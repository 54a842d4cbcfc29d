// Package runfile opens every kind of run file spinerd reads — its own
// trajectories (.traj), NeuroRD's HDF5 output (.h5, NeuroRD's or
// spinerd's; one run per trial, FILE.h5#N), NeuroRD's main text output
// (O.out, O.out.zst) and spinerd's CSV/TSV exports — as one Run: a traj.Header (species, voxels,
// output sets, provenance as far as the file records it) and frames of
// molecule counts or real values per output set, times in ms. Commands
// that read runs (compare, conductance, plot, export, plasticity) go
// through Open, so a new format is a Kind, its sniffing rule and its
// reader here.
//
// What each kind provides: a trajectory everything; an HDF5 file every
// output set, species, the grid (volumes, regions, labels, types), the
// model text (serialized_config) and the trial's seed; a NeuroRD .out the
// main output only (set 0), species ids and voxel corners, and the volumes
// and deltaZ when the run's O-mesh.txt.out lies beside it (else volumes are
// 0); a table the columns it has (one voxel per SPECIES@VOXEL column, or a
// single voxel "sum" for voxel-summed exports), values as reals.
package runfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/traj"
)

// Run is an open run file.
type Run interface {
	// Header describes the run's species, voxels and output sets.
	Header() *traj.Header
	// Frames calls fn for every frame of output set `set` with a time in
	// [t0, t1], in time order; counts (integer runs) or values (real
	// runs) holds the frame voxel-major (index k·len(set species) + j)
	// and is reused after fn returns. Returning traj.ErrStop ends the
	// iteration without an error.
	Frames(set int, t0, t1 float64, fn func(t float64, counts []int64, values []float64) error) error
	// Truncated reports whether the file was cut short (a crash, a full
	// disk) and what was recovered; the frames read are those before the
	// cut.
	Truncated() (bool, string)
	Close() error
}

// Kind is a kind of run file.
type Kind string

const (
	// Trajectory is spinerd's compressed trajectory.
	Trajectory Kind = "trajectory"
	// NeuroRDText is NeuroRD's main text output, O.out or O.out.zst.
	NeuroRDText Kind = "neurord-text"
	// Table is a CSV or TSV export (spinerd export).
	Table Kind = "table"
	// HDF5 is NeuroRD's HDF5 output (NeuroRD's or spinerd's): one run per
	// trial, FILE.h5#N naming trial N.
	HDF5 Kind = "hdf5"
)

// Sniff tells the kind of the run file at path from its first bytes
// (after zstd decompression for names ending in .zst).
func Sniff(path string) (Kind, error) {
	path, _ = splitTrial(path)
	if traj.IsTrajectory(path) {
		return Trajectory, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", unwrapPath(err)
	}
	defer f.Close()
	magic := make([]byte, len(hdf5Magic))
	if n, _ := f.ReadAt(magic, 0); n == len(magic) && string(magic) == hdf5Magic {
		return HDF5, nil
	}
	rd, closeZ, err := decompress(path, f)
	if err != nil {
		return "", err
	}
	defer closeZ()
	head, _ := bufio.NewReader(rd).Peek(8)
	switch {
	case string(head) == "cctdif2d":
		return NeuroRDText, nil
	case strings.HasPrefix(string(head), "time_ms"):
		return Table, nil
	}
	return "", fmt.Errorf("%s: not a run file spinerd reads (a trajectory, a NeuroRD .h5, .out or .out.zst, or a CSV/TSV export)", path)
}

// Open opens the run file at path, whatever its kind. An HDF5 file of
// several trials is opened as FILE.h5#N (trial N).
func Open(path string) (Run, error) {
	k, err := Sniff(path)
	if err != nil {
		return nil, err
	}
	switch k {
	case Trajectory:
		return traj.Open(path)
	case NeuroRDText:
		return openNeuroRD(path)
	case HDF5:
		file, trial := splitTrial(path)
		return openH5(file, trial)
	}
	return openTable(path)
}

// unwrapPath drops the *os.PathError wrapper of err when the caller names
// the file itself.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// isRunName reports whether a file name in a directory is a run: a
// trajectory, a NeuroRD HDF5 file or main output (not its mesh or
// output-set files).
func isRunName(n string) bool {
	if strings.Contains(n, "-mesh.txt") || strings.Contains(n, "-conc.txt") {
		return false
	}
	return strings.HasSuffix(n, ".traj") || strings.HasSuffix(n, ".h5") || strings.HasSuffix(n, ".out") || strings.HasSuffix(n, ".out.zst")
}

// expandTrials turns an HDF5 file of several trials into one name per
// trial (FILE#N); other files stay as they are.
func expandTrials(paths []string) []string {
	var out []string
	for _, p := range paths {
		if k, err := Sniff(p); err == nil && k == HDF5 {
			if _, t := splitTrial(p); t < 0 {
				if trials, err := Trials(p); err == nil && len(trials) > 1 {
					for _, n := range trials {
						out = append(out, p+"#"+strconv.Itoa(n))
					}
					continue
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// isSummary reports whether path is an ensemble's summary trajectory
// (statistics of runs, not a run).
func isSummary(path string) bool {
	r, err := traj.Open(path)
	if err != nil {
		return false
	}
	defer r.Close()
	return r.Header().Extra["stats"] != ""
}

// Expand turns an argument naming runs into files: a comma-separated list
// of files, glob patterns or directories. A directory contributes its
// trajectories, HDF5 files and NeuroRD main outputs, sorted, except an
// ensemble's summary (statistics, not a run); an HDF5 file of several
// trials contributes each trial (FILE.h5#N).
func Expand(arg string) ([]string, error) {
	out, err := expand(arg)
	if err != nil {
		return nil, err
	}
	return expandTrials(out), nil
}

func expand(arg string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(arg, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if st, err := os.Stat(item); err == nil && st.IsDir() {
			ents, err := os.ReadDir(item)
			if err != nil {
				return nil, unwrapPath(err)
			}
			for _, e := range ents {
				p := filepath.Join(item, e.Name())
				if e.Type().IsRegular() && isRunName(e.Name()) && !(strings.HasSuffix(p, ".traj") && isSummary(p)) {
					out = append(out, p)
				}
			}
			continue
		}
		if strings.ContainsAny(item, "*?[") {
			m, err := filepath.Glob(item)
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %v", item, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("no file matches %q", item)
			}
			sort.Strings(m)
			out = append(out, m...)
			continue
		}
		if file, _ := splitTrial(item); file != item {
			item = file + item[len(file):] // FILE.h5#N: the file must exist
			if _, err := os.Stat(file); err != nil {
				return nil, fmt.Errorf("cannot read %w", unwrapPath(err))
			}
		} else if _, err := os.Stat(item); err != nil {
			return nil, fmt.Errorf("cannot read %w", unwrapPath(err))
		}
		out = append(out, item)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no files in %q", arg)
	}
	return out, nil
}

// Times returns the frame times of output set `set`.
func Times(r Run, set int) ([]float64, error) {
	var ts []float64
	err := r.Frames(set, math.Inf(-1), math.Inf(1), func(t float64, _ []int64, _ []float64) error {
		ts = append(ts, t)
		return nil
	})
	return ts, err
}

// SetSpecies returns the ids of output set `set`'s species, in frame order.
func SetSpecies(h *traj.Header, set int) []string {
	ids := make([]string, len(h.Sets[set].Species))
	for j, sp := range h.Sets[set].Species {
		ids[j] = h.Species[sp].ID
	}
	return ids
}

// Sums calls fn for every frame of set with a time in [t0, t1] with the
// values of the set's species summed over its voxels (molecules, in the
// order of SetSpecies). sums is reused after fn returns.
func Sums(r Run, set int, t0, t1 float64, fn func(t float64, sums []float64) error) error {
	h := r.Header()
	if set < 0 || set >= len(h.Sets) {
		return fmt.Errorf("no output set %d", set)
	}
	ns, nv := len(h.Sets[set].Species), len(h.Sets[set].Voxels)
	sums := make([]float64, ns)
	return r.Frames(set, t0, t1, func(t float64, c []int64, f []float64) error {
		clear(sums)
		for k := 0; k < nv; k++ {
			for j := 0; j < ns; j++ {
				if c != nil {
					sums[j] += float64(c[k*ns+j])
				} else {
					sums[j] += f[k*ns+j]
				}
			}
		}
		return fn(t, sums)
	})
}

// Series returns the time course of one species (an index into
// Header.Species) in output set `set`: in one voxel (voxel ≥ 0, an index
// into Header.Voxels) or summed over the set's voxels (voxel < 0).
func Series(r Run, set, species, voxel int) (times, values []float64, err error) {
	h := r.Header()
	if set < 0 || set >= len(h.Sets) {
		return nil, nil, fmt.Errorf("no output set %d", set)
	}
	s := &h.Sets[set]
	j := -1
	for k, sp := range s.Species {
		if sp == species {
			j = k
		}
	}
	if j < 0 {
		return nil, nil, fmt.Errorf("species %s is not in output set %d (%s)", h.Species[species].ID, set, s.Name)
	}
	vk := -1
	if voxel >= 0 {
		for k, v := range s.Voxels {
			if v == voxel {
				vk = k
			}
		}
		if vk < 0 {
			return nil, nil, fmt.Errorf("voxel %d is not in output set %d (%s)", voxel, set, s.Name)
		}
	}
	ns := len(s.Species)
	err = r.Frames(set, math.Inf(-1), math.Inf(1), func(t float64, c []int64, f []float64) error {
		times = append(times, t)
		v := 0.0
		for k := range s.Voxels {
			if vk >= 0 && k != vk {
				continue
			}
			if c != nil {
				v += float64(c[k*ns+j])
			} else {
				v += f[k*ns+j]
			}
		}
		values = append(values, v)
		return nil
	})
	return times, values, err
}

// decompress returns a reader of f's content, zstd-decoded when path ends
// in .zst, and the function that releases the decoder.
func decompress(path string, f io.Reader) (io.Reader, func(), error) {
	if !strings.HasSuffix(path, ".zst") {
		return f, func() {}, nil
	}
	zr, err := newZstd(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return zr, zr.Close, nil
}
