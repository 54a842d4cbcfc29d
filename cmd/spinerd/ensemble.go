package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/runfile"
)

func runEnsemble(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ensemble", stdout)
	seedsFlag := fs.String("seeds", "", "seeds to run: a range or list, e.g. 1-64 or 3,5,9 (required)")
	method := fs.String("method", "", methodHelp(model.Stochastic, "the model's <calculation>"))
	tol := fs.Float64("tolerance", 0, "accuracy ε of the adaptive and multiscale methods (default: the model's <tolerance>)")
	runtimeMs := fs.Float64("runtime", 0, "simulated time in ms (default: the model's <runtime>)")
	step := fs.Float64("fixed-step", 0, "step of the fixed method in ms (default: the model's <fixedStepDt>)")
	initial := fs.String("initial-state", "", "start every seed from the state of a run file at a time: FILE[@TIME_MS] (default: its last frame)")
	format := fs.String("format", "traj", "traj (seed-N.traj) or h5 (also seed-N.h5, NeuroRD's HDF5 layout, written from each complete trajectory; gather them into one file with spinerd merge --format h5)")
	jobs := fs.Int("jobs", 0, "seeds run at once (default: one per CPU core)")
	shardFlag := fs.String("shard", "", "run only slice i of n of the seeds (1-based, e.g. 2/3); default: from SLURM_ARRAY_TASK_* or JOB_COMPLETION_INDEX, else all")
	shards := fs.Int("shards", 0, "number of shards of a Kubernetes Indexed Job (else SPINERD_SHARDS)")
	domains := fs.Int("domains", 0, fmt.Sprintf("adaptive and multiscale methods: cut the mesh of each seed into N domains, as spinerd run --domains N\ndoes (0: chosen from the mesh, ≥ %d voxels outside the spines are cut; 1: one block); each N\nis its own decomposition: other output for a seed", gillespie.AutoCutVoxels))
	oneBlock := fs.Bool("one-block", false, fmt.Sprintf("adaptive and multiscale methods: run each seed of a mesh with ≥ %d voxels outside the spines\nas one block, not in domains (other output for a seed, as spinerd run --one-block gives); the same as --domains 1", gillespie.AutoCutVoxels))
	quant := fs.String("quantiles", "0.05,0.25,0.5,0.75,0.95", "quantiles of the summary")
	out := fs.StringP("output", "o", "", "output directory (default: MODEL-ensemble)")
	quiet := fs.BoolP("quiet", "q", false, "no progress and no summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	path, ok := oneModel("ensemble", fs.Args(), stderr)
	if !ok {
		return exitBadInput
	}
	if *seedsFlag == "" {
		fmt.Fprintf(stderr, "spinerd ensemble: give the seeds, e.g. --seeds 1-64\n")
		return exitBadInput
	}
	seeds, err := ensemble.ParseSeeds(*seedsFlag)
	if err != nil {
		return badFlag(stderr, "ensemble", "seeds", err)
	}
	quantiles, err := parseFloats(*quant)
	if err != nil {
		return badFlag(stderr, "ensemble", "quantiles", err)
	}
	var shard ensemble.Shard
	source := ""
	if *shardFlag != "" {
		if shard, err = ensemble.ParseShard(*shardFlag); err != nil {
			return badFlag(stderr, "ensemble", "shard", err)
		}
	} else {
		sh, ok, err := ensemble.ShardFromEnv(os.Getenv, *shards)
		if err != nil {
			fmt.Fprintf(stderr, "spinerd ensemble: %v\n", err)
			return exitBadInput
		}
		if ok {
			shard, source = sh, " (from the job array's environment)"
		}
	}
	sys, warns, err := neurord.Compile(path, model.Options{Method: *method, RuntimeMs: *runtimeMs, Tolerance: *tol, FixedStepMs: *step})
	if err != nil {
		return report(stderr, "ensemble", warns, err)
	}
	if !*quiet {
		report(stderr, "ensemble", warns, nil)
	}
	if *domains, err = domainsFlag(sys, *domains, fs.Changed("domains"), *oneBlock); err != nil {
		return badFlag(stderr, "ensemble", "domains", err)
	}
	if *domains > 1 && !*quiet {
		if why := oneBlockNote(sys, *domains); why != "" {
			fmt.Fprintf(stderr, "note: --domains %d: the mesh (%d voxels) runs as one block: %s\n", *domains, sys.NumVoxels(), why)
		}
	}
	if *initial != "" {
		st, err := runfile.LoadState(*initial, sys)
		if err == nil {
			err = sys.StartFrom(st)
		}
		if err != nil {
			return badFlag(stderr, "ensemble", "initial-state", err)
		}
	}
	dir := *out
	if dir == "" {
		dir = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + "-ensemble"
	}
	ctx, stop := interruptible()
	defer stop()
	pr := newEnsembleBar(stderr, *quiet)
	parallel := *jobs
	if parallel <= 0 {
		parallel = numCPU() // ensemble.Run's default
	}
	prepareHeap(sys, min(parallel, len(seeds)))
	start := time.Now()
	res, err := ensemble.Run(ctx, sys, ensemble.Options{Seeds: seeds, Shard: shard, Jobs: *jobs, Dir: dir, Quantiles: quantiles, Progress: pr.update, Format: *format, Domains: *domains})
	pr.finish()
	if res != nil {
		for _, d := range res.Redone {
			fmt.Fprintf(stderr, "spinerd ensemble: %s was damaged (%s): ran seed %d again\n", filepath.Join(dir, ensemble.SeedFile(d.Seed)), d.Reason, d.Seed)
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "spinerd ensemble: interrupted; complete seeds are kept in %s and rerunning the same command resumes\n", dir)
			return exitInterrupted
		}
		return report(stderr, "ensemble", nil, err)
	}
	if !*quiet {
		sh := "all seeds"
		if !shard.All() {
			sh = "shard " + shard.String() + source
		}
		fmt.Fprintf(stderr, "method %s, %s: ran %d seeds, %d already complete, in %.1f s\n", sys.Method, sh, len(res.Ran), len(res.Skipped), time.Since(start).Seconds())
		fmt.Fprintf(stderr, "wrote %s (seed-N.traj, %s, %s)\n", dir, ensemble.SummaryName, ensemble.ManifestName)
	}
	return exitOK
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("bad quantile %q (use numbers in [0, 1])", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// ensembleBar is the progress display of an ensemble: one bar (seeds
// done, simulated ms per second, elapsed time and ETA) on a terminal, a
// log line every 10 s otherwise. The total is known from the first update.
type ensembleBar struct {
	w     io.Writer
	quiet bool
	start time.Time
	once  sync.Once
	p     *progress
}

func newEnsembleBar(w io.Writer, quiet bool) *ensembleBar {
	return &ensembleBar{w: w, quiet: quiet, start: time.Now()}
}

// update implements ensemble.Options.Progress (calls are serialised).
func (e *ensembleBar) update(pr ensemble.Progress) {
	e.once.Do(func() { e.p = newProgress(e.w, e.quiet, "ensemble", pr.TotalMs, 10*time.Second) })
	rate := 0.0
	if el := time.Since(e.start).Seconds(); el > 0 {
		rate = (pr.SimulatedMs - float64(pr.Skipped)*pr.TotalMs/float64(max(pr.Seeds, 1))) / el
	}
	e.p.set(pr.SimulatedMs, fmt.Sprintf("seeds %d/%d, %.3g ms/s", pr.Done, pr.Seeds, rate))
}

func (e *ensembleBar) finish() {
	if e.p != nil {
		e.p.finish()
	}
}
