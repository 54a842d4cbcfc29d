package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/firings"
	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/plasticity"
	"github.com/spinerd/spinerd/protocol"
	"github.com/spinerd/spinerd/runfile"
)

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stdout)
	method := fs.String("method", "", methodHelp(nil, "the model's <calculation>"))
	seed := fs.Uint64("seed", 0, "random seed (default: the model's <simulationSeed>, else a random one that is printed)")
	tol := fs.Float64("tolerance", 0, "accuracy ε of the adaptive and multiscale methods (default: the model's <tolerance>, else 0.001)")
	runtimeMs := fs.Float64("runtime", 0, "simulated time in ms (default: the model's <runtime>)")
	step := fs.Float64("fixed-step", 0, "step of the fixed method in ms (default: the model's <fixedStepDt>)")
	rtol := fs.Float64("rtol", 1e-6, "relative tolerance of the ode method")
	atolNM := fs.Float64("atol", 1e-6, "absolute tolerance of the ode method, nM")
	maxSteps := fs.Int("max-steps", 0, "ode method: stop with an error after this many steps (0: no limit)")
	initial := fs.String("initial-state", "", "start from the state of a run file at a time: FILE[@TIME_MS] (default: its last frame); the\nstimuli, output times and end stay those of the uninterrupted run")
	workers := fs.Int("workers", 1, "goroutines for blocks of voxels (multi-voxel models; results do not depend on it)")
	oneBlock := fs.Bool("one-block", false, fmt.Sprintf("adaptive and multiscale methods: run a mesh with ≥ %d voxels outside the spines as one\nblock on one core, not in domains (another decomposition: other output for a seed, which is the same for any --workers);\nthe same as --domains 1", gillespie.AutoCutVoxels))
	domains := fs.Int("domains", 0, fmt.Sprintf("adaptive and multiscale methods: cut the mesh into N domains, at most one per dendrite voxel\n(0: chosen from the mesh, ≥ %d voxels outside the spines are cut; 1: one block). Each N is its own\ndecomposition: other output for a seed, the same for any --workers", gillespie.AutoCutVoxels))
	format := fs.String("format", "traj", output.FormatNames(output.RunFormat)+": "+formatSummaries(output.RunFormat))
	out := fs.StringP("output", "o", "", "output: the trajectory file (default MODEL.traj in the current directory), or\nfor --format neurord the base name O of O.out, O-mesh.txt.out and O-<set>-conc.txt.out")
	quiet := fs.BoolP("quiet", "q", false, "no progress bar and no summary")
	timing := fs.String("timing", "", "stochastic methods: write FILE.csv, the wall time and what the engine did up to each output\ntime and stimulus edge (cumulative: time_ms, wall_s, single_events, leaps, leap_firings, fixed_steps, windows)")
	firingsPath := fs.String("firings", "", "stochastic methods: write FILE.csv, how often each reaction, diffusing species and injection\nfired in each region (single events, firings in leaps or fixed steps, molecules crossing domain cuts):\nwhat the run spends its events on")
	firingsEvery := fs.Float64("firings-every", 0, "with --firings: a row per channel and interval of MS ms (each ends at the first output time or\nstimulus edge at or after a multiple of MS; 0: one interval, the whole run)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	for _, fl := range []struct{ name, path string }{{"timing", *timing}, {"firings", *firingsPath}} {
		if fl.path == "" {
			continue
		}
		if err := atomicfile.CheckTarget(fl.path); err != nil {
			return badFlag(stderr, "run", fl.name, err)
		}
	}
	switch {
	case !(*firingsEvery >= 0) || math.IsInf(*firingsEvery, 1):
		return badFlag(stderr, "run", "firings-every", fmt.Errorf("%g ms: want a finite interval ≥ 0 (0: the whole run)", *firingsEvery))
	case *firingsEvery > 0 && *firingsPath == "":
		return badFlag(stderr, "run", "firings-every", fmt.Errorf("needs --firings FILE.csv"))
	}
	f, err := output.FormatByName(*format)
	if err == nil && !output.RunFormat(f) {
		err = fmt.Errorf("%s is an export format (use %s, then spinerd export)", f.Name, output.FormatNames(output.RunFormat))
	}
	if err != nil {
		return badFlag(stderr, "run", "format", err)
	}
	var sys *model.System
	var warns diag.List
	var onsetMs float64
	path, isDefault := "", len(fs.Args()) == 0
	if isDefault {
		// The embedded spine model under one HFS train.
		path = "spine-hfs.xml"
		sys, onsetMs, err = defaultSystem(*method, *runtimeMs, *tol)
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
	if *initial != "" {
		st, err := runfile.LoadState(*initial, sys)
		if err == nil {
			err = sys.StartFrom(st)
		}
		if err != nil {
			return badFlag(stderr, "run", "initial-state", err)
		}
	}
	if !(*rtol > 0) || !(*atolNM > 0) {
		fmt.Fprintf(stderr, "spinerd run: --rtol and --atol must be positive (got %g, %g)\n", *rtol, *atolNM)
		return exitBadInput
	}
	stochastic := sys.Method.Info().Stochastic
	if *domains, err = domainsFlag(sys, *domains, fs.Changed("domains"), *oneBlock); err != nil {
		return badFlag(stderr, "run", "domains", err)
	}
	if *timing != "" && !stochastic {
		return badFlag(stderr, "run", "timing", fmt.Errorf("the %v method is deterministic: --timing counts the events of the stochastic methods", sys.Method))
	}
	if *firingsPath != "" && !stochastic {
		return badFlag(stderr, "run", "firings", fmt.Errorf("the %v method is deterministic: --firings counts the events of the stochastic methods", sys.Method))
	}
	if !*quiet {
		report(stderr, "run", warns, nil)
	}
	s := *seed
	chosen := false
	if s == 0 && !stochastic {
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
		base = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + f.Ext
	}
	if name, err := sameFile(base, *timing, *firingsPath); err != nil {
		return badFlag(stderr, "run", name, err)
	}
	h := output.Header(sys, s, output.ValueType(sys))
	if !stochastic {
		if h.Extra == nil {
			h.Extra = map[string]string{}
		}
		h.Extra["rtol"], h.Extra["atol_nM"] = fmt.Sprint(*rtol), fmt.Sprint(*atolNM)
	}
	tw, err := output.Create(f.Name, base, h, output.CreateOptions{System: sys})
	if err != nil {
		return report(stderr, "run", nil, err)
	}
	if stochastic && *workers > 1 && !gillespie.Parallel(sys.Method, *domains) && !*quiet {
		fmt.Fprintf(stderr, "note: the %v method runs on one core: --workers %d changes nothing (it parallelises the adaptive and multiscale methods on meshes with ≥ %d voxels outside the spines, without --one-block, and --method fixed)\n", sys.Method, *workers, gillespie.AutoCutVoxels)
	}
	ctx, stop := interruptible()
	defer stop()
	prog := newProgress(stderr, *quiet, "simulating", sys.EndMs-sys.StartMs, 0)
	last := sys.StartMs
	update := func(t float64) {
		last = t
		prog.set(t-sys.StartMs, fmt.Sprintf("%.6g / %.6g ms", t, sys.EndMs))
	}
	start := time.Now()
	var tally *timingTable
	if *timing != "" {
		if tally, err = newTimingTable(*timing, start); err != nil {
			tw.Abort()
			return report(stderr, "run", nil, err)
		}
		defer tally.abort() // unless committed
		tally.add(sys.StartMs, gillespie.Stats{})
	}
	var ft *firingsTable
	var fc *gillespie.Firings
	if *firingsPath != "" {
		fc = &gillespie.Firings{}
		if ft, err = newFiringsTable(*firingsPath, fc, sys.StartMs, *firingsEvery); err != nil {
			tw.Abort()
			return report(stderr, "run", nil, err)
		}
		defer ft.abort() // unless committed
	}
	var tallyFn func(float64, gillespie.Stats)
	if tally != nil || ft != nil {
		tallyFn = func(tMs float64, c gillespie.Stats) {
			if tally != nil {
				tally.add(tMs, c)
			}
			if ft != nil {
				ft.add(tMs)
			}
		}
	}
	var st gillespie.Stats
	var dst deterministic.Stats
	var runErr error
	if stochastic {
		prepareHeap(sys, 1)
		st, runErr = gillespie.Run(ctx, sys, gillespie.Options{Workers: *workers, Domains: *domains, Progress: update, Tally: tallyFn, Firings: fc}, s, tw)
	} else {
		dst, runErr = deterministic.Run(ctx, sys, deterministic.Options{Rtol: *rtol, AtolNM: *atolNM, MaxSteps: *maxSteps, Progress: update}, tw)
	}
	prog.finish()
	elapsed := time.Since(start)
	interrupted := runErr != nil && errors.Is(runErr, context.Canceled)
	if runErr != nil && !interrupted {
		tw.Abort()
		return report(stderr, "run", nil, fmt.Errorf("%s: %w", path, runErr))
	}
	if err := tw.Close(); err != nil {
		return report(stderr, "run", nil, err)
	}
	if tally != nil {
		if err := tally.commit(); err != nil {
			return report(stderr, "run", nil, err)
		}
	}
	if ft != nil {
		if err := ft.commit(); err != nil {
			return report(stderr, "run", nil, err)
		}
	}
	if interrupted {
		fmt.Fprintf(stderr, "spinerd run: interrupted at %.6g ms; the outputs hold every output time up to then\n", last)
	}
	if !*quiet {
		note := ""
		if chosen {
			note = " (chosen at random: pass --seed to reproduce)"
		}
		if !stochastic {
			fmt.Fprintf(stderr, "method %s, rtol %g, atol %g nM\n", sys.Method, *rtol, *atolNM)
			fmt.Fprintf(stderr, "simulated %.6g ms in %.3f s: %d steps (%d rejected), %d segments, %d Jacobians, %d factorisations\n",
				last-sys.StartMs, elapsed.Seconds(), dst.Steps, dst.Rejected, dst.Segments, dst.JacEvals, dst.Factorizations)
		} else {
			fmt.Fprintf(stderr, "method %s, seed %d%s\n", sys.Method, s, note)
			if pv := sys.Provenance(); pv.Tolerance > 0 {
				fmt.Fprintf(stderr, "tolerance %g\n", pv.Tolerance)
			}
			fmt.Fprintf(stderr, "simulated %.6g ms in %.3f s: %d single events, %d leaps carrying %d firings, %d fixed steps\n",
				last-sys.StartMs, elapsed.Seconds(), st.ExactEvents, st.Leaps, st.LeapFirings, st.Steps)
			if st.Domains > 0 {
				fmt.Fprintf(stderr, "domains: %d, boundary exchange every %.3g ms on average (at most %d workers run at once)\n", st.Domains, st.WindowMs, st.Domains)
				if b := st.DomainBalance(); b.Sum > 0 {
					fmt.Fprintf(stderr, "domain work: %.3g s in all, %.3g-%.3g s per domain; critical path %.3g s (each window's busiest domain): a core per domain runs it at most %.2f× as fast as one core\n",
						b.Sum, b.Least, b.Most, st.CriticalSeconds, b.Bound)
				}
			} else if *domains > 1 || *workers > 1 && gillespie.Parallel(sys.Method, *domains) && sys.Method != model.MethodFixed {
				fmt.Fprintf(stderr, "note: the mesh (%d voxels) ran as one block on one core: %s\n", sys.NumVoxels(), oneBlockNote(sys, *domains))
			}
			st.WriteSubsystems(stderr, last-sys.StartMs, elapsed.Seconds())
			if ft != nil {
				ft.writeBusiest(stderr, 3)
			}
		}
		files := tw.Files()
		if tally != nil {
			files = append(files, *timing)
		}
		if ft != nil {
			files = append(files, *firingsPath)
		}
		fmt.Fprintf(stderr, "wrote %s\n", strings.Join(files, ", "))
	}
	if isDefault && !interrupted && f.Name == "traj" {
		if err := defaultSummary(stdout, base, sys, onsetMs); err != nil {
			return report(stderr, "run", nil, err)
		}
	}
	if interrupted {
		return exitInterrupted
	}
	return exitOK
}

