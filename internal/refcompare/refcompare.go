// Package refcompare runs spinerd ensembles for comparisons with NeuroRD's
// reference runs (the benchmark script and the tests use it).
package refcompare

import (
	"context"
	"fmt"
	"sync"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/model"
)

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
	ti := compare.TimeIndex(f.times, t)
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
func RunSpinerd(sys *model.System, seeds []uint64, times []float64, parallel int) (*compare.Ensemble, gillespie.Stats, error) {
	species := make([]string, len(sys.Main.Species))
	for j, s := range sys.Main.Species {
		species[j] = sys.Species[s].ID
	}
	e := compare.NewEnsemble(species, times)
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
		total.Absorbed += stats[i].Absorbed
	}
	return e, total, nil
}
