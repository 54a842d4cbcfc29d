package protocol

import (
	"math"
	"testing"

	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/models"
)

func spine(t *testing.T) *model.Model {
	t.Helper()
	m, _, err := models.SpineModel()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func compile(t *testing.T, m *model.Model) *model.System {
	t.Helper()
	sys, _, err := model.Compile(m, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

func stim(t *testing.T, sys *model.System, id string) *model.Stimulus {
	t.Helper()
	for i := range sys.Stimuli {
		if sys.Species[sys.Stimuli[i].Species].ID == id {
			return &sys.Stimuli[i]
		}
	}
	t.Fatalf("no stimulus of %s", id)
	return nil
}

// Exactly N pulses per train at the documented times, as compiled.
func TestTrainsCompile(t *testing.T) {
	for _, c := range []struct {
		name   string
		pulses int
		last   float64 // start of the last pulse after the onset
	}{{"4xHFS", 400, 99*10 + 3*4000}, {"LFS", 900, 899 * 200}, {"HFS", 100, 990}} {
		p, err := ByName(c.name, NeuroRDTiming(), 0)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := Apply(spine(t), p, Edits{})
		if err != nil {
			t.Fatal(err)
		}
		sys := compile(t, m)
		if sys.EndMs != 500_000 {
			t.Errorf("%s: run ends at %g ms", c.name, sys.EndMs)
		}
		for _, id := range []string{"Ca", "L", "Glu", "ACh"} {
			st := stim(t, sys, id)
			if st.NumPulses != c.pulses || len(st.Pulses) != c.pulses {
				t.Errorf("%s %s: %d pulses (%d intervals), want %d", c.name, id, st.NumPulses, len(st.Pulses), c.pulses)
				continue
			}
			if st.Pulses[0].StartMs != 40_000 || math.Abs(st.Pulses[c.pulses-1].StartMs-(40_000+c.last)) > 1e-9 {
				t.Errorf("%s %s: pulses from %g to %g", c.name, id, st.Pulses[0].StartMs, st.Pulses[c.pulses-1].StartMs)
			}
			want := float64(c.pulses) * 3 * DefaultFluxes().get(map[string]int{"Ca": 0, "L": 1, "Glu": 2, "ACh": 3}[id])
			if got := st.Molecules(0, sys.EndMs); math.Abs(got-want) > 1e-6*want {
				t.Errorf("%s %s: %g molecules, want %g", c.name, id, got, want)
			}
		}
	}
}

// The NeuroRD encoding of the authors' scripts is read as N+1 pulses per
// train (101 for HFS), with trains every (N·T + d) + interTrainInterval.
func TestNeuroRDEncoding(t *testing.T) {
	p, _ := ByName("4xHFS", NeuroRDTiming(), 0)
	inj, err := p.NeuroRDEncoding()
	if err != nil {
		t.Fatal(err)
	}
	m := spine(t)
	m.Stimuli = inj
	m.Settings.RuntimeMs = 500_000
	sys := compile(t, m)
	if st := stim(t, sys, "Ca"); st.NumPulses != 404 {
		t.Errorf("NeuroRD reading: %d pulses, want 404", st.NumPulses)
	}
	p.NeuroRDPulses = true
	m2, _, err := Apply(spine(t), p, Edits{})
	if err != nil {
		t.Fatal(err)
	}
	if st := stim(t, compile(t, m2), "Ca"); st.NumPulses != 404 {
		t.Errorf("NeuroRDPulses: %d pulses, want 404", st.NumPulses)
	}
	if _, err := (&Protocol{Gating: SimpleFlux}).NeuroRDEncoding(); err == nil {
		t.Error("simpleflux encoded")
	}
}

// Simpleflux: Ca and Glu pulsed, L a step from 600 s before the onset to
// the end of the run.
func TestSimpleflux(t *testing.T) {
	f := Fluxes{Ca: 1000, L: 2, Glu: 50}
	p := Fitting(2, f, FitTiming())
	m, _, err := Apply(spine(t), p, Edits{})
	if err != nil {
		t.Fatal(err)
	}
	sys := compile(t, m)
	if st := stim(t, sys, "Ca"); st.NumPulses != 40 || st.Pulses[39].StartMs != 4_040_000+3*10+9*200 {
		t.Errorf("Ca: %d pulses, last at %g", st.NumPulses, st.Pulses[len(st.Pulses)-1].StartMs)
	}
	l := stim(t, sys, "L")
	if len(l.Pulses) != 1 || l.Pulses[0].StartMs != 3_440_000 || l.Pulses[0].EndMs < 5_260_000 {
		t.Errorf("L step: %+v", l.Pulses)
	}
	for _, s := range sys.Stimuli {
		if sys.Species[s.Species].ID == "ACh" {
			t.Error("ACh injected at flux 0")
		}
	}
}

// Blocked scales initial amounts by whole name; Altered scales one
// direction of one reaction; ks indices map to Reactions.xml positions.
func TestEdits(t *testing.T) {
	m := spine(t)
	pos, rev, err := KSIndex(317)
	if err != nil || m.Reactions[pos].ID != "PKAcAMP4_diss2" || rev {
		t.Fatalf("ks317 → #%d %v (%v)", pos, rev, err)
	}
	block, _ := ParseBlock("CK=0, PP1=0.5, M1=2")
	alter, err := ParseAlter("ks317=0,Ca_pump1a:reverse=3", m)
	if err != nil {
		t.Fatal(err)
	}
	e, unmatched, err := Apply(m, nil, Edits{Blocked: block, Altered: alter})
	if err != nil {
		t.Fatal(err)
	}
	if len(unmatched) != 1 || unmatched[0] != "M1" {
		t.Errorf("unmatched %v", unmatched)
	}
	a, b := compile(t, m), compile(t, e)
	for _, id := range []string{"CK", "PP1", "PP2B"} {
		i, _ := a.SpeciesIndex(id)
		want := a.Initial[i] * map[string]float64{"CK": 0, "PP1": 0.5, "PP2B": 1}[id]
		if b.Initial[i] != want {
			t.Errorf("%s: %g, want %g", id, b.Initial[i], want)
		}
	}
	if e.Reactions[pos].ForwardRate != 0 || m.Reactions[pos].ForwardRate == 0 {
		t.Error("ks317 not applied to the copy only")
	}
	if e.Reactions[0].ReverseRate != 3*m.Reactions[0].ReverseRate || e.Reactions[0].ForwardRate != m.Reactions[0].ForwardRate {
		t.Error("Ca_pump1a:reverse not applied")
	}
	for _, bad := range []string{"DAGKdag1=0", "nope=1", "#999=1", "ks9999=1", "ks1=-1", "ks1=NaN", "#1:sideways=1", "#0:reverse=2,Ca_pump1a:reverse=3"} {
		if _, err := ParseAlter(bad, m); err == nil {
			t.Errorf("ParseAlter(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"CK", "CK=-1", "=2", "CK=NaN", "CK=0, CK=1"} {
		if _, err := ParseBlock(bad); err == nil {
			t.Errorf("ParseBlock(%q) accepted", bad)
		}
	}
	if _, err := ParseFluxes("Ca=1,Na=2", Fluxes{}); err == nil {
		t.Error("unknown input accepted")
	}
	for _, bad := range []string{"Ca=NaN", "Ca=19x", "Ca=-1", "Ca", "Ca=1,Ca=2"} {
		if _, err := ParseFluxes(bad, Fluxes{}); err == nil {
			t.Errorf("ParseFluxes(%q) accepted", bad)
		}
	}
	if f, err := ParseFluxes("Ca=5, ACh=0", DefaultFluxes()); err != nil || f != (Fluxes{5, 10, 20, 0}) {
		t.Errorf("ParseFluxes: %+v %v", f, err)
	}
}

// Pairing: 120 pairings of the measured Ca influx. Pairing p+1's bins
// start 100 ms before its stimulus, at +900 ms of pairing p, so pairing
// p's last bin (896 ms, stretched to 986) lasts 4 ms except in the last
// pairing: the total is 120 × Σ_{i<last} rate·width + (119·4 + 90) ×
// the last rate. The L step lasts 600 s from 8 min before the first
// pairing.
func TestPairing(t *testing.T) {
	isis := PairingISIs()
	if len(isis) != 38 {
		t.Fatalf("%d ISIs", len(isis))
	}
	p, err := ByName("pairing", NEURONTiming(), isis[5])
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Apply(spine(t), p, Edits{})
	if err != nil {
		t.Fatal(err)
	}
	sys := compile(t, m)
	d, _ := loadPairing()
	per := 0.0
	rates := d.Series[5].RatesPer
	last := len(rates) - 1
	for i, r := range rates[:last] {
		per += r * (d.OnEnd[i] - d.OnStart[i])
	}
	want := 120*per + (119*4+90)*rates[last]
	ca := stim(t, sys, "Ca")
	if got := ca.Molecules(0, sys.EndMs); math.Abs(got-want) > 1e-9*got {
		t.Errorf("Ca: %g molecules, want %g", got, want)
	}
	if ca.Pulses[0].StartMs != 4_040_000-100 {
		t.Errorf("first Ca bin at %g", ca.Pulses[0].StartMs)
	}
	if l := stim(t, sys, "L"); l.Pulses[0].StartMs != 3_560_000 || l.Pulses[0].EndMs != 4_160_000 {
		t.Errorf("L: %+v", l.Pulses)
	}
	if _, err := ByName("pairing", NEURONTiming(), 12345); err != nil {
		t.Fatal(err)
	} else if _, _, err := Apply(spine(t), &Protocol{Gating: Pairing, PairingISIMs: 12345, Train: Train{Pulses: 1, FrequencyHz: 1}}, Edits{}); err == nil {
		t.Error("unknown ISI accepted")
	}
	if _, err := ByName("TBS", NeuroRDTiming(), 0); err == nil {
		t.Error("unknown protocol accepted")
	}
}
