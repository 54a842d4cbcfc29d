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
	sys    *model.System
	times  []float64
	got    [][]float64 // [time][species] (with groups: [time][species·groups+group])
	groups *compare.Groups
	group  []int // group of each main-output voxel position (−1: none)
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
	if f.groups != nil {
		ng := len(f.groups.Names)
		row := make([]float64, ns*ng)
		for k := range f.sys.Main.Voxels {
			if g := f.group[k]; g >= 0 {
				for j := 0; j < ns; j++ {
					row[j*ng+g] += float64(c[k*ns+j])
				}
			}
		}
		f.got[ti] = row
		return nil
	}
	row := make([]float64, ns)
	for k := range f.sys.Main.Voxels {
		for j := 0; j < ns; j++ {
			row[j] += float64(c[k*ns+j])
		}
	}
	f.got[ti] = row
	return nil
}

// RunSpinerdGroups is RunSpinerd keeping, for every species, its sum
// over each group of voxels (ensemble entries "species@group").
func RunSpinerdGroups(sys *model.System, seeds []uint64, times []float64, parallel int, gr *compare.Groups) (*compare.Ensemble, gillespie.Stats, error) {
	return run(sys, seeds, times, parallel, gr)
}

// RunSpinerd runs sys once per seed on `parallel` goroutines and keeps the
// voxel-summed counts at the given times. It also returns the summed
// engine statistics.
func RunSpinerd(sys *model.System, seeds []uint64, times []float64, parallel int) (*compare.Ensemble, gillespie.Stats, error) {
	return run(sys, seeds, times, parallel, nil)
}

func run(sys *model.System, seeds []uint64, times []float64, parallel int, gr *compare.Groups) (*compare.Ensemble, gillespie.Stats, error) {
	species := make([]string, len(sys.Main.Species))
	for j, s := range sys.Main.Species {
		species[j] = sys.Species[s].ID
	}
	var group []int
	if gr != nil {
		var names []string
		for _, s := range species {
			for g := range gr.Names {
				names = append(names, gr.Label(s, g))
			}
		}
		species = names
		of := map[int]int{}
		for g, vs := range gr.Voxels {
			for _, v := range vs {
				of[v] = g
			}
		}
		for _, v := range sys.Main.Voxels {
			g, ok := of[v]
			if !ok {
				g = -1
			}
			group = append(group, g)
		}
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
				fs := &frameSink{sys: sys, times: times, got: make([][]float64, len(times)), groups: gr, group: group}
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
