package gillespie

import (
	"context"
	"fmt"
	"math"

	"github.com/spinerd/spinerd/model"
)

// Options configures a stochastic run. The zero value is a serial run.
type Options struct {
	// Workers is the number of goroutines that advance blocks of voxels
	// of a multi-voxel model; 0 or 1 runs serially. Results do not depend
	// on it.
	Workers int
	// Domains is how the adaptive and multiscale methods cut the mesh
	// into domains, which Workers can run in parallel. 0 chooses (a mesh
	// with ≥ 128 voxels outside the spines is cut, about 64 of them a
	// domain: see partition); 1 runs one block; N ≥ 2 cuts the mesh into N domains
	// (at most MaxDomains). Another decomposition is another, equally
	// accurate, result for a seed; for a given Domains the result is the
	// same for any Workers (README, "Spatial models"). A mesh whose
	// boundary diffusion is too fast for windows runs as one block
	// whatever Domains asks (Stats.Domains then is 0).
	Domains int
	// Progress, if not nil, is called with the simulated time (ms) after
	// each output time, from the goroutine that called Run.
	Progress func(tMs float64)
	// Tally, if not nil, is called after each output time and stimulus
	// edge, from the goroutine that called Run, with the simulated time
	// (ms) and what the engine did so far: Stats' counters (ExactEvents,
	// Leaps, LeapFirings, Steps, Windows), not its timings or subsystems.
	Tally func(tMs float64, counts Stats)
	// Firings, if not nil, is filled with the firings of each channel by
	// region (see Firings): its counts are brought up to date before each
	// call of Tally and when Run returns.
	Firings *Firings
}

// Stats counts what an engine did.
type Stats struct {
	// ExactEvents are single firings (reactions, hops, injections).
	ExactEvents int64
	// Leaps are tau-leaps; LeapFirings the firings they carried.
	Leaps, LeapFirings int64
	// Steps are the steps of the fixed method.
	Steps int64
	// Domains is the number of domains the adaptive or multiscale method
	// cut the mesh into (0: it ran as one block), WindowMs the mean length
	// of their boundary exchange windows (ms). At most Domains workers run
	// at once.
	Domains  int
	WindowMs float64
	// Windows is the number of boundary exchange windows run.
	Windows int64
	// DomainBusySeconds is the wall time (s) each domain's engine spent
	// running, exchanging at its boundaries and bounding the next window;
	// CriticalSeconds sums, over the windows and their two phases, the
	// busiest domain's time: the wall time of the domains' work with a
	// core per domain, synchronisation not counted. Timings, not results:
	// they vary from run to run and with the machine's load.
	DomainBusySeconds []float64
	CriticalSeconds   float64
	// Absorbed is the expected number of firings of the channels the
	// multiscale method held in partial equilibrium (they fired none).
	Absorbed float64
	// Subsystems lists the fast subsystems the multiscale method put in
	// partial equilibrium, grouped by reaction or diffusing species.
	Subsystems []Subsystem
}

// Balance is how the domains' work shares out: its sum, its least and
// most per domain (s), and Bound, the sum over the critical path: the
// speed-up over one core that a core per domain cannot exceed.
type Balance struct{ Sum, Least, Most, Bound float64 }

// DomainBalance returns the balance of the domains' work (zero when the
// run had no domains or no measured work).
func (st Stats) DomainBalance() Balance {
	var b Balance
	for k, s := range st.DomainBusySeconds {
		b.Sum += s
		if k == 0 || s < b.Least {
			b.Least = s
		}
		b.Most = max(b.Most, s)
	}
	if st.CriticalSeconds > 0 {
		b.Bound = b.Sum / st.CriticalSeconds
	}
	return b
}

// Subsystem summarises the fast subsystems of one reaction (a reversible
// pair, over the voxels where it was fast) or of one diffusing species.
type Subsystem struct {
	Kind string // "reaction" or "diffusion"
	Name string // the reaction's id, or "diffusion of S"
	// Instances is the number of subsystems of this kind that were in
	// partial equilibrium at some time: one per voxel for a reaction, one
	// per voxel cluster for a diffusing species.
	Instances int
	// Activations counts how often they entered partial equilibrium.
	Activations int64
	// Voxels is the number of voxels the reaction or species occupies;
	// VoxelTimeMs sums, over the subsystems, the time each spent in
	// partial equilibrium times its voxels (ms). VoxelTimeMs/(Voxels ×
	// duration) is the fraction of the run, averaged over the voxels, that
	// the reaction or diffusion spent in partial equilibrium.
	Voxels      int
	VoxelTimeMs float64
	// Absorbed is the expected number of firings of their channels while
	// in partial equilibrium.
	Absorbed float64
}

