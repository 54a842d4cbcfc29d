package output

import (
	"fmt"
	"math"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/neurord"
	"github.com/spinerd/spinerd/nrdh5"
	"github.com/spinerd/spinerd/nrdh5/fromsys"
	"github.com/spinerd/spinerd/runfile"
	"github.com/spinerd/spinerd/traj"
)

// NeuroRD's HDF5 layout (package nrdh5) needs the model (reactions,
// stimulations, events), not only the header: a run passes its System in
// CreateOptions; an export recompiles the model text the run recorded.

// systemOf returns the compiled model of a run: opt.System, or the
// model text of the header recompiled with its method and end time.
func systemOf(h *traj.Header, opt CreateOptions) (*model.System, error) {
	if opt.System != nil {
		return opt.System, nil
	}
	if h.ModelText == "" {
		return nil, fmt.Errorf("%s records no model text: NeuroRD's HDF5 layout needs the model (export from a trajectory or an HDF5 file)", h.ModelSource)
	}
	m, _, err := neurord.LoadBytes([]byte(h.ModelText), h.ModelSource)
	if err != nil {
		return nil, fmt.Errorf("the model text of %s: %w", h.ModelSource, err)
	}
	o := model.Options{}
	if _, err := model.ParseMethod(h.Method); err == nil {
		o.Method = h.Method
	}
	if rt := h.EndMs - m.Settings.StartMs; rt > 0 {
		o.RuntimeMs = rt
	}
	sys, _, err := model.Compile(m, o)
	if err != nil {
		return nil, fmt.Errorf("the model text of %s: %w", h.ModelSource, err)
	}
	if h.Values == traj.Floats && sys.Method.Info().Stochastic {
		sys.Method = model.MethodODE
	}
	return sys, nil
}

// h5Sink writes one trial of a NeuroRD HDF5 file.
type h5Sink struct {
	w    *nrdh5.Writer
	t    *nrdh5.TrialWriter
	path string
}

func createH5(path string, h *traj.Header, opt CreateOptions) (Sink, error) {
	sys, err := systemOf(h, opt)
	if err != nil {
		return nil, err
	}
	d, err := fromsys.Describe(sys)
	if err != nil {
		return nil, err
	}
	w, err := nrdh5.Create(path, d)
	if err != nil {
		return nil, err
	}
	tw, err := w.BeginTrial(0, int64(h.Seed))
	if err != nil {
		w.Abort()
		return nil, err
	}
	return &h5Sink{w: w, t: tw, path: path}, nil
}

func (s *h5Sink) Counts(set int, t float64, c []int64) error   { return s.t.Counts(set, t, c) }
func (s *h5Sink) Values(set int, t float64, v []float64) error { return s.t.Values(set, t, v) }
func (s *h5Sink) Files() []string                              { return []string{s.path} }
func (s *h5Sink) Abort()                                       { s.w.Abort() }

func (s *h5Sink) Close() error {
	if err := s.t.End(); err != nil {
		s.w.Abort()
		return err
	}
	return s.w.Close()
}

// WriteTrials writes runs of one model (e.g. an ensemble's seeds, in order)
// into one NeuroRD HDF5 file as trial0, trial1, …, each with its seed.
func WriteTrials(path string, runs []runfile.Run) error {
	if len(runs) == 0 {
		return fmt.Errorf("%s: no runs to write", path)
	}
	h0 := runs[0].Header()
	sys, err := systemOf(h0, CreateOptions{})
	if err != nil {
		return err
	}
	d, err := fromsys.Describe(sys)
	if err != nil {
		return err
	}
	w, err := nrdh5.Create(path, d)
	if err != nil {
		return err
	}
	for i, r := range runs {
		h := r.Header()
		if h.ModelText != h0.ModelText || len(h.Sets) != len(h0.Sets) {
			w.Abort()
			return fmt.Errorf("%s and %s are runs of different models", h0.ModelSource, h.ModelSource)
		}
		tw, err := w.BeginTrial(i, int64(h.Seed))
		if err == nil {
			for set := range h.Sets {
				err = r.Frames(set, math.Inf(-1), math.Inf(1), func(t float64, c []int64, v []float64) error {
					if c != nil {
						return tw.Counts(set, t, c)
					}
					return tw.Values(set, t, v)
				})
				if err != nil {
					break
				}
			}
		}
		if err == nil {
			err = tw.End()
		}
		if err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}
