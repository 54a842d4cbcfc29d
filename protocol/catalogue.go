package protocol

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Timing places a protocol in a run.
type Timing struct {
	OnsetMs, RuntimeMs float64
}

// NeuroRDTiming is the authors' NeuroRD runs: 500 s, stimulus at 40 s,
// started from a rested state.
func NeuroRDTiming() Timing { return Timing{OnsetMs: 40_000, RuntimeMs: 500_000} }

// NEURONTiming is the authors' NEURON figure runs: from the hard-coded
// initial state, 4040 s of equilibration, then the stimulus.
func NEURONTiming() Timing { return Timing{OnsetMs: 4_040_000, RuntimeMs: 5_000_000} }

// FitTiming is the fitting runs (simpleflux): Duration 5 260 000 ms.
func FitTiming() Timing { return Timing{OnsetMs: 4_040_000, RuntimeMs: 5_260_000} }

// DefaultFluxes are the figure protocols' inputs: Ca 1900, L 10, Glu 20,
// ACh 20 particles/ms.
func DefaultFluxes() Fluxes { return Fluxes{Ca: 1900, L: 10, Glu: 20, ACh: 20} }

// NumFitting is the number of fitting protocols.
const NumFitting = 8

// FittingTrain returns fitting protocol id's train (protocols-and-
// fitting.md §2.4).
func FittingTrain(id int) Train { return fittingTrains()[id] }

func fittingTrains() [NumFitting]Train {
	return [NumFitting]Train{
		{Pulses: 100, FrequencyHz: 100, PulseMs: 3, Trains: 1, TrainPeriodMs: 1},
		{Pulses: 156, FrequencyHz: 312, PulseMs: 3, Trains: 1, TrainPeriodMs: 1},
		{Pulses: 4, FrequencyHz: 100, PulseMs: 3, Trains: 10, TrainPeriodMs: 200},
		{Pulses: 4, FrequencyHz: 100, PulseMs: 3, Trains: 50, TrainPeriodMs: 200},
		{Pulses: 50, FrequencyHz: 0.1, PulseMs: 3, Trains: 1, TrainPeriodMs: 1},
		{Pulses: 4, FrequencyHz: 100, PulseMs: 3, Trains: 10, TrainPeriodMs: 200},
		{Pulses: 180, FrequencyHz: 1, PulseMs: 15, Trains: 1, TrainPeriodMs: 1},
		{Pulses: 5, FrequencyHz: 100, PulseMs: 3, Trains: 25, TrainPeriodMs: 1000},
	}
}

// namedTrains returns the trains of the figure protocols.
func namedTrains() map[string]Train {
	return map[string]Train{
		"HFS":         {Pulses: 100, FrequencyHz: 100, PulseMs: 3, Trains: 1, TrainPeriodMs: 1000},
		"4xHFS":       {Pulses: 100, FrequencyHz: 100, PulseMs: 3, Trains: 4, TrainPeriodMs: 4000},
		"LFS":         {Pulses: 900, FrequencyHz: 5, PulseMs: 3, Trains: 1, TrainPeriodMs: 100000},
		"steady-flux": {Pulses: 1, FrequencyHz: 1, PulseMs: 300_000, Trains: 1, TrainPeriodMs: 100000},
	}
}

// Names lists the protocols ByName knows.
func Names() []string {
	names := []string{"pairing"}
	for n := range namedTrains() {
		names = append(names, n)
	}
	for i := 0; i < NumFitting; i++ {
		names = append(names, fmt.Sprintf("fit%d", i))
	}
	sort.Strings(names)
	return names
}

// ByName returns a named protocol with its default fluxes and timing:
// HFS, 4xHFS, LFS and steady-flux are all-gated with the figure fluxes
// (Ca 1900, L 10, Glu 20, ACh 20) at t the given timing; fit0…fit7 are the
// fitting protocols (simpleflux, L/ACh step 600 s before the onset) with
// the figure fluxes until the caller sets them; pairing is 120 pairings at
// 1 Hz with the Ca influx of isiMs, L and ACh 0.05 from 8 min before the
// first pairing for 10 min, Glu 0.
func ByName(name string, t Timing, isiMs float64) (*Protocol, error) {
	if tr, ok := namedTrains()[name]; ok {
		return &Protocol{Name: name, Train: tr, Gating: AllGated, Fluxes: DefaultFluxes(), OnsetMs: t.OnsetMs, RuntimeMs: t.RuntimeMs}, nil
	}
	if strings.HasPrefix(name, "fit") {
		var id int
		if _, err := fmt.Sscanf(name, "fit%d", &id); err == nil && id >= 0 && id < NumFitting {
			return Fitting(id, DefaultFluxes(), t), nil
		}
	}
	if name == "pairing" {
		return &Protocol{Name: name, Train: Train{Pulses: 120, FrequencyHz: 1, PulseMs: 3, Trains: 1}, Gating: Pairing,
			Fluxes: Fluxes{Ca: 1, L: 0.05, ACh: 0.05}, OnsetMs: t.OnsetMs, RuntimeMs: t.RuntimeMs,
			StepOnsetMs: t.OnsetMs - 480_000, StepDurationMs: 600_000, PairingISIMs: isiMs}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Fitting returns fitting protocol id (0–7) with the given fluxes
// (simpleflux gating: Ca and Glu pulsed, L and ACh a step from 600 s
// before the onset to the end).
func Fitting(id int, f Fluxes, t Timing) *Protocol {
	return &Protocol{Name: fmt.Sprintf("fit%d", id), Train: FittingTrain(id), Gating: SimpleFlux, Fluxes: f,
		OnsetMs: t.OnsetMs, RuntimeMs: t.RuntimeMs, StepOnsetMs: t.OnsetMs - 600_000, StepDurationMs: math.Inf(1)}
}

// Manipulation is one run of the Fig. 3/4 series (runfig3-4.sh).
type Manipulation struct {
	Label    string
	Protocol string
	Fluxes   Fluxes
}

// Manipulations returns the nine runs of Figs. 3/4 (protocols-and-
// fitting.md §2.1).
func Manipulations() []Manipulation {
	return []Manipulation{
		{"LFS control", "LFS", Fluxes{1900, 10, 20, 20}},
		{"4xHFS control", "4xHFS", Fluxes{1900, 10, 20, 20}},
		{"4xHFS, no Ca", "4xHFS", Fluxes{0, 10, 20, 20}},
		{"4xHFS, no β-adrenergic ligand", "4xHFS", Fluxes{1900, 0, 20, 20}},
		{"4xHFS, no Glu", "4xHFS", Fluxes{1900, 10, 0, 20}},
		{"4xHFS, no M1 or mGluR activation", "4xHFS", Fluxes{1900, 10, 0, 0}},
		{"LFS, no mGluR activation", "LFS", Fluxes{1900, 10, 0, 20}},
		{"LFS, Glu 10", "LFS", Fluxes{1900, 10, 10, 20}},
		{"LFS, no M1 or mGluR activation", "LFS", Fluxes{1900, 10, 0, 0}},
	}
}
