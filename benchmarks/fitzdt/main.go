// Command fitzdt runs the optimiser of package fit on ZDT1, ZDT2 and ZDT3
// (30 variables) with N = 100 for 250 generations and the standard
// NSGA-II settings (η_c = 20, η_m = 20, p_m = 1/30, Deb's SBX), 5 seeds
// each, and prints the final front's hypervolume (reference (1.1, 1.1))
// against the true front's; the target is within 1.5 %.
// Usage: go run ./benchmarks/fitzdt [-seeds 5] [-generations 250]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/spinerd/spinerd/fit"
)

func main() {
	seeds := flag.Int("seeds", 5, "seeds per problem (1…)")
	gens := flag.Int("generations", 250, "generations")
	dedup := flag.Bool("drop-duplicates", false, "drop duplicate rows before truncation")
	only := flag.Int("only", 0, "run only ZDT<only>")
	flag.Parse()
	switch {
	case *seeds < 1:
		fmt.Fprintf(os.Stderr, "fitzdt: -seeds %d: want at least 1\n", *seeds)
		os.Exit(2)
	case *gens < 1:
		fmt.Fprintf(os.Stderr, "fitzdt: -generations %d: want at least 1\n", *gens)
		os.Exit(2)
	case *only < 0 || *only > 3:
		fmt.Fprintf(os.Stderr, "fitzdt: -only %d: the problems are ZDT1, ZDT2 and ZDT3 (0: all)\n", *only)
		os.Exit(2)
	}
	worst := 0.0
	for kind := 1; kind <= 3; kind++ {
		if *only != 0 && kind != *only {
			continue
		}
		prob, vars, want := fit.ZDT(kind, 30)
		for s := 1; s <= *seeds; s++ {
			dir, _ := os.MkdirTemp("", "zdt")
			cfg := fit.Config{Variables: vars, Objectives: []string{"f1", "f2"}, N: 100, Generations: *gens,
				EtaC: 20, EtaM: 20, PM: 1.0 / 30, Variation: fit.NSGA2, DropDuplicates: *dedup, Seed: uint64(s), RefPoint: []float64{1.1, 1.1}}
			pop, err := fit.Run(context.Background(), prob, cfg, fit.Options{Dir: dir})
			os.RemoveAll(dir)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			var front [][]float64
			for _, ind := range pop {
				if ind.Rank == 0 {
					front = append(front, ind.F)
				}
			}
			hv, _ := fit.Hypervolume(front, []float64{1.1, 1.1})
			gap := 100 * (want - hv) / want
			worst = max(worst, gap)
			fmt.Printf("ZDT%d seed %d: hypervolume %.5f, true %.5f, %.2f %% below\n", kind, s, hv, want, gap)
		}
	}
	fmt.Printf("worst gap %.2f %% (target ≤ 1.5 %%)\n", worst)
}
