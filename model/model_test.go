package model

import (
	"math"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/diag"
	"github.com/spinerd/spinerd/mesh"
)

func pt(x, y, r float64) mesh.Point {
	return mesh.Point{XUm: x, YUm: y, RUm: r, HasX: true, HasY: true, HasZ: true, HasR: true}
}

// oneVoxel returns the Mäki-Marttunen geometry: one 0.5 µm³ voxel in
// region "dendrite", Ω = 0.5·PUVC molecules/nM.
func oneVoxel() *Model {
	s := Defaults()
	s.HasRuntime, s.RuntimeMs = true, 1000
	s.HasOutputInterval, s.OutputIntervalMs = true, 10
	s.Calculation = "GRID_ADAPTIVE"
	return &Model{
		Source:     "test.xml",
		Morphology: mesh.Morphology{Segments: []mesh.Segment{{ID: "seg1", Region: "dendrite", Start: pt(1, 1, 0.5), End: pt(2, 1, 0.5)}}},
		Discretization: mesh.Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 0.2,
			MaxElementSide: []mesh.SizeOverride{{Key: "dendrite", SizeUm: 1}}},
		Settings: s,
	}
}

func species(ids ...string) []Species {
	var out []Species
	for _, id := range ids {
		out = append(out, Species{ID: id, Name: id})
	}
	return out
}

func compile(t *testing.T, m *Model) (*System, diag.List) {
	t.Helper()
	s, w, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, w
}

func close(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b)) }

// TestPropensities checks the per-voxel constants and propensities against
// the table of §3.3 of the NeuroRD notes (Ω = 0.5 µm³ · PUVC).
func TestPropensities(t *testing.T) {
	m := oneVoxel()
	m.Species = species("A", "B", "C", "CaM", "Ca", "CaMCa2", "PKAcAMP4", "PKAr", "PKAc", "D")
	m.Reactions = []Reaction{
		{ID: "ab", Reactants: []Term{{Species: "A", N: 1, Power: 1}, {Species: "B", N: 1, Power: 1}}, Products: []Term{{Species: "C", N: 1, Power: 1}}, ForwardRate: 2e-4},
		{ID: "cam", Reactants: []Term{{Species: "CaM", N: 1, Power: 1}, {Species: "Ca", N: 2, Power: 2}}, Products: []Term{{Species: "CaMCa2", N: 1, Power: 1}}, ForwardRate: 17e-9},
		{ID: "pka", Reactants: []Term{{Species: "PKAcAMP4", N: 1, Power: 1}}, Products: []Term{{Species: "PKAr", N: 1, Power: 1}, {Species: "PKAc", N: 2, Power: 1}}, ForwardRate: 0.1, ReverseRate: 2.55e-5},
		{ID: "deg", Reactants: []Term{{Species: "D", N: 1, Power: 1}}, ForwardRate: 0.5, ReverseRate: 3},
	}
	s, _ := compile(t, m)
	om := 0.5 * PUVC
	if len(s.Channels) != 6 {
		t.Fatalf("%d channels, want 6 (reversible reactions give two)", len(s.Channels))
	}
	x := make([]int64, len(s.Species))
	set := func(id string, n int64) { i, _ := s.SpeciesIndex(id); x[i] = n }
	set("A", 10)
	set("B", 20)
	set("CaM", 5)
	set("Ca", 7)
	set("PKAr", 3)
	set("PKAc", 1)
	cases := []struct {
		ch   int
		want float64
	}{
		{0, 2e-4 * 10 * 20 / om},
		{1, 17e-9 * 5 * 7 * 6 / (om * om)},
		{3, 0}, // reverse PKA needs n=2 PKAc, only 1 present
		{5, 3 * om},
	}
	for _, c := range cases {
		if got := s.Channels[c.ch].Propensity(0, x); !close(got, c.want) {
			t.Errorf("channel %d (%s): propensity %v, want %v", c.ch, s.Channels[c.ch].ReactionID, got, c.want)
		}
	}
	set("PKAc", 4)
	if got, want := s.Channels[3].Propensity(0, x), 2.55e-5*3*4/om; !close(got, want) {
		t.Errorf("reverse PKA: %v, want %v (power 1 for n=2)", got, want)
	}
	if c := s.Channels[3]; !c.Reverse || c.Partner != 2 || s.Channels[2].Partner != 3 || c.Order != 2 {
		t.Errorf("reverse channel bookkeeping: %+v", c)
	}
	// Net changes: CaM + 2 Ca → CaMCa2.
	ch := s.Channels[1]
	want := map[string]int{"CaM": -1, "Ca": -2, "CaMCa2": 1}
	for _, c := range ch.Changes {
		if want[s.Species[c.Species].ID] != c.Delta {
			t.Errorf("change of %s: %d", s.Species[c.Species].ID, c.Delta)
		}
	}
}

