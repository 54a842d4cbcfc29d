package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/klauspost/compress/zstd"
	"gonum.org/v1/gonum/stat"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/internal/atomicfile"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/plasticity"
	"github.com/spinerd/spinerd/plot"
	"github.com/spinerd/spinerd/protocol"
	"github.com/spinerd/spinerd/traj"
)

// baseModel returns the model of --model, or the embedded spine model.
func baseModel(path string) (*model.Model, error) {
	if path == "" {
		m, _, err := models.SpineModel()
		return m, err
	}
	m, _, err := neurord.Load(path)
	return m, err
}

func runConductance(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conductance", stdout)
	baseline := fs.Float64("baseline", math.NaN(), "time (ms) of the reference conductance: the last sample at or before it (default: the first sample)")
	assembly := fs.String("assembly", "tetramer", "tetramer (random tetramers) or dimer (dimers of like dimers)")
	plotOut := fs.String("plot", "", "write a figure of g and g/g0 against time (.png or .svg) instead of the table")
	out := fs.StringP("output", "o", "", "write the table to this file (default: standard output)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if len(fs.Args()) != 1 {
		fmt.Fprintf(stderr, "spinerd conductance: give one trajectory, NeuroRD .out or CSV export\n")
		return exitBadInput
	}
	path := fs.Args()[0]
	am, err := ampa.ParseModel(*assembly)
	if err != nil {
		fmt.Fprintf(stderr, "spinerd conductance: --assembly: %v\n", err)
		return exitBadInput
	}
	s, err := readConductance(path, am)
	if err != nil {
		return report(stderr, "conductance", nil, fmt.Errorf("%s: %w", path, err))
	}
	if s.Clamped > 0 {
		fmt.Fprintf(stderr, "spinerd conductance: %d samples had negative receptor counts (set to 0)\n", s.Clamped)
	}
	rel, t0 := s.Relative(*baseline)
	if *plotOut != "" {
		format, err := plot.FormatOf(*plotOut)
		if err != nil {
			return report(stderr, "conductance", nil, err)
		}
		err = atomicfile.Write(*plotOut, func(w io.Writer) error {
			return plot.Lines(w, format, s.TimesMs, [][]float64{s.GPS, rel}, []string{"g (pS)", fmt.Sprintf("g / g(%g ms)", t0)}, filepath.Base(path))
		})
		if err != nil {
			return report(stderr, "conductance", nil, err)
		}
		fmt.Fprintf(stderr, "wrote %s\n", *plotOut)
		return exitOK
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, "time_ms\tg_pS\tg_rel\n")
		for i, t := range s.TimesMs {
			fmt.Fprintf(bw, "%s\t%s\t%s\n", strconv.FormatFloat(t, 'g', -1, 64), strconv.FormatFloat(s.GPS[i], 'g', 10, 64), strconv.FormatFloat(rel[i], 'g', 10, 64))
		}
		return bw.Flush()
	}
	if *out == "" {
		err = write(stdout)
	} else {
		err = atomicfile.Write(*out, write)
	}
	if err != nil {
		return report(stderr, "conductance", nil, err)
	}
	return exitOK
}

func readConductance(path string, am ampa.Model) (*plasticity.Series, error) {
	if traj.IsTrajectory(path) {
		r, err := traj.Open(path)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return plasticity.FromTrajectory(r, am)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapErr(err)
	}
	defer f.Close()
	var rd io.Reader = f
	if strings.HasSuffix(path, ".zst") {
		zr, err := zstdReader(f)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		rd = zr
	}
	br := bufio.NewReader(rd)
	head, _ := br.Peek(8)
	if string(head) == "cctdif2d" {
		return plasticity.FromNeuroRD(br, am)
	}
	return plasticity.FromTable(br, am)
}

