// Command neurordstats compares a stochastic method of spinerd (-method,
// adaptive by default) with NeuroRD 3.3.0's reference ensembles in
// ../shared/reference/neurord-3.3: for each set it runs the same model
// file with ≥ 32 seeds and compares the voxel-summed counts of every
// species whose mean exceeds 10 molecules at 5–6 times, printing both
// means, z = (difference of means)/(combined standard error, SDs floored
// at 1 molecule) and the SD ratio.
//
// Model_mglur_diff is compared with NeuroRD's exact-SSA set
// (ex_mglur_diff_exact: NeuroRD's own ε = 0.01 runs are biased, see the
// set's README) while spinerd runs the ε = 0.01 file of ex_mglur_diff with
// the method under test. spine2020_dend (the spine model on a dendrite
// with three spines) is compared per region: sums over the dendrite, over
// the neck, head and PSD of the stimulated spine, and over the other
// spines.
//
// It holds when every |z| ≤ 6 and the geometric mean of the SD ratios lies
// in [0.85, 1.18] (spine model sets) or [0.75, 1.33] (diffusion examples).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/internal/refcompare"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

type set struct {
	dir    string // NeuroRD reference set
	model  string // input file, relative to dir/inputs
	times  []float64
	lo, hi float64 // bounds on the geometric mean SD ratio
	// regions, when true, compares sums per region (dendrite, stimulated
	// spine, other spines) instead of voxel sums
	regions bool
	note    string
}

var sets = []set{
	{dir: "mm_hfs", model: "Model_HFS1_seed9.xml", times: []float64{1000, 2500, 3000, 4000, 7000, 12000}, lo: 0.85, hi: 1.18},
	{dir: "mm_nostim", model: "Model_rest_seed9.xml", times: []float64{1000, 2000, 5000, 10000, 15000, 20000}, lo: 0.85, hi: 1.18},
	{dir: "ex_mglur_diff_exact", model: "../../ex_mglur_diff/inputs/Model_mglur_diff_seed1.xml", times: []float64{200, 400, 1000, 2000, 5000, 10000}, lo: 0.75, hi: 1.33,
		note: "reference: NeuroRD's exact SSA (GRID_EXACT) runs; spinerd runs ex_mglur_diff's ε = 0.01 file"},
	{dir: "ex_mglur_spine-CaY", model: "Model_mglur_spine-CaY_seed1.xml", times: []float64{1000, 1200, 2000, 2200, 5000, 10000}, lo: 0.75, hi: 1.33},
	{dir: "spine2020_dend", model: "Model_spine2020_dend.xml", times: []float64{400, 550, 700, 800, 1200, 2000}, lo: 0.75, hi: 1.33, regions: true,
		note: "sums per region: dendrite, the stimulated spine (neck + head + PSD), the other spines"},
}

// spineGroups splits the mesh of a model with spines into the dendrite
// (every voxel outside spines), the spine that holds the stimuli's target
// voxels, and the other spines.
func spineGroups(sys *model.System) (*compare.Groups, error) {
	stim := map[int]bool{}
	for _, st := range sys.Stimuli {
		for _, v := range st.Targets {
			stim[v] = true
		}
	}
	gr := &compare.Groups{Names: []string{"dendrite", "stimulated_spine", "other_spines"}, Voxels: make([][]int, 3)}
	inSpine := map[int]bool{}
	hit := 0
	for _, sp := range sys.Mesh.Spines {
		g := 2
		for v := sp.FirstVoxel; v < sp.FirstVoxel+sp.NumVoxels; v++ {
			if stim[v] {
				g = 1
			}
		}
		if g == 1 {
			hit++
		}
		for v := sp.FirstVoxel; v < sp.FirstVoxel+sp.NumVoxels; v++ {
			gr.Voxels[g] = append(gr.Voxels[g], v)
			inSpine[v] = true
		}
	}
	if hit != 1 {
		return nil, fmt.Errorf("%d spines hold a stimulus target (want 1)", hit)
	}
	for v := range sys.Mesh.Voxels {
		if !inSpine[v] {
			gr.Voxels[0] = append(gr.Voxels[0], v)
		}
	}
	return gr, nil
}