// TestCatalystNetChange: a species on both sides with equal stoichiometry
// does not change.
func TestCatalystNetChange(t *testing.T) {
	m := oneVoxel()
	m.Species = species("E", "S", "P")
	m.Reactions = []Reaction{{Reactants: []Term{{Species: "E", N: 1, Power: 1}, {Species: "S", N: 1, Power: 1}}, Products: []Term{{Species: "E", N: 1, Power: 1}, {Species: "P", N: 1, Power: 1}}, ForwardRate: 1}}
	s, _ := compile(t, m)
	if len(s.Channels[0].Changes) != 2 {
		t.Errorf("changes %+v, want S −1 and P +1 only", s.Channels[0].Changes)
	}
}

// TestDiffusionHops checks hop rates D·G/V (§3.4) and unit conversion on
// two 0.4 µm boxes of a 2D line (G = 0.16/0.4 µm, V = 0.064 µm³).
func TestDiffusionHops(t *testing.T) {
	m := oneVoxel()
	m.Morphology.Segments = []mesh.Segment{{ID: "s", Region: "r", Start: pt(0, 0, 0.2), End: pt(0.8, 0, 0.2)}}
	m.Discretization = mesh.Settings{Depth2DUm: 0.4, DefaultMaxElementSideUm: 0.4}
	m.Species = []Species{{ID: "A", Name: "A", KDiff: 5e-8, KDiffUnit: "cm2/s"}, {ID: "B", Name: "B", KDiff: 0}}
	s, _ := compile(t, m)
	if len(s.Hops) != 2 {
		t.Fatalf("%d hops, want 2 (only A diffuses)", len(s.Hops))
	}
	want := 5e-3 * (0.16 / 0.4) / 0.064 // D in µm²/ms
	for i, h := range s.Hops {
		if !close(h.RatePerMs, want) || h.Reverse != 1-i {
			t.Errorf("hop %d: %+v, want rate %v", i, h, want)
		}
	}
}

// TestInitialConditions checks §5: per-species fallback of concentration
// sets; one surface set per voxel (the region's, else the default) whose
// species replace the volume count (pitfalls P7, P8); NumberDensity units.
func TestInitialConditions(t *testing.T) {
	m := oneVoxel()
	m.Species = species("A", "B", "C", "D")
	m.Concentrations = []ConcentrationSet{
		{Entries: []Concentration{{Species: "A", Value: 10}, {Species: "B", Value: 20}, {Species: "C", Value: 30}}},
		{Region: "dendrite", Entries: []Concentration{{Species: "A", Value: 100}, {Species: "D", Value: 2, Unit: PerCubicMicron}}},
	}
	m.Surfaces = []SurfaceDensitySet{
		{Entries: []SurfaceDensity{{Species: "B", PicoSD: 1000}}},
		{Region: "dendrite", Entries: []SurfaceDensity{{Species: "C", PicoSD: 1000}}},
	}
	s, _ := compile(t, m)
	om := 0.5 * PUVC
	want := []float64{
		100 * om,                          // region set wins
		20 * om,                           // default set (the default surface set is hidden: P7)
		1000 * 0.5 * PUVC,                 // surface density replaces volume (P8); area 0.5 µm²
		2 * NumberDensityToNanoMolar * om, // molecules/µm³ → nM
	}
	for i, w := range want {
		if !close(s.Initial[i], w) {
			t.Errorf("%s: %v molecules, want %v", s.Species[i].ID, s.Initial[i], w)
		}
	}
	if !close(s.Initial[2], 301.1070895) {
		t.Errorf("PicoSD 1000 on 0.5 µm² gives %v, NeuroRD 301.1", s.Initial[2])
	}
}

// TestInitialCountsRounding checks the stochastic rounding: counts are ⌊x⌋
// or ⌈x⌉, the same seed gives the same counts, and the mean over 40000
// values of x = 2.3 is within 5 standard errors of 2.3 (false-failure
// rate < 1e-6).
func TestInitialCountsRounding(t *testing.T) {
	s := &System{Initial: make([]float64, 40000)}
	for i := range s.Initial {
		s.Initial[i] = 2.3
	}
	a, b, c := s.InitialCounts(1), s.InitialCounts(1), s.InitialCounts(2)
	var sum float64
	same := true
	for i := range a {
		if a[i] != 2 && a[i] != 3 {
			t.Fatalf("count %d from 2.3", a[i])
		}
		if a[i] != b[i] {
			t.Fatal("same seed, different counts")
		}
		same = same && a[i] == c[i]
		sum += float64(a[i])
	}
	if same {
		t.Error("different seeds gave identical counts")
	}
	mean, se := sum/40000, math.Sqrt(0.3*0.7/40000)
	if math.Abs(mean-2.3) > 5*se {
		t.Errorf("mean %v, want 2.3 ± %v", mean, 5*se)
	}
}