// formatSummaries lists the formats keep selects with their summaries.
func formatSummaries(keep func(output.Format) bool) string {
	var parts []string
	for _, f := range output.Formats() {
		if keep(f) {
			parts = append(parts, f.Name+", "+f.Summary)
		}
	}
	return strings.Join(parts, "; ")
}

// defaultSystem is what `spinerd run` with no model runs: the embedded
// spine model, one HFS train from 2 s (exactly 100 pulses), 12 s, from the
// model's initial concentrations, the model's GRID_ADAPTIVE (the
// multiscale method) at ε = 0.01 unless told otherwise. It also returns the train's onset (ms).
func defaultSystem(method string, runtimeMs, tol float64) (*model.System, float64, error) {
	m, _, err := models.SpineModel()
	if err != nil {
		return nil, 0, err
	}
	p, err := protocol.ByName("HFS", protocol.Timing{OnsetMs: 2000, RuntimeMs: 12_000}, 0)
	if err != nil {
		return nil, 0, err
	}
	if runtimeMs > 0 {
		p.RuntimeMs = runtimeMs
	}
	sys, _, err := plasticity.Prepare(m, p, protocol.Edits{}, plasticity.FromInitial, method, 0)
	if err != nil {
		return nil, 0, err
	}
	if tol > 0 {
		sys.Tolerance = tol
	}
	return sys, p.OnsetMs, nil
}

