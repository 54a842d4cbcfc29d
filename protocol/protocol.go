// Package protocol describes the stimulation protocols of Mäki-Marttunen
// et al. 2020 (eLife 9:e55714) and turns them into model stimuli and
// edits: pulse trains with exactly N pulses per train, the three ways the
// four inputs (Ca, L, Glu, ACh) are gated (all-gated, simpleflux,
// pairing), the figure protocols (4xHFS, LFS and the Fig. 3/4
// manipulations), the steady-flux protocol, the eight fitting protocols,
// "Blocked" initial-amount scalings and "Altered" rate scalings. A
// protocol only edits a model; it never runs anything.
//
// Timing: pulse k (0-based) of train j is on during
// [onset + k·T + j·P, onset + k·T + j·P + d) with T = 1000/f ms; the flux
// is a rectangular step of its amplitude (particles/ms), nothing smoothed.
// Stimuli are written as NeuroRD <rates> tables, so a train of N pulses
// is exactly N pulses. NeuroRDEncoding gives instead the InjectionStim
// elements the authors' scripts generated (runmodel_parallel.py), which
// NeuroRD reads as N+1 pulses per train; use it when NeuroRD-identical
// input is wanted.
package protocol

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/spinerd/spinerd/model"
)

// inputNames returns the four injected species.
func inputNames() [4]string { return [4]string{"Ca", "L", "Glu", "ACh"} }

// Fluxes are injection amplitudes in particles (molecules) per ms.
type Fluxes struct{ Ca, L, Glu, ACh float64 }

func (f Fluxes) get(i int) float64 { return [4]float64{f.Ca, f.L, f.Glu, f.ACh}[i] }

// ParseFluxes reads "Ca=1900,L=10,Glu=20,ACh=20" over defaults.
func ParseFluxes(s string, def Fluxes) (Fluxes, error) {
	f := def
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, x, ok := factorItem(kv)
		if !ok {
			return f, fmt.Errorf("bad flux %q (want NAME=particles/ms ≥ 0, e.g. Ca=1900)", kv)
		}
		if seen[k] {
			return f, fmt.Errorf("input %s given twice in %q", k, s)
		}
		seen[k] = true
		switch k {
		case "Ca":
			f.Ca = x
		case "L":
			f.L = x
		case "Glu":
			f.Glu = x
		case "ACh":
			f.ACh = x
		default:
			return f, fmt.Errorf("unknown input %q in %q (the inputs are Ca, L, Glu, ACh)", k, kv)
		}
	}
	return f, nil
}

// Train is a pulse train protocol.
type Train struct {
	Pulses        int     // per train
	FrequencyHz   float64 // pulse frequency
	PulseMs       float64 // pulse duration d
	Trains        int
	TrainPeriodMs float64 // P: from the start of one train to the next
}

// PeriodMs is the pulse period T = 1000/f.
func (t Train) PeriodMs() float64 { return 1000 / t.FrequencyHz }

// Pulse is an interval [StartMs, EndMs) during which an input is on.
type Pulse struct{ StartMs, EndMs float64 }

// Schedule returns the pulses of the train from onset, in time order.
func (t Train) Schedule(onset float64) []Pulse {
	var out []Pulse
	T := t.PeriodMs()
	for j := 0; j < max(t.Trains, 1); j++ {
		for k := 0; k < t.Pulses; k++ {
			s := onset + float64(k)*T + float64(j)*t.TrainPeriodMs
			out = append(out, Pulse{s, s + t.PulseMs})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].StartMs < out[b].StartMs })
	return out
}

// Gating is how the four inputs are switched.
type Gating int

const (
	// AllGated: Ca, L, Glu and ACh are on together during every pulse.
	AllGated Gating = iota
	// SimpleFlux: Ca and Glu are pulsed; L and ACh are one step from
	// StepOnsetMs to the end of the run (the fitting scripts: 600 s before
	// the first Ca pulse).
	SimpleFlux
	// Pairing: Ca follows the measured influx of one pre/post pairing,
	// repeated; L and ACh are a step of StepDurationMs from StepOnsetMs;
	// Glu is pulsed for 3 ms at every pairing.
	Pairing
)

func (g Gating) String() string {
	return [...]string{"all-gated", "simpleflux", "pairing"}[g]
}