func stim(onset, dur, rate float64) Injection {
	return Injection{Species: "A", Site: "dendrite:submembrane", OnsetMs: onset, DurationMs: dur, RatePerMs: rate,
		HasOnset: true, HasDuration: true, HasRate: true, NumTrains: 1}
}

// TestStimulusExpansion checks §6.1 on the protocols users write.
func TestStimulusExpansion(t *testing.T) {
	hfs := stim(2000, 3, 1900)
	hfs.PeriodMs, hfs.HasPeriod, hfs.EndMs, hfs.HasEnd, hfs.InterTrainMs = 10, true, 3003, true, 3007
	fourHFS := hfs
	fourHFS.NumTrains = 4
	lfs := stim(2000, 3, 100)
	lfs.PeriodMs, lfs.HasPeriod, lfs.EndMs, lfs.HasEnd, lfs.InterTrainMs = 200, true, 2000+900*200+3, true, -179603
	trains := stim(100, 10, 5)
	trains.NumTrains, trains.InterTrainMs = 3, 90
	cut := stim(100, 10, 1000)
	cut.PeriodMs, cut.HasPeriod, cut.EndMs, cut.HasEnd = 100, true, 205, true
	off := hfs
	off.NumTrains = 0
	table := Injection{Species: "A", Site: "dendrite", Rates: []RateRow{{0, 0}, {100, 2}, {150, 0}, {300, 1}}}
	cases := []struct {
		name      string
		in        Injection
		runtime   float64
		pulses    int
		first     Pulse
		molecules float64
		warn      string
	}{
		{"HFS: end = onset + N·period + duration gives N+1 pulses", hfs, 12000, 101, Pulse{2000, 2003, 1900}, 101 * 3 * 1900, ""},
		{"4xHFS: trains every (end − onset) + interTrainInterval", fourHFS, 500000, 404, Pulse{2000, 2003, 1900}, 404 * 3 * 1900, ""},
		{"LFS with negative interTrainInterval and one train", lfs, 500000, 901, Pulse{2000, 2003, 100}, 901 * 3 * 100, ""},
		{"non-periodic trains: all delivered", trains, 1000, 3, Pulse{100, 110, 5}, 150, "P12"},
		{"end inside a pulse: truncated", cut, 400, 2, Pulse{100, 110, 1000}, 10000 + 5000, "P13"},
		{"numTrains 0 switches off", off, 12000, 0, Pulse{}, 0, ""},
		{"rates table", table, 1000, 2, Pulse{100, 150, 2}, 100 + 700, ""},
		{"run ends before the pulses", hfs, 2000, 0, Pulse{}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := oneVoxel()
			m.Species = species("A")
			m.Settings.RuntimeMs = c.runtime
			m.Stimuli = []Injection{c.in}
			s, w := compile(t, m)
			st := s.Stimuli[0]
			if st.NumPulses != c.pulses {
				t.Errorf("%d pulses, want %d", st.NumPulses, c.pulses)
			}
			if c.pulses > 0 && st.Pulses[0] != c.first {
				t.Errorf("first pulse %+v, want %+v", st.Pulses[0], c.first)
			}
			if got := st.Molecules(0, s.EndMs); math.Abs(got-c.molecules) > 1e-6*c.molecules {
				t.Errorf("%v molecules, want %v", got, c.molecules)
			}
			for i := 1; i < len(st.Pulses); i++ {
				if st.Pulses[i].StartMs < st.Pulses[i-1].EndMs {
					t.Errorf("pulses %d and %d overlap", i-1, i)
				}
			}
			found := c.warn == ""
			for _, d := range w {
				found = found || strings.Contains(d.Msg, c.warn)
			}
			if !found {
				t.Errorf("no warning mentioning %s in %v", c.warn, w)
			}
		})
	}
}

