package ensemble

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

// StatNames returns the names of the summary's value sets for the given
// quantiles: "mean", "sd", then "q0.05", "q0.5", ….
func StatNames(quantiles []float64) []string {
	names := []string{"mean", "sd"}
	for _, q := range quantiles {
		names = append(names, "q"+strconv.FormatFloat(q, 'g', -1, 64))
	}
	return names
}

// Quantile returns the q-quantile of sorted x by linear interpolation
// between order statistics (Hyndman and Fan's type 7, numpy's default).
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Summarize reduces the main output (set 0) of the trajectories files —
// runs of one model with the same output times — into a trajectory at out
// whose value sets are, in order, the mean, the sample SD (n−1) and the
// given quantiles of every species in every voxel at every output time.
// Files are reduced in the order given, so the result depends only on
// the files and their order.
func Summarize(files []string, out string, quantiles []float64) error {
	if len(files) == 0 {
		return fmt.Errorf("summary: no runs")
	}
	readers := make([]*traj.Reader, len(files))
	defer func() {
		for _, r := range readers {
			if r != nil {
				r.Close()
			}
		}
	}()
	for i, f := range files {
		r, err := traj.Open(f)
		if err != nil {
			return fmt.Errorf("summary: %w", err)
		}
		if cut, why := r.Truncated(); cut {
			r.Close()
			return fmt.Errorf("summary: %s is incomplete (%s)", f, why)
		}
		readers[i] = r
	}
	h0 := readers[0].Header()
	times, err := runfile.Times(readers[0], 0)
	if err != nil {
		return err
	}
	for i, r := range readers[1:] {
		h := r.Header()
		if h.ModelText != h0.ModelText || h.Method != h0.Method || len(h.Sets) == 0 || !slices.Equal(h.Sets[0].Species, h0.Sets[0].Species) || !slices.Equal(h.Sets[0].Voxels, h0.Sets[0].Voxels) {
			return fmt.Errorf("summary: %s is not a run of the same model and settings as %s", files[i+1], files[0])
		}
	}
	cols := h0.Columns(0)
	n := len(files)
	names := StatNames(quantiles)
	h := *h0
	h.Created = ""
	h.Seed = 0
	h.Values = traj.Floats
	h.Sets = nil
	for _, name := range names {
		s := h0.Sets[0]
		s.Name = name
		h.Sets = append(h.Sets, s)
	}
	seeds := make([]string, n)
	for i, r := range readers {
		seeds[i] = strconv.FormatUint(r.Header().Seed, 10)
	}
	h.Extra = map[string]string{"ensemble_runs": strconv.Itoa(n), "ensemble_seeds": strings.Join(seeds, ","), "stats": strings.Join(names, ",")}
	w, err := traj.CreateWith(out, &h, traj.Options{Reproducible: true})
	if err != nil {
		return err
	}
	const window = 256
	vals := make([][]float64, n) // per run: window × cols
	stat := make([][]float64, len(names))
	for i := range stat {
		stat[i] = make([]float64, cols)
	}
	col := make([]float64, n)
	for f0 := 0; f0 < len(times); f0 += window {
		f1 := min(f0+window, len(times))
		t0, t1 := times[f0], times[f1-1]
		for i, r := range readers {
			vals[i] = vals[i][:0]
			k := 0
			err := r.Frames(0, t0, t1, func(t float64, c []int64, fl []float64) error {
				if f0+k >= len(times) || t != times[f0+k] {
					return fmt.Errorf("summary: %s has output times that differ from %s's (%g ms)", files[i], files[0], t)
				}
				k++
				if c != nil {
					for _, v := range c {
						vals[i] = append(vals[i], float64(v))
					}
				} else {
					vals[i] = append(vals[i], fl...)
				}
				return nil
			})
			if err == nil && k != f1-f0 {
				err = fmt.Errorf("summary: %s has %d frames where %s has %d", files[i], f0+k, files[0], len(times))
			}
			if err != nil {
				w.Abort()
				return err
			}
		}
		for f := 0; f < f1-f0; f++ {
			for c := 0; c < cols; c++ {
				sum := 0.0
				for i := 0; i < n; i++ {
					col[i] = vals[i][f*cols+c]
					sum += col[i]
				}
				mean := sum / float64(n)
				ss := 0.0
				for _, v := range col {
					ss += (v - mean) * (v - mean)
				}
				sd := 0.0
				if n > 1 {
					sd = math.Sqrt(ss / float64(n-1))
				}
				stat[0][c], stat[1][c] = mean, sd
				sort.Float64s(col)
				for qi, q := range quantiles {
					stat[2+qi][c] = Quantile(col, q)
				}
			}
			for si := range names {
				if err := w.Values(si, times[f0+f], stat[si]); err != nil {
					w.Abort()
					return err
				}
			}
		}
	}
	return w.Close()
}