// engine is one simulation method over a net.
type engine interface {
	// advance simulates until time t: every event at a time ≤ t happens.
	advance(ctx context.Context, t float64) error
	// setRate sets stimulus k's total rate (molecules/ms) from now on.
	setRate(k int, rate float64)
	stats() Stats
	// counts returns stats' counters alone (Options.Tally), cheaply
	// enough to call at every output time.
	counts() Stats
	counter
}

// newEngine builds a method's engine over net n from counts x (which the
// engine owns and updates) at sys.StartMs.
type newEngine func(n *net, x []int64, seed uint64, sys *model.System, opt Options) engine

// engines maps each stochastic method to its engine's constructor. A new
// method is a row here, a row in model.Methods, and its engine's file.
func engines() map[model.Method]newEngine {
	return map[model.Method]newEngine{
		model.MethodExact: func(n *net, x []int64, seed uint64, sys *model.System, _ Options) engine {
			return newExact(n, x, seed, sys.StartMs, 0, nil, nil)
		},
		model.MethodAdaptive: func(n *net, x []int64, seed uint64, sys *model.System, opt Options) engine {
			if dom, _ := partition(n, sys.Tolerance, opt.Domains); dom != nil {
				return newDomains(n, x, seed, sys, dom, opt.Workers, func(own []bool) domainEngine {
					return newAdaptive(n, x, seed, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
				})
			}
			return newAdaptive(n, x, seed, sys.StartMs, sys.Tolerance, sys.LeapMinJump, nil)
		},
		model.MethodMultiscale: func(n *net, x []int64, seed uint64, sys *model.System, opt Options) engine {
			if dom, _ := partition(n, sys.Tolerance, opt.Domains); dom != nil {
				return newDomains(n, x, seed, sys, dom, opt.Workers, func(own []bool) domainEngine {
					return newMultiscale(n, x, seed, sys.StartMs, sys.Tolerance, sys.LeapMinJump, own)
				})
			}
			return newMultiscale(n, x, seed, sys.StartMs, sys.Tolerance, sys.LeapMinJump, nil)
		},
		model.MethodFixed: func(n *net, x []int64, seed uint64, sys *model.System, opt Options) engine {
			return newFixed(n, x, seed, sys.StartMs, sys.FixedStepMs, opt.Workers)
		},
	}
}

// Parallel reports whether method m's engine runs blocks of voxels on
// Options.Workers goroutines: the fixed method always, the adaptive and
// multiscale methods unless domains (Options.Domains) is 1 (whether the
// mesh is cut is up to partition: see Stats.Domains); the exact method
// runs as one block whatever Workers is.
func Parallel(m model.Method, domains int) bool {
	return m == model.MethodFixed || ((m == model.MethodAdaptive || m == model.MethodMultiscale) && domains != 1)
}

// Run simulates sys stochastically from the initial counts drawn with seed,
// by sys.Method, writing every output set to sink at its times. A
// cancelled ctx stops the run after the last complete output; Run then
// returns ctx's error and what was written stays valid.
func Run(ctx context.Context, sys *model.System, opt Options, seed uint64, sink model.Sink) (Stats, error) {
	ctor, ok := engines()[sys.Method]
	if !ok {
		return Stats{}, fmt.Errorf("method %v is not a stochastic method", sys.Method)
	}
	if sys.Method.Info().NeedsFixedStep && !(sys.FixedStepMs > 0) {
		return Stats{}, fmt.Errorf("the %v method needs a positive step (fixedStepDt)", sys.Method)
	}
	x := sys.InitialCounts(seed)
	n := newNet(sys)
	eng := ctor(n, x, seed, sys, opt)
	if r, ok := eng.(interface{ release() }); ok {
		defer r.release() // lazy tables of domains (exact.release)
	}
	if f := opt.Firings; f != nil {
		f.classify(n)
		for _, c := range eng.firingCounts() {
			c.start(f)
		}
		defer func() { f.gather(eng.firingCounts()) }()
	}
	out := sys.NewSchedule()
	var buf []int64
	emit := func(set int, t float64) error {
		buf = model.Gather(sys, set, x, buf)
		return sink.Counts(set, t, buf)
	}
	edges := sys.NewEdges()
	t := sys.StartMs
	edges.Apply(t, eng.setRate)
	if err := out.Due(t, emit); err != nil {
		return eng.stats(), err
	}
	for t < sys.EndMs {
		next := math.Min(math.Min(sys.EndMs, out.Next()), edges.Next())
		if err := eng.advance(ctx, next); err != nil {
			return eng.stats(), err
		}
		t = next
		edges.Apply(t, eng.setRate)
		if err := out.Due(t, emit); err != nil {
			return eng.stats(), err
		}
		if opt.Progress != nil {
			opt.Progress(t)
		}
		if opt.Firings != nil {
			opt.Firings.gather(eng.firingCounts())
		}
		if opt.Tally != nil {
			opt.Tally(t, eng.counts())
		}
		if err := ctx.Err(); err != nil {
			return eng.stats(), err
		}
	}
	return eng.stats(), out.Final(t, emit)
}