func main() {
	shared := flag.String("shared", "../shared", "the shared folder with reference/neurord-3.3")
	nseeds := flag.Int("seeds", 32, "spinerd seeds per set")
	only := flag.String("set", "", "run only this set")
	verbose := flag.Bool("v", false, "print every comparison")
	method := flag.String("method", "", "spinerd method under test (exact, adaptive, multiscale, fixed; default: the file's, multiscale for GRID_ADAPTIVE)")
	flag.Parse()
	if *nseeds < 2 {
		fmt.Fprintf(os.Stderr, "neurordstats: -seeds %d: the comparison needs at least 2 seeds (a standard deviation)\n", *nseeds)
		os.Exit(2)
	}
	if *only != "" && !slices.ContainsFunc(sets, func(s set) bool { return s.dir == *only }) {
		var names []string
		for _, s := range sets {
			names = append(names, s.dir)
		}
		fmt.Fprintf(os.Stderr, "neurordstats: -set %q: no such set (%s)\n", *only, strings.Join(names, ", "))
		os.Exit(2)
	}
	ok := true
	for _, s := range sets {
		if *only != "" && s.dir != *only {
			continue
		}
		dir := filepath.Join(*shared, "reference", "neurord-3.3", s.dir)
		sys, _, err := neurord.Compile(filepath.Join(dir, "inputs", s.model), model.Options{Method: *method})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var gr *compare.Groups
		if s.regions {
			if gr, err = spineGroups(sys); err != nil {
				fmt.Fprintln(os.Stderr, s.dir+":", err)
				os.Exit(1)
			}
		}
		var ref *compare.Ensemble
		if gr != nil {
			ref, err = compare.ReadNeuroRDGroups(compare.NeuroRDOutputs(dir), s.times, gr)
		} else {
			ref, err = compare.Read(compare.NeuroRDOutputs(dir), s.times)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		seeds := make([]uint64, *nseeds)
		for i := range seeds {
			seeds[i] = uint64(1000 + i)
		}
		t0 := time.Now()
		var ens *compare.Ensemble
		var st gillespie.Stats
		if gr != nil {
			ens, st, err = refcompare.RunSpinerdGroups(sys, seeds, s.times, runtime.NumCPU(), gr)
		} else {
			ens, st, err = refcompare.RunSpinerd(sys, seeds, s.times, runtime.NumCPU())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		wall := time.Since(t0)
		cs, err := compare.Compare(ens, ref, 10)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		maxZ, geo := compare.Summary(cs)
		pass := maxZ <= 6 && geo >= s.lo && geo <= s.hi
		ok = ok && pass
		fmt.Printf("== %s: %d spinerd seeds (%s, ε %g) vs %d NeuroRD seeds, %d comparisons; max |z| %.2f; geometric mean SD ratio %.3f (bounds [%.2f, %.2f]): %s\n",
			s.dir, ens.Runs(), sys.Method, sys.Tolerance, ref.Runs(), len(cs), maxZ, geo, s.lo, s.hi, map[bool]string{true: "PASS", false: "FAIL"}[pass])
		if s.note != "" {
			fmt.Printf("   %s\n", s.note)
		}
		fmt.Printf("   wall %.1f s for %d runs on %d cores; per run: %.0f exact events, %.0f leaps carrying %.0f firings, %.0f firings absorbed in partial equilibrium\n",
			wall.Seconds(), ens.Runs(), runtime.NumCPU(), float64(st.ExactEvents)/float64(ens.Runs()), float64(st.Leaps)/float64(ens.Runs()), float64(st.LeapFirings)/float64(ens.Runs()), st.Absorbed/float64(ens.Runs()))
		fmt.Printf("   %-22s %9s %12s %12s %10s %10s %7s %6s\n", "species", "t (ms)", "mean spinerd", "mean NeuroRD", "sd spinerd", "sd NeuroRD", "z", "ratio")
		for _, c := range cs {
			if *verbose || c.Z > 4 || c.Z < -4 || c.Ratio > 1.5 || c.Ratio < 0.67 {
				fmt.Printf("   %-22s %9g %12.1f %12.1f %10.2f %10.2f %7.2f %6.2f\n", c.Species, c.TimeMs, c.MeanA, c.MeanB, c.SDA, c.SDB, c.Z, c.Ratio)
			}
		}
	}
	if !ok {
		fmt.Println(strings.Repeat("=", 10), "FAIL")
		os.Exit(1)
	}
	fmt.Println(strings.Repeat("=", 10), "PASS")
}
