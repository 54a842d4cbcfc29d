// Package compare compares two ensembles of runs — any run files package
// runfile reads, one file per seed — species by species at chosen
// times: the means and standard deviations of the voxel-summed molecule
// counts, a z score for the difference of means, the ratio of standard
// deviations and a two-sample Kolmogorov–Smirnov statistic.
package compare

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/spinerd/spinerd/runfile"
)

// Ensemble holds voxel-summed counts: Samples[t][s] lists one value per
// run for time Times[t] and species Species[s].
type Ensemble struct {
	Species []string
	Times   []float64
	Samples [][][]float64
}

// NewEnsemble returns an empty ensemble of the given species and times.
func NewEnsemble(species []string, times []float64) *Ensemble {
	e := &Ensemble{Species: species, Times: times, Samples: make([][][]float64, len(times))}
	for t := range e.Samples {
		e.Samples[t] = make([][]float64, len(species))
	}
	return e
}

// Runs returns the number of runs in the ensemble.
func (e *Ensemble) Runs() int {
	if len(e.Samples) == 0 || len(e.Samples[0]) == 0 {
		return 0
	}
	return len(e.Samples[0][0])
}

// TimeIndex finds the requested time that t stands for. NeuroRD's clock
// accumulates rounding (199.99999999996308) and, with fixedStepDt, writes
// outputs up to one step late (2000.0099999988 for 2000), so times within
// 0.02 ms match.
func TimeIndex(times []float64, t float64) int {
	for i, x := range times {
		if math.Abs(x-t) <= math.Max(0.02, 1e-9*math.Abs(x)) {
			return i
		}
	}
	return -1
}

