package plasticity

import (
	"fmt"
	"math"
	"slices"

	"github.com/spinerd/spinerd/deterministic"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/protocol"
	"github.com/spinerd/spinerd/runfile"
)

// Start says where a protocol run begins.
type Start string

const (
	// FromSteadyState starts from the resting state of the edited model
	// without stimulus (deterministic.SteadyState with Pip2 clamped
	// through its moiety), as the authors' NeuroRD runs approximated with
	// a 12,000 s pre-run.
	FromSteadyState Start = "steady"
	// FromInitial starts from the model's initial concentrations; with
	// the NEURON timing (onset at 4,040,000 ms) the first 4,040 s are the
	// pre-run of the authors' NEURON runs.
	FromInitial Start = "initial"
)

// UnmatchedError reports scalings of initial amounts (protocol.Edits'
// Blocked) that name no initial amount of the model.
type UnmatchedError struct{ Species []string }

func (e *UnmatchedError) Error() string {
	return fmt.Sprintf("no initial amount of %v in the model to scale", e.Species)
}

// Prepare applies a protocol and edits to a model, compiles it for method
// (exact, adaptive, multiscale, fixed or ode; "" keeps the model's) with outputs every
// outputMs (0 keeps the model's), and sets the initial state as start
// says. note describes the start for reports.
func Prepare(base *model.Model, p *protocol.Protocol, e protocol.Edits, start Start, method string, outputMs float64) (sys *model.System, note string, err error) {
	m, unmatched, err := protocol.Apply(base, p, e)
	if err != nil {
		return nil, "", err
	}
	if len(unmatched) > 0 {
		return nil, "", &UnmatchedError{Species: unmatched}
	}
	if outputMs > 0 {
		m.Settings.OutputIntervalMs, m.Settings.HasOutputInterval = outputMs, true
	}
	sys, _, err = model.Compile(m, model.Options{Method: method})
	if err != nil {
		return nil, "", err
	}
	switch start {
	case FromInitial, "":
		return sys, fmt.Sprintf("from the model's initial concentrations (stimulus at %g ms)", p.OnsetMs), nil
	case FromSteadyState:
		rest, _, err := protocol.Apply(base, nil, e)
		if err != nil {
			return nil, "", err
		}
		rest.Stimuli = nil
		rsys, _, err := model.Compile(rest, model.Options{Method: "ode"})
		if err != nil {
			return nil, "", err
		}
		res, err := deterministic.SteadyState(rsys, nil, deterministic.SteadyOptions{Clamp: []string{"Pip2"}})
		if err != nil {
			return nil, "", fmt.Errorf("resting state: %w", err)
		}
		copy(sys.Initial, res.State)
		return sys, fmt.Sprintf("from the computed resting state (Pip2 clamped through its moiety; residual %.2g nM/ms)", res.ResidualNMPerMs), nil
	}
	return nil, "", fmt.Errorf("unknown start %q (use steady or initial)", start)
}

// Recorder keeps the voxel-summed main output of a run.
type Recorder struct {
	IDs    []string
	Times  []float64
	Frames [][]float64
	ns     int
}

// NewRecorder returns a recorder of sys's main output.
func NewRecorder(sys *model.System) *Recorder {
	r := &Recorder{}
	for _, s := range sys.Main.Species {
		r.IDs = append(r.IDs, sys.Species[s].ID)
	}
	r.ns = len(r.IDs)
	return r
}

func (r *Recorder) add(t float64, get func(i int) float64, n int) {
	x := make([]float64, r.ns)
	for i := 0; i < n; i++ {
		x[i%r.ns] += get(i)
	}
	r.Times = append(r.Times, t)
	r.Frames = append(r.Frames, x)
}

// Values implements model.ValueSink.
func (r *Recorder) Values(set int, t float64, v []float64) error {
	if set == 0 {
		r.add(t, func(i int) float64 { return v[i] }, len(v))
	}
	return nil
}

// Counts implements model.Sink.
func (r *Recorder) Counts(set int, t float64, c []int64) error {
	if set == 0 {
		r.add(t, func(i int) float64 { return float64(c[i]) }, len(c))
	}
	return nil
}

// Peak returns the largest value of a species over the frames and when.
func (r *Recorder) Peak(id string) (value, atMs float64, ok bool) {
	for j, s := range r.IDs {
		if s == id {
			value = math.Inf(-1)
			for f, x := range r.Frames {
				if x[j] > value {
					value, atMs = x[j], r.Times[f]
				}
			}
			return value, atMs, true
		}
	}
	return 0, 0, false
}

// Sum returns the time course of a sum of species.
func (r *Recorder) Sum(ids ...string) []float64 {
	out := make([]float64, len(r.Times))
	for _, id := range ids {
		for j, s := range r.IDs {
			if s == id {
				for f, x := range r.Frames {
					out[f] += x[j]
				}
			}
		}
	}
	return out
}

// RecorderFromFile reads the main output of a run file (any file
// runfile.Open reads).
func RecorderFromFile(path string) (*Recorder, error) {
	rd, err := runfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	r := &Recorder{IDs: runfile.SetSpecies(rd.Header(), 0)}
	r.ns = len(r.IDs)
	err = runfile.Sums(rd, 0, math.Inf(-1), math.Inf(1), func(t float64, sums []float64) error {
		r.Times = append(r.Times, t)
		r.Frames = append(r.Frames, slices.Clone(sums))
		return nil
	})
	return r, err
}

// StandardTimes are the report times of a protocol: the end of the
// stimulus, then 1, 2, 5, 10, 15 and 20 min after the onset, and the end
// of the run, each only when inside the run.
func StandardTimes(p *protocol.Protocol) []float64 {
	last := p.OnsetMs
	for _, q := range p.Train.Schedule(p.OnsetMs) {
		last = math.Max(last, q.EndMs)
	}
	cands := []float64{last}
	for _, min := range []float64{1, 2, 5, 10, 15, 20} {
		cands = append(cands, p.OnsetMs+min*60_000)
	}
	cands = append(cands, p.RuntimeMs)
	var out []float64
	prev := math.Inf(-1)
	for _, t := range cands {
		if t <= p.RuntimeMs && t > prev {
			out = append(out, t)
			prev = t
		}
	}
	return out
}
