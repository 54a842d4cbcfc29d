// Command pgo writes the CPU profile that the Go toolchain uses to
// optimise spinerd (profile-guided optimisation: `go build` reads
// cmd/spinerd/default.pgo by itself). It runs spinerd's engines on the
// workloads its users run — the spine model well mixed (exact at rest,
// multiscale under HFS, the ODE solver a fit evaluates), NeuroRD's spine
// example in space, the spine model on a dendrite (one block, then in
// domains on two workers) — in one process under runtime/pprof, and
// writes the profile.
//
//	go run ./benchmarks/pgo [-shared ../shared] [-o cmd/spinerd/default.pgo]
//
// The runs are fixed (models, seeds, simulated times), so the profile
// changes only with the engines. Regenerate it after a change to a hot
// path, and measure: benchmarks/speed.sh --base REV compares a build with
// the new profile to REV's.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

// workload is runs of one model file under ../shared: the method (""
// for the file's), simulated time (ms; 0 for the file's), seeds 1…runs
// (3 for the spine model on a dendrite, whose seed 3 the README's
// figures use) and engine options. The mix weighs the engines roughly as
// users spend time in them: ensembles and fits of the well-mixed spine
// model, and the spatial runs that take longest.
type workload struct {
	rel       string
	method    string
	runtimeMs float64
	runs      int
	opt       gillespie.Options
}

const (
	spineModel = "models/maki-marttunen-2020/"
	dendModel  = "reference/neurord-3.3/spine2020_dend/inputs/Model_spine2020_dend.xml"
)

var workloads = []workload{
	{spineModel + "Model_rest.xml", "exact", 0, 2, gillespie.Options{}},
	{spineModel + "Model_HFS1.xml", "", 0, 8, gillespie.Options{}},
	{spineModel + "Model_HFS1.xml", "adaptive", 0, 1, gillespie.Options{}},
	{spineModel + "Model_HFS1.xml", "ode", 0, 10, gillespie.Options{}},
	{"models/neurord-examples/Model_mglur_spine-CaY.xml", "multiscale", 0, 3, gillespie.Options{}},
	{dendModel, "", 0, 1, gillespie.Options{}},
	{dendModel, "", 300, 1, gillespie.Options{Domains: 2, Workers: 2}},
}

type discard struct{}

func (discard) Counts(int, float64, []int64) error   { return nil }
func (discard) Values(int, float64, []float64) error { return nil }

func main() {
	shared := flag.String("shared", "../shared", "the directory of the shared models and reference runs")
	out := flag.String("o", "cmd/spinerd/default.pgo", "the profile to write")
	flag.Parse()
	if err := profile(*shared, *out); err != nil {
		fmt.Fprintln(os.Stderr, "pgo:", err)
		os.Exit(1)
	}
}

func profile(shared, out string) error {
	tmp := out + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	for _, w := range workloads {
		start := time.Now()
		if err := w.run(filepath.Join(shared, w.rel)); err != nil {
			pprof.StopCPUProfile()
			f.Close()
			return fmt.Errorf("%s: %w", w.rel, err)
		}
		fmt.Printf("%-70s %-10s %2d× %6.1f s\n", w.rel, w.method, w.runs, time.Since(start).Seconds())
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

func (w workload) run(path string) error {
	sys, _, err := neurord.Compile(path, model.Options{Method: w.method, RuntimeMs: w.runtimeMs})
	if err != nil {
		return err
	}
	ctx := context.Background()
	for k := 1; k <= w.runs; k++ {
		seed := uint64(k)
		if w.rel == dendModel {
			seed = 3
		}
		if sys.Method == model.MethodODE {
			_, err = deterministic.Run(ctx, sys, deterministic.Options{}, discard{})
		} else {
			_, err = gillespie.Run(ctx, sys, w.opt, seed, discard{})
		}
		if err != nil {
			return err
		}
	}
	return nil
}
