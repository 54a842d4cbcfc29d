package plasticity

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/runfile"
)

// Series is a conductance time course.
type Series struct {
	TimesMs []float64
	// GPS is the AMPA conductance in pS (counts as molecules).
	GPS []float64
	// Subunits are the receptor counts it was computed from.
	Subunits []ampa.Subunits
	// Clamped counts samples with a negative receptor count set to 0.
	Clamped int
}

// Relative returns g/g(baseline) and the baseline's time, the baseline
// being the last sample at or before baselineMs (the first sample when
// baselineMs is NaN). A time before the first sample, or not finite, has
// no such sample: an error.
func (s *Series) Relative(baselineMs float64) ([]float64, float64, error) {
	if len(s.TimesMs) == 0 {
		return nil, 0, errors.New("no samples")
	}
	i0 := 0
	if !math.IsNaN(baselineMs) {
		if math.IsInf(baselineMs, 0) {
			return nil, 0, fmt.Errorf("%g ms: not a time", baselineMs)
		}
		if baselineMs+1e-9 < s.TimesMs[0] {
			return nil, 0, fmt.Errorf("%g ms: no sample at or before it (the samples span %g to %g ms)", baselineMs, s.TimesMs[0], s.TimesMs[len(s.TimesMs)-1])
		}
		for i, t := range s.TimesMs {
			if t <= baselineMs+1e-9 {
				i0 = i
			}
		}
	}
	out := make([]float64, len(s.GPS))
	for i, g := range s.GPS {
		out[i] = g / s.GPS[i0]
	}
	return out, s.TimesMs[i0], nil
}

// At returns g at the sample nearest t.
func (s *Series) At(t float64) float64 {
	best, bi := math.Inf(1), 0
	for i, x := range s.TimesMs {
		if d := math.Abs(x - t); d < best {
			best, bi = d, i
		}
	}
	return s.GPS[bi]
}

// FromSpecies computes the conductance of frames of per-species amounts
// (molecules summed over the spine): frames[f][j] is species ids[j].
func FromSpecies(ids []string, times []float64, frames [][]float64, m ampa.Model) (*Series, error) {
	g, err := ampa.NewGroups(ids)
	if err != nil {
		return nil, err
	}
	s := &Series{TimesMs: times}
	for _, x := range frames {
		sub := g.Subunits(x)
		c, neg := sub.Clamped()
		if neg {
			s.Clamped++
		}
		s.Subunits = append(s.Subunits, c)
		s.GPS = append(s.GPS, m.Conductance(c))
	}
	return s, nil
}

// FromRun computes the conductance of a run's main output (any file
// runfile.Open reads: a trajectory, a NeuroRD .out, a CSV export), summing
// each species over the output's voxels.
func FromRun(r runfile.Run, m ampa.Model) (*Series, error) {
	ids := runfile.SetSpecies(r.Header(), 0)
	var times []float64
	var frames [][]float64
	err := runfile.Sums(r, 0, math.Inf(-1), math.Inf(1), func(t float64, sums []float64) error {
		times = append(times, t)
		frames = append(frames, slices.Clone(sums))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("the run has no output frames")
	}
	return FromSpecies(ids, times, frames, m)
}

// FromFile computes the conductance of the run file at path.
func FromFile(path string, m ampa.Model) (*Series, error) {
	r, err := runfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s, err := FromRun(r, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
