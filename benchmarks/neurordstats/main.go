// Command neurordstats compares spinerd's adaptive method with NeuroRD
// 3.3.0's reference ensembles in ../shared/reference/neurord-3.3: for each
// set it runs the same model file with ≥ 32 seeds and compares the
// voxel-summed counts of every species whose mean exceeds 10 molecules at
// 5–6 times, printing both means, z = (difference of means)/(combined
// standard error, SDs floored at 1 molecule) and the SD ratio.
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
	"strings"
	"time"

	"github.com/spinerd/spinerd/compare"
	"github.com/spinerd/spinerd/internal/refcompare"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

type set struct {
	dir    string
	model  string // input file (per-seed copies differ only in the seed)
	times  []float64
	lo, hi float64 // bounds on the geometric mean SD ratio
}

var sets = []set{
	{"mm_hfs", "Model_HFS1_seed9.xml", []float64{1000, 2500, 3000, 4000, 7000, 12000}, 0.85, 1.18},
	{"mm_nostim", "Model_rest_seed9.xml", []float64{1000, 2000, 5000, 10000, 15000, 20000}, 0.85, 1.18},
	{"ex_mglur_diff", "Model_mglur_diff_seed1.xml", []float64{200, 400, 1000, 2000, 5000, 10000}, 0.75, 1.33},
	{"ex_mglur_spine-CaY", "Model_mglur_spine-CaY_seed1.xml", []float64{1000, 1200, 2000, 2200, 5000, 10000}, 0.75, 1.33},
}

func main() {
	shared := flag.String("shared", "../shared", "the shared folder with reference/neurord-3.3")
	nseeds := flag.Int("seeds", 32, "spinerd seeds per set")
	only := flag.String("set", "", "run only this set")
	verbose := flag.Bool("v", false, "print every comparison")
	method := flag.String("method", "adaptive", "spinerd method (the acceptance check uses adaptive)")
	flag.Parse()
	ok := true
	for _, s := range sets {
		if *only != "" && s.dir != *only {
			continue
		}
		dir := filepath.Join(*shared, "reference", "neurord-3.3", s.dir)
		ref, err := compare.Read(compare.NeuroRDOutputs(dir), s.times)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sys, _, err := neurord.Compile(filepath.Join(dir, "inputs", s.model), model.Options{Method: *method})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		seeds := make([]uint64, *nseeds)
		for i := range seeds {
			seeds[i] = uint64(1000 + i)
		}
		t0 := time.Now()
		ens, st, err := refcompare.RunSpinerd(sys, seeds, s.times, runtime.NumCPU())
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
		fmt.Printf("== %s: %d spinerd seeds (ε %g) vs %d NeuroRD seeds, %d comparisons; max |z| %.2f; geometric mean SD ratio %.3f (bounds [%.2f, %.2f]): %s\n",
			s.dir, ens.Runs(), sys.Tolerance, ref.Runs(), len(cs), maxZ, geo, s.lo, s.hi, map[bool]string{true: "PASS", false: "FAIL"}[pass])
		fmt.Printf("   wall %.1f s for %d runs on %d cores; per run: %.0f exact events, %.0f leaps carrying %.0f firings\n",
			wall.Seconds(), ens.Runs(), runtime.NumCPU(), float64(st.ExactEvents)/float64(ens.Runs()), float64(st.Leaps)/float64(ens.Runs()), float64(st.LeapFirings)/float64(ens.Runs()))
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
