// Package refcompare compares spinerd ensembles with NeuroRD's reference
// ensembles (../shared/reference/neurord-3.3): per species and time, the
// means and standard deviations of the voxel-summed molecule counts, a z
// score for the difference of means and the ratio of standard deviations.
// The benchmark script and the tests use it.
package refcompare

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// Ensemble holds voxel-summed counts: Samples[t][s] lists one value per
// run for time Times[t] and species Species[s].
type Ensemble struct {
	Species []string
	Times   []float64
	Samples [][][]float64
}

func newEnsemble(species []string, times []float64) *Ensemble {
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

// timeIndex finds the requested time that t stands for. NeuroRD's clock
// accumulates rounding (199.99999999996308) and, with fixedStepDt, writes
// outputs up to one step late (2000.0099999988 for 2000), so times within
// 0.02 ms match.
func timeIndex(times []float64, t float64) int {
	for i, x := range times {
		if math.Abs(x-t) <= math.Max(0.02, 1e-9*math.Abs(x)) {
			return i
		}
	}
	return -1
}

// ReadNeuroRD reads the main outputs (O.out or O.out.zst) of NeuroRD runs
// and keeps the voxel-summed counts at the given times.
func ReadNeuroRD(paths []string, times []float64) (*Ensemble, error) {
	var e *Ensemble
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		var r io.Reader = f
		var zr *zstd.Decoder
		if strings.HasSuffix(p, ".zst") {
			zr, err = zstd.NewReader(f)
			if err != nil {
				f.Close()
				return nil, err
			}
			r = zr
		}
		or, err := neurord.NewOutReader(r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		found := 0
		for found < len(times) {
			fr, err := or.Next()
			if err != nil {
				break
			}
			ti := timeIndex(times, fr.TimeMs)
			if ti < 0 {
				continue
			}
			if e == nil {
				e = newEnsemble(fr.Species, times)
			}
			for s := range fr.Species {
				sum := 0.0
				for v := range fr.Counts {
					sum += float64(fr.Counts[v][s])
				}
				e.Samples[ti][s] = append(e.Samples[ti][s], sum)
			}
			found++
		}
		if zr != nil {
			zr.Close()
		}
		f.Close()
		if found != len(times) {
			return nil, fmt.Errorf("%s: found %d of the %d requested times", p, found, len(times))
		}
	}
	if e == nil {
		return nil, fmt.Errorf("no NeuroRD outputs")
	}
	return e, nil
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

// frameSink keeps the voxel-summed main output at the requested times.
type frameSink struct {
	sys   *model.System
	times []float64
	got   [][]float64 // [time][species]
}

func (f *frameSink) Counts(set int, t float64, c []int64) error {
	if set != 0 {
		return nil
	}
	ti := timeIndex(f.times, t)
	if ti < 0 {
		return nil
	}
	ns := len(f.sys.Main.Species)
	row := make([]float64, ns)
	for k := range f.sys.Main.Voxels {
		for j := 0; j < ns; j++ {
			row[j] += float64(c[k*ns+j])
		}
	}
	f.got[ti] = row
	return nil
}

// RunSpinerd runs sys once per seed on `parallel` goroutines and keeps the
// voxel-summed counts at the given times. It also returns the summed
// engine statistics.
func RunSpinerd(sys *model.System, seeds []uint64, times []float64, parallel int) (*Ensemble, gillespie.Stats, error) {
	species := make([]string, len(sys.Main.Species))
	for j, s := range sys.Main.Species {
		species[j] = sys.Species[s].ID
	}
	e := newEnsemble(species, times)
	rows := make([][][]float64, len(seeds))
	stats := make([]gillespie.Stats, len(seeds))
	errs := make([]error, len(seeds))
	var wg sync.WaitGroup
	next := make(chan int)
	if parallel < 1 {
		parallel = 1
	}
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fs := &frameSink{sys: sys, times: times, got: make([][]float64, len(times))}
				stats[i], errs[i] = gillespie.Run(context.Background(), sys, gillespie.Options{}, seeds[i], fs)
				rows[i] = fs.got
			}
		}()
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	var total gillespie.Stats
	for i := range seeds {
		if errs[i] != nil {
			return nil, total, errs[i]
		}
		for ti := range times {
			if rows[i][ti] == nil {
				return nil, total, fmt.Errorf("seed %d: no output at %g ms", seeds[i], times[ti])
			}
			for s := range species {
				e.Samples[ti][s] = append(e.Samples[ti][s], rows[i][ti][s])
			}
		}
		total.ExactEvents += stats[i].ExactEvents
		total.Leaps += stats[i].Leaps
		total.LeapFirings += stats[i].LeapFirings
		total.Steps += stats[i].Steps
	}
	return e, total, nil
}

func meanSD(x []float64) (float64, float64) {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	ss := 0.0
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)-1))
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
		tb := timeIndex(b.Times, t)
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
		}
	}
	return out, nil
}

// Summary returns the largest |z| and the geometric mean of the SD ratios.
func Summary(cs []Comparison) (maxAbsZ, geoRatio float64) {
	lr := 0.0
	for _, c := range cs {
		maxAbsZ = math.Max(maxAbsZ, math.Abs(c.Z))
		lr += math.Log(c.Ratio)
	}
	return maxAbsZ, math.Exp(lr / float64(len(cs)))
}
