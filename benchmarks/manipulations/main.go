// Command manipulations prints g(500 s)/g(40 s) for every Fig. 3/4
// manipulation of protocols-and-fitting.md §2.1 (4xHFS and LFS with
// inputs removed) on the embedded spine model started from its resting
// state: deterministic, and as the mean ± SD of a stochastic (adaptive
// by default, ε = 0.01) ensemble. Usage: go run ./benchmarks/manipulations
// [-seeds 1-16] [-jobs N] [-dir DIR] [-method multiscale]; -seeds ""
// skips the stochastic runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/plasticity"
	"github.com/spinerd/spinerd/protocol"
	"github.com/spinerd/spinerd/traj"
)

func die(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	seedsFlag := flag.String("seeds", "1-16", "seeds of the stochastic ensembles (empty: deterministic only)")
	jobs := flag.Int("jobs", 0, "seeds at once (default: one per core)")
	dir := flag.String("dir", "", "where to keep the ensembles (default: a temporary directory)")
	method := flag.String("method", "adaptive", "stochastic method (adaptive or multiscale)")
	flag.Parse()
	base, _, err := models.SpineModel()
	if err != nil {
		die(err)
	}
	var seeds []uint64
	if *seedsFlag != "" {
		if seeds, err = ensemble.ParseSeeds(*seedsFlag); err != nil {
			die(err)
		}
	}
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "manipulations"); err != nil {
			die(err)
		}
		defer os.RemoveAll(*dir)
	}
	fmt.Printf("%-36s %-22s %10s %18s %8s\n", "manipulation", "Ca/L/Glu/ACh", "ode", *method+" mean±SD", "s")
	for i, mp := range protocol.Manipulations() {
		start := time.Now()
		p, err := protocol.ByName(mp.Protocol, protocol.NeuroRDTiming(), 0)
		if err != nil {
			die(err)
		}
		p.Fluxes = mp.Fluxes
		sys, _, err := plasticity.Prepare(base, p, protocol.Edits{}, plasticity.FromSteadyState, "ode", 1000)
		if err != nil {
			die(err)
		}
		rec := plasticity.NewRecorder(sys)
		if _, err := deterministic.Run(context.Background(), sys, deterministic.Options{}, rec); err != nil {
			die(err)
		}
		s, err := plasticity.FromSpecies(rec.IDs, rec.Times, rec.Frames, ampa.RandomTetramers)
		if err != nil {
			die(err)
		}
		ode := s.At(500_000) / s.At(40_000)
		sto := "-"
		if len(seeds) > 0 {
			ssys, _, err := plasticity.Prepare(base, p, protocol.Edits{}, plasticity.FromSteadyState, *method, 1000)
			if err != nil {
				die(err)
			}
			d := filepath.Join(*dir, fmt.Sprintf("m%d", i))
			if _, err := ensemble.Run(context.Background(), ssys, ensemble.Options{Seeds: seeds, Jobs: *jobs, Dir: d}); err != nil {
				die(err)
			}
			var r []float64
			for _, seed := range seeds {
				rd, err := traj.Open(filepath.Join(d, ensemble.SeedFile(seed)))
				if err != nil {
					die(err)
				}
				gs, err := plasticity.FromTrajectory(rd, ampa.RandomTetramers)
				rd.Close()
				if err != nil {
					die(err)
				}
				r = append(r, gs.At(500_000)/gs.At(40_000))
			}
			m, sd := stat.MeanStdDev(r, nil)
			sto = fmt.Sprintf("%.3f ± %.3f", m, sd)
		}
		f := mp.Fluxes
		fmt.Printf("%-36s %-22s %10.3f %18s %8.0f\n", mp.Label, strings.TrimSpace(fmt.Sprintf("%g/%g/%g/%g", f.Ca, f.L, f.Glu, f.ACh)), ode, sto, time.Since(start).Seconds())
	}
}