// Protocol is a stimulation of the spine model.
type Protocol struct {
	Name   string
	Train  Train
	Gating Gating
	Fluxes Fluxes
	// OnsetMs is the start of the first pulse (t_on); RuntimeMs the end
	// of the run.
	OnsetMs, RuntimeMs float64
	// StepOnsetMs and StepDurationMs place the L/ACh step of the
	// simpleflux (duration +Inf: to the end) and pairing gatings.
	StepOnsetMs, StepDurationMs float64
	// PairingISIMs selects the pairing series (its isi_ms, the post-
	// synaptic burst time of the source file) for Pairing.
	PairingISIMs float64
	// Site is the injection site (default "dendrite:submembrane").
	Site string
	// NeuroRDPulses makes Injections return NeuroRDEncoding: the
	// authors' generated stimulus files as NeuroRD reads them (N+1
	// pulses per train), for NeuroRD-identical input.
	NeuroRDPulses bool
}

// events returns the (time, rate) switch list of input i.
func (p *Protocol) events(i int) ([]model.RateRow, error) {
	amp := p.Fluxes.get(i)
	var rows []model.RateRow
	pulsed := func(ps []Pulse) {
		for _, q := range ps {
			rows = append(rows, model.RateRow{TimeMs: q.StartMs, RatePerMs: amp}, model.RateRow{TimeMs: q.EndMs, RatePerMs: 0})
		}
	}
	step := func() {
		rows = append(rows, model.RateRow{TimeMs: p.StepOnsetMs, RatePerMs: amp})
		if !math.IsInf(p.StepDurationMs, 1) && p.StepDurationMs > 0 {
			rows = append(rows, model.RateRow{TimeMs: p.StepOnsetMs + p.StepDurationMs, RatePerMs: 0})
		}
	}
	switch p.Gating {
	case AllGated:
		pulsed(p.Train.Schedule(p.OnsetMs))
	case SimpleFlux:
		if i == 0 || i == 2 {
			pulsed(p.Train.Schedule(p.OnsetMs))
		} else {
			step()
		}
	case Pairing:
		switch i {
		case 0:
			r, err := pairingRows(p.PairingISIMs, p.OnsetMs, p.Train.Pulses, p.Fluxes.Ca)
			if err != nil {
				return nil, err
			}
			rows = r
		case 2:
			pulsed(Train{Pulses: p.Train.Pulses, FrequencyHz: p.Train.FrequencyHz, PulseMs: 3, Trains: 1}.Schedule(p.OnsetMs))
		default:
			step()
		}
	}
	return rows, nil
}

// Injections returns the protocol's stimuli: one injection per input
// whose amplitude is not zero, as a <rates> table (exact pulse counts).
func (p *Protocol) Injections() ([]model.Injection, error) {
	if p.NeuroRDPulses {
		return p.NeuroRDEncoding()
	}
	site := p.Site
	if site == "" {
		site = "dendrite:submembrane"
	}
	var out []model.Injection
	for i, name := range inputNames() {
		if p.Fluxes.get(i) == 0 && !(p.Gating == Pairing && i == 0) {
			continue
		}
		rows, err := p.events(i)
		if err != nil {
			return nil, err
		}
		// Merge equal times: the later row wins (a pulse that starts when
		// the previous one ends).
		var merged []model.RateRow
		for _, r := range rows {
			if n := len(merged); n > 0 && merged[n-1].TimeMs == r.TimeMs {
				merged[n-1] = r
				continue
			}
			merged = append(merged, r)
		}
		out = append(out, model.Injection{Species: name, Site: site, Rates: merged})
	}
	return out, nil
}

// NeuroRDEncoding returns the InjectionStim elements the authors'
// runmodel_parallel.py wrote for an all-gated train (§2.3 of
// protocols-and-fitting.md): onset t_on, duration d, period T,
// end = t_on + T·N + d, interTrainInterval = P − ((N−1)·T + d),
// numTrains. NeuroRD (and spinerd reading such a file) delivers N+1
// pulses per train from them.
func (p *Protocol) NeuroRDEncoding() ([]model.Injection, error) {
	if p.Gating != AllGated {
		return nil, fmt.Errorf("protocol %s: the NeuroRD encoding exists for all-gated trains only", p.Name)
	}
	site := p.Site
	if site == "" {
		site = "dendrite:submembrane"
	}
	T := p.Train.PeriodMs()
	var out []model.Injection
	for i, name := range inputNames() {
		if p.Fluxes.get(i) == 0 {
			continue
		}
		out = append(out, model.Injection{
			Species: name, Site: site,
			OnsetMs: p.OnsetMs, DurationMs: p.Train.PulseMs, RatePerMs: p.Fluxes.get(i), PeriodMs: T,
			EndMs:        p.OnsetMs + T*float64(p.Train.Pulses) + p.Train.PulseMs,
			InterTrainMs: p.Train.TrainPeriodMs - (float64(p.Train.Pulses-1)*T + p.Train.PulseMs),
			NumTrains:    max(p.Train.Trains, 1),
			HasOnset:     true, HasDuration: true, HasRate: true, HasPeriod: true, HasEnd: true, HasNumTrains: true,
		})
	}
	return out, nil
}
