package plasticity

import (
	"context"
	"fmt"
	"path/filepath"

	"gonum.org/v1/gonum/stat"

	"github.com/spinerd/spinerd/ampa"
	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/ensemble"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/output"
	"github.com/spinerd/spinerd/protocol"
	"github.com/spinerd/spinerd/traj"
)

// ProtocolRun is a protocol run on a model: deterministically (method
// "ode") or as a stochastic ensemble, reported as g/g0 at chosen times,
// g0 being the AMPA conductance (random tetramers) just before the first
// pulse.
type ProtocolRun struct {
	Base     *model.Model
	Protocol *protocol.Protocol
	Edits    protocol.Edits
	Start    Start
	// Method is "ode" or a stochastic method's name (default "ode").
	Method string
	// OutputMs is the output interval (default 1000 ms).
	OutputMs float64
	// TimesMs are the report times (default StandardTimes(Protocol)).
	TimesMs []float64

	// Seeds, Jobs, Dir and Progress configure the ensemble of a
	// stochastic method (package ensemble): Dir receives one trajectory
	// per seed and is resumable.
	Seeds    []uint64
	Jobs     int
	Dir      string
	Progress func(ensemble.Progress)

	// OnStart, if set, is called once the model is prepared, before the
	// (possibly long) run.
	OnStart func(sys *model.System, note string)

	// Trajectory, for the ode method, is a file to write the run to
	// ("" for none).
	Trajectory string
}

// ProtocolResult is what a protocol run gives.
type ProtocolResult struct {
	System *model.System
	// Note says where the run started (for reports).
	Note    string
	OnsetMs float64
	TimesMs []float64
	// G0PS holds g0 of each run (one for ode, one per seed), pS.
	G0PS []float64
	// Ratios[k][i] is g/g0 of run k at TimesMs[i].
	Ratios [][]float64
}

// Stochastic reports whether the result is an ensemble of seeds.
func (r *ProtocolResult) Stochastic() bool { return r.System.Method.Info().Stochastic }

// Ratio returns the mean and standard deviation (n − 1; 0 for one run) of
// g/g0 over the runs at TimesMs[i].
func (r *ProtocolResult) Ratio(i int) (mean, sd float64) {
	x := make([]float64, len(r.Ratios))
	for k := range r.Ratios {
		x[k] = r.Ratios[k][i]
	}
	if len(x) < 2 {
		return x[0], 0
	}
	return stat.MeanStdDev(x, nil)
}

// G0 returns the mean and standard deviation of g0 over the runs (pS).
func (r *ProtocolResult) G0() (mean, sd float64) {
	if len(r.G0PS) < 2 {
		return r.G0PS[0], 0
	}
	return stat.MeanStdDev(r.G0PS, nil)
}

// RunODE runs sys deterministically (every output also goes to sink when
// it is not nil) and returns the conductance of its main output.
func RunODE(ctx context.Context, sys *model.System, opt deterministic.Options, sink model.ValueSink) (*Series, error) {
	rec := NewRecorder(sys)
	var s model.ValueSink = rec
	if sink != nil {
		s = teeValues{rec, sink}
	}
	if _, err := deterministic.Run(ctx, sys, opt, s); err != nil {
		return nil, err
	}
	return FromSpecies(rec.IDs, rec.Times, rec.Frames, ampa.RandomTetramers)
}

// Run runs the protocol and reports g/g0.
func (pr *ProtocolRun) Run(ctx context.Context) (*ProtocolResult, error) {
	method := pr.Method
	if method == "" {
		method = "ode"
	}
	outMs := pr.OutputMs
	if outMs == 0 {
		outMs = 1000
	}
	sys, note, err := Prepare(pr.Base, pr.Protocol, pr.Edits, pr.Start, method, outMs)
	if err != nil {
		return nil, err
	}
	if pr.OnStart != nil {
		pr.OnStart(sys, note)
	}
	res := &ProtocolResult{System: sys, Note: note, OnsetMs: pr.Protocol.OnsetMs, TimesMs: pr.TimesMs}
	if res.TimesMs == nil {
		res.TimesMs = StandardTimes(pr.Protocol)
	}
	add := func(s *Series) {
		g0 := s.At(res.OnsetMs)
		row := make([]float64, len(res.TimesMs))
		for i, t := range res.TimesMs {
			row[i] = s.At(t) / g0
		}
		res.G0PS = append(res.G0PS, g0)
		res.Ratios = append(res.Ratios, row)
	}
	if !sys.Method.Info().Stochastic {
		var w *traj.Writer
		var sink model.ValueSink
		if pr.Trajectory != "" {
			if w, err = traj.Create(pr.Trajectory, output.Header(sys, 0, traj.Floats)); err != nil {
				return nil, err
			}
			sink = w
		}
		s, err := RunODE(ctx, sys, deterministic.Options{}, sink)
		if w != nil {
			if err != nil {
				w.Abort()
			} else if err = w.Close(); err != nil {
				return nil, err
			}
		}
		if err != nil {
			return nil, err
		}
		add(s)
		return res, nil
	}
	if len(pr.Seeds) == 0 {
		return nil, fmt.Errorf("a stochastic protocol run needs seeds")
	}
	if _, err := ensemble.Run(ctx, sys, ensemble.Options{Seeds: pr.Seeds, Jobs: pr.Jobs, Dir: pr.Dir, Progress: pr.Progress}); err != nil {
		return nil, err
	}
	for _, seed := range pr.Seeds {
		s, err := FromFile(filepath.Join(pr.Dir, ensemble.SeedFile(seed)), ampa.RandomTetramers)
		if err != nil {
			return nil, err
		}
		add(s)
	}
	return res, nil
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
