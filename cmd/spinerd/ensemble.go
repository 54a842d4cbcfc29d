package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
)

func runEnsemble(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ensemble", stdout)
	seedsFlag := fs.String("seeds", "", "seeds to run: a range or list, e.g. 1-64 or 3,5,9 (required)")
	method := fs.String("method", "", "exact, adaptive, multiscale or fixed (default: the model's <calculation>)")
	tol := fs.Float64("tolerance", 0, "accuracy ε of the adaptive method (default: the model's <tolerance>)")
	runtimeMs := fs.Float64("runtime", 0, "simulated time in ms (default: the model's <runtime>)")
	step := fs.Float64("fixed-step", 0, "step of the fixed method in ms (default: the model's <fixedStepDt>)")
	jobs := fs.Int("jobs", 0, "seeds run at once (default: one per CPU core)")
	shardFlag := fs.String("shard", "", "run only slice i of n of the seeds (1-based, e.g. 2/3); default: from SLURM_ARRAY_TASK_* or JOB_COMPLETION_INDEX, else all")
	shards := fs.Int("shards", 0, "number of shards of a Kubernetes Indexed Job (else SPINERD_SHARDS)")
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
		fmt.Fprintf(stderr, "spinerd ensemble: --seeds: %v\n", err)
		return exitBadInput
	}
	quantiles, err := parseFloats(*quant)
	if err != nil {
		fmt.Fprintf(stderr, "spinerd ensemble: --quantiles: %v\n", err)
		return exitBadInput
	}
	var shard ensemble.Shard
	source := ""
	if *shardFlag != "" {
		if shard, err = ensemble.ParseShard(*shardFlag); err != nil {
			fmt.Fprintf(stderr, "spinerd ensemble: --shard: %v\n", err)
			return exitBadInput
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
	dir := *out
	if dir == "" {
		dir = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + "-ensemble"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pr := newEnsembleProgress(stderr, *quiet)
	start := time.Now()
	res, err := ensemble.Run(ctx, sys, ensemble.Options{Seeds: seeds, Shard: shard, Jobs: *jobs, Dir: dir, Quantiles: quantiles, Progress: pr.update})
	pr.finish()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "spinerd ensemble: interrupted; complete seeds are kept in %s and rerunning the same command resumes\n", dir)
			return 130
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

func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("merge", stdout)
	out := fs.StringP("output", "o", "", "directory of the merged ensemble (required)")
	quiet := fs.BoolP("quiet", "q", false, "no summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *out == "" || len(fs.Args()) == 0 {
		fmt.Fprintf(stderr, "spinerd merge: give the shard directories and -o OUT\n")
		return exitBadInput
	}
	m, err := ensemble.Merge(fs.Args(), *out, nil)
	if err != nil {
		return report(stderr, "merge", nil, err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "merged %d directories: seeds %s of %s into %s\n", len(fs.Args()), m.Seeds, m.ModelSource, *out)
	}
	return exitOK
}

// ensembleProgress shows one bar for the ensemble on a terminal, and a
// log line every 10 s otherwise.
type ensembleProgress struct {
	mu       sync.Mutex
	w        io.Writer
	quiet    bool
	terminal bool
	start    time.Time
	lastLog  time.Time
	bar      *progressbar.ProgressBar
}

func newEnsembleProgress(w io.Writer, quiet bool) *ensembleProgress {
	return &ensembleProgress{w: w, quiet: quiet, terminal: isTerminal(w), start: time.Now(), lastLog: time.Now()}
}

func (p *ensembleProgress) update(pr ensemble.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = (pr.SimulatedMs - float64(pr.Skipped)*pr.TotalMs/float64(max(pr.Seeds, 1))) / el
	}
	desc := fmt.Sprintf("seeds %d/%d, %.3g ms/s", pr.Done, pr.Seeds, rate)
	if p.terminal {
		if p.bar == nil {
			p.bar = progressbar.NewOptions64(1000,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		p.bar.Describe(desc)
		p.bar.Set64(int64(1000 * pr.SimulatedMs / pr.TotalMs))
		return
	}
	if time.Since(p.lastLog) >= 10*time.Second || pr.Done == pr.Seeds {
		p.lastLog = time.Now()
		eta := ""
		if done := pr.SimulatedMs / pr.TotalMs; done > 0 && done < 1 && rate > 0 {
			eta = fmt.Sprintf(", ETA %s", time.Duration((pr.TotalMs-pr.SimulatedMs)/rate*float64(time.Second)).Round(time.Second))
		}
		fmt.Fprintf(p.w, "ensemble: %s, %.0f %%%s\n", desc, 100*pr.SimulatedMs/pr.TotalMs, eta)
	}
}

func (p *ensembleProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