// defaultSummary prints the default run's key numbers from its
// trajectory: peaks of free Ca, active CaMKII (CKp + CKpCaMCa4) and PKAc,
// and the AMPA conductance before the train and at the end.
func defaultSummary(w io.Writer, path string, sys *model.System, onsetMs float64) error {
	rec, err := plasticity.RecorderFromFile(path)
	if err != nil {
		return err
	}
	om := sys.Omega(0)
	peak := func(label string, ids ...string) {
		x := rec.Sum(ids...)
		best, at := math.Inf(-1), 0.0
		for i, v := range x {
			if v > best {
				best, at = v, rec.Times[i]
			}
		}
		fmt.Fprintf(w, "peak %-34s %10.1f molecules  %10.1f nM  at %g ms\n", label, best, best/om, at)
	}
	peak("free Ca", "Ca")
	peak("active CaMKII (CKp + CKpCaMCa4)", "CKp", "CKpCaMCa4")
	peak("PKAc", "PKAc")
	s, err := plasticity.FromSpecies(rec.IDs, rec.Times, rec.Frames, ampa.RandomTetramers)
	if err != nil {
		return err
	}
	g0, g1 := s.At(onsetMs), s.GPS[len(s.GPS)-1]
	fmt.Fprintf(w, "AMPA conductance: %.2f pS before the train (%g ms), %.2f pS at %g ms (g/g0 = %.3f)\n", g0, onsetMs, g1, s.TimesMs[len(s.TimesMs)-1], g1/g0)
	fmt.Fprintf(w, "trajectory: %s (spinerd conductance %s; spinerd plot %s --species Ca,CKpCaMCa4,PKAc)\n", path, path, path)
	return nil
}