// NeuroRDOutputs lists the main outputs of a reference set folder.
func NeuroRDOutputs(dir string) []string {
	var out []string
	files, _ := filepath.Glob(filepath.Join(dir, "outputs", "*.out*"))
	for _, f := range files {
		if strings.HasSuffix(f, ".out") || strings.HasSuffix(f, ".out.zst") {
			if !strings.Contains(filepath.Base(f), "-conc.txt") && !strings.Contains(filepath.Base(f), "-mesh.txt") {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out
}

// meanSD returns the mean and the sample standard deviation (n−1).
func meanSD(x []float64) (float64, float64) {
	if len(x) < 2 {
		return stat.Mean(x, nil), 0
	}
	return stat.MeanStdDev(x, nil)
}

// Read reads the runs of one ensemble — any run files runfile.Open reads
// (trajectories, NeuroRD main outputs, CSV exports), one per seed — and
// keeps the voxel-summed values of the main output at the given times.
// Files cut short are read as far as they go; a requested time beyond
// the end is an error naming the file.
func Read(paths []string, times []float64) (*Ensemble, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no files")
	}
	var e *Ensemble
	for _, p := range paths {
		var err error
		if e, err = readRun(p, times, e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// readRun adds one run to e (nil: a new ensemble of the run's species).
func readRun(path string, times []float64, e *Ensemble) (*Ensemble, error) {
	r, err := runfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	ids := runfile.SetSpecies(r.Header(), 0)
	if e == nil {
		e = NewEnsemble(ids, times)
	} else if !slices.Equal(ids, e.Species) {
		return nil, fmt.Errorf("%s: its species differ from the first file's (%d vs %d species)", path, len(ids), len(e.Species))
	}
	found := make([]bool, len(times))
	lo, hi := slices.Min(times), slices.Max(times)
	err = runfile.Sums(r, 0, lo-1, hi+1, func(t float64, sums []float64) error {
		ti := TimeIndex(times, t)
		if ti < 0 || found[ti] {
			return nil
		}
		found[ti] = true
		for j, v := range sums {
			e.Samples[ti][j] = append(e.Samples[ti][j], v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for ti, ok := range found {
		if !ok {
			return nil, fmt.Errorf("%s: no output at %g ms", path, times[ti])
		}
	}
	return e, nil
}

// OutputTimes returns the main-output times of a run file.
func OutputTimes(path string) ([]float64, error) {
	r, err := runfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return runfile.Times(r, 0)
}

// SpreadTimes picks n times evenly spread over the output times after the
// first (the last included).
func SpreadTimes(times []float64, n int) []float64 {
	if len(times) <= 1 {
		return times
	}
	var out []float64
	last := -1
	for k := 1; k <= n; k++ {
		i := max(1, int(math.Round(float64(k)*float64(len(times)-1)/float64(n))))
		if i != last {
			out = append(out, times[i])
			last = i
		}
	}
	return out
}

// KS returns the two-sample Kolmogorov–Smirnov statistic: the largest
// distance between the empirical distribution functions of a and b.
func KS(a, b []float64) float64 {
	x := append([]float64(nil), a...)
	y := append([]float64(nil), b...)
	sort.Float64s(x)
	sort.Float64s(y)
	i, j := 0, 0
	d := 0.0
	for i < len(x) && j < len(y) {
		v := math.Min(x[i], y[j])
		for i < len(x) && x[i] <= v {
			i++
		}
		for j < len(y) && y[j] <= v {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(x))-float64(j)/float64(len(y))))
	}
	return d
}

// KSPValue returns the asymptotic p value of a two-sample
// Kolmogorov–Smirnov statistic d for samples of sizes n and m: the
// Kolmogorov distribution's survival function at √(nm/(n+m))·d, with
// Stephens' small-sample correction.
func KSPValue(d float64, n, m int) float64 {
	if n <= 0 || m <= 0 {
		return 1
	}
	ne := float64(n) * float64(m) / float64(n+m)
	l := (math.Sqrt(ne) + 0.12 + 0.11/math.Sqrt(ne)) * d
	if l < 0.2 {
		return 1
	}
	p := 0.0
	for k := 1; k <= 100; k++ {
		term := 2 * math.Exp(-2*float64(k*k)*l*l)
		if k%2 == 0 {
			term = -term
		}
		p += term
		if math.Abs(term) < 1e-16 {
			break
		}
	}
	return math.Min(math.Max(p, 0), 1)
}

// Comparison is one species at one time.
type Comparison struct {
	Species      string
	TimeMs       float64
	MeanA, MeanB float64
	SDA, SDB     float64
	// Z is (MeanA − MeanB) over the combined standard error, each SD
	// floored at 1 molecule.
	Z float64
	// Ratio is SDA/SDB (each floored at 1 molecule).
	Ratio float64
	// KS is the two-sample Kolmogorov–Smirnov statistic and KSP its
	// asymptotic p value.
	KS, KSP float64
}

// Compare compares ensembles a (spinerd) and b (NeuroRD) for every
// species whose mean in either exceeds minMean molecules.
func Compare(a, b *Ensemble, minMean float64) ([]Comparison, error) {
	idx := map[string]int{}
	for i, s := range b.Species {
		idx[s] = i
	}
	var out []Comparison
	for ti, t := range a.Times {
		tb := TimeIndex(b.Times, t)
		if tb < 0 {
			return nil, fmt.Errorf("time %g missing from the reference", t)
		}
		for sa, name := range a.Species {
			sb, ok := idx[name]
			if !ok {
				return nil, fmt.Errorf("species %s missing from the reference", name)
			}
			ma, sda := meanSD(a.Samples[ti][sa])
			mb, sdb := meanSD(b.Samples[tb][sb])
			if ma <= minMean && mb <= minMean {
				continue
			}
			fa, fb := math.Max(sda, 1), math.Max(sdb, 1)
			se := math.Sqrt(fa*fa/float64(len(a.Samples[ti][sa])) + fb*fb/float64(len(b.Samples[tb][sb])))
			out = append(out, Comparison{Species: name, TimeMs: t, MeanA: ma, MeanB: mb, SDA: sda, SDB: sdb,
				Z: (ma - mb) / se, Ratio: fa / fb})
			c := &out[len(out)-1]
			c.KS = KS(a.Samples[ti][sa], b.Samples[tb][sb])
			c.KSP = KSPValue(c.KS, len(a.Samples[ti][sa]), len(b.Samples[tb][sb]))
		}
	}
	return out, nil
}

// WriteTable writes the comparisons as an aligned table.
func WriteTable(w io.Writer, cs []Comparison, nameA, nameB string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-24s %10s %14s %14s %11s %11s %8s %7s %6s %8s\n", "species", "t (ms)", "mean "+nameA, "mean "+nameB, "sd "+nameA, "sd "+nameB, "z", "sd A/B", "KS", "KS p")
	for _, c := range cs {
		fmt.Fprintf(bw, "%-24s %10.6g %14.6g %14.6g %11.4g %11.4g %8.2f %7.3f %6.3f %8.2g\n", c.Species, c.TimeMs, c.MeanA, c.MeanB, c.SDA, c.SDB, c.Z, c.Ratio, c.KS, c.KSP)
	}
	return bw.Flush()
}

// Summary returns the largest |z| and the geometric mean of the SD ratios.
func Summary(cs []Comparison) (maxAbsZ, geoRatio float64) {
	if len(cs) == 0 {
		return 0, 1
	}
	lr := 0.0
	for _, c := range cs {
		maxAbsZ = math.Max(maxAbsZ, math.Abs(c.Z))
		lr += math.Log(c.Ratio)
	}
	return maxAbsZ, math.Exp(lr / float64(len(cs)))
}