func runEvaluate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("evaluate", stdout)
	dataset := fs.String("dataset", "", "data set caption, e.g. VC-1 (required)")
	params := fs.String("params", "", "JSON file: an object of parameter name → value (required)")
	space := fs.String("param-space", "", "fewer or manyb (default: from the parameter names)")
	variant := fs.String("variant", "", "protocol file variant (default: protocols_many_78withoutCK for fewer, protocols_many for manyb)")
	method := fs.String("method", "ode", "ode (the only engine of the fits)")
	jobs := fs.Int("jobs", 0, "experiments run at once (default: one per core)")
	maxSteps := fs.Int("max-steps", 0, "solver-step budget per experiment (0: none); an exhausted budget gives the missing-data value")
	neuronTol := fs.Bool("neuron-tolerances", false, "use the original NEURON fits' error control (atol 1e-6 mM with per-species scales, no rtol) instead of rtol 1e-6, atol 1e-6 nM")
	verbose := fs.BoolP("verbose", "v", false, "also print each experiment's ratios and Ca peak to standard error")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if *dataset == "" || *params == "" || len(fs.Args()) > 0 {
		fmt.Fprintf(stderr, "spinerd evaluate: give --dataset NAME and --params FILE.json\n")
		return exitBadInput
	}
	if *method != "ode" {
		fmt.Fprintf(stderr, "spinerd evaluate: --method %q: the objectives are defined on the deterministic model (ode)\n", *method)
		return exitBadInput
	}
	d, err := plasticity.Load()
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	ds, err := d.Dataset(*dataset)
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	data, err := os.ReadFile(*params)
	if err != nil {
		return report(stderr, "evaluate", nil, fmt.Errorf("--params: %w", unwrapErr(err)))
	}
	var p plasticity.Params
	if err := json.Unmarshal(data, &p); err != nil {
		return report(stderr, "evaluate", nil, fmt.Errorf("%s: not a JSON object of parameter name → number: %w", *params, err))
	}
	if *space == "" {
		*space = d.SpaceOf(p)
	}
	sp, ok := d.Spaces[*space]
	if !ok {
		return report(stderr, "evaluate", nil, fmt.Errorf("--param-space %q: use fewer or manyb", *space))
	}
	if *variant == "" {
		*variant = plasticity.DefaultVariant(*space)
	}
	v, err := ds.Variant(*variant)
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	m, _, err := models.SpineModel()
	if err != nil {
		return report(stderr, "evaluate", nil, err)
	}
	if *jobs <= 0 {
		*jobs = numCPU()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := d.Evaluate(ctx, m, ds, v, sp, p, plasticity.Options{Jobs: *jobs, MaxSteps: *maxSteps, NEURONTolerances: *neuronTol})
	if err != nil {
		return report(stderr, "evaluate", nil, fmt.Errorf("%s: %w", *params, err))
	}
	if *verbose {
		for k, e := range res.Experiments {
			if e.Err != nil {
				fmt.Fprintf(stderr, "experiment %d (%s): failed: %v\n", e.ID, v.Labels[k], e.Err)
				continue
			}
			fmt.Fprintf(stderr, "experiment %d (%s): g0 %.4g pS, g/g0 %v at %v ms, Ca peak %.4g mM, %d steps\n", e.ID, v.Labels[k], e.GBaselinePS, fmtFloats(e.Ratios), ds.TargetTimesMs, e.CaPeakMM, e.Steps)
		}
	}
	out, _ := json.Marshal(map[string]any{"objectives": res.Objectives})
	fmt.Fprintln(stdout, string(out))
	return exitOK
}

