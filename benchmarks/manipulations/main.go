// Command manipulations prints g(500 s)/g(40 s) for every Fig. 3/4
// manipulation of protocols-and-fitting.md §2.1 (4xHFS and LFS with
// inputs removed) on the embedded spine model started from its resting
// state: deterministic, and as the mean ± SD of a stochastic ensemble
// (by default adaptive, ε = 0.01). Usage: go run ./benchmarks/manipulations
// [-seeds 1-16] [-method M] [-jobs N] [-dir DIR]; -seeds "" skips the
// stochastic runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/plasticity"
	"github.com/spinerd/spinerd/protocol"
)

func die(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	seedsFlag := flag.String("seeds", "1-16", "seeds of the stochastic ensembles (empty: deterministic only)")
	jobs := flag.Int("jobs", 0, "seeds at once (default: one per core)")
	dir := flag.String("dir", "", "where to keep the ensembles (default: a temporary directory)")
	method := flag.String("method", "adaptive", "stochastic method of the ensembles")
	flag.Parse()
	if *jobs < 0 {
		die(fmt.Errorf("-jobs %d: want 0 (one per core) or more", *jobs))
	}
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
		at := []float64{500_000}
		ode, err := (&plasticity.ProtocolRun{Base: base, Protocol: p, Start: plasticity.FromSteadyState, TimesMs: at}).Run(context.Background())
		if err != nil {
			die(err)
		}
		sto := "-"
		if len(seeds) > 0 {
			pr := &plasticity.ProtocolRun{Base: base, Protocol: p, Start: plasticity.FromSteadyState, TimesMs: at,
				Method: *method, Seeds: seeds, Jobs: *jobs, Dir: filepath.Join(*dir, fmt.Sprintf("m%d", i))}
			res, err := pr.Run(context.Background())
			if err != nil {
				die(err)
			}
			m, sd := res.Ratio(0)
			sto = fmt.Sprintf("%.3f ± %.3f", m, sd)
		}
		r, _ := ode.Ratio(0)
		f := mp.Fluxes
		fmt.Printf("%-36s %-22s %10.3f %18s %8.0f\n", mp.Label, strings.TrimSpace(fmt.Sprintf("%g/%g/%g/%g", f.Ca, f.L, f.Glu, f.ACh)), r, sto, time.Since(start).Seconds())
	}
}
