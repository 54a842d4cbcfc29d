package fromsys

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spinerd/spinerd/gillespie"
	"github.com/spinerd/spinerd/internal/testmodel"
	"github.com/spinerd/spinerd/model"
	"github.com/spinerd/spinerd/nrdh5"
)

// chain is a 10-voxel chain with a diffusing species, a catalysed
// reaction, a 2× reaction, a two-train periodic stimulus and a <rates>
// stimulus with two non-zero rows, and an output set of region r3.
func chain(calc string) string {
	return `<SDRun xmlns="http://stochdiff.textensor.org">
  <ReactionScheme>
    <Specie name="A" id="A" kdiff="1" kdiffunit="mu2/ms"/><Specie name="B" id="B" kdiff="0" kdiffunit="mu2/ms"/><Specie name="E" id="E" kdiff="0" kdiffunit="mu2/ms"/>
    <Reaction name="cat" id="cat"><Reactant specieID="A"/><Reactant specieID="E"/><Product specieID="B"/><Product specieID="E"/><forwardRate>1e-4</forwardRate><reverseRate>0</reverseRate></Reaction>
    <Reaction name="dim" id="dim"><Reactant specieID="B" n="2"/><Product specieID="A"/><forwardRate>1e-6</forwardRate><reverseRate>0.01</reverseRate></Reaction>
  </ReactionScheme>
  <Morphology>` + testmodel.ChainSegments() + `</Morphology>
  <InitialConditions><ConcentrationSet><NanoMolarity specieID="A" value="500"/><NanoMolarity specieID="E" value="100"/></ConcentrationSet></InitialConditions>
  <StimulationSet>
    <InjectionStim specieID="A" injectionSite="r2"><onset>1</onset><duration>1</duration><rate>10</rate><period>5</period><end>12</end><numTrains>2</numTrains><interTrainInterval>3</interTrainInterval></InjectionStim>
    <InjectionStim specieID="B" injectionSite="r5"><rates>0 0
2 5
4 0
6 3</rates></InjectionStim>
  </StimulationSet>
  <discretization><defaultMaxElementSide>2</defaultMaxElementSide></discretization>
  <depth2D>0.5</depth2D><runtime>20</runtime><outputInterval>2</outputInterval><calculation>` + calc + `</calculation><simulationSeed>7</simulationSeed><fixedStepDt>0.01</fixedStepDt>
  <OutputScheme><OutputSet filename="r3" region="r3" dt="1"><OutputSpecie name="B"/><OutputSpecie name="A"/></OutputSet></OutputScheme>
</SDRun>`
}

func TestDescribe(t *testing.T) {
	sys := testmodel.Compile(t, chain("GRID_ADAPTIVE"), model.Options{})
	d, err := Describe(sys)
	if err != nil {
		t.Fatal(err)
	}
	nv := sys.NumVoxels()
	if nv != 10 || len(d.Grid) != nv {
		t.Fatalf("%d voxels described of %d", len(d.Grid), nv)
	}
	v := &sys.Mesh.Voxels[4]
	if g := d.Grid[4]; g.Corners[3][2] != v.Corners[3][2]+v.DeltaZUm || g.Corners[2] != v.Corners[2] || g.Label != "element4" || g.RegionName != "r4" || d.Regions[g.Region] != "r4" {
		t.Errorf("grid row 4 %+v from voxel %+v", g, v)
	}
	// stimulations: two trains of the first, two non-zero rows of the second
	if len(d.Stimulations) != 4 || d.Stimulations[0].Target != "r2" || d.Stimulations[3].Target != "r5" || !reflect.DeepEqual(d.Stimulations[2].Voxels, []int{5}) {
		t.Errorf("stimulations %+v", d.Stimulations)
	}
	if !reflect.DeepEqual(d.Statistics, []string{"Stimulation of species A", "Stimulation of species A", "Stimulation of species B", "Stimulation of species B"}) {
		t.Errorf("statistics %q", d.Statistics)
	}
	// events: hops, then 3 channels × 10 voxels, then 4 stimulations × 1 target
	nh := len(sys.Hops)
	if nh != 18 || len(d.Events) != nh+3*nv+4 {
		t.Fatalf("%d hops, %d events", nh, len(d.Events))
	}
	if e := d.Events[0]; e.Description != "Diffusion A el.0→1" || e.Type != nrdh5.EventDiffusion || !reflect.DeepEqual(e.Stoichiometry, []int{-1, 1}) {
		t.Errorf("first event %+v", e)
	}
	cat := d.Events[nh+3]
	if cat.Description != "Reaction el.3 A+E→B+E" || !reflect.DeepEqual(cat.Substrates, []int{0, 1}) || !reflect.DeepEqual(cat.Stoichiometry, []int{-1, 1}) {
		t.Errorf("catalysed event %+v", cat)
	}
	if e := d.Events[nh+nv]; e.Description != "Reaction el.0 2×B→A" || !reflect.DeepEqual(e.Stoichiometry, []int{-2, 1}) {
		t.Errorf("dimer event %+v", e)
	}
	if e := d.Events[len(d.Events)-1]; e.Description != "Stimulation el.5 B" || e.Type != nrdh5.EventStimulation {
		t.Errorf("last event %+v", e)
	}
	if r := d.Reactions[2]; r.Reverse != 1 || d.Reactions[1].Reverse != 2 || r.Rate != 0.01 || !reflect.DeepEqual(r.Products, []int{1}) || !reflect.DeepEqual(r.ProductStoichiometry, []int{2}) {
		t.Errorf("reactions %+v", d.Reactions)
	}
	if len(d.Outputs) != 2 || d.Outputs[1].Name != "r3" || !reflect.DeepEqual(d.Outputs[1].Elements, []int{3}) || !reflect.DeepEqual(d.Outputs[1].Species, []int{1, 0}) {
		t.Errorf("outputs %+v", d.Outputs)
	}
	if !strings.Contains(d.SerializedConfig, "<SDRun") || d.Values != nrdh5.Counts {
		t.Error("config or value kind")
	}
	for _, calc := range []string{"GRID_STEPPED_STOCHASTIC"} {
		sys := testmodel.Compile(t, chain(calc), model.Options{})
		d, err := Describe(sys)
		if err != nil {
			t.Fatal(err)
		}
		if d.Events != nil || d.Statistics != nil || len(d.Stimulations) != 4 {
			t.Errorf("%s: events %d statistics %d stimulations %d", calc, len(d.Events), len(d.Statistics), len(d.Stimulations))
		}
	}
	ode := testmodel.Compile(t, chain("GRID_ADAPTIVE"), model.Options{Method: "ode"})
	if d, _ := Describe(ode); d.Values != nrdh5.Reals || d.Events != nil {
		t.Error("an ODE run is not described with real values and without events")
	}
}