func fmtFloats(x []float64) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = strconv.FormatFloat(v, 'f', 4, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func runPlasticity(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plasticity", stdout)
	name := fs.String("protocol", "4xHFS", "protocol: "+strings.Join(protocol.Names(), ", "))
	method := fs.String("method", "ode", "ode, adaptive, multiscale or exact")
	seedsFlag := fs.String("seeds", "1-16", "seeds of the stochastic ensemble (a range or list)")
	block := fs.String("block", "", "initial-amount scalings SPECIES=FACTOR,... (e.g. CK=0)")
	alter := fs.String("alter", "", "rate scalings REACTION=FACTOR,... (REACTION: ksN, #position[:reverse] or a unique id[:reverse])")
	flux := fs.String("flux", "", "input amplitudes, particles/ms: Ca=1900,L=10,Glu=20,ACh=20 (defaults as shown)")
	modelPath := fs.String("model", "", "a NeuroRD model file instead of the embedded spine model")
	start := fs.String("start", "steady", "steady (from the computed resting state; stimulus at 40 s of a 500 s run) or prerun (from the initial concentrations; stimulus at 4,040 s of 5,000 s, as the NEURON runs)")
	isi := fs.Float64("isi", 0, "pairing protocol: the ISI of the Ca influx series (ms)")
	nrdPulses := fs.Bool("neurord-pulses", false, "encode trains as the authors' NeuroRD stimulus files, which NeuroRD reads as N+1 pulses per train (NeuroRD-identical input)")
	jobs := fs.Int("jobs", 0, "stochastic seeds run at once (default: one per core)")
	out := fs.StringP("output", "o", "", "directory of the stochastic runs (default: PROTOCOL-plasticity); for ode, a trajectory file to write")
	quiet := fs.BoolP("quiet", "q", false, "print only the table")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if len(fs.Args()) > 0 {
		fmt.Fprintf(stderr, "spinerd plasticity: unexpected arguments %v (use --model FILE for a model file)\n", fs.Args())
		return exitBadInput
	}
	timing, st := protocol.NeuroRDTiming(), plasticity.FromSteadyState
	switch *start {
	case "steady":
	case "prerun":
		timing, st = protocol.NEURONTiming(), plasticity.FromInitial
	default:
		fmt.Fprintf(stderr, "spinerd plasticity: --start %q: use steady or prerun\n", *start)
		return exitBadInput
	}
	p, err := protocol.ByName(*name, timing, *isi)
	if err != nil {
		fmt.Fprintf(stderr, "spinerd plasticity: --protocol: %v\n", err)
		return exitBadInput
	}
	p.NeuroRDPulses = *nrdPulses
	if p.Fluxes, err = protocol.ParseFluxes(*flux, p.Fluxes); err != nil {
		fmt.Fprintf(stderr, "spinerd plasticity: --flux: %v\n", err)
		return exitBadInput
	}
	base, err := baseModel(*modelPath)
	if err != nil {
		return report(stderr, "plasticity", nil, err)
	}
	var ed protocol.Edits
	if ed.Blocked, err = protocol.ParseBlock(*block); err != nil {
		fmt.Fprintf(stderr, "spinerd plasticity: %v\n", err)
		return exitBadInput
	}
	if ed.Altered, err = protocol.ParseAlter(*alter, base); err != nil {
		fmt.Fprintf(stderr, "spinerd plasticity: %v\n", err)
		return exitBadInput
	}
	mt, err := model.ParseMethod(*method)
	if err != nil || mt == model.MethodFixed {
		fmt.Fprintf(stderr, "spinerd plasticity: --method %q: use ode, adaptive, multiscale or exact\n", *method)
		return exitBadInput
	}
	sys, note, err := plasticity.Prepare(base, p, ed, st, *method, 1000)
	if err != nil {
		return report(stderr, "plasticity", nil, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	times := plasticity.StandardTimes(p)
	fmt.Fprintf(stdout, "protocol %s (%s, %d pulses; Ca %g, L %g, Glu %g, ACh %g particles/ms), method %s, %s\n",
		p.Name, p.Gating, len(p.Train.Schedule(p.OnsetMs)), p.Fluxes.Ca, p.Fluxes.L, p.Fluxes.Glu, p.Fluxes.ACh, sys.Method, note)
	if mt == model.MethodODE {
		rec := plasticity.NewRecorder(sys)
		var sink model.ValueSink = rec
		if *out != "" {
			w, err := traj.Create(*out, outputHeader(sys))
			if err != nil {
				return report(stderr, "plasticity", nil, err)
			}
			defer w.Close()
			sink = teeValues{rec, w}
		}
		if _, err := deterministic.Run(ctx, sys, deterministic.Options{}, sink); err != nil {
			return report(stderr, "plasticity", nil, err)
		}
		s, err := plasticity.FromSpecies(rec.IDs, rec.Times, rec.Frames, ampa.RandomTetramers)
		if err != nil {
			return report(stderr, "plasticity", nil, err)
		}
		g0 := s.At(p.OnsetMs)
		fmt.Fprintf(stdout, "g0 = %.4g pS (at %g ms, just before the first pulse)\n%12s %14s %10s\n", g0, p.OnsetMs, "t (ms)", "min after on", "g/g0")
		for _, t := range times {
			fmt.Fprintf(stdout, "%12.0f %14.2f %10.4f\n", t, (t-p.OnsetMs)/60000, s.At(t)/g0)
		}
		return exitOK
	}
	seeds, err := ensemble.ParseSeeds(*seedsFlag)
	if err != nil {
		fmt.Fprintf(stderr, "spinerd plasticity: --seeds: %v\n", err)
		return exitBadInput
	}
	dir := *out
	if dir == "" {
		dir = p.Name + "-plasticity"
	}
	pr := newEnsembleProgress(stderr, *quiet)
	_, err = ensemble.Run(ctx, sys, ensemble.Options{Seeds: seeds, Jobs: *jobs, Dir: dir, Progress: pr.update})
	pr.finish()
	if err != nil {
		return report(stderr, "plasticity", nil, err)
	}
	ratios := make([][]float64, len(times))
	g0s := make([]float64, 0, len(seeds))
	for _, seed := range seeds {
		rd, err := traj.Open(filepath.Join(dir, ensemble.SeedFile(seed)))
		if err != nil {
			return report(stderr, "plasticity", nil, err)
		}
		s, err := plasticity.FromTrajectory(rd, ampa.RandomTetramers)
		rd.Close()
		if err != nil {
			return report(stderr, "plasticity", nil, err)
		}
		g0 := s.At(p.OnsetMs)
		g0s = append(g0s, g0)
		for i, t := range times {
			ratios[i] = append(ratios[i], s.At(t)/g0)
		}
	}
	m0, sd0 := stat.MeanStdDev(g0s, nil)
	fmt.Fprintf(stdout, "%d seeds (runs in %s); g0 = %.4g ± %.2g pS (mean ± SD, just before the first pulse)\n%12s %14s %10s %8s\n", len(seeds), dir, m0, sd0, "t (ms)", "min after on", "g/g0", "SD")
	for i, t := range times {
		m, sd := stat.MeanStdDev(ratios[i], nil)
		fmt.Fprintf(stdout, "%12.0f %14.2f %10.4f %8.4f\n", t, (t-p.OnsetMs)/60000, m, sd)
	}
	return exitOK
}

type teeValues []model.ValueSink

func (t teeValues) Values(set int, tm float64, v []float64) error {
	for _, s := range t {
		if err := s.Values(set, tm, v); err != nil {
			return err
		}
	}
	return nil
}

func numCPU() int { return runtime.NumCPU() }

func zstdReader(r io.Reader) (io.ReadCloser, error) {
	d, err := zstd.NewReader(r)
	if err != nil {
		return nil, err
	}
	return d.IOReadCloser(), nil
}

func outputHeader(sys *model.System) *traj.Header { return output.Header(sys, 0, traj.Floats) }

// defaultSystem is what `spinerd run` with no model runs: the embedded
// spine model, one HFS train from 2 s (exactly 100 pulses), 12 s, from the
// model's initial concentrations, adaptive method at ε = 0.01 unless told
// otherwise.
func defaultSystem(method string, runtimeMs, tol float64) (*model.System, error) {
	m, _, err := models.SpineModel()
	if err != nil {
		return nil, err
	}
	p, err := protocol.ByName("HFS", protocol.Timing{OnsetMs: 2000, RuntimeMs: 12_000}, 0)
	if err != nil {
		return nil, err
	}
	if runtimeMs > 0 {
		p.RuntimeMs = runtimeMs
	}
	if method == "" {
		method = "adaptive"
	}
	sys, _, err := plasticity.Prepare(m, p, protocol.Edits{}, plasticity.FromInitial, method, 0)
	if err != nil {
		return nil, err
	}
	if tol > 0 {
		sys.Tolerance = tol
	}
	return sys, nil
}

// defaultSummary prints the default run's key numbers from its
// trajectory: peaks of free Ca, active CaMKII (CKp + CKpCaMCa4) and PKAc,
// and the AMPA conductance before the train and at the end.
func defaultSummary(w io.Writer, path string, sys *model.System) error {
	rec, err := plasticity.RecorderFromTrajectory(path)
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
	g0, g1 := s.At(2000), s.GPS[len(s.GPS)-1]
	fmt.Fprintf(w, "AMPA conductance: %.2f pS before the train (2000 ms), %.2f pS at %g ms (g/g0 = %.3f)\n", g0, g1, s.TimesMs[len(s.TimesMs)-1], g1/g0)
	fmt.Fprintf(w, "trajectory: %s (spinerd conductance %s; spinerd plot %s --species Ca,CKp,PKAc)\n", path, path, path)
	return nil
}