// TestOverlappingTrainsAdd checks that overlapping trains of one stimulus
// add their rates, while overlapping pulses of one train do not.
func TestOverlappingTrainsAdd(t *testing.T) {
	in := stim(0, 15, 2)
	in.PeriodMs, in.HasPeriod, in.EndMs, in.HasEnd = 10, true, 30, true // pulses overlap: on 0–30
	in.NumTrains, in.InterTrainMs = 2, -20                              // second train 10–40
	m := oneVoxel()
	m.Species = species("A")
	m.Stimuli = []Injection{in}
	s, _ := compile(t, m)
	want := []Pulse{{0, 10, 2}, {10, 30, 4}, {30, 40, 2}}
	got := s.Stimuli[0].Pulses
	if len(got) != len(want) {
		t.Fatalf("pulses %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pulse %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestInjectionSites checks §6.2 on a dendrite with three spines.
func TestInjectionSites(t *testing.T) {
	m := oneVoxel()
	m.Species = species("A")
	m.Morphology = mesh.Morphology{
		Segments:         []mesh.Segment{{ID: "d", Region: "dend", Start: pt(0, 0, 0.5), End: pt(3, 0, 0.5)}},
		SpineTypes:       []mesh.SpineType{{ID: "t", Sections: []mesh.Section{{AtUm: 0, WidthUm: 0.2, RegionClass: "neck"}, {AtUm: 0.2, WidthUm: 0.2, RegionClass: "head", Label: "tip"}}}},
		SpineAllocations: []mesh.SpineAllocation{{ID: "sa", SpineType: "t", Region: "dend", AreaDensityPerUm2: 2}},
	}
	m.Discretization = mesh.Settings{Depth2DUm: 0.5, DefaultMaxElementSideUm: 1, SpineDeltaXUm: 0.1, SpineSeed: 3}
	s, _ := compile(t, m)
	if len(s.Mesh.Spines) != 3 {
		t.Fatalf("%d spines, want 3 (area 1.5 µm² × 2/µm²)", len(s.Mesh.Spines))
	}
	for _, c := range []struct {
		site string
		n    int
		err  bool
	}{
		{"sa[:].tip", 3, false}, {"sa[*].tip", 3, false}, {"sa[0,2].tip", 2, false}, {"sa[1:].tip", 2, false}, {"sa[:1].tip", 2, false}, {"sa[1].tip", 1, false},
		{"dend:submembrane", 3, false}, {"dend", 3, false}, {"head", 3, false}, {"neck", 3, false},
		{"sa[7].tip", 0, true}, {"nowhere", 0, true}, {"sa[0].tip:submembrane", 0, true}, {"neck:submembrane", 0, true},
	} {
		targets, shares, err := resolveSite(s.Mesh, c.site)
		if (err != nil) != c.err || len(targets) != c.n {
			t.Errorf("%s: %d targets, err %v", c.site, len(targets), err)
			continue
		}
		sum := 0.0
		for _, x := range shares {
			sum += x
		}
		if c.n > 0 && !close(sum, 1) {
			t.Errorf("%s: shares sum to %v", c.site, sum)
		}
	}
}

// TestMethodSelection checks <calculation> names and --method overrides.
func TestMethodSelection(t *testing.T) {
	for calc, want := range map[string]Method{"GRID_EXACT": MethodExact, "GRID_ADAPTIVE": MethodMultiscale, "": MethodMultiscale,
		"GRID_STEPPED_DETERMINISTIC": MethodODE, "GRID_STEPPED_CONTINUOUS": MethodODE} {
		m := oneVoxel()
		m.Settings.Calculation = calc
		s, _ := compile(t, m)
		if s.Method != want {
			t.Errorf("%s → %v, want %v", calc, s.Method, want)
		}
	}
	m := oneVoxel()
	s, _, err := Compile(m, Options{Method: "exact"})
	if err != nil || s.Method != MethodExact {
		t.Errorf("--method exact: %v %v", s, err)
	}
	if _, _, err := Compile(m, Options{Method: "magic"}); err == nil {
		t.Error("--method magic accepted")
	}
	m.Settings.Calculation = "GRID_STEPPED_STOCHASTIC"
	if _, _, err := Compile(m, Options{}); err == nil || !strings.Contains(err.Error(), "fixedStepDt") {
		t.Errorf("fixed method without fixedStepDt: %v", err)
	}
}

func TestNextEdge(t *testing.T) {
	st := Stimulus{Pulses: []Pulse{{StartMs: 10, EndMs: 13}, {StartMs: 20, EndMs: 23}}}
	for _, c := range []struct{ t, want float64 }{
		{0, 10}, {10, 13}, {12.9, 13}, {13, 20}, {20, 23}, {23, math.Inf(1)}, {50, math.Inf(1)},
	} {
		if got := st.NextEdge(c.t); got != c.want {
			t.Errorf("NextEdge(%g) = %g, want %g", c.t, got, c.want)
		}
	}
}

func TestPrevEdge(t *testing.T) {
	st := Stimulus{Pulses: []Pulse{{StartMs: 10, EndMs: 13}, {StartMs: 20, EndMs: 23}}}
	for _, c := range []struct{ t, want float64 }{
		{0, math.Inf(-1)}, {10, 10}, {12.9, 10}, {13, 13}, {19, 13}, {20, 20}, {23, 23}, {50, 23},
	} {
		if got := st.PrevEdge(c.t); got != c.want {
			t.Errorf("PrevEdge(%g) = %g, want %g", c.t, got, c.want)
		}
	}
}