// timingTable is what --timing writes: the wall time and the engine's
// counters at each output time and stimulus edge, a CSV row each,
// streamed to a temporary file that commit puts in place (a long run's
// rows are not held in memory, and no partial file is left under the
// name).
type timingTable struct {
	start time.Time
	f     *atomicfile.File
	err   error // the first write error
}

func newTimingTable(path string, start time.Time) (*timingTable, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	tt := &timingTable{start: start, f: f}
	_, tt.err = fmt.Fprintln(f, "time_ms,wall_s,single_events,leaps,leap_firings,fixed_steps,windows")
	return tt, nil
}

func (tt *timingTable) add(tMs float64, c gillespie.Stats) {
	if tt.err == nil {
		_, tt.err = fmt.Fprintf(tt.f, "%.10g,%.6f,%d,%d,%d,%d,%d\n", tMs, time.Since(tt.start).Seconds(), c.ExactEvents, c.Leaps, c.LeapFirings, c.Steps, c.Windows)
	}
}

// commit puts the file in place (whole or not at all).
func (tt *timingTable) commit() error {
	if tt.err != nil {
		return tt.err
	}
	return tt.f.Commit()
}

// abort removes the temporary file unless commit put it in place.
func (tt *timingTable) abort() { tt.f.Abort() }

// firingsTable is what --firings writes (package firings): the counts
// at each output time and stimulus edge are kept, and an interval is
// written when it closes, to a temporary file that commit puts in place.
type firingsTable struct {
	f       *atomicfile.File
	w       *firings.Writer
	fc      *gillespie.Firings
	classes []firings.Class
	everyMs float64
	startMs float64 // the run's start, where the multiples of everyMs count from
	fromMs  float64 // start of the open interval
	lastMs  float64 // time of the last count
	nextMs  float64 // the interval closes at the first count at or after this
	// the counts at fromMs and at lastMs (a run stopped by Ctrl-C counts
	// on past its last output time, which is where the file ends)
	then, now [3][]int64 // single, leap, crossed
}