// recorder keeps every frame a run delivers and passes it on.
type recorder struct {
	next   model.Sink
	frames [][]frame
}

type frame struct {
	t float64
	c []int64
}

func (r *recorder) Counts(set int, t float64, c []int64) error {
	for len(r.frames) <= set {
		r.frames = append(r.frames, nil)
	}
	r.frames[set] = append(r.frames[set], frame{t, append([]int64(nil), c...)})
	return r.next.Counts(set, t, c)
}

// TestRunRoundTrip writes two seeds of a real run as two trials and
// reads back exactly the counts and times the engine produced.
func TestRunRoundTrip(t *testing.T) {
	sys := testmodel.Compile(t, chain("GRID_ADAPTIVE"), model.Options{})
	path := filepath.Join(t.TempDir(), "run.h5")
	recs := writeRun(t, sys, path, []uint64{7, 8})
	run, err := nrdh5.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Trials) != 2 || run.Trials[1].Seed != 8 {
		t.Fatalf("trials %+v", run.Trials)
	}
	for ti, tr := range run.Trials {
		for s, set := range tr.Sets {
			fr := recs[ti].frames[s]
			if set.Frames() != len(fr) || len(fr) < 10 {
				t.Fatalf("trial %d set %s: %d frames, run wrote %d", ti, set.Name, set.Frames(), len(fr))
			}
			for f := range fr {
				if set.TimesMs[f] != fr[f].t {
					t.Fatalf("time %g, want %g", set.TimesMs[f], fr[f].t)
				}
				for i, c := range fr[f].c {
					if int64(set.Counts[f*len(fr[f].c)+i]) != c {
						t.Fatalf("trial %d set %s frame %d value %d: %d, want %d", ti, set.Name, f, i, set.Counts[f*len(fr[f].c)+i], c)
					}
				}
			}
		}
	}
	if got := fmt.Sprint(run.Trials[0].Sets[1].Species); got != "[B A]" {
		t.Errorf("set species %s", got)
	}
}

// writeRun runs sys once per seed, as trials 0, 1, … of a NeuroRD HDF5
// file at path, and returns what each run wrote.
func writeRun(t *testing.T, sys *model.System, path string, seeds []uint64) []*recorder {
	t.Helper()
	d, err := Describe(sys)
	if err != nil {
		t.Fatal(err)
	}
	w, err := nrdh5.Create(path, d)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*recorder
	for trial, seed := range seeds {
		tw, err := w.BeginTrial(trial, int64(seed))
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{next: tw}
		if _, err := gillespie.Run(context.Background(), sys, gillespie.Options{}, seed, rec); err != nil {
			t.Fatal(err)
		}
		if err := tw.End(); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return recs
}
