package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/spinerd/spinerd/fit"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/plasticity"
)

func runFit(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fit", stdout)
	dataset := fs.String("dataset", "", "data set caption, e.g. VC-1 (required)")
	space := fs.String("param-space", "fewer", "fewer (12 parameters) or manyb (21)")
	variant := fs.String("variant", "", "protocol file variant (default: protocols_many_78withoutCK for fewer, protocols_many for manyb)")
	n := fs.Int("population", 100, "population size N (even)")
	c := fs.Int("capacity", 0, "capacity C: parents + children (default 2N)")
	gens := fs.Int("generations", 25, "generations (generation 0 is the initial population)")
	seed := fs.Uint64("seed", 1, "random seed")
	jobs := fs.Int("jobs", 0, "evaluations run at once (default: one per core)")
	etaC := fs.Float64("eta-c", 20, "SBX distribution index η_c")
	etaM := fs.Float64("eta-m", 20, "mutation distribution index η_m")
	pm := fs.Float64("p-m", 0.5, "per-variable mutation probability (Emoo's 0.5)")
	variation := fs.String("variation", "emoo", "emoo (emoo.py's crossover and survival) or nsga2 (Deb's SBX and parent survival)")
	dedup := fs.Bool("drop-duplicates", false, "drop duplicate individuals before truncation (emoo.py keeps them)")
	maxSteps := fs.Int("max-steps", 500_000, "solver-step budget of each simulated experiment (reproducible); an exhausted budget gives the missing-data value 1e8")
	timeout := fs.Duration("timeout", 0, "wall-clock limit of each simulated experiment (e.g. 10m; 0: none); breaks reproducibility, prefer --max-steps")
	out := fs.StringP("output", "o", "", "output directory (default: fit-DATASET)")
	resume := fs.Bool("resume", false, "continue from the output directory's checkpoint (made with the same data set and settings)")
	force := fs.Bool("force", false, "start over in an output directory that already holds a fit, replacing its checkpoint")
	quiet := fs.BoolP("quiet", "q", false, "no progress bar and no summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *dataset == "" || len(fs.Args()) > 0 {
		fmt.Fprintf(stderr, "spinerd fit: give --dataset NAME (e.g. VC-1)\n")
		return exitBadInput
	}
	if *n < 2 || *n%2 != 0 || (*c != 0 && (*c <= *n || (*c-*n)%2 != 0)) || *gens < 1 {
		fmt.Fprintf(stderr, "spinerd fit: --population must be even and ≥ 2, --capacity greater than it by an even number, --generations ≥ 1\n")
		return exitBadInput
	}
	var vt fit.Variation
	switch *variation {
	case "emoo":
	case "nsga2":
		vt = fit.NSGA2
	default:
		fmt.Fprintf(stderr, "spinerd fit: --variation %q: use emoo or nsga2\n", *variation)
		return exitBadInput
	}
	d, err := plasticity.Load()
	if err != nil {
		return report(stderr, "fit", nil, err)
	}
	ds, err := d.Dataset(*dataset)
	if err != nil {
		return report(stderr, "fit", nil, err)
	}
	sp, ok := d.Spaces[*space]
	if !ok {
		return report(stderr, "fit", nil, fmt.Errorf("--param-space %q: use fewer or manyb", *space))
	}
	if *variant == "" {
		*variant = plasticity.DefaultVariant(*space)
	}
	v, err := ds.Variant(*variant)
	if err != nil {
		return report(stderr, "fit", nil, err)
	}
	base, _, err := models.SpineModel()
	if err != nil {
		return report(stderr, "fit", nil, err)
	}
	if *jobs <= 0 {
		*jobs = numCPU()
	}
	prob := &plasticity.Problem{Data: d, Base: base, Dataset: ds, Variant: v, Space: sp,
		Options: plasticity.Options{Jobs: 1, MaxSteps: *maxSteps, Timeout: *timeout}}
	cfg := fit.Config{Variables: prob.Variables(), Objectives: prob.Objectives(), N: *n, C: *c, Generations: *gens,
		EtaC: *etaC, EtaM: *etaM, PM: *pm, Variation: vt, DropDuplicates: *dedup, Seed: *seed, Jobs: *jobs}
	if err := cfg.Check(); err != nil { // before the output directory is made
		fmt.Fprintf(stderr, "spinerd %v\n", err)
		return exitBadInput
	}
	dir := *out
	if dir == "" {
		dir = "fit-" + ds.Caption
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return report(stderr, "fit", nil, err)
	}
	failLog, err := os.OpenFile(filepath.Join(dir, "failures.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return report(stderr, "fit", nil, err)
	}
	defer failLog.Close()
	prob.Log = failLog
	ctx, stop := interruptible()
	defer stop()
	rec := &fitProgress{w: stderr, quiet: *quiet, generations: *gens}
	opt := fit.Options{Dir: dir, Resume: *resume, Force: *force, Recorder: rec,
		Extra: map[string]string{"dataset": ds.Caption, "param_space": *space, "variant": *variant, "max_steps": strconv.Itoa(*maxSteps)}}
	_, err = fit.Run(ctx, prob, cfg, opt)
	rec.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "spinerd fit: interrupted; %s holds the last complete generation: rerun with --resume\n", filepath.Join(dir, fit.CheckpointName))
			return exitInterrupted
		}
		var exists *fit.ExistsError
		if errors.As(err, &exists) {
			fmt.Fprintf(stderr, "spinerd fit: %s already holds a fit (%s): add --resume to continue it, --force to start over replacing it, or give another -o\n", dir, fit.CheckpointName)
			return exitBadInput
		}
		return report(stderr, "fit", nil, err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "wrote %s: %s, %s, %s, %s, %s\n", dir, fit.PopulationName, fit.FrontName, fit.BestName, fit.CheckpointName, fit.LogName)
	}
	return exitOK
}

// fitProgress is the fit's fit.Recorder: a bar of evaluations on a
// terminal, a line per generation otherwise.
type fitProgress struct {
	w           io.Writer
	quiet       bool
	generations int
	p           *progress
	mu          sync.Mutex
	done, total int
	gen         string
}

func (f *fitProgress) Init(total, done int) {
	f.p = newProgress(f.w, f.quiet || !isTerminal(f.w), "evaluations", float64(total), 0)
	f.total, f.done = total, done
	f.p.set(float64(done), "")
}

func (f *fitProgress) Evaluated() {
	f.mu.Lock()
	f.done++
	done, gen := f.done, f.gen
	f.mu.Unlock()
	f.p.set(float64(done), fmt.Sprintf("%d/%d%s", done, f.total, gen))
}

func (f *fitProgress) Generation(g fit.Generation) {
	f.mu.Lock()
	f.gen = fmt.Sprintf(", generation %d/%d, HV %.4g", g.Gen+1, f.generations, g.Hypervolume)
	f.mu.Unlock()
	if !f.quiet && !isTerminal(f.w) {
		fmt.Fprintf(f.w, "generation %d: hypervolume %.5g, best %s, %d on the first front, %d failed, %.2f evaluations/s\n", g.Gen, g.Hypervolume, fmtFloats(g.Best), g.Front0, g.Failed, g.EvalsPerSecond())
	}
}

func (f *fitProgress) finish() {
	if f.p != nil {
		f.p.finish()
	}
}