func newFiringsTable(path string, fc *gillespie.Firings, startMs, everyMs float64) (*firingsTable, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	ft := &firingsTable{f: f, w: firings.NewWriter(f), fc: fc, everyMs: everyMs, startMs: startMs, fromMs: startMs, lastMs: startMs, nextMs: math.Inf(1)}
	if everyMs > 0 {
		ft.nextMs = startMs + everyMs
	}
	return ft, nil
}

// add takes the counts at time tMs (just brought up to date by the run).
func (ft *firingsTable) add(tMs float64) {
	fc := ft.fc
	if ft.now[0] == nil {
		for k := range ft.then {
			ft.then[k] = make([]int64, len(fc.Classes))
		}
		for _, c := range fc.Classes {
			ft.classes = append(ft.classes, firings.Class(c))
		}
	}
	ft.now = [3][]int64{slices.Clone(fc.Single), slices.Clone(fc.Leap), slices.Clone(fc.Crossed)}
	ft.lastMs = tMs
	if tMs >= ft.nextMs*(1-1e-12) {
		ft.close()
		// The first multiple of everyMs after tMs, computed, not stepped
		// to: an interval far shorter than the run took as many steps
		// (1e-300 ms: forever, once a step no longer changed the sum).
		past := tMs * (1 + 1e-12)
		ft.nextMs = ft.startMs + (math.Floor((past-ft.startMs)/ft.everyMs)+1)*ft.everyMs
		if !(ft.nextMs > past) || math.IsInf(ft.nextMs, 1) { // rounding; a quotient past MaxFloat64
			ft.nextMs = math.Nextafter(past, math.Inf(1))
		}
	}
}

// close writes the rows of the open interval and opens the next.
func (ft *firingsTable) close() {
	if ft.lastMs <= ft.fromMs || ft.now[0] == nil {
		return
	}
	var d [3][]int64 // the interval's counts
	for j := range d {
		d[j] = make([]int64, len(ft.now[j]))
		for k := range d[j] {
			d[j][k] = ft.now[j][k] - ft.then[j][k]
		}
	}
	ft.w.Interval(ft.fromMs, ft.lastMs, ft.classes, d[0], d[1], d[2])
	ft.then = ft.now
	ft.fromMs = ft.lastMs
}

// commit writes the last interval (up to the last count: an interrupted
// run's last complete output time) and puts the file in place.
func (ft *firingsTable) commit() error {
	ft.close()
	if err := ft.w.Flush(); err != nil {
		return err
	}
	return ft.f.Commit()
}

// abort removes the temporary file unless commit put it in place.
func (ft *firingsTable) abort() { ft.f.Abort() }

// writeBusiest prints the n classes with the most single events up to the
// last count, with their shares of all of them.
func (ft *firingsTable) writeBusiest(w io.Writer, n int) {
	rows := make([]firings.Row, len(ft.now[0]))
	for k, s := range ft.now[0] {
		rows[k] = firings.Row{Class: ft.classes[k], Single: s}
	}
	top, total := firings.Busiest(rows, n)
	if total == 0 {
		return
	}
	var parts []string
	for _, c := range top {
		parts = append(parts, fmt.Sprintf("%s %.1f %%", c.Class.Label(), 100*float64(c.Single)/float64(total)))
	}
	fmt.Fprintf(w, "busiest channels (share of single events): %s\n", strings.Join(parts, ", "))
}

// sameFile refuses a --timing or --firings file that is another of the
// run's outputs (the trajectory or HDF5 file out, or each other): the
// last written would replace the other. It returns the flag to name.
func sameFile(out, timing, firings string) (string, error) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return filepath.Clean(p)
	}
	for _, c := range []struct{ flag, path, other, what string }{
		{"timing", timing, out, "the run's output"},
		{"firings", firings, out, "the run's output"},
		{"firings", firings, timing, "the --timing file"},
	} {
		if c.path != "" && c.other != "" && abs(c.path) == abs(c.other) {
			return c.flag, fmt.Errorf("%s is also %s: give it another name", c.path, c.what)
		}
	}
	return "", nil
}
