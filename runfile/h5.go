package runfile

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/nrdh5"
	"github.com/spinerd/spinerd/traj"
)

// hdf5Magic starts every HDF5 file.
const hdf5Magic = "\x89HDF\r\n\x1a\n"

// splitTrial splits "FILE.h5#N" into the file and the trial N (−1: none
// given), when FILE exists and the whole name does not.
func splitTrial(path string) (string, int) {
	i := strings.LastIndex(path, "#")
	if i < 0 {
		return path, -1
	}
	if _, err := os.Stat(path); err == nil {
		return path, -1
	}
	n, err := strconv.Atoi(path[i+1:])
	if err != nil || n < 0 {
		return path, -1
	}
	return path[:i], n
}

// h5Run is one trial of a NeuroRD HDF5 file (NeuroRD's or spinerd's).
type h5Run struct {
	r     *nrdh5.Reader
	trial int // position in r.Trials
	h     *traj.Header
	path  string
}

// Trials returns the trial numbers N of an HDF5 run file (trial<N>).
func Trials(path string) ([]int, error) {
	r, err := nrdh5.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []int
	for _, t := range r.Trials {
		out = append(out, t.Index)
	}
	return out, nil
}

func openH5(path string, trial int) (*h5Run, error) {
	r, err := nrdh5.Open(path)
	if err != nil {
		return nil, err
	}
	pos := 0
	switch {
	case len(r.Trials) == 0:
		r.Close()
		return nil, fmt.Errorf("%s: no trial in the file", path)
	case trial >= 0:
		var ok bool
		if pos, ok = r.TrialByIndex(trial); !ok {
			r.Close()
			return nil, fmt.Errorf("%s: no trial %d (the file has trials %s)", path, trial, trialList(r))
		}
	case len(r.Trials) > 1:
		r.Close()
		return nil, fmt.Errorf("%s holds %d trials (%s): name one as %s#N, or give the file to compare or plot, which take every trial", path, len(r.Trials), trialList(r), path)
	}
	run := &h5Run{r: r, trial: pos, path: path}
	run.h = run.header()
	return run, nil
}

func trialList(r *nrdh5.Reader) string {
	var s []string
	for _, t := range r.Trials {
		s = append(s, strconv.Itoa(t.Index))
	}
	return strings.Join(s, ", ")
}

// header describes the trial in spinerd's terms.
func (run *h5Run) header() *traj.Header {
	r, tr := run.r, &run.r.Trials[run.trial]
	h := &traj.Header{FormatVersion: traj.FormatVersion, ModelSource: run.path, ModelText: r.SerializedConfig,
		Method: "neurord", Values: traj.Counts, Seed: uint64(max(tr.Seed, 0))}
	if m := r.Manifest["Spinerd-Method"]; m != "" {
		h.Method = m
		h.Tolerance, _ = strconv.ParseFloat(r.Manifest["Spinerd-Tolerance"], 64)
		h.FixedStepMs, _ = strconv.ParseFloat(r.Manifest["Spinerd-Fixed-Step-Ms"], 64)
		if s := r.Manifest["Spinerd-Initial-State"]; s != "" {
			h.Extra = map[string]string{"initial_state": s}
		}
	}
	for _, id := range r.Species {
		h.Species = append(h.Species, traj.Species{ID: id})
	}
	for i, g := range r.Grid {
		v := traj.Voxel{VolumeUm3: g.VolumeUm3, DeltaZUm: g.DeltaZUm, Region: g.RegionName, Group: g.Group,
			Membrane: g.Type == "submembrane", Corners: g.Corners}
		v.Corners[3][2] -= g.DeltaZUm // NeuroRD stores z3 + deltaZ
		if g.Label != "element"+strconv.Itoa(i) {
			v.Label = g.Label
		}
		h.Voxels = append(h.Voxels, v)
	}
	first, last := math.Inf(1), math.Inf(-1)
	for _, s := range tr.Sets {
		set := traj.Set{Name: s.Name, Voxels: append([]int(nil), s.Elements...)}
		for _, id := range s.Species {
			for j, x := range r.Species {
				if x == id {
					set.Species = append(set.Species, j)
					break
				}
			}
		}
		if s.Reals {
			h.Values = traj.Floats
		}
		if n := len(s.TimesMs); n > 0 {
			first, last = math.Min(first, s.TimesMs[0]), math.Max(last, s.TimesMs[n-1])
			if n > 1 {
				set.IntervalMs = s.TimesMs[1] - s.TimesMs[0]
			}
		}
		h.Sets = append(h.Sets, set)
	}
	if !math.IsInf(first, 0) {
		h.StartMs, h.EndMs = first, last
	}
	return h
}

func (run *h5Run) Header() *traj.Header      { return run.h }
func (run *h5Run) Truncated() (bool, string) { return false, "" }
func (run *h5Run) Close() error              { return run.r.Close() }

func (run *h5Run) Frames(set int, t0, t1 float64, fn func(t float64, counts []int64, values []float64) error) error {
	tr := &run.r.Trials[run.trial]
	if set < 0 || set >= len(tr.Sets) {
		return fmt.Errorf("%s: no output set %d", run.path, set)
	}
	s := &tr.Sets[set]
	if len(run.h.Sets[set].Species) != len(s.Species) {
		return fmt.Errorf("%s: output set %s names species the model does not have", run.path, s.Name)
	}
	var buf []int64
	for f, t := range s.TimesMs {
		if t < t0 || t > t1 {
			continue
		}
		c, v, err := run.r.Frame(run.trial, set, f)
		if err != nil {
			return err
		}
		if c != nil {
			buf = buf[:0]
			for _, x := range c {
				buf = append(buf, int64(x))
			}
			err = fn(t, buf, nil)
		} else {
			err = fn(t, nil, v)
		}
		if errors.Is(err, traj.ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
