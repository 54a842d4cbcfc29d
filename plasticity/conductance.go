package plasticity

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/traj"
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

// Relative returns g/g(baseline), the baseline being the last sample at
// or before baselineMs (the first sample when baselineMs is NaN or before
// the first sample).
func (s *Series) Relative(baselineMs float64) ([]float64, float64) {
	i0 := 0
	if !math.IsNaN(baselineMs) {
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
	return out, s.TimesMs[i0]
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

// FromTrajectory computes the conductance of a trajectory's main output,
// summing each species over the set's voxels.
func FromTrajectory(r *traj.Reader, m ampa.Model) (*Series, error) {
	h := r.Header()
	set := h.Sets[0]
	ids := make([]string, len(set.Species))
	for j, sp := range set.Species {
		ids[j] = h.Species[sp].ID
	}
	ns := len(ids)
	var times []float64
	var frames [][]float64
	err := r.Frames(0, math.Inf(-1), math.Inf(1), func(t float64, c []int64, f []float64) error {
		x := make([]float64, ns)
		for k := 0; k < len(set.Voxels); k++ {
			for j := 0; j < ns; j++ {
				if c != nil {
					x[j] += float64(c[k*ns+j])
				} else {
					x[j] += f[k*ns+j]
				}
			}
		}
		times = append(times, t)
		frames = append(frames, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("the trajectory has no frames")
	}
	return FromSpecies(ids, times, frames, m)
}

// FromNeuroRD computes the conductance of a NeuroRD main output (O.out),
// summing each species over the voxels.
func FromNeuroRD(r io.Reader, m ampa.Model) (*Series, error) {
	or, err := neurord.NewOutReader(r)
	if err != nil {
		return nil, err
	}
	var ids []string
	var times []float64
	var frames [][]float64
	for {
		fr, err := or.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		ids = fr.Species
		x := make([]float64, len(ids))
		for v := range fr.Counts {
			for j := range ids {
				x[j] += float64(fr.Counts[v][j])
			}
		}
		times = append(times, fr.TimeMs)
		frames = append(frames, x)
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("no output frames")
	}
	return FromSpecies(ids, times, frames, m)
}

// FromTable computes the conductance of a CSV or TSV export (spinerd
// export): a time_ms column, then species columns (SPECIES or
// SPECIES@VOXEL, summed per species).
func FromTable(r io.Reader, m ampa.Model) (*Series, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("table header: %w", err)
	}
	if len(head) == 1 && strings.Contains(head[0], "\t") {
		return nil, fmt.Errorf("tab-separated tables: convert with --format csv")
	}
	if len(head) < 2 || head[0] != "time_ms" {
		return nil, fmt.Errorf("table header: first column must be time_ms (a spinerd export)")
	}
	col := map[string]int{}
	var ids []string
	colSpecies := make([]int, len(head))
	for i, h := range head[1:] {
		id, _, _ := strings.Cut(h, "@")
		j, ok := col[id]
		if !ok {
			j = len(ids)
			col[id] = j
			ids = append(ids, id)
		}
		colSpecies[i+1] = j
	}
	var times []float64
	var frames [][]float64
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) != len(head) {
			return nil, fmt.Errorf("line %d: %d columns, header has %d", line, len(rec), len(head))
		}
		t, err := strconv.ParseFloat(rec[0], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: time %q", line, rec[0])
		}
		x := make([]float64, len(ids))
		for i := 1; i < len(rec); i++ {
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d, column %s: %q is not a number", line, head[i], rec[i])
			}
			x[colSpecies[i]] += v
		}
		times = append(times, t)
		frames = append(frames, x)
	}
	if len(times) == 0 {
		return nil, fmt.Errorf("the table has no rows")
	}
	return FromSpecies(ids, times, frames, m)
}
