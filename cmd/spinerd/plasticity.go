package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/models"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/plasticity"
	"github.com/spinerd/spinerd/protocol"
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

func runPlasticity(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plasticity", stdout)
	name := fs.String("protocol", "4xHFS", "protocol: "+strings.Join(protocol.Names(), ", "))
	method := fs.String("method", "ode", model.MethodNames(func(mi model.MethodInfo) bool { return !mi.NeedsFixedStep }))
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
		return badFlag(stderr, "plasticity", "protocol", err)
	}
	p.NeuroRDPulses = *nrdPulses
	if p.Fluxes, err = protocol.ParseFluxes(*flux, p.Fluxes); err != nil {
		return badFlag(stderr, "plasticity", "flux", err)
	}
	base, err := baseModel(*modelPath)
	if err != nil {
		return report(stderr, "plasticity", nil, err)
	}
	var ed protocol.Edits
	if ed.Blocked, err = protocol.ParseBlock(*block); err != nil {
		return badFlag(stderr, "plasticity", "block", err)
	}
	if ed.Altered, err = protocol.ParseAlter(*alter, base); err != nil {
		return badFlag(stderr, "plasticity", "alter", err)
	}
	mt, err := model.ParseMethod(*method)
	if err != nil || mt.Info().NeedsFixedStep {
		return badFlag(stderr, "plasticity", "method", fmt.Errorf("%q: use %s", *method, model.MethodNames(func(mi model.MethodInfo) bool { return !mi.NeedsFixedStep })))
	}
	pr := plasticity.ProtocolRun{Base: base, Protocol: p, Edits: ed, Start: st, Method: *method, Jobs: *jobs}
	if mt.Info().Stochastic {
		if pr.Seeds, err = ensemble.ParseSeeds(*seedsFlag); err != nil {
			return badFlag(stderr, "plasticity", "seeds", err)
		}
		pr.Dir = *out
		if pr.Dir == "" {
			pr.Dir = p.Name + "-plasticity"
		}
	} else {
		pr.Trajectory = *out
		if fs.Changed("seeds") && !*quiet {
			fmt.Fprintf(stderr, "note: the %s method is deterministic: --seeds %s changes nothing (an ensemble needs --method %s)\n", *method, *seedsFlag, model.MethodNames(model.Stochastic))
		}
	}
	ctx, stop := interruptible()
	defer stop()
	bar := newEnsembleBar(stderr, *quiet)
	pr.Progress = bar.update
	pr.OnStart = func(sys *model.System, note string) {
		fmt.Fprintf(stdout, "protocol %s (%s, %d pulses; Ca %g, L %g, Glu %g, ACh %g particles/ms), method %s, %s\n",
			p.Name, p.Gating, len(p.Train.Schedule(p.OnsetMs)), p.Fluxes.Ca, p.Fluxes.L, p.Fluxes.Glu, p.Fluxes.ACh, sys.Method, note)
	}
	res, err := pr.Run(ctx)
	bar.finish()
	var um *plasticity.UnmatchedError
	if errors.As(err, &um) {
		return badFlag(stderr, "plasticity", "block", err)
	}
	if err != nil {
		return report(stderr, "plasticity", nil, err)
	}
	if !res.Stochastic() {
		g0, _ := res.G0()
		fmt.Fprintf(stdout, "g0 = %.4g pS (at %g ms, just before the first pulse)\n%12s %14s %10s\n", g0, p.OnsetMs, "t (ms)", "min after on", "g/g0")
		for i, t := range res.TimesMs {
			r, _ := res.Ratio(i)
			fmt.Fprintf(stdout, "%12.0f %14.2f %10.4f\n", t, (t-p.OnsetMs)/60000, r)
		}
		return exitOK
	}
	m0, sd0 := res.G0()
	fmt.Fprintf(stdout, "%d seeds (runs in %s); g0 = %.4g ± %.2g pS (mean ± SD, just before the first pulse)\n%12s %14s %10s %8s\n", len(pr.Seeds), pr.Dir, m0, sd0, "t (ms)", "min after on", "g/g0", "SD")
	for i, t := range res.TimesMs {
		m, sd := res.Ratio(i)
		fmt.Fprintf(stdout, "%12.0f %14.2f %10.4f %8.4f\n", t, (t-p.OnsetMs)/60000, m, sd)
	}
	return exitOK
}
