package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/output"
)

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stdout)
	method := fs.String("method", "", "exact, adaptive, multiscale, fixed or ode (default: the model's <calculation>)")
	seed := fs.Uint64("seed", 0, "random seed (default: the model's <simulationSeed>, else a random one that is printed)")
	tol := fs.Float64("tolerance", 0, "accuracy ε of the adaptive method (default: the model's <tolerance>, else 0.001)")
	runtimeMs := fs.Float64("runtime", 0, "simulated time in ms (default: the model's <runtime>)")
	step := fs.Float64("fixed-step", 0, "step of the fixed method in ms (default: the model's <fixedStepDt>)")
	rtol := fs.Float64("rtol", 1e-6, "relative tolerance of the ode method")
	atolNM := fs.Float64("atol", 1e-6, "absolute tolerance of the ode method, nM")
	maxSteps := fs.Int("max-steps", 0, "ode method: stop with an error after this many steps (0: no limit)")
	workers := fs.Int("workers", 1, "goroutines for blocks of voxels (multi-voxel models; results do not depend on it)")
	format := fs.String("format", "traj", "traj (spinerd's compressed trajectory) or neurord (NeuroRD's text files)")
	out := fs.StringP("output", "o", "", "output: the trajectory file (default MODEL.traj in the current directory), or\nfor --format neurord the base name O of O.out, O-mesh.txt.out and O-<set>-conc.txt.out")
	quiet := fs.BoolP("quiet", "q", false, "no progress bar and no summary")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	var sys *model.System
	var warns diag.List
	var err error
	path, isDefault := "", len(fs.Args()) == 0
	if isDefault {
		// The embedded spine model under one HFS train.
		path = "spine-hfs.xml"
		sys, err = defaultSystem(*method, *runtimeMs, *tol)
		if err != nil {
			return report(stderr, "run", nil, err)
		}
		if !*quiet {
			fmt.Fprintf(stderr, "spinerd run: no model given: the embedded Mäki-Marttunen et al. 2020 spine model, one HFS train (100 pulses of 3 ms at 100 Hz from 2 s; Ca 1900, L 10, Glu 20, ACh 20 particles/ms), 12 s\n")
		}
	} else {
		var ok bool
		path, ok = oneModel("run", fs.Args(), stderr)
		if !ok {
			return exitBadInput
		}
		sys, warns, err = neurord.Compile(path, model.Options{Method: *method, RuntimeMs: *runtimeMs, Tolerance: *tol, FixedStepMs: *step})
		if err != nil {
			return report(stderr, "run", warns, err)
		}
	}
	if !(*rtol > 0) || !(*atolNM > 0) {
		fmt.Fprintf(stderr, "spinerd run: --rtol and --atol must be positive (got %g, %g)\n", *rtol, *atolNM)
		return exitBadInput
	}
	ode := sys.Method == model.MethodODE
	if !*quiet {
		report(stderr, "run", warns, nil)
	}
	s := *seed
	chosen := false
	if s == 0 && ode {
		s = uint64(max(sys.Seed, 0))
	} else if s == 0 {
		s = uint64(sys.Seed)
		if s == 0 {
			s = rand.Uint64() >> 1
			chosen = true
		}
	}
	base := *out
	if base == "" {
		base = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if *format == string(output.Trajectory) {
			base += ".traj"
		}
	}
	var extra map[string]string
	if ode {
		extra = map[string]string{"rtol": fmt.Sprint(*rtol), "atol_nM": fmt.Sprint(*atolNM)}
	}
	tw, err := output.Create(output.Format(*format), base, sys, s, extra)
	if err != nil {
		return report(stderr, "run", nil, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	prog := newProgress(stderr, *quiet, sys.StartMs, sys.EndMs)
	start := time.Now()
	var st gillespie.Stats
	var dst deterministic.Stats
	var runErr error
	if ode {
		dst, runErr = deterministic.Run(ctx, sys, deterministic.Options{Rtol: *rtol, AtolNM: *atolNM, MaxSteps: *maxSteps, Progress: prog.update}, tw)
	} else {
		st, runErr = gillespie.Run(ctx, sys, gillespie.Options{Workers: *workers, Progress: prog.update}, s, tw)
	}
	prog.finish()
	elapsed := time.Since(start)
	interrupted := runErr != nil && errors.Is(runErr, context.Canceled)
	if runErr != nil && !interrupted {
		tw.Abort()
		return report(stderr, "run", nil, runErr)
	}
	if err := tw.Close(); err != nil {
		return report(stderr, "run", nil, err)
	}
	if interrupted {
		fmt.Fprintf(stderr, "spinerd run: interrupted at %.6g ms; the outputs hold every output time up to then\n", prog.last)
	}
	if !*quiet {
		note := ""
		if chosen {
			note = " (chosen at random: pass --seed to reproduce)"
		}
		if ode {
			fmt.Fprintf(stderr, "method ode, rtol %g, atol %g nM\n", *rtol, *atolNM)
			fmt.Fprintf(stderr, "simulated %.6g ms in %.3f s: %d steps (%d rejected), %d segments, %d Jacobians, %d factorisations\n",
				prog.last-sys.StartMs, elapsed.Seconds(), dst.Steps, dst.Rejected, dst.Segments, dst.JacEvals, dst.Factorizations)
		} else {
			fmt.Fprintf(stderr, "method %s, seed %d%s\n", sys.Method, s, note)
			if sys.Method.UsesTolerance() {
				fmt.Fprintf(stderr, "tolerance %g\n", sys.Tolerance)
			}
			fmt.Fprintf(stderr, "simulated %.6g ms in %.3f s: %d single events, %d leaps carrying %d firings, %d fixed steps\n",
				prog.last-sys.StartMs, elapsed.Seconds(), st.ExactEvents, st.Leaps, st.LeapFirings, st.Steps)
			st.WriteSubsystems(stderr, prog.last-sys.StartMs, elapsed.Seconds())
		}
		fmt.Fprintf(stderr, "wrote %s\n", strings.Join(tw.Files(), ", "))
	}
	if isDefault && !interrupted && output.Format(*format) == output.Trajectory {
		if err := defaultSummary(stdout, base, sys); err != nil {
			return report(stderr, "run", nil, err)
		}
	}
	if interrupted {
		return 130
	}
	return exitOK
}

// progress shows a bar with ETA on a terminal once a run has taken more
// than two seconds.
type progress struct {
	w          io.Writer
	enabled    bool
	start      time.Time
	t0, t1     float64
	last       float64
	bar        *progressbar.ProgressBar
	resolution float64
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, quiet bool, t0, t1 float64) *progress {
	return &progress{w: w, enabled: !quiet && isTerminal(w), start: time.Now(), t0: t0, t1: t1, last: t0, resolution: 1000}
}

func (p *progress) update(t float64) {
	p.last = t
	if !p.enabled {
		return
	}
	if p.bar == nil {
		if time.Since(p.start) < 2*time.Second {
			return
		}
		p.bar = progressbar.NewOptions64(int64(p.resolution),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("simulating"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	p.bar.Set64(int64(p.resolution * (t - p.t0) / (p.t1 - p.t0)))
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
